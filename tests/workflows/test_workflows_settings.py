"""The client's extras on the declarative layer: throttle, replay, retry, explain(), report_status()."""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from luco_client import ConfigurationError, GracefulRetry, JSONDirReplayStorage, Replay, ThrottleRule
from luco_client.testing import FakeClock, Flow, WorkflowsServer, max_in_window
from luco_client.workflows import Dcipher, FlowsApi

MakeClient = t.Callable[..., Dcipher]


def test_a_throttle_limits_the_api_calls(api: WorkflowsServer, make_client: MakeClient) -> None:
    api.flows["steps"] = Flow(duration=1.2, first_status=None)
    client = make_client(throttle=ThrottleRule(r"/flows/", 3, 1.0))
    client.run_flow("steps", {}, wait_until_completion=True)
    stamps = [r.wall for r in api.received() if r.path.startswith("/flows/")]
    assert len(stamps) >= 5 and max_in_window(stamps, 1.0) <= 3  # seen from the server
    assert client.snapshot().total.throttle_waits > 0


def test_replay_records_a_whole_run_and_plays_it_back_offline(tmp_path: pathlib.Path, clock: FakeClock) -> None:
    storage = JSONDirReplayStorage(str(tmp_path / "recording"))
    with WorkflowsServer(flow=Flow(duration=0, outputs=2)) as api:
        url, key = api.url, api.api_key
        recorder = Dcipher(key, base_url=url, clock=clock, replay=Replay("record", storage))
        recorded = recorder.run_flow("f", {"a": 1}, save_path=str(tmp_path / "live.json"))
        recorder.close()
    # the servers are gone: everything below comes from the recording
    player = Dcipher(key, base_url=url, clock=clock, replay=Replay("replay", storage))
    replayed = player.run_flow("f", {"a": 1}, save_path=str(tmp_path / "again.json"))
    assert replayed.task_id == recorded.task_id and replayed.status == "SUCCEEDED"
    # the recording keeps no credential: the pre-signed URLs' signatures were scrubbed
    assert [u.split("Signature=")[0] for u in replayed.urls] == [u.split("Signature=")[0] for u in recorded.urls]
    assert all(u.endswith("Signature=REDACTED") for u in replayed.urls)
    for i in range(2):
        assert (tmp_path / f"again_{i}.json").read_bytes() == (tmp_path / f"live_{i}.json").read_bytes()
    assert player.snapshot().total.replays == player.snapshot().total.requests > 0
    stored = "".join(p.read_text() for p in (tmp_path / "recording").iterdir())
    assert key not in stored and not any(u.split("Signature=")[1] in stored for u in recorded.urls)


def test_retry_replaces_max_retries_and_both_is_refused(api: WorkflowsServer, make_client: MakeClient,
                                                      clock: FakeClock) -> None:
    client = make_client(retry=GracefulRetry(max_attempts=2, clock=clock), clock=clock)
    assert client.max_retries == 2
    with pytest.raises(ConfigurationError, match="not both"):
        make_client(retry=GracefulRetry(), max_retries=3)


def test_explain_and_report_status_show_the_endpoint_table(api: WorkflowsServer, make_client: MakeClient,
                                                           clock: FakeClock, tmp_path: pathlib.Path) -> None:
    client = make_client(clock=clock, timeout=(2, 7))
    client.run_flow("multi", {}, save_path=str(tmp_path / "o.json"))
    explained = str(client.explain(endpoint=FlowsApi.RUN_FLOW))
    assert "idempotent" in explained and "False" in explained and "endpoint" in explained
    assert "7.0" in explained  # the read timeout given to the constructor
    report = client.report_status("json")
    keys = {(e["method"], e["url_template"].split("127.0.0.1")[-1]) for e in report["endpoints"]}
    port = api.storage.port
    assert ("POST", f":{api.port}/flows/{{FLOW_ID}}/run") in keys
    assert ("GET", f":{api.port}/flows/{{FLOW_ID}}/status") in keys
    assert ("GET", f":{port}/{{OUTPUT}}") in keys  # one line per storage host, never per signed URL
