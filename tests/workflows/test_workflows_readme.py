"""dcipher's README examples, verbatim, with only the import swapped; run as scripts against
the fake (through the pytest plugin's ``dcipher_env`` fixture: DCIPHER_API_KEY and
DCIPHER_BASE_URL point at ``workflows_server``)."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from luco_client.testing import Flow, WorkflowsServer

# dcipher 0.3.5's README, "Usage" (verbatim).
README_SYNC = '''
import os
from dcipher import Dcipher

client = Dcipher(
    # This is the default and can be omitted
    api_key=os.environ.get("DCIPHER_API_KEY"),
)

client.run_flow(
    flow_id="65cf2f3e..",
    params={"param1": "...", "param2": "...."}, # param names are set by workflow user
    save_path="output.json",
)
'''

# dcipher 0.3.5's README, "Async usage" (verbatim).
README_ASYNC = '''
import os
import asyncio
from dcipher import AsyncDcipher

client = AsyncDcipher(
    # This is the default and can be omitted
    api_key=os.environ.get("DCIPHER_API_KEY"),
)


async def main() -> None:
    await client.run_flow(
        flow_id="65cf2f3e..",
        params={"param1": "...", "param2": "...."}, # param names are set by workflow user
        save_path="output.json",
    )


asyncio.run(main())
'''

# A typical dcipher script around the README: error classes from dcipher.exceptions.
ERRORS_SCRIPT = '''
import sys
from dcipher import Dcipher
from dcipher.exceptions import APIStatusError, WorkflowFailedException

client = Dcipher(api_key=None, max_retries=3)
try:
    client.run_flow("broken-flow", {"a": 1}, save_path="out.json", wait_until_completion=True)
except WorkflowFailedException as e:
    print("failed:", e.message)
try:
    client.run_flow("missing-flow", {})
except APIStatusError as e:
    print("status:", e.status_code)
'''

SWAPS = {
    "top-level": [("from dcipher import", "from luco_client import"),
                  ("from dcipher.exceptions import", "from luco_client.workflows.exceptions import")],
    "workflows": [("from dcipher import", "from luco_client.workflows import"),
                  ("from dcipher.exceptions import", "from luco_client.workflows.exceptions import")],
}


def _swapped(script: str, swap: str) -> str:
    for old, new in SWAPS[swap]:
        script = script.replace(old, new)
    assert "dcipher import" not in script.replace("luco_client", "")
    return script


def _run(script: str, cwd: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], cwd=str(cwd), capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize("swap", sorted(SWAPS))
@pytest.mark.parametrize("script", [README_SYNC, README_ASYNC], ids=["sync", "async"])
def test_the_readme_example_runs_unchanged_and_saves(dcipher_env: WorkflowsServer, tmp_path: pathlib.Path,
                                                     script: str, swap: str) -> None:
    done = _run(_swapped(script, swap), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""  # nothing printed, no warning, no log noise
    run = dcipher_env.runs("65cf2f3e..")[0]
    saved = json.loads((tmp_path / "output.json").read_text())
    assert saved == {"taskId": run.task_id, "output": 0, "params": {"param1": "...", "param2": "...."}}
    assert os.listdir(tmp_path) == ["output.json"]
    assert len(dcipher_env.run_requests("65cf2f3e..")) == 1


def test_a_script_catching_dcipher_errors_runs_unchanged(dcipher_env: WorkflowsServer, tmp_path: pathlib.Path) -> None:
    dcipher_env.flow = None  # flows not listed are unknown: 404
    dcipher_env.flows["broken-flow"] = Flow(duration=0.3, outcome="FAILED", message="bad input")
    done = _run(_swapped(ERRORS_SCRIPT, "top-level"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["failed: Workflow has failed. Reason: bad input", "status: 404"]
    assert os.listdir(tmp_path) == []
