"""pytest fixtures for luco_client's fake servers (registered through the ``pytest11``
entry point, so they are available wherever luco_client is installed)."""

from __future__ import annotations

import typing as t

import pytest

from luco_client.testing._clock import FakeClock
from luco_client.testing._flaky import FlakyServer
from luco_client.testing._workflows import WorkflowsServer

__all__ = ["flaky_server", "fake_clock", "workflows_server", "dcipher_env"]


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
