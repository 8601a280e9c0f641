"""The short cuts of the replay path give the same answers as the long way.

A replay-only session computes a request's canonical form without building the stored
copy (``match_canonical``), splits URLs with ``split_url`` and builds responses without
``requests.Response.__init__``. Each is compared here with what it replaces, on many
generated inputs, with and without registered secrets (the latter in a fresh process,
because registered secrets are process-wide).
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import random
import subprocess
import sys
import typing as t
from urllib.parse import quote, urlsplit

import pytest
import requests

from luco_client._redact import register_secret
from luco_client.transport._replay import replay as replay_module
from luco_client.transport._replay.canonical import SCRUB_RULES, canonical, match_canonical, scrub_request
from luco_client.transport._urls import split_url

SECRET = "s3cr3t-token-XYZ"
_HOSTS = ["127.0.0.1:8080", "api.example.com", "API.Example.com:443", "[::1]:9000", "user:pw@h.example",
          "h.example:80"]
_PATHS = ["", "/", "/a/b", "/p%20q", f"/{SECRET}/x", "/a;b=c", "/keys:lookup", "/x?"]
_NAMES = ["q", "api_key", "token", "keyword", "key", "code", "sort", "a b", "fields", "x+y", "%41", "é"]
_VALUES = ["1", "a b", SECRET, "Bearer abcdefghij", "http://x/y?token=zz", "a+b", "%2B", "", "é", "a=b",
           "/rel?access_token=1", "tab\there"]
_BODIES: t.List[t.Tuple[t.Any, t.Optional[str]]] = [
    (None, None),
    (b'{"b":1,"a":"' + SECRET.encode() + b'","password":"p","q":2}', "application/json"),
    (b"a=1&password=2&z=s&q=3", "application/x-www-form-urlencoded"),
    ("text Bearer abcdefghijk", "text/plain; charset=utf-8"),
    (b"\x00\x01", "application/octet-stream"),
    (b"[1,2]", None),
]


def _url(rnd: random.Random) -> str:
    if rnd.random() < 0.03:  # no host: requests refuses these, the functions must still agree
        return rnd.choice(["http:x", "http:////x/y", "http:///x?token=1", "https:x?a=1"])
    query = "&".join(f"{rnd.choice(_NAMES)}={rnd.choice(_VALUES)}" for _ in range(rnd.randint(0, 4)))
    if rnd.random() < 0.2:
        query += "&flag"
    scheme = rnd.choice(["http", "https", "HTTPS"])
    fragment = rnd.choice(["", "#f", "#token=abc"])
    return f"{scheme}://{rnd.choice(_HOSTS)}{rnd.choice(_PATHS)}" + (f"?{query}" if query else "") + fragment


def compare_corpus(seed: int, count: int) -> int:
    """How many generated requests get a different canonical form (or key) either way."""
    rnd = random.Random(seed)
    mismatches = 0
    for _ in range(count):
        url = _url(rnd)
        body, content_type = rnd.choice(_BODIES)
        headers = {"Accept": "application/json", "Authorization": "Bearer qwertyuiop", "X-Trace": SECRET}
        if content_type:
            headers["Content-Type"] = content_type
        match_headers = rnd.choice([(), ("Accept",), ("authorization", "x-trace"), ("content-type",)])
        ignore = rnd.choice([frozenset(), frozenset({"q", "a"})])
        names = frozenset({"x-trace"}) if rnd.random() < 0.5 else frozenset()
        try:
            slow: t.Any = canonical(scrub_request("get", url, headers, body, names),
                                    match_headers=match_headers, ignore=ignore)
        except ValueError:
            slow = "ValueError"
        wanted = {"content-type", *(h.lower() for h in match_headers)}
        given = {k.lower(): v for k, v in headers.items() if k.lower() in wanted}
        try:
            fast: t.Any = match_canonical("get", url, given, body, names, match_headers=match_headers,
                                          ignore=ignore)
        except ValueError:
            fast = "ValueError"
        if slow != fast or (not isinstance(slow, str) and slow.key != fast.key):
            mismatches += 1
    return mismatches


def test_match_canonical_equals_the_long_way_with_registered_secrets() -> None:
    register_secret(SECRET)
    assert compare_corpus(seed=1, count=4000) == 0


def test_match_canonical_equals_the_long_way_without_registered_secrets() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_replay_matching as m; "
            "print(m.compare_corpus(seed=2, count=4000))")
    done = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"


def test_the_corpus_exercises_both_paths() -> None:
    """The comparison means something only if both short cut and fall-back are taken."""
    register_secret(SECRET)
    rnd = random.Random(1)
    urls = [_url(rnd) for _ in range(500)]
    assert any(SECRET in u for u in urls)           # registered secret: the long way
    assert any("@" in u for u in urls)               # user-info: the long way
    assert any("@" not in u and SECRET not in u for u in urls)  # the short cut


def test_split_url_equals_urlsplit() -> None:
    rnd = random.Random(3)
    alphabet = "abc/?#:@[]%=&; \t\x00é.1"
    starts = ["http://", "https://", "HTTP://", "http:/", "ftp://", "", "//"]
    for _ in range(50000):
        url = rnd.choice(starts) + "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 20)))
        try:
            expected: t.Any = urlsplit(url)
        except ValueError:
            expected = "ValueError"
        try:
            got: t.Any = split_url(url)
        except ValueError:
            got = "ValueError"
        assert got == expected, url


def test_this_requests_release_gets_the_lean_build() -> None:
    assert replay_module._LEAN_RESPONSE, "requests' Response sets other attributes: update _RESPONSE_FIELDS"


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "through-init"])
def test_replayed_response_is_a_complete_requests_response(lean: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay_module, "_LEAN_RESPONSE", lean)
    request = requests.Request("GET", "http://127.0.0.1:9/x").prepare()
    entry = replay_module._Entry(200, "OK", "utf-8", {"Content-Type": "application/json"}, b'{"a": 1}',
                                 replay_module.datetime.timedelta(seconds=0.25))
    response = replay_module._response(entry, request)
    assert set(vars(requests.Response())) <= set(vars(response))
    assert response.json() == {"a": 1}
    assert response.headers["content-type"] == "application/json"
    assert response.elapsed.total_seconds() == 0.25
    assert response.history == [] and len(response.cookies) == 0
    assert response.raw.read() == b'{"a": 1}'
    duplicate = copy.deepcopy(response)  # requests' own state protocol still works
    assert duplicate.json() == {"a": 1} and duplicate.status_code == 200
    other = replay_module._response(entry, request)
    other.headers["X-Changed"] = "1"
    other.history.append(response)
    assert "X-Changed" not in response.headers and response.history == []  # nothing shared


@pytest.mark.parametrize(("url", "template"), [
    ("http://h/a/12/b?page=2", "http://h/a/{id}/b"),
    ("https://u:p@h:8/items/0123456789abcdef#f", "https://h:8/items/{id}"),
    ("http://[::1]:80/x/550e8400-e29b-41d4-a716-446655440000", "http://[::1]:80/x/{id}"),
    ("http://h/t/abc_def_ghi_jkl_mno_p1q", "http://h/t/{id}"),     # long token-like, with a digit
    ("http://h/t/abc_def_ghi_jkl_mno_pqr", "http://h/t/abc_def_ghi_jkl_mno_pqr"),  # no digit: a name
    ("http://h/t/short1", "http://h/t/short1"),
    ("http://h/v/\u00b2", "http://h/v/\u00b2"),                    # a superscript is not a number
    ("http://h/v/\u0663\u0664", "http://h/v/{id}"),                # Arabic-Indic digits are, as for \\d
    ("HTTP://H/a", "http://H/a"),
    ("http://[bad/x", "<invalid url>"),
])
def test_url_templates(url: str, template: str) -> None:
    """The stats key of a URL; the cheap checks in front of the pattern keep its answers."""
    from luco_client.transport._urls import derive_template

    assert derive_template(url) == template


def test_url_templates_equal_the_plain_definition() -> None:
    """urlsplit, then the id pattern on each segment: the short cuts give the same keys
    (also for what Python 3.8's urlsplit reads oddly, such as ``https:443?x=1``)."""
    from luco_client.transport._urls import _ID_SEGMENT, derive_template

    def plain(url: str) -> str:
        try:
            parts = urlsplit(url)
        except ValueError:
            return "<invalid url>"
        segments = ["{id}" if _ID_SEGMENT.match(s) else s for s in parts.path.split("/")]
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{'/'.join(segments)}"

    rnd = random.Random(5)
    pieces = ["http://", "https://", "HTTP://", "https:", "h", "443", "/", "12", "?x=1", "#f", "@", "[::1]", ":80",
              "0123456789abcdef", "550e8400-e29b-41d4-a716-446655440000", "abc_def_ghi_jkl_mno_p1q", "\u0663",
              "\u00b2", " ", "%20"]
    for _ in range(20000):
        url = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8)))
        assert derive_template(url) == plain(url), url


def test_environment_merge_short_cut_returns_what_requests_returns() -> None:
    from luco_client import GracefulSession

    values: t.Dict[str, t.List[t.Any]] = {"stream": [None, True, False], "verify": [None, True, False],
                                          "cert": [None]}
    for session_proxies in (None, {}):
        session = GracefulSession()
        session.trust_env = False
        session.proxies = session_proxies  # type: ignore[assignment]
        plain = requests.Session()
        plain.trust_env = False
        plain.proxies = session_proxies  # type: ignore[assignment]
        for session_stream in (False, True):
            session.stream = plain.stream = session_stream
            for proxies in (None, {}):
                for stream in values["stream"]:
                    for verify in values["verify"]:
                        ours = session.merge_environment_settings("http://h/x", proxies, stream, verify, None)
                        theirs = plain.merge_environment_settings("http://h/x", proxies, stream, verify, None)
                        assert ours == theirs  # None stays None; an empty table is empty either way


# ---------------------------------------------------------------- finding recordings by URL

_PAGE_QUERIES = ["", "?page=2", "?fields=name,types&page=1", "?q=a+b&sort=-id", "?api_key=k-12345678",
                 "?next=http%3A%2F%2Fx%2Fy%3Ftoken%3Dzz", "?b=2&a=1", "?ts=100&q=x", "?flag",
                 "?note=Bearer%20abcdefghijk", "?%61pi=1"]


def _recorded(tmp_path: t.Any, ignore: t.Iterable[str] = ()) -> t.Tuple[str, t.List[str]]:
    """Record GETs (and one POST) against a live server; the JSON-dir path and the URLs."""
    from luco_client import GracefulSession, JSONDirReplayStorage, Replay
    from luco_client.testing import FlakyServer, Reply

    location = str(tmp_path / "cassettes")
    with FlakyServer(default=Reply(200, {"ok": True})) as server:
        urls = [f"{server.url}/items/{n}{query}" for n in range(3) for query in _PAGE_QUERIES]
        with GracefulSession(replay=Replay("record", JSONDirReplayStorage(location), ignore=ignore)) as session:
            for url in urls:
                assert session.get(url, headers={"Authorization": "Bearer live-token-0987654321"}).ok
            assert session.post(f"{server.url}/items", json={"name": "x"}).ok
    return location, urls


def _keys(session: t.Any, url: str) -> t.Tuple[t.Optional[str], str]:
    """(key found by URL or None, key of the canonical form) of a GET as the session sends it."""
    prepared = session.prepare_request(requests.Request("GET", url, headers={"Authorization": "Bearer other-9876543"}))
    replay = session.adapter.replay
    return replay.exact_key(prepared), replay.match(prepared, frozenset())[1].key


def test_found_by_url_means_found_canonically(tmp_path: t.Any) -> None:
    from luco_client import GracefulSession, JSONDirReplayStorage, Replay

    location, urls = _recorded(tmp_path)
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(location))) as session:
        keys = {url: _keys(session, url) for url in urls}
        assert all(fast == slow for fast, slow in keys.values() if fast is not None)
        # URLs the rules leave as they are are found by URL; the others (a credential was
        # scrubbed from them when recorded) only canonically.
        scrubbed = [u for u in urls if any(word in u for word in ("api_key", "token", "Bearer"))]
        assert len(scrubbed) == 9
        assert all((keys[url][0] is None) == (url in scrubbed) for url in urls)
        assert _keys(session, urls[1].replace("page=2", "page=3"))[0] is None  # not recorded: no short cut


def check_after_registrations(location: str) -> t.List[str]:
    """In a fresh process: secrets and names registered after recording (in any encoding a
    URL may carry them) must give the answer of the canonical path. The problems found."""
    from luco_client import GracefulSession, JSONDirReplayStorage, Replay, ReplayMissError
    from luco_client._redact import register_secret, register_secret_name

    urls = json.loads(pathlib.Path(location, "urls.txt").read_text(encoding="utf-8"))
    register_secret("fields=name")
    register_secret("tok+en/abc1")      # in the URL as quote(secret): none of its registered forms
    register_secret_name("sort")
    register_secret_name("my key")      # in the URL as my+key=
    problems = []
    for url in urls:
        outcomes = []
        for short_cut in (True, False):
            with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(location))) as session:
                if not short_cut:
                    session.adapter.replay.exact_key = lambda request: None  # the canonical path only
                fast, slow = _keys(session, url)
                if fast not in (None, slow):
                    problems.append(f"{url}: found by URL as {fast}, canonically {slow}")
                try:
                    outcomes.append(session.get(url).json())
                except ReplayMissError:
                    outcomes.append("miss")
        if outcomes[0] != outcomes[1]:
            problems.append(f"{url}: {outcomes[0]} with the short cut, {outcomes[1]} without")
    return problems


def test_secrets_registered_after_recording_take_the_long_way(tmp_path: t.Any) -> None:
    from luco_client import GracefulSession, JSONDirReplayStorage, Replay
    from luco_client.testing import FlakyServer, Reply

    location, urls = _recorded(tmp_path)
    with FlakyServer(default=Reply(200, {"ok": True})) as server, \
            GracefulSession(replay=Replay("record-missing", JSONDirReplayStorage(location))) as session:
        extra = [f"{server.url}/a?x={quote('tok+en/abc1')}", f"{server.url}/b?my+key=123456&z=1"]
        for url in extra:
            assert session.get(url).ok
    pathlib.Path(location, "urls.txt").write_text(json.dumps(urls + extra), encoding="utf-8")
    here = os.path.dirname(os.path.abspath(__file__))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_replay_matching as m; "
            "print(m.check_after_registrations(sys.argv[2]))")
    done = subprocess.run([sys.executable, "-c", code, here, location], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_empty_json_body_is_a_body(tmp_path: t.Any) -> None:
    """Review regression: ``json={}`` is stored as ``body_json: {}``, which is not "no body"."""
    from luco_client import GracefulSession, JSONDirReplayStorage, Replay, ReplayMissError
    from luco_client.testing import FlakyServer, Reply

    location = str(tmp_path / "cassettes")
    with FlakyServer(default=Reply(200, {})) as server:
        server.script("/run", lambda received: Reply(200, {"body": received.body.decode() or "none"}))
        url = server.url + "/run"
        with GracefulSession(replay=Replay("record", JSONDirReplayStorage(location))) as session:
            session.post(url, json={})
            session.post(url + "/2", json=[])
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(location))) as session:
        for target in (url, url + "/2"):
            prepared = session.prepare_request(requests.Request("POST", target))
            assert session.adapter.replay.exact_key(prepared) is None
            with pytest.raises(ReplayMissError):
                session.post(target)
        assert session.post(url, json={}).json() == {"body": "{}"}


def test_one_unreadable_entry_fails_only_the_call_that_needs_it(tmp_path: t.Any) -> None:
    """Review regression: the whole recording is decoded at the first call, but a damaged
    entry, or a foreign file in the directory, must not fail the other calls."""
    from luco_client import GracefulSession, JSONDirReplayStorage, Replay, ReplayStorageError

    location, urls = _recorded(tmp_path)
    pathlib.Path(location, "notes.json").write_text("my notes", encoding="utf-8")
    pathlib.Path(location, ".hidden.json").write_text("{", encoding="utf-8")
    pathlib.Path(location, "picture.json").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(location))) as session:
        damaged = session.adapter.replay.match(
            session.prepare_request(requests.Request("GET", urls[1])), frozenset())[1].key
    pathlib.Path(location, f"{damaged}.1.json").write_text('{"status_code": "x"', encoding="utf-8")
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(location))) as session:
        assert session.get(urls[0]).json() == {"ok": True}
        with pytest.raises(ReplayStorageError, match="is not a recording"):
            session.get(urls[1])
        assert session.get(urls[2]).json() == {"ok": True}


def test_matching_settings_are_stored_and_must_agree(tmp_path: t.Any) -> None:
    from luco_client import GracefulSession, JSONDirReplayStorage, Replay, ReplayMissError

    location, urls = _recorded(tmp_path, ignore=["ts"])
    url = next(u for u in urls if "ts=100" in u)
    files = [os.path.join(location, name) for name in os.listdir(location)]
    document = json.loads(pathlib.Path(files[0]).read_text(encoding="utf-8"))
    assert document["matching"] == {"ignore": ["ts"], "match_headers": [], "scrub_rules": SCRUB_RULES}
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(location), ignore=["ts"])) as session:
        assert _keys(session, url)[0] is not None
        assert session.get(url).ok and session.get(url.replace("ts=100", "ts=200")).ok  # ts is ignored
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(location))) as session:
        assert _keys(session, url)[0] is None  # recorded with other settings: the long way, which misses
        with pytest.raises(ReplayMissError):
            session.get(url)


def test_recordings_without_settings_replay_the_long_way(tmp_path: t.Any) -> None:
    from luco_client import GracefulSession, JSONDirReplayStorage, Replay

    location, urls = _recorded(tmp_path)
    for name in os.listdir(location):
        path = os.path.join(location, name)
        document = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        del document["matching"]
        with open(path, "w", encoding="utf-8") as file:
            json.dump(document, file)
    with GracefulSession(replay=Replay("replay", JSONDirReplayStorage(location))) as session:
        assert all(_keys(session, url)[0] is None for url in urls)
        assert all(session.get(url).json() == {"ok": True} for url in urls)
        assert session.stats.snapshot().total.replays == len(urls)


def test_scrubbing_a_scrubbed_url_changes_nothing() -> None:
    """What finding recordings by URL rests on: the rules leave a stored URL as it is."""
    from luco_client.transport._replay.canonical import scrub_url

    register_secret(SECRET)
    rnd = random.Random(4)
    tricky = ["zq=9&token=", "sec?ret=", "qq%26b=c"]  # secrets that hold query structure (review finding)
    for secret in tricky:
        register_secret(secret)
    for secret in tricky:
        for url in (f"http://h.example/x?{secret}token=1", f"http://h.example/x?q={secret}&b=2"):
            once = scrub_url(url)
            assert scrub_url(once) == once, url
    for _ in range(5000):
        once = scrub_url(_url(rnd))
        assert scrub_url(once) == once


def test_scrub_rules_version_is_pinned_to_the_rules() -> None:
    """Changing a scrubbing rule must change SCRUB_RULES (recordings store it, and a replay
    finds recordings made under other rules only the long way). Bump both when this fails."""
    import hashlib
    import inspect

    from luco_client import _redact as names
    from luco_client.transport._replay import canonical as rules

    parts = [repr(sorted(names.CREDENTIAL_WORDS)), repr(sorted(names.CREDENTIAL_NAMES)),
             repr(sorted(names.CREDENTIAL_PARAMS)), repr(sorted(names.BROAD_WORDS)), repr(sorted(names.NOT_SECRET)),
             rules.REDACTED, rules._SCHEME_VALUE_RE.pattern, rules._URL_RE.pattern, rules._USERINFO_RE.pattern]
    parts += [inspect.getsource(f) for f in (rules.scrub_url, rules._scrub_query, rules._rebuild, rules.scrub_text,
                                             rules._scrub_pairs, rules.is_secret_field, names.is_secret_name,
                                             names._by_rule)]
    fingerprint = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]
    assert (rules.SCRUB_RULES, fingerprint) == (3, "6160b36b924e9398")
