"""A CA bundle set on the session wins over REQUESTS_CA_BUNDLE (requests lets the
environment override it), over real TLS sockets."""

from __future__ import annotations

import pytest

from luco_client import ConnectError, GracefulSession
from luco_client.testing import CERT_FILE, FlakyServer


def test_session_verify_wins_over_the_environment_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca-bundle.crt")  # would fail every request
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca-bundle.crt")
    with FlakyServer(tls=True) as srv, GracefulSession(retry=None) as session:
        session.verify = CERT_FILE
        assert session.get(srv.url + "/a").status_code == 200
        monkeypatch.delenv("REQUESTS_CA_BUNDLE")
        monkeypatch.delenv("CURL_CA_BUNDLE")
        with pytest.raises(ConnectError):  # a call's own verify still wins: the system CAs do not know the test CA
            session.get(srv.url + "/b", verify=True)


def test_without_a_session_verify_the_environment_bundle_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", CERT_FILE)
    with FlakyServer(tls=True) as srv, GracefulSession(retry=None) as session:
        assert session.get(srv.url + "/a").status_code == 200
