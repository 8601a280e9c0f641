"""``Dcipher``: run a workflow, wait for it, save its outputs (a drop-in for dcipher 0.3.5).

One call of :meth:`Dcipher.run_flow`:

1. the save path is checked (before anything is started);
2. ``POST /flows/{id}/run`` through the client's session, under the retry-safety rule
   (resent only when it provably never reached the server, or was refused with 429/503 and
   ``Retry-After``);
3. unless told not to wait, ``GET /flows/{id}/status`` is polled on the
   :class:`~luco_client.workflows.PollPolicy` schedule until the task ends;
4. with a ``save_path``, every output is downloaded through ``session.download`` (streamed,
   resumed, verified, atomic; all-or-nothing for several outputs).

An overall ``deadline`` bounds all of it. Everything goes through one
:class:`~luco_client.client.ApiClient` (one session, one connection pool, one ``Stats``).
"""

from __future__ import annotations

import math
import os
import threading
import typing as t

from luco_client.client import ApiClient, Settings
from luco_client.errors import ConfigurationError, DeadlineExceededError, PossiblyAppliedWriteError
from luco_client.transport import ApiKeyAuth, CallOptions, GracefulRetry, Replay, Timeout
from luco_client.workflows._endpoints import DEFAULT_TIMEOUT, FlowsApi, RunReply, client_settings, default_retry
from luco_client.workflows._errors import (
    APIStatusError,
    MalformedReplyError,
    WorkflowTimeoutError,
    possibly_started,
)
from luco_client.workflows._logging import apply_env_logging
from luco_client.workflows._outputs import Saver, check_save_path
from luco_client.workflows._polling import Poller, PollPolicy, log
from luco_client.workflows._results import FlowProgress, FlowResult, FlowStatus, ProgressCallback

__all__ = ["Dcipher", "FlowClientBase", "NO_KEY_MESSAGE"]

#: dcipher's message when no API key is given or set in the environment.
NO_KEY_MESSAGE = "Please either provide api_key or set DCIPHER_API_KEY environment variable."
_REFUSED = frozenset({429, 503})


def _refused(error: APIStatusError) -> bool:
    """A 429/503 with Retry-After: the server refused the work, so nothing was started."""
    return error.status in _REFUSED and any(k.lower() == "retry-after" for k in error.headers)


def _uncertain(error: APIStatusError) -> bool:
    """An answer to the run POST that dcipher would have retried but that does not prove
    the run was refused."""
    status = error.status
    return (status in (408, 409, 429) or status >= 500) and not _refused(error)


class FlowClientBase(ApiClient):
    """What :class:`Dcipher` and :class:`~luco_client.workflows.AsyncDcipher` share: the
    constructor, the settings, the session and the three steps (start, status, save).

    :param api_key: the API key; default ``DCIPHER_API_KEY`` (read now, not at import).
        Neither: ``ValueError`` (a :class:`~luco_client.errors.ConfigurationError`) with
        dcipher's message. Sent as ``Authorization: Api-Key <key>`` to the API's own origin
        only, never to the storage host, never to a redirect target elsewhere.
    :param max_retries: attempts per API call in total, the first included (0 and 1: one
        attempt). Default 100, as dcipher. Retried: connection errors and timeouts, 408,
        409, 429, 5xx, malformed replies; exponential backoff 0.5 s doubling to 15 s;
        ``Retry-After`` honoured. The run POST is resent only when that is safe.
    :param base_url: the API root; default ``DCIPHER_BASE_URL``, else the class attribute
        ``BASE_URL`` (``https://api.dcipheranalytics.com``).
    :param timeout: per-request timeout: seconds, ``(connect, read)`` or a
        :class:`~luco_client.transport.Timeout`. Default connect 10 s, read 60 s (for
        downloads: between two chunks).
    :param poll: a :class:`~luco_client.workflows.PollPolicy`. Default 0.2 s, x1.15, at most 5 s.
    :param deadline: seconds for a whole ``run_flow`` call (run POST, polling, downloads,
        retries and sleeps). Default ``None``: no overall limit (a flow may run for hours).
        When it runs out: :class:`~luco_client.workflows.WorkflowTimeoutError`.
    :param progress: default progress callback, called with each
        :class:`~luco_client.workflows.FlowProgress`. Default ``None``.
    :param retry: a :class:`~luco_client.transport.GracefulRetry` replacing the one built
        from ``max_retries`` (not both).
    :param throttle: a :class:`~luco_client.transport.Throttle` (or rule) for the API
        calls. Default ``None``.
    :param replay: a :class:`~luco_client.transport.Replay` to record or replay the API
        calls. Default ``None``.
    :param chunk_size: bytes per download chunk (memory used per download). Default 1 MiB.
    :param stats: a :class:`~luco_client.stats.Stats` to count in; default a new one.
    :param clock: a time source (tests); default the system clock.
    :param pool_maxsize: connections kept per host. Default 10.
    """

    #: The API root when neither ``base_url=`` nor ``DCIPHER_BASE_URL`` says otherwise
    #: (overriding it redirects the client, as with dcipher).
    BASE_URL: t.ClassVar[str] = "https://api.dcipheranalytics.com"

    def __init__(
        self,
        api_key: t.Optional[str] = None,
        max_retries: t.Optional[int] = None,
        *,
        base_url: t.Optional[str] = None,
        timeout: t.Union[Timeout, float, t.Tuple[float, float], None] = None,
        poll: t.Optional[PollPolicy] = None,
        deadline: t.Optional[float] = None,
        progress: t.Optional[ProgressCallback] = None,
        retry: t.Optional[GracefulRetry] = None,
        throttle: t.Any = None,
        replay: t.Optional[Replay] = None,
        chunk_size: int = 1 << 20,
        stats: t.Any = None,
        clock: t.Any = None,
        pool_maxsize: t.Optional[int] = None,
    ) -> None:
        key = api_key or os.environ.get("DCIPHER_API_KEY")
        if not key:
            raise ConfigurationError(NO_KEY_MESSAGE)
        if retry is not None and max_retries is not None:
            raise ConfigurationError("give max_retries= or retry=GracefulRetry(...), not both")
        if retry is not None and not isinstance(retry, GracefulRetry):
            raise ConfigurationError(f"retry must be a GracefulRetry, got {retry!r}")
        if poll is not None and not isinstance(poll, PollPolicy):
            raise ConfigurationError(f"poll must be a PollPolicy, got {poll!r}")
        if progress is not None and not callable(progress):
            raise ConfigurationError(f"progress must be callable, got {progress!r}")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1024:
            raise ConfigurationError(f"chunk_size must be a number of bytes >= 1024, got {chunk_size!r}")
        self.deadline = _check_deadline(deadline)
        apply_env_logging()
        extra: t.Dict[str, t.Any] = {} if clock is None else {"clock": clock}
        if pool_maxsize is not None:
            extra["pool_maxsize"] = pool_maxsize
        resolved_url = base_url or os.environ.get("DCIPHER_BASE_URL") or type(self).BASE_URL
        policy = retry if retry is not None else default_retry(max_retries, clock)
        super().__init__(replay, base_url=resolved_url, settings=client_settings(policy, timeout, throttle),
                         stats=stats, auth=ApiKeyAuth(key, "Authorization", scheme="Api-Key"),
                         environment_once=True, **extra)  # proxies, CA bundle, .netrc: read once per host
        #: Attempts per API call (dcipher's ``max_retries``).
        self.max_retries = policy.max_attempts
        self.poll = poll if poll is not None else PollPolicy()
        self.progress = progress
        self.chunk_size = chunk_size
        self._download_options = CallOptions(retry=policy, timeout=Timeout.coerce(timeout, DEFAULT_TIMEOUT))

    # ------------------------------------------------------------------ steps

    def _deadline_at(self, started: float, deadline: t.Optional[float]) -> t.Optional[float]:
        seconds = _check_deadline(deadline) if deadline is not None else self.deadline
        return None if seconds is None else started + seconds

    def _left(self, deadline_at: t.Optional[float], flow_id: str, task_id: t.Optional[str], doing: str,
              status: t.Optional[str] = None) -> t.Optional[float]:
        """Seconds left before the deadline (``None``: no deadline); raises when none are."""
        if deadline_at is None:
            return None
        left = deadline_at - self.clock.monotonic()
        if left <= 0:
            raise WorkflowTimeoutError(
                f"flow {flow_id}: the deadline ran out before {doing}"
                + (f"; task {task_id} may still be running on the server" if task_id else ""),
                flow_id=flow_id, task_id=task_id, last_status=status)
        return left

    def _within(self, deadline_at: t.Optional[float], flow_id: str, task_id: t.Optional[str],
                doing: str) -> t.Optional[Settings]:
        left = self._left(deadline_at, flow_id, task_id, doing)
        return None if left is None else Settings(deadline=left)

    def _start(self, flow_id: str, params: t.Mapping[str, t.Any], deadline_at: t.Optional[float]) -> FlowResult:
        """``POST /flows/{flow_id}/run``: the run's result dict."""
        _check_flow_id(flow_id)
        if not isinstance(params, t.Mapping):
            raise ConfigurationError(f"params must be a dict of the flow's parameters, got {type(params).__name__}")
        settings = self._within(deadline_at, flow_id, None, "the run request")
        try:
            reply: RunReply = self.post(FlowsApi.RUN_FLOW, {"FLOW_ID": flow_id},
                                        json={"pipelineParams": dict(params)}, settings=settings)
        except PossiblyAppliedWriteError as exc:
            raise possibly_started(exc, flow_id, "the run request was sent but no answer came back") from None
        except MalformedReplyError as exc:
            raise possibly_started(exc, flow_id, "the API accepted the run request but its reply cannot be "
                                                 "read") from None
        except APIStatusError as exc:
            if _uncertain(exc):
                raise possibly_started(exc, flow_id, f"the run request was answered {exc.status}") from None
            raise
        except DeadlineExceededError as exc:  # nothing reached the server, or it refused
            raise WorkflowTimeoutError(f"flow {flow_id}: the deadline ran out before a run was started "
                                       f"({exc.message})", phase=exc.phase, attempts=exc.attempts,
                                       elapsed=exc.elapsed, method=exc.method, url=exc.url, flow_id=flow_id,
                                       task_id=None, last_status=None) from None
        log.info("flow %s: run started, task %s", flow_id, reply.task_id,
                 extra={"luco_event": "workflow.started", "luco_flow_id": flow_id, "luco_task_id": reply.task_id})
        return FlowResult(flow_id, reply.task_id, reply.url, reply.urls)

    def _fetch_status(self, flow_id: str, task_id: str, deadline_at: t.Optional[float] = None,
                      poller: t.Optional[Poller] = None) -> FlowStatus:
        """``GET /flows/{flow_id}/status?taskId=...`` (retried freely)."""
        _check_flow_id(flow_id)
        if not isinstance(task_id, str) or not task_id:
            raise ConfigurationError(f"task_id must be a non-empty string, got {task_id!r}")
        settings = self._within(deadline_at, flow_id, task_id, "the next status poll")
        try:
            return t.cast(FlowStatus, self.get(FlowsApi.FLOW_STATUS, {"FLOW_ID": flow_id},
                                               params={"taskId": task_id}, settings=settings))
        except MalformedReplyError as exc:
            raise MalformedReplyError(f"flow {flow_id} task {task_id}: {exc.message}",
                                      body_excerpt=exc.body_excerpt, flow_id=flow_id, task_id=task_id) from None
        except DeadlineExceededError as exc:
            if poller is None or isinstance(exc, WorkflowTimeoutError):
                raise
            raise poller.timeout(f"during a status poll ({exc.message})", exc.phase) from None

    def _save(self, run: FlowResult, save_path: str, started: float, deadline_at: t.Optional[float], *,
              report: t.Optional[t.Callable[[FlowProgress], None]],
              cancelled: t.Optional[threading.Event] = None) -> None:
        """Download every output of ``run`` (see :mod:`._outputs`)."""
        saver = Saver(self.session, run, started=started, clock=self.clock,
                      remaining=lambda: self._left(deadline_at, run.flow_id, run.task_id, "saving the outputs",
                                                   run.status),
                      options=self._download_options, chunk_size=self.chunk_size, report=report,
                      cancelled=cancelled)
        try:
            saver.save(save_path)
        except DeadlineExceededError as exc:
            if isinstance(exc, WorkflowTimeoutError):
                raise
            raise WorkflowTimeoutError(
                f"flow {run.flow_id}: the deadline ran out while saving the outputs of task {run.task_id} "
                f"(nothing was written at the target paths; resume with wait_for_flow()): {exc.message}",
                phase=exc.phase, attempts=exc.attempts, elapsed=exc.elapsed, method=exc.method, url=exc.url,
                flow_id=run.flow_id, task_id=run.task_id, last_status=run.status) from None

    def _report(self, report: t.Optional[ProgressCallback], stage: str, run: FlowResult, started: float) -> None:
        if report is not None:
            report(FlowProgress(stage, run.flow_id, run.task_id, run.status, self.clock.monotonic() - started))


class Dcipher(FlowClientBase):
    """The workflow runner, synchronous (a drop-in for ``dcipher.Dcipher``).

    ``Dcipher(api_key=None, max_retries=100)`` as in dcipher, plus the keyword-only
    settings described in :class:`FlowClientBase`. It is an
    :class:`~luco_client.client.ApiClient`: ``report_status()``, ``explain()``, ``stats``,
    ``close()`` and ``with Dcipher() as client:`` work as for any client. One instance may
    be shared by threads.
    """

    def run_flow(self, flow_id: str, params: t.Mapping[str, t.Any], save_path: t.Optional[str] = None,
                 wait_until_completion: bool = False, *, deadline: t.Optional[float] = None,
                 progress: t.Optional[ProgressCallback] = None) -> FlowResult:
        """Start flow ``flow_id`` with ``params`` (its ``pipelineParams``) and return
        dcipher's result dict (a :class:`~luco_client.workflows.FlowResult`).

        :param save_path: save the outputs there (see :func:`output_paths` for the names
            of several outputs). **Passing it waits for the task and saves**, as dcipher's
            README shows (dcipher 0.3.5 saved nothing unless also told to wait).
        :param wait_until_completion: wait until the task ends, without saving.
        :param deadline: seconds for this call; default the client's ``deadline``.
        :param progress: a progress callback for this call; default the client's.

        Raises :class:`~luco_client.workflows.WorkflowFailedException` when the task ends
        FAILED/CANCELLED/CANCELFAILED, :class:`~luco_client.workflows.RunPossiblyStartedError`
        when the run POST may have started a run but was not confirmed (never resent),
        the dcipher error class of an error status, ``WorkflowTimeoutError`` when the
        deadline runs out, and the transport's download errors while saving.
        """
        started = self.clock.monotonic()
        deadline_at = self._deadline_at(started, deadline)
        report = progress if progress is not None else self.progress
        path = check_save_path(save_path) if save_path is not None else None
        run = self._start(flow_id, params, deadline_at)
        self._report(report, "started", run, started)
        if wait_until_completion or path is not None:
            self._finish(run, path, started, deadline_at, report)
        run.elapsed = self.clock.monotonic() - started
        return run

    def wait_for_flow(self, flow_id: str, run: t.Mapping[str, t.Any], save_path: t.Optional[str] = None, *,
                      deadline: t.Optional[float] = None,
                      progress: t.Optional[ProgressCallback] = None) -> FlowResult:
        """Wait for a run started earlier (``run`` is the dict ``run_flow`` returned, or
        its JSON) and save its outputs to ``save_path`` if given: the way to resume after
        ``wait_until_completion=False``, a ``WorkflowTimeoutError`` or a crash."""
        started = self.clock.monotonic()
        deadline_at = self._deadline_at(started, deadline)
        report = progress if progress is not None else self.progress
        path = check_save_path(save_path) if save_path is not None else None
        result = FlowResult.of(flow_id, run)
        self._finish(result, path, started, deadline_at, report)
        result.elapsed = self.clock.monotonic() - started
        return result

    def flow_status(self, flow_id: str, task_id: str) -> FlowStatus:
        """One status poll of task ``task_id`` of flow ``flow_id`` (retried freely)."""
        return self._fetch_status(flow_id, task_id)

    def _finish(self, run: FlowResult, path: t.Optional[str], started: float, deadline_at: t.Optional[float],
                report: t.Optional[ProgressCallback]) -> None:
        poller = Poller(self.poll, self.clock, flow_id=run.flow_id, task_id=run.task_id, started=started,
                        deadline_at=deadline_at, report=report)
        retry_after: t.Optional[float] = None
        while True:
            self.clock.sleep(poller.next_delay(retry_after))
            reply = self._fetch_status(run.flow_id, run.task_id, deadline_at, poller)
            done = poller.observe(reply)
            run.status, run.message = poller.status, poller.message
            if done:
                break
            retry_after = reply.retry_after
        if path is not None:
            self._save(run, path, started, deadline_at, report=report)
        self._report(report, "done", run, started)

    def __enter__(self) -> Dcipher:
        return self


def _check_flow_id(flow_id: t.Any) -> None:
    if not isinstance(flow_id, str) or not flow_id:
        raise ConfigurationError(f"flow_id must be a non-empty string, got {flow_id!r}")


def _check_deadline(value: t.Any) -> t.Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ConfigurationError(f"deadline must be positive, finite seconds or None, got {value!r}")
    return float(value)
