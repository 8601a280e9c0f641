"""GracefulSession: a requests ``Session`` with the graceful adapter mounted."""

from __future__ import annotations

import inspect
import os
import threading
import typing as t
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
from requests.utils import get_environ_proxies, get_netrc_auth

from luco_client._redact import is_secret_name, redact_url
from luco_client.errors import (
    AttemptRecord,
    ConfigurationError,
    InvalidRequestError,
    LucoClientError,
    Phase,
    RedirectError,
    TooManyRedirectsError,
)
from luco_client.reports import report_status
from luco_client.stats import Stats
from luco_client.transport._adapter import GracefulAdapter
from luco_client.transport._bodies import body_resendable
from luco_client.transport._download import DownloadProgress, DownloadResult, download
from luco_client.transport._options import CallOptions
from luco_client.transport._phases import INVALID_INPUT, describe_input_error
from luco_client.transport._prepare import merge_setting, prepare_request

__all__ = ["GracefulSession", "GracefulPreparedRequest", "attempts_of"]

_pending = threading.local()
_ADAPTER_KWARGS = frozenset(inspect.signature(GracefulAdapter.__init__).parameters) - {"self"}
#: What a redirect target the server sent can fail with while requests follows it.
_REDIRECT_INPUT: t.Tuple[t.Type[BaseException], ...] = (*INVALID_INPUT, UnicodeError, ValueError)
_BAD_INPUT: t.Tuple[t.Type[BaseException], ...] = (
    *INVALID_INPUT, TypeError, ValueError, UnicodeError, AttributeError, KeyError, IndexError)


def _check_tls_and_proxies(proxies: t.Any, verify: t.Any, cert: t.Any) -> None:
    if proxies is not None and not isinstance(proxies, Mapping):
        raise InvalidRequestError(f"proxies must be a mapping such as {{'https': 'http://proxy:3128'}}, "
                                  f"got {type(proxies).__name__}")
    if verify is not None and not isinstance(verify, (bool, str, os.PathLike)):
        raise InvalidRequestError(f"verify must be True, False or a CA bundle path, got {type(verify).__name__}")
    if isinstance(verify, (str, os.PathLike)) and not os.path.exists(verify):
        raise InvalidRequestError(f"verify: no CA bundle at {os.fspath(verify)!r}")
    if cert is None:
        return
    files = [cert] if isinstance(cert, (str, os.PathLike)) else cert
    if not isinstance(files, (tuple, list)) or not 1 <= len(files) <= 2 or not all(
            isinstance(f, (str, os.PathLike)) for f in files):
        raise InvalidRequestError("cert must be a path or a (certificate, key) pair of paths")
    for path in files:
        if not os.path.exists(path):
            raise InvalidRequestError(f"cert: no file at {os.fspath(path)!r}")


def _environ_bundle() -> t.Optional[str]:
    """The CA bundle the environment names, as requests reads it."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _check_environ_bundle(bundle: t.Any) -> None:
    """A CA bundle named by REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE must exist (requests would
    fail later with a bare OSError)."""
    if isinstance(bundle, (str, os.PathLike)) and not os.path.exists(bundle):
        raise InvalidRequestError(f"verify: no CA bundle at {os.fspath(bundle)!r} (from the environment: "
                                  "REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE)")


def attempts_of(response: requests.Response) -> t.Tuple[AttemptRecord, ...]:
    """The attempt history of a response returned by the graceful transport (empty for a
    response that did not come through it)."""
    return tuple(getattr(response, "luco_attempts", ()))


class GracefulPreparedRequest(requests.PreparedRequest):
    """A PreparedRequest that carries its :class:`CallOptions` and credential header names
    through ``copy()`` (redirect hops and re-authentication copy the request)."""

    luco_options: t.Optional[CallOptions] = None
    credential_headers: t.FrozenSet[str] = frozenset()
    #: The call's deadline (the clock's monotonic seconds), kept by redirect hops: a hop is
    #: a call of its own through the adapter, within the same deadline.
    luco_deadline_at: t.Optional[float] = None

    def copy(self) -> GracefulPreparedRequest:
        p = super().copy()
        p.__class__ = GracefulPreparedRequest
        p = t.cast(GracefulPreparedRequest, p)
        p.luco_options = self.luco_options
        p.credential_headers = self.credential_headers
        p.luco_deadline_at = self.luco_deadline_at
        return p


class GracefulSession(requests.Session):
    """A ``requests.Session`` whose http:// and https:// traffic goes through a
    :class:`GracefulAdapter`.

    :param adapter: an adapter to mount; or leave it out and pass the adapter's keyword
        arguments (``retry=``, ``throttle=``, ``concurrency=``, ``timeout=``, ...) here.
    :param credential_headers: extra header names that hold credentials. They, every
        header whose name looks like a credential (``*key*``, ``*token*``, ``*auth*``,
        ``*secret*``, ...) and the names registered by the auth classes are removed when a
        redirect leaves the original scheme, host or port (requests itself only removes
        ``Authorization`` and ``Cookie``).
    :param environment_once: read the proxies (``HTTPS_PROXY``, ``NO_PROXY``...) and the CA
        bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) from the environment once per
        origin, at its first request, instead of on every request as requests does (a scan
        of the whole environment, the largest per-call cost of a small request), and the
        ``.netrc`` credentials (``NETRC``, ``~/.netrc``) once per host. Changes to those
        variables and files afterwards are not seen. Default ``False`` (requests' behaviour);
        the service clients (``LucoApi``, ``Dcipher``) turn it on.

    Every request method accepts ``options=CallOptions(...)`` for per-call settings.
    """

    def __init__(self, *, adapter: t.Optional[GracefulAdapter] = None,
                 credential_headers: t.Iterable[str] = (), environment_once: bool = False,
                 **adapter_kwargs: t.Any) -> None:
        super().__init__()
        self.environment_once = bool(environment_once)
        self._environment: t.Dict[t.Tuple[str, str], t.Tuple[t.Dict[str, str], t.Optional[str]]] = {}
        self._environment_lock = threading.Lock()
        self._netrc: t.Dict[str, t.Any] = {}  # host -> .netrc credentials (environment_once)
        if adapter is None:
            unknown = sorted(set(adapter_kwargs) - _ADAPTER_KWARGS)
            if unknown:
                raise ConfigurationError(
                    f"GracefulSession got unknown settings {unknown}; valid: {sorted(_ADAPTER_KWARGS)}")
            adapter = GracefulAdapter(**adapter_kwargs)
        elif adapter_kwargs:
            raise ConfigurationError("pass either adapter= or the adapter's keyword arguments, not both")
        self.adapter = adapter
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.credential_headers = frozenset(h.lower() for h in credential_headers)
        if adapter.replay is not None and adapter.replay.offline:
            # Nothing will be sent: skip requests' per-call scans of the environment (proxies,
            # CA bundles) and of ~/.netrc, the largest per-call costs of a replayed request.
            self.trust_env = False

    @property
    def stats(self) -> Stats:
        """The request statistics of this session's adapter."""
        return self.adapter.stats

    def report_status(self, kind: str = "logger", **kwargs: t.Any) -> t.Any:
        """Report this session's statistics: ``"logger"``, ``"list"``, ``"rich"``,
        ``"plotly"`` or ``"json"``; see :func:`luco_client.reports.report_status` (keyword
        arguments ``logger``, ``file`` and ``title`` go there). Never changes the stats."""
        return report_status(self.stats, kind, **kwargs)

    def pause(self, seconds: float, pattern: t.Optional[str] = None) -> None:
        """Hold this session's requests for ``seconds``: all of them, or one lane (the URLs
        or URL templates matching the regular expression ``pattern``). See
        :meth:`GracefulAdapter.pause`."""
        self.adapter.pause(seconds, pattern)

    def request(  # type: ignore[override]
        self, method: str, url: t.Any, *args: t.Any, options: t.Optional[CallOptions] = None, **kwargs: t.Any
    ) -> requests.Response:
        """Like ``requests.Session.request``, plus ``options`` for this call.

        A ``verify`` set on the session (a CA bundle path, or ``False``) applies to every
        call that does not pass its own; requests would let ``REQUESTS_CA_BUNDLE`` or
        ``CURL_CA_BUNDLE`` override it (requests issue 3829).
        """
        if self.verify is not True and kwargs.get("verify") is None and len(args) < 12:
            kwargs["verify"] = self.verify
        if options is not None and not isinstance(options, CallOptions):
            raise ConfigurationError(f"options must be CallOptions, got {type(options).__name__}")
        if not isinstance(method, (str, bytes)) or not method:
            raise InvalidRequestError(f"method must be a non-empty string such as 'GET', got {method!r}")
        previous = getattr(_pending, "options", None)
        _pending.options = options
        try:
            return super().request(method, url, *args, **kwargs)
        finally:
            _pending.options = previous

    # Typed shortcuts, so that type checkers accept ``options=`` (same behaviour as requests).

    def get(self, url: t.Any, params: t.Any = None, *, options: t.Optional[CallOptions] = None,
            **kwargs: t.Any) -> requests.Response:
        """GET; follows redirects unless ``allow_redirects=False``."""
        kwargs.setdefault("allow_redirects", True)
        return self.request("GET", url, params=params, options=options, **kwargs)

    def options(self, url: t.Any, *, options: t.Optional[CallOptions] = None,
                **kwargs: t.Any) -> requests.Response:
        """OPTIONS (the HTTP method)."""
        kwargs.setdefault("allow_redirects", True)
        return self.request("OPTIONS", url, options=options, **kwargs)

    def head(self, url: t.Any, *, options: t.Optional[CallOptions] = None, **kwargs: t.Any) -> requests.Response:
        """HEAD; does not follow redirects unless ``allow_redirects=True``."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, options=options, **kwargs)

    def post(self, url: t.Any, data: t.Any = None, json: t.Any = None, *,
             options: t.Optional[CallOptions] = None, **kwargs: t.Any) -> requests.Response:
        """POST."""
        return self.request("POST", url, data=data, json=json, options=options, **kwargs)

    def put(self, url: t.Any, data: t.Any = None, *, options: t.Optional[CallOptions] = None,
            **kwargs: t.Any) -> requests.Response:
        """PUT."""
        return self.request("PUT", url, data=data, options=options, **kwargs)

    def patch(self, url: t.Any, data: t.Any = None, *, options: t.Optional[CallOptions] = None,
              **kwargs: t.Any) -> requests.Response:
        """PATCH."""
        return self.request("PATCH", url, data=data, options=options, **kwargs)

    def delete(self, url: t.Any, *, options: t.Optional[CallOptions] = None, **kwargs: t.Any) -> requests.Response:
        """DELETE."""
        return self.request("DELETE", url, options=options, **kwargs)

    def download(
        self,
        url: str,
        dest: t.Union[str, os.PathLike],
        *,
        expected_size: t.Optional[int] = None,
        checksum: t.Optional[t.Tuple[str, str]] = None,
        chunk_size: int = 1 << 20,
        progress: t.Optional[t.Callable[[DownloadProgress], None]] = None,
        deadline: t.Optional[float] = None,
        options: t.Optional[CallOptions] = None,
        headers: t.Optional[t.Mapping[str, str]] = None,
        auth: t.Any = None,
        timeout: t.Any = None,
    ) -> DownloadResult:
        """Download ``url`` into the file ``dest``, safely; one logical call.

        The body is streamed in chunks of ``chunk_size`` bytes (default 1 MiB; memory stays
        at about one chunk) to a temporary file beside ``dest``, then fsynced and renamed
        over ``dest`` atomically. A connection that drops mid-body is retried under the
        call's retry policy and resumed with ``Range`` (restarted from zero when the server
        ignores it); every attempt passes the throttle and counts in the statistics and
        events, as for any call. Credentials are never sent to another origin on redirects.

        :param url: the URL (a pre-signed one needs no ``auth``).
        :param dest: the file to create or replace; its directory must exist.
        :param expected_size: bytes the content must have (checked against the server's
            announced length before reading, and after).
        :param checksum: ``(algorithm, hex digest)``, e.g. ``("sha256", "9f86...")``.
        :param progress: called after each chunk with a :class:`DownloadProgress`
            (``done`` bytes, ``total`` bytes or ``None``, ``rate`` bytes/s, ``elapsed`` s).
        :param deadline: seconds for the whole download (all attempts, sleeps, throttle
            waits and the body); default: ``options.deadline``, else the retry policy's.
            The body read is cut when it runs out: :class:`~luco_client.errors.DeadlineExceededError`.
        :param options: :class:`CallOptions` (retry, throttle, timeout...) for this call.
        :param headers: extra request headers. ``auth``: as in requests (``None``: the
            session's own auth, if any). ``timeout``: connect/read timeouts as in requests.
        :returns: a :class:`DownloadResult` (path, size, checksum, attempts, resumes,
            restarts, elapsed).
        :raises: :class:`~luco_client.errors.HTTPStatusError` subclasses for an error
            status, :class:`~luco_client.errors.IncompleteDownloadError` or
            :class:`~luco_client.errors.ChecksumMismatchError` for wrong content,
            :class:`~luco_client.errors.DownloadError` when the file cannot be written,
            and the transport errors of any call. On any failure nothing is written at
            ``dest`` and a file already there is untouched.
        """
        return download(self, url, dest, expected_size=expected_size, checksum=checksum, chunk_size=chunk_size,
                        progress=progress, deadline=deadline, options=options, headers=headers, auth=auth,
                        timeout=timeout)

    def prepare_request(self, request: requests.Request) -> GracefulPreparedRequest:
        """Prepare as requests does; input that cannot form a request raises
        :class:`~luco_client.errors.InvalidRequestError` (never a raw TypeError/ValueError)."""
        try:
            prepared = prepare_request(self, request, self._netrc_auth)
        except LucoClientError:  # e.g. an auth class that could not get a token
            raise
        except _BAD_INPUT as exc:
            raise InvalidRequestError(
                f"cannot build {request.method} request: {describe_input_error(exc)}",
                method=str(request.method).upper(), url=redact_url(str(request.url))) from None
        body = prepared.body
        if not (body is None or isinstance(body, (bytes, str)) or hasattr(body, "read") or hasattr(body, "__iter__")):
            # urllib3 1.26 would send the headers before rejecting such a body
            raise InvalidRequestError(f"cannot send a body of type {type(body).__name__}; pass bytes, str, "
                                      "a dict, a file or an iterable of bytes",
                                      method=str(request.method).upper(), url=redact_url(str(request.url)))
        prepared.__class__ = GracefulPreparedRequest
        prepared = t.cast(GracefulPreparedRequest, prepared)
        prepared.luco_options = getattr(_pending, "options", None)
        if self.credential_headers:  # scrubbed from recordings, stripped on cross-origin redirects
            prepared.credential_headers = prepared.credential_headers | self.credential_headers
        return prepared

    def merge_environment_settings(self, url: t.Any, proxies: t.Any, stream: t.Any, verify: t.Any,
                                   cert: t.Any) -> t.Any:
        """As requests does, after checking ``proxies``, ``verify`` and ``cert``: a missing
        CA bundle or certificate file is an InvalidRequestError before anything is sent."""
        _check_tls_and_proxies(proxies, verify, cert)
        if self.trust_env and self.environment_once and not (proxies and "no_proxy" in proxies):
            env_proxies, env_bundle = self._environment_of(url)
            proxies = dict(proxies or {})
            for scheme, proxy in env_proxies.items():
                proxies.setdefault(scheme, proxy)
            if verify is True or verify is None:
                verify = env_bundle or verify
            return {"proxies": merge_setting(proxies, self.proxies), "stream": merge_setting(stream, self.stream),
                    "verify": merge_setting(verify, self.verify), "cert": merge_setting(cert, self.cert)}
        if self.trust_env or proxies or self.proxies:
            merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
            _check_environ_bundle(merged.get("verify"))
            return merged
        # What requests returns here, without its mapping merge of two empty proxy tables
        # (a per-call cost that shows in replayed calls).
        proxies = merge_setting(proxies, self.proxies) if proxies is None or self.proxies is None else {}
        return {"proxies": proxies, "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify), "cert": merge_setting(cert, self.cert)}

    def _netrc_auth(self, url: str) -> t.Any:
        """requests' ``.netrc`` lookup (``NETRC``, ``~/.netrc``, ``~/_netrc``); with
        ``environment_once``, read once per host like the proxies."""
        if not self.environment_once:
            return get_netrc_auth(url)
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            return get_netrc_auth(url)
        return self._once(self._netrc, host, lambda: get_netrc_auth(url))

    def _once(self, table: t.Dict[t.Any, t.Any], key: t.Any, read: t.Callable[[], t.Any]) -> t.Any:
        """``read()`` at the first request of ``key`` only (``environment_once``); a read
        that raises is not remembered."""
        if key not in table:
            value = read()
            with self._environment_lock:
                table.setdefault(key, value)
        return table[key]

    def _environment_of(self, url: str) -> t.Tuple[t.Dict[str, str], t.Optional[str]]:
        """The environment's proxies for ``url``'s origin and its CA bundle, read once."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return get_environ_proxies(url), _environ_bundle()

        def read() -> t.Tuple[t.Dict[str, str], t.Optional[str]]:
            bundle = _environ_bundle()
            _check_environ_bundle(bundle)
            return get_environ_proxies(url), bundle

        found: t.Tuple[t.Dict[str, str], t.Optional[str]] = self._once(
            self._environment, (parts.scheme.lower(), parts.netloc.lower()), read)
        return found

    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        """Send as requests does; an URL no adapter can serve raises InvalidRequestError."""
        try:
            return super().send(request, **kwargs)
        except LucoClientError:
            raise
        except INVALID_INPUT as exc:
            raise InvalidRequestError(
                f"cannot send this request: {describe_input_error(exc)}",
                method=str(request.method).upper(), url=redact_url(str(request.url))) from None
        except requests.exceptions.TooManyRedirects:
            raise TooManyRedirectsError(
                f"more than {self.max_redirects} redirects", phase=Phase.RESPONSE,
                method=str(request.method).upper(), url=redact_url(str(request.url))) from None
        finally:  # the redirects were followed: a later send of this request is a call of its own
            if getattr(request, "luco_deadline_at", None) is not None:
                request.luco_deadline_at = None  # type: ignore[attr-defined]

    def get_redirect_target(self, resp: requests.Response) -> t.Optional[str]:
        """As requests does; a ``Location`` that is not valid UTF-8, or not a URL (a bad
        port, junk in the host), raises RedirectError."""
        try:
            target = super().get_redirect_target(resp)
            if target:
                urlsplit(target).port  # noqa: B018 - parses host and port, raises on junk
        except (UnicodeError, ValueError):
            raise RedirectError(
                f"the server redirected ({resp.status_code}) to a malformed Location", phase=Phase.RESPONSE,
                method=str(resp.request.method).upper() if resp.request is not None else None,
                url=redact_url(str(resp.url))) from None
        return target

    def resolve_redirects(self, resp: requests.Response, req: requests.PreparedRequest,
                          *args: t.Any, **kwargs: t.Any) -> t.Iterator[requests.Response]:
        """As requests does; a redirect target that cannot be requested (another scheme,
        no host, an invalid URL) raises RedirectError: the server's answer is at fault, not
        the caller's input."""
        try:
            yield from super().resolve_redirects(resp, req, *args, **kwargs)
        except LucoClientError as exc:
            if isinstance(exc, RedirectError) or not isinstance(exc, InvalidRequestError):
                raise
            raise RedirectError(f"cannot follow the redirect ({resp.status_code}): {exc.message}",
                                phase=Phase.RESPONSE, method=exc.method, url=redact_url(str(resp.url))) from None
        except _REDIRECT_INPUT as exc:
            raise RedirectError(f"cannot follow the redirect ({resp.status_code}): {describe_input_error(exc)}",
                                phase=Phase.RESPONSE, method=str(req.method).upper(),
                                url=redact_url(str(resp.url))) from None

    def rebuild_method(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        """As requests does; but a 307/308 redirect, which must resend the body, of a
        streamed body that was consumed raises :class:`~luco_client.errors.RedirectError`
        (requests would silently send an empty body)."""
        if response.status_code in (307, 308) and not body_resendable(prepared_request):
            raise RedirectError(
                f"cannot follow the {response.status_code} redirect: the request body is a stream that was "
                "consumed by the first send; send bytes or a file opened in binary mode instead",
                phase=Phase.RESPONSE, method=str(prepared_request.method).upper(),
                url=redact_url(str(response.url)))
        super().rebuild_method(prepared_request, response)

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        """On a redirect to another origin, drop every credential header, then defer to requests."""
        original = response.request.url if response.request is not None else None
        if original and self.should_strip_auth(original, prepared_request.url or ""):
            registered = self.credential_headers | {
                h.lower() for h in getattr(prepared_request, "credential_headers", ())}
            for name in list(prepared_request.headers):
                if name.lower() in registered or is_secret_name(name):
                    del prepared_request.headers[name]
        super().rebuild_auth(prepared_request, response)
