"""The graceful transport: the only layer of luco_client that touches requests and urllib3.

Public names::

    GracefulSession      requests.Session with the graceful adapter mounted
    GracefulAdapter      HTTPAdapter running the attempt loop
    GracefulRetry        retry policy (urllib3 Retry subclass)
    Throttle, ThrottleRule, MemoryBackend, SQLiteBackend, RedisBackend
    ConcurrencyLimit
    Timeout, CallSettings, CallOptions, UNSET, BodyConsumer   per-call settings (INHERIT: UNSET's old name)
    DownloadProgress, DownloadResult    GracefulSession.download()
    GracefulResponse                    a streamed call's response (its body stays accounted for)
    BearerTokenAuth, AccessToken, ApiKeyAuth
    raise_for_status, status_error, attempts_of
    AttemptInfo, RetryState, AttemptHook, bypass          attempt hooks and the bypass scope
    Replay, ReplayStorage, SQLiteReplayStorage, JSONDirReplayStorage, RedisReplayStorage
"""

from luco_client._public import publish
from luco_client.transport._adapter import GracefulAdapter
from luco_client.transport._auth import AccessToken, ApiKeyAuth, BearerTokenAuth
from luco_client.transport._concurrency import ConcurrencyLimit
from luco_client.transport._download import DownloadProgress, DownloadResult
from luco_client.transport._hooks import AttemptHook, AttemptInfo, RetryState, bypass
from luco_client.transport._options import (
    DEFAULT_TIMEOUT,
    INHERIT,
    UNSET,
    BodyConsumer,
    CallOptions,
    CallSettings,
    Timeout,
)
from luco_client.transport._replay import (
    JSONDirReplayStorage,
    RedisReplayStorage,
    Replay,
    ReplayStorage,
    SQLiteReplayStorage,
)
from luco_client.transport._responses import raise_for_status, status_error
from luco_client.transport._retry import (
    DEFAULT_RETRY_ON,
    SAFE_METHODS,
    GracefulRetry,
    OverrideRetryOn,
    parse_retry_after,
)
from luco_client.transport._session import GracefulPreparedRequest, GracefulSession, attempts_of
from luco_client.transport._streams import GracefulResponse
from luco_client.transport._throttle import (
    MemoryBackend,
    RedisBackend,
    SQLiteBackend,
    Throttle,
    ThrottleBackend,
    ThrottleRule,
)

__all__ = [
    "GracefulSession",
    "GracefulPreparedRequest",
    "GracefulAdapter",
    "GracefulRetry",
    "OverrideRetryOn",
    "parse_retry_after",
    "DEFAULT_RETRY_ON",
    "SAFE_METHODS",
    "Throttle",
    "ThrottleRule",
    "ThrottleBackend",
    "MemoryBackend",
    "SQLiteBackend",
    "RedisBackend",
    "ConcurrencyLimit",
    "Timeout",
    "DEFAULT_TIMEOUT",
    "CallOptions",
    "CallSettings",
    "UNSET",
    "INHERIT",
    "BodyConsumer",
    "DownloadProgress",
    "DownloadResult",
    "GracefulResponse",
    "BearerTokenAuth",
    "AccessToken",
    "ApiKeyAuth",
    "raise_for_status",
    "status_error",
    "attempts_of",
    "AttemptInfo",
    "RetryState",
    "AttemptHook",
    "bypass",
    "Replay",
    "ReplayStorage",
    "SQLiteReplayStorage",
    "JSONDirReplayStorage",
    "RedisReplayStorage",
]

publish(__name__, globals())
