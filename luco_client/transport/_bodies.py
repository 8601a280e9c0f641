"""Can a request body be sent again (retry, re-authentication, 307/308 redirect)?"""

from __future__ import annotations

import requests
from requests.utils import rewind_body

__all__ = ["body_resendable", "rewind_for_resend"]


def body_resendable(request: requests.PreparedRequest) -> bool:
    """True for no body, bytes/str bodies, and file bodies whose start position is known.
    A generator or other one-shot stream is consumed by the first send."""
    body = request.body
    if body is None or isinstance(body, (bytes, str)):
        return True
    return isinstance(getattr(request, "_body_position", None), int)


def rewind_for_resend(request: requests.PreparedRequest) -> bool:
    """Prepare ``request`` to be sent again: rewind a file body. False if it cannot be."""
    if not body_resendable(request):
        return False
    if request.body is not None and not isinstance(request.body, (bytes, str)):
        try:
            rewind_body(request)
        except requests.exceptions.UnrewindableBodyError:  # tells its position, cannot seek
            return False
    return True
