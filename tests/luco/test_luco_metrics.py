"""Metrics: submit (a dict or one pair, types kept, bad input refused before sending) and
read back (list, single value, grouped by stage, duplicates)."""

from __future__ import annotations

import pytest

from luco_client import ApiException, ConfigurationError, LucoApi, ResponseFormatError
from luco_client.testing import LucoServer, Reply


def test_submit_and_read_metrics(api: LucoApi, luco: LucoServer) -> None:
    sub = api.create_submission(1001)
    assert sub.submit_metrics("Extract", metrics={"rows": 1200, "ok": True, "ratio": 0.5, "note": "fine"}) is True
    assert sub.submit_metrics("Load", metric="rows", value=0) is True  # 0 is a value (LucoPy 1.2.4)
    assert sub.submit_metrics(None, metrics={"total": 1200}) is True
    rows = sub.get_metrics()
    assert [(m["stage"], m["metric"], m["value"]) for m in rows] == [
        ("Extract", "rows", 1200), ("Extract", "ok", True), ("Extract", "ratio", 0.5), ("Extract", "note", "fine"),
        ("Load", "rows", 0), (None, "total", 1200)]
    assert sub.get_metrics("Extract", "rows") == 1200  # single strings: the value
    assert sub.get_metrics("Load", "rows") == 0
    assert sub.get_metrics("Load", "missing") is None  # LucoPy raised IndexError
    assert [m["metric"] for m in sub.get_metrics(["Extract"], ["rows", "ok"])] == ["rows", "ok"]
    grouped = sub.get_metrics(group_by_stage=True)  # the stage-less metric is skipped (documented)
    assert grouped == {"Extract": {"rows": 1200, "ok": True, "ratio": 0.5, "note": "fine"}, "Load": {"rows": 0}}


def test_duplicates_and_grouping_keep_the_latest(api: LucoApi) -> None:
    sub = api.create_submission(1001)
    sub.submit_metrics("Load", metrics={"rows": 1})
    sub.submit_metrics("Load", metrics={"rows": 2})
    assert [m["value"] for m in sub.get_metrics("Load", ["rows"])] == [2]
    assert [m["value"] for m in sub.get_metrics("Load", ["rows"], include_duplicates=True)] == [1, 2]
    local = [{"stage": "A", "metric": "m", "value": 1}, {"stage": "A", "metric": "m", "value": 3},
             {"stage": "", "metric": "x", "value": 9}, {"stage": None, "metric": "y", "value": 9}]
    assert sub.group_metrics_by_stage(local) == {"A": {"m": 3}}


@pytest.mark.parametrize("kwargs", [
    {}, {"metrics": {}}, {"metric": "rows"}, {"metrics": ["rows", 1]}, {"metrics": {"": 1}}, {"metrics": {3: 1}},
    {"metric": "", "value": 1}, {"metrics": {"rows": float("nan")}}, {"metrics": {"rows": float("inf")}},
    {"metrics": {"rows": object()}}, {"metrics": {"rows": 1}, "stage": 5},
])
def test_bad_metrics_are_refused_before_sending(api: LucoApi, luco: LucoServer, kwargs: dict) -> None:
    sub = api.get_submission(1001, 5001)
    with pytest.raises(ConfigurationError) as info:
        sub.submit_metrics(**kwargs)
    assert isinstance(info.value, ApiException)
    assert luco.count() == 0


def test_bad_filters_are_refused(api: LucoApi, luco: LucoServer) -> None:
    sub = api.get_submission(1001, 5001)
    for kwargs in ({"stages": 3}, {"metrics": ["a", 1]}, {"include_duplicates": "no"}):
        with pytest.raises(ConfigurationError):
            sub.get_metrics(**kwargs)
    assert luco.count() == 0


def test_a_malformed_metrics_answer_is_a_typed_error(api: LucoApi, luco: LucoServer) -> None:
    path = luco.submission_path(1001, 5001, "/metrics")
    sub = api.get_submission(1001, 5001)
    for reply, field in ((Reply(200, {"metrics": []}), "slotSubmissionMetrics"),
                         (Reply(200, "<html>maintenance</html>"), None),
                         (Reply(200, {"slotSubmissionMetrics": [{"stage": "A"}]}), "0.value")):
        luco.script(path, reply)
        with pytest.raises(ResponseFormatError) as info:
            sub.get_metrics("A", "rows")
        assert isinstance(info.value, ApiException) and info.value.field == field
