"""RF30.b: a few inspectors taking turns dismissing the flags about one officer — the protector
(保护伞) split between colleagues so that none of them reaches RF30 alone. The alternation that
raises it, near misses (many inspectors, a fair share confirmed, one of them already raising
RF30), and incremental evaluation equal to a rebuild (docs/red-flags.md, RF30.b)."""

from __future__ import annotations

from projections.redflags import compute_flags, national, with_overrides
from projections.redflags.flag import Flag

from . import domain_factory as f
from .test_redflags_protector import COLLEAGUE, DAYS, INSPECTOR, dispose, receipts_world
from .test_redflags_world import AT, World, _incremental, numbers

THIRD = "SH-JW-013"
MORE = ["SH-JW-021", "SH-JW-022", "SH-JW-023", "SH-JW-024", "SH-JW-025", "SH-JW-026",
        "SH-JW-027"]


def rule(world: World, rule_id: str) -> list[Flag]:
    """The flags of exactly ``rule_id`` (``world.flags`` matches the family: RF30 and RF30.b)."""
    return [x for x in world.flags() if x.rule_id == rule_id]


def eight_flags() -> tuple[World, list[Flag]]:
    """The seven receipts (RF05.a) and one double fine (RF14), all about OFFICER_A."""
    world, flags = receipts_world()
    double = min((x for x in world.flags(rule="RF14") if x.officer_id == f.OFFICER_A),
                 key=lambda x: x.flag_id)
    return world, flags + [double]


def take_turns(world: World, flags: list[Flag], who: list[str]) -> list:
    """Flag i dismissed by ``who[i % len(who)]``, on DAYS[i] (a day later for the eighth)."""
    days = DAYS + ["2025-04-20"]
    return world.add(*[dispose(x, "FlagDismissed", day, inspector=who[i % len(who)])
                       for i, (x, day) in enumerate(zip(flags, days))])


def test_two_inspectors_taking_turns_raise_rf30b_on_each_naming_both() -> None:
    world, flags = receipts_world()
    recs = take_turns(world, flags[:6], [INSPECTOR, COLLEAGUE])
    assert rule(world, "RF30") == []           # 3 each: under 5 alone
    raised = sorted(rule(world, "RF30.b"), key=lambda x: x.officer_id or "")
    assert [x.officer_id for x in raised] == [INSPECTOR, COLLEAGUE]
    for flag, me in zip(raised, [INSPECTOR, COLLEAGUE]):
        assert flag.scope == f"inspector:{me}" and flag.discriminator == f.OFFICER_A
        assert flag.severity == "high" and flag.status == "raised"
        assert flag.event_ids[0] == recs[4].event_id        # the 5th completed the window
        assert flag.raised_at == "2025-02-14T10:00:00+08:00"
        assert flag.case_id == flags[4].case_id and flag.unit_id == flags[4].unit_id
        assert numbers(flag) == {
            "inspector_id": me, "protected_officer_id": f.OFFICER_A,
            "circle": [INSPECTOR, COLLEAGUE], "circle_dismissed": [3, 2],
            "window_from": "2024-02-16", "window_until": "2025-02-14", "window_days": 365,
            "dismissed": 5, "decided": 5, "share_bp": 10000, "min_dismissals": 5,
            "min_share_bp": 8000, "circle_max": 3, "min_each": 2,
            "dismissed_flag_ids": [flags[4].flag_id] + [x.flag_id for x in flags[:4]],
            "dismissed_rule_ids": ["RF05.a"]}
        assert flag.summary == (
            f"{INSPECTOR}, {COLLEAGUE} together dismissed 5 of the 5 flags about "
            f"{f.OFFICER_A} decided between 2024-02-16 and 2025-02-14, each at least 2 (at "
            "least 5 and 80% within 365 days, at most 3 inspectors)")
        assert flag.summary_zh == (
            f"{INSPECTOR}, {COLLEAGUE} 在 2024-02-16 至 2025-02-14 期间合计驳回涉及 "
            f"{f.OFFICER_A} 的红旗 5 条，占该期间处理的 5 条（365 日内不超过 3 名核查人员、"
            "每人不少于 2 条、合计不少于 5 条且占比不低于 80%），疑为多名核查人员轮流驳回同一人员的红旗")
        assert flag.legal_basis[0].startswith("ZWCF 第63条")
    assert raised[0].flag_id != raised[1].flag_id


def test_the_alternation_incrementally_equals_a_rebuild() -> None:
    world, flags = eight_flags()
    take_turns(world, flags, [INSPECTOR, COLLEAGUE])
    expected = compute_flags(world.events, national(), at=AT)
    assert [x.rule_id for x in expected].count("RF30.b") == 2
    got = _incremental(world.events, AT)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_a_member_s_flag_follows_the_others_decisions_incrementally() -> None:
    """The fifth dismissal (INSPECTOR's) raises COLLEAGUE's flag too, and COLLEAGUE reversing
    one of theirs drops INSPECTOR's: each member is re-evaluated on the others' decisions about
    the officer's flags, not only on their own."""
    world, flags = receipts_world()
    take_turns(world, flags[:5], [INSPECTOR, COLLEAGUE])
    for extra in ([], [dispose(flags[1], "FlagConfirmed", "2025-02-20", inspector=COLLEAGUE,
                               finding="复核属实")]):
        world.add(*extra)
        expected = compute_flags(world.events, national(), at=AT)
        assert [x.rule_id for x in expected].count("RF30.b") == (0 if extra else 2)
        got = _incremental(world.events, AT)
        assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_many_inspectors_each_dismissing_one_or_two_raise_nothing() -> None:
    """A noisy officer's flags dismissed by whoever is on duty: four inspectors with two each
    are more than a circle of three; seven with one each are no circle at all."""
    world, flags = eight_flags()
    take_turns(world, flags, [INSPECTOR, COLLEAGUE, THIRD, MORE[0]])
    assert rule(world, "RF30") == [] and rule(world, "RF30.b") == []
    world, flags = eight_flags()
    take_turns(world, flags[:7], MORE)
    assert rule(world, "RF30") == [] and rule(world, "RF30.b") == []


def test_two_inspectors_who_confirm_a_fair_share_raise_nothing() -> None:
    """Three dismissals and one confirmation each: 6 of 8 decisions (75 %) < 80 %."""
    world, flags = eight_flags()
    world.add(dispose(flags[6], "FlagConfirmed", "2024-10-19", finding="属实"),
              dispose(flags[7], "FlagConfirmed", "2024-10-19", inspector=COLLEAGUE,
                      finding="属实"))
    take_turns(world, flags[:6], [INSPECTOR, COLLEAGUE])
    assert rule(world, "RF30.b") == []
    # the confirmation only one of them made counts too: a third inspector's decision
    world, flags = eight_flags()
    world.add(dispose(flags[6], "FlagReferred", "2024-10-19", inspector=THIRD,
                      referred_to="agency_head"),
              dispose(flags[7], "FlagConfirmed", "2024-10-19", inspector=THIRD,
                      finding="属实"))
    take_turns(world, flags[:6], [INSPECTOR, COLLEAGUE])
    assert rule(world, "RF30.b") == []


def test_a_member_who_raises_rf30_alone_leaves_it_to_rf30() -> None:
    world, flags = receipts_world()
    world.add(*[dispose(x, "FlagDismissed", day) for x, day in zip(flags[:5], DAYS)],
              dispose(flags[5], "FlagDismissed", DAYS[5], inspector=COLLEAGUE),
              dispose(flags[6], "FlagDismissed", DAYS[6], inspector=COLLEAGUE))
    assert len(rule(world, "RF30")) == 1 and rule(world, "RF30.b") == []


def third_alone_in_2024() -> tuple[World, list[Flag]]:
    """RF30 at 3 dismissals in 60 days; THIRD dismisses three of the eight flags in late 2024."""
    world, flags = eight_flags()
    world.params = with_overrides(national(), "SH-HP", {"protector_min_dismissals": 3,
                                                        "protector_window_days": 60})
    world.add(*[dispose(x, "FlagDismissed", day, inspector=THIRD)
                for x, day in zip(flags[:3], ["2024-10-20", "2024-11-05", "2024-12-02"])])
    return world, flags


def test_an_older_rf30_does_not_hide_a_later_circle() -> None:
    """RF30 names one inspector for one window; a circle that buries the same officer's flags
    in a later window it does not overlap is RF30.b's. With 3 dismissals in 60 days: THIRD
    dismisses three in late 2024 (RF30), then INSPECTOR and COLLEAGUE take turns in 2025."""
    world, flags = third_alone_in_2024()
    (alone,) = rule(world, "RF30")
    assert alone.officer_id == THIRD and numbers(alone)["window_until"] == "2024-12-02"
    world.add(*[dispose(x, "FlagDismissed", day, inspector=who) for x, day, who in zip(
        flags[3:7], ["2025-03-01", "2025-03-05", "2025-03-10", "2025-03-15"],
        [INSPECTOR, COLLEAGUE, INSPECTOR, COLLEAGUE])])
    raised = rule(world, "RF30.b")
    assert sorted(x.officer_id or "" for x in raised) == sorted([INSPECTOR, COLLEAGUE])
    assert {(numbers(x)["window_from"], numbers(x)["window_until"], numbers(x)["dismissed"])
            for x in raised} == {("2025-01-15", "2025-03-15", 4)}
    expected = compute_flags(world.events, world.params, at=AT)
    got = _incremental(world.events, AT, world.params)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_a_circle_overlapping_an_rf30_window_is_left_to_rf30() -> None:
    """The same circle a month after THIRD's RF30: their windows overlap, RF30 names THIRD, and
    the circle's dismissals in that window are not flagged again."""
    world, flags = third_alone_in_2024()
    world.add(*[dispose(x, "FlagDismissed", day, inspector=who) for x, day, who in zip(
        flags[3:7], ["2024-12-20", "2024-12-22", "2024-12-24", "2024-12-26"],
        [INSPECTOR, COLLEAGUE, INSPECTOR, COLLEAGUE])])
    assert len(rule(world, "RF30")) == 1 and rule(world, "RF30.b") == []


def test_a_member_who_joins_a_later_circle_is_flagged_with_the_circle_of_that_window() -> None:
    """Each member's flag is raised at the first window in which they belong to a circle: two
    inspectors form one, then a third joins them in a later window — the first two keep their
    flags naming two, the third's names three."""
    city = with_overrides(national(), "SH-HP", {"protector_min_dismissals": 4,
                                                 "protector_window_days": 60})
    world, flags = eight_flags()
    world.params = city
    world.add(*[dispose(x, "FlagDismissed", day, inspector=who) for x, day, who in zip(
        flags, ["2024-10-01", "2024-10-05", "2024-10-10", "2024-10-15",
                "2024-11-20", "2024-11-25", "2024-11-30", "2024-12-05"],
        [INSPECTOR, COLLEAGUE, INSPECTOR, COLLEAGUE, THIRD, INSPECTOR, THIRD, COLLEAGUE])])
    by = {x.officer_id: numbers(x) for x in rule(world, "RF30.b")}
    assert set(by) == {INSPECTOR, COLLEAGUE, THIRD}
    assert by[INSPECTOR]["circle"] == by[COLLEAGUE]["circle"] == sorted([INSPECTOR, COLLEAGUE])
    assert by[INSPECTOR]["window_until"] == by[COLLEAGUE]["window_until"] == "2024-10-15"
    assert by[THIRD]["circle"] == sorted([INSPECTOR, COLLEAGUE, THIRD])
    assert by[THIRD]["window_until"] == "2024-11-30"


def test_a_dismissal_shared_by_two_members_counts_for_neither() -> None:
    world, flags = receipts_world()
    take_turns(world, flags[:5], [INSPECTOR, COLLEAGUE])
    assert len(rule(world, "RF30.b")) == 2
    world.add(dispose(flags[0], "FlagDismissed", "2025-04-10", inspector=COLLEAGUE))
    assert rule(world, "RF30.b") == []          # 4 counted dismissals of 5 decided


def test_a_third_inspector_s_single_dismissal_does_not_hide_the_circle() -> None:
    """Three dismissers (no more than the circle's three): the one who dismissed once is not
    named, and their dismissal is a decision the circle did not make (5 of 6, 83 %)."""
    world, flags = receipts_world()
    take_turns(world, flags[:5], [INSPECTOR, COLLEAGUE])
    world.add(dispose(flags[5], "FlagDismissed", "2024-10-01", inspector=THIRD))
    raised = rule(world, "RF30.b")
    assert sorted(x.officer_id or "" for x in raised) == [INSPECTOR, COLLEAGUE]
    assert {(numbers(x)["dismissed"], numbers(x)["decided"], numbers(x)["share_bp"])
            for x in raised} == {(5, 6, 8333)}


def test_a_city_may_publish_a_smaller_circle() -> None:
    city = with_overrides(national(), "SH-HP", {"protector_circle_max": 2})
    world, flags = receipts_world()
    world.params = city
    take_turns(world, flags[:6], [INSPECTOR, COLLEAGUE, THIRD])
    assert rule(world, "RF30.b") == []          # three of two each: a circle of 3 > 2
    world.params = national()
    assert len(rule(world, "RF30.b")) == 3
