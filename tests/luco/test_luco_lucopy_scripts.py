"""LucoPy scripts run unchanged with only the import swapped (LucoPy -> luco_client.luco, or
``from luco_client import LucoApi``), in their own process, against the fakes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import typing as t

import pytest

from luco_client.testing import AzureTokenServer, LucoServer

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lucopy_scripts")


def _swap(text: str, replacement: str) -> str:
    """Replace the package name on import lines only."""
    return "\n".join(re.sub(r"\bLucoPy\b", replacement, line) if line.startswith(("import ", "from ")) else line
                     for line in text.splitlines())


def _run(name: str, luco: LucoServer, azure: AzureTokenServer, replacement: str = "luco_client.luco") -> t.Any:
    with open(os.path.join(SCRIPTS, name), encoding="utf-8") as handle:
        original = handle.read()
    swapped = _swap(original, replacement)
    changed = [(a, b) for a, b in zip(original.splitlines(), swapped.splitlines()) if a != b]
    assert changed and all(a.startswith(("import ", "from ")) for a, _ in changed)  # only imports differ
    env = dict(os.environ, LUCO_BASE_URL=luco.base_url, LUCO_TENANT_ID=azure.tenant_id,
               LUCO_CLIENT_ID=azure.client_id, LUCO_CLIENT_SECRET=azure.client_secret, LUCO_RESOURCE_ID="api://luco",
               AZURE_AUTHORITY_HOST=azure.authority)
    done = subprocess.run([sys.executable, "-c", swapped], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no stray logging: the root logger is never configured
    return json.loads(done.stdout)


@pytest.mark.parametrize("replacement", ["luco_client.luco", "luco_client"])
def test_readme_etl_script(luco: LucoServer, azure: AzureTokenServer, replacement: str) -> None:
    if replacement == "luco_client":  # the form: from luco_client import LucoApi
        with open(os.path.join(SCRIPTS, "readme_etl.py"), encoding="utf-8") as handle:
            assert "from LucoPy import LucoApi" in handle.read()
    out = _run("readme_etl.py", luco, azure, replacement)
    assert out["status"] == "Completed" and out["type"] == "Daily" and out["end_time_set"]
    assert out["name"] == {"Source": "SAP", "Table": "Orders"} and out["expected_by"] == "2024-02-01T06:00:00Z"
    assert out["params"] == {"container": "raw", "path": "sap/orders"} and out["container"] == "raw"
    assert out["metrics"] == {"Extract": {"rows": 1200, "files": 3}, "Load": {"rows": 0}} and out["rows"] == 1200
    assert out["relative"]["slotId"] == 1003 and out["latest"] == [out["slot_id"], out["submission_id"]]
    assert out["imported"]["exists"] == 1 and out["overview"] == [{"Source": "SAP", "Table": "Orders"},
                                                                  {"Source": "Manual", "Table": "Uploads"}]
    assert out["slot_count"] == 4 and out["threshold"] == 0.95 and out["quality"] == 1 and out["schedule_active"]
    assert luco.applied["submissions"] == 1 and luco.applied["metrics"] == 2 and luco.applied["slots"] == 1


def test_environment_construction_and_exceptions(luco: LucoServer, azure: AzureTokenServer) -> None:
    out = _run("env_and_exceptions.py", luco, azure)
    assert out["status"] == "Completed"
    assert out["caught"][0].startswith("status 404") and out["caught"][1] == "LucoBadRequestError"


def test_custom_identity_script(luco: LucoServer, azure: AzureTokenServer) -> None:
    assert _run("custom_identity.py", luco, azure) == {"status": "Completed", "start": True}
    assert azure.token_requests == 1


def test_data_quality_script(luco: LucoServer, azure: AzureTokenServer) -> None:
    out = _run("data_quality.py", luco, azure)
    assert out == {"raised": "DataQualityException", "stored": 2, "check": "$column values must never be null."}
