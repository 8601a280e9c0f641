"""Shared fixtures: loopback servers, a Redis server, requests in flight, and window arithmetic."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
import typing as t

import pytest

from luco_client.testing import Delay, FlakyServer, Received, Reply

REQUIRE_REDIS = os.environ.get("LUCO_CLIENT_REQUIRE_REDIS") == "1"


#: ``in_flight()`` -> (a server action answering 200 after 50 ms, the most requests it
#: held at once so far).
InFlightFactory = t.Callable[[], t.Tuple[t.Callable[[Received], Delay], t.Callable[[], int]]]


CaptureLogs = t.Callable[..., t.ContextManager[t.List[logging.LogRecord]]]


@contextlib.contextmanager
def _capture_logs(name: str = "", level: int = logging.DEBUG,
                  propagate: t.Optional[bool] = None) -> t.Iterator[t.List[logging.LogRecord]]:
    logger = logging.getLogger(name)
    records: t.List[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign, assignment]
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    if propagate is not None:
        logger.propagate = propagate
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


@pytest.fixture
def capture_logs() -> CaptureLogs:
    """``with capture_logs(name="", level=DEBUG, propagate=None) as records``: the records
    reaching logger ``name`` (the root by default) while the block runs; level and
    propagation are restored after it, as an application configuring logging would."""
    return _capture_logs


@pytest.fixture
def in_flight() -> InFlightFactory:
    """Make server actions that count the requests being answered at once."""
    def make() -> t.Tuple[t.Callable[[Received], Delay], t.Callable[[], int]]:
        lock = threading.Lock()
        state = {"now": 0, "max": 0}

        class Leave(Reply):
            def play(self, handler: t.Any) -> None:
                with lock:
                    state["now"] -= 1
                super().play(handler)

        class Tracked(Delay):
            def play(self, handler: t.Any) -> None:
                with lock:
                    state["now"] += 1
                    state["max"] = max(state["max"], state["now"])
                super().play(handler)

        # A request leaves the count *before* its answer goes out: the client frees its slot
        # only once the answer arrived, so the next request's arrival never overlaps it.
        # Counting until after the write raced with that next arrival on a busy machine.
        return (lambda _req: Tracked(0.05, Leave(200))), (lambda: state["max"])
    return make


@pytest.fixture
def in_threads() -> t.Callable[[t.Sequence[t.Callable[[], t.Any]]], t.List[t.Any]]:
    """Run each callable in a thread of its own, all at once; their results in order. A
    failure in a thread fails the test (an assert there would only print a warning)."""
    def run(calls: t.Sequence[t.Callable[[], t.Any]]) -> t.List[t.Any]:
        results: t.List[t.Any] = [None] * len(calls)
        failures: t.List[BaseException] = []

        def one(index: int) -> None:
            try:
                results[index] = calls[index]()
            except BaseException as exc:  # collected and raised below
                failures.append(exc)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if failures:
            raise failures[0]
        return results
    return run


@pytest.fixture
def server() -> t.Iterator[FlakyServer]:
    with FlakyServer() as srv:
        yield srv


@pytest.fixture
def other_server() -> t.Iterator[FlakyServer]:
    with FlakyServer() as srv:
        yield srv


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[str]:
    """A private redis-server on a free loopback port (CI installs redis-server)."""
    binary = shutil.which("redis-server")
    try:
        import redis
    except ImportError:
        binary = None
    if binary is None:
        message = "redis-server binary or redis package not installed (CI installs both)"
        if REQUIRE_REDIS:
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:  # pragma: no cover
        proc.kill()
        pytest.fail("redis-server did not start")
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)
