"""Workflow-runner benchmark: our ``Dcipher`` against dcipher 0.3.5, alternating.

Run: ``python bench/workflows.py`` (options: ``--mib`` output size, default 200;
``--flow-seconds``, default 2; ``--rounds``, default 3; ``--smoke``: 8 MiB, a 0.5 s flow, one
round, our arm only). Prints one ``BENCH <name> <value> <unit>`` line per figure.

The baseline is dcipher 0.3.5 itself, installed with pip into this benchmark's own virtual
environment (``$LUCO_BENCH_CACHE``, default ``~/.cache/luco-client-bench``; never into the
project's), and pointed at the fake by overriding its class attribute ``BASE_URL``. The fake
workflows API and its storage host (:class:`luco_client.testing.WorkflowsServer`) run in a
process of their own. Every arm runs in a fresh interpreter (so its peak RSS is its own, and
dcipher's import, which rewires the root logger, touches nothing else); the arms alternate
order from round to round. Figures are medians over the rounds:

1. ``flow``: ``run_flow(..., save_path=...)`` of a flow that completes ``--flow-seconds``
   after the run POST (a small output): seconds from the call to the file on disk (target
   for ours: <= flow + 0.6 s; dcipher sleeps 5 s, then polls every 3 s);
2. ``save``: the same call for a flow done at once whose output is ``--mib`` MiB: wall time,
   throughput (MiB per wall second) and the process's peak RSS (target for ours: <= 60 MB,
   and >= 2x dcipher's throughput);
3. ``download``: the transfer alone, request to file on disk (ours: the download
   primitive's own stamp; dcipher: its ``_save_result`` timed around the call), so the
   waiting policies do not flatter either side. Ours includes an fsync of the whole file
   (durability); dcipher's does not. ``disk_fsync`` is what that costs on this disk: the
   seconds to fsync ``--mib`` MiB just written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import typing as t

from _common import bench  # bench/ is on sys.path when a benchmark runs

MiB = 1 << 20
DCIPHER = "dcipher==0.3.5"

_SERVER = textwrap.dedent("""
    import json, sys
    from luco_client.testing import Blob, Flow, WorkflowsServer
    size, seconds = int(sys.argv[1]), float(sys.argv[2])
    srv = WorkflowsServer(flows={"timed": Flow(duration=seconds), "large": Flow(duration=0, outputs=[Blob(size, 1)])})
    srv.start()
    print(json.dumps({"url": srv.url, "key": srv.api_key}), flush=True)
    sys.stdin.read()
    srv.close()
""")

# Both children print one JSON line: wall (s), download (s), peak_mb (peak RSS, 10^6 bytes), size.
_OURS = textwrap.dedent("""
    import json, resource, sys, time
    from luco_client.workflows import Dcipher
    url, key, flow, path = sys.argv[1:5]
    client = Dcipher(key, base_url=url)
    started = time.perf_counter()
    result = client.run_flow(flow, {"bench": True}, save_path=path)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(json.dumps({"wall": wall, "download": sum(d.elapsed for d in result.downloads), "peak_mb": peak,
                      "size": sum(d.size for d in result.downloads), "result": dict(result)}))
""")

_DCIPHER = textwrap.dedent("""
    import json, os, resource, sys, time
    from dcipher import Dcipher
    url, key, flow, path = sys.argv[1:5]
    Dcipher.BASE_URL = url
    client = Dcipher(api_key=key)
    started = time.perf_counter()
    result = client.run_flow(flow, {"bench": True}, save_path=path, wait_until_completion=True)
    wall = time.perf_counter() - started
    urls = result.get("signed_response_urls") or [result.get("signed_response_url")]
    again = path + ".again"
    started = time.perf_counter()
    client._save_result(url=urls[0], save_path=again)
    download = time.perf_counter() - started
    os.unlink(again)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(json.dumps({"wall": wall, "download": download, "peak_mb": peak, "size": os.path.getsize(path),
                      "result": result}))
""")


def dcipher_python() -> str:
    """The interpreter of the benchmark's own environment with dcipher 0.3.5 (made once)."""
    cache = os.environ.get("LUCO_BENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "luco-client-bench")
    venv = os.path.join(cache, f"dcipher-0.3.5-py{sys.version_info[0]}{sys.version_info[1]}")
    python = os.path.join(venv, "bin", "python")
    check = [python, "-c", "import dcipher, importlib.metadata as m; assert m.version('dcipher') == '0.3.5'"]
    if os.path.exists(python) and subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return python
    print(f"installing {DCIPHER} into {venv} (the benchmark's own environment)", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", DCIPHER], check=True)
    subprocess.run(check, check=True)
    return python


def _fsync_cost(folder: str, size: int) -> float:
    """Seconds an fsync of ``size`` freshly written bytes takes on this disk."""
    path = os.path.join(folder, "fsync.probe")
    block = os.urandom(MiB)
    with open(path, "wb") as probe:
        for _ in range(size // MiB):
            probe.write(block)
        probe.flush()
        started = time.perf_counter()
        os.fsync(probe.fileno())
        seconds = time.perf_counter() - started
    os.unlink(path)
    return seconds


def _arm(python: str, code: str, server: t.Dict[str, str], flow: str, path: str) -> t.Dict[str, t.Any]:
    done = subprocess.run([python, "-c", code, server["url"], server["key"], flow, path], capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{flow} arm failed:\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    os.unlink(path)
    return t.cast(t.Dict[str, t.Any], figures)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=200)
    parser.add_argument("--flow-seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.mib, args.flow_seconds, args.rounds = 8, 0.5, 1
    arms = {"ours": (sys.executable, _OURS)}
    if not args.smoke:
        arms["dcipher"] = (dcipher_python(), _DCIPHER)
    else:
        print("workflows: --smoke runs our arm only (the dcipher baseline needs its own environment)", flush=True)
    size = args.mib * MiB
    server_process = subprocess.Popen([sys.executable, "-c", _SERVER, str(size), str(args.flow_seconds)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    runs: t.Dict[t.Tuple[str, str], t.List[t.Dict[str, t.Any]]] = {}
    try:
        assert server_process.stdout is not None
        server = json.loads(server_process.stdout.readline())
        with tempfile.TemporaryDirectory() as folder:
            for number in range(args.rounds):
                order = list(arms) if number % 2 == 0 else list(reversed(arms))
                for flow in ("timed", "large"):
                    for arm in order:
                        python, code = arms[arm]
                        figures = _arm(python, code, server, flow, os.path.join(folder, f"{arm}-{flow}.out"))
                        if flow == "large" and figures["size"] != size:
                            raise SystemExit(f"{arm}: saved {figures['size']} bytes, not {size}")
                        runs.setdefault((arm, flow), []).append(figures)
            fsync = _fsync_cost(folder, size)
    finally:
        if server_process.stdin is not None:
            server_process.stdin.close()
        server_process.wait(timeout=30)

    def median(arm: str, flow: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[(arm, flow)])

    bench("workflows.flow_seconds", args.flow_seconds, "s")
    bench("workflows.output_size", args.mib, "MiB")
    bench("workflows.disk_fsync", fsync, "s")
    for arm in arms:
        prefix = "workflows" if arm == "ours" else "workflows.baseline_dcipher"
        bench(f"{prefix}.flow_to_disk", median(arm, "timed", "wall"), "s")
        bench(f"{prefix}.save_wall", median(arm, "large", "wall"), "s")
        bench(f"{prefix}.save_throughput", args.mib / median(arm, "large", "wall"), "MiB/s")
        bench(f"{prefix}.download_throughput", args.mib / median(arm, "large", "download"), "MiB/s")
        bench(f"{prefix}.peak_rss", max(r["peak_mb"] for r in runs[(arm, "large")]), "MB")
    if "dcipher" in arms:
        bench("workflows.flow_to_disk_speedup",
              median("dcipher", "timed", "wall") / median("ours", "timed", "wall"), "x")
        bench("workflows.save_throughput_ratio",
              median("dcipher", "large", "wall") / median("ours", "large", "wall"), "x")
        bench("workflows.download_throughput_ratio",
              median("dcipher", "large", "download") / median("ours", "large", "download"), "x")
        bench("workflows.peak_rss_ratio", max(r["peak_mb"] for r in runs[("ours", "large")])
              / max(r["peak_mb"] for r in runs[("dcipher", "large")]), "x")


if __name__ == "__main__":
    main()
