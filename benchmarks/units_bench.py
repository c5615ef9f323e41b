"""What the pages that count or filter by unit, code or day cost as the cases grow:
``--cases`` case states (copies of the factory's general and summary cases, twelve units)
stored in ``view_cases`` as the read models write them (``projections/schema.sql``: the unit,
violation code and decision day as computed, indexed columns since 2026-11-29), and the
dashboard's unit list (``GET /v1/units``), unit overview (its fines per day), an officer
page's peers (``GET /v1/officers/{id}/positions``) and an officer's cases for their assessment
(``GET /v1/officers/{id}/assessment``) timed as they read now — beside, in the same run on
the same rows, the same queries reading the unit, code and officers from each state, as they
did until then; the overview and the peers, which count each party's decision in force
(``view_case_decisions``, the units and days of its decisions as columns) since the evening of
2026-11-29, beside the columns of the case's ``decision`` alone they read that day. Both must
give the same rows (these cases have one party). Medians of ``--repeat``.

    .venv/bin/python benchmarks/units_bench.py --cases 50000
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from benchmarks.common import BenchCluster, machine, side_by_side  # noqa: E402
from tests import domain_factory as f  # noqa: E402
from tests.test_case_model import world  # noqa: E402

#: api/dashboard.py's overview: the fines per day of the decisions in force a unit made
FINES = ("SELECT d.day, count(*) AS n, sum(d.fen) AS fen FROM view_cases, "
         "view_case_decisions(state) AS d(eid, unit, day, status, fine, fen, withdrawn) "
         "WHERE decided_unit_ids @> ARRAY[%s]::text[] AND d.unit = %s AND d.fine "
         "AND NOT d.withdrawn AND d.status IS DISTINCT FROM 'voided' GROUP BY 1 ORDER BY 1")
FINES_DECISION = (
    "SELECT state->'decision'->>'decided_on' AS day, count(*) AS n, "
    "sum((state->'amounts'->>'decided_fen')::bigint) AS fen FROM view_cases "
    "WHERE decided_unit_id = %s AND state->'decision'->>'decided_on' IS NOT NULL "
    "AND state->'amounts'->'penalty_types' ? 'fine' "
    "AND coalesce(state->'withdrawal', 'null'::jsonb) = 'null'::jsonb "
    "AND state->'decision'->>'status' IS DISTINCT FROM 'voided' GROUP BY 1 ORDER BY 1")
#: api/dashboard.py's _decisions for an officer page's peers (the fines of its codes in a few
#: quarters, every unit), capped at MAX_PEER_CASES
PEERS = ("SELECT case_id, view_cases.unit_id, d.eid FROM view_cases, "
         "view_case_decisions(state) AS d(eid, unit, day, status, fine, fen, withdrawn) "
         "WHERE violation_code = ANY(%s) AND last_decided_on >= %s AND first_decided_on <= %s "
         "AND d.day BETWEEN %s AND %s AND d.eid IS NOT NULL AND NOT d.withdrawn "
         "AND d.status IS DISTINCT FROM 'voided' "
         "AND coalesce(state->>'deviation_approved', 'false') = 'false' "
         "ORDER BY d.day DESC, case_id LIMIT 6000")
PEERS_DECISION = (
    "SELECT case_id, unit_id, state->'decision'->>'event_id' AS eid FROM view_cases "
    "WHERE violation_code = ANY(%s) AND decided_on >= %s AND decided_on <= %s "
    "AND decided_on IS NOT NULL AND state->'decision'->>'event_id' IS NOT NULL "
    "AND coalesce(state->'withdrawal', 'null'::jsonb) = 'null'::jsonb "
    "AND state->'decision'->>'status' IS DISTINCT FROM 'voided' "
    "AND coalesce(state->>'deviation_approved', 'false') = 'false' "
    "ORDER BY decided_on DESC, case_id LIMIT 6000")
QUERIES = [
    ("unit list (cases per unit)",
     "SELECT unit_id AS unit, count(*) AS n FROM view_cases WHERE unit_id IS NOT NULL "
     "GROUP BY 1 ORDER BY 1",
     "SELECT state->>'unit_id' AS unit, count(*) AS n FROM view_cases "
     "WHERE state->>'unit_id' IS NOT NULL GROUP BY 1 ORDER BY 1", ()),
    ("unit overview (fines per day)", FINES, FINES_DECISION, ("U3", "U3")),
    ("officer positions (peers)", PEERS, PEERS_DECISION,
     (["PILEUP_SH"], "2024-07-01", "2024-12-31", "2024-07-01", "2024-12-31")),
    ("officer assessment (their cases)",
     "SELECT case_id FROM view_cases WHERE officer_ids @> ARRAY[%s]::text[] ORDER BY 1",
     "SELECT case_id FROM view_cases, jsonb_to_record(view_cases.state) AS c(officers jsonb) "
     "WHERE c.officers ? %s ORDER BY 1", ("O17",)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    _, folder = world(f.general_case(), f.summary_case())
    states = list(folder.cases.values())
    cluster = BenchCluster()
    print(f"# {machine()}; PostgreSQL {cluster.version}; {args.cases:,} cases; "
          f"median of {args.repeat}")
    try:
        with psycopg.connect(cluster.views_database("units"), autocommit=True) as conn:
            with conn.cursor().copy("COPY view_cases (case_id, state, last_index) "
                                    "FROM STDIN") as copy:
                for i in range(args.cases):
                    state = {**states[i % len(states)], "case_id": f"C{i}",
                             "unit_id": f"U{i % 12}"}
                    if state.get("decision"):       # decided by the unit that holds it
                        state["decision"] = {**state["decision"], "unit_id": f"U{i % 12}"}
                    # two of 300 officers acted in each
                    acted = list(state["officers"].values())
                    state["officers"] = {f"O{(i + 7 * k) % 300}": entry
                                         for k, entry in enumerate(acted[:2])}
                    copy.write_row((f"C{i}", json.dumps(state, ensure_ascii=False), i))
            conn.execute("VACUUM ANALYZE view_cases")
            print(f"{'query':32} {'now, ms':>9} {'before':>9}")
            for label, now_sql, old_sql, params in QUERIES:
                now, old, got, expected = side_by_side(
                    lambda: conn.execute(now_sql, params).fetchall(),
                    # the query of before takes the first of the parameters
                    lambda: conn.execute(old_sql, params[:old_sql.count("%s")]).fetchall(),
                    args.repeat)
                assert got == expected and got, f"{label}: the queries disagree"
                print(f"{label:32} {now:9.2f} {old:9.2f}")
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
