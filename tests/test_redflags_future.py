"""RF08.e: an act dated after the ledger recorded it. Nothing can have happened after the ledger
received its signed record, so it is flagged the moment it is recorded, explaining itself; a
device clock a few seconds ahead is not. RF08.f does the same for complaint and supervision
records. The deadlines such an act opens count from its recording
(tests/test_future_dated_deadlines.py)."""

from __future__ import annotations

from dataclasses import replace

from projections.redflags import national, with_overrides

from .domain_factory import UNIT, at, complaint_cycle, step
from .test_redflags_world import World, general_case, numbers, until, when

SERVED_RECORDED = "2024-08-12T02:02:00.000000Z"       # 10:02 CST, the day it was served


def _served_at(claimed: str) -> World:
    """The general case up to publication, its service claiming ``claimed`` but recorded on
    the day it was really served."""
    steps = until(general_case(), "DecisionPublished")
    i = next(n for n, s in enumerate(steps) if s.type == "DecisionServed")
    world = World(steps[:i])
    world.record(replace(steps[i], occurred_at=claimed), recorded_at=SERVED_RECORDED)
    world.add(*steps[i + 1:])
    return world


def test_rf08_e_fires_for_an_act_claiming_a_time_after_its_recording() -> None:
    world = _served_at(at("2099-01-01"))
    flag = world.one("RF08.e")
    served = next(e for e in world.events if e.type == "DecisionServed")
    assert list(flag.event_ids) == [served.event_id]
    assert flag.raised_at == "2024-08-12T10:02:00+08:00"      # when it was recorded
    assert numbers(flag)["claimed_at"] == "2099-01-01T10:00:00+08:00"
    assert numbers(flag)["recorded_at"] == "2024-08-12T10:02:00+08:00"
    assert numbers(flag)["ahead_minutes"] == (
        when("2099-01-01T10:00") - when("2024-08-12T10:02")).total_seconds() // 60
    assert numbers(flag)["tolerance_minutes"] == 10
    assert flag.params_version == national().version


def test_rf08_e_and_the_deadline_the_future_dated_service_opened_both_speak() -> None:
    """The fine was never paid and nothing followed. Until 2026-11-27 the payment period
    counted from the service's claim (2099) had not even begun, so RF08.e alone spoke; the
    period now counts from the service's recording (tests/test_future_dated_deadlines.py), so
    RF06.e is raised beside it."""
    world = _served_at(at("2099-01-01"))
    assert numbers(world.one("RF06.e"))["payment_due"] == "2024-08-27"
    assert world.one("RF08.e").status == "raised"


def test_rf08_e_does_not_fire_for_a_clock_a_few_seconds_ahead() -> None:
    world = _served_at(at("2024-08-12", "10:02:40"))           # 40 s after its recording
    assert world.flags(rule="RF08.e") == []
    world = _served_at(at("2024-08-12", "10:12:00"))           # exactly the tolerance
    assert world.flags(rule="RF08.e") == []


def test_rf08_e_tolerance_is_a_versioned_city_parameter() -> None:
    city = with_overrides(national(), "city", {"future_tolerance_minutes": 1})
    assert city.version != national().version
    world = _served_at(at("2024-08-12", "10:05:00"))            # 3 min ahead
    assert world.flags(rule="RF08.e") == []
    world.params = city
    flag = world.one("RF08.e")
    assert numbers(flag)["tolerance_minutes"] == 1 and flag.params_version == city.version


# --- RF08.f: complaint and supervision records --------------------------------------------------

COMPLAINT = "C-2025-0042"
NOTICE = "SN-2025-07"
RECEIVED_RECORDED = "2025-01-20T02:02:00.000000Z"     # 10:02 CST, the day it was received


def _complaint_received_at(claimed: str) -> World:
    """The smallest complaint history: its receipt, claiming ``claimed`` but recorded on the
    day it was received."""
    received = until(complaint_cycle(COMPLAINT), "ComplaintReceived")[0]
    world = World()
    world.record(replace(received, occurred_at=claimed), recorded_at=RECEIVED_RECORDED)
    return world


def _notice_issued_at(claimed: str) -> World:
    """The smallest supervision history: a notice, claiming ``claimed`` but recorded on the day
    it was issued."""
    world = World()
    world.record(step(f"supervision:{NOTICE}", "SupervisionNoticeIssued", claimed,
                      respond_by="2025-02-14"), recorded_at=RECEIVED_RECORDED)
    return world


def test_rf08_f_fires_for_a_complaint_received_in_the_future() -> None:
    """Received 'in 2099': RF08.f speaks about the complaint, its unit and its case, as RF23
    does (whose deadlines, never met here, count from the recording: RF23.a and .b are raised
    beside it; until 2026-11-27 they were silent)."""
    world = _complaint_received_at(at("2099-01-01"))
    assert {fl.rule_id for fl in world.flags(rule="RF23")} == {"RF23.a", "RF23.b"}
    assert world.flags(rule="RF08.e") == []
    flag = world.one("RF08.f")
    received = world.events[-1]
    assert flag.status == "raised" and list(flag.event_ids) == [received.event_id]
    assert flag.scope == f"complaint:{COMPLAINT}"
    assert flag.unit_id == received.body["unit_id"] and flag.case_id == received.body["case_id"]
    assert flag.raised_at == "2025-01-20T10:02:00+08:00"
    assert numbers(flag) == {
        "event_type": "ComplaintReceived", "claimed_at": "2099-01-01T10:00:00+08:00",
        "recorded_at": "2025-01-20T10:02:00+08:00", "tolerance_minutes": 10,
        "ahead_minutes": (when("2099-01-01T10:00") - when("2025-01-20T10:02")
                          ).total_seconds() // 60}
    assert "ComplaintReceived claims 2099-01-01T10:00:00+08:00" in flag.summary


def test_rf08_f_fires_for_a_supervision_notice_issued_in_the_future() -> None:
    world = _notice_issued_at(at("2099-01-01"))
    flag = world.one("RF08.f")
    assert flag.scope == f"supervision:{NOTICE}" and flag.unit_id == UNIT
    assert list(flag.event_ids) == [world.events[-1].event_id]
    assert numbers(flag)["event_type"] == "SupervisionNoticeIssued"
    assert numbers(flag)["claimed_at"] == "2099-01-01T10:00:00+08:00"
    assert numbers(flag)["recorded_at"] == "2025-01-20T10:02:00+08:00"


def test_rf08_f_judges_every_record_of_a_complaint_or_a_notice() -> None:
    """A future-dated acceptance, extension, closing, feedback or review moves a deadline too
    (RF23.b counts from acceptance; RF27.b from a send-back, RF27.c from a feedback)."""
    s = f"supervision:{NOTICE}"
    notice = [step(s, "SupervisionNoticeIssued", at("2025-01-20"), respond_by="2025-02-14"),
              step(s, "SupervisionFeedbackSubmitted", at("2025-02-10")),
              step(s, "SupervisionFeedbackAccepted", at("2025-02-12"),
                   result="rejected_resubmit")]
    for steps in (complaint_cycle(COMPLAINT), notice):
        for i in range(1, len(steps)):
            world = World(steps[:i])
            real = world.history.record(steps[i])            # recorded on its own day
            world.history.events[-1] = replace(real, occurred_at=at("2099-01-01"))
            world.add(*steps[i + 1:])
            flag = world.one("RF08.f")
            assert numbers(flag)["event_type"] == steps[i].type
            assert list(flag.event_ids) == [real.event_id]
            assert numbers(flag)["recorded_at"] == at(steps[i].occurred_at[:10], "10:02:00")


def test_rf08_f_does_not_fire_within_the_tolerance() -> None:
    for world in (_complaint_received_at(at("2025-01-20", "10:12:00")),      # exactly 10 min
                  _notice_issued_at(at("2025-01-20", "10:12:00")),
                  _complaint_received_at(at("2025-01-20", "10:02:40"))):     # 40 s ahead
        assert world.flags(rule="RF08") == []
    assert World(complaint_cycle(COMPLAINT)).flags(rule="RF08") == []
