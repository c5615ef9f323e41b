"""`ledger keys revoke` and `ledger keys list`: an operator revokes a lost device's key and reads
the registry, against the real PostgreSQL of the test session."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from api.cli import main as ledger_main
from ledger.canonical import canonical
from ledger.crypto import b64url_encode
from ledger.logview import LogView

from .bundles import CASE_STREAM, export, note, trust_file, verify
from .conftest import ROOT_ID, World


@pytest.fixture
def home(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's home on the world's database, holding the world's root key."""
    home = tmp_path / "home"
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / f"{ROOT_ID}.key").write_text(b64url_encode(world.root.seed) + "\n")
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    monkeypatch.setenv("LEDGER_ROOT_KEYS", f"{ROOT_ID}={b64url_encode(world.root.public_key)}")
    return home


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = ledger_main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def key_events(world: World) -> list[tuple[str, dict]]:
    with psycopg.connect(world.owner_url) as conn:
        rows = conn.execute("SELECT r.event_type, e.state FROM ledger_receipts r JOIN "
                            "stored_events e ON e.originator_id = r.originator_id AND "
                            "e.originator_version = r.stream_version WHERE r.stream = 'keys' "
                            "ORDER BY r.log_index").fetchall()
    return [(t, json.loads(bytes(s))["body"]) for t, s in rows]


def test_revoking_a_key_refuses_what_it_signs_after_and_keeps_what_it_signed_before(
        world: World, home: Path, log_view: LogView, log_key, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    world.register("app", ["case-app"])
    (before,) = world.post(note(world, text="before the device was lost"))
    signed_earlier = note(world, text="signed before, posted after the revocation")
    code, out, err = cli(capsys, "keys", "revoke", "--key-id", "app", "--reason", "device lost")
    assert code == 0, err
    revoked_at = before["index"] + 1
    assert out.startswith(f"revoked key app (principal:app) at log index {revoked_at}, "
                          "recorded ")
    assert f"recorded after index {revoked_at} is refused (403 key-revoked)" in out
    assert key_events(world)[-1] == ("KeyRevoked", {"key_id": "app", "reason": "device lost"})
    count = world.count()
    for envelope in (note(world, text="after"), signed_earlier):
        refused = world.post_raw(canonical(envelope))
        assert refused.status_code == 403
        problem = refused.json()
        assert problem["type"].endswith(":key-revoked") and problem["field"] == "signer"
        assert f"was revoked at log index {revoked_at} (device lost)" in problem["detail"]
    assert world.count() == count
    log_view.issue_checkpoint()
    bundle = tmp_path / "case.ndjson"
    export(world, log_view, bundle)
    events = [json.loads(line) for line in bundle.read_bytes().splitlines()]
    assert [e["receipt"]["index"] for e in events if e["t"] == "event"
            and e["envelope"]["stream"] == CASE_STREAM] == [before["index"]]
    verdict = verify(bundle, trust_file(tmp_path, world, log_key))
    assert verdict.code == 0, verdict
    assert verdict.lines[-1].startswith("OK: 3 events (2 key events) in 2 streams")


def test_revoking_the_dashboards_key_says_the_dashboard_records_no_disposition_after_it(
        world: World, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = world.register("jw-desk", ["inspector"])
    world.register("app", ["case-app"])
    (home / "secrets" / "dashboard.key").write_text(b64url_encode(key.seed) + "\n")
    code, _, err = cli(capsys, "keys", "revoke", "--key-id", "app", "--reason", "retired")
    assert (code, err) == (0, "")
    code, _, err = cli(capsys, "keys", "revoke", "--key-id", "jw-desk", "--reason", "leaked")
    assert code == 0
    assert err == (f"ledger keys revoke: note: the dashboard signs with this key "
                   f"({home / 'secrets' / 'dashboard.key'}): it records no disposition until "
                   "LEDGER_DASHBOARD_KEY names the seed of another registered inspector key "
                   "(docs/dashboard.md)\n")


@pytest.mark.parametrize("argv, message", [
    (["--key-id", "nobody", "--reason", "lost"],
     "ledger keys: --key-id: no key 'nobody' is registered (`ledger keys list` shows the "
     "registry)\n"),
    (["--key-id", ROOT_ID, "--reason", "compromised"],
     f"ledger keys: --key-id: {ROOT_ID} is a root key, pinned in configuration (ledger.json's "
     "root_keys or LEDGER_ROOT_KEYS), not registered by an event: no event revokes it (to "
     "retire a root: `ledger keys rotate-root`, docs/architecture.md)\n"),
    (["--key-id", "gone", "--reason", "again"],
     "ledger keys: --key-id: key 'gone' was already revoked at log index 2 (stolen)\n"),
    (["--key-id", "app", "--reason", ""],
     "ledger keys: --reason: must not be empty: say why the key is revoked (device lost, "
     "stolen, retired)\n"),
    (["--key-id", "app", "--reason", " \t"],
     "ledger keys: --reason: must not be empty: say why the key is revoked (device lost, "
     "stolen, retired)\n"),
    (["--key-id", "app", "--reason", "x" * 501],
     "ledger keys: --reason: must be at most 500 characters, found 501\n"),
])
def test_keys_revoke_refuses_what_it_cannot_revoke_and_writes_nothing(
        world: World, home: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
        message: str) -> None:
    world.register("app", ["case-app"])
    world.register("gone", ["case-app"])
    world.revoke("gone", "stolen")
    count = world.count()
    assert cli(capsys, "keys", "revoke", *argv) == (2, "", message)
    assert world.count() == count


def test_keys_list_shows_every_key_and_its_state_by_the_ledgers_clock(
        world: World, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world.register("app", ["case-app"], principal="unit:SH-HP-01/case-app")
    world.register("jw", ["inspector"], units=["SH-HP-CG-02", "SH-HP-CG-01"])
    world.register("old", ["finance"], not_before="2020-01-01T00:00:00+08:00",
                   not_after="2020-12-31T23:59:59+08:00")
    world.register("later", ["bodycam"], not_before="2999-01-01T00:00:00Z")
    world.revoke("app", "device lost")          # log index 4
    code, out, _ = cli(capsys, "keys", "list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["KEY", "PRINCIPAL", "ROLES", "UNITS", "WINDOW", "STATE"]
    table = {row.split()[0]: row for row in rows}
    assert list(table) == [ROOT_ID, "app", "jw", "old", "later"]
    assert table[ROOT_ID].split() == [ROOT_ID, "root", "root", "all", "-", "pinned", "root"]
    assert table["app"].split() == ["app", "unit:SH-HP-01/case-app", "case-app", "all", "-",
                                    "revoked", "at", "index", "4"]
    assert table["jw"].split()[3:] == ["SH-HP-CG-01,SH-HP-CG-02", "-", "active"]
    assert table["old"].split()[4:] == ["2020-01-01T00:00:00+08:00", "..",
                                        "2020-12-31T23:59:59+08:00", "expired"]
    assert table["later"].split()[4:] == ["2999-01-01T00:00:00+00:00", "..", "…", "not", "yet",
                                          "valid"]
    code, out, _ = cli(capsys, "keys", "list", "--json")
    document = json.loads(out)
    assert document["version"] == 5
    keys = {k["key_id"]: k for k in document["keys"]}
    assert {k: v["status"] for k, v in keys.items()} == {
        ROOT_ID: "active", "app": "revoked", "jw": "active", "old": "expired",
        "later": "not_yet_valid"}
    assert keys["app"]["revoked_at"] == 4 and keys["app"]["revoke_reason"] == "device lost"
    assert keys["jw"]["units"] == ["SH-HP-CG-01", "SH-HP-CG-02"]
    api = world.http.get("/v1/keys", headers=world.headers("auditor")).json()
    assert document == api


def test_keys_revoke_and_list_on_a_database_without_a_ledger_say_run_init(
        cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from .pg import with_db
    name = "bare_keys_cli"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", with_db(cluster.url, name))
    try:
        for argv in (["keys", "list"], ["keys", "revoke", "--key-id", "k", "--reason", "r"]):
            code, _, err = cli(capsys, *argv)
            assert code == 2 and "the database holds no ledger: run `ledger init`" in err
    finally:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
