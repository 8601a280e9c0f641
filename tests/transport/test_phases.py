"""NOT_SENT vs SENT_NO_RESPONSE is decided by evidence from the connection, not by guessing
from exception types: TLS, proxies and resets at every stage, on both urllib3 lines."""

from __future__ import annotations

import pytest

from luco_client import (
    ConnectError,
    ConnectTimeoutError,
    GracefulRetry,
    GracefulSession,
    Phase,
    PossiblyAppliedWriteError,
    ReadTimeoutError,
    Timeout,
)
from luco_client.testing import CERT_FILE, Drop, FakeClock, FlakyServer, Garbage, SilentServer


def _session() -> GracefulSession:
    clock = FakeClock()
    return GracefulSession(retry=GracefulRetry(max_attempts=3, jitter=0, clock=clock), clock=clock,
                           timeout=Timeout(connect=0.5, read=0.5))


def test_https_works_with_the_test_certificate() -> None:
    with FlakyServer(tls=True) as server:
        assert _session().get(server.url + "/x", verify=CERT_FILE).status_code == 200


def test_tls_error_after_the_request_arrived_is_not_resent() -> None:
    with FlakyServer(tls=True) as server:
        server.script("/payments", Garbage())
        with pytest.raises(PossiblyAppliedWriteError) as info:
            _session().post(server.url + "/payments", json={"amount": 10}, verify=CERT_FILE)
        assert server.count("/payments") == 1
        assert [a.phase for a in info.value.attempts] == [Phase.SENT_NO_RESPONSE]


def test_garbage_status_line_after_the_request_arrived_is_not_resent(server: FlakyServer) -> None:
    server.script("/payments", Garbage(b"NOT HTTP\r\n\r\n"))
    with pytest.raises(PossiblyAppliedWriteError):
        _session().post(server.url + "/payments", json={"amount": 10})
    assert server.count("/payments") == 1


def test_tls_handshake_timeout_is_not_sent_and_retried() -> None:
    with SilentServer() as silent:
        with pytest.raises(ConnectTimeoutError) as info:
            _session().post(silent.url("https") + "/payments", json={"amount": 10})
    assert info.value.phase is Phase.NOT_SENT
    assert [a.phase for a in info.value.attempts] == [Phase.NOT_SENT] * 3  # retried: nothing was sent


def test_reset_during_tls_handshake_is_not_sent_and_retried() -> None:
    with SilentServer(reset=True) as resetting:
        with pytest.raises(ConnectError) as info:
            _session().post(resetting.url("https") + "/payments", json={"amount": 10})
    assert info.value.phase is Phase.NOT_SENT and info.value.attempt_count == 3


def test_plain_http_silence_after_sending_is_a_read_timeout() -> None:
    with SilentServer() as silent:
        with pytest.raises(ReadTimeoutError) as info:
            _session().get(silent.url("http") + "/report")
    assert info.value.phase is Phase.SENT_NO_RESPONSE and info.value.attempt_count == 3


def test_proxy_dropping_after_forwarding_is_not_resent(server: FlakyServer) -> None:
    proxy = server  # plays an HTTP forward proxy: it receives the absolute-form request
    proxy.script("/orders", Drop())
    with pytest.raises(PossiblyAppliedWriteError):
        _session().post("http://orders.example.invalid/orders", json={"sku": "A"}, proxies={"http": proxy.url})
    assert proxy.count("/orders") == 1


def test_refused_connection_is_not_sent() -> None:
    with pytest.raises(ConnectError) as info:
        _session().post("http://127.0.0.1:1/orders", json={})
    assert info.value.phase is Phase.NOT_SENT and info.value.attempt_count == 3


def test_https_through_a_connect_proxy(server: FlakyServer) -> None:
    proxy = server  # answers CONNECT by tunnelling
    with FlakyServer(tls=True) as origin:
        response = _session().post(origin.url + "/orders", json={}, proxies={"https": proxy.url}, verify=CERT_FILE)
        assert response.status_code == 200 and origin.count("/orders") == 1
        assert proxy.count(method="CONNECT") == 1


def test_failures_while_setting_up_a_proxy_tunnel_are_not_sent(server: FlakyServer) -> None:
    proxy = server
    with FlakyServer(tls=True) as origin:
        # the origin's certificate is not trusted: the TLS handshake through the tunnel fails
        with pytest.raises(ConnectError) as info:
            _session().post(origin.url + "/orders", json={}, proxies={"https": proxy.url})
        assert info.value.phase is Phase.NOT_SENT and info.value.attempt_count == 3
        # the proxy refuses the tunnel
        from luco_client.testing import Reply

        proxy.script(f"127.0.0.1:{origin.port}", Reply(503), method="CONNECT")
        with pytest.raises(ConnectError) as refused:
            _session().post(origin.url + "/orders", json={}, proxies={"https": proxy.url}, verify=CERT_FILE)
        assert refused.value.phase is Phase.NOT_SENT and refused.value.attempt_count == 3
        assert origin.count("/orders") == 0
