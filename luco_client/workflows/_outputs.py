"""Where outputs are saved, and saving them through the transport's download primitive.

Naming, as dcipher names them (:func:`output_paths`):

* one result URL (``signedResponseURL``, or ``signedResponseURLs`` holding one): exactly
  ``save_path``;
* n >= 2 URLs: ``<base>_<i><ext>`` for i = 0..n-1, ``save_path`` split at its last
  extension (``out.json`` -> ``out_0.json``, ``out_1.json``; ``out.tar.gz`` ->
  ``out.tar_0.gz``; ``output`` -> ``output_0``);
* no URL: nothing is written.

Saving (:class:`Saver`): each output is downloaded by ``session.download`` (streamed
in chunks to a temporary file, fsynced, renamed atomically; retried and resumed with
``Range``; checked against ``Content-Length``). Several outputs are all-or-nothing: each is
first downloaded beside its target under a hidden staging name, and the targets are
replaced only when every output arrived; on any failure the staged files are removed, so
no target exists that did not exist before and a file already at a target is untouched.
"""

from __future__ import annotations

import os
import threading
import typing as t
import uuid
from dataclasses import replace
from urllib.parse import urlsplit

from luco_client.errors import ConfigurationError, DownloadError
from luco_client.transport import CallOptions
from luco_client.workflows._polling import log
from luco_client.workflows._results import FlowProgress, FlowResult

__all__ = ["output_paths", "check_save_path", "Saver", "Cancelled"]


class Cancelled(Exception):
    """Raised inside a download's progress callback to stop it (an async call was cancelled)."""


def output_paths(save_path: t.Union[str, os.PathLike], count: int, single: bool = False) -> t.List[str]:
    """The file each of ``count`` outputs is saved to (see the module docstring).

    :param save_path: the ``save_path`` given to ``run_flow``.
    :param count: the number of result URLs.
    :param single: the API answered with ``signedResponseURL`` (one URL).
    """
    path = os.fspath(save_path)
    if single or count == 1:
        return [path]
    base, ext = os.path.splitext(path)
    return [f"{base}_{i}{ext}" for i in range(count)]


def check_save_path(save_path: t.Any) -> str:
    """``save_path`` as a string, checked before the run starts (a run costs money; a typo
    in a directory should not waste one): its directory must exist and it must not be a
    directory itself. Raises :class:`~luco_client.errors.ConfigurationError`."""
    try:
        path = os.fspath(save_path)
    except TypeError:
        raise ConfigurationError(f"save_path must be a file path, got {type(save_path).__name__}") from None
    if not isinstance(path, str) or not path:
        raise ConfigurationError(f"save_path must be a non-empty file path, got {save_path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConfigurationError(f"save_path {path!r}: the directory {folder!r} does not exist")
    if os.path.isdir(path):
        raise ConfigurationError(f"save_path {path!r} is a directory; give a file name")
    return path


def _template(url: str) -> str:
    """The stats key of a pre-signed URL: its origin and ``/{OUTPUT}`` (one key per storage
    host, not one per object; signatures never reach the statistics)."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}/{{OUTPUT}}"
    except ValueError:
        return "{OUTPUT}"


def _staging_name(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.staged")


def _fsync_folder(path: str) -> None:
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:  # not possible on every platform (Windows): the renames stand anyway
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


class Saver:
    """Saves the outputs of one run (one call; not shared between threads).

    :param session: the client's ``GracefulSession`` (its ``download``).
    :param run: the run whose outputs are saved; ``run.paths``/``run.downloads`` are set.
    :param started: the call's start on ``clock.monotonic()``.
    :param remaining: seconds left before the call's deadline (``None``: no deadline);
        raises when none are left.
    :param options: the downloads' :class:`~luco_client.transport.CallOptions` (retry, timeout).
    :param chunk_size: bytes per chunk.
    :param report: the progress callback, or ``None``.
    :param cancelled: set from another thread to stop the downloads at their next chunk.
    """

    def __init__(self, session: t.Any, run: FlowResult, *, started: float, clock: t.Any,
                 remaining: t.Callable[[], t.Optional[float]], options: CallOptions, chunk_size: int,
                 report: t.Optional[t.Callable[[FlowProgress], None]],
                 cancelled: t.Optional[threading.Event] = None) -> None:
        self.session, self.run, self.started, self.clock = session, run, started, clock
        self.remaining, self.options, self.chunk_size = remaining, options, chunk_size
        self.report, self.cancelled = report, cancelled

    def _check_cancelled(self) -> None:
        if self.cancelled is not None and self.cancelled.is_set():
            raise Cancelled()

    def save(self, save_path: str) -> t.List[t.Any]:
        """Save every output; returns the ``DownloadResult`` of each, in order."""
        run = self.run
        urls = run.urls
        paths = output_paths(save_path, len(urls), run.single)
        taken = [p for p in paths if os.path.isdir(p)]
        if taken:  # checked before anything is downloaded or replaced
            raise ConfigurationError(f"cannot save output(s) of task {run.task_id}: {taken} are directories")
        staged = [p if len(paths) == 1 else _staging_name(p) for p in paths]
        results: t.List[t.Any] = []
        try:
            for index, (url, dest) in enumerate(zip(urls, staged)):
                self._check_cancelled()
                results.append(self._one(index, url, dest, paths))
            self._check_cancelled()
            if len(paths) > 1:
                for source, target in zip(staged, paths):
                    try:
                        os.replace(source, target)
                    except OSError as exc:
                        raise DownloadError(f"cannot put output {os.path.basename(target)} in place: "
                                            f"{exc.strerror}", dest=target) from None
                _fsync_folder(paths[0])
        except BaseException:
            if len(paths) > 1:
                for source in staged:
                    _remove_quietly(source)
            raise
        run.paths = tuple(paths)
        run.downloads = tuple(results)
        for index, (target, result) in enumerate(zip(paths, results)):
            log.info("flow %s task %s: output %d of %d saved to %s (%d bytes, %.2fs)", run.flow_id, run.task_id,
                     index + 1, len(paths), target, result.size, result.elapsed,
                     extra={"luco_event": "workflow.saved", "luco_flow_id": run.flow_id,
                            "luco_task_id": run.task_id, "luco_path": target, "luco_size": result.size})
            self._progress("saved", index, len(paths), target, done=result.size, total=result.size, rate=0.0)
        return results

    def _progress(self, stage: str, index: int, count: int, target: str, *, done: int, total: t.Optional[int],
                  rate: float) -> None:
        if self.report is not None:
            run = self.run
            self.report(FlowProgress(stage, run.flow_id, run.task_id, run.status,
                                     self.clock.monotonic() - self.started, index, count, target, done, total, rate))

    def _one(self, index: int, url: str, dest: str, paths: t.Sequence[str]) -> t.Any:
        def progress(p: t.Any) -> None:
            self._check_cancelled()
            self._progress("download", index, len(paths), paths[index], done=p.done, total=p.total, rate=p.rate)

        return self.session.download(url, dest, chunk_size=self.chunk_size, progress=progress,
                                     deadline=self.remaining(),
                                     options=replace(self.options, url_template=_template(url)))
