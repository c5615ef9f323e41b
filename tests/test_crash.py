"""Fate as an adversary: the writer's connection lost, its backend ended, at the worst moments
of a group commit. Whatever the service answers, no event the client got a receipt for is
missing, none is stored twice or under two receipts after the client's retry (same event_id),
and the stream chains, the Merkle nodes and the checkpoints agree with the events."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger import merkle, store
from ledger.canonical import canonical
from ledger.client import LedgerClient, LedgerHTTPError, LedgerUnreachable, sign_envelope
from ledger.crypto import SigningKey, b64url_encode
from ledger.domain import vocabulary
from ledger.errors import Unavailable
from ledger.logview import Checkpointer, LogView, StoredCheckpoint
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from ledger.tokens import new_token, token_hash
from projections.flagsview import FlagsView
from projections.readmodels import ReadModels

from . import domain_factory as f
from . import minimal_vocabulary
from .conftest import LOG_ORIGIN, ROOT_ID
from .faults import Relay
from .logcheck import LOG_ROWS, leaves_of
from .test_multiprocess import start_server
from .test_readmodels import open_city, post_steps
from .test_takeover import VIEWS


class Scene:
    """A ledger on ``url`` (the minimal vocabulary unless ``types``), with a key "app" of role
    case-app registered."""

    def __init__(self, owner: str, url: str, root: SigningKey, *,
                 types: Any = minimal_vocabulary) -> None:
        self.owner = owner
        self.store = LedgerStore(datastore_from_url(url))
        self.ledger = Ledger(self.store, root_keys={ROOT_ID: root.public_key}, types=types,
                             verify_processes=0)
        self.key = SigningKey.generate()
        self.ledger.append(canonical(sign_envelope(
            root, ROOT_ID, stream="keys", type="KeyRegistered", body={
                "key_id": "app", "public_key": b64url_encode(self.key.public_key),
                "principal": "case-app", "roles": ["case-app"], "not_before": None,
                "not_after": None})))

    def note(self, text: str, stream: str = "case:SH-HP-2024-000001") -> dict[str, Any]:
        return sign_envelope(self.key, "app", stream=stream, type="NoteRecorded",
                             body={"note": text})

    def close(self) -> None:
        self.ledger.close()
        self.store.close()


@pytest.fixture
def relayed(database: tuple[str, str], root_key: SigningKey) -> Iterator[tuple[Scene, Relay]]:
    owner, app_url = database
    relay = Relay(app_url)
    scene = Scene(owner, relay.url, root_key)
    yield scene, relay
    scene.close()
    relay.close()


def stored_receipts(owner: str) -> dict[str, dict[str, Any]]:
    with psycopg.connect(owner) as conn:
        rows = conn.execute("SELECT event_id::text, log_index, stream_version, recorded_at, "
                            "leaf_hash, chain_hash FROM ledger_receipts").fetchall()
    return {r[0]: {"index": r[1], "stream_version": r[2], "recorded_at": r[3],
                   "leaf_hash": bytes(r[4]).hex(), "chain_hash": bytes(r[5]).hex()}
            for r in rows}


def assert_log_whole(owner: str) -> list[bytes]:
    """Every event once, its receipt, chain and leaf recomputed from the stored bytes, the log
    gap-free, and the Merkle node table exactly the perfect subtrees of those leaves: none
    missing, none of a group that was rolled back. Returns the leaf hashes."""
    with psycopg.connect(owner) as conn:
        rows = conn.execute(LOG_ROWS).fetchall()
        events = conn.execute("SELECT count(*) FROM stored_events").fetchone()[0]
        nodes = {(lv, ix): bytes(h) for lv, ix, h in conn.execute(
            "SELECT level, idx, hash FROM ledger_merkle_nodes").fetchall()}
    assert events == len(rows)
    assert [r[0] for r in rows] == list(range(len(rows)))
    leaves = leaves_of(rows)
    expected = {(lv, ix): h for lv, ix, h in merkle.append_leaves([], 0, leaves)[0] if lv > 0}
    assert nodes == expected
    return leaves


def issue_checkpoint(owner: str, log_key: SigningKey) -> Any:
    store = LedgerStore(datastore_from_url(owner, pool_size=1, max_overflow=0))
    try:
        return LogView(store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
                       signing_key=log_key).issue_checkpoint()
    finally:
        store.close()


def test_a_group_whose_commit_answer_is_lost_is_answered_with_its_receipts(
        relayed: tuple[Scene, Relay], log_key: SigningKey) -> None:
    """The connection is lost after the server committed the group and before the writer
    heard so. The writer answered 503 "nothing was written" — with the event written: a client
    that took the answer at its word and signed the act again under a new event_id (as a
    refusal invites) put it on the log twice. The writer now asks the database, on another
    connection, whether the group is there, and answers with its receipts."""
    scene, relay = relayed
    first = scene.ledger.append(canonical(scene.note("before")))
    envelope = scene.note("committed, answer lost")
    relay.cut_after_commit()
    result = scene.ledger.append(canonical(envelope))
    assert relay.cut.wait(10)     # the relay says so once the answer it drops has come
    stored = stored_receipts(scene.owner)
    [receipt] = result.receipts
    assert result.written == 1
    assert receipt.index == first.receipts[0].index + 1
    assert stored[envelope["event_id"]] == {
        "index": receipt.index, "stream_version": receipt.stream_version,
        "recorded_at": receipt.recorded_at, "leaf_hash": receipt.leaf_hash.hex(),
        "chain_hash": receipt.chain_hash.hex()}
    again = scene.ledger.append(canonical(envelope))        # the client's retry, had it one
    assert again.receipts == [receipt] and again.written == 0
    after = scene.ledger.append(canonical(scene.note("after")))
    assert after.receipts[0].index == receipt.index + 1
    leaves = assert_log_whole(scene.owner)
    checkpoint = issue_checkpoint(scene.owner, log_key)
    assert (checkpoint.size, checkpoint.root) == (len(leaves), merkle.root_of(leaves))


def test_a_group_whose_connection_is_lost_before_it_commits_is_a_503_and_written_once_on_retry(
        relayed: tuple[Scene, Relay], log_key: SigningKey) -> None:
    """The COMMIT never reaches the server (the connection lost with the insert sent): the
    server rolls the group back, the database asked says so, and the answer stays 503 "nothing
    was written" — true; the client's retry writes it once."""
    scene, relay = relayed
    scene.ledger.append(canonical(scene.note("before")))
    envelope = scene.note("rolled back with its connection")
    relay.cut_before_commit()
    with pytest.raises(Unavailable, match="^database unavailable"):
        scene.ledger.append(canonical(envelope))
    assert relay.cut.wait(10)     # the relay says so once the answer it drops has come
    assert envelope["event_id"] not in stored_receipts(scene.owner)
    [receipt] = scene.ledger.append(canonical(envelope)).receipts      # the client's retry
    assert stored_receipts(scene.owner)[envelope["event_id"]]["index"] == receipt.index == 2
    scene.ledger.append(canonical(scene.note("after")))
    leaves = assert_log_whole(scene.owner)
    checkpoint = issue_checkpoint(scene.owner, log_key)
    assert (checkpoint.size, checkpoint.root) == (len(leaves), merkle.root_of(leaves))


def test_a_lost_commit_the_database_cannot_be_asked_about_is_not_called_unwritten(
        relayed: tuple[Scene, Relay], monkeypatch: pytest.MonkeyPatch) -> None:
    """Committed, the answer lost, and the database gone before it can be asked: the 503 says
    the events may have been written and how to learn it, not that nothing was."""
    scene, relay = relayed
    envelope = scene.note("committed, then the database went away")

    def gone() -> Any:
        raise Unavailable("database unavailable: connection refused")
    relay.cut_after_commit()
    monkeypatch.setattr(scene.store, "transaction", gone)    # what the writer then asks in
    with pytest.raises(Unavailable) as answer:
        scene.ledger.append(canonical(envelope))
    assert "nothing was written" not in answer.value.message
    assert "may have been written" in answer.value.message
    assert "same event_id" in answer.value.message
    monkeypatch.undo()
    assert envelope["event_id"] in stored_receipts(scene.owner)
    assert scene.ledger.append(canonical(envelope)).written == 0      # the retry: its receipt


def test_a_commit_the_server_finishes_after_its_connection_was_lost_is_waited_for(
        relayed: tuple[Scene, Relay]) -> None:
    """The writer's end of the connection is gone while the server has yet to commit (the
    COMMIT reaches it a second later): asked at once, the database does not show the group
    yet, and "nothing was written" would be untrue a moment later. The question waits for the
    events' lock, which the group's transaction holds until the server has ended it."""
    scene, relay = relayed
    envelope = scene.note("committed late")
    relay.cut_then_commit(1.0)
    result = scene.ledger.append(canonical(envelope))
    assert relay.cut.wait(10)     # the relay says so once the answer it drops has come
    [receipt] = result.receipts
    assert stored_receipts(scene.owner)[envelope["event_id"]]["index"] == receipt.index
    assert_log_whole(scene.owner)


@pytest.mark.parametrize("cut", ["before", "after"])
def test_a_checkpointer_whose_connection_is_lost_at_its_commit_goes_on_issuing(
        database: tuple[str, str], root_key: SigningKey, log_key: SigningKey, cut: str) -> None:
    """The checkpointer's connection lost at the commit that stores a checkpoint it has signed:
    rolled back (before) it signs again; committed unheard (after) it finds it stored. Either way
    it goes on issuing, and every checkpoint stored is of the tree the log holds."""
    owner, app_url = database
    scene = Scene(owner, app_url, root_key)
    relay = Relay(app_url)
    store = LedgerStore(datastore_from_url(relay.url))
    log = LogView(store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN, signing_key=log_key)
    checkpointer = Checkpointer(log, every_events=1, every_seconds=3600, poll_seconds=0.05)
    getattr(relay, f"cut_{cut}_commit")()
    checkpointer.start()
    try:
        def issued() -> int:
            return (log.latest_checkpoint() or StoredCheckpoint(0, b"", "")).size
        until(relay.cut.is_set, "the checkpointer never committed")
        until(lambda: issued() == 1, "the checkpoint of the cut commit was not stored")
        scene.ledger.append(canonical(scene.note("after the cut")))
        until(lambda: issued() == 2, "the checkpointer did not go on")
    finally:
        checkpointer.stop()
        store.close()
        relay.close()
        scene.close()
    leaves = assert_log_whole(owner)
    with psycopg.connect(owner) as conn:
        stored = conn.execute("SELECT tree_size, root_hash FROM ledger_checkpoints "
                              "ORDER BY tree_size").fetchall()
    assert [size for size, _ in stored] == [1, 2]
    assert all(bytes(root) == merkle.root_of(leaves[:size]) for size, root in stored)


def until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.mark.parametrize("cut", ["before", "after"])
def test_projections_whose_batch_commit_loses_its_connection_fold_nothing_twice_or_never(
        database: tuple[str, str], root_key: SigningKey, cut: str) -> None:
    """The read models' and the red flags' batch, its states and tracking position written, its
    connection lost at the commit — rolled back (before) or committed unheard (after): the
    flags' engine, which had folded the batch in memory, is dropped and folded again up to the
    position stored, and the read models read that position afresh. What they leave equals a
    rebuild."""
    owner, app_url = database
    at = datetime(2025, 6, 1, tzinfo=UTC)
    with open_city(owner, app_url, root_key) as world:
        post_steps(world, f.staff() + f.general_case() + f.summary_case() + f.complaint_cycle())
        relay = Relay(app_url)
        store = LedgerStore(datastore_from_url(relay.url))
        try:
            for view in (ReadModels(store), FlagsView(store, clock=lambda: at)):
                view.process(10)
                getattr(relay, f"cut_{cut}_commit")()
                with pytest.raises(Unavailable):
                    view.process(10)
                assert relay.cut.wait(10)     # the relay says so once the answer it drops has come
                view.run_until_idle()
        finally:
            store.close()
            relay.close()
        views, flags = ReadModels(world.ledger.store), FlagsView(world.ledger.store)
        live = {t: views.snapshot(t) for t in VIEWS}
        live_flags = flags.snapshot()
        assert live["cases"] and live_flags
        views.rebuild()
        flags.rebuild(at)
        assert {t: views.snapshot(t) for t in VIEWS} == live
        assert flags.snapshot() == live_flags


def test_a_serve_process_killed_under_load_loses_and_doubles_nothing(
        tmp_path: Path, database: tuple[str, str], root_key: SigningKey,
        log_key: SigningKey) -> None:
    """A `ledger serve` and another writer (a ledger in this process) on one database, clients
    appending through both; the serve process is killed outright (SIGKILL) while a write
    transaction is open. Clients whose request got no answer send the same bytes through the
    other. Every receipt a client holds is stored, each event once, under that receipt; the
    chains, the Merkle nodes and a checkpoint agree with the events."""
    owner, app_url = database
    other = Scene(owner, app_url, root_key, types=vocabulary)
    serve, base = start_server(tmp_path, app_url, root_key)
    try:
        token = new_token()
        with psycopg.connect(owner) as conn:
            conn.execute("INSERT INTO ledger_tokens (token_hash, principal, roles) "
                         "VALUES (%s, %s, %s)", (token_hash(token), "app", ["poster"]))
        killed, failed_over = threading.Event(), []

        def work(worker: int) -> list[dict[str, Any]]:
            client = LedgerClient(base, token, retries=0)
            receipts = []
            for n in range(20):
                envelope = sign_envelope(other.key, "app", stream=f"case:SH-HP-2024-{n % 7:06d}",
                                         type="ClueRegistered", body={
                                             "clue_id": f"C-{worker}-{n}", "source": "patrol",
                                             "unit_id": "SH-HP-01"})
                if worker % 2:
                    try:
                        receipts += client.post(envelope)
                        continue
                    except (LedgerUnreachable, LedgerHTTPError):
                        assert killed.is_set()
                        failed_over.append(envelope["event_id"])
                appended = other.ledger.append(canonical(envelope))
                receipts += [r.to_value() for r in appended.receipts]
            return receipts

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = pool.map(work, range(6))
            until(lambda: len(stored_receipts(owner)) > 40 and writing(owner),
                  "the writers never got going")
            killed.set()
            serve.kill()
            serve.wait(timeout=10)
            receipts = [r for rs in results for r in rs]
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(timeout=10)
        other.close()
    assert failed_over
    assert len(receipts) == len({r["event_id"] for r in receipts}) == 6 * 20
    stored = stored_receipts(owner)
    assert len(stored) == 6 * 20 + 1
    for r in receipts:
        assert stored[r["event_id"]] == {k: r[k] for k in stored[r["event_id"]]}
    leaves = assert_log_whole(owner)
    checkpoint = issue_checkpoint(owner, log_key)
    assert (checkpoint.size, checkpoint.root) == (len(leaves), merkle.root_of(leaves))


def writing(owner: str) -> bool:
    """Whether a transaction holds the events' lock (a writer's group, under way)."""
    with psycopg.connect(owner) as conn:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE granted AND mode = "
                            "'ExclusiveLock' AND relation = 'stored_events'::regclass)"
                            ).fetchone()[0]


def test_a_writer_that_dies_holding_the_lock_does_not_stop_every_other_writer(
        database: tuple[str, str], root_key: SigningKey,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer's host dies (power, a frozen VM, a cut network) while its group holds the
    events' lock: no data, and no closed connection, reach the server, whose session sits
    idle in its transaction — with the lock — until TCP keepalive gives up on it (over two hours
    by default). Every other writer of every process waited for it. The writer's transaction
    now lets the server end it when idle for WRITER_IDLE_SECONDS, which no group's work comes
    near; the other writers then go on, and the dead writer's group is not written."""
    monkeypatch.setattr(store, "WRITER_IDLE_SECONDS", 2)
    relay = Relay(database[1])
    scene = Scene(database[0], relay.url, root_key)
    scene.ledger.append(canonical(scene.note("before")))
    envelope = scene.note("in the group of a writer whose host died")
    relay.freeze_after()
    with ThreadPoolExecutor(2) as threads:
        dead = threads.submit(scene.ledger.append, canonical(envelope))
        until(relay.cut.is_set, "the writer never took the lock")
        other = Ledger(LedgerStore(datastore_from_url(database[1])),
                       root_keys={ROOT_ID: root_key.public_key}, types=minimal_vocabulary,
                       verify_processes=0)
        try:
            started = time.monotonic()
            went_on = threads.submit(other.append, canonical(scene.note("another writer's")))
            try:
                [receipt] = went_on.result(timeout=store.WRITER_IDLE_SECONDS + 15).receipts
            finally:
                relay.close()       # a writer left waiting is let go, so the test ends
            assert time.monotonic() - started < store.WRITER_IDLE_SECONDS + 15
            assert receipt.index == 2
            with pytest.raises(Unavailable):
                dead.result(timeout=30)
        finally:
            other.close()
            other.store.close()
            scene.close()
    assert envelope["event_id"] not in stored_receipts(scene.owner)
    assert_log_whole(scene.owner)


def test_an_issuer_that_dies_between_signing_and_storing_does_not_stop_the_checkpoints(
        database: tuple[str, str], root_key: SigningKey, log_key: SigningKey,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint issuer's host dies inside its turn (the issuers' lock taken, the checkpoint
    being signed and stored): its session sat idle in its transaction with the lock, and every
    other issuer — each `ledger serve`'s checkpointer, `ledger export` — waited for it until TCP
    keepalive gave up on it. The issuer's transaction now lets the server end it when idle for
    WRITER_IDLE_SECONDS; another issuer then stores the checkpoint."""
    monkeypatch.setattr(store, "WRITER_IDLE_SECONDS", 2)
    owner, app_url = database
    scene = Scene(owner, app_url, root_key)
    relay = Relay(app_url)
    dying = LedgerStore(datastore_from_url(relay.url))
    relay.freeze_after(b"pg_advisory_xact_lock")
    try:
        with ThreadPoolExecutor(2) as threads:
            dead = threads.submit(LogView(dying, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
                                          signing_key=log_key).issue_checkpoint)
            until(relay.cut.is_set, "the issuer never took its turn")
            other = threads.submit(issue_checkpoint, owner, log_key)
            try:
                checkpoint = other.result(timeout=store.WRITER_IDLE_SECONDS + 15)
            finally:
                relay.close()       # an issuer left waiting is let go, so the test ends
            with pytest.raises(Unavailable):
                dead.result(timeout=30)
    finally:
        dying.close()
        scene.close()
    leaves = assert_log_whole(owner)
    assert (checkpoint.size, checkpoint.root) == (len(leaves), merkle.root_of(leaves))
