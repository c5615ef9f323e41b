"""Working-day arithmetic over the official holiday schedules (法定节假日 + 调休), and the legal
parameters and fine schedule as data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ledger.domain.calendar import (CN_2024, CN_2025, CN_2026, OFFICIAL, OFFICIAL_SCHEDULES,
                                    CalendarNotCovered, WorkingCalendar, legal_date)
from ledger.domain.params import FINE_SCHEDULE, PARAMS

D = date


def monday_to_friday_add(start: date, n: int) -> date:
    """The arithmetic this module exists to avoid."""
    day = start
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


# --- 2024 National Day: Oct 1–7 off, Sun Sep 29 and Sat Oct 12 worked -------------------------

def test_cash_collected_before_national_day_is_due_after_the_holiday() -> None:
    # APL 第71条: 2 working days, counted from the next day; Oct 1–7 do not count
    assert OFFICIAL.add_working_days(D(2024, 9, 30), 2) == D(2024, 10, 9)
    assert monday_to_friday_add(D(2024, 9, 30), 2) == D(2024, 10, 2)  # what would be wrong


def test_make_up_sunday_before_national_day_counts_as_a_working_day() -> None:
    assert OFFICIAL.is_working_day(D(2024, 9, 29))          # Sunday, 调休上班
    assert OFFICIAL.add_working_days(D(2024, 9, 27), 2) == D(2024, 9, 30)
    assert monday_to_friday_add(D(2024, 9, 27), 2) == D(2024, 10, 1)


def test_seven_working_days_across_national_day_end_on_the_make_up_saturday() -> None:
    # Sep 29 (Sun), Sep 30, Oct 8, 9, 10, 11, Oct 12 (Sat, worked)
    assert OFFICIAL.add_working_days(D(2024, 9, 27), 7) == D(2024, 10, 12)
    assert OFFICIAL.add_working_days(D(2024, 10, 10), 2) == D(2024, 10, 12)


def test_national_day_holidays_are_not_working_days_even_on_weekdays() -> None:
    assert [OFFICIAL.is_working_day(D(2024, 10, d)) for d in range(1, 8)] == [False] * 7
    assert OFFICIAL.is_working_day(D(2024, 10, 8))


# --- 2025 Spring Festival: Jan 28 (除夕) – Feb 4 off, Sun Jan 26 and Sat Feb 8 worked ------------

def test_summary_filing_across_spring_festival_2025() -> None:
    # decided Fri Jan 24: Jan 26 (Sun, worked) 1, Jan 27 2, Jan 28–Feb 4 off, Feb 5 3
    assert OFFICIAL.add_working_days(D(2025, 1, 24), 3) == D(2025, 2, 5)


def test_service_deadline_across_spring_festival_2025_counts_the_make_up_saturday() -> None:
    # Feb 5, 6, 7, Feb 8 (Sat, worked), 10, 11, 12
    assert OFFICIAL.add_working_days(D(2025, 1, 27), 7) == D(2025, 2, 12)
    assert OFFICIAL.is_working_day(D(2025, 2, 8)) and not OFFICIAL.is_working_day(D(2025, 2, 9))


def test_new_years_eve_2024_was_only_encouraged_off_and_is_a_working_day() -> None:
    assert OFFICIAL.is_working_day(D(2024, 2, 9))
    assert not OFFICIAL.is_working_day(D(2024, 2, 10))


def test_2026_schedule() -> None:
    assert [OFFICIAL.is_working_day(D(2026, 1, d)) for d in (1, 2, 3, 4, 5)] == [
        False, False, False, True, True]                    # 元旦 Jan 1–3, Sun Jan 4 worked
    spring = [D(2026, 2, 15) + timedelta(days=i) for i in range(9)]
    assert not any(OFFICIAL.is_working_day(d) for d in spring)  # 春节 Feb 15–23, 9 days
    assert OFFICIAL.is_working_day(D(2026, 2, 14)) and OFFICIAL.is_working_day(D(2026, 2, 28))
    assert OFFICIAL.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 9)  # Oct 8, Oct 9
    assert OFFICIAL.is_working_day(D(2026, 10, 10))         # Saturday, worked


@pytest.mark.parametrize("schedule", [CN_2024, CN_2025, CN_2026], ids=lambda s: str(s.year))
def test_official_schedules_are_consistent(schedule) -> None:  # noqa: ANN001
    assert all(d.weekday() >= 5 for d in schedule.makeup_workdays)   # make-up days are weekends
    assert not schedule.holidays & set(schedule.makeup_workdays)
    assert all(d.year == schedule.year for d in schedule.holidays | set(schedule.makeup_workdays))
    weekday_holidays = {d for d in schedule.holidays if d.weekday() < 5}
    # weekdays off minus make-up days = the statutory holidays of the year (全国年节及纪念日放假办法:
    # 11 days, 13 from 2025) — a cross-check on the transcription of each notice
    statutory = 11 if schedule.year < 2025 else 13
    assert len(weekday_holidays) - len(schedule.makeup_workdays) == statutory


# --- definitions --------------------------------------------------------------------------------

def test_zero_working_days_is_the_start_day_and_negative_is_refused() -> None:
    assert OFFICIAL.add_working_days(D(2024, 10, 3), 0) == D(2024, 10, 3)
    with pytest.raises(ValueError):
        OFFICIAL.add_working_days(D(2024, 10, 3), -1)


def test_working_days_between_inverts_add_working_days() -> None:
    start = D(2024, 1, 1)
    for offset in range(0, 700, 7):
        a = start + timedelta(days=offset)
        for n in (1, 2, 3, 5, 7):
            b = OFFICIAL.add_working_days(a, n)
            assert OFFICIAL.working_days_between(a, b) == n
            assert OFFICIAL.working_days_between(a, b - timedelta(days=1)) == n - 1
    assert OFFICIAL.working_days_between(D(2024, 10, 9), D(2024, 9, 30)) == -2
    assert OFFICIAL.working_days_between(D(2024, 10, 9), D(2024, 10, 9)) == 0


def test_remittance_two_working_days_after_collection_is_in_time_three_is_late() -> None:
    collected = D(2024, 9, 30)
    assert OFFICIAL.working_days_between(collected, D(2024, 10, 9)) == 2   # on time
    assert OFFICIAL.working_days_between(collected, D(2024, 10, 10)) == 3  # late (RF05.b)


def test_calendar_day_period_rolls_forward_off_a_holiday() -> None:
    # complaint acknowledged within 15 days of Jan 20 2025: Feb 4 is a Spring Festival day
    assert OFFICIAL.add_calendar_days(D(2025, 1, 20), 15) == D(2025, 2, 5)
    assert OFFICIAL.add_calendar_days(D(2025, 1, 20), 15, roll_forward=False) == D(2025, 2, 4)
    # ... but not off a make-up working Sunday
    assert OFFICIAL.add_calendar_days(D(2024, 9, 14), 15) == D(2024, 9, 29)
    # ... and off an ordinary weekend
    assert OFFICIAL.add_calendar_days(D(2024, 8, 12), 12) == D(2024, 8, 26)


def test_refuses_to_guess_outside_the_covered_years() -> None:
    with pytest.raises(CalendarNotCovered, match="2027"):
        OFFICIAL.is_working_day(D(2027, 1, 4))
    with pytest.raises(CalendarNotCovered):
        OFFICIAL.add_working_days(D(2026, 12, 30), 3)
    with pytest.raises(CalendarNotCovered):
        OFFICIAL.is_working_day(D(2023, 12, 29))



def test_a_period_running_past_9999_is_not_covered_rather_than_an_overflow() -> None:
    """A case dated 9999-12-30 is accepted; its 90-day decision deadline has no date."""
    with pytest.raises(CalendarNotCovered, match="past 9999-12-31"):
        OFFICIAL.add_calendar_days(D(9999, 12, 30), 90)
    last_year = WorkingCalendar(set(), set(), years=[9999])
    assert last_year.add_working_days(D(9999, 12, 29), 2) == D(9999, 12, 31)   # Wed, Fri
    with pytest.raises(CalendarNotCovered, match="past 9999-12-31"):
        last_year.add_working_days(D(9999, 12, 30), 3)
    with pytest.raises(CalendarNotCovered, match="past 9999-12-31"):
        last_year.add_calendar_days(D(9999, 12, 31), 1)

def test_calendar_from_published_events_equals_the_official_one() -> None:
    bodies = [s.published_body() for s in OFFICIAL_SCHEDULES.values()]
    published = WorkingCalendar.from_published(bodies)
    assert (published.holidays, published.makeup_workdays, published.years) == (
        OFFICIAL.holidays, OFFICIAL.makeup_workdays, OFFICIAL.years)


def test_a_later_publication_for_a_year_replaces_the_earlier_one() -> None:
    first = CN_2025.published_body()
    correction = {**first, "holidays": first["holidays"] + ["2025-12-31"]}
    cal = WorkingCalendar.from_published([first, correction])
    assert not cal.is_working_day(D(2025, 12, 31))
    assert WorkingCalendar.from_published([correction, first]).is_working_day(D(2025, 12, 31))


def test_a_day_cannot_be_both_holiday_and_make_up_day() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar({D(2024, 10, 1)}, {D(2024, 10, 1)})


def test_legal_date_is_the_date_in_china_standard_time() -> None:
    assert legal_date("2024-09-30T17:00:00Z") == D(2024, 10, 1)
    assert legal_date("2024-09-30T23:59:59+08:00") == D(2024, 9, 30)
    assert legal_date("2024-09-30T10:00:00-05:00") == D(2024, 9, 30)


# --- parameters and fine schedule ----------------------------------------------------------------

def test_legal_parameters_are_integers_in_fen_and_days() -> None:
    assert PARAMS.summary_procedure_max_fine_individual_fen == 20_000        # 200 CNY
    assert PARAMS.summary_procedure_max_fine_organisation_fen == 300_000     # 3,000 CNY
    assert PARAMS.onsite_collection_max_fine_fen == 10_000                   # 100 CNY
    assert PARAMS.late_payment_surcharge_bp_per_day == 300                   # 3 %/day
    assert PARAMS.hearing_threshold_individual_fen is None                   # LOCAL
    assert all(isinstance(p["value"], (int, type(None))) for p in PARAMS.describe())
    assert PARAMS.version


def test_fine_schedule_is_in_fen() -> None:
    stall = FINE_SCHEDULE["STALL_SH"]
    assert (stall.min_fen, stall.max_fen) == (5_000, 50_000)
    assert stall.illustrative_bands == {"minor": (5_000, 15_000), "general": (15_000, 35_000),
                                        "serious": (35_000, 50_000)}
    assert FINE_SCHEDULE["POSTING_BJ"].ranges["organiser_serious"] == (10_000_000, 50_000_000)
    assert FINE_SCHEDULE["SPIT_BJ"].degenerate and not stall.degenerate
    assert len(FINE_SCHEDULE) == 15
