"""User-defined exceptions whose messages are templates over the request context."""

from __future__ import annotations

import typing as t

from luco_client.errors import HTTPStatusError
from luco_client.events import render_template

__all__ = ["UserDefinedError"]


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
        return render_template(cls.BASE_MESSAGE, fields)

    def __str__(self) -> str:
        return self.message
