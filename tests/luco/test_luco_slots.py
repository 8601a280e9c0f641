"""find_slot_id: scheduled slots, unscheduled slot creation on a 404, the deprecated alias."""

from __future__ import annotations

import pytest
from luco_helpers import SAP, UPLOADS

from luco_client import ApiException, BadRequestError, ConfigurationError, LucoApi
from luco_client.testing import LucoServer


def test_scheduled_slots_are_found_by_date(api: LucoApi, luco: LucoServer) -> None:
    assert api.find_slot_id("2024-01-30", SAP) == 1002
    assert api.find_slot_id("2024-01-30", [{"Source": "SAP"}, {"Table": "Orders"}]) == 1002
    assert api.find_slotId("2024-01-30", SAP) == 1002  # the deprecated name
    assert luco.count(method="POST") == 0


def test_an_unscheduled_slot_is_created_on_a_404_then_found(api: LucoApi, luco: LucoServer) -> None:
    created = api.find_slot_id("upload-2024-02-01T10:00", UPLOADS)
    assert [(r.method, r.path) for r in luco.received()] == [("GET", "/api/slots/search/"), ("POST", "/api/slots/")]
    assert api.find_slot_id("upload-2024-02-01T10:00", UPLOADS) == created
    assert luco.applied == {"slots": 1}
    slot = luco.state()["slots"][created]
    assert slot["tag"] == "upload-2024-02-01T10:00" and slot["sequenceId"] == 102


def test_the_server_refusing_a_slot_is_an_api_exception(api: LucoApi, luco: LucoServer) -> None:
    with pytest.raises(BadRequestError) as info:  # unknown sequence: 404 on search, 400 on create
        api.find_slot_id("2024-01-31", {"Source": "Nowhere"})
    assert isinstance(info.value, ApiException) and "not found" in info.value.body_excerpt
    assert luco.count(method="POST") == 1


@pytest.mark.parametrize("sequence", [None, {}, [], [{"a": "1", "b": "2"}], [{}], "Source=SAP", {"": "x"},
                                      {"Source": None}, {"Source": True}, {"Source": ["SAP"]}, {1: "x"},
                                      {"Source": float("nan")}])
def test_malformed_slot_sequences_are_refused_before_sending(api: LucoApi, luco: LucoServer, sequence: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        api.find_slot_id("2024-01-31", sequence)
    assert isinstance(info.value, ApiException) and isinstance(info.value, ValueError)
    assert luco.count() == 0
