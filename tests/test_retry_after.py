"""Retry-After in both forms, over real sockets, with a fake clock for the waits."""

from __future__ import annotations

import email.utils

import pytest

from luco_client import GracefulRetry, GracefulSession, RetryAfterTooLongError, TooManyRequestsError
from luco_client.testing import FakeClock, FlakyServer, Reply


def _session(clock: FakeClock, **retry: object) -> GracefulSession:
    return GracefulSession(retry=GracefulRetry(jitter=0, clock=clock, **retry), clock=clock)  # type: ignore[arg-type]


def test_retry_after_seconds_is_waited_exactly(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/r", Reply(429, headers={"Retry-After": "7"}), Reply(200, {"ok": 1}))
    response = _session(clock, delay=0.5).get(server.url + "/r")
    assert response.status_code == 200
    assert clock.sleeps == [7.0]
    assert server.count("/r") == 2


def test_retry_after_http_date_is_waited_exactly(server: FlakyServer) -> None:
    clock = FakeClock(wall=1_800_000_000)
    date = email.utils.formatdate(1_800_000_000 + 12, usegmt=True)
    server.script("/r", Reply(503, headers={"Retry-After": date}), Reply(200))
    assert _session(clock).get(server.url + "/r").status_code == 200
    assert clock.sleeps == [12.0]


def test_post_refused_with_retry_after_is_retried(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/orders", Reply(429, headers={"Retry-After": "1"}), Reply(201))
    assert _session(clock).post(server.url + "/orders", json={"n": 1}).status_code == 201
    assert server.count("/orders") == 2


def test_post_503_without_retry_after_is_not_retried(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/orders", Reply(503), Reply(201))
    response = _session(clock).post(server.url + "/orders", json={"n": 1})
    assert response.status_code == 503
    assert server.count("/orders") == 1 and clock.sleeps == []


def test_too_long_retry_after_fails_fast_and_says_when(server: FlakyServer) -> None:
    clock = FakeClock(wall=1_800_000_000)
    server.script("/r", Reply(429, {"error": "quota"}, headers={"Retry-After": "3600"}))
    with pytest.raises(RetryAfterTooLongError) as info:
        _session(clock, max_retry_after=60).get(server.url + "/r")
    err = info.value
    assert (err.status, err.retry_after, err.retry_at, err.limit) == (429, 3600, 1_800_003_600, 60)
    assert "3600" in str(err) and "GET" in str(err) and "/r" in str(err)
    assert clock.sleeps == [] and server.count("/r") == 1
    assert isinstance(err, TooManyRequestsError)  # an old `except TooManyRequestsError:` catches it


def test_retry_after_longer_than_the_deadline_fails_fast(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/r", Reply(429, headers={"Retry-After": "30"}))
    with pytest.raises(RetryAfterTooLongError) as info:
        _session(clock, deadline=10).get(server.url + "/r")
    assert info.value.limit <= 10
    assert clock.sleeps == []


def test_retry_after_can_be_ignored(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/r", Reply(429, headers={"Retry-After": "99"}), Reply(200))
    assert _session(clock, respect_retry_after=False, delay=0.25).get(server.url + "/r").status_code == 200
    assert clock.sleeps == [0.25]


def test_exhausted_429_raises_too_many_requests(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/r", Reply(429, {"error": "slow down"}, headers={"Retry-After": "2"}))
    with pytest.raises(TooManyRequestsError) as info:
        _session(clock, max_attempts=3).get(server.url + "/r")
    assert info.value.attempt_count == 3 and clock.sleeps == [2.0, 2.0]
    assert info.value.headers["Retry-After"] == "2"
    assert "slow down" in info.value.body_excerpt
