"""Request reports: the statistics of a session, per (method, URL template), in five forms.

:func:`report_status` reads a :class:`~luco_client.stats.Stats` (or a snapshot of one) and
renders it as log lines, a plain-text list, a ``rich`` table, a ``plotly`` figure or a
JSON-ready dict. Every form shows the same fields, for each endpoint and for the total:

=====================  ======================================================================
field                  meaning
=====================  ======================================================================
calls                  logical calls (one per ``session.get(...)``, however many attempts)
requests               attempts on the wire, retries included (replayed responses included)
success %, fail %      successful / failed attempts as a share of ``requests``
avg, max, p95 latency  wire time of the live attempts, in seconds (replays left out)
2xx, 3xx, 4xx, 5xx     attempts answered with a status of that class
transport errors       attempts that got no response at all (refused, reset, timed out)
retries                attempts after the first of their call
throttle waits         attempts that waited for the throttle, and the seconds waited
replays                responses served from a recording instead of the network
req/s                  live attempts divided by the real time from the first live attempt's
                       start to the last one's end (fractional, never rounded to seconds)
=====================  ======================================================================

Printers never change the statistics: a :class:`~luco_client.stats.Stats` is read once
through :meth:`~luco_client.stats.Stats.snapshot`. ``rich`` and ``plotly`` are optional
extras, imported only when their report is asked for.
"""

from __future__ import annotations

import datetime
import importlib
import logging
import sys
import typing as t

from luco_client.errors import ConfigurationError, MissingExtraError
from luco_client.stats import EndpointStats, Stats, StatsSnapshot

__all__ = ["report_status", "format_table", "REPORT_KINDS", "REPORT_LOGGER", "JSON_SCHEMA_VERSION"]

#: The report kinds :func:`report_status` accepts.
REPORT_KINDS: t.Tuple[str, ...] = ("logger", "list", "rich", "plotly", "json")

#: Name of the logger the ``"logger"`` report writes to by default.
REPORT_LOGGER = "luco_client.reports"

#: Version of the dict layout returned by the ``"json"`` report.
JSON_SCHEMA_VERSION = 1

_DEFAULT_TITLE = "luco_client request report"


class _Field(t.NamedTuple):
    key: str  # key in the json report
    label: str  # label in the list report (units in parentheses)
    header: str  # column header of the tables
    style: str  # "int", "pct" (percent), "sec" (seconds) or "rate" (requests per second)
    value: t.Callable[[EndpointStats], float]


_FIELDS: t.Tuple[_Field, ...] = (
    _Field("calls", "Calls (#)", "Calls", "int", lambda e: e.calls),
    _Field("requests", "Total Reqs (#)", "Reqs", "int", lambda e: e.requests),
    _Field("success_pct", "Success (%)", "OK %", "pct", lambda e: e.success_rate),
    _Field("fail_pct", "Fail (%)", "Fail %", "pct", lambda e: e.failure_rate),
    _Field("latency_avg_s", "Avg Latency (s)", "Avg s", "sec", lambda e: e.latency_avg),
    _Field("latency_max_s", "Max Latency (s)", "Max s", "sec", lambda e: e.latency_max),
    _Field("latency_p95_s", "P95 Latency (s)", "P95 s", "sec", lambda e: e.latency_p95),
    _Field("status_2xx", "2xx Resps", "2xx", "int", lambda e: e.status_2xx),
    _Field("status_3xx", "3xx Resps", "3xx", "int", lambda e: e.status_3xx),
    _Field("status_4xx", "4xx Resps", "4xx", "int", lambda e: e.status_4xx),
    _Field("status_5xx", "5xx Resps", "5xx", "int", lambda e: e.status_5xx),
    _Field("transport_errors", "No Response (#)", "No resp", "int", lambda e: e.transport_errors),
    _Field("retries", "Retries (#)", "Retries", "int", lambda e: e.retries),
    _Field("throttle_waits", "Throttle Waits (#)", "Thr. waits", "int", lambda e: e.throttle_waits),
    _Field("throttle_wait_s", "Throttle Wait (s)", "Thr. s", "sec", lambda e: e.throttle_wait_seconds),
    _Field("replays", "Replays (#)", "Replays", "int", lambda e: e.replays),
    _Field("req_per_sec", "Avg Reqs/sec", "Req/s", "rate", lambda e: e.req_per_sec),
)
_BY_KEY = {f.key: f for f in _FIELDS}


def _text(field: _Field, entry: EndpointStats, *, units: bool = False) -> str:
    value = field.value(entry)
    if field.style == "int":
        return str(int(value))
    if field.style == "pct":
        return f"{value:.2f}%"
    if field.style == "sec":
        return f"{value:.3f}"
    return f"{value:.2f} reqs/s" if units else f"{value:.2f}"


def _label(entry: EndpointStats, strip: str = "") -> str:
    """``GET https://h/items/{id}``, or ``TOTAL``; ``strip`` is a prefix cut off the template."""
    if entry.method == "*":
        return "TOTAL"
    template = entry.url_template
    if strip and template.startswith(strip):
        template = template[len(strip):] or "/"
    return f"{entry.method} {template}"


def _common_origin(snapshot: StatsSnapshot) -> str:
    """The ``scheme://host[:port]`` every endpoint shares, or ``""``."""
    origins = set()
    for entry in snapshot.endpoints:
        scheme, sep, rest = entry.url_template.partition("://")
        if not sep:
            return ""
        origins.add(f"{scheme}://{rest.split('/', 1)[0]}")
    return origins.pop() if len(origins) == 1 else ""


def _rows(snapshot: StatsSnapshot) -> t.Tuple[EndpointStats, ...]:
    return (*snapshot.endpoints, snapshot.total)


def format_table(snapshot: StatsSnapshot, keys: t.Sequence[str], *, strip_scheme: bool = True,
                 label_width: int = 38) -> str:
    """A fixed-width text table of a snapshot: one line per (method, URL template), then a
    TOTAL line (the CLI demo's report).

    :param keys: the columns, keys of the ``"json"`` report (``"calls"``, ``"requests"``,
        ``"success_pct"``, ``"retries"``, ``"status_2xx"``, ``"latency_p95_s"``...).
    :param strip_scheme: show ``GET host/path`` rather than the full URL template.
    :param label_width: longest endpoint label, in characters (longer ones keep their end).
    """
    unknown = [k for k in keys if k not in _BY_KEY]
    if unknown:
        raise ConfigurationError(f"format_table: unknown columns {unknown}; valid: {sorted(_BY_KEY)}")
    fields = [_BY_KEY[k] for k in keys]
    header = ["endpoint", *(f.header for f in fields)]
    lines = [header]
    for entry in _rows(snapshot):
        label = _label(entry)
        if strip_scheme and entry.method != "*":
            label = f"{entry.method} {entry.url_template.split('://', 1)[-1]}"
        if len(label) > label_width:
            label = "..." + label[-(label_width - 3):]
        lines.append([label, *(_text(f, entry) for f in fields)])
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in lines)


def _json_entry(entry: EndpointStats) -> t.Dict[str, t.Any]:
    data: t.Dict[str, t.Any] = {"method": entry.method, "url_template": entry.url_template}
    for f in _FIELDS:
        value = f.value(entry)
        data[f.key] = int(value) if f.style == "int" else float(value)
    data["status_1xx"] = entry.status_1xx
    data["span_s"] = float(entry.span_seconds)
    data["statuses"] = {str(code): count for code, count in entry.statuses.items()}
    return data


def _report_json(snapshot: StatsSnapshot, title: t.Optional[str]) -> t.Dict[str, t.Any]:
    report: t.Dict[str, t.Any] = {
        "schema": JSON_SCHEMA_VERSION,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if title is not None:
        report["title"] = title
    report["endpoints"] = [_json_entry(e) for e in snapshot.endpoints]
    report["total"] = _json_entry(snapshot.total)
    return report


def _log_line(entry: EndpointStats) -> str:
    what = "all endpoints together were" if entry.method == "*" else f"{_label(entry)} was"
    extras = []
    if entry.retries:
        extras.append(f"{entry.retries} retry(ies)")
    if entry.replays:
        extras.append(f"{entry.replays} replayed")
    detail = f" ({', '.join(extras)})" if extras else ""
    return (f"luco_client tracked that {what} hit {entry.requests} time(s){detail} with a success rate of "
            f"{entry.success_rate:.2f}%, avg latency of {entry.latency_avg:.3f}s, p95 {entry.latency_p95:.3f}s, "
            f"and a rate of {entry.req_per_sec:.2f} reqs/s.")


def _report_logger(snapshot: StatsSnapshot, logger: t.Optional[logging.Logger]) -> t.List[str]:
    target = logger if logger is not None else logging.getLogger(REPORT_LOGGER)
    lines = []
    for entry in _rows(snapshot):
        line = _log_line(entry)
        lines.append(line)
        # The line is the whole message (no %-args); the numbers ride along for JSON formatters.
        target.info(line, extra={"luco_report": _json_entry(entry)})
    return lines


def _report_list(snapshot: StatsSnapshot, file: t.Optional[t.TextIO], title: t.Optional[str]) -> str:
    width = max(len(f.label) for f in _FIELDS) + 3
    out = [title if title is not None else _DEFAULT_TITLE]
    if not snapshot.endpoints:
        out.append("(no requests recorded)")
    for number, entry in enumerate(_rows(snapshot), 1):
        out.append("TOTAL" if entry.method == "*" else f"{number}. {_label(entry)}")
        out.extend(f"{f.label.rjust(width)}: {_text(f, entry, units=True)}" for f in _FIELDS)
    text = "\n".join(out) + "\n"
    stream = file if file is not None else sys.stdout
    stream.write(text)
    stream.flush()
    return text


def _require(module: str, extra: str, kind: str) -> t.Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"report_status(kind={kind!r}) needs the optional dependency {extra!r}, which is not installed: "
            f'pip install "luco-client[{extra}]"') from exc


_RICH_STYLES = {"status_2xx": "green", "status_4xx": "yellow", "status_5xx": "red", "transport_errors": "red",
                "retries": "magenta", "replays": "cyan"}


def _report_rich(snapshot: StatsSnapshot, file: t.Optional[t.TextIO], title: t.Optional[str]) -> t.Any:
    rich_console = _require("rich.console", "rich", "rich")
    rich_table = _require("rich.table", "rich", "rich")
    origin = _common_origin(snapshot)
    heading = title if title is not None else _DEFAULT_TITLE
    table = rich_table.Table(title=heading, caption=f"endpoints of {origin}; latencies in seconds" if origin
                             else "latencies in seconds", caption_justify="left")
    table.add_column("Endpoint", overflow="fold")
    for f in _FIELDS:
        # Two-line long headers ("Thr.\nwaits") keep the columns as narrow as their numbers.
        header = f.header.replace(" ", "\n") if len(f.header) > 6 else f.header
        table.add_column(header, justify="right", no_wrap=True,
                         style=_RICH_STYLES.get(f.key))
    for number, entry in enumerate(snapshot.endpoints, 1):
        table.add_row(_label(entry, origin), *(_text(f, entry) for f in _FIELDS),
                      end_section=number == len(snapshot.endpoints))
    table.add_row("TOTAL", *(_text(f, snapshot.total) for f in _FIELDS), style="bold")
    console = rich_console.Console(file=file)
    if not console.is_terminal:  # a file or a pipe has no width of its own: never squeeze the numbers
        natural = console.measure(table, options=console.options.update_width(10_000)).maximum
        console.width = max(console.width, natural)
    console.print(table)
    return table


_STATUS_TRACES = (
    ("2xx", "status_2xx", "#2ca02c"),
    ("3xx", "status_3xx", "#1f77b4"),
    ("4xx", "status_4xx", "#ff7f0e"),
    ("5xx", "status_5xx", "#d62728"),
    ("no response", "transport_errors", "#7f7f7f"),
)
_LATENCY_TRACES = (  # drawn in this order: the open max marker stays visible around p95
    ("max latency", "latency_max_s", {"symbol": "line-ns-open", "size": 18, "color": "#d62728",
                                      "line": {"width": 2}}),
    ("p95 latency", "latency_p95_s", {"symbol": "diamond", "size": 10, "color": "#ff7f0e"}),
    ("avg latency", "latency_avg_s", {"symbol": "circle", "size": 10, "color": "#1f77b4"}),
)


def _report_plotly(snapshot: StatsSnapshot, title: t.Optional[str]) -> t.Any:
    go = _require("plotly.graph_objects", "plotly", "plotly")
    subplots = _require("plotly.subplots", "plotly", "plotly")
    origin = _common_origin(snapshot)
    entries = list(reversed(snapshot.endpoints))  # plotly draws the first category at the bottom
    labels = [_label(e, origin) for e in entries]
    detail = [[e.calls, e.requests, e.retries, e.throttle_waits, e.throttle_wait_seconds, e.replays,
               e.success_rate, e.req_per_sec] for e in entries]
    hover = ("%{y}<br>%{fullData.name}: %{x}<br>calls %{customdata[0]}, requests %{customdata[1]}, "
             "retries %{customdata[2]}<br>throttle waits %{customdata[3]} (%{customdata[4]:.3f} s), "
             "replays %{customdata[5]}<br>success %{customdata[6]:.2f}%, %{customdata[7]:.2f} req/s<extra></extra>")
    fig = subplots.make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.03,
                                 column_widths=[0.58, 0.42],
                                 subplot_titles=("attempts by outcome (#)", "latency (s)"))
    for name, key, color in _STATUS_TRACES:
        fig.add_trace(go.Bar(name=name, orientation="h", y=labels, x=[int(_BY_KEY[key].value(e)) for e in entries],
                             marker_color=color, customdata=detail, hovertemplate=hover), row=1, col=1)
    retries = [e.retries for e in entries]
    fig.add_trace(go.Scatter(name="retries", mode="markers+text", y=labels, x=[e.requests for e in entries],
                             text=[f"  {n} retr." if n else "" for n in retries], textposition="middle right",
                             cliponaxis=False, marker={"symbol": "triangle-left", "size": 9, "color": "#444"},
                             customdata=retries, hovertemplate="%{y}<br>retries: %{customdata}<extra></extra>"),
                  row=1, col=1)
    for name, key, marker in _LATENCY_TRACES:
        fig.add_trace(go.Scatter(name=name, mode="markers", y=labels, x=[_BY_KEY[key].value(e) for e in entries],
                                 marker=marker, hovertemplate="%{y}<br>%{fullData.name}: %{x:.3f} s<extra></extra>"),
                      row=1, col=2)
    total = snapshot.total
    heading = title if title is not None else _DEFAULT_TITLE
    summary = (f"{total.calls} calls, {total.requests} requests, {total.retries} retries, "
               f"{total.success_rate:.2f}% success, {total.req_per_sec:.2f} req/s"
               + (f", {total.replays} replayed" if total.replays else "")
               + (f" ({origin})" if origin else ""))
    fig.update_layout(barmode="stack", title={"text": f"{heading}<br><sup>{summary}</sup>"},
                      height=300 + 60 * max(1, len(entries)), template="plotly_white",
                      legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0, "traceorder": "normal"},
                      margin={"l": 20, "r": 30, "t": 90, "b": 40})
    fig.update_xaxes(range=[0, 1.2 * max([e.requests for e in entries] or [1])], row=1, col=1)
    fig.update_xaxes(rangemode="tozero", ticksuffix=" s", row=1, col=2)
    fig.update_yaxes(automargin=True)
    return fig


def report_status(
    source: t.Union[Stats, StatsSnapshot],
    kind: str = "logger",
    *,
    logger: t.Optional[logging.Logger] = None,
    file: t.Optional[t.TextIO] = None,
    title: t.Optional[str] = None,
    printer: t.Optional[str] = None,
) -> t.Any:
    """Render request statistics, per (method, URL template) and in total.

    :param source: a :class:`~luco_client.stats.Stats` (such as ``session.stats``), read once
        through :meth:`~luco_client.stats.Stats.snapshot`, or a
        :class:`~luco_client.stats.StatsSnapshot`. Never modified.
    :param kind: one of :data:`REPORT_KINDS`. Default ``"logger"``.

        * ``"logger"``: logs one INFO line per endpoint and one for the total to ``logger``
          and returns the lines (``list[str]``). Each record carries the numbers as
          ``record.luco_report`` (the endpoint's ``"json"`` entry). Logging is not
          configured here: the lines appear only where your logging setup sends INFO
          records of that logger.
        * ``"list"``: writes a plain-text block per endpoint and a TOTAL block to ``file``
          and returns the text (``str``).
        * ``"rich"``: prints a ``rich.table.Table`` (one row per endpoint and a TOTAL row)
          to ``rich.console.Console(file=file)`` and returns the table. Needs the ``rich``
          extra.
        * ``"plotly"``: returns a ``plotly.graph_objects.Figure`` (attempts per endpoint
          stacked by outcome, and average / p95 / max latency); nothing is shown or
          written. Needs the ``plotly`` extra.
        * ``"json"``: returns a dict ready for :func:`json.dumps`: ``{"schema": 1,
          "generated_at": "<ISO 8601 UTC>", "endpoints": [...], "total": {...}}`` (and
          ``"title"`` when given). Each entry has ``method``, ``url_template``, the numeric
          fields (counts as int; ``*_pct`` in percent, ``*_s`` in seconds, ``req_per_sec``
          as float), ``status_1xx``, ``span_s`` and ``statuses`` (``{"200": n, ...}``).
    :param logger: the logger of the ``"logger"`` report. Default
        ``logging.getLogger("luco_client.reports")``.
    :param printer: gracy's name for ``kind``.
    :param file: the text stream of the ``"list"`` and ``"rich"`` reports. Default
        ``sys.stdout``, looked up at call time.
    :param title: heading of the ``"list"``, ``"rich"`` and ``"plotly"`` reports (default
        ``"luco_client request report"``); added as ``"title"`` to the ``"json"`` report;
        unused by ``"logger"``.

    Percentages are shown with two decimals, latencies in seconds with three, rates in
    requests per second with two; the ``"json"`` report keeps full precision.

    :raises ConfigurationError: for an unknown ``kind`` or a ``source`` of another type.
    :raises MissingExtraError: when ``"rich"`` or ``"plotly"`` is asked for without the
        package installed (the message says ``pip install "luco-client[rich]"``).
    """
    if printer is not None:
        kind = printer
    if kind not in REPORT_KINDS:
        raise ConfigurationError(
            f"report_status: unknown kind {kind!r}; valid kinds are {', '.join(map(repr, REPORT_KINDS))}")
    if isinstance(source, Stats):
        snapshot = source.snapshot()
    elif isinstance(source, StatsSnapshot):
        snapshot = source
    else:
        raise ConfigurationError(
            f"report_status: source must be a Stats or a StatsSnapshot (e.g. session.stats), "
            f"got {type(source).__name__}")
    if kind == "logger":
        return _report_logger(snapshot, logger)
    if kind == "list":
        return _report_list(snapshot, file, title)
    if kind == "rich":
        return _report_rich(snapshot, file, title)
    if kind == "plotly":
        return _report_plotly(snapshot, title)
    return _report_json(snapshot, title)
