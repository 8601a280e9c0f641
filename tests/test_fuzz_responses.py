"""Fuzzing the response side: whatever a server sends, the caller gets a response or a typed
error of luco_client's tree (never a raw requests/urllib3/http.client/Unicode error), and a
registered secret echoed by the server never reaches an error."""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luco_client import GracefulRetry, GracefulSession, LucoClientError, RedirectError, Timeout, register_secret
from luco_client.testing import FlakyServer, Garbage

SECRET = "fuzz-secret-" + "k" * 20
register_secret(SECRET, long_lived=True)

_VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2", b"HTTP/1.1x", b"", b"ICY", b"http/1.1"]
_LOCATIONS = [b"/next", b"\xff\xfe", b"/\xc3(", b"ftp://127.0.0.1/x", b"http://[::1", b"http://h:99999/",
              b"http://", b"javascript:alert(1)", b"//", b"/p?token=" + SECRET.encode(), b"", b" ",
              b"http://127.0.0.1:1/x", b"\x00"]
_HEADER_VALUES = {
    b"Content-Length": [b"0", b"5", b"-1", b"99999999999999999999", b"abc", b"5, 6", b"3"],
    b"Transfer-Encoding": [b"chunked", b"gzip, chunked", b"junk", b"chunked, chunked"],
    b"Content-Encoding": [b"gzip", b"deflate", b"br", b"identity", b"x-junk", b"gzip, gzip"],
    b"Content-Type": [b"application/json", b"text/html; charset=nope", b"\xff"],
    b"Retry-After": [b"1", b"-5", b"tomorrow", b"0.01", b"99999999999999"],
    b"Set-Cookie": [b"a=b", b"\xff=\xfe", b"session=" + SECRET.encode()],
}


def _header() -> st.SearchStrategy[bytes]:
    known = st.sampled_from(sorted(_HEADER_VALUES)).flatmap(
        lambda name: st.sampled_from(_HEADER_VALUES[name]).map(lambda value: name + b": " + value))
    location = st.sampled_from(_LOCATIONS).map(lambda value: b"Location: " + value)
    wild = st.tuples(st.binary(max_size=12), st.binary(max_size=24)).map(lambda nv: nv[0] + b": " + nv[1])
    return st.one_of(known, location, wild, st.binary(max_size=30))


def _body() -> st.SearchStrategy[bytes]:
    chunked = st.lists(st.binary(min_size=1, max_size=20), max_size=4).flatmap(
        lambda parts: st.sampled_from([b"", b"0\r\n\r\n", b"zz\r\n", b"5\r\nab"]).map(
            lambda end: b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + end))
    return st.one_of(st.binary(max_size=64), chunked, st.just(SECRET.encode()))


@st.composite
def responses(draw: t.Callable[..., t.Any]) -> bytes:
    version = draw(st.sampled_from(_VERSIONS))
    status = draw(st.one_of(st.integers(0, 999).map(lambda n: str(n).encode()),
                            st.sampled_from([b"30", b"2000", b"abc", b"302", b"307", b"200", b"429", b"503"])))
    reason = draw(st.one_of(st.binary(max_size=30), st.just(b"No such key " + SECRET.encode()),
                            st.just(b"\xff\xfe bad")))
    headers = draw(st.lists(_header(), max_size=6))
    separator = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    head = version + b" " + status + b" " + reason + separator + separator.join(headers)
    return head + separator + separator + draw(_body())


@pytest.fixture(scope="module")
def fuzz_server() -> t.Iterator[FlakyServer]:
    with FlakyServer() as server:
        yield server


def _check(error: LucoClientError) -> None:
    texts = [str(error), repr(error.attempts), str(getattr(error, "reason", "")),
             str(getattr(error, "headers", "")), str(getattr(error, "body_excerpt", ""))]
    assert not any(SECRET in text for text in texts), texts


@settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(raw=responses(), method=st.sampled_from(["GET", "POST"]), stream=st.booleans())
def test_any_response_is_a_response_or_a_typed_error(fuzz_server: FlakyServer, raw: bytes, method: str,
                                                     stream: bool) -> None:
    fuzz_server.default = Garbage(raw)
    session = GracefulSession(retry=GracefulRetry(max_attempts=2, delay=0, jitter=0), timeout=Timeout(2, 0.5))
    session.max_redirects = 3
    try:
        response = session.request(method, fuzz_server.url + "/fuzz", data=b"x" if method == "POST" else None,
                                   stream=stream)
        body = b"".join(response.iter_content(16)) if stream else response.content
        assert isinstance(body, bytes)
    except LucoClientError as error:  # the only kind of exception allowed out
        _check(error)
    finally:
        session.close()


@pytest.mark.parametrize("location", [b"\xff\xfe", b"/\xc3(", b"http://h:99999/", b"ftp://127.0.0.1/x"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unusable_location_is_a_redirect_error(fuzz_server: FlakyServer, location: bytes, method: str) -> None:
    fuzz_server.default = Garbage(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(RedirectError):
        GracefulSession(retry=None).request(method, fuzz_server.url + "/r", data=b"x" if method == "POST" else None)
