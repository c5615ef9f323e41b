"""A case with several parties (共同违法, issue #5), its steps recorded out of order: a party
spared or decided, a verification and a payment each folding into the same case whichever is
recorded first when the instants they claim are the same."""

from __future__ import annotations

from typing import Any

from . import domain_factory as f
from .domain_factory import at, step
from .test_case_model import world
from .test_redflags_parties import COMPANY_NO, two_parties
from .test_redflags_world import GENERAL, drop, general_case, insert_after

G = f"case:{GENERAL}"


def _own_states(case: dict[str, Any]) -> dict[str, str]:
    return {d["party_ref"]: d["state"] for d in [case["decision"], *case["co_party_decisions"]]}


def _noted(case: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(o["type"], o.get("why")) for o in case["out_of_order"]]


def test_a_verification_recorded_before_its_order_moves_the_decision_of_the_party_ordered(
) -> None:
    """The company's correction verified, the verification (naming its order) recorded before
    the order: it moved every served decision, the vendor's unpaid too. It is held, out of
    order, until the order it names is recorded and then moves the company's decision alone,
    as when recorded after the order."""
    steps = drop(two_parties(), "PaymentRecorded", "TreasuryReconciled", "CaseClosed",
                 "CaseArchived")
    [order] = [s for s in steps if s.type == "RectificationOrdered"]
    steps.remove(order)
    for verified_first in (True, False):
        history, folder = world()
        ordered = f.event_id(len(history.events) + len(steps) + int(verified_first))
        verified = step(G, "RectificationVerified", at("2024-08-16"), result="rectified",
                        order_event_id=ordered)
        folder.fold(history.extend(steps + ([verified, order] if verified_first
                                            else [order, verified])))
        case = folder.cases[GENERAL]
        assert _own_states(case) == {f.COMPANY: "EXECUTING", f.VENDOR: "SERVED"}
        assert case["state"] == "SERVED"
        assert _noted(case) == ([("RectificationVerified", f"recorded before order {ordered}")]
                                if verified_first else [])


def test_a_payment_dated_before_its_partys_new_decision_stays_with_the_decision_it_names(
) -> None:
    """The company paid its first decision on 8 August at 11:30, before that decision was
    withdrawn and made anew at 12:00, the payment recorded after the new decision and the
    vendor's: it moved the new decision, unserved, to EXECUTING. The payment is the first
    decision's (RF06 reads money so): the new decision stays DECIDED, as when the payment is
    recorded in the order claimed."""
    steps = drop(two_parties(), "PaymentRecorded", "TreasuryReconciled", "CaseClosed",
                 "CaseArchived")
    states = set()
    for arranged in _paid_then_renewed(steps):
        _, folder = world(arranged)
        case = folder.cases[GENERAL]
        [old] = case["previous_decisions"]
        assert (old["decision_no"], old["received_fen"]) == (COMPANY_NO, 300_000)
        states.add((case["state"], tuple(sorted(_own_states(case).items()))))
    assert states == {("DECIDED", tuple(sorted({f.COMPANY: "DECIDED",
                                                f.VENDOR: "SERVED"}.items())))}


def test_a_payment_dated_before_a_decision_made_anew_stays_with_the_one_it_names() -> None:
    """So in a case of one party: recorded after the decision made anew, the payment was out
    of order and moved the case to EXECUTING; in the order claimed, it is DECIDED."""
    steps = drop(general_case(), "DecisionServed", "DecisionPublished", "PaymentRecorded",
                 "TreasuryReconciled", "CaseClosed", "CaseArchived")
    for arranged in _paid_then_renewed(steps):
        _, folder = world(arranged)
        case = folder.cases[GENERAL]
        assert (case["state"], case["decision"]["status"], case["out_of_order"]) == (
            "DECIDED", "in_force", [])


def _paid_then_renewed(steps: list[f.Step]) -> tuple[list[f.Step], list[f.Step]]:
    """``steps`` with the company's decision served on the spot, paid, withdrawn and made anew
    on 8 August, its later service left out: the payment recorded in the order claimed, and
    recorded last."""
    renewed = "沪黄城管罚〔2024〕第125号"
    company = {"party_ref": f.COMPANY, "party_type": "organisation"}
    served = step(G, "DecisionServed", at("2024-08-08", "10:30:00"), decision_no=COMPANY_NO,
                  method="in_person", party_present=True)
    paid = step(G, "PaymentRecorded", at("2024-08-08", "11:30:00"), decision_no=COMPANY_NO,
                amount_fen=300_000)
    renewal = [
        step(G, "PenaltyWithdrawn", at("2024-08-08", "11:45:00"), decision_no=COMPANY_NO),
        step(G, "PenaltyDecided", at("2024-08-08", "12:00:00"), decision_no=renewed,
             party=company),
    ]
    steps = [s for s in steps if not (s.type == "DecisionServed"
                                      and s.body["decision_no"] == COMPANY_NO)]
    return (insert_after(steps, "PenaltyDecided", served, paid, *renewal),
            insert_after(steps, "PenaltyDecided", served, *renewal) + [paid])

