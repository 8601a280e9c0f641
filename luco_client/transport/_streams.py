"""Streamed bodies (``stream=True``): read after the call returned, still accounted for.

With ``stream=True`` the attempt loop ends when the headers arrive; the caller reads the
body later (``iter_content``, ``iter_lines``, ``.content``). A body that breaks off then
(a reset, a short body, a decoding error) or outlives the call's deadline must not escape
as a raw ``requests`` exception, nor leave the call counted as a success. So the response
of a streamed call is a :class:`GracefulResponse` carrying a :class:`StreamWatch`, which:

* turns the failure into a typed error of :mod:`luco_client.errors`
  (:class:`~luco_client.errors.ReadError`, :class:`~luco_client.errors.ReadTimeoutError`,
  or :class:`~luco_client.errors.DeadlineExceededError` when the deadline cut the
  connection), with phase SENT_NO_RESPONSE, the call's attempts and the redacted URL;
* moves the attempt from the successes to the failures in the statistics;
* logs the call's failure event (``log_errors``).

Memory stays bounded: nothing is buffered beyond the chunks the caller asks for.
"""

from __future__ import annotations

import logging
import threading
import time
import typing as t

import requests

from luco_client.errors import AttemptRecord, DeadlineExceededError, LucoClientError, Phase, TransportError
from luco_client.events import EventKind, LogEvent, emit
from luco_client.stats import Stats
from luco_client.transport._compat import body_incomplete
from luco_client.transport._phases import classify
from luco_client.transport._wire import Wire

__all__ = ["GracefulResponse", "StreamWatch"]

log = logging.getLogger("luco_client.transport")


class StreamWatch:
    """The accounting of one streamed call whose body is still to be read."""

    __slots__ = ("_done", "_lock", "_started", "attempts", "deadline", "elapsed_before", "fields", "log_errors",
                 "method", "stats", "success", "template", "url", "wire")

    def __init__(self, *, stats: Stats, method: str, url: str, template: str,
                 fields: t.Callable[[], t.Mapping[str, t.Any]], log_errors: t.Optional[LogEvent],
                 attempts: t.Sequence[AttemptRecord], success: bool, wire: t.Optional[Wire],
                 deadline: t.Optional[float], elapsed_before: float) -> None:
        self.stats, self.method, self.url, self.template = stats, method, url, template
        self.fields, self.log_errors = fields, log_errors
        self.attempts = tuple(attempts)
        self.success = success
        self.wire = wire
        self.deadline = deadline  # time.monotonic() by which the body must be read, or None
        self.elapsed_before = elapsed_before
        self._started = time.monotonic()
        self._done = False
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> LucoClientError:
        """The typed error for a body that broke off; counted and logged once."""
        reaped = self.wire is not None and self.wire.reaped
        if reaped or (self.deadline is not None and time.monotonic() >= self.deadline):
            error: TransportError = DeadlineExceededError(
                "deadline exceeded while reading the streamed body", phase=Phase.SENT_NO_RESPONSE,
                method=self.method, url=self.url)
        else:
            error = classify(exc, self.method, self.url, sent=True)
            error = type(error)(f"the streamed body broke off: {error.message}", phase=Phase.SENT_NO_RESPONSE,
                                method=self.method, url=self.url)
        cause = f"[Request Error: {type(error).__name__}: {error.message}]"
        attempts = self.attempts
        if attempts:
            attempts = (*attempts[:-1], attempts[-1]._replace(phase=Phase.SENT_NO_RESPONSE, error=cause))
        with self._lock:
            first = not self._done
            self._done = True
        if first:
            self.stats.record_body_failure(self.method, self.template, was_success=self.success)
            emit(log, self.log_errors, EventKind.ERROR, self.fields, STATUS="",
                 ELAPSED=time.monotonic() - self._started, RETRY_CAUSE=cause)
        self.release()
        return type(error)(error.message, phase=error.phase, method=self.method, url=self.url, attempts=attempts,
                           elapsed=self.elapsed_before + time.monotonic() - self._started)

    def finished(self) -> None:
        """The body was read completely (or the response closed): nothing more to watch."""
        with self._lock:
            self._done = True
        self.release()

    def release(self) -> None:
        """Take the connection away from the deadline reaper."""
        if self.wire is not None:
            self.wire.release()

    def guard(self, response: requests.Response, chunks: t.Iterator[t.Any]) -> t.Iterator[t.Any]:
        """Iterate ``chunks``, turning a failure into the typed error."""
        try:
            yield from chunks
            incomplete = body_incomplete(response)
            if incomplete is None and self.wire is not None and self.wire.reaped:
                incomplete = requests.exceptions.ChunkedEncodingError("cut at the deadline")
            if incomplete is not None:
                raise incomplete
        except requests.RequestException as exc:
            raise self.failed(exc) from None
        self.finished()


class GracefulResponse(requests.Response):
    """The ``requests.Response`` of the graceful transport: for a streamed call, body
    failures are typed and accounted for (see :mod:`luco_client.transport._streams`).
    Everything else is requests' own behaviour."""

    luco_stream: t.Optional[StreamWatch] = None

    def iter_content(self, chunk_size: t.Optional[int] = 1, decode_unicode: bool = False) -> t.Iterator[t.Any]:
        """As requests does; a body that breaks off raises a typed error of
        :mod:`luco_client.errors` instead of a requests exception."""
        chunks = super().iter_content(chunk_size, decode_unicode)
        watch = self.luco_stream
        if watch is None or self._content_consumed:  # type: ignore[attr-defined]
            return chunks
        return watch.guard(self, chunks)

    def close(self) -> None:
        """As requests does; the connection leaves the deadline reaper."""
        super().close()
        watch = self.luco_stream
        if watch is not None:
            watch.finished()
