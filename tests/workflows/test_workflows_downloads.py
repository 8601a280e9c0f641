"""Saving outputs through the transport's download primitive, against the fake storage host:
resumes, servers ignoring Range, wrong lengths, failures that leave nothing behind, and no
API credential ever reaching the storage host."""

from __future__ import annotations

import hashlib
import os
import pathlib
import tracemalloc
import typing as t

import pytest

from luco_client import ClientStatusError, ForbiddenError, IncompleteDownloadError
from luco_client.testing import Blob, FakeClock, Flow, Redirect, Reply, WorkflowsServer
from luco_client.workflows import Dcipher, WorkflowTimeoutError

MakeClient = t.Callable[..., Dcipher]
MiB = 1 << 20


def _sha(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


def test_a_dropped_connection_is_resumed_with_range(api: WorkflowsServer, make_client: MakeClient,
                                                    tmp_path: pathlib.Path, clock: FakeClock) -> None:
    blob = Blob(6 * MiB, seed=11)
    api.flows["big"] = Flow(duration=0, outputs=[blob])
    api.storage.fail_next(drop_after=2 * MiB + 5)
    result = make_client(clock=clock).run_flow("big", {}, save_path=str(tmp_path / "big.bin"))
    download = result.downloads[0]
    assert download.resumes == 1 and download.restarts == 0 and download.size == blob.size
    assert _sha(tmp_path / "big.bin") == blob.sha256
    ranges = [r.header("Range") for r in api.storage.object_requests()]
    assert len(ranges) == 2 and ranges[0] is None
    resumed_at = int(ranges[1][len("bytes="):-1])
    assert 0 < resumed_at <= 2 * MiB + 5  # from what was on disk (whole chunks), not from zero


def test_a_server_ignoring_range_restarts_from_zero(tmp_path: pathlib.Path, clock: FakeClock) -> None:
    blob = Blob(3 * MiB, seed=5)
    with WorkflowsServer(flow=Flow(duration=0, outputs=[blob]), ignore_range=True) as api:
        api.storage.fail_next(drop_after=MiB)
        client = Dcipher(api.api_key, base_url=api.url, clock=clock)
        result = client.run_flow("any", {}, save_path=str(tmp_path / "o.bin"))
        client.close()
    assert result.downloads[0].restarts == 1
    assert _sha(tmp_path / "o.bin") == blob.sha256


def test_a_body_shorter_than_its_content_length_is_never_accepted(
        api: WorkflowsServer, make_client: MakeClient, tmp_path: pathlib.Path, clock: FakeClock) -> None:
    """Every answer announces 1000 bytes more than the object has. The client asks for the
    missing bytes (Range from the real end); the storage host answers 416, and the call
    fails typed with nothing written. (The workflows API gives no size or checksum, so the
    announced length is the only check; the primitive reports the refused resume as the
    416 status error, or as IncompleteDownloadError.)"""
    api.flows["short"] = Flow(duration=0, outputs=[Blob(MiB, seed=2)])
    api.storage.fail_next(length_delta=1000, times=100)
    with pytest.raises((IncompleteDownloadError, ClientStatusError)) as info:
        make_client(clock=clock, max_retries=3).run_flow("short", {}, save_path=str(tmp_path / "o.bin"))
    assert isinstance(info.value, IncompleteDownloadError) or info.value.status == 416
    assert [r.header("Range") for r in api.storage.object_requests()] == [None, f"bytes={MiB}-"]
    assert os.listdir(tmp_path) == []  # no file, no temporary file


def test_a_failed_save_leaves_an_existing_file_untouched(api: WorkflowsServer, make_client: MakeClient,
                                                         tmp_path: pathlib.Path, clock: FakeClock) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(b"yesterday's report")
    run = make_client(clock=clock).run_flow("now", {})
    object_path = "/objects/" + api.runs("now")[0].objects[0]
    api.storage.script(object_path, Reply(403, {"message": "AccessDenied"}))
    with pytest.raises(ForbiddenError):
        make_client(clock=clock).wait_for_flow("now", run, str(target))
    assert target.read_bytes() == b"yesterday's report"
    assert os.listdir(tmp_path) == ["report.json"]


def test_several_outputs_are_all_or_nothing(api: WorkflowsServer, make_client: MakeClient, tmp_path: pathlib.Path,
                                            clock: FakeClock) -> None:
    (tmp_path / "out_0.json").write_text("old 0")
    run = make_client(clock=clock).run_flow("multi", {})
    api.storage.script("/objects/" + api.runs("multi")[0].objects[2], Reply(404, {"message": "NoSuchKey"}))
    with pytest.raises(Exception) as info:
        make_client(clock=clock, max_retries=1).wait_for_flow("multi", run, str(tmp_path / "out.json"))
    assert getattr(info.value, "status", None) == 404
    assert sorted(os.listdir(tmp_path)) == ["out_0.json"]  # outputs 0 and 1 arrived but were not put in place
    assert (tmp_path / "out_0.json").read_text() == "old 0"


def test_no_api_credential_reaches_the_storage_host_even_through_a_redirect(
        api: WorkflowsServer, make_client: MakeClient, tmp_path: pathlib.Path, clock: FakeClock) -> None:
    """The result URL points at the API's own origin and redirects to the storage host: neither
    hop carries the key (the storage host refuses any credential with 400)."""
    stored = api.storage.put("redirected/result", b'{"ok": true}')
    api.script("/flows/hop/run", Reply(200, {"taskId": "t-hop", "signedResponseURL": api.url + "/results/t-hop"}))
    api.script("/flows/hop/status", Reply(200, {"status": "SUCCEEDED"}))
    api.script("/results/t-hop", Redirect(stored))
    make_client(clock=clock).run_flow("hop", {}, save_path=str(tmp_path / "r.json"))
    assert (tmp_path / "r.json").read_bytes() == b'{"ok": true}'
    hop = api.received("/results/t-hop")[0]
    assert hop.header("Authorization") is None
    assert api.storage.refused == []
    for received in api.storage.received():
        assert received.header("Authorization") is None and api.api_key not in str(received)
    assert api.received("/flows/hop/run")[0].header("Authorization") == f"Api-Key {api.api_key}"


def test_the_deadline_covers_the_download(api: WorkflowsServer, make_client: MakeClient,
                                          tmp_path: pathlib.Path) -> None:
    api.flows["huge"] = Flow(duration=0, outputs=[Blob(64 * MiB, seed=3)])
    api.storage.fail_next(drop_after=MiB, times=1000)  # never completes: always resumed, always dropped
    with pytest.raises(WorkflowTimeoutError) as info:
        make_client(deadline=1.5).run_flow("huge", {}, save_path=str(tmp_path / "h.bin"))
    assert info.value.task_id == api.runs("huge")[0].task_id and "saving the outputs" in info.value.message
    assert os.listdir(tmp_path) == []


def test_memory_stays_bounded_while_saving_a_large_output(api: WorkflowsServer, make_client: MakeClient,
                                                          tmp_path: pathlib.Path, clock: FakeClock) -> None:
    """Python allocations (client and the in-process fake together) stay a few MiB for a
    64 MiB output: the body is never held whole. Peak RSS for 200 MiB is in bench/workflows.py."""
    api.flows["large"] = Flow(duration=0, outputs=[Blob(64 * MiB, seed=8)])
    client = make_client(clock=clock)
    tracemalloc.start()
    try:
        client.run_flow("large", {}, save_path=str(tmp_path / "l.bin"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "l.bin").stat().st_size == 64 * MiB
    assert peak < 12 * MiB, peak
