"""Public names carry their public path: ``luco_client.transport.GracefulSession``, not the
private module that defines it (in reprs, tracebacks, the docs and pickles)."""

from __future__ import annotations

import typing as t

__all__ = ["publish"]


def publish(package: str, namespace: t.Mapping[str, t.Any]) -> None:
    """Set ``__module__`` to ``package`` on every class and function listed in the
    package's ``__all__`` that a private module of luco_client defines."""
    for name in namespace.get("__all__", ()):
        obj = namespace.get(name)
        module = getattr(obj, "__module__", None)
        if isinstance(module, str) and module.startswith("luco_client.") and "._" in module and callable(obj):
            try:
                obj.__module__ = package
            except (AttributeError, TypeError):  # a builtin or a frozen object: leave it
                pass
