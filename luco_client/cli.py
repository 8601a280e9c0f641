"""The ``luco-client`` command line.

``luco-client demo`` runs a small ETL story against an embedded flaky server on
127.0.0.1: paginated reads through a throttle and seeded faults, a 429 with Retry-After, a
write made retry-safe by an idempotency key, a write that is *not* resent after losing its
response, and a final per-endpoint report. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import typing as t

from luco_client import (
    CallOptions,
    GracefulRetry,
    GracefulSession,
    LogEvent,
    LogLevel,
    LucoClientError,
    PossiblyAppliedWriteError,
    RedactingFilter,
    StatsSnapshot,
    Throttle,
    ThrottleRule,
    Timeout,
    __version__,
    attempts_of,
)
from luco_client._cli_flow import add_flow_commands, run_flow_demo
from luco_client._cli_luco import add_luco_commands, run_luco_command, run_luco_demo
from luco_client.reports import format_table
from luco_client.testing import Delay, Drop, Faults, FlakyServer, Reply

__all__ = ["main", "run_demo", "format_report"]

#: The demo table's columns (keys of the "json" report; see luco_client.reports).
_COLUMNS = ("calls", "requests", "success_pct", "retries", "status_2xx", "status_4xx", "status_5xx",
            "transport_errors", "throttle_wait_s", "latency_avg_s", "latency_p95_s", "req_per_sec")


def format_report(snapshot: StatsSnapshot) -> str:
    """A plain-text table of a stats snapshot (one line per method and URL template, then
    TOTAL), in the formats of :func:`luco_client.reports.report_status`."""
    return format_table(snapshot, _COLUMNS)


def _say(text: str) -> None:
    print(text, flush=True)


def run_demo(seed: int = 7, pages: int = 10, verbose: bool = False) -> int:
    """Run the demo story; returns the process exit code."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("    · %(message)s"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    package_logger = logging.getLogger("luco_client")
    package_logger.addHandler(handler)
    previous_level = package_logger.level
    package_logger.setLevel(handler.level)
    started = time.monotonic()
    try:
        with FlakyServer(faults=Faults(seed, error_rate=0.15, reset_rate=0.05)) as server:
            server.script("/quota", Reply(429, {"error": "quota exceeded"}, {"Retry-After": "1"}), Reply(200))
            server.script("/orders", Drop(), Reply(201, {"order": 1001}), method="POST")
            server.script("/payments", Delay(2.0, Reply(201)), method="POST")  # far past the 0.3 s read timeout
            throttle_event = LogEvent(LogLevel.INFO, "throttle: {THROTTLE_LIMIT} req per {THROTTLE_TIME_RANGE} "
                                                     "reached, waiting {THROTTLE_TIME:.2f}s")
            throttle = Throttle(ThrottleRule(r"/catalog/", 5, 1.0), log_limit_reached=throttle_event)
            session = GracefulSession(
                retry=GracefulRetry(max_attempts=4, delay=0.1, delay_modifier=2, jitter=0.05,
                                    log_before=LogEvent(LogLevel.INFO, "retry {CUR_ATTEMPT}/{MAX_ATTEMPT} of {METHOD} "
                                                        "{ENDPOINT} in {RETRY_DELAY:.2f}s after {RETRY_CAUSE}")),
                throttle=throttle,
                timeout=Timeout(connect=2, read=0.3),
                idempotency_header="Idempotency-Key",
                log_errors=None,
            )
            _say(f"luco-client {__version__} demo: flaky API at {server.url} (seed {seed})")
            _say(f"\n1. Read {pages} catalog pages through a 5 req/s throttle; the API fails ~20% of the time")
            items = 0
            for page in range(1, pages + 1):
                response = session.get(f"{server.url}/catalog/pages/{page}", params={"size": 50})
                items += 50 if response.ok else 0
            _say(f"   read {items} items")

            _say("\n2. The API answers 429 with Retry-After: 1; the call waits and succeeds")
            response = session.get(f"{server.url}/quota")
            _say(f"   /quota -> {response.status_code} after {len(attempts_of(response))} attempts")

            _say("\n3. POST an order; the connection drops, the idempotency key makes the resend safe")
            response = session.post(f"{server.url}/orders", json={"sku": "A-1", "qty": 2})
            keys = {r.header("Idempotency-Key") for r in server.received("/orders")}
            _say(f"   order -> {response.status_code} {response.json()}; the server saw "
                 f"{server.count('/orders')} requests with {len(keys)} distinct key")

            _say("\n4. POST a payment that times out after the server took it; it is NOT resent")
            try:
                session.post(f"{server.url}/payments", json={"amount": 10},
                             options=CallOptions(idempotent=False))
            except PossiblyAppliedWriteError as exc:
                _say(f"   {type(exc).__name__}: {exc.message[:90]}...")
                _say(f"   the server received it {server.count('/payments')} time(s)")

            _say("\n5. Report\n")
            _say(format_report(session.stats.snapshot()))
            session.close()
            run_flow_demo(_say, format_report)
    except LucoClientError as exc:
        _say(f"demo failed: {exc}")
        return 1
    finally:
        package_logger.removeHandler(handler)
        package_logger.setLevel(previous_level)
    _say(f"\ndone in {time.monotonic() - started:.1f}s")
    return 0


def main(argv: t.Optional[t.Sequence[str]] = None) -> int:
    """Entry point of ``luco-client``."""
    parser = argparse.ArgumentParser(prog="luco-client", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"luco-client {__version__}")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="run the graceful-transport story against an embedded flaky server")
    demo.add_argument("--seed", type=int, default=7, help="fault injection seed (default 7)")
    demo.add_argument("--pages", type=int, default=10, help="catalog pages to read (default 10)")
    demo.add_argument("-v", "--verbose", action="store_true", help="show DEBUG events too")
    add_luco_commands(commands)
    add_flow_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return run_demo(seed=args.seed, pages=max(1, args.pages), verbose=args.verbose) or run_luco_demo(
            seed=args.seed, verbose=args.verbose, report=format_report)
    if args.command == "luco":
        return run_luco_command(args)
    if hasattr(args, "handler"):
        return int(args.handler(args))
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
