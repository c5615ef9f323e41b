"""Rules about the people acting: credentials (RF02), posts, territory and powers (RF21), the
integrity-pledge chain (RF22). Pure functions of the indexes and the evaluation context.

The people facts are what the ledger knows now about the time of each act: a suspension or an
expiry recorded late still covers the acts it covers (docs/red-flags.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .days import HOUR, day_iso, ymd
from .facts import Act, Case, Dispatch, Officer, Pledge
from .fold import Fold
from .zh import PLEDGE_CHAIN, code_zh, type_zh

if TYPE_CHECKING:
    from .engine import Ctx
    from .params import FlagParams

#: acts that need a qualified officer (RF02): administrative acts, not evidence capture
QUALIFIED_ACTS = frozenset({"CaseFiled", "InspectionPerformed", "RectificationOrdered",
                            "PenaltyNoticeServed", "PenaltyDecided", "OnsiteCashCollected",
                            "PropertySeized", "PreservationOrdered"})
#: acts whose location is compared with the actor's post and the unit's territory (RF21)
PLACED_ACTS = frozenset({"CaseFiled", "InspectionPerformed", "RectificationOrdered",
                         "WarningIssued", "PenaltyDecided", "PropertySeized",
                         "PreservationOrdered", "OnsiteCashCollected", "EvidenceRecorded"})


def act_statuses(act: Act, ctx: "Ctx") -> list[tuple[str, str | None, str, str | None,
                                                     Officer | None]]:
    """(officer_id, cert given, status, cert used, person) for everyone named on ``act``
    (actors, then deciders not already listed); memoised per subject for RF01 and RF02."""
    key = ("statuses", act.eid)
    out = ctx.memo.get(key)
    if out is None:
        fold, day = ctx.fold, ctx.days.day(act.ts)
        out, seen = [], set()
        for oid, cert in act.actors + tuple((d, None) for d in act.deciders):
            if oid in seen and cert is None:
                continue
            seen.add(oid)
            status, used, o = person_status(fold, oid, cert, act.ts, day)
            out.append((oid, cert, status, used, o))
        ctx.memo[key] = out
    return out


def person_status(fold: Fold, oid: str, cert: str | None, ts: int, day: int
                  ) -> tuple[str, str | None, Officer | None]:
    """(status, certificate used, person) of ``oid`` acting at ``ts``: valid | suspended |
    expired | revoked | not_yet_valid | unknown_certificate | no_credential | auxiliary |
    unknown_person (no HR event on the ledger)."""
    o = fold.officers.get(oid)
    if o is None:
        return "unknown_person", cert, o
    status, used = o.credential(ts, day, cert)
    return status, used, o


# --- RF02 -------------------------------------------------------------------------------------

def rf02_unqualified_actor(c: Case, ctx: "Ctx") -> None:
    for act in c.acts:
        if act.type not in QUALIFIED_ACTS:
            continue
        seen: set[str] = set()
        for oid, _, status, used, o in act_statuses(act, ctx):
            if oid in seen:
                continue
            seen.add(oid)
            if status == "valid":
                continue
            cred = o.creds.get(used) if (o is not None and used) else None
            ctx.flag("RF02", f"{act.eid}|{oid}", anchor=act.ts, raised=act.ts,
                     event_ids=[act.eid] + ([cred.eid] if cred and cred.eid else []),
                     numbers={"event_type": act.type, "officer_id": oid, "cert_no": used,
                              "status": status,
                              "kind": o.kind if o is not None else "unknown",
                              "valid_from": _day(cred.valid_from) if cred else None,
                              "valid_until": _day(cred.valid_until) if cred else None,
                              "acted_at": ctx.time(act.ts)},
                     summary=f"{oid} acted ({act.type}) with credential status '{status}'",
                     summary_zh=f"{oid} 未持有效执法证件（{code_zh(status)}）实施"
                                f"“{type_zh(act.type)}”",
                     case_id=c.case_id, officer_id=oid, unit_id=c.unit_id)


def _day(day: int | None) -> str | None:
    return None if day is None else day_iso(day)


# --- RF21 -------------------------------------------------------------------------------------

def rf21_outside_post_territory_power(c: Case, ctx: "Ctx") -> None:
    fold = ctx.fold
    for act in c.acts:
        if act.type not in PLACED_ACTS or act.loc is None or not act.loc.grid:
            continue
        grid = act.loc.grid
        p = ctx.params(act.ts)
        grace = p.thresholds.dispatch_record_grace_hours
        territory = p.unit_grids.get(c.unit_id or "")
        if territory and grid not in territory:
            ctx.flag("RF21.b", act.eid, anchor=act.ts, raised=act.ts, event_ids=[act.eid],
                     numbers={"event_type": act.type, "grid_id": grid, "unit_id": c.unit_id,
                              "territory_grids": sorted(territory)[:20]},
                     summary=f"{act.type} in grid {grid}, outside unit {c.unit_id}'s territory",
                     summary_zh=f"“{type_zh(act.type)}”发生在网格 {grid}，超出单位 {c.unit_id} 的"
                                "管辖区域",
                     case_id=c.case_id, unit_id=c.unit_id)
        if act.type == "EvidenceRecorded":
            continue        # evidence shows where officers were; posts are judged on acts
        for oid in dict.fromkeys(a for a, _ in act.actors):
            o = fold.officers.get(oid)
            if o is None or o.kind != "officer":
                continue
            post = o.post_at(act.ts)
            if post is not None and grid in post.grids:
                continue
            # the orders in force at the act: exactly those whose folding re-evaluates it
            # (facts.apply_dispatch), so the count below changes only with them
            in_force = [d for d in o.dispatches if d.start <= act.ts <= d.until]
            covering = [d for d in in_force if d.grids is None or grid in d.grids]
            late = [(known, d) for d in covering
                    if (known := _dispatch_known(d, p)) > act.ts + grace * HOUR]
            if len(late) < len(covering):
                continue
            late.sort(key=lambda x: (x[0], x[1].idx))
            numbers = {"event_type": act.type, "officer_id": oid, "grid_id": grid,
                       "post_id": None if post is None else post.eid,
                       "post_grids": [] if post is None else sorted(post.grids),
                       "dispatch_orders_checked": len(in_force),
                       "acted_at": ctx.time(act.ts)}
            post_said = sorted(post.grids) if post else "(no post)"
            said, said_zh = "with no dispatch", "，且无调度指令"
            if late:
                hours = (late[0][0] - act.ts) // HOUR
                numbers["dispatch_orders_late"] = [
                    [d.eid, ctx.time(known), (known - act.ts) // HOUR] for known, d in late[:5]]
                numbers["dispatch_record_grace_hours"] = grace
                said = (f"with no dispatch in time: a dispatch order covering it was recorded "
                        f"{hours} h after the act")
                said_zh = f"，覆盖该时段的调度指令于执法后 {hours} 小时才录入"
            ctx.flag("RF21.a", f"{act.eid}|{oid}", anchor=act.ts, raised=act.ts,
                     event_ids=[act.eid] + ([post.eid] if post else [])
                     + [d.eid for _, d in late[:5]],
                     numbers=numbers,
                     summary=f"{oid} acted in grid {grid} outside the assigned post "
                             f"{post_said} {said}",
                     summary_zh=f"{oid} 在网格 {grid} 执法，超出其岗位网格"
                                f"{'（' + '、'.join(sorted(post.grids)) + '）' if post else '（无岗位）'}"
                                f"{said_zh}",
                     case_id=c.case_id, officer_id=oid, unit_id=c.unit_id)
    _rf21c_power_list(c, ctx)


def _dispatch_known(d: Dispatch, p: "FlagParams") -> int:
    """When the ledger knew of dispatch order ``d``: its recording, or, for a declared
    historical import (recorded at go-live, as every record of the past), the time it claims."""
    return d.ts if p.imports and p.imported(d.ts, d.idx, d.rts) else d.rts


def _rf21c_power_list(c: Case, ctx: "Ctx") -> None:
    if not c.code:
        return
    first = c.filed or (c.events[0] if c.events else None)
    if first is None:
        return
    codes = ctx.params(first.ts).power_codes(c.unit_id)
    if codes and c.code not in codes:
        ctx.flag("RF21.c", c.code, anchor=first.ts, raised=first.ts, event_ids=[first.eid],
                 numbers={"violation_code": c.code, "unit_id": c.unit_id,
                          "power_list_size": len(codes)},
                 summary=f"violation {c.code} is not in unit {c.unit_id}'s power list",
                 summary_zh=f"违法行为 {c.code} 不在单位 {c.unit_id} 的权力清单内",
                 case_id=c.case_id, unit_id=c.unit_id)


# --- RF22 -------------------------------------------------------------------------------------

def rf22_pledge_chain(o: Officer, ctx: "Ctx") -> None:
    if o.kind != "officer" or not o.acts:
        return
    fold, days = ctx.fold, ctx.days
    by_year: dict[int, list[tuple[int, str, str, str, str | None]]] = {}
    checked: dict[int, tuple[str, str | None]] = {}
    chains = ctx.shared.setdefault("pledge_chains", {})
    for ts, cid, eid in o.acts:
        day = days.day(ts)
        result = checked.get(day)
        if result is None:
            result = checked[day] = chain_status(fold, o.officer_id, day, ts, chains)
        if result[0] != "complete":
            year = _year(day)
            by_year.setdefault(year, []).append((ts, cid, eid, result[0], result[1]))
    for year, misses in sorted(by_year.items()):
        misses.sort()
        ts, cid, eid, status, broken_at = misses[0]
        ctx.flag("RF22", str(year), anchor=ts, raised=ts,
                 event_ids=[m[2] for m in misses[:5]],
                 numbers={"year": year, "acts_uncovered": len(misses),
                          "days_uncovered": len({days.day(m[0]) for m in misses}),
                          "first_act_at": ctx.time(ts), "chain_status": status,
                          "broken_at": broken_at, "cases": sorted({m[1] for m in misses})[:10]},
                 summary=f"{o.officer_id} acted on {len({days.day(m[0]) for m in misses})} "
                         f"day(s) in {year} without a complete pledge chain ({status})",
                 summary_zh=f"{o.officer_id} 于 {year} 年有 {len({days.day(m[0]) for m in misses})} "
                            f"日在廉政建设责任书未层层签订到位时执法（{PLEDGE_CHAIN[status]}）",
                 officer_id=o.officer_id, unit_id=o.unit_id, case_id=cid)


def chain_status(fold: Fold, officer_id: str, day: int, ts: int,
                 memo: dict[tuple[str, int], Pledge | None] | None = None
                 ) -> tuple[str, str | None]:
    """Walk the pledge chain (层层签订) at instant ``ts`` (legal day ``day``): each link is a
    signed pledge covering the day and countersigned by the pledgor's direct superior (when
    the post names one); the countersigner's own pledge is the next link, until one marked top
    of chain. Returns (complete | none | uncountersigned | broken | superior_uncountersigned |
    wrong_countersigner | cycle, where it broke).
    ``memo`` caches each person's pledge for a day across calls."""
    current, seen, links = officer_id, set(), 0
    while True:
        if current in seen:
            return "cycle", current
        seen.add(current)
        o = fold.officers.get(current)
        key = (current, day)
        if memo is not None and key in memo:
            best = memo[key]
        else:
            best = _pledge_on(o, day)
            if memo is not None:
                memo[key] = best
        if best is None:
            return ("broken" if links else "none"), current
        if best.countersigned_by is None:     # signed, waiting: whose countersignature
            return ("superior_uncountersigned" if links else "uncountersigned"), current
        post = o.post_at(ts) if o is not None else None
        if post is not None and post.superior and best.countersigned_by != post.superior:
            return "wrong_countersigner", current
        links += 1
        if best.top:
            return "complete", None
        current = best.countersigned_by or ""


def _pledge_on(o: Officer | None, day: int) -> Pledge | None:
    """The person's pledge covering ``day``: the latest countersigned one, else the latest
    signed one still waiting for its countersignature (the chain stops there, and says so)."""
    best = None
    if o is not None:
        for p in o.pledges.values():
            if (p.period_from is not None and p.period_until is not None
                    and p.period_from <= day <= p.period_until
                    and (best is None or (bool(p.countersigned_by), p.period_from, p.pledge_id)
                         > (bool(best.countersigned_by), best.period_from,
                            best.pledge_id))):  # type: ignore[operator]
                best = p
    return best


def _year(day: int) -> int:
    return ymd(day)[0]


CASE_RULES = (rf02_unqualified_actor, rf21_outside_post_territory_power)
OFFICER_RULES = (rf22_pledge_chain,)
