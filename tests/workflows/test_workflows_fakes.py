"""The fake workflows API and its storage host behave as the protocol says (raw requests)."""

from __future__ import annotations

import time
import typing as t

import requests

from luco_client.testing import Apply, Blob, Drop, Flow, WorkflowsServer

H = t.Dict[str, str]


def _auth(api: WorkflowsServer) -> H:
    return {"Authorization": f"Api-Key {api.api_key}"}


def test_the_api_checks_the_key_scheme_and_the_body(api: WorkflowsServer) -> None:
    run = api.url + "/flows/f1/run"
    assert requests.post(run, json={"pipelineParams": {}}).status_code == 401
    assert requests.post(run, json={"pipelineParams": {}},
                         headers={"Authorization": f"Bearer {api.api_key}"}).status_code == 401
    bad = requests.post(run, data="not json", headers=_auth(api))
    assert bad.status_code == 400 and "message" in bad.json()
    assert requests.post(run, json={"params": {}}, headers=_auth(api)).status_code == 400
    api.flows["strict"] = Flow(required_params=("table",))
    missing = requests.post(api.url + "/flows/strict/run", json={"pipelineParams": {}}, headers=_auth(api))
    assert missing.status_code == 422 and "table" in missing.json()["message"]
    api.flows["secret"] = Flow(forbidden=True)
    assert requests.post(api.url + "/flows/secret/run", json={"pipelineParams": {}},
                         headers=_auth(api)).status_code == 403
    assert api.runs() == []


def test_runs_progress_on_the_server_clock_and_outputs_wait_for_success() -> None:
    with WorkflowsServer(flow=Flow(duration=0.6, outputs=2)) as api:
        reply = requests.post(api.url + "/flows/f1/run", json={"pipelineParams": {"x": 1}}, headers=_auth(api)).json()
        task, urls = reply["taskId"], reply["signedResponseURLs"]
        status_url = api.url + "/flows/f1/status"
        assert requests.get(status_url, params={"taskId": task}, headers=_auth(api)).json() == {
            "status": "setting up cluster"}
        assert requests.get(urls[0]).status_code == 404  # not before the run succeeded
        time.sleep(0.7)
        done = requests.get(status_url, params={"taskId": task}, headers=_auth(api)).json()
        assert done == {"status": "SUCCEEDED", "message": ""}
        assert requests.get(urls[1]).json() == {"taskId": task, "output": 1, "params": {"x": 1}}
        assert requests.get(status_url, params={"taskId": "nope"}, headers=_auth(api)).status_code == 404
        assert requests.get(api.url + "/flows/other/status", params={"taskId": task},
                            headers=_auth(api)).status_code == 404  # a task of another flow
        assert [r.task_id for r in api.runs("f1")] == [task]


def test_the_storage_host_refuses_credentials_and_bad_signatures(api: WorkflowsServer) -> None:
    url = api.storage.put("x/1", b"payload")
    assert requests.get(url).content == b"payload"
    assert requests.get(url, headers={"Authorization": "Bearer abc"}).status_code == 400
    assert requests.get(url, headers={"X-Anything": api.api_key}).status_code == 400  # the key, anywhere
    assert requests.get(url + "&k=" + api.api_key).status_code == 400
    assert len(api.storage.refused) >= 2
    assert requests.get(url.replace("Signature=", "Signature=0")).status_code == 403
    assert requests.post(url).status_code == 405


def test_the_storage_host_serves_ranges_and_breaks_on_request(api: WorkflowsServer) -> None:
    blob = Blob(300_000, seed=9)
    url = api.storage.put("big", blob)
    part = requests.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == blob.read(1000, 2000)
    assert part.headers["Content-Range"] == "bytes 1000-1999/300000"
    api.storage.fail_next(drop_after=10_000)
    broken = requests.get(url, stream=True)
    assert int(broken.headers["Content-Length"]) == blob.size
    try:
        received: t.Optional[int] = len(broken.content)  # urllib3 1.26 returns the short body
    except requests.exceptions.ChunkedEncodingError:  # urllib3 2 says it broke off
        received = None
    assert received in (None, 10_000)
    assert requests.get(url).content == blob.read()  # one fault, then healthy
    with WorkflowsServer(ignore_range=True) as plain:
        url = plain.storage.put("big", blob)
        assert requests.get(url, headers={"Range": "bytes=5-"}).status_code == 200


def test_after_apply_faults_start_the_run_and_drop_the_answer(api: WorkflowsServer) -> None:
    api.script("/flows/f1/run", Apply(api.route, Drop()), api.route, method="POST")
    try:
        requests.post(api.url + "/flows/f1/run", json={"pipelineParams": {}}, headers=_auth(api))
        raise AssertionError("the answer should have been dropped")
    except requests.exceptions.ConnectionError:
        pass
    assert len(api.runs("f1")) == 1 and len(api.run_requests("f1")) == 1
