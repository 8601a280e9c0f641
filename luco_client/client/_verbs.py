"""The HTTP verbs of clients and namespaces: ``self.get(...)`` and typed ``self.get[Model](...)``.

``self.get`` is a :class:`BoundVerb`. Calling it returns what the parser returns (typed
``Any``); indexing it with a type declares that type to the type checker::

    pokemon = self.get[Pokemon](Api.GET_POKEMON, {"NAME": name})        # Pokemon
    berry = self.get[Berry, None](Api.GET_BERRY, {"NAME": name})        # Optional[Berry]
    page = self.get[t.Dict[str, t.Any]](Api.LIST, params={"limit": 5})  # Dict[str, Any]

The type is a declaration for the checker (like ``typing.cast``); nothing is checked at
run time, because a parser may legitimately return ``None`` or a value for some statuses.
"""

from __future__ import annotations

import typing as t

from luco_client.client._config import Settings
from luco_client.errors import ConfigurationError


class Caller(t.Protocol):
    """What a verb calls: a client or namespace (see :class:`luco_client.client.Caller`)."""

    def _luco_call(self, method: str, endpoint: t.Any, endpoint_args: t.Optional[t.Mapping[str, t.Any]],
                   settings: t.Optional[Settings], request_kwargs: t.Dict[str, t.Any]) -> t.Any: ...

__all__ = ["Verb", "BoundVerb", "TypedVerb"]

T = t.TypeVar("T")


class BoundVerb:
    """One HTTP method of one client or namespace (``client.get``)."""

    __slots__ = ("_caller", "method")

    def __init__(self, caller: Caller, method: str) -> None:
        self._caller = caller
        self.method = method

    def __call__(
        self,
        endpoint: t.Any,
        endpoint_args: t.Optional[t.Mapping[str, t.Any]] = None,
        *,
        params: t.Any = None,
        json: t.Any = None,
        data: t.Any = None,
        headers: t.Optional[t.Mapping[str, str]] = None,
        settings: t.Optional[Settings] = None,
        **request_kwargs: t.Any,
    ) -> t.Any:
        """Call ``endpoint`` and return the parsed result.

        :param endpoint: a path template string, an :class:`Endpoint` or an endpoint enum
            member; relative to the client's (or namespace's) ``BASE_URL`` unless absolute.
        :param endpoint_args: values for the placeholders (``{"NAME": "pikachu"}``), each
            escaped as one path segment.
        :param params: query parameters (as requests takes them).
        :param json: a JSON body. ``data``: a form or raw body. ``headers``: extra headers.
        :param settings: :class:`Settings` for this call only (the "call" level, highest).
        :param request_kwargs: other ``requests`` arguments (``files``, ``cookies``,
            ``stream``, ``allow_redirects``...); ``timeout=`` sets the call's timeout.
            httpx's (gracy's) ``content=`` and ``follow_redirects=`` are accepted for
            ``data=`` and ``allow_redirects=``.
        """
        if "content" in request_kwargs:
            if data is not None:
                raise ConfigurationError("content= is httpx's name for data=; give one")
            data = request_kwargs.pop("content")
        if "follow_redirects" in request_kwargs:
            request_kwargs.setdefault("allow_redirects", request_kwargs.pop("follow_redirects"))
        return self._caller._luco_call(self.method, endpoint, endpoint_args, settings,
                                       dict(request_kwargs, params=params, json=json, data=data, headers=headers))

    @t.overload
    def __getitem__(self, returns: t.Tuple[t.Type[T], None]) -> TypedVerb[t.Optional[T]]: ...

    @t.overload
    def __getitem__(self, returns: t.Type[T]) -> TypedVerb[T]: ...

    def __getitem__(self, returns: t.Any) -> t.Any:
        """This verb, declared to return ``returns`` (``[Model]``) or ``Optional[Model]``
        (``[Model, None]``) to type checkers."""
        return TypedVerb(self._caller, self.method)

    def __repr__(self) -> str:
        return f"<{self.method} of {type(self._caller).__name__}>"


class TypedVerb(BoundVerb, t.Generic[T]):
    """A :class:`BoundVerb` whose calls are declared to return ``T``."""

    __slots__ = ()

    def __call__(
        self,
        endpoint: t.Any,
        endpoint_args: t.Optional[t.Mapping[str, t.Any]] = None,
        *,
        params: t.Any = None,
        json: t.Any = None,
        data: t.Any = None,
        headers: t.Optional[t.Mapping[str, str]] = None,
        settings: t.Optional[Settings] = None,
        **request_kwargs: t.Any,
    ) -> T:
        """As :meth:`BoundVerb.__call__`, typed ``T``."""
        return t.cast(T, super().__call__(endpoint, endpoint_args, params=params, json=json, data=data,
                                          headers=headers, settings=settings, **request_kwargs))


class Verb:
    """Descriptor giving each client or namespace instance its :class:`BoundVerb`."""

    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        self.method = method

    @t.overload
    def __get__(self, obj: None, owner: t.Optional[type] = None) -> Verb: ...

    @t.overload
    def __get__(self, obj: Caller, owner: t.Optional[type] = None) -> BoundVerb: ...

    def __get__(self, obj: t.Optional[Caller], owner: t.Optional[type] = None) -> t.Union[Verb, BoundVerb]:
        if obj is None:
            return self
        return BoundVerb(obj, self.method)
