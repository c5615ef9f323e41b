"""Planting case-level misconduct: choose slots for each kind of the catalogue and shape them
(party, violation, amount, procedure) so the kind can happen there, and add the complaints
that ordinary cases attract.

A kind is planted ``round(rate × misconduct × number of cases)`` times, at least
``min_each`` times, in cases of teams no scenario runs in (so that one case shows one kind);
when a small city has too few such cases, extra ones are added.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from . import fines, seeded
from .catalogue import BY_NAME, CASE_KINDS
from .plan import Planner, Slot
from .scenarios import Scenarios
from .truth import Truth
from .world import World

COMPLAINT_KINDS = {"complaint_unanswered": ("extortion", "unanswered"),
                   "complaint_overdue": ("arbitrary_fine", "overdue"),
                   "complaint_conflicted_handler": ("arbitrary_fine", "conflicted")}


class Planter:
    def __init__(self, world: World, planner: Planner, truth: Truth,
                 scenarios: list[Scenarios]) -> None:
        self.w = world
        self.p = world.params
        self.planner = planner
        self.truth = truth
        self.rng = seeded.rng(world.seed, "planting")
        self.tainted = [t for sc in scenarios for t in sc.tainted]
        self.busy = {p for sc in scenarios for p in sc.busy}
        self.bad_partners = {m.id for t in self.tainted for m in t.members}

    # -- choosing slots ------------------------------------------------------------------------
    def _ok(self, s: Slot) -> bool:
        return (s.scenario is None and s.kind is None and s.team not in self.tainted
                and s.lead.id not in self.busy and s.partner.id not in self.bad_partners)

    def _fresh(self) -> Slot:
        rng, p = self.rng, self.p
        everyone = [t for s in self.w.squadrons for t in s.teams]
        teams = [t for t in everyone if t not in self.tainted and
                 any(m.id not in self.busy for m in t.members)] or everyone
        team = rng.choice(teams)
        day = p.start + timedelta(days=rng.randrange(p.days))
        leads = [m for m in team.members if m.id not in self.busy] or team.members
        return self.planner.new_slot(day, team, lead=rng.choice(leads))

    def allocate(self) -> None:
        if self.p.misconduct <= 0:
            return
        candidates = [s for s in self.planner.slots if self._ok(s)]
        self.rng.shuffle(candidates)
        total = len(self.planner.slots)
        for kind in CASE_KINDS:
            rate = self.p.rates.get(kind.name, kind.rate) * self.p.misconduct
            n = max(self.p.min_each if rate > 0 else 0, round(rate * total))
            for _ in range(n):
                slot = candidates.pop() if candidates else self._fresh()
                slot.kind = kind.name
                entry = self.truth.entry(kind.name, case=None, officer=slot.lead.id)
                if kind.name in COMPLAINT_KINDS:
                    category, mode = COMPLAINT_KINDS[kind.name]
                    slot.complaints.append({"category": category, "mode": mode, "entry": entry,
                                            "after": self.rng.randrange(1, 10)})
                    continue
                SHAPES[kind.name](self, slot)
                slot.truth.append((entry, kind.types))

    def dispatches(self) -> None:
        """Hotline (12345) reports that send a team into a neighbouring grid of its squadron
        with a dispatch order (派单): a legitimate act outside the post (RF21 stays quiet)."""
        rng = self.rng
        pool = [s for s in self.planner.slots if s.scenario is None and s.kind is None
                and s.team not in self.tainted and len(s.squadron.teams) > 1]
        for slot in rng.sample(pool, min(len(pool), max(1, round(0.03 * len(pool))))):
            own = set(slot.lead.grids_on(slot.day)) | set(slot.partner.grids_on(slot.day))
            grids = [g for g in slot.squadron.grids if g not in own]
            if not grids:
                continue
            slot.grid = self.w.grid_of(rng.choice(grids))
            slot.party, slot.code = self.planner.pick_party(slot.grid, "company")
            slot.procedure, slot.outcome, slot.dispatch = "general", "fine", True

    def revocations(self) -> None:
        """Clean general-procedure fines revoked on reconsideration, their publication taken
        down in time (MOHURD55 第10条): the contrast to ``publication_not_withdrawn``."""
        rng = self.rng
        pool = [s for s in self.planner.slots if s.scenario is None and s.kind is None
                and not s.dispatch and s.team not in self.tainted]
        for slot in rng.sample(pool, min(len(pool), max(1, round(0.006 * len(pool))))):
            slot.party, slot.code = self.planner.pick_party(slot.grid, "company")
            slot.procedure, slot.outcome = "general", "fine"
            slot.x["amendment"] = "revoked"

    def complaints(self) -> None:
        """Ordinary complaints about ordinary cases, handled by the book."""
        rng, p = self.rng, self.p
        n = round(p.complaints_per_brigade_day * p.days * p.brigades)
        pool = [s for s in self.planner.slots if s.scenario is None and not s.complaints
                and s.team not in self.tainted]
        violent: set[str] = set()
        for slot in rng.sample(pool, min(n, len(pool))):
            category = rng.choices(["other", "arbitrary_fine", "extortion", "violent"],
                                   [50, 30, 10, 10])[0]
            if category == "violent":
                if slot.lead.id in violent:
                    category = "other"
                violent.add(slot.lead.id)
            slot.complaints.append({"category": category, "mode": "normal"})

    # -- shaping -------------------------------------------------------------------------------
    def reparty(self, slot: Slot, klass: str, code: str) -> None:
        if klass == "passer" or slot.party.klass != klass:
            slot.party, _ = self.planner.pick_party(slot.grid, klass)
        slot.code = code

    def summary_fine(self, slot: Slot, klass: str = "vendor", code: str = "STALL_SH",
                     **kw: Any) -> None:
        self.reparty(slot, klass, code)
        slot.outcome, slot.procedure = "fine", "summary"
        slot.tier = kw.pop("tier", "minor")
        for k, v in kw.items():
            setattr(slot, k, v)

    def general_fine(self, slot: Slot, klass: str = "company", code: str = "PILEUP_SH",
                     tier: str = "minor", **x: Any) -> None:
        self.reparty(slot, klass, code)
        slot.outcome, slot.procedure, slot.tier = "fine", "general", tier
        slot.x.update(x)

    def hearing_case(self, slot: Slot, **x: Any) -> None:
        """A company fine above the local hearing threshold (≥ 10,000 CNY)."""
        self.general_fine(slot, "company", "CW_DUMP_SH", "general", **x)
        slot.amount_fen = self.rng.randrange(22, 29) * 100_000

    def cash_fine(self, slot: Slot, **x: Any) -> None:
        self.summary_fine(slot, cash=True)
        slot.amount_fen = self.rng.choice((5_000, 8_000, 10_000))
        slot.x.update(x)


def _x(**x: Any) -> Callable[[Planter, Slot], None]:
    def shape(p: Planter, s: Slot) -> None:
        p.summary_fine(s)
        s.x.update(x)
    return shape


def _general(**x: Any) -> Callable[[Planter, Slot], None]:
    return lambda p, s: p.general_fine(s, **x)


def _hearing(**x: Any) -> Callable[[Planter, Slot], None]:
    return lambda p, s: p.hearing_case(s, **x)


def _aux(p: Planter, s: Slot) -> None:
    p.summary_fine(s)
    if s.squadron.auxiliaries:
        s.x["aux"] = s.squadron.auxiliaries[0]
    else:
        s.x["alone"] = True


def _over_limit(p: Planter, s: Slot) -> None:
    p.summary_fine(s, tier="general", cash=False)
    s.amount_fen = p.rng.choice((25_000, 30_000, 35_000))


def _cash_over_limit(p: Planter, s: Slot) -> None:
    p.summary_fine(s, tier="general", cash=True)
    s.amount_fen = p.rng.choice((15_000, 18_000, 20_000))
    s.x["justification"] = "none"


def _overcollected(p: Planter, s: Slot) -> None:
    p.cash_fine(s)
    s.amount_fen = 5_000
    s.x["cash_delta"] = 5_000


def _bank(mode: str) -> Callable[[Planter, Slot], None]:
    def shape(p: Planter, s: Slot) -> None:
        p.summary_fine(s, "shop", "OUTDOOR_BIZ_SH", tier="general", cash=False)
        s.x["payment"] = mode
    return shape


def _bank_general(mode: str) -> Callable[[Planter, Slot], None]:
    def shape(p: Planter, s: Slot) -> None:
        p.general_fine(s, payment=mode)
    return shape


def _seizure(mode: str) -> Callable[[Planter, Slot], None]:
    def shape(p: Planter, s: Slot) -> None:
        p.summary_fine(s, seizure=mode)
    return shape


def _out_of_grid(p: Planter, s: Slot) -> None:
    own = set(s.lead.grids_on(s.day)) | set(s.partner.grids_on(s.day))
    elsewhere = [g for g in p.w.grids.values() if g.id not in own and g.squadron != s.squadron.id] \
        or [g for g in p.w.grids.values() if g.id not in own]
    s.grid = p.rng.choice(elsewhere)
    s.party, _ = p.planner.pick_party(s.grid, "vendor")
    p.summary_fine(s)


def _outside_powers(p: Planter, s: Slot) -> None:
    p.summary_fine(s, "vendor", fines.OUTSIDE_POWERS)


def _deviation(p: Planter, s: Slot) -> None:
    p.summary_fine(s, tier="general")
    s.amount_fen = 20_000
    s.x["applied_tier"] = "minor"


def _above(p: Planter, s: Slot) -> None:
    p.summary_fine(s, "shop", "OUTDOOR_BIZ_SH", tier="serious", cash=False)
    s.amount_fen = 80_000


def _below(p: Planter, s: Slot) -> None:
    p.summary_fine(s, "shop", "PILEUP_SH", tier="minor", cash=False)
    s.amount_fen = 30_000


def _precondition(p: Planter, s: Slot) -> None:
    p.summary_fine(s, "passer", "POSTING_SH", cash=False)
    s.amount_fen = 10_000
    s.x["precondition"] = "skipped"


def _time_barred(p: Planter, s: Slot) -> None:
    p.general_fine(s, "shop", "ADVERT_SH", "minor", timing="time_barred")


SHAPES: dict[str, Callable[[Planter, Slot], None]] = {
    "lone_officer": _x(alone=True),
    "duplicate_officer": _x(duplicate=True),
    "auxiliary_decides": _aux,
    "summary_over_limit": _over_limit,
    "onsite_cash_over_limit": _cash_over_limit,
    "cash_overcollected": _overcollected,
    "cash_no_receipt": lambda p, s: p.cash_fine(s, no_receipt=True),
    "cash_remitted_late": lambda p, s: (p.cash_fine(s), setattr(s, "remit_wd",
                                                                p.rng.randrange(4, 7))) and None,
    "deposit_late": lambda p, s: p.cash_fine(s, deposit_wd=p.rng.randrange(4, 6)),
    "payment_to_officer": _bank("to_officer"),
    "closed_unreconciled": _bank("unreconciled"),
    "payment_short": _bank_general("short"),
    "unpaid_no_followup": _bank_general("none"),
    "decision_without_evidence": _general(evidence="after"),
    "backdated_evidence": _general(evidence="backdated"),
    "bodycam_gap": _x(evidence="no_bodycam"),
    "no_notice": _general(response="no_notice"),
    "defence_ignored": _general(response="defence_ignored"),
    "window_not_respected": _hearing(response="rushed"),
    "hearing_denied": _hearing(response="hearing_denied"),
    "presider_conflict": _hearing(response="presider_conflict"),
    "hearing_short_notice": _hearing(response="short_notice"),
    "heavier_after_defence": _general(response="heavier"),
    "no_legal_review_after_hearing": _hearing(response="hearing_no_review"),
    "unqualified_reviewer": _hearing(review="unqualified", hearing=True),
    "officer_decides_general": _general(decider="officer"),
    "decision_overdue": _general(timing="overdue"),
    "service_late": _general(timing="service_late"),
    "summary_not_filed": _x(timing="not_filed"),
    "publication_late": _general(timing="publication_late"),
    "publication_not_withdrawn": _general(amendment="revoked_left_up"),
    "preservation_overdue": lambda p, s: (p.general_fine(s, "shop", "ADVERT_SH", "minor"),
                                          setattr(s, "seizure", "preservation_overdue")) and None,
    "time_barred": _time_barred,
    "no_rectification": lambda p, s: p.summary_fine(s, rectification=False),
    "precondition_skipped": _precondition,
    "double_fine": _x(double=True),
    "fine_above_range": _above,
    "fine_below_range": _below,
    "deviation_unapproved": _deviation,
    "no_benchmark": _general(benchmark=False),
    "unapproved_reduction": _general(amendment="unapproved"),
    "self_approved_withdrawal": _general(amendment="self_withdrawal"),
    "out_of_grid": _out_of_grid,
    "outside_powers": _outside_powers,
    "seized_never_returned": _seizure("never_returned"),
    "seizure_no_inventory": _seizure("no_inventory"),
    "disposal_irregular": _seizure("irregular"),
}

missing = [k.name for k in CASE_KINDS if k.name not in SHAPES and k.name not in COMPLAINT_KINDS]
if missing:   # pragma: no cover - a catalogue entry without a shape is a programming error
    raise RuntimeError(f"case-level kinds without a shape: {missing}")
assert all(name in BY_NAME for name in SHAPES)
