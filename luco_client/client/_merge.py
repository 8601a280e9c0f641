"""The one merge: layers of :class:`Settings` in precedence order, resolved once per call.

Precedence, lowest to highest: ``default`` < ``client`` < ``namespace`` < ``endpoint`` <
``method`` < ``call``. For each setting the highest layer that sets it wins (``None`` counts
as set: it disables). The status policy (strict/allowed) is one setting made of two fields:
it comes whole from the highest layer that sets either field.
"""

from __future__ import annotations

import typing as t

from luco_client._redact import redact_url
from luco_client.client._config import FIELDS, UNSET, FieldView, Settings
from luco_client.events import LogEvent, LogLevel
from luco_client.transport import ConcurrencyLimit, GracefulRetry, Throttle, Timeout

__all__ = ["LEVELS", "Layer", "ResolvedSettings", "resolve", "default_settings"]

#: The levels of the precedence chain, lowest first.
LEVELS: t.Tuple[str, ...] = ("default", "client", "namespace", "endpoint", "method", "call")

_STATUS_FIELDS = ("strict_status_code", "allowed_status_code")


class Layer(t.NamedTuple):
    """One level of the chain: its ``level`` (one of :data:`LEVELS`), its ``settings`` and
    ``origin``, a readable name of where they were declared (``"PokeApi.Config.SETTINGS"``)."""

    level: str
    settings: Settings
    origin: str


def default_settings(retry: GracefulRetry) -> Settings:
    """The "default" level: what applies when no level sets a field."""
    return Settings(
        strict_status_code=None,
        allowed_status_code=None,
        parser=None,
        validators=None,
        retry=retry,
        timeout=Timeout(),
        deadline=None,
        idempotent=None,
        throttling=None,
        concurrent_requests=None,
        log_request=LogEvent(LogLevel.DEBUG),
        log_response=LogEvent(LogLevel.DEBUG),
        log_errors=LogEvent(LogLevel.WARNING),
    )


class ResolvedSettings(FieldView):
    """The settings of one call after the merge: every field has a value, and
    :attr:`sources` says which layer it came from. Frozen.

    Attributes have the names of :class:`Settings` fields, plus ``base_url``.
    """

    __slots__ = ("_origins", "_values", "base_url", "base_url_source", "sources")

    strict_status_code: t.Optional[t.FrozenSet[int]]
    allowed_status_code: t.Optional[t.FrozenSet[int]]
    parser: t.Optional[t.Mapping[t.Union[str, int], t.Any]]
    validators: t.Optional[t.Tuple[t.Any, ...]]
    retry: t.Optional[GracefulRetry]
    timeout: Timeout
    deadline: t.Optional[float]
    idempotent: t.Optional[bool]
    throttling: t.Optional[Throttle]
    concurrent_requests: t.Optional[t.Tuple[ConcurrencyLimit, ...]]
    log_request: t.Optional[LogEvent]
    log_response: t.Optional[LogEvent]
    log_errors: t.Optional[LogEvent]
    base_url: t.Optional[str]
    base_url_source: str
    #: ``{field: level}`` for every field.
    sources: t.Mapping[str, str]

    def __init__(self, values: t.Mapping[str, t.Any], sources: t.Mapping[str, str],
                 origins: t.Mapping[str, str], base_url: t.Optional[str], base_url_source: str) -> None:
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "sources", dict(sources))
        object.__setattr__(self, "_origins", dict(origins))
        object.__setattr__(self, "base_url", base_url)
        object.__setattr__(self, "base_url_source", base_url_source)

    def source(self, name: str) -> str:
        """The level (``"default"``, ``"client"``, ...) the setting ``name`` came from."""
        if name == "base_url":
            return self.base_url_source
        return self.sources[name]

    def origin(self, name: str) -> str:
        """Where the setting ``name`` was declared (``"PokeApi.Config.SETTINGS"``, ...)."""
        return self._origins[name]

    def as_dict(self) -> t.Dict[str, t.Any]:
        """``{field: value}`` for every field."""
        return dict(self._values)

    def explain(self, title: str = "") -> str:
        """A table of every setting, its value and the level it came from."""
        rows = [("base_url", _short(redact_url(self.base_url) if self.base_url else self.base_url),
                 self.base_url_source, "")]
        rows += [(name, _short(self._values[name]), self.sources[name], self._origins[name]) for name in FIELDS]
        width = max(len(r[0]) for r in rows)
        value_width = min(60, max(len(r[1]) for r in rows))
        lines = [title] if title else []
        for name, value, level, origin in rows:
            where = f"{level} ({origin})" if origin and origin != level else level
            lines.append(f"  {name:<{width}}  {value:<{value_width}}  {where}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "ResolvedSettings(" + ", ".join(f"{k}={_short(v)}" for k, v in self._values.items()) + ")"

    def __str__(self) -> str:
        return self.explain()


def _short(value: t.Any) -> str:
    if isinstance(value, frozenset):
        text = "{" + ", ".join(str(v) for v in sorted(value)) + "}"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k!r}: {_name(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, tuple):
        text = "(" + ", ".join(_name(v) for v in value) + ")"
    else:
        text = _name(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _name(value: t.Any) -> str:
    if isinstance(value, LogEvent):
        level = LogLevel(value.level).name if value.level in LogLevel._value2member_map_ else str(value.level)
        template = value.template
        shown = "" if template is None else ", " + (repr(template) if isinstance(template, str) else _name(template))
        return f"LogEvent({level}{shown})"
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        return str(getattr(value, "__qualname__", value))
    return repr(value)


def resolve(layers: t.Sequence[Layer], base_url: t.Optional[str], base_url_source: str) -> ResolvedSettings:
    """Merge ``layers`` (lowest precedence first) into one :class:`ResolvedSettings`."""
    values: t.Dict[str, t.Any] = {}
    sources: t.Dict[str, str] = {}
    origins: t.Dict[str, str] = {}
    for name in FIELDS:
        if name in _STATUS_FIELDS:
            continue
        for layer in reversed(layers):
            value = layer.settings._values[name]
            if value is not UNSET:
                values[name], sources[name], origins[name] = value, layer.level, layer.origin
                break
    for layer in reversed(layers):  # the status policy comes whole from one layer
        if any(layer.settings._values[n] is not UNSET for n in _STATUS_FIELDS):
            for n in _STATUS_FIELDS:
                value = layer.settings._values[n]
                values[n] = None if value is UNSET else value
                sources[n], origins[n] = layer.level, layer.origin
            break
    missing = [n for n in FIELDS if n not in values]
    if missing:  # only when the default layer is left out
        raise AssertionError(f"unresolved settings {missing}")
    return ResolvedSettings(values, sources, origins, base_url, base_url_source)
