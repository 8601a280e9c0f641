"""LucoPy's "Other Identities": an object with generate_token() -> (token, expiry)."""
import json
import os
from datetime import datetime, timedelta

import requests
from LucoPy import LucoApi


class VaultIdentity:
    def generate_token(self):
        url = f"{os.environ['AZURE_AUTHORITY_HOST']}/{os.environ['LUCO_TENANT_ID']}/oauth2/v2.0/token"
        r = requests.post(url, data="grant_type=client_credentials&scope=api://luco/.default",
                          headers={"content-type": "application/x-www-form-urlencoded"},
                          auth=(os.environ["LUCO_CLIENT_ID"], os.environ["LUCO_CLIENT_SECRET"]), timeout=10)
        r.raise_for_status()
        return r.json()["access_token"], datetime.now() + timedelta(seconds=r.json()["expires_in"])


api = LucoApi(os.environ["LUCO_BASE_URL"], identity=VaultIdentity())
submission = api.get_submission(1002, 5002)
print(json.dumps({"status": submission.status, "start": submission.start_time is not None}))
