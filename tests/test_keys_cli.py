"""`ledger keys list`: an operator reads the key registry, against the real PostgreSQL of the
test session."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from api.cli import main as ledger_main
from ledger.crypto import b64url_encode

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


def test_keys_list_on_a_database_without_a_ledger_say_run_init(
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
        for argv in (["keys", "list"],):
            code, _, err = cli(capsys, *argv)
            assert code == 2 and "the database holds no ledger: run `ledger init`" in err
    finally:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
