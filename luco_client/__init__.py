"""luco_client: a graceful synchronous HTTP toolkit on requests.

Retries that respect write safety, client-side throttling (in memory, SQLite or Redis),
concurrency limits, deadlines, downloads, templated log events, typed errors and
per-endpoint statistics, plugged into a ``requests.Session``; and a declarative client
layer (gracy's API, synchronous).

Every public name of the subpackages is available here too: :mod:`luco_client.transport`
(the session, retries, throttle, replay, downloads), :mod:`luco_client.client` (ApiClient,
Settings, endpoints, paginators, hooks), :mod:`luco_client.errors` (the one exception
tree), :mod:`luco_client.events` (log events), :mod:`luco_client.stats` and
:mod:`luco_client.reports`. The architecture is described in the docs (``architecture``).
"""

from luco_client import (
    _logging,  # noqa: F401  - installs the package NullHandler
    client,
    errors,
    events,
    reports,
    stats,
    transport,
)
from luco_client._clock import SYSTEM_CLOCK, Clock, SystemClock
from luco_client._version import __version__
from luco_client.client import *  # noqa: F403 - the top level re-exports every subpackage's public names
from luco_client.errors import *  # noqa: F403
from luco_client.events import *  # noqa: F403
from luco_client.reports import *  # noqa: F403
from luco_client.stats import *  # noqa: F403
from luco_client.transport import *  # noqa: F403

__all__ = ["__version__", "Clock", "SystemClock", "SYSTEM_CLOCK"]
__all__ += transport.__all__
__all__ += client.__all__
__all__ += errors.__all__
__all__ += events.__all__
__all__ += stats.__all__
__all__ += reports.__all__
__all__ = list(dict.fromkeys(__all__))  # UNSET and parse_retry_after are in two subpackages

# Luco client: LucoApi and Submission (a drop-in for LucoPy), LucoPy's exception names
from luco_client.luco import (  # noqa: E402 - the service clients stand above the core names
    ApiException,
    AuthException,
    DataQualityException,
    LucoApi,
    LucoLookupError,
    ParameterNotFoundError,
    Submission,
    get_auth,
)

__all__ += ["LucoApi", "Submission", "ApiException", "AuthException", "DataQualityException", "LucoLookupError",
            "ParameterNotFoundError", "get_auth"]

# Workflow runner: the dcipher-compatible client (the rest of it lives in luco_client.workflows)
from luco_client.workflows import AsyncDcipher, Dcipher, WorkflowFailedException  # noqa: E402

__all__ += ["Dcipher", "AsyncDcipher", "WorkflowFailedException"]
