"""Proxies and CA bundles from the environment: per call (requests' way) or once per origin."""

from __future__ import annotations

import typing as t

import pytest

from luco_client import ConnectError, GracefulSession, InvalidRequestError
from luco_client.testing import FlakyServer


def test_environment_once_reads_the_proxy_at_the_first_request_of_an_origin(
        server: FlakyServer, monkeypatch: t.Any) -> None:
    monkeypatch.setenv("HTTP_PROXY", server.url)  # the FlakyServer answers as the proxy
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    once, every_call = GracefulSession(environment_once=True), GracefulSession()
    for session in (once, every_call):
        assert session.get("http://api.example.invalid/items").status_code == 200
    assert server.count("/items") == 2  # both went through the proxy
    monkeypatch.delenv("HTTP_PROXY")
    assert once.get("http://api.example.invalid/items").status_code == 200  # still the proxy it read
    assert server.count("/items") == 3
    with pytest.raises(ConnectError):  # requests' way: the change is seen, and the host does not exist
        every_call.get("http://api.example.invalid/items")


def test_environment_once_keeps_no_proxy_per_origin(server: FlakyServer, other_server: FlakyServer,
                                                    monkeypatch: t.Any) -> None:
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    session = GracefulSession(environment_once=True)
    assert session.get(other_server.url + "/direct").status_code == 200  # 127.0.0.1: no proxy
    assert session.get("http://api.example.invalid/proxied").status_code == 200
    assert other_server.count("/direct") == 1 and server.count("/direct") == 0
    assert server.count("/proxied") == 1


def test_a_missing_ca_bundle_is_a_typed_error_either_way(server: FlakyServer, monkeypatch: t.Any) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    for session in (GracefulSession(environment_once=True), GracefulSession()):
        with pytest.raises(InvalidRequestError, match="REQUESTS_CA_BUNDLE"):
            session.get(server.url.replace("http://", "https://") + "/x")
    assert server.count() == 0
