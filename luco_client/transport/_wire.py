"""What happens on the wire during one attempt: was a byte sent, and is the deadline kept?

Two jobs, both done by our own urllib3 connection and pool classes:

* **Evidence for the failure phase.** Whether an attempt may have reached the server is
  decided by evidence, not by guessing from exception types (urllib3 reports a TLS error
  after the request was written, or a proxy reset after forwarding, with the same types as
  failures before connecting). The connection marks the attempt as "sent" right before the
  first byte of the request is written; connecting, the TLS handshake and pool errors
  happen before that.
* **A total deadline.** Socket timeouts bound each ``recv``, not the whole response: a
  server trickling one byte every 50 ms never trips a 1 s read timeout. When a call has a
  deadline, its connection's socket is handed to the :class:`DeadlineReaper`, one daemon
  thread per process that shuts the socket down the moment the deadline passes. The
  blocked read then fails at once and the attempt loop reports
  :class:`~luco_client.errors.DeadlineExceededError` (:attr:`Wire.reaped` says why it
  failed). A connection is withdrawn from the reaper when it goes back to its pool or is
  closed, so a pooled connection serving another call is never touched.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
import typing as t

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Wire", "begin_attempt", "end_attempt", "current_wire", "TRACKED_POOLS", "REAPER", "DeadlineReaper"]


class Wire:
    """Evidence about one attempt made by one thread.

    ``tracked``: our connection classes were used; ``sent``: a byte of the request may have
    left; ``deadline``: ``time.monotonic()`` by which the attempt (and a streamed body read
    after it) must end, or ``None``; ``reaped``: the reaper cut the connection because the
    deadline passed.
    """

    __slots__ = ("deadline", "reaped", "sent", "tracked", "watched")

    def __init__(self, deadline: t.Optional[float] = None) -> None:
        self.tracked = False
        self.sent = False
        self.deadline = deadline
        self.reaped = False
        self.watched: t.List[t.Any] = []  # connections handed to the reaper for this attempt

    def release(self) -> None:
        """Withdraw this attempt's connections from the reaper."""
        for conn in self.watched:
            REAPER.forget(conn, owner=self)  # only this attempt's watch: the pool may have lent conn on
        self.watched = []


_wire = threading.local()


def begin_attempt(deadline: t.Optional[float] = None) -> Wire:
    """Start collecting evidence for an attempt made by this thread.

    :param deadline: ``time.monotonic()`` after which the attempt's connection is cut.
    """
    wire = Wire(deadline)
    _wire.current = wire
    return wire


def current_wire() -> t.Optional[Wire]:
    """The evidence collector of this thread's running attempt, if any."""
    return getattr(_wire, "current", None)


def end_attempt(keep_watch: bool = False) -> None:
    """Stop collecting evidence (the next attempt gets a fresh :class:`Wire`).

    :param keep_watch: leave the connection with the reaper (a streamed body is still to be
        read under the deadline; the connection leaves the reaper when it is released).
    """
    wire = current_wire()
    _wire.current = None
    if wire is not None and not keep_watch:
        wire.release()


class _Watch:
    __slots__ = ("cancelled", "conn", "sock", "wire")

    def __init__(self, conn: t.Any, sock: t.Any, wire: Wire) -> None:
        self.conn, self.sock, self.wire = conn, sock, wire
        self.cancelled = False


class DeadlineReaper:
    """Shuts down the sockets of attempts whose deadline passed (one daemon thread).

    The thread starts on first use (again in a forked child) and sleeps until the earliest
    deadline; entries cost a heap push and a dict entry, nothing for calls without a
    deadline.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: t.List[t.Tuple[float, int, _Watch]] = []
        self._by_conn: t.Dict[int, _Watch] = {}
        self._counter = itertools.count()
        self._pid = -1

    def watch(self, conn: t.Any, wire: Wire) -> None:
        """Cut ``conn``'s socket at ``wire.deadline`` unless it is forgotten before."""
        sock = getattr(conn, "sock", None)
        if sock is None or wire.deadline is None:
            return
        entry = _Watch(conn, sock, wire)
        with self._lock:
            if self._pid != os.getpid():
                self._start()
            previous = self._by_conn.get(id(conn))
            if previous is not None:
                previous.cancelled = True
            self._by_conn[id(conn)] = entry
            heapq.heappush(self._heap, (wire.deadline, next(self._counter), entry))
            self._lock.notify()
        wire.watched.append(conn)

    def forget(self, conn: t.Any, owner: t.Optional[Wire] = None) -> None:
        """Withdraw ``conn`` (it went back to its pool, or was closed); with ``owner``, only
        if that attempt still holds the watch (another call may be using ``conn`` by now)."""
        if not self._by_conn:
            return
        with self._lock:
            entry = self._by_conn.get(id(conn))
            if entry is not None and (owner is None or entry.wire is owner):
                del self._by_conn[id(conn)]
                entry.cancelled = True
            if len(self._heap) > 64 and len(self._heap) > 4 * len(self._by_conn):
                # cancelled entries behind a far deadline: compact, keep the heap bounded
                self._heap = [item for item in self._heap if not item[2].cancelled]
                heapq.heapify(self._heap)

    def _after_fork_in_child(self) -> None:
        """The parent's attempts do not run here: forget them (their sockets are shared with
        the parent, and shutdown() would cut the parent's connections); fresh lock."""
        self._lock = threading.Condition()
        self._heap = []
        self._by_conn = {}
        self._pid = -1

    def _start(self) -> None:
        self._pid = os.getpid()
        self._heap = [item for item in self._heap if not item[2].cancelled]
        thread = threading.Thread(target=self._run, name="luco_client deadline reaper", daemon=True)
        thread.start()

    def _run(self) -> None:
        with self._lock:
            while True:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._lock.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                _, _, entry = heapq.heappop(self._heap)
                if self._by_conn.get(id(entry.conn)) is entry:
                    del self._by_conn[id(entry.conn)]
                entry.wire.reaped = True
                try:  # the base class's shutdown: an SSLSocket's would drop its SSL object
                    socket.socket.shutdown(entry.sock, socket.SHUT_RDWR)
                except (OSError, TypeError):
                    pass


REAPER = DeadlineReaper()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=REAPER._after_fork_in_child)


class _SendTracking:
    """Mixin for urllib3 connections: mark the attempt sent before the first write, and
    hand the socket to the reaper when the attempt has a deadline.

    Connecting is not sending, and neither is a proxy's ``CONNECT`` handshake: http.client
    writes it through ``send`` too, so writes inside ``_tunnel`` are not marked.
    """

    _luco_tunnelling = False
    _luco_handing_over = False

    def send(self, data: t.Any) -> None:
        conn = t.cast(t.Any, self)
        if conn.sock is None and conn.auto_open:
            conn.connect()  # connecting (and the TLS handshake) is not sending
        wire = current_wire()
        if wire is not None and not self._luco_tunnelling:
            if not wire.sent and wire.deadline is not None:
                REAPER.watch(self, wire)
            wire.sent = True
        super().send(data)  # type: ignore[misc]

    def _tunnel(self) -> None:
        self._luco_tunnelling = True
        try:
            super()._tunnel()  # type: ignore[misc]
        finally:
            self._luco_tunnelling = False

    def getresponse(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        # http.client "closes" a connection whose response will close it, handing the socket
        # to the response: the body is still to be read under the deadline.
        self._luco_handing_over = True
        try:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        finally:
            self._luco_handing_over = False

    def close(self) -> None:
        if not self._luco_handing_over:
            REAPER.forget(self)
        super().close()  # type: ignore[misc]


class _TrackingPool:
    """Mixin for urllib3 pools: say that this attempt uses tracking connections, and take a
    connection away from the reaper when it comes back to the pool."""

    def urlopen(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        wire = current_wire()
        if wire is not None:
            wire.tracked = True
        return super().urlopen(*args, **kwargs)  # type: ignore[misc]

    def _put_conn(self, conn: t.Any) -> None:
        if conn is not None:
            REAPER.forget(conn)
        super()._put_conn(conn)  # type: ignore[misc]


class TrackedHTTPConnection(_SendTracking, HTTPConnection):
    """urllib3's HTTPConnection, reporting when the request starts to go out."""


class TrackedHTTPSConnection(_SendTracking, HTTPSConnection):
    """urllib3's HTTPSConnection, reporting when the request starts to go out."""


class TrackedHTTPConnectionPool(_TrackingPool, HTTPConnectionPool):
    ConnectionCls = TrackedHTTPConnection


class TrackedHTTPSConnectionPool(_TrackingPool, HTTPSConnectionPool):
    ConnectionCls = TrackedHTTPSConnection


#: Pool classes to install in a PoolManager (``pool_classes_by_scheme``).
TRACKED_POOLS = {"http": TrackedHTTPConnectionPool, "https": TrackedHTTPSConnectionPool}
