"""Fixtures of the client-layer tests: the fake pokemon API and a fake clock."""

from __future__ import annotations

import typing as t

import pytest

from luco_client.testing import FakeClock, PokemonServer


@pytest.fixture
def pokeapi() -> t.Iterator[PokemonServer]:
    """A started fake PokeAPI on 127.0.0.1 (``pokeapi.base_url`` ends with ``/api/v2/``)."""
    with PokemonServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock: sleeps return at once and are recorded in ``clock.sleeps``."""
    return FakeClock()
