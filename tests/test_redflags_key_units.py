"""A key registered with `units` may dispose of the flags of those units only: a disposition
signed by it of another unit's flag is not applied (the flag keeps its disposition) and raises
RF28 — reproducibly, from the history alone (docs/red-flags.md, RF28)."""

from __future__ import annotations

from dataclasses import replace

from ledger.domain.keys import key_covers_unit
from ledger.envelope import Recorded
from projections.redflags import compute_flags, national
from projections.redflags.flag import Flag

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_dispositions import INSPECTOR, dispose, late_cash_world
from .test_redflags_world import SUMMARY, World, _incremental, numbers, when

OTHER_UNIT = "SH-XH-CG-09"


def key(world: World, key_id: str, units: list[str] | None) -> None:
    """Register inspector key ``key_id`` (scoped to ``units`` when given) on stream keys."""
    world.add(step("keys", "KeyRegistered", at("2024-10-01"), key_id=key_id,
                   principal=f"jw:{key_id}", roles=["inspector"], not_before=None,
                   **({} if units is None else {"units": units})))


def signed(world: World, key_id: str, s: f.Step) -> Recorded:
    """Record ``s`` as signed by ``key_id``."""
    (rec,) = world.add(s)
    rec = replace(rec, signer=f"key:{key_id}")
    world.history.events[-1] = rec
    return rec


def test_a_dismissal_signed_by_a_key_of_another_unit_is_not_applied_and_raises_rf28() -> None:
    world, flag_id = late_cash_world()
    key(world, "jw-xh", [OTHER_UNIT])
    rec = signed(world, "jw-xh", dispose(flag_id, "FlagDismissed", "2024-10-20"))
    target = world.one("RF05.b")
    assert target.disposition == "open" and target.disposition_event_ids == ()
    flag = world.one("RF28")
    assert numbers(flag) == {
        "disposed_flag_id": flag_id, "disposed_rule_id": "RF05.b", "inspector_id": INSPECTOR,
        "key_id": "jw-xh", "key_units": [OTHER_UNIT], "flag_unit_id": f.UNIT,
        "disposition": "dismissed", "reason_code": "legitimate_exception"}
    assert flag.event_ids[0] == rec.event_id and flag.unit_id == f.UNIT
    assert flag.scope == target.scope and flag.case_id == target.case_id
    assert "jw-xh" in flag.summary and OTHER_UNIT in flag.summary and f.UNIT in flag.summary
    assert world.flags(rule="RF26") == []


def test_an_out_of_unit_disposition_leaves_the_earlier_one_in_force() -> None:
    world, flag_id = late_cash_world()
    key(world, "jw-xh", [OTHER_UNIT])
    world.add(dispose(flag_id, "FlagConfirmed", "2024-10-18"))
    signed(world, "jw-xh", dispose(flag_id, "FlagDismissed", "2024-10-20"))
    target = world.one("RF05.b")
    assert target.disposition == "confirmed" and len(target.disposition_event_ids) == 1
    assert numbers(world.one("RF28"))["disposition"] == "dismissed"


def test_a_key_scoped_to_the_flags_unit_disposes_of_it() -> None:
    world, flag_id = late_cash_world()
    key(world, "jw-hp", [OTHER_UNIT, f.UNIT])
    rec = signed(world, "jw-hp", dispose(flag_id, "FlagDismissed", "2024-10-20"))
    assert world.one("RF05.b").disposition_event_ids == (rec.event_id,)
    assert world.flags(rule="RF28") == []


def test_a_key_registered_without_units_disposes_of_any_units_flag() -> None:
    world, flag_id = late_cash_world()
    key(world, "jw-city", None)
    signed(world, "jw-city", dispose(flag_id, "FlagDismissed", "2024-10-20"))
    assert world.one("RF05.b").disposition == "dismissed"
    assert world.flags(rule="RF28") == []


def test_rf28_is_judged_like_any_flag_and_incrementally_as_in_a_rebuild() -> None:
    """Disposing of the RF28 with the same out-of-unit key raises another; the unit's own
    inspector (unscoped key here) disposes of it."""
    world, flag_id = late_cash_world()
    key(world, "jw-xh", [OTHER_UNIT])
    signed(world, "jw-xh", dispose(flag_id, "FlagDismissed", "2024-10-20"))
    rf28 = world.one("RF28")
    signed(world, "jw-xh", step(f"flag:{rf28.flag_id}", "FlagDismissed", at("2024-10-21"),
                                rule_id="RF28", inspector_id=INSPECTOR))
    chain = world.flags(rule="RF28")
    assert len(chain) == 2 and {x.disposition for x in chain} == {"open"}
    world.add(step(f"flag:{rf28.flag_id}", "FlagConfirmed", at("2024-10-22"), rule_id="RF28",
                   inspector_id=INSPECTOR))
    evaluation = when("2025-01-01")
    expected = compute_flags(world.events, national(), at=evaluation)
    assert {x.flag_id: x.disposition for x in expected if x.rule_id == "RF28"}[
        rf28.flag_id] == "confirmed"
    got = _incremental(world.events, evaluation)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_a_key_the_history_does_not_show_registered_counts_as_a_key_of_every_unit() -> None:
    """A bundle of part of the log leaves stream keys out: its dispositions are applied as the
    service's would be for an unscoped key (the partial-bundle note says flags may differ)."""
    world, flag_id = late_cash_world()
    signed(world, "jw-unseen", dispose(flag_id, "FlagDismissed", "2024-10-20"))
    assert world.one("RF05.b").disposition == "dismissed"
    assert world.flags(rule="RF28") == []


def test_a_flag_of_no_unit_is_disposed_of_only_by_a_key_of_every_unit() -> None:
    assert key_covers_unit(None, None) and key_covers_unit(None, f.UNIT)
    assert key_covers_unit(frozenset({f.UNIT}), f.UNIT)
    assert not key_covers_unit(frozenset({f.UNIT}), None)
    assert not key_covers_unit(frozenset({OTHER_UNIT}), f.UNIT)


def _transfer_a_after(world: World, *dispositions: tuple[str, str, str]) -> tuple[str, list[Recorded]]:
    """Officer A's RF22 (A signed no pledge) disposed of by (key, type, day) each before A is
    posted to another unit on 2024-12-02, which moves the RF22, an officer's flag, there."""
    rf22 = next(x for x in world.flags(rule="RF22") if x.officer_id == f.OFFICER_A)
    recs = [signed(world, key_id, step(f"flag:{rf22.flag_id}", type_, at(day), rule_id="RF22",
                                       inspector_id=INSPECTOR))
            for key_id, type_, day in dispositions]
    world.add(step(f"officer:{f.OFFICER_A}", "PostAssigned", at("2024-12-02"),
                   post_id=f"POST-{f.OFFICER_A}-2", unit_id=OTHER_UNIT, role="team_member",
                   window_from=at("2024-12-02", "00:00:00"), window_until=None,
                   superior_officer_id=f.HEAD))
    return rf22.flag_id, recs


def _unpledged() -> World:
    world = World(f.staff(), f.summary_case("SH-HP-2024-S-004512"), with_staff=False)
    key(world, "jw-hp", [f.UNIT])
    key(world, "jw-xh", [OTHER_UNIT])
    return world


def _rf22(world: World) -> Flag:
    return next(x for x in world.flags(rule="RF22") if x.officer_id == f.OFFICER_A)


def test_a_disposition_made_by_the_flags_unit_stays_applied_after_the_flag_changes_unit() -> None:
    world = _unpledged()
    _, (dismissal,) = _transfer_a_after(world, ("jw-hp", "FlagDismissed", "2024-11-01"))
    rf22 = _rf22(world)
    assert rf22.unit_id == OTHER_UNIT                       # the flag's unit is the officer's
    assert rf22.disposition == "dismissed" and rf22.disposition_event_ids == (dismissal.event_id,)
    assert world.flags(rule="RF28") == []


def test_a_key_of_the_flags_later_unit_had_no_authority_before_the_change() -> None:
    """Signed before the transfer by a key of the unit A joins later: RF28 and not applied,
    then and after; signed by the same key after the transfer: applied."""
    world = _unpledged()
    flag_id, (early,) = _transfer_a_after(world, ("jw-xh", "FlagDismissed", "2024-11-01"))
    (rf28,) = world.flags(rule="RF28")
    assert rf28.event_ids[0] == early.event_id and numbers(rf28)["flag_unit_id"] == f.UNIT
    assert rf28.unit_id == OTHER_UNIT and _rf22(world).disposition == "open"
    late = signed(world, "jw-xh", step(f"flag:{flag_id}", "FlagConfirmed", at("2024-12-10"),
                                       rule_id="RF22", inspector_id=INSPECTOR))
    assert _rf22(world).disposition_event_ids == (late.event_id,)
    assert len(world.flags(rule="RF28")) == 1
    evaluation = when("2025-01-01")
    expected = compute_flags(world.events, national(), at=evaluation)
    got = _incremental(world.events, evaluation)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_a_case_filed_again_by_another_unit_keeps_the_earlier_units_disposition() -> None:
    """A second CaseFiled of another unit (移送管辖) moves the case's flags to that unit; the
    dismissal made before by a key of the first unit stays applied."""
    world, flag_id = late_cash_world()
    key(world, "jw-hp", [f.UNIT])
    rec = signed(world, "jw-hp", dispose(flag_id, "FlagDismissed", "2024-10-20"))
    (filed,) = [s for s in f.summary_case(SUMMARY) if s.type == "CaseFiled"]
    world.add(step(filed.stream, "CaseFiled", at("2024-11-01"),
                   **{**filed.body, "unit_id": OTHER_UNIT}))
    target = world.one("RF05.b")
    assert target.unit_id == OTHER_UNIT
    assert target.disposition_event_ids == (rec.event_id,) and world.flags(rule="RF28") == []
