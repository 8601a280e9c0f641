"""Templated events, structured fields, redaction, and no global logging configuration."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import typing as t

import pytest

from luco_client import (
    AccessToken,
    ApiKeyAuth,
    BearerTokenAuth,
    ConcurrencyLimit,
    GracefulRetry,
    GracefulSession,
    LogEvent,
    LogLevel,
    LucoClientError,
    RedactingFilter,
)
from luco_client.events import EventKind
from luco_client.testing import Drop, FakeClock, FlakyServer, Redirect, Reply

if t.TYPE_CHECKING:
    from conftest import CaptureLogs

TOKEN = "eyJhbGciOi.secret-token-value-123"
API_KEY = "ak_live_9f8e7d6c5b4a"
PASSWORD = "correct-horse-battery"
SECRETS = (TOKEN, API_KEY, PASSWORD)


_FORMAT = logging.Formatter("%(name)s %(message)s")


def _lines(records: t.List[logging.LogRecord]) -> t.List[str]:
    """The records as an application's handler would write them (tracebacks included)."""
    return [_FORMAT.format(r) for r in records]


def test_no_secret_in_captured_debug_logs(server: FlakyServer, other_server: FlakyServer,
                                           caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    server.script("/flaky", Reply(503), Reply(200))
    server.script("/login", Reply(401), Reply(200))
    server.script("/leaky", Reply(500, {"error": "bad", "access_token": TOKEN, "password": PASSWORD}))
    server.script("/away", Redirect(other_server.url + "/landing"))
    server.script("/orders", Drop())
    session = GracefulSession(retry=GracefulRetry(max_attempts=2, jitter=0, clock=clock, retry_on=None,
                                                  log_after=LogEvent(LogLevel.DEBUG)),
                              clock=clock, idempotency_header="Idempotency-Key",
                              log_request=LogEvent(LogLevel.DEBUG, "{METHOD} {URL} {UURL} {ENDPOINT}"))
    session.auth = BearerTokenAuth(lambda: AccessToken(TOKEN), clock=clock)
    errors: t.List[str] = []
    with caplog.at_level(logging.DEBUG):
        session.get(server.url + "/flaky", params={"password": PASSWORD})
        session.get(server.url + "/login")
        session.get(server.url + "/away", headers={"X-Api-Key": API_KEY})
        for path in ("/leaky", "/orders"):
            try:
                session.post(server.url + path, json={"password": PASSWORD},
                             headers={"X-Api-Key": API_KEY}, options=None)
            except LucoClientError as exc:
                errors.append(str(exc))
                logging.getLogger("app").exception("call failed: %s", exc)
    assert len(errors) == 2
    text = caplog.text + "\n".join(errors)
    assert "luco_client.transport" in caplog.text and "/flaky" in caplog.text
    for secret in SECRETS:
        assert secret not in text


def test_query_string_keys_are_redacted_everywhere(server: FlakyServer, capture_logs: CaptureLogs) -> None:
    with capture_logs() as records:
        GracefulSession().get(server.url + "/q", auth=ApiKeyAuth(API_KEY, query_param="api_key"))
    assert any(line.startswith("luco_client") and "api_key=REDACTED" in line for line in _lines(records))
    # urllib3 logs the request line with its query at DEBUG; the adapter scrubs that logger.
    assert any(line.startswith("urllib3") and "api_key=REDACTED" in line for line in _lines(records))
    assert all(API_KEY not in line for line in _lines(records))


def test_redacting_filter_scrubs_any_record() -> None:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "auth %s with %s", (
        f"Authorization: Bearer {TOKEN}", f'{{"password": "{PASSWORD}"}}'), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == 'auth Authorization: Bearer REDACTED with {"password": "REDACTED"}'


def test_events_use_templates_and_carry_structured_fields(server: FlakyServer,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    server.script("/pokemon/pikachu", Reply(503), Reply(503), Reply(503))
    retry = GracefulRetry(max_attempts=3, delay=1.5, delay_modifier=1, jitter=0, clock=clock,
                          log_before=LogEvent(LogLevel.WARNING,
                                              "retry {CUR_ATTEMPT}/{MAX_ATTEMPT} in {RETRY_DELAY}s {RETRY_CAUSE}"),
                          log_exhausted=LogEvent(LogLevel.ERROR, "gave up on {UENDPOINT}"),
                          on_exhausted="return")
    session = GracefulSession(retry=retry, clock=clock,
                              log_response=LogEvent(LogLevel.INFO,
                                                    lambda r: "{STATUS} {REPLAY}{IS_REPLAY} " + r.reason),
                              log_errors=None)
    from luco_client import CallOptions

    with caplog.at_level(logging.INFO, logger="luco_client"):
        session.get(server.url + "/pokemon/pikachu",
                    options=CallOptions(url_template=server.url + "/pokemon/{NAME}"))
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "503 FALSE Service Unavailable",
        "retry 1/3 in 1.5s [Bad Status Code: 503]",
        "503 FALSE Service Unavailable",
        "retry 2/3 in 1.5s [Bad Status Code: 503]",
        "503 FALSE Service Unavailable",
        "gave up on /pokemon/{NAME}",
    ]
    first = caplog.records[0]
    assert first.luco_event == EventKind.RESPONSE.value
    assert (first.luco_status, first.luco_method, first.luco_uurl) == (503, "GET", server.url + "/pokemon/{NAME}")
    assert first.luco_endpoint == "/pokemon/pikachu" and first.luco_uendpoint == "/pokemon/{NAME}"
    assert isinstance(first.luco_elapsed, float)


def test_concurrency_events(server: FlakyServer, caplog: pytest.LogCaptureFixture) -> None:
    import threading

    from luco_client.testing import Delay

    server.script("/slow", Delay(0.2, Reply(200)))
    limit = ConcurrencyLimit(1, log_limit_reached=LogEvent(LogLevel.INFO, "full {CONCURRENCY_LIMIT}"),
                             log_limit_freed=LogEvent(LogLevel.INFO, "freed {URL}"))
    session = GracefulSession(concurrency=limit)
    with caplog.at_level(logging.INFO, logger="luco_client"):
        threads = [threading.Thread(target=session.get, args=(server.url + "/slow",)) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["full 1", f"freed {server.url}/slow"]


def test_log_event_rendering_never_raises() -> None:
    event = LogEvent(LogLevel.INFO, "{METHOD} {UNKNOWN} {ELAPSED:.2f} {STATUS:>5} {{literal}} {")
    text = event.render(EventKind.RESPONSE, {"METHOD": "GET", "ELAPSED": 0.1234, "STATUS": 200})
    assert text == "{METHOD} {UNKNOWN} {ELAPSED:.2f} {STATUS:>5} {{literal}} {"  # unbalanced: verbatim
    event = LogEvent(LogLevel.INFO, "{METHOD} {UNKNOWN} {ELAPSED:.2f} {STATUS:>5} {{literal}}")
    text = event.render(EventKind.RESPONSE, {"METHOD": "GET", "ELAPSED": 0.1234, "STATUS": 200})
    assert text == "GET {UNKNOWN} 0.12 200 {literal}"

    def broken(_response: object) -> str:
        raise KeyError("boom")

    assert "log template failed" in LogEvent(LogLevel.INFO, broken).render(EventKind.REQUEST, {"METHOD": "GET"})


def _run(code: str, env: t.Optional[dict] = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("LUCO_CLIENT_LOG", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=full_env, timeout=60, check=False)


def test_import_configures_no_logging_and_prints_nothing() -> None:
    result = _run("""
        import json, logging
        import requests, urllib3, pyrate_limiter, requests_cache  # dependencies set their own NullHandlers
        def handlers():
            return {n: list(l.handlers) for n, l in logging.root.manager.loggerDict.items()
                    if isinstance(l, logging.Logger) and not n.startswith("luco_client")}
        root = logging.getLogger()
        before = (list(root.handlers), root.level, handlers())
        import luco_client, luco_client.transport, luco_client.testing
        pkg = logging.getLogger("luco_client")
        print(json.dumps({
            "others_same": (list(root.handlers), root.level, handlers()) == before,
            "pkg_handlers": [type(h).__name__ for h in pkg.handlers],
            "pkg_level": pkg.level,
        }))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report == {"others_same": True, "pkg_handlers": ["NullHandler"], "pkg_level": 0}


def test_env_var_adds_a_redacting_stderr_handler_to_the_package_logger() -> None:
    result = _run(f"""
        import logging
        from luco_client import GracefulSession, ApiKeyAuth
        from luco_client.testing import FlakyServer
        with FlakyServer() as srv:
            GracefulSession().get(srv.url + "/x?token={TOKEN}", auth=ApiKeyAuth("{API_KEY}"))
        assert logging.getLogger().handlers == []
        print("ok")
    """, env={"LUCO_CLIENT_LOG": "debug"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert "DEBUG luco_client.transport: GET http://127.0.0.1" in result.stderr
    assert "token=REDACTED" in result.stderr
    for secret in SECRETS:
        assert secret not in result.stderr


@pytest.mark.parametrize("header", ["Ocp-Apim-Subscription-Key", "X-Functions-Key", "X-Luco-Key", "Private-Token"])
def test_key_like_headers_are_secret_and_dropped_on_cross_origin_redirect(
    server: FlakyServer, other_server: FlakyServer, header: str
) -> None:
    server.script("/start", Redirect(other_server.url + "/landing"))
    GracefulSession().get(server.url + "/start", headers={header: "k-1234567890", "Idempotency-Key": "abc"})
    landed = other_server.received("/landing")[0]
    assert landed.header(header) is None
    assert landed.header("Idempotency-Key") == "abc"  # a request id, not a credential


def test_encoded_and_custom_named_query_keys_are_redacted(server: FlakyServer,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    key = "ak+live/9f8e=7d6c"
    server.script("/q", Reply(500, "boom"))
    session = GracefulSession(retry=None)
    with caplog.at_level(logging.DEBUG):
        response = session.get(server.url + "/q", auth=ApiKeyAuth(key, query_param="appid"))
    from luco_client import raise_for_status

    with pytest.raises(LucoClientError) as info:
        raise_for_status(response)
    assert server.received("/q")[0].query["appid"] == key
    text = caplog.text + str(info.value)
    assert "appid=REDACTED" in text
    for form in (key, "ak%2Blive%2F9f8e%3D7d6c"):
        assert form not in text


def test_long_lived_keys_outlive_many_token_refreshes() -> None:
    from luco_client._redact import register_secret, scrub_secrets

    register_secret("apikey-in-path-7f3a9c", long_lived=True)
    for n in range(600):
        register_secret(f"short-lived-token-{n:04d}")
    assert scrub_secrets("/v1/apikey-in-path-7f3a9c/items") == "/v1/REDACTED/items"
    assert scrub_secrets("short-lived-token-0599") == "REDACTED"


def test_registered_secrets_never_reach_stats_keys_or_record_fields(
    server: FlakyServer, caplog: pytest.LogCaptureFixture
) -> None:
    from luco_client import register_secret

    register_secret("tenant-secret-42abc", long_lived=True)
    session = GracefulSession()
    with caplog.at_level(logging.DEBUG, logger="luco_client"):
        session.get(server.url + "/tenants/tenant-secret-42abc/items")
    keys = [e.url_template for e in session.stats.snapshot().endpoints]
    assert keys == [server.url + "/tenants/REDACTED/items"]
    for record in caplog.records:
        for name, value in vars(record).items():
            assert "tenant-secret-42abc" not in str(value), name


@pytest.mark.parametrize("text", [
    "key" * 20000, "a." * 50000, "http://" * 20000, "key=" * 30000, '"password":"' * 10000,
    "Authorization: " * 10000, "bearer " * 20000, "key: " * 20000,
])
def test_redaction_is_linear_on_adversarial_text(text: str) -> None:
    import time

    from luco_client._redact import redact_text

    started = time.perf_counter()
    redact_text(text)
    # Quadratic backtracking on these ~100 KB inputs took minutes; linear takes milliseconds.
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("text", [
    "next=/home?api_key=SECRETkey9&x=1",
    "redirect=https://a/b?access_token=SECRETkey9",
    '"GET /cb?redirect=https%3A%2F%2Fa%2Fb%3Faccess_token%3DSECRETkey9 HTTP/1.1" 200 2',
    "X-Info: Authorization: Bearer SECRETkey9",
    '{"outer": "{\\"password\\": \\"SECRETkey9\\"}"}',
    "page=1;api_key=SECRETkey9",
])
def test_nested_credentials_in_text_are_redacted(text: str) -> None:
    from luco_client._redact import redact_text

    assert "SECRETkey9" not in redact_text(text)


@pytest.mark.parametrize("url", [
    "http://h/cb?next=%2Fa%3Faccess_token%3DSECRETkey9",
    "http://h/x?page=1;api_key=SECRETkey9",
    "http://h/files;jsessionid=SECRETkey9/x",
    "user:SECRETkey9@api.example.com/v1/orders",
    "http//admin:SECRETkey9@api.example.com/v1",
    "http://admin:SECRETkey9@api.example.com:99999/v1",
])
def test_urls_are_redacted_even_when_nested_or_malformed(url: str) -> None:
    from luco_client._redact import redact_url

    assert "SECRETkey9" not in redact_url(url)


def test_nested_redirect_credentials_stay_out_of_every_log(server: FlakyServer, capture_logs: CaptureLogs) -> None:
    with capture_logs() as records:
        GracefulSession().get(server.url + "/cb", params={"redirect": "https://a/b?access_token=SECRETkey9"})
    assert any("urllib3" in line for line in _lines(records))
    assert all("SECRETkey9" not in line for line in _lines(records))


def test_public_redaction_helpers_apply_the_library_rules() -> None:
    from luco_client.events import redact_text, redact_url, register_secret

    register_secret("public-helper-secret-91c2", long_lived=True)
    assert "91c2" not in redact_text('{"message": "bad", "token": "tok-123"} public-helper-secret-91c2')
    assert "tok-123" not in redact_text('{"message": "bad", "token": "tok-123"}')
    url = redact_url("https://user:pw@store.example/o/1?Expires=9&Signature=abc123def")
    assert "abc123def" not in url and "pw@" not in url and "Expires=9" in url


def test_a_url_ending_in_token_is_not_taken_for_a_credential() -> None:
    from luco_client.events import redact_text

    assert redact_text("POST https://login.example/t/oauth2/v2.0/token failed: reset") == \
        "POST https://login.example/t/oauth2/v2.0/token failed: reset"
    assert "abcdef123" not in redact_text("Authorization: Token abcdef123")
    assert "abcdef123" not in redact_text("token abcdef123456")


def test_scheme_words_after_a_dash_or_dot_are_still_credentials() -> None:
    from luco_client.events import redact_text

    for text in ("refresh-token eyJhbGciOiJIUzI1NiJ9.abc", "x-token abcdef123456", "id.token abcdef123456"):
        assert redact_text(text).endswith("REDACTED"), text


def test_a_url_checked_clean_is_redacted_once_its_secret_or_name_is_registered() -> None:
    """redact_url remembers URLs that held no secret; registering one must not be missed."""
    from luco_client._redact import redact_url, register_secret, register_secret_name

    url = "https://api.example/v1/items/late-secret-5d8e1f?tenantcode=late-name-value-77"
    assert redact_url(url) == url and redact_url(url) == url  # clean, and remembered as clean
    register_secret("late-secret-5d8e1f", long_lived=True)
    assert "late-secret-5d8e1f" not in redact_url(url)
    register_secret_name("tenantcode")
    assert "late-name-value-77" not in redact_url(url)
