"""AsyncDcipher: never blocks the event loop; calls gathered together run concurrently."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pathlib
import threading
import time
import typing as t

import pytest

from luco_client.testing import Blob, Flow, WorkflowsServer
from luco_client.workflows import (
    AsyncDcipher,
    FlowProgress,
    PollPolicy,
    RunPossiblyStartedError,
    WorkflowFailedException,
)

MakeAsync = t.Callable[..., AsyncDcipher]
MiB = 1 << 20


class Ticker:
    """Measures how late the event loop runs a 10 ms sleep: a blocked loop shows as a gap."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.ticks = 0
        self._stop = False

    async def run(self) -> None:
        while not self._stop:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, time.monotonic() - before - 0.01)
            self.ticks += 1

    def stop(self) -> None:
        self._stop = True


def test_ten_runs_gathered_take_about_as_long_as_one(api: WorkflowsServer, make_async: MakeAsync,
                                                     tmp_path: pathlib.Path) -> None:
    """Ten 1-second flows, each saved: run one after the other they would take >= 10 s
    (unloaded, the ten take ~1.2 s together). The bounds absorb a heavily loaded machine;
    the server's stamps show the overlap."""
    api.flows["one-second"] = Flow(duration=1.0, first_status=None)
    client = make_async()

    async def main() -> t.List[t.Any]:
        return await asyncio.gather(*(client.run_flow("one-second", {"n": n}, save_path=str(tmp_path / f"o{n}.json"))
                                      for n in range(10)))

    started = time.monotonic()
    results = asyncio.run(main())
    wall = time.monotonic() - started
    assert len({r["task_id"] for r in results}) == 10 and len(os.listdir(tmp_path)) == 10
    assert wall < 5.0, wall  # one after the other: >= 10 s
    runs = api.runs("one-second")
    assert max(r.started for r in runs) - min(r.started for r in runs) < 2.5  # in turn: the last >= 9 s late


def test_the_loop_stays_responsive_while_polling_and_saving(api: WorkflowsServer, make_async: MakeAsync,
                                                            tmp_path: pathlib.Path) -> None:
    """Polls 1 s apart, and a download that breaks once (so its worker sleeps a retry backoff
    of at least 0.5 s): were any of that done on the loop, the ticker would see a gap of
    0.5 s or more. The bound (0.4 s) leaves room for scheduling on a loaded 2-core machine."""
    blob = Blob(32 * MiB, seed=21)
    api.flows["big"] = Flow(duration=1.5, outputs=[blob])
    api.storage.fail_next(drop_after=8 * MiB)
    client = make_async(poll=PollPolicy(first=1.0, backoff=1.0, max_interval=1.0))
    ticker = Ticker()

    async def main() -> t.Any:
        tick = asyncio.ensure_future(ticker.run())
        try:
            return await client.run_flow("big", {}, save_path=str(tmp_path / "big.bin"))
        finally:
            ticker.stop()
            await tick

    result = asyncio.run(main())
    digest = hashlib.sha256((tmp_path / "big.bin").read_bytes()).hexdigest()
    assert digest == blob.sha256 and result.downloads[0].resumes == 1  # the backoff really happened
    assert len(api.status_requests("big")) >= 2 and ticker.ticks > 50
    assert ticker.worst < 0.4, ticker.worst


def test_progress_callbacks_run_in_the_loop_thread(api: WorkflowsServer, make_async: MakeAsync,
                                                   tmp_path: pathlib.Path) -> None:
    client = make_async()
    threads: t.Set[int] = set()
    seen: t.List[FlowProgress] = []

    def progress(p: FlowProgress) -> None:
        threads.add(threading.get_ident())
        seen.append(p)

    async def main() -> int:
        await client.run_flow("multi", {}, save_path=str(tmp_path / "m.json"), progress=progress)
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert threads == {loop_thread}
    assert {p.stage for p in seen} == {"started", "status", "download", "saved", "done"}


def test_an_exception_in_the_callback_ends_the_call_and_saves_nothing(api: WorkflowsServer, make_async: MakeAsync,
                                                                      tmp_path: pathlib.Path) -> None:
    api.flows["big"] = Flow(duration=0, outputs=[Blob(32 * MiB, seed=2)])
    client = make_async(chunk_size=64 * 1024)

    def progress(p: FlowProgress) -> None:
        if p.stage == "download" and p.done > MiB:
            raise RuntimeError("stop right there")

    with pytest.raises(RuntimeError, match="stop right there"):
        asyncio.run(client.run_flow("big", {}, save_path=str(tmp_path / "b.bin"), progress=progress))
    time.sleep(0.2)  # give the worker a moment; nothing may appear later either
    assert os.listdir(tmp_path) == []


def test_cancelling_a_call_stops_its_download_and_leaves_nothing(api: WorkflowsServer, make_async: MakeAsync,
                                                                 tmp_path: pathlib.Path) -> None:
    api.flows["big"] = Flow(duration=0, outputs=[Blob(256 * MiB, seed=4)])
    client = make_async(chunk_size=64 * 1024)

    async def main() -> None:
        task = asyncio.ensure_future(client.run_flow("big", {}, save_path=str(tmp_path / "b.bin")))
        while not api.storage.object_requests():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    deadline = time.monotonic() + 5
    while os.listdir(tmp_path) and time.monotonic() < deadline:  # the worker removes its temporary file
        time.sleep(0.05)
    assert os.listdir(tmp_path) == []


def test_async_errors_are_the_same_classes(api: WorkflowsServer, make_async: MakeAsync) -> None:
    from luco_client.testing import Apply, Drop

    client = make_async()
    with pytest.raises(WorkflowFailedException):
        asyncio.run(client.run_flow("fails", {}, wait_until_completion=True))
    api.script("/flows/f1/run", Apply(api.route, Drop()), method="POST")
    with pytest.raises(RunPossiblyStartedError):
        asyncio.run(client.run_flow("f1", {}))
    assert len(api.run_requests("f1")) == 1


def test_async_context_manager_and_one_pool(api: WorkflowsServer, tmp_path: pathlib.Path) -> None:
    async def main() -> t.Any:
        async with AsyncDcipher(api.api_key, base_url=api.url) as client:
            results = await asyncio.gather(*(client.run_flow("now", {}, wait_until_completion=True) for _ in range(5)))
            status = await client.flow_status("now", results[0]["task_id"])
            return client, status

    client, status = asyncio.run(main())
    assert status.status == "SUCCEEDED"
    assert client.stats.snapshot().total.calls >= 10  # every call of every run in one client's stats
