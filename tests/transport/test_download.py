"""session.download(): streamed to a temporary file, resumed, checked, renamed atomically."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
import typing as t

import pytest

from luco_client import (
    ApiKeyAuth,
    CallOptions,
    ChecksumMismatchError,
    ConfigurationError,
    DeadlineExceededError,
    DownloadError,
    DownloadProgress,
    GracefulRetry,
    GracefulSession,
    IncompleteDownloadError,
    JSONDirReplayStorage,
    NotFoundError,
    ReadError,
    Replay,
    Throttle,
    ThrottleRule,
    Timeout,
)
from luco_client.testing import Blob, FlakyServer, Garbage, Redirect, Reply, ServeBlob, Trickle


def _session(**kwargs: t.Any) -> GracefulSession:
    kwargs.setdefault("retry", GracefulRetry(max_attempts=4, delay=0.01, jitter=0))
    return GracefulSession(**kwargs)


def _leftovers(directory: t.Any) -> t.List[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".part"))


def test_download_writes_the_content_and_reports_it(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(3 * 1024 * 1024 + 17, seed=1)
    server.script("/out", ServeBlob(blob))
    dest = tmp_path / "out.bin"
    seen: t.List[DownloadProgress] = []
    session = _session()
    result = session.download(server.url + "/out", dest, checksum=("sha256", blob.sha256), progress=seen.append,
                              chunk_size=256 * 1024)
    assert dest.read_bytes() == blob.read()
    assert (result.path, result.size, result.checksum) == (str(dest), blob.size, blob.sha256)
    assert (result.resumes, result.restarts, len(result.attempts)) == (0, 0, 1)
    assert [p.done for p in seen] == sorted(p.done for p in seen) and seen[-1].done == blob.size
    assert all(p.total == blob.size for p in seen) and seen[-1].rate > 0
    assert _leftovers(tmp_path) == []
    total = session.stats.snapshot().total
    assert (total.calls, total.requests, total.successes) == (1, 1, 1)
    assert server.received("/out")[0].header("Accept-Encoding") == "identity"


def test_a_dropped_connection_is_resumed_with_range(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(2 * 1024 * 1024, seed=2)
    server.script("/out", ServeBlob(blob, drop_after=700_000), ServeBlob(blob, drop_after=500_000), ServeBlob(blob))
    session = _session()
    chunk = 65536
    result = session.download(server.url + "/out", tmp_path / "f", checksum=("sha256", blob.sha256),
                              chunk_size=chunk)
    assert (tmp_path / "f").read_bytes() == blob.read()
    assert (result.resumes, result.restarts, len(result.attempts)) == (2, 0, 3)
    ranges = [r.header("Range") for r in server.received("/out")]
    assert ranges[0] is None
    first, second = (int(str(r)[len("bytes="):-1]) for r in ranges[1:])
    # urllib3 2.x drops a chunk cut short by the reset (read again from its start); 1.26 keeps it
    assert first in (700_000 // chunk * chunk, 700_000)
    assert second - first in (500_000 // chunk * chunk, 500_000)
    assert all(r.header("If-Range") == blob.etag for r in server.received("/out")[1:])
    total = session.stats.snapshot().total
    assert (total.calls, total.requests, total.retries, total.failures) == (1, 3, 2, 2)


def test_a_server_ignoring_range_restarts_from_zero(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(1_500_000, seed=3)
    server.script("/out", ServeBlob(blob, ranges=False, drop_after=600_000), ServeBlob(blob, ranges=False))
    result = _session().download(server.url + "/out", tmp_path / "f", checksum=("sha256", blob.sha256),
                                 chunk_size=65536)
    assert (tmp_path / "f").read_bytes() == blob.read()
    assert (result.resumes, result.restarts) == (0, 1)


def test_a_changed_content_restarts_instead_of_mixing_versions(server: FlakyServer, tmp_path: t.Any) -> None:
    old, new = Blob(1_000_000, seed=7), Blob(1_000_000, seed=8)  # same size, new ETag
    server.script("/out", ServeBlob(old, drop_after=400_000), ServeBlob(new))
    result = _session().download(server.url + "/out", tmp_path / "f", chunk_size=65536)
    assert (tmp_path / "f").read_bytes() == new.read() and result.restarts == 1


def test_an_announced_length_other_than_expected_fails_before_reading(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(100_000, seed=4)
    server.script("/out", ServeBlob(blob, length_delta=+100))
    with pytest.raises(IncompleteDownloadError) as info:
        _session().download(server.url + "/out", tmp_path / "f", expected_size=blob.size)
    assert (info.value.expected, info.value.received) == (blob.size, blob.size + 100)
    assert server.count("/out") == 1 and not (tmp_path / "f").exists() and _leftovers(tmp_path) == []


def test_a_short_length_is_caught_by_the_checksum(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(100_000, seed=5)
    server.script("/out", ServeBlob(blob, length_delta=-100))
    with pytest.raises(ChecksumMismatchError) as info:
        _session().download(server.url + "/out", tmp_path / "f", checksum=("sha256", blob.sha256))
    assert info.value.expected == blob.sha256 and info.value.received != blob.sha256
    assert info.value.attempt_count == 1 and info.value.dest == str(tmp_path / "f")
    assert not (tmp_path / "f").exists() and _leftovers(tmp_path) == []


def test_a_body_that_keeps_breaking_fails_typed_and_leaves_the_old_file(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(500_000, seed=6)
    server.script("/out", ServeBlob(blob, drop_after=1000))
    dest = tmp_path / "f"
    dest.write_bytes(b"previous result")
    with pytest.raises(ReadError) as info:
        _session().download(server.url + "/out", dest)
    assert info.value.attempt_count == 4 and server.count("/out") == 4
    assert dest.read_bytes() == b"previous result" and _leftovers(tmp_path) == []


def test_an_error_status_is_typed_and_writes_nothing(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/missing", Reply(404, {"error": "no such object"}))
    dest = tmp_path / "f"
    dest.write_bytes(b"keep me")
    with pytest.raises(NotFoundError) as info:
        _session().download(server.url + "/missing", dest)
    assert "no such object" in info.value.body_excerpt
    assert dest.read_bytes() == b"keep me" and _leftovers(tmp_path) == []


def test_the_download_deadline_cuts_a_trickling_body(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/slow", Trickle(b"s" * 400, interval=0.05))
    with pytest.raises(DeadlineExceededError) as info:
        _session(timeout=Timeout(5, 1)).download(server.url + "/slow", tmp_path / "f", deadline=0.6)
    assert info.value.elapsed is not None and info.value.elapsed <= 0.8  # 0.2 s for a loaded machine
    assert not (tmp_path / "f").exists() and _leftovers(tmp_path) == []


def test_credentials_never_follow_a_redirect_to_another_origin(
        server: FlakyServer, other_server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(10_000, seed=9)
    other_server.script("/object", ServeBlob(blob))
    server.script("/result", Redirect(other_server.url + "/object?X-Signature=abc"))
    session = _session()
    session.auth = ApiKeyAuth("api-key-" + "1" * 20, header="Authorization")
    session.download(server.url + "/result", tmp_path / "f")
    assert server.received("/result")[0].header("Authorization") is not None
    (at_storage,) = other_server.received("/object")
    assert at_storage.header("Authorization") is None and "1" * 20 not in str(at_storage.headers)
    assert (tmp_path / "f").read_bytes() == blob.read()


def test_every_attempt_passes_the_throttle(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(300_000, seed=10)
    server.script("/out", ServeBlob(blob, drop_after=1000), ServeBlob(blob))
    session = _session(throttle=Throttle(ThrottleRule(r"/out", 1, 0.3)))
    session.download(server.url + "/out", tmp_path / "f")
    assert session.stats.snapshot().total.throttle_waits == 1  # the resume waited its turn


def test_without_retries_a_drop_is_final(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(300_000, seed=11)
    server.script("/out", ServeBlob(blob, drop_after=1000), ServeBlob(blob))
    with pytest.raises(ReadError):
        _session().download(server.url + "/out", tmp_path / "f", options=CallOptions(retry=None))
    assert server.count("/out") == 1 and _leftovers(tmp_path) == []


def test_a_failing_progress_callback_aborts_cleanly(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/out", ServeBlob(Blob(300_000, seed=12)))

    def progress(_: DownloadProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _session().download(server.url + "/out", tmp_path / "f", progress=progress, chunk_size=4096)
    assert not (tmp_path / "f").exists() and _leftovers(tmp_path) == []


def test_bad_arguments_are_configuration_errors(server: FlakyServer, tmp_path: t.Any) -> None:
    session = _session()
    for kwargs in ({"chunk_size": 0}, {"expected_size": -1}, {"checksum": ("nope", "00")},
                   {"checksum": "sha256"}, {"progress": 3}):
        with pytest.raises(ConfigurationError):
            session.download(server.url + "/x", tmp_path / "f", **kwargs)
    with pytest.raises(ConfigurationError):
        session.download(server.url + "/x", tmp_path / "no-such-dir" / "f")
    with pytest.raises(ConfigurationError):
        session.download(server.url + "/x", tmp_path)
    assert server.count() == 0 and _leftovers(tmp_path) == []


def test_a_directory_that_refuses_files_is_a_typed_error(server: FlakyServer) -> None:
    # /proc refuses new files even to root (a read-only directory would not stop root)
    with pytest.raises(ConfigurationError) as info:
        _session().download(server.url + "/x", "/proc/result.bin")
    assert "cannot create a file" in str(info.value) and server.count() == 0


def test_checksum_of_the_result_matches_hashlib(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(123_456, seed=13)
    server.script("/out", ServeBlob(blob, drop_after=50_000), ServeBlob(blob))
    result = _session().download(server.url + "/out", tmp_path / "f", chunk_size=4096, checksum=("md5", hashlib.md5(
        blob.read()).hexdigest()))
    assert result.resumes == 1
    assert result.checksum == hashlib.md5((tmp_path / "f").read_bytes()).hexdigest()


def test_an_announced_length_longer_than_the_content_is_an_incomplete_download(
        server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(100_000, seed=14)
    server.script("/out", ServeBlob(blob, length_delta=+100))  # announces 100 bytes more, then drops
    dest = tmp_path / "f"
    with pytest.raises(IncompleteDownloadError) as info:
        _session().download(server.url + "/out", dest, chunk_size=4096)
    assert (info.value.expected, info.value.received) == (blob.size + 100, blob.size)
    assert server.count("/out") == 2  # the resume asked for the rest and learnt it does not exist
    assert not dest.exists() and _leftovers(tmp_path) == []


def test_a_304_or_other_answer_without_content_never_replaces_the_file(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/cached", Reply(304, b""), Reply(300, b"", headers={"X": "y"}))
    dest = tmp_path / "f"
    dest.write_bytes(b"the previous result")
    for _ in range(2):
        with pytest.raises(DownloadError):
            _session().download(server.url + "/cached", dest, headers={"If-None-Match": '"v1"'})
    assert dest.read_bytes() == b"the previous result" and _leftovers(tmp_path) == []


def test_a_bad_deadline_leaves_no_temporary_file(server: FlakyServer, tmp_path: t.Any) -> None:
    with pytest.raises(ConfigurationError):
        _session().download(server.url + "/x", tmp_path / "f", deadline=-1)
    assert _leftovers(tmp_path) == [] and server.count() == 0


def test_a_drop_after_the_last_byte_is_confirmed_complete_by_the_416(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(10_000, seed=15)

    def chunked_then_drop(received: t.Any) -> t.Any:  # every byte, then a reset before the last chunk
        return Garbage(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: " + blob.etag.encode()
                       + b"\r\n\r\n" + b"%x\r\n" % blob.size + blob.read() + b"\r\n")

    server.script("/out", chunked_then_drop, ServeBlob(blob))
    result = _session().download(server.url + "/out", tmp_path / "f", chunk_size=1000,
                                 checksum=("sha256", blob.sha256))
    assert (tmp_path / "f").read_bytes() == blob.read() and result.size == blob.size
    assert server.received("/out")[1].header("Range") == f"bytes={blob.size}-"


def test_wrong_content_retried_by_retry_on_starts_over(server: FlakyServer, tmp_path: t.Any) -> None:
    good, bad = Blob(3000, seed=16), Blob(3000, seed=17)
    server.script("/out", ServeBlob(bad), ServeBlob(good))
    session = GracefulSession(retry=GracefulRetry(max_attempts=2, delay=0, jitter=0, retry_on=Exception))
    result = session.download(server.url + "/out", tmp_path / "f", checksum=("sha256", good.sha256))
    assert (tmp_path / "f").read_bytes() == good.read() and result.checksum == good.sha256
    assert server.received("/out")[1].header("Range") is None  # from zero, not from the end


def test_no_validator_or_an_encoded_body_means_no_resume(server: FlakyServer, tmp_path: t.Any) -> None:
    body = b"0123456789" * 2000

    def plain(received: t.Any) -> t.Any:  # no ETag, no Last-Modified: a range could mix versions
        return Garbage(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:5000])

    server.script("/plain", plain, Reply(200, body))
    _session().download(server.url + "/plain", tmp_path / "p", chunk_size=1000)
    assert (tmp_path / "p").read_bytes() == body
    assert server.received("/plain")[1].header("Range") is None


def test_a_body_longer_than_expected_stops_early(server: FlakyServer, tmp_path: t.Any) -> None:
    blob = Blob(500_000, seed=18)
    server.script("/out", Garbage(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in blob.chunks(chunk=50_000))
                                  + b"0\r\n\r\n"))
    with pytest.raises(IncompleteDownloadError) as info:
        _session().download(server.url + "/out", tmp_path / "f", expected_size=1000, chunk_size=1000)
    assert info.value.received <= 2000 and _leftovers(tmp_path) == []


def test_the_file_gets_the_mode_open_would_give(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/out", ServeBlob(Blob(100, seed=19)))
    _session().download(server.url + "/out", tmp_path / "f")
    old = os.umask(0o022)
    os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o666 & ~old


def _peak_of(download: t.Callable[[], t.Any]) -> int:
    tracemalloc.start()
    try:
        download()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_recording_keeps_small_downloads_and_streams_large_ones(server: FlakyServer, tmp_path: t.Any) -> None:
    small, large = Blob(1000, seed=20), Blob(9 << 20, seed=21)  # the limit is 8 MiB
    server.script("/small", ServeBlob(small))
    server.script("/large", ServeBlob(large))
    plain = _peak_of(lambda: _session().download(server.url + "/large", tmp_path / "l0", chunk_size=65536))
    storage = JSONDirReplayStorage(tmp_path / "rec")
    with GracefulSession(replay=Replay("record", storage)) as session:
        session.download(server.url + "/small", tmp_path / "s")
        recording = _peak_of(lambda: session.download(server.url + "/large", tmp_path / "l", chunk_size=65536))
    # the large body was streamed to its file as without recording, not held (9 MiB) to be
    # recorded (the fake server's blocks, built in this process, are in both peaks)
    assert recording < plain + (1 << 20) and recording < large.size // 2
    assert (tmp_path / "l").read_bytes() == large.read() and len(storage.list_keys()) == 1
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(tmp_path / "rec"))) as session:
        session.download(server.url + "/small", tmp_path / "s2")  # replayed, offline
    assert (tmp_path / "s2").read_bytes() == small.read()


def test_an_interrupted_download_leaves_nothing_watched(server: FlakyServer, tmp_path: t.Any) -> None:
    from luco_client.transport._wire import REAPER

    server.script("/out", ServeBlob(Blob(300_000, seed=22)))

    def progress(_: DownloadProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _session().download(server.url + "/out", tmp_path / "f", progress=progress, chunk_size=4096, deadline=30)
    assert REAPER._by_conn == {}  # the attempt's connection left the reaper with it
