"""Actor scenarios: misconduct that is a pattern of a person, a team, a unit or a party rather
than a defect of one case.

* corrupt officer — amounts at the top of the band (RF17), cash kept past the remittance
  deadline (RF05.b), repeated waivers for a favoured shop (RF18);
* shakedown team — the same stall fined again and again without an order to correct, often
  by one officer alone, amounts piled under the 100 CNY cash limit, violent-enforcement
  complaints (RF13.c, RF19.b, RF01, RF17, RF23.d);
* fine-quota unit — fines spike in the last five days of every month (RF24);
* favoured party — one officer waives a vendor's fines again and again (RF18);
* lapsed credential, suspended credential (RF02); lapsed or uncountersigned pledge (RF22);
  a declared relative handled without recusal (RF19.a) — and, for contrast, one handled with
  a proper recusal; an officer voiding decision forms far more than peers (RF20.c).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from . import seeded
from .catalogue import ACTS
from .discipline import Discipline
from .people import People
from .plan import Planner, Slot, poisson
from .timeline import at
from .truth import Truth
from .world import Brigade, Party, Person, Squadron, Team, World


class Scenarios:
    """The actor scenarios of one brigade (大队): each brigade of the city has its own corrupt
    officer, shakedown team, fine-quota squadron, … so bigger cities plant more of them."""

    def __init__(self, world: World, planner: Planner, truth: Truth, brigade: Brigade) -> None:
        self.w = world
        self.p = world.params
        self.planner = planner
        self.truth = truth
        self.brigade = brigade
        self.rng = seeded.rng(world.seed, f"scenarios:{brigade.id}")
        squadrons = brigade.squadrons
        self.quota: Squadron = squadrons[-1]
        others = [t for s in squadrons if s is not self.quota for t in s.teams]
        pick = self.rng.sample(others, k=len(others)) + list(self.quota.teams)

        def team(i: int) -> Team:
            return pick[i % len(pick)]

        self.corrupt = team(0).members[0]
        self.shakedown, self.shakedown_partner = team(1).members
        self.expired, self.suspended = team(2).members
        self.lapsed_pledge, self.uncountersigned = team(3).members
        self.favouring = team(4).members[0]
        self.relative_officer = team(5).members[0]
        self.recusing = team(6).members[1]
        self.voiding = team(7).members[1]
        #: teams whose every act is flagged while a scenario runs: no case-level plants there
        self.tainted = [team(2), team(3)]
        #: persons whose amounts are the scenario: they lead no case-level plant
        self.busy = {self.corrupt.id, self.shakedown.id}
        self.entries: dict[str, dict[str, Any]] = {}

    # -- helpers -------------------------------------------------------------------------------
    def frac(self, f: float) -> date:
        return self.p.start + timedelta(days=min(self.p.days - 1, int(self.p.days * f)))

    def duty_day(self, team: Team, day: date) -> date:
        for k in range(7):
            d = day + timedelta(days=k)
            if team.on_duty(d, self.p.start) and d <= self.p.end:
                return d
        return day

    def slot(self, day: date, lead: Person, *, party: Party | None = None,
             klass: str | None = None, code: str | None = None, scenario: str,
             fixed: bool = True) -> Slot:
        team = lead.team
        assert team is not None
        day = self.duty_day(team, day)
        grid = self.w.grid_of(party.grid if party else self.rng.choice(lead.grids_on(day)))
        s = self.planner.new_slot(day, team, lead=lead, grid=grid, party=party, code=code,
                                  klass=klass)
        s.scenario = scenario
        s.party_fixed = party is not None and fixed
        return s

    def party_in(self, person: Person, klass: str, day: date | None = None) -> Party:
        grid = self.w.grid_of(person.grids_on(day or self.p.start)[0])
        pool = grid.vendors if klass == "vendor" else grid.shops
        return pool[-1] if klass == "shop" else pool[0]

    # -- before the days are planned -----------------------------------------------------------
    def prepare(self) -> None:
        self.planner.spike_squadrons.append(self.quota)

    # -- after the days are planned ------------------------------------------------------------
    def apply(self, people: People) -> None:
        self.cohorts()
        self.corrupt_officer()
        self.shakedown_team()
        self.quota_unit()
        self.favoured_party()
        self.credentials()
        self.pledges()
        self.relatives(people)
        self.form_voids()

    def cohorts(self) -> None:
        """The corrupt officer's squadron works a commercial street (shops' outdoor business)
        and the shakedown officer's a street market (stalls): their peers then have enough
        comparable cases for the statistical flags (RF17) to have a cohort."""
        rng = self.rng
        for s in self.planner.slots:
            if s.scenario is not None:
                continue
            if s.squadron is self.corrupt.squadron and s.party.klass in ("shop", "passer") \
                    and rng.random() < 0.6:
                s.party, s.code = rng.choice(s.grid.shops), "OUTDOOR_BIZ_SH"
            elif s.squadron is self.shakedown.squadron and s.party.klass == "vendor":
                s.code = "STALL_SH"

    def corrupt_officer(self) -> None:
        x, truth, rng = self.corrupt, self.truth, self.rng
        x.tendency = 0.97
        outlier = truth.entry("discretion_outlier", officer=x.id, scenario="corrupt_officer",
                              detail="amounts at the top of the band for shops' outdoor business "
                                     "(OUTDOOR_BIZ_SH), far above peers")
        window = min(self.p.days, 90)
        n = 22
        favoured = self.party_in(x, "shop")
        for k in range(n):
            day = self.p.start + timedelta(days=k * window // n)
            grid = self.w.grid_of(rng.choice(x.grids_on(day)))
            shop = rng.choice([p for p in grid.shops if p is not favoured] or grid.shops)
            s = self.slot(day, x, party=shop, code="OUTDOOR_BIZ_SH", scenario="corrupt_officer",
                          fixed=False)
            s.outcome, s.procedure, s.cash = "fine", "summary", False
            s.tier = rng.choice(["serious", "serious", "general"])
            s.truth.append((outlier, ("PenaltyDecided",)))
        for s in self.planner.slots:           # his tendency shows in every cohort he leads
            if s.lead is x and s.scenario is None:
                if s.code == "OUTDOOR_BIZ_SH":
                    s.outcome, s.tier = "fine", s.tier or "serious"
                s.truth.append((outlier, ("PenaltyDecided",)))
        for k in range(3):
            s = self.slot(self.frac(0.2 + 0.25 * k), x, klass="vendor", code="STALL_SH",
                          scenario="corrupt_officer")
            s.outcome, s.procedure, s.tier, s.cash = "fine", "summary", "minor", True
            s.amount_fen = 10_000
            s.remit_wd = rng.randrange(5, 9)
            e = truth.entry("cash_kept_past_deadline", case=None, officer=x.id,
                            scenario="corrupt_officer",
                            detail=f"cash kept {s.remit_wd} working days before it was handed in")
            s.truth.append((e, ("OnsiteCashCollected", "OnsiteCashRemitted")))
        self._waivers(x, favoured, "OUTDOOR_BIZ_SH", "corrupt_officer")

    def _waivers(self, officer: Person, party: Party, code: str, scenario: str) -> None:
        entry = self.truth.entry("favoured_party", party=party.ref, officer=officer.id,
                                 scenario=scenario,
                                 detail="three first-violation waivers (APL33-1) by the same "
                                        "officer for a party already fined before")
        team = officer.team
        assert team is not None
        partner = next(m for m in team.members if m is not officer)
        prior = self.slot(self.frac(0.02), partner, party=party, code=code, scenario=scenario)
        prior.outcome, prior.procedure, prior.cash, prior.tier = "fine", "summary", False, "minor"
        prior.truth.append((entry, ("PenaltyDecided",)))
        for f in (0.3, 0.55, 0.8):
            s = self.slot(self.frac(f), officer, party=party, code=code, scenario=scenario)
            s.outcome, s.procedure, s.first_violation_waiver = "waiver", "summary", True
            s.truth.append((entry, ("WaiverGranted",)))

    def favoured_party(self) -> None:
        y = self.favouring
        self._waivers(y, self.party_in(y, "vendor"), "STALL_SH", "favoured_party")

    def shakedown_team(self) -> None:
        z, truth, rng = self.shakedown, self.truth, self.rng
        stall = self.party_in(z, "vendor")
        toll = truth.entry("toll_pattern", party=stall.ref, officer=z.id,
                           scenario="shakedown_team",
                           detail="the same stall fined every week, never ordered to correct, "
                                  "cash on the spot")
        bunch = truth.entry("threshold_bunching", officer=z.id, scenario="shakedown_team",
                            detail="amounts piled at 95–100 CNY, just under the on-the-spot cash "
                                   "limit (100 CNY)")
        violent = truth.entry("violent_complaints_pattern", officer=z.id,
                              scenario="shakedown_team",
                              detail="two violent-enforcement complaints within 180 days")
        first = self.p.start + timedelta(days=max(2, self.p.days // 10))
        for k in range(6):
            day = first + timedelta(days=7 * k)
            if day > self.p.end:
                break
            s = self.slot(day, z, party=stall, code="STALL_SH", scenario="shakedown_team")
            s.outcome, s.procedure, s.cash, s.rectification = "fine", "summary", True, False
            s.amount_fen = rng.choice((9_500, 10_000))
            s.truth += [(toll, ("PenaltyDecided",)), (bunch, ("PenaltyDecided",))]
            if k % 2 == 1:
                s.x["alone"] = True
                e = truth.entry("lone_officer", case=None, officer=z.id,
                                scenario="shakedown_team")
                s.truth.append((e, ("CaseFiled", "PenaltyDecided")))
            if k in (1, 4):
                s.complaints.append({"category": "violent", "mode": "normal", "entry": violent,
                                     "after": 1, "outcome": "partly_substantiated"})
        for k in range(14):
            s = self.slot(self.frac(k / 14), z, klass="vendor", code="STALL_SH",
                          scenario="shakedown_team")
            s.outcome, s.procedure, s.cash = "fine", "summary", True
            s.amount_fen = rng.choice((9_500, 10_000))
            s.truth.append((bunch, ("PenaltyDecided",)))
        for s in self.planner.slots:
            if s.lead is z and s.scenario is None and s.code in ("STALL_SH", "OUTDOOR_BIZ_SH"):
                s.outcome, s.procedure, s.amount_fen = "fine", "summary", rng.choice((9_500,
                                                                                     10_000))
                s.truth.append((bunch, ("PenaltyDecided",)))

    def quota_unit(self) -> None:
        q, p, rng = self.quota, self.p, self.rng
        windows = []
        month = date(p.start.year, p.start.month, 1)
        while month <= p.end:
            nxt = (month + timedelta(days=32)).replace(day=1)
            last = nxt - timedelta(days=1)
            first = last - timedelta(days=4)
            if first >= p.start and last <= p.end:
                windows.append((first, last))
            month = nxt
        if not windows:
            return
        entry = self.truth.entry(
            "quota_spikes", unit=q.id, scenario="fine_quota_unit",
            detail="fines in the last 5 days of " + ", ".join(f"{a:%Y-%m}" for a, _ in windows)
                   + " at about four times the unit's usual daily rate")
        for first, last in windows:
            day = first
            while day <= last:
                for team in q.teams:
                    for _ in range(max(1, poisson(rng, 4 * p.cases_per_officer_day))):
                        klass = rng.choice(("vendor", "vendor", "shop"))
                        s = self.planner.new_slot(day, team, klass=klass, code="STALL_SH"
                                                  if klass == "vendor" else "OUTDOOR_BIZ_SH")
                        s.scenario, s.outcome, s.tier = "fine_quota_unit", "fine", "minor"
                day += timedelta(days=1)
        for s in self.planner.slots:
            if s.squadron is q and any(a <= s.day <= b for a, b in windows):
                if s.scenario in (None, "fine_quota_unit"):
                    s.outcome = "fine"
                s.truth.append((entry, ("PenaltyDecided",)))

    def credentials(self) -> None:
        e, u, p = self.expired, self.suspended, self.p
        cert = e.certs[-1]
        cert.valid_until = p.start + timedelta(days=max(7, p.days // 5))
        e.unqualified_from = cert.valid_until + timedelta(days=1)
        self.entries["expired"] = entry = self.truth.entry(
            "expired_credential_acts", officer=e.id, scenario="lapsed_credential",
            detail=f"certificate {cert.cert_no} expired on {cert.valid_until}, not renewed; the "
                   "officer kept acting")
        self.truth.watch(e.id, e.unqualified_from, ACTS, entry)
        when = at(p.start + timedelta(days=max(10, p.days // 3)), 10)
        until = when.date() + timedelta(days=60)
        self.suspension = (when, until)
        self.entries["suspended"] = entry = self.truth.entry(
            "suspended_officer_acts", officer=u.id, scenario="suspended_credential",
            detail=f"certificate suspended {when.date()}–{until}; the officer kept acting")
        self.truth.watch(u.id, when.date() + timedelta(days=1), ACTS, entry, until=until)

    def pledges(self) -> None:
        pl, uc, p = self.lapsed_pledge, self.uncountersigned, self.p
        pl.pledge_until = p.start + timedelta(days=max(10, p.days // 4))
        self.entries["lapsed"] = entry = self.truth.entry(
            "pledge_expired", officer=pl.id, scenario="lapsed_pledge",
            detail=f"integrity pledge ended {pl.pledge_until}, never renewed")
        self.truth.watch(pl.id, pl.pledge_until + timedelta(days=1), ACTS, entry)
        uc.pledge_uncountersigned = True
        self.entries["uncountersigned"] = entry = self.truth.entry(
            "pledge_not_countersigned", officer=uc.id, scenario="uncountersigned_pledge")
        self.truth.watch(uc.id, p.start, ACTS, entry)

    def relatives(self, people: People) -> None:
        r, rr = self.relative_officer, self.recusing
        v2 = self.w.grid_of(r.grids_on(self.p.start)[0]).vendors[-1]
        entry = self.truth.entry("relative_no_recusal", officer=r.id, party=v2.ref, case=None,
                                 scenario="undeclared_conflict")
        people.relationships.append((r, v2, "relative", entry))
        self.w.related.setdefault(r.id, set()).add(v2.ref)
        s = self.slot(self.frac(0.3), r, party=v2, code="STALL_SH", scenario="relative")
        s.outcome, s.procedure, s.tier = "fine", "summary", "minor"
        s.truth.append((entry, ("CaseFiled",)))
        # the contrast: a declared family member, and a proper recusal (回避)
        grid = self.w.grid_of(rr.grids_on(self.p.start)[0])
        v3 = grid.vendors[-2] if len(grid.vendors) > 1 else grid.vendors[0]
        people.relationships.append((rr, v3, "family", None))
        self.w.related.setdefault(rr.id, set()).add(v3.ref)
        self.w.linked_party = v3
        team = rr.team
        assert team is not None
        stand_in = next(m for m in team.members if m is not rr)
        s = self.slot(self.frac(0.45), stand_in, party=v3, code="STALL_SH", scenario="recusal")
        s.outcome, s.procedure, s.tier, s.recusal_of = "fine", "summary", "minor", rr
        s.partner = s.squadron.leader          # steps in for the recused officer

    def form_voids(self) -> None:
        v = self.voiding
        entry = self.truth.entry("form_void_outlier", officer=v.id, scenario="form_voids",
                                 detail="numbered summary-decision forms voided in a third of "
                                        "the officer's cases")
        for k in range(9):     # at the officer's usual amounts; voided when decided on the spot
            s = self.slot(self.frac(0.05 + 0.1 * k), v, klass="vendor", code="STALL_SH",
                          scenario="form_voids")
            s.outcome, s.void_form = "fine", True
            s.truth.append((entry, ("DecisionFormVoided",)))
        for s in self.planner.slots:
            if s.lead is v and s.scenario is None and self.rng.random() < 0.4:
                s.void_form = True
                s.truth.append((entry, ("DecisionFormVoided",)))

    # -- once people are known -----------------------------------------------------------------
    def schedule_hr(self, people: People) -> None:
        e = self.expired
        people.expire(e, e.certs[-1], "term_ended", self.entries["expired"])
        when, until = self.suspension
        people.suspend(self.suspended, when, until, self.entries["suspended"])
        year = self.p.start.year
        for name, person in (("lapsed", self.lapsed_pledge),
                             ("uncountersigned", self.uncountersigned)):
            pid = people.pledge_ids.get((person.id, year))
            if pid:
                self.entries[name]["event_ids"].insert(0, pid)

    def warnings(self, discipline: Discipline) -> None:
        """Formal warnings (not misconduct, not ground truth) once an inspector has confirmed
        a flag of the lapsed, the suspended and the pledge-less officer."""
        e, u, pl = self.expired, self.suspended, self.lapsed_pledge
        assert e.unqualified_from is not None and pl.pledge_until is not None
        discipline.warn_after_flag(e, "RF02", e.unqualified_from, kind="circulated_criticism",
                                   by_inspector=True)
        when, until = self.suspension
        discipline.warn_after_flag(u, "RF02", when.date() + timedelta(days=1), until,
                                   kind="admonishment_talk", by_inspector=False)
        discipline.warn_after_flag(pl, "RF22", pl.pledge_until + timedelta(days=1),
                                   kind="reminder_talk", by_inspector=False)

    def reassignments(self, people: People) -> None:
        """Mid-period rotation: two teams without scenario actors swap grids (定岗轮换)."""
        if self.p.days < 40:
            return
        mid = self.p.start + timedelta(days=self.p.days // 2)
        actors = [self.corrupt, self.shakedown, self.favouring, self.relative_officer,
                  self.recusing, self.voiding, self.expired, self.suspended,
                  self.lapsed_pledge, self.uncountersigned]
        for squadron in self.brigade.squadrons:
            free = [t for t in squadron.teams if not any(m in actors for m in t.members)]
            if len(free) < 2:
                continue
            a, b = free[0], free[1]
            for team, grids in ((a, b.grids), (b, a.grids)):
                for m in team.members:
                    people.reassign(m, mid, grids)
