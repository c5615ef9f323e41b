"""Rendering one planned case (a ``Slot``) into the events of its whole lifecycle.

A clean case follows the law and the agency's rules: two certified officers, credentials shown
and evidence recorded before the decision (bodycam footage, sometimes synced after the shift),
an order to correct, the benchmark tier applied, notice and the party's rights in the general
procedure, legal review and collective discussion where required, every deadline met in
working days (``ledger.domain.calendar``), cash handed in and deposited within 2 + 2 working
days, payments reconciled. A planted kind changes exactly the step it is about (``slot.x``).

Signers: on-scene acts by the officer's handheld terminal (``pda:<id>``), footage by the
bodycam (``bodycam:<id>``) — evidence claiming ``device_signed`` is signed by its capture
device's own key (principal ``device:<device_id>``), which is what proves the claim — documents by the case system (``case-app``), decisions of the
general procedure by the deciding head (``sup:<id>``), reviews and hearings by the legal
reviewer (``legal:<id>``), money by finance and the treasury.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from . import fines, seeded
from .general import GeneralProcedure
from .money import Money
from .oversight import Oversight
from .plan import Slot
from .summary import SummaryProcedure
from .timeline import Timeline, at
from .truth import Truth
from .world import Person, World

_ACTOR_FIELDS = ("officers", "investigators")


def actors(body: dict[str, Any]) -> list[str]:
    ids = [o["officer_id"] for f in _ACTOR_FIELDS for o in body.get(f) or ()]
    return ids + list(body.get("decided_by") or ())


class CaseBuilder:
    """Adds the events of one case; ``ids`` maps each event type to the ids it produced."""

    def __init__(self, cases: "Cases", case_id: str) -> None:
        self.c = cases
        self.case_id = case_id
        self.stream = f"case:{case_id}"
        self.ids: dict[str, list[str]] = {}

    def add(self, type_name: str, when: datetime, key: str, body: dict[str, Any], *,
            posted: datetime | None = None) -> str:
        posted = posted or when + timedelta(seconds=2 + self.c.rng.randrange(8))
        step = self.c.tl.add(self.stream, type_name, when, body, key, posted=posted)
        self.ids.setdefault(type_name, []).append(step.event_id)
        self.c.truth.observe(step.event_id, type_name, when.date(), actors(body))
        self.c.ov.discipline.act(step.event_id, self.stream, type_name, when, body)
        return step.event_id


class Cases(SummaryProcedure, GeneralProcedure, Money):
    """Renders slots into events (see the module docstring)."""

    def __init__(self, world: World, timeline: Timeline, truth: Truth,
                 oversight: Oversight) -> None:
        self.w = world
        self.tl = timeline
        self.truth = truth
        self.ov = oversight
        self.seed = world.seed
        self.rng = seeded.rng(world.seed, "cases")
        self.counters: dict[str, int] = {}

    # -- numbering -----------------------------------------------------------------------------
    def _next(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]

    def new_case_id(self, year: int) -> str:
        return f"SH-{self.w.tag}-{year}-{self._next(f'case{year}'):06d}"

    def form_no(self, year: int) -> str:
        return f"{self.w.tag}-JY-{year}-{self._next(f'form{year}'):06d}"

    def decision_no(self, year: int) -> str:
        return f"沪{self.w.tag}城管罚〔{year}〕第{self._next(f'dec{year}')}号"

    def receipt(self, person: Person, year: int) -> tuple[str, str]:
        n = self._next(f"receipt{year}")
        return f"FK-{self.w.tag}-{year}-{n:07d}", f"RB-{person.id}-{year}"

    def approval(self) -> str:
        return f"AP-{self.w.tag}-{self._next('approval'):06d}"

    def txn(self, day: date, bank: str = "BANK") -> str:
        return f"{bank}-{day:%Y%m%d}-{self._next('txn'):07d}"

    # -- shared pieces -------------------------------------------------------------------------
    def refs(self, slot: Slot, day: date) -> list[dict[str, str]]:
        """The persons acting, as posted (planted kinds change who is listed)."""
        if slot.x.get("alone"):
            return [slot.lead.ref(day)]
        if slot.x.get("duplicate"):
            return [slot.lead.ref(day), slot.lead.ref(day)]
        aux: Person | None = slot.x.get("aux")
        if aux is not None:
            return [slot.lead.ref(day), aux.ref(day)]
        return [slot.lead.ref(day), slot.partner.ref(day)]

    def geo(self, slot: Slot) -> dict[str, Any]:
        rng = self.rng
        return {"lat_e6": slot.party.lat_e6 + rng.randrange(-60, 60),
                "lon_e6": slot.party.lon_e6 + rng.randrange(-60, 60),
                "accuracy_m": rng.randrange(3, 25), "grid_id": slot.grid.id}

    def photo(self, b: CaseBuilder, slot: Slot, n: int, captured: datetime, when: datetime,
              officers: list[dict[str, str]], *, device_signed: bool = True,
              device: Person | None = None, posted: datetime | None = None) -> str:
        who = device or slot.lead
        eid = f"EV-{b.case_id}-{n}"
        # the enforcement app on the officer's phone: the phone holds no registered device key
        # (the terminal's key signs the upload), so it claims no device signature — a claim
        # counts only when the capture device's own key signed it (docs/red-flags.md, RF07)
        phone = self.rng.random() < 0.3
        b.add("EvidenceRecorded", when, f"pda:{who.id}", {
            "schema_version": 2, "evidence_id": eid, "kind": "photo",
            "content_sha256": seeded.digest(self.seed, eid), "hash_alg": "sha-256",
            "capture_device": {"device_id": f"{'PH' if phone else 'PDA'}-{who.id}",
                               "device_type": "phone" if phone else "handheld_terminal",
                               "assigned_officer_id": who.id},
            "media_type": "image/jpeg", "size_bytes": self.rng.randrange(900_000, 4_000_000),
            "captured_at": captured.isoformat(), "device_signed": device_signed and not phone,
            "officers": officers, "location": self.geo(slot)}, posted=posted)
        return eid

    def video(self, b: CaseBuilder, slot: Slot, n: int, captured: datetime, until: datetime,
              officers: list[dict[str, str]], *, synced: datetime | None = None) -> str:
        """Bodycam footage of the lead officer: uploaded over 4G right after recording, or
        synced at the dock after the shift (device-signed at capture either way)."""
        eid = f"EV-{b.case_id}-{n}"
        rng = self.rng
        if synced is not None:
            pass
        elif rng.random() < 0.5:
            synced = until + timedelta(minutes=rng.randrange(2, 10))
        else:
            end_hour = 23 if until.hour >= 18 else 17
            synced = at(until.date(), end_hour, rng.randrange(20, 55))
            if synced <= until:
                synced = until + timedelta(minutes=30)
        b.add("EvidenceRecorded", synced, f"bodycam:{slot.lead.id}", {
            "schema_version": 2, "evidence_id": eid, "kind": "video",
            "content_sha256": seeded.digest(self.seed, eid), "hash_alg": "sha-256",
            "capture_device": {"device_id": f"BC-{slot.lead.id}", "device_type": "bodycam",
                               "assigned_officer_id": slot.lead.id},
            "media_type": "video/mp4", "size_bytes": rng.randrange(20_000_000, 400_000_000),
            "captured_at": captured.isoformat(), "device_signed": True, "officers": officers,
            "location": self.geo(slot), "description": "执法记录仪全程录像"})
        return eid

    def amount(self, slot: Slot) -> fines.Amount:
        ptype = slot.party.ptype
        if slot.amount_fen is not None:
            t = fines.tiers(slot.code, ptype)
            tier = slot.tier or next((n for n, (lo, hi) in t.items()
                                      if lo <= slot.amount_fen <= hi), next(iter(t)))
            return fines.Amount(tier, t.get(tier, next(iter(t.values()))), slot.amount_fen)
        tendency = slot.tendency if slot.tendency is not None else slot.lead.tendency
        return fines.choose(self.rng, slot.code, ptype, tendency, tier=slot.tier)

    def outcome(self, slot: Slot) -> str:
        if slot.outcome:
            return slot.outcome
        party, rng = slot.party, self.rng
        if slot.code in fines.ON_SCENE and not party.fines and not party.waivers \
                and rng.random() < 0.10:
            return "waiver"
        if slot.code in fines.WARNABLE and party.ptype == "individual" and rng.random() < 0.12:
            return "warning"
        return "fine"

    def _avoid_open_act(self, slot: Slot) -> None:
        """A case never fines a party whose same act is still before the agency in a general
        case (that would be 一事二罚, RF14) unless it is about that very party (a scenario's
        party, a planted double fine): another party of the grid is met instead."""
        if slot.party_fixed or "violation_at" in slot.x or slot.party.klass == "passer":
            return
        if slot.party.pending.get(slot.code, date.min) < slot.day:
            return
        related = self.w.related.get(slot.lead.id, set()) | \
            self.w.related.get(slot.partner.id, set())
        grids = (slot.grid.id,) if slot.dispatch or slot.kind == "out_of_grid" else \
            (slot.grid.id, *slot.lead.grids_on(slot.day))
        for grid_id in grids:
            grid = self.w.grid_of(grid_id)
            pool = {"vendor": grid.vendors, "shop": grid.shops,
                    "company": grid.companies}[slot.party.klass]
            free = [p for p in pool if p.pending.get(slot.code, date.min) < slot.day
                    and p.ref not in related]
            if free:
                slot.party, slot.grid = self.rng.choice(free), grid
                return

    # -- entry point ---------------------------------------------------------------------------
    def render(self, slot: Slot) -> str:
        """Schedule every event of ``slot``'s case; returns the case id."""
        self._avoid_open_act(slot)
        case_id = self.new_case_id(slot.day.year)
        b = CaseBuilder(self, case_id)
        outcome = self.outcome(slot)
        amount = self.amount(slot) if outcome == "fine" else None
        procedure = slot.procedure or (
            fines.procedure_for(slot.code, slot.party.ptype, amount.amount_fen) if amount
            else "summary")
        if procedure == "summary":
            self.summary(b, slot, outcome, amount)
        else:
            self.general(b, slot, amount or self.amount(slot))
        for entry, types in slot.truth:
            if "case" in entry["subject"] and entry["subject"]["case"] is None:
                entry["subject"]["case"] = case_id
            for t in types:
                entry["event_ids"].extend(e for e in b.ids.get(t, ())
                                          if e not in entry["event_ids"])
        for spec in slot.complaints:
            self.ov.complaint(slot, case_id, spec)
        if slot.x.get("double"):
            twin = Slot(slot.n, slot.day, slot.minute + 75, slot.squadron, slot.team,
                        slot.partner, slot.lead, slot.grid, slot.party, slot.code,
                        outcome="fine", procedure="summary", tier=slot.tier,
                        amount_fen=amount.amount_fen if amount else None, cash=False,
                        truth=[(e, ("PenaltyDecided",)) for e, _ in slot.truth])
            twin.x["violation_at"] = slot.x.get("violation_at")
            self.render(twin)
        return case_id
