"""Verifiable-log benchmark (issue #3): inclusion and consistency proof latency at N leaves,
and checkpoint lag under a sustained ingest rate, on a durable PostgreSQL (fsync on).

Events go through the real append pipeline in-process (parse, schema, Ed25519, group commit);
proofs are read from the stored perfect-subtree hashes the way GET /v1/log/proofs/* serves them.

    python benchmarks/log_bench.py [--events 1000000] [--proofs 2000] [--rate 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT_ID, BenchCluster, machine, percentiles  # noqa: E402
from ledger import merkle  # noqa: E402
from ledger.canonical import canonical  # noqa: E402
from ledger.client import sign_envelope  # noqa: E402
from ledger.crypto import SigningKey, b64url_encode  # noqa: E402
from ledger.domain import vocabulary  # noqa: E402
from ledger.logview import Checkpointer, LogView  # noqa: E402
from ledger.service import Ledger  # noqa: E402
from ledger.store import LedgerStore, datastore_from_url  # noqa: E402


def signed(key: SigningKey, start: int, count: int) -> list[dict]:
    return [sign_envelope(key, "bench-app", stream=f"case:L-{i % 5000:05d}",
                          type="ClueRegistered",
                          body={"clue_id": f"C-{i}", "source": "patrol", "unit_id": "SH-HP-01"})
            for i in range(start, start + count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=2000, help="sustained ingest, events/s")
    parser.add_argument("--lag-seconds", type=float, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    cluster = BenchCluster()
    out: dict = {"machine": machine(), "postgres": cluster.version, "events": args.events}
    print(f"# {out['machine']}; PostgreSQL {cluster.version}", flush=True)
    try:
        owner, app_url = cluster.ledger_database("log_bench")
        root, app, log_key = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
        store = LedgerStore(datastore_from_url(app_url), url=app_url)
        ledger = Ledger(store, root_keys={ROOT_ID: root.public_key}, types=vocabulary)
        ledger.append(canonical(sign_envelope(root, ROOT_ID, stream="keys", type="KeyRegistered",
                                              body={"key_id": "bench-app",
                                                    "public_key": b64url_encode(app.public_key),
                                                    "principal": "bench", "roles": ["case-app"],
                                                    "not_before": None, "not_after": None})))
        started = time.perf_counter()
        for lo in range(0, args.events, 1000):
            ledger.append(canonical(signed(app, lo, min(1000, args.events - lo))))
            if lo % 100_000 == 0:
                print(f"  loaded {lo:,} events", file=sys.stderr, flush=True)
        load = time.perf_counter() - started
        size = store.size()
        out["load_seconds"] = load
        log = LogView(store, origin="bench/log", key_name="bench/log", signing_key=log_key)
        log.issue_checkpoint()

        rng = random.Random(9162)
        lat, first = [], None
        for _ in range(args.proofs):
            index = rng.randrange(size)
            t = time.perf_counter()
            proof = log.inclusion(index, size)
            lat.append(time.perf_counter() - t)
            first = first or proof
        out["inclusion_ms"] = {k: v * 1000 for k, v in percentiles(lat).items()}
        root_hash = log.root(size)
        p = log.inclusion(7, size)
        merkle.verify_inclusion(bytes.fromhex(p["leaf_hash"]), 7, size,
                                [bytes.fromhex(h) for h in p["proof"]], root_hash)
        lat = []
        for _ in range(args.proofs // 4):
            first_size = rng.randrange(1, size)
            t = time.perf_counter()
            log.consistency(first_size, size)
            lat.append(time.perf_counter() - t)
        out["consistency_ms"] = {k: v * 1000 for k, v in percentiles(lat).items()}
        print(f"tree of {size:,} leaves (loaded in {load:.0f} s): inclusion proof p50 "
              f"{out['inclusion_ms']['p50']:.2f} p95 {out['inclusion_ms']['p95']:.2f} p99 "
              f"{out['inclusion_ms']['p99']:.2f} ms; consistency proof p50 "
              f"{out['consistency_ms']['p50']:.2f} p99 {out['consistency_ms']['p99']:.2f} ms",
              flush=True)

        # checkpoint lag: ingest at a steady rate; for each batch, time until a checkpoint
        # covering it exists (Checkpointer: every 1,000 events or 1 s, polling every 0.2 s).
        checkpointer = Checkpointer(log, every_events=1000, every_seconds=1.0)
        checkpointer.start()
        lags: list[float] = []
        pending: list[tuple[int, float]] = []
        lock = threading.Lock()
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set() or pending:
                latest = log.latest_checkpoint()
                now = time.perf_counter()
                with lock:
                    while pending and latest and pending[0][0] <= latest.size:
                        lags.append(now - pending.pop(0)[1])
                time.sleep(0.02)
                if stop.is_set() and time.perf_counter() - stop_time > 10:
                    return

        stop_time = 0.0
        watcher = threading.Thread(target=watch)
        watcher.start()
        per_batch = max(1, args.rate // 10)
        batches = int(args.lag_seconds * 10)
        supply = signed(app, args.events, per_batch * batches)
        t0 = time.perf_counter()
        for b in range(batches):
            receipts = ledger.append(canonical(supply[b * per_batch:(b + 1) * per_batch]))
            with lock:
                pending.append((receipts.receipts[-1].index + 1, time.perf_counter()))
            delay = t0 + (b + 1) / 10 - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        achieved = per_batch * batches / (time.perf_counter() - t0)
        stop_time = time.perf_counter()
        stop.set()
        watcher.join()
        checkpointer.stop()
        out["checkpoint_lag_s"] = percentiles(lags)
        out["sustained_rate"] = achieved
        print(f"checkpoint lag at {achieved:,.0f} events/s sustained: p50 "
              f"{out['checkpoint_lag_s']['p50']:.2f} s, p99 {out['checkpoint_lag_s']['p99']:.2f} s "
              "(policy: every 1,000 events or 1 s)", flush=True)
        ledger.close()
        store.close()
    finally:
        cluster.close()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
