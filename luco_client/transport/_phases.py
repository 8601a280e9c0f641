"""Failure phases: how far did a failed attempt get?

This is where a ``requests`` exception becomes a typed luco error with its
:class:`~luco_client.errors.Phase`. The phase decides whether a retry is safe:

* NOT_SENT: refused, DNS failure, connect timeout, TLS handshake, proxy, pool. No byte of
  the request reached the server, so repeating it cannot duplicate anything.
* SENT_NO_RESPONSE: read timeout, reset or truncation after the request went out. The
  server may have applied it.
"""

from __future__ import annotations

import re
import socket
import typing as t

import requests

from luco_client._redact import redact_text
from luco_client.errors import (
    ConnectError,
    ConnectTimeoutError,
    InvalidRequestError,
    Phase,
    ReadError,
    ReadTimeoutError,
    TransportError,
)
from luco_client.transport._compat import CONNECT_STAGE_ERRORS, NewConnectionError
from luco_client.transport._compat import ConnectTimeoutError as _U3ConnectTimeout
from luco_client.transport._compat import ReadTimeoutError as _U3ReadTimeout

_POOL_PREFIX = re.compile(r"^\w*ConnectionPool\([^)]*\):\s*")

#: requests errors that mean "this request can never be sent as given" (caller input).
INVALID_INPUT: t.Tuple[t.Type[BaseException], ...] = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
    requests.exceptions.InvalidJSONError,
)


def _chain(exc: BaseException) -> t.List[BaseException]:
    """The exception and what it wraps (args, MaxRetryError.reason, __cause__/__context__)."""
    seen: t.List[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 12:
        cur = todo.pop(0)
        if any(cur is s for s in seen):
            continue
        seen.append(cur)
        for nxt in (getattr(cur, "reason", None), cur.__cause__, cur.__context__,
                    *[a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)]):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return seen


def describe(exc: BaseException) -> str:
    """One redacted line naming the root cause, e.g. ``ConnectionRefusedError: [Errno 111]
    Connection refused`` or ``ReadTimeoutError: Read timed out. (read timeout=0.2)``."""
    chain = _chain(exc)
    root: BaseException = chain[-1]
    timeouts = [e for e in chain if isinstance(e, (_U3ReadTimeout, _U3ConnectTimeout))
                and not isinstance(e, NewConnectionError)]
    os_errors = [e for e in chain if isinstance(e, OSError) and not isinstance(e, requests.RequestException)
                 and type(e).__module__ in ("builtins", "socket", "ssl", "http.client")]
    if timeouts:
        root = timeouts[0]
    elif os_errors:
        root = os_errors[0]
    text = _POOL_PREFIX.sub("", str(root)).replace("\n", " ")
    if len(text) > 200:
        text = text[:197] + "..."
    return redact_text(f"{type(root).__name__}: {text}")


_QUOTED = re.compile(r"b?'[^']*'|b?\"[^\"]*\"")


def describe_input_error(exc: BaseException) -> str:
    """A one-line description of bad input with every quoted value removed: such messages
    quote the offending header or URL verbatim, which may be a credential."""
    text = _QUOTED.sub("<value>", str(exc).replace("\n", " "))
    return redact_text(f"{type(exc).__name__}: {text[:200]}")


def _is_timeout(exc: BaseException, chain: t.Sequence[BaseException]) -> bool:
    return isinstance(exc, requests.exceptions.Timeout) or any(
        isinstance(e, (_U3ReadTimeout, _U3ConnectTimeout, socket.timeout)) and not isinstance(e, NewConnectionError)
        for e in chain)


def classify(exc: BaseException, method: str, url: str, sent: t.Optional[bool] = None) -> TransportError:
    """Turn an exception raised while sending/reading into a typed TransportError.

    :param sent: evidence from the connection: ``False`` if no byte of the request left,
        ``True`` if some may have, ``None`` if unknown (a connection we do not control, such
        as a SOCKS proxy). Without evidence only failures that urllib3 reports before
        connecting count as NOT_SENT; everything else is assumed SENT_NO_RESPONSE.

    Raises :class:`InvalidRequestError` for requests that can never be sent (a URL the
    adapter cannot connect to): that is the caller's mistake, not a transport failure. An
    ``InvalidHeader`` inside the adapter is the *response's* (request headers are checked
    when the request is prepared), so it is a failure after sending.
    """
    response_side = isinstance(exc, requests.exceptions.InvalidHeader)
    if isinstance(exc, INVALID_INPUT) and not sent and not response_side:
        raise InvalidRequestError(f"cannot send this request: {describe_input_error(exc)}",
                                  method=method, url=url) from None
    chain = _chain(exc)
    if response_side:
        sent = True
    if sent is None:
        sent = not any(isinstance(e, CONNECT_STAGE_ERRORS) for e in chain)
    timeout = _is_timeout(exc, chain)
    cls: t.Type[TransportError]
    detail = describe(exc)
    if not sent:
        cls, phase = (ConnectTimeoutError if timeout else ConnectError), Phase.NOT_SENT
        detail = f"{'timed out' if timeout else 'failed'} before the request was sent ({detail})"
    else:
        cls, phase = (ReadTimeoutError if timeout else ReadError), Phase.SENT_NO_RESPONSE
    return cls(detail, phase=phase, method=method, url=url)
