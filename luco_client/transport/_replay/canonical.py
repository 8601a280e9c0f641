"""Scrubbing and the canonical form of a request: what is stored, and what is matched.

One function scrubs (:func:`scrub_request`), one canonicalises (:func:`canonical`). The key
of a live request is ``canonical(scrub_request(live))``, and the stored request *is*
``scrub_request(live)``, so the key of a stored entry can always be recomputed from the
file: scrubbing and matching can never disagree.

Scrubbing rules (values replaced by ``REDACTED``):

* headers whose name looks like a credential (``Authorization``, ``Cookie``, ``Set-Cookie``,
  ``X-Api-Key``, anything containing key/token/secret/auth/session/cookie, any letter case;
  idempotency keys excepted) and the names registered by the auth classes;
* query parameters, form fields and JSON fields named like credentials (``api_key``,
  ``access_token``, ``client_secret``, ``client_assertion``, ``code_verifier``, ``password``,
  ``subscriptionKey``, ``jwt``; for parameters also ``key`` and ``code``). The rule is
  narrower than the one for headers, because data such as ``keyword``, ``author``,
  ``sort_key`` or ``{"key": "Source"}`` must be kept to tell requests apart;
* in every other text value (JSON strings, form values, header values such as
  ``Location`` or ``Link``, text bodies): registered secret values (tokens, API keys),
  credentials after ``Bearer``/``Basic``/``Digest``, credential parameters of URLs
  (absolute or relative) and XML elements named like credentials;
* user-info in URLs; a binary or multipart request body is stored as its size and SHA-256
  only (the random multipart boundary left out); a streamed request body as a marker.

Matching ignores headers (unless ``match_headers`` names some), sorts query parameters and
form fields, and normalises JSON bodies (sorted keys, no whitespace).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import typing as t
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit, urlunsplit

from luco_client._redact import REDACTED, has_registered_secrets, is_secret_name, scrub_secrets
from luco_client.transport._urls import split_url

__all__ = ["ScrubbedRequest", "Canonical", "scrub_request", "scrub_headers", "scrub_body", "scrub_url",
           "scrub_text", "canonical", "match_canonical", "differences", "is_secret_field"]

#: The version of the scrubbing rules, stored with each recording. Change it with any rule
#: (a test pins it to the rules): a replay then matches older recordings the long way.
SCRUB_RULES = 3
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: A credential after an authentication scheme word, inside any text value.
_SCHEME_VALUE_RE = re.compile(r"(?i)\b(bearer|basic|digest)([ \t]{1,8})[A-Za-z0-9._~+/=\-]{6,}")
#: URLs inside text: absolute ones, and relative ones that carry a query.
_URL_RE = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.\-]{0,30}://[^\s<>\"'`]{1,4096}|/[^\s<>\"'`?]{0,2048}\?[^\s<>\"'`]{1,4096})")
#: <Name attr="...">value</Name> in XML or HTML bodies.
_MARKUP_RE = re.compile(r"<([A-Za-z_][\w.\-]{0,64}:)?([A-Za-z_][\w.\-]{0,64})(\s[^<>]{0,1024})?>"
                        r"([^<]{0,65536})</\1?\2\s*>")


def is_secret_field(name: str, *, param: bool = False) -> bool:
    """True when a field called ``name`` holds a credential: a JSON field, or with
    ``param=True`` a query parameter or form field (the narrow data rule of the one rule
    set, :func:`luco_client._redact.is_secret_name`), so that data named ``keyword``,
    ``author``, ``sort_key`` or ``session_name`` is kept (and keeps telling requests apart)."""
    return is_secret_name(name, "param" if param else "field")


def scrub_url(url: str) -> str:
    """A URL as it may be stored: user-info, credential parameters (also in URLs nested in
    parameter values) and registered secrets replaced; the rest is kept exactly, so the
    path and ordinary parameters still tell requests apart."""
    url = scrub_secrets(url)  # first, so that the query splits where it will split when stored
    try:
        parts = split_url(url)
    except ValueError:
        return scrub_text(_USERINFO_RE.sub(REDACTED + "@", url)) if "@" in url else url
    query, _ = _scrub_query(parts.query)
    return scrub_secrets(_rebuild(parts, query))


def _scrub_query(query: str) -> t.Tuple[str, t.List[t.Tuple[str, str]]]:
    """The query as stored (unchanged unless a value was scrubbed) and its scrubbed pairs."""
    if not query:
        return query, []
    pairs = parse_qsl(query, keep_blank_values=True)
    cleaned = _scrub_pairs(pairs)
    return (query if cleaned == pairs else urlencode(cleaned, quote_via=quote)), cleaned


def _rebuild(parts: SplitResult, query: str) -> str:
    """``scrub_url`` before its registered-secret scrub of the whole URL."""
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, scrub_text(parts.fragment)))


_USERINFO_RE = re.compile(r"(?i)(?<=://)[^/@\s]{1,256}(?=@)")


def scrub_text(text: str) -> str:
    """Data text as it may be stored: registered secrets, credentials after Bearer / Basic /
    Digest, and credential parameters of URLs inside it replaced. No other pattern is
    applied, so ordinary text such as ``author:octocat`` is kept."""
    if not text:
        return text
    text = scrub_secrets(text)
    if " " in text or "\t" in text:  # a scheme word is followed by a space or a tab
        text = _SCHEME_VALUE_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    if "?" in text or "://" in text:
        text = _URL_RE.sub(lambda m: scrub_url(m.group(0)), text)
    return text


def _scrub_markup(text: str) -> str:
    def element(m: t.Match[str]) -> str:
        if not is_secret_field(m.group(2), param=True):
            return m.group(0)
        prefix = m.group(1) or ""
        return f"<{prefix}{m.group(2)}{m.group(3) or ''}>{REDACTED}</{prefix}{m.group(2)}>"
    return _MARKUP_RE.sub(element, text) if "</" in text else text


def _kind(content_type: str) -> str:
    if not content_type:
        return "unknown"
    ct = content_type.split(";", 1)[0].strip().lower()
    if ct == "application/json" or ct.endswith("+json") or (ct.startswith("application/") and "json" in ct):
        return "json"
    if ct == "application/x-www-form-urlencoded":
        return "form"
    if ct.startswith("multipart/"):
        return "multipart"
    if ct.startswith("text/") or ct in ("application/xml", "application/javascript") or ct.endswith("+xml"):
        return "text"
    return "binary" if ct else "unknown"


def _param(content_type: str, name: str) -> t.Optional[str]:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"') or None
    return None


def _scrub_json(value: t.Any, secret: bool = False) -> t.Any:
    if isinstance(value, dict):
        return {k: _scrub_json(v, secret or is_secret_field(str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v, secret) for v in value]
    if isinstance(value, str):
        return REDACTED if secret else scrub_text(value)
    if secret and isinstance(value, (int, float)) and not isinstance(value, bool):
        return REDACTED
    return value


def _scrub_pairs(pairs: t.Iterable[t.Tuple[str, str]]) -> t.List[t.Tuple[str, str]]:
    return [(k, REDACTED if is_secret_field(k, param=True) else scrub_text(v)) for k, v in pairs]


def _scrub_json_text(text: str) -> t.Optional[str]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return json.dumps(_scrub_json(parsed), ensure_ascii=False)


def scrub_body(body: t.Optional[bytes], content_type: str, *, request: bool) -> t.Optional[bytes]:
    """The body as it may be stored, in its own character set. JSON and form bodies keep
    their structure with credential values replaced; text (also JSON sent as text/plain,
    and XML elements named like credentials) is scrubbed; a multipart or binary request
    body becomes a size-and-hash marker (the multipart boundary, random per upload, is
    left out of the hash); binary response bodies lose registered secrets."""
    if not body:
        return body
    kind = _kind(content_type)
    if kind == "multipart" and request:
        boundary = _param(content_type, "boundary")
        normalised = body.replace(boundary.encode("latin-1"), b"BOUNDARY") if boundary else body
        digest = hashlib.sha256(normalised).hexdigest()
        return f"<multipart body: {len(body)} bytes, sha256 {digest}>".encode("ascii")
    charset = _param(content_type, "charset") or "utf-8"
    text: t.Optional[str] = None
    if kind in ("json", "form", "text", "unknown"):
        try:
            text = body.decode(charset)
        except (UnicodeDecodeError, LookupError):
            text = None  # not text in its declared charset: keep the bytes
    if text is None:
        if request:
            digest = hashlib.sha256(body).hexdigest()
            return f"<binary body: {len(body)} bytes, sha256 {digest}>".encode("ascii")
        return scrub_secrets(body.decode("latin-1")).encode("latin-1")
    if kind == "form":
        scrubbed = urlencode(_scrub_pairs(parse_qsl(text, keep_blank_values=True)))
    elif kind in ("json", "unknown") or text.lstrip()[:1] in ("{", "["):
        as_json = _scrub_json_text(text)
        scrubbed = as_json if as_json is not None else _scrub_markup(scrub_text(text))
    else:
        scrubbed = _scrub_markup(scrub_text(text))
    try:
        return scrubbed.encode(charset)
    except (UnicodeEncodeError, LookupError):
        return scrubbed.encode("utf-8")


def scrub_headers(headers: t.Mapping[str, str], extra_names: t.AbstractSet[str] = frozenset()) -> t.Dict[str, str]:
    """Headers as they may be stored: credential headers' values replaced (any name that
    looks like a credential, in any letter case); the others scrubbed as text, so a token in
    a ``Location``, ``Link`` or ``Referer`` URL is replaced too."""
    out: t.Dict[str, str] = {}
    for name, value in headers.items():
        secret = name.lower() in extra_names or is_secret_name(name)
        out[name] = REDACTED if secret else scrub_text(str(value))
    return out


@dataclass(frozen=True)
class ScrubbedRequest:
    """A request with its secrets removed: exactly what a recording stores."""

    method: str
    url: str
    headers: t.Mapping[str, str]
    body: t.Optional[bytes]

    @property
    def content_type(self) -> str:
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value
        return ""


def scrub_request(method: str, url: str, headers: t.Mapping[str, str], body: t.Any,
                  extra_names: t.AbstractSet[str] = frozenset()) -> ScrubbedRequest:
    """Scrub a prepared request's parts (``body`` as requests prepared it)."""
    scrubbed_headers = scrub_headers(headers, extra_names)
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    stored = _scrub_request_body(body, str(content_type))
    return ScrubbedRequest(method.upper(), scrub_url(url), scrubbed_headers, stored)


def _scrub_request_body(body: t.Any, content_type: str) -> t.Optional[bytes]:
    if body is None or isinstance(body, (bytes, str)):
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return scrub_body(raw, content_type, request=True)
    return b"<streamed body>"  # a file or generator: never read here (it would be consumed)


def _json_leaves(value: t.Any, path: str, out: t.Dict[str, str]) -> None:
    if isinstance(value, dict) and value:
        for k in sorted(value, key=str):
            _json_leaves(value[k], f"{path}.{k}", out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _json_leaves(item, f"{path}[{i}]", out)
    else:
        out[path] = json.dumps(value, sort_keys=True, ensure_ascii=False)


def _drop_ignored(value: t.Any, ignore: t.AbstractSet[str]) -> t.Any:
    if isinstance(value, dict):
        return {k: _drop_ignored(v, ignore) for k, v in value.items() if str(k) not in ignore}
    if isinstance(value, list):
        return [_drop_ignored(v, ignore) for v in value]
    return value


@dataclass(frozen=True)
class Canonical:
    """The matching form of a scrubbed request, and its storage key."""

    method: str
    origin: str
    path: str
    query: t.Tuple[t.Tuple[str, str], ...]
    body_kind: str
    body: str
    headers: t.Tuple[t.Tuple[str, str], ...]

    def text(self) -> str:
        """An unambiguous serialisation of every matched part (what the key hashes)."""
        return json.dumps([self.method, self.origin, self.path, self.query, self.headers, self.body])

    @functools.cached_property
    def key(self) -> str:
        """``<method>_<host-and-path slug>_<hash>``: readable, and safe as a file name."""
        digest = hashlib.sha256(self.text().encode("utf-8")).hexdigest()[:20]
        host = _slug_host(self.origin)
        slug = _SLUG_RE.sub("-", f"{host}{self.path}".lower()).strip("-")[:60].rstrip("-")
        return f"{self.method.lower()}_{slug or 'root'}_{digest}"

    def describe(self) -> str:
        query = f"?{urlencode(self.query)}" if self.query else ""
        return f"{self.method} {self.origin}{self.path}{query}"

    def fields(self) -> t.Dict[str, str]:
        """Field-level view for differences: method, url, query.<name>, header.<name>,
        body.<json path> (or body.<form field>, or body)."""
        out = {"method": self.method, "url": f"{self.origin}{self.path}"}
        for name, value in self.query:
            key = f"query.{name}"
            out[key] = f"{out[key]}&{value}" if key in out else value
        for name, value in self.headers:
            out[f"header.{name}"] = value
        if self.body_kind == "json":
            _json_leaves(json.loads(self.body), "body", out)
        elif self.body_kind == "form":
            for name, value in parse_qsl(self.body, keep_blank_values=True):
                out[f"body.{name}"] = value
        elif self.body:
            out["body"] = self.body
        return out


def canonical(request: ScrubbedRequest, *, match_headers: t.Sequence[str] = (),
              ignore: t.AbstractSet[str] = frozenset()) -> Canonical:
    """The canonical form of a scrubbed request. ``ignore`` names query parameters, form
    fields and JSON fields (at any depth) left out of matching."""
    parts = split_url(request.url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return _canonical(request.method, parts, pairs, content_type=request.content_type, stored_body=request.body,
                      headers=request.headers, match_headers=match_headers, ignore=ignore)


def match_canonical(method: str, url: str, headers: t.Mapping[str, str], body: t.Any,
                    extra_names: t.AbstractSet[str] = frozenset(), *, match_headers: t.Sequence[str] = (),
                    ignore: t.AbstractSet[str] = frozenset()) -> Canonical:
    """``canonical(scrub_request(...))`` without building the stored copy (what a
    replay-only session needs): the URL is split and its query scrubbed once. ``headers``
    needs to hold only ``Content-Type`` and the ``match_headers``. When the URL holds
    user-info, no host or a registered secret, this takes the long way (equal results either way;
    the tests compare both on many requests)."""
    try:
        parts = split_url(url)
    except ValueError:
        parts = None
    if parts is None or "@" in parts.netloc or not parts.netloc:
        return canonical(scrub_request(method, url, headers, body, extra_names),
                         match_headers=match_headers, ignore=ignore)
    query, pairs = _scrub_query(parts.query)
    if has_registered_secrets():
        rebuilt = _rebuild(parts, query)
        if scrub_secrets(url) != url or scrub_secrets(rebuilt) != rebuilt:
            return canonical(scrub_request(method, url, headers, body, extra_names),
                             match_headers=match_headers, ignore=ignore)
    # The stored URL would be the rebuilt one, which splits back to ``parts`` and ``pairs``.
    scrubbed_headers = scrub_headers(headers, extra_names)
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    stored_type = next((v for k, v in scrubbed_headers.items() if k.lower() == "content-type"), "")
    return _canonical(method, parts, pairs, content_type=stored_type,
                      stored_body=_scrub_request_body(body, str(content_type)), headers=scrubbed_headers,
                      match_headers=match_headers, ignore=ignore)


def _canonical(method: str, parts: SplitResult, pairs: t.List[t.Tuple[str, str]], *, content_type: str,
               stored_body: t.Optional[bytes], headers: t.Mapping[str, str], match_headers: t.Sequence[str],
               ignore: t.AbstractSet[str]) -> Canonical:
    origin = _origin(parts.scheme, parts.netloc)
    query = tuple(sorted((k, v) for k, v in pairs if k not in ignore)) if pairs else ()
    kind = _kind(content_type)
    raw = (stored_body or b"").decode("utf-8", "replace")
    body = raw
    if raw and kind in ("json", "unknown"):
        try:
            body = json.dumps(_drop_ignored(json.loads(raw), ignore), sort_keys=True,
                              separators=(",", ":"), ensure_ascii=False)
            kind = "json"
        except ValueError:
            kind = "text"
    elif raw and kind == "form":
        form = sorted((k, v) for k, v in parse_qsl(raw, keep_blank_values=True) if k not in ignore)
        body = urlencode(form)
    found: t.Tuple[t.Tuple[str, str], ...] = ()
    if match_headers:
        wanted = {h.lower() for h in match_headers}
        found = tuple(sorted((k.lower(), v) for k, v in headers.items() if k.lower() in wanted))
    return Canonical(method.upper(), origin, parts.path or "/", query, kind, body, found)


@functools.lru_cache(maxsize=256)
def _origin(scheme: str, netloc: str) -> str:
    """``scheme://host[:port]``, lower case, the default port left out."""
    parts = SplitResult(scheme, netloc, "", "", "")
    scheme = scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, "", "", ""))


@functools.lru_cache(maxsize=256)
def _slug_host(origin: str) -> str:
    return urlsplit(origin).hostname or ""


def differences(recorded: Canonical, sent: Canonical, limit: int = 12) -> t.List[t.Tuple[str, str, str]]:
    """``(field, recorded value, sent value)`` for each field that differs (``<absent>``
    where one side lacks it), method and URL first, values cut to 120 characters."""
    a, b = recorded.fields(), sent.fields()
    order = ["method", "url", *sorted((set(a) | set(b)) - {"method", "url"})]
    out = []
    for name in order:
        left, right = a.get(name, "<absent>"), b.get(name, "<absent>")
        if left != right:
            out.append((name, _cut(left), _cut(right)))
    return out[:limit]


def _cut(value: str, width: int = 120) -> str:
    return value if len(value) <= width else value[: width - 3] + "..."
