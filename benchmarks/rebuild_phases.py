"""Where a projection rebuild spends its time, on the synthetic city: the read models with
different batch sizes, and the red flags split into their phases (fetch and decode from
PostgreSQL, fold, evaluate, store the flags, warning levels).

    .venv/bin/python benchmarks/rebuild_phases.py --events 1000000 \
        --view-batches 20000 100000 --flag-batches 100000 0

The city is generated and appended through the in-process pipeline once (batches of 1,000), then
each rebuild starts from empty tables; a flag batch of 0 means the whole log in one batch (what
`city_bench.py` measures). Rates are events per second of wall time; the phases are the seconds
spent in `fetch_after`, `FlagEngine.apply_all`, `FlagEngine.evaluate`, `FlagsView._store` and
`FlagsView._update_levels`.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import projections.flagsview as flagsview  # noqa: E402
from benchmarks.city_bench import batches, generate  # noqa: E402
from benchmarks.common import ROOT_ID, BenchCluster, machine  # noqa: E402
from ledger.crypto import SigningKey  # noqa: E402
from ledger.domain import vocabulary  # noqa: E402
from ledger.service import Ledger  # noqa: E402
from ledger.store import LedgerStore, datastore_from_url  # noqa: E402
from projections.readmodels import ReadModels  # noqa: E402
from projections.redflags.engine import FlagEngine  # noqa: E402

PHASES: dict[str, float] = {}


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - started
    return wrapper


def _rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--view-batches", type=int, nargs="*", default=[20_000, 100_000])
    parser.add_argument("--flag-batches", type=int, nargs="*", default=[100_000, 0])
    parser.add_argument("--ledger-rebuild", type=int, default=0, metavar="PAIRS",
                        help="also time `ledger rebuild`'s two steps, one pass "
                        "(ReadModels.rebuild, FlagsView.rebuild) against what they replaced "
                        "(batches of 100,000; for the flags followed by refresh_all), "
                        "alternately, PAIRS times")
    args = parser.parse_args()
    flagsview.fetch_after = _timed("fetch", flagsview.fetch_after)
    FlagEngine.apply_all = _timed("fold", FlagEngine.apply_all)           # type: ignore
    FlagEngine.evaluate = _timed("evaluate", FlagEngine.evaluate)         # type: ignore
    flagsview.FlagsView._store = _timed("store", flagsview.FlagsView._store)  # type: ignore
    flagsview.FlagsView._update_levels = _timed(                          # type: ignore
        "levels", flagsview.FlagsView._update_levels)
    print(f"# {machine()}", flush=True)
    cluster = BenchCluster()
    try:
        root = SigningKey.generate()
        raws, params = generate(args.events, args.seed, root)
        n = len(raws)
        _, app_url = cluster.ledger_database("phases")
        store = LedgerStore(datastore_from_url(app_url), url=app_url)
        ledger = Ledger(store, root_keys={ROOT_ID: root.public_key}, types=vocabulary)
        started = time.perf_counter()
        for body in batches(raws):
            ledger.append(body)
        print(f"{n:,} events appended at {n / (time.perf_counter() - started):,.0f} ev/s",
              flush=True)
        del raws
        gc.collect()
        for size in args.view_batches:
            views = ReadModels(store)
            views.reset()
            started = time.perf_counter()
            folded = views.run_until_idle(limit=size)
            print(f"read models, batches of {size:>9,}: {folded / (time.perf_counter() - started):>7,.0f}"
                  f" ev/s (peak RSS so far {_rss_mib():,} MiB)", flush=True)
        at = datetime.combine(params.start + timedelta(days=params.days + 30),
                              datetime.min.time(), tzinfo=timezone.utc)
        for size in args.flag_batches:
            PHASES.clear()
            flags = flagsview.FlagsView(store, clock=lambda: at)
            flags.reset()
            started = time.perf_counter()
            flags.run_until_idle(limit=size or n + 1)
            wall = time.perf_counter() - started
            phases = ", ".join(f"{k} {v:.1f} s" for k, v in PHASES.items())
            print(f"red flags, batches of {size or n:>11,}: {n / wall:>7,.0f} ev/s ({wall:.1f} s: "
                  f"{phases}; peak RSS so far {_rss_mib():,} MiB)", flush=True)
            del flags
            gc.collect()
        for _ in range(args.ledger_rebuild):
            for name in ("batches of 100,000", "one pass (rebuild)"):
                views = ReadModels(store)
                started, cpu = time.perf_counter(), time.process_time()
                if name.startswith("one"):
                    views.rebuild(fetch=100_000)
                else:
                    views.reset()
                    views.run_until_idle(limit=100_000)
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                print(f"ledger rebuild's read models, {name}: {n / wall:>7,.0f} ev/s ({wall:.1f}"
                      f" s, CPU {cpu:.1f} s; peak RSS so far {_rss_mib():,} MiB)", flush=True)
                gc.collect()
            for name in ("batches of 100,000 + refresh_all", "one pass (rebuild)"):
                PHASES.clear()
                flags = flagsview.FlagsView(store, clock=lambda: at)
                flags.reset()
                started, cpu = time.perf_counter(), time.process_time()
                if name.startswith("one"):
                    flags.rebuild(at)
                else:
                    flags.run_until_idle(limit=100_000)
                    flags.refresh_all(at)
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                phases = ", ".join(f"{k} {v:.1f} s" for k, v in PHASES.items())
                print(f"ledger rebuild's flags, {name}: {n / wall:>7,.0f} ev/s ({wall:.1f} s, "
                      f"CPU {cpu:.1f} s: {phases}; peak RSS so far {_rss_mib():,} MiB)",
                      flush=True)
                del flags
                gc.collect()
        ledger.close()
        store.close()
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
