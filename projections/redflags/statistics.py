"""Statistical rules over ledger-wide cohorts, computed once per evaluation of a cohort.

RF17 — discretion outliers. The cohort of quarter Q (subject ``cohort:discretion|<Q>``) is
every fine and waiver of the ledger (the yaml's "city district": one ledger serves one
jurisdiction) decided in the window of ``stats_window_quarters`` calendar quarters ending with
Q (default 2: a trailing 180 days, stepped by quarter, so flag ids are stable). "Same
circumstances" is the violation code × party type of each case: every case is compared with
what *other* officers decided for the same code and party type in the window, and the
officer's evidence is pooled across codes:

* position ``p = (amount - min) / (max - min)`` in the code's statutory range; residual
  ``r = p - median p`` of the other officers' cases of the same code × party type; the
  officer's mean residual against the peers' mean residuals by robust z
  = (mean_r − median of peer means) / max(1.4826 · MAD of peer means, sqrt(tau² + s²/n))
  (:func:`_robust`; RF17.a);
* shares (top and bottom of the range, serious and minor tier, waivers, amounts just under
  a legal limit T: (0.9 T, T] under a 以下 limit, [0.9 T, T) under a hearing threshold)
  against the count expected from the other officers' rate code by code (binomial upper tail
  at the mean expected rate; RF17.b–g).

An officer is judged with n ≥ ``stats_min_n`` comparable cases against ≥ ``stats_min_peers``
tested peers; a case is comparable when ≥ ``stats_min_peers`` other officers decided its code ×
party type in the window. Fixed-amount violations (degenerate ranges), cases with an approved
deviation and withdrawn decisions are left out. Each amount is attributed to the decision's
lead officer (:func:`lead`). Every metric is tested across the officers with
Benjamini–Hochberg at q = 0.05; a flag needs both the effect size of the yaml and BH
significance. A flag names the unit of its window's cases: the unit most of the acts it
counts were in (:func:`home_unit`).

RF20.c — voided numbered decision forms per officer in the same window, ledger-wide, against
the pooled rate of the other officers.
RF24 — period-end spikes per unit: fines in the last 5 days of a month against the rest of the
month (exact test of two Poisson counts: binomial given their sum, p < 0.001, > 2×), in 2 consecutive months; days of an approved campaign are
left out.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Iterable

from ._stats import (
    benjamini_hochberg,
    bh_q_values,
    binomial_sf,
    count_unit,
    home_unit,
    median,
    median_without,
    sig,
    student_t_sf,
)
from .days import day_iso, month_bounds, month_of, next_month, quarter_of
from .facts import MAX_WINDOW_QUARTERS, Case, Decision, Unit, quarter_shift
from .flag import fixed
from .zh import cny, yuan

if TYPE_CHECKING:
    from .days import Days
    from .engine import Ctx
    from .params import FlagParams

Group = tuple[str, str]          # (violation code, party type): "the same circumstances"


@dataclass(frozen=True)
class _Fine:
    pos: int                     # position in the statutory range, basis points
    group: Group
    amount: int
    tier: str | None
    d: Decision
    c: Case


@dataclass
class _Officer:
    fines: list[_Fine] = field(default_factory=list)
    waivers: list[tuple[int, str, Group]] = field(default_factory=list)   # (ts, event id, group)
    #: unit -> (acts counted in it, the latest of them (ts, event id)): see :func:`home_unit`
    units: dict[str, tuple[int, tuple[int, str]]] = field(default_factory=dict)


def lead(d: Decision) -> str | None:
    """The officer a decision's discretion is attributed to: the first acting officer (主办人,
    who proposes the amount), else the first decider. Attributing every amount to both
    officers of a pair made honest partners of an outlier look like outliers themselves."""
    if d.officers:
        return d.officers[0]
    return d.decided_by[0] if d.decided_by else None


@dataclass(frozen=True, slots=True)
class Window:
    """A cohort's window: its quarters (oldest first), the cases filed under them and the latest
    act in its own quarter (whose parameters apply)."""

    quarters: list[str]
    cases: list[Case]
    last: int
    inside: frozenset[str]
    days: "Days"

    def covers(self, ts: int) -> bool:
        """True if the instant ``ts`` falls in one of the window's quarters."""
        return quarter_of(self.days.day(ts)) in self.inside

    def span(self) -> list[str]:
        """[first quarter, last quarter], as flags report it."""
        return [self.quarters[0], self.quarters[-1]]


def window_quarters(quarter: str, p: "FlagParams") -> list[str]:
    """The quarters of the window ending with ``quarter`` under parameters ``p``, oldest
    first."""
    size = max(1, min(MAX_WINDOW_QUARTERS, p.thresholds.stats_window_quarters))
    return [quarter_shift(quarter, k) for k in range(1 - size, 1)]


def fine_range(p: "FlagParams", code: str | None, party_type: str) -> tuple[int, int] | None:
    """The code's statutory range in the fine schedule ``p`` for a party of ``party_type``
    (RF15's, :meth:`FineRule.min_fen_for` and :meth:`FineRule.max_fen_for`); None for fixed
    amounts and unknown codes (RF17 compares nothing there)."""
    rule = p.fine_schedule.get(code) if code else None
    if rule is None or rule.degenerate:
        return None
    least, most = rule.min_fen_for(party_type), rule.max_fen_for(party_type)
    return None if most <= least else (least, most)


def position_bp(amount: int, lo: int, hi: int) -> int:
    """RF17's position of an amount in [lo, hi], in basis points (clamped)."""
    return (min(max(amount, lo), hi) - lo) * 10_000 // (hi - lo)


def window(ctx: "Ctx", kind: str, quarter: str) -> Window | None:
    """The window of ``kind``'s cohort ending with ``quarter``; None when that quarter has no
    act."""
    fold = ctx.fold
    own = fold.cohorts.get(f"{kind}|{quarter}", {})
    last = None
    for cid in own:
        c = fold.cases.get(cid)
        if c is None:
            continue
        for ts in _acts(c, kind):
            if quarter_of(ctx.days.day(ts)) == quarter and (last is None or ts > last):
                last = ts
    if last is None:
        return None
    quarters = window_quarters(quarter, ctx.params(last))
    ids: dict[str, None] = {}
    for q in quarters:
        ids.update(fold.cohorts.get(f"{kind}|{q}", {}))
    cases = [c for c in (fold.cases.get(cid) for cid in ids) if c is not None]
    return Window(quarters, cases, last, frozenset(quarters), ctx.days)


def _acts(c: Case, kind: str) -> Iterable[int]:
    if kind == "void":
        yield from (ts for ts, _, _, _ in c.voided)
        yield from (d.ts for d in c.decisions if d.procedure == "summary")
        return
    yield from (d.ts for d in c.decisions)
    yield from (o.ts for o in c.outcomes if o.type == "WaiverGranted")


def rf_cohort(subject: tuple[str, dict[str, None]], ctx: "Ctx") -> None:
    key, _ = subject
    kind, _, quarter = key.partition("|")
    if kind == "void":
        _rf20c_void_rate(key, quarter, ctx)
    elif kind == "discretion":
        _discretion(key, quarter, ctx)


def _discretion(key: str, quarter: str, ctx: "Ctx") -> None:
    w = window(ctx, "discretion", quarter)
    if w is None:
        return
    p = ctx.params(w.last)
    th = p.thresholds
    approved = set(th.deviation_approval_forms)
    officers: dict[str, _Officer] = {}
    ranges: dict[tuple[str, str], tuple[int, int] | None] = {}

    def range_of(code: str, party_type: str) -> tuple[int, int] | None:
        group = (code, party_type)
        if group not in ranges:
            ranges[group] = fine_range(p, code, party_type)
        return ranges[group]

    def person(oid: str, ts: int, eid: str, unit: str) -> _Officer:
        s = officers.get(oid)
        if s is None:
            s = officers[oid] = _Officer()
        count_unit(s.units, unit, ts, eid)
        return s

    for c in w.cases:
        unit = c.unit_id or "-"
        for d in c.decisions:
            if "fine" not in d.types or not w.covers(d.ts) or c.withdrawal_of(d) is not None:
                continue
            rng = range_of(d.code, d.party_type)
            oid = lead(d)
            if rng is None or oid is None:
                continue         # fixed amounts: nothing to compare
            if any(dv[1] in approved and dv[0] <= d.ts for dv in c.deviations):
                continue
            pos = position_bp(d.amount, *rng)
            applied = c.benchmark_at(d.ts)          # the tier this decision applied
            tier = applied[3] if applied else d.tier
            person(oid, d.ts, d.eid, unit).fines.append(
                _Fine(pos, (d.code, d.party_type), d.amount, tier, d, c))
        for o in c.outcomes:
            if o.type != "WaiverGranted" or not o.decided_by or not w.covers(o.ts):
                continue
            ptype = c.parties.get(o.party_ref or "") or "individual"
            if o.code and range_of(o.code, ptype) is not None:
                person(o.decided_by[0], o.ts, o.eid, unit).waivers.append(
                    (o.ts, o.eid, (o.code, ptype)))
    if not officers:
        return
    q = th.bh_q_bp / 10_000
    base = {"cohort": key, "window": w.span(), "bh_q": fixed(q, 2)}
    cmp = _Comparable(officers, th.stats_min_peers)
    _position(ctx, officers, cmp, th, q, base)
    top, bottom = th.top_position_bp, th.bottom_position_bp
    for rule_id, label, hit, high in (
            ("RF17.b", "top", lambda f: f.pos >= top, True),
            ("RF17.d", "bottom", lambda f: f.pos <= bottom, False)):
        _share(ctx, rule_id, "", officers, cmp, th, q, base, label,
               [(oid, [(f, hit(f)) for f in s.fines]) for oid, s in officers.items()],
               high=high, position_share=top if high else bottom)
    for rule_id, label, tiers, high in (("RF17.c", "serious-tier", th.serious_tiers, True),
                                         ("RF17.e", "minor-tier", th.minor_tiers, False)):
        _share(ctx, rule_id, "", officers, cmp, th, q, base, label,
               [(oid, [(f, f.tier in tiers) for f in s.fines if f.tier is not None])
                for oid, s in officers.items()], high=high)
    _waivers(ctx, officers, cmp, th, q, base)
    _bunching(ctx, officers, cmp, p, q, base)


class _Comparable:
    """Per (code, party type): the officers deciding it and their sorted positions, so that each
    case is compared with the *other* officers' cases of the same circumstances."""

    def __init__(self, officers: dict[str, _Officer], min_peers: int) -> None:
        self.min_peers = min_peers
        who: dict[Group, set[str]] = {}
        for oid, s in officers.items():
            for f in s.fines:
                who.setdefault(f.group, set()).add(oid)
            for _, _, g in s.waivers:
                who.setdefault(g, set()).add(oid)
        self.who = who
        self.positions: dict[Group, list[int]] = {}
        for s in officers.values():
            for f in s.fines:
                self.positions.setdefault(f.group, []).append(f.pos)
        for v in self.positions.values():
            v.sort()

    def ok(self, group: Group, oid: str) -> bool:
        """Whether ≥ ``stats_min_peers`` other officers decided this code × party type."""
        w = self.who.get(group, ())
        return len(w) - (oid in w) >= self.min_peers

    def reference(self, group: Group, own: list[int]) -> int | None:
        """Median position (bp) of the group's cases without ``own`` (sorted, a sub-multiset)."""
        a = self.positions.get(group, [])
        n = len(a) - len(own)
        if n <= 0:
            return None

        def kth(k: int) -> int:         # k-th smallest (0-based) of a minus own
            lo, hi = 0, 10_000
            while lo < hi:
                mid = (lo + hi) // 2
                if bisect_right(a, mid) - bisect_right(own, mid) > k:
                    hi = mid
                else:
                    lo = mid + 1
            return lo
        return (kth((n - 1) // 2) + kth(n // 2)) // 2


def _emit(ctx: "Ctx", rule_id: str, disc: str, oid: str, s: _Officer, evidence: list[_Fine],
          numbers: dict, summary: str, summary_zh: str, *, high: bool = True,
          waivers: Iterable[tuple[int, str, Group]] = ()) -> None:
    ordered = sorted(evidence, key=lambda f: (-f.pos if high else f.pos, f.d.eid))
    extreme = ordered[:5]
    # raised at the officer's latest act in the window: the moment the evidence was complete
    anchor = max([f.d.ts for f in s.fines] + [ts for ts, _, _ in s.waivers])
    ids = [f.d.eid for f in extreme] or [eid for _, eid, _ in sorted(waivers)[-5:]]
    ctx.flag(rule_id, disc, anchor=anchor, raised=anchor, event_ids=ids,
             numbers={**numbers, "most_extreme_cases": [[f.c.case_id, f.amount] for f in extreme]},
             summary=summary, summary_zh=summary_zh, officer_id=oid, unit_id=home_unit(s.units),
             case_id=extreme[0].c.case_id if extreme else None)


def _by_code(fines: list[_Fine]) -> list[list]:
    """The officer's comparable cases per code × party type: [code, party type, n, mean p]."""
    groups: dict[Group, list[int]] = {}
    for f in fines:
        groups.setdefault(f.group, []).append(f.pos)
    return [[code, ptype, len(v), fixed(sum(v) / len(v) / 10_000, 3)]
            for (code, ptype), v in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


@dataclass(frozen=True, slots=True)
class _Robust:
    """An officer's value against the other tested officers': z = (own − centre) / scale."""

    z: float
    centre: float        # the peers' median
    spread: float        # 1.4826 · the peers' MAD
    tau: float           # honest spread between officers: sqrt(spread² − peers' median se²)
    se: float            # the officer's own standard error
    scale: float         # max(spread, sqrt(tau² + se²)), the denominator used
    df: int              # the reference's degrees of freedom: peers − 1

    @property
    def reference(self) -> str:
        """The distribution z is referred to, as a flag names it."""
        return f"t(df={self.df})"

    def upper(self) -> float:
        """P(T ≥ z) under the reference: the one-sided p-value of z."""
        return student_t_sf(self.z, self.df)

    def two_sided(self) -> float:
        """2 · P(T ≥ |z|) under the reference."""
        return min(1.0, 2 * student_t_sf(abs(self.z), self.df))

    def numbers(self, digits: int) -> dict[str, str]:
        """What an inspector needs to recompute z and its p-value from the flag."""
        return {"peer_mad_scaled": fixed(self.spread, digits),
                "between_officer_sd": fixed(self.tau, digits),
                "own_standard_error": fixed(self.se, digits),
                "scale": fixed(self.scale, digits), "z": fixed(min(self.z, 1e9), 3),
                "reference": self.reference}


class _Peers:
    """Each officer's value against the other officers' (:meth:`robust`), one test's values
    sorted once: left out of a sorted list, an officer leaves it sorted, so each of the three
    medians is read in O(log n) (:func:`median_without`) where sorting the peers for every
    officer cost O(n log n) each — most of a cohort's evaluation at 900 officers. The same
    medians as sorting the peers: the same values, picked from the same places."""

    def __init__(self, values: dict[str, float], sampling: dict[str, float]) -> None:
        """``values`` per officer; ``sampling``: each one's sampling variance (se²)."""
        self.values, self.sampling = values, sampling
        self._values = sorted(values.values())
        self._sampling = sorted(sampling.values())
        #: centre -> every value's absolute deviation from it, sorted (the leave-one-out
        #: centre takes at most three values)
        self._deviations: dict[float, list[float]] = {}

    def robust(self, oid: str) -> _Robust:
        """``oid``'s robust z against the others.

        The peers' spread mixes honest differences between officers (tau²) with their own
        sampling noise; an officer with fewer cases than the typical peer is noisier than that
        spread says, so the scale is never below sqrt(tau² + own se²). A zero scale gives
        z = inf when the officer differs from the centre, else 0."""
        value, se2 = self.values[oid], self.sampling[oid]
        centre = median_without(self._values, value)
        deviations = self._deviations.get(centre)
        if deviations is None:
            deviations = self._deviations[centre] = sorted(abs(v - centre)
                                                           for v in self._values)
        spread = 1.4826 * median_without(deviations, abs(value - centre))
        tau2 = max(0.0, spread ** 2 - median_without(self._sampling, se2))
        scale = max(spread, math.sqrt(tau2 + se2))
        diff = value - centre
        z = diff / scale if scale > 0 else (math.copysign(math.inf, diff) if diff else 0.0)
        # df ≥ 1: a parameter set may allow a single peer
        return _Robust(z, centre, spread, math.sqrt(tau2), math.sqrt(se2), scale,
                       max(1, len(self._values) - 2))


def _position(ctx: "Ctx", officers: dict[str, _Officer], cmp: _Comparable, th, q: float,
              base: dict) -> None:
    residuals: dict[str, list[tuple[float, _Fine]]] = {}
    for oid, s in officers.items():
        own: dict[Group, list[int]] = {}
        for f in s.fines:
            own.setdefault(f.group, []).append(f.pos)
        refs = {g: cmp.reference(g, sorted(v)) if cmp.ok(g, oid) else None
                for g, v in own.items()}
        rs = [((f.pos - ref) / 10_000, f) for f in s.fines
              if (ref := refs[f.group]) is not None]
        if len(rs) >= th.stats_min_n:
            residuals[oid] = rs
    if len(residuals) < th.stats_min_peers + 1:
        return
    means = {oid: sum(r for r, _ in rs) / len(rs) for oid, rs in residuals.items()}
    # within-officer variance of residuals, pooled (the standard error's s), summed exactly
    # from the residuals in basis points: in floats an officer whose amounts are all equal
    # left a rounding residue (s ≈ 1e-19) that made a zero scale a tiny one, z ≈ 1e17
    total = sum(len(rs) for rs in residuals.values())
    bps = [[round(r * 10_000) for r, _ in rs] for rs in residuals.values()]
    ss = sum(Fraction(len(bp) * sum(x * x for x in bp) - sum(bp) ** 2, len(bp))
             for bp in bps) / 10_000 ** 2
    var = float(ss) / max(1, total - len(residuals))
    sampling = {oid: var / len(rs) for oid, rs in residuals.items()}    # se² of each mean
    results: dict[str, tuple[float, float, _Robust]] = {}
    peers = _Peers(means, sampling)
    for oid in means:
        rb = peers.robust(oid)
        if rb.scale <= 0:
            continue
        results[oid] = (rb.z, rb.two_sided(), rb)
    pvalues = {o: r[1] for o, r in results.items()}
    rejected, cut = benjamini_hochberg(pvalues, q)
    qvalues = bh_q_values(pvalues)
    for oid in sorted(rejected):
        z, pval, rb = results[oid]
        if abs(z) * 1000 < th.z_threshold_milli:
            continue
        high = z > 0
        s, rs = officers[oid], residuals[oid]
        fines = [f for _, f in rs]
        mean_p = sum(f.pos for f in fines) / len(fines) / 10_000
        _emit(ctx, "RF17.a", oid, oid, s, fines,
              {**base, "officers_tested": len(residuals), "n": len(rs),
               "mean_position": fixed(mean_p, 4), "mean_residual": fixed(means[oid], 4),
               "peer_median_residual": fixed(rb.centre, 4), **rb.numbers(4),
               "z_threshold": fixed(th.z_threshold_milli / 1000, 1), "p_value": sig(pval),
               "q_value": sig(qvalues[oid]), "bh_cutoff": sig(cut),
               "side": "high" if high else "low",
               "mean_amount_fen": sum(f.amount for f in fines) // len(fines),
               "by_code": _by_code(fines)},
              f"{oid}: amounts {fixed(abs(means[oid]) * 100, 1)} % of the statutory range "
              f"{'above' if high else 'below'} other officers' median for the same violations "
              f"(robust z = {fixed(z, 2)} against {len(residuals) - 1} peers, n = {len(rs)})",
              f"{oid}：同类违法行为的罚款数额{'高于' if high else '低于'}其他执法人员中位数，"
              f"相差法定幅度的 {fixed(abs(means[oid]) * 100, 1)}%（稳健Z分数 {fixed(z, 2)}，"
              f"对比 {len(residuals) - 1} 名执法人员，样本 {len(rs)} 件）",
              high=high)


def _judged(items: list[tuple[str, list[tuple[Group, bool]]]], cmp: _Comparable, th,
            q: float) -> tuple[dict, dict, set, float] | None:
    """Expected counts (:func:`_expected`), the robust tests of every tested officer and the
    Benjamini–Hochberg rejections at ``q``; None when fewer than ``stats_min_peers + 1``
    officers reach ``stats_min_n`` comparable cases."""
    stats = _expected(items, cmp, th.stats_min_n)
    if len(stats) < th.stats_min_peers + 1:
        return None
    tests = _tests(stats)
    pvalues = {o: t[1] for o, t in tests.items()}
    rejected, cut = benjamini_hochberg(pvalues, q)
    qvalues = bh_q_values(pvalues)
    return stats, {o: (*t, qvalues[o]) for o, t in tests.items()}, rejected, cut


def _expected(items: list[tuple[str, list[tuple[Group, bool]]]], cmp: _Comparable,
              min_n: int) -> dict[str, tuple[int, int, float, float]]:
    """Per officer with ≥ ``min_n`` comparable cases: (hits, n, expected hits, variance), where
    each case's expected rate is the other officers' rate for its code × party type (with
    +0.5 / +1 smoothing, so a zero peer rate never makes one hit infinitely unlikely)."""
    totals: dict[Group, list[int]] = {}
    per: dict[str, dict[Group, list[int]]] = {}
    for oid, cases in items:
        mine = per.setdefault(oid, {})
        for g, hit in cases:
            t = totals.setdefault(g, [0, 0])
            t[0] += hit
            t[1] += 1
            m = mine.setdefault(g, [0, 0])
            m[0] += hit
            m[1] += 1
    out: dict[str, tuple[int, int, float, float]] = {}
    for oid, mine in per.items():
        k = n = 0
        e = v = 0.0
        for g, (x, m) in mine.items():
            if not cmp.ok(g, oid):
                continue
            tx, tn = totals[g]
            rate = (tx - x + 0.5) / (tn - m + 1)
            k += x
            n += m
            e += m * rate
            v += m * rate * (1 - rate)
        if n >= min_n:
            out[oid] = (k, n, e, v)
    return out


def _tests(stats: dict[str, tuple[int, int, float, float]]
           ) -> dict[str, tuple[float, float, _Robust]]:
    """Per officer: (robust z, p-value, the robust comparison).

    The excess ``(hits - expected) / n`` is judged like RF17.a's mean residual: against the
    other officers' excesses (median, 1.4826 · MAD), the scale never below
    sqrt(tau² + own sampling variance). Honest officers differ more than binomial noise (a
    whole squadron fining trivial cases at month end shifts its tier mix): the count alone
    would call all of them outliers. The p-value is the larger of the robust z's (one-sided)
    and the exact binomial tail at the expected rate, so both must agree."""
    excess = {oid: (k - e) / n for oid, (k, n, e, _) in stats.items()}
    sampling = {oid: v / n / n for oid, (_, n, _, v) in stats.items()}
    out: dict[str, tuple[float, float, _Robust]] = {}
    peers = _Peers(excess, sampling)
    for oid, (k, n, e, _) in stats.items():
        rb = peers.robust(oid)
        out[oid] = (rb.z, max(rb.upper(), binomial_sf(k, n, min(1.0, e / n))), rb)
    return out


def _share_numbers(stats: dict, tests: dict, cut: float, oid: str) -> dict:
    """The numbers every share flag (RF17.b–g) gives: n, expected share, the robust comparison
    of the excess (hits − expected) / n, p, its BH q-value and cut-off."""
    k, n, e, _ = stats[oid]
    _, pval, rb, qvalue = tests[oid]
    return {"officers_tested": len(stats), "n": n, "expected_share": fixed(e / n, 3),
            "excess": fixed((k - e) / n, 4), "peer_median_excess": fixed(rb.centre, 4),
            **rb.numbers(4), "p_value": sig(pval), "q_value": sig(qvalue), "bh_cutoff": sig(cut)}


#: where a share metric's fines lie, in Chinese (``_share``'s labels)
_LABEL_ZH = {"top": "处于法定幅度的顶端", "bottom": "处于法定幅度的底端",
             "serious-tier": "属于严重档", "minor-tier": "属于轻微档"}


def _share(ctx: "Ctx", rule_id: str, disc_suffix: str, officers: dict[str, _Officer],
           cmp: _Comparable, th, q: float, base: dict, label: str,
           cases: list[tuple[str, list[tuple[_Fine, bool]]]], *, high: bool,
           position_share: int | None = None) -> None:
    """A share metric: ``position_share`` set → the yaml's share rule (share ≥ 0.3 and ≥ 3 ×
    expected, RF17.b/d); otherwise the tier rule (standardised excess z ≥ 3, RF17.c/e)."""
    judged = _judged([(oid, [(f.group, hit) for f, hit in cs]) for oid, cs in cases], cmp,
                     th, q)
    if judged is None:
        return
    stats, tests, rejected, cut = judged
    hits = dict(cases)
    for oid in sorted(rejected):
        k, n, e, _ = stats[oid]
        share, expected = k / n, e / n
        z = tests[oid][0]
        if position_share is not None:
            if share * 10_000 < th.share_min_bp or share * 1000 < th.peer_ratio_milli * expected:
                continue
        elif z * 1000 < th.tier_z_milli:
            continue
        evidence = [f for f, hit in hits[oid] if hit and cmp.ok(f.group, oid)]
        numbers = {**base, f"{label}_share": fixed(share, 3),
                   **_share_numbers(stats, tests, cut, oid)}
        if position_share is not None:
            numbers["position_threshold"] = fixed(position_share / 10_000, 2)
            numbers["share_threshold"] = fixed(th.share_min_bp / 10_000, 2)
            numbers["ratio_threshold"] = fixed(th.peer_ratio_milli / 1000, 1)
        else:
            numbers["z_threshold"] = fixed(th.tier_z_milli / 1000, 1)
        where = f"at the {label} of the range" if position_share is not None else label
        _emit(ctx, rule_id, oid + disc_suffix, oid, officers[oid], evidence, numbers,
              f"{oid}: {fixed(share * 100, 1)} % of fines {where} vs "
              f"{fixed(expected * 100, 1)} % expected from other officers' decisions on the same "
              f"violations (n = {n})",
              f"{oid}：{fixed(share * 100, 1)}% 的罚款{_LABEL_ZH[label]}，按其他执法人员对同类违法"
              f"行为的决定，预期为 {fixed(expected * 100, 1)}%（样本 {n} 件）", high=high)


def _waivers(ctx: "Ctx", officers: dict[str, _Officer], cmp: _Comparable, th, q: float,
             base: dict) -> None:
    """RF17.f: waivers among the officer's fines and waivers, against the other officers' waiver
    rate code by code (leniency)."""
    items = [(oid, [(f.group, False) for f in s.fines] + [(g, True) for _, _, g in s.waivers])
             for oid, s in officers.items() if s.waivers]
    if not items:
        return
    judged = _judged(items + [(oid, [(f.group, False) for f in s.fines])
                              for oid, s in officers.items() if not s.waivers], cmp, th, q)
    if judged is None:
        return
    stats, tests, rejected, cut = judged
    for oid in sorted(rejected):
        k, n, e, _ = stats[oid]
        if tests[oid][0] * 1000 < th.tier_z_milli:
            continue
        s = officers[oid]
        _emit(ctx, "RF17.f", oid, oid, s, [], {
            **base, "waiver_share": fixed(k / n, 3), **_share_numbers(stats, tests, cut, oid),
            "z_threshold": fixed(th.tier_z_milli / 1000, 1)},
            f"{oid}: waivers in {fixed(k / n * 100, 1)} % of fines and waivers vs "
            f"{fixed(e / n * 100, 1)} % expected from other officers on the same violations",
            f"{oid}：在罚款和不予处罚中不予处罚占 {fixed(k / n * 100, 1)}%，按其他执法人员对"
            f"同类违法行为的决定，预期为 {fixed(e / n * 100, 1)}%",
            high=False, waivers=[w for w in s.waivers if cmp.ok(w[2], oid)])


def _limits(p: "FlagParams", ptype: str) -> set[tuple[int, bool]]:
    """RF17.g's legal limits for the party type: (T, whether T itself owes a hearing)."""
    legal = p.legal
    org = ptype == "organisation"
    # APL 第51条 二百元以下 / 三千元以下 and 第68条 一百元以下 include T; a hearing threshold
    # (较大数额, local rules "X元以上", RF09.g) starts at T
    return {(t, hearing) for t, hearing in (
        (legal.summary_procedure_max_fine_organisation_fen if org
         else legal.summary_procedure_max_fine_individual_fen, False),
        (legal.onsite_collection_max_fine_fen, False),
        (legal.hearing_threshold_organisation_fen if org
         else legal.hearing_threshold_individual_fen, True)) if t is not None}


def _band(t: int, hearing: bool, low_bp: int) -> tuple[int, int]:
    """RF17.g's amounts just under the limit T, inclusive: [0.9 T, T) under a hearing threshold
    (an amount of T already owes a hearing), (0.9 T, T] under a 以下 limit (T is still within
    it)."""
    low = t * low_bp // 10_000
    return (low, t - 1) if hearing else (low + 1, t)


def _bunching(ctx: "Ctx", officers: dict[str, _Officer], cmp: _Comparable, p: "FlagParams",
              q: float, base: dict) -> None:
    """RF17.g: per legal limit T, amounts just under T (``_band``) among the officer's fines
    whose range contains T, against the other officers' rate for the same code × party type."""
    th = p.thresholds
    applies: dict[Group, set[tuple[int, bool]]] = {}
    for s in officers.values():
        for f in s.fines:
            if f.group not in applies:
                lo, hi = fine_range(p, *f.group) or (0, 0)
                applies[f.group] = {(t, hearing) for t, hearing in _limits(p, f.group[1])
                                    if lo < t <= hi}
    for t, hearing in sorted(set().union(*applies.values()) if applies else ()):
        lo, hi = _band(t, hearing, th.bunching_low_bp)
        cases = [(oid, [(f, lo <= f.amount <= hi) for f in s.fines
                        if (t, hearing) in applies[f.group]])
                 for oid, s in officers.items()]
        judged = _judged([(oid, [(f.group, hit) for f, hit in cs]) for oid, cs in cases],
                         cmp, th, q)
        if judged is None:
            continue
        stats, tests, rejected, cut = judged
        hits = dict(cases)
        for oid in sorted(rejected):
            k, n, e, _ = stats[oid]
            ratio = k / e if e else math.inf
            if ratio * 1000 < th.peer_ratio_milli:
                continue
            evidence = [f for f, hit in hits[oid] if hit and cmp.ok(f.group, oid)]
            # a hearing threshold may equal another party type's limit: its own subject
            disc = f"{oid}|{t}|hearing" if hearing else f"{oid}|{t}"
            _emit(ctx, "RF17.g", disc, oid, officers[oid], evidence,
                  {**base, "threshold_fen": t, "band_fen": [lo, hi], "share": fixed(k / n, 3),
                   **_share_numbers(stats, tests, cut, oid),
                   "ratio": fixed(min(ratio, 1e9), 2),
                   "ratio_threshold": fixed(th.peer_ratio_milli / 1000, 1)},
                  f"{oid}: {fixed(k / n * 100, 1)} % of amounts in [{cny(lo)}, {cny(hi)}] "
                  f"({'hearing threshold' if hearing else 'limit'} {cny(t)}) vs "
                  f"{fixed(e / n * 100, 1)} % expected from other officers on the same "
                  f"violations (n = {n})",
                  f"{oid}：{fixed(k / n * 100, 1)}% 的罚款数额在 {yuan(lo)}至 {yuan(hi)}之间"
                  f"（{'听证标准' if hearing else '限额'} {yuan(t)}），按其他执法人员对同类违法行为"
                  f"的决定，预期为 {fixed(e / n * 100, 1)}%（样本 {n} 件）")


# --- RF20.c -----------------------------------------------------------------------------------

def _rf20c_void_rate(key: str, quarter: str, ctx: "Ctx") -> None:
    w = window(ctx, "void", quarter)
    if w is None:
        return
    voids: dict[str, list[tuple[int, str]]] = {}
    forms: dict[str, int] = {}
    units: dict[str, dict[str, tuple[int, tuple[int, str]]]] = {}

    def seen(oid: str, ts: int, eid: str, c: Case) -> None:
        count_unit(units.setdefault(oid, {}), c.unit_id or "-", ts, eid)

    for c in w.cases:
        for ts, _, officers, eid in c.voided:
            if w.covers(ts):
                for oid in officers:
                    voids.setdefault(oid, []).append((ts, eid))
                    seen(oid, ts, eid, c)
        for d in c.decisions:
            if d.procedure == "summary" and w.covers(d.ts):
                for oid in d.officers:
                    forms[oid] = forms.get(oid, 0) + 1
                    seen(oid, d.ts, d.eid, c)
    if not voids:
        return
    th = ctx.params(w.last).thresholds
    people = {oid: (len(voids.get(oid, ())), forms.get(oid, 0)) for oid in set(voids) | set(forms)}
    tested = {oid: (v, v + f) for oid, (v, f) in people.items() if v + f >= th.stats_min_n}
    if len(tested) < th.stats_min_peers + 1:
        return
    all_v = sum(v for v, _ in tested.values())
    all_n = sum(n for _, n in tested.values())
    rates = sorted(v / n for v, n in tested.values())
    results: dict[str, tuple[float, float, float, float]] = {}
    for oid, (v, n) in tested.items():
        pooled = (all_v - v + 0.5) / (all_n - n + 1)
        rates.remove(v / n)                    # the peers' median: leave the officer out
        results[oid] = (v / n, median(rates), binomial_sf(v, n, pooled), pooled)
        rates.insert(bisect_right(rates, v / n), v / n)
    q = th.bh_q_bp / 10_000
    pvalues = {o: r[2] for o, r in results.items()}
    rejected, cut = benjamini_hochberg(pvalues, q)
    qvalues = bh_q_values(pvalues)
    for oid in sorted(rejected):
        rate, peer_med, pval, pooled = results[oid]
        v, n = tested[oid]
        # the yaml's effect size, 3 × the peers' median; at a 2 % void rate most peers void
        # nothing in a window, the median is 0 and would pass any rate: then 3 × the peers'
        # pooled rate (the rate the binomial test is against)
        reference = peer_med if peer_med > 0 else pooled
        if v < th.void_min_forms or rate * 1000 <= th.peer_ratio_milli * reference:
            continue
        events = sorted(voids[oid])
        ctx.flag("RF20.c", oid, anchor=events[-1][0], raised=events[-1][0],
                 event_ids=[e for _, e in events][:10],
                 numbers={"cohort": key, "window": w.span(), "voided": v,
                          "forms": n, "void_rate": fixed(rate, 3),
                          "peer_median_rate": fixed(peer_med, 3),
                          "peer_pooled_rate": fixed(pooled, 4),
                          # the pooled rate is (peer_voided + 0.5) / (peer_forms + 1)
                          "peer_voided": all_v - v, "peer_forms": all_n - n,
                          "p_value": sig(pval), "q_value": sig(qvalues[oid]), "bh_q": fixed(q, 2),
                          "bh_cutoff": sig(cut), "officers_tested": len(tested),
                          "min_voided": th.void_min_forms,
                          "ratio_threshold": fixed(th.peer_ratio_milli / 1000, 1),
                          "ratio_reference": "peer_median_rate" if peer_med > 0
                          else "peer_pooled_rate"},
                 summary=f"{oid} voided {v} of {n} numbered decision forms in "
                         f"{w.quarters[0]}–{w.quarters[-1]} ({fixed(rate * 100, 1)} % vs peer "
                         f"median {fixed(peer_med * 100, 1)} %"
                         f"{'' if peer_med > 0 else f', pooled {fixed(pooled * 100, 1)} %'})",
                 summary_zh=f"{oid} 在 {w.quarters[0]}–{w.quarters[-1]} 作废编号处罚决定书 {v} 份"
                            f"（共 {n} 份，作废率 {fixed(rate * 100, 1)}%，"
                            f"其他执法人员作废率中位数 {fixed(peer_med * 100, 1)}%"
                            + ("" if peer_med > 0
                               else f"，其他执法人员合计作废率 {fixed(pooled * 100, 1)}%") + "）",
                 officer_id=oid, unit_id=home_unit(units[oid]))


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
    #: each month is judged under the parameters in force at its latest fine: a threshold
    #: published later must not make an earlier month's flag disappear
    month_last: dict[str, int] = {}
    for cid in u.cases:
        c = fold.cases.get(cid)
        if c is None:
            continue
        for d in c.decisions:
            # a case filed again by another unit (移送管辖) is in both units' lists: each fine
            # counts for the unit that held the case when it was decided
            if d.unit != u.unit_id or "fine" not in d.types or c.withdrawal_of(d) is not None:
                continue
            day = days.day(d.ts)
            if any(a <= day <= b and (not codes or d.code in codes) for a, b, codes in campaigns):
                continue
            counts[day] = counts.get(day, 0) + 1
            eids.setdefault(day, []).append(d.eid)
            latest[day] = max(latest.get(day, 0), d.ts)
            m = month_of(day)
            month_last[m] = max(month_last.get(m, 0), d.ts)
    if not counts:
        return
    for a, b, codes in campaigns:
        if not codes:
            excluded_days.update(range(a, b + 1))
    spikes: dict[str, dict] = {}
    for m in sorted(month_last):
        th = ctx.params(month_last[m]).thresholds
        alpha = th.poisson_p_micro / 1e6
        first, final = month_bounds(m)
        end_start = final - th.period_end_days + 1
        end_days = [d for d in range(end_start, final + 1) if d not in excluded_days]
        rest_days = [d for d in range(first, end_start) if d not in excluded_days]
        if not end_days or not rest_days:
            continue
        end_n = sum(counts.get(d, 0) for d in end_days)
        rest_n = sum(counts.get(d, 0) for d in rest_days)
        expected = rest_n / len(rest_days) * len(end_days)
        # The rest-of-month rate is itself estimated from a count: the exact test that both
        # counts share one daily rate conditions on their sum (given N fines, how many fall on
        # the end days). The Poisson tail at `expected` took that rate as known and gave
        # p-values 3-8 times too small at one fine a day.
        pval = binomial_sf(end_n, end_n + rest_n,
                           len(end_days) / (len(end_days) + len(rest_days)))
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
        anchor = month_last[m]
        th = ctx.params(anchor).thresholds
        if run >= th.spike_consecutive:
            window = [spikes[x] for x in _back(m, th.spike_consecutive)]
            ids = [e for s in window for e in s["eids"]][:20]
            ctx.flag("RF24", m, anchor=anchor, raised=spikes[m]["ts"],
                     event_ids=ids,
                     numbers={"unit_id": u.unit_id,
                              "month_fields": list(_MONTH_FIELDS),
                              "months": [[s[k] for k in _MONTH_FIELDS] for s in window],
                         "ratio_threshold": fixed(th.spike_ratio_milli / 1000, 1),
                         "p_threshold": sig(th.poisson_p_micro / 1e6),
                         "campaigns_excluded": len(campaigns)},
                     summary=f"unit {u.unit_id}: fines spike in the last {th.period_end_days} "
                             f"days of {', '.join(s['month'] for s in window)}",
                     summary_zh=f"单位 {u.unit_id}：{'、'.join(s['month'] for s in window)} 各月最后 "
                                f"{th.period_end_days} 日罚款激增",
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
