"""The client layer's pipeline: one call of an :class:`~luco_client.client.ApiClient`.

Order of operations (``self.get(Api.GET_POKEMON, {"NAME": name})``):

1. the settings are merged once: call > method override (``@graceful``) > endpoint >
   namespace > client > defaults, into a frozen
   :class:`~luco_client.client.ResolvedSettings`;
2. the URL is built: ``BASE_URL`` + the endpoint path, each placeholder value escaped as
   one path segment; the unformatted URL is the stats key (``UURL``), the endpoint as
   declared gives ``ENDPOINT``/``UENDPOINT``;
3. the call goes through the client's one :class:`~luco_client.transport.GracefulSession`
   (``session.request``, so proxies and CA bundles from the environment apply) carrying
   its resolved settings as :class:`~luco_client.transport.CallOptions` (the same fields,
   passed on as they are), and the session runs the attempt loop: hooks, pauses, slots,
   throttle, send, validators, retry;
4. the final response meets the status policy and the parser (see :mod:`._parsers`).

The pipeline knows the objects it serves only through small protocols, so the client
modules import each other one way: verbs < caller < pipeline < namespaces < client.
"""

from __future__ import annotations

import typing as t

from luco_client._redact import redact_url
from luco_client.client._config import Settings
from luco_client.client._context import RequestContext
from luco_client.client._endpoint import Endpoint, as_endpoint, join_url, origin_of
from luco_client.client._merge import ResolvedSettings
from luco_client.client._overrides import active_override
from luco_client.client._parsers import handle_response, mapped_status_error
from luco_client.client._policy import success_statuses
from luco_client.client._throttles import InstanceThrottles
from luco_client.errors import ConfigurationError, HTTPStatusError
from luco_client.transport import AttemptInfo, CallOptions, CallSettings, GracefulSession, RetryState

__all__ = ["CallPipeline", "Resolver", "HookTarget"]

_SHARED = CallSettings.setting_fields()


class Resolver(t.Protocol):
    """What the pipeline needs from the client or namespace making a call."""

    def _luco_resolve(self, endpoint: t.Any = None, method_settings: t.Optional[t.Tuple[str, Settings]] = None,
                      call: t.Optional[Settings] = None) -> ResolvedSettings: ...


class HookTarget(t.Protocol):
    """A client whose ``before``/``after`` hooks run around every attempt."""

    def before(self, context: RequestContext) -> None: ...

    def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: RetryState) -> None: ...


class _ClientHooks:
    """The transport hook of one call: forwards every attempt to the client's
    ``before``/``after`` with the call's context."""

    __slots__ = ("context", "target")

    def __init__(self, target: HookTarget, context: RequestContext) -> None:
        self.target = target
        self.context = context

    def before(self, info: AttemptInfo) -> None:
        self.target.before(self.context.at_attempt(info.number, info.max_attempts, redact_url(info.url)))

    def after(self, info: AttemptInfo, result: t.Any, retry: RetryState) -> None:
        self.target.after(self.context.at_attempt(info.number, info.max_attempts, redact_url(info.url)), result,
                          retry)


class CallPipeline:
    """Performs the calls of one root client (its session, throttles, credentials, hooks).

    :param owner: the root client (``@graceful`` overrides are looked up for it).
    :param session: the client's one session.
    :param throttles: the client's per-instance throttle copies.
    :param auth: credentials applied to calls to ``auth_origin`` only.
    :param hooks: the client, when it overrides ``before``/``after``; else ``None``.
    """

    def __init__(self, owner: t.Any, session: GracefulSession, throttles: InstanceThrottles, *,
                 auth: t.Any = None, auth_origin: t.Optional[t.Tuple[str, str, int]] = None,
                 hooks: t.Optional[HookTarget] = None) -> None:
        self.owner = owner
        self.session = session
        self.throttles = throttles
        self.auth = auth
        self.auth_origin = auth_origin
        self.hooks = hooks

    def options(self, resolved: ResolvedSettings, **wiring: t.Any) -> CallOptions:
        """The call's transport options: its resolved settings as they are (the throttle
        swapped for this client's instance copy), plus the call's wiring."""
        shared = {name: getattr(resolved, name) for name in _SHARED}
        shared["throttling"] = self.throttles.throttle_for(resolved.throttling)
        # Checked already: the settings when they were declared, the wiring here.
        return CallOptions.trusted(**shared, success_statuses=success_statuses(resolved), **wiring)

    def perform(self, caller: Resolver, method: str, endpoint: t.Any,
                endpoint_args: t.Optional[t.Mapping[str, t.Any]], *, call: t.Optional[Settings],
                kwargs: t.Dict[str, t.Any]) -> t.Any:
        """One call: merge, build the URL, send through the session, parse."""
        ep: Endpoint = as_endpoint(endpoint)
        if "timeout" in kwargs:
            timeout = kwargs.pop("timeout")
            if call is not None and call.is_set("timeout"):
                raise ConfigurationError("timeout= and settings=Settings(timeout=...) both given; keep one")
            call = Settings.from_values({**(call.set_fields() if call is not None else {}), "timeout": timeout})
        override = active_override(self.owner)
        resolved = caller._luco_resolve(ep, (override.name, override.settings) if override else None, call)
        path = ep.format(endpoint_args)
        url = join_url(resolved.base_url, path, ep.label)
        template = redact_url(join_url(resolved.base_url, ep.path, ep.label))
        retry = resolved.retry
        context = RequestContext(
            method=method, url=redact_url(url), url_template=template, endpoint=ep.path, endpoint_name=ep.label,
            endpoint_args={str(k): str(v) for k, v in (endpoint_args or {}).items()}, settings=resolved,
            caller=override.name if override else None, attempt=0,
            max_attempts=retry.max_attempts if retry is not None else 1, _pause=self.session.pause,
            endpoint_path=redact_url(path))
        options = self.options(resolved, url_template=template, endpoint=path, endpoint_template=ep.path,
                               hooks=(_ClientHooks(self.hooks, context),) if self.hooks is not None else ())
        if method == "HEAD":
            kwargs.setdefault("allow_redirects", False)  # as requests' Session.head
        if self.auth is not None and kwargs.get("auth") is None and origin_of(url) == self.auth_origin:
            kwargs["auth"] = self.auth  # credentials go to the API's own origin only
        try:
            response = self.session.request(method, url, options=options, **kwargs)
        except HTTPStatusError as exc:
            mapped = mapped_status_error(exc, context)
            if mapped is not None:
                raise mapped from exc
            raise
        return handle_response(response, context)
