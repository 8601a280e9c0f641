"""pytest fixtures for luco_client's fake servers (registered through the ``pytest11``
entry point, so they are available wherever luco_client is installed)."""

from __future__ import annotations

import typing as t

import pytest

from luco_client.testing._azure import AzureTokenServer
from luco_client.testing._clock import FakeClock
from luco_client.testing._flaky import CERT_FILE, FlakyServer
from luco_client.testing._luco import LucoServer
from luco_client.testing._workflows import WorkflowsServer

if t.TYPE_CHECKING:
    from luco_client.luco import LucoApi

__all__ = ["flaky_server", "fake_clock", "azure_token_server", "luco_server", "luco_api", "workflows_server",
           "dcipher_env"]


@pytest.fixture
def flaky_server() -> t.Iterator[FlakyServer]:
    """A started :class:`~luco_client.testing.FlakyServer`, closed after the test."""
    with FlakyServer() as server:
        yield server


@pytest.fixture
def fake_clock() -> FakeClock:
    """A :class:`~luco_client.testing.FakeClock` whose sleeps return at once."""
    return FakeClock()


@pytest.fixture
def azure_token_server() -> t.Iterator[AzureTokenServer]:
    """A started fake Azure AD token endpoint over HTTPS (test certificate
    :data:`~luco_client.testing.CERT_FILE`), closed after the test."""
    with AzureTokenServer(tls=True) as server:
        yield server


@pytest.fixture
def luco_server(azure_token_server: AzureTokenServer) -> t.Iterator[LucoServer]:
    """A started, seeded fake Luco API over HTTPS that accepts the tokens of
    ``azure_token_server``, closed after the test."""
    with LucoServer(token_server=azure_token_server, tls=True) as server:
        yield server


@pytest.fixture
def luco_api(luco_server: LucoServer, azure_token_server: AzureTokenServer) -> t.Iterator[LucoApi]:
    """A :class:`~luco_client.luco.LucoApi` on ``luco_server``, authenticating as the
    service principal of ``azure_token_server`` (its ``authority``), trusting the test
    certificate; closed after the test."""
    from luco_client.luco import LucoApi  # noqa: PLC0415 - the Luco client loads only for this fixture

    api = LucoApi(luco_server.base_url, azure_token_server.tenant_id, azure_token_server.client_id,
                  azure_token_server.client_secret, "api://luco", authority=azure_token_server.authority,
                  verify=CERT_FILE)
    with api:
        yield api


@pytest.fixture
def workflows_server() -> t.Iterator[WorkflowsServer]:
    """A started fake workflows API (:class:`~luco_client.testing.WorkflowsServer`, runs
    done after 1 s, one output) with its storage host, closed after the test."""
    with WorkflowsServer() as server:
        yield server


@pytest.fixture
def dcipher_env(workflows_server: WorkflowsServer, monkeypatch: pytest.MonkeyPatch) -> WorkflowsServer:
    """``DCIPHER_API_KEY`` and ``DCIPHER_BASE_URL`` pointing at ``workflows_server`` (and
    ``DCIPHER_LOG`` unset) for the test, so that an unchanged script calling
    ``Dcipher()`` runs against the fake. Returns the server."""
    monkeypatch.setenv("DCIPHER_API_KEY", workflows_server.api_key)
    monkeypatch.setenv("DCIPHER_BASE_URL", workflows_server.url)
    monkeypatch.delenv("DCIPHER_LOG", raising=False)
    return workflows_server
