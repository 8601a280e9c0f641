"""Checked by mypy in test_client_typing.py (not run by pytest): typed verbs, paginators and
the settings keywords (Settings, @graceful, @graceful_generator and CallOptions share one
declaration)."""

from __future__ import annotations

import typing as t

from luco_client import CallOptions, GracefulRetry
from luco_client.client import ApiClient, Endpoint, Namespace, OffsetPaginator, Settings, graceful, graceful_generator


class Pokemon(t.TypedDict):
    id: int
    name: str


class ResourceList(t.TypedDict):
    count: int
    next: t.Optional[str]
    results: t.List[t.Dict[str, str]]


class Berries(Namespace):
    def list(self, offset: int = 0, limit: int = 20) -> ResourceList:
        return self.get[ResourceList]("/berry", params={"offset": offset, "limit": limit})

    def paginate(self, limit: int) -> OffsetPaginator[ResourceList]:
        return OffsetPaginator(self.list, page_size=limit, has_next=lambda page: page["next"] is not None)


class PokeApi(ApiClient):
    class Config:
        BASE_URL = "https://pokeapi.co/api/v2/"
        SETTINGS = Settings(parser={"default": lambda r: r.json(), 404: None}, allowed_status_code=404)

    GET_POKEMON = Endpoint("/pokemon/{NAME}")
    berry: Berries

    def get_pokemon(self, name: str) -> Pokemon:
        return self.get[Pokemon](self.GET_POKEMON, {"NAME": name})

    def maybe_pokemon(self, name: str) -> t.Optional[Pokemon]:
        return self.get[Pokemon, None](self.GET_POKEMON, {"NAME": name})

    @graceful(parser={"default": lambda r: r.json()["order"]}, retry=None, concurrent_requests=2)
    def order(self, name: str) -> int:
        return self.get[int](self.GET_POKEMON, {"NAME": name})

    @graceful_generator(log_errors=None, deadline=5.0)
    def orders(self, *names: str) -> t.Iterator[int]:
        for name in names:
            yield self.order(name)


SETTINGS = Settings(retry=GracefulRetry(max_attempts=2), timeout=(3.0, 10.0), strict_status_code={200, 201})
OPTIONS = CallOptions(deadline=2.5, idempotent=True, url_template="https://h/{id}")


def use(api: PokeApi) -> None:
    pokemon: Pokemon = api.get_pokemon("pikachu")
    maybe: t.Optional[Pokemon] = api.maybe_pokemon("missingno")
    order: int = api.order("pikachu")
    for page in api.berry.paginate(5):
        count: int = page["count"]
        print(pokemon, maybe, order, count)
