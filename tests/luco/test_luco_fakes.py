"""The fakes themselves, spoken to with plain requests: the server-side rules of the wire
spec (§11) that LucoApi never exercises on its own."""

from __future__ import annotations

import base64
import json
import typing as t

import requests

from luco_client.testing import AzureTokenServer, LucoServer

SAP_JSON = [json.dumps({"position": 0, "key": "Source", "value": "SAP"}),
            json.dumps({"position": 1, "key": "Table", "value": "Orders"})]


def _get(luco: LucoServer, path: str, token: str, **params: t.Any) -> requests.Response:
    return requests.get(luco.base_url + path, params=params, headers={"Authorization": f"Bearer {token}"},
                        timeout=10)


def _token(azure: AzureTokenServer) -> str:
    answer = requests.post(f"{azure.authority}/{azure.tenant_id}/oauth2/v2.0/token",
                           data="grant_type=client_credentials&scope=api://luco/.default",
                           headers={"content-type": "application/x-www-form-urlencoded"},
                           auth=(azure.client_id, azure.client_secret), timeout=10)
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"
    assert answer.json()["expires_in"] == 3599
    return t.cast(str, answer.json()["access_token"])


def test_token_endpoint_rules(azure: AzureTokenServer) -> None:
    url = f"{azure.authority}/{azure.tenant_id}/oauth2/v2.0/token"
    form = "grant_type=client_credentials&scope=api://luco/.default"
    wrong = base64.b64encode(b"luco-etl-client:nope").decode()
    for headers, body, status, code in (
            ({"Authorization": f"Basic {wrong}"}, form, 401, "invalid_client"),
            ({}, form, 401, "invalid_client"),
            ({"Authorization": "Basic !!!"}, form, 401, "invalid_client")):
        answer = requests.post(url, data=body, headers=headers, timeout=10)
        assert answer.status_code == status and answer.json()["error"] == code
    auth = (azure.client_id, azure.client_secret)
    assert requests.post(url, data="grant_type=password&scope=api://x/.default", auth=auth,
                         timeout=10).json()["error"] == "unsupported_grant_type"
    assert requests.post(url, data="grant_type=client_credentials&scope=api://x", auth=auth,
                         timeout=10).json()["error"] == "invalid_scope"
    assert requests.post(f"{azure.authority}/other/oauth2/v2.0/token", data=form, auth=auth,
                         timeout=10).status_code == 400
    assert azure.token_requests == 5
    token = _token(azure)
    assert azure.is_valid(token) and not azure.is_valid("forged-token")
    azure.revoke(token)
    assert not azure.is_valid(token)


def test_bearer_tokens_are_checked(luco: LucoServer, azure: AzureTokenServer) -> None:
    token = _token(azure)
    assert _get(luco, "/v2/slots/1001/submissions/5001", token).status_code == 200
    for bad in ("forged", ""):
        assert _get(luco, "/v2/slots/1001/submissions/5001", bad).status_code == 401
    assert requests.get(luco.base_url + "/v2/slots/1001/submissions/5001", timeout=10).status_code == 401
    static = LucoServer(tokens={"static-token-1"}).start()
    try:
        assert _get(static, "/v2/slotsequences/101", "static-token-1").status_code == 200
        assert _get(static, "/v2/slotsequences/101", token).status_code == 401
    finally:
        static.close()


def test_query_forms_trailing_slashes_and_content_types(luco: LucoServer, azure: AzureTokenServer) -> None:
    token = _token(azure)
    assert _get(luco, "/slots/search", token, tag="2024-01-30", slotsequencedefinition=SAP_JSON).json() == \
        {"slotId": 1002}  # JSON definitions, lower-case names, no trailing slash
    assert _get(luco, "/slotsequences/search/", token, IsActive="TRUE",
                SlotSequenceDefinition=SAP_JSON).json() == {"slotSequenceId": 101}
    assert _get(luco, "/slots/search/", token, Tag="2024-01-30").status_code == 400
    assert _get(luco, "/slots/1001/submissions/5001/search", token, TimeDifference="yesterday").status_code == 400
    assert _get(luco, "/nowhere", token).status_code == 404
    url = luco.base_url + "/v2/slots/1001/submissions/5001/metrics"
    body = json.dumps({"stage": "S", "metrics": [{"metric": "rows", "value": 1}]})
    headers = {"Authorization": f"Bearer {token}"}
    for content_type, status in (("application/json", 200), ("application/json-patch+json", 200),
                                 ("text/plain", 415)):
        answer = requests.post(url, data=body, headers={**headers, "Content-Type": content_type}, timeout=10)
        assert answer.status_code == status
    assert requests.post(url, data="{", headers={**headers, "Content-Type": "application/json"},
                         timeout=10).status_code == 400
    assert requests.delete(url, headers=headers, timeout=10).status_code == 405
    assert luco.applied == {"metrics": 2}


def test_overview_paging_rules(luco: LucoServer, azure: AzureTokenServer) -> None:
    token = _token(azure)
    page = _get(luco, "/v2/slots/overview", token, pageNumber=1, pageSize=0).json()
    assert page == {"totalCount": 3, "slots": []}  # LucoPy's pageSize=0 probe
    assert _get(luco, "/v2/slots/overview", token, pageNumber=9, pageSize=2).json()["slots"] == []
    items = _get(luco, "/v2/slots/overview", token, pageNumber=1, pageSize=2).json()["slots"]
    assert [i["slotId"] for i in items] == [1001, 1002] and items[0]["name"][0]["slotParameter"] == \
        {"key": "Source", "value": "SAP"}
    assert _get(luco, "/v2/slots/overview", token, pageNumber=0, pageSize=2).status_code == 400
    assert _get(luco, "/v2/slots/overview", token, sortBy="colour").status_code == 400
    sequences = _get(luco, "/v2/slotsequences/overview", token, isActive="false").json()
    assert sequences["totalCount"] == 1 and sequences["slotSequences"][0]["isActive"] is False


def test_admin_view(luco: LucoServer) -> None:
    sequence = luco.add_slot_sequence({"Source": "CRM"}, scheduled=False, parameters={"G": {"k": "v"}})
    slot = luco.add_slot(sequence, "t-1")
    submission = luco.add_submission(slot, status="Failed")
    state = luco.state()
    assert state["sequences"][sequence]["name"] == [("Source", "CRM")]
    assert state["submissions"][submission]["endedOn"] is not None and state["applied"] == {}
    state["slots"].clear()  # a copy: the server's data is untouched
    assert slot in luco.state()["slots"]
    assert luco.submission_path(1, 2, "/quality", v2=True) == "/api/v2/slots/1/submissions/2/quality"
