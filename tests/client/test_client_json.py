"""JSON bodies and fields with typed errors (json_body, require), over real sockets."""

from __future__ import annotations

import typing as t

import pytest

from luco_client.client import ApiClient, Endpoint, Settings, json_body, require
from luco_client.errors import ReadError, ResponseFormatError
from luco_client.testing import FlakyServer, Reply, Truncate


class Api(ApiClient):
    THING = Endpoint("/thing", Settings(parser=json_body))

    def thing(self) -> t.Any:
        return self.get(self.THING)


def test_json_body_parses_and_refuses_non_json_with_a_typed_error(server: FlakyServer) -> None:
    api = Api(base_url=server.url)
    server.script("/thing", Reply(200, {"a": [1, {"b": "x"}]}), Reply(200, "<html>oops token=abc123456</html>"),
                  Reply(200, b""))
    assert api.thing() == {"a": [1, {"b": "x"}]}
    with pytest.raises(ResponseFormatError) as info:
        api.thing()
    err = info.value
    assert err.status == 200 and err.field is None and "not JSON" in err.message
    assert "oops" in err.body_excerpt and "abc123456" not in err.body_excerpt  # redacted
    assert err.method == "GET" and err.url.endswith("/thing") and err.attempt_count == 1
    with pytest.raises(ResponseFormatError, match="empty body"):
        api.thing()


def test_a_truncated_json_body_is_a_read_error_not_a_decode_error(server: FlakyServer) -> None:
    api = Api(base_url=server.url, settings=Settings(retry=None))
    server.script("/thing", Truncate(b'{"a": ', 50))
    with pytest.raises(ReadError):  # the transport sees the short body before any parser runs
        api.thing()


def test_require_reads_paths_and_names_what_is_missing() -> None:
    data = {"slots": [{"slotId": 7, "ok": True, "name": None}]}
    assert require(data, "slots.0.slotId", int) == 7
    assert require(data, "slots.-1.ok", bool) is True
    assert require(data, "") is data
    assert require(data, "slots.3.slotId", default=None) is None
    with pytest.raises(ResponseFormatError) as info:
        require(data, "slots.0.submissions", source="E13")
    assert info.value.field == "slots.0.submissions" and "E13" in str(info.value)
    with pytest.raises(ResponseFormatError, match="has no element 2"):
        require(data, "slots.2.slotId")
    with pytest.raises(ResponseFormatError, match="must be int, got bool"):
        require(data, "slots.0.ok", int)  # a bool is never an int here
    with pytest.raises(ResponseFormatError, match="is null, cannot read"):
        require(data, "slots.0.name.key")
    with pytest.raises(ResponseFormatError, match="is str"):
        require({"a": "text"}, "a.b")
