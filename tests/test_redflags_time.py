"""Deadline rules fire when time passes — only once ``at`` passes the deadline — count working
days from the official calendar (holidays and make-up days), and clear when the late act
arrives."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from projections.redflags import FlagEngine, Subject, national, with_overrides

from . import domain_factory as f
from .domain_factory import DROP, at, step
from .test_redflags_world import (
    AT,
    GENERAL,
    SUMMARY,
    World,
    _incremental,
    change,
    drop,
    general_case,
    insert_after,
    numbers,
    until,
    when,
)

S = f"case:{SUMMARY}"
G = f"case:{GENERAL}"
NO = "沪黄城管罚〔2024〕第123号"


# --- RF05 cash handed in 2 + 2 working days ------------------------------------------------------

def test_rf05_cash_not_handed_in_fires_only_after_the_second_working_day() -> None:
    world = World(drop(f.summary_case(SUMMARY), "OnsiteCashRemitted", "AgencyDeposited"))
    assert world.flags(when("2024-10-09T23:59"), rule="RF05") == []   # Oct 1–7 are holidays
    flag = world.one("RF05.b", when("2024-10-10T00:00"))
    assert flag.status == "raised" and flag.raised_at == "2024-10-10T00:00:00+08:00"
    assert numbers(flag)["due"] == "2024-10-09"


def test_rf05_cash_handed_in_after_the_national_day_holiday_is_in_time() -> None:
    assert World(f.summary_case(SUMMARY)).flags(rule="RF05") == []


def test_rf05_late_remittance_clears_the_flag_and_names_the_late_event() -> None:
    world = World(change(f.summary_case(SUMMARY), "OnsiteCashRemitted",
                         occurred_at=at("2024-10-11")))
    remitted = next(e for e in world.events if e.type == "OnsiteCashRemitted")
    flag = world.one("RF05.b")
    assert flag.status == "cleared" and flag.cleared_by == remitted.event_id
    assert flag.cleared_at == "2024-10-11T10:00:00+08:00"
    assert numbers(flag)["days_late"] == 2


def test_rf05_make_up_sunday_counts_as_a_working_day() -> None:
    # Fri 27 Sep + 2 working days = Mon 30 Sep, because Sun 29 Sep 2024 is a 调休 working day
    steps = f.summary_case(SUMMARY, day="2024-09-27")
    steps = change(steps, "OnsiteCashRemitted", occurred_at=at("2024-09-30", "17:00:00"))
    steps = change(steps, "AgencyDeposited", occurred_at=at("2024-10-08"))
    assert World(steps).flags(rule="RF05") == []
    late = change(steps, "OnsiteCashRemitted", occurred_at=at("2024-10-01", "09:00:00"))
    assert numbers(World(late).one("RF05.b"))["due"] == "2024-09-30"


def test_rf05_agency_deposits_cash_late() -> None:
    steps = change(f.summary_case(SUMMARY), "AgencyDeposited", occurred_at=at("2024-10-14"))
    flag = World(steps).one("RF05.c")
    assert numbers(flag)["due"] == "2024-10-10" and flag.status == "cleared"


def test_rf05_says_in_chinese_that_the_due_day_itself_was_still_in_time() -> None:
    """The last day in time is the due day itself (APL 第71条 二日内). The Chinese said
    未在 2024-10-09 前交至行政机关 — "not before 9 October", which reads as if handing the cash in
    on the 9th were late — where the English says "by" and every other deadline says 至 … 未."""
    world = World(drop(f.summary_case(SUMMARY), "OnsiteCashRemitted", "AgencyDeposited"))
    assert world.one("RF05.b").summary_zh == (
        "2024-09-30 当场收缴的罚款 100.00 元至 2024-10-09 未交至行政机关（2 个工作日）")
    late = change(f.summary_case(SUMMARY), "AgencyDeposited", occurred_at=at("2024-10-14"))
    assert World(late).one("RF05.c").summary_zh == (
        "2024-10-08 交至行政机关的罚款至 2024-10-10 未缴付指定银行（2 个工作日）")


def test_rf05_cash_handed_in_part_in_time_says_how_much_was() -> None:
    """100 元 collected on 30 Sep, 50 元 handed in on 8 Oct (in time) and 50 元 on 11 Oct: the
    flag said the 100 元 were not handed in by 9 Oct, and its ``remitted_fen`` (all handed in,
    whenever) could not tell the half in time from the late half."""
    steps = change(f.summary_case(SUMMARY), "OnsiteCashRemitted", amount_fen=5_000)
    rest = step(S, "OnsiteCashRemitted", at("2024-10-11"), amount_fen=5_000,
                receipt_nos=["SH-FK-2024-0098812"], remitted_by=f.OFFICER_A,
                received_by="SH-HP-FIN-03")
    flag = World(insert_after(steps, "OnsiteCashRemitted", rest)).one("RF05.b")
    assert flag.status == "cleared" and numbers(flag)["in_time_fen"] == 5_000
    assert flag.summary == ("100.00 CNY collected on 2024-09-30 not handed to the agency by "
                            "2024-10-09 (2 working days); 50.00 CNY of it by then")
    assert flag.summary_zh == ("2024-09-30 当场收缴的罚款 100.00 元至 2024-10-09 未交至行政机关"
                               "（2 个工作日），其中按期交至 50.00 元")
    assert numbers(World(steps).one("RF05.b", when("2024-10-10")))["in_time_fen"] == 5_000


def test_rf05_cash_without_a_receipt_or_with_a_receipt_used_before() -> None:
    no_receipt = change(f.summary_case(SUMMARY), "OnsiteCashCollected", receipt_no=DROP)
    assert numbers(World(no_receipt).one("RF05.a"))["problem"] == "no_receipt"
    other = f.summary_case("SH-HP-2024-S-004513", day="2024-10-08")
    flag = World(f.summary_case(SUMMARY), other).one("RF05.a")
    assert flag.case_id == "SH-HP-2024-S-004513"
    assert numbers(flag)["first_used_in_case"] == SUMMARY


def test_rf05_a_receipt_reused_is_flagged_on_the_later_collection_whenever_recorded() -> None:
    """The collection of 8 October reused the receipt of 30 September; uploaded first (a device
    syncing late), it made the collection of 30 September the 'second use', flagged as reusing
    a receipt of a collection that had not yet happened. The use later in time is flagged,
    whatever the order of recording."""
    other = f.summary_case("SH-HP-2024-S-004513", day="2024-10-08")
    flag = World(other, f.summary_case(SUMMARY)).one("RF05.a")
    assert flag.case_id == "SH-HP-2024-S-004513"
    assert numbers(flag)["first_used_in_case"] == SUMMARY


def _deposit_recorded(claimed: str, recorded: str, *, remitted: str | None = None) -> World:
    """The summary case (cash handed in Tue 8 Oct 2024, so due at the bank by Thu 10 Oct) with
    its deposit claiming ``claimed`` but recorded at ``recorded`` (UTC), after every other step;
    ``remitted``: the cash handed in then instead."""
    steps = f.summary_case(SUMMARY)
    if remitted is not None:
        steps = change(steps, "OnsiteCashRemitted", occurred_at=remitted)
    deposit = next(s for s in steps if s.type == "AgencyDeposited")
    world = World([s for s in steps if s is not deposit])
    world.record(replace(deposit, occurred_at=claimed), recorded_at=recorded)
    return world


def test_rf08_i_a_deposit_recorded_after_the_bank_deadline_ran_out_dated_inside_it() -> None:
    """A deposit dated 10 Oct, RF05.c's last day, entered by the finance office twenty days
    later: RF05.c met it at its claim and RF08.a leaves the finance office's entries alone, so
    cash the ledger saw sit undeposited past its deadline looked deposited in time and nothing
    was flagged. RF08.i names the record."""
    world = _deposit_recorded(at("2024-10-10", "15:00:00"), "2024-10-30T02:00:00.000000Z")
    assert world.flags(rule="RF05") == []                 # met at its claim, as before
    flag = world.one("RF08")
    deposit = world.events[-1]
    assert flag.rule_id == "RF08.i" and flag.status == "raised"
    assert flag.raised_at == "2024-10-30T10:00:00+08:00"
    assert (flag.scope, flag.case_id, flag.officer_id) == (S, SUMMARY, None)
    assert list(flag.event_ids) == [deposit.event_id]
    assert numbers(flag) == {
        "event_type": "AgencyDeposited", "amount_fen": 10_000,
        "claimed_at": "2024-10-10T15:00:00+08:00", "recorded_at": "2024-10-30T10:00:00+08:00",
        "due": "2024-10-10", "tolerance_minutes": 72 * 60}
    assert flag.summary == ("deposit of 100.00 CNY dated 2024-10-10T15:00:00+08:00 was "
                            "recorded at 2024-10-30T10:00:00+08:00, after the deadline "
                            "2024-10-10 it meets had passed")
    assert flag.summary_zh == ("“罚款缴付指定银行”（100.00 元）所署时间为 "
                               "2024-10-10T15:00:00+08:00，却于缴付指定银行期限 2024-10-10 "
                               "届满后的 2024-10-30T10:00:00+08:00 才记录")


def test_rf08_i_not_for_a_deposit_that_hid_nothing_or_entered_within_the_finance_offices_lag(
) -> None:
    """Entered within 72 h of its claim (RF08.a's allowance for any document: the finance
    office's batch), recorded before the deadline ran out (however long after its claim),
    claiming a time already late (RF05.c names it), or met in time by another deposit on the
    ledger before the deadline ran out: no RF08.i."""
    within = _deposit_recorded(at("2024-10-10", "15:00:00"), "2024-10-13T06:59:00.000000Z")
    # cash handed in Mon 30 Sep, due at the bank Wed 9 Oct (National Day): deposited that
    # evening, entered nine days later, the last evening in time
    before = _deposit_recorded(at("2024-09-30", "18:00:00"), "2024-10-09T12:00:00.000000Z",
                               remitted=at("2024-09-30", "17:00:00"))
    late = _deposit_recorded(at("2024-10-14"), "2024-10-30T02:00:00.000000Z")
    for world in (within, before, late):
        assert world.flags(rule="RF08") == []
    assert late.rules() == ["RF05.c"]
    steps = f.summary_case(SUMMARY)
    deposit = next(s for s in steps if s.type == "AgencyDeposited")
    again = World(steps)                   # deposited in time, entered again weeks later
    again.record(replace(deposit, occurred_at=at("2024-10-10", "15:30:00")),
                 recorded_at="2024-10-30T02:00:00.000000Z")
    assert again.rules() == []
    # the counterparts: 72 h and a minute; the morning after the deadline
    assert _deposit_recorded(at("2024-10-10", "15:00:00"), "2024-10-13T07:01:00.000000Z"
                             ).rules() == ["RF08.i"]
    assert numbers(_deposit_recorded(at("2024-09-30", "18:00:00"), "2024-10-09T18:00:00.000000Z",
                                     remitted=at("2024-09-30", "17:00:00")).one("RF08.i")
                   )["due"] == "2024-10-09"


def test_rf08_i_names_a_deposit_once_when_it_meets_two_remittances(
        caplog: pytest.LogCaptureFixture) -> None:
    """Cash handed in half on Tue 8 Oct and half on Wed 9 Oct, both deposited by one deposit
    dated 10 Oct (the first half's last day) and entered twenty days later: one record, one
    flag, against the first deadline it crossed — raised once, not once per remittance (the
    engine would keep the first and warn of a rule raising one flag twice)."""
    steps = change(f.summary_case(SUMMARY), "OnsiteCashRemitted", amount_fen=5_000)
    rest = step(S, "OnsiteCashRemitted", at("2024-10-09"), amount_fen=5_000,
                receipt_nos=["SH-FK-2024-0098812"], remitted_by=f.OFFICER_A,
                received_by="SH-HP-FIN-03")
    steps = insert_after(steps, "OnsiteCashRemitted", rest)
    deposit = next(s for s in steps if s.type == "AgencyDeposited")
    world = World([s for s in steps if s is not deposit])
    world.record(deposit, recorded_at="2024-10-30T02:00:00.000000Z")
    with caplog.at_level(logging.WARNING):
        assert world.rules() == ["RF08.i"]
    assert "twice" not in caplog.text
    assert numbers(world.one("RF08.i"))["due"] == "2024-10-10"


# --- RF06 payment and reconciliation -------------------------------------------------------------

def test_rf06_payment_through_a_non_designated_channel() -> None:
    steps = change(general_case(), "PaymentRecorded", channel="cash_to_officer")
    assert numbers(World(steps).one("RF06.c"))["channel"] == "cash_to_officer"


def test_rf06_judges_a_case_that_spoilt_a_blank_form_before_its_decision() -> None:
    """A case whose officer voided a spoilt blank form (one no decision was written on) before
    deciding on the next: the engine's index of decisions by party stayed empty when a void was
    on record and the decision did not change the case's decisions, so RF06 judged no decision
    and a fine paid to the officer raised no RF06.c (the synthetic city's GT-0029)."""
    steps = change(general_case(), "PaymentRecorded", channel="cash_to_officer")
    decided = next(s for s in steps if s.type == "PenaltyDecided")
    spoilt = step(G, "DecisionFormVoided", (datetime.fromisoformat(decided.occurred_at)
                                           - timedelta(minutes=1)).isoformat(),
                  form_no="HP-G-2024-000001", reason="misprint")
    steps.insert(steps.index(decided), spoilt)
    assert numbers(World(steps).one("RF06.c"))["channel"] == "cash_to_officer"


def test_rf06f_one_payment_id_recorded_in_two_cases_is_flagged_on_the_later() -> None:
    """A bank payment (its payment_id) credited to a second case, for that case's decision: the
    two records count as recorded, each in its case, and RF06.f names the first, whichever
    case is recorded first."""
    first = general_case()
    paid = next(s for s in first if s.type == "PaymentRecorded")
    other = "SH-HP-2024-000124"
    second = change(general_case(other), "PaymentRecorded", occurred_at=at("2024-08-22"),
                    payment_id=paid.body["payment_id"])
    for world in (World(first, second), World(second, first)):
        flag = world.one("RF06.f")
        assert flag.case_id == other
        assert (numbers(flag)["first_used_in_case"], numbers(flag)["uses"]) == (GENERAL, 2)


def test_rf06_surcharge_above_the_principal_or_at_the_wrong_rate() -> None:
    surcharge = step(G, "SurchargeAssessed", at("2024-09-20"), principal_fen=300_000,
                     rate_bp_per_day=500, days=250, surcharge_fen=350_000)
    steps = insert_after(drop(general_case(), "PaymentRecorded", "TreasuryReconciled",
                              "CaseClosed", "CaseArchived"), "DecisionPublished", surcharge)
    flag = World(steps).one("RF06.d")
    assert numbers(flag)["problems"] == ["above_principal", "wrong_rate"]
    assert flag.summary == ("surcharge 3,500.00 CNY on a 3,000.00 CNY fine at 500 bp/day: "
                            "above_principal, wrong_rate (the rate in force is 300 bp/day)")
    assert flag.summary_zh == ("罚款 3000.00 元，每日按罚款数额的百分之五加处罚款 3500.00 元："
                               "加处罚款的数额超出罚款的数额、未按罚款数额的百分之三加处")


def test_rf06_wrong_rate_is_worded_from_the_citys_rate_not_the_statutes_3_percent() -> None:
    """A city may set the surcharge rate (late_payment_surcharge_bp_per_day): at 250 bp/day a
    surcharge at the statute's 3 % is the wrong one, yet RF06.d said 未按罚款数额的百分之三加处 —
    the rate it had been assessed at. Both sentences now name the rate the flag judged by."""
    city = with_overrides(national(), "SH-HP", {"late_payment_surcharge_bp_per_day": 250})
    base = drop(general_case(), "PaymentRecorded", "TreasuryReconciled", "CaseClosed",
                "CaseArchived")
    steps = insert_after(base, "DecisionPublished", step(     # 24 days overdue, ≤ 250 bp/day
        G, "SurchargeAssessed", at("2024-09-20"), principal_fen=300_000, rate_bp_per_day=300,
        days=24, surcharge_fen=180_000))
    flag = World(steps, params=city).one("RF06.d")
    assert numbers(flag)["problems"] == ["wrong_rate"]
    assert (numbers(flag)["rate_bp"], numbers(flag)["legal_rate_bp"]) == (300, 250)
    assert flag.summary == ("surcharge 1,800.00 CNY on a 3,000.00 CNY fine at 300 bp/day: "
                            "wrong_rate (the rate in force is 250 bp/day)")
    assert flag.summary_zh == ("罚款 3000.00 元，每日按罚款数额的百分之三加处罚款 1800.00 元："
                               "未按罚款数额的百分之二点五加处")


def test_rf06_surcharge_capped_by_the_fine_in_force_not_by_the_principal_it_states() -> None:
    """APL 第72条(一) caps the surcharge at the fine (罚款的数额). The cap was the
    ``principal_fen`` the assessment itself states, so 4 000 CNY assessed on a 3 000 CNY fine
    stating a 6 000 CNY principal passed, and a lawful surcharge stating only the unpaid part
    as its principal was called above it."""
    base = drop(general_case(), "PaymentRecorded", "TreasuryReconciled", "CaseClosed",
                "CaseArchived")
    inflated = step(G, "SurchargeAssessed", at("2024-09-20"), principal_fen=600_000,
                    rate_bp_per_day=300, days=30, surcharge_fen=400_000)
    flag = World(insert_after(base, "DecisionPublished", inflated)).one("RF06.d")
    assert numbers(flag)["problems"] == ["above_principal"]
    assert numbers(flag)["fine_fen"] == 300_000
    unpaid_part = step(G, "SurchargeAssessed", at("2024-09-20"), principal_fen=100_000,
                       rate_bp_per_day=300, days=50, surcharge_fen=150_000)
    assert World(insert_after(base, "DecisionPublished", unpaid_part)).flags(
        rule="RF06.d") == []


def _surcharged(day: str, surcharge_fen: int, days: int) -> World:
    """The general case left unpaid, with a surcharge at 3 %/day on its 3 000 CNY fine."""
    base = drop(general_case(), "PaymentRecorded", "TreasuryReconciled", "CaseClosed",
                "CaseArchived")
    return World(insert_after(base, "DecisionPublished", step(
        G, "SurchargeAssessed", at(day), principal_fen=300_000, rate_bp_per_day=300, days=days,
        surcharge_fen=surcharge_fen)))


def test_rf06_surcharge_assessed_before_the_payment_deadline_passed() -> None:
    """APL 第72条(一): 到期不缴纳的 — a surcharge only accrues after the payment period. One
    assessed on its last day (served 12 Aug, 15 days: 27 Aug) raised nothing."""
    flag = _surcharged("2024-08-27", 9_000, 1).one("RF06.d")
    assert numbers(flag)["problems"] == ["before_payment_due"]
    assert numbers(flag)["payment_due"] == "2024-08-27"
    assert _surcharged("2024-08-28", 9_000, 1).flags(rule="RF06.d") == []


def test_rf06_surcharge_above_3_percent_a_day_since_the_payment_deadline() -> None:
    """24 days after the deadline (27 Aug to 20 Sep) 3 % a day of a 3 000 CNY fine is 2 160 CNY;
    more, still under the fine, raised nothing."""
    flag = _surcharged("2024-09-20", 216_001, 24).one("RF06.d")
    assert numbers(flag)["problems"] == ["above_accrued"]
    assert (numbers(flag)["days_overdue"], numbers(flag)["accrued_max_fen"]) == (24, 216_000)
    assert _surcharged("2024-09-20", 216_000, 24).flags(rule="RF06.d") == []


def _planned(*schedule: tuple[str, int], kind: str = "instalments", **plan: object
             ) -> list[f.Step]:
    """The general case left unpaid, with a plan approved by the head on 20 Aug (before the
    statutory deadline of 27 Aug) on the party's application."""
    base = drop(general_case(), "PaymentRecorded", "TreasuryReconciled", "CaseClosed",
                "CaseArchived")
    return insert_after(base, "DecisionPublished", step(
        G, "InstalmentApproved", at("2024-08-20"), kind=kind,
        schedule=[{"due_date": d, "amount_fen": a} for d, a in schedule], **plan))


def _paid(steps: list[f.Step], *payments: tuple[str, int]) -> list[f.Step]:
    return steps + [step(G, "PaymentRecorded", at(d), payment_id=f"PAY-{i}", decision_no=NO,
                         amount_fen=a, covers="instalment") for i, (d, a) in enumerate(payments)]


def _surcharge(steps: list[f.Step], day: str, surcharge_fen: int, days: int) -> list[f.Step]:
    return steps + [step(G, "SurchargeAssessed", at(day), principal_fen=300_000,
                         rate_bp_per_day=300, days=days, surcharge_fen=surcharge_fen)]


def test_rf06_party_paying_on_an_approved_instalment_schedule_is_not_unpaid() -> None:
    """APL 第66条第2款: two instalments approved on the party's application, paid on their days
    (the last on 15 Nov 2024, after the statutory deadline of 27 Aug)."""
    plan = _planned(("2024-10-15", 150_000), ("2024-11-15", 150_000))
    world = World(_paid(plan, ("2024-10-15", 150_000), ("2024-11-15", 150_000)))
    assert world.flags(rule="RF06") == []


def test_rf06_an_approved_plan_moves_the_payment_deadline_rather_than_ending_the_follow_up() -> None:  # noqa: E501
    """The plan counted as RF06.e's follow-up, so a fine never paid on an approved deferral
    (to 3 Mar 2025) was never flagged; it is now due on the deferred date, and unpaid 90 days
    after it with no surcharge or enforcement."""
    world = World(_planned(("2025-03-03", 300_000), kind="deferral"))
    flag = world.one("RF06.e")
    assert (numbers(flag)["payment_due"], numbers(flag)["follow_up_by"]) == (
        "2025-03-03", "2025-06-03")       # + 90 days: Sun 1 Jun, then the 端午 holiday
    assert numbers(flag)["plan"] == "deferral"
    assert world.flags(when("2025-06-03T23:59"), rule="RF06") == []


def test_rf06_surcharge_assessed_during_an_approved_deferral_is_before_the_payment_due() -> None:
    """Assessed on 20 Sep, after the statutory deadline (27 Aug) but during a deferral to
    3 Mar 2025: 到期不缴纳的 only — the approved deferral is the deadline."""
    steps = _surcharge(_planned(("2025-03-03", 300_000), kind="deferral"), "2024-09-20",
                       72_000, 24)
    flag = World(steps).one("RF06.d")
    assert numbers(flag)["problems"] == ["before_payment_due"]
    assert numbers(flag)["payment_due"] == "2025-03-03"


def test_rf06_surcharge_counts_from_the_first_instalment_not_paid_on_its_day() -> None:
    plan = _planned(("2024-09-13", 150_000), ("2024-10-15", 150_000))
    missed = World(_surcharge(plan, "2024-09-20", 63_000, 7))     # 13 Sep + 7 days
    assert missed.flags(rule="RF06.d") == []
    paid_first = World(_surcharge(_paid(plan, ("2024-09-12", 150_000)), "2024-09-20",
                                  63_000, 7))
    flag = paid_first.one("RF06.d")
    assert numbers(flag)["problems"] == ["before_payment_due"]
    assert numbers(flag)["payment_due"] == "2024-10-15"


def test_rf06_a_plan_the_party_did_not_apply_for_or_an_investigator_approved_moves_nothing() -> None:  # noqa: E501
    """经当事人申请和行政机关批准: without the party's application, or approved by an
    investigator of the case (as RF12.b an extension), the statutory deadline stands."""
    for plan in ({"party_applied": False}, {"approved_by": f.OFFICER_A}):
        steps = _planned(("2025-03-03", 300_000), kind="deferral", **plan)
        # the surcharge runs from the statutory deadline; the plan is still a follow-up act
        assert World(_surcharge(steps, "2024-09-20", 72_000, 24)).flags(rule="RF06") == []


def test_rf06_closed_as_paid_with_less_received_than_due() -> None:
    steps = change(general_case(), "PaymentRecorded", amount_fen=250_000)
    steps = change(steps, "TreasuryReconciled", amount_fen=250_000)
    world = World(steps)
    assert numbers(world.one("RF06.b"))["received_fen"] == 250_000
    assert world.one("RF06.a")          # reconciled amount is not the amount due


def test_rf06_amount_due_follows_the_latest_amendment_in_world_time_not_in_log_order() -> None:
    paid = change(change(general_case(), "PaymentRecorded", amount_fen=250_000),
                  "TreasuryReconciled", amount_fen=250_000)
    decided = until(paid, "DecisionPublished")
    world = World(decided)
    world.add(step(G, "PenaltyAmended", at("2024-08-15"), decision_no=NO,
                   previous_amount_fen=300_000, amount_fen=250_000))
    world.record(step(G, "PenaltyAmended", at("2024-08-10"), decision_no=NO,   # uploaded late
                      previous_amount_fen=300_000, amount_fen=280_000),
                 recorded_at="2024-08-16T02:00:00.000000Z")
    world.add(*paid[len(decided):])
    assert world.flags(rule="RF06") == []     # 250 000 fen in force since 15 Aug, and paid


def test_rf06_closed_as_paid_without_reconciliation_clears_when_it_arrives() -> None:
    steps = drop(general_case(), "TreasuryReconciled", "CaseArchived")
    world = World(steps)
    assert world.one("RF06.a").status == "raised"
    world.add(step(G, "TreasuryReconciled", at("2024-09-02"), amount_fen=300_000))
    flag = world.one("RF06.a")
    assert flag.status == "cleared" and flag.cleared_by == world.events[-1].event_id


def test_rf06_unpaid_with_no_follow_up_fires_90_days_after_the_payment_period() -> None:
    steps = until(general_case(), "DecisionPublished")
    world = World(steps)
    # served 2024-08-12; 15 days -> 2024-08-27; + 90 days -> 2024-11-25
    assert world.flags(when("2024-11-25T23:59"), rule="RF06.e") == []
    assert numbers(world.one("RF06.e", when("2024-11-26")))["follow_up_by"] == "2024-11-25"
    surcharge = step(G, "SurchargeAssessed", at("2024-09-20"), principal_fen=300_000,
                     rate_bp_per_day=300, days=20, surcharge_fen=180_000)
    assert World(steps + [surcharge]).flags(rule="RF06") == []


REDECIDED, ANEW = "SH-HP-2025-000032", "沪黄城管罚〔2025〕第58号"


def _redecided(*without: str) -> list[f.Step]:
    """``redecided_case`` without the listed steps of the decision made anew."""
    return [s for s in f.redecided_case(REDECIDED)
            if not (s.type in without and s.body.get("decision_no") == ANEW)]


def test_rf06_a_decision_made_anew_after_a_withdrawal_is_judged_on_its_own_payment() -> None:
    assert World(f.redecided_case(REDECIDED)).flags() == []
    steps = change(f.redecided_case(REDECIDED), "PaymentRecorded", channel="cash_to_officer")
    assert World(steps).one("RF06.c").case_id == REDECIDED
    steps = change(f.redecided_case(REDECIDED), "PaymentRecorded", amount_fen=100_000)
    steps = change(steps, "TreasuryReconciled", amount_fen=100_000)
    assert numbers(World(steps).one("RF06.b"))["due_fen"] == 150_000


def test_rf06_a_surcharge_on_a_withdrawn_decision_is_not_due_on_the_one_made_anew() -> None:
    """A surcharge assessed on the first decision before its withdrawal was added to what the
    decision made anew was due (the case view counts it 0): the new fine paid in full was
    'short' and its reconciliation did not match."""
    surcharge = step(f"case:{REDECIDED}", "SurchargeAssessed", at("2025-04-02"),
                     principal_fen=200_000, days=10, surcharge_fen=60_000,
                     from_date="2025-03-23", to_date="2025-04-01")
    steps = insert_after(f.redecided_case(REDECIDED), "DecisionPublished", surcharge)
    # (assessed inside the first decision's payment period, served 28 March: RF06.d, alone)
    assert [x.rule_id for x in World(steps).flags(rule="RF06")] == ["RF06.d"]
    # nor is it a follow-up of the new fine left unpaid (served 21 April: due 6 May + 90 days)
    unpaid = insert_after(_redecided("PaymentRecorded", "TreasuryReconciled", "CaseClosed"),
                          "DecisionPublished", surcharge)
    assert numbers(World(unpaid).one("RF06.e"))["follow_up_by"] == "2025-08-04"


def test_rf06_judges_the_latest_decision_in_world_time_not_the_last_recorded() -> None:
    """The withdrawn decision recorded after the one made anew (a late record) was taken for
    the case's decision: the new decision's payment to an officer raised nothing."""
    steps = change(f.redecided_case(REDECIDED), "PaymentRecorded", channel="cash_to_officer")
    first = next(s for s in steps if s.type == "PenaltyDecided")
    assert World([s for s in steps if s is not first] + [first]).one("RF06.c").case_id \
        == REDECIDED


def _reopened(*after: f.Step) -> list[f.Step]:
    """The general case paid and closed, its decision then revoked on reconsideration (复议,
    after the closing) and made anew for 2,000 CNY, served and published, then ``after``."""
    party = {"party_ref": f.COMPANY, "party_type": "organisation"}
    anew = "沪黄城管罚〔2024〕第301号"
    return drop(general_case(), "CaseArchived") + [
        step(G, "PenaltyWithdrawn", at("2024-10-08"), decision_no=NO, reason="reconsideration",
             refund_required=True),
        step(G, "DecisionPublicationWithdrawn", at("2024-10-09"), decision_no=NO),
        step(G, "PenaltyDecided", at("2024-11-05"), decision_no=anew, party=party,
             amount_fen=200_000),
        step(G, "DecisionServed", at("2024-11-06"), decision_no=anew, method="in_person",
             party_present=True),
        step(G, "DecisionPublished", at("2024-11-07"), decision_no=anew,
             publication_ref="PUB-2024-HP-0999"),
        *[f.Step(G, s.type, s.occurred_at, {**s.body, "decision_no": anew})
          if "decision_no" in s.body else s for s in after]]


def test_rf06_judges_the_closing_of_the_decision_in_force_not_one_before_it() -> None:
    """A case closed as paid, reopened on reconsideration and decided anew: RF06 judged the
    first closing (of the revoked decision, paid in full) against the new fine — "closed as
    'paid' with 0 fen received of 200000 fen" and no reconciliation of it, while the new
    decision was not due yet — and never the closing of the new one."""
    assert World(_reopened()).flags(when("2024-11-10"), rule="RF06") == []
    paid = [step(G, "PaymentRecorded", at("2024-11-15"), amount_fen=200_000,
                 payment_id="PAY-3101-2024-990001"),
            step(G, "TreasuryReconciled", at("2024-11-20"), amount_fen=200_000),
            step(G, "CaseClosed", at("2024-11-22"), outcome="paid")]
    assert World(_reopened(*paid)).flags(rule="RF06") == []
    short = [*paid[:1], paid[2]]         # closed as paid again with no reconciliation
    assert World(_reopened(*short)).one("RF06.a").event_ids[0] == World(
        _reopened(*short)).events[-1].event_id


# --- RF12 deadlines -------------------------------------------------------------------------------

def test_rf12_decision_after_90_days_without_an_approved_extension() -> None:
    flag = World(drop(general_case(), "ExtensionApproved")).one("RF12.a")
    assert numbers(flag)["due"] == "2024-07-22" and flag.status == "cleared"


def test_rf12_approved_extension_moves_the_decision_deadline() -> None:
    assert World(general_case()).flags(rule="RF12") == []


#: the deputy head, holding a head's post (head_roles) from 2023
DEPUTY_POST = f.officer_setup(f.DEPUTY, "31010210003", superior=None, role="unit_head")


def test_rf12_extension_approved_by_a_deputy_head_counts() -> None:
    """The extension rules let 负责人 approve it, and 行政机关负责人 includes the deputies (as
    RF20.a reads it); a deputy's approval was refused, so a case decided on day 107 of 90 + 30
    was flagged late twice."""
    steps = change(general_case(), "ExtensionApproved", approval_form="deputy_head",
                   approved_by=f.DEPUTY)
    assert World(DEPUTY_POST, steps).flags(rule="RF12") == []


def test_rf12_an_extension_approved_as_the_head_by_someone_holding_no_head_post_counts_nothing(
        ) -> None:
    """An approval is the head's (负责人) only if the approver is one: the legal reviewer, or a
    person with no post on the ledger, naming the form agency_head or deputy_head extended the
    decision deadline by 30 days, so a subordinate could give a case the time only a head may.
    The approver's post at the approval is read as RF20.a, RF16.b and RF11.d read it."""
    def by(approver: str, form: str) -> list[f.Step]:
        return change(general_case(), "ExtensionApproved", approval_form=form,
                      approved_by=approver)
    world = World(by(f.LEGAL, "agency_head"))
    assert world.rules() == ["RF12.a", "RF12.b"]
    assert numbers(world.one("RF12.a"))["due"] == "2024-07-22"
    flag = world.one("RF12.b")
    assert (numbers(flag)["counted_days"], numbers(flag)["approver_role"]) == (
        0, "legal_reviewer")
    assert flag.summary.endswith(f"approved by {f.LEGAL} (legal_reviewer), not a head of the "
                                 "agency (负责人)")
    assert "批准人 SH-HP-0301 非行政机关负责人" in flag.summary_zh
    assert numbers(World(by(f.DEPUTY, "deputy_head")).one("RF12.b"))["approver_role"] \
        == "unknown"
    # collective discussion is the body's decision, whoever signs it
    assert World(by(f.LEGAL, "collective_discussion")).flags(rule="RF12") == []


def test_rf12_a_head_post_recorded_after_the_extension_makes_it_count() -> None:
    """Whenever the approver's post is recorded, it is the post at the approval that counts
    (as RF23.b): the deputy's post from 2023, recorded after the decision, clears both flags."""
    steps = change(general_case(), "ExtensionApproved", approval_form="deputy_head",
                   approved_by=f.DEPUTY)
    assert World(steps).rules() == ["RF12.a", "RF12.b"]
    assert World(steps, DEPUTY_POST).flags(rule="RF12") == []


def test_rf12_a_city_that_requires_the_principal_head_refuses_a_deputys_extension() -> None:
    steps = change(general_case(), "ExtensionApproved", approval_form="deputy_head",
                   approved_by=f.DEPUTY)
    city = with_overrides(national(), "principal-only", {
        "extension_approval_forms": ["agency_head", "collective_discussion"]})
    world = World(steps, params=city)
    assert world.rules() == ["RF12.a", "RF12.b"]
    assert numbers(world.one("RF12.b"))["counted_days"] == 0


def _decided_on(day: str, *extensions: f.Step) -> list[f.Step]:
    """The general case up to its decision, decided on ``day`` after ``extensions`` (filed
    23 Apr 2024: day 90 is 22 Jul, 90 + 30 is 21 Aug, 90 + 45 is 5 Sep)."""
    steps = drop(until(general_case(), "PenaltyDecided"), "ExtensionApproved")
    decided = steps.pop()
    steps += [*extensions, f.Step(decided.stream, decided.type, at(day), decided.body)]
    return steps


def _extension(day: str, days: int, form: str = "agency_head",
               approved_by: str = f.HEAD) -> f.Step:
    return step(G, "ExtensionApproved", at(day), days=days, approval_form=form,
                approved_by=approved_by)


def test_rf12_one_head_extends_by_at_most_30_days() -> None:
    """The local 30-day extension (负责人批准, further only by 集体讨论) was an unused parameter:
    a head's 45 days counted in full, so a decision on day 130 was on time."""
    world = World(_decided_on("2024-08-30", _extension("2024-07-15", 45)))
    overdue, extension = world.one("RF12.a"), world.one("RF12.b")
    assert numbers(overdue)["due"] == "2024-08-21"
    assert numbers(overdue)["approved_extension_days"] == 30
    assert (numbers(extension)["days"], numbers(extension)["counted_days"],
            numbers(extension)["head_max_days"]) == (45, 30, 30)
    assert "集体讨论" in extension.summary


def test_rf12_a_second_head_extension_counts_nothing_only_collective_discussion_extends() -> None:
    second = World(_decided_on("2024-08-30", _extension("2024-07-15", 30),
                               _extension("2024-08-15", 15, "deputy_head", f.DEPUTY)),
                   DEPUTY_POST)
    assert numbers(second.one("RF12.a"))["due"] == "2024-08-21"
    assert numbers(second.one("RF12.b"))["counted_days"] == 0
    collective = World(_decided_on("2024-08-30", _extension("2024-07-15", 30),
                                   _extension("2024-08-15", 15, "collective_discussion")))
    assert collective.flags(rule="RF12.a") == collective.flags(rule="RF12.b") == []
    assert World(_decided_on("2024-08-30", _extension("2024-07-15", 45,
                                                      "collective_discussion"))
                 ).flags(rule="RF12.a") == []


def test_rf12_a_city_may_let_one_head_extend_further() -> None:
    city = with_overrides(national(), "sixty", {"decision_extension_head_max_days": 60})
    world = World(_decided_on("2024-08-30", _extension("2024-07-15", 45)), params=city)
    assert world.flags(rule="RF12.a") == world.flags(rule="RF12.b") == []


def test_rf12_extension_approved_after_the_deadline_passed_extends_nothing() -> None:
    """A head's approval dated after day 90 had passed counted its 30 days, so a case already
    late could be made on time afterwards."""
    steps = [f.Step(s.stream, s.type, at("2024-07-25") if s.type == "ExtensionApproved"
                    else s.occurred_at, s.body) for s in general_case()]
    world = World(steps)
    assert world.rules() == ["RF12.a", "RF12.b"]
    assert numbers(world.one("RF12.a"))["due"] == "2024-07-22"
    assert numbers(world.one("RF12.b"))["approved_after_due"] == "2024-07-22"
    on_the_day = [f.Step(s.stream, s.type, at("2024-07-22") if s.type == "ExtensionApproved"
                         else s.occurred_at, s.body) for s in general_case()]
    assert World(on_the_day).flags(rule="RF12") == []


def test_rf12_a_case_filed_as_summary_but_decided_under_general_procedure_is_timed() -> None:
    """A case filed on the spot (summary) and then handled and decided under the general
    procedure was never timed: RF12.a read the procedure of the first filing only, so a case
    app that filed every case as summary could decide at leisure. The 90 days run from the
    general filing (立案) when the conversion is recorded, else from the case's filing."""
    summary_filed = change(drop(general_case(), "ExtensionApproved"), "CaseFiled",
                           procedure="summary")
    flag = World(summary_filed).one("RF12.a")
    assert (numbers(flag)["filed_on"], numbers(flag)["due"]) == ("2024-04-23", "2024-07-22")
    assert flag.status == "cleared" and numbers(flag)["days_late"] == 17
    converted = insert_after(summary_filed, "InspectionPerformed", step(
        G, "CaseFiled", at("2024-05-10"), filing_no="沪黄城管立〔2024〕第124号",
        parties=[{"party_ref": f.COMPANY, "party_type": "organisation"}]))
    assert World(converted).flags(rule="RF12.a") == []           # decided on day 90 of it
    flag = World(change(converted, "PenaltyDecided", occurred_at=at("2024-08-09"))).one("RF12.a")
    assert (numbers(flag)["filed_on"], numbers(flag)["due"]) == ("2024-05-10", "2024-08-08")
    # a summary case decided on the spot is still not a general case to time
    assert World(f.summary_case(SUMMARY)).flags(rule="RF12.a") == []


def test_rf12_and_rf23_word_the_periods_a_city_sets_not_the_national_90_and_60_days() -> None:
    """APL 第60条 yields to 法律、法规、规章另有规定的: a city or sector may set the decision period
    (``decision_deadline_days_from_filing``) and the complaint period (``complaint_close_days``).
    The due days followed the city's 60 and 30 days, but the summaries still said "90 + 0 days"
    and "60 + 0 days" beside ``deadline_days`` 60 and ``days`` 30."""
    city = with_overrides(national(), "SH-HP", {"decision_deadline_days_from_filing": 60,
                                               "complaint_close_days": 30})
    flag = World(drop(general_case(), "ExtensionApproved"), params=city).one("RF12.a")
    assert numbers(flag)["due"] == "2024-06-24"              # Sat 22 Jun rolls to Mon 24 Jun
    assert flag.summary == "no decision by 2024-06-24 (filed 2024-04-23, 60 + 0 days)"
    assert flag.summary_zh == "至 2024-06-24 未作出决定（2024-04-23 立案，60 + 0 日）"
    open_ = until(f.complaint_cycle(), "ComplaintAcknowledged")
    flag = World(general_case(), open_, params=city).one("RF23.b")
    assert numbers(flag)["due"] == "2025-03-07"              # accepted Wed 5 Feb + 30 days
    assert flag.summary == "violent complaint of 2025-01-20 not closed by 2025-03-07 (30 + 0 days)"
    assert flag.summary_zh == "2025-01-20 的“野蛮执法”投诉至 2025-03-07 未办结（30 + 0 日）"


def test_rf12_open_case_becomes_overdue_when_time_passes() -> None:
    world = World(until(general_case(), "InvestigationConcluded"))
    assert world.flags(when("2024-07-22T23:59"), rule="RF12") == []
    assert world.one("RF12.a", when("2024-07-23")).status == "raised"


def test_rf12_decision_served_after_seven_working_days() -> None:
    steps = change(general_case(), "DecisionServed", occurred_at=at("2024-08-20"))
    assert numbers(World(steps).one("RF12.c"))["due"] == "2024-08-19"


def test_rf12_summary_decision_filed_after_three_working_days() -> None:
    assert World(f.summary_case(SUMMARY)).flags(rule="RF12") == []          # filed 10 Oct
    steps = change(f.summary_case(SUMMARY), "SummaryDecisionFiled", occurred_at=at("2024-10-11"))
    assert numbers(World(steps).one("RF12.d"))["due"] == "2024-10-10"


def test_rf12_decision_not_published_within_seven_working_days() -> None:
    world = World(drop(general_case(), "DecisionPublished"))
    assert world.flags(when("2024-08-19T23:59"), rule="RF12.e") == []
    assert world.one("RF12.e", when("2024-08-20")).status == "raised"


def test_rf12_publication_withdrawn_late_after_revocation() -> None:
    assert World(f.withdrawn_case()).flags(rule="RF12") == []   # 7 Apr is in time (清明)
    steps = change(f.withdrawn_case(), "DecisionPublicationWithdrawn", occurred_at=at("2025-04-10"))
    assert numbers(World(steps).one("RF12.f"))["due"] == "2025-04-09"


def test_rf12_publication_of_a_decision_whose_form_was_voided_withdrawn_late() -> None:
    """A decision published and then voided before it was served never took effect, and the
    feed marks it voided until its publication is withdrawn (APL 第48条第2款: within three days,
    docs/red-flags.md RF12): RF12.f counted them from amendments and revocations only, so a
    voided decision could stay published for ever. Counted from the void, whichever is
    recorded first; not for a decision never published, voided after it was served (RF20.e's)
    or served, by a service recorded late, before its void."""
    steps = f.summary_case(SUMMARY)
    published = step(S, "DecisionPublished", at("2024-09-30", "10:05:10"),
                     decision_no="HP-S-2024-004512", publication_ref="PUB-HP-S-004512")
    void = step(S, "DecisionFormVoided", at("2024-09-30", "10:05:30"),
                form_no="HP-S-2024-004512", reason="wrong_amount")

    def withdrawn(day: str) -> f.Step:
        return step(S, "DecisionPublicationWithdrawn", at(day), publication_ref="PUB-HP-S-004512",
                    reason="error", decision_no="HP-S-2024-004512")

    for order in ([published] + steps + [void], [void, published] + steps):
        world = World(order)
        flag = world.one("RF12.f")
        assert (flag.status, numbers(flag)["voided_on"], numbers(flag)["due"]) == (
            "raised", "2024-09-30", "2024-10-10")          # 国庆 1–7 October
        assert [fl.to_value() for fl in _incremental(world.events, AT)] == \
            [fl.to_value() for fl in world.flags()]
    late = World([published] + steps + [void, withdrawn("2024-10-11")]).one("RF12.f")
    assert (late.status, numbers(late)["days_late"]) == ("cleared", 1)
    assert World([published] + steps + [void, withdrawn("2024-10-10")]).flags(
        rule="RF12.f") == []
    assert World(steps + [void]).flags(rule="RF12.f") == []
    after_service = replace(void, occurred_at=at("2024-09-30", "10:06:30"))
    assert World([published] + steps + [after_service]).flags(rule="RF12.f") == []
    served = [s.type for s in steps].index("DecisionServed")
    early = replace(steps[served], occurred_at=at("2024-09-30", "10:05:20"))
    revived = World([published] + steps[:served] + [void, early] + steps[served + 1:])
    assert revived.flags(rule="RF12.f") == []


def test_rf12_a_decision_made_anew_is_served_and_published_on_its_own_deadlines() -> None:
    world = World(_redecided("DecisionServed", "DecisionPublished", "PaymentRecorded",
                             "TreasuryReconciled", "CaseClosed"))
    anew = next(e for e in world.events
                if e.type == "PenaltyDecided" and e.body["decision_no"] == ANEW)
    served, published = world.one("RF12.c"), world.one("RF12.e")
    assert served.event_ids == published.event_ids == (anew.event_id,)
    assert numbers(served)["decided_on"] == "2025-04-18"


def test_rf12_registration_preservation_without_a_decision_in_seven_working_days() -> None:
    preserve = step(G, "PreservationOrdered", at("2024-04-25", "11:00:00"))
    steps = insert_after(until(general_case(), "InspectionPerformed"), "InspectionPerformed",
                         preserve)
    world = World(steps)
    # Thu 25 Apr + 7 working days: 26, Sun 28 (调休), 29, 30 Apr, (劳动节 1–5 May), 6, 7, 8 May
    assert world.flags(when("2024-05-08T23:59"), rule="RF12.g") == []
    assert numbers(world.one("RF12.g", when("2024-05-09")))["due"] == "2024-05-08"
    returned = step(G, "PropertyReturned", at("2024-05-08"), seizure_id="PR-2024-0033",
                    item_ids=["1"], returned_to=f.COMPANY)
    assert World(steps + [returned]).flags(rule="RF12.g") == []


def test_rf12_case_filed_after_the_two_year_time_bar() -> None:
    barred = change(general_case(), "CaseFiled", violation_occurred_at=at("2022-04-21"))
    assert numbers(World(barred).one("RF12.h"))["time_bar"] == "2024-04-21"
    in_time = change(general_case(), "CaseFiled", violation_occurred_at=at("2022-04-22"))
    assert World(in_time).flags(rule="RF12.h") == []


def test_rf12_time_bar_raised_on_a_case_filed_alone_more_than_two_years_after_the_act() -> None:
    filed = step(G, "CaseFiled", at("2024-04-23"), violation_occurred_at=at("2022-04-22"))
    flag = World([filed], with_staff=False).one("RF12.h")
    assert numbers(flag)["time_bar"] == "2024-04-22"
    assert numbers(flag)["violation_ended_at"] is None
    assert flag.event_ids == (World([filed], with_staff=False).events[0].event_id,)


def test_rf12_continuing_violation_counts_its_two_years_from_the_day_it_ended() -> None:
    """APL 第36条第2款: a continuing or repeated violation (连续或者继续状态) is counted from the
    day it ended. Counted from its beginning, a pile-up that began in 2021 and went on until
    May 2022 was flagged as time-barred when the case was filed in April 2024."""
    continuing = change(general_case(), "CaseFiled", violation_occurred_at=at("2021-03-01"),
                        violation_ended_at=at("2022-05-01"))
    assert World(continuing).flags(rule="RF12.h") == []
    ended_on_the_bar = change(general_case(), "CaseFiled", violation_occurred_at=at("2021-03-01"),
                              violation_ended_at=at("2022-04-22"))
    assert World(ended_on_the_bar).flags(rule="RF12.h") == []        # the clue is on 22 Apr 2024
    ended_long_ago = change(general_case(), "CaseFiled", violation_occurred_at=at("2021-03-01"),
                            violation_ended_at=at("2022-04-21"))
    flag = World(ended_long_ago).one("RF12.h")
    assert numbers(flag)["time_bar"] == "2024-04-21"
    assert numbers(flag)["violation_ended_at"] == "2022-04-21T10:00:00+08:00"
    assert "ended 2022-04-21" in flag.summary


def test_rf12_an_end_recorded_before_the_beginning_counts_from_the_beginning() -> None:
    """The door judges shape, not order: an end before the start is a slip, and the bar is
    counted from the later of the two, never earlier than the act began."""
    steps = change(general_case(), "CaseFiled", violation_occurred_at=at("2022-04-22"),
                   violation_ended_at=at("2020-01-01"))
    assert World(steps).flags(rule="RF12.h") == []


def _case_extension_recorded(claimed: str, recorded: str, *,
                             before: str = "CollectiveDiscussionHeld") -> World:
    """The general case (filed Tue 23 Apr 2024: its 90 days end Mon 22 Jul) with its 30-day
    extension claiming ``claimed`` but recorded at ``recorded`` (UTC), just before the
    ``before`` step (the collective discussion of 5 Aug, two steps before the decision of
    8 Aug); every other step recorded two minutes after its claim."""
    steps = general_case()
    extension = next(s for s in steps if s.type == "ExtensionApproved")
    rest = [s for s in steps if s is not extension]
    i = next(i for i, s in enumerate(rest) if s.type == before)
    world = World(rest[:i])
    world.record(replace(extension, occurred_at=claimed), recorded_at=recorded)
    world.add(*rest[i:])
    return world


def test_rf08_h_a_case_extension_recorded_after_the_90_days_ran_out_dated_inside_them() -> None:
    """An extension dated 22 Jul, the 90th day, recorded the next morning: RF12.b counted it at
    its claim, RF08.a allows a document 72 h and RF08.b judges only steps recorded after the
    decision, so a case the ledger saw run past its 90 days undecided looked extended in time
    and nothing was flagged. RF08.h names the record, as RF08.g a complaint's extension."""
    world = _case_extension_recorded(at("2024-07-22"), "2024-07-23T02:00:00.000000Z")
    assert world.flags(rule="RF12") == []                 # counted at its claim, as before
    flag = world.one("RF08")
    extension = next(e for e in world.events if e.type == "ExtensionApproved")
    assert flag.rule_id == "RF08.h" and flag.status == "raised"
    assert flag.raised_at == "2024-07-23T10:00:00+08:00"
    assert (flag.scope, flag.case_id, flag.officer_id) == (G, GENERAL, None)
    assert list(flag.event_ids) == [extension.event_id]
    assert numbers(flag) == {
        "event_type": "ExtensionApproved", "days": 30, "approved_by": f.HEAD,
        "claimed_at": "2024-07-22T10:00:00+08:00", "recorded_at": "2024-07-23T10:00:00+08:00",
        "due": "2024-07-22", "tolerance_minutes": 60}
    assert flag.summary == ("30-day case extension dated 2024-07-22T10:00:00+08:00 was "
                            "recorded at 2024-07-23T10:00:00+08:00, after the deadline "
                            "2024-07-22 it extends had passed")
    assert flag.summary_zh == ("“批准延长办案期限”（30 日）所署时间为 2024-07-22T10:00:00+08:00，"
                               "却于所延长的办案期限 2024-07-22 届满后的 "
                               "2024-07-23T10:00:00+08:00 才记录")


def test_rf08_h_not_for_an_extension_that_hid_nothing_or_that_rf08_b_names() -> None:
    """Recorded before the 90 days ran out (however long after its claim), within the hour
    RF08.b tolerates, or claiming a time already late (RF12.b refuses it and says so): no
    RF08.h. Recorded after the decision, it is RF08.b's (and, three days late, RF08.a's): one
    back-dating flag for the record, not two. ``ExtensionApproved`` is signed by a supervisor
    (docs/events.md), with no device-signed path, so no sync is to be excused."""
    before = _case_extension_recorded(at("2024-07-20"), "2024-07-22T15:00:00.000000Z")
    within = _case_extension_recorded(at("2024-07-22", "23:30:00"),
                                      "2024-07-22T16:29:00.000000Z")
    late = _case_extension_recorded(at("2024-07-23"), "2024-07-23T04:00:00.000000Z")
    decided = _case_extension_recorded(at("2024-07-22"), "2024-08-09T02:00:00.000000Z",
                                       before="DecisionServed")
    for world in (before, within, late):
        assert world.flags(rule="RF08") == []
    assert late.rules() == ["RF12.a", "RF12.b"]
    assert decided.rules() == ["RF08.a", "RF08.b"]
    # the counterpart: recorded the next morning, before the decision
    assert _case_extension_recorded(at("2024-07-22", "23:30:00"), "2024-07-23T02:00:00.000000Z"
                                    ).rules() == ["RF08.h"]


# --- RF23 complaints ------------------------------------------------------------------------------

C = "complaint:C-2025-0042"


def test_rf23_complaint_deadline_rolls_over_the_spring_festival() -> None:
    assert World(general_case(), f.complaint_cycle()).flags(rule="RF23") == []   # ack 5 Feb
    late = change(f.complaint_cycle(), "ComplaintAcknowledged", occurred_at=at("2025-02-06"))
    flag = World(general_case(), late).one("RF23.a")
    assert numbers(flag)["due"] == "2025-02-05" and flag.status == "cleared"


def test_rf23_a_phone_acknowledgement_is_not_the_written_notice_the_deadline_requires() -> None:
    """XFGZ 第23条第2款: 15日内书面告知信访人. A phone call on 5 Feb met the deadline; it now
    meets nothing (raised from 6 Feb, with the why), and a letter after it clears the flag."""
    phoned = change(f.complaint_cycle(), "ComplaintAcknowledged", method="phone")
    flag = World(general_case(), phoned).one("RF23.a")
    assert flag.status == "raised" and flag.raised_at == "2025-02-06T00:00:00+08:00"
    assert numbers(flag)["why"] == "phone is not written notice (XFGZ 第23条第2款: 书面告知)"
    assert [m for _, m, _ in numbers(flag)["not_in_writing"]] == ["phone"]
    letter = step(C, "ComplaintAcknowledged", at("2025-02-10"), method="written")
    flag = World(general_case(), insert_after(phoned, "ComplaintAcknowledged", letter)).one(
        "RF23.a")
    assert flag.status == "cleared" and numbers(flag)["days_late"] == 5


def test_rf23_cites_the_article_that_binds_an_agency_to_answer_in_writing() -> None:
    """An enforcement agency that receives a complaint itself is bound by XFGZ 第23条 (15日内
    书面告知), the article RF23.a's ``why`` cites; its legal basis named only 第22条, which binds
    the letters-and-visits bureaus (信访部门), so an inspector checking the basis found no
    duty of the agency's to answer in 15 days."""
    flag = World(general_case(), until(f.complaint_cycle(), "ComplaintReceived")).one("RF23.a")
    assert "XFGZ 第23条" in flag.legal_basis


def test_rf23_a_written_sms_or_online_acknowledgement_meets_the_deadline() -> None:
    for method in ("written", "sms", "online"):
        steps = change(f.complaint_cycle(), "ComplaintAcknowledged", method=method)
        assert World(general_case(), steps).flags(rule="RF23") == []


def test_rf23_unacknowledged_violent_complaint_fires_when_the_period_ends() -> None:
    world = World(general_case(), until(f.complaint_cycle(), "ComplaintReceived"))
    assert world.flags(when("2025-02-05T23:59"), rule="RF23") == []
    assert world.one("RF23.a", when("2025-02-06")).status == "raised"


def test_rf23_other_complaints_are_not_enforcement_misconduct() -> None:
    steps = change(until(f.complaint_cycle(), "ComplaintReceived"), "ComplaintReceived",
                   category="other")
    assert World(general_case(), steps).flags(rule="RF23") == []


def test_rf23_complaint_closed_after_60_days_without_extension() -> None:
    steps = drop(f.complaint_cycle(), "ComplaintExtended")      # accepted Wed 5 Feb 2025
    flag = World(general_case(), steps).one("RF23.b")            # + 60 = Sun 6 Apr: rolls
    assert numbers(flag)["due"] == "2025-04-07" and numbers(flag)["extension_days"] == 0
    assert numbers(flag)["accepted_on"] == "2025-02-05"


def test_rf23_sixty_days_run_from_acceptance_not_from_receipt() -> None:
    """XFGZ 第34条: 自受理之日起60日内办结. Counted from receipt, a complaint received on 20 Jan,
    accepted on 5 Feb (in time) and closed on 3 Apr, day 57 of its 60, was flagged late."""
    steps = change(drop(f.complaint_cycle(), "ComplaintExtended"), "ComplaintClosed",
                   occurred_at=at("2025-04-03"))
    assert World(general_case(), steps).flags(rule="RF23") == []
    open_ = until(steps, "ComplaintAcknowledged")
    world = World(general_case(), open_)
    assert world.flags(when("2025-04-07T23:59"), rule="RF23") == []
    assert numbers(world.one("RF23.b", when("2025-04-08")))["due"] == "2025-04-07"
    # until it is accepted, the period runs from receipt (an acknowledgement that declines it
    # starts nothing)
    declined = change(open_, "ComplaintAcknowledged", accepted=False)
    assert numbers(World(general_case(), declined).one("RF23.b"))["due"] == "2025-03-21"


def test_rf23_extension_approved_by_the_accused_officer_does_not_extend_the_deadline() -> None:
    """XFGZ 第34条 lets 本机关负责人 extend the 60 days; any approver counted, so the officer the
    complaint is about could approve 30 more days for it and a complaint closed on day 69 of 60
    raised nothing."""
    steps = change(f.complaint_cycle(), "ComplaintExtended", approved_by=f.OFFICER_B)
    flag = World(general_case(), steps).one("RF23.b")
    assert numbers(flag)["due"] == "2025-04-07" and numbers(flag)["extension_days"] == 0
    [[_, days, approver, counted, why]] = numbers(flag)["extensions"]
    assert (days, approver, counted) == (30, f.OFFICER_B, False)
    assert why == f"approved by {f.OFFICER_B}, an officer the complaint is about"
    assert World(general_case(), f.complaint_cycle()).flags(rule="RF23") == []   # the head's


def test_rf23_extension_approved_by_someone_not_the_agencys_head_does_not_count() -> None:
    """XFGZ 第34条 wants 本机关负责人: an extension approved by a team member who is not
    accused counted, so a complaint closed on day 69 of 60 raised nothing."""
    steps = change(f.complaint_cycle(), "ComplaintExtended", approved_by=f.OFFICER_A)
    flag = World(general_case(), steps).one("RF23.b")
    assert numbers(flag)["due"] == "2025-04-07" and numbers(flag)["extension_days"] == 0
    [[_, _, approver, counted, why]] = numbers(flag)["extensions"]
    assert (approver, counted) == (f.OFFICER_A, False)
    assert why == (f"approved by {f.OFFICER_A} (team_member), not a head of the agency "
                   f"(本机关负责人)")


def _extension_recorded(claimed: str, recorded: str, *after: f.Step) -> World:
    """The complaint accepted on Wed 5 Feb 2025 (60 days: Sun 6 Apr, rolled to Mon 7 Apr), its
    30-day extension claiming ``claimed`` but recorded at ``recorded`` (UTC), then ``after``."""
    cycle = f.complaint_cycle()
    extension = next(s for s in cycle if s.type == "ComplaintExtended")
    world = World(general_case(), until(cycle, "ComplaintAcknowledged"))
    world.record(replace(extension, occurred_at=claimed), recorded_at=recorded)
    world.add(*after)
    return world


def test_rf08_g_a_complaint_extension_recorded_after_the_period_it_extends_ran_out() -> None:
    """XFGZ 第34条: the 60 days may be extended 情况复杂的，经本机关负责人批准 — within them. An
    extension dated 7 Apr (the last day) but recorded on 9 Apr, after the period had run out,
    counted (RF23.b reads the approval at its claim, as RF12.b a case's) and nothing was
    flagged: a complaint closed on 15 Apr, late, looked closed in time. RF08.b names such a
    record in a case; RF08.g names it in a complaint, about the complaint."""
    closed = next(s for s in f.complaint_cycle() if s.type == "ComplaintClosed")
    world = _extension_recorded(at("2025-04-07"), "2025-04-09T02:02:00.000000Z", closed)
    assert world.flags(rule="RF23") == []                  # counted at its claim, as before
    flag = world.one("RF08.g")
    extension = next(e for e in world.events if e.type == "ComplaintExtended")
    assert flag.status == "raised" and flag.raised_at == "2025-04-09T10:02:00+08:00"
    assert flag.scope == C and flag.officer_id is None
    assert list(flag.event_ids)[0] == extension.event_id
    assert numbers(flag) == {
        "event_type": "ComplaintExtended", "days": 30, "approved_by": f.HEAD,
        "claimed_at": "2025-04-07T10:00:00+08:00", "recorded_at": "2025-04-09T10:02:00+08:00",
        "due": "2025-04-07", "tolerance_minutes": 60}
    assert "after the deadline 2025-04-07 it extends had passed" in flag.summary
    assert "办理期限 2025-04-07 届满后的 2025-04-09T10:02:00+08:00 才记录" in flag.summary_zh
    # the smallest history: the extension alone, nothing closed yet
    assert _extension_recorded(at("2025-04-07"), "2025-04-09T02:02:00.000000Z"
                               ).one("RF08.g").raised_at == "2025-04-09T10:02:00+08:00"


def test_rf08_g_not_for_an_extension_on_the_ledger_before_the_period_ran_out() -> None:
    """Recorded in time (the factory's, two minutes after it), recorded late but before the
    period ran out (nothing was hidden: RF23.b's deadline had not passed), within the hour
    RF08.b tolerates, or claiming a time already late (RF23.b refuses it and says so): no
    RF08.g. The vocabulary gives a complaint's extension no device-signed path (it is signed
    by the complaints system or a supervisor), so no sync is to be excused."""
    assert World(general_case(), f.complaint_cycle()).flags(rule="RF08") == []
    before = _extension_recorded(at("2025-03-10"), "2025-04-07T15:00:00.000000Z")
    within = _extension_recorded(at("2025-04-07", "23:30:00"), "2025-04-07T16:29:00.000000Z")
    late = _extension_recorded(at("2025-04-08"), "2025-04-09T02:02:00.000000Z")
    for world in (before, within, late):
        assert world.flags(rule="RF08") == []
    assert numbers(late.one("RF23.b"))["extensions"][0][4] == (
        "approved after the deadline 2025-04-07 had passed")


def _complaint_record(kind: str, claimed: str, recorded: str, *, method: str = "written"
                      ) -> World:
    """The complaint of ``f.complaint_cycle`` with no extension: received Mon 20 Jan 2025 (its
    written notice due Wed 5 Feb, 15 days rolled over 春节) and accepted on 5 Feb (closing due
    Mon 7 Apr). Its ``kind`` record (``ComplaintAcknowledged`` or ``ComplaintClosed``) claims
    ``claimed`` but is recorded at ``recorded`` (UTC); the records before it are recorded two
    minutes after their claims."""
    cycle = drop(f.complaint_cycle(), "ComplaintExtended")
    record = next(s for s in cycle if s.type == kind)
    before = cycle[:cycle.index(record)]
    world = World(general_case(), before)
    body = {"method": method} if kind == "ComplaintAcknowledged" else {}
    world.record(replace(record, occurred_at=claimed, body={**record.body, **body}),
                 recorded_at=recorded)
    return world


def test_rf08_g_a_complaint_closed_after_its_deadline_but_dated_inside_it() -> None:
    """A closing dated 7 Apr, the last of the 60 days, but recorded on 9 Apr: RF23.b met the
    deadline at the closing's claim and said nothing, so a complaint the ledger saw run out
    unanswered looked closed in time. RF08.g names the closing as it names an extension
    back-dated into the period it extends: raised at the recording, about the complaint."""
    world = _complaint_record("ComplaintClosed", at("2025-04-07"),
                              "2025-04-09T02:02:00.000000Z")
    assert world.flags(rule="RF23") == []                 # met at its claim, as before
    flag = world.one("RF08.g")
    closing = world.events[-1]
    assert flag.status == "raised" and flag.raised_at == "2025-04-09T10:02:00+08:00"
    assert flag.scope == C and flag.officer_id is None
    assert list(flag.event_ids)[0] == closing.event_id
    assert numbers(flag) == {
        "event_type": "ComplaintClosed", "claimed_at": "2025-04-07T10:00:00+08:00",
        "recorded_at": "2025-04-09T10:02:00+08:00", "due": "2025-04-07",
        "tolerance_minutes": 60}
    assert flag.summary == ("ComplaintClosed dated 2025-04-07T10:00:00+08:00 was recorded at "
                            "2025-04-09T10:02:00+08:00, after the deadline 2025-04-07 it "
                            "meets had passed")
    assert flag.summary_zh == ("“办结投诉”所署时间为 2025-04-07T10:00:00+08:00，却于办理期限 "
                               "2025-04-07 届满后的 2025-04-09T10:02:00+08:00 才记录")


def test_rf08_g_not_for_a_closing_that_hid_no_breach() -> None:
    """Recorded before the deadline ran out (however long after its claim), within the hour
    RF08.b tolerates, claiming a time already late (RF23.b is cleared by it and says so), of
    a complaint of category ``other`` (no deadline), or recorded late when another closing,
    recorded in time, had met the deadline: no RF08.g. The same closing back-dated across the
    deadline is named (the guards' counterpart). The vocabulary signs closings by the
    complaints system only (docs/events.md), so no device sync is to be excused."""
    closed = "ComplaintClosed"
    before = _complaint_record(closed, at("2025-03-10"), "2025-04-07T15:00:00.000000Z")
    within = _complaint_record(closed, at("2025-04-07", "23:30:00"),
                               "2025-04-07T16:29:00.000000Z")
    late = _complaint_record(closed, at("2025-04-08"), "2025-04-09T02:02:00.000000Z")
    other = World(general_case(), change(drop(f.complaint_cycle(), "ComplaintClosed"),
                                         "ComplaintReceived", category="other"))
    twice = World(general_case(), change(drop(f.complaint_cycle(), "ComplaintExtended"),
                                         closed, occurred_at=at("2025-04-01")))
    back_dated = step(C, closed, at("2025-04-07"), handler=f.HANDLER)
    for world in (other, twice):
        world.record(back_dated, recorded_at="2025-04-09T02:02:00.000000Z")
    for world in (before, within, late, other, twice):
        assert world.flags(rule="RF08") == []
    assert late.one("RF23.b").status == "cleared"
    # the counterpart: no closing on the ledger when the 60 days ran out
    alone = World(general_case(), drop(until(f.complaint_cycle(), "ComplaintAcknowledged"),
                                       "ComplaintExtended"))
    alone.record(back_dated, recorded_at="2025-04-09T02:02:00.000000Z")
    assert alone.one("RF08.g").event_ids[0] == alone.events[-1].event_id


def test_rf08_g_a_written_acknowledgement_recorded_after_its_15_days_but_dated_inside_them(
        ) -> None:
    """XFGZ 第23条: 15 days to tell the complainant in writing (to Wed 5 Feb over 春节). A
    written notice dated 5 Feb but recorded on 7 Feb met RF23.a at its claim, silently. A
    phone call recorded so meets nothing (RF23.a stays raised) and hides nothing: no RF08.g.
    The vocabulary signs acknowledgements by the complaints system only."""
    world = _complaint_record("ComplaintAcknowledged", at("2025-02-05"),
                              "2025-02-07T02:00:00.000000Z")
    assert world.flags(rule="RF23.a") == []
    flag = world.one("RF08.g")
    assert flag.raised_at == "2025-02-07T10:00:00+08:00"
    assert numbers(flag) == {
        "event_type": "ComplaintAcknowledged", "claimed_at": "2025-02-05T10:00:00+08:00",
        "recorded_at": "2025-02-07T10:00:00+08:00", "due": "2025-02-05",
        "tolerance_minutes": 60}
    assert flag.summary_zh == ("“告知是否受理投诉”所署时间为 2025-02-05T10:00:00+08:00，却于书面告知期限 "
                               "2025-02-05 届满后的 2025-02-07T10:00:00+08:00 才记录")
    phone = _complaint_record("ComplaintAcknowledged", at("2025-02-05"),
                              "2025-02-07T02:00:00.000000Z", method="phone")
    assert phone.flags(rule="RF08") == []
    assert phone.one("RF23.a").status == "raised"

def test_rf23_complaint_closed_by_a_conflicted_handler() -> None:
    for handler, relation in ((f.OFFICER_B, "accused"), (f.OFFICER_A, "co_officer_on_case")):
        steps = change(f.complaint_cycle(), "ComplaintClosed", handler=handler)
        flag = World(general_case(), steps).one("RF23.c")
        assert numbers(flag)["relation"] == relation
    no_case = change(f.complaint_cycle(), "ComplaintReceived", case_id=DROP)
    steps = change(no_case, "ComplaintClosed", handler=f.HEAD)        # B's post: superior HEAD
    assert numbers(World(steps).one("RF23.c"))["relation"] == "direct_superior_of_accused"


def test_rf23_the_closing_that_meets_the_deadline_is_the_earliest_in_world_time() -> None:
    """A complaint closed on 20 Apr (in time: 60 + 30 days end on 6 May) whose closing was
    recorded after a later one of 1 Jun was flagged late, cleared on 1 Jun, because RF23.b
    read the first closing in log order; the complaint view met its deadline on 20 Apr."""
    later_first = change(f.complaint_cycle(), "ComplaintClosed", occurred_at=at("2025-06-01"))
    steps = insert_after(later_first, "ComplaintClosed",
                         step(C, "ComplaintClosed", at("2025-04-20"), handler=f.HANDLER))
    assert World(general_case(), steps).flags(rule="RF23") == []


def test_rf23_every_closing_is_judged_for_a_conflicted_handler() -> None:
    """A complaint closed by an independent handler, then (re-opened and) closed again by the
    officer it is about: RF23.c judged only the first closing, so the accused's own closing —
    the one the complaint view shows as its handler — raised nothing."""
    again = step(C, "ComplaintClosed", at("2025-04-20"), handler=f.OFFICER_B)
    steps = insert_after(f.complaint_cycle(), "ComplaintClosed", again)
    flag = World(general_case(), steps).one("RF23.c")
    assert (numbers(flag)["handler"], numbers(flag)["relation"]) == (f.OFFICER_B, "accused")
    assert flag.raised_at == "2025-04-20T10:00:00+08:00"


def _complaint_after(days: int, complaint_id: str) -> list[f.Step]:
    """The default complaint cycle, moved ``days`` later, as another complaint."""
    return [f.Step(s.stream, s.type, (when(s.occurred_at[:16]) + timedelta(days=days)
                                      ).isoformat(), s.body)
            for s in f.complaint_cycle(complaint_id)]


def _pattern_days(day: str, value: int) -> f.Step:
    return step("config:legal-parameters", "LegalParametersPublished", at(day),
                effective_from=day, parameters=[{"name": "complaint_pattern_days",
                                                 "value": value, "unit": "calendar_days",
                                                 "basis": "local rule"}])


def test_rf23_repeated_violent_enforcement_complaints_against_an_officer() -> None:
    flag = World(general_case(), f.complaint_cycle(),
                 _complaint_after(100, "C-2025-0077")).one("RF23.d")
    assert flag.officer_id == f.OFFICER_B and numbers(flag)["complaints"] == 2
    assert World(general_case(), f.complaint_cycle(),
                 _complaint_after(200, "C-2025-0077")).flags(rule="RF23.d") == []


def test_rf23_repeated_complaints_are_judged_under_the_window_in_force_when_they_began() -> None:
    world = World(general_case(), f.complaint_cycle(), [_pattern_days("2025-06-01", 30)],
                  _complaint_after(200, "C-2025-0077"),
                  _complaint_after(260, "C-2025-0078"))   # 60 days apart
    assert world.flags(rule="RF23.d") == []


def test_rf23_repeated_complaints_record_the_parameter_version_that_judged_them() -> None:
    world = World(general_case(), f.complaint_cycle(), [_pattern_days("2025-03-01", 365)],
                  _complaint_after(100, "C-2025-0077"))
    flag = world.one("RF23.d")
    assert numbers(flag)["window_days"] == 180
    assert flag.params_version == national().version


# --- RF25 seized property -------------------------------------------------------------------------

def _seized(*after: f.Step) -> list[f.Step]:
    seize = step(S, "PropertySeized", at("2024-09-30", "10:04:00"))
    return insert_after(f.summary_case(SUMMARY), "EvidenceRecorded", seize, *after)


def test_rf25_inventory_not_signed_within_24_hours() -> None:
    world = World(_seized())
    assert world.flags(when("2024-10-01T10:04"), rule="RF25.a") == []
    assert world.one("RF25.a", when("2024-10-01T10:05")).status == "raised"
    late = step(S, "PropertyInventorySigned", at("2024-10-01", "12:00:00"))
    assert World(_seized(late)).one("RF25.a").status == "cleared"


def test_rf25_a_late_inventory_is_late_by_hours_the_unit_of_its_24_hour_limit() -> None:
    """A limit of 24 hours reported its lateness in days: an inventory signed 1 h 56 min after
    the 24 h ran out was ``days_late`` 1, as was one signed 23 hours after. The flag compares
    hours, so it says hours (a started hour counts, as a started day does in ``days_late``)."""
    for signed, hours in (("12:00:00", 2), ("10:04:01", 1), ("10:05:00", 1)):
        late = step(S, "PropertyInventorySigned", at("2024-10-01", signed))
        said = numbers(World(_seized(late)).one("RF25.a"))
        assert (said["hours_late"], said["limit_hours"]) == (hours, 24) and "days_late" not in said
        assert said["seized_at"] == "2024-09-30T10:04:00+08:00"
        assert said["met_at"] == f"2024-10-01T{signed}+08:00"
    late = step(S, "PropertyInventorySigned", at("2024-10-02", "09:00:00"))
    assert numbers(World(_seized(late)).one("RF25.a"))["hours_late"] == 23


def test_rf25_seized_goods_not_returned_in_seven_working_days() -> None:
    inventory = step(S, "PropertyInventorySigned", at("2024-09-30", "10:30:00"))
    world = World(_seized(inventory))
    # Mon 30 Sep + 7 working days: 8, 9, 10, 11, Sat 12 (调休), 14, 15 Oct
    assert numbers(world.one("RF25.b"))["due"] == "2024-10-15"
    back = step(S, "PropertyReturned", at("2024-10-08"), item_ids=["1", "2"])
    assert World(_seized(inventory, back)).flags(rule="RF25") == []
    partial = step(S, "PropertyReturned", at("2024-10-08"), item_ids=["1"])
    assert numbers(World(_seized(inventory, partial)).one("RF25.b"))["items_handled"] == 1


# --- RF27 supervision notices -------------------------------------------------------------------

SV = "supervision:SN-2025-07"


def _feedback_recorded(claimed: str, recorded: str) -> World:
    """A notice issued Mon 20 Jan 2025, to be answered by Fri 14 Feb, its feedback claiming
    ``claimed`` but recorded at ``recorded`` (UTC)."""
    world = World([step(SV, "SupervisionNoticeIssued", at("2025-01-20"), respond_by="2025-02-14")])
    world.record(step(SV, "SupervisionFeedbackSubmitted", claimed), recorded_at=recorded)
    return world


def test_rf08_g_a_supervision_feedback_recorded_after_respond_by_dated_by_it() -> None:
    """A feedback dated 14 Feb, the notice's ``respond_by``, recorded the Monday after: RF27.a
    met it at its claim and RF08.f judges only records dated ahead, so a notice the ledger saw
    go unanswered past its day looked answered in time and nothing was flagged. RF08.g names
    the record, as it names a complaint's, about the notice."""
    world = _feedback_recorded(at("2025-02-14"), "2025-02-17T02:00:00.000000Z")
    assert world.flags(rule="RF27.a") == []               # met at its claim, as before
    flag = world.one("RF08")
    notice, feedback = world.events[-2:]
    assert flag.rule_id == "RF08.g" and flag.status == "raised"
    assert flag.raised_at == "2025-02-17T10:00:00+08:00"
    assert (flag.scope, flag.unit_id, flag.case_id, flag.officer_id) == (
        SV, notice.body["to_unit_id"], None, None)
    assert list(flag.event_ids) == [feedback.event_id, notice.event_id]
    assert numbers(flag) == {
        "event_type": "SupervisionFeedbackSubmitted", "claimed_at": "2025-02-14T10:00:00+08:00",
        "recorded_at": "2025-02-17T10:00:00+08:00", "due": "2025-02-14",
        "tolerance_minutes": 60}
    assert flag.summary == ("SupervisionFeedbackSubmitted dated 2025-02-14T10:00:00+08:00 was "
                            "recorded at 2025-02-17T10:00:00+08:00, after the deadline "
                            "2025-02-14 it meets had passed")
    assert flag.summary_zh == ("“提交督办反馈”所署时间为 2025-02-14T10:00:00+08:00，却于反馈期限 "
                               "2025-02-14 届满后的 2025-02-17T10:00:00+08:00 才记录")


def test_rf08_g_not_for_a_supervision_feedback_that_hid_nothing() -> None:
    """Recorded before ``respond_by`` ran out (however long after its claim), within the hour,
    claiming a time already late (RF27.a names it, cleared), or entered late after another
    feedback on the ledger in time: no RF08.g. ``SupervisionFeedbackSubmitted`` is signed by a
    supervisor only (docs/events.md), with no device-signed path, so no sync is excused."""
    before = _feedback_recorded(at("2025-02-10"), "2025-02-14T15:00:00.000000Z")
    within = _feedback_recorded(at("2025-02-14", "23:30:00"), "2025-02-14T16:29:00.000000Z")
    late = _feedback_recorded(at("2025-02-17"), "2025-02-18T02:00:00.000000Z")
    again = _feedback_recorded(at("2025-02-13"), "2025-02-13T02:02:00.000000Z")
    again.record(step(SV, "SupervisionFeedbackSubmitted", at("2025-02-14")),
                 recorded_at="2025-02-17T02:00:00.000000Z")
    for world in (before, within, late, again):
        assert world.flags(rule="RF08") == []
    assert late.one("RF27.a").status == "cleared"
    # the counterpart: recorded half an hour past midnight, an hour and a minute after its claim
    assert _feedback_recorded(at("2025-02-14", "23:30:00"), "2025-02-14T16:31:00.000000Z"
                              ).one("RF08").rule_id == "RF08.g"


# --- scheduling: next_due / due_subjects ----------------------------------------------------------

def test_engine_reports_the_next_deadline_and_the_subjects_due() -> None:
    world = World(drop(f.summary_case(SUMMARY), "OnsiteCashRemitted", "AgencyDeposited"))
    engine = FlagEngine(national())
    engine.apply_all(world.events)
    assert [fl.rule_id for fl in engine.evaluate_all(when("2024-10-01"))] == []
    due = engine.next_due(when("2024-10-01"))
    assert due == when("2024-10-10T00:00")
    assert Subject("case", SUMMARY) in engine.due_subjects(due)
    assert Subject("case", SUMMARY) not in engine.due_subjects(due - timedelta(seconds=1))
    flags = engine.evaluate(engine.due_subjects(due), due)
    assert "RF05.b" in {fl.rule_id for fl in flags}
    assert engine.next_due(due) != due
