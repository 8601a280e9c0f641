"""Per (method, URL template) counters on a known workload."""

from __future__ import annotations

import threading

import pytest

from luco_client import CallOptions, GracefulRetry, GracefulSession, ServerStatusError, Stats
from luco_client.stats import OTHER_KEY
from luco_client.testing import Drop, FakeClock, FlakyServer, Reply


def test_known_workload_gives_exact_counts(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/pokemon/25", Reply(503), Reply(200))
    server.script("/pokemon/4", Reply(404))
    server.script("/berry/1", Drop(), Reply(200))
    server.script("/berry/2", Reply(500))
    session = GracefulSession(retry=GracefulRetry(max_attempts=2, jitter=0, clock=clock), clock=clock)
    tpl = server.url + "/pokemon/{NAME}"
    session.get(server.url + "/pokemon/25", options=CallOptions(url_template=tpl))
    session.get(server.url + "/pokemon/4", options=CallOptions(url_template=tpl))
    session.get(server.url + "/berry/1")
    with pytest.raises(ServerStatusError):
        session.get(server.url + "/berry/2")
    snap = session.stats.snapshot()
    pokemon = snap.get("GET", tpl)
    berry = snap.get("GET", server.url + "/berry/{id}")
    assert pokemon is not None and berry is not None
    assert (pokemon.calls, pokemon.requests, pokemon.successes, pokemon.failures, pokemon.retries) == (2, 3, 1, 2, 1)
    assert (pokemon.status_2xx, pokemon.status_4xx, pokemon.status_5xx) == (1, 1, 1)
    assert (berry.calls, berry.requests, berry.successes, berry.failures, berry.retries) == (2, 4, 1, 3, 2)
    assert (berry.transport_errors, berry.status_2xx, berry.status_5xx) == (1, 1, 2)
    assert snap.total.requests == 7 and snap.total.calls == 4
    assert snap.total.success_rate == pytest.approx(200 / 7)
    assert snap.total.statuses == {200: 2, 404: 1, 500: 2, 503: 1}


def test_latency_and_rate_use_real_elapsed_time() -> None:
    stats = Stats()
    for i in range(10):
        stats.record_attempt("GET", "t", started=100.0 + i * 0.05, elapsed=0.01 * (i + 1), status=200, success=True)
    entry = stats.snapshot().total
    assert entry.latency_max == pytest.approx(0.1)
    assert entry.latency_avg == pytest.approx(0.055)
    assert entry.latency_p95 == pytest.approx(0.1)
    assert entry.span_seconds == pytest.approx(0.55)  # 100.0 -> 100.45 + 0.10
    assert entry.req_per_sec == pytest.approx(10 / 0.55)  # not truncated to whole seconds


def test_keys_are_bounded() -> None:
    stats = Stats(max_keys=3, max_samples=4)
    for i in range(10):
        stats.record_attempt("GET", f"/u/{i}", started=0, elapsed=0.1, status=200, success=True)
    snap = stats.snapshot()
    assert len(snap.endpoints) == 4
    other = snap.get("GET", OTHER_KEY)
    assert other is not None and other.requests == 7


def test_snapshot_does_not_change_the_counters() -> None:
    stats = Stats()
    stats.record_attempt("GET", "t", started=0, elapsed=0.1, status=200, success=True)
    first = stats.snapshot()
    second = stats.snapshot()
    assert first == second and first.total.requests == 1


def test_counts_are_consistent_under_threads(server: FlakyServer) -> None:
    session = GracefulSession()

    def loop() -> None:
        for _ in range(25):
            session.get(server.url + "/items/1")

    threads = [threading.Thread(target=loop) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    entry = session.stats.snapshot().get("GET", server.url + "/items/{id}")
    assert entry is not None and entry.requests == entry.calls == entry.successes == 200
    assert server.count("/items/1") == 200


def test_replays_count_as_requests_but_not_in_latency_or_rate() -> None:
    stats = Stats()
    stats.record_attempt("GET", "/a", started=0.0, elapsed=0.5, status=200, success=True)
    stats.record_attempt("GET", "/a", started=1.5, elapsed=0.5, status=200, success=True)
    stats.record_attempt("GET", "/a", started=9.0, elapsed=0.0001, status=503, success=False, replay=True)
    entry = stats.snapshot().total
    assert (entry.requests, entry.replays, entry.live_requests, entry.status_5xx) == (3, 1, 2, 1)
    assert entry.latency_avg == 0.5 and entry.latency_max == 0.5
    assert entry.span_seconds == 2.0 and entry.req_per_sec == 1.0  # the replay at t=9 does not stretch it
