"""The one merge: layers of :class:`Settings` in precedence order, resolved once per call.

Precedence, lowest to highest: ``default`` < ``client`` < ``namespace`` < ``endpoint`` <
``method`` < ``call``. For each setting the highest layer that sets it wins (``None`` counts
as set: it disables). The status policy (strict/allowed) is one setting made of two fields:
it comes whole from the highest layer that sets either field.
"""

from __future__ import annotations

import dataclasses
import typing as t

from luco_client._fields import Layer as _FieldsLayer
from luco_client._fields import layered
from luco_client._redact import redact_url
from luco_client.client._config import FIELDS, Settings
from luco_client.events import LogEvent, LogLevel
from luco_client.transport import GracefulRetry, Timeout

__all__ = ["LEVELS", "Layer", "ResolvedSettings", "resolve", "default_settings"]

#: The levels of the precedence chain, lowest first.
LEVELS: t.Tuple[str, ...] = ("default", "client", "namespace", "endpoint", "method", "call")


class Layer(t.NamedTuple):
    """One level of the chain: its ``level`` (one of :data:`LEVELS`), its ``settings`` and
    ``origin``, a readable name of where they were declared (``"PokeApi.Config.SETTINGS"``)."""

    level: str
    settings: Settings
    origin: str


#: What applies when no level sets a field (every other field: ``None``).
_DEFAULTS: t.Dict[str, t.Any] = {
    "timeout": Timeout(),
    "log_request": LogEvent(LogLevel.DEBUG),
    "log_response": LogEvent(LogLevel.DEBUG),
    "log_errors": LogEvent(LogLevel.WARNING),
}


def default_settings(retry: GracefulRetry) -> Settings:
    """The "default" level: every field set (``retry`` is the default policy)."""
    return Settings(**{name: _DEFAULTS.get(name) for name in FIELDS if name != "retry"}, retry=retry)


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class ResolvedSettings(Settings):
    """The settings of one call after the merge: a :class:`Settings` with every field set,
    plus where each came from (:attr:`sources`, :meth:`origin`) and ``base_url``. Frozen.
    """

    base_url: t.Optional[str] = None
    base_url_source: str = "client"
    #: ``{field: level}`` for every field.
    sources: t.Mapping[str, str] = dataclasses.field(default_factory=dict)
    origins: t.Mapping[str, str] = dataclasses.field(default_factory=dict)

    def source(self, name: str) -> str:
        """The level (``"default"``, ``"client"``, ...) the setting ``name`` came from."""
        if name == "base_url":
            return self.base_url_source
        return self.sources[name]

    def origin(self, name: str) -> str:
        """Where the setting ``name`` was declared (``"PokeApi.Config.SETTINGS"``, ...)."""
        return self.origins[name]

    def as_dict(self) -> t.Dict[str, t.Any]:
        """``{field: value}`` for every field."""
        return {name: getattr(self, name) for name in FIELDS}

    def explain(self, title: str = "") -> str:
        """A table of every setting, its value and the level it came from."""
        rows = [("base_url", _short(redact_url(self.base_url) if self.base_url else self.base_url),
                 self.base_url_source, "")]
        rows += [(name, _short(getattr(self, name)), self.sources[name], self.origins[name]) for name in FIELDS]
        width = max(len(r[0]) for r in rows)
        value_width = min(60, max(len(r[1]) for r in rows))
        lines = [title] if title else []
        for name, value, level, origin in rows:
            where = f"{level} ({origin})" if origin and origin != level else level
            lines.append(f"  {name:<{width}}  {value:<{value_width}}  {where}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "ResolvedSettings(" + ", ".join(f"{k}={_short(v)}" for k, v in self.as_dict().items()) + ")"

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
    """Merge ``layers`` (lowest precedence first) into one :class:`ResolvedSettings`, with
    the one merge of :mod:`luco_client._fields` (the status policy is a group: it comes
    whole from the highest layer that sets either of its fields)."""
    values, sources = layered([_FieldsLayer(layer.level, layer.settings, layer.origin) for layer in layers], FIELDS)
    missing = [n for n in FIELDS if n not in values]
    if missing:  # only when the default layer is left out
        raise AssertionError(f"unresolved settings {missing}")
    return ResolvedSettings.trusted(**values, base_url=base_url, base_url_source=base_url_source,
                                    sources={n: layer.level for n, layer in sources.items()},
                                    origins={n: layer.origin for n, layer in sources.items()})
