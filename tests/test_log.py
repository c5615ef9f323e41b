"""The verifiable log as served: checkpoints, inclusion and consistency proofs over HTTP."""

from __future__ import annotations

import hashlib
import json
import random
import threading

import psycopg
import pytest
import rfc8785

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.errors import Damaged
from ledger.keyshead import KeysHead
from ledger.logview import ISSUE_LOCK, Checkpointer, LogView
from ledger.note import parse_vkey, vkey_for

from .conftest import LOG_ORIGIN, World


def notes(world: World, n: int, stream: str = "case:LOG-1") -> list[dict]:
    key = world.keys.get("app") or world.register("app", ["case-app"])
    envs = [world.sign("app", stream=stream, type="NoteRecorded", body={"note": str(i)})
            for i in range(n)]
    _ = key
    return world.post(envs)


def checkpoint(world: World, log_key, **params) -> tuple[str, object]:  # noqa: ANN001
    response = world.http.get("/v1/log/checkpoint", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    verifier = parse_vkey(vkey_for(LOG_ORIGIN, log_key.public_key))
    return response.text, open_checkpoint(response.text, [verifier], LOG_ORIGIN)


def test_checkpoint_is_a_signed_note_committing_to_the_tree(world: World, log_view: LogView,
                                                            log_key) -> None:
    receipts = notes(world, 5)
    log_view.issue_checkpoint()
    _, cp = checkpoint(world, log_key)
    assert cp.size == 6                       # the KeyRegistered event and five notes
    leaves = [bytes.fromhex(r["leaf_hash"]) for r in receipts]
    first = world.http.get("/v1/events/" + receipts[0]["event_id"],
                           headers=world.headers("auditor")).json()["receipt"]["index"]
    assert first == 1
    proof = world.http.get("/v1/log/proofs/inclusion", params={"index": 3, "tree_size": 6},
                           headers=world.headers("auditor")).json()
    merkle.verify_inclusion(leaves[2], 3, 6, [bytes.fromhex(h) for h in proof["proof"]],
                            cp.root_hash)


def test_every_checkpoint_names_the_key_registrys_head_at_its_tree_size(
        world: World, log_view: LogView, log_key) -> None:
    """The keys line (docs/merkle.md): version and chain hash of the last keys event below the
    tree size, version 0 and the stream's genesis before the first."""
    log_view.issue_checkpoint()
    assert checkpoint(world, log_key)[1].extensions == (KeysHead.empty().line(),)
    (first,) = world.post(world.key_registered("app", ["case-app"]))
    notes(world, 2)
    (second,) = world.post(world.key_registered("app2", ["case-app"]))
    notes(world, 1)
    log_view.issue_checkpoint()
    _, cp = checkpoint(world, log_key)
    assert cp.size == 5 and first["index"] == 0 and second["index"] == 3
    assert cp.extensions == (
        KeysHead(2, bytes.fromhex(second["chain_hash"])).line(),)
    assert KeysHead.of_extensions(cp.extensions) == KeysHead(
        2, bytes.fromhex(second["chain_hash"]))
    assert first["chain_hash"] != second["chain_hash"]


def test_every_event_is_provably_included_by_event_id(world: World, log_view: LogView,
                                                       log_key) -> None:
    receipts = notes(world, 9)
    log_view.issue_checkpoint()
    _, cp = checkpoint(world, log_key)
    for r in receipts:
        proof = world.http.get("/v1/log/proofs/inclusion",
                               params={"event_id": r["event_id"], "tree_size": cp.size},
                               headers=world.headers("auditor")).json()
        assert proof["leaf_hash"] == r["leaf_hash"] and proof["tree_size"] == cp.size
        merkle.verify_inclusion(bytes.fromhex(r["leaf_hash"]), r["index"], cp.size,
                                [bytes.fromhex(h) for h in proof["proof"]], cp.root_hash)


def test_consistency_between_two_checkpoints_is_proved(world: World, log_view: LogView,
                                                       log_key) -> None:
    notes(world, 3)
    old = log_view.issue_checkpoint()
    notes(world, 7)
    new = log_view.issue_checkpoint()
    proof = world.http.get("/v1/log/proofs/consistency",
                           params={"first": old.size, "second": new.size},
                           headers=world.headers("auditor")).json()
    assert (proof["first"], proof["second"]) == (old.size, new.size)
    merkle.verify_consistency(old.size, new.size, [bytes.fromhex(h) for h in proof["proof"]],
                              old.root, new.root)
    text, cp = checkpoint(world, log_key, tree_size=old.size)
    assert cp.size == old.size and text == old.note


def test_a_proof_is_served_for_exactly_the_tree_size_asked(world: World, log_view: LogView
                                                           ) -> None:
    receipts = notes(world, 10)
    root_at_4 = log_view.root(4)
    proof = world.http.get("/v1/log/proofs/inclusion", params={"index": 2, "tree_size": 4},
                           headers=world.headers("auditor")).json()
    assert proof["tree_size"] == 4
    merkle.verify_inclusion(bytes.fromhex(receipts[1]["leaf_hash"]), 2, 4,
                            [bytes.fromhex(h) for h in proof["proof"]], root_at_4)


@pytest.mark.parametrize("params, status", [
    ({"index": 0, "tree_size": 999}, 404),
    ({"index": 50}, 422),
    ({"event_id": "01900000-0000-7000-8000-000000000000"}, 404),
    ({}, 422), ({"event_id": ""}, 422),                  # neither: was a 404
])
def test_refuses_proofs_outside_the_log(world: World, params: dict, status: int) -> None:
    notes(world, 2)
    response = world.http.get("/v1/log/proofs/inclusion", params=params,
                              headers=world.headers("auditor"))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("params, field", [
    ({}, "query.index"), ({"event_id": ""}, "query.index"),
    ({"index": 0, "event_id": "01900000-0000-7000-8000-000000000000"}, "query.event_id"),
])
def test_an_inclusion_query_without_one_leaf_is_an_invalid_request(world: World, params: dict,
                                                                    field: str) -> None:
    """No parameter at all (or both) was answered as a `malformed-event`, though no event was
    sent: a bad query is an `invalid-request`, as the framework's own checks answer one."""
    notes(world, 2)
    response = world.http.get("/v1/log/proofs/inclusion", params=params,
                              headers=world.headers("auditor"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:integrity-ledger:problem:invalid-request", problem
    assert problem["field"] == field and problem["errors"][0]["field"] == field


def test_an_event_recorded_after_the_tree_size_asked_is_refused_naming_event_id(
        world: World) -> None:
    """The refusal named `index`, a parameter the request did not have."""
    receipts = notes(world, 4)
    response = world.http.get("/v1/log/proofs/inclusion",
                              params={"event_id": receipts[-1]["event_id"], "tree_size": 2},
                              headers=world.headers("auditor"))
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith(":invalid-request")
    assert response.json()["errors"][0]["field"].endswith("event_id")
    assert "is at log index 4" in response.json()["detail"]


def test_an_inclusion_proof_is_asked_by_index_or_by_event_id_not_both(world: World) -> None:
    """With both, the proof of ``index`` was served whatever event_id named."""
    receipts = notes(world, 3)
    response = world.http.get("/v1/log/proofs/inclusion",
                              params={"event_id": receipts[0]["event_id"], "index": 2},
                              headers=world.headers("auditor"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"].endswith("event_id")

@pytest.mark.parametrize("params", [{"first": 0}, {"first": 0, "second": 2}, {"first": 5}])
def test_refuses_consistency_proofs_from_the_empty_tree_or_past_second(world: World,
                                                                       params: dict) -> None:
    """A proof from the empty tree is meaningless (merkle refuses it); first=0 was a 500."""
    notes(world, 2)
    response = world.http.get("/v1/log/proofs/consistency", params=params,
                              headers=world.headers("auditor"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"].endswith("first")


def test_checkpointer_issues_checkpoints_as_the_log_grows_and_never_inconsistent_ones(
        world: World, log_view: LogView) -> None:
    log_view.issue_checkpoint()                         # the tree of one key event
    runner = Checkpointer(log_view, every_events=3, every_seconds=0.05, poll_seconds=0.01)
    runner.start()
    try:
        for _ in range(4):
            notes(world, 4)
            import time
            deadline = time.monotonic() + 5
            while log_view.latest_checkpoint().size != world.ledger.store.size():
                assert time.monotonic() < deadline, "checkpoint lagged more than 5 s"
                time.sleep(0.01)
    finally:
        runner.stop()
    with world.ledger.store.cursor() as curs:
        curs.execute("SELECT tree_size, root_hash FROM ledger_checkpoints ORDER BY tree_size")
        stored = [(r["tree_size"], bytes(r["root_hash"])) for r in curs.fetchall()]
    assert len(stored) >= 4
    for (s1, r1), (s2, r2) in zip(stored, stored[1:]):
        proof = log_view.consistency(s1, s2)["proof"] if s1 else []
        if s1:
            merkle.verify_consistency(s1, s2, [bytes.fromhex(h) for h in proof], r1, r2)


def test_checkpointers_of_several_processes_issue_one_checkpoint_per_interval_between_them(
        world: World, log_view: LogView) -> None:
    """Each `ledger serve` counted the interval from its own last checkpoint, so n processes
    sharing a database issued n checkpoints per interval. Now it counts from the latest stored
    checkpoint, whoever issued it (by the database's clock)."""
    first = Checkpointer(log_view, every_events=1000, every_seconds=3600)
    second = Checkpointer(log_view, every_events=1000, every_seconds=3600)
    notes(world, 1)
    issued = first.tick()
    assert issued is not None and issued.size == world.ledger.store.size()
    notes(world, 1)
    assert second.tick() is None            # the latest checkpoint is seconds old, not an hour
    assert first.tick() is None
    assert log_view.latest_checkpoint().size == issued.size
    notes(world, 2)
    assert Checkpointer(log_view, every_events=3, every_seconds=3600).tick().size == \
        world.ledger.store.size()           # three leaves beyond it: due whatever its age
    notes(world, 1)
    assert Checkpointer(log_view, every_events=1000, every_seconds=0).tick() is not None


def test_checkpoint_issuers_take_turns_and_the_later_one_extends_the_earlier(
        world: World, log_view: LogView, log_key) -> None:  # noqa: ANN001
    """Issuers read the latest checkpoint and the log's size under one lock, in one
    transaction: one that waits for another issuer signs the log as it finds it then, after
    and consistent with what the other issued (reading the two apart had let a concurrent
    issuer raise a false 'entries are missing' alarm, or store a smaller checkpoint after a
    larger one without checking the two against each other)."""
    notes(world, 2)
    holder = psycopg.connect(world.app_url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (ISSUE_LOCK,))   # another issuer, mid-way
    done: list[object] = []
    waiting = threading.Thread(target=lambda: done.append(log_view.issue_checkpoint()))
    waiting.start()
    try:
        waiting.join(0.5)
        assert waiting.is_alive() and not done          # it waits for its turn
        notes(world, 3)                                 # the log grows meanwhile
        size = world.ledger.store.size()
    finally:
        holder.execute("SELECT pg_advisory_unlock(%s)", (ISSUE_LOCK,))
        holder.close()
        waiting.join(10)
    (issued,) = done
    assert issued.size == size and issued.root == log_view.root(size)
    assert log_view.latest_checkpoint() == issued


def test_a_damaged_tree_is_named_not_a_key_error(world: World, log_view: LogView) -> None:
    """A Merkle node missing from the database (removed by a superuser) made proofs and
    checkpoint issuance fail with a bare KeyError (a 500 with no explanation)."""
    notes(world, 4)
    size = world.ledger.store.size()
    assert size == 5
    with psycopg.connect(world.owner_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("DELETE FROM ledger_merkle_nodes WHERE (level, idx) IN ((2, 0), (1, 1))")
    with pytest.raises(Damaged, match="lacks 1 node.*level 2, index 0"):   # the root's
        log_view.issue_checkpoint()
    response = world.http.get("/v1/log/proofs/inclusion", params={"index": 0, "tree_size": 5},
                              headers=world.headers("auditor"))
    assert response.status_code == 500
    problem = response.json()
    assert problem["type"].endswith("log-damaged") and "level 1, index 1" in problem["detail"]


def test_a_consistency_proof_to_a_size_beyond_the_log_is_refused_naming_second(
        world: World) -> None:
    """The refusal named `tree_size`, a parameter the request did not have."""
    notes(world, 2)
    response = world.http.get("/v1/log/proofs/consistency", params={"first": 1, "second": 99},
                              headers=world.headers("auditor"))
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"].endswith("second")
    assert response.json()["detail"] == "second 99 is beyond the log (size 3)"


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, recursively, from scratch."""
    if len(leaves) <= 1:
        return leaves[0] if leaves else hashlib.sha256(b"").digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n])."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return _path(m, leaves[:k]) + [_mth(leaves[k:])]
    return _path(m - k, leaves[k:]) + [_mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b)."""
    if m == len(leaves):
        return [] if b else [_mth(leaves)]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m <= k:
        return _subproof(m, leaves[:k], b) + [_mth(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [_mth(leaves[:k])]


def test_roots_and_proofs_equal_rfc_9162_computed_from_the_stored_events(
        world: World, log_view: LogView, log_key) -> None:
    """Leaves rebuilt from the stored envelopes as docs/bundle.md defines the log entry (with
    rfc8785, not the ledger's code); every root, inclusion and consistency proof the server
    assembles from its stored nodes equals RFC 9162's, computed from scratch."""
    rng = random.Random(9162)
    while world.ledger.store.size() < 30:
        notes(world, rng.randint(1, 6), stream=f"case:LOG-{rng.randint(1, 3)}")
    log_view.issue_checkpoint()
    _, cp = checkpoint(world, log_key)
    with psycopg.connect(world.owner_url) as conn:
        rows = conn.execute(
            "SELECT r.log_index, r.stream, r.stream_version, r.recorded_at, s.state "
            "FROM ledger_receipts r JOIN stored_events s ON s.originator_id = r.originator_id "
            "AND s.originator_version = r.stream_version ORDER BY r.log_index").fetchall()
    leaves, chains = [], {}
    for index, stream, version, recorded_at, state in rows:
        prev = chains.get(stream) or hashlib.sha256(b"integrity-ledger/chain/v1:"
                                                    + stream.encode()).digest()
        chains[stream] = hashlib.sha256(prev + hashlib.sha256(bytes(state)).digest()).digest()
        entry = rfc8785.dumps({"chain_hash": chains[stream].hex(),
                               "envelope": json.loads(bytes(state)), "index": index,
                               "recorded_at": recorded_at, "spec": "integrity-ledger/entry/v1",
                               "stream_version": version})
        leaves.append(hashlib.sha256(b"\x00" + entry).digest())
    assert [r[0] for r in rows] == list(range(cp.size)) and cp.root_hash == _mth(leaves)
    for n in range(1, cp.size + 1):
        assert log_view.root(n) == _mth(leaves[:n])
        for m in range(n):
            proof = log_view.inclusion(m, n)
            assert bytes.fromhex(proof["leaf_hash"]) == leaves[m]
            assert [bytes.fromhex(h) for h in proof["proof"]] == _path(m, leaves[:n])
        for m in range(1, n + 1):
            proof = log_view.consistency(m, n)["proof"]
            assert [bytes.fromhex(h) for h in proof] == _subproof(m, leaves[:n], True), (m, n)


def test_metrics_are_public_and_only_count_appends_and_the_log_size(world: World) -> None:
    """The access table in docs/architecture.md names /metrics as public, for what it shows: two
    counters, the log size (which a checkpoint and /healthz publish already) and how each
    projection fares (events behind, failures in a row, since when: no content)."""
    def metrics() -> dict[str, int]:
        response = world.http.get("/metrics")
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/plain")
        return {name: int(value) for name, value in (
            line.split(" ") for line in response.text.splitlines() if not line.startswith("#"))}

    notes(world, 1)
    before = metrics()
    notes(world, 3)
    after = metrics()
    assert set(after) == {"ledger_append_requests_total", "ledger_events_appended_total",
                          "ledger_log_size"} | {
        f'ledger_projection_{series}{{projection="{name}"}}'
        for series in ("behind", "failures", "stuck_since_seconds")
        for name in ("read_models", "flags")}
    assert after["ledger_append_requests_total"] - before["ledger_append_requests_total"] == 1
    assert after["ledger_events_appended_total"] - before["ledger_events_appended_total"] == 3
    assert after["ledger_log_size"] == world.http.get("/healthz").json()["log_size"]
    access = open("docs/architecture.md", encoding="utf-8").read().split("## Access")[1]
    assert "`/metrics`" in access.split("\n## ")[0]


def test_a_process_with_another_log_key_signs_no_checkpoint_of_this_log(
        world: World, log_view: LogView, log_key, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    """Two `ledger serve` processes on one database whose homes hold different log keys (each
    host ran `ledger init`) both signed checkpoints, so the log's checkpoints alternated between
    two keys and an auditor pinning one failed on the other's. A process now signs only a log
    whose latest checkpoint its own key signed, and its checkpointer stops, saying why."""
    import logging
    import time

    from ledger.crypto import SigningKey
    from ledger.logview import ForeignLogKey
    notes(world, 2)
    first = log_view.issue_checkpoint()
    intruder = LogView(world.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
                       signing_key=SigningKey.generate())
    notes(world, 2)
    with pytest.raises(ForeignLogKey, match=f"checkpoint {first.size} is not signed by this "
                                            "process's log key"):
        intruder.issue_checkpoint()
    assert log_view.latest_checkpoint() == first
    checkpointer = Checkpointer(intruder, every_events=1, every_seconds=0, poll_seconds=0.01)
    with caplog.at_level(logging.ERROR, logger="ledger.logview"):
        checkpointer.start()
        deadline = time.monotonic() + 5
        while checkpointer._thread.is_alive():
            assert time.monotonic() < deadline, "the checkpointer kept trying"
            time.sleep(0.01)
    assert len(caplog.records) == 1 and "issues no checkpoints" in caplog.records[0].message
    assert log_view.latest_checkpoint() == first
    assert checkpoint(world, log_key)[1].size == first.size    # still the pinned key's
    later = log_view.issue_checkpoint()                         # the log's own key goes on
    assert later.size == world.ledger.store.size()
