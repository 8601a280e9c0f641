"""JSON bodies with typed errors: a parser for endpoint settings and a field reader.

A service client reads fields from what an API returns. When the body is not JSON, is cut
short, or lacks a field, the caller must get a :class:`~luco_client.errors.ResponseFormatError`
naming what was wrong, never a bare ``JSONDecodeError``, ``KeyError`` or ``IndexError``::

    GET_SLOT = Endpoint("/slots/{ID}", Settings(parser=json_body))

    slot = self.get(GET_SLOT, {"ID": 7})
    expected = require(slot, "slot.expectedBy", str, source="GET_SLOT")
"""

from __future__ import annotations

import typing as t

from luco_client._redact import redact_url
from luco_client.errors import ResponseFormatError
from luco_client.transport._responses import body_excerpt  # one excerpt rule for status and format errors

if t.TYPE_CHECKING:
    import requests

__all__ = ["json_body", "require", "MISSING"]

#: ``require(..., default=MISSING)``: no default, a missing field raises.
MISSING: t.Any = object()


def json_body(response: requests.Response) -> t.Any:
    """The response body parsed as JSON (a parser for ``Settings(parser=...)``).

    An empty body, a body that is not JSON, or one cut short raises
    :class:`~luco_client.errors.ResponseFormatError` with the status, the redacted URL and
    an excerpt of the body (credentials redacted).
    """
    try:
        return response.json()
    except ValueError:  # requests' JSONDecodeError and simplejson's are ValueErrors
        request = response.request
        method = (request.method or "GET").upper() if request is not None else None
        content_type = response.headers.get("Content-Type", "")
        what = "an empty body" if not response.content else f"a body that is not JSON ({content_type or 'no type'})"
        raise ResponseFormatError(
            f"expected a JSON body, got {what}", status=response.status_code, body_excerpt=body_excerpt(response),
            method=method, url=redact_url(response.url or ""),
            attempts=getattr(response, "luco_attempts", ()), elapsed=getattr(response, "luco_elapsed", None),
        ) from None


def _describe(value: t.Any) -> str:
    return "null" if value is None else type(value).__name__


def require(data: t.Any, path: str, types: t.Union[type, t.Tuple[type, ...], None] = None, *,
            source: str = "response", default: t.Any = MISSING) -> t.Any:
    """The value at ``path`` in parsed JSON ``data``, checked.

    :param path: dotted keys and list indexes, e.g. ``"slots.0.slotId"``; ``""`` is
        ``data`` itself.
    :param types: the accepted type(s) of the value (``bool`` is never taken for ``int``);
        ``None`` accepts anything, ``null`` included.
    :param source: what the data is (an endpoint name), for the error message.
    :param default: returned when a key or index on the way is missing (the type is not
        checked then); by default a missing field raises.

    A missing key or index, a value of another type, or a container of the wrong kind on
    the way raises :class:`~luco_client.errors.ResponseFormatError` whose ``field`` is
    ``path``; the message never quotes the data.
    """
    value = data
    walked: t.List[str] = []
    for part in path.split(".") if path else ():
        walked.append(part)
        if isinstance(value, dict):
            if part not in value:
                if default is not MISSING:
                    return default
                raise ResponseFormatError(f"{source}: the field {'.'.join(walked)!r} is missing", field=path)
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(value) <= index < len(value):
                if default is not MISSING:
                    return default
                raise ResponseFormatError(f"{source}: {'.'.join(walked[:-1]) or 'the body'} has no element {index} "
                                          f"(it has {len(value)})", field=path)
            value = value[index]
        else:
            where = ".".join(walked[:-1]) or "the body"
            raise ResponseFormatError(f"{source}: {where} is {_describe(value)}, cannot read {part!r} from it",
                                      field=path)
    if types is not None:
        accepted = types if isinstance(types, tuple) else (types,)
        is_bool = isinstance(value, bool)
        if not isinstance(value, accepted) or (is_bool and bool not in accepted):
            names = " or ".join(tp.__name__ for tp in accepted)
            raise ResponseFormatError(f"{source}: {path or 'the body'} must be {names}, got {_describe(value)}",
                                      field=path)
    return value
