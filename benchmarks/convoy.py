"""Why the service verifies signatures on worker processes (ledger/sigpool.py): Ed25519 on two
threads, alone and beside one thread running Python, against the same work on the signature
pool's two worker processes beside the same busy thread.

    .venv/bin/python benchmarks/convoy.py [--signatures 4000]

libsodium releases the GIL for each signature and must take it back after each one; a thread
running Python holds it until the interpreter's switch interval (5 ms) forces a hand-over.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine  # noqa: E402
from ledger.crypto import SigningKey  # noqa: E402
from ledger.sigpool import SignaturePool, failures  # noqa: E402


def busy(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():
        for i in range(1000):
            x += i


def on_threads(work: list, threads: int = 2) -> float:
    step = -(-len(work) // threads)
    ts = [threading.Thread(target=failures, args=(work[k:k + step],))
          for k in range(0, len(work), step)]
    started = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - started


def on_pool(pool: SignaturePool, work: list) -> float:
    started = time.perf_counter()
    assert pool.failures(work) == []
    return time.perf_counter() - started


def beside_busy(measure, *args) -> float:  # noqa: ANN001
    stop = threading.Event()
    t = threading.Thread(target=busy, args=(stop,))
    t.start()
    try:
        return measure(*args)
    finally:
        stop.set()
        t.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatures", type=int, default=4000)
    args = parser.parse_args()
    key = SigningKey.generate()
    work = [(key.public_key, m, key.sign(m))
            for m in (f"{i:08d}".encode() * 75 for i in range(args.signatures))]
    pool = SignaturePool(2)
    on_pool(pool, work[:100])                      # start the workers outside the timing
    n = len(work)
    rows = [("2 threads, alone", on_threads(work)),
            ("2 threads, beside a busy Python thread", beside_busy(on_threads, work)),
            ("2 worker processes, alone", on_pool(pool, work)),
            ("2 worker processes, beside a busy Python thread", beside_busy(on_pool, pool, work))]
    pool.close()
    print(f"# {machine()}; {n} signatures of 600-byte messages")
    for name, seconds in rows:
        print(f"{name:50} {seconds / n * 1e6:8.1f} us/signature  {n / seconds:9,.0f} /s")


if __name__ == "__main__":
    main()
