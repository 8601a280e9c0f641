"""The LucoPy README's ETL calls, as a LucoPy 1.3.14 user writes them."""
import json
import os

from LucoPy import LucoApi

base_url = os.environ["LUCO_BASE_URL"]
tenant_id = os.environ["LUCO_TENANT_ID"]
client_id = os.environ["LUCO_CLIENT_ID"]
client_secret = os.environ["LUCO_CLIENT_SECRET"]
resource_id = os.environ["LUCO_RESOURCE_ID"]

api = LucoApi(base_url, tenant_id, client_id, client_secret, resource_id)

slot_id = api.find_slot_id("2024-02-01", {"Source": "SAP", "Table": "Orders"})
submission = api.create_submission(slot_id, "Extract", {"platform": "Azure Data Factory",
                                                        "referenceUrl": "https://adf.example.com/runs/1"})
params = submission.params("Load")
container = submission.params("Load", "container")
schedule = submission.get_delivery_schedule()

submission.submit_run_environment("Transform", [{"platform": "Azure Databricks"}])
submission.submit_metrics("Extract", metrics={"rows": 1200, "files": 3})
submission.submit_metrics("Load", metric="rows", value=0)
submission.submit_quality("Validate", tool="Great Expectations",
                          results={"validation_result": {"success": True}}, action="Continued")
submission.submit_status("In Progress", "Load", message="loading")
submission.submit_completed_status()

unscheduled = api.find_slot_id("manual-upload-42", [{"Source": "Manual"}, {"Table": "Uploads"}])
relative = api.find_submission_in_slot_sequence(slot_id, submission.id, OnlyCompletedSubmissions=True,
                                                TimeDifference="1:00:00:00", FindClosest="historic")
by_sequence = api.find_submissions_by_slot_sequence({"Source": "SAP", "Table": "Orders"}, onlyLatestSlot=False)
latest = api.find_latest_submission_by_slot_sequence({"Source": "SAP", "Table": "Orders"})
exported = api.export_slot_sequences(names={"Source": "SAP", "Table": "Orders"})
imported = api.submit_slot_sequences(exported)
overview = api.slot_sequences_overview(count=2, pagination_size=1)
slots = api.slots_overview(slot_sequence_id=101, sort_by="expectedBy", sort_dir="desc")
threshold = api.slot_sequence_parameters({"Source": "SAP", "Table": "Orders"}, "Quality", "threshold")

print(json.dumps({
    "slot_id": slot_id, "submission_id": submission.id, "status": submission.status, "type": submission.type,
    "name": submission.name, "expected_by": submission.expected_by, "params": params, "container": container,
    "schedule_active": schedule["isActive"], "metrics": submission.get_metrics(group_by_stage=True),
    "rows": submission.get_metrics("Extract", "rows"), "unscheduled": unscheduled, "relative": relative,
    "slots_found": len(by_sequence["slots"]), "latest": list(latest), "imported": imported["counts"],
    "overview": [s["name"] for s in overview["slotSequences"]], "slot_count": slots["totalCount"],
    "threshold": threshold, "quality": len(submission.get_quality()), "end_time_set": bool(submission.end_time),
}))
