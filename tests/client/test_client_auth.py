"""Client-level auth: credentials go to the API's own origin, never to other hosts."""

from __future__ import annotations

import typing as t

import pytest

from luco_client import ApiKeyAuth, ConfigurationError
from luco_client.client import ApiClient
from luco_client.testing import FlakyServer, PokemonServer


class Api(ApiClient):
    def pokemon(self, name: str) -> t.Any:
        return self.get("/pokemon/{NAME}", {"NAME": name})

    def elsewhere(self, url: str) -> t.Any:
        return self.get(url)


def test_auth_reaches_the_api_origin_only(pokeapi: PokemonServer, server: FlakyServer) -> None:
    key = "k-" + "9" * 20
    pokeapi.api_key = key
    api = Api(base_url=pokeapi.base_url, auth=ApiKeyAuth(key))
    assert api.pokemon("pikachu").status_code == 200
    assert pokeapi.received()[-1].header("X-Api-Key") == key
    api.elsewhere(server.url + "/storage/object")  # an absolute URL on another origin
    api.session.get(server.url + "/direct")  # the session itself carries no credential
    for received in server.received():
        assert received.header("X-Api-Key") is None
        assert key not in str(received.headers)


def test_a_calls_own_auth_wins_and_bad_auth_is_refused(pokeapi: PokemonServer) -> None:
    pokeapi.api_key = "right-key-123456"
    api = Api(base_url=pokeapi.base_url, auth=ApiKeyAuth("wrong-key-123456"))
    assert api.get("/pokemon/{NAME}", {"NAME": "pikachu"}, auth=ApiKeyAuth("right-key-123456")).status_code == 200
    with pytest.raises(ConfigurationError):
        Api(base_url=pokeapi.base_url, auth="secret")
