"""Writes that are never duplicated and never silently lost: resend only what a read-back
proves was not applied.

The transport never resends a non-idempotent write whose outcome is unknown (no response,
or a 5xx that may have come after the server applied it). For APIs without idempotency
keys, :func:`reconciled_write` closes the loop: after such a failure it asks a *read-back*
(a function that reads the server's state) whether the write was applied, then

* applied: the call succeeds with the read-back's value, nothing is resent;
* proven not applied: the write is sent again (at most ``max_sends`` sends in all);
* cannot tell (no read-back, it failed, or the state is ambiguous): it raises
  :class:`~luco_client.errors.PossiblyAppliedWriteError` with the attempt history of
  every send and what each read-back found.

Failures that prove the server did not do the work (a 4xx, a 503 refused with
``Retry-After``, a connection never made) are raised as they are.
"""

from __future__ import annotations

import logging
import typing as t

from luco_client.errors import (
    AttemptRecord,
    ConfigurationError,
    HTTPStatusError,
    LucoClientError,
    Phase,
    PossiblyAppliedWriteError,
    ReadError,
    ServerStatusError,
    TransportError,
)

__all__ = ["ReadBack", "reconciled_write", "outcome_unknown"]

log = logging.getLogger("luco_client.client.readback")

T = t.TypeVar("T")


class ReadBack(t.NamedTuple):
    """What a read-back found.

    :ivar applied: ``True`` (the write is on the server), ``False`` (proven absent: safe to
        send again) or ``None`` (cannot tell).
    :ivar value: what the write returns when the read-back found it applied (an id the
        server assigned, ``True``...).
    :ivar note: a short, secret-free description of the evidence, kept in the error.
    """

    applied: t.Optional[bool]
    value: t.Any = None
    note: str = ""


def outcome_unknown(error: BaseException) -> bool:
    """Whether a failed write may have been applied: no response came back
    (:class:`~luco_client.errors.PossiblyAppliedWriteError`, or a read failure), or the
    server answered 5xx, which it may do after applying."""
    if isinstance(error, PossiblyAppliedWriteError):
        return True
    if isinstance(error, TransportError):
        return error.phase is Phase.SENT_NO_RESPONSE
    return isinstance(error, ServerStatusError)


def _renumbered(history: t.List[AttemptRecord], attempts: t.Sequence[AttemptRecord]) -> t.List[AttemptRecord]:
    start = len(history)
    return [a._replace(number=start + i + 1) for i, a in enumerate(attempts)]


def _with(error: LucoClientError, message: str, attempts: t.Sequence[AttemptRecord]) -> LucoClientError:
    """A copy of ``error`` (same class and fields) with a new message and attempt history."""
    rebuild, (cls, _, fields) = error.__reduce__()[:2]
    return t.cast(LucoClientError, rebuild(cls, message, dict(fields, attempts=tuple(attempts))))


def reconciled_write(send: t.Callable[[], T], read_back: t.Optional[t.Callable[[], ReadBack]], *,
                     what: str, max_sends: int = 3) -> T:
    """Send a non-idempotent write; after an unknown outcome, resend only if ``read_back``
    proves it was not applied.

    :param send: performs the write once (through a client: it gets the client's retries for
        failures that are safe to retry) and returns its result.
    :param read_back: reads the server's state and says whether this write is there
        (:class:`ReadBack`); ``None`` when the API offers no way to tell, so an unknown
        outcome always raises.
    :param what: names the write in messages and errors (``"POST metrics"``).
    :param max_sends: sends in all, the first included (default 3).

    Returns the result of the send that succeeded, or the read-back's ``value`` when it
    found the write applied. Raises :class:`~luco_client.errors.PossiblyAppliedWriteError`
    (attempts of every send; ``read_backs``: what each read-back found) when the outcome
    stays unknown, and the last failure (with every attempt) when every send was proven
    not applied.
    """
    if isinstance(max_sends, bool) or not isinstance(max_sends, int) or max_sends < 1:
        raise ConfigurationError(f"reconciled_write: max_sends must be an integer >= 1, got {max_sends!r}")
    history: t.List[AttemptRecord] = []
    notes: t.List[str] = []
    for number in range(1, max_sends + 1):
        try:
            return send()
        except LucoClientError as error:
            if not outcome_unknown(error):
                if history:
                    raise _with(error, error.message, history + _renumbered(history, error.attempts)) from None
                raise
            history += _renumbered(history, error.attempts)
            status = f" {error.status}" if isinstance(error, HTTPStatusError) else ""
            failure = f"{type(error).__name__}{status}"
            if read_back is None:
                found = ReadBack(None, note="this write cannot be read back")
            else:
                try:
                    found = read_back()
                except LucoClientError as failed:
                    found = ReadBack(None, note=f"the read-back failed: {type(failed).__name__}: {failed.message}")
            notes.append(f"send {number}: {failure}; {found.note or 'no evidence'}")
            if found.applied is True:
                log.warning("%s: outcome unknown after %s; the read-back shows it applied (%s): not resent",
                            what, failure, found.note)
                return t.cast(T, found.value)
            if found.applied is None:
                log.warning("%s: outcome unknown after %s and %s: not resent", what, failure, found.note)
                phase = error.phase if isinstance(error, TransportError) else Phase.RESPONSE
                raise PossiblyAppliedWriteError(
                    f"{what} may have been applied by the server; not resent: {'; '.join(notes)}",
                    phase=phase, method=error.method, url=error.url, attempts=history, elapsed=error.elapsed,
                    read_backs=tuple(notes)) from None
            if number == max_sends:
                message = f"{what} failed {max_sends} times, each proven not applied by a read-back: {'; '.join(notes)}"
                if isinstance(error, PossiblyAppliedWriteError):  # no longer "possibly applied": proven not
                    raise ReadError(message, phase=Phase.SENT_NO_RESPONSE, method=error.method, url=error.url,
                                    attempts=history, elapsed=error.elapsed) from None
                raise _with(error, message, history) from None
            log.warning("%s: outcome unknown after %s; the read-back shows it was not applied (%s): sending again",
                        what, failure, found.note)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
