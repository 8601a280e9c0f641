"""A recorder of a throttle's admission stamps, to check its promise exactly."""

from __future__ import annotations

import threading
import typing as t

if t.TYPE_CHECKING:  # pragma: no cover - typing only
    from luco_client.transport import ThrottleRule

__all__ = ["AdmissionLog"]


class AdmissionLog:
    """Records the admission stamps of a throttle: pass it as ``Throttle(on_admit=log)``.

    The throttle's promise is a property of these stamps (integer milliseconds of the
    backend's clock, see :class:`~luco_client.transport.Throttle`), so a check on them holds
    on any machine however loaded, where a check on the arrival times a server saw also
    measures how long the machine took to send. Thread-safe. Stamps gathered elsewhere
    (other processes sharing an SQLite or Redis backend) can be added by calling the log
    with them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamps: t.Dict[str, t.List[int]] = {}

    def __call__(self, rule: ThrottleRule, stamp_ms: int) -> None:
        with self._lock:
            self._stamps.setdefault(rule.key, []).append(stamp_ms)

    def stamps(self, rule: ThrottleRule) -> t.List[int]:
        """The stamps (ms) of the attempts ``rule`` admitted, in ascending order."""
        with self._lock:
            return sorted(self._stamps.get(rule.key, []))

    def most_in_window(self, rule: ThrottleRule, window_ms: int) -> int:
        """The most stamps of ``rule`` inside any closed window ``[t, t + window_ms]``.

        For a throttle's own window (``throttle.window_ms(rule)``) the result never exceeds
        ``rule.max_requests``: that is the throttle's promise.
        """
        ordered = self.stamps(rule)
        best = j = 0
        for i, start in enumerate(ordered):
            while j < len(ordered) and ordered[j] <= start + window_ms:
                j += 1
            best = max(best, j - i)
        return best
