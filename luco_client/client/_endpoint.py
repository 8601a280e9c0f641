"""Endpoints: path templates with ``{PLACEHOLDERS}``, formatted with escaped values."""

from __future__ import annotations

import enum
import functools
import string
import typing as t
from urllib.parse import quote, urlsplit, urlunsplit

from luco_client.client._config import Settings
from luco_client.errors import ConfigurationError

__all__ = ["Endpoint", "BaseEndpoint", "as_endpoint", "join_url", "escape_segment", "origin_of"]

_FORMATTER = string.Formatter()


def escape_segment(value: str) -> str:
    """Percent-encode ``value`` for use inside one path segment.

    Every reserved character is encoded (``/`` becomes ``%2F``, ``?`` ``%3F``, ``#``
    ``%23``...), so a value can never add a segment, a query or a fragment; the dot
    segments ``.`` and ``..`` are encoded too, so a value cannot climb the path.
    """
    escaped = quote(value, safe="")
    if escaped in (".", ".."):
        escaped = escaped.replace(".", "%2E")
    return escaped


class Endpoint:
    """An endpoint: a path template (``"/pokemon/{NAME}"``), optional :class:`Settings`
    for every call to it, and a name (for :meth:`ApiClient.explain` and errors).

    :param path: a path relative to the client's ``BASE_URL`` or an absolute
        ``http(s)://`` URL, with ``{NAME}`` placeholders. Placeholders must be names
        (``{0}`` or ``{a.b}`` are refused); a format spec is allowed (``{ID:04d}``).
    :param settings: settings of the "endpoint" level of the precedence chain.
    :param name: default: the class attribute it is assigned to, else the path.

    Values are escaped as one path segment each (:func:`escape_segment`); a missing,
    unknown, ``None`` or empty value raises :class:`~luco_client.errors.ConfigurationError`
    naming the placeholder.
    """

    __slots__ = ("name", "path", "placeholders", "settings")

    def __init__(self, path: str, settings: t.Optional[Settings] = None, *, name: t.Optional[str] = None) -> None:
        if not isinstance(path, str):
            raise ConfigurationError(f"Endpoint: path must be a string such as '/pokemon/{{NAME}}', got {path!r}")
        if settings is not None and not isinstance(settings, Settings):
            raise ConfigurationError(f"Endpoint {path!r}: settings must be a Settings, got {settings!r}")
        self.path = path
        self.settings = settings
        self.name = name
        self.placeholders = _placeholders(path)

    def __set_name__(self, owner: type, name: str) -> None:
        if self.name is None:
            self.name = name

    @property
    def label(self) -> str:
        """The name, or the path when the endpoint has none."""
        return self.name or self.path

    def format(self, args: t.Optional[t.Mapping[str, t.Any]]) -> str:
        """The path with every placeholder replaced by its escaped value."""
        args = {} if args is None else args
        if not isinstance(args, t.Mapping):
            raise ConfigurationError(f"endpoint {self.label}: endpoint arguments must be a mapping such as "
                                     f"{{'NAME': 'pikachu'}}, got {type(args).__name__}")
        unknown = sorted(str(k) for k in set(args) - set(self.placeholders))
        if unknown:
            raise ConfigurationError(f"endpoint {self.label} ({self.path}) has no placeholder "
                                     f"{', '.join('{' + k + '}' for k in unknown)}")
        parts: t.List[str] = []
        for literal, field, spec, conversion in _FORMATTER.parse(self.path):
            parts.append(literal)
            if field is None:
                continue
            if field not in args:
                raise ConfigurationError(f"endpoint {self.label} ({self.path}) needs a value for {{{field}}}")
            value = args[field]
            if value is None or isinstance(value, bool):
                raise ConfigurationError(f"endpoint {self.label}: {{{field}}} must be a string or a number, "
                                         f"got {value!r}")
            try:
                text = _FORMATTER.format_field(_FORMATTER.convert_field(value, conversion), spec or "")
            except (ValueError, TypeError) as exc:
                raise ConfigurationError(f"endpoint {self.label}: cannot format {{{field}}} with {value!r}: "
                                         f"{exc}") from None
            if text == "":
                raise ConfigurationError(f"endpoint {self.label}: {{{field}}} is empty (it would change the path)")
            parts.append(escape_segment(text))
        return "".join(parts)

    def __repr__(self) -> str:
        return f"Endpoint({self.path!r}, name={self.name!r})"


@functools.lru_cache(maxsize=1024)
def _placeholders(path: str) -> t.Tuple[str, ...]:
    names: t.List[str] = []
    try:
        parsed = list(_FORMATTER.parse(path))
    except ValueError as exc:
        raise ConfigurationError(f"Endpoint: invalid template {path!r}: {exc}") from None
    for _, field, _, _ in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            raise ConfigurationError(f"Endpoint: placeholder {{{field}}} in {path!r} must be a name such as {{NAME}}")
        if field not in names:
            names.append(field)
    return tuple(names)


class BaseEndpoint(str, enum.Enum):
    """gracy-style endpoint enumeration: ``class Api(BaseEndpoint): GET_POKEMON = "/pokemon/{NAME}"``.

    Members are strings (their path template); their name is used in :meth:`explain`.
    A plain class of :class:`Endpoint` attributes (which can carry settings) works too.
    """

    def __str__(self) -> str:
        return str(self.value)


@functools.lru_cache(maxsize=1024)
def _endpoint_for_str(path: str) -> Endpoint:
    return Endpoint(path)


def as_endpoint(value: t.Any) -> Endpoint:
    """An :class:`Endpoint` for a string template, an enum member or an Endpoint."""
    if isinstance(value, Endpoint):
        return value
    if isinstance(value, enum.Enum):
        inner = value.value
        if isinstance(inner, Endpoint):
            return inner
        if isinstance(inner, str):
            return Endpoint(inner, name=value.name)
    elif isinstance(value, str):
        return _endpoint_for_str(value)
    raise ConfigurationError(f"an endpoint must be a path template string, an Endpoint or an endpoint enum "
                             f"member, got {value!r}")


def is_absolute(path: str) -> bool:
    """Whether ``path`` is a full ``http(s)://`` URL (then BASE_URL is not prepended)."""
    return path.lower().startswith(("http://", "https://"))


def join_url(base_url: t.Optional[str], path: str, label: str) -> str:
    """``base_url`` and ``path`` joined with exactly one ``/`` (a query string of either is
    kept, the base's first); an absolute ``path`` as it is."""
    if is_absolute(path):
        return path
    if not base_url:
        raise ConfigurationError(f"endpoint {label} ({path}) is relative but the client has no BASE_URL; "
                                 "set Config.BASE_URL or pass base_url=")
    base = urlsplit(base_url)
    path_part, _, query_part = path.partition("?")
    joined = base.path.rstrip("/") + "/" + path_part.lstrip("/") if path_part else base.path
    query = "&".join(q for q in (base.query, query_part) if q)  # a query in BASE_URL is kept
    return urlunsplit((base.scheme, base.netloc, joined, query, ""))


def check_base_url(value: t.Any, owner: str) -> t.Optional[str]:
    """A valid ``http(s)://`` base URL, or ``None``."""
    if value is None:
        return None
    if not isinstance(value, str) or not is_absolute(value):
        raise ConfigurationError(f"{owner}: BASE_URL must be an http:// or https:// URL, got {value!r}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parses host and port, raises on junk
    except ValueError as exc:
        raise ConfigurationError(f"{owner}: invalid BASE_URL: {exc}") from None
    if not parts.hostname:
        raise ConfigurationError(f"{owner}: BASE_URL has no host: {value!r}")
    return value


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> t.Optional[t.Tuple[str, str, int]]:
    """``(scheme, host, port)`` of ``url``, lower-cased, the default port filled in; ``None``
    for a URL without a host (or one that cannot be parsed)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS.get(scheme, 0)
