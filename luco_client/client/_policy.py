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


def accepts(settings: ResolvedSettings, status: int) -> bool:
    """Whether ``status`` is a success under the call's status policy."""
    strict = settings.strict_status_code
    if strict is not None:
        return status in strict
    allowed = settings.allowed_status_code
    return 200 <= status < 300 or (allowed is not None and status in allowed)


def rejection(settings: ResolvedSettings, status: int) -> str:
    """Why ``status`` is refused (for the error message)."""
    strict = settings.strict_status_code
    if strict is not None:
        return f"status {status} is not in strict_status_code {sorted(strict)}"
    allowed = settings.allowed_status_code
    extra = f" or allowed_status_code {sorted(allowed)}" if allowed else ""
    return f"status {status} is not a 2xx{extra}"


def success_statuses(settings: ResolvedSettings) -> t.FrozenSet[int]:
    """The error statuses (>= 400) the transport must treat as success (not retried, not
    raised): those the policy accepts explicitly."""
    accepted = settings.strict_status_code or settings.allowed_status_code or frozenset()
    return frozenset(s for s in accepted if s >= 400)
