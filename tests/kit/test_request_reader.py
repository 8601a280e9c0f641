"""The fake servers' own request reader (lean, without the email package): what it accepts,
what it refuses, and that answers go out whole. Raw sockets, so the bytes are exactly ours."""

from __future__ import annotations

import socket
import typing as t

import pytest

from luco_client.testing import FlakyServer, Reply


def _exchange(server: FlakyServer, raw: bytes, *, answers: int = 1) -> t.List[bytes]:
    """Send ``raw`` on one connection; read ``answers`` responses (status line, headers and
    Content-Length bytes of body each), or up to the server's close."""
    out = []
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(raw)
        reader = sock.makefile("rb")
        for _ in range(answers):
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = reader.readline()
                if not line:
                    break
                head += line
            if not head:
                break
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            out.append(head + reader.read(length))
    return out


def test_headers_arrive_as_sent_case_insensitively_and_folded_lines_join(server: FlakyServer) -> None:
    raw = (b"GET /h?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Token:   abc  \r\nX-Long: first\r\n\tsecond\r\n"
           b"X-Dup: 1\r\nX-Dup: 2\r\n\r\n")
    (answer,) = _exchange(server, raw)
    assert answer.startswith(b"HTTP/1.1 200 ")
    (received,) = server.received("/h")
    assert received.header("x-token") == "abc  "  # leading blanks and the line end go, as the email parser does
    assert received.header("X-LONG") == "first\tsecond"
    assert received.header("X-Dup") == "2"  # the dict keeps the last of a repeated header
    assert received.query == {"x": "1"}


def test_a_body_is_read_by_its_content_length_and_keep_alive_serves_the_next_request(server: FlakyServer) -> None:
    server.script("/echo", lambda received: Reply(200, received.body))
    raw = (b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
           b"GET /after HTTP/1.1\r\nHost: h\r\n\r\n")
    first, second = _exchange(server, raw, answers=2)
    assert first.endswith(b"\r\n\r\nhello") and second.startswith(b"HTTP/1.1 200 ")
    assert [r.path for r in server.received()] == ["/echo", "/after"]
    assert server.connections == 1


def test_connection_close_and_http_1_0_end_the_connection(server: FlakyServer) -> None:
    for raw in (b"GET /c HTTP/1.1\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n",
                b"GET /c HTTP/1.0\r\n\r\nGET /never HTTP/1.0\r\n\r\n"):
        answers = _exchange(server, raw, answers=2)
        assert len(answers) == 1 and answers[0].startswith(b"HTTP/1.1 200 ")
    assert server.count("/c") == 2 and server.count("/never") == 0


def test_expect_100_continue_is_answered_before_the_body(server: FlakyServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 ")
        sock.sendall(b"abc")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
    assert server.received("/up")[0].body == b"abc"


@pytest.mark.parametrize(("raw", "status"), [
    (b"GET /x HTTP/2.0\r\n\r\n", b"505"),
    (b"GET /x FTP/1.1\r\n\r\n", b"400"),
    (b"GET /x\r\n\r\n", b"400"),  # HTTP/0.9 is not served
    (b"GET /x HTTP/1.1 extra\r\n\r\n", b"400"),
    (b"GET /x HTTP/1.1\r\nno colon here\r\n\r\n", b"400"),
    (b"GET /x HTTP/1.1\r\n: empty name\r\n\r\n", b"400"),
    (b"GET /x HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", b"431"),
    (b"GET /x HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(101)) + b"\r\n", b"431"),
])
def test_malformed_requests_get_the_stdlib_s_error_statuses_and_are_not_recorded(
        server: FlakyServer, raw: bytes, status: bytes) -> None:
    (answer,) = _exchange(server, raw)
    assert answer.split(b" ")[1] == status
    assert server.count() == 0


def test_exactly_100_headers_are_accepted(server: FlakyServer) -> None:
    raw = b"GET /many HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(100)) + b"\r\n"
    (answer,) = _exchange(server, raw)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert len(server.received("/many")[0].headers) == 100


def test_a_reply_goes_out_in_one_write(server: FlakyServer) -> None:
    """Status line, headers and body in one segment: a client reading once gets it all
    (with two writes, the body would trail the headers)."""
    server.script("/one", Reply(200, {"k": "v" * 200}))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /one HTTP/1.1\r\nHost: h\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
    assert len(body) == length  # all of it came with the headers


def test_head_gets_headers_without_a_body(server: FlakyServer) -> None:
    server.script("/h", Reply(200, {"k": "v"}))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n")
        reader = sock.makefile("rb")
        lines = []
        while True:
            line = reader.readline()
            lines.append(line)
            if line == b"\r\n":
                break
        assert lines[0].startswith(b"HTTP/1.1 200 ")
        assert reader.readline().startswith(b"HTTP/1.1 200 ")  # the next answer, no body in between


def test_a_large_reply_body_arrives_whole_after_its_headers(server: FlakyServer) -> None:
    body = bytes(range(256)) * 1024  # 256 KiB: sent after the headers, not copied behind them
    server.script("/big", Reply(200, body))
    (answer,) = _exchange(server, b"GET /big HTTP/1.1\r\nHost: h\r\n\r\n")
    head, _, received = answer.partition(b"\r\n\r\n")
    assert b"Content-Length: 262144" in head and received == body
