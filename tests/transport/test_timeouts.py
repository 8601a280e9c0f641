"""Default timeouts are never infinite; calls can override them."""

from __future__ import annotations

import time

import pytest

from luco_client import CallOptions, ConfigurationError, GracefulSession, ReadTimeoutError, Timeout
from luco_client.testing import Delay, FlakyServer, Reply


def test_default_timeout_is_finite() -> None:
    session = GracefulSession()
    assert session.adapter.timeout == Timeout(5.0, 30.0)


def test_session_default_applies_when_requests_timeout_is_none(server: FlakyServer) -> None:
    server.script("/slow", Delay(1.0, Reply(200)))
    session = GracefulSession(retry=None, timeout=Timeout(connect=1, read=0.2))
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        session.get(server.url + "/slow", timeout=None)
    assert time.monotonic() - started < 0.9


def test_requests_timeout_argument_overrides_the_default(server: FlakyServer) -> None:
    server.script("/slow", Delay(0.4, Reply(200)))
    session = GracefulSession(retry=None, timeout=Timeout(connect=1, read=0.1))
    assert session.get(server.url + "/slow", timeout=(1, 2)).status_code == 200
    assert session.get(server.url + "/slow", timeout=2).status_code == 200


def test_call_options_timeout(server: FlakyServer) -> None:
    server.script("/slow", Delay(0.4, Reply(200)))
    session = GracefulSession(retry=None, timeout=Timeout(connect=1, read=0.1))
    assert session.get(server.url + "/slow", options=CallOptions(timeout=Timeout(1, 2))).status_code == 200


def test_every_method_shortcut_goes_through_the_adapter(server: FlakyServer) -> None:
    session = GracefulSession()
    for call in (session.get, session.options, session.head, session.post, session.put, session.patch,
                 session.delete):
        assert call(server.url + "/m", options=CallOptions(url_template="t")).status_code == 200
    assert [r.method for r in server.received("/m")] == ["GET", "OPTIONS", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    assert sum(e.calls for e in session.stats.snapshot().endpoints if e.url_template == "t") == 7


@pytest.mark.parametrize("bad", [0, -1, None, "5", True])
def test_timeouts_must_be_positive_numbers(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        Timeout(connect=bad)  # type: ignore[arg-type]
