"""report_status: every report kind on a known workload over real loopback sockets."""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import typing as t

import pytest

from luco_client import (
    CallOptions,
    ConfigurationError,
    GracefulRetry,
    GracefulSession,
    HTTPStatusError,
    MissingExtraError,
    Stats,
    StatsSnapshot,
    report_status,
)
from luco_client.reports import REPORT_KINDS
from luco_client.testing import Delay, Drop, FlakyServer, Reply

if t.TYPE_CHECKING:
    from conftest import CaptureLogs


class Workload(t.NamedTuple):
    stats: Stats
    origin: str  # http://127.0.0.1:<port>

    @property
    def pokemon(self) -> str:
        return self.origin + "/pokemon/{NAME}"

    @property
    def berry(self) -> str:
        return self.origin + "/berry/{id}"


@pytest.fixture(scope="module")
def workload() -> t.Iterator[Workload]:
    """GET /pokemon/{NAME}: pikachu 503 then 200, mew 404 (not retried), eevee 200;
    GET /berry/{id}: 2 dropped then 200, 3 answers 500 three times (retries used up)."""
    with FlakyServer() as server:
        server.script("/pokemon/pikachu", Reply(503), Reply(200))
        server.script("/pokemon/mew", Reply(404))
        server.script("/berry/2", Drop(), Reply(200))
        server.script("/berry/3", Reply(500))
        session = GracefulSession(retry=GracefulRetry(max_attempts=3, delay=0.0, jitter=0, log_before=None,
                                                      log_exhausted=None), log_errors=None)
        template = CallOptions(url_template=server.url + "/pokemon/{NAME}")
        for name in ("pikachu", "mew", "eevee"):
            try:
                session.get(f"{server.url}/pokemon/{name}", options=template)
            except HTTPStatusError:
                assert name == "mew"
        session.get(server.url + "/berry/2")
        with pytest.raises(HTTPStatusError):
            session.get(server.url + "/berry/3")
        session.close()
        assert server.count() == 9
        yield Workload(session.stats, server.url)


# (calls, requests, success %, fail %, 2xx, 3xx, 4xx, 5xx, no response, retries) per endpoint
POKEMON = (3, 4, "50.00%", "50.00%", 2, 0, 1, 1, 0, 1)
BERRY = (2, 5, "20.00%", "80.00%", 1, 0, 0, 3, 1, 3)
TOTAL = (5, 9, "33.33%", "66.67%", 3, 0, 1, 4, 1, 4)
COUNT_KEYS = ("calls", "requests", "success_pct", "fail_pct", "status_2xx", "status_3xx", "status_4xx",
              "status_5xx", "transport_errors", "retries")


def _numbers(expected: t.Tuple[t.Any, ...]) -> t.Dict[str, t.Any]:
    return {k: (float(v.rstrip("%")) if isinstance(v, str) else v) for k, v in zip(COUNT_KEYS, expected)}


def test_the_workload_is_what_the_reports_should_show(workload: Workload) -> None:
    snap = workload.stats.snapshot()
    assert [(e.method, e.url_template) for e in snap.endpoints] == [("GET", workload.berry), ("GET", workload.pokemon)]
    assert (snap.total.method, snap.total.url_template) == ("*", "TOTAL")
    for entry, expected in ((snap.get("GET", workload.pokemon), POKEMON), (snap.get("GET", workload.berry), BERRY),
                            (snap.total, TOTAL)):
        assert entry is not None
        assert (entry.calls, entry.requests, f"{entry.success_rate:.2f}%", f"{entry.failure_rate:.2f}%",
                entry.status_2xx, entry.status_3xx, entry.status_4xx, entry.status_5xx, entry.transport_errors,
                entry.retries) == expected
        assert entry.replays == 0 and entry.throttle_waits == 0


# ------------------------------------------------------------------ list


def _list_block(text: str, heading: str) -> t.Dict[str, str]:
    lines = text.splitlines()
    start = lines.index(heading) + 1
    block: t.Dict[str, str] = {}
    for line in lines[start:]:
        if ": " not in line:
            break
        label, _, value = line.partition(": ")
        block[label.strip()] = value
    return block


def test_list_report_has_exact_counts_per_endpoint_and_total(workload: Workload) -> None:
    out = io.StringIO()
    text = report_status(workload.stats, "list", file=out, title="My report")
    assert out.getvalue() == text
    assert text.splitlines()[0] == "My report"
    snap = workload.stats.snapshot()
    for heading, expected, entry in (
        (f"1. GET {workload.berry}", BERRY, snap.endpoints[0]),
        (f"2. GET {workload.pokemon}", POKEMON, snap.endpoints[1]),
        ("TOTAL", TOTAL, snap.total),
    ):
        block = _list_block(text, heading)
        calls, requests, ok, fail, s2, s3, s4, s5, errors, retries = expected
        assert block["Calls (#)"] == str(calls)
        assert block["Total Reqs (#)"] == str(requests)
        assert block["Success (%)"] == ok and block["Fail (%)"] == fail
        assert (block["2xx Resps"], block["3xx Resps"], block["4xx Resps"], block["5xx Resps"]) == \
            (str(s2), str(s3), str(s4), str(s5))
        assert block["No Response (#)"] == str(errors) and block["Retries (#)"] == str(retries)
        assert block["Throttle Waits (#)"] == "0" and block["Throttle Wait (s)"] == "0.000"
        assert block["Replays (#)"] == "0"
        assert block["Avg Latency (s)"] == f"{entry.latency_avg:.3f}"
        assert block["Max Latency (s)"] == f"{entry.latency_max:.3f}"
        assert block["P95 Latency (s)"] == f"{entry.latency_p95:.3f}"
        assert block["Avg Reqs/sec"] == f"{entry.req_per_sec:.2f} reqs/s"
    # the total's max latency is the largest of all attempts (gracy printed 0.00 here)
    assert snap.total.latency_max == max(e.latency_max for e in snap.endpoints) > 0


def test_list_report_writes_to_the_current_stdout(workload: Workload, capsys: pytest.CaptureFixture[str]) -> None:
    text = report_status(workload.stats, "list")
    assert capsys.readouterr().out == text
    assert "TOTAL" in text and "luco_client request report" in text


def test_list_report_of_empty_stats() -> None:
    out = io.StringIO()
    text = report_status(Stats(), "list", file=out)
    assert "(no requests recorded)" in text
    assert _list_block(text, "TOTAL")["Total Reqs (#)"] == "0"
    assert _list_block(text, "TOTAL")["Avg Reqs/sec"] == "0.00 reqs/s"


# ------------------------------------------------------------------ json


def test_json_report_round_trips_and_has_exact_numbers(workload: Workload) -> None:
    report = report_status(workload.stats, "json")
    assert json.loads(json.dumps(report)) == report
    assert report["schema"] == 1
    generated = datetime.datetime.fromisoformat(report["generated_at"])
    assert generated.utcoffset() == datetime.timedelta(0)
    assert "title" not in report
    endpoints = {(e["method"], e["url_template"]): e for e in report["endpoints"]}
    assert list(endpoints) == [("GET", workload.berry), ("GET", workload.pokemon)]
    snap = workload.stats.snapshot()
    for data, expected, entry in ((endpoints["GET", workload.pokemon], POKEMON, snap.endpoints[1]),
                                  (endpoints["GET", workload.berry], BERRY, snap.endpoints[0]),
                                  (report["total"], TOTAL, snap.total)):
        wanted = _numbers(expected)
        for key, value in wanted.items():
            assert data[key] == pytest.approx(value, abs=0.005), key
        assert isinstance(data["requests"], int) and isinstance(data["success_pct"], float)
        assert (data["replays"], data["throttle_waits"], data["throttle_wait_s"], data["status_1xx"]) == (0, 0, 0.0, 0)
        assert data["latency_avg_s"] == entry.latency_avg and data["latency_max_s"] == entry.latency_max
        assert data["latency_p95_s"] == entry.latency_p95 and data["req_per_sec"] == entry.req_per_sec
        assert data["span_s"] == entry.span_seconds
    assert report["total"]["method"] == "*" and report["total"]["url_template"] == "TOTAL"
    assert report["total"]["statuses"] == {"200": 3, "404": 1, "500": 3, "503": 1}
    for data in (*report["endpoints"], report["total"]):
        for key, value in data.items():
            if key not in ("method", "url_template", "statuses"):
                assert isinstance(value, (int, float)) and not isinstance(value, bool), key
    assert report_status(workload.stats, "json", title="nightly")["title"] == "nightly"


# ------------------------------------------------------------------ logger


@pytest.fixture
def reports_logger(capture_logs: CaptureLogs) -> t.Iterator[t.List[logging.LogRecord]]:
    with capture_logs("luco_client.reports", logging.INFO) as records:
        yield records


def test_logger_report_emits_one_info_line_per_endpoint_and_total(
        workload: Workload, reports_logger: t.List[logging.LogRecord]) -> None:
    root = logging.getLogger()
    root_state = (list(root.handlers), root.level, list(root.filters))
    logger = logging.getLogger("luco_client.reports")
    own_state = (list(logger.handlers), logger.level, logger.propagate)
    lines = report_status(workload.stats)  # "logger" is the default kind
    assert (list(root.handlers), root.level, list(root.filters)) == root_state
    assert (list(logger.handlers), logger.level, logger.propagate) == own_state
    assert [r.getMessage() for r in reports_logger] == lines
    assert all(r.levelno == logging.INFO and r.name == "luco_client.reports" for r in reports_logger)
    snap = workload.stats.snapshot()
    assert lines == [
        f"luco_client tracked that GET {workload.berry} was hit 5 time(s) (3 retry(ies)) with a success rate of "
        f"20.00%, avg latency of {snap.endpoints[0].latency_avg:.3f}s, p95 {snap.endpoints[0].latency_p95:.3f}s, "
        f"and a rate of {snap.endpoints[0].req_per_sec:.2f} reqs/s.",
        f"luco_client tracked that GET {workload.pokemon} was hit 4 time(s) (1 retry(ies)) with a success rate of "
        f"50.00%, avg latency of {snap.endpoints[1].latency_avg:.3f}s, p95 {snap.endpoints[1].latency_p95:.3f}s, "
        f"and a rate of {snap.endpoints[1].req_per_sec:.2f} reqs/s.",
        f"luco_client tracked that all endpoints together were hit 9 time(s) (4 retry(ies)) with a success rate of "
        f"33.33%, avg latency of {snap.total.latency_avg:.3f}s, p95 {snap.total.latency_p95:.3f}s, "
        f"and a rate of {snap.total.req_per_sec:.2f} reqs/s.",
    ]
    structured = [r.luco_report for r in reports_logger]  # type: ignore[attr-defined]
    assert [(d["requests"], d["retries"], d["status_5xx"]) for d in structured] == [(5, 3, 3), (4, 1, 1), (9, 4, 4)]


def test_logger_report_uses_the_given_logger(workload: Workload, reports_logger: t.List[logging.LogRecord],
                                             capture_logs: CaptureLogs) -> None:
    with capture_logs("tests.my_reports", logging.INFO, propagate=False) as mine:
        lines = report_status(workload.stats, "logger", logger=logging.getLogger("tests.my_reports"))
    assert [r.getMessage() for r in mine] == lines and len(lines) == 3
    assert reports_logger == []


def test_logger_report_is_silent_unless_logging_is_configured(
        workload: Workload, capsys: pytest.CaptureFixture[str]) -> None:
    if os.environ.get("LUCO_CLIENT_LOG"):
        pytest.skip("LUCO_CLIENT_LOG asks for a stderr handler")
    lines = report_status(workload.stats, "logger")
    assert len(lines) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "luco_client tracked" not in captured.err


# ------------------------------------------------------------------ rich


def _rich_rows(table: t.Any) -> t.Dict[str, t.List[str]]:
    from rich.console import Console

    console = Console(record=True, width=250, file=io.StringIO())
    console.print(table)
    rows = {}
    for line in console.export_text().splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells and (cells[0].startswith(("GET ", "POST ")) or cells[0] == "TOTAL"):
            rows[cells[0]] = cells[1:]
    return rows


def test_rich_report_rows_and_cells(workload: Workload) -> None:
    pytest.importorskip("rich", reason="the rich extra is not installed (pip install 'luco-client[rich]')")
    out = io.StringIO()
    table = report_status(workload.stats, "rich", file=out, title="My report")
    assert table.row_count == 3 and table.title == "My report"
    headers = [str(c.header).replace("\n", " ") for c in table.columns]
    assert headers == ["Endpoint", "Calls", "Reqs", "OK %", "Fail %", "Avg s", "Max s", "P95 s", "2xx", "3xx",
                       "4xx", "5xx", "No resp", "Retries", "Thr. waits", "Thr. s", "Replays", "Req/s"]
    rows = _rich_rows(table)
    assert list(rows) == ["GET /berry/{id}", "GET /pokemon/{NAME}", "TOTAL"]  # the common origin is in the caption
    snap = workload.stats.snapshot()
    for label, expected, entry in (("GET /berry/{id}", BERRY, snap.endpoints[0]),
                                   ("GET /pokemon/{NAME}", POKEMON, snap.endpoints[1]),
                                   ("TOTAL", TOTAL, snap.total)):
        calls, requests, ok, fail, s2, s3, s4, s5, errors, retries = expected
        assert rows[label] == [
            str(calls), str(requests), ok, fail, f"{entry.latency_avg:.3f}", f"{entry.latency_max:.3f}",
            f"{entry.latency_p95:.3f}", str(s2), str(s3), str(s4), str(s5), str(errors), str(retries), "0",
            "0.000", "0", f"{entry.req_per_sec:.2f}"]
    printed = out.getvalue()  # a file gets the whole table, never squeezed to 80 columns
    assert workload.origin in printed and "│ GET /pokemon/{NAME} │" in printed
    assert "│ TOTAL " in printed and "33.33%" in printed and "…" not in printed


# ------------------------------------------------------------------ plotly


def test_plotly_figure_carries_exact_counts(workload: Workload) -> None:
    pytest.importorskip("plotly", reason="the plotly extra is not installed (pip install 'luco-client[plotly]')")
    import plotly.graph_objects as go

    fig = report_status(workload.stats, "plotly", title="My report")
    assert isinstance(fig, go.Figure)
    traces = {tr.name: tr for tr in fig.data}
    by_label = {name: dict(zip(tr.y, tr.x)) for name, tr in traces.items()}
    assert by_label["2xx"] == {"GET /pokemon/{NAME}": 2, "GET /berry/{id}": 1}
    assert by_label["3xx"] == {"GET /pokemon/{NAME}": 0, "GET /berry/{id}": 0}
    assert by_label["4xx"] == {"GET /pokemon/{NAME}": 1, "GET /berry/{id}": 0}
    assert by_label["5xx"] == {"GET /pokemon/{NAME}": 1, "GET /berry/{id}": 3}
    assert by_label["no response"] == {"GET /pokemon/{NAME}": 0, "GET /berry/{id}": 1}
    assert by_label["retries"] == {"GET /pokemon/{NAME}": 4, "GET /berry/{id}": 5}  # drawn at the bar's end
    assert dict(zip(traces["retries"].y, traces["retries"].customdata)) == {"GET /pokemon/{NAME}": 1,
                                                                            "GET /berry/{id}": 3}
    snap = workload.stats.snapshot()
    for name, attr in (("avg latency", "latency_avg"), ("p95 latency", "latency_p95"),
                       ("max latency", "latency_max")):
        assert by_label[name] == {"GET /pokemon/{NAME}": getattr(snap.endpoints[1], attr),
                                  "GET /berry/{id}": getattr(snap.endpoints[0], attr)}
    title = fig.layout.title.text
    assert title.startswith("My report") and "5 calls, 9 requests, 4 retries, 33.33% success" in title
    assert workload.origin in title
    assert sum(sum(traces[n].x) for n in ("2xx", "3xx", "4xx", "5xx", "no response")) == 9


def test_plotly_figure_of_empty_stats() -> None:
    pytest.importorskip("plotly", reason="the plotly extra is not installed (pip install 'luco-client[plotly]')")
    fig = report_status(Stats(), "plotly")
    assert all(len(tr.x) == 0 for tr in fig.data)


# ------------------------------------------------------------------ invariants


def _render_all(source: t.Union[Stats, StatsSnapshot]) -> t.Dict[str, t.Any]:
    out: t.Dict[str, t.Any] = {"logger": report_status(source, "logger"),
                               "list": report_status(source, "list", file=io.StringIO())}
    report = report_status(source, "json")
    report.pop("generated_at")
    out["json"] = report
    try:
        buffer = io.StringIO()
        report_status(source, "rich", file=buffer)
        out["rich"] = buffer.getvalue()
    except MissingExtraError:
        pass
    try:
        out["plotly"] = report_status(source, "plotly").to_json()
    except MissingExtraError:
        pass
    return out


def test_printers_never_mutate_and_are_repeatable(workload: Workload) -> None:
    before = workload.stats.snapshot()
    first = _render_all(workload.stats)
    second = _render_all(workload.stats)
    from_snapshot = _render_all(before)
    assert first == second == from_snapshot
    assert workload.stats.snapshot() == before


def test_rate_is_fractional_not_whole_seconds(server: FlakyServer) -> None:
    server.script("/slow", Delay(0.15, Reply(200)))
    session = GracefulSession()
    for _ in range(3):
        session.get(server.url + "/slow")
    session.close()
    entry = session.stats.snapshot().total
    assert entry.requests == 3
    assert entry.span_seconds >= 3 * entry.latency_avg * 0.999  # three sequential attempts
    assert entry.req_per_sec == pytest.approx(3 / entry.span_seconds)
    assert entry.req_per_sec <= 3 / 0.45 + 0.01  # each attempt waited 0.15 s on the server
    text = report_status(session.stats, "list", file=io.StringIO())
    assert f"Avg Reqs/sec: {3 / entry.span_seconds:.2f} reqs/s" in text
    assert report_status(session.stats, "json")["total"]["req_per_sec"] == entry.req_per_sec


def test_rate_and_latency_formatting_on_known_timings() -> None:
    stats = Stats()  # three attempts over exactly 0.5 s: 6 req/s, not 3 (1 s) or 0 (0 s)
    for i, (elapsed, status) in enumerate(((0.1, 200), (0.2, 503), (0.1, 200))):
        stats.record_attempt("GET", "https://h/pokemon/{NAME}", started=100.0 + 0.2 * i, elapsed=elapsed,
                             status=status, success=status == 200, retry=i == 1, throttle_wait=0.25 * (i == 2))
    text = report_status(stats, "list", file=io.StringIO())
    block = _list_block(text, "1. GET https://h/pokemon/{NAME}")
    assert block["Avg Reqs/sec"] == "6.00 reqs/s"
    assert (block["Avg Latency (s)"], block["Max Latency (s)"], block["P95 Latency (s)"]) == ("0.133", "0.200", "0.200")
    assert (block["Success (%)"], block["Fail (%)"], block["Retries (#)"]) == ("66.67%", "33.33%", "1")
    assert (block["Throttle Waits (#)"], block["Throttle Wait (s)"]) == ("1", "0.250")
    assert _list_block(text, "TOTAL") == block


def test_replays_have_their_own_column() -> None:
    stats = Stats()
    stats.record_attempt("GET", "https://h/a", started=0.0, elapsed=0.001, status=200, success=True, replay=True)
    stats.record_attempt("GET", "https://h/a", started=0.5, elapsed=0.1, status=200, success=True)
    assert _list_block(report_status(stats, "list", file=io.StringIO()), "TOTAL")["Replays (#)"] == "1"
    assert report_status(stats, "json")["total"]["replays"] == 1
    assert "(1 replayed)" in report_status(stats, "logger")[0]


# ------------------------------------------------------------------ errors and extras


def test_unknown_kind_lists_the_valid_kinds() -> None:
    with pytest.raises(ConfigurationError) as info:
        report_status(Stats(), "html")
    for kind in REPORT_KINDS:
        assert repr(kind) in str(info.value)


def test_source_must_be_stats_or_snapshot() -> None:
    with pytest.raises(ConfigurationError, match="Stats or a StatsSnapshot"):
        report_status({"requests": 1}, "json")  # type: ignore[arg-type]


@pytest.mark.parametrize("extra", ["rich", "plotly"])
def test_missing_extra_names_the_pip_command(extra: str) -> None:
    code = textwrap.dedent(f"""
        import sys
        sys.modules[{extra!r}] = None  # as if the extra were not installed
        from luco_client import MissingExtraError, ConfigurationError, Stats, report_status
        try:
            report_status(Stats(), {extra!r})
        except MissingExtraError as exc:
            assert isinstance(exc, ConfigurationError)
            print("MISSING:", exc)
        else:
            print("NO ERROR")
        report_status(Stats(), "json")  # the other kinds still work
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MISSING:")
    assert f'pip install "luco-client[{extra}]"' in result.stdout


def test_importing_the_package_imports_neither_rich_nor_plotly() -> None:
    code = ("import sys, luco_client, luco_client.reports; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'plotly')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_session_reports_its_own_stats(server: FlakyServer) -> None:
    server.script("/s", Reply(500), Reply(200))
    with GracefulSession(retry=GracefulRetry(max_attempts=2, delay=0.01, jitter=0)) as s:
        s.get(server.url + "/s")
        report = s.report_status("json")
        assert s.report_status("list", file=io.StringIO()) == report_status(s.stats, "list", file=io.StringIO())
    assert (report["total"]["requests"], report["total"]["retries"], report["total"]["status_5xx"]) == (2, 1, 1)
