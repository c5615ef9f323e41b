"""A declared historical import (``historical_import_until``, docs/red-flags.md "Parameters"):
records of the past imported at go-live are not late recordings (RF08.a), but the declaration
covers only events recorded after it, while the import runs (``import_recording_days``), that
occurred before its instant, and that instant may not be later than the declaration's own
recording — so it can neither wash out flags already raised, nor excuse the late recording of
events that had not happened yet, nor of old events first posted long after go-live."""

from __future__ import annotations

from datetime import datetime, timezone

from projections.redflags import FlagEngine, national, with_overrides

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_world import SUMMARY, World, _incremental, numbers, until

DECISION = next(s for s in f.summary_case(SUMMARY) if s.type == "PenaltyDecided")
#: the decision occurred at 2024-09-30T10:05+08:00; the import is posted on 2024-11-01
GO_LIVE = "2024-11-01T02:00:00.000000Z"
LATER = "2024-11-01T03:00:00.000000Z"


def minutes(instant: str) -> int:
    """Whole minutes since the epoch, the published form of the import instant."""
    return int(datetime.fromisoformat(instant).timestamp()) // 60


def import_declared(until_instant: str, *, unit: str = "minutes") -> f.Step:
    return step("config:historical-import", "LegalParametersPublished", at("2024-11-01"),
                parameters_version="SH-import-1", effective_from="2024-11-01", parameters=[
                    {"name": "historical_import_until", "value": minutes(until_instant),
                     "unit": unit, "basis": "records before go-live imported from the old "
                                            "case system"}])


def world_with(declaration: f.Step | None, *, declared_at: str = GO_LIVE,
               decision_at: str = LATER) -> World:
    """Staff and a summary case up to the decision (prompt), then the declaration (if any)
    and the decision itself, both recorded at the go-live import (or the decision later)."""
    world = World(until(f.summary_case(SUMMARY), "RectificationOrdered"))
    if declaration is not None:
        world.record(declaration, recorded_at=declared_at)
    world.record(DECISION, recorded_at=decision_at)
    return world


def test_a_decision_recorded_a_month_late_without_a_declared_import_is_late_recording() -> None:
    flag = world_with(None).one("RF08.a")
    assert numbers(flag)["event_type"] == "PenaltyDecided"
    assert numbers(flag)["limit_hours"] == 24


def test_an_event_that_occurred_before_the_import_instant_is_not_late_recording() -> None:
    world = world_with(import_declared("2024-10-31T00:00:00+08:00"))
    assert world.flags(rule="RF08.a") == []


def test_an_event_that_occurred_after_the_import_instant_is_still_judged() -> None:
    # the import covers history up to 30 Sep 10:00; the decision (10:05) is not part of it
    world = world_with(import_declared("2024-09-30T10:00:00+08:00"))
    assert world.one("RF08.a").event_ids[0] == world.events[-1].event_id


def test_an_import_instant_later_than_its_own_recording_is_ignored() -> None:
    # declared on 1 Nov (recorded 02:00 UTC) for an import "until 1 Dec": it would excuse the
    # late recording of events that had not happened yet, so it grants nothing at all
    world = world_with(import_declared("2024-12-01T00:00:00+08:00"))
    assert world.one("RF08.a")
    engine = FlagEngine(national())
    engine.apply_all(world.events)
    assert engine.timeline.latest().imports == ()


def test_an_import_instant_equal_to_its_recording_is_accepted() -> None:
    world = world_with(import_declared("2024-11-01T10:00:00+08:00"))   # = 02:00 UTC
    assert world.flags(rule="RF08.a") == []


def test_a_declared_import_does_not_clear_late_recordings_already_on_the_ledger() -> None:
    world = World(until(f.summary_case(SUMMARY), "RectificationOrdered"))
    world.record(DECISION, recorded_at="2024-10-20T00:00:00.000000Z")    # recorded 20 days late
    world.record(import_declared("2024-10-31T00:00:00+08:00"), recorded_at=GO_LIVE)
    assert list(world.one("RF08.a").event_ids) == [world.events[-2].event_id]


def test_an_import_instant_in_another_unit_than_minutes_is_ignored() -> None:
    world = world_with(import_declared("2024-10-31T00:00:00+08:00", unit="count"))
    assert world.one("RF08.a")


def test_a_declared_import_is_part_of_the_parameter_version() -> None:
    declared = world_with(import_declared("2024-10-31T00:00:00+08:00"))
    engine = FlagEngine(national())
    engine.apply_all(declared.events)
    params = engine.timeline.latest()
    assert [w.event_id for w in params.imports] == [declared.events[-2].event_id]
    assert params.content()["imports"] == [[declared.events[-2].index,
                                            minutes("2024-10-31T00:00:00+08:00") * 60,
                                            declared.events[-2].event_id,
                                            minutes(GO_LIVE.replace("Z", "+00:00")) * 60
                                            + 7 * 86_400]]
    assert "imports" not in national().content()


def test_a_declared_import_gives_the_same_flags_incrementally_and_in_a_rebuild() -> None:
    world = world_with(import_declared("2024-09-30T10:03:00+08:00"))
    for s in f.summary_case(SUMMARY):      # the rest of the case, recorded with the import
        if s.type not in {x.type for x in until(f.summary_case(SUMMARY),
                                                "RectificationOrdered")} | {"PenaltyDecided"}:
            world.record(s, recorded_at=LATER)
    evaluation = datetime(2025, 1, 1, tzinfo=timezone.utc)
    rebuilt = world.flags(evaluation)
    assert [fl.rule_id for fl in rebuilt if fl.family == "RF08"]     # some are still judged
    assert [fl.to_value() for fl in _incremental(world.events, evaluation)] == \
        [fl.to_value() for fl in rebuilt]


def test_an_import_covers_only_events_recorded_while_it_runs() -> None:
    """The declaration excused every later event that claimed a time before its instant, for
    ever: a year after go-live, a decision of September 2024 recorded for the first time was
    no late recording. An import runs ``import_recording_days`` (7) from its declaration."""
    declared = import_declared("2024-10-31T00:00:00+08:00")
    assert world_with(declared).flags(rule="RF08.a") == []                    # 1 h after it
    six_days = world_with(declared, decision_at="2024-11-07T01:59:00.000000Z")
    assert six_days.flags(rule="RF08.a") == []
    eight_days = world_with(declared, decision_at="2024-11-09T02:00:00.000000Z")
    assert eight_days.one("RF08.a").event_ids[0] == eight_days.events[-1].event_id
    a_year = world_with(declared, decision_at="2025-11-01T03:00:00.000000Z")
    assert numbers(a_year.one("RF08.a"))["event_type"] == "PenaltyDecided"


def test_the_import_window_is_a_versioned_city_parameter() -> None:
    city = with_overrides(national(), "city", {"import_recording_days": 400})
    world = world_with(import_declared("2024-10-31T00:00:00+08:00"),
                       decision_at="2025-11-01T03:00:00.000000Z")
    world.params = city
    assert world.flags(rule="RF08.a") == []
    engine = FlagEngine(city)
    engine.apply_all(world.events)
    closes = minutes(GO_LIVE.replace("Z", "+00:00")) * 60 + 400 * 86_400
    assert engine.timeline.latest().content()["imports"][0][3] == closes


def _complaint_imported(declared: bool) -> World:
    """The whole complaint cycle (20 Jan – 15 Apr 2025) posted at go-live on 1 Jun 2025, after
    an import declaration covering the time before 1 May (or none)."""
    world = World()
    if declared:
        world.record(import_declared("2025-05-01T00:00:00+08:00"),
                     recorded_at="2025-06-01T02:00:00.000000Z")
    for s in f.complaint_cycle():
        world.record(s, recorded_at="2025-06-01T03:00:00.000000Z")
    return world


def test_a_complaint_imported_at_go_live_is_not_back_dated() -> None:
    """RF08.g names an acknowledgement, an extension or a closing recorded after the deadline
    it meets or moves ran out; an imported history was recorded at go-live, after every
    period, and is not back-dated (as RF08.a does not call it late). The same records posted
    without a declaration are, each against its deadline."""
    due = {numbers(fl)["event_type"]: numbers(fl)["due"]
           for fl in _complaint_imported(False).flags(rule="RF08.g")}
    assert due == {"ComplaintAcknowledged": "2025-02-05", "ComplaintExtended": "2025-04-07",
                   "ComplaintClosed": "2025-05-06"}
    assert _complaint_imported(True).flags(rule="RF08") == []


def _case_imported(declared: bool) -> World:
    """The general case (23 Apr – 10 Sep 2024) posted at go-live on 1 Nov 2024, after an import
    declaration covering the time before 1 Oct (or none)."""
    world = World()
    if declared:
        world.record(import_declared("2024-10-01T00:00:00+08:00"), recorded_at=GO_LIVE)
    for s in f.general_case():
        world.record(s, recorded_at=LATER)
    return world


def test_a_case_extension_imported_at_go_live_is_not_back_dated() -> None:
    """RF08.h names a case's extension recorded after the 90 days it extends ran out; an
    imported case was recorded at go-live, after them, and is not back-dated. Posted without
    a declaration it is (beside RF08.a on every record)."""
    assert numbers(_case_imported(False).one("RF08.h"))["due"] == "2024-07-22"
    assert _case_imported(True).flags(rule="RF08") == []


def test_a_deposit_imported_at_go_live_is_not_back_dated() -> None:
    """RF08.i names a deposit recorded after RF05.c's deadline ran out, dated inside it; the
    summary case's deposit (10 Oct 2024) posted at go-live after an import declaration was
    recorded then, not back-dated. Posted without a declaration it is (beside RF08.a on the
    case's records)."""
    def posted(declared: bool) -> World:
        world = World()
        if declared:
            world.record(import_declared("2024-10-31T00:00:00+08:00"), recorded_at=GO_LIVE)
        for s in f.summary_case(SUMMARY):
            world.record(s, recorded_at=LATER)
        return world
    assert numbers(posted(False).one("RF08.i"))["due"] == "2024-10-10"
    assert posted(True).flags(rule="RF08") == []


def test_a_supervision_feedback_imported_at_go_live_is_not_back_dated() -> None:
    """RF08.g names a feedback recorded after the notice's ``respond_by`` ran out, dated by
    it; a notice and its feedback of October 2024 posted at go-live after an import
    declaration were recorded then, not back-dated. Posted without one, the feedback is."""
    s = "supervision:SN-2024-10"
    def posted(declared: bool) -> World:
        world = World()
        if declared:
            world.record(import_declared("2024-10-31T00:00:00+08:00"), recorded_at=GO_LIVE)
        world.record(step(s, "SupervisionNoticeIssued", at("2024-10-08"),
                          respond_by="2024-10-18"), recorded_at=LATER)
        world.record(step(s, "SupervisionFeedbackSubmitted", at("2024-10-18")),
                     recorded_at=LATER)
        return world
    assert numbers(posted(False).one("RF08.g"))["due"] == "2024-10-18"
    assert posted(True).flags(rule="RF08") == []
