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

import sqlite3
import typing as t

import pyrate_limiter
import requests
import urllib3
from pyrate_limiter import InMemoryBucket, Rate, RateItem, RedisBucket, SQLiteBucket
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

from luco_client.transport._sqlite import DeferredCommitConnection, SQLiteTransactionLock

__all__ = [
    "URLLIB3_MAJOR",
    "PYRATE_MAJOR",
    "Retry",
    "MaxRetryError",
    "NO_RETRY",
    "body_incomplete",
    "ensure_complete_body",
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


def body_incomplete(response: t.Any) -> t.Optional[requests.exceptions.ChunkedEncodingError]:
    """The error for a body that ended before its Content-Length, or ``None``.

    urllib3 2.x raises ``IncompleteRead`` itself (``enforce_content_length`` is on by
    default); 1.26 returns the truncated bytes as if they were the whole body. We build the
    same requests error 2.x leads to, so both lines classify it as SENT_NO_RESPONSE.
    """
    if URLLIB3_MAJOR >= 2:
        return None
    raw = response.raw
    remaining = getattr(raw, "length_remaining", None)
    if not remaining:
        return None
    tell = getattr(raw, "tell", None)
    got = tell() if callable(tell) else 0
    return requests.exceptions.ChunkedEncodingError(
        ProtocolError("Connection broken: IncompleteRead", IncompleteRead(t.cast(t.Any, got), remaining)))


def ensure_complete_body(response: t.Any) -> None:
    """Raise :func:`body_incomplete`'s error, if any."""
    error = body_incomplete(response)
    if error is not None:
        raise error


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
    """Drop items older than the bucket's window (keeps storage bounded).

    pyrate counts the items stamped at or after ``now - interval``, but its Redis bucket
    (3.x and 4.x) leaks with an inclusive bound, ``ZREMRANGEBYSCORE 0 (now - interval)``:
    the item stamped exactly ``now - interval`` would go while it still counts, and the
    next pass in the same millisecond would admit one too many. Leaking as of one
    millisecond earlier drops only items outside the window on every backend."""
    bucket.leak(now_ms - 1)
