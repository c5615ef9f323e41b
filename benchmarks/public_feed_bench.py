"""What a page of the public feed (``GET /v1/public/decisions``, unauthenticated) costs as the
published decisions grow: ``--decisions`` generated public records (one publication each, over
three years, twelve units) are stored in ``view_public_decisions`` as the read models write
them (``projections/schema.sql``, its trigger filling ``view_public_entries``), and
``projections.oversight.queries.public_feed`` is timed for the first page, one unit, one
month and a deep page — beside, in the same run on the same rows, the query it ran until
2026-11-29, which expanded and sorted every record's publications on each request. Both must
return the same page. Medians of ``--repeat``.

    .venv/bin/python benchmarks/public_feed_bench.py --decisions 50000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402

from benchmarks.common import BenchCluster, machine, side_by_side  # noqa: E402
from projections.oversight import queries  # noqa: E402

#: the feed's query until 2026-11-29 (projections/oversight/queries.py), the baseline
BEFORE = ("SELECT state::text AS state, n FROM view_public_decisions, "
          "jsonb_array_elements(state->'publications') WITH ORDINALITY AS p(pub, n) WHERE {} "
          "ORDER BY pub->>'published_on' DESC, pub->>'publication_ref' DESC, case_id DESC, "
          "n DESC LIMIT %s OFFSET %s")


def record(i: int, rng: random.Random) -> dict[str, Any]:
    """A public record as projections/oversight/public.py folds one published decision."""
    no = f"沪城管罚〔2025〕第{i:06d}号"
    day = f"202{rng.randint(3, 5)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {"case_id": f"C{i}", "unit_id": f"U{i % 12}", "in_force": no, "held": {},
            "decisions": {no: {"decision_no": no,
                               "violation": {"code": "STALL_SH", "name": "擅自设摊"},
                               "legal_basis": "SH_SRHW 第25条",
                               "penalty": {"types": ["fine"], "amount_fen": 20_000},
                               "decided_on": day, "organisation": None}},
            "publications": [{"decision_no": no, "publication_ref": f"GS-{i}",
                              "channel": "website", "url": f"https://example.gov.cn/gs/{i}",
                              "published_on": day, "published_at": f"{day}T10:00:00+08:00",
                              "withdrawal": None}],
            "events": [f"0190{i:04x}-0000-7000-8000-{k:012x}"[-36:] for k in range(8)]}


class Store:
    """What ``public_feed`` asks of a LedgerStore: a cursor of dict rows."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def cursor(self) -> Any:
        return self.conn.cursor(row_factory=dict_row)


def before(conn: psycopg.Connection, unit: str | None = None, since: str | None = None,
           until: str | None = None, limit: int = 50, offset: int = 0) -> list[tuple[str, int]]:
    where, params = ["TRUE"], []
    for sql, value in (("state->>'unit_id' = %s", unit), ("pub->>'published_on' >= %s", since),
                       ("pub->>'published_on' <= %s", until)):
        if value is not None:
            where.append(sql)
            params.append(value)
    rows = conn.execute(BEFORE.format(" AND ".join(where)), [*params, limit + 1, offset])
    return [(json.loads(state)["case_id"], n) for state, n in rows.fetchall()[:limit]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    cluster = BenchCluster()
    print(f"# {machine()}; PostgreSQL {cluster.version}; {args.decisions:,} published "
          f"decisions; median of {args.repeat}")
    rng = random.Random(1)
    try:
        with psycopg.connect(cluster.views_database("feed"), autocommit=True) as conn:
            with conn.cursor().copy("COPY view_public_decisions (case_id, state, last_index) "
                                    "FROM STDIN") as copy:
                for i in range(args.decisions):
                    copy.write_row((f"C{i}", json.dumps(record(i, rng), ensure_ascii=False), i))
            conn.execute("ANALYZE")
            store = Store(conn)
            print(f"{'page':28} {'now, ms':>9} {'before':>9}")
            for label, kw in (("first", {}), ("one unit", {"unit": "U3"}),
                              ("one month", {"since": "2024-06-01", "until": "2024-06-30"}),
                              ("the 100th", {"offset": 4_950})):
                now, old, page, expected = side_by_side(
                    lambda: queries.public_feed(store, **kw),  # type: ignore[arg-type]
                    lambda: before(conn, **kw), args.repeat)
                got = [(f"C{int(e['publication_ref'][3:])}", 1) for e in page["decisions"]]
                assert got == expected, f"{label}: the two queries disagree"
                print(f"{label:28} {now:9.2f} {old:9.2f}")
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
