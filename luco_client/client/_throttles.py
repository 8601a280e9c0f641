"""Per-instance throttles: two clients of one class never share budget by accident.

Throttles declared in a class (``Config.SETTINGS``, a namespace, an endpoint, ``@graceful``)
are copied per client instance when they keep their buckets in memory. Throttles passed to
the client's constructor, and throttles with a shared backend (SQLite, Redis), are used as
they are: sharing is what they are for.
"""

from __future__ import annotations

import threading
import typing as t

from luco_client.transport import MemoryBackend, Throttle

__all__ = ["InstanceThrottles", "instance_copy"]


def instance_copy(throttle: Throttle) -> Throttle:
    """A throttle with the same rules, events and clock, and fresh in-memory buckets."""
    return Throttle(list(throttle.rules), backend=MemoryBackend(), log_limit_reached=throttle.log_limit_reached,
                    log_wait_over=throttle.log_wait_over, guard=throttle.guard, clock=throttle.clock)


class InstanceThrottles:
    """The throttles of one client instance, copied from the declared ones on first use."""

    def __init__(self, owned_throttles: t.Iterable[t.Any]) -> None:
        self._owned = {id(th): th for th in owned_throttles}  # given to the constructor: used as is
        self._copies: t.Dict[int, t.Tuple[Throttle, Throttle]] = {}
        self._lock = threading.Lock()

    def throttle_for(self, declared: t.Any) -> t.Optional[Throttle]:
        """The throttle this client instance uses for a declared one (a merged setting:
        a Throttle or None)."""
        if declared is None or id(declared) in self._owned or not isinstance(declared.backend, MemoryBackend):
            return declared
        with self._lock:
            found = self._copies.get(id(declared))
            if found is None or found[0] is not declared:
                found = self._copies[id(declared)] = (declared, instance_copy(declared))
            return found[1]
