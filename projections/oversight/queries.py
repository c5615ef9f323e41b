"""Reads behind the oversight endpoints (the SQL stays in projections; api/oversight.py only
parses, calls and returns)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

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
        where.append("state->>'unit_id' = %s")
        params.append(unit)
    if since is not None:
        where.append("pub->>'published_on' >= %s")
        params.append(since)
    if until is not None:
        where.append("pub->>'published_on' <= %s")
        params.append(until)
    sql = ("SELECT state::text AS state, n FROM view_public_decisions, "
           "jsonb_array_elements(state->'publications') WITH ORDINALITY AS p(pub, n) WHERE "
           + " AND ".join(where) + " ORDER BY pub->>'published_on' DESC, "
           "pub->>'publication_ref' DESC, case_id DESC, n DESC LIMIT %s OFFSET %s")
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
        curs.execute("SELECT EXISTS (SELECT 1 FROM view_cases WHERE state->>'unit_id' = %(u)s) "
                     "OR EXISTS (SELECT 1 FROM view_officers WHERE state->>'unit_id' = %(u)s) "
                     "OR EXISTS (SELECT 1 FROM view_complaints WHERE state->>'unit_id' = %(u)s) "
                     "OR EXISTS (SELECT 1 FROM view_supervision WHERE state->>'unit_id' = %(u)s) "
                     "AS known", {"u": unit_id})
        row = curs.fetchone()
    return bool(row and row["known"])


def _states(curs: Any, sql: str, arg: Any) -> list[dict[str, Any]]:
    curs.execute(sql, (arg,))
    return [state_of(r["state"]) for r in curs.fetchall()]


def assessment(store: LedgerStore, kind: str, ident: str, period: A.Period,
               as_of: date) -> dict[str, Any]:
    """The assessment of an officer (``kind="officer"``) or a unit. Inputs are whitelisted
    facts (``assessment.case_facts`` …): no fine amounts or counts reach :func:`A.assess`."""
    with store.cursor() as curs:
        if kind == "officer":
            cases = _states(curs, "SELECT state::text AS state FROM view_cases "
                                  "WHERE state->'officers' ? %s", ident)
            complaints = _states(curs, "SELECT state::text AS state FROM view_complaints "
                                       "WHERE state->'accused_officers' ? %s", ident)
            curs.execute("SELECT flag::text AS flag FROM view_flags WHERE officer_id = %s",
                         (ident,))
            flags = [orjson.loads(r["flag"]) for r in curs.fetchall()]
            officers = _states(curs, "SELECT state::text AS state FROM view_officers "
                                     "WHERE officer_id = %s", ident)
        else:
            cases = _states(curs, "SELECT state::text AS state FROM view_cases "
                                  "WHERE state->>'unit_id' = %s", ident)
            complaints = _states(curs, "SELECT state::text AS state FROM view_complaints "
                                       "WHERE state->>'unit_id' = %s", ident)
            curs.execute("SELECT flag::text AS flag FROM view_flags WHERE unit_id = %s", (ident,))
            flags = [orjson.loads(r["flag"]) for r in curs.fetchall()]
            officers = _states(curs, "SELECT state::text AS state FROM view_officers "
                                     "WHERE state->>'unit_id' = %s AND state->>'kind' = "
                                     "'officer'", ident)
    return A.assess({"kind": kind, "id": ident}, period, as_of,
                    cases=[A.case_facts(c) for c in cases],
                    complaints=[A.complaint_facts(c) for c in complaints],
                    flags=[A.flag_facts(f) for f in flags],
                    pledges=[A.pledge_facts(o) for o in officers])
