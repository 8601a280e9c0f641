"""Request statistics, per (method, URL template), for the reports.

The transport records every attempt (retries included) here; reports read immutable
snapshots. Memory is bounded: counters are keyed by URL *template* (``/items/{ID}``), not by
full URL, at most ``max_keys`` keys are kept (further ones are counted under
``"<other>"``), and latency percentiles come from the latest ``max_samples`` attempts of
each key. Thread-safe.
"""

from __future__ import annotations

import collections
import math
import threading
import typing as t
from dataclasses import dataclass, field

__all__ = ["Stats", "EndpointStats", "StatsSnapshot", "OTHER_KEY"]

#: URL template under which keys beyond ``max_keys`` are counted.
OTHER_KEY = "<other>"


@dataclass(frozen=True)
class EndpointStats:
    """Counters of one (method, URL template), or of everything (method ``"*"``).

    ``requests`` counts attempts (a call retried twice counts 3), ``calls`` logical calls,
    ``replays`` the attempts answered from a recording (they are part of ``requests``,
    ``successes``/``failures`` and the status classes). Latencies (seconds) and
    ``req_per_sec`` describe live attempts only, so replays never flatter them:
    ``req_per_sec`` divides the live attempts by the real time between the first live
    attempt's start and the last one's end (no rounding to whole seconds).
    """

    method: str
    url_template: str
    calls: int = 0
    requests: int = 0
    successes: int = 0
    failures: int = 0
    retries: int = 0
    replays: int = 0
    transport_errors: int = 0
    status_1xx: int = 0
    status_2xx: int = 0
    status_3xx: int = 0
    status_4xx: int = 0
    status_5xx: int = 0
    throttle_waits: int = 0
    throttle_wait_seconds: float = 0.0
    latency_avg: float = 0.0
    latency_max: float = 0.0
    latency_p95: float = 0.0
    span_seconds: float = 0.0
    req_per_sec: float = 0.0
    statuses: t.Mapping[int, int] = field(default_factory=dict)

    @property
    def success_rate(self) -> float:
        """Successful attempts as a percentage of all attempts (0.0 when there were none)."""
        return 100.0 * self.successes / self.requests if self.requests else 0.0

    @property
    def live_requests(self) -> int:
        """Attempts that went to the network (``requests`` minus ``replays``)."""
        return self.requests - self.replays

    @property
    def failure_rate(self) -> float:
        """Failed attempts as a percentage of all attempts (0.0 when there were none)."""
        return 100.0 * self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class StatsSnapshot:
    """A consistent copy of all counters: ``endpoints`` (sorted by key) and ``total``."""

    endpoints: t.Tuple[EndpointStats, ...]
    total: EndpointStats

    def get(self, method: str, url_template: str) -> t.Optional[EndpointStats]:
        """The entry for ``(method, url_template)``, or ``None``."""
        for entry in self.endpoints:
            if entry.method == method.upper() and entry.url_template == url_template:
                return entry
        return None


class _Counters:
    __slots__ = (
        "calls",
        "failures",
        "first_start",
        "last_end",
        "latency_max",
        "latency_sum",
        "replays",
        "requests",
        "retries",
        "samples",
        "statuses",
        "successes",
        "throttle_wait_seconds",
        "throttle_waits",
        "transport_errors",
    )

    def __init__(self, max_samples: int) -> None:
        self.calls = self.requests = self.successes = self.failures = 0
        self.retries = self.replays = self.transport_errors = self.throttle_waits = 0
        self.statuses: t.Counter[int] = collections.Counter()
        self.throttle_wait_seconds = self.latency_sum = self.latency_max = 0.0
        self.samples: t.Deque[float] = collections.deque(maxlen=max_samples)
        self.first_start = math.inf
        self.last_end = -math.inf


def _percentile(values: t.Iterable[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, math.ceil(pct / 100.0 * len(ordered)) - 1)
    return ordered[rank]


def _freeze(method: str, template: str, parts: t.Sequence[_Counters]) -> EndpointStats:
    statuses: t.Counter[int] = collections.Counter()
    for p in parts:
        statuses.update(p.statuses)
    requests = sum(p.requests for p in parts)
    live = requests - sum(p.replays for p in parts)
    first = min((p.first_start for p in parts), default=math.inf)
    last = max((p.last_end for p in parts), default=-math.inf)
    span = last - first if live and last > first else 0.0
    by_class = collections.Counter(code // 100 for code in statuses.elements())
    return EndpointStats(
        method=method,
        url_template=template,
        calls=sum(p.calls for p in parts),
        requests=requests,
        successes=sum(p.successes for p in parts),
        failures=sum(p.failures for p in parts),
        retries=sum(p.retries for p in parts),
        replays=sum(p.replays for p in parts),
        transport_errors=sum(p.transport_errors for p in parts),
        status_1xx=by_class[1],
        status_2xx=by_class[2],
        status_3xx=by_class[3],
        status_4xx=by_class[4],
        status_5xx=by_class[5],
        throttle_waits=sum(p.throttle_waits for p in parts),
        throttle_wait_seconds=sum(p.throttle_wait_seconds for p in parts),
        latency_avg=(sum(p.latency_sum for p in parts) / live) if live else 0.0,
        latency_max=max((p.latency_max for p in parts), default=0.0),
        latency_p95=_percentile((s for p in parts for s in p.samples), 95),
        span_seconds=span,
        req_per_sec=(live / span) if span > 0 else 0.0,
        statuses=dict(sorted(statuses.items())),
    )


class Stats:
    """Thread-safe counters per (method, URL template).

    :param max_keys: distinct (method, template) keys kept; later keys go to ``"<other>"``.
        Default 1000.
    :param max_samples: latencies kept per key for the 95th percentile. Default 2048.
    """

    def __init__(self, *, max_keys: int = 1000, max_samples: int = 2048) -> None:
        self.max_keys = max_keys
        self.max_samples = max_samples
        self._lock = threading.Lock()
        self._data: t.Dict[t.Tuple[str, str], _Counters] = {}

    def _counters(self, method: str, template: str) -> _Counters:
        key = (method.upper(), template)
        counters = self._data.get(key)
        if counters is None:
            if len(self._data) >= self.max_keys:
                key = (key[0], OTHER_KEY)
                counters = self._data.get(key)
            if counters is None:
                counters = self._data[key] = _Counters(self.max_samples)
        return counters

    def record_call(self, method: str, url_template: str) -> None:
        """Count one logical call that ended before its first attempt (first attempts are
        counted as calls by :meth:`record_attempt`)."""
        with self._lock:
            self._counters(method, url_template).calls += 1

    def record_attempt(
        self,
        method: str,
        url_template: str,
        *,
        started: float,
        elapsed: float,
        status: t.Optional[int] = None,
        success: bool,
        retry: bool = False,
        replay: bool = False,
        throttle_wait: float = 0.0,
    ) -> None:
        """Count one attempt.

        :param started: ``clock.monotonic()`` when the attempt started (seconds).
        :param elapsed: wire time of the attempt in seconds.
        :param status: the response status, or ``None`` for a transport failure.
        :param success: whether the attempt counts as a success.
        :param retry: True for the second and later attempts of a call; a first attempt
            (``retry=False``) also counts one logical call.
        :param replay: True when the response came from a recording (counted in
            ``replays``; left out of latencies and the request rate).
        :param throttle_wait: seconds waited for the throttle before the attempt.
        """
        with self._lock:
            c = self._counters(method, url_template)
            c.requests += 1
            if success:
                c.successes += 1
            else:
                c.failures += 1
            if retry:
                c.retries += 1
            else:
                c.calls += 1
            if replay:
                c.replays += 1
            if status is None:
                c.transport_errors += 1
            else:
                c.statuses[int(status)] += 1
            if throttle_wait > 0:
                c.throttle_waits += 1
                c.throttle_wait_seconds += throttle_wait
            if replay:
                return  # latencies and the request rate describe the network only
            c.latency_sum += elapsed
            c.latency_max = max(c.latency_max, elapsed)
            c.samples.append(elapsed)
            c.first_start = min(c.first_start, started)
            c.last_end = max(c.last_end, started + elapsed)

    def record_body_failure(self, method: str, url_template: str, *, was_success: bool = True) -> None:
        """A streamed body broke off after its attempt was recorded: the attempt becomes a
        failure (``was_success``: it had been counted as a success) ending in a transport
        error. Its status stays counted: the status line did arrive."""
        with self._lock:
            c = self._counters(method, url_template)
            if was_success:
                c.successes -= 1
                c.failures += 1
            c.transport_errors += 1

    def snapshot(self) -> StatsSnapshot:
        """An immutable copy of all counters (reading never changes them)."""
        with self._lock:
            items = sorted(self._data.items())
            entries = tuple(_freeze(m, tpl, [c]) for (m, tpl), c in items)
            total = _freeze("*", "TOTAL", [c for _, c in items])
        return StatsSnapshot(endpoints=entries, total=total)

    def reset(self) -> None:
        """Forget all counters."""
        with self._lock:
            self._data.clear()
