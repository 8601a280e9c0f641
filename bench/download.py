"""Download benchmark: peak memory and throughput of ``session.download`` on a large body.

Run: ``python bench/download.py`` (options: ``--mib`` body size, default 200; ``--rounds``).
Prints one ``BENCH <name> <value> <unit>`` line per figure.

A server process serves a deterministic body of ``--mib`` MiB (``ServeBlob``). Two arms
alternate, each in a fresh interpreter so that its peak RSS is its own:

* baseline ``requests_content``: ``requests.get(url).content`` written with one
  ``f.write`` (what naive clients, dcipher 0.3.5 among them, do);
* subject ``download``: ``GracefulSession().download(url, path)`` (chunks to a temporary
  file, fsync, atomic rename).

Figures: peak RSS growth during the transfer (MiB; target for ``download``: < 30) for both
arms, their ratio, and throughput (MiB/s) with the subject/baseline ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t

from _common import bench  # bench/ is on sys.path when a benchmark runs

_SERVER = (
    "import sys\n"
    "from luco_client.testing import Blob, FlakyServer, ServeBlob\n"
    "srv = FlakyServer(default=ServeBlob(Blob(int(sys.argv[1]), seed=1), chunk=1 << 20)).start()\n"
    "print(srv.port, flush=True)\n"
    "sys.stdin.read()\n"
    "srv.close()\n"
)


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def _child(arm: str, url: str, path: str) -> None:
    """One transfer in this (fresh) process; prints a JSON line with the figures."""
    import requests

    from luco_client import GracefulSession

    session = GracefulSession()
    before = _rss_mib()
    started = time.perf_counter()
    if arm == "requests_content":
        body = requests.get(url, timeout=60).content
        with open(path, "wb") as out:
            out.write(body)
        size = len(body)
        del body
    else:
        size = session.download(url, path).size
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print(json.dumps({"seconds": seconds, "growth": peak - before, "size": size}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("ARM", "URL", "PATH"))
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    size = args.mib << 20
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(size)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    results: t.Dict[str, t.List[t.Dict[str, float]]] = {"requests_content": [], "download": []}
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/result.bin"
        with tempfile.TemporaryDirectory() as directory:
            for _ in range(args.rounds):
                for arm, runs in results.items():  # alternate the arms, round after round
                    path = os.path.join(directory, f"{arm}.bin")
                    done = subprocess.run([sys.executable, __file__, "--child", arm, url, path],
                                          capture_output=True, text=True, check=True)
                    figures = json.loads(done.stdout.strip().splitlines()[-1])
                    if figures["size"] != size or os.path.getsize(path) != size:
                        raise SystemExit(f"{arm}: wrong size {figures['size']}")
                    runs.append(figures)
                    os.unlink(path)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=10)
    mib = size / (1 << 20)
    growth = {arm: statistics.median(r["growth"] for r in runs) for arm, runs in results.items()}
    rate = {arm: mib / statistics.median(r["seconds"] for r in runs) for arm, runs in results.items()}
    bench("download.body_size", mib, "MiB")
    bench("download.rss_growth", growth["download"], "MiB")
    bench("download.baseline_requests_content.rss_growth", growth["requests_content"], "MiB")
    bench("download.rss_growth_ratio", growth["download"] / max(growth["requests_content"], 1e-9), "x")
    bench("download.throughput", rate["download"], "MiB/s")
    bench("download.baseline_requests_content.throughput", rate["requests_content"], "MiB/s")
    bench("download.throughput_ratio", rate["download"] / rate["requests_content"], "x")


if __name__ == "__main__":
    main()
