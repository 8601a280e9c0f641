"""The README's data-quality section: great_expectations results converted and submitted."""
import json

import LucoPy.data_quality.great_expectations.utils as ge_utils
from LucoPy import LucoApi

expectation = {
    "success": False,
    "expectation_config": {"expectation_type": "expect_column_values_to_not_be_null",
                           "kwargs": {"column": "Id"}, "meta": {"Action": {"Action": "fail"}}},
    "result": {"element_count": 10, "unexpected_percent_total": 10.0},
}
expectation_mapping = {"onFail": "Action", "referenceUrl": "reference_url"}
check = ge_utils.convert_expectation_to_check(expectation, metadata_mappings=expectation_mapping)
suite = {"results": [expectation], "meta": {"expectation_suite_name": "orders", "great_expectations_version": "0.15",
                                            "validation_time": "20221004T100000.000000Z"}}
collection = ge_utils.convert_suite_to_collection(suite, expectation_mappings=expectation_mapping)

api = LucoApi()
submission = api.create_submission(1003)
submission.submit_quality(results=check, stage="Validate", auto_determine_action=True)
raised = False
try:
    submission.submit_quality(results=collection, stage="Validate", auto_determine_action=True,
                              auto_raise_exception=True)
except Exception as exc:
    raised = type(exc).__name__
print(json.dumps({"raised": raised, "stored": len(submission.get_quality()), "check": check.to_dict()["check"]}))
