"""Templated log events, their placeholders, and the redaction filter.

A :class:`LogEvent` says at which level an event is logged and with which message. Messages
are templates over the placeholders below (``"{METHOD} {URL} took {ELAPSED:.2f}s"``) or a
callable that receives the response (or ``None``) and returns such a template.

=====================  ==========================================================  ==================
placeholder            meaning                                                     events
=====================  ==========================================================  ==================
URL                    full URL, credentials redacted                              all
UURL                   URL template (``https://h/pokemon/{NAME}``)                 all
ENDPOINT               path of the URL                                             all
UENDPOINT              path of the URL template                                    all
METHOD                 HTTP method                                                 all
STATUS                 response status (empty without a response)                  response, error
ELAPSED                seconds the attempt took on the wire (float)                response, error
REPLAY                 ``"REPLAYED"`` for a replayed response, else ``""``         response, error
IS_REPLAY              ``"TRUE"`` or ``"FALSE"``                                   response, error
RETRY_DELAY            seconds before the next attempt (float)                     retry events
RETRY_CAUSE            why: ``[Bad Status Code: 503]``, ``[Request Error: …]``     retry events
CUR_ATTEMPT            number of the attempt that just ran (1-based)               all
MAX_ATTEMPT            total attempts allowed by the retry policy                  all
THROTTLE_LIMIT         requests allowed per window by the rule that blocked        throttle events
THROTTLE_TIME          seconds to wait (reached) or waited (over), float           throttle events
THROTTLE_TIME_RANGE    the rule's window, e.g. ``second``, ``90 seconds``          throttle events
CONCURRENCY_LIMIT      slots of the concurrency limit that blocked (gracy:         concurrency events
                       CONCURRENT_REQUESTS)
=====================  ==========================================================  ==================

Unknown placeholders are left as they are; a template that cannot be formatted is logged
verbatim. Every record also carries the values as structured attributes ``luco_<name>``
(lower case, e.g. ``record.luco_status``) and ``record.luco_event`` (an :class:`EventKind`
value), for JSON log formatters.

:func:`redact_text` and :func:`redact_url` apply the same redaction rules (credential-looking
names, registered secrets, user-info) to your own messages and URLs.

Logging is off unless you configure it: the ``luco_client`` logger has only a
``NullHandler``. Set ``LUCO_CLIENT_LOG=debug`` (or info, warning, …) to get a stderr handler
on the ``luco_client`` logger (never the root logger), with :class:`RedactingFilter`.
"""

from __future__ import annotations

import enum
import logging
import string
import typing as t
from dataclasses import dataclass

from luco_client._public import publish
from luco_client._redact import redact_text, redact_url, register_secret
from luco_client.errors import ConfigurationError

__all__ = [
    "LogLevel",
    "LogEvent",
    "EventKind",
    "RedactingFilter",
    "register_secret",
    "redact_text",
    "redact_url",
    "DEFAULT_TEMPLATES",
    "render_template",
    "emit",
]


class LogLevel(enum.IntEnum):
    """The standard :mod:`logging` levels, as an enum."""

    NOTSET = logging.NOTSET
    DEBUG = logging.DEBUG
    INFO = logging.INFO
    WARNING = logging.WARNING
    ERROR = logging.ERROR
    CRITICAL = logging.CRITICAL


class EventKind(str, enum.Enum):
    """The events the transport emits (value = ``record.luco_event``)."""

    REQUEST = "request"
    RESPONSE = "response"
    ERROR = "error"
    RETRY_BEFORE = "retry.before"
    RETRY_AFTER = "retry.after"
    RETRY_EXHAUSTED = "retry.exhausted"
    RETRY_SKIPPED = "retry.skipped"
    THROTTLE_REACHED = "throttle.reached"
    THROTTLE_OVER = "throttle.over"
    CONCURRENCY_REACHED = "concurrency.reached"
    CONCURRENCY_FREED = "concurrency.freed"
    BACKOFF = "backoff"


#: Message used when a LogEvent has no template of its own.
DEFAULT_TEMPLATES: t.Dict[EventKind, str] = {
    EventKind.REQUEST: "{METHOD} {URL} attempt {CUR_ATTEMPT}/{MAX_ATTEMPT}",
    EventKind.RESPONSE: "{METHOD} {URL} -> {STATUS} in {ELAPSED:.3f}s {REPLAY}",
    EventKind.ERROR: "{METHOD} {URL} failed: {RETRY_CAUSE} after {ELAPSED:.3f}s {REPLAY}",
    EventKind.RETRY_BEFORE: (
        "{METHOD} {URL} attempt {CUR_ATTEMPT}/{MAX_ATTEMPT} failed {RETRY_CAUSE}; "
        "retrying in {RETRY_DELAY:.2f}s"
    ),
    EventKind.RETRY_AFTER: "{METHOD} {URL} retry wait of {RETRY_DELAY:.2f}s over",
    EventKind.RETRY_EXHAUSTED: (
        "{METHOD} {URL} giving up after {CUR_ATTEMPT}/{MAX_ATTEMPT} attempts: {RETRY_CAUSE}"
    ),
    EventKind.RETRY_SKIPPED: "{METHOD} {URL} not retried: {RETRY_CAUSE}",
    EventKind.THROTTLE_REACHED: (
        "{URL} hit the throttle of {THROTTLE_LIMIT} requests per {THROTTLE_TIME_RANGE}; "
        "waiting {THROTTLE_TIME:.2f}s"
    ),
    EventKind.THROTTLE_OVER: "{URL} throttle wait over after {THROTTLE_TIME:.2f}s",
    EventKind.CONCURRENCY_REACHED: "{URL} waits for one of {CONCURRENCY_LIMIT} concurrent slots",
    EventKind.CONCURRENCY_FREED: "{URL} got a concurrent slot",
    EventKind.BACKOFF: "{UENDPOINT} answered {STATUS}: pausing requests",
}

Template = t.Union[str, t.Callable[[t.Any], str], None]


class _LenientFormatter(string.Formatter):
    """``str.format`` that leaves unknown placeholders in place instead of raising."""

    def get_value(self, key: t.Union[int, str], args: t.Sequence[t.Any], kwargs: t.Mapping[str, t.Any]) -> t.Any:
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        return _Missing(key)

    def format_field(self, value: t.Any, format_spec: str) -> str:
        if isinstance(value, _Missing):
            return value.text(format_spec)
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


class _Missing:
    def __init__(self, key: t.Union[int, str]) -> None:
        self.key = key

    def text(self, spec: str) -> str:
        return "{" + str(self.key) + (":" + spec if spec else "") + "}"


_FORMATTER = _LenientFormatter()


def render_template(template: str, fields: t.Mapping[str, t.Any]) -> str:
    """The one template renderer (log events, error messages, hooks): ``template`` with
    ``fields`` filled in. Never raises: unknown placeholders stay as they are, a value
    that rejects its format spec is shown plainly, a broken template is returned verbatim.
    The result is redacted (no credential survives)."""
    try:
        text = _FORMATTER.vformat(str(template), (), fields)
    except (ValueError, IndexError, AttributeError, KeyError):
        text = str(template)
    return redact_text(text)


def _as_gracy_sees_it(response: t.Any) -> t.Any:
    """``response`` as a callable template receives it: a ``requests.Response`` is falsy
    for a 4xx/5xx status (``__bool__`` is ``ok``) while gracy's httpx response is always
    truthy, so ported ``lambda r: ... if r else ...`` templates would lose their message on
    errors. They get a view of the same response (same state, ``isinstance`` still holds)
    that is always truthy."""
    if response is None or bool(response):
        return response
    view: t.Any = object.__new__(_truthy_class(type(response)))
    view.__dict__ = response.__dict__  # the very same state, not a copy
    return view


_TRUTHY: t.Dict[type, type] = {}


def _truthy_class(cls: type) -> type:
    found = _TRUTHY.get(cls)
    if found is None:
        found = _TRUTHY[cls] = type(cls.__name__, (cls,), {"__bool__": lambda self: True, "__module__": cls.__module__})
    return found


@dataclass(frozen=True, init=False)
class LogEvent:
    """How one event is logged.

    :param level: a :class:`LogLevel` or :mod:`logging` level number. Default ``INFO``.
    :param template: a message template over the placeholders of :mod:`luco_client.events`,
        or a callable receiving the response (``None`` when there is none) and returning a
        template; ``None`` uses the event's default template from :data:`DEFAULT_TEMPLATES`.
        gracy's name ``custom_message`` is accepted too (keyword and attribute). A callable
        gets a response that is truthy even for an error status, as gracy's is.

    Rendering never raises: a template that fails is logged verbatim. Values are redacted
    before they reach the template, and the rendered text is redacted once more.
    """

    level: int = LogLevel.INFO
    template: Template = None

    def __init__(self, level: t.Union[int, str] = LogLevel.INFO, template: Template = None, *,
                 custom_message: Template = None) -> None:
        if custom_message is not None:
            if template is not None:
                raise ConfigurationError("LogEvent: custom_message is gracy's name for template; give one")
            template = custom_message
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "template", template)
        if isinstance(level, str) and level.upper() in LogLevel.__members__:
            level = LogLevel[level.upper()]
        if isinstance(level, bool) or not isinstance(level, int):
            raise ConfigurationError(f"LogEvent: level must be a LogLevel, a logging level or its name, got {level!r}")
        object.__setattr__(self, "level", level)
        if self.template is not None and not isinstance(self.template, str) and not callable(self.template):
            raise ConfigurationError(f"LogEvent: template must be a string, a callable or None, got {self.template!r}")

    @property
    def custom_message(self) -> Template:
        """gracy's name for :attr:`template`."""
        return self.template

    def render(self, kind: t.Union[EventKind, str], fields: t.Mapping[str, t.Any], response: t.Any = None,
               default: t.Optional[str] = None) -> str:
        """The message for ``kind`` with ``fields`` filled in (``default``: the template
        when the event has none; else the kind's default template)."""
        fallback = default if default is not None else DEFAULT_TEMPLATES[EventKind(kind)]
        template = self.template
        if callable(template):
            try:
                template = template(_as_gracy_sees_it(response))
            except Exception as exc:  # a user callable must not break the request
                template = f"(log template failed: {type(exc).__name__}) " + fallback
        if not template:
            template = fallback
        return " ".join(render_template(str(template), fields).split())


def emit(
    logger: logging.Logger,
    event: t.Optional[LogEvent],
    kind: t.Union[EventKind, str],
    fields: t.Callable[[], t.Mapping[str, t.Any]],
    response: t.Any = None,
    *,
    default: t.Optional[str] = None,
    **extra_fields: t.Any,
) -> None:
    """The one way events are logged: ``event`` if set and its level is enabled.

    ``fields`` (the request's placeholders) is called only then; ``extra_fields`` are added
    to (and override) them. ``default`` is the template when the event has none. Every
    value is also set on the record as ``luco_<name>``, with ``luco_event`` the kind.
    """
    if event is None or not logger.isEnabledFor(event.level):
        return
    values = {**fields(), **extra_fields}
    extra: t.Dict[str, t.Any] = {"luco_event": EventKind(kind).value}
    for name, value in values.items():
        extra["luco_" + name.lower()] = value
    logger.log(int(event.level), event.render(kind, values, response, default), extra=extra)


class RedactingFilter(logging.Filter):
    """A :class:`logging.Filter` that scrubs credentials from records passing through it.

    Attach it to your handlers (``handler.addFilter(RedactingFilter())``) to scrub records
    of any logger, including ``urllib3``'s request lines. It rewrites the message,
    the formatted traceback, and drops the original arguments. It never blocks a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the caller's problem, not ours
            return True
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        for name, value in list(vars(record).items()):  # the structured luco_* fields
            if name.startswith("luco_") and isinstance(value, str):
                setattr(record, name, redact_text(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


publish(__name__, globals())
