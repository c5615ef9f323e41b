"""The schedule of a synthetic city: one ``Slot`` per case (who, where, when, which party and
violation), and how each slot deviates from a clean case when misconduct is planted in it.

Slots are planned for the whole period before any event is rendered, so planted kinds can be
spread over the period deterministically; rendering (``cases.py``) then follows the slots day
by day.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .timeline import at
from .world import Grid, Party, Person, Squadron, Team, World

#: violation codes by party class, with weights (a Shanghai-like district that also applies
#: the Beijing rules of the fine schedule, so every code of the schedule occurs — but
#: STALL_BJ, outside every squadron's power list, which only the ``outside_powers`` plant uses)
CODES: dict[str, tuple[tuple[str, int], ...]] = {
    "vendor": (("STALL_SH", 75), ("PILEUP_SH", 6), ("HANGING_BJ", 6),
               ("SORTING_SH", 5), ("ADVERT_SH", 3)),
    "passer": (("SPIT_SH", 40), ("SPIT_BJ", 12), ("POSTING_SH", 15), ("POSTING_BJ", 8),
               ("SORTING_SH", 12), ("SORTING_BJ", 13)),
    "shop": (("OUTDOOR_BIZ_SH", 60), ("SORTING_SH", 10), ("SORTING_BJ", 5), ("ADVERT_SH", 12),
             ("PILEUP_SH", 10), ("POSTING_SH", 3)),
    "company": (("CW_DUMP_SH", 30), ("PILEUP_SH", 25), ("ROAD_OCCUPY_NATIONAL", 20),
                ("ADVERT_BJ", 10), ("ADVERT_SH", 8), ("SPIT_SH", 4), ("POSTING_BJ", 3)),
}
CLASS_WEIGHTS = (("vendor", 42), ("passer", 22), ("shop", 26), ("company", 10))
SHIFT_HOURS = {"day": (8 * 60 + 30, 16 * 60 + 45), "night": (18 * 60, 22 * 60 + 15)}


@dataclass(eq=False)
class Slot:
    """One case as planned. Fields below ``code`` are overrides set by planted kinds and
    scenarios; ``None`` means "as a clean case would go"."""

    n: int
    day: date
    minute: int
    squadron: Squadron
    team: Team
    lead: Person
    partner: Person
    grid: Grid
    party: Party
    code: str
    kind: str | None = None            # planted case-level kind
    scenario: str | None = None        # actor scenario the slot belongs to
    procedure: str | None = None
    outcome: str | None = None         # fine | warning | waiver
    tier: str | None = None
    tendency: float | None = None
    amount_fen: int | None = None
    cash: bool | None = None
    remit_wd: int | None = None
    seizure: str | None = None         # normal | never_returned | no_inventory | irregular
    dispatch: bool = False
    rectification: bool = True
    void_form: bool = False
    first_violation_waiver: bool = False
    recusal_of: Person | None = None   # a declared relative of this officer is the party
    party_fixed: bool = False          # the scenario is about this very party
    #: further deviations by name (see cases.py): alone, duplicate, aux, payment, evidence, …
    x: dict[str, Any] = field(default_factory=dict)
    #: complaints about this case: {"category", "mode", "entry"}
    complaints: list[dict[str, Any]] = field(default_factory=list)
    #: ground-truth entries the slot's events feed: (entry, event types)
    truth: list[tuple[dict[str, Any], tuple[str, ...]]] = field(default_factory=list)

    @property
    def when(self) -> datetime:
        return at(self.day) + timedelta(minutes=self.minute)

    @property
    def officers(self) -> list[Person]:
        return [self.lead, self.partner]


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([a for a, _ in pairs], [w for _, w in pairs])[0]


class Planner:
    """Lays out the slots of every day; scenarios and planted kinds then edit them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.params = world.params
        self.rng = random.Random(f"{world.seed}:plan")
        self.slots: list[Slot] = []
        self.campaigns: list[dict[str, Any]] = []       # {squadron, brigade, from, until}
        self.spike_squadrons: list[Squadron] = []      # fine-quota units: no campaigns
        self._n = 0

    # -- picking ------------------------------------------------------------------------------
    def minute_in_shift(self, team: Team, day: date) -> int:
        shift = team.shift
        if shift == "rotating":
            shift = "day" if ((day - self.params.start).days // 7) % 2 == 0 else "night"
        lo, hi = SHIFT_HOURS[shift]
        return self.rng.randrange(lo, hi)

    def pick_party(self, grid: Grid, klass: str | None = None) -> tuple[Party, str]:
        rng = self.rng
        klass = klass or weighted(rng, CLASS_WEIGHTS)
        if klass == "passer":
            party = self.world.new_party("individual", "passer", grid, rng=rng)
        else:
            pool = {"vendor": grid.vendors, "shop": grid.shops, "company": grid.companies}[klass]
            party = rng.choice(pool)
        return party, weighted(rng, CODES[klass])

    def new_slot(self, day: date, team: Team, *, lead: Person | None = None,
                 grid: Grid | None = None, party: Party | None = None, code: str | None = None,
                 klass: str | None = None, append: bool = True) -> Slot:
        rng = self.rng
        lead = lead or rng.choice(team.members)
        partner = next(m for m in team.members if m is not lead) if lead in team.members \
            else team.members[0]
        grid = grid or self.world.grid_of(party.grid if party is not None
                                          else rng.choice(lead.grids_on(day)))
        if party is None:
            party, picked = self.pick_party(grid, klass)
            code = code or picked
        elif code is None:
            code = weighted(rng, CODES[party.klass])
        self._n += 1
        slot = Slot(self._n, day, self.minute_in_shift(team, day), team.members[0].squadron,
                    team, lead, partner, grid, party, code)
        if append:
            self.slots.append(slot)
        return slot

    # -- the ordinary days --------------------------------------------------------------------
    def campaign_factor(self, squadron: Squadron, day: date) -> float:
        for c in self.campaigns:
            if c["squadron"] is squadron and c["from"] <= day <= c["until"]:
                return 1.8
        return 1.0

    def plan_days(self) -> None:
        p, rng = self.params, self.rng
        for i in range(p.days):
            day = p.start + timedelta(days=i)
            for squadron in self.world.squadrons:
                for team in squadron.teams:
                    if not team.on_duty(day, p.start):
                        continue
                    lam = 2 * p.cases_per_officer_day * self.campaign_factor(squadron, day)
                    if day.weekday() >= 5:
                        lam *= 0.8
                    for _ in range(poisson(rng, lam)):
                        self.new_slot(day, team)

    def add_campaigns(self) -> None:
        """One 专项整治 per brigade: the 6th–19th of the month in the middle of the period, in
        a squadron that is not the fine-quota unit (a legitimate spike, excluded by RF24)."""
        p = self.params
        middle = p.start + timedelta(days=p.days // 2)
        start, until = middle.replace(day=6), middle.replace(day=19)
        if start < p.start or until > p.end:
            return
        for brigade in self.world.brigades:
            choices = [s for s in brigade.squadrons if s not in self.spike_squadrons]
            if choices:
                self.campaigns.append({"squadron": choices[-1], "brigade": brigade,
                                       "from": start, "until": until})

    def avoid_relatives(self) -> None:
        """Officers meet their declared relatives only where a scenario says so: any other
        slot that pairs them gets another party of the same grid (RF19.a stays quiet)."""
        related = self.world.related
        for s in self.slots:
            if s.scenario in ("relative", "recusal"):
                continue
            refs = related.get(s.lead.id, set()) | related.get(s.partner.id, set())
            if s.party.ref in refs and s.party.klass != "passer":
                pool = {"vendor": s.grid.vendors, "shop": s.grid.shops,
                        "company": s.grid.companies}[s.party.klass]
                s.party = self.rng.choice([p for p in pool if p.ref not in refs] or pool)

    def sort(self) -> None:
        self.slots.sort(key=lambda s: (s.day, s.minute, s.n))

    def by_day(self) -> dict[date, list[Slot]]:
        days: dict[date, list[Slot]] = {}
        for s in self.slots:
            days.setdefault(s.day, []).append(s)
        return days
