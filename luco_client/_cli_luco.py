"""The ``luco-client luco`` steps for ETL shell scripts, and the Luco story of the demo.

Steps (credentials from ``LUCO_BASE_URL``, ``LUCO_TENANT_ID``, ``LUCO_CLIENT_ID``,
``LUCO_CLIENT_SECRET``, ``LUCO_RESOURCE_ID``; ``AZURE_AUTHORITY_HOST`` for sovereign
clouds; ``REQUESTS_CA_BUNDLE`` for a private CA)::

    luco-client luco find-slot --tag 2024-01-31 --sequence '{"Source": "SAP", "Table": "Orders"}'
    luco-client luco create-submission --slot-id 1004 --stage Extract --run-environment '{"platform": "ADF"}'
    luco-client luco submit-metrics --slot-id 1004 --submission-id 5004 --stage Load --metrics '{"rows": 1200}'
    luco-client luco submit-status --slot-id 1004 --submission-id 5004 --status Completed --stage Submission
    luco-client luco show-submission --slot-id 1004 --submission-id 5004

Each prints one JSON document on stdout; a failure prints ``{"error": ..., "type": ...,
"exit_code": ...}`` on stderr and exits with a code a scheduler can act on
(:data:`EXIT_CODES`).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import time
import typing as t

from luco_client.errors import (
    ConfigurationError,
    HTTPStatusError,
    PossiblyAppliedWriteError,
    ResponseFormatError,
    RetryAfterTooLongError,
    ServerStatusError,
    TooManyRequestsError,
    TransportError,
)
from luco_client.events import LogEvent, LogLevel, RedactingFilter
from luco_client.luco import AuthException, LucoApi, LucoLookupError
from luco_client.reports import report_status
from luco_client.stats import StatsSnapshot
from luco_client.testing import CERT_FILE, Apply, AzureTokenServer, Drop, Faults, LucoServer
from luco_client.transport import GracefulRetry

__all__ = ["add_luco_commands", "run_luco_command", "run_luco_demo", "EXIT_CODES"]

#: Exit codes of the ``luco`` steps, and what a scheduler should do.
EXIT_CODES: t.Dict[str, int] = {
    "ok": 0,
    "unexpected": 1,            # a bug or an unforeseen failure: look at the message
    "bad_arguments": 2,         # wrong arguments or LUCO_* settings: fix them, do not retry
    "auth": 3,                  # no token (credentials, tenant, authority): fix them, do not retry
    "refused": 4,               # Luco refused the request (4xx) or found nothing: fix the input, do not retry
    "possibly_applied": 5,      # a write may have been applied: check Luco before running the step again
    "temporary": 6,             # Luco unreachable, 5xx, 429, timeouts: safe to retry later
    "bad_answer": 7,            # Luco's answer was malformed: report it, retry later
}


def _json_arg(text: str) -> t.Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None


def add_luco_commands(commands: t.Any) -> None:
    """Add ``luco`` and its steps to an argparse sub-parsers object."""
    luco = commands.add_parser("luco", help="Luco steps for ETL shell scripts (credentials from LUCO_* variables)",
                               description=__doc__.split("\n\n")[1] if __doc__ else None)
    luco.add_argument("--timeout", type=float, default=20.0, help="seconds per call (connect and read; default 20)")
    luco.add_argument("-v", "--verbose", action="store_true", help="log every call to stderr")
    steps = luco.add_subparsers(dest="luco_command", required=True)

    def step(name: str, help_text: str) -> argparse.ArgumentParser:
        return t.cast(argparse.ArgumentParser, steps.add_parser(name, help=help_text))

    find = step("find-slot", "the id of a slot (created for an unscheduled slot sequence)")
    find.add_argument("--tag", required=True, help="YYYY-MM-DD, or a unique tag for unscheduled sequences")
    find.add_argument("--sequence", required=True, type=_json_arg, help='the name as JSON: {"Source": "SAP"}')
    create = step("create-submission", "create a submission (and its run environment)")
    create.add_argument("--slot-id", required=True, type=int)
    create.add_argument("--stage")
    create.add_argument("--run-environment", type=_json_arg, help="a JSON object or list (needs --stage)")
    for name, help_text in (("submit-metrics", "submit metrics"), ("submit-status", "submit a status"),
                            ("show-submission", "the submission's status, times and metrics")):
        parser = step(name, help_text)
        parser.add_argument("--slot-id", required=True, type=int)
        parser.add_argument("--submission-id", required=True, type=int)
        if name == "submit-metrics":
            parser.add_argument("--stage")
            parser.add_argument("--metrics", required=True, type=_json_arg, help='JSON: {"rows": 1200}')
        elif name == "submit-status":
            parser.add_argument("--status", required=True, help="Completed, Failed or In Progress")
            parser.add_argument("--stage")
            parser.add_argument("--type")
            parser.add_argument("--message")
            parser.add_argument("--modified-by")


def _step(api: LucoApi, args: argparse.Namespace) -> t.Dict[str, t.Any]:
    command = args.luco_command
    if command == "find-slot":
        return {"slot_id": api.find_slot_id(args.tag, args.sequence)}
    if command == "create-submission":
        submission = api.create_submission(args.slot_id, args.stage, args.run_environment)
        return {"slot_id": submission.slot_id, "submission_id": submission.id}
    submission = api.get_submission(args.slot_id, args.submission_id)
    if command == "submit-metrics":
        return {"ok": submission.submit_metrics(args.stage, metrics=args.metrics)}
    if command == "submit-status":
        return {"ok": submission.submit_status(args.status, args.stage, type=args.type, message=args.message,
                                               modified_by=args.modified_by)}
    return {"slot_id": submission.slot_id, "submission_id": submission.id, "status": submission.status,
            "start_time": submission.start_time, "end_time": submission.end_time, "name": submission.name,
            "metrics": submission.get_metrics()}


def exit_code(error: BaseException) -> int:
    """The exit code for a failure (see :data:`EXIT_CODES`)."""
    if isinstance(error, AuthException):
        return EXIT_CODES["auth"]
    if isinstance(error, PossiblyAppliedWriteError):
        return EXIT_CODES["possibly_applied"]
    if isinstance(error, ConfigurationError):
        return EXIT_CODES["bad_arguments"]
    if isinstance(error, ResponseFormatError):
        return EXIT_CODES["bad_answer"]
    if isinstance(error, (ServerStatusError, TooManyRequestsError, RetryAfterTooLongError, TransportError)):
        return EXIT_CODES["temporary"]
    if isinstance(error, (HTTPStatusError, LucoLookupError)):
        return EXIT_CODES["refused"]
    return EXIT_CODES["unexpected"]


def run_luco_command(args: argparse.Namespace) -> int:
    """Run one ``luco`` step; returns the exit code."""
    handler = None
    if args.verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(RedactingFilter())
        logging.getLogger("luco_client").addHandler(handler)
        logging.getLogger("luco_client").setLevel(logging.DEBUG)
    try:
        with LucoApi(timeout=args.timeout) as api:
            result = _step(api, args)
    except Exception as exc:  # every failure becomes a documented exit code
        code = exit_code(exc)
        print(json.dumps({"error": str(exc), "type": type(exc).__name__, "exit_code": code}), file=sys.stderr)
        return code
    finally:
        if handler is not None:
            logging.getLogger("luco_client").removeHandler(handler)
    print(json.dumps(result, default=str))
    return EXIT_CODES["ok"]


def _say(text: str) -> None:
    print(text, flush=True)


def run_luco_demo(seed: int = 7, verbose: bool = False,
                  report: t.Optional[t.Callable[[StatsSnapshot], str]] = None) -> int:
    """The Luco ETL story against the embedded fakes (HTTPS, seeded faults), ending with
    ``report(snapshot)`` (default: the "list" report); returns the exit code."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("    · %(message)s"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    package_logger = logging.getLogger("luco_client")
    previous_level = package_logger.level
    package_logger.addHandler(handler)
    package_logger.setLevel(handler.level)
    started = time.monotonic()
    azure = AzureTokenServer(tls=True)
    luco = LucoServer(token_server=azure, tls=True, faults=Faults(seed, error_rate=0.1, reset_rate=0.05))
    try:
        azure.start()
        luco.start()
        retry = GracefulRetry(max_attempts=4, delay=0.05, jitter=0.02, log_before=LogEvent(
            LogLevel.INFO, "retry {CUR_ATTEMPT}/{MAX_ATTEMPT} of {METHOD} {UENDPOINT} after {RETRY_CAUSE}"))
        with LucoApi(luco.base_url, azure.tenant_id, azure.client_id, azure.client_secret, "api://luco",
                     authority=azure.authority, verify=CERT_FILE, retry=retry) as api:
            _story(api, luco, azure)
            _say("\n6. Report\n")
            snapshot = api.snapshot()
            _say(report(snapshot) if report else t.cast(str, report_status(snapshot, "list", file=io.StringIO())))
    except Exception as exc:  # the demo reports any failure as its outcome
        _say(f"luco demo failed: {type(exc).__name__}: {exc}")
        return 1
    finally:
        luco.close()
        azure.close()
        package_logger.removeHandler(handler)
        package_logger.setLevel(previous_level)
    _say(f"\nluco story done in {time.monotonic() - started:.1f}s")
    return 0


def _story(api: LucoApi, luco: LucoServer, azure: AzureTokenServer) -> None:
    orders = {"Source": "SAP", "Table": "Orders"}
    _say(f"\nLuco ETL story: fake Luco at {luco.base_url}, fake Azure AD at {azure.authority} (HTTPS, "
         "~15% of requests fail)")
    _say("\n1. Find today's slot and open a submission with its run environment")
    slot_id = api.find_slot_id("2024-02-01", orders)
    submission = api.create_submission(slot_id, "Extract", {"platform": "Azure Data Factory",
                                                            "referenceUrl": "https://adf.example.com/runs/42"})
    _say(f"   slot {slot_id}, submission {submission.id} ({submission.type}, expected by {submission.expected_by})")
    _say("\n2. Metrics per stage; the answer to the Load metrics is lost after Luco stored them")
    luco.script(luco.submission_path(slot_id, submission.id, "/metrics", v2=True), Apply(luco.route, Drop()),
                luco.route, method="POST")
    for stage, rows in (("Extract", 1200), ("Load", 1180), ("Transform", 1180)):
        submission.submit_metrics(stage, metrics={"rows": rows, "rejected": 1200 - rows})
    stored = submission.get_metrics(include_duplicates=True)
    _say(f"   {len(stored)} metric values stored for 6 sent: the lost answer was read back, not resent")
    _say("\n3. Data quality (a collection of checks), action decided from the results")
    submission.submit_quality(results={"name": "orders", "checks": [
        {"check": "$col values are unique", "checkArgs": {"col": "OrderId"}, "success": True},
        {"check": "$col is never null", "checkArgs": {"col": "Amount"}, "success": False,
         "onFail": {"action": "continue"}}]}, stage="Validate", auto_determine_action=True)
    _say(f"   {len(submission.get_quality())} collection stored")
    _say("\n4. Completed status")
    submission.submit_completed_status()
    _say(f"   status {submission.status}, ended {submission.end_time}")
    _say("\n5. Searches")
    previous = api.find_submission_in_slot_sequence(slot_id, submission.id, TimeDifference="1:00:00:00")
    latest = api.find_latest_submission_by_slot_sequence(orders)
    _say(f"   previous day: slot {previous['slotId']}; latest completed: slot {latest[0]}, submission {latest[1]}")
    _say(f"   server-side writes: {luco.applied}; TCP connections: Luco {luco.connections}, "
         f"token endpoint {azure.connections}; token requests {azure.token_requests}")
