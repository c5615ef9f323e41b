"""Oversight around the cases: patrols, special campaigns, dispatch orders, complaints and
their handling, supervision notices (督办) with the units' answers, and — through
:class:`~ledger.synth.discipline.Discipline` — flags confirmed and formal warnings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from . import seeded
from .discipline import Discipline
from .plan import Slot
from .timeline import Step, Timeline, at, next_wd, wd_after
from .truth import Truth
from .world import Person, Squadron, World

#: what a supervision notice can be about: (issue, the unit's action)
NOTICE_ISSUES = (
    ("执法记录仪未全程开启、部分视频未按时上传", "开展执法记录仪使用专项培训，每日下班前检查上传"),
    ("案卷归档不及时", "建立归档周报制度"),
    ("当场收缴罚款未按期交至机关", "现金收缴实行日清日结，财务每日对账"),
    ("简易程序案件未按时报备", "指定专人每日报备简易程序决定书"),
    ("12345投诉反馈不及时", "投诉件实行台账管理，逐件销号"),
)
#: how each notice goes: on time, sent back and answered again, and three planted (RF27)
NOTICE_MODES = ("on_time", "resubmitted")
PLANTED_NOTICES = {"late": "supervision_answered_late", "unanswered": "supervision_unanswered",
                   "not_resubmitted": "supervision_not_resubmitted"}


class Oversight:
    def __init__(self, world: World, timeline: Timeline, truth: Truth) -> None:
        self.w = world
        self.tl = timeline
        self.truth = truth
        self.rng = seeded.rng(world.seed, "oversight")
        self._complaints = 0
        self._orders = 0
        self._notices = 0
        self.discipline = Discipline(world, timeline)

    # -- patrols -------------------------------------------------------------------------------
    def patrols(self, day: date) -> None:
        p, rng = self.w.params, self.rng
        for squadron in self.w.squadrons:
            if rng.random() >= p.patrol_probability:
                continue
            team = rng.choice([t for t in squadron.teams if t.on_duty(day, p.start)] or
                              squadron.teams)
            lead = team.members[0]
            officers = [m.ref(day) for m in team.members]
            officers += [a.ref(day) for a in squadron.auxiliaries[:1]]
            pid = f"PT-{squadron.id}-{day:%Y%m%d}"
            start = at(day, 20 if team.shift == "night" else 8, rng.randrange(30, 59))
            stream = f"unit:{squadron.id}"
            grids = list(lead.grids_on(day))
            grid = self.w.grid_of(grids[0])
            self.tl.add(stream, "PatrolStarted", start, {
                "patrol_id": pid, "officers": officers, "grid_ids": grids,
                "device_id": f"PDA-{lead.id}",
                "location": {"lat_e6": grid.lat_e6, "lon_e6": grid.lon_e6, "grid_id": grid.id}},
                f"pda:{lead.id}", posted=start + timedelta(seconds=rng.randrange(2, 40)))
            end = start + timedelta(hours=2, minutes=rng.randrange(0, 90))
            self.tl.add(stream, "PatrolEnded", end, {
                "patrol_id": pid, "officers": officers,
                "distance_m": rng.randrange(2_500, 11_000),
                "track_sha256": seeded.digest(self.w.seed, pid)},
                f"pda:{lead.id}", posted=end + timedelta(seconds=rng.randrange(2, 40)))

    # -- campaigns and dispatch ----------------------------------------------------------------
    def campaign(self, campaign: dict[str, Any]) -> None:
        brigade, squadron = campaign["brigade"], campaign["squadron"]
        start: date = campaign["from"]
        declared = at(start - timedelta(days=4), 15)
        self.tl.add(f"unit:{brigade.id}", "CampaignDeclared", declared, {
            "campaign_id": f"CP-{self.w.tag}-{start:%Y%m}-{brigade.id[-2:]}",
            "title": "占道经营、店外经营专项整治", "unit_ids": [squadron.id],
            "violation_codes": ["STALL_SH", "OUTDOOR_BIZ_SH"],
            "window_from": start.isoformat(), "window_until": campaign["until"].isoformat(),
            "approved_by": brigade.head.id,
            "approval_id": f"AP-{self.w.tag}-CP-{start:%Y%m}-{brigade.id[-2:]}"},
            f"sup:{brigade.head.id}")

    def dispatch(self, slot: Slot, when: datetime, complaint_id: str | None) -> str:
        self._orders += 1
        order = f"DO-{self.w.tag}-{when:%Y%m%d}-{self._orders:04d}"
        body: dict[str, Any] = {
            "order_id": order, "officers": [slot.lead.id, slot.partner.id],
            "grid_ids": [slot.grid.id],
            "location": {"lat_e6": slot.party.lat_e6, "lon_e6": slot.party.lon_e6,
                         "grid_id": slot.grid.id},
            "window_from": when.isoformat(),
            "window_until": (when + timedelta(hours=4)).isoformat(),
            "reason": "hotline_12345", "issued_by": slot.squadron.leader.id}
        if complaint_id:
            body["complaint_id"] = complaint_id
        self.tl.add(f"unit:{slot.squadron.id}", "DispatchOrderIssued", when, body, "case-app",
                    posted=when + timedelta(seconds=3))
        return order

    def hotline_id(self, day: date) -> str:
        self._complaints += 1
        return f"{self.w.tag}-C-{day.year}-{self._complaints:05d}"

    # -- complaints ----------------------------------------------------------------------------
    def complaint(self, slot: Slot, case_id: str, spec: dict[str, Any]) -> None:
        """A complaint about ``slot``'s case. ``spec``: category, mode (normal | unanswered |
        overdue | conflicted), entry (ground truth, optional), after (days after the case)."""
        rng, w = self.rng, self.w
        day = slot.day + timedelta(days=spec.get("after", rng.randrange(1, 12)))
        cid = self.hotline_id(day)
        stream = f"complaint:{cid}"
        received = at(day, rng.randrange(9, 18), rng.randrange(60))
        accused = [slot.lead.id]
        step = self.tl.add(stream, "ComplaintReceived", received, {
            "channel": rng.choice(["hotline_12345", "hotline_12345", "online", "letter", "visit"]),
            "category": spec["category"], "unit_id": slot.squadron.id,
            "accused_officers": accused, "case_id": case_id, "complainant_ref": slot.party.ref,
            "content_sha256": seeded.digest(w.seed, cid)}, "complaints",
            posted=received + timedelta(seconds=5))
        entry = spec.get("entry")
        if entry is not None:
            entry["event_ids"].append(step.event_id)
            if entry["scope"] == "case":          # one complaint about one case
                entry["subject"]["complaint"] = cid
                entry["subject"]["case"] = case_id
        mode = spec.get("mode", "normal")
        if mode == "unanswered":
            return
        handler = self._handler(slot.lead)
        ack = received + timedelta(days=rng.randrange(1, 8), hours=rng.randrange(0, 5))
        self.tl.add(stream, "ComplaintAcknowledged", ack, {
            # in writing (XFGZ 第23条第2款, RF23.a): a phone call was one of the four, the same
            # draw keeps the rest of the city as it was
            "method": rng.choice(["sms", "written", "written", "online"]),
            "acknowledged_by": handler.id, "accepted": True}, "complaints")
        close_days = rng.randrange(15, 50)
        if mode == "overdue":
            close_days = rng.randrange(70, 85)
        elif mode == "normal" and rng.random() < 0.15:
            close_days = rng.randrange(62, 85)
            ext = received + timedelta(days=rng.randrange(45, 58))
            head = slot.squadron.brigade.head
            self.tl.add(stream, "ComplaintExtended", ext, {
                "days": 30, "approved_by": head.id,
                "reason": "需调取执法记录仪视频并约谈相关人员核实"}, f"sup:{head.id}")
        if mode == "conflicted":
            handler = slot.squadron.leader
        # overdue: counted from acceptance (XFGZ 第34条), past any holiday the 60th day rolls over
        closed = ((ack if mode == "overdue" else received)
                  + timedelta(days=close_days, hours=rng.randrange(0, 6)))
        step = self.tl.add(stream, "ComplaintClosed", closed, {
            "handler": handler.id,
            "outcome": spec.get("outcome") or rng.choice(
                ["unsubstantiated", "unsubstantiated", "partly_substantiated", "substantiated"]),
            "disciplinary_referral": False, "result_sha256": seeded.digest(w.seed, cid + "/r")},
            "complaints")
        if entry is not None and mode in ("overdue", "conflicted"):
            entry["event_ids"].append(step.event_id)

    def _handler(self, accused: Person) -> Person:
        """A bureau complaints handler: never the accused nor their superior (RF23.c)."""
        return self.rng.choice(self.w.handlers)

    # -- supervision ---------------------------------------------------------------------------
    def supervisions(self, *, plant: bool) -> None:
        """Notices to squadrons spread over the period: answered on time and accepted; sent
        back and answered again in time; and, when ``plant``, one answered late, one never
        answered, one sent back and never resubmitted (RF27.a/b, in the ground truth)."""
        p, squadrons = self.w.params, self.w.squadrons
        modes = list(NOTICE_MODES) + (list(PLANTED_NOTICES) if plant else [])
        for i, mode in enumerate(modes):
            day = next_wd(p.start + timedelta(days=p.days * (i + 2) // (len(modes) + 3)))
            self.supervision(squadrons[i % len(squadrons)], day, mode)

    def supervision(self, squadron: Squadron, day: date, mode: str = "on_time") -> None:
        w, rng = self.w, self.rng
        self._notices += 1
        nid = f"SN-{w.tag}-{day:%Y%m%d}-{self._notices:02d}"
        stream = f"supervision:{nid}"
        issues = rng.sample(NOTICE_ISSUES, 2)
        respond_by = day + timedelta(days=20)
        notice = self.tl.add(stream, "SupervisionNoticeIssued", at(day, 10), {
            "to_unit_id": squadron.id, "issued_by": w.inspector,
            "issues": [{"issue_id": str(n), "description": text}
                       for n, (text, _) in enumerate(issues, 1)],
            "respond_by": respond_by.isoformat()}, "inspector")
        entry = None
        if mode in PLANTED_NOTICES:
            entry = self.truth.entry(PLANTED_NOTICES[mode], unit=squadron.id, supervision=nid)
            entry["event_ids"].append(notice.event_id)
        if mode == "unanswered":
            return
        head = squadron.brigade.head
        if mode == "late":
            answered = at(respond_by + timedelta(days=rng.randrange(4, 10)), 15)
        else:
            answered = at(day + timedelta(days=rng.randrange(8, 16)), 15)
        feedback = self._feedback(stream, nid, answered, head, issues)
        if entry is not None and mode == "late":
            entry["event_ids"].append(feedback.event_id)
        if mode in ("resubmitted", "not_resubmitted"):
            sent_back = self.tl.add(stream, "SupervisionFeedbackAccepted",
                                    answered + timedelta(days=rng.randrange(3, 6)), {
                                        "accepted_by": w.inspector, "result": "rejected_resubmit",
                                        "comment": "整改措施不具体，请补充整改时限和责任人后重新报送"},
                                    "inspector")
            if entry is not None:
                entry["event_ids"].append(sent_back.event_id)
                return
            again = at(wd_after(sent_back.posted.date(), rng.randrange(3, 7)), 15)
            answered = self._feedback(stream, nid + "/2", again, head, issues).posted
        self.tl.add(stream, "SupervisionFeedbackAccepted",
                    answered + timedelta(days=rng.randrange(3, 6)),
                    {"accepted_by": w.inspector, "result": "accepted"}, "inspector")

    def _feedback(self, stream: str, ref: str, when: datetime, head: Person,
                  issues: list[tuple[str, str]]) -> Step:
        return self.tl.add(stream, "SupervisionFeedbackSubmitted", when, {
            "submitted_by": head.id,
            "responses": [{"issue_id": str(n), "action": action,
                           "status": "rectified" if n == 1 else "in_progress"}
                          for n, (_, action) in enumerate(issues, 1)],
            "document_sha256": seeded.digest(self.w.seed, ref + "/feedback")}, f"sup:{head.id}")
