"""The workflow runner: a drop-in for the ``dcipher`` package (0.3.5), on luco_client's transport.

::

    from luco_client.workflows import Dcipher          # was: from dcipher import Dcipher

    client = Dcipher()                                  # DCIPHER_API_KEY from the environment
    client.run_flow(flow_id="65cf2f3e..", params={"param1": "..."}, save_path="output.json")

Public names::

    Dcipher, AsyncDcipher, FlowClientBase      the clients (sync; asyncio; what they share)
    FlowResult, FlowStatus, FlowProgress       the result dict, a status reply, a progress report
    PollPolicy, TaskStatus, output_paths       polling schedule, status names, output file names
    DcipherError, APIError, APIStatusError, BadRequestError, AuthenticationError,
    PermissionDeniedError, NotFoundError, ConflictError, UnprocessableEntityError,
    RateLimitError, InternalServerError, WorkflowFailedException     dcipher's errors
    MalformedReplyError, RunPossiblyStartedError, WorkflowTimeoutError  ours
    FlowsApi                                   the endpoint table

The errors are also importable from :mod:`luco_client.workflows.exceptions`, like
``dcipher.exceptions``. This package imports only public names of luco_client's layers.
"""

from luco_client._public import publish
from luco_client.workflows import _errors
from luco_client.workflows._async import AsyncDcipher
from luco_client.workflows._client import Dcipher, FlowClientBase
from luco_client.workflows._endpoints import FlowsApi
from luco_client.workflows._errors import *  # noqa: F403 - dcipher's error names and ours, listed once in _errors
from luco_client.workflows._outputs import output_paths
from luco_client.workflows._polling import PollPolicy, TaskStatus
from luco_client.workflows._results import FlowProgress, FlowResult, FlowStatus, ProgressCallback

__all__ = [
    "Dcipher",
    "AsyncDcipher",
    "FlowClientBase",
    "FlowResult",
    "FlowStatus",
    "FlowProgress",
    "ProgressCallback",
    "PollPolicy",
    "TaskStatus",
    "output_paths",
    "FlowsApi",
]
__all__ += _errors.__all__

publish(__name__, globals())
