"""Settings: the frozen, declarative policy object of the client layer.

A :class:`Settings` says how calls behave: status policy, parsers, validators, retry,
timeouts, throttle, concurrency and log events. Every field starts *unset*
(:data:`UNSET`): an unset field inherits from the level below it in the precedence chain
(call > method override > endpoint > namespace > client > defaults); ``None`` *disables*
the inherited setting. Values are checked and normalised when the object is built, so a
bad setting fails where it is written, with a :class:`~luco_client.errors.ConfigurationError`.
"""

from __future__ import annotations

import math
import typing as t

from luco_client.errors import ConfigurationError
from luco_client.events import LogEvent
from luco_client.transport import ConcurrencyLimit, GracefulRetry, Throttle, ThrottleRule, Timeout

if t.TYPE_CHECKING:
    import requests

__all__ = ["UNSET", "Settings", "FIELDS", "GracefulValidator", "ParserMap", "StatusCodes", "Validator"]


class _Unset:
    """The "not set here" sentinel (as opposed to ``None``, which disables a setting)."""

    _instance: t.Optional[_Unset] = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:
        return "UNSET"


#: A setting that is not set at this level: it inherits from the level below.
UNSET: t.Any = _Unset()

StatusCodes = t.Union[int, t.Collection[int]]
ParserKey = t.Union[str, int]
#: ``{"default" | status | "4xx": parser}`` where a parser is a callable taking the
#: response, an exception class (raised), ``None`` (the call returns ``None``) or any other
#: value (returned as it is).
ParserMap = t.Mapping[ParserKey, t.Any]


class GracefulValidator:
    """Base class of validator objects: implement :meth:`check`, raise to reject.

    A plain callable ``(response) -> None`` works as well. Validators run on every
    attempt's own response whose status is a success; an exception they raise fails the
    attempt and is retried when ``GracefulRetry(retry_on=...)`` names its class.
    """

    def check(self, response: requests.Response) -> None:
        """Raise any exception to reject ``response``; return to accept it."""
        raise NotImplementedError


#: A callable ``(response) -> None`` that raises to reject a response, or an object with
#: such a ``check(response)`` method (a :class:`GracefulValidator`).
Validator = t.Union[GracefulValidator, t.Callable[["requests.Response"], None]]

StatusArg = t.Optional[StatusCodes]
ParserArg = t.Union[ParserMap, t.Callable[["requests.Response"], t.Any], None]
ValidatorsArg = t.Union[Validator, t.Sequence[Validator], None]
RetryArg = t.Optional[GracefulRetry]
TimeoutArg = t.Union[Timeout, float, t.Tuple[float, float], None]
ThrottleArg = t.Union[Throttle, ThrottleRule, t.Sequence[ThrottleRule], None]
ConcurrencyArg = t.Union[int, ConcurrencyLimit, t.Sequence[ConcurrencyLimit], None]
LogArg = t.Optional[LogEvent]

#: The names of the settings, in the order :meth:`ResolvedSettings.explain` shows them.
FIELDS: t.Tuple[str, ...] = (
    "strict_status_code",
    "allowed_status_code",
    "parser",
    "validators",
    "retry",
    "timeout",
    "deadline",
    "idempotent",
    "throttling",
    "concurrent_requests",
    "log_request",
    "log_response",
    "log_errors",
)

_STATUS_CLASS_KEYS = frozenset({"1xx", "2xx", "3xx", "4xx", "5xx"})


def _statuses(name: str, value: t.Any) -> t.Optional[t.FrozenSet[int]]:
    if value is None:
        return None
    items = [value] if isinstance(value, int) else value
    try:
        codes = list(items)
    except TypeError:
        raise ConfigurationError(f"Settings: {name} takes a status code or a collection of them, "
                                 f"got {value!r}") from None
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise ConfigurationError(f"Settings: {name} takes HTTP status codes (100-599), got {code!r}")
    if not codes:
        raise ConfigurationError(f"Settings: {name} is empty; use None to disable it")
    return frozenset(int(c) for c in codes)


def is_exception_class(value: t.Any) -> bool:
    """Whether a parser value is an exception class (raised rather than called)."""
    return isinstance(value, type) and issubclass(value, BaseException)


def _parser(value: t.Any) -> t.Optional[t.Dict[ParserKey, t.Any]]:
    if value is None:
        return None
    if not isinstance(value, t.Mapping):
        if callable(value):  # a bare callable is shorthand for {"default": callable}
            return {"default": value}
        raise ConfigurationError(f"Settings: parser must be a mapping such as {{'default': parse, 404: None}} "
                                 f"or a callable, got {value!r}")
    result: t.Dict[ParserKey, t.Any] = {}
    for key, entry in value.items():
        if isinstance(key, str) and (key == "default" or key in _STATUS_CLASS_KEYS):
            result[key] = entry
        elif isinstance(key, int) and not isinstance(key, bool) and 100 <= key <= 599:
            result[int(key)] = entry
        else:
            raise ConfigurationError(f"Settings: parser keys are 'default', a status code or a status class "
                                     f"such as '4xx'; got {key!r}")
    return result


def _validators(value: t.Any) -> t.Optional[t.Tuple[t.Any, ...]]:
    if value is None:
        return None
    items = [value] if (callable(value) or hasattr(value, "check")) and not isinstance(value, (list, tuple)) \
        else value
    try:
        validators = tuple(items)
    except TypeError:
        raise ConfigurationError(f"Settings: validators must be a validator or a sequence of them, got {value!r}") \
            from None
    for validator in validators:
        if not (callable(validator) or callable(getattr(validator, "check", None))):
            raise ConfigurationError(f"Settings: a validator must be callable or have a check(response) method, "
                                     f"got {validator!r}")
    return validators


def _timeout(value: t.Any) -> t.Optional[Timeout]:
    if value is None:
        return None
    return Timeout.coerce(value, Timeout())


def _deadline(value: t.Any) -> t.Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ConfigurationError(f"Settings: deadline must be positive, finite seconds or None, got {value!r}")
    return float(value)


def _throttling(value: t.Any) -> t.Optional[Throttle]:
    if value is None or isinstance(value, Throttle):
        return value
    if isinstance(value, ThrottleRule) or (
            isinstance(value, (list, tuple)) and value and all(isinstance(r, ThrottleRule) for r in value)):
        return Throttle(value)
    raise ConfigurationError(f"Settings: throttling takes a Throttle, a ThrottleRule or a list of them, got {value!r}")


def _concurrency(value: t.Any) -> t.Optional[t.Tuple[ConcurrencyLimit, ...]]:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return (ConcurrencyLimit(value),)
    if isinstance(value, ConcurrencyLimit):
        return (value,)
    if isinstance(value, (list, tuple)) and value and all(isinstance(c, ConcurrencyLimit) for c in value):
        return tuple(value)
    raise ConfigurationError(f"Settings: concurrent_requests takes a number of slots, a ConcurrencyLimit or a "
                             f"list of them, got {value!r}")


def _log_event(name: str, value: t.Any) -> t.Optional[LogEvent]:
    if value is None or isinstance(value, LogEvent):
        return value
    raise ConfigurationError(f"Settings: {name} must be a LogEvent or None, got {value!r}")


def _checked(name: str, value: t.Any) -> t.Any:
    """``value`` checked and normalised for the field ``name`` (UNSET passes through)."""
    if value is UNSET:
        return UNSET
    if name in ("strict_status_code", "allowed_status_code"):
        return _statuses(name, value)
    if name == "parser":
        return _parser(value)
    if name == "validators":
        return _validators(value)
    if name == "retry":
        if value is not None and not isinstance(value, GracefulRetry):
            raise ConfigurationError(f"Settings: retry must be a GracefulRetry or None, got {value!r}")
        return value
    if name == "timeout":
        return _timeout(value)
    if name == "deadline":
        return _deadline(value)
    if name == "idempotent":
        if value is not None and not isinstance(value, bool):
            raise ConfigurationError(f"Settings: idempotent must be True, False or None, got {value!r}")
        return value
    if name == "throttling":
        return _throttling(value)
    if name == "concurrent_requests":
        return _concurrency(value)
    return _log_event(name, value)


class FieldView:
    """Frozen attribute access to setting fields held in ``_values`` (the base of
    :class:`Settings` and the merged ``ResolvedSettings``)."""

    __slots__ = ()
    _values: t.Dict[str, t.Any]

    def __getattr__(self, name: str) -> t.Any:
        if name in FIELDS:
            return self._values[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        raise AttributeError(f"{type(self).__name__} objects are frozen; build a new one")


class Settings(FieldView):
    """How calls behave, declared once and merged by precedence (a frozen value).

    Every parameter defaults to *unset* (inherit from the level below); ``None`` disables
    what a lower level set.

    :param strict_status_code: a status or a collection of statuses; *only* these count
        as success, anything else raises the typed
        :class:`~luco_client.errors.HTTPStatusError` of its status (even a 2xx).
    :param allowed_status_code: statuses accepted *in addition to* 2xx (e.g. ``404`` for
        a lookup that may miss). They are never retried and reach the parser.
        Setting both on the same object is a
        :class:`~luco_client.errors.ConfigurationError`; across levels, the status policy
        comes whole from the highest level that sets either of them.
    :param parser: ``{"default": fn, 404: None, 400: MyError, "5xx": ...}`` or a bare
        callable (same as ``{"default": fn}``). An entry is chosen by exact status, then
        status class (``"4xx"``), then ``"default"``; it is a callable taking the response,
        an exception class (raised, with a message built from the request, see
        :class:`~luco_client.client.UserDefinedError`), ``None`` (the call returns
        ``None``) or any other value (returned as it is). Without a parser the call
        returns the response. A parser mapping replaces a lower level's mapping whole.
    :param validators: callables ``(response) -> None`` (or objects with a
        ``check(response)`` method) that raise to reject a successful response. They run
        inside the attempt loop on every attempt's own response, so their exceptions can
        drive retries through ``GracefulRetry(retry_on=...)``.
    :param retry: a :class:`~luco_client.transport.GracefulRetry`; ``None`` = one attempt.
        Default ``GracefulRetry()`` (3 attempts in total).
    :param timeout: a :class:`~luco_client.transport.Timeout`, seconds, or
        ``(connect, read)`` seconds. Default connect 5 s, read 30 s; never infinite
        (``None`` means the default).
    :param deadline: seconds for the whole call, attempts and sleeps included; ``None``
        (default): bounded by the attempts and timeouts only.
    :param idempotent: ``True``/``False`` declares the call safe/unsafe to repeat;
        ``None`` (default) decides by HTTP method and idempotency key.
    :param throttling: a :class:`~luco_client.transport.Throttle`, a
        :class:`~luco_client.transport.ThrottleRule` or a list of rules; ``None`` = none.
        A throttle declared in a class (Config, namespace, endpoint, ``@graceful``) keeps
        its in-memory buckets per client instance; one passed to the client's constructor
        is used as it is, so the same object can be shared on purpose.
    :param concurrent_requests: slots (an int), a
        :class:`~luco_client.transport.ConcurrencyLimit` or a list of them; ``None`` = no
        limit. Each declaration has its own slots, per client instance.
    :param log_request: event before each attempt (default DEBUG); ``None`` = silent.
    :param log_response: event after each response (default DEBUG); ``None`` = silent.
    :param log_errors: event after each failed attempt (default WARNING); ``None`` = silent.
    """

    __slots__ = ("_values",)

    strict_status_code: t.Optional[t.FrozenSet[int]]
    allowed_status_code: t.Optional[t.FrozenSet[int]]
    parser: t.Optional[t.Mapping[ParserKey, t.Any]]
    validators: t.Optional[t.Tuple[t.Any, ...]]
    retry: t.Optional[GracefulRetry]
    timeout: t.Optional[Timeout]
    deadline: t.Optional[float]
    idempotent: t.Optional[bool]
    throttling: t.Optional[Throttle]
    concurrent_requests: t.Optional[t.Tuple[ConcurrencyLimit, ...]]
    log_request: t.Optional[LogEvent]
    log_response: t.Optional[LogEvent]
    log_errors: t.Optional[LogEvent]

    def __init__(
        self,
        *,
        strict_status_code: StatusArg = UNSET,
        allowed_status_code: StatusArg = UNSET,
        parser: ParserArg = UNSET,
        validators: ValidatorsArg = UNSET,
        retry: RetryArg = UNSET,
        timeout: TimeoutArg = UNSET,
        deadline: t.Optional[float] = UNSET,
        idempotent: t.Optional[bool] = UNSET,
        throttling: ThrottleArg = UNSET,
        concurrent_requests: ConcurrencyArg = UNSET,
        log_request: LogArg = UNSET,
        log_response: LogArg = UNSET,
        log_errors: LogArg = UNSET,
    ) -> None:
        given = locals()
        values = {name: _checked(name, given[name]) for name in FIELDS}
        if values["strict_status_code"] is not UNSET and values["allowed_status_code"] is not UNSET \
                and values["strict_status_code"] is not None and values["allowed_status_code"] is not None:
            raise ConfigurationError(
                "Settings: strict_status_code and allowed_status_code are both set on the same level; "
                "use strict_status_code for 'only these statuses' or allowed_status_code for "
                "'2xx and these', not both")
        object.__setattr__(self, "_values", values)

    @classmethod
    def from_values(cls, values: t.Mapping[str, t.Any]) -> Settings:
        """Build from a ``{field: value}`` mapping; an unknown name is a ConfigurationError."""
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ConfigurationError(f"unknown settings {unknown}; valid: {list(FIELDS)}")
        return cls(**values)

    def is_set(self, name: str) -> bool:
        """Whether ``name`` is set at this level (``None`` counts as set: it disables)."""
        return self._values[name] is not UNSET

    def set_fields(self) -> t.Dict[str, t.Any]:
        """The fields set at this level, ``{name: normalised value}``."""
        return {name: value for name, value in self._values.items() if value is not UNSET}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        return self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.set_fields())))

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={value!r}" for name, value in self.set_fields().items())
        return f"Settings({body})"

    def __reduce__(self) -> t.Tuple[t.Any, ...]:
        return (Settings.from_values, (self.set_fields(),))
