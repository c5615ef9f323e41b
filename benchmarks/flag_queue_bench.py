"""What one page of the red-flag queue costs in PostgreSQL for each filter the API takes
(``FlagsView.query``, the SQL ``GET /v1/flags`` runs), on a ``view_flags`` table of ``--flags``
generated rows: rules of very different frequencies (a rare rule id is where a missing index
shows), ten percent cleared, a few percent disposed of. The table and its indexes are
``projections/schema.sql``'s; the baseline, timed in the same run on the same rows, is the same
table without the indexes added on 2026-11-29 (``rule_id`` and ``disposition``). Prints the
median of ``--repeat`` executions of each query and its plan's first node.

    .venv/bin/python benchmarks/flag_queue_bench.py --flags 250000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from benchmarks.common import BenchCluster, machine  # noqa: E402

NEW_INDEXES = ("view_flags_rule_id", "view_flags_disposition")
PAGE = ("SELECT flag::text, raised_at, flag_id FROM view_flags WHERE {} "
        "ORDER BY raised_at DESC, flag_id DESC LIMIT 51")
RULES = [f"RF{i:02d}" for i in range(1, 31)]
#: five common rules, twenty ordinary ones and five rare ones (a few hundred flags in 250,000)
WEIGHTS = [1000] * 5 + [30] * 20 + [1] * 5


def fill(conn: psycopg.Connection, n: int) -> None:
    rng = random.Random(1)
    with conn.cursor().copy(
            "COPY view_flags (flag_id, rule_id, rule, severity, status, disposition, scope, "
            "case_id, officer_id, unit_id, party_ref, raised_at, flag, evaluated_at, digest) "
            "FROM STDIN") as copy:
        for i in range(n):
            rule = rng.choices(RULES, weights=WEIGHTS)[0]
            raised = (f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                      f"T{rng.randint(0, 23):02d}:00:00+08:00")
            copy.write_row((f"F{i:08d}", f"{rule}.{rng.choice('ab')}", rule,
                            rng.choice(("high", "medium", "low")),
                            "cleared" if rng.random() < 0.1 else "raised",
                            rng.choice(["open"] * 50 + ["dismissed", "confirmed"]),
                            f"case:C{i % 9000}", f"C{i % 9000}", f"O{i % 300}", f"U{i % 12}",
                            f"pty:P{i % 20000}", raised, '{"n": 1}', raised, "digest"))
    conn.execute("ANALYZE view_flags")


def queries(conn: psycopg.Connection) -> list[tuple[str, str, tuple[object, ...]]]:
    """(label, WHERE, parameters) for each filter, and for the second page of each."""
    out: list[tuple[str, str, tuple[object, ...]]] = [
        ("rule_id, a rare one", "rule_id = %s", ("RF30.a",)),
        ("rule_id, a common one", "rule_id = %s", ("RF01.a",)),
        ("rule, a rare one", "rule = %s", ("RF30",)),
        ("disposition dismissed", "disposition = %s", ("dismissed",)),
        ("status cleared", "status = %s", ("cleared",)),
        ("severity high", "severity = %s", ("high",)),
        ("officer", "officer_id = %s", ("O7",)),
        ("unit", "unit_id = %s", ("U3",)),
        ("two units (a scoped inspector)", "unit_id = ANY(%s)", (["U1", "U2"],)),
        ("case", "case_id = %s", ("C17",)),
        ("party", "party_ref = %s", ("pty:P17",)),
        ("a month", "raised_at >= %s AND raised_at < %s",
         ("2025-06-01T00:00:00+08:00", "2025-07-01T00:00:00+08:00")),
    ]
    for label, where, params in list(out):
        rows = conn.execute(PAGE.format(where), params).fetchall()
        if len(rows) == 51:           # the second page, after the first page's last flag
            out.append((f"{label}, next page", f"{where} AND (raised_at, flag_id) < (%s, %s)",
                        params + (rows[49][1], rows[49][2])))
    return out


def timed(conn: psycopg.Connection, where: str, params: tuple[object, ...],
          repeat: int) -> tuple[float, str]:
    sql = PAGE.format(where)
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        conn.execute(sql, params).fetchall()
        runs.append(time.perf_counter() - t0)
    plan = conn.execute("EXPLAIN " + sql, params).fetchall()
    node = next((row[0].strip().removeprefix("->  ") for row in plan[1:]), plan[0][0])
    return statistics.median(runs) * 1000, node.split("  (")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flags", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    cluster = BenchCluster()
    print(f"# {machine()}; PostgreSQL {cluster.version}; {args.flags:,} flags; "
          f"median of {args.repeat}")
    try:
        with psycopg.connect(cluster.views_database("flags"), autocommit=True) as conn:
            fill(conn, args.flags)
            cases = queries(conn)
            now = [timed(conn, where, params, args.repeat) for _, where, params in cases]
            for name in NEW_INDEXES:
                conn.execute(f"DROP INDEX {name}")
            before = [timed(conn, where, params, args.repeat) for _, where, params in cases]
        print(f"{'filter':44} {'now, ms':>9} {'without':>9}  plan now / without")
        for (label, _, _), (ms, plan), (ms0, plan0) in zip(cases, now, before):
            print(f"{label:44} {ms:9.2f} {ms0:9.2f}  {plan} / {plan0}")
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
