"""dcipher's exception names, inside luco_client's one exception tree.

::

    LucoClientError
    └── DcipherError                                  every error of the workflow runner
        ├── APIError                                  an exchange with the API went wrong
        │   ├── APIStatusError (+ HTTPStatusError)    an error status; .status_code
        │   │   ├── BadRequestError                   400 (+ luco_client.BadRequestError)
        │   │   ├── AuthenticationError               401 (+ UnauthorizedError)
        │   │   ├── PermissionDeniedError             403 (+ ForbiddenError)
        │   │   ├── NotFoundError                     404 (+ luco_client.NotFoundError)
        │   │   ├── ConflictError                     409 (+ luco_client.ConflictError)
        │   │   ├── UnprocessableEntityError          422 (+ luco_client.UnprocessableEntityError)
        │   │   ├── RateLimitError                    429 (+ TooManyRequestsError)
        │   │   └── InternalServerError               5xx (+ ServerStatusError)
        │   └── MalformedReplyError                   a 2xx reply that breaks the protocol
        ├── RunPossiblyStartedError (+ PossiblyAppliedWriteError)
        │                                             the run POST may have started a run; not resent
        ├── WorkflowFailedException                   the task ended FAILED / CANCELLED / CANCELFAILED
        └── WorkflowTimeoutError (+ DeadlineExceededError)
                                                      the overall deadline ran out

So ``except luco_client.workflows.AuthenticationError`` catches a 401 from the API, and
the same error is a :class:`luco_client.UnauthorizedError` and an
:class:`luco_client.HTTPStatusError` (status, method, redacted URL, attempts, elapsed).
Errors hold plain values only: dcipher's ``request`` and ``response`` attributes are
``None``; ``status_code``, ``body`` (the decoded JSON error body) and ``headers`` carry
what they held.
"""

from __future__ import annotations

import json
import typing as t

from luco_client.client import UserDefinedError
from luco_client.errors import (
    BadRequestError as _BadRequest,
)
from luco_client.errors import (
    ConflictError as _Conflict,
)
from luco_client.errors import (
    DeadlineExceededError,
    ForbiddenError,
    LucoClientError,
    PossiblyAppliedWriteError,
    ServerStatusError,
    TooManyRequestsError,
    UnauthorizedError,
)
from luco_client.errors import (
    NotFoundError as _NotFound,
)
from luco_client.errors import (
    UnprocessableEntityError as _Unprocessable,
)

#: The public error classes (dcipher's names first); ``luco_client.workflows`` and
#: ``luco_client.workflows.exceptions`` export exactly these.
__all__ = [
    "DcipherError",
    "APIError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "MalformedReplyError",
    "RunPossiblyStartedError",
    "WorkflowFailedException",
    "WorkflowTimeoutError",
]


class DcipherError(LucoClientError):
    """Base class of the workflow runner's errors (dcipher's ``DcipherError``)."""


class APIError(DcipherError):
    """An exchange with the workflows API went wrong (dcipher's ``APIError``).

    ``request`` is always ``None`` (errors keep plain values, never request objects);
    ``body`` is the decoded JSON error body when there was one, else ``None``.
    """

    request: None = None

    @property
    def body(self) -> t.Any:
        """The API's JSON error body, decoded (``None`` when it was not JSON)."""
        excerpt = getattr(self, "body_excerpt", "")
        if not excerpt:
            return None
        try:
            return json.loads(excerpt)
        except ValueError:
            return None


def _server_message(excerpt: str) -> str:
    """The ``message`` member of a JSON error body, or ``""``."""
    try:
        body = json.loads(excerpt) if excerpt else None
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return message.strip() if isinstance(message, str) else ""


class APIStatusError(APIError, UserDefinedError):
    """The API answered an error status (dcipher's ``APIStatusError``); also an
    :class:`~luco_client.errors.HTTPStatusError`.

    ``message`` is the API's own ``message`` when its error body has one (as in dcipher),
    else ``"<METHOD> <path> answered <status> <reason>"``. ``status_code`` is the status;
    ``response`` is ``None`` (plain values only); ``headers`` keeps Retry-After and the
    other non-secret headers.
    """

    BASE_MESSAGE = "{METHOD} {UENDPOINT} answered {STATUS} {REASON}"
    response: None = None
    #: Use the API's own ``message`` as the error message (subclasses that explain more keep theirs).
    _SERVER_MESSAGE_FIRST: t.ClassVar[bool] = True

    def __init__(self, message: str = "", **kw: t.Any) -> None:
        server = _server_message(kw.get("body_excerpt", "")) if self._SERVER_MESSAGE_FIRST else ""
        super().__init__(server or message, **kw)

    @property
    def status_code(self) -> int:
        """The HTTP status (dcipher's name for ``status``)."""
        return int(self.status)

    def __str__(self) -> str:
        text = LucoClientError.__str__(self)  # the message and where it happened
        excerpt = self.body_excerpt
        return f"{text}: {excerpt}" if excerpt and not _server_message(excerpt) else text


class BadRequestError(APIStatusError, _BadRequest):
    """400 from the API."""


class AuthenticationError(APIStatusError, UnauthorizedError):
    """401 from the API: the API key is missing or wrong."""


class PermissionDeniedError(APIStatusError, ForbiddenError):
    """403 from the API: the key may not use this flow."""


class NotFoundError(APIStatusError, _NotFound):
    """404 from the API: no such flow or task (dcipher 0.3.5 raised the base class)."""


class ConflictError(APIStatusError, _Conflict):
    """409 from the API (retried on the status call; never resent on the run call)."""


class UnprocessableEntityError(APIStatusError, _Unprocessable):
    """422 from the API: the flow refused the parameters."""


class RateLimitError(APIStatusError, TooManyRequestsError):
    """429 from the API, after the retries."""


class InternalServerError(APIStatusError, ServerStatusError):
    """A 5xx status from the API, after the retries."""


#: Status -> error class, as the client layer's parser uses it ("4xx", "3xx": the base).
STATUS_ERRORS: t.Dict[t.Union[int, str], t.Type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    "5xx": InternalServerError,
    "4xx": APIStatusError,
    "3xx": APIStatusError,
}


class MalformedReplyError(APIError):
    """The API answered 2xx with a reply the protocol does not allow: not a JSON object,
    no ``taskId``, neither ``signedResponseURL`` nor ``signedResponseURLs``, or a status
    that is missing or not a string. ``body_excerpt`` holds the start of the reply
    (credentials redacted). A status reply like that is retried first."""

    body_excerpt: str

    def __init__(self, message: str = "", *, body_excerpt: str = "", **kw: t.Any) -> None:
        super().__init__(message, body_excerpt=body_excerpt, **kw)


class RunPossiblyStartedError(DcipherError, PossiblyAppliedWriteError):
    """The run POST reached the server, but no answer confirms whether a run started, so
    it was **not** sent again (a resend could start the flow twice).

    Raised when the connection broke or timed out after the request went out, when the
    API answered a retryable status that does not prove a refusal (a 5xx, 408, 409, or a
    429 without ``Retry-After``), and when a 2xx reply was malformed. Check the flow's
    runs before starting it again. ``flow_id`` names the flow; ``attempts`` holds the
    attempt history. When the API answered a status, the error is also the dcipher class
    of that status (``InternalServerError`` for a 5xx...), with ``status_code``.
    """

    flow_id: str
    _SERVER_MESSAGE_FIRST: t.ClassVar[bool] = False


class _RunServerError(RunPossiblyStartedError, InternalServerError):
    """A 5xx answered the run POST; not resent."""


class _RunConflictError(RunPossiblyStartedError, ConflictError):
    """A 409 answered the run POST; not resent."""


class _RunRateLimitError(RunPossiblyStartedError, RateLimitError):
    """A 429 without Retry-After answered the run POST; not resent."""


class _RunStatusError(RunPossiblyStartedError, APIStatusError):
    """Another retryable status (408) answered the run POST; not resent."""


class _MalformedRunReplyError(MalformedReplyError, RunPossiblyStartedError):
    """The run POST got a 2xx reply that cannot be read: the run started, its id is unknown."""


def possibly_started(error: LucoClientError, flow_id: str, why: str) -> RunPossiblyStartedError:
    """The :class:`RunPossiblyStartedError` for ``error``, raised by a run POST that was
    not resent: of its status's dcipher class when it has a status."""
    fields = dict(error._fields)
    fields.pop("flow_id", None)
    status = fields.get("status")
    cls: t.Type[RunPossiblyStartedError]
    if isinstance(error, MalformedReplyError):
        cls = _MalformedRunReplyError
    elif status is None:
        cls = RunPossiblyStartedError
    elif status >= 500:
        cls = _RunServerError
    elif status == 409:
        cls = _RunConflictError
    elif status == 429:
        cls = _RunRateLimitError
    else:
        cls = _RunStatusError
    if status is not None or isinstance(error, MalformedReplyError):
        fields["phase"] = fields.get("phase") or "response"
    else:
        fields.setdefault("phase", "sent_no_response")
    fields.pop("idempotency_key", None)
    return cls(f"flow {flow_id}: {why}; it was NOT sent again, because a run may have started. "
               f"Check the flow's runs before starting it again ({error.message})",
               flow_id=flow_id, method=error.method, url=error.url, attempts=error.attempts,
               elapsed=error.elapsed, **fields)


class WorkflowFailedException(DcipherError):
    """The task ended ``FAILED``, ``CANCELLED`` or ``CANCELFAILED`` (dcipher's
    ``WorkflowFailedException``). The message is dcipher's ``"Workflow has failed.
    Reason: <server message>"``; ``flow_id``, ``task_id``, ``status`` and ``reason`` (the
    server's message) are attributes."""

    flow_id: str
    task_id: str
    status: str
    reason: str


class WorkflowTimeoutError(DcipherError, DeadlineExceededError):
    """The overall deadline of the call ran out. The task may still be running on the
    server: ``task_id`` (``None`` if the run was never confirmed) and ``last_status``
    say where it was; resume with ``wait_for_flow``."""

    flow_id: str
    task_id: t.Optional[str]
    last_status: t.Optional[str]
