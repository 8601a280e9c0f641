"""great_expectations validation results (plain dicts) to Luco checks and collections.

Same results as LucoPy's converters, without importing great_expectations: the check text
comes from a built-in table of templates for common expectations (GE's own prescriptive
wording), any other expectation is rendered generically, and ``templates=`` adds yours.
"""

from __future__ import annotations

import datetime
import typing as t

from luco_client.luco._errors import DataQualityException
from luco_client.luco.data_quality._results import CheckResult, CollectionResult

__all__ = ["convert_expectation_to_check", "convert_suite_to_collection", "TEMPLATES"]

#: Check templates per expectation type; ``$name`` is a keyword argument of the expectation.
TEMPLATES: t.Dict[str, str] = {
    "expect_column_to_exist": "$column is a required field.",
    "expect_column_values_to_not_be_null": "$column values must never be null.",
    "expect_column_values_to_be_null": "$column values must be null.",
    "expect_column_values_to_be_unique": "$column values must be unique.",
    "expect_column_values_to_be_of_type": "$column values must be of type $type_.",
    "expect_column_values_to_be_in_type_list": "$column value types must belong to this set: $type_list.",
    "expect_column_values_to_be_in_set": "$column values must belong to this set: $value_set.",
    "expect_column_values_to_not_be_in_set": "$column values must not belong to this set: $value_set.",
    "expect_column_values_to_be_between": ("$column values must be greater than or equal to $min_value and less "
                                           "than or equal to $max_value."),
    "expect_column_values_to_match_regex": "$column values must match this regular expression: $regex.",
    "expect_column_values_to_not_match_regex": "$column values must not match this regular expression: $regex.",
    "expect_column_value_lengths_to_be_between": ("$column values must be greater than or equal to $min_value and "
                                                  "less than or equal to $max_value characters long."),
    "expect_column_value_lengths_to_equal": "$column values must be $value characters long.",
    "expect_column_mean_to_be_between": ("$column mean must be greater than or equal to $min_value and less than "
                                         "or equal to $max_value."),
    "expect_column_median_to_be_between": ("$column median must be greater than or equal to $min_value and less "
                                           "than or equal to $max_value."),
    "expect_column_max_to_be_between": ("$column maximum value must be greater than or equal to $min_value and "
                                        "less than or equal to $max_value."),
    "expect_column_min_to_be_between": ("$column minimum value must be greater than or equal to $min_value and "
                                        "less than or equal to $max_value."),
    "expect_column_sum_to_be_between": ("$column sum must be greater than or equal to $min_value and less than or "
                                        "equal to $max_value."),
    "expect_column_unique_value_count_to_be_between": ("$column must have greater than or equal to $min_value and "
                                                       "less than or equal to $max_value unique values."),
    "expect_table_row_count_to_be_between": ("Must have greater than or equal to $min_value and less than or equal "
                                             "to $max_value rows."),
    "expect_table_row_count_to_equal": "Must have exactly $value rows.",
    "expect_table_column_count_to_equal": "Must have exactly $value columns.",
    "expect_table_columns_to_match_ordered_list": "Must have these columns in this order: $column_list",
    "expect_compound_columns_to_be_unique": "Values for given compound columns must be unique together.",
}
_NOT_ARGUMENTS = frozenset({"result_format", "include_config", "catch_exceptions", "meta", "batch_id"})
_RESULT_FIELDS = {
    "element_count": "elementCount",
    "unexpected_percent_total": "failedPercentage",
    "partial_unexpected_list": "partialFailedRecordsList",
    "partial_unexpected_index_list": "partialFailedRecordsIndexList",
    "partial_unexpected_counts": "partialUnexpectedCounts",
}
_CHECK_META = {"onFail": "onFail", "referenceUrl": "referenceUrl", "tags": "tags"}
_SUITE_META = {"toolVersion": "great_expectations_version", "name": "expectation_suite_name",
               "start": "validation_time", "referenceUrl": "referenceUrl", "tags": "tags", "dataSet": "dataSet"}


def _plain(value: t.Any, what: str) -> t.Dict[str, t.Any]:
    """A validation result as a plain dict (GE objects offer ``to_json_dict()``)."""
    to_json = getattr(value, "to_json_dict", None)
    if callable(to_json) and not isinstance(value, dict):
        value = to_json()
    if not isinstance(value, dict):
        raise DataQualityException(f"{what} must be a dict (or have to_json_dict()), got {type(value).__name__}")
    return value


def _field(data: t.Mapping[str, t.Any], name: str, what: str, kind: type = dict) -> t.Any:
    value = data.get(name)
    if not isinstance(value, kind):
        raise DataQualityException(f"{what} has no {name!r} {kind.__name__}")
    return value


def _mapped_meta(meta: t.Mapping[str, t.Any], defaults: t.Mapping[str, str],
                 custom: t.Mapping[str, str]) -> t.Dict[str, t.Any]:
    """Recognised ``meta`` keys become top-level members (under their Luco name), the
    others go under ``metadata`` (LucoPy's ``process_meta_field``)."""
    mappings = dict(defaults)
    mappings.update({k: v for k, v in custom.items() if k in mappings})  # only recognised fields are remapped
    by_meta_name = {meta_name: luco_name for luco_name, meta_name in mappings.items()}
    result: t.Dict[str, t.Any] = {"metadata": {}}
    for key, value in meta.items():
        if key in by_meta_name:
            result[by_meta_name[key]] = value
        elif key in by_meta_name.values():
            result[key] = value
        else:
            result["metadata"][key] = value
    return result


def _render(expectation_type: str, kwargs: t.Mapping[str, t.Any],
            templates: t.Mapping[str, str]) -> t.Dict[str, t.Any]:
    template = templates.get(expectation_type) or TEMPLATES.get(expectation_type)
    if template is None:
        names = [k for k in kwargs if k not in _NOT_ARGUMENTS]
        template = expectation_type + (" (" + ", ".join(f"{k}: ${k}" for k in names) + ")" if names else "")
    args = {k: str(v) for k, v in kwargs.items()
            if f"${k}" in template and not isinstance(v, (dict, list))}  # checkArgs are strings
    return {"check": template, "checkArgs": args}


def _observed(result: t.Mapping[str, t.Any], result_format: t.Any) -> t.Dict[str, t.Any]:
    if result_format == "BOOLEAN_ONLY" or not result:
        return {}
    observed = result.get("observed_value")
    if observed:
        if isinstance(observed, list):  # drop '__eval_col' entries (a Spark dataset quirk)
            return {"observed": [v for v in observed if not (isinstance(v, str) and "__eval_col" in v)]}
        return {"observed": f"{observed}"}
    mapped: t.Dict[str, t.Any] = {}
    for key, value in result.items():
        if key in _RESULT_FIELDS:
            mapped[_RESULT_FIELDS[key]] = f"{round(value, 2)}%" if "percent" in key and isinstance(
                value, (int, float)) else value
    return {"observed": mapped}


def convert_expectation_to_check(expectation_results: t.Mapping[str, t.Any],
                                 metadata_mappings: t.Optional[t.Mapping[str, str]] = None, *,
                                 templates: t.Optional[t.Mapping[str, str]] = None) -> CheckResult:
    """One expectation's validation result (a dict) as a :class:`CheckResult`.

    :param expectation_results: ``{"success", "expectation_config": {"expectation_type",
        "kwargs", "meta"}, "result"}`` as great_expectations produces it.
    :param metadata_mappings: custom names of the recognised ``meta`` fields, e.g.
        ``{"onFail": "Action", "referenceUrl": "reference_url"}``.
    :param templates: extra check templates per expectation type (``$name`` placeholders
        are keyword arguments of the expectation).

    A result without ``success`` or ``expectation_config`` raises
    :class:`~luco_client.luco.DataQualityException`.
    """
    data = _plain(expectation_results, "an expectation result")
    config = _field(data, "expectation_config", "the expectation result")
    kwargs = config.get("kwargs") or {}
    expectation_type = _field(config, "expectation_type", "expectation_config", str)
    if "success" not in data:
        raise DataQualityException("the expectation result has no 'success'")
    check: t.Dict[str, t.Any] = {"success": data["success"], "check": expectation_type}
    check.update(_render(expectation_type, kwargs, templates or {}))
    check.update(_observed(data.get("result") or {}, kwargs.get("result_format", "BASIC")))
    check.update(_mapped_meta(config.get("meta") or {}, _CHECK_META, metadata_mappings or {}))
    return CheckResult(check)


def convert_suite_to_collection(expectation_suite_results: t.Mapping[str, t.Any],
                                suite_mappings: t.Optional[t.Mapping[str, str]] = None,
                                expectation_mappings: t.Optional[t.Mapping[str, str]] = None, *,
                                templates: t.Optional[t.Mapping[str, str]] = None) -> CollectionResult:
    """A suite's validation result (a dict with ``results`` and ``meta``) as a
    :class:`CollectionResult` with tool ``"Great Expectations"``; ``validation_time``
    (``YYYYMMDDTHHMMSS.ffffffZ``) becomes ``start`` in ISO form, and a suite named
    ``"default"`` gets no name. Mappings as for :func:`convert_expectation_to_check`."""
    data = _plain(expectation_suite_results, "a suite result")
    results = _field(data, "results", "the suite result", list)
    collection: t.Dict[str, t.Any] = {
        "checks": [convert_expectation_to_check(r, expectation_mappings, templates=templates).to_json_dict()
                   for r in results],
        "tool": "Great Expectations",
    }
    collection.update(_mapped_meta(data.get("meta") or {}, _SUITE_META, suite_mappings or {}))
    start = collection.get("start")
    if isinstance(start, str):
        try:
            collection["start"] = datetime.datetime.strptime(start, "%Y%m%dT%H%M%S.%fZ").isoformat()
        except ValueError:
            raise DataQualityException(f"validation_time {start!r} is not in the form YYYYMMDDTHHMMSS.ffffffZ") \
                from None
    if collection.get("name") == "default":
        del collection["name"]
    return CollectionResult(collection)
