"""Endpoint templates: escaping, missing arguments, base URLs, templates in stats, no secrets."""

from __future__ import annotations

import logging
import typing as t

import pytest

from luco_client import ConfigurationError, NotFoundError
from luco_client.client import ApiClient, BaseEndpoint, Endpoint, Settings, UserDefinedError, escape_segment
from luco_client.testing import PokemonServer

API_KEY = "ak_live_pokemon_4f3e2d1c"


class Api(ApiClient):
    class Config:
        SETTINGS = Settings(parser={"default": lambda r: r.json()}, retry=None)

    POKEMON = Endpoint("/pokemon/{NAME}")
    NUMBERED = Endpoint("/pokemon/{ID:03d}")


@pytest.mark.parametrize(("value", "escaped"), [
    ("a/b", "a%2Fb"), ("..", "%2E%2E"), (".", "%2E"), ("x?y#z", "x%3Fy%23z"), ("mr. mime", "mr.%20mime"),
    ("nidoran\u2640", "nidoran%E2%99%80"), ("100%", "100%25"), ("a b&c=d", "a%20b%26c%3Dd"),
])
def test_values_are_escaped_as_one_segment(value: str, escaped: str) -> None:
    assert escape_segment(value) == escaped
    assert Endpoint("/pokemon/{NAME}/moves").format({"NAME": value}) == f"/pokemon/{escaped}/moves"


def test_a_slash_in_a_value_never_creates_a_segment(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    created = api.put(Api.POKEMON, {"NAME": "porygon/z"}, json={"types": ["normal"]})
    assert created["name"] == "porygon/z"
    assert pokeapi.received(method="PUT")[0].path == "/api/v2/pokemon/porygon%2Fz"
    assert api.get(Api.POKEMON, {"NAME": "porygon/z"})["types"] == ["normal"]
    with pytest.raises(NotFoundError):
        api.get(Api.POKEMON, {"NAME": "../berry/cheri"})  # stays inside /pokemon/
    assert pokeapi.received()[-1].path == "/api/v2/pokemon/..%2Fberry%2Fcheri"


def test_every_verb(pokeapi: PokemonServer) -> None:
    api = ApiClient(base_url=pokeapi.base_url, settings=Settings(retry=None))
    assert api.post("/pokemon", json={"name": "mew"}).status_code == 201
    assert api.patch(Api.POKEMON, {"NAME": "mew"}, json={"types": ["psychic"]}).json()["types"] == ["psychic"]
    assert api.head(Api.POKEMON, {"NAME": "mew"}).status_code == 200
    assert "PATCH" in api.options(Api.POKEMON, {"NAME": "mew"}).headers["Allow"]
    assert api.delete(Api.POKEMON, {"NAME": "mew"}).status_code == 204
    assert [r.method for r in pokeapi.received()] == ["POST", "PATCH", "HEAD", "OPTIONS", "DELETE"]
    assert "mew" not in pokeapi.pokemon


def test_format_spec_and_numbers(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    assert api.get(Api.NUMBERED, {"ID": 25})["name"] == "pikachu"
    assert pokeapi.received()[-1].path == "/api/v2/pokemon/025"


@pytest.mark.parametrize(("args", "message"), [
    ({}, r"needs a value for \{NAME\}"),
    (None, r"needs a value for \{NAME\}"),
    ({"NAME": "x", "ID": 1}, r"has no placeholder \{ID\}"),
    ({"NAME": None}, "must be a string or a number"),
    ({"NAME": ""}, "is empty"),
    ({"NAME": True}, "must be a string or a number"),
    (["pikachu"], "must be a mapping"),
])
def test_bad_endpoint_arguments_name_the_placeholder(args: t.Any, message: str) -> None:
    api = Api(base_url="http://127.0.0.1:9/")
    with pytest.raises(ConfigurationError, match=message):
        api.get(Api.POKEMON, args)


def test_bad_templates_and_base_urls() -> None:
    with pytest.raises(ConfigurationError, match="must be a name"):
        Endpoint("/pokemon/{}")
    with pytest.raises(ConfigurationError, match="must be a name"):
        Endpoint("/pokemon/{a.b}")
    with pytest.raises(ConfigurationError, match="invalid template"):
        Endpoint("/pokemon/{NAME")
    with pytest.raises(ConfigurationError, match="an endpoint must be"):
        ApiClient(base_url="http://127.0.0.1:9/").get(42)
    with pytest.raises(ConfigurationError, match="has no BASE_URL"):
        ApiClient().get("/pokemon")


def test_enum_endpoints_and_absolute_urls(pokeapi: PokemonServer) -> None:
    class E(BaseEndpoint):
        GET_POKEMON = "/pokemon/{NAME}"

    api = Api(base_url=pokeapi.base_url)
    assert api.get(E.GET_POKEMON, {"NAME": "pikachu"})["id"] == 25
    assert api.get(pokeapi.base_url + "berry/{NAME}", {"NAME": "oran"})["name"] == "oran"  # absolute: no BASE_URL
    assert str(E.GET_POKEMON) == "/pokemon/{NAME}"
    no_base = Api()
    assert no_base.get(pokeapi.url + "/api/v2/pokemon/{NAME}", {"NAME": "ekans"})["name"] == "ekans"


def test_base_url_joining(pokeapi: PokemonServer) -> None:
    for base in (pokeapi.base_url, pokeapi.base_url.rstrip("/")):
        for path in ("/pokemon/{NAME}", "pokemon/{NAME}"):
            assert Api(base_url=base).get(path, {"NAME": "arbok"})["name"] == "arbok"
    assert {r.path for r in pokeapi.received()} == {"/api/v2/pokemon/arbok"}


def test_the_url_template_is_the_stats_key(pokeapi: PokemonServer) -> None:
    api = Api(base_url=pokeapi.base_url)
    for name in ("pikachu", "raichu", "pikachu"):
        api.get(Api.POKEMON, {"NAME": name})
    (entry,) = api.stats.snapshot().endpoints
    assert entry.url_template == pokeapi.base_url + "pokemon/{NAME}" and entry.calls == 3


def test_secrets_never_reach_logs_errors_or_stats(pokeapi: PokemonServer, caplog: pytest.LogCaptureFixture) -> None:
    """An API key in the base URL's query and in a header: not in logs, errors, stats, explain."""
    pokeapi.api_key = API_KEY

    class NotFound(UserDefinedError):
        BASE_MESSAGE = "no {NAME} at {URL} ({UURL}, {ENDPOINT})"

    class Keyed(ApiClient):
        class Config:
            SETTINGS = Settings(retry=None, parser={404: NotFound})

    api = Keyed(base_url=pokeapi.url + f"/api/v2/?api_key={API_KEY}")
    caplog.set_level(logging.DEBUG, logger="luco_client")
    assert api.get("pokemon/{NAME}", {"NAME": "pikachu"}).json()["id"] == 25  # the key in BASE_URL works
    with pytest.raises(NotFound) as caught:
        api.get("pokemon/{NAME}", {"NAME": "nobody"}, params={"limit": 1})
    plain = ApiClient(base_url=pokeapi.base_url, settings=Settings(retry=None, parser={404: NotFound}))
    with pytest.raises(UserDefinedError):
        plain.get("pokemon/{NAME}", {"NAME": "nobody"}, headers={"X-Api-Key": API_KEY})
    sent = pokeapi.received()
    assert [r.path for r in sent] == ["/api/v2/pokemon/pikachu", "/api/v2/pokemon/nobody", "/api/v2/pokemon/nobody"]
    assert sent[1].query == {"api_key": API_KEY, "limit": "1"} and sent[2].header("X-Api-Key") == API_KEY  # sent...
    texts = [str(caught.value), repr(caught.value), caught.value.url or "", caplog.text,
             str(api.report_status("json")), str(api.stats.snapshot()), api.explain().explain(), repr(api),
             str(plain.report_status("json"))]
    for text in texts:
        assert API_KEY not in text  # ...and shown nowhere
    assert "no nobody at http://127.0.0.1:" in str(caught.value) and "REDACTED" in str(caught.value)


@pytest.mark.parametrize(("base", "path", "url"), [
    ("http://h/api/v2/", "/pokemon/x", "http://h/api/v2/pokemon/x"),
    ("http://h/api/v2", "pokemon/x", "http://h/api/v2/pokemon/x"),
    ("http://h", "/pokemon", "http://h/pokemon"),
    ("http://h/api/?key=1", "/pokemon?limit=2", "http://h/api/pokemon?key=1&limit=2"),
    ("http://h/api/", "", "http://h/api/"),
    ("http://h/api/", "https://other/x", "https://other/x"),
])
def test_join_url(base: str, path: str, url: str) -> None:
    from luco_client.client._endpoint import join_url

    assert join_url(base, path, "test") == url
