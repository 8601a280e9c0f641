"""Transport benchmark: overhead of the graceful session, and throttle accuracy.

Run: ``python bench/transport.py`` (options: ``--calls``, ``--rounds``, ``--rate``,
``--seconds``). Prints one ``BENCH <name> <value> <unit>`` line per figure.

1. Overhead. The baseline is a bare ``requests.Session``; the subject a ``GracefulSession``
   with retries, a non-binding throttle rule and stats on, logging off (no handler). Both
   send the same sequential GETs to the same loopback server, which runs in a separate
   process so that it does not compete for our GIL. The arms alternate in rounds, so drift
   of the machine hits both; the ratio is subject time / baseline time (target <= 1.10),
   over all calls and as the median of the per-round ratios (robust to a noisy round).
   A second baseline, ``bare requests with timeouts``, sends with the socket timeouts the
   graceful session applies by default (``DEFAULT_TIMEOUT``): a socket with a timeout costs
   a ``poll`` before each send and receive, which a bare session without timeouts does not
   pay. ``transport.overhead_ratio_vs_timeouts`` is subject / that baseline.
   Wall-clock time on a shared machine is noisy (and a slow machine makes requests' own
   per-call work dominate), so the same two arms are also counted in CPU *instructions*
   under ``valgrind --tool=callgrind`` when valgrind is installed: each arm runs in a child
   process twice, with ``--ir-calls`` calls and with none, and the difference divided by
   the calls is that arm's instructions per call. ``transport.overhead_ratio_instructions``
   is subject / baseline: the same on a loaded and an idle machine.
2. Throttle. A rule of ``--rate`` requests per second, hammered by 4 threads for
   ``--seconds``; the server records when requests arrive. Reports the achieved rate and the
   most requests seen in any 1-second window (must not exceed the rule).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests
from _common import bench, loopback_server  # bench/ is on sys.path when a benchmark runs

from luco_client import DEFAULT_TIMEOUT, GracefulRetry, GracefulSession, Throttle, ThrottleRule
from luco_client.testing import FlakyServer, max_in_window


def _timed_gets(session: requests.Session, url: str, calls: int, **kwargs: object) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        response = session.get(url, **kwargs)
        if response.status_code != 200:
            raise SystemExit(f"unexpected status {response.status_code}")
    return time.perf_counter() - start


def overhead(calls: int, rounds: int) -> None:
    with loopback_server('{"ok": true}') as port:
        url = f"http://127.0.0.1:{port}/items/1"
        bare = requests.Session()
        graceful = GracefulSession(retry=GracefulRetry(), throttle=Throttle(ThrottleRule(r".*", 1_000_000, 1.0)))
        timeouts = (DEFAULT_TIMEOUT.connect, DEFAULT_TIMEOUT.read)
        _timed_gets(bare, url, 200)  # warm up connections and code paths
        _timed_gets(bare, url, 200, timeout=timeouts)
        _timed_gets(graceful, url, 200)
        per_round = max(1, calls // rounds)
        bare_total = timed_total = graceful_total = 0.0
        ratios = []
        for i in range(rounds):
            arms = [lambda: _timed_gets(bare, url, per_round), lambda: _timed_gets(graceful, url, per_round),
                    lambda: _timed_gets(bare, url, per_round, timeout=timeouts)]
            if i % 2:  # alternate the order, so that drift of the machine hits every arm
                arms.reverse()
            first, second, third = (arm() for arm in arms)
            b, g, bt = (first, second, third) if i % 2 == 0 else (third, second, first)
            bare_total, graceful_total, timed_total = bare_total + b, graceful_total + g, timed_total + bt
            ratios.append(g / b)
        n = per_round * rounds
        stats = graceful.stats.snapshot().total
        assert stats.requests == n + 200, stats  # every graceful call was counted
        bench("transport.calls_per_arm", n, "calls")
        bench("transport.bare_per_call", bare_total / n * 1e6, "us")
        bench("transport.graceful_per_call", graceful_total / n * 1e6, "us")
        bench("transport.added_per_call", (graceful_total - bare_total) / n * 1e6, "us")
        bench("transport.overhead_ratio", graceful_total / bare_total, "x")
        bench("transport.overhead_ratio_median_round", statistics.median(ratios), "x")
        bench("transport.bare_with_timeouts_per_call", timed_total / n * 1e6, "us")
        bench("transport.overhead_ratio_vs_timeouts", graceful_total / timed_total, "x")
        bare.close()
        graceful.close()


_ARM = """
import sys
import requests
from luco_client import GracefulRetry, GracefulSession, Throttle, ThrottleRule
arm, calls, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if arm == "bare":
    session = requests.Session()
else:
    session = GracefulSession(retry=GracefulRetry(), throttle=Throttle(ThrottleRule(r".*", 1_000_000, 1.0)))
for _ in range(20 + calls):  # 20 to warm up, in both runs
    session.get(url)
"""


def _instructions(arm: str, calls: int, url: str) -> int:
    with tempfile.TemporaryDirectory() as directory:
        out = os.path.join(directory, "callgrind.out")
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c",
                               _ARM, arm, str(calls), url], capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no total: {done.stderr[-500:]}")
    return int(found.group(1))


def instructions(calls: int) -> None:
    """Instructions per call of each arm (deterministic; needs valgrind)."""
    if calls <= 0:
        return
    if shutil.which("valgrind") is None:
        print("transport: valgrind is not installed: no instruction counts", flush=True)
        return
    with loopback_server('{"ok": true}') as port:
        url = f"http://127.0.0.1:{port}/items/1"
        per_call = {arm: (_instructions(arm, calls, url) - _instructions(arm, 0, url)) / calls
                    for arm in ("bare", "graceful")}
    bench("transport.bare_instructions_per_call", per_call["bare"], "instructions")
    bench("transport.graceful_instructions_per_call", per_call["graceful"], "instructions")
    bench("transport.overhead_ratio_instructions", per_call["graceful"] / per_call["bare"], "x")


def throttle(rate: int, seconds: float) -> None:
    with FlakyServer() as server:
        session = GracefulSession(throttle=Throttle(ThrottleRule(r".*", rate, 1.0)))
        url = server.url + "/items"
        end = time.monotonic() + seconds

        def loop() -> None:
            while time.monotonic() < end:
                session.get(url)

        workers = [threading.Thread(target=loop) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        times = sorted(r.at for r in server.received("/items"))
    span = [x for x in times if x < times[0] + seconds]
    bench("throttle.target_rate", rate, "req/s")
    bench("throttle.achieved_rate", len(span) / seconds, "req/s")
    bench("throttle.achieved_ratio", len(span) / seconds / rate, "x")
    bench("throttle.max_per_1s_window", max_in_window(times, 1.0), "req")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000, help="sequential GETs per arm (default 5000)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (default 10)")
    parser.add_argument("--rate", type=int, default=50, help="throttle rule, requests per second (default 50)")
    parser.add_argument("--seconds", type=float, default=5.0, help="throttle run time (default 5)")
    parser.add_argument("--ir-calls", type=int, default=200,
                        help="calls per arm under callgrind (default 200; 0: no instruction counts)")
    args = parser.parse_args()
    overhead(args.calls, args.rounds)
    instructions(args.ir_calls)
    throttle(args.rate, args.seconds)


if __name__ == "__main__":
    main()
