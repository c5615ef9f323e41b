"""Rules that look across cases: RF13 (fining in place of management), RF14 (same act fined
twice), RF18 (repeated waivers), RF19 (officer–party conflict and concentration).

Scopes: RF13.a and RF19.a read one case; RF13.b/c, RF14 and RF18 read every case of a party
(their scope is the party, so a fact arriving in any of the party's cases re-evaluates them);
RF19.b/c read a grid in a quarter (the expectation is the party's share of the grid's cases).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from ._stats import count_unit, distance_m, home_unit, poisson_sf, sig
from .days import DAY, quarter_of
from .facts import Case, Decision, Loc
from .flag import fixed
from .time_rules import FIRST_VIOLATION_WAIVERS, MANDATORY_WAIVERS
from .zh import APL, cny, code_zh, yuan

if TYPE_CHECKING:
    from .engine import Ctx

REFUSAL_RESULTS = frozenset({"not_rectified", "refused", "partially_rectified"})


def _fines(c: Case) -> Iterator[Decision]:
    for d in c.decisions:
        if "fine" in d.types and c.withdrawal_of(d) is None:
            yield d


# --- case scope -------------------------------------------------------------------------------

def rf13a_no_rectification(c: Case, ctx: "Ctx") -> None:
    days = ctx.days
    for d in _fines(c):
        day = days.day(d.ts)
        # APL 第28条 orders the party fined: an order to another party of the case is not its
        orders = sorted((ts, eid) for ts, _, party, eid in c.rect_orders if party == d.party_ref)
        if any(days.day(ts) <= day for ts, _ in orders):
            continue
        later = orders[0] if orders else None
        ctx.flag("RF13.a", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                 numbers={"violation_code": d.code, "amount_fen": d.amount,
                          "decided_at": ctx.time(d.ts),
                          "rectification_ordered_at": ctx.time(later[0]) if later else None},
                 summary=f"fine of {cny(d.amount)} with no order to rectify (APL 第28条)",
                 summary_zh=f"罚款 {yuan(d.amount)}，未责令改正（{APL}第28条）",
                 case_id=c.case_id, party_ref=d.party_ref, unit_id=c.unit_id,
                 officer_id=d.officers[0] if d.officers else None, cleared=later)


def rf19a_undeclared_conflict(c: Case, ctx: "Ctx") -> None:
    if not c.parties or not c.acts:
        return
    fold = ctx.fold
    officers = fold.officers
    if not any(o is not None and o.relations for o in map(officers.get, c.persons)):
        return
    first_act: dict[str, tuple[int, str]] = {}
    last_act: dict[str, int] = {}
    for act in c.acts:
        for oid in {a for a, _ in act.actors} | set(act.deciders):
            if oid not in first_act:
                first_act[oid] = (act.ts, act.eid)
            last_act[oid] = max(last_act.get(oid, act.ts), act.ts)
    for oid in sorted(first_act):
        o = fold.officers.get(oid)
        if o is None or not o.relations:
            continue
        for party, relation, rel_eid, _ in o.relations:
            if party not in c.parties:
                continue
            recusal = min(((ts, eid) for ts, who, decision, eid, _ in c.recusals
                           if who == oid and decision == "recused"), default=None)
            # a request refused does not clear the conflict, but who refused it is the story
            refusal = max(((ts, eid, by) for ts, who, decision, eid, by in c.recusals
                           if who == oid and decision == "refused"), default=None)
            cleared = recusal if recusal and last_act[oid] <= recusal[0] else None
            ts, eid = first_act[oid]
            numbers = {"officer_id": oid, "party_ref": party, "relation": relation,
                       "first_act_at": ctx.time(ts),
                       "recusal_at": ctx.time(recusal[0]) if recusal else None}
            said = said_zh = ""
            if refusal is not None:
                numbers["recusal_refused_at"] = ctx.time(refusal[0])
                numbers["recusal_refused_by"] = refusal[2]
                said = f" (recusal refused by {refusal[2]})"
                said_zh = f"（回避申请已被 {refusal[2]} 驳回）"
            ctx.flag("RF19.a", f"{oid}|{party}", anchor=ts, raised=ts,
                     event_ids=[eid, rel_eid] + ([recusal[1]] if recusal else [])
                     + ([refusal[1]] if refusal else []),
                     numbers=numbers,
                     summary=f"{oid} ({relation} of {party}) acted in the case without "
                             f"recusal{said}",
                     summary_zh=f"{oid}（与 {party} 存在{code_zh(relation)}关系）参与办案而未回避"
                                f"{said_zh}",
                     case_id=c.case_id, officer_id=oid, party_ref=party, unit_id=c.unit_id,
                     cleared=cleared)
            break


CASE_RULES = (rf13a_no_rectification, rf19a_undeclared_conflict)


# --- party scope ------------------------------------------------------------------------------

def _party_decisions(ref: str, cases: list[Case]) -> list[tuple[Decision, Case]]:
    out = [(d, c) for c in cases for d in _fines(c) if d.party_ref == ref]
    out.sort(key=lambda dc: (dc[0].ts, dc[0].eid))
    return out


def _place(d: Decision, c: Case) -> Loc | None:
    return d.loc or c.loc


def _same_place(a: Loc | None, b: Loc | None, metres: int) -> tuple[bool, int | None]:
    """(same place?, distance in metres if both points are known). Unknown places count as
    the same: the party, violation and time already match."""
    if a is None or b is None:
        return True, None
    if None not in (a.lat_e6, a.lon_e6, b.lat_e6, b.lon_e6):
        dist = distance_m(a.lat_e6, a.lon_e6, b.lat_e6, b.lon_e6)  # type: ignore[arg-type]
        return dist <= metres, dist
    if a.grid and b.grid:
        return a.grid == b.grid, None
    return True, None


def rf_party(subject: tuple[str, dict[str, None]], ctx: "Ctx") -> None:
    ref, case_ids = subject
    cases = [ctx.fold.cases[cid] for cid in case_ids if cid in ctx.fold.cases]
    fines = _party_decisions(ref, cases)
    _rf13b_precondition(ref, cases, fines, ctx)
    _rf13c_toll(ref, cases, fines, ctx)
    _rf14_same_act(ref, fines, ctx)
    _rf18_waivers(ref, cases, ctx)


def _rf13b_precondition(ref: str, cases: list[Case], fines: list[tuple[Decision, Case]],
                        ctx: "Ctx") -> None:
    warnings = sorted((ts, code, eid) for c in cases for ts, party, form, code, eid in c.warnings
                      if party == ref and form == "written")
    for d, c in fines:
        th = ctx.params(d.ts).thresholds
        if d.code not in th.precondition_refusal_codes or (
                d.party_type == "organisation" and d.code in th.precondition_individual_codes):
            continue
        refused = any(
            o_ts <= v_ts <= d.ts and result in REFUSAL_RESULTS
            for o_ts, _, party, _ in c.rect_orders if o_ts <= d.ts and party == ref
            for v_ts, result, _ in c.rect_verified)
        warned = any(ts < d.ts and (code is None or code == d.code) for ts, code, _ in warnings)
        if refused or warned:
            continue
        rule = ctx.params(d.ts).fine_schedule.get(d.code)
        ctx.flag("RF13.b", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                 numbers={"violation_code": d.code,
                          "precondition": rule.precondition if rule else None,
                          "rectification_orders": sum(o[2] == ref for o in c.rect_orders),
                          "refusals_recorded": 0, "prior_written_warnings": len(
                              [w for w in warnings if w[0] < d.ts])},
                 summary=f"fine under {d.code} without the statutory precondition "
                         "(refusal to rectify or a prior written warning)",
                 summary_zh=f"依 {d.code} 罚款，但不具备法定前提（拒不改正或此前已书面警告）",
                 case_id=c.case_id, party_ref=ref, unit_id=c.unit_id,
                 officer_id=d.officers[0] if d.officers else None)


def _rf13c_toll(ref: str, cases: list[Case], fines: list[tuple[Decision, Case]],
                ctx: "Ctx") -> None:
    if len(fines) < 3:
        return
    verified = sorted(ts for c in cases for ts, result, _ in c.rect_verified
                      if result == "rectified")
    used: set[str] = set()
    for i, (d0, c0) in enumerate(fines):
        if d0.eid in used:
            continue
        th = ctx.params(d0.ts).thresholds
        window = th.toll_window_days * DAY
        cluster = [(d0, c0)]
        for d, c in fines[i + 1:]:
            if d.ts - d0.ts > window:
                break
            if d.code == d0.code and _same_place(_place(d, c), _place(d0, c0),
                                                  th.same_place_metres)[0]:
                cluster.append((d, c))
        if len(cluster) < th.toll_min_fines:
            continue
        first, last = cluster[0][0].ts, cluster[-1][0].ts
        if any(first < ts < last for ts in verified):
            continue
        used.update(d.eid for d, _ in cluster)
        ctx.flag("RF13.c", d0.eid, anchor=first, raised=cluster[th.toll_min_fines - 1][0].ts,
                 event_ids=[d.eid for d, _ in cluster],
                 numbers={"fines": len(cluster), "violation_code": d0.code,
                          "window_days": th.toll_window_days,
                          "total_fen": sum(d.amount for d, _ in cluster),
                          "cases": [c.case_id for _, c in cluster],
                          "officers": sorted({o for d, _ in cluster for o in d.officers})},
                 summary=f"{ref} fined {len(cluster)} times for {d0.code} at the same place "
                         f"within {th.toll_window_days} days with no verified rectification",
                 summary_zh=f"{ref} 在 {th.toll_window_days} 日内于同一地点因 {d0.code} 被罚款 "
                            f"{len(cluster)} 次，期间均未经复查确认整改",
                 party_ref=ref, case_id=cluster[-1][1].case_id, unit_id=cluster[-1][1].unit_id,
                 officer_id=d0.officers[0] if d0.officers else None)


def _act_start(d: Decision, c: Case) -> int:
    if c.violation_ts is not None:
        return min(c.violation_ts, d.ts)
    return c.filed.ts if c.filed is not None and c.filed.ts <= d.ts else d.ts


def _act_end(d: Decision, c: Case) -> int | None:
    """When the act fined by ``d`` was last found going on, if its case records it (a
    continuing violation's ``violation_ended_at``; never after the decision)."""
    if c.violation_end_ts is None:
        return None
    return min(c.violation_end_ts, d.ts)


def _new_act(ref: str, a: Decision, ca: Case, a_start: int, b: Decision, b_end: int | None
             ) -> bool:
    """Whether the later fine ``b`` is for a new act: the earlier case ordered ``ref`` to
    correct (APL 第28条) and the act went on after it. With ``b_end`` recorded, the act went on
    after the order's deadline — its instant for an order to correct at once (deadline null) —
    and the earlier decision; without, a deadline reached by the later decision counts (the
    act taken to go on until it), an order at once says nothing."""
    for ts, deadline, party, _ in ca.rect_orders:
        if party != ref:
            continue
        if b_end is None:
            if deadline is not None and a_start <= deadline <= b.ts:
                return True
        elif a_start <= (due := ts if deadline is None else deadline) and max(due, a.ts) < b_end:
            return True
    return False


def _rf14_same_act(ref: str, fines: list[tuple[Decision, Case]], ctx: "Ctx") -> None:
    for j in range(1, len(fines)):
        b, cb = fines[j]
        b_start = _act_start(b, cb)
        for i in range(j - 1, -1, -1):
            a, ca = fines[i]
            if a.ts < b_start:
                break                     # sorted by decision time: no earlier one overlaps
            if a.code != b.code:
                continue
            th = ctx.params(b.ts).thresholds
            same, dist = _same_place(_place(a, ca), _place(b, cb), th.same_place_metres)
            if not same:
                continue
            a_start = _act_start(a, ca)
            b_end = _act_end(b, cb)
            if _new_act(ref, a, ca, a_start, b, b_end):
                continue
            ctx.flag("RF14", f"{a.eid}|{b.eid}", anchor=b.ts, raised=b.ts,
                     event_ids=[a.eid, b.eid],
                     numbers={"violation_code": b.code, "first_case": ca.case_id,
                              "second_case": cb.case_id, "first_act": [
                                  ctx.time(a_start), ctx.time(a.ts)],
                              "second_act": [ctx.time(b_start),
                                             ctx.time(b.ts if b_end is None else b_end)],
                              "distance_m": dist, "amounts_fen": [a.amount, b.amount]},
                     summary=f"{ref} fined twice for {b.code} for overlapping acts "
                             f"(cases {ca.case_id}, {cb.case_id})",
                     summary_zh=f"{ref} 就 {b.code} 时间相互重叠的违法行为被罚款两次"
                                f"（案件 {ca.case_id}、{cb.case_id}），违反一事不再罚原则",
                     party_ref=ref, case_id=cb.case_id, unit_id=cb.unit_id,
                     officer_id=b.officers[0] if b.officers else None)


def _rf18_waivers(ref: str, cases: list[Case], ctx: "Ctx") -> None:
    waivers = sorted(((o, c) for c in cases for o in c.outcomes
                      if o.type == "WaiverGranted" and o.party_ref == ref),
                     key=lambda oc: (oc[0].ts, oc[0].eid))
    if not waivers:
        return
    # a) a first-violation waiver (APL 第33条第1款's, or a local 首违不罚清单's) for a party with
    # a prior violation in the look-back
    for w, cw in waivers:
        if w.basis not in FIRST_VIOLATION_WAIVERS:
            continue
        lookback = ctx.params(w.ts).legal.first_violation_lookback_days * DAY
        prior: list[tuple[int, str, str]] = []
        for c in cases:
            if c.case_id == cw.case_id:
                continue
            for d in c.decisions:
                if (d.party_ref == ref and d.code == w.code and w.ts - lookback <= d.ts < w.ts
                        and c.withdrawal_of(d) is None):
                    prior.append((d.ts, "decision", d.eid))
            for ts, party, _, code, eid in c.warnings:
                if party == ref and code in (None, w.code) and w.ts - lookback <= ts < w.ts:
                    prior.append((ts, "warning", eid))
            for o in c.outcomes:
                if (o.type == "WaiverGranted" and o.party_ref == ref and o.code == w.code
                        and w.ts - lookback <= o.ts < w.ts):
                    prior.append((o.ts, "waiver", o.eid))
        if prior:
            prior.sort()
            ctx.flag("RF18.a", w.eid, anchor=w.ts, raised=w.ts,
                     event_ids=[w.eid] + [p[2] for p in prior[-5:]],
                     numbers={"violation_code": w.code, "basis": w.basis,
                              "prior_violations": len(prior),
                              "prior_kinds": sorted({p[1] for p in prior}),
                              "lookback_days": lookback // DAY,
                              "latest_prior_at": ctx.time(prior[-1][0])},
                     summary=f"first-violation waiver for {ref}, who has {len(prior)} prior "
                             f"violation(s) of {w.code} in {lookback // DAY} days",
                     summary_zh=f"对 {ref} 以初次违法为由不予处罚，但其在 {lookback // DAY} 日内已有 "
                                f"{len(prior)} 次 {w.code} 违法",
                     party_ref=ref, case_id=cw.case_id, unit_id=cw.unit_id,
                     officer_id=w.decided_by[0] if w.decided_by else None)
    # b) repeated discretionary relief for the party; c) by the same officer
    relief = [(w, c) for w, c in waivers if w.basis not in MANDATORY_WAIVERS]
    _chains(relief, ctx, "RF18.b", ref, None)
    for oid in sorted({o for w, _ in relief for o in w.decided_by}):
        _chains([(w, c) for w, c in relief if oid in w.decided_by], ctx, "RF18.c", ref, oid)


def _chains(relief: list, ctx: "Ctx", rule_id: str, ref: str, oid: str | None) -> None:
    i = 0
    while i < len(relief):
        w0 = relief[i][0]
        th = ctx.params(w0.ts).thresholds
        window = th.waiver_window_days * DAY
        chain = [relief[i]]
        for w, c in relief[i + 1:]:
            if w.ts - chain[-1][0].ts > window:
                break
            chain.append((w, c))
        if len(chain) >= th.waiver_repeat_min:
            last_w, last_c = chain[-1]
            who = f" by {oid}" if oid else ""
            ctx.flag(rule_id, f"{oid or '*'}|{w0.eid}", anchor=w0.ts,
                     raised=chain[th.waiver_repeat_min - 1][0].ts,
                     event_ids=[w.eid for w, _ in chain],
                     numbers={"waivers": len(chain), "window_days": th.waiver_window_days,
                              "bases": sorted({w.basis or "" for w, _ in chain}),
                              "cases": [c.case_id for _, c in chain],
                              "officers": sorted({o for w, _ in chain for o in w.decided_by})},
                     summary=f"{ref} received {len(chain)} waivers/mitigations{who} within "
                             f"{th.waiver_window_days} days of each other",
                     summary_zh=f"{ref}{f' 经 {oid}' if oid else ''} 先后获得 {len(chain)} 次"
                                f"不予处罚或减轻处罚，相邻两次间隔均在 {th.waiver_window_days} 日内",
                     party_ref=ref, case_id=last_c.case_id, unit_id=last_c.unit_id,
                     officer_id=oid)
        i += len(chain)


PARTY_RULES = (rf_party,)


# --- grid scope (RF19.b/c) --------------------------------------------------------------------

def rf19_concentration(subject: tuple[str, dict[str, None]], ctx: "Ctx") -> None:
    key, case_ids = subject
    grid, _, quarter = key.rpartition("|")
    fold, days = ctx.fold, ctx.days
    decisions: list[tuple[Decision, Case]] = []
    for cid in case_ids:
        c = fold.cases.get(cid)
        if c is None:
            continue
        for d in _fines(c):
            if quarter_of(days.day(d.ts)) == quarter:
                decisions.append((d, c))
    total = len(decisions)
    if total == 0:
        return
    th = ctx.params(max(d.ts for d, _ in decisions)).thresholds
    if total < th.concentration_min_cases:
        return
    per_officer: dict[str, int] = {}
    per_party: dict[str, int] = {}
    pairs: dict[tuple[str, str], list[tuple[Decision, Case]]] = {}
    for d, c in decisions:
        per_party[d.party_ref] = per_party.get(d.party_ref, 0) + 1
        for oid in d.officers:
            per_officer[oid] = per_officer.get(oid, 0) + 1
            pairs.setdefault((oid, d.party_ref), []).append((d, c))
    alpha = th.poisson_p_micro / 1e6
    for (oid, party), hits in sorted(pairs.items()):
        k = len(hits)
        if k < th.concentration_min_cases:
            continue
        expected = per_officer[oid] * per_party[party] / total
        ratio = k / expected if expected else float("inf")
        p = poisson_sf(k, expected)
        if ratio * 1000 < th.concentration_ratio_milli or p >= alpha:
            continue
        hits.sort(key=lambda dc: (dc[0].ts, dc[0].eid))
        last = hits[-1][0]
        numbers = {"grid": grid, "quarter": quarter, "cases_together": k,
                   "officer_cases": per_officer[oid], "party_cases": per_party[party],
                   "grid_cases": total, "expected": fixed(expected),
                   "ratio": fixed(min(ratio, 1e9), 2), "p_value": sig(p),
                   "cases": [c.case_id for _, c in hits][:20]}
        units: dict[str, tuple[int, tuple[int, str]]] = {}
        for d, c in hits:      # the unit most of the cases were in (as RF17 and RF20.c)
            count_unit(units, c.unit_id or "-", d.ts, d.eid)
        common = {"officer_id": oid, "party_ref": party, "unit_id": home_unit(units),
                  "case_id": hits[-1][1].case_id}
        ctx.flag("RF19.b", f"{oid}|{party}", anchor=last.ts, raised=last.ts,
                 event_ids=[d.eid for d, _ in hits][:20], numbers=numbers,
                 summary=f"{oid} fined {party} {k} times in {grid} in {quarter} "
                         f"(expected {fixed(expected, 2)}, p = {sig(p)})", **common,
                 summary_zh=f"{oid} 于 {quarter} 在 {grid} 对 {party} 罚款 {k} 次"
                            f"（期望值 {fixed(expected, 2)} 次，泊松检验P值 {sig(p)}）")
        o = fold.officers.get(oid)
        if grid.startswith("unit:"):
            continue                      # no grid recorded: nothing to compare with posts
        outside = [d for d, c in hits if o is not None and (
            (post := o.post_at(d.ts)) is None
            or ((_place(d, c) or Loc(None, None, None)).grid or grid) not in post.grids)]
        if outside:
            ctx.flag("RF19.c", f"{oid}|{party}", anchor=last.ts, raised=outside[0].ts,
                     event_ids=[d.eid for d in outside][:20],
                     numbers={**numbers, "outside_post": len(outside)},
                     summary=f"{oid}'s concentration on {party} lies outside the officer's "
                             f"assigned grids ({len(outside)} of {k} cases)", **common,
                     summary_zh=f"{oid} 对 {party} 的集中处罚发生在其岗位网格之外"
                                f"（{k} 件中有 {len(outside)} 件）")


GRID_RULES = (rf19_concentration,)

__all__ = ["CASE_RULES", "GRID_RULES", "PARTY_RULES"]
