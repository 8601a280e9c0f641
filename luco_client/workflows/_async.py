"""``AsyncDcipher``: the workflow runner for asyncio code (a drop-in for ``dcipher.AsyncDcipher``).

It never blocks the event loop. Each HTTP step (the run POST, one status poll, saving the
outputs) runs in a worker thread of the client's own pool, on the same synchronous core,
session and connection pool as :class:`~luco_client.workflows.Dcipher` (no second HTTP
stack); the waits between polls are ``asyncio.sleep``. A thread is busy only while a step
runs, so ``max_workers`` (default 32) calls can be in a step at once and any number can be
waiting: ten ``run_flow`` calls gathered together take about as long as one.

Progress callbacks run in the event loop's thread. Cancelling a call stops it: a download
in progress is abandoned at its next chunk (its temporary file removed, nothing left at the
target).
"""

from __future__ import annotations

import asyncio
import functools
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

from luco_client.errors import ConfigurationError
from luco_client.workflows._client import FlowClientBase
from luco_client.workflows._outputs import Cancelled, check_save_path
from luco_client.workflows._polling import Poller
from luco_client.workflows._results import FlowProgress, FlowResult, FlowStatus, ProgressCallback

__all__ = ["AsyncDcipher"]

T = t.TypeVar("T")


class _LoopReporter:
    """Delivers progress from worker threads to the callback, in the event loop's thread.
    An exception the callback raises is kept, and stops the call (``cancelled`` is set)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: t.Optional[ProgressCallback],
                 cancelled: threading.Event) -> None:
        self.loop = loop
        self.callback = callback
        self.cancelled = cancelled
        self.error: t.Optional[BaseException] = None

    def in_loop(self, progress: FlowProgress) -> None:
        if self.callback is None or self.error is not None:
            return
        try:
            self.callback(progress)
        except Exception as exc:  # the caller's bug: end the call with it
            self.error = exc
            self.cancelled.set()

    def from_thread(self, progress: FlowProgress) -> None:
        if self.cancelled.is_set():
            raise Cancelled()
        self.loop.call_soon_threadsafe(self.in_loop, progress)

    def check(self) -> None:
        if self.error is not None:
            raise self.error


class AsyncDcipher(FlowClientBase):
    """The workflow runner for asyncio (``await client.run_flow(...)``).

    Same constructor as :class:`~luco_client.workflows.Dcipher` (see
    :class:`~luco_client.workflows.FlowClientBase`), plus:

    :param max_workers: worker threads running the HTTP steps (one per call in a step).
        Default 32; the connection pool keeps as many connections per host.

    Use ``async with AsyncDcipher() as client:`` or call :meth:`aclose` to release the
    threads and connections. Unlike dcipher's, it is not a subclass of ``Dcipher``: its
    ``run_flow`` is a coroutine.
    """

    def __init__(self, api_key: t.Optional[str] = None, max_retries: t.Optional[int] = None, *,
                 max_workers: int = 32, **kwargs: t.Any) -> None:
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ConfigurationError(f"max_workers must be a number of threads >= 1, got {max_workers!r}")
        kwargs.setdefault("pool_maxsize", max(10, max_workers))
        super().__init__(api_key, max_retries, **kwargs)
        self.max_workers = max_workers
        self._executor: t.Optional[ThreadPoolExecutor] = None
        self._executor_lock = threading.Lock()

    def _pool(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.max_workers, thread_name_prefix="luco-dcipher")
            return self._executor

    async def _in_thread(self, fn: t.Callable[..., T], *args: t.Any, **kwargs: t.Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), functools.partial(fn, *args, **kwargs))

    async def run_flow(self, flow_id: str, params: t.Mapping[str, t.Any], save_path: t.Optional[str] = None,
                       wait_until_completion: bool = False, *, deadline: t.Optional[float] = None,
                       progress: t.Optional[ProgressCallback] = None) -> FlowResult:
        """As :meth:`Dcipher.run_flow <luco_client.workflows.Dcipher.run_flow>`, awaited:
        start the flow, and with ``save_path`` (or ``wait_until_completion=True``) wait for
        it and save its outputs; returns dcipher's result dict."""
        started = self.clock.monotonic()
        deadline_at = self._deadline_at(started, deadline)
        path = check_save_path(save_path) if save_path is not None else None
        reporter = _LoopReporter(asyncio.get_running_loop(), progress if progress is not None else self.progress,
                                 threading.Event())
        run = await self._in_thread(self._start, flow_id, params, deadline_at)
        self._report(reporter.in_loop, "started", run, started)
        reporter.check()
        if wait_until_completion or path is not None:
            await self._finish(run, path, started, deadline_at, reporter)
        run.elapsed = self.clock.monotonic() - started
        return run

    async def wait_for_flow(self, flow_id: str, run: t.Mapping[str, t.Any], save_path: t.Optional[str] = None, *,
                            deadline: t.Optional[float] = None,
                            progress: t.Optional[ProgressCallback] = None) -> FlowResult:
        """As :meth:`Dcipher.wait_for_flow <luco_client.workflows.Dcipher.wait_for_flow>`, awaited."""
        started = self.clock.monotonic()
        deadline_at = self._deadline_at(started, deadline)
        path = check_save_path(save_path) if save_path is not None else None
        reporter = _LoopReporter(asyncio.get_running_loop(), progress if progress is not None else self.progress,
                                 threading.Event())
        result = FlowResult.of(flow_id, run)
        await self._finish(result, path, started, deadline_at, reporter)
        result.elapsed = self.clock.monotonic() - started
        return result

    async def flow_status(self, flow_id: str, task_id: str) -> FlowStatus:
        """One status poll of task ``task_id`` of flow ``flow_id`` (retried freely)."""
        return await self._in_thread(self._fetch_status, flow_id, task_id)

    async def _finish(self, run: FlowResult, path: t.Optional[str], started: float,
                      deadline_at: t.Optional[float], reporter: _LoopReporter) -> None:
        poller = Poller(self.poll, self.clock, flow_id=run.flow_id, task_id=run.task_id, started=started,
                        deadline_at=deadline_at, report=reporter.in_loop)
        retry_after: t.Optional[float] = None
        while True:
            await asyncio.sleep(poller.next_delay(retry_after))
            reply = await self._in_thread(self._fetch_status, run.flow_id, run.task_id, deadline_at, poller)
            done = poller.observe(reply)
            reporter.check()
            run.status, run.message = poller.status, poller.message
            if done:
                break
            retry_after = reply.retry_after
        if path is not None:
            try:
                await self._in_thread(self._save, run, path, started, deadline_at, report=reporter.from_thread,
                                      cancelled=reporter.cancelled)
            except asyncio.CancelledError:
                reporter.cancelled.set()  # the worker stops at its next chunk and cleans up
                raise
            except Cancelled:
                reporter.check()  # the callback's own exception
                raise
            await asyncio.sleep(0)  # deliver the progress reports already queued
            reporter.check()
        self._report(reporter.in_loop, "done", run, started)
        reporter.check()

    def close(self) -> None:
        """Release the worker threads (without waiting for them) and the connections."""
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)
        super().close()

    async def aclose(self) -> None:
        """:meth:`close`, for ``await``."""
        self.close()

    async def __aenter__(self) -> AsyncDcipher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
