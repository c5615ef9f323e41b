"""Projection rebuild (issues #4/#5): the read models and the red flags rebuilt from a generated
city appended through the real pipeline, on a durable PostgreSQL; and flag-query latency.

    python benchmarks/rebuild_bench.py [--scale large] [--queries 500]

Not yet here: eventsourcing's ProjectionRunner idiom on the same history as a same-run baseline
(the ledger's events are signed envelopes, not library domain events, so the idiom needs the
history re-saved as library aggregates first).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT_ID, BenchCluster, machine, peak_rss_mib, percentiles  # noqa
from ledger.canonical import canonical  # noqa: E402
from ledger.crypto import SigningKey  # noqa: E402
from ledger.domain import vocabulary  # noqa: E402
from ledger.service import Ledger  # noqa: E402
from ledger.store import LedgerStore, datastore_from_url  # noqa: E402
from ledger.synth.generator import SyntheticCity  # noqa: E402
from ledger.synth.params import CityParams  # noqa: E402
from projections.flagsview import FlagsView  # noqa: E402
from projections.readmodels import ReadModels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cluster = BenchCluster()
    out: dict = {"machine": machine(), "postgres": cluster.version, "scale": args.scale}
    try:
        _, app_url = cluster.ledger_database("rebuild_bench")
        root = SigningKey.generate()
        store = LedgerStore(datastore_from_url(app_url), url=app_url)
        ledger = Ledger(store, root_keys={ROOT_ID: root.public_key}, types=vocabulary)
        city = SyntheticCity(CityParams.scale(args.scale, seed=args.seed), root_key=root,
                             root_key_id=ROOT_ID)
        batch, total, started = [], 0, time.perf_counter()
        for env in city.envelopes():
            batch.append(env)
            if len(batch) == 1000:
                ledger.append(canonical(batch))
                total += len(batch)
                batch = []
        if batch:
            ledger.append(canonical(batch))
            total += len(batch)
        out["events"], out["load_s"] = total, time.perf_counter() - started
        print(f"# {out['machine']}; {total:,} events appended in {out['load_s']:.0f} s",
              flush=True)
        at = datetime(2026, 6, 1, tzinfo=timezone.utc)
        views, flags = ReadModels(store), FlagsView(store, clock=lambda: at)
        views.reset()
        t = time.perf_counter()
        assert views.run_until_idle(limit=20_000) == total
        out["read_models_ev_s"] = total / (time.perf_counter() - t)
        flags.reset()
        t = time.perf_counter()
        flags.run_until_idle(limit=total + 1)       # one fold and one evaluation of everything
        out["flags_ev_s"] = total / (time.perf_counter() - t)
        n_flags = len(flags.snapshot())
        out["flags"] = n_flags
        print(f"read models rebuilt at {out['read_models_ev_s']:,.0f} ev/s; red flags (all "
              f"rules, {n_flags:,} flags) rebuilt at {out['flags_ev_s']:,.0f} ev/s; "
              f"peak RSS {peak_rss_mib():.0f} MiB", flush=True)
        rng = random.Random(1)
        sample = list(flags.snapshot().values())
        lat = []
        for _ in range(args.queries):
            f = rng.choice(sample)
            filters = rng.choice([{"severity": f["severity"]}, {"rule": f["rule"]},
                                  {"officer_id": f["subject"]["officer_id"]},
                                  {"unit_id": f["subject"]["unit_id"]},
                                  {"case_id": f["subject"]["case_id"]}, {"status": "raised"}])
            t = time.perf_counter()
            flags.query(limit=50, **filters)
            lat.append(time.perf_counter() - t)
        out["flag_query_ms"] = {k: v * 1000 for k, v in percentiles(lat).items()}
        print(f"flag queries (50 per page, one filter): p50 {out['flag_query_ms']['p50']:.2f} "
              f"p95 {out['flag_query_ms']['p95']:.2f} p99 {out['flag_query_ms']['p99']:.2f} ms",
              flush=True)
        ledger.close()
        store.close()
    finally:
        cluster.close()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
