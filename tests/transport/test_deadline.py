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
    PossiblyAppliedWriteError,
    Throttle,
    ThrottleRule,
    Timeout,
)
from luco_client.testing import Delay, FakeClock, FlakyServer, Redirect, Reply, Trickle


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


# The deadline is total: a server that trickles keeps every single read within the read
# timeout, yet the call ends when its deadline does. Margins: the reaper thread must wake
# and the blocked read return; 0.2 s covers scheduling on a loaded 2-core machine (the
# trickles below would take 5 to 10 s).

@pytest.mark.slow
def test_a_trickled_body_cannot_outlive_a_2s_deadline(server: FlakyServer) -> None:
    server.script("/trickle", Trickle(b"x" * 200, interval=0.05))  # 10 s in all
    session = GracefulSession(timeout=Timeout(5, 1.0))
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        session.get(server.url + "/trickle", options=CallOptions(deadline=2.0))
    assert info.value.elapsed is not None and info.value.elapsed <= 2.2
    assert time.monotonic() - started < 3.0
    assert info.value.phase is Phase.SENT_NO_RESPONSE and info.value.attempt_count == 1
    assert server.count("/trickle") == 1  # not retried: no time was left


def test_a_trickled_status_line_cannot_outlive_the_deadline(server: FlakyServer) -> None:
    server.script("/head", Trickle(b"y" * 20, interval=0.05, head=True))  # ~6 s for the head
    session = GracefulSession(timeout=Timeout(5, 1.0))
    with pytest.raises(DeadlineExceededError) as info:
        session.get(server.url + "/head", options=CallOptions(deadline=0.6))
    assert info.value.elapsed is not None and info.value.elapsed <= 0.8


def test_a_streamed_body_is_cut_at_the_deadline_too(server: FlakyServer) -> None:
    server.script("/s", Trickle(b"z" * 200, interval=0.05))
    session = GracefulSession(timeout=Timeout(5, 1.0))
    response = session.get(server.url + "/s", stream=True, options=CallOptions(deadline=0.6))
    with pytest.raises(DeadlineExceededError) as info:
        for _ in response.iter_content(1):
            pass
    assert info.value.elapsed is not None and info.value.elapsed <= 0.8
    assert session.stats.snapshot().total.failures == 1


def test_a_pooled_connection_outlives_the_deadline_of_the_call_that_used_it(server: FlakyServer) -> None:
    session = GracefulSession()
    assert session.get(server.url + "/a", options=CallOptions(deadline=0.2)).status_code == 200
    streamed = session.get(server.url + "/b", stream=True, options=CallOptions(deadline=0.2))
    assert streamed.content  # read in full: the connection goes back to the pool
    time.sleep(0.4)  # both deadlines have passed while the connection sat in the pool
    assert session.get(server.url + "/c").status_code == 200
    assert server.connections == 1  # the same connection, never cut by the reaper


def test_a_write_cut_by_the_deadline_says_it_may_have_been_applied(server: FlakyServer) -> None:
    server.script("/w", Trickle(b"w" * 100, interval=0.05), method="POST")
    with pytest.raises(PossiblyAppliedWriteError) as info:
        GracefulSession().post(server.url + "/w", json={}, options=CallOptions(deadline=0.5))
    assert "DeadlineExceededError" in info.value.message
    assert server.count("/w") == 1


def test_redirect_hops_share_the_calls_deadline(server: FlakyServer, other_server: FlakyServer) -> None:
    server.script("/start", Delay(0.6, Redirect(other_server.url + "/object")))
    other_server.script("/object", Delay(0.6, Reply(200)))  # each hop alone fits in 1 s, both do not
    session = GracefulSession(retry=None, timeout=Timeout(5, 5))
    with pytest.raises(DeadlineExceededError) as info:
        session.get(server.url + "/start", options=CallOptions(deadline=1.0))
    assert info.value.elapsed is not None and info.value.elapsed < 0.8  # the hop's own clock: ~0.4 s
    assert session.get(server.url + "/start", options=CallOptions(deadline=5.0)).status_code == 200
