"""Paginators by offset, page number and cursor/next link: pages, items, reset."""

from __future__ import annotations

import typing as t

import pytest

from luco_client import ConfigurationError
from luco_client.client import (
    ApiClient,
    CursorPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    Settings,
    graceful_generator,
)
from luco_client.testing import PokemonServer
from luco_client.testing._pokemon import BERRIES

Page = t.Dict[str, t.Any]


class Api(ApiClient):
    class Config:
        SETTINGS = Settings(parser=lambda r: r.json(), retry=None)

    def berries(self, offset: int = 0, limit: int = 20) -> Page:
        return self.get[Page]("/berry", params={"offset": offset, "limit": limit})

    def moves(self, page: int = 1, page_size: t.Optional[int] = None) -> Page:
        params = {"page": page} if page_size is None else {"page": page, "page_size": page_size}
        return self.get[Page]("/move", params=params)

    def items_page(self, cursor: t.Optional[str] = None) -> Page:
        return self.get[Page]("/item", params={"cursor": cursor} if cursor else None)

    def items_by_link(self, link: t.Optional[str] = None) -> Page:
        return self.get[Page](link or "/item")

    @graceful_generator(parser=lambda r: [b["name"] for b in r.json()["results"]])
    def berry_names(self, page_size: int) -> t.Iterator[t.List[str]]:
        offset = 0
        while True:
            names = self.get[t.List[str]]("/berry", params={"offset": offset, "limit": page_size})
            if not names:
                return
            yield names
            offset += page_size


def _names(page: Page) -> t.List[str]:
    return [r["name"] for r in page["results"]]


def test_offset_paginator_uses_the_callers_page_size(pokeapi: PokemonServer) -> None:
    """gracy v1 trap: the paginator hard-coded its page size."""
    api = Api(base_url=pokeapi.base_url)
    paginator = OffsetPaginator(api.berries, page_size=3, items=lambda p: p["results"])
    pages = [_names(p) for p in paginator]
    assert pages == [list(BERRIES[0:3]), list(BERRIES[3:6]), list(BERRIES[6:9]), list(BERRIES[9:10])]
    sent = [(r.query["offset"], r.query["limit"]) for r in pokeapi.received("/api/v2/berry")]
    assert sent == [("0", "3"), ("3", "3"), ("6", "3"), ("9", "3")]  # ends on the short page
    assert paginator.done and paginator.next_page() is None


def test_offset_paginator_items_reset_and_has_next(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    paginator = OffsetPaginator[Page](api.berries, page_size=4, has_next=lambda p: bool(p["next"]),
                                      items=lambda p: p["results"])
    assert [b["name"] for b in paginator.items()] == list(BERRIES)
    paginator.reset()
    first = paginator.next_page()
    assert first is not None and _names(first) == list(BERRIES[:4]) and paginator.pages_fetched == 1
    paginator.reset()
    assert len(list(paginator.pages())) == 3
    exact = OffsetPaginator(api.berries, page_size=5, items=lambda p: p["results"])  # 10 = 2 full pages
    assert [len(p["results"]) for p in exact] == [5, 5, 0]  # the empty third page ends it
    capped = OffsetPaginator(api.berries, page_size=1, items=lambda p: p["results"], max_pages=2, offset=7)
    assert [_names(p) for p in capped] == [["persim"], ["lum"]]


def test_page_number_paginator(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    by_size = PageNumberPaginator(api.moves, page_size=10, items=lambda p: p["results"])
    assert [len(p["results"]) for p in by_size] == [10, 10, 3]
    assert [r.query for r in pokeapi.received("/api/v2/move")][:2] == [
        {"page": "1", "page_size": "10"}, {"page": "2", "page_size": "10"}]
    by_total = PageNumberPaginator(api.moves, has_next=lambda p: p["page"] < p["total_pages"])
    assert [p["page"] for p in by_total] == [1, 2, 3]
    by_total.reset()
    assert next(iter(by_total))["page"] == 1


def test_cursor_and_next_link_paginators(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    cursor = CursorPaginator(api.items_page, next_cursor=lambda p: p["next_cursor"], items=lambda p: p["results"])
    names = [i["name"] for i in cursor.items()]
    assert names == [f"item-{n}" for n in range(1, 12)]
    assert [r.query.get("cursor") for r in pokeapi.received("/api/v2/item")] == [None, "c4", "c8"]
    links = CursorPaginator(api.items_by_link, next_cursor=lambda p: p["next"], cursor_param="link")
    assert len(list(links)) == 3
    links.reset()
    assert links.cursor is None and len(list(links)) == 3


def test_a_repeated_cursor_ends_the_walk(pokeapi: PokemonServer, caplog: pytest.LogCaptureFixture) -> None:
    api = Api(base_url=pokeapi.base_url)
    stuck = CursorPaginator(api.items_page, next_cursor=lambda p: "c4")
    assert len(list(stuck)) == 2
    assert "already returned" in caplog.text


def test_a_paginating_generator_method(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    assert list(api.berry_names(4)) == [list(BERRIES[0:4]), list(BERRIES[4:8]), list(BERRIES[8:10])]
    assert [r.query["limit"] for r in pokeapi.received("/api/v2/berry")] == ["4", "4", "4", "4"]


def test_bad_paginator_arguments() -> None:
    with pytest.raises(ConfigurationError, match="page_size must be an integer >= 1"):
        OffsetPaginator(lambda **kw: None, page_size=0)
    with pytest.raises(ConfigurationError, match="fetch must be callable"):
        OffsetPaginator(None, page_size=2)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="next_cursor must be callable"):
        CursorPaginator(lambda **kw: None, next_cursor=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="needs items="):
        list(PageNumberPaginator(lambda **kw: None).items())
    with pytest.raises(TypeError):
        OffsetPaginator(lambda **kw: None)  # type: ignore[call-arg]  # the page size is the caller's to give


def test_a_cursor_cycle_ends_the_walk_without_repeating_pages() -> None:
    following = {None: "A", "A": "B", "B": "A"}
    asked: t.List[t.Any] = []

    def fetch(cursor: t.Any = None) -> t.Dict[str, t.Any]:
        asked.append(cursor)
        return {"cur": cursor, "items": [cursor]}

    paginator = CursorPaginator(fetch, next_cursor=lambda page: following[page["cur"]], items=lambda p: p["items"])
    assert list(paginator.items()) == [None, "A", "B"]
    assert asked == [None, "A", "B"]
    paginator.reset()
    assert len(list(paginator)) == 3  # reset forgets the cursors seen
