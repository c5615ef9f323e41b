"""Offline verification speed: `ledger verify` on a generated whole-log bundle of N events, beside
the raw PyNaCl (libsodium) Ed25519 verify rate on two processes, measured in the same run.

No database: events are signed with PyNaCl and the receipts, stream chains and Merkle root are
built with the ledger's own pure modules (ledger.logentry, ledger.merkle), then written in the
bundle format (ledger.verify.format) with a checkpoint signed by a fresh log key.

    .venv/bin/python benchmarks/verify_bench.py --events 100000
    .venv/bin/python benchmarks/verify_bench.py --events 1000000 --keep

Prints events/s for `ledger verify`, the raw two-process verify rate (measured before and after
every verify run; best of each is compared, so both are taken on the least disturbed machine),
the ratio, CPU time per event against CPU time per raw verify (insensitive to other load on the
machine), and the verifier's peak RSS (its largest process, from getrusage of the children of a
wrapper process). Results are also written as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nacl.bindings as sodium  # noqa: E402

from ledger import merkle  # noqa: E402
from ledger.checkpoint import Checkpoint, sign_checkpoint  # noqa: E402
from ledger.keyshead import KeysHead  # noqa: E402
from ledger.crypto import SigningKey, b64url_encode  # noqa: E402
from ledger.logentry import (chain_genesis, chain_next, entry_bytes,  # noqa: E402
                             format_recorded_at, leaf_hash_of_entry)
from ledger.verify import format as fmt  # noqa: E402
from ledger.verify import jcs  # noqa: E402

ORIGIN = "bench.integrity-ledger.local/log"
DEVICE_KEYS = 50
STREAMS_PER_EVENT = 10          # one stream (case) per ten events on average
GROUP = 200                     # events sharing one recorded_at, as a group commit does
SAMPLE = 100_000                # messages for the raw verify rate
CHUNK = 5_000

_seeds: list[bytes] = []


def _init(seeds: list[bytes]) -> None:
    global _seeds
    _seeds = seeds


def _envelope(i: int, n_streams: int) -> tuple[str, dict]:
    case = i % n_streams
    body = {"note": f"占道设摊经营，当场责令改正，第 {i} 号记录", "amount_fen": 20000 + i % 1000,
            "officers": [f"SH-HP-{i % 97:04d}", f"SH-HP-{(i + 1) % 97:04d}"],
            "location": {"district": "黄浦区", "grid": f"HP-{case % 40:02d}-{i % 13:02d}"},
            "evidence_sha256": f"{i:064x}"}
    unsigned = {"spec": "integrity-ledger/event/v1",
                "event_id": f"01900000-0000-7000-8000-{i:012x}", "stream": f"case:BENCH-{case}",
                "type": "NoteRecorded", "occurred_at": "2024-05-10T21:06:00+08:00",
                "signer": f"key:device-{i % DEVICE_KEYS}", "body": body}
    return unsigned["stream"], unsigned


def _sign_range(args: tuple[int, int, int]) -> list[tuple[str, bytes, bytes, bytes, int]]:
    start, stop, n_streams = args
    keys = [SigningKey(s) for s in _seeds]
    out = []
    for i in range(start, stop):
        stream, unsigned = _envelope(i, n_streams)
        signed = jcs.dumps(unsigned)
        k = i % DEVICE_KEYS
        sig = keys[k].sign(signed)
        raw = jcs.dumps({**unsigned, "sig": b64url_encode(sig)})
        out.append((stream, raw, signed, sig, k))
    return out


def generate(path: Path, n: int, pool: multiprocessing.pool.Pool,
             devices: list[SigningKey]) -> tuple[dict, list[tuple[bytes, bytes, bytes]]]:
    """Write a whole-log bundle of ``n`` events; return its trust and a verify sample."""
    root, log = SigningKey.generate(), SigningKey.generate()
    base = datetime(2024, 5, 10, 13, 0, tzinfo=timezone.utc)
    heads: dict[str, bytes] = {}
    versions: dict[str, int] = {}
    tree = merkle.StreamingRoot()
    sample: list[tuple[bytes, bytes, bytes]] = []
    body_path = path.with_suffix(".body")
    index = 0

    def emit(out, stream: str, raw: bytes) -> None:   # noqa: ANN001
        nonlocal index
        recorded_at = format_recorded_at(base + timedelta(milliseconds=index // GROUP))
        chain = chain_next(heads.get(stream) or chain_genesis(stream), raw)
        version = versions.get(stream, 0) + 1
        heads[stream], versions[stream] = chain, version
        leaf = leaf_hash_of_entry(entry_bytes(raw, index=index, stream_version=version,
                                              recorded_at=recorded_at, chain_hash=chain))
        tree.add(leaf)
        out.write(fmt.event_line(raw, index=index, stream_version=version,
                                 recorded_at=recorded_at, chain_hash=chain, leaf_hash=leaf,
                                 proof=None))
        index += 1

    with open(body_path, "wb", buffering=1 << 20) as out:
        for k, device in enumerate(devices):
            unsigned = {"spec": "integrity-ledger/event/v1",
                        "event_id": f"01900000-0000-7000-9000-{k:012x}", "stream": "keys",
                        "type": "KeyRegistered", "occurred_at": "2024-05-10T21:00:00+08:00",
                        "signer": "key:root-1",
                        "body": {"key_id": f"device-{k}",
                                 "public_key": b64url_encode(device.public_key),
                                 "principal": f"device:{k}", "roles": ["case-app"],
                                 "not_before": None, "not_after": None}}
            sig = root.sign(jcs.dumps(unsigned))
            emit(out, "keys", jcs.dumps({**unsigned, "sig": b64url_encode(sig)}))
        todo = n - len(devices)
        n_streams = max(1, todo // STREAMS_PER_EVENT)
        ranges = [(s, min(s + CHUNK, todo), n_streams) for s in range(0, todo, CHUNK)]
        for chunk in pool.imap(_sign_range, ranges):
            for stream, raw, signed, sig, k in chunk:
                if len(sample) < SAMPLE:
                    sample.append((devices[k].public_key, signed, sig))
                emit(out, stream, raw)
    # the keys line the ledger signs (docs/merkle.md), so the verifier's check of it is timed
    keys = KeysHead(versions["keys"], heads["keys"]) if "keys" in versions else KeysHead.empty()
    checkpoint = sign_checkpoint(Checkpoint(origin=ORIGIN, size=index, root_hash=tree.root(),
                                            extensions=(keys.line(),)), ORIGIN, log)
    with open(path, "wb") as f:
        f.write(fmt.header_line(created_at=base.isoformat().replace("+00:00", "Z"),
                                scope={"kind": "all"}, origin=ORIGIN, tree_size=index,
                                signer_roles={"NoteRecorded": ["case-app"]},
                                generator="benchmarks/verify_bench.py"))
        f.write(fmt.checkpoint_line(checkpoint))
        with open(body_path, "rb") as body:
            shutil.copyfileobj(body, f, 1 << 22)
        f.write(fmt.end_line(events=index, anchors=0))
    body_path.unlink()
    trust = {"root_keys": {"root-1": b64url_encode(root.public_key)},
             "log": {"origin": ORIGIN, "key_name": ORIGIN,
                     "public_key": b64url_encode(log.public_key)},
             "policy": {"signer_roles": {"NoteRecorded": ["case-app"]}}}
    return trust, sample


def _raw_verify(messages: list[tuple[bytes, bytes, bytes]]) -> tuple[int, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    for public, signed, sig in messages:
        sodium.crypto_sign_open(sig + signed, public)
    return len(messages), time.perf_counter() - started, time.process_time() - cpu


def raw_rate(pool: multiprocessing.pool.Pool,
             sample: list[tuple[bytes, bytes, bytes]]) -> tuple[float, float]:
    """crypto_sign_open on two processes, each timing its own half: (signatures per second,
    CPU seconds per signature)."""
    half = len(sample) // 2
    results = pool.map(_raw_verify, [sample[:half], sample[half:]])
    return (sum(count / wall for count, wall, _ in results),
            sum(cpu for *_, cpu in results) / len(sample))


_WRAPPER = ("import resource, subprocess, sys, time\n"
            "t = time.perf_counter(); r = subprocess.run(sys.argv[1:])\n"
            "t = time.perf_counter() - t\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "print(t, u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)\n"
            "sys.exit(r.returncode)\n")


def run_verify(bundle: Path, trust: Path, workers: int | None) -> tuple[float, int, float, str]:
    """(wall seconds, peak RSS in KiB of the verifier's largest process, CPU seconds of all its
    processes, stdout)."""
    cmd = [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "ledger.verify",
           str(bundle), "--trust", str(trust)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"ledger verify failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    seconds, rss, cpu = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(rss), float(cpu), done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--workers", type=int, help="passed to ledger verify (default: its own)")
    parser.add_argument("--dir", type=Path, help="where to write the bundle (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the bundle afterwards")
    parser.add_argument("--repeat", type=int, default=1,
                        help="verify runs, alternating with raw-rate runs (best of each)")
    args = parser.parse_args()

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="verify-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    bundle, trust_path = workdir / f"bundle-{args.events}.ndjson", workdir / "ledger.json"
    devices = [SigningKey.generate() for _ in range(DEVICE_KEYS)]
    ctx = multiprocessing.get_context("fork")
    raws: list[tuple[float, float]] = []
    runs: list[tuple[float, int, float, str]] = []
    with ctx.Pool(2, initializer=_init, initargs=([d.seed for d in devices],)) as pool:
        started = time.perf_counter()
        trust, sample = generate(bundle, args.events, pool, devices)
        generated = time.perf_counter() - started
        trust_path.write_text(json.dumps(trust))
        raws.append(raw_rate(pool, sample))
        for _ in range(args.repeat):    # alternate, so both see the same machine
            runs.append(run_verify(bundle, trust_path, args.workers))
            raws.append(raw_rate(pool, sample))
    raw = max(r for r, _ in raws)
    raw_cpu = min(c for _, c in raws)
    seconds, rss_kib, cpu, summary = min(runs)
    rate = args.events / seconds
    cpu_per_event = cpu / args.events
    result = {
        "events": args.events, "bundle_bytes": bundle.stat().st_size,
        "generate_seconds": round(generated, 1), "repeat": args.repeat,
        "verify_seconds": round(seconds, 2), "verify_events_per_s": round(rate),
        "verify_runs_seconds": [round(r[0], 2) for r in runs],
        "raw_pynacl_verify_per_s_2proc": round(raw),
        "raw_runs_per_s": [round(r) for r, _ in raws],
        "ratio": round(rate / raw, 3),
        "verify_cpu_us_per_event": round(cpu_per_event * 1e6, 1),
        "raw_cpu_us_per_signature": round(raw_cpu * 1e6, 1),
        "cpu_efficiency": round(raw_cpu / cpu_per_event, 3),
        "peak_rss_mib": round(rss_kib / 1024, 1),
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "verify_output": summary,
    }
    print(f"events            {args.events:,} ({result['bundle_bytes'] / 2**20:,.0f} MiB bundle, "
          f"generated in {generated:.0f} s)")
    print(f"ledger verify     {seconds:.2f} s = {rate:,.0f} events/s (best of {args.repeat}: "
          f"{', '.join(f'{r[0]:.2f}' for r in runs)} s)")
    print(f"raw PyNaCl verify {raw:,.0f} signatures/s on 2 processes (best of "
          f"{', '.join(f'{r:,.0f}' for r, _ in raws)})")
    print(f"ratio             {rate / raw:.3f}")
    print(f"CPU per event     {cpu_per_event * 1e6:.1f} us (all verifier processes) vs "
          f"{raw_cpu * 1e6:.1f} us per raw verify: efficiency {raw_cpu / cpu_per_event:.3f}")
    print(f"peak RSS          {rss_kib / 1024:,.1f} MiB (largest verifier process)")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"verify-{args.events}.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep:
        bundle.unlink()
        if args.dir is None:
            shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
