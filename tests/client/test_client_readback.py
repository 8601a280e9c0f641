"""reconciled_write: a write with an unknown outcome is resent only when a read-back proves
it was not applied, over real sockets with faults after the server applied it."""

from __future__ import annotations

import threading
import typing as t

import pytest

from luco_client.client import ApiClient, ReadBack, Settings, json_body, reconciled_write
from luco_client.errors import (
    BadRequestError,
    ConfigurationError,
    Phase,
    PossiblyAppliedWriteError,
    ReadError,
    ServerStatusError,
)
from luco_client.testing import Apply, Delay, Drop, FakeClock, FlakyServer, Received, Reply
from luco_client.transport import GracefulRetry, Timeout


class Orders:
    """A tiny stateful API: POST /orders appends, GET /orders lists."""

    def __init__(self) -> None:
        self.applied: t.List[t.Any] = []
        self.lock = threading.Lock()

    def route(self, received: Received) -> Reply:
        with self.lock:
            if received.method == "POST":
                self.applied.append(received.json())
                return Reply(201, {"id": len(self.applied)})
            return Reply(200, {"orders": list(self.applied)})


class Api(ApiClient):
    def __init__(self, url: str) -> None:
        clock = FakeClock()
        super().__init__(base_url=url, clock=clock, settings=Settings(
            parser=json_body, timeout=Timeout(2, 0.3), retry=GracefulRetry(jitter=0, clock=clock)))

    def place(self, order: t.Dict[str, t.Any]) -> t.Any:
        baseline = len(self.get("/orders")["orders"])

        def read_back() -> ReadBack:
            count = len(self.get("/orders")["orders"])
            if count == baseline:
                return ReadBack(False, note="no new order")
            if count == baseline + 1:
                return ReadBack(True, {"id": count}, note="one new order")
            return ReadBack(None, note=f"{count - baseline} new orders")

        return reconciled_write(lambda: self.post("/orders", json=order), read_back, what="POST /orders")


@pytest.fixture
def orders() -> t.Iterator[t.Tuple[FlakyServer, Orders]]:
    state = Orders()
    with FlakyServer(default=state.route) as srv:
        yield srv, state


@pytest.mark.parametrize("fault", ["reset", "timeout", "503"])
def test_a_write_applied_before_the_fault_is_not_resent(orders: t.Tuple[FlakyServer, Orders], fault: str) -> None:
    server, state = orders
    then = {"reset": Drop(), "timeout": Delay(1.0, Reply(201)), "503": Reply(503, {"error": "late"})}[fault]
    server.script("/orders", Apply(state.route, then), state.route, method="POST")
    assert Api(server.url).place({"sku": "A"}) == {"id": 1}
    assert len(state.applied) == 1 and server.count("/orders", "POST") == 1


@pytest.mark.parametrize("fault", ["reset", "503"])
def test_a_write_proven_not_applied_is_sent_again(orders: t.Tuple[FlakyServer, Orders], fault: str) -> None:
    server, state = orders
    server.script("/orders", Drop() if fault == "reset" else Reply(503), state.route, method="POST")
    assert Api(server.url).place({"sku": "A"}) == {"id": 1}
    assert len(state.applied) == 1 and server.count("/orders", "POST") == 2


def test_without_a_read_back_an_unknown_outcome_raises_with_the_history(orders: t.Tuple[FlakyServer, Orders]) -> None:
    server, state = orders
    server.script("/orders", Apply(state.route, Drop()), method="POST")
    api = Api(server.url)
    with pytest.raises(PossiblyAppliedWriteError) as info:
        reconciled_write(lambda: api.post("/orders", json={"sku": "A"}), None, what="POST /orders")
    err = info.value
    assert err.phase is Phase.SENT_NO_RESPONSE and err.attempt_count == 1
    assert "cannot be read back" in str(err) and err.read_backs
    assert len(state.applied) == 1 and server.count("/orders", "POST") == 1


def test_an_ambiguous_or_failed_read_back_raises_possibly_applied(orders: t.Tuple[FlakyServer, Orders]) -> None:
    server, _ = orders
    server.script("/orders", Reply(503), method="POST")
    api = Api(server.url)
    with pytest.raises(PossiblyAppliedWriteError, match="2 new orders") as info:
        reconciled_write(lambda: api.post("/orders"), lambda: ReadBack(None, note="2 new orders"), what="POST")
    assert info.value.phase is Phase.RESPONSE and [a.status for a in info.value.attempts] == [503]
    server.script("/orders", Reply(400, {"error": "boom"}), method="GET")
    with pytest.raises(PossiblyAppliedWriteError, match="read-back failed: BadRequestError"):
        reconciled_write(lambda: api.post("/orders"), lambda: ReadBack(False) if api.get("/orders") else ReadBack(None),
                         what="POST")


def test_every_send_proven_not_applied_raises_the_failure_with_every_attempt(
        orders: t.Tuple[FlakyServer, Orders]) -> None:
    server, _ = orders
    server.script("/orders", Drop(), method="POST")
    api = Api(server.url)
    with pytest.raises(ReadError) as info:
        reconciled_write(lambda: api.post("/orders"), lambda: ReadBack(False, note="absent"), what="POST",
                         max_sends=2)
    assert not isinstance(info.value, PossiblyAppliedWriteError)
    assert [a.number for a in info.value.attempts] == [1, 2] and "proven not applied" in str(info.value)
    server.script("/orders", Reply(500), method="POST")
    with pytest.raises(ServerStatusError) as status_info:
        reconciled_write(lambda: api.post("/orders"), lambda: ReadBack(False), what="POST", max_sends=3)
    assert [a.status for a in status_info.value.attempts] == [500, 500, 500]
    assert server.count("/orders", "POST") == 5


def test_a_refusal_is_raised_as_it_is_without_a_read_back(orders: t.Tuple[FlakyServer, Orders]) -> None:
    server, _ = orders
    server.script("/orders", Reply(400, {"error": "bad sku"}), method="POST")
    calls: t.List[int] = []
    api = Api(server.url)
    with pytest.raises(BadRequestError):
        reconciled_write(lambda: api.post("/orders"), lambda: calls.append(1) or ReadBack(False), what="POST")
    assert calls == [] and server.count("/orders", "POST") == 1
    with pytest.raises(ConfigurationError):
        reconciled_write(lambda: None, None, what="x", max_sends=0)
