"""Paginators: walk an endpoint page by page, by offset, page number or cursor/next link.

A paginator wraps a *fetch* function, usually a client method that returns one parsed
page (``self.list(offset=..., limit=...)``), and calls it with the position of each page.
Iterate pages (``for page in paginator``) or items (``paginator.items()``); ``next_page()``
fetches one; ``reset()`` goes back to the start.

How the last page is recognised: ``has_next(page)`` if given; otherwise a page with fewer
items than the page size (offset and page-number paginators, with ``items=``), an empty
page, or a missing next cursor. A fetch that returns ``None`` ends the walk too.
"""

from __future__ import annotations

import logging
import typing as t

from luco_client.errors import ConfigurationError

__all__ = ["Paginator", "OffsetPaginator", "PageNumberPaginator", "CursorPaginator"]

log = logging.getLogger("luco_client.client.pagination")

P = t.TypeVar("P")


def _positive_int(name: str, value: t.Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def _callable(name: str, value: t.Any) -> t.Any:
    if value is not None and not callable(value):
        raise ConfigurationError(f"{name} must be callable, got {value!r}")
    return value


class Paginator(t.Generic[P]):
    """Base class: iteration, items, reset. Subclasses say how to fetch and advance.

    :param fetch: returns one page for the keyword arguments the subclass passes (gracy's
        name ``gracy_func=`` is accepted by the subclasses).
    :param has_next: ``(page) -> bool``; ``False`` ends the walk after that page.
    :param items: ``(page) -> iterable`` of the page's items (for :meth:`items` and for
        the short-page rule).
    :param max_pages: stop after this many pages (a safety net); default no limit.
    """

    def __init__(self, fetch: t.Callable[..., P], *, has_next: t.Optional[t.Callable[[P], bool]] = None,
                 items: t.Optional[t.Callable[[P], t.Iterable[t.Any]]] = None,
                 max_pages: t.Optional[int] = None) -> None:
        if not callable(fetch):
            raise ConfigurationError(f"{type(self).__name__}: fetch must be callable, got {fetch!r}")
        self.fetch = fetch
        self.has_next = _callable("has_next", has_next)
        self.extract = _callable("items", items)
        self.max_pages = None if max_pages is None else _positive_int("max_pages", max_pages)
        self.pages_fetched = 0
        self.done = False

    # -- subclass protocol
    def _arguments(self) -> t.Dict[str, t.Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _advance(self, page: P, count: t.Optional[int]) -> bool:  # pragma: no cover - abstract
        """Move to the next page; return False when ``page`` was the last one."""
        raise NotImplementedError

    def _rewind(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- public
    def next_page(self) -> t.Optional[P]:
        """Fetch the next page; ``None`` once the walk is over."""
        if self.done or (self.max_pages is not None and self.pages_fetched >= self.max_pages):
            self.done = True
            return None
        page = self.fetch(**self._arguments())
        if page is None:
            self.done = True
            return None
        self.pages_fetched += 1
        count = None
        if self.extract is not None:
            count = len(list(self.extract(page)))
        more = self.has_next(page) if self.has_next is not None else (count is None or count > 0)
        if not self._advance(page, count if self.has_next is None else None) or not more:
            self.done = True
        return page

    def __iter__(self) -> t.Iterator[P]:
        """The pages from the current position to the last."""
        while True:
            page = self.next_page()
            if page is None:
                return
            yield page

    def pages(self) -> t.Iterator[P]:
        """Same as iterating the paginator."""
        return iter(self)

    def items(self) -> t.Iterator[t.Any]:
        """The items of every page from the current position (needs ``items=``)."""
        if self.extract is None:
            raise ConfigurationError(f"{type(self).__name__}.items() needs items=, a function returning a page's "
                                     "items")
        for page in self:
            yield from self.extract(page)

    def reset(self) -> None:
        """Go back to the first page."""
        self._rewind()
        self.pages_fetched = 0
        self.done = False


def _fetch_of(fetch: t.Any, gracy_func: t.Any) -> t.Any:
    """``fetch``, or gracy's name for it, ``gracy_func`` (one of the two)."""
    if gracy_func is not None:
        if fetch is not None:
            raise ConfigurationError("gracy_func is gracy's name for fetch; give one")
        return gracy_func
    return fetch


class OffsetPaginator(Paginator[P]):
    """``fetch(offset=o, limit=page_size)`` for o = start, start + page_size, ...

    :param page_size: items per page, chosen by the caller (required, no hidden default);
        sent as ``limit`` and used as the offset step.
    :param offset: the first offset (default 0).
    :param offset_param: the keyword for the offset (default ``"offset"``).
    :param limit_param: the keyword for the page size (default ``"limit"``).

    Without ``has_next``, a page with fewer than ``page_size`` items (``items=``) is the last.
    """

    def __init__(self, fetch: t.Optional[t.Callable[..., P]] = None,
                 has_next: t.Optional[t.Callable[[P], bool]] = None, *, page_size: int, offset: int = 0,
                 offset_param: str = "offset", limit_param: str = "limit",
                 items: t.Optional[t.Callable[[P], t.Iterable[t.Any]]] = None,
                 max_pages: t.Optional[int] = None, gracy_func: t.Optional[t.Callable[..., P]] = None) -> None:
        super().__init__(_fetch_of(fetch, gracy_func), has_next=has_next, items=items, max_pages=max_pages)
        self.page_size = _positive_int("page_size", page_size)
        self.start = _positive_int("offset", offset, 0)
        self.offset = self.start
        self.offset_param, self.limit_param = offset_param, limit_param

    def _arguments(self) -> t.Dict[str, t.Any]:
        return {self.offset_param: self.offset, self.limit_param: self.page_size}

    def _advance(self, page: P, count: t.Optional[int]) -> bool:
        self.offset += self.page_size
        return count is None or count >= self.page_size

    def _rewind(self) -> None:
        self.offset = self.start

    def set_page(self, number: int) -> None:
        """Jump to page ``number`` (0-based): offset = start + number * page_size."""
        self.offset = self.start + _positive_int("page", number, 0) * self.page_size
        self.done = False


class PageNumberPaginator(Paginator[P]):
    """``fetch(page=n)`` (plus ``page_size=`` when given) for n = first_page, first_page + 1, ...

    :param first_page: the number of the first page (default 1).
    :param page_size: items per page, sent as ``size_param`` when given (default: not sent,
        the server decides).
    :param page_param: the keyword for the page number (default ``"page"``).
    :param size_param: the keyword for the page size (default ``"page_size"``).
    """

    def __init__(self, fetch: t.Optional[t.Callable[..., P]] = None, *, first_page: int = 1,
                 page_size: t.Optional[int] = None,
                 page_param: str = "page", size_param: str = "page_size",
                 has_next: t.Optional[t.Callable[[P], bool]] = None,
                 items: t.Optional[t.Callable[[P], t.Iterable[t.Any]]] = None,
                 max_pages: t.Optional[int] = None, gracy_func: t.Optional[t.Callable[..., P]] = None) -> None:
        super().__init__(_fetch_of(fetch, gracy_func), has_next=has_next, items=items, max_pages=max_pages)
        self.first_page = _positive_int("first_page", first_page, 0)
        self.page = self.first_page
        self.page_size = None if page_size is None else _positive_int("page_size", page_size)
        self.page_param, self.size_param = page_param, size_param

    def _arguments(self) -> t.Dict[str, t.Any]:
        args: t.Dict[str, t.Any] = {self.page_param: self.page}
        if self.page_size is not None:
            args[self.size_param] = self.page_size
        return args

    def _advance(self, page: P, count: t.Optional[int]) -> bool:
        self.page += 1
        if count is None:
            return True
        return count > 0 and (self.page_size is None or count >= self.page_size)

    def _rewind(self) -> None:
        self.page = self.first_page


class CursorPaginator(Paginator[P]):
    """``fetch(cursor=c)``: ``c`` is ``None`` for the first page, then ``next_cursor(page)``.

    Works for opaque cursors and for next links (the cursor is then the next page's URL,
    which a client method can pass straight to ``self.get``: absolute URLs are used as they
    are). The walk ends when ``next_cursor`` returns a falsy value, or a cursor it
    already returned (a server loop such as A -> B -> A; logged as a warning).

    :param next_cursor: ``(page) -> cursor or None``.
    :param cursor_param: the keyword for the cursor (default ``"cursor"``).
    :param first_cursor: the cursor of the first page (default ``None``).
    """

    def __init__(self, fetch: t.Optional[t.Callable[..., P]] = None, *, next_cursor: t.Callable[[P], t.Any],
                 cursor_param: str = "cursor", first_cursor: t.Any = None,
                 items: t.Optional[t.Callable[[P], t.Iterable[t.Any]]] = None,
                 max_pages: t.Optional[int] = None, gracy_func: t.Optional[t.Callable[..., P]] = None) -> None:
        super().__init__(_fetch_of(fetch, gracy_func), items=items, max_pages=max_pages)
        if not callable(next_cursor):
            raise ConfigurationError(f"CursorPaginator: next_cursor must be callable, got {next_cursor!r}")
        self.next_cursor = next_cursor
        self.cursor_param = cursor_param
        self.first_cursor = first_cursor
        self.cursor = first_cursor
        self._seen: t.Set[str] = set()  # every cursor walked so far: a cycle A -> B -> A ends the walk

    def _arguments(self) -> t.Dict[str, t.Any]:
        return {self.cursor_param: self.cursor}

    def _advance(self, page: P, count: t.Optional[int]) -> bool:
        following = self.next_cursor(page)
        if not following:
            return False
        self._seen.add(_cursor_key(self.cursor))
        if _cursor_key(following) in self._seen:
            log.warning("pagination stopped: the server returned a cursor it had already returned (a loop)")
            return False
        self.cursor = following
        return True

    def _rewind(self) -> None:
        self.cursor = self.first_cursor
        self._seen = set()


def _cursor_key(cursor: t.Any) -> str:
    return repr(cursor)
