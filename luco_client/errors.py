"""The one exception tree of luco_client.

Every error raised by the library on purpose is a :class:`LucoClientError`::

    LucoClientError
    ├── ConfigurationError (also ValueError)      bad settings or bad call arguments
    │   ├── InvalidRequestError                   a URL or header that cannot be sent
    │   └── MissingExtraError                     an optional extra (rich, plotly, redis) is missing
    ├── ReplayError                               record/replay could not do its job
    │   ├── ReplayMissError                       replay mode: no recording matches (shows the nearest)
    │   └── ReplayStorageError                    a recording could not be read or written
    ├── AuthenticationError                       a token provider could not produce a token
    ├── ResponseFormatError                       a success whose body is not what the API promised
    ├── TransportError                            no usable response (carries .phase)
    │   ├── ConnectError                          NOT_SENT: refused, DNS, TLS, proxy, pool
    │   │   └── ConnectTimeoutError               NOT_SENT: connect timed out
    │   ├── ReadError                             SENT_NO_RESPONSE: reset, truncated body
    │   │   └── ReadTimeoutError                  SENT_NO_RESPONSE: read timed out
    │   ├── PossiblyAppliedWriteError             a non-idempotent write got no response
    │   ├── DeadlineExceededError                 the call's total deadline ran out
    │   ├── ThrottleBackendError                  the throttle's shared store failed (not sent)
    │   └── RedirectError                         a redirect that cannot be followed
    │       └── TooManyRedirectsError             a redirect loop or chain beyond the limit
    ├── DownloadError                             a download's content is wrong, or cannot be stored
    │   ├── IncompleteDownloadError               the content's length is not what was announced
    │   └── ChecksumMismatchError                 the content's digest is not the expected one
    └── HTTPStatusError                           a response with an error status
        ├── ClientStatusError                     any other 4xx
        │   ├── BadRequestError                   400
        │   ├── UnauthorizedError                 401
        │   ├── ForbiddenError                    403
        │   ├── NotFoundError                     404
        │   ├── ConflictError                     409
        │   ├── UnprocessableEntityError          422
        │   └── TooManyRequestsError              429
        │       └── RetryAfterTooLongError        429/503 asking to come back later than allowed
        └── ServerStatusError                     5xx

Every error states the HTTP method, the URL with secrets redacted, the status (if any), the
number of attempts and the elapsed time, and keeps the attempt history in ``.attempts``.
Errors hold only plain values (no sockets, responses or sessions), so they can be copied
between processes and compared in tests. This module imports nothing from ``requests``.
"""

from __future__ import annotations

import enum
import typing as t

__all__ = [
    "Phase",
    "AttemptRecord",
    "LucoClientError",
    "ConfigurationError",
    "InvalidRequestError",
    "MissingExtraError",
    "ReplayError",
    "ReplayMissError",
    "ReplayStorageError",
    "AuthenticationError",
    "ResponseFormatError",
    "TransportError",
    "ConnectError",
    "ConnectTimeoutError",
    "ReadError",
    "ReadTimeoutError",
    "PossiblyAppliedWriteError",
    "DeadlineExceededError",
    "ThrottleBackendError",
    "RedirectError",
    "TooManyRedirectsError",
    "DownloadError",
    "IncompleteDownloadError",
    "ChecksumMismatchError",
    "HTTPStatusError",
    "ClientStatusError",
    "BadRequestError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "TooManyRequestsError",
    "ServerStatusError",
    "RetryAfterTooLongError",
    "status_error_class",
]


class Phase(str, enum.Enum):
    """How far an attempt got before it failed; decides whether a retry is safe.

    * ``NOT_SENT``: the request never reached the server (connection refused, DNS failure,
      TLS handshake failure, connect timeout, proxy or pool error). Always safe to retry.
    * ``SENT_NO_RESPONSE``: the request may have reached the server, but no complete
      response came back (read timeout, reset, truncated body). The server may have
      applied it, so only idempotent calls may be retried.
    * ``RESPONSE``: a complete response arrived (its status may still be an error).
    """

    NOT_SENT = "not_sent"
    SENT_NO_RESPONSE = "sent_no_response"
    RESPONSE = "response"


class AttemptRecord(t.NamedTuple):
    """One attempt of a logical call, as kept in ``error.attempts``.

    ``elapsed`` is the wire time of the attempt in seconds; ``throttle_wait`` the seconds
    spent waiting for the throttle before it; ``delay_after`` the seconds slept before the
    next attempt (0.0 for the last one). ``error`` is a redacted one-line description.
    """

    number: int
    phase: Phase
    status: t.Optional[int]
    error: t.Optional[str]
    elapsed: float
    throttle_wait: float = 0.0
    delay_after: float = 0.0


class LucoClientError(Exception):
    """Base class of every error raised by luco_client.

    ``message`` is the human-readable text; the keyword fields (method, url, status,
    attempts, elapsed, ...) are plain values. ``url`` is always redacted: query values of
    credential parameters and user-info are replaced by ``REDACTED`` before they get here.
    """

    def __init__(
        self,
        message: str = "",
        *,
        method: t.Optional[str] = None,
        url: t.Optional[str] = None,
        attempts: t.Sequence[AttemptRecord] = (),
        elapsed: t.Optional[float] = None,
        **fields: t.Any,
    ) -> None:
        self.message = message
        self.method = method
        self.url = url
        self.attempts: t.Tuple[AttemptRecord, ...] = tuple(attempts)
        self.elapsed = elapsed
        self._fields = dict(fields)
        for name, value in fields.items():
            setattr(self, name, value)
        super().__init__(message)

    @property
    def attempt_count(self) -> int:
        """Number of attempts made (0 when the error happened before any attempt)."""
        return len(self.attempts)

    def _context(self) -> str:
        parts = []
        if self.method or self.url:
            parts.append(" ".join(p for p in (self.method, self.url) if p))
        status = getattr(self, "status", None)
        if status is not None:
            parts.append(f"status {status}")
        if self.attempts:
            n = len(self.attempts)
            parts.append(f"{n} attempt{'s' if n != 1 else ''}")
        if self.elapsed is not None:
            parts.append(f"{self.elapsed:.2f}s")
        return ", ".join(parts)

    def __str__(self) -> str:
        context = self._context()
        if context and self.message:
            return f"{self.message} [{context}]"
        return self.message or context or type(self).__name__

    def __reduce__(self) -> t.Tuple[t.Any, ...]:
        kwargs = dict(self._fields)
        kwargs.update(
            method=self.method, url=self.url, attempts=self.attempts, elapsed=self.elapsed
        )
        return (_rebuild, (type(self), self.message, kwargs))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__reduce__() == other.__reduce__()

    def __hash__(self) -> int:
        return hash((type(self), self.message, self.method, self.url))


def _rebuild(cls: t.Type[LucoClientError], message: str, kwargs: t.Dict[str, t.Any]) -> Exception:
    err = cls.__new__(cls)
    LucoClientError.__init__(err, message, **kwargs)
    return err


class ConfigurationError(LucoClientError, ValueError):
    """A setting or argument is invalid (raised when the object is built or called)."""


class InvalidRequestError(ConfigurationError):
    """The request cannot be sent as given (malformed URL, unsupported scheme, bad header)."""


class MissingExtraError(ConfigurationError):
    """A feature needs an optional dependency that is not installed; the message names the
    ``pip install "luco-client[extra]"`` command that adds it."""


class ReplayError(LucoClientError):
    """Record/replay could not serve or store an exchange."""


class ReplayMissError(ReplayError):
    """Replay mode found no recording for the request. Nothing was sent.

    ``nearest`` describes the closest recorded request (``None`` when the recording is
    empty) and ``differences`` lists ``(field, recorded, sent)`` triples such as
    ``("query.page", "2", "3")``; values are the scrubbed, canonical forms, never secrets.
    """

    nearest: t.Optional[str]
    differences: t.Tuple[t.Tuple[str, str, str], ...]

    def __init__(self, message: str = "", *, nearest: t.Optional[str] = None,
                 differences: t.Sequence[t.Tuple[str, str, str]] = (), **kw: t.Any) -> None:
        super().__init__(message, nearest=nearest, differences=tuple(tuple(d) for d in differences), **kw)


class ReplayStorageError(ReplayError):
    """A recording could not be written (record mode: never dropped silently) or read back
    (a corrupt or foreign file). The message names the storage and the entry."""


class AuthenticationError(LucoClientError):
    """A token provider failed to produce a credential. The secret itself is never shown."""


class ResponseFormatError(LucoClientError):
    """A response with a success status whose body is not what the API promised: not JSON,
    cut short, or without a field the caller needs (``KeyError``/``JSONDecodeError`` never
    escape instead).

    Fields: ``status`` (int or ``None``), ``field`` (the missing or ill-typed field as a
    dotted path such as ``slot.expectedBy``, ``None`` when the whole body is unreadable) and
    ``body_excerpt`` (at most 500 characters, credentials redacted).
    """

    status: t.Optional[int]
    field: t.Optional[str]
    body_excerpt: str

    def __init__(self, message: str = "", *, status: t.Optional[int] = None, field: t.Optional[str] = None,
                 body_excerpt: str = "", **kw: t.Any) -> None:
        super().__init__(message, status=status, field=field, body_excerpt=body_excerpt, **kw)


class TransportError(LucoClientError):
    """No usable response was obtained. ``phase`` says how far the last attempt got."""

    phase: Phase

    def __init__(self, message: str = "", *, phase: Phase = Phase.NOT_SENT, **kw: t.Any) -> None:
        super().__init__(message, phase=Phase(phase), **kw)


class ConnectError(TransportError):
    """The connection could not be established (phase NOT_SENT; always safe to retry)."""


class ConnectTimeoutError(ConnectError):
    """Connecting took longer than the connect timeout (phase NOT_SENT)."""


class ReadError(TransportError):
    """The request was sent but the response broke off (phase SENT_NO_RESPONSE)."""


class ReadTimeoutError(ReadError):
    """The request was sent but no response came within the read timeout."""


class PossiblyAppliedWriteError(TransportError):
    """A non-idempotent call was sent, got no response, and was not resent.

    The server may or may not have applied it. Check the server's state before trying
    again, or make the call retry-safe: declare it idempotent or send an idempotency key.
    ``attempts`` holds the full attempt history; ``idempotency_key`` the key the call
    carried (``None`` without one), to resend safely with the same key.
    """

    idempotency_key: t.Optional[str]

    def __init__(self, message: str = "", *, idempotency_key: t.Optional[str] = None, **kw: t.Any) -> None:
        super().__init__(message, idempotency_key=idempotency_key, **kw)


class DeadlineExceededError(TransportError):
    """The total deadline of the call (all attempts, throttle waits and sleeps) ran out."""


class ThrottleBackendError(TransportError):
    """The throttle's shared store (an SQLite file, a Redis server) failed or stayed locked,
    so the request was not sent (phase NOT_SENT): limits are never skipped silently."""


class RedirectError(TransportError):
    """A redirect cannot be followed (a consumed streamed body, a malformed Location)."""


class TooManyRedirectsError(RedirectError):
    """The server kept redirecting (more than the session's ``max_redirects``, 30 by default)."""


class DownloadError(LucoClientError):
    """A download (:meth:`GracefulSession.download <luco_client.transport.GracefulSession.download>`)
    got content it cannot accept (a wrong range, length or digest), or its file could not
    be written. Not retried (unless ``retry_on`` names the class): the wire worked, the
    content did not. Nothing was written at the destination, and a file already there is
    untouched. ``dest`` is the destination path. (A download whose *connection* keeps
    failing raises the transport error of its last attempt, e.g. ReadError.)"""

    dest: t.Optional[str]

    def __init__(self, message: str = "", *, dest: t.Optional[str] = None, **kw: t.Any) -> None:
        super().__init__(message, dest=dest, **kw)


class IncompleteDownloadError(DownloadError):
    """The downloaded content's length differs from the length the server announced (or
    from ``expected_size``): ``expected`` and ``received`` are byte counts."""

    expected: t.Optional[int]
    received: int

    def __init__(self, message: str = "", *, expected: t.Optional[int] = None, received: int = 0,
                 **kw: t.Any) -> None:
        super().__init__(message, expected=expected, received=received, **kw)


class ChecksumMismatchError(DownloadError):
    """The downloaded content's digest differs from the expected one (``algorithm``,
    ``expected`` and ``received`` hex digests)."""

    algorithm: str
    expected: str
    received: str

    def __init__(self, message: str = "", *, algorithm: str = "", expected: str = "", received: str = "",
                 **kw: t.Any) -> None:
        super().__init__(message, algorithm=algorithm, expected=expected, received=received, **kw)


class HTTPStatusError(LucoClientError):
    """The server answered with an error status.

    Fields: ``status`` (int), ``reason`` (str), ``body_excerpt`` (at most 500 characters of
    the body, with credential-looking values redacted) and ``headers`` (a small dict of
    non-secret headers such as Retry-After and Content-Type).
    """

    status: int
    reason: str
    body_excerpt: str
    headers: t.Dict[str, str]

    def __init__(
        self,
        message: str = "",
        *,
        status: int,
        reason: str = "",
        body_excerpt: str = "",
        headers: t.Optional[t.Mapping[str, str]] = None,
        **kw: t.Any,
    ) -> None:
        super().__init__(
            message or f"HTTP {status} {reason}".strip(),
            status=int(status),
            reason=reason,
            body_excerpt=body_excerpt,
            headers=dict(headers or {}),
            **kw,
        )

    def __str__(self) -> str:
        text = super().__str__()
        if self.body_excerpt:
            text = f"{text}: {self.body_excerpt}"
        return text


class ClientStatusError(HTTPStatusError):
    """A 4xx status without a more specific class."""


class BadRequestError(ClientStatusError):
    """400 Bad Request."""


class UnauthorizedError(ClientStatusError):
    """401 Unauthorized (after at most one re-authentication)."""


class ForbiddenError(ClientStatusError):
    """403 Forbidden."""


class NotFoundError(ClientStatusError):
    """404 Not Found."""


class ConflictError(ClientStatusError):
    """409 Conflict."""


class UnprocessableEntityError(ClientStatusError):
    """422 Unprocessable Entity."""


class TooManyRequestsError(ClientStatusError):
    """429 Too Many Requests (after retries, if any, were used up)."""


class ServerStatusError(HTTPStatusError):
    """A 5xx status (after retries, if any, were used up)."""


class RetryAfterTooLongError(TooManyRequestsError):
    """The server asked to wait longer than allowed, so the call failed fast. A
    :class:`TooManyRequestsError` (also for a 503 with ``Retry-After``: the server refused
    the work for now), so ``except TooManyRequestsError`` catches it.

    ``retry_after`` is the requested wait in seconds, ``retry_at`` the wall-clock time
    (seconds since the epoch, UTC) when the server said to come back, and ``limit`` the
    longest wait the policy (or the remaining deadline) allowed.
    """

    retry_after: float
    retry_at: float
    limit: float


_STATUS_CLASSES: t.Dict[int, t.Type[HTTPStatusError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: TooManyRequestsError,
}


def status_error_class(status: int) -> t.Type[HTTPStatusError]:
    """Return the error class for an HTTP status (``ServerStatusError`` for any 5xx)."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return ServerStatusError
    if status >= 400:
        return ClientStatusError
    return HTTPStatusError
