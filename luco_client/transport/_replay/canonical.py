"""Scrubbing and the canonical form of a request: what is stored, and what is matched.

One function scrubs (:func:`scrub_request`), one canonicalises (:func:`canonical`). The key
of a live request is ``canonical(scrub_request(live))``, and the stored request *is*
``scrub_request(live)``, so the key of a stored entry can always be recomputed from the
file: scrubbing and matching can never disagree.

Scrubbing rules (values replaced by ``REDACTED``):

* headers whose name looks like a credential (``Authorization``, ``Cookie``, ``Set-Cookie``,
  ``X-Api-Key``, anything containing key/token/secret/auth/session/cookie, any letter case;
  idempotency keys excepted) and the names registered by the auth classes;
* query parameters and form fields with such names (``api_key=``, ``client_secret=``,
  ``password=``, ``refresh_token=``);
* JSON fields named like credentials (``access_token``, ``password``, ``client_secret``,
  ``apiKey``; a plain ``key`` is data, e.g. ``{"key": "Source"}``, and is kept);
* every secret value registered at run time (tokens, API keys), anywhere in any text;
* a request body that is neither JSON, form nor text is stored as its size and SHA-256
  only; a streamed request body as a marker.

Matching ignores headers (unless ``match_headers`` names some), sorts query parameters and
form fields, and normalises JSON bodies (sorted keys, no whitespace).
"""

from __future__ import annotations

import hashlib
import json
import re
import typing as t
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from luco_client._redact import REDACTED, is_registered_name, is_secret_name, redact_url, scrub_secrets

__all__ = ["ScrubbedRequest", "Canonical", "scrub_request", "scrub_headers", "scrub_body", "canonical",
           "differences", "is_secret_field"]

#: JSON field names holding credentials contain one of these (case-insensitive).
_FIELD_WORDS = ("token", "secret", "password", "passwd", "credential", "signature", "apikey", "api_key",
                "api-key", "privatekey", "private_key", "accesskey", "access_key", "assertion",
                "authorization", "cookie", "sessionid", "session_id")
_FIELD_EXACT = frozenset({"sig", "pwd", "sas", "auth", "secret", "key_secret"})
_NOT_SECRET_FIELDS = frozenset({"idempotency_key", "idempotency-key", "idempotencykey"})
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_secret_field(name: str) -> bool:
    """True when a JSON field called ``name`` holds a credential. Narrower than header and
    query names: ``key``, ``session`` or ``author`` alone are ordinary data in bodies."""
    lowered = name.strip().lower()
    if lowered in _NOT_SECRET_FIELDS:
        return False
    return lowered in _FIELD_EXACT or is_registered_name(lowered) or any(word in lowered for word in _FIELD_WORDS)


def _kind(content_type: str) -> str:
    ct = content_type.split(";", 1)[0].strip().lower()
    if ct == "application/json" or ct.endswith("+json") or (ct.startswith("application/") and "json" in ct):
        return "json"
    if ct == "application/x-www-form-urlencoded":
        return "form"
    if ct.startswith("text/") or ct in ("application/xml", "application/javascript") or ct.endswith("+xml"):
        return "text"
    return "binary" if ct else "unknown"


def _scrub_json(value: t.Any, secret: bool = False) -> t.Any:
    if isinstance(value, dict):
        return {k: _scrub_json(v, secret or is_secret_field(str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v, secret) for v in value]
    if isinstance(value, str):
        if secret:
            return REDACTED
        return redact_url(value) if "://" in value else scrub_secrets(value)
    if secret and isinstance(value, (int, float)) and not isinstance(value, bool):
        return REDACTED
    return value


def _scrub_pairs(pairs: t.Iterable[t.Tuple[str, str]]) -> t.List[t.Tuple[str, str]]:
    return [(k, REDACTED if is_secret_name(k) else scrub_secrets(v)) for k, v in pairs]


def scrub_body(body: t.Optional[bytes], content_type: str, *, request: bool) -> t.Optional[bytes]:
    """The body as it may be stored. JSON and form bodies keep their structure with
    credential values replaced; text bodies lose registered secrets; binary request bodies
    become a size-and-hash marker; binary response bodies lose registered secrets."""
    if not body:
        return body
    kind = _kind(content_type)
    if kind in ("json", "unknown"):
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            if kind == "json":
                return scrub_secrets(body.decode("utf-8", "replace")).encode("utf-8")
            kind = "binary"
        else:
            return json.dumps(_scrub_json(parsed), ensure_ascii=False).encode("utf-8")
    if kind == "form":
        text = body.decode("utf-8", "replace")
        return urlencode(_scrub_pairs(parse_qsl(text, keep_blank_values=True))).encode("ascii")
    if kind == "text":
        return scrub_secrets(body.decode("utf-8", "replace")).encode("utf-8")
    if request:
        digest = hashlib.sha256(body).hexdigest()
        return f"<binary body: {len(body)} bytes, sha256 {digest}>".encode("ascii")
    return scrub_secrets(body.decode("latin-1")).encode("latin-1")


def scrub_headers(headers: t.Mapping[str, str], extra_names: t.AbstractSet[str] = frozenset()) -> t.Dict[str, str]:
    """Headers as they may be stored: credential headers' values replaced, registered secret
    values scrubbed from the others."""
    out: t.Dict[str, str] = {}
    for name, value in headers.items():
        secret = name.lower() in extra_names or is_secret_name(name)
        out[name] = REDACTED if secret else scrub_secrets(str(value))
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
    if body is None or isinstance(body, (bytes, str)):
        raw = body.encode("utf-8") if isinstance(body, str) else body
        stored = scrub_body(raw, str(content_type), request=True)
    else:  # a file or generator: never read here (it would be consumed)
        stored = b"<streamed body>"
    return ScrubbedRequest(method.upper(), redact_url(url), scrubbed_headers, stored)


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
        query = urlencode(self.query)
        headers = "\n".join(f"{k}: {v}" for k, v in self.headers)
        return f"{self.method} {self.origin}{self.path}?{query}\n{headers}\n\n{self.body}"

    @property
    def key(self) -> str:
        """``<method>_<host-and-path slug>_<hash>``: readable, and safe as a file name."""
        digest = hashlib.sha256(self.text().encode("utf-8")).hexdigest()[:20]
        host = urlsplit(self.origin).hostname or ""
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
    parts = urlsplit(request.url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    query = tuple(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ignore))
    kind = _kind(request.content_type)
    raw = (request.body or b"").decode("utf-8", "replace")
    body = raw
    if raw and kind in ("json", "unknown"):
        try:
            body = json.dumps(_drop_ignored(json.loads(raw), ignore), sort_keys=True,
                              separators=(",", ":"), ensure_ascii=False)
            kind = "json"
        except ValueError:
            kind = "text"
    elif raw and kind == "form":
        pairs = sorted((k, v) for k, v in parse_qsl(raw, keep_blank_values=True) if k not in ignore)
        body = urlencode(pairs)
    wanted = {h.lower() for h in match_headers}
    headers = tuple(sorted((k.lower(), v) for k, v in request.headers.items() if k.lower() in wanted))
    origin = urlunsplit((scheme, netloc, "", "", ""))
    return Canonical(request.method.upper(), origin, parts.path or "/", query, kind, body, headers)


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
