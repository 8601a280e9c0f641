"""Request preparation: GracefulSession prepares exactly what requests prepares (its merge
skips requests' per-call typing checks), and ``environment_once`` reads ``.netrc`` once per host."""

from __future__ import annotations

import typing as t

import pytest
import requests

from luco_client import GracefulSession
from luco_client.testing import FlakyServer


def _hook(response: t.Any, **kwargs: t.Any) -> None:
    return None


def _session_hook(response: t.Any, **kwargs: t.Any) -> None:
    return None


def _configured(session: requests.Session) -> requests.Session:
    session.headers.update({"X-Session": "s", "X-Override": "session", "X-Dropped": "session"})
    session.params = {"page": "1", "shared": "session"}
    session.cookies.set("sid", "abc", domain="api.example.test", path="/")
    session.hooks["response"].append(_session_hook)
    return session


CASES: t.List[t.Dict[str, t.Any]] = [
    {"method": "get", "url": "https://api.example.test/items"},
    {"method": "GET", "url": "https://api.example.test/items?q=1", "params": {"a": ["x", "y", None], "b": None,
                                                                             "shared": "call", "ü": "ß"}},
    {"method": "GET", "url": "https://api.example.test/items", "params": [("k", "1"), ("k", "2")]},
    {"method": "GET", "url": "https://api.example.test/items", "params": "raw=1&x=%20"},
    {"method": "POST", "url": "https://api.example.test/items", "json": {"n": 1},
     "headers": {"X-Override": "call", "X-Dropped": None, "Content-Type": "application/json-patch+json"}},
    {"method": "POST", "url": "https://api.example.test/form", "data": {"f": "1", "g": ["2", "3"]},
     "cookies": {"extra": "1"}, "auth": ("user", "pw")},
    {"method": "PUT", "url": "https://api.example.test/up", "files": {"file": ("a.txt", b"abc")},
     "hooks": {"response": [_hook]}},
    {"method": "DELETE", "url": "http://other.example.test:8080/x", "data": b"raw", "hooks": {"response": []}},
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['method']} {c['url']}")
def test_graceful_preparation_equals_requests(case: t.Dict[str, t.Any], monkeypatch: t.Any) -> None:
    monkeypatch.setenv("NETRC", "/nonexistent/netrc")
    ours, theirs = _configured(GracefulSession()), _configured(requests.Session())
    mine, reference = ours.prepare_request(requests.Request(**case)), theirs.prepare_request(requests.Request(**case))
    assert (mine.method, mine.url) == (reference.method, reference.url)
    body = mine.body
    if case.get("files"):  # the multipart boundary is random: use the reference's
        boundary = reference.headers["Content-Type"].split("boundary=")[1]
        mine_boundary = mine.headers["Content-Type"].split("boundary=")[1]
        mine.headers["Content-Type"] = mine.headers["Content-Type"].replace(mine_boundary, boundary)
        body = t.cast(bytes, body).replace(mine_boundary.encode(), boundary.encode())
    assert dict(mine.headers) == dict(reference.headers)
    assert body == reference.body
    assert mine.hooks == reference.hooks


def test_netrc_credentials_apply_as_in_requests(tmp_path: t.Any, monkeypatch: t.Any) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.example.test login alice password s3cret-pw\n")
    monkeypatch.setenv("NETRC", str(netrc))
    request = requests.Request("GET", "https://api.example.test/items")
    expected = requests.Session().prepare_request(request).headers["Authorization"]
    for session in (GracefulSession(), GracefulSession(environment_once=True)):
        assert session.prepare_request(request).headers["Authorization"] == expected
    other = requests.Request("GET", "https://elsewhere.example.test/items")
    assert "Authorization" not in GracefulSession(environment_once=True).prepare_request(other).headers


def test_environment_once_reads_netrc_once_per_host(server: FlakyServer, tmp_path: t.Any,
                                                     monkeypatch: t.Any) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password first-pw\n")
    monkeypatch.setenv("NETRC", str(netrc))
    once, every_call = GracefulSession(environment_once=True), GracefulSession()
    for session in (once, every_call):
        session.get(server.url + "/a")
    netrc.write_text("machine 127.0.0.1 login alice password second-pw\n")
    for session in (once, every_call):
        session.get(server.url + "/b")
    first, second = [r.header("Authorization") for r in server.received("/a")], [
        r.header("Authorization") for r in server.received("/b")]
    assert first[0] == first[1] == second[0]  # environment_once: still the first answer
    assert second[1] != first[1]  # requests' way: read again
