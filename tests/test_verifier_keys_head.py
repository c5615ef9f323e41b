"""The checkpoint's keys line: a scoped bundle must carry the key registry up to the head the
checkpoint names, so an exporter cannot withhold a KeyRevoked (ledger/keyshead.py,
ledger/verify/keyshead.py, docs/merkle.md §The keys line).

Built in memory (no database): ``tests/forged.py``. The adversary holds the database and the
log key's service (it signs a checkpoint of whatever the tree holds), not the root's key.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ledger import merkle
from ledger.checkpoint import MalformedCheckpoint
from ledger.crypto import b64url_encode
from ledger.keyshead import KeysHead
from ledger.logentry import chain_genesis
from ledger.note import vkey_for
from ledger.verify import BundleFailed, command, verify_bundle
from ledger.verify import format as fmt

from .forged import LOG, ORIGIN, ROOT, TRUST, WHOLE, Log, failures_of
from .test_verifier_adversarial import CASE, OTHER, _event_id, _signed, note, registration

WITHHELD = "a key revocation may be withheld"


def revocation(i: int, key_id: str = "device-1") -> bytes:
    return _signed(ROOT, event_id=_event_id(i), stream="keys", type="KeyRevoked",
                   signer="key:root-1", body={"key_id": key_id, "reason": "lost"})


def _stolen() -> Log:
    """device-1 revoked at keys version 2 (index 2); the thief's note after it (index 3)."""
    return Log(registration(), note(1), revocation(9), note(2, "罚款已退还"))


@pytest.mark.parametrize("workers", [0, 2])
def test_a_scoped_bundle_withholding_the_last_revocation_is_refused(tmp_path: Path,
                                                                    workers: int) -> None:
    path = _stolen().bundle(tmp_path / "b.ndjson", CASE,
                            lines=[(0, "event"), (1, "event"), (3, "event")])
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(path, TRUST, workers=workers)
    assert failed.value.failures == [("keys stream: version 2 of 2 named by the checkpoint is absent — "
                         f"{WITHHELD}")]


def test_a_scoped_bundle_holding_the_revocation_names_the_thiefs_event(tmp_path: Path) -> None:
    failures = failures_of(_stolen().bundle(tmp_path / "b.ndjson", CASE))
    assert failures == [(f"index 3 event {_event_id(2)}: signer key 'device-1' was revoked "
                         "at log index 2 (lost)")]


def test_a_scoped_bundle_with_the_whole_registry_verifies(tmp_path: Path) -> None:
    log = Log(registration(), note(1), registration(8, key_id="device-2", key=OTHER), note(2))
    summary = verify_bundle(log.bundle(tmp_path / "b.ndjson", CASE), TRUST, workers=0)
    assert summary.key_events == 2
    assert not [n for n in summary.notices if "keys line" in n]


def test_a_log_without_key_events_names_version_0_and_the_genesis(tmp_path: Path) -> None:
    assert KeysHead.empty() == KeysHead(0, chain_genesis("keys"))
    log = Log()
    assert log.keys_head() == KeysHead.empty()
    assert verify_bundle(log.bundle(tmp_path / "b.ndjson", WHOLE), TRUST, workers=0).events == 0


def test_an_older_checkpoint_without_the_line_verifies_with_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Checkpoints signed before the ledger wrote the line prove no head: the bundle verifies as
    it did, and stderr says what is not proven (the attack above then goes unnoticed)."""
    path = _stolen().bundle(tmp_path / "b.ndjson", CASE, extensions=(),
                            lines=[(0, "event"), (1, "event"), (3, "event")])
    code = command.main([str(path), "--log-key", vkey_for(ORIGIN, LOG.public_key),
                         "--root-key", f"root-1={b64url_encode(ROOT.public_key)}",
                         "--workers", "1"])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("OK: ")
    assert ("note: the checkpoint (tree size 4) has no keys line, so the completeness of the "
            "bundle's key registry is not proven by it") in err


def test_a_whole_log_bundle_under_an_older_checkpoint_needs_no_note(tmp_path: Path) -> None:
    """Every leaf is there, the root recomputed: the registry is whole without a line."""
    log = Log(registration(), note(1))
    summary = verify_bundle(log.bundle(tmp_path / "b.ndjson", WHOLE, extensions=()), TRUST,
                            workers=0)
    assert not [n for n in summary.notices if "keys line" in n]


@pytest.mark.parametrize("scope", [CASE, WHOLE], ids=["case", "whole-log"])
def test_a_line_naming_an_earlier_head_than_the_log_holds_is_refused(
        tmp_path: Path, scope: dict) -> None:
    """The service read a database whose revocation was hidden from it (a receipt relabelled):
    the signed line then disagrees with the log, and the log's leaves show it."""
    log = _stolen()
    false = log.keys_head(2).line()              # version 1: the revocation left out
    failures = failures_of(log.bundle(tmp_path / "b.ndjson", scope, extensions=(false,)))
    assert failures[0] == ("keys stream: the bundle holds version 2 below the tree size of the "
                           "checkpoint, which names version 1 as the stream's head: the "
                           "checkpoint disagrees with the log")


def test_a_line_naming_another_chain_hash_is_refused(tmp_path: Path) -> None:
    log = Log(registration(), note(1), revocation(9))
    false = KeysHead(2, bytes(32)).line()
    failures = failures_of(log.bundle(tmp_path / "b.ndjson", WHOLE, extensions=(false,)))
    assert failures == [("keys stream: version 2 has chain hash "
                         f"{log.keys_head().chain_hash.hex()}, the checkpoint names "
                         f"{'00' * 32}: the checkpoint disagrees with the log")]


@pytest.mark.parametrize("lines, reason", [
    (["keys 2"], "keys line 'keys 2' is not 'keys <version> <base64 chain hash>'"),
    (["keys 02 " + base64.b64encode(bytes(32)).decode()], "is not 'keys <version>"),
    (["keys 2 " + base64.b64encode(bytes(31)).decode()], "is not 'keys <version>"),
    (["keys 2 " + base64.b64encode(bytes(32)).decode().rstrip("=")], "is not 'keys <version>"),
    (["keys 0 " + base64.b64encode(bytes(32)).decode()], "not the stream's genesis"),
    (["keys", "witness x"], "is not 'keys <version>"),
    ([KeysHead(2, bytes(32)).line(), KeysHead(2, bytes(32)).line()], "checkpoint has 2 keys lines"),
])
def test_a_malformed_or_doubled_keys_line_fails_the_bundle(tmp_path: Path, lines: list[str],
                                                           reason: str) -> None:
    """The line is signed: a malformed one is the log's fault, not an older format."""
    with pytest.raises(MalformedCheckpoint, match="keys"):
        KeysHead.of_extensions(lines)
    failures = failures_of(_stolen().bundle(tmp_path / "b.ndjson", CASE, extensions=lines))
    assert [f for f in failures if f.startswith("checkpoint: ") and reason in f], failures


def test_other_extension_lines_are_ignored(tmp_path: Path) -> None:
    log = Log(registration(), note(1))
    path = log.bundle(tmp_path / "b.ndjson", CASE,
                      extensions=("keysight 1 x", log.keys_head().line(), "witness ok"))
    assert verify_bundle(path, TRUST, workers=0).events == 2


def test_an_older_checkpoints_line_holds_the_bundle_below_its_size(tmp_path: Path) -> None:
    """An auditor holds a checkpoint that named the revocation; the exporter's newer one names
    a head without it (the database hid it from the service): passing the older one with
    --since names what the newer one left out."""
    log = _stolen()
    log.append(note(3))
    older = log.checkpoint(3)                    # names keys version 2, the revocation
    newer_line = log.keys_head(2).line()         # version 1: a false head
    path = log.bundle(tmp_path / "b.ndjson", CASE, extensions=(newer_line,),
                      lines=[(0, "event"), (1, "event"), (3, "event"), (4, "event")])
    # with the newer checkpoint alone, the withheld revocation is not seen
    assert verify_bundle(path, TRUST, workers=0).events == 4
    proof = merkle.consistency_proof_from_nodes(3, 5, log.nodes(5))
    path.write_bytes(path.read_bytes().replace(b'"t":"checkpoint"}\n', b'"t":"checkpoint"}\n' +
                     fmt.consistency_line(3, 5, proof), 1))
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(path, TRUST, since=older, workers=0)
    assert failed.value.failures == [
        f"keys stream: version 2 of 2 named by the older checkpoint is absent — {WITHHELD}"]


def test_a_malformed_line_in_the_older_checkpoint_is_named(tmp_path: Path) -> None:
    log = Log(registration(), note(1))
    older = log.checkpoint(2, ("keys x",))
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(log.bundle(tmp_path / "b.ndjson", WHOLE), TRUST, since=older, workers=0)
    assert failed.value.failures == [
        "older checkpoint: keys line 'keys x' is not 'keys <version> <base64 chain hash>'"]

