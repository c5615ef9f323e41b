"""The simulated clock and the order in which events reach the ledger.

Each step has two times, like the ledger itself (DESIGN.md principle 4): ``occurred_at``, the
world time its signer claims, and ``posted``, when the signer's system would have sent it.
The log order of a synthetic city is the ``posted`` order (ties broken by creation order), so
late-synced bodycam footage lands after the decision it documents, as it would in reality.

Steps are created when a case starts (its whole lifecycle at once) and kept in a heap until the
simulation day in which they are posted has been reached, so memory stays bounded by the
events still in the future, not by the size of the history.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ..domain.calendar import OFFICIAL
from . import seeded

CST = timezone(timedelta(hours=8))
CAL = OFFICIAL


def at(day: date, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """``day`` at ``hh:mm:ss`` China Standard Time."""
    return datetime.combine(day, time(hh, mm, ss), CST)


def iso(dt: datetime) -> str:
    """RFC 3339 with the +08:00 offset, to the second."""
    return dt.astimezone(CST).isoformat(timespec="seconds")


def wd_after(day: date, n: int) -> date:
    """The n-th working day strictly after ``day`` (APL 第85条; official holiday table)."""
    return CAL.add_working_days(day, n)


def next_wd(day: date) -> date:
    """``day`` itself if it is a working day, else the next working day."""
    return CAL.next_working_day(day)


def is_wd(day: date) -> bool:
    return CAL.is_working_day(day)


@dataclass(slots=True)
class Step:
    """One event to be signed: ``key`` names the signing key in the city's key ring."""

    posted: datetime
    seq: int
    event_id: str
    stream: str
    type: str
    occurred_at: str
    body: dict[str, Any]
    key: str


@dataclass
class Timeline:
    """Creates steps (assigning deterministic event ids) and releases them in posted order."""

    seed: int
    _heap: list[tuple[float, int, Step]] = field(default_factory=list)
    _seq: int = 0
    created: int = 0

    def make(self, stream: str, type_name: str, occurred: datetime, body: dict[str, Any],
             key: str, *, posted: datetime | None = None) -> Step:
        """A step with its final ``event_id``, not scheduled (see :meth:`add`)."""
        self._seq += 1
        self.created += 1
        return Step(posted=posted or occurred, seq=self._seq,
                    event_id=seeded.event_id(self.seed, self._seq, occurred), stream=stream,
                    type=type_name, occurred_at=iso(occurred), body=body, key=key)

    def add(self, stream: str, type_name: str, occurred: datetime, body: dict[str, Any],
            key: str, *, posted: datetime | None = None) -> Step:
        """Schedule an event for release in posted order; returns the step."""
        step = self.make(stream, type_name, occurred, body, key, posted=posted)
        heapq.heappush(self._heap, (step.posted.timestamp(), step.seq, step))
        return step

    def release(self, before: datetime | None = None) -> Iterator[Step]:
        """Steps posted before ``before`` (all of them if None), in log order."""
        heap = self._heap
        limit = before.timestamp() if before is not None else float("inf")
        while heap and heap[0][0] < limit:
            yield heapq.heappop(heap)[2]

    def __len__(self) -> int:
        return len(self._heap)
