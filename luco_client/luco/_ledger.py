"""What a Submission knows the server holds, so that a write with an unknown outcome can be
judged by reading back (metrics, statuses, run environments, quality results).

Luco has no idempotency keys, so a lost answer leaves a write in doubt. Before the first
write of a kind, the submission reads the current entries of that kind (the *baseline*);
each acknowledged write is added to it. When a write's outcome is unknown, the entries
are read again and compared with the baseline:

* the total and the write's own entries unchanged: proven **not applied**, safe to send
  again;
* exactly this write's entries added: **applied**, not resent;
* anything else (another writer, a server that does not list these entries, a failed
  read): **cannot tell**, so the write is not resent and PossiblyAppliedWriteError is
  raised with the evidence.

Entries are counted by key (``(stage, metric)`` for metrics, ``(status, stage)`` for
statuses...), never by value, so a server that stores values in another form is still
judged right or declared ambiguous, never wrongly "not applied".
"""

from __future__ import annotations

import collections
import threading
import typing as t

from luco_client.client import ReadBack

__all__ = ["Tally", "Ledger", "tally", "quality_key"]

Key = t.Hashable


class Tally(t.NamedTuple):
    """Entries of one kind on the server: how many in all, and how many per key."""

    total: int
    counts: t.Counter[Key]


def tally(entries: t.Iterable[t.Any], key: t.Callable[[t.Any], Key]) -> Tally:
    """The :class:`Tally` of ``entries`` under ``key``."""
    items = list(entries)
    return Tally(len(items), collections.Counter(key(entry) for entry in items))


def quality_key(entry: t.Any) -> Key:
    """The key of a quality result: the sorted check descriptions of a collection (a single
    check counts as a collection of one), else ``(tool, dataSet)`` (a v1 result)."""
    if not isinstance(entry, dict):
        return ("other",)
    checks = entry.get("checks")
    if isinstance(checks, list):
        return ("checks", *sorted(str(c.get("check")) if isinstance(c, dict) else "?" for c in checks))
    if "check" in entry:
        return ("checks", str(entry["check"]))
    return ("tool", str(entry.get("tool")), str(entry.get("dataSet")))


class Ledger:
    """The known state of one kind of entry on one submission.

    :param probe: reads the server's entries (one GET) and returns their :class:`Tally`,
        or ``None`` when the answer does not list them (the server keeps no such list).
    :param what: the kind, for messages (``"metrics"``).
    """

    def __init__(self, probe: t.Callable[[], t.Optional[Tally]], what: str) -> None:
        self._probe = probe
        self.what = what
        self._known: t.Optional[Tally] = None
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def known(self) -> t.Optional[Tally]:
        """The baseline, or ``None`` while it is unknown."""
        return self._known

    def learn(self, found: t.Optional[Tally]) -> None:
        """Take ``found`` as the baseline if there is none yet (a read made for another reason)."""
        with self._lock:
            if self._known is None:
                self._known = found

    def prepare(self) -> None:
        """Read the baseline if it is unknown (before a write). A failed read leaves it
        unknown: the write still goes out, and an unknown outcome then cannot be judged."""
        if self._known is None:
            self.learn(self._probe())

    def begin(self) -> None:
        """A write of this kind starts (threads may write to one submission at once)."""
        with self._lock:
            self._in_flight += 1

    def end(self) -> None:
        """The write that :meth:`begin` announced is over (recorded or failed)."""
        with self._lock:
            self._in_flight -= 1

    def forget(self) -> None:
        """Drop the baseline (after a write whose outcome stays unknown): the next write
        reads the entries again instead of trusting counts that may be one write behind."""
        with self._lock:
            self._known = None

    def record(self, written: t.Counter[Key]) -> None:
        """Add an acknowledged write to the baseline."""
        with self._lock:
            if self._known is not None:
                counts = self._known.counts.copy()
                counts.update(written)
                self._known = Tally(self._known.total + sum(written.values()), counts)

    def judge(self, written: t.Counter[Key]) -> ReadBack:
        """Read the entries again and say whether ``written`` is among them (for
        :func:`~luco_client.client.reconciled_write`)."""
        known = self._known
        if known is None:
            return ReadBack(None, note=f"the {self.what} before the write are unknown (no baseline)")
        if self._in_flight > 1:  # another thread's write may be on the server and not yet recorded
            return ReadBack(None, note=f"other writes of {self.what} to this submission were in flight")
        found = self._probe()
        if found is None:
            return ReadBack(None, note=f"the server's answer does not list the {self.what}")
        added = found.total - known.total
        expected = sum(written.values())
        if added == 0 and all(found.counts[k] == known.counts[k] for k in written):
            return ReadBack(False, note=f"not applied: still {found.total} {self.what}")
        if added == expected and all(found.counts[k] - known.counts[k] == n for k, n in written.items()):
            return ReadBack(True, True, note=f"applied: exactly this write's {expected} {self.what} were added")
        return ReadBack(None, note=f"ambiguous: {added} {self.what} added where this write adds {expected}")
