"""Concurrency limits, global and per pattern, under many threads."""

from __future__ import annotations

import threading
import typing as t

import pytest

from luco_client import ConcurrencyLimit, ConfigurationError, GracefulSession
from luco_client.testing import Delay, FlakyServer, Received, Reply


def _in_flight_tracker() -> t.Tuple[t.Callable[[Received], Delay], t.Callable[[], int]]:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    class Tracked(Delay):
        def play(self, handler: t.Any) -> None:
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
            try:
                super().play(handler)
            finally:
                with lock:
                    state["now"] -= 1

    return (lambda _req: Tracked(0.05, Reply(200))), (lambda: state["max"])


def _run_threads(session: GracefulSession, urls: t.Sequence[str], per_thread: int = 4) -> None:
    statuses: t.List[int] = []
    failures: t.List[BaseException] = []

    def loop(url: str) -> None:
        try:
            for _ in range(per_thread):
                statuses.append(session.get(url).status_code)
        except BaseException as exc:  # collected: an assert in a thread would only warn
            failures.append(exc)

    threads = [threading.Thread(target=loop, args=(u,)) for u in urls]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert failures == []
    assert statuses == [200] * (len(urls) * per_thread)


def test_global_limit_caps_requests_in_flight(server: FlakyServer) -> None:
    action, peak = _in_flight_tracker()
    server.script("/slow", action)
    session = GracefulSession(concurrency=ConcurrencyLimit(3))
    _run_threads(session, [server.url + "/slow"] * 10)
    assert server.count("/slow") == 40
    assert peak() == 3


def test_per_pattern_limit_leaves_other_urls_free(server: FlakyServer) -> None:
    slow_action, slow_peak = _in_flight_tracker()
    fast_action, fast_peak = _in_flight_tracker()
    server.script("/reports", slow_action)
    server.script("/items", fast_action)
    session = GracefulSession(concurrency=[ConcurrencyLimit(1, r"/reports")])
    _run_threads(session, [server.url + "/reports"] * 4 + [server.url + "/items"] * 6)
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
