"""Luco authentication: where the bearer token comes from (spec §2).

Three sources, tried in this order when the client is built:

1. a service principal: ``tenant_id``, ``client_id``, ``client_secret`` and
   ``resource_id`` (arguments, else the ``LUCO_*`` environment variables). The Azure AD
   client-credentials request goes through the client's own session: retried, throttled,
   counted in the report and recorded with its secrets scrubbed;
2. ``identity=``: an object with LucoPy's ``generate_token() -> (token, expiry)`` (expiry a
   ``datetime``, naive local time as LucoPy expects, or aware; or epoch seconds), or an
   azure-identity credential with ``get_token(scope)`` returning an object with ``.token``
   and ``.expires_on`` (epoch seconds);
3. nothing: the first call fails with :class:`~luco_client.luco.AuthException`.

An ``identity`` passed explicitly wins over service-principal credentials found in the
environment (LucoPy silently ignored it then); with all four credentials passed as
arguments the service principal is used, as in LucoPy.
"""

from __future__ import annotations

import datetime
import os
import typing as t
from urllib.parse import quote, urlsplit

from luco_client.client import require
from luco_client.errors import LucoClientError
from luco_client.events import register_secret
from luco_client.luco._errors import AuthException, bad_argument
from luco_client.transport import AccessToken

__all__ = ["DEFAULT_AUTHORITY", "AUTHORITY_ENV", "authority_url", "is_loopback", "identity_provider",
           "client_credentials", "missing_identity", "GENERIC_MESSAGE"]

#: The public Azure cloud's authority (LucoPy's hard-coded one).
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
#: The environment variable azure-identity reads for sovereign clouds.
AUTHORITY_ENV = "AZURE_AUTHORITY_HOST"
#: LucoPy's message, kept as the start of every AuthException message.
GENERIC_MESSAGE = "Failed to generate bearer token. Please check authentication credentials."
_FORM = {"content-type": "application/x-www-form-urlencoded"}
_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})

TokenProvider = t.Callable[[], AccessToken]


def is_loopback(host: t.Optional[str]) -> bool:
    """Whether ``host`` is this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    if not host:
        return False
    host = host.lower().strip("[]")
    return host in _LOOPBACK_NAMES or host == "::1" or host.startswith("127.")


def authority_url(authority: t.Optional[str], *, allow_http: bool = False) -> str:
    """The Azure AD authority as an https URL without a trailing slash: ``authority``, else
    ``AZURE_AUTHORITY_HOST``, else the public cloud. A bare host (``login.microsoftonline.us``,
    as azure-identity takes it) gets ``https://``. Plain http is refused except for loopback
    hosts (test fakes) or with ``allow_http=True``."""
    value = authority or os.environ.get(AUTHORITY_ENV) or DEFAULT_AUTHORITY
    if not isinstance(value, str):
        raise bad_argument(f"authority must be a URL or host name such as 'login.microsoftonline.us', got {value!r}")
    if "://" not in value:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parses the port, raises on junk
    except ValueError as exc:
        raise bad_argument(f"authority {value!r} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise bad_argument(f"authority must be an https URL or a host name, got {value!r}")
    if parts.scheme.lower() == "http" and not (allow_http or is_loopback(parts.hostname)):
        raise bad_argument(f"authority {value!r} uses plain http: the client secret would travel unencrypted; "
                           "use https (http is accepted for loopback hosts, or with allow_http=True)")
    return value.rstrip("/")


def _expiry_seconds(expiry: t.Any) -> t.Optional[float]:
    """Epoch seconds of an identity's expiry: a ``datetime`` (naive = local time, as LucoPy
    compares it with ``datetime.now()``; aware ones work too), epoch seconds, or ``None``
    (unknown: never refreshed before a 401)."""
    if expiry is None:
        return None
    if isinstance(expiry, datetime.datetime):
        return expiry.timestamp()
    if isinstance(expiry, (int, float)) and not isinstance(expiry, bool):
        return float(expiry)
    raise AuthException(f"{GENERIC_MESSAGE} The identity returned an expiry of type {type(expiry).__name__}; "
                        "expected a datetime or epoch seconds")


def _token(value: t.Any, expires_at: t.Optional[float], what: str) -> AccessToken:
    if not isinstance(value, str) or not value.strip():
        raise AuthException(f"{GENERIC_MESSAGE} {what} returned no token (an empty or non-string value)")
    try:
        return AccessToken(value, expires_at)
    except LucoClientError as exc:
        raise AuthException(f"{GENERIC_MESSAGE} {what}: {exc.message}") from None


def identity_provider(identity: t.Any, scope: t.Optional[str]) -> TokenProvider:
    """A token provider for a LucoPy-style identity (``generate_token()``) or an
    azure-identity credential (``get_token(scope)``). Any failure of the identity becomes an
    :class:`AuthException` (``KeyboardInterrupt`` and ``SystemExit`` are not swallowed)."""
    if callable(getattr(identity, "generate_token", None)):
        def from_generate_token() -> AccessToken:
            try:
                result = identity.generate_token()
            except LucoClientError as exc:
                raise AuthException(f"{GENERIC_MESSAGE} identity.generate_token() failed: {exc.message}") from exc
            except Exception as exc:
                raise AuthException(f"{GENERIC_MESSAGE} identity.generate_token() raised "
                                    f"{type(exc).__name__}") from exc
            if not isinstance(result, tuple) or len(result) != 2:
                raise AuthException(f"{GENERIC_MESSAGE} identity.generate_token() must return (token, expiry), "
                                    f"got {type(result).__name__}")
            return _token(result[0], _expiry_seconds(result[1]), "identity.generate_token()")
        return from_generate_token
    if callable(getattr(identity, "get_token", None)):
        if not scope:
            raise bad_argument("identity has get_token(scope) (an azure-identity credential) but there is no "
                               "scope: pass resource_id (or set LUCO_RESOURCE_ID); the scope is "
                               "'<resource_id>/.default'")

        def from_get_token() -> AccessToken:
            try:
                result = identity.get_token(scope)
                value, expires_on = result.token, getattr(result, "expires_on", None)
            except Exception as exc:
                raise AuthException(f"{GENERIC_MESSAGE} identity.get_token() raised {type(exc).__name__}") from exc
            return _token(value, _expiry_seconds(expires_on), "identity.get_token()")
        return from_get_token
    raise bad_argument(f"identity must have a generate_token() method (LucoPy) or get_token(scope) "
                       f"(azure-identity), got {type(identity).__name__}")


def missing_identity() -> AccessToken:
    """The provider when there is no identity: every call fails with AuthException."""
    raise AuthException(f"{GENERIC_MESSAGE} No identity: pass tenant_id, client_id, client_secret and "
                        "resource_id (or set LUCO_TENANT_ID, LUCO_CLIENT_ID, LUCO_CLIENT_SECRET and "
                        "LUCO_RESOURCE_ID), or identity=")


def _scope(resource_id: str) -> str:
    """``<resource_id>/.default`` as LucoPy sends it: not percent-encoded (``api://x`` keeps
    its ``:`` and ``/``); only characters that would break the form are encoded."""
    return quote(f"{resource_id}/.default", safe=":/.-_~")


def client_credentials(post: t.Callable[..., t.Any], client_id: str, client_secret: str, resource_id: str,
                       now: t.Callable[[], float]) -> TokenProvider:
    """A provider running the Azure AD client-credentials flow (spec §2.2) through ``post``
    (the client's call to the token endpoint: ``post(data=, headers=, auth=)`` returning the
    parsed JSON); ``now()`` is the wall clock the expiry is computed on. The secret is
    registered for redaction (logs, errors, recordings)."""
    register_secret(client_secret, long_lived=True)
    body = f"grant_type=client_credentials&scope={_scope(resource_id)}"

    def fetch() -> AccessToken:
        try:
            answer = post(data=body, headers=_FORM, auth=(client_id, client_secret))
            value = require(answer, "access_token", str, source="token endpoint")
            lifetime = require(answer, "expires_in", (int, float, str), source="token endpoint")
        except LucoClientError as exc:
            raise AuthException(f"{GENERIC_MESSAGE} The token request failed: {type(exc).__name__}: {exc}") \
                from None
        try:
            seconds = float(lifetime)
        except ValueError:
            raise AuthException(f"{GENERIC_MESSAGE} The token endpoint sent an expires_in that is not a number") \
                from None
        return _token(value, now() + seconds, "the token endpoint")
    return fetch
