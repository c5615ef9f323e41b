"""Instants and legal days as integers, and O(1) working-day arithmetic.

Rules compare instants as integer seconds since the Unix epoch (``ts``) and legal days as
proleptic Gregorian ordinals (``date.toordinal()``) of the date in China Standard Time — the
same counting rules as :mod:`ledger.domain.calendar` (APL 第85条; the day of the act does not
count; a calendar-day period ending on a rest day rolls forward), precomputed once per calendar
so that a deadline costs two list look-ups instead of a day-by-day walk.

A day outside the years the calendar covers has no answer: the functions return ``None`` and the
rule that asked reports nothing rather than fall back to Monday–Friday arithmetic.

Every function here is total over integers: an instant or day outside Python's years 1–9999 (a
deadline counted on from 9999-12-30, an event stored before the door refused such instants)
is written with an ISO 8601 expanded year (``+10000-01-01``, ``-0001-12-31``) instead of
raising, so one such event cannot stop the projections (docs/red-flags.md, "Dates at the edges
of the calendar").
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Mapping

from ledger.schemas import parse_datetime

EPOCH_ORD = date(1970, 1, 1).toordinal()
DAY = 86_400
HOUR = 3_600
MINUTE = 60

_fromiso = datetime.fromisoformat
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)
#: what :func:`iso` writes outside years 0001–9999 (and year 0000, which Python does not read)
_EXPANDED = re.compile(r"([+-]?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                       r"(?:\.[0-9]+)?(?:Z|([+-])([0-9]{2}):([0-9]{2}))")


def _seconds(dt: datetime) -> int:
    """Whole seconds since the epoch, rounded down (exactly: before 1970 truncating the float
    toward zero would be the next second, and the next day at 23:59:59.5). Raises
    ``ValueError`` for a time without an offset."""
    if dt.tzinfo is None:
        raise ValueError(f"{dt.isoformat()} has no UTC offset")
    return (dt - _EPOCH) // _SECOND


def ts_of(instant: str) -> int:
    """Seconds since the epoch of an RFC 3339 instant with an offset (sub-seconds dropped), or
    of :func:`iso`'s text with an expanded year. Raises ``ValueError`` for anything else."""
    try:
        return _seconds(_fromiso(instant))
    except ValueError:       # nanoseconds or other RFC 3339 forms Python does not read
        pass
    try:
        return _seconds(parse_datetime(instant))
    except ValueError:
        m = _EXPANDED.fullmatch(instant)
        if m is None:
            raise
    y, mo, d, h, mi, s, sign, oh, om = m.groups()
    offset = 0 if sign is None else (1 if sign == "+" else -1) * (int(oh) * HOUR + int(om) * MINUTE)
    return ((ordinal(int(y), int(mo), int(d)) - EPOCH_ORD) * DAY + int(h) * HOUR
            + int(mi) * MINUTE + int(s) - offset)


def ts_of_datetime(dt: datetime) -> int:
    """Seconds since the epoch of an aware datetime (``at`` arguments)."""
    if dt.tzinfo is None:
        raise ValueError("evaluation time must be timezone-aware")
    return _seconds(dt)


#: days in 400 Gregorian years: the calendar repeats with this period
_CYCLE = 146_097
_MAX_DAY = date.max.toordinal()


def ymd(day: int) -> tuple[int, int, int]:
    """Year, month and day of the proleptic Gregorian ordinal ``day``, for any integer (year 0
    and below, 10000 and above included)."""
    if 1 <= day <= _MAX_DAY:
        d = date.fromordinal(day)
        return d.year, d.month, d.day
    cycles, rest = divmod(day - 1, _CYCLE)
    d = date.fromordinal(rest + 1)
    return d.year + 400 * cycles, d.month, d.day


def ordinal(year: int, month: int, day: int) -> int:
    """The ordinal of a date of any year (the inverse of :func:`ymd`). Raises ``ValueError``
    for an impossible month or day."""
    cycles, y = divmod(year - 1, 400)
    return date(y + 1, month, day).toordinal() + cycles * _CYCLE


def add_years(day: int, years: int) -> int:
    """The same month and day ``years`` later (29 February to 28 February in a common year)."""
    y, m, d = ymd(day)
    try:
        return ordinal(y + years, m, d)
    except ValueError:
        return ordinal(y + years, m, 28)


def year_text(year: int) -> str:
    """Four digits for years 0–9999 (``0999``), else ISO 8601's signed expanded form."""
    return f"{year:04d}" if 0 <= year <= 9999 else f"{year:+05d}"


def iso(ts: int, offset_minutes: int = 480) -> str:
    """RFC 3339 text of ``ts`` in the legal time zone (``2024-10-09T00:00:00+08:00``); an
    expanded year outside 0001–9999."""
    local = ts + offset_minutes * 60
    if 1 <= local // DAY + EPOCH_ORD <= _MAX_DAY:
        tz = timezone(timedelta(minutes=offset_minutes))
        try:
            return datetime.fromtimestamp(ts, tz).isoformat()
        except (OverflowError, OSError, ValueError):     # the UTC instant is out of range
            pass
    secs = local % DAY
    sign, off = ("+", offset_minutes) if offset_minutes >= 0 else ("-", -offset_minutes)
    return (f"{day_iso(local // DAY + EPOCH_ORD)}T{secs // HOUR:02d}:{secs % HOUR // MINUTE:02d}:"
            f"{secs % MINUTE:02d}{sign}{off // 60:02d}:{off % 60:02d}")


def day_iso(day: int) -> str:
    """``YYYY-MM-DD`` of an ordinal; an expanded year outside 0001–9999."""
    if 1 <= day <= _MAX_DAY:
        return date.fromordinal(day).isoformat()
    y, m, d = ymd(day)
    return f"{year_text(y)}-{m:02d}-{d:02d}"


def day_of_iso(text: str) -> int:
    return date.fromisoformat(text).toordinal()


class Days:
    """Legal days and working days for one calendar (holidays, make-up days, covered years).

    ``offset_minutes`` fixes the legal time zone (UTC+08:00 by default): the legal day of an
    instant is its date there, and a deadline day ends at the next midnight there.
    """

    __slots__ = ("offset", "years", "first", "cum", "work", "_span")

    def __init__(self, holidays: Iterable[date], makeup_workdays: Iterable[date],
                 years: Iterable[int], *, offset_minutes: int = 480) -> None:
        self.offset = offset_minutes * 60
        self.years = frozenset(years)
        holi = {d.toordinal() for d in holidays}
        make = {d.toordinal() for d in makeup_workdays}
        if not self.years:
            self.first, self.cum, self.work, self._span = 0, [], [], None
            return
        lo, hi = min(self.years), max(self.years)
        #: one contiguous block of covered years: coverage is a range check
        self._span = ((date(lo, 1, 1).toordinal(), date(hi, 12, 31).toordinal())
                      if hi - lo + 1 == len(self.years) else None)
        first = date(min(self.years), 1, 1).toordinal()
        last = date(max(self.years), 12, 31).toordinal()
        cum: list[int] = []
        work: list[int] = []
        n = 0
        for d in range(first, last + 1):
            if d in make or (d not in holi and (d + 6) % 7 < 5):   # ordinal 1 is a Monday
                n += 1
                work.append(d)
            cum.append(n)
        self.first, self.cum, self.work = first, cum, work

    @classmethod
    def from_schedules(cls, schedules: Mapping[int, tuple[Iterable[str], Iterable[str]]], *,
                       offset_minutes: int = 480) -> "Days":
        """From ``{year: (holidays, makeup_workdays)}`` with ISO date strings."""
        holidays = [date.fromisoformat(d) for h, _ in schedules.values() for d in h]
        makeup = [date.fromisoformat(d) for _, m in schedules.values() for d in m]
        return cls(holidays, makeup, schedules.keys(), offset_minutes=offset_minutes)

    # --- instants and days ----------------------------------------------------------------

    def day(self, ts: int) -> int:
        """The legal day (ordinal) of instant ``ts``."""
        return (ts + self.offset) // DAY + EPOCH_ORD

    def start(self, day: int) -> int:
        """The first instant of legal day ``day``."""
        return (day - EPOCH_ORD) * DAY - self.offset

    def end(self, day: int) -> int:
        """The first instant after legal day ``day``: a deadline on ``day`` has passed from
        here on."""
        return (day + 1 - EPOCH_ORD) * DAY - self.offset

    # --- working days -----------------------------------------------------------------------

    def _covered(self, a: int, b: int) -> bool:
        """Every day in [a, b] lies in a covered year."""
        if b < a:
            return True
        if self._span is not None:
            return self._span[0] <= a and b <= self._span[1]
        if not self.years:
            return False
        ya, yb = ymd(a)[0], ymd(b)[0]
        return all(y in self.years for y in range(ya, yb + 1))

    def _count(self, day: int) -> int:
        """Working days in [first, day]."""
        i = day - self.first
        if i < 0:
            return 0
        if i >= len(self.cum):
            return self.cum[-1] if self.cum else 0
        return self.cum[i]

    def is_working(self, day: int) -> bool | None:
        if not self._covered(day, day):
            return None
        i = day - self.first
        return self.cum[i] != (self.cum[i - 1] if i else 0)

    def add_working(self, day: int, n: int) -> int | None:
        """The n-th working day strictly after ``day`` (``day`` itself for n = 0), or None
        when the count leaves the covered years."""
        if n <= 0:
            return day
        k = self._count(day) + n - 1
        if k >= len(self.work):
            return None
        result = self.work[k]
        return result if self._covered(day + 1, result) else None

    def working_between(self, a: int, b: int) -> int | None:
        """Working days d with a < d ≤ b (negative when b < a), or None if not covered."""
        if b < a:
            r = self.working_between(b, a)
            return None if r is None else -r
        if not self._covered(a + 1, b):
            return None
        return self._count(b) - self._count(a)

    def next_working(self, day: int) -> int | None:
        """``day`` if it is a working day, else the first working day after it."""
        k = self._count(day - 1)
        if k >= len(self.work) or day < self.first:
            return None
        result = self.work[k]
        return result if self._covered(day, result) else None

    def add_calendar(self, day: int, n: int, *, roll_forward: bool = True) -> int | None:
        """``day + n``, rolled forward to a working day (a period never ends on a rest day)."""
        end = day + n
        return self.next_working(end) if roll_forward else end


def quarter_of(day: int) -> str:
    """``YYYY-Qn`` of an ordinal (the year as in :func:`year_text`, so quarters sort by text
    within years 0–9999)."""
    y, m, _ = ymd(day)
    return f"{year_text(y)}-Q{(m - 1) // 3 + 1}"


def month_of(day: int) -> str:
    y, m, _ = ymd(day)
    return f"{year_text(y)}-{m:02d}"


def _year_month(month: str) -> tuple[int, int]:
    y, _, m = month.rpartition("-")
    return int(y), int(m)


def month_bounds(month: str) -> tuple[int, int]:
    """First and last day (ordinals) of a :func:`month_of` month (``YYYY-MM``)."""
    y, m = _year_month(month)
    return ordinal(y, m, 1), ordinal(y + (m == 12), m % 12 + 1, 1) - 1


def next_month(month: str) -> str:
    y, m = _year_month(month)
    return f"{year_text(y + (m == 12))}-{m % 12 + 1:02d}"


__all__ = ["DAY", "Days", "EPOCH_ORD", "HOUR", "MINUTE", "add_years", "day_iso",
           "day_of_iso", "iso", "month_bounds", "month_of", "next_month", "ordinal", "quarter_of",
           "ts_of", "ts_of_datetime", "year_text", "ymd"]
