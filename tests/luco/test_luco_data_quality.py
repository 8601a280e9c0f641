"""The data-quality helpers: checks, collections, resolution from JSON, and the
great_expectations converters on plain dicts (no great_expectations installed)."""

from __future__ import annotations

import json
import typing as t

import pytest

from luco_client import DataQualityException
from luco_client.luco.data_quality import CheckResult, CollectionResult, resolve_object_from_json_dict
from luco_client.luco.data_quality.great_expectations import convert_expectation_to_check, convert_suite_to_collection
from luco_client.luco.data_quality.great_expectations import utils as ge_utils

NOT_NULL = {
    "success": False,
    "expectation_config": {
        "expectation_type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "Id", "result_format": "SUMMARY", "batch_id": "b-1"},
        "meta": {"onFail": {"Action": "fail"}, "tags": ["Completeness"], "owner": "dq-team"},
    },
    "result": {"element_count": 10, "unexpected_count": 1, "unexpected_percent_total": 10.0,
               "partial_unexpected_list": [None]},
    "exception_info": {"raised_exception": False},
}
ROW_COUNT = {
    "success": True,
    "expectation_config": {"expectation_type": "expect_table_row_count_to_be_between",
                           "kwargs": {"min_value": 1, "max_value": 5000}, "meta": {}},
    "result": {"observed_value": 1200},
}
COLUMNS = {
    "success": True,
    "expectation_config": {"expectation_type": "expect_my_custom_columns", "kwargs": {"table": "orders"}},
    "result": {"observed_value": ["Id", "__eval_col_Id", "Amount", 3]},
}
SUITE = {
    "success": False,
    "results": [NOT_NULL, ROW_COUNT, COLUMNS],
    "meta": {"great_expectations_version": "0.15.50", "expectation_suite_name": "orders",
             "validation_time": "20221004T100000.123456Z", "dataSet": "orders.csv", "run_id": {"run_name": "r1"}},
}


def test_checks_and_collections_serialise_like_lucopy() -> None:
    check = CheckResult({"check": "$col unique", "checkArgs": {"col": "Id"}, "success": True, "tags": [],
                         "observed": 0, "metadata": {}, "extra": "dropped"})
    assert check.to_dict() == {"check": "$col unique", "success": True, "checkArgs": {"col": "Id"}}
    assert check.to_json_dict() == check.to_dict() and json.loads(str(check)) == check.to_dict()
    collection = CollectionResult({"checks": [check, {"check": "b", "success": False}], "success": False,
                                   "name": "suite", "end": "2022-10-04 10:10:00"})
    assert collection.to_dict() == {"checks": [check.to_dict(), {"check": "b", "success": False}], "name": "suite"}
    assert collection.is_exception_thrown() is False


@pytest.mark.parametrize("on_fail, thrown", [
    ({"Action": "fail"}, True), ({"action": "Fail"}, True), ({"Action": "continue"}, False), ({}, False),
    (None, False), ({"Action": 3}, False), ("fail", False)])
def test_exception_thrown_rules(on_fail: t.Any, thrown: bool) -> None:
    assert CheckResult({"check": "c", "success": False, "onFail": on_fail}).is_exception_thrown() is thrown
    assert CheckResult({"check": "c", "success": True, "onFail": on_fail}).is_exception_thrown() is False
    collection = CollectionResult({"checks": [{"check": "c", "success": False, "onFail": on_fail}]})
    assert collection.is_exception_thrown() is thrown
    assert collection.is_exception_thrown(error_on_fail=False) is False


def test_resolution_from_dicts_and_json() -> None:
    assert isinstance(resolve_object_from_json_dict('{"check": "c", "success": true}'), CheckResult)
    assert isinstance(resolve_object_from_json_dict({"checks": [{"check": "c", "success": True}]}), CollectionResult)
    for bad in ({"checks": []}, {"name": "x"}, "[1, 2]", "{broken", {"check": "c"}):
        with pytest.raises(DataQualityException):
            resolve_object_from_json_dict(bad)  # type: ignore[arg-type]


def test_expectation_to_check() -> None:
    check = convert_expectation_to_check(NOT_NULL)
    assert check.to_dict() == {
        "check": "$column values must never be null.", "success": False, "checkArgs": {"column": "Id"},
        "onFail": {"Action": "fail"}, "tags": ["Completeness"],
        "observed": {"elementCount": 10, "failedPercentage": "10.0%", "partialFailedRecordsList": [None]},
        "metadata": {"owner": "dq-team"}}
    assert check.is_exception_thrown() is True
    row_count = convert_expectation_to_check(ROW_COUNT).to_dict()
    assert row_count["check"].startswith("Must have greater than or equal to $min_value")
    assert row_count["checkArgs"] == {"min_value": "1", "max_value": "5000"} and row_count["observed"] == "1200"
    custom = convert_expectation_to_check(COLUMNS).to_dict()
    assert custom["check"] == "expect_my_custom_columns (table: $table)" and custom["checkArgs"] == {"table": "orders"}
    assert custom["observed"] == ["Id", "Amount", 3]
    boolean = dict(NOT_NULL, expectation_config=dict(NOT_NULL["expectation_config"],  # type: ignore[arg-type]
                                                     kwargs={"column": "Id", "result_format": "BOOLEAN_ONLY"}))
    assert "observed" not in convert_expectation_to_check(boolean).to_dict()


def test_custom_meta_mappings_and_templates() -> None:
    expectation = dict(NOT_NULL, expectation_config=dict(NOT_NULL["expectation_config"],  # type: ignore[arg-type]
                                                         meta={"Action": {"Action": "fail"}, "ref": "https://x"}))
    check = convert_expectation_to_check(expectation, {"onFail": "Action", "referenceUrl": "ref", "unknown": "u"},
                                         templates={"expect_column_values_to_not_be_null": "no nulls in $column"})
    assert check.onFail == {"Action": "fail"} and check.referenceUrl == "https://x"
    assert check.check == "no nulls in $column" and not check.metadata


def test_suite_to_collection() -> None:
    collection = convert_suite_to_collection(SUITE).to_dict()
    assert [c["check"] for c in collection["checks"]] == [
        "$column values must never be null.", convert_expectation_to_check(ROW_COUNT).check,
        "expect_my_custom_columns (table: $table)"]
    assert {k: v for k, v in collection.items() if k != "checks"} == {
        "name": "orders", "start": "2022-10-04T10:00:00.123456", "tool": "Great Expectations",
        "toolVersion": "0.15.50", "dataSet": "orders.csv", "metadata": {"run_id": {"run_name": "r1"}}}
    default = convert_suite_to_collection(dict(SUITE, meta={"expectation_suite_name": "default"}))
    assert default.name is None and default.start is None
    assert ge_utils.convert_suite_to_collection is convert_suite_to_collection  # LucoPy's module path
    with pytest.raises(DataQualityException, match="validation_time"):
        convert_suite_to_collection(dict(SUITE, meta={"validation_time": "yesterday"}))
    for bad in ({"results": "x"}, {"meta": {}}, [], {"results": [{"expectation_config": {}}]}):
        with pytest.raises(DataQualityException):
            convert_suite_to_collection(bad)  # type: ignore[arg-type]
