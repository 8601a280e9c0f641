"""The workflows API on the declarative layer: its endpoint table and its settings.

Two endpoints (see ``workflows-api.md``)::

    RUN_FLOW      POST /flows/{FLOW_ID}/run      body {"pipelineParams": params}  resent only when safe
    FLOW_STATUS   GET  /flows/{FLOW_ID}/status   query taskId                     retried freely

Each endpoint's :class:`~luco_client.client.Settings` carry the reply check (a validator,
so that a malformed status reply is retried inside the attempt loop), the parser (the
typed reply, or dcipher's error class for an error status) and, for the run POST,
``idempotent=False``: the transport then resends it only when it provably never reached
the server (NOT_SENT) or the server refused it with 429/503 and ``Retry-After``.
"""

from __future__ import annotations

import json
import math
import time
import typing as t

from luco_client.client import Endpoint, Settings, parse_retry_after
from luco_client.errors import ConfigurationError, TransportError
from luco_client.events import redact_text
from luco_client.transport import GracefulRetry, Timeout
from luco_client.workflows._errors import STATUS_ERRORS, MalformedReplyError
from luco_client.workflows._results import FlowStatus

if t.TYPE_CHECKING:
    import requests

__all__ = ["FlowsApi", "RunReply", "RETRY_ON", "DEFAULT_TIMEOUT", "default_retry", "client_settings"]

#: What is retried, as dcipher's README promises: connection errors and timeouts, 408,
#: 409, 429 and every 5xx, plus malformed replies (a proxy's HTML page). The transport's
#: retry-safety rule applies on top, so the run POST is only resent when that is safe.
RETRY_ON: t.FrozenSet[t.Union[int, t.Type[BaseException]]] = frozenset(
    {408, 409, 429, *range(500, 600), TransportError, MalformedReplyError})
#: Per-request timeouts of API calls: connect 10 s, read 60 s (dcipher: 60 s each).
DEFAULT_TIMEOUT = Timeout(connect=10.0, read=60.0)
_EXCERPT = 300


class RunReply(t.NamedTuple):
    """A run reply: the task id, and the single result URL or the list of them."""

    task_id: str
    url: t.Optional[str]
    urls: t.Optional[t.List[str]]


def _excerpt(response: requests.Response) -> str:
    try:
        text = response.content.decode("utf-8", "replace")
    except Exception:  # a body that cannot even be read: say so
        return "<unreadable body>"
    text = " ".join(text.split())
    return redact_text(text[:_EXCERPT] + ("..." if len(text) > _EXCERPT else ""))


def _json_object(response: requests.Response, what: str) -> t.Dict[str, t.Any]:
    try:
        body = json.loads(response.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise MalformedReplyError(f"the {what} reply (status {response.status_code}) is not a JSON object",
                                  body_excerpt=_excerpt(response))
    return body


def read_run_reply(response: requests.Response) -> RunReply:
    """The run reply, checked: a JSON object with a ``taskId`` and ``signedResponseURL``
    (a non-empty string, which wins when both are present, as in dcipher) or
    ``signedResponseURLs`` (a list of strings). Anything else raises
    :class:`MalformedReplyError`."""
    body = _json_object(response, "run")
    task = body.get("taskId")
    if isinstance(task, int) and not isinstance(task, bool):
        task = str(task)
    if not isinstance(task, str) or not task:
        raise MalformedReplyError("the run reply has no taskId", body_excerpt=_excerpt(response))
    if "signedResponseURL" in body:
        url = body["signedResponseURL"]
        if not isinstance(url, str) or not url:
            raise MalformedReplyError(f"task {task}: signedResponseURL is not a URL", task_id=task,
                                      body_excerpt=_excerpt(response))
        return RunReply(task, url, None)
    urls = body.get("signedResponseURLs")
    if urls is None:
        raise MalformedReplyError(f"task {task}: the run reply has neither signedResponseURL nor "
                                  "signedResponseURLs", task_id=task, body_excerpt=_excerpt(response))
    if not isinstance(urls, list) or not all(isinstance(u, str) and u for u in urls):
        raise MalformedReplyError(f"task {task}: signedResponseURLs is not a list of URLs", task_id=task,
                                  body_excerpt=_excerpt(response))
    return RunReply(task, None, list(urls))


def read_status_reply(response: requests.Response) -> FlowStatus:
    """The status reply, checked: a JSON object whose ``status`` is a non-empty string
    (any text: the API reports free text before the task exists); ``message`` optional.
    A ``Retry-After`` header becomes ``retry_after``. Else :class:`MalformedReplyError`."""
    body = _json_object(response, "status")
    status = body.get("status")
    if not isinstance(status, str) or not status.strip():
        raise MalformedReplyError("the status reply has no status (or it is not a string)",
                                  body_excerpt=_excerpt(response))
    message = body.get("message")
    retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
    return FlowStatus(status, "" if message is None else str(message), retry_after)


def _check_run(response: requests.Response) -> None:
    read_run_reply(response)


def _check_status(response: requests.Response) -> None:
    read_status_reply(response)


def _parser(read: t.Callable[[requests.Response], t.Any]) -> t.Dict[t.Union[int, str], t.Any]:
    return {**STATUS_ERRORS, "default": read}


class FlowsApi:
    """The endpoint table of the workflows API."""

    RUN_FLOW = Endpoint("/flows/{FLOW_ID}/run", Settings(
        idempotent=False, validators=_check_run, parser=_parser(read_run_reply)))
    FLOW_STATUS = Endpoint("/flows/{FLOW_ID}/status", Settings(
        validators=_check_status, parser=_parser(read_status_reply)))


def default_retry(max_retries: t.Any, clock: t.Any = None) -> GracefulRetry:
    """dcipher's retry promise as a :class:`GracefulRetry`: ``max_retries`` attempts in
    total (0 and 1 both mean one attempt; default 100), exponential backoff from 0.5 s
    doubling to at most 15 s, with up to 0.5 s of jitter; ``Retry-After`` is honoured up
    to 120 s."""
    if max_retries is None:
        max_retries = 100
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be a whole number of attempts >= 0, got {max_retries!r}")
    extra = {} if clock is None else {"clock": clock}
    return GracefulRetry(max_attempts=max(1, max_retries), delay=0.5, delay_modifier=2.0, max_delay=15.0,
                         jitter=0.5, retry_on=RETRY_ON, **extra)


def client_settings(retry: GracefulRetry, timeout: t.Any, throttle: t.Any) -> Settings:
    """The client-level settings: the retry policy, the per-request timeout and an
    optional throttle for the API calls."""
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and not (
            0 < timeout < math.inf):
        raise ConfigurationError(f"timeout must be positive seconds, got {timeout!r}")
    values: t.Dict[str, t.Any] = {"retry": retry, "timeout": timeout}
    if throttle is not None:
        values["throttling"] = throttle
    return Settings(**values)
