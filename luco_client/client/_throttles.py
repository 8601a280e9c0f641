"""Lanes: the sessions of one client, one per distinct set of session-level settings.

Throttle, concurrency limits and log events live in the transport's adapter, not in the
per-call options. A method that overrides one of them (``@graceful(log_errors=None)``,
``throttling=None``, ``concurrent_requests=5``) is sent through a lane: a session built by
the client's ``build_session`` with those settings. All lanes of a client share its stats,
its pause board (backoff hooks hold every lane) and, for the same concurrency limits, the
same slots; each distinct throttle keeps its own buckets.

Throttles declared in a class (``Config.SETTINGS``, a namespace, an endpoint, ``@graceful``)
are copied per client instance when they keep their buckets in memory, so two clients of
the same class never share budget by accident. Throttles passed to the client's
constructor, and throttles with a shared backend (SQLite, Redis), are used as they are.
"""

from __future__ import annotations

import threading
import typing as t

from luco_client.client._merge import ResolvedSettings
from luco_client.errors import ConfigurationError
from luco_client.transport import GracefulSession, MemoryBackend, Throttle

__all__ = ["Lanes", "instance_copy"]


def instance_copy(throttle: Throttle) -> Throttle:
    """A throttle with the same rules, events and clock, and fresh in-memory buckets."""
    return Throttle(list(throttle.rules), backend=MemoryBackend(), log_limit_reached=throttle.log_limit_reached,
                    log_wait_over=throttle.log_wait_over, guard=throttle.guard, clock=throttle.clock)


class Lanes:
    """The sessions of one client, built on first use and reused."""

    def __init__(self, build: t.Callable[..., GracefulSession], session_kwargs: t.Mapping[str, t.Any],
                 owned_throttles: t.Iterable[Throttle]) -> None:
        self._build = build
        self._kwargs = dict(session_kwargs)
        self._owned = {id(th): th for th in owned_throttles}  # given to the constructor: used as is
        self._copies: t.Dict[int, t.Tuple[Throttle, Throttle]] = {}
        self._sessions: t.Dict[t.Tuple[t.Any, ...], GracefulSession] = {}
        self._lock = threading.RLock()
        self._shared: t.Optional[GracefulSession] = None  # the first lane: its pause board is everyone's

    def throttle_for(self, declared: t.Optional[Throttle]) -> t.Optional[Throttle]:
        """The throttle this client instance uses for a declared one."""
        if declared is None or id(declared) in self._owned or not isinstance(declared.backend, MemoryBackend):
            return declared
        with self._lock:
            found = self._copies.get(id(declared))
            if found is None or found[0] is not declared:
                found = self._copies[id(declared)] = (declared, instance_copy(declared))
            return found[1]

    def session_for(self, settings: ResolvedSettings) -> GracefulSession:
        """The session of the lane for these settings."""
        throttle = self.throttle_for(settings.throttling)
        limits = settings.concurrent_requests or ()
        key = (id(throttle) if throttle is not None else None, tuple(id(c) for c in limits),
               settings.log_request, settings.log_response, settings.log_errors)
        session = self._sessions.get(key)
        if session is not None:
            return session
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._new(throttle, limits, settings)
                self._sessions[key] = session
            return session

    def _new(self, throttle: t.Optional[Throttle], limits: t.Tuple[t.Any, ...],
             settings: ResolvedSettings) -> GracefulSession:
        kwargs = dict(self._kwargs, throttle=throttle, concurrency=list(limits), retry=settings.retry,
                      timeout=settings.timeout, log_request=settings.log_request,
                      log_response=settings.log_response, log_errors=settings.log_errors)
        session = self._build(**kwargs)
        if not isinstance(session, GracefulSession):
            raise ConfigurationError(f"build_session must return a GracefulSession, got {type(session).__name__}")
        adapter = session.adapter
        if self._shared is None:
            self._shared = session
        else:
            shared = self._shared.adapter
            adapter.pauses = shared.pauses  # a backoff pause holds every lane of the client
            for other_key, other in self._sessions.items():
                if other_key[1] == tuple(id(c) for c in limits):
                    adapter.gate = other.adapter.gate  # same limits: same slots
                    break
        return session

    @property
    def main(self) -> t.Optional[GracefulSession]:
        """The first session built (``None`` before any)."""
        return self._shared

    def sessions(self) -> t.List[GracefulSession]:
        """Every session built so far."""
        with self._lock:
            return list(self._sessions.values())

    def pause(self, seconds: float, pattern: t.Optional[str] = None) -> None:
        """Hold every lane's requests (all, or those matching ``pattern``) for ``seconds``."""
        if self._shared is None:
            raise ConfigurationError("pause: the client has no session yet")
        self._shared.pause(seconds, pattern)

    def close(self) -> None:
        """Close every session."""
        with self._lock:
            for session in self._sessions.values():
                session.close()
