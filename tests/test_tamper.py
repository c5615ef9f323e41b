"""A database administrator edits history; `ledger verify` names each edit.

The tampering bypasses the append-only triggers the way a superuser would
(``SET session_replication_role = replica`` on the owner connection). Bundles are then exported
from the tampered database, exactly as an honest exporter on a compromised server would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger import merkle
from ledger.canonical import canonical
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.client import sign_envelope
from ledger.crypto import SigningKey
from ledger.keys import KeyRegistry
from ledger.logview import LogView
from ledger.verify import format as fmt

from .bundles import CASE_STREAM, Verdict, export, export_all, note, populate, trust_file, verify
from .conftest import LOG_ORIGIN, World


@pytest.fixture
def populated(world: World, log_view: LogView) -> dict:
    facts = populate(world)
    log_view.issue_checkpoint()       # the history the auditor has seen signed
    return facts


@pytest.fixture
def trust(world: World, log_key: SigningKey, tmp_path: Path) -> Path:
    return trust_file(tmp_path, world, log_key)


@contextmanager
def superuser(world: World) -> Iterator[psycopg.Connection[Any]]:
    """The owner's connection with the append-only triggers switched off."""
    with psycopg.connect(world.owner_url) as conn:
        conn.execute("SET session_replication_role = replica")
        yield conn


def receipt(world: World, stream: str, version: int) -> tuple[int, str, bytes]:
    """(log index, event id, stored envelope bytes) of a stream's version."""
    with psycopg.connect(world.owner_url) as conn:
        index, event_id = conn.execute(
            "SELECT log_index, event_id::text FROM ledger_receipts WHERE stream = %s "
            "AND stream_version = %s", (stream, version)).fetchone()
    row = world.ledger.store.get_event(event_id)
    assert row is not None
    return index, event_id, row.raw


def replace_envelope(world: World, old: bytes, new: bytes) -> None:
    with superuser(world) as conn:
        assert conn.execute("UPDATE stored_events SET state = %s WHERE state = %s",
                            (new, old)).rowcount == 1


def delete_events(world: World, indices: list[int]) -> None:
    raws = [receipt_at(world, i) for i in indices]
    with superuser(world) as conn:
        conn.execute("DELETE FROM ledger_receipts WHERE log_index = ANY(%s)", (indices,))
        conn.execute("DELETE FROM stored_events WHERE state = ANY(%s)", (raws,))


def receipt_at(world: World, index: int) -> bytes:
    (row,) = world.ledger.store.log_events(start=index, stop=index + 1)
    return row.raw


def compromised_append(world: World, envelope: dict[str, Any],
                       monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    """Record ``envelope`` through the storage path with the door's checks skipped — a server
    whose administrator holds the database and the log key: chain, receipt and Merkle nodes are
    all consistent, and the next checkpoint covers it. Returns its log index."""
    if monkeypatch is not None:   # skip the key-validity check too
        monkeypatch.setattr(KeyRegistry, "authorise", lambda self, **kw: None)
    (envelope_parsed,) = world.ledger.parse(canonical(envelope))
    result = world.ledger.submit([envelope_parsed]).result()
    assert not isinstance(result, Exception), result
    if monkeypatch is not None:
        monkeypatch.undo()
    return result.receipts[0].index


def both_bundles(world: World, log: LogView, tmp_path: Path, trust: Path,
                 **kw: Any) -> tuple[Verdict, Verdict]:
    case, whole = tmp_path / "case.ndjson", tmp_path / "all.ndjson"
    export(world, log, case, **kw)
    export_all(world, log, whole, **kw)
    return verify(case, trust), verify(whole, trust)


def test_untouched_log_verifies_clean(world: World, log_view: LogView, populated, trust: Path,
                                      tmp_path: Path) -> None:
    for verdict in both_bundles(world, log_view, tmp_path, trust):
        assert verdict.code == 0, verdict
        assert len(verdict.lines) == 1 and verdict.lines[0].startswith("OK: ")


def test_changing_one_byte_of_a_stored_event_is_named(world: World, log_view: LogView, populated,
                                                      trust: Path, tmp_path: Path) -> None:
    index, event_id, raw = receipt(world, CASE_STREAM, 3)
    replace_envelope(world, raw, raw.replace(b"step 2", b"step 9"))
    for verdict in both_bundles(world, log_view, tmp_path, trust):
        assert verdict.code == 1
        line = verdict.line_for(f"index {index} event {event_id}:")
        assert "signature does not verify under key 'app'" in line
        assert "log entry does not hash to its receipt's leaf hash" in line
        assert f"stream {CASE_STREAM} version 3: chain hash does not follow from version 2" \
            in line


def test_deleting_an_event_is_named_as_a_missing_version(world: World, log_view: LogView,
                                                         populated, trust: Path,
                                                         tmp_path: Path) -> None:
    index, _, _ = receipt(world, CASE_STREAM, 3)
    delete_events(world, [index])
    case, whole = both_bundles(world, log_view, tmp_path, trust)
    for verdict in (case, whole):
        assert verdict.code == 1
        assert f"stream {CASE_STREAM}: version 3 missing" in verdict.lines
    assert f"log: index {index} missing" in whole.lines
    assert any(line.startswith("log: the bundle's 18 leaves hash to root") for line in whole.lines)


def test_swapping_two_events_is_named_as_reordering(world: World, log_view: LogView, populated,
                                                    trust: Path, tmp_path: Path) -> None:
    i2, e2, raw2 = receipt(world, CASE_STREAM, 2)
    i3, e3, raw3 = receipt(world, CASE_STREAM, 3)
    with superuser(world) as conn:
        conn.execute("UPDATE stored_events SET state = CASE WHEN state = %s THEN %s ELSE %s END "
                     "WHERE state IN (%s, %s)", (raw2, raw3, raw2, raw2, raw3))
    for verdict in both_bundles(world, log_view, tmp_path, trust):
        assert verdict.code == 1
        # Each position now holds the other's (validly signed) envelope.
        assert "holds the event recorded at version 3 (reordered)" in verdict.line_for(
            f"index {i2} event {e3}:")
        assert "holds the event recorded at version 2 (reordered)" in verdict.line_for(
            f"index {i3} event {e2}:")
        assert "signature does not verify" not in verdict.out


def test_inserting_a_forged_event_is_named(world: World, log_view: LogView, populated,
                                           trust: Path, tmp_path: Path) -> None:
    forged = sign_envelope(SigningKey.generate(), "app", stream=CASE_STREAM, type="NoteRecorded",
                           body={"note": "fine waived"})
    index = compromised_append(world, forged)
    log_view.issue_checkpoint()          # the log key signs whatever the database holds
    for verdict in both_bundles(world, log_view, tmp_path, trust):
        assert verdict.code == 1
        line = verdict.line_for(f"index {index} event {forged['event_id']}:")
        assert line.endswith(": signature does not verify under key 'app'")
        assert len(verdict.lines) == 2     # the forged event, and the summary


def test_truncating_the_tail_is_named(world: World, log_view: LogView, populated, trust: Path,
                                      tmp_path: Path) -> None:
    delete_events(world, [16, 17, 18])
    whole = tmp_path / "all.ndjson"
    export_all(world, log_view, whole)          # the checkpoint still commits to 19 leaves
    verdict = verify(whole, trust)
    assert verdict.code == 1
    assert "log: indices 16..18 missing (the checkpoint commits to 19 leaves)" in verdict.lines


def test_truncation_hidden_behind_a_new_checkpoint_is_caught_by_the_older_one(
        world: World, log_view: LogView, populated, trust: Path, tmp_path: Path) -> None:
    older = tmp_path / "older.note"
    older.write_text(log_view.latest_checkpoint().note)
    delete_events(world, [16, 17, 18])
    with superuser(world) as conn:
        conn.execute("DELETE FROM ledger_checkpoints")
    assert log_view.issue_checkpoint().size == 16
    whole = tmp_path / "all.ndjson"
    export_all(world, log_view, whole)
    assert verify(whole, trust).code == 0        # self-consistent on its own...
    verdict = verify(whole, trust, "--since", str(older))
    assert verdict.code == 1                     # ...but not an extension of what was seen
    assert verdict.lines[0] == ("checkpoint: not consistent with the older checkpoint (size 19): "
                                "it is larger than this one (size 16): the log was truncated or "
                                "forked")


@pytest.mark.parametrize("key_id, reason", [
    ("app2", "log entry does not hash to its receipt's leaf hash"),
    ("till", "key 'till' (principal 'principal:till', roles ['finance']) may not sign "
             "NoteRecorded; allowed roles: ['case-app']"),
])
def test_resigning_an_event_with_another_registered_key_is_named(
        world: World, log_view: LogView, populated, trust: Path, tmp_path: Path,
        key_id: str, reason: str) -> None:
    index, event_id, raw = receipt(world, CASE_STREAM, 2)
    original = json.loads(raw)
    resigned = sign_envelope(world.keys[key_id], key_id, stream=original["stream"],
                             type=original["type"], body=original["body"],
                             event_id=original["event_id"], occurred_at=original["occurred_at"])
    replace_envelope(world, raw, canonical(resigned))
    for verdict in both_bundles(world, log_view, tmp_path, trust):
        assert verdict.code == 1
        line = verdict.line_for(f"index {index} event {event_id}:")
        assert reason in line
        assert f"stream {CASE_STREAM} version 2: chain hash does not follow" in line
        assert "signature does not verify" not in line     # the new signature is genuine


def test_backdating_an_event_past_its_signers_revocation_is_named(
        world: World, log_view: LogView, populated, trust: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    revoked_at, _, _ = receipt(world, "keys", 4)      # KeyRevoked app2 (device lost)
    # The thief holds the lost device: it signs a payment note dated before the revocation.
    late = note(world, "app2", text="cash returned", occurred_at="2020-01-01T00:00:00+08:00")
    index = compromised_append(world, late, monkeypatch)
    with superuser(world) as conn:   # and the administrator backdates the ledger's clock too
        before = conn.execute("SELECT recorded_at FROM ledger_receipts WHERE log_index = %s",
                              (revoked_at - 1,)).fetchone()[0]
        conn.execute("UPDATE ledger_receipts SET recorded_at = %s WHERE log_index = %s",
                     (before, index))
    log_view.issue_checkpoint()
    for verdict in both_bundles(world, log_view, tmp_path, trust):
        assert verdict.code == 1
        line = verdict.line_for(f"index {index} event {late['event_id']}:")
        assert f"signer key 'app2' was revoked at log index {revoked_at} (device lost)" in line
        assert f"recorded_at {before} is earlier than" in line


def _forked_checkpoint(world: World, log_key: SigningKey, size: int, *, fork: bool) -> str:
    with psycopg.connect(world.owner_url) as conn:
        leaves = [bytes(r[0]) for r in conn.execute(
            "SELECT leaf_hash FROM ledger_receipts WHERE log_index < %s ORDER BY log_index",
            (size,))]
    if fork:   # the same history but for its last event
        leaves[-1] = merkle.leaf_hash(b"a different last event")
    root = merkle.root_of(leaves)
    return sign_checkpoint(Checkpoint(origin=LOG_ORIGIN, size=size, root_hash=root), LOG_ORIGIN,
                           log_key)


def test_two_inconsistent_checkpoints_are_detected_with_since(
        world: World, log_view: LogView, log_key: SigningKey, populated, trust: Path,
        tmp_path: Path) -> None:
    honest, forked = tmp_path / "honest.note", tmp_path / "forked.note"
    honest.write_text(_forked_checkpoint(world, log_key, 12, fork=False))
    forked.write_text(_forked_checkpoint(world, log_key, 12, fork=True))
    case, whole = tmp_path / "case.ndjson", tmp_path / "all.ndjson"
    export(world, log_view, case, since_size=12)
    export_all(world, log_view, whole)
    for bundle in (case, whole):
        assert verify(bundle, trust, "--since", str(honest)).code == 0
        verdict = verify(bundle, trust, "--since", str(forked))
        assert verdict.code == 1
        assert verdict.lines[0].startswith(
            "checkpoint: not consistent with the older checkpoint (size 12): ")
    assert "calculated first root" in verify(case, trust, "--since", str(forked)).lines[0]
    assert "(a fork)" in verify(whole, trust, "--since", str(forked)).lines[0]


def test_an_event_signed_by_an_unregistered_key_is_named(
        world: World, log_view: LogView, populated, trust: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ghost = sign_envelope(SigningKey.generate(), "ghost", stream=CASE_STREAM,
                          type="NoteRecorded", body={"note": "nobody signed this"})
    index = compromised_append(world, ghost, monkeypatch)
    log_view.issue_checkpoint()
    whole = tmp_path / "all.ndjson"
    export_all(world, log_view, whole)
    for workers in ("1", "2"):
        verdict = verify(whole, trust, "--workers", workers)
        assert verdict.code == 1
        assert verdict.line_for(f"index {index} event {ghost['event_id']}:").endswith(
            ": signer key 'ghost' is not registered")


def test_re_encoding_a_stored_envelope_with_the_same_content_is_named(
        world: World, log_view: LogView, populated, trust: Path, tmp_path: Path) -> None:
    index, event_id, raw = receipt(world, CASE_STREAM, 4)
    escaped = json.dumps(json.loads(raw), ensure_ascii=True, separators=(",", ":"),
                         sort_keys=True).encode()          # 占 -> \u5360: same JSON value
    assert escaped != raw and json.loads(escaped) == json.loads(raw)
    replace_envelope(world, raw, escaped)
    for verdict in both_bundles(world, log_view, tmp_path, trust):
        assert verdict.code == 1
        line = verdict.line_for(f"index {index} event {event_id}:")
        assert "stored envelope is not RFC 8785 canonical JSON" in line
        assert "signature does not verify" not in line     # the content is what was signed


def withhold(bundle: Path, event_id: str) -> None:
    """Leave the event ``event_id`` out of ``bundle``, as an exporter who controls the server
    can (its lines are the exporter's to choose; the end line's counts follow, its signed
    heads stay)."""
    lines = bundle.read_bytes().splitlines(keepends=True)
    kept = [line for line in lines if f'"event_id":"{event_id}"'.encode() not in line]
    assert len(kept) == len(lines) - 1
    end = json.loads(kept[-1])
    end["events"] -= 1
    kept[-1] = fmt.end_line(**{k: v for k, v in end.items() if k != "t"})
    bundle.write_bytes(b"".join(kept))


def _forged_after_the_revocation(world: World, log_view: LogView, monkeypatch: pytest.MonkeyPatch,
                                 case: Path) -> tuple[int, str, dict]:
    """The thief holds app2's lost device, revoked at keys version 4; the administrator inserts
    its note past the service's checks, the next checkpoint covers it, and the case's bundle is
    exported to ``case``. Returns the revocation's index and id, and the forged envelope."""
    revoked_at, revocation, _ = receipt(world, "keys", 4)
    forged = note(world, "app2", text="fine waived")
    index = compromised_append(world, forged, monkeypatch)
    assert index > revoked_at
    log_view.issue_checkpoint()
    export(world, log_view, case)
    return revoked_at, revocation, forged


def test_a_scoped_bundle_withholding_a_key_revocation_is_refused(
        world: World, log_view: LogView, populated, trust: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    case = tmp_path / "case.ndjson"
    _, revocation, _ = _forged_after_the_revocation(world, log_view, monkeypatch, case)
    withhold(case, revocation)           # without it, app2 looks valid at the forged event
    verdict = verify(case, trust)
    assert verdict.code == 1, verdict
    assert ("keys stream: version 4 of 4 named by the checkpoint is absent — a key revocation "
            "may be withheld") in verdict.lines


def test_a_scoped_bundle_holding_every_key_event_names_the_forged_event_alone(
        world: World, log_view: LogView, populated, trust: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    case = tmp_path / "case.ndjson"
    revoked_at, _, forged = _forged_after_the_revocation(world, log_view, monkeypatch, case)
    verdict = verify(case, trust)
    assert verdict.code == 1
    assert verdict.line_for(f"event {forged['event_id']}:").endswith(
        f": signer key 'app2' was revoked at log index {revoked_at} (device lost)")
    assert len(verdict.lines) == 2          # the forged event, and the summary
    assert "key registry" not in verdict.err      # its completeness is proven


def test_a_revocation_hidden_from_the_checkpointer_is_named_by_a_whole_log_audit(
        world: World, log_view: LogView, populated, trust: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys line is read from the database: an administrator who relabels the stored
    revocation's receipt makes the service sign a head without it. The signed line then
    disagrees with the log's leaves, which a whole-log audit holds, and with any older
    checkpoint that named the revocation."""
    older = tmp_path / "older.note"
    older.write_text(log_view.latest_checkpoint().note)     # names keys version 4
    revoked_at, _, _ = receipt(world, "keys", 4)
    with superuser(world) as conn:
        conn.execute("UPDATE ledger_receipts SET stream = 'hidden' WHERE log_index = %s",
                     (revoked_at,))
    forged = note(world, "app2", text="fine waived")
    compromised_append(world, forged, monkeypatch)
    assert "\nkeys 3 " in log_view.issue_checkpoint().note    # the false head, signed
    case, whole = tmp_path / "case.ndjson", tmp_path / "all.ndjson"
    export(world, log_view, case, since_size=19)
    export_all(world, log_view, whole)
    assert verify(case, trust).code == 0          # the scoped bundle alone cannot tell
    verdict = verify(whole, trust)
    assert verdict.code == 1
    assert ("keys stream: the bundle holds version 4 below the tree size of the checkpoint, "
            "which names version 3 as the stream's head: the checkpoint disagrees with the "
            "log") in verdict.lines
    verdict = verify(case, trust, "--since", str(older))
    assert verdict.code == 1
    assert ("keys stream: version 4 of 4 named by the older checkpoint is absent — a key "
            "revocation may be withheld") in verdict.lines


def test_a_key_registration_no_root_signed_is_not_trusted_by_a_service(
        world: World, populated, monkeypatch: pytest.MonkeyPatch) -> None:
    """The administrator records a KeyRegistered for a key of theirs, signed by no pinned root
    (it claims root-1), past the service's checks; a service that loads the registry from the
    database afterwards (a restart, another process) must not let that key sign anything."""
    from ledger.errors import UnknownKey
    from ledger.service import Ledger
    from ledger.store import LedgerStore, datastore_from_url

    from . import minimal_vocabulary
    from ledger.crypto import b64url_encode

    from .conftest import ROOT_ID
    mallory = SigningKey.generate()
    forged = sign_envelope(SigningKey.generate(), ROOT_ID, stream="keys", type="KeyRegistered",
                           body={"key_id": "mallory", "public_key": b64url_encode(
                               mallory.public_key), "principal": "principal:mallory",
                               "roles": ["case-app"], "not_before": None, "not_after": None})
    compromised_append(world, forged)
    store = LedgerStore(datastore_from_url(world.app_url))
    other = Ledger(store, root_keys={ROOT_ID: world.root.public_key}, types=minimal_vocabulary)
    try:
        waiver = sign_envelope(mallory, "mallory", stream=CASE_STREAM, type="NoteRecorded",
                               body={"note": "fine waived"})
        before = world.count()
        with pytest.raises(UnknownKey, match="'mallory' is not registered"):
            other.append(canonical(waiver))
        assert world.count() == before
        assert "mallory" not in other.refresh_registry().keys
        # a genuine registration recorded after the forged one still applies
        world.register("app3", ["case-app"])
        other.append(canonical(note(world, "app3", text="after the forgery")))
        assert world.count() == before + 2
    finally:
        other.close()
        store.close()
