"""A stateful fake Luco API on 127.0.0.1: every endpoint of the wire spec (§3), for tests,
the demo and the benchmark.

It is a :class:`~luco_client.testing.FlakyServer`, so ``script()`` injects faults per path
(:class:`~luco_client.testing.Apply` applies a write *then* drops the answer), seeded
:class:`~luco_client.testing.Faults` hit unscripted requests, ``received()`` shows every
request and ``connections`` counts TCP connections. :meth:`LucoServer.state` and
:attr:`LucoServer.applied` are the admin view of the data.

Choices the spec leaves open (§11.9), documented here:

* bearer tokens: with ``token_server=``, only tokens it issued (unexpired, unrevoked)
  pass; with ``tokens=``, those; with neither, any non-empty bearer token. Others: 401.
* E1 finds the slot of a date tag on a *scheduled* sequence (every date has one), or the
  slot of that tag on an unscheduled one; 404 otherwise. E2 refuses (400) a scheduled,
  unknown or inactive sequence and an existing tag.
* E4's ``submission`` also carries ``statusHistory`` (each status written) and
  ``runEnvironments`` (each run environment written); E7 answers
  ``{"collections": [...]}``: v2 bodies as sent (a single check wrapped as
  ``{"checks": [check]}``), v1 results as ``{"tool", "dataSet", "stage", "action",
  "results"}``.
* E12 answers ``{"slotId", "slotSubmissionId", "isExactMatch", "timeDifference",
  "slotDifference"}``; E13 ``{"slotSequenceId", "slots": [{"slotId", "tag",
  "expectedBy", "submissions": [{"slotSubmissionId", "status", ...}]}]}``, slots latest
  first, submissions newest first.
* E16/E17 configurations: ``{"slotSequenceDefinition": <name array>, "type", "cadence",
  "isActive", "parameters": {"slotParameterGroups": [...]}, "delivery": [...]}``; E17
  without ids exports every sequence.
* Overview items: E18 ``{"slotSequenceId", "name", "type", "cadence", "isActive", "slots",
  "overdue", "failed", "lastDelivery", "upcoming"}``, E19 ``{"slotId", "slotSequenceId",
  "name", "type", "cadence", "tag", "status", "expectedBy", "createdOn", "updatedOn",
  "submissions", "lastSubmissionStatus"}``; ``pageNumber`` is 1-based, ``pageSize=0``
  gives an empty page, pages past the end are empty, ``totalCount`` is always there.
* Query names match case-insensitively, booleans ``True``/``true``, ``+`` is a space;
  ``SlotSequenceDefinition`` values are read as Python literals (LucoPy's repr form) or JSON.
* Bodies must be ``application/json-patch+json`` or ``application/json`` (else 415).
  Errors are text bodies.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import typing as t

from luco_client.testing._azure import AzureTokenServer
from luco_client.testing._flaky import FlakyServer, Received, Reply
from luco_client.testing._luco_queries import Query, import_sequences, overview, relative_search, sequence_submissions
from luco_client.testing._luco_state import Json, LucoState, Pairs, Problem, now_text

__all__ = ["LucoServer"]

_NUMBER = r"(\d+)"
_SUB = rf"/slots/{_NUMBER}/submissions/{_NUMBER}"
_ROUTES: t.Tuple[t.Tuple[str, str, str], ...] = (
    ("GET", r"/slots/search", "find_slot"),
    ("POST", r"/slots", "create_slot"),
    ("POST", rf"/slots/{_NUMBER}/submissions", "create_submission"),
    ("GET", "/v2" + _SUB, "definition"),
    ("GET", _SUB + "/metrics", "get_metrics"),
    ("POST", "/v2" + _SUB + "/metrics", "post_metrics"),
    ("GET", "/v2" + _SUB + "/quality", "get_quality"),
    ("POST", _SUB + "/quality", "post_quality_v1"),
    ("POST", "/v2" + _SUB + "/quality", "post_quality_v2"),
    ("POST", _SUB + "/runenvironment", "post_run_environment"),
    ("POST", _SUB + "/status", "post_status"),
    ("GET", _SUB + "/search", "relative_search"),
    ("GET", r"/slotsequences/submissions", "sequence_submissions"),
    ("GET", r"/slotsequences/search", "find_sequence"),
    ("GET", r"/v2/slotsequences/overview", "sequences_overview"),
    ("GET", r"/v2/slotsequences/export", "export"),
    ("POST", r"/v2/slotsequences/import", "import_"),
    ("GET", rf"/v2/slotsequences/{_NUMBER}", "sequence_detail"),
    ("GET", r"/v2/slots/overview", "slots_overview"),
)
_COMPILED = tuple((method, re.compile(pattern + "/?$"), name) for method, pattern, name in _ROUTES)


def _body(received: Received) -> t.Any:
    content_type = (received.header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in ("application/json-patch+json", "application/json"):
        raise Problem(415, f"unsupported content type {content_type or 'none'}")
    try:
        return received.json()
    except ValueError:
        raise Problem(400, "the body is not valid JSON") from None


def _definition_array(value: t.Any) -> Pairs:
    """A name from a body: ``[{position, key, value}]`` (E2) or a name array (E16)."""
    if isinstance(value, dict):
        return list(value.items())
    if not isinstance(value, list) or not value:
        raise Problem(400, "slotSequenceDefinition must be a non-empty array")
    pairs = []
    for item in sorted(value, key=lambda d: d.get("position", 0) if isinstance(d, dict) else 0):
        inner = item.get("slotParameter", item) if isinstance(item, dict) else None
        if not isinstance(inner, dict) or "key" not in inner or "value" not in inner:
            raise Problem(400, "each slotSequenceDefinition item needs key and value")
        pairs.append((str(inner["key"]), inner["value"]))
    return pairs


class LucoServer(FlakyServer):
    """The fake Luco API (see the module docstring for the shapes it chooses).

    :param token_server: an :class:`~luco_client.testing.AzureTokenServer` whose tokens are
        accepted (only those).
    :param tokens: fixed bearer tokens to accept (instead of, or besides, a token server).
    :param seed: start with the seeded slot sequences (see :class:`LucoState`); default True.
    :param prefix: the API's path prefix (default ``/api``; ``base_url`` includes it).
    :param kwargs: :class:`~luco_client.testing.FlakyServer` arguments (``tls=``,
        ``faults=``, ``port=``).

    ``server.route`` is the API's own answer: use it to apply a write before a fault,
    ``server.script(path, Apply(server.route, Drop()))``, or to hand a path back after
    scripted faults. :meth:`submission_path` builds the paths of one submission.
    """

    def __init__(self, *, token_server: t.Optional[AzureTokenServer] = None, tokens: t.Iterable[str] = (),
                 seed: bool = True, prefix: str = "/api", **kwargs: t.Any) -> None:
        kwargs.pop("default", None)
        super().__init__(default=self.route, **kwargs)
        self.token_server = token_server
        self.tokens = set(tokens)
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.data = LucoState(seed)
        self._state_lock = threading.RLock()

    # ------------------------------------------------------------------ admin view

    @property
    def base_url(self) -> str:
        """The API root to give ``LucoApi(base_url=...)`` (no trailing slash)."""
        return self.url + self.prefix

    def submission_path(self, slot_id: int, submission_id: int, suffix: str = "", *, v2: bool = False) -> str:
        """The path of a submission endpoint as received (``suffix``: ``"/metrics"``...)."""
        return f"{self.prefix}{'/v2' if v2 else ''}/slots/{slot_id}/submissions/{submission_id}{suffix}"

    def state(self) -> Json:
        """A deep copy of the data: ``sequences``, ``slots``, ``submissions`` (with their
        ``metrics``, ``quality``, ``statusHistory``, ``runEnvironments``) and ``applied``."""
        with self._state_lock:
            return self.data.snapshot()

    @property
    def applied(self) -> t.Dict[str, int]:
        """Writes applied so far, per kind: ``slots``, ``submissions``, ``metrics``,
        ``statuses``, ``run_environments``, ``quality``, ``imports`` (server-side counts)."""
        with self._state_lock:
            return dict(self.data.applied)

    def add_slot_sequence(self, name: t.Mapping[str, t.Any], **kwargs: t.Any) -> int:
        """Add a slot sequence (``type=``, ``cadence=``, ``scheduled=``, ``active=``,
        ``parameters=``, ``delivery=``); returns its id."""
        with self._state_lock:
            return self.data.add_sequence(name, **kwargs)

    def add_slot(self, sequence_id: int, tag: str, expected_by: t.Optional[str] = None) -> int:
        """Add a slot to a sequence; returns its id."""
        with self._state_lock:
            return self.data.add_slot(sequence_id, tag, expected_by)

    def add_submission(self, slot_id: int, status: str = "In Progress") -> int:
        """Add a submission to a slot; returns its id."""
        with self._state_lock:
            return self.data.add_submission(slot_id, status)

    # ------------------------------------------------------------------ routing

    def _authorised(self, received: Received) -> bool:
        header = received.header("Authorization") or ""
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            return False
        token = header[7:].strip()
        if self.token_server is None and not self.tokens:
            return True
        return token in self.tokens or (self.token_server is not None and self.token_server.is_valid(token))

    def route(self, received: Received) -> Reply:
        """The API's answer to ``received`` (applying it, for a write)."""
        if not received.path.startswith(self.prefix + "/"):
            return Reply(404, "Not Found")
        path = received.path[len(self.prefix):]
        matched = [(method, match, name) for method, pattern, name in _COMPILED
                   for match in [pattern.match(path)] if match]
        if not matched:
            return Reply(404, "Not Found")
        if not self._authorised(received):
            return Reply(401, "Unauthorized", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        for method, match, name in matched:
            if method == received.method:
                try:
                    with self._state_lock:
                        status, body = getattr(self, "_" + name)(received, *(int(g) for g in match.groups()))
                except Problem as problem:
                    return Reply(problem.status, problem.text)
                return Reply(status, body)
        return Reply(405, "Method Not Allowed")

    # ------------------------------------------------------------------ slots and submissions

    def _find_slot(self, received: Received) -> t.Tuple[int, Json]:
        query = Query(received)
        tag, seq = query.get("Tag"), self.data.sequence_by_name(query.definition())
        if seq is None or not tag:
            raise Problem(404, "no such slot sequence" if seq is None else "Tag is required")
        slots = self.data.slots_of(seq["id"])
        if self.data.scheduled(seq):
            day = tag[:10]
            try:
                datetime.date.fromisoformat(day)
            except ValueError:
                raise Problem(404, f"{tag!r} is not a date of this scheduled slot sequence") from None
            found = next((s for s in slots if s["tag"] == day), None)
            slot_id = found["id"] if found else self.data.add_slot(seq["id"], day)
            return 200, {"slotId": slot_id}
        found = next((s for s in slots if s["tag"] == tag), None)
        if found is None:
            raise Problem(404, f"no slot with tag {tag!r}")
        return 200, {"slotId": found["id"]}

    def _create_slot(self, received: Received) -> t.Tuple[int, Json]:
        body = _body(received)
        if not isinstance(body, dict) or not isinstance(body.get("tag"), str) or not body["tag"]:
            raise Problem(400, "tag is required")
        seq = self.data.sequence_by_name(_definition_array(body.get("slotSequenceDefinition")))
        if seq is None or not seq["isActive"]:
            raise Problem(400, "slot sequence not found or inactive")
        if self.data.scheduled(seq):
            raise Problem(400, "the slot sequence has an active delivery schedule: slots come from the schedule")
        if any(s["tag"] == body["tag"] for s in self.data.slots_of(seq["id"])):
            raise Problem(400, f"a slot with tag {body['tag']!r} exists")
        self.data.count("slots")
        return 201, {"slotId": self.data.add_slot(seq["id"], body["tag"])}

    def _create_submission(self, received: Received, slot_id: int) -> t.Tuple[int, Json]:
        self.data.slot(slot_id)
        self.data.count("submissions")
        return 201, {"slotSubmissionId": self.data.add_submission(slot_id)}

    def _definition(self, received: Received, slot_id: int, sub_id: int) -> t.Tuple[int, Json]:
        return 200, self.data.definition(self.data.submission(slot_id, sub_id))

    def _get_metrics(self, received: Received, slot_id: int, sub_id: int) -> t.Tuple[int, Json]:
        sub, query = self.data.submission(slot_id, sub_id), Query(received)
        stages, names = query.all("stages"), query.all("metrics")
        rows = [m for m in sub["metrics"]
                if (not stages or m["stage"] in stages) and (not names or m["metric"] in names)]
        if not query.flag("includeDuplicates", False):
            latest: t.Dict[t.Tuple[t.Any, t.Any], Json] = {}
            for row in rows:
                latest.pop((row["stage"], row["metric"]), None)
                latest[(row["stage"], row["metric"])] = row
            rows = list(latest.values())
        return 200, {"slotSubmissionMetrics": [dict(r) for r in rows]}

    def _post_metrics(self, received: Received, slot_id: int, sub_id: int) -> t.Tuple[int, Json]:
        sub, body = self.data.submission(slot_id, sub_id), _body(received)
        metrics = body.get("metrics") if isinstance(body, dict) else None
        if not isinstance(metrics, list) or not metrics or not all(
                isinstance(m, dict) and isinstance(m.get("metric"), str) and "value" in m for m in metrics):
            raise Problem(400, "metrics must be a non-empty array of {metric, value}")
        stamp = now_text()
        sub["metrics"].extend({"stage": body.get("stage"), "metric": m["metric"], "value": m["value"],
                               "createdOn": stamp} for m in metrics)
        self.data.count("metrics")
        return 200, {"count": len(metrics)}

    def _get_quality(self, received: Received, slot_id: int, sub_id: int) -> t.Tuple[int, Json]:
        return 200, {"collections": json.loads(json.dumps(self.data.submission(slot_id, sub_id)["quality"]))}

    def _post_quality_v1(self, received: Received, slot_id: int, sub_id: int) -> t.Tuple[int, Json]:
        sub, body = self.data.submission(slot_id, sub_id), _body(received)
        if not isinstance(body, dict) or not body.get("tool") or not isinstance(body.get("results"), str):
            raise Problem(400, "tool and results (a string) are required")
        if body.get("action") not in ("Continued", "Cancelled"):
            raise Problem(400, "action must be Continued or Cancelled")
        sub["quality"].append({k: body.get(k) for k in ("tool", "dataSet", "stage", "action", "results")})
        self.data.count("quality")
        return 200, {}

    def _post_quality_v2(self, received: Received, slot_id: int, sub_id: int) -> t.Tuple[int, Json]:
        sub, body, query = self.data.submission(slot_id, sub_id), _body(received), Query(received)
        if isinstance(body, dict) and "check" in body and "success" in body:
            body = {"checks": [body]}
        if not isinstance(body, dict) or not isinstance(body.get("checks"), list) or not body["checks"]:
            raise Problem(400, "expected a check (check, success) or a collection (checks)")
        if query.get("action") not in (None, "Continued", "Cancelled"):
            raise Problem(400, "action must be Continued or Cancelled")
        sub["quality"].append(body)
        self.data.count("quality")
        return 200, {}

    def _post_run_environment(self, received: Received, slot_id: int, sub_id: int) -> t.Tuple[int, Json]:
        sub, body = self.data.submission(slot_id, sub_id), _body(received)
        run_data = body.get("runData") if isinstance(body, dict) else None
        if run_data is not None and not (isinstance(run_data, list) and all(isinstance(r, dict) for r in run_data)):
            raise Problem(400, "runData must be an array of objects")
        sub["runEnvironments"].append({"stage": body.get("stage"), "runData": run_data})
        self.data.count("run_environments")
        return 200, {}

    def _post_status(self, received: Received, slot_id: int, sub_id: int) -> t.Tuple[int, Json]:
        sub, body = self.data.submission(slot_id, sub_id), _body(received)
        if not isinstance(body, dict) or not isinstance(body.get("status"), str) or not body["status"]:
            raise Problem(400, "status is required")
        stamp = now_text()
        entry = {k: body.get(k) for k in ("status", "stage", "type", "message", "modifiedBy")}
        entry["createdOn"] = stamp
        sub["statusHistory"].append(entry)
        sub["status"] = body["status"]
        sub["endedOn"] = stamp if body["status"] in ("Completed", "Failed") else None
        self.data.slots[slot_id]["updatedOn"] = stamp
        self.data.count("statuses")
        return 200, {}

    def _relative_search(self, received: Received, slot_id: int, sub_id: int) -> t.Tuple[int, Json]:
        return 200, relative_search(self.data, self.data.submission(slot_id, sub_id), Query(received))

    # ------------------------------------------------------------------ slot sequences

    def _sequence_submissions(self, received: Received) -> t.Tuple[int, Json]:
        return 200, sequence_submissions(self.data, Query(received))

    def _find_sequence(self, received: Received) -> t.Tuple[int, Json]:
        query = Query(received)
        seq = self.data.sequence_by_name(query.definition(), query.flag("isActive", None))
        if seq is None:
            raise Problem(404, "no such slot sequence")
        return 200, {"slotSequenceId": seq["id"]}

    def _sequence_detail(self, received: Received, sequence_id: int) -> t.Tuple[int, Json]:
        return 200, self.data.sequence_detail(self.data.sequence(sequence_id))

    def _export(self, received: Received) -> t.Tuple[int, t.Any]:
        ids = Query(received).all("slotSequenceId")
        try:
            wanted = [int(i) for i in ids]
        except ValueError:
            raise Problem(400, "slotSequenceId must be integers") from None
        chosen = [self.data.sequence(i) for i in wanted] if wanted else list(self.data.sequences.values())
        return 200, [self.data.export(seq) for seq in chosen]

    def _import_(self, received: Received) -> t.Tuple[int, Json]:
        self.data.count("imports")
        return 200, import_sequences(self.data, _body(received), _definition_array)

    def _sequences_overview(self, received: Received) -> t.Tuple[int, Json]:
        return 200, overview(self.data, Query(received), "slotSequences")

    def _slots_overview(self, received: Received) -> t.Tuple[int, Json]:
        return 200, overview(self.data, Query(received), "slots")
