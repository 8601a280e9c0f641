"""A fake Azure AD token endpoint (client credentials) on 127.0.0.1, for the Luco client.

``POST /{tenant}/oauth2/v2.0/token`` with HTTP Basic client credentials and the form
``grant_type=client_credentials&scope=<resource>/.default`` answers
``{"token_type": "Bearer", "expires_in": N, "ext_expires_in": N, "access_token": "..."}``,
as Azure does. Wrong credentials get 401 ``invalid_client``, an unknown tenant 400, a
wrong grant type or scope 400. Issued tokens are remembered so that
:class:`~luco_client.testing.LucoServer` can check the bearer tokens it receives.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
import typing as t
from urllib.parse import parse_qsl, unquote

from luco_client.testing._flaky import FlakyServer, Received, Reply

__all__ = ["AzureTokenServer"]


class AzureTokenServer(FlakyServer):
    """The fake token endpoint. ``server.authority`` is its base URL (pass it as
    ``LucoApi(authority=...)``); the credentials it accepts are ``tenant_id``,
    ``client_id`` and ``client_secret`` (attributes, settable in the constructor).

    :param expires_in: seconds a token lives (default 3599, as Azure).
    :param kwargs: :class:`~luco_client.testing.FlakyServer` arguments (``tls=``,
        ``faults=``, ``port=``); scripts and faults work as on any FlakyServer.
    """

    def __init__(self, *, tenant_id: str = "tenant-0001", client_id: str = "luco-etl-client",
                 client_secret: str = "s3cr3t-Client-Secret-0001", expires_in: int = 3599, **kwargs: t.Any) -> None:
        kwargs.pop("default", None)
        super().__init__(default=self.route, **kwargs)
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.expires_in = expires_in
        self._tokens: t.Dict[str, t.Tuple[str, float]] = {}  # token -> (scope, expiry, epoch seconds)
        self._token_lock = threading.Lock()

    @property
    def authority(self) -> str:
        """The authority URL (``https://127.0.0.1:<port>`` with ``tls=True``)."""
        return self.url

    @property
    def token_path(self) -> str:
        """The token endpoint's path for :attr:`tenant_id`."""
        return f"/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def token_requests(self) -> int:
        """Token requests received so far (refused ones included)."""
        return self.count(self.token_path, "POST")

    def issue(self, scope: str = "api://luco/.default", expires_in: t.Optional[float] = None) -> str:
        """Issue a token directly (for a custom identity in tests); returns it."""
        token = "fake-at-" + secrets.token_urlsafe(24)
        with self._token_lock:
            self._tokens[token] = (scope, time.time() + (self.expires_in if expires_in is None else expires_in))
        return token

    def is_valid(self, token: str) -> bool:
        """Whether ``token`` was issued here, is not revoked and has not expired."""
        with self._token_lock:
            found = self._tokens.get(token)
        return found is not None and found[1] > time.time()

    def revoke(self, token: t.Optional[str] = None) -> None:
        """Invalidate one token, or every token issued so far (the next calls get 401)."""
        with self._token_lock:
            if token is None:
                self._tokens.clear()
            else:
                self._tokens.pop(token, None)

    def route(self, received: Received) -> Reply:
        """Azure's answer to ``received``."""
        parts = received.path.strip("/").split("/")
        if received.method != "POST" or len(parts) != 4 or parts[1:] != ["oauth2", "v2.0", "token"]:
            return Reply(404, {"error": "not_found"})
        if unquote(parts[0]) != self.tenant_id:
            return _error(400, "invalid_request", "AADSTS90002: Tenant not found.")
        if self._client(received.header("Authorization")) != (self.client_id, self.client_secret):
            return _error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        form = dict(parse_qsl(received.body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported_grant_type", "AADSTS70003: The grant type is not supported.")
        scope = form.get("scope", "")
        if not scope.endswith("/.default") or len(scope) <= len("/.default"):
            return _error(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.")
        token = self.issue(scope)
        return Reply(200, {"token_type": "Bearer", "expires_in": self.expires_in, "ext_expires_in": self.expires_in,
                           "access_token": token})

    @staticmethod
    def _client(header: t.Optional[str]) -> t.Optional[t.Tuple[str, str]]:
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            client, _, secret = base64.b64decode(header[6:].strip()).decode("latin-1").partition(":")
        except ValueError:
            return None
        return client, secret


def _error(status: int, code: str, description: str) -> Reply:
    return Reply(status, {"error": code, "error_description": description})
