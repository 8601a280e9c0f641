"""Bearer tokens (cached, refreshed, single-flight, one re-auth on 401), API keys, redirects."""

from __future__ import annotations

import threading
import time
import typing as t

import pytest

from luco_client import (
    AccessToken,
    ApiKeyAuth,
    AuthenticationError,
    BearerTokenAuth,
    ConfigurationError,
    GracefulSession,
)
from luco_client.testing import FakeClock, FlakyServer, Redirect, Reply


class Issuer:
    """A token provider that hands out tok-1, tok-2, ... valid for ``ttl`` seconds."""

    def __init__(self, clock: FakeClock, ttl: float = 3600, delay: float = 0.0) -> None:
        self.clock, self.ttl, self.delay, self.calls = clock, ttl, delay, 0
        self.lock = threading.Lock()

    def __call__(self) -> AccessToken:
        with self.lock:
            self.calls += 1
            n = self.calls
        time.sleep(self.delay)
        return AccessToken.expiring_in(f"tok-{n}-secretvalue", self.ttl, clock=self.clock)


def test_token_is_cached_and_sent(server: FlakyServer) -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    session = GracefulSession()
    session.auth = BearerTokenAuth(issuer, clock=clock)
    session.get(server.url + "/a")
    session.get(server.url + "/b")
    assert issuer.calls == 1
    assert [r.header("Authorization") for r in server.received()] == ["Bearer tok-1-secretvalue"] * 2


def test_token_is_refreshed_before_expiry(server: FlakyServer) -> None:
    clock = FakeClock()
    issuer = Issuer(clock, ttl=300)
    session = GracefulSession()
    session.auth = BearerTokenAuth(issuer, clock=clock, refresh_margin=60)
    session.get(server.url + "/a")
    clock.advance(239)
    session.get(server.url + "/a")
    assert issuer.calls == 1
    clock.advance(2)  # 59 s before expiry: inside the margin
    session.get(server.url + "/a")
    assert issuer.calls == 2
    assert server.received()[-1].header("Authorization") == "Bearer tok-2-secretvalue"


def test_refresh_is_single_flight_across_threads(server: FlakyServer) -> None:
    clock = FakeClock()
    issuer = Issuer(clock, delay=0.2)
    session = GracefulSession()
    session.auth = BearerTokenAuth(issuer, clock=clock)
    threads = [threading.Thread(target=session.get, args=(server.url + "/a",)) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert issuer.calls == 1 and server.count("/a") == 8


def test_one_reauth_on_401_then_resend(server: FlakyServer) -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    server.script("/orders", Reply(401), Reply(201, {"id": 1}))
    session = GracefulSession()
    session.auth = BearerTokenAuth(issuer, clock=clock)
    response = session.post(server.url + "/orders", json={"sku": "A"})
    assert response.status_code == 201 and issuer.calls == 2
    sent = [r.header("Authorization") for r in server.received("/orders")]
    assert sent == ["Bearer tok-1-secretvalue", "Bearer tok-2-secretvalue"]
    assert [r.json() for r in server.received("/orders")] == [{"sku": "A"}] * 2
    assert [h.status_code for h in response.history] == [401]


def test_second_401_is_returned(server: FlakyServer) -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    server.script("/a", Reply(401))
    session = GracefulSession()
    session.auth = BearerTokenAuth(issuer, clock=clock)
    assert session.get(server.url + "/a").status_code == 401
    assert server.count("/a") == 2 and issuer.calls == 2


def test_provider_failure_is_typed_and_redacted() -> None:
    def broken() -> AccessToken:
        raise RuntimeError("invalid client_secret=hunter2-very-secret")

    auth = BearerTokenAuth(broken)
    with pytest.raises(AuthenticationError) as info:
        auth.token()
    assert "hunter2" not in str(info.value) and "RuntimeError" in str(info.value)


def test_token_repr_hides_the_secret() -> None:
    token = AccessToken("abcdef-secret-token", 1.0)
    assert "abcdef" not in repr(token)
    assert "abcdef" not in repr(ApiKeyAuth("abcdef-secret-key"))


def test_api_key_in_header_and_in_query(server: FlakyServer) -> None:
    session = GracefulSession()
    session.get(server.url + "/h", auth=ApiKeyAuth("key-123456"))
    session.get(server.url + "/q", params={"a": "1"}, auth=ApiKeyAuth("key-123456", query_param="api_key"))
    assert server.received("/h")[0].header("X-Api-Key") == "key-123456"
    assert server.received("/q")[0].query == {"a": "1", "api_key": "key-123456"}


@pytest.mark.parametrize("auth_factory,header", [
    (lambda clock: BearerTokenAuth(Issuer(clock), clock=clock), "Authorization"),
    (lambda clock: ApiKeyAuth("key-abcdef-123"), "X-Api-Key"),
    (lambda clock: ApiKeyAuth("key-abcdef-123", header="X-Luco-Client"), "X-Luco-Client"),
])
def test_redirect_to_another_port_drops_credentials(
    server: FlakyServer, other_server: FlakyServer, auth_factory: t.Callable[[FakeClock], t.Any], header: str
) -> None:
    server.script("/start", Redirect(other_server.url + "/landing"))
    session = GracefulSession(credential_headers=["X-Other-Secret"])
    session.auth = auth_factory(FakeClock())
    response = session.get(server.url + "/start", headers={"X-Other-Secret": "s3cr3t-value", "Accept": "text/plain"})
    assert response.status_code == 200
    assert server.received("/start")[0].header(header) is not None
    landed = other_server.received("/landing")[0]
    assert landed.header(header) is None
    assert landed.header("X-Other-Secret") is None
    assert landed.header("Accept") == "text/plain"  # ordinary headers survive


def test_same_origin_redirect_keeps_credentials(server: FlakyServer) -> None:
    server.script("/start", Redirect("/landing"))
    session = GracefulSession()
    session.auth = ApiKeyAuth("key-abcdef-123")
    session.get(server.url + "/start")
    assert server.received("/landing")[0].header("X-Api-Key") == "key-abcdef-123"


def test_401_after_a_cross_origin_redirect_does_not_send_the_token(
    server: FlakyServer, other_server: FlakyServer
) -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    server.script("/start", Redirect(other_server.url + "/landing"))
    other_server.script("/landing", Reply(401))
    session = GracefulSession()
    session.auth = BearerTokenAuth(issuer, clock=clock)
    assert session.get(server.url + "/start").status_code == 401
    assert [r.header("Authorization") for r in other_server.received()] == [None]
    assert issuer.calls == 1


def test_api_key_with_a_scheme_word(server: FlakyServer, other_server: FlakyServer) -> None:
    key = "k-scheme-" + "7" * 16
    auth = ApiKeyAuth(key, "Authorization", scheme="Api-Key")
    server.script("/start", Redirect(other_server.url + "/landing"))
    session = GracefulSession()
    session.get(server.url + "/h", auth=auth)
    session.get(server.url + "/start", auth=auth)
    assert server.received("/h")[0].header("Authorization") == f"Api-Key {key}"
    assert other_server.received("/landing")[0].header("Authorization") is None  # dropped on the way out
    assert key not in repr(auth) and "Api-Key" in repr(auth)


@pytest.mark.parametrize("kwargs", [{"scheme": "Api Key"}, {"scheme": ""}, {"scheme": "Api-Key", "query_param": "k"}])
def test_api_key_scheme_must_be_one_header_word(kwargs: t.Dict[str, t.Any]) -> None:
    with pytest.raises(ConfigurationError):
        ApiKeyAuth("key-123456", "Authorization", **kwargs)
