"""One precedence chain (call > method > endpoint > namespace > client > defaults), merged once,
explained; the status policy; None disables; bad settings fail typed."""

from __future__ import annotations

import typing as t

import pytest

from luco_client import ConfigurationError, GracefulRetry, HTTPStatusError, LogEvent, LogLevel, Timeout
from luco_client.client import (
    UNSET,
    ApiClient,
    Endpoint,
    Namespace,
    Settings,
    graceful,
)
from luco_client.testing import PokemonServer, Reply

R_CLIENT = GracefulRetry(max_attempts=2, delay=0, jitter=0)
R_NS = GracefulRetry(max_attempts=3, delay=0, jitter=0)
R_ENDPOINT = GracefulRetry(max_attempts=4, delay=0, jitter=0)
R_METHOD = GracefulRetry(max_attempts=5, delay=0, jitter=0)
R_CALL = GracefulRetry(max_attempts=6, delay=0, jitter=0)


class Endpoints:
    POKEMON = Endpoint("/pokemon/{NAME}", Settings(retry=R_ENDPOINT, deadline=30))
    BERRY = Endpoint("/berry/{NAME}")


class Pokemon(Namespace):
    class Config:
        SETTINGS = Settings(retry=R_NS, timeout=7, idempotent=True)

    @graceful(retry=R_METHOD, parser={"default": lambda r: r.json()["name"]})
    def name_of(self, name: str, call: t.Optional[Settings] = None) -> t.Any:
        return self.get(Endpoints.POKEMON, {"NAME": name}, settings=call)

    def berry(self, name: str) -> t.Any:
        return self.get(Endpoints.BERRY, {"NAME": name})


class Chain(ApiClient):
    class Config:
        SETTINGS = Settings(retry=R_CLIENT, timeout=3, deadline=60, log_errors=None)

    pokemon: Pokemon


def test_each_level_overrides_the_one_below() -> None:
    api = Chain(base_url="http://127.0.0.1:9/api/")
    plain = api.explain()
    assert plain.retry is R_CLIENT and plain.source("retry") == "client"
    assert plain.log_request == LogEvent(LogLevel.DEBUG) and plain.source("log_request") == "default"
    ns = api.pokemon.explain()
    assert ns.retry is R_NS and ns.source("retry") == "namespace"
    assert ns.timeout == Timeout(7, 7) and ns.deadline == 60.0 and ns.source("deadline") == "client"
    ep = api.pokemon.explain(endpoint=Endpoints.POKEMON)
    assert ep.retry is R_ENDPOINT and ep.source("retry") == "endpoint" and ep.deadline == 30.0
    method = api.explain("pokemon.name_of", endpoint=Endpoints.POKEMON)
    assert method.retry is R_METHOD and method.source("retry") == "method"
    assert method.origin("retry").endswith("Pokemon.name_of")
    call = api.explain("pokemon.name_of", endpoint=Endpoints.POKEMON, settings=Settings(retry=R_CALL))
    assert call.retry is R_CALL and call.source("retry") == "call"
    assert call.source("base_url") == "client" and call.base_url == "http://127.0.0.1:9/api/"
    text = call.explain()
    lines = {line.split()[0]: line for line in text.splitlines()}
    assert lines["retry"].endswith("call") and "max_attempts=6" in lines["retry"]
    assert "endpoint (endpoint POKEMON)" in lines["deadline"]
    assert "namespace (Pokemon.Config.SETTINGS)" in lines["timeout"]
    assert lines["log_errors"].split()[1] == "None" and "client (Chain.Config.SETTINGS)" in lines["log_errors"]


def test_a_real_call_uses_the_merged_settings(pokeapi: PokemonServer) -> None:
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(503), Reply(503), Reply(503), Reply(503), pokeapi.route)
    api = Chain(base_url=pokeapi.base_url)
    assert api.pokemon.name_of("pikachu") == "pikachu"  # method level: 5 attempts
    assert pokeapi.count("/api/v2/pokemon/pikachu") == 5
    pokeapi.script("/api/v2/pokemon/raichu", Reply(503))
    with pytest.raises(HTTPStatusError) as caught:
        api.pokemon.name_of("raichu", call=Settings(retry=None))  # call level: one attempt
    assert caught.value.attempt_count == 1
    pokeapi.script("/api/v2/berry/cheri", Reply(503))
    with pytest.raises(HTTPStatusError) as caught:
        api.pokemon.berry("cheri")  # namespace level: 3 attempts
    assert caught.value.attempt_count == 3


def test_a_resolution_is_remembered_per_chain_of_settings_and_never_mixed_up(pokeapi: PokemonServer) -> None:
    api = Chain(base_url=pokeapi.base_url)
    first = api.pokemon.explain(endpoint=Endpoints.POKEMON)
    assert api.pokemon.explain(endpoint=Endpoints.BERRY).retry is R_NS
    assert api.pokemon.explain("name_of", endpoint=Endpoints.POKEMON).retry is R_METHOD
    assert api.pokemon.explain(endpoint=Endpoints.POKEMON) is first  # the same chain: remembered
    assert first.retry is R_ENDPOINT and api.explain().retry is R_CLIENT
    with_call = api.pokemon.explain(endpoint=Endpoints.POKEMON, settings=Settings(retry=R_CALL))
    assert with_call.retry is R_CALL and with_call is not api.pokemon.explain(
        endpoint=Endpoints.POKEMON, settings=Settings(retry=R_CALL))  # call settings: merged each time
    same_path = Endpoint("/pokemon/{NAME}", Settings(retry=R_CALL))  # another Settings object: a new chain
    assert api.pokemon.explain(endpoint=same_path).retry is R_CALL
    # real calls alternating between the levels keep their own attempt counts
    for name in ("pikachu", "raichu"):
        pokeapi.script(f"/api/v2/pokemon/{name}", Reply(503))
    pokeapi.script("/api/v2/berry/cheri", Reply(503))
    for _ in range(2):
        for call, attempts in ((lambda: api.pokemon.name_of("pikachu"), 5), (lambda: api.pokemon.berry("cheri"), 3),
                               (lambda: api.pokemon.name_of("raichu", call=Settings(retry=None)), 1)):
            with pytest.raises(HTTPStatusError) as caught:
                call()
            assert caught.value.attempt_count == attempts


def test_none_disables_and_unset_inherits() -> None:
    assert Settings().is_set("retry") is False and Settings(retry=None).is_set("retry")
    assert Settings(retry=UNSET) == Settings()
    api = ApiClient(base_url="http://127.0.0.1:9/", settings=Settings(retry=None, log_errors=None, parser=None))
    resolved = api.explain()
    assert resolved.retry is None and resolved.log_errors is None and resolved.parser is None
    assert resolved.source("retry") == "client"


def test_the_status_policy_comes_whole_from_one_level() -> None:
    class Api(ApiClient):
        class Config:
            SETTINGS = Settings(allowed_status_code=404)

        @graceful(strict_status_code=201)
        def create(self) -> t.Any:
            return None

    api = Api(base_url="http://127.0.0.1:9/")
    assert api.explain().allowed_status_code == frozenset({404})
    method = api.explain("create")
    assert method.strict_status_code == frozenset({201}) and method.allowed_status_code is None
    assert method.source("allowed_status_code") == "method"


def test_strict_and_allowed_on_one_level_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="both set on the same level"):
        Settings(strict_status_code=200, allowed_status_code=404)
    with pytest.raises(ConfigurationError, match="both set on the same level"):
        graceful(strict_status_code={200, 201}, allowed_status_code={404})
    assert Settings(strict_status_code=None, allowed_status_code=404).allowed_status_code == frozenset({404})


def test_request_timeout_and_settings_timeout_conflict() -> None:
    class Api(ApiClient):
        class Config:
            REQUEST_TIMEOUT = 3
            SETTINGS = Settings(timeout=4)

    with pytest.raises(ConfigurationError, match=r"REQUEST_TIMEOUT and SETTINGS\.timeout"):
        Api(base_url="http://127.0.0.1:9/")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"strict_status_code": 99}, "status codes"),
    ({"allowed_status_code": []}, "empty"),
    ({"allowed_status_code": "404"}, "status codes"),
    ({"parser": {"sometimes": None}}, "parser keys"),
    ({"parser": 42}, "parser must be"),
    ({"validators": [42]}, "validator must be callable"),
    ({"retry": 3}, "retry must be a GracefulRetry"),
    ({"timeout": -1}, "positive"),
    ({"deadline": 0}, "deadline"),
    ({"idempotent": "yes"}, "idempotent"),
    ({"throttling": "2/s"}, "throttling"),
    ({"concurrent_requests": 0}, "limit must be an integer"),
    ({"log_errors": "ERROR"}, "LogEvent"),
])
def test_bad_settings_fail_typed(kwargs: t.Dict[str, t.Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings(**kwargs)


def test_bad_client_declarations_fail_typed() -> None:
    class Typo(ApiClient):
        class Config:
            BASEURL = "http://x/"

    with pytest.raises(ConfigurationError, match="unknown setting"):
        Typo()

    class NotSettings(ApiClient):
        class Config:
            SETTINGS = {"retry": None}

    with pytest.raises(ConfigurationError, match="must be a Settings"):
        NotSettings()
    with pytest.raises(ConfigurationError, match="BASE_URL must be an http"):
        ApiClient(base_url="ftp://x/")
    with pytest.raises(ConfigurationError, match="set through Settings"):
        ApiClient(base_url="http://127.0.0.1:9/", throttle=None)
    with pytest.raises(ConfigurationError, match="unknown settings"):
        ApiClient(base_url="http://127.0.0.1:9/", not_a_session_option=1)
    with pytest.raises(ConfigurationError, match="no method 'nope'"):
        ApiClient(base_url="http://127.0.0.1:9/").explain("nope")
    with pytest.raises(ConfigurationError, match="unknown settings"):
        Settings.from_values({"retries": 3})


def test_settings_are_frozen_values() -> None:
    settings = Settings(allowed_status_code=[404, 403], timeout=(2, 9))
    assert settings.allowed_status_code == frozenset({403, 404}) and settings.timeout == Timeout(2, 9)
    with pytest.raises(AttributeError):
        settings.retry = None  # type: ignore[misc]
    assert settings == Settings(allowed_status_code={403, 404}, timeout=Timeout(2, 9))
    assert "allowed_status_code" in repr(settings) and "retry" not in repr(settings)


def test_explain_never_shows_credentials_of_the_base_url() -> None:
    from luco_client.client import ApiClient

    class Api(ApiClient):
        class Config:
            BASE_URL = "https://user:hunter2@api.example.com/v1?api_key=SECRET123"

    text = str(Api().explain())
    assert "hunter2" not in text and "SECRET123" not in text
    assert "https://REDACTED@api.example.com/v1?api_key=REDACTED" in text
