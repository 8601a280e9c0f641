"""Namespaces: groups of methods, instantiated per client from class annotations.

::

    class GracefulPokeAPI(ApiClient):
        class Config:
            BASE_URL = "https://pokeapi.co/api/v2/"

        berry: BerryNamespace      # instantiated for every GracefulPokeAPI instance
        pokemon: PokemonNamespace

A namespace's layers are its parent's layers plus its own ``Config.SETTINGS`` (the
"namespace" level), built once when the namespace is instantiated; the parent's settings
and ``BASE_URL`` are read, never rewritten. A namespace without ``Config.BASE_URL`` uses
its parent's.
"""

from __future__ import annotations

import sys
import typing as t
import weakref

from luco_client.client._caller import Caller, config_of
from luco_client.client._endpoint import check_base_url
from luco_client.client._merge import Layer
from luco_client.errors import ConfigurationError

__all__ = ["Namespace", "instantiate_namespaces"]

_FIELDS_CACHE: t.MutableMapping[type, t.Tuple[t.Tuple[str, type], ...]] = weakref.WeakKeyDictionary()


class Namespace(Caller):
    """Base class of namespaces. Give it an optional ``Config`` with ``BASE_URL`` and
    ``SETTINGS``; annotate a client (or another namespace) attribute with the class.

    Instances are built by the client: ``Namespace(parent, name)``. A subclass that needs
    its own ``__init__`` must accept and pass on these two arguments. ``self.client`` is
    the root :class:`ApiClient`.
    """

    class Config:
        """Optional: ``BASE_URL`` (default: the parent's) and ``SETTINGS``."""

    def __init__(self, parent: Caller, name: str) -> None:
        if not isinstance(parent, Caller):
            raise ConfigurationError(f"{type(self).__qualname__} is built by its client; got parent {parent!r}")
        cls = type(self)
        config = config_of(cls, {"BASE_URL", "SETTINGS"})
        self._luco_root = parent._luco_root
        self._luco_path = f"{parent._luco_path}.{name}"
        base_url = config.get("BASE_URL")
        if base_url is not None:
            self._luco_base_url = check_base_url(base_url, f"{cls.__qualname__}.Config")
            self._luco_base_url_source = "namespace"
        else:
            self._luco_base_url = parent._luco_base_url
            self._luco_base_url_source = parent._luco_base_url_source
        layers = parent._luco_layers
        settings = config.get("SETTINGS")
        if settings is not None:
            layers = (*layers, Layer("namespace", settings, f"{cls.__qualname__}.Config.SETTINGS"))
        self._luco_layers = layers
        instantiate_namespaces(self)

    @property
    def client(self) -> t.Any:
        """The root client this namespace belongs to."""
        return self._luco_root

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} {self._luco_path}>"


def _resolve_annotation(owner: type, name: str, annotation: t.Any) -> t.Optional[type]:
    if not isinstance(annotation, str):
        return annotation if isinstance(annotation, type) else None
    module = sys.modules.get(owner.__module__)
    namespace = dict(vars(module)) if module is not None else {}
    try:
        value = eval(annotation, namespace, dict(vars(owner)))  # resolves a class annotation, as typing does
    except Exception:
        value = None
    if isinstance(value, type):
        return value
    # A namespace class defined inside a function cannot be resolved from its module: find it
    # among the Namespace subclasses by name.
    scope = owner.__qualname__.rpartition(".")[0]
    candidates = [c for c in _all_subclasses(Namespace) if c.__module__ == owner.__module__
                  and annotation in (c.__name__, c.__qualname__)]
    same_scope = [c for c in candidates if c.__qualname__ == f"{scope}.{annotation}".lstrip(".")]
    if same_scope:  # several only when a function ran twice: its latest class
        return same_scope[-1]
    matches = candidates
    if len(matches) > 1:
        raise ConfigurationError(f"{owner.__qualname__}.{name}: annotation {annotation!r} matches several "
                                 "Namespace classes; define them at module level")
    return matches[0] if matches else None


def _all_subclasses(cls: type) -> t.List[type]:
    """Every subclass of ``cls``, breadth first, each level in creation order."""
    found: t.List[type] = list(cls.__subclasses__())
    index = 0
    while index < len(found):
        found.extend(found[index].__subclasses__())
        index += 1
    return found


def namespace_fields(cls: type) -> t.Tuple[t.Tuple[str, type], ...]:
    """``(attribute, Namespace subclass)`` for every annotated namespace attribute of ``cls``."""
    cached = _FIELDS_CACHE.get(cls)
    if cached is not None:
        return cached
    fields: t.Dict[str, type] = {}
    for klass in reversed(cls.__mro__):
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_") or name in vars(klass):
                continue  # private, or given a value in the class body: not ours to build
            resolved = _resolve_annotation(klass, name, annotation)
            if isinstance(resolved, type) and issubclass(resolved, Namespace):
                fields[name] = resolved
            else:
                fields.pop(name, None)
    result = tuple(fields.items())
    _FIELDS_CACHE[cls] = result
    return result


def instantiate_namespaces(owner: Caller) -> None:
    """Build and set every annotated namespace of ``owner`` (a client or a namespace)."""
    for name, ns_cls in namespace_fields(type(owner)):
        setattr(owner, name, ns_cls(owner, name))
