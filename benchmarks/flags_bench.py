"""Red-flag rebuild speed: ``compute_flags`` (fold every event + evaluate every rule) on a
generated history of N events, no database.

The history is a synthetic city built from the test factory's lifecycles
(``tests/domain_factory.py``): staff with credentials, posts and integrity pledges; summary
cases (on-the-spot fines paid in cash or at the bank), general cases (notice, hearing, legal
review, extension, collective discussion, decision, service, publication, payment), withdrawn
decisions and complaints — re-timed across 2024–2025 on working days, with officers, parties,
places and amounts drawn from a seeded ``random.Random``. A few percent of cases carry
misconduct (late cash, no evidence, amounts out of band) so the rules have work to do.

    .venv/bin/python benchmarks/flags_bench.py --events 100000
    .venv/bin/python benchmarks/flags_bench.py --events 1000000 --repeat 1

Prints events/s for fold+evaluate (best of ``--repeat``), the split between folding and
evaluating, the number of flags by rule family, and peak RSS. Results are also written as JSON
under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import platform
import random
import resource
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.domain.calendar import OFFICIAL  # noqa: E402
from ledger.envelope import Recorded  # noqa: E402
from projections.redflags import FlagEngine, national  # noqa: E402
from tests import domain_factory as f  # noqa: E402

START = date(2024, 1, 8)
END = date(2025, 12, 10)


class City:
    """A seeded synthetic city producing ``Recorded`` events in log order."""

    def __init__(self, *, seed: int = 7, officers: int = 80, parties: int = 4000,
                 units: int = 4) -> None:
        self.r = random.Random(seed)
        self.units = [f"U{u:02d}" for u in range(units)]
        self.head = "HEAD-0001"
        self.legal = "LEGAL-0001"
        self.officers = [(f"OFF-{i:04d}", f"C{i:08d}", self.units[i % units],
                          f"G-{i % units}-{(i // units) % 6}") for i in range(officers)]
        self.parties = [f"pty:p{i:010d}" for i in range(parties)]
        self.index = 0
        self.versions: dict[str, int] = {}
        self.workdays = [d for d in (START + timedelta(days=i)
                                     for i in range((END - START).days))
                         if OFFICIAL.is_working_day(d)]

    # --- recording ------------------------------------------------------------------------

    def record(self, s: f.Step, lag_s: int = 120) -> Recorded:
        version = self.versions[s.stream] = self.versions.get(s.stream, 0) + 1
        occurred = datetime.fromisoformat(s.occurred_at)
        recorded = (occurred + timedelta(seconds=lag_s)).astimezone(timezone.utc)
        rec = Recorded(event_id=f.event_id(self.index), stream=s.stream, type=s.type,
                       occurred_at=s.occurred_at, signer=f"key:{f.signer_role(s.type)}-01",
                       body=s.body, index=self.index, stream_version=version,
                       recorded_at=recorded.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        self.index += 1
        return rec

    # --- staff ----------------------------------------------------------------------------

    def staff(self) -> list[f.Step]:
        # the bodycam's key, which signs its footage: without it every video counts as
        # unsigned and each decision raises RF08.c, as in no real city
        steps = [f.device_key()]
        steps += f.officer_setup(self.head, "C90000001", superior=None, role="unit_head")
        steps += f.officer_setup(self.legal, "C90000002", role="legal_reviewer",
                                 superior=self.head)
        for oid, cert, unit, grid in self.officers:
            for s in f.officer_setup(oid, cert, superior=self.head):
                if s.type == "PostAssigned":
                    s.body.update(unit_id=unit, grid_ids=[grid])
                else:
                    s.body.update(unit_id=unit)
                steps.append(s)
        for year in (2024, 2025):
            steps += f.pledge_chain_steps(self.head, self.head, pledge_id=f"PL-H-{year}",
                                          top=True, level="unit", countersigner_level="unit",
                                          year=year)
            steps += f.pledge_chain_steps(self.legal, self.head, pledge_id=f"PL-L-{year}",
                                          top=True, year=year)
            for oid, _, _, _ in self.officers:
                steps += f.pledge_chain_steps(oid, self.head, pledge_id=f"PL-{oid}-{year}",
                                              top=True, year=year)
        return steps

    # --- helpers --------------------------------------------------------------------------

    def pair(self) -> tuple[tuple[str, str, str, str], tuple[str, str, str, str]]:
        a = self.r.choice(self.officers)
        mates = [o for o in self.officers if o[3] == a[3] and o != a]
        return a, self.r.choice(mates)

    def wd_after(self, day: date, n: int) -> date:
        return OFFICIAL.add_working_days(day, n)

    def _swap(self, steps: list[f.Step], mapping: dict[str, str]) -> list[f.Step]:
        def sub(v: Any) -> Any:
            if isinstance(v, str):
                return mapping.get(v, v)
            if isinstance(v, list):
                return [sub(x) for x in v]
            if isinstance(v, dict):
                return {k: sub(x) for k, x in v.items()}
            return v
        return [f.Step(s.stream, s.type, s.occurred_at, sub(copy.deepcopy(s.body)))
                for s in steps]

    # --- lifecycles -----------------------------------------------------------------------

    def summary(self, n: int) -> list[f.Step]:
        r = self.r
        day = r.choice(self.workdays[:-30])
        a, b = self.pair()
        amount = r.choice((5_000, 10_000, 10_000, 15_000, 20_000))
        case_id = f"S-{n:08d}"
        steps = f.summary_case(case_id, day=day.isoformat(), amount_fen=amount)
        t = lambda d, h="10:00:00": f.at(d.isoformat(), h)  # noqa: E731
        d1, d2 = self.wd_after(day, 1), self.wd_after(day, 2)
        cash = amount <= 10_000 and r.random() < 0.6
        place = {"lat_e6": 31_230_000 + r.randrange(20_000),
                 "lon_e6": 121_470_000 + r.randrange(20_000), "grid_id": a[3]}
        out: list[f.Step] = []
        for s in steps:
            if s.type == "OnsiteCashCollected":
                if not cash:
                    continue
                s.body["receipt_no"] = f"R{n:09d}"
            if s.type in ("OnsiteCashRemitted", "AgencyDeposited") and not cash:
                continue
            if s.type == "PenaltyDecided":
                s.body["payment_method"] = "onsite_cash" if cash else "e_payment"
                s.body["form_no"] = s.body["decision_no"] = f"F{n:09d}"
            if s.type in ("PenaltyDecided", "EvidenceRecorded", "CaseFiled"):
                s.body["location"] = place
            if "decision_no" in s.body:
                s.body["decision_no"] = f"F{n:09d}"
            if s.type == "SummaryDecisionFiled":
                s.body["form_no"] = f"F{n:09d}"
            if s.type == "OnsiteCashRemitted":
                s = f.Step(s.stream, s.type, t(d1, "09:00:00"), s.body)
            elif s.type == "AgencyDeposited":
                s = f.Step(s.stream, s.type, t(d2, "15:00:00"), s.body)
            elif s.type == "SummaryDecisionFiled":
                s = f.Step(s.stream, s.type, t(d2, "16:00:00"), s.body)
            elif s.type == "TreasuryReconciled":
                s = f.Step(s.stream, s.type, t(self.wd_after(day, 4)), s.body)
            elif s.type == "CaseClosed":
                s = f.Step(s.stream, s.type, t(self.wd_after(day, 5)), s.body)
            out.append(s)
            if s.type == "DecisionServed" and not cash:
                out.append(f.step(s.stream, "PaymentRecorded", t(d1, "11:00:00"),
                                  decision_no=f"F{n:09d}", amount_fen=amount,
                                  channel="e_payment", payment_id=f"P{n:09d}"))
        if r.random() < 0.02:            # misconduct: cash kept for a week
            out = [s if s.type not in ("OnsiteCashRemitted", "AgencyDeposited") else
                   f.Step(s.stream, s.type, t(self.wd_after(day, 6)), s.body) for s in out]
        if r.random() < 0.02:            # misconduct: no evidence at all
            out = [s for s in out if s.type != "EvidenceRecorded"]
        party = r.choice(self.parties)
        return self._swap(out, {f.OFFICER_A: a[0], f.CERT_A: a[1], f.OFFICER_B: b[0],
                                f.CERT_B: b[1], f.VENDOR: party, f.UNIT: a[2]})

    def general(self, n: int) -> list[f.Step]:
        r = self.r
        shift = 7 * r.randrange(0, 60)              # whole weeks keep the weekdays
        a, b = self.pair()
        steps = f.general_case(f"G-{n:08d}")
        mapping = {f.OFFICER_A: a[0], f.CERT_A: a[1], f.OFFICER_B: b[0], f.CERT_B: b[1],
                   f.COMPANY: r.choice(self.parties), f.UNIT: a[2], f.HEAD: self.head,
                   f.LEGAL: self.legal}
        out = []
        for s in steps:
            when = datetime.fromisoformat(s.occurred_at) + timedelta(days=shift)
            body = s.body
            for k in ("scheduled_for", "captured_at", "violation_occurred_at"):
                if k in body:
                    body[k] = (datetime.fromisoformat(body[k])
                               + timedelta(days=shift)).isoformat()
            if "decision_no" in body:
                body["decision_no"] = f"D{n:09d}"
            if "location" in body or s.type in ("CaseFiled", "EvidenceRecorded"):
                body["location"] = {"lat_e6": 31_240_000 + r.randrange(20_000),
                                    "lon_e6": 121_480_000 + r.randrange(20_000),
                                    "grid_id": a[3]}
            if s.type == "CaseFiled":
                out.append(f.Step(s.stream, s.type, when.isoformat(), body))
                out.append(f.step(s.stream, "RectificationOrdered",
                                  (when + timedelta(minutes=30)).isoformat(),
                                  party_ref=f.COMPANY, deadline=None))
                continue
            if s.type == "PenaltyDecided" and r.random() < 0.03:
                body["amount_fen"] = 600_000             # misconduct: above the maximum
            out.append(f.Step(s.stream, s.type, when.isoformat(), body))
        return self._swap(out, mapping)

    def complaint(self, n: int) -> list[f.Step]:
        a, _ = self.pair()
        shift = timedelta(days=7 * self.r.randrange(-50, 40))
        steps = [f.Step(s.stream, s.type,
                        (datetime.fromisoformat(s.occurred_at) + shift).isoformat(), s.body)
                 for s in f.complaint_cycle(f"CP-{n:08d}", case_id=f"S-{max(0, n - 1):08d}")]
        if self.r.random() < 0.7:
            steps[0].body["category"] = "other"
        return self._swap(steps, {f.OFFICER_B: a[0]})

    def history(self, n_events: int) -> Iterator[Recorded]:
        for s in self.staff():
            yield self.record(s)
        n = 0
        while self.index < n_events:
            n += 1
            x = self.r.random()
            steps = (self.summary(n) if x < 0.78 else self.general(n) if x < 0.95
                     else self.complaint(n))
            for s in steps:
                if self.index >= n_events:
                    break
                yield self.record(s)


def generate(n_events: int, seed: int = 7) -> list[Recorded]:
    return list(City(seed=seed).history(n_events))


def run(history: list[Recorded], at: datetime, processes: int = 2) -> dict[str, Any]:
    gc.collect()
    t0 = time.perf_counter()
    engine = FlagEngine(national())
    engine.apply_all(history)
    t1 = time.perf_counter()
    flags = engine.evaluate_all(at, processes=processes)
    t2 = time.perf_counter()
    return {"fold_s": t1 - t0, "evaluate_s": t2 - t1, "total_s": t2 - t0, "flags": flags}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    history = generate(args.events, args.seed)
    gen_s = time.perf_counter() - t
    at = datetime(2026, 1, 31, tzinfo=timezone.utc)
    runs, serial = [], []
    for _ in range(args.repeat):            # alternately: two evaluating processes, then one
        runs.append(run(history, at, 2))
        serial.append(run(history, at, 1))
    best = min(runs, key=lambda x: x["total_s"])
    one = min(serial, key=lambda x: x["total_s"])
    assert [x.to_value() for x in one["flags"]] == [x.to_value() for x in best["flags"]]
    flags = best["flags"]
    by_family = Counter(fl.family for fl in flags)
    rate = len(history) / best["total_s"]
    result = {
        "benchmark": "flags_rebuild", "events": len(history), "seed": args.seed,
        "generate_s": round(gen_s, 2), "fold_s": round(best["fold_s"], 3),
        "evaluate_s": round(best["evaluate_s"], 3),
        "evaluate_one_process_s": round(one["evaluate_s"], 3), "total_s": round(best["total_s"], 3),
        "events_per_s": round(rate), "flags": len(flags),
        "flags_by_family": dict(sorted(by_family.items())),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "python": platform.python_version(), "machine": platform.machine(),
    }
    print(f"compute_flags on {len(history):,} events: {rate:,.0f} events/s "
          f"(fold {best['fold_s']:.2f} s + evaluate {best['evaluate_s']:.2f} s, "
          f"best of {args.repeat}; evaluating in one process: {one['evaluate_s']:.2f} s, "
          f"{len(history) / one['total_s']:,.0f} events/s); {len(flags):,} flags; peak RSS "
          f"{result['peak_rss_mib']} MiB")
    print("flags by family:", ", ".join(f"{k} {v}" for k, v in sorted(by_family.items())))
    if not args.no_save:
        out = ROOT / "benchmarks" / "results" / f"flags-{len(history)}.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
