"""Per-call throttle, concurrency limits and log events (``CallOptions``), over real sockets.

One session serves calls with different settings: each call names its own throttle, limits
and events, or inherits the adapter's.
"""

from __future__ import annotations

import logging
import typing as t

import pytest

from luco_client import (
    INHERIT,
    CallOptions,
    ConcurrencyLimit,
    ConfigurationError,
    GracefulSession,
    LogEvent,
    LogLevel,
    Throttle,
    ThrottleRule,
)
from luco_client.testing import FakeClock, FlakyServer, Reply

if t.TYPE_CHECKING:
    from conftest import InFlightFactory


def test_a_call_uses_its_own_throttle_or_none(server: FlakyServer) -> None:
    clock = FakeClock()
    session_throttle = Throttle(ThrottleRule(".*", 1, 100.0), clock=clock, guard=0)
    call_throttle = Throttle(ThrottleRule(".*", 2, 10.0), clock=clock, guard=0)
    session = GracefulSession(throttle=session_throttle, clock=clock)
    url = server.url + "/x"
    session.get(url)                                                  # the session's budget: spent
    session.get(url, options=CallOptions(throttle=None))              # no throttle: no wait
    session.get(url, options=CallOptions(throttle=call_throttle))     # its own budget of 2
    session.get(url, options=CallOptions(throttle=call_throttle))
    assert clock.sleeps == []
    session.get(url, options=CallOptions(throttle=call_throttle))     # its third waits for its window
    session.get(url, options=CallOptions(throttle=INHERIT))           # the session's: waits too
    assert len(clock.sleeps) == 2 and all(s > 0 for s in clock.sleeps)
    assert session.stats.snapshot().total.throttle_waits == 2
    assert server.count("/x") == 6


def test_calls_naming_one_limit_share_its_slots(server: FlakyServer, in_flight: InFlightFactory,
                                                in_threads: t.Any) -> None:
    action, peak = in_flight()
    server.script("/slow", action)
    session = GracefulSession(concurrency=ConcurrencyLimit(8))
    one = ConcurrencyLimit(1)
    url = server.url + "/slow"
    responses = in_threads([lambda: session.get(url, options=CallOptions(concurrency=one))] * 6)
    assert [r.status_code for r in responses] == [200] * 6
    assert peak() == 1                       # the call's limit, not the session's 8
    action2, peak2 = in_flight()
    server.script("/slow2", action2)
    url2 = server.url + "/slow2"
    responses = in_threads([lambda: session.get(url2, options=CallOptions(concurrency=()))] * 6
                           + [lambda: session.get(url2)] * 6)
    assert [r.status_code for r in responses] == [200] * 12
    assert 3 <= peak2() <= 12                # no limit for half of them; the session's 8 for the others
    assert server.count("/slow") == 6 and server.count("/slow2") == 12


def test_overlapping_limit_sets_share_the_common_limit(server: FlakyServer, in_flight: InFlightFactory,
                                                       in_threads: t.Any) -> None:
    action, peak = in_flight()
    server.script("/slow", action)
    common, a, b = ConcurrencyLimit(1), ConcurrencyLimit(5), ConcurrencyLimit(5)
    session = GracefulSession()
    url = server.url + "/slow"
    responses = in_threads([lambda: session.get(url, options=CallOptions(concurrency=(a, common)))] * 4
                           + [lambda: session.get(url, options=CallOptions(concurrency=[common, b]))] * 4)
    assert [r.status_code for r in responses] == [200] * 8
    assert peak() == 1 and server.count("/slow") == 8


def test_a_call_logs_its_own_events(server: FlakyServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="luco_client")
    session = GracefulSession(log_request=LogEvent(LogLevel.INFO, "session sends {METHOD} {UURL}"))
    url = server.url + "/x"
    session.get(url, options=CallOptions(log_request=LogEvent(LogLevel.WARNING, "call sends {METHOD}")))
    session.get(url, options=CallOptions(log_request=None))
    session.get(url)
    server.script("/gone", Reply(404))
    session.get(server.url + "/gone", options=CallOptions(log_errors=LogEvent(LogLevel.ERROR, "failed {STATUS}"),
                                                          log_request=None))
    messages = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "luco_client.transport"]
    assert ("WARNING", "call sends GET") in messages
    assert ("INFO", f"session sends GET {server.url}/x") in messages
    assert sum(1 for _, m in messages if m.startswith("session sends")) == 1
    assert ("ERROR", "failed 404") in messages


@pytest.mark.parametrize("options", [
    {"throttle": "fast"}, {"concurrency": "3"}, {"concurrency": [ConcurrencyLimit(1), "x"]},
        {"throttle": None, "throttling": None}, {"retry": None, "timeout": 1, "bogus": 1},
    {"log_request": "GET {URL}"}, {"log_errors": LogLevel.INFO},
])
def test_bad_per_call_settings_are_configuration_errors(options: t.Dict[str, t.Any]) -> None:
    with pytest.raises(ConfigurationError):
        CallOptions(**options)


def test_aliases_read_and_replace_and_partial_session_defaults(server: FlakyServer) -> None:
    from luco_client import CallSettings, Throttle, ThrottleRule

    options = CallOptions(throttle=None, concurrency=2)
    assert options.throttle is None and options.concurrency == options.concurrent_requests
    replaced = options.replace(throttle=Throttle(ThrottleRule(".*", 5)), concurrency=())
    assert replaced.throttling is not None and replaced.concurrent_requests == ()
    session = GracefulSession()
    session.adapter.defaults = CallSettings(retry=None)  # the other fields: off
    assert session.get(server.url + "/x").status_code == 200
