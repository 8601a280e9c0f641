"""Shared fixtures: loopback servers, a Redis server, and window arithmetic."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import typing as t

import pytest

from luco_client.testing import FlakyServer

REQUIRE_REDIS = os.environ.get("LUCO_CLIENT_REQUIRE_REDIS") == "1"


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
