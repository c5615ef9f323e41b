"""Working-day calendar: 法定节假日 and 调休 make-up working days, from the official notices.

Never Monday–Friday arithmetic alone: in China a Saturday can be a working day (调休上班) and a
Tuesday a holiday. A calendar therefore knows which years it covers and refuses to answer for
any other year (:class:`CalendarNotCovered`) rather than guess.

Counting rules (documented here once, used by every deadline in the projections):

* ``add_working_days(start, n)`` — APL 第85条 makes "二日""三日""五日""七日" working days. As for
  every statutory period (期间开始的日不计算在期间内, the general rule of 民事诉讼法 第85条 applied by
  analogy), the day of the triggering act does not count: the period runs from the next day.
  The result is the n-th working day strictly after ``start`` — the last day on which the act is
  still in time. Cash collected on Mon 2024-09-30 must reach the agency by Wed 2024-10-09
  (Oct 1–7 are National Day holidays), not by Wed 2024-10-02.
* ``working_days_between(a, b)`` — the number of working days d with a < d ≤ b (negative when
  b < a), so ``working_days_between(a, add_working_days(a, n)) == n``: an act is late when this
  exceeds the statutory n.
* ``add_calendar_days(start, n)`` — calendar-day periods (15-day payment, 90-day decision) also
  start the next day, so the deadline is ``start + n``; when that day is not a working day it
  rolls forward to the next working day (期间届满的最后一日是法定休假日的，以法定休假日后的第一日
  为期间届满的日期 — the same general rule). ``roll_forward=False`` gives the raw date.
* The legal day of an instant is its date in China Standard Time (UTC+08:00), whatever offset
  the signer wrote: see :func:`legal_date`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Iterable

from ..errors import LedgerError
from ..schemas import parse_datetime

CST = timezone(timedelta(hours=8), "CST")


class CalendarNotCovered(LedgerError):
    """Working-day arithmetic reached a year for which no official schedule is loaded."""

    code = "calendar-not-covered"


@dataclass(frozen=True)
class HolidaySchedule:
    """One year's notice: named holiday blocks (inclusive ranges) and make-up working days."""

    year: int
    source: str
    blocks: tuple[tuple[str, date, date], ...]
    makeup_workdays: tuple[date, ...]

    @property
    def holidays(self) -> frozenset[date]:
        days: set[date] = set()
        for _, first, last in self.blocks:
            days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
        return frozenset(days)

    def published_body(self) -> dict[str, Any]:
        """A ``WorkingCalendarPublished`` body for this year."""
        return {"year": self.year, "holidays": [d.isoformat() for d in sorted(self.holidays)],
                "makeup_workdays": [d.isoformat() for d in sorted(self.makeup_workdays)],
                "source": self.source}


D = date
#: 国务院办公厅关于2024年部分节假日安排的通知 (国办发明电〔2023〕7号, 2023-10-25). The 2024
#: notice only "encourages" a day off on New Year's Eve (Feb 9): it is a working day.
CN_2024 = HolidaySchedule(2024, "国办发明电〔2023〕7号", (
    ("元旦", D(2024, 1, 1), D(2024, 1, 1)),
    ("春节", D(2024, 2, 10), D(2024, 2, 17)),
    ("清明节", D(2024, 4, 4), D(2024, 4, 6)),
    ("劳动节", D(2024, 5, 1), D(2024, 5, 5)),
    ("端午节", D(2024, 6, 10), D(2024, 6, 10)),
    ("中秋节", D(2024, 9, 15), D(2024, 9, 17)),
    ("国庆节", D(2024, 10, 1), D(2024, 10, 7)),
), (D(2024, 2, 4), D(2024, 2, 18), D(2024, 4, 7), D(2024, 4, 28), D(2024, 5, 11),
    D(2024, 9, 14), D(2024, 9, 29), D(2024, 10, 12)))

#: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12): the first year
#: under the revised 全国年节及纪念日放假办法 (春节 from 除夕, 劳动节 two statutory days).
CN_2025 = HolidaySchedule(2025, "国办发明电〔2024〕12号", (
    ("元旦", D(2025, 1, 1), D(2025, 1, 1)),
    ("春节", D(2025, 1, 28), D(2025, 2, 4)),
    ("清明节", D(2025, 4, 4), D(2025, 4, 6)),
    ("劳动节", D(2025, 5, 1), D(2025, 5, 5)),
    ("端午节", D(2025, 5, 31), D(2025, 6, 2)),
    ("国庆节、中秋节", D(2025, 10, 1), D(2025, 10, 8)),
), (D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)))

#: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04, 新华社 text).
CN_2026 = HolidaySchedule(2026, "国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)", (
    ("元旦", D(2026, 1, 1), D(2026, 1, 3)),
    ("春节", D(2026, 2, 15), D(2026, 2, 23)),
    ("清明节", D(2026, 4, 4), D(2026, 4, 6)),
    ("劳动节", D(2026, 5, 1), D(2026, 5, 5)),
    ("端午节", D(2026, 6, 19), D(2026, 6, 21)),
    ("中秋节", D(2026, 9, 25), D(2026, 9, 27)),
    ("国庆节", D(2026, 10, 1), D(2026, 10, 7)),
), (D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20),
    D(2026, 10, 10)))

OFFICIAL_SCHEDULES: dict[int, HolidaySchedule] = {s.year: s for s in (CN_2024, CN_2025, CN_2026)}


class WorkingCalendar:
    """Working days for the covered ``years``: Mon–Fri, minus ``holidays``, plus
    ``makeup_workdays``. Any date outside the covered years raises :class:`CalendarNotCovered`."""

    __slots__ = ("holidays", "makeup_workdays", "years")

    def __init__(self, holidays: Iterable[date], makeup_workdays: Iterable[date], *,
                 years: Iterable[int] | None = None) -> None:
        self.holidays = frozenset(holidays)
        self.makeup_workdays = frozenset(makeup_workdays)
        both = self.holidays & self.makeup_workdays
        if both:
            raise ValueError(f"days both holiday and make-up working day: {sorted(both)}")
        self.years = frozenset(years if years is not None
                               else {d.year for d in self.holidays | self.makeup_workdays})

    @classmethod
    def official(cls) -> "WorkingCalendar":
        """The State Council schedules for 2024, 2025 and 2026."""
        return cls.from_schedules(OFFICIAL_SCHEDULES.values())

    @classmethod
    def from_schedules(cls, schedules: Iterable[HolidaySchedule]) -> "WorkingCalendar":
        schedules = list(schedules)
        return cls(frozenset().union(*(s.holidays for s in schedules)),
                   [d for s in schedules for d in s.makeup_workdays],
                   years=[s.year for s in schedules])

    @classmethod
    def from_published(cls, bodies: Iterable[dict[str, Any]]) -> "WorkingCalendar":
        """From ``WorkingCalendarPublished`` bodies in log order; a later body for a year
        replaces the earlier one (a correction is a new event, never an edit)."""
        by_year: dict[int, dict[str, Any]] = {}
        for body in bodies:
            by_year[body["year"]] = body
        return cls({date.fromisoformat(d) for b in by_year.values() for d in b["holidays"]},
                   {date.fromisoformat(d) for b in by_year.values() for d in b["makeup_workdays"]},
                   years=by_year.keys())

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        """Raises :class:`CalendarNotCovered` outside the covered years."""
        if day.year not in self.years:
            raise CalendarNotCovered(f"no official holiday schedule for {day.year} "
                                     f"(covered: {sorted(self.years)})", day=day.isoformat())
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after ``start`` (``start`` itself for n = 0).

        Requires n ≥ 0. Raises :class:`CalendarNotCovered` if the count leaves the covered years.
        """
        if n < 0:
            raise ValueError("n must be ≥ 0")
        day = start
        while n:
            day = _plus(day, 1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d ≤ b; ``-working_days_between(b, a)`` when b < a."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for i in range(1, (b - a).days + 1)
                   if self.is_working_day(a + timedelta(days=i)))

    def next_working_day(self, day: date) -> date:
        """``day`` if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day = _plus(day, 1)
        return day

    def add_calendar_days(self, start: date, n: int, *, roll_forward: bool = True) -> date:
        """``start + n`` days; if that is not a working day and ``roll_forward``, the next
        working day (a period never ends on a holiday). Raises :class:`CalendarNotCovered` if
        the end falls after 9999-12-31."""
        end = _plus(start, n)
        return self.next_working_day(end) if roll_forward else end


def _plus(day: date, n: int) -> date:
    """``day + n`` days; past 9999-12-31 (a case dated late 9999) no calendar covers it."""
    try:
        return day + timedelta(days=n)
    except OverflowError:
        raise CalendarNotCovered(f"{n} days after {day.isoformat()} is past 9999-12-31",
                                 day=day.isoformat()) from None


OFFICIAL = WorkingCalendar.official()


@lru_cache(maxsize=4096)
def legal_date(instant: str | datetime, *, offset_minutes: int = 480) -> date:
    """The legal (China Standard Time) date of an RFC 3339 instant with an offset.

    Cached: a projection asks for the same event's day several times (≈ 2 µs each, against
    ≈ 4 µs to parse and convert)."""
    dt = parse_datetime(instant) if isinstance(instant, str) else instant
    return dt.astimezone(_zone(offset_minutes)).date()


@lru_cache(maxsize=None)
def _zone(offset_minutes: int) -> timezone:
    return timezone(timedelta(minutes=offset_minutes))
