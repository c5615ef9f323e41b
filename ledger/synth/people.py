"""Configuration facts and people: what is published before the first case, and the personnel
events of the period (certificate renewals and expiries, suspensions, reassignments, each
year's integrity pledges signed layer by layer and countersigned).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Callable

from ..domain.calendar import OFFICIAL_SCHEDULES
from ..domain.params import PARAMS, fine_schedule_body
from . import fines, seeded
from .keyring import KeyRing
from .params import TAIL_DAYS
from .timeline import Step, Timeline, at
from .truth import Truth
from .world import Cert, Person, Post, World

JURISDICTION = "上海市示范区 (synthetic)"
AREAS = ["市容环境卫生", "城市道路", "生活垃圾分类", "户外广告"]
#: when each year's holiday notice was announced (国务院办公厅通知)
ANNOUNCED = {2024: date(2023, 10, 25), 2025: date(2024, 11, 12), 2026: date(2025, 11, 4)}


class People:
    def __init__(self, world: World, keys: KeyRing, timeline: Timeline, truth: Truth) -> None:
        self.w = world
        self.keys = keys
        self.tl = timeline
        self.truth = truth
        self.rng = seeded.rng(world.seed, "people")
        self.horizon = world.params.end + timedelta(days=TAIL_DAYS)
        self.relationships: list[tuple[Person, Any, str, dict[str, Any] | None]] = []
        self.pledge_ids: dict[tuple[str, int], str] = {}     # (person, year) -> event id

    # -- keys of people ------------------------------------------------------------------------
    def register_keys(self) -> None:
        w, k = self.w, self.keys
        for name in ("config", "hr", "case-app", "finance", "treasury", "complaints", "inspector"):
            k.system(name, w.tag)
        for person in self.supervisors():
            k.personal("sup", person.id)
        for b in w.brigades:
            for reviewer in b.legal:
                k.personal("legal", reviewer.id)
            for s in b.squadrons:
                for m in s.members:
                    k.personal("pda", m.id)
                    k.personal("bodycam", m.id)
                for a in s.auxiliaries:
                    k.personal("pda", a.id)

    def supervisors(self) -> list[Person]:
        w = self.w
        out = [w.head]
        for b in w.brigades:
            out += [b.head, b.deputy] + [s.leader for s in b.squadrons]
        return out

    # -- configuration -------------------------------------------------------------------------
    @property
    def import_until(self) -> datetime:
        """The end of the generated history (00:00 CST after the horizon): every event of the
        city occurs before it."""
        return at(self.horizon + timedelta(days=1))

    def import_declaration(self) -> Step:
        """The go-live declaration (docs/red-flags.md, "Parameters"): the whole generated
        history is imported when it is loaded, so RF08.a does not judge its recording delays.
        Declared at the end of the history, it is valid once recorded after that instant (a
        load now), and ignored by the engine when recorded before it."""
        until = self.import_until
        body = {"parameters_version": f"{self.w.tag}-historical-import-1",
                "jurisdiction": JURISDICTION, "effective_from": until.date().isoformat(),
                "parameters": [{
                    "name": "historical_import_until", "value": int(until.timestamp()) // 60,
                    "unit": "minutes",
                    "basis": f"go-live: records of events before {until.isoformat()} are "
                             "imported from the former case system (minutes since "
                             "1970-01-01T00:00Z)"}]}
        return self.tl.make("config:historical-import", "LegalParametersPublished", until, body,
                            "config")

    def _unit_list(self, unit: str, name: str, type_: str, minute: int, field: str,
                   values: Any, effective: str, title: str) -> Step:
        """A squadron's published list (``config:<name>-<unit>``), before the people."""
        day = self.w.golive - timedelta(days=10)
        return self.tl.make(
            f"config:{name}-{unit}", type_, at(day, 10, minute),
            {"unit_id": unit, field: list(values), "effective_from": effective,
             "source": f"{JURISDICTION} 城管执法中队{title} (synthetic)",
             "document_sha256": seeded.digest(self.w.seed, f"{name}-{unit}")}, "config")

    def config_steps(self) -> list[Step]:
        """Configuration, published before the people: the import declaration first."""
        w, tl = self.w, self.tl
        day = w.golive - timedelta(days=10)
        effective = date(day.year, 1, 1).isoformat()
        steps = [self.import_declaration(),
                 tl.make("config:fine-schedule", "FineSchedulePublished", at(day, 9),
                         fine_schedule_body(effective_from=effective), "config")]
        steps.append(tl.make("config:benchmarks", "DiscretionBenchmarkPublished", at(day, 9, 30), {
            "benchmark_table_id": fines.BENCHMARK_TABLE_ID, "jurisdiction": JURISDICTION,
            "effective_from": effective, "effective_until": None,
            "document_sha256": seeded.digest(w.seed, "benchmarks"),
            "entries": fines.benchmark_entries()}, "config"))
        hearing = fines.HEARING_THRESHOLD
        params = replace(PARAMS, hearing_threshold_individual_fen=hearing["individual"],
                         hearing_threshold_organisation_fen=hearing["organisation"])
        body = params.published_body(jurisdiction=JURISDICTION, effective_from=effective)
        body["parameters_version"] = f"{w.tag}-{params.version}"
        body["parameters"] += [
            {"name": f"major_decision_threshold_{pt}_fen", "value": v, "unit": "fen",
             "basis": "local 重大执法决定目录 (synthetic): legal review and collective discussion"}
            for pt, v in fines.MAJOR_THRESHOLD.items()]
        steps.append(tl.make("config:legal-parameters", "LegalParametersPublished",
                             at(day, 10), body, "config"))
        if w.params.detection:
            detection = {
                "parameters_version": f"{w.tag}-detection-1", "jurisdiction": JURISDICTION,
                "effective_from": effective, "parameters": [
                    {"name": name, "value": value, "unit": "count",
                     "basis": "local sample-size minimum for statistical red flags, sized for "
                              "a small city (synthetic)"}
                    for name, value in sorted(w.params.detection.items())]}
            steps.append(tl.make("config:detection-thresholds", "LegalParametersPublished",
                                 at(day, 10, 15), detection, "config"))
        for brigade in w.brigades:
            for squadron in brigade.squadrons:
                # each squadron's territory, its teams' grids (RF21.b), and power list (RF21.c)
                steps += [self._unit_list(
                    squadron.id, name, type_, minute, field, values, effective, title)
                    for name, type_, minute, field, values, title in (
                        ("territory", "UnitTerritoryPublished", 20, "grid_ids",
                         squadron.grids, "管辖区域划分"),
                        ("powers", "PowerListPublished", 25, "violation_codes",
                         fines.POWER_LIST, "行政处罚权力清单"))]
        for year, schedule in sorted(OFFICIAL_SCHEDULES.items()):
            announced = ANNOUNCED.get(year, date(year - 1, 11, 1))
            cal = {**schedule.published_body(),
                   "document_sha256": seeded.digest(w.seed, f"calendar-{year}")}
            if announced <= day:
                steps.append(tl.make("config:calendar", "WorkingCalendarPublished",
                                     at(day, 10, 30), cal, "config"))
            elif announced <= self.horizon:
                self.tl.add("config:calendar", "WorkingCalendarPublished", at(announced, 16), cal,
                            "config")
        return steps

    # -- people --------------------------------------------------------------------------------
    def people_steps(self) -> list[Step]:
        w, tl = self.w, self.tl
        steps: list[Step] = []
        for person in w.people.values():
            stream = f"officer:{person.id}"
            if person.kind == "officer":
                cert = person.certs[0]
                steps.append(tl.make(stream, "OfficerCredentialIssued",
                                     at(cert.valid_from, 9), self._cert_body(person, cert), "hr"))
            else:
                steps.append(tl.make(stream, "AuxiliaryStaffRegistered", at(w.golive, 9), {
                    "unit_id": person.unit_id,
                    "engaged_from": (w.golive - timedelta(days=self.rng.randrange(30, 700)))
                    .isoformat(), "duties": ["patrol_assist", "persuasion",
                                             "information_collection"]}, "hr"))
            steps.append(tl.make(stream, "PostAssigned", at(w.golive, 9, 30),
                                 self._post_body(person, person.posts[0]), "hr"))
        for person, party, relation, entry in self.relationships:
            step = tl.make(f"officer:{person.id}", "RelationshipDeclared",
                           at(w.golive + timedelta(days=30), 11),
                           {"party_ref": party.ref, "relation": relation,
                            "note": "本人申报"}, "hr")
            steps.append(step)
            if entry is not None:
                entry["event_ids"].append(step.event_id)
        for year in range(w.golive.year, self.horizon.year + 1):
            if date(year, 1, 5) > self.horizon:
                break
            in_people_phase = max(date(year, 1, 1), w.golive) < w.params.start
            steps.extend(self._pledges(year, tl.make if in_people_phase else tl.add))
        steps.sort(key=lambda s: (s.posted, s.seq))
        return steps

    def _cert_body(self, person: Person, cert: Cert) -> dict[str, Any]:
        return {"cert_no": cert.cert_no, "credential_type": "administrative_enforcement",
                "issuing_authority": "上海市人民政府", "unit_id": person.unit_id,
                "valid_from": cert.valid_from.isoformat(),
                "valid_until": cert.valid_until.isoformat(), "enforcement_areas": AREAS[:3]}

    def _post_body(self, person: Person, post: Post) -> dict[str, Any]:
        body: dict[str, Any] = {
            "post_id": post.post_id, "unit_id": person.unit_id, "grid_ids": list(post.grids),
            "role": person.role, "window_from": at(post.since).isoformat(timespec="seconds"),
            "window_until": None}
        if person.team is not None or person.kind == "auxiliary":
            body["shift"] = person.shift if person.team is not None else "day"
        if person.superior:
            body["superior_officer_id"] = person.superior
        return body

    # -- integrity pledges (层层签订) -------------------------------------------------------------
    def _pledge_plan(self, person: Person) -> tuple[str, str]:
        """(countersigner level, signing key of the countersignature) of ``person``'s pledge."""
        superior = self.w.people.get(person.superior or "")
        if superior is None:
            return "higher_authority", "hr"
        key = f"sup:{superior.id}" if f"sup:{superior.id}" in self._key_names() else "hr"
        if superior.role == "squadron_leader":
            return "squadron", key
        return "unit", key

    def _key_names(self) -> set[str]:
        return {info.name for info in self.keys}

    def _pledges(self, year: int, emit: Callable[..., Step]) -> list[Step]:
        """The pledges of ``year``, layer by layer; ``emit`` is ``Timeline.make`` (people
        phase: returned for immediate output) or ``Timeline.add`` (scheduled in the period)."""
        w = self.w
        period_from = max(date(year, 1, 1), w.golive)
        order = {"unit_head": 0, "squadron_leader": 1, "legal_reviewer": 1}
        people = sorted(w.people.values(), key=lambda p: (order.get(p.role, 2),
                                                          0 if p.unit_id == w.bureau_id else 1))
        steps = []
        for i, person in enumerate(people):
            if person.pledge_until is not None and person.pledge_until < period_from:
                continue
            until = date(year, 12, 31)
            if person.pledge_until is not None and person.pledge_until < until:
                until = person.pledge_until
            signed = at(period_from + timedelta(days=4 + order.get(person.role, 2)), 9,
                        (i * 7) % 60)
            pid = f"PL-{year}-{person.id}"
            doc = seeded.digest(w.seed, pid)
            step = emit(f"pledge:{pid}", "IntegrityPledgeSigned", signed, {
                "officer_id": person.id, "unit_id": person.unit_id, "level": person.level,
                "superior_officer_id": person.superior, "period_from": period_from.isoformat(),
                "period_until": until.isoformat(), "document_sha256": doc}, "hr")
            steps.append(step)
            self.pledge_ids[(person.id, year)] = step.event_id
            if person.pledge_uncountersigned:
                continue
            level, key = self._pledge_plan(person)
            counter = emit(f"pledge:{pid}", "IntegrityPledgeCountersigned",
                           signed + timedelta(days=1, hours=1), {
                                     "officer_id": person.id,
                                     "countersigned_by": person.superior or w.government,
                                     "countersigner_level": level,
                                     "top_of_chain": level != "squadron",
                                     "document_sha256": doc}, key)
            steps.append(counter)
        return steps if emit == self.tl.make else []

    # -- the period: renewals, expiries, suspensions, reassignments ------------------------------
    def plan_renewals(self, *, unrenewed: set[str]) -> None:
        """Give every officer whose certificate ends before the horizon a renewed one (issued
        20 days before the old one ends), except those in ``unrenewed``."""
        for person in self.w.people.values():
            if person.kind != "officer" or person.id in unrenewed:
                continue
            while person.certs[-1].valid_until < self.horizon:
                old = person.certs[-1]
                person.certs.append(self.w.new_cert(old.valid_until - timedelta(days=20)))

    def schedule_hr(self) -> None:
        """Credential events of the period (renewals, expiries) into the timeline."""
        for person in self.w.people.values():
            if person.kind != "officer":
                continue
            stream = f"officer:{person.id}"
            for old, new in zip(person.certs, person.certs[1:]):
                self.tl.add(stream, "OfficerCredentialIssued", at(new.valid_from, 9),
                            self._cert_body(person, new), "hr")
                self.expire(person, old, "term_ended")

    def expire(self, person: Person, cert: Cert, reason: str,
               entry: dict[str, Any] | None = None) -> None:
        if cert.valid_until > self.horizon:
            return
        step = self.tl.add(f"officer:{person.id}", "OfficerCredentialExpired",
                           at(cert.valid_until, 23, 59, 59),
                           {"cert_no": cert.cert_no,
                            "effective_at": at(cert.valid_until, 23, 59, 59).isoformat(),
                            "reason": reason}, "hr", posted=at(cert.valid_until + timedelta(days=1),
                                                               8, 30))
        if entry is not None:
            entry["event_ids"].append(step.event_id)

    def suspend(self, person: Person, when: datetime, until: date,
                entry: dict[str, Any] | None) -> None:
        step = self.tl.add(f"officer:{person.id}", "OfficerCredentialSuspended", when, {
            "cert_no": person.cert_on(when.date()).cert_no,   # type: ignore[union-attr]
            "effective_at": when.isoformat(), "reason": "disciplinary_investigation",
            "reason_text": "因群众举报立案调查，暂扣执法证", "until": until.isoformat()}, "hr")
        if entry is not None:
            entry["event_ids"].append(step.event_id)

    def reassign(self, person: Person, since: date, grids: tuple[str, ...]) -> None:
        post = Post(f"POST-{person.id}-{since:%Y%m%d}", since, grids)
        person.posts.append(post)
        key = f"sup:{person.superior}" if person.superior and \
            f"sup:{person.superior}" in self._key_names() else "hr"
        self.tl.add(f"officer:{person.id}", "PostAssigned", at(since - timedelta(days=2), 16),
                    self._post_body(person, post), key)
