"""A scripted, flaky HTTP server on 127.0.0.1 for tests, demos and benchmarks.

Each (method, path) can be given a script: a list of actions played in order, one per
request (the last one repeats). Requests without a script get the server's default action
(``Reply(200)`` unless seeded :class:`Faults` say otherwise). Every request is recorded
*before* its action runs, so a request the client gave up on still counts as received;
that is how tests tell "applied but unanswered" from "never sent".
"""

from __future__ import annotations

import json
import os
import random
import socket
import ssl
import struct
import threading
import time
import typing as t
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

#: The self-signed certificate of the TLS test servers (valid for 127.0.0.1 and localhost);
#: pass it as ``verify=CERT_FILE`` to trust them.
CERT_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_certs", "cert.pem")
_KEY_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_certs", "key.pem")

__all__ = [
    "CERT_FILE",
    "SilentServer",
    "Garbage",
    "FlakyServer",
    "Received",
    "Reply",
    "Delay",
    "Drop",
    "Truncate",
    "Redirect",
    "Tunnel",
    "Apply",
    "Trickle",
    "Faults",
    "reserve_port",
    "max_in_window",
]

Body = t.Union[bytes, str, t.Mapping[str, t.Any], t.Sequence[t.Any], None]
_MAX_HEADERS = 100  # as http.client
_ONE_WRITE = 1 << 16  # a reply body up to this size goes out in the same write as the headers
_S = t.TypeVar("_S", bound="FlakyServer")  # start() and `with` give back the subclass (a LucoServer...)


@dataclass(frozen=True)
class Received:
    """One request as the server saw it. ``at`` is ``time.monotonic()``, ``wall`` is
    ``time.time()``, both taken when the request line and headers were read.

    ``query`` keeps the last value of each parameter; ``query_string`` is the raw query
    (still percent-encoded) and :meth:`query_all` gives every ``(name, value)`` pair in
    order, repeated names included."""

    method: str
    path: str
    query: t.Dict[str, str]
    headers: t.Dict[str, str]
    body: bytes
    at: float
    wall: float
    port: int
    query_string: str = ""

    def query_all(self) -> t.List[t.Tuple[str, str]]:
        """Every query parameter as ``(name, value)``, in order, form-decoded (``+`` is a space)."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    def header(self, name: str) -> t.Optional[str]:
        """A header value, case-insensitively."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> t.Any:
        """The body parsed as JSON."""
        return json.loads(self.body.decode("utf-8"))


def _encode(body: Body) -> t.Tuple[bytes, t.Optional[str]]:
    if body is None:
        return b"", None
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain; charset=utf-8"
    return json.dumps(body).encode("utf-8"), "application/json"


@dataclass(frozen=True)
class Reply:
    """Answer with ``status``, ``body`` (bytes, text, or JSON-able) and ``headers``;
    ``reason`` replaces the standard reason phrase (``404 No such key ...``)."""

    status: int = 200
    body: Body = None
    headers: t.Mapping[str, str] = field(default_factory=dict)
    reason: t.Optional[str] = None

    def play(self, handler: RequestHandler) -> None:
        payload, ctype = _encode(self.body if self.body is not None else {"ok": self.status < 400})
        handler.send_response(self.status, self.reason)
        headers = {"Content-Type": ctype or "application/json", **self.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        if handler.command == "HEAD":
            handler.end_headers()
        elif len(payload) <= _ONE_WRITE:
            handler.end_headers(payload)
        else:  # a large body is not copied behind the headers
            handler.end_headers()
            handler.wfile.write(payload)


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` (after recording the request), then play ``then``."""

    seconds: float
    then: t.Any = Reply()

    def play(self, handler: RequestHandler) -> None:
        handler.server.stopping.wait(self.seconds)
        try:
            self.then.play(handler)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: expected
            handler.close_connection = True


@dataclass(frozen=True)
class Drop:
    """Read the request, then close the connection without answering (a reset)."""

    def play(self, handler: RequestHandler) -> None:
        handler.close_connection = True
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@dataclass(frozen=True)
class Truncate:
    """Announce ``length`` bytes of body, send only ``body``, then close."""

    body: bytes = b'{"partial": '
    length: int = 1000

    def play(self, handler: RequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(self.length))
        handler.end_headers()
        handler.wfile.write(self.body)
        handler.wfile.flush()
        Drop().play(handler)


@dataclass(frozen=True)
class Trickle:
    """Answer ``status`` with ``body``, ``chunk`` bytes every ``interval`` seconds: a server
    that keeps every single read within any read timeout, yet never finishes in time.
    ``head=True`` trickles the status line and headers too (nothing usable arrives until
    the end); ``close=True`` announces ``Connection: close``; ``length=False`` sends no
    ``Content-Length`` (the close ends the body). Stops when the client hangs up or the
    server closes."""

    body: bytes = b"x" * 1000
    interval: float = 0.05
    chunk: int = 1
    head: bool = False
    status: int = 200
    close: bool = False
    length: bool = True

    def play(self, handler: RequestHandler) -> None:
        framing = f"Content-Length: {len(self.body)}\r\n" if self.length else ""
        if self.close or not self.length:  # without a length, the close ends the body
            framing += "Connection: close\r\n"
        head = (f"HTTP/1.1 {self.status} Trickling\r\nContent-Type: application/octet-stream\r\n"
                f"{framing}\r\n").encode("ascii")
        handler.close_connection = True
        try:
            if self.head:
                data = head + self.body
            else:
                handler.wfile.write(head)
                handler.wfile.flush()
                data = self.body
            for start in range(0, len(data), self.chunk):
                if handler.server.stopping.wait(self.interval):
                    return
                handler.wfile.write(data[start:start + self.chunk])
                handler.wfile.flush()
        except OSError:  # the client gave up: expected
            return


@dataclass(frozen=True)
class Garbage:
    """Read the request, then write ``data`` straight to the socket (under TLS too, where
    it is not a valid TLS record) and close: a protocol error *after* the request arrived."""

    data: bytes = b"\x17\x03\x03\x00\x20" + b"X" * 32

    def play(self, handler: RequestHandler) -> None:
        handler.wfile.flush()
        raw = socket.socket(fileno=os.dup(handler.connection.fileno()))
        try:
            raw.sendall(self.data)
        finally:
            raw.close()
        Drop().play(handler)


@dataclass(frozen=True)
class Tunnel:
    """Answer a ``CONNECT host:port`` by relaying bytes both ways (the server acts as an
    HTTPS proxy). The default for CONNECT requests; script ``Reply(503)`` to refuse."""

    def play(self, handler: RequestHandler) -> None:
        host, _, port = handler.path.rpartition(":")
        handler.close_connection = True
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except (OSError, ValueError):
            Reply(502, {"error": "upstream unreachable"}).play(handler)
            return
        handler.send_response(200, "Connection established")
        handler.end_headers()
        handler.wfile.flush()
        client = handler.connection
        relay = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        relay.start()
        _pump(client, upstream)
        relay.join(timeout=10)
        upstream.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@dataclass(frozen=True)
class Apply:
    """Let ``handler`` (a fake API's route, ``(Received) -> action``) apply the request, then
    play ``then`` instead of its answer: a fault *after* the server applied a write (the
    default ``then`` drops the connection, so the client never learns it was applied)."""

    handler: t.Callable[[Received], t.Any]
    then: t.Any = Drop()

    def play(self, handler: RequestHandler) -> None:
        self.handler(handler.received)
        self.then.play(handler)


@dataclass(frozen=True)
class Redirect:
    """Redirect to ``location`` with ``status`` (302 by default)."""

    location: str
    status: int = 302

    def play(self, handler: RequestHandler) -> None:
        Reply(self.status, b"", {"Location": self.location}).play(handler)


class Faults:
    """Seeded random faults for unscripted requests (the same seed gives the same faults).

    :param seed: random seed.
    :param error_rate: share of requests answered 500/502/503.
    :param throttle_rate: share answered 429 with ``Retry-After: retry_after``.
    :param reset_rate: share whose connection is dropped without an answer.
    :param applied_reset_rate: share that the server *applies* (its default action runs)
        before dropping the connection without an answer: the write happened, the client
        cannot know.
    :param applied_error_rate: share that the server applies, then answers 503 anyway.
    :param retry_after: seconds in the 429's Retry-After header.

    Faults before the request is handled leave the server's state untouched; the two
    ``applied_*`` faults change it.
    """

    def __init__(self, seed: int = 0, *, error_rate: float = 0.0, throttle_rate: float = 0.0,
                 reset_rate: float = 0.0, applied_reset_rate: float = 0.0, applied_error_rate: float = 0.0,
                 retry_after: float = 1) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.error_rate, self.throttle_rate, self.reset_rate = error_rate, throttle_rate, reset_rate
        self.applied_reset_rate, self.applied_error_rate = applied_reset_rate, applied_error_rate
        self.retry_after = retry_after

    def pick(self, default: t.Any = None) -> t.Optional[t.Any]:
        """The fault for the next request, or ``None``. ``default`` is the server's own
        action (needed by the ``applied_*`` faults, which run it first)."""
        with self._lock:
            roll = self._random.random()
            status = self._random.choice((500, 502, 503))
        if roll < self.error_rate:
            return Reply(status, {"error": "injected fault"})
        roll -= self.error_rate
        if roll < self.throttle_rate:
            return Reply(429, {"error": "slow down"}, {"Retry-After": f"{self.retry_after:g}"})
        roll -= self.throttle_rate
        if roll < self.reset_rate:
            return Drop()
        roll -= self.reset_rate
        if default is not None and callable(default) and not hasattr(default, "play"):
            if roll < self.applied_reset_rate:
                return Apply(default, Drop())
            roll -= self.applied_reset_rate
            if roll < self.applied_error_rate:
                return Apply(default, Reply(503, {"error": "injected fault after the request was applied"}))
        return None


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stalls
    server: _Server
    received: Received  # the request being answered (set before its action plays)
    raw_requestline: bytes  # set by http.server before parse_request

    def log_message(self, format: str, *args: t.Any) -> None:  # silence stderr
        return

    def parse_request(self) -> bool:
        """http.server's request-line rules, with a lean header reader: the stdlib runs the
        header block through the email package, the largest share of this server's time per
        request (and every test and benchmark pays it). Lines are read as http.client does
        (at most 65536 bytes each, 100 headers); values as the email parser gives them
        (leading blanks and the line end stripped, folded lines joined)."""
        self.command = None  # type: ignore[assignment]  # as http.server: set in case of error
        self.request_version = "HTTP/1.1"  # errors below get a status line and headers
        self.close_connection = True
        self.requestline = requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = requestline.split()
        if len(words) != 3:
            if words:
                self.send_error(400, f"Bad request syntax ({requestline!r})")
            return False
        command, path, version = words
        if version not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(505 if version.startswith("HTTP/") else 400, f"Unsupported HTTP version ({version!r})")
            return False
        self.command, self.path, self.request_version = command, path, version
        if path.startswith("//"):
            self.path = "/" + path.lstrip("/")  # as http.server: reduce to a single /
        headers = self.MessageClass()
        name = value = None
        for _ in range(_MAX_HEADERS + 1):
            line = self.rfile.readline(65537)
            if len(line) > 65536:
                self.send_error(431, "Line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            text = line.decode("iso-8859-1")
            if text[0] in " \t" and name is not None:  # a folded line continues the value
                value = (value or "") + text.rstrip("\r\n")
                continue
            if name is not None:
                headers.set_raw(name, value)
            name, colon, value = text.partition(":")
            if not colon or not name.strip():
                self.send_error(400, "Bad header line")
                return False
            value = value.lstrip(" \t").rstrip("\r\n")
        else:
            self.send_error(431, "Too many headers")
            return False
        if name is not None:
            headers.set_raw(name, value)
        self.headers = headers
        connection = (headers.get("Connection") or "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive" or version == "HTTP/1.1":
            self.close_connection = False
        if (headers.get("Expect") or "").lower() == "100-continue" and version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def end_headers(self, body: bytes = b"") -> None:
        """End the header block; ``body`` goes out in the same write: one TLS record and one
        read for the client, where a second write would cost both sides a system call."""
        if not hasattr(self, "_headers_buffer"):  # as http.server: nothing buffered yet
            self._headers_buffer: t.List[bytes] = []
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def setup(self) -> None:
        context = self.server.tls_context
        if context is not None:  # handshake in the handler thread, not in accept()
            self.request = context.wrap_socket(self.request, server_side=True)
        super().setup()

    def handle(self) -> None:
        try:
            super().handle()
        except (ssl.SSLError, ConnectionError):  # a client that gave up mid-handshake
            self.close_connection = True

    def _handle(self) -> None:
        at, wall = time.monotonic(), time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.command == "CONNECT":  # the target is "host:port", not a URL
            path, query = self.path, ""
        else:
            parts = urlsplit(self.path)
            path, query = parts.path, parts.query
        received = Received(self.command, path, dict(parse_qsl(query, keep_blank_values=True)),
                            dict(self.headers.items()), body, at, wall, self.server.server_address[1], query)
        self.received = received
        action = self.server.owner._record_and_pick(received)
        if callable(action) and not hasattr(action, "play"):
            action = action(received)
        action.play(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_CONNECT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    owner: FlakyServer
    stopping: threading.Event
    tls_context: t.Optional[ssl.SSLContext] = None

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self._sockets: t.Set[socket.socket] = set()
        self._sock_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: t.Any, client_address: t.Any) -> None:
        with self._sock_lock:
            self._sockets.add(request)
        self.owner._count_connection()
        super().process_request(request, client_address)

    def shutdown_request(self, request: t.Any) -> None:
        with self._sock_lock:
            self._sockets.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._sock_lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte.

    A TLS client times out in its handshake (nothing sent: NOT_SENT); a plain HTTP client
    times out waiting for the response (SENT_NO_RESPONSE). ``reset=True`` instead reads
    what the client sends first and resets the connection.
    """

    def __init__(self, *, reset: bool = False) -> None:
        self.reset = reset
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self._conns: t.List[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name=f"SilentServer:{self.port}", daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self.reset:
                try:
                    conn.recv(65536)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                finally:
                    conn.close()
            else:
                self._conns.append(conn)

    def url(self, scheme: str = "https") -> str:
        """``<scheme>://127.0.0.1:<port>``."""
        return f"{scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()
        for conn in self._conns:
            conn.close()


def max_in_window(times: t.Iterable[float], window: float) -> int:
    """The most timestamps (seconds) inside any window ``[t, t + window)``.

    Use it on ``[r.at for r in server.received()]`` to see a throttle from the server's
    side. For a rule of N requests per ``window`` the result stays at most N only while
    every request reaches the server within the throttle's ``guard`` of its admission; a
    loaded machine can take longer, so such a check needs a guard wide enough for it.
    :class:`~luco_client.testing.AdmissionLog` checks the throttle's own stamps exactly.
    """
    ordered = sorted(times)
    best = j = 0
    for i, start in enumerate(ordered):
        while j < len(ordered) and ordered[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


def reserve_port() -> t.Tuple[socket.socket, int]:
    """A loopback port that refuses connections until the returned socket is closed.

    The socket is bound but not listening, so connecting gets ``ECONNREFUSED`` (a NOT_SENT
    failure); close it and start a :class:`FlakyServer` on the port to "bring the server up".
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


class FlakyServer:
    """A scripted HTTP/1.1 server on 127.0.0.1 (keep-alive, threaded).

    :param port: 0 (default) picks a free port.
    :param faults: seeded :class:`Faults` for requests without a script.
    :param default: the action for requests without a script and without a fault.
    :param tls: serve HTTPS with the test certificate :data:`CERT_FILE` (clients pass
        ``verify=CERT_FILE``). Default False.

    Use as a context manager, or call :meth:`start` and :meth:`close`.
    """

    def __init__(self, port: int = 0, *, faults: t.Optional[Faults] = None, default: t.Any = None,
                 tls: bool = False) -> None:
        self._port = port
        self.tls = tls
        self.faults = faults
        self.default = default if default is not None else Reply(200)
        self._scripts: t.Dict[t.Tuple[t.Optional[str], str], t.List[t.Any]] = {}
        self._received: t.List[Received] = []
        self._connections = 0
        self._lock = threading.Lock()
        self._server: t.Optional[_Server] = None
        self._thread: t.Optional[threading.Thread] = None

    # ------------------------------------------------------------------ lifecycle

    def start(self: _S) -> _S:
        """Bind and serve in a background thread."""
        server = _Server(("127.0.0.1", self._port), RequestHandler)
        server.owner = self
        server.stopping = threading.Event()
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(CERT_FILE, _KEY_FILE)
            server.tls_context = context
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"FlakyServer:{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and drop open keep-alive connections (so the server is really down)."""
        server = self._server
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        """The bound port."""
        return self._server.server_address[1] if self._server is not None else self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https://`` with ``tls=True``; no trailing slash)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ scripting

    def script(self, path: str, *actions: t.Any, method: t.Optional[str] = None) -> FlakyServer:
        """Answer requests to ``path`` (and ``method``, if given) with ``actions`` in order;
        the last action repeats. An action may also be a callable ``(Received) -> action``."""
        if not actions:
            raise ValueError("script() needs at least one action")
        with self._lock:
            self._scripts[(method.upper() if method else None, path)] = list(actions)
        return self

    def _record_and_pick(self, received: Received) -> t.Any:
        with self._lock:
            self._received.append(received)
            script = self._scripts.get((received.method, received.path)) or self._scripts.get((None, received.path))
            if script:
                return script.pop(0) if len(script) > 1 else script[0]
        if received.method == "CONNECT":
            return Tunnel()
        fault = self.faults.pick(self.default) if self.faults is not None else None
        return fault or self.default

    # ------------------------------------------------------------------ admin view

    def received(self, path: t.Optional[str] = None, method: t.Optional[str] = None) -> t.List[Received]:
        """Requests received so far, optionally only for ``path`` and ``method``."""
        with self._lock:
            return [r for r in self._received
                    if (path is None or r.path == path) and (method is None or r.method == method.upper())]

    def count(self, path: t.Optional[str] = None, method: t.Optional[str] = None) -> int:
        """How many requests were received (for ``path`` and ``method``, if given)."""
        return len(self.received(path, method))

    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    @property
    def connections(self) -> int:
        """TCP connections accepted so far (a client that reuses its connections opens
        one per host; every new TLS handshake is one more)."""
        with self._lock:
            return self._connections

    def reset(self) -> None:
        """Forget scripts, received requests and the count of accepted connections."""
        with self._lock:
            self._scripts.clear()
            self._received.clear()
            self._connections = 0
