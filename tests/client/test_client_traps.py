"""Regression tests for the gracy v1 traps that belong to the client layer.

Covered here: negative throttle waits; a retry validating a stale response after a
transport error; logging configured at import; printers mutating the report; req/s
truncated to whole seconds; namespace config merged twice / BASE_URL clobbered.
Elsewhere: the hard-coded page size (test_client_pagination), namespaces in depth
(test_client_namespaces), hooks (test_client_hooks).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import typing as t

import requests

from luco_client import GracefulRetry, ReadError, Throttle, ThrottleRule, TransportError
from luco_client.client import ApiClient, Namespace, Settings
from luco_client.testing import Drop, FakeClock, PokemonServer, Reply


def test_throttle_waits_are_never_negative(pokeapi: PokemonServer) -> None:
    """gracy v1 computed ``window_end - now`` after the window had passed: negative sleeps."""
    clock = FakeClock()
    oversleep = {"extra": 0.0}
    clock.on_sleep = lambda seconds: clock.advance(oversleep["extra"])  # the OS wakes us late
    throttle = Throttle([ThrottleRule(r"/pokemon/", 2, 1.0), ThrottleRule(r".*", 3, 2.0)], clock=clock)
    api = ApiClient(base_url=pokeapi.base_url, settings=Settings(throttling=throttle, retry=None), clock=clock)
    for n, name in enumerate(("bulbasaur", "ivysaur", "venusaur", "charmander", "charmeleon", "charizard") * 2):
        oversleep["extra"] = (0.0, 0.7, 3.5)[n % 3]
        clock.advance((0.0, 0.999, 0.001, 2.5)[n % 4])
        api.get("/pokemon/{NAME}", {"NAME": name})
    assert clock.sleeps and min(clock.sleeps) > 0
    total = api.stats.snapshot().total
    assert total.requests == 12 and total.throttle_wait_seconds >= 0 and total.throttle_waits > 0
    entry = api.stats.snapshot().get("GET", pokeapi.base_url + "pokemon/{NAME}")
    assert entry is not None and entry.throttle_wait_seconds >= 0
    for _ in range(5):  # straight at the throttle too: what it reports waiting is never negative
        assert throttle.acquire(pokeapi.base_url + "pokemon/x") >= 0


def test_each_attempt_validates_its_own_response(pokeapi: PokemonServer, clock: FakeClock) -> None:
    """gracy v1 re-validated the previous (stale) response after a transport error."""

    class Stale(Exception):
        pass

    seen: t.List[t.Any] = []

    def validator(response: t.Any) -> None:
        body = response.json()
        seen.append(body)
        if "error" in body:
            raise Stale("stale data")

    retry = GracefulRetry(max_attempts=3, delay=1, jitter=0, retry_on={Stale, TransportError}, clock=clock)
    api = ApiClient(base_url=pokeapi.base_url, clock=clock,
                    settings=Settings(retry=retry, validators=validator, parser=lambda r: r.json()))
    causes: t.List[t.Any] = []

    class Watch(ApiClient):
        def after(self, context: t.Any, response_or_exc: t.Any, retry_state: t.Any) -> None:
            causes.append(response_or_exc)

    pokeapi.script("/api/v2/pokemon/pikachu", Reply(200, {"error": "stale"}), Drop(), Reply(200, {"name": "fresh"}))
    assert api.get("/pokemon/{NAME}", {"NAME": "pikachu"}) == {"name": "fresh"}
    assert seen == [{"error": "stale"}, {"name": "fresh"}]  # attempt 2 had no response: nothing re-validated
    assert pokeapi.count("/api/v2/pokemon/pikachu") == 3 and clock.sleeps == [1.0, 2.0]
    watched = Watch(base_url=pokeapi.base_url, clock=clock,
                    settings=Settings(retry=retry, validators=validator, parser=lambda r: r.json()))
    pokeapi.script("/api/v2/pokemon/raichu", Reply(200, {"error": "stale"}), Drop(), Reply(200, {"name": "fresh"}))
    assert watched.get("/pokemon/{NAME}", {"NAME": "raichu"}) == {"name": "fresh"}
    assert [type(c).__name__ for c in causes[:2]] == ["Stale", "ReadError"]
    assert isinstance(causes[1], ReadError) and isinstance(causes[2], requests.Response)


def test_namespace_config_is_merged_once_and_base_url_survives(pokeapi: PokemonServer) -> None:
    class Ns(Namespace):
        class Config:
            SETTINGS = Settings(deadline=9)

        def one(self) -> t.Any:
            return self.get("/pokemon/pikachu")

    class Client(ApiClient):
        class Config:
            BASE_URL = pokeapi.base_url
            SETTINGS = Settings(deadline=99, timeout=4)

        ns: Ns

    for _ in range(3):
        client = Client()
        resolved = client.ns.explain()
        assert (resolved.deadline, resolved.source("deadline")) == (9.0, "namespace")
        assert (resolved.timeout.read, resolved.source("timeout")) == (4.0, "client")
        assert resolved.base_url == pokeapi.base_url
        assert [layer.level for layer in client.ns._luco_layers].count("namespace") == 1
        assert client.ns.one().status_code == 200
    assert pokeapi.base_url == Client.Config.BASE_URL and Settings(deadline=9) == Ns.Config.SETTINGS


def test_importing_the_client_layer_configures_no_logging() -> None:
    code = textwrap.dedent("""
        import json, logging
        root = logging.getLogger()
        before = (root.level, len(root.handlers))
        import luco_client.client
        from luco_client.client import ApiClient
        ApiClient(base_url="http://127.0.0.1:9/")
        package = logging.getLogger("luco_client")
        print(json.dumps({"before": before, "after": (root.level, len(root.handlers)),
                          "package": [type(h).__name__ for h in package.handlers],
                          "propagate": package.propagate, "package_level": package.level}))
    """)
    env = {"PATH": "/usr/bin:/bin"}  # no LUCO_CLIENT_LOG
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    data = json.loads(out.stdout)
    assert data["before"] == data["after"] == [30, 0]  # root: WARNING, no handlers, untouched
    assert data["package"] == ["NullHandler"] and data["propagate"] is True and data["package_level"] == 0
    assert out.stderr == ""


def test_reports_never_change_the_statistics(pokeapi: PokemonServer, capsys: t.Any) -> None:
    api = ApiClient(base_url=pokeapi.base_url, settings=Settings(retry=None, allowed_status_code=404))
    for name in ("pikachu", "nobody", "raichu"):
        api.get("/pokemon/{NAME}", {"NAME": name})
    before = api.snapshot()
    first = api.report_status("json")
    first["total"]["requests"] = 999  # a caller scribbling on a report...
    first["endpoints"].clear()
    api.report_status("list")
    api.report_status("logger")
    assert api.snapshot() == before  # ...changes nothing underneath
    again = api.report_status("json")
    assert again["total"]["requests"] == 3 and len(again["endpoints"]) == 1
    assert "TOTAL" in capsys.readouterr().out


def test_req_per_sec_uses_real_elapsed_time(pokeapi: PokemonServer) -> None:
    """gracy v1 divided by whole seconds: 3 requests in 0.05 s gave 3 req/s (or a division by zero)."""
    api = ApiClient(base_url=pokeapi.base_url, settings=Settings(retry=None))
    for name in ("pikachu", "raichu", "ekans"):
        api.get("/pokemon/{NAME}", {"NAME": name})
    total = api.snapshot().total
    assert 0 < total.span_seconds < 1
    assert total.req_per_sec == total.requests / total.span_seconds
    assert total.req_per_sec > 3 and total.req_per_sec != int(total.req_per_sec)
    assert api.report_status("json")["total"]["req_per_sec"] == total.req_per_sec
