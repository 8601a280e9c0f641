"""Parsers per status, and the errors the client layer raises for a response."""

from __future__ import annotations

import typing as t
from dataclasses import replace

from luco_client.client._config import is_exception_class
from luco_client.client._context import RequestContext
from luco_client.client._errors import UserDefinedError
from luco_client.client._policy import accepts, rejection
from luco_client.errors import ConfigurationError, HTTPStatusError
from luco_client.events import render_template
from luco_client.transport import status_error

if t.TYPE_CHECKING:
    import requests

__all__ = ["entry_for", "handle_response", "user_error", "mapped_status_error", "NO_ENTRY"]

def _parser_of(settings: t.Any) -> t.Optional[t.Mapping[t.Union[str, int], t.Any]]:
    """The merged parser mapping (the field's check makes a bare callable a mapping)."""
    return t.cast(t.Optional[t.Mapping[t.Union[str, int], t.Any]], settings.parser)


#: :func:`entry_for` found no parser entry.
NO_ENTRY: t.Any = object()


def entry_for(parser: t.Optional[t.Mapping[t.Union[str, int], t.Any]], status: int, *,
              use_default: bool = True) -> t.Any:
    """The parser entry for ``status``: exact status, then class (``"4xx"``), then
    ``"default"``; :data:`NO_ENTRY` when none applies."""
    if not parser:
        return NO_ENTRY
    if status in parser:
        return parser[status]
    family = f"{status // 100}xx"
    if family in parser:
        return parser[family]
    if use_default and "default" in parser:
        return parser["default"]
    return NO_ENTRY


def user_error(cls: t.Type[BaseException], context: RequestContext, *, status: int, reason: str = "",
               url: t.Optional[str] = None, body_excerpt: str = "", headers: t.Optional[t.Mapping[str, str]] = None,
               attempts: t.Sequence[t.Any] = (), elapsed: t.Optional[float] = None) -> BaseException:
    """An instance of a parser's exception class, its message built from the context.

    ``url`` is the redacted URL the response came from (query and redirects included);
    default: the context's."""
    if url:
        context = replace(context, url=url)
    fields = context.placeholders(status, reason)
    if issubclass(cls, UserDefinedError):
        return cls(cls.format_message(fields), status=status, reason=reason, body_excerpt=body_excerpt,
                   headers=headers, method=context.method, url=context.url, attempts=attempts, elapsed=elapsed,
                   url_template=context.url_template, endpoint_args=dict(context.endpoint_args))
    message = render_template(UserDefinedError.BASE_MESSAGE, fields)
    try:
        return cls(message)
    except Exception as exc:  # a constructor that wants other arguments
        raise ConfigurationError(
            f"parser entry for {status}: cannot build {cls.__qualname__}(message) ({type(exc).__name__}); "
            "derive it from luco_client.client.UserDefinedError or accept one message argument") from None


def mapped_status_error(error: HTTPStatusError, context: RequestContext) -> t.Optional[BaseException]:
    """For an error the transport raised (retries exhausted on 503, ...): the parser's
    exception class for that status, built, or ``None`` when the parser maps none."""
    entry = entry_for(_parser_of(context.settings), error.status, use_default=False)
    if not is_exception_class(entry):
        return None
    return user_error(entry, context, status=error.status, reason=error.reason, url=error.url,
                      body_excerpt=error.body_excerpt,
                      headers=error.headers, attempts=error.attempts, elapsed=error.elapsed)


def handle_response(response: requests.Response, context: RequestContext) -> t.Any:
    """Apply the status policy and the parser to the final response of a call.

    1. an exception class mapped to this exact status (or its class) is raised, whether
       or not the status policy accepts the status;
    2. a status the policy refuses raises the typed
       :class:`~luco_client.errors.HTTPStatusError` of its status, unless the retry
       policy passed the failure on (``on_exhausted="return"``, gracy's ``"pass"``);
    3. the parser entry (exact, class, ``"default"``) is applied: a callable is called
       with the response, ``None`` gives ``None``, an exception class is raised, any other
       value is returned; without an entry the response itself is returned.
    """
    settings = context.settings
    status = response.status_code
    specific = entry_for(_parser_of(settings), status, use_default=False)
    if is_exception_class(specific):
        raise _from_response(specific, response, context)
    if not accepts(settings, status) and not getattr(response, "luco_passed", False):
        raise status_error(response, message=rejection(settings, status))
    entry = specific if specific is not NO_ENTRY else entry_for(_parser_of(settings), status)
    if entry is NO_ENTRY:
        return response
    if entry is None:
        return None
    if is_exception_class(entry):
        raise _from_response(entry, response, context)
    if callable(entry):
        return entry(response)
    return entry


def _from_response(cls: t.Type[BaseException], response: requests.Response,
                   context: RequestContext) -> BaseException:
    base = status_error(response)  # the redacted body excerpt and headers, the attempts
    return user_error(cls, context, status=base.status, reason=base.reason, url=base.url,
                      body_excerpt=base.body_excerpt,
                      headers=base.headers, attempts=base.attempts, elapsed=base.elapsed)
