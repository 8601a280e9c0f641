"""The declarative client layer: the gracy API, synchronous.

Describe an API once (base URL, endpoints, settings), call it gracefully everywhere::

    from luco_client.client import ApiClient, Endpoint, Settings, graceful

    class PokeApi(ApiClient):
        class Config:
            BASE_URL = "https://pokeapi.co/api/v2/"
            SETTINGS = Settings(allowed_status_code=404, parser={"default": lambda r: r.json(), 404: None})

        GET_POKEMON = Endpoint("/pokemon/{NAME}")

        def get_pokemon(self, name: str) -> t.Optional[dict]:
            return self.get(self.GET_POKEMON, {"NAME": name})

Public names::

    ApiClient, Namespace, Caller              clients, namespaces, their shared verbs
    Settings, UNSET, ResolvedSettings, LEVELS settings, the merge and explain()
    Endpoint, BaseEndpoint, escape_segment    endpoint templates
    graceful, graceful_generator              per-method overrides
    GracefulValidator, UserDefinedError       validators, errors with templated messages
    RequestContext                            what hooks and errors know about a call
    OffsetPaginator, PageNumberPaginator, CursorPaginator, Paginator
    RetryAfterBackoffHook, RateLimitBackoffHook, parse_retry_after
    BoundVerb, TypedVerb                      ``client.get`` and ``client.get[Model]``
    json_body, require                        JSON bodies and fields with typed errors
    reconciled_write, ReadBack, outcome_unknown   writes resent only when proven not applied

This layer never imports ``requests`` at run time: it sends through
:class:`~luco_client.transport.GracefulSession`.
"""

from luco_client._public import publish
from luco_client.client._api import ApiClient
from luco_client.client._backoff import RateLimitBackoffHook, RetryAfterBackoffHook, parse_retry_after
from luco_client.client._caller import Caller
from luco_client.client._config import UNSET, GracefulValidator, Settings
from luco_client.client._context import RequestContext
from luco_client.client._endpoint import BaseEndpoint, Endpoint, escape_segment
from luco_client.client._errors import UserDefinedError
from luco_client.client._json import json_body, require
from luco_client.client._merge import LEVELS, ResolvedSettings
from luco_client.client._namespaces import Namespace
from luco_client.client._overrides import graceful, graceful_generator
from luco_client.client._pagination import CursorPaginator, OffsetPaginator, PageNumberPaginator, Paginator
from luco_client.client._readback import ReadBack, outcome_unknown, reconciled_write
from luco_client.client._verbs import BoundVerb, TypedVerb

__all__ = [
    "ApiClient",
    "Namespace",
    "Caller",
    "Settings",
    "UNSET",
    "ResolvedSettings",
    "LEVELS",
    "Endpoint",
    "BaseEndpoint",
    "escape_segment",
    "graceful",
    "graceful_generator",
    "GracefulValidator",
    "UserDefinedError",
    "RequestContext",
    "Paginator",
    "OffsetPaginator",
    "PageNumberPaginator",
    "CursorPaginator",
    "RetryAfterBackoffHook",
    "RateLimitBackoffHook",
    "parse_retry_after",
    "BoundVerb",
    "TypedVerb",
    "json_body",
    "require",
    "reconciled_write",
    "ReadBack",
    "outcome_unknown",
]

publish(__name__, globals())
