"""A stateful fake of the Dcipher workflows API on 127.0.0.1, with its storage host.

Routes (see ``workflows-api.md``)::

    POST /flows/{flowId}/run                 {"pipelineParams": {...}} -> {"taskId", "signedResponseURLs": [...]}
                                             (or "signedResponseURL" for a single-URL flow)
    GET  /flows/{flowId}/status?taskId=...   {"status": "PENDING" | ... | "SUCCEEDED", "message": "..."}

Every request needs ``Authorization: Api-Key <key>`` (401 otherwise); a forbidden flow
answers 403, an unknown flow or task 404, a bad body 400, a missing required parameter
422, all with a JSON ``{"message": ...}`` body. A run goes from a free-text first status
(``setting up cluster``) through ``PENDING`` and ``RUNNING`` to its outcome
(``SUCCEEDED``, ``FAILED``, ``CANCELLED``...) over the flow's ``duration`` seconds,
counted from the moment the server received the run POST.

The result URLs point at a separate :class:`~luco_client.testing.StorageServer` (another
origin, ``server.storage``) that serves each output only once the run has succeeded
(404 before) and refuses any request carrying credentials.

It is a :class:`~luco_client.testing.FlakyServer`: ``script(path, ...)`` injects faults
(a script wins over the routes; end it with ``server.route`` to hand the path back), an
:class:`~luco_client.testing.Apply` fault lets the run be *started* and then drops the
answer, seeded :class:`~luco_client.testing.Faults` apply to unscripted requests, and
``received()`` logs every request. :meth:`WorkflowsServer.runs` counts the runs the server
actually started: the server-side truth for duplicate-run tests.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import typing as t
from dataclasses import dataclass, field
from urllib.parse import unquote

from luco_client.testing._flaky import FlakyServer, Received, Reply
from luco_client.testing._storage import Body, StorageServer

__all__ = ["Flow", "Run", "WorkflowsServer", "DEFAULT_API_KEY", "TERMINAL_STATUSES"]

#: The API key the fake accepts unless told otherwise.
DEFAULT_API_KEY = "dcipher-test-key-5f3a9c1e"
#: Terminal statuses a flow can end with.
TERMINAL_STATUSES = ("SUCCEEDED", "FAILED", "CANCELLED", "CANCELFAILED")

_RUN = re.compile(r"^/flows/(?P<flow>[^/]+)/run$")
_STATUS = re.compile(r"^/flows/(?P<flow>[^/]+)/status$")


@dataclass(frozen=True)
class Flow:
    """How runs of one flow behave.

    :param duration: seconds from the run POST to the outcome. Default 1.0; 0 = done at once.
    :param outputs: a number of small JSON outputs (each names its task, index and
        parameters), or the output bodies themselves (``bytes``, ``str`` or a
        :class:`~luco_client.testing.Blob`, generated on the fly). Default 1.
    :param single_url: answer with ``signedResponseURL`` (one output) instead of
        ``signedResponseURLs``.
    :param outcome: the terminal status: ``SUCCEEDED`` (default), ``FAILED``,
        ``CANCELLED`` or ``CANCELFAILED``.
    :param message: the status ``message`` sent with the outcome (the failure reason).
    :param first_status: free text reported before the task exists (the first 25% of the
        duration; then ``PENDING`` up to 50%, then ``RUNNING``); ``None`` to start at
        ``PENDING``.
    :param required_params: parameter names the flow needs (422 without them).
    :param forbidden: answer 403 to every request about this flow.
    :param status_retry_after: when set, in-progress status replies carry this
        ``Retry-After`` (seconds).
    """

    duration: float = 1.0
    outputs: t.Union[int, t.Sequence[Body]] = 1
    single_url: bool = False
    outcome: str = "SUCCEEDED"
    message: str = ""
    first_status: t.Optional[str] = "setting up cluster"
    required_params: t.Tuple[str, ...] = ()
    forbidden: bool = False
    status_retry_after: t.Optional[float] = None

    def __post_init__(self) -> None:
        if self.outcome not in TERMINAL_STATUSES:
            raise ValueError(f"Flow: outcome must be one of {TERMINAL_STATUSES}, got {self.outcome!r}")
        if not self.duration >= 0:
            raise ValueError(f"Flow: duration must be >= 0 seconds, got {self.duration!r}")


@dataclass
class Run:
    """One run the server started: its task id, flow, parameters, start time
    (``time.monotonic()``), output object names and result URLs."""

    task_id: str
    flow_id: str
    flow: Flow
    params: t.Any
    started: float
    objects: t.List[str] = field(default_factory=list)
    urls: t.List[str] = field(default_factory=list)

    def status(self, now: t.Optional[float] = None) -> str:
        """The status at monotonic time ``now`` (default: now)."""
        elapsed = (time.monotonic() if now is None else now) - self.started
        duration = self.flow.duration
        if elapsed >= duration:
            return self.flow.outcome
        if self.flow.first_status is not None and elapsed < 0.25 * duration:
            return self.flow.first_status
        return "PENDING" if elapsed < 0.5 * duration else "RUNNING"

    def succeeded(self) -> bool:
        """Whether the run has succeeded by now (its outputs are served from then on)."""
        return self.status() == "SUCCEEDED"


def _message(status: int, text: str) -> Reply:
    return Reply(status, {"message": text})


class WorkflowsServer(FlakyServer):
    """The fake workflows API. ``server.url`` is its base URL (pass it as ``base_url=`` or
    ``DCIPHER_BASE_URL``); ``server.storage`` is its storage host.

    :param api_key: the key the API accepts (``Authorization: Api-Key <key>``).
    :param flow: how runs of a flow not listed in ``flows`` behave; ``None``: such flows
        are unknown (404).
    :param flows: ``{flow_id: Flow}`` for flows that behave differently.
    :param storage: a :class:`~luco_client.testing.StorageServer` to put outputs on;
        default: one of its own, started and closed with this server.
    :param ignore_range: passed to the storage host it builds (a host without ``Range``).
    :param seed: seeds the task ids.
    :param kwargs: :class:`~luco_client.testing.FlakyServer` arguments (``faults=``, ``tls=``...).
    """

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, flow: t.Optional[Flow] = Flow(),
                 flows: t.Optional[t.Mapping[str, Flow]] = None, storage: t.Optional[StorageServer] = None,
                 ignore_range: bool = False, seed: int = 0, **kwargs: t.Any) -> None:
        kwargs.pop("default", None)
        super().__init__(default=self.route, **kwargs)
        self.api_key = api_key
        self.flow = flow
        self.flows: t.Dict[str, Flow] = dict(flows or {})
        self._own_storage = storage is None
        self.storage = storage if storage is not None else StorageServer(ignore_range=ignore_range,
                                                                         tls=kwargs.get("tls", False))
        self._random = random.Random(seed)
        self._runs: t.Dict[str, Run] = {}
        self._state = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> WorkflowsServer:
        """Start the API (and its own storage host)."""
        if self._own_storage:
            self.storage.start()
        self.storage.forbid(self.api_key)
        super().start()
        return self

    def close(self) -> None:
        """Stop the API (and its own storage host)."""
        super().close()
        if self._own_storage:
            self.storage.close()

    def __enter__(self) -> WorkflowsServer:
        return self.start()

    # ------------------------------------------------------------------ admin view

    def runs(self, flow_id: t.Optional[str] = None) -> t.List[Run]:
        """The runs the server started (applied run POSTs), oldest first."""
        with self._state:
            return [r for r in self._runs.values() if flow_id is None or r.flow_id == flow_id]

    def run(self, task_id: str) -> Run:
        """The run with ``task_id`` (KeyError if unknown)."""
        with self._state:
            return self._runs[task_id]

    def run_requests(self, flow_id: str) -> t.List[Received]:
        """The run POSTs received for ``flow_id`` (applied or not)."""
        return self.received(f"/flows/{flow_id}/run", "POST")

    def status_requests(self, flow_id: str) -> t.List[Received]:
        """The status GETs received for ``flow_id``."""
        return self.received(f"/flows/{flow_id}/status", "GET")

    # ------------------------------------------------------------------ routing

    def route(self, received: Received) -> t.Any:
        """The API's answer to ``received`` (use it to end a fault script)."""
        if received.header("Authorization") != f"Api-Key {self.api_key}":
            return _message(401, "Invalid API key.")
        run = _RUN.match(received.path)
        status = _STATUS.match(received.path)
        match = run or status
        if match is None:
            return _message(404, "Not found.")
        flow_id = unquote(match.group("flow"))
        flow = self.flows.get(flow_id, self.flow)
        if flow is None:
            return _message(404, f"Flow {flow_id} does not exist.")
        if flow.forbidden:
            return _message(403, f"This API key may not use flow {flow_id}.")
        if run is not None:
            if received.method != "POST":
                return Reply(405, {"message": "Use POST."}, {"Allow": "POST"})
            return self._start(received, flow_id, flow)
        if received.method != "GET":
            return Reply(405, {"message": "Use GET."}, {"Allow": "GET"})
        return self._status(received, flow_id)

    def _start(self, received: Received, flow_id: str, flow: Flow) -> Reply:
        try:
            body = received.json()
        except ValueError:
            return _message(400, "The body must be JSON.")
        params = body.get("pipelineParams") if isinstance(body, dict) else None
        if not isinstance(params, dict):
            return _message(400, "The body must be a JSON object with a 'pipelineParams' object.")
        missing = [name for name in flow.required_params if name not in params]
        if missing:
            return _message(422, f"Missing pipeline parameter(s): {', '.join(missing)}.")
        with self._state:
            task_id = f"{self._random.getrandbits(128):032x}"
            run = Run(task_id, flow_id, flow, params, received.at)
            self._runs[task_id] = run
        bodies: t.Sequence[Body] = (
            [json.dumps({"taskId": task_id, "output": i, "params": params}).encode() for i in range(flow.outputs)]
            if isinstance(flow.outputs, int) else flow.outputs)
        for index, output in enumerate(bodies):
            name = f"{task_id}/output-{index}"
            run.objects.append(name)
            run.urls.append(self.storage.put(name, output, ready=run.succeeded))
        if flow.single_url:
            return Reply(200, {"taskId": task_id, "signedResponseURL": run.urls[0] if run.urls else ""})
        return Reply(200, {"taskId": task_id, "signedResponseURLs": list(run.urls)})

    def _status(self, received: Received, flow_id: str) -> Reply:
        task_id = received.query.get("taskId", "")
        with self._state:
            run = self._runs.get(task_id)
        if run is None or run.flow_id != flow_id:
            return _message(404, f"Task {task_id or '(none)'} of flow {flow_id} does not exist.")
        status = run.status()
        body: t.Dict[str, t.Any] = {"status": status}
        headers: t.Dict[str, str] = {}
        if status in TERMINAL_STATUSES:
            body["message"] = run.flow.message
        elif run.flow.status_retry_after is not None:
            headers["Retry-After"] = f"{run.flow.status_retry_after:g}"
        return Reply(200, body, headers)
