"""ApiClient: describe an API once (base URL, endpoints, policies), call it gracefully.

The client holds what its calls share (one session, statistics, throttle copies,
credentials, hooks); each call runs through :class:`._pipeline.CallPipeline` (see there
for the order of operations).
"""

from __future__ import annotations

import typing as t

from luco_client._clock import SYSTEM_CLOCK, Clock
from luco_client._redact import redact_url
from luco_client.client._caller import Caller, config_of
from luco_client.client._config import Settings
from luco_client.client._context import RequestContext
from luco_client.client._endpoint import check_base_url, origin_of
from luco_client.client._merge import Layer, default_settings
from luco_client.client._namespaces import instantiate_namespaces
from luco_client.client._pipeline import CallPipeline
from luco_client.client._throttles import InstanceThrottles
from luco_client.errors import ConfigurationError
from luco_client.stats import Stats
from luco_client.transport import GracefulRetry, GracefulSession, Replay, RetryState

if t.TYPE_CHECKING:
    import requests

    from luco_client.stats import StatsSnapshot

__all__ = ["ApiClient"]

_CONFIG_NAMES = frozenset({"BASE_URL", "SETTINGS", "REQUEST_TIMEOUT"})
#: Session arguments the client sets itself from the merged settings.
_SETTINGS_KWARGS = frozenset({"throttle", "concurrency", "retry", "timeout", "log_request", "log_response",
                          "log_errors", "stats", "clock", "adapter", "replay"})


class ApiClient(Caller):
    """Base class of declarative API clients (gracy's ``Gracy``, synchronous).

    Describe the API in a nested ``Config``:

    * ``BASE_URL``: prepended to relative endpoint paths;
    * ``SETTINGS``: the client-level :class:`Settings`;
    * ``REQUEST_TIMEOUT``: seconds (or a :class:`~luco_client.transport.Timeout`), the
      client-level timeout; setting it and ``SETTINGS.timeout`` is a ConfigurationError.

    Methods call ``self.get/post/put/patch/delete/head/options(endpoint, args, ...)``;
    annotated :class:`Namespace` attributes are instantiated per client.

    :param replay: a :class:`~luco_client.transport.Replay` to record every exchange to, or
        to answer from without the network (``Replay("replay", storage)``); shared by all
        the client's sessions. Default ``None``: live.
    :param base_url: overrides ``Config.BASE_URL`` for this instance.
    :param settings: instance settings, merged over ``Config.SETTINGS`` (same "client"
        level). A :class:`~luco_client.transport.Throttle` given here is used as it is, so
        several clients can share one on purpose.
    :param stats: where attempts are counted; default a new
        :class:`~luco_client.stats.Stats` per instance (never shared by accident).
    :param auth: a requests auth object (such as
        :class:`~luco_client.transport.BearerTokenAuth` or
        :class:`~luco_client.transport.ApiKeyAuth`) applied to the calls made through the
        client's verbs whose URL has the origin (scheme, host, port) of the client's
        ``BASE_URL``. Requests to any other origin (an absolute endpoint on another host, a
        token endpoint, a pre-signed download URL through ``client.session``) never carry
        it, so one session can serve the API, its token endpoint and third-party hosts.
        A call's own ``auth=`` wins. Default ``None``.
    :param DEBUG_ENABLED: gracy's switch; accepted and ignored (configure logging for the
        ``luco_client`` logger instead).
    :param session_kwargs: passed to :meth:`build_session` and on to
        :class:`~luco_client.transport.GracefulSession` (``idempotency_header``,
        ``credential_headers``, ``validators``, ``hooks``, ``pool_maxsize``...).

    State is per instance: stats, sessions, throttle buckets, slots and pauses.
    """

    class Config:
        """The client's declaration: ``BASE_URL``, ``SETTINGS``, ``REQUEST_TIMEOUT``."""

        BASE_URL: t.Optional[str] = None
        SETTINGS: t.Optional[Settings] = None
        REQUEST_TIMEOUT: t.Any = None

    def __init__(
        self,
        replay: t.Optional[Replay] = None,
        *,
        base_url: t.Optional[str] = None,
        settings: t.Optional[Settings] = None,
        stats: t.Optional[Stats] = None,
        clock: Clock = SYSTEM_CLOCK,
        auth: t.Any = None,
        DEBUG_ENABLED: bool = False,
        **session_kwargs: t.Any,
    ) -> None:
        cls = type(self)
        if "_create_client" in vars(cls) or any("_create_client" in vars(k) for k in cls.__mro__[1:-1]
                                                 if k is not ApiClient and issubclass(k, ApiClient)):
            raise ConfigurationError(f"{cls.__name__} overrides gracy's _create_client(), which is never called "
                                     "here: override build_session(**kwargs) and return a GracefulSession")
        config = config_of(cls, _CONFIG_NAMES)
        reserved = sorted(set(session_kwargs) & _SETTINGS_KWARGS)
        if reserved:
            raise ConfigurationError(f"{cls.__name__}: {reserved} are set through Settings (throttling=, "
                                     "concurrent_requests=, retry=, timeout=, log_*=) or stats=/clock=, not as "
                                     "session arguments")
        if settings is not None and not isinstance(settings, Settings):
            raise ConfigurationError(f"{cls.__name__}: settings must be a Settings, got {settings!r}")
        if stats is not None and not isinstance(stats, Stats):
            raise ConfigurationError(f"{cls.__name__}: stats must be a Stats, got {stats!r}")
        self._luco_root = self
        self._luco_path = cls.__name__
        self.clock = clock
        #: The request statistics of this client (all its methods and namespaces).
        self.stats: Stats = stats if stats is not None else Stats()
        layers = [Layer("default", default_settings(GracefulRetry(clock=clock)), "default")]
        declared = config.get("SETTINGS")
        timeout = config.get("REQUEST_TIMEOUT")
        if timeout is not None:
            if declared is not None and declared.is_set("timeout"):
                raise ConfigurationError(f"{cls.__name__}.Config: REQUEST_TIMEOUT and SETTINGS.timeout are both "
                                         "set; keep one")
            layers.append(Layer("client", Settings(timeout=timeout), f"{cls.__name__}.Config.REQUEST_TIMEOUT"))
        if declared is not None:
            layers.append(Layer("client", declared, f"{cls.__name__}.Config.SETTINGS"))
        if settings is not None:
            layers.append(Layer("client", settings, f"{cls.__name__}(settings=...)"))
        self._luco_layers = tuple(layers)
        if base_url is not None:
            self._luco_base_url = check_base_url(base_url, f"{cls.__name__}(base_url=...)")
        else:
            self._luco_base_url = check_base_url(config.get("BASE_URL"), f"{cls.__name__}.Config")
        self._luco_base_url_source = "client"
        if auth is not None and not callable(auth):
            raise ConfigurationError(f"{cls.__name__}: auth must be a requests auth object (callable), got {auth!r}")
        owned = [settings.throttling] if settings is not None and settings.is_set("throttling") \
            and settings.throttling is not None else []
        if replay is not None:
            session_kwargs["replay"] = replay
        self._throttles = InstanceThrottles(owned)
        main = self._luco_resolve()
        session = self.build_session(**dict(
            session_kwargs, stats=self.stats, clock=clock, throttle=self._throttles.throttle_for(main.throttling),
            concurrency=main.concurrent_requests or (), retry=main.retry, timeout=main.timeout,
            log_request=main.log_request, log_response=main.log_response, log_errors=main.log_errors))
        if not isinstance(session, GracefulSession):
            raise ConfigurationError(f"build_session must return a GracefulSession, got {type(session).__name__}")
        self._session = session
        hooked = type(self).before is not ApiClient.before or type(self).after is not ApiClient.after
        self._luco_pipeline = CallPipeline(self, session, self._throttles, auth=auth,
                                           auth_origin=origin_of(self._luco_base_url) if self._luco_base_url else None,
                                           hooks=self if hooked else None)
        instantiate_namespaces(self)

    # ------------------------------------------------------------------ customisation

    def build_session(self, **kwargs: t.Any) -> GracefulSession:
        """Build the client's session (once, in ``__init__``). Override to customise it::

            def build_session(self, **kwargs):
                session = super().build_session(**kwargs)
                session.headers["Authorization"] = f"token {self._token}"
                return session

        ``kwargs`` are the :class:`~luco_client.transport.GracefulSession` arguments:
        the constructor's ``session_kwargs`` plus the client-level throttle, concurrency,
        retry, timeout, log events, stats and clock (what ``client.session.get(...)``
        uses). Calls made through the client's verbs carry their own resolved settings
        (method, endpoint, namespace levels included) as per-call options, so one session
        serves them all. Must return a GracefulSession.
        """
        return GracefulSession(**kwargs)

    def before(self, context: RequestContext) -> None:
        """Hook: called before every attempt (the first and each retry), outside the
        concurrency slot. Requests made here skip hooks, throttle, pauses, slots and
        retries. Default: nothing."""

    def after(self, context: RequestContext, response_or_exc: t.Union[requests.Response, BaseException],
              retry_state: RetryState) -> None:
        """Hook: called after every attempt with the response (error statuses included) or
        the typed error (or a validator's exception), and ``retry_state`` (will it retry,
        after which delay, why). Same types on every attempt. Default: nothing."""

    # ------------------------------------------------------------------ state

    @property
    def session(self) -> GracefulSession:
        """The client's session (client-level settings; every call of the client goes
        through it, with its own resolved settings)."""
        return self._session

    def pause(self, seconds: float, pattern: t.Optional[str] = None) -> None:
        """Hold this client's requests for ``seconds`` from now: all of them, or those whose
        URL or URL template matches the regular expression ``pattern``."""
        self._session.pause(seconds, pattern)

    def report_status(self, kind: str = "logger", **kwargs: t.Any) -> t.Any:
        """Report this client's statistics: ``"logger"``, ``"list"``, ``"rich"``,
        ``"plotly"`` or ``"json"``; see :func:`luco_client.reports.report_status` for the
        forms and the keyword arguments (``logger=``, ``file=``, ``title=``). Never
        changes the statistics."""
        from luco_client.reports import report_status  # noqa: PLC0415 - optional renderers load on demand

        return report_status(self.stats, kind, **kwargs)

    def snapshot(self) -> StatsSnapshot:
        """An immutable copy of this client's statistics."""
        return self.stats.snapshot()

    def close(self) -> None:
        """Close the client's sessions (their connection pools)."""
        self._session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {redact_url(self._luco_base_url or '')}>"
