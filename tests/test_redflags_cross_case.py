"""Cross-case rules: fining in place of management (RF13), the same act fined twice (RF14),
repeated waivers (RF18), officer–party conflict and concentration (RF19)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from fractions import Fraction
from math import comb

import pytest

from projections.redflags import national

from . import domain_factory as f
from .domain_factory import DROP, at, step
from .test_redflags_world import SUMMARY, World, change, drop, insert_after, numbers, until, when

S = f"case:{SUMMARY}"


def publish(day: str, name: str, value: int) -> f.Step:
    """A city parameter in force from ``day``."""
    return step("config:legal-parameters", "LegalParametersPublished", at(day),
                effective_from=day, parameters=[{"name": name, "value": value,
                                                 "unit": "calendar_days", "basis": "local rule"}])


def summary_case(case_id: str, day: str = "2024-09-30", **decision: object) -> list[f.Step]:
    steps = f.summary_case(case_id, day=day)
    steps = change(steps, "OnsiteCashCollected", receipt_no=f"R-{case_id[-6:]}")
    return change(steps, "PenaltyDecided", **decision) if decision else steps


def shifted(steps: list[f.Step], delta: timedelta) -> list[f.Step]:
    return [f.Step(s.stream, s.type, (when(s.occurred_at[:16]) + delta).isoformat(), s.body)
            for s in steps]


# --- RF13 ---------------------------------------------------------------------------------------

def test_rf13_fine_without_an_order_to_rectify() -> None:
    flag = World(drop(f.summary_case(SUMMARY), "RectificationOrdered")).one("RF13.a")
    assert flag.status == "raised"


def test_rf13_a_fine_made_anew_after_a_withdrawal_needs_its_order_to_rectify_too() -> None:
    world = World(drop(f.redecided_case(), "RectificationOrdered"))
    [_, anew] = [e for e in world.events if e.type == "PenaltyDecided"]
    assert world.one("RF13.a").event_ids == (anew.event_id,)     # the withdrawn fine is not


def test_rf13_order_to_rectify_after_the_decision_clears_the_flag() -> None:
    steps = drop(f.summary_case(SUMMARY), "RectificationOrdered")
    order = step(S, "RectificationOrdered", at("2024-10-02"), party_ref=f.VENDOR, deadline=None)
    assert World(steps + [order]).one("RF13.a").status == "cleared"


def test_rf13_posting_fined_without_a_refusal_to_clean_up() -> None:
    steps = summary_case(SUMMARY, violation_code="POSTING_SH")
    assert numbers(World(steps).one("RF13.b"))["violation_code"] == "POSTING_SH"


def test_rf13_refusal_to_rectify_or_a_prior_written_warning_satisfies_the_precondition() -> None:
    refused = step(S, "RectificationVerified", at("2024-09-30", "10:04:00"), result="refused")
    steps = insert_after(summary_case(SUMMARY, violation_code="POSTING_SH"),
                         "RectificationOrdered", refused)
    assert World(steps).flags(rule="RF13") == []
    earlier = [step("case:SH-HP-2024-W-1", "WarningIssued", at("2024-08-01"), party_ref=f.VENDOR,
                    violation_code="SORTING_BJ")]
    sorting = summary_case(SUMMARY, violation_code="SORTING_BJ", amount_fen=5_000)
    assert World(earlier, sorting).flags(rule="RF13.b") == []
    assert World(sorting).one("RF13.b")


def test_rf13_an_order_to_another_party_is_no_order_to_the_party_fined() -> None:
    """APL 第28条 orders the party (当事人) to correct: in a case against a vendor and a company,
    the company ordered to clear the pile, refusing, and the vendor fined, RF13.a and RF13.b
    counted the company's order (and refusal) as the vendor's and raised nothing."""
    both = [{"party_ref": f.VENDOR, "party_type": "individual"},
            {"party_ref": f.COMPANY, "party_type": "organisation"}]
    steps = change(summary_case(SUMMARY, violation_code="POSTING_SH"), "CaseFiled",
                   parties=both)
    steps = change(steps, "RectificationOrdered", party_ref=f.COMPANY)
    refused = step(S, "RectificationVerified", at("2024-09-30", "10:04:00"), result="refused")
    world = World(insert_after(steps, "RectificationOrdered", refused))
    [fine] = [e.event_id for e in world.events if e.type == "PenaltyDecided"]
    assert [(x.rule_id, x.event_ids[0], x.party_ref) for x in world.flags(rule="RF13")] == [
        ("RF13.a", fine, f.VENDOR), ("RF13.b", fine, f.VENDOR)]
    own = insert_after(steps, "RectificationOrdered", step(
        S, "RectificationOrdered", at("2024-09-30", "10:03:30"), party_ref=f.VENDOR,
        deadline=None), refused)
    assert World(own).flags(rule="RF13") == []


def test_rf13_sorting_bj_precondition_binds_individuals_only() -> None:
    """BJ_LJ 第67条: an individual is fined only after a written warning and a repeat (劝阻 ->
    书面警告 -> 再次违反); a unit is fined 1 000 CNY at once (the schedule's organisation_first
    band, the precondition 'individual: ...'). A unit's first fine was flagged as lacking it."""
    unit = summary_case(SUMMARY, violation_code="SORTING_BJ", amount_fen=100_000,
                        party={"party_ref": f.VENDOR, "party_type": "organisation"})
    assert World(unit).flags(rule="RF13.b") == []
    assert World(summary_case(SUMMARY, violation_code="SORTING_BJ", amount_fen=5_000)).one(
        "RF13.b")


def test_rf13_toll_pattern_three_fines_in_thirty_days_without_rectification() -> None:
    cases = [summary_case(f"SH-HP-2024-S-0001{i}", day=d)
             for i, d in enumerate(("2024-09-02", "2024-09-10", "2024-09-24"))]
    flag = World(*cases).one("RF13.c")
    assert numbers(flag)["fines"] == 3 and flag.party_ref == f.VENDOR


def test_rf13_verified_rectification_between_fines_breaks_the_toll_pattern() -> None:
    cases = [summary_case(f"SH-HP-2024-S-0001{i}", day=d)
             for i, d in enumerate(("2024-09-02", "2024-09-10", "2024-09-24"))]
    verified = step("case:SH-HP-2024-S-00011", "RectificationVerified", at("2024-09-12"))
    assert World(*cases, [verified]).flags(rule="RF13.c") == []


def test_rf13_toll_pattern_records_the_parameter_version_that_judged_it() -> None:
    """The window and count are those in force at the first fine; the flag named the version in
    force at the last one (published in between), which an auditor would then judge it by."""
    cases = [summary_case(f"SH-HP-2024-S-0001{i}", day=d)
             for i, d in enumerate(("2024-09-02", "2024-09-10", "2024-09-24"))]
    wider = publish("2024-09-15", "toll_window_days", 60)
    flag = World(cases[0], cases[1], [wider], cases[2]).one("RF13.c")
    assert numbers(flag)["window_days"] == 30
    assert flag.params_version == national().version


# --- RF14 ---------------------------------------------------------------------------------------

def test_rf14_same_stall_fined_twice_for_the_same_act() -> None:
    second = summary_case("SH-HP-2024-S-004513")
    flag = World(summary_case(SUMMARY), second).one("RF14")
    assert (numbers(flag)["first_case"], numbers(flag)["second_case"]) == (
        SUMMARY, "SH-HP-2024-S-004513")


def test_rf14_continuing_after_the_rectification_deadline_is_a_new_act() -> None:
    first = change(summary_case(SUMMARY), "RectificationOrdered",
                   deadline=at("2024-09-30", "12:00:00"))
    second = shifted(summary_case("SH-HP-2024-S-004513"), timedelta(hours=4))
    second = change(second, "CaseFiled", violation_occurred_at=at("2024-09-30", "09:50:00"))
    assert World(first, second).flags(rule="RF14") == []
    no_deadline = summary_case(SUMMARY)
    assert World(no_deadline, second).one("RF14")


def continuing(ended_at: str) -> list[f.Step]:
    """The same stall, fined again four hours later in a second case that records its act as
    the continuing state that began at 09:50 and was last found going on at ``ended_at``."""
    second = shifted(summary_case("SH-HP-2024-S-004513"), timedelta(hours=4))
    return change(second, "CaseFiled", violation_occurred_at=at("2024-09-30", "09:50:00"),
                  violation_ended_at=ended_at)


def test_rf14_going_on_after_an_order_to_correct_at_once_and_the_fine_is_a_new_act() -> None:
    """Ordered at 10:03 to remove the stall at once (责令立即改正) and fined at 10:05, the vendor
    stays: the second case records the state still going on at 13:50, a new act (APL 第28条).
    RF14 raised it, as an order with no deadline never made one."""
    assert World(summary_case(SUMMARY), continuing(at("2024-09-30", "13:50:00"))).flags(
        rule="RF14") == []


def test_rf14_a_later_act_recorded_as_ended_before_the_order_and_decision_is_the_same() -> None:
    """Near misses of the new act: the second case's act, as it records it, ended at 10:04 —
    before the first decision (at once), or before the first order's 12:00 deadline. Nothing
    went on after them, so the second fine is for the act the first punished. With a deadline,
    RF14 took the second decision (14:05, after it) for the act's end and said new act."""
    ended = continuing(at("2024-09-30", "10:04:00"))
    assert World(summary_case(SUMMARY), ended).one("RF14")
    by_noon = change(summary_case(SUMMARY), "RectificationOrdered",
                     deadline=at("2024-09-30", "12:00:00"))
    flag = World(by_noon, continuing(at("2024-09-30", "11:00:00"))).one("RF14")
    assert numbers(flag)["second_act"][1] == when("2024-09-30T11:00").isoformat()
    assert World(by_noon, continuing(at("2024-09-30", "12:30:00"))).flags(rule="RF14") == []


def test_rf14_acts_more_than_200_metres_apart_are_different_acts() -> None:
    here = {"lat_e6": 31236512, "lon_e6": 121484023, "grid_id": "HP-G-0113"}
    there = {"lat_e6": 31239512, "lon_e6": 121484023, "grid_id": "HP-G-0113"}   # ~334 m north
    first = summary_case(SUMMARY, location=here)
    second = summary_case("SH-HP-2024-S-004513", location=there)
    assert World(first, second).flags(rule="RF14") == []


# --- RF18 ---------------------------------------------------------------------------------------

def waiver_case(case_id: str, day: str, *, basis: str = "APL33-1",
                by: str = f.OFFICER_A) -> list[f.Step]:
    s = f"case:{case_id}"
    return [
        step(s, "CaseFiled", at(day), procedure="summary", filing_no=f"W-{case_id}",
             parties=[{"party_ref": f.VENDOR, "party_type": "individual"}],
             violation_code="STALL_SH", approved_by=DROP),
        step(s, "EvidenceRecorded", at(day, "10:02:00"), evidence_id=f"EV-{case_id}",
             captured_at=at(day, "10:01:00")),
        step(s, "WaiverGranted", at(day, "10:10:00"), basis=basis, decided_by=[by]),
    ]


def test_rf18_first_violation_waiver_for_a_party_fined_within_the_year() -> None:
    flag = World(summary_case(SUMMARY), waiver_case("W-1", "2025-03-03")).one("RF18.a")
    assert numbers(flag)["prior_kinds"] == ["decision"]


def test_rf18_first_violation_waiver_after_the_look_back_or_a_mandatory_waiver() -> None:
    assert World(summary_case(SUMMARY), waiver_case("W-1", "2025-10-06")).flags(
        rule="RF18") == []
    assert World(summary_case(SUMMARY), waiver_case("W-1", "2025-03-03",
                                                    basis="APL33-1-S1")).flags(rule="RF18") == []


def test_rf18_a_local_first_violation_list_waiver_for_a_party_fined_within_the_year() -> None:
    """A waiver under a local first-violation list (LOCAL_LIST: 首违不罚清单, docs/events.md)
    is first-violation relief as APL 第33条第1款's is: granted to a vendor fined in the year
    before, it raised nothing (RF18.a read APL33-1 alone)."""
    flag = World(summary_case(SUMMARY), waiver_case("W-1", "2025-03-03",
                                                    basis="LOCAL_LIST")).one("RF18.a")
    assert numbers(flag)["prior_kinds"] == ["decision"] and numbers(flag)["basis"] == "LOCAL_LIST"
    assert World(summary_case(SUMMARY), waiver_case("W-1", "2025-10-06",
                                                    basis="LOCAL_LIST")).flags(rule="RF18") == []


def test_rf18_repeated_waivers_for_the_same_party_and_by_the_same_officer() -> None:
    world = World(waiver_case("W-1", "2025-03-03", basis="APL32"),
                  waiver_case("W-2", "2025-06-02", basis="LOCAL_LIST"))
    # the second, a first-violation list's, also follows a waiver within the year (RF18.a)
    assert world.rules() == ["RF18.a", "RF18.b", "RF18.c"]
    assert world.one("RF18.c").officer_id == f.OFFICER_A
    other = World(waiver_case("W-1", "2025-03-03", basis="APL32"),
                  waiver_case("W-2", "2025-06-02", basis="LOCAL_LIST", by=f.OFFICER_B))
    assert other.rules() == ["RF18.a", "RF18.b"]


def test_rf18_no_fault_waivers_are_mandatory_not_discretionary_relief() -> None:
    """APL 第33条第2款: 当事人有证据足以证明没有主观过错的，不予行政处罚 — mandatory like
    APL33-1-S1, APL30 and APL31, yet two no-fault waivers in a year were 'repeated relief'."""
    assert World(waiver_case("W-1", "2025-03-03", basis="APL33-2"),
                 waiver_case("W-2", "2025-06-02", basis="APL33-2")).flags(rule="RF18") == []


def test_rf18_repeated_waivers_record_the_parameter_version_that_judged_them() -> None:
    wider = publish("2025-04-01", "waiver_window_days", 400)
    world = World(waiver_case("W-1", "2025-03-03", basis="APL32"), [wider],
                  waiver_case("W-2", "2025-06-02", basis="LOCAL_LIST"))
    for rule in ("RF18.b", "RF18.c"):
        flag = world.one(rule)
        assert numbers(flag)["window_days"] == 365
        assert flag.params_version == national().version


def test_rf18_mandatory_waivers_may_repeat() -> None:
    world = World(waiver_case("W-1", "2025-03-03", basis="APL33-1-S1"),
                  waiver_case("W-2", "2025-06-02", basis="APL33-1-S1"))
    assert world.flags(rule="RF18") == []


# --- RF19 ---------------------------------------------------------------------------------------

def test_rf19_officer_related_to_the_party_acts_without_recusal() -> None:
    relation = step(f"officer:{f.OFFICER_B}", "RelationshipDeclared", at("2024-01-10"),
                    party_ref=f.VENDOR)
    flag = World([relation], f.summary_case(SUMMARY)).one("RF19.a")
    assert flag.officer_id == f.OFFICER_B and numbers(flag)["relation"] == "relative"


def test_rf19_relation_declared_after_the_case_still_flags_it() -> None:
    relation = step(f"officer:{f.OFFICER_B}", "RelationshipDeclared", at("2024-11-10"),
                    party_ref=f.VENDOR)
    assert World(f.summary_case(SUMMARY), [relation]).one("RF19.a")


def test_rf19_recusal_after_the_first_act_clears_and_other_parties_do_not_matter() -> None:
    relation = step(f"officer:{f.OFFICER_B}", "RelationshipDeclared", at("2024-01-10"),
                    party_ref=f.VENDOR)
    steps = until(f.summary_case(SUMMARY), "CaseFiled") + [step(
        S, "RecusalDecided", at("2024-09-30", "10:00:30"))]
    assert World([relation], steps).one("RF19.a").status == "cleared"
    other = step(f"officer:{f.OFFICER_B}", "RelationshipDeclared", at("2024-01-10"),
                 party_ref="pty:SomeoneElse01")
    assert World([other], f.summary_case(SUMMARY)).flags(rule="RF19") == []


def test_rf19_a_refused_recusal_does_not_clear_the_conflict() -> None:
    relation = step(f"officer:{f.OFFICER_B}", "RelationshipDeclared", at("2024-01-10"),
                    party_ref=f.VENDOR)
    steps = until(f.summary_case(SUMMARY), "CaseFiled") + [step(
        S, "RecusalDecided", at("2024-09-30", "10:00:30"), decision="refused")]
    world = World([relation], steps)
    flag = world.one("RF19.a")
    assert flag.status == "raised"
    # the head's refusal is part of the story: cited, dated and named, or an inspector reads
    # "without recusal" and never learns that one was asked for and who refused it
    refusal = steps[-1]
    assert next(e.event_id for e in world.events if e.type == "RecusalDecided") in flag.event_ids
    assert (numbers(flag)["recusal_refused_at"], numbers(flag)["recusal_refused_by"]) == (
        "2024-09-30T10:00:30+08:00", refusal.body["decided_by"])
    assert flag.summary.endswith(f"(recusal refused by {refusal.body['decided_by']})")
    assert flag.summary_zh.endswith(f"（回避申请已被 {refusal.body['decided_by']} 驳回）")


def _decision(case_id: str, day: str, officer: str, party: str, grid: str) -> list[f.Step]:
    s = f"case:{case_id}"
    officers = [{"officer_id": officer, "cert_no": "C" + officer[-4:] + "0000"},
                {"officer_id": officer + "-P", "cert_no": "C" + officer[-4:] + "9999"}]
    where = {"lat_e6": 31236512, "lon_e6": 121484023, "grid_id": grid}
    return [step(s, "CaseFiled", at(day), procedure="summary", officers=officers, parties=[
        {"party_ref": party, "party_type": "individual"}], violation_code="STALL_SH",
        approved_by=DROP, location=where),
        step(s, "PenaltyDecided", at(day, "10:05:00"), procedure="summary", officers=officers,
             decided_by=[officer], party={"party_ref": party, "party_type": "individual"},
             violation_code="STALL_SH", amount_fen=10_000, benchmark_tier=DROP, location=where)]


def _grid_quarter(target_party_cases_by_a: int, other_party_cases: int, *, grid: str
                  ) -> list[list[f.Step]]:
    """100 decisions in one grid in 2024-Q4: officer A fines ``target`` the given number of
    times among 10 cases; nine other officers fine 90 other parties, ``other_party_cases`` of
    them the target party too."""
    out, n = [], 0
    days = [f"2024-10-{d:02d}" for d in range(8, 31)] + [f"2024-11-{d:02d}" for d in range(1, 29)]
    for i in range(10):
        party = f.VENDOR if i < target_party_cases_by_a else f"pty:other{i:08d}"
        out.append(_decision(f"Q-A-{i}", days[n % len(days)], f.OFFICER_A, party, grid))
        n += 1
    for j in range(90):
        officer = f"SH-HP-09{j % 9:02d}"
        party = f.VENDOR if j < other_party_cases else f"pty:party{j:08d}"
        out.append(_decision(f"Q-X-{j}", days[n % len(days)], officer, party, grid))
        n += 1
    return out


def test_rf19_officer_fines_one_party_far_more_often_than_the_grid_explains() -> None:
    world = World(*_grid_quarter(5, 0, grid="HP-G-0113"))
    flags = world.flags(rule="RF19.b")
    assert sorted(x.officer_id for x in flags) == [f.OFFICER_A, f.OFFICER_A + "-P"]  # and partner
    flag = next(x for x in flags if x.officer_id == f.OFFICER_A)
    assert flag.party_ref == f.VENDOR
    assert "次（期望值 " in flag.summary_zh and "，泊松检验P值 " in flag.summary_zh
    assert numbers(flag)["cases_together"] == 5 and numbers(flag)["expected"] == "0.500"
    assert [x.officer_id for x in world.flags(rule="RF19.c")] == [f.OFFICER_A + "-P"]  # no post


def test_rf19_concentration_names_the_unit_most_of_its_cases_were_in() -> None:
    """RF19.b named the unit of the latest case together. Officer A fined the vendor four
    times in unit SH-HP-CG-02's cases, then was posted to SH-HP-CG-05 and fined the vendor once
    more in a case of that unit: the flag went to CG-05's inspector, out of sight of CG-02's,
    who holds four of the five cases. It now names the unit most of them were in, as RF17 and
    RF20.c do (docs/red-flags.md, Statistics)."""
    lifecycles = _grid_quarter(5, 0, grid="HP-G-0113")
    moved = "SH-HP-CG-05"
    lifecycles[4] = [replace(s, body={**s.body, "unit_id": moved}) if s.type == "CaseFiled"
                     else s for s in lifecycles[4]]
    flag = next(x for x in World(*lifecycles).flags(rule="RF19.b")
                if x.officer_id == f.OFFICER_A)
    assert numbers(flag)["cases"][-1] == "Q-A-4"          # the latest case together, in CG-05
    assert flag.unit_id == f.UNIT == "SH-HP-CG-02"


def _hypergeometric_tail(k: int, grid: int, officer: int, party: int) -> Fraction:
    """P(X ≥ k) for the officer's cases with the party given both margins (Fisher's exact
    test, one-sided): exact fractions."""
    return sum((Fraction(comb(party, i) * comb(grid - party, officer - i), comb(grid, officer))
                for i in range(k, min(officer, party) + 1)), Fraction(0))


def test_rf19_poisson_tail_is_not_below_the_exact_conditional_tail() -> None:
    """RF24's plug-in Poisson tail was too small because its rate came from the other days'
    count alone. RF19.b's expectation officer_cases × party_cases / grid_cases includes the
    pair's own cases in both margins, and its Poisson tail is not below the exact test given
    the margins (hypergeometric): 5 together of A's 10 and the party's 5 among 100 cases,
    p = 1.7e-4 by hand, exact 3.3e-6. (No table with ≤ 59 cases meeting RF19.b's ≥ 3 and
    ≥ 5 × guards has a Poisson tail below the exact one: docs/red-flags.md RF19.)"""
    flag = next(x for x in World(*_grid_quarter(5, 0, grid="HP-G-0113")).flags(rule="RF19.b")
                if x.officer_id == f.OFFICER_A)
    n = numbers(flag)
    k, grid, officer, party = (n["cases_together"], n["grid_cases"], n["officer_cases"],
                               n["party_cases"])
    assert (k, grid, officer, party) == (5, 100, 10, 5)
    lam = officer * party / grid
    poisson = 1 - math.exp(-lam) * sum(lam ** i / math.factorial(i) for i in range(k))
    assert float(n["p_value"]) == pytest.approx(poisson, rel=5e-3)
    exact = _hypergeometric_tail(k, grid, officer, party)
    assert exact == Fraction(comb(10, 5), comb(100, 5))
    assert float(n["p_value"]) > 50 * float(exact)


def test_rf19_fixed_post_officer_meeting_a_frequent_violator_is_not_concentration() -> None:
    assert World(*_grid_quarter(5, 15, grid="HP-G-0113")).flags(rule="RF19") == []


def test_rf19_concentration_outside_the_officers_grids() -> None:
    flags = World(*_grid_quarter(5, 0, grid="HP-G-0999")).flags(rule="RF19.c")
    flag = next(x for x in flags if x.officer_id == f.OFFICER_A)
    assert numbers(flag)["outside_post"] == 5
