"""``DCIPHER_LOG``: dcipher's switch for logging, read when a client is built.

``DCIPHER_LOG=debug`` (or info, warning, error, critical; any case) adds one stderr
handler, with the library's redaction filter, to the ``luco_client`` logger and sets that
logger's level: the workflow events and the transport's (requests, retries, throttling)
appear. When ``LUCO_CLIENT_LOG`` already installed its handler, that one is used (at the
more verbose of the two levels), so lines are not printed twice.

Nothing else changes: never the root logger, never another library's logger, never at
import (so ``python-dotenv`` may load the variable after ``import``). Building more
clients reuses the handler; a later, different value changes its level.
"""

from __future__ import annotations

import logging
import os
import sys

from luco_client.errors import ConfigurationError
from luco_client.events import RedactingFilter

__all__ = ["ENV_VAR", "apply_env_logging", "PACKAGE_LOGGER"]

ENV_VAR = "DCIPHER_LOG"
PACKAGE_LOGGER = "luco_client"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "warn": logging.WARNING,
           "error": logging.ERROR, "critical": logging.CRITICAL}
_MARK = "_luco_dcipher_log"


def apply_env_logging() -> None:
    """Honour ``DCIPHER_LOG`` now (no-op when it is unset or empty).

    Raises :class:`~luco_client.errors.ConfigurationError` (a ValueError) naming the valid
    values when it holds anything else: a misspelt level is not silently ignored.
    """
    wanted = os.environ.get(ENV_VAR, "").strip().lower()
    if not wanted:
        return
    level = _LEVELS.get(wanted)
    if level is None:
        raise ConfigurationError(f"{ENV_VAR}={wanted!r} is not a log level; use one of "
                                 f"{', '.join(sorted(set(_LEVELS) - {'warn'}))}")
    logger = logging.getLogger(PACKAGE_LOGGER)
    handler = next((h for h in logger.handlers if getattr(h, _MARK, False)), None)
    shared = next((h for h in logger.handlers if getattr(h, "_luco_env_handler", False)), None)
    if handler is None and shared is not None:  # LUCO_CLIENT_LOG's handler: one stream, not two
        level = min(level, shared.level)
        handler = shared
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        setattr(handler, _MARK, True)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
    handler.setLevel(level)
    logger.setLevel(level)
