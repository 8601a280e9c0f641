"""A total deadline bounds every attempt, throttle wait and sleep of a call."""

from __future__ import annotations

import time

import pytest

from luco_client import (
    CallOptions,
    DeadlineExceededError,
    GracefulRetry,
    GracefulSession,
    Phase,
    Throttle,
    ThrottleRule,
    Timeout,
)
from luco_client.testing import Delay, FakeClock, FlakyServer, Reply


def test_backoff_that_would_cross_the_deadline_stops_the_call(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/x", Reply(503))
    retry = GracefulRetry(max_attempts=10, delay=1, delay_modifier=2, jitter=0, deadline=5, clock=clock)
    with pytest.raises(DeadlineExceededError) as info:
        GracefulSession(retry=retry, clock=clock).get(server.url + "/x")
    assert clock.sleeps == [1.0, 2.0]  # the next (4 s) would end after 5 s
    assert info.value.attempt_count == 3 and info.value.phase is Phase.RESPONSE
    assert server.count("/x") == 3


def test_call_option_deadline_overrides_policy(server: FlakyServer) -> None:
    clock = FakeClock()
    server.script("/x", Reply(503))
    retry = GracefulRetry(max_attempts=10, delay=1, delay_modifier=1, jitter=0, deadline=100, clock=clock)
    with pytest.raises(DeadlineExceededError):
        GracefulSession(retry=retry, clock=clock).get(server.url + "/x", options=CallOptions(deadline=2.5))
    assert clock.sleeps == [1.0, 1.0]


def test_read_timeout_is_capped_by_the_deadline(server: FlakyServer) -> None:
    server.script("/slow", Delay(2.0, Reply(200)))
    session = GracefulSession(retry=GracefulRetry(max_attempts=5, delay=0.05, jitter=0), timeout=Timeout(1, 30))
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        session.get(server.url + "/slow", options=CallOptions(deadline=0.5))
    assert time.monotonic() - started < 1.5  # not 30 s: each attempt's timeout shrinks


def test_throttle_wait_beyond_the_deadline_fails_without_sleeping(server: FlakyServer) -> None:
    clock = FakeClock()
    throttle = Throttle(ThrottleRule(".*", 1, 60), clock=clock)
    session = GracefulSession(throttle=throttle, clock=clock)
    assert session.get(server.url + "/a").status_code == 200
    with pytest.raises(DeadlineExceededError) as info:
        session.get(server.url + "/a", options=CallOptions(deadline=5))
    assert "throttle" in str(info.value)
    assert clock.sleeps == [] and server.count("/a") == 1
    total = session.stats.snapshot().total
    assert (total.calls, total.requests) == (2, 1)  # the refused call is a call without attempts
