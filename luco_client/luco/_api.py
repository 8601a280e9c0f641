"""LucoApi: LucoPy 1.3.14's client, on luco_client's declarative layer (spec §9)."""

from __future__ import annotations

import datetime
import os
import typing as t
from urllib.parse import urlsplit

from luco_client.client import UNSET, ApiClient, ReadBack, Settings, reconciled_write
from luco_client.luco._auth import authority_url, client_credentials, identity_provider, is_loopback, missing_identity
from luco_client.luco._endpoints import LucoEndpoints as E
from luco_client.luco._endpoints import token_endpoint
from luco_client.luco._errors import LucoLookupError, bad_argument
from luco_client.luco._logfile import LogFile
from luco_client.luco._overview import overview
from luco_client.luco._shapes import name_dict, param_groups, require, select_params
from luco_client.luco._submission import Submission, luco_errors, run_environment_list
from luco_client.luco._wire import (
    JSON_PATCH,
    choice,
    definitions,
    flag,
    ints,
    json_text,
    optional_text,
    positive_int,
    query,
    tag_text,
    text_list,
)
from luco_client.transport import BearerTokenAuth, GracefulRetry, Replay, Throttle, Timeout

__all__ = ["LucoApi"]

_FIND_CLOSEST = ("historic", "future", "either", "exact")
_SORT_DIRS = ("asc", "desc")
_OPERATORS = ("and", "or")
#: Seconds before a token's expiry at which it is renewed (LucoPy's buffer).
TOKEN_REFRESH_MARGIN = 30.0


def _from_env(value: t.Any, name: str) -> t.Any:
    """LucoPy's fallback: a falsy argument is replaced by ``LUCO_<NAME>`` (or ``None``)."""
    return value if value else (os.environ.get(f"LUCO_{name}") or None)


def _base_url(value: t.Any, allow_http: bool) -> str:
    if not value:
        raise bad_argument("Luco URL not defined: pass base_url or set LUCO_BASE_URL")
    if not isinstance(value, str):
        raise bad_argument(f"base_url must be a string such as 'https://luco.example.com/api', got "
                           f"{type(value).__name__}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parses the port, raises on junk
    except ValueError as exc:
        raise bad_argument(f"API base URL is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in ("https", "http"):
        raise bad_argument(f"API base URL must be an https URL such as 'https://luco.example.com/api', got "
                           f"{value!r}")
    if scheme == "http" and not (allow_http or is_loopback(parts.hostname)):
        raise bad_argument(f"API base URL must use https: {value} (plain http is accepted for loopback hosts, "
                           "or with allow_http=True)")
    return value


def _timeout(value: t.Any) -> Timeout:
    if isinstance(value, Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise bad_argument(f"timeout must be a positive number of seconds, got {value!r}")
    return Timeout(value, value)


class LucoApi(ApiClient):
    """The gateway to Luco, with LucoPy 1.3.14's constructor and methods.

    ``from luco_client import LucoApi`` replaces ``from LucoPy import LucoApi``: same
    positional arguments, same method names, arguments and results. Every call goes through
    one graceful session (one connection pool, keep-alive), with retries, throttling, log
    events, statistics (:meth:`report_status`), :meth:`explain` and record/replay.

    :param base_url: the API root including any path prefix (``https://luco.example.com/api``),
        else ``LUCO_BASE_URL``. Must be https, except for loopback hosts and with
        ``allow_http=True``.
    :param tenant_id: Azure AD tenant of the service principal, else ``LUCO_TENANT_ID``.
    :param client_id: the service principal's application id, else ``LUCO_CLIENT_ID``.
    :param client_secret: its secret, else ``LUCO_CLIENT_SECRET``; registered for redaction
        (never logged, recorded or shown in errors).
    :param resource_id: the API's application id (scope ``<resource_id>/.default``), else
        ``LUCO_RESOURCE_ID``.
    :param identity: instead of a service principal: an object with ``generate_token() ->
        (token, expiry)`` (LucoPy) or ``get_token(scope)`` (azure-identity). With all four
        credentials passed as arguments, they win (as in LucoPy); credentials found only in
        the environment do not override an ``identity`` passed here.
    :param timeout: seconds, the connect and the read timeout of every call (the token
        request included). Default 20.
    :param log: write the client's log events (DEBUG and up, redacted) to ``log.txt`` in
        the working directory, through a handler on the ``luco_client`` logger only.
    :param retry: a :class:`~luco_client.transport.GracefulRetry` (default: 3 attempts,
        exponential backoff); ``None``: one attempt. Writes are never repeated blindly.
    :param throttle: a :class:`~luco_client.transport.Throttle` every attempt waits for.
    :param concurrent_requests: at most this many calls on the wire at once.
    :param replay: a :class:`~luco_client.transport.Replay` to record every exchange, or to
        answer without the network (tests, offline runs).
    :param authority: the Azure AD authority (``https://login.microsoftonline.us`` or a
        bare host) for sovereign clouds; else ``AZURE_AUTHORITY_HOST``; default the public
        cloud.
    :param allow_http: accept a plain-http base URL or authority on a non-loopback host.
    :param verify: TLS verification for every call: ``True`` (default, system CAs or
        ``REQUESTS_CA_BUNDLE``), ``False``, or a CA bundle path.
    :param reconcile_writes: when a write's outcome is unknown (no answer, or a 5xx), read
        the submission's entries back and resend only what is proven absent. This reads the
        current entries once before the first write of each kind on a submission. ``False``:
        no extra reads; an unknown outcome raises ``LucoPossiblyAppliedWriteError``.
    :param max_sends: most sends of one write when each is proven not applied (default 3).
    :param settings: more :class:`~luco_client.client.Settings` (log events, deadline...);
        the keywords above win over its fields.
    :param stats: where calls are counted (default: a new one per client).
    :param clock: a time source (tests inject a fake one).
    :param session_kwargs: more :class:`~luco_client.transport.GracefulSession` arguments
        (``pool_maxsize``, ``hooks``...). ``environment_once`` defaults to True here: the
        proxies, CA bundle and ``.netrc`` of the environment are read once per host, at the
        first call (pass ``environment_once=False`` to read them on every call, as LucoPy).

    No network I/O happens here. Use it as a context manager (or call :meth:`close`) to
    close the connection pool and the log file.
    """

    @luco_errors
    def __init__(  # noqa: PLR0917 - LucoPy's constructor
        self,
        base_url: t.Optional[str] = None,
        tenant_id: t.Optional[str] = None,
        client_id: t.Optional[str] = None,
        client_secret: t.Optional[str] = None,
        resource_id: t.Optional[str] = None,
        identity: t.Any = None,
        timeout: t.Union[float, Timeout] = 20,
        log: bool = False,
        *,
        retry: t.Optional[GracefulRetry] = UNSET,
        throttle: t.Optional[Throttle] = None,
        concurrent_requests: t.Optional[int] = None,
        replay: t.Optional[Replay] = None,
        authority: t.Optional[str] = None,
        allow_http: bool = False,
        verify: t.Union[bool, str, None] = None,
        reconcile_writes: bool = True,
        max_sends: int = 3,
        settings: t.Optional[Settings] = None,
        stats: t.Any = None,
        clock: t.Any = None,
        **session_kwargs: t.Any,
    ) -> None:
        allow_http = flag(allow_http, "allow_http")
        url = _base_url(_from_env(base_url, "BASE_URL"), allow_http)
        #: Write safety: read back writes whose outcome is unknown (see the class docstring).
        self.reconcile_writes = flag(reconcile_writes, "reconcile_writes")
        #: Most sends of one write, each proven not applied before the next.
        self.max_sends = positive_int(max_sends, "max_sends")
        explicit = (tenant_id, client_id, client_secret, resource_id)
        tenant, client, secret, resource = (_from_env(v, n) for v, n in zip(
            explicit, ("TENANT_ID", "CLIENT_ID", "CLIENT_SECRET", "RESOURCE_ID")))
        self._tenant = tenant
        if all((tenant, client, secret, resource)) and (identity is None or all(explicit)):
            self._token_endpoint = token_endpoint(authority_url(authority, allow_http=allow_http))
            provider = client_credentials(self._post_token, client, secret, resource, self._wall_time)
        elif identity is not None:
            provider = identity_provider(identity, f"{resource}/.default" if resource else None)
        else:
            provider = missing_identity
        if settings is not None and not isinstance(settings, Settings):
            raise bad_argument(f"settings must be a Settings, got {settings!r}")
        if verify is not None and not isinstance(verify, (bool, str)):
            raise bad_argument(f"verify must be True, False or a CA bundle path, got {verify!r}")
        values: t.Dict[str, t.Any] = dict(settings.set_fields()) if settings is not None else {}
        values["timeout"] = _timeout(timeout)
        if retry is not UNSET:
            values["retry"] = retry
        if throttle is not None:
            values["throttling"] = throttle
        if concurrent_requests is not None:
            values["concurrent_requests"] = concurrent_requests
        clock_kwargs = {"clock": clock} if clock is not None else {}
        auth = BearerTokenAuth(provider, refresh_margin=TOKEN_REFRESH_MARGIN, **clock_kwargs)
        session_kwargs.setdefault("environment_once", True)  # proxies, CA bundle, .netrc: read once per host
        super().__init__(replay, base_url=url, settings=Settings.from_values(values), stats=stats, auth=auth,
                         **clock_kwargs, **session_kwargs)
        if verify is not None:
            self.session.verify = verify
        self._log_file = LogFile() if log else None

    def _wall_time(self) -> float:
        return self.clock.time()

    def _post_token(self, **kwargs: t.Any) -> t.Any:
        return self.post(self._token_endpoint, {"TENANT": self._tenant}, **kwargs)

    @property
    def core(self) -> LucoApi:
        """This client (LucoPy's ``api.core``, for ``Submission(slot_id, id, api.core)``)."""
        return self

    def close(self) -> None:
        """Close the connection pool (and stop writing ``log.txt``)."""
        super().close()
        log_file = getattr(self, "_log_file", None)
        if log_file is not None:
            log_file.close()

    def __enter__(self) -> LucoApi:
        return self

    # ------------------------------------------------------------------ slots

    def find_slotId(self, date: t.Any, slotSequence: t.Any) -> int:
        """Deprecated (LucoPy's old name): use :meth:`find_slot_id`."""
        return self.find_slot_id(date, slotSequence)

    @luco_errors
    def find_slot_id(self, tag: t.Any = None, slot_sequence: t.Any = None) -> int:
        """The id of the slot with ``tag`` on the slot sequence named ``slot_sequence``.

        :param tag: ``YYYY-MM-DD`` (a ``date``, a ``datetime`` or ISO text) for scheduled
            slot sequences, or a unique tag for unscheduled ones.
        :param slot_sequence: the sequence's name: ``{"Source": "SAP", "Table": "Orders"}``
            or ``[{"Source": "SAP"}, {"Table": "Orders"}]`` (order matters).

        When no such slot exists and the sequence has no active delivery schedule, a slot
        with this tag is created and its id returned (a 404 of the search triggers it). A
        creation whose answer is lost is checked by searching again, never duplicated.
        """
        tag_value, defs = tag_text(tag), definitions(slot_sequence)
        search = query([("Tag", tag_value), ("SlotSequenceDefinition", defs)])
        found = self.get(E.E1_FIND_SLOT, params=search)
        if found is not None:
            return require(found, "slotId", int, source="E1_FIND_SLOT")
        body = json_text({"tag": tag_value, "slotSequenceDefinition": defs}, "the slot")

        def create() -> int:
            return t.cast(int, require(self.post(E.E2_CREATE_SLOT, data=body, headers=JSON_PATCH), "slotId", int,
                                       source="E2_CREATE_SLOT"))

        def read_back() -> ReadBack:
            again = self.get(E.E1_FIND_SLOT, params=search)
            if again is None:
                return ReadBack(False, note="the slot search still finds no slot with this tag")
            return ReadBack(True, require(again, "slotId", int, source="E1_FIND_SLOT"),
                            note="the slot search finds it")

        return reconciled_write(create, read_back if self.reconcile_writes else None,
                                what="POST /slots/ (create slot)", max_sends=self.max_sends)

    # ------------------------------------------------------------------ submissions

    def get_submission(self, slot_id: t.Any, submission_id: t.Any) -> Submission:
        """A :class:`Submission` for an existing submission. No request is made: a wrong id
        shows at the first property or method that needs the server."""
        return Submission(slot_id, submission_id, self)

    @luco_errors
    def create_submission(self, slot_id: t.Any, stage: t.Optional[str] = None, run_environments: t.Any = None, *,
                          run_environment: t.Any = None) -> Submission:
        """Create a submission on slot ``slot_id``; with both ``stage`` and
        ``run_environments`` (a dict or list of dicts; ``run_environment`` is the 1.2.5
        spelling) also submit the run environment. Returns the :class:`Submission`.

        A creation whose answer is lost (or answered 5xx) cannot be checked through the
        API, so it is never resent: it raises ``LucoPossiblyAppliedWriteError``.
        """
        stage = optional_text(stage, "stage")
        envs = run_environment_list(run_environments if run_environments is not None else run_environment)
        if slot_id is None or isinstance(slot_id, bool):
            raise bad_argument(f"slot_id must be the slot's id, got {slot_id!r}")

        def create() -> t.Any:
            answer = self.post(E.E3_CREATE_SUBMISSION, {"SLOT_ID": slot_id})
            return require(answer, "slotSubmissionId", int, source="E3_CREATE_SUBMISSION")

        submission = Submission(slot_id, reconciled_write(create, None, what="POST /slots/{id}/submissions "
                                                          "(create submission)", max_sends=1), self)
        submission._created_empty()
        if stage and envs:
            submission.submit_run_environment(stage, envs)
        return submission

    @luco_errors
    def find_submission_in_slot_sequence(self, slot_id: t.Any, submission_id: t.Any,
                                         OnlyCompletedSubmissions: bool = False,
                                         TimeDifference: t.Union[str, datetime.timedelta, None] = None,
                                         FindClosest: str = "historic") -> t.Any:
        """Search the slot sequence relative to a submission: the closest slot and
        submission (``FindClosest``: ``historic``, ``future``, ``either`` or ``exact``),
        optionally ``TimeDifference`` away (``d:HH:MM:SS`` or a ``timedelta``). Returns the
        answer as it is (ids, whether it is an exact match, time and slot difference)."""
        difference = TimeDifference
        if isinstance(difference, datetime.timedelta):
            seconds = int(difference.total_seconds())
            difference = (f"{seconds // 86400}:{seconds % 86400 // 3600:02d}:{seconds % 3600 // 60:02d}:"
                          f"{seconds % 60:02d}")
        params = query([("OnlyCompletedSubmissions", flag(OnlyCompletedSubmissions, "OnlyCompletedSubmissions")),
                        ("FindClosest", choice(FindClosest, "FindClosest", _FIND_CLOSEST, optional=False)),
                        ("TimeDifference", optional_text(difference, "TimeDifference") or None)])
        return self.get(E.E12_SEARCH_FROM_SUBMISSION, {"SLOT_ID": slot_id, "SUBMISSION_ID": submission_id},
                        params=params)

    @luco_errors
    def find_submissions_by_slot_sequence(  # noqa: PLR0917 - LucoPy's signature
            self, slotSequence: t.Any, onlyLatestSlot: bool = True,
            onlyDeliveredSlots: bool = True, onlyCompletedSubmissions: bool = True,
            onlyLatestSubmission: bool = True,
            expectedAfterUtc: t.Optional[str] = None,
            expectedBeforeUtc: t.Optional[str] = None) -> t.Any:
        """Submissions and their slots on a slot sequence (``{"slots": [{"slotId",
        "submissions": [...]}, ...]}``), filtered as the flags say; ``expectedAfterUtc`` /
        ``expectedBeforeUtc`` are ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ss``."""
        params = query([
            ("SlotSequenceDefinition", definitions(slotSequence, "slotSequence")),
            ("OnlyLatestSlot", flag(onlyLatestSlot, "onlyLatestSlot")),
            ("OnlyDeliveredSlots", flag(onlyDeliveredSlots, "onlyDeliveredSlots")),
            ("OnlyCompletedSubmissions", flag(onlyCompletedSubmissions, "onlyCompletedSubmissions")),
            ("OnlyLatestSubmission", flag(onlyLatestSubmission, "onlyLatestSubmission")),
            ("ExpectedAfterUtc", optional_text(expectedAfterUtc, "expectedAfterUtc") or None),
            ("ExpectedBeforeUtc", optional_text(expectedBeforeUtc, "expectedBeforeUtc") or None),
        ])
        return self.get(E.E13_SEQUENCE_SUBMISSIONS, params=params)

    @luco_errors
    def find_latest_submission_by_slot_sequence(self, slotSequence: t.Any,
                                                expectedAfterUtc: t.Optional[str] = None,
                                                expectedBeforeUtc: t.Optional[str] = None
                                                ) -> t.Tuple[int, int]:
        """``(slot_id, submission_id)`` of the latest completed submission on the slot
        sequence. None found raises :class:`~luco_client.luco.LucoLookupError` (LucoPy:
        ``IndexError``)."""
        answer = self.find_submissions_by_slot_sequence(slotSequence, expectedAfterUtc=expectedAfterUtc,
                                                        expectedBeforeUtc=expectedBeforeUtc)
        slots = require(answer, "slots", list, source="E13_SEQUENCE_SUBMISSIONS")
        if not slots or not require(slots, "0.submissions", list, source="E13_SEQUENCE_SUBMISSIONS"):
            raise LucoLookupError("no completed submission found on this slot sequence")
        return (require(slots, "0.slotId", int, source="E13_SEQUENCE_SUBMISSIONS"),
                require(slots, "0.submissions.0.slotSubmissionId", int, source="E13_SEQUENCE_SUBMISSIONS"))

    # ------------------------------------------------------------------ slot sequences

    @luco_errors
    def submit_slot_sequences(self, slot_sequences: t.Any, allow_overwrites: bool = False,
                              allow_archiving: bool = False,
                              ignore_delivery_config: bool = False) -> t.Dict[str, t.Any]:
        """Import new or update existing slot sequences (a configuration dict or a list of
        them, as :meth:`export_slot_sequences` returns). Returns ``{"counts": {"created",
        "exists", "notProcessed", "updated", "notUpdated", "archived"}, "imports": [...]}``
        with each import's ``slotSequenceDefinition`` as a ``{key: value}`` dict. An import
        whose answer is lost is not resent (``LucoPossiblyAppliedWriteError``)."""
        sequences = [slot_sequences] if isinstance(slot_sequences, dict) else slot_sequences
        if not isinstance(sequences, list) or not all(isinstance(s, dict) for s in sequences):
            raise bad_argument("slot_sequences must be a dict or a list of dicts")
        body = json_text({"allowOverwrites": flag(allow_overwrites, "allow_overwrites"),
                          "allowArchiving": flag(allow_archiving, "allow_archiving"),
                          "ignoreDeliveryConfig": flag(ignore_delivery_config, "ignore_delivery_config"),
                          "slotSequences": sequences}, "slot_sequences")
        answer = reconciled_write(lambda: self.post(E.E16_IMPORT_SLOT_SEQUENCES, data=body, headers=JSON_PATCH),
                                  None, what="POST /v2/slotsequences/import", max_sends=1)
        source = "E16_IMPORT_SLOT_SEQUENCES"
        names = {"created": "createdCount", "exists": "existsCount", "notProcessed": "notProcessedCount",
                 "updated": "updatedCount", "notUpdated": "notUpdatedCount", "archived": "archivedCount"}
        counts = {key: require(answer, field, int, source=source) for key, field in names.items()}
        imports = require(answer, "slotSequenceImports", list, source=source)
        for index, _ in enumerate(imports):
            item = require(imports, str(index), dict, source=source)
            item["slotSequenceDefinition"] = name_dict(require(item, "slotSequenceDefinition", list, source=source),
                                                       source, f"slotSequenceImports.{index}.slotSequenceDefinition")
        return {"counts": counts, "imports": imports}

    def _slot_sequence_id(self, name: t.Any, is_active: bool = True) -> int:
        params = query([("isActive", flag(is_active, "active")),
                        ("SlotSequenceDefinition", definitions(name, "name"))])
        found = require(self.get(E.E14_FIND_SLOT_SEQUENCE, params=params), "slotSequenceId",
                        (int, str, type(None)), source="E14_FIND_SLOT_SEQUENCE")
        if not found:
            raise LucoLookupError(f"Could not identify Id for Slot Sequence: {name}")
        try:
            return int(found)
        except ValueError:
            raise LucoLookupError(f"E14_FIND_SLOT_SEQUENCE returned a slot sequence id that is not a number for "
                                  f"{name}") from None

    @luco_errors
    def export_slot_sequences(self, ids: t.Any = None, names: t.Any = None, active: bool = True) -> t.Any:
        """Slot-sequence configurations (a list of dicts, importable again) for ``ids`` (an
        int or a list), or for ``names`` (a name dict or a list of them; they win over
        ``ids``; each is resolved to an id first, among active sequences unless
        ``active=False``)."""
        if names:
            ids = [self._slot_sequence_id(name, active) for name in (names if isinstance(names, list) else [names])]
        return self.get(E.E17_EXPORT_SLOT_SEQUENCES, params=query([("slotSequenceId", ints(ids, "ids"))]))

    @luco_errors
    def slot_sequences_overview(  # noqa: PLR0917 - LucoPy's signature
            self, count: t.Optional[int] = None, pagination_size: int = 500,
            is_active: t.Optional[bool] = True, type: t.Union[str, t.List[str], None] = None,
            cadence: t.Union[str, t.List[str], None] = None,
            overdue_count_start: t.Optional[int] = None, overdue_count_end: t.Optional[int] = None,
            failed_count_start: t.Optional[int] = None, failed_count_end: t.Optional[int] = None,
            slot_sequence_name_values: t.Union[str, t.List[str], None] = None,
            slot_sequence_name_values_filter_operator: t.Optional[str] = None,
            last_delivery_slot_start: t.Optional[str] = None,
            last_delivery_slot_end: t.Optional[str] = None,
            upcoming_slot_start: t.Optional[str] = None, upcoming_slot_end: t.Optional[str] = None,
            sort_by: t.Optional[str] = None,
            sort_dir: t.Optional[str] = None) -> t.Dict[str, t.Any]:
        """The slot-sequence overview of the Luco web app: ``{"slotSequences": [...],
        "totalCount": n}``, the first ``count`` (default all) matching the filters, fetched
        ``pagination_size`` per request; each item's ``name`` as a ``{key: value}`` dict.
        ``failed_count_start`` and ``failed_count_end`` are both sent (LucoPy sent the end
        value under the start name and dropped the start)."""
        filters = [
            ("isActive", None if is_active is None else flag(is_active, "is_active")),
            ("type", text_list(type, "type")), ("cadence", text_list(cadence, "cadence")),
            ("overdueCountStart", ints(overdue_count_start, "overdue_count_start")),
            ("overdueCountEnd", ints(overdue_count_end, "overdue_count_end")),
            ("failedCountStart", ints(failed_count_start, "failed_count_start")),
            ("failedCountEnd", ints(failed_count_end, "failed_count_end")),
            ("slotSequenceDefinitionValues", text_list(slot_sequence_name_values, "slot_sequence_name_values")),
            ("slotSequenceDefinitionValuesFilterOperator", choice(slot_sequence_name_values_filter_operator,
                                                                  "slot_sequence_name_values_filter_operator",
                                                                  _OPERATORS)),
            ("lastDeliverySlotStart", optional_text(last_delivery_slot_start, "last_delivery_slot_start")),
            ("lastDeliverySlotEnd", optional_text(last_delivery_slot_end, "last_delivery_slot_end")),
            ("upcomingSlotStart", optional_text(upcoming_slot_start, "upcoming_slot_start")),
            ("upcomingSlotEnd", optional_text(upcoming_slot_end, "upcoming_slot_end")),
            ("sortBy", optional_text(sort_by, "sort_by")), ("sortDir", choice(sort_dir, "sort_dir", _SORT_DIRS)),
        ]
        return overview(self.get, E.E18_SLOT_SEQUENCES_OVERVIEW, "slotSequences", filters, count=count,
                        pagination_size=pagination_size)

    @luco_errors
    def slots_overview(  # noqa: PLR0917 - LucoPy's signature
            self, count: t.Optional[int] = None, pagination_size: int = 1000,
            slot_id: t.Union[int, t.List[int], None] = None, slot_sequence_id: t.Optional[int] = None,
            type: t.Union[str, t.List[str], None] = None, cadence: t.Union[str, t.List[str], None] = None,
            slot_status: t.Union[str, t.List[str], None] = None,
            slot_sequence_name_values: t.Union[str, t.List[str], None] = None,
            slot_sequence_name_values_filter_operator: t.Optional[str] = None,
            expected_by_start: t.Optional[str] = None, expected_by_end: t.Optional[str] = None,
            updated_on_start: t.Optional[str] = None, updated_on_end: t.Optional[str] = None,
            created_on_start: t.Optional[str] = None, created_on_end: t.Optional[str] = None,
            last_submission_status: t.Union[str, t.List[str], None] = None,
            sort_by: t.Optional[str] = None, sort_dir: t.Optional[str] = None,
            min_submissions: t.Optional[int] = None,
            max_submissions: t.Optional[int] = None) -> t.Dict[str, t.Any]:
        """The slot overview of the Luco web app: ``{"slots": [...], "totalCount": n}``, the
        first ``count`` (default all) matching the filters, fetched ``pagination_size`` per
        request; each item's ``name`` as a ``{key: value}`` dict. Date-times are ISO 8601
        UTC; ``last_submission_status`` takes ``CompletedWithoutFailures``,
        ``CompletedWithFailures``, ``Failed``, ``InProgress``."""
        filters = [
            ("slotId", ints(slot_id, "slot_id")), ("slotSequenceId", ints(slot_sequence_id, "slot_sequence_id")),
            ("type", text_list(type, "type")), ("cadence", text_list(cadence, "cadence")),
            ("slotStatus", text_list(slot_status, "slot_status")),
            ("slotSequenceDefinitionValues", text_list(slot_sequence_name_values, "slot_sequence_name_values")),
            ("slotSequenceDefinitionValuesFilterOperator", choice(slot_sequence_name_values_filter_operator,
                                                                  "slot_sequence_name_values_filter_operator",
                                                                  _OPERATORS)),
            ("expectedByStart", optional_text(expected_by_start, "expected_by_start")),
            ("expectedByEnd", optional_text(expected_by_end, "expected_by_end")),
            ("updatedOnStart", optional_text(updated_on_start, "updated_on_start")),
            ("updatedOnEnd", optional_text(updated_on_end, "updated_on_end")),
            ("createdOnStart", optional_text(created_on_start, "created_on_start")),
            ("createdOnEnd", optional_text(created_on_end, "created_on_end")),
            ("lastSubmissionStatus", text_list(last_submission_status, "last_submission_status")),
            ("sortBy", optional_text(sort_by, "sort_by")), ("sortDir", choice(sort_dir, "sort_dir", _SORT_DIRS)),
            ("minSubmissions", ints(min_submissions, "min_submissions")),
            ("maxSubmissions", ints(max_submissions, "max_submissions")),
        ]
        return overview(self.get, E.E19_SLOTS_OVERVIEW, "slots", filters, count=count, pagination_size=pagination_size)

    @luco_errors
    def slot_sequence_parameters(self, slot_sequence_name: t.Any, group: t.Optional[str] = None,
                                 key: t.Optional[str] = None) -> t.Any:
        """The configuration parameters of the (active) slot sequence named
        ``slot_sequence_name``: ``{group: {key: value}}``, one group, or one value. An
        unknown group or key raises :class:`~luco_client.luco.ParameterNotFoundError`."""
        sequence_id = self._slot_sequence_id(slot_sequence_name)
        body = self.get(E.E15_SLOT_SEQUENCE, {"SLOT_SEQUENCE_ID": sequence_id})
        groups = require(body, "parameters.slotParameterGroups", list, source="E15_SLOT_SEQUENCE")
        return select_params(param_groups(groups, "E15_SLOT_SEQUENCE"), group, key)
