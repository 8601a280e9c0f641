"""Namespaces: built per client from annotations, settings merged once, BASE_URL never clobbered."""

from __future__ import annotations

import typing as t

import pytest

from luco_client import ConfigurationError, GracefulRetry, HTTPStatusError
from luco_client.client import ApiClient, Namespace, Settings, graceful
from luco_client.testing import PokemonServer, Reply

CLIENT_RETRY = GracefulRetry(max_attempts=2, delay=0, jitter=0)


class Moves(Namespace):
    def one(self, name: str) -> t.Any:
        return self.get("/move/{NAME}", {"NAME": name})


class PokemonNS(Namespace):
    class Config:
        SETTINGS = Settings(retry=None, parser={"default": lambda r: r.json()["name"]})

    moves: Moves

    def one(self, name: str) -> t.Any:
        return self.get("/pokemon/{NAME}", {"NAME": name})


class BerryNS(Namespace):
    def one(self, name: str) -> t.Any:
        return self.get("/berry/{NAME}", {"NAME": name})


class Api(ApiClient):
    class Config:
        SETTINGS = Settings(retry=CLIENT_RETRY, allowed_status_code=404,
                            parser={"default": lambda r: r.json(), 404: None})

    pokemon: PokemonNS
    berry: BerryNS
    not_a_namespace: int
    _private: PokemonNS


def test_namespaces_are_instantiated_per_client(pokeapi: PokemonServer) -> None:
    a, b = Api(base_url=pokeapi.base_url), Api(base_url=pokeapi.base_url)
    assert isinstance(a.pokemon, PokemonNS) and isinstance(a.pokemon.moves, Moves)
    assert a.pokemon is not b.pokemon and a.pokemon.client is a and a.pokemon.moves.client is a
    assert not hasattr(a, "not_a_namespace") and not hasattr(a, "_private")
    assert a.pokemon.one("pikachu") == "pikachu"
    assert a.berry.one("cheri") == {"id": 1, "name": "cheri", "growth_time": 3}
    assert a.pokemon.moves.one("move-3") == "move-3"  # nested: the parent namespace's parser
    assert a.berry.one("durian") is None  # the client's allowed 404 and parser reach the namespace


def test_namespace_settings_win_over_the_client_and_are_merged_once(pokeapi: PokemonServer) -> None:
    """gracy v1 merged a namespace's config with its parent's twice and clobbered BASE_URL."""
    before = PokemonNS.Config.SETTINGS
    first = Api(base_url=pokeapi.base_url)
    second = Api(base_url=pokeapi.url + "/elsewhere/")
    for api in (first, second, Api(base_url=pokeapi.base_url)):
        resolved = api.pokemon.explain()
        assert resolved.retry is None and resolved.source("retry") == "namespace"
        assert resolved.allowed_status_code == frozenset({404}) and resolved.source("allowed_status_code") == "client"
        assert [layer.level for layer in api.pokemon._luco_layers] == ["default", "client", "namespace"]
        assert [layer.level for layer in api.pokemon.moves._luco_layers] == ["default", "client", "namespace"]
    assert PokemonNS.Config.SETTINGS is before  # the class declaration is never rewritten
    assert first.pokemon.explain().base_url == pokeapi.base_url  # BASE_URL: the client's, not clobbered
    assert second.pokemon.explain().base_url == pokeapi.url + "/elsewhere/"
    pokeapi.script("/api/v2/pokemon/eevee", Reply(503))
    with pytest.raises(HTTPStatusError):
        first.pokemon.one("eevee")
    assert pokeapi.count("/api/v2/pokemon/eevee") == 1  # retry=None of the namespace, not the client's 2
    pokeapi.script("/api/v2/berry/oran", Reply(503))
    with pytest.raises(HTTPStatusError):
        first.berry.one("oran")
    assert pokeapi.count("/api/v2/berry/oran") == 2  # the client's retry in a namespace without its own


def test_a_namespace_may_have_its_own_base_url(pokeapi: PokemonServer, other_server: t.Any) -> None:
    class Other(Namespace):
        class Config:
            BASE_URL = other_server.url + "/v9"

        def ping(self) -> t.Any:
            return self.get("/ping")

    class Two(ApiClient):
        other: Other
        pokemon: PokemonNS

    api = Two(base_url=pokeapi.base_url)
    assert api.other.ping().status_code == 200 and other_server.received()[0].path == "/v9/ping"
    assert api.other.explain().source("base_url") == "namespace"
    assert api.pokemon.one("pikachu") == "pikachu"  # the sibling keeps the client's


def test_graceful_on_a_namespace_method(pokeapi: PokemonServer) -> None:
    class Ns(Namespace):
        @graceful(parser={"default": lambda r: r.json()["id"]})
        def number(self, name: str) -> t.Any:
            return self.get("/pokemon/{NAME}", {"NAME": name})

    class Client(ApiClient):
        ns: Ns

    api = Client(base_url=pokeapi.base_url)
    assert api.ns.number("pikachu") == 25
    assert api.explain("ns.number").source("parser") == "method"


def test_bad_namespace_declarations() -> None:
    class Bad(Namespace):
        class Config:
            REQUEST_TIMEOUT = 3  # client-only

    class Client(ApiClient):
        bad: Bad

    with pytest.raises(ConfigurationError, match="unknown setting"):
        Client(base_url="http://127.0.0.1:9/")
    with pytest.raises(ConfigurationError, match="built by its client"):
        PokemonNS(object(), "x")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="is not a namespace"):
        Api(base_url="http://127.0.0.1:9/").explain("not_a_namespace.x")
