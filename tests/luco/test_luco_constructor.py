"""LucoApi's constructor: LucoPy's positional order and environment fallbacks, the https
rule, no I/O at construction, a context manager, and log=True without touching the root."""

from __future__ import annotations

import inspect
import logging
import os
import typing as t

import pytest
from luco_helpers import SAP

from luco_client import ApiException, ConfigurationError, LucoApi
from luco_client.testing import AzureTokenServer, LucoServer

LUCOPY_PARAMETERS = ["base_url", "tenant_id", "client_id", "client_secret", "resource_id", "identity", "timeout", "log"]


@pytest.fixture
def no_luco_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BASE_URL", "TENANT_ID", "CLIENT_ID", "CLIENT_SECRET", "RESOURCE_ID"):
        monkeypatch.delenv(f"LUCO_{name}", raising=False)
    monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)


def test_positional_order_and_defaults_are_lucopy_s() -> None:
    parameters = list(inspect.signature(LucoApi.__init__).parameters.values())[1:]
    assert [p.name for p in parameters[:8]] == LUCOPY_PARAMETERS
    assert [p.default for p in parameters[:8]] == [None] * 6 + [20, False]
    assert all(p.kind is p.KEYWORD_ONLY or p.kind is p.VAR_KEYWORD for p in parameters[8:])


def test_environment_fallbacks(no_luco_env: None, monkeypatch: pytest.MonkeyPatch, luco: LucoServer,
                               azure: AzureTokenServer) -> None:
    for name, value in (("BASE_URL", luco.base_url), ("TENANT_ID", azure.tenant_id),
                        ("CLIENT_ID", azure.client_id), ("CLIENT_SECRET", azure.client_secret),
                        ("RESOURCE_ID", "api://luco")):
        monkeypatch.setenv(f"LUCO_{name}", value)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", azure.authority)
    with LucoApi() as api:  # every value from the environment
        assert api.find_slot_id("2024-01-31", SAP) == 1003
    with LucoApi("", "", "", "", "") as api:  # falsy arguments fall back too (LucoPy)
        assert api.find_slot_id("2024-01-30", SAP) == 1002
    assert azure.token_requests == 2


def test_base_url_rules(no_luco_env: None) -> None:
    with pytest.raises(ApiException, match="Luco URL not defined"):
        LucoApi()
    for bad in ("http://luco.example.com/api", "ftp://luco.example.com", "httpsfoo", "luco.example.com", 42):
        with pytest.raises(ConfigurationError) as info:
            LucoApi(bad)  # type: ignore[arg-type]
        assert isinstance(info.value, ApiException)
    for good in ("https://luco.example.com/api", "HTTPS://luco.example.com", "http://127.0.0.1:8080/api",
                 "http://localhost:9/api", "http://[::1]:9/api"):
        LucoApi(good).close()
    LucoApi("http://luco.internal/api", allow_http=True).close()
    with pytest.raises(ApiException, match=r"must use https: http://x\.example\.com"):
        LucoApi("http://x.example.com")  # the message shows the URL, also when it came from the environment


def test_construction_does_no_io_and_the_context_manager_closes(
        luco: LucoServer, azure: AzureTokenServer, tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    api = LucoApi(luco.base_url, azure.tenant_id, azure.client_id, azure.client_secret, "api://luco",
                  authority=azure.authority, log=True)
    assert luco.count() == 0 and azure.count() == 0 and os.listdir(tmp_path) == []  # log.txt comes later
    with api as same:
        assert same is api
        same.get_submission(1001, 5001).status
    assert not api.session.adapter.poolmanager.pools  # closed: no pooled connection left
    assert (tmp_path / "log.txt").exists()


def test_timeout_is_connect_and_read(no_luco_env: None) -> None:
    api = LucoApi("https://luco.example.com", timeout=7.5)
    timeout = api.explain("find_slot_id").timeout
    assert (timeout.connect, timeout.read) == (7.5, 7.5)
    for bad in (0, -1, "20", None, True):
        with pytest.raises(ApiException, match="timeout"):
            LucoApi("https://luco.example.com", timeout=bad)  # type: ignore[arg-type]


def test_log_true_writes_log_txt_through_the_package_logger_only(
        luco: LucoServer, azure: AzureTokenServer, tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    root_state = (root.level, list(root.handlers))
    package = logging.getLogger("luco_client")
    package_level = package.level
    with LucoApi(luco.base_url, azure.tenant_id, azure.client_id, azure.client_secret, "api://luco",
                 authority=azure.authority, log=True) as api:
        assert (root.level, list(root.handlers)) == root_state
        api.find_slot_id("2024-01-31", SAP)
    text = (tmp_path / "log.txt").read_text()
    assert "GET" in text and "/slots/search/" in text and "luco_client.transport" in text
    assert azure.client_secret not in text and "fake-at-" not in text
    assert (root.level, list(root.handlers)) == root_state
    assert package.level == package_level and not any(isinstance(h, logging.FileHandler) for h in package.handlers)


def test_no_stray_files_without_log(api: LucoApi, tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    api.find_slot_id("2024-01-31", SAP)
    api.slot_sequences_overview()
    api.slots_overview(count=2)
    assert os.listdir(tmp_path) == []  # LucoPy wrote data.json (and log.txt handlers on the root)


def test_bad_keyword_extras_are_typed_errors(no_luco_env: None) -> None:
    for kwargs in ({"max_sends": 0}, {"reconcile_writes": "yes"}, {"verify": 3}, {"settings": "fast"},
                   {"allow_http": 1}):
        with pytest.raises(ApiException):
            LucoApi("https://luco.example.com", **kwargs)
