"""What a newcomer and an integrating system touch first: `ledger serve`'s arguments, the
database URL, ``ledger init``, the Python client."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from api.cli import build_parser
from api.cli import main as ledger_main
from ledger.config import Settings
from ledger.errors import LedgerError
from ledger.store import LedgerStore, datastore_from_url

from .conftest import World
from .test_multiprocess import free_port


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The command line is refused as argparse refuses (exit 2); returns what it said."""
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(list(argv))
    assert exit_.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("port", ["0", "-1", "65536", "99999"])
def test_serve_refuses_a_port_outside_1_to_65535(port: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger serve --port 99999` printed "serving on :99999" and listened on 34463."""
    assert "must be a TCP port, 1 to 65535" in usage_error(capsys, "serve", "--port", port)
    assert build_parser().parse_args(["serve", "--port", "65535"]).port == 65535


@pytest.mark.parametrize("missing", ["api.cli.hotpath", "ledger.nothing", "projections.gone"])
def test_a_module_of_the_project_missing_is_a_bug_not_a_verifier_only_install(
        missing: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A command that failed to import one of the project's own modules (a wrong relative
    import, say) was reported as "this installation lacks the package 'api.cli.hotpath'" with
    exit 2, as if a dependency were missing: the wheel always holds the project's modules, so
    only a missing third-party package is the verifier-only install's; the project's own
    raises, with its traceback. A missing third-party package is still said in one line."""
    def imports(name: str):  # noqa: ANN202
        def command(args: argparse.Namespace) -> int:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return command
    monkeypatch.setattr("api.cli.parser.cmd_tokens_list", imports(missing))
    with pytest.raises(ModuleNotFoundError, match=missing):
        ledger_main(["tokens", "list"])
    monkeypatch.setattr("api.cli.parser.cmd_tokens_list", imports("psycopg"))
    assert ledger_main(["tokens", "list"]) == 2
    assert "lacks the package 'psycopg'" in capsys.readouterr().err


def test_every_parameter_of_the_database_url_reaches_the_connections(world: World) -> None:
    """Only dbname, host, port, user and password were used: `?sslmode=verify-full` (or
    `require`) in LEDGER_DATABASE_URL was silently dropped, so the service connected without
    TLS or certificate checks."""
    url = make_conninfo(world.owner_url, application_name="ledger-probe")
    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0))
    try:
        with store.cursor() as curs:
            curs.execute("SELECT current_setting('application_name') AS name")
            assert curs.fetchone()["name"] == "ledger-probe"
    finally:
        store.close()


@pytest.mark.parametrize("argv", [["init"], ["serve", "--port", "8765"], ["tokens", "list"]])
def test_a_malformed_database_url_is_a_message_and_exit_2_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str]) -> None:
    """LEDGER_DATABASE_URL=notaurl was a psycopg ProgrammingError traceback (in `ledger serve`,
    after it had announced it was serving)."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", "notaurl")
    assert ledger_main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"ledger {argv[0]}: LEDGER_DATABASE_URL is not a PostgreSQL URL: ")
    assert "serving" not in out


@pytest.mark.parametrize("value", ["garbage", "root-1=", "=AAAA", "root-1=AAAA,"])
def test_malformed_pinned_root_keys_are_a_message_and_exit_2_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        value: str) -> None:
    """LEDGER_ROOT_KEYS without `=` (or with a trailing comma) was a ValueError traceback."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_ROOT_KEYS", value)
    assert ledger_main(["tokens", "list"]) == 2
    assert capsys.readouterr().err.startswith("ledger tokens: ")
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("config", [
    {"root_keys": ["AAAA"]}, {"log": "integrity-ledger.local/log"},
    {"checkpoints": {"every_events": "abc"}}, {"checkpoints": []},
])
def test_a_ledger_json_with_a_field_of_the_wrong_shape_is_a_message_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        config: dict) -> None:
    """Valid JSON of the wrong shape was an AttributeError or ValueError traceback."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "ledger.json").write_text(json.dumps(config))
    monkeypatch.setenv("LEDGER_HOME", str(home))
    assert ledger_main(["tokens", "list"]) == 2
    assert capsys.readouterr().err.startswith(
        f"ledger tokens: {home / 'ledger.json'} is malformed: ")


def test_init_again_never_replaces_a_pinned_root_or_log_key(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """With the root key moved offline (as the README advises) or the log key lost, `ledger
    init` made new ones that ledger.json does not pin and said "created": the service then
    signed checkpoints no auditor's `ledger verify --trust ledger.json` accepts."""
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    assert ledger_main(["init"]) == 0
    capsys.readouterr()
    pinned = (home / "ledger.json").read_text()
    (home / "secrets" / "root-1.key").unlink()            # kept offline from now on
    assert ledger_main(["init"]) == 0
    assert "(already initialised)" in capsys.readouterr().out
    assert not (home / "secrets" / "root-1.key").exists()
    (home / "secrets" / "log.key").unlink()
    assert ledger_main(["init"]) == 2
    assert "pins a log key but" in capsys.readouterr().err
    assert not (home / "secrets" / "log.key").exists()
    assert (home / "ledger.json").read_text() == pinned


def test_init_again_never_replaces_the_registered_dashboard_key(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """With dashboard.key lost, `ledger init` wrote a new one and said "created", but the key
    id `dashboard` was already registered with the old key: every disposition was a 503 "not
    registered" whose advice was to run `ledger init`."""
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    assert ledger_main(["init"]) == 0
    (home / "secrets" / "dashboard.key").unlink()
    assert ledger_main(["init"]) == 2
    assert "dashboard.key is missing but a dashboard key is registered" in capsys.readouterr().err
    assert not (home / "secrets" / "dashboard.key").exists()


def empty_database(cluster, name: str) -> str:  # noqa: ANN001
    """The owner URL of a new database on the test cluster, without tables (one a run left
    under that name is dropped first)."""
    from .pg import with_db
    url = with_db(cluster.url, f"{name}_{os.getpid()}")
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {conninfo_to_dict(url)['dbname']}")
        conn.execute(f"CREATE DATABASE {conninfo_to_dict(url)['dbname']}")
    return url


def test_init_on_a_second_database_registers_the_homes_admin_token_there(
        cluster, database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A home initialised on one database, then `ledger init` with LEDGER_DATABASE_URL naming a
    fresh one: the home's admin.token existed, so init made no token, and the new database
    refused the token the README says to use."""
    from ledger.tokens import token_hash

    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    second = empty_database(cluster, "second")
    try:
        monkeypatch.setenv("LEDGER_DATABASE_URL", second)
        assert ledger_main(["init"]) == 0
        token = token_hash((home / "secrets" / "admin.token").read_text().strip())
        for url in (database[0], second):
            store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0))
            try:
                assert store.find_token(token) == ("admin", ["admin"], [])
            finally:
                store.close()
        assert "not valid" not in capsys.readouterr().out
    finally:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {conninfo_to_dict(second)['dbname']} WITH (FORCE)")


def test_init_again_never_brings_back_a_revoked_admin_token(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`make run` runs `ledger init` each time: a leaked admin token, once revoked, must stay
    revoked — init says the home's token is not valid here and how to make one."""
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    assert ledger_main(["init"]) == 0
    assert ledger_main(["tokens", "revoke", "--principal", "admin"]) == 0
    capsys.readouterr()
    assert ledger_main(["init"]) == 0
    assert ledger_main(["tokens", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert "is not valid on this database (revoked there; `ledger init` never registers it " \
           "again): make one with `ledger tokens create --principal admin --role admin`" in out
    assert '"principal": "admin"' not in out


def _admin_rows(url: str) -> list[dict]:
    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0))
    try:
        return [t for t in store.tokens() if t["principal"] == "admin"]
    finally:
        store.close()


def test_init_makes_the_homes_admin_token_valid_on_a_database_it_did_not_create(
        cluster, database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The admin token reached a second database only when init met it empty: one that held a
    ledger already (made by another home's init, or by an init of this home interrupted after
    the tables) never got it, however often init ran, and `ledger serve` printed a token the
    database refused. Now init registers it once on any database that never had it; run again,
    it adds nothing, and a token revoked there stays revoked."""
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    second, _ = cluster.new_database()              # a ledger already: tables, no admin token
    try:
        monkeypatch.setenv("LEDGER_DATABASE_URL", second)
        assert ledger_main(["init"]) == 0
        assert ledger_main(["init"]) == 0
        assert "not valid" not in capsys.readouterr().out
        (row,) = _admin_rows(second)
        assert row["id"] == _admin_rows(database[0])[0]["id"]   # the home's token, once
        assert ledger_main(["tokens", "revoke", "--principal", "admin"]) == 0
        capsys.readouterr()
        assert ledger_main(["init"]) == 0
        assert "is not valid on this database (revoked there" in capsys.readouterr().out
        assert _admin_rows(second) == []
    finally:
        cluster.drop(second)


def test_init_interrupted_after_the_tables_registers_the_admin_token_when_run_again(
        cluster, database: tuple[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An init stopped between the tables and the token left a database init no longer met
    empty: the token was never registered there, whatever was run again."""
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    second = empty_database(cluster, "interrupted")
    create_schema = LedgerStore.create_schema

    def crash_after_the_tables(store: LedgerStore) -> None:
        create_schema(store)
        raise KeyboardInterrupt                     # Ctrl-C, or the connection lost, just then
    try:
        monkeypatch.setenv("LEDGER_DATABASE_URL", second)
        with monkeypatch.context() as m:
            m.setattr(LedgerStore, "create_schema", crash_after_the_tables)
            assert ledger_main(["init"]) == 130
        assert _admin_rows(second) == []
        assert ledger_main(["init"]) == 0
        assert len(_admin_rows(second)) == 1
    finally:
        cluster.drop(second)


def test_init_on_a_ledger_older_than_the_record_of_admin_tokens_never_adds_a_missing_one(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A database an earlier release initialised has no record of the admin tokens init
    registered: a home's token missing from it may have been revoked, so init does not add it
    (as before); a token it holds is recorded, so revoking it later holds too."""
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    assert ledger_main(["init"]) == 0
    with psycopg.connect(world.owner_url, autocommit=True) as conn:
        conn.execute("DROP TABLE ledger_admin_grants")        # as an earlier release left it
    assert ledger_main(["init"]) == 0                         # the token held: recorded
    assert ledger_main(["tokens", "revoke", "--principal", "admin"]) == 0
    with psycopg.connect(world.owner_url, autocommit=True) as conn:
        conn.execute("DROP TABLE ledger_admin_grants")
    capsys.readouterr()
    for _ in range(2):
        assert ledger_main(["init"]) == 0
        assert "is not valid on this database" in capsys.readouterr().out
        assert _admin_rows(world.owner_url) == []


def test_serve_says_the_homes_admin_token_is_not_valid_and_what_to_run(
        cluster, database: tuple[str, str], root_key, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pointed at a database its home's token is unknown to, `ledger serve` announced the token
    and a curl with it, which the service then refused with 401."""
    import httpx

    from ledger.crypto import b64url_encode

    from .conftest import ROOT_ID
    from .test_serve import wait_until_serving
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    second, second_app = cluster.new_database()
    port = free_port()
    env = {**os.environ, "LEDGER_HOME": str(home), "LEDGER_DATABASE_URL": second_app,
           "LEDGER_ROOT_KEYS": f"{ROOT_ID}={b64url_encode(root_key.public_key)}"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_serving(proc, port)
        token = (home / "secrets" / "admin.token").read_text().strip()
        assert httpx.get(f"http://127.0.0.1:{port}/v1/keys", timeout=5,
                         headers={"Authorization": f"Bearer {token}"}).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        cluster.drop(second)
    assert (f"admin token: {home / 'secrets' / 'admin.token'} is not valid on this database "
            "(never registered there): run `ledger init` with LEDGER_DATABASE_URL set to the "
            "database owner's URL") in out
    assert "Bearer $(cat" not in out


def test_registering_a_key_id_again_keeps_the_registered_keys_seed(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Running README step 1 twice overwrote secrets/<key-id>.key with a new seed, then was
    refused ("already registered"): the registered key's private seed was gone for good. A
    refused registration also left a seed that belongs to no key."""
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    assert ledger_main(["init"]) == 0
    register = ["keys", "register", "--key-id", "hp-case-app-01", "--principal",
                "unit:SH-HP-01/case-app", "--role", "case-app"]
    assert ledger_main(register) == 0
    seed = home / "secrets" / "hp-case-app-01.key"
    kept = seed.read_text()
    capsys.readouterr()
    assert ledger_main(register) == 2
    assert f"{seed} already exists" in capsys.readouterr().err
    assert seed.read_text() == kept
    assert ledger_main([*register, "--out", str(tmp_path / "again.key")]) == 2
    assert "already registered" in capsys.readouterr().err
    assert not (tmp_path / "again.key").exists()


def test_serve_on_a_fresh_home_initialises_all_of_it(
        embedded_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger serve` on a home `ledger init` never ran on initialised it without the read
    models' tables: every case, officer and flags query was a 500 (view_cases does not
    exist)."""
    import uvicorn

    from ledger.home import owner_url
    async def stop_at_once(self: uvicorn.Server) -> None:     # started, then shut down
        pass

    port = free_port()
    monkeypatch.setenv("LEDGER_HOME", str(embedded_home))
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    monkeypatch.setattr(uvicorn.Server, "main_loop", stop_at_once)
    handler = signal.getsignal(signal.SIGTERM)
    assert ledger_main(["serve", "--port", str(port)]) == 0
    assert signal.getsignal(signal.SIGTERM) is handler     # the caller's, not serve's
    assert f"serving on http://127.0.0.1:{port}" in capsys.readouterr().out
    url = owner_url(Settings.from_env())
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('view_cases') IS NOT NULL").fetchone()[0]


def test_an_empty_ledger_home_means_the_default_not_the_current_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LEDGER_HOME= (set but empty) made the current directory the home: `ledger init` then
    wrote secrets/ (root key, admin token) and pgdata/ into, say, the repository's root. It
    now means the default ./var, as an empty LEDGER_DATABASE_URL already meant "embedded"."""
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"LEDGER_HOME": ""}).home == tmp_path.resolve() / "var"
    assert Settings.from_env({}).home == tmp_path.resolve() / "var"



def test_the_ingest_settings_are_read_with_the_others(tmp_path: Path) -> None:
    """LEDGER_INGEST_THREADS and LEDGER_INLINE_BODY were read when api/ingest.py was imported,
    so a value set after that (by a test, an embedder) was ignored, and a value that is no
    number was a ValueError traceback at import. They are settings now, read by from_env."""
    home = {"LEDGER_HOME": str(tmp_path)}
    assert (Settings.from_env(home).ingest_threads, Settings.from_env(home).inline_body) == (
        4, 16384)
    tuned = Settings.from_env({**home, "LEDGER_INGEST_THREADS": "2", "LEDGER_INLINE_BODY": "0"})
    assert (tuned.ingest_threads, tuned.inline_body) == (2, 0)
    for name, value, expected in [("LEDGER_INGEST_THREADS", "0", "at least 1"),
                                  ("LEDGER_INGEST_THREADS", "four", "at least 1"),
                                  ("LEDGER_INLINE_BODY", "-1", "at least 0"),
                                  ("LEDGER_INLINE_BODY", "16k", "at least 0")]:
        with pytest.raises(LedgerError, match=f"^{name} must be a whole number {expected}, "
                                              f"not '{value}'$"):
            Settings.from_env({**home, name: value})

def test_init_with_the_services_role_says_it_needs_the_owner_not_a_traceback(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger init` with LEDGER_DATABASE_URL naming the service's role (granted
    ledger_writer, as the README's production note says) was a ProgrammingError traceback."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.app_url)
    assert ledger_main(["init"]) == 2
    assert capsys.readouterr().err.startswith(
        "ledger init: creating the ledger's tables needs the database's owner role")


def _contents(home: Path) -> dict[str, bytes | None]:
    """Every path under ``home``, with what each file holds (a directory: None)."""
    return {str(path.relative_to(home)): None if path.is_dir() else path.read_bytes()
            for path in sorted(home.rglob("*"))}


@pytest.mark.parametrize("made", [False, True], ids=["no-home", "empty-home"])
@pytest.mark.parametrize("refusal", ["service-role", "no-such-database"])
def test_init_refused_by_the_database_leaves_a_fresh_home_as_it_found_it(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], refusal: str, made: bool) -> None:
    """`ledger init` refused at the database step (a role that may not create the tables, a
    database that is not there) left ledger.json and secrets/ with keys no database knew: the
    next init reused them, unlike a fresh run. Now a fresh home is left as init found it —
    absent, or an empty directory — and the next init makes it afresh."""
    from .pg import with_db
    home = tmp_path / "home"
    if made:
        home.mkdir()
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.app_url if refusal == "service-role"
                       else with_db(world.owner_url, "no_such_ledger_db"))
    assert ledger_main(["init"]) == 2
    assert capsys.readouterr().err.startswith("ledger init: ")
    assert home.exists() == made
    assert not made or _contents(home) == {}
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    assert ledger_main(["init"]) == 0
    assert f"ledger home: {home} (created)" in capsys.readouterr().out


def test_init_refused_by_the_database_keeps_everything_an_initialised_home_held(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """What init removes when refused is only what that run wrote: the keys, token and
    ledger.json of a home initialised before stay, byte for byte."""
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    assert ledger_main(["init"]) == 0
    before = _contents(home)
    assert {"ledger.json", "secrets/root-1.key", "secrets/log.key",
            "secrets/admin.token", "secrets/dashboard.key"} <= set(before)
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.app_url)
    assert ledger_main(["init"]) == 2
    assert "needs the database's owner role" in capsys.readouterr().err
    assert _contents(home) == before


def test_every_data_file_of_the_packages_is_installed_with_them() -> None:
    """pyproject's package-data named only api's static files: a wheel (`pip install .`, not
    editable) lacked ledger/schema.sql and projections/schema.sql, so `ledger init` on an
    installed copy failed with FileNotFoundError."""
    import tomllib
    root = Path(__file__).resolve().parent.parent
    package_data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]
    for package in ("ledger", "api", "projections"):
        base = root / package
        data = {p for p in base.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
        shipped = {p for pattern in package_data.get(package, []) for p in base.glob(pattern)}
        assert data <= shipped, f"{package}: {sorted(str(p) for p in data - shipped)}"


def test_an_unreadable_dashboard_key_stops_serve_with_a_message_not_a_traceback(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LEDGER_DASHBOARD_KEY naming a directory (or a file the service may not read) was an
    IsADirectoryError traceback from the app factory."""
    from api.main import create
    from ledger.crypto import b64url_encode
    from ledger.errors import LedgerError
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.app_url)
    monkeypatch.setenv("LEDGER_ROOT_KEYS", f"root-1={b64url_encode(world.root.public_key)}")
    monkeypatch.setenv("LEDGER_DASHBOARD_KEY", str(tmp_path))
    with pytest.raises(LedgerError, match="cannot read the dashboard key"):
        create()


def test_a_seed_of_the_wrong_length_is_a_message_and_exit_2_not_a_traceback(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A key file holding 16 bytes (a truncated copy) was a nacl ValueError traceback in
    `ledger sign --key` and in every command reading the home's root or log key."""
    short = tmp_path / "short.key"
    short.write_text("AAAAAAAAAAAAAAAAAAAAAA\n")
    assert ledger_main(["sign", "--key", str(short), "--key-id", "k", "--stream", "case:X",
                        "--type", "T", "--body", "{}"]) == 2
    assert capsys.readouterr().err == "ledger sign: --key must encode 32 bytes, found 16\n"
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "log.key").write_text("AAAAAAAAAAAAAAAAAAAAAA\n")
    assert ledger_main(["init"]) == 2
    assert capsys.readouterr().err == (f"ledger init: {home / 'secrets' / 'log.key'} must "
                                       "encode 32 bytes, found 16\n")


def test_project_in_an_uninitialised_home_says_run_init_and_starts_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger project` started an embedded cluster in the empty home, waited 30 s for the
    service role init never made, and said "database unavailable"."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    assert ledger_main(["project"]) == 2
    assert "is not an initialised ledger home: run `ledger init`" in capsys.readouterr().err
    assert not (tmp_path / "home" / "pgdata").exists()


def test_serve_on_a_database_without_a_ledger_says_run_init_and_serves_nothing(
        cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger serve` with LEDGER_DATABASE_URL naming a database `ledger init` never ran on
    announced it was serving, logged a projection traceback every few seconds and answered
    500s."""
    import uvicorn

    from .pg import with_db
    name = f"bare_serve_{os.getpid()}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", with_db(cluster.url, name))
    served = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda *args, **kwargs: served.append(args))
    try:
        assert ledger_main(["serve", "--port", "8765"]) == 2
    finally:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
    out, err = capsys.readouterr()
    assert err == ("ledger serve: the database holds no ledger: run `ledger init` (with its "
                   "owner role)\n")
    assert not served and "serving" not in out


def test_a_database_that_cannot_be_reached_is_reported_with_the_reason(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A LEDGER_DATABASE_URL naming a database that does not exist (a typo, a wrong password,
    a refused port) said only "pool initialization incomplete after 30 sec"."""
    from .pg import with_db
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", with_db(world.owner_url, "no_such_ledger_db"))
    assert ledger_main(["tokens", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ledger tokens: database unavailable: ")
    assert 'database "no_such_ledger_db" does not exist' in err


@pytest.mark.parametrize("argv", [["rebuild"], ["init"]])
def test_a_one_shot_command_on_a_refused_port_says_so_in_seconds_not_after_half_a_minute(
        tmp_path: Path, argv: list[str]) -> None:
    """`ledger rebuild` against a LEDGER_DATABASE_URL whose port nothing listens on retried
    for 30 s before it said "database unavailable": the time a service gives a database that
    is starting, spent on a URL that is simply wrong."""
    env = {**os.environ, "LEDGER_HOME": str(tmp_path / "home"),
           "LEDGER_DATABASE_URL": f"postgresql://ledger@127.0.0.1:{free_port()}/ledger"}
    done = subprocess.run([sys.executable, "-m", "api.cli", *argv], env=env,
                          capture_output=True, text=True, timeout=20)   # 30 s of retries fail
    assert done.returncode == 2
    assert done.stderr.startswith(f"ledger {argv[0]}: database unavailable: ")
    assert "Connection refused" in done.stderr


def test_serve_refuses_an_unknown_log_level(capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger serve --log-level bogus` was uvicorn's KeyError traceback."""
    assert "invalid choice: 'bogus'" in usage_error(capsys, "serve", "--log-level", "bogus")
    assert build_parser().parse_args(["serve", "--log-level", "INFO"]).log_level == "info"


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_serve_refuses_fewer_than_one_worker(workers: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger serve --workers 0` (or -3) was accepted and silently ran one process."""
    assert "must be at least 1" in usage_error(capsys, "serve", "--workers", workers)


def test_a_secret_written_over_a_loose_file_is_made_private(tmp_path: Path) -> None:
    """write_secret kept the permissions of a file that already existed (O_CREAT's mode only
    applies to new files), so a refreshed token stayed world-readable."""
    from ledger.config import write_secret
    path = tmp_path / "demo.token"
    path.write_text("old\n")
    path.chmod(0o644)
    write_secret(path, "new")
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o600


def test_a_secret_or_configuration_that_fails_to_be_written_leaves_the_old_one_whole(
        tmp_path: Path) -> None:
    """write_secret truncated the file first and then wrote it, and ledger.json was written the
    same way: a write that failed on the way (a full disk, here a file size limit; a crash) left
    a pinned key's seed or the pinned configuration empty or cut short — and a home's keys
    cannot be made again once pinned."""
    import resource
    from ledger.config import write_config, write_secret
    settings = Settings.from_env({"LEDGER_HOME": str(tmp_path)})
    seed = settings.secrets / "log.key"
    write_secret(seed, "old-seed")
    write_config(settings, root_keys={"root-1": bytes(32)}, log_public_key=bytes(32))
    before = settings.config_path.read_text()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)    # EFBIG instead of the signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))      # a disk full after 64 bytes
    try:
        with pytest.raises(OSError):
            write_secret(seed, "new-seed-" + "x" * 100)
        with pytest.raises(OSError):
            write_config(replace(settings, log_origin="example.org/" + "x" * 100),
                         root_keys={"root-1": bytes(32)}, log_public_key=bytes(32))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert seed.read_text() == "old-seed\n"
    assert settings.config_path.read_text() == before
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["ledger.json",
                                                                          "log.key"]


@pytest.mark.parametrize("value, on", [(None, True), ("on", True), ("OFF", False),
                                       ("0", False), ("false", False), ("Yes", True)])
def test_ledger_projections_reads_on_and_off_in_any_spelling(value: str | None, on: bool) -> None:
    """Only the exact value `off` turned projections off: OFF, 0 or false left them running
    beside ingest."""
    from api.main import projections_on
    assert projections_on(value) is on


def test_ledger_projections_refuses_a_value_it_cannot_read() -> None:
    from api.main import projections_on
    with pytest.raises(LedgerError, match="LEDGER_PROJECTIONS must be on or off, not 'of'"):
        projections_on("of")


def _verbs(parser: argparse.ArgumentParser,
           name: str = "ledger") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every parser of the command line, the verbs' and their sub-verbs', by full name."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for verb, sub in action.choices.items():
                yield from _verbs(sub, f"{name} {verb}")


def test_every_verb_and_option_of_ledger_help_says_what_it_is() -> None:
    """`ledger --help` opened with the module's docstring ("``ledger``: the command line (verbs
    fixed by DESIGN.md)", a file the repository does not have) and named no environment
    variable; `ledger init --help`, `serve`, `project`, `rebuild` printed only their usage, and
    options such as `serve --host/--port`, `sign --stream/--type` and `keys register --role`
    had no word of help."""
    top = build_parser()
    text = top.format_help()
    assert "DESIGN.md" not in text and "``" not in text
    assert "LEDGER_HOME" in text and "LEDGER_DATABASE_URL" in text
    missing = [f"{name}: description" for name, p in _verbs(top) if not p.description]
    missing += [f"{name} {action.option_strings[-1]}" for name, p in _verbs(top)
                for action in p._actions
                if action.option_strings and action.help is None
                and not isinstance(action, argparse._HelpAction)]
    assert missing == []


@pytest.mark.parametrize("argv, message", [
    # a tree size of 0 or less was looked up ("no checkpoint of tree size -1"), a since size
    # refused as "since_size must be …": both are usage, like the API's ge=1
    (["export", "--all", "--out", "x", "--tree-size", "0"],
     "ledger export: error: argument --tree-size: must be at least 1, not 0"),
    (["export", "--all", "--out", "x", "--since-size", "-3"],
     "ledger export: error: argument --since-size: must be at least 1, not -3"),
    # said by the top-level parser ("ledger: error:"), with its usage, not export's
    (["export", "--from", "2024-01-01T00:00:00Z", "--out", "x"],
     "ledger export: error: --from and --to go together"),
    # 0 or -2 workers verified in one process, silently
    (["verify", "x", "--workers", "0"], "ledger verify: error: argument --workers: must be at "
                                        "least 1, not 0"),
    (["verify", "x", "--workers", "-2"], "ledger verify: error: argument --workers: must be at "
                                         "least 1, not -2"),
])
def test_a_bad_option_value_is_a_usage_error_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str], message: str) -> None:
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "no-home"))
    with pytest.raises(SystemExit) as exit_:
        ledger_main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: ledger {argv[0]} ") and err.endswith(message + "\n"), err


def test_half_a_time_range_beside_another_scope_is_said_to_be_two_scopes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger export --case X --to T` was told "--from and --to go together", as if adding
    --from would make it a bundle; it is two scopes, which is what it is now told."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "no-home"))
    assert ledger_main(["export", "--case", "SH-HP-2024-000123", "--to",
                        "2024-01-01T00:00:00Z", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ledger export: name exactly one scope"), err
    assert not (tmp_path / "x").exists() and not (tmp_path / "no-home").exists()


@pytest.mark.parametrize("option", ["--out", "--ground-truth"])
def test_demo_to_a_file_it_cannot_write_says_so_and_exits_2_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str) -> None:
    """`ledger demo --out DIR/missing/city.ndjson` (or a directory, or --ground-truth so) was a
    FileNotFoundError traceback, exit 1."""
    from ledger.crypto import SigningKey, b64url_encode
    root = tmp_path / "root.key"
    root.write_text(b64url_encode(SigningKey.generate().seed) + "\n")
    target = tmp_path / "missing" / "file.ndjson"
    others = ["--out", str(tmp_path / "city.ndjson")] if option == "--ground-truth" else []
    assert ledger_main(["demo", "--root-key", str(root), "--days", "1", "--no-progress",
                        *others, option, str(target)]) == 2
    assert capsys.readouterr().err == (f"ledger demo: cannot write {option} {target}: No such "
                                       "file or directory\n")
    assert not (tmp_path / "missing").exists()


def test_a_home_file_a_verb_cannot_read_or_write_is_a_message_and_exit_2_not_a_traceback(
        database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A home's secrets/log.key that `ledger export` could not read, or secrets/admin.token that
    `ledger serve` could not, and a `keys register --out` under a file were IsADirectoryError
    and FileExistsError tracebacks (exit 1)."""
    home = tmp_path / "home"
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    capsys.readouterr()
    for name in ("log.key", "admin.token"):
        (home / "secrets" / name).rename(home / name)
        (home / "secrets" / name).mkdir()
    out = tmp_path / "all.ndjson"
    assert ledger_main(["export", "--all", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"ledger export: cannot read the log key "
                                       f"{home / 'secrets' / 'log.key'}: Is a directory\n")
    assert not out.exists()
    assert ledger_main(["serve", "--port", str(free_port())]) == 2
    assert capsys.readouterr().err == (f"ledger serve: cannot read the admin token "
                                       f"{home / 'secrets' / 'admin.token'}: Is a directory\n")
    (tmp_path / "a-file").write_text("")
    seed = tmp_path / "a-file" / "k.key"
    assert ledger_main(["keys", "register", "--key-id", "k", "--principal", "p", "--role",
                        "case-app", "--out", str(seed)]) == 2
    assert capsys.readouterr().err == (f"ledger keys: cannot write --out {seed}: File exists "
                                       f"({tmp_path / 'a-file'})\n")


def test_init_names_no_dashboard_address_it_cannot_know(
        database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`PORT=8765 make run` had init say "open http://127.0.0.1:8000/ui/ after `ledger serve`"
    just before serve announced :8765: init does not know where the service will listen."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("dashboard:")]
    assert "http://" not in line
    assert line.endswith("signs inspectors' dispositions; the dashboard is /ui/ on the address "
                         "`ledger serve` prints (docs/dashboard.md)")


def _line(proc: subprocess.Popen[str], seconds: float = 30.0) -> str:
    """The next line ``proc`` writes on its standard output, or "" when none comes in time."""
    import selectors
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)   # type: ignore[arg-type]
        if not sel.select(timeout=seconds):
            return ""
    return proc.stdout.readline()                          # type: ignore[union-attr]


def test_project_beside_a_process_that_runs_the_projections_says_it_stands_by(
        world: World, tmp_path: Path) -> None:
    """`ledger project` beside a `ledger serve` that still ran the projections (served without
    LEDGER_PROJECTIONS=off) said "projecting read models and red flags" and then only waited for
    the lock, folding nothing. Now it says it stands by, and says it projects once it leads."""
    from projections.runner import LOCK_KEY
    env = {**os.environ, "LEDGER_HOME": str(tmp_path / "home"),
           "LEDGER_DATABASE_URL": world.owner_url}
    root = Path(__file__).resolve().parent.parent
    with psycopg.connect(world.owner_url, autocommit=True) as serve:   # the leader
        serve.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "project"], cwd=root, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert _line(proc).startswith("standing by: another process runs the projections")
            serve.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
            assert _line(proc) == "projecting read models and red flags (Ctrl-C to stop)\n"
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read()                    # type: ignore[union-attr]


def test_init_on_a_second_host_against_a_log_signed_by_another_key_is_refused(
        database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger init` on a second host, against a database whose checkpoints the first home's
    log key signed, made a log key (and root key, ledger.json, admin token) of its own without a
    word; `ledger serve` there then signed no checkpoint (ForeignLogKey). Init now refuses
    before writing anything, saying which checkpoint another key signed and what to copy from
    the first host; the first home's init still passes."""
    from ledger.bootstrap import build_ledger, build_log
    from ledger.config import Settings

    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    monkeypatch.setenv("LEDGER_HOME", str(first))
    assert ledger_main(["init"]) == 0
    settings = Settings.from_env()
    ledger = build_ledger(settings)
    try:
        issued = build_log(settings, ledger).issue_checkpoint()     # as its `ledger serve` does
    finally:
        ledger.close()
    with psycopg.connect(database[0]) as conn:
        grants = conn.execute("SELECT count(*) FROM ledger_admin_grants").fetchone()[0]
    capsys.readouterr()
    monkeypatch.setenv("LEDGER_HOME", str(second))
    for _ in range(2):     # a home with no log key, then one holding a key of its own
        assert ledger_main(["init"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"ledger init: checkpoint {issued.size} of this database's log is "
                              "not signed by this home's log key")
        assert ("copy ledger.json, secrets/log.key and secrets/dashboard.key from the home "
                f"that initialised it (the first host's) to {second}") in err
        assert not (second / "ledger.json").exists()
        with psycopg.connect(database[0]) as conn:
            assert conn.execute("SELECT count(*) FROM ledger_admin_grants").fetchone()[0] == grants
        (second / "secrets").mkdir(parents=True, exist_ok=True)
        from ledger.crypto import SigningKey, b64url_encode
        (second / "secrets" / "log.key").write_text(b64url_encode(SigningKey.generate().seed))
    # what the refusal says to copy is enough: with it the second home initialises (its own
    # admin token) and its dashboard signs with the registered key; without dashboard.key
    # init was refused again (`dashboard.key is missing but a dashboard key is registered`)
    for name in ("ledger.json", "secrets/log.key", "secrets/dashboard.key"):
        (second / name).write_bytes((first / name).read_bytes())
    assert ledger_main(["init"]) == 0, capsys.readouterr().err
    monkeypatch.setenv("LEDGER_HOME", str(first))
    assert ledger_main(["init"]) == 0
