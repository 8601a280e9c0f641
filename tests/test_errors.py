"""The exception tree: shape, messages, redaction, copying between processes."""

from __future__ import annotations

import pickle

import pytest

from luco_client import (
    AttemptRecord,
    BadRequestError,
    ClientStatusError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    GracefulRetry,
    GracefulSession,
    HTTPStatusError,
    InvalidRequestError,
    LucoClientError,
    NotFoundError,
    Phase,
    PossiblyAppliedWriteError,
    ServerStatusError,
    TooManyRequestsError,
    TransportError,
    UnauthorizedError,
    UnprocessableEntityError,
    errors,
    raise_for_status,
)
from luco_client.testing import FlakyServer, Reply


def test_every_public_error_is_in_the_tree_and_documented() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, LucoClientError)
            assert name in doc, f"{name} missing from the tree drawing"
            assert obj.__doc__


@pytest.mark.parametrize("status,cls", [
    (400, BadRequestError), (401, UnauthorizedError), (403, ForbiddenError), (404, NotFoundError),
    (409, ConflictError), (422, UnprocessableEntityError), (429, TooManyRequestsError),
    (418, ClientStatusError), (500, ServerStatusError), (503, ServerStatusError), (599, ServerStatusError),
])
def test_status_family_classes(server: FlakyServer, status: int, cls: type) -> None:
    server.script("/x", Reply(status, {"message": "nope"}))
    response = GracefulSession(retry=None).get(server.url + "/x")
    with pytest.raises(cls) as info:
        raise_for_status(response)
    err = info.value
    assert type(err) is cls and isinstance(err, HTTPStatusError)
    assert (err.status, err.method) == (status, "GET")
    assert err.url == server.url + "/x"
    assert '"message": "nope"' in err.body_excerpt


def test_message_says_method_url_status_attempts_and_time(server: FlakyServer) -> None:
    server.script("/x", Reply(500, "boom"))
    session = GracefulSession(retry=GracefulRetry(max_attempts=2, delay=0, jitter=0))
    with pytest.raises(ServerStatusError) as info:
        session.get(server.url + "/x", params={"access_token": "tok-abcdefgh", "page": "2"})
    text = str(info.value)
    assert f"GET {server.url}/x?access_token=REDACTED&page=2" in text
    assert "status 500" in text and "2 attempts" in text and "s]" in text and "boom" in text
    assert "tok-abcdefgh" not in text


def test_errors_survive_pickling_with_all_fields() -> None:
    attempts = (AttemptRecord(1, Phase.SENT_NO_RESPONSE, None, "[Request Error: x]", 0.2),)
    samples = [
        PossiblyAppliedWriteError("maybe applied", phase=Phase.SENT_NO_RESPONSE, method="POST",
                                  url="http://h/o", attempts=attempts, elapsed=0.3, idempotency_key="k1"),
        TooManyRequestsError(status=429, reason="Too Many", body_excerpt="slow", headers={"Retry-After": "3"},
                             method="GET", url="http://h", attempts=attempts, elapsed=1.0),
        errors.RetryAfterTooLongError("later", status=503, retry_after=600.0, retry_at=1e9, limit=120.0),
        ConfigurationError("bad setting"),
    ]
    for err in samples:
        copy = pickle.loads(pickle.dumps(err))
        assert type(copy) is type(err) and copy == err and str(copy) == str(err)
        assert copy.attempts == err.attempts
    assert pickle.loads(pickle.dumps(samples[0])).idempotency_key == "k1"
    assert pickle.loads(pickle.dumps(samples[2])).retry_at == 1e9


def test_configuration_errors_are_value_errors() -> None:
    assert issubclass(ConfigurationError, ValueError)
    assert issubclass(InvalidRequestError, ConfigurationError)
    assert not issubclass(TransportError, ValueError)


@pytest.mark.parametrize("kwargs", [
    {"url": "http://[bad"}, {"url": "no-scheme.example"}, {"url": "ftp://example.com/file"},
    {"url": "http://h/", "json": {"when": object()}}, {"url": "http://h/", "headers": {"X-A": 1.5}},
    {"url": "http://h/", "headers": {"X-A": "bad\nvalue"}},
])
def test_unsendable_requests_raise_invalid_request_error(kwargs: dict) -> None:
    with pytest.raises(InvalidRequestError) as info:
        GracefulSession().request("GET", **kwargs)
    assert isinstance(info.value, ValueError)


def test_redirect_loop_is_a_typed_error(server: FlakyServer) -> None:
    from luco_client import TooManyRedirectsError
    from luco_client.testing import Redirect

    server.script("/loop", Redirect("/loop"))
    session = GracefulSession()
    session.max_redirects = 3
    with pytest.raises(TooManyRedirectsError) as info:
        session.get(server.url + "/loop")
    assert "3 redirects" in str(info.value) and server.count("/loop") == 4


def test_malformed_redirect_location_is_a_typed_error(server: FlakyServer) -> None:
    from luco_client import RedirectError
    from luco_client.testing import Redirect

    server.script("/start", Redirect("http://[::1/landing"))
    with pytest.raises(RedirectError):
        GracefulSession().get(server.url + "/start")
