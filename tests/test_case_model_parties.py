"""A case with several parties (共同违法, issue #5), its steps recorded out of order: a party
spared or decided, a verification, a payment, each folding into the same case whichever is
recorded first when the instants they claim are the same; another party's service and filing
judged as a case of one party's."""

from __future__ import annotations

from typing import Any

from . import domain_factory as f
from .domain_factory import at, step
from .test_case_model import world
from .test_redflags_parties import (COMPANY_NO, VENDOR, VENDOR_NO, summary_two_parties,
                                    two_parties)
from .test_redflags_world import GENERAL, SUMMARY, drop, general_case, insert_after

G = f"case:{GENERAL}"


def _before(steps: list[f.Step], type_name: str, party_ref: str, s: f.Step) -> list[f.Step]:
    """``steps`` with ``s`` recorded just before the ``type_name`` naming ``party_ref``."""
    i = next(i for i, x in enumerate(steps) if x.type == type_name
             and (x.body.get("party") or {}).get("party_ref", x.body.get("party_ref")) == party_ref)
    return steps[:i] + [s] + steps[i:]


def _own_states(case: dict[str, Any]) -> dict[str, str]:
    return {d["party_ref"]: d["state"] for d in [case["decision"], *case["co_party_decisions"]]}


def _noted(case: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(o["type"], o.get("why")) for o in case["out_of_order"]]


def _spared(type_name: str, party_ref: str, on: str) -> f.Step:
    if type_name == "WaiverGranted":
        return step(G, "WaiverGranted", at(on), basis="APL33-1", waiver="no_penalty",
                    party_ref=party_ref, violation_code="PILEUP_SH", decided_by=[f.HEAD])
    return step(G, "NoPenaltyDecided", at(on), ground="minor_and_corrected",
                legal_basis="APL 第33条第1款", decided_by=[f.HEAD], party_ref=party_ref)


def test_sparing_a_party_whose_decision_is_in_force_is_out_of_order_and_spares_nothing() -> None:
    """The vendor, fined and paid, then not penalised (or granted a waiver) by name: the
    sparing was in order and the vendor counted among the parties spared beside its fine in
    force. It is out of order and spares no one, whether recorded after the vendor's decision
    or before it."""
    steps = drop(two_parties(), "CaseClosed", "CaseArchived")
    for kind in ("NoPenaltyDecided", "WaiverGranted"):
        spared = _spared(kind, f.VENDOR, "2024-08-22")
        for history in (steps + [spared], _before(steps, "PenaltyDecided", f.VENDOR, spared)):
            _, folder = world(history)
            case = folder.cases[GENERAL]
            assert case["waived_parties"] == []
            assert _noted(case) == [(kind, f"decision {VENDOR_NO} of party {f.VENDOR} is in "
                                           "force")]
            assert _own_states(case) == {f.COMPANY: "EXECUTED", f.VENDOR: "EXECUTED"}
            assert case["state"] == "EXECUTED"


def test_sparing_the_one_party_whose_decision_is_in_force_leaves_the_case_to_the_decision(
) -> None:
    """So in a case of one party: the company fined and paid, then not penalised by name, was
    counted as spared beside its fine; recorded before the decision it named, the sparing
    ended the case NOT_PENALISED, and the decision and its steps were out of order. The
    decision stands and the sparing is out of order, in either order."""
    steps = drop(general_case(), "CaseClosed", "CaseArchived")
    spared = _spared("NoPenaltyDecided", f.COMPANY, "2024-08-22")
    for history in (steps + [spared], _before(steps, "PenaltyDecided", f.COMPANY, spared)):
        _, folder = world(history)
        case = folder.cases[GENERAL]
        assert (case["state"], case["waived_parties"]) == ("EXECUTED", [])
        assert _noted(case) == [("NoPenaltyDecided",
                                 f"decision {COMPANY_NO} of party {f.COMPANY} is in force")]


def _company_spared_vendor_fined() -> tuple[f.Step, list[f.Step]]:
    """The case filed against the company alone, the company not penalised by name on 8
    August, and the vendor, on the record from its own decision of 9 August, fined, served,
    paid and reconciled: (the company's sparing, the rest of the case)."""
    steps = drop(general_case(), "PenaltyDecided", "DecisionServed", "DecisionPublished",
                 "PaymentRecorded", "TreasuryReconciled", "CaseClosed", "CaseArchived")
    vendor = [
        step(G, "PenaltyDecided", at("2024-08-09"), decision_no=VENDOR_NO, party=VENDOR,
             amount_fen=300_000),
        step(G, "DecisionServed", at("2024-08-13"), decision_no=VENDOR_NO, party_ref=f.VENDOR,
             method="post", party_present=False),
        step(G, "PaymentRecorded", at("2024-08-21"), decision_no=VENDOR_NO, amount_fen=300_000),
        step(G, "TreasuryReconciled", at("2024-08-26"), amount_fen=300_000),
    ]
    return _spared("NoPenaltyDecided", f.COMPANY, "2024-08-08"), steps + vendor


def test_a_party_spared_before_another_is_on_the_record_leaves_the_case_to_the_other() -> None:
    """The company spared before the vendor came on the case's record ended the case
    NOT_PENALISED and the vendor's fine, service, payment and reconciliation were out of
    order; recorded after them, the case followed the vendor's fine. The case is not
    penalised only while each party on its record is spared: a party that comes on it
    unspared reopens it where the sparing found it, whichever is recorded first."""
    spared, steps = _company_spared_vendor_fined()
    for history in (_before(steps, "PenaltyDecided", f.VENDOR, spared), steps + [spared]):
        _, folder = world(history)
        case = folder.cases[GENERAL]
        assert (case["state"], case["out_of_order"]) == ("EXECUTED", [])
        assert (case["waived_parties"], case["decision"]["decision_no"]) == (
            [f.COMPANY], VENDOR_NO)


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



def _moved_after(steps: list[f.Step], type_name: str, decision_no: str, later: str,
                 later_no: str | None = None) -> list[f.Step]:
    """``steps`` with the ``type_name`` naming ``decision_no`` recorded just after the first
    ``later`` naming ``later_no`` (``decision_no`` unless given; the instants unchanged)."""
    [moved] = [s for s in steps if s.type == type_name and s.body["decision_no"] == decision_no]
    rest = [s for s in steps if s is not moved]
    i = next(i for i, s in enumerate(rest)
             if s.type == later and s.body.get("decision_no") == (later_no or decision_no))
    return rest[:i + 1] + [moved] + rest[i + 1:]


def test_a_co_partys_service_or_filing_is_out_of_order_as_a_partys_own_would_be() -> None:
    """The company's service recorded after its payment, the vendor's summary filing before
    its service and its cash: out of order in a case of one party, never noted for another
    party's decision beside the one recorded last. Each is judged from its decision's own
    state, as in a case of one party."""
    steps = drop(two_parties(), "TreasuryReconciled", "CaseClosed", "CaseArchived")
    general = _moved_after(steps, "DecisionServed", COMPANY_NO, "PaymentRecorded")
    alone = _moved_after(drop(general_case(), "TreasuryReconciled", "CaseClosed",
                              "CaseArchived"), "DecisionServed", COMPANY_NO, "PaymentRecorded")
    vendor_no = "HP-S-2024-004512"
    summary = _moved_after(drop(summary_two_parties(), "CaseClosed"), "SummaryDecisionFiled",
                           vendor_no, "PenaltyDecided", "HP-S-2024-004513")
    summary_alone = _moved_after(drop(f.summary_case(SUMMARY), "CaseClosed"),
                                 "SummaryDecisionFiled", vendor_no, "PenaltyDecided")
    for several, one, case_id, noted in ((general, alone, GENERAL, "DecisionServed"),
                                         (summary, summary_alone, SUMMARY,
                                          "SummaryDecisionFiled")):
        _, folder = world(one)
        expected = [(o["type"], o["state"]) for o in folder.cases[case_id]["out_of_order"]]
        assert noted in [t for t, _ in expected]
        _, folder = world(several)
        assert [(o["type"], o["state"]) for o in folder.cases[case_id]["out_of_order"]] == \
            expected
