"""Secret redaction shared by events, errors, logs and (later) recordings.

One rule set for every output: credential-looking query parameters, JSON fields, header
values and ``Bearer``/``Basic`` credentials are replaced by ``REDACTED``; so are secret
values registered at run time by the auth classes (tokens, API keys), wherever they appear.
"""

from __future__ import annotations

import collections
import functools
import re
import threading
import typing as t
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

REDACTED = "REDACTED"

# --------------------------------------------------------------------------- the rule set
# The one rule set for names that hold credentials, with two reaches: data names (JSON
# fields, query parameters, form fields) are judged narrowly, so that recordings keep data
# named keyword, author, sort_key or session_name (it tells requests apart); header names
# and names met in free text (logs, error messages) broadly, since over-redacting there
# costs nothing.

#: A data name holds a credential when it contains one of these (case-insensitive).
CREDENTIAL_WORDS = ("token", "secret", "password", "passwd", "passcode", "credential", "signature", "apikey",
                    "api_key", "api-key", "privatekey", "private_key", "accesskey", "access_key", "assertion",
                    "authorization", "cookie", "sessionid", "session_id", "jwt", "subscriptionkey",
                    "subscription_key", "subscription-key", "code_verifier")
#: ... or is one of these (a JSON field).
CREDENTIAL_NAMES = frozenset({"sig", "pwd", "sas", "auth", "secret", "key_secret"})
#: ... or, for a query parameter or form field, one of these (``?key=`` is an API key,
#: ``code=`` an authorisation code; in JSON ``{"key": "Source"}`` is data).
CREDENTIAL_PARAMS = CREDENTIAL_NAMES | {"key", "code"}
#: Header names and names in free text also hold credentials when they contain these.
BROAD_WORDS = ("key", "auth", "session")
#: Names that contain a credential word but carry no secret (an idempotency key is a request id).
NOT_SECRET = frozenset({"idempotency-key", "x-idempotency-key", "idempotency_key", "idempotencykey"})
#: Where a name is judged: ``"text"`` (headers, logs: broad), ``"field"`` (JSON), ``"param"``.
Scope = str

# Text patterns find *candidate* names of bounded length followed by their separator (no
# nested unbounded quantifiers, so no catastrophic backtracking on adversarial input);
# is_secret_name() decides in Python. Only a secret name's value is consumed: scanning goes
# on *inside* other values, where a nested URL may carry a credential (next=/a?token=...).
_NAME = r"[\w.\-]{1,128}"
_PAIR_PATTERNS = (
    # name=value (query strings, form bodies, ;path parameters, free text)
    (re.compile(rf"(?<![\w.\-])({_NAME})="), re.compile(r"[^&\s\"'#<>,;]+"), REDACTED),
    # "name": "value" (JSON)
    (re.compile(rf"\"({_NAME})\"\s{{0,8}}:\s{{0,8}}"), re.compile(r"\"(?:[^\"\\]|\\.)*\""), f'"{REDACTED}"'),
    # name%3Dvalue: a query nested in another, percent-encoded (redirect=https%3A...%3Ftoken%3D...)
    (re.compile(rf"(?:(?<![\w.\-%])|(?<=%3[Ff])|(?<=%26))({_NAME})%3[Dd]"),
     re.compile(r"(?:[^&\s\"'#<>,;%]|%(?!26|3[Dd])[0-9A-Fa-f]{2})+"), REDACTED),
    # \"name\": \"value\" (JSON inside a JSON string)
    (re.compile(rf'\\"({_NAME})\\"\s{{0,8}}:\s{{0,8}}'), re.compile(r'\\"(?:[^"\\]|\\[^"])*\\"'),
     f'\\"{REDACTED}\\"'),
    # name: value (headers, YAML-ish text); a scheme word such as Bearer is kept
    (re.compile(rf"(?<![\w.\-])({_NAME})['\"]?[ \t]{{0,8}}:[ \t]{{0,8}}['\"]?"),
     re.compile(r"(?i)(?:(?:bearer|basic|digest|token)[ \t]{1,8})?[^'\"\s,}}]+"), REDACTED),
)
#: A scheme word, not a path segment (``.../token failed`` is a URL and a word, not a credential).
_SCHEME_RE = re.compile(r"(?i)(?<![/\w])(bearer|basic|digest|token)[ \t]{1,8}[A-Za-z0-9._~+/=\-]{6,}")
_USERINFO_RE = re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]{0,30}://)[^/@\s]{1,256}@")
#: ``user:password@`` without a scheme (a mistyped URL): ``user:pw@host``, ``http//u:pw@h``.
_BARE_USERINFO_RE = re.compile(r"(?<![^/@\s:])[^/@\s:]{1,256}:[^/@\s:]{1,256}@")


_REGISTERED_NAMES: t.Set[str] = set()


def is_secret_name(name: str, scope: Scope = "text") -> bool:
    """True when a name holds a secret: any name registered by an auth class, and by the
    rule set above: in ``scope="text"`` (header names, names met in logs and errors) any
    name containing a credential word or key, auth or session; in ``"field"`` (JSON) and
    ``"param"`` (query parameters, form fields) the narrow data rule. Idempotency keys
    never."""
    lowered = name.strip().lower()
    return lowered in _REGISTERED_NAMES or _by_rule(lowered, scope)


@functools.lru_cache(maxsize=4096)
def _by_rule(lowered: str, scope: Scope) -> bool:
    if lowered in NOT_SECRET:
        return False
    if any(word in lowered for word in CREDENTIAL_WORDS):
        return True
    if lowered in (CREDENTIAL_PARAMS if scope == "param" else CREDENTIAL_NAMES):
        return True
    return scope == "text" and any(word in lowered for word in BROAD_WORDS)


def is_registered_name(name: str) -> bool:
    """True when ``name`` was registered with :func:`register_secret_name`."""
    return name.strip().lower() in _REGISTERED_NAMES


def register_secret_name(name: str) -> None:
    """Treat the header or parameter ``name`` as holding a secret (e.g. ``appid``)."""
    _REGISTERED_NAMES.add(name.strip().lower())


class _SecretValues:
    """Secret values to scrub wherever they appear, with their URL-encoded forms.

    Short-lived values (access tokens, renewed often) are kept in a bounded window of the
    latest ``maxlen``; long-lived ones (API keys, client secrets) are never forgotten.
    """

    def __init__(self, maxlen: int = 256) -> None:
        self._recent: t.Deque[str] = collections.deque(maxlen=maxlen)
        self._lasting: t.Set[str] = set()
        self._lock = threading.Lock()
        self._snapshot: t.Tuple[str, ...] = ()

    def add(self, value: str, long_lived: bool = False) -> None:
        if not value or len(value) < 6:
            return
        forms = {value, quote(value, safe=""), quote_plus(value)}
        with self._lock:
            for form in forms:
                if long_lived:
                    self._lasting.add(form)
                elif form not in self._recent and form not in self._lasting:
                    self._recent.append(form)
            # longest first, so that an encoded form is not half-replaced by a shorter one
            self._snapshot = tuple(sorted({*self._recent, *self._lasting}, key=len, reverse=True))

    def scrub(self, text: str) -> str:
        for value in self._snapshot:
            if value in text:
                text = text.replace(value, REDACTED)
        return text


_SECRETS = _SecretValues()


def register_secret(value: str, *, long_lived: bool = False) -> None:
    """Remember a secret value so that it is scrubbed from every log line and error text,
    in plain and URL-encoded form.

    The auth classes call this for each token and key they hold. Values shorter than six
    characters are ignored (too likely to match ordinary text). ``long_lived=True`` (API
    keys, client secrets) keeps the value for the life of the process; other values (access
    tokens) are kept among the latest 256, so memory stays bounded.
    """
    _SECRETS.add(value, long_lived)


def has_registered_names() -> bool:
    """True once a name was registered with :func:`register_secret_name`."""
    return bool(_REGISTERED_NAMES)


def has_registered_secrets() -> bool:
    """True once a secret value was registered (until then :func:`scrub_secrets` changes
    nothing)."""
    return bool(_SECRETS._snapshot)


def scrub_secrets(text: str) -> str:
    """Replace registered secret values in ``text`` (no pattern matching)."""
    return _SECRETS.scrub(text)


#: URLs found to hold no secret, with the registered secrets and names they were checked
#: against: a client calls the same few URLs over and over (bounded; secrets never kept).
_CLEAN_URLS: t.Dict[str, t.Tuple[t.Tuple[str, ...], int]] = {}


def redact_url(url: str) -> str:
    """Return ``url`` with user-info and credential values replaced by ``REDACTED``: query
    parameters with secret names (also when nested and percent-encoded in another value),
    ``;name=value`` parameters, registered secrets, and ``user:password@`` even in a URL
    too malformed to parse."""
    snapshot, names = _SECRETS._snapshot, len(_REGISTERED_NAMES)  # names are only added
    if _CLEAN_URLS.get(url) == (snapshot, names):
        return url
    redacted = _redact_url(url)
    if redacted == url:
        if len(_CLEAN_URLS) >= 4096:
            _CLEAN_URLS.clear()
        _CLEAN_URLS[url] = (snapshot, names)
    return redacted


def _redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(_BARE_USERINFO_RE.sub(f"{REDACTED}@", url))
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    if not netloc:  # not a URL urlsplit understood: any "user:password@" is a credential
        return redact_text(_BARE_USERINFO_RE.sub(f"{REDACTED}@", url))
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        cleaned = [(k, REDACTED if is_secret_name(k) else _redact_part(v)) for k, v in pairs]
        if cleaned != pairs:
            query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in cleaned)
        elif not pairs:
            query = _redact_part(query)  # not name=value pairs: scan it as text
    # userinfo is gone, so the host and port can only hold a registered secret
    return urlunsplit((parts.scheme, _SECRETS.scrub(netloc), _redact_part(parts.path), query,
                       _redact_part(parts.fragment)))


#: Characters without which a URL part cannot hold a name=value, name: value, JSON or
#: user:password@ pattern; such parts only need the registered-secret scrub.
_STRUCTURE_CHARS = frozenset("=;:@%\"'\\ \t")


def _redact_part(text: str) -> str:
    if _STRUCTURE_CHARS.isdisjoint(text):
        return _SECRETS.scrub(text)
    return redact_text(text)


def _redact_pairs(text: str, name_re: t.Pattern[str], value_re: t.Pattern[str], replacement: str) -> str:
    out: t.List[str] = []
    last = pos = 0
    while True:
        found = name_re.search(text, pos)
        if found is None:
            break
        pos = found.end()
        if not is_secret_name(found.group(1)):
            continue  # keep scanning inside the value
        value = value_re.match(text, pos)
        if value is None or value.group(0).endswith(REDACTED):
            continue
        out.append(text[last:pos])
        out.append(replacement)
        last = pos = value.end()
    out.append(text[last:])
    return "".join(out)


def redact_text(text: str) -> str:
    """Scrub credentials from free text (log lines, error messages, body excerpts).

    Linear in the length of ``text``: candidate names are bounded, the secret test is a
    plain substring check, and each character is scanned a bounded number of times.
    """
    if not text:
        return text
    text = _SECRETS.scrub(text)
    text = _SCHEME_RE.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _USERINFO_RE.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _BARE_USERINFO_RE.sub(f"{REDACTED}@", text)
    for name_re, value_re, replacement in _PAIR_PATTERNS:
        text = _redact_pairs(text, name_re, value_re, replacement)
    return text


def redact_headers(headers: t.Mapping[str, str]) -> t.Dict[str, str]:
    """Copy of ``headers`` with the values of credential headers replaced."""
    return {k: (REDACTED if is_secret_name(k) else redact_text(str(v))) for k, v in headers.items()}
