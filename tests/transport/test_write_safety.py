"""The retry-safety rule over real sockets: writes are never blindly resent."""

from __future__ import annotations

import pytest

from luco_client import (
    CallOptions,
    GracefulRetry,
    GracefulSession,
    Phase,
    PossiblyAppliedWriteError,
    ReadError,
    ReadTimeoutError,
    Timeout,
    attempts_of,
)
from luco_client.testing import Delay, Drop, FakeClock, FlakyServer, Reply, Truncate, reserve_port

SHORT = Timeout(connect=1, read=0.2)


def _session(**kw: object) -> GracefulSession:
    clock = FakeClock()
    kw.setdefault("retry", GracefulRetry(max_attempts=3, jitter=0, clock=clock))
    return GracefulSession(timeout=SHORT, clock=clock, **kw)  # type: ignore[arg-type]


def test_post_after_read_timeout_is_not_resent(server: FlakyServer) -> None:
    server.script("/orders", Delay(2.0, Reply(201)))
    with pytest.raises(PossiblyAppliedWriteError) as info:
        _session().post(server.url + "/orders", json={"sku": "A1"})
    assert server.count("/orders") == 1  # received (applied) once, never resent
    err = info.value
    assert err.phase is Phase.SENT_NO_RESPONSE
    assert [a.phase for a in err.attempts] == [Phase.SENT_NO_RESPONSE]
    assert "POST" in str(err) and "/orders" in str(err) and "idempotent" in str(err)


def test_post_after_reset_is_not_resent(server: FlakyServer) -> None:
    server.script("/orders", Drop(), Reply(201))
    with pytest.raises(PossiblyAppliedWriteError):
        _session().post(server.url + "/orders", json={"sku": "A1"})
    assert server.count("/orders") == 1


def test_post_after_connect_failure_is_resent() -> None:
    placeholder, port = reserve_port()
    started: list = []

    def bring_server_up(_seconds: float) -> None:
        if not started:
            placeholder.close()
            started.append(FlakyServer(port).start())

    clock = FakeClock(on_sleep=bring_server_up)
    session = GracefulSession(retry=GracefulRetry(jitter=0, delay=1, clock=clock), clock=clock, timeout=SHORT)
    try:
        response = session.post(f"http://127.0.0.1:{port}/orders", json={"sku": "A1"})
        assert response.status_code == 200
        assert started[0].count("/orders") == 1  # the refused attempt never arrived
        assert [a.phase for a in attempts_of(response)] == [Phase.NOT_SENT, Phase.RESPONSE]
    finally:
        session.close()
        for srv in started:
            srv.close()


def test_idempotency_key_makes_post_retryable_and_is_stable(server: FlakyServer) -> None:
    server.script("/orders", Delay(2.0, Reply(201)), Drop(), Reply(201, {"id": 7}))
    session = _session(idempotency_header="Idempotency-Key")
    assert session.post(server.url + "/orders", json={"sku": "A1"}).json() == {"id": 7}
    keys = [r.header("Idempotency-Key") for r in server.received("/orders")]
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1
    session.post(server.url + "/orders", json={"sku": "A2"})
    assert server.received("/orders")[-1].header("Idempotency-Key") != keys[0]  # one key per call


def test_callers_idempotency_key_is_never_overwritten(server: FlakyServer) -> None:
    server.script("/orders", Drop(), Reply(201))
    session = _session(idempotency_header="Idempotency-Key")
    session.post(server.url + "/orders", json={}, headers={"idempotency-key": "mine-123"})
    assert [r.header("Idempotency-Key") for r in server.received("/orders")] == ["mine-123", "mine-123"]


def test_get_is_not_given_a_key(server: FlakyServer) -> None:
    _session(idempotency_header="Idempotency-Key").get(server.url + "/x")
    assert server.received("/x")[0].header("Idempotency-Key") is None


def test_declared_idempotent_post_is_retried(server: FlakyServer) -> None:
    server.script("/upsert", Drop(), Reply(200))
    response = _session().post(server.url + "/upsert", json={}, options=CallOptions(idempotent=True))
    assert response.status_code == 200 and server.count("/upsert") == 2


def test_declared_unsafe_put_is_not_retried(server: FlakyServer) -> None:
    server.script("/counter", Drop(), Reply(200))
    with pytest.raises(PossiblyAppliedWriteError):
        _session().put(server.url + "/counter", json={}, options=CallOptions(idempotent=False))
    assert server.count("/counter") == 1


def test_get_read_timeout_is_retried_then_raises_typed_error(server: FlakyServer) -> None:
    server.script("/slow", Delay(2.0, Reply(200)))
    with pytest.raises(ReadTimeoutError) as info:
        _session().get(server.url + "/slow")
    assert server.count("/slow") == 3 and info.value.attempt_count == 3
    assert info.value.phase is Phase.SENT_NO_RESPONSE


def test_truncated_body_is_a_read_error_and_get_is_retried(server: FlakyServer) -> None:
    server.script("/data", Truncate(), Reply(200, {"complete": True}))
    assert _session().get(server.url + "/data").json() == {"complete": True}
    assert server.count("/data") == 2
    server.script("/data", Truncate())
    with pytest.raises(ReadError):
        _session(retry=None).get(server.url + "/data")


def test_post_503_is_returned_not_resent(server: FlakyServer) -> None:
    server.script("/orders", Reply(503), Reply(201))
    assert _session().post(server.url + "/orders", json={}).status_code == 503
    assert server.count("/orders") == 1


def test_streamed_body_is_never_resent(server: FlakyServer) -> None:
    server.script("/upload", Drop(), Reply(201))

    def chunks():  # type: ignore[no-untyped-def]
        yield b"part-1"
        yield b"part-2"

    with pytest.raises(PossiblyAppliedWriteError):
        _session(idempotency_header="Idempotency-Key").post(server.url + "/upload", data=chunks())
    assert server.count("/upload") == 1


def test_307_with_a_consumed_stream_body_is_refused_not_emptied(server: FlakyServer) -> None:
    from luco_client import RedirectError
    from luco_client.testing import Redirect

    server.script("/upload", Redirect("/v2/upload", status=307))

    def chunks():  # type: ignore[no-untyped-def]
        yield b"part-1"

    with pytest.raises(RedirectError) as info:
        _session().post(server.url + "/upload", data=chunks())
    assert "307" in str(info.value)
    assert server.count("/v2/upload") == 0


def test_307_with_bytes_body_is_followed_with_the_body(server: FlakyServer) -> None:
    from luco_client.testing import Redirect

    server.script("/upload", Redirect("/v2/upload", status=307))
    assert _session().post(server.url + "/upload", data=b"payload").status_code == 200
    assert server.received("/v2/upload")[0].body == b"payload"


def test_keyed_write_that_lost_an_answer_says_so_even_if_it_ends_otherwise(server: FlakyServer) -> None:
    server.script("/orders", Delay(2.0, Reply(201)), Reply(503), Reply(503))
    with pytest.raises(PossiblyAppliedWriteError) as info:
        _session(idempotency_header="Idempotency-Key").post(server.url + "/orders", json={"sku": "A1"})
    err = info.value
    keys = {r.header("Idempotency-Key") for r in server.received("/orders")}
    assert err.idempotency_key is not None and keys == {err.idempotency_key}
    assert [(a.phase, a.status) for a in err.attempts] == [
        (Phase.SENT_NO_RESPONSE, None), (Phase.RESPONSE, 503), (Phase.RESPONSE, 503)]
    assert "ServerStatusError" in str(err) and "attempt 1 got no response" in str(err)


def test_get_that_lost_an_answer_ends_with_its_own_error(server: FlakyServer) -> None:
    from luco_client import ServerStatusError

    server.script("/report", Delay(2.0, Reply(200)), Reply(503), Reply(503))
    with pytest.raises(ServerStatusError):
        _session().get(server.url + "/report")
