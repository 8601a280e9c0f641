"""The one seam between luco_client and the dependency majors it supports.

* urllib3 1.26.x (Python 3.8/3.9 images beside botocore) and 2.x.
* pyrate-limiter 3.x (the newest line for Python < 3.10) and 4.x.

Everything version-specific lives here; the rest of the transport imports these names.
For pyrate-limiter we use only the bucket core that both lines share (``Rate``,
``RateItem``, ``bucket.put``/``waiting``/``leak``) and drive the waiting loop ourselves:
the ``Limiter`` API is what changed between 3.x and 4.x (raising vs. returning, blocking
arguments, clocks in the limiter vs. in the buckets), and our loop must also honour the
call's deadline, several rules at once, and emit throttle events.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import typing as t

import pyrate_limiter
import requests
import urllib3
from pyrate_limiter import InMemoryBucket, Rate, RateItem, RedisBucket, SQLiteBucket
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    EmptyPoolError,
    IncompleteRead,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

__all__ = [
    "Wire",
    "begin_attempt",
    "end_attempt",
    "TRACKED_POOLS",
    "URLLIB3_MAJOR",
    "PYRATE_MAJOR",
    "Retry",
    "MaxRetryError",
    "NO_RETRY",
    "CONNECT_STAGE_ERRORS",
    "ReadTimeoutError",
    "ConnectTimeoutError",
    "NewConnectionError",
    "new_item",
    "memory_bucket",
    "sqlite_bucket",
    "redis_bucket",
    "wait_ms",
    "put",
    "leak",
]


def _major(version: str) -> int:
    try:
        return int(version.split(".", 1)[0])
    except ValueError:  # pragma: no cover - malformed version string
        return 0


URLLIB3_MAJOR = _major(urllib3.__version__)
PYRATE_MAJOR = _major(getattr(pyrate_limiter, "__version__", "")) or (
    4 if hasattr(pyrate_limiter, "Decision") else 3
)

#: Passed to urllib3 for each single attempt: no hidden inner retries. Connect errors end
#: in MaxRetryError (mapped by requests to ConnectionError / ConnectTimeout), read errors
#: are re-raised as they are (ReadTimeout / ConnectionError(ProtocolError)).
NO_RETRY = Retry(0, read=False, redirect=False, raise_on_status=False)

#: urllib3 errors that only arise before a connection exists (refused, DNS, connect
#: timeout, no pooled connection): proof of NOT_SENT even without wire evidence.
#: (NameResolutionError, urllib3 2.x only, subclasses NewConnectionError; SSL and proxy
#: errors are absent on purpose: urllib3 uses them after the request was written too.)
CONNECT_STAGE_ERRORS: t.Tuple[t.Type[BaseException], ...] = (
    NewConnectionError,
    ConnectTimeoutError,
    EmptyPoolError,
    ClosedPoolError,
)


def ensure_complete_body(response: t.Any) -> None:
    """Raise if the body ended before its Content-Length (urllib3 1.26 does not check).

    urllib3 2.x raises ``IncompleteRead`` itself (``enforce_content_length`` is on by
    default); 1.26 returns the truncated bytes as if they were the whole body. We raise the
    same requests error 2.x leads to, so both lines classify it as SENT_NO_RESPONSE.
    """
    if URLLIB3_MAJOR >= 2:
        return
    remaining = getattr(response.raw, "length_remaining", None)
    if remaining:
        raise requests.exceptions.ChunkedEncodingError(
            ProtocolError("Connection broken: IncompleteRead", IncompleteRead(len(response.content), remaining)))


# --------------------------------------------------------------------------- wire tracking
#
# Whether an attempt may have reached the server is decided by evidence, not by guessing
# from exception types (urllib3 reports a TLS error after the request was written, or a
# proxy reset after forwarding, with the same types as failures before connecting). Our
# connection classes mark the attempt as "sent" right before the first byte of the
# request is written; connecting, the TLS handshake and pool errors happen before that.


class Wire:
    """Evidence about one attempt: ``tracked`` (our connection classes were used) and
    ``sent`` (a byte of the request may have left)."""

    __slots__ = ("sent", "tracked")

    def __init__(self) -> None:
        self.tracked = False
        self.sent = False


_wire = threading.local()


def begin_attempt() -> Wire:
    """Start collecting evidence for an attempt made by this thread."""
    wire = Wire()
    _wire.current = wire
    return wire


def end_attempt() -> None:
    """Stop collecting evidence (the next attempt gets a fresh :class:`Wire`)."""
    _wire.current = None


class _SendTracking:
    """Mixin for urllib3 connections: mark the attempt sent before the first write.

    Connecting is not sending, and neither is a proxy's ``CONNECT`` handshake: http.client
    writes it through ``send`` too, so writes inside ``_tunnel`` are not marked.
    """

    _luco_tunnelling = False

    def send(self, data: t.Any) -> None:
        conn = t.cast(t.Any, self)
        if conn.sock is None and conn.auto_open:
            conn.connect()  # connecting (and the TLS handshake) is not sending
        wire = getattr(_wire, "current", None)
        if wire is not None and not self._luco_tunnelling:
            wire.sent = True
        super().send(data)  # type: ignore[misc]

    def _tunnel(self) -> None:
        self._luco_tunnelling = True
        try:
            super()._tunnel()  # type: ignore[misc]
        finally:
            self._luco_tunnelling = False


class _TrackingPool:
    """Mixin for urllib3 pools: say that this attempt uses tracking connections."""

    def urlopen(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        wire = getattr(_wire, "current", None)
        if wire is not None:
            wire.tracked = True
        return super().urlopen(*args, **kwargs)  # type: ignore[misc]


class TrackedHTTPConnection(_SendTracking, HTTPConnection):
    """urllib3's HTTPConnection, reporting when the request starts to go out."""


class TrackedHTTPSConnection(_SendTracking, HTTPSConnection):
    """urllib3's HTTPSConnection, reporting when the request starts to go out."""


class TrackedHTTPConnectionPool(_TrackingPool, HTTPConnectionPool):
    ConnectionCls = TrackedHTTPConnection


class TrackedHTTPSConnectionPool(_TrackingPool, HTTPSConnectionPool):
    ConnectionCls = TrackedHTTPSConnection


#: Pool classes to install in a PoolManager (``pool_classes_by_scheme``).
TRACKED_POOLS = {"http": TrackedHTTPConnectionPool, "https": TrackedHTTPSConnectionPool}


# --------------------------------------------------------------------------- pyrate-limiter


def new_item(name: str, timestamp_ms: int) -> t.Any:
    """A weight-1 rate item stamped with our own clock (same constructor in 3.x and 4.x)."""
    return RateItem(name, timestamp_ms, weight=1)


def _rates(limit: int, interval_ms: int) -> t.List[t.Any]:
    return [Rate(limit, interval_ms)]


def memory_bucket(limit: int, interval_ms: int) -> t.Any:
    """A process-local bucket (a sorted list; our caller holds a lock around it)."""
    return InMemoryBucket(_rates(limit, interval_ms))


_SQLITE_TABLE = "CREATE TABLE IF NOT EXISTS '{table}' (name VARCHAR, item_timestamp INTEGER)"
_SQLITE_INDEX = "CREATE INDEX IF NOT EXISTS 'idx_{table}_ts' ON '{table}' (item_timestamp)"


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


def sqlite_bucket(limit: int, interval_ms: int, conn: sqlite3.Connection, table: str,
                  lock: SQLiteTransactionLock) -> t.Any:
    """A bucket stored in ``table`` of an SQLite file, guarded by ``lock``."""
    with lock:
        conn.execute(_SQLITE_TABLE.format(table=table)).close()
        conn.execute(_SQLITE_INDEX.format(table=table)).close()
    deferred = t.cast(sqlite3.Connection, DeferredCommitConnection(conn, lock))
    return SQLiteBucket(_rates(limit, interval_ms), deferred, table, lock)


def redis_bucket(limit: int, interval_ms: int, client: t.Any, key: str) -> t.Any:
    """A bucket stored in one Redis sorted set; check-and-insert is one Lua script."""
    return RedisBucket.init(_rates(limit, interval_ms), client, key)


def wait_ms(bucket: t.Any, limit: int, interval_ms: int, now_ms: int) -> int:
    """Milliseconds until ``bucket`` can admit one more item at ``now_ms`` (0: right now).

    Read-only: looks at the ``limit``-th newest item (``peek`` counts from the newest in
    both lines). pyrate counts items stamped at or after ``now - interval``, so that item
    blocks until it is ``interval`` old. We do not use ``bucket.waiting()``: it reads the
    ``failing_rate`` left by the last ``put`` on a bucket shared by threads.
    """
    item = bucket.peek(limit - 1)
    if item is None:
        return 0
    return max(0, int(item.timestamp) + interval_ms - now_ms + 1)


def put(bucket: t.Any, item: t.Any) -> bool:
    """Insert ``item`` if the bucket admits it (pyrate's own check-and-insert)."""
    return bool(bucket.put(item))


def leak(bucket: t.Any, now_ms: int) -> None:
    """Drop items older than the bucket's window (keeps storage bounded)."""
    bucket.leak(now_ms)
