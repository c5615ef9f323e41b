"""Oversight endpoints (docs/oversight.md): the public disclosure feed and page (公示, no
authentication), supervision notices (督办反馈), warning levels (监督警示) and the
integrity-based assessment (定考). Everything but the public feed and page needs an inspector
or auditor; unit-scoped inspectors get 404 for other units, as in api/app.py.

``install(app)`` adds the router and mounts ``/public``; ``create_app`` calls it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from starlette.responses import Response

from ledger.domain.calendar import CST
from ledger.errors import InvalidRequest, NotFound
from ledger.grammar import DATE
from ledger.tokens import Principal
from projections.jsontext import json_bytes
from projections.oversight import assessment as A
from projections.oversight import levels, queries, supervision

from .auth import require
from .pages import StaticPages
from .problems import query_day
from .scoping import scoped_flags, visible_warnings

JSON = "application/json"
Inspector = Annotated[Principal, Depends(require("inspector", "auditor"))]
DAY_PATTERN = f"^{DATE.pattern}$"
DAY = Annotated[str | None, Query(pattern=DAY_PATTERN)]

router = APIRouter()


def _json(value: Any) -> Response:
    return Response(json_bytes(value), media_type=JSON)


def _today(request: Request, at: str | None) -> date:
    """The legal day of the evaluation: ``at`` if given, else today (UTC+8) by the app's clock
    (``app.state.clock``, a callable returning an aware datetime, if set) or else the ledger's
    (the database server's: one query), not this process's."""
    if at is not None:
        return query_day(at, "at")
    clock = getattr(request.app.state, "clock", None)
    now = clock() if clock else request.app.state.ledger.store.ledger_clock()
    return now.astimezone(CST).date()


def _officer_unit(request: Request, principal: Principal, officer_id: str) -> dict[str, Any]:
    state = request.app.state.views.get("officers", officer_id)
    if state is None or not principal.may_see_unit(state.get("unit_id")):
        raise NotFound(f"no officer {officer_id}", field="officer_id")
    return state


def _unit(principal: Principal, unit_id: str) -> None:
    if not principal.may_see_unit(unit_id):
        raise NotFound(f"no unit {unit_id}", field="unit_id")


def _known_unit(request: Request, principal: Principal, unit_id: str) -> None:
    """A unit the principal may see and the read models know (else 404, like an officer)."""
    _unit(principal, unit_id)
    if not queries.unit_known(request.app.state.ledger.store, unit_id):
        raise NotFound(f"no unit {unit_id}", field="unit_id")


# --- 公示: public, unauthenticated ---------------------------------------------------------------

@router.get("/v1/public/decisions", tags=["oversight"],
            summary="Published penalty decisions (公示), redacted: no party identifiers",
            description="Unauthenticated. Each entry: decision_no, violation {code, name}, "
                        "legal_basis, legal_basis_cited (the statute's code written as its "
                        "title: 《上海市市容环境卫生管理条例》第25条), penalty {types, amount_fen}, "
                        "decided_on, published_on, "
                        "publication_ref, channel, url, unit_id and — organisations only — "
                        "organisation (registered name). A withdrawn publication appears as "
                        "{status: withdrawn, decision_no, publication_ref, unit_id, published_on, "
                        "withdrawn_on, withdrawal_reason}; one of a revoked decision not yet "
                        "withdrawn as {status: revoked, decision_no, publication_ref, unit_id, "
                        "published_on, revoked_on}; one of a decision amended (变更) after it "
                        "was published and not yet withdrawn likewise, with amended_on instead "
                        "of revoked_on, and one of a decision whose numbered form was voided "
                        "before it was served (作废: it never took effect) with voided_on. "
                        "`from`/`to` filter publication days "
                        "(inclusive); page with `offset` (`next_offset`).")
def public_decisions(request: Request, unit: str | None = None,
                     from_: Annotated[str | None, Query(alias="from", pattern=DAY_PATTERN)] = None,
                     to: DAY = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                     offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0  # SQL OFFSET: bigint
                     ) -> Response:
    for name, day in (("from", from_), ("to", to)):
        if day is not None:
            query_day(day, name)
    page = queries.public_feed(request.app.state.ledger.store, unit=unit, since=from_,
                               until=to, limit=limit, offset=offset)
    return _json(page)


# --- 督办反馈 ------------------------------------------------------------------------------------

@router.get("/v1/supervision", tags=["oversight"],
            summary="Supervision notices (督办) with their feedback and status, newest first",
            description="Status on `at` (default today): open | overdue | answered | returned | "
                        "closed. Filters: unit, status; page with `offset` (`next_offset`).")
def list_supervision(request: Request, principal: Inspector, unit: str | None = None,
                     status: Annotated[str | None, Query(
                         pattern="^(open|overdue|answered|returned|closed)$")] = None,
                     at: DAY = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    today = _today(request, at)         # a bad query is 422 before an unknown unit's 404
    if unit is not None:
        _unit(principal, unit)
    return _json(queries.notices(request.app.state.ledger.store, today,
                                 units=sorted(principal.units), unit=unit, status=status,
                                 limit=limit, offset=offset))


@router.get("/v1/supervision/{notice_id}", tags=["oversight"],
            summary="One supervision notice: issues, deadline, feedback, reviews, status")
def get_supervision(request: Request, notice_id: str, principal: Inspector,
                    at: DAY = None) -> Response:
    today = _today(request, at)         # a bad query is 422 before an unknown notice's 404
    state = request.app.state.views.get("supervision", notice_id)
    if state is None or not principal.may_see_unit(state.get("unit_id")):
        raise NotFound(f"no supervision notice {notice_id}", field="notice_id")
    state["flags"] = scoped_flags(request.app.state.views, request.app.state.flags, principal,
                                  request.app.state.flags.query(
                                      limit=100, units=sorted(principal.units),
                                      scope=f"supervision:{notice_id}")["flags"])
    return _json(supervision.view(state, today))


# --- 监督警示 ------------------------------------------------------------------------------------

def _visible_flags(request: Request, principal: Principal, officer_id: str) -> set[str]:
    """The ids of the officer's flags ``principal`` may see (the officer record's filter)."""
    ids: set[str] = set()
    after = None
    while True:
        page = request.app.state.flags.query(limit=500, after=after,
                                             units=sorted(principal.units), officer_id=officer_id)
        ids.update(g["flag_id"] for g in page["flags"])
        after = page["next"]
        if after is None:
            return ids


@router.get("/v1/officers/{officer_id}/warnings", tags=["oversight"],
            summary="An officer's warning level, its reasons, level history and formal warnings")
def officer_warnings(request: Request, officer_id: str, principal: Inspector) -> Response:
    state = _officer_unit(request, principal, officer_id)
    result = levels.query(request.app.state.ledger.store, "officer", officer_id)
    if principal.units:     # the officer's flags in other units' cases, as GET /v1/officers/{id}
        result = levels.hide_flags(result, _visible_flags(request, principal, officer_id))
    result["formal_warnings"] = visible_warnings(request.app.state.views,
                                                 request.app.state.flags, principal,
                                                 state.get("warnings", []))
    return _json(result)


@router.get("/v1/units/{unit_id}/warnings", tags=["oversight"],
            summary="A unit's warning level, its reasons and level history")
def unit_warnings(request: Request, unit_id: str, principal: Inspector) -> Response:
    _known_unit(request, principal, unit_id)
    return _json(levels.query(request.app.state.ledger.store, "unit", unit_id))


# --- 定考 ----------------------------------------------------------------------------------------

def _period(request: Request, period: str, at: str | None) -> tuple[A.Period, date]:
    try:
        p = A.Period.parse(period)      # the query pattern admits year 0000, which it refuses
    except A.PeriodError as e:
        raise InvalidRequest(str(e), field="query.period") from None
    return p, min(p.end, _today(request, at))


def _assessment(request: Request, kind: str, ident: str, period: str, at: str | None,
                known: Callable[[], object]) -> Response:
    """The assessment of ``ident``: ``period`` and ``at`` judged first (422), then ``known()``
    (raising 404 for an id the principal may not see or the read models do not know)."""
    p, as_of = _period(request, period, at)
    known()
    return _json(queries.assessment(request.app.state.ledger.store, kind, ident, p, as_of))


PERIOD = Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$",
                              description="YYYY-MM or YYYY-Qn", examples=["2024-Q2"])]


@router.get("/v1/officers/{officer_id}/assessment", tags=["oversight"],
            summary="Integrity-based assessment (定考) of an officer for a month or quarter",
            description="Flags, procedural timeliness, evidence completeness, complaint "
                        "handling, pledge coverage and a documented score. Fine counts and "
                        "amounts never count (APL 第74条).")
def officer_assessment(request: Request, officer_id: str, principal: Inspector,
                       period: PERIOD, at: DAY = None) -> Response:
    return _assessment(request, "officer", officer_id, period, at,
                       lambda: _officer_unit(request, principal, officer_id))


@router.get("/v1/units/{unit_id}/assessment", tags=["oversight"],
            summary="Integrity-based assessment (定考) of a unit for a month or quarter")
def unit_assessment(request: Request, unit_id: str, principal: Inspector, period: PERIOD,
                    at: DAY = None) -> Response:
    return _assessment(request, "unit", unit_id, period, at,
                       lambda: _known_unit(request, principal, unit_id))


def install(app: FastAPI) -> None:
    """Add the oversight routes and the public page (``/public``) to ``app``."""
    app.include_router(router)
    static = resources.files("api").joinpath("static", "public")
    app.mount("/public", StaticPages(directory=str(static), html=True), name="public")
