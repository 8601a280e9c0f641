"""URL helpers: templates for stats keys and the ENDPOINT placeholders."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{16,}|(?=[^/]*\d)[A-Za-z0-9_\-]{20,})$"
)


@functools.lru_cache(maxsize=4096)
def derive_template(url: str) -> str:
    """``https://h/items/42?x=1`` -> ``https://h/items/{id}``: bounded stats keys.

    Drops the query and fragment (they may hold secrets and unbounded values) and replaces
    numeric, UUID, long-hex and long token-like path segments by ``{id}``.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    host = parts.netloc.rsplit("@", 1)[-1]
    segments = ["{id}" if _ID_SEGMENT.match(seg) else seg for seg in parts.path.split("/")]
    return f"{parts.scheme}://{host}{'/'.join(segments)}"


def path_of(url: str) -> str:
    """The path of a URL or URL template (``/pokemon/{NAME}``), ``/`` when empty."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return url
    return path or "/"

