"""Fixtures of the Luco tests: the fake Luco API and token endpoint over plain HTTP on
127.0.0.1 (the HTTPS variants come from the pytest plugin), and a client factory."""

from __future__ import annotations

import typing as t

import pytest
from luco_helpers import MakeApi

from luco_client import GracefulRetry, LucoApi
from luco_client.testing import AzureTokenServer, FakeClock, LucoServer


@pytest.fixture
def azure() -> t.Iterator[AzureTokenServer]:
    """The fake token endpoint (HTTP)."""
    with AzureTokenServer() as server:
        yield server


@pytest.fixture
def luco(azure: AzureTokenServer) -> t.Iterator[LucoServer]:
    """The fake Luco API (HTTP), accepting the tokens of ``azure``."""
    with LucoServer(token_server=azure) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock: retries sleep without waiting (sleeps recorded in ``clock.sleeps``)."""
    return FakeClock()


@pytest.fixture
def make_api(luco: LucoServer, azure: AzureTokenServer, clock: FakeClock) -> t.Iterator[MakeApi]:
    """``make_api(**kwargs)``: a LucoApi on the fakes as the service principal, retrying on
    the fake clock (no real sleeps); closed after the test."""
    made: t.List[LucoApi] = []

    def make(**kwargs: t.Any) -> LucoApi:
        kwargs.setdefault("authority", azure.authority)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("retry", GracefulRetry(jitter=0, clock=clock))
        api = LucoApi(luco.base_url, azure.tenant_id, azure.client_id, azure.client_secret, "api://luco", **kwargs)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


@pytest.fixture
def api(make_api: MakeApi) -> LucoApi:
    """A LucoApi from ``make_api()``."""
    return make_api()
