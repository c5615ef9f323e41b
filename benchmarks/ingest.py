"""Ingest benchmark (issue #2): signed events through POST /v1/events beside eventsourcing's own
unsigned Application.save, measured in the same run on the same PostgreSQL (fsync on).

(a) batches of 100 and 1,000 events per request / per save() call;
(b) 64 concurrent clients, one event per request, beside 64 threads each calling save() with one
    event. Load for (b) comes from wrk (C, light on the CPU) when installed, else from Python.

    python benchmarks/ingest.py [--events 20000] [--single-seconds 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT_ID, BenchCluster, Server, machine, percentiles  # noqa: E402
from ledger.canonical import canonical  # noqa: E402
from ledger.client import sign_envelope  # noqa: E402
from ledger.crypto import SigningKey, b64url_encode  # noqa: E402
from ledger.tokens import new_token, token_hash  # noqa: E402

HERE = Path(__file__).resolve().parent


# -- eventsourcing baseline ----------------------------------------------------------------------
_LIBRARY: tuple[Any, Any] | None = None     # (Baseline, Clue): a topic may be registered once


def library_app(url: str):  # noqa: ANN201
    """eventsourcing's own Application on the database at ``url`` (read from the environment
    when the application is constructed) and its aggregate class."""
    global _LIBRARY
    params = conninfo_to_dict(url)
    os.environ.update(
        PERSISTENCE_MODULE="eventsourcing.postgres", POSTGRES_DBNAME=params["dbname"],
        POSTGRES_HOST=params["host"], POSTGRES_PORT=str(params.get("port", 5432)),
        POSTGRES_USER=params["user"], POSTGRES_PASSWORD="", CREATE_TABLE="y",
        POSTGRES_POOL_SIZE="8", POSTGRES_MAX_OVERFLOW="80")
    if _LIBRARY is None:
        from eventsourcing.application import Application
        from eventsourcing.domain import Aggregate, event

        class Clue(Aggregate):
            @event("ClueRegistered")
            def __init__(self, clue_id: str, source: str, unit_id: str) -> None:
                self.clue_id = clue_id

        class Baseline(Application):
            pass

        _LIBRARY = (Baseline, Clue)
    baseline, clue = _LIBRARY
    return baseline(), clue


def bench_library_batches(app, clue, n: int, batch: int) -> float:  # noqa: ANN001
    aggregates = [clue(f"C-{i}", "patrol", "SH-HP-01") for i in range(n)]
    started = time.perf_counter()
    for i in range(0, n, batch):
        app.save(*aggregates[i:i + batch])
    return n / (time.perf_counter() - started)


def bench_library_concurrent(app, clue, threads: int, seconds: float) -> dict:  # noqa: ANN001
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        mine = []
        while time.perf_counter() < stop:
            agg = clue("C", "patrol", "SH-HP-01")
            t = time.perf_counter()
            app.save(agg)
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - started
    return {"rate": len(latencies) / elapsed, **{k: v * 1000 for k, v in
                                                 percentiles(latencies).items()}}


# -- the ledger ----------------------------------------------------------------------------------
class Signer:
    def __init__(self) -> None:
        self.key = SigningKey.generate()
        self.n = 0

    def events(self, count: int, streams: int = 1000) -> list[dict]:
        out = []
        for _ in range(count):
            self.n += 1
            out.append(sign_envelope(self.key, "bench-app",
                                     stream=f"case:B-{self.n % streams:05d}", type="ClueRegistered",
                                     body={"clue_id": f"C-{self.n}", "source": "patrol",
                                           "unit_id": "SH-HP-01", "summary": "x" * 120}))
        return out


def bench_ledger_batches(base: str, token: str, events: list[dict], batch: int,
                         clients: int) -> float:
    bodies = [canonical(events[i:i + batch]) for i in range(0, len(events), batch)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    pending = list(reversed(bodies))
    lock = threading.Lock()

    url = urlsplit(base)

    def worker() -> None:
        # The standard library's client: httpx spent ≈ 23 µs of this machine's two cores per
        # posted event at batches of 100, CPU the library's in-process baseline never pays.
        http = HTTPConnection(url.hostname, url.port, timeout=120)
        try:
            while True:
                with lock:
                    if not pending:
                        return
                    body = pending.pop()
                http.request("POST", "/v1/events", body=body, headers=headers)
                r = http.getresponse()
                text = r.read()
                if r.status != 201:
                    raise RuntimeError(f"{r.status}: {text[:300]!r}")
        finally:
            http.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(worker) for _ in range(clients)]:
            f.result()
    return len(events) / (time.perf_counter() - started)


def bench_ledger_single_wrk(base: str, token: str, events: list[dict], connections: int,
                            seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for e in events:
            f.write(canonical(e).decode() + "\n")
        path = f.name
    try:
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{int(seconds)}s", "--timeout", "30s",
             "-s", str(HERE / "wrk_post.lua"), base, "--", path, token, "2"],
            capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"wrk failed: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    finally:
        os.unlink(path)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["failed"] or result["replayed"]:
        raise RuntimeError(f"wrk saw failures or replays: {result} {out.stderr[-1500:]}")
    return {"rate": result["created"] / (result["duration_us"] / 1e6),
            "p50": result["p50_us"] / 1000, "p95": result["p95_us"] / 1000,
            "p99": result["p99_us"] / 1000}


def bench_ledger_single_python(base: str, token: str, events: list[dict], clients: int,
                               seconds: float) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [canonical(e) for e in events]
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    cursor = iter(range(len(bodies)))

    def worker() -> None:
        mine = []
        with httpx.Client(base_url=base, timeout=60) as http:
            while time.perf_counter() < stop:
                with lock:
                    i = next(cursor)
                t = time.perf_counter()
                r = http.post("/v1/events", content=bodies[i], headers=headers)
                mine.append(time.perf_counter() - t)
                if r.status_code != 201:
                    raise RuntimeError(r.text)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for f in [pool.submit(worker) for _ in range(clients)]:
            f.result()
    elapsed = time.perf_counter() - started
    return {"rate": len(latencies) / elapsed,
            **{k: v * 1000 for k, v in percentiles(latencies).items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="events per batch run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median kept)")
    parser.add_argument("--clients", type=int, default=2, help="concurrent batch posters")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--single-seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--only", choices=["batch", "single"], help="run one part only")
    args = parser.parse_args()

    cluster = BenchCluster()
    results: dict = {"machine": machine(), "postgres": cluster.version, "fsync": cluster.fsync,
                     "events": args.events, "repeat": args.repeat, "clients": args.clients,
                     "concurrency": args.concurrency, "workers": args.workers}
    print(f"# {results['machine']}; PostgreSQL {cluster.version}, fsync={cluster.fsync}",
          flush=True)
    try:
        app, clue = library_app(cluster.database("es_baseline"))
        owner, app_url = cluster.ledger_database("ledger_bench")
        token = new_token()
        with psycopg.connect(owner) as conn:
            conn.execute("INSERT INTO ledger_tokens (token_hash, principal, roles) "
                         "VALUES (%s, %s, %s)", (token_hash(token), "bench", ["poster"]))
        root = SigningKey.generate()
        server = Server(app_url, b64url_encode(root.public_key), workers=args.workers)
        signer = Signer()
        reg = sign_envelope(root, ROOT_ID, stream="keys", type="KeyRegistered", body={
            "key_id": "bench-app", "public_key": b64url_encode(signer.key.public_key),
            "principal": "bench", "roles": ["case-app"], "not_before": None, "not_after": None})
        httpx.post(server.base + "/v1/events", content=canonical(reg),
                   headers={"Authorization": f"Bearer {token}",
                            "Content-Type": "application/json"}).raise_for_status()
        try:
            for batch in (100, 1000) if args.only != "single" else ():
                lib, led = [], []
                for _ in range(args.repeat):
                    lib.append(bench_library_batches(app, clue, args.events, batch))
                    led.append(bench_ledger_batches(server.base, token,
                                                    signer.events(args.events), batch,
                                                    args.clients))
                results[f"batch_{batch}"] = {
                    "library_save_ev_s": statistics.median(lib), "ledger_post_ev_s":
                    statistics.median(led), "ratio": statistics.median(led) / statistics.median(lib),
                    "library_runs": lib, "ledger_runs": led}
                print(f"batch {batch:5d}: ledger {statistics.median(led):8.0f} ev/s (signed, "
                      f"verified, via HTTP)  library save {statistics.median(lib):8.0f} ev/s  "
                      f"ratio {statistics.median(led) / statistics.median(lib):.2f}", flush=True)

            if args.only == "batch":
                return
            lib_single = bench_library_concurrent(app, clue, args.concurrency,
                                                  args.single_seconds)
            supply = signer.events(int(args.single_seconds * 8000))
            if subprocess.run(["which", "wrk"], capture_output=True).returncode == 0:
                led_single = bench_ledger_single_wrk(server.base, token, supply, args.concurrency,
                                                     args.single_seconds)
                led_single["load"] = "wrk"
            else:
                print("# wrk not found (Debian: apt-get install wrk): the 64 clients are Python "
                      "threads in this process, which take the CPU the server needs; this figure "
                      "is not comparable with BENCHMARKS.md's", flush=True)
                led_single = bench_ledger_single_python(server.base, token, supply,
                                                        args.concurrency, args.single_seconds)
                led_single["load"] = "python threads"
            results["concurrent_single"] = {"library": lib_single, "ledger": led_single,
                                            "ratio": led_single["rate"] / lib_single["rate"]}
            print(f"{args.concurrency} concurrent single-event: ledger {led_single['rate']:8.0f} "
                  f"ev/s (p50 {led_single['p50']:.1f} p95 {led_single['p95']:.1f} p99 "
                  f"{led_single['p99']:.1f} ms)  library save {lib_single['rate']:8.0f} ev/s "
                  f"(p50 {lib_single['p50']:.1f} p95 {lib_single['p95']:.1f} p99 "
                  f"{lib_single['p99']:.1f} ms)  ratio {results['concurrent_single']['ratio']:.1f}"
                  f"  (load: {led_single['load']})",
                  flush=True)
        finally:
            server.close()
    finally:
        cluster.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    _ = uuid


if __name__ == "__main__":
    main()
