"""The whole product on a generated city (issue #6): ingest, projection rebuild, queries, proofs,
export and offline verification at each size asked for — each beside its baseline measured in
the same run — and how each cost grows between the sizes.

    .venv/bin/python benchmarks/city_bench.py --events 100000 1000000

For each size N, on one durable PostgreSQL (fsync on), a fresh database:

1. the synthetic city (ledger/synth, seeded) is generated, scaled to N events (more brigades),
   every event signed by the key of whoever would sign it;
2. **raw COPY** (baseline): the same N canonical envelopes COPYed into a bare table;
3. **eventsourcing save** (baseline): N unsigned library aggregates saved in batches of 1,000;
4. **ingest**: the N envelopes through the ledger's append pipeline in-process (parse, verify
   every signature, keys, chains, Merkle nodes, group commit), batches of 1,000;
5. **rebuild**, as ``ledger rebuild`` runs it: the read models in one pass (``--rebuild-batch``
   events fetched at a time, every state written once), then the red flags with all rules (one
   pass: fold everything, evaluate every subject once on two processes), from PostgreSQL;
   then ``ledger rebuild`` itself as a command (the two side by side); beside them
   (baseline) **eventsourcing's ProjectionRunner idiom** driving the same read-model reducers
   one event per transaction, on the first ``--idiom-events`` events;
6. over HTTP (`ledger serve`, projections off): **case, officer and flag-queue queries** and
   **inclusion proofs** (p50/p95/p99), then **ingest on the loaded log** — batches of 1,000 and
   64 concurrent single-event clients (wrk) — beside the library's 64-thread save;
7. **export** of the whole log as an audit bundle, and case bundles over HTTP (p50/p95/p99);
8. **offline verification** of the whole-log bundle (`ledger verify`, two workers) beside raw
   PyNaCl verification on two processes.

Peak RSS is reported for this process (cumulative maximum after each phase) and for the
verifier. Results: benchmarks/results/city-<N>.json, and a growth table at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (ROOT_ID, BenchCluster, Server, machine, peak_rss_mib,  # noqa: E402
                               percentiles)
from benchmarks.ingest import (Signer, bench_ledger_batches, bench_ledger_single_wrk,  # noqa
                               bench_library_batches, bench_library_concurrent, library_app)
from benchmarks.verify_bench import raw_rate, run_verify  # noqa: E402
from ledger.bundle import BundleExport, bundle_scope  # noqa: E402
from ledger.canonical import canonical  # noqa: E402
from ledger.client import sign_envelope  # noqa: E402
from ledger.crypto import SigningKey, b64url_decode, b64url_encode  # noqa: E402
from ledger.domain import vocabulary  # noqa: E402
from ledger.logview import LogView  # noqa: E402
from ledger.service import Ledger  # noqa: E402
from ledger.store import LedgerStore, datastore_from_url  # noqa: E402
from ledger.synth.generator import SyntheticCity  # noqa: E402
from ledger.synth.params import CityParams  # noqa: E402
from ledger.tokens import new_token, token_hash  # noqa: E402
from projections.flagsview import FlagsView  # noqa: E402
from projections.readmodels import ReadModels  # noqa: E402

ORIGIN = "bench.city/log"
LARGE_EVENTS = 160_000       # what the "large" scale (4 brigades, 365 days) generates


def say(text: str) -> None:
    print(text, flush=True)


def ms(samples: list[float]) -> dict[str, float]:
    return {k: round(v * 1000, 2) for k, v in percentiles(samples).items()}


# -- 1. the city -------------------------------------------------------------------------------
def city_params(n: int, seed: int) -> CityParams:
    """A city big enough for ``n`` events: up to 160k the "large" city; beyond, more brigades
    (at most 24 — a bureau's posts list at most 1,000 grids) and a busier caseload (up to
    ≈ 0.6 cases per officer per working day)."""
    k = n / LARGE_EVENTS
    if k <= 1:
        return CityParams.scale("large", seed=seed)
    brigades = 4 * min(math.ceil(k / 2), 6)
    rate = 0.22 * 1.2 * k / (brigades / 4)
    return CityParams.scale("large", seed=seed, brigades=brigades,
                            cases_per_officer_day=round(rate, 3))


def generate(n: int, seed: int, root: SigningKey) -> tuple[list[bytes], CityParams]:
    """The first ``n`` events of :func:`city_params`' city, signed, as canonical bytes."""
    params = city_params(n, seed)
    city = SyntheticCity(params, root_key=root, root_key_id=ROOT_ID)
    raws = [canonical(env) for env in islice(city.envelopes(), n)]
    return raws, params


def batches(raws: list[bytes], size: int = 1000) -> list[bytes]:
    """Canonical JSON arrays of canonical envelopes (each already RFC 8785)."""
    return [b"[" + b",".join(raws[i:i + size]) + b"]" for i in range(0, len(raws), size)]


# -- 2. raw COPY ---------------------------------------------------------------------------------
def raw_copy(url: str, raws: list[bytes]) -> float:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE raw_events (id bigserial PRIMARY KEY, body bytea NOT NULL)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY raw_events (body) FROM STDIN") as copy:
            for raw in raws:
                copy.write_row((raw,))
        conn.commit()
        return len(raws) / (time.perf_counter() - started)


# -- 5. eventsourcing's ProjectionRunner idiom -------------------------------------------------
def projection_runner_idiom(owner_url: str, events: int, timeout: float = 3600) -> float:
    """The library's way: ``ProjectionRunner`` subscribes to the application's recorder and
    calls ``process_event`` once per event; the projection applies the same read-model reducers
    (``ReadModels``' fold) to that one event and writes its states and the tracking record in
    one transaction. Returns events/s over the first ``events`` events."""
    from eventsourcing.application import Application
    from eventsourcing.persistence import Tracking
    from eventsourcing.postgres import PostgresTrackingRecorder
    from eventsourcing.projection import Projection, ProjectionRunner
    from psycopg.conninfo import conninfo_to_dict

    from projections.readmodels import Fold, recorded
    from projections.redflags.params import ParamsTimeline, national

    class Passthrough:
        """Mapper: the stored event as it is (the ledger's state is the signed envelope)."""

        def to_domain_event(self, stored: Any) -> Any:
            return stored

    class Stored(Application):       # reads the ledger's own table, stored_events
        def construct_mapper(self) -> Any:
            return Passthrough()

    class IdiomView(PostgresTrackingRecorder):
        def apply(self, stored: Any, tracking: Tracking) -> None:
            with self.datastore.transaction(commit=True) as curs:
                # the receipt, by the event id the signed envelope carries (indexed)
                event_id = orjson.loads(stored.state)["event_id"]
                curs.execute(
                    "SELECT log_index, event_id, stream, stream_version, event_type, "
                    "recorded_at FROM ledger_receipts WHERE event_id = %s", (event_id,))
                rec = recorded(**curs.fetchone(), state=stored.state)
                # the per-event transaction is what is measured: national configuration only
                fold = Fold(lambda table, ids: ReadModels._load(curs, table, ids),
                            ParamsTimeline(national()))
                fold.preload([rec])
                fold.apply(rec)
                ReadModels._save(curs, fold)
                self._insert_tracking(curs, tracking)

    class IdiomProjection(Projection[IdiomView]):
        name = "idiom"
        topics = ()

        def process_event(self, domain_event: Any, tracking: Tracking) -> None:
            self.view.apply(domain_event, tracking)

    p = conninfo_to_dict(owner_url)
    env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": p["dbname"],
           "POSTGRES_HOST": p["host"], "POSTGRES_PORT": str(p.get("port", 5432)),
           "POSTGRES_USER": p["user"], "POSTGRES_PASSWORD": "", "CREATE_TABLE": "y"}
    with psycopg.connect(owner_url, autocommit=True) as conn:
        for table in ("view_cases", "view_officers", "view_complaints",
                      "view_public_decisions", "view_supervision"):
            conn.execute(f"TRUNCATE {table}")
        last = conn.execute("SELECT notification_id FROM stored_events ORDER BY notification_id "
                            "OFFSET %s LIMIT 1", (events - 1,)).fetchone()[0]
    started = time.perf_counter()
    with ProjectionRunner(application_class=Stored, projection_class=IdiomProjection,
                          view_class=IdiomView, env=env) as runner:
        runner.wait(last, timeout=timeout)
    return events / (time.perf_counter() - started)


def ledger_rebuild(owner: str, n: int) -> float:
    """The operator's verb end to end: ``ledger rebuild`` as a command on the same database."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LEDGER_HOME": home, "LEDGER_DATABASE_URL": owner}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "api.cli", "rebuild"], env=env, check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)
        return n / (time.perf_counter() - started)


# -- the run for one size ------------------------------------------------------------------------
def run_size(cluster: BenchCluster, n: int, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"events_requested": n}
    root, log_key = SigningKey.generate(), SigningKey.generate()
    t = time.perf_counter()
    raws, params = generate(n, args.seed, root)
    n = len(raws)
    out["events"], out["generate_s"] = n, round(time.perf_counter() - t, 1)
    out["city"] = {"brigades": params.brigades, "days": params.days,
                   "cases_per_officer_day": params.cases_per_officer_day}
    say(f"\n## {n:,} events (city: {params.brigades} brigades, {params.days} days, "
        f"{params.cases_per_officer_day} cases/officer/day; generated "
        f"in {out['generate_s']} s)")

    owner, app_url = cluster.ledger_database(f"city_{n}")
    out["raw_copy_ev_s"] = round(raw_copy(cluster.database(f"copy_{n}"), raws))
    say(f"raw COPY of the envelopes (baseline)   {out['raw_copy_ev_s']:>9,} ev/s")

    lib_app, clue = library_app(cluster.database(f"lib_{n}"))
    out["library_save_ev_s"] = round(bench_library_batches(lib_app, clue, n, 1000))
    say(f"eventsourcing save, batches of 1,000   {out['library_save_ev_s']:>9,} ev/s (unsigned)")

    store = LedgerStore(datastore_from_url(app_url), url=app_url)
    ledger = Ledger(store, root_keys={ROOT_ID: root.public_key}, types=vocabulary)
    t = time.perf_counter()
    for body in batches(raws):
        ledger.append(body)
    out["ingest_ev_s"] = round(n / (time.perf_counter() - t))
    out["ingest_vs_save"] = round(out["ingest_ev_s"] / out["library_save_ev_s"], 2)
    out["ingest_vs_copy"] = round(out["ingest_ev_s"] / out["raw_copy_ev_s"], 3)
    out["rss_after_ingest_mib"] = round(peak_rss_mib())
    say(f"ledger ingest, batches of 1,000        {out['ingest_ev_s']:>9,} ev/s (signed, verified"
        f"; {out['ingest_vs_save']}x save, {out['ingest_vs_copy']}x COPY)")
    log = LogView(store, origin=ORIGIN, key_name=ORIGIN, signing_key=log_key)
    log.issue_checkpoint()

    at = datetime.combine(params.start + timedelta(days=params.days + 30),
                          datetime.min.time(), tzinfo=timezone.utc)
    views, flags = ReadModels(store), FlagsView(store, clock=lambda: at)
    t = time.perf_counter()                 # what `ledger rebuild` runs
    views.rebuild(fetch=args.rebuild_batch)
    out["read_models_ev_s"] = round(n / (time.perf_counter() - t))
    t = time.perf_counter()
    flags.rebuild(at)
    out["flags_ev_s"] = round(n / (time.perf_counter() - t))
    with store.cursor() as curs:
        curs.execute("SELECT count(*) AS n FROM view_flags")
        out["flags"] = curs.fetchone()["n"]
    say(f"read models rebuild                    {out['read_models_ev_s']:>9,} ev/s")
    say(f"red flags rebuild, all rules           {out['flags_ev_s']:>9,} ev/s "
        f"({out['flags']:,} flags)")
    out["ledger_rebuild_ev_s"] = round(ledger_rebuild(owner, n))
    say(f"`ledger rebuild` (both, side by side)  {out['ledger_rebuild_ev_s']:>9,} ev/s")
    out["rss_after_rebuild_mib"] = round(peak_rss_mib())
    idiom_n = min(n, args.idiom_events)
    out["idiom_events"] = idiom_n
    out["idiom_read_models_ev_s"] = round(projection_runner_idiom(owner, idiom_n))
    views.rebuild(fetch=args.rebuild_batch)       # the idiom truncated the tables: rebuild
    say(f"ProjectionRunner idiom (baseline)      {out['idiom_read_models_ev_s']:>9,} ev/s "
        f"(same reducers, one event per transaction, first {idiom_n:,} events)")

    if args.skip_http:
        ledger.close()
        store.close()
        lib_app.close()
        return out

    # over HTTP
    token = new_token()
    owner_store = LedgerStore(datastore_from_url(owner, pool_size=1, max_overflow=0))
    owner_store.insert_token(token_hash(token), "bench", ["poster", "inspector", "auditor"], [])
    owner_store.close()
    signer = Signer()
    ledger.append(canonical(sign_envelope(root, ROOT_ID, stream="keys", type="KeyRegistered",
                                          body={"key_id": "bench-app",
                                                "public_key": b64url_encode(signer.key.public_key),
                                                "principal": "bench", "roles": ["case-app"],
                                                "not_before": None, "not_after": None})))
    with store.cursor() as curs:
        curs.execute("SELECT case_id FROM view_cases ORDER BY random() LIMIT 300")
        cases = [r["case_id"] for r in curs.fetchall()]
        curs.execute("SELECT officer_id FROM view_officers ORDER BY random() LIMIT 100")
        officers = [r["officer_id"] for r in curs.fetchall()]
        curs.execute("SELECT rule_id, severity, officer_id, unit_id, case_id, "
                     "left(raised_at, 10) AS day FROM view_flags ORDER BY random() LIMIT 300")
        sample_flags = curs.fetchall()
    server = Server(app_url, b64url_encode(root.public_key))
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(6)
    try:
        with httpx.Client(base_url=server.base, headers=headers, timeout=120) as http:
            def timed(paths: list[str]) -> dict[str, float]:
                lat = []
                for path in paths:
                    t0 = time.perf_counter()
                    r = http.get(path)
                    lat.append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
                return ms(lat)

            out["case_query_ms"] = timed([f"/v1/cases/{c}" for c in cases])
            out["officer_query_ms"] = timed([f"/v1/officers/{o}" for o in officers])
            flag_paths = []
            for f in sample_flags:
                key, value = rng.choice([("severity", f["severity"]), ("rule_id", f["rule_id"]),
                                         ("officer", f["officer_id"]), ("unit", f["unit_id"]),
                                         ("case", f["case_id"]), ("status", "raised")])
                flag_paths.append(f"/v1/flags?limit=50&{key}={value}" if value
                                  else "/v1/flags?limit=50")
            out["flag_query_ms"] = timed(flag_paths)
            # the same filters within the month before each sample flag's day (a bound costs
            # the flags' zone, read once more), and the second page by each first page's cursor
            out["flag_bounded_query_ms"] = timed([
                f"{path}&since={date.fromisoformat(f['day']) - timedelta(days=30)}"
                f"&until={f['day']}" for path, f in zip(flag_paths, sample_flags)])
            cursors = [(path, http.get(path).json()["next"]) for path in flag_paths]
            out["flag_next_page_ms"] = timed([f"{path}&after={quote(after, safe='')}"
                                              for path, after in cursors if after])
            size = store.size()
            out["inclusion_proof_ms"] = timed(
                [f"/v1/log/proofs/inclusion?index={rng.randrange(size - 1)}&tree_size={size - 1}"
                 for _ in range(300)])
            out["case_bundle_ms"] = timed([f"/v1/bundles?case={c}" for c in cases[:50]])
            for name in ("case_query_ms", "officer_query_ms", "flag_query_ms",
                         "flag_bounded_query_ms", "flag_next_page_ms", "inclusion_proof_ms",
                         "case_bundle_ms"):
                p = out[name]
                say(f"{name[:-3].replace('_', ' '):38} p50 {p['p50']:.2f} / p95 {p['p95']:.2f} "
                    f"/ p99 {p['p99']:.2f} ms")
        out["http_batch_ev_s"] = round(bench_ledger_batches(
            server.base, token, signer.events(10_000), 1000, 2))
        single = bench_ledger_single_wrk(server.base, token, signer.events(60_000), 64,
                                         args.single_seconds)
        out["http_single_64"] = {k: round(v, 1) for k, v in single.items()}
        lib64 = bench_library_concurrent(lib_app, clue, 64, args.single_seconds)
        out["library_save_64_threads"] = {k: round(v, 1) for k, v in lib64.items()}
        out["http_single_vs_library"] = round(single["rate"] / lib64["rate"], 2)
        say(f"HTTP ingest on the loaded log, batches {out['http_batch_ev_s']:>9,} ev/s")
        say(f"HTTP ingest, 64 clients x 1 event      {single['rate']:>9,.0f} ev/s (p99 "
            f"{single['p99']:.0f} ms) vs library save 64 threads {lib64['rate']:,.0f} ev/s: "
            f"{out['http_single_vs_library']}x")
    finally:
        server.close()
    lib_app.close()

    # export and verify
    workdir = Path(tempfile.mkdtemp(prefix="city-bench-"))
    bundle = workdir / "all.ndjson"
    log.issue_checkpoint()
    t = time.perf_counter()
    export = BundleExport.prepare(store, log, bundle_scope(whole=True), types=ledger.types)
    with open(bundle, "wb") as f:
        written = export.write(f)
    out["export_s"] = round(time.perf_counter() - t, 1)
    out["export_ev_s"] = round(export.checkpoint.size / (time.perf_counter() - t))
    out["bundle_mib"] = round(written / 2**20)
    say(f"export whole log                       {out['export_ev_s']:>9,} ev/s "
        f"({out['bundle_mib']:,} MiB)")
    trust = workdir / "ledger.json"
    trust.write_text(json.dumps({"root_keys": {ROOT_ID: b64url_encode(root.public_key)},
                                 "log": {"origin": ORIGIN, "key_name": ORIGIN,
                                         "public_key": b64url_encode(log_key.public_key)}}))
    seconds, rss_kib, _, summary = run_verify(bundle, trust, None)
    out["verify_ev_s"] = round(export.checkpoint.size / seconds)
    out["verify_peak_rss_mib"] = round(rss_kib / 1024)
    sample = verify_sample(raws, 20_000)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        raw = max(raw_rate(pool, sample)[0] for _ in range(2))
    out["raw_verify_2proc"] = round(raw)
    out["verify_vs_raw"] = round(out["verify_ev_s"] / raw, 3)
    say(f"ledger verify (offline, 2 workers)     {out['verify_ev_s']:>9,} ev/s vs raw PyNaCl "
        f"{raw:,.0f}/s on 2 processes: {out['verify_vs_raw']} (peak RSS "
        f"{out['verify_peak_rss_mib']} MiB)")
    out["verify_summary"] = summary
    bundle.unlink()
    trust.unlink()
    workdir.rmdir()
    out["rss_peak_mib"] = round(peak_rss_mib())
    ledger.close()
    store.close()
    return out


def verify_sample(raws: list[bytes], count: int) -> list[tuple[bytes, bytes, bytes]]:
    """(public key, signed bytes, signature) of ``count`` envelopes, for the raw-verify rate."""
    keys: dict[str, bytes] = {}
    out = []
    for raw in raws:
        env = json.loads(raw)
        if env["type"] == "KeyRegistered":
            keys[env["body"]["key_id"]] = b64url_decode(env["body"]["public_key"])
    for raw in raws[-count:]:
        env = json.loads(raw)
        public = keys.get(env["signer"][4:])
        if public is None:
            continue
        sig = b64url_decode(env.pop("sig"))
        out.append((public, canonical(env), sig))
    return out


GROWTH = [("ingest_ev_s", "ingest, ev/s"), ("read_models_ev_s", "read-model rebuild, ev/s"),
          ("flags_ev_s", "flag rebuild, ev/s"), ("export_ev_s", "export, ev/s"),
          ("verify_ev_s", "offline verify, ev/s")]
GROWTH_MS = [("case_query_ms", "case query p50, ms"), ("officer_query_ms", "officer query p50, ms"),
             ("flag_query_ms", "flag query p50, ms"),
             ("flag_bounded_query_ms", "flag query within a month p50, ms"),
             ("flag_next_page_ms", "flag query, next page p50, ms"),
             ("inclusion_proof_ms", "inclusion proof p50, ms"),
             ("case_bundle_ms", "case bundle p50, ms")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rebuild-batch", type=int, default=100_000,
                        help="events fetched at a time by the rebuilds (`ledger rebuild`'s "
                             "default)")
    parser.add_argument("--idiom-events", type=int, default=20_000,
                        help="events the ProjectionRunner baseline processes (it is slow)")
    parser.add_argument("--single-seconds", type=float, default=10.0)
    parser.add_argument("--skip-http", action="store_true",
                        help="stop after the rebuilds (no queries, HTTP ingest, export, verify)")
    args = parser.parse_args()
    cluster = BenchCluster()
    results: list[dict[str, Any]] = []
    say(f"# {machine()}; PostgreSQL {cluster.version}, fsync {cluster.fsync}")
    try:
        for n in args.events:
            results.append(run_size(cluster, n, args))
            path = ROOT / "benchmarks" / "results" / f"city-{results[-1]['events']}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"machine": machine(), **results[-1]}, indent=2) + "\n")
    finally:
        cluster.close()
    if len(results) > 1:
        a, b = results[0], results[-1]
        say(f"\n## growth from {a['events']:,} to {b['events']:,} events "
            f"(x{b['events'] / a['events']:.1f})")
        for key, label in GROWTH:
            say(f"{label:28} {a[key]:>9,} -> {b[key]:>9,}  (x{b[key] / a[key]:.2f})")
        for key, label in GROWTH_MS:
            say(f"{label:28} {a[key]['p50']:>9} -> {b[key]['p50']:>9}  "
                f"(x{b[key]['p50'] / a[key]['p50']:.2f})")
    os.environ.pop("CREATE_TABLE", None)


if __name__ == "__main__":
    main()
