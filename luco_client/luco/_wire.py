"""What Luco calls put on the wire: query strings, JSON bodies, slot-sequence definitions.

Byte-compatible with LucoPy 1.3.14 where the real server is proven to accept it (spec
§1.3-1.5): quote-plus query strings with ``True``/``False``, repeated keys for lists,
``SlotSequenceDefinition`` values in Python ``repr`` form, JSON bodies from the standard
serialiser with default separators, ``content-type: application/json-patch+json``. Every
argument is checked here, before anything is sent; a bad one raises a typed error.
"""

from __future__ import annotations

import datetime
import json
import math
import typing as t
from urllib.parse import urlencode

from luco_client.luco._errors import bad_argument

__all__ = [
    "JSON_PATCH",
    "Query",
    "query",
    "json_text",
    "definitions",
    "tag_text",
    "optional_text",
    "text_list",
    "flag",
    "choice",
    "count_or_none",
    "positive_int",
]

#: The content type LucoPy sends with every JSON body (the real server is proven to take it).
JSON_PATCH = {"content-type": "application/json-patch+json"}

#: Query parameters in wire order; a ``None`` value (or element) is left out.
Query = t.Sequence[t.Tuple[str, t.Any]]

_NUMBER = (int, float)


def query(pairs: Query) -> str:
    """The query string of ``pairs``: quote-plus encoded, lists repeat their key, ``None``
    and empty lists are left out, booleans are ``True``/``False``, a dict element is sent
    in its Python ``repr`` form (the ``SlotSequenceDefinition`` form of spec §1.5)."""
    kept: t.List[t.Tuple[str, t.Any]] = []
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            kept.extend((key, item) for item in value if item is not None)
        else:
            kept.append((key, value))
    return urlencode(kept)  # str() of each value: True, 2.5, {'position': 0, ...}


def json_text(payload: t.Any, what: str) -> str:
    """``payload`` as LucoPy serialises it (``json.dumps`` defaults), refusing values that
    are not valid JSON (NaN, infinities, sets, objects) with a typed error."""
    try:
        return json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise bad_argument(f"{what} cannot be sent as JSON: {exc}") from None


def _check_value(value: t.Any, where: str) -> t.Any:
    if isinstance(value, str) or (isinstance(value, _NUMBER) and not isinstance(value, bool)):
        if isinstance(value, float) and not math.isfinite(value):
            raise bad_argument(f"{where}: the value {value!r} is not a finite number")
        return value
    raise bad_argument(f"{where}: values must be strings (or numbers), got {type(value).__name__}")


def definitions(slot_sequence: t.Any, argument: str = "slot_sequence") -> t.List[t.Dict[str, t.Any]]:
    """The definition array ``[{position, key, value}, ...]`` of a slot-sequence name given
    as a dict (``{"Source": "SAP", "Table": "Orders"}``) or a list of one-pair dicts
    (``[{"Source": "SAP"}, {"Table": "Orders"}]``); order gives the position.

    Anything else (an empty name, a pair dict with more or fewer than one entry, a key that
    is not a non-empty string, a value that is not a string or number) raises a typed
    error before anything is sent.
    """
    if isinstance(slot_sequence, t.Mapping):
        pairs = list(slot_sequence.items())
    elif isinstance(slot_sequence, (list, tuple)):
        pairs = []
        for index, item in enumerate(slot_sequence):
            if not isinstance(item, t.Mapping) or len(item) != 1:
                raise bad_argument(f"{argument}[{index}] must be a dict with exactly one key: value pair, "
                                   f"got {item!r}")
            pairs.extend(item.items())
    else:
        raise bad_argument(f"{argument} must be a dict such as {{'Source': 'SAP'}} or a list of one-pair dicts, "
                           f"got {type(slot_sequence).__name__}")
    if not pairs:
        raise bad_argument(f"{argument} is empty: a slot sequence is named by at least one key: value pair")
    result = []
    for position, (key, value) in enumerate(pairs):
        if not isinstance(key, str) or not key:
            raise bad_argument(f"{argument}: keys must be non-empty strings, got {key!r}")
        result.append({"position": position, "key": key, "value": _check_value(value, f"{argument}[{key!r}]")})
    return result


def tag_text(tag: t.Any) -> str:
    """A slot tag as sent: a string as it is, a ``date`` as ``YYYY-MM-DD``, a ``datetime`` in
    ISO 8601 (``YYYY-MM-DDTHH:MM:SS``). Anything else, ``None`` and ``""`` included,
    raises a typed error (LucoPy sent ``Tag=None``)."""
    if isinstance(tag, datetime.datetime):
        return tag.isoformat()
    if isinstance(tag, datetime.date):
        return tag.isoformat()
    if isinstance(tag, str) and tag.strip():
        return tag
    raise bad_argument(f"tag must be a date, a datetime or a non-empty string (YYYY-MM-DD for scheduled slot "
                       f"sequences, a unique tag for unscheduled ones), got {tag!r}")


def optional_text(value: t.Any, argument: str) -> t.Optional[str]:
    """``value`` when it is a string or ``None``; otherwise a typed error."""
    if value is None or isinstance(value, str):
        return value
    raise bad_argument(f"{argument} must be a string or None, got {type(value).__name__}")


def text_list(value: t.Any, argument: str) -> t.Optional[t.List[str]]:
    """A string or a list of strings as a list (``None`` stays ``None``); else a typed error."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
        raise bad_argument(f"{argument} must be a string or a list of strings, got {value!r}")
    return list(items)


def flag(value: t.Any, argument: str) -> bool:
    """``value`` when it is a bool; otherwise a typed error (``"False"`` is not False)."""
    if isinstance(value, bool):
        return value
    raise bad_argument(f"{argument} must be True or False, got {value!r}")


def choice(value: t.Any, argument: str, allowed: t.Sequence[str], *, optional: bool = True) -> t.Optional[str]:
    """``value`` when it is one of ``allowed`` (or ``None`` if optional); else a typed error."""
    if value is None and optional:
        return None
    if isinstance(value, str) and value in allowed:
        return value
    raise bad_argument(f"{argument} must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}")


def positive_int(value: t.Any, argument: str, *, minimum: int = 1) -> int:
    """``value`` when it is an integer >= ``minimum``; else a typed error."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad_argument(f"{argument} must be an integer >= {minimum}, got {value!r}")
    return value


def count_or_none(value: t.Any, argument: str) -> t.Optional[int]:
    """``None``/0 (everything) or a positive integer; else a typed error."""
    if value is None or (value == 0 and not isinstance(value, bool)):
        return None
    return positive_int(value, argument)


def ints(value: t.Any, argument: str) -> t.Optional[t.List[int]]:
    """An integer or a list of integers as a list (``None`` stays ``None``)."""
    if value is None:
        return None
    items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                       for v in items):
        raise bad_argument(f"{argument} must be an integer or a list of integers, got {value!r}")
    return list(items)
