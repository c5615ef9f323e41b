"""RF21.a and a dispatch order recorded after the act (补签派单, docs/red-flags.md RF21): an
order covers an act only if the ledger received it no later than ``dispatch_record_grace_hours``
(24 h by default, a versioned parameter) after the act's time. A backfilled order leaves the
flag raised and names itself in it, where it used to make the flag vanish."""

from __future__ import annotations

from projections.redflags import national, with_overrides

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_import import import_declared
from .test_redflags_world import AT, SUMMARY, World, _incremental, change, numbers

ELSEWHERE = {"lat_e6": 31230000, "lon_e6": 121470000, "grid_id": "HP-G-0200"}
#: the decision in grid HP-G-0200, outside both officers' posts, at 2024-09-30T10:05+08:00
OUT_OF_GRID = change(f.summary_case(SUMMARY), "PenaltyDecided", location=ELSEWHERE)
ORDER = step(f"unit:{f.UNIT}", "DispatchOrderIssued", at("2024-09-30", "09:30:00"),
             grid_ids=["HP-G-0200"], window_from=at("2024-09-30", "09:30:00"),
             window_until=at("2024-09-30", "12:00:00"))
#: 72 h after the decision (02:05 UTC on 30 Sep)
THREE_DAYS_LATER = "2024-10-03T02:05:00.000000Z"


def backfilled(recorded_at: str = THREE_DAYS_LATER, **kwargs: object) -> World:
    world = World(OUT_OF_GRID, **kwargs)  # type: ignore[arg-type]
    world.record(ORDER, recorded_at=recorded_at)
    return world


def test_a_dispatch_order_recorded_days_after_the_act_leaves_rf21a_raised_and_named() -> None:
    world = backfilled()
    order_id = world.events[-1].event_id
    flags = world.flags(rule="RF21.a")
    assert sorted(x.officer_id for x in flags) == [f.OFFICER_A, f.OFFICER_B]
    for flag in flags:
        assert numbers(flag)["dispatch_orders_late"] == [
            [order_id, "2024-10-03T10:05:00+08:00", 72]]
        assert numbers(flag)["dispatch_record_grace_hours"] == 24
        assert numbers(flag)["dispatch_orders_checked"] == 1
        assert order_id in flag.event_ids
        assert "a dispatch order covering it was recorded 72 h after the act" in flag.summary
        assert "覆盖该时段的调度指令于执法后 72 小时才录入" in flag.summary_zh
    assert [x.to_value() for x in _incremental(world.events, AT)] == \
        [x.to_value() for x in world.flags()]


def test_a_dispatch_order_recorded_within_the_grace_still_covers_the_act() -> None:
    assert backfilled("2024-10-01T02:05:00.000000Z").flags(rule="RF21") == []   # 24 h: in time
    assert backfilled("2024-10-01T02:06:00.000000Z").flags(rule="RF21.a")      # a minute over


def test_the_grace_is_a_parameter_a_city_may_set() -> None:
    city = with_overrides(national(), "city", {"dispatch_record_grace_hours": 96})
    assert backfilled(params=city).flags(rule="RF21") == []
    world = World(OUT_OF_GRID)
    world.add(step("config:legal-parameters", "LegalParametersPublished", at("2024-09-01"),
                   effective_from="2024-09-01", parameters=[
                       {"name": "dispatch_record_grace_hours", "value": 96, "unit": "hours",
                        "basis": "test"}]))
    world.record(ORDER, recorded_at=THREE_DAYS_LATER)
    assert world.flags(rule="RF21") == []


def test_a_dispatch_order_of_a_declared_import_is_judged_by_its_claimed_time() -> None:
    """At go-live every record of the past is recorded late, the dispatch orders too; an
    imported order counts from the time it claims, as RF08.a does not judge imports."""
    go_live = "2024-11-01T02:00:00.000000Z"
    world = World(OUT_OF_GRID)
    world.record(import_declared("2024-10-31T00:00:00+08:00"), recorded_at=go_live)
    world.record(ORDER, recorded_at=go_live)
    assert world.flags(rule="RF21") == []
    claimed_late = step(ORDER.stream, ORDER.type, at("2024-10-04", "10:05:00"), **ORDER.body)
    world = World(OUT_OF_GRID)
    world.record(import_declared("2024-10-31T00:00:00+08:00"), recorded_at=go_live)
    world.record(claimed_late, recorded_at=go_live)
    late = numbers(world.flags(rule="RF21.a")[0])["dispatch_orders_late"]
    assert [hours for _, _, hours in late] == [96]
    assert [x.to_value() for x in _incremental(world.events, AT)] == \
        [x.to_value() for x in world.flags()]
