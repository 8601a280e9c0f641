"""The run POST is never sent twice unless that is provably safe; counted on the server.

``api.run_requests(flow)`` is what reached the server, ``api.runs(flow)`` what it started.
dcipher 0.3.5 resent the POST on timeouts, resets, 409, 429 and 5xx: one call could start
the same flow several times.
"""

from __future__ import annotations

import typing as t

import pytest

from luco_client import Phase, PossiblyAppliedWriteError, Timeout
from luco_client.testing import Apply, Delay, Drop, FakeClock, Faults, FlakyServer, Reply, WorkflowsServer, reserve_port
from luco_client.workflows import (
    ConflictError,
    Dcipher,
    InternalServerError,
    RateLimitError,
    RunPossiblyStartedError,
)

MakeClient = t.Callable[..., Dcipher]


def test_a_reset_after_the_run_was_applied_is_not_resent(api: WorkflowsServer, make_client: MakeClient,
                                                         clock: FakeClock) -> None:
    api.script("/flows/f1/run", Apply(api.route, Drop()), api.route, method="POST")
    with pytest.raises(RunPossiblyStartedError) as info:
        make_client(clock=clock).run_flow("f1", {"a": 1})
    err = info.value
    assert len(api.run_requests("f1")) == 1 and len(api.runs("f1")) == 1  # applied once, sent once
    assert isinstance(err, PossiblyAppliedWriteError) and err.flow_id == "f1"
    assert [a.phase for a in err.attempts] == [Phase.SENT_NO_RESPONSE]
    assert "NOT sent again" in err.message and "f1" in str(err)


def test_a_timeout_after_the_run_was_applied_is_not_resent(api: WorkflowsServer, make_client: MakeClient,
                                                           clock: FakeClock) -> None:
    api.script("/flows/f1/run", Apply(api.route, Delay(2.0, Reply(200, {}))), api.route, method="POST")
    with pytest.raises(RunPossiblyStartedError) as info:
        make_client(clock=clock, timeout=Timeout(connect=2, read=0.3)).run_flow("f1", {})
    assert len(api.run_requests("f1")) == 1 and len(api.runs("f1")) == 1
    assert info.value.attempts[-1].phase is Phase.SENT_NO_RESPONSE


def test_a_503_after_the_run_was_applied_is_not_resent(api: WorkflowsServer, make_client: MakeClient,
                                                       clock: FakeClock) -> None:
    api.script("/flows/f1/run", Apply(api.route, Reply(503, {"message": "try again"})), api.route, method="POST")
    with pytest.raises(RunPossiblyStartedError) as info:
        make_client(clock=clock).run_flow("f1", {})
    err = info.value
    assert isinstance(err, InternalServerError) and err.status_code == 503  # still dcipher's class
    assert len(api.run_requests("f1")) == 1 and len(api.runs("f1")) == 1
    assert "answered 503" in err.message and "try again" in err.message


@pytest.mark.parametrize("status,cls", [(500, InternalServerError), (409, ConflictError), (429, RateLimitError)])
def test_retryable_statuses_without_retry_after_are_not_resent(api: WorkflowsServer, make_client: MakeClient,
                                                               clock: FakeClock, status: int,
                                                               cls: t.Type[Exception]) -> None:
    api.script("/flows/f1/run", Reply(status, {"message": "hm"}), api.route, method="POST")
    with pytest.raises(cls) as info:
        make_client(clock=clock).run_flow("f1", {})
    assert isinstance(info.value, RunPossiblyStartedError)
    assert len(api.run_requests("f1")) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_a_refusal_with_retry_after_is_resent_after_the_wait(api: WorkflowsServer, make_client: MakeClient,
                                                             clock: FakeClock, status: int) -> None:
    api.script("/flows/f1/run", Reply(status, {"message": "later"}, {"Retry-After": "2"}), api.route, method="POST")
    result = make_client(clock=clock).run_flow("f1", {})
    assert len(api.run_requests("f1")) == 2 and len(api.runs("f1")) == 1
    assert result["task_id"] == api.runs("f1")[0].task_id
    assert 2.0 in clock.sleeps  # the server's wait, not ours


def test_refusals_until_the_attempts_run_out_give_the_plain_error(api: WorkflowsServer, make_client: MakeClient,
                                                                  clock: FakeClock) -> None:
    api.script("/flows/f1/run", Reply(429, {"message": "quota"}, {"Retry-After": "1"}), method="POST")
    with pytest.raises(RateLimitError) as info:
        make_client(clock=clock, max_retries=3).run_flow("f1", {})
    assert not isinstance(info.value, RunPossiblyStartedError)  # refused every time: nothing started
    assert len(api.run_requests("f1")) == 3 and api.runs("f1") == []


def test_a_run_post_that_never_reached_the_server_is_resent() -> None:
    placeholder, port = reserve_port()
    started: t.List[WorkflowsServer] = []

    def bring_the_api_up(_seconds: float) -> None:
        if not started:
            placeholder.close()
            started.append(WorkflowsServer(port=port).start())

    clock = FakeClock(on_sleep=bring_the_api_up)
    client = Dcipher("dcipher-test-key-5f3a9c1e", base_url=f"http://127.0.0.1:{port}", clock=clock)
    try:
        result = client.run_flow("f1", {})
        api = started[0]
        assert len(api.run_requests("f1")) == 1 and len(api.runs("f1")) == 1
        assert result["task_id"] == api.runs("f1")[0].task_id
    finally:
        client.close()
        for server in started:
            server.close()


def test_the_status_call_retries_freely(api: WorkflowsServer, make_client: MakeClient, clock: FakeClock) -> None:
    client = make_client(clock=clock)
    run = client.run_flow("now", {})
    api.script("/flows/now/status", Drop(), Reply(500), Reply(409), Reply(408), api.route)
    assert client.wait_for_flow("now", run).status == "SUCCEEDED"
    assert len(api.status_requests("now")) == 5


def test_seeded_faults_never_start_a_flow_twice(clock: FakeClock) -> None:
    """50 calls against resets, 5xx, 429s and faults after the run was applied: a call
    either returns its one run, or says it may have started one; never two runs."""
    faults = Faults(17, error_rate=0.1, throttle_rate=0.1, reset_rate=0.1, applied_reset_rate=0.15,
                    applied_error_rate=0.1)
    with WorkflowsServer(faults=faults) as api:
        client = Dcipher(api.api_key, base_url=api.url, clock=clock)
        outcomes: t.List[t.Any] = []
        for n in range(50):
            try:
                outcomes.append(client.run_flow(f"flow-{n}", {}))
            except RunPossiblyStartedError as exc:
                outcomes.append(exc)
        client.close()
        for n, outcome in enumerate(outcomes):
            runs = api.runs(f"flow-{n}")
            assert len(runs) <= 1
            if isinstance(outcome, RunPossiblyStartedError):
                assert len(api.run_requests(f"flow-{n}")) == 1 + sum(
                    1 for a in outcome.attempts[:-1] if a.status in (429, 503))  # only refusals were resent
            else:
                assert [r.task_id for r in runs] == [outcome["task_id"]]
        assert any(isinstance(o, RunPossiblyStartedError) for o in outcomes)
        assert any(isinstance(o, dict) for o in outcomes)


def test_the_error_carries_the_attempt_history(server: FlakyServer, clock: FakeClock) -> None:
    server.script("/flows/f1/run", Reply(503, {"message": "busy"}, {"Retry-After": "0"}), Drop(), method="POST")
    client = Dcipher("some-key-0123456789", base_url=server.url, clock=clock)
    with pytest.raises(RunPossiblyStartedError) as info:
        client.run_flow("f1", {})
    client.close()
    assert [(a.phase, a.status) for a in info.value.attempts] == [(Phase.RESPONSE, 503),
                                                                  (Phase.SENT_NO_RESPONSE, None)]
    assert server.count("/flows/f1/run") == 2
