"""gracy code ported verbatim: gracy's argument names, "pass", retry_on=Exception,
{ENDPOINT}/{UENDPOINT} as gracy renders them, and dynamic messages on error responses."""

from __future__ import annotations

import logging
import typing as t
from datetime import timedelta
from http import HTTPStatus

import pytest

from luco_client import (
    CallOptions,
    ConcurrencyLimit,
    ConfigurationError,
    GracefulRetry,
    GracefulSession,
    LogEvent,
    LogLevel,
    NotFoundError,
    OverrideRetryOn,
    Replay,
    SQLiteReplayStorage,
    Throttle,
    ThrottleRule,
    UnprocessableEntityError,
)
from luco_client.client import (
    ApiClient,
    BaseEndpoint,
    OffsetPaginator,
    RateLimitBackoffHook,
    RetryAfterBackoffHook,
    Settings,
    graceful,
)
from luco_client.testing import FakeClock, FlakyServer, PokemonServer, Reply

if t.TYPE_CHECKING:
    from conftest import CaptureLogs


class Endpoint(BaseEndpoint):
    GET_POKEMON = "/pokemon/{NAME}"
    BERRY_LIST = "/berry"


def test_gracy_argument_names_are_accepted() -> None:
    assert LogEvent(LogLevel.WARNING, custom_message="{URL} slow").template == "{URL} slow"
    assert LogEvent(LogLevel.INFO, custom_message="x").custom_message == "x"
    retry = GracefulRetry(delay=1, max_attempts=3, delay_modifier=1.5, retry_on=None, log_before=None,
                          log_after=LogEvent(LogLevel.WARNING), log_exhausted=LogEvent(LogLevel.CRITICAL),
                          behavior="break", overrides={HTTPStatus.BAD_REQUEST: OverrideRetryOn(delay=0)})
    assert (retry.on_exhausted, retry.overrides) == ("raise", {400: 0.0})
    positional = GracefulRetry(2, 4)  # gracy's order: delay, max_attempts
    assert (positional.delay, positional.max_attempts) == (2.0, 4)
    assert GracefulRetry(behavior="pass").on_exhausted == "return"
    rule = ThrottleRule(url_pattern=r".*", max_requests=10, per_time_range=timedelta(minutes=1, seconds=30))
    assert str(rule) == "10 requests per 90 seconds for URLs matching re.compile('.*')"
    assert (rule.url_pattern.pattern, rule.per_time_range, rule.readable_time_range) == (
        ".*", timedelta(seconds=90), "90 seconds")
    assert Throttle(rule, LogEvent(LogLevel.ERROR), LogEvent(LogLevel.WARNING)).log_wait_over == LogEvent(
        LogLevel.WARNING)
    assert ConcurrencyLimit(limit=1, uurl_pattern=r"/pokemon/").pattern is not None
    assert LogLevel.NOTSET == logging.NOTSET
    for bad in (lambda: LogEvent(LogLevel.INFO, "a", custom_message="b"),
                lambda: GracefulRetry(on_exhausted="return", behavior="break"),
                lambda: Settings(throttle=None, throttling=None)):
        with pytest.raises(ConfigurationError):
            bad()


def test_throttling_and_concurrent_requests_are_accepted_everywhere(server: FlakyServer) -> None:
    throttle = Throttle(ThrottleRule(r".*", 100))
    session = GracefulSession(throttling=throttle, concurrent_requests=ConcurrencyLimit(2))
    assert session.adapter.throttle is throttle and len(session.adapter.gate.limits) == 1
    options = CallOptions(throttling=None, concurrent_requests=3)
    assert options.throttling is None and options.concurrent_requests[0].limit == 3
    assert CallOptions(throttle=None, concurrency=()).concurrent_requests == ()
    assert Settings(throttle=ThrottleRule(".*", 2)).throttling is not None
    assert session.get(server.url + "/x", options=options).status_code == 200


def test_behavior_pass_hands_the_last_response_to_the_parser(pokeapi: PokemonServer, clock: FakeClock) -> None:
    class Api(ApiClient):
        class Config:
            SETTINGS = Settings(retry=GracefulRetry(delay=0, max_attempts=2, retry_on={500}, behavior="pass",
                                                    clock=clock),
                                parser={"default": lambda r: ("parsed", r.status_code)})

        def get_pokemon(self, name: str) -> t.Any:
            return self.get(Endpoint.GET_POKEMON, {"NAME": name})

    api = Api(base_url=pokeapi.base_url, clock=clock)
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(500))
    assert api.get_pokemon("pikachu") == ("parsed", 500)  # no ServerStatusError: "pass"
    assert pokeapi.count("/api/v2/pokemon/pikachu") == 2
    pokeapi.script("/api/v2/pokemon/raichu", Reply(403))  # not retryable: passed on at once
    assert api.get_pokemon("raichu") == ("parsed", 403)
    assert pokeapi.count("/api/v2/pokemon/raichu") == 1


def test_retry_on_exception_retries_a_failed_status(pokeapi: PokemonServer, clock: FakeClock) -> None:
    api = ApiClient(base_url=pokeapi.base_url, clock=clock,
                    settings=Settings(retry=GracefulRetry(delay=1, max_attempts=3, retry_on=Exception, clock=clock)))
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(500), Reply(502), Reply(200, {"name": "pikachu"}))
    assert api.get(Endpoint.GET_POKEMON, {"NAME": "pikachu"}).json() == {"name": "pikachu"}
    assert pokeapi.count("/api/v2/pokemon/pikachu") == 3
    narrow = GracefulRetry(retry_on=ValueError, clock=clock)
    assert not narrow.covers(500, None) and GracefulRetry(retry_on=Exception).covers(404, None)


def test_endpoint_placeholders_render_as_gracy_renders_them(pokeapi: PokemonServer,
                                                           capture_logs: CaptureLogs) -> None:
    class Api(ApiClient):
        class Config:
            SETTINGS = Settings(log_response=LogEvent(LogLevel.INFO, "E={ENDPOINT} UE={UENDPOINT} U={UURL}"))

    with capture_logs("luco_client", logging.INFO) as records:
        Api(base_url=pokeapi.base_url).get(Endpoint.GET_POKEMON, {"NAME": "pikachu"})
    (record,) = [r for r in records if r.getMessage().startswith("E=")]
    assert record.getMessage() == f"E=/pokemon/pikachu UE=/pokemon/{{NAME}} U={pokeapi.base_url}pokemon/{{NAME}}"


def test_a_dynamic_message_ported_from_gracy_logs_on_an_error_status(pokeapi: PokemonServer,
                                                                     capture_logs: CaptureLogs) -> None:
    event = LogEvent(
        LogLevel.ERROR,
        lambda r: "Request failed with {STATUS}" f" and it was {'redirected' if r.is_redirect else 'NOT redirected'}"
        if r
        else "",
    )
    api = ApiClient(base_url=pokeapi.base_url, settings=Settings(log_errors=event, retry=None))
    with capture_logs("luco_client", logging.INFO) as records:
        with pytest.raises(NotFoundError):
            api.get(Endpoint.GET_POKEMON, {"NAME": "missingno"})  # 404: a falsy requests.Response
        api.session.get(pokeapi.base_url + "pokemon/missingno", options=CallOptions(log_errors=event, retry=None))
    messages = [r.getMessage() for r in records if r.levelno == logging.ERROR]
    assert messages == ["Request failed with 404 and it was NOT redirected"] * 2


def test_offset_paginator_takes_gracy_func(pokeapi: PokemonServer) -> None:
    class Api(ApiClient):
        class Config:
            SETTINGS = Settings(parser={"default": lambda r: r.json()})

        def list(self, offset: int = 0, limit: int = 20) -> t.Any:
            return self.get(Endpoint.BERRY_LIST, params={"offset": offset, "limit": limit})

        def paginate(self, limit: int = 20) -> OffsetPaginator[t.Any]:
            return OffsetPaginator[t.Any](gracy_func=self.list, has_next=lambda r: bool(r["next"]) if r else True,
                                          page_size=limit)

    paginator = Api(base_url=pokeapi.base_url).paginate(4)
    first = paginator.next_page()
    paginator.set_page(0)
    assert first is not None and next(iter(paginator))["results"] == first["results"]
    assert sum(len(p["results"]) for p in Api(base_url=pokeapi.base_url).paginate(4)) == 10


def test_hooks_take_gracys_reporter_argument_and_delay(pokeapi: PokemonServer) -> None:
    reporter = object()
    retry_after = RetryAfterBackoffHook(reporter, lock_per_endpoint=True,
                                        log_event=LogEvent(LogLevel.WARNING, custom_message="{ENDPOINT} {STATUS}"),
                                        seconds_processor=lambda secs_requested: secs_requested + 10)
    rate_limit = RateLimitBackoffHook(30, reporter, lock_per_endpoint=True)
    assert retry_after.lock_per_endpoint and rate_limit.seconds == 30.0
    assert RateLimitBackoffHook(delay=5).seconds == 5.0
    dry = RateLimitBackoffHook(5, dry_run=True)

    class Api(ApiClient):
        def after(self, context: t.Any, response_or_exc: t.Any, retry_state: t.Any) -> None:
            dry.after(context, response_or_exc)

    api = Api(base_url=pokeapi.base_url, settings=Settings(retry=None, allowed_status_code=429))
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(429))
    api.get(Endpoint.GET_POKEMON, {"NAME": "pikachu"})
    assert api.session.adapter.pauses.wait_for(pokeapi.base_url, "x") == 0.0  # dry run: no pause


def test_retry_state_has_gracys_names(pokeapi: PokemonServer, clock: FakeClock) -> None:
    states: t.List[t.Any] = []

    class Api(ApiClient):
        def after(self, context: t.Any, response_or_exc: t.Any, retry_state: t.Any) -> None:
            states.append((retry_state.cur_attempt, retry_state.can_retry, retry_state.cant_retry,
                           retry_state.success, retry_state.failed))

    api = Api(base_url=pokeapi.base_url, clock=clock,
              settings=Settings(retry=GracefulRetry(delay=0, max_attempts=2, clock=clock)))
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(503), Reply(200, {}))
    api.get(Endpoint.GET_POKEMON, {"NAME": "pikachu"})
    assert states == [(0, True, False, False, True), (1, False, True, True, False)]


def test_smart_replay_and_gracy_storage_names(server: FlakyServer, tmp_path: t.Any) -> None:
    storage = SQLiteReplayStorage(db_name="gracy-records.sqlite3", dir=str(tmp_path / ".gracy"))
    assert (tmp_path / ".gracy").is_dir()
    assert Replay("smart-replay", storage).mode == "record-missing"


def test_report_status_takes_printer_and_verbs_take_httpx_names(pokeapi: PokemonServer) -> None:
    api = ApiClient(base_url=pokeapi.base_url, DEBUG_ENABLED=True)
    created = api.post("/pokemon", content=b'{"name": "newmon"}', headers={"Content-Type": "application/json"})
    assert created.status_code == 201
    assert api.get("/pokemon/{NAME}", {"NAME": "pikachu"}, follow_redirects=True).status_code == 200
    assert "TOTAL" in api.report_status(printer="list")


def test_a_gracy_create_client_override_is_refused_not_ignored(pokeapi: PokemonServer) -> None:
    class Api(ApiClient):
        def _create_client(self) -> t.Any:
            return None

    with pytest.raises(ConfigurationError, match="build_session"):
        Api(base_url=pokeapi.base_url)


@graceful(concurrent_requests=5, throttling=ThrottleRule(".*", 50))
def _decorated_at_import(self: t.Any) -> None:
    """@graceful takes gracy's names at import time too."""


def test_pass_never_turns_a_refused_write_into_a_result(pokeapi: PokemonServer, clock: FakeClock) -> None:
    api = ApiClient(base_url=pokeapi.base_url, clock=clock, settings=Settings(
        retry=GracefulRetry(delay=0, max_attempts=2, retry_on={500}, behavior="pass", clock=clock),
        parser={"default": lambda r: True}))  # a write parser that takes any answer for success
    pokeapi.script("/api/v2/pokemon", Reply(422, {"detail": "name is required"}), method="POST")
    with pytest.raises(UnprocessableEntityError):
        api.post("/pokemon", json={})
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(422))  # a read is passed on, as in gracy
    assert api.get("/pokemon/{NAME}", {"NAME": "pikachu"}) is True
