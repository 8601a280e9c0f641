"""great_expectations results to Luco checks and collections, without great_expectations.

::

    from luco_client.luco.data_quality.great_expectations import convert_suite_to_collection

    collection = convert_suite_to_collection(validation_result_dict)
    submission.submit_quality(results=collection, stage="Validate", auto_determine_action=True)

LucoPy's module path ``...great_expectations.utils`` exists too.
"""

from luco_client.luco.data_quality.great_expectations._convert import (
    TEMPLATES,
    convert_expectation_to_check,
    convert_suite_to_collection,
)

__all__ = ["convert_expectation_to_check", "convert_suite_to_collection", "TEMPLATES"]
