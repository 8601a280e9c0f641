"""The request context: what one logical call is, for hooks, exceptions and explain()."""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from luco_client.client._merge import ResolvedSettings

__all__ = ["RequestContext", "path_of"]


def path_of(url: str) -> str:
    """The path of a URL or URL template (``/pokemon/{NAME}``), ``/`` when empty."""
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return url


@dataclass(frozen=True)
class RequestContext:
    """One logical call of the client layer (the same object shape on every attempt).

    :ivar method: HTTP method (``"GET"``).
    :ivar url: the URL with credentials redacted (safe to log); in hooks, the URL as sent,
        query included.
    :ivar url_template: the unformatted URL, ``BASE_URL`` + endpoint path
        (``https://h/api/v2/pokemon/{NAME}``): the stats key and the ``UURL`` placeholder.
    :ivar endpoint: the endpoint's path template (``/pokemon/{NAME}``), as declared.
    :ivar endpoint_name: the endpoint's name (``GET_POKEMON``) or its path.
    :ivar endpoint_args: the values given for the placeholders, as strings, unescaped.
    :ivar settings: the merged :class:`ResolvedSettings` of the call (see ``explain()``).
    :ivar caller: the qualified name of the ``@graceful`` method making the call, if any.
    :ivar attempt: the attempt number (1-based) in hooks; 0 outside the attempt loop.
    :ivar max_attempts: attempts allowed by the retry policy.
    :ivar endpoint_path: the endpoint as declared, formatted (``/pokemon/pikachu``),
        redacted: the ``ENDPOINT`` placeholder.
    """

    method: str
    url: str
    url_template: str
    endpoint: str
    endpoint_name: str
    endpoint_args: t.Mapping[str, str]
    settings: ResolvedSettings
    caller: t.Optional[str] = None
    attempt: int = 0
    max_attempts: int = 1
    _pause: t.Optional[t.Callable[[float, t.Optional[str]], None]] = field(default=None, repr=False, compare=False)
    endpoint_path: str = ""

    # gracy's GracyRequestContext names
    @property
    def unformatted_endpoint(self) -> str:
        """The endpoint as declared (``/pokemon/{NAME}``), as :attr:`endpoint` is here."""
        return self.endpoint

    @property
    def unformatted_url(self) -> str:
        """gracy's name for :attr:`url_template`."""
        return self.url_template

    @property
    def active_config(self) -> ResolvedSettings:
        """gracy's name for :attr:`settings`."""
        return self.settings

    def at_attempt(self, number: int, max_attempts: int, url: t.Optional[str] = None) -> RequestContext:
        """This context for attempt ``number`` (``url``: the redacted URL as sent, query included)."""
        return replace(self, attempt=number, max_attempts=max_attempts, url=url or self.url)

    @property
    def lane_pattern(self) -> str:
        """A regular expression matching exactly this endpoint's URL template (its lane)."""
        return "^" + re.escape(self.url_template) + "$"

    def pause(self, seconds: float, *, endpoint_only: bool = False) -> None:
        """Hold the client's requests for ``seconds`` from now: all of them, or only those
        to this endpoint (its URL template) with ``endpoint_only=True``. Requests made in
        hooks are not held."""
        if self._pause is not None:
            self._pause(seconds, self.lane_pattern if endpoint_only else None)

    def placeholders(self, status: t.Optional[int] = None, reason: str = "") -> t.Dict[str, t.Any]:
        """Template values: URL (redacted), UURL, ENDPOINT and UENDPOINT (the endpoint as
        declared, formatted and not, as gracy renders them: ``/pokemon/pikachu``,
        ``/pokemon/{NAME}``), METHOD, STATUS, REASON, CUR_ATTEMPT, MAX_ATTEMPT, and the
        endpoint arguments by name (the standard names win over endpoint arguments of the
        same name)."""
        values: t.Dict[str, t.Any] = dict(self.endpoint_args)
        values.update(
            URL=self.url, UURL=self.url_template, ENDPOINT=self.endpoint_path or path_of(self.url),
            UENDPOINT=self.endpoint or path_of(self.url_template), METHOD=self.method,
            STATUS="" if status is None else status,
            REASON=reason, CUR_ATTEMPT=self.attempt, MAX_ATTEMPT=self.max_attempts,
        )
        return values
