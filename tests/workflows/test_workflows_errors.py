"""dcipher's error names inside luco_client's tree: statuses, malformed replies, no raw errors."""

from __future__ import annotations

import pickle
import typing as t

import pytest

import luco_client
from luco_client import errors
from luco_client.testing import FakeClock, Flow, Reply, WorkflowsServer
from luco_client.workflows import (
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Dcipher,
    DcipherError,
    InternalServerError,
    MalformedReplyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RunPossiblyStartedError,
    UnprocessableEntityError,
    exceptions,
)

MakeClient = t.Callable[..., Dcipher]

# status -> (dcipher's class, the luco_client class it also is)
CASES = [
    (400, BadRequestError, errors.BadRequestError),
    (401, AuthenticationError, errors.UnauthorizedError),
    (403, PermissionDeniedError, errors.ForbiddenError),
    (404, NotFoundError, errors.NotFoundError),
    (409, ConflictError, errors.ConflictError),
    (422, UnprocessableEntityError, errors.UnprocessableEntityError),
    (429, RateLimitError, errors.TooManyRequestsError),
    (500, InternalServerError, errors.ServerStatusError),
    (503, InternalServerError, errors.ServerStatusError),
    (418, APIStatusError, errors.HTTPStatusError),
]


@pytest.mark.parametrize("status,cls,ours", CASES)
def test_each_status_of_the_status_call_raises_dcipher_s_class_which_is_also_ours(
        api: WorkflowsServer, make_client: MakeClient, clock: FakeClock, *, status: int, cls: t.Type[Exception],
        ours: t.Type[Exception]) -> None:
    client = make_client(clock=clock, max_retries=2)
    run = client.run_flow("slow", {})
    api.script("/flows/slow/status", Reply(status, {"message": f"server says {status}"}))
    with pytest.raises(cls) as info:
        client.wait_for_flow("slow", run)
    err = info.value
    assert isinstance(err, ours) and isinstance(err, errors.HTTPStatusError) and isinstance(err, DcipherError)
    assert type(err).__name__ == cls.__name__  # exactly dcipher's class, not a subclass of it
    assert err.status_code == status and err.message == f"server says {status}"
    assert err.body == {"message": f"server says {status}"} and err.request is None
    retried = status in (409, 429) or status >= 500
    assert len(api.status_requests("slow")) == (2 if retried else 1) == err.attempt_count


@pytest.mark.parametrize("status,cls,ours", [c for c in CASES if c[0] not in (409, 429, 500, 503)])
def test_the_run_call_maps_statuses_the_same_way(api: WorkflowsServer, make_client: MakeClient, status: int,
                                                 cls: t.Type[Exception], ours: t.Type[Exception]) -> None:
    api.script("/flows/f1/run", Reply(status, {"message": "no"}))
    with pytest.raises(cls) as info:
        make_client().run_flow("f1", {})
    assert isinstance(info.value, ours) and not isinstance(info.value, RunPossiblyStartedError)
    assert len(api.run_requests("f1")) == 1


def test_a_real_404_from_the_fake_is_not_found(api: WorkflowsServer, make_client: MakeClient) -> None:
    with WorkflowsServer(flow=None) as strict:
        client = Dcipher(strict.api_key, base_url=strict.url)
        with pytest.raises(NotFoundError) as info:
            client.run_flow("no-such-flow", {})
        assert isinstance(info.value, luco_client.NotFoundError)  # dcipher 0.3.5 raised the base class
        with pytest.raises(NotFoundError):
            client.flow_status("no-such-flow", "t-0")
        client.close()


def test_an_error_body_that_is_not_json_still_gives_the_typed_error(api: WorkflowsServer, make_client: MakeClient,
                                                                    clock: FakeClock) -> None:
    api.script("/flows/f1/run", Reply(400, "<html><body>Bad Gateway Proxy</body></html>"))
    with pytest.raises(BadRequestError) as info:
        make_client(clock=clock).run_flow("f1", {})
    assert info.value.body is None and "Bad Gateway Proxy" in str(info.value)
    assert len(api.run_requests("f1")) == 1  # dcipher 0.3.5 retried this POST (a JSON decoding error)


@pytest.mark.parametrize("reply,what", [
    ({"signedResponseURLs": []}, "no taskId"),
    ({"taskId": "t-1"}, "neither signedResponseURL nor signedResponseURLs"),
    ({"taskId": "t-1", "signedResponseURLs": "http://x"}, "not a list of URLs"),
    ("<html>maintenance</html>", "not a JSON object"),
])
def test_a_malformed_run_reply_is_typed_and_the_run_is_not_resent(
        api: WorkflowsServer, make_client: MakeClient, clock: FakeClock, reply: t.Any, what: str) -> None:
    api.script("/flows/f1/run", Reply(200, reply))
    with pytest.raises(MalformedReplyError) as info:
        make_client(clock=clock).run_flow("f1", {})
    err = info.value
    assert what in err.message and isinstance(err, RunPossiblyStartedError) and err.flow_id == "f1"
    assert len(api.run_requests("f1")) == 1


@pytest.mark.parametrize("reply", [{"message": "no status"}, {"status": None}, {"status": 3}, ["SUCCEEDED"]])
def test_a_malformed_status_reply_is_retried_then_typed(api: WorkflowsServer, make_client: MakeClient,
                                                       clock: FakeClock, reply: t.Any) -> None:
    client = make_client(clock=clock, max_retries=3)
    run = client.run_flow("slow", {})
    api.script("/flows/slow/status", Reply(200, reply))
    with pytest.raises(MalformedReplyError) as info:
        client.wait_for_flow("slow", run)
    assert info.value.task_id == run["task_id"] and isinstance(info.value, APIError)
    assert len(api.status_requests("slow")) == 3


def test_a_malformed_status_reply_that_heals_is_retried(api: WorkflowsServer, make_client: MakeClient,
                                                        clock: FakeClock) -> None:
    client = make_client(clock=clock)
    run = client.run_flow("slow", {})
    api.script("/flows/slow/status", Reply(200, "<html>proxy</html>"), Reply(200, {"status": "SUCCEEDED"}))
    assert client.wait_for_flow("slow", run).status == "SUCCEEDED"


def test_exhausted_retries_end_in_the_typed_error_never_a_retry_error(api: WorkflowsServer, make_client: MakeClient,
                                                                      clock: FakeClock) -> None:
    client = make_client(clock=clock, max_retries=4)
    run = client.run_flow("slow", {})
    api.script("/flows/slow/status", Reply(503, {"message": "busy"}))
    with pytest.raises(InternalServerError) as info:
        client.wait_for_flow("slow", run)
    assert info.value.attempt_count == 4 and [a.status for a in info.value.attempts] == [503] * 4
    assert clock.sleeps[:3] == sorted(clock.sleeps[:3])  # exponential backoff between them


def test_a_dead_api_is_a_typed_transport_error(make_client: MakeClient, clock: FakeClock) -> None:
    from luco_client.testing import reserve_port

    sock, port = reserve_port()
    try:
        client = make_client(base_url=f"http://127.0.0.1:{port}", clock=clock, max_retries=3)
        with pytest.raises(errors.ConnectError) as info:
            client.run_flow("f1", {})
        assert info.value.attempt_count == 3  # NOT_SENT: safe to resend even the run POST
    finally:
        sock.close()


def test_errors_are_importable_as_in_dcipher_and_survive_pickling(api: WorkflowsServer,
                                                                   make_client: MakeClient) -> None:
    assert exceptions.WorkflowFailedException is luco_client.WorkflowFailedException
    assert {"DcipherError", "APIError", "APIStatusError", "NotFoundError"} <= set(exceptions.__all__)
    api.script("/flows/f1/run", Reply(422, {"message": "param1 is required"}))
    with pytest.raises(UnprocessableEntityError) as info:
        make_client().run_flow("f1", {})
    copy = pickle.loads(pickle.dumps(info.value))
    assert copy == info.value and copy.status_code == 422 and copy.message == "param1 is required"


def test_no_key_gives_dcipher_s_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DCIPHER_API_KEY", raising=False)
    with pytest.raises(ValueError, match=r"^Please either provide api_key or set DCIPHER_API_KEY environment "
                                         r"variable\.$") as info:
        Dcipher()
    assert isinstance(info.value, luco_client.ConfigurationError)


def test_the_key_never_appears_in_errors_or_reprs(api: WorkflowsServer, make_client: MakeClient) -> None:
    api.flows["echo"] = Flow(duration=0)
    api.script("/flows/echo/run", lambda received: Reply(400, {"message": "bad header " + str(received.headers)}))
    client = make_client()
    with pytest.raises(BadRequestError) as info:
        client.run_flow("echo", {})
    assert api.api_key not in str(info.value) and api.api_key not in repr(info.value)
    assert api.api_key not in repr(client) and api.api_key not in str(pickle.dumps(info.value))


@pytest.mark.parametrize("call", [
    lambda c: c.run_flow("", {}), lambda c: c.run_flow(None, {}), lambda c: c.run_flow("f", [1, 2]),
    lambda c: c.run_flow("f", {"x": object()}), lambda c: c.run_flow("f", {}, deadline=-1),
    lambda c: c.flow_status("f", ""),
])
def test_bad_arguments_are_configuration_errors(make_client: MakeClient, api: WorkflowsServer,
                                                call: t.Callable[[Dcipher], t.Any]) -> None:
    with pytest.raises(luco_client.ConfigurationError):
        call(make_client())
    assert api.count() == 0
