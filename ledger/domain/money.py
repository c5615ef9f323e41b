"""Money, on the case stream: payment, on-the-spot cash and its way to the treasury (罚缴分离,
APL 第67–72条). All amounts are integer fen.

On-the-spot cash is recorded by ``OnsiteCashCollected`` (the party paid the officer);
``PaymentRecorded`` is the designated bank / e-payment side. A payment channel outside the
designated ones is recorded as posted and flagged (RF06.c), never refused.
"""

from __future__ import annotations

from typing import Any

from ..schemas import Bool, Date, Enum, Int, ListOf, Money, Obj, Opt
from .event_type import EventType
from .fields import (APPROVAL_ID, DECISION_NO, ID, OFFICER_ID, OFFICERS, PARTY_REF, REASON,
                     RECEIPT_NO)

TWO = [{"officer_id": "SH-HP-0231", "cert_no": "31010219001"},
       {"officer_id": "SH-HP-0232", "cert_no": "31010219002"}]


def _t(name: str, signers: tuple[str, ...], fields: dict[str, Any], example: dict[str, Any],
       doc: str) -> EventType:
    return EventType(name=name, category="money", body=Obj(fields), signer_roles=frozenset(signers),
                     stream_kinds=("case",), doc=doc, example=example)


TYPES = [
    _t("PaymentRecorded", ("treasury", "finance"), {
        "payment_id": ID,
        "decision_no": DECISION_NO,
        "amount_fen": Money(),
        "channel": Enum("designated_bank", "e_payment", "onsite_cash_with_receipt",
                        "agency_account", "cash_to_officer", "other",
                        doc="designated channels: designated_bank, e_payment, "
                            "onsite_cash_with_receipt (RF06.c)"),
        "covers": Enum("principal", "surcharge", "principal_and_surcharge", "instalment"),
        "payer_ref": Opt(PARTY_REF),
        "bank_txn_ref": Opt(ID),
    }, {"payment_id": "PAY-3101-2024-778812", "decision_no": "沪黄城管罚〔2024〕第123号",
        "amount_fen": 300_000, "channel": "designated_bank", "covers": "principal",
        "bank_txn_ref": "ICBC-20240612-000981"},
        "A fine payment reached the designated bank or e-payment system (APL 第67条)."),

    _t("OnsiteCashCollected", ("officer-device",), {
        "decision_no": DECISION_NO,
        "party_ref": PARTY_REF,
        "amount_fen": Money(),
        "receipt_no": Opt(RECEIPT_NO.with_doc("official receipt number; absent = no receipt "
                                              "issued (recorded, then flagged RF05.a)")),
        "receipt_book_id": Opt(ID.with_doc("receipt book issued to the officer")),
        "justification": Enum("within_100", "hard_to_enforce_later", "remote_area_party_request",
                              "none", doc="APL 第68条(一) / 第68条(二) / 第69条"),
        "justification_text": Opt(REASON),
        "officers": OFFICERS,
    }, {"decision_no": "HP-S-2024-004512", "party_ref": "pty:7Kq2mZ8rXw4b", "amount_fen": 10_000,
        "receipt_no": "SH-FK-2024-0098812", "receipt_book_id": "RB-HP-0231-2024-03",
        "justification": "within_100", "officers": TWO},
        "An officer collected the fine in cash on the spot (当场收缴, APL 第68–70条)."),

    _t("OnsiteCashRemitted", ("finance", "officer-device"), {
        "amount_fen": Money(),
        "receipt_nos": ListOf(RECEIPT_NO, max_items=100),
        "remitted_by": OFFICER_ID,
        "received_by": ID.with_doc("finance officer who received the cash"),
    }, {"amount_fen": 10_000, "receipt_nos": ["SH-FK-2024-0098812"], "remitted_by": "SH-HP-0231",
        "received_by": "SH-HP-FIN-03"},
        "On-the-spot cash was handed in to the agency (2 working days, APL 第71条)."),

    _t("AgencyDeposited", ("finance",), {
        "amount_fen": Money(),
        "bank_txn_ref": ID,
        "deposited_by": ID,
    }, {"amount_fen": 10_000, "bank_txn_ref": "ICBC-20240514-004411",
        "deposited_by": "SH-HP-FIN-03"},
        "The agency paid the cash into the designated bank (2 working days, APL 第71条)."),

    _t("TreasuryReconciled", ("treasury",), {
        "reconciliation_id": ID,
        "amount_fen": Money(doc="total credited to the treasury for this case"),
        "principal_fen": Opt(Money()),
        "surcharge_fen": Opt(Money()),
        "result": Enum("matched", "mismatch", "partial"),
        "treasury_ref": ID,
    }, {"reconciliation_id": "REC-2024-06-HP-0042", "amount_fen": 300_000,
        "principal_fen": 300_000, "surcharge_fen": 0, "result": "matched",
        "treasury_ref": "GK-3101-2024-06-18-77"},
        "The treasury confirmed what reached it for this case (对账)."),

    _t("SurchargeAssessed", ("case-app",), {
        "decision_no": Opt(DECISION_NO.with_doc(
            "the decision whose fine is surcharged; absent: the decision in force when it was "
            "assessed (a case with several parties: name it)")),
        "principal_fen": Money(),
        "rate_bp_per_day": Int(minimum=0, maximum=10_000,
                               doc="basis points per day (300 = 3 %/day, APL 第72条)"),
        "days": Int(minimum=1, maximum=100_000),
        "surcharge_fen": Money(doc="total surcharge assessed to date (cap: the principal)"),
        "from_date": Date(),
        "to_date": Date(),
    }, {"principal_fen": 300_000, "rate_bp_per_day": 300, "days": 10, "surcharge_fen": 90_000,
        "from_date": "2024-06-28", "to_date": "2024-07-07"},
        "A late-payment surcharge (加处罚款) was assessed. Each assessment states the total to date."),

    _t("InstalmentApproved", ("supervisor", "case-app"), {
        "decision_no": Opt(DECISION_NO.with_doc(
            "the decision whose fine is deferred or paid in instalments; absent: the decision "
            "in force when it was approved (a case with several parties: name it)")),
        "kind": Enum("deferral", "instalments"),
        "schedule": ListOf(Obj({"due_date": Date(), "amount_fen": Money()}), min_items=1,
                           max_items=36),
        "approved_by": OFFICER_ID,
        "approval_id": APPROVAL_ID,
        "reason": REASON,
        "party_applied": Bool(doc="the party applied (APL 第66条)"),
    }, {"kind": "instalments", "schedule": [{"due_date": "2024-07-15", "amount_fen": 150_000},
                                            {"due_date": "2024-08-15", "amount_fen": 150_000}],
        "approved_by": "SH-HP-0101", "approval_id": "AP-2024-0601", "reason": "经济困难",
        "party_applied": True},
        "Deferred or instalment payment was approved (暂缓/分期, APL 第66条)."),
]
