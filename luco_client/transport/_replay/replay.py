"""Replay: record exchanges, or serve them back without the network."""

from __future__ import annotations

import copy
import os
import threading
import typing as t

import requests

from luco_client._redact import redact_url
from luco_client.errors import ConfigurationError, ReplayMissError
from luco_client.transport._replay.canonical import (
    Canonical,
    ScrubbedRequest,
    canonical,
    differences,
    scrub_body,
    scrub_headers,
    scrub_request,
)
from luco_client.transport._replay.storage import ReplayStorage, SQLiteReplayStorage

if t.TYPE_CHECKING:
    from requests_cache.models import CachedResponse

__all__ = ["Replay", "MODES"]

MODES = ("record", "replay", "record-missing")
_ALIASES = {"record_missing": "record-missing", "record-missing": "record-missing", "record": "record",
            "replay": "replay"}


class Replay:
    """Record every exchange to a storage, or replay recorded exchanges without the network.

    Pass it to a session (``GracefulSession(replay=Replay("replay", storage))``) or to a
    client. Modes:

    * ``"record"``: every attempt goes to the network, and each response (error statuses
      included) is stored, scrubbed of secrets. A request recorded earlier is overwritten.
    * ``"replay"``: every attempt is answered from the storage; nothing is ever sent (a miss
      raises :class:`~luco_client.errors.ReplayMissError` with the nearest recorded request
      and a field-level difference).
    * ``"record-missing"``: requests found in the storage are replayed; the others go to the
      network and are recorded.

    The same request sent several times is recorded as a sequence (a 503 then a 200; a job
    status "running" then "done") and replayed in the same order; once the sequence is used
    up, its last response repeats. Replayed attempts skip pauses, concurrency slots, the
    throttle and retry sleeps, but pass through validators, hooks, status policies and
    events (``{REPLAY}`` is ``REPLAYED``, ``{IS_REPLAY}`` is ``TRUE``), and are counted as
    replays in the stats. Transport failures (resets, timeouts) are not recorded.

    :param mode: ``"record"``, ``"replay"`` or ``"record-missing"``.
    :param storage: a :class:`ReplayStorage`, or a path for an SQLite file. Default
        ``"luco-replay.sqlite"`` in the working directory.
    :param match_headers: request headers that take part in matching (e.g. ``("Accept",)``);
        by default none do, so tokens, idempotency keys and user agents never cause misses.
    :param ignore: query parameters, form fields and JSON fields (any depth) left out of
        matching, such as a timestamp the job sends (they are still stored).
    :param credential_headers: more header names to scrub before storing (those of the
        session and the auth classes are scrubbed anyway).
    """

    def __init__(self, mode: str, storage: t.Union[ReplayStorage, str, os.PathLike, None] = None, *,
                 match_headers: t.Iterable[str] = (), ignore: t.Iterable[str] = (),
                 credential_headers: t.Iterable[str] = ()) -> None:
        if not isinstance(mode, str) or mode.lower() not in _ALIASES:
            raise ConfigurationError(f"Replay: mode must be one of {list(MODES)}, got {mode!r}")
        self.mode = _ALIASES[mode.lower()]
        if storage is None or isinstance(storage, (str, os.PathLike)):
            storage = SQLiteReplayStorage(storage or "luco-replay.sqlite")
        if not isinstance(storage, ReplayStorage):
            raise ConfigurationError(f"Replay: storage must be a ReplayStorage or a path, got {type(storage).__name__}")
        self.storage = storage
        try:
            self.match_headers = tuple(str(h) for h in match_headers)
            self.ignore = frozenset(str(i) for i in ignore)
            self.credential_headers = frozenset(str(h).lower() for h in credential_headers)
        except TypeError:
            raise ConfigurationError("Replay: match_headers, ignore and credential_headers take names") from None
        self._lock = threading.Lock()
        self._cursor: t.Dict[str, int] = {}      # base key -> entries used (replay) or written (record)
        self._known: t.Dict[str, bool] = {}      # record-missing: base key had a recording at first sight
        self._cache: t.Dict[str, t.Optional[CachedResponse]] = {}  # replay: entries already read

    @property
    def offline(self) -> bool:
        """True in ``"replay"`` mode: nothing may reach the network."""
        return self.mode == "replay"

    def close(self) -> None:
        """Close the storage."""
        self.storage.close()

    # ------------------------------------------------------------------ matching

    def match(self, request: requests.PreparedRequest,
              extra_names: t.AbstractSet[str] = frozenset()) -> t.Tuple[ScrubbedRequest, Canonical]:
        """The scrubbed request and its canonical form (computed once per call)."""
        scrubbed = scrub_request(request.method or "GET", request.url or "", request.headers, request.body,
                                 self.credential_headers | extra_names)
        return scrubbed, canonical(scrubbed, match_headers=self.match_headers, ignore=self.ignore)

    def _load(self, key: str) -> t.Optional[CachedResponse]:
        if self.offline:  # a replay-only run never changes the storage: read each entry once
            if key not in self._cache:
                self._cache[key] = self.storage.load(key)
            return self._cache[key]
        return self.storage.load(key)

    # ------------------------------------------------------------------ lookup

    def lookup(self, request: requests.PreparedRequest, match: Canonical) -> t.Optional[requests.Response]:
        """The next recorded response for this request, or ``None`` when it must go to the
        network (record mode, or record-missing with nothing recorded). In replay mode a
        miss raises ReplayMissError."""
        if self.mode == "record":
            return None
        base = match.key
        with self._lock:
            if self.mode == "record-missing":
                known = self._known.get(base)
                if known is None:
                    known = self._known[base] = self.storage.load(f"{base}.1") is not None
                if not known:
                    return None
            used = self._cursor.get(base, 0)
            stored = self._load(f"{base}.{used + 1}")
            if stored is not None:
                self._cursor[base] = used + 1
            elif used:
                stored = self._load(f"{base}.{used}")  # the sequence is used up: repeat its last
        if stored is None:
            raise self._miss(request, match)
        return _fresh(stored, request)

    def _miss(self, request: requests.PreparedRequest, match: Canonical) -> ReplayMissError:
        nearest: t.Optional[Canonical] = None
        best: t.List[t.Tuple[str, str, str]] = []
        for key in self.storage.list_keys():
            if not key.endswith(".1"):
                continue
            stored = self._load(key)
            if stored is None or stored.request is None:
                continue
            candidate = canonical(ScrubbedRequest(
                str(stored.request.method), str(stored.request.url), dict(stored.request.headers),
                stored.request.body), match_headers=self.match_headers, ignore=self.ignore)
            diff = differences(candidate, match, limit=1000)
            if nearest is None or _closer(diff, best):
                nearest, best = candidate, diff
        method = (request.method or "GET").upper()
        if nearest is None:
            return ReplayMissError(f"replay: no recording of {match.describe()}: {self.storage.name} is empty",
                                   method=method, url=redact_url(request.url or ""))
        lines = "\n".join(f"  {field}: recorded {old!r}, sent {new!r}" for field, old, new in best[:12])
        return ReplayMissError(
            f"replay: no recording of {match.describe()} in {self.storage.name}; nearest recorded request is "
            f"{nearest.describe()}, which differs in:\n{lines}",
            nearest=nearest.describe(), differences=best[:12], method=method, url=redact_url(request.url or ""))

    # ------------------------------------------------------------------ recording

    def wants_recording(self, match: Canonical) -> bool:
        """True when a live response to this request must be recorded."""
        if self.mode == "record":
            return True
        return self.mode == "record-missing" and self._known.get(match.key) is False

    def record(self, scrubbed: ScrubbedRequest, match: Canonical, response: requests.Response,
               extra_names: t.AbstractSet[str] = frozenset()) -> None:
        """Store one exchange as the next entry of its sequence (the body must be read)."""
        from requests.structures import CaseInsensitiveDict
        from requests_cache.models import CachedRequest, CachedResponse

        headers = scrub_headers(response.headers, self.credential_headers | extra_names)
        content_type = str(response.headers.get("Content-Type", ""))
        entry = CachedResponse(
            content=scrub_body(response.content, content_type, request=False) or b"",
            encoding=response.encoding or "utf-8",
            headers=CaseInsensitiveDict(headers),
            reason=response.reason,
            status_code=response.status_code,
            url=redact_url(response.url or scrubbed.url),
            elapsed=response.elapsed,
            request=CachedRequest(body=scrubbed.body, headers=CaseInsensitiveDict(dict(scrubbed.headers)),
                                  method=scrubbed.method, url=scrubbed.url),
        )
        base = match.key
        with self._lock:
            number = self._cursor.get(base, 0) + 1
            self._cursor[base] = number
            self.storage.save(f"{base}.{number}", entry)
            if number == 1:  # a new recording of this request: drop the tail of an older one
                stale = 2
                while self.storage.load(f"{base}.{stale}") is not None:
                    self.storage.remove(f"{base}.{stale}")
                    stale += 1


def _closer(diff: t.List[t.Tuple[str, str, str]], best: t.List[t.Tuple[str, str, str]]) -> bool:
    """Fewer differing fields wins; on a tie, a candidate with the same method and URL."""
    def rank(d: t.List[t.Tuple[str, str, str]]) -> t.Tuple[int, int]:
        return (sum(1 for f, _, _ in d if f in ("method", "url")), len(d))
    return rank(diff) < rank(best)


def _fresh(stored: CachedResponse, request: requests.PreparedRequest) -> requests.Response:
    """A response object for this attempt: a shallow copy of the stored one with its own
    headers, body stream and the live request (the stored request is the scrubbed one)."""
    from requests.structures import CaseInsensitiveDict
    from requests_cache.models import CachedHTTPResponse

    response = copy.copy(stored)
    response.headers = CaseInsensitiveDict(stored.headers)
    response.raw = CachedHTTPResponse.from_cached_response(response)
    response.request = request  # type: ignore[assignment]
    response.url = request.url or response.url
    response.history = []
    return response
