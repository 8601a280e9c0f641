"""The status policy: which statuses a call accepts.

* ``strict_status_code`` set: *only* those statuses are accepted (a 200 outside the set
  is an error too).
* otherwise: every 2xx, plus ``allowed_status_code``.

Both set on one level is a ConfigurationError (see :class:`Settings`); across levels the
policy comes whole from the highest level that sets either field (see :mod:`._merge`).
"""

from __future__ import annotations

import typing as t

from luco_client.client._merge import ResolvedSettings

__all__ = ["accepts", "rejection", "success_statuses"]

Codes = t.Optional[t.FrozenSet[int]]


def _policy(settings: ResolvedSettings) -> t.Tuple[Codes, Codes]:
    """(strict, allowed) as merged: frozensets or ``None`` (the fields' checks normalise)."""
    return t.cast(Codes, settings.strict_status_code), t.cast(Codes, settings.allowed_status_code)


def accepts(settings: ResolvedSettings, status: int) -> bool:
    """Whether ``status`` is a success under the call's status policy."""
    strict, allowed = _policy(settings)
    if strict is not None:
        return status in strict
    return 200 <= status < 300 or (allowed is not None and status in allowed)


def rejection(settings: ResolvedSettings, status: int) -> str:
    """Why ``status`` is refused (for the error message)."""
    strict, allowed = _policy(settings)
    if strict is not None:
        return f"status {status} is not in strict_status_code {sorted(strict)}"
    extra = f" or allowed_status_code {sorted(allowed)}" if allowed else ""
    return f"status {status} is not a 2xx{extra}"


def success_statuses(settings: ResolvedSettings) -> t.FrozenSet[int]:
    """The error statuses (>= 400) the transport must treat as success (not retried, not
    raised): those the policy accepts explicitly."""
    strict, allowed = _policy(settings)
    accepted = strict or allowed or frozenset()
    return frozenset(s for s in accepted if s >= 400)
