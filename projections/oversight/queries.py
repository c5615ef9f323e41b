"""Reads behind the oversight endpoints (the SQL stays in projections; api/oversight.py only
parses, calls and returns)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any


from ledger.schemas import parse_datetime
from ledger.store import LedgerStore

from ..jsontext import state_of
from . import assessment as A
from . import public, supervision


def public_feed(store: LedgerStore, *, unit: str | None = None, since: str | None = None,
                until: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Published (and withdrawn) decisions, one entry per publication, newest publication
    first; ``since``/``until`` are inclusive publication days."""
    where = ["TRUE"]
    params: list[Any] = []
    if unit is not None:
        where.append("unit_id = %s")
        params.append(unit)
    if since is not None:
        where.append("published_on >= %s")
        params.append(since)
    if until is not None:
        where.append("published_on <= %s")
        params.append(until)
    # the page is found in view_public_entries' indexes (the rows skipped by the offset
    # too); only its own states are read and decoded
    order = "published_on DESC, publication_ref DESC, case_id DESC, n DESC"
    sql = ("SELECT d.state::text AS state, e.n FROM (SELECT * FROM view_public_entries WHERE "
           + " AND ".join(where) + f" ORDER BY {order} LIMIT %s OFFSET %s) e "
           f"JOIN view_public_decisions d USING (case_id) ORDER BY {order}")
    with store.cursor() as curs:
        curs.execute(sql, [*params, limit + 1, offset])
        rows = curs.fetchall()
    entries = []
    for r in rows[:limit]:
        state = state_of(r["state"])
        entries.append(public.entry(state, state["publications"][r["n"] - 1]))
    return {"decisions": entries, "next_offset": offset + limit if len(rows) > limit else None}


def notices(store: LedgerStore, today: date, *, units: list[str], unit: str | None = None,
            status: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Supervision notices, newest first, with their status on ``today``; ``units`` (non-empty)
    restricts to a scoped principal's units."""
    where, params = ["TRUE"], []
    if units:
        where.append("state->>'unit_id' = ANY(%s)")
        params.append(units)
    if unit is not None:
        where.append("state->>'unit_id' = %s")
        params.append(unit)
    with store.cursor() as curs:
        curs.execute("SELECT state::text AS state FROM view_supervision WHERE "
                     + " AND ".join(where), params)
        states = [supervision.view(state_of(r["state"]), today) for r in curs.fetchall()]
    # newest first by instant (issued_at keeps the offset it was written with, so its text
    # does not sort in time), notices not yet issued last
    states.sort(key=lambda s: (s["issued_at"] is not None,
                               parse_datetime(s["issued_at"]) if s["issued_at"] else 0,
                               s["notice_id"]), reverse=True)
    if status is not None:
        states = [s for s in states if s["status"] == status]
    page = states[offset:offset + limit]
    return {"notices": page, "as_of": today.isoformat(),
            "next_offset": offset + limit if len(states) > offset + limit else None}


def unit_known(store: LedgerStore, unit_id: str) -> bool:
    """Whether a case, officer, complaint or supervision notice of the read models names
    ``unit_id`` (a unit exists only through them)."""
    with store.cursor() as curs:
        curs.execute("SELECT EXISTS (SELECT 1 FROM view_cases WHERE unit_id = %(u)s) "
                     "OR EXISTS (SELECT 1 FROM view_officers WHERE unit_id = %(u)s) "
                     "OR EXISTS (SELECT 1 FROM view_complaints WHERE unit_id = %(u)s) "
                     "OR EXISTS (SELECT 1 FROM view_supervision WHERE state->>'unit_id' = %(u)s) "
                     "AS known", {"u": unit_id})
        row = curs.fetchone()
    return bool(row and row["known"])


# What the assessment reads of a case, a complaint and a flag, cut down in the database to
# what its facts (assessment.case_facts …) take and to what the period can count: a deadline
# due in it, a decision made in it (with its evidence days), a complaint received in it, a flag
# raised in it. A busy unit's whole history (48,000 flags, 20,000 cases) was read and parsed on
# each request: 15 s (benchmarks/assessment_bench.py).
_IN = "left({}, 10) BETWEEN %(from)s AND %(until)s"
_DUE_IN = _IN.format("v->>'due'")


def _deadlines(of: str) -> str:
    return f"jsonb_each(CASE WHEN jsonb_typeof({of}) = 'object' THEN {of} END) AS d(k, v)"


def _due_in(of: str) -> str:
    """The deadlines of ``of`` due in the period, as the facts read them."""
    return ("coalesce((SELECT jsonb_object_agg(k, jsonb_build_object('due', v->'due', "
            "'met_on', v->'met_on', 'cancelled_on', v->'cancelled_on')) "
            f"FROM {_deadlines(of)} WHERE {_DUE_IN}), '{{}}'::jsonb)")


def _decisions(of: str) -> str:
    """The decisions of the case's list ``of``, each as ``p``."""
    return f"jsonb_array_elements(CASE WHEN jsonb_typeof({of}) = 'array' THEN {of} END) AS p"


# each other party's decision in force (共同违法): a decision made, with its own deadlines; each
# decision set aside (replaced, or voided and re-issued) with the deadlines it kept
_CO_PARTIES = _decisions("c.co_party_decisions")
_PREVIOUS = _decisions("c.previous_decisions")
_DECIDED_IN = ("(" + _IN.format("c.decision->>'decided_on'") + f" OR EXISTS (SELECT 1 FROM "
               f"{_CO_PARTIES} WHERE " + _IN.format("p->>'decided_on'") + "))")
_ITS_DEADLINES = "p->'deadlines'"          # of one of those decisions
# jsonb_to_record reads the (compressed, out-of-line) state once: each `state->…` of a row
# decompressed it again, four times a case (2 s for 20,000 cases)
_CASE_FACTS = (
    "SELECT jsonb_build_object('case_id', c.case_id, "
    f"'deadlines', {_due_in('c.deadlines')}, "
    "'decision', jsonb_build_object('decided_on', c.decision->'decided_on', "
    "'status', c.decision->'status'), "
    "'co_party_decisions', coalesce((SELECT jsonb_agg(jsonb_build_object("
    "'decided_on', p->'decided_on', 'status', p->'status', "
    f"'deadlines', {_due_in(_ITS_DEADLINES)})) FROM {_CO_PARTIES}), '[]'::jsonb), "
    "'previous_decisions', coalesce((SELECT jsonb_agg(jsonb_build_object("
    f"'deadlines', {_due_in(_ITS_DEADLINES)})) FROM {_PREVIOUS}), '[]'::jsonb), "
    f"'evidence', CASE WHEN {_DECIDED_IN} THEN coalesce(("
    "SELECT jsonb_agg(jsonb_build_object('captured_at', e->'captured_at')) "
    "FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.evidence) = 'array' "
    "THEN c.evidence END) AS e), '[]'::jsonb) END)::text AS state "
    "FROM view_cases, jsonb_to_record(view_cases.state) AS c(case_id text, unit_id text, "
    "officers jsonb, decision jsonb, deadlines jsonb, evidence jsonb, "
    "co_party_decisions jsonb, previous_decisions jsonb) "
    f"WHERE :subject AND ({_DECIDED_IN} OR EXISTS (SELECT 1 FROM {_deadlines('c.deadlines')} "
    f"WHERE {_DUE_IN}) OR EXISTS (SELECT 1 FROM {_CO_PARTIES}, "
    f"{_deadlines(_ITS_DEADLINES)} WHERE {_DUE_IN}) OR EXISTS (SELECT 1 FROM {_PREVIOUS}, "
    f"{_deadlines(_ITS_DEADLINES)} WHERE {_DUE_IN}))")
_COMPLAINT_FACTS = (
    "SELECT jsonb_build_object('complaint_id', state->'complaint_id', 'received_on', "
    "state->'received_on', 'outcome', state->'outcome', 'deadlines', jsonb_build_object("
    "'acknowledge', state->'deadlines'->'acknowledge', 'close', state->'deadlines'->'close')"
    ")::text AS state FROM view_complaints WHERE :subject AND "
    + _IN.format("state->>'received_on'"))
_FLAG_FACTS = ("SELECT rule_id, severity, raised_at, disposition, flag->>'cleared_at' AS cleared_at "
               "FROM view_flags WHERE :subject = %(id)s AND raised_at >= %(from)s "
               "AND raised_at < %(after)s")


def assessment(store: LedgerStore, kind: str, ident: str, period: A.Period,
               as_of: date) -> dict[str, Any]:
    """The assessment of an officer (``kind="officer"``) or a unit. Inputs are whitelisted
    facts (``assessment.case_facts`` …): no fine amounts or counts reach :func:`A.assess`."""
    bounds = {"id": ident, "from": period.start.isoformat(), "until": period.end.isoformat(),
              "after": (period.end + timedelta(days=1)).isoformat()}
    if kind == "officer":
        # officer_ids: the keys of the case's officers, a column with its own index
        case_of = "view_cases.officer_ids @> ARRAY[%(id)s]::text[]"
        complaint_of = "state->'accused_officers' ? %(id)s"
        flag_column = "officer_id"
        officers_sql = ("SELECT state::text AS state FROM view_officers "
                        "WHERE officer_id = %(id)s")
    else:
        case_of, complaint_of = "view_cases.unit_id = %(id)s", "unit_id = %(id)s"
        flag_column = "unit_id"
        officers_sql = ("SELECT state::text AS state FROM view_officers "
                        "WHERE unit_id = %(id)s AND state->>'kind' = 'officer'")
    with store.cursor() as curs:
        cases = _rows(curs, _CASE_FACTS.replace(":subject", case_of), bounds)
        complaints = _rows(curs, _COMPLAINT_FACTS.replace(":subject", complaint_of), bounds)
        curs.execute(_FLAG_FACTS.replace(":subject", flag_column), bounds)
        flags = curs.fetchall()
        officers = _rows(curs, officers_sql, bounds)
    return A.assess({"kind": kind, "id": ident}, period, as_of,
                    cases=[A.case_facts(c) for c in cases],
                    complaints=[A.complaint_facts(c) for c in complaints],
                    flags=[A.flag_facts(f) for f in flags],
                    pledges=[A.pledge_facts(o) for o in officers])


def _rows(curs: Any, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    curs.execute(sql, params)
    return [state_of(r["state"]) for r in curs.fetchall()]
