"""Integrity-based assessment (定考): a periodic view per officer or unit built on quality and
integrity, never on fines.

行政处罚法 第74条第3款: fines and confiscations may not be linked, directly or indirectly, to
the assessment of the agency or its staff. The exclusion is structural: :func:`case_facts`
builds the only case input the assessment sees from a whitelist of fields — deadlines, decision
date, evidence capture dates — and no field of it can hold an amount, a count of fines or a
payment (a test checks the field names and that two histories differing only in fine amounts
give byte-identical assessments).

Components (each a share in ‰ of what could be judged in the period, or null when nothing
could):

* **timeliness** — cases whose officer-side statutory deadlines falling due in the period
  (decision, service, summary filing, publication and its withdrawal, cash hand-over and
  deposit, preservation) were all met on time, those of every decision of the case: in force,
  replaced, or voided and re-issued;
* **evidence** — decisions in the period with evidence captured on or before the decision day;
* **complaints** — complaints received in the period (against the officer / in the unit)
  acknowledged and closed on time, of those judged (a complaint with a deadline neither met nor
  yet due is ``pending``, not judged); substantiated ones are also counted against the subject;
* **pledge** — officers whose integrity pledge, countersigned, covers the whole period.

Score (0–100): the weighted mean of the applicable components (weights 30 / 25 / 25 / 20),
minus flag points (confirmed: critical 20, high 10, medium 5, low 2; open — raised, not
dismissed, not confirmed, not cleared by the day judged: half of that) capped at 40, minus 5 per
substantiated complaint, floored at 0. Flags dismissed by an inspector or cleared (the rule
later satisfied, e.g. the late remittance arrived: as for the warning level) cost nothing; a
confirmed flag stays confirmed. All arithmetic is integer.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping

from ledger.domain.calendar import legal_date

from ..lifecycle import every_decision, in_force
from ..redflags.flag import SEVERITIES

#: v4: the deadlines of each decision set aside count too (v3: of those in force alone); v3:
#: each party's decision in force is a decision made, with its own deadlines (v2: the case's
#: latest alone); v2: a cleared flag is no longer open (v1: half a penalty)
METHOD = "dingkao-v4"
OFFICER_DEADLINES = ("decision", "service", "summary_filing", "publication",
                     "publication_withdrawal", "cash_to_agency", "agency_to_bank")
WEIGHTS = {"timeliness": 30, "evidence": 25, "complaints": 25, "pledge": 20}
CONFIRMED_POINTS = {"critical": 20, "high": 10, "medium": 5, "low": 2}
FLAG_PENALTY_CAP = 40
SUBSTANTIATED_POINTS = 5
_PERIOD = re.compile(r"(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))")


class PeriodError(ValueError):
    """The period is neither ``YYYY-MM`` nor ``YYYY-Qn``."""


@dataclass(frozen=True)
class Period:
    id: str
    start: date
    end: date        # inclusive

    @classmethod
    def parse(cls, text: str) -> "Period":
        m = _PERIOD.fullmatch(text or "")
        if not m or int(m.group(1)) < 1:          # no calendar has a year 0
            raise PeriodError(f"period must be YYYY-MM or YYYY-Qn, not {text!r}")
        year = int(m.group(1))
        first, last = ((int(m.group(2)),) * 2 if m.group(2)
                       else (3 * int(m.group(3)) - 2, 3 * int(m.group(3))))
        return cls(text, date(year, first, 1), date(year, last, monthrange(year, last)[1]))

    def holds(self, day: str | None) -> bool:
        return day is not None and self.start.isoformat() <= day[:10] <= self.end.isoformat()


# --- inputs without fines ---------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    name: str
    due: str | None
    met_on: str | None
    cancelled: bool


@dataclass(frozen=True)
class CaseFacts:
    """What the assessment may know of a case. No amounts, no payments, no fine counts."""
    case_id: str
    deadlines: tuple[Deadline, ...]
    decided_days: tuple[str, ...]           # of each decision in force (each party's)
    evidence_days: tuple[str, ...]


@dataclass(frozen=True)
class ComplaintFacts:
    complaint_id: str
    received_on: str | None
    acknowledged_on_time: bool | None
    closed_on_time: bool | None
    substantiated: bool
    acknowledge_due: str | None = None      # due days: an unmet one not yet due is pending
    close_due: str | None = None


@dataclass(frozen=True)
class FlagFacts:
    rule_id: str
    severity: str
    raised_on: str
    disposition: str
    cleared_on: str | None = None           # legal day the rule was satisfied after all


@dataclass(frozen=True)
class PledgeFacts:
    officer_id: str
    periods: tuple[tuple[str, str], ...]      # countersigned pledges: (from, until)


def case_facts(state: dict[str, Any]) -> CaseFacts:
    """The whitelisted facts of a case read-model state (never amounts or money). The deadlines
    are those of every decision the case shows (lifecycle.every_decision), each read once,
    where the state keeps it: ``decision``'s and the case's own in the case's ``deadlines``;
    each other party's decision in force (共同违法, ``co_party_decisions``) and each decision
    set aside (``previous_decisions``: replaced, or voided and re-issued) in its own — one set
    aside keeps what it owed, such as the withdrawal of a voided decision's publication that
    RF12.f judges. A deadline a later step removed is in none of them. Each party's decision
    in force is a decision made. Requires the state's ``decision`` (None before one is made),
    ``co_party_decisions`` and ``previous_decisions`` (lists)."""
    owners = (state, *(d for d in every_decision(state) if d is not state["decision"]))
    deadlines = tuple(
        Deadline(name, d.get("due"), d.get("met_on"), bool(d.get("cancelled_on")))
        for owner in owners
        for name, d in sorted((owner.get("deadlines") or {}).items())
        if name in OFFICER_DEADLINES or name.startswith("preservation:"))
    # a decision whose form was voided before it was served never took effect: none made
    return CaseFacts(case_id=state["case_id"], deadlines=deadlines,
                     decided_days=tuple(sorted(d["decided_on"] for d in in_force(state)
                                               if d is not None and d.get("decided_on")
                                               and d.get("status") != "voided")),
                     evidence_days=tuple(sorted(legal_date(e["captured_at"]).isoformat()
                                                for e in state.get("evidence") or ())))


def complaint_facts(state: Mapping[str, Any]) -> ComplaintFacts:
    d = state.get("deadlines") or {}

    def on_time(name: str) -> bool | None:
        entry = d.get(name)
        if not entry or entry.get("met_on") is None:
            return None
        return not entry.get("late")

    return ComplaintFacts(state["complaint_id"], state.get("received_on"),
                          on_time("acknowledge"), on_time("close"),
                          state.get("outcome") in ("substantiated", "partly_substantiated"),
                          (d.get("acknowledge") or {}).get("due"),
                          (d.get("close") or {}).get("due"))


def flag_facts(flag: Mapping[str, Any]) -> FlagFacts:
    cleared = flag.get("cleared_at")
    return FlagFacts(flag["rule_id"], flag["severity"], flag["raised_at"][:10],
                     flag["disposition"], cleared[:10] if cleared else None)


def pledge_facts(officer: Mapping[str, Any]) -> PledgeFacts:
    return PledgeFacts(officer["officer_id"], tuple(sorted(
        (p["period_from"], p["period_until"]) for p in (officer.get("pledges") or {}).values()
        if p.get("status") == "countersigned" and p.get("period_from"))))


# --- the assessment ---------------------------------------------------------------------------

def _share(num: int, den: int) -> int | None:
    return None if den == 0 else num * 1000 // den


def assess(subject: Mapping[str, str], period: Period, as_of: date, *,
           cases: Iterable[CaseFacts], complaints: Iterable[ComplaintFacts],
           flags: Iterable[FlagFacts], pledges: Iterable[PledgeFacts]) -> dict[str, Any]:
    """The assessment of one officer or unit for ``period``, judged on legal day ``as_of``
    (deadlines due after it are not judged). Pure and deterministic."""
    today = as_of.isoformat()
    judged = on_time_cases = 0
    counts = {"met_on_time": 0, "late": 0, "missed": 0}
    decisions = with_evidence = 0
    for c in sorted(cases, key=lambda c: c.case_id):
        case_ok, case_judged = True, False
        for d in c.deadlines:
            if d.cancelled or not period.holds(d.due):
                continue
            if d.met_on is not None and d.met_on <= d.due:       # type: ignore[operator]
                counts["met_on_time"] += 1
            elif d.met_on is not None:
                counts["late"] += 1
                case_ok = False
            elif d.due < today:                                    # type: ignore[operator]
                counts["missed"] += 1
                case_ok = False
            else:
                continue
            case_judged = True
        if case_judged:
            judged += 1
            on_time_cases += case_ok
        for day in c.decided_days:
            if period.holds(day):
                decisions += 1
                with_evidence += any(e <= day for e in c.evidence_days)
    received = pending = handled = substantiated = 0
    for cp in complaints:
        if not period.holds(cp.received_on):
            continue
        received += 1
        substantiated += cp.substantiated
        steps = ((cp.acknowledged_on_time, cp.acknowledge_due), (cp.closed_on_time, cp.close_due))
        waiting = [ok is None and due is not None and due >= today for ok, due in steps]
        if any(waiting) and all(ok or wait for (ok, _), wait in zip(steps, waiting)):
            pending += 1            # on time so far, a deadline not yet due: not judged yet
            continue
        handled += bool(cp.acknowledged_on_time and cp.closed_on_time)
    covered = officers = 0
    for p in pledges:
        officers += 1
        covered += any(f <= period.start.isoformat() and u >= period.end.isoformat()
                       for f, u in p.periods)
    by = {k: {s: 0 for s in SEVERITIES}
          for k in ("raised", "open", "confirmed", "dismissed", "cleared")}
    penalty2 = 0          # in half points
    for f in flags:
        if not period.holds(f.raised_on) or f.severity not in SEVERITIES:
            continue
        by["raised"][f.severity] += 1
        if f.disposition == "dismissed":
            by["dismissed"][f.severity] += 1
        elif f.disposition == "confirmed":
            by["confirmed"][f.severity] += 1
            penalty2 += 2 * CONFIRMED_POINTS[f.severity]
        elif f.cleared_on is not None and f.cleared_on <= today:
            by["cleared"][f.severity] += 1
        else:
            by["open"][f.severity] += 1
            penalty2 += CONFIRMED_POINTS[f.severity]
    shares = {"timeliness": _share(on_time_cases, judged),
              "evidence": _share(with_evidence, decisions),
              "complaints": _share(handled, received - pending),
              "pledge": _share(covered, officers)}
    weight = sum(WEIGHTS[k] for k, v in shares.items() if v is not None)
    quality = (sum(WEIGHTS[k] * v for k, v in shares.items() if v is not None) // weight
               if weight else 1000)
    flag_penalty = min(FLAG_PENALTY_CAP, penalty2 // 2)
    complaint_penalty = SUBSTANTIATED_POINTS * substantiated
    return {
        "subject": dict(subject), "method": METHOD,
        "period": {"id": period.id, "from": period.start.isoformat(),
                   "until": period.end.isoformat()},
        "as_of": today,
        "flags": by,
        "timeliness": {"cases_judged": judged, "cases_on_time": on_time_cases,
                       "share_milli": shares["timeliness"], "deadlines": counts},
        "evidence": {"decisions": decisions, "with_prior_evidence": with_evidence,
                     "share_milli": shares["evidence"]},
        "complaints": {"received": received, "pending": pending, "handled_on_time": handled,
                       "substantiated": substantiated, "share_milli": shares["complaints"]},
        "pledge": {"officers": officers, "covered": covered, "share_milli": shares["pledge"]},
        "score": {"value": max(0, quality // 10 - flag_penalty - complaint_penalty),
                  "quality_milli": quality, "flag_penalty": flag_penalty,
                  "complaint_penalty": complaint_penalty, "weights": dict(WEIGHTS)},
        "excluded": ["fine amounts", "fine counts", "payments"],
        "basis": ["APL 第74条第3款", "APL 第75条", "ZJ_ZHZF 第35条"],
    }
