"""Checked by mypy in test_client_typing.py (not run by pytest): typed verbs and paginators."""

from __future__ import annotations

import typing as t

from luco_client.client import ApiClient, Endpoint, Namespace, OffsetPaginator, Settings, graceful


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

    @graceful(parser={"default": lambda r: r.json()["order"]})
    def order(self, name: str) -> int:
        return self.get[int](self.GET_POKEMON, {"NAME": name})


def use(api: PokeApi) -> None:
    pokemon: Pokemon = api.get_pokemon("pikachu")
    maybe: t.Optional[Pokemon] = api.maybe_pokemon("missingno")
    order: int = api.order("pikachu")
    for page in api.berry.paginate(5):
        count: int = page["count"]
        print(pokemon, maybe, order, count)
