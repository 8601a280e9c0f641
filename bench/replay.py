"""Replay benchmark: 5,000 recorded calls answered from a recording vs the same calls live.

Run: ``python bench/replay.py`` (options: ``--calls``, ``--rounds``). Prints one
``BENCH <name> <value> <unit>`` line per figure.

The loopback server runs in a separate process. First the calls are recorded (a
``GracefulSession`` in ``"record"`` mode, SQLite and JSON-directory storages); then two
arms alternate in rounds over the same calls: the baseline, a live ``GracefulSession``
(no replay) against the server, and the subject, a fresh ``GracefulSession`` in
``"replay"`` mode (each round uses a new session, so every entry is read from the storage
and decoded, as a test run would). ``replay.speedup`` is live time / replay time (target
>= 5). ``replay.record_overhead_ratio`` is recording time / live time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import typing as t

from _common import bench, loopback_server  # bench/ is on sys.path when a benchmark runs

from luco_client import GracefulRetry, GracefulSession, JSONDirReplayStorage, Replay, SQLiteReplayStorage


def _run(session: GracefulSession, urls: t.Sequence[str]) -> float:
    start = time.perf_counter()
    for url in urls:
        response = session.get(url, headers={"Authorization": "Bearer bench-token-123456"})
        if response.status_code != 200:
            raise SystemExit(f"unexpected status {response.status_code}")
    return time.perf_counter() - start


def _session(replay: t.Optional[Replay] = None) -> GracefulSession:
    return GracefulSession(retry=GracefulRetry(), replay=replay)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000, help="distinct recorded calls (default 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    args = parser.parse_args()
    with loopback_server('{"id": 1, "name": "bulbasaur", "types": ["grass", "poison"]}') as port:
        urls = [f"http://127.0.0.1:{port}/pokemon/{i}?fields=name,types" for i in range(args.calls)]
        with tempfile.TemporaryDirectory() as tmp:
            storages = {"sqlite": lambda: SQLiteReplayStorage(os.path.join(tmp, "bench.sqlite")),
                        "jsondir": lambda: JSONDirReplayStorage(os.path.join(tmp, "bench-json"))}
            with _session() as live:
                _run(live, urls[:200])  # warm up connections and code paths
                live_alone = _run(live, urls)
            record_time = {}
            for kind, make in storages.items():
                with _session(Replay("record", make())) as recorder:
                    record_time[kind] = _run(recorder, urls)
            for kind, make in storages.items():
                live_total = replay_total = 0.0
                ratios = []
                for i in range(args.rounds):
                    with _session() as live, _session(Replay("replay", make())) as replayer:
                        if i % 2:
                            r, b = _run(replayer, urls), _run(live, urls)
                        else:
                            b, r = _run(live, urls), _run(replayer, urls)
                        total = replayer.stats.snapshot().total
                        assert total.replays == total.requests == len(urls), total  # every call was replayed
                    live_total, replay_total = live_total + b, replay_total + r
                    ratios.append(b / r)
                n = args.calls * args.rounds
                bench(f"replay.{kind}.calls_per_arm", n, "calls")
                bench(f"replay.{kind}.live_per_call", live_total / n * 1e6, "us")
                bench(f"replay.{kind}.replay_per_call", replay_total / n * 1e6, "us")
                bench(f"replay.{kind}.speedup", live_total / replay_total, "x")
                bench(f"replay.{kind}.speedup_median_round", statistics.median(ratios), "x")
                bench(f"replay.{kind}.record_overhead_ratio", record_time[kind] / live_alone, "x")


if __name__ == "__main__":
    main()
