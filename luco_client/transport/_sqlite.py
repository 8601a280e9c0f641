"""The SQLite throttle store: a write transaction per throttle pass, shared by processes.

pyrate-limiter's ``SQLiteBucket`` locks each of its own operations; a throttle pass over
several rules (and the check-and-insert of one) must not be split by another process, so
the pass runs in one ``BEGIN IMMEDIATE`` transaction that SQLite's file locking makes
exclusive among writers: no lock file, no ``filelock`` dependency.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import typing as t

__all__ = ["SQLiteTransactionLock", "DeferredCommitConnection", "sqlite_connection"]


class SQLiteTransactionLock:
    """Re-entrant lock that is also an SQLite write transaction (``BEGIN IMMEDIATE``).

    pyrate-limiter's SQLiteBucket wraps each operation in ``with lock:``: ``put`` counts,
    then inserts and commits; ``leak`` counts old rows, then deletes that many of the oldest
    and commits. Each is only correct if no other process runs in between, and a throttle
    pass over several rules must not be split either. So the outermost entry begins an
    IMMEDIATE transaction, which SQLite's file locking makes exclusive among the writers of
    all processes (no lock file, no ``filelock`` dependency); the buckets' own commits are
    deferred (:class:`DeferredCommitConnection`) and the outermost exit commits. A thread
    lock serialises the threads of one process, which share the connection.

    ``busy_timeout`` (seconds) bounds how long the next outermost entry waits for another
    process's transaction; then ``sqlite3.OperationalError`` ("database is locked").
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.busy_timeout = 60.0
        self._lock = threading.RLock()
        self._depth = 0
        self._next_busy: t.Optional[float] = None

    @contextlib.contextmanager
    def hold(self, timeout: t.Optional[float]) -> t.Iterator[None]:
        """Enter with at most ``timeout`` seconds of waiting for other processes."""
        with self._lock:
            self._next_busy = timeout
            with self:
                yield

    @property
    def held(self) -> bool:
        """Whether this thread is inside the transaction (commits are deferred)."""
        return self._depth > 0

    def __enter__(self) -> SQLiteTransactionLock:
        self._lock.acquire()
        try:
            if self._depth == 0:
                busy = self.busy_timeout if self._next_busy is None else min(self._next_busy, self.busy_timeout)
                self._next_busy = None
                self.conn.execute(f"PRAGMA busy_timeout = {max(1, int(busy * 1000))}").close()
                if not self.conn.in_transaction:
                    self.conn.execute("BEGIN IMMEDIATE").close()
        except BaseException:
            self._lock.release()
            raise
        self._depth += 1
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self.conn.in_transaction:
                if exc_type is None:
                    self.conn.commit()
                else:
                    self.conn.rollback()
        finally:
            self._lock.release()


class DeferredCommitConnection:
    """The connection handed to pyrate's SQLiteBucket: ``commit()`` waits for the end of
    the outermost :class:`SQLiteTransactionLock` entry, so a whole pass commits at once."""

    def __init__(self, conn: sqlite3.Connection, lock: SQLiteTransactionLock) -> None:
        self._conn = conn
        self._tx = lock

    def commit(self) -> None:
        if not self._tx.held:
            self._conn.commit()

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._conn, name)


def sqlite_connection(path: str) -> t.Tuple[sqlite3.Connection, SQLiteTransactionLock]:
    """Open (or create) a throttle database shared by the processes of one machine."""
    conn = sqlite3.connect(path, timeout=60.0, check_same_thread=False, isolation_level="DEFERRED")
    # WAL lets the processes' short write transactions queue without blocking readers. Switching
    # needs a moment of exclusive access, which a busy neighbour may deny: then try again a few
    # times, and if it still cannot, stay in rollback mode (just as correct, a little slower).
    for attempt in range(20):
        try:
            conn.execute("PRAGMA journal_mode=WAL").close()
            break
        except sqlite3.OperationalError:
            time.sleep(0.01 * (attempt + 1))
    conn.execute("PRAGMA synchronous=NORMAL").close()  # a lost token after a crash is harmless
    return conn, SQLiteTransactionLock(conn)
