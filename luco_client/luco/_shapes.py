"""Reading Luco responses: the fields LucoPy reads (spec §4-§7), with typed errors.

Only the fields the spec lists are read. A missing field, a wrong type or a body that is
not JSON raises a :class:`~luco_client.errors.ResponseFormatError` (as its Luco variant)
naming the endpoint and the field, never a ``KeyError`` or ``IndexError``.
"""

from __future__ import annotations

import typing as t

from luco_client.client import require
from luco_client.luco._errors import ParameterNotFoundError

__all__ = ["name_dict", "param_groups", "select_params", "require"]


def name_dict(array: t.Any, source: str, path: str = "name") -> t.Dict[str, t.Any]:
    """A slot-sequence name from its ``[{"slotParameter": {"key", "value"}}, ...]`` array
    (spec §1.6) as an ordered dict ``{key: value}``; other members are ignored."""
    items = require(array, "", list, source=f"{source} {path}")
    result: t.Dict[str, t.Any] = {}
    for index, _ in enumerate(items):
        key = require(items, f"{index}.slotParameter.key", str, source=f"{source} {path}")
        result[key] = require(items, f"{index}.slotParameter.value", source=f"{source} {path}")
    return result


def param_groups(groups: t.Any, source: str) -> t.Dict[str, t.Dict[str, t.Any]]:
    """``slotParameterGroups`` as ``{group name: {key: value}}`` (LucoPy's ``params()``)."""
    items = require(groups, "", list, source=f"{source} slotParameterGroups")
    result: t.Dict[str, t.Dict[str, t.Any]] = {}
    for index, _ in enumerate(items):
        where = f"{source} slotParameterGroups"
        name = require(items, f"{index}.slotParameterGroupName", str, source=where)
        params = require(items, f"{index}.slotParameters", list, source=where)
        result[name] = {require(params, f"{i}.key", str, source=where): require(params, f"{i}.value", source=where)
                        for i in range(len(params))}
    return result


def select_params(groups: t.Dict[str, t.Dict[str, t.Any]], group: t.Optional[str], key: t.Optional[str]) -> t.Any:
    """LucoPy's parameter selection: everything, one group, or one value of a group. An
    unknown group or key raises :class:`ParameterNotFoundError` (also a ``KeyError``)."""
    if not group:
        return groups
    if group not in groups:
        raise ParameterNotFoundError(f"no parameter group {group!r}; the slot sequence has "
                                     f"{sorted(groups) or 'none'}")
    if not key:
        return groups[group]
    if key not in groups[group]:
        raise ParameterNotFoundError(f"parameter group {group!r} has no key {key!r}; it has "
                                     f"{sorted(groups[group]) or 'none'}")
    return groups[group][key]
