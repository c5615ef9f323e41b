"""Fines of the synthetic city: which statutory band applies, the discretion benchmark table
derived from the fine schedule (ledger.domain.params), and how an officer picks an amount.

The benchmark table uses the schedule's illustrative bands where it has them (STALL_SH) and
otherwise cuts the applicable statutory band in three tiers (轻微/一般/严重); fixed-amount
violations (SPIT_BJ, SORTING_BJ for a first-time organisation) keep their fixed amount.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..domain.params import FINE_SCHEDULE, PARAMS

#: (violation code, party type) -> the statutory band of FINE_SCHEDULE that applies
BAND_FOR: dict[tuple[str, str], str] = {
    ("SPIT_BJ", "individual"): "individual",
    ("SPIT_SH", "individual"): "spit",
    ("SPIT_SH", "organisation"): "dump_organisation",
    ("POSTING_BJ", "individual"): "individual",
    ("POSTING_BJ", "organisation"): "organiser",
    ("POSTING_SH", "individual"): "actor",
    ("POSTING_SH", "organisation"): "organiser",
    ("STALL_SH", "individual"): "any", ("STALL_SH", "organisation"): "any",
    ("STALL_BJ", "individual"): "any", ("STALL_BJ", "organisation"): "any",
    ("OUTDOOR_BIZ_SH", "individual"): "any", ("OUTDOOR_BIZ_SH", "organisation"): "any",
    ("PILEUP_SH", "individual"): "any", ("PILEUP_SH", "organisation"): "any",
    ("ADVERT_BJ", "individual"): "any", ("ADVERT_BJ", "organisation"): "any",
    ("ADVERT_SH", "individual"): "other_facility",
    ("ADVERT_SH", "organisation"): "advert_facility",
    ("CW_DUMP_SH", "individual"): "any", ("CW_DUMP_SH", "organisation"): "any",
    ("SORTING_SH", "individual"): "individual",
    ("SORTING_SH", "organisation"): "organisation",
    ("SORTING_BJ", "individual"): "individual_repeat",
    ("SORTING_BJ", "organisation"): "organisation_first",
    ("HANGING_BJ", "individual"): "any", ("HANGING_BJ", "organisation"): "any",
    ("ROAD_OCCUPY_NATIONAL", "individual"): "any",
    ("ROAD_OCCUPY_NATIONAL", "organisation"): "any",
}

#: violations handled on the scene when the amount allows (APL 第51条); the rest need the
#: general procedure whatever the amount (investigation, a removal deadline)
ON_SCENE = frozenset({"SPIT_BJ", "SPIT_SH", "POSTING_BJ", "POSTING_SH", "STALL_SH", "STALL_BJ",
                      "OUTDOOR_BIZ_SH", "PILEUP_SH", "SORTING_SH", "SORTING_BJ", "HANGING_BJ"})
#: statutory precondition recorded before a fine (责令改正/拒不改正, 书面警告 — RF13.b)
NEEDS_REFUSAL = frozenset({"POSTING_SH", "SORTING_SH", "ADVERT_SH", "ADVERT_BJ",
                           "ROAD_OCCUPY_NATIONAL"})
NEEDS_WARNING = frozenset({"SORTING_BJ"})
#: violations for which a warning penalty is a common outcome for a minor case
WARNABLE = frozenset({"SPIT_SH", "HANGING_BJ", "SORTING_SH", "POSTING_SH"})

#: the code of the fine schedule that no squadron's power list holds (RF21.c): a stall is
#: enforced under the district's own STALL_SH; only the ``outside_powers`` plant uses STALL_BJ
OUTSIDE_POWERS = "STALL_BJ"
#: each squadron's power list (权力清单, ``PowerListPublished``): every other code
POWER_LIST = tuple(sorted(code for code in FINE_SCHEDULE if code != OUTSIDE_POWERS))

TIER_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}
BENCHMARK_TABLE_ID = "benchmarks-v1"

# local (synthetic) hearing thresholds: the 公安 example values of red_flags.yaml
HEARING_THRESHOLD = {"individual": 200_000, "organisation": 1_000_000}
#: amounts from which the agency's 重大执法决定目录 requires legal review and collective discussion
MAJOR_THRESHOLD = {"individual": 500_000, "organisation": 3_000_000}
SUMMARY_LIMIT = {"individual": PARAMS.summary_procedure_max_fine_individual_fen,
                 "organisation": PARAMS.summary_procedure_max_fine_organisation_fen}
ONSITE_LIMIT = PARAMS.onsite_collection_max_fine_fen


def statutory(code: str, party_type: str) -> tuple[int, int]:
    return FINE_SCHEDULE[code].ranges[BAND_FOR[(code, party_type)]]


def round_in(value: int, lo: int, hi: int) -> int:
    """``value`` rounded to a plausible step (5/10/100/1000 CNY) within ``lo``..``hi``."""
    span = hi - lo
    step = 500 if span <= 5_000 else 1_000 if span <= 50_000 else 10_000 if span <= 500_000 \
        else 100_000
    amount = lo + round((value - lo) / step) * step
    return max(lo, min(hi, amount))


def tiers(code: str, party_type: str) -> dict[str, tuple[int, int]]:
    """The benchmark tiers (tier -> (min_fen, max_fen)) for a code and party type."""
    rule = FINE_SCHEDULE[code]
    band = BAND_FOR[(code, party_type)]
    if rule.illustrative_bands and band == "any":
        return dict(rule.illustrative_bands)
    lo, hi = rule.ranges[band]
    if code == "SPIT_BJ":
        return {"general": rule.ranges["individual"], "serious": rule.ranges["serious"]}
    if lo == hi:
        return {"general": (lo, hi)}
    cut1, cut2 = round_in(lo + (hi - lo) // 3, lo, hi), round_in(lo + 2 * (hi - lo) // 3, lo, hi)
    return {"minor": (lo, cut1), "general": (cut1, cut2), "serious": (cut2, hi)}


def benchmark_entries() -> list[dict]:
    """``DiscretionBenchmarkPublished.entries`` for every code of the fine schedule."""
    entries = []
    for code in FINE_SCHEDULE:
        bands = {pt: BAND_FOR.get((code, pt)) for pt in ("individual", "organisation")}
        kinds = ["any"] if bands["individual"] == bands["organisation"] else \
            [pt for pt, band in bands.items() if band]
        for pt in kinds:
            t = tiers(code, "individual" if pt == "any" else pt)
            entries.append({"violation_code": code, "party_type": pt, "tiers": [
                {"tier": name, "label": TIER_LABELS[name], "min_fen": lo, "max_fen": hi}
                for name, (lo, hi) in t.items()]})
    return entries


@dataclass(frozen=True)
class Amount:
    tier: str
    band: tuple[int, int]
    amount_fen: int


def choose(rng: random.Random, code: str, party_type: str, tendency: float, *,
           tier: str | None = None, spread: float = 0.18) -> Amount:
    """An amount as an officer with ``tendency`` (0 = bottom, 1 = top of the band) picks it."""
    t = tiers(code, party_type)
    if tier is None or tier not in t:
        names = list(t)
        weights = {"minor": 45, "general": 45, "serious": 10}
        tier = rng.choices(names, [weights[n] for n in names])[0]
    lo, hi = t[tier]
    pos = min(1.0, max(0.0, rng.gauss(tendency, spread)))
    amount = round_in(lo + int((hi - lo) * pos), lo, hi)
    if amount == 0:        # a band starting at 0 (SPIT_SH, ROAD_OCCUPY): no fine of nothing
        amount = round_in(max(1_000, (hi - lo) // 10), lo, hi)
    return Amount(tier, (lo, hi), amount)


def procedure_for(code: str, party_type: str, amount_fen: int) -> str:
    """``summary`` when the law allows it on the scene (APL 第51条), else ``general``."""
    if code in ON_SCENE and amount_fen <= SUMMARY_LIMIT[party_type]:
        return "summary"
    return "general"


def legal_basis(code: str) -> str:
    return FINE_SCHEDULE[code].basis


#: what an order to correct (责令改正) requires, and how a clue reads, by violation
REQUIREMENT = {
    "STALL_SH": "立即撤除占道摊位", "STALL_BJ": "立即撤除占道摊点", "OUTDOOR_BIZ_SH": "立即停止店外经营",
    "PILEUP_SH": "立即清除占道堆物", "SPIT_SH": "立即清理", "SPIT_BJ": "立即清理",
    "POSTING_SH": "立即清除张贴物", "POSTING_BJ": "立即清除小广告", "SORTING_SH": "立即按规定分类投放",
    "SORTING_BJ": "立即按规定分类投放", "HANGING_BJ": "立即撤除晾晒吊挂物", "ADVERT_SH": "限期拆除户外设施",
    "ADVERT_BJ": "限期拆除户外广告设施", "CW_DUMP_SH": "限期清运建筑垃圾",
    "ROAD_OCCUPY_NATIONAL": "限期恢复道路原状",
}
CLUE = {
    "CW_DUMP_SH": "夜间偷倒建筑渣土", "PILEUP_SH": "门前堆放建材占用人行道",
    "ROAD_OCCUPY_NATIONAL": "超出许可范围占用道路施工", "ADVERT_BJ": "擅自设置大型户外广告牌",
    "ADVERT_SH": "擅自设置店招店牌", "STALL_BJ": "占道堆物摆摊",
}
