"""Concurrency limits, global and per pattern, under many threads."""

from __future__ import annotations

import typing as t

import pytest

from luco_client import ConcurrencyLimit, ConfigurationError, GracefulSession
from luco_client.testing import FlakyServer

if t.TYPE_CHECKING:
    from conftest import InFlightFactory


def _run_threads(in_threads: t.Any, session: GracefulSession, urls: t.Sequence[str], per_thread: int = 4) -> None:
    statuses = in_threads([lambda u=u: [session.get(u).status_code for _ in range(per_thread)] for u in urls])
    assert statuses == [[200] * per_thread] * len(urls)


def test_global_limit_caps_requests_in_flight(server: FlakyServer, in_flight: InFlightFactory,
                                              in_threads: t.Any) -> None:
    action, peak = in_flight()
    server.script("/slow", action)
    session = GracefulSession(concurrency=ConcurrencyLimit(3))
    _run_threads(in_threads, session, [server.url + "/slow"] * 10)
    assert server.count("/slow") == 40
    assert peak() == 3


def test_per_pattern_limit_leaves_other_urls_free(server: FlakyServer, in_flight: InFlightFactory,
                                                  in_threads: t.Any) -> None:
    slow_action, slow_peak = in_flight()
    fast_action, fast_peak = in_flight()
    server.script("/reports", slow_action)
    server.script("/items", fast_action)
    session = GracefulSession(concurrency=[ConcurrencyLimit(1, r"/reports")])
    _run_threads(in_threads, session, [server.url + "/reports"] * 4 + [server.url + "/items"] * 6)
    assert slow_peak() == 1
    assert fast_peak() > 1


def test_pool_is_sized_for_the_global_limit() -> None:
    session = GracefulSession(concurrency=ConcurrencyLimit(25))
    assert session.adapter._pool_maxsize == 25


def test_limit_validation() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ConfigurationError):
            ConcurrencyLimit(bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        GracefulSession(concurrency=["x"])  # type: ignore[list-item]
