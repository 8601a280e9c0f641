"""Per-instance state: stats, throttle buckets, slots and sessions are never shared by accident."""

from __future__ import annotations

import logging
import threading
import typing as t

import pytest

from luco_client import ConcurrencyLimit, LogEvent, LogLevel, SQLiteBackend, Stats, Throttle, ThrottleRule
from luco_client.client import ApiClient, Settings, graceful
from luco_client.testing import Delay, FakeClock, PokemonServer, Reply

CLASS_THROTTLE = Throttle(ThrottleRule(r"/pokemon/", 1, 60))


class Api(ApiClient):
    class Config:
        SETTINGS = Settings(throttling=CLASS_THROTTLE, retry=None)

    def one(self, name: str) -> t.Any:
        return self.get("/pokemon/{NAME}", {"NAME": name})

    @graceful(log_errors=None)
    def quiet(self, name: str) -> t.Any:
        return self.get("/pokemon/{NAME}", {"NAME": name})


def test_two_clients_of_one_class_share_neither_stats_nor_buckets(pokeapi: PokemonServer) -> None:
    a, b = Api(base_url=pokeapi.base_url), Api(base_url=pokeapi.base_url)
    a.one("pikachu")
    b.one("pikachu")  # 1 request per minute each: b is not held by a's token
    assert a.stats is not b.stats
    assert a.stats.snapshot().total.requests == 1 and b.stats.snapshot().total.requests == 1
    assert a.session.adapter.throttle is not b.session.adapter.throttle
    assert a.session.adapter.throttle is not CLASS_THROTTLE  # the declaration stays a template
    assert a.stats.snapshot().total.throttle_waits == 0 and b.stats.snapshot().total.throttle_waits == 0


def test_instance_copies_keep_the_declared_guard_and_admission_hook(pokeapi: PokemonServer) -> None:
    stamps: t.List[int] = []

    def admitted(rule: ThrottleRule, stamp_ms: int) -> None:
        stamps.append(stamp_ms)

    declared = Throttle(ThrottleRule(r"/pokemon/", 1, 60), guard=0.5, on_admit=admitted)

    class Logged(ApiClient):
        class Config:
            SETTINGS = Settings(throttling=declared, retry=None)

        def one(self, name: str) -> t.Any:
            return self.get("/pokemon/{NAME}", {"NAME": name})

    a, b = Logged(base_url=pokeapi.base_url), Logged(base_url=pokeapi.base_url)
    a.one("pikachu")
    b.one("pikachu")  # its own bucket: admitted at once, not a minute later
    copy = a.session.adapter.throttle
    assert copy is not declared and copy.guard == 0.5 and copy.on_admit is admitted
    assert len(stamps) == 2


def test_sharing_happens_only_on_purpose(pokeapi: PokemonServer, clock: FakeClock) -> None:
    shared_stats = Stats()
    shared = Throttle(ThrottleRule(r"/pokemon/", 1, 60), clock=clock)
    a = Api(base_url=pokeapi.base_url, stats=shared_stats, settings=Settings(throttling=shared), clock=clock)
    b = Api(base_url=pokeapi.base_url, stats=shared_stats, settings=Settings(throttling=shared), clock=clock)
    a.one("pikachu")
    b.one("raichu")
    assert a.session.adapter.throttle is shared is b.session.adapter.throttle
    assert shared_stats.snapshot().total.requests == 2
    assert clock.sleeps and sum(clock.sleeps) >= 60  # b waited for the shared bucket


def test_a_shared_backend_is_kept(tmp_path: t.Any) -> None:
    sqlite = Throttle(ThrottleRule(r".*", 5), backend=SQLiteBackend(tmp_path / "buckets.sqlite3"))

    class Shared(ApiClient):
        class Config:
            SETTINGS = Settings(throttling=sqlite)

    a, b = Shared(base_url="http://127.0.0.1:9/"), Shared(base_url="http://127.0.0.1:9/")
    assert a.session.adapter.throttle is sqlite is b.session.adapter.throttle  # sharing is its purpose


def test_overriding_methods_share_the_session_stats_slots_and_pauses(pokeapi: PokemonServer,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """A method that overrides log events (or throttle, limits) needs no session of its own:
    its settings travel with each call, and the client's slots, stats and pauses hold."""
    class Overrides(ApiClient):
        class Config:
            SETTINGS = Settings(concurrent_requests=1, retry=None)

        def loud(self, name: str) -> t.Any:
            return self.get("/pokemon/{NAME}", {"NAME": name})

        @graceful(log_request=LogEvent(LogLevel.WARNING, "quiet call to {UURL}"))
        def quiet(self, name: str) -> t.Any:
            return self.get("/pokemon/{NAME}", {"NAME": name})

    for name in ("bulbasaur", "ivysaur"):
        pokeapi.script(f"/api/v2/pokemon/{name}", Delay(0.15, Reply(200)))
    api = Overrides(base_url=pokeapi.base_url)
    caplog.set_level(logging.WARNING, logger="luco_client")
    threads = [threading.Thread(target=api.loud, args=("bulbasaur",)),
               threading.Thread(target=api.quiet, args=("ivysaur",))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [r.getMessage() for r in caplog.records] == [f"quiet call to {pokeapi.base_url}pokemon/{{NAME}}"]
    assert api.stats.snapshot().total.requests == 2
    first, second = sorted(r.at for r in pokeapi.received())
    assert second - first >= 0.14  # one slot for the whole client, whatever the method overrides


def test_per_method_limits_have_their_own_slots() -> None:
    limit = ConcurrencyLimit(2)

    class Two(ApiClient):
        @graceful(concurrent_requests=limit)
        def a(self) -> None:
            return None

        @graceful(concurrent_requests=3)
        def b(self) -> None:
            return None

    api = Two(base_url="http://127.0.0.1:9/")
    assert api.explain("a").concurrent_requests == (limit,)
    assert api.explain("b").concurrent_requests is not None and api.explain("b").concurrent_requests[0].limit == 3
