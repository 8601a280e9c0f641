"""The paged overviews (E18 slot sequences, E19 slots): filters and pagination (spec §6.5-§6.7).

The server pages with a 1-based ``pageNumber`` and a ``pageSize`` and reports
``totalCount``. LucoPy first probed with a one-item page, always fetched one page more
than needed (discarding it whole when ``count`` was a multiple of the page size), sent
``pageSize=0`` when nothing matched, wrote ``data.json`` and printed the last page. Here
the first page answers ``totalCount`` too, pages stop as soon as ``count`` items (or
every item) are in, and nothing is written or printed. The result is the same.
"""

from __future__ import annotations

import typing as t

from luco_client.client import PageNumberPaginator
from luco_client.luco._shapes import name_dict, require
from luco_client.luco._wire import Query, count_or_none, positive_int, query

__all__ = ["overview"]


def overview(get: t.Callable[..., t.Any], endpoint: t.Any, items_key: str, filters: Query, *, count: t.Any,
             pagination_size: t.Any) -> t.Dict[str, t.Any]:
    """``{items_key: [...], "totalCount": n}``: the first ``count`` items (all when
    ``count`` is ``None`` or 0) matching ``filters``, fetched ``pagination_size`` per page;
    each item's ``name`` converted to a ``{key: value}`` dict."""
    wanted = count_or_none(count, "count")
    size = positive_int(pagination_size, "pagination_size")
    page_size = min(wanted, size) if wanted else size
    source = getattr(endpoint, "label", str(endpoint))
    collected: t.List[t.Any] = []
    totals: t.List[int] = []

    def fetch(pageNumber: int, pageSize: int) -> t.List[t.Any]:
        body = get(endpoint, params=query([*filters, ("pageNumber", pageNumber), ("pageSize", pageSize)]))
        if not totals:
            totals.append(require(body, "totalCount", int, source=source))
        items = require(body, items_key, list, source=source)
        collected.extend(items)
        return items

    def has_next(items: t.List[t.Any]) -> bool:
        target = wanted if wanted else totals[0]
        return len(collected) < target and len(items) >= page_size

    pages = PageNumberPaginator(fetch, page_param="pageNumber", size_param="pageSize", page_size=page_size,
                                has_next=has_next)
    for _ in pages:
        pass
    kept = collected[:wanted] if wanted else collected
    for index, item in enumerate(kept):
        require(kept, f"{index}", dict, source=source)
        item["name"] = name_dict(require(item, "name", list, source=source), source, f"{items_key}.{index}.name")
    return {items_key: kept, "totalCount": totals[0]}
