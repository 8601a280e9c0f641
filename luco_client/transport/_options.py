"""Per-call settings and timeouts, as frozen values."""

from __future__ import annotations

import math
import typing as t
from dataclasses import dataclass

from luco_client.errors import ConfigurationError
from luco_client.events import LogEvent
from luco_client.transport._concurrency import ConcurrencyLimit
from luco_client.transport._hooks import check_hooks
from luco_client.transport._retry import GracefulRetry
from luco_client.transport._throttle import Throttle

__all__ = ["Timeout", "DEFAULT_TIMEOUT", "CallOptions", "INHERIT", "BodyConsumer"]


class _Inherit:
    """Sentinel: take the setting from the adapter (as opposed to ``None`` = disable)."""

    _instance: t.Optional[_Inherit] = None

    def __new__(cls) -> _Inherit:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "INHERIT"

    def __reduce__(self) -> str:
        return "INHERIT"


#: Use the adapter's (or session's) setting.
INHERIT: t.Any = _Inherit()


def _positive(name: str, value: t.Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ConfigurationError(f"{name} must be a positive, finite number of seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Timeout:
    """Connect and read timeouts in seconds. Never infinite.

    :param connect: seconds to establish the connection (TCP + TLS). Default 5.
    :param read: seconds to wait between bytes of the response. Default 30.
    """

    connect: float = 5.0
    read: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "connect", _positive("Timeout: connect", self.connect))
        object.__setattr__(self, "read", _positive("Timeout: read", self.read))

    @classmethod
    def coerce(cls, value: t.Any, default: Timeout) -> Timeout:
        """Turn what requests accepts (float, ``(connect, read)``, ``None``) into a Timeout.

        ``None`` (requests' "wait forever") means ``default``: there is no infinite timeout.
        """
        if value is None:
            return default
        if isinstance(value, Timeout):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(value, value)
        if isinstance(value, tuple) and len(value) == 2:
            connect, read = value
            return cls(default.connect if connect is None else connect, default.read if read is None else read)
        connect = getattr(value, "_connect", None)  # urllib3 Timeout objects
        read = getattr(value, "_read", None)
        if connect is not None or read is not None:
            return cls(connect if isinstance(connect, (int, float)) else default.connect,
                       read if isinstance(read, (int, float)) else default.read)
        raise ConfigurationError(f"timeout must be seconds, a (connect, read) pair or a Timeout, got {value!r}")

    def capped(self, remaining: t.Optional[float]) -> Timeout:
        """This timeout, shortened so that an attempt cannot outlive the deadline."""
        if remaining is None:
            return self
        remaining = max(remaining, 0.001)
        return Timeout(min(self.connect, remaining), min(self.read, remaining))


#: Used when neither the call nor the adapter sets a timeout.
DEFAULT_TIMEOUT = Timeout()

Validator = t.Callable[[t.Any], None]


class BodyConsumer(t.Protocol):
    """Reads the body of a call's successful responses *inside* the attempt loop (a
    download writing to its file), so that a body that breaks off is a failed attempt,
    retried under the call's policy, deadline and throttle.

    ``prepare(request)`` runs before every attempt (e.g. to add a ``Range`` header);
    ``consume(response)`` reads a 2xx response's body (``response.iter_content``): a
    ``requests`` exception from the read is a failure on the wire; a
    :class:`~luco_client.errors.LucoClientError` says the content is wrong (a failed
    attempt, retried only if ``retry_on`` names it).
    """

    def prepare(self, request: t.Any) -> None: ...

    def consume(self, response: t.Any) -> None: ...


@dataclass(frozen=True)
class CallOptions:
    """Settings for one logical call, passed as ``session.get(url, options=CallOptions(...))``.

    :param url_template: the URL before formatting (``https://h/pokemon/{NAME}``): the
        stats key and the UURL/UENDPOINT placeholders. Default: derived from the URL, with
        numeric and id-like path segments replaced by ``{id}``.
    :param idempotent: declare the call safe (``True``) or unsafe (``False``) to repeat;
        ``None`` (default) decides by method and idempotency key.
    :param retry: a :class:`~luco_client.transport.GracefulRetry` for this call, ``None``
        for a single attempt, or :data:`INHERIT` (default) for the adapter's.
    :param timeout: a :class:`Timeout` for this call (requests' ``timeout=`` wins if given).
    :param deadline: seconds for the whole call; overrides the retry policy's deadline.
    :param validators: callables ``(response) -> None`` that raise to reject a successful
        response (error statuses are failures already and skip them); a rejection is a failed
        attempt and can drive retries through ``retry_on``.
    :param success_statuses: statuses counted as success besides 1xx-3xx (e.g. ``{404}``
        for a lookup that may miss). They are never retried.
    :param hooks: objects with ``before(info)`` / ``after(info, result, retry)`` methods,
        called around every attempt of this call (after the adapter's own hooks); see
        :mod:`luco_client.transport` (``AttemptInfo``, ``RetryState``, ``bypass``).
    :param throttle: a :class:`~luco_client.transport.Throttle` that every attempt of this
        call waits for instead of the adapter's, ``None`` for no throttle, or
        :data:`INHERIT` (default) for the adapter's. Calls naming the same throttle share
        its budget.
    :param concurrency: the :class:`~luco_client.transport.ConcurrencyLimit` objects (one,
        or a sequence; empty for none) this call's attempts take a slot of, instead of the
        adapter's; :data:`INHERIT` (default) for the adapter's. Within one adapter, calls
        naming the same limit object share its slots.
    :param log_request: event logged before each attempt, ``None`` for none, or
        :data:`INHERIT` (default) for the adapter's; likewise ``log_response`` and
        ``log_errors``.
    :param consumer: a :class:`BodyConsumer` reading successful bodies inside the attempt
        (used by :meth:`GracefulSession.download`); pass ``stream=True`` with it. Default
        ``None``: the body is read into memory (or left to the caller with ``stream=True``).
    """

    url_template: t.Optional[str] = None
    idempotent: t.Optional[bool] = None
    retry: t.Any = INHERIT
    timeout: t.Optional[Timeout] = None
    deadline: t.Optional[float] = None
    validators: t.Tuple[Validator, ...] = ()
    success_statuses: t.FrozenSet[int] = frozenset()
    hooks: t.Tuple[t.Any, ...] = ()
    throttle: t.Any = INHERIT
    concurrency: t.Any = INHERIT
    log_request: t.Any = INHERIT
    log_response: t.Any = INHERIT
    log_errors: t.Any = INHERIT
    consumer: t.Optional[BodyConsumer] = None

    def __post_init__(self) -> None:
        if self.deadline is not None:
            _positive("CallOptions: deadline", self.deadline)
        if self.idempotent is not None and not isinstance(self.idempotent, bool):
            raise ConfigurationError(f"CallOptions: idempotent must be True, False or None, got {self.idempotent!r}")
        if self.url_template is not None and not isinstance(self.url_template, str):
            raise ConfigurationError(f"CallOptions: url_template must be a string, got {self.url_template!r}")
        if self.timeout is not None:
            object.__setattr__(self, "timeout", Timeout.coerce(self.timeout, DEFAULT_TIMEOUT))
        retry = self.retry
        if retry is not None and retry is not INHERIT and not isinstance(retry, GracefulRetry):
            raise ConfigurationError(f"CallOptions: retry must be a GracefulRetry, None or INHERIT, got {retry!r}")
        try:
            validators = tuple(self.validators)
            statuses = frozenset(int(s) for s in self.success_statuses)
        except (TypeError, ValueError):
            raise ConfigurationError("CallOptions: validators must be callables and success_statuses "
                                     f"integers, got {self.validators!r} and {self.success_statuses!r}") from None
        if not all(callable(v) for v in validators):
            raise ConfigurationError("CallOptions: validators must be callables")
        object.__setattr__(self, "validators", validators)
        object.__setattr__(self, "success_statuses", statuses)
        object.__setattr__(self, "hooks", check_hooks(self.hooks, "CallOptions"))
        if self.throttle is not INHERIT and self.throttle is not None and not isinstance(self.throttle, Throttle):
            raise ConfigurationError(
                f"CallOptions: throttle must be a Throttle, None or INHERIT, got {self.throttle!r}")
        if self.concurrency is not INHERIT:
            limits = (self.concurrency,) if isinstance(self.concurrency, ConcurrencyLimit) else self.concurrency
            try:
                limits = tuple(limits or ())
            except TypeError:
                limits = (limits,)
            if not all(isinstance(limit, ConcurrencyLimit) for limit in limits):
                raise ConfigurationError(f"CallOptions: concurrency takes ConcurrencyLimit objects, got "
                                         f"{self.concurrency!r}")
            object.__setattr__(self, "concurrency", limits)
        if self.consumer is not None and not (callable(getattr(self.consumer, "prepare", None))
                                              and callable(getattr(self.consumer, "consume", None))):
            raise ConfigurationError(f"CallOptions: consumer needs prepare() and consume() methods, got "
                                     f"{self.consumer!r}")
        for name in ("log_request", "log_response", "log_errors"):
            event = getattr(self, name)
            if event is not INHERIT and event is not None and not isinstance(event, LogEvent):
                raise ConfigurationError(f"CallOptions: {name} must be a LogEvent, None or INHERIT, got {event!r}")


DEFAULT_OPTIONS = CallOptions()
