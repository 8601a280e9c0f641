"""URL helpers: templates for stats keys and the ENDPOINT placeholders."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{16,}|(?=[^/]*\d)[A-Za-z0-9_\-]{20,})$"
)


def split_url(url: str) -> SplitResult:
    """``urllib.parse.urlsplit(url)``, taking a short cut for the URLs requests prepares
    (``http(s)://`` followed by printable ASCII, no IPv6 brackets); the same result either
    way. Raises ValueError where urlsplit does."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in _PLAIN_SCHEMES and url.isascii() and url.isprintable() and " " not in url:
        end = _HOST_END.search(rest)
        cut = end.start() if end is not None else len(rest)
        netloc, tail = rest[:cut], rest[cut:]
        if "[" not in netloc and "]" not in netloc:
            tail, _, fragment = tail.partition("#")
            path, _, query = tail.partition("?")
            return SplitResult(scheme, netloc, path, query, fragment)
    return urlsplit(url)


_PLAIN_SCHEMES = frozenset({"http", "https"})
_HOST_END = re.compile(r"[/?#]")


def derive_template(url: str) -> str:
    """``https://h/items/42?x=1`` -> ``https://h/items/{id}``: bounded stats keys.

    Drops the query and fragment (they may hold secrets and unbounded values) and replaces
    numeric, UUID, long-hex and long token-like path segments by ``{id}``.
    """
    try:  # not cached: URLs with ids in their paths would only churn a cache
        parts = split_url(url)
    except ValueError:
        return "<invalid url>"
    host = parts.netloc.rsplit("@", 1)[-1]
    segments = ["{id}" if _is_id(seg) else seg for seg in parts.path.split("/")]
    return f"{parts.scheme}://{host}{'/'.join(segments)}"


def _is_id(segment: str) -> bool:
    if segment.isdecimal():  # what ``\d+`` matches, without the regular expression
        return True
    return len(segment) >= 16 and _ID_SEGMENT.match(segment) is not None  # the other forms are long


def path_of(url: str) -> str:
    """The path of a URL or URL template (``/pokemon/{NAME}``), ``/`` when empty."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return url
    return path or "/"

