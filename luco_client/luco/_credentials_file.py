"""``get_auth(path)``: credentials from a JSON file (LucoPy's ``Utils.get_auth``)."""

from __future__ import annotations

import ast
import json
import typing as t

from luco_client.luco._errors import bad_argument

__all__ = ["get_auth"]


def get_auth(path: str) -> t.Dict[str, t.Any]:
    """The dict in the JSON file at ``path`` (e.g. ``{"base_url": ..., "tenant_id": ...}``,
    to pass on as ``LucoApi(**get_auth(path))``).

    A file holding a JSON *string* with a dict inside is accepted, as LucoPy did, but parsed
    as a literal, never ``eval``-ed. A missing file, invalid JSON or anything other than a
    dict raises a typed error (a ConfigurationError, also an ApiException) naming the path,
    never showing the content.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except OSError as exc:
        raise bad_argument(f"get_auth: cannot read {path!r}: {exc.strerror or type(exc).__name__}") from None
    except ValueError as exc:
        raise bad_argument(f"get_auth: {path!r} is not valid JSON (line {getattr(exc, 'lineno', '?')})") from None
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            try:
                config = ast.literal_eval(config)
            except (ValueError, SyntaxError):
                raise bad_argument(f"get_auth: {path!r} holds a string that is not a dict literal") from None
    if not isinstance(config, dict):
        raise bad_argument(f"get_auth: {path!r} must hold a JSON object, got {type(config).__name__}")
    return config
