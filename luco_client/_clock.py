"""Time sources, injectable so that backoff and throttle arithmetic can be tested exactly."""

from __future__ import annotations

import time
import typing as t

__all__ = ["Clock", "SystemClock", "SYSTEM_CLOCK"]


class Clock(t.Protocol):
    """What the transport needs from time: two clocks and a way to wait.

    ``monotonic()`` measures durations (seconds, arbitrary origin); ``time()`` is the wall
    clock (seconds since the epoch, used for HTTP-date ``Retry-After`` and for throttle
    buckets shared between processes or machines); ``sleep(seconds)`` waits.
    """

    def monotonic(self) -> float: ...

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clocks of the machine (``time.monotonic``, ``time.time``, ``time.sleep``)."""

    def monotonic(self) -> float:
        return _monotonic()

    def time(self) -> float:
        return _time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            _sleep(seconds)


_monotonic, _time, _sleep = time.monotonic, time.time, time.sleep


SYSTEM_CLOCK: Clock = SystemClock()
