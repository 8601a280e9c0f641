"""Secret redaction shared by events, errors, logs and (later) recordings.

One rule set for every output: credential-looking query parameters, JSON fields, header
values and ``Bearer``/``Basic`` credentials are replaced by ``REDACTED``; so are secret
values registered at run time by the auth classes (tokens, API keys), wherever they appear.
"""

from __future__ import annotations

import collections
import re
import threading
import typing as t
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

REDACTED = "REDACTED"

#: Parameter, field and header names whose values are secrets (matched case-insensitively).
_SECRET_NAME = (
    r"[\w.\-]*(?:token|secret|password|passwd|signature|credential|api[-_]?key|apikey"
    r"|auth|session|cookie|private[-_]?key)[\w.\-]*|key|sig|pwd|sas"
)
_NAME_RE = re.compile(rf"^(?:{_SECRET_NAME})$", re.IGNORECASE)
_QUERY_RE = re.compile(rf"(?i)(?<![\w.\-])((?:{_SECRET_NAME}))=([^&\s\"'#<>,;]+)")
_JSON_RE = re.compile(rf"(?i)(\"(?:{_SECRET_NAME})\"\s*:\s*)\"(?:[^\"\\]|\\.)*\"")
_HEADER_RE = re.compile(
    rf"(?i)((?:{_SECRET_NAME})['\"]?\s*:\s*['\"]?)((?:(?:bearer|basic|digest|token)\s+)?[^'\"\s,}}]+)"
)
_SCHEME_RE = re.compile(r"(?i)\b(bearer|basic|digest|token)\s+[A-Za-z0-9._~+/=\-]{6,}")
_USERINFO_RE = re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^/@\s]+@")


def is_secret_name(name: str) -> bool:
    """True when a header, query parameter or JSON field called ``name`` holds a secret."""
    return bool(_NAME_RE.match(name.strip()))


class _SecretValues:
    """Recently seen secret values (tokens, keys), bounded, thread-safe."""

    def __init__(self, maxlen: int = 256) -> None:
        self._values: t.Deque[str] = collections.deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        if not value or len(value) < 6:
            return
        with self._lock:
            if value not in self._values:
                self._values.append(value)

    def scrub(self, text: str) -> str:
        with self._lock:
            values = list(self._values)
        for value in values:
            if value in text:
                text = text.replace(value, REDACTED)
        return text


_SECRETS = _SecretValues()


def register_secret(value: str) -> None:
    """Remember a secret value so that it is scrubbed from every log line and error text.

    The auth classes call this for each token and key they hold. Values shorter than six
    characters are ignored (too likely to match ordinary text). Memory is bounded.
    """
    _SECRETS.add(value)


def redact_url(url: str) -> str:
    """Return ``url`` with user-info and credential query values replaced by ``REDACTED``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_name(k) for k, _ in pairs):
            query = "&".join(
                f"{quote(k, safe='')}={REDACTED if is_secret_name(k) else quote(v, safe='')}"
                for k, v in pairs
            )
    return _SECRETS.scrub(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def redact_text(text: str) -> str:
    """Scrub credentials from free text (log lines, error messages, body excerpts)."""
    if not text:
        return text
    text = _SECRETS.scrub(text)
    text = _SCHEME_RE.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _USERINFO_RE.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _QUERY_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _JSON_RE.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    return _HEADER_RE.sub(
        lambda m: m.group(0) if m.group(2).endswith(REDACTED) else f"{m.group(1)}{REDACTED}", text
    )


def redact_headers(headers: t.Mapping[str, str]) -> t.Dict[str, str]:
    """Copy of ``headers`` with the values of credential headers replaced."""
    return {k: (REDACTED if is_secret_name(k) else redact_text(str(v))) for k, v in headers.items()}
