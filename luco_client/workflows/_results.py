"""What a workflow call returns and reports: the result dict, status replies, progress."""

from __future__ import annotations

import typing as t

from luco_client.errors import ConfigurationError

__all__ = ["FlowResult", "FlowStatus", "FlowProgress", "ProgressCallback"]


class FlowStatus(t.NamedTuple):
    """One status reply: ``status`` as the API sent it (``"RUNNING"``, or free text such
    as ``"setting up cluster"`` before the task exists), the API's ``message`` (``""``
    when absent) and ``retry_after``, the seconds the API asked to wait before the next
    poll (``None`` when it did not ask)."""

    status: str
    message: str = ""
    retry_after: t.Optional[float] = None


class FlowResult(t.Dict[str, t.Any]):
    """The dict ``run_flow`` returns, exactly dcipher's: ``{"task_id": ...,
    "signed_response_url": ...}`` or ``{"task_id": ..., "signed_response_urls": [...]}``.

    It compares equal to (and serialises as) that plain dict. It also carries, as
    attributes: ``flow_id``; ``status`` and ``message``, the last status seen (``None``
    when the call did not wait); ``paths``, the files saved (in output order, empty when
    nothing was saved); ``downloads``, the transport's ``DownloadResult`` of each saved
    file (size, checksum, attempts, resumes, elapsed); ``elapsed``, the seconds the call
    took.
    """

    flow_id: str
    status: t.Optional[str]
    message: str
    paths: t.Tuple[str, ...]
    downloads: t.Tuple[t.Any, ...]
    elapsed: float

    def __init__(self, flow_id: str, task_id: str, url: t.Optional[str], urls: t.Optional[t.Sequence[str]]) -> None:
        if url is not None:
            super().__init__(task_id=task_id, signed_response_url=url)
        else:
            super().__init__(task_id=task_id, signed_response_urls=list(urls or ()))
        self.flow_id = flow_id
        self.status = None
        self.message = ""
        self.paths = ()
        self.downloads = ()
        self.elapsed = 0.0

    @classmethod
    def of(cls, flow_id: str, run: t.Mapping[str, t.Any]) -> FlowResult:
        """A FlowResult for a result dict (one returned by ``run_flow``, maybe stored as JSON)."""
        if isinstance(run, FlowResult):
            return run
        task_id = run.get("task_id") if isinstance(run, t.Mapping) else None
        if not isinstance(task_id, str) or not task_id:
            raise ConfigurationError("a run is the dict run_flow returned: {'task_id': ..., "
                                     "'signed_response_url(s)': ...}")
        return cls(flow_id, task_id, run.get("signed_response_url"), run.get("signed_response_urls"))

    @property
    def task_id(self) -> str:
        """The task id (``self["task_id"]``)."""
        return t.cast(str, self["task_id"])

    @property
    def urls(self) -> t.List[str]:
        """The result URLs, in output order (one for the single-URL form)."""
        if "signed_response_url" in self:
            return [self["signed_response_url"]]
        return list(self.get("signed_response_urls") or ())

    @property
    def single(self) -> bool:
        """Whether the API answered in the single-URL form (``signedResponseURL``)."""
        return "signed_response_url" in self


class FlowProgress(t.NamedTuple):
    """One progress report of a workflow call, passed to the ``progress`` callback.

    ``stage`` is ``"started"`` (the run POST succeeded), ``"status"`` (after each status
    poll), ``"download"`` (bytes of an output arrived), ``"saved"`` (an output is on
    disk) or ``"done"``. ``elapsed`` is the seconds since the call began. For downloads,
    ``output`` is the 0-based index of the output among ``outputs``, ``path`` its final
    path, ``done`` its bytes so far, ``total`` its size in bytes (``None`` when the
    server did not say) and ``rate`` the recent speed in bytes per second.
    """

    stage: str
    flow_id: str
    task_id: t.Optional[str]
    status: t.Optional[str]
    elapsed: float
    output: t.Optional[int] = None
    outputs: int = 0
    path: t.Optional[str] = None
    done: int = 0
    total: t.Optional[int] = None
    rate: float = 0.0


class ProgressCallback(t.Protocol):
    """A progress callback: any callable taking one :class:`FlowProgress`. It is called in
    the caller's thread for ``Dcipher``, in the event loop's thread for ``AsyncDcipher``;
    an exception it raises ends the call (a download in progress is abandoned cleanly)."""

    def __call__(self, __progress: FlowProgress) -> None: ...
