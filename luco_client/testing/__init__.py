"""Test kit: fake servers on 127.0.0.1, fault injection, a fake clock, a throttle's
admission log, pytest fixtures.

Usable in your own tests: ``pip install luco-client`` registers the pytest plugin
(:mod:`luco_client.testing.pytest_plugin`), which provides the ``flaky_server``,
``fake_clock``, ``azure_token_server``, ``luco_server``, ``luco_api``, ``workflows_server``
and ``dcipher_env`` fixtures.
"""

from luco_client._public import publish
from luco_client.testing._admissions import AdmissionLog
from luco_client.testing._azure import AzureTokenServer
from luco_client.testing._blobs import Blob, ServeBlob
from luco_client.testing._clock import FakeClock
from luco_client.testing._flaky import (
    CERT_FILE,
    Apply,
    Delay,
    Drop,
    Faults,
    FlakyServer,
    Garbage,
    Received,
    Redirect,
    Reply,
    SilentServer,
    Trickle,
    Truncate,
    Tunnel,
    max_in_window,
    reserve_port,
)
from luco_client.testing._luco import LucoServer
from luco_client.testing._pokemon import PokemonServer
from luco_client.testing._storage import StorageServer
from luco_client.testing._workflows import DEFAULT_API_KEY, Flow, Run, WorkflowsServer

__all__ = [
    "FlakyServer",
    "SilentServer",
    "CERT_FILE",
    "Garbage",
    "Received",
    "Reply",
    "Delay",
    "Drop",
    "Truncate",
    "Redirect",
    "Tunnel",
    "Apply",
    "Trickle",
    "Faults",
    "reserve_port",
    "max_in_window",
    "FakeClock",
    "Blob",
    "ServeBlob",
    "AdmissionLog",
    "PokemonServer",
    "LucoServer",
    "AzureTokenServer",
    # the workflows API and its storage host
    "WorkflowsServer",
    "Flow",
    "Run",
    "DEFAULT_API_KEY",
    "StorageServer",
]

publish(__name__, globals())
