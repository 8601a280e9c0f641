"""Streamed bodies (stream=True): failures while the caller reads are typed and accounted for."""

from __future__ import annotations

import logging
import tracemalloc
import typing as t

import pytest

from luco_client import GracefulSession, LogEvent, LogLevel, Phase, ReadError, register_secret
from luco_client.testing import Blob, FlakyServer, Reply, ServeBlob, Truncate


def _read_all(response: t.Any) -> int:
    return sum(len(chunk) for chunk in response.iter_content(4096))


def test_a_truncated_stream_is_a_typed_read_error_and_counted_as_a_failure(
        server: FlakyServer, capture_logs: t.Any) -> None:
    server.script("/big", Truncate(b"x" * 5000, length=100_000))
    session = GracefulSession(log_errors=LogEvent(LogLevel.WARNING))
    response = session.get(server.url + "/big?token=s3cr3t-value", stream=True)
    assert session.stats.snapshot().total.successes == 1  # the headers arrived: a success so far
    with capture_logs("luco_client", logging.DEBUG) as records, pytest.raises(ReadError) as info:
        _read_all(response)
    error = info.value
    assert error.phase is Phase.SENT_NO_RESPONSE and "broke off" in error.message
    assert error.attempt_count == 1 and error.attempts[-1].phase is Phase.SENT_NO_RESPONSE
    assert error.url is not None and "s3cr3t" not in error.url and "REDACTED" in error.url
    total = session.stats.snapshot().total
    assert (total.successes, total.failures, total.transport_errors) == (0, 1, 1)
    failures = [r for r in records if getattr(r, "luco_event", None) == "error"]
    assert len(failures) == 1 and "broke off" in failures[0].getMessage()
    assert "s3cr3t" not in failures[0].getMessage()


def test_iter_lines_and_content_raise_the_same_typed_error(server: FlakyServer) -> None:
    server.script("/lines", Truncate(b"a\nb\nc", length=1000))
    session = GracefulSession()
    with pytest.raises(ReadError):
        list(session.get(server.url + "/lines", stream=True).iter_lines())
    with pytest.raises(ReadError):
        session.get(server.url + "/lines", stream=True).content
    assert session.stats.snapshot().total.failures == 2


def test_a_reset_while_streaming_is_counted_once_even_if_read_again(server: FlakyServer) -> None:
    server.script("/r", Truncate(b"y" * 10, length=50))
    session = GracefulSession()
    response = session.get(server.url + "/r", stream=True)
    with pytest.raises(ReadError):
        _read_all(response)
    response.close()
    assert session.stats.snapshot().total.failures == 1


def test_a_complete_stream_stays_a_success_and_returns_its_connection(server: FlakyServer) -> None:
    blob = Blob(300_000, seed=4)
    server.script("/blob", ServeBlob(blob))
    session = GracefulSession()
    for _ in range(3):
        response = session.get(server.url + "/blob", stream=True)
        assert b"".join(response.iter_content(65536)) == blob.read()
    total = session.stats.snapshot().total
    assert (total.successes, total.failures) == (3, 0)
    assert server.connections == 1  # the connection went back to the pool each time


def test_streaming_a_large_body_keeps_memory_bounded(server: FlakyServer) -> None:
    blob = Blob(48 << 20, seed=5)  # 48 MiB
    server.script("/large", ServeBlob(blob))
    session = GracefulSession()
    response = session.get(server.url + "/large", stream=True)
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in response.iter_content(1 << 16))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == blob.size
    assert peak < 4 << 20  # a few chunks, never the body (48 MiB)


def test_secret_registered_values_never_reach_the_stream_error(server: FlakyServer) -> None:
    secret = "tok-" + "7" * 24
    register_secret(secret)
    server.script(f"/s/{secret}", Truncate(b"z", length=10))
    response = GracefulSession().get(f"{server.url}/s/{secret}", stream=True)
    with pytest.raises(ReadError) as info:
        _read_all(response)
    assert secret not in str(info.value) and secret not in repr(info.value.attempts)


def test_a_non_streamed_call_still_retries_a_broken_body(server: FlakyServer) -> None:
    server.script("/b", Truncate(b"q", length=10), Reply(200, {"ok": 1}))
    session = GracefulSession()
    assert session.get(server.url + "/b").json() == {"ok": 1}
    assert server.count("/b") == 2
