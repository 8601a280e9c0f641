"""Every Luco write under faults, judged by the server's own counts: never duplicated, never
silently lost. A write whose outcome is unknown is read back and resent only when proven
not applied; what cannot be read back raises LucoPossiblyAppliedWriteError with the
attempt history."""

from __future__ import annotations

import collections
import typing as t

import pytest
from luco_helpers import UPLOADS, MakeApi

from luco_client import (
    ApiException,
    LucoApi,
    Phase,
    PossiblyAppliedWriteError,
    ServerStatusError,
    Timeout,
)
from luco_client.testing import Apply, Delay, Drop, Faults, LucoServer, Received, Reply

#: Read timeout of the clients here: generous for a loaded machine, short next to the 5 s
#: the server holds a "timeout" answer.
READ_TIMEOUT = 1.0


class Write(t.NamedTuple):
    name: str
    path: str  # the POST path on the fake
    kind: str  # its key in server.applied
    run: t.Callable[[LucoApi], t.Any]
    entries: t.Callable[[LucoServer], int]  # how many such entries the server holds


def _sub_entries(field: str) -> t.Callable[[LucoServer], int]:
    return lambda server: len(server.state()["submissions"][5003][field])


WRITES = [
    Write("metrics", "/api/v2/slots/1003/submissions/5003/metrics", "metrics",
          lambda api: api.get_submission(1003, 5003).submit_metrics("Load", metrics={"rows": 5, "bytes": 10}),
          _sub_entries("metrics")),
    Write("status", "/api/slots/1003/submissions/5003/status", "statuses",
          lambda api: api.get_submission(1003, 5003).submit_status("Failed", "Load", message="disk full"),
          _sub_entries("statusHistory")),
    Write("run environment", "/api/slots/1003/submissions/5003/runenvironment", "run_environments",
          lambda api: api.get_submission(1003, 5003).submit_run_environment("Extract", {"platform": "ADF"}),
          _sub_entries("runEnvironments")),
    Write("quality v2", "/api/v2/slots/1003/submissions/5003/quality", "quality",
          lambda api: api.get_submission(1003, 5003).submit_quality(
              results={"checks": [{"check": "ids unique", "success": True}]}, stage="Validate"),
          _sub_entries("quality")),
    Write("quality v1", "/api/slots/1003/submissions/5003/quality", "quality",
          lambda api: api.get_submission(1003, 5003).submit_quality(
              "Validate", tool="GE", results={"validation_result": {}}, action="Continued"),
          _sub_entries("quality")),
    Write("slot", "/api/slots/", "slots", lambda api: api.find_slot_id("upload-7", UPLOADS),
          lambda server: sum(1 for s in server.state()["slots"].values() if s["tag"] == "upload-7")),
]
UNRECONCILABLE = [
    Write("submission", "/api/slots/1003/submissions", "submissions", lambda api: api.create_submission(1003),
          lambda server: sum(1 for s in server.state()["submissions"].values() if s["slotId"] == 1003)),
    Write("import", "/api/v2/slotsequences/import", "imports",
          lambda api: api.submit_slot_sequences({"slotSequenceDefinition": [{"slotParameter": {
              "key": "Source", "value": "New"}}]}),
          lambda server: sum(1 for s in server.state()["sequences"].values() if s["name"] == [("Source", "New")])),
]


def _after_apply(luco: LucoServer, fault: str) -> t.Any:
    then = {"reset": Drop(), "timeout": Delay(5.0, Reply(200, {})), "503": Reply(503, "busy")}[fault]
    return Apply(luco.route, then)


def _not_applied(fault: str) -> t.Any:
    return {"reset": Drop(), "timeout": Delay(5.0, Reply(503, "late")), "503": Reply(503, "busy")}[fault]


@pytest.fixture
def client(make_api: MakeApi) -> LucoApi:
    return make_api(timeout=Timeout(5, READ_TIMEOUT))


@pytest.mark.parametrize("fault", ["reset", "timeout", "503"])
@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_a_write_applied_before_the_fault_is_reconciled_not_resent(
        client: LucoApi, luco: LucoServer, write: Write, fault: str) -> None:
    before = write.entries(luco)
    luco.script(write.path, _after_apply(luco, fault), luco.route, method="POST")
    assert write.run(client)
    assert luco.count(write.path, "POST") == 1  # never resent
    assert luco.applied[write.kind] == 1 and write.entries(luco) == before + (2 if write.name == "metrics" else 1)


@pytest.mark.parametrize("fault", ["reset", "timeout", "503"])
@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_a_write_proven_not_applied_is_sent_again_once(client: LucoApi, luco: LucoServer, write: Write,
                                                        fault: str) -> None:
    before = write.entries(luco)
    luco.script(write.path, _not_applied(fault), luco.route, method="POST")
    assert write.run(client)
    assert luco.count(write.path, "POST") == 2
    assert luco.applied[write.kind] == 1 and write.entries(luco) == before + (2 if write.name == "metrics" else 1)


@pytest.mark.parametrize("fault", ["reset", "timeout", "503"])
@pytest.mark.parametrize("write", UNRECONCILABLE, ids=[w.name for w in UNRECONCILABLE])
def test_a_write_that_cannot_be_read_back_raises_possibly_applied(client: LucoApi, luco: LucoServer, write: Write,
                                                                   fault: str) -> None:
    before = write.entries(luco)
    luco.script(write.path, _after_apply(luco, fault), method="POST")
    with pytest.raises(PossiblyAppliedWriteError) as info:
        write.run(client)
    error = info.value
    assert isinstance(error, ApiException) and error.attempts and "cannot be read back" in str(error)
    assert error.phase is (Phase.RESPONSE if fault == "503" else Phase.SENT_NO_RESPONSE)
    assert luco.count(write.path, "POST") == 1 and write.entries(luco) == before + 1  # applied once, not resent


@pytest.mark.parametrize("write", WRITES[:4], ids=[w.name for w in WRITES[:4]])
def test_without_reconciliation_an_unknown_outcome_raises(make_api: MakeApi, luco: LucoServer, write: Write) -> None:
    api = make_api(reconcile_writes=False)
    luco.script(write.path, _after_apply(luco, "reset"), method="POST")
    with pytest.raises(PossiblyAppliedWriteError):
        write.run(api)
    assert luco.count(write.path, "POST") == 1 and luco.applied[write.kind] == 1
    assert all(r.method == "POST" for r in luco.received() if r.path.endswith(write.path.rsplit("/", 1)[-1]))


def test_another_writer_in_between_makes_it_ambiguous_never_duplicated(client: LucoApi, luco: LucoServer) -> None:
    def applied_twice(received: Received) -> t.Any:
        luco.route(received)  # someone else wrote the same metric meanwhile
        return luco.route(received)

    luco.script(WRITES[0].path, Apply(applied_twice, Drop()), luco.route, method="POST")
    with pytest.raises(PossiblyAppliedWriteError, match="ambiguous: 4 metrics added where this write adds 2"):
        WRITES[0].run(client)
    assert luco.count(WRITES[0].path, "POST") == 1


def test_without_a_baseline_an_unknown_outcome_is_not_resent(client: LucoApi, luco: LucoServer) -> None:
    metrics = "/api/slots/1003/submissions/5003/metrics"
    luco.script(metrics, Reply(500, "read side down"), method="GET")
    luco.script(WRITES[0].path, _after_apply(luco, "reset"), method="POST")
    with pytest.raises(PossiblyAppliedWriteError, match="unknown"):
        WRITES[0].run(client)
    assert luco.count(WRITES[0].path, "POST") == 1 and luco.applied["metrics"] == 1


def test_after_an_unknown_outcome_the_next_write_reads_a_new_baseline(client: LucoApi, luco: LucoServer) -> None:
    """A possibly-applied write (here: applied, but its read-back failed) must not make the
    next write of the same metric look applied when it was not."""
    read = "/api/slots/1003/submissions/5003/metrics"
    sub = client.get_submission(1003, 5003)
    sub.submit_metrics("Load", metrics={"rows": 0})  # the baseline is read here
    luco.script(WRITES[0].path, Apply(luco.route, Drop()), Drop(), luco.route, method="POST")
    luco.script(read, Reply(500, "down"), Reply(500, "down"), Reply(500, "down"), luco.route, method="GET")
    with pytest.raises(PossiblyAppliedWriteError, match="read-back failed"):
        sub.submit_metrics("Load", metrics={"rows": 1})  # applied, but cannot be proven
    assert sub.submit_metrics("Load", metrics={"rows": 2}) is True  # lost once, proven absent, resent
    values = [m["value"] for m in sub.get_metrics(["Load"], ["rows"], include_duplicates=True)]
    assert values == [0, 1, 2] and luco.count(WRITES[0].path, "POST") == 4


def test_writes_in_flight_from_other_threads_make_the_judgement_ambiguous() -> None:
    from luco_client.luco._ledger import Ledger, tally  # the judgement itself (private), without a server

    entries = [{"stage": "Load", "metric": "rows"}]
    ledger = Ledger(lambda: tally(entries, lambda e: (e["stage"], e["metric"])), "metrics")
    ledger.prepare()
    written = collections.Counter([("Load", "rows")])
    entries.append({"stage": "Load", "metric": "rows"})  # one more on the server
    ledger.begin()
    assert ledger.judge(written).applied is True  # alone: exactly this write was added
    ledger.begin()  # another thread's write of the same metric, acknowledged but not yet recorded
    found = ledger.judge(written)
    assert found.applied is None and "in flight" in found.note
    ledger.end()
    ledger.end()


def test_a_refused_write_is_raised_as_it_is(client: LucoApi, luco: LucoServer) -> None:
    luco.script(WRITES[0].path, Reply(400, "bad metric"), method="POST")
    with pytest.raises(ApiException) as info:
        WRITES[0].run(client)
    assert getattr(info.value, "status", None) == 400 and luco.count(WRITES[0].path, "POST") == 1


def test_every_send_proven_not_applied_ends_in_the_last_failure(client: LucoApi, luco: LucoServer) -> None:
    luco.script(WRITES[1].path, Reply(503, "busy"), method="POST")
    with pytest.raises(ServerStatusError) as info:
        WRITES[1].run(client)
    assert isinstance(info.value, ApiException) and not isinstance(info.value, PossiblyAppliedWriteError)
    assert [a.status for a in info.value.attempts] == [503, 503, 503] and "proven not applied" in str(info.value)
    assert luco.count(WRITES[1].path, "POST") == 3 and "statuses" not in luco.applied


def test_a_whole_job_under_seeded_faults_keeps_every_write_exactly_once(make_api: MakeApi, luco: LucoServer) -> None:
    """Random resets, 5xx and faults after apply on every request: each write either
    succeeds and is on the server exactly once, or raises possibly-applied and is there at
    most once."""
    luco.faults = Faults(11, error_rate=0.1, reset_rate=0.1, applied_reset_rate=0.1, applied_error_rate=0.1)
    api = make_api(timeout=Timeout(5, READ_TIMEOUT))
    sub = api.get_submission(1003, 5003)
    outcomes = []
    for n in range(12):
        try:
            sub.submit_metrics(f"stage-{n}", metrics={"rows": n})
            outcomes.append((n, "ok"))
        except PossiblyAppliedWriteError:
            outcomes.append((n, "possibly"))
        except ApiException:
            outcomes.append((n, "failed"))
    luco.faults = None
    stored = sub.get_metrics(include_duplicates=True)
    for n, outcome in outcomes:
        copies = sum(1 for m in stored if m["stage"] == f"stage-{n}")
        assert copies == {"ok": 1, "possibly": copies if copies <= 1 else -1, "failed": 0}[outcome], (n, outcome)
    assert sum(1 for _, outcome in outcomes if outcome == "ok") >= 6


@pytest.mark.parametrize("fault", ["reset", "503"])
@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_a_new_submission_needs_no_baseline_read_and_is_still_judged(
        client: LucoApi, luco: LucoServer, fault: str, applied: bool) -> None:
    """A submission this client created holds no metrics or quality results: the first write
    of each needs no baseline GET, and an unknown outcome is still judged right."""
    sub = client.create_submission(1003)
    base = f"/slots/1003/submissions/{sub.id}"
    then = _after_apply(luco, fault) if applied else _not_applied(fault)
    luco.script("/api/v2" + base + "/metrics", then, luco.route, method="POST")
    assert sub.submit_metrics("Load", metrics={"rows": 5}) is True
    assert sub.submit_quality(results={"checks": [{"check": "ids unique", "success": True}]}, stage="Validate")
    gets = [r.path for r in luco.received() if r.method == "GET"]
    # the only read: the metrics read-back after the unknown outcome
    assert gets == ["/api" + base + "/metrics"], gets
    assert luco.count("/api/v2" + base + "/metrics", "POST") == (1 if applied else 2)
    state = luco.state()["submissions"][sub.id]
    assert [(m["stage"], m["metric"]) for m in state["metrics"]] == [("Load", "rows")]  # exactly once
    assert len(state["quality"]) == 1


def test_a_new_submission_written_by_someone_else_first_is_ambiguous_not_resent(
        make_api: MakeApi, client: LucoApi, luco: LucoServer) -> None:
    """The empty baseline of a new submission is no licence to resend: when another writer's
    entries are there too, a lost write is judged ambiguous, never "not applied"."""
    sub = client.create_submission(1003)
    path = f"/api/v2/slots/1003/submissions/{sub.id}/metrics"
    make_api().get_submission(1003, sub.id).submit_metrics("Load", metrics={"other": 1})  # another writer
    luco.script(path, Drop(), luco.route, method="POST")  # ours is lost before the server applies it
    with pytest.raises(PossiblyAppliedWriteError, match="ambiguous: 1 metrics added where this write adds 2"):
        sub.submit_metrics("Load", metrics={"rows": 5, "bytes": 1})
    assert luco.count(path, "POST") == 2  # the other writer's and ours: never resent on a guess
