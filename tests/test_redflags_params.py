"""Parameters as versioned configuration: national defaults, city overrides, and configuration
published on the ledger taking effect from its date — never retroactively — with every flag
recording the version it used."""

from __future__ import annotations

import pytest

from projections.redflags import FlagEngine, ParamsError, compute_flags, national, with_overrides

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_world import SUMMARY, World, change, drop, numbers, when

S = f"case:{SUMMARY}"


def bank_summary(case_id: str, day: str, amount_fen: int) -> list[f.Step]:
    steps = drop(f.summary_case(case_id, day=day, amount_fen=amount_fen), "OnsiteCashCollected",
                 "OnsiteCashRemitted", "AgencyDeposited", "SummaryDecisionFiled",
                 "TreasuryReconciled", "CaseClosed")
    return change(steps, "PenaltyDecided", payment_method="e_payment")


def limit_published(limit_fen: int, effective_from: str, published: str, *,
                    name: str = "summary_procedure_max_fine_individual") -> f.Step:
    return step("config:legal-parameters", "LegalParametersPublished", at(published),
                parameters_version="SH-2024.2", effective_from=effective_from, parameters=[
                    {"name": name, "value": limit_fen, "unit": "fen", "basis": "local rule"}])


# --- versions and overrides -----------------------------------------------------------------------

def test_version_is_a_stable_hash_of_the_content() -> None:
    assert national().version == national().version
    assert national().version.startswith("national@") and len(national().version) == 25
    a = with_overrides(national(), "SH", {"hearing_threshold_individual_fen": 500_000})
    b = with_overrides(national(), "SH", {"hearing_threshold_individual": 500_000})
    c = with_overrides(national(), "SH", {"hearing_threshold_individual_fen": 400_000})
    assert a.version == b.version != c.version
    assert a.legal.hearing_threshold_individual_fen == 500_000


def test_overrides_merge_on_top_of_national_defaults() -> None:
    city = with_overrides(national(), "BJ", {"summary_decision_filing_days": 2,
                                             "stats_min_n": 30, "head_roles": ["unit_head"]})
    assert city.legal.summary_decision_filing_working_days == 2
    assert city.thresholds.stats_min_n == 30 and city.thresholds.head_roles == ("unit_head",)
    assert city.legal.min_officers == national().legal.min_officers
    assert city.thresholds.bh_q_bp == 500


def test_the_head_extension_limit_keeps_its_old_and_yaml_names() -> None:
    """The 30 days one head may extend the decision deadline by were an unused parameter named
    ``default_decision_extension_days``; RF12 now reads it as
    ``decision_extension_head_max_days``, and a city (or a publication) spelling the old or the
    yaml's name still sets it."""
    assert national().legal.decision_extension_head_max_days == 30
    for name in ("decision_extension_head_max_days", "default_decision_extension_days",
                 "decision_extension"):
        city = with_overrides(national(), "X", {name: 60})
        assert city.legal.decision_extension_head_max_days == 60


def test_unknown_or_mistyped_overrides_are_refused() -> None:
    with pytest.raises(ParamsError, match="unknown parameter 'summary_limit'"):
        with_overrides(national(), "X", {"summary_limit": 1})
    with pytest.raises(ParamsError, match="stats_min_n must be an integer"):
        with_overrides(national(), "X", {"stats_min_n": 2.5})
    with pytest.raises(ParamsError, match="head_roles must be a list"):
        with_overrides(national(), "X", {"head_roles": "unit_head"})


def test_every_flag_records_the_parameter_version_it_used() -> None:
    city = with_overrides(national(), "SH-HP", {"late_document_hours": 48})
    flags = World(drop(f.summary_case(SUMMARY), "RectificationOrdered"), params=city).flags()
    assert flags and {x.params_version for x in flags} == {city.version}


# --- configuration published on the ledger --------------------------------------------------------

def test_published_limit_applies_from_its_effective_day() -> None:
    world = World([limit_published(15_000, "2024-10-01", "2024-09-20")],
                  bank_summary(SUMMARY, "2024-09-30", 18_000),
                  bank_summary("SH-HP-2024-S-004600", "2024-10-08", 18_000))
    flag = world.one("RF03")
    assert flag.case_id == "SH-HP-2024-S-004600" and numbers(flag)["limit_fen"] == 15_000
    assert flag.params_version != national().version
    assert flag.params_version.startswith("national@")


def test_the_latest_publication_wins_whichever_accepted_name_each_one_used() -> None:
    world = World([limit_published(15_000, "2024-09-01", "2024-09-01"),
                   limit_published(12_000, "2024-09-15", "2024-09-15",
                                   name="summary_procedure_max_fine_individual_fen"),
                   limit_published(25_000, "2024-10-01", "2024-10-01")],
                  bank_summary(SUMMARY, "2024-09-20", 14_000),
                  bank_summary("SH-HP-2024-S-004600", "2024-10-08", 18_000))
    flag = world.one("RF03")                          # 14 000 > 12 000; 18 000 ≤ 25 000
    assert flag.case_id == SUMMARY and numbers(flag)["limit_fen"] == 12_000


def test_published_configuration_never_applies_before_it_was_published() -> None:
    backdated = limit_published(15_000, "2024-01-01", "2024-10-05")
    world = World([backdated], bank_summary(SUMMARY, "2024-09-30", 18_000),
                  bank_summary("SH-HP-2024-S-004600", "2024-10-08", 18_000))
    assert [x.case_id for x in world.flags(rule="RF03")] == ["SH-HP-2024-S-004600"]


def test_a_later_threshold_does_not_erase_an_earlier_months_period_end_spike() -> None:
    days = (["2024-10-08", "2024-10-15"] + [f"2024-10-{d}" for d in (27, 28, 29, 30, 31, 31)]
            + ["2024-11-05", "2024-11-12"] + [f"2024-11-{d}" for d in (26, 27, 28, 29, 30, 30)])
    world = World(*[f.summary_case(f"SH-HP-2024-S-{i:06d}", day=d) for i, d in enumerate(days)])
    before = world.one("RF24")
    world.add(step("config:legal-parameters", "LegalParametersPublished", at("2025-01-02"),
                   effective_from="2025-01-01", parameters=[
                       {"name": "spike_min_count", "value": 100, "unit": "count",
                        "basis": "local rule"}]),
              *f.summary_case("SH-HP-2025-S-000001", day="2025-02-10"))
    after = world.one("RF24")                 # Oct–Nov 2024 judged under 2024's thresholds
    assert after.flag_id == before.flag_id and after.params_version == before.params_version


def test_published_fine_schedule_and_benchmark_table_are_used_in_their_period() -> None:
    schedule = step("config:fine-schedule", "FineSchedulePublished", at("2024-01-02"),
                    effective_from="2024-01-02", entries=[
                        {"code": "STALL_SH", "name": "占道设摊", "basis": "local",
                         "ranges": [{"band": "any", "min_fen": 5_000, "max_fen": 8_000}]}])
    assert numbers(World([schedule], f.summary_case(SUMMARY)).one("RF15.a"))["max_fen"] == 8_000
    table = step("config:benchmarks", "DiscretionBenchmarkPublished", at("2024-01-02"),
                 effective_until="2024-06-30")
    steps = change(f.summary_case(SUMMARY), "PenaltyDecided", benchmark_tier="serious")
    assert World([table], steps).flags(rule="RF16") == []          # table expired in June
    current = change([table], "DiscretionBenchmarkPublished", effective_until=None)
    assert numbers(World(current, steps).one("RF16.b"))["band_min_fen"] == 35_000


def test_a_benchmark_table_published_after_its_period_ended_never_applies() -> None:
    late = step("config:benchmarks", "DiscretionBenchmarkPublished", at("2024-08-01"),
                effective_until="2024-06-30")
    steps = change(f.summary_case(SUMMARY), "PenaltyDecided", benchmark_tier="serious")
    assert World([late], steps).flags(rule="RF16") == []


def test_deadlines_in_a_year_without_a_calendar_wait_for_its_publication() -> None:
    steps = drop(f.summary_case(SUMMARY, day="2027-03-01"), "OnsiteCashRemitted",
                 "AgencyDeposited", "SummaryDecisionFiled", "TreasuryReconciled", "CaseClosed")
    world = World(steps)
    assert world.flags(when("2027-06-01"), rule="RF05") == []      # 2027 not covered
    world.add(step("config:calendar", "WorkingCalendarPublished", at("2027-03-02"), year=2027,
                   holidays=["2027-03-02"], makeup_workdays=[], source="test notice"))
    flag = world.one("RF05.b", when("2027-06-01"))
    assert numbers(flag)["due"] == "2027-03-04"                    # 2 Mar is a holiday here


def test_incremental_evaluation_follows_published_configuration() -> None:
    world = World(bank_summary(SUMMARY, "2024-10-08", 18_000),
                  [limit_published(15_000, "2024-10-01", "2024-09-20")])
    expected = compute_flags(world.events, national(), at=when("2025-01-01"))
    assert "RF03" in {x.rule_id for x in expected}
    engine = FlagEngine(national())
    held: dict[str, list] = {}
    for rec in world.events:
        subjects = engine.apply(rec)
        fresh = engine.evaluate(subjects, when("2025-01-01"))
        for s in subjects:
            held[str(s)] = []
        for x in fresh:
            held.setdefault(x.scope, []).append(x)
    got = sorted((x for v in held.values() for x in v),
                 key=lambda x: (x.raised_at, x.rule_id, x.flag_id))
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_flag_times_are_shown_in_the_latest_published_zone_the_rules_count_days_in() -> None:
    """Every legal day is counted in the latest published zone, but a flag's times were written
    in the zone in force on its anchor's day: UTC published after a decision at 07:00+08:00 on
    27 March (26 March in UTC, the day RF09.c judged) still showed 27 March."""
    utc = step("config:legal-parameters", "LegalParametersPublished", at("2025-04-10"),
               effective_from="2025-04-10", parameters=[
                   {"name": "legal_utc_offset_minutes", "value": 0, "unit": "minutes",
                    "basis": "local rule (test)"}])
    steps = change(f.withdrawn_case(), "PenaltyNoticeServed", hearing_eligible=True)
    steps = change(steps, "PenaltyDecided", occurred_at=at("2025-03-27", "07:00:00"))
    before = World(steps).one("RF09.c")
    flag = World(steps + [utc]).one("RF09.c")
    assert flag.raised_at == numbers(flag)["decided_at"] == "2025-03-26T23:00:00+00:00"
    assert numbers(flag)["notice_served_at"] == "2025-03-24T02:00:00+00:00"
    assert flag.flag_id == before.flag_id       # the id never depended on the shown zone


def test_city_calendar_and_benchmarks_come_from_published_bodies() -> None:
    city = with_overrides(national(), "SH-HP", {
        "benchmarks": [f.body("DiscretionBenchmarkPublished")],
        "calendar": [f.body("WorkingCalendarPublished")]})
    assert city.benchmark("STALL_SH", "individual").band("general") == (15_000, 35_000)
    assert city.days().is_working(when("2024-10-12").date().toordinal()) is True
    assert city.describe()["benchmarks"] == 1


def lists_published(published: str, **lists: list[str]) -> f.Step:
    return step("config:detection-lists", "DetectionListsPublished", at(published),
                parameters_version="SH-2024.1-lists", jurisdiction="上海市",
                effective_from=published, lists=[
                    {"name": name, "values": values, "basis": "local rule (test)"}
                    for name, values in lists.items()])


def test_list_valued_thresholds_are_published_on_the_ledger_from_their_effective_day() -> None:
    """Until 2026-11-28 a list-valued threshold (which approval forms count, which roles are
    行政机关负责人, which codes need a prior refusal …) came only from code overrides, which the
    service does not take: a city requiring its principal head to approve extensions could not
    say so on a served ledger. A DetectionListsPublished replaces a list whole, from its
    effective day, never before its publication; unknown names and integer parameters in it are
    ignored."""
    from .test_redflags_time import DEPUTY_POST
    from .test_redflags_world import general_case
    by_deputy = change(general_case(), "ExtensionApproved", approval_form="deputy_head",
                       approved_by=f.DEPUTY)                     # approved in 2024-05
    assert World(DEPUTY_POST, by_deputy).flags(rule="RF12") == []
    principal_only = lists_published("2024-01-02", no_such_list=["x"], stats_min_n=["30"],
                                     extension_approval_forms=["agency_head",
                                                               "collective_discussion"])
    world = World([principal_only], DEPUTY_POST, by_deputy)
    assert {x.rule_id for x in world.flags(rule="RF12")} == {"RF12.a", "RF12.b"}   # late, unapproved
    assert world.one("RF12.a").params_version != national().version
    late = lists_published("2024-09-01", extension_approval_forms=["agency_head"])
    assert World([late], DEPUTY_POST, by_deputy).flags(rule="RF12") == []


def test_the_version_in_force_at_an_instant_is_the_one_of_its_legal_day() -> None:
    """The rules find the parameters of an instant in one bisection over the versions' first
    instants (ParamsTimeline.by_instant); at_day takes the instant's legal day. Around each
    version's first instant (midnight in the legal zone: 16:00 UTC the day before), both name
    the same version, and it changes at that instant, not a second before or after."""
    from datetime import date

    from projections.redflags.engine import Ctx
    from projections.redflags.flag import Subject
    from projections.redflags.fold import Fold
    from projections.redflags.params import ParamsTimeline
    timeline = ParamsTimeline(national())
    changes = [("2024-03-01", 10_000), ("2024-06-15", 20_000), ("2024-09-30", 30_000)]
    for index, (day, limit) in enumerate(changes):
        timeline.publish(type="LegalParametersPublished", index=index, event_id=f"e{index}",
                         published_day=date(2024, 1, 1).toordinal(), body={
                             "effective_from": day, "parameters": [
                                 {"name": "summary_procedure_max_fine_individual",
                                  "value": limit, "unit": "fen", "basis": "local rule"}]})
    days = timeline.latest().days()
    ctx = Ctx(Fold(days), timeline, days, 0, Subject("case", "C"), {})
    assert len(timeline.by_instant(days)[1]) == 4          # national and three changes
    for day, _ in changes:
        first = days.start(date.fromisoformat(day).toordinal())
        assert first % 86_400 == 16 * 3600                  # 00:00 at UTC+08:00
        for ts in (first - 1, first, first + 1):
            assert ctx.params(ts) is timeline.at_day(days.day(ts))
        assert ctx.params(first - 1) is not ctx.params(first)
