"""A deadline opened by an act dated after the ledger recorded it (beyond RF08.e's tolerance)
counts from the recording, so forward-dating cannot postpone it; within the tolerance it counts
from the act's own time. The case view's deadlines and the flags count the same day
(docs/red-flags.md, RF08: "Decision — acts dated after they were recorded")."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from projections import readmodels
from projections.redflags import compute_flags
from projections.redflags.params import ParamsTimeline, is_configuration, national

from . import domain_factory as f
from .domain_factory import at
from .test_case_model import Folder
from .test_redflags_world import World, _incremental, general_case, numbers, until, when

FAR = at("2099-01-01")
COMPLAINT = "C-2025-0042"


def _dated(steps: list[f.Step], type_name: str, claimed: str, *,
           recorded_at: str | None = None) -> World:
    """``steps`` recorded as usual, except the first ``type_name``: recorded when it happened
    (or at ``recorded_at``) but claiming ``claimed``."""
    i = next(n for n, s in enumerate(steps) if s.type == type_name)
    world = World(steps[:i])
    real = world.history.record(steps[i])
    world.history.events[-1] = replace(real, occurred_at=claimed,
                                       recorded_at=recorded_at or real.recorded_at)
    world.add(*steps[i + 1:])
    return world


def _view(world: World) -> Folder:
    return Folder().fold(world.events)


def _case(world: World, case_id: str) -> dict[str, Any]:
    return _view(world).cases[case_id]


def test_a_service_dated_in_2099_still_opens_the_payment_deadline_on_its_recording() -> None:
    """RF06.e: the fine unpaid, nothing followed; the service claims 2099 but was recorded on
    12 August 2024, so the 15 days run from then (27 August) and follow-up is due 90 days on."""
    world = _dated(until(general_case(), "DecisionPublished"), "DecisionServed", FAR)
    served = next(e for e in world.events if e.type == "DecisionServed")
    flag = world.one("RF06.e")
    assert flag.status == "raised"
    assert numbers(flag)["payment_due"] == "2024-08-27"
    assert numbers(flag)["follow_up_by"] == "2024-11-25"
    assert numbers(flag)["dated_after_recording"] == [
        served.event_id, "2099-01-01T10:00:00+08:00", "2024-08-12T10:02:00+08:00"]
    assert "counted from its recording" in flag.summary
    assert world.one("RF08.e").status == "raised"      # and the act is still flagged itself
    payment = _case(world, "SH-HP-2024-000123")["deadlines"]["payment"]
    assert payment["due"] == "2024-08-27"
    assert payment["dated_after_recording"] == [served.event_id, FAR, served.recorded_at]


def test_a_filing_dated_in_the_future_still_opens_the_decision_deadline_on_its_recording() -> None:
    """RF12.a: filed "in 2099", recorded 23 April 2024, never decided: 90 + 30 days from the
    recording (21 August 2024), as the case view counts it."""
    steps = until(general_case(), "CollectiveDiscussionHeld")
    world = _dated(steps, "CaseFiled", FAR)
    flag = world.one("RF12.a")
    assert flag.status == "raised" and flag.raised_at == "2024-08-22T00:00:00+08:00"
    assert numbers(flag)["due"] == "2024-08-21" and numbers(flag)["filed_on"] == "2024-04-23"
    assert numbers(flag)["dated_after_recording"][1] == "2099-01-01T10:00:00+08:00"
    case = _case(world, "SH-HP-2024-000123")
    assert case["deadlines"]["decision"]["due"] == "2024-08-21"


def test_a_complaint_received_in_the_future_still_opens_its_answer_deadlines() -> None:
    """RF23.a/b: received "in 2099", recorded 20 January 2025, never answered: 15 days to
    acknowledge (4 February, in the Spring Festival holiday: 5 February) and 60 to close
    (21 March) from the recording, as the complaint view counts them."""
    received = until(f.complaint_cycle(COMPLAINT), "ComplaintReceived")
    world = _dated(received, "ComplaintReceived", FAR)
    ack, close = world.one("RF23.a"), world.one("RF23.b")
    assert (ack.status, numbers(ack)["due"]) == ("raised", "2025-02-05")
    assert (close.status, numbers(close)["due"]) == ("raised", "2025-03-21")
    assert numbers(ack)["received_on"] == "2025-01-20"
    assert numbers(close)["dated_after_recording"][2] == "2025-01-20T10:02:00+08:00"
    view = _view(world).complaints[COMPLAINT]
    assert view["deadlines"]["acknowledge"]["due"] == "2025-02-05"
    assert view["deadlines"]["close"]["due"] == "2025-03-21"


def test_an_acceptance_dated_in_the_future_does_not_restart_the_closing_period_then() -> None:
    """RF23.b counts 60 days from acceptance: one claiming 2099, recorded 5 February 2025,
    counts from then (6 April, a Sunday: 7 April), not from 2099."""
    steps = until(f.complaint_cycle(COMPLAINT), "ComplaintAcknowledged")
    world = _dated(steps, "ComplaintAcknowledged", FAR)
    close = world.one("RF23.b")
    view = _view(world).complaints[COMPLAINT]
    assert close.status == "raised"
    assert numbers(close)["due"] == view["deadlines"]["close"]["due"] == "2025-04-07"
    assert numbers(close)["accepted_on"] == "2025-02-05"


def test_cash_collected_in_the_future_is_still_due_at_the_agency_two_working_days_on() -> None:
    """RF05.b: cash "collected in 2099", recorded on 30 September 2024, never handed in: due
    the second working day after the National Day holiday, 9 October, as the case view's
    cash_to_agency deadline."""
    steps = until(f.summary_case(), "OnsiteCashCollected")
    world = _dated(steps, "OnsiteCashCollected", FAR)
    flag = world.one("RF05.b")
    assert (flag.status, numbers(flag)["due"]) == ("raised", "2024-10-09")
    assert _case(world, "SH-HP-2024-S-004512")["deadlines"]["cash_to_agency"]["due"] \
        == "2024-10-09"


def test_a_seizure_dated_in_the_future_still_owes_its_inventory_and_handling() -> None:
    """RF25.a/b: a seizure "in 2099" recorded on 30 September 2024, nothing else: the inventory
    is owed 24 h after the recording and the handling 7 working days after it."""
    s = "case:SH-HP-2024-S-004512"
    seized = f.step(s, "PropertySeized", at("2024-09-30", "10:04:00"))
    steps = until(f.summary_case(), "RectificationOrdered") + [seized]
    world = _dated(steps, "PropertySeized", FAR)
    inventory, handling = world.one("RF25.a"), world.one("RF25.b")
    assert inventory.raised_at == "2024-10-01T10:06:01+08:00"
    assert (handling.status, numbers(handling)["due"]) == ("raised", "2024-10-15")


def test_an_act_dated_within_the_tolerance_counts_from_its_own_time() -> None:
    """The near miss: a service recorded at 23:55 claiming 00:05 the next day (10 min ahead,
    the tolerance) counts from the next day; one claiming 00:06 counts from its recording."""
    recorded = "2024-08-12T15:55:00.000000Z"                  # 23:55 CST
    for claimed, due in ((at("2024-08-13", "00:05:00"), "2024-08-28"),
                         (at("2024-08-13", "00:06:00"), "2024-08-27")):
        world = _dated(until(general_case(), "DecisionPublished"), "DecisionServed", claimed,
                       recorded_at=recorded)
        flag = world.one("RF06.e")
        assert numbers(flag)["payment_due"] == due, claimed
        assert _case(world, "SH-HP-2024-000123")["deadlines"]["payment"]["due"] == due
        assert ("dated_after_recording" in numbers(flag)) is (due == "2024-08-27")


def test_a_back_dated_act_still_counts_from_its_claimed_time() -> None:
    """Back-dating is for RF08.a/b: a service claiming 12 August, recorded a week later, still
    opens the payment period on 12 August, and the flag shows no second time."""
    world = _dated(until(general_case(), "DecisionPublished"), "DecisionServed",
                   at("2024-08-12"), recorded_at="2024-08-19T02:00:00.000000Z")
    flag = world.one("RF06.e")
    assert numbers(flag)["payment_due"] == "2024-08-27"
    assert "dated_after_recording" not in numbers(flag)
    assert world.flags(at=when("2025-01-01"), rule="RF08.e") == []


def test_a_decision_dated_in_the_future_still_owes_its_service_and_publication() -> None:
    """RF12.c/e: a decision "of 2099" recorded on 8 August 2024, never served or published: 7
    working days from the recording (19 August) for both, as the case view counts them."""
    world = _dated(until(general_case(), "PenaltyDecided"), "PenaltyDecided", FAR)
    service, publication = world.one("RF12.c"), world.one("RF12.e")
    assert (service.status, numbers(service)["due"]) == ("raised", "2024-08-19")
    assert (publication.status, numbers(publication)["due"]) == ("raised", "2024-08-19")
    deadlines = _case(world, "SH-HP-2024-000123")["deadlines"]
    assert deadlines["service"]["due"] == deadlines["publication"]["due"] == "2024-08-19"
    assert deadlines["service"]["dated_after_recording"][1:] == [
        FAR, next(e for e in world.events if e.type == "PenaltyDecided").recorded_at]


def _decision_family(world: World) -> list[str]:
    return sorted(fl.rule_id for fl in world.flags() if fl.family in ("RF08", "RF12"))


def test_a_decision_dated_in_the_future_and_served_in_time_raises_rf08e_alone() -> None:
    """RF12.c/e beside RF08.e: a decision "of 2099" recorded on 8 August 2024, served on the
    12th and published on the 14th, raised RF12.c and RF12.e ("not served by 19 August")
    because the service and the publication, dated before the decision's claim, were nobody's,
    and RF12.a cleared in 2099 (the decision counted at its claim, 27 000 days late). The
    decision happened by its recording at the latest, as its deadlines already count: what
    follows it from then is its own, and it met the 90 + 30 days then. One flag names the
    real problem, the false date (RF08.e); the case view agrees."""
    world = _dated(until(general_case(), "DecisionPublished"), "PenaltyDecided", FAR)
    assert _decision_family(world) == ["RF08.e"]
    deadlines = _case(world, "SH-HP-2024-000123")["deadlines"]
    assert [(deadlines[k]["met_on"], deadlines[k]["late"])
            for k in ("decision", "service", "publication")] == [
        ("2024-08-08", False), ("2024-08-12", False), ("2024-08-14", False)]


def test_a_service_dated_in_the_future_meets_the_deadline_at_its_recording() -> None:
    """The decision and its service both "of 2099" (one device's clock), the service recorded
    on 12 August 2024: RF12.c was cleared in 2099, 27 000 days late. The service happened by
    its recording, within 7 working days of the decision's: each act's RF08.e says what is
    wrong, and nothing else is raised; the view's service is met on the 12th, in time."""
    steps = until(general_case(), "DecisionPublished")
    i = next(n for n, s in enumerate(steps) if s.type == "PenaltyDecided")
    world = World(steps[:i])
    for s in steps[i:]:
        real = world.history.record(s)
        if s.type in ("PenaltyDecided", "DecisionServed"):
            world.history.events[-1] = replace(real, occurred_at=FAR)
    assert _decision_family(world) == ["RF08.e", "RF08.e"]
    service = _case(world, "SH-HP-2024-000123")["deadlines"]["service"]
    assert (service["met_on"], service["late"]) == ("2024-08-12", False)


def test_a_feedback_dated_in_the_future_is_still_owed_its_review() -> None:
    """RF27.c: a feedback "of 2099" recorded on 10 February 2025 and never reviewed: 10 working
    days from the recording (24 February)."""
    s = "supervision:SN-2025-07"
    notice = [f.step(s, "SupervisionNoticeIssued", at("2025-01-20"), respond_by="2025-02-14"),
              f.step(s, "SupervisionFeedbackSubmitted", at("2025-02-10"))]
    world = _dated(notice, "SupervisionFeedbackSubmitted", FAR)
    flag = world.one("RF27.c")
    assert (flag.status, numbers(flag)["due"]) == ("raised", "2025-02-24")
    assert numbers(flag)["submitted_on"] == "2025-02-10"


def test_the_views_and_the_flags_take_the_tolerance_in_force_when_the_act_was_recorded() -> None:
    """A city widens the tolerance to 30 min from 13 August. A service recorded at 23:55 on
    12 August claims 00:20 on the 13th: 25 min ahead, beyond the 10 in force when it was
    recorded (RF08.e's test), so both the flags and the read models' fold count the payment
    period from the 12th (27 August), not from the claimed day's version (28 August)."""
    wider = f.step("config:legal-parameters", "LegalParametersPublished", at("2024-08-01"),
                   effective_from="2024-08-13",
                   parameters=[{"name": "future_tolerance_minutes", "value": 30,
                                "unit": "minutes", "basis": "local rule"}])
    steps = [wider] + until(general_case(), "DecisionPublished")
    world = _dated(steps, "DecisionServed", at("2024-08-13", "00:20:00"),
                   recorded_at="2024-08-12T15:55:00.000000Z")
    assert numbers(world.one("RF06.e"))["payment_due"] == "2024-08-27"
    assert numbers(world.one("RF08.e"))["tolerance_minutes"] == 10
    timeline = ParamsTimeline(national())
    for rec in world.events:
        if is_configuration(rec):
            timeline.publish_recorded(rec)
    fold = readmodels.Fold(lambda table, ids: {}, timeline)
    for rec in world.events:
        if not is_configuration(rec):
            fold.apply(rec)
    payment = fold.cases["SH-HP-2024-000123"]["deadlines"]["payment"]
    assert payment["due"] == "2024-08-27"


def test_the_service_engine_counts_them_as_the_offline_verb_does() -> None:
    """The service evaluates incrementally (``FlagEngine.apply``/``evaluate``, as
    ``FlagsView``); ``ledger flags FILE`` computes at once (``compute_flags``): the same flags
    for a history with acts of every kind dated ahead."""
    world = _dated(until(general_case(), "DecisionPublished"), "DecisionServed", FAR)
    for steps in (until(f.complaint_cycle(COMPLAINT), "ComplaintReceived"),
                  until(f.summary_case(), "OnsiteCashCollected")):
        world.add(*steps[:-1])
        real = world.history.record(steps[-1])          # the last step, dated ahead
        world.history.events[-1] = replace(real, occurred_at=FAR)
    evaluation = when("2025-12-31")
    expected = compute_flags(world.events, national(), at=evaluation)
    assert {"RF06.e", "RF23.a", "RF23.b", "RF05.b"} <= {fl.rule_id for fl in expected}
    assert [fl.to_value() for fl in _incremental(world.events, evaluation)] \
        == [fl.to_value() for fl in expected]


def test_a_decision_dated_in_the_future_is_judged_for_prior_evidence_a_day_after_its_recording(
        ) -> None:
    """RF07.a waits 24 h after a decision for device footage to sync before judging it; a
    decision "of 2099" with no evidence, recorded on 8 August 2024, was judged only in 2099.
    The wait now runs from the recording, and the flag is raised then."""
    steps = [s for s in until(general_case(), "PenaltyDecided") if s.type != "EvidenceRecorded"]
    world = _dated(steps, "PenaltyDecided", FAR)
    decided = next(e for e in world.events if e.type == "PenaltyDecided")
    flag = world.one("RF07.a")
    assert flag.raised_at == "2024-08-08T10:02:00+08:00"          # its recording
    assert list(flag.event_ids) == [decided.event_id]
    assert world.flags(at=when("2024-08-09T10:02"), rule="RF07.a") == []     # still waiting


def test_a_summary_decision_dated_in_the_future_is_judged_for_video_after_the_sync_window(
        ) -> None:
    """RF08.c waits 72 h after an on-the-spot act for body-camera footage to sync; a summary
    decision "of 2099" with no video, recorded on 30 September 2024, was judged only in 2099."""
    steps = [s for s in until(f.summary_case(), "PenaltyDecided")
             if s.type != "EvidenceRecorded"]
    world = _dated(steps, "PenaltyDecided", FAR)
    flag = world.one("RF08.c")
    assert flag.raised_at == "2024-09-30T10:07:00+08:00"
    assert world.flags(at=when("2024-10-03T10:07"), rule="RF08.c") == []
