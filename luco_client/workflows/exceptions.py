"""The workflow runner's errors under dcipher's module name (``dcipher.exceptions``).

``from dcipher.exceptions import WorkflowFailedException`` becomes
``from luco_client.workflows.exceptions import WorkflowFailedException``. The classes are
those of :mod:`luco_client.workflows` (see there for the tree).
"""

from luco_client.workflows._errors import (
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DcipherError,
    InternalServerError,
    MalformedReplyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RunPossiblyStartedError,
    UnprocessableEntityError,
    WorkflowFailedException,
    WorkflowTimeoutError,
)

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
    "WorkflowFailedException",
    "MalformedReplyError",
    "RunPossiblyStartedError",
    "WorkflowTimeoutError",
]
