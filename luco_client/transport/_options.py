"""Per-call settings and timeouts, as frozen values.

:class:`CallSettings` is the one declaration of the settings a call can carry (retry,
timeout, deadline, idempotency, validators, throttle, concurrency limits, log events):
:class:`CallOptions` (one call through a session) and the client layer's
:class:`~luco_client.client.Settings` (which adds the status policy and parsers) are
derived from it, so both take the same keywords (and the same gracy spellings), check
values the same way and merge the same way (:func:`luco_client._fields.layered`).
"""

from __future__ import annotations

import math
import typing as t
from dataclasses import dataclass

from luco_client._fields import UNSET, SettingsBase, setting, settings_class
from luco_client.errors import ConfigurationError
from luco_client.events import LogEvent
from luco_client.transport._concurrency import ConcurrencyLimit
from luco_client.transport._hooks import check_hooks
from luco_client.transport._retry import GracefulRetry
from luco_client.transport._throttle import Throttle, ThrottleRule

__all__ = ["Timeout", "DEFAULT_TIMEOUT", "CallSettings", "CallOptions", "UNSET", "INHERIT", "BodyConsumer"]


#: The old name of :data:`UNSET` in the transport: "take the session's setting".
INHERIT: t.Any = UNSET


def _positive(name: str, value: t.Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ConfigurationError(f"{name} must be a positive, finite number of seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Timeout:
    """Connect and read timeouts in seconds. Never infinite.

    :param connect: seconds to establish the connection (TCP + TLS). Default 5.
    :param read: seconds to wait between bytes of the response. Default 30.
    """

    connect: float = 5.0
    read: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "connect", _positive("Timeout: connect", self.connect))
        object.__setattr__(self, "read", _positive("Timeout: read", self.read))

    @classmethod
    def coerce(cls, value: t.Any, default: Timeout) -> Timeout:
        """Turn what requests accepts (float, ``(connect, read)``, ``None``) into a Timeout.

        ``None`` (requests' "wait forever") means ``default``: there is no infinite timeout.
        """
        if value is None:
            return default
        if isinstance(value, Timeout):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(value, value)
        if isinstance(value, tuple) and len(value) == 2:
            connect, read = value
            return cls(default.connect if connect is None else connect, default.read if read is None else read)
        connect = getattr(value, "_connect", None)  # urllib3 Timeout objects
        read = getattr(value, "_read", None)
        if connect is not None or read is not None:
            return cls(connect if isinstance(connect, (int, float)) else default.connect,
                       read if isinstance(read, (int, float)) else default.read)
        raise ConfigurationError(f"timeout must be seconds, a (connect, read) pair or a Timeout, got {value!r}")

    def capped(self, remaining: t.Optional[float]) -> Timeout:
        """This timeout, shortened so that an attempt cannot outlive the deadline."""
        if remaining is None:
            return self
        remaining = max(remaining, 0.001)
        return Timeout(min(self.connect, remaining), min(self.read, remaining))


#: Used when neither the call nor the adapter sets a timeout.
DEFAULT_TIMEOUT = Timeout()

Validator = t.Callable[[t.Any], None]


class BodyConsumer(t.Protocol):
    """Reads the body of a call's successful responses *inside* the attempt loop (a
    download writing to its file), so that a body that breaks off is a failed attempt,
    retried under the call's policy, deadline and throttle.

    ``prepare(request)`` runs before every attempt (e.g. to add a ``Range`` header);
    ``consume(response)`` reads a 2xx response's body (``response.iter_content``), or
    judges a 416 (the answer to a range past the end): a
    ``requests`` exception from the read is a failure on the wire; a
    :class:`~luco_client.errors.LucoClientError` says the content is wrong (a failed
    attempt, retried only if ``retry_on`` names it).
    """

    def prepare(self, request: t.Any) -> None: ...

    def consume(self, response: t.Any) -> None: ...



# --------------------------------------------------------------------------- field checks
# Each takes ("Owner: field", value) and returns the normalised value, or raises
# ConfigurationError naming the owner and the field.


def _retry(name: str, value: t.Any) -> t.Optional[GracefulRetry]:
    if value is not None and not isinstance(value, GracefulRetry):
        raise ConfigurationError(f"{name} must be a GracefulRetry or None, got {value!r}")
    return value


def _timeout(name: str, value: t.Any) -> t.Optional[Timeout]:
    if value is None:
        return None
    try:
        return Timeout.coerce(value, DEFAULT_TIMEOUT)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{name}: {exc.message}") from None


def _deadline(name: str, value: t.Any) -> t.Optional[float]:
    if value is None:
        return None
    return _positive(name, value)


def _idempotent(name: str, value: t.Any) -> t.Optional[bool]:
    if value is not None and not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True, False or None, got {value!r}")
    return value


def _validators(name: str, value: t.Any) -> t.Optional[t.Tuple[Validator, ...]]:
    """Callables, or objects with a ``check(response)`` method (their ``check`` is used)."""
    if value is None:
        return None
    single = callable(value) or callable(getattr(value, "check", None))
    items = [value] if single and not isinstance(value, (list, tuple)) else value
    try:
        validators = tuple(items)
    except TypeError:
        raise ConfigurationError(f"{name} takes a validator or a sequence of them, got {value!r}") from None
    checked = []
    for validator in validators:
        check = getattr(validator, "check", None)
        if callable(check):
            checked.append(check)
        elif callable(validator):
            checked.append(validator)
        else:
            raise ConfigurationError(f"{name}: a validator must be callable or have a check(response) method, "
                                     f"got {validator!r}")
    return tuple(checked)


def _throttling(name: str, value: t.Any) -> t.Optional[Throttle]:
    if value is None or isinstance(value, Throttle):
        return value
    if isinstance(value, ThrottleRule) or (
            isinstance(value, (list, tuple)) and value and all(isinstance(r, ThrottleRule) for r in value)):
        return Throttle(value)
    raise ConfigurationError(f"{name} takes a Throttle, a ThrottleRule or a list of them, got {value!r}")


def _concurrency(name: str, value: t.Any) -> t.Optional[t.Tuple[ConcurrencyLimit, ...]]:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return (ConcurrencyLimit(value),)
    if isinstance(value, ConcurrencyLimit):
        return (value,)
    try:
        limits = tuple(value)
    except TypeError:
        limits = (value,)
    if not all(isinstance(limit, ConcurrencyLimit) for limit in limits):
        raise ConfigurationError(f"{name} takes a number of slots, a ConcurrencyLimit or a list of them "
                                 f"(empty for none), got {value!r}")
    return limits


def _log_event(name: str, value: t.Any) -> t.Optional[LogEvent]:
    if value is None or isinstance(value, LogEvent):
        return value
    raise ConfigurationError(f"{name} must be a LogEvent or None, got {value!r}")


RetryArg = t.Optional[GracefulRetry]
TimeoutArg = t.Union[Timeout, float, t.Tuple[float, float], None]
ValidatorsArg = t.Union[Validator, t.Any, t.Sequence[t.Any], None]
ThrottleArg = t.Union[Throttle, ThrottleRule, t.Sequence[ThrottleRule], None]
ConcurrencyArg = t.Union[int, ConcurrencyLimit, t.Sequence[ConcurrencyLimit], None]
LogArg = t.Optional[LogEvent]


@settings_class
class CallSettings(SettingsBase):
    """The settings one call can carry, declared once (see the module docstring).

    Every field defaults to *unset* (:data:`UNSET`): it inherits from the layer below
    (the session's own settings, or the client layer's precedence chain); ``None``
    disables what a lower layer set.

    :param retry: a :class:`~luco_client.transport.GracefulRetry`; ``None`` = one attempt.
    :param timeout: a :class:`Timeout`, seconds, or ``(connect, read)`` seconds; ``None``:
        the default (connect 5 s, read 30 s). Never infinite.
    :param deadline: seconds for the whole call (attempts, throttle waits, sleeps and the
        body); ``None``: the retry policy's deadline, if any.
    :param idempotent: ``True``/``False`` declares the call safe/unsafe to repeat;
        ``None`` decides by HTTP method and idempotency key.
    :param validators: callables ``(response) -> None`` (or objects with a
        ``check(response)`` method) that raise to reject a successful response; a
        rejection is a failed attempt, retried when ``retry_on`` names its exception.
    :param throttling: a :class:`~luco_client.transport.Throttle`, a
        :class:`~luco_client.transport.ThrottleRule` or a list of rules; ``None`` = no
        throttle. (Also accepted as ``throttle=``.)
    :param concurrent_requests: slots (an int), a
        :class:`~luco_client.transport.ConcurrencyLimit` or a list of them (empty: none);
        ``None`` = no limit. (Also accepted as ``concurrency=``.)
    :param log_request: event before each attempt; ``None`` = silent.
    :param log_response: event after each response; ``None`` = silent.
    :param log_errors: event after each failed attempt; ``None`` = silent.
    """

    retry: RetryArg = setting(default=UNSET, check=_retry)
    timeout: TimeoutArg = setting(default=UNSET, check=_timeout)
    deadline: t.Optional[float] = setting(default=UNSET, check=_deadline)
    idempotent: t.Optional[bool] = setting(default=UNSET, check=_idempotent)
    validators: ValidatorsArg = setting(default=UNSET, check=_validators)
    throttling: ThrottleArg = setting(default=UNSET, check=_throttling, aliases=("throttle",))
    concurrent_requests: ConcurrencyArg = setting(default=UNSET, check=_concurrency, aliases=("concurrency",))
    log_request: LogArg = setting(default=UNSET, check=_log_event)
    log_response: LogArg = setting(default=UNSET, check=_log_event)
    log_errors: LogArg = setting(default=UNSET, check=_log_event)


def _template(name: str, value: t.Any) -> t.Optional[str]:
    if value is not None and not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string, got {value!r}")
    return value


def _statuses(name: str, value: t.Any) -> t.FrozenSet[int]:
    try:
        return frozenset(int(s) for s in value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} takes status codes, got {value!r}") from None


def _hooks(name: str, value: t.Any) -> t.Tuple[t.Any, ...]:
    return check_hooks(value, name)


def _consumer(name: str, value: t.Any) -> t.Optional[BodyConsumer]:
    if value is not None and not (callable(getattr(value, "prepare", None)) and callable(getattr(value, "consume",
                                                                                                   None))):
        raise ConfigurationError(f"{name} needs prepare() and consume() methods, got {value!r}")
    return value


@settings_class
class CallOptions(CallSettings):
    """One call's settings and wiring, passed as ``session.get(url, options=CallOptions(...))``.

    Takes every :class:`CallSettings` keyword (unset ones use the session's), plus:

    :param url_template: the URL before formatting (``https://h/pokemon/{NAME}``): the
        stats key and the UURL placeholder. Default: derived from the URL, with numeric
        and id-like path segments replaced by ``{id}``.
    :param endpoint: the endpoint path as declared, formatted (``/pokemon/pikachu``): the
        ENDPOINT placeholder. Default: the URL's path.
    :param endpoint_template: the endpoint path as declared (``/pokemon/{NAME}``): the
        UENDPOINT placeholder. Default: the URL template's path.
    :param success_statuses: statuses counted as success besides 1xx-3xx (e.g. ``{404}``
        for a lookup that may miss). They are never retried.
    :param hooks: objects with ``before(info)`` / ``after(info, result, retry)`` methods,
        called around every attempt of this call (after the session's own hooks); see
        :mod:`luco_client.transport` (``AttemptInfo``, ``RetryState``, ``bypass``).
    :param consumer: a :class:`BodyConsumer` reading successful bodies inside the attempt
        (used by :meth:`GracefulSession.download`); pass ``stream=True`` with it. Default
        ``None``: the body is read into memory (or left to the caller with ``stream=True``).
    """

    url_template: t.Optional[str] = setting(default=None, check=_template)
    endpoint: t.Optional[str] = setting(default=None, check=_template)
    endpoint_template: t.Optional[str] = setting(default=None, check=_template)
    success_statuses: t.FrozenSet[int] = setting(default=frozenset(), check=_statuses)
    hooks: t.Tuple[t.Any, ...] = setting(default=(), check=_hooks)
    consumer: t.Optional[BodyConsumer] = setting(default=None, check=_consumer)


DEFAULT_OPTIONS = CallOptions()
