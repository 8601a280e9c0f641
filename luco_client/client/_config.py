"""Settings: the frozen, declarative policy object of the client layer.

A :class:`Settings` says how calls behave. It is the transport's
:class:`~luco_client.transport.CallSettings` (retry, timeout, deadline, idempotency,
validators, throttle, concurrency, log events: one declaration for both layers) plus what
only the client layer does with a response: the status policy and the parsers.

Every field starts *unset* (:data:`UNSET`): an unset field inherits from the level below
it in the precedence chain (call > method override > endpoint > namespace > client >
defaults); ``None`` *disables* the inherited setting. Values are checked and normalised
when the object is built, so a bad setting fails where it is written, with a
:class:`~luco_client.errors.ConfigurationError`.
"""

from __future__ import annotations

import typing as t

from luco_client._fields import UNSET, setting, settings_class
from luco_client.errors import ConfigurationError
from luco_client.transport import CallSettings

if t.TYPE_CHECKING:
    import requests

__all__ = ["UNSET", "Settings", "FIELDS", "GracefulValidator", "ParserMap", "StatusCodes", "Validator",
           "is_exception_class"]

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

_STATUS_CLASS_KEYS = frozenset({"1xx", "2xx", "3xx", "4xx", "5xx"})


def _statuses(name: str, value: t.Any) -> t.Optional[t.FrozenSet[int]]:
    if value is None:
        return None
    items = [value] if isinstance(value, int) else value
    try:
        codes = list(items)
    except TypeError:
        raise ConfigurationError(f"{name} takes a status code or a collection of them, got {value!r}") from None
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise ConfigurationError(f"{name} takes HTTP status codes (100-599), got {code!r}")
    if not codes:
        raise ConfigurationError(f"{name} is empty; use None to disable it")
    return frozenset(int(c) for c in codes)


def is_exception_class(value: t.Any) -> bool:
    """Whether a parser value is an exception class (raised rather than called)."""
    return isinstance(value, type) and issubclass(value, BaseException)


def _parser(name: str, value: t.Any) -> t.Optional[t.Dict[ParserKey, t.Any]]:
    if value is None:
        return None
    if not isinstance(value, t.Mapping):
        if callable(value):  # a bare callable is shorthand for {"default": callable}
            return {"default": value}
        raise ConfigurationError(f"{name} must be a mapping such as {{'default': parse, 404: None}} or a "
                                 f"callable, got {value!r}")
    result: t.Dict[ParserKey, t.Any] = {}
    for key, entry in value.items():
        if isinstance(key, str) and (key == "default" or key in _STATUS_CLASS_KEYS):
            result[key] = entry
        elif isinstance(key, int) and not isinstance(key, bool) and 100 <= key <= 599:
            result[int(key)] = entry
        else:
            raise ConfigurationError(f"{name} keys are 'default', a status code or a status class such as "
                                     f"'4xx'; got {key!r}")
    return result


@settings_class
class Settings(CallSettings):
    """How calls behave, declared once and merged by precedence (a frozen value).

    Every parameter defaults to *unset* (inherit from the level below); ``None`` disables
    what a lower level set. The parameters of :class:`~luco_client.transport.CallSettings`
    (``retry``, ``timeout``, ``deadline``, ``idempotent``, ``validators``, ``throttling``,
    ``concurrent_requests``, ``log_request``, ``log_response``, ``log_errors``), plus:

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

    Defaults (the "default" level): ``GracefulRetry()`` (3 attempts), connect 5 s / read
    30 s, no deadline, no throttle or concurrency limit, requests and responses logged at
    DEBUG, failed attempts at WARNING. A throttle declared in a class (Config, namespace,
    endpoint, ``@graceful``) keeps its in-memory buckets per client instance; one passed to
    the client's constructor is used as it is, so the same object can be shared on purpose.

    A ``Settings`` object is also the decorator of a method: see
    :func:`~luco_client.client.graceful`.
    """

    strict_status_code: StatusArg = setting(default=UNSET, check=_statuses, group="status")
    allowed_status_code: StatusArg = setting(default=UNSET, check=_statuses, group="status")
    parser: ParserArg = setting(default=UNSET, check=_parser)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.strict_status_code not in (UNSET, None) and self.allowed_status_code not in (UNSET, None):
            raise ConfigurationError(
                "Settings: strict_status_code and allowed_status_code are both set on the same level; "
                "use strict_status_code for 'only these statuses' or allowed_status_code for "
                "'2xx and these', not both")

    @classmethod
    def from_values(cls, values: t.Mapping[str, t.Any]) -> Settings:
        """Build from a ``{field: value}`` mapping; an unknown name is a ConfigurationError."""
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ConfigurationError(f"unknown settings {unknown}; valid: {list(FIELDS)}")
        return cls(**values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        return self.set_fields() == other.set_fields()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.set_fields())))

    def __reduce__(self) -> t.Tuple[t.Any, ...]:
        return (Settings.from_values, (self.set_fields(),))


#: The names of the settings, in the order :meth:`ResolvedSettings.explain` shows them.
FIELDS: t.Tuple[str, ...] = Settings.setting_fields()
