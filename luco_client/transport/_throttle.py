"""Client-side throttling: rules of (URL regex, max requests, per time window).

Every attempt (retries included) passes :meth:`Throttle.acquire` right before it goes on
the wire. All rules matching the URL must admit it. Buckets live in a backend: process
memory (default), an SQLite file shared by the processes of one machine, or Redis shared by
machines. The guarantee is stated on the admission stamps, for every rule: never more than
``max_requests`` attempts stamped in any window of ``per_time`` (widened by the guard); see
:class:`Throttle` for what that means for the arrival times a server sees.
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
from luco_client.transport._sqlite import SQLiteTransactionLock, sqlite_connection

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

    The limit is kept at admission: among the attempts this rule admits, no window of
    ``per_time`` plus the throttle's ``guard`` holds more than ``max_requests`` admission
    stamps, whichever threads, processes or machines share the backend. The guard is the
    margin for the time an admitted attempt takes to reach the server; :class:`Throttle`
    says what it covers and what it does not.

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
        self._tx: t.Optional[SQLiteTransactionLock] = None

    def _prepare(self) -> None:
        if self._pid != os.getpid() or self._tx is None:
            self._conn, self._tx = sqlite_connection(self.path)
            self._buckets = {}
            self._pid = os.getpid()

    def _new_bucket(self, rule: ThrottleRule, interval_ms: int) -> t.Any:
        tx = t.cast(SQLiteTransactionLock, self._tx)
        return _compat.sqlite_bucket(rule.max_requests, interval_ms, tx.conn, f"luco_{rule.key}", tx)

    @contextlib.contextmanager
    def atomic(self, timeout: t.Optional[float] = None) -> t.Iterator[None]:
        """An IMMEDIATE transaction; waits at most ``timeout`` (else 60 s) for other processes."""
        with self._lock:
            self._prepare()
            tx = t.cast(SQLiteTransactionLock, self._tx)
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

    **What is guaranteed, at admission.** Each attempt that :meth:`acquire` admits gets an
    admission stamp: the backend's clock in whole milliseconds (``clock.monotonic()`` for
    :class:`MemoryBackend`; ``clock.time()``, since the epoch, for the shared backends),
    taken inside the backend's critical section, so stamps follow admission order across
    threads and processes (and across machines as far as their clocks agree). For every
    rule, no closed window of :meth:`window_ms` (``per_time`` plus ``guard``) ever holds
    more than ``max_requests`` stamps of the attempts the rule admitted; a fortiori no
    trailing window of ``per_time`` does. This holds however busy the machine is, for every
    thread, process and machine that shares the backend (machines sharing Redis need
    synchronised clocks). ``on_admit`` exposes the stamps.

    **What the server sees.** An attempt reaches the server some time after its stamp: the
    send latency (building the request, the connection pool, the kernel, the network, the
    server's accept). Two attempts stamped ``max_requests`` places apart are at least
    ``per_time + guard`` apart, so a server counting over ``per_time`` never sees more than
    ``max_requests`` as long as every attempt arrives within ``guard`` of its stamp. The
    default guard (5% of the window, at most 25 ms) covers loopback and LAN latency on a
    machine with CPU to spare. It does not cover scheduling delays: on a loaded machine an
    admitted thread can wait tens or hundreds of milliseconds for a CPU (or the GIL) before
    it sends, and clock offsets between hosts sharing Redis eat into the same margin. When
    the server counts strictly (the request over its limit gets a 429), widen the margin,
    e.g. ``guard=0.25``: each window then admits its ``max_requests`` over
    ``per_time + 0.25`` seconds.

    :param rules: one :class:`ThrottleRule` or several; every rule matching a URL applies.
    :param backend: where buckets live; default a fresh :class:`MemoryBackend`, so two
        throttles never share budget unless given the same shared backend.
    :param log_limit_reached: event when a request must wait (default INFO).
    :param log_wait_over: event when the wait is over (default DEBUG).
    :param guard: seconds added to each rule's window, the margin for send latency
        described above (≥ 0; default ``min(0.025, 0.05 * per_time)``, rounded to whole
        milliseconds).
    :param clock: time source (tests inject a fake one).
    :param on_admit: optional callback ``(rule, stamp_ms)``, called in the admitted thread
        after each admission, once per rule that applied, with the admission stamp (an
        ``int``, milliseconds, as described above); default ``None``. It runs outside the
        backend's critical section, before the attempt is sent; an exception it raises
        propagates to the caller and the attempt is not sent (its token stays spent). For
        tests and metrics: the promise above is a property of these stamps. Copies of a
        throttle made per client instance keep it.
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
        on_admit: t.Optional[t.Callable[[ThrottleRule, int], None]] = None,
    ) -> None:
        rule_list = [rules] if isinstance(rules, ThrottleRule) else list(rules)
        if not all(isinstance(r, ThrottleRule) for r in rule_list):
            raise ConfigurationError("Throttle rules must be ThrottleRule objects")
        if guard is not None and (isinstance(guard, bool) or not isinstance(guard, (int, float)) or not guard >= 0):
            raise ConfigurationError(f"Throttle: guard must be seconds >= 0, got {guard!r}")
        if on_admit is not None and not callable(on_admit):
            raise ConfigurationError(f"Throttle: on_admit must be callable, got {on_admit!r}")
        # Most restrictive first: a request blocked by it does not spend a token elsewhere.
        self.rules: t.Tuple[ThrottleRule, ...] = tuple(
            sorted(rule_list, key=lambda r: r.max_requests / r.per_seconds)
        )
        self.backend = backend if backend is not None else MemoryBackend()
        self.log_limit_reached = log_limit_reached
        self.log_wait_over = log_wait_over
        self.guard = guard
        self.clock = clock
        self.on_admit = on_admit
        self._last_leak: t.Dict[str, int] = {}
        self._intervals = {rule.key: self._interval_ms(rule) for rule in self.rules}
        self._rules_for = functools.lru_cache(maxsize=4096)(self._match)

    def _interval_ms(self, rule: ThrottleRule) -> int:
        guard = self.guard if self.guard is not None else min(0.025, rule.per_seconds * 0.05)
        return rule.interval_ms + round(guard * 1000)

    def window_ms(self, rule: ThrottleRule) -> int:
        """The window this throttle keeps for ``rule``, in whole milliseconds: ``per_time``
        plus the guard. No closed window of this length holds more than ``max_requests``
        admission stamps of the rule."""
        return self._interval_ms(rule)

    def _now_ms(self) -> int:
        now = self.clock.time() if self.backend.wall_clock else self.clock.monotonic()
        return int(now * 1000)

    def _match(self, url: str) -> t.Tuple[ThrottleRule, ...]:
        return tuple(r for r in self.rules if r.matches(url))

    def rules_for(self, url: str) -> t.Tuple[ThrottleRule, ...]:
        """The rules that apply to ``url`` (memoised for the latest 4096 URLs)."""
        return self._rules_for(url)

    def _try_all(self, rules: t.Sequence[ThrottleRule], name: str,
                 timeout: t.Optional[float]) -> t.Tuple[t.Optional[ThrottleRule], int, int]:
        """One pass: if every rule admits now, spend one token in each; else spend none and
        say which rule blocks longest and for how long (ms). Also returns the pass's stamp
        (ms), the admission stamp when admitted."""
        try:
            return self._pass(rules, name, timeout)
        except LucoClientError:
            raise
        except Exception as exc:  # the store failed: never skip the limit silently
            raise ThrottleBackendError(
                f"throttle store {type(self.backend).__name__} failed: {type(exc).__name__}: "
                f"{redact_text(str(exc))[:200]}") from None

    def _pass(self, rules: t.Sequence[ThrottleRule], name: str,
              timeout: t.Optional[float]) -> t.Tuple[t.Optional[ThrottleRule], int, int]:
        with self.backend.atomic(timeout):
            now = self._now_ms()  # stamped inside the critical section: stamps stay ordered
            if len(rules) == 1:  # one rule: pyrate's own check-and-insert is the whole pass
                rule = rules[0]
                interval = self._intervals[rule.key]
                bucket = self.backend.bucket(rule, interval)
                if not _compat.put(bucket, _compat.new_item(name, now)):
                    return rule, max(1, _compat.wait_ms(bucket, rule.max_requests, interval, now)), now
                self._maybe_leak(rule, bucket, now)
                return None, 0, now
            buckets = [(rule, self.backend.bucket(rule, self._intervals[rule.key])) for rule in rules]
            blocking: t.Optional[ThrottleRule] = None
            longest = 0
            for rule, bucket in buckets:
                wait = _compat.wait_ms(bucket, rule.max_requests, self._intervals[rule.key], now)
                if wait > longest:
                    blocking, longest = rule, wait
            if blocking is not None:
                return blocking, longest, now
            for rule, bucket in buckets:
                if not _compat.put(bucket, _compat.new_item(name, now)):  # only if the backend races
                    wait = max(1, _compat.wait_ms(bucket, rule.max_requests, self._intervals[rule.key], now))
                    return rule, wait, now
                self._maybe_leak(rule, bucket, now)
        return None, 0, now

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
        :returns: seconds waited (0.0 when admitted at once). ``on_admit`` has been called
            by then, for each rule that applied.
        """
        rules = self.rules_for(url)
        if not rules:
            return 0.0
        name = rules[0].key
        start = self.clock.monotonic()
        blocked = False
        while True:
            left = None if timeout is None else max(0.0, timeout - (self.clock.monotonic() - start))
            rule, wait_ms, stamp = self._try_all(rules, name, left)
            waited = self.clock.monotonic() - start
            if rule is None:
                if self.on_admit is not None:
                    for admitted in rules:
                        self.on_admit(admitted, stamp)
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
