"""Authentication: the Azure AD client-credentials flow through our own session, custom
identities, token caching, refresh, single flight and one refresh-and-replay on 401."""

from __future__ import annotations

import base64
import datetime
import typing as t

import pytest
from luco_helpers import SAP, MakeApi

from luco_client import ApiException, AuthException, GracefulRetry, LucoApi, UnauthorizedError
from luco_client.testing import AzureTokenServer, FakeClock, LucoServer, Reply


def test_client_credentials_request_is_lucopy_s(api: LucoApi, azure: AzureTokenServer) -> None:
    api.get_submission(1001, 5001).status
    (sent,) = azure.received()
    assert sent.method == "POST" and sent.path == "/tenant-0001/oauth2/v2.0/token"
    assert sent.header("content-type") == "application/x-www-form-urlencoded"
    assert sent.body == b"grant_type=client_credentials&scope=api://luco/.default"  # not percent-encoded
    expected = base64.b64encode(f"{azure.client_id}:{azure.client_secret}".encode()).decode()
    assert sent.header("Authorization") == f"Basic {expected}"
    assert sent.header("X-Api-Key") is None


def test_the_token_goes_to_the_api_origin_only_and_is_reused(api: LucoApi, luco: LucoServer,
                                                            azure: AzureTokenServer) -> None:
    sub = api.get_submission(1001, 5001)
    for _ in range(3):
        sub.status
    assert azure.token_requests == 1
    tokens = {r.header("Authorization") for r in luco.received()}
    assert len(tokens) == 1 and tokens.pop().startswith("Bearer fake-at-")
    assert all(not (r.header("Authorization") or "").startswith("Bearer") for r in azure.received())
    report = api.snapshot()
    assert any("/oauth2/v2.0/token" in e.url_template and e.calls == 1 for e in report.endpoints)


def test_token_is_refreshed_before_expiry(make_api: MakeApi, azure: AzureTokenServer, clock: FakeClock) -> None:
    azure.expires_in = 100
    api = make_api(clock=clock)
    sub = api.get_submission(1001, 5001)
    sub.status
    clock.advance(60)  # 40 s left: more than the 30 s margin
    sub.status
    assert azure.token_requests == 1
    clock.advance(15)  # 25 s left: renewed before use
    sub.status
    assert azure.token_requests == 2


def test_eight_threads_at_a_cold_start_make_one_token_request(
        api: LucoApi, azure: AzureTokenServer, luco: LucoServer,
        in_threads: t.Callable[[t.Sequence[t.Callable[[], t.Any]]], t.List[t.Any]]) -> None:
    azure.script(azure.token_path, lambda received: _slow(azure, received))
    statuses = in_threads([lambda: api.get_submission(1001, 5001).status for _ in range(8)])
    assert statuses == ["Completed"] * 8
    assert azure.token_requests == 1
    assert len({r.header("Authorization") for r in luco.received()}) == 1


def _slow(azure: AzureTokenServer, received: t.Any) -> t.Any:
    from luco_client.testing import Delay

    return Delay(0.3, azure.route(received))  # every thread arrives while the first one waits


def test_one_refresh_and_replay_on_401(api: LucoApi, luco: LucoServer, azure: AzureTokenServer) -> None:
    sub = api.get_submission(1001, 5001)
    sub.submit_metrics("Load", metrics={"rows": 1})
    azure.revoke()  # the server forgets the token (rotated keys): the next call gets 401
    assert sub.submit_metrics("Load", metrics={"rows": 2}) is True
    assert azure.token_requests == 2
    posts = luco.received("/api/v2/slots/1001/submissions/5001/metrics", "POST")
    assert [p.json()["metrics"][0]["value"] for p in posts] == [1, 2, 2]
    assert posts[1].header("Authorization") != posts[2].header("Authorization")
    assert luco.applied["metrics"] == 2  # the refused attempt was not applied, its replay was


def test_a_second_401_is_an_api_exception(api: LucoApi, luco: LucoServer, azure: AzureTokenServer) -> None:
    luco.script(luco.submission_path(1001, 5001, v2=True), Reply(401, "Unauthorized"))
    with pytest.raises(UnauthorizedError) as info:
        api.get_submission(1001, 5001).status
    assert isinstance(info.value, ApiException) and info.value.status == 401
    assert azure.token_requests == 2 and luco.count(luco.submission_path(1001, 5001, v2=True)) == 2


def test_wrong_secret_or_tenant_is_an_auth_exception_not_an_api_exception(
        luco: LucoServer, azure: AzureTokenServer, clock: FakeClock) -> None:
    for tenant, secret in (("tenant-0001", "wrong-secret-000"), ("other-tenant", azure.client_secret)):
        api = LucoApi(luco.base_url, tenant, azure.client_id, secret, "api://luco", authority=azure.authority,
                      retry=GracefulRetry(jitter=0, clock=clock))
        with pytest.raises(AuthException) as info:
            api.get_submission(1001, 5001).status
        assert not isinstance(info.value, ApiException)
        assert str(info.value).startswith("Failed to generate bearer token")
        assert "wrong-secret-000" not in str(info.value)
        api.close()
    assert luco.count() == 0


def test_no_identity_fails_at_the_first_call(luco: LucoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TENANT_ID", "CLIENT_ID", "CLIENT_SECRET", "RESOURCE_ID"):
        monkeypatch.delenv(f"LUCO_{name}", raising=False)
    api = LucoApi(luco.base_url)  # no I/O yet, so no error yet
    with pytest.raises(AuthException, match="No identity"):
        api.find_slot_id("2024-01-31", SAP)
    assert luco.count() == 0


class LucoPyIdentity:
    """A LucoPy custom identity: generate_token() -> (token, naive local expiry)."""

    def __init__(self, azure: AzureTokenServer, expiry: t.Any) -> None:
        self.azure, self.expiry, self.calls = azure, expiry, 0

    def generate_token(self) -> t.Tuple[str, t.Any]:
        self.calls += 1
        return self.azure.issue(), self.expiry


def test_lucopy_identities_with_naive_or_aware_expiry(luco: LucoServer, azure: AzureTokenServer) -> None:
    naive = datetime.datetime.now() + datetime.timedelta(hours=1)
    aware = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    for expiry in (naive, aware, naive.timestamp()):
        identity = LucoPyIdentity(azure, expiry)
        with LucoApi(luco.base_url, identity=identity) as api:
            sub = api.get_submission(1001, 5001)
            assert sub.status == "Completed" and sub.end_time
        assert identity.calls == 1  # cached: LucoPy crashed on an aware expiry
    expired = LucoPyIdentity(azure, datetime.datetime.now() - datetime.timedelta(seconds=1))
    with LucoApi(luco.base_url, identity=expired) as api:
        api.get_submission(1001, 5001).status
        api.get_submission(1001, 5001).status
    assert expired.calls == 2  # an expired token is renewed before each use


class AzureIdentityCredential:
    """An azure-identity style credential: get_token(scope) -> object with token, expires_on."""

    def __init__(self, azure: AzureTokenServer) -> None:
        self.azure, self.scopes = azure, []  # type: ignore[var-annotated]

    def get_token(self, *scopes: str) -> t.Any:
        self.scopes.extend(scopes)
        token = self.azure.issue(scopes[0])
        return type("AccessToken", (), {"token": token, "expires_on": int(datetime.datetime.now().timestamp()) + 3600})


def test_azure_identity_credentials(luco: LucoServer, azure: AzureTokenServer,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LUCO_RESOURCE_ID", raising=False)
    credential = AzureIdentityCredential(azure)
    with LucoApi(luco.base_url, resource_id="api://luco", identity=credential) as api:
        assert api.find_slot_id("2024-01-31", SAP) == 1003
    assert credential.scopes == ["api://luco/.default"]
    with pytest.raises(ApiException, match="no scope"):
        LucoApi(luco.base_url, identity=credential)
    with pytest.raises(ApiException, match="generate_token"):
        LucoApi(luco.base_url, identity=object())


def test_a_failing_identity_is_an_auth_exception_and_interrupts_are_not_swallowed(luco: LucoServer) -> None:
    class Broken:
        def __init__(self, error: BaseException) -> None:
            self.error = error

        def generate_token(self) -> t.Any:
            raise self.error

    with LucoApi(luco.base_url, identity=Broken(RuntimeError("vault down"))) as api:
        with pytest.raises(AuthException, match="RuntimeError"):
            api.get_submission(1, 2).status
    with LucoApi(luco.base_url, identity=Broken(KeyboardInterrupt())) as api:
        with pytest.raises(KeyboardInterrupt):
            api.get_submission(1, 2).status
    with LucoApi(luco.base_url, identity=type("Bad", (), {"generate_token": lambda self: "just-a-token"})()) as api:
        with pytest.raises(AuthException, match=r"\(token, expiry\)"):
            api.get_submission(1, 2).status


def test_explicit_identity_wins_over_environment_credentials(luco: LucoServer, azure: AzureTokenServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("TENANT_ID", azure.tenant_id), ("CLIENT_ID", azure.client_id),
                        ("CLIENT_SECRET", azure.client_secret), ("RESOURCE_ID", "api://luco")):
        monkeypatch.setenv(f"LUCO_{name}", value)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", azure.authority)
    identity = LucoPyIdentity(azure, datetime.datetime.now() + datetime.timedelta(hours=1))
    with LucoApi(luco.base_url, identity=identity) as api:
        api.get_submission(1001, 5001).status
    assert identity.calls == 1 and azure.token_requests == 0
    with LucoApi(luco.base_url) as api:  # the environment's service principal, through AZURE_AUTHORITY_HOST
        api.get_submission(1001, 5001).status
    assert azure.token_requests == 1
    with LucoApi(luco.base_url, azure.tenant_id, azure.client_id, azure.client_secret, "api://luco",
                 identity=identity) as api:  # all four given as arguments: the service principal (LucoPy)
        api.get_submission(1001, 5001).status
    assert identity.calls == 1 and azure.token_requests == 2


def test_authority_forms(luco: LucoServer, azure: AzureTokenServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)
    args = (luco.base_url, "t", "c", "secret-value-1", "api://x")
    default = LucoApi(*args)
    assert default._token_endpoint.path == "https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    assert LucoApi(*args, authority="login.microsoftonline.us")._token_endpoint.path.startswith(
        "https://login.microsoftonline.us/")
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "https://login.chinacloudapi.cn/")
    assert LucoApi(*args)._token_endpoint.path.startswith("https://login.chinacloudapi.cn/{TENANT}")
    with pytest.raises(ApiException, match="plain http"):
        LucoApi(*args, authority="http://login.example.com")
    assert LucoApi(*args, authority="http://login.example.com", allow_http=True)
    assert luco.count() == 0 and azure.count() == 0  # construction does no I/O


def test_the_token_request_is_retried_and_counted(api: LucoApi, azure: AzureTokenServer, clock: FakeClock) -> None:
    azure.script(azure.token_path, Reply(503, {"error": "temporarily_unavailable"}), azure.route)
    assert api.get_submission(1001, 5001).status == "Completed"
    assert azure.token_requests == 2 and clock.sleeps == [0.5]
    token_stats = [e for e in api.snapshot().endpoints if "token" in e.url_template]
    assert token_stats[0].requests == 2 and token_stats[0].retries == 1
