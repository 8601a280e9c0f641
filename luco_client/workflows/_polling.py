"""Polling a task until it ends: when to ask next, what each status means, what to log.

The schedule starts short and backs off geometrically to a cap: with the defaults
(:class:`PollPolicy`: 0.2 s, x1.15, at most 5 s) the polls come 0.2, 0.43, 0.69, 1.0,
1.35, 1.75, 2.21... seconds after the run POST, so a task is seen finished at most ~15% of
its run time (and never more than 5 s) after it finished, with about 25 polls in the first
minute and 12 a minute after that (dcipher 0.3.5: a fixed 5 s, then every 3 s). A
``Retry-After`` on a status reply makes the next poll wait at least that long.

The same :class:`Poller` drives the synchronous loop (``clock.sleep``) and the async one
(``asyncio.sleep``); it never sleeps itself.
"""

from __future__ import annotations

import logging
import math
import typing as t
from dataclasses import dataclass

from luco_client.errors import ConfigurationError, Phase
from luco_client.workflows._errors import WorkflowFailedException, WorkflowTimeoutError
from luco_client.workflows._results import FlowProgress, FlowStatus

__all__ = ["TaskStatus", "PollPolicy", "Poller", "FAILED_TASK_STATUSES", "canonical_status", "log"]

log = logging.getLogger("luco_client.workflows")


class TaskStatus:
    """The task statuses of the workflows API (dcipher's ``TaskStatus``)."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    CANCEL_FAILED = "CANCELFAILED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


#: Terminal statuses that raise :class:`WorkflowFailedException`.
FAILED_TASK_STATUSES = (TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.CANCEL_FAILED)
_KNOWN = frozenset(v for k, v in vars(TaskStatus).items() if k.isupper())


def canonical_status(status: str) -> str:
    """A known status in its upper-case spelling whatever the case it came in
    (``"succeeded"`` is ``SUCCEEDED``; dcipher 0.3.5 polled such a task forever); free text
    such as ``"setting up cluster"`` unchanged."""
    upper = status.strip().upper()
    return upper if upper in _KNOWN else status


def _seconds(name: str, value: t.Any, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not minimum < value < math.inf:
        raise ConfigurationError(f"PollPolicy: {name} must be a finite number > {minimum:g}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PollPolicy:
    """When to poll a task's status.

    :param first: seconds between the run POST and the first poll. Default 0.2.
    :param backoff: each wait is the previous one times this factor (>= 1). Default 1.15.
    :param max_interval: longest wait between polls, in seconds. Default 5.0. A
        ``Retry-After`` sent with a status reply can make one wait longer.
    """

    first: float = 0.2
    backoff: float = 1.15
    max_interval: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "first", _seconds("first", self.first))
        object.__setattr__(self, "backoff", _seconds("backoff", self.backoff, 0.999999))
        object.__setattr__(self, "max_interval", _seconds("max_interval", self.max_interval))
        if self.first > self.max_interval:
            raise ConfigurationError(f"PollPolicy: first ({self.first:g}s) is longer than max_interval "
                                     f"({self.max_interval:g}s)")

    def delay(self, polls: int) -> float:
        """The wait before poll number ``polls + 1`` (``polls`` made so far), in seconds."""
        try:
            raw = self.first * self.backoff ** min(polls, 10_000)
        except OverflowError:
            raw = math.inf
        return min(self.max_interval, raw)


class Poller:
    """The state of one wait for one task (not shared between calls).

    :param started: the call's start on ``clock.monotonic()``; ``elapsed`` counts from it.
    :param deadline_at: the monotonic time the call must end by, or ``None``.
    :param report: called with each :class:`FlowProgress`, or ``None``.
    """

    def __init__(self, policy: PollPolicy, clock: t.Any, *, flow_id: str, task_id: str, started: float,
                 deadline_at: t.Optional[float], report: t.Optional[t.Callable[[FlowProgress], None]]) -> None:
        self.policy = policy
        self.clock = clock
        self.flow_id = flow_id
        self.task_id = task_id
        self.started = started
        self.deadline_at = deadline_at
        self.report = report
        self.polls = 0
        self.status: t.Optional[str] = None
        self.message = ""
        self._since = clock.monotonic()
        self._anchor = self._since  # when the previous poll was sent (at first: the run was started)

    def elapsed(self) -> float:
        """Seconds since the call began."""
        return self.clock.monotonic() - self.started

    def timeout(self, why: str, phase: Phase = Phase.NOT_SENT) -> WorkflowTimeoutError:
        """The error for a deadline that ran out while waiting (the task may still run)."""
        where = f"; its last status was {self.status}" if self.status else ""
        return WorkflowTimeoutError(
            f"flow {self.flow_id}: the deadline ran out {why}. Task {self.task_id} may still be running on "
            f"the server{where}; resume with wait_for_flow()", phase=phase, elapsed=self.elapsed(),
            flow_id=self.flow_id, task_id=self.task_id, last_status=self.status)

    def next_delay(self, retry_after: t.Optional[float] = None) -> float:
        """Seconds to wait before the next poll (at least ``retry_after``). Raises
        :class:`WorkflowTimeoutError` when that poll could not start before the deadline.

        The schedule's intervals run from the moment the previous poll was *sent*, so the
        time each poll takes does not push the later ones back (a slow poll just shortens
        the wait after it; polls never come closer together than the schedule says)."""
        now = self.clock.monotonic()
        delay = max(0.0, self._anchor + self.policy.delay(self.polls) - now)
        if retry_after is not None and retry_after > delay:
            delay = retry_after
        if self.deadline_at is not None:
            remaining = self.deadline_at - now
            if delay >= remaining:
                raise self.timeout(f"before the next status poll (due in {delay:.2f}s, "
                                   f"{max(0.0, remaining):.2f}s left)")
        self._anchor = now + delay
        return delay

    def observe(self, reply: FlowStatus) -> bool:
        """Take in one status reply: ``True`` when the task succeeded, ``False`` while it
        runs; raises :class:`WorkflowFailedException` when it failed or was cancelled."""
        self.polls += 1
        status = canonical_status(reply.status)
        now = self.clock.monotonic()
        if status != self.status:
            previous = self.status or "started"
            log.info("flow %s task %s: %s -> %s after %.2fs", self.flow_id, self.task_id, previous, status,
                     now - self.started, extra={
                         "luco_event": "workflow.status", "luco_flow_id": self.flow_id,
                         "luco_task_id": self.task_id, "luco_status": status, "luco_previous": previous,
                         "luco_elapsed": now - self.started, "luco_in_previous": now - self._since})
            self.status, self._since = status, now
        else:
            log.debug("flow %s task %s: still %s (poll %d)", self.flow_id, self.task_id, status, self.polls,
                      extra={"luco_event": "workflow.poll", "luco_flow_id": self.flow_id,
                             "luco_task_id": self.task_id, "luco_status": status})
        self.message = reply.message
        if self.report is not None:
            self.report(FlowProgress("status", self.flow_id, self.task_id, status, now - self.started))
        if status == TaskStatus.SUCCEEDED:
            return True
        if status in FAILED_TASK_STATUSES:
            raise WorkflowFailedException(f"Workflow has failed. Reason: {reply.message}", elapsed=now - self.started,
                                          flow_id=self.flow_id, task_id=self.task_id, status=status,
                                          reason=reply.message)
        return False
