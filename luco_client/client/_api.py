"""ApiClient: describe an API once (base URL, endpoints, policies), call it gracefully.

Order of operations of one call (``self.get(Api.GET_POKEMON, {"NAME": name})``):

1. the settings are merged once: call > method override (``@graceful``) > endpoint >
   namespace > client > defaults, into a frozen :class:`ResolvedSettings`;
2. the URL is built: ``BASE_URL`` + the endpoint path, each placeholder value escaped as
   one path segment; the unformatted URL is the stats key (``UURL``);
3. the call goes through the client's :class:`~luco_client.transport.GracefulSession`
   (``session.request``, so proxies and CA bundles from the environment apply) with its
   resolved settings as per-call options (throttle, concurrency limits, log events, retry,
   timeout, validators), and the session runs the attempt loop: hooks, pauses, slots,
   throttle, send, validators, retry;
4. the final response meets the status policy and the parser (see :mod:`._parsers`).
"""

from __future__ import annotations

import typing as t

from luco_client._clock import SYSTEM_CLOCK, Clock
from luco_client._redact import redact_url
from luco_client.client._caller import Caller, config_of
from luco_client.client._config import Settings
from luco_client.client._context import RequestContext
from luco_client.client._endpoint import as_endpoint, check_base_url, join_url, origin_of
from luco_client.client._merge import Layer, default_settings
from luco_client.client._namespaces import instantiate_namespaces
from luco_client.client._overrides import active_override
from luco_client.client._parsers import handle_response, mapped_status_error
from luco_client.client._policy import success_statuses
from luco_client.client._throttles import InstanceThrottles
from luco_client.errors import ConfigurationError, HTTPStatusError
from luco_client.stats import Stats
from luco_client.transport import AttemptInfo, CallOptions, GracefulRetry, GracefulSession, Replay, RetryState

if t.TYPE_CHECKING:
    import requests

    from luco_client.stats import StatsSnapshot

__all__ = ["ApiClient"]

_CONFIG_NAMES = frozenset({"BASE_URL", "SETTINGS", "REQUEST_TIMEOUT"})
#: Session arguments the client sets itself from the merged settings.
_SETTINGS_KWARGS = frozenset({"throttle", "concurrency", "retry", "timeout", "log_request", "log_response",
                          "log_errors", "stats", "clock", "adapter", "replay"})


class _ClientHooks:
    """The transport hook of one call: forwards every attempt to the client's
    ``before``/``after`` with the call's context."""

    __slots__ = ("client", "context")

    def __init__(self, client: ApiClient, context: RequestContext) -> None:
        self.client = client
        self.context = context

    def before(self, info: AttemptInfo) -> None:
        self.client.before(self.context.at_attempt(info.number, info.max_attempts, redact_url(info.url)))

    def after(self, info: AttemptInfo, result: t.Any, retry: RetryState) -> None:
        self.client.after(self.context.at_attempt(info.number, info.max_attempts, redact_url(info.url)), result, retry)


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
        **session_kwargs: t.Any,
    ) -> None:
        cls = type(self)
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
        self._auth = auth
        self._auth_origin = origin_of(self._luco_base_url) if self._luco_base_url else None
        owned = [settings.throttling] if settings is not None and settings.is_set("throttling") \
            and settings.throttling is not None else []
        if replay is not None:
            session_kwargs["replay"] = replay
        self._throttles = InstanceThrottles(owned)
        main = self._luco_resolve()
        session = self.build_session(**dict(
            session_kwargs, stats=self.stats, clock=clock, throttle=self._throttles.throttle_for(main.throttling),
            concurrency=list(main.concurrent_requests or ()), retry=main.retry, timeout=main.timeout,
            log_request=main.log_request, log_response=main.log_response, log_errors=main.log_errors))
        if not isinstance(session, GracefulSession):
            raise ConfigurationError(f"build_session must return a GracefulSession, got {type(session).__name__}")
        self._session = session
        self._hooked = type(self).before is not ApiClient.before or type(self).after is not ApiClient.after
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

    # ------------------------------------------------------------------ one call

    def _luco_perform(self, caller: Caller, method: str, endpoint: t.Any,
                      endpoint_args: t.Optional[t.Mapping[str, t.Any]], *, call: t.Optional[Settings],
                      kwargs: t.Dict[str, t.Any]) -> t.Any:
        ep = as_endpoint(endpoint)
        if "timeout" in kwargs:
            timeout = kwargs.pop("timeout")
            if call is not None and call.is_set("timeout"):
                raise ConfigurationError("timeout= and settings=Settings(timeout=...) both given; keep one")
            call = Settings.from_values({**(call.set_fields() if call is not None else {}), "timeout": timeout})
        override = active_override(self)
        resolved = caller._luco_resolve(ep, (override.name, override.settings) if override else None, call)
        url = join_url(resolved.base_url, ep.format(endpoint_args), ep.label)
        template = redact_url(join_url(resolved.base_url, ep.path, ep.label))
        retry = resolved.retry
        context = RequestContext(
            method=method, url=redact_url(url), url_template=template, endpoint=ep.path, endpoint_name=ep.label,
            endpoint_args={str(k): str(v) for k, v in (endpoint_args or {}).items()}, settings=resolved,
            caller=override.name if override else None, attempt=0,
            max_attempts=retry.max_attempts if retry is not None else 1, _pause=self._session.pause)
        validators = tuple(v.check if callable(getattr(v, "check", None)) else v for v in resolved.validators or ())
        options = CallOptions(
            url_template=template, idempotent=resolved.idempotent, retry=retry, timeout=resolved.timeout,
            deadline=resolved.deadline, validators=validators, success_statuses=success_statuses(resolved),
            hooks=(_ClientHooks(self, context),) if self._hooked else (),
            throttle=self._throttles.throttle_for(resolved.throttling),
            concurrency=tuple(resolved.concurrent_requests or ()), log_request=resolved.log_request,
            log_response=resolved.log_response, log_errors=resolved.log_errors)
        if method == "HEAD":
            kwargs.setdefault("allow_redirects", False)  # as requests' Session.head
        if self._auth is not None and kwargs.get("auth") is None and origin_of(url) == self._auth_origin:
            kwargs["auth"] = self._auth  # credentials go to the API's own origin only
        session = self._session
        try:
            response = session.request(method, url, options=options, **kwargs)
        except HTTPStatusError as exc:
            mapped = mapped_status_error(exc, context)
            if mapped is not None:
                raise mapped from exc
            raise
        return handle_response(response, context)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {redact_url(self._luco_base_url or '')}>"
