"""Running a flow and polling it: the result dict, the schedule, statuses, deadlines."""

from __future__ import annotations

import logging
import os
import typing as t

import pytest

from luco_client import ConfigurationError
from luco_client.testing import FakeClock, Flow, Reply, WorkflowsServer
from luco_client.workflows import (
    Dcipher,
    FlowProgress,
    PollPolicy,
    TaskStatus,
    WorkflowFailedException,
    WorkflowTimeoutError,
)
from luco_client.workflows._polling import Poller

MakeClient = t.Callable[..., Dcipher]


def test_the_result_dict_is_dcipher_s_and_nothing_waits_by_default(api: WorkflowsServer,
                                                                   make_client: MakeClient) -> None:
    client = make_client()
    multi = client.run_flow("multi", {"param1": "a"})
    run = api.runs("multi")[0]
    assert multi == {"task_id": run.task_id, "signed_response_urls": run.urls}
    assert type(multi.copy()) is dict and multi.status is None and multi.paths == ()
    single = client.run_flow("single", {})
    assert single == {"task_id": api.runs("single")[0].task_id, "signed_response_url": api.runs("single")[0].urls[0]}
    assert api.status_requests("multi") == [] and api.status_requests("single") == []  # no wait asked
    body = api.run_requests("multi")[0]
    assert body.json() == {"pipelineParams": {"param1": "a"}}
    assert body.header("Authorization") == f"Api-Key {api.api_key}"
    assert body.header("Content-Type") == "application/json"


def test_a_flow_done_two_seconds_after_the_run_post_is_on_disk_within_2_6_seconds(
        tmp_path: t.Any, make_client: MakeClient, api: WorkflowsServer) -> None:
    """The acceptance target, over real sockets. The schedule detects completion at most
    ~0.21 s late (see the fake-clock test below), leaving ~0.35 s of slack for the
    requests and the save on a loaded machine."""
    api.flows["two"] = Flow(duration=2.0, first_status=None)
    result = make_client().run_flow("two", {}, save_path=str(tmp_path / "out.json"))
    assert os.path.exists(tmp_path / "out.json") and result.status == "SUCCEEDED"
    assert 2.0 <= result.elapsed <= 2.6, result.elapsed  # the library's own monotonic stamps
    assert len(api.status_requests("two")) <= 9  # 7 polls on the schedule (a slow machine may add one)


def test_the_schedule_starts_short_backs_off_to_a_cap_and_sees_a_two_second_flow_in_time() -> None:
    policy = PollPolicy()
    clock = FakeClock(start=0.0)
    poller = Poller(policy, clock, flow_id="f", task_id="t", started=0.0, deadline_at=None, report=None)
    polls, gaps = [], []
    for _ in range(60):
        delay = poller.next_delay()
        gaps.append(delay)
        clock.sleep(delay)
        polls.append(clock.monotonic())
        poller.polls += 1
    assert polls[0] == pytest.approx(0.2)
    assert all(b >= a - 1e-9 for a, b in zip(gaps, gaps[1:]))  # backs off...
    assert max(gaps) == pytest.approx(5.0) and gaps[-1] == pytest.approx(5.0)  # ...to the cap
    first_after_two = next(p for p in polls if p >= 2.0)
    assert first_after_two <= 2.25
    assert sum(1 for p in polls if p <= 60) <= 30  # about 25 polls in the first minute


def test_the_time_a_poll_takes_does_not_push_the_schedule_back() -> None:
    clock = FakeClock(start=0.0)
    poller = Poller(PollPolicy(), clock, flow_id="f", task_id="t", started=0.0, deadline_at=None, report=None)
    sent = []
    for _ in range(7):
        clock.sleep(poller.next_delay())
        sent.append(clock.monotonic())
        clock.advance(0.05)  # each status request takes 50 ms
        poller.polls += 1
    assert sent == pytest.approx([0.2, 0.43, 0.6945, 0.9987, 1.3485, 1.7507, 2.2132], abs=1e-3)
    clock.advance(5.0)  # a poll that took longer than the next interval: the next one goes at once
    assert poller.next_delay() == 0.0


def test_retry_after_on_a_status_reply_stretches_the_next_wait(api: WorkflowsServer, make_client: MakeClient) -> None:
    api.flows["hinted"] = Flow(duration=1.2, status_retry_after=0.5, first_status=None)
    make_client().run_flow("hinted", {}, wait_until_completion=True)
    seen = [r.at for r in api.status_requests("hinted")]
    gaps = [b - a for a, b in zip(seen, seen[1:])]
    assert gaps and min(gaps) >= 0.45  # server-side stamps; the schedule alone would wait 0.23 s


def test_free_text_first_status_then_the_transitions_are_logged(api: WorkflowsServer, make_client: MakeClient,
                                                                  capture_logs: t.Any) -> None:
    api.flows["steps"] = Flow(duration=2.0)  # free text for 0.5 s: the first poll (0.2 s) sees it
    with capture_logs("luco_client.workflows", logging.DEBUG) as records:
        make_client().run_flow("steps", {}, wait_until_completion=True)
    events = [r for r in records if getattr(r, "luco_event", "") == "workflow.status"]
    assert events[0].luco_previous == "started" and events[0].luco_status == "setting up cluster"
    order = ["setting up cluster", "PENDING", "RUNNING", "SUCCEEDED"]
    seen = [r.luco_status for r in events]
    assert seen == sorted(seen, key=order.index) and seen[-1] == "SUCCEEDED"  # one event per change, in order
    assert [r.luco_previous for r in events[1:]] == seen[:-1]
    started = [r for r in records if getattr(r, "luco_event", "") == "workflow.started"]
    assert started and started[0].luco_flow_id == "steps"


def test_status_case_does_not_matter_but_text_does(api: WorkflowsServer, make_client: MakeClient,
                                                  clock: FakeClock) -> None:
    client = make_client(clock=clock)
    run = client.run_flow("slow", {})
    api.script("/flows/slow/status", Reply(200, {"status": "waiting for a node"}), Reply(200, {"status": "running"}),
               Reply(200, {"status": "succeeded"}))
    result = client.wait_for_flow("slow", run)
    assert result.status == TaskStatus.SUCCEEDED  # dcipher 0.3.5 polled a lower-case "succeeded" forever
    assert len(api.status_requests("slow")) == 3


@pytest.mark.parametrize("outcome", ["FAILED", "CANCELLED", "CANCELFAILED"])
def test_failed_and_cancelled_tasks_raise_with_the_reason_and_the_task_id(
        api: WorkflowsServer, make_client: MakeClient, clock: FakeClock, tmp_path: t.Any, outcome: str) -> None:
    api.flows["ends"] = Flow(duration=0, outcome=outcome, message="quota of the workspace reached")
    with pytest.raises(WorkflowFailedException) as info:
        make_client(clock=clock).run_flow("ends", {}, save_path=str(tmp_path / "out.json"))
    err = info.value
    assert err.message == "Workflow has failed. Reason: quota of the workspace reached"  # dcipher's text
    assert err.status == outcome and err.task_id == api.runs("ends")[0].task_id and err.flow_id == "ends"
    assert err.reason == "quota of the workspace reached"
    assert not os.listdir(tmp_path)


def test_the_deadline_bounds_the_wait_and_the_run_can_be_resumed(api: WorkflowsServer, make_client: MakeClient,
                                                                 tmp_path: t.Any) -> None:
    api.flows["later"] = Flow(duration=3.0)
    client = make_client(deadline=1.0)
    with pytest.raises(WorkflowTimeoutError) as info:
        client.run_flow("later", {}, save_path=str(tmp_path / "out.json"))
    err = info.value
    run = api.runs("later")[0]
    assert err.task_id == run.task_id and err.last_status in ("setting up cluster", "PENDING", "RUNNING")
    # The library's stamp: it gives up when the next poll could not start in time (at ~0.7 s),
    # or cuts a poll in flight at the deadline; the margin is the few ms of noticing it.
    assert err.elapsed is not None and err.elapsed <= 1.1
    assert "may still be running" in err.message and not os.path.exists(tmp_path / "out.json")
    resumed = client.wait_for_flow("later", {"task_id": run.task_id, "signed_response_urls": run.urls},
                                   str(tmp_path / "out.json"), deadline=10)
    assert resumed.status == "SUCCEEDED" and resumed.paths == (str(tmp_path / "out.json"),)
    assert len(api.runs("later")) == 1  # resuming never starts the flow again


def test_progress_reports_each_stage(api: WorkflowsServer, make_client: MakeClient, tmp_path: t.Any,
                                     clock: FakeClock) -> None:
    seen: t.List[FlowProgress] = []
    make_client(clock=clock).run_flow("multi", {}, save_path=str(tmp_path / "o.json"), progress=seen.append)
    stages = [p.stage for p in seen]
    assert stages[0] == "started" and stages[-1] == "done" and "status" in stages
    downloads = [p for p in seen if p.stage == "download"]
    assert {p.output for p in downloads} == {0, 1, 2} and all(p.outputs == 3 for p in downloads)
    assert all(p.total is not None and 0 < p.done <= p.total for p in downloads)
    saved = [p for p in seen if p.stage == "saved"]
    assert [p.path for p in saved] == [str(tmp_path / f"o_{i}.json") for i in range(3)]


def test_flow_status_is_one_poll(api: WorkflowsServer, make_client: MakeClient) -> None:
    client = make_client()
    run = client.run_flow("slow", {})
    status = client.flow_status("slow", run["task_id"])
    assert status.status in ("setting up cluster", "PENDING") and status.retry_after is None
    assert api.status_requests("slow")[0].query == {"taskId": run["task_id"]}


@pytest.mark.parametrize("kwargs", [{"first": 0}, {"backoff": 0.5}, {"max_interval": float("inf")},
                                    {"first": 10, "max_interval": 5}])
def test_a_poll_policy_that_cannot_work_is_refused(kwargs: t.Dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        PollPolicy(**kwargs)
