"""What the service's role (``ledger_app``, a member of ``ledger_writer``) may do to the database
it serves, attacked as a compromised service would: it writes history through the ledger only,
and nothing it can do runs later with the owner's rights."""

from __future__ import annotations

import psycopg
import pytest

from .conftest import World

# The projections' lock as `ledger rebuild` takes it with the owner's role (api/cli.py): a Python
# int is sent as an integer, which pg_catalog takes only as bigint, so a public function of that
# name taking an integer is the better match and would run instead, with the owner's rights.
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
