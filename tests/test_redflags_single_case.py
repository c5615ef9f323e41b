"""Single-case rules: each raised on the smallest history that should raise it, and not raised
on the near miss its false-positive guard describes."""

from __future__ import annotations

from projections.redflags import national, with_overrides

from . import domain_factory as f
from .domain_factory import DROP, at, step
from .test_redflags_world import (
    GENERAL,
    SUMMARY,
    World,
    change,
    drop,
    general_case,
    insert_after,
    numbers,
    until,
    when,
)

S = f"case:{SUMMARY}"
G = f"case:{GENERAL}"
A = {"officer_id": f.OFFICER_A, "cert_no": f.CERT_A}
AUX = {"officer_id": f.AUXILIARY}


def summary(**decision: object) -> list[f.Step]:
    return change(f.summary_case(SUMMARY), "PenaltyDecided", **decision)


def bank_summary(amount_fen: int, **decision: object) -> list[f.Step]:
    """A summary case paid at the bank (no cash on the spot)."""
    steps = drop(f.summary_case(SUMMARY, amount_fen=amount_fen), "OnsiteCashCollected",
                 "OnsiteCashRemitted", "AgencyDeposited")
    steps = change(steps, "PenaltyDecided", payment_method="e_payment", **decision)
    return insert_after(steps, "DecisionServed", step(
        S, "PaymentRecorded", at("2024-10-08"), decision_no="HP-S-2024-004512",
        amount_fen=amount_fen, channel="e_payment"))


# --- RF01 two officers ---------------------------------------------------------------------------

def test_rf01_summary_decision_by_one_officer() -> None:
    flag = World(summary(officers=[A], decided_by=[f.OFFICER_A])).one("RF01")
    assert numbers(flag)["qualified_officers"] == 1
    assert numbers(flag)["event_type"] == "PenaltyDecided"


def test_rf01_counts_the_same_officer_entered_twice_once() -> None:
    flag = World(summary(officers=[A, A], decided_by=[f.OFFICER_A])).one("RF01")
    assert numbers(flag)["qualified_officers"] == 1


def test_rf01_auxiliary_staff_never_count_as_the_second_officer() -> None:
    world = World(f.auxiliary_setup(), summary(officers=[A, AUX],
                                               decided_by=[f.OFFICER_A]))
    assert numbers(world.one("RF01"))["qualified_officers"] == 1


def test_rf01_two_qualified_officers_raise_nothing_and_a_head_deciding_alone_is_not_rf01() -> None:
    assert World(f.summary_case(SUMMARY), general_case()).flags(rule="RF01") == []


# --- RF03 summary procedure limits ---------------------------------------------------------------

def test_rf03_summary_fine_above_200_cny_for_an_individual() -> None:
    flag = World(bank_summary(20_001)).one("RF03")
    assert numbers(flag)["reasons"] == ["amount_over_limit"]
    assert numbers(flag)["limit_fen"] == 20_000


def test_rf03_summary_fine_of_exactly_200_cny_is_within_the_limit() -> None:
    assert World(bank_summary(20_000)).flags(rule="RF03") == []


def test_rf03_organisation_limit_is_3000_cny() -> None:
    org = {"party_ref": f.COMPANY, "party_type": "organisation"}
    assert World(bank_summary(300_000, party=org)).flags(rule="RF03") == []
    assert World(bank_summary(300_001, party=org)).one("RF03")


def test_rf03_summary_decision_without_showing_the_credential_first() -> None:
    flag = World(drop(f.summary_case(SUMMARY), "CredentialShown")).one("RF03")
    assert numbers(flag)["reasons"] == ["credential_not_shown"]


def test_rf03_summary_procedure_cannot_confiscate() -> None:
    flag = World(bank_summary(10_000, penalty_types=["fine", "confiscation_property"])).one("RF03")
    assert "penalty_type_not_allowed" in numbers(flag)["reasons"]


def summary_amended(amount_fen: int, **amendment: object) -> list[f.Step]:
    """A 200 CNY summary fine paid at the bank, then amended with approval."""
    return insert_after(bank_summary(20_000), "DecisionServed", step(
        S, "PenaltyAmended", at("2024-09-30", "11:00:00"), decision_no="HP-S-2024-004512",
        previous_amount_fen=20_000, amount_fen=amount_fen, **amendment))


def test_rf03_amendment_taking_a_summary_fine_above_the_limit() -> None:
    """APL 第51条 bounds the summary decision as amended: only the decided amount was judged, so
    an approved amendment from 200 to 250 CNY for an individual escaped."""
    flag = World(summary_amended(25_000)).one("RF03")
    assert numbers(flag)["reasons"] == ["amount_over_limit"]
    assert (numbers(flag)["amount_fen"], numbers(flag)["decided_fen"]) == (25_000, 20_000)
    assert numbers(flag)["amended_at"] == "2024-09-30T11:00:00+08:00"
    assert World(summary_amended(20_000)).flags(rule="RF03") == []
    confiscating = summary_amended(15_000, penalty_types=["fine", "confiscation_property"])
    assert numbers(World(confiscating).one("RF03"))["reasons"] == ["penalty_type_not_allowed"]


# --- RF04 on-the-spot collection -----------------------------------------------------------------

def test_rf04_cash_above_100_cny_on_the_spot_without_an_exception() -> None:
    flag = World(f.summary_case(SUMMARY, amount_fen=15_000)).one("RF04.a")
    assert numbers(flag)["decided_fen"] == 15_000 and numbers(flag)["justification"] == "within_100"
    assert flag.summary_zh == ("以“依法给予一百元以下罚款”为由当场收缴罚款 150.00 元，不符合"
                               "《行政处罚法》第68条、第69条规定的情形")


def test_rf04_cash_above_100_cny_is_allowed_when_hard_to_enforce_later_is_justified() -> None:
    steps = change(f.summary_case(SUMMARY, amount_fen=15_000), "OnsiteCashCollected",
                   justification="hard_to_enforce_later",
                   justification_text="外地流动摊贩，事后难以执行")
    assert World(steps).flags(rule="RF04") == []


def test_rf04_remote_area_collection_needs_a_fine_decided() -> None:
    """APL 第69条 allows collecting on the spot in a remote area 作出罚款决定后, on the party's
    request. The request alone was enough: cash taken with no decision in the case raised
    nothing at all (nor RF04.b, which has no amount to compare)."""
    remote = change(f.summary_case(SUMMARY), "OnsiteCashCollected",
                    justification="remote_area_party_request")
    assert World(remote).flags(rule="RF04") == []
    undecided = drop(remote, "PenaltyDecided", "DecisionServed")
    flag = World(undecided).one("RF04.a")
    assert numbers(flag)["procedure"] is None and numbers(flag)["decided_fen"] is None


def test_rf04_cash_differing_from_the_decided_amount() -> None:
    steps = change(f.summary_case(SUMMARY), "OnsiteCashCollected", amount_fen=8_000)
    flag = World(steps).one("RF04.b")
    assert (numbers(flag)["cash_fen"], numbers(flag)["decided_fen"]) == (8_000, 10_000)


def test_rf04_an_amendment_after_a_withdrawal_does_not_revive_the_amount_in_force() -> None:
    """An amendment of a decision already withdrawn set its amount in force again (the case
    view leaves it out: the decision is gone), so cash taken for a withdrawn decision matched."""
    no = "HP-S-2024-004512"
    steps = insert_after(
        f.summary_case(SUMMARY), "DecisionServed",
        step(S, "PenaltyWithdrawn", at("2024-09-30", "10:06:20"), decision_no=no),
        step(S, "PenaltyAmended", at("2024-09-30", "10:06:40"), decision_no=no,
             previous_amount_fen=10_000, amount_fen=10_000))
    assert numbers(World(steps).one("RF04.b"))["decided_fen"] == 0


def test_rf04_cash_is_checked_against_the_latest_decision_in_world_time() -> None:
    """Cash taken for a decision made anew, with the withdrawn decision recorded after it (a
    late record), was checked against the withdrawn one: 'differs from the decided 0 fen'."""
    case_id, no = "SH-HP-2025-000032", "沪黄城管罚〔2025〕第58号"
    cash = step(f"case:{case_id}", "OnsiteCashCollected", at("2025-04-21", "10:30:00"),
                decision_no=no, party_ref=f.COMPANY, amount_fen=150_000,
                justification="remote_area_party_request")
    steps = f.redecided_case(case_id)
    first = next(s for s in steps if s.type == "PenaltyDecided")
    assert World([s for s in steps if s is not first] + [first, cash]).flags(rule="RF04") == []


# --- RF07 evidence before the decision -----------------------------------------------------------

def test_rf07_summary_decision_with_no_evidence_once_the_sync_grace_has_passed() -> None:
    world = World(drop(f.summary_case(SUMMARY), "EvidenceRecorded"))
    assert world.flags(when("2024-10-01T10:04"), rule="RF07") == []      # device may still sync
    flag = world.one("RF07.a", when("2024-10-01T10:06"))
    assert flag.raised_at == "2024-09-30T10:05:00+08:00"
    assert numbers(flag)["evidence_count"] == 0


def test_rf07_device_signed_evidence_synced_after_the_shift_counts() -> None:
    steps = drop(f.summary_case(SUMMARY), "EvidenceRecorded")
    world = World([f.device_key()], steps)
    world.record(step(S, "EvidenceRecorded", at("2024-09-30", "10:02:00"),
                      evidence_id="EV-late-1", captured_at=at("2024-09-30", "10:01:30"),
                      device_signed=True), recorded_at="2024-09-30T13:00:00.000000Z")
    assert world.flags(rule="RF07") == []


def test_rf07_unsigned_evidence_uploaded_after_the_decision_does_not_count() -> None:
    world = World(drop(f.summary_case(SUMMARY), "EvidenceRecorded"))
    world.record(step(S, "EvidenceRecorded", at("2024-09-30", "10:02:00"),
                      evidence_id="EV-late-1", captured_at=at("2024-09-30", "10:01:30"),
                      device_signed=False, kind="photo"),
                 recorded_at="2024-09-30T03:00:00.000000Z")
    assert world.one("RF07.a")


def test_rf07_device_signed_evidence_synced_more_than_24_hours_later_does_not_count() -> None:
    world = World(drop(f.summary_case(SUMMARY), "EvidenceRecorded"))
    world.record(step(S, "EvidenceRecorded", at("2024-09-30", "10:02:00"),
                      evidence_id="EV-late-1", captured_at=at("2024-09-30", "10:01:30")),
                 recorded_at="2024-10-01T03:00:00.000000Z")
    assert world.one("RF07.a")


def test_rf07_general_decision_before_the_investigation_concluded() -> None:
    assert World(drop(general_case(), "InvestigationConcluded")).one("RF07.b")


# --- RF08 recording integrity ---------------------------------------------------------------------

def test_rf08_summary_decision_recorded_more_than_24_hours_late() -> None:
    world = World(until(f.summary_case(SUMMARY), "RectificationOrdered"))
    decision = next(s for s in f.summary_case(SUMMARY) if s.type == "PenaltyDecided")
    world.record(decision, recorded_at="2024-10-01T05:00:00.000000Z")      # 26 h 55 min after
    flag = world.one("RF08.a")
    assert numbers(flag)["lag_hours"] == 26 and numbers(flag)["limit_hours"] == 24


def test_rf08_limits_are_those_in_force_when_the_event_happened_not_when_the_case_began() -> None:
    longer = step("config:legal-parameters", "LegalParametersPublished", at("2024-08-01"),
                  effective_from="2024-08-01", parameters=[
                      {"name": "late_document_hours", "value": 240, "unit": "count",
                       "basis": "local rule"}])
    steps = general_case()
    published = next(s for s in steps if s.type == "DecisionPublished")      # 14 Aug
    world = World([longer], drop(steps, "DecisionPublished"))
    world.record(published, recorded_at="2024-08-19T02:00:00.000000Z")      # 112 h later
    assert world.flags(rule="RF08.a") == []


def test_rf08_device_signed_capture_synced_two_days_later_is_not_late_recording() -> None:
    world = World([f.device_key()], until(f.summary_case(SUMMARY), "CredentialShown"))
    evidence = next(s for s in f.summary_case(SUMMARY) if s.type == "EvidenceRecorded")
    world.record(evidence, recorded_at="2024-10-02T03:00:00.000000Z")       # 48 h, signed
    assert world.flags(rule="RF08.a") == []


def test_rf08_legal_review_backdated_after_the_decision() -> None:
    steps = general_case()
    review = next(s for s in steps if s.type == "LegalReviewCompleted")
    world = World(drop(steps, "LegalReviewCompleted"))
    world.record(review, recorded_at="2024-08-20T02:00:00.000000Z")
    flag = world.one("RF08.b")
    assert numbers(flag)["event_type"] == "LegalReviewCompleted"
    assert numbers(flag)["claimed_at"] == "2024-06-28T10:00:00+08:00"
    assert flag.summary_zh == ("“完成法制审核”所署时间为 2024-06-28T10:00:00+08:00，应在处罚决定"
                               f"之前，却于处罚决定作出后的 {numbers(flag)['recorded_at']} 才记录")


def test_rf08_bodycam_upload_after_the_decision_is_not_backdating() -> None:
    steps = drop(f.summary_case(SUMMARY), "EvidenceRecorded")
    world = World([f.device_key()], steps)
    world.record(step(S, "EvidenceRecorded", at("2024-09-30", "10:02:00"),
                      evidence_id="EV-sync-1", captured_at=at("2024-09-30", "10:01:30")),
                 recorded_at="2024-09-30T12:00:00.000000Z")
    assert world.flags(rule="RF08") == []


def test_rf08_seizure_without_body_camera_video_once_the_sync_window_passed() -> None:
    seize = step(S, "PropertySeized", at("2024-09-30", "10:20:00"))
    steps = insert_after(f.summary_case(SUMMARY), "PenaltyDecided", seize)
    world = World(steps)
    assert world.flags(when("2024-10-03T10:19"), rule="RF08.c") == []
    assert numbers(world.one("RF08.c", when("2024-10-03T10:21")))["event_type"] == \
        "PropertySeized"


def test_rf08_seizure_filmed_by_a_participating_officers_bodycam() -> None:
    seize = step(S, "PropertySeized", at("2024-09-30", "10:20:00"))
    video = step(S, "EvidenceRecorded", at("2024-09-30", "10:22:00"), evidence_id="EV-2",
                 captured_at=at("2024-09-30", "10:18:00"))
    steps = insert_after(f.summary_case(SUMMARY), "PenaltyDecided", seize, video)
    assert World(steps).flags(rule="RF08.c") == []


# --- RF09 procedural rights -----------------------------------------------------------------------

HEARING = ("HearingRequested", "HearingScheduled", "HearingHeld")


def test_rf09_general_decision_without_a_prior_notice() -> None:
    assert World(drop(general_case(), "PenaltyNoticeServed", *HEARING)).one("RF09.a")


def test_rf09_express_waiver_replaces_the_notice() -> None:
    steps = drop(general_case(), "PenaltyNoticeServed", *HEARING)
    waiver = step(G, "RightsWaived", at("2024-05-27"))
    assert World(insert_after(steps, "BenchmarkApplied", waiver)).flags(rule="RF09") == []


def test_rf09_waiving_only_the_hearing_does_not_replace_the_notice() -> None:
    """APL 第62条 excuses the notice only when the party 明确放弃陈述或者申辩权利: a waiver of the
    hearing alone stood in for the notice of the proposed penalty."""
    steps = drop(general_case(), "PenaltyNoticeServed", *HEARING)
    waiver = step(G, "RightsWaived", at("2024-05-27"), rights=["hearing"])
    assert World(insert_after(steps, "BenchmarkApplied", waiver)).one("RF09.a")
    waiver = step(G, "RightsWaived", at("2024-05-27"), rights=["defence"])
    assert World(insert_after(steps, "BenchmarkApplied", waiver)).flags(rule="RF09") == []


def _two_parties() -> list[f.Step]:
    """The general case against the company and, for the same pile, a vendor (共同违法): the
    company alone is told of its proposed penalty and heard; the vendor is decided later."""
    vendor = {"party_ref": f.VENDOR, "party_type": "individual"}
    company = {"party_ref": f.COMPANY, "party_type": "organisation"}
    steps = change(general_case(), "CaseFiled", parties=[company, vendor])
    return insert_after(steps, "PenaltyDecided", step(
        G, "PenaltyDecided", at("2024-08-09"), decision_no="沪黄城管罚〔2024〕第124号",
        party=vendor, amount_fen=300_000))


def test_rf09_a_notice_to_one_party_is_no_notice_to_another() -> None:
    """APL 第44条 owes the notice to the party decided against: a case's second party, decided
    without ever being told of its proposed penalty, raised nothing because the company had been
    told of its own. A notice (or a waiver of statement and defence) of the vendor's own clears
    it."""
    steps = _two_parties()
    world = World(steps)
    [vendor_decision] = [e.event_id for e in world.events if e.type == "PenaltyDecided"
                         and e.body["party"]["party_ref"] == f.VENDOR]
    flag = world.one("RF09.a")
    assert (flag.event_ids, flag.party_ref) == ((vendor_decision,), f.VENDOR)
    told = step(G, "PenaltyNoticeServed", at("2024-07-01"), party_ref=f.VENDOR,
                notice_no="沪黄城管告〔2024〕第99号", proposed_amount_fen=300_000,
                hearing_eligible=False, rights_notified=["statement", "defence"])
    assert World(insert_after(steps, "LegalReviewCompleted", told)).flags(rule="RF09.a") == []
    waived = step(G, "RightsWaived", at("2024-07-01"), party_ref=f.VENDOR,
                  rights=["statement", "defence"])
    assert World(insert_after(steps, "LegalReviewCompleted", waived)).flags(rule="RF09.a") == []
    waived_by_company = step(G, "RightsWaived", at("2024-07-01"), party_ref=f.COMPANY,
                             rights=["statement", "defence"])
    assert World(insert_after(steps, "LegalReviewCompleted", waived_by_company)).one("RF09.a")


def test_rf09_d_a_hearing_one_party_asked_for_is_not_owed_in_another_partys_decision() -> None:
    """The company asked for a hearing and none was held: its decision raises RF09.d, but the
    vendor's raised it too, though the vendor never asked (APL 第64条: 当事人要求听证的). A
    request counts in the decisions of the party that made it, against that party's notice."""
    steps = drop(_two_parties(), "HearingScheduled", "HearingHeld")
    world = World(steps)
    flag = world.one("RF09.d")
    assert flag.party_ref == f.COMPANY
    # nor does the vendor giving up a hearing withdraw the company's request
    waived = step(G, "RightsWaived", at("2024-06-03"), party_ref=f.VENDOR, rights=["hearing"])
    assert World(insert_after(steps, "HearingRequested", waived)).one("RF09.d").party_ref == (
        f.COMPANY)


def test_rf09_b_a_statement_is_reviewed_before_its_own_partys_decision() -> None:
    """APL 第45条: the vendor's statement, never reviewed, raised RF09.b on the company's
    decision as well as the vendor's; it is the vendor's decision that was made without hearing
    the vendor out."""
    spoke = step(G, "StatementReceived", at("2024-08-01"), party_ref=f.VENDOR)
    flag = World(insert_after(_two_parties(), "CollectiveDiscussionHeld", spoke)).one("RF09.b")
    assert flag.party_ref == f.VENDOR


def test_rf09_statement_received_but_not_reviewed() -> None:
    statement = step(G, "StatementReceived", at("2024-05-29"))
    world = World(insert_after(general_case(), "PenaltyNoticeServed", statement))
    assert world.one("RF09.b")
    review = step(G, "DefenceReviewed", at("2024-06-03"))
    reviewed = insert_after(general_case(), "PenaltyNoticeServed", statement, review)
    assert World(reviewed).flags(rule="RF09.b") == []


def test_rf09_decided_inside_the_hearing_request_window() -> None:
    steps = change(f.withdrawn_case(), "PenaltyNoticeServed", hearing_eligible=True)
    flag = World(steps).one("RF09.c")
    assert numbers(flag)["window_ends"] == "2025-03-31"


def test_rf09_hearing_window_runs_from_the_latest_notice_in_world_time() -> None:
    """The window was taken from the last notice in log order: a new notice (a heavier proposal,
    hearing-eligible) followed by the upload of the earlier one let a decision inside the new
    notice's window pass."""
    case = f.withdrawn_case()
    first = next(s for s in case if s.type == "PenaltyNoticeServed")
    new = f.Step(first.stream, first.type, at("2025-03-25", "09:00:00"),
                 {**first.body, "hearing_eligible": True, "proposed_amount_fen": 600_000})
    steps = [new if s is first else s for s in case] + [first]      # the first uploaded late
    assert numbers(World(steps).one("RF09.c"))["window_ends"] == "2025-04-01"


def test_rf09_decided_after_the_window_or_with_the_hearing_waived() -> None:
    steps = change(f.withdrawn_case(), "PenaltyNoticeServed", hearing_eligible=True)
    waived = change(steps, "RightsWaived", rights=["statement", "defence", "hearing"])
    later = change(steps, "PenaltyDecided", occurred_at=at("2025-04-01"))
    assert World(waived).flags(rule="RF09") == []
    assert World(later).flags(rule="RF09.c") == []


def test_rf09_hearing_requested_in_time_but_not_held() -> None:
    steps = drop(general_case(), "HearingScheduled", "HearingHeld")
    assert World(steps).one("RF09.d")


def test_rf09_hearing_requested_then_expressly_waived_need_not_be_held() -> None:
    """A party who asked for a hearing and then waived it in writing gave up the right (APL 第64条
    (六) treats even a no-show so); the decision without a hearing was flagged as one denied."""
    steps = drop(general_case(), "HearingScheduled", "HearingHeld")
    waiver = step(G, "RightsWaived", at("2024-06-03"), rights=["hearing"])
    assert World(insert_after(steps, "HearingRequested", waiver)).flags(rule="RF09.d") == []
    before = step(G, "RightsWaived", at("2024-05-28"), rights=["hearing"])    # then asked
    assert World(insert_after(steps, "PenaltyNoticeServed", before)).one("RF09.d")


def test_rf09_late_hearing_request_need_not_be_granted() -> None:
    steps = drop(general_case(), "HearingScheduled", "HearingHeld")
    steps = change(steps, "HearingRequested", occurred_at=at("2024-06-10"))
    assert World(steps).flags(rule="RF09.d") == []


def test_rf09_hearing_presided_by_an_investigator() -> None:
    steps = change(general_case(), "HearingHeld", presider_id=f.OFFICER_A)
    assert World(steps).one("RF09.e").officer_id == f.OFFICER_A


def test_rf09_hearing_notified_less_than_seven_working_days_ahead() -> None:
    steps = change(general_case(), "HearingScheduled", occurred_at=at("2024-06-14"))
    flag = World(steps).one("RF09.f")
    assert numbers(flag)["working_days"] == 4


def hearing_threshold(fen: int, day: str) -> f.Step:
    return step("config:legal-parameters", "LegalParametersPublished", at(day),
                effective_from=day, parameters=[
                    {"name": "hearing_threshold_organisation", "value": fen, "unit": "fen",
                     "basis": "APL 第63条(一) 较大数额 (local)"}])


def test_rf09_fine_at_the_hearing_threshold_proposed_without_the_hearing_right() -> None:
    """Whether a hearing was owed came only from the agency's own ``hearing_eligible``: a notice
    proposing 2,000 CNY to a company where 2,000 CNY or more (以上, inclusive) is a 较大数额罚款
    (APL 第63条) but marked not hearing-eligible raised nothing."""
    world = World([hearing_threshold(200_000, "2025-01-02")], f.withdrawn_case())
    flag = world.one("RF09.g")
    assert numbers(flag)["proposed_fen"] == 200_000 and numbers(flag)["threshold_fen"] == 200_000
    assert numbers(flag)["party_type"] == "organisation"
    assert flag.params_version != national().version        # the publication in force
    assert flag.summary_zh == ("告知书拟罚款 2000.00 元，达到法人或者其他组织听证标准 2000.00 元，"
                               "未告知当事人有要求听证的权利")


def test_rf09_hearing_threshold_near_misses() -> None:
    below = World([hearing_threshold(200_001, "2025-01-02")], f.withdrawn_case())
    assert below.flags(rule="RF09.g") == []
    told = change(f.withdrawn_case(), "PenaltyNoticeServed", hearing_eligible=True)
    assert World([hearing_threshold(200_000, "2025-01-02")], told).flags(rule="RF09.g") == []
    # the individual threshold is not the company's; and one in force only after the notice
    individual = with_overrides(national(), "SH-HP", {"hearing_threshold_individual_fen": 1})
    assert World(f.withdrawn_case(), params=individual).flags(rule="RF09.g") == []
    later = World([hearing_threshold(200_000, "2025-03-25")], f.withdrawn_case())
    assert later.flags(rule="RF09.g") == []



def test_rf09_a_notice_that_told_of_the_hearing_right_is_not_one_without_it() -> None:
    """RF09.g looked only at ``hearing_eligible``: a notice of 2,000 CNY to a company marked not
    eligible but listing ``hearing`` among the rights it notified told the party of the right
    (APL 第64条), and was flagged as one that did not."""
    told = change(f.withdrawn_case(), "PenaltyNoticeServed",
                  rights_notified=["statement", "defence", "hearing"])
    assert World([hearing_threshold(200_000, "2025-01-02")], told).flags(rule="RF09.g") == []


def test_rf09_window_is_owed_when_the_notice_told_of_the_hearing_or_the_fine_carries_it() -> None:
    """RF09.c read only ``hearing_eligible``: a notice marked not eligible that told the party of
    the hearing right, or proposed a fine at the hearing threshold (APL 第63条/第64条), still owed
    the 5-day window, and a decision inside it raised nothing."""
    told = change(f.withdrawn_case(), "PenaltyNoticeServed",
                  rights_notified=["statement", "defence", "hearing"])
    assert numbers(World(told).one("RF09.c"))["window_ends"] == "2025-03-31"
    large = World([hearing_threshold(200_000, "2025-01-02")], f.withdrawn_case())
    assert numbers(large.one("RF09.c"))["window_ends"] == "2025-03-31"


def test_rf09_window_is_not_owed_without_eligibility_notice_or_a_large_fine() -> None:
    assert World(f.withdrawn_case()).flags(rule="RF09.c") == []
    below = World([hearing_threshold(200_001, "2025-01-02")], f.withdrawn_case())
    assert below.flags(rule="RF09.c") == []

# --- RF10 heavier after defence -------------------------------------------------------------------

def test_rf10_decision_heavier_than_the_notice_after_the_hearing() -> None:
    steps = change(general_case(), "PenaltyDecided", amount_fen=400_000)
    flag = World(steps).one("RF10")
    assert (numbers(flag)["proposed_fen"], numbers(flag)["decided_fen"]) == (300_000, 400_000)


def test_rf10_a_new_notice_on_new_facts_allows_the_heavier_penalty() -> None:
    steps = change(general_case(), "PenaltyDecided", amount_fen=400_000)
    renotice = step(G, "PenaltyNoticeServed", at("2024-07-01"),
                    notice_no="沪黄城管告〔2024〕第99号",
                    proposed_amount_fen=400_000, hearing_eligible=True)
    assert World(insert_after(steps, "LegalReviewCompleted", renotice)).flags(rule="RF10") == []


def test_rf10_an_amendment_heavier_than_the_notice_after_the_hearing() -> None:
    """APL 第45条第2款 binds the penalty as changed (变更) too: decided at the notice's 3 000
    CNY after the hearing, then amended to 4 000 with approval, it raised nothing — RF10 read
    the decided amount only. A new notice (new facts) before the amendment allows it."""
    amend = step(G, "PenaltyAmended", at("2024-08-15"), decision_no="沪黄城管罚〔2024〕第123号",
                 previous_amount_fen=300_000, amount_fen=400_000)
    world = World(insert_after(general_case(), "DecisionPublished", amend))
    [decided] = [e.event_id for e in world.events if e.type == "PenaltyDecided"]
    [amended] = [e.event_id for e in world.events if e.type == "PenaltyAmended"]
    flag = world.one("RF10")
    assert flag.event_ids[:2] == (amended, decided)
    assert (numbers(flag)["proposed_fen"], numbers(flag)["decided_fen"],
            numbers(flag)["amended_fen"]) == (300_000, 300_000, 400_000)
    assert "4,000.00 CNY" in flag.summary and "4000.00 元" in flag.summary_zh
    renotice = step(G, "PenaltyNoticeServed", at("2024-08-14"),
                    notice_no="沪黄城管告〔2024〕第99号", proposed_amount_fen=400_000,
                    hearing_eligible=True)
    assert World(insert_after(general_case(), "DecisionPublished", renotice, amend)
                 ).flags(rule="RF10") == []
    lighter = step(G, "PenaltyAmended", at("2024-08-15"), decision_no="沪黄城管罚〔2024〕第123号",
                   previous_amount_fen=300_000, amount_fen=200_000)
    assert World(insert_after(general_case(), "DecisionPublished", lighter)
                 ).flags(rule="RF10") == []


def test_rf10_compares_a_partys_decision_with_its_own_notice() -> None:
    """APL 第45条第2款: the vendor, told of 200 CNY and heard, was decided 3 000 CNY; RF10 read
    the case's latest notice, the company's 3 000 CNY, and raised nothing. The vendor's own
    notice and statement are compared; the company's decision still is with its own notice."""
    told = step(G, "PenaltyNoticeServed", at("2024-05-20"), party_ref=f.VENDOR,
                notice_no="沪黄城管告〔2024〕第98号", proposed_amount_fen=20_000,
                hearing_eligible=False, rights_notified=["statement", "defence"])
    spoke = step(G, "StatementReceived", at("2024-05-22"), party_ref=f.VENDOR)
    reviewed = step(G, "DefenceReviewed", at("2024-05-24"))
    world = World(insert_after(_two_parties(), "BenchmarkApplied", told, spoke, reviewed))
    [vendor_decision] = [e.event_id for e in world.events if e.type == "PenaltyDecided"
                         and e.body["party"]["party_ref"] == f.VENDOR]
    flag = world.one("RF10")
    assert (flag.event_ids[0], flag.party_ref) == (vendor_decision, f.VENDOR)
    assert (numbers(flag)["proposed_fen"], numbers(flag)["decided_fen"]) == (20_000, 300_000)


# --- RF11 legal review, collective discussion, head decision -------------------------------------

def test_rf11_hearing_held_but_no_legal_review() -> None:
    assert World(drop(general_case(), "LegalReviewCompleted")).one("RF11.a")


def test_rf11_decided_after_the_latest_review_failed() -> None:
    """APL 第58条: 审核未通过的，不得作出决定. Any passed review before the decision was enough,
    so a later review that failed (the proposal reviewed again) and a decision made anyway
    raised nothing."""
    again = step(G, "LegalReviewCompleted", at("2024-08-06"), result="fail")
    assert World(insert_after(general_case(), "CollectiveDiscussionHeld", again)).one("RF11.a")
    passed = step(G, "LegalReviewCompleted", at("2024-08-07"))
    assert World(insert_after(general_case(), "CollectiveDiscussionHeld", again, passed)
                 ).flags(rule="RF11") == []


def test_rf11_no_review_needed_without_hearing_or_threshold() -> None:
    steps = drop(general_case(), "LegalReviewCompleted", *HEARING)
    assert World(steps).flags(rule="RF11") == []


def test_rf11_local_review_threshold_requires_review() -> None:
    params = with_overrides(national(), "SH", {"legal_review_threshold_fen": 200_000})
    steps = drop(general_case(), "LegalReviewCompleted", *HEARING)
    assert numbers(World(steps, params=params).one("RF11.a"))["grounds"] == ["amount_threshold"]


def test_rf11_unqualified_reviewer_or_investigator_reviewing() -> None:
    assert World(change(general_case(), "LegalReviewCompleted", reviewer_qualified=False)
                 ).one("RF11.b")
    assert World(change(general_case(), "LegalReviewCompleted", reviewer_id=f.OFFICER_B)
                 ).one("RF11.b").officer_id == f.OFFICER_B


def test_rf11_major_case_needs_collective_discussion() -> None:
    params = with_overrides(national(), "SH", {"collective_discussion_threshold_fen": 100_000})
    assert World(general_case(), params=params).flags(rule="RF11.c") == []
    assert World(drop(general_case(), "CollectiveDiscussionHeld"), params=params).one("RF11.c")


def test_rf11_fine_decided_by_the_investigating_officer_alone() -> None:
    flag = World(change(general_case(), "PenaltyDecided", decided_by=[f.OFFICER_A])).one("RF11.d")
    assert numbers(flag)["deciders_are_investigators"] is True


# --- RF15 statutory range -------------------------------------------------------------------------

def test_rf15_fine_above_the_statutory_maximum() -> None:
    flag = World(change(general_case(), "PenaltyDecided", amount_fen=600_000)).one("RF15.a")
    assert numbers(flag)["max_fen"] == 500_000


def test_rf15_an_individual_fined_above_every_band_the_law_gives_individuals() -> None:
    """SH_SRHW 第28条 fines an individual at most 200 元 for spitting, littering or dumping
    rubbish, a unit 5,000 to 50,000 元 for dumping: an individual's 1,000 元 was within the
    envelope of every band (up to 50,000 元) and raised nothing. A band named for the other
    kind of party is left out of the maximum; a unit's 40,000 元 stays within its own."""
    def spit(party_type: str, amount_fen: int) -> list[f.Step]:
        return change(general_case(), "PenaltyDecided", violation_code="SPIT_SH",
                      amount_fen=amount_fen, benchmark_tier=DROP,
                      party={"party_ref": f.COMPANY, "party_type": party_type})
    flag = World(spit("individual", 100_000)).one("RF15.a")
    assert (numbers(flag)["max_fen"], numbers(flag)["party_type"]) == (20_000, "individual")
    assert World(spit("individual", 20_000)).flags(rule="RF15") == []
    assert World(spit("organisation", 4_000_000)).flags(rule="RF15") == []


def test_rf15_fine_below_the_minimum_without_and_with_a_mitigation_ground() -> None:
    low = change(general_case(), "PenaltyDecided", amount_fen=40_000)
    assert World(low).one("RF15.b")
    mitigated = insert_after(low, "LegalReviewCompleted", step(
        G, "WaiverGranted", at("2024-07-01"), basis="APL32", waiver="mitigated",
        party_ref=f.COMPANY, violation_code="PILEUP_SH", decided_by=[f.HEAD]))
    assert World(mitigated).flags(rule="RF15") == []


def test_rf15_a_fine_between_the_statutory_amounts_is_below_the_next_one() -> None:
    """BJ_SRHW 第52条 fines spitting 50 元, 200 元 when serious — two amounts, no range: 100 元
    lay inside the envelope 50 – 200 and raised nothing. A fine in none of the code's bands
    (of any kind of party) falls short of the next band up: RF15.b, unless a mitigation
    ground (APL 第32条 减轻) is recorded; 50 and 200 元 raise nothing. SORTING_SH likewise
    leaves a gap (an individual at most 200 元, a unit at least 5 000 元)."""
    def fined(code: str, amount_fen: int, party_type: str = "individual") -> list[f.Step]:
        return change(general_case(), "PenaltyDecided", violation_code=code,
                      amount_fen=amount_fen, benchmark_tier=DROP,
                      party={"party_ref": f.COMPANY, "party_type": party_type})
    flag = World(fined("SPIT_BJ", 10_000)).one("RF15.b")
    assert numbers(flag)["statutory_bands_fen"] == [[5_000, 5_000], [20_000, 20_000]]
    assert numbers(flag)["next_band_min_fen"] == 20_000
    assert "200.00 元" in flag.summary_zh and "BJ_SRHW 第52条" in flag.summary
    for amount in (5_000, 20_000):
        assert World(fined("SPIT_BJ", amount)).flags(rule="RF15") == []
    assert World(fined("SORTING_SH", 100_000, "organisation")).one("RF15.b")
    mitigated = insert_after(fined("SPIT_BJ", 10_000), "CollectiveDiscussionHeld", step(
        G, "WaiverGranted", at("2024-08-06"), basis="APL32", waiver="mitigated",
        party_ref=f.COMPANY, violation_code="SPIT_BJ"))
    assert World(mitigated).flags(rule="RF15") == []


def test_rf15_a_unit_fined_below_every_band_the_law_gives_units() -> None:
    """BJ_LJ 第67条 fines a unit 1,000 元 the first time (10,000 – 50,000 元 again), an
    individual 50 – 200 元 after a written warning: a unit's 150 元 lay inside the individuals'
    band and raised nothing. The minimum, as the maximum, leaves out the bands named for the
    other kind of party: RF15.b, naming the unit's 1,000 元. SH_SRHW 第28条's fines for spitting
    (二百元以下) and littering (一百元以下) bind anyone: a unit fined 100 元 raises nothing."""
    def fined(code: str, amount_fen: int, party_type: str) -> list[f.Step]:
        return change(general_case(), "PenaltyDecided", violation_code=code,
                      amount_fen=amount_fen, benchmark_tier=DROP,
                      party={"party_ref": f.COMPANY, "party_type": party_type})
    flag = World(fined("SORTING_BJ", 15_000, "organisation")).one("RF15.b")
    assert (numbers(flag)["min_fen"], numbers(flag)["party_type"]) == (100_000, "organisation")
    assert flag.summary_zh == ("罚款 150.00 元 低于对法人或者其他组织的法定最低限额 1000.00 元"
                               "（BJ_LJ 第67条），且未记录减轻处罚的理由")
    assert World(fined("SORTING_BJ", 15_000, "individual")).flags(rule="RF15") == []
    assert World(fined("SORTING_BJ", 100_000, "organisation")).flags(rule="RF15") == []
    assert World(fined("SPIT_SH", 10_000, "organisation")).flags(rule="RF15") == []


def test_rf15_fine_under_a_code_outside_the_fine_schedule() -> None:
    steps = change(general_case(), "PenaltyDecided", violation_code="NOISE_XX")
    assert numbers(World(steps).one("RF15.c"))["violation_code"] == "NOISE_XX"


def test_rf15_amendment_above_the_maximum() -> None:
    amend = step(G, "PenaltyAmended", at("2024-08-15"), decision_no="沪黄城管罚〔2024〕第123号",
                 previous_amount_fen=300_000, amount_fen=520_000)
    flag = World(insert_after(general_case(), "DecisionPublished", amend)).one("RF15.a")
    assert numbers(flag)["amount_fen"] == 520_000


def test_rf15_judges_an_amendment_under_the_decision_it_amends() -> None:
    """A decision withdrawn and made anew under another code (重新作出): the new one, PILEUP_SH
    (SH_SRHW 第25条, 500 to 5 000 CNY), amended to 3 000 CNY, was also judged under the withdrawn
    decision's STALL_SH (at most 500 CNY) and raised RF15.a. Each amendment is judged under the
    decision in force when it was made, as RF03 and RF10 read it; an amendment after a
    withdrawal changes nothing."""
    case = "SH-HP-2025-000032"
    steps = change(f.redecided_case(case), "PenaltyDecided", violation_code="STALL_SH",
                   amount_fen=40_000, benchmark_tier=DROP)
    steps = change(steps, "PenaltyDecided", nth=1, violation_code="PILEUP_SH",
                   benchmark_tier=DROP)
    amend = step(f"case:{case}", "PenaltyAmended", at("2025-04-22"),
                 decision_no="沪黄城管罚〔2025〕第58号", previous_amount_fen=150_000,
                 amount_fen=300_000)
    assert World(insert_after(steps, "DecisionServed", amend)).flags(rule="RF15") == []
    after_withdrawal = step(f"case:{case}", "PenaltyAmended", at("2025-04-10"),
                            decision_no="沪黄城管罚〔2025〕第31号", previous_amount_fen=40_000,
                            amount_fen=90_000)
    assert World(insert_after(steps, "PenaltyWithdrawn", after_withdrawal)
                 ).flags(rule="RF15") == []


# --- RF16 benchmark band --------------------------------------------------------------------------

BENCH = with_overrides(national(), "SH-HP", {"benchmarks": [
    f.body("DiscretionBenchmarkPublished")]})


def test_rf16_amount_outside_the_applied_tier_without_deviation() -> None:
    flag = World(summary(amount_fen=20_000), params=BENCH).one("RF16.b")
    assert (numbers(flag)["band_min_fen"], numbers(flag)["band_max_fen"]) == (5_000, 15_000)
    assert numbers(flag)["band_source"] == "published"
    assert flag.summary_zh.endswith("档 50.00 元至 150.00 元，且未经批准偏离裁量基准")


def test_rf16_deviation_approved_by_the_head_for_that_amount() -> None:
    approval = step(S, "DeviationApproved", at("2024-09-30", "10:04:00"), tier="minor",
                    proposed_amount_fen=20_000)
    steps = insert_after(summary(amount_fen=20_000), "RectificationOrdered", approval)
    assert World(steps, params=BENCH).flags(rule="RF16") == []
    deputy = change(steps, "DeviationApproved", approval_form="deputy_head")
    assert World(deputy, params=BENCH).one("RF16.b")


def test_rf16_a_deviation_approved_as_the_head_by_someone_who_holds_no_head_post() -> None:
    """GBF2022_27 wants the 主要负责人's approval (or collective discussion): a legal reviewer
    naming the form agency_head covered the amount, so a subordinate could approve leaving the
    band. The approver's post at the approval is read as RF11.d reads it (head_roles)."""
    approval = step(S, "DeviationApproved", at("2024-09-30", "10:04:00"), tier="minor",
                    proposed_amount_fen=20_000, approved_by=f.LEGAL)
    steps = insert_after(summary(amount_fen=20_000), "RectificationOrdered", approval)
    flag = World(steps, params=BENCH).one("RF16.b")
    [dv] = [e.event_id for e in World(steps, params=BENCH).events
            if e.type == "DeviationApproved"]
    assert numbers(flag)["not_head_approvals"] == [[dv, f.LEGAL, "legal_reviewer"]]
    collective = change(steps, "DeviationApproved", approval_form="collective_discussion")
    assert World(collective, params=BENCH).flags(rule="RF16") == []


def test_rf16_benchmark_not_applied_where_one_is_published() -> None:
    assert World(summary(benchmark_tier=DROP), params=BENCH).one("RF16.a")
    assert World(summary(benchmark_tier=DROP)).flags(rule="RF16") == []   # none published


def test_rf16_band_from_the_case_when_no_table_is_published() -> None:
    steps = change(general_case(), "PenaltyDecided", amount_fen=400_000)
    assert numbers(World(steps).one("RF16.b"))["band_source"] == "applied"


def test_rf16_reads_the_tier_applied_last_in_world_time() -> None:
    """The tier was re-applied on 1 July ('serious', 3 500 to 5 000 CNY) and that record
    synced before the May 'general' one: RF16 read the tier recorded last, 'general', and
    flagged the 4 000 CNY fine outside it. The tier applied latest before the decision counts,
    whatever the order of recording, as the decision itself is read."""
    serious = step(G, "BenchmarkApplied", at("2024-07-01"), tier="serious",
                   band={"min_fen": 350_000, "max_fen": 500_000})
    steps = insert_after(change(general_case(), "PenaltyDecided", amount_fen=400_000),
                         "ClueRegistered", serious)
    assert World(steps).flags(rule="RF16") == []
    in_order = insert_after(change(general_case(), "PenaltyDecided", amount_fen=200_000),
                            "InvestigationConcluded", serious)
    assert numbers(World(in_order).one("RF16.b"))["tier"] == "serious"


# --- RF20 changes ---------------------------------------------------------------------------------

AMEND = step(G, "PenaltyAmended", at("2024-08-15"), decision_no="沪黄城管罚〔2024〕第123号",
             previous_amount_fen=300_000, amount_fen=200_000)


def test_rf20_amendment_without_approval() -> None:
    unapproved = f.Step(AMEND.stream, AMEND.type, AMEND.occurred_at,
                        {k: v for k, v in AMEND.body.items()
                         if k not in ("approval_id", "approved_by", "approval_form")})
    flag = World(insert_after(general_case(), "DecisionPublished", unapproved)).one("RF20.a")
    assert numbers(flag)["problems"] == ["no_approval"]


def test_rf20_amendment_approved_by_the_head_by_collective_discussion() -> None:
    assert World(insert_after(general_case(), "DecisionPublished", AMEND)).flags(rule="RF20") == []


def test_rf20_a_change_approved_as_the_head_by_someone_who_holds_no_head_post() -> None:
    """An approval is the head's (负责人) only if the approver is one: a legal reviewer, or a
    person with no post on the ledger, naming the form agency_head or deputy_head passed, so a
    subordinate could approve a reduction the head never saw. The approver's post at the change
    is read as RF11.d and RF23.b read it (head_roles)."""
    def by(approver: str, form: str) -> list[f.Step]:
        amend = f.Step(AMEND.stream, AMEND.type, AMEND.occurred_at,
                       {**AMEND.body, "approved_by": approver, "approval_form": form})
        return insert_after(general_case(), "DecisionPublished", amend)
    flag = World(by(f.LEGAL, "agency_head")).one("RF20.a")
    assert numbers(flag)["problems"] == ["approver_not_head"]
    assert numbers(flag)["approver_role"] == "legal_reviewer" and flag.officer_id == f.LEGAL
    assert "批准人非行政机关负责人" in flag.summary_zh
    assert numbers(World(by(f.DEPUTY, "deputy_head")).one("RF20.a"))["approver_role"] \
        == "unknown"
    deputy = f.officer_setup(f.DEPUTY, "31010210003", superior=None, role="unit_head")
    assert World(deputy, by(f.DEPUTY, "deputy_head")).flags(rule="RF20") == []
    # collective discussion is the body's decision, whoever signs it
    assert World(by(f.LEGAL, "collective_discussion")).flags(rule="RF20") == []


def test_rf20_approver_is_the_original_decider() -> None:
    amend = f.Step(AMEND.stream, AMEND.type, AMEND.occurred_at,
                   {**AMEND.body, "approval_form": "agency_head"})
    flag = World(insert_after(general_case(), "DecisionPublished", amend)).one("RF20.a")
    assert numbers(flag)["problems"] == ["approver_is_decider"]


def test_rf20_reduced_after_payment_with_no_refund_path() -> None:
    steps = insert_after(general_case(), "PaymentRecorded", f.Step(
        AMEND.stream, AMEND.type, at("2024-08-21"), AMEND.body))
    flag = World(steps).one("RF20.b")
    assert (numbers(flag)["received_fen"], numbers(flag)["amount_fen"]) == (300_000, 200_000)
    assert flag.summary_zh == ("已收缴罚款 3000.00 元后“变更行政处罚决定”，"
                               "罚款数额变为 2000.00 元，未记录经国库退还")


def test_rf20d_amendment_or_withdrawal_of_a_case_with_no_decision() -> None:
    """A change recorded for a case that has no decision at all went to the case view's
    ``out_of_order`` and RF20 never looked at it."""
    withdrawal = step(G, "PenaltyWithdrawn", at("2024-08-16"),
                      decision_no="沪黄城管罚〔2024〕第9号")
    world = World([AMEND, withdrawal])
    amended, withdrawn = world.flags(rule="RF20")
    assert (amended.rule_id, amended.event_ids) == ("RF20.d", (world.events[-2].event_id,))
    assert numbers(amended) == {"change": "PenaltyAmended",
                                "decision_no": "沪黄城管罚〔2024〕第123号", "case_decisions": [],
                                "approved_by": f.HEAD, "why": "no_decision"}
    assert amended.case_id == GENERAL and amended.officer_id == f.HEAD
    assert (withdrawn.rule_id, numbers(withdrawn)["change"], numbers(withdrawn)["why"]) == (
        "RF20.d", "PenaltyWithdrawn", "no_decision")


def test_rf20d_change_naming_a_decision_the_case_does_not_have() -> None:
    other = f.Step(AMEND.stream, AMEND.type, AMEND.occurred_at,
                   {**AMEND.body, "decision_no": "沪黄城管罚〔2024〕第124号"})
    flag = World(insert_after(general_case(), "DecisionPublished", other)).one("RF20.d")
    assert (numbers(flag)["why"], numbers(flag)["case_decisions"]) == (
        "no_such_decision", ["沪黄城管罚〔2024〕第123号"])


def test_rf20d_not_raised_for_an_amendment_of_the_decision_in_force_even_recorded_first() -> None:
    assert World(insert_after(general_case(), "DecisionPublished", AMEND)).flags(rule="RF20") == []
    # uploaded before the decision it names, dated after it: a change of that decision
    steps = general_case()
    assert World(steps[:13], [AMEND], steps[13:]).flags(rule="RF20.d") == []


def test_a_change_naming_a_decision_the_case_does_not_have_changes_no_flag_of_its_decision(
) -> None:
    """RF20.d's change changes nothing, as the case view reads it: until 2026-11-29 the rules
    applied it to the decision in force at its time whatever number it named, so an amendment of
    第124号 reduced 第123号's fine (RF06.b "300000 fen received where 200000 fen was due",
    RF06.a, RF12.f's publication withdrawal owed) and a withdrawal of it hid 第123号's unpaid
    fine from RF06."""
    other = {"decision_no": "沪黄城管罚〔2024〕第124号"}
    amend = f.Step(AMEND.stream, AMEND.type, AMEND.occurred_at, {**AMEND.body, **other})
    world = World(insert_after(general_case(), "DecisionPublished", amend))
    assert [x.rule_id for x in world.flags() if x.family in ("RF06", "RF12", "RF20")] == [
        "RF20.d"]
    unpaid = drop(general_case(), "PaymentRecorded", "TreasuryReconciled", "CaseClosed",
                  "CaseArchived")
    withdrawal = step(G, "PenaltyWithdrawn", at("2024-08-15"), **other)
    world = World(insert_after(unpaid, "DecisionPublished", withdrawal))
    assert {x.rule_id for x in world.flags() if x.family in ("RF06", "RF20")} == {
        "RF06.e", "RF20.d"}


def test_rf20_a_payment_on_a_withdrawn_decision_is_not_received_for_the_one_made_anew() -> None:
    """2,000 CNY paid on a decision withdrawn with a refund, made anew for 1,500 CNY and reduced
    to 1,000 CNY before anything was paid on it: the old payment counted as received for the
    new decision, so RF20.b called the reduction one after payment with no refund path."""
    case_id, first, anew = "SH-HP-2025-000032", "沪黄城管罚〔2025〕第31号", "沪黄城管罚〔2025〕第58号"
    paid = step(f"case:{case_id}", "PaymentRecorded", at("2025-04-01"), decision_no=first,
                amount_fen=200_000)
    reduced = step(f"case:{case_id}", "PenaltyAmended", at("2025-04-22"), decision_no=anew,
                   previous_amount_fen=150_000, amount_fen=100_000)
    steps = [s for s in f.redecided_case(case_id) if s.type not in ("PaymentRecorded",
                                                                     "TreasuryReconciled",
                                                                     "CaseClosed")]
    steps = change(insert_after(steps, "DecisionServed", paid), "PenaltyWithdrawn",
                   refund_required=True)
    assert World(steps + [reduced]).flags(rule="RF20") == []


# --- RF25.c disposal ------------------------------------------------------------------------------

def _seized(*after: f.Step) -> list[f.Step]:
    seize = step(S, "PropertySeized", at("2024-09-30", "10:04:00"))
    inventory = step(S, "PropertyInventorySigned", at("2024-09-30", "10:30:00"))
    return insert_after(f.summary_case(SUMMARY), "EvidenceRecorded", seize, inventory, *after)


def test_rf25_disposal_without_a_handling_record_or_to_a_relative_of_an_officer() -> None:
    returned = step(S, "PropertyReturned", at("2024-10-08"), item_ids=["1"])
    disposed = step(S, "PropertyDisposed", at("2024-10-08"), item_ids=["2"],
                    record_sha256=DROP)
    assert numbers(World(_seized(returned, disposed)).one("RF25.c"))["problems"] == [
        "no_handling_record"]
    relation = step(f"officer:{f.OFFICER_B}", "RelationshipDeclared", at("2024-01-10"),
                    party_ref="pty:RelativeOfB001")
    to_relative = step(S, "PropertyDisposed", at("2024-10-08"), item_ids=["2"],
                       method="donated", recipient_ref="pty:RelativeOfB001")
    flag = World([relation], _seized(returned, to_relative)).one("RF25.c")
    assert numbers(flag)["problems"] == ["recipient_linked_to_officer"]
    assert flag.officer_id == f.OFFICER_B


def test_rf25_seized_goods_returned_to_a_relative_of_an_officer_who_is_not_a_party() -> None:
    """The cheapest way round RF25.c: hand the goods to an officer's relative and record it as
    a return rather than a disposal. PropertyReturned was only counted as handled (RF25.b), so
    goods 'returned' to someone who is not a party of the case but is related to an officer of
    it raised nothing."""
    relation = step(f"officer:{f.OFFICER_B}", "RelationshipDeclared", at("2024-01-10"),
                    party_ref="pty:RelativeOfB001")
    to_relative = step(S, "PropertyReturned", at("2024-10-08"), item_ids=["1", "2"],
                       returned_to="pty:RelativeOfB001")
    world = World([relation], _seized(to_relative))
    [returned] = [e.event_id for e in world.events if e.type == "PropertyReturned"]
    flag = world.one("RF25.c")
    assert flag.event_ids == (returned,) and flag.officer_id == f.OFFICER_B
    assert (numbers(flag)["method"], numbers(flag)["recipient_ref"], numbers(flag)["problems"],
            numbers(flag)["items"]) == ("returned", "pty:RelativeOfB001",
                                        ["recipient_linked_to_officer"], 2)
    assert flag.summary_zh.startswith("暂扣、查封、扣押的财物") and "返还" in flag.summary_zh
    # returned to the party it was taken from: nothing, whoever else is related to whom
    to_party = step(S, "PropertyReturned", at("2024-10-08"), item_ids=["1", "2"])
    assert World([relation], _seized(to_party)).flags(rule="RF25") == []
    # to a third person no officer is linked to: not this rule's question
    to_owner = step(S, "PropertyReturned", at("2024-10-08"), item_ids=["1", "2"],
                    returned_to="pty:OwnerOfCart01")
    assert World([relation], _seized(to_owner)).flags(rule="RF25") == []


def test_rf25_documented_disposal_raises_nothing() -> None:
    returned = step(S, "PropertyReturned", at("2024-10-08"), item_ids=["1"])
    disposed = step(S, "PropertyDisposed", at("2024-10-08"), item_ids=["2"])
    assert World(_seized(returned, disposed)).flags(rule="RF25") == []


def test_rf08_credential_shown_on_a_bodycam_clip_syncs_with_the_clip() -> None:
    steps = until(f.summary_case(SUMMARY), "CaseFiled")
    rest = f.summary_case(SUMMARY)[len(steps):]
    shown = next(s for s in rest if s.type == "CredentialShown")
    shown = f.Step(shown.stream, shown.type, shown.occurred_at,
                   {**shown.body, "evidence_id": f"EV-{SUMMARY}-1"})
    world = World([f.device_key()], steps + [s for s in rest if s.type not in (
        "CredentialShown", "EvidenceRecorded")])
    clip = next(s for s in rest if s.type == "EvidenceRecorded")
    world.record(clip, recorded_at="2024-09-30T08:00:00.000000Z")        # synced 6 h later
    world.record(shown, recorded_at="2024-09-30T08:00:00.000000Z")
    assert world.flags(rule="RF08") == []
    unfilmed = f.Step(shown.stream, shown.type, shown.occurred_at,
                      {k: v for k, v in shown.body.items() if k != "evidence_id"})
    world = World([f.device_key()], steps + [s for s in rest if s.type not in (
        "CredentialShown", "EvidenceRecorded")])
    world.record(clip, recorded_at="2024-09-30T08:00:00.000000Z")
    world.record(unfilmed, recorded_at="2024-09-30T08:00:00.000000Z")
    assert numbers(world.one("RF08.b"))["event_type"] == "CredentialShown"


def test_rf08_treasury_batches_are_not_late_recording() -> None:
    world = World(drop(f.summary_case(SUMMARY), "TreasuryReconciled", "CaseClosed"))
    reconcile = next(s for s in f.summary_case(SUMMARY) if s.type == "TreasuryReconciled")
    world.record(reconcile, recorded_at="2024-10-25T02:00:00.000000Z")     # 10 days later
    assert world.flags(rule="RF08") == []
