"""Replay: record exchanges, or serve them back without the network."""

from __future__ import annotations

import base64
import datetime
import functools
import io
import json
import logging
import os
import threading
import typing as t

import requests
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

from luco_client._redact import has_registered_names, has_registered_secrets, redact_text, redact_url
from luco_client.errors import ConfigurationError, ReplayMissError, ReplayStorageError
from luco_client.transport._replay.canonical import (
    SCRUB_RULES,
    Canonical,
    ScrubbedRequest,
    canonical,
    differences,
    match_canonical,
    scrub_body,
    scrub_headers,
    scrub_request,
    scrub_url,
)
from luco_client.transport._replay.storage import ReplayStorage, SQLiteReplayStorage

__all__ = ["Replay", "MODES"]

MODES = ("record", "replay", "record-missing")

#: Replay decisions (hit, miss, to the network, recorded, not recorded) are logged here at
#: DEBUG with their reason; keys are hashes, URLs are redacted.
log = logging.getLogger("luco_client.replay")


def _decided(decision: str, request: requests.PreparedRequest, why: str) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("replay %s: %s %s (%s)", decision, request.method, redact_url(request.url or ""), why,
                  extra={"luco_event": f"replay.{decision}"})
_ALIASES = {"record_missing": "record-missing", "record-missing": "record-missing", "record": "record",
            "replay": "replay", "smart-replay": "record-missing"}  # gracy's name of record-missing


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

    :param mode: ``"record"``, ``"replay"`` or ``"record-missing"`` (gracy: ``"smart-replay"``).
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
        self._cache: t.Dict[str, t.Optional[_Entry]] = {}  # replay mode: the whole recording, decoded
        self._exact: t.Dict[t.Tuple[str, str], str] = {}  # replay mode: (method, stored URL) -> base key
        self._broken: t.Dict[str, ReplayStorageError] = {}  # replay mode: entries that cannot be read
        self._loaded = False
        #: Stored with each recording: what its key was computed from, besides the request.
        self.matching = {"ignore": sorted(self.ignore), "match_headers": sorted(h.lower() for h in self.match_headers),
                         "scrub_rules": SCRUB_RULES}

    @property
    def offline(self) -> bool:
        """True in ``"replay"`` mode: nothing may reach the network."""
        return self.mode == "replay"

    def close(self) -> None:
        """Close the storage."""
        self.storage.close()

    # ------------------------------------------------------------------ matching

    def match(self, request: requests.PreparedRequest,
              extra_names: t.AbstractSet[str] = frozenset()) -> t.Tuple[t.Optional[ScrubbedRequest], Canonical]:
        """The scrubbed request (``None`` in replay mode, which stores nothing) and its
        canonical form; computed once per call."""
        method, url = request.method or "GET", request.url or ""
        names = self.credential_headers | extra_names if extra_names else self.credential_headers
        if self.offline:  # only what matching reads: the content type and the matched headers
            given = request.headers if isinstance(request.headers, CaseInsensitiveDict) \
                else CaseInsensitiveDict(request.headers or {})
            headers = {}
            for name in ("content-type", *self.match_headers):
                value = given.get(name)
                if value is not None:
                    headers[name.lower()] = value
            return None, match_canonical(method, url, headers, request.body, names,
                                         match_headers=self.match_headers, ignore=self.ignore)
        scrubbed = scrub_request(method, url, request.headers, request.body, names)
        return scrubbed, canonical(scrubbed, match_headers=self.match_headers, ignore=self.ignore)

    def _load(self, key: str) -> t.Optional[_Entry]:
        if self.offline:  # a replay-only run never changes the storage: read and decode it once
            if not self._loaded:
                self._load_all()
            if key in self._broken:
                raise self._broken[key]
            return self._cache.get(key)
        return self._decode(key, self.storage.load(key))

    def _load_all(self) -> None:
        for key, text in self.storage.load_all().items():
            try:
                document = self.storage.load(key, text)
                self._cache[key] = self._decode(key, document)
            except ReplayStorageError as exc:  # raised when (and only when) this entry is replayed
                self._broken[key] = exc
                continue
            if key.endswith(".1") and document is not None and not self.match_headers \
                    and document.get("matching") == self.matching:
                stored = _stored_request(document)
                if stored is not None and not stored.body:  # a JSON {} or [] is a body
                    self._exact[(stored.method, stored.url)] = key[:-2]
        self._loaded = True

    def exact_key(self, request: requests.PreparedRequest) -> t.Optional[str]:
        """In replay mode, the key of a recorded request without a body whose stored URL
        is this request's URL, found without computing the canonical form; ``None`` when
        the canonical form is needed.

        Exact: a stored URL went through the scrubbing rules already and is left as it is
        by them (they are idempotent; a test checks it), so the canonical form of this
        request would be that of the recording, made with the same ``matching`` settings
        and rules (stored with it). When secrets or names are registered in this process,
        the URL must also be left as it is by the rules as they are now.
        """
        if not self.offline or request.body or self.match_headers:
            return None
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._load_all()
        url = request.url or ""
        key = self._exact.get((request.method or "GET", url))
        if key is None:
            return None
        if (has_registered_secrets() or has_registered_names()) and scrub_url(url) != url:
            return None  # the rules as they are now would store another URL: the long way
        return key

    def _decode(self, key: str, document: t.Optional[t.Dict[str, t.Any]]) -> t.Optional[_Entry]:
        try:
            return None if document is None else _entry(document)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise self.storage._error(f"entry {key} is not a recording this version can read", exc) from None

    # ------------------------------------------------------------------ lookup

    def lookup(self, request: requests.PreparedRequest, base: str,
               match: t.Callable[[], Canonical]) -> t.Optional[requests.Response]:
        """The next recorded response for this request (``base``: its key, ``match``: its
        canonical form, wanted only for a miss), or ``None`` when it must go to the network
        (record mode, or record-missing with nothing recorded). In replay mode a miss
        raises ReplayMissError."""
        if self.mode == "record":
            _decided("live", request, "record mode: every request goes to the network")
            return None
        with self._lock:
            if self.mode == "record-missing":
                known = self._known.get(base)
                if known is None:
                    known = self._known[base] = self._load(f"{base}.1") is not None
                if not known:
                    _decided("live", request, f"record-missing: no recording of {base} yet")
                    return None
            used = self._cursor.get(base, 0)
            stored = self._load(f"{base}.{used + 1}")
            number = used + 1
            if stored is not None:
                self._cursor[base] = used + 1
            elif used:
                stored = self._load(f"{base}.{used}")  # the sequence is used up: repeat its last
                number = used
        if stored is None:
            _decided("miss", request, f"no recording of {base}")
            raise self._miss(request, match())
        _decided("hit", request, f"entry {base}.{number}")
        return _response(stored, request)

    def _miss(self, request: requests.PreparedRequest, match: Canonical) -> ReplayMissError:
        nearest: t.Optional[Canonical] = None
        best: t.List[t.Tuple[str, str, str]] = []
        for key in self.storage.list_keys():
            if not key.endswith(".1"):
                continue
            document = self.storage.load(key)
            stored = None if document is None else _stored_request(document)
            if stored is None:
                continue
            candidate = canonical(stored, match_headers=self.match_headers, ignore=self.ignore)
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

    def not_recorded(self, request: requests.PreparedRequest, why: str) -> None:
        """Log that an exchange was not recorded, and why (a transport failure has no
        response to store)."""
        _decided("skipped", request, why)

    def record(self, scrubbed: ScrubbedRequest, match: Canonical, response: requests.Response,
               extra_names: t.AbstractSet[str] = frozenset()) -> None:
        """Store one exchange as the next entry of its sequence (the body must be read)."""
        from requests_cache.models import CachedRequest, CachedResponse

        headers = scrub_headers(response.headers, self.credential_headers | extra_names)
        content_type = str(response.headers.get("Content-Type", ""))
        entry = CachedResponse(
            content=scrub_body(response.content, content_type, request=False) or b"",
            encoding=t.cast(str, response.encoding),  # None stays None (binary bodies)
            headers=CaseInsensitiveDict(headers),
            reason=redact_text(response.reason) if response.reason else response.reason,  # servers echo keys
            status_code=response.status_code,
            url=scrub_url(response.url or scrubbed.url),
            elapsed=response.elapsed,
            request=CachedRequest(body=scrubbed.body, headers=CaseInsensitiveDict(dict(scrubbed.headers)),
                                  method=scrubbed.method, url=scrubbed.url),
        )
        base = match.key
        with self._lock:
            number = self._cursor.get(base, 0) + 1
            self._cursor[base] = number
            self.storage.save(f"{base}.{number}", entry, {"matching": self.matching})
            _decided("recorded", response.request or t.cast(t.Any, scrubbed), f"entry {base}.{number}")
            if number == 1:  # a new recording of this request: drop the tail of an older one
                stale = 2
                while self.storage.contains(f"{base}.{stale}"):
                    self.storage.remove(f"{base}.{stale}")
                    stale += 1


def _closer(diff: t.List[t.Tuple[str, str, str]], best: t.List[t.Tuple[str, str, str]]) -> bool:
    """Fewer differing fields wins; on a tie, a candidate with the same method and URL."""
    def rank(d: t.List[t.Tuple[str, str, str]]) -> t.Tuple[int, int]:
        return (sum(1 for f, _, _ in d if f in ("method", "url")), len(d))
    return rank(diff) < rank(best)


class _Entry(t.NamedTuple):
    """A decoded recording, ready to become a response."""

    status: int
    reason: t.Optional[str]
    encoding: t.Optional[str]
    headers: t.Mapping[str, str]  # never changed: each response copies it
    content: bytes
    elapsed: datetime.timedelta  # immutable: shared by the responses


class _ReplayedBody(io.BytesIO):
    """``response.raw`` of a replayed response: the body as a stream, no connection."""

    _original_response = None

    def __init__(self, content: bytes, status: int, headers: t.Mapping[str, str]) -> None:
        super().__init__(content)
        self.status = status
        self.headers = headers

    def release_conn(self) -> None:
        """Nothing to give back: no connection was used."""

    def stream(self, amt: int = 65536, decode_content: t.Any = None) -> t.Iterator[bytes]:
        while True:
            chunk = self.read(amt)
            if not chunk:
                return
            yield chunk


def _entry(document: t.Dict[str, t.Any]) -> _Entry:
    """Decode a stored document (the requests-cache ``CachedResponse`` layout, with JSON
    and text bodies decoded)."""
    headers = {str(k): str(v) for k, v in document.get("headers", {}).items()}
    encoding = document.get("encoding")
    if "_decoded_content" in document:
        decoded = document["_decoded_content"]
        length_name = content_type = ""
        for name, value in headers.items():
            lowered = name.lower()
            if lowered == "content-type":
                content_type = value
            elif lowered == "content-length":
                length_name = name
        if not isinstance(decoded, str) or _is_json_type(content_type):
            decoded = json.dumps(decoded)
        content = decoded.encode("utf-8")
        encoding = "utf-8"
        if length_name:
            headers[length_name] = str(len(content))
    else:
        content = base64.b64decode(document.get("_content") or "")
    elapsed = document.get("elapsed") or 0.0
    seconds = float(elapsed) if isinstance(elapsed, (int, float)) else 0.0
    return _Entry(int(document["status_code"]), document.get("reason"), encoding, headers, content,
                  datetime.timedelta(seconds=seconds))


@functools.lru_cache(maxsize=64)
def _is_json_type(content_type: str) -> bool:
    """requests-cache's rule for storing a body as decoded JSON (imported on first use)."""
    from requests_cache._utils import is_json_content_type

    return bool(is_json_content_type(content_type))


def _stored_request(document: t.Dict[str, t.Any]) -> t.Optional[ScrubbedRequest]:
    request = document.get("request")
    if not isinstance(request, dict):
        return None
    if "body_json" in request:
        body: t.Optional[bytes] = json.dumps(request["body_json"]).encode("utf-8")
    elif isinstance(request.get("body_text"), str):
        body = request["body_text"].encode("utf-8")
    elif isinstance(request.get("body"), str):
        body = base64.b64decode(request["body"])
    else:
        body = None
    headers = request.get("headers")
    if not isinstance(headers, dict):
        headers = {}
    return ScrubbedRequest(str(request.get("method", "GET")), str(request.get("url", "")),
                           {str(k): str(v) for k, v in headers.items()}, body)


def _response(entry: _Entry, request: requests.PreparedRequest) -> requests.Response:
    """A fresh response object for one replayed attempt (its own headers and body stream),
    carrying the live request (the stored one is the scrubbed copy)."""
    headers = CaseInsensitiveDict(entry.headers)
    if _LEAN_RESPONSE:  # every attribute requests' __init__ sets, set once (not built, then replaced)
        response = requests.Response.__new__(requests.Response)
        response.__dict__.update(
            _content=entry.content, _content_consumed=True, _next=None, status_code=entry.status,
            headers=headers, raw=_ReplayedBody(entry.content, entry.status, headers), url=request.url or "",
            encoding=entry.encoding, history=[], reason=entry.reason, cookies=RequestsCookieJar(),
            elapsed=entry.elapsed, request=request, from_cache=True)
        return response
    response = requests.Response()
    response.status_code = entry.status
    response.reason = entry.reason  # type: ignore[assignment]
    response.headers = headers
    response._content = entry.content
    response._content_consumed = True  # type: ignore[attr-defined]
    response.encoding = entry.encoding
    response.raw = _ReplayedBody(entry.content, entry.status, headers)
    response.url = request.url or ""
    response.request = request
    response.elapsed = entry.elapsed
    response.from_cache = True  # type: ignore[attr-defined]  # as requests-cache marks its hits
    return response


#: What ``requests.Response.__init__`` sets in every requests version we support; when a
#: release sets anything else, replayed responses are built through ``__init__`` again.
_RESPONSE_FIELDS = frozenset({"_content", "_content_consumed", "_next", "status_code", "headers", "raw", "url",
                              "encoding", "history", "reason", "cookies", "elapsed", "request"})
_LEAN_RESPONSE = frozenset(vars(requests.Response())) == _RESPONSE_FIELDS


def rewind_body(response: requests.Response) -> None:
    """After recording read a streamed body, give ``response.raw`` the body back, so that
    ``shutil.copyfileobj(response.raw, f)`` still gets every byte."""
    response.raw = _ReplayedBody(response.content, response.status_code, response.headers)
