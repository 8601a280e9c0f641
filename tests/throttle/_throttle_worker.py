"""Run by test_throttle_window.py in separate processes: hammer a URL through a shared throttle.

usage: python _throttle_worker.py <backend: sqlite|redis> <location> <url> <start_wall> <seconds> <threads>

Prints one JSON object: ``{"sent": <requests sent>, "stamps": [<admission stamps, ms>]}``.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from luco_client import GracefulRetry, GracefulSession, RedisBackend, SQLiteBackend, Throttle, ThrottleRule
from luco_client.testing import AdmissionLog


def main() -> int:
    kind, location, url, start_at, seconds, threads = sys.argv[1:7]
    backend = SQLiteBackend(location) if kind == "sqlite" else RedisBackend(url=location, prefix="luco:test")
    rule = ThrottleRule(r"/shared", 5, 1.0)  # WORKER_RULE of the tests
    admitted = AdmissionLog()
    throttle = Throttle(rule, backend=backend, on_admit=admitted)
    session = GracefulSession(throttle=throttle, retry=GracefulRetry(max_attempts=1))
    time.sleep(max(0.0, float(start_at) - time.time()))
    end = time.time() + float(seconds)
    counts = []

    def loop() -> None:
        sent = 0
        while time.time() < end:
            session.get(url)
            sent += 1
        counts.append(sent)

    workers = [threading.Thread(target=loop) for _ in range(int(threads))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    session.close()
    throttle.close()
    print(json.dumps({"sent": sum(counts), "stamps": admitted.stamps(rule)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
