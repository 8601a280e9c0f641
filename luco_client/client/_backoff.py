"""Common hooks: back off when the server says "too many requests".

Both hooks are called from your client's ``after`` (and, for symmetry with gracy,
``before``)::

    class Api(ApiClient):
        def __init__(self, **kwargs):
            self.retry_after_hook = RetryAfterBackoffHook(lock_per_endpoint=True)
            super().__init__(**kwargs)

        def after(self, context, response_or_exc, retry_state):
            self.retry_after_hook.after(context, response_or_exc, retry_state)

A pause holds the client's later attempts (every method, every thread) until it is over: all
of them, or only the endpoint's (``lock_per_endpoint=True``, matched on the URL template).
Attempts already on the wire finish; requests made inside hooks are not held.
"""

from __future__ import annotations

import logging
import math
import typing as t

from luco_client._clock import SYSTEM_CLOCK, Clock
from luco_client.client._context import RequestContext
from luco_client.errors import ConfigurationError
from luco_client.events import EventKind, LogEvent, LogLevel, emit
from luco_client.transport import parse_retry_after  # one Retry-After parser for retries and hooks

__all__ = ["RetryAfterBackoffHook", "RateLimitBackoffHook", "parse_retry_after"]

log = logging.getLogger("luco_client.client.hooks")

_RETRY_AFTER_MESSAGE = ("{UENDPOINT} produced {STATUS} and requested to wait {RETRY_AFTER}s "
                        "- waiting {RETRY_AFTER_ACTUAL_WAIT}s")
_RATE_LIMIT_MESSAGE = "{UENDPOINT} got rate limited ({STATUS}), waiting for {WAIT_TIME}s"


def _statuses(value: t.Iterable[int]) -> t.FrozenSet[int]:
    try:
        codes = frozenset(int(s) for s in value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"statuses must be HTTP status codes, got {value!r}") from None
    if not codes:
        raise ConfigurationError("statuses is empty")
    return codes


def _seconds(name: str, value: t.Any, allow_none: bool = False) -> t.Optional[float]:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ConfigurationError(f"{name} must be finite seconds >= 0, got {value!r}")
    return float(value)


def _emit(event: t.Optional[LogEvent], default: str, context: RequestContext, response: t.Any,
          **values: t.Any) -> None:
    emit(log, event, EventKind.BACKOFF, lambda: context.placeholders(getattr(response, "status_code", None)),
         response, default=default, **values)


class RetryAfterBackoffHook:
    """Pause the client as long as a ``Retry-After`` header asks (gracy's
    ``HttpHeaderRetryAfterBackOffHook``).

    :param lock_per_endpoint: pause only the endpoint that got the answer (its URL
        template), instead of every request of the client. Default False.
    :param seconds_processor: turns the requested seconds into the pause, e.g.
        ``lambda s: s + 10``. The result is clamped to ``[0, max_wait]``.
    :param max_wait: longest pause in seconds (default 600), so that a server asking for
        a day cannot freeze the client; ``None`` for no cap.
    :param statuses: statuses whose ``Retry-After`` is honoured. Default ``{429}``.
    :param log_event: logged when a pause starts; placeholders: the request's (URL,
        UURL, ENDPOINT, UENDPOINT, METHOD, STATUS, endpoint args) plus RETRY_AFTER and
        RETRY_AFTER_ACTUAL_WAIT (seconds). ``None``: silent.
    :param clock: wall clock for the HTTP-date form.
    :param reporter: gracy's first argument (its report object); accepted and ignored:
        statistics are the client's own.
    :param dry_run: compute and log the pause without pausing.

    The first four parameters take gracy's positional order.
    """

    def __init__(
        self,
        reporter: t.Any = None,
        lock_per_endpoint: bool = False,
        log_event: t.Optional[LogEvent] = LogEvent(LogLevel.WARNING),
        seconds_processor: t.Optional[t.Callable[[float], float]] = None,
        *,
        max_wait: t.Optional[float] = 600.0,
        statuses: t.Iterable[int] = (429,),
        clock: Clock = SYSTEM_CLOCK,
        dry_run: bool = False,
    ) -> None:
        if seconds_processor is not None and not callable(seconds_processor):
            raise ConfigurationError(f"seconds_processor must be callable, got {seconds_processor!r}")
        self.lock_per_endpoint = bool(lock_per_endpoint)
        self.seconds_processor = seconds_processor
        self.max_wait = _seconds("max_wait", max_wait, allow_none=True)
        self.statuses = _statuses(statuses)
        self.log_event = log_event
        self.clock = clock
        self.dry_run = bool(dry_run)

    def before(self, context: RequestContext) -> None:
        """Nothing to do: the transport holds paused requests itself."""

    def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: t.Any = None) -> t.Optional[float]:
        """Pause if the response asks to; returns the pause in seconds, or ``None``."""
        status = getattr(response_or_exc, "status_code", None)
        if status not in self.statuses:
            return None
        headers = getattr(response_or_exc, "headers", None) or {}
        requested = parse_retry_after(headers.get("Retry-After"), self.clock.time())
        if requested is None:
            return None
        wait = self.seconds_processor(requested) if self.seconds_processor is not None else requested
        wait = _seconds("seconds_processor result", wait) or 0.0
        if self.max_wait is not None:
            wait = min(wait, self.max_wait)
        if wait <= 0:
            return None
        if not self.dry_run:
            context.pause(wait, endpoint_only=self.lock_per_endpoint)
        _emit(self.log_event, _RETRY_AFTER_MESSAGE, context, response_or_exc, RETRY_AFTER=requested,
              RETRY_AFTER_ACTUAL_WAIT=wait)
        return wait


class RateLimitBackoffHook:
    """Pause the client for a fixed time after a 429 (gracy's ``RateLimitBackOffHook``).

    :param seconds: the pause, in seconds (> 0).
    :param lock_per_endpoint: pause only the endpoint that got the 429 (its URL template).
    :param statuses: statuses that trigger the pause. Default ``{429}``.
    :param log_event: logged when a pause starts; placeholders: the request's plus
        WAIT_TIME (seconds). ``None``: silent.
    :param reporter: gracy's second argument; accepted and ignored.
    :param dry_run: log without pausing.
    :param delay: gracy's name for ``seconds``.
    """

    def __init__(
        self,
        seconds: t.Optional[float] = None,
        reporter: t.Any = None,
        lock_per_endpoint: bool = False,
        log_event: t.Optional[LogEvent] = LogEvent(LogLevel.WARNING),
        *,
        statuses: t.Iterable[int] = (429,),
        dry_run: bool = False,
        delay: t.Optional[float] = None,
    ) -> None:
        if delay is not None:  # gracy's name
            if seconds is not None:
                raise ConfigurationError("RateLimitBackoffHook: delay is gracy's name for seconds; give one")
            seconds = delay
        wait = _seconds("seconds", seconds)
        if not wait:
            raise ConfigurationError("RateLimitBackoffHook: seconds must be > 0")
        self.seconds = wait
        self.lock_per_endpoint = bool(lock_per_endpoint)
        self.statuses = _statuses(statuses)
        self.log_event = log_event
        self.dry_run = bool(dry_run)

    def before(self, context: RequestContext) -> None:
        """Nothing to do: the transport holds paused requests itself."""

    def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: t.Any = None) -> t.Optional[float]:
        """Pause if the response has one of the statuses; returns the pause, or ``None``."""
        status = getattr(response_or_exc, "status_code", None)
        if status not in self.statuses:
            return None
        if not self.dry_run:
            context.pause(self.seconds, endpoint_only=self.lock_per_endpoint)
        _emit(self.log_event, _RATE_LIMIT_MESSAGE, context, response_or_exc, WAIT_TIME=self.seconds)
        return self.seconds
