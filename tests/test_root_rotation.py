"""Rotating a root key (``ledger keys rotate-root``): the new root registers keys from then on,
the old one is retired from a log position — the service and ``ledger verify`` refuse what it
signs at or after it, and what it signed before stays valid and verifies."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import asgi, create_app
from api.cli import main as ledger_main
from ledger.bootstrap import build_ledger
from ledger.canonical import canonical
from ledger.client import sign_envelope
from ledger.config import Settings
from ledger.crypto import SigningKey, b64url_decode, b64url_encode
from ledger.errors import KeyRevoked, LedgerError
from ledger.keys import KeyRegistry
from ledger.note import vkey_for
from ledger.verify.errors import InvalidBundle
from ledger.verify.registry import Registry
from ledger.verify.trust import Trust

from .bundles import verify

OLD, NEW = SigningKey(bytes([7]) * 32), SigningKey(bytes([8]) * 32)
JUNE = datetime(2024, 6, 1, tzinfo=UTC)


def test_a_retired_root_signs_key_events_only_below_its_retirement_position() -> None:
    roots = {"root-1": OLD.public_key, "root-2": NEW.public_key}
    service = KeyRegistry(roots=roots, retired_roots={"root-1": 5})
    auditor = Registry(roots, retired={"root-1": 5})
    for event_type in ("KeyRegistered", "KeyRevoked"):
        service.authorise(key_id="root-1", event_type=event_type, index=4, at=JUNE,
                          signer_roles=())
        assert auditor.judge(key_id="root-1", event_type=event_type, index=4,
                             recorded_at="2024-06-01T00:00:00Z", signer_roles=None) is None
        for index in (5, 6, None):      # None: the next position
            with pytest.raises(KeyRevoked, match=r"^root key 'root-1' was retired at log "
                               r"index 5 \(a root rotation\)$"):
                service.authorise(key_id="root-1", event_type=event_type, index=index,
                                  at=JUNE, signer_roles=())
        assert auditor.judge(key_id="root-1", event_type=event_type, index=5,
                             recorded_at="2024-06-01T00:00:00Z", signer_roles=None) == (
            "root key 'root-1' was retired at log index 5 (a root rotation)")
        service.authorise(key_id="root-2", event_type=event_type, index=9, at=JUNE,
                          signer_roles=())
        assert auditor.judge(key_id="root-2", event_type=event_type, index=9,
                             recorded_at="2024-06-01T00:00:00Z", signer_roles=None) is None
    assert service.keys["root-1"].to_value()["retired_at"] == 5
    assert service.keys["root-2"].to_value()["retired_at"] is None


def test_a_retirement_of_no_pinned_root_or_not_a_log_index_is_refused() -> None:
    with pytest.raises(LedgerError, match="retires root-9, which is not pinned"):
        KeyRegistry(roots={"root-1": OLD.public_key}, retired_roots={"root-9": 3})
    with pytest.raises(LedgerError, match="retired_at must be a log index"):
        KeyRegistry(roots={"root-1": OLD.public_key}, retired_roots={"root-1": -1})


def test_ledger_json_and_root_key_arguments_pin_a_retired_root(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    log = {"origin": "o.test/log", "public_key": b64url_encode(SigningKey(bytes([9]) * 32)
                                                              .public_key)}
    (home / "ledger.json").write_text(json.dumps({"root_keys": {
        "root-1": {"public_key": b64url_encode(OLD.public_key), "retired_at": 12},
        "root-2": b64url_encode(NEW.public_key)}, "log": log}))
    settings = Settings.from_env({"LEDGER_HOME": str(home)})
    assert settings.root_keys == {"root-1": OLD.public_key, "root-2": NEW.public_key}
    assert settings.root_retired == {"root-1": 12}
    trust = Trust.from_config(home / "ledger.json")
    assert trust.roots == settings.root_keys and trust.root_retired == {"root-1": 12}
    vkey = vkey_for(trust.log_keys[0].name, trust.log_keys[0].public_key)
    by_args = Trust.from_args(log_keys=[vkey], origin=None, root_keys=[
        f"root-1={b64url_encode(OLD.public_key)}@12", f"root-2={b64url_encode(NEW.public_key)}"])
    assert by_args.roots == trust.roots and by_args.root_retired == {"root-1": 12}
    env = Settings.from_env({"LEDGER_HOME": str(tmp_path / "none"), "LEDGER_ROOT_KEYS":
                             f"root-1={b64url_encode(OLD.public_key)}@12,"
                             f"root-2={b64url_encode(NEW.public_key)}"})
    assert env.root_keys == settings.root_keys and env.root_retired == {"root-1": 12}
    for bad in ("x", -1, True, None):
        (home / "ledger.json").write_text(json.dumps({"root_keys": {"root-1": {
            "public_key": b64url_encode(OLD.public_key), "retired_at": bad}}, "log": log}))
        with pytest.raises(LedgerError, match="retired_at must be a log index"):
            Settings.from_env({"LEDGER_HOME": str(home)})
        with pytest.raises(InvalidBundle, match="retired_at must be a log index"):
            Trust.from_config(home / "ledger.json")
    with pytest.raises(InvalidBundle, match="retired_at must be a log index"):
        Trust.from_args(log_keys=[vkey], origin=None,
                        root_keys=[f"root-1={b64url_encode(OLD.public_key)}@x"])


@pytest.fixture
def home(database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0           # the dashboard key, by root-1: index 0
    return home


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = ledger_main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def key_signers(url: str) -> list[tuple[int, str, str]]:
    """(log index, key id, signer) of every event on stream ``keys``, in log order."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT r.log_index, e.state FROM ledger_receipts r JOIN "
                            "stored_events e ON e.originator_id = r.originator_id AND "
                            "e.originator_version = r.stream_version WHERE r.stream = 'keys' "
                            "ORDER BY r.log_index").fetchall()
    return [(i, (s := json.loads(bytes(state)))["body"]["key_id"], s["signer"])
            for i, state in rows]


def registration(root: SigningKey, root_id: str, key_id: str) -> bytes:
    return canonical(sign_envelope(root, root_id, stream="keys", type="KeyRegistered", body={
        "key_id": key_id, "public_key": b64url_encode(SigningKey.generate().public_key),
        "principal": "unit:SH-HP-01/case-app", "roles": ["case-app"], "not_before": None,
        "not_after": None}))


def test_rotating_the_root_retires_the_old_one_from_a_log_position(
        home: Path, database: tuple[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    owner = database[0]
    assert run(capsys, "keys", "register", "--key-id", "app", "--principal", "p", "--role",
               "case-app")[0] == 0                                       # index 1, by root-1
    before = tmp_path / "before.ndjson"
    assert run(capsys, "export", "--all", "--out", str(before))[0] == 0
    old_settings = Settings.from_env()             # what a service not yet restarted holds
    old_root = SigningKey(b64url_decode((home / "secrets" / "root-1.key").read_text().strip()))

    code, out, err = run(capsys, "keys", "rotate-root")
    assert code == 0, err
    config = json.loads((home / "ledger.json").read_text())
    assert config["root_keys"]["root-1"] == {"public_key": b64url_encode(old_root.public_key),
                                             "retired_at": 2}
    new_root = SigningKey(b64url_decode((home / "secrets" / "root-2.key").read_text().strip()))
    assert config["root_keys"]["root-2"] == b64url_encode(new_root.public_key)
    assert not (home / "secrets" / "root-1.key").exists()
    assert (home / "secrets" / "root-1.key.retired").read_text().strip() == \
        b64url_encode(old_root.seed)
    assert "root-2 registers and revokes keys from now on" in out
    assert "root-1 is retired from log index 2" in out
    assert run(capsys, "init")[0] == 0          # as every `make run`: the rotated home is whole

    # the CLI signs with the new root; the old root's registrations keep their keys
    assert run(capsys, "keys", "register", "--key-id", "app2", "--principal", "p", "--role",
               "case-app")[0] == 0
    assert key_signers(owner)[-1] == (2, "app2", "key:root-2")
    code, out, _ = run(capsys, "keys", "list")
    assert "retired root from index 2" in out and "pinned root" in out

    token = run(capsys, "tokens", "create", "--principal", "p", "--role", "poster")[1].strip()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    ledger = build_ledger(Settings.from_env(), url=owner)         # a service started after
    try:
        with TestClient(asgi(create_app(ledger))) as http:
            count = len(key_signers(owner))
            refused = http.post("/v1/events", headers=headers,
                                content=registration(old_root, "root-1", "stolen"))
            assert refused.status_code == 403, refused.text
            problem = refused.json()
            assert problem["type"].endswith(":key-revoked") and problem["field"] == "signer"
            assert "root key 'root-1' was retired at log index 2" in problem["detail"]
            assert len(key_signers(owner)) == count                      # nothing written
            app = SigningKey(b64url_decode((home / "secrets" / "app.key").read_text().strip()))
            clue = sign_envelope(app, "app", stream="case:SH-HP-2024-000123",
                                 type="ClueRegistered", body={
                                     "clue_id": "C-1", "source": "patrol",
                                     "unit_id": "SH-HP-CG-02"})
            accepted = http.post("/v1/events", headers=headers, content=canonical(clue))
            assert accepted.status_code in (200, 201), accepted.text  # root-1's key signs on
    finally:
        ledger.close()
        ledger.store.close()
    after = tmp_path / "after.ndjson"
    assert run(capsys, "export", "--all", "--out", str(after))[0] == 0
    trust = home / "ledger.json"                   # what auditors get after the rotation
    for bundle, events in ((before, 2), (after, 4)):
        verdict = verify(bundle, trust)
        assert verdict.code == 0, verdict
        assert f"OK: {events} events" in verdict.out

    # a service still holding the old configuration takes the old root's registration: the
    # database holds it, and `ledger verify` with the trust file of the rotation names it
    stale = build_ledger(replace(old_settings, root_retired={}), url=owner)
    try:
        stale.append(registration(old_root, "root-1", "stolen"))
    finally:
        stale.close()
        stale.store.close()
    assert key_signers(owner)[-1] == (4, "stolen", "key:root-1")
    forced = tmp_path / "forced.ndjson"
    assert run(capsys, "export", "--all", "--out", str(forced))[0] == 0
    verdict = verify(forced, trust)
    assert verdict.code == 1, verdict
    assert "root key 'root-1' was retired at log index 2 (a root rotation)" in verdict.out


def test_init_after_a_rotation_names_the_root_key_in_force(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger init` (every `make run`) said `root key: …/root-1.key` after `ledger keys
    rotate-root` had moved that seed to root-1.key.retired: it names root-2.key, which signs."""
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert f"root key:    {home / 'secrets' / 'root-1.key'} (keep offline" in out
    assert run(capsys, "keys", "rotate-root")[0] == 0
    code, out, err = run(capsys, "init")
    assert code == 0, err
    [line] = [line for line in out.splitlines() if line.startswith("root key:")]
    assert line == f"root key:    {home / 'secrets' / 'root-2.key'} (keep offline in production)"
    assert (home / "secrets" / "root-2.key").exists()


def test_rotate_root_is_refused_while_ledger_root_keys_pins_the_roots(
        home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = json.loads((home / "ledger.json").read_text())
    monkeypatch.setenv("LEDGER_ROOT_KEYS", f"root-1={config['root_keys']['root-1']}")
    pinned, secrets = (home / "ledger.json").read_bytes(), sorted((home / "secrets").iterdir())
    code, _, err = run(capsys, "keys", "rotate-root")
    assert code == 2 and "LEDGER_ROOT_KEYS pins the root keys" in err
    assert (home / "ledger.json").read_bytes() == pinned                # nothing changed
    assert sorted((home / "secrets").iterdir()) == secrets


def test_a_second_rotation_retires_the_second_root_and_keeps_the_first_retirement(
        home: Path, database: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "keys", "rotate-root")[0] == 0                 # root-1 retired from 1
    assert run(capsys, "keys", "register", "--key-id", "app", "--principal", "p", "--role",
               "case-app")[0] == 0                                    # index 1, by root-2
    code, out, err = run(capsys, "keys", "rotate-root")
    assert code == 0, err
    roots = json.loads((home / "ledger.json").read_text())["root_keys"]
    assert roots["root-1"]["retired_at"] == 1 and roots["root-2"]["retired_at"] == 2
    assert isinstance(roots["root-3"], str) and "root-3 registers and revokes keys" in out
    assert run(capsys, "keys", "register", "--key-id", "app2", "--principal", "p", "--role",
               "case-app")[0] == 0
    assert [signer for _, _, signer in key_signers(database[0])] == [
        "key:root-1", "key:root-2", "key:root-3"]
