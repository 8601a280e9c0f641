"""LucoPy 1.3.12+: credentials from LUCO_* variables; LucoPy's exceptions caught by name."""
import json

from LucoPy import LucoApi
from LucoPy.exceptions import ApiException

api = LucoApi()
caught = []
try:
    api.get_submission(1001, 999999).status
except ApiException as exc:
    caught.append(str(exc).split(" [")[0])
try:
    api.find_slot_id("2024-01-31", {"Source": "Nowhere"})
except ApiException as exc:
    caught.append(type(exc).__name__)
print(json.dumps({"caught": caught, "status": api.get_submission(1001, 5001).status}))
