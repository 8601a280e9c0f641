"""Attempt hooks, pauses and the bypass scope: the seam the client layer builds on.

* Hooks: objects with ``before(info)`` and/or ``after(info, result, retry)`` methods, called
  by the adapter around *every* attempt of a call (the first one and each retry), with the
  same types each time: ``result`` is the ``requests.Response`` when one arrived (error
  statuses included), otherwise the typed :mod:`luco_client.errors` exception (or the
  exception a validator raised). Hooks run outside the concurrency slot, so a hook may make
  requests even when the limit is 1.
* Bypass: requests made inside a hook, or inside ``with bypass():``, skip hooks, the
  throttle, pauses, concurrency limits and retries (one attempt). They are still replayed,
  validated and counted.
* Pauses: :class:`PauseBoard` holds "no request before t" marks, for all requests or for the
  requests whose URL matches a pattern (a lane); backoff hooks set them.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import typing as t

from luco_client._clock import Clock
from luco_client.errors import ConfigurationError

__all__ = ["AttemptInfo", "RetryState", "AttemptHook", "PauseBoard", "bypass", "bypassed", "check_hooks"]

_scope = threading.local()


@contextlib.contextmanager
def bypass() -> t.Iterator[None]:
    """Requests sent by this thread inside the block skip hooks, the throttle, pauses,
    concurrency limits and retries (exactly one attempt each). Replay, validators, events and stats still
    apply. Hooks run inside this scope automatically. Nesting is allowed."""
    _scope.depth = getattr(_scope, "depth", 0) + 1
    try:
        yield
    finally:
        _scope.depth -= 1


def bypassed() -> bool:
    """True inside :func:`bypass` (or a hook) on this thread."""
    return getattr(_scope, "depth", 0) > 0


class AttemptInfo(t.NamedTuple):
    """What a hook learns about the attempt: ``url`` is the real URL (it may hold secrets;
    hooks must not log it raw, use ``url_template``), ``number`` is 1-based."""

    method: str
    url: str
    url_template: str
    number: int
    max_attempts: int
    replay: bool


class RetryState(t.NamedTuple):
    """What follows the attempt: ``will_retry`` and the ``delay`` (seconds) before the next
    attempt, and ``cause`` (a redacted one-line description of the failure, ``None`` on
    success)."""

    attempt: int
    max_attempts: int
    will_retry: bool
    delay: float
    cause: t.Optional[str]

    # gracy's GracefulRetryState names
    @property
    def cur_attempt(self) -> int:
        """Retries made so far (gracy counts retries, not attempts): ``attempt - 1``."""
        return self.attempt - 1

    @property
    def success(self) -> bool:
        """Whether the attempt succeeded."""
        return self.cause is None

    @property
    def failed(self) -> bool:
        """Whether the attempt failed."""
        return self.cause is not None

    @property
    def can_retry(self) -> bool:
        """gracy's name for :attr:`will_retry`."""
        return self.will_retry

    @property
    def cant_retry(self) -> bool:
        """``not will_retry``."""
        return not self.will_retry


class AttemptHook(t.Protocol):
    """An object with ``before`` and/or ``after`` (both optional)."""

    def before(self, info: AttemptInfo) -> None: ...

    def after(self, info: AttemptInfo, result: t.Any, retry: RetryState) -> None: ...


def check_hooks(hooks: t.Iterable[t.Any], owner: str) -> t.Tuple[t.Any, ...]:
    """Validate hook objects: each needs a callable ``before`` or ``after``."""
    if hooks is None or isinstance(hooks, (str, bytes)):
        raise ConfigurationError(f"{owner}: hooks must be a sequence of hook objects, got {hooks!r}")
    try:
        items = tuple(hooks)
    except TypeError:
        raise ConfigurationError(f"{owner}: hooks must be a sequence of hook objects, got {hooks!r}") from None
    for hook in items:
        if not (callable(getattr(hook, "before", None)) or callable(getattr(hook, "after", None))):
            raise ConfigurationError(f"{owner}: {hook!r} has neither a before() nor an after() method")
    return items


class PauseBoard:
    """"Hold every request (or one lane) until t" marks, shared by all threads of an adapter.

    :meth:`pause` sets a mark; the adapter calls :meth:`wait_for` before each attempt, which
    returns the seconds still to wait (0.0 when none). Marks only ever move later.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._all = -math.inf
        self._lanes: t.Dict[str, t.Tuple[t.Pattern[str], float]] = {}

    def pause(self, seconds: float, pattern: t.Optional[str] = None) -> None:
        """Hold requests for ``seconds`` from now: all of them (``pattern=None``), or those
        whose URL or URL template matches the regular expression ``pattern``."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < math.inf:
            raise ConfigurationError(f"pause: seconds must be a finite number >= 0, got {seconds!r}")
        now = self.clock.monotonic()
        until = now + seconds
        with self._lock:
            for expired in [k for k, (_, end) in self._lanes.items() if end <= now]:
                del self._lanes[expired]  # lanes are kept only while they hold requests
            if pattern is None:
                self._all = max(self._all, until)
                return
            try:
                compiled = self._lanes[pattern][0] if pattern in self._lanes else re.compile(pattern)
            except (re.error, TypeError) as exc:
                raise ConfigurationError(f"pause: invalid pattern {pattern!r}: {exc}") from None
            previous = self._lanes.get(pattern, (compiled, -math.inf))[1]
            self._lanes[pattern] = (compiled, max(previous, until))

    def wait_for(self, url: str, template: str) -> float:
        """Seconds before a request to ``url`` may start (0.0 when it may start now)."""
        if not self._lanes and self._all == -math.inf:  # nothing was ever paused: no lock
            return 0.0
        with self._lock:
            until = self._all
            for compiled, lane_until in self._lanes.values():
                if lane_until > until and (compiled.search(url) or compiled.search(template)):
                    until = lane_until
        return max(0.0, until - self.clock.monotonic())
