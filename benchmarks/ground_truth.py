"""Precision and recall of the red flags against the synthetic city's ground truth (issue #6).

Generates a city (deterministic from ``--seed``), folds its signed history through the red-flag
engine at an evaluation time ``--after-days`` past the last day (so every deadline has passed),
and scores the raised flags against the planted items (``ledger/synth/score.py``):

* recall    = planted items explained by at least one raised flag of their family / planted;
* precision = raised flags that explain some planted item / raised flags.

A raised flag that explains no planted item is not necessarily wrong: the generator's honest
officers also make mistakes at small organic rates (late remittances, thin evidence), and some
plants raise neighbouring families. The unexplained flags of each family are written to the
JSON result for inspection.

    .venv/bin/python benchmarks/ground_truth.py --scale medium
    .venv/bin/python benchmarks/ground_truth.py --scale large --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.crypto import SigningKey  # noqa: E402
from ledger.synth.generator import SyntheticCity  # noqa: E402
from ledger.synth.params import CityParams  # noqa: E402
from ledger.synth.score import item_recall, score, totals  # noqa: E402
from projections.redflags.engine import compute_flags  # noqa: E402
from tests.test_ground_truth import history  # noqa: E402


STATISTICAL_RULES = {"RF17", "RF20.c", "RF24"}


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def run(scale: str, seed: int, after_days: int,
        detection: dict[str, int] | None = None) -> dict[str, Any]:
    params = CityParams.scale(scale, seed=seed)
    if detection:
        params = CityParams.scale(scale, seed=seed, detection={**params.detection, **detection})
    started = time.perf_counter()
    city = SyntheticCity(params, root_key=SigningKey(bytes(32)), root_key_id="root-1")
    events = history(city)
    generated = time.perf_counter() - started
    at = datetime.combine(params.start + timedelta(days=params.days + after_days),
                          datetime.min.time(), tzinfo=timezone.utc)
    started = time.perf_counter()
    flags = compute_flags(events, at=at)
    evaluated = time.perf_counter() - started
    truth = city.ground_truth
    scores = score(truth, flags)
    total = totals(scores)
    found, planted = item_recall(truth, flags)
    statistical = [e for e in truth if set(e["rules"]) <= STATISTICAL_RULES]
    stat_found, stat_planted = item_recall(statistical, flags)
    return {"scale": scale, "seed": seed, "detection": params.detection, "events": len(events), "planted_items": len(truth),
            "flags_raised": total.raised, "generate_s": round(generated, 1),
            "flags_s": round(evaluated, 1), "at": at.isoformat(),
            "item_recall": [found, planted], "statistical_item_recall": [stat_found, stat_planted],
            "family_recall": total.recall, "precision": total.precision,
            "families": {family: {"planted": s.planted, "found": s.found, "raised": s.raised,
                                  "explained": s.explained, "recall": s.recall,
                                  "precision": s.precision, "unexplained": s.unexplained[:50]}
                         for family, s in scores.items()}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="medium", choices=["tiny", "small", "medium", "large"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--after-days", type=int, default=120,
                    help="evaluate this many days after the last generated day")
    ap.add_argument("--stats-min-n", type=int,
                    help="the city publishes this RF17 minimum cases per officer and cohort "
                         "(national default 20)")
    ap.add_argument("--stats-min-peers", type=int,
                    help="... and this minimum of peers per cohort (national default 5)")
    args = ap.parse_args(argv)
    detection = {k: v for k, v in (("stats_min_n", args.stats_min_n),
                                   ("stats_min_peers", args.stats_min_peers)) if v is not None}
    results = []
    for seed in args.seeds:
        r = run(args.scale, seed, args.after_days, detection)
        results.append(r)
        print(f"\n{args.scale} city, seed {seed}, detection overrides {r['detection'] or 'none'}: "
              f"{r['events']:,} events, "
              f"{r['planted_items']} planted items, {r['flags_raised']:,} flags raised "
              f"(generated in {r['generate_s']} s, flags in {r['flags_s']} s)")
        found, planted = r["item_recall"]
        print(f"planted items flagged: {found}/{planted} ({pct(found / planted)}); "
              f"statistical plants (RF17, RF20.c, RF24): {r['statistical_item_recall'][0]}/"
              f"{r['statistical_item_recall'][1]}; precision of raised flags "
              f"{pct(r['precision'])}")
        print(f"{'family':8} {'planted':>8} {'found':>6} {'recall':>7} {'raised':>7} "
              f"{'explained':>9} {'precision':>9}")
        for family, s in r["families"].items():
            print(f"{family:8} {s['planted']:8} {s['found']:6} {pct(s['recall']):>7} "
                  f"{s['raised']:7} {s['explained']:9} {pct(s['precision']):>9}")
    suffix = "".join(f"-{k}{v}" for k, v in sorted(detection.items()))
    out = ROOT / "benchmarks" / "results" / f"ground_truth-{args.scale}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
