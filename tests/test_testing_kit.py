"""The test kit itself: what the fake servers record, and faults after a write was applied."""

from __future__ import annotations

import pytest
import requests

from luco_client.testing import CERT_FILE, Apply, Faults, FlakyServer, Received, Reply


def test_received_keeps_repeated_query_parameters_in_order(server: FlakyServer) -> None:
    requests.get(server.url + "/q?k=a&x=1&k=b+c&k=%2B", timeout=5)
    (received,) = server.received("/q")
    assert received.query == {"k": "+", "x": "1"}  # the dict keeps the last value
    assert received.query_all() == [("k", "a"), ("x", "1"), ("k", "b c"), ("k", "+")]
    assert received.query_string == "k=a&x=1&k=b+c&k=%2B"


def test_apply_runs_the_route_then_drops_the_answer(server: FlakyServer) -> None:
    applied = []

    def route(received: Received) -> Reply:
        applied.append(received.json())
        return Reply(201, {"id": len(applied)})

    server.script("/orders", Apply(route), route, method="POST")
    with pytest.raises(requests.ConnectionError):
        requests.post(server.url + "/orders", json={"n": 1}, timeout=5)
    assert applied == [{"n": 1}]  # applied, though the client got no answer
    assert requests.post(server.url + "/orders", json={"n": 2}, timeout=5).json() == {"id": 2}


def test_seeded_faults_after_apply_change_state_and_are_reproducible() -> None:
    def outcomes(seed: int) -> tuple:
        applied = []

        def route(received: Received) -> Reply:
            applied.append(1)
            return Reply(200)

        seen = []
        with FlakyServer(faults=Faults(seed, applied_reset_rate=0.3, applied_error_rate=0.3),
                         default=route) as flaky:
            for _ in range(30):
                try:
                    seen.append(requests.post(flaky.url + "/w", timeout=5).status_code)
                except requests.ConnectionError:
                    seen.append("reset")
        return tuple(seen), len(applied)

    first, applied = outcomes(3)
    assert outcomes(3) == (first, applied)
    assert applied == 30  # every request was applied, whatever the client saw
    assert "reset" in first and 503 in first and 200 in first


def test_connections_counts_accepted_tcp_connections() -> None:
    with FlakyServer(tls=True) as srv:
        with requests.Session() as kept:  # keep-alive: one connection for many requests
            for _ in range(3):
                assert kept.get(srv.url + "/a", verify=CERT_FILE).status_code == 200
        assert srv.connections == 1
        for _ in range(2):  # a new session each time: a new TCP connection (and TLS handshake)
            with requests.Session() as fresh:
                fresh.get(srv.url + "/b", verify=CERT_FILE)
        assert srv.connections == 3 and srv.count() == 5
        srv.reset()
        assert srv.connections == 0
