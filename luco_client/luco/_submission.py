"""Submission: one submission of a slot, with LucoPy's properties and methods (spec §9)."""

from __future__ import annotations

import collections
import functools
import logging
import typing as t

from luco_client.client import reconciled_write
from luco_client.errors import LucoClientError
from luco_client.luco._databricks import databricks_run_environment
from luco_client.luco._endpoints import LucoEndpoints as E
from luco_client.luco._errors import DataQualityException, bad_argument, luco_error
from luco_client.luco._ledger import Ledger, Tally, quality_key, tally
from luco_client.luco._shapes import name_dict, param_groups, require, select_params
from luco_client.luco._wire import JSON_PATCH, choice, flag, json_text, optional_text, query, text_list
from luco_client.luco.data_quality import resolve_object_from_json_dict

__all__ = ["Submission", "LucoCalls", "luco_errors", "run_environment_list"]

log = logging.getLogger("luco_client.luco")

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
ACTIONS = ("Continued", "Cancelled")


class LucoCalls(t.Protocol):
    """What a Submission needs from its client (a :class:`~luco_client.luco.LucoApi`)."""

    reconcile_writes: bool
    max_sends: int

    @property
    def get(self) -> t.Any: ...

    @property
    def post(self) -> t.Any: ...


def luco_errors(fn: F) -> F:
    """Raise the library's errors from ``fn`` as LucoPy users expect them (see
    :func:`~luco_client.luco._errors.luco_error`)."""
    @functools.wraps(fn)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        try:
            return fn(*args, **kwargs)
        except LucoClientError as exc:
            converted = luco_error(exc)
            if converted is exc:
                raise
            raise converted from None
    return t.cast(F, wrapper)


def run_environment_list(value: t.Any, argument: str = "run_environments") -> t.Optional[t.List[t.Dict[str, t.Any]]]:
    """A run environment dict as a one-element list, a list of dicts as it is, ``None`` as
    ``None``; anything else raises a typed error."""
    if value is None:
        return None
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise bad_argument(f"{argument} must be a dict or a list of dicts, got {type(value).__name__}")
    return items


def _entry(entry: t.Any, name: str) -> t.Any:
    return entry.get(name) if isinstance(entry, dict) else None


class Submission:
    """One submission of a slot (LucoPy's ``Submission``): made by
    :meth:`LucoApi.get_submission` or :meth:`LucoApi.create_submission`, or directly as
    ``Submission(slot_id, submission_id, api)`` (``api.core`` works too).

    The definition (``GET /v2/slots/{id}/submissions/{id}``) is fetched on first use and
    cached for ``type``, ``expected_by``, ``name``, ``start_time``, ``params()`` and
    ``get_delivery_schedule()``; ``status`` and ``end_time`` fetch it on every access.

    Writes (metrics, statuses, run environments, quality) are never duplicated and never
    silently lost: when their outcome is unknown (no answer, or a 5xx), the submission
    reads its entries back and resends only what is proven absent; otherwise it raises
    ``LucoPossiblyAppliedWriteError`` with every attempt (see ``reconcile_writes`` of
    :class:`LucoApi`). Safe to share between threads.
    """

    def __init__(self, slot_id: t.Any, submission_id: t.Any, core: LucoCalls) -> None:
        api = getattr(core, "core", core)
        if not callable(getattr(api, "post", None)):
            raise bad_argument(f"Submission needs the LucoApi it belongs to, got {type(core).__name__}")
        #: The slot id.
        self.slot_id = slot_id
        #: The submission id.
        self.id = submission_id
        #: The LucoApi making the calls (LucoPy's ``core``).
        self.core: LucoCalls = api
        #: The run environments of the last successful ``submit_run_environment``.
        self.run_environments: t.Optional[t.List[t.Dict[str, t.Any]]] = None
        self._definition: t.Optional[t.Dict[str, t.Any]] = None
        self._args = {"SLOT_ID": slot_id, "SUBMISSION_ID": submission_id}
        self._ledgers = {
            "metrics": Ledger(self._metrics_tally, "metrics"),
            "statuses": Ledger(lambda: self._definition_tallies(self._fetch_definition())[0], "statuses"),
            "run environments": Ledger(lambda: self._definition_tallies(self._fetch_definition())[1],
                                       "run environments"),
            "quality results": Ledger(self._quality_tally, "quality results"),
        }

    def __repr__(self) -> str:
        return f"Submission(slot_id={self.slot_id!r}, submission_id={self.id!r})"

    def _created_empty(self) -> None:
        """This client has just created the submission: it holds no metrics and no quality
        results, so their baselines are known without a read (one GET less for each kind).
        Should another writer add entries in between, an unknown outcome is judged
        ambiguous (the total moved), never "not applied"."""
        for kind in ("metrics", "quality results"):
            self._ledgers[kind].learn(Tally(0, collections.Counter()))

    # ------------------------------------------------------------------ definition

    def _fetch_definition(self) -> t.Dict[str, t.Any]:
        body = self.core.get(E.E4_SUBMISSION, self._args, params=query([("includeDelivery", True)]))
        body = require(body, "", dict, source="E4_SUBMISSION")
        self._definition = body
        statuses, run_envs = self._definition_tallies(body)
        self._ledgers["statuses"].learn(statuses)
        self._ledgers["run environments"].learn(run_envs)
        return body

    def _cached_definition(self) -> t.Dict[str, t.Any]:
        return self._definition if self._definition else self._fetch_definition()

    @staticmethod
    def _definition_tallies(body: t.Dict[str, t.Any]) -> t.Tuple[t.Optional[Tally], t.Optional[Tally]]:
        submission = require(body, "submission", dict, source="E4_SUBMISSION")
        history, run_envs = submission.get("statusHistory"), submission.get("runEnvironments")
        statuses = tally(history, lambda e: (_entry(e, "status"), _entry(e, "stage"))) \
            if isinstance(history, list) else None
        envs = tally(run_envs, lambda e: _entry(e, "stage")) if isinstance(run_envs, list) else None
        return statuses, envs

    @property
    @luco_errors
    def type(self) -> t.Any:
        """The slot sequence's type name (``slotSequence.definition.type``); cached."""
        return require(self._cached_definition(), "slotSequence.definition.type.slotSequenceTypeName",
                       source="E4_SUBMISSION")

    @property
    @luco_errors
    def expected_by(self) -> t.Any:
        """When the slot is expected (``slot.expectedBy``, as the server sends it); cached."""
        return require(self._cached_definition(), "slot.expectedBy", source="E4_SUBMISSION")

    @property
    @luco_errors
    def name(self) -> t.Dict[str, t.Any]:
        """The slot sequence's name as an ordered dict ``{key: value}``; cached."""
        array = require(self._cached_definition(), "slotSequence.definition.name", list, source="E4_SUBMISSION")
        return name_dict(array, "E4_SUBMISSION", "slotSequence.definition.name")

    @property
    @luco_errors
    def status(self) -> t.Any:
        """The submission's current status; fetched on every access."""
        return require(self._fetch_definition(), "submission.status", source="E4_SUBMISSION")

    @property
    @luco_errors
    def start_time(self) -> t.Any:
        """When the submission started (``submission.startedOn``); cached."""
        return require(self._cached_definition(), "submission.startedOn", source="E4_SUBMISSION")

    @property
    @luco_errors
    def end_time(self) -> t.Any:
        """When the submission ended (``submission.endedOn``, ``None`` while running);
        fetched on every access."""
        return require(self._fetch_definition(), "submission.endedOn", source="E4_SUBMISSION")

    @luco_errors
    def params(self, group: t.Optional[str] = None, key: t.Optional[str] = None) -> t.Any:
        """The slot parameters: ``{group: {key: value}}``, one group's dict, or one value
        (``key`` only with ``group``). An unknown group or key raises
        :class:`~luco_client.luco.ParameterNotFoundError` (also a ``KeyError``). Cached."""
        groups = require(self._cached_definition(), "slotSequence.parameters.slotParameterGroups", list,
                         source="E4_SUBMISSION")
        return select_params(param_groups(groups, "E4_SUBMISSION"), group, key)

    @luco_errors
    def get_delivery_schedule(self) -> t.Optional[t.Dict[str, t.Any]]:
        """The first delivery schedule whose ``isActive`` is true, whole; ``None`` if none. Cached."""
        schedules = require(self._cached_definition(), "slotSequence.delivery", list, source="E4_SUBMISSION")
        return next((s for s in schedules if isinstance(s, dict) and s.get("isActive") is True), None)

    # ------------------------------------------------------------------ reads

    @luco_errors
    def get_metrics(self, stages: t.Union[str, t.List[str], None] = None,
                    metrics: t.Union[str, t.List[str], None] = None, group_by_stage: bool = False,
                    include_duplicates: bool = False) -> t.Any:
        """The submission's metrics.

        :param stages: a stage or a list of stages to keep (default: all).
        :param metrics: a metric name or a list of names to keep (default: all).
        :param group_by_stage: return ``{stage: {metric: value}}`` (metrics without a stage
            are skipped, as documented; LucoPy raised ``KeyError`` on them).
        :param include_duplicates: every value submitted, not only the latest per
            (stage, metric).

        Returns the list of ``{"stage", "metric", "value"}`` dicts; or, when ``stages`` and
        ``metrics`` are both single strings, the value of the first match (``None`` when
        there is none; LucoPy raised ``IndexError``); or the grouped dict.
        """
        stage_list, metric_list = text_list(stages, "stages"), text_list(metrics, "metrics")
        params = query([("stages", stage_list), ("metrics", metric_list),
                        ("includeDuplicates", flag(include_duplicates, "include_duplicates"))])
        body = self.core.get(E.E5_GET_METRICS, self._args, params=params)
        result = require(body, "slotSubmissionMetrics", list, source="E5_GET_METRICS")
        if isinstance(stages, str) and isinstance(metrics, str):
            return require(result, "0.value", source="E5_GET_METRICS") if result else None
        if flag(group_by_stage, "group_by_stage"):
            return self.group_metrics_by_stage(result)
        return result

    @luco_errors
    def group_metrics_by_stage(self, metrics: t.List[t.Dict[str, t.Any]]) -> t.Dict[str, t.Dict[str, t.Any]]:
        """``{stage: {metric: value}}`` from a list of metric dicts (no request); metrics
        without a stage are skipped; a later value of the same metric wins."""
        grouped: t.Dict[str, t.Dict[str, t.Any]] = {}
        for index, _ in enumerate(require(metrics, "", list, source="metrics")):
            stage = require(metrics, f"{index}.stage", source="metrics", default=None)
            if stage:
                grouped.setdefault(stage, {})[require(metrics, f"{index}.metric", source="metrics")] = \
                    require(metrics, f"{index}.value", source="metrics", default=None)
        return grouped

    @luco_errors
    def get_quality(self) -> t.Any:
        """The submission's data-quality results (the ``collections`` of the answer)."""
        return require(self.core.get(E.E7_GET_QUALITY, self._args), "collections", source="E7_GET_QUALITY")

    def _metrics_tally(self) -> Tally:
        body = self.core.get(E.E5_GET_METRICS, self._args, params=query([("includeDuplicates", True)]))
        entries = require(body, "slotSubmissionMetrics", list, source="E5_GET_METRICS")
        return tally(entries, lambda e: (_entry(e, "stage"), _entry(e, "metric")))

    def _quality_tally(self) -> Tally:
        return tally(require(self.core.get(E.E7_GET_QUALITY, self._args), "collections", list,
                             source="E7_GET_QUALITY"), quality_key)

    # ------------------------------------------------------------------ writes

    def _write(self, kind: str, endpoint: t.Any, written: t.Counter[t.Any], *, data: t.Optional[str],
               params: t.Optional[str] = None) -> bool:
        """Send one write, reading it back when its outcome is unknown (see the class)."""
        api = self.core

        def send() -> bool:
            return bool(api.post(endpoint, self._args, params=params, data=data, headers=JSON_PATCH))

        what = f"POST {endpoint.path} ({kind})"
        if not api.reconcile_writes:
            return reconciled_write(send, None, what=what, max_sends=1)
        ledger = self._ledgers[kind]
        try:
            ledger.prepare()
        except LucoClientError as exc:  # no baseline: the write still goes out, an unknown outcome raises
            log.info("%s: cannot read the %s before writing (%s); an unknown outcome will not be resent",
                     what, kind, type(exc).__name__)
        ledger.begin()
        try:
            result = reconciled_write(send, lambda: ledger.judge(written), what=what, max_sends=api.max_sends)
            ledger.record(written)
        except LucoClientError:
            ledger.forget()  # the entries may hold this write or not: read them again next time
            raise
        finally:
            ledger.end()
        return result

    @luco_errors
    def submit_run_environment(self, stage: t.Optional[str] = None, run_environments: t.Any = None) -> bool:
        """Record where the run happens: one dict (or a list of dicts) with fields such as
        ``platform`` (``"Azure Data Factory"``) and ``referenceUrl`` (a link to the run).
        Returns ``True``; sets :attr:`run_environments`."""
        stage = optional_text(stage, "stage")
        envs = run_environment_list(run_environments)
        body = json_text({"stage": stage, "runData": envs}, "run_environments")
        result = self._write("run environments", E.E10_SUBMIT_RUN_ENVIRONMENT, collections.Counter([stage]),
                             data=body)
        self.run_environments = envs
        return result

    def submit_databricks_run_environment(self, spark: t.Any, stage: t.Optional[str] = None,
                                          raise_exception: bool = False, *, dbutils: t.Any = None) -> bool:
        """Read the Databricks notebook or job context (through ``dbutils``, found from
        ``spark`` when not given) and submit it as the run environment. Any failure is
        logged (INFO, ``luco_client.luco``) and returns ``False``, unless
        ``raise_exception=True``, which raises the typed error."""
        try:
            return self.submit_run_environment(stage=stage, run_environments=databricks_run_environment(spark, dbutils))
        except LucoClientError as exc:
            converted = luco_error(exc)
            log.info("Failed to submit databricks run environment: %s", converted)
            if raise_exception:
                raise converted from None
            return False

    @luco_errors
    def submit_metrics(self, stage: t.Optional[str] = None, runId: t.Any = None, metric: t.Optional[str] = None,
                       value: t.Any = None, metrics: t.Optional[t.Mapping[str, t.Any]] = None) -> bool:
        """Submit metrics for ``stage``: ``metrics={"rows": 1200, "ok": True}`` (recommended),
        or one ``metric=``/``value=`` pair (used when both are not ``None``; 0 is a value).
        Values keep their JSON types; NaN and infinities are refused. ``runId`` is ignored
        (as in LucoPy). Returns ``True``."""
        stage = optional_text(stage, "stage")
        if metric is not None and value is not None:
            if not isinstance(metric, str) or not metric:
                raise bad_argument(f"metric must be a non-empty string, got {metric!r}")
            pairs = [(metric, value)]
        elif metrics:
            if not isinstance(metrics, t.Mapping) or not all(isinstance(k, str) and k for k in metrics):
                raise bad_argument("metrics must be a dict of metric name (a non-empty string) to value")
            pairs = list(metrics.items())
        else:
            raise bad_argument("Metric:Value pairs not provided correctly: pass metrics={name: value} or "
                               "metric= and value=")
        body = json_text({"stage": stage, "metrics": [{"metric": k, "value": v} for k, v in pairs]}, "metrics")
        return self._write("metrics", E.E6_SUBMIT_METRICS, collections.Counter((stage, k) for k, _ in pairs),
                           data=body)

    @luco_errors
    def submit_quality(  # noqa: PLR0917 - LucoPy's signature
            self, stage: t.Optional[str] = None, runId: t.Any = None, tool: t.Optional[str] = None,
            results: t.Any = None, dataset: t.Optional[str] = None, action: t.Optional[str] = None,
            auto_determine_action: bool = False, auto_raise_exception: bool = False) -> bool:
        """Submit data-quality results.

        * great_expectations raw results (a dict with a ``validation_result`` key, or text
          containing it): the v1 format; ``tool``, ``results`` and ``action``
          (``"Continued"``/``"Cancelled"``) are required.
        * a check or collection (a :class:`~luco_client.luco.data_quality.CheckResult`,
          :class:`~luco_client.luco.data_quality.CollectionResult`, their dict or JSON
          text, or any object with ``to_json_dict()`` and ``is_exception_thrown()``): the
          v2 format; ``stage`` and ``action`` are optional. With
          ``auto_determine_action=True`` and no ``action``, ``Cancelled`` is sent when a
          failed check's ``onFail`` action is ``fail``, else ``Continued``.

        ``auto_raise_exception=True`` raises
        :class:`~luco_client.luco.DataQualityException` *after* storing the results when
        the action sent is ``Cancelled``. ``runId`` is ignored. Returns ``True``.
        """
        stage = optional_text(stage, "stage")
        dataset = optional_text(dataset, "dataset")
        if isinstance(results, (str, dict)) and "validation_result" in results:
            if not tool or not results or not action:
                raise bad_argument("Please provide: tool, results and action (great_expectations results)")
            tool = optional_text(tool, "tool")
            action = choice(action, "action", ACTIONS)
            raw = results if isinstance(results, str) else json_text(results, "results")
            body = json_text({"stage": stage, "runId": "", "tool": tool, "results": raw, "dataSet": dataset,
                              "action": action}, "results")
            return self._write("quality results", E.E8_SUBMIT_QUALITY_V1,
                               collections.Counter([("tool", str(tool), str(dataset))]), data=body)
        resolved = resolve_object_from_json_dict(results) if isinstance(results, (str, dict)) else results
        if not callable(getattr(resolved, "to_json_dict", None)) or not callable(
                getattr(resolved, "is_exception_thrown", None)):
            raise DataQualityException(f"results must be a check or collection (or its dict or JSON text), got "
                                       f"{type(results).__name__}")
        action = choice(action, "action", ACTIONS)
        if action is None and flag(auto_determine_action, "auto_determine_action"):
            action = "Cancelled" if resolved.is_exception_thrown() else "Continued"
        payload = resolved.to_json_dict()
        body = json_text(payload, "results")
        result = self._write("quality results", E.E9_SUBMIT_QUALITY_V2, collections.Counter([quality_key(payload)]),
                             data=body, params=query([("stage", stage), ("action", action)]))
        if action == "Cancelled" and flag(auto_raise_exception, "auto_raise_exception"):
            raise DataQualityException("Data Quality validation failed. See Luco for results.")
        return result

    @luco_errors
    def submit_status(  # noqa: PLR0917 - LucoPy's signature
            self, status: str, stage: t.Optional[str] = None, runId: t.Any = None, type: t.Optional[str] = None,
            message: t.Optional[str] = None, modified_by: t.Optional[str] = None) -> bool:
        """Submit a status (``"Completed"``, ``"Failed"``, ``"In Progress"``) for ``stage``,
        with an optional ``type``, ``message`` and ``modified_by``. ``runId`` is ignored
        (``""`` is sent, as by LucoPy). Returns ``True``."""
        if not isinstance(status, str) or not status:
            raise bad_argument(f"status must be a non-empty string such as 'Completed', got {status!r}")
        fields = {"stage": stage, "type": type, "message": message, "modified_by": modified_by}
        for name, value in fields.items():
            optional_text(value, name)
        body = json_text({"runId": "", "status": status, "stage": stage, "type": type, "message": message,
                          "modifiedBy": modified_by}, "the status")
        return self._write("statuses", E.E11_SUBMIT_STATUS, collections.Counter([(status, stage)]), data=body)

    def submit_completed_status(self) -> bool:
        """``submit_status("Completed", "Submission")``."""
        return self.submit_status("Completed", "Submission")
