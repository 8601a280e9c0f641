"""Client hooks: before/after on every attempt with the same types; hook requests bypass the
throttle, retries and slots; backoff hooks really pause the client (all, or one lane)."""

from __future__ import annotations

import email.utils
import threading
import typing as t

import pytest

from luco_client import (
    ConfigurationError,
    GracefulRetry,
    HTTPStatusError,
    LogEvent,
    LogLevel,
    ReadError,
    RetryState,
    Throttle,
    ThrottleRule,
)
from luco_client.client import (
    ApiClient,
    RateLimitBackoffHook,
    RequestContext,
    RetryAfterBackoffHook,
    Settings,
    graceful,
    parse_retry_after,
)
from luco_client.testing import Drop, FakeClock, PokemonServer, Reply


class Recording(ApiClient):
    def __init__(self, **kwargs: t.Any) -> None:
        self.calls: t.List[t.Tuple[str, RequestContext, t.Any, t.Any]] = []
        super().__init__(**kwargs)

    def before(self, context: RequestContext) -> None:
        self.calls.append(("before", context, None, None))

    def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: RetryState) -> None:
        self.calls.append(("after", context, response_or_exc, retry_state))

    @graceful(parser=lambda r: r.json()["name"])
    def name_of(self, name: str) -> t.Any:
        return self.get("/pokemon/{NAME}", {"NAME": name})


def test_hooks_run_on_every_attempt_with_the_same_types(pokeapi: PokemonServer, clock: FakeClock) -> None:
    retry = GracefulRetry(max_attempts=3, delay=0.5, jitter=0, clock=clock)
    api = Recording(base_url=pokeapi.base_url, clock=clock, settings=Settings(retry=retry))
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(503), Drop(), pokeapi.route)
    assert api.name_of("pikachu") == "pikachu"
    assert [c[0] for c in api.calls] == ["before", "after"] * 3
    contexts = [c[1] for c in api.calls]
    assert [c.attempt for c in contexts] == [1, 1, 2, 2, 3, 3] and {c.max_attempts for c in contexts} == {3}
    assert {c.caller for c in contexts} == {"Recording.name_of"}
    assert {c.url_template for c in contexts} == {pokeapi.base_url + "pokemon/{NAME}"}
    assert contexts[0].endpoint_args == {"NAME": "pikachu"} and contexts[0].settings.source("parser") == "method"
    results = [c[2] for c in api.calls if c[0] == "after"]
    assert results[0].status_code == 503 and isinstance(results[1], ReadError) and results[2].status_code == 200
    states = [c[3] for c in api.calls if c[0] == "after"]
    assert [(s.attempt, s.will_retry, s.delay) for s in states] == [(1, True, 0.5), (2, True, 1.0), (3, False, 0.0)]


def test_requests_inside_hooks_bypass_throttle_retries_and_slots(pokeapi: PokemonServer, clock: FakeClock) -> None:
    class SideCalls(ApiClient):
        def __init__(self, **kwargs: t.Any) -> None:
            self.side: t.List[int] = []
            super().__init__(**kwargs)

        def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: RetryState) -> None:
            if context.endpoint_args.get("NAME") == "pikachu":
                response = self.get("/berry/{NAME}", {"NAME": "cheri"}, settings=Settings(allowed_status_code=503))
                self.side.append(response.status_code)

    throttle = Throttle(ThrottleRule(r".*", 1, 60), clock=clock)
    api = SideCalls(base_url=pokeapi.base_url, clock=clock, settings=Settings(
        throttling=throttle, concurrent_requests=1, retry=GracefulRetry(delay=1, jitter=0, clock=clock)))
    pokeapi.script("/api/v2/berry/cheri", Reply(503), pokeapi.route)
    done = threading.Event()

    def run() -> None:
        api.get("/pokemon/{NAME}", {"NAME": "pikachu"})
        done.set()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(10)
    assert done.is_set()  # no deadlock on the single slot
    assert api.side == [503]  # one attempt: no retry of the 503 inside the hook
    assert clock.sleeps == []  # and no throttle wait, although the minute's token was spent
    assert pokeapi.count("/api/v2/berry/cheri") == 1
    api.get("/berry/{NAME}", {"NAME": "oran"})  # outside the hook: the throttle applies again
    assert len(clock.sleeps) == 1 and clock.sleeps[0] > 59


def test_retry_after_hook_with_an_http_date_and_a_cap(pokeapi: PokemonServer, clock: FakeClock) -> None:
    when = email.utils.formatdate(clock.time() + 40, usegmt=True)
    assert parse_retry_after(when, clock.time()) == 40.0
    assert parse_retry_after("-5", 0) == 0.0 and parse_retry_after("soon", 0) is None
    hook = RetryAfterBackoffHook(max_wait=25, clock=clock, lock_per_endpoint=True)

    class Api(ApiClient):
        def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: RetryState) -> None:
            hook.after(context, response_or_exc, retry_state)

    pokeapi.script("/api/v2/pokemon/pikachu", Reply(429, {"detail": "later"}, {"Retry-After": when}))
    api = Api(base_url=pokeapi.base_url, clock=clock, settings=Settings(retry=None))
    with pytest.raises(HTTPStatusError):
        api.get("/pokemon/{NAME}", {"NAME": "pikachu"})
    api.get("/berry/{NAME}", {"NAME": "cheri"})
    assert clock.sleeps == []  # another lane
    api.get("/pokemon/{NAME}", {"NAME": "raichu"})
    assert clock.sleeps == [25.0]  # capped at max_wait


def test_a_retry_after_pause_holds_other_threads(pokeapi: PokemonServer) -> None:
    """Real time: a 0.3 s pause set by one call holds a call made by another thread."""

    class Api(ApiClient):
        hook = RateLimitBackoffHook(0.3)

        def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: RetryState) -> None:
            self.hook.after(context, response_or_exc, retry_state)

    api = Api(base_url=pokeapi.base_url, settings=Settings(retry=None, allowed_status_code=429))
    pokeapi.script("/api/v2/pokemon/pikachu", Reply(429))
    api.get("/pokemon/{NAME}", {"NAME": "pikachu"})
    other = threading.Thread(target=api.get, args=("/berry/{NAME}", {"NAME": "cheri"}))
    other.start()
    other.join(5)
    first, second = (r.at for r in pokeapi.received())
    assert second - first >= 0.25


def test_explicit_pause_and_bad_hook_arguments(pokeapi: PokemonServer, clock: FakeClock) -> None:
    api = ApiClient(base_url=pokeapi.base_url, clock=clock)
    api.pause(12, pattern=r"/berry/")
    api.get("/pokemon/{NAME}", {"NAME": "pikachu"})
    assert clock.sleeps == []
    api.get("/berry/{NAME}", {"NAME": "cheri"})
    assert clock.sleeps == [12.0]
    with pytest.raises(ConfigurationError):
        api.pause(-1)
    with pytest.raises(ConfigurationError):
        RateLimitBackoffHook(0)
    with pytest.raises(ConfigurationError):
        RetryAfterBackoffHook(seconds_processor=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        RetryAfterBackoffHook(statuses=[])


def test_hook_log_events_are_redacted(pokeapi: PokemonServer, clock: FakeClock,
                                      caplog: pytest.LogCaptureFixture) -> None:
    secret = "tok_live_77aa88bb99cc"
    hook = RateLimitBackoffHook(5, log_event=LogEvent(LogLevel.WARNING, "{URL} got {STATUS}, pausing {WAIT_TIME}s"))

    class Api(ApiClient):
        def after(self, context: RequestContext, response_or_exc: t.Any, retry_state: RetryState) -> None:
            hook.after(context, response_or_exc, retry_state)

    pokeapi.script("/api/v2/pokemon/pikachu", Reply(429))
    api = Api(base_url=pokeapi.base_url, clock=clock, settings=Settings(retry=None, allowed_status_code=429))
    caplog.set_level("WARNING", logger="luco_client.client.hooks")
    api.get("/pokemon/{NAME}", {"NAME": "pikachu"}, params={"access_token": secret})
    url = pokeapi.base_url + "pokemon/pikachu?access_token=REDACTED"
    assert f"{url} got 429, pausing 5.0s" in caplog.text
    assert secret not in caplog.text and all(secret not in str(r.__dict__) for r in caplog.records)
