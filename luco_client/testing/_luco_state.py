"""The in-memory state of the fake Luco server: slot sequences, slots, submissions and what
was written to them, with the read models of the API (definition, overviews, searches).

Shapes the wire spec leaves open are chosen here (spec §11.9) and documented on
:class:`~luco_client.testing.LucoServer`. Times are ISO 8601 UTC text (``...Z``), which
compares correctly as text. Not thread-safe by itself: the server holds one lock around it.
"""

from __future__ import annotations

import copy
import datetime
import typing as t

__all__ = ["LucoState", "Problem", "name_array", "now_text"]

Pairs = t.List[t.Tuple[str, t.Any]]
Json = t.Dict[str, t.Any]


class Problem(Exception):
    """A request the fake refuses: ``status`` and a text body."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def now_text() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def name_array(pairs: Pairs) -> t.List[Json]:
    """A slot-sequence name in the response form of spec §1.6."""
    return [{"slotParameter": {"key": k, "value": v}, "position": i} for i, (k, v) in enumerate(pairs)]


def _groups(parameters: t.Mapping[str, t.Mapping[str, t.Any]]) -> t.List[Json]:
    return [{"slotParameterGroupName": group, "slotParameters": [{"key": k, "value": v} for k, v in values.items()]}
            for group, values in parameters.items()]


class LucoState:
    """Slot sequences, slots and submissions, keyed by id (ids count up from 100, 1000
    and 5000). Seeded with three slot sequences unless ``seed=False``:

    * ``{"Source": "SAP", "Table": "Orders"}``: daily, scheduled (one slot per date; the
      slot of any ``YYYY-MM-DD`` tag exists), with parameters and a delivery schedule,
      and three slots (2024-01-29..31) each with one completed submission;
    * ``{"Source": "Manual", "Table": "Uploads"}``: ad hoc, unscheduled (slots are created
      by ``POST /slots/``);
    * ``{"Source": "Legacy", "Table": "Old"}``: inactive.
    """

    def __init__(self, seed: bool = True) -> None:
        self.sequences: t.Dict[int, Json] = {}
        self.slots: t.Dict[int, Json] = {}
        self.submissions: t.Dict[int, Json] = {}
        self.applied: t.Dict[str, int] = {}
        self._slots_by_sequence: t.Dict[int, t.List[int]] = {}  # ids in creation order (indexes for the reads)
        self._submissions_by_slot: t.Dict[int, t.List[int]] = {}
        self._ids = {"sequence": 100, "slot": 1000, "submission": 5000}
        if seed:
            self._seed()

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def count(self, kind: str) -> None:
        """Count one applied write of ``kind`` (the admin view's server-side counts)."""
        self.applied[kind] = self.applied.get(kind, 0) + 1

    # ------------------------------------------------------------------ building

    def add_sequence(self, name: t.Mapping[str, t.Any], *, type: str = "Daily", cadence: str = "Daily",
                     scheduled: bool = True, active: bool = True,
                     parameters: t.Optional[t.Mapping[str, t.Mapping[str, t.Any]]] = None,
                     delivery: t.Optional[t.List[Json]] = None) -> int:
        """Add a slot sequence; returns its id."""
        sid = self._next("sequence")
        if delivery is None:
            delivery = [{"isActive": True, "cadence": cadence, "expectedTime": "06:00:00", "timeZone": "UTC"}] \
                if scheduled else []
        self.sequences[sid] = {"id": sid, "name": list(name.items()), "type": type, "cadence": cadence,
                               "isActive": active, "parameters": {k: dict(v) for k, v in (parameters or {}).items()},
                               "delivery": copy.deepcopy(delivery), "createdOn": now_text()}
        return sid

    def add_slot(self, sequence_id: int, tag: str, expected_by: t.Optional[str] = None) -> int:
        """Add a slot; returns its id."""
        slot_id = self._next("slot")
        stamp = now_text()
        self.slots[slot_id] = {"id": slot_id, "sequenceId": sequence_id, "tag": tag,
                               "expectedBy": expected_by or (f"{tag}T06:00:00Z" if _is_date(tag) else stamp),
                               "createdOn": stamp, "updatedOn": stamp}
        self._slots_by_sequence.setdefault(sequence_id, []).append(slot_id)
        return slot_id

    def add_submission(self, slot_id: int, status: str = "In Progress") -> int:
        """Add a submission; returns its id."""
        sub_id = self._next("submission")
        stamp = now_text()
        self.submissions[sub_id] = {"id": sub_id, "slotId": slot_id, "status": status, "startedOn": stamp,
                                    "endedOn": stamp if status in ("Completed", "Failed") else None,
                                    "statusHistory": [], "runEnvironments": [], "metrics": [], "quality": []}
        self.slots[slot_id]["updatedOn"] = stamp
        self._submissions_by_slot.setdefault(slot_id, []).append(sub_id)
        return sub_id

    def _seed(self) -> None:
        orders = self.add_sequence({"Source": "SAP", "Table": "Orders"}, parameters={
            "Load": {"container": "raw", "path": "sap/orders"}, "Quality": {"threshold": 0.95, "owner": "data-team"}})
        self.add_sequence({"Source": "Manual", "Table": "Uploads"}, type="Adhoc", cadence="Adhoc", scheduled=False)
        self.add_sequence({"Source": "Legacy", "Table": "Old"}, active=False)
        for day in ("2024-01-29", "2024-01-30", "2024-01-31"):
            self.add_submission(self.add_slot(orders, day), status="Completed")

    # ------------------------------------------------------------------ lookups

    def sequence_by_name(self, pairs: Pairs, active: t.Optional[bool] = None) -> t.Optional[Json]:
        """The sequence named exactly ``pairs`` (order matters), optionally only (in)active."""
        for seq in self.sequences.values():
            if seq["name"] == pairs and (active is None or seq["isActive"] == active):
                return seq
        return None

    def sequence(self, sequence_id: int) -> Json:
        if sequence_id not in self.sequences:
            raise Problem(404, f"slot sequence {sequence_id} not found")
        return self.sequences[sequence_id]

    def slot(self, slot_id: int) -> Json:
        if slot_id not in self.slots:
            raise Problem(404, f"slot {slot_id} not found")
        return self.slots[slot_id]

    def submission(self, slot_id: int, sub_id: int) -> Json:
        self.slot(slot_id)
        sub = self.submissions.get(sub_id)
        if sub is None or sub["slotId"] != slot_id:
            raise Problem(404, f"submission {sub_id} not found on slot {slot_id}")
        return sub

    def slots_of(self, sequence_id: int) -> t.List[Json]:
        """The sequence's slots, latest expected first."""
        return sorted((self.slots[i] for i in self._slots_by_sequence.get(sequence_id, ())),
                      key=lambda s: (s["expectedBy"], s["id"]), reverse=True)

    def submissions_of(self, slot_id: int) -> t.List[Json]:
        """The slot's submissions, newest first."""
        return [self.submissions[i] for i in reversed(self._submissions_by_slot.get(slot_id, ()))]

    @staticmethod
    def scheduled(seq: Json) -> bool:
        return any(d.get("isActive") is True for d in seq["delivery"])

    # ------------------------------------------------------------------ read models

    def definition(self, sub: Json) -> Json:
        """The E4 answer. ``submission`` also lists ``statusHistory`` and
        ``runEnvironments`` (fields of this fake, used for write reconciliation)."""
        slot = self.slots[sub["slotId"]]
        seq = self.sequences[slot["sequenceId"]]
        return {
            "slot": {"slotId": slot["id"], "tag": slot["tag"], "expectedBy": slot["expectedBy"]},
            "submission": {"slotSubmissionId": sub["id"], "status": sub["status"], "startedOn": sub["startedOn"],
                           "endedOn": sub["endedOn"], "statusHistory": copy.deepcopy(sub["statusHistory"]),
                           "runEnvironments": copy.deepcopy(sub["runEnvironments"])},
            "slotSequence": self.sequence_detail(seq, key="definition"),
        }

    def sequence_detail(self, seq: Json, key: str = "definition") -> Json:
        """E15's answer (also the ``slotSequence`` of E4)."""
        return {"slotSequenceId": seq["id"], "isActive": seq["isActive"],
                key: {"type": {"slotSequenceTypeName": seq["type"]}, "cadence": seq["cadence"],
                      "name": name_array(seq["name"])},
                "parameters": {"slotParameterGroups": _groups(seq["parameters"])},
                "delivery": copy.deepcopy(seq["delivery"])}

    def last_status(self, slot: Json) -> t.Optional[str]:
        """The overview vocabulary for the slot's latest submission (``None`` without one)."""
        subs = self.submissions_of(slot["id"])
        if not subs:
            return None
        sub = subs[0]
        if sub["status"] == "Completed":
            failed = any(not c.get("success", True) for q in sub["quality"] for c in q.get("checks", []))
            return "CompletedWithFailures" if failed else "CompletedWithoutFailures"
        return "Failed" if sub["status"] == "Failed" else "InProgress"

    def slot_status(self, slot: Json) -> str:
        if any(s["status"] == "Completed" for s in self.submissions_of(slot["id"])):
            return "Delivered"
        return "Overdue" if slot["expectedBy"] < now_text() else "Pending"

    def slot_item(self, slot: Json) -> Json:
        """One E19 item."""
        seq = self.sequences[slot["sequenceId"]]
        return {"slotId": slot["id"], "slotSequenceId": seq["id"], "name": name_array(seq["name"]),
                "type": seq["type"], "cadence": seq["cadence"], "tag": slot["tag"], "status": self.slot_status(slot),
                "expectedBy": slot["expectedBy"], "createdOn": slot["createdOn"], "updatedOn": slot["updatedOn"],
                "submissions": len(self.submissions_of(slot["id"])), "lastSubmissionStatus": self.last_status(slot)}

    def sequence_item(self, seq: Json) -> Json:
        """One E18 item."""
        slots = self.slots_of(seq["id"])
        delivered = [s["expectedBy"] for s in slots if self.slot_status(s) == "Delivered"]
        pending = sorted(s["expectedBy"] for s in slots if self.slot_status(s) == "Pending")
        return {"slotSequenceId": seq["id"], "name": name_array(seq["name"]), "type": seq["type"],
                "cadence": seq["cadence"], "isActive": seq["isActive"], "slots": len(slots),
                "overdue": sum(1 for s in slots if self.slot_status(s) == "Overdue"),
                "failed": sum(1 for s in slots if self.last_status(s) == "Failed"),
                "lastDelivery": max(delivered) if delivered else None, "upcoming": pending[0] if pending else None}

    def export(self, seq: Json) -> Json:
        """A slot-sequence configuration, as E17 exports it and E16 imports it."""
        return {"slotSequenceDefinition": name_array(seq["name"]), "type": seq["type"], "cadence": seq["cadence"],
                "isActive": seq["isActive"], "parameters": {"slotParameterGroups": _groups(seq["parameters"])},
                "delivery": copy.deepcopy(seq["delivery"])}

    def snapshot(self) -> Json:
        """A deep copy of everything (the admin view of the state)."""
        return copy.deepcopy({"sequences": self.sequences, "slots": self.slots, "submissions": self.submissions,
                              "applied": self.applied})


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return len(text) == 10 or text[10] in "T "
