"""Rules about the people acting: credentials (RF02), posts, territory and powers (RF21), the
integrity-pledge chain up to the unit head (RF22)."""

from __future__ import annotations

import random

from projections.redflags import national, with_overrides

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_world import SUMMARY, World, change, general_case, numbers, pledges

S = f"case:{SUMMARY}"
A_STREAM = f"officer:{f.OFFICER_A}"
AUX = {"officer_id": f.AUXILIARY}
A = {"officer_id": f.OFFICER_A, "cert_no": f.CERT_A}


# --- RF02 credentials -----------------------------------------------------------------------------

def test_rf02_auxiliary_staff_deciding_a_penalty() -> None:
    steps = change(f.summary_case(SUMMARY), "PenaltyDecided", officers=[A, AUX],
                   decided_by=[f.OFFICER_A, f.AUXILIARY])
    flag = World(f.auxiliary_setup(), steps).one("RF02")
    assert flag.officer_id == f.AUXILIARY and numbers(flag)["status"] == "auxiliary"
    assert flag.summary_zh == f"{f.AUXILIARY} 未持有效执法证件（协管员）实施“作出行政处罚决定”"


def test_rf02_auxiliary_staff_filming_evidence_is_not_an_enforcement_act() -> None:
    steps = change(f.summary_case(SUMMARY), "EvidenceRecorded", officers=[A, AUX])
    assert World(f.auxiliary_setup(), steps).flags(rule="RF02") == []


def test_rf02_acting_while_the_credential_is_suspended() -> None:
    suspension = step(A_STREAM, "OfficerCredentialSuspended", at("2024-09-01"),
                      cert_no=f.CERT_A, effective_at=at("2024-09-01"), until="2024-10-31")
    flags = World([suspension], f.summary_case(SUMMARY)).flags(rule="RF02")
    assert {numbers(x)["event_type"] for x in flags} == {
        "CaseFiled", "RectificationOrdered", "PenaltyDecided", "OnsiteCashCollected"}
    assert {numbers(x)["status"] for x in flags} == {"suspended"}


def test_rf02_suspension_recorded_after_the_acts_still_covers_them() -> None:
    suspension = step(A_STREAM, "OfficerCredentialSuspended", at("2024-12-01"),
                      cert_no=f.CERT_A, effective_at=at("2024-09-01"), until="2024-10-31")
    assert World(f.summary_case(SUMMARY), [suspension]).flags(rule="RF02")


def test_rf02_suspension_that_ended_before_the_act() -> None:
    suspension = step(A_STREAM, "OfficerCredentialSuspended", at("2024-06-01"),
                      cert_no=f.CERT_A, effective_at=at("2024-06-01"), until="2024-09-29")
    assert World([suspension], f.summary_case(SUMMARY)).flags(rule="RF02") == []


def test_rf02_credential_valid_through_its_last_day_and_expired_the_day_after() -> None:
    def world(valid_until: str) -> World:
        staff = [s for s in f.staff() if not (s.stream == A_STREAM
                                              and s.type == "OfficerCredentialIssued")]
        issued = step(A_STREAM, "OfficerCredentialIssued", at("2023-01-02"), cert_no=f.CERT_A,
                      valid_from="2023-01-01", valid_until=valid_until, unit_id=f.UNIT)
        return World([issued], staff, pledges(2024), f.summary_case(SUMMARY), with_staff=False)
    assert world("2024-09-30").flags(rule="RF02") == []
    assert {numbers(x)["status"] for x in world("2024-09-29").flags(rule="RF02")} == {"expired"}


def test_rf02_certificate_not_issued_to_the_person() -> None:
    steps = change(f.summary_case(SUMMARY), "PenaltyDecided",
                   officers=[{"officer_id": f.OFFICER_A, "cert_no": "99999999"},
                             {"officer_id": f.OFFICER_B, "cert_no": f.CERT_B}])
    flag = World(steps).one("RF02")
    assert numbers(flag)["status"] == "unknown_certificate"


# --- RF21 post, territory, powers -----------------------------------------------------------------

ELSEWHERE = {"lat_e6": 31230000, "lon_e6": 121470000, "grid_id": "HP-G-0200"}


def test_rf21_decision_outside_the_assigned_grid_without_dispatch() -> None:
    steps = change(f.summary_case(SUMMARY), "PenaltyDecided", location=ELSEWHERE)
    flags = World(steps).flags(rule="RF21.a")
    assert sorted(x.officer_id for x in flags) == [f.OFFICER_A, f.OFFICER_B]
    assert numbers(flags[0])["post_grids"] == ["HP-G-0113", "HP-G-0114"]


def test_rf21_dispatch_order_covering_the_time_and_grid() -> None:
    steps = change(f.summary_case(SUMMARY), "PenaltyDecided", location=ELSEWHERE)
    dispatch = step(f"unit:{f.UNIT}", "DispatchOrderIssued", at("2024-09-30", "09:30:00"),
                    grid_ids=["HP-G-0200"], window_from=at("2024-09-30", "09:30:00"),
                    window_until=at("2024-09-30", "12:00:00"))
    assert World([dispatch], steps).flags(rule="RF21") == []
    expired = change([dispatch], "DispatchOrderIssued", window_until=at("2024-09-30", "10:00:00"))
    assert World(expired, steps).flags(rule="RF21.a")


def test_rf21_dispatch_recorded_after_the_act_still_covers_it() -> None:
    steps = change(f.summary_case(SUMMARY), "PenaltyDecided", location=ELSEWHERE)
    dispatch = step(f"unit:{f.UNIT}", "DispatchOrderIssued", at("2024-09-30", "09:30:00"),
                    grid_ids=["HP-G-0200"], window_from=at("2024-09-30", "09:30:00"),
                    window_until=at("2024-09-30", "12:00:00"))
    assert World(steps, [dispatch]).flags(rule="RF21") == []


def test_rf21_a_later_dispatch_for_another_time_leaves_the_flag_as_the_service_holds_it() -> None:
    """Found by ``ledger flags`` on a served synthetic city (tests/test_offline_flags_city.py):
    the service held RF21.a with ``dispatch_orders_checked`` 1 where the whole-log bundle gave
    2. The number counted every dispatch order of the officer ever folded, while a dispatch
    order re-evaluates only the cases acted in during its window: one for another day raised
    the count without re-evaluating the flag. It now counts the orders in force at the act's
    time (those checked against its grid), which are exactly those that re-evaluate it."""
    from .test_redflags_world import AT, _incremental

    steps = change(f.summary_case(SUMMARY), "PenaltyDecided", location=ELSEWHERE)
    elsewhere_then = step(f"unit:{f.UNIT}", "DispatchOrderIssued", at("2024-09-30", "09:30:00"),
                          grid_ids=["HP-G-0300"], window_from=at("2024-09-30", "09:30:00"),
                          window_until=at("2024-09-30", "12:00:00"))
    another_day = step(f"unit:{f.UNIT}", "DispatchOrderIssued", at("2024-10-08", "09:30:00"),
                       grid_ids=["HP-G-0200"], window_from=at("2024-10-08", "09:30:00"),
                       window_until=at("2024-10-08", "12:00:00"))
    world = World([elsewhere_then], steps, [another_day])
    rebuilt = [x.to_value() for x in world.flags()]
    assert [x.to_value() for x in _incremental(world.events, AT)] == rebuilt
    flags = world.flags(rule="RF21.a")
    assert len(flags) == 2 and all(numbers(x)["dispatch_orders_checked"] == 1 for x in flags)


def test_rf21_act_outside_the_units_territory() -> None:
    params = with_overrides(national(), "SH-HP", {"unit_grids": {
        f.UNIT: ["HP-G-0113", "HP-G-0114", "HP-G-0200"]}})
    outside = {"lat_e6": 31230000, "lon_e6": 121470000, "grid_id": "JA-G-0001"}
    steps = change(f.summary_case(SUMMARY), "PenaltyDecided", location=outside)
    assert numbers(World(steps, params=params).one("RF21.b"))["grid_id"] == "JA-G-0001"
    inside = change(f.summary_case(SUMMARY), "PenaltyDecided", location=ELSEWHERE)
    assert World(inside, params=params).flags(rule="RF21.b") == []


def test_rf21_violation_outside_the_units_power_list() -> None:
    params = with_overrides(national(), "SH-HP", {"power_list": {"*": ["STALL_SH"]}})
    assert World(f.summary_case(SUMMARY), params=params).flags(rule="RF21") == []
    flag = World(general_case(), params=params).one("RF21.c")
    assert numbers(flag)["violation_code"] == "PILEUP_SH"


# --- RF22 integrity pledge chain ------------------------------------------------------------------

def test_rf22_officers_acting_without_any_pledge() -> None:
    world = World(f.staff(), f.summary_case(SUMMARY), with_staff=False)
    flags = world.flags(rule="RF22")
    assert sorted(x.officer_id for x in flags) == [f.OFFICER_A, f.OFFICER_B]
    assert {numbers(x)["chain_status"] for x in flags} == {"none"}
    assert flags[0].summary_zh == (f"{flags[0].officer_id} 于 2024 年有 1 日在廉政建设责任书未层层"
                                   "签订到位时执法（本人未签订）")
    assert flags[0].severity == "low"


def test_rf22_chain_broken_where_the_unit_head_has_no_pledge() -> None:
    chain = [s for s in pledges(2024) if s.body["officer_id"] != f.HEAD]
    flags = World(f.staff(), chain, f.summary_case(SUMMARY), with_staff=False).flags(rule="RF22")
    assert {(numbers(x)["chain_status"], numbers(x)["broken_at"]) for x in flags} == {
        ("broken", f.HEAD)}
    assert all(x.summary_zh.endswith("时执法（上级未签订）") for x in flags)


def test_rf22_pledge_countersigned_by_someone_other_than_the_direct_superior() -> None:
    chain = [s for s in pledges(2024) if s.body["officer_id"] != f.OFFICER_A]
    chain += f.pledge_chain_steps(f.OFFICER_A, f.DEPUTY, pledge_id="PL-A-wrong", top=True)
    flags = World(f.staff(), chain, f.summary_case(SUMMARY), with_staff=False).flags(rule="RF22")
    assert [(x.officer_id, numbers(x)["chain_status"]) for x in flags] == [
        (f.OFFICER_A, "wrong_countersigner")]
    assert flags[0].summary_zh.endswith("时执法（非由直接上级签署）")


def test_rf22_a_pledge_signed_but_never_countersigned_is_not_called_unsigned() -> None:
    """The officer signed; their superior never countersigned. The chain is incomplete, but the
    flag said 本人未签订 (the officer did not sign), and an inspector would ask the wrong person."""
    chain = [s for s in pledges(2024) if not (s.body["officer_id"] == f.OFFICER_A
                                              and s.type == "IntegrityPledgeCountersigned")]
    flags = World(f.staff(), chain, f.summary_case(SUMMARY), with_staff=False).flags(rule="RF22")
    assert [(x.officer_id, numbers(x)["chain_status"], numbers(x)["broken_at"])
            for x in flags] == [(f.OFFICER_A, "uncountersigned", f.OFFICER_A)]
    assert flags[0].summary_zh.endswith("时执法（本人已签订，上级未签署）")


def test_rf22_a_superior_whose_own_pledge_was_never_countersigned() -> None:
    chain = [s for s in pledges(2024) if not (s.body["officer_id"] == f.HEAD
                                              and s.type == "IntegrityPledgeCountersigned")]
    flags = World(f.staff(), chain, f.summary_case(SUMMARY), with_staff=False).flags(rule="RF22")
    assert {(numbers(x)["chain_status"], numbers(x)["broken_at"]) for x in flags} == {
        ("superior_uncountersigned", f.HEAD)}
    # said of the superior, not of the officer who signed and whose pledge was countersigned
    assert all(x.summary_zh.endswith("时执法（上级已签订，其上级未签署）") for x in flags)


def test_rf22_complete_chain_up_to_the_unit_head() -> None:
    assert World(f.summary_case(SUMMARY)).flags(rule="RF22") == []


def territory_published(grids: list[str], effective_from: str, published: str) -> f.Step:
    return step(f"config:territory-{f.UNIT}", "UnitTerritoryPublished", at(published),
                unit_id=f.UNIT, grid_ids=grids, effective_from=effective_from,
                source="辖区划分通知 (test)")


def test_rf21_a_territory_published_on_the_ledger_is_judged_from_its_effective_day() -> None:
    """A running service takes no city overrides (docs/red-flags.md, Parameters): until
    2026-11-28 a unit's territory could only be given in code, so RF21.b was never judged on a
    served ledger. Published on the log, it applies from its effective day, never before its
    publication, and the unit's next publication replaces it whole."""
    outside = {"lat_e6": 31230000, "lon_e6": 121470000, "grid_id": "JA-G-0001"}
    act = change(f.summary_case(SUMMARY), "PenaltyDecided", location=outside)   # 2024-09-30
    ours = ["HP-G-0113", "HP-G-0114", "HP-G-0200"]
    flag = World([territory_published(ours, "2024-09-01", "2024-08-20")], act).one("RF21.b")
    assert numbers(flag)["territory_grids"] == ours
    assert flag.params_version != national().version
    backdated = territory_published(ours, "2024-01-01", "2024-10-05")
    assert World([backdated], act).flags(rule="RF21.b") == []
    widened = territory_published(ours + ["JA-G-0001"], "2024-09-15", "2024-09-15")
    assert World([territory_published(ours, "2024-09-01", "2024-08-20"), widened],
                 act).flags(rule="RF21.b") == []


def test_rf21_c_a_power_list_published_on_the_ledger_applies_to_its_unit_or_to_every_unit() -> None:
    def powers(unit: str | None, codes: list[str], published: str = "2024-01-02") -> f.Step:
        return step(f"config:powers-{unit or 'all'}", "PowerListPublished", at(published),
                    unit_id=unit, violation_codes=codes, effective_from="2024-01-02",
                    source="权力清单 (test)")
    everyone = powers(None, ["STALL_SH"])
    assert World([everyone], f.summary_case(SUMMARY)).flags(rule="RF21") == []
    flag = World([everyone], general_case()).one("RF21.c")
    assert numbers(flag)["violation_code"] == "PILEUP_SH"
    own = powers(f.UNIT, ["STALL_SH", "PILEUP_SH"])          # the unit's own list comes first
    assert World([everyone, own], general_case()).flags(rule="RF21") == []
    late = powers(f.UNIT, ["STALL_SH"], published="2024-06-01")     # after the case was filed
    assert World([late], general_case()).flags(rule="RF21") == []


def test_rf22_and_the_dashboards_pledge_chain_walk_every_chain_alike() -> None:
    """The chain is walked twice — by RF22 over the engine's facts and by the officer page over
    the read models — so the two must agree on every shape a chain can take: a pledge missing,
    signed and never countersigned, countersigned by another, a head's pledge short of the top,
    a circle, a period that does not cover the day (random chains, fixed seeds)."""
    from api.dashboard import pledge_chain

    from .test_case_model import Folder
    from .test_redflags_world import PARTY_SECRETARY

    def link(rng: random.Random, who: str, n: int) -> list[f.Step]:
        right = PARTY_SECRETARY if who == f.HEAD else f.HEAD
        shape = rng.choice(("none", "signed", "right", "right", "wrong", "other_year", "a"))
        if shape == "none":
            return []
        by = {"wrong": f.DEPUTY, "a": f.OFFICER_A}.get(shape, right)
        steps = f.pledge_chain_steps(who, by, pledge_id=f"PL-{who}-{n}",
                                     top=who == f.HEAD and rng.random() < 0.8,
                                     year=2023 if shape == "other_year" else 2024)
        return steps[:1] if shape == "signed" else steps

    statuses = set()
    for seed in range(200):
        rng = random.Random(seed)
        chain = [s for n, who in enumerate((f.OFFICER_A, f.OFFICER_B, f.HEAD) * 2)
                 if n < 3 or rng.random() < 0.3 for s in link(rng, who, n)]
        steps = f.staff() + chain + f.summary_case(SUMMARY)
        rf22 = {x.officer_id: numbers(x)["chain_status"]
                for x in World(steps, with_staff=False).flags(rule="RF22")}
        history = f.History()
        folder = Folder().fold(history.extend(steps))
        for oid in (f.OFFICER_A, f.OFFICER_B):
            shown, _ = pledge_chain(oid, "2024-09-30", folder.officers.get)
            assert (seed, oid, rf22.get(oid, "complete")) == (seed, oid, shown)
            statuses.add(shown)
    assert statuses == {"complete", "none", "uncountersigned", "broken",
                        "superior_uncountersigned", "wrong_countersigner", "cycle"}
