"""What one live batch costs the red-flag engine at scale, by subject kind: the synthetic city's
history (pure engine, no database) is folded except its last events and evaluated once, then
the tail arrives in live-sized batches; the first batch's dirty subjects are evaluated kind by
kind, then every batch's fold and evaluation are timed.

    .venv/bin/python benchmarks/flags_live.py --events 1000000 --tail 3000 --batch 1000

A ledger-wide statistical cohort costs in proportion to the whole quarter, not to the batch;
this is what `FlagsView` defers (docs/red-flags.md "Performance").
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.city_bench import city_params  # noqa: E402
from benchmarks.common import machine  # noqa: E402
from ledger.crypto import SigningKey  # noqa: E402
from ledger.synth.generator import SyntheticCity  # noqa: E402
from projections.redflags.engine import FlagEngine  # noqa: E402
from tests.test_ground_truth import history  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--tail", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    params = city_params(args.events, args.seed)
    city = SyntheticCity(params, root_key=SigningKey(bytes(32)), root_key_id="root-1")
    started = time.perf_counter()
    recs = history(city)[:args.events]
    print(f"# {machine()}\n{len(recs):,} events generated in {time.perf_counter() - started:.0f} s",
          flush=True)
    engine = FlagEngine()
    head, tail = recs[:-args.tail], recs[-args.tail:]
    at = datetime.combine(params.start + timedelta(days=params.days + 30), datetime.min.time(),
                          tzinfo=timezone.utc)
    started = time.perf_counter()
    engine.apply_all(head)
    folded = time.perf_counter() - started
    started = time.perf_counter()
    engine.evaluate_all(at)
    print(f"fold {len(head):,} events {folded:.1f} s, evaluate every subject "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    for i in range(0, len(tail), args.batch):
        batch = tail[i:i + args.batch]
        started = time.perf_counter()
        dirty = engine.apply_all(batch)
        fold_ms = (time.perf_counter() - started) * 1000
        if i == 0:
            for kind, count in sorted(Counter(s.kind for s in dirty).items()):
                started = time.perf_counter()
                engine.evaluate({s for s in dirty if s.kind == kind}, at)
                print(f"  {kind:12} {count:5} subjects {(time.perf_counter() - started) * 1000:7.0f} ms",
                      flush=True)
        started = time.perf_counter()
        engine.evaluate(dirty, at)
        print(f"batch of {len(batch):,}: fold {fold_ms:.0f} ms, evaluate "
              f"{(time.perf_counter() - started) * 1000:.0f} ms ({len(dirty)} subjects)",
              flush=True)


if __name__ == "__main__":
    main()
