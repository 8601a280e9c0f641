"""The documented way to test an ETL job: the pytest plugin's fixtures (HTTPS fakes with
the test certificate). A whole job opens one TCP connection per host: API and token."""

from __future__ import annotations

import typing as t

from luco_client import LucoApi
from luco_client.testing import AzureTokenServer, LucoServer


def run_etl(api: LucoApi, day: str) -> t.Dict[str, t.Any]:
    """A typical ETL job's Luco calls (about 20 of them)."""
    slot_id = api.find_slot_id(day, {"Source": "SAP", "Table": "Orders"})
    sub = api.create_submission(slot_id, "Extract", {"platform": "Azure Data Factory"})
    sub.submit_status("In Progress", "Extract")
    for stage, rows in (("Extract", 1200), ("Transform", 1180), ("Load", 1180)):
        sub.submit_metrics(stage, metrics={"rows": rows, "rejected": 1200 - rows})
    sub.submit_quality(results={"checks": [{"check": "$col is unique", "checkArgs": {"col": "Id"}, "success": True}]},
                       stage="Load", auto_determine_action=True)
    previous = api.find_submission_in_slot_sequence(slot_id, sub.id)
    sub.submit_completed_status()
    return {"slot": slot_id, "submission": sub.id, "previous": previous, "rows": sub.get_metrics("Load", "rows"),
            "status": sub.status}


def test_an_etl_job_against_the_fakes(luco_api: LucoApi, luco_server: LucoServer,
                                      azure_token_server: AzureTokenServer) -> None:
    result = run_etl(luco_api, "2024-02-01")
    assert result["status"] == "Completed" and result["rows"] == 1180
    assert result["previous"]["slotId"] == 1003  # the day before
    assert luco_server.applied == {"submissions": 1, "run_environments": 1, "statuses": 2, "metrics": 3,
                                   "quality": 1}
    assert luco_server.url.startswith("https://")
    assert luco_server.connections == 1 and azure_token_server.connections == 1  # <= 2 TCP connections
    assert azure_token_server.token_requests == 1
    report = luco_api.snapshot()
    assert report.total.calls == luco_server.count() + azure_token_server.count()
