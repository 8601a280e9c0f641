"""The paged overviews and the slot-sequence methods (import, export, parameters)."""

from __future__ import annotations

import typing as t

import pytest
from luco_helpers import SAP, UPLOADS

from luco_client import ApiException, ConfigurationError, LucoApi, LucoLookupError, ParameterNotFoundError
from luco_client.testing import LucoServer, Reply


def _pages(luco: LucoServer, path: str) -> t.List[t.Tuple[str, str]]:
    return [(r.query["pageNumber"], r.query["pageSize"]) for r in luco.received(path)]


@pytest.fixture
def many(luco: LucoServer) -> LucoServer:
    """Seven more unscheduled sequences with one slot each (10 sequences, 10 slots)."""
    for n in range(7):
        luco.add_slot(luco.add_slot_sequence({"Source": "Feed", "Table": f"T{n}"}, scheduled=False), f"tag-{n}")
    return luco


@pytest.mark.parametrize("count, size, pages, kept", [
    (None, 3, [("1", "3"), ("2", "3"), ("3", "3"), ("4", "3")], 10),
    (0, 4, [("1", "4"), ("2", "4"), ("3", "4")], 10),
    (7, 3, [("1", "3"), ("2", "3"), ("3", "3")], 7),
    (6, 3, [("1", "3"), ("2", "3")], 6),  # LucoPy fetched a third page and dropped it
    (2, 500, [("1", "2")], 2),
    (50, 4, [("1", "4"), ("2", "4"), ("3", "4")], 10),
])
def test_slot_overview_pages(  # noqa: PLR0917 - fixtures and parameters
        api: LucoApi, many: LucoServer, count: t.Optional[int], size: int, pages: t.List[t.Tuple[str, str]],
        kept: int) -> None:
    result = api.slots_overview(count=count, pagination_size=size)
    assert result["totalCount"] == 10 and len(result["slots"]) == kept
    assert _pages(many, "/api/v2/slots/overview") == pages
    ids = [s["slotId"] for s in result["slots"]]
    assert ids == sorted(ids) and len(set(ids)) == kept  # pages neither overlap nor skip
    assert result["slots"][0]["name"] == SAP and isinstance(result["slots"][-1]["name"], dict)


def test_slot_sequence_overview_and_filters(api: LucoApi, many: LucoServer) -> None:
    everything = api.slot_sequences_overview()
    assert everything["totalCount"] == 9 and _pages(many, "/api/v2/slotsequences/overview") == [("1", "500")]
    assert {tuple(s["name"].values()) for s in everything["slotSequences"]} >= {("SAP", "Orders"), ("Feed", "T6")}
    assert api.slot_sequences_overview(is_active=None)["totalCount"] == 10
    assert api.slot_sequences_overview(is_active=False)["slotSequences"][0]["name"] == {"Source": "Legacy",
                                                                                         "Table": "Old"}
    adhoc = api.slot_sequences_overview(type="Adhoc", slot_sequence_name_values=["Manual", "Feed"],
                                        slot_sequence_name_values_filter_operator="or", sort_by="slotSequence",
                                        sort_dir="desc")
    assert adhoc["slotSequences"][0]["name"]["Source"] == "Manual"
    assert api.slots_overview(slot_id=[1001, 1002], sort_by="slotId", sort_dir="desc")["slots"][0]["slotId"] == 1002
    assert api.slots_overview(last_submission_status="CompletedWithoutFailures")["totalCount"] == 3
    assert api.slots_overview(min_submissions=1, slot_sequence_id=101)["totalCount"] == 3


def test_nothing_matching_sends_no_page_size_zero(api: LucoApi, luco: LucoServer) -> None:
    assert api.slots_overview(type="Nope") == {"slots": [], "totalCount": 0}
    assert _pages(luco, "/api/v2/slots/overview") == [("1", "1000")]


def test_bad_overview_arguments_are_refused(api: LucoApi, luco: LucoServer) -> None:
    for kwargs in ({"count": -1}, {"pagination_size": 0}, {"sort_dir": "up"}, {"type": 3},
                   {"slot_sequence_name_values_filter_operator": "xor"}, {"overdue_count_start": "1"}):
        with pytest.raises(ConfigurationError):
            api.slot_sequences_overview(**kwargs)
    with pytest.raises(ConfigurationError):
        api.slots_overview(slot_id="1001")
    assert luco.count() == 0


def test_a_malformed_overview_is_a_typed_error(api: LucoApi, luco: LucoServer) -> None:
    luco.script("/api/v2/slots/overview", Reply(200, {"slots": []}))
    with pytest.raises(ApiException, match="totalCount"):
        api.slots_overview()
    luco.script("/api/v2/slots/overview", Reply(200, {"totalCount": 1, "slots": [{"name": "SAP"}]}))
    with pytest.raises(ApiException, match="name"):
        api.slots_overview()


def test_export_and_import_round_trip(api: LucoApi, luco: LucoServer) -> None:
    exported = api.export_slot_sequences(names=[SAP, UPLOADS])
    assert len(exported) == 2 and exported == api.export_slot_sequences(ids=[101, 102])
    assert api.submit_slot_sequences(exported) == {
        "counts": {"created": 0, "exists": 2, "notProcessed": 0, "updated": 0, "notUpdated": 0, "archived": 0},
        "imports": [{"slotSequenceDefinition": SAP, "result": "Exists", "slotSequenceId": 101},
                    {"slotSequenceDefinition": UPLOADS, "result": "Exists", "slotSequenceId": 102}]}
    changed = dict(exported[0], cadence="Weekly")
    new = dict(exported[1], slotSequenceDefinition=[{"slotParameter": {"key": "Source", "value": "New"}}])
    result = api.submit_slot_sequences([changed, new, {"slotSequenceDefinition": "bad"}])
    assert result["counts"] == {"created": 1, "exists": 0, "notProcessed": 1, "updated": 0, "notUpdated": 1,
                                "archived": 0}
    result = api.submit_slot_sequences(changed, allow_overwrites=True, allow_archiving=True)
    assert result["counts"]["updated"] == 1 and result["counts"]["archived"] == 2
    assert api.export_slot_sequences(ids=101)[0]["cadence"] == "Weekly"
    with pytest.raises(LucoLookupError, match="Could not identify Id"):
        luco.script("/api/slotsequences/search/", Reply(200, {"slotSequenceId": None}))
        api.export_slot_sequences(names=SAP)
    with pytest.raises(ConfigurationError):
        api.submit_slot_sequences("config.json")


def test_slot_sequence_parameters(api: LucoApi, luco: LucoServer) -> None:
    assert api.slot_sequence_parameters(SAP) == {"Load": {"container": "raw", "path": "sap/orders"},
                                                 "Quality": {"threshold": 0.95, "owner": "data-team"}}
    assert api.slot_sequence_parameters(SAP, "Load", "path") == "sap/orders"
    with pytest.raises(ParameterNotFoundError):
        api.slot_sequence_parameters(SAP, "Load", "nope")
    assert [r.path for r in luco.received()][:2] == ["/api/slotsequences/search/", "/api/v2/slotsequences/101"]
    with pytest.raises(ApiException) as info:  # an inactive sequence is not found (isActive=True)
        api.slot_sequence_parameters({"Source": "Legacy", "Table": "Old"})
    assert getattr(info.value, "status", None) == 404
