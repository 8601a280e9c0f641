"""What happens when attempts run out, per-status overrides and validators."""

from __future__ import annotations

import pytest

from luco_client import CallOptions, GracefulRetry, GracefulSession, ServerStatusError, attempts_of
from luco_client.testing import FakeClock, FlakyServer, Reply


def test_exhaustion_raises_typed_error_with_history(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/x", Reply(503, {"error": "down for maintenance"}))
    session = GracefulSession(retry=GracefulRetry(max_attempts=3, delay=1, delay_modifier=2, jitter=0, clock=clock),
                              clock=clock)
    with pytest.raises(ServerStatusError) as info:
        session.get(server.url + "/x", params={"q": "1"})
    err = info.value
    assert err.status == 503 and err.method == "GET" and err.url.endswith("/x?q=1")
    assert [a.status for a in err.attempts] == [503, 503, 503]
    assert [a.delay_after for a in err.attempts] == [1.0, 2.0, 0.0]
    assert clock.sleeps == [1.0, 2.0]
    assert "down for maintenance" in str(err) and "3 attempts" in str(err)
    assert server.count("/x") == 3


def test_exhaustion_can_return_the_last_response(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/x", Reply(500, {"n": 1}), Reply(500, {"n": 2}))
    session = GracefulSession(retry=GracefulRetry(max_attempts=2, on_exhausted="return", jitter=0, clock=clock),
                              clock=clock)
    response = session.get(server.url + "/x")
    assert response.status_code == 500 and response.json() == {"n": 2}
    assert len(attempts_of(response)) == 2


def test_status_overrides_change_the_delay(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/x", Reply(502), Reply(503), Reply(503), Reply(200))
    retry = GracefulRetry(max_attempts=4, delay=5, delay_modifier=2, overrides={503: 0.1}, jitter=0, clock=clock)
    assert GracefulSession(retry=retry, clock=clock).get(server.url + "/x").status_code == 200
    assert clock.sleeps == [5.0, 0.2, 0.4]


def test_unlisted_error_status_is_returned_without_retry(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/x", Reply(404))
    response = GracefulSession(retry=GracefulRetry(clock=clock), clock=clock).get(server.url + "/x")
    assert response.status_code == 404 and server.count("/x") == 1


class NotReady(Exception):
    pass


def _ready(response: object) -> None:
    if response.json().get("state") != "ready":  # type: ignore[attr-defined]
        raise NotReady("job not ready yet")


def test_validator_failures_drive_retries(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/job", Reply(200, {"state": "running"}), Reply(200, {"state": "running"}),
                  Reply(200, {"state": "ready"}))
    session = GracefulSession(retry=GracefulRetry(retry_on=NotReady, max_attempts=5, jitter=0, clock=clock),
                              clock=clock, validators=[_ready])
    assert session.get(server.url + "/job").json() == {"state": "ready"}
    assert server.count("/job") == 3
    snap = session.stats.snapshot().total
    assert (snap.requests, snap.failures, snap.successes, snap.retries) == (3, 2, 1, 2)


def test_validator_exception_is_raised_when_not_retried(server: FlakyServer) -> None:
    server.script("/job", Reply(200, {"state": "running"}))
    session = GracefulSession(retry=None)
    with pytest.raises(NotReady):
        session.get(server.url + "/job", options=CallOptions(validators=(_ready,)))


def test_retry_disabled_per_call(server: FlakyServer) -> None:
    server.script("/x", Reply(503), Reply(200))
    session = GracefulSession(retry=GracefulRetry(jitter=0, delay=0))
    assert session.get(server.url + "/x", options=CallOptions(retry=None)).status_code == 503
    assert server.count("/x") == 1


def test_urllib3_makes_no_hidden_retries(server: FlakyServer) -> None:
    server.script("/busy", Reply(429, headers={"Retry-After": "1"}), Reply(200))
    server.script("/down", Reply(503), Reply(200))
    session = GracefulSession(retry=None)
    assert session.get(server.url + "/busy").status_code == 429
    assert session.get(server.url + "/down").status_code == 503
    assert server.count("/busy") == 1 and server.count("/down") == 1
    clock = FakeClock()
    session = GracefulSession(retry=GracefulRetry(max_attempts=2, jitter=0, clock=clock), clock=clock)
    server.script("/always", Reply(503))
    with pytest.raises(ServerStatusError):
        session.get(server.url + "/always")
    assert server.count("/always") == 2  # exactly max_attempts sends, each counted once
    assert session.stats.snapshot().total.requests == 2


def test_validators_only_judge_successful_responses(server: FlakyServer) -> None:
    server.script("/job", Reply(404, "not json"))
    response = GracefulSession(retry=None).get(server.url + "/job", options=CallOptions(validators=(_ready,)))
    assert response.status_code == 404
