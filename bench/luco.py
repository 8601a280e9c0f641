"""Luco benchmark: the same ETL job through LucoPy 1.3.14 and through LucoApi, over HTTPS.

Run: ``python bench/luco.py`` (options: ``--rounds``, ``--jobs``, ``--metrics-rounds``,
``--metrics-calls``, ``--smoke``). Prints one ``BENCH <name> <value> <unit>`` line per figure.

* The fake Luco API and the fake Azure AD token endpoint (HTTPS, test certificate) run in
  a process of their own.
* LucoPy 1.3.14 is installed into the benchmark's own virtual environment (created once
  under ``$XDG_CACHE_HOME/luco-client-bench``, or ``~/.cache``; never a dependency of
  luco_client). Each arm runs in a worker process of its own: LucoPy's in that
  environment, ours with this interpreter. Both run the same job source (below).
* One job is what an ETL run does with Luco, about 40 calls: build the client, find the
  slot, open a submission with its run environment, statuses, metrics for three stages and
  their read-back, a quality collection, searches, the slot-sequence parameters, an
  unscheduled slot, the final status. Both arms authenticate with the same custom identity
  (``generate_token()``; LucoPy's token endpoint cannot be moved), so the job is the same
  job. A third job arm, ``ours_sp``, runs it through LucoApi with the service-principal flow
  against the fake token endpoint instead (one more request per job, on its own
  connection): ``luco.job_time_ratio.service_principal``.
* The arms alternate in rounds (the order flips every round), so drift of the machine hits
  both; the ``get_metrics`` rates alternate in many short bursts (default 24 of 60 calls
  each) for the same reason: a virtual machine's speed drifts within seconds.
  ``luco.job_time_ratio`` is LucoPy's median job time / ours (target >= 3);
  ``luco.get_metrics_rate_ratio`` compares sequential ``get_metrics`` calls per second
  (target >= 4); ``luco.connections_per_job.*`` are the TCP connections the fake servers
  accepted during one job.
* A third arm, ``requests``, makes the same ``get_metrics`` GET with a bare
  ``requests.Session`` (kept-alive connection, the token in a header, the body decoded, no
  retries, checks or logging): the fastest a client built on requests can go here.
  ``luco.get_metrics_rate_ratio.requests`` is its rate / LucoPy's, the ceiling of
  ``luco.get_metrics_rate_ratio`` on this machine; ``luco.get_metrics_vs_requests`` is ours /
  that arm's (1.0 would mean no cost over bare requests).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import typing as t

from _common import bench  # bench/ is on sys.path when a benchmark runs

from luco_client.testing import CERT_FILE

LUCOPY = "LucoPy==1.3.14"
TOKEN = "bench-fixed-token-0123456789"

#: The servers' process: prints the two ports, then answers "conns" with the counts.
_SERVERS = f"""
import json, sys
from luco_client.testing import AzureTokenServer, LucoServer
azure = AzureTokenServer(tls=True).start()
luco = LucoServer(tls=True, token_server=azure, tokens={{{TOKEN!r}}}).start()
print(luco.port, azure.port, flush=True)
for line in sys.stdin:
    print(json.dumps({{"luco": luco.connections, "azure": azure.connections,
                      "requests": luco.count() + azure.count()}}), flush=True)
luco.close()
azure.close()
"""

#: The job, identical for both arms (``LucoApi`` and ``make()`` differ per arm).
JOB = """
def job(api, tag):
    orders = {"Source": "SAP", "Table": "Orders"}
    slot_id = api.find_slot_id("2024-02-01", orders)
    sub = api.create_submission(slot_id, "Extract", {"platform": "Azure Data Factory"})
    sub.submit_status("In Progress", "Extract")
    seen = {"slot": slot_id, "type": sub.type, "name": sub.name, "container": sub.params("Load", "container"),
            "schedule": sub.get_delivery_schedule()}
    for stage, rows in (("Extract", 1200), ("Transform", 1180), ("Load", 1180)):
        sub.submit_status("In Progress", stage)
        sub.submit_metrics(stage, metrics={"rows": rows, "rejected": 1200 - rows, "seconds": 12.5})
        seen["rows_" + stage] = sub.get_metrics(stage, "rows")
    seen["metrics"] = [(m["stage"], m["metric"], m["value"]) for m in sub.get_metrics()]
    seen["grouped"] = sub.get_metrics(group_by_stage=True)
    collection = {"name": "orders", "tool": "custom", "checks": [
        {"check": "$col unique", "checkArgs": {"col": "OrderId"}, "success": True},
        {"check": "$col not null", "checkArgs": {"col": "Amount"}, "success": True}]}
    sub.submit_quality(results=collection, stage="Validate", auto_determine_action=True)
    seen["quality"] = sub.get_quality()
    seen["status_before"] = sub.status
    seen["previous"] = [api.find_submission_in_slot_sequence(slot_id, sub.id, FindClosest=closest)["slotId"]
                        for closest in ("historic", "either")]
    seen["latest_slots"] = len(api.find_submissions_by_slot_sequence(orders)["slots"])
    seen["slots"] = len(api.find_submissions_by_slot_sequence(orders, onlyLatestSlot=False)["slots"]) > 1
    seen["latest_pair"] = len(api.find_latest_submission_by_slot_sequence(orders))
    seen["threshold"] = api.slot_sequence_parameters(orders, "Quality", "threshold")
    seen["unscheduled"] = type(api.find_slot_id("bench-" + tag, {"Source": "Manual", "Table": "Uploads"})).__name__
    sub.submit_completed_status()
    seen["status_after"], seen["ended"] = sub.status, bool(sub.end_time)
    return seen
"""

#: A worker: ``python -c WORKER lucopy|ours|ours_sp|requests``; commands on stdin, one JSON line back each.
WORKER = """
import datetime, json, os, sys, time, uuid
kind = sys.argv[1]
base, authority = os.environ["BENCH_BASE_URL"], os.environ["BENCH_AUTHORITY"]


class Identity:  # LucoPy's custom identity: generate_token() -> (token, expiry)
    def generate_token(self):
        return os.environ["BENCH_TOKEN"], datetime.datetime.now() + datetime.timedelta(hours=1)


if kind == "requests":  # get_metrics only, as bare as requests goes
    import requests
    session = requests.Session()
    headers = {"Authorization": "Bearer " + os.environ["BENCH_TOKEN"]}

    def get_metrics():
        answer = session.get(base + "/slots/1001/submissions/5001/metrics", params={"includeDuplicates": "False"},
                             headers=headers, verify=os.environ["REQUESTS_CA_BUNDLE"])
        answer.raise_for_status()
        return answer.json()["slotSubmissionMetrics"]
elif kind == "lucopy":
    from LucoPy import LucoApi

    def make():
        return LucoApi(base, identity=Identity())
elif kind == "ours":
    from luco_client import LucoApi

    def make():
        return LucoApi(base, identity=Identity(), verify=os.environ["REQUESTS_CA_BUNDLE"])
else:
    from luco_client import LucoApi

    def make():
        return LucoApi(base, "tenant-0001", "luco-etl-client", "s3cr3t-Client-Secret-0001", "api://luco",
                       authority=authority, verify=os.environ["REQUESTS_CA_BUNDLE"])
exec(os.environ["BENCH_JOB"])
for line in sys.stdin:
    command, count = line.split()
    if command == "job":
        started = time.perf_counter()
        api = make()
        seen = job(api, uuid.uuid4().hex[:12])
        getattr(api, "close", lambda: None)()
        print(json.dumps({"seconds": time.perf_counter() - started, "results": seen}), flush=True)
    elif kind == "requests":
        get_metrics()  # first connection outside the timing
        started = time.perf_counter()
        for _ in range(int(count)):
            get_metrics()
        print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)
    else:
        api = make()
        sub = api.get_submission(1001, 5001)
        sub.get_metrics()  # token and first connection outside the timing
        started = time.perf_counter()
        for _ in range(int(count)):
            sub.get_metrics()
        print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)
        getattr(api, "close", lambda: None)()
"""


def lucopy_python() -> str:
    """The interpreter of the benchmark's own LucoPy environment, created on first use."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    home = os.path.join(cache, "luco-client-bench", f"lucopy-1.3.14-py{sys.version_info[0]}{sys.version_info[1]}")
    python = os.path.join(home, "bin", "python")
    if not os.path.exists(os.path.join(home, ".installed")):
        subprocess.run([sys.executable, "-m", "venv", "--clear", home], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", LUCOPY], check=True)
        with open(os.path.join(home, ".installed"), "w") as marker:
            marker.write(LUCOPY + "\n")
    return python


class Process:
    """A child process driven by lines on stdin, answering JSON lines on stdout."""

    def __init__(self, args: t.Sequence[str], env: t.Optional[t.Dict[str, str]] = None) -> None:
        self.child = subprocess.Popen(list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def ask(self, line: str) -> t.Any:
        assert self.child.stdin is not None and self.child.stdout is not None
        self.child.stdin.write(line + "\n")
        self.child.stdin.flush()
        answer = self.child.stdout.readline()
        if not answer:
            raise SystemExit(f"{self.child.args[0]} stopped (exit {self.child.wait()})")
        return json.loads(answer)

    def readline(self) -> str:
        assert self.child.stdout is not None
        return self.child.stdout.readline()

    def close(self) -> None:
        if self.child.stdin is not None:
            self.child.stdin.close()
        self.child.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds (default 6)")
    parser.add_argument("--jobs", type=int, default=3, help="jobs per arm and round (default 3)")
    parser.add_argument("--metrics-rounds", type=int, default=24, help="alternating get_metrics bursts (24)")
    parser.add_argument("--metrics-calls", type=int, default=60, help="sequential get_metrics per burst (60)")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run (figures not meaningful)")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.jobs, args.metrics_rounds, args.metrics_calls = 2, 1, 2, 20
    try:
        lucopy = lucopy_python()
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"luco benchmark skipped: cannot install {LUCOPY} into the benchmark's environment ({exc})")
        return 0
    servers = Process([sys.executable, "-c", _SERVERS])
    try:
        luco_port, azure_port = servers.readline().split()
        env = dict(os.environ, BENCH_BASE_URL=f"https://127.0.0.1:{luco_port}/api",
                   BENCH_AUTHORITY=f"https://127.0.0.1:{azure_port}", BENCH_TOKEN=TOKEN, BENCH_JOB=JOB,
                   REQUESTS_CA_BUNDLE=CERT_FILE)
        arms = {"lucopy": Process([lucopy, "-c", WORKER, "lucopy"], env),
                "ours": Process([sys.executable, "-c", WORKER, "ours"], env),
                "ours_sp": Process([sys.executable, "-c", WORKER, "ours_sp"], env),
                "requests": Process([sys.executable, "-c", WORKER, "requests"], env)}
        try:
            run(arms, servers, args)
        finally:
            for arm in arms.values():
                arm.close()
    finally:
        servers.close()
    return 0


def run(arms: t.Dict[str, Process], servers: Process, args: argparse.Namespace) -> None:
    # warm up (imports, code paths, the server's first handshakes) and compare what each arm's
    # job saw: the same results through LucoPy and through LucoApi
    jobs = ("lucopy", "ours", "ours_sp")  # the requests arm only makes the get_metrics calls
    rated = ("lucopy", "ours", "requests")  # get_metrics does not depend on how the token came
    seen = {name: json.dumps(arms[name].ask("job 1")["results"], sort_keys=True) for name in jobs}
    bench("luco.same_results", float(seen["lucopy"] == seen["ours"] == seen["ours_sp"]), "bool")
    for name in ("ours", "ours_sp"):
        if seen["lucopy"] != seen[name]:
            print(f"results differ:\n  lucopy {seen['lucopy']}\n  {name} {seen[name]}")
    arms["requests"].ask("metrics 20")  # warm up
    times: t.Dict[str, t.List[float]] = {name: [] for name in jobs}
    rates: t.Dict[str, t.List[float]] = {name: [] for name in rated}
    connections: t.Dict[str, t.List[int]] = {name: [] for name in jobs}
    requests: t.Dict[str, t.List[int]] = {name: [] for name in jobs}
    for number in range(args.rounds):
        order = list(arms) if number % 2 == 0 else list(reversed(list(arms)))
        for name in order:
            for _ in range(args.jobs if name in jobs else 0):
                before = servers.ask("conns")
                times[name].append(arms[name].ask("job 1")["seconds"])
                after = servers.ask("conns")
                connections[name].append(after["luco"] + after["azure"] - before["luco"] - before["azure"])
                requests[name].append(after["requests"] - before["requests"])
    for number in range(args.metrics_rounds):
        for name in rated if number % 2 == 0 else tuple(reversed(rated)):
            rates[name].append(args.metrics_calls / arms[name].ask(f"metrics {args.metrics_calls}")["seconds"])
    job = {name: statistics.median(values) for name, values in times.items()}
    rate = {name: statistics.median(values) for name, values in rates.items()}
    for name in arms:
        if name in jobs:
            bench(f"luco.job_seconds.{name}", job[name], "s")
            bench(f"luco.requests_per_job.{name}", statistics.median(requests[name]), "requests")
            bench(f"luco.connections_per_job.{name}", statistics.median(connections[name]), "connections")
        if name in rated:
            bench(f"luco.get_metrics_per_second.{name}", rate[name], "calls/s")
    bench("luco.job_time_ratio", job["lucopy"] / job["ours"], "x")
    bench("luco.job_time_ratio.service_principal", job["lucopy"] / job["ours_sp"], "x")
    bench("luco.get_metrics_rate_ratio", rate["ours"] / rate["lucopy"], "x")
    bench("luco.get_metrics_rate_ratio.requests", rate["requests"] / rate["lucopy"], "x")
    bench("luco.get_metrics_vs_requests", rate["requests"] / rate["ours"], "x")


if __name__ == "__main__":
    sys.exit(main())
