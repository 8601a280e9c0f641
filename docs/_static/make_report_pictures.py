"""Regenerate the report pictures of docs/reports.rst (and print the text samples).

Runs a small, realistic workload against an embedded FlakyServer (a retried 503, a dropped
connection, a 404, a 5xx that outlives its retries, a throttled endpoint and a POST made
retry-safe by an idempotency key), then writes next to this script:

* ``report_rich.svg``: the ``"rich"`` report, recorded with ``Console(record=True)``;
* ``report_plotly.png``: the ``"plotly"`` report, written to HTML and screenshotted with
  headless Chromium (``apt-get install chromium``); without Chromium the HTML is kept and
  the PNG is left as it is.

Usage: ``python docs/_static/make_report_pictures.py [--samples]``; needs the ``rich`` and
``plotly`` extras. ``--samples`` also prints the ``"logger"``, ``"list"`` and ``"json"``
reports of the same run.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import typing as t

from rich.console import Console

from luco_client import (
    CallOptions,
    GracefulRetry,
    GracefulSession,
    HTTPStatusError,
    Stats,
    Throttle,
    ThrottleRule,
    report_status,
)
from luco_client.testing import Delay, Drop, FlakyServer, Reply

HERE = os.path.dirname(os.path.abspath(__file__))
POKEMON = ("pikachu", "bulbasaur", "charmander", "squirtle", "eevee", "snorlax", "mew", "ditto")


def run_workload() -> Stats:
    """The workload of the pictures; returns the session's statistics."""
    with FlakyServer(default=Delay(0.04, Reply(200, {"ok": True}))) as server:
        server.script("/pokemon/pikachu", Reply(503), Delay(0.05, Reply(200)))
        server.script("/pokemon/snorlax", Delay(0.25, Reply(200)))
        server.script("/pokemon/mew", Delay(0.02, Reply(404, {"error": "no such pokemon"})))
        server.script("/berry/2", Drop(), Delay(0.03, Reply(200)))
        server.script("/berry/3", Reply(500), Reply(502), Reply(500))
        server.script("/orders", Delay(0.06, Reply(503)), Delay(0.08, Reply(201, {"order": 7})), method="POST")
        session = GracefulSession(
            retry=GracefulRetry(max_attempts=3, delay=0.05, jitter=0),
            throttle=Throttle(ThrottleRule(r"/pokemon/", 4, 1.0)),  # 4 requests per second
            idempotency_header="Idempotency-Key",
        )
        template = CallOptions(url_template=server.url + "/pokemon/{NAME}")
        for name in POKEMON:
            try:
                session.get(f"{server.url}/pokemon/{name}", options=template)
            except HTTPStatusError:
                pass  # mew: 404, not retried
        for berry in range(1, 5):
            try:
                session.get(f"{server.url}/berry/{berry}")
            except HTTPStatusError:
                pass  # berry 3: 500, 502, 500
        session.post(f"{server.url}/orders", json={"sku": "A-1"})
        session.close()
        return session.stats


def screenshot(html: str, png: str) -> bool:
    """Screenshot ``html`` into ``png`` with headless Chromium; False without Chromium."""
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    if browser is None:
        return False
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
                        f"--screenshot={png}", "--window-size=1200,640", "file://" + html],
                       check=True, capture_output=True, timeout=120)
    return True


def main(argv: t.Optional[t.Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--samples", action="store_true", help="also print the logger, list and json reports")
    args = parser.parse_args(argv)
    snapshot = run_workload().snapshot()

    table = report_status(snapshot, "rich", file=io.StringIO(), title="Pokedex sync")
    console = Console(record=True, width=160, file=io.StringIO())
    console.print(table)
    console.save_svg(os.path.join(HERE, "report_rich.svg"), title="luco_client: report_status(stats, 'rich')")

    figure = report_status(snapshot, "plotly", title="Pokedex sync")
    figure.update_layout(width=1180, height=620)
    html = os.path.join(tempfile.mkdtemp(), "report_plotly.html")
    figure.write_html(html, include_plotlyjs=True, config={"displayModeBar": False})
    if not screenshot(html, os.path.join(HERE, "report_plotly.png")):
        print(f"no Chromium found: the figure is in {html}", file=sys.stderr)

    if args.samples:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        reports_logger = logging.getLogger("luco_client.reports")
        reports_logger.addHandler(handler)
        reports_logger.setLevel(logging.INFO)
        try:
            report_status(snapshot, "logger")
        finally:
            reports_logger.removeHandler(handler)
            reports_logger.setLevel(logging.NOTSET)
        print()
        report_status(snapshot, "list", title="Pokedex sync")
        print()
        print(json.dumps(report_status(snapshot, "json"), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
