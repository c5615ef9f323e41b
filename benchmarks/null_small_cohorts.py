"""Honest officers flagged in SMALL cohorts (task S's measurement; not a benchmark).

The null simulation's generator (tests/test_redflags_statistics.py ``City``) with one unit of
``per_unit`` officers, every officer honest, ≈ 60 cases each over 90 days. Once with z referred
to the normal (the old reference) and once to Student t with df = peers − 1 (the new), counts
over seeds:

* flags: officers with a statistical flag, and (seed, family) pairs with one;
* BH: officers rejected by Benjamini–Hochberg in some family (before the effect sizes), and
  per family the share of seeds in which it rejects anyone (BH promises ≤ q = 0.05);
* calibration: the share of honest (officer, family) p-values below 0.05 and 0.01 (a
  calibrated test: ≤ 5 % and ≤ 1 %).

Run from the worktree root: python -m benchmarks.null_small_cohorts [per_unit] [seeds]
"""

from __future__ import annotations

import sys
from collections import Counter

from projections.redflags import compute_flags, national
from projections.redflags import statistics as st
from projections.redflags._stats import normal_sf
from tests.test_redflags_statistics import AT, City, statistical


def _normal_upper(rb: st._Robust) -> float:
    return normal_sf(rb.z)


def _normal_two_sided(rb: st._Robust) -> float:
    return min(1.0, 2 * normal_sf(abs(rb.z)))


def run(per_unit: int, seeds: range) -> None:
    saved = st._Robust.upper, st._Robust.two_sided, st.benjamini_hochberg
    seen: list[tuple[dict[str, float], set[str]]] = []

    def recording_bh(pvalues: dict[str, float], q: float) -> tuple[set[str], float]:
        rejected, cut = saved[2](pvalues, q)
        seen.append((dict(pvalues), rejected))
        return rejected, cut

    st.benjamini_hochberg = recording_bh
    try:
        for name, upper, two in (("normal", _normal_upper, _normal_two_sided),
                                 ("t(df=peers-1)", saved[0], saved[1])):
            st._Robust.upper, st._Robust.two_sided = upper, two
            families: Counter[str] = Counter()
            officers = flagged = bh_officers = rejecting = 0
            tests = below05 = below01 = 0
            seen.clear()
            for seed in seeds:
                before = len(seen)
                city = City(seed=seed, units=1, per_unit=per_unit,
                            decisions_per_unit=60 * per_unit)
                flags = statistical(compute_flags(city.generate(), national(), at=AT))
                officers += per_unit
                flagged += len({x.officer_id for x in flags if x.officer_id})
                families.update({x.rule_id + str(dict(x.numbers).get("threshold_fen", ""))
                                 for x in flags})
                rejected: set[str] = set()
                for pvalues, rej in seen[before:]:
                    rejected |= rej
                    rejecting += bool(rej)
                    tests += len(pvalues)
                    below05 += sum(p < 0.05 for p in pvalues.values())
                    below01 += sum(p < 0.01 for p in pvalues.values())
                bh_officers += len(rejected)
            print(f"{name}: cohorts of {per_unit}, {len(seeds)} seeds, {officers} officers\n"
                  f"  flagged {flagged} ({100 * flagged / officers:.2f} %), (seed, family) "
                  f"pairs {sum(families.values())}: {dict(families)}\n"
                  f"  BH-rejected officers {bh_officers} ({100 * bh_officers / officers:.2f} %),"
                  f" families rejecting anyone {rejecting} of {len(seen)} "
                  f"({100 * rejecting / max(1, len(seen)):.2f} %)\n"
                  f"  p < 0.05: {100 * below05 / tests:.2f} %, p < 0.01: "
                  f"{100 * below01 / tests:.2f} % of {tests} honest tests")
    finally:
        st._Robust.upper, st._Robust.two_sided, st.benjamini_hochberg = saved


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    run(args[0] if args else 7, range(1, 1 + (args[1] if len(args) > 1 else 40)))
