"""Per-method overrides: ``@graceful(...)`` and ``@graceful_generator(...)``.

The decorator attaches a :class:`Settings` (the "method" level of the precedence chain) to
a method of an :class:`ApiClient` or :class:`Namespace`. While the method runs (for a
generator: while it runs between two ``yield``), calls made through the same client pick
the override up. Another client's calls never see it, and code that consumes a generator
between two items is outside the override.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import typing as t

from luco_client.client._config import Settings
from luco_client.errors import ConfigurationError

__all__ = ["graceful", "graceful_generator", "MethodOverride", "active_override", "settings_of"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_ATTRIBUTE = "__luco_settings__"


class MethodOverride(t.NamedTuple):
    """The override in force: the method's qualified ``name``, its ``settings`` and the
    root client it belongs to."""

    name: str
    settings: Settings
    client: t.Any


_ACTIVE: contextvars.ContextVar[t.Optional[MethodOverride]] = contextvars.ContextVar(
    "luco_client_method_override", default=None)


def active_override(client: t.Any) -> t.Optional[MethodOverride]:
    """The override in force for calls made through ``client`` (``None`` if none)."""
    override = _ACTIVE.get()
    if override is not None and override.client is client:
        return override
    return None


def settings_of(method: t.Any) -> t.Optional[Settings]:
    """The settings attached to a ``@graceful`` method (``None`` for other callables)."""
    return getattr(method, _ATTRIBUTE, None)


def _owner_client(fn: t.Callable[..., t.Any], args: t.Sequence[t.Any]) -> t.Any:
    client = getattr(args[0], "_luco_root", None) if args else None
    if client is None:
        raise ConfigurationError(f"@graceful on {fn.__qualname__}: decorate methods of ApiClient or Namespace "
                                 "subclasses (the first argument must be the client)")
    return client


def _decorator(settings: Settings, generator: bool) -> t.Callable[[F], F]:
    def decorate(fn: F) -> F:
        if not callable(fn):
            raise ConfigurationError(f"@graceful decorates methods, got {fn!r}")
        is_gen = inspect.isgeneratorfunction(fn)
        if is_gen and not generator:
            raise ConfigurationError(f"{fn.__qualname__} is a generator: use @graceful_generator")
        if generator and not is_gen:
            raise ConfigurationError(f"{fn.__qualname__} is not a generator: use @graceful")
        if generator:
            wrapper = _generator_wrapper(fn, settings)
        else:
            @functools.wraps(fn)
            def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
                token = _ACTIVE.set(MethodOverride(fn.__qualname__, settings, _owner_client(fn, args)))
                try:
                    return fn(*args, **kwargs)
                finally:
                    _ACTIVE.reset(token)
        setattr(wrapper, _ATTRIBUTE, settings)
        return t.cast(F, wrapper)

    return decorate


def _generator_wrapper(fn: t.Callable[..., t.Any], settings: Settings) -> t.Callable[..., t.Any]:
    @functools.wraps(fn)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Generator[t.Any, t.Any, t.Any]:
        override = MethodOverride(fn.__qualname__, settings, _owner_client(fn, args))
        gen = fn(*args, **kwargs)
        send: t.Any = None
        thrown: t.Optional[BaseException] = None
        while True:
            token = _ACTIVE.set(override)
            try:
                item = gen.throw(thrown) if thrown is not None else gen.send(send)
            except StopIteration as stop:
                return stop.value
            finally:
                _ACTIVE.reset(token)
            send, thrown = None, None
            try:
                send = yield item
            except GeneratorExit:
                token = _ACTIVE.set(override)
                try:
                    gen.close()
                finally:
                    _ACTIVE.reset(token)
                raise
            except BaseException as exc:  # thrown into us: pass it on to the method
                thrown = exc

    return wrapper


def _factory(generator: bool, name: str, doc: str) -> t.Callable[..., t.Callable[[F], F]]:
    """A decorator factory taking exactly the keywords of :class:`Settings` (its signature
    is Settings'); nothing is spelled twice."""
    def factory(*args: t.Any, **kwargs: t.Any) -> t.Callable[[F], F]:
        return _decorator(Settings(*args, **kwargs), generator=generator)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = doc
    factory.__signature__ = inspect.signature(Settings)  # type: ignore[attr-defined]
    return factory


_GRACEFUL_DOC = """Override settings for the calls made inside one method (the "method" level).

Takes the keyword arguments of :class:`Settings` (and their gracy spellings); ``None``
disables a setting the client (or namespace, or endpoint) set, e.g.
``@graceful(retry=None, log_errors=None)``. Use :func:`graceful_generator` for methods
that ``yield``. The override applies to calls made through the same client while the
method runs; a ``@graceful`` method called from another replaces the outer override while
it runs (no stacking).
"""

_GENERATOR_DOC = """:func:`graceful` for generator methods (paginating ``yield`` loops).

The override is in force while the generator runs, and switched off each time it yields,
so the consumer's own calls between two items use their own settings. ``send()``,
``throw()`` and ``close()`` reach the method as usual.
"""

if t.TYPE_CHECKING:  # type checkers see Settings' own keywords on both decorators
    from typing_extensions import ParamSpec

    _P = ParamSpec("_P")

    def _typed(settings_cls: t.Callable[_P, Settings]) -> t.Callable[_P, t.Callable[[F], F]]: ...

    graceful = _typed(Settings)
    graceful_generator = _typed(Settings)
else:
    graceful = _factory(False, "graceful", _GRACEFUL_DOC)
    graceful_generator = _factory(True, "graceful_generator", _GENERATOR_DOC)
