"""Luco's data-quality format: checks and collections (LucoPy's ``LucoPy.data_quality``).

::

    from luco_client.luco.data_quality import CheckResult, CollectionResult

    check = CheckResult({"check": "$col values are unique", "checkArgs": {"col": "Id"}, "success": True})
    submission.submit_quality(results=check, stage="Load", auto_determine_action=True)

great_expectations validation results (plain dicts) convert with
:mod:`luco_client.luco.data_quality.great_expectations`; great_expectations itself is not
needed.
"""

from luco_client.luco.data_quality._results import (
    CheckResult,
    CollectionResult,
    fails_pipeline,
    resolve_object_from_json_dict,
)

__all__ = ["CheckResult", "CollectionResult", "resolve_object_from_json_dict", "fails_pipeline"]
