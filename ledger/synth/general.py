"""The general procedure (一般程序), for ``Cases``: investigation, notice and the party's rights,
hearing, review, decision, service, publication."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import fines, seeded
from .timeline import CAL, at, next_wd, wd_after

if TYPE_CHECKING:
    from .cases import CaseBuilder
    from .plan import Slot
    from .world import Person


class GeneralProcedure:
    """Mixin of :class:`Cases`: a case filed, investigated and decided by a head."""

    def general(self, b: CaseBuilder, slot: Slot, amount: fines.Amount) -> None:
        rng, x, party = self.rng, slot.x, slot.party
        day, t = slot.day, slot.when
        brigade = slot.squadron.brigade
        head = rng.choice([brigade.head, brigade.head, brigade.deputy])
        reviewer, presider = brigade.legal[0], brigade.legal[-1]
        officers = self.refs(slot, day)
        pda = f"pda:{slot.lead.id}"
        m = timedelta(minutes=1)
        source = "hotline_12345" if slot.dispatch else \
            rng.choice(("patrol", "patrol", "inspection"))
        complaint_id = None
        if slot.dispatch:
            complaint_id = self.ov.hotline_id(day)
            self.ov.dispatch(slot, t - 40 * m, complaint_id)
        violation_at = t - timedelta(hours=rng.randrange(1, 30))
        if party.last_decided is not None and party.last_decided < t:
            violation_at = max(violation_at, party.last_decided + timedelta(minutes=30))
        if x.get("timing") == "time_barred":
            violation_at = t - timedelta(days=2 * 365 + rng.randrange(40, 200))
        clue: dict[str, Any] = {
            "clue_id": f"CL-{b.case_id}", "source": source, "unit_id": slot.squadron.id,
            "violation_code": slot.code, "location": self.geo(slot),
            "summary": fines.CLUE.get(slot.code, "发现涉嫌违法行为")}
        if complaint_id:
            clue["complaint_id"] = complaint_id
        b.add("ClueRegistered", t, "complaints" if slot.dispatch else pda, clue)
        b.add("CaseFiled", t + 15 * m, "case-app", {
            "filing_no": f"沪{self.w.tag}城管立〔{day.year}〕第{self._next(f'fil{day.year}')}号",
            "procedure": "general", "unit_id": slot.squadron.id, "officers": officers,
            "parties": [party.as_party()], "violation_code": slot.code,
            "violation_occurred_at": violation_at.isoformat(), "approved_by": head.id,
            "location": self.geo(slot)})
        b.add("InspectionPerformed", t + 20 * m, pda, {
            "inspection_id": f"IN-{b.case_id}-1", "kind": "site_inspection",
            "officers": officers, "findings": "violation_found",
            "record_sha256": seeded.digest(self.seed, f"IN-{b.case_id}"),
            "location": self.geo(slot)})
        evidence = x.get("evidence")
        if evidence not in ("after", "backdated"):
            self.photo(b, slot, 2, t + 5 * m, t + 22 * m, officers)
            self.video(b, slot, 1, t + 1 * m, t + 35 * m, officers)
        refusal = slot.code in fines.NEEDS_REFUSAL
        deadline = wd_after(day, rng.randrange(3, 6)) if refusal else None
        rect_id = None
        if slot.rectification:
            rect_id = b.add("RectificationOrdered", t + 30 * m, pda, {
                "party_ref": party.ref, "order_no": f"沪{self.w.tag}城管责改〔{day.year}〕"
                                                     f"{b.case_id[-6:]}号",
                "requirement": fines.REQUIREMENT.get(slot.code, "限期改正违法行为"),
                "deadline": at(deadline, 17).isoformat() if deadline else None,
                "officers": officers, "legal_basis": fines.legal_basis(slot.code)})
        if slot.seizure == "preservation_overdue" or (slot.code == "ADVERT_SH" and
                                                      rng.random() < 0.25):
            self.preservation(b, slot, t + 40 * m, officers, head,
                              overdue=slot.seizure == "preservation_overdue")
        check = wd_after(deadline or day, 1)
        if slot.rectification:
            b.add("RectificationVerified", at(check, 10, rng.randrange(60)), pda, {
                "result": ("refused" if rng.random() < 0.5 else "not_rectified") if refusal
                else "rectified", "officers": self.refs(slot, check), "order_event_id": rect_id})
        concluded = wd_after(check, rng.randrange(3, 10))
        clean = not x and slot.kind is None and slot.scenario is None
        if clean and rng.random() < 0.03:          # facts not established: no penalty
            b.add("InvestigationConcluded", at(concluded, 16), "case-app", {
                "finding": "facts_not_established", "officers": self.refs(slot, concluded),
                "report_sha256": seeded.digest(self.seed, f"IC-{b.case_id}"),
                "summary": "现有证据不足以认定违法事实"})
            done = wd_after(concluded, rng.randrange(2, 5))
            b.add("NoPenaltyDecided", at(done, 11), f"sup:{head.id}", {
                "ground": "facts_not_established", "legal_basis": "APL 第57条(三)",
                "decided_by": [head.id], "education_recorded": False})
            b.add("CaseClosed", at(wd_after(done, 1), 11), "case-app", {
                "outcome": "not_penalised", "closed_by": slot.lead.id, "approved_by": head.id})
            return
        b.add("InvestigationConcluded", at(concluded, 16), "case-app", {
            "finding": "violation_established", "officers": self.refs(slot, concluded),
            "report_sha256": seeded.digest(self.seed, f"IC-{b.case_id}"),
            "summary": "违法事实清楚，证据确凿"})
        step_day = wd_after(concluded, 1)
        tier, band = amount.tier, amount.band
        if x.get("benchmark") is not False:
            applied = x.get("applied_tier", tier)
            band = fines.tiers(slot.code, party.ptype).get(applied, band)
            b.add("BenchmarkApplied", at(step_day, 10), f"legal:{reviewer.id}", {
                "benchmark_table_id": fines.BENCHMARK_TABLE_ID, "violation_code": slot.code,
                "tier": applied, "band": {"min_fen": band[0], "max_fen": band[1]},
                "circumstances": [rng.choice(["首次违法", "及时配合", "影响市容较轻", "整改不力"])]})
        ptype = party.ptype
        final = amount.amount_fen
        floor = band[0]                       # an accepted defence lowers within the tier
        if clean and tier != "minor" and rng.random() < 0.04:
            # mitigation below the tier, approved by the head (GBF2022_27): RF16 stays quiet
            final = fines.round_in(band[0] - (band[1] - band[0]) // 5,
                                   fines.statutory(slot.code, ptype)[0], band[0])
            floor = final                     # the approved amount is the amount
            b.add("DeviationApproved", at(step_day, 15), f"sup:{head.id}", {
                "benchmark_table_id": fines.BENCHMARK_TABLE_ID, "tier": tier,
                "proposed_amount_fen": final, "reason": "当事人主动消除违法后果，依法减轻处罚",
                "approval_id": self.approval(), "approved_by": head.id,
                "approval_form": "agency_head"})
        proposed = final
        response = x.get("response")
        rushed = response == "rushed"
        if response == "heavier":     # notice low in the band, decision high in the same band
            lo, hi = band
            proposed = fines.round_in(lo + (hi - lo) * 3 // 10, lo, hi)
            final = max(proposed + 1000, fines.round_in(lo + (hi - lo) * 8 // 10, lo, hi))
        eligible = proposed >= fines.HEARING_THRESHOLD[ptype]
        notice_day = wd_after(step_day, rng.randrange(1, 3))
        if response != "no_notice":
            b.add("PenaltyNoticeServed", at(notice_day, 10, rng.randrange(60)), "case-app", {
                "notice_no": f"沪{self.w.tag}城管告〔{day.year}〕第{self._next(f'not{day.year}')}号",
                "party_ref": party.ref, "violation_code": slot.code,
                "legal_basis": fines.legal_basis(slot.code), "proposed_penalty_types": ["fine"],
                "proposed_amount_fen": proposed,
                "rights_notified": ["statement", "defence"] + (["hearing"] if eligible else []),
                "hearing_eligible": eligible, "officers": self.refs(slot, notice_day),
                "service_method": rng.choice(["in_person", "in_person", "post", "electronic"])})
        ready, hearing_held = self._rights(b, slot, notice_day, eligible, response, presider)
        if response != "heavier" and x.get("defence_accepted"):   # never heavier (APL 第45条)
            final = min(final, max(floor, final * 85 // 100 // 1000 * 1000))
        major = final >= fines.MAJOR_THRESHOLD[ptype] or hearing_held
        gap = (lambda: 0) if rushed else (lambda: rng.randrange(1, 3))
        if (eligible or major) and response != "hearing_no_review":
            ready = wd_after(ready, gap())
            unqualified = x.get("review") == "unqualified"
            b.add("LegalReviewCompleted", at(ready, 15), f"legal:{reviewer.id}", {
                "reviewer_id": reviewer.id, "reviewer_qualified": not unqualified,
                "result": "pass", "grounds": ["hearing_held"] if hearing_held else
                ["local_catalogue"], "opinion_sha256": seeded.digest(self.seed, f"LR-{b.case_id}")})
        if major and not rushed:
            ready = wd_after(ready, gap())
            b.add("CollectiveDiscussionHeld", at(ready, 14), f"sup:{brigade.head.id}", {
                "meeting_id": f"CD-{b.case_id}", "chaired_by": brigade.head.id,
                "participants": [brigade.head.id, brigade.deputy.id, reviewer.id],
                "conclusion": "penalise", "minutes_sha256": seeded.digest(self.seed,
                                                                          f"CD-{b.case_id}")})
        decided_day = wd_after(ready, 1)
        if x.get("timing") == "overdue":
            # past the 90-day deadline as the calendar counts it (a period ending on a holiday
            # rolls forward to the next working day)
            deadline = CAL.add_calendar_days(day, 90)
            decided_day = wd_after(deadline, rng.randrange(3, 15))
        elif (decided_day - day).days > 85 or (not rushed and rng.random() < 0.03):
            # a complex case: the head extends the 90-day period before it runs out (APL 第60条)
            b.add("ExtensionApproved", at(next_wd(day + timedelta(days=rng.randrange(60, 76))), 11),
                  f"sup:{brigade.head.id}", {
                      "days": 30, "approved_by": brigade.head.id, "approval_form": "agency_head",
                      "approval_id": self.approval(), "reason": "案情复杂，需补充调查取证"})
            decided_day = max(decided_day,
                              next_wd(day + timedelta(days=rng.randrange(92, 108))))
        if evidence == "after":
            later = at(decided_day + timedelta(days=2), 10, rng.randrange(60))
            self.photo(b, slot, 3, later, later + 5 * m, self.refs(slot, later.date()),
                       device_signed=False)
        decided = at(decided_day, rng.randrange(10, 16), rng.randrange(60))
        decision_no = self.decision_no(decided_day.year)
        deciders = [slot.lead.id] if x.get("decider") == "officer" else [head.id]
        decision: dict[str, Any] = {
            "decision_no": decision_no, "procedure": "general", "party": party.as_party(),
            "violation_code": slot.code, "legal_basis": fines.legal_basis(slot.code),
            "penalty_types": ["fine"], "amount_fen": final, "decided_by": deciders,
            "officers": self.refs(slot, decided_day), "payment_method": "designated_bank"}
        if x.get("benchmark") is not False:
            decision["benchmark_tier"] = x.get("applied_tier", tier)
        b.add("PenaltyDecided", decided, "case-app" if x.get("decider") == "officer"
              else f"sup:{head.id}", decision)
        party.fines.append(decided_day)
        party.last_decided = max(decided, party.last_decided or decided)
        party.pending[slot.code] = max(decided_day, party.pending.get(slot.code, decided_day))
        # service (送达): on the spot of the decision or within days by post
        present = rng.random() < 0.5 and x.get("timing") != "service_late"
        if x.get("timing") == "service_late":
            served_day = wd_after(decided_day, rng.randrange(10, 14))
        else:
            served_day = decided_day if present else wd_after(decided_day, rng.randrange(1, 5))
        served = at(served_day, 16 if present else 11, rng.randrange(60))
        b.add("DecisionServed", served, "case-app", {
            "decision_no": decision_no, "party_ref": party.ref,
            "method": "in_person" if present else rng.choice(["post", "electronic"]),
            "party_present": present, "refused_to_sign": False,
            "receipt_sha256": seeded.digest(self.seed, f"SD-{b.case_id}")})
        pub_wd = rng.randrange(11, 15) if x.get("timing") == "publication_late" else \
            rng.randrange(1, 6)
        pub_day = wd_after(decided_day, pub_wd)
        pub_ref = f"PUB-{self.w.tag}-{self._next('pub'):06d}"
        b.add("DecisionPublished", at(pub_day, 17), "case-app", {
            "decision_no": decision_no, "channel": rng.choice(["government_portal",
                                                               "agency_website"]),
            "publication_ref": pub_ref,
            "url": f"https://zfgs.example.gov.cn/{self.w.tag.lower()}/{pub_ref}"})
        amendment = x.get("amendment")
        if amendment == "self_withdrawal":
            w_day = wd_after(pub_day, rng.randrange(2, 5))
            b.add("PenaltyWithdrawn", at(w_day, 10), f"sup:{head.id}", {
                "decision_no": decision_no, "reason": "other", "reason_text": "当事人申请，酌情撤销",
                "approval_id": self.approval(), "approved_by": head.id,
                "approval_form": "agency_head", "refund_required": False})
            b.add("DecisionPublicationWithdrawn", at(wd_after(w_day, 1), 10), "case-app", {
                "decision_no": decision_no, "publication_ref": pub_ref,
                "reason": "decision_revoked"})
            b.add("CaseClosed", at(wd_after(w_day, 2), 11), "case-app", {
                "outcome": "withdrawn", "closed_by": slot.lead.id, "approved_by": head.id})
            return
        if amendment in ("revoked", "revoked_left_up"):
            self._revoked(b, slot, decision_no, pub_ref, pub_day, served_day,
                          left_up=amendment == "revoked_left_up")
            return
        if amendment == "unapproved":
            a_day = wd_after(served_day, rng.randrange(1, 3))
            reduced = final // 2 // 1000 * 1000
            a_day = max(a_day, wd_after(pub_day, 1))
            b.add("PenaltyAmended", at(a_day, 18, rng.randrange(60)), "case-app", {
                "decision_no": decision_no, "previous_amount_fen": final, "amount_fen": reduced,
                "penalty_types": ["fine"], "reason": "当事人经济困难"})
            b.add("DecisionPublicationWithdrawn", at(wd_after(a_day, 1), 10), "case-app", {
                "decision_no": decision_no, "publication_ref": pub_ref,
                "reason": "decision_changed"})
            served = max(served, at(wd_after(a_day, 1), 11))
            final = reduced
        if clean and final >= 2_000_000 and rng.random() < 0.3:
            settled = self._instalments(b, slot, final, decision_no, served, head)
        else:
            settled = self._bank(b, slot, final, decision_no, served, general=True)
        if settled is None:
            return
        close_day = wd_after(settled, rng.randrange(1, 4))
        b.add("CaseClosed", at(close_day, 11), "case-app", {
            "outcome": "paid", "closed_by": slot.lead.id, "approved_by": head.id})
        archived = close_day + timedelta(days=rng.randrange(5, 20))
        b.add("CaseArchived", at(archived, 15), "case-app", {
            "archive_no": f"AR-{b.case_id}", "manifest_sha256": seeded.digest(self.seed,
                                                                               f"AR-{b.case_id}"),
            "archived_by": slot.lead.id})
        if evidence == "backdated":
            # claims to have been captured (and recorded) the day before the case was filed,
            # but reaches the ledger only after the case was closed and archived
            captured = t - timedelta(days=1, hours=2)
            self.photo(b, slot, 3, captured, captured + 5 * m, officers, device_signed=False,
                       posted=at(archived + timedelta(days=rng.randrange(2, 6)), 16))

    def _revoked(self, b: CaseBuilder, slot: Slot, decision_no: str, pub_ref: str,
                 pub_day: date, served_day: date, *, left_up: bool) -> None:
        """The decision revoked on administrative reconsideration (行政复议撤销) before anything
        was paid, approved by collective discussion (RF20 stays quiet); the publication is taken
        down within the 3 working days of MOHURD55 第10条 — or, planted, left up (RF12.f)."""
        rng, brigade = self.rng, slot.squadron.brigade
        w_day = wd_after(max(pub_day, served_day), rng.randrange(2, 6))
        b.add("PenaltyWithdrawn", at(w_day, 10), f"sup:{brigade.head.id}", {
            "decision_no": decision_no, "reason": "reconsideration",
            "reason_text": "行政复议决定撤销原处罚决定", "approval_id": self.approval(),
            "approved_by": brigade.head.id, "approval_form": "collective_discussion",
            "refund_required": False})
        if not left_up:
            b.add("DecisionPublicationWithdrawn", at(wd_after(w_day, rng.randrange(1, 3)), 10),
                  "case-app", {"decision_no": decision_no, "publication_ref": pub_ref,
                               "reason": "decision_revoked"})
        b.add("CaseClosed", at(wd_after(w_day, 4), 11), "case-app", {
            "outcome": "withdrawn", "closed_by": slot.lead.id, "approved_by": brigade.head.id})

    def _rights(self, b: CaseBuilder, slot: Slot, notice_day: date, eligible: bool,
                response: str | None, presider: Person) -> tuple[date, bool]:
        """The party's statement, defence, waiver or hearing after the notice. Returns the day
        from which the case may be decided and whether a hearing was held."""
        rng, party, x = self.rng, slot.party, slot.x
        if response == "no_notice":
            return wd_after(notice_day, 1), False
        if response == "rushed":
            return wd_after(notice_day, 1), False   # decided 2 working days after
        wants_hearing = eligible and (x.get("hearing") or response in (
            "hearing_denied", "presider_conflict", "short_notice", "hearing_no_review")
            or (response is None and rng.random() < 0.45))
        if wants_hearing:
            req_day = wd_after(notice_day, rng.randrange(1, 5))
            b.add("HearingRequested", at(req_day, 11), "case-app", {
                "party_ref": party.ref, "requested_via": rng.choice(["written", "oral"])})
            if response == "hearing_denied":
                return wd_after(notice_day, 7), False
            sched_day = wd_after(req_day, 1)
            lead = 3 if response == "short_notice" else rng.randrange(8, 11)
            held_day = wd_after(sched_day, lead)
            hid = f"HR-{b.case_id}"
            who = slot.lead if response == "presider_conflict" else presider
            b.add("HearingScheduled", at(sched_day, 15), f"legal:{presider.id}", {
                "hearing_id": hid, "scheduled_for": at(held_day, 14).isoformat(),
                "presider_id": who.id, "public": True, "place": "执法局听证室"})
            b.add("HearingHeld", at(held_day, 14), f"legal:{presider.id}", {
                "hearing_id": hid, "presider_id": who.id,
                "investigators": self.refs(slot, held_day),
                "party_attended": True, "outcome": "completed",
                "record_sha256": seeded.digest(self.seed, hid), "record_signed_by_party": True})
            return wd_after(held_day, rng.randrange(1, 3)), True
        if response in ("defence_ignored", "heavier") or (response is None and rng.random() < .35):
            st_day = wd_after(notice_day, rng.randrange(1, 4))
            st = b.add("StatementReceived", at(st_day, 14), "case-app", {
                "party_ref": party.ref, "form": rng.choice(["written", "oral"]),
                "content_sha256": seeded.digest(self.seed, f"ST-{b.case_id}"),
                "new_facts_claimed": rng.random() < 0.3})
            ready = max(wd_after(st_day, 1), wd_after(notice_day, 6))
            if response == "defence_ignored":
                return ready, False
            review_day = wd_after(st_day, rng.randrange(1, 3))
            accepted = response is None and rng.random() < 0.3
            x["defence_accepted"] = accepted
            reviewer = slot.squadron.brigade.legal[0]
            b.add("DefenceReviewed", at(review_day, 16), f"legal:{reviewer.id}", {
                "reviewed_by": [reviewer.id],
                "outcome": "partly_accepted" if accepted else "rejected",
                "statement_event_ids": [st],
                "reasons": "部分采纳，酌情减轻" if accepted else "陈述申辩理由不成立"})
            return max(ready, wd_after(review_day, 1)), False
        if response is None and rng.random() < 0.5:
            w_day = wd_after(notice_day, rng.randrange(1, 3))
            b.add("RightsWaived", at(w_day, 10), "case-app", {
                "party_ref": party.ref, "rights": ["statement", "defence"] +
                (["hearing"] if eligible else []), "form": "written",
                "document_sha256": seeded.digest(self.seed, f"RW-{b.case_id}")})
            return wd_after(w_day, 1), False
        return wd_after(notice_day, 6), False

    def preservation(self, b: CaseBuilder, slot: Slot, when: datetime,
                     officers: list[dict[str, str]], head: Person, *, overdue: bool) -> None:
        rng = self.rng
        pid = f"PR-{b.case_id}"
        b.add("PreservationOrdered", when, "case-app", {
            "preservation_id": pid,
            "items": [{"item_id": "1", "description": "广告牌", "quantity": 1, "unit": "块",
                       "estimated_value_fen": rng.randrange(50, 300) * 1000}],
            "approved_by": head.id, "officers": officers})
        b.add("PropertyInventorySigned", when + timedelta(minutes=10), f"pda:{slot.lead.id}", {
            "seizure_id": pid, "inventory_sha256": seeded.digest(self.seed, pid),
            "signed_by": "party", "item_count": 1, "officers": officers})
        if overdue:
            return
        back = wd_after(slot.day, rng.randrange(2, 6))
        b.add("PropertyReturned", at(back, 10), "case-app", {
            "seizure_id": pid, "item_ids": ["1"], "returned_to": slot.party.ref,
            "receipt_sha256": seeded.digest(self.seed, pid + "/r")})
