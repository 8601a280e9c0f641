"""What the benchmarks share: the ``BENCH`` line and a loopback server in another process."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import typing as t

_SERVER = (
    "import json, sys\n"
    "from luco_client.testing import FlakyServer, Reply\n"
    "srv = FlakyServer(default=Reply(200, json.loads(sys.argv[1]))).start()\n"
    "print(srv.port, flush=True)\n"
    "sys.stdin.read()\n"
    "srv.close()\n"
)


def bench(name: str, value: float, unit: str) -> None:
    """Print one figure as ``BENCH <name> <value> <unit>``."""
    print(f"BENCH {name} {value:.4g} {unit}", flush=True)


@contextlib.contextmanager
def loopback_server(body_json: str) -> t.Iterator[int]:
    """A FlakyServer answering 200 with ``body_json`` to everything, in a process of its
    own (so that its work does not share the benchmark's interpreter); yields its port."""
    server = subprocess.Popen([sys.executable, "-c", _SERVER, body_json], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield int(server.stdout.readline())
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
