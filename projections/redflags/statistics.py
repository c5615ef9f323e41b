"""Statistical rules over compact cohorts, computed once per evaluation of a cohort.

RF17 — discretion outliers. A cohort is violation code × party type × unit × calendar quarter
(the yaml's "90-day window" as fixed quarters, so that flag ids are stable). Per officer (the
lead officer of each decision): the position of each amount in the statutory range
``p = (amount - min) / (max - min)``; the officer's mean position against the peers' by robust
z = (mean_p − median of peer means) / (1.4826 · MAD of peer means) (peers = the other officers
of the cohort with at least ``stats_min_n`` cases; at least ``stats_min_peers`` of them);
top-of-range and bottom-of-range shares against the peers' median share (binomial test against
the pooled peer rate); serious- and minor-tier shares and waiver share (two-proportion z);
bunching of amounts in (0.9·T, T] below the summary, on-the-spot and hearing thresholds.
Fixed-amount violations (degenerate ranges) and cases with an approved deviation are left out.
Each amount is attributed to the decision's lead officer (:func:`lead`).
Every metric is tested across the officers of the cohort with Benjamini–Hochberg at q = 0.05;
a flag needs both the effect size of the yaml and BH significance.

RF20.c — voided decision forms per officer per unit-quarter against peers.
RF24 — period-end spikes per unit: fines in the last 5 days of a month against the rest of the
month (Poisson, p < 0.001, > 2×), in 2 consecutive months; days of an approved campaign are
left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._stats import (
    benjamini_hochberg,
    binomial_sf,
    mad,
    median,
    normal_sf,
    poisson_sf,
    sig,
    two_proportion_z,
)
from .days import day_iso, month_bounds, month_of, next_month, quarter_of
from .facts import Case, Decision, Unit
from .flag import fixed

if TYPE_CHECKING:
    from .engine import Ctx
    from .params import FlagParams


@dataclass
class _Officer:
    positions: list[tuple[int, Decision, Case]] = field(default_factory=list)   # bp
    tiered: int = 0
    serious: int = 0
    minor: int = 0
    fines: int = 0
    waivers: int = 0
    waiver_events: list[tuple[int, str]] = field(default_factory=list)    # (ts, event id)
    amounts: list[int] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.positions)

    @property
    def mean(self) -> float:
        return sum(p for p, _, _ in self.positions) / len(self.positions) / 10_000


def rf_cohort(subject: tuple[str, dict[str, None]], ctx: "Ctx") -> None:
    key, case_ids = subject
    if key.startswith("void|"):
        _rf20c_void_rate(key, ctx)
        return
    code, ptype, unit, quarter = key.split("|")
    fold, days = ctx.fold, ctx.days
    fines: list[tuple[Decision, Case]] = []
    waivers: list[tuple[str, int, str]] = []      # (officer, time, event id)
    last = None
    for cid in case_ids:
        c = fold.cases.get(cid)       # membership was decided when the decision was folded
        if c is None:
            continue
        if c.withdrawn() is None:
            for d in c.decisions:
                if ("fine" in d.types and d.code == code and d.party_type == ptype
                        and quarter_of(days.day(d.ts)) == quarter):
                    fines.append((d, c))
                    last = d.ts if last is None else max(last, d.ts)
        for o in c.outcomes:
            if (o.type == "WaiverGranted" and o.code == code
                    and quarter_of(days.day(o.ts)) == quarter):
                if o.decided_by:
                    waivers.append((o.decided_by[0], o.ts, o.eid))
                last = o.ts if last is None else max(last, o.ts)
    if last is None:
        return
    p = ctx.params(last)
    th = p.thresholds
    rule = p.fine_schedule.get(code)
    if rule is None or rule.degenerate or rule.max_fen <= rule.min_fen:
        return                     # fixed amounts: nothing to compare
    lo, hi = rule.min_fen, rule.max_fen
    officers: dict[str, _Officer] = {}
    approved = set(th.deviation_approval_forms)
    for d, c in fines:
        if any(dv[1] in approved and dv[0] <= d.ts for dv in c.deviations):
            continue
        pos = (min(max(d.amount, lo), hi) - lo) * 10_000 // (hi - lo)
        tier = c.benchmarks[-1][3] if c.benchmarks else d.tier
        oid = lead(d)
        if oid is None:
            continue
        s = officers.setdefault(oid, _Officer())
        s.positions.append((pos, d, c))
        s.amounts.append(d.amount)
        s.fines += 1
        if tier is not None:
            s.tiered += 1
            s.serious += tier in th.serious_tiers
            s.minor += tier in th.minor_tiers
    for oid, ts, eid in waivers:
        s = officers.setdefault(oid, _Officer())
        s.waivers += 1
        s.waiver_events.append((ts, eid))
    tested = {oid: s for oid, s in officers.items() if s.n >= th.stats_min_n}
    if len(tested) < th.stats_min_peers + 1:
        return
    q = th.bh_q_bp / 10_000
    base = {"cohort": key, "violation_code": code, "party_type": ptype, "quarter": quarter,
            "range_fen": [lo, hi], "officers_tested": len(tested), "bh_q": fixed(q, 2)}
    _position(ctx, key, unit, tested, th, q, base)
    _shares(ctx, key, unit, tested, th, q, base, lo, hi)
    _tiers(ctx, key, unit, tested, th, q, base)
    _bunching(ctx, key, unit, tested, p, q, base, lo, hi, ptype)


def lead(d: Decision) -> str | None:
    """The officer a decision's discretion is attributed to: the first acting officer (主办人,
    who proposes the amount), else the first decider. Attributing every amount to both
    officers of a pair made honest partners of an outlier look like outliers themselves."""
    if d.officers:
        return d.officers[0]
    return d.decided_by[0] if d.decided_by else None


def _emit(ctx: "Ctx", rule_id: str, disc: str, oid: str, unit: str, s: _Officer,
          numbers: dict, summary: str, *, high: bool = True) -> None:
    ordered = sorted(s.positions, key=lambda x: (-x[0] if high else x[0], x[1].eid))
    extreme = ordered[:5]
    # raised at the officer's latest act in the cohort: the moment the evidence was complete
    anchor = max([d.ts for _, d, _ in s.positions] + [ts for ts, _ in s.waiver_events])
    ids = [d.eid for _, d, _ in extreme] or [eid for _, eid in sorted(s.waiver_events)[-5:]]
    ctx.flag(rule_id, disc, anchor=anchor, raised=anchor, event_ids=ids,
             numbers={**numbers, "most_extreme_cases": [
                 [c.case_id, d.amount] for _, d, c in extreme]},
             summary=summary, officer_id=oid, unit_id=None if unit == "-" else unit,
             case_id=extreme[0][2].case_id if extreme else None)


def _position(ctx: "Ctx", key: str, unit: str, tested: dict[str, _Officer], th, q: float,
              base: dict) -> None:
    means = {oid: s.mean for oid, s in tested.items()}
    # within-officer variance of positions, pooled over the cohort (for the standard error)
    total_n = sum(s.n for s in tested.values())
    grand = sum(p for s in tested.values() for p, _, _ in s.positions) / total_n / 10_000
    var = sum((p / 10_000 - grand) ** 2 for s in tested.values()
              for p, _, _ in s.positions) / max(1, total_n - 1)
    results: dict[str, tuple[float, float, float, float, float]] = {}
    for oid, m in means.items():
        peers = [v for o, v in means.items() if o != oid]
        if len(peers) < th.stats_min_peers:
            continue
        med = median(peers)
        spread = 1.4826 * mad(peers, med)
        # MAD of ~20 peer means is a noisy scale and too often too small; an officer's mean
        # can never be judged more precisely than its own standard error allows
        se = math.sqrt(var / tested[oid].n)
        scale = max(spread, se)
        if scale <= 0:
            continue
        z = (m - med) / scale
        results[oid] = (z, 2 * normal_sf(abs(z)), med, spread, se)
    rejected, cut = benjamini_hochberg({o: r[1] for o, r in results.items()}, q)
    for oid in sorted(rejected):
        z, pval, med, spread, se = results[oid]
        if abs(z) * 1000 < th.z_threshold_milli:
            continue
        high = z > 0
        s = tested[oid]
        _emit(ctx, "RF17.a", oid, oid, unit, s,
              {**base, "n": s.n, "mean_position": fixed(s.mean, 4),
               "peer_median": fixed(med, 4), "peer_mad_scaled": fixed(spread, 4),
               "own_standard_error": fixed(se, 4),
               "z": fixed(z, 3), "p_value": sig(pval), "bh_cutoff": sig(cut),
               "side": "high" if high else "low",
               "mean_amount_fen": sum(s.amounts) // len(s.amounts)},
              f"{oid}: mean position {fixed(s.mean, 3)} in the statutory range vs peer median "
              f"{fixed(med, 3)} (robust z = {fixed(z, 2)}, n = {s.n})", high=high)


def _share_test(tested: dict[str, _Officer], count, th, q: float
                ) -> tuple[dict[str, tuple[float, float, float]], set[str], float]:
    """Per officer: (share, peer median share, p-value against the pooled peer rate)."""
    out: dict[str, tuple[float, float, float]] = {}
    counts = {oid: count(s) for oid, s in tested.items()}
    all_x = sum(counts.values())
    all_n = sum(s.n for s in tested.values())
    for oid, s in tested.items():
        shares = [counts[k] / o.n for k, o in tested.items() if k != oid]
        k = counts[oid]
        pooled = (all_x - k + 0.5) / (all_n - s.n + 1)
        out[oid] = (k / s.n, median(shares), binomial_sf(k, s.n, pooled))
    rejected, cut = benjamini_hochberg({o: r[2] for o, r in out.items()}, q)
    return out, rejected, cut


def _shares(ctx: "Ctx", key: str, unit: str, tested: dict[str, _Officer], th, q: float,
            base: dict, lo: int, hi: int) -> None:
    top_bp, bottom_bp = th.top_position_bp, th.bottom_position_bp
    for rule_id, count, label, high in (
            ("RF17.b", lambda s: sum(p >= top_bp for p, _, _ in s.positions), "top", True),
            ("RF17.d", lambda s: sum(p <= bottom_bp for p, _, _ in s.positions), "bottom",
             False)):
        results, rejected, cut = _share_test(tested, count, th, q)
        for oid in sorted(rejected):
            share, peer_med, pval = results[oid]
            if share * 10_000 < th.share_min_bp or share * 1000 < th.peer_ratio_milli * peer_med:
                continue
            s = tested[oid]
            _emit(ctx, rule_id, oid, oid, unit, s,
                  {**base, "n": s.n, f"{label}_share": fixed(share, 3),
                   "peer_median_share": fixed(peer_med, 3), "p_value": sig(pval),
                   "bh_cutoff": sig(cut),
                   "position_threshold": fixed((top_bp if high else bottom_bp) / 10_000, 2)},
                  f"{oid}: {fixed(share * 100, 1)} % of fines at the {label} of the range vs "
                  f"peer median {fixed(peer_med * 100, 1)} % (n = {s.n})", high=high)


def _tiers(ctx: "Ctx", key: str, unit: str, tested: dict[str, _Officer], th, q: float,
           base: dict) -> None:
    metrics = (
        ("RF17.c", lambda s: (s.serious, s.tiered), "serious-tier", True),
        ("RF17.e", lambda s: (s.minor, s.tiered), "minor-tier", False),
        ("RF17.f", lambda s: (s.waivers, s.waivers + s.fines), "waiver", False),
    )
    for rule_id, count, label, high in metrics:
        results: dict[str, tuple[float, float, int, int]] = {}
        counts = {oid: count(s) for oid, s in tested.items()}
        all_x = sum(x for x, _ in counts.values())
        all_n = sum(n for _, n in counts.values())
        for oid in tested:
            x1, n1 = counts[oid]
            if n1 < th.stats_min_n:
                continue
            x2, n2 = all_x - x1, all_n - n1
            if n2 == 0 or (x1 == 0 and x2 == 0):
                continue
            z = two_proportion_z(x1, n1, x2, n2)
            results[oid] = (z, normal_sf(z), x1, n1)
        rejected, cut = benjamini_hochberg({o: r[1] for o, r in results.items()}, q)
        for oid in sorted(rejected):
            z, pval, x1, n1 = results[oid]
            if z * 1000 < th.tier_z_milli:
                continue
            peers_x = sum(count(o)[0] for k, o in tested.items() if k != oid)
            peers_n = sum(count(o)[1] for k, o in tested.items() if k != oid)
            s = tested[oid]
            _emit(ctx, rule_id, oid, oid, unit, s,
                  {**base, "n": n1, f"{label}_share": fixed(x1 / n1, 3),
                   "peer_share": fixed(peers_x / peers_n, 3), "z": fixed(z, 3),
                   "p_value": sig(pval), "bh_cutoff": sig(cut)},
                  f"{oid}: {label} share {fixed(x1 / n1 * 100, 1)} % vs peers "
                  f"{fixed(peers_x / peers_n * 100, 1)} % (two-proportion z = {fixed(z, 2)})",
                  high=high)


def _bunching(ctx: "Ctx", key: str, unit: str, tested: dict[str, _Officer],
              p: "FlagParams", q: float, base: dict, lo: int, hi: int, ptype: str) -> None:
    legal, th = p.legal, p.thresholds
    limits = {legal.summary_procedure_max_fine_organisation_fen if ptype == "organisation"
              else legal.summary_procedure_max_fine_individual_fen,
              legal.onsite_collection_max_fine_fen,
              legal.hearing_threshold_organisation_fen if ptype == "organisation"
              else legal.hearing_threshold_individual_fen}
    for t in sorted(x for x in limits if x is not None and lo < x <= hi):
        low = t * th.bunching_low_bp // 10_000

        def count(s: _Officer, t: int = t, low: int = low) -> int:
            return sum(low < a <= t for a in s.amounts)
        results, rejected, cut = _share_test(tested, count, th, q)
        for oid in sorted(rejected):
            share, peer_med, pval = results[oid]
            peers = [(count(o), o.n) for k, o in tested.items() if k != oid]
            pooled = sum(x for x, _ in peers) / max(1, sum(n for _, n in peers))  # rare path
            ratio = share / pooled if pooled else math.inf
            if ratio * 1000 < th.peer_ratio_milli:
                continue
            s = tested[oid]
            _emit(ctx, "RF17.g", f"{oid}|{t}", oid, unit, s,
                  {**base, "n": s.n, "threshold_fen": t, "band_fen": [low + 1, t],
                   "share": fixed(share, 3), "peer_share": fixed(pooled, 3),
                   "ratio": fixed(min(ratio, 1e9), 2), "p_value": sig(pval),
                   "bh_cutoff": sig(cut)},
                  f"{oid}: {fixed(share * 100, 1)} % of amounts just under {t} fen vs peers "
                  f"{fixed(pooled * 100, 1)} %")


# --- RF20.c -----------------------------------------------------------------------------------

def _rf20c_void_rate(key: str, ctx: "Ctx") -> None:
    _, unit, quarter = key.split("|")
    fold, days = ctx.fold, ctx.days
    u = fold.units.get(unit)
    voids: dict[str, list[tuple[int, str]]] = {}
    forms: dict[str, int] = {}
    for cid in fold.cohorts.get(key, {}):
        c = fold.cases.get(cid)
        if c is None:
            continue
        for ts, _, officers, eid in c.voided:
            if quarter_of(days.day(ts)) == quarter:
                for oid in officers:
                    voids.setdefault(oid, []).append((ts, eid))
    if not voids or u is None:
        return
    for cid in u.cases:
        c = fold.cases.get(cid)
        if c is None:
            continue
        for d in c.decisions:
            if d.procedure == "summary" and quarter_of(days.day(d.ts)) == quarter:
                for oid in d.officers:
                    forms[oid] = forms.get(oid, 0) + 1
    last = max(ts for v in voids.values() for ts, _ in v)
    th = ctx.params(last).thresholds
    people = {oid: (len(voids.get(oid, ())), forms.get(oid, 0)) for oid in set(voids) | set(forms)}
    tested = {oid: (v, v + f) for oid, (v, f) in people.items() if v + f >= th.stats_min_n}
    if len(tested) < th.stats_min_peers + 1:
        return
    results: dict[str, tuple[float, float, float, float]] = {}
    for oid, (v, n) in tested.items():
        peers = [(pv, pn) for o, (pv, pn) in tested.items() if o != oid]
        pooled = (sum(x for x, _ in peers) + 0.5) / (sum(n for _, n in peers) + 1)
        results[oid] = (v / n, median([x / n for x, n in peers]), binomial_sf(v, n, pooled),
                        pooled)
    q = th.bh_q_bp / 10_000
    rejected, cut = benjamini_hochberg({o: r[2] for o, r in results.items()}, q)
    for oid in sorted(rejected):
        rate, peer_med, pval, pooled = results[oid]
        v, n = tested[oid]
        if v < th.void_min_forms or rate * 1000 <= th.peer_ratio_milli * peer_med:
            continue
        events = sorted(voids[oid])
        ctx.flag("RF20.c", oid, anchor=events[-1][0], raised=events[-1][0],
                 event_ids=[e for _, e in events][:10],
                 numbers={"cohort": key, "voided": v, "forms": n, "void_rate": fixed(rate, 3),
                          "peer_median_rate": fixed(peer_med, 3), "p_value": sig(pval),
                          "bh_cutoff": sig(cut), "officers_tested": len(tested)},
                 summary=f"{oid} voided {v} of {n} numbered decision forms in {quarter} "
                         f"({fixed(rate * 100, 1)} % vs peer median {fixed(peer_med * 100, 1)} %)",
                 officer_id=oid, unit_id=unit)


COHORT_RULES = (rf_cohort,)


# --- RF24 -------------------------------------------------------------------------------------

def rf24_period_end(u: Unit, ctx: "Ctx") -> None:
    if not u.cases:
        return
    fold, days = ctx.fold, ctx.days
    campaigns = [(a, b, codes) for a, b, codes, approved, _ in u.campaigns if approved]
    counts: dict[int, int] = {}
    eids: dict[int, list[str]] = {}
    latest: dict[int, int] = {}
    excluded_days: set[int] = set()
    last = 0
    for cid in u.cases:
        c = fold.cases.get(cid)
        if c is None or c.withdrawn() is not None:
            continue
        for d in c.decisions:
            if "fine" not in d.types:
                continue
            day = days.day(d.ts)
            if any(a <= day <= b and (not codes or d.code in codes) for a, b, codes in campaigns):
                continue
            counts[day] = counts.get(day, 0) + 1
            eids.setdefault(day, []).append(d.eid)
            latest[day] = max(latest.get(day, 0), d.ts)
            last = max(last, d.ts)
    if not counts:
        return
    for a, b, codes in campaigns:
        if not codes:
            excluded_days.update(range(a, b + 1))
    th = ctx.params(last).thresholds
    alpha = th.poisson_p_micro / 1e6
    months = sorted({month_of(d) for d in counts})
    spikes: dict[str, dict] = {}
    for m in months:
        first, final = month_bounds(m)
        end_start = final - th.period_end_days + 1
        end_days = [d for d in range(end_start, final + 1) if d not in excluded_days]
        rest_days = [d for d in range(first, end_start) if d not in excluded_days]
        if not end_days or not rest_days:
            continue
        end_n = sum(counts.get(d, 0) for d in end_days)
        rest_n = sum(counts.get(d, 0) for d in rest_days)
        expected = rest_n / len(rest_days) * len(end_days)
        pval = poisson_sf(end_n, expected)
        if (end_n >= th.spike_min_count and end_n * 1000 > th.spike_ratio_milli * expected
                and pval < alpha):
            spikes[m] = {"month": m, "end_window": [day_iso(end_days[0]), day_iso(end_days[-1])],
                         "end_count": end_n, "rest_count": rest_n,
                         "expected_end": fixed(expected, 2), "p_value": sig(pval),
                         "eids": [e for d in end_days for e in eids.get(d, ())],
                         "ts": max(latest.get(d, 0) for d in end_days)}
    run = 0
    prev = None
    for m in sorted(spikes):
        run = run + 1 if prev is not None and next_month(prev) == m else 1
        prev = m
        if run >= th.spike_consecutive:
            window = [spikes[x] for x in _back(m, th.spike_consecutive)]
            ids = [e for s in window for e in s["eids"]][:20]
            ctx.flag("RF24", m, anchor=last, raised=spikes[m]["ts"],
                     event_ids=ids,
                     numbers={"unit_id": u.unit_id,
                              "month_fields": list(_MONTH_FIELDS),
                              "months": [[s[k] for k in _MONTH_FIELDS] for s in window],
                         "ratio_threshold": fixed(th.spike_ratio_milli / 1000, 1),
                         "p_threshold": sig(alpha), "campaigns_excluded": len(campaigns)},
                     summary=f"unit {u.unit_id}: fines spike in the last {th.period_end_days} "
                             f"days of {', '.join(s['month'] for s in window)}",
                     unit_id=u.unit_id)


_MONTH_FIELDS = ("month", "end_window", "end_count", "rest_count", "expected_end", "p_value")


def _back(month: str, n: int) -> list[str]:
    out = [month]
    y, m = int(month[:4]), int(month[5:7])
    for _ in range(n - 1):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.insert(0, f"{y}-{m:02d}")
    return out


UNIT_RULES = (rf24_period_end,)
