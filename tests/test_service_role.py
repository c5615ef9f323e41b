"""What the service's role (``ledger_app``, a member of ``ledger_writer``) may do to the database
it serves, attacked as a compromised service would: it writes history through the ledger only,
and nothing it can do runs later with the owner's rights."""

from __future__ import annotations

import base64
import os

import psycopg
import psycopg.rows
import pytest

from .conftest import World

# The projections' lock as `ledger rebuild` takes it with the owner's role (api/cli/project.py):
# a Python int is sent as an integer, which pg_catalog takes only as bigint, so a public function
# of that name taking an integer is the better match and would run instead, with the owner's
# rights.
TROJAN = ("CREATE FUNCTION public.pg_try_advisory_lock(integer) RETURNS boolean "
          "LANGUAGE sql AS $$ SELECT true $$")


def test_the_service_role_cannot_plant_a_function_that_an_owner_command_would_run(
        world: World) -> None:
    """ledger_writer held CREATE on schema public, so the service's role could define functions
    there that shadow pg_catalog's for an argument type (CVE-2018-1058): `ledger rebuild`, run
    with the owner's role, would then have run the service's code with the owner's rights —
    enough to disable the append-only triggers. Now the role may create nothing there."""
    with psycopg.connect(world.app_url, autocommit=True) as conn:
        assert not conn.execute("SELECT has_schema_privilege('public', 'CREATE')").fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(TROJAN)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.planted (x int)")
    with psycopg.connect(world.owner_url) as conn:
        planted = conn.execute(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname = 'pg_try_advisory_lock'").fetchone()[0]
        assert planted == 0
        assert conn.execute("SELECT to_regclass('public.planted')").fetchone()[0] is None


def test_init_again_takes_create_back_from_a_database_initialised_before(world: World) -> None:
    """A database whose tables an earlier version made still granted ledger_writer CREATE on
    schema public; `ledger init`, run again there (as `make run` does at every start), revokes it."""
    from ledger.store import LedgerStore, datastore_from_url
    with psycopg.connect(world.owner_url, autocommit=True) as conn:
        conn.execute("GRANT CREATE ON SCHEMA public TO ledger_writer")   # as the old schema did
    store = LedgerStore(datastore_from_url(world.owner_url, pool_size=1, max_overflow=0))
    try:
        store.create_schema()
    finally:
        store.close()
    with psycopg.connect(world.app_url, autocommit=True) as conn:
        assert not conn.execute("SELECT has_schema_privilege('public', 'CREATE')").fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(TROJAN)


HISTORY = ("stored_events", "ledger_receipts", "ledger_merkle_nodes", "ledger_checkpoints")


@pytest.fixture
def production(cluster, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """The README's production setup, followed literally on a fresh database: an owner role that
    is no superuser (it may create roles) owns the database and runs `ledger init` with
    LEDGER_DATABASE_URL; a service role is then granted ledger_writer. Yields (owner, service)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from api.cli import main as ledger_main
    suffix = f"{os.getpid()}_{tmp_path.name[-6:].replace('-', '_')}".lower()
    owner_role, service_role, db = f"owner_{suffix}", f"svc_{suffix}", f"prod_{suffix}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {owner_role} LOGIN CREATEROLE")
        conn.execute(f"CREATE DATABASE {db} OWNER {owner_role}")

    def url(user: str) -> str:
        params = conninfo_to_dict(cluster.url)
        params.pop("password", None)
        return make_conninfo(**{**params, "dbname": db, "user": user})

    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", url(owner_role))
    assert ledger_main(["init"]) == 0
    # ledger_writer is the cluster's, made by the session's first init: granted by its maker
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {service_role} LOGIN")
        conn.execute(f"GRANT ledger_writer TO {service_role}")
    yield url(owner_role), url(service_role)
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"DROP ROLE IF EXISTS {service_role}")
        conn.execute(f"DROP ROLE IF EXISTS {owner_role}")


ATTACKS = (
    *(f"UPDATE {t} SET {c} = {c}" for t, c in zip(HISTORY, (
        "topic", "recorded_at", "hash", "note"), strict=True)),
    *(f"DELETE FROM {t}" for t in HISTORY),
    *(f"TRUNCATE {t}" for t in HISTORY),
    *(f"ALTER TABLE {t} DISABLE TRIGGER ledger_append_only" for t in HISTORY),
    *(f"DROP TRIGGER ledger_no_truncate ON {t}" for t in HISTORY),
    "DROP FUNCTION ledger_refuse_change() CASCADE",
    ("CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql "
     "AS $$ BEGIN RETURN OLD; END $$"),
    "INSERT INTO ledger_tokens (token_hash, principal, roles) VALUES ('\\x01', 'x', '{admin}')",
    "DELETE FROM ledger_tokens",
    TROJAN,
    "ALTER TABLE ledger_checkpoints DISABLE TRIGGER ledger_checkpoint_of_the_tree",
    "DROP TRIGGER ledger_checkpoint_of_the_tree ON ledger_checkpoints",
    "DROP FUNCTION ledger_check_checkpoint() CASCADE",
    ("CREATE OR REPLACE FUNCTION ledger_check_checkpoint() RETURNS trigger LANGUAGE plpgsql "
     "AS $$ BEGIN RETURN NEW; END $$"),
)


def _issue(url: str):  # noqa: ANN202
    """Issue a checkpoint of the tree as it is, as `ledger serve`'s checkpointer does."""
    from ledger.crypto import SigningKey
    from ledger.logview import LogView
    from ledger.store import LedgerStore, datastore_from_url
    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0))
    try:
        return LogView(store, origin="o", key_name="o",
                       signing_key=SigningKey.generate()).issue_checkpoint()
    finally:
        store.close()


def _guarded(owner: str) -> tuple[int, int, int, int]:
    """Events, checkpoints, tokens and the enabled append-only triggers, as the owner sees them."""
    with psycopg.connect(owner) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM stored_events), (SELECT count(*) FROM "
            "ledger_checkpoints), (SELECT count(*) FROM ledger_tokens), (SELECT count(*) FROM "
            "pg_trigger WHERE tgname LIKE 'ledger_%' AND tgenabled = 'O')").fetchone()


def test_a_production_service_role_cannot_change_history_or_its_guards(
        production: tuple[str, str]) -> None:
    owner, service = production
    _issue(owner)                                           # a checkpoint to attack
    before = _guarded(owner)
    assert before[0] >= 1 and before[1:] == (1, 1, 9)   # init: dashboard key, admin token
    for statement in ATTACKS:
        with psycopg.connect(service) as conn, \
                pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        assert _guarded(owner) == before, statement


def test_a_production_owner_that_is_no_superuser_can_rebuild(production: tuple[str, str],
                                                               capsys) -> None:  # noqa: ANN001
    """README, Operating: `ledger rebuild` with the owner role's URL, as for `ledger init`."""
    from api.cli import main as ledger_main
    assert ledger_main(["rebuild"]) == 0, capsys.readouterr().err
    assert "rebuilt the read models and red flags from" in capsys.readouterr().out


def _serve_stderr(tmp_path, url: str, root_key) -> str:  # noqa: ANN001
    """What `ledger serve` on ``url`` says on stderr by the time it answers, then stopped."""
    import signal
    import subprocess
    import sys

    from ledger.crypto import b64url_encode

    from .conftest import ROOT_ID
    from .test_multiprocess import free_port
    from .test_serve import wait_until_serving
    port = free_port()
    env = {**os.environ, "LEDGER_HOME": str(tmp_path / f"home-{port}"), "LEDGER_DATABASE_URL": url,
           "LEDGER_ROOT_KEYS": f"{ROOT_ID}={b64url_encode(root_key.public_key)}",
           "LEDGER_PROJECTIONS": "off"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until_serving(proc, port)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    return err


def test_serve_with_a_role_that_may_change_history_says_so(
        database: tuple[str, str], root_key, tmp_path) -> None:  # noqa: ANN001
    """Served with the owner's URL (the same LEDGER_DATABASE_URL as `ledger init`, easily
    done), the service could disable the append-only triggers and rewrite history if
    compromised, and nothing said so. `ledger serve` now warns, naming the role and what to
    serve with instead; with a role granted ledger_writer it says nothing of the kind."""
    owner, app_url = database
    said = _serve_stderr(tmp_path, owner, root_key)
    assert ("ledger serve: warning: the database role postgres is a superuser: the service "
            "could disable the append-only triggers") in said
    assert "serve with a role granted ledger_writer" in said
    assert "append-only triggers" not in _serve_stderr(tmp_path, app_url, root_key)


def _project_stderr(tmp_path, url: str) -> str:  # noqa: ANN001
    """What `ledger project` on ``url`` says on stderr by the time it projects, then stopped."""
    import selectors
    import signal
    import subprocess
    import sys
    env = {**os.environ, "LEDGER_HOME": str(tmp_path / "home-project"),
           "LEDGER_DATABASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "project"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)   # type: ignore[arg-type]
            assert sel.select(timeout=60), "ledger project said nothing"
        assert proc.stdout.readline().startswith("projecting")  # type: ignore[union-attr]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return err


def test_project_with_a_role_that_may_change_history_says_so(world: World, tmp_path) -> None:  # noqa: ANN001
    """`ledger project` connects with the service's URL and runs for as long as `ledger serve`;
    with the owner's URL it could disable the append-only triggers if compromised, and unlike
    serve it said nothing. It now warns alike, naming the role; with a role granted
    ledger_writer it says nothing of the kind."""
    said = _project_stderr(tmp_path, world.owner_url)
    assert ("ledger project: warning: the database role postgres is a superuser: `ledger "
            "project` could disable the append-only triggers") in said
    assert "run `ledger project` with a role granted ledger_writer" in said
    assert "append-only triggers" not in _project_stderr(tmp_path, world.app_url)


def test_a_production_owner_that_is_no_superuser_is_named_as_the_tables_owner(
        production: tuple[str, str]) -> None:
    from ledger.store import LedgerStore, datastore_from_url
    owner, service = production
    found = {}
    for name, url in (("owner", owner), ("service", service)):
        store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0))
        try:
            found[name] = store.history_rights()
        finally:
            store.close()
    assert found["owner"] is not None and found["owner"][1] == "owns the ledger's tables"
    assert found["service"] is None


def test_the_advisory_locks_are_pg_catalogs_whatever_public_holds(
        world: World, tmp_path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    """On PostgreSQL 14 or older every role may create in schema public unless the operator
    revoked it; a function planted there, taking the integer our lock keys were sent as, was a
    better match than pg_catalog's (bigint) and ran instead — in `ledger rebuild`, with the
    owner's rights. The locks are now called as pg_catalog's, with bigint keys."""
    from api.cli import main as ledger_main
    from ledger.crypto import SigningKey
    from ledger.logview import LogView
    with psycopg.connect(world.owner_url, autocommit=True) as conn:    # as PUBLIC could there
        for name in ("pg_try_advisory_lock", "pg_advisory_xact_lock"):
            conn.execute(f"CREATE FUNCTION public.{name}(integer) RETURNS boolean LANGUAGE "
                         "plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted'; END $$")
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    assert ledger_main(["rebuild"]) == 0, capsys.readouterr().err
    log = LogView(world.ledger.store, origin="o", key_name="o", signing_key=SigningKey.generate())
    assert log.issue_checkpoint().size == world.ledger.store.size()


def _root(url: str, size: int) -> bytes:
    """The stored tree's root at ``size``, as the issuers compute it."""
    from ledger import merkle
    from ledger.store import LedgerStore
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn, conn.cursor() as curs:
        return merkle.root_from_nodes(size, LedgerStore.nodes(curs, merkle.root_coords(size)))


def _checkpoints(owner: str) -> list[tuple[int, bytes]]:
    with psycopg.connect(owner) as conn:
        return [(size, bytes(root)) for size, root in conn.execute(
            "SELECT tree_size, root_hash FROM ledger_checkpoints ORDER BY tree_size")]


def test_the_service_role_stores_no_checkpoint_of_a_tree_the_log_does_not_have(
        production: tuple[str, str]) -> None:
    """The service's role may INSERT into ledger_checkpoints, and stored any row: a compromised
    service holding the log key could store a checkpoint of 2**62 leaves — after which every
    honest issuance is refused (a checkpoint larger than the log was issued already) — or one
    whose root is not the stored tree's. A trigger of the owner's now refuses a checkpoint
    larger than the log, below the latest, or of another root (one of the latest's size
    is of its tree: signed again after a rotation of the log key); nothing is written, and
    honest issuance (whose checkpoints the trigger folds to the same root) goes on."""
    from api.cli import main as ledger_main
    owner, service = production
    for key_id in ("k1", "k2"):      # 3 leaves: a root folded from two perfect parts
        assert ledger_main(["keys", "register", "--key-id", key_id, "--principal", "p",
                            "--role", "case-app"]) == 0
    with psycopg.connect(service) as conn:
        leaves = conn.execute("SELECT count(*) FROM ledger_receipts").fetchone()[0]
    assert leaves == 3
    for size in (leaves, leaves - 1):
        with psycopg.connect(service) as conn, \
                pytest.raises(psycopg.errors.CheckViolation, match="its root is not the stored"):
            conn.execute("INSERT INTO ledger_checkpoints (tree_size, root_hash, note) "
                         "VALUES (%s, %s, 'note')", (size, bytes(32)))
    assert _checkpoints(owner) == []
    root = _root(service, leaves)
    for size, line in ((leaves, base64.b64encode(bytes(32)).decode()),    # the note's own lines
                       (leaves + 1000, base64.b64encode(root).decode())):
        with psycopg.connect(service) as conn, \
                pytest.raises(psycopg.errors.CheckViolation, match="its note names another"):
            conn.execute("INSERT INTO ledger_checkpoints (tree_size, root_hash, note) "
                         "VALUES (%s, %s, %s)", (leaves, root, f"o\n{size}\n{line}\n\n— o x\n"))
    assert _checkpoints(owner) == []
    first = _issue(service)
    assert first.root == root
    assert first.size == leaves and _checkpoints(owner) == [(leaves, first.root)]
    forged = (
        (2**62, "checkpoint of 4611686018427387904 leaves refused: "
                f"{leaves} are logged"),
        (leaves + 1, f"{leaves} are logged"),
        (leaves - 1, f"checkpoint {leaves} was issued already"),
        (leaves, "its note names another tree size or root"),   # the same tree, or none
    )
    for size, said in forged:
        with psycopg.connect(service) as conn, pytest.raises(psycopg.errors.CheckViolation,
                                                             match=said):
            conn.execute("INSERT INTO ledger_checkpoints (tree_size, root_hash, note) "
                         "VALUES (%s, %s, 'note')", (size, first.root))
    assert _checkpoints(owner) == [(leaves, first.root)]
    # A temporary table of the receipts' name (any role may make one) is not read instead.
    with psycopg.connect(service) as conn, pytest.raises(psycopg.errors.CheckViolation,
                                                         match="are logged"):
        conn.execute("CREATE TEMPORARY TABLE ledger_receipts (log_index bigint)")
        conn.execute("INSERT INTO ledger_receipts VALUES (1000000)")
        conn.execute("INSERT INTO ledger_checkpoints (tree_size, root_hash, note) "
                     "VALUES (1000, %s, 'note')", (first.root,))
    assert _checkpoints(owner) == [(leaves, first.root)]


@pytest.mark.parametrize("grants", ["", "pg_read_all_data, pg_write_all_data"])
@pytest.mark.parametrize("verb", ["serve", "project"])
def test_a_role_not_granted_ledger_writer_is_told_to_grant_it(
        production: tuple[str, str], cluster, verb: str, grants: str,  # noqa: ANN001
        monkeypatch, capsys) -> None:  # noqa: ANN001
    """README, Production: serve with a role granted ledger_writer. A newcomer following it
    who created the service role but forgot the GRANT got a traceback from `ledger serve`
    (`permission denied for table ledger_tokens`), and `ledger project` likewise. Both now
    refuse at once (exit 2, a message naming the role and the GRANT to run), before serving
    or projecting anything — also a role given PostgreSQL's read-all and write-all roles
    instead, which may read and insert into every table but not run the ledger's lock
    function (EXECUTE is ledger_writer's), so it passed the check and failed its first write."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from api.cli import main as ledger_main
    owner, _ = production
    role = f"bare_{conninfo_to_dict(owner)['dbname']}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        if grants:
            conn.execute(f"GRANT {grants} TO {role}")
    try:
        monkeypatch.setenv("LEDGER_DATABASE_URL",
                           make_conninfo(**{**conninfo_to_dict(owner), "user": role}))
        args = ["serve", "--port", "1"] if verb == "serve" else ["project"]
        assert ledger_main(args) == 2
        err = capsys.readouterr().err
        assert f"ledger {verb}: the database role {role} may not read and append to the " \
               "ledger's tables" in err
        assert f"GRANT ledger_writer TO {role}" in err
    finally:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_init_on_a_fresh_server_by_an_owner_that_may_not_create_roles_says_what_it_lacks(
        cluster, tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """README, Production: `ledger init` once with an owner role. On a server where no ledger
    was ever initialised (no ledger_writer yet), an owner without CREATEROLE was told that
    'creating the ledger's tables needs the database's owner role, not this one' — it *was*
    the owner. Init now names what is missing (the role ledger_writer, and CREATEROLE to
    create it) and how to give it, exit 2, and creates no table — nor a home."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from api.cli import main as ledger_main
    suffix = f"{os.getpid()}_{tmp_path.name[-6:].replace('-', '_')}".lower()
    owner, db, aside = f"plain_{suffix}", f"fresh_{suffix}", f"ledger_writer_{suffix}"
    params = conninfo_to_dict(cluster.url)
    params.pop("password", None)
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {owner} LOGIN")
        conn.execute(f"CREATE DATABASE {db} OWNER {owner}")
        conn.execute(f"ALTER ROLE ledger_writer RENAME TO {aside}")   # a server never used
    try:
        monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("LEDGER_DATABASE_URL",
                           make_conninfo(**{**params, "dbname": db, "user": owner}))
        assert ledger_main(["init"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"ledger init: the role ledger_writer does not exist on this "
                              f"server, and the role {owner} may not create it (no CREATEROLE)")
        assert f"ALTER ROLE {owner} CREATEROLE" in err
        assert "needs the database's owner role" not in err
        assert not (tmp_path / "home").exists()         # no keys left for the next init
        with psycopg.connect(make_conninfo(**{**params, "dbname": db})) as conn:
            assert conn.execute("SELECT to_regclass('stored_events')").fetchone() == (None,)
    finally:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(f"ALTER ROLE {aside} RENAME TO ledger_writer")
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            conn.execute(f"DROP ROLE IF EXISTS {owner}")


def test_serve_on_a_second_host_without_the_dashboard_key_says_so(
        production: tuple[str, str], tmp_path) -> None:  # noqa: ANN001
    """A second host given the home's ledger.json and secrets/log.key but not
    secrets/dashboard.key served a dashboard that recorded no disposition (503 dashboard-key),
    and `ledger serve` said nothing of it. It now warns, naming the file to copy; given the
    copy, it says nothing of the kind."""
    import shutil
    import signal
    import subprocess
    import sys

    from .test_multiprocess import free_port
    from .test_serve import wait_until_serving
    _, service = production
    first, second = tmp_path / "home", tmp_path / "second"
    (second / "secrets").mkdir(parents=True)
    for name in ("ledger.json", "secrets/log.key"):
        shutil.copy(first / name, second / name)

    def stderr() -> str:
        port = free_port()
        env = {**os.environ, "LEDGER_HOME": str(second), "LEDGER_DATABASE_URL": service,
               "LEDGER_PROJECTIONS": "off"}
        env.pop("LEDGER_DASHBOARD_KEY", None)
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        wait_until_serving(proc, port)
        proc.send_signal(signal.SIGTERM)
        return proc.communicate(timeout=60)[1]

    said = stderr()
    assert (f"ledger serve: warning: no dashboard key ({second / 'secrets' / 'dashboard.key'}): "
            "the dashboard records no disposition") in said
    assert "copy secrets/dashboard.key from the home `ledger init` made" in said
    shutil.copy(first / "secrets" / "dashboard.key", second / "secrets" / "dashboard.key")
    assert "dashboard key" not in stderr()
