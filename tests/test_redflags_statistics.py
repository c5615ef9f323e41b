"""Statistical rules on generated cities: an honest city (amounts drawn from one common
distribution per violation) flags at most 5 % of officers; planted outliers are each found;
fixed-amount violations, small samples and declared campaigns are left out."""

from __future__ import annotations

import functools
import math
import random
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from math import comb
from typing import Iterable

import pytest

from ledger.envelope import Recorded
from projections.redflags import Flag, FlagParams, compute_flags, national, with_overrides
from projections.redflags._stats import benjamini_hochberg, bh_q_values, student_t_sf
from projections.redflags.statistics import fine_range, position_bp

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_world import World, _incremental

AT = datetime(2024, 12, 31, tzinfo=timezone.utc)
Q3 = [date(2024, 7, 1) + timedelta(days=i) for i in range(90)]          # 1 Jul – 28 Sep
#: 占道设摊 (STALL_SH, 50–500 CNY) on the spot (≤ 200 CNY, APL 第51条): what honest officers
#: choose, in fen, with weights
HONEST = ((5_000, 10), (8_000, 5), (10_000, 30), (12_000, 15), (15_000, 20), (18_000, 10),
          (20_000, 10))


def tier(amount: int) -> str:
    return "minor" if amount <= 10_000 else "general" if amount <= 35_000 else "serious"


@functools.lru_cache(maxsize=None)
def _template(type_name: str) -> dict:
    return f.body(type_name)


def fast_step(stream: str, type_name: str, occurred_at: str, **fields: object) -> f.Step:
    """Like ``domain_factory.step`` without the deep copy (fields replace whole values)."""
    return f.Step(stream, type_name, occurred_at, {**_template(type_name), **fields})


class City:
    """Units of officers deciding summary fines over 90 days, in log order."""

    def __init__(self, *, seed: int, units: int = 5, per_unit: int = 24,
                 decisions_per_unit: int = 800, code: str = "STALL_SH",
                 honest: tuple[tuple[int, int], ...] = HONEST) -> None:
        self.r = random.Random(seed)
        self.units = [f"SIM-U{u}" for u in range(units)]
        self.officers = {u: [f"SIM-{u[-2:]}-{i:03d}" for i in range(per_unit)]
                         for u in self.units}
        self.decisions_per_unit = decisions_per_unit
        self.code = code
        self.amounts, self.weights = zip(*honest, strict=True)
        #: officer -> how it chooses amounts (planted behaviour)
        self.chooser: dict[str, object] = {}
        self.void_rate: dict[str, float] = {}
        self.spike_units: set[str] = set()
        self.steps: list[tuple[str, f.Step]] = []

    def amount(self, officer: str) -> int:
        planted = self.chooser.get(officer)
        if planted == "top":
            return self.r.choice((45_000, 48_000, 50_000))
        if planted == "bottom":
            return 5_000
        if planted == "bunch":
            return self.r.choice((19_000, 19_500, 20_000))
        return self.r.choices(self.amounts, self.weights)[0]

    def cert(self, officer: str) -> str:
        return "C" + officer[-6:].replace("-", "")

    def staff(self) -> list[f.Step]:
        """Credentials, posts and a pledge countersigned by the unit head (top of chain)."""
        steps: list[f.Step] = []
        for unit, officers in self.officers.items():
            for oid in officers:
                steps += f.officer_setup(oid, self.cert(oid), superior=None)
                steps[-1].body.update(unit_id=unit, grid_ids=[f"{unit}-G"])
                steps += f.pledge_chain_steps(oid, f"{unit}-HEAD", pledge_id=f"PL-{oid}",
                                              top=True)
        return steps

    def generate(self) -> list[Recorded]:
        history = f.History()
        history.extend(self.staff())
        n = 0
        cases: list[tuple[datetime, list[f.Step]]] = []
        for unit in self.units:
            staff = self.officers[unit]
            for _ in range(self.decisions_per_unit):
                day = self.r.choice(Q3)
                if unit in self.spike_units and self.r.random() < 0.5:
                    month_end = {7: 31, 8: 31, 9: 30}[day.month]
                    day = date(2024, day.month, month_end - self.r.randrange(5))
                lead, mate = self.r.sample(staff, 2)
                n += 1
                cases.append(self.case(n, unit, day, lead, mate))
        cases.sort(key=lambda c: c[0])
        for _, steps in cases:
            history.extend(steps)
        return history.events

    def case(self, n: int, unit: str, day: date, lead: str, mate: str
             ) -> tuple[datetime, list[f.Step]]:
        minute = self.r.randrange(8 * 60, 20 * 60)
        t = datetime(day.year, day.month, day.day, minute // 60, minute % 60,
                     tzinfo=timezone(timedelta(hours=8)))
        s = f"case:SIM-{n:06d}"
        officers = [{"officer_id": lead, "cert_no": self.cert(lead)},
                    {"officer_id": mate, "cert_no": self.cert(mate)}]
        party = f"pty:sim{self.r.randrange(10**9):010d}"
        where = {"lat_e6": 31_230_000, "lon_e6": 121_470_000, "grid_id": f"{unit}-G"}
        steps = [fast_step(s, "CaseFiled", t.isoformat(), procedure="summary", unit_id=unit,
                      officers=officers, parties=[{"party_ref": party,
                                                   "party_type": "individual"}],
                      violation_code=self.code, location=where),
                 fast_step(s, "CredentialShown", t.isoformat(), officers=officers, shown_to=party),
                 fast_step(s, "EvidenceRecorded", t.isoformat(), evidence_id=f"EV-{n}",
                      captured_at=t.isoformat(), officers=officers, location=where,
                      capture_device={"device_id": f"BC-{lead}", "device_type": "bodycam",
                                      "assigned_officer_id": lead}),
                 fast_step(s, "RectificationOrdered", t.isoformat(), party_ref=party,
                      officers=officers)]
        if self.r.random() < self.void_rate.get(lead, 0.02):
            steps.append(fast_step(s, "DecisionFormVoided", (t + timedelta(minutes=1)).isoformat(),
                              form_no=f"V{n:08d}", officers=officers))
        decided = (t + timedelta(minutes=5)).isoformat()
        waive = 0.4 if self.chooser.get(lead) == "waive" else 0.05
        if self.chooser.get(lead) in (None, "waive", "minor") and self.r.random() < waive:
            steps.append(fast_step(s, "WaiverGranted", decided, party_ref=party,
                              violation_code=self.code, decided_by=[lead]))
        else:
            amount = self.amount(lead)
            steps.append(fast_step(s, "PenaltyDecided", decided, procedure="summary",
                              decision_no=f"D{n:08d}", form_no=f"F{n:08d}",
                              party={"party_ref": party, "party_type": "individual"},
                              violation_code=self.code, amount_fen=amount,
                              decided_by=[lead, mate], officers=officers,
                              benchmark_tier="minor" if self.chooser.get(lead) == "minor"
                              else tier(amount), payment_method="e_payment"))
            steps.append(fast_step(s, "SummaryDecisionFiled", decided, decision_no=f"D{n:08d}",
                              form_no=f"F{n:08d}"))

        return t, steps


STATISTICAL = ("RF17", "RF19.b", "RF19.c", "RF20.c", "RF24")


def statistical(flags: Iterable[Flag]) -> list[Flag]:
    return [x for x in flags if x.rule_id.startswith(STATISTICAL)]


def flagged_officers(flags: Iterable[Flag]) -> set[str]:
    return {x.officer_id for x in statistical(flags) if x.officer_id}


#: seeds of the null simulation: enough that a family flagging far more often than BH allows
#: is seen (two seeds could not tell 0 from 5 false flags per seed)
NULL_SEEDS = range(1, 11)


def null_families(params: FlagParams | None = None) -> tuple[int, list[tuple[int, str]]]:
    """Over NULL_SEEDS honest cities: officers per city and the (seed, family) pairs with at
    least one statistical flag, a family being a BH family (a rule; RF17.g one per limit)."""
    pairs: set[tuple[int, str]] = set()
    officers = 0
    for seed in NULL_SEEDS:
        city = City(seed=seed)
        flags = compute_flags(city.generate(), params or national(), at=AT)
        officers = sum(len(v) for v in city.officers.values())
        flagged = flagged_officers(flags)
        assert len(flagged) <= 0.05 * officers, (seed, Counter(
            x.rule_id for x in statistical(flags)))
        assert [x for x in flags if x.rule_id == "RF24"] == [], seed
        pairs |= {(seed, x.rule_id + str(dict(x.numbers).get("threshold_fen", "")))
                  for x in statistical(flags)}
    return officers, sorted(pairs)


def test_rf17_places_a_fine_in_the_range_for_its_partys_kind() -> None:
    """RF17 compares officers per code × party type but placed every fine in the envelope of
    the code's bands: an individual's spitting fine (SH_SRHW 第28条, at most 200 元) in 0 –
    50,000 元, a unit's dumping band, so the most an individual can be fined sat at 0.4 % of
    the range and no one fining at the top was ever at the top. The range tops at the maximum
    for the party's kind, as RF15.a's does."""
    p = national()
    assert fine_range(p, "SPIT_SH", "individual") == (0, 20_000)
    assert fine_range(p, "SPIT_SH", "organisation") == (0, 5_000_000)
    assert position_bp(20_000, *fine_range(p, "SPIT_SH", "individual")) == 10_000
    assert fine_range(p, "STALL_SH", "individual") == (5_000, 50_000)


def test_honest_city_flags_at_most_what_benjamini_hochberg_allows() -> None:
    """Every officer honest: each BH family (RF17.a–f, RF17.g per limit, RF20.c; RF24 and RF19
    test at p < 0.001) rejects anything with probability ≤ q = 0.05, so over 10 seeds × ≤ 10
    families the pairs with a flag are at most Binomial(100, 0.05): ≥ 12 has probability
    0.4 %. Each city also flags ≤ 5 % of its officers (the yaml's bound). Seen: 2 pairs in
    seeds 1–15; with q = 0.5 and |z| ≥ 1 seed 3 flags 8 officers and this fails."""
    officers, pairs = null_families()
    assert officers >= 100
    assert len(pairs) <= 11, pairs


@functools.lru_cache(maxsize=1)
def planted_city() -> tuple[City, dict[str, str], tuple[Recorded, ...], tuple[Flag, ...]]:
    """Seed 11 with one planted outlier of each kind (each paired with honest colleagues)."""
    city = City(seed=11)
    u = city.units
    planted = {"top": city.officers[u[0]][0], "bottom": city.officers[u[1]][0],
               "bunch": city.officers[u[2]][0], "voider": city.officers[u[3]][0],
               "minor": city.officers[u[0]][1], "waive": city.officers[u[1]][1]}
    for kind in ("top", "bottom", "bunch", "minor", "waive"):
        city.chooser[planted[kind]] = kind
    city.void_rate[planted["voider"]] = 0.6
    city.spike_units.add(u[4])
    events = tuple(city.generate())
    return city, planted, events, tuple(compute_flags(events, national(), at=AT))


def test_planted_outliers_are_each_found() -> None:
    city, p, _, flags = planted_city()
    found = {(x.officer_id or x.unit_id, x.rule_id) for x in statistical(flags)}
    assert {(p["top"], "RF17.a"), (p["top"], "RF17.b"), (p["top"], "RF17.c")} <= found
    assert {(p["bottom"], "RF17.a"), (p["bottom"], "RF17.d")} <= found
    assert (p["minor"], "RF17.e") in found
    assert (p["waive"], "RF17.f") in found
    assert (p["bunch"], "RF17.g") in found
    assert (p["voider"], "RF20.c") in found
    assert (city.units[4], "RF24") in found
    side = {x.officer_id: dict(x.numbers)["side"] for x in flags if x.rule_id == "RF17.a"}
    assert (side[p["top"]], side[p["bottom"]]) == ("high", "low")
    others = flagged_officers(flags) - set(p.values())
    assert len(others) <= 0.05 * 120


class LateBenchmarks(City):
    """Every decision of ``officer`` is followed, a day later, by a BenchmarkApplied naming the
    minor tier — after the decision, so it is not the tier the decision applied."""

    def __init__(self, officer_index: int, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.late = self.officers[self.units[0]][officer_index]

    def case(self, n: int, unit: str, day: date, lead: str, mate: str
             ) -> tuple[datetime, list[f.Step]]:
        t, steps = super().case(n, unit, day, lead, mate)
        if lead == self.late and steps[-1].type == "SummaryDecisionFiled":
            steps.append(fast_step(steps[0].stream, "BenchmarkApplied",
                                   (t + timedelta(days=1)).isoformat(), violation_code=self.code,
                                   tier="minor", band={"min_fen": 0, "max_fen": 10_000}))
        return t, steps


def test_rf17_counts_the_tier_a_decision_applied_not_one_recorded_after_it() -> None:
    """RF17 (its minor-tier share, .e) took a case's last BenchmarkApplied for each decision,
    whenever applied, as RF16 did until 2026-11-29: a tier applied after the decision made an
    honest officer's fines 'minor'. With the same tiers applied before the decisions, .e is
    raised — the rule still counts an applied tier."""
    city = LateBenchmarks(1, seed=11)
    flags = compute_flags(tuple(city.generate()), national(), at=AT)
    assert (city.late, "RF17.e") not in {(x.officer_id, x.rule_id) for x in flags}
    early = LateBenchmarks(1, seed=11)
    early.case = functools.partial(_benchmark_before, early)  # type: ignore[method-assign]
    flags = compute_flags(tuple(early.generate()), national(), at=AT)
    assert (early.late, "RF17.e") in {(x.officer_id, x.rule_id) for x in flags}


def _benchmark_before(city: LateBenchmarks, n: int, unit: str, day: date, lead: str,
                      mate: str) -> tuple[datetime, list[f.Step]]:
    t, steps = City.case(city, n, unit, day, lead, mate)
    if lead == city.late and steps[-1].type == "SummaryDecisionFiled":
        steps.insert(-2, fast_step(steps[0].stream, "BenchmarkApplied",
                                   (t + timedelta(minutes=4)).isoformat(),
                                   violation_code=city.code, tier="minor",
                                   band={"min_fen": 0, "max_fen": 10_000}))
    return t, steps


def test_discretion_flag_explains_the_comparison() -> None:
    city, p, _, flags = planted_city()
    top = p["top"]
    flag = next(x for x in flags if x.rule_id == "RF17.a" and x.officer_id == top)
    n = dict(flag.to_value()["numbers"])
    # one ledger-wide cohort per quarter, over the trailing window of two quarters
    assert n["cohort"] == "discretion|2024-Q3" and n["window"] == ["2024-Q2", "2024-Q3"]
    assert n["officers_tested"] >= 100             # peers from every unit, not one squadron
    assert n["n"] >= 20 and float(n["z"]) >= 2.5 and n["side"] == "high"
    assert [row[:3] for row in n["by_code"]] == [["STALL_SH", "individual", n["n"]]]
    assert float(n["mean_residual"]) > 0.5 and len(n["most_extreme_cases"]) == 5
    assert {amount for _, amount in n["most_extreme_cases"]} <= {45_000, 48_000, 50_000}
    assert float(n["p_value"]) <= float(n["bh_cutoff"])
    assert flag.scope == "cohort:discretion|2024-Q3"
    assert flag.kind == "statistical"
    # about the officer, in the officer's own unit (what unit-scoped inspectors filter on)
    assert (flag.officer_id, flag.unit_id) == (top, city.units[0])


def test_bunching_band_includes_a_limit_and_excludes_a_hearing_threshold() -> None:
    """RF17.g counted (0.9 T, T] under every T. A fine of exactly 200 CNY is still summary (APL
    第51条 二百元以下) and one of exactly 100 CNY still collectable on the spot (第68条 一百元以下),
    but one of exactly the hearing threshold (较大数额, X元以上, RF09.g) already owes a hearing:
    just under it is [0.9 T, T)."""
    hearing = with_overrides(national(), "SH-HP", {"hearing_threshold_individual_fen": 30_000})
    spread = ((5_000, 30), (9_000, 5), (10_000, 5), (15_000, 30), (18_000, 5), (20_000, 5),
              (27_000, 5), (30_000, 5), (40_000, 10))
    city = City(seed=11, honest=spread)
    staff = [o for u in city.units for o in city.officers[u][:2]]
    always = dict(zip(staff, (10_000, 9_000, 20_000, 18_000, 30_000, 27_000), strict=False))
    city.amount = lambda officer: (always[officer] if officer in always  # type: ignore
                                   else city.r.choices(city.amounts, city.weights)[0])
    flags = [x for x in compute_flags(city.generate(), hearing, at=AT)
             if x.rule_id == "RF17.g" and x.officer_id in always]
    found = {(always[x.officer_id], n["threshold_fen"], tuple(n["band_fen"]))
             for x in flags for n in [dict(x.numbers)]}
    # exactly T under a 以下 limit, exactly 0.9 T under the hearing threshold; never the others
    assert found == {(10_000, 10_000, (9_001, 10_000)), (20_000, 20_000, (18_001, 20_000)),
                     (27_000, 30_000, (27_000, 29_999))}


def test_fixed_amount_violations_are_left_out_of_position_statistics() -> None:
    # SPIT_BJ is 50 or 200 CNY, never in between: an officer always choosing 200 is not an
    # outlier of "position in the range"
    city = City(seed=5, code="SPIT_BJ", honest=((5_000, 90), (20_000, 10)))
    city.chooser[city.officers[city.units[0]][0]] = "top"
    city.amount = lambda officer: (20_000 if city.chooser.get(officer) == "top"  # type: ignore
                                   else city.r.choices((5_000, 20_000), (90, 10))[0])
    flags = compute_flags(city.generate(), national(), at=AT)
    assert [x for x in flags if x.rule_id.startswith("RF17")] == []


def test_officers_below_the_minimum_sample_are_not_judged() -> None:
    city = City(seed=11, units=1, per_unit=12, decisions_per_unit=220)  # ~18 as lead each
    top = city.officers[city.units[0]][0]
    city.chooser[top] = "top"
    flags = compute_flags(city.generate(), national(), at=AT)
    assert [x for x in flags if x.rule_id.startswith("RF17")] == []


def test_declared_campaign_excludes_period_end_spikes() -> None:
    city, _, events, flags = planted_city()
    spiky = city.units[4]
    assert any(x.rule_id == "RF24" and x.unit_id == spiky for x in flags)
    campaigns = [step(f"unit:{spiky}", "CampaignDeclared", at("2024-06-20"),
                      campaign_id=f"CP-{m}", unit_ids=[spiky], violation_codes=[],
                      window_from=f"2024-{m:02d}-{last - 4}", window_until=f"2024-{m:02d}-{last}")
                 for m, last in ((7, 31), (8, 31), (9, 30))]
    history = f.History()
    for s in campaigns:
        history.record(s)
    moved = [replace(e, index=e.index + len(campaigns)) for e in events]
    flags = compute_flags(history.events + moved, national(), at=AT)
    assert [x for x in flags if x.rule_id == "RF24"] == []


def _conditional_p(end: int, rest: int, end_days: int, rest_days: int) -> float:
    """P(X ≥ end), X ~ Binomial(end + rest, end_days / (end_days + rest_days)), summed with
    exact fractions: the exact test that two Poisson counts share one daily rate."""
    n, share = end + rest, Fraction(end_days, end_days + rest_days)
    return float(sum(comb(n, i) * share ** i * (1 - share) ** (n - i) for i in range(end, n + 1)))


def _unit_months(per_month: dict[str, tuple[int, int]]) -> list[Flag]:
    """Summary fines of one unit: ``rest`` on days 1..``rest`` and ``end`` spread over the last
    five days of each month (YYYY-MM -> (rest, end))."""
    days = []
    for month, (rest, end) in per_month.items():
        last = {"07": 31, "08": 31}[month[5:]]
        days += [f"{month}-{d:02d}" for d in range(1, rest + 1)]
        days += [f"{month}-{last - i % 5:02d}" for i in range(end)]
    world = World(*[f.summary_case(f"SH-HP-2024-S-{i:06d}", day=d) for i, d in enumerate(days)])
    return world.flags(rule="RF24")


def test_period_end_spike_counts_the_uncertainty_of_the_rest_of_month_rate() -> None:
    """RF24 took the rest of the month's rate as known (Poisson tail at rest / 26 days × 5): one
    fine a day for 26 days, then 14 in the last five, gave p = 0.0007 < 0.001 each month. The
    rate is itself a count of 26; the exact test of two Poisson counts (given 40 fines, how many
    fall in 5 of 31 days) gives p = 0.0028: no spike."""
    assert 0.001 < _conditional_p(14, 26, 5, 26) < 0.003
    assert _unit_months({"2024-07": (26, 14), "2024-08": (26, 14)}) == []


def test_period_end_spike_reports_the_exact_two_count_p_value() -> None:
    flags = _unit_months({"2024-07": (26, 20), "2024-08": (26, 20)})
    assert len(flags) == 1
    n = dict(flags[0].numbers)
    months = [dict(zip(n["month_fields"], row, strict=True)) for row in n["months"]]
    assert [(m["month"], m["end_count"], m["rest_count"]) for m in months] == [
        ("2024-07", 20, 26), ("2024-08", 20, 26)]
    p = _conditional_p(20, 26, 5, 26)
    assert p < 0.001
    assert {m["p_value"] for m in months} == {f"{p:.2e}"}


def test_bh_q_values_match_the_1995_paper_by_hand() -> None:
    """Benjamini & Hochberg (1995), section 4: 15 p-values, q = 0.05 rejects the four smallest.
    The adjusted p (q-value) of p(i) is min over j ≥ i of p(j) · m / j, by hand."""
    ps = (0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
          0.4262, 0.5719, 0.6528, 0.7590, 1.0)
    pvalues = {f"o{i:02d}": p for i, p in enumerate(ps)}
    rejected, cut = benjamini_hochberg(pvalues, 0.05)
    assert rejected == {"o00", "o01", "o02", "o03"} and cut == 0.0095
    q = bh_q_values(pvalues)
    assert q["o03"] == pytest.approx(0.0095 * 15 / 4)
    assert q["o02"] == pytest.approx(0.0019 * 15 / 3)
    assert q["o04"] == pytest.approx(0.0201 * 15 / 5)
    assert q["o05"] == pytest.approx(0.0298 * 15 / 7)           # p(7) · 15/7 < p(6) · 15/6
    assert q["o14"] == 1.0
    assert {k for k, v in q.items() if v <= 0.05} == rejected


def test_discretion_flags_give_the_numbers_their_z_p_and_q_were_computed_from() -> None:
    """RF17 divided by max(1.4826 · MAD, sqrt(tau² + own se²)) but reported only the MAD and
    (for shares) no standard error nor tau: an inspector could not recompute z from the flag.
    Every RF17 flag now gives the scale it used and its parts, the threshold and its own BH
    q-value, and z, p and q follow from them by hand."""
    _, _, _, flags = planted_city()
    rf17 = [x for x in flags if x.rule_id.startswith("RF17")]
    assert {x.rule_id for x in rf17} >= {"RF17.a", "RF17.b", "RF17.c", "RF17.d", "RF17.e",
                                          "RF17.f", "RF17.g"}
    for flag in rf17:
        n = {k: v for k, v in dict(flag.numbers).items()}
        scale = float(n["scale"])
        parts = math.hypot(float(n["between_officer_sd"]), float(n["own_standard_error"]))
        assert scale == pytest.approx(max(float(n["peer_mad_scaled"]), parts), abs=2e-4)
        if flag.rule_id == "RF17.a":
            own, centre = float(n["mean_residual"]), float(n["peer_median_residual"])
        else:
            own, centre = float(n["excess"]), float(n["peer_median_excess"])
            share = next(v for k, v in n.items() if k.endswith("share") and k != "expected_share")
            assert float(own) == pytest.approx(float(share) - float(n["expected_share"]),
                                               abs=2e-3)
        z = (own - centre) / scale
        assert z == pytest.approx(float(n["z"]), rel=2e-2, abs=2e-3), flag.rule_id
        df = int(n["reference"].removeprefix("t(df=").removesuffix(")"))
        assert df == n["officers_tested"] - 2            # the peers, less one
        two_sided = t_two_sided_by_hand(abs(z), df)
        if flag.rule_id == "RF17.a":
            if two_sided > 1e-9:            # 1 − A(t|ν) is exact to ≈ 1e-16 absolute
                assert float(n["p_value"]) == pytest.approx(two_sided, rel=0.05)
            else:                           # t's tail is heavier than the normal's
                assert float(n["p_value"]) >= 0.9 * math.erfc(abs(z) / math.sqrt(2))
        else:                       # the larger of the z's and the binomial tail
            assert float(n["p_value"]) >= 0.9 * min(two_sided / 2,
                                                    0.5 * math.erfc(z / math.sqrt(2)))
        if flag.rule_id in ("RF17.b", "RF17.d", "RF17.g"):     # the yaml's effect sizes
            share = float(n.get("share") or n[next(k for k in n if k.endswith("_share")
                                                 and k != "expected_share")])
            assert share >= 3 * float(n["expected_share"]) - 1e-3
            assert float(n["ratio_threshold"]) == 3.0
        else:
            assert abs(float(n["z"])) >= float(n["z_threshold"])
        assert float(n["p_value"]) <= float(n["q_value"]) <= float(n["bh_q"])
        assert float(n["p_value"]) <= float(n["bh_cutoff"])


def t_two_sided_by_hand(t: float, df: int) -> float:
    """P(|T| ≥ t) for Student's t with an integer df: 1 − A(t|ν) by Abramowitz & Stegun
    26.7.3 (ν odd) and 26.7.4 (ν even), finite sums in θ = atan(t / √ν)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2:
        term = total = 0.0
        if df > 1:
            term = total = math.cos(theta)
            for k in range(3, df - 1, 2):        # (2·4···(k−1)) / (1·3···k) cos^k θ
                term *= c2 * (k - 1) / k
                total += term
        a = 2 / math.pi * (theta + math.sin(theta) * total)
    else:
        term = total = 1.0
        for k in range(2, df - 1, 2):            # (1·3···(k−1)) / (2·4···k) cos^k θ
            term *= c2 * (k - 1) / k
            total += term
        a = math.sin(theta) * total
    return 1 - a


def test_t_tail_by_hand_matches_printed_tables() -> None:
    """The hand formula the tests check flags with: the two-sided 5 % and 1 % points of
    Student's t (Fisher & Yates' table)."""
    for df, t05, t01 in ((1, 12.706, 63.657), (2, 4.303, 9.925), (5, 2.571, 4.032),
                         (6, 2.447, 3.707), (10, 2.228, 3.169)):
        assert t_two_sided_by_hand(t05, df) == pytest.approx(0.05, rel=2e-3)
        assert t_two_sided_by_hand(t01, df) == pytest.approx(0.01, rel=2e-3)


def test_student_t_tail_matches_the_closed_forms() -> None:
    """_stats.student_t_sf against 1 − A(t|ν) for the small df a cohort of 6–12 gives, and
    against the Cauchy (df = 1) and the normal (df large)."""
    for df in range(1, 13):
        for t in (0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 6.0):
            assert 2 * student_t_sf(t, df) == pytest.approx(t_two_sided_by_hand(t, df),
                                                            rel=1e-9, abs=1e-15), (t, df)
            assert student_t_sf(-t, df) == pytest.approx(1 - student_t_sf(t, df), abs=1e-15)
    assert student_t_sf(3.0, 1) == pytest.approx(0.5 - math.atan(3.0) / math.pi, rel=1e-12)
    assert student_t_sf(3.0, 10**7) == pytest.approx(0.5 * math.erfc(3 / math.sqrt(2)),
                                                     rel=1e-5)
    assert 0 < student_t_sf(60.0, 100) < 1e-60                   # no underflow to 0


def small_cohort(seed: int, planted: str | None = None) -> tuple[list[str], list[Flag]]:
    """One unit of 7 officers (6 peers each) with ≈ 60 cases each over 90 days; the first
    officer chooses like ``planted`` (None: everyone honest)."""
    city = City(seed=seed, units=1, per_unit=7, decisions_per_unit=420)
    officers = city.officers[city.units[0]]
    if planted:
        city.chooser[officers[0]] = planted
    return officers, statistical(compute_flags(city.generate(), national(), at=AT))


def test_honest_officers_of_a_small_cohort_are_not_flagged_on_the_normal_tail() -> None:
    """RF17.a's robust z against 6 peers (median and MAD of 6 values, themselves noisy) was
    referred to the normal: in these seeded cities of 7 honest officers it flagged 1, 1, 3, 2
    and 1 of them (benchmarks/null_small_cohorts.py: 15 of 100 such cities, BH promising
    ≤ 5 %). Against Student t with df = peers − 1 = 5 none is flagged."""
    for seed in (10, 11, 14, 19, 35):
        _, flags = small_cohort(seed)
        assert [x.officer_id for x in flags if x.rule_id == "RF17.a"] == [], seed


def test_small_cohort_outlier_flag_names_its_t_reference_and_its_p_value_by_hand() -> None:
    """A top-of-range officer among 6 honest peers is still flagged; the flag says which
    distribution z was referred to, and its p-value is 2 · P(T₅ ≥ |z|) by hand."""
    officers, flags = small_cohort(10, planted="top")
    a = [x for x in flags if x.rule_id == "RF17.a"]
    assert [x.officer_id for x in a] == [officers[0]]
    n = dict(a[0].numbers)
    assert (n["officers_tested"], n["reference"]) == (7, "t(df=5)")
    # p printed to 3 significant digits, z to 3 decimals
    assert float(n["p_value"]) == pytest.approx(t_two_sided_by_hand(float(n["z"]), 5),
                                                rel=1e-2)
    assert float(n["p_value"]) > math.erfc(float(n["z"]) / math.sqrt(2))   # not the normal's


def test_void_rate_flag_gives_the_counts_its_binomial_test_used() -> None:
    """RF20.c tested voids against the other officers' pooled rate (peer voids + 0.5) / (peer
    forms + 1) but gave that rate to three decimals only (at 2 % a rounding of up to 2.5 %,
    which moves a tail of 18 voids by half) and no q-value: the p-value could not be checked.
    The flag now gives the peers' counts; the tail summed by hand with exact fractions equals
    its p_value."""
    _, p, _, flags = planted_city()
    flag = next(x for x in flags if x.rule_id == "RF20.c" and x.officer_id == p["voider"])
    n = dict(flag.numbers)
    voided, forms = n["voided"], n["forms"]
    rate = Fraction(2 * n["peer_voided"] + 1, 2 * (n["peer_forms"] + 1))
    tail = float(sum(comb(forms, i) * rate ** i * (1 - rate) ** (forms - i)
                     for i in range(voided, forms + 1)))
    assert float(n["p_value"]) == pytest.approx(tail, rel=5e-3)
    assert float(n["p_value"]) <= float(n["q_value"]) <= float(n["bh_q"]) == 0.05
    assert voided >= n["min_voided"] == 3 and float(n["ratio_threshold"]) == 3.0


def _identical_city(planted: str | None) -> tuple[str, list[Flag]]:
    """Two units where every officer fines 占道设摊 100 CNY, except the first officer, who
    chooses like ``planted`` (None: like everyone)."""
    city = City(seed=5, units=2, honest=((10_000, 1),))
    first = city.officers[city.units[0]][0]
    if planted:
        city.chooser[first] = planted
    return first, compute_flags(city.generate(), national(), at=AT)


def test_identical_amounts_give_a_zero_scale_and_no_discretion_flag() -> None:
    """docs/red-flags.md RF17 Never: a zero scale — the peers' MAD and the officer's own
    standard error both zero, as when every amount is identical — is not judged. The share
    rules (RF17.b–g) smooth every expected rate ((hits + 0.5) / (n + 1)), so their scale is
    never zero; with identical amounts nobody is above or below anybody and none fires."""
    _, flags = _identical_city(None)
    assert [x for x in flags if x.rule_id.startswith("RF17")] == []
    # the same city with one officer fining at the bottom: the pooled within-officer s is
    # still 0 (every officer's amounts are constant), so RF17.a cannot judge even this one;
    # the share rule (positions ≤ 0.1, smoothed expected rate) does
    first, flags = _identical_city("bottom")
    rf17 = {(x.officer_id, x.rule_id) for x in flags if x.rule_id.startswith("RF17")}
    assert rf17 == {(first, "RF17.d")}


def test_peers_with_zero_mad_are_judged_against_the_officers_own_standard_error() -> None:
    """docs/red-flags.md RF17 Never: peers with zero MAD alone are still judged, against the
    officer's own standard error."""
    first, flags = _identical_city("top")
    a = [x for x in flags if x.rule_id == "RF17.a"]
    assert [x.officer_id for x in a] == [first]
    n = dict(a[0].numbers)
    assert float(n["peer_mad_scaled"]) == 0.0 and float(n["peer_median_residual"]) == 0.0
    assert float(n["between_officer_sd"]) == 0.0
    assert n["scale"] == n["own_standard_error"] and float(n["scale"]) > 0
    scale, mean = float(n["scale"]), float(n["mean_residual"])     # both to 4 decimals
    assert (mean - 5e-5) / (scale + 5e-5) <= float(n["z"]) <= (mean + 5e-5) / (scale - 5e-5)
    assert n["side"] == "high"


def _void_flags(plan: dict[str, tuple[int, int]]) -> dict[str, dict]:
    """RF20.c flags (numbers by officer) of a unit where each officer alone decides
    ``plan[officer][0]`` summary fines and voids a numbered form in ``plan[officer][1]`` of
    those cases: forms = fines + voids."""
    city = City(seed=3, units=1, per_unit=1)
    history = f.History()
    cases: list[tuple[datetime, list[f.Step]]] = []
    n = 0
    for oid, (fines, voids) in plan.items():
        city.chooser[oid] = "bunch"                 # no waivers: every case is a fine
        city.void_rate[oid] = 0.0
        for i in range(fines):
            n += 1
            t, steps = city.case(n, city.units[0], Q3[(n * 7) % len(Q3)], oid, oid)
            for s in steps:
                for name in ("officers", "decided_by"):
                    if name in s.body:
                        s.body[name] = s.body[name][:1]
            if i < voids:
                steps.insert(-2, fast_step(steps[0].stream, "DecisionFormVoided",
                                           (t + timedelta(minutes=1)).isoformat(),
                                           form_no=f"V{n:08d}", officers=steps[0].body["officers"]))
            cases.append((t, steps))
    for oid in plan:
        history.extend(f.officer_setup(oid, city.cert(oid), superior=None))
    cases.sort(key=lambda c: c[0])
    for _, steps in cases:
        history.extend(steps)
    flags = compute_flags(history.events, national(), at=AT)
    return {x.officer_id: dict(x.numbers) for x in flags if x.rule_id == "RF20.c"}


#: seven officers who voided nothing, five who voided 10 of 110 forms (the peers' median rate
#: is 0, their pooled rate 4 %)
VOID_PEERS = {**{f"VO-CLEAN-{i}": (100, 0) for i in range(7)},
              **{f"VO-HEAVY-{i}": (100, 10) for i in range(5)}}


def test_void_rate_against_a_zero_peer_median_is_held_to_three_times_the_pooled_rate() -> None:
    """RF20.c asked rate > 3 × the peers' median, which is 0 whenever most peers voided nothing
    (common at a 2 % void rate): any rate passed. An officer voiding 40 of 440 forms (9.1 %, as
    often as five of the peers; binomial p = 2.2e-6 against the pooled 4.0 %) was flagged.
    With a zero median the ratio is now taken to the peers' pooled rate: 9.1 % ≤ 3 × 4.0 %,
    no flag; 70 of 470 (14.9 %) still is."""
    assert "VO-TARGET" not in _void_flags({**VOID_PEERS, "VO-TARGET": (400, 40)})
    n = _void_flags({**VOID_PEERS, "VO-TARGET": (400, 70)})["VO-TARGET"]
    assert (n["voided"], n["forms"], n["peer_voided"], n["peer_forms"]) == (70, 470, 50, 1250)
    assert n["peer_median_rate"] == "0.000" and n["ratio_reference"] == "peer_pooled_rate"
    assert float(n["void_rate"]) > 3 * float(n["peer_pooled_rate"])


def _officer_flags(flags: Iterable[Flag], officers: Iterable[str]) -> dict[tuple, str | None]:
    """(rule, officer, the cohort's quarter) -> the unit named, of the RF17.a and RF20.c flags
    about ``officers``."""
    return {(x.rule_id, x.officer_id, x.scope.rpartition("|")[2]): x.unit_id for x in flags
            if x.rule_id in ("RF17.a", "RF20.c") and x.officer_id in set(officers)}


def test_a_statistical_flag_names_the_unit_of_its_windows_cases_when_the_officer_moves() -> None:
    """A statistical flag named the unit of the officer's latest case in its window. Two
    outliers of unit U0 (one fining at the top of the range, one voiding 60 % of their forms)
    are flagged for the window Q2–Q3 2024 in U0; posted to U1 on 1 October, each decides three
    cases there. The window Q3–Q4's flags — some 40 cases in U0, three in U1 — went to U1 at
    the first of them, out of sight of U0's inspector, who holds the cases judged (and would
    have gone back had a late upload dated a U0 case after them). A flag now names the unit
    most of the acts it counts were in (a tie: the unit of the latest of them), fixed by its
    window's history: U0, before and after the move; Q2–Q3's stays in U0."""
    city = City(seed=11, units=2, per_unit=8, decisions_per_unit=300)
    u0, u1 = city.units
    top, voider = city.officers[u0][:2]
    city.chooser[top], city.void_rate[voider] = "top", 0.6
    history = f.History()
    history.events = list(city.generate())
    history._versions = {rec.stream: rec.stream_version for rec in history.events}
    before = _officer_flags(compute_flags(history.events, national(), at=AT), (top, voider))
    assert before == {("RF17.a", top, "2024-Q3"): u0, ("RF20.c", voider, "2024-Q3"): u0}
    for oid in (top, voider):
        history.record(step(f"officer:{oid}", "PostAssigned", at("2024-09-30", "18:00:00"),
                            post_id=f"POST-{oid}-U1", unit_id=u1, role="team_member",
                            grid_ids=[f"{u1}-G"], window_from=at("2024-10-01", "00:00:00"),
                            window_until=None, superior_officer_id=f.DROP))
    for i in range(6):
        lead = (top, voider)[i % 2]
        _, steps = city.case(10_000 + i, u1, date(2024, 10, 8 + i), lead, city.officers[u1][2])
        history.extend(steps)
    after = _officer_flags(compute_flags(history.events, national(), at=AT), (top, voider))
    assert after == {**before, ("RF17.a", top, "2024-Q4"): u0,
                     ("RF20.c", voider, "2024-Q4"): u0}


def test_period_end_spike_counts_each_fine_for_the_unit_that_decided_it() -> None:
    """A case filed again by another unit (移送管辖) and decided there again sits in both units'
    case lists. RF24 counted all of its fines for each unit: the first unit, whose own fines fell
    on the first days of each month, took the second unit's month-end fines as its own spike. A
    fine counts for the unit that held the case when it was decided (the second unit's fines,
    all at the month end, are its spike)."""
    steps: list[f.Step] = []
    n = 0
    for month, last in (("2024-07", 31), ("2024-08", 31)):
        for i in range(20):
            cid, n = f"SH-HP-2024-S-{n:06d}", n + 1
            case = [s for s in f.summary_case(cid, day=f"{month}-{i % 20 + 1:02d}")
                    if s.type in ("CaseFiled", "PenaltyDecided")]
            filed, decided = case
            end = f"{month}-{last - i % 5:02d}"
            steps += case + [
                step(filed.stream, "CaseFiled", at(end, "09:00:00"),
                     **{**filed.body, "unit_id": "SH-XH-CG-09"}),
                step(decided.stream, "PenaltyDecided", at(end, "10:05:00"),
                     **{**decided.body, "decision_no": f"XH-{cid}"})]
    world = World(steps)
    flags = world.flags(rule="RF24")
    assert [x.unit_id for x in flags] == ["SH-XH-CG-09"]
    months = dict(flags[0].numbers)["months"]
    assert [(m[0], m[2], m[3]) for m in months] == [("2024-07", 20, 0), ("2024-08", 20, 0)]
    assert [x.to_value() for x in _incremental(world.events, AT) if x.rule_id == "RF24"] == [
        x.to_value() for x in flags]


def _robust_by_definition(oid: str, values: dict[str, float], sampling: dict[str, float]
                          ) -> tuple[float, float, float, float]:
    """RF17's robust comparison as defined: the peers' values sorted again for each officer."""
    def median(xs: list[float]) -> float:
        s, n = sorted(xs), len(xs)
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    peers = [v for o, v in values.items() if o != oid]
    centre = median(peers)
    spread = 1.4826 * median([abs(v - centre) for v in peers])
    tau2 = max(0.0, spread ** 2 - median([v for o, v in sampling.items() if o != oid]))
    return centre, spread, math.sqrt(tau2), max(spread, math.sqrt(tau2 + sampling[oid]))


@pytest.mark.parametrize("seed", range(40))
def test_each_officers_peers_give_the_medians_of_sorting_them_again(seed: int) -> None:
    """_Peers reads each officer's leave-one-out medians from one sorted list: the same
    floats as sorting the other officers' values, with ties, odd and even counts."""
    from projections.redflags._stats import median_without
    from projections.redflags.statistics import _Peers
    rng = random.Random(seed)
    n = rng.randint(2, 30)
    pool = [rng.uniform(-1, 1) for _ in range(max(1, n // 3))]  # repeated values: ties
    values = {f"o{i}": rng.choice(pool) if rng.random() < 0.4 else rng.gauss(0, 0.2)
              for i in range(n)}
    sampling = {o: rng.choice([0.01, 0.02, rng.random() / 10]) for o in values}
    peers = _Peers(values, sampling)
    for oid in values:
        rb = peers.robust(oid)
        assert (rb.centre, rb.spread, rb.tau, rb.scale) == \
            _robust_by_definition(oid, values, sampling)
        assert rb.df == max(1, n - 2)               # peers - 1, at least 1
    ordered = sorted(values.values())
    with pytest.raises(ValueError):
        median_without(ordered, 2.0)            # not among them
    with pytest.raises(ValueError):
        median_without([0.5], 0.5)              # nothing left
