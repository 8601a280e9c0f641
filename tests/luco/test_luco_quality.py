"""Data quality through Luco: v1 (great_expectations raw) and v2 (checks and collections),
auto-determined actions, raising after storing, and reading results back."""

from __future__ import annotations

import json
import typing as t

import pytest

from luco_client import ApiException, ConfigurationError, DataQualityException, LucoApi
from luco_client.luco.data_quality import CheckResult, CollectionResult
from luco_client.testing import LucoServer


def _v2_posts(luco: LucoServer, sub_id: int) -> t.List[t.Any]:
    return [r for r in luco.received(method="POST") if r.path.endswith(f"/{sub_id}/quality") and "/v2/" in r.path]


def test_v1_results_go_to_the_v1_endpoint(api: LucoApi, luco: LucoServer) -> None:
    sub = api.create_submission(1001)
    raw = {"validation_result": {"success": True}, "meta": {}}
    assert sub.submit_quality("Validate", tool="GE", results=raw, dataset="orders", action="Continued") is True
    assert sub.submit_quality("Validate", "ignored-run-id", "GE", json.dumps(raw), None, "Cancelled") is True
    stored = sub.get_quality()
    assert stored[0] == {"tool": "GE", "dataSet": "orders", "stage": "Validate", "action": "Continued",
                         "results": json.dumps(raw)}
    assert stored[1]["action"] == "Cancelled"
    for missing in ({"tool": None}, {"action": None}, {"action": "Stopped"}):
        arguments = dict({"tool": "GE", "results": raw, "action": "Continued"}, **missing)
        with pytest.raises(ConfigurationError):
            sub.submit_quality("Validate", **arguments)


def test_v2_checks_collections_and_auto_action(api: LucoApi, luco: LucoServer) -> None:
    sub = api.create_submission(1001)
    failing_upper = {"check": "ids unique", "success": False, "onFail": {"Action": "fail"}}
    failing_lower = {"check": "no nulls", "success": False, "onFail": {"action": "FAIL"}}  # the README's spelling
    failing_quiet = {"check": "dates valid", "success": False}  # no onFail: LucoPy raised TypeError
    for check, action in ((failing_upper, "Cancelled"), (failing_lower, "Cancelled"), (failing_quiet, "Continued")):
        sub.submit_quality(results=check, stage="Validate", auto_determine_action=True)
        assert _v2_posts(luco, sub.id)[-1].query_all() == [("stage", "Validate"), ("action", action)]
    sub.submit_quality(results=CheckResult(failing_upper))  # no action determined: none sent
    assert _v2_posts(luco, sub.id)[-1].query_string == ""
    collection = CollectionResult({"name": "orders", "tool": "custom", "checks": [failing_quiet, failing_lower],
                                   "end": "2022-10-04 10:10:00", "success": False, "tags": []})
    sub.submit_quality(results=json.dumps(collection.to_dict()), action="Continued")
    body = _v2_posts(luco, sub.id)[-1].json()
    # the falsy success and tags, and the unknown end, are dropped
    assert body == {"checks": [failing_quiet, failing_lower], "name": "orders", "tool": "custom"}
    stored = sub.get_quality()
    assert stored[0] == {"checks": [failing_upper]} and stored[-1] == body


def test_auto_raise_happens_after_the_results_are_stored(api: LucoApi, luco: LucoServer) -> None:
    sub = api.create_submission(1001)
    failing = {"check": "ids unique", "success": False, "onFail": {"Action": "fail"}}
    with pytest.raises(DataQualityException, match="Data Quality validation failed") as info:
        sub.submit_quality(results=failing, auto_determine_action=True, auto_raise_exception=True)
    assert not isinstance(info.value, ApiException)
    assert luco.applied["quality"] == 1 and len(sub.get_quality()) == 1
    with pytest.raises(DataQualityException):
        sub.submit_quality(results={"check": "x", "success": True}, action="Cancelled", auto_raise_exception=True)
    assert sub.submit_quality(results={"check": "x", "success": True}, auto_determine_action=True,
                              auto_raise_exception=True) is True


def test_any_object_with_the_protocol_is_accepted(api: LucoApi, luco: LucoServer) -> None:
    class External:
        def to_json_dict(self) -> t.Dict[str, t.Any]:
            return {"checks": [{"check": "external", "success": True}], "tool": "dbt"}

        def is_exception_thrown(self) -> bool:
            return False

    sub = api.create_submission(1001)
    assert sub.submit_quality(results=External(), auto_determine_action=True) is True
    assert _v2_posts(luco, sub.id)[-1].query_string == "action=Continued"


@pytest.mark.parametrize("results", [{"nothing": 1}, {"check": "", "success": True}, {"checks": []}, "not json",
                                     '{"checks": "no"}', 42, None, {"check": "c"}, {"check": "c", "success": "yes"}])
def test_unusable_results_are_refused_before_sending(api: LucoApi, luco: LucoServer, results: t.Any) -> None:
    sub = api.get_submission(1001, 5001)
    with pytest.raises(DataQualityException):
        sub.submit_quality(results=results)
    assert luco.count(method="POST") == 0
