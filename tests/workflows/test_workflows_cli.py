"""``luco-client flow run``: parameters, JSON on stdout, progress on stderr, exit codes; the demo step."""

from __future__ import annotations

import io
import json
import os
import pathlib
import subprocess
import sys
import typing as t

import pytest

from luco_client._cli_flow import EXIT_CODES, ProgressLine
from luco_client.cli import main
from luco_client.testing import Apply, Drop, Flow, Reply, WorkflowsServer, reserve_port
from luco_client.workflows import FlowProgress


@pytest.fixture
def env(api: WorkflowsServer, monkeypatch: pytest.MonkeyPatch) -> WorkflowsServer:
    monkeypatch.setenv("DCIPHER_API_KEY", api.api_key)
    monkeypatch.setenv("DCIPHER_BASE_URL", api.url)
    monkeypatch.delenv("DCIPHER_LOG", raising=False)
    return api


def _flow(capsys: pytest.CaptureFixture, *args: str) -> t.Tuple[int, t.Dict[str, t.Any], str]:
    code = main(["flow", "run", *args])
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 1, out  # exactly one JSON object on stdout
    return code, json.loads(lines[0]), err


def test_run_with_params_saves_and_prints_the_result(env: WorkflowsServer, capsys: pytest.CaptureFixture,
                                                     tmp_path: pathlib.Path) -> None:
    params = tmp_path / "params.json"
    params.write_text('{"day": "2024-05-01", "limit": 5}')
    code, out, err = _flow(capsys, "multi", "--params-file", str(params), "-p", "limit:=10", "-p", "name=a=b",
                           "--save", str(tmp_path / "out.json"))
    assert code == 0
    run = env.runs("multi")[0]
    assert run.params == {"day": "2024-05-01", "limit": 10, "name": "a=b"}
    assert out["task_id"] == run.task_id and out["status"] == "SUCCEEDED" and out["flow_id"] == "multi"
    assert out["signed_response_urls"] == run.urls
    assert [os.path.basename(s["path"]) for s in out["saved"]] == ["out_0.json", "out_1.json", "out_2.json"]
    assert all((tmp_path / f"out_{i}.json").exists() for i in range(3))
    lines = err.splitlines()  # not a terminal: plain lines
    assert lines[0] == f"flow multi: started task {run.task_id}" and "flow multi: SUCCEEDED" in lines[1]
    assert sum(line.startswith("saved ") for line in lines) == 3 and "\r" not in err


def test_no_wait_returns_at_once(env: WorkflowsServer, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = _flow(capsys, "slow", "--no-wait", "--params", '{"a": [1, 2]}', "-q")
    assert code == 0 and out["status"] is None and env.status_requests("slow") == []
    assert env.runs("slow")[0].params == {"a": [1, 2]}


@pytest.mark.parametrize("args,outcome,error_type", [
    (["fails", "-q"], "failed", "WorkflowFailedException"),
    (["later", "--timeout", "0.5", "-q"], "timeout", "WorkflowTimeoutError"),
    (["now", "-p", "oops"], "usage", "ConfigurationError"),
    (["now", "-p", "n:=nope"], "usage", "ConfigurationError"),
    (["now", "--params", "[1]"], "usage", "ConfigurationError"),
    (["now", "--save", "/no/such/dir/out.json"], "usage", "ConfigurationError"),
])
def test_exit_codes(env: WorkflowsServer, capsys: pytest.CaptureFixture, args: t.List[str], outcome: str,
                    error_type: str) -> None:
    env.flows["later"] = Flow(duration=5)
    code, out, err = _flow(capsys, *args)
    assert code == EXIT_CODES[outcome] and out["error"]["type"] == error_type
    assert out["error"]["exit_code"] == code
    assert err.splitlines()[-1].startswith("luco-client flow run: ")  # the human message, last on stderr
    if outcome == "timeout":
        assert out["error"]["task_id"] == env.runs("later")[0].task_id  # to resume later


def test_refused_and_uncertain_runs_have_their_own_codes(env: WorkflowsServer, capsys: pytest.CaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    env.script("/flows/f1/run", Apply(env.route, Drop()), method="POST")
    code, out, _ = _flow(capsys, "f1", "-q")
    assert code == EXIT_CODES["uncertain"] == 6 and out["error"]["flow_id"] == "f1"
    assert len(env.run_requests("f1")) == 1
    monkeypatch.setenv("DCIPHER_API_KEY", "not-the-key-0000")
    code, out, _ = _flow(capsys, "f2", "-q")
    assert code == EXIT_CODES["refused"] == 4 and out["error"]["type"] == "AuthenticationError"
    assert "not-the-key-0000" not in json.dumps(out)


def test_network_failure_and_missing_key(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DCIPHER_API_KEY", raising=False)
    code, out, _ = _flow(capsys, "f1", "--base-url", "http://127.0.0.1:9")
    assert code == 2 and "DCIPHER_API_KEY" in out["error"]["message"]
    monkeypatch.setenv("DCIPHER_API_KEY", "some-key-123456")
    sock, port = reserve_port()
    try:
        code, out, _ = _flow(capsys, "f1", "--base-url", f"http://127.0.0.1:{port}", "--max-retries", "1", "-q")
    finally:
        sock.close()
    assert code == EXIT_CODES["network"] == 7 and out["error"]["type"] == "ConnectError"


def test_the_progress_line_is_rewritten_in_place_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    show = ProgressLine(stream)
    show(FlowProgress("status", "f", "t", "RUNNING", 1.0))
    show(FlowProgress("status", "f", "t", "RUNNING", 1.5))
    show(FlowProgress("download", "f", "t", "SUCCEEDED", 2.0, 0, 2, "/o_0", 3 << 20, 8 << 20, 4 << 20))
    show(FlowProgress("saved", "f", "t", "SUCCEEDED", 2.5, 0, 2, "/o_0", 8 << 20, 8 << 20))
    show.close()
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one line, rewritten, ended once
    assert "\rflow f: RUNNING (1.5s)" in text and "output 1/2: 3.0/8.0 MiB at 4.0 MiB/s" in text
    assert "saved /o_0" in text


def test_the_entry_point_and_the_demo_step(env: WorkflowsServer, tmp_path: pathlib.Path) -> None:
    done = subprocess.run([sys.executable, "-m", "luco_client", "flow", "run", "now", "-p", "x=1", "--save",
                           str(tmp_path / "o.json")], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["saved"][0]["path"] == str(tmp_path / "o.json")
    demo = subprocess.run([sys.executable, "-m", "luco_client", "demo", "--pages", "2"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    step = demo.stdout[demo.stdout.index("6. Workflows"):]
    assert "SUCCEEDED and saved" in step and "1 resume" in step
    assert "the server started 1 run(s) from 1 request(s): never resent" in step
    assert "/{OUTPUT}" in step and "/flows/{FLOW_ID}/status" in step and "TOTAL" in step


def test_flow_without_subcommand_shows_help(capsys: pytest.CaptureFixture) -> None:
    assert main(["flow"]) == 2
    assert "run" in capsys.readouterr().out


def test_a_404_on_the_status_call_is_refused(env: WorkflowsServer,
                                                                 capsys: pytest.CaptureFixture) -> None:
    env.script("/flows/now/status", Reply(404, {"message": "gone"}))
    code, out, _ = _flow(capsys, "now", "-q")
    assert code == EXIT_CODES["refused"] and out["error"]["type"] == "NotFoundError"
