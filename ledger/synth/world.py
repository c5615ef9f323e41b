"""The city: a bureau (执法局) with brigades (大队) of squadrons (中队), management grids,
officers in teams of two with shifts and posts, auxiliary staff, and the parties officers meet
(street vendors, shops, companies, and passers-by created on the spot).

Identifiers carry the city tag (``C<seed>``) so two cities never share a stream:
``SH-C42`` (bureau), ``SH-C42-DD01`` (brigade), ``SH-C42-DD01-ZD02`` (squadron),
``SH-C42-0107`` (officer), ``SH-C42-X003`` (auxiliary), ``C42-G-0103`` (grid).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import seeded
from .params import CityParams

LAT0, LON0 = 31_180_000, 121_420_000     # micro-degrees, a Shanghai-like district
GRID_LAT, GRID_LON = 4_500, 5_200          # ≈ 500 m cells


MAX_POST_GRIDS = 1000      # PostAssigned.grid_ids holds at most 1,000 grids


@dataclass
class Cert:
    cert_no: str
    valid_from: date
    valid_until: date


@dataclass
class Post:
    post_id: str
    since: date
    grids: tuple[str, ...]


@dataclass(eq=False)
class Person:
    id: str
    kind: str                  # officer | auxiliary
    role: str                  # PostAssigned.role
    unit_id: str
    superior: str | None
    level: str                 # IntegrityPledgeSigned.level
    shift: str = "day"
    certs: list[Cert] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    tendency: float = 0.4      # where in a benchmark band this person's amounts fall
    squadron: "Squadron | None" = None
    team: "Team | None" = None
    #: the day from which the person's certificate no longer covers their acts (planted)
    unqualified_from: date | None = None
    #: last day this person's integrity pledge covers when a scenario cuts it short
    pledge_until: date | None = None
    pledge_uncountersigned: bool = False
    receipts_issued: int = 0

    def cert_on(self, day: date) -> Cert | None:
        """The certificate the person shows on ``day`` (the newest issued by then)."""
        usable = [c for c in self.certs if c.valid_from <= day]
        return usable[-1] if usable else None

    def ref(self, day: date) -> dict[str, str]:
        """``{"officer_id", "cert_no"}`` as the person appears in an act on ``day``."""
        cert = self.cert_on(day) if self.kind == "officer" else None
        return {"officer_id": self.id, **({"cert_no": cert.cert_no} if cert else {})}

    def grids_on(self, day: date) -> tuple[str, ...]:
        current = [p for p in self.posts if p.since <= day]
        return (current or self.posts)[-1].grids


@dataclass(eq=False)
class Team:
    id: str
    members: list[Person]
    grids: tuple[str, ...]
    shift: str
    rest_offset: int

    def on_duty(self, day: date, start: date) -> bool:
        return ((day - start).days + self.rest_offset) % 7 < 5


@dataclass(eq=False)
class Squadron:
    id: str
    brigade: "Brigade"
    leader: Person
    teams: list[Team]
    auxiliaries: list[Person]
    grids: tuple[str, ...]

    @property
    def members(self) -> list[Person]:
        return [p for t in self.teams for p in t.members]


@dataclass(eq=False)
class Brigade:
    id: str
    head: Person
    deputy: Person
    legal: list[Person]
    squadrons: list[Squadron]


@dataclass(eq=False)
class Party:
    ref: str
    ptype: str                 # individual | organisation
    klass: str                 # vendor | shop | company | passer
    grid: str
    lat_e6: int
    lon_e6: int
    org_name: str | None = None
    fines: list[date] = field(default_factory=list)       # decided fines / warnings
    waivers: list[date] = field(default_factory=list)
    #: violation code -> day a general case about it will be decided (its act runs until then)
    pending: dict[str, date] = field(default_factory=dict)
    #: when the party was last decided against: a new act starts after it
    last_decided: datetime | None = None

    def as_party(self) -> dict[str, str]:
        return {"party_ref": self.ref, "party_type": self.ptype,
                **({"org_name": self.org_name} if self.org_name else {})}


@dataclass
class Grid:
    id: str
    lat_e6: int
    lon_e6: int
    squadron: str
    vendors: list[Party] = field(default_factory=list)
    shops: list[Party] = field(default_factory=list)
    companies: list[Party] = field(default_factory=list)


SHOP_NAMES = ("小吃店", "水果店", "便利店", "五金店", "理发店", "面馆", "烟杂店", "早餐店", "服装店",
              "奶茶店")
COMPANY_NAMES = ("建材有限公司", "装饰工程有限公司", "广告传媒有限公司", "物流有限公司",
                 "建设工程有限公司", "餐饮管理有限公司")
DISTRICT = "示范区"


class World:
    """Builds and holds the city. Everything random comes from ``rng(seed, "world")``."""

    def __init__(self, params: CityParams) -> None:
        self.params = params
        self.seed = params.seed
        self.tag = f"C{params.seed}"
        self.rng = seeded.rng(params.seed, "world")
        self.people: dict[str, Person] = {}
        self.grids: dict[str, Grid] = {}
        self.parties: list[Party] = []
        self._n_person = 0
        self._n_aux = 0
        self._n_cert = 0
        self._n_party = 0
        self.golive = params.start - timedelta(days=240)
        self.bureau_id = f"SH-{self.tag}"
        self.government = f"SH-{self.tag}-GOV"          # counterparty of the head's pledge
        self.inspector = f"SH-{self.tag}-JW-01"
        self.finance_clerk = f"SH-{self.tag}-FIN-01"
        #: a party linked to an officer (a declared relative), for irregular disposals (RF25.c)
        self.linked_party: Party | None = None
        #: person id -> refs of the parties they declared a relationship with
        self.related: dict[str, set[str]] = {}
        self._build()

    # -- identifiers ---------------------------------------------------------------------------
    def _person(self, role: str, unit_id: str, superior: str | None, level: str, *,
                kind: str = "officer", shift: str = "day") -> Person:
        if kind == "officer":
            self._n_person += 1
            pid = f"SH-{self.tag}-{self._n_person:04d}"
        else:
            self._n_aux += 1
            pid = f"SH-{self.tag}-X{self._n_aux:03d}"
        p = Person(pid, kind, role, unit_id, superior, level, shift=shift,
                   tendency=min(0.65, max(0.15, self.rng.gauss(0.4, 0.1))))
        if kind == "officer":
            issued = self.golive - timedelta(days=self.rng.randrange(60, 1400))
            p.certs.append(self.new_cert(issued))
        self.people[pid] = p
        return p

    def new_cert(self, valid_from: date, years: int = 5) -> Cert:
        self._n_cert += 1
        prefix = 3100 + self.seed % 100
        until = date(valid_from.year + years, valid_from.month, 1) - timedelta(days=1)
        return Cert(f"{prefix}{self.seed % 1000:03d}{self._n_cert:05d}", valid_from, until)

    def new_party(self, ptype: str, klass: str, grid: Grid, *, rng: random.Random) -> Party:
        self._n_party += 1
        org = None
        if klass == "shop":
            org = f"{DISTRICT}{rng.choice(SHOP_NAMES)}({self._n_party:04d})"
        elif klass == "company":
            org = f"上海{self.tag}{rng.choice(COMPANY_NAMES)}{self._n_party:04d}号"
        party = Party(seeded.party_ref(self.seed, self._n_party), ptype, klass, grid.id,
                      grid.lat_e6 + rng.randrange(-GRID_LAT // 2, GRID_LAT // 2),
                      grid.lon_e6 + rng.randrange(-GRID_LON // 2, GRID_LON // 2), org)
        if klass != "passer":
            self.parties.append(party)
        return party

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        p, rng = self.params, self.rng
        self.head = self._person("unit_head", self.bureau_id, None, "unit")
        self.handlers = [self._person("team_member", self.bureau_id, self.head.id, "officer")
                         for _ in range(2)]                        # 督察/信访 handlers
        self.brigades: list[Brigade] = []
        g = 0
        teams_per_squadron = p.officers_per_squadron // 2
        for b in range(p.brigades):
            bid = f"{self.bureau_id}-DD{b + 1:02d}"
            head = self._person("unit_head", bid, self.head.id, "unit")
            deputy = self._person("unit_head", bid, head.id, "officer")
            legal = [self._person("legal_reviewer", bid, head.id, "officer") for _ in range(2)]
            brigade = Brigade(bid, head, deputy, legal, [])
            for s in range(p.squadrons_per_brigade):
                sid = f"{bid}-ZD{s + 1:02d}"
                leader = self._person("squadron_leader", sid, head.id, "squadron")
                teams, grids = [], []
                for t in range(teams_per_squadron):
                    team_grids = []
                    for _ in range(2):
                        row, col = divmod(g, 8)
                        grid = Grid(f"{self.tag}-G-{row + 1:02d}{col + 1:02d}",
                                    LAT0 + row * GRID_LAT, LON0 + col * GRID_LON, sid)
                        self.grids[grid.id] = grid
                        team_grids.append(grid.id)
                        g += 1
                    shift = "night" if t == teams_per_squadron - 1 and t > 1 else \
                        ("rotating" if t % 3 == 2 else "day")
                    members = [self._person("team_leader" if i == 0 else "team_member", sid,
                                            leader.id, "officer", shift=shift) for i in range(2)]
                    team = Team(f"{sid}-T{t + 1}", members, tuple(team_grids), shift,
                                rest_offset=(t * 2 + s) % 7)
                    for m in members:
                        m.team = team
                    teams.append(team)
                    grids.extend(team_grids)
                aux = [self._person("auxiliary", sid, leader.id, "officer", kind="auxiliary")
                       for _ in range(p.auxiliaries_per_squadron)]
                squadron = Squadron(sid, brigade, leader, teams, aux, tuple(grids))
                for person in [leader, *squadron.members, *aux]:
                    person.squadron = squadron
                brigade.squadrons.append(squadron)
            self.brigades.append(brigade)
        if len(self.grids) > MAX_POST_GRIDS:
            # the bureau's own staff hold posts over every grid, and a post lists at most 1,000
            raise ValueError(f"a city of {len(self.grids):,} grids is larger than a post can "
                             f"cover ({MAX_POST_GRIDS:,}): use fewer brigades or squadrons")
        for person in self.people.values():
            grids = self._grids_of(person)
            person.posts.append(Post(f"POST-{person.id}", self.golive, grids))
        # parties: repeat players sized to the expected caseload of a grid
        per_grid = max(1.0, self.expected_cases() / max(1, len(self.grids)))
        scale = max(1.0, per_grid / 30)
        for grid in self.grids.values():
            grid.vendors = [self.new_party("individual", "vendor", grid, rng=rng)
                            for _ in range(int(8 * scale))]
            grid.shops = [self.new_party("organisation", "shop", grid, rng=rng)
                          for _ in range(int(6 * scale))]
            grid.companies = [self.new_party("organisation", "company", grid, rng=rng)
                              for _ in range(max(1, int(2 * scale)))]

    def _grids_of(self, person: Person) -> tuple[str, ...]:
        if person.team is not None:
            return person.team.grids
        if person.squadron is not None:
            return person.squadron.grids
        for b in self.brigades:
            if person.unit_id == b.id:
                return tuple(g for s in b.squadrons for g in s.grids)
        return tuple(self.grids)

    # -- views ---------------------------------------------------------------------------------
    @property
    def squadrons(self) -> list[Squadron]:
        return [s for b in self.brigades for s in b.squadrons]

    @property
    def officers(self) -> list[Person]:
        """Team members who lead cases."""
        return [m for s in self.squadrons for m in s.members]

    def expected_cases(self) -> float:
        p = self.params
        members = p.brigades * p.squadrons_per_brigade * p.officers_per_squadron
        return members * p.days * 5 / 7 * p.cases_per_officer_day

    def grid_of(self, grid_id: str) -> Grid:
        return self.grids[grid_id]

