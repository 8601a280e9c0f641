"""A fake object-storage host for pre-signed downloads, on 127.0.0.1.

It serves objects at pre-signed URLs (``/objects/<name>?Expires=...&Signature=...``) the
way S3-like stores do, through the test kit's :class:`~luco_client.testing.ServeBlob`
action (``Content-Length``, ``ETag``, ``Range``/``If-Range``), and misbehaves on request:

* it **refuses any request carrying credentials** (an ``Authorization``, ``X-Api-Key`` or
  cookie header, or one of the API keys it was told about anywhere in the request) with
  400, and remembers it in :attr:`StorageServer.refused`: a client that leaks its API key
  to the storage host fails loudly;
* an object can stay unavailable (404) until a condition holds (a run succeeded);
* ``ignore_range=True``: a server without ``Range`` support (always 200, whole object);
* :meth:`StorageServer.fail_next` breaks the next object answers: dropped mid-body
  (``drop_after=``), or announcing a wrong ``Content-Length`` (``length_delta=``);
* bodies can be large without being held in memory (a :class:`~luco_client.testing.Blob`).

It is a :class:`~luco_client.testing.FlakyServer`, so ``script()``, ``received()`` and
``count()`` work as usual (a script wins over the objects).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import typing as t
import zlib
from urllib.parse import quote, unquote

from luco_client.testing._blobs import Blob, ServeBlob
from luco_client.testing._flaky import FlakyServer, Received, Reply

__all__ = ["StorageServer", "StoredObject", "Body", "as_blob"]

_CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"})

#: What an object can be made of: bytes, text (UTF-8) or a generated :class:`Blob`.
Body = t.Union[bytes, str, Blob]


class _BytesBlob(Blob):
    """Given bytes with :class:`Blob`'s interface (for small, readable outputs)."""

    def __init__(self, data: bytes) -> None:  # no generated block: the bytes are the content
        self.data = bytes(data)
        self.size = len(self.data)
        self.seed = zlib.crc32(self.data)
        self._digest: t.Optional[str] = hashlib.sha256(self.data).hexdigest()
        self._lock = threading.Lock()

    def chunks(self, start: int = 0, end: t.Optional[int] = None, chunk: int = 1 << 16) -> t.Iterator[bytes]:
        end = self.size if end is None else min(end, self.size)
        for position in range(start, end, chunk):
            yield self.data[position:min(end, position + chunk)]


def as_blob(body: Body) -> Blob:
    """A :class:`Blob` for ``bytes``, ``str`` (UTF-8) or a Blob (as it is)."""
    if isinstance(body, Blob):
        return body
    if isinstance(body, str):
        return _BytesBlob(body.encode("utf-8"))
    if isinstance(body, (bytes, bytearray, memoryview)):
        return _BytesBlob(bytes(body))
    raise TypeError(f"an object body is bytes, str or a Blob, got {type(body).__name__}")


class StoredObject:
    """One object: its content (a :class:`Blob`) and when it may be served (``ready()``)."""

    def __init__(self, body: Body, ready: t.Optional[t.Callable[[], bool]] = None) -> None:
        self.blob = as_blob(body)
        self.ready = ready if ready is not None else (lambda: True)


class StorageServer(FlakyServer):
    """The fake pre-signed storage host. ``server.url`` is its origin.

    :param ignore_range: answer every GET with the whole object (200), as a server without
        ``Range`` support does. Default False.
    :param secret: signs the URLs made by :meth:`put` (a request with a wrong or missing
        signature gets 403).
    :param kwargs: :class:`~luco_client.testing.FlakyServer` arguments (``tls=``, ``port=``...).

    Admin view: :attr:`refused` (requests refused for carrying credentials),
    :meth:`object_requests` (requests for objects), plus the FlakyServer's ``received()``.
    """

    def __init__(self, *, ignore_range: bool = False, secret: str = "storage-signing-secret",
                 **kwargs: t.Any) -> None:
        kwargs.pop("default", None)
        super().__init__(default=self.route, **kwargs)
        self.ignore_range = ignore_range
        self._secret = secret.encode("utf-8")
        self._objects: t.Dict[str, StoredObject] = {}
        self._faults: t.List[t.Dict[str, int]] = []
        self._state = threading.Lock()
        self._forbidden: t.Set[str] = set()
        #: Requests refused because they carried a credential.
        self.refused: t.List[Received] = []

    # ------------------------------------------------------------------ objects

    def put(self, name: str, body: Body, *, ready: t.Optional[t.Callable[[], bool]] = None,
            expires: int = 4_102_444_800) -> str:
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
        with self._state:
            self._forbidden.update(v for v in values if v)

    def fail_next(self, *, drop_after: t.Optional[int] = None, length_delta: int = 0, times: int = 1) -> None:
        """Break the next ``times`` object answers: close the connection after
        ``drop_after`` body bytes, and/or announce a ``Content-Length`` ``length_delta``
        bytes off the truth (see :class:`~luco_client.testing.ServeBlob`)."""
        fault: t.Dict[str, int] = {"length_delta": length_delta}
        if drop_after is not None:
            fault["drop_after"] = drop_after
        with self._state:
            self._faults.extend(dict(fault) for _ in range(times))

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
        with self._state:
            return any(value in text for value in self._forbidden)

    def route(self, received: Received) -> t.Any:
        """The storage host's answer to ``received``."""
        if self._carries_credentials(received):
            with self._state:
                self.refused.append(received)
            return Reply(400, {"message": "Only one auth mechanism allowed; credentials are not accepted here"})
        if not received.path.startswith("/objects/"):
            return Reply(404, {"message": "NoSuchKey"})
        if received.method not in ("GET", "HEAD"):
            return Reply(405, {"message": "MethodNotAllowed"}, {"Allow": "GET, HEAD"})
        expiry = received.query.get("Expires", "")
        if not hmac.compare_digest(received.query.get("Signature", ""), self._sign(received.path, expiry)):
            return Reply(403, {"message": "SignatureDoesNotMatch"})
        with self._state:
            stored = self._objects.get(unquote(received.path[len("/objects/"):]))
            fault = self._faults.pop(0) if self._faults and stored is not None and received.method == "GET" \
                and stored.ready() else {}
        if stored is None or not stored.ready():
            return Reply(404, {"message": "NoSuchKey"})
        return ServeBlob(stored.blob, ranges=not self.ignore_range, chunk=1 << 20, **fault)
