"""Where recordings live: SQLite, a directory of JSON files, Redis, or your own.

Every storage holds one JSON document per recorded exchange, produced by requests-cache's
``CachedResponse`` model and its cattrs JSON stage, with JSON and text bodies stored
decoded (human-readable) and request bodies as text. Nothing is ever stored in a binary
object format, so loading a recording can never run code.
"""

from __future__ import annotations

import base64
import json
import os
import typing as t

from luco_client._redact import redact_text
from luco_client.errors import ConfigurationError, MissingExtraError, ReplayStorageError

if t.TYPE_CHECKING:
    from requests_cache.models import CachedResponse

__all__ = ["ReplayStorage", "SQLiteReplayStorage", "JSONDirReplayStorage", "RedisReplayStorage"]

_serializer: t.Any = None


def _readable(document: t.Dict[str, t.Any]) -> t.Dict[str, t.Any]:
    request = document.get("request")
    if isinstance(request, dict) and isinstance(request.get("body"), str):
        try:
            text = base64.b64decode(request["body"]).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return document  # a binary body stays base64
        del request["body"]
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, (dict, list)):
            request["body_json"] = parsed  # matching normalises JSON, so spacing is free
        else:
            request["body_text"] = text
    return document


def _unreadable(document: t.Dict[str, t.Any]) -> t.Dict[str, t.Any]:
    request = document.get("request")
    if isinstance(request, dict) and "body_json" in request:
        request["body_text"] = json.dumps(request.pop("body_json"))
    if isinstance(request, dict) and isinstance(request.get("body_text"), str):
        request["body"] = base64.b64encode(request.pop("body_text").encode("utf-8")).decode("ascii")
    return document


def serializer() -> t.Any:
    """The one serializer of recordings, up to the document: requests-cache's cattrs JSON
    stage with decoded bodies, then readable request bodies (:func:`document_text` makes
    the text)."""
    global _serializer
    if _serializer is None:
        from requests_cache.serializers import init_serializer
        from requests_cache.serializers.pipeline import SerializerPipeline, Stage
        from requests_cache.serializers.preconf import json_preconf_stage

        pipeline = SerializerPipeline([json_preconf_stage, Stage(dumps=_readable, loads=_unreadable)],
                                      name="luco-json", is_binary=False)
        _serializer = init_serializer(pipeline, decode_content=True)
    return _serializer


def document_text(document: t.Mapping[str, t.Any]) -> str:
    """A recording as stored: indented JSON with sorted keys (diffs stay readable)."""
    return json.dumps(document, indent=2, sort_keys=True)


class ReplayStorage:
    """Base class of recording storages; subclass it to store recordings anywhere.

    A subclass implements four text operations on keys (``read_text``, ``write_text``,
    ``delete``, ``keys``) and optionally ``close``; this class turns responses into JSON
    documents and back. Keys are short ASCII strings safe as file names. Any exception of a
    subclass is reported as :class:`~luco_client.errors.ReplayStorageError`.
    """

    #: Shown in error messages.
    name = "storage"

    def read_text(self, key: str) -> t.Optional[str]:
        """The document stored under ``key``, or ``None``."""
        raise NotImplementedError

    def write_text(self, key: str, text: str) -> None:
        """Store ``text`` under ``key``, replacing any previous document."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        raise NotImplementedError

    def keys(self) -> t.Iterable[str]:
        """All stored keys."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections or files (default: nothing to do)."""

    def read_all(self) -> t.Dict[str, str]:
        """Every stored document by key (replay mode reads the whole recording once).
        The default reads keys one by one; storages override it with a bulk read."""
        documents = {}
        for key in self.keys():
            text = self.read_text(key)
            if text is not None:
                documents[key] = text
        return documents

    # -------------------------------------------------------------- used by Replay

    def load_all(self) -> t.Dict[str, str]:
        """:meth:`read_all`, with failures reported as ReplayStorageError."""
        try:
            return self.read_all()
        except Exception as exc:
            raise self._error("cannot read the recording", exc) from None

    def load(self, key: str, text: t.Optional[str] = None) -> t.Optional[t.Dict[str, t.Any]]:
        """The JSON document stored under ``key`` (``None`` if absent), or decoded from
        ``text`` when the caller already read it; a document that cannot be read raises
        ReplayStorageError naming the storage and the key."""
        if text is None:
            try:
                text = self.read_text(key)
            except Exception as exc:
                raise self._error(f"cannot read entry {key}", exc) from None
        if text is None:
            return None
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise self._error(f"entry {key} is not a recording this version can read", exc) from None
        if not isinstance(document, dict) or not isinstance(document.get("status_code"), int) \
                or not isinstance(document.get("headers", {}), dict):
            raise self._error(f"entry {key} is not a recording this version can read", None)
        return document

    def save(self, key: str, response: CachedResponse, extra: t.Optional[t.Mapping[str, t.Any]] = None) -> None:
        """Store ``response`` (and the top-level fields ``extra``) under ``key``; failures
        raise ReplayStorageError (never a silently dropped recording)."""
        try:
            document = serializer().dumps(response)
            document.update(extra or {})
            text = document_text(document)
        except Exception as exc:
            raise self._error(f"cannot encode the exchange for entry {key}", exc) from None
        try:
            self.write_text(key, text)
        except Exception as exc:
            raise self._error(f"cannot write entry {key}", exc) from None

    def contains(self, key: str) -> bool:
        """Whether ``key`` holds a document; failures raise ReplayStorageError."""
        try:
            return self.read_text(key) is not None
        except Exception as exc:
            raise self._error(f"cannot read entry {key}", exc) from None

    def remove(self, key: str) -> None:
        """Delete ``key``, reporting failures as ReplayStorageError."""
        try:
            self.delete(key)
        except Exception as exc:
            raise self._error(f"cannot delete entry {key}", exc) from None

    def list_keys(self) -> t.List[str]:
        """All keys, sorted; failures raise ReplayStorageError."""
        try:
            return sorted(self.keys())
        except Exception as exc:
            raise self._error("cannot list entries", exc) from None

    def _error(self, what: str, exc: t.Optional[BaseException]) -> ReplayStorageError:
        detail = "" if exc is None else f": {type(exc).__name__}: {redact_text(str(exc))[:300]}"
        return ReplayStorageError(f"replay {self.name}: {what}{detail}")


class _DictStorage(ReplayStorage):
    """A storage over one of requests-cache's dict-like backends, holding text as is."""

    def __init__(self) -> None:
        self._dict: t.Any = None

    def read_text(self, key: str) -> t.Optional[str]:
        try:
            value = self._dict[key]
        except KeyError:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else t.cast(str, value)

    def write_text(self, key: str, text: str) -> None:
        self._dict[key] = text

    def delete(self, key: str) -> None:
        try:
            del self._dict[key]
        except KeyError:
            pass

    def keys(self) -> t.Iterable[str]:
        return list(self._dict.keys())

    def close(self) -> None:
        self._dict.close()


class SQLiteReplayStorage(_DictStorage):
    """Recordings in one SQLite file (table ``replay``), shareable by processes.

    :param path: the database file; ``.sqlite`` is appended when it has no extension.
        Default ``luco-replay.sqlite`` in the working directory.
    :param busy_timeout: milliseconds to wait for another process's lock. Default 5000.
    :param db_name: gracy's spelling: the file name, in ``dir`` (created if needed).
    :param dir: gracy's spelling: the directory of ``db_name``.
    """

    def __init__(self, path: t.Union[str, os.PathLike, None] = None, *, busy_timeout: int = 5000,
                 db_name: t.Optional[str] = None, dir: t.Optional[str] = None) -> None:
        super().__init__()
        if path is None:  # gracy's db_name/dir, or our default file in the working directory
            path = os.path.join(dir or ".", db_name or "luco-replay.sqlite")
            if dir:
                os.makedirs(dir, exist_ok=True)
        elif db_name or dir:
            raise ConfigurationError("SQLiteReplayStorage: give path, or gracy's db_name/dir, not both")
        from requests_cache.backends.sqlite import SQLiteDict

        self.name = f"SQLite file {os.fspath(path)!r}"
        try:
            self._dict = SQLiteDict(os.fspath(path), "replay", serializer=None, busy_timeout=busy_timeout, wal=True)
        except Exception as exc:
            raise self._error("cannot open the database", exc) from None
        self.path = str(self._dict.db_path)

    def read_all(self) -> t.Dict[str, str]:
        """One query for the whole recording."""
        with self._dict.connection() as con:
            rows = con.execute(f"SELECT key, value FROM {self._dict.table_name}").fetchall()
        return {str(k): v.decode("utf-8") if isinstance(v, bytes) else str(v) for k, v in rows}


class JSONDirReplayStorage(_DictStorage):
    """Recordings as one indented JSON file per exchange in ``directory`` (created if
    missing): readable, diffable, and fit for committing next to the tests that use them.
    File names are ``<method>_<host-and-path>_<hash>.<n>.json``.
    """

    def __init__(self, directory: t.Union[str, os.PathLike]) -> None:
        super().__init__()
        from requests_cache.backends.filesystem import FileDict

        self.name = f"directory {os.fspath(directory)!r}"
        self.directory = os.path.abspath(os.fspath(directory))
        try:
            self._dict = FileDict(self.directory, serializer=None, extension="json")
        except Exception as exc:
            raise self._error("cannot open the directory", exc) from None

    def close(self) -> None:
        """Nothing to release (files are closed after each write)."""

    def read_all(self) -> t.Dict[str, str]:
        """Every document, read with one directory listing (no lookup per key)."""
        extension = str(self._dict.extension)
        documents = {}
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if entry.name.endswith(extension) and not entry.name.startswith(".") and entry.is_file():
                    documents[entry.name[: -len(extension)]] = _read_file(entry.path)
        return documents


def _read_file(path: str) -> str:
    """A small file's text (UTF-8), read without a buffered file object (a third of the
    time, for a directory of thousands of recordings)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")  # not text: that entry fails when it is replayed


class RedisReplayStorage(_DictStorage):
    """Recordings in Redis under ``<namespace>:<key>``, shared by many workers. Needs the
    ``redis`` extra (``pip install "luco-client[redis]"``).

    :param url: a ``redis://`` URL (ignored when ``connection`` is given).
    :param connection: an existing ``redis.Redis`` client.
    :param namespace: key prefix. Default ``"luco-replay"``.
    """

    def __init__(self, url: t.Optional[str] = None, *, connection: t.Any = None,
                 namespace: str = "luco-replay") -> None:
        super().__init__()
        if url is None and connection is None:
            raise ConfigurationError("RedisReplayStorage needs a redis:// URL or a connection")
        try:
            import redis
            from requests_cache.backends.redis import RedisDict
        except ImportError:
            raise MissingExtraError('RedisReplayStorage needs the redis client: pip install "luco-client[redis]"') \
                from None
        self.name = f"Redis namespace {namespace!r}"
        self.namespace = namespace
        client = connection if connection is not None else redis.Redis.from_url(t.cast(str, url))
        self._dict = RedisDict(namespace, connection=client, serializer=None, ttl=False)

    def read_all(self) -> t.Dict[str, str]:
        """Batched MGETs instead of one round trip per entry."""
        keys = list(self.keys())
        documents: t.Dict[str, str] = {}
        for start in range(0, len(keys), 500):
            batch = keys[start:start + 500]
            values = self._dict.connection.mget([self._dict._bkey(k) for k in batch])
            for key, value in zip(batch, values):
                if value is not None:
                    documents[key] = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        return documents
