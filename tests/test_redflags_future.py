"""RF08.e: an act dated after the ledger recorded it. A claimed time in the future moves every
deadline counted from it (a decision "served" in 2099 is never overdue), so it is flagged the
moment it is recorded, explaining itself; a device clock a few seconds ahead is not."""

from __future__ import annotations

from dataclasses import replace

from projections.redflags import national, with_overrides

from .domain_factory import at
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


def test_rf08_e_hides_nothing_the_future_dated_service_would_hide() -> None:
    """The fine was never paid and nothing followed; counted from a service claimed in 2099
    the payment period has not even begun, so RF06.e cannot fire — RF08.e must."""
    world = _served_at(at("2099-01-01"))
    assert world.flags(rule="RF06.e") == []
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
