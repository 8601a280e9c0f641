"""Typed errors from ``requests`` responses."""

from __future__ import annotations

import re
import typing as t

import requests

from luco_client._redact import is_secret_name, redact_text, redact_url
from luco_client.errors import AttemptRecord, HTTPStatusError, status_error_class

__all__ = ["status_error", "raise_for_status", "body_excerpt", "BODY_EXCERPT_CHARS"]

#: Characters of the response body kept in an HTTPStatusError.
BODY_EXCERPT_CHARS = 500

_KEPT_HEADERS = re.compile(
    r"(?i)^(retry-after|content-type|content-length|date|.*request-?id|.*correlation-?id|x-ratelimit-.*)$"
)


def body_excerpt(response: requests.Response) -> str:
    """At most :data:`BODY_EXCERPT_CHARS` of the body, whitespace folded, credentials
    redacted (empty for a streamed body not read yet)."""
    if not getattr(response, "_content_consumed", False):  # a streamed body stays unread
        return ""
    try:
        text = response.text
    except Exception:  # undecodable bytes: say so rather than fail
        return "<undecodable body>"
    text = " ".join(text.split())
    if len(text) > BODY_EXCERPT_CHARS:
        text = text[: BODY_EXCERPT_CHARS - 3] + "..."
    return redact_text(text)


def status_error(
    response: requests.Response,
    *,
    attempts: t.Sequence[AttemptRecord] = (),
    elapsed: t.Optional[float] = None,
    message: str = "",
    cls: t.Optional[t.Type[HTTPStatusError]] = None,
    **fields: t.Any,
) -> HTTPStatusError:
    """The typed error for an error response (class chosen by status unless ``cls``)."""
    request = response.request
    method = (request.method or "GET").upper() if request is not None else None
    url = redact_url(response.url or (request.url if request is not None else "") or "")
    headers = {k: redact_text(v) for k, v in response.headers.items()
               if _KEPT_HEADERS.match(k) and not is_secret_name(k)}
    error_cls = cls or status_error_class(response.status_code)
    return error_cls(
        message,
        status=response.status_code,
        reason=redact_text(response.reason or ""),  # a server may echo a credential in it
        body_excerpt=body_excerpt(response),
        headers=headers,
        method=method,
        url=url,
        attempts=attempts if attempts else getattr(response, "luco_attempts", ()),
        elapsed=elapsed if elapsed is not None else getattr(response, "luco_elapsed", None),
        **fields,
    )


def raise_for_status(response: requests.Response) -> requests.Response:
    """Raise the typed :class:`~luco_client.errors.HTTPStatusError` for a 4xx/5xx response.

    Returns the response unchanged otherwise, so it can be chained:
    ``data = raise_for_status(session.get(url)).json()``.
    """
    if response.status_code >= 400:
        raise status_error(response)
    return response
