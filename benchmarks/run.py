"""`make bench`: every benchmark in one command, results as JSON under benchmarks/results/.

    python benchmarks/run.py [--quick]

--quick uses small sizes (a smoke run); the figures in BENCHMARKS.md come from the full run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


#: the views' query benchmarks (each against the queries they replaced, same run): the option
#: that sizes them, quick and full
QUERIES = (("flag_queue_bench.py", "--flags", "5000", "250000"),
           ("public_feed_bench.py", "--decisions", "2000", "50000"),
           ("units_bench.py", "--cases", "2000", "50000"))


def run(script: str, *args: str, out: Path) -> None:
    cmd = [sys.executable, str(HERE / script), *args, "--json", str(out)]
    print("$", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)


def plain(script: str, *args: str) -> None:
    """A script that writes its own results under benchmarks/results/."""
    cmd = [sys.executable, str(HERE / script), *args]
    print("$", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    if args.quick:
        run("ingest.py", "--events", "5000", "--repeat", "1", "--single-seconds", "3",
            out=results / "ingest.json")
        run("log_bench.py", "--events", "20000", "--proofs", "200", "--lag-seconds", "3",
            out=results / "log.json")
        subprocess.run([sys.executable, str(HERE / "verify_bench.py"), "--events", "20000"],
                       check=True)
        plain("city_bench.py", "--events", "20000", "--idiom-events", "1000",
              "--single-seconds", "3")
        plain("ground_truth.py", "--scale", "small")
        for script, option, quick, _ in QUERIES:
            plain(script, option, quick)
        return
    run("ingest.py", "--events", "20000", "--repeat", "3", "--single-seconds", "10",
        out=results / "ingest.json")
    run("log_bench.py", "--events", "1000000", "--proofs", "2000", "--lag-seconds", "20",
        out=results / "log.json")
    subprocess.run([sys.executable, str(HERE / "verify_bench.py"), "--events", "1000000"],
                   check=True)
    plain("flags_bench.py", "--events", "1000000", "--repeat", "1")
    # the whole product on the synthetic city at 100k and 1M events, with its baselines
    plain("city_bench.py", "--events", "100000", "1000000")
    plain("ground_truth.py", "--scale", "medium", "--seeds", "0", "1")
    plain("ground_truth.py", "--scale", "large")
    for script, option, _, full in QUERIES:   # what the views' read queries cost as they grow
        plain(script, option, full)


if __name__ == "__main__":
    main()
