"""Downloads: one logical call that streams a body into a file, safely.

:meth:`GracefulSession.download <luco_client.transport.GracefulSession.download>` sends one
GET through the attempt loop with a :class:`FileSink` as the call's body consumer, so the
body is read *inside* each attempt: a connection that drops mid-body is a failed attempt,
retried under the call's policy, deadline and throttle, counted in the stats and logged like
any other. Order of operations:

1. the sink opens a temporary file beside the destination (same directory, so the final
   rename is atomic);
2. before each attempt it asks for the rest of the content (``Range: bytes=<n>-`` plus
   ``If-Range`` with the first answer's validator) once some bytes are on disk;
3. a 206 answer is appended (its ``Content-Range`` must start where the file ends); a 200
   answer to a range request means the server ignored it (or the content changed): the
   file is truncated and the download restarts from zero;
4. chunks are written and hashed as they arrive (memory stays at one chunk);
5. at the end the length is checked against ``Content-Length``/``Content-Range`` (and
   ``expected_size``), the digest against ``checksum``; the file is fsynced and renamed
   over the destination, and the directory fsynced.

On any failure the temporary file is removed: nothing appears at the destination, and a file
already there is left untouched.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import typing as t
from dataclasses import replace

import requests

from luco_client._redact import redact_url
from luco_client.errors import (
    ChecksumMismatchError,
    ConfigurationError,
    DownloadError,
    IncompleteDownloadError,
)
from luco_client.transport._options import CallOptions
from luco_client.transport._responses import raise_for_status

if t.TYPE_CHECKING:
    from luco_client.errors import AttemptRecord


class _Session(t.Protocol):
    """What a download needs of its session (a :class:`GracefulSession`)."""

    def request(self, method: str, url: t.Any, *args: t.Any, **kwargs: t.Any) -> requests.Response: ...

__all__ = ["DownloadProgress", "DownloadResult", "FileSink", "download"]

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_CONTENT_RANGE_END = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)


def _umask() -> int:
    """The process's umask, read without changing it (Linux); 0o022 elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


class DownloadProgress(t.NamedTuple):
    """Where a download stands: ``done`` bytes on disk, ``total`` bytes expected (``None``
    when the server did not say), ``rate`` in bytes per second since the download began,
    ``elapsed`` seconds since it began."""

    done: int
    total: t.Optional[int]
    rate: float
    elapsed: float


class DownloadResult(t.NamedTuple):
    """A finished download: ``path`` (the destination), ``size`` in bytes, ``checksum``
    (hex digest of the algorithm asked for, ``None`` without ``checksum=``), ``attempts``
    (the attempt history), ``resumes`` (attempts that continued with ``Range``),
    ``restarts`` (times the server ignored ``Range`` and the file started over) and
    ``elapsed`` seconds."""

    path: str
    size: int
    checksum: t.Optional[str]
    attempts: t.Tuple[AttemptRecord, ...]
    resumes: int
    restarts: int
    elapsed: float


def _content_length(response: requests.Response) -> t.Optional[int]:
    value = response.headers.get("Content-Length")
    if value is None or response.headers.get("Content-Encoding", "identity").lower() != "identity":
        return None
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


class FileSink:
    """The body consumer of one download (see the module docstring for the steps).

    :param dest: the destination path; its directory must exist.
    :param expected_size: bytes the content must have, or ``None``.
    :param checksum: ``(algorithm, hex digest)``, e.g. ``("sha256", "9f86...")``; any
        :mod:`hashlib` algorithm.
    :param chunk_size: bytes read and written at a time.
    :param progress: called after each chunk with a :class:`DownloadProgress`.
    """

    def __init__(self, dest: t.Union[str, os.PathLike], *, expected_size: t.Optional[int] = None,
                 checksum: t.Optional[t.Tuple[str, str]] = None, chunk_size: int = 1 << 20,
                 progress: t.Optional[t.Callable[[DownloadProgress], None]] = None) -> None:
        self.dest = os.path.abspath(os.fspath(dest))
        directory = os.path.dirname(self.dest)
        if os.path.isdir(self.dest):
            raise ConfigurationError(f"download: {self.dest!r} is a directory; give a file path")
        if not os.path.isdir(directory):
            raise ConfigurationError(f"download: the directory {directory!r} does not exist")
        self.algorithm: t.Optional[str] = None
        self.expected_digest: t.Optional[str] = None
        if checksum is not None:
            try:
                algorithm, digest = checksum
                hashlib.new(algorithm)
            except (TypeError, ValueError):
                raise ConfigurationError(f"download: checksum must be (algorithm, hex digest) with a hashlib "
                                         f"algorithm such as 'sha256', got {checksum!r}") from None
            self.algorithm, self.expected_digest = str(algorithm).lower(), str(digest).lower()
        self.expected_size = expected_size
        self.chunk_size = chunk_size
        self.progress = progress
        self.done = 0
        self.total: t.Optional[int] = None
        self.validator: t.Optional[str] = None
        self.resumable = True  # a range of an encoded (gzip...) body is no range of the content
        self.complete = False  # a 416 confirmed that every byte is on disk
        self.resumes = 0
        self.restarts = 0
        self.started = time.monotonic()
        self._transferred = 0  # bytes received in this download, restarts included (the rate)
        self._hash = hashlib.new(self.algorithm) if self.algorithm else None
        try:
            fd, self.temp = tempfile.mkstemp(prefix=f".{os.path.basename(self.dest)}.", suffix=".part",
                                             dir=directory)
        except OSError as exc:
            raise ConfigurationError(f"download: cannot create a file in {directory!r}: {exc.strerror}") from None
        self._file: t.Optional[t.BinaryIO] = os.fdopen(fd, "wb")
        try:  # mkstemp makes the file 0600: give it the mode open() would (0666 less the umask)
            os.chmod(self.temp, 0o666 & ~_umask())
        except OSError:
            pass

    # ------------------------------------------------------------------ BodyConsumer

    def prepare(self, request: requests.PreparedRequest) -> None:
        """Ask for the rest of the content once some of it is on disk."""
        request.headers["Accept-Encoding"] = "identity"  # byte ranges of the content itself
        if self.done > 0 and self.resumable and self.validator:
            # Only with a validator: without If-Range, two versions of the content could mix.
            request.headers["Range"] = f"bytes={self.done}-"
            request.headers["If-Range"] = self.validator
        else:
            request.headers.pop("Range", None)
            request.headers.pop("If-Range", None)

    def consume(self, response: requests.Response) -> None:
        """Write a 2xx body to the temporary file (see the module docstring)."""
        url = redact_url(response.url or "")
        if response.status_code == 416:  # the rest we asked for does not exist
            match = _CONTENT_RANGE_END.match(response.headers.get("Content-Range", ""))
            size = int(match.group(1)) if match else None
            if size == self.done and self.total in (None, size):  # every byte arrived before the drop
                self.total = size
                self._check_complete(url)
                self.complete = True
                return
            raise IncompleteDownloadError(
                f"the server announced {self.total} bytes but has {size if size is not None else 'fewer'} "
                f"(a range from byte {self.done} is past its end)", expected=self.total,
                received=size if size is not None else self.done, url=url, dest=self.dest)
        if response.status_code == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if match is None or int(match.group(1)) != self.done:
                raise DownloadError(f"the server answered a range request with the wrong range "
                                    f"({response.headers.get('Content-Range')!r}, expected bytes {self.done}-)",
                                    url=url, dest=self.dest)
            total = None if match.group(3) == "*" else int(match.group(3))
            self.resumes += 1
        else:
            if self.done > 0:  # Range ignored, or If-Range did not match: start over
                self._restart()
            length = _content_length(response)
            total = length if response.status_code == 200 else 0 if length is None else length
            self.resumable = response.headers.get("Content-Encoding", "identity").lower() == "identity"
            etag = response.headers.get("ETag")
            self.validator = etag if etag and not etag.startswith("W/") else response.headers.get("Last-Modified")
        if total is not None:
            if self.total is not None and total != self.total:
                raise IncompleteDownloadError(
                    f"the server announced {self.total} bytes, then {total} for the same content (its ETag "
                    "did not change): the first length was wrong", expected=self.total, received=total, url=url,
                    dest=self.dest)
            self.total = total
            if self.expected_size is not None and total != self.expected_size:
                raise IncompleteDownloadError(f"the server announced {total} bytes, {self.expected_size} expected",
                                              expected=self.expected_size, received=total, url=url,
                                              dest=self.dest)
        for chunk in response.iter_content(self.chunk_size):
            self._write(chunk)
        if self.total is not None and self.done < self.total:
            # A short 206 (a server sending part of the rest): ask for the remainder.
            raise requests.exceptions.ChunkedEncodingError(
                f"received {self.done} of {self.total} bytes; the rest will be requested")
        self._check_complete(url)

    # ------------------------------------------------------------------ file

    def _write(self, chunk: bytes) -> None:
        assert self._file is not None
        try:
            self._file.write(chunk)
        except OSError as exc:
            raise DownloadError(f"cannot write the download to {self.temp!r}: {exc.strerror}",
                                dest=self.dest) from None
        if self._hash is not None:
            self._hash.update(chunk)
        self.done += len(chunk)
        if self.expected_size is not None and self.done > self.expected_size:  # no need to read on
            raise IncompleteDownloadError(f"received more than the {self.expected_size} bytes expected",
                                          expected=self.expected_size, received=self.done, dest=self.dest)
        self._transferred += len(chunk)
        if self.progress is not None:
            elapsed = time.monotonic() - self.started
            self.progress(DownloadProgress(self.done, self.total, self._transferred / elapsed if elapsed > 0 else 0.0,
                                           elapsed))

    def _restart(self) -> None:
        self._reset()
        self.restarts += 1

    def _reset(self) -> None:
        """Back to an empty file (a retry after wrong content starts from zero)."""
        assert self._file is not None
        self._file.seek(0)
        self._file.truncate()
        self.done = 0
        self.total = None
        self._hash = hashlib.new(self.algorithm) if self.algorithm else None

    def _check_complete(self, url: str) -> None:
        try:
            self._check_content(url)
        except DownloadError:
            self._reset()  # should retry_on ask for another attempt, it starts from zero
            raise

    def _check_content(self, url: str) -> None:
        if self.expected_size is not None and self.done != self.expected_size:
            raise IncompleteDownloadError(f"received {self.done} bytes, {self.expected_size} expected",
                                          expected=self.expected_size, received=self.done, url=url, dest=self.dest)
        if self.total is not None and self.done != self.total:
            raise IncompleteDownloadError(f"received {self.done} bytes, the server announced {self.total}",
                                          expected=self.total, received=self.done, url=url, dest=self.dest)
        if self._hash is not None and self._hash.hexdigest() != self.expected_digest:
            raise ChecksumMismatchError(
                f"the {self.algorithm} digest of the content is not the expected one", algorithm=str(self.algorithm),
                expected=str(self.expected_digest), received=self._hash.hexdigest(), url=url, dest=self.dest)

    @property
    def digest(self) -> t.Optional[str]:
        """The hex digest of the content so far (``None`` without ``checksum=``)."""
        return self._hash.hexdigest() if self._hash is not None else None

    def commit(self) -> None:
        """fsync the file, rename it over the destination, fsync the directory."""
        file, self._file = self._file, None
        assert file is not None
        try:
            file.flush()
            os.fsync(file.fileno())
            file.close()
            os.replace(self.temp, self.dest)
        except OSError as exc:
            file.close()
            self.discard()
            raise DownloadError(f"cannot store the download at {self.dest!r}: {exc.strerror}",
                                dest=self.dest) from None
        if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename itself durable
            try:
                fd = os.open(os.path.dirname(self.dest), os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                return
            try:
                os.fsync(fd)
            except OSError:
                pass
            finally:
                os.close(fd)

    def discard(self) -> None:
        """Remove the temporary file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass


def download(
    session: _Session,
    url: str,
    dest: t.Union[str, os.PathLike],
    *,
    expected_size: t.Optional[int] = None,
    checksum: t.Optional[t.Tuple[str, str]] = None,
    chunk_size: int = 1 << 20,
    progress: t.Optional[t.Callable[[DownloadProgress], None]] = None,
    deadline: t.Optional[float] = None,
    options: t.Optional[CallOptions] = None,
    headers: t.Optional[t.Mapping[str, str]] = None,
    auth: t.Any = None,
    timeout: t.Any = None,
) -> DownloadResult:
    """See :meth:`GracefulSession.download <luco_client.transport.GracefulSession.download>`."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ConfigurationError(f"download: chunk_size must be a positive number of bytes, got {chunk_size!r}")
    if expected_size is not None and (isinstance(expected_size, bool) or not isinstance(expected_size, int)
                                      or expected_size < 0):
        raise ConfigurationError(f"download: expected_size must be a number of bytes >= 0, got {expected_size!r}")
    if progress is not None and not callable(progress):
        raise ConfigurationError(f"download: progress must be callable, got {progress!r}")
    if options is not None and not isinstance(options, CallOptions):
        raise ConfigurationError(f"download: options must be CallOptions, got {type(options).__name__}")
    base = options or CallOptions()
    base = replace(base, deadline=deadline if deadline is not None else base.deadline,  # checked before the file
                   success_statuses=base.success_statuses | {416})  # the sink judges a 416 (all on disk?)
    sink = FileSink(dest, expected_size=expected_size, checksum=checksum, chunk_size=chunk_size, progress=progress)
    try:
        response = session.request("GET", url, headers=headers, auth=auth, timeout=timeout, stream=True,
                                   allow_redirects=True, options=replace(base, consumer=sink))
        if not (response.status_code == 416 and sink.complete):
            raise_for_status(response)
        if not 200 <= response.status_code < 300 and not sink.complete:  # 304, 300, a 3xx without Location
            raise DownloadError(f"the server answered {response.status_code} {response.reason!s:.40} "
                                "without the content", url=redact_url(response.url or url), dest=sink.dest)
        sink.commit()
    except BaseException:
        sink.discard()
        raise
    return DownloadResult(sink.dest, sink.done, sink.digest, tuple(getattr(response, "luco_attempts", ())),
                          sink.resumes, sink.restarts, time.monotonic() - sink.started)
