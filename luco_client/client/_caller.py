"""What clients and namespaces share: the verbs, the static layers, explain()."""

from __future__ import annotations

import typing as t

from luco_client.client._config import Settings
from luco_client.client._endpoint import as_endpoint
from luco_client.client._merge import Layer, ResolvedSettings, resolve
from luco_client.client._overrides import settings_of
from luco_client.client._pipeline import CallPipeline
from luco_client.client._verbs import Verb
from luco_client.errors import ConfigurationError


class _Identity:
    """A cache-key part that compares and hashes its object by identity (and keeps it
    alive, so that its id is not reused while the key exists)."""

    __slots__ = ("obj",)

    def __init__(self, obj: t.Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Identity) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


class _Root(t.Protocol):
    """The root client of a caller: it holds the pipeline every call goes through."""

    _luco_pipeline: CallPipeline

__all__ = ["Caller", "config_of"]

_CONFIG_NAMES = {"BASE_URL", "SETTINGS", "REQUEST_TIMEOUT"}


def config_of(cls: type, allowed: t.AbstractSet[str]) -> t.Dict[str, t.Any]:
    """The upper-case attributes of ``cls.Config`` (nearest in the MRO), checked by name."""
    config = getattr(cls, "Config", None)
    if config is None:
        return {}
    values = {name: getattr(config, name) for name in dir(config) if name.isupper()}
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ConfigurationError(f"{cls.__qualname__}.Config: unknown setting(s) {unknown}; valid: {sorted(allowed)}")
    settings = values.get("SETTINGS")
    if settings is not None and not isinstance(settings, Settings):
        raise ConfigurationError(f"{cls.__qualname__}.Config.SETTINGS must be a Settings, got {settings!r}")
    return values


class Caller:
    """Base of :class:`ApiClient` and :class:`Namespace`: HTTP verbs and :meth:`explain`.

    ``get``, ``post``, ``put``, ``patch``, ``delete``, ``head`` and ``options`` are
    :class:`~luco_client.client.BoundVerb` objects: ``self.get(endpoint, {"NAME": name},
    params=..., json=..., settings=...)``, or typed ``self.get[Model](...)``.
    """

    get = Verb("GET")
    post = Verb("POST")
    put = Verb("PUT")
    patch = Verb("PATCH")
    delete = Verb("DELETE")
    head = Verb("HEAD")
    options = Verb("OPTIONS")

    _luco_root: _Root
    _luco_layers: t.Tuple[Layer, ...]
    _luco_base_url: t.Optional[str]
    _luco_base_url_source: str
    _luco_path: str

    def _luco_call(self, method: str, endpoint: t.Any, endpoint_args: t.Optional[t.Mapping[str, t.Any]],
                   settings: t.Optional[Settings], request_kwargs: t.Dict[str, t.Any]) -> t.Any:
        return self._luco_root._luco_pipeline.perform(self, method, endpoint, endpoint_args, call=settings,
                                                      kwargs=request_kwargs)

    def _luco_resolve(self, endpoint: t.Any = None, method_settings: t.Optional[t.Tuple[str, Settings]] = None,
                      call: t.Optional[Settings] = None) -> ResolvedSettings:
        layers = list(self._luco_layers)
        if endpoint is not None:
            ep = as_endpoint(endpoint)
            if ep.settings is not None:
                layers.append(Layer("endpoint", ep.settings, f"endpoint {ep.label}"))
        if method_settings is not None:
            layers.append(Layer("method", method_settings[1], f"@graceful {method_settings[0]}"))
        if call is not None:
            if not isinstance(call, Settings):
                raise ConfigurationError(f"settings= must be a Settings, got {call!r}")
            layers.append(Layer("call", call, "call"))
            return resolve(layers, self._luco_base_url, self._luco_base_url_source)
        # Without call settings, the same layers resolve the same way every time (Settings
        # are frozen): remember the result per chain of layers. The key holds each layer's
        # Settings object itself, compared by identity, so replaced settings are a new key.
        key = (tuple((layer.level, _Identity(layer.settings), layer.origin) for layer in layers),
               self._luco_base_url, self._luco_base_url_source)
        cache = self.__dict__.setdefault("_luco_resolved", {})
        found = cache.get(key)
        if found is None:
            found = resolve(layers, self._luco_base_url, self._luco_base_url_source)
            if len(cache) >= 256:
                cache.clear()
            cache[key] = found
        return found

    def explain(self, method: t.Optional[str] = None, *, endpoint: t.Any = None,
                settings: t.Optional[Settings] = None) -> ResolvedSettings:
        """The settings a call would get, and where each came from.

        :param method: the name of a method of this client (``"get_pokemon"``), or a dotted
            path through namespaces (``"pokemon.get_one"``); its ``@graceful`` settings are
            included.
        :param endpoint: the endpoint the call uses (its settings are included).
        :param settings: call-level settings.

        ``print(client.explain("get_pokemon", endpoint=Api.GET_POKEMON))`` shows one row
        per setting: value, level (default, client, namespace, endpoint, method, call) and
        where it was declared.
        """
        owner: Caller = self
        method_settings = None
        if method is not None:
            *path, name = method.split(".")
            for part in path:
                owner = getattr(owner, part, None)  # type: ignore[assignment]
                if not isinstance(owner, Caller):
                    raise ConfigurationError(f"explain: {part!r} is not a namespace of {type(self).__name__}")
            fn = getattr(owner, name, None)
            if fn is None or not callable(fn):
                raise ConfigurationError(f"explain: {type(owner).__name__} has no method {name!r}")
            declared = settings_of(fn)
            if declared is not None:
                method_settings = (getattr(fn, "__qualname__", name), declared)
        return owner._luco_resolve(endpoint, method_settings, settings)
