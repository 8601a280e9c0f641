"""The fake Luco server's query parsing, searches, overviews and imports (E12, E13, E16, E18, E19)."""

from __future__ import annotations

import ast
import datetime
import json
import re
import typing as t

from luco_client.testing._flaky import Received
from luco_client.testing._luco_state import Json, LucoState, Pairs, Problem

__all__ = ["Query", "relative_search", "sequence_submissions", "import_sequences", "overview"]

_SPAN = re.compile(r"^(?:(\d+)[:.])?(\d{1,2}):(\d{2}):(\d{2})$")
_CLOSEST = ("historic", "future", "either", "exact")
_SEQUENCE_SORT = {"type": "type", "slotsequence": "name", "cadence": "cadence", "slots": "slots",
                  "overdue": "overdue", "failed": "failed", "lastdelivery": "lastDelivery", "upcoming": "upcoming"}
_SLOT_SORT = {"type": "type", "slotsequence": "name", "cadence": "cadence", "submissions": "submissions",
              "status": "status", "slotid": "slotId", "expectedby": "expectedBy", "updatedon": "updatedOn",
              "createdon": "createdOn"}


class Query:
    """The query parameters of a request: names case-insensitive, values form-decoded."""

    def __init__(self, received: Received) -> None:
        self.pairs = [(k.lower(), v) for k, v in received.query_all()]

    def all(self, name: str) -> t.List[str]:
        return [v for k, v in self.pairs if k == name.lower()]

    def get(self, name: str) -> t.Optional[str]:
        values = self.all(name)
        return values[-1] if values else None

    def flag(self, name: str, default: t.Optional[bool] = None) -> t.Optional[bool]:
        value = self.get(name)
        if value is None:
            return default
        if value.lower() not in ("true", "false"):
            raise Problem(400, f"{name} must be true or false, got {value!r}")
        return value.lower() == "true"

    def integer(self, name: str, default: t.Optional[int] = None) -> t.Optional[int]:
        value = self.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise Problem(400, f"{name} must be an integer, got {value!r}") from None

    def definition(self) -> Pairs:
        """The slot-sequence name from repeated ``SlotSequenceDefinition`` values."""
        items = []
        for text in self.all("SlotSequenceDefinition"):
            try:
                item = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                try:
                    item = json.loads(text)
                except ValueError:
                    raise Problem(400, f"SlotSequenceDefinition is neither a literal nor JSON: {text!r}") from None
            if not isinstance(item, dict) or not {"key", "value"} <= set(item):
                raise Problem(400, f"SlotSequenceDefinition needs key and value: {text!r}")
            items.append(item)
        if not items:
            raise Problem(400, "SlotSequenceDefinition is required")
        items.sort(key=lambda d: d.get("position", 0))
        return [(str(d["key"]), d["value"]) for d in items]


def _parse_span(text: str) -> datetime.timedelta:
    match = _SPAN.match(text)
    if not match:
        raise Problem(400, f"TimeDifference must be d:HH:MM:SS, got {text!r}")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _format_span(span: datetime.timedelta) -> str:
    total = int(abs(span.total_seconds()))
    return f"{total // 86400}:{total % 86400 // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _when(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")


def relative_search(state: LucoState, sub: Json, query: Query) -> Json:
    """E12: the closest slot (with a qualifying submission) to this submission's slot,
    ``TimeDifference`` away in the ``FindClosest`` direction."""
    closest = (query.get("FindClosest") or "historic").lower()
    if closest not in _CLOSEST:
        raise Problem(400, f"FindClosest must be one of {', '.join(_CLOSEST)}")
    only_completed = query.flag("OnlyCompletedSubmissions", False)
    span = _parse_span(query.get("TimeDifference") or "0:00:00:00")
    origin = state.slots[sub["slotId"]]
    ordered = sorted(state.slots_of(origin["sequenceId"]), key=lambda s: (s["expectedBy"], s["id"]))
    start = _when(origin["expectedBy"])
    targets = [start - span] if closest == "historic" else [start + span] if closest == "future" else \
        [start - span, start + span]
    candidates = []
    for slot in ordered:
        subs = [s for s in state.submissions_of(slot["id"]) if not only_completed or s["status"] == "Completed"]
        if not subs or (slot["id"] == origin["id"] and not span):
            continue
        moment = _when(slot["expectedBy"])
        for target in targets:
            if (closest == "historic" and moment <= target) or (closest == "future" and moment >= target) \
                    or closest == "either" or (closest == "exact" and moment == target):
                candidates.append((abs((moment - target).total_seconds()), slot, subs[0], target))
    if not candidates:
        raise Problem(404, "no matching submission")
    _, slot, found, target = min(candidates, key=lambda c: c[0])
    return {"slotId": slot["id"], "slotSubmissionId": found["id"],
            "isExactMatch": _when(slot["expectedBy"]) == target,
            "timeDifference": _format_span(start - _when(slot["expectedBy"])),
            "slotDifference": ordered.index(origin) - ordered.index(slot)}


def sequence_submissions(state: LucoState, query: Query) -> Json:
    """E13: the sequence's slots (latest first) and their submissions (newest first)."""
    seq = state.sequence_by_name(query.definition())
    if seq is None:
        raise Problem(404, "no such slot sequence")
    after, before = query.get("ExpectedAfterUtc"), query.get("ExpectedBeforeUtc")
    only_completed = query.flag("OnlyCompletedSubmissions", True)
    slots = []
    for slot in state.slots_of(seq["id"]):
        if (after and slot["expectedBy"] <= after) or (before and slot["expectedBy"] >= before):
            continue
        subs = [s for s in state.submissions_of(slot["id"]) if not only_completed or s["status"] == "Completed"]
        if query.flag("OnlyDeliveredSlots", True) and not any(s["status"] == "Completed" for s in subs):
            continue
        if query.flag("OnlyLatestSubmission", True):
            subs = subs[:1]
        slots.append({"slotId": slot["id"], "tag": slot["tag"], "expectedBy": slot["expectedBy"],
                      "submissions": [{"slotSubmissionId": s["id"], "status": s["status"], "startedOn": s["startedOn"],
                                       "endedOn": s["endedOn"]} for s in subs]})
    if query.flag("OnlyLatestSlot", True):
        slots = slots[:1]
    return {"slotSequenceId": seq["id"], "slots": slots}


def _parameters(config: Json) -> t.Dict[str, t.Dict[str, t.Any]]:
    groups = (config.get("parameters") or {}).get("slotParameterGroups") or []
    return {g["slotParameterGroupName"]: {p["key"]: p["value"] for p in g.get("slotParameters", [])} for g in groups}


def import_sequences(state: LucoState, body: t.Any, read_name: t.Callable[[t.Any], Pairs]) -> Json:
    """E16: create new sequences, update changed ones (``allowOverwrites``), archive absent
    ones (``allowArchiving``); counts per outcome and one import record per item."""
    if not isinstance(body, dict) or not isinstance(body.get("slotSequences"), list):
        raise Problem(400, "slotSequences must be an array")
    counts = dict.fromkeys(("created", "exists", "notProcessed", "updated", "notUpdated", "archived"), 0)
    imports: t.List[Json] = []
    seen: t.Set[int] = set()
    for config in body["slotSequences"]:
        try:
            pairs = read_name(config.get("slotSequenceDefinition") if isinstance(config, dict) else None)
        except Problem:
            counts["notProcessed"] += 1
            imports.append({"slotSequenceDefinition": [], "result": "NotProcessed", "slotSequenceId": None})
            continue
        wanted = {"type": config.get("type", "Daily"), "cadence": config.get("cadence", "Daily"),
                  "isActive": config.get("isActive", True), "parameters": _parameters(config)}
        delivery = None if body.get("ignoreDeliveryConfig") else config.get("delivery")
        seq = state.sequence_by_name(pairs)
        if seq is None:
            sid = state.add_sequence(dict(pairs), type=wanted["type"], cadence=wanted["cadence"],
                                     active=wanted["isActive"], parameters=wanted["parameters"],
                                     delivery=delivery if delivery is not None else [])
            result = "Created"
        else:
            sid = seq["id"]
            changes = {k: v for k, v in wanted.items() if seq[k] != v}
            if delivery is not None and delivery != seq["delivery"]:
                changes["delivery"] = delivery
            if not changes:
                result = "Exists"
            elif body.get("allowOverwrites"):
                seq.update(changes)
                result = "Updated"
            else:
                result = "NotUpdated"
        counts[result[0].lower() + result[1:]] += 1
        seen.add(sid)
        imports.append({"slotSequenceDefinition": state.export(state.sequences[sid])["slotSequenceDefinition"],
                        "result": result, "slotSequenceId": sid})
    if body.get("allowArchiving"):
        for seq in state.sequences.values():
            if seq["id"] not in seen and seq["isActive"]:
                seq["isActive"] = False
                counts["archived"] += 1
    return {**{f"{k}Count": v for k, v in counts.items()}, "slotSequenceImports": imports}


def _keep(item: Json, query: Query, kind: str) -> bool:
    lists = {"type": "type", "cadence": "cadence"}
    if kind == "slots":
        lists.update(slotStatus="status", lastSubmissionStatus="lastSubmissionStatus")
    for param, field in lists.items():
        wanted = query.all(param)
        if wanted and item[field] not in wanted:
            return False
    values = query.all("slotSequenceDefinitionValues")
    if values:
        names = {str(v) for v in item["_pairs_values"]}
        combine = all if (query.get("slotSequenceDefinitionValuesFilterOperator") or "and").lower() == "and" else any
        if not combine(v in names for v in values):
            return False
    if kind == "slotSequences":
        active = query.flag("isActive", None)
        if active is not None and item["isActive"] != active:
            return False
        ranges = {"overdueCount": "overdue", "failedCount": "failed"}
        text_ranges = {"lastDeliverySlot": "lastDelivery", "upcomingSlot": "upcoming"}
    else:
        ids = query.all("slotId")
        if ids and str(item["slotId"]) not in ids:
            return False
        sequence_id = query.integer("slotSequenceId")
        if sequence_id is not None and item["slotSequenceId"] != sequence_id:
            return False
        ranges = {"": "submissions"}
        text_ranges = {"expectedBy": "expectedBy", "updatedOn": "updatedOn", "createdOn": "createdOn"}
    for prefix, field in ranges.items():
        low = query.integer(f"{prefix}Start" if prefix else "minSubmissions")
        high = query.integer(f"{prefix}End" if prefix else "maxSubmissions")
        if (low is not None and item[field] < low) or (high is not None and item[field] > high):
            return False
    for prefix, field in text_ranges.items():
        start, end = query.get(f"{prefix}Start"), query.get(f"{prefix}End")
        value = item[field]
        if (start and (value is None or value < start)) or (end and (value is None or value > end)):
            return False
    return True


def overview(state: LucoState, query: Query, kind: str) -> Json:
    """E18 (``kind="slotSequences"``) and E19 (``kind="slots"``): filtered, sorted, paged."""
    if kind == "slotSequences":
        items = [state.sequence_item(seq) for seq in state.sequences.values()]
        pairs = {seq["id"]: seq["name"] for seq in state.sequences.values()}
        key_field, sorts = "slotSequenceId", _SEQUENCE_SORT
    else:
        items = [state.slot_item(slot) for slot in state.slots.values()]
        pairs = {slot["id"]: state.sequences[slot["sequenceId"]]["name"] for slot in state.slots.values()}
        key_field, sorts = "slotId", _SLOT_SORT
    for item in items:
        item["_pairs_values"] = [v for _, v in pairs[item[key_field]]]
    kept = [item for item in items if _keep(item, query, kind)]
    sort_by = (query.get("sortBy") or "").lower()
    field = sorts.get(sort_by, key_field)
    if sort_by and sort_by not in sorts:
        raise Problem(400, f"sortBy must be one of {', '.join(sorted(sorts))}")
    kept.sort(key=lambda i: (i[field] is None, str(i[field]) if field == "name" else (i[field] or 0, i[key_field])))
    if (query.get("sortDir") or "asc").lower() == "desc":
        kept.reverse()
    number, size = query.integer("pageNumber", 1), query.integer("pageSize", 50)
    if number is None or size is None or number < 1 or size < 0:
        raise Problem(400, "pageNumber must be >= 1 and pageSize >= 0")
    page = kept[(number - 1) * size:number * size] if size else []
    for item in page:
        del item["_pairs_values"]
    return {"totalCount": len(kept), kind: page}
