"""Inspectors' dispositions (signed events on ``flag:<flag_id>``) set a flag's disposition; a
disposition by the flag's own subject or by someone who acted in its case raises RF26."""

from __future__ import annotations

import pytest

from projections.redflags import compute_flags, national

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_cross_case import summary_case, waiver_case
from .test_redflags_world import SUMMARY, World, _incremental, change, numbers, when

INSPECTOR = "SH-JW-007"


def late_cash_world() -> tuple[World, str]:
    world = World(change(f.summary_case(SUMMARY), "OnsiteCashRemitted",
                         occurred_at=at("2024-10-15")))
    return world, world.one("RF05.b").flag_id


def dispose(flag_id: str, type_name: str, day: str, inspector: str = INSPECTOR,
            **body: object) -> f.Step:
    return step(f"flag:{flag_id}", type_name, at(day), rule_id="RF05.b",
                inspector_id=inspector, **body)


def test_flags_start_open_and_take_the_latest_disposition() -> None:
    world, flag_id = late_cash_world()
    assert world.one("RF05.b").disposition == "open"
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"))
    assert world.one("RF05.b").disposition == "acknowledged"
    world.add(dispose(flag_id, "FlagConfirmed", "2024-10-25"),
              dispose(flag_id, "FlagReferred", "2024-10-26"))
    flag = world.one("RF05.b")
    assert flag.disposition == "referred" and len(flag.disposition_event_ids) == 3
    assert flag.flag_id == flag_id                       # the identity does not change


def test_dismissal_by_an_independent_inspector_is_not_flagged() -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagDismissed", "2024-10-20"))
    assert world.one("RF05.b").disposition == "dismissed"
    assert world.flags(rule="RF26") == []


def test_dismissal_by_an_officer_who_acted_in_the_case_raises_rf26() -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagDismissed", "2024-10-20", inspector=f.OFFICER_B))
    flag = world.one("RF26")
    assert numbers(flag)["relation"] == "acted_in_case"
    assert numbers(flag)["dismissed_flag_id"] == flag_id
    assert flag.officer_id == f.OFFICER_B and flag.case_id == SUMMARY
    assert flag.raised_at == "2024-10-20T10:00:00+08:00"
    assert world.events[-1].event_id in flag.event_ids


def test_dismissal_by_the_head_who_decided_a_recusal_in_the_case_raises_rf26() -> None:
    """A recusal's ``decided_by`` names one person, not a list: its characters were taken for
    people ('S', 'H', '-', …: phantom officers acting in the case) and the head who decided it
    was not among the case's persons, so their dismissal of its flag went unflagged."""
    head = "SH-HP-0909"
    world = World(change(f.summary_case(SUMMARY), "OnsiteCashRemitted",
                         occurred_at=at("2024-10-15")),
                  [step(f"case:{SUMMARY}", "RecusalDecided", at("2024-10-16"),
                        officer_id=f.OFFICER_B, decided_by=head)])
    flag_id = world.one("RF05.b").flag_id
    world.add(dispose(flag_id, "FlagDismissed", "2024-10-20", inspector=head))
    flag = world.one("RF26")
    assert numbers(flag)["relation"] == "acted_in_case" and flag.officer_id == head


def test_dismissal_of_a_flag_about_oneself_raises_rf26() -> None:
    world = World(f.staff(), f.summary_case(SUMMARY), with_staff=False)     # no pledges
    rf22 = next(x for x in world.flags(rule="RF22") if x.officer_id == f.OFFICER_A)
    world.add(step(f"flag:{rf22.flag_id}", "FlagDismissed", at("2024-11-01"), rule_id="RF22",
                   inspector_id=f.OFFICER_A))
    flag = world.one("RF26")
    assert numbers(flag)["relation"] == "subject_of_flag"
    assert numbers(flag)["dismissed_rule_id"] == "RF22"


OTHER_DISPOSITIONS = [("FlagAcknowledged", {}, "acknowledged"),
                      ("FlagConfirmed", {"severity": "low"}, "confirmed"),
                      ("FlagReferred", {"referred_to": "agency_head"}, "referred")]


@pytest.mark.parametrize("type_name, extra, disposition", OTHER_DISPOSITIONS)
def test_any_disposition_by_an_officer_who_acted_in_the_case_raises_rf26(
        type_name: str, extra: dict, disposition: str) -> None:
    """Only dismissals were judged: the officer who acted in the case could acknowledge the
    flag (it left the open queue), confirm it as low or refer it to their own head, unflagged."""
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, type_name, "2024-10-20", inspector=f.OFFICER_B, **extra))
    assert world.one("RF05.b").disposition == disposition
    flag = world.one("RF26")
    assert (numbers(flag)["disposition"], numbers(flag)["relation"]) == (
        disposition, "acted_in_case")
    assert flag.officer_id == f.OFFICER_B and world.events[-1].event_id in flag.event_ids
    assert flag.summary.startswith(f"{f.OFFICER_B} {disposition} flag {flag_id}")


@pytest.mark.parametrize("type_name, extra, disposition", OTHER_DISPOSITIONS)
def test_any_disposition_by_an_independent_inspector_is_not_flagged(
        type_name: str, extra: dict, disposition: str) -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, type_name, "2024-10-20", **extra))
    assert world.one("RF05.b").disposition == disposition
    assert world.flags(rule="RF26") == []


def test_acknowledger_who_acts_in_the_case_later_is_flagged_incrementally_as_in_a_rebuild(
) -> None:
    world = World(summary_case(SUMMARY), waiver_case("W-1", "2025-03-03"))
    rf18 = world.one("RF18.a")                   # party scope, about case W-1
    world.add(step(f"flag:{rf18.flag_id}", "FlagAcknowledged", at("2025-04-01"),
                   rule_id="RF18", inspector_id=f.LEGAL),
              step("case:W-1", "CaseArchived", at("2025-04-02"), archived_by=f.LEGAL))
    evaluation = when("2025-06-01")
    expected = compute_flags(world.events, national(), at=evaluation)
    assert [numbers(x)["disposition"] for x in expected if x.rule_id == "RF26"] == [
        "acknowledged"]
    got = _incremental(world.events, evaluation)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_rf26_flags_can_be_disposed_of_too() -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagDismissed", "2024-10-20", inspector=f.OFFICER_B))
    rf26 = world.one("RF26")
    world.add(step(f"flag:{rf26.flag_id}", "FlagConfirmed", at("2024-11-02"), rule_id="RF26",
                   inspector_id=INSPECTOR))
    assert world.one("RF26").disposition == "confirmed"


def test_dismisser_who_acts_in_the_case_later_is_flagged_incrementally_as_in_a_rebuild() -> None:
    world = World(summary_case(SUMMARY), waiver_case("W-1", "2025-03-03"))
    rf18 = world.one("RF18.a")                   # party scope, about case W-1
    world.add(step(f"flag:{rf18.flag_id}", "FlagDismissed", at("2025-04-01"), rule_id="RF18",
                   inspector_id=f.LEGAL),
              step("case:W-1", "CaseArchived", at("2025-04-02"), archived_by=f.LEGAL))
    evaluation = when("2025-06-01")
    expected = compute_flags(world.events, national(), at=evaluation)
    assert "RF26" in [x.rule_id for x in expected]
    got = _incremental(world.events, evaluation)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_dismissing_the_rf26_about_oneself_raises_another() -> None:
    """RF26 was never judged for RF26 flags: an officer who dismissed a flag in their own case
    could then dismiss the RF26 about that, and nothing more was raised."""
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagDismissed", "2024-10-20", inspector=f.OFFICER_B))
    first = world.one("RF26")
    world.add(step(f"flag:{first.flag_id}", "FlagDismissed", at("2024-10-21"), rule_id="RF26",
                   inspector_id=f.OFFICER_B))
    rf26 = world.flags(rule="RF26")
    assert len(rf26) == 2
    second = next(x for x in rf26 if x.flag_id != first.flag_id)
    assert numbers(second)["dismissed_flag_id"] == first.flag_id
    assert numbers(second)["relation"] == "subject_of_flag" and second.officer_id == f.OFFICER_B
    # an independent inspector dismissing that one raises nothing more
    world.add(step(f"flag:{second.flag_id}", "FlagDismissed", at("2024-10-22"), rule_id="RF26",
                   inspector_id=INSPECTOR))
    assert len(world.flags(rule="RF26")) == 2
    got = _incremental(world.events, when("2024-12-01"))
    assert [x.to_value() for x in got] == [
        x.to_value() for x in compute_flags(world.events, national(), at=when("2024-12-01"))]


def test_a_disposed_of_flag_whose_rule_no_longer_raises_it_vanishes_with_its_disposition() -> None:
    """A flag can vanish, not only clear: a dispatch order recorded after the act covers it, so
    RF21.a never applied. Its dismissal stays on ``flag:<id>`` in the log but attaches to no
    flag, and the service deletes the flag as a rebuild never raises it (docs/red-flags.md,
    "Vanished flags")."""
    elsewhere = {"lat_e6": 31230000, "lon_e6": 121470000, "grid_id": "HP-G-0200"}
    world = World(change(f.summary_case(SUMMARY), "PenaltyDecided", location=elsewhere))
    (rf21,) = [x for x in world.flags(rule="RF21.a") if x.officer_id == f.OFFICER_A]
    (dismissal,) = world.add(step(f"flag:{rf21.flag_id}", "FlagDismissed", at("2024-10-20"),
                                  rule_id="RF21.a", inspector_id=INSPECTOR,
                                  reason_code="legitimate_exception"))
    assert {x.flag_id: x.disposition for x in world.flags(rule="RF21.a")}[rf21.flag_id] == \
        "dismissed"
    world.add(step(f"unit:{f.UNIT}", "DispatchOrderIssued", at("2024-09-30", "09:30:00"),
                   grid_ids=["HP-G-0200"], window_from=at("2024-09-30", "09:30:00"),
                   window_until=at("2024-09-30", "12:00:00")))
    flags = world.flags()
    assert rf21.flag_id not in {x.flag_id for x in flags}
    assert all(dismissal.event_id not in x.disposition_event_ids for x in flags)
    assert [x.to_value() for x in _incremental(world.events, when("2025-01-01"))] == \
        [x.to_value() for x in compute_flags(world.events, national(), at=when("2025-01-01"))]
