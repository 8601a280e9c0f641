"""``luco-client flow run``: run a Dcipher workflow from the shell; and the demo's workflow step.

::

    luco-client flow run FLOW_ID [-p KEY=VALUE | -p KEY:=JSON ...] [--params JSON] [--params-file F]
                         [--save PATH] [--no-wait] [--timeout S] [--base-url URL] [--max-retries N] [-q]

The API key comes from ``DCIPHER_API_KEY`` (never from the command line, where it would
land in the shell history and the process list); the base URL from ``--base-url`` or
``DCIPHER_BASE_URL``. Parameters: ``--params``/``--params-file`` (a JSON object; ``-``
reads standard input), then each ``-p`` on top: ``KEY=VALUE`` sets a string,
``KEY:=JSON`` a JSON value (``-p limit:=10``, ``-p tags:='["a","b"]'``).

Standard output gets one JSON object: the result (``task_id``, the result URL(s),
``status``, ``saved`` files, ``elapsed``) or, on failure, ``{"error": {...}}``. Progress
goes to standard error: one line rewritten in place on a terminal, plain lines otherwise.

Exit codes: 0 done; 1 another error of the library; 2 bad usage (arguments, parameters,
save path, no API key); 3 the workflow failed or was cancelled; 4 the API refused a request
(an error status); 5 ``--timeout`` ran out (the task may still run; the JSON has its id);
6 the run may have started but was not confirmed (do not rerun blindly); 7 network or
download failure; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import typing as t

from luco_client.errors import (
    ConfigurationError,
    DownloadError,
    HTTPStatusError,
    LucoClientError,
    TransportError,
)
from luco_client.workflows import (
    APIStatusError,
    Dcipher,
    FlowProgress,
    FlowResult,
    RunPossiblyStartedError,
    WorkflowFailedException,
    WorkflowTimeoutError,
)

__all__ = ["add_flow_commands", "run_flow_command", "run_flow_demo", "EXIT_CODES"]

#: Exit code per outcome (see the module docstring).
EXIT_CODES = {"ok": 0, "error": 1, "usage": 2, "failed": 3, "refused": 4, "timeout": 5, "uncertain": 6,
              "network": 7, "interrupted": 130}
MiB = 1 << 20


def add_flow_commands(commands: t.Any) -> None:
    """Add the ``flow`` command (and its ``run`` subcommand) to an argparse subparsers object."""
    flow = commands.add_parser("flow", help="run Dcipher workflows (the dcipher-compatible client)",
                               description="Run Dcipher workflows. The API key comes from DCIPHER_API_KEY.")
    sub = flow.add_subparsers(dest="flow_command", metavar="run")
    run = sub.add_parser("run", help="start a flow, wait for it and save its outputs", description=__doc__,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("flow_id", help="the flow's id")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="a parameter: KEY=VALUE (a string) or KEY:=JSON (any JSON value); repeatable")
    run.add_argument("--params", metavar="JSON", help="parameters as a JSON object")
    run.add_argument("--params-file", metavar="FILE", help="parameters from a JSON file ('-': standard input)")
    run.add_argument("--save", metavar="PATH", help="save the outputs there (several: PATH_0.ext, PATH_1.ext...)")
    run.add_argument("--no-wait", action="store_true", help="print the task id and URLs at once, do not wait")
    run.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds (exit 5)")
    run.add_argument("--base-url", metavar="URL", help="the API root (default: DCIPHER_BASE_URL, else Dcipher's)")
    run.add_argument("--max-retries", type=int, metavar="N", help="attempts per API call (default 100)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress on standard error")
    run.set_defaults(handler=run_flow_command)
    flow.set_defaults(handler=lambda args: _usage(flow))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_CODES["usage"]


def parse_params(args: argparse.Namespace, stdin: t.Optional[t.TextIO] = None) -> t.Dict[str, t.Any]:
    """The flow parameters from ``--params``, ``--params-file`` and ``-p`` (in that order,
    later ones winning). Raises :class:`ConfigurationError` on bad input."""
    stdin = stdin if stdin is not None else sys.stdin
    params: t.Dict[str, t.Any] = {}
    for source, label in ((args.params, "--params"), (args.params_file, "--params-file")):
        if source is None:
            continue
        try:
            if label == "--params-file" and source == "-":
                text = stdin.read()
            elif label == "--params-file":
                with open(source, encoding="utf-8") as f:
                    text = f.read()
            else:
                text = source
            value = json.loads(text)
        except OSError as exc:
            raise ConfigurationError(f"{label}: cannot read {source!r}: {exc.strerror}") from None
        except ValueError as exc:
            raise ConfigurationError(f"{label}: not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise ConfigurationError(f"{label}: the parameters must be a JSON object, got {type(value).__name__}")
        params.update(value)
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key or key == ":":
            raise ConfigurationError(f"-p {item!r}: write KEY=VALUE or KEY:=JSON")
        if key.endswith(":"):
            key = key[:-1]
            try:
                params[key] = json.loads(value)
            except ValueError as exc:
                raise ConfigurationError(f"-p {item!r}: the value after := is not JSON: {exc}") from None
        else:
            params[key] = value
    return params


class ProgressLine:
    """Shows :class:`FlowProgress` on a stream: status while waiting, bytes and rate while
    downloading. On a terminal one line is rewritten in place; otherwise a plain line is
    written per status change, per saved file and at most every 2 s of a download."""

    def __init__(self, stream: t.TextIO) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last_status: t.Optional[str] = None
        self.last_line = 0.0
        self.width = 0

    def __call__(self, p: FlowProgress) -> None:
        if p.stage == "started":
            self._line(f"flow {p.flow_id}: started task {p.task_id}", final=True)
        elif p.stage == "status":
            changed = p.status != self.last_status
            self.last_status = p.status
            if self.tty or changed:
                self._line(f"flow {p.flow_id}: {p.status} ({p.elapsed:.1f}s)", final=not self.tty)
        elif p.stage == "download":
            now = time.monotonic()
            if self.tty or now - self.last_line >= 2.0:
                self.last_line = now
                total = f"/{p.total / MiB:.1f}" if p.total is not None else ""
                self._line(f"output {(p.output or 0) + 1}/{p.outputs}: {p.done / MiB:.1f}{total} MiB "
                           f"at {p.rate / MiB:.1f} MiB/s", final=not self.tty)
        elif p.stage == "saved":
            self._line(f"saved {p.path} ({p.done} bytes)", final=True)

    def _line(self, text: str, final: bool) -> None:
        if self.tty:
            pad = " " * max(0, self.width - len(text))
            self.stream.write("\r" + text + pad + ("\n" if final else ""))
            self.width = 0 if final else len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End a line left open on a terminal."""
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


def _outcome(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, RunPossiblyStartedError):
        return "uncertain"
    if isinstance(exc, WorkflowTimeoutError):
        return "timeout"
    if isinstance(exc, WorkflowFailedException):
        return "failed"
    if isinstance(exc, APIStatusError):
        return "refused"
    if isinstance(exc, ConfigurationError):
        return "usage"
    if isinstance(exc, (TransportError, DownloadError, HTTPStatusError)):
        return "network"
    return "error"


def _result_json(result: FlowResult) -> t.Dict[str, t.Any]:
    saved = [{"path": path, "bytes": d.size, "seconds": round(d.elapsed, 3), "resumes": d.resumes}
             for path, d in zip(result.paths, result.downloads)]
    return {"flow_id": result.flow_id, **result, "status": result.status, "message": result.message,
            "saved": saved, "elapsed": round(result.elapsed, 3)}


def run_flow_command(args: argparse.Namespace, *, stdout: t.Optional[t.TextIO] = None,
                     stderr: t.Optional[t.TextIO] = None) -> int:
    """Run ``flow run`` for parsed ``args``; returns the exit code. Output goes to
    ``stdout``/``stderr`` (default: the process's, looked up at call time)."""
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    progress = None if args.quiet else ProgressLine(stderr)
    try:
        params = parse_params(args)
        client = Dcipher(None, args.max_retries, base_url=args.base_url, progress=progress)
        try:
            result = client.run_flow(args.flow_id, params, save_path=args.save,
                                     wait_until_completion=not args.no_wait, deadline=args.timeout)
        finally:
            client.close()
    except (LucoClientError, KeyboardInterrupt) as exc:
        if progress is not None:
            progress.close()
        outcome = _outcome(exc)
        error = {"type": type(exc).__name__, "message": getattr(exc, "message", "") or str(exc),
                 "exit_code": EXIT_CODES[outcome]}
        for name in ("flow_id", "task_id", "last_status", "status"):
            value = getattr(exc, name, None)
            if isinstance(value, (str, int)):
                error[name] = value
        stdout.write(json.dumps({"error": error}) + "\n")
        stderr.write(f"luco-client flow run: {exc}\n")
        return EXIT_CODES[outcome]
    if progress is not None:
        progress.close()
    stdout.write(json.dumps(_result_json(result)) + "\n")
    return EXIT_CODES["ok"]


def run_flow_demo(say: t.Callable[[str], None], report: t.Callable[[t.Any], str]) -> None:
    """The demo's workflow step: the dcipher-compatible client against the embedded fake
    workflows API and storage host. ``say`` prints a line, ``report`` renders a stats
    snapshot. Raises a :class:`LucoClientError` if the story goes wrong."""
    from luco_client.testing import Apply, Blob, Drop, Flow, WorkflowsServer  # noqa: PLC0415 - demo only

    flows = {"daily-etl": Flow(duration=1.0, outputs=[Blob(3 * MiB, seed=1), b'{"rows": 1200}']),
             "billing": Flow(duration=0.5)}
    with WorkflowsServer(flows=flows) as api, tempfile.TemporaryDirectory() as folder:
        say(f"\n6. Workflows: the dcipher-compatible client against a fake workflows API at {api.url}")
        client = Dcipher(api.api_key, base_url=api.url)
        api.storage.fail_next(drop_after=MiB + 17)
        started = time.monotonic()
        result = client.run_flow("daily-etl", {"day": "2024-05-01"}, save_path=os.path.join(folder, "daily.csv"))
        names = ", ".join(f"{os.path.basename(p)} ({d.size} B, {d.resumes} resume)"
                          for p, d in zip(result.paths, result.downloads))
        say(f"   a 1-second flow: {result.status} and saved in {time.monotonic() - started:.2f}s: {names}")
        say("   (the storage host dropped the connection mid-file; the download resumed with Range)")
        api.script("/flows/billing/run", Apply(api.route, Drop()), method="POST")
        try:
            client.run_flow("billing", {"month": "2024-04"})
        except RunPossiblyStartedError as exc:
            say(f"   billing: {type(exc).__name__}; the server started {len(api.runs('billing'))} run(s) from "
                f"{len(api.run_requests('billing'))} request(s): never resent")
        say("")
        say(report(client.snapshot()))
        client.close()
