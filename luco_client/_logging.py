"""The package logger: a NullHandler, plus a stderr handler only when LUCO_CLIENT_LOG asks.

Nothing here touches the root logger or any other library's logger.
"""

from __future__ import annotations

import logging
import os
import sys

from luco_client.events import RedactingFilter

PACKAGE_LOGGER = "luco_client"
ENV_VAR = "LUCO_CLIENT_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR, "critical": logging.CRITICAL}


def _configure() -> None:
    logger = logging.getLogger(PACKAGE_LOGGER)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    wanted = os.environ.get(ENV_VAR, "").strip().lower()
    if wanted not in _LEVELS:
        return
    if any(getattr(h, "_luco_env_handler", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._luco_env_handler = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(_LEVELS[wanted])
    logger.addHandler(handler)
    logger.setLevel(_LEVELS[wanted])


_configure()
