"""Bad settings and arguments raise ConfigurationError (a ValueError), never raw errors."""

from __future__ import annotations

import typing as t

import pytest

from luco_client import (
    BearerTokenAuth,
    CallOptions,
    ConfigurationError,
    GracefulSession,
    InvalidRequestError,
    LogEvent,
    Throttle,
    ThrottleRule,
)
from luco_client.testing import FlakyServer

BAD: t.List[t.Callable[[], object]] = [
    lambda: GracefulSession(retry="3 times"),
    lambda: GracefulSession(throttle="1 per second"),
    lambda: GracefulSession(throttle=Throttle(ThrottleRule(".*", 1)), throttling=Throttle(ThrottleRule(".*", 2))),
    lambda: GracefulSession(retries=3),
    lambda: GracefulSession(timeout="slow"),
    lambda: CallOptions(deadline=-1),
    lambda: CallOptions(idempotent="yes"),
    lambda: CallOptions(timeout="1s"),
    lambda: CallOptions(retry=3),
    lambda: CallOptions(success_statuses=["not-a-status"]),
    lambda: CallOptions(validators=[42]),
    lambda: LogEvent("LOUD"),
    lambda: LogEvent(20, template=42),
    lambda: ThrottleRule(123, 1),
    lambda: Throttle("rule"),
    lambda: BearerTokenAuth("not callable"),
]


@pytest.mark.parametrize("build", BAD)
def test_bad_settings_are_configuration_errors(build: t.Callable[[], object]) -> None:
    with pytest.raises(ConfigurationError) as info:
        build()
    assert isinstance(info.value, ValueError) and str(info.value)


def test_options_must_be_call_options(server: FlakyServer) -> None:
    with pytest.raises(ConfigurationError):
        GracefulSession().get(server.url, options={"idempotent": True})  # type: ignore[arg-type]


def test_log_level_names_are_accepted() -> None:
    assert LogEvent("warning").level == 30


def test_credentials_with_control_characters_are_refused_without_echo() -> None:
    from luco_client import AccessToken, ApiKeyAuth, AuthenticationError

    with pytest.raises(AuthenticationError) as token_error:
        AccessToken("tok-secret-123\n")
    with pytest.raises(ConfigurationError) as key_error:
        ApiKeyAuth("ak_live_secret\n")
    assert "tok-secret-123" not in str(token_error.value)
    assert "ak_live_secret" not in str(key_error.value)


def test_bad_header_value_is_typed_and_not_echoed(server: FlakyServer) -> None:
    from luco_client import InvalidRequestError

    with pytest.raises(InvalidRequestError) as info:
        GracefulSession().get(server.url, headers={"X-Api-Key": "ak_live_SECRET123\r\nX-Evil: 1"})
    assert "ak_live_SECRET123" not in str(info.value)
    assert server.count() == 0


@pytest.mark.parametrize("build", [
    lambda: __import__("luco_client").Timeout(read=float("inf")),
    lambda: CallOptions(deadline=float("inf")),
    lambda: __import__("luco_client").GracefulRetry(max_delay=float("nan")),
    lambda: __import__("luco_client").GracefulRetry(deadline=float("inf")),
])
def test_infinite_or_nan_numbers_are_refused(build: t.Callable[[], object]) -> None:
    with pytest.raises(ConfigurationError):
        build()


def test_backoff_of_a_very_late_retry_is_capped_not_overflowing() -> None:
    from luco_client import GracefulRetry

    assert GracefulRetry(delay=1, delay_modifier=2, max_delay=30, jitter=0).backoff(5000) == 30


@pytest.mark.parametrize("kwargs", [
    {"verify": "/no/such/ca-bundle.pem"}, {"verify": 123}, {"cert": "/no/such/cert.pem"}, {"cert": ("a",)},
    {"cert": ("a", "b", "c")}, {"proxies": "http://proxy"}, {"data": object()}, {"cookies": {"a": 1}},
])
def test_bad_request_arguments_are_invalid_request_errors(server: FlakyServer, kwargs: dict) -> None:
    from luco_client import InvalidRequestError

    with pytest.raises(InvalidRequestError):
        GracefulSession().post(server.url + "/x", **kwargs)
    assert server.count() == 0


def test_bad_method_is_typed() -> None:
    from luco_client import InvalidRequestError

    with pytest.raises(InvalidRequestError):
        GracefulSession().request(None, "http://127.0.0.1:1/")  # type: ignore[arg-type]


def test_sessions_refuse_to_be_pickled_with_a_typed_error() -> None:
    import pickle

    with pytest.raises(ConfigurationError):
        pickle.dumps(GracefulSession())


@pytest.mark.parametrize("location", ["http://127.0.0.1:99999/x", "http://127.0.0.1:abc/x"])
def test_redirect_to_a_bad_port_is_a_redirect_error(server: FlakyServer, location: str) -> None:
    from luco_client import RedirectError
    from luco_client.testing import Redirect

    server.script("/moved", Redirect(location))
    with pytest.raises(RedirectError):
        GracefulSession().get(server.url + "/moved")


def test_malformed_response_header_is_a_failure_after_sending(server: FlakyServer) -> None:
    from luco_client import PossiblyAppliedWriteError
    from luco_client.testing import Reply

    server.script("/orders", Reply(200, b"ok", {"Content-Length": "2, 3"}))
    with pytest.raises(PossiblyAppliedWriteError):
        GracefulSession().post(server.url + "/orders", json={})
    assert server.count("/orders") == 1


@pytest.mark.parametrize("url", [
    "user:SECRETpw99@api.example.com/v1/orders", "http//admin:SECRETpw99@api.example.com/v1",
    "htp://admin:SECRETpw99@api.example.com/v1", "http://admin:SECRETpw99@api.example.com:99999/v1",
])
def test_mistyped_urls_never_echo_their_password(url: str) -> None:
    from luco_client import InvalidRequestError

    with pytest.raises(InvalidRequestError) as info:
        GracefulSession().get(url)
    assert "SECRETpw99" not in str(info.value) and "SECRETpw99" not in repr(info.value.url)


def test_a_missing_ca_bundle_from_the_environment_is_a_typed_error(server: FlakyServer, monkeypatch: t.Any) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    with pytest.raises(InvalidRequestError, match="REQUESTS_CA_BUNDLE"):
        GracefulSession().get(server.url.replace("http://", "https://") + "/x")
    assert server.count() == 0
