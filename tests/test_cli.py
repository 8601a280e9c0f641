"""The README's main command: luco-client demo against the embedded flaky server."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow  # waits through a real 5 req/s throttle and a Retry-After of 1 s
def test_demo_runs_the_story_and_prints_a_report() -> None:
    result = subprocess.run([sys.executable, "-m", "luco_client", "demo", "--pages", "4"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "/quota -> 200 after 2 attempts" in out
    assert "the server saw 2 requests with 1 distinct key" in out
    assert "PossiblyAppliedWriteError" in out and "the server received it 1 time(s)" in out
    report = out[out.index("5. Report"):]
    assert "GET 127.0.0.1" in report and "/catalog/pages/{id}" in report and "TOTAL" in report
    assert result.stderr == ""


def test_cli_without_command_shows_help() -> None:
    result = subprocess.run([sys.executable, "-m", "luco_client"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2 and "demo" in result.stdout
