"""LucoPy's module path (``LucoPy.data_quality.great_expectations.utils``), kept so that
``import ...great_expectations.utils as ge_utils`` works after swapping the package name."""

from luco_client.luco.data_quality.great_expectations._convert import (
    convert_expectation_to_check,
    convert_suite_to_collection,
)

__all__ = ["convert_expectation_to_check", "convert_suite_to_collection"]
