"""Client-side throttling: rules of (URL regex, max requests, per time window).

Every attempt (retries included) passes :meth:`Throttle.acquire` right before it goes on
the wire. All rules matching the URL must admit it. Buckets live in a backend: process
memory (default), an SQLite file shared by the processes of one machine, or Redis shared by
machines. The guarantee, for every rule: never more than ``max_requests`` attempts admitted
in any trailing window of ``per_time``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import sqlite3
import threading
import typing as t
from datetime import timedelta

from luco_client._clock import SYSTEM_CLOCK, Clock
from luco_client._redact import redact_text
from luco_client.errors import ConfigurationError, DeadlineExceededError, LucoClientError, ThrottleBackendError
from luco_client.events import EventKind, LogEvent, LogLevel, emit
from luco_client.transport import _compat

__all__ = [
    "ThrottleRule",
    "Throttle",
    "ThrottleBackend",
    "MemoryBackend",
    "SQLiteBackend",
    "RedisBackend",
]

log = logging.getLogger("luco_client.transport.throttle")


class ThrottleRule:
    """At most ``max_requests`` requests per ``per_time`` to URLs matching ``url_pattern``.

    :param url_pattern: a regular expression (string or compiled), searched in the full URL.
    :param max_requests: requests admitted per window, an integer ≥ 1.
    :param per_time: the window, a :class:`~datetime.timedelta` or seconds (float > 0).
        Default one second. ``ThrottleRule(r"/search", 1, 2.0)`` is 0.5 request/s.
        gracy's name ``per_time_range=`` is accepted too.

    Invalid values raise :class:`~luco_client.errors.ConfigurationError`.
    """

    __slots__ = ("key", "max_requests", "pattern", "per_seconds")

    def __init__(
        self,
        url_pattern: t.Union[str, t.Pattern[str]],
        max_requests: int,
        per_time: t.Union[timedelta, float] = timedelta(seconds=1),
        *,
        per_time_range: t.Union[timedelta, float, None] = None,
    ) -> None:
        if per_time_range is not None:  # gracy's name
            per_time = per_time_range
        try:
            self.pattern = re.compile(url_pattern)
        except (re.error, TypeError) as exc:
            raise ConfigurationError(f"ThrottleRule: invalid url_pattern {url_pattern!r}: {exc}") from None
        if isinstance(max_requests, bool) or not isinstance(max_requests, int) or max_requests < 1:
            raise ConfigurationError(f"ThrottleRule: max_requests must be an integer >= 1, got {max_requests!r}")
        seconds = per_time.total_seconds() if isinstance(per_time, timedelta) else per_time
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
            raise ConfigurationError(f"ThrottleRule: per_time must be positive, got {per_time!r}")
        self.max_requests = max_requests
        self.per_seconds = float(seconds)
        ident = f"{self.pattern.pattern}|{max_requests}|{self.interval_ms}"
        #: Stable identity of the rule, shared by every process that declares the same rule.
        self.key = hashlib.sha1(ident.encode()).hexdigest()[:16]

    @property
    def interval_ms(self) -> int:
        """The window in whole milliseconds (at least 1)."""
        return max(1, round(self.per_seconds * 1000))

    @property
    def time_range(self) -> str:
        """The window in words: ``"second"``, ``"90 seconds"`` (THROTTLE_TIME_RANGE)."""
        return "second" if self.per_seconds == 1 else f"{self.per_seconds:g} seconds"

    # gracy's attribute names
    url_pattern = property(lambda self: self.pattern, doc="gracy's name for :attr:`pattern`.")
    per_time_range = property(lambda self: timedelta(seconds=self.per_seconds),
                              doc="The window as a timedelta (gracy's name).")
    readable_time_range = property(lambda self: self.time_range, doc="gracy's name for :attr:`time_range`.")

    def matches(self, url: str) -> bool:
        """Whether the rule applies to ``url``."""
        return self.pattern.search(url) is not None

    def __str__(self) -> str:
        return f"{self.max_requests} requests per {self.time_range} for URLs matching {self.pattern!r}"

    def __repr__(self) -> str:
        return f"ThrottleRule({self.pattern.pattern!r}, {self.max_requests}, {self.per_seconds:g})"


class ThrottleBackend:
    """Where buckets live. Subclasses: :class:`MemoryBackend`, :class:`SQLiteBackend`,
    :class:`RedisBackend`. ``wall_clock`` says whether timestamps are wall-clock (shared
    with other processes) or monotonic (this process only)."""

    wall_clock = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._buckets: t.Dict[str, t.Any] = {}

    def bucket(self, rule: ThrottleRule, interval_ms: int) -> t.Any:
        """The bucket of ``rule`` (created on first use, then reused)."""
        with self._lock:
            self._prepare()
            found = self._buckets.get(rule.key)
            if found is None:
                found = self._buckets[rule.key] = self._new_bucket(rule, interval_ms)
            return found

    def _prepare(self) -> None:
        """Called under the lock before a bucket is looked up (e.g. to reconnect)."""

    def _new_bucket(self, rule: ThrottleRule, interval_ms: int) -> t.Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def atomic(self, timeout: t.Optional[float] = None) -> t.ContextManager[object]:
        """A context in which a pass over several buckets is not interleaved with others.

        :param timeout: longest wait (seconds) for other holders; ``None``: the backend's
            own limit. Running out raises ``ThrottleTimeout``.
        """
        return _NULL_CONTEXT

    def close(self) -> None:
        """Release connections (idempotent)."""
        with self._lock:
            self._buckets = {}


class _NullContext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NULL_CONTEXT = _NullContext()


class MemoryBackend(ThrottleBackend):
    """Buckets in this process's memory (the default). Each throttle gets its own."""

    def _new_bucket(self, rule: ThrottleRule, interval_ms: int) -> t.Any:
        return _compat.memory_bucket(rule.max_requests, interval_ms)

    def atomic(self, timeout: t.Optional[float] = None) -> t.ContextManager[object]:
        return self._lock  # held for microseconds by this process only


class SQLiteBackend(ThrottleBackend):
    """Buckets in an SQLite file, shared by all processes of one machine that use ``path``.

    Each check-and-insert runs inside an ``IMMEDIATE`` transaction, so processes never
    over-admit. Safe after ``fork``: a child process opens its own connection.
    Timestamps are wall-clock milliseconds.
    """

    wall_clock = True

    def __init__(self, path: t.Union[str, os.PathLike[str]]) -> None:
        super().__init__()
        self.path = os.fspath(path)
        self._pid = -1
        self._conn: t.Any = None
        self._tx: t.Optional[_compat.SQLiteTransactionLock] = None

    def _prepare(self) -> None:
        if self._pid != os.getpid() or self._tx is None:
            self._conn, self._tx = _compat.sqlite_connection(self.path)
            self._buckets = {}
            self._pid = os.getpid()

    def _new_bucket(self, rule: ThrottleRule, interval_ms: int) -> t.Any:
        tx = t.cast(_compat.SQLiteTransactionLock, self._tx)
        return _compat.sqlite_bucket(rule.max_requests, interval_ms, tx.conn, f"luco_{rule.key}", tx)

    @contextlib.contextmanager
    def atomic(self, timeout: t.Optional[float] = None) -> t.Iterator[None]:
        """An IMMEDIATE transaction; waits at most ``timeout`` (else 60 s) for other processes."""
        with self._lock:
            self._prepare()
            tx = t.cast(_compat.SQLiteTransactionLock, self._tx)
        try:
            with tx.hold(timeout):
                yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ThrottleTimeout(f"the throttle database {self.path} stayed locked by another process") from None
            raise

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn, self._tx, self._buckets, self._pid = None, None, {}, -1


class RedisBackend(ThrottleBackend):
    """Buckets in Redis, shared by every machine using the same server and ``prefix``.

    :param client: a synchronous ``redis.Redis`` client; or give ``url``.
    :param url: e.g. ``redis://127.0.0.1:6379/0`` (needs the ``redis`` extra).
    :param prefix: key prefix, default ``"luco:throttle"``.

    Each check-and-insert is one atomic Lua script. Timestamps come from this machine's wall
    clock, so hosts sharing a bucket need synchronised clocks (NTP).
    """

    wall_clock = True

    def __init__(self, client: t.Any = None, *, url: t.Optional[str] = None, prefix: str = "luco:throttle") -> None:
        super().__init__()
        if client is None:
            if url is None:
                raise ConfigurationError("RedisBackend needs a redis client or a url")
            try:
                import redis  # noqa: PLC0415 - optional extra, imported on use
            except ImportError:
                raise ConfigurationError(
                    "RedisBackend(url=...) needs the redis package: pip install 'luco-client[redis]'"
                ) from None
            client = redis.Redis.from_url(url)
        self.client = client
        self.prefix = prefix

    def _new_bucket(self, rule: ThrottleRule, interval_ms: int) -> t.Any:
        return _compat.redis_bucket(rule.max_requests, interval_ms, self.client, f"{self.prefix}:{rule.key}")

    @contextlib.contextmanager
    def atomic(self, timeout: t.Optional[float] = None) -> t.Iterator[None]:
        """Hold a Redis lock (shared by every client of ``prefix``) for one pass, so each
        pass stamps its time and counts with no other pass in between. Waits at most
        ``timeout`` seconds (else 10 s) for it; the lock expires after 10 s should its holder
        die. A lock that expired while held (a stalled process) is logged, not raised: the
        pass is done by then."""
        with self._lock:
            lock = self.client.lock(f"{self.prefix}:lock", timeout=10, sleep=0.01,
                                    blocking_timeout=10 if timeout is None else max(0.01, timeout))
            if not lock.acquire():
                raise ThrottleTimeout(f"the Redis throttle lock {self.prefix}:lock stayed taken")
            try:
                yield
            finally:
                try:
                    lock.release()
                except Exception as exc:  # LockNotOwnedError: it expired while we held it
                    log.warning("Redis throttle lock %s:lock expired during a pass (%s); a stalled "
                                "process may have let two passes overlap", self.prefix, type(exc).__name__)


class ThrottleTimeout(DeadlineExceededError):
    """The throttle could not admit the request within the allowed time (a
    :class:`~luco_client.errors.DeadlineExceededError`; the request was not sent)."""


class Throttle:
    """Client-side rate limits applied to every attempt.

    :param rules: one :class:`ThrottleRule` or several; every rule matching a URL applies.
    :param backend: where buckets live; default a fresh :class:`MemoryBackend`, so two
        throttles never share budget unless given the same shared backend.
    :param log_limit_reached: event when a request must wait (default INFO).
    :param log_wait_over: event when the wait is over (default DEBUG).
    :param guard: extra seconds added to each window (default: 5% of the window, at most
        25 ms) so that network jitter between our clock and the server's cannot make the
        server see more than ``max_requests`` in a window.
    :param clock: time source (tests inject a fake one).
    """

    def __init__(
        self,
        rules: t.Union[ThrottleRule, t.Sequence[ThrottleRule]],
        log_limit_reached: t.Optional[LogEvent] = LogEvent(LogLevel.INFO),
        log_wait_over: t.Optional[LogEvent] = LogEvent(LogLevel.DEBUG),
        *,
        backend: t.Optional[ThrottleBackend] = None,
        guard: t.Optional[float] = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        rule_list = [rules] if isinstance(rules, ThrottleRule) else list(rules)
        if not all(isinstance(r, ThrottleRule) for r in rule_list):
            raise ConfigurationError("Throttle rules must be ThrottleRule objects")
        # Most restrictive first: a request blocked by it does not spend a token elsewhere.
        self.rules: t.Tuple[ThrottleRule, ...] = tuple(
            sorted(rule_list, key=lambda r: r.max_requests / r.per_seconds)
        )
        self.backend = backend if backend is not None else MemoryBackend()
        self.log_limit_reached = log_limit_reached
        self.log_wait_over = log_wait_over
        self.guard = guard
        self.clock = clock
        self._last_leak: t.Dict[str, int] = {}
        self._intervals = {rule.key: self._interval_ms(rule) for rule in self.rules}
        self._rules_for = functools.lru_cache(maxsize=4096)(self._match)

    def _interval_ms(self, rule: ThrottleRule) -> int:
        guard = self.guard if self.guard is not None else min(0.025, rule.per_seconds * 0.05)
        return rule.interval_ms + round(guard * 1000)

    def _now_ms(self) -> int:
        now = self.clock.time() if self.backend.wall_clock else self.clock.monotonic()
        return int(now * 1000)

    def _match(self, url: str) -> t.Tuple[ThrottleRule, ...]:
        return tuple(r for r in self.rules if r.matches(url))

    def rules_for(self, url: str) -> t.Tuple[ThrottleRule, ...]:
        """The rules that apply to ``url`` (memoised for the latest 4096 URLs)."""
        return self._rules_for(url)

    def _try_all(self, rules: t.Sequence[ThrottleRule], name: str,
                 timeout: t.Optional[float]) -> t.Tuple[t.Optional[ThrottleRule], int]:
        """One pass: if every rule admits now, spend one token in each; else spend none and
        say which rule blocks longest and for how long (ms)."""
        try:
            return self._pass(rules, name, timeout)
        except LucoClientError:
            raise
        except Exception as exc:  # the store failed: never skip the limit silently
            raise ThrottleBackendError(
                f"throttle store {type(self.backend).__name__} failed: {type(exc).__name__}: "
                f"{redact_text(str(exc))[:200]}") from None

    def _pass(self, rules: t.Sequence[ThrottleRule], name: str,
              timeout: t.Optional[float]) -> t.Tuple[t.Optional[ThrottleRule], int]:
        with self.backend.atomic(timeout):
            now = self._now_ms()  # stamped inside the critical section: stamps stay ordered
            if len(rules) == 1:  # one rule: pyrate's own check-and-insert is the whole pass
                rule = rules[0]
                interval = self._intervals[rule.key]
                bucket = self.backend.bucket(rule, interval)
                if not _compat.put(bucket, _compat.new_item(name, now)):
                    return rule, max(1, _compat.wait_ms(bucket, rule.max_requests, interval, now))
                self._maybe_leak(rule, bucket, now)
                return None, 0
            buckets = [(rule, self.backend.bucket(rule, self._intervals[rule.key])) for rule in rules]
            blocking: t.Optional[ThrottleRule] = None
            longest = 0
            for rule, bucket in buckets:
                wait = _compat.wait_ms(bucket, rule.max_requests, self._intervals[rule.key], now)
                if wait > longest:
                    blocking, longest = rule, wait
            if blocking is not None:
                return blocking, longest
            for rule, bucket in buckets:
                if not _compat.put(bucket, _compat.new_item(name, now)):  # only if the backend races
                    return rule, max(1, _compat.wait_ms(bucket, rule.max_requests, self._intervals[rule.key], now))
                self._maybe_leak(rule, bucket, now)
        return None, 0

    def _maybe_leak(self, rule: ThrottleRule, bucket: t.Any, now: int) -> None:
        """Drop expired items at most once per window (keeps buckets small)."""
        if now - self._last_leak.get(rule.key, 0) >= self._intervals[rule.key]:
            self._last_leak[rule.key] = now
            _compat.leak(bucket, now)

    def acquire(
        self,
        url: str,
        *,
        timeout: t.Optional[float] = None,
        fields: t.Callable[[], t.Mapping[str, t.Any]] = dict,
    ) -> float:
        """Wait until every rule matching ``url`` admits one more request.

        :param timeout: longest wait in seconds (``None``: no limit). If the rules cannot
            admit within it, raises ``ThrottleTimeout`` (a DeadlineExceededError) without
            sleeping in vain. A failing shared store raises ThrottleBackendError.
        :param fields: event placeholders of the request (URL, METHOD, ...).
        :returns: seconds waited (0.0 when admitted at once).
        """
        rules = self.rules_for(url)
        if not rules:
            return 0.0
        name = rules[0].key
        start = self.clock.monotonic()
        blocked = False
        while True:
            left = None if timeout is None else max(0.0, timeout - (self.clock.monotonic() - start))
            rule, wait_ms = self._try_all(rules, name, left)
            waited = self.clock.monotonic() - start
            if rule is None:
                if not blocked:
                    return 0.0
                emit(log, self.log_wait_over, EventKind.THROTTLE_OVER, fields, THROTTLE_TIME=waited)
                return waited
            wait = wait_ms / 1000.0 + 0.001
            if timeout is not None and waited + wait > timeout:
                raise ThrottleTimeout(f"throttle {rule} needs {wait:.2f}s more after {waited:.2f}s")
            if not blocked:
                blocked = True
                emit(log, self.log_limit_reached, EventKind.THROTTLE_REACHED, fields,
                     THROTTLE_LIMIT=rule.max_requests, THROTTLE_TIME=wait, THROTTLE_TIME_RANGE=rule.time_range)
            self.clock.sleep(wait)

    def close(self) -> None:
        """Close the backend's connections."""
        self.backend.close()
