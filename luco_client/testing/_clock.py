"""A fake clock for exact, instant backoff and throttle tests."""

from __future__ import annotations

import threading
import typing as t

__all__ = ["FakeClock"]


class FakeClock:
    """Implements :class:`luco_client.Clock`; ``sleep`` advances time instead of waiting.

    :param start: initial monotonic time in seconds.
    :param wall: initial wall-clock time in seconds since the epoch.
    :param on_sleep: optional callback ``(seconds)`` run at each sleep (e.g. to bring a
        server up between attempts).

    ``sleeps`` lists every requested sleep, in order.
    """

    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0,
                 on_sleep: t.Optional[t.Callable[[float], None]] = None) -> None:
        self._mono = float(start)
        self._wall = float(wall)
        self._lock = threading.Lock()
        self.on_sleep = on_sleep
        self.sleeps: t.List[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def time(self) -> float:
        with self._lock:
            return self._wall

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        with self._lock:
            self._mono += seconds
            self._wall += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        self.advance(max(0.0, seconds))
