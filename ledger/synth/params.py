"""Parameters of a synthetic city: its size, its period, and how much misconduct to plant.

Everything the generator does follows from a :class:`CityParams` and its ``seed``; the same
parameters always give the same signed events, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

#: the working-day calendar (ledger.domain.calendar) covers these years only
CALENDAR_LAST_DAY = date(2026, 12, 31)
CALENDAR_FIRST_DAY = date(2024, 1, 1)
#: general cases run for up to ~150 days after the last day on which new cases start
TAIL_DAYS = 200


@dataclass(frozen=True)
class CityParams:
    """Size and period of the city. ``cases_per_officer_day`` is the mean number of cases an
    on-duty team member leads per day (each case has a partner too).

    ``misconduct`` scales every planted kind's default rate (0 plants nothing);
    ``min_each`` guarantees that many of each case-level kind (when > 0 rate), so that even a
    small city shows every kind; ``scenarios`` switches the actor scenarios (corrupt officer,
    shakedown team, fine-quota unit, favoured party, …) on or off.
    """

    seed: int = 0
    brigades: int = 1                    # 大队
    squadrons_per_brigade: int = 2       # 中队 per 大队
    officers_per_squadron: int = 6       # team members (pairs); leaders come on top
    auxiliaries_per_squadron: int = 1    # 协管员
    days: int = 106                      # days on which new cases start
    start: date = date(2025, 9, 1)
    cases_per_officer_day: float = 0.22
    patrol_probability: float = 0.6      # a squadron patrols (recorded) on a given day
    complaints_per_brigade_day: float = 0.08
    misconduct: float = 1.0
    min_each: int = 1
    scenarios: bool = True
    rates: dict[str, float] = field(default_factory=dict)   # per-kind rate overrides
    #: local sample-size minimums for the statistical red flags, published on the ledger as
    #: a ``LegalParametersPublished`` (e.g. ``stats_min_n``): a small city has small cohorts
    detection: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.brigades < 1 or self.squadrons_per_brigade < 1:
            raise ValueError("a city needs at least one brigade with one squadron")
        if self.officers_per_squadron < 4 or self.officers_per_squadron % 2:
            raise ValueError("officers_per_squadron must be an even number ≥ 4 (teams of two)")
        if self.days < 1:
            raise ValueError("days must be ≥ 1")
        if self.start < CALENDAR_FIRST_DAY + timedelta(days=60):
            raise ValueError("start must be on or after 2024-03-01 (the working-day calendar "
                             "covers 2024–2026)")
        if self.start + timedelta(days=self.days + TAIL_DAYS) > CALENDAR_LAST_DAY:
            raise ValueError(f"start + days + {TAIL_DAYS} days of case tails must end by "
                             f"{CALENDAR_LAST_DAY} (the working-day calendar's last year)")
        if not 0 <= self.cases_per_officer_day <= 5:
            raise ValueError("cases_per_officer_day must be within 0..5")
        if not self.misconduct >= 0:            # NaN too
            raise ValueError("misconduct must be ≥ 0 (0 = a clean city)")

    @property
    def end(self) -> date:
        """The last day on which new cases start."""
        return self.start + timedelta(days=self.days - 1)

    @classmethod
    def scale(cls, name: str, *, seed: int = 0, **overrides: Any) -> "CityParams":
        """A named size: ``tiny`` (tests), ``small`` (``ledger demo``), ``medium``, ``large``."""
        try:
            base = SCALES[name]
        except KeyError:
            raise ValueError(f"unknown scale {name!r}; one of {', '.join(SCALES)}") from None
        return replace(base, seed=seed, **overrides)


SCALES: dict[str, CityParams] = {
    # ≈ 2.5k events, mostly planted: every kind once (tests)
    "tiny": CityParams(officers_per_squadron=4, days=75, cases_per_officer_day=0.12,
                       patrol_probability=0.3, complaints_per_brigade_day=0.05,
                       detection={"stats_min_n": 6, "stats_min_peers": 3}),
    # ≈ 5k events: the demo city
    "small": CityParams(detection={"stats_min_n": 6, "stats_min_peers": 3}),
    # ≈ 25k events
    "medium": CityParams(brigades=2, squadrons_per_brigade=3, officers_per_squadron=8,
                         auxiliaries_per_squadron=2, days=182, start=date(2025, 3, 3),
                         cases_per_officer_day=0.2),
    # ≈ 160k events
    "large": CityParams(brigades=4, squadrons_per_brigade=4, officers_per_squadron=10,
                        auxiliaries_per_squadron=2, days=365, start=date(2025, 1, 6),
                        cases_per_officer_day=0.22, misconduct=0.5),
}
