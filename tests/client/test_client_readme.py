"""Every example of the gracy README, ported to the synchronous client, against the fake PokeAPI."""

from __future__ import annotations

import collections
import io
import logging
import threading
import typing as t
from http import HTTPStatus

import pytest

from luco_client import (
    GracefulRetry,
    HTTPStatusError,
    JSONDirReplayStorage,
    LogEvent,
    LogLevel,
    NotFoundError,
    ReadTimeoutError,
    Replay,
    RetryState,
    Throttle,
    ThrottleRule,
)
from luco_client.client import (
    ApiClient,
    BaseEndpoint,
    GracefulValidator,
    Namespace,
    OffsetPaginator,
    RateLimitBackoffHook,
    RequestContext,
    RetryAfterBackoffHook,
    Settings,
    UserDefinedError,
    graceful,
    graceful_generator,
)
from luco_client.testing import Delay, FakeClock, PokemonServer, Reply

if t.TYPE_CHECKING:
    from conftest import CaptureLogs


class PokeApiEndpoint(BaseEndpoint):
    GET_POKEMON = "/pokemon/{NAME}"
    GET_BERRY = "/berry/{NAME}"
    BERRY_LIST = "/berry"
    GET_GENERATION = "/generation/{ID}/"


def _json(r: t.Any) -> t.Any:
    return r.json()


@pytest.fixture
def records(capture_logs: CaptureLogs) -> t.Iterator[t.List[logging.LogRecord]]:
    """Every luco_client record at DEBUG (the package logger only; root untouched)."""
    with capture_logs("luco_client") as captured:
        yield captured


# ---------------------------------------------------------------------- simple example


class GracefulPokeAPI(ApiClient):
    class Config:
        SETTINGS = Settings(
            log_request=LogEvent(LogLevel.DEBUG),
            log_response=LogEvent(LogLevel.INFO, "{URL} took {ELAPSED}"),
            parser={"default": lambda r: r.json()},
        )

    def get_pokemon(self, name: str) -> t.Dict[str, t.Any]:
        return self.get[t.Dict[str, t.Any]](PokeApiEndpoint.GET_POKEMON, {"NAME": name})


def test_simple_example(pokeapi: PokemonServer, records: t.List[logging.LogRecord]) -> None:
    api = GracefulPokeAPI(base_url=pokeapi.base_url)
    pokemon = api.get_pokemon("pikachu")
    assert pokemon == {"id": 25, "name": "pikachu", "order": 25, "types": ["electric"]}
    took = [r.getMessage() for r in records if " took " in r.getMessage()]
    assert took and took[0].startswith(pokeapi.base_url + "pokemon/pikachu took ")
    lines = api.report_status("logger")
    assert any("pokemon/{NAME}" in line for line in lines)
    entry = api.stats.snapshot().get("GET", pokeapi.base_url + "pokemon/{NAME}")
    assert entry is not None and entry.calls == 1 and entry.status_2xx == 1


# ---------------------------------------------------------------------- strict / allowed


class StrictApi(ApiClient):
    class Config:
        SETTINGS = Settings(strict_status_code=HTTPStatus.CREATED, retry=None)

    def create(self, name: str) -> t.Any:
        return self.post("/pokemon", json={"name": name})

    def read(self, name: str) -> t.Any:
        return self.get(PokeApiEndpoint.GET_POKEMON, {"NAME": name})


def test_strict_status_code_refuses_even_a_200(pokeapi: PokemonServer) -> None:
    api = StrictApi(base_url=pokeapi.base_url)
    assert api.create("missingno").status_code == 201
    with pytest.raises(HTTPStatusError) as caught:
        api.read("pikachu")  # 200 is a success, but not the strict 201
    assert caught.value.status == 200
    assert "strict_status_code [201]" in str(caught.value)


def test_strict_status_code_as_a_set(pokeapi: PokemonServer) -> None:
    api = StrictApi(base_url=pokeapi.base_url,
                    settings=Settings(strict_status_code={HTTPStatus.OK, HTTPStatus.CREATED}))
    assert api.read("pikachu").status_code == 200
    assert api.create("missingno2").status_code == 201
    with pytest.raises(NotFoundError):
        api.read("nobody")


def test_allowed_status_code_extends_2xx(pokeapi: PokemonServer) -> None:
    class Api(ApiClient):
        class Config:
            SETTINGS = Settings(allowed_status_code={HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN})

    api = Api(base_url=pokeapi.base_url)
    assert api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "nobody"}).status_code == 404
    assert api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"}).status_code == 200
    assert pokeapi.count("/api/v2/pokemon/nobody") == 1  # an allowed status is never retried


# ---------------------------------------------------------------------- validators


class MyException(Exception):
    pass


class MyCustomValidator(GracefulValidator):
    def check(self, response: t.Any) -> None:
        if response.json().get("error", None):
            raise MyException("Error is not expected")


def test_custom_validator_drives_retries(pokeapi: PokemonServer, clock: FakeClock) -> None:
    class Api(ApiClient):
        class Config:
            SETTINGS = Settings(
                retry=GracefulRetry(retry_on=MyException, max_attempts=3, delay=1, jitter=0, clock=clock),
                validators=MyCustomValidator(),
                parser=_json,
            )

    pokeapi.script("/api/v2/pokemon/pikachu", Reply(200, {"error": "try later"}), Reply(200, {"name": "pikachu"}))
    api = Api(base_url=pokeapi.base_url, clock=clock)
    assert api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"}) == {"name": "pikachu"}
    assert pokeapi.count("/api/v2/pokemon/pikachu") == 2
    assert clock.sleeps == [1.0]


def test_validator_failure_without_retry_raises_its_exception(pokeapi: PokemonServer) -> None:
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(200, {"error": "nope"}))
    api = ApiClient(base_url=pokeapi.base_url, settings=Settings(validators=[MyCustomValidator()], retry=None))
    with pytest.raises(MyException):
        api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"})


# ---------------------------------------------------------------------- parsing


class PokemonNotFound(UserDefinedError):
    BASE_MESSAGE = "Unable to find a pokemon with the name [{NAME}] at {URL} due to {STATUS} status"


class ParsingApi(ApiClient):
    class Config:
        SETTINGS = Settings(
            allowed_status_code=HTTPStatus.NOT_FOUND,
            parser={"default": lambda r: r.json(), HTTPStatus.NOT_FOUND: None},
        )

    def get_pokemon(self, name: str) -> t.Optional[t.Dict[str, t.Any]]:
        return self.get[t.Dict[str, t.Any], None](PokeApiEndpoint.GET_POKEMON, {"NAME": name})

    @graceful(parser={"default": lambda r: r.json(), HTTPStatus.NOT_FOUND: PokemonNotFound})
    def get_pokemon_or_raise(self, name: str) -> t.Dict[str, t.Any]:
        return self.get[t.Dict[str, t.Any]](PokeApiEndpoint.GET_POKEMON, {"NAME": name})


def test_parser_default_and_none_for_404(pokeapi: PokemonServer) -> None:
    api = ParsingApi(base_url=pokeapi.base_url)
    found = api.get_pokemon("pikachu")
    assert found is not None and found["order"] == 25
    assert api.get_pokemon("nobody") is None


def test_parser_exception_with_templated_message(pokeapi: PokemonServer) -> None:
    api = ParsingApi(base_url=pokeapi.base_url)
    with pytest.raises(PokemonNotFound) as caught:
        api.get_pokemon_or_raise("nobody")
    url = pokeapi.base_url + "pokemon/nobody"
    assert str(caught.value) == f"Unable to find a pokemon with the name [nobody] at {url} due to 404 status"
    assert caught.value.status == 404 and caught.value.endpoint_args == {"NAME": "nobody"}
    assert isinstance(caught.value, HTTPStatusError)


def test_custom_exception_for_a_status_the_policy_refuses(pokeapi: PokemonServer) -> None:
    """gracy's "Custom Exceptions" example: {400: MyCustomException} raises it, no allow-list needed."""

    class MyCustomException(UserDefinedError):
        pass

    class MyApi(ApiClient):
        class Config:
            SETTINGS = Settings(parser={HTTPStatus.BAD_REQUEST: MyCustomException})

    api = MyApi(base_url=pokeapi.base_url)
    with pytest.raises(MyCustomException) as caught:
        api.get("/pokemon", params={"offset": "x"})
    assert caught.value.status == 400 and caught.value.method == "GET"
    assert str(caught.value).startswith("GET " + pokeapi.base_url + "pokemon?offset=x answered 400")


class ResourceList(t.TypedDict):
    count: int
    next: t.Optional[str]
    previous: t.Optional[str]
    results: t.List[t.Dict[str, str]]


def test_typed_verbs_return_the_parsed_value(pokeapi: PokemonServer) -> None:
    class BerryApi(ApiClient):
        class Config:
            SETTINGS = Settings(parser={"default": _json, 404: None}, allowed_status_code=404)

        def list(self, offset: int = 0, limit: int = 20) -> ResourceList:
            return self.get[ResourceList](PokeApiEndpoint.BERRY_LIST, params={"offset": offset, "limit": limit})

        def get_one(self, name_or_id: t.Union[str, int]) -> t.Optional[t.Dict[str, t.Any]]:
            return self.get[t.Dict[str, t.Any], None](PokeApiEndpoint.GET_BERRY, {"NAME": str(name_or_id)})

    api = BerryApi(base_url=pokeapi.base_url)
    page = api.list(limit=3)
    assert page["count"] == 10 and [b["name"] for b in page["results"]] == ["cheri", "chesto", "pecha"]
    assert api.get_one("cheri") == {"id": 1, "name": "cheri", "growth_time": 3}
    assert api.get_one("durian") is None


# ---------------------------------------------------------------------- retry


def test_retry_example(pokeapi: PokemonServer, clock: FakeClock, records: t.List[logging.LogRecord]) -> None:
    class Api(ApiClient):
        class Config:
            SETTINGS = Settings(retry=GracefulRetry(
                delay=1, max_attempts=3, delay_modifier=1.5, retry_on=None, jitter=0,
                log_before=None, log_after=LogEvent(LogLevel.WARNING), log_exhausted=LogEvent(LogLevel.CRITICAL),
                on_exhausted="break", clock=clock))

    pokeapi.script("/api/v2/pokemon/pikachu", Reply(500), Reply(502), Reply(503))
    api = Api(base_url=pokeapi.base_url, clock=clock)
    with pytest.raises(HTTPStatusError) as caught:
        api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"})
    assert caught.value.status == 503 and caught.value.attempt_count == 3  # 3 attempts in total
    assert clock.sleeps == [1.0, 1.5]
    assert [r.levelno for r in records if r.__dict__.get("luco_event") == "retry.exhausted"] == [logging.CRITICAL]
    assert len([r for r in records if r.__dict__.get("luco_event") == "retry.after"]) == 2


def test_retry_overrides_per_status(pokeapi: PokemonServer, clock: FakeClock) -> None:
    retry = GracefulRetry(delay=5, jitter=0, overrides={HTTPStatus.BAD_GATEWAY: 0.25}, clock=clock)
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(502), pokeapi.route)
    api = ApiClient(base_url=pokeapi.base_url, settings=Settings(retry=retry, parser=_json), clock=clock)
    assert api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"})["name"] == "pikachu"
    assert clock.sleeps == [0.25]


# ---------------------------------------------------------------------- throttling


def test_throttling_rules(pokeapi: PokemonServer, clock: FakeClock) -> None:
    assert str(ThrottleRule(r".*", 2)) == "2 requests per second for URLs matching re.compile('.*')"
    throttle = Throttle(ThrottleRule(r".*", 2), log_limit_reached=LogEvent(LogLevel.ERROR),
                        log_wait_over=LogEvent(LogLevel.WARNING), clock=clock)

    class Api(ApiClient):
        class Config:
            SETTINGS = Settings(throttling=throttle)

    api = Api(base_url=pokeapi.base_url, clock=clock)
    for name in ("bulbasaur", "ivysaur", "venusaur", "charmander", "charmeleon"):
        api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": name})
    waits = clock.sleeps
    assert waits and all(w > 0 for w in waits)
    snapshot = api.stats.snapshot().total
    assert snapshot.throttle_waits == 2  # the 3rd and the 5th request waited for a new window


# ---------------------------------------------------------------------- concurrency


def test_concurrent_requests_per_method(pokeapi: PokemonServer) -> None:
    class Api(ApiClient):
        @graceful(concurrent_requests=1)
        def one_at_a_time(self, name: str) -> t.Any:
            return self.get(PokeApiEndpoint.GET_POKEMON, {"NAME": name})

        def free(self, name: str) -> t.Any:
            return self.get(PokeApiEndpoint.GET_POKEMON, {"NAME": name})

    for name in ("bulbasaur", "ivysaur", "venusaur"):
        pokeapi.script(f"/api/v2/pokemon/{name}", Delay(0.15, Reply(200)))
    api = Api(base_url=pokeapi.base_url)
    threads = [threading.Thread(target=api.one_at_a_time, args=(n,)) for n in ("bulbasaur", "ivysaur", "venusaur")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    arrivals = sorted(r.at for r in pokeapi.received())
    assert len(arrivals) == 3
    assert all(b - a >= 0.14 for a, b in zip(arrivals, arrivals[1:]))  # never two in flight


# ---------------------------------------------------------------------- logging


def test_log_events_with_placeholders(pokeapi: PokemonServer, records: t.List[logging.LogRecord]) -> None:
    api = ApiClient(base_url=pokeapi.base_url, settings=Settings(
        log_errors=LogEvent(LogLevel.INFO, "{URL} returned a bad status code {STATUS}, but that's fine"),
        log_response=LogEvent(LogLevel.ERROR, lambda r: "Request failed with {STATUS}"
                              f" and it was {'redirected' if r.is_redirect else 'NOT redirected'}"
                              if r is not None and r.status_code >= 400 else ""),
        retry=None))
    with pytest.raises(NotFoundError):
        api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "nobody"})
    messages = [r.getMessage() for r in records]
    assert f"{pokeapi.base_url}pokemon/nobody returned a bad status code 404, but that's fine" in messages
    assert "Request failed with 404 and it was NOT redirected" in messages


# ---------------------------------------------------------------------- reports


def test_reports(pokeapi: PokemonServer) -> None:
    api = GracefulPokeAPI(base_url=pokeapi.base_url)
    api.get_pokemon("pikachu")
    api.get(PokeApiEndpoint.GET_GENERATION, {"ID": 1})
    out = io.StringIO()
    text = api.report_status("list", file=out)
    assert out.getvalue() == text
    assert pokeapi.base_url.split("//")[1] + "pokemon/{NAME}" in text and "generation/{ID}/" in text
    data = api.report_status("json")
    assert data["total"]["requests"] == 2 and len(data["endpoints"]) == 2


# ---------------------------------------------------------------------- namespaces


class PokemonNamespace(Namespace):
    def get_one(self, name: str) -> t.Any:
        return self.get(PokeApiEndpoint.GET_POKEMON, {"NAME": name})


class BerryNamespace(Namespace):
    def get_one(self, name: str) -> t.Any:
        return self.get(PokeApiEndpoint.GET_BERRY, {"NAME": name})

    def list(self, offset: int = 0, limit: int = 20) -> ResourceList:
        return self.get[ResourceList](PokeApiEndpoint.BERRY_LIST, params={"offset": offset, "limit": limit})

    def paginate(self, limit: int = 20) -> OffsetPaginator[ResourceList]:
        return OffsetPaginator[ResourceList](
            self.list, has_next=lambda r: bool(r["next"]) if r else True, page_size=limit)


class NamespacedPokeAPI(ApiClient):
    class Config:
        SETTINGS = Settings(
            allowed_status_code={HTTPStatus.NOT_FOUND},
            parser={"default": _json, HTTPStatus.NOT_FOUND: None},
        )

    berry: BerryNamespace
    pokemon: PokemonNamespace


def test_namespaces(pokeapi: PokemonServer) -> None:
    api = NamespacedPokeAPI(base_url=pokeapi.base_url)
    assert api.pokemon.get_one("pikachu")["name"] == "pikachu"
    assert api.berry.get_one("cheri")["name"] == "cheri"
    assert api.berry.get_one("durian") is None  # the client's settings reached the namespace


def test_pagination_example(pokeapi: PokemonServer) -> None:
    api = NamespacedPokeAPI(base_url=pokeapi.base_url)
    paginator = api.berry.paginate(2)
    first = paginator.next_page()
    assert first is not None and [b["name"] for b in first["results"]] == ["cheri", "chesto"]
    paginator.set_page(0)
    pages = list(paginator)
    assert len(pages) == 5 and pages[-1]["next"] is None
    assert [q.query["offset"] for q in pokeapi.received("/api/v2/berry")] == ["0", "0", "2", "4", "6", "8"]


# ---------------------------------------------------------------------- per-method overrides


class OverridingPokeAPI(ApiClient):
    class Config:
        SETTINGS = Settings(
            retry=GracefulRetry(max_attempts=3, delay=0, jitter=0),
            log_errors=LogEvent(
                LogLevel.ERROR, "How can I become a pokemon master if {URL} keeps failing with {STATUS}"),
        )

    @graceful(
        retry=None,  # disables the retry of Config
        log_errors=None,  # disables log_errors of Config
        allowed_status_code=HTTPStatus.NOT_FOUND,
        parser={"default": lambda r: r.json()["order"], HTTPStatus.NOT_FOUND: None},
    )
    def maybe_get_pokemon_order(self, name: str) -> t.Optional[int]:
        return self.get[int, None](PokeApiEndpoint.GET_POKEMON, {"NAME": name})

    @graceful(strict_status_code=HTTPStatus.OK, parser={"default": lambda r: r.json()["order"]})
    def get_pokemon_order(self, name: str) -> int:
        return self.get[int](PokeApiEndpoint.GET_POKEMON, {"NAME": name})

    @graceful_generator(parser={"default": lambda r: r.json()["order"]})
    def get_2_pokemons(self) -> t.Iterator[int]:
        for name in ["charmander", "pikachu"]:
            yield self.get[int](PokeApiEndpoint.GET_POKEMON, {"NAME": name})


def test_graceful_overrides(pokeapi: PokemonServer, records: t.List[logging.LogRecord]) -> None:
    api = OverridingPokeAPI(base_url=pokeapi.base_url)
    assert api.maybe_get_pokemon_order("pikachu") == 25
    assert api.maybe_get_pokemon_order("nobody") is None
    assert not [r for r in records if "pokemon master" in r.getMessage()]  # log_errors=None
    pokeapi.script("/api/v2/pokemon/eevee", Reply(503))
    with pytest.raises(HTTPStatusError):
        api.maybe_get_pokemon_order("eevee")
    assert pokeapi.count("/api/v2/pokemon/eevee") == 1  # retry=None: one attempt
    assert api.get_pokemon_order("pikachu") == 25
    with pytest.raises(NotFoundError):
        api.get_pokemon_order("nobody")  # retry and log_errors still set for this one
    assert pokeapi.count("/api/v2/pokemon/nobody") == 2  # 404 is not retried
    assert any("pokemon master" in r.getMessage() for r in records)
    assert list(api.get_2_pokemons()) == [4, 25]
    assert api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"}).status_code == 200  # no override outside


# ---------------------------------------------------------------------- customising the session


def test_customising_the_session(pokeapi: PokemonServer) -> None:
    pokeapi.api_key = "s3cr3t-key-value"

    class YourAPIClient(ApiClient):
        def __init__(self, token: str) -> None:
            self._token = token
            super().__init__(base_url=pokeapi.base_url, settings=Settings(retry=None))

        def build_session(self, **kwargs: t.Any) -> t.Any:
            session = super().build_session(**kwargs)
            session.headers["X-Api-Key"] = self._token
            return session

    assert YourAPIClient("s3cr3t-key-value").get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"}).status_code == 200
    with pytest.raises(HTTPStatusError) as caught:
        YourAPIClient("wrong").get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"})
    assert caught.value.status == 401


def test_request_timeout(pokeapi: PokemonServer) -> None:
    class GracefulAPI(ApiClient):
        class Config:
            REQUEST_TIMEOUT = 0.2
            SETTINGS = Settings(retry=None)

    pokeapi.script("/api/v2/pokemon/slowpoke", Delay(1.0, Reply(200)))
    api = GracefulAPI(base_url=pokeapi.base_url)
    assert api.explain().timeout.read == 0.2
    with pytest.raises(ReadTimeoutError):
        api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "slowpoke"})


# ---------------------------------------------------------------------- hooks


class HookedPokeAPI(ApiClient):
    class Config:
        SETTINGS = Settings(allowed_status_code={HTTPStatus.NOT_FOUND}, parser={HTTPStatus.NOT_FOUND: None})

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.before_count = 0
        self.after_status_counter: t.DefaultDict[HTTPStatus, int] = collections.defaultdict(int)
        self.after_aborts = 0
        self.after_retries_counter = 0
        super().__init__(*args, **kwargs)

    def before(self, context: RequestContext) -> None:
        self.before_count += 1

    def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: RetryState) -> None:
        if retry_state.attempt > 1:
            self.after_retries_counter += 1
        if isinstance(response_or_exc, Exception):
            self.after_aborts += 1
        else:
            self.after_status_counter[HTTPStatus(response_or_exc.status_code)] += 1

    def get_pokemon(self, name: str) -> t.Any:
        return self.get(PokeApiEndpoint.GET_POKEMON, {"NAME": name})


def test_hooks_before_and_after(pokeapi: PokemonServer, clock: FakeClock) -> None:
    api = HookedPokeAPI(base_url=pokeapi.base_url, clock=clock,
                        settings=Settings(retry=GracefulRetry(delay=0.5, jitter=0, clock=clock)))
    api.get_pokemon("pikachu")
    assert api.get_pokemon("nobody") is None
    pokeapi.script("/api/v2/pokemon/eevee", Reply(503), Reply(200))
    api.get_pokemon("eevee")
    assert api.before_count == 4
    assert dict(api.after_status_counter) == {HTTPStatus.OK: 2, HTTPStatus.NOT_FOUND: 1,
                                              HTTPStatus.SERVICE_UNAVAILABLE: 1}
    assert api.after_retries_counter == 1 and api.after_aborts == 0


# ---------------------------------------------------------------------- common hooks


def test_retry_after_backoff_hook_pauses_all_requests(pokeapi: PokemonServer, clock: FakeClock) -> None:
    class GracefulAPI(ApiClient):
        def __init__(self) -> None:
            self.retry_after_hook = RetryAfterBackoffHook(
                log_event=LogEvent(LogLevel.WARNING, "{ENDPOINT} produced {STATUS} and requested to wait "
                                                     "{RETRY_AFTER}s - waiting {RETRY_AFTER_ACTUAL_WAIT}s"),
                seconds_processor=lambda secs_requested: secs_requested + 10, clock=clock)
            self.results: t.List[t.Optional[float]] = []
            super().__init__(base_url=pokeapi.base_url, clock=clock, settings=Settings(retry=None))

        def before(self, context: RequestContext) -> None:
            self.retry_after_hook.before(context)

        def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: RetryState) -> None:
            self.results.append(self.retry_after_hook.after(context, response_or_exc, retry_state))

    pokeapi.script("/api/v2/pokemon/pikachu", Reply(429, {"detail": "slow down"}, {"Retry-After": "5"}))
    api = GracefulAPI()
    with pytest.raises(HTTPStatusError):
        api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"})
    assert api.results == [15.0]
    assert clock.sleeps == []
    api.get(PokeApiEndpoint.GET_BERRY, {"NAME": "cheri"})  # another endpoint: held too
    assert clock.sleeps == [15.0]


def test_rate_limit_backoff_hook_per_endpoint(pokeapi: PokemonServer, clock: FakeClock) -> None:
    class GracefulAPI(ApiClient):
        def __init__(self) -> None:
            self.hook = RateLimitBackoffHook(30, lock_per_endpoint=True, log_event=LogEvent(
                LogLevel.INFO, "{UENDPOINT} got rate limited, waiting for {WAIT_TIME}s"))
            super().__init__(base_url=pokeapi.base_url, clock=clock, settings=Settings(retry=None))

        def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: RetryState) -> None:
            self.hook.after(context, response_or_exc, retry_state)

    pokeapi.script("/api/v2/pokemon/pikachu", Reply(429), Reply(200))
    api = GracefulAPI()
    with pytest.raises(HTTPStatusError):
        api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "pikachu"})
    api.get(PokeApiEndpoint.GET_BERRY, {"NAME": "cheri"})  # another lane: not held
    assert clock.sleeps == []
    api.get(PokeApiEndpoint.GET_POKEMON, {"NAME": "raichu"})  # same endpoint (template): held 30 s
    assert clock.sleeps == [30.0]


# ---------------------------------------------------------------------- replay


def test_record_then_replay_offline(tmp_path: t.Any) -> None:
    with PokemonServer() as live:
        base_url = live.base_url
        record_mode = Replay("record", JSONDirReplayStorage(tmp_path / "cassettes"))
        recorder = NamespacedPokeAPI(record_mode, base_url=base_url)
        assert recorder.pokemon.get_one("pikachu")["order"] == 25
        assert recorder.berry.get_one("durian") is None
    replay_mode = Replay("replay", JSONDirReplayStorage(tmp_path / "cassettes"))
    pokeapi = NamespacedPokeAPI(replay_mode, base_url=base_url)  # the server is gone: nothing is sent
    assert pokeapi.pokemon.get_one("pikachu")["order"] == 25  # parsers work as usual
    assert pokeapi.berry.get_one("durian") is None  # and so do status policies
    assert pokeapi.snapshot().total.replays == 2
