"""RF30: one inspector dismissing the flags about one officer over and over — a protector
(保护伞). The smallest history that raises it, a near miss for each guard, and incremental
evaluation equal to a rebuild (docs/red-flags.md, RF30)."""

from __future__ import annotations

from projections.redflags import FlagEngine, compute_flags, national, with_overrides
from projections.redflags.flag import Flag, Subject

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_key_units import OTHER_UNIT, key, signed
from .test_redflags_world import AT, World, _incremental, change, numbers

INSPECTOR = "SH-JW-007"
COLLEAGUE = "SH-JW-011"
CASES = [f"SH-HP-2024-S-00{4600 + i}" for i in range(8)]


def receipts_world() -> tuple[World, list[Flag]]:
    """Eight on-the-spot fines by the same officers on one day, one receipt number for all:
    seven RF05.a flags (receipt already used) about OFFICER_A, raised and never cleared."""
    world = World(*[f.summary_case(cid) for cid in CASES])
    flags = sorted(world.flags(rule="RF05.a"), key=lambda x: x.case_id or "")
    assert len(flags) == 7 and {x.officer_id for x in flags} == {f.OFFICER_A}
    assert {x.status for x in flags} == {"raised"}
    return world, flags


def dispose(flag: Flag, type_name: str, day: str, inspector: str = INSPECTOR,
            **body: object) -> f.Step:
    if type_name == "FlagDismissed":
        body = {"reason_code": "false_positive", "reason": "核实为误报", **body}
    return step(f"flag:{flag.flag_id}", type_name, at(day), rule_id=flag.rule_id,
                inspector_id=inspector, **body)


DAYS = ["2024-10-20", "2024-11-05", "2024-12-02", "2025-01-10", "2025-02-14", "2025-03-03",
        "2025-04-01"]


def dismiss_five(world: World, flags: list[Flag]) -> list:
    return world.add(*[dispose(x, "FlagDismissed", day) for x, day in zip(flags, DAYS)])


# --- raised -----------------------------------------------------------------------------------

def test_five_flags_about_one_officer_dismissed_by_one_inspector_within_a_year_raise_rf30(
) -> None:
    world, flags = receipts_world()
    recs = dismiss_five(world, flags[:5])
    flag = world.one("RF30")
    assert flag.scope == f"inspector:{INSPECTOR}" and flag.discriminator == f.OFFICER_A
    assert flag.officer_id == INSPECTOR
    assert flag.case_id == flags[4].case_id and flag.unit_id == flags[4].unit_id
    assert flag.severity == "high" and flag.status == "raised"
    assert flag.event_ids[0] == recs[4].event_id
    assert sorted(flag.event_ids) == sorted(r.event_id for r in recs)
    assert flag.raised_at == "2025-02-14T10:00:00+08:00"
    assert flag.params_version == national().version
    assert numbers(flag) == {
        "inspector_id": INSPECTOR, "protected_officer_id": f.OFFICER_A,
        "window_from": "2024-02-16", "window_until": "2025-02-14", "window_days": 365,
        "dismissed": 5, "decided": 5, "share_bp": 10000, "min_dismissals": 5,
        "min_share_bp": 8000, "overturned": 0, "dismissed_total": 5,
        "dismissed_flag_ids": [flags[4].flag_id] + [x.flag_id for x in flags[:4]],
        "dismissed_rule_ids": ["RF05.a"]}
    assert flag.summary == (f"{INSPECTOR} dismissed 5 of the 5 flags about {f.OFFICER_A} they "
                            "decided between 2024-02-16 and 2025-02-14 (at least 5 and 80% "
                            "within 365 days)")
    assert flag.summary_zh == (f"{INSPECTOR} 在 2024-02-16 至 2025-02-14 期间处理涉及 "
                               f"{f.OFFICER_A} 的红旗 5 条，驳回 5 条（365 日内不少于 5 条且占比不低于 "
                               "80%），疑为反复驳回同一人员的红旗")
    assert flag.legal_basis[0].startswith("ZWCF 第63条")


def test_later_dismissals_join_the_flag_and_keep_its_id() -> None:
    world, flags = receipts_world()
    dismiss_five(world, flags[:5])
    first = world.one("RF30")
    world.add(dispose(flags[5], "FlagDismissed", DAYS[5]))
    again = world.one("RF30")
    assert again.flag_id == first.flag_id and again.raised_at == first.raised_at
    assert numbers(again)["dismissed_total"] == 6 and numbers(again)["dismissed"] == 5


def test_a_dismissal_overturned_by_another_inspector_still_counts_and_is_shown() -> None:
    world, flags = receipts_world()
    dismiss_five(world, flags[:5])
    world.add(dispose(flags[0], "FlagConfirmed", "2025-02-20", inspector=COLLEAGUE,
                      finding="收据重复使用属实"))
    assert numbers(world.one("RF30"))["overturned"] == 1


# --- near misses ------------------------------------------------------------------------------

def test_four_dismissals_raise_nothing() -> None:
    world, flags = receipts_world()
    dismiss_five(world, flags[:4])
    assert world.flags(rule="RF30") == []


def test_five_dismissals_spread_over_more_than_the_window_raise_nothing() -> None:
    world, flags = receipts_world()
    days = ["2024-10-20", "2024-12-02", "2025-03-03", "2025-09-01", "2025-10-21"]
    world.add(*[dispose(x, "FlagDismissed", day) for x, day in zip(flags, days)])
    assert world.flags(rule="RF30") == []          # 2024-10-20 is 366 days before 2025-10-21


def test_decisions_that_leave_the_window_stop_counting_against_the_share() -> None:
    """Two confirmations on 2024-10-20 keep every window up to 2025-10-19 below 80 %; the
    window ending on 2025-10-20 no longer holds them."""
    world, flags = receipts_world()
    world.add(dispose(flags[5], "FlagConfirmed", "2024-10-20", finding="属实"),
              dispose(flags[6], "FlagConfirmed", "2024-10-20", finding="属实"))
    days = ["2025-06-01", "2025-07-01", "2025-08-01", "2025-09-01", "2025-10-19"]
    world.add(*[dispose(x, "FlagDismissed", day) for x, day in zip(flags, days)])
    assert world.flags(rule="RF30") == []                       # 5 of 7
    world.add(dispose(flags[5], "FlagAcknowledged", "2025-10-20", note="复查"))
    assert world.flags(rule="RF30") == []       # an acknowledgement decides nothing
    double = next(x for x in world.flags(rule="RF14") if x.officer_id == f.OFFICER_A)
    world.add(dispose(double, "FlagDismissed", "2025-10-20"))
    flag = world.one("RF30")
    assert numbers(flag)["window_from"] == "2024-10-21"
    assert (numbers(flag)["dismissed"], numbers(flag)["decided"]) == (6, 6)


def test_an_inspector_who_confirms_a_fair_share_of_the_officer_s_flags_is_not_flagged() -> None:
    """Five dismissals and two confirmations of the same officer's flags: 71 % < 80 %."""
    world, flags = receipts_world()
    world.add(dispose(flags[5], "FlagConfirmed", "2024-10-19", finding="属实"),
              dispose(flags[6], "FlagReferred", "2024-10-19", referred_to="agency_head"))
    dismiss_five(world, flags[:5])
    assert world.flags(rule="RF30") == []
    # the flag they had confirmed, dismissed after all: their last word counts, 6 of 7
    world.add(dispose(flags[5], "FlagDismissed", "2025-02-20"))
    # (counted at their dismissal, the flag left the window that ends on 2025-02-14: 5 of 6)
    flag = world.one("RF30")
    assert (numbers(flag)["dismissed"], numbers(flag)["decided"]) == (5, 6)
    assert numbers(flag)["share_bp"] == 8333 and flag.raised_at.startswith("2025-02-14")
    assert numbers(flag)["dismissed_total"] == 6


def test_a_dismissal_the_inspector_reversed_does_not_count() -> None:
    world, flags = receipts_world()
    dismiss_five(world, flags[:5])
    world.add(dispose(flags[0], "FlagConfirmed", "2025-02-20", finding="复核属实"))
    assert world.flags(rule="RF30") == []


def test_a_dismissal_another_inspector_shares_does_not_count() -> None:
    world, flags = receipts_world()
    dismiss_five(world, flags[:5])
    world.add(dispose(flags[0], "FlagDismissed", "2025-02-20", inspector=COLLEAGUE))
    assert world.flags(rule="RF30") == []


def test_dismissals_of_flags_that_cleared_by_themselves_do_not_count() -> None:
    """Cash handed in late: RF05.b cleared by the late remittance (the lateness stays a fact on
    the flag, but the rule was satisfied)."""
    world = World(*[change(f.summary_case(cid), "OnsiteCashRemitted",
                           occurred_at=at("2024-10-15")) for cid in CASES[:5]])
    late = sorted(world.flags(rule="RF05.b"), key=lambda x: x.case_id or "")
    assert len(late) == 5 and {x.status for x in late} == {"cleared"}
    world.add(*[dispose(x, "FlagDismissed", day) for x, day in zip(late, DAYS)])
    assert world.flags(rule="RF30") == []


def test_dismissals_signed_by_a_key_of_other_units_are_not_counted() -> None:
    world, flags = receipts_world()
    key(world, "jw-xh", [OTHER_UNIT])
    dismiss_five(world, flags[:4])
    signed(world, "jw-xh", dispose(flags[4], "FlagDismissed", DAYS[4]))
    assert len(world.flags(rule="RF28")) == 1 and world.flags(rule="RF30") == []


def test_dismissals_stay_counted_after_their_cases_move_to_another_unit() -> None:
    """RF28 judges a disposition against the flag's unit at the disposition's log position, so a
    dismissal by the flag's unit stays applied after the case is filed again by another unit
    (移送管辖). RF30 counts exactly the dispositions RF28 applies: moving the dismissed cases
    away does not erase the protector's flag."""
    world, flags = receipts_world()
    key(world, "jw-hp", [f.UNIT])
    recs = [signed(world, "jw-hp", dispose(x, "FlagDismissed", day))
            for x, day in zip(flags[:5], DAYS)]
    before = world.one("RF30")
    filed = {s.stream: s for x in flags[:5] for s in f.summary_case(x.case_id or "")
             if s.type == "CaseFiled"}
    world.add(*[step(stream, "CaseFiled", at("2025-03-20"), **{**s.body, "unit_id": OTHER_UNIT})
                for stream, s in sorted(filed.items())])
    moved = sorted(world.flags(rule="RF05.a"), key=lambda x: x.case_id or "")[:5]
    assert {x.unit_id for x in moved} == {OTHER_UNIT}
    assert [x.disposition_event_ids for x in moved] == [(r.event_id,) for r in recs]
    assert world.flags(rule="RF28") == []
    after = world.one("RF30")
    assert after.flag_id == before.flag_id and numbers(after)["dismissed"] == 5
    expected = compute_flags(world.events, national(), at=AT)
    got = _incremental(world.events, AT)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_a_dismissal_by_a_key_of_the_flags_later_unit_before_the_move_is_not_counted() -> None:
    """The other way round: signed by a key of the unit the cases move to, before they moved,
    a dismissal is RF28's and not applied — nor counted by RF30, after the move as before."""
    world, flags = receipts_world()
    key(world, "jw-xh", [OTHER_UNIT])
    dismiss_five(world, flags[:4])
    signed(world, "jw-xh", dispose(flags[4], "FlagDismissed", DAYS[4]))
    (filed,) = [s for s in f.summary_case(flags[4].case_id or "") if s.type == "CaseFiled"]
    world.add(step(filed.stream, "CaseFiled", at("2025-03-20"),
                   **{**filed.body, "unit_id": OTHER_UNIT}))
    assert len(world.flags(rule="RF28")) == 1
    assert world.flags(rule="RF30") == []


def test_flags_of_any_rule_or_scope_about_the_officer_count_together() -> None:
    """A party's flags (RF14, scope ``party:``) name the officer who decided its cases: three
    receipts and two double fines dismissed are five flags about OFFICER_A."""
    world, flags = receipts_world()
    double = sorted((x for x in world.flags(rule="RF14") if x.officer_id == f.OFFICER_A),
                    key=lambda x: x.flag_id)
    assert len(double) >= 2 and double[0].scope.startswith("party:")
    world.add(*[dispose(x, "FlagDismissed", day) for x, day in zip(flags[:3] + double[:2], DAYS)])
    assert numbers(world.one("RF30"))["dismissed_rule_ids"] == ["RF05.a", "RF14"]


def test_dismissals_by_two_inspectors_are_not_added_together() -> None:
    world, flags = receipts_world()
    dismiss_five(world, flags[:4])
    world.add(dispose(flags[4], "FlagDismissed", DAYS[4], inspector=COLLEAGUE))
    assert world.flags(rule="RF30") == []


def test_a_city_may_publish_other_thresholds() -> None:
    city = with_overrides(national(), "SH-HP", {"protector_min_dismissals": 3})
    world, flags = receipts_world()
    world.params = city
    dismiss_five(world, flags[:3])
    flag = world.one("RF30")
    assert numbers(flag)["min_dismissals"] == 3 and flag.params_version == city.version


# --- incremental equals rebuild ---------------------------------------------------------------

def test_rf30_incrementally_equals_a_rebuild() -> None:
    world, flags = receipts_world()
    dismiss_five(world, flags[:5])
    world.add(dispose(flags[5], "FlagDismissed", DAYS[5]),
              dispose(flags[0], "FlagConfirmed", "2025-03-10", inspector=COLLEAGUE,
                      finding="属实"),
              dispose(flags[1], "FlagDismissed", "2025-03-11", inspector=COLLEAGUE))
    expected = compute_flags(world.events, national(), at=AT)
    assert [x.rule_id for x in expected].count("RF30") == 1
    got = _incremental(world.events, AT)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_a_late_fact_about_the_dismissed_flags_cases_equals_a_rebuild() -> None:
    """A late credential suspension re-evaluates every case the officer acted in, the scopes
    of the dismissed flags among them: the inspector is re-evaluated after them."""
    world, flags = receipts_world()
    dismiss_five(world, flags[:5])
    world.add(step(f"officer:{f.OFFICER_A}", "OfficerCredentialSuspended", at("2025-03-01"),
                   cert_no=f.CERT_A, effective_at=at("2024-09-01"), until="2024-10-31"))
    expected = compute_flags(world.events, national(), at=AT)
    got = _incremental(world.events, AT)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_dismissals_folded_before_the_cases_they_are_about_equal_a_rebuild() -> None:
    """A disposition may name a flag before the engine raised it (ids are computable): the
    inspector is evaluated again with the later events of the flag's scope."""
    world, flags = receipts_world()
    cut = len(world.events)
    dismiss_five(world, flags[:5])
    staff = len(f.staff())
    order = world.events[:staff] + world.events[cut:] + world.events[staff:cut]
    expected = compute_flags(order, national(), at=AT)
    assert [x.rule_id for x in expected].count("RF30") == 1
    got = _incremental(order, AT)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_an_inspector_left_out_of_an_evaluation_that_changed_their_inputs_is_due() -> None:
    """The service defers some scopes (cohorts) and evaluates due ones on their own: when an
    evaluation changes whom an inspector's disposed-of flags are about and does not include
    the inspector, ``due_subjects`` returns them until they are evaluated."""
    world, flags = receipts_world()
    dismiss_five(world, flags[:5])
    engine = FlagEngine(national())
    engine.apply_all(world.events)
    assert engine.evaluate({Subject("case", cid) for cid in CASES}, AT) != []
    me = Subject("inspector", INSPECTOR)
    assert me in engine.due_subjects(AT)
    assert [x.rule_id for x in engine.evaluate(engine.due_subjects(AT), AT)] == ["RF30"]
    assert me not in engine.due_subjects(AT)


def test_an_officer_dismissing_the_flags_about_themselves_raises_rf26_not_rf30() -> None:
    world, flags = receipts_world()
    world.add(*[dispose(x, "FlagDismissed", day, inspector=f.OFFICER_A)
                for x, day in zip(flags, DAYS[:5])])
    assert len(world.flags(rule="RF26")) == 5 and world.flags(rule="RF30") == []
