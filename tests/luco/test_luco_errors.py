"""LucoPy's exception names in our tree: what `except ApiException:` catches, malformed
and truncated answers as typed errors, and errors that travel between processes."""

from __future__ import annotations

import pickle
import typing as t

import pytest
from luco_helpers import SAP, MakeApi

from luco_client import (
    ApiException,
    AuthException,
    DataQualityException,
    HTTPStatusError,
    LucoApi,
    LucoClientError,
    NotFoundError,
    ReadError,
    ResponseFormatError,
    ServerStatusError,
    TransportError,
)
from luco_client.luco import exceptions as lucopy_exceptions
from luco_client.testing import Garbage, LucoServer, Reply, Truncate


def test_the_names_sit_in_the_tree() -> None:
    assert issubclass(ApiException, LucoClientError)
    assert issubclass(AuthException, LucoClientError) and not issubclass(AuthException, ApiException)
    assert issubclass(DataQualityException, LucoClientError) and not issubclass(DataQualityException, ApiException)
    assert lucopy_exceptions.ApiException is ApiException  # LucoPy's module path: LucoPy.exceptions


def test_http_errors_are_api_exceptions_and_library_errors(api: LucoApi, luco: LucoServer) -> None:
    path = luco.submission_path(1001, 5001, v2=True)
    for status, library_class in ((404, NotFoundError), (500, ServerStatusError), (418, HTTPStatusError)):
        luco.script(path, Reply(status, f"error {status}"))
        with pytest.raises(ApiException) as info:
            api.get_submission(1001, 5001).status
        error = info.value
        assert isinstance(error, library_class) and error.status == status
        assert type(error).__name__ == f"Luco{type(error).__mro__[1].__name__}"
        assert f"status {status}" in str(error) and f"error {status}" in str(error)  # LucoPy: "<status> :: <text>"


@pytest.mark.parametrize("reply, error_class, field", [
    (Reply(200, "<html>proxy login</html>"), ResponseFormatError, None),
    (Reply(200, b""), ResponseFormatError, None),
    (Reply(200, {"slot": {}}), ResponseFormatError, "submission"),
    (Reply(200, {"submission": "closed"}), ResponseFormatError, "submission"),
    (Reply(200, [1, 2]), ResponseFormatError, ""),
    (Truncate(b'{"submission": {"status": "Comp', 500), ReadError, None),
    (Garbage(), TransportError, None),
])
def test_malformed_or_truncated_answers_are_typed(make_api: MakeApi, luco: LucoServer, reply: t.Any,
                                                  error_class: type, field: t.Optional[str]) -> None:
    api = make_api(retry=None)
    luco.script(luco.submission_path(1001, 5001, v2=True), reply)
    with pytest.raises(ApiException) as info:
        api.get_submission(1001, 5001).status
    assert isinstance(info.value, error_class)
    if field is not None:
        assert info.value.field.startswith(field)  # type: ignore[attr-defined]
    assert not isinstance(info.value, (KeyError, IndexError)) or isinstance(info.value, LookupError)


def test_a_slot_answer_without_an_id(api: LucoApi, luco: LucoServer) -> None:
    luco.script("/api/slots/search/", Reply(200, {"id": 1}), Reply(200, {"slotId": "1003"}))
    for _ in range(2):
        with pytest.raises(ResponseFormatError, match="slotId"):
            api.find_slot_id("2024-01-31", SAP)


def test_errors_pickle_as_their_luco_class(api: LucoApi, luco: LucoServer) -> None:
    luco.script(luco.submission_path(1001, 5001, v2=True), Reply(404, "gone"))
    with pytest.raises(NotFoundError) as info:
        api.get_submission(1001, 5001).status
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is type(info.value) and copy == info.value and isinstance(copy, ApiException)
    assert copy.status == 404 and copy.attempts == info.value.attempts


def test_luco_errors_carry_the_attempt_history(make_api: MakeApi, luco: LucoServer) -> None:
    luco.script(luco.submission_path(1001, 5001, v2=True), Reply(503, "busy"))
    with pytest.raises(ServerStatusError) as info:
        make_api().get_submission(1001, 5001).status
    assert [a.status for a in info.value.attempts] == [503, 503, 503]
