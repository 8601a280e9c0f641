"""Record/replay over real sockets: record live, stop the server, replay in a fresh process."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import typing as t
from urllib.parse import quote, quote_plus

import pytest

from luco_client import (
    ApiKeyAuth,
    CallOptions,
    ConfigurationError,
    GracefulRetry,
    GracefulSession,
    JSONDirReplayStorage,
    LogEvent,
    LogLevel,
    NotFoundError,
    ReadError,
    Replay,
    ReplayMissError,
    ReplayStorage,
    ReplayStorageError,
    SQLiteReplayStorage,
    Throttle,
    ThrottleRule,
    raise_for_status,
)
from luco_client.testing import Drop, FakeClock, FlakyServer, Reply

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _replay_worker as worker  # noqa: E402

STORAGES = ["sqlite", "jsondir", "redis"]


def _script(server: FlakyServer) -> None:
    server.script("/oauth2/token", Reply(200, {"access_token": worker.SECRETS["issued_token"], "expires_in": 3599},
                                         headers={"Set-Cookie": f"session={worker.SECRETS['cookie']}; Path=/"}))
    server.script("/items", Reply(503), Reply(200, {"items": [1, 2], "next": 2}),
                  Reply(200, {"items": [3], "next": None}))
    server.script("/items/404", Reply(404, "no such item"))
    server.script("/keyed", Reply(200, {"ok": True}))
    server.script("/metrics", Reply(201, {"slotId": 7}), method="POST")


def _location(kind: str, tmp_path: t.Any, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return str(tmp_path / "cassette.sqlite")
    if kind == "jsondir":
        return str(tmp_path / "cassettes")
    redis_url = request.getfixturevalue("redis_url")
    import redis

    redis.Redis.from_url(redis_url).flushall()
    return t.cast(str, redis_url)


def _stored_bytes(kind: str, location: str, tmp_path: t.Any) -> bytes:
    """Everything the storage holds: every file under tmp_path (SQLite + WAL, JSON files) or
    every Redis value."""
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(location)
        keys = client.keys("*")
        assert keys, "nothing was recorded"
        return b"\n".join(k + b"=" + client.get(k) for k in keys)
    blobs = []
    for root, _, files in os.walk(tmp_path):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                blobs.append(f.read())
    assert blobs, "nothing was recorded"
    return b"\n".join(blobs)


def _forms(secret: str) -> t.List[bytes]:
    """The ways a secret could appear in a file: raw, URL-encoded, base64, JSON-escaped."""
    raw = secret.encode()
    return [raw, quote(secret, safe="").encode(), quote_plus(secret).encode(), base64.b64encode(raw),
            json.dumps(secret).encode()[1:-1]]


@pytest.mark.parametrize("kind", STORAGES)
def test_record_then_replay_offline_in_a_fresh_process(kind: str, tmp_path: t.Any,
                                                       request: pytest.FixtureRequest) -> None:
    location = _location(kind, tmp_path, request)
    with FlakyServer() as server:
        _script(server)
        base = server.url
        with worker.session(kind, location, "record") as s:
            live = worker.workload(s, base)
            recorded_total = s.stats.snapshot().total
        received = len(server.received())
    assert recorded_total.requests == received == 7  # the 503 is recorded too
    assert recorded_total.replays == 0

    # The server is gone; a fresh interpreter replays the whole job from the recording.
    child = subprocess.run([sys.executable, os.path.join(HERE, "_replay_worker.py"), kind, location, base, "replay"],
                           capture_output=True, text=True, timeout=60, check=False)
    assert child.returncode == 0, child.stderr
    replayed = json.loads(child.stdout)
    expected = json.loads(json.dumps(live))
    expected[0][1]["access_token"] = "REDACTED"  # the issued token was scrubbed before storing
    assert replayed["results"] == expected
    assert (replayed["requests"], replayed["replays"], replayed["retries"]) == (7, 7, 1)

    stored = _stored_bytes(kind, location, tmp_path)
    for name, secret in worker.SECRETS.items():
        for form in _forms(secret):
            assert form not in stored, f"secret {name} found in the {kind} recording as {form!r}"
    assert b"REDACTED" in stored
    assert b'"Source"' in stored  # ordinary data named "key" is kept


def test_replay_never_touches_the_network(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/a", Reply(200, {"n": 1}))
    storage = str(tmp_path / "c.sqlite")
    with GracefulSession(replay=Replay("record", storage)) as s:
        s.get(server.url + "/a")
    assert server.count("/a") == 1
    with GracefulSession(replay=Replay("replay", storage)) as s:
        for _ in range(3):
            assert s.get(server.url + "/a").json() == {"n": 1}
        with pytest.raises(ReplayMissError):
            s.get(server.url + "/b")
    assert server.count() == 1  # the server still runs, and saw nothing more


def test_a_miss_names_the_nearest_request_and_the_differing_fields(server: FlakyServer, tmp_path: t.Any) -> None:
    storage = JSONDirReplayStorage(tmp_path / "c")
    with GracefulSession(replay=Replay("record", storage)) as s:
        s.get(server.url + "/items", params={"page": 2, "size": 50})
        s.post(server.url + "/items", json={"name": "x", "tags": ["a"]})
        s.get(server.url + "/other")
    with GracefulSession(replay=Replay("replay", storage)) as s:
        with pytest.raises(ReplayMissError) as info:
            s.get(server.url + "/items", params={"page": 3, "size": 50})
        assert info.value.differences == (("query.page", "2", "3"),)
        assert info.value.nearest == f"GET {server.url}/items?page=2&size=50"
        assert "query.page: recorded '2', sent '3'" in str(info.value)
        with pytest.raises(ReplayMissError) as info:
            s.post(server.url + "/items", json={"tags": ["b"], "name": "x"})
        assert info.value.differences == (("body.tags[0]", '"a"', '"b"'),)
    with GracefulSession(replay=Replay("replay", SQLiteReplayStorage(tmp_path / "empty.sqlite"))) as s:
        with pytest.raises(ReplayMissError, match="is empty") as info:
            s.get(server.url + "/items")
        assert info.value.nearest is None


def test_matching_is_canonical_and_ignores_credentials(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/q", Reply(200, {"ok": 1}))
    storage = str(tmp_path / "c.sqlite")
    with GracefulSession(replay=Replay("record", storage)) as s:
        s.get(server.url + "/q?b=2&a=1&api_key=first-secret-value", headers={"Authorization": "Bearer one-token-1"})
        s.post(server.url + "/q", json={"b": [1, 2], "a": {"y": 1, "x": 2}, "password": "first-pass"})
        s.post(server.url + "/q", data={"z": "1", "client_secret": "first-client", "a": "2"})
    with GracefulSession(replay=Replay("replay", storage)) as s:
        # another key order, other credentials: the same canonical request
        r = s.get(server.url + "/q?a=1&api_key=other-secret&b=2", headers={"Authorization": "Bearer two-token-2"})
        assert r.json() == {"ok": 1}
        s.post(server.url + "/q", json={"a": {"x": 2, "y": 1}, "password": "other-pass", "b": [1, 2]})
        s.post(server.url + "/q", data={"a": "2", "client_secret": "other-client", "z": "1"})
        with pytest.raises(ReplayMissError):
            s.post(server.url + "/q", json={"a": {"x": 2, "y": 1}, "b": [2, 1]})  # list order is data


def test_vary_on_a_credential_header_cannot_force_a_miss(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/v", Reply(200, {"v": 1}, headers={"Vary": "Authorization, Cookie"}))
    storage = str(tmp_path / "c.sqlite")
    with GracefulSession(replay=Replay("record", storage)) as s:
        s.get(server.url + "/v", headers={"Authorization": "Bearer token-one-1"})
    with GracefulSession(replay=Replay("replay", storage)) as s:
        assert s.get(server.url + "/v", headers={"Authorization": "Bearer token-two-2"}).json() == {"v": 1}
        assert s.get(server.url + "/v").json() == {"v": 1}


def test_sequences_replay_in_order_then_repeat_the_last(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/job", Reply(200, {"state": "running"}), Reply(200, {"state": "running"}),
                  Reply(200, {"state": "done"}))
    storage = str(tmp_path / "c.sqlite")
    with GracefulSession(replay=Replay("record", storage)) as s:
        assert [s.get(server.url + "/job").json()["state"] for _ in range(3)] == ["running", "running", "done"]
    with GracefulSession(replay=Replay("replay", storage)) as s:
        states = [s.get(server.url + "/job").json()["state"] for _ in range(5)]
    assert states == ["running", "running", "done", "done", "done"]
    # recording again replaces the old sequence, tail included
    server.script("/job", Reply(200, {"state": "done"}))
    with GracefulSession(replay=Replay("record", storage)) as s:
        s.get(server.url + "/job")
    with GracefulSession(replay=Replay("replay", storage)) as s:
        assert s.get(server.url + "/job").json()["state"] == "done"


def test_replays_skip_sleeps_and_throttle_but_not_policies_or_validators(server: FlakyServer,
                                                                        tmp_path: t.Any) -> None:
    server.script("/r", Reply(503), Reply(200, {"ok": False}), Reply(200, {"ok": True}))
    storage = str(tmp_path / "c.sqlite")
    seen: t.List[t.Any] = []

    def must_be_ok(response: t.Any) -> None:
        seen.append(response.json()["ok"])
        if not response.json()["ok"]:
            raise ValueError("not ok yet")

    options = CallOptions(validators=(must_be_ok,))
    retry_on = {503, ValueError}
    with GracefulSession(replay=Replay("record", storage),
                         retry=GracefulRetry(max_attempts=3, delay=0.01, jitter=0, retry_on=retry_on)) as s:
        assert s.get(server.url + "/r", options=options).json() == {"ok": True}
    assert seen == [False, True]
    seen.clear()
    clock = FakeClock()
    throttle = Throttle(ThrottleRule(r".*", 1, 3600))
    with GracefulSession(replay=Replay("replay", storage), throttle=throttle, clock=clock,
                         retry=GracefulRetry(max_attempts=3, delay=10, jitter=0, retry_on=retry_on, clock=clock)) as s:
        s.pause(60)
        assert s.get(server.url + "/r", options=options).json() == {"ok": True}
        total = s.stats.snapshot().total
    assert seen == [False, True]  # validators judged the replayed responses
    assert clock.sleeps == []  # no retry sleep, no pause, no throttle wait
    assert (total.requests, total.replays, total.retries, total.status_5xx, total.throttle_waits) == (3, 3, 2, 1, 0)


def test_replayed_attempts_are_marked_in_events(server: FlakyServer, tmp_path: t.Any,
                                                caplog: pytest.LogCaptureFixture) -> None:
    storage = str(tmp_path / "c.sqlite")
    event = LogEvent(LogLevel.INFO, "{METHOD} {UURL} {STATUS} replay={IS_REPLAY}{REPLAY}")
    with GracefulSession(replay=Replay("record", storage), log_response=event) as s, \
            caplog.at_level(logging.INFO, logger="luco_client"):
        s.get(server.url + "/e")
    with GracefulSession(replay=Replay("replay", storage), log_response=event) as s, \
            caplog.at_level(logging.INFO, logger="luco_client"):
        s.get(server.url + "/e")
    lines = [r.getMessage() for r in caplog.records if "replay=" in r.getMessage()]
    assert lines == [f"GET {server.url}/e 200 replay=FALSE", f"GET {server.url}/e 200 replay=TRUEREPLAYED"]


def test_record_missing_replays_what_it_has_and_records_the_rest(server: FlakyServer, tmp_path: t.Any) -> None:
    server.script("/known", Reply(200, {"v": "recorded"}))
    storage = str(tmp_path / "c.sqlite")
    with GracefulSession(replay=Replay("record", storage)) as s:
        s.get(server.url + "/known")
    server.script("/known", Reply(200, {"v": "live"}))
    server.script("/new", Reply(200, {"v": "new"}))
    with GracefulSession(replay=Replay("record-missing", storage)) as s:
        assert s.get(server.url + "/known").json() == {"v": "recorded"}
        assert s.get(server.url + "/new").json() == {"v": "new"}
        assert s.stats.snapshot().total.replays == 1
    assert (server.count("/known"), server.count("/new")) == (1, 1)
    with GracefulSession(replay=Replay("replay", storage)) as s:
        assert s.get(server.url + "/new").json() == {"v": "new"}


def test_a_failed_recording_is_an_error_not_a_silent_drop(server: FlakyServer) -> None:
    class Broken(ReplayStorage):
        name = "broken storage"

        def read_text(self, key: str) -> t.Optional[str]:
            return None

        def write_text(self, key: str, text: str) -> None:
            raise OSError("disk full")

        def delete(self, key: str) -> None:
            pass

        def keys(self) -> t.Iterable[str]:
            return []

    server.script("/w", Reply(201))
    with GracefulSession(replay=Replay("record", Broken())) as s, \
            pytest.raises(ReplayStorageError, match=r"answered with status 201.*disk full"):
        s.post(server.url + "/w", json={"a": 1})
    assert server.count("/w") == 1  # sent once, and the caller knows it was


def test_a_corrupt_recording_is_a_typed_error(server: FlakyServer, tmp_path: t.Any) -> None:
    directory = tmp_path / "c"
    with GracefulSession(replay=Replay("record", JSONDirReplayStorage(directory))) as s:
        s.get(server.url + "/x")
    (path,) = directory.glob("*.json")
    path.write_text("{ not json")
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(directory))) as s, \
            pytest.raises(ReplayStorageError, match="not a recording"):
        s.get(server.url + "/x")


def test_custom_storage_holds_only_json_text(server: FlakyServer) -> None:
    class InMemory(ReplayStorage):
        def __init__(self) -> None:
            self.data: t.Dict[str, str] = {}

        def read_text(self, key: str) -> t.Optional[str]:
            return self.data.get(key)

        def write_text(self, key: str, text: str) -> None:
            assert isinstance(text, str)
            self.data[key] = text

        def delete(self, key: str) -> None:
            self.data.pop(key, None)

        def keys(self) -> t.Iterable[str]:
            return list(self.data)

    store = InMemory()
    server.script("/c", Reply(200, {"c": 1}))
    with GracefulSession(replay=Replay("record", store)) as s:
        s.get(server.url + "/c")
    (document,) = (json.loads(v) for v in store.data.values())
    assert document["_decoded_content"] == {"c": 1} and document["status_code"] == 200
    with GracefulSession(replay=Replay("replay", store)) as s:
        assert s.get(server.url + "/c").json() == {"c": 1}


@pytest.mark.parametrize("bad", [dict(mode="rewind"), dict(mode=None), dict(mode="replay", storage=42),
                                 dict(mode="replay", storage=":memory:", ignore=5)])
def test_bad_settings_are_configuration_errors(bad: t.Dict[str, t.Any]) -> None:
    with pytest.raises(ConfigurationError):
        Replay(**bad)
    with pytest.raises(ConfigurationError):
        GracefulSession(replay="replay")


def test_redis_storage_without_the_extra_names_the_pip_command() -> None:
    code = ("import sys; sys.modules['redis'] = None\n"
            "from luco_client import RedisReplayStorage, MissingExtraError\n"
            "try:\n    RedisReplayStorage('redis://127.0.0.1:1')\n"
            "except MissingExtraError as e:\n    print('MISSING', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert 'MISSING RedisReplayStorage needs the redis client: pip install "luco-client[redis]"' in out.stdout


# ---------------------------------------------------------------- review regressions


def test_data_named_like_credentials_is_kept_and_tells_requests_apart(server: FlakyServer, tmp_path: t.Any) -> None:
    from luco_client.transport._replay.canonical import scrub_url

    assert scrub_url("http://keycloak:8080/realms/x?key=k-123456&keyword=shoes&sort_key=a") == \
        "http://keycloak:8080/realms/x?key=REDACTED&keyword=shoes&sort_key=a"
    assert scrub_url("http://api:8080/v1/apiKeys:lookup?q=author:octocat") == \
        "http://api:8080/v1/apiKeys:lookup?q=author:octocat"
    storage = str(tmp_path / "c.sqlite")
    with GracefulSession(replay=Replay("record", storage)) as s:
        s.get(server.url + "/search", params={"keyword": "shoes", "q": "author:octocat"})
        s.get(server.url + "/v1/apiKeys:lookup")
        s.post(server.url + "/form", data={"author": "ann", "session_name": "nightly"})
    with GracefulSession(replay=Replay("replay", storage)) as s:
        s.get(server.url + "/search", params={"keyword": "shoes", "q": "author:octocat"})
        s.get(server.url + "/v1/apiKeys:lookup")
        s.post(server.url + "/form", data={"author": "ann", "session_name": "nightly"})
        for call in (lambda: s.get(server.url + "/search", params={"keyword": "hats", "q": "author:octocat"}),
                     lambda: s.get(server.url + "/v1/apiKeys:delete"),
                     lambda: s.post(server.url + "/form", data={"author": "bob", "session_name": "nightly"})):
            with pytest.raises(ReplayMissError):
                call()


def test_secrets_in_urls_markup_and_values_never_reach_the_files(server: FlakyServer, tmp_path: t.Any) -> None:
    secrets = {name: f"{name}-SeCrEt-{i:04d}" for i, name in enumerate(
        ["link", "location", "next", "referer", "assertion", "client_assertion", "verifier", "code", "bearer",
         "subkey", "jwt", "plain", "xml"])}
    url = server.url
    server.script("/list", Reply(200, {"next": f"/list?page=2&access_token={secrets['next']}"},
                                 headers={"Link": f'<{url}/list?page=2&access_token={secrets["link"]}>; rel="next"'}))
    location = f"/done?code={secrets['code']}&token={secrets['location']}"
    server.script("/cb", Reply(302, b"", headers={"Location": location}))
    server.script("/plain-token", Reply(200, f'{{"access_token": "{secrets["plain"]}"}}'))  # JSON sent as text/plain
    directory = tmp_path / "c"
    with GracefulSession(replay=Replay("record", JSONDirReplayStorage(directory))) as s:
        s.get(url + "/list", headers={"Referer": f"{url}/app?session_token={secrets['referer']}"})
        s.get(url + "/cb", allow_redirects=False)
        s.get(url + "/plain-token")
        s.post(url + "/token", data={"grant_type": "jwt-bearer", "assertion": secrets["assertion"],
                                     "client_assertion": secrets["client_assertion"],
                                     "code_verifier": secrets["verifier"]})
        s.post(url + "/j", json={"note": f"Bearer {secrets['bearer']}", "subscriptionKey": secrets["subkey"],
                                 "jwt": secrets["jwt"]})
        s.post(url + "/soap", data=f"<Login><Password>{secrets['xml']}</Password></Login>",
               headers={"Content-Type": "text/xml"})
    stored = b"".join(p.read_bytes() for p in directory.glob("*.json"))
    for name, secret in secrets.items():
        for form in _forms(secret):
            assert form not in stored, f"{name} leaked as {form!r}"
    assert b"page=2" in stored and b"jwt-bearer" in stored  # the data around them is kept


@pytest.mark.parametrize("kind", STORAGES)
def test_a_key_echoed_in_the_reason_phrase_is_redacted_everywhere(
        kind: str, server: FlakyServer, tmp_path: t.Any, request: pytest.FixtureRequest) -> None:
    key = f"echoed-{kind}-" + "5" * 20
    server.script("/thing", Reply(404, {"error": "unknown"}, reason=f"No such key {key}"))
    location = _location(kind, tmp_path, request)
    storage = worker.storage(kind, location)
    with GracefulSession(replay=Replay("record", storage), retry=None) as s:
        s.auth = ApiKeyAuth(key)
        with pytest.raises(NotFoundError) as info:
            raise_for_status(s.get(server.url + "/thing"))
    assert key not in str(info.value) and key not in info.value.reason and "REDACTED" in info.value.reason
    reader = worker.storage(kind, location)  # a fresh handle: what another process would read
    stored = json.dumps([reader.load(k) for k in reader.list_keys()])
    assert key not in stored and "No such key REDACTED" in stored


def test_a_token_renewal_after_401_replays(server: FlakyServer, tmp_path: t.Any) -> None:
    from luco_client import AccessToken, BearerTokenAuth

    counter = iter(range(1, 100))
    server.script("/me", Reply(401, {"err": "expired"}), Reply(200, {"me": "alice"}))
    storage = str(tmp_path / "c.sqlite")
    with GracefulSession(replay=Replay("record", storage)) as s:
        live = s.get(server.url + "/me", auth=BearerTokenAuth(lambda: AccessToken(f"tok-{next(counter)}-abcdefgh")))
    with GracefulSession(replay=Replay("replay", storage)) as s:
        again = s.get(server.url + "/me", auth=BearerTokenAuth(lambda: AccessToken(f"tok-{next(counter)}-abcdefgh")))
    assert (live.status_code, again.status_code, again.json()) == (200, 200, {"me": "alice"})
    assert [h.status_code for h in again.history] == [401]
    assert server.count("/me") == 2


def test_bodies_survive_recording_byte_for_byte_or_text_for_text(server: FlakyServer, tmp_path: t.Any) -> None:
    payload = bytes(range(256)) * 40
    server.script("/blob", Reply(200, payload, headers={"Content-Type": "application/octet-stream"}))
    server.script("/latin", Reply(200, "café".encode("latin-1"),
                                  headers={"Content-Type": "text/plain; charset=latin-1"}))
    storage = str(tmp_path / "c.sqlite")
    with GracefulSession(replay=Replay("record", storage)) as s:
        streamed = s.get(server.url + "/blob", stream=True)
        assert streamed.raw.read() == payload  # recording read the stream, and gave it back
        assert s.get(server.url + "/latin").text == "café"
        s.post(server.url + "/upload", files={"f": ("a.txt", b"same content")})
    with GracefulSession(replay=Replay("replay", storage)) as s:
        assert s.get(server.url + "/blob").content == payload
        assert s.get(server.url + "/blob", stream=True).raw.read() == payload
        assert s.get(server.url + "/latin").text == "café"
        s.post(server.url + "/upload", files={"f": ("a.txt", b"same content")})  # a new random boundary
        with pytest.raises(ReplayMissError):
            s.post(server.url + "/upload", files={"f": ("a.txt", b"other content")})


def test_a_recording_is_json_and_a_binary_object_file_is_refused(server: FlakyServer, tmp_path: t.Any) -> None:
    """gracy v1 stored replays with a binary object serializer (loading one runs code)."""
    import sqlite3

    storage = str(tmp_path / "c.sqlite")
    with GracefulSession(replay=Replay("record", storage)) as s:
        s.get(server.url + "/j")
    with sqlite3.connect(storage) as db:
        (value,) = db.execute("SELECT value FROM replay").fetchone()
    assert json.loads(value)["status_code"] == 200  # plain JSON text
    directory = tmp_path / "d"
    with GracefulSession(replay=Replay("record", JSONDirReplayStorage(directory))) as s:
        s.get(server.url + "/j")
    (path,) = directory.glob("*.json")
    path.write_bytes(b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93.")
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(directory))) as s, \
            pytest.raises(ReplayStorageError, match="is not a recording this version can read"):
        s.get(server.url + "/j")


def test_replay_logs_each_decision_with_its_reason(server: FlakyServer, tmp_path: t.Any,
                                                    capture_logs: t.Any) -> None:
    server.script("/drop", Drop())
    storage = JSONDirReplayStorage(tmp_path / "c")
    with capture_logs("luco_client.replay", logging.DEBUG) as records:
        with GracefulSession(replay=Replay("record-missing", storage), retry=None) as s:
            s.get(server.url + "/a?token=s3cret-123456")
            with pytest.raises(ReadError):
                s.get(server.url + "/drop")
        with GracefulSession(replay=Replay("replay", storage)) as s:
            s.get(server.url + "/a?token=s3cret-123456")
            with pytest.raises(ReplayMissError):
                s.get(server.url + "/b")
    decisions = [(r.luco_event, r.getMessage()) for r in records]
    kinds = [kind for kind, _ in decisions]
    assert kinds == ["replay.live", "replay.recorded", "replay.live", "replay.skipped", "replay.hit", "replay.miss"]
    assert all(r.levelno == logging.DEBUG for r in records)
    assert "no recording" in decisions[0][1] and "no response to record (ReadError)" in decisions[3][1]
    assert not any("s3cret" in message for _, message in decisions)
