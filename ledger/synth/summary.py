"""The summary procedure (简易程序) on the scene, and seized property (暂扣), for ``Cases``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import fines, seeded
from .timeline import at, wd_after

if TYPE_CHECKING:
    from .cases import CaseBuilder
    from .plan import Slot


class SummaryProcedure:
    """Mixin of :class:`Cases`: a case decided on the spot."""

    def summary(self, b: CaseBuilder, slot: Slot, outcome: str,
                amount: fines.Amount | None) -> None:
        rng, x, day = self.rng, slot.x, slot.day
        t = slot.when
        party = slot.party
        officers = self.refs(slot, day)
        acting = x.get("aux") or slot.lead
        pda = f"pda:{acting.id}"
        violation_at = x.get("violation_at") or t - timedelta(minutes=rng.randrange(5, 40))
        if party.last_decided is not None and violation_at <= party.last_decided < t and \
                "violation_at" not in x:
            violation_at = party.last_decided + timedelta(minutes=1)
        x["violation_at"] = violation_at
        evidence = x.get("evidence")
        with_video = evidence not in ("no_bodycam", "after")
        s = timedelta(seconds=1)
        b.add("CaseFiled", t, pda, {
            "filing_no": f"{self.w.tag}-JYL-{day.year}-{b.case_id[-6:]}", "procedure": "summary",
            "unit_id": slot.squadron.id, "officers": officers, "parties": [party.as_party()],
            "violation_code": slot.code, "violation_occurred_at": violation_at.isoformat(),
            "location": self.geo(slot)})
        if slot.recusal_of is not None:
            leader = slot.squadron.leader
            b.add("RecusalDecided", t + 10 * s, f"sup:{leader.id}", {
                "officer_id": slot.recusal_of.id, "decision": "recused", "ground": "relationship",
                "decided_by": leader.id, "approval_id": self.approval()})
        video_id = f"EV-{b.case_id}-1"
        shown: dict[str, Any] = {"officers": officers, "shown_to": party.ref}
        if with_video:
            shown["evidence_id"] = video_id
            b.add("CredentialShown", t + 40 * s, f"bodycam:{slot.lead.id}", shown)
        else:
            b.add("CredentialShown", t + 40 * s, pda, shown)
        if evidence != "after":
            self.photo(b, slot, 2, t + 70 * s, t + 95 * s, officers, device=acting)
        seized = slot.seizure
        if seized is None and slot.code == "STALL_SH" and party.klass == "vendor" and \
                outcome == "fine" and rng.random() < 0.12:
            seized = "normal"
        rect_id = None
        if slot.code in fines.NEEDS_WARNING and party.ptype == "individual" and outcome == "fine":
            b.add("WarningIssued", t + 110 * s, pda, {
                "party_ref": party.ref, "form": "written", "officers": officers,
                "warning_no": f"{self.w.tag}-JG-{b.case_id[-6:]}", "violation_code": slot.code})
        if slot.rectification:
            rect_id = b.add("RectificationOrdered", t + 120 * s, pda, {
                "party_ref": party.ref, "requirement": fines.REQUIREMENT.get(slot.code, "立即改正"),
                "deadline": None, "officers": officers,
                "legal_basis": fines.legal_basis(slot.code)})
            if outcome == "fine" and slot.code in fines.NEEDS_REFUSAL | fines.NEEDS_WARNING and \
                    x.get("precondition") != "skipped":
                b.add("RectificationVerified", t + 150 * s, pda, {
                    "result": "refused", "officers": officers, "order_event_id": rect_id})
        if seized:
            self.seizure(b, slot, seized, t + 160 * s, officers, pda)
        decided = t + 240 * s
        if outcome == "waiver":
            self._waiver(b, slot, decided, officers, pda, rect_id)
            return
        form = self.form_no(day.year)
        if slot.void_form:
            # the officer holding the numbered form book voids the spoilt form
            b.add("DecisionFormVoided", decided - 20 * s, pda, {
                "form_no": form, "reason": rng.choice(["misprint", "wrong_amount", "damaged"]),
                "officers": [acting.ref(day)]})
            form = self.form_no(day.year)
        decision: dict[str, Any] = {
            "decision_no": form, "procedure": "summary", "party": party.as_party(),
            "violation_code": slot.code, "legal_basis": fines.legal_basis(slot.code),
            "penalty_types": ["fine"] if outcome == "fine" else ["warning"],
            "amount_fen": amount.amount_fen if amount else 0,
            "decided_by": [acting.id] if x.get("aux") or x.get("duplicate") else
            [p["officer_id"] for p in officers], "officers": officers, "form_no": form,
            "location": self.geo(slot)}
        cash = False
        if amount is not None:
            # the tier of the benchmark table, as the terminal applies it (简易程序: no
            # separate BenchmarkApplied step; the decision carries the tier)
            decision["benchmark_tier"] = x.get("applied_tier", amount.tier)
            cash = slot.cash if slot.cash is not None else (
                amount.amount_fen <= fines.ONSITE_LIMIT and rng.random() < 0.6)
            decision["payment_method"] = "onsite_cash" if cash else \
                rng.choice(["e_payment", "designated_bank"])
        b.add("PenaltyDecided", decided, pda, decision)
        party.fines.append(day)
        party.last_decided = max(decided, party.last_decided or decided)
        served = decided + 30 * s
        b.add("DecisionServed", served, pda, {
            "decision_no": form, "party_ref": party.ref, "method": "on_the_spot",
            "party_present": True, "refused_to_sign": rng.random() < 0.03})
        if with_video:
            self.video(b, slot, 1, t + 20 * s, served + 90 * s, officers)
        if evidence == "after":
            later = at(day + timedelta(days=2), 10, rng.randrange(60))
            self.photo(b, slot, 3, later, later + 60 * s, officers, device_signed=False)
        if slot.rectification:
            b.add("RectificationVerified", t + 600 * s, pda, {
                "result": "rectified", "officers": officers, "order_event_id": rect_id})
        settled = day
        if amount is not None:
            if cash:
                settled = self._cash(b, slot, amount.amount_fen, form, served + 30 * s,
                                     officers, pda)
            else:
                settled = self._bank(b, slot, amount.amount_fen, form, served)
        filed = None
        if x.get("timing") != "not_filed":
            filed = wd_after(day, rng.choice((1, 1, 2)))
            b.add("SummaryDecisionFiled", at(filed, 10, rng.randrange(60)), "case-app", {
                "decision_no": form, "form_no": form,
                "filed_with_unit_id": slot.squadron.brigade.id, "filed_by": slot.lead.id})
        if settled is None:
            return
        close = wd_after(max(settled, filed or settled), 1)
        b.add("CaseClosed", at(close, 11, rng.randrange(60)), "case-app", {
            "outcome": "paid" if amount is not None else "executed", "closed_by": slot.lead.id,
            "approved_by": slot.squadron.leader.id})

    def _waiver(self, b: CaseBuilder, slot: Slot, decided: datetime,
                officers: list[dict[str, str]], pda: str, rect_id: str | None) -> None:
        rng, party = self.rng, slot.party
        s = timedelta(seconds=1)
        if rect_id:
            b.add("RectificationVerified", decided - 30 * s, pda, {
                "result": "rectified", "officers": officers, "order_event_id": rect_id})
        # footage uploaded over 4G before the waiver is recorded
        self.video(b, slot, 1, slot.when + 20 * s, decided - 20 * s, officers,
                   synced=decided - 15 * s)
        first = slot.first_violation_waiver or (not party.fines and rng.random() < .5)
        basis = "APL33-1" if first else "APL33-1-S1"
        deciders = [slot.lead.id] if slot.first_violation_waiver else \
            [p["officer_id"] for p in officers]
        b.add("WaiverGranted", decided, pda, {
            "basis": basis, "waiver": "no_penalty", "party_ref": party.ref,
            "violation_code": slot.code, "decided_by": deciders, "rectified": True,
            "education_recorded": True})
        party.waivers.append(slot.day)
        b.add("CaseClosed", at(wd_after(slot.day, 1), 11, rng.randrange(60)), "case-app", {
            "outcome": "not_penalised", "closed_by": slot.lead.id,
            "approved_by": slot.squadron.leader.id})

    def seizure(self, b: CaseBuilder, slot: Slot, mode: str, when: datetime,
                officers: list[dict[str, str]], pda: str) -> None:
        rng = self.rng
        sid = f"SZ-{b.case_id}"
        items = [{"item_id": "1", "description": "三轮车", "quantity": 1, "unit": "辆",
                  "estimated_value_fen": rng.randrange(30, 120) * 1000},
                 {"item_id": "2", "description": rng.choice(["水果", "蔬菜", "小商品", "烧烤用具"]),
                  "quantity": rng.randrange(1, 6), "unit": "箱"}]
        b.add("PropertySeized", when, pda, {
            "seizure_id": sid, "measure": "temporary_seizure", "items": items,
            "officers": officers, "approved_by": slot.squadron.leader.id,
            "location": self.geo(slot)})
        if mode != "no_inventory":
            b.add("PropertyInventorySigned", when + timedelta(minutes=4), pda, {
                "seizure_id": sid, "inventory_sha256": seeded.digest(self.seed, sid),
                "signed_by": "party", "item_count": len(items), "officers": officers})
        if mode == "never_returned":
            return
        back = wd_after(slot.day, rng.choice((1, 1, 2)))
        if mode == "irregular":
            linked = self.w.linked_party or slot.party
            b.add("PropertyDisposed", at(back, 15), "case-app", {
                "seizure_id": sid, "item_ids": ["1", "2"], "method": "other",
                "handled_by": slot.lead.id, "recipient_ref": linked.ref})
            return
        if mode == "normal" and rng.random() < 0.3:
            b.add("PropertyReturned", at(back, 10, rng.randrange(60)), "case-app", {
                "seizure_id": sid, "item_ids": ["1"], "returned_to": slot.party.ref,
                "receipt_sha256": seeded.digest(self.seed, sid + "/r")})
            b.add("PropertyDisposed", at(back, 15, rng.randrange(60)), "case-app", {
                "seizure_id": sid, "item_ids": ["2"], "method": "destroyed",
                "handled_by": slot.squadron.leader.id,
                "record_sha256": seeded.digest(self.seed, sid + "/d")})
            return
        b.add("PropertyReturned", at(back, 10, rng.randrange(60)), "case-app", {
            "seizure_id": sid, "item_ids": ["1", "2"], "returned_to": slot.party.ref,
            "receipt_sha256": seeded.digest(self.seed, sid + "/r")})

