"""The case view's deadline to withdraw the publication of a decision whose numbered form was
voided before it was served (APL 第48条第2款; docs/red-flags.md RF12.f): the view and the flags
count the same days from the void, whichever order the events are recorded in."""

from __future__ import annotations

import dataclasses
from typing import Any

from projections.redflags import compute_flags, national

from . import domain_factory as f
from .domain_factory import History, at, step
from .test_case_model import SUMMARY_ID, world
from .test_redflags_parties import COMPANY_NO, two_parties
from .test_redflags_world import GENERAL, numbers, when

S = f"case:{SUMMARY_ID}"
NO = "HP-S-2024-004512"
#: the history of tests/test_redflags_time.py's RF12.f test of a voided decision: decided
#: 10:05:00, published 10:05:10, its form voided 10:05:30, "served" 10:06:00 (after the void)
PUBLISHED = step(S, "DecisionPublished", at("2024-09-30", "10:05:10"), decision_no=NO,
                 publication_ref="PUB-HP-S-004512")
VOID = step(S, "DecisionFormVoided", at("2024-09-30", "10:05:30"), form_no=NO,
            reason="wrong_amount")
#: 3 working days from Monday 30 September 2024: 国庆 1–7 October, so Thursday 10 October
DUE = "2024-10-10"
BASIS = {"basis": "APL 第48条第2款 (withdraw within 3 working days)",
         "basis_zh": "APL 第48条第2款（3个工作日内撤下）"}


def withdrawn(day: str, decision_no: str = NO, stream: str = S) -> f.Step:
    return step(stream, "DecisionPublicationWithdrawn", at(day), reason="error",
                decision_no=decision_no)


def rf12f(history: History, party_ref: str | None = None) -> list[tuple[str, str, Any]]:
    """RF12.f's flags of the voids: (status, due, days late)."""
    return [(x.status, numbers(x)["due"], numbers(x).get("days_late"))
            for x in compute_flags(history.events, national(), at=when("2025-01-01"),
                                   processes=1)
            if x.rule_id == "RF12.f" and "voided_on" in numbers(x)
            and (party_ref is None or x.party_ref == party_ref)]


def summary_deadlines(*steps: f.Step) -> tuple[dict[str, Any], History]:
    history, folder = world(list(steps))
    return folder.cases[SUMMARY_ID]["deadlines"], history


def test_a_published_decision_whose_form_was_voided_owes_its_withdrawal_as_rf12f_counts_it(
        ) -> None:
    """The flags judge the withdrawal of a voided decision's publication (RF12.f: 3 working
    days from the void); the case page showed no such deadline, so it called nothing late
    where the flag was raised. Opened on the decision's own deadlines, whichever of the
    publication, the decision, the void and the withdrawal is recorded first; none for a
    decision not published at the void, or one the void did not end."""
    steps = f.summary_case(SUMMARY_ID)
    owed = {"due": DUE, **BASIS, "met_on": None, "late": None, "voided_form": NO,
            "params_version": national().version}
    for order in ([PUBLISHED] + steps + [VOID], [VOID, PUBLISHED] + steps):
        deadlines, history = summary_deadlines(*order)
        assert deadlines["publication_withdrawal"] == owed
        assert rf12f(history) == [("raised", DUE, None)]
    for day, late in (("2024-10-10", False), ("2024-10-11", True)):
        for order in ([PUBLISHED] + steps + [VOID, withdrawn(day)],
                      [withdrawn(day), VOID, PUBLISHED] + steps):
            deadlines, history = summary_deadlines(*order)
            assert deadlines["publication_withdrawal"] == {**owed, "met_on": day, "late": late}
            assert rf12f(history) == ([("cleared", DUE, 1)] if late else [])
    # never published, unpublished before the void, or voided after the decision was served
    # (RF20.e's: the void ends nothing): none owed
    served = [s.type for s in steps].index("DecisionServed")
    after_service = dataclasses.replace(VOID, occurred_at=at("2024-09-30", "10:06:30"))
    unpublished = dataclasses.replace(withdrawn("2024-09-30"),
                                      occurred_at=at("2024-09-30", "10:05:20"))
    for history_steps in (steps + [VOID], [PUBLISHED] + steps + [after_service],
                          [PUBLISHED, unpublished] + steps + [VOID],
                          [PUBLISHED] + steps[:served + 1] + [after_service]
                          + steps[served + 1:]):
        deadlines, history = summary_deadlines(*history_steps)
        assert "publication_withdrawal" not in deadlines
        assert rf12f(history) == []


def test_a_service_dated_before_the_void_removes_the_withdrawal_it_owed() -> None:
    """A service dated before the void, recorded after it, shows the decision was handed over
    first: the void ended nothing, so no withdrawal is owed — the deadline goes (it is not
    cancelled: nothing ended), as the flag does, and the page is the one folded in world
    order."""
    steps = f.summary_case(SUMMARY_ID)
    served = [s.type for s in steps].index("DecisionServed")
    early = dataclasses.replace(steps[served], occurred_at=at("2024-09-30", "10:05:20"))
    before_service, _ = summary_deadlines(*([PUBLISHED] + steps[:served] + [VOID]))
    assert before_service["publication_withdrawal"]["due"] == DUE
    revived, history = summary_deadlines(*([PUBLISHED] + steps[:served] + [VOID, early]
                                           + steps[served + 1:]))
    in_order, _ = summary_deadlines(*([PUBLISHED] + steps[:served] + [early, VOID]
                                      + steps[served + 1:]))
    assert "publication_withdrawal" not in revived
    assert revived == in_order
    assert rf12f(history) == []


def reissued_published(void_first: bool) -> list[f.Step]:
    """``summary_case`` decided first on form HP-S-2024-004511 (10:04), published (10:04:10),
    the form voided (10:04:30) and the decision re-issued on the next form (10:05);
    ``void_first``: the void recorded before the decision it ends."""
    steps = f.summary_case(SUMMARY_ID)
    decided = [s.type for s in steps].index("PenaltyDecided")
    spoilt = dataclasses.replace(steps[decided], occurred_at=at("2024-09-30", "10:04:00"),
                                 body={**steps[decided].body, "decision_no": "HP-S-2024-004511",
                                       "form_no": "HP-S-2024-004511", "amount_fen": 20_000})
    published = step(S, "DecisionPublished", at("2024-09-30", "10:04:10"),
                     decision_no="HP-S-2024-004511", publication_ref="PUB-HP-S-004511")
    void = step(S, "DecisionFormVoided", at("2024-09-30", "10:04:30"),
                form_no="HP-S-2024-004511", reason="wrong_amount")
    middle = [void, spoilt, published] if void_first else [spoilt, published, void]
    return steps[:decided] + middle + steps[decided:]


def test_the_withdrawal_owed_goes_with_the_voided_decision_when_it_is_re_issued() -> None:
    """The decision re-issued on the next form is the one in force, with its own deadlines;
    the withdrawal of the voided decision's publication is the voided decision's, kept with it
    in ``previous_decisions``."""
    for void_first in (False, True):
        history, folder = world(reissued_published(void_first))
        case = folder.cases[SUMMARY_ID]
        [spoilt] = case["previous_decisions"]
        assert (spoilt["status"], spoilt["deadlines"]["publication_withdrawal"]["due"],
                spoilt["deadlines"]["publication_withdrawal"]["voided_form"]) == (
            "voided", DUE, "HP-S-2024-004511")
        assert "publication_withdrawal" not in case["deadlines"]
        assert rf12f(history) == [("raised", DUE, None)]


def co_party_voided(withdrawn_on: str | None) -> list[f.Step]:
    """``two_parties`` with the company's decision (a co-party's beside the vendor's) on form
    HP-G-COMPANY, published on 08-14 and never served, the form voided on Friday 08-16, its
    publication withdrawn on ``withdrawn_on`` (None: never; due Wednesday 08-21)."""
    form = "HP-G-COMPANY"
    steps = [dataclasses.replace(s, body={**s.body, "form_no": form})
             if s.type == "PenaltyDecided" and s.body["decision_no"] == COMPANY_NO else s
             for s in two_parties()
             if not (s.body.get("decision_no") == COMPANY_NO
                     and s.type in ("DecisionServed", "PaymentRecorded"))]
    void = step(f"case:{GENERAL}", "DecisionFormVoided", at("2024-08-16"), form_no=form,
                reason="wrong_amount")
    return steps + [void] + (
        [withdrawn(withdrawn_on, COMPANY_NO, f"case:{GENERAL}")] if withdrawn_on else [])


def test_a_co_partys_voided_published_decision_owes_the_withdrawal_on_its_own_entry() -> None:
    """The company's decision (a co-party's beside the vendor's) published on 08-14 and never
    served, its form voided on Friday 08-16: its publication is withdrawn by Wednesday 08-21,
    on the company's entry, not the vendor's decision shown as the case's."""
    for late in (False, True):
        day = "2024-08-22" if late else "2024-08-21"
        history, folder = world(co_party_voided(day))
        case = folder.cases[GENERAL]
        [company] = case["co_party_decisions"]
        assert company["status"] == "voided"
        owed = company["deadlines"]["publication_withdrawal"]
        assert (owed["due"], owed["met_on"], owed["late"]) == ("2024-08-21", day, late)
        assert "publication_withdrawal" not in case["deadlines"]
        assert rf12f(history, f.COMPANY) == ([("cleared", "2024-08-21", 1)] if late else [])
