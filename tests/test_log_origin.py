"""`ledger init --origin NAME`: a deployment names its own log. The origin is the first line of
every signed checkpoint and what an auditor's `ledger verify --trust ledger.json` checks, so it is
chosen once, when the home is made, and never changed afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from api.cli import main as ledger_main

from .bundles import verify

ORIGIN = "zfj.example.gov.cn/integrity-ledger"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = ledger_main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def home(database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    return home


def test_a_home_made_with_an_origin_signs_its_checkpoints_under_it(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "init", "--origin", ORIGIN)
    assert code == 0, err
    assert f"log origin:  {ORIGIN}" in out
    log = json.loads((home / "ledger.json").read_text())["log"]
    assert (log["origin"], log["key_name"]) == (ORIGIN, ORIGIN)
    bundle = tmp_path / "all.ndjson"
    code, _, err = run(capsys, "export", "--all", "--out", str(bundle))
    assert code == 0, err
    lines = [json.loads(line) for line in bundle.read_text().splitlines()]
    assert lines[0]["log"]["origin"] == ORIGIN
    (checkpoint,) = [x for x in lines if x["t"] == "checkpoint"]
    assert checkpoint["note"].startswith(ORIGIN + "\n")
    assert f"\u2014 {ORIGIN} " in checkpoint["note"]        # the note's key name is the origin
    assert verify(bundle, home / "ledger.json").code == 0
    # init again, as `make run` does, with or without the same name: nothing changes
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "init", "--origin", ORIGIN)[0] == 0
    assert json.loads((home / "ledger.json").read_text())["log"] == log


def test_a_homes_origin_is_never_changed(home: Path, database: tuple[str, str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Even before its first checkpoint: ledger.json, which pins the name, may already be an
    auditor's trust file."""
    assert run(capsys, "init")[0] == 0
    with psycopg.connect(database[0]) as conn:
        assert conn.execute("SELECT count(*) FROM ledger_checkpoints").fetchone()[0] == 0
    before = (home / "ledger.json").read_bytes()
    code, _, err = run(capsys, "init", "--origin", ORIGIN)
    assert code == 2
    assert "integrity-ledger.local/log" in err and ORIGIN in err
    assert "cannot change its origin" in err
    assert (home / "ledger.json").read_bytes() == before


@pytest.mark.parametrize(("name", "why"), [
    ("", "must not be empty"),
    ("city log", "space"),
    ("city+log", "'+'"),
    ("https://zfj.example.gov.cn/log", "without its scheme"),
    ("zfj.example.gov.cn/\x07log", "control character"),
    ("x" * 256, "at most 255"),
])
def test_an_origin_no_checkpoint_could_carry_is_refused_and_no_home_made(
        home: Path, name: str, why: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "init", "--origin", name)
    assert code == 2 and why in err, err
    assert not home.exists()


def test_a_second_host_initialises_under_the_logs_name_and_is_told_it_when_it_gives_another(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Production: a second host's home, made from the files the first host's init made, inits
    under the log's name against the shared database; given another name it is refused, and a
    fresh home's refusal names the log the database's checkpoints carry — not only a key."""
    from ledger.bootstrap import build_ledger, build_log
    from ledger.config import Settings

    assert run(capsys, "init", "--origin", ORIGIN)[0] == 0
    settings = Settings.from_env()
    ledger = build_ledger(settings)
    try:
        build_log(settings, ledger).issue_checkpoint()      # as its `ledger serve` does
    finally:
        ledger.close()
    second = tmp_path / "second"
    monkeypatch.setenv("LEDGER_HOME", str(second))
    code, _, err = run(capsys, "init", "--origin", "other.example/log")
    assert code == 2
    assert f"this database's log is named {ORIGIN!r}, not 'other.example/log'" in err
    assert not (second / "ledger.json").exists()
    for name in ("ledger.json", "secrets/log.key", "secrets/dashboard.key"):
        (second / name).parent.mkdir(parents=True, exist_ok=True)
        (second / name).write_bytes((home / name).read_bytes())
    code, out, err = run(capsys, "init", "--origin", ORIGIN)
    assert code == 0, err
    assert f"log origin:  {ORIGIN}" in out
    assert run(capsys, "init", "--origin", "other.example/log")[0] == 2
    assert (second / "ledger.json").read_bytes() == (home / "ledger.json").read_bytes()


def _issue_checkpoint() -> None:
    """What the home's `ledger serve` does on its first tick."""
    from ledger.bootstrap import build_ledger, build_log
    from ledger.config import Settings

    settings = Settings.from_env()
    ledger = build_ledger(settings)
    try:
        build_log(settings, ledger).issue_checkpoint()
    finally:
        ledger.close()


def test_a_home_that_lost_its_ledger_json_is_refused_a_new_name_for_its_log(
        embedded_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An embedded home whose ledger.json was lost: `ledger init` (every `make run`, every
    `ledger serve`) wrote a new one under the default name, and the log's checkpoints went on
    under it, where every auditor's trust file pins the name the log was made with. It is
    refused, naming the log and what to restore, and writes nothing; the restored file inits."""
    monkeypatch.setenv("LEDGER_HOME", str(embedded_home))
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    assert run(capsys, "init", "--origin", ORIGIN)[0] == 0
    _issue_checkpoint()
    config = embedded_home / "ledger.json"
    kept = config.read_bytes()
    config.unlink()
    for argv in (("init",), ("serve", "--port", "1")):
        code, _, err = run(capsys, *argv)
        assert code == 2, err
        assert f"signed the database's log under the name {ORIGIN!r}" in err
        assert f"{config} is missing" in err and "'integrity-ledger.local/log'" in err
        assert not config.exists()
    config.write_bytes(kept.replace(ORIGIN.encode(), b"renamed.example/log"))
    code, _, err = run(capsys, "init")
    assert code == 2 and f"{config} names it 'renamed.example/log'" in err
    config.write_bytes(kept)
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert f"log origin:  {ORIGIN}" in out


def test_a_shared_databases_home_that_lost_its_ledger_json_is_told_so_not_of_another_home(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init", "--origin", ORIGIN)[0] == 0
    _issue_checkpoint()
    (home / "ledger.json").unlink()
    code, _, err = run(capsys, "init")
    assert code == 2
    assert f"signed the database's log under the name {ORIGIN!r}" in err
    assert "another home" not in err
    assert not (home / "ledger.json").exists()
