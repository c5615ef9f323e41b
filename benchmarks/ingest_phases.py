"""Where an ingest batch spends its time: the three phases of `Ledger.append` timed apart on the
synthetic city's events (µs per event), in-process, batches of 1,000.

    .venv/bin/python benchmarks/ingest_phases.py --events 30000

parse = `Ledger.parse` (canonical-JSON check, envelope shape, the event type's schema), split
further into its three parts on a separate pass over the same bodies; verify =
`Ledger.verify_signatures` (libsodium on the ledger's signature worker processes); commit =
`submit(...).result()` (group commit: receipts, chain and leaf hashes, Merkle nodes, inserts,
fsync).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.city_bench import batches, generate  # noqa: E402
from benchmarks.common import ROOT_ID, BenchCluster, machine  # noqa: E402
from ledger.canonical import parse_canonical_or_strict  # noqa: E402
from ledger.crypto import SigningKey  # noqa: E402
from ledger.domain import vocabulary  # noqa: E402
from ledger.envelope import Envelope  # noqa: E402
from ledger.service import Ledger  # noqa: E402
from ledger.store import LedgerStore, datastore_from_url  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    cluster = BenchCluster()
    try:
        root = SigningKey.generate()
        raws, _ = generate(args.events, args.seed, root)
        _, app_url = cluster.ledger_database("phases")
        store = LedgerStore(datastore_from_url(app_url), url=app_url)
        ledger = Ledger(store, root_keys={ROOT_ID: root.public_key}, types=vocabulary)
        t = dict.fromkeys(("parse", "verify", "commit", "json", "envelope", "schema"), 0.0)
        for body in batches(raws):
            a = time.perf_counter()
            envelopes = ledger.parse(body)
            b = time.perf_counter()
            ledger.verify_signatures(envelopes, batched=True)
            c = time.perf_counter()
            ledger.submit(envelopes).result()
            d = time.perf_counter()
            t["parse"] += b - a
            t["verify"] += c - b
            t["commit"] += d - c
            # the parts of parse, on their own
            a = time.perf_counter()
            values = parse_canonical_or_strict(body)
            b = time.perf_counter()
            envs = [Envelope.from_value(v) for v in values]
            c = time.perf_counter()
            for e in envs:
                vocabulary.validate_event(e.type, e.stream, e.body)
            d = time.perf_counter()
            t["json"] += b - a
            t["envelope"] += c - b
            t["schema"] += d - c
        ledger.close()
        store.close()
    finally:
        cluster.close()
    n = len(raws)
    total = t["parse"] + t["verify"] + t["commit"]
    print(f"# {machine()}")
    print(f"{n:,} city events ({sum(map(len, raws)) / n:,.0f} bytes each on average): "
          f"{n / total:,.0f} ev/s")
    for name in ("parse", "verify", "commit"):
        print(f"{name:8} {t[name] / n * 1e6:6.1f} us/event")
    for name in ("json", "envelope", "schema"):
        print(f"  parse: {name:9} {t[name] / n * 1e6:6.1f} us/event")


if __name__ == "__main__":
    main()
