"""LucoPy's exception names, placed in luco_client's one exception tree.

* :class:`ApiException`: every failure of a Luco call. What the transport and the client
  layer raise for a Luco call (an error status, a lost response, a malformed body, a bad
  argument) is raised as a *Luco variant* of the library class, which derives from both:
  ``LucoNotFoundError`` is a :class:`~luco_client.errors.NotFoundError` **and** an
  :class:`ApiException`, so ``except ApiException:`` written for LucoPy and
  ``except NotFoundError:`` both catch it.
* :class:`AuthException`: no access token could be obtained (an
  :class:`~luco_client.errors.AuthenticationError`; like LucoPy's, not an ApiException).
* :class:`DataQualityException`: data-quality results that cannot be used, or that ask to
  stop the pipeline (``auto_raise_exception=True``); not an ApiException either.
"""

from __future__ import annotations

import typing as t

from luco_client.errors import (
    AuthenticationError,
    BadRequestError,
    ClientStatusError,
    ConfigurationError,
    ConflictError,
    ConnectError,
    ConnectTimeoutError,
    DeadlineExceededError,
    ForbiddenError,
    HTTPStatusError,
    InvalidRequestError,
    LucoClientError,
    NotFoundError,
    PossiblyAppliedWriteError,
    ReadError,
    ReadTimeoutError,
    RedirectError,
    ReplayError,
    ReplayMissError,
    ReplayStorageError,
    ResponseFormatError,
    RetryAfterTooLongError,
    ServerStatusError,
    ThrottleBackendError,
    TooManyRedirectsError,
    TooManyRequestsError,
    TransportError,
    UnauthorizedError,
    UnprocessableEntityError,
)

__all__ = [
    "ApiException",
    "AuthException",
    "DataQualityException",
    "LucoLookupError",
    "ParameterNotFoundError",
    "luco_error",
    "luco_variant",
    "bad_argument",
    "LucoConfigurationError",
]


class ApiException(LucoClientError):
    """LucoPy's ``ApiException``: a Luco API call failed.

    Raised as one of the Luco variants of the library's classes (``LucoNotFoundError``,
    ``LucoServerStatusError``, ``LucoPossiblyAppliedWriteError``, ``LucoConfigurationError``
    ...), so it carries their fields: ``status``, ``method``, ``url`` (redacted),
    ``attempts``, ``body_excerpt``... ``str(error)`` states the method, URL, status and
    attempts; it never contains a token or the client secret.
    """


class AuthException(AuthenticationError):
    """LucoPy's ``AuthException``: no bearer token could be obtained (wrong credentials,
    an unreachable token endpoint, an identity whose ``generate_token()``/``get_token()``
    failed, or no identity at all). The message says why without any secret."""


class DataQualityException(LucoClientError):
    """LucoPy's ``DataQualityException``: quality results that cannot be resolved into a
    check or a collection, or (``auto_raise_exception=True``) a submission whose checks
    asked to cancel the pipeline, raised after the results were stored in Luco."""


class LucoLookupError(ApiException, LookupError):
    """What was asked for does not exist in Luco: no submission on a slot sequence, no slot
    sequence with that name (LucoPy raised ``IndexError`` or a bare ``Exception``)."""


class ParameterNotFoundError(LucoLookupError, KeyError):
    """A slot-parameter group or key that the slot sequence does not have. It is also a
    ``KeyError``, which LucoPy raised, so old ``except KeyError:`` handlers still work."""

    def __str__(self) -> str:  # KeyError would quote the message
        return LucoClientError.__str__(self)


#: The library classes that get a Luco variant, most specific first.
_BASES: t.Tuple[t.Type[LucoClientError], ...] = (
    BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, ConflictError, UnprocessableEntityError,
    TooManyRequestsError, ClientStatusError, ServerStatusError, RetryAfterTooLongError, HTTPStatusError,
    PossiblyAppliedWriteError, ConnectTimeoutError, ConnectError, ReadTimeoutError, ReadError,
    DeadlineExceededError, ThrottleBackendError, TooManyRedirectsError, RedirectError, TransportError,
    ResponseFormatError, InvalidRequestError, ConfigurationError, ReplayMissError, ReplayStorageError,
    ReplayError, LucoClientError,
)
_VARIANTS: t.Dict[type, t.Type[ApiException]] = {}


def _make_variant(base: t.Type[LucoClientError]) -> t.Type[ApiException]:
    name = "LucoApiError" if base is LucoClientError else "Luco" + base.__name__
    doc = (f"A :class:`~luco_client.errors.{base.__name__}` raised by a Luco call; also an "
           f":class:`ApiException`.")
    bases: t.Tuple[type, ...] = (ApiException,) if base is LucoClientError else (base, ApiException)
    variant = t.cast(t.Type[ApiException], type(name, bases, {"__module__": __name__, "__doc__": doc}))
    globals()[name] = variant  # importable by name, so the errors pickle like the library's
    return variant


for _base in _BASES:
    _VARIANTS[_base] = _make_variant(_base)

#: The Luco variant of :class:`~luco_client.errors.ConfigurationError`: a bad argument.
LucoConfigurationError: t.Type[ApiException] = _VARIANTS[ConfigurationError]


def luco_variant(cls: t.Type[LucoClientError]) -> t.Type[ApiException]:
    """The Luco variant of a library error class (its nearest listed base)."""
    for klass in cls.__mro__:
        if klass in _VARIANTS:
            return _VARIANTS[klass]
    return _VARIANTS[LucoClientError]


def luco_error(error: LucoClientError) -> LucoClientError:
    """``error`` as LucoPy users expect it: an ApiException, AuthException or
    DataQualityException is returned as it is; an AuthenticationError becomes an
    AuthException; any other library error becomes its Luco variant (same message,
    fields and attempt history)."""
    if isinstance(error, (ApiException, AuthException, DataQualityException)):
        return error
    rebuild, (_, message, fields) = error.__reduce__()[:2]
    target: type = AuthException if isinstance(error, AuthenticationError) else luco_variant(type(error))
    converted = t.cast(LucoClientError, rebuild(target, message, fields))
    converted.__traceback__ = error.__traceback__
    return converted


def bad_argument(message: str) -> ApiException:
    """A typed error for a bad argument, raised before anything is sent: a
    :class:`~luco_client.errors.ConfigurationError` (a ``ValueError``) and an ApiException."""
    return LucoConfigurationError(message)
