"""``luco-client luco`` steps for ETL shell scripts (JSON out, exit codes a scheduler can act
on) and the Luco story of ``luco-client demo``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t

import pytest

from luco_client._cli_luco import EXIT_CODES
from luco_client.testing import Apply, AzureTokenServer, Drop, LucoServer, Reply


def _luco(luco: LucoServer, azure: AzureTokenServer, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, LUCO_BASE_URL=luco.base_url, LUCO_TENANT_ID=azure.tenant_id,
                       LUCO_CLIENT_ID=azure.client_id, LUCO_CLIENT_SECRET=azure.client_secret,
                       LUCO_RESOURCE_ID="api://luco", AZURE_AUTHORITY_HOST=azure.authority)
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "luco_client", "luco", *args], env=environment, capture_output=True,
                          text=True, timeout=120, check=False)


def test_a_shell_etl_job_step_by_step(luco: LucoServer, azure: AzureTokenServer) -> None:
    found = _luco(luco, azure, "find-slot", "--tag", "2024-02-01", "--sequence", '{"Source": "SAP", "Table": "Orders"}')
    assert found.returncode == 0, found.stderr
    slot_id = json.loads(found.stdout)["slot_id"]
    created = _luco(luco, azure, "create-submission", "--slot-id", str(slot_id), "--stage", "Extract",
                    "--run-environment", '{"platform": "cron"}')
    ids = json.loads(created.stdout)
    ids_args = ["--slot-id", str(ids["slot_id"]), "--submission-id", str(ids["submission_id"])]
    metrics = _luco(luco, azure, "submit-metrics", *ids_args, "--stage", "Load", "--metrics", '{"rows": 1200}')
    status = _luco(luco, azure, "submit-status", *ids_args, "--status", "Completed", "--stage", "Submission",
                   "--message", "done")
    assert json.loads(metrics.stdout) == {"ok": True} and json.loads(status.stdout) == {"ok": True}
    shown = json.loads(_luco(luco, azure, "show-submission", *ids_args).stdout)
    assert shown["status"] == "Completed" and shown["end_time"] and shown["name"] == {"Source": "SAP",
                                                                                      "Table": "Orders"}
    assert [(m["stage"], m["metric"], m["value"]) for m in shown["metrics"]] == [("Load", "rows", 1200)]
    assert luco.applied == {"submissions": 1, "run_environments": 1, "metrics": 1, "statuses": 1}
    assert azure.client_secret not in found.stdout + found.stderr + shown.__repr__()


def _error(done: subprocess.CompletedProcess) -> t.Dict[str, t.Any]:
    assert done.stdout == ""
    return t.cast(t.Dict[str, t.Any], json.loads(done.stderr))


def test_exit_codes(luco: LucoServer, azure: AzureTokenServer) -> None:
    show = ["show-submission", "--slot-id", "1001", "--submission-id"]
    assert _luco(luco, azure, *show, "999").returncode == EXIT_CODES["refused"]
    assert _luco(luco, azure, *show, "5001", LUCO_CLIENT_SECRET="wrong-secret-0001").returncode == EXIT_CODES["auth"]
    bad_url = _luco(luco, azure, *show, "5001", LUCO_BASE_URL="http://luco.example.com/api")
    assert bad_url.returncode == EXIT_CODES["bad_arguments"] and "https" in _error(bad_url)["error"]
    assert _luco(luco, azure, "find-slot", "--tag", "x", "--sequence", "{nope").returncode == 2  # argparse
    luco.script("/api/v2/slots/1001/submissions/5001", Reply(503, "maintenance"))
    temporary = _luco(luco, azure, *show, "5001")
    assert temporary.returncode == EXIT_CODES["temporary"] and _error(temporary)["type"] == "LucoServerStatusError"
    luco.script("/api/v2/slots/1001/submissions/5001", Reply(200, "<html/>"))
    assert _luco(luco, azure, *show, "5001").returncode == EXIT_CODES["bad_answer"]
    luco.script("/api/slots/1001/submissions", Apply(luco.route, Drop()), method="POST")
    possibly = _luco(luco, azure, "create-submission", "--slot-id", "1001")
    assert possibly.returncode == EXIT_CODES["possibly_applied"] and luco.applied["submissions"] == 1
    assert _error(possibly)["type"] == "LucoPossiblyAppliedWriteError"


def test_usage() -> None:
    done = subprocess.run([sys.executable, "-m", "luco_client", "luco", "--help"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0
    for step in ("find-slot", "create-submission", "submit-metrics", "submit-status", "show-submission"):
        assert step in done.stdout


@pytest.mark.slow
def test_demo_runs_both_stories_and_reports() -> None:
    done = subprocess.run([sys.executable, "-m", "luco_client", "demo", "--pages", "3"], capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "5. Report" in out and "Luco ETL story" in out
    luco_part = out[out.index("Luco ETL story"):]
    assert "the lost answer was read back, not resent" in luco_part and "status Completed" in luco_part
    assert "TCP connections: Luco" in luco_part and "token requests 1" in luco_part
    report = luco_part[luco_part.index("6. Report"):]
    assert "oauth2/v2.0/token" in report and "TOTAL" in report
    assert done.stderr == ""
