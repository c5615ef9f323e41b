"""Case and officer read models folded over full lifecycles: state at each step, deadlines with
working-day arithmetic, officers' certificates at the time, out-of-order steps, determinism."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

from api.dashboard import pledge_chain
from ledger.envelope import Recorded
from projections import case_model, complaint_model, officer_model, readmodels
from projections.oversight import public
from projections.redflags import compute_flags, national
from projections.redflags.params import ParamsTimeline, with_overrides

from . import domain_factory as f
from .domain_factory import DROP, History, at, step
from .test_redflags_parties import (COMPANY_NO, VENDOR_NO, company_unpaid, summary_two_parties,
                                    two_parties)
from .test_redflags_world import GENERAL, SUMMARY, change, drop, insert_after, numbers, when

#: the configuration version a reducer counts with by default (every deadline names it)
NATIONAL = national().version


class Folder:
    """Folds recorded events, in log order, into case, complaint and officer states — the way a
    projection runner would (cases see the officer model as of the previous log position)."""

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.complaints: dict[str, dict[str, Any]] = {}
        self.officers: dict[str, dict[str, Any]] = {}
        self.ctx = case_model.Context(officer=self.officers.get)

    def __call__(self, rec: Recorded) -> None:
        for case_id in case_model.cases_of(rec):
            self.cases[case_id] = case_model.apply(self.cases.get(case_id), rec, self.ctx)
        if rec.stream.startswith("complaint:"):
            cid = rec.stream.partition(":")[2]
            self.complaints[cid] = complaint_model.apply_complaint(self.complaints.get(cid), rec,
                                                              self.ctx)
        for oid in officer_model.officers_of(rec):
            self.officers[oid] = officer_model.apply(self.officers.get(oid), rec, self.ctx,
                                                     officer_id=oid)

    def fold(self, events: list[Recorded]) -> "Folder":
        for rec in events:
            self(rec)
        return self


def world(*lifecycles: list[f.Step]) -> tuple[History, Folder]:
    history, folder = History(), Folder()
    folder.fold(history.extend(f.staff()))
    for steps in lifecycles:
        folder.fold(history.extend(steps))
    return history, folder


def states_along(steps: list[f.Step], case_id: str, history: History, folder: Folder
                 ) -> list[str]:
    seen = []
    for rec in history.extend(steps):
        folder(rec)
        seen.append(folder.cases[case_id]["state"])
    return seen


def test_a_deadlines_basis_names_the_period_the_citys_configuration_sets() -> None:
    """A city that files summary decisions within 2 working days and gives 30 days to pay had
    its deadlines explained as '3 working days' and '15 days from receipt' (the national
    figures, written into the text), beside due days counted with its own; and the Chinese page
    showed the English explanation. The basis now names the period counted, in both languages."""
    city = with_overrides(national(), "BJ", {"summary_decision_filing_days": 2,
                                             "payment_deadline_days": 30})
    history, folder = world()
    folder.ctx = dataclasses.replace(folder.ctx, params=city.legal, version=city.version)
    folder.fold(history.extend(f.summary_case(SUMMARY_ID)))
    filing = folder.cases[SUMMARY_ID]["deadlines"]["summary_filing"]
    assert (filing["basis"], filing["basis_zh"]) == ("MOHURD55 第14条 (2 working days)",
                                                     "MOHURD55 第14条（2个工作日内备案）")
    history, folder = world()
    folder.ctx = dataclasses.replace(folder.ctx, params=city.legal, version=city.version)
    folder.fold(history.extend(f.general_case(GENERAL_ID)))
    payment = folder.cases[GENERAL_ID]["deadlines"]["payment"]
    assert (payment["basis"], payment["basis_zh"]) == (
        "APL 第67条第3款 (30 days from receipt)", "APL 第67条第3款（自收到行政处罚决定书之日起30日内）")


def test_the_head_who_decides_a_recusal_acts_in_the_case_and_no_one_else_does() -> None:
    """A recusal's ``decided_by`` is one officer id, not a list: the read models took each of
    its characters for a person — a case acted in by officers 'S', 'H', '-', '0'… (the
    dashboard listed them, each with a page) — and not the head who decided it."""
    head = "SH-HP-0909"
    history, folder = world(f.summary_case(SUMMARY_ID))
    folder.fold(history.extend([step(f"case:{SUMMARY_ID}", "RecusalDecided",
                                     at("2024-10-01"), officer_id=f.OFFICER_B,
                                     decided_by=head)]))
    assert set(folder.cases[SUMMARY_ID]["officers"]) == {f.OFFICER_A, f.OFFICER_B, head}
    assert {oid for oid in folder.officers if len(oid) < 4} == set()
    assert folder.officers[head]["caseload"]["acts"] == 1


def test_a_cases_statutory_range_is_the_one_for_its_partys_kind() -> None:
    """A spitting case against an individual showed the range ¥0.00 – ¥50,000.00 (the
    envelope of SH_SRHW 第28条's bands, a unit's dumping fine included): an individual's is at
    most 200 元."""
    steps = [s if s.type not in ("CaseFiled", "PenaltyDecided") else
             dataclasses.replace(s, body={**s.body, "violation_code": "SPIT_SH"})
             for s in f.summary_case(SUMMARY_ID)]
    _, folder = world(steps)
    assert folder.cases[SUMMARY_ID]["violation"]["statutory_range_fen"] == [0, 20_000]


# --- summary procedure --------------------------------------------------------------------------

SUMMARY_ID = "SH-HP-2024-S-004512"


def test_summary_case_decided_paid_on_the_spot_remitted_deposited_filed_closed() -> None:
    history, folder = world()
    steps = f.summary_case(SUMMARY_ID)
    seen, snapshots = [], {}
    for rec in history.extend(steps):
        folder(rec)
        case = folder.cases[SUMMARY_ID]
        seen.append(case["state"])
        snapshots[rec.type] = (json.loads(json.dumps(case)),
                               json.loads(json.dumps(folder.officers[f.OFFICER_A])))
    assert seen == ["ON_SCENE", "ON_SCENE", "ON_SCENE", "ON_SCENE", "DECIDED_ON_SPOT", "DELIVERED",
                    "COLLECTED_ON_SPOT", "REMITTED", "DEPOSITED", "FILED_WITH_AGENCY",
                    "FILED_WITH_AGENCY", "CLOSED"]

    case, officer = snapshots["CaseFiled"]
    assert case["procedure"] == "summary"
    assert case["parties"] == [{"party_ref": f.VENDOR, "party_type": "individual"}]
    assert officer["caseload"]["cases"] == 1 and officer["caseload"]["acts"] == 1

    case, officer = snapshots["PenaltyDecided"]
    assert case["amounts"]["decided_fen"] == case["amounts"]["current_fen"] == 10_000
    assert case["violation"] == {"code": "STALL_SH", "legal_basis": "SH_SRHW 第25条",
                                 "occurred_at": at("2024-09-30", "09:50:00"),
                                 "ended_at": None, "statutory_range_fen": [5_000, 50_000]}
    assert case["deadlines"]["summary_filing"]["due"] == "2024-10-10"  # 3 working days, 国庆
    assert case["officers"][f.OFFICER_A]["credential_at_first_act"]["status"] == "valid"
    assert case["officers"][f.OFFICER_B]["invalid_acts"] == []
    assert officer["caseload"]["decisions"] == officer["caseload"]["summary_decisions"] == 1
    assert officer["caseload"]["decided_fen"] == 10_000

    case, officer = snapshots["OnsiteCashCollected"]
    assert case["deadlines"]["cash_to_agency"] == {
        "due": "2024-10-09", "basis": "APL 第71条 (2 working days)", "met_on": None,
        "basis_zh": "APL 第71条（2个工作日内交至行政机关）",
        "late": None, "params_version": NATIONAL}
    assert case["deadlines"]["payment"]["met_on"] == "2024-09-30"
    assert case["money"]["outstanding_fen"] == 0
    assert case["money"]["reconciliation"]["status"] == "pending"
    assert officer["caseload"]["cash_collections"] == 1

    case, _ = snapshots["OnsiteCashRemitted"]
    assert case["deadlines"]["cash_to_agency"]["met_on"] == "2024-10-08"
    assert case["deadlines"]["agency_to_bank"]["due"] == "2024-10-10"

    case = folder.cases[SUMMARY_ID]
    assert case["deadlines"]["agency_to_bank"]["late"] is False
    assert case["deadlines"]["summary_filing"] == {
        "due": "2024-10-10", "basis": "MOHURD55 第14条 (3 working days)", "met_on": "2024-10-10",
        "basis_zh": "MOHURD55 第14条（3个工作日内备案）",
        "late": False, "params_version": NATIONAL}
    assert case["money"]["cash"]["collected_fen"] == case["money"]["cash"]["deposited_fen"]
    assert case["money"]["reconciliation"]["status"] == "reconciled"
    assert case["out_of_order"] == []
    assert case["events"] == [r.event_id for r in history.events[-len(steps):]]
    assert case["closed_on"] == "2024-10-16"


def test_a_step_back_dated_before_the_payment_does_not_move_the_day_it_was_paid() -> None:
    """While the fine stood paid, every later event marked the payment deadline met again and
    the earliest day was kept: evidence dated the day before the case and recorded after the
    payment (RF08.b's back-dating) showed the fine paid before it was decided."""
    history, folder = world()
    steps = f.summary_case(SUMMARY_ID) + [
        step(f"case:{SUMMARY_ID}", "EvidenceRecorded", at("2024-09-29", "18:00:00"),
             evidence_id="EV-back-dated")]
    folder.fold(history.extend(steps))
    case = folder.cases[SUMMARY_ID]
    assert case["deadlines"]["payment"]["met_on"] == "2024-09-30"
    assert case["money"]["outstanding_fen"] == 0


def test_summary_filing_before_the_money_waits_for_the_deposit() -> None:
    history, folder = world()
    steps = f.summary_case(SUMMARY_ID)
    filed = next(s for s in steps if s.type == "SummaryDecisionFiled")
    reordered = [s for s in steps if s is not filed]
    reordered.insert(8, step(filed.stream, filed.type, at("2024-10-09"), **filed.body))
    seen = states_along(reordered, SUMMARY_ID, history, folder)
    assert seen[6:10] == ["COLLECTED_ON_SPOT", "REMITTED", "REMITTED", "FILED_WITH_AGENCY"]
    assert folder.cases[SUMMARY_ID]["out_of_order"] == []


def test_summary_bank_payment_goes_through_pending_to_paid() -> None:
    history, folder = world()
    s = f"case:{SUMMARY_ID}"
    steps = f.summary_case(SUMMARY_ID)[:5] + [
        step(s, "DecisionServed", at("2024-09-30", "10:06:00"), decision_no="HP-S-2024-004512",
             party_ref=f.VENDOR, method="on_the_spot", party_present=True),
        step(s, "EvidenceRecorded", at("2024-09-30", "12:00:00"), evidence_id="EV-late-upload"),
        step(s, "SummaryDecisionFiled", at("2024-10-08"), decision_no="HP-S-2024-004512",
             form_no="HP-S-2024-004512"),
        step(s, "PaymentRecorded", at("2024-10-11"), decision_no="HP-S-2024-004512",
             amount_fen=10_000, channel="e_payment"),
    ]
    seen = states_along(steps, SUMMARY_ID, history, folder)
    # a late bodycam upload does not take the cash route away; filing signals the bank route
    assert seen[5:] == ["DELIVERED", "DELIVERED", "BANK_PAYMENT_PENDING", "FILED_WITH_AGENCY"]
    assert folder.cases[SUMMARY_ID]["out_of_order"] == []


# --- general procedure --------------------------------------------------------------------------

GENERAL_ID = "SH-HP-2024-000123"


def test_general_case_with_hearing_legal_review_extension_and_bank_payment() -> None:
    history, folder = world()
    seen, at_step = [], {}
    for rec in history.extend(f.general_case(GENERAL_ID)):
        folder(rec)
        seen.append(folder.cases[GENERAL_ID]["state"])
        at_step[rec.type] = json.loads(json.dumps(folder.cases[GENERAL_ID]))
    assert seen == ["CLUE", "FILED", "INVESTIGATING", "INVESTIGATING", "INVESTIGATION_CONCLUDED",
                    "REVIEWING", "NOTIFIED", "HEARING", "HEARING", "DECIDING", "DECIDING",
                    "DECIDING", "DECIDING", "DECIDED", "SERVED", "SERVED", "EXECUTING", "EXECUTED",
                    "CLOSED", "ARCHIVED"]

    assert at_step["CaseFiled"]["deadlines"]["decision"]["due"] == "2024-07-22"  # 90 days
    assert at_step["PenaltyNoticeServed"]["deadlines"]["hearing_request"]["due"] == "2024-06-03"
    assert at_step["PenaltyNoticeServed"]["amounts"]["proposed_fen"] == 300_000
    assert at_step["HearingRequested"]["deadlines"]["hearing_request"]["late"] is False
    assert at_step["ExtensionApproved"]["deadlines"]["decision"]["due"] == "2024-08-21"  # +30

    decided = at_step["PenaltyDecided"]
    assert decided["deadlines"]["decision"] == {
        "due": "2024-08-21", "basis": "APL 第60条 (90 days from filing + approved extensions)",
        "basis_zh": "APL 第60条（自立案之日起90日内，另加批准的延长期限）",
        "met_on": "2024-08-08", "late": False, "params_version": NATIONAL}
    assert decided["deadlines"]["service"]["due"] == "2024-08-19"      # 7 working days
    assert decided["deadlines"]["publication"]["due"] == "2024-08-19"
    assert decided["decision"]["decided_by"] == [f.HEAD]
    assert decided["officers"][f.HEAD]["credential_at_first_act"]["status"] == "valid"
    assert at_step["DecisionServed"]["deadlines"]["payment"]["due"] == "2024-08-27"  # 15 days

    case = folder.cases[GENERAL_ID]
    assert case["hearing"]["presider_id"] == f.LEGAL
    assert case["hearing"]["presider_is_investigator"] is False
    assert case["legal_review"]["result"] == "pass"
    assert case["collective_discussions"] == 1
    assert case["extensions"][0]["days"] == 30
    assert case["parties"] == [{"party_ref": f.COMPANY, "party_type": "organisation",
                                "org_name": "上海某某建材有限公司"}]
    assert case["money"]["payments"][0]["channel"] == "designated_bank"
    assert case["money"]["reconciliation"] == {
        "status": "reconciled", "reconciled_fen": 300_000, "expected_fen": 300_000,
        "result": "matched", "on": "2024-08-26", "event_id": case["events"][17]}
    assert all(d["late"] is False for d in case["deadlines"].values())
    assert case["out_of_order"] == []
    head = folder.officers[f.HEAD]["caseload"]
    assert head["general_decisions"] == 1 and head["decided_fen"] == 300_000


def test_decision_without_the_extension_would_be_late() -> None:
    history, folder = world()
    steps = [s for s in f.general_case(GENERAL_ID) if s.type != "ExtensionApproved"]
    folder.fold(history.extend(steps))
    assert folder.cases[GENERAL_ID]["deadlines"]["decision"] == {
        "due": "2024-07-22", "basis": "APL 第60条 (90 days from filing + approved extensions)",
        "basis_zh": "APL 第60条（自立案之日起90日内，另加批准的延长期限）",
        "met_on": "2024-08-08", "late": True, "params_version": NATIONAL}


def test_a_mitigation_is_not_the_decision_the_90_days_ask_for() -> None:
    """APL 第60条 wants the penalty decided (作出行政处罚决定) within 90 days + extensions. A
    ``WaiverGranted`` that only mitigates (从轻、减轻) is followed by the lighter decision (RF15.b
    reads it so); it met the deadline in RF12.a and the case view, so a case mitigated on
    1 July and decided on 2 September (due 21 August) was on time in both. A waiver of the
    penalty (不予处罚) still decides the case."""
    def case_with(waiver: str) -> list[f.Step]:       # up to the decision, moved to 2 Sep
        steps = f.general_case(GENERAL_ID)
        steps = steps[:[s.type for s in steps].index("PenaltyDecided")] + [
            f.Step(s.stream, s.type, at("2024-09-02"), s.body) for s in steps
            if s.type == "PenaltyDecided"]
        i = next(i for i, s in enumerate(steps) if s.type == "LegalReviewCompleted") + 1
        return steps[:i] + [step(f"case:{GENERAL_ID}", "WaiverGranted", at("2024-07-01"),
                                 basis="APL32", waiver=waiver, party_ref=f.COMPANY,
                                 violation_code="PILEUP_SH", decided_by=[f.HEAD])] + steps[i:]
    for waiver, met_on, late in (("mitigated", "2024-09-02", True),
                                 ("no_penalty", "2024-07-01", False)):
        history, folder = world()
        folder.fold(history.extend(case_with(waiver)))
        decision = folder.cases[GENERAL_ID]["deadlines"]["decision"]
        assert (decision["due"], decision["met_on"], decision["late"]) == (
            "2024-08-21", met_on, late)
        flags = [x for x in compute_flags(history.events, national(), at=when("2025-01-01"))
                 if x.rule_id == "RF12.a"]
        assert [(numbers(x)["due"], x.status, x.cleared_at) for x in flags] == (
            [("2024-08-21", "cleared", "2024-09-02T10:00:00+08:00")] if late else [])


def test_a_case_filed_on_the_spot_and_decided_under_the_general_procedure_is_timed() -> None:
    """As RF12.a counts it: from the first general filing (立案), or — a case filed on the spot
    and decided under the general procedure — from its filing. The view opened the period on
    general filings only, and anew on each: a case filed as summary had none, and a second
    filing started the 90 days again."""
    base = [s for s in f.general_case(GENERAL_ID) if s.type != "ExtensionApproved"]
    on_the_spot = [f.Step(s.stream, s.type, s.occurred_at, {**s.body, "procedure": "summary"})
                   if s.type == "CaseFiled" else s for s in base]
    refiled = base[:4] + [step(f"case:{GENERAL_ID}", "CaseFiled", at("2024-05-10"),
                               filing_no="沪黄城管立〔2024〕第124号",
                               parties=[{"party_ref": f.COMPANY,
                                         "party_type": "organisation"}])] + base[4:]
    converted = on_the_spot[:4] + refiled[4:5] + on_the_spot[4:]
    for steps, due, late in ((on_the_spot, "2024-07-22", True), (refiled, "2024-07-22", True),
                             (converted, "2024-08-08", False)):
        history, folder = world()
        folder.fold(history.extend(steps))
        decision = folder.cases[GENERAL_ID]["deadlines"]["decision"]
        assert (decision["due"], decision["met_on"], decision["late"]) == (
            due, "2024-08-08", late)
        flags = [x for x in compute_flags(history.events, national(), at=when("2025-01-01"))
                 if x.rule_id == "RF12.a"]
        assert [numbers(x)["due"] for x in flags] == ([due] if late else [])


def test_an_extension_approved_after_the_decision_deadline_passed_extends_nothing() -> None:
    """As RF12 counts it: an approval three days after day 90 still moved the case view's
    deadline 30 days on, so the view called on time a decision RF12.a flags as late."""
    for approved_on, due, late in (("2024-07-25", "2024-07-22", True),
                                   ("2024-07-22", "2024-08-21", False)):     # on the day
        history, folder = world()
        folder.fold(history.extend(
            [f.Step(s.stream, s.type, at(approved_on) if s.type == "ExtensionApproved"
                    else s.occurred_at, s.body) for s in f.general_case(GENERAL_ID)]))
        decision = folder.cases[GENERAL_ID]["deadlines"]["decision"]
        assert (decision["due"], decision["late"]) == (due, late)


def test_an_extension_rf12_does_not_count_does_not_move_the_views_deadline() -> None:
    """An approval by an officer who acted in the investigation (known only from an act
    recorded after the extension) moved the view's decision deadline 30 days on while RF12.b
    refuses it and RF12.a counts 90 days: the view called on time a decision the flags call
    late. A head's 45 days count 30 in both (the rest needs collective discussion), a deputy
    head's approval counts in both."""
    def case_with(decided_on: str | None = None, **approval: Any) -> list[f.Step]:
        return [f.Step(s.stream, s.type, s.occurred_at, {**s.body, **approval})
                if s.type == "ExtensionApproved" else
                f.Step(s.stream, s.type, at(decided_on), s.body)
                if s.type == "PenaltyDecided" and decided_on else s
                for s in f.general_case(GENERAL_ID)]

    acted = step(f"case:{GENERAL_ID}", "InspectionPerformed", at("2024-08-09"),
                 inspection_id="IN-2024-000123-9",
                 officers=[{"officer_id": f.HEAD, "cert_no": "31010219101"}])
    for steps, due, counted, why in (
            (case_with() + [acted], "2024-07-22", 0,
             f"approved by {f.HEAD}, an investigator of the case"),
            (case_with("2024-08-30", days=45), "2024-08-21", 30,
             "15 of its 45 days exceed the 30 days a head (负责人) may grant; only collective "
             "discussion (集体讨论) extends further")):
        history, folder = world()
        folder.fold(history.extend(steps))
        case = folder.cases[GENERAL_ID]
        assert (case["deadlines"]["decision"]["due"], case["deadlines"]["decision"]["late"]) \
            == (due, True)
        extension = case["extensions"][0]
        assert (extension["counted"], extension["counted_days"], extension["why"]) \
            == (False, counted, why)
        flags = compute_flags(history.events, national(), at=when("2025-01-01"), processes=1)
        rf12a = next(x for x in flags if x.rule_id == "RF12.a" and x.case_id == GENERAL_ID)
        assert numbers(rf12a)["due"] == case["deadlines"]["decision"]["due"]
        rf12b = next(x for x in flags if x.rule_id == "RF12.b" and x.case_id == GENERAL_ID)
        assert numbers(rf12b)["counted_days"] == extension["counted_days"]
    deputy = f.officer_setup(f.DEPUTY, "31010210003", superior=None, role="unit_head")
    for steps in (case_with(), case_with(approval_form="deputy_head", approved_by=f.DEPUTY)):
        history, folder = world(deputy)
        folder.fold(history.extend(steps))
        case = folder.cases[GENERAL_ID]
        assert case["deadlines"]["decision"]["due"] == "2024-08-21"
        assert (case["extensions"][0]["counted"], case["extensions"][0]["counted_days"],
                case["extensions"][0]["why"]) == (True, 30, None)


def _extension_by(approver: str, form: str) -> list[f.Step]:
    return [f.Step(s.stream, s.type, s.occurred_at,
                   {**s.body, "approved_by": approver, "approval_form": form})
            if s.type == "ExtensionApproved" else s for s in f.general_case(GENERAL_ID)]


def test_an_extension_approved_as_the_head_by_no_head_does_not_move_the_views_deadline() -> None:
    """As RF12.b counts it: the legal reviewer approving 30 days 'as agency_head' moved the
    case page's decision deadline to 21 August, so the page called on time the decision of 8
    August that RF12.a flags as late (due 22 July). The view keeps the approver's post at the
    approval (``approver_role``) and counts the extension only when it is a head's."""
    history, folder = world()
    folder.fold(history.extend(_extension_by(f.LEGAL, "agency_head")))
    case = folder.cases[GENERAL_ID]
    decision, extension = case["deadlines"]["decision"], case["extensions"][0]
    assert (decision["due"], decision["late"]) == ("2024-07-22", True)
    assert (extension["approver_role"], extension["counted"], extension["counted_days"],
            extension["why"]) == ("legal_reviewer", False, 0,
                                  f"approved by {f.LEGAL} (legal_reviewer), not a head of the "
                                  "agency (负责人)")
    flags = compute_flags(history.events, national(), at=when("2025-01-01"), processes=1)
    (rf12a,) = [x for x in flags if x.rule_id == "RF12.a"]
    assert numbers(rf12a)["due"] == decision["due"]


def test_a_head_post_recorded_after_the_extension_moves_the_views_deadline_as_rf12() -> None:
    """Whichever is recorded first, the post at the approval counts (as RF23.b reads a
    complaint extension's): the deputy's unit_head post from 2023, recorded after the decision,
    makes the deputy's extension count in the read models' fold — incrementally, and in the
    rebuild that folds the same log."""
    deputy = f.officer_setup(f.DEPUTY, "31010210003", superior=None, role="unit_head")
    history = History()
    events = history.extend(f.staff() + _extension_by(f.DEPUTY, "deputy_head"))
    fold = readmodels.Fold(lambda table, ids: {}, ParamsTimeline(national()))
    for rec in events:
        fold.apply(rec)
    case = fold.cases[GENERAL_ID]
    assert (case["extensions"][0]["counted"], case["deadlines"]["decision"]["due"]) == (
        False, "2024-07-22")
    for rec in history.extend(deputy):
        fold.apply(rec)
    assert (case["extensions"][0]["approver_role"], case["extensions"][0]["counted"],
            case["deadlines"]["decision"]["due"], case["deadlines"]["decision"]["late"]) == (
        "unit_head", True, "2024-08-21", False)
    assert GENERAL_ID in fold.changed["cases"]
    flags = compute_flags(history.events, national(), at=when("2025-01-01"), processes=1)
    assert [x for x in flags if x.family == "RF12"] == []


def test_a_continuing_violation_is_shown_with_the_end_rf12h_counts_the_time_bar_from() -> None:
    """The case page showed only when the violation began, so a continuing one begun three
    years before filing looked time-barred while RF12.h (APL 第36条第2款) counts from its end."""
    steps = [f.Step(s.stream, s.type, s.occurred_at,
                    {**s.body, "violation_occurred_at": at("2021-03-01"),
                     "violation_ended_at": at("2022-05-01")})
             if s.type == "CaseFiled" else s for s in f.general_case(GENERAL_ID)]
    history, folder = world(steps)
    assert folder.cases[GENERAL_ID]["violation"]["occurred_at"] == at("2021-03-01")
    assert folder.cases[GENERAL_ID]["violation"]["ended_at"] == at("2022-05-01")
    flags = compute_flags(history.events, national(), at=when("2025-01-01"), processes=1)
    assert [x for x in flags if x.rule_id == "RF12.h"] == []
    _, single = world(f.general_case(GENERAL_ID))
    assert single.cases[GENERAL_ID]["violation"]["ended_at"] is None


def test_case_withdrawn_with_approval() -> None:
    case_id = "SH-HP-2025-000031"
    history, folder = world()
    seen = states_along(f.withdrawn_case(case_id), case_id, history, folder)
    assert seen == ["FILED", "INVESTIGATING", "INVESTIGATION_CONCLUDED", "REVIEWING", "NOTIFIED",
                    "DECIDING", "DECIDED", "SERVED", "SERVED", "NOT_PENALISED", "NOT_PENALISED",
                    "CLOSED"]
    case = folder.cases[case_id]
    assert case["amounts"]["decided_fen"] == 200_000 and case["amounts"]["current_fen"] == 0
    assert case["decision"]["status"] == "withdrawn"
    assert case["withdrawal"]["approved"] is True
    assert case["deadlines"]["payment"]["cancelled_on"] == "2025-04-03"
    # withdraw the publication within 3 working days: Apr 4–6 is the 2025 Qingming holiday
    assert case["deadlines"]["publication_withdrawal"] == {
        "due": "2025-04-09", "basis": "MOHURD55 第10条 (withdraw within 3 working days)",
        "basis_zh": "MOHURD55 第10条（3个工作日内撤下）",
        "met_on": "2025-04-07", "late": False, "params_version": NATIONAL}
    assert case["published"] is False
    assert case["money"]["reconciliation"]["status"] == "not_applicable"
    assert case["out_of_order"] == []


def test_an_amended_published_decision_owes_its_withdrawal_as_rf12f_counts_it() -> None:
    """APL 第48条第2款: a published decision changed (变更) is withdrawn within 3 working days,
    as a revoked one is. The view opened that deadline on an amendment; RF12.f flagged only a
    withdrawal, so the case page called late a publication the flags never named."""
    case_id = "SH-HP-2025-000031"
    no = "沪黄城管罚〔2025〕第31号"
    amended = step(f"case:{case_id}", "PenaltyAmended", at("2025-04-03"), decision_no=no,
                   previous_amount_fen=200_000, amount_fen=150_000)
    for unpublished_on, late in (("2025-04-07", False), ("2025-04-10", True)):
        steps = [amended if s.type == "PenaltyWithdrawn" else
                 f.Step(s.stream, s.type, at(unpublished_on), s.body)
                 if s.type == "DecisionPublicationWithdrawn" else s
                 for s in f.withdrawn_case(case_id)[:-1]]
        history, folder = world()
        folder.fold(history.extend(steps))
        deadline = folder.cases[case_id]["deadlines"]["publication_withdrawal"]
        assert (deadline["due"], deadline["late"]) == ("2025-04-09", late)
        flags = [x for x in compute_flags(history.events, national(), at=when("2025-05-01"),
                                          processes=1)
                 if x.rule_id == "RF12.f" and x.case_id == case_id]
        assert [numbers(x)["due"] for x in flags] == (["2025-04-09"] if late else [])


def test_amendment_without_approval_is_recorded_not_refused() -> None:
    history, folder = world()
    steps = f.general_case(GENERAL_ID)[:15] + [
        step(f"case:{GENERAL_ID}", "PenaltyAmended", at("2024-08-13"), amount_fen=100_000,
             approval_id=DROP, approved_by=DROP, approval_form=DROP)]
    folder.fold(history.extend(steps))
    case = folder.cases[GENERAL_ID]
    assert case["state"] == "SERVED"
    assert case["amounts"]["amendments"] == [{"event_id": case["events"][-1],
                                              "previous_fen": 300_000, "amount_fen": 100_000,
                                              "approved": False}]
    assert case["amounts"]["current_fen"] == 100_000
    assert case["out_of_order"] == []


def _amended_before_the_decision(amended_on: str) -> tuple[dict[str, Any], dict[str, Any],
                                                              str]:
    """The general case with an amendment of its decision recorded before the decision: the
    case when the amendment is folded, the case after the decision is served, and the
    amendment's event id."""
    history, folder = world()
    g = f.general_case(GENERAL_ID)
    amendment = step(f"case:{GENERAL_ID}", "PenaltyAmended", at(amended_on), amount_fen=100_000)
    folder.fold(history.extend(g[:13]))
    [rec] = history.extend([amendment])
    folder(rec)
    before = json.loads(json.dumps(folder.cases[GENERAL_ID]))
    folder.fold(history.extend(g[13:15]))             # decided 8 August, served 12 August
    return before, folder.cases[GENERAL_ID], rec.event_id


def test_an_amendment_with_no_decision_to_amend_is_out_of_order_and_changes_nothing() -> None:
    before, case, amendment = _amended_before_the_decision("2024-08-01")
    no = "沪黄城管罚〔2024〕第123号"
    assert before["out_of_order"] == [
        {"event_id": amendment, "type": "PenaltyAmended", "state": "DECIDING",
         "expected_in": ["DECIDED", "SERVED", "EXECUTING", "ENFORCEMENT_APPLIED"],
         "why": f"no decision {no} to change"}]
    assert before["amounts"]["current_fen"] is None and before["amounts"]["amendments"] == []
    # the decision it names came a week after it: it amended nothing, and never will
    assert case["out_of_order"][0]["why"] == f"dated before decision {no}"
    assert case["amounts"]["current_fen"] == 300_000 and case["amounts"]["amendments"] == []
    assert case["decision"]["status"] == "in_force" and case["held_changes"] == []


def test_an_amendment_recorded_before_its_decision_but_dated_after_it_applies_then() -> None:
    before, case, amendment = _amended_before_the_decision("2024-08-13")
    assert before["out_of_order"][0]["why"] == "no decision 沪黄城管罚〔2024〕第123号 to change"
    assert case["out_of_order"][0]["why"] == "recorded before decision 沪黄城管罚〔2024〕第123号"
    assert case["amounts"]["current_fen"] == 100_000
    assert [a["event_id"] for a in case["amounts"]["amendments"]] == [amendment]
    assert case["decision"]["status"] == "amended"


def test_an_amendment_of_a_withdrawn_decision_is_out_of_order_and_changes_nothing() -> None:
    case_id = "SH-HP-2025-000031"
    history, folder = world()
    late = step(f"case:{case_id}", "PenaltyAmended", at("2025-04-08"),
                decision_no="沪黄城管罚〔2025〕第31号", previous_amount_fen=200_000,
                amount_fen=100_000)
    folder.fold(history.extend(f.withdrawn_case(case_id)[:-1] + [late]))
    case = folder.cases[case_id]
    assert case["state"] == "NOT_PENALISED"
    assert [(o["type"], o["state"], o["why"]) for o in case["out_of_order"]] == [
        ("PenaltyAmended", "NOT_PENALISED", "decision 沪黄城管罚〔2025〕第31号 was withdrawn")]
    assert case["amounts"]["current_fen"] == 0 and case["amounts"]["amendments"] == []
    assert case["decision"]["status"] == "withdrawn"
    assert case["money"]["reconciliation"]["status"] == "not_applicable"


def test_a_decision_made_anew_after_a_withdrawal_is_in_force_and_keeps_the_withdrawn_one(
) -> None:
    case_id = "SH-HP-2025-000032"
    history, folder = world()
    seen = states_along(f.redecided_case(case_id), case_id, history, folder)
    assert seen[9:] == ["SERVED", "NOT_PENALISED", "NOT_PENALISED", "DECIDED", "SERVED",
                        "SERVED", "EXECUTING", "EXECUTED", "CLOSED"]
    case = folder.cases[case_id]
    assert case["out_of_order"] == []
    assert (case["decision"]["decision_no"], case["decision"]["status"],
            case["decision"]["decided_on"]) == ("沪黄城管罚〔2025〕第58号", "in_force", "2025-04-18")
    assert case["withdrawal"] is None
    assert (case["amounts"]["decided_fen"], case["amounts"]["current_fen"]) == (150_000, 150_000)
    [old] = case["previous_decisions"]
    assert (old["decision_no"], old["status"], old["decided_fen"], old["current_fen"]) == (
        "沪黄城管罚〔2025〕第31号", "withdrawn", 200_000, 0)
    assert old["withdrawal"]["approved"] is True
    assert old["deadlines"]["payment"]["cancelled_on"] == "2025-04-03"
    # the new decision's own obligations: served in time, paid within 15 days of its service
    assert case["deadlines"]["service"]["met_on"] == "2025-04-21"
    assert case["deadlines"]["payment"] == {
        "due": "2025-05-06", "basis": "APL 第67条第3款 (15 days from receipt)",
        "basis_zh": "APL 第67条第3款（自收到行政处罚决定书之日起15日内）",
        "met_on": "2025-04-25", "late": False, "params_version": NATIONAL}
    assert case["money"]["reconciliation"]["status"] == "reconciled"


def test_a_withdrawn_decision_recorded_after_the_one_made_anew_does_not_replace_it() -> None:
    """The withdrawn decision of 27 March, recorded after the decision made anew on 18 April,
    was taken for the latest: it became the decision in force (withdrawn, nothing due) and the
    decision the party paid went to previous_decisions, where the red flags judge it in force."""
    case_id = "SH-HP-2025-000032"
    history, folder = world()
    steps = f.redecided_case(case_id)
    first = next(s for s in steps if s.type == "PenaltyDecided")
    folder.fold(history.extend([s for s in steps if s is not first] + [first]))
    case = folder.cases[case_id]
    assert (case["decision"]["decision_no"], case["decision"]["status"]) == (
        "沪黄城管罚〔2025〕第58号", "in_force")
    assert (case["amounts"]["current_fen"], case["state"]) == (150_000, "CLOSED")
    [old] = case["previous_decisions"]
    assert (old["decision_no"], old["status"], old["current_fen"]) == (
        "沪黄城管罚〔2025〕第31号", "withdrawn", 0)
    assert case["deadlines"]["decision"]["met_on"] == "2025-03-27"


def test_each_partys_money_is_counted_for_its_own_decision() -> None:
    """A case with several parties (共同违法): the vendor's decision, a day after the company's,
    was read as the company's made anew, and took the company's payment (made after it): 6 000
    CNY received of 3 000 for the vendor, nothing for the company. A payment counts for the
    decision it names, among its party's, as RF06 reads it."""
    _, folder = world(two_parties())
    case = folder.cases[GENERAL]
    assert (case["decision"]["decision_no"], case["money"]["received_fen"],
            case["money"]["outstanding_fen"]) == (VENDOR_NO, 300_000, 0)
    [company] = case["co_party_decisions"]
    assert (company["decision_no"], company["received_fen"]) == (COMPANY_NO, 300_000)


def test_each_partys_decision_is_in_force_with_its_own_deadlines() -> None:
    """The vendor's decision, a day after the company's, was out of order (expected only while
    deciding) and sent the company's to ``previous_decisions``, with no payment deadline: its
    service opened none. Each party's decision is in force: the company's in
    ``co_party_decisions`` with its own service, publication and payment."""
    _, folder = world(two_parties())
    case = folder.cases[GENERAL]
    assert (case["out_of_order"], case["previous_decisions"]) == ([], [])
    [company] = case["co_party_decisions"]
    assert (company["party_ref"], company["status"], company["outstanding_fen"]) == (
        f.COMPANY, "in_force", 0)
    assert {n: (d["due"], d["met_on"]) for n, d in company["deadlines"].items()} == {
        "service": ("2024-08-19", "2024-08-12"), "publication": ("2024-08-19", "2024-08-14"),
        "payment": ("2024-08-27", "2024-08-20")}
    assert case["deadlines"]["payment"]["due"] == "2024-08-28"       # the vendor's


def test_each_partys_service_and_money_are_expected_whichever_decision_is_recorded_first() -> None:
    """The vendor's decision recorded first, the company's (dated a day earlier) after it: the
    company's was kept as a replaced decision and its service, publication and payment were a
    replaced decision's; each party's decision is in force, and the vendor's service moves
    the case on as the company's would, neither party's step out of order."""
    steps = two_parties()
    company, vendor = [i for i, s in enumerate(steps) if s.type == "PenaltyDecided"]
    steps[company], steps[vendor] = steps[vendor], steps[company]
    _, folder = world(steps)
    case = folder.cases[GENERAL]
    assert (case["state"], case["out_of_order"], case["previous_decisions"]) == (
        "ARCHIVED", [], [])
    [vendor_decision] = case["co_party_decisions"]
    assert (case["decision"]["decision_no"], vendor_decision["decision_no"]) == (
        COMPANY_NO, VENDOR_NO)
    assert (case["deadlines"]["payment"]["met_on"],
            vendor_decision["deadlines"]["payment"]["met_on"]) == ("2024-08-20", "2024-08-21")
    assert vendor_decision["closed_on"] == case["closed_on"] == "2024-08-28"


def test_a_co_partys_decision_after_the_closing_keeps_the_closing_with_the_decision_closed(
        ) -> None:
    """The vendor decided after the company's case was closed and archived: the case reopens
    (the closing was the company's decision's), and the company's decision, still in force,
    keeps its closing; it was lost (it went to a replaced decision's entry, of which there is
    none)."""
    vendor = step(f"case:{GENERAL}", "PenaltyDecided", at("2024-09-10"), decision_no=VENDOR_NO,
                  party={"party_ref": f.VENDOR, "party_type": "individual"},
                  amount_fen=300_000)
    steps = change(f.general_case(GENERAL), "CaseFiled",
                   parties=[{"party_ref": f.COMPANY, "party_type": "organisation"},
                            {"party_ref": f.VENDOR, "party_type": "individual"}])
    _, folder = world(steps + [vendor])
    case = folder.cases[GENERAL]
    [company] = case["co_party_decisions"]
    assert (case["state"], case["closed_on"], case["previous_decisions"]) == ("DECIDED", None, [])
    assert (company["decision_no"], company["closed_on"], company["close_outcome"]) == (
        COMPANY_NO, "2024-08-28", "paid")


def test_a_co_partys_decision_made_anew_without_withdrawal_is_out_of_order() -> None:
    """The company decided again while its decision stood (no withdrawal) after the vendor's:
    out of order as in a case of one party, where a co-party's first decision is expected. It
    finds the case SERVED: the company's decision, served and unpaid, is the least advanced
    (the vendor's is paid)."""
    again = step(f"case:{GENERAL}", "PenaltyDecided", at("2024-08-16"),
                 decision_no="沪黄城管罚〔2024〕第125号",
                 party={"party_ref": f.COMPANY, "party_type": "organisation"},
                 amount_fen=250_000)
    steps = two_parties()
    [published] = [i for i, s in enumerate(steps) if s.type == "DecisionPublished"
                   and s.body["decision_no"] == COMPANY_NO]
    _, folder = world(steps[:published + 1] + [again] + steps[published + 1:])
    case = folder.cases[GENERAL]
    assert [(o["type"], o["state"]) for o in case["out_of_order"]] == [
        ("PenaltyDecided", "SERVED")]
    assert [d["decision_no"] for d in case["previous_decisions"]] == [COMPANY_NO]


def test_an_amendment_of_a_co_partys_decision_changes_it() -> None:
    """The company's decision amended after the vendor's was decided was out of order (one of a
    replaced decision), its published decision owing no withdrawal of the publication. It
    changes the company's decision: amount, status, and the withdrawal owed (APL 第48条)."""
    amend = step(f"case:{GENERAL}", "PenaltyAmended", at("2024-08-16"), decision_no=COMPANY_NO,
                 previous_amount_fen=300_000, amount_fen=200_000)
    steps = two_parties()
    [published] = [i for i, s in enumerate(steps) if s.type == "DecisionPublished"
                   and s.body["decision_no"] == COMPANY_NO]
    _, folder = world(steps[:published + 1] + [amend] + steps[published + 1:])
    case = folder.cases[GENERAL]
    assert case["out_of_order"] == []
    [company] = case["co_party_decisions"]
    assert (company["status"], company["current_fen"], company["received_fen"],
            company["outstanding_fen"]) == ("amended", 200_000, 300_000, 0)
    assert company["deadlines"]["publication_withdrawal"]["due"] == "2024-08-21"
    assert (case["amounts"]["current_fen"], case["decision"]["status"]) == (300_000, "in_force")
    assert "publication_withdrawal" not in case["deadlines"]


def test_a_surcharge_and_a_plan_are_the_decisions_they_name() -> None:
    """The company's surcharge and deferral, made after the vendor was decided, named no
    decision and were the decision in force's: the vendor, paid in full, owed the company's
    surcharge, and its payment deadline moved to the company's deferral. Naming the company's
    decision (``decision_no``), they are its own."""
    g = f"case:{GENERAL}"
    plan = step(g, "InstalmentApproved", at("2024-08-22"), decision_no=COMPANY_NO,
                kind="deferral", schedule=[{"due_date": "2024-10-30", "amount_fen": 300_000}])
    surcharge = step(g, "SurchargeAssessed", at("2024-11-05"), decision_no=COMPANY_NO,
                     principal_fen=300_000, days=5, surcharge_fen=45_000,
                     from_date="2024-10-31", to_date="2024-11-04")
    _, folder = world(company_unpaid(plan, surcharge))
    case = folder.cases[GENERAL]
    [company] = case["co_party_decisions"]
    assert (company["surcharge_fen"], company["received_fen"], company["outstanding_fen"]) == (
        45_000, 0, 345_000)
    assert (company["instalments"]["kind"], company["deadlines"]["payment"]["due"]) == (
        "deferral", "2024-10-30")
    assert (case["amounts"]["surcharge_fen"], case["money"]["outstanding_fen"],
            case["money"]["instalments"], case["deadlines"]["payment"]["due"]) == (
        0, 0, None, "2024-08-28")


def test_a_case_is_not_penalised_only_when_no_partys_decision_is_in_force() -> None:
    """The company's decision withdrawn while the vendor's stands: the case was left as it was
    only because the withdrawal was out of order; it is the company's withdrawal (its payment
    owed is cancelled) and the case, the vendor's decision in force, is not NOT_PENALISED. The
    company's service, recorded after the withdrawal, finds its decision withdrawn: out of
    order, as in a case of one party."""
    withdraw = step(f"case:{GENERAL}", "PenaltyWithdrawn", at("2024-08-16"),
                    decision_no=COMPANY_NO)
    steps = insert_after(drop(two_parties(), "PaymentRecorded", "TreasuryReconciled",
                              "CaseClosed", "CaseArchived"), "DecisionPublished", withdraw)
    _, folder = world(steps)
    case = folder.cases[GENERAL]
    assert [(o["type"], o["state"]) for o in case["out_of_order"]] == [
        ("DecisionServed", "NOT_PENALISED")]
    [company] = case["co_party_decisions"]
    assert (company["status"], company["current_fen"]) == ("withdrawn", 0)
    assert case["state"] == "SERVED"
    assert case["decision"]["status"] == "in_force"


def _company_paid_then_vendor(*after: f.Step) -> list[f.Step]:
    """The company's decision served, paid and reconciled (the case EXECUTED), and only then the
    vendor's decision of 9 August recorded, with ``after``."""
    steps = change(f.general_case(GENERAL), "CaseFiled",
                   parties=[{"party_ref": f.COMPANY, "party_type": "organisation"},
                            {"party_ref": f.VENDOR, "party_type": "individual"}])
    vendor = step(f"case:{GENERAL}", "PenaltyDecided", at("2024-08-09"), decision_no=VENDOR_NO,
                  party={"party_ref": f.VENDOR, "party_type": "individual"},
                  amount_fen=300_000)
    return drop(steps, "CaseClosed", "CaseArchived") + [vendor, *after]


def _own_states(case: dict[str, Any]) -> dict[str, str]:
    return {d["party_ref"]: d["state"] for d in [case["decision"], *case["co_party_decisions"]]}


def test_a_co_partys_decision_recorded_after_the_case_was_executed_leaves_it_unexecuted(
) -> None:
    """The company paid and the treasury reconciled (EXECUTED) before the vendor's decision was
    recorded: the vendor's decision was out of order and the case stayed EXECUTED with the
    vendor's fine neither served nor paid. The case is as far as its least advanced party's
    decision (the vendor's, DECIDED), each decision at its own state, and the same events in
    the order they claim fold into the same."""
    steps = _company_paid_then_vendor()
    _, live = world(steps)
    _, claimed = world(sorted(steps, key=lambda s: s.occurred_at))
    for folder in (live, claimed):
        case = folder.cases[GENERAL]
        assert (case["state"], case["out_of_order"]) == ("DECIDED", [])
        assert _own_states(case) == {f.COMPANY: "EXECUTED", f.VENDOR: "DECIDED"}


def test_a_case_with_several_parties_is_executed_once_every_partys_decision_is() -> None:
    g = f"case:{GENERAL}"
    vendor_paid = [
        step(g, "DecisionServed", at("2024-09-02"), decision_no=VENDOR_NO, party_ref=f.VENDOR,
             method="post", party_present=False),
        step(g, "PaymentRecorded", at("2024-09-05"), decision_no=VENDOR_NO, amount_fen=300_000,
             payment_id="PAY-3101-2024-778813"),
        step(g, "TreasuryReconciled", at("2024-09-10"), amount_fen=600_000),
    ]
    history, folder = world()
    seen = states_along(_company_paid_then_vendor(*vendor_paid), GENERAL, history, folder)
    assert seen[-4:] == ["DECIDED", "SERVED", "EXECUTING", "EXECUTED"]
    assert folder.cases[GENERAL]["out_of_order"] == []


def test_a_co_partys_decision_recorded_after_the_closing_it_came_before_is_closed_by_it(
) -> None:
    """The vendor's decision of 9 August recorded after the case was closed (28 August) and
    archived: the closing, made while both decisions were in force, closes both, as in the
    order claimed — but the company's decision, set beside the vendor's, lost its closing."""
    steps = _company_paid_then_vendor()
    vendor = steps.pop()
    steps += [s for s in f.general_case(GENERAL) if s.type in ("CaseClosed", "CaseArchived")]
    _, live = world(steps + [vendor])
    _, claimed = world(sorted(steps + [vendor], key=lambda s: s.occurred_at))
    for folder in (live, claimed):
        case = folder.cases[GENERAL]
        [company] = case["co_party_decisions"]
        assert (company["closed_on"], case["closed_on"]) == ("2024-08-28", "2024-08-28")
        assert _own_states(case) == {f.COMPANY: "ARCHIVED", f.VENDOR: "ARCHIVED"}


def test_a_forms_void_is_judged_by_the_decision_on_that_form() -> None:
    """The company's form voided after its decision was served and paid (RF20.e's): out of
    order, as in a case of one party, though the vendor's decision, on another form, is
    only decided."""
    steps = change(two_parties("DecisionServed", "PaymentRecorded"), "PenaltyDecided",
                   form_no="HP-G-2024-0123")
    void = step(f"case:{GENERAL}", "DecisionFormVoided", at("2024-08-22"),
                form_no="HP-G-2024-0123", reason="misprint")
    _, folder = world(drop(steps, "TreasuryReconciled", "CaseClosed", "CaseArchived") + [void])
    case = folder.cases[GENERAL]
    assert [(o["type"], o["state"]) for o in case["out_of_order"]] == [
        ("DecisionFormVoided", "EXECUTING")]
    assert (case["state"], _own_states(case)) == (
        "DECIDED", {f.COMPANY: "EXECUTING", f.VENDOR: "DECIDED"})


def _waived(party_ref: str, waiver: str) -> f.Step:
    return step(f"case:{GENERAL}", "WaiverGranted", at("2024-07-01"), basis="APL32",
                waiver=waiver, party_ref=party_ref, violation_code="PILEUP_SH",
                decided_by=[f.HEAD])


def test_a_mitigation_is_followed_by_the_lighter_decision() -> None:
    """A waiver that only mitigates (从轻、减轻: the lighter decision follows, as RF12.a and
    RF15.b read it) led the case to NOT_PENALISED: the decision after it, its service, payment
    and reconciliation were out of order, and the fined case read not penalised until closed."""
    steps = insert_after(f.general_case(GENERAL), "LegalReviewCompleted",
                         _waived(f.COMPANY, "mitigated"))
    history, folder = world()
    seen = states_along(drop(steps, "CaseClosed", "CaseArchived"), GENERAL, history, folder)
    assert seen[-6:] == ["DECIDING", "DECIDED", "SERVED", "SERVED", "EXECUTING", "EXECUTED"]
    assert folder.cases[GENERAL]["out_of_order"] == []


def test_a_party_not_penalised_leaves_the_case_to_the_others_decisions() -> None:
    """共同违法: the vendor not penalised (首违不罚) before the company was fined, or after:
    the waiver led the whole case to NOT_PENALISED, and the company's decision, service,
    payment and reconciliation were out of order (or the waiver, after them, took the case
    back from EXECUTING to not penalised)."""
    steps = change(f.general_case(GENERAL), "CaseFiled",
                   parties=[{"party_ref": f.COMPANY, "party_type": "organisation"},
                            {"party_ref": f.VENDOR, "party_type": "individual"}])
    steps = drop(steps, "CaseClosed", "CaseArchived")
    before = insert_after(steps, "LegalReviewCompleted", _waived(f.VENDOR, "no_penalty"))
    after = steps + [step(f"case:{GENERAL}", "WaiverGranted", at("2024-08-27"), basis="APL33-1",
                          waiver="no_penalty", party_ref=f.VENDOR, violation_code="PILEUP_SH",
                          decided_by=[f.HEAD])]
    for waived in (before, after):
        _, folder = world(waived)
        case = folder.cases[GENERAL]
        assert (case["state"], case["out_of_order"]) == ("EXECUTED", [])


def _not_penalised(party_ref: str | None, on: str) -> f.Step:
    named = {} if party_ref is None else {"party_ref": party_ref}
    return step(f"case:{GENERAL}", "NoPenaltyDecided", at(on), ground="minor_and_corrected",
                legal_basis="APL 第33条第1款", decided_by=[f.HEAD], **named)


def _company_and_vendor_filed() -> list[f.Step]:
    steps = change(f.general_case(GENERAL), "CaseFiled",
                   parties=[{"party_ref": f.COMPANY, "party_type": "organisation"},
                            {"party_ref": f.VENDOR, "party_type": "individual"}])
    return drop(steps, "CaseClosed", "CaseArchived")


def test_a_no_penalty_decision_naming_one_party_leaves_the_case_to_the_others_decisions(
) -> None:
    """共同违法: the vendor not penalised (不予处罚), before the company was fined or after its
    fine was paid: the decision named no party, so it led the whole case to NOT_PENALISED, the
    company's decision, service, payment and reconciliation out of order after it (or it took
    the case back from EXECUTED, out of order itself). Naming the vendor, it is the vendor's
    outcome in either order, and the case the company's decision's; naming none, the case's
    as before."""
    steps = _company_and_vendor_filed()
    before = insert_after(steps, "LegalReviewCompleted", _not_penalised(f.VENDOR, "2024-07-01"))
    after = steps + [_not_penalised(f.VENDOR, "2024-07-01")]
    for history in (before, after):
        _, folder = world(history)
        case = folder.cases[GENERAL]
        assert (case["state"], case["out_of_order"]) == ("EXECUTED", [])
        assert case["waived_parties"] == [f.VENDOR]
    _, folder = world(steps + [_not_penalised(None, "2024-07-01")])
    case = folder.cases[GENERAL]
    assert ([o["type"] for o in case["out_of_order"]], case["waived_parties"]) == (
        ["NoPenaltyDecided"], [])


def test_a_party_not_penalised_on_the_scene_leaves_the_case_to_the_others_decision() -> None:
    """The summary procedure: the company not penalised on the scene, the vendor fined there
    and paying in cash. Named before the vendor's decision, the decision not to penalise led the
    case to NOT_PENALISED and the vendor's decision and money were out of order; recorded after
    them it is the company's outcome too, and the case the vendor's, in either order."""
    g = f"case:{SUMMARY}"
    steps = change(f.summary_case(SUMMARY), "CaseFiled",
                   parties=[{"party_ref": f.VENDOR, "party_type": "individual"},
                            {"party_ref": f.COMPANY, "party_type": "organisation"}])
    steps = drop(steps, "CaseClosed", "CaseArchived")
    spared = step(g, "NoPenaltyDecided", at("2024-09-30", "10:04:00"),
                  ground="minor_and_corrected", legal_basis="APL 第33条第1款",
                  decided_by=[f.OFFICER_A, f.OFFICER_B], party_ref=f.COMPANY)
    states = set()
    for history in (insert_after(steps, "RectificationOrdered", spared), steps + [spared]):
        _, folder = world(history)
        case = folder.cases[SUMMARY]
        assert case["out_of_order"] == []
        states.add(case["state"])
    assert states == {"FILED_WITH_AGENCY"}


def test_each_party_not_penalised_leaves_the_case_not_penalised() -> None:
    """The last party of several spared is the case's outcome: the case is not penalised."""
    steps = [s for s in _company_and_vendor_filed()
             if s.type not in ("PenaltyDecided", "DecisionServed", "DecisionPublished",
                               "PaymentRecorded", "TreasuryReconciled")]
    _, folder = world(steps + [_not_penalised(f.VENDOR, "2024-07-01"),
                               _not_penalised(f.COMPANY, "2024-07-02")])
    case = folder.cases[GENERAL]
    assert (case["state"], case["out_of_order"]) == ("NOT_PENALISED", [])
    assert case["waived_parties"] == [f.VENDOR, f.COMPANY]


def test_a_co_partys_surcharge_moves_its_own_decision_not_the_case_past_the_others() -> None:
    """The company's surcharge (naming its decision) moved the whole case to
    ENFORCEMENT_APPLIED while the vendor's fine, paid, waited for the treasury's
    reconciliation: the company's decision is under enforcement, the case is as far as the
    vendor's (EXECUTING)."""
    surcharge = step(f"case:{GENERAL}", "SurchargeAssessed", at("2024-09-20"),
                     decision_no=COMPANY_NO, principal_fen=300_000, days=20,
                     surcharge_fen=180_000, from_date="2024-08-28", to_date="2024-09-16")
    steps = [s for s in drop(two_parties(), "TreasuryReconciled", "CaseClosed", "CaseArchived")
             if not (s.type == "PaymentRecorded" and s.body["decision_no"] == COMPANY_NO)]
    _, folder = world(steps + [surcharge])
    case = folder.cases[GENERAL]
    assert _own_states(case) == {f.COMPANY: "ENFORCEMENT_APPLIED", f.VENDOR: "EXECUTING"}
    assert (case["state"], case["out_of_order"]) == ("EXECUTING", [])


def test_the_treasurys_reconciliation_executes_only_the_decisions_paid() -> None:
    """The treasury reconciled the company's 3 000 CNY while the vendor, served, had paid
    nothing: the case read EXECUTED. The reconciliation (the case's total, naming no decision)
    executes the decisions that received money; the vendor's stays SERVED, and so the case."""
    steps = drop(two_parties("PaymentRecorded"), "CaseClosed", "CaseArchived")
    _, folder = world(change(steps, "TreasuryReconciled", amount_fen=300_000))
    case = folder.cases[GENERAL]
    assert _own_states(case) == {f.COMPANY: "EXECUTED", f.VENDOR: "SERVED"}
    assert (case["state"], case["out_of_order"]) == ("SERVED", [])


def test_a_rectifications_verification_moves_the_decision_of_the_party_ordered() -> None:
    """The company ordered to correct its pile, both parties served, the company's correction
    verified: the verification (naming no decision, and no party) moved every served decision
    to EXECUTING, the vendor's unpaid and uncorrected too, and so the case. It names the order
    it verifies (``order_event_id``): it is that party's decision's step, whichever decision is
    recorded first."""
    g = f"case:{GENERAL}"
    steps = drop(two_parties(), "PaymentRecorded", "TreasuryReconciled", "CaseClosed",
                 "CaseArchived")
    swapped = list(steps)
    company, vendor = [i for i, s in enumerate(steps) if s.type == "PenaltyDecided"]
    swapped[company], swapped[vendor] = swapped[vendor], swapped[company]
    for arranged in (steps, swapped):
        history, folder = world(arranged)
        [ordered] = [e.event_id for e in history.events if e.type == "RectificationOrdered"]
        folder.fold(history.extend([step(g, "RectificationVerified", at("2024-08-16"),
                                         result="rectified", order_event_id=ordered)]))
        case = folder.cases[GENERAL]
        assert _own_states(case) == {f.COMPANY: "EXECUTING", f.VENDOR: "SERVED"}
        assert (case["state"], case["out_of_order"]) == ("SERVED", [])


def test_a_payment_naming_a_replaced_decision_moves_its_partys_decision_in_force() -> None:
    """The company's decision withdrawn and made anew, the vendor's recorded after it, both
    served; the company paid naming its first decision's number: the payment (the company's
    money, as RF06 reads it) was judged by the decision recorded last, the vendor's, which
    read EXECUTING unpaid while the company's, paid, read SERVED. It is the company's decision
    in force's step."""
    g = f"case:{GENERAL}"
    renewed = "沪黄城管罚〔2024〕第125号"
    company = {"party_ref": f.COMPANY, "party_type": "organisation"}
    steps = change(f.general_case(GENERAL), "CaseFiled",
                   parties=[company, {"party_ref": f.VENDOR, "party_type": "individual"}])
    decided = next(i for i, s in enumerate(steps) if s.type == "PenaltyDecided")
    steps = steps[:decided + 1] + [
        step(g, "PenaltyWithdrawn", at("2024-08-08", "11:00:00"), decision_no=COMPANY_NO),
        step(g, "PenaltyDecided", at("2024-08-08", "12:00:00"), decision_no=renewed,
             party=company),
        step(g, "PenaltyDecided", at("2024-08-09"), decision_no=VENDOR_NO,
             party={"party_ref": f.VENDOR, "party_type": "individual"}, amount_fen=300_000),
        step(g, "DecisionServed", at("2024-08-12"), decision_no=renewed, method="post",
             party_present=False),
        step(g, "DecisionServed", at("2024-08-13"), decision_no=VENDOR_NO, party_ref=f.VENDOR,
             method="post", party_present=False),
        step(g, "PaymentRecorded", at("2024-08-20"), decision_no=COMPANY_NO,
             amount_fen=300_000),
    ]
    _, folder = world(steps)
    case = folder.cases[GENERAL]
    [company_in_force] = case["co_party_decisions"]
    assert (company_in_force["decision_no"], company_in_force["received_fen"]) == (
        renewed, 300_000)
    assert _own_states(case) == {f.COMPANY: "EXECUTING", f.VENDOR: "SERVED"}
    assert case["state"] == "SERVED"


# --- summary procedure, several parties --------------------------------------------------------

COMPANY_S_NO = "HP-S-2024-004513"


def _summary(case: dict[str, Any]) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    return (case["state"], _own_states(case),
            [(o["type"], o["state"]) for o in case["out_of_order"]])


def _company_decided_first(steps: list[f.Step]) -> list[f.Step]:
    """``steps`` with the company's decision recorded before the vendor's (dated a minute
    earlier than it)."""
    vendor, company = [i for i, s in enumerate(steps) if s.type == "PenaltyDecided"]
    steps = list(steps)
    steps[vendor], steps[company] = steps[company], steps[vendor]
    return steps


def test_a_summary_case_with_several_parties_is_as_far_as_its_least_advanced_decision() -> None:
    """The vendor's cash moved the whole case through COLLECTED_ON_SPOT to DEPOSITED while the
    company's decision, a minute after the vendor's, was unserved with 300 CNY outstanding:
    the case kept one money stage. Each party's decision has its own (the vendor's filed with
    the agency, the company's decided on the spot), the case is as far as the company's, and
    its closing is out of order there — whichever decision is recorded first."""
    steps = summary_two_parties()
    for order in (steps, _company_decided_first(steps)):
        _, folder = world(drop(order, "CaseClosed"))
        assert _summary(folder.cases[SUMMARY]) == (
            "DECIDED_ON_SPOT", {f.VENDOR: "FILED_WITH_AGENCY", f.COMPANY: "DECIDED_ON_SPOT"}, [])
        _, folder = world(order)
        assert _summary(folder.cases[SUMMARY]) == (
            "CLOSED", {f.VENDOR: "CLOSED", f.COMPANY: "CLOSED"},
            [("CaseClosed", "DECIDED_ON_SPOT")])


def _both_paid_in_cash(*company_cash: f.Step) -> list[f.Step]:
    """``summary_two_parties`` where the company, served, also pays in cash on the spot (its
    own receipt; both decisions say cash) and its decision is filed; ``company_cash``: its
    remittance and deposit."""
    s = f"case:{SUMMARY}"
    company = [
        step(s, "DecisionServed", at("2024-09-30", "10:08:00"), decision_no=COMPANY_S_NO,
             party_ref=f.COMPANY, method="on_the_spot", party_present=True, receipt_sha256=DROP),
        step(s, "OnsiteCashCollected", at("2024-09-30", "10:09:00"), decision_no=COMPANY_S_NO,
             party_ref=f.COMPANY, amount_fen=30_000, receipt_no="SH-FK-2024-0098813",
             justification="hard_to_enforce_later"),
        *company_cash,
        step(s, "SummaryDecisionFiled", at("2024-10-11", "16:00:00"), decision_no=COMPANY_S_NO,
             form_no=COMPANY_S_NO),
    ]
    steps = [dataclasses.replace(x, body={**x.body, "payment_method": "onsite_cash"})
             if x.type == "PenaltyDecided" else x
             for x in change(summary_two_parties(), "TreasuryReconciled", amount_fen=40_000,
                             principal_fen=40_000)]
    return insert_after(drop(steps, "CaseClosed"), "SummaryDecisionFiled", *company)


def test_a_remittance_hands_in_the_cash_of_the_receipts_it_lists() -> None:
    """Both parties paid in cash on the spot, the vendor's cash handed in (its receipt) and
    deposited, the company's not: the case read FILED_WITH_AGENCY, the company's cash out of
    order (found DEPOSITED, the vendor's stage). A remittance names no decision: it moves the
    decisions whose receipts it lists; a deposit, naming nothing, pays in the cash handed in
    before it, the earliest first (the vendor's 100 CNY deposited after the company's 300 were
    handed in is the vendor's). The company's decision holds its cash collected; with its own
    remittance and deposit both decisions are filed with the agency, in whichever order
    decided, and in the order the events claim."""
    s = f"case:{SUMMARY}"
    company_cash = [
        step(s, "OnsiteCashRemitted", at("2024-10-09", "09:00:00"), amount_fen=30_000,
             receipt_nos=["SH-FK-2024-0098813"]),
        step(s, "AgencyDeposited", at("2024-10-11", "15:00:00"), amount_fen=30_000),
    ]
    claimed = (lambda x: sorted(x, key=lambda s: s.occurred_at))
    for arrange in (lambda x: x, _company_decided_first, claimed):
        _, folder = world(arrange(_both_paid_in_cash()))
        assert _summary(folder.cases[SUMMARY]) == (
            "COLLECTED_ON_SPOT", {f.VENDOR: "FILED_WITH_AGENCY", f.COMPANY: "COLLECTED_ON_SPOT"},
            [])
        _, folder = world(arrange(_both_paid_in_cash(*company_cash)))
        assert _summary(folder.cases[SUMMARY]) == (
            "FILED_WITH_AGENCY",
            {f.VENDOR: "FILED_WITH_AGENCY", f.COMPANY: "FILED_WITH_AGENCY"}, [])


def test_a_decision_recorded_again_under_a_new_event_id_is_the_same_decision() -> None:
    """An integrator's retry that signed the decision again (a new event_id: same number,
    instant and fine) was a second decision: the first went to ``previous_decisions`` with its
    service, publication and payment, the case page showed the decision neither served nor
    published (both due 19 August, unmet) and no payment deadline, and the flags counted two
    fines — RF13.a twice, RF14 "fined twice … (cases X, X)"."""
    steps = f.general_case()
    decision = next(s for s in steps if s.type == "PenaltyDecided")
    paid = [s.type for s in steps].index("PaymentRecorded") + 1
    history, twice = world(steps[:paid] + [decision] + steps[paid:])
    _, once = world(steps)
    case, expected = twice.cases["SH-HP-2024-000123"], once.cases["SH-HP-2024-000123"]
    again = history.events[len(f.staff()) + paid]
    assert case["out_of_order"] == [{
        "event_id": again.event_id, "type": "PenaltyDecided", "state": "EXECUTING",
        "expected_in": ["DECIDING"], "why": "decision 沪黄城管罚〔2024〕第123号 recorded again"}]
    assert case["previous_decisions"] == [] and case["deadlines"] == expected["deadlines"]
    assert (case["amounts"], case["money"]["received_fen"], case["state"]) == (
        expected["amounts"], expected["money"]["received_fen"], expected["state"])
    rules = sorted(x.rule_id for x in compute_flags(history.events, national(),
                                                     at=when("2025-01-01"), processes=1))
    assert rules == ["RF13.a", "RF22", "RF22", "RF22"]
    # nor another act and decision on the officers' pages (decisions, decided_fen)
    for officer_id in (f.HEAD, f.OFFICER_A):
        assert twice.officers[officer_id]["caseload"] == once.officers[officer_id]["caseload"]
        assert case["officers"][officer_id]["acts"] == expected["officers"][officer_id]["acts"]


def test_a_payment_recorded_again_under_a_new_event_id_is_one_payment() -> None:
    """An enforcement system that re-posted a bank payment after a lost answer (a new event_id:
    the same payment_id, decision, amount and channel) had it counted twice: the case page
    showed 600,000 fen received of 300,000 and RF06.b raised an overpayment."""
    steps = f.general_case()
    paid = [s.type for s in steps].index("PaymentRecorded")
    retry = dataclasses.replace(steps[paid], occurred_at=at("2024-08-20", "10:05:00"))
    history, twice = world(steps[:paid + 1] + [retry] + steps[paid + 1:])
    _, once = world(steps)
    case, expected = twice.cases["SH-HP-2024-000123"], once.cases["SH-HP-2024-000123"]
    again = history.events[len(f.staff()) + paid + 1]
    assert case["out_of_order"] == [{
        "event_id": again.event_id, "type": "PaymentRecorded", "state": "EXECUTING",
        "expected_in": ["ENFORCEMENT_APPLIED", "EXECUTING", "SERVED"],
        "why": "payment PAY-SH-HP-2024-000123-2024-08-20-100000 recorded again"}]
    money = {k: v for k, v in case["money"].items() if k != "reconciliation"}
    assert money == {k: v for k, v in expected["money"].items() if k != "reconciliation"}
    assert (money["received_fen"], case["money"]["reconciliation"]["status"]) == (
        300_000, "reconciled")
    assert (case["deadlines"], case["state"]) == (expected["deadlines"], expected["state"])
    rules = sorted(x.rule_id for x in compute_flags(history.events, national(),
                                                     at=when("2025-01-01"), processes=1))
    assert rules == ["RF13.a", "RF22", "RF22", "RF22"]


def test_cash_recorded_again_under_a_new_event_id_is_one_collection() -> None:
    """The same on-the-spot collection re-posted (receipt, decision, instant and amount) was
    cash collected twice: 20,000 fen received of 10,000 on the case page, RF05.a called the
    receipt reused in its own case, RF06.b an overpayment, and the officers' pages and the
    case page counted another act of collecting."""
    steps = f.summary_case(SUMMARY_ID)
    cash = [s.type for s in steps].index("OnsiteCashCollected")
    history, twice = world([f.device_key()], steps[:cash + 1] + [steps[cash]] + steps[cash + 1:])
    plain_history, once = world([f.device_key()], steps)
    case, expected = twice.cases[SUMMARY_ID], once.cases[SUMMARY_ID]
    assert [(o["type"], o["why"]) for o in case["out_of_order"]] == [
        ("OnsiteCashCollected", "receipt SH-FK-2024-0098812 recorded again")]
    assert case["money"]["cash"]["collected_fen"] == 10_000
    assert [case["money"][k] for k in ("received_fen", "outstanding_fen")] == [10_000, 0]
    assert case["state"] == expected["state"] == "CLOSED"
    for officer_id in (f.OFFICER_A, f.OFFICER_B):
        assert twice.officers[officer_id]["caseload"] == once.officers[officer_id]["caseload"]
        assert case["officers"][officer_id]["acts"] == expected["officers"][officer_id]["acts"]
    at_ = when("2025-01-01")
    assert sorted(x.rule_id for x in compute_flags(history.events, national(), at=at_,
                                                   processes=1)) == sorted(
        x.rule_id for x in compute_flags(plain_history.events, national(), at=at_, processes=1))


def test_one_payment_id_recorded_for_another_amount_is_counted_and_raises_rf06f() -> None:
    """The same payment id with another amount is no retry: both records count, as posted,
    and the inspector sees the conflict (RF06.f, on the record that is not the first)."""
    steps = f.general_case()
    paid = [s.type for s in steps].index("PaymentRecorded")
    other = step("case:SH-HP-2024-000123", "PaymentRecorded", at("2024-08-21"),
                 payment_id=steps[paid].body["payment_id"],
                 decision_no="沪黄城管罚〔2024〕第123号", amount_fen=30_000)
    history, folder = world(steps[:paid + 1] + [other] + steps[paid + 1:])
    case = folder.cases["SH-HP-2024-000123"]
    assert case["money"]["received_fen"] == 330_000
    flags = compute_flags(history.events, national(), at=when("2025-01-01"), processes=1)
    [reused] = [x for x in flags if x.rule_id == "RF06.f"]
    conflicting = history.events[len(f.staff()) + paid + 1].event_id
    assert reused.event_ids[0] == conflicting
    assert numbers(reused) == {
        "payment_id": "PAY-SH-HP-2024-000123-2024-08-20-100000",
        "decision_no": "沪黄城管罚〔2024〕第123号",
        "amount_fen": 30_000, "channel": "designated_bank",
        "first_used_in_case": "SH-HP-2024-000123",
        "first_decision_no": "沪黄城管罚〔2024〕第123号", "first_amount_fen": 300_000,
        "first_channel": "designated_bank", "uses": 2}
    assert "RF06.b" in {x.rule_id for x in flags}      # 330,000 fen received of 300,000


def test_the_case_shows_the_closing_of_its_decision_as_rf06_judges_it() -> None:
    """A second closing of a case closed as paid (outcome 'other', a week later) replaced the
    first on the case page, while RF06 judged the closing as paid; a closing after a decision
    made anew (the case reopened on reconsideration) is the case's closing again."""
    steps = [s for s in f.general_case() if s.type != "CaseArchived"]
    again = step("case:SH-HP-2024-000123", "CaseClosed", at("2024-09-04"), outcome="other")
    _, folder = world(steps + [again])
    case = folder.cases["SH-HP-2024-000123"]
    assert (case["closed_on"], case["close_outcome"]) == ("2024-08-28", "paid")
    assert case["out_of_order"][-1]["type"] == "CaseClosed"
    s, anew = "case:SH-HP-2024-000123", "沪黄城管罚〔2024〕第301号"
    reopened = steps + [
        step(s, "PenaltyWithdrawn", at("2024-10-08"), decision_no="沪黄城管罚〔2024〕第123号",
             reason="reconsideration", refund_required=True),
        step(s, "PenaltyDecided", at("2024-11-05"), decision_no=anew, amount_fen=200_000,
             party={"party_ref": f.COMPANY, "party_type": "organisation"}),
        step(s, "CaseClosed", at("2024-11-22"), outcome="enforcement_applied")]
    _, folder = world(reopened)
    case = folder.cases["SH-HP-2024-000123"]
    assert (case["closed_on"], case["close_outcome"]) == ("2024-11-22", "enforcement_applied")


def test_a_decision_made_anew_after_the_case_was_closed_reopens_it() -> None:
    """Revoked on reconsideration (复议) after the case was closed and decided anew, the case
    page still said CLOSED, with the old decision's closing, while the new fine was owed and
    RF06 judged it open (no closing of its own). It is DECIDED again, the old closing goes with
    the old decision, and the new decision's own steps move it on to its own closing; the old
    closing recorded late closes nothing."""
    s, old, anew = "case:SH-HP-2024-000123", "沪黄城管罚〔2024〕第123号", "沪黄城管罚〔2024〕第301号"
    steps = [x for x in f.general_case() if x.type != "CaseArchived"]
    closing = steps[-1]
    made_anew = [
        step(s, "PenaltyWithdrawn", at("2024-10-08"), decision_no=old,
             reason="reconsideration", refund_required=True),
        step(s, "PenaltyDecided", at("2024-11-05"), decision_no=anew, amount_fen=200_000,
             party={"party_ref": f.COMPANY, "party_type": "organisation"})]
    history, folder = world()
    seen = states_along(steps + made_anew + [
        step(s, "DecisionServed", at("2024-11-07"), decision_no=anew, method="in_person",
             party_present=True)], "SH-HP-2024-000123", history, folder)
    case = folder.cases["SH-HP-2024-000123"]
    assert seen[-4:] == ["CLOSED", "CLOSED", "DECIDED", "SERVED"]
    assert (case["closed_on"], case["closed_at"], case["close_outcome"]) == (None, None, None)
    [previous] = case["previous_decisions"]
    assert (previous["closed_on"], previous["close_outcome"]) == ("2024-08-28", "paid")
    assert case["deadlines"]["payment"]["met_on"] is None
    # the old closing recorded after the decision made anew is the old decision's
    history, folder = world()
    seen = states_along(steps[:-1] + made_anew + [closing], "SH-HP-2024-000123", history,
                        folder)
    case = folder.cases["SH-HP-2024-000123"]
    assert (seen[-1], case["closed_on"]) == ("DECIDED", None)
    assert case["previous_decisions"][0]["closed_on"] == "2024-08-28"


def _reissued(voided_at: str) -> list[f.Step]:
    """``summary_case`` decided first on form HP-S-2024-004511 (10:04), which is voided at
    ``voided_at``, and decided on the next form (10:05) as the case goes on."""
    steps = f.summary_case(SUMMARY_ID)
    decided = [s.type for s in steps].index("PenaltyDecided")
    spoilt = dataclasses.replace(steps[decided], occurred_at=at("2024-09-30", "10:04:00"),
                                 body={**steps[decided].body, "decision_no": "HP-S-2024-004511",
                                       "form_no": "HP-S-2024-004511", "amount_fen": 20_000})
    void = step(steps[0].stream, "DecisionFormVoided", voided_at, form_no="HP-S-2024-004511",
                reason="wrong_amount")
    return steps[:decided] + [spoilt, void] + steps[decided:]


def test_a_decision_on_a_form_voided_before_it_was_handed_over_is_no_decision() -> None:
    """A summary decision written on a form the officer then voided (wrong amount) and wrote
    again on the next form stood beside the one handed over: it went to previous_decisions
    with its service (due on the spot) and filing owed, the re-issued decision was out of
    order, and the flags counted its fine (RF12 and the rules of fines). The voided form's
    decision is ended — its obligations cancelled — whether the void is recorded before or
    after it, and the flags read the decision handed over only."""
    steps = _reissued(at("2024-09-30", "10:04:30"))
    history, folder = world([f.device_key()], steps)     # the footage proven (RF08.c)
    plain_history, plain = world([f.device_key()], f.summary_case(SUMMARY_ID))
    case, expected = folder.cases[SUMMARY_ID], plain.cases[SUMMARY_ID]
    assert case["out_of_order"] == []
    assert (case["state"], case["amounts"], case["deadlines"]) == (
        expected["state"], expected["amounts"], expected["deadlines"])
    assert [case["money"][k] for k in ("paid_fen", "received_fen", "outstanding_fen")] == [
        expected["money"][k] for k in ("paid_fen", "received_fen", "outstanding_fen")]
    assert case["money"]["reconciliation"]["status"] == "reconciled"
    [spoilt] = case["previous_decisions"]
    assert (spoilt["decision_no"], spoilt["status"], spoilt["current_fen"]) == (
        "HP-S-2024-004511", "voided", 0)
    assert {name: d["cancelled_on"] for name, d in spoilt["deadlines"].items()} == {
        "service": "2024-09-30", "summary_filing": "2024-09-30"}
    assert case["voided_forms"][0]["ended"] == "HP-S-2024-004511"
    at_ = when("2025-01-01")
    rules = sorted(x.rule_id for x in compute_flags(history.events, national(), at=at_,
                                                     processes=1))
    assert rules == sorted(x.rule_id for x in compute_flags(plain_history.events, national(),
                                                            at=at_, processes=1))
    # the void recorded before the decision it ends (an upload that came late)
    late = steps[:]
    late.insert(late.index(next(s for s in steps if s.type == "PenaltyDecided")),
                late.pop(late.index(next(s for s in steps if s.type == "DecisionFormVoided"))))
    late_history, folder = world([f.device_key()], late)
    [again] = folder.cases[SUMMARY_ID]["previous_decisions"]
    assert {**again, "event_id": None} == {**spoilt, "event_id": None}
    assert folder.cases[SUMMARY_ID]["deadlines"] == case["deadlines"]
    assert sorted(x.rule_id for x in compute_flags(late_history.events, national(), at=at_,
                                                   processes=1)) == rules


def _read_models(*lifecycles: list[f.Step]) -> tuple[History, readmodels.Fold]:
    """The read models' fold (cases, officers, public records) of ``lifecycles`` after the
    staff, in log order, as the projection folds them."""
    history = History()
    fold = readmodels.Fold(lambda table, ids: {}, ParamsTimeline(national()))
    for steps in (f.staff(), *lifecycles):
        for rec in history.extend(steps):
            fold.apply(rec)
    return history, fold


def test_a_voided_forms_decision_is_not_counted_on_its_deciders_pages() -> None:
    """The officers' caseload counted the decision written on a form voided before it was
    handed over as a decision and a fine imposed, beside the decision re-issued on the next
    form: two summary decisions and 300 yuan decided where one of 100 was. It is shown as
    voided, whether the void is recorded before or after the decision."""
    steps = _reissued(at("2024-09-30", "10:04:30"))
    _, plain = _read_models(f.summary_case(SUMMARY_ID))
    late = steps[:]
    late.insert(late.index(next(s for s in steps if s.type == "PenaltyDecided")),
                late.pop(late.index(next(s for s in steps if s.type == "DecisionFormVoided"))))
    for order in (steps, late):
        _, fold = _read_models(order)
        for officer_id in (f.OFFICER_A, f.OFFICER_B):
            load, expected = (fold.officers[officer_id]["caseload"],
                              plain.officers[officer_id]["caseload"])
            assert [load[k] for k in ("decisions", "summary_decisions", "decided_fen")] == [
                expected[k] for k in ("decisions", "summary_decisions", "decided_fen")]
            assert (load["voided_decisions"], expected["voided_decisions"]) == (1, 0)


def test_a_published_decision_whose_form_was_voided_shows_as_voided_without_content() -> None:
    """A decision published and then found voided before it was served stayed on the public
    feed in full, as a fine in force, while it never took effect. It shows as voided (作废),
    without content, from the void's day until the publication's withdrawal turns it into the
    withdrawn marker, as a revoked decision does; whichever is recorded first."""
    steps = f.summary_case(SUMMARY_ID)
    published = step(steps[0].stream, "DecisionPublished", at("2024-09-30", "10:05:10"),
                     decision_no="HP-S-2024-004512", publication_ref="PUB-HP-S-004512")
    void = step(steps[0].stream, "DecisionFormVoided", at("2024-09-30", "10:05:30"),
                form_no="HP-S-2024-004512", reason="wrong_amount")
    withdrawn = step(steps[0].stream, "DecisionPublicationWithdrawn", at("2024-10-08"),
                     publication_ref="PUB-HP-S-004512", reason="error",
                     decision_no="HP-S-2024-004512")
    for order in ([published] + steps + [void], [void, published] + steps):
        _, fold = _read_models(order)
        record = fold.publications[SUMMARY_ID]
        assert public.entry(record, record["publications"][0]) == {
            "status": "voided", "decision_no": "HP-S-2024-004512",
            "publication_ref": "PUB-HP-S-004512", "unit_id": f.UNIT,
            "published_on": "2024-09-30", "voided_on": "2024-09-30"}
    _, fold = _read_models([published] + steps + [void, withdrawn])
    record = fold.publications[SUMMARY_ID]
    assert public.entry(record, record["publications"][0])["status"] == "withdrawn"


def test_a_form_voided_after_it_was_served_leaves_its_decision_standing() -> None:
    """Voiding a form once handed over is no way to change or revoke the decision on it (that
    is a PenaltyAmended or PenaltyWithdrawn, RF20.a): the decision stands, owed."""
    steps = f.summary_case(SUMMARY_ID)
    served = [s.type for s in steps].index("DecisionServed")
    void = step(steps[0].stream, "DecisionFormVoided", at("2024-09-30", "10:06:30"),
                form_no="HP-S-2024-004512", reason="other")
    history, folder = world(steps[:served + 1] + [void] + steps[served + 1:])
    _, plain = world(steps)
    case, expected = folder.cases[SUMMARY_ID], plain.cases[SUMMARY_ID]
    assert (case["decision"]["status"], case["amounts"], case["deadlines"]) == (
        "in_force", expected["amounts"], expected["deadlines"])
    assert case["voided_forms"][0]["ended"] is None


def test_a_service_dated_before_the_void_and_recorded_after_it_keeps_the_decision() -> None:
    """The decision was handed over (10:05:20) before its form was voided (10:05:40), but the
    service was recorded after the void: the flags read the decision served and standing,
    the case page kept it voided — no service or payment owed, the case back on the scene,
    the fine on no officer's page. Both read the instants claimed, in whichever order
    recorded: the case page is the one recorded in world order."""
    steps = f.summary_case(SUMMARY_ID)
    served = [s.type for s in steps].index("DecisionServed")
    steps[served] = dataclasses.replace(steps[served], occurred_at=at("2024-09-30", "10:05:20"))
    void = step(steps[0].stream, "DecisionFormVoided", at("2024-09-30", "10:05:40"),
                form_no="HP-S-2024-004512", reason="other")
    in_order = steps[:served + 1] + [void] + steps[served + 1:]
    late = steps[:served] + [void] + steps[served:]
    _, expected = _read_models(in_order)
    history, fold = _read_models(late)
    case, plain = fold.cases[SUMMARY_ID], expected.cases[SUMMARY_ID]
    assert (case["decision"]["status"], case["voided_forms"][0]["ended"]) == ("in_force", None)
    assert (case["state"], case["amounts"], case["deadlines"], case["money"]) == (
        plain["state"], plain["amounts"], plain["deadlines"], plain["money"])
    assert fold.officers[f.OFFICER_A]["caseload"] == expected.officers[f.OFFICER_A]["caseload"]
    in_order_history, _ = _read_models(in_order)
    at_ = when("2025-01-01")
    assert sorted(x.rule_id for x in compute_flags(history.events, national(), at=at_,
                                                   processes=1)) == sorted(
        x.rule_id for x in compute_flags(in_order_history.events, national(), at=at_,
                                         processes=1))


def test_the_form_of_a_served_decision_voided_is_flagged_unless_the_decision_was_changed(
        ) -> None:
    """RF20.e: the form of a summary decision voided after it was handed over — the fine
    collected on the spot — ended nothing and raised nothing, though a record of a fine handed
    to a party then destroyed is how a collected fine disappears. Not raised for a form voided
    before it was served (no decision took effect: RF20.c counts it), for a form no decision
    bears, nor for a decision withdrawn with approval (RF20.a judges the change)."""
    steps = f.summary_case(SUMMARY_ID)
    served = [s.type for s in steps].index("DecisionServed")
    void = step(steps[0].stream, "DecisionFormVoided", at("2024-09-30", "10:08:00"),
                form_no="HP-S-2024-004512", reason="other")

    def rf20e(history_steps: list[f.Step]) -> list[Any]:
        history, _ = world([f.device_key()], history_steps)
        return [x for x in compute_flags(history.events, national(), at=when("2025-01-01"),
                                         processes=1) if x.rule_id in ("RF20.a", "RF20.e")]

    [flag] = rf20e(steps + [void])
    assert (flag.rule_id, flag.severity, flag.officer_id) == (
        "RF20.e", "high", f.OFFICER_A)
    assert {k: numbers(flag)[k] for k in ("decision_no", "form_no", "amount_fen",
                                          "received_fen")} == {
        "decision_no": "HP-S-2024-004512", "form_no": "HP-S-2024-004512",
        "amount_fen": 10_000, "received_fen": 10_000}
    assert (numbers(flag)["served_at"], numbers(flag)["voided_at"]) == (
        "2024-09-30T10:06:00+08:00", "2024-09-30T10:08:00+08:00")
    assert rf20e(_reissued(at("2024-09-30", "10:04:30"))) == []
    blank = dataclasses.replace(void, body={**void.body, "form_no": "HP-S-2024-004513"})
    assert rf20e(steps + [blank]) == []
    withdrawn = step(steps[0].stream, "PenaltyWithdrawn", at("2024-09-30", "11:00:00"),
                     decision_no="HP-S-2024-004512", reason="error_in_fact",
                     approval_id="AP-2024-0930", approved_by=f.HEAD,
                     approval_form="agency_head", refund_required=True)
    assert rf20e(steps[:served + 2] + [void, withdrawn] + steps[served + 2:]) == []


def test_the_service_of_a_replaced_decision_recorded_late_is_not_the_new_decisions() -> None:
    """The withdrawn decision's service, recorded after the decision made anew, moved the new
    one to SERVED, met its service deadline three weeks before it was made and opened its
    payment deadline from that day."""
    case_id = "SH-HP-2025-000032"
    history, folder = world()
    steps = f.redecided_case(case_id)
    old = next(s for s in steps if s.type == "DecisionServed")
    steps = [s for s in steps if s is not old]
    decided = [i for i, s in enumerate(steps) if s.type == "PenaltyDecided"][-1]
    seen = states_along(steps[:decided + 1] + [old] + steps[decided + 1:], case_id, history,
                        folder)
    assert seen[decided:decided + 3] == ["DECIDED", "DECIDED", "SERVED"]
    case = folder.cases[case_id]
    assert case["previous_decisions"][0]["served_on"] == "2025-03-28"
    assert case["decision"]["served_on"] == "2025-04-21"
    assert case["deadlines"]["service"]["met_on"] == "2025-04-21"
    assert case["deadlines"]["payment"]["due"] == "2025-05-06"


def test_unpaid_fine_gets_a_surcharge_then_is_paid_and_reconciled() -> None:
    history, folder = world()
    s = f"case:{GENERAL_ID}"
    no = "沪黄城管罚〔2024〕第123号"
    steps = f.general_case(GENERAL_ID)[:16] + [
        step(s, "SurchargeAssessed", at("2024-09-09"), principal_fen=300_000, days=10,
             surcharge_fen=90_000),
        step(s, "PaymentRecorded", at("2024-09-10"), decision_no=no, amount_fen=390_000,
             covers="principal_and_surcharge"),
        step(s, "TreasuryReconciled", at("2024-09-12"), amount_fen=390_000, surcharge_fen=90_000),
    ]
    seen = states_along(steps, GENERAL_ID, history, folder)
    assert seen[-3:] == ["ENFORCEMENT_APPLIED", "ENFORCEMENT_APPLIED", "EXECUTED"]
    case = folder.cases[GENERAL_ID]
    assert case["deadlines"]["payment"]["late"] is True       # due 2024-08-27
    assert case["money"]["outstanding_fen"] == 0
    assert case["money"]["reconciliation"]["status"] == "reconciled"


def test_deadline_beyond_the_calendar_is_unknown_not_guessed() -> None:
    history, folder = world()
    folder.fold(history.extend([step("case:X-2026-9", "CaseFiled", at("2026-11-20"))]))
    decision = folder.cases["X-2026-9"]["deadlines"]["decision"]
    assert decision["due"] is None and "2027" in decision["note"]


# --- complaints -----------------------------------------------------------------------------------

def test_complaint_cycle_acknowledged_extended_and_closed() -> None:
    history, folder = world(f.general_case(GENERAL_ID))
    seen = []
    for rec in history.extend(f.complaint_cycle("C-2025-0042", GENERAL_ID)):
        folder(rec)
        seen.append(folder.complaints["C-2025-0042"]["state"])
        if rec.type == "ComplaintReceived":
            c = folder.complaints["C-2025-0042"]
            # 15 days from Jan 20 is Feb 4, a Spring Festival day: rolls to Feb 5
            assert c["deadlines"]["acknowledge"]["due"] == "2025-02-05"
            assert c["deadlines"]["close"]["due"] == "2025-03-21"
        if rec.type == "ComplaintAcknowledged":
            # XFGZ 第34条: 60 days from acceptance (Feb 5): Sun Apr 6 rolls to Apr 7
            assert folder.complaints["C-2025-0042"]["deadlines"]["close"]["due"] == "2025-04-07"
    assert seen == ["RECEIVED", "ACKNOWLEDGED", "ACKNOWLEDGED", "CLOSED"]
    c = folder.complaints["C-2025-0042"]
    assert c["deadlines"]["acknowledge"]["late"] is False
    assert c["deadlines"]["close"] == {"due": "2025-05-06",   # accepted Feb 5 + 60 + 30 days
                                       "basis": "XFGZ 第34条 (60 days + approved extension)",
                                       "basis_zh": "XFGZ 第34条（60日内办结，另加批准的延长期限）",
                                       "met_on": "2025-04-15", "late": False,
                                       "params_version": NATIONAL}
    assert c["handler_is_accused"] is False and c["out_of_order"] == []
    assert folder.cases[GENERAL_ID]["complaints"] == [
        {"complaint_id": "C-2025-0042", "category": "violent", "event_id": c["events"][0]}]
    assert folder.officers[f.OFFICER_B]["complaints"] == {
        "total": 1, "by_category": {"violent": 1}, "ids": ["C-2025-0042"]}


def _view_and_rf23b(steps: list[f.Step]) -> tuple[dict[str, Any], Any, list[list[Any]]]:
    """The complaint view of ``steps`` beside the general case, its RF23.b (or None), and the
    view's extensions listed as RF23.b lists them."""
    history, folder = world(f.general_case(GENERAL_ID))
    folder.fold(history.extend(steps))
    c = folder.complaints["C-2025-0042"]
    flags = compute_flags(history.events, national(), at=when("2025-06-01"), processes=1)
    rf23b = next((x for x in flags if x.rule_id == "RF23.b"), None)
    return c, rf23b, [[e[k] for k in ("event_id", "days", "approved_by", "counted", "why")]
                      for e in c["extensions"]]


def test_a_complaint_extension_rf23_does_not_count_does_not_move_the_views_deadline() -> None:
    """An extension approved by the accused officer moved the view's closing deadline 30 days on
    while RF23.b counts 60: the view called on time a complaint the flags call late."""
    steps = [f.Step(s.stream, s.type, s.occurred_at, {**s.body, "approved_by": f.OFFICER_B})
             if s.type == "ComplaintExtended" else s for s in f.complaint_cycle()]
    c, rf23b, listed = _view_and_rf23b(steps)
    assert (c["deadlines"]["close"]["due"], c["deadlines"]["close"]["late"]) \
        == ("2025-04-07", True)
    assert c["extension_days"] == 0
    assert numbers(rf23b)["due"] == c["deadlines"]["close"]["due"]
    assert listed == numbers(rf23b)["extensions"]


def test_a_complaint_extension_not_approved_by_a_head_counts_in_neither_view_nor_flag() -> None:
    """XFGZ 第34条 wants 本机关负责人: an extension approved by a team member moved the view's
    closing deadline and RF23.b's 30 days on."""
    steps = [f.Step(s.stream, s.type, s.occurred_at, {**s.body, "approved_by": f.OFFICER_A})
             if s.type == "ComplaintExtended" else s for s in f.complaint_cycle()]
    c, rf23b, listed = _view_and_rf23b(steps)
    assert (c["deadlines"]["close"]["due"], c["extension_days"]) == ("2025-04-07", 0)
    assert listed == numbers(rf23b)["extensions"]
    assert c["extensions"][0]["why"].endswith("not a head of the agency (本机关负责人)")


def test_complaint_extensions_beyond_30_days_in_all_say_which_days_do_not_count() -> None:
    """XFGZ 第34条: 延长期限不得超过30日. Two extensions of 20 days by the head: the due days
    counted 30, but the view said ``extension_days`` 40 and both said each extension counted
    in full, so nothing told an inspector that 10 of the days were beyond the statute."""
    second = step("complaint:C-2025-0042", "ComplaintExtended", at("2025-03-11"), days=20)
    steps = []
    for s in f.complaint_cycle():
        if s.type == "ComplaintExtended":
            steps += [f.Step(s.stream, s.type, s.occurred_at, {**s.body, "days": 20}), second]
        else:
            steps.append(f.Step(s.stream, s.type, at("2025-05-15"), s.body)
                         if s.type == "ComplaintClosed" else s)
    c, rf23b, listed = _view_and_rf23b(steps)
    assert (c["deadlines"]["close"]["due"], c["extension_days"]) == ("2025-05-06", 30)
    assert numbers(rf23b)["extension_days"] == 30
    assert listed == numbers(rf23b)["extensions"]
    assert [e[3:] for e in listed] == [
        [True, None],
        [True, "10 of its 20 days exceed the 30 days of extension XFGZ 第34条 allows in all"]]


def test_a_second_complaint_extension_approved_within_the_first_counts() -> None:
    """XFGZ 第34条 caps the extensions at 30 days in all, not at one approval within the first
    60 days. 15 days approved on 10 Mar move the closing deadline (accepted 5 Feb) from 7 Apr
    to 21 Apr; 15 more approved on 15 Apr — within it — were refused by both as "approved
    after the deadline 2025-04-07 had passed", a deadline no longer in force (RF12.b judges a
    decision extension against the deadline in force), so a complaint closed on 5 May was
    flagged. One approved after the deadline in force still counts nothing."""
    def cycle(second_on: str) -> list[f.Step]:
        steps = []
        for s in f.complaint_cycle():
            if s.type == "ComplaintExtended":
                steps += [f.Step(s.stream, s.type, s.occurred_at, {**s.body, "days": 15}),
                          step(s.stream, s.type, at(second_on), days=15)]
            else:
                steps.append(f.Step(s.stream, s.type, at("2025-05-05"), s.body)
                             if s.type == "ComplaintClosed" else s)
        return steps
    c, rf23b, listed = _view_and_rf23b(cycle("2025-04-15"))
    assert (c["deadlines"]["close"]["due"], c["extension_days"]) == ("2025-05-06", 30)
    assert rf23b is None and [e[3:] for e in listed] == [[True, None], [True, None]]
    c, rf23b, listed = _view_and_rf23b(cycle("2025-04-22"))
    assert (c["deadlines"]["close"]["due"], c["extension_days"]) == ("2025-04-21", 15)
    assert listed == numbers(rf23b)["extensions"]
    assert listed[1][3:] == [False, "approved after the deadline 2025-04-21 had passed"]


def test_a_phone_acknowledgement_does_not_meet_the_complaint_acknowledgement_deadline() -> None:
    """As RF23.a (XFGZ 第23条第2款: 书面告知): the view met the deadline with a phone call."""
    history, folder = world(f.general_case(GENERAL_ID))
    received = f.complaint_cycle("C-2025-0042", GENERAL_ID)[0]
    phoned = step("complaint:C-2025-0042", "ComplaintAcknowledged", at("2025-02-05"),
                  method="phone")
    folder.fold(history.extend([received, phoned]))
    c = folder.complaints["C-2025-0042"]
    assert c["state"] == "ACKNOWLEDGED" and c["accepted_on"] == "2025-02-05"
    assert c["deadlines"]["acknowledge"]["met_on"] is None
    assert c["acknowledgements"] == [{"method": "phone", "on": "2025-02-05", "written": False}]
    folder.fold(history.extend([step("complaint:C-2025-0042", "ComplaintAcknowledged",
                                     at("2025-02-07"), method="written")]))
    c = folder.complaints["C-2025-0042"]
    assert (c["deadlines"]["acknowledge"]["met_on"], c["deadlines"]["acknowledge"]["late"]) == (
        "2025-02-07", True)


def test_complaint_closed_before_acknowledgement_is_out_of_order() -> None:
    history, folder = world()
    steps = f.complaint_cycle()
    folder.fold(history.extend([steps[0], steps[3]]))
    c = folder.complaints["C-2025-0042"]
    assert c["state"] == "CLOSED"
    assert c["out_of_order"] == [{"event_id": c["events"][1], "type": "ComplaintClosed",
                                  "state": "RECEIVED", "expected_in": ["ACKNOWLEDGED"]}]


def test_complaint_received_last_keeps_it_closed_with_its_extension_and_deadlines_met(
) -> None:
    """The intake is recorded after the handling: the complaint stays CLOSED, its closing
    deadline counts the approved extension, both deadlines are met (not open), and a handler
    among the accused is still seen as such."""
    history, folder = world()
    received, acknowledged, extended, closed = f.complaint_cycle()
    folder.fold(history.extend([acknowledged, extended, closed, received]))
    c = folder.complaints["C-2025-0042"]
    assert c["state"] == "CLOSED"
    assert c["deadlines"]["close"] == {"due": "2025-05-06",
                                       "basis": "XFGZ 第34条 (60 days + approved extension)",
                                       "basis_zh": "XFGZ 第34条（60日内办结，另加批准的延长期限）",
                                       "met_on": "2025-04-15", "late": False,
                                       "params_version": NATIONAL}
    assert c["deadlines"]["acknowledge"]["met_on"] == "2025-02-05"
    assert c["handler_is_accused"] is False
    received, _, _, closed = f.complaint_cycle("C-2025-0043")
    closed_by_accused = step(closed.stream, "ComplaintClosed", closed.occurred_at,
                             handler=f.OFFICER_B)
    folder.fold(history.extend([closed_by_accused, received]))
    assert folder.complaints["C-2025-0043"]["handler_is_accused"] is True


# --- out of order ---------------------------------------------------------------------------------

def test_shuffled_summary_history_records_the_steps_that_came_out_of_order() -> None:
    history, folder = world()
    by_type = {s.type: s for s in f.summary_case(SUMMARY_ID)}
    order = ["CaseFiled", "PenaltyDecided", "CredentialShown", "EvidenceRecorded",
             "OnsiteCashCollected", "DecisionServed", "SummaryDecisionFiled", "OnsiteCashRemitted",
             "AgencyDeposited", "CaseClosed", "TreasuryReconciled"]
    events = history.extend(by_type[t] for t in order)
    seen = []
    for rec in events:
        folder(rec)
        seen.append(folder.cases[SUMMARY_ID]["state"])
    ids = {rec.type: rec.event_id for rec in events}
    assert seen == ["ON_SCENE", "DECIDED_ON_SPOT", "DECIDED_ON_SPOT", "DECIDED_ON_SPOT",
                    "COLLECTED_ON_SPOT", "COLLECTED_ON_SPOT", "COLLECTED_ON_SPOT", "REMITTED",
                    "FILED_WITH_AGENCY", "CLOSED", "CLOSED"]
    assert folder.cases[SUMMARY_ID]["out_of_order"] == [
        {"event_id": ids["OnsiteCashCollected"], "type": "OnsiteCashCollected",
         "state": "DECIDED_ON_SPOT", "expected_in": ["DELIVERED"]},
        {"event_id": ids["DecisionServed"], "type": "DecisionServed",
         "state": "COLLECTED_ON_SPOT", "expected_in": ["DECIDED_ON_SPOT"]},
        {"event_id": ids["TreasuryReconciled"], "type": "TreasuryReconciled",
         "state": "CLOSED", "expected_in": ["DEPOSITED", "PAID", "FILED_WITH_AGENCY"]},
    ]
    assert folder.cases[SUMMARY_ID]["events"] == [rec.event_id for rec in events]


def test_decision_straight_after_filing_moves_the_case_but_is_recorded_out_of_order() -> None:
    history, folder = world()
    g = {s.type: s for s in f.general_case(GENERAL_ID)}
    events = history.extend([g["CaseFiled"], g["PenaltyDecided"], g["InvestigationConcluded"]])
    folder.fold(events)
    case = folder.cases[GENERAL_ID]
    assert case["state"] == "DECIDED"                 # never moved backwards by the late step
    assert case["out_of_order"] == [
        {"event_id": events[1].event_id, "type": "PenaltyDecided", "state": "FILED",
         "expected_in": ["DECIDING"]},
        {"event_id": events[2].event_id, "type": "InvestigationConcluded", "state": "DECIDED",
         "expected_in": ["INVESTIGATING"]}]


def test_a_deadline_opened_by_a_step_recorded_late_is_met_by_what_came_before_it() -> None:
    """The service is recorded before the decision, and both before the filing: each deadline
    opens late (service with the decision, decision with the filing) and is met on the day of
    the step that came first, not missed."""
    history, folder = world()
    g = {s.type: s for s in f.general_case(GENERAL_ID)}
    folder.fold(history.extend([g["DecisionServed"], g["PenaltyDecided"], g["CaseFiled"]]))
    deadlines = folder.cases[GENERAL_ID]["deadlines"]
    assert (deadlines["decision"]["met_on"], deadlines["decision"]["late"]) == (
        "2024-08-08", True)                           # 90 days from 23 April: 22 July
    assert (deadlines["service"]["met_on"], deadlines["service"]["late"]) == (
        "2024-08-12", False)


def test_summary_only_step_in_a_general_case_is_out_of_order() -> None:
    history, folder = world()
    g = f.general_case(GENERAL_ID)
    folder.fold(history.extend(g[:2] + [step(f"case:{GENERAL_ID}", "SummaryDecisionFiled",
                                             at("2024-04-24"))]))
    [entry] = folder.cases[GENERAL_ID]["out_of_order"]
    assert (entry["type"], entry["state"], entry["expected_in"]) == (
        "SummaryDecisionFiled", "FILED", [])


def _notice_then_decision(decided_on: str) -> dict[str, Any]:
    history, folder = world()
    g = {s.type: s for s in f.general_case(GENERAL_ID)}
    steps = [g[t] for t in ("CaseFiled", "EvidenceRecorded", "InvestigationConcluded",
                            "BenchmarkApplied", "PenaltyNoticeServed")]
    decision = g["PenaltyDecided"]
    steps.append(step(decision.stream, decision.type, at(decided_on), **decision.body))
    folder.fold(history.extend(steps))
    return folder.cases[GENERAL_ID]


def test_decision_inside_the_hearing_request_window_is_out_of_order() -> None:
    case = _notice_then_decision("2024-05-29")        # window open until 2024-06-03
    assert case["state"] == "DECIDED"
    assert [(o["type"], o["state"]) for o in case["out_of_order"]] == [
        ("PenaltyDecided", "NOTIFIED")]


def test_decision_after_the_hearing_request_window_is_in_order() -> None:
    case = _notice_then_decision("2024-06-04")
    assert case["state"] == "DECIDED" and case["out_of_order"] == []


def test_random_shuffles_fold_deterministically_and_incremental_equals_rebuild() -> None:
    early = step(f"case:{GENERAL_ID}", "PenaltyAmended", at("2024-08-13"), amount_fen=100_000)
    history, _ = world(f.summary_case(SUMMARY_ID), [early] + f.general_case(GENERAL_ID),
                       f.withdrawn_case(), f.redecided_case(), f.complaint_cycle())
    for seed in range(5):
        events = list(history.events)
        random.Random(seed).shuffle(events)
        rebuild = Folder().fold(events)
        again = Folder().fold(events)
        # incremental: state persisted as JSON between every event, as a read store would
        incremental = Folder()
        for rec in events:
            incremental(rec)
            for store in (incremental.cases, incremental.complaints, incremental.officers):
                for key, value in store.items():
                    store[key] = json.loads(json.dumps(value))
        for a, b in ((rebuild, again), (rebuild, incremental)):
            assert json.dumps([a.cases, a.complaints, a.officers], sort_keys=True) == \
                json.dumps([b.cases, b.complaints, b.officers], sort_keys=True)
        every_case_event = {r.event_id for r in events if r.stream.startswith("case:")}
        assert {e for c in rebuild.cases.values() for e in c["events"]} == every_case_event


# --- officers and their certificates at the time --------------------------------------------

def test_acts_with_a_suspended_certificate_or_by_auxiliary_staff_are_shown_with_their_status(
) -> None:
    history, folder = world()
    s = f"case:{SUMMARY_ID}"
    folder.fold(history.extend(f.auxiliary_setup() + [
        step(f"officer:{f.OFFICER_B}", "OfficerCredentialSuspended", at("2024-09-30", "09:00:00"),
             cert_no=f.CERT_B, effective_at=at("2024-09-30", "09:00:00"), until="2024-10-31")]))
    folder.fold(history.extend(f.summary_case(SUMMARY_ID)[:4] + [
        step(s, "WarningIssued", at("2024-09-30", "10:04:00"), party_ref=f.VENDOR,
             officers=[{"officer_id": f.AUXILIARY}, {"officer_id": f.OFFICER_A,
                                                     "cert_no": "99999999"}])]))
    officers = folder.cases[SUMMARY_ID]["officers"]
    assert officers[f.OFFICER_B]["credential_at_first_act"]["status"] == "suspended"
    assert {a["status"] for a in officers[f.OFFICER_B]["invalid_acts"]} == {"suspended"}
    assert officers[f.AUXILIARY]["kind"] == "auxiliary"
    assert officers[f.AUXILIARY]["invalid_acts"][0]["status"] == "auxiliary"
    assert officers[f.OFFICER_A]["invalid_acts"][-1]["status"] == "unknown_certificate"
    assert officers[f.OFFICER_A]["cert_nos"] == [f.CERT_A, "99999999"]


def test_auxiliary_staff_named_with_a_certificate_read_as_auxiliary_as_rf02_reads_them(
) -> None:
    """An auxiliary named on an inspection with a certificate number: RF02 says auxiliary (staff
    with no certificate, whatever number is written), the case view said unknown_certificate,
    judging the number before the person."""
    history, folder = world()
    s = f"case:{SUMMARY_ID}"
    folder.fold(history.extend(f.auxiliary_setup() + f.summary_case(SUMMARY_ID)[:1] + [
        step(s, "InspectionPerformed", at("2024-09-30", "10:04:00"),
             officers=[{"officer_id": f.AUXILIARY, "cert_no": "99999999"}])]))
    view = folder.cases[SUMMARY_ID]["officers"][f.AUXILIARY]["invalid_acts"]
    flags = [fl for fl in compute_flags(history.events, national(), at=when("2025-01-01"),
                                        processes=1)
             if fl.rule_id == "RF02" and fl.officer_id == f.AUXILIARY]
    assert [(a["type"], a["status"]) for a in view] == [
        (numbers(fl)["event_type"], numbers(fl)["status"]) for fl in flags] == [
        ("InspectionPerformed", "auxiliary")]


def test_a_decider_also_named_among_the_officers_acts_once_per_event() -> None:
    """PenaltyDecided names the deciders twice (``decided_by`` and ``officers`` with their
    certificates): one act each, as the officer model counts it."""
    history, folder = world()
    folder.fold(history.extend([step(
        f"officer:{f.OFFICER_B}", "OfficerCredentialSuspended", at("2024-09-30", "09:00:00"),
        cert_no=f.CERT_B, effective_at=at("2024-09-30", "09:00:00"), until="2024-10-31")]))
    folder.fold(history.extend(f.summary_case(SUMMARY_ID)[:5]))   # up to PenaltyDecided
    officers = folder.cases[SUMMARY_ID]["officers"]
    assert officers[f.OFFICER_A]["acts"] == 5
    assert officers[f.OFFICER_A]["acts"] == folder.officers[f.OFFICER_A]["caseload"]["acts"]
    decided = [a for a in officers[f.OFFICER_B]["invalid_acts"] if a["type"] == "PenaltyDecided"]
    assert decided == [{"event_id": decided[0]["event_id"], "type": "PenaltyDecided",
                        "status": "suspended", "cert_no": f.CERT_B}]


def test_evidence_recorded_in_version_1_is_folded_in_the_current_shape() -> None:
    history, folder = world()
    s = f"case:{GENERAL_ID}"
    v1 = {"evidence_id": "EV-OLD-1", "kind": "photo", "hash": "ab" * 32, "device_id": "BC-9",
          "captured_at": at("2024-04-23", "10:20:00"), "device_signed": False}
    folder.fold(history.extend([f.general_case(GENERAL_ID)[1],
                                f.Step(s, "EvidenceRecorded", at("2024-04-23", "10:30:00"), v1)]))
    [evidence] = folder.cases[GENERAL_ID]["evidence"]
    assert (evidence["content_sha256"], evidence["device_id"]) == ("ab" * 32, "BC-9")
    assert folder.cases[GENERAL_ID]["state"] == "INVESTIGATING"


def test_credential_status_over_time() -> None:
    history, folder = world()
    o = f"officer:{f.OFFICER_A}"
    folder.fold(history.extend([
        step(o, "OfficerCredentialSuspended", at("2024-03-01"), cert_no=f.CERT_A,
             effective_at=at("2024-03-01", "08:00:00"), until="2024-03-31"),
        step(o, "OfficerCredentialExpired", at("2025-06-01"), cert_no=f.CERT_A,
             effective_at=at("2025-06-01"), reason="revoked"),
    ]))
    state = folder.officers[f.OFFICER_A]

    def status(when: str) -> str:
        return officer_model.credential_at(state, when, f.CERT_A)["status"]
    assert status("2022-12-31T23:00:00+08:00") == "not_yet_valid"
    assert status("2024-02-29T10:00:00+08:00") == "valid"
    assert status("2024-03-15T10:00:00+08:00") == "suspended"
    assert status("2024-04-01T10:00:00+08:00") == "valid"
    assert status("2025-06-01T10:00:01+08:00") == "revoked"
    assert officer_model.credential_at(folder.officers[f.LEGAL], "2028-01-01T08:00:00+08:00",
                                       "31010213001")["status"] == "expired"
    assert officer_model.credential_at(None, "2024-01-01T00:00:00Z")["status"] == "unknown_person"


def test_a_suspension_recorded_before_the_certificate_is_kept_when_it_is_issued() -> None:
    """HR records the suspension first and the issuance late: the certificate, once issued,
    is still suspended (out of order is recorded, never dropped)."""
    history, folder = History(), Folder()
    o, cert = f"officer:{f.OFFICER_A}", "31010219009"
    folder.fold(history.extend([
        step(o, "OfficerCredentialSuspended", at("2024-03-01"), cert_no=cert,
             effective_at=at("2024-03-01", "08:00:00"), until="2024-03-31"),
        step(o, "OfficerCredentialExpired", at("2024-05-01"), cert_no=cert,
             effective_at=at("2024-05-01"), reason="revoked")]
        + f.officer_setup(f.OFFICER_A, cert, day="2024-03-05")[:1]))
    state = folder.officers[f.OFFICER_A]
    assert officer_model.credential_at(state, at("2024-03-15"), cert)["status"] == "suspended"
    assert officer_model.credential_at(state, at("2024-06-01"), cert)["status"] == "revoked"


def test_posts_over_time_and_the_post_at_an_instant() -> None:
    history, folder = world()
    folder.fold(history.extend([
        step(f"officer:{f.OFFICER_A}", "PostAssigned", at("2024-06-30"), post_id="HP-NJ-W-02",
             unit_id=f.UNIT, grid_ids=["HP-G-0201"], window_from=at("2024-07-01", "00:00:00"),
             window_until=None)]))
    state = folder.officers[f.OFFICER_A]
    assert [(p["post_id"], p["until"]) for p in state["posts"]] == [
        (f"POST-{f.OFFICER_A}", at("2024-07-01", "00:00:00")), ("HP-NJ-W-02", None)]
    assert officer_model.post_at(state, at("2024-06-15"))["post_id"] == f"POST-{f.OFFICER_A}"
    assert officer_model.post_at(state, at("2024-07-15"))["grid_ids"] == ["HP-G-0201"]


def test_pledge_chain_reaches_the_unit_head_layer_by_layer() -> None:
    history, folder = world()
    folder.fold(history.extend(
        f.pledge_chain_steps(f.OFFICER_A, f.HEAD, pledge_id="PL-2024-A", top=False)
        + f.pledge_chain_steps(f.HEAD, f.HEAD, pledge_id="PL-2024-H", top=True,
                               level="team")))
    lookup = folder.officers.get            # walked as the dashboard walks it
    status, links = pledge_chain(f.OFFICER_A, "2024-05-01", lookup)
    assert status == "complete"
    assert [link["officer_id"] for link in links] == [f.OFFICER_A, f.HEAD]
    folder.fold(history.extend(f.pledge_chain_steps(f.OFFICER_B, f.HEAD, pledge_id="PL-2025-B",
                                                    top=False, year=2025)))
    status, links = pledge_chain(f.OFFICER_B, "2025-05-01", lookup)     # the head's has ended
    assert (status, links[-1]["countersigned_by"]) == ("broken", f.HEAD)
    assert pledge_chain(f.OFFICER_A, "2025-05-01", lookup)[0] == "none"
    assert folder.officers[f.OFFICER_A]["pledge_status"] == "countersigned"
    assert folder.officers[f.OFFICER_A]["events"][-2:] == [
        r.event_id for r in history.events if r.stream == "pledge:PL-2024-A"]


def _party_forms(voided: str, *, served: bool) -> list[f.Step]:
    """``two_parties`` with each decision on its own numbered form and the form of ``voided``
    (COMPANY_NO, decided 08-08, or VENDOR_NO, decided 08-09) voided on 08-16; ``served``:
    that decision's service (the company's 08-12, the vendor's 08-13) kept, else it is left
    out with its publication and payment."""
    steps = [dataclasses.replace(s, body={**s.body, "form_no": _form(s.body["decision_no"])})
             if s.type == "PenaltyDecided" else s for s in two_parties()]
    if not served:
        steps = [s for s in steps if not (s.body.get("decision_no") == voided and s.type in (
            "DecisionServed", "DecisionPublished", "PaymentRecorded"))]
    return steps + [step(f"case:{GENERAL}", "DecisionFormVoided", at("2024-08-16"),
                         form_no=_form(voided), reason="wrong_amount")]


def _form(decision_no: str) -> str:
    return f"HP-G-{decision_no[-5:]}"


def _party_flags(history: History, party_ref: str, rule: str) -> list[str]:
    return sorted(x.rule_id for x in compute_flags(history.events, national(),
                                                    at=when("2025-01-01"), processes=1)
                  if x.rule_id.startswith(rule) and x.party_ref == party_ref)


def test_a_co_partys_service_does_not_save_a_partys_voided_form() -> None:
    """The vendor's decision was never served and its form was voided; the engine took the
    company's service, in between, for the vendor's (any service of the case counted), so it
    read the vendor's decision as standing, unserved (RF12.c), where the case page read it
    voided."""
    history, folder = world(_party_forms(VENDOR_NO, served=False))
    case = folder.cases[GENERAL]
    assert (case["decision"]["decision_no"], case["decision"]["status"]) == (VENDOR_NO, "voided")
    assert _party_flags(history, f.VENDOR, "RF12") == []
    assert _party_flags(history, f.VENDOR, "RF06") == []


def test_a_co_partys_decision_does_not_end_the_window_of_a_partys_service() -> None:
    """The company's decision was served (08-12) before its form was voided (08-16): the void
    ends nothing and is RF20.e's. The engine looked for a service only up to the vendor's
    decision (08-09), the next decision of the case, and read the company's decision as voided
    before service, where the case page read it served and standing. Recorded after the void,
    the service puts the decision back on the page (it sought the decision among the case's
    latest and replaced decisions, not a co-party's)."""
    steps = _party_forms(COMPANY_NO, served=True)
    service = next(s for s in steps if s.type == "DecisionServed"
                   and s.body["decision_no"] == COMPANY_NO)
    for order in (steps, [s for s in steps if s is not service] + [service]):
        history, folder = world(order)
        [company] = folder.cases[GENERAL]["co_party_decisions"]
        assert (company["decision_no"], company["status"]) == (COMPANY_NO, "in_force")
        assert _party_flags(history, f.COMPANY, "RF20") == ["RF20.e"]


def test_a_co_partys_voided_decision_is_not_counted_on_its_deciders_pages() -> None:
    """The company's decision (a co-party's, beside the vendor's recorded after it) voided
    before it was served counted on its deciders' pages as a decision and a fine imposed."""
    _, fold = _read_models(_party_forms(COMPANY_NO, served=False))
    _, plain = _read_models(two_parties())
    [company] = fold.cases[GENERAL]["co_party_decisions"]
    assert company["status"] == "voided"
    deciders = set(company["decided_by"])
    assert deciders
    for officer_id in deciders:
        load, before = (fold.officers[officer_id]["caseload"],
                        plain.officers[officer_id]["caseload"])
        assert (load["decisions"], load["voided_decisions"]) == (before["decisions"] - 1, 1)
        assert load["decided_fen"] == before["decided_fen"] - company["decided_fen"]


def test_the_case_pages_reconciliation_is_the_total_of_every_partys_fine() -> None:
    """A TreasuryReconciled is the total credited for the case: the page held it to the
    decision shown alone (3 000 yuan of 6 000), so the two parties' 6 000 reconciled showed as a
    mismatch and one party's 3 000 as reconciled — the opposite of RF06.a."""
    for amount, status in ((600_000, "reconciled"), (300_000, "mismatch")):
        _, folder = world(change(two_parties(), "TreasuryReconciled", amount_fen=amount))
        r = folder.cases[GENERAL]["money"]["reconciliation"]
        assert (r["expected_fen"], r["status"]) == (600_000, status), amount


def test_a_co_partys_decision_put_back_by_a_late_service_counts_again_on_its_deciders_pages(
        ) -> None:
    """The company's service (08-12), dated before its form's void (08-16) and recorded after
    it, puts the company's decision back (a co-party's, beside the vendor's): the read models'
    fold sought the decision it gave back among the case's latest and replaced decisions only,
    and stopped (StopIteration) — the projection of every case with it."""
    steps = _party_forms(COMPANY_NO, served=True)
    service = next(s for s in steps if s.type == "DecisionServed"
                   and s.body["decision_no"] == COMPANY_NO)
    _, fold = _read_models([s for s in steps if s is not service] + [service])
    _, plain = _read_models(steps)
    [company] = fold.cases[GENERAL]["co_party_decisions"]
    assert company["status"] == "in_force"
    for officer_id in company["decided_by"]:
        load, before = (fold.officers[officer_id]["caseload"],
                        plain.officers[officer_id]["caseload"])
        assert (load["decisions"], load["voided_decisions"], load["decided_fen"]) == (
            before["decisions"], 0, before["decided_fen"])
