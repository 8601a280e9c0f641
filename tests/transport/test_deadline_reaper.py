"""The deadline reaper: it cuts the connection of the call whose deadline passed, and only
that one (never a pooled connection lent to another call, never a parent's after fork)."""

from __future__ import annotations

import os
import threading
import time
import typing as t

import pytest

from luco_client import CallOptions, DeadlineExceededError, GracefulSession, Timeout
from luco_client.testing import Delay, FlakyServer, Reply, Trickle

# Margins: the reaper must wake and the blocked read return; the trickles take 4 s or more.


@pytest.mark.parametrize("stream", [False, True])
def test_a_connection_close_response_is_cut_at_the_deadline(server: FlakyServer, stream: bool) -> None:
    server.script("/c", Trickle(b"x" * 40, interval=0.1, close=True))  # 4 s
    session = GracefulSession(retry=None, timeout=Timeout(5, 2))
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        response = session.get(server.url + "/c", stream=stream, options=CallOptions(deadline=1.0))
        response.content
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("stream", [False, True])
def test_a_close_delimited_body_cut_at_the_deadline_is_not_taken_as_complete(
        server: FlakyServer, stream: bool) -> None:
    server.script("/d", Trickle(b"y" * 300, interval=0.02, length=False))  # 6 s, no length
    session = GracefulSession(retry=None, timeout=Timeout(5, 2))
    with pytest.raises(DeadlineExceededError):
        response = session.get(server.url + "/d", stream=stream, options=CallOptions(deadline=1.0))
        response.content


def test_one_calls_end_never_cancels_anothers_deadline_on_the_same_connection(server: FlakyServer) -> None:
    validating, trickling = threading.Event(), threading.Event()

    def slow_validator(response: t.Any) -> None:  # call 1 ends while call 2 uses its connection
        validating.set()
        trickling.wait(5)
        time.sleep(0.05)

    def trickle(received: t.Any) -> Trickle:
        trickling.set()
        return Trickle(b"z" * 40, interval=0.1)  # 4 s

    server.script("/fast", Reply(200, {"ok": 1}))
    server.script("/trickle", trickle)
    session = GracefulSession(retry=None, timeout=Timeout(5, 2))
    outcome: t.Dict[str, t.Any] = {}

    def one() -> None:
        session.get(server.url + "/fast", options=CallOptions(deadline=30, validators=[slow_validator]))

    def two() -> None:
        validating.wait(5)
        started = time.monotonic()
        try:
            session.get(server.url + "/trickle", options=CallOptions(deadline=1.0))
            outcome["two"] = ("returned", time.monotonic() - started)
        except DeadlineExceededError:
            outcome["two"] = ("deadline", time.monotonic() - started)

    threads = [threading.Thread(target=one), threading.Thread(target=two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.connections == 1  # call 2 took call 1's pooled connection
    assert outcome["two"][0] == "deadline" and outcome["two"][1] < 2.5


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
# Forking a process with threads is the case under test (Python 3.12+ warns about it); the
# child only makes one call of its own and leaves with os._exit.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_never_cuts_the_parents_connections(server: FlakyServer) -> None:
    server.script("/slow", Delay(3.0, Reply(200, {"ok": 1})))
    session = GracefulSession(retry=None)
    streamed = session.get(server.url + "/a", stream=True, options=CallOptions(deadline=2.0))  # watched
    pid = os.fork()
    if pid == 0:  # the child starts its own reaper with one call of its own
        try:
            GracefulSession(retry=None).get(server.url + "/child", options=CallOptions(deadline=10))
            time.sleep(3.5)
        finally:
            os._exit(0)
    try:
        streamed.content
        assert session.get(server.url + "/slow").status_code == 200  # no deadline, same connection
    finally:
        os.waitpid(pid, 0)
