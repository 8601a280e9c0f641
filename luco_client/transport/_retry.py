"""GracefulRetry: the retry policy, a ``urllib3.util.Retry`` subclass.

The adapter drives the attempt loop and asks this policy, after each failed attempt,
whether to retry and after which delay (:meth:`GracefulRetry.decide`). Like urllib3's
``Retry`` it is a value object: :meth:`~GracefulRetry.increment` returns a *new* policy
with one more entry in ``history`` and one less in ``total``; :meth:`~GracefulRetry.new`
carries every luco setting along, so one instance can be shared by threads and sessions.

Retry safety (the rule everything respects):

* NOT_SENT failures (refused, DNS, TLS, connect timeout): always safe to retry.
* SENT_NO_RESPONSE failures, retryable statuses and validator failures: only for
  idempotent calls: safe methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE), calls declared
  idempotent, or calls carrying an idempotency key.
* 429 and 503 with a ``Retry-After`` header: the server refused the work; any method.
"""

from __future__ import annotations

import datetime
import email.utils
import enum
import math
import random as _random
import typing as t

from luco_client._clock import SYSTEM_CLOCK, Clock
from luco_client.errors import ConfigurationError, Phase, TransportError, status_error_class
from luco_client.events import LogEvent, LogLevel
from luco_client.transport._compat import MaxRetryError, Retry

__all__ = ["GracefulRetry", "OverrideRetryOn", "DEFAULT_RETRY_ON", "SAFE_METHODS", "Decision", "Action",
           "parse_retry_after"]

RetryOnItem = t.Union[int, t.Type[BaseException]]
RetryOn = t.Union[None, RetryOnItem, t.Collection[RetryOnItem]]

#: What is retried by default: timeouts, throttling, gateway and server errors, and every
#: transport failure (subject to the retry-safety rule).
DEFAULT_RETRY_ON: t.FrozenSet[RetryOnItem] = frozenset({408, 425, 429, 500, 502, 503, 504, TransportError})

#: Methods that are idempotent by definition (RFC 9110 §9.2.2).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

#: Statuses whose ``Retry-After`` means "the work was refused, come back later": retrying
#: them is safe for any method.
REFUSED_STATUSES = frozenset({429, 503})

_ON_EXHAUSTED = {"raise": "raise", "break": "raise", "return": "return", "pass": "return"}
_UNSET: t.Any = object()
_LUCO_FIELDS = ("max_attempts", "delay", "delay_modifier", "max_delay", "jitter", "retry_on",
                "overrides", "on_exhausted", "respect_retry_after", "max_retry_after",
                "deadline", "log_before", "log_after", "log_exhausted", "clock", "random")



def parse_retry_after(value: t.Optional[str], now: float) -> t.Optional[float]:
    """Seconds asked by a ``Retry-After`` value: delta-seconds (int or float) or an HTTP-date
    compared with ``now`` (wall-clock seconds). ``None`` when absent or unreadable; never
    negative."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            when = when.replace(tzinfo=datetime.timezone.utc)
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class OverrideRetryOn(t.NamedTuple):
    """gracy's override value: ``overrides={503: OverrideRetryOn(delay=10)}`` is the same as
    ``overrides={503: 10}`` (the base delay after that status, in seconds)."""

    delay: float


class Action(str, enum.Enum):
    """What the policy decided after a failed attempt."""

    RETRY = "retry"
    NOT_RETRYABLE = "not_retryable"      # retry_on does not cover this failure
    UNSAFE = "unsafe"                    # retrying could duplicate a write
    EXHAUSTED = "exhausted"              # no attempts left
    RETRY_AFTER_TOO_LONG = "retry_after_too_long"
    DEADLINE = "deadline"                # the next attempt could not start in time


class Decision(t.NamedTuple):
    """The policy's answer: ``action``, ``delay`` (s), the ``policy`` for the next attempt,
    a human ``reason`` and the server's ``retry_after`` (s) when it sent one."""

    action: Action
    delay: float = 0.0
    policy: t.Optional[GracefulRetry] = None
    reason: str = ""
    retry_after: t.Optional[float] = None


class _StatusOnly:
    """What urllib3's ``increment`` reads from a response: the status, no redirect."""

    def __init__(self, status: t.Optional[int]) -> None:
        self.status = status

    def get_redirect_location(self) -> bool:
        return False


def _check_number(name: str, value: t.Any, minimum: float, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not minimum <= value < math.inf:
        raise ConfigurationError(f"GracefulRetry: {name} must be a finite number >= {minimum}, got {value!r}")


def _override_seconds(status: t.Any, value: t.Any) -> float:
    seconds = getattr(value, "delay", value)  # OverrideRetryOn(delay=...) or seconds
    _check_number(f"overrides[{status!r}]", seconds, 0)
    return float(seconds)


def _normalise_retry_on(retry_on: RetryOn) -> t.Optional[t.FrozenSet[RetryOnItem]]:
    if retry_on is None:
        return None
    items = [retry_on] if isinstance(retry_on, (int, type)) else list(retry_on)
    for item in items:
        is_status = isinstance(item, int) and not isinstance(item, bool) and 100 <= int(item) <= 599
        is_exc = isinstance(item, type) and issubclass(item, BaseException)
        if not (is_status or is_exc):
            raise ConfigurationError(
                f"GracefulRetry: retry_on takes status codes and exception classes, got {item!r}")
    return frozenset(int(i) if isinstance(i, int) else i for i in items)


class GracefulRetry(Retry):
    """Retry policy for the graceful transport.

    :param max_attempts: attempts in total, the first included (≥ 1). Default 3.
    :param delay: seconds before the first retry. Default 0.5.
    :param delay_modifier: each further retry waits ``delay * delay_modifier**(n-1)``
        (n = 1 for the first retry). Default 2.0; 1.0 keeps the delay constant.
    :param max_delay: cap of the computed delay in seconds, jitter included. Default 30.
    :param jitter: up to this many random seconds added to each delay, so that clients do
        not retry in lockstep. Default 0.1.
    :param retry_on: status codes and exception classes (from :mod:`luco_client.errors`,
        or a validator's exception) that trigger a retry; ``None`` means any failure. An
        exception class also covers the failed statuses whose typed error derives from it
        (``retry_on=Exception`` retries a 500, ``NotFoundError`` a 404).
        Default :data:`DEFAULT_RETRY_ON`. The retry-safety rule always applies on top.
    :param overrides: ``{status: seconds}`` replacing ``delay`` as the base delay after
        that status (the modifier still applies); gracy's ``OverrideRetryOn(delay=...)``
        values are accepted.
    :param on_exhausted: ``"raise"`` (default) raises the typed error of the last failure;
        ``"return"`` returns the last response instead whenever the call ends with a
        response (a failed status or a validator's rejection, retried or not), and the
        client layer hands it to the parser as gracy's ``"pass"`` does; a failure without
        a response still raises. gracy's ``"break"``/``"pass"`` are accepted as aliases,
        and so is its keyword ``behavior=``.
    :param respect_retry_after: wait as long as the server's ``Retry-After`` (seconds or
        HTTP-date) says, instead of the computed delay. Default True.
    :param max_retry_after: longest ``Retry-After`` honoured, in seconds (default 120).
        A longer one fails at once with :class:`~luco_client.errors.RetryAfterTooLongError`,
        which says when to come back.
    :param deadline: seconds for the whole call: every attempt, throttle wait and sleep.
        ``None`` (default) bounds the call only by ``max_attempts`` and the timeouts.
    :param log_before: event before sleeping for a retry (default INFO).
    :param log_after: event after the sleep (default off).
    :param log_exhausted: event when attempts run out (default WARNING).
    :param clock: time source (tests inject a fake one).
    :param random: zero-argument callable returning a float in [0, 1), for the jitter.

    The first nine parameters take gracy's positional order (``GracefulRetry(1, 3)`` is
    ``delay=1, max_attempts=3``); the others are keyword-only. Any other keyword goes to
    ``urllib3.util.Retry`` (used by :meth:`new`).
    """

    DEFAULT_MAX_ATTEMPTS = 3

    def __init__(  # noqa: PLR0917 - gracy's positional order, then ours
        self,
        delay: float = 0.5,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        delay_modifier: float = 2.0,
        retry_on: RetryOn = DEFAULT_RETRY_ON,
        log_before: t.Optional[LogEvent] = LogEvent(LogLevel.INFO),
        log_after: t.Optional[LogEvent] = None,
        log_exhausted: t.Optional[LogEvent] = LogEvent(LogLevel.WARNING),
        behavior: t.Optional[str] = None,
        overrides: t.Optional[t.Mapping[int, t.Any]] = None,
        *,
        total: t.Any = _UNSET,
        max_delay: float = 30.0,
        jitter: float = 0.1,
        on_exhausted: str = "raise",
        respect_retry_after: bool = True,
        max_retry_after: float = 120.0,
        deadline: t.Optional[float] = None,
        clock: Clock = SYSTEM_CLOCK,
        random: t.Callable[[], float] = _random.random,
        **urllib3_kwargs: t.Any,
    ) -> None:
        if behavior is not None:  # gracy's name for on_exhausted
            if on_exhausted != "raise" and _ON_EXHAUSTED.get(on_exhausted) != _ON_EXHAUSTED.get(behavior):
                raise ConfigurationError("GracefulRetry: behavior is gracy's name for on_exhausted; give one")
            on_exhausted = behavior
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ConfigurationError(f"GracefulRetry: max_attempts must be an integer >= 1, got {max_attempts!r}")
        _check_number("delay", delay, 0)
        _check_number("delay_modifier", delay_modifier, 0)
        _check_number("max_delay", max_delay, 0)
        _check_number("jitter", jitter, 0)
        _check_number("max_retry_after", max_retry_after, 0)
        _check_number("deadline", deadline, 0, allow_none=True)
        if deadline is not None and deadline <= 0:
            raise ConfigurationError(f"GracefulRetry: deadline must be positive seconds, got {deadline!r}")
        if on_exhausted not in _ON_EXHAUSTED:
            raise ConfigurationError(f"GracefulRetry: on_exhausted must be 'raise' or 'return' (gracy: 'break' or "
                                     f"'pass'), got {on_exhausted!r}")
        override_seconds = {status: _override_seconds(status, value) for status, value in (overrides or {}).items()}
        self.max_attempts = max_attempts
        self.delay = float(delay)
        self.delay_modifier = float(delay_modifier)
        self.max_delay = float(max_delay)
        self.jitter = float(jitter)
        self.retry_on = _normalise_retry_on(retry_on)
        self.overrides: t.Dict[int, float] = {int(k): v for k, v in override_seconds.items()}
        self.on_exhausted = _ON_EXHAUSTED[on_exhausted]
        self.respect_retry_after = bool(respect_retry_after)
        self.max_retry_after = float(max_retry_after)
        self.deadline = None if deadline is None else float(deadline)
        self.log_before = log_before
        self.log_after = log_after
        self.log_exhausted = log_exhausted
        self.clock = clock
        self.random = random
        urllib3_kwargs.setdefault("allowed_methods", None)  # method safety is decided here
        urllib3_kwargs.setdefault("raise_on_status", on_exhausted == "raise")
        urllib3_kwargs.setdefault("respect_retry_after_header", self.respect_retry_after)
        super().__init__(total=max_attempts - 1 if total is _UNSET else total, **urllib3_kwargs)

    # ------------------------------------------------------------------ urllib3 protocol

    def new(self, **kw: t.Any) -> GracefulRetry:
        """A copy with ``kw`` changed; luco settings are carried along (urllib3 needs this)."""
        for name in _LUCO_FIELDS:
            kw.setdefault(name, getattr(self, name))
        return super().new(**kw)

    def get_backoff_time(self) -> float:
        """The computed delay before the next attempt, from ``history`` (no Retry-After)."""
        if not self.history:
            return 0.0
        return self.backoff(len(self.history), self.history[-1].status)

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds to wait for a ``Retry-After`` value (delta-seconds or HTTP-date).

        Uses the policy's clock for the HTTP-date form. Raises ``ValueError`` on junk.
        """
        value = self.retry_after_seconds(retry_after)
        if value is None:
            raise ValueError(f"invalid Retry-After value: {retry_after!r}")
        return value

    def sleep(self, response: t.Any = None) -> None:
        """Sleep as urllib3 would (Retry-After, else backoff), on the policy's clock."""
        header = None
        if response is not None:
            headers = getattr(response, "headers", None) or {}
            header = headers.get("Retry-After")
        wait = self.retry_after_seconds(header) if (header and self.respect_retry_after) else None
        self.clock.sleep(wait if wait is not None else self.get_backoff_time())

    # ------------------------------------------------------------------ luco policy

    @property
    def attempts_made(self) -> int:
        """Attempts already made by the call this policy belongs to."""
        return len(self.history)

    def backoff(self, retry_number: int, status: t.Optional[int] = None) -> float:
        """Delay before retry number ``retry_number`` (1-based) after ``status``."""
        base = self.overrides.get(status, self.delay) if status is not None else self.delay
        try:
            raw = base * (self.delay_modifier ** min(max(0, retry_number - 1), 10_000))
        except OverflowError:  # a huge exponent: the cap applies anyway
            raw = math.inf
        if self.jitter:
            raw += self.random() * self.jitter
        return max(0.0, min(self.max_delay, raw))

    def retry_after_seconds(self, value: t.Optional[str]) -> t.Optional[float]:
        """Parse ``Retry-After`` against this policy's clock (see :func:`parse_retry_after`)."""
        return parse_retry_after(value, self.clock.time())

    def covers(self, status: t.Optional[int], error: t.Optional[BaseException]) -> bool:
        """Whether ``retry_on`` asks to retry this failure.

        A failed status is covered by its code, or by an exception class that its typed
        error (:func:`~luco_client.errors.status_error_class`) derives from: as in gracy,
        where a failed status *is* an exception, ``retry_on=Exception`` retries a 500.
        """
        if self.retry_on is None:
            return True
        if error is not None:
            if any(isinstance(item, type) and isinstance(error, item) for item in self.retry_on):
                return True
            if isinstance(error, TransportError):
                return False
        if status is None:
            return False
        if status in self.retry_on:
            return True
        typed = status_error_class(status) if status >= 400 else None
        return typed is not None and any(isinstance(item, type) and issubclass(typed, item) for item in self.retry_on)

    @staticmethod
    def is_safe(phase: Phase, status: t.Optional[int], has_retry_after: bool, idempotent: bool) -> t.Tuple[bool, str]:
        """The retry-safety rule: may this failure be retried without risking a duplicate?"""
        if phase is Phase.NOT_SENT:
            return True, "the request was never sent"
        if status in REFUSED_STATUSES and has_retry_after:
            return True, f"the server refused the work ({status} with Retry-After)"
        if idempotent:
            return True, "the call is idempotent"
        if phase is Phase.SENT_NO_RESPONSE:
            return False, "the request was sent, no response came back, and the call is not idempotent"
        return False, "the call is not idempotent (declare it idempotent or send an idempotency key)"

    def decide(
        self,
        method: str,
        url: str,
        *,
        phase: Phase,
        status: t.Optional[int],
        error: t.Optional[BaseException],
        retry_after: t.Optional[str],
        idempotent: bool,
        remaining: t.Optional[float],
    ) -> Decision:
        """Decide what follows a failed attempt.

        :param phase: how far the attempt got.
        :param status: the response status, if any.
        :param error: the typed transport error or the validator's exception, if any.
        :param retry_after: the raw ``Retry-After`` header, if any.
        :param idempotent: whether the call may be repeated safely.
        :param remaining: seconds left before the deadline (``None``: no deadline).
        """
        if not self.covers(status, error):
            return Decision(Action.NOT_RETRYABLE, reason="not covered by retry_on")
        server_wait = self.retry_after_seconds(retry_after) if self.respect_retry_after else None
        safe, why = self.is_safe(phase, status, server_wait is not None, idempotent)
        if not safe:
            return Decision(Action.UNSAFE, reason=why)
        try:
            # urllib3 reads only .status and .get_redirect_location() from the response.
            policy = self.increment(
                method, url,
                response=t.cast(t.Any, _StatusOnly(status)) if error is None else None,
                error=error if isinstance(error, Exception) else None,
            )
        except MaxRetryError:
            return Decision(Action.EXHAUSTED, reason=f"all {self.max_attempts} attempts used",
                            retry_after=server_wait)
        if server_wait is not None:
            limit = self.max_retry_after if remaining is None else min(self.max_retry_after, remaining)
            if server_wait > limit:
                return Decision(Action.RETRY_AFTER_TOO_LONG, reason=(
                    f"server asked to wait {server_wait:.1f}s, more than the {limit:.1f}s allowed"),
                    retry_after=server_wait)
            delay = server_wait
        else:
            delay = policy.get_backoff_time()
        if remaining is not None and delay >= remaining:
            return Decision(Action.DEADLINE, delay=delay, reason=(
                f"the next attempt would start after the deadline ({delay:.2f}s > {remaining:.2f}s left)"))
        return Decision(Action.RETRY, delay=delay, policy=policy, reason=why, retry_after=server_wait)

    def __repr__(self) -> str:
        return (f"GracefulRetry(max_attempts={self.max_attempts}, delay={self.delay}, "
                f"delay_modifier={self.delay_modifier}, max_delay={self.max_delay}, "
                f"attempts_made={self.attempts_made})")
