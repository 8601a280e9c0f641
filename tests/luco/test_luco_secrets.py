"""The client secret and the access tokens never leak: not into DEBUG logs (ours and
urllib3's), error messages, reports or recordings."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import typing as t

import pytest
from luco_helpers import SAP, UPLOADS, MakeApi

from luco_client import ApiException, AuthException, JSONDirReplayStorage, LucoApi, Replay, SQLiteReplayStorage
from luco_client.testing import AzureTokenServer, LucoServer, Reply


def _secrets(azure: AzureTokenServer) -> t.List[str]:
    basic = base64.b64encode(f"{azure.client_id}:{azure.client_secret}".encode()).decode()
    return [azure.client_secret, basic, *azure._tokens]  # every token issued during the test


def _job(api: LucoApi, luco: LucoServer, azure: AzureTokenServer) -> t.List[str]:
    """An ETL job touching every kind of call, with a 401 refresh and failures on the way."""
    texts = []
    slot_id = api.find_slot_id("upload-s", UPLOADS)
    sub = api.create_submission(slot_id, "Extract", {"platform": "ADF"})
    sub.submit_metrics("Extract", metrics={"rows": 3})
    azure.revoke()  # the next call is refused once, refreshed and replayed
    sub.submit_quality(results={"check": "c", "success": True}, auto_determine_action=True)
    sub.submit_completed_status()
    luco.script(luco.submission_path(slot_id, sub.id, v2=True), Reply(500, "boom"))
    try:
        sub.status
    except ApiException as exc:
        texts += [str(exc), repr(exc)]
    return texts


def test_debug_logs_errors_and_reports_hold_no_secret(make_api: MakeApi, luco: LucoServer, azure: AzureTokenServer,
                                                       capture_logs: t.Any) -> None:
    with capture_logs("", logging.DEBUG) as records:  # the root at DEBUG: urllib3's lines too
        api = make_api()
        texts = _job(api, luco, azure)
        stream = io.StringIO()
        texts.append(api.report_status("list", file=stream))
        texts.append(json.dumps(api.report_status("json")))
        texts += api.report_status("logger")
        bad = LucoApi(luco.base_url, azure.tenant_id, azure.client_id, "WrongSecret-123456789", "api://luco",
                      authority=azure.authority, retry=None)
        with pytest.raises(AuthException) as info:
            bad.find_slot_id("2024-01-31", SAP)
        texts += [str(info.value), repr(info.value)]
        bad.close()
    logged = [logging.Formatter().format(r) for r in records]
    assert any("oauth2/v2.0/token" in line for line in logged)  # the token calls were logged...
    assert any("urllib3" in r.name for r in records)
    everything = "\n".join(logged + texts)
    for secret in [*_secrets(azure), "WrongSecret-123456789"]:
        assert secret not in everything  # ...without any secret


@pytest.mark.parametrize("storage_kind", ["json", "sqlite"])
def test_recordings_hold_no_secret_and_replay_offline(make_api: MakeApi, luco: LucoServer, azure: AzureTokenServer,
                                                      tmp_path: t.Any, storage_kind: str) -> None:
    def storage() -> t.Any:
        if storage_kind == "json":
            return JSONDirReplayStorage(str(tmp_path / "cassette"))
        return SQLiteReplayStorage(str(tmp_path / "cassette.sqlite"))

    api = make_api(replay=Replay("record", storage()))
    slot_id = api.find_slot_id("2024-01-31", SAP)
    sub = api.create_submission(slot_id, "Extract", {"platform": "ADF"})
    sub.submit_metrics("Extract", metrics={"rows": 3})
    api.close()
    blobs = []
    for root, _, files in os.walk(tmp_path):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                blobs.append(handle.read())
    assert blobs
    data = b"\n".join(blobs)
    for secret in _secrets(azure):
        assert secret.encode() not in data
    assert b"oauth2/v2.0/token" in data  # the token exchange is recorded, scrubbed
    received = luco.count() + azure.count()
    offline = make_api(replay=Replay("replay", storage()))  # the same job, with no network
    slot_again = offline.find_slot_id("2024-01-31", SAP)
    again = offline.create_submission(slot_again, "Extract", {"platform": "ADF"})
    assert (slot_again, again.id) == (slot_id, sub.id) and again.submit_metrics("Extract", metrics={"rows": 3})
    assert luco.count() + azure.count() == received
    assert offline.snapshot().total.replays > 0
