"""``LucoApi(log=True)``: the client's log events written to ``log.txt``.

LucoPy set the *root* logger to DEBUG at import and added its file handler to the root,
so every library's DEBUG records (and credentials in them) went to the file. Here the
handler sits on the ``luco_client`` logger only, with a redacting filter, and the file is
opened at the first record, not when the client is built. While such a file is open the
``luco_client`` logger is set to DEBUG (if it was less verbose), and restored when the
last client writing to it is closed.
"""

from __future__ import annotations

import logging
import os
import threading
import typing as t

from luco_client.events import RedactingFilter

__all__ = ["LogFile"]

_PACKAGE_LOGGER = "luco_client"
_FORMAT = "%(asctime)s %(name)s : %(levelname)s : %(message)s"
_lock = threading.Lock()
_open: t.Dict[str, t.Tuple[logging.Handler, int]] = {}  # path -> (handler, clients using it)
_previous_level: t.List[int] = []


class LogFile:
    """One client's use of a log file (``path``, default ``log.txt`` in the working
    directory when the client is built). :meth:`close` releases it."""

    def __init__(self, path: str = "log.txt") -> None:
        self.path = os.path.abspath(path)
        self._closed = False
        logger = logging.getLogger(_PACKAGE_LOGGER)
        with _lock:
            handler, users = _open.get(self.path, (None, 0))
            if handler is None:
                handler = logging.FileHandler(self.path, mode="w", delay=True)  # no file until the first record
                handler.setFormatter(logging.Formatter(_FORMAT))
                handler.addFilter(RedactingFilter())
                handler.setLevel(logging.DEBUG)
                logger.addHandler(handler)
            if not _open:
                _previous_level.append(logger.level)
                if logger.getEffectiveLevel() > logging.DEBUG:
                    logger.setLevel(logging.DEBUG)
            _open[self.path] = (handler, users + 1)

    def close(self) -> None:
        """Stop writing to the file for this client (the last one removes the handler and
        restores the logger's level)."""
        if self._closed:
            return
        self._closed = True
        logger = logging.getLogger(_PACKAGE_LOGGER)
        with _lock:
            handler, users = _open[self.path]
            if users > 1:
                _open[self.path] = (handler, users - 1)
                return
            del _open[self.path]
            logger.removeHandler(handler)
            handler.close()
            if not _open and _previous_level:
                logger.setLevel(_previous_level.pop())
