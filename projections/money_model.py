"""A case's money in its read model (case_model.py): what each decision received, what is
outstanding, the reconciliation, and the money stage of a delivered summary decision — refreshed
after every event of the case (:func:`refresh_money`), since meeting the payment deadline
depends on the step's day and a summary case's state on where its cash is.

Money is a decision's as RF06 reads it (:func:`money_owner`): received from it up to the next
decision in world time, among the decisions of the party decided under the number it names.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from ledger.schemas import parse_datetime

from .fold_context import Context, mark_met
from .lifecycle import MONEY_STAGES, in_force, own_state, several
from .redflags.days import ts_of
from .redflags.facts import money_of


def refresh_money(c: dict[str, Any], day: date, ctx: Context) -> None:
    """Totals, outstanding amount, reconciliation status and the summary money stage."""
    m, a = c["money"], c["amounts"]
    was_paid = bool(m["due_fen"]) and m["outstanding_fen"] == 0
    m["paid_fen"], m["received_fen"] = received(c, c["decision"])
    for d in c["previous_decisions"]:     # a payment on a decision withdrawn stays with it
        d["received_fen"] = received(c, d)[1]
    co_owed = 0
    for d in c["co_party_decisions"]:     # another party's decision in force: its own money
        d["received_fen"] = received(c, d)[1]
        owed = d["current_fen"] + (d["surcharge_fen"] if d["current_fen"] else 0)
        co_owed += owed
        d["outstanding_fen"] = max(0, owed - d["received_fen"])
        payment = d["deadlines"].get("payment")
        if owed and not d["outstanding_fen"] and payment is not None \
                and payment["met_on"] is None:
            mark_met(d, "payment", day)
    expected = (a["current_fen"] or 0) + (a["surcharge_fen"] if a["current_fen"] else 0)
    m["due_fen"], m["outstanding_fen"] = expected, max(0, expected - m["received_fen"])
    # met on the day of the event that paid the fine in full (or of the one that opened the
    # deadline on a fine already paid), not again on every later one: a step recorded after the
    # payment but dated before it (back-dated evidence, RF08.b) would move the day back
    payment = c["deadlines"].get("payment")
    unmet = payment is not None and payment["met_on"] is None
    if expected and m["received_fen"] >= expected and (not was_paid or unmet):
        mark_met(c, "payment", day)
    r = m["reconciliation"]
    # a TreasuryReconciled names no decision: the total credited for the case, every party's
    # (RF06.a judges a case with several parties against the sum)
    r["expected_fen"] = expected + co_owed
    if r["reconciled_fen"] is None:
        r["status"] = "pending" if r["expected_fen"] else "not_applicable"
    else:
        matched = r.get("result") == "matched" and r["reconciled_fen"] == r["expected_fen"]
        r["status"] = "reconciled" if matched else "mismatch"
    pending = c.pop("state_pending_money", False)
    if several(c) and c["procedure"] == "summary":
        # each delivered decision's own money stage, read anew from the money whatever moved
        deposited = _deposited(m["cash"])
        for d in in_force(c):
            if own_state(d) in MONEY_STAGES:
                d["state"] = _summary_stage(c, d, deposited)
    elif pending:
        c["state"] = _summary_money_state(c)


def received(c: dict[str, Any], decision: dict[str, Any] | None) -> tuple[int, int]:
    """(paid through the bank, received in all) for ``decision`` (all the case's money before
    any decision): bank/e-payments plus on-the-spot cash, a ``PaymentRecorded`` for the same
    cash not counted twice."""
    m = c["money"]
    payments, collections = m["payments"], m["cash"]["collections"]
    if not payments and not collections:
        return 0, 0                     # every step of a case before its money: nothing to sum
    owns = money_owner(c, decision)
    payments = [p for p in payments if owns(p["occurred_at"], p["decision_no"])]
    paid = sum(p["amount_fen"] for p in payments if p["channel"] != "onsite_cash_with_receipt")
    cash_paid = max(sum(x["amount_fen"] for x in collections
                        if owns(x["occurred_at"], x["decision_no"])),
                    sum(p["amount_fen"] for p in payments
                        if p["channel"] == "onsite_cash_with_receipt"))
    return paid, paid + cash_paid


def money_owner(c: dict[str, Any], decision: dict[str, Any] | None
                 ) -> Callable[[str, str], bool]:
    """Whether money received at an instant naming a decision number is ``decision``'s, as RF06
    reads it (:meth:`~.redflags.facts.Case.owns_money`): received from it up to the next
    decision in world time, among the decisions of the party decided under that number — a
    co-party's decision (共同违法) replaces nothing — or among all the case's when it has none
    of that number (before the first of them: the first's). A decision whose form was voided
    (_void) is none, as the flags read it. The decisions' instants are parsed once for all the
    case's money (it is summed again on every step of the case)."""
    every = [(d["party_ref"], d["decision_no"], parse_datetime(d["decided_at"]))
             for d in c["previous_decisions"] + c["co_party_decisions"] + [c["decision"]]
             if d is not None and d["status"] != "voided"]
    if decision is None or not every:
        return lambda at, no: True
    if decision["status"] == "voided":
        return lambda at, no: False
    decided = parse_datetime(decision["decided_at"])
    instants = [t for _, _, t in every]

    def owns(at: str, no: str) -> bool:
        parties = {p for p, n, _ in every if n == no}
        if not parties:
            return money_of(decided, instants, parse_datetime(at))
        if decision["party_ref"] not in parties:
            return False
        return money_of(decided, [t for p, _, t in every if p in parties], parse_datetime(at))
    return owns


def _summary_money_state(case: dict[str, Any]) -> str:
    """Where a delivered summary case of one party stands (:func:`_money_stage`), from the
    case's money: any cash handed in or deposited moves it on."""
    money, cash = case["money"], case["money"]["cash"]
    filed = case["summary_filed_on"] is not None
    return _money_stage(
        case["amounts"]["current_fen"] or 0,
        (cash["collected_fen"] > 0, cash["remitted_fen"] > 0, cash["deposited_fen"] > 0),
        money["paid_fen"], bool(money["payments"]) or filed, filed, case["decision"])


def _summary_stage(case: dict[str, Any], d: dict[str, Any], deposited: set[str]) -> str:
    """Where delivered summary decision ``d`` of a case with several parties stands
    (:func:`_money_stage`), from its own money: the payments and cash naming it, as RF06 reads
    them (:func:`money_owner`), and its own filing. Its cash is handed in once each of its
    collections is (:func:`_handed_in`), and deposited once each is (``deposited``: the case's
    remittances paid into the bank, :func:`_deposited`)."""
    mine = d is case["decision"]
    owns = money_owner(case, d)
    cash = case["money"]["cash"]
    handed = [_handed_in(cash, x, deposited) for x in cash["collections"]
              if owns(x["occurred_at"], x["decision_no"])]
    filed = ((case if mine else d)["deadlines"].get("summary_filing") or {}).get("met_on")
    paying = any(owns(p["occurred_at"], p["decision_no"]) for p in case["money"]["payments"])
    return _money_stage(
        (case["amounts"]["current_fen"] if mine else d["current_fen"]) or 0,
        (bool(handed), bool(handed) and all(r for r, _ in handed),
         bool(handed) and all(dp for _, dp in handed)),
        received(case, d)[0], paying or filed is not None, filed is not None, d)


def _handed_in(cash: dict[str, Any], x: dict[str, Any], deposited: set[str]
               ) -> tuple[bool, bool]:
    """Whether cash collection ``x`` was handed in to the agency, and paid into the bank (a
    remittance that handed it in is among ``deposited``: :func:`_deposited`). A remittance
    names no decision: it hands in the collections whose receipts it lists; one listing none
    of the case's receipts (none issued) hands in the cash collected at or before it that no
    remittance lists."""
    receipts = {c["receipt_no"] for c in cash["collections"] if c["receipt_no"]}
    by = [r for r in cash["remittances"] if x["receipt_no"] in r["receipt_nos"]]
    if not by:
        by = [r for r in cash["remittances"] if not receipts & set(r["receipt_nos"])
              and ts_of(r["occurred_at"]) >= ts_of(x["occurred_at"])]
    return bool(by), any(r["event_id"] in deposited for r in by)


def _deposited(cash: dict[str, Any]) -> set[str]:
    """The remittances (event ids) paid into the bank in full. A deposit names neither a
    decision nor a receipt: its amount pays in the cash handed in at or before it, the
    earliest handed in first, in world time (100 CNY deposited while 400 are held pays in the
    100 handed in first, not the 300 handed in after)."""
    remittances = sorted(cash["remittances"], key=lambda r: ts_of(r["occurred_at"]))
    left = [r["amount_fen"] for r in remittances]
    for dp in sorted(cash["deposits"], key=lambda dp: ts_of(dp["occurred_at"])):
        amount = dp["amount_fen"]
        for i, r in enumerate(remittances):
            if ts_of(r["occurred_at"]) > ts_of(dp["occurred_at"]):
                break
            taken = min(left[i], amount)
            left[i], amount = left[i] - taken, amount - taken
    return {r["event_id"] for r, owed in zip(remittances, left) if owed == 0}


def _money_stage(due: int, cash: tuple[bool, bool, bool], paid: int, paying: bool,
                 filed: bool, decision: dict[str, Any] | None) -> str:
    """The money stage of a delivered summary decision of ``due`` fen, or FILED_WITH_AGENCY
    once it is filed and the money settled (the yaml's DELIVERED → … → FILED_WITH_AGENCY).
    ``cash``: whether cash was collected, handed in, deposited; ``paid``: through the bank;
    ``paying``: a payment or the filing came (the "(no cash)" transition)."""
    collected, remitted, deposited = cash
    if due == 0:
        stage, settled = "DELIVERED", True
    elif deposited:
        stage, settled = "DEPOSITED", True
    elif remitted:
        stage, settled = "REMITTED", False
    elif collected:
        stage, settled = "COLLECTED_ON_SPOT", False
    elif paid >= due:
        stage, settled = "PAID", True
    elif paying or (decision or {}).get("payment_method") in ("designated_bank", "e_payment"):
        stage, settled = "BANK_PAYMENT_PENDING", False   # the "(no cash)" transition
    else:
        stage, settled = "DELIVERED", False              # cash may still be taken
    return "FILED_WITH_AGENCY" if settled and filed else stage
