"""Large, deterministic bodies served with HTTP ranges: the test kit for downloads.

A :class:`Blob` is ``size`` bytes generated from a seed, never held in memory as a whole
(200 MiB cost the server one 1 MiB block). :class:`ServeBlob` is a server action that
serves it like object storage does: ``Content-Length``, a strong ``ETag``, ``Range`` and
``If-Range`` requests answered with 206, optionally misbehaving (dropping the connection
mid-body, ignoring ``Range``, announcing a wrong length).
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import typing as t
from dataclasses import dataclass

from luco_client.testing._flaky import Drop

if t.TYPE_CHECKING:
    from luco_client.testing._flaky import RequestHandler

__all__ = ["Blob", "ServeBlob"]

_BLOCK = 1 << 20
_RANGE = re.compile(r"^\s*bytes=(\d+)-(\d*)\s*$")


class Blob:
    """``size`` pseudo-random bytes from ``seed``; block *i* (1 MiB) is a 1 MiB seeded block
    rotated by *i* bytes, so misplaced bytes never go unnoticed by a checksum.

    :param size: length in bytes (≥ 0).
    :param seed: the content's seed; equal seeds and sizes give equal content.
    """

    def __init__(self, size: int, seed: int = 0) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        self.size = size
        self.seed = seed
        self._base = random.Random(seed).getrandbits(_BLOCK * 8).to_bytes(_BLOCK, "little")
        self._digest: t.Optional[str] = None
        self._lock = threading.Lock()

    def _block(self, index: int) -> bytes:
        shift = index % _BLOCK
        return self._base[shift:] + self._base[:shift]

    def chunks(self, start: int = 0, end: t.Optional[int] = None, chunk: int = 1 << 16) -> t.Iterator[bytes]:
        """The bytes ``[start, end)`` in pieces of at most ``chunk`` bytes."""
        end = self.size if end is None else min(end, self.size)
        position = start
        built, block = -1, b""
        while position < end:
            index, offset = divmod(position, _BLOCK)
            take = min(chunk, _BLOCK - offset, end - position)
            if index != built:  # one rotation per 1 MiB block, not per piece
                built, block = index, self._block(index)
            yield block[offset:offset + take]
            position += take

    def read(self, start: int = 0, end: t.Optional[int] = None) -> bytes:
        """The bytes ``[start, end)`` at once (for small blobs in tests)."""
        return b"".join(self.chunks(start, end))

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of the whole content (computed once)."""
        with self._lock:
            if self._digest is None:
                digest = hashlib.sha256()
                for piece in self.chunks(chunk=_BLOCK):
                    digest.update(piece)
                self._digest = digest.hexdigest()
            return self._digest

    @property
    def etag(self) -> str:
        """A strong ETag for the content."""
        return f'"{self.seed:x}-{self.size:x}"'


@dataclass(frozen=True)
class ServeBlob:
    """Serve ``blob`` as object storage would, with ranges.

    :param blob: the content.
    :param ranges: honour ``Range: bytes=a-[b]`` (206 with ``Content-Range``), subject to
        ``If-Range`` matching the ETag. ``False``: a server that ignores ranges (always 200
        with the whole body).
    :param drop_after: close the connection after this many body bytes of this answer (a
        reset mid-download); ``None``: send everything.
    :param length_delta: announce ``Content-Length`` this many bytes off the truth (the body
        sent is the true one, cut to the announced length when that is shorter).
    :param chunk: bytes per write.
    """

    blob: Blob
    ranges: bool = True
    drop_after: t.Optional[int] = None
    length_delta: int = 0
    chunk: int = 1 << 16

    def play(self, handler: RequestHandler) -> None:
        size = self.blob.size
        start, end, status = 0, size, 200
        wanted = handler.headers.get("Range")
        if_range = handler.headers.get("If-Range")
        match = _RANGE.match(wanted) if wanted else None
        if self.ranges and match and (if_range is None or if_range == self.blob.etag):
            start = int(match.group(1))
            end = min(size, int(match.group(2)) + 1) if match.group(2) else size
            if start >= size or start >= end:
                handler.send_response(416)
                handler.send_header("Content-Range", f"bytes */{size}")
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            status = 206
        announced = max(0, end - start + self.length_delta)
        handler.send_response(status)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(announced))
        handler.send_header("ETag", self.blob.etag)
        if self.ranges:
            handler.send_header("Accept-Ranges", "bytes")
        if status == 206:
            handler.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        handler.end_headers()
        if handler.command == "HEAD":
            return
        limit = min(end, start + announced)
        if self.drop_after is not None:
            limit = min(limit, start + self.drop_after)
        sent_all = limit == start + announced
        try:
            for piece in self.blob.chunks(start, limit, self.chunk):
                handler.wfile.write(piece)
            handler.wfile.flush()
        except OSError:  # the client hung up
            handler.close_connection = True
            return
        if not sent_all or self.length_delta:
            Drop().play(handler)
