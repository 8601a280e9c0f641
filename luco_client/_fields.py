"""The settings machinery: one sentinel, one kind of field, one merge.

Settings are declared once, as frozen dataclasses whose fields are made with
:func:`setting` (see :class:`luco_client.transport.CallSettings`, extended by
:class:`luco_client.client.Settings`): the field's type annotation is what IDEs and type
checkers show, its ``check`` normalises and validates a value when an object is built, its
``aliases`` are other accepted keyword names (gracy's spellings), its ``group`` ties fields
that must come from one layer together. :func:`settings_class` makes such a dataclass;
:func:`layered` merges any stack of them. Adding a setting is one field (plus its
behaviour where it is used).

Every field starts :data:`UNSET`: "not set here, inherit from the layer below". ``None``
is a value: it *disables* what a lower layer set.
"""

from __future__ import annotations

import dataclasses
import functools
import typing as t

from luco_client.errors import ConfigurationError

__all__ = ["UNSET", "setting", "settings_class", "setting_names", "layered", "SettingsBase"]


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

    def __bool__(self) -> bool:
        return False


#: A setting that is not set at this level: it inherits from the level below.
UNSET: t.Any = _Unset()

_CHECK = "luco_check"
_ALIASES = "luco_aliases"
_GROUP = "luco_group"

T = t.TypeVar("T")
C = t.TypeVar("C", bound=type)

if t.TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: t.Any) -> t.Callable[[T], T]:
        return lambda decorated: decorated


def setting(*, default: t.Any = UNSET, check: t.Optional[t.Callable[[str, t.Any], t.Any]] = None,
            aliases: t.Tuple[str, ...] = (), group: t.Optional[str] = None, doc: str = "") -> t.Any:
    """A settings field.

    :param default: the value when not given; :data:`UNSET` for a setting (inherits).
    :param check: ``(owner_and_name, value) -> normalised value``; raises
        :class:`~luco_client.errors.ConfigurationError` for a bad value. Not called for
        :data:`UNSET`.
    :param aliases: other keyword names accepted for the field (gracy's spellings).
    :param group: fields of one group come whole from the highest layer setting any of
        them (the status policy: strict or allowed statuses).
    """
    metadata = {_CHECK: check, _ALIASES: tuple(aliases), _GROUP: group, "doc": doc}
    return dataclasses.field(default=default, metadata=metadata)


class SettingsBase:
    """Behaviour shared by every settings dataclass: frozen values, checked when built,
    ``is_set``/``set_fields``, a short ``repr``, and ``replace``."""

    __dataclass_fields__: t.ClassVar[t.Dict[str, t.Any]]

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for field in dataclasses.fields(self):
            check = field.metadata.get(_CHECK)
            value = getattr(self, field.name)
            if check is not None and value is not UNSET:
                object.__setattr__(self, field.name, check(f"{owner}: {field.name}", value))

    def __getattr__(self, name: str) -> t.Any:
        """A field read by one of its aliases (``options.throttle`` is ``options.throttling``)."""
        canonical = _alias_map(type(self)).get(name)
        if canonical is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(self, canonical)

    @classmethod
    def setting_fields(cls) -> t.Tuple[str, ...]:
        """The names of the settings fields (those that inherit when unset), in order."""
        return setting_names(cls)

    def is_set(self, name: str) -> bool:
        """Whether setting ``name`` (or one of its aliases) is set here (``None`` counts as set)."""
        return getattr(self, canonical_name(type(self), name)) is not UNSET

    def set_fields(self) -> t.Dict[str, t.Any]:
        """``{name: value}`` of the settings fields set here."""
        return {name: getattr(self, name) for name in self.setting_fields() if getattr(self, name) is not UNSET}

    @classmethod
    def trusted(cls: t.Type[T], **values: t.Any) -> T:
        """An instance from values that are already checked and normalised (taken from
        other settings objects, as the merge does for every call): no checks, no alias
        handling. Fields not given get their defaults."""
        obj = object.__new__(cls)
        state = obj.__dict__
        state.update(_defaults(cls))
        state.update(values)
        return obj

    def replace(self: T, **changes: t.Any) -> T:
        """A copy with ``changes`` (aliases accepted), checked like a new object."""
        cls = type(self)
        canonical: t.Dict[str, t.Any] = {}
        for key, value in changes.items():
            name = canonical_name(cls, key)
            if name in canonical:
                raise ConfigurationError(f"{cls.__name__}: {key}= is another name for {name}=; give one")
            canonical[name] = value
        return cls(**{**_init_values(self), **canonical})

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={value!r}" for name, value in self.set_fields().items())
        return f"{type(self).__name__}({body})"


def _init_values(obj: t.Any) -> t.Dict[str, t.Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}


_NAMES: t.Dict[type, t.Tuple[str, ...]] = {}
_DEFAULTS: t.Dict[type, t.Dict[str, t.Any]] = {}


def _defaults(cls: type) -> t.Dict[str, t.Any]:
    found = _DEFAULTS.get(cls)
    if found is None:
        found = {}
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                found[f.name] = f.default
        _DEFAULTS[cls] = found
    result = dict(found)
    for f in dataclasses.fields(cls):  # fresh mutable defaults
        if f.default_factory is not dataclasses.MISSING:
            result[f.name] = f.default_factory()
    return result
_ALIAS_MAPS: t.Dict[type, t.Dict[str, str]] = {}
_GROUPS: t.Dict[type, t.Dict[str, t.Tuple[str, ...]]] = {}


def setting_names(cls: type) -> t.Tuple[str, ...]:
    """The settings fields of a settings dataclass (fields declared with :func:`setting`
    whose default is :data:`UNSET`), in declaration order."""
    found = _NAMES.get(cls)
    if found is None:
        found = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)
                                    if _CHECK in f.metadata and f.default is UNSET)
    return found


def _alias_map(cls: type) -> t.Dict[str, str]:
    found = _ALIAS_MAPS.get(cls)
    if found is None:
        found = _ALIAS_MAPS[cls] = {alias: f.name for f in dataclasses.fields(cls)
                                    for alias in f.metadata.get(_ALIASES, ())}
    return found


def canonical_name(cls: type, name: str) -> str:
    """``name``, or the field it is an alias of."""
    return _alias_map(cls).get(name, name)


def _groups(cls: type) -> t.Dict[str, t.Tuple[str, ...]]:
    found = _GROUPS.get(cls)
    if found is None:
        groups: t.Dict[str, t.List[str]] = {}
        for f in dataclasses.fields(cls):
            if f.metadata.get(_GROUP):
                groups.setdefault(f.metadata[_GROUP], []).append(f.name)
        found = _GROUPS[cls] = {name: tuple(members) for name, members in groups.items()}
    return found


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(setting,))
def settings_class(cls: C) -> C:
    """Make ``cls`` a frozen settings dataclass taking keywords only (its fields' names and
    aliases): a positional value could silently land in the wrong field."""
    made: t.Any = dataclasses.dataclass(frozen=True, repr=False)(cls)
    generated = made.__init__
    aliases = _alias_map(made)

    @functools.wraps(generated)
    def __init__(self: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        if args:
            raise ConfigurationError(f"{made.__name__} takes keyword arguments only, such as retry=...; "
                                     f"got {len(args)} positional")
        for alias in [k for k in kwargs if k in aliases]:
            name = aliases[alias]
            if name in kwargs:
                raise ConfigurationError(f"{made.__name__}: {alias}= is another name for {name}=; give one")
            kwargs[name] = kwargs.pop(alias)
        try:
            generated(self, **kwargs)
        except TypeError as exc:  # an unknown keyword: say which ones exist
            names = sorted(f.name for f in dataclasses.fields(made) if f.init)
            raise ConfigurationError(f"{made.__name__}: {exc}; valid: {names}") from None

    made.__init__ = __init__
    return t.cast(C, made)


class Layer(t.NamedTuple):
    """One level of a merge: its ``level`` name, its settings ``values`` (a settings
    dataclass) and ``origin``, a readable name of where they were declared."""

    level: str
    values: t.Any
    origin: str


def layered(layers: t.Sequence[Layer], names: t.Sequence[str]
            ) -> t.Tuple[t.Dict[str, t.Any], t.Dict[str, Layer]]:
    """The one merge: for each setting in ``names``, the value of the highest layer (last
    in ``layers``) that sets it; a group's fields come whole from the highest layer that
    sets any of them (the others of the group are ``None`` there). Returns
    ``({name: value}, {name: the layer it came from})``; a setting no layer sets is left
    out. (It runs for every call: plain loops over the instances' dicts.)"""
    values: t.Dict[str, t.Any] = {}
    sources: t.Dict[str, Layer] = {}
    grouped = False
    for layer in layers:  # lowest first: a higher layer overwrites
        state = layer.values.__dict__
        for name in names:
            value = state.get(name, UNSET)
            if value is not UNSET:
                values[name] = value
                sources[name] = layer
        grouped = grouped or bool(_groups(type(layer.values)))
    if grouped:
        for members in {g for layer in layers for g in _groups(type(layer.values)).values()}:
            wanted = [m for m in members if m in names]
            for layer in reversed(layers):
                state = layer.values.__dict__
                if any(state.get(m, UNSET) is not UNSET for m in wanted):
                    for member in wanted:
                        value = state.get(member, UNSET)
                        values[member] = None if value is UNSET else value
                        sources[member] = layer
                    break
    return values, sources
