"""A stateful fake "pokemon" API (PokeAPI-shaped) on 127.0.0.1, for the client layer.

It is a :class:`~luco_client.testing.FlakyServer`: ``script()`` still injects faults per
path (a script wins over the routes), ``received()`` and ``count()`` show what arrived,
and seeded :class:`~luco_client.testing.Faults` apply to unscripted requests.

Routes, under ``/api/v2`` (``server.base_url``)::

    GET    /pokemon?offset=&limit=      list: {"count", "next", "previous", "results": [{"name", "url"}]}
    GET    /pokemon/{name or id}        one pokemon: {"id", "name", "order", "types"}; 404 if unknown
    POST   /pokemon                     create from {"name", ...}: 201; 409 if it exists; 422 without a name
    PUT    /pokemon/{name}              create or replace: 200
    PATCH  /pokemon/{name}              update fields: 200; 404 if unknown
    DELETE /pokemon/{name}              204; 404 if unknown
    HEAD, OPTIONS /pokemon/{name}       as GET without a body; 204 with an Allow header
    GET    /berry?offset=&limit=        list, as for pokemon
    GET    /berry/{name}                one berry; 404 if unknown
    GET    /generation/{id}/            one generation with its pokemon species
    GET    /move?page=&page_size=       page-number pagination: {"page", "page_size", "total_pages", "results"}
    GET    /item?cursor=                cursor pagination: {"results", "next_cursor", "next"} (next: full URL)

Path segments are percent-decoded once, so a name containing ``/`` (sent as ``%2F``)
reaches the server whole. With ``api_key`` set, every request needs the header
``X-Api-Key`` (or the query parameter ``api_key``) with that value, else 401.
"""

from __future__ import annotations

import threading
import typing as t
from urllib.parse import unquote

from luco_client.testing._flaky import FlakyServer, Received, Reply

__all__ = ["PokemonServer", "POKEMON", "BERRIES"]

#: The seeded pokemon (name, types), in national-dex order (id = position + 1).
POKEMON: t.Tuple[t.Tuple[str, t.Tuple[str, ...]], ...] = (
    ("bulbasaur", ("grass", "poison")), ("ivysaur", ("grass", "poison")), ("venusaur", ("grass", "poison")),
    ("charmander", ("fire",)), ("charmeleon", ("fire",)), ("charizard", ("fire", "flying")),
    ("squirtle", ("water",)), ("wartortle", ("water",)), ("blastoise", ("water",)),
    ("caterpie", ("bug",)), ("metapod", ("bug",)), ("butterfree", ("bug", "flying")),
    ("weedle", ("bug", "poison")), ("kakuna", ("bug", "poison")), ("beedrill", ("bug", "poison")),
    ("pidgey", ("normal", "flying")), ("pidgeotto", ("normal", "flying")), ("pidgeot", ("normal", "flying")),
    ("rattata", ("normal",)), ("raticate", ("normal",)), ("spearow", ("normal", "flying")),
    ("fearow", ("normal", "flying")), ("ekans", ("poison",)), ("arbok", ("poison",)),
    ("pikachu", ("electric",)), ("raichu", ("electric",)), ("farfetch'd", ("normal", "flying")),
    ("mr. mime", ("psychic", "fairy")), ("nidoran\u2640", ("poison",)),
)
#: The seeded berries.
BERRIES: t.Tuple[str, ...] = ("cheri", "chesto", "pecha", "rawst", "aspear", "leppa", "oran", "persim",
                              "lum", "sitrus")
_MOVES = tuple(f"move-{n}" for n in range(1, 24))
_ITEMS = tuple(f"item-{n}" for n in range(1, 12))
_ITEMS_PER_CURSOR = 4
_GENERATIONS = {1: (0, 29), 2: (29, 29)}


class PokemonServer(FlakyServer):
    """The fake PokeAPI. ``server.base_url`` is ``http://127.0.0.1:<port>/api/v2/``.

    :param api_key: when set, requests must carry it (``X-Api-Key`` header or ``api_key``
        query parameter); others get 401.
    :param kwargs: :class:`~luco_client.testing.FlakyServer` arguments (``faults=``,
        ``tls=``, ``port=``).

    State (``server.pokemon``: name -> record) changes with POST/PUT/PATCH/DELETE and is
    reset by :meth:`reset_data`.
    """

    PREFIX = "/api/v2"

    def __init__(self, *, api_key: t.Optional[str] = None, **kwargs: t.Any) -> None:
        kwargs.pop("default", None)
        super().__init__(default=self.route, **kwargs)
        self.api_key = api_key
        self._data_lock = threading.Lock()
        self.pokemon: t.Dict[str, t.Dict[str, t.Any]] = {}
        self.reset_data()

    @property
    def base_url(self) -> str:
        """The API root, with a trailing slash (as PokeAPI's)."""
        return f"{self.url}{self.PREFIX}/"

    def reset_data(self) -> None:
        """Back to the seeded pokemon."""
        with self._data_lock:
            self.pokemon = {
                name: {"id": i + 1, "name": name, "order": i + 1, "types": list(types)}
                for i, (name, types) in enumerate(POKEMON)
            }

    # ------------------------------------------------------------------ routing

    def route(self, received: Received) -> t.Any:
        """The real API's answer to ``received``. Use it as the last action of a script to
        hand a path back to the API after injected faults:
        ``server.script(path, Reply(503), server.route)``."""
        if self.api_key is not None and self.api_key not in (received.header("X-Api-Key"),
                                                             received.query.get("api_key")):
            return Reply(401, {"detail": "Invalid API key."})
        if not received.path.startswith(self.PREFIX + "/"):
            return Reply(404, {"detail": "Not found."})
        parts = [unquote(p) for p in received.path[len(self.PREFIX) + 1:].split("/")]
        if parts and parts[-1] == "" and len(parts) > 1:
            parts = parts[:-1]  # a trailing slash, as in /generation/1/
        resource, rest = parts[0], parts[1:]
        handler = {"pokemon": self._pokemon, "berry": self._berry, "generation": self._generation,
                   "move": self._moves, "item": self._items}.get(resource)
        if handler is None or len(rest) > 1:
            return Reply(404, {"detail": "Not found."})
        return handler(received, rest[0] if rest else None)

    def _list(self, received: Received, resource: str, names: t.Sequence[str]) -> Reply:
        try:
            offset = int(received.query.get("offset", 0))
            limit = int(received.query.get("limit", 20))
        except ValueError:
            return Reply(400, {"detail": "offset and limit must be integers"})
        if offset < 0 or limit < 1:
            return Reply(400, {"detail": "offset must be >= 0 and limit >= 1"})
        page = names[offset:offset + limit]
        root = f"{self.base_url}{resource}"
        following = f"{root}?offset={offset + limit}&limit={limit}" if offset + limit < len(names) else None
        previous = f"{root}?offset={max(0, offset - limit)}&limit={limit}" if offset > 0 else None
        return Reply(200, {"count": len(names), "next": following, "previous": previous,
                           "results": [{"name": n, "url": f"{root}/{n}/"} for n in page]})

    def _pokemon(self, received: Received, key: t.Optional[str]) -> Reply:
        method = received.method
        with self._data_lock:
            if key is None:
                if method == "GET":
                    return self._list(received, "pokemon", list(self.pokemon))
                if method == "POST":
                    return self._create(received)
                return Reply(405, {"detail": f"Method {method} not allowed."}, {"Allow": "GET, POST"})
            record = self.pokemon.get(key) or next(
                (p for p in self.pokemon.values() if key.isdigit() and p["id"] == int(key)), None)
            if method in ("GET", "HEAD"):
                return Reply(200, record) if record else Reply(404, {"detail": "Not found."})
            if method == "OPTIONS":
                return Reply(204, b"", {"Allow": "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"})
            if method == "PUT":
                body = _json(received)
                if body is None:
                    return Reply(400, {"detail": "a JSON object is required"})
                number = record["id"] if record else max((p["id"] for p in self.pokemon.values()), default=0) + 1
                self.pokemon[key] = {"types": [], **body, "id": number, "name": key, "order": number}
                return Reply(200, self.pokemon[key])
            if record is None:
                return Reply(404, {"detail": "Not found."})
            if method == "PATCH":
                body = _json(received)
                if body is None:
                    return Reply(400, {"detail": "a JSON object is required"})
                record.update({k: v for k, v in body.items() if k not in ("id", "name")})
                return Reply(200, record)
            if method == "DELETE":
                del self.pokemon[record["name"]]
                return Reply(204, b"")
        return Reply(405, {"detail": f"Method {method} not allowed."})

    def _create(self, received: Received) -> Reply:
        body = _json(received)
        if body is None or not isinstance(body.get("name"), str) or not body["name"]:
            return Reply(422, {"detail": "name is required"})
        if body["name"] in self.pokemon:
            return Reply(409, {"detail": f"{body['name']} already exists"})
        number = max((p["id"] for p in self.pokemon.values()), default=0) + 1
        record = {"types": [], **body, "id": number, "order": number}
        self.pokemon[body["name"]] = record
        return Reply(201, record)

    def _berry(self, received: Received, key: t.Optional[str]) -> Reply:
        if received.method != "GET":
            return Reply(405, {"detail": "read only"})
        if key is None:
            return self._list(received, "berry", BERRIES)
        if key not in BERRIES:
            return Reply(404, {"detail": "Not found."})
        return Reply(200, {"id": BERRIES.index(key) + 1, "name": key, "growth_time": 3 + BERRIES.index(key)})

    def _generation(self, received: Received, key: t.Optional[str]) -> Reply:
        try:
            start, count = _GENERATIONS[int(key or "")]
        except (KeyError, ValueError):
            return Reply(404, {"detail": "Not found."})
        species = [{"name": name} for name, _ in POKEMON[start:start + count]]
        return Reply(200, {"id": int(t.cast(str, key)), "name": f"generation-{key}", "pokemon_species": species})

    def _moves(self, received: Received, key: t.Optional[str]) -> Reply:
        if key is not None:
            return Reply(200, {"name": key}) if key in _MOVES else Reply(404, {"detail": "Not found."})
        try:
            page = int(received.query.get("page", 1))
            size = int(received.query.get("page_size", 10))
        except ValueError:
            return Reply(400, {"detail": "page and page_size must be integers"})
        if page < 1 or size < 1:
            return Reply(400, {"detail": "page and page_size must be >= 1"})
        total = (len(_MOVES) + size - 1) // size
        chunk = _MOVES[(page - 1) * size:page * size]
        return Reply(200, {"page": page, "page_size": size, "total_pages": total,
                           "results": [{"name": m} for m in chunk]})

    def _items(self, received: Received, key: t.Optional[str]) -> Reply:
        cursor = received.query.get("cursor") or "c0"
        try:
            start = int(cursor[1:]) if cursor.startswith("c") else -1
        except ValueError:
            start = -1
        if key is not None or start < 0 or start > len(_ITEMS):
            return Reply(400, {"detail": "invalid cursor"})
        chunk = _ITEMS[start:start + _ITEMS_PER_CURSOR]
        end = start + _ITEMS_PER_CURSOR
        following = f"c{end}" if end < len(_ITEMS) else None
        return Reply(200, {"results": [{"name": i} for i in chunk], "next_cursor": following,
                           "next": f"{self.base_url}item?cursor={following}" if following else None})


def _json(received: Received) -> t.Optional[t.Dict[str, t.Any]]:
    try:
        body = received.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
