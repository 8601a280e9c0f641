"""@graceful and @graceful_generator: scope of the override, None disables, misuse fails typed."""

from __future__ import annotations

import threading
import typing as t

import pytest

from luco_client import ConfigurationError, Throttle, ThrottleRule
from luco_client.client import ApiClient, Settings, graceful, graceful_generator
from luco_client.testing import FakeClock, PokemonServer


def _name(r: t.Any) -> t.Any:
    return r.json()["name"]


class Api(ApiClient):
    class Config:
        SETTINGS = Settings(parser=lambda r: r.status_code, retry=None)

    @graceful(parser=_name)
    def name_of(self, name: str) -> t.Any:
        return self.get("/pokemon/{NAME}", {"NAME": name})

    @graceful_generator(parser=_name)
    def names(self, *names: str) -> t.Iterator[t.Any]:
        for name in names:
            received = yield self.get("/pokemon/{NAME}", {"NAME": name})
            if received is not None:
                yield ("sent", received)

    @graceful(parser=lambda r: "outer")
    def outer_calls_inner(self) -> t.Tuple[t.Any, t.Any]:
        return self.name_of("pikachu"), self.get("/pokemon/{NAME}", {"NAME": "raichu"})

    def plain(self, name: str) -> t.Any:
        return self.get("/pokemon/{NAME}", {"NAME": name})


def test_the_override_lives_while_the_method_runs(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    assert api.name_of("pikachu") == "pikachu"
    assert api.plain("pikachu") == 200  # outside: the client's parser
    assert api.outer_calls_inner() == ("pikachu", "outer")  # inner replaces, then the outer is back


def test_the_generator_override_is_off_between_items(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    gen = api.names("pikachu", "raichu", "ekans")
    assert next(gen) == "pikachu"
    assert api.plain("pikachu") == 200  # the consumer's own call, between two items
    assert gen.send("hello") == ("sent", "hello")
    assert next(gen) == "raichu"
    gen.close()
    assert pokeapi.count("/api/v2/pokemon/ekans") == 0  # closed before the third call
    with pytest.raises(ValueError, match="boom"):
        api.names("pikachu", "raichu").throw(ValueError("boom"))


def test_another_client_never_sees_the_override(pokeapi: PokemonServer) -> None:
    other = Api(base_url=pokeapi.base_url)

    class Caller(ApiClient):
        @graceful(parser=lambda r: "mine")
        def call_other(self) -> t.Any:
            return other.plain("pikachu")

    assert Caller(base_url=pokeapi.base_url).call_other() == 200


def test_threads_do_not_share_the_override(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    seen: t.List[t.Any] = []
    started, release = threading.Event(), threading.Event()

    class Slow(Api):
        @graceful(parser=_name)
        def hold(self) -> t.Any:
            started.set()
            release.wait(5)
            return self.get("/pokemon/{NAME}", {"NAME": "pikachu"})

    slow = Slow(base_url=pokeapi.base_url)
    worker = threading.Thread(target=lambda: seen.append(slow.hold()))
    worker.start()
    started.wait(5)
    seen.append(slow.plain("raichu"))  # while hold() runs in the other thread
    release.set()
    worker.join(5)
    assert seen == [200, "pikachu"] and api.plain("ekans") == 200


def test_none_disables_the_clients_throttle(pokeapi: PokemonServer, clock: FakeClock) -> None:
    class Throttled(ApiClient):
        class Config:
            SETTINGS = Settings(throttling=ThrottleRule(r".*", 1, 60), retry=None)

        @graceful(throttling=None)
        def unthrottled(self, name: str) -> t.Any:
            return self.get("/pokemon/{NAME}", {"NAME": name})

        def throttled(self, name: str) -> t.Any:
            return self.get("/pokemon/{NAME}", {"NAME": name})

    api = Throttled(base_url=pokeapi.base_url, settings=Settings(
        throttling=Throttle(ThrottleRule(r".*", 1, 60), clock=clock)), clock=clock)
    api.throttled("pikachu")
    for name in ("raichu", "ekans", "arbok"):
        api.unthrottled(name)
    assert clock.sleeps == []
    api.throttled("pidgey")
    assert len(clock.sleeps) == 1 and clock.sleeps[0] > 59


def test_misuse_fails_typed() -> None:
    with pytest.raises(ConfigurationError, match="use @graceful_generator"):
        @graceful(retry=None)
        def gen(self: t.Any) -> t.Iterator[int]:
            yield 1

    with pytest.raises(ConfigurationError, match="use @graceful"):
        @graceful_generator(retry=None)
        def not_gen(self: t.Any) -> int:
            return 1

    @graceful(retry=None)
    def loose(x: int) -> int:
        return x

    with pytest.raises(ConfigurationError, match="decorate methods of ApiClient"):
        loose(1)
    with pytest.raises(ConfigurationError, match="retry must be"):
        graceful(retry="never")  # type: ignore[arg-type]
