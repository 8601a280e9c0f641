"""pytest fixtures for luco_client's fake servers (registered through the ``pytest11``
entry point, so they are available wherever luco_client is installed)."""

from __future__ import annotations

import typing as t

import pytest

from luco_client.testing._clock import FakeClock
from luco_client.testing._flaky import FlakyServer

__all__ = ["flaky_server", "fake_clock"]


@pytest.fixture
def flaky_server() -> t.Iterator[FlakyServer]:
    """A started :class:`~luco_client.testing.FlakyServer`, closed after the test."""
    with FlakyServer() as server:
        yield server


@pytest.fixture
def fake_clock() -> FakeClock:
    """A :class:`~luco_client.testing.FakeClock` whose sleeps return at once."""
    return FakeClock()
