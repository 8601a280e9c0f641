"""Authentication plumbing: requests ``AuthBase`` classes for bearer tokens and API keys.

Secrets are registered for redaction the moment they are obtained, and never appear in
``repr()``, logs or error messages.
"""

from __future__ import annotations

import threading
import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar

from luco_client._clock import SYSTEM_CLOCK, Clock
from luco_client._redact import redact_text, register_secret, register_secret_name
from luco_client.errors import AuthenticationError, ConfigurationError, LucoClientError
from luco_client.transport._bodies import body_resendable, rewind_for_resend

__all__ = ["AccessToken", "BearerTokenAuth", "ApiKeyAuth"]


def _credential_problem(value: object) -> t.Optional[str]:
    """Why ``value`` cannot be a credential (never quoting it), or ``None``."""
    if not isinstance(value, str) or not value:
        return "an empty or non-string credential"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "a credential with control characters (a stray newline?)"
    return None


class AccessToken:
    """A credential and when it expires.

    :param value: the token (kept out of ``repr``).
    :param expires_at: wall-clock expiry, seconds since the epoch; ``None`` = unknown.
    :param token_type: the Authorization scheme, default ``"Bearer"``.
    """

    __slots__ = ("expires_at", "token_type", "value")

    def __init__(self, value: str, expires_at: t.Optional[float] = None, token_type: str = "Bearer") -> None:
        problem = _credential_problem(value)
        if problem:
            raise AuthenticationError(f"the token provider returned {problem}")
        self.value = value
        self.expires_at = expires_at
        self.token_type = token_type
        register_secret(value)

    @classmethod
    def expiring_in(cls, value: str, seconds: float, *, clock: Clock = SYSTEM_CLOCK,
                    token_type: str = "Bearer") -> AccessToken:
        """A token valid for ``seconds`` from now (OAuth's ``expires_in``)."""
        return cls(value, clock.time() + float(seconds), token_type)

    def __repr__(self) -> str:
        return f"AccessToken(value='***', expires_at={self.expires_at!r}, token_type={self.token_type!r})"


TokenProvider = t.Callable[[], t.Union[AccessToken, str]]


def _mark_credential(request: requests.PreparedRequest, header: str) -> None:
    names = frozenset(getattr(request, "credential_headers", frozenset()))
    try:
        request.credential_headers = names | {header.lower()}  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - exotic PreparedRequest subclasses
        pass


class BearerTokenAuth(AuthBase):
    """``Authorization: Bearer <token>`` from a token provider.

    :param provider: zero-argument callable returning an :class:`AccessToken` (or a bare
        string, treated as never expiring). Called only when needed.
    :param refresh_margin: seconds before expiry at which the token is renewed. Default 60.
    :param clock: wall clock for expiry checks.
    :param header: the header to set, default ``Authorization``.

    The token is cached and shared by all threads; when it must be renewed exactly one
    thread calls the provider while the others wait for its result (single flight). A 401
    response triggers one renewal and one resend of the request (the server refused it, so
    the resend cannot duplicate a write); a second 401 is returned to the caller.
    """

    def __init__(self, provider: TokenProvider, *, refresh_margin: float = 60.0,
                 clock: Clock = SYSTEM_CLOCK, header: str = "Authorization") -> None:
        if not callable(provider):
            raise ConfigurationError("BearerTokenAuth needs a callable token provider")
        self.provider = provider
        self.refresh_margin = float(refresh_margin)
        self.clock = clock
        self.header = header
        self._token: t.Optional[AccessToken] = None
        self._lock = threading.Lock()
        self.fetches = 0  #: how many times the provider was called (for monitoring)

    def _fresh(self, token: t.Optional[AccessToken]) -> bool:
        return token is not None and (
            token.expires_at is None or self.clock.time() < token.expires_at - self.refresh_margin)

    def token(self) -> AccessToken:
        """The current token, fetching a new one if it is missing or about to expire."""
        token = self._token
        if self._fresh(token):
            return t.cast(AccessToken, token)
        with self._lock:
            if self._fresh(self._token):  # another thread fetched while we waited
                return t.cast(AccessToken, self._token)
            self._token = self._fetch()
            return self._token

    def _fetch(self) -> AccessToken:
        self.fetches += 1
        try:
            result = self.provider()
        except LucoClientError:
            raise
        except Exception as exc:
            raise AuthenticationError(
                f"token provider failed: {type(exc).__name__}: {redact_text(str(exc))[:200]}") from None
        return result if isinstance(result, AccessToken) else AccessToken(result)

    def invalidate(self, value: t.Optional[str] = None) -> None:
        """Forget the cached token (only if it is still ``value``, when given)."""
        with self._lock:
            if self._token is not None and (value is None or self._token.value == value):
                self._token = None

    def _header_value(self, token: AccessToken) -> str:
        return f"{token.token_type} {token.value}" if token.token_type else token.value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = self._header_value(self.token())
        _mark_credential(request, self.header)
        request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: t.Any) -> requests.Response:
        request = response.request
        if (response.status_code != 401 or request is None or getattr(request, "_luco_reauth", False)
                or not body_resendable(request) or getattr(response, "connection", None) is None):
            return response
        if self.header not in request.headers:
            # The credential was removed on the way (a redirect to another origin): this host
            # must not get one, so its 401 goes back to the caller as it is.
            return response
        used = str(request.headers.get(self.header, "")).split(" ", 1)[-1]
        self.invalidate(used)
        token = self.token()
        response.content  # noqa: B018 - release the connection
        response.close()
        retry = request.copy()
        retry._luco_reauth = True  # type: ignore[attr-defined]
        retry.headers[self.header] = self._header_value(token)
        extract_cookies_to_jar(retry._cookies, request, response.raw)  # type: ignore[attr-defined]
        retry.prepare_cookies(retry._cookies)  # type: ignore[attr-defined]
        rewind_for_resend(retry)
        second = t.cast(t.Any, response).connection.send(retry, **kwargs)
        second.history.append(response)
        second.request = retry
        return second

    def __repr__(self) -> str:
        return f"BearerTokenAuth(provider={self.provider!r}, refresh_margin={self.refresh_margin})"


class ApiKeyAuth(AuthBase):
    """An API key in a header (default ``X-Api-Key``) or, if ``query_param`` is given, in
    the query string.

    :param scheme: a word put before the key in the header, for APIs that want
        ``Authorization: Api-Key <key>`` (``ApiKeyAuth(key, "Authorization", scheme="Api-Key")``).
        Default ``None``: the header holds the key alone. Not allowed with ``query_param``.

    Prefer the header: query strings end up in server and proxy logs, and urllib3 logs
    request lines at DEBUG (attach :class:`~luco_client.events.RedactingFilter` to your
    handlers to scrub those). The key is registered for redaction and the header is removed
    on redirects to another origin. Unlike :class:`BearerTokenAuth`, a 401 is returned as it
    is (a fixed key cannot be renewed, so nothing is resent).
    """

    def __init__(self, key: str, header: str = "X-Api-Key", *, query_param: t.Optional[str] = None,
                 scheme: t.Optional[str] = None) -> None:
        problem = _credential_problem(key)
        if problem:
            raise ConfigurationError(f"ApiKeyAuth got {problem}")
        if scheme is not None:
            if query_param:
                raise ConfigurationError("ApiKeyAuth: scheme= applies to a header, not to query_param=")
            if not isinstance(scheme, str) or not scheme or any(ch.isspace() or ord(ch) < 33 for ch in scheme):
                raise ConfigurationError(f"ApiKeyAuth: scheme must be one word such as 'Api-Key', got {scheme!r}")
        self._key = key
        self.header = header
        self.query_param = query_param
        self.scheme = scheme
        register_secret(key, long_lived=True)
        register_secret_name(query_param or header)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.query_param:
            parts = urlsplit(request.url or "")
            query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != self.query_param]
            query.append((self.query_param, self._key))
            request.url = urlunsplit(parts._replace(query=urlencode(query)))
        else:
            request.headers[self.header] = f"{self.scheme} {self._key}" if self.scheme else self._key
            _mark_credential(request, self.header)
        return request

    def __repr__(self) -> str:
        where = f"query_param={self.query_param!r}" if self.query_param else f"header={self.header!r}"
        scheme = f", scheme={self.scheme!r}" if self.scheme else ""
        return f"ApiKeyAuth(key='***', {where}{scheme})"
