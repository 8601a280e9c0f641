"""The ETL workload of test_replay.py, recorded in one process and replayed in another.

usage: python _replay_worker.py <sqlite|jsondir|redis> <location> <base_url> <mode>
Prints one JSON document: the results of the workload and the stats total.
"""

from __future__ import annotations

import json
import sys
import typing as t

from luco_client import (
    ApiKeyAuth,
    GracefulRetry,
    GracefulSession,
    JSONDirReplayStorage,
    RedisReplayStorage,
    Replay,
    ReplayStorage,
    SQLiteReplayStorage,
)

#: Every secret the workload sends or receives; none may appear in a recording.
SECRETS = {
    "bearer": "bearer-SECRET-aaa111",
    "api_key": "apikey-SECRET-bbb222",
    "query_token": "qtoken-SECRET-ccc333",
    "client_secret": "client/SECRET+ddd444",
    "password": "pw-SECRET-eee555",
    "issued_token": "issued-SECRET-fff666",
    "cookie": "cookie-SECRET-ggg777",
    "partner": "partner-SECRET-hhh888",
    "mixed_case": "mixed-SECRET-iii999",
}


def storage(kind: str, location: str) -> ReplayStorage:
    if kind == "sqlite":
        return SQLiteReplayStorage(location)
    if kind == "jsondir":
        return JSONDirReplayStorage(location)
    return RedisReplayStorage(location, namespace="luco-test-replay")


def session(kind: str, location: str, mode: str) -> GracefulSession:
    return GracefulSession(replay=Replay(mode, storage(kind, location)),
                           retry=GracefulRetry(max_attempts=3, delay=0.01, jitter=0), credential_headers=["X-Partner"])


def workload(s: GracefulSession, base: str) -> t.List[t.Any]:
    """Token exchange, authenticated paginated reads (one retried 503), a 404, a JSON write."""
    out: t.List[t.Any] = []
    token = s.post(f"{base}/oauth2/token", data={"grant_type": "client_credentials", "client_id": "etl",
                                                 "client_secret": SECRETS["client_secret"]})
    out.append([token.status_code, token.json()])
    issued = token.json()["access_token"]
    headers = {"Authorization": f"Bearer {issued}", "x-API-key": SECRETS["api_key"], "X-Partner": SECRETS["partner"],
               "aUtHoRiZaTiOn-Extra": SECRETS["mixed_case"]}
    for page in (1, 2):
        r = s.get(f"{base}/items", params={"page": page, "access_token": SECRETS["query_token"]}, headers=headers)
        out.append([r.status_code, r.json()])
    missing = s.get(f"{base}/items/404", headers=headers)
    out.append([missing.status_code, missing.text])
    keyed = s.get(f"{base}/keyed", auth=ApiKeyAuth(SECRETS["api_key"], query_param="apikey"))
    out.append([keyed.status_code, keyed.json()])
    write = s.post(f"{base}/metrics", json={"key": "Source", "value": 3, "password": SECRETS["password"],
                                            "nested": {"client_secret": SECRETS["client_secret"]}},
                   headers={"Authorization": f"Bearer {SECRETS['bearer']}"})
    out.append([write.status_code, write.json()])
    return out


def main() -> int:
    kind, location, base, mode = sys.argv[1:5]
    with session(kind, location, mode) as s:
        results = workload(s, base)
        total = s.stats.snapshot().total
    print(json.dumps({"results": results, "requests": total.requests, "replays": total.replays,
                      "retries": total.retries, "throttle_waits": total.throttle_waits}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
