"""GracefulAdapter: a requests ``HTTPAdapter`` that drives the attempt loop itself."""

from __future__ import annotations

import logging
import typing as t

import requests
from requests.adapters import HTTPAdapter

from luco_client._clock import SYSTEM_CLOCK, Clock
from luco_client._fields import UNSET, Layer, layered
from luco_client._redact import redact_url
from luco_client.errors import ConfigurationError, ReplayMissError
from luco_client.events import LogEvent, LogLevel, RedactingFilter
from luco_client.stats import Stats
from luco_client.transport._attempts import CallRunner
from luco_client.transport._compat import NO_RETRY, ensure_complete_body
from luco_client.transport._concurrency import ConcurrencyGate, ConcurrencyLimit
from luco_client.transport._hooks import PauseBoard, check_hooks
from luco_client.transport._options import DEFAULT_OPTIONS, DEFAULT_TIMEOUT, CallOptions, CallSettings, Timeout
from luco_client.transport._replay import Replay
from luco_client.transport._retry import GracefulRetry
from luco_client.transport._throttle import Throttle, ThrottleRule
from luco_client.transport._wire import TRACKED_POOLS

__all__ = ["GracefulAdapter"]

#: urllib3 loggers whose DEBUG records carry request lines (query strings included).
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")
_redaction_installed = False


def _scrub_urllib3_logs() -> None:
    """Attach a RedactingFilter to urllib3's request-line loggers, once.

    urllib3 logs ``"GET /path?api_key=... HTTP/1.1" 200`` at DEBUG. A logger-level filter
    scrubs those records where they are created; no level, handler or propagation changes.
    Done when the first adapter is built, never at import.
    """
    global _redaction_installed
    if _redaction_installed:
        return
    _redaction_installed = True
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def _fits(response: requests.Response, limit: t.Optional[int]) -> bool:
    """Whether a body may be read into memory: no limit, or an announced length within it."""
    if limit is None:
        return True
    try:
        return int(response.headers.get("Content-Length", "")) <= limit
    except ValueError:
        return False


class GracefulAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that retries, throttles, limits concurrency, times and counts.

    Each call to :meth:`send` is one logical call. Every attempt of it waits for a
    concurrency slot and the throttle, is sent through urllib3 exactly once (urllib3's own
    retries are disabled), has its body read and validated inside the attempt, and is
    recorded in :attr:`stats`. The :class:`GracefulRetry` policy decides what follows a
    failure, under the retry-safety rule.

    :param retry: the default policy; ``None`` disables retries. Default ``GracefulRetry()``.
    :param throttle: a :class:`Throttle` (or rules), or ``None`` (default) for no
        client-side limit. gracy's ``throttling=`` is accepted too.
    :param concurrency: one or several :class:`ConcurrencyLimit` (global and per pattern),
        or a number of global slots. gracy's ``concurrent_requests=`` is accepted too.
    :param timeout: default :class:`Timeout` (connect 5 s, read 30 s); a call's requests
        ``timeout=`` or ``CallOptions.timeout`` overrides it. Never infinite.
    :param idempotency_header: a header name such as ``"Idempotency-Key"``. When set, each
        logical call with a non-safe method gets one random key, reused on every attempt
        (a key the caller set is kept), and becomes retry-safe. Default ``None``: off.
    :param validators: default response validators (see :class:`CallOptions`).
    :param hooks: default attempt hooks, run before those of ``CallOptions.hooks`` (objects
        with ``before(info)`` / ``after(info, result, retry)``).
    :param replay: a :class:`Replay` to record exchanges to, or to answer from without
        the network. Default ``None``: every attempt is live and nothing is stored.
    :param stats: where attempts are counted; default a new :class:`~luco_client.stats.Stats`.
    :param log_request: event before each attempt (default DEBUG).
    :param log_response: event after each attempt that got a response (default DEBUG).
    :param log_errors: event after each failed attempt (default WARNING).
    :param clock: time source (tests inject a fake one).
    :param pool_maxsize: connections kept per host; default max(10, global concurrency).
    """

    def __init__(
        self,
        *,
        retry: t.Optional[GracefulRetry] = UNSET,
        throttle: t.Union[Throttle, ThrottleRule, t.Sequence[ThrottleRule], None] = None,
        concurrency: t.Union[int, ConcurrencyLimit, t.Sequence[ConcurrencyLimit], None] = None,
        timeout: t.Union[Timeout, float, t.Tuple[float, float], None] = None,
        idempotency_header: t.Optional[str] = None,
        validators: t.Sequence[t.Callable[[requests.Response], None]] = (),
        hooks: t.Sequence[t.Any] = (),
        replay: t.Optional[Replay] = None,
        stats: t.Optional[Stats] = None,
        log_request: t.Optional[LogEvent] = LogEvent(LogLevel.DEBUG),
        log_response: t.Optional[LogEvent] = LogEvent(LogLevel.DEBUG),
        log_errors: t.Optional[LogEvent] = LogEvent(LogLevel.WARNING),
        clock: Clock = SYSTEM_CLOCK,
        pool_connections: int = 10,
        pool_maxsize: t.Optional[int] = None,
        pool_block: bool = False,
        throttling: t.Any = UNSET,
        concurrent_requests: t.Any = UNSET,
    ) -> None:
        if throttling is not UNSET:  # gracy's spellings
            if throttle is not None:
                raise ConfigurationError("throttling= is another name for throttle=; give one")
            throttle = throttling
        if concurrent_requests is not UNSET:
            if concurrency is not None:
                raise ConfigurationError("concurrent_requests= is another name for concurrency=; give one")
            concurrency = concurrent_requests
        self.defaults = CallSettings(
            retry=GracefulRetry(clock=clock) if retry is UNSET else retry, timeout=timeout, deadline=None,
            idempotent=None, validators=tuple(validators), throttling=throttle, concurrent_requests=concurrency or (),
            log_request=log_request, log_response=log_response, log_errors=log_errors)
        limits = t.cast(t.Tuple[ConcurrencyLimit, ...], self.defaults.concurrent_requests or ())
        self.gate = ConcurrencyGate(limits)
        self.idempotency_header = idempotency_header
        self.validators = tuple(validators)
        self.hooks = check_hooks(hooks, "GracefulAdapter")
        self.pauses = PauseBoard(clock)
        if replay is not None and not isinstance(replay, Replay):
            raise ConfigurationError(f"replay must be a Replay or None, got {type(replay).__name__}")
        self.replay = replay
        self.stats = stats if stats is not None else Stats()
        self.clock = clock
        if pool_maxsize is None:
            global_limits = [limit.limit for limit in limits if limit.pattern is None]
            pool_maxsize = max([10, *global_limits])
        _scrub_urllib3_logs()
        super().__init__(pool_connections=pool_connections, pool_maxsize=pool_maxsize,
                         max_retries=NO_RETRY, pool_block=pool_block)

    # The session-level settings, read from (and written to) ``defaults``.
    retry = property(lambda self: self.defaults.retry,
                     lambda self, value: self._set_default(retry=value), doc="The default retry policy.")
    throttle = property(lambda self: self.defaults.throttling,
                        lambda self, value: self._set_default(throttling=value), doc="The default throttle.")
    timeout = property(lambda self: self.defaults.timeout or DEFAULT_TIMEOUT,
                       lambda self, value: self._set_default(timeout=value), doc="The default timeout.")
    validators = property(lambda self: self.defaults.validators or (),
                          lambda self, value: self._set_default(validators=tuple(value)), doc="The default validators.")
    log_request = property(lambda self: self.defaults.log_request,
                           lambda self, value: self._set_default(log_request=value), doc="The request event.")
    log_response = property(lambda self: self.defaults.log_response,
                            lambda self, value: self._set_default(log_response=value), doc="The response event.")
    log_errors = property(lambda self: self.defaults.log_errors,
                          lambda self, value: self._set_default(log_errors=value), doc="The failure event.")

    def _set_default(self, **change: t.Any) -> None:
        self.defaults = self.defaults.replace(**change)

    @property
    def defaults(self) -> CallSettings:
        """The session's own settings (the lowest layer of every call's merge)."""
        return self._defaults

    @defaults.setter
    def defaults(self, value: CallSettings) -> None:
        self._defaults = value
        # The merge of these defaults with a call that sets nothing, done once; a field the
        # defaults leave unset is off (None), as an unset setting of the last layer is.
        names = CallSettings.setting_fields()
        merged, _ = layered([Layer("session", value, "session")], names)
        self.default_values = {name: merged.get(name) for name in names}

    def pause(self, seconds: float, pattern: t.Optional[str] = None) -> None:
        """Hold the attempts of this adapter for ``seconds`` from now: all of them, or those
        whose URL or URL template matches the regular expression ``pattern`` (one lane).
        Attempts already on the wire are not affected; a call whose deadline ends before the
        pause does fails with DeadlineExceededError at once. Requests inside a hook or
        :func:`bypass` are not held."""
        self.pauses.pause(seconds, pattern)

    def __getstate__(self) -> t.Dict[str, t.Any]:
        """Refused: the adapter holds locks, semaphores and throttle connections that cannot
        travel to another process. Build one session per process instead."""
        raise ConfigurationError("a GracefulAdapter (and a GracefulSession) cannot be serialised to "
                                 "another process: build one per process with the same settings")

    def send(  # noqa: PLR0917 - requests' own signature
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: t.Any = None,
        verify: t.Union[bool, str] = True,
        cert: t.Any = None,
        proxies: t.Optional[t.Mapping[str, str]] = None,
    ) -> requests.Response:
        """Perform one logical call (all its attempts) and return the final response.

        Raises the typed errors of :mod:`luco_client.errors` (never a ``requests``
        exception): see :class:`GracefulRetry` for when each is raised.
        """
        options: CallOptions = getattr(request, "luco_options", None) or DEFAULT_OPTIONS
        runner = CallRunner(self, request, options, timeout)
        return runner.run({"stream": stream, "verify": verify, "cert": cert, "proxies": proxies})

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: t.Any) -> None:
        """As requests does, then install the connection classes that report when an
        attempt's first byte leaves (the evidence behind NOT_SENT vs SENT_NO_RESPONSE)."""
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(TRACKED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: t.Any) -> t.Any:
        """As requests does; HTTP(S) proxies get the tracking connection classes too (SOCKS
        proxies keep urllib3's own, and their failures are classified conservatively)."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager).__name__ == "ProxyManager":
            manager.pool_classes_by_scheme = dict(TRACKED_POOLS)
        return manager

    def send_once(self, request: requests.PreparedRequest, *, preload_limit: t.Optional[int] = None,
                  **kwargs: t.Any) -> requests.Response:
        """One attempt: one urllib3 request, no retries. The body is read inside the
        attempt unless streaming; a streamed body is read too when a recording needs it
        (up to ``preload_limit`` announced bytes, when given: a larger download stays
        streamed, unrecorded)."""
        if self.replay is not None and self.replay.offline:  # the no-network guarantee
            raise ReplayMissError("replay mode: this session never sends requests",
                                  method=str(request.method), url=redact_url(request.url or ""))
        response = super().send(request, **kwargs)
        recording = self.replay is not None and self.replay.mode != "replay"
        if not kwargs.get("stream") or (recording and _fits(response, preload_limit)):
            response.content  # noqa: B018 - read the body inside the attempt (timed, retryable)
            ensure_complete_body(response)
        return response
