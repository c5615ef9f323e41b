"""What a unit's integrity assessment (定考, ``GET /v1/units/{id}/assessment``) costs when the
unit has many flags and cases: the tiny synthetic city is served and loaded over HTTP, then
one unit's flag and case rows are copied (new ids, the same contents, raised over two years)
until it holds ``--flags`` flags and ``--cases`` cases, and ``projections.oversight.queries
.assessment`` is timed for a quarter, median of ``--repeat`` calls, alternating with the way it
read until 2026-11-28 (every case, complaint and flag of the unit read whole and parsed:
``tests.test_oversight_assessment.whole_history``), which must give the same assessment.

    .venv/bin/python benchmarks/assessment_bench.py --flags 48000 --cases 20000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from benchmarks.common import machine  # noqa: E402
from projections.oversight import queries  # noqa: E402
from projections.oversight.assessment import Period  # noqa: E402
from tests.pg import Cluster  # noqa: E402
from tests.test_dashboard_e2e import demo_city  # noqa: E402
from tests.test_oversight_assessment import whole_history  # noqa: E402

# copies of the unit's rows: a new id, raised on another day of 2024–2025
_FLAGS = ("INSERT INTO view_flags SELECT f.flag_id || '-' || g, rule_id, rule, severity, status, "
          "disposition, scope, case_id, officer_id, unit_id, party_ref, "
          "to_char(timestamp '2024-01-01' + (g %% 730) * interval '1 day', "
          "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
          "jsonb_set(flag, '{raised_at}', to_jsonb(to_char(timestamp '2024-01-01' + "
          "(g %% 730) * interval '1 day', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))), "
          "evaluated_at, digest FROM view_flags f, generate_series(1, %s) g WHERE unit_id = %s")
_CASES = ("INSERT INTO view_cases SELECT c.case_id || '-' || g, "
          "jsonb_set(state, '{case_id}', to_jsonb(c.case_id || '-' || g)), last_index "
          "FROM view_cases c, generate_series(1, %s) g WHERE state->>'unit_id' = %s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flags", type=int, default=48_000)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--period", default=None,
                        help="YYYY-Qn or YYYY-MM (default: the quarter of the unit's last decision)")
    args = parser.parse_args()
    print(machine())
    cluster = Cluster()
    with demo_city(cluster) as city, psycopg.connect(city.owner_url, autocommit=True) as conn:
        unit = conn.execute("SELECT unit_id FROM view_flags WHERE unit_id IS NOT NULL "
                            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        flags, = conn.execute("SELECT count(*) FROM view_flags WHERE unit_id = %s",
                              (unit,)).fetchone()
        cases, = conn.execute("SELECT count(*) FROM view_cases WHERE state->>'unit_id' = %s",
                              (unit,)).fetchone()
        conn.execute(_FLAGS, (max(0, args.flags // max(flags, 1) - 1), unit))
        conn.execute(_CASES, (max(0, args.cases // max(cases, 1) - 1), unit))
        conn.execute("ANALYZE")
        flags, = conn.execute("SELECT count(*) FROM view_flags WHERE unit_id = %s",
                              (unit,)).fetchone()
        cases, = conn.execute("SELECT count(*) FROM view_cases WHERE state->>'unit_id' = %s",
                              (unit,)).fetchone()
        if args.period is None:
            last, = conn.execute("SELECT max(state->'decision'->>'decided_on') FROM view_cases "
                                 "WHERE state->>'unit_id' = %s", (unit,)).fetchone()
            args.period = f"{last[:4]}-Q{(int(last[5:7]) - 1) // 3 + 1}"
        period = Period.parse(args.period)
        times: dict[str, list[float]] = {"period": [], "whole": []}
        results = {}
        for _ in range(args.repeat):
            for name, read in (("period", queries.assessment), ("whole", whole_history)):
                started = time.perf_counter()
                results[name] = read(city.ledger.store, "unit", unit, period, date(2026, 1, 1))
                times[name].append(time.perf_counter() - started)
        assert results["period"] == results["whole"]
        print(f"unit {unit}: {flags:,} flags, {cases:,} cases; assessment of {args.period}, "
              f"median of {args.repeat}:")
        for name, what in (("period", "read for the period (now)"),
                           ("whole", "read whole (until 2026-11-28)")):
            print(f"  {what}: {statistics.median(times[name]) * 1000:,.0f} ms "
                  f"(runs {', '.join(f'{t * 1000:,.0f}' for t in times[name])})")
        result = results["period"]
        bounds = {"id": unit, "from": period.start.isoformat(), "until": period.end.isoformat(),
                  "after": (period.end + timedelta(days=1)).isoformat()}
        subject = "c.unit_id = %(id)s"
        for name, sql in (("cases", queries._CASE_FACTS.replace(":subject", subject)),
                          ("complaints", queries._COMPLAINT_FACTS.replace(":subject", "state->>'unit_id' = %(id)s")),
                          ("flags", queries._FLAG_FACTS.replace(":subject", "unit_id"))):
            started = time.perf_counter()
            rows = conn.execute(sql, bounds).fetchall()
            print(f"  of which the {name} query: {(time.perf_counter() - started) * 1000:,.0f} ms"
                  f" ({len(rows):,} rows)")
        print("flags counted:", result["flags"])


if __name__ == "__main__":
    main()
