"""What goes on the wire, byte for byte where the spec shows what the real server accepts
(spec §1.2-§1.5, §4-§7), checked on the fake server's received requests."""

from __future__ import annotations

import datetime
import json
import typing as t

import pytest
from luco_helpers import SAP, MakeApi

from luco_client import ApiException, ConfigurationError, LucoApi, NotFoundError
from luco_client.testing import LucoServer

JSON_PATCH = "application/json-patch+json"


def _last(server: LucoServer, method: str, suffix: str) -> t.Any:
    found = [r for r in server.received(method=method) if r.path.endswith(suffix)]
    assert found, f"no {method} ...{suffix}"
    return found[-1]


def test_slot_search_query_is_the_repr_form_of_the_spec(api: LucoApi, luco: LucoServer) -> None:
    luco.add_slot_sequence({"Source": "SAP", "Table": "Sales Orders & Items"})
    api.find_slot_id("2024-01-31", {"Source": "SAP", "Table": "Sales Orders & Items"})
    sent = _last(luco, "GET", "/slots/search/")
    assert sent.path == "/api/slots/search/"
    assert sent.query_string == (
        "Tag=2024-01-31&SlotSequenceDefinition=%7B%27position%27%3A+0%2C+%27key%27%3A+%27Source%27%2C+%27value%27"
        "%3A+%27SAP%27%7D&SlotSequenceDefinition=%7B%27position%27%3A+1%2C+%27key%27%3A+%27Table%27%2C+%27value"
        "%27%3A+%27Sales+Orders+%26+Items%27%7D")
    assert sent.header("Content-Type") is None and sent.header("Authorization").startswith("Bearer ")


def test_repr_quoting_rules_and_list_form(api: LucoApi, luco: LucoServer) -> None:
    name = [{"Owner": "O'Brien"}, {"Path": 'a\\b "c" \'d\''}, {"Count": 3}]
    luco.add_slot_sequence({"Owner": "O'Brien", "Path": 'a\\b "c" \'d\'', "Count": 3})
    api.find_slot_id(datetime.date(2024, 2, 1), name)
    values = [v for k, v in _last(luco, "GET", "/slots/search/").query_all() if k == "SlotSequenceDefinition"]
    assert values == ["{'position': 0, 'key': 'Owner', 'value': \"O'Brien\"}",
                      "{'position': 1, 'key': 'Path', 'value': 'a\\\\b \"c\" \\'d\\''}",
                      "{'position': 2, 'key': 'Count', 'value': 3}"]


def test_unscheduled_slot_creation_body(make_api: MakeApi, luco: LucoServer) -> None:
    luco.add_slot_sequence({"Source": "SAP", "Table": "T"}, scheduled=False)
    make_api(reconcile_writes=False).find_slot_id("2024-01-31", {"Source": "SAP", "Table": "T"})
    sent = _last(luco, "POST", "/slots/")
    assert sent.body == (b'{"tag": "2024-01-31", "slotSequenceDefinition": [{"position": 0, "key": "Source", '
                         b'"value": "SAP"}, {"position": 1, "key": "Table", "value": "T"}]}')
    assert sent.header("content-type") == JSON_PATCH


def test_submission_creation_has_no_body_and_no_content_type(api: LucoApi, luco: LucoServer) -> None:
    api.create_submission(1001)
    sent = _last(luco, "POST", "/slots/1001/submissions")
    assert sent.body == b"" and sent.header("Content-Length") == "0" and sent.header("Content-Type") is None


def test_write_bodies_are_lucopy_s(make_api: MakeApi, luco: LucoServer) -> None:
    sub = make_api(reconcile_writes=False).get_submission(1001, 5001)
    sub.submit_metrics("S", metrics={"rows": 0, "ok": True})
    sub.submit_run_environment("S", {"platform": "ADF"})
    sub.submit_quality("S", tool="GE", results={"validation_result": {"a": 1}}, action="Continued")
    sub.submit_quality(results={"check": "c", "success": False, "onFail": {"Action": "fail"}}, stage="S",
                       auto_determine_action=True)
    sub.submit_status("In Progress", "Load", type="Info", message="half way", modified_by="etl")
    metrics = _last(luco, "POST", "/5001/metrics")
    assert metrics.path == "/api/v2/slots/1001/submissions/5001/metrics"
    assert metrics.body == (b'{"stage": "S", "metrics": [{"metric": "rows", "value": 0}, '
                            b'{"metric": "ok", "value": true}]}')
    assert _last(luco, "POST", "/runenvironment").body == b'{"stage": "S", "runData": [{"platform": "ADF"}]}'
    v1 = [r for r in luco.received(method="POST") if r.path == "/api/slots/1001/submissions/5001/quality"][-1]
    assert v1.body == (b'{"stage": "S", "runId": "", "tool": "GE", '
                       b'"results": "{\\"validation_result\\": {\\"a\\": 1}}", "dataSet": null, "action": "Continued"}')
    v2 = [r for r in luco.received(method="POST") if r.path == "/api/v2/slots/1001/submissions/5001/quality"][-1]
    assert v2.query_string == "stage=S&action=Cancelled"
    assert v2.body == b'{"check": "c", "success": false, "onFail": {"Action": "fail"}}'
    status = _last(luco, "POST", "/status")
    assert json.loads(status.body) == {"runId": "", "status": "In Progress", "stage": "Load", "type": "Info",
                                       "message": "half way", "modifiedBy": "etl"}
    assert list(json.loads(status.body)) == ["runId", "status", "stage", "type", "message", "modifiedBy"]
    for sent in (metrics, v1, v2, status):
        assert sent.header("content-type") == JSON_PATCH


def test_read_queries(api: LucoApi, luco: LucoServer) -> None:
    sub = api.get_submission(1003, 5003)
    sub.get_metrics(["Load", "Q"], "rows")
    assert _last(luco, "GET", "/metrics").query_string == "stages=Load&stages=Q&metrics=rows&includeDuplicates=False"
    sub.status
    assert _last(luco, "GET", "/submissions/5003").query_string == "includeDelivery=True"
    api.find_submission_in_slot_sequence(1003, 5003, TimeDifference="1:00:00:00")
    assert _last(luco, "GET", "/search").query_string == \
        "OnlyCompletedSubmissions=False&FindClosest=historic&TimeDifference=1%3A00%3A00%3A00"
    api.find_submission_in_slot_sequence(1003, 5003, True, datetime.timedelta(days=2, minutes=5), "either")
    assert _last(luco, "GET", "/search").query_string == \
        "OnlyCompletedSubmissions=True&FindClosest=either&TimeDifference=2%3A00%3A05%3A00"
    api.find_submissions_by_slot_sequence(SAP, expectedAfterUtc="2024-01-01")
    assert _last(luco, "GET", "/slotsequences/submissions").query_string.split("&")[2:] == [
        "OnlyLatestSlot=True", "OnlyDeliveredSlots=True", "OnlyCompletedSubmissions=True",
        "OnlyLatestSubmission=True", "ExpectedAfterUtc=2024-01-01"]
    api.export_slot_sequences(names=[SAP])
    assert _last(luco, "GET", "/slotsequences/search/").query_string.startswith("isActive=True&SlotSequenceDefinition=")
    assert _last(luco, "GET", "/export").query_string == "slotSequenceId=101"
    api.export_slot_sequences(ids=[101, 102])
    assert _last(luco, "GET", "/export").query_string == "slotSequenceId=101&slotSequenceId=102"
    api.export_slot_sequences()
    assert _last(luco, "GET", "/export").query_string == ""


def test_overview_sends_both_failed_count_bounds_in_lucopy_order(api: LucoApi, luco: LucoServer) -> None:
    api.slot_sequences_overview(count=1, type=["Daily", "Adhoc"], overdue_count_start=0, overdue_count_end=9,
                                failed_count_start=1, failed_count_end=5, slot_sequence_name_values=["SAP"],
                                slot_sequence_name_values_filter_operator="or", sort_by="type", sort_dir="desc")
    pairs = _last(luco, "GET", "/slotsequences/overview").query_all()
    assert pairs == [("isActive", "True"), ("type", "Daily"), ("type", "Adhoc"), ("overdueCountStart", "0"),
                     ("overdueCountEnd", "9"), ("failedCountStart", "1"), ("failedCountEnd", "5"),
                     ("slotSequenceDefinitionValues", "SAP"), ("slotSequenceDefinitionValuesFilterOperator", "or"),
                     ("sortBy", "type"), ("sortDir", "desc"), ("pageNumber", "1"), ("pageSize", "1")]


def test_path_values_are_escaped_as_one_segment(api: LucoApi, luco: LucoServer) -> None:
    with pytest.raises(NotFoundError) as info:
        api.get_submission("7/../../admin", 5).status
    assert isinstance(info.value, ApiException)
    assert luco.received(method="GET")[-1].path == "/api/v2/slots/7%2F..%2F..%2Fadmin/submissions/5"


def test_no_tag_none_a_typed_error_before_anything_is_sent(api: LucoApi, luco: LucoServer) -> None:
    for tag in (None, "", 20240131, 3.5, ["2024-01-31"]):
        with pytest.raises(ConfigurationError, match="tag must be a date") as info:
            api.find_slot_id(tag, SAP)
        assert isinstance(info.value, ApiException)
    assert luco.count() == 0


def test_a_datetime_tag_is_iso_8601(api: LucoApi, luco: LucoServer) -> None:
    api.find_slot_id(datetime.datetime(2024, 2, 2, 6, 30), SAP)
    assert _last(luco, "GET", "/slots/search/").query_all()[0] == ("Tag", "2024-02-02T06:30:00")
