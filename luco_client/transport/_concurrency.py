"""Limits on requests in flight at once, global or per URL pattern."""

from __future__ import annotations

import logging
import re
import threading
import time
import typing as t

from luco_client.errors import ConfigurationError
from luco_client.events import EventKind, LogEvent, LogLevel, emit

__all__ = ["ConcurrencyLimit"]

log = logging.getLogger("luco_client.transport.concurrency")


class ConcurrencyLimit:
    """At most ``limit`` attempts in flight at once (for URLs matching ``url_pattern``).

    :param limit: slots, an integer ≥ 1.
    :param url_pattern: regular expression searched in the URL; ``None`` (default) applies
        the limit to every request of the session.
    :param log_limit_reached: event when an attempt must wait for a slot (default DEBUG).
    :param log_limit_freed: event when a waiting attempt gets its slot (default DEBUG).
    :param uurl_pattern: gracy's name for ``url_pattern``.

    A slot is held for one attempt only (never across retry sleeps), so a call waiting to
    retry never blocks others. This object is a description; each adapter keeps its own
    semaphores for it, so two sessions never share slots, while the calls of one session
    that name the same limit (``CallOptions(concurrency=...)``) do.
    """

    __slots__ = ("limit", "log_limit_freed", "log_limit_reached", "pattern")

    def __init__(
        self,
        limit: int,
        url_pattern: t.Union[str, t.Pattern[str], None] = None,
        *,
        log_limit_reached: t.Optional[LogEvent] = LogEvent(LogLevel.DEBUG),
        log_limit_freed: t.Optional[LogEvent] = LogEvent(LogLevel.DEBUG),
        uurl_pattern: t.Union[str, t.Pattern[str], None] = None,
    ) -> None:
        if uurl_pattern is not None:  # gracy's name (matched here against the URL)
            if url_pattern is not None:
                raise ConfigurationError("ConcurrencyLimit: uurl_pattern is gracy's name for url_pattern; give one")
            url_pattern = uurl_pattern
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigurationError(f"ConcurrencyLimit: limit must be an integer >= 1, got {limit!r}")
        try:
            self.pattern = None if url_pattern is None else re.compile(url_pattern)
        except (re.error, TypeError) as exc:
            raise ConfigurationError(f"ConcurrencyLimit: invalid url_pattern {url_pattern!r}: {exc}") from None
        self.limit = limit
        self.log_limit_reached = log_limit_reached
        self.log_limit_freed = log_limit_freed

    def matches(self, url: str) -> bool:
        """Whether the limit applies to ``url``."""
        return self.pattern is None or self.pattern.search(url) is not None

    def __repr__(self) -> str:
        pattern = None if self.pattern is None else self.pattern.pattern
        return f"ConcurrencyLimit({self.limit}, {pattern!r})"


class SlotTimeout(Exception):
    """Internal: no slot became free within the allowed time."""


class ConcurrencyGate:
    """The semaphores of one adapter: one per :class:`ConcurrencyLimit` it has seen (its
    own ``limits``, and those that calls name), made on first use."""

    def __init__(self, limits: t.Sequence[ConcurrencyLimit]) -> None:
        self.limits = tuple(limits)
        self._lock = threading.Lock()
        # id(limit) -> (order of first use, the limit (kept alive, so its id stays its own), slots)
        self._slots: t.Dict[int, t.Tuple[int, ConcurrencyLimit, threading.BoundedSemaphore]] = {}
        for limit in self.limits:
            self._slot(limit)

    def _slot(self, limit: ConcurrencyLimit) -> t.Tuple[int, ConcurrencyLimit, threading.BoundedSemaphore]:
        found = self._slots.get(id(limit))
        if found is None:
            with self._lock:
                found = self._slots.get(id(limit))
                if found is None:
                    found = self._slots[id(limit)] = (len(self._slots), limit, threading.BoundedSemaphore(limit.limit))
        return found

    def acquire(
        self, url: str, timeout: t.Optional[float], fields: t.Callable[[], t.Mapping[str, t.Any]],
        limits: t.Optional[t.Sequence[ConcurrencyLimit]] = None,
    ) -> t.List[threading.BoundedSemaphore]:
        """Take one slot of every matching limit (``limits``, default the gate's own), in
        the order the gate first saw them, the same for every call (no deadlock).

        Returns the semaphores to :meth:`release`. Raises ``SlotTimeout`` after ``timeout``
        seconds, having released what it took.
        """
        taken: t.List[threading.BoundedSemaphore] = []
        chosen = self.limits if limits is None else limits
        if not chosen:
            return taken
        deadline = None if timeout is None else time.monotonic() + timeout
        slots = sorted({id(limit): self._slot(limit) for limit in chosen}.values(), key=lambda slot: slot[0])
        for _, limit, sem in slots:
            if not limit.matches(url):
                continue
            if not sem.acquire(blocking=False):
                emit(log, limit.log_limit_reached, EventKind.CONCURRENCY_REACHED, fields,
                     CONCURRENCY_LIMIT=limit.limit, CONCURRENT_REQUESTS=limit.limit)
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                if not sem.acquire(timeout=remaining):
                    self.release(taken)
                    raise SlotTimeout(limit)
                emit(log, limit.log_limit_freed, EventKind.CONCURRENCY_FREED, fields,
                     CONCURRENCY_LIMIT=limit.limit, CONCURRENT_REQUESTS=limit.limit)
            taken.append(sem)
        return taken

    @staticmethod
    def release(taken: t.Sequence[threading.BoundedSemaphore]) -> None:
        """Give back the slots taken by :meth:`acquire`."""
        for sem in reversed(taken):
            sem.release()
