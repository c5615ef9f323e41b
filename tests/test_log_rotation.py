"""Rotating the log key (the key that signs checkpoints): the new key extends the log from the
retired key's last checkpoint, the retired key's issuer stops, auditors pin the new key."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

from api.cli import main as ledger_main
from ledger.checkpoint import open_checkpoint
from ledger.crypto import SigningKey, b64url_decode, b64url_encode
from ledger.logview import ForeignLogKey, LogView
from ledger.note import parse_vkey, vkey_for

from .bundles import export_all, note, trust_file, verify
from .conftest import LOG_ORIGIN, ROOT_ID, World


def issuer(world: World, key: SigningKey, retired: tuple[bytes, ...] = ()) -> LogView:
    return LogView(world.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
                   signing_key=key, retired_keys=retired)


def test_a_new_log_key_extends_the_log_only_from_a_key_it_retired(
        world: World, log_view: LogView, log_key: SigningKey, tmp_path: Path) -> None:
    world.register("app", ["case-app"])
    world.post(note(world, text="before the rotation"))
    before = tmp_path / "before.ndjson"
    export_all(world, log_view, before)             # signed by the old key, size 2
    world.post(note(world, text="after the rotation"))
    new = SigningKey.generate()
    with pytest.raises(ForeignLogKey, match="checkpoint 2 is not signed by this process's"):
        issuer(world, new).issue_checkpoint()       # a key that replaced nothing: refused
    rotated = issuer(world, new, (log_key.public_key,))
    first = rotated.issue_checkpoint()
    assert first.size == 3
    assert open_checkpoint(first.note, [parse_vkey(vkey_for(LOG_ORIGIN, new.public_key))],
                           LOG_ORIGIN).size == 3
    world.post(note(world, text="later"))
    with pytest.raises(ForeignLogKey, match="checkpoint 3 is not signed"):
        log_view.issue_checkpoint()                 # the retired key's issuer signs no more
    assert rotated.issue_checkpoint().size == 4
    after = tmp_path / "after.ndjson"
    export_all(world, rotated, after)
    new_trust = trust_file(tmp_path, world, new)
    verdict = verify(after, new_trust)
    assert verdict.code == 0, verdict
    assert "OK: 4 events" in verdict.out            # the events before the rotation too
    assert verify(before, new_trust).code == 1      # the retired key is not trusted
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert ledger_main(["verify", str(before), "--root-key",
                            f"{ROOT_ID}={b64url_encode(world.root.public_key)}",
                            "--log-key", vkey_for(LOG_ORIGIN, new.public_key),
                            "--log-key", vkey_for(LOG_ORIGIN, log_key.public_key)]) == 0


@pytest.fixture
def home(database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0           # registers the dashboard key: one leaf
    return home


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = ledger_main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ledger_log_rotate_key_replaces_the_key_and_the_log_goes_on(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "export", "--all", "--out", str(tmp_path / "before.ndjson"))[0] == 0
    config = json.loads((home / "ledger.json").read_text())
    old = config["log"]["public_key"]
    old_seed = (home / "secrets" / "log.key").read_text()
    code, out, err = run(capsys, "log", "rotate-key")
    assert code == 0, err
    rotated = json.loads((home / "ledger.json").read_text())
    new = rotated["log"]["public_key"]
    assert new != old and rotated["log"]["retired_public_keys"] == [old]
    assert rotated["root_keys"] == config["root_keys"]
    [retired] = (home / "secrets").glob("log.key.retired-*")
    assert retired.read_text() == old_seed
    assert (home / "secrets" / "log.key").read_text() != old_seed
    assert "checkpoint 1 is the new key's first (the log has not grown" in out
    assert "give auditors the new ledger.json" in out
    # init again, as `make run` does: the home extends the log its old key signed
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "keys", "register", "--key-id", "app", "--principal", "p", "--role",
               "case-app")[0] == 0
    after = tmp_path / "after.ndjson"
    code, _, err = run(capsys, "export", "--all", "--out", str(after))
    assert code == 0, err
    code, out, _ = run(capsys, "verify", str(after), "--trust", str(home / "ledger.json"))
    assert code == 0 and "OK: 2 events" in out
    code, out, _ = run(capsys, "verify", str(tmp_path / "before.ndjson"), "--trust",
                       str(home / "ledger.json"))
    assert code == 1                            # the retired key is trusted by no verifier


def test_rotate_key_on_a_log_another_key_signs_is_refused_and_changes_nothing(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "export", "--all", "--out", str(tmp_path / "b.ndjson"))[0] == 0
    stranger = SigningKey.generate()            # a home that holds another log's key
    config = json.loads((home / "ledger.json").read_text())
    config["log"]["public_key"] = b64url_encode(stranger.public_key)
    (home / "ledger.json").write_text(json.dumps(config))
    (home / "secrets" / "log.key").write_text(b64url_encode(stranger.seed) + "\n")
    files = {p: p.read_bytes() for p in home.rglob("*") if p.is_file() and "pgdata" not in
             p.parts}
    code, _, err = run(capsys, "log", "rotate-key")
    assert code == 2 and "checkpoint 1 is not signed by this process's log key" in err
    assert {p: p.read_bytes() for p in home.rglob("*") if p.is_file() and "pgdata" not in
            p.parts} == files


def test_rotate_key_on_a_log_that_has_not_grown_signs_its_checkpoint_with_the_new_key(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tmp_path / "before.ndjson"
    assert run(capsys, "export", "--all", "--out", str(before))[0] == 0   # checkpoint 1, old key
    old = json.loads((home / "ledger.json").read_text())["log"]
    code, out, err = run(capsys, "log", "rotate-key")
    assert code == 0, err
    assert "checkpoint 1 is the new key's first" in out
    after = tmp_path / "after.ndjson"
    code, _, err = run(capsys, "export", "--all", "--since-size", "1", "--out", str(after))
    assert code == 0, err
    code, out, err = run(capsys, "verify", str(after), "--trust", str(home / "ledger.json"))
    assert code == 0, out + err                 # the new trust file alone: the new key's
    assert "OK: 1 events" in out
    # an auditor holding the old checkpoint, pinning both keys: the log extends it
    old_note = tmp_path / "old.note"
    old_note.write_text(next(v for v in json.loads(before.read_text().splitlines()[1]).values()
                             if isinstance(v, str) and "\u2014" in v))
    config = json.loads((home / "ledger.json").read_text())
    name = config["log"]["key_name"]
    roots = [f"--root-key={k}={v}" for k, v in config["root_keys"].items()]
    keys = [f"--log-key={vkey_for(name, b64url_decode(k, what='key'))}"
            for k in (config["log"]["public_key"], old["public_key"])]
    code, out, err = run(capsys, "verify", str(after), "--since", str(old_note), *roots, *keys)
    assert code == 0, out + err
    assert "older checkpoint of tree size 1" in out
    # a process still holding the old key issues no checkpoint once the log grows
    assert run(capsys, "keys", "register", "--key-id", "app", "--principal", "p", "--role",
               "case-app")[0] == 0
    from ledger.store import LedgerStore, datastore_from_url
    url = os.environ["LEDGER_DATABASE_URL"]
    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0), url=url)
    try:
        old_seed = next((home / "secrets").glob("log.key.retired-*")).read_text().strip()
        stale = LogView(store, origin=old["origin"], key_name=name,
                        signing_key=SigningKey(b64url_decode(old_seed, what="seed", size=32)))
        with pytest.raises(ForeignLogKey, match="checkpoint 1 is not signed"):
            stale.issue_checkpoint()
    finally:
        store.close()


def test_rotate_key_upgrades_a_database_whose_checkpoints_are_keyed_by_size(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import psycopg
    assert run(capsys, "export", "--all", "--out", str(tmp_path / "b.ndjson"))[0] == 0
    with psycopg.connect(os.environ["LEDGER_DATABASE_URL"]) as conn:   # as before 2026-11-28
        conn.execute("ALTER TABLE ledger_checkpoints DROP COLUMN seq")
        conn.execute("ALTER TABLE ledger_checkpoints ADD PRIMARY KEY (tree_size)")
    code, out, err = run(capsys, "log", "rotate-key")
    assert code == 0, err
    assert "checkpoint 1 is the new key's first" in out
    after = tmp_path / "after.ndjson"
    assert run(capsys, "export", "--all", "--out", str(after))[0] == 0
    code, out, err = run(capsys, "verify", str(after), "--trust", str(home / "ledger.json"))
    assert code == 0, out + err


def test_a_database_older_than_the_code_is_named_and_init_brings_it_up_to_date(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A database `ledger init` made before checkpoints were kept in issue order: the commands
    that read the log refuse it, exit 2, naming what is missing and what to run — not a
    statement the database refuses halfway; `ledger init` (the owner role) then completes it."""
    import psycopg
    with psycopg.connect(os.environ["LEDGER_DATABASE_URL"]) as conn:   # as before 2026-11-28
        conn.execute("ALTER TABLE ledger_checkpoints DROP COLUMN seq")
        conn.execute("ALTER TABLE ledger_checkpoints ADD PRIMARY KEY (tree_size)")
    bundle = tmp_path / "b.ndjson"
    code, out, err = run(capsys, "export", "--all", "--out", str(bundle))
    assert code == 2 and not bundle.exists()
    assert "ledger_checkpoints has no column seq" in err
    assert "run `ledger init` once with the owner role's LEDGER_DATABASE_URL" in err
    assert run(capsys, "init")[0] == 0
    code, out, err = run(capsys, "export", "--all", "--out", str(bundle))
    assert code == 0, err
    assert verify(bundle, home / "ledger.json").code == 0
