"""User-defined exceptions whose messages are templates over the request context."""

from __future__ import annotations

import string
import typing as t

from luco_client._redact import redact_text
from luco_client.errors import HTTPStatusError

__all__ = ["UserDefinedError", "render_message"]


class _Lenient(string.Formatter):
    """``str.format`` that leaves unknown placeholders as they are instead of raising."""

    def get_value(self, key: t.Union[int, str], args: t.Sequence[t.Any], kwargs: t.Mapping[str, t.Any]) -> t.Any:
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        return _Kept(key)

    def format_field(self, value: t.Any, format_spec: str) -> str:
        if isinstance(value, _Kept):
            return "{" + str(value.key) + (":" + format_spec if format_spec else "") + "}"
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


class _Kept:
    def __init__(self, key: t.Union[int, str]) -> None:
        self.key = key


_FORMATTER = _Lenient()


def render_message(template: str, fields: t.Mapping[str, t.Any]) -> str:
    """``template`` with ``fields`` filled in; unknown placeholders stay, a broken template
    is returned verbatim, and the result is redacted (no credential survives)."""
    try:
        text = _FORMATTER.vformat(template, (), fields)
    except (ValueError, IndexError, AttributeError, KeyError):
        text = template
    return redact_text(text)


class UserDefinedError(HTTPStatusError):
    """Base class for your own errors, raised by a parser entry (``parser={404: PokemonNotFound}``).

    Set :attr:`BASE_MESSAGE` to a template over the request context: ``{URL}`` (redacted),
    ``{UURL}``, ``{ENDPOINT}``, ``{UENDPOINT}``, ``{METHOD}``, ``{STATUS}``, ``{REASON}``
    and the endpoint's arguments by name (``{NAME}``). Override :meth:`format_message` for
    anything a template cannot say. The message is redacted after formatting.

    It is an :class:`~luco_client.errors.HTTPStatusError`, so it carries ``status``,
    ``method``, ``url`` (redacted), ``attempts`` and ``elapsed``; plus ``url_template`` and
    ``endpoint_args``. ``str(error)`` is the message alone.

    .. code-block:: python

       class PokemonNotFound(UserDefinedError):
           BASE_MESSAGE = "Unable to find a pokemon with the name [{NAME}] at {URL} due to {STATUS} status"
    """

    #: The message template (see the class docstring for the placeholders).
    BASE_MESSAGE: t.ClassVar[str] = "{METHOD} {URL} answered {STATUS} {REASON}"

    url_template: str
    endpoint_args: t.Dict[str, str]

    @classmethod
    def format_message(cls, fields: t.Mapping[str, t.Any]) -> str:
        """The message for a request whose context values are ``fields``."""
        return render_message(cls.BASE_MESSAGE, fields)

    def __str__(self) -> str:
        return self.message
