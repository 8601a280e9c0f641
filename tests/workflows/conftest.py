"""Fixtures of the workflow-runner tests: the fake workflows API (with its storage host) and
clients pointed at it.

``api`` knows these flows (any other flow id gets the default: done after 0.3 s, one
output)::

    now       done at once, one output          multi    done at once, three outputs
    single    done at once, signedResponseURL   none     done at once, no output
    fails     FAILED with a reason              slow     done after 30 s
"""

from __future__ import annotations

import typing as t

import pytest

from luco_client.testing import FakeClock, Flow, WorkflowsServer
from luco_client.workflows import AsyncDcipher, Dcipher

FLOWS = {
    "now": Flow(duration=0),
    "multi": Flow(duration=0, outputs=3),
    "single": Flow(duration=0, single_url=True),
    "none": Flow(duration=0, outputs=0),
    "fails": Flow(duration=0, outcome="FAILED", message="the input table is empty"),
    "slow": Flow(duration=30),
}


@pytest.fixture
def api() -> t.Iterator[WorkflowsServer]:
    """A started fake workflows API with the flows above."""
    with WorkflowsServer(flow=Flow(duration=0.3), flows=FLOWS) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock: retry and poll sleeps return at once (use with flows that are done at once)."""
    return FakeClock()


Client = t.TypeVar("Client", Dcipher, AsyncDcipher)


def _factory(api: WorkflowsServer, cls: t.Type[Client], made: t.List[t.Any]) -> t.Callable[..., Client]:
    def make(**kwargs: t.Any) -> Client:
        kwargs.setdefault("base_url", api.url)
        client = cls(kwargs.pop("api_key", api.api_key), **kwargs)
        made.append(client)
        return client

    return make


@pytest.fixture
def make_client(api: WorkflowsServer) -> t.Iterator[t.Callable[..., Dcipher]]:
    """``make_client(**kwargs)``: a Dcipher on ``api`` (closed after the test)."""
    made: t.List[t.Any] = []
    yield _factory(api, Dcipher, made)
    for client in made:
        client.close()


@pytest.fixture
def make_async(api: WorkflowsServer) -> t.Iterator[t.Callable[..., AsyncDcipher]]:
    """``make_async(**kwargs)``: an AsyncDcipher on ``api`` (closed after the test)."""
    made: t.List[t.Any] = []
    yield _factory(api, AsyncDcipher, made)
    for client in made:
        client.close()
