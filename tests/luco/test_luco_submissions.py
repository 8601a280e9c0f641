"""Submissions: creation, lazy get_submission, the definition's caching rules, searches,
statuses, run environments (the Databricks variant with a stand-in context)."""

from __future__ import annotations

import json
import typing as t

import pytest
from luco_helpers import SAP, UPLOADS, MakeApi

from luco_client import (
    ApiException,
    ConfigurationError,
    LucoApi,
    LucoLookupError,
    NotFoundError,
    ParameterNotFoundError,
    Submission,
)
from luco_client.testing import LucoServer


def _definition_reads(luco: LucoServer, slot_id: int, sub_id: int) -> int:
    return luco.count(luco.submission_path(slot_id, sub_id, v2=True), "GET")


def test_get_submission_makes_no_request(api: LucoApi, luco: LucoServer) -> None:
    sub = api.get_submission(1001, 5001)
    assert isinstance(sub, Submission) and (sub.slot_id, sub.id) == (1001, 5001) and sub.core is api
    assert luco.count() == 0
    assert Submission(1001, 5001, api.core).status == "Completed"  # LucoPy's constructor, with api.core


def test_cached_properties_and_fresh_status(api: LucoApi, luco: LucoServer) -> None:
    sub = api.get_submission(1002, 5002)
    assert sub.type == "Daily"
    assert sub.name == {"Source": "SAP", "Table": "Orders"} and list(sub.name) == ["Source", "Table"]
    assert sub.expected_by == "2024-01-30T06:00:00Z"
    assert sub.start_time.endswith("Z")
    assert sub.params() == {"Load": {"container": "raw", "path": "sap/orders"},
                            "Quality": {"threshold": 0.95, "owner": "data-team"}}
    assert sub.params("Quality") == {"threshold": 0.95, "owner": "data-team"}
    assert sub.params("Quality", "threshold") == 0.95
    assert sub.get_delivery_schedule() == {"isActive": True, "cadence": "Daily", "expectedTime": "06:00:00",
                                           "timeZone": "UTC"}
    assert _definition_reads(luco, 1002, 5002) == 1  # cached after the first read
    assert sub.status == "Completed" and sub.end_time is not None
    assert _definition_reads(luco, 1002, 5002) == 3  # status and end_time read it each time


def test_unknown_parameter_groups_and_keys(api: LucoApi) -> None:
    sub = api.get_submission(1002, 5002)
    for args in (("Nope",), ("Quality", "nope")):
        with pytest.raises(ParameterNotFoundError) as info:
            sub.params(*args)
        assert isinstance(info.value, KeyError) and isinstance(info.value, ApiException)
        assert "nope" in str(info.value).lower() and not str(info.value).startswith("'")


def test_no_active_delivery_schedule_is_none(api: LucoApi, luco: LucoServer) -> None:
    slot_id = api.find_slot_id("u-1", UPLOADS)
    assert api.create_submission(slot_id).get_delivery_schedule() is None


def test_a_bad_id_shows_at_first_use(api: LucoApi) -> None:
    sub = api.get_submission(1001, 999)
    with pytest.raises(NotFoundError) as info:
        sub.type
    assert isinstance(info.value, ApiException) and info.value.status == 404


def test_create_submission_with_and_without_run_environment(api: LucoApi, luco: LucoServer) -> None:
    sub = api.create_submission(1001, "Extract", {"platform": "Azure Data Factory", "referenceUrl": "https://adf/run/1"})
    assert sub.status == "In Progress"
    envs = luco.state()["submissions"][sub.id]["runEnvironments"]
    assert envs == [{"stage": "Extract", "runData": [{"platform": "Azure Data Factory",
                                                      "referenceUrl": "https://adf/run/1"}]}]
    assert sub.run_environments == [{"platform": "Azure Data Factory", "referenceUrl": "https://adf/run/1"}]
    only_stage = api.create_submission(1001, "Extract")  # one of the two: no run environment (LucoPy)
    only_env = api.create_submission(1001, run_environment=[{"platform": "ADF"}])  # the 1.2.5 spelling
    state = luco.state()["submissions"]
    assert state[only_stage.id]["runEnvironments"] == [] and state[only_env.id]["runEnvironments"] == []
    assert luco.applied["submissions"] == 3 and luco.applied["run_environments"] == 1
    with pytest.raises(ConfigurationError):
        api.create_submission(1001, "Extract", "ADF")
    with pytest.raises(ConfigurationError):
        api.create_submission(None)
    with pytest.raises(NotFoundError):
        api.create_submission(424242)


def test_statuses(api: LucoApi, luco: LucoServer) -> None:
    sub = api.create_submission(1001)
    assert sub.submit_status("In Progress", "Load", message="loading", modified_by="etl") is True
    assert sub.end_time is None
    assert sub.submit_completed_status() is True
    assert sub.status == "Completed" and sub.end_time is not None
    history = luco.state()["submissions"][sub.id]["statusHistory"]
    assert [(h["status"], h["stage"], h["message"], h["modifiedBy"]) for h in history] == [
        ("In Progress", "Load", "loading", "etl"), ("Completed", "Submission", None, None)]
    for bad in ({"status": ""}, {"status": None}, {"status": "Failed", "stage": 3},
                {"status": "Failed", "message": {"a": 1}}):
        with pytest.raises(ConfigurationError):
            sub.submit_status(**bad)  # type: ignore[arg-type]


def test_relative_and_by_sequence_searches(api: LucoApi) -> None:
    found = api.find_submission_in_slot_sequence(1003, 5003)
    assert found == {"slotId": 1002, "slotSubmissionId": 5002, "isExactMatch": False,
                     "timeDifference": "1:00:00:00", "slotDifference": 1}
    exact = api.find_submission_in_slot_sequence(1003, 5003, TimeDifference="2:00:00:00", FindClosest="exact")
    assert exact["slotId"] == 1001 and exact["isExactMatch"] is True
    assert api.find_submissions_by_slot_sequence(SAP)["slots"][0]["slotId"] == 1003
    every = api.find_submissions_by_slot_sequence(SAP, onlyLatestSlot=False, expectedBeforeUtc="2024-01-31")
    assert [s["slotId"] for s in every["slots"]] == [1002, 1001]
    assert api.find_latest_submission_by_slot_sequence(SAP) == (1003, 5003)
    assert api.find_latest_submission_by_slot_sequence(SAP, expectedBeforeUtc="2024-01-30") == (1001, 5001)
    with pytest.raises(LucoLookupError) as info:
        api.find_latest_submission_by_slot_sequence(SAP, expectedAfterUtc="2025-01-01")
    assert isinstance(info.value, LookupError) and isinstance(info.value, ApiException)
    with pytest.raises(ConfigurationError):
        api.find_submission_in_slot_sequence(1003, 5003, FindClosest="closest")
    with pytest.raises(ConfigurationError):
        api.find_submissions_by_slot_sequence(SAP, onlyLatestSlot="yes")  # type: ignore[arg-type]


class _Context:
    """The Databricks notebook context chain: entry_point.getDbutils().notebook().getContext().toJson()."""

    def __init__(self, tags: t.Dict[str, str]) -> None:
        self.tags = tags

    def toJson(self) -> str:
        return json.dumps({"tags": self.tags})


def _dbutils(tags: t.Dict[str, str]) -> t.Any:
    context = _Context(tags)
    notebook = type("Notebook", (), {"getContext": lambda self: context})()
    dbutils = type("DBUtils", (), {"notebook": lambda self: notebook})()
    entry_point = type("EntryPoint", (), {"getDbutils": lambda self: dbutils})()
    return type("Outer", (), {"notebook": type("N", (), {"entry_point": entry_point})()})()


class _Spark:
    conf = type("Conf", (), {"get": staticmethod(lambda key: "adb-123.azuredatabricks.net")})()


def test_databricks_run_environment_with_a_stand_in_context(make_api: MakeApi, luco: LucoServer) -> None:
    sub = make_api().create_submission(1001)
    job = {"orgId": "42", "jobId": "7", "jobName": "nightly", "multitaskParentRunId": "99"}
    assert sub.submit_databricks_run_environment(_Spark(), "Transform", dbutils=_dbutils(job)) is True
    notebook = {"orgId": "42", "browserHash": "#notebook/5"}
    assert sub.submit_databricks_run_environment(_Spark(), dbutils=_dbutils(notebook)) is True
    envs = luco.state()["submissions"][sub.id]["runEnvironments"]
    assert envs[0] == {"stage": "Transform", "runData": [{
        "platform": "Databricks", "workspaceUrl": "https://adb-123.azuredatabricks.net", "orgId": "42",
        "referenceUrl": "https://adb-123.azuredatabricks.net/?o=42#job/7/run/99", "jobId": "7", "jobName": "nightly",
        "runId": "99"}]}
    assert envs[1]["runData"][0]["referenceUrl"] == "https://adb-123.azuredatabricks.net/?o=42#notebook/5"


def test_databricks_failures_return_false_or_raise_typed(api: LucoApi, luco: LucoServer) -> None:
    sub = api.get_submission(1001, 5001)
    assert sub.submit_databricks_run_environment(_Spark(), dbutils=_dbutils({"browserHash": "#x"})) is False
    assert sub.submit_databricks_run_environment(object()) is False  # not on Databricks at all
    with pytest.raises(ConfigurationError, match="Databricks notebook context") as info:
        sub.submit_databricks_run_environment(_Spark(), raise_exception=True, dbutils=_dbutils({}))
    assert isinstance(info.value, ApiException)
    assert luco.count(method="POST") == 0
