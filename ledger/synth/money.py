"""Money of a case (罚缴分离), for ``Cases``: cash on the spot and its way to the bank, bank
payments, instalments, surcharges and reconciliation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .timeline import CAL, at, is_wd, wd_after

if TYPE_CHECKING:
    from .cases import CaseBuilder
    from .plan import Slot
    from .world import Person


class Money:
    """Mixin of :class:`Cases`: how a fine is paid and reconciled."""

    def _cash(self, b: CaseBuilder, slot: Slot, amount: int, decision_no: str, when: datetime,
              officers: list[dict[str, str]], pda: str) -> date | None:
        rng, x, day = self.rng, slot.x, slot.day
        collected = amount + x.get("cash_delta", 0)
        body: dict[str, Any] = {
            "decision_no": decision_no, "party_ref": slot.party.ref, "amount_fen": collected,
            "justification": x.get("justification", "within_100"), "officers": officers}
        receipt_nos: list[str] = []
        if not x.get("no_receipt"):
            receipt_no, book = self.receipt(slot.lead, day.year)
            body["receipt_no"], body["receipt_book_id"] = receipt_no, book
            receipt_nos = [receipt_no]
        if body["justification"] == "hard_to_enforce_later":
            body["justification_text"] = "当事人为外地流动摊贩，事后难以执行"
        b.add("OnsiteCashCollected", when, pda, body)
        remit_wd = slot.remit_wd if slot.remit_wd is not None else rng.choice((0, 1, 1, 2))
        if remit_wd == 0 and is_wd(day):
            remitted = at(day, 17, rng.randrange(20, 50)) if when.hour < 17 else \
                at(wd_after(day, 1), 9, rng.randrange(60))
        else:
            remitted = at(wd_after(day, max(1, remit_wd)), 9, rng.randrange(60))
        b.add("OnsiteCashRemitted", remitted, "finance", {
            "amount_fen": amount, "receipt_nos": receipt_nos, "remitted_by": slot.lead.id,
            "received_by": self.w.finance_clerk})
        deposited = wd_after(remitted.date(), x.get("deposit_wd", 1))
        b.add("AgencyDeposited", at(deposited, 15, rng.randrange(60)), "finance", {
            "amount_fen": amount, "bank_txn_ref": self.txn(deposited, "ICBC"),
            "deposited_by": self.w.finance_clerk})
        return self._reconcile(b, deposited, amount, 0)

    def _bank(self, b: CaseBuilder, slot: Slot, amount: int, decision_no: str,
              served_at: datetime, *, general: bool = False) -> date | None:
        rng, x = self.rng, slot.x
        mode = x.get("payment")
        if mode == "none":
            return None
        late = general and mode is None and rng.random() < 0.05
        served = served_at.date()
        paid = served + timedelta(days=rng.randrange(20, 30) if late else rng.randrange(0, 13))
        paid_at = at(paid, rng.randrange(9, 20), rng.randrange(60))
        if paid_at <= served_at:
            paid_at = served_at + timedelta(minutes=rng.randrange(10, 180))
            paid = paid_at.date()
        surcharge = 0
        if late:
            # 到期不缴纳: from the day after the 15 days, rolled as APL 第85条 (and RF06.d) rolls them
            start = CAL.add_calendar_days(served, 15) + timedelta(days=1)
            if paid < start:
                paid, paid_at = start, at(start, paid_at.hour, paid_at.minute)
            days = (paid - start).days + 1
            surcharge = min(amount, amount * 300 * days // 10_000)
            b.add("SurchargeAssessed", paid_at - timedelta(minutes=rng.randrange(30, 90)),
                  "case-app", {
                "decision_no": decision_no, "principal_fen": amount, "rate_bp_per_day": 300, "days": days,
                "surcharge_fen": surcharge, "from_date": start.isoformat(),
                "to_date": paid.isoformat()})
        paid_amount = amount + surcharge
        if mode == "short":
            paid_amount = amount * 7 // 10
        channel = "cash_to_officer" if mode == "to_officer" else \
            rng.choice(["e_payment", "designated_bank"])
        pay: dict[str, Any] = {
            "payment_id": f"PAY-{self.w.tag}-{self._next('payment'):07d}",
            "decision_no": decision_no, "amount_fen": paid_amount, "channel": channel,
            "covers": "principal_and_surcharge" if surcharge else "principal",
            "payer_ref": slot.party.ref}
        if channel != "cash_to_officer":
            pay["bank_txn_ref"] = self.txn(paid)
        b.add("PaymentRecorded", paid_at,
              "finance" if channel == "cash_to_officer" else "treasury", pay)
        if mode == "unreconciled":
            return paid
        return self._reconcile(b, paid, paid_amount - surcharge if mode != "short" else paid_amount,
                               surcharge, result="partial" if mode == "short" else "matched")

    def _instalments(self, b: CaseBuilder, slot: Slot, amount: int, decision_no: str,
                     served: datetime, head: Person) -> date:
        """Payment in two instalments approved by the head on the party's application
        (APL 第66条)."""
        rng = self.rng
        applied = wd_after(served.date(), rng.randrange(1, 4))
        first = amount // 2 // 100 * 100
        schedule = [(applied + timedelta(days=10), first),
                    (applied + timedelta(days=40), amount - first)]
        b.add("InstalmentApproved", at(applied, 16), f"sup:{head.id}", {
            "decision_no": decision_no, "kind": "instalments", "schedule": [
                {"due_date": d.isoformat(), "amount_fen": a} for d, a in schedule],
            "approved_by": head.id, "approval_id": self.approval(),
            "reason": "当事人经营困难，申请分期缴纳", "party_applied": True})
        for due, part in schedule:
            paid = at(due - timedelta(days=rng.randrange(0, 4)), rng.randrange(9, 17),
                      rng.randrange(60))
            b.add("PaymentRecorded", paid, "treasury", {
                "payment_id": f"PAY-{self.w.tag}-{self._next('payment'):07d}",
                "decision_no": decision_no, "amount_fen": part, "channel": "designated_bank",
                "covers": "instalment", "payer_ref": slot.party.ref,
                "bank_txn_ref": self.txn(paid.date())})
        return self._reconcile(b, schedule[-1][0], amount, 0)

    def _reconcile(self, b: CaseBuilder, day: date, principal: int, surcharge: int, *,
                   result: str = "matched") -> date:
        rng = self.rng
        rec = day + timedelta(days=rng.randrange(1, 4))
        b.add("TreasuryReconciled", at(rec, 6, rng.randrange(60)), "treasury", {
            "reconciliation_id": f"REC-{self.w.tag}-{self._next('rec'):07d}",
            "amount_fen": principal + surcharge, "principal_fen": principal,
            "surcharge_fen": surcharge, "result": result,
            "treasury_ref": f"GK-{self.w.tag}-{rec:%Y%m%d}-{self._next('gk'):05d}"})
        return rec

