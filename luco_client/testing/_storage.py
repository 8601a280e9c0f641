"""A fake object-storage host for pre-signed downloads, on 127.0.0.1.

It serves objects at pre-signed URLs (``/objects/<name>?Expires=...&Signature=...``) the
way S3-like stores do, and misbehaves on request:

* it **refuses any request carrying credentials** (an ``Authorization``, ``X-Api-Key`` or
  cookie header, or one of the API keys it was told about anywhere in the request) with
  400, and remembers it in :attr:`StorageServer.refused`: a client that leaks its API key
  to the storage host fails loudly;
* an object can stay unavailable (404) until a condition holds (a run succeeded);
* it honours ``Range: bytes=a-b`` (206 + ``Content-Range``; 416 when unsatisfiable), or
  ignores it (``ignore_range=True``: always 200 with the whole object);
* queued faults break the next object responses: :class:`DropAfter` (close mid-stream),
  :class:`WrongLength` (announce more bytes than are sent, then close);
* bodies can be large without being held in memory: :class:`GeneratedBody` produces a
  deterministic byte stream of any size from a 1 MiB seeded pattern.

It is a :class:`~luco_client.testing.FlakyServer`, so ``script()``, ``received()`` and
``count()`` work as usual (a script wins over the objects).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import threading
import typing as t
from dataclasses import dataclass
from urllib.parse import quote, unquote

from luco_client.testing._flaky import Drop, FlakyServer, Received, Reply

__all__ = ["GeneratedBody", "StorageServer", "DropAfter", "WrongLength", "StoredObject"]

_PATTERN_SIZE = (1 << 20) + 9  # an odd size: a resume at the wrong offset cannot line up by chance
_SLICE = 256 * 1024
_patterns: t.Dict[int, bytes] = {}
_patterns_lock = threading.Lock()
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")
_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "api-key", "cookie", "proxy-authorization")


def _pattern(seed: int) -> bytes:
    """The seeded pattern, followed by its own first slice (so any slice of up to
    ``_SLICE`` bytes starting inside the pattern is contiguous)."""
    with _patterns_lock:
        pattern = _patterns.get(seed)
        if pattern is None:
            raw = random.Random(seed).getrandbits(8 * _PATTERN_SIZE).to_bytes(_PATTERN_SIZE, "little")
            pattern = _patterns[seed] = raw + raw[:_SLICE]
        return pattern


class GeneratedBody:
    """A deterministic body of ``size`` bytes, generated on the fly (never held whole).

    Byte ``i`` is ``pattern[i % P]`` for a seeded random pattern of P = 1 MiB + 9 bytes,
    so a body resumed at the wrong offset, or with a chunk missing or doubled, does not
    match :meth:`sha256`.

    :param size: bytes (>= 0).
    :param seed: pattern seed; equal seeds give equal bodies.
    """

    def __init__(self, size: int, seed: int = 0) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"GeneratedBody: size must be a byte count >= 0, got {size!r}")
        self.size = size
        self.seed = seed
        self._sha: t.Optional[str] = None

    def chunks(self, start: int = 0, end: t.Optional[int] = None) -> t.Iterator[memoryview]:
        """The bytes ``[start, end)`` (default: to the end), in slices of at most 256 KiB."""
        end = self.size if end is None else min(end, self.size)
        view = memoryview(_pattern(self.seed))
        position = start
        while position < end:
            offset = position % _PATTERN_SIZE
            n = min(_SLICE, end - position)
            yield view[offset:offset + n]
            position += n

    def read(self, start: int = 0, end: t.Optional[int] = None) -> bytes:
        """The bytes ``[start, end)`` as one ``bytes`` object (for small bodies and tests)."""
        return b"".join(bytes(c) for c in self.chunks(start, end))

    def sha256(self) -> str:
        """The hex SHA-256 of the whole body (computed once, by streaming)."""
        if self._sha is None:
            digest = hashlib.sha256()
            for chunk in self.chunks():
                digest.update(chunk)
            self._sha = digest.hexdigest()
        return self._sha

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"GeneratedBody(size={self.size}, seed={self.seed})"


class _BytesBody:
    """Bytes with the :class:`GeneratedBody` interface."""

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.size = len(self.data)

    def chunks(self, start: int = 0, end: t.Optional[int] = None) -> t.Iterator[memoryview]:
        end = self.size if end is None else min(end, self.size)
        view = memoryview(self.data)
        for position in range(start, end, _SLICE):
            yield view[position:min(end, position + _SLICE)]

    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


Body = t.Union[bytes, str, GeneratedBody]


def as_body(body: Body) -> t.Union[GeneratedBody, _BytesBody]:
    """A body object for ``bytes``, ``str`` (UTF-8) or a :class:`GeneratedBody`."""
    if isinstance(body, GeneratedBody):
        return body
    if isinstance(body, str):
        return _BytesBody(body.encode("utf-8"))
    if isinstance(body, (bytes, bytearray, memoryview)):
        return _BytesBody(bytes(body))
    raise TypeError(f"an object body is bytes, str or a GeneratedBody, got {type(body).__name__}")


@dataclass(frozen=True)
class DropAfter:
    """Fault: send the headers and the first ``nbytes`` bytes of the body, then close."""

    nbytes: int


@dataclass(frozen=True)
class WrongLength:
    """Fault: announce ``extra`` more bytes than the body has, send the body, then close
    (the client sees a short body every time this plays)."""

    extra: int = 1000


class StoredObject:
    """One object: its body, and when it may be served (``ready()``)."""

    def __init__(self, body: Body, ready: t.Optional[t.Callable[[], bool]] = None,
                 content_type: str = "application/octet-stream") -> None:
        self.body = as_body(body)
        self.ready = ready if ready is not None else (lambda: True)
        self.content_type = content_type


class _Stream:
    """An action streaming ``[start, end)`` of a body with ``status`` and ``headers``."""

    def __init__(self, body: t.Any, start: int, end: int, status: int, headers: t.Dict[str, str], *,
                 fault: t.Any = None) -> None:
        self.body, self.start, self.end, self.status = body, start, end, status
        self.headers, self.fault = headers, fault

    def play(self, handler: t.Any) -> None:
        length = self.end - self.start
        stop = self.end
        if isinstance(self.fault, WrongLength):
            length += self.fault.extra
        elif isinstance(self.fault, DropAfter):
            stop = min(self.end, self.start + max(0, self.fault.nbytes))
        handler.send_response(self.status)
        for name, value in self.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        try:
            if handler.command != "HEAD":
                for chunk in self.body.chunks(self.start, stop):
                    handler.wfile.write(chunk)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client went away
            handler.close_connection = True
            return
        if self.fault is not None:
            Drop().play(handler)


class StorageServer(FlakyServer):
    """The fake pre-signed storage host. ``server.url`` is its origin.

    :param ignore_range: answer every GET with the whole object (200), as a server without
        ``Range`` support does. Default False.
    :param secret: signs the URLs made by :meth:`put` (a request with a wrong or missing
        signature gets 403, an expired one 403 too).
    :param kwargs: :class:`~luco_client.testing.FlakyServer` arguments (``tls=``, ``port=``...).

    Admin view: :attr:`refused` (requests refused for carrying credentials),
    :meth:`object_requests` (GETs of objects), plus the FlakyServer's ``received()``.
    """

    def __init__(self, *, ignore_range: bool = False, secret: str = "storage-signing-secret",
                 **kwargs: t.Any) -> None:
        kwargs.pop("default", None)
        super().__init__(default=self.route, **kwargs)
        self.ignore_range = ignore_range
        self._secret = secret.encode("utf-8")
        self._objects: t.Dict[str, StoredObject] = {}
        self._faults: t.List[t.Any] = []
        self._state = threading.Lock()
        self.forbidden_values: t.Set[str] = set()
        #: Requests refused because they carried a credential.
        self.refused: t.List[Received] = []

    # ------------------------------------------------------------------ objects

    def put(self, name: str, body: Body, *, ready: t.Optional[t.Callable[[], bool]] = None,
            expires: float = 4_102_444_800.0) -> str:
        """Store ``body`` as ``name``; returns its pre-signed URL. ``ready``: the object is
        served only once ``ready()`` is true (404 before); ``expires``: epoch seconds."""
        with self._state:
            self._objects[name] = StoredObject(body, ready)
        path = "/objects/" + quote(name, safe="/")
        expiry = str(int(expires))
        return f"{self.url}{path}?Expires={expiry}&Signature={self._sign(path, expiry)}"

    def object(self, name: str) -> StoredObject:
        """The stored object ``name`` (KeyError if unknown)."""
        with self._state:
            return self._objects[name]

    def forbid(self, *values: str) -> None:
        """Refuse (400) any request in which one of ``values`` (an API key) appears."""
        self.forbidden_values.update(v for v in values if v)

    def inject(self, *faults: t.Union[DropAfter, WrongLength]) -> None:
        """Queue faults for the next object responses (one each, in order)."""
        with self._state:
            self._faults.extend(faults)

    def object_requests(self) -> t.List[Received]:
        """The requests that asked for an object (any status)."""
        return [r for r in self.received() if r.path.startswith("/objects/")]

    def _sign(self, path: str, expiry: str) -> str:
        return hmac.new(self._secret, f"{path}\n{expiry}".encode(), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------------ routing

    def _carries_credentials(self, received: Received) -> bool:
        if any(name.lower() in _CREDENTIAL_HEADERS for name in received.headers):
            return True
        text = received.path + "?" + received.query_string + "\n" + "\n".join(received.headers.values())
        return any(value in text for value in self.forbidden_values)

    def route(self, received: Received) -> t.Any:
        """The storage host's answer to ``received``."""
        if self._carries_credentials(received):
            with self._state:
                self.refused.append(received)
            return Reply(400, {"message": "Only one auth mechanism allowed; credentials are not accepted here"})
        if received.method not in ("GET", "HEAD") or not received.path.startswith("/objects/"):
            return Reply(405 if received.path.startswith("/objects/") else 404, {"message": "NoSuchKey"})
        path = received.path
        expiry = received.query.get("Expires", "")
        signature = received.query.get("Signature", "")
        if not hmac.compare_digest(signature, self._sign(path, expiry)):
            return Reply(403, {"message": "SignatureDoesNotMatch"})
        with self._state:
            stored = self._objects.get(unquote(path[len("/objects/"):]))
        if stored is None or not stored.ready():
            return Reply(404, {"message": "NoSuchKey"})
        return self._serve(received, stored)

    def _serve(self, received: Received, stored: StoredObject) -> t.Any:
        size = stored.body.size
        headers = {"Content-Type": stored.content_type, "Accept-Ranges": "none" if self.ignore_range else "bytes"}
        start, end, status = 0, size, 200
        wanted = received.header("Range")
        if wanted and not self.ignore_range:
            match = _RANGE.match(wanted)
            if match and (match.group(1) or match.group(2)):
                first, last = match.group(1), match.group(2)
                if first:
                    start = int(first)
                    end = min(size, int(last) + 1) if last else size
                else:  # a suffix: the last N bytes
                    start = max(0, size - int(last))
                if start >= size or start >= end:
                    return Reply(416, b"", {"Content-Range": f"bytes */{size}"})
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        with self._state:
            fault = self._faults.pop(0) if self._faults and received.method == "GET" else None
        return _Stream(stored.body, start, end, status, headers, fault=fault)
