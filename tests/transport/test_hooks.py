"""Attempt hooks, the bypass scope and pauses, over real sockets."""

from __future__ import annotations

import threading
import typing as t

import pytest

from luco_client import (
    AttemptInfo,
    CallOptions,
    ConcurrencyLimit,
    ConfigurationError,
    DeadlineExceededError,
    GracefulRetry,
    GracefulSession,
    ReadError,
    RetryState,
    Throttle,
    ThrottleRule,
    bypass,
)
from luco_client.testing import Drop, FakeClock, FlakyServer, Reply


class Recorder:
    def __init__(self) -> None:
        self.calls: t.List[t.Tuple[str, t.Any, ...]] = []

    def before(self, info: AttemptInfo) -> None:
        self.calls.append(("before", info))

    def after(self, info: AttemptInfo, result: t.Any, retry: RetryState) -> None:
        self.calls.append(("after", info, result, retry))


def _session(clock: FakeClock, **kwargs: t.Any) -> GracefulSession:
    return GracefulSession(retry=GracefulRetry(max_attempts=3, delay=1, jitter=0, clock=clock), clock=clock, **kwargs)


def test_hooks_see_every_attempt_with_the_same_wrapped_types(server: FlakyServer) -> None:
    server.script("/items/1", Reply(503), Drop(), Reply(200, {"ok": True}))
    hook = Recorder()
    clock = FakeClock()
    with _session(clock) as s:
        response = s.get(server.url + "/items/1", options=CallOptions(hooks=(hook,)))
    assert response.json() == {"ok": True}
    befores = [c[1] for c in hook.calls if c[0] == "before"]
    afters = [c for c in hook.calls if c[0] == "after"]
    assert [i.number for i in befores] == [1, 2, 3]
    assert all(i.max_attempts == 3 and i.method == "GET" and not i.replay for i in befores)
    assert [c[0] for c in hook.calls] == ["before", "after"] * 3
    first, second, third = (c[2] for c in afters)
    assert first.status_code == 503  # a requests.Response on the first attempt...
    assert isinstance(second, ReadError)  # ...the typed error on a retry, never a raw exception
    assert third.status_code == 200
    states = [c[3] for c in afters]
    assert [(r.attempt, r.will_retry) for r in states] == [(1, True), (2, True), (3, False)]
    assert [r.delay for r in states] == [1.0, 2.0, 0.0]
    assert states[0].cause is not None and states[2].cause is None


def test_a_hook_request_skips_throttle_retry_and_slots(server: FlakyServer) -> None:
    """One slot, one token per minute: a hook's own request still goes straight out, once."""
    server.script("/side", Reply(503), Reply(200))
    seen: t.List[int] = []

    class SideCall:
        def after(self, info: AttemptInfo, result: t.Any, retry: RetryState) -> None:
            seen.append(session.get(server.url + "/side").status_code)

    session = GracefulSession(throttle=Throttle(ThrottleRule(r".*", 1, 60)), concurrency=ConcurrencyLimit(1),
                              hooks=(SideCall(),))
    done = threading.Event()

    def run() -> None:
        session.get(server.url + "/main")
        done.set()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10)
    session.close()
    assert done.is_set(), "the hook's request deadlocked on the concurrency slot or the throttle"
    assert seen == [503]  # one attempt, not retried
    assert server.count("/side") == 1 and server.count("/main") == 1


def test_explicit_bypass_scope_makes_one_attempt(server: FlakyServer) -> None:
    server.script("/flaky", Reply(503), Reply(200))
    with _session(FakeClock()) as s:
        with bypass():
            assert s.get(server.url + "/flaky").status_code == 503
        assert s.get(server.url + "/flaky").status_code == 200
    assert server.count("/flaky") == 2


def test_pause_holds_all_requests_and_counts_as_a_wait(server: FlakyServer) -> None:
    clock = FakeClock()
    with _session(clock) as s:
        s.pause(4.5)
        assert s.get(server.url + "/a").status_code == 200
        assert clock.sleeps == [4.5]
        assert s.stats.snapshot().total.throttle_wait_seconds == pytest.approx(4.5)
        s.get(server.url + "/a")
    assert clock.sleeps == [4.5]  # the pause is over


def test_a_lane_pause_holds_only_matching_urls(server: FlakyServer) -> None:
    clock = FakeClock()
    with _session(clock) as s:
        s.pause(2.0, pattern=r"/slow/")
        s.get(server.url + "/fast/1")
        assert clock.sleeps == []
        s.get(server.url + "/slow/1")
        assert clock.sleeps == [2.0]


def test_a_pause_past_the_deadline_fails_at_once_without_sending(server: FlakyServer) -> None:
    clock = FakeClock()
    with _session(clock) as s:
        s.pause(30)
        with pytest.raises(DeadlineExceededError, match="paused"):
            s.get(server.url + "/a", options=CallOptions(deadline=5))
    assert server.count("/a") == 0 and clock.sleeps == []


def test_requests_in_a_hook_are_not_paused(server: FlakyServer) -> None:
    clock = FakeClock()
    with _session(clock) as s:
        s.pause(10)
        with bypass():
            s.get(server.url + "/a")
    assert clock.sleeps == [] and server.count("/a") == 1


@pytest.mark.parametrize("hooks", [[object()], "before", None, 3])
def test_bad_hooks_are_configuration_errors(hooks: t.Any) -> None:
    with pytest.raises(ConfigurationError):
        CallOptions(hooks=hooks)
    with pytest.raises(ConfigurationError):
        GracefulSession(hooks=hooks)


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf"), "3", True])
def test_bad_pauses_are_configuration_errors(seconds: t.Any) -> None:
    with GracefulSession() as s, pytest.raises(ConfigurationError):
        s.pause(seconds)
    with GracefulSession() as s, pytest.raises(ConfigurationError):
        s.pause(1, pattern="([")
