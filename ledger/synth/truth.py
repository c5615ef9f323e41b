"""The ground truth of a synthetic city: every planted item, the red flags it should raise,
its subject and the ids of the events involved (written as JSON Lines by ``ledger demo``).

One line per item::

    {"id": "GT-0007", "kind": "cash_remitted_late", "rf": ["RF05"], "rules": ["RF05.b"],
     "scope": "case", "subject": {"case": "SH-C42-2025-000123", "officer": "SH-C42-0107"},
     "event_ids": ["…", "…"], "detail": "on-the-spot cash handed in to the agency after …"}

Items about people are completed as their acts are generated: a *watch* adds the id of every
later event of the listed types in which the person acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .catalogue import BY_NAME


@dataclass
class _Watch:
    person_id: str
    since: date
    until: date | None
    types: tuple[str, ...]
    entry: dict[str, Any]


class Truth:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._watches: dict[str, list[_Watch]] = {}

    def entry(self, kind: str, *, detail: str | None = None, scenario: str | None = None,
              **subject: str | None) -> dict[str, Any]:
        """A new item of ``kind`` about ``subject`` (case=…, officer=…, unit=…, party=…)."""
        k = BY_NAME[kind]
        item: dict[str, Any] = {
            "id": f"GT-{len(self.entries) + 1:04d}", "kind": kind, "rf": list(k.rf),
            "rules": list(k.rules), "scope": k.scope,
            "subject": {key: value for key, value in subject.items()},
            "event_ids": [], "detail": detail or k.description}
        if scenario:
            item["scenario"] = scenario
        self.entries.append(item)
        return item

    def watch(self, person_id: str, since: date, types: tuple[str, ...], entry: dict[str, Any],
              until: date | None = None) -> None:
        """Add to ``entry`` every later event of ``types`` in which ``person_id`` acts."""
        self._watches.setdefault(person_id, []).append(
            _Watch(person_id, since, until, types, entry))

    def observe(self, event_id: str, type_name: str, day: date, actors: list[str]) -> None:
        for person_id in actors:
            for w in self._watches.get(person_id, ()):
                if type_name in w.types and w.since <= day and (w.until is None or day <= w.until) \
                        and event_id not in w.entry["event_ids"]:
                    w.entry["event_ids"].append(event_id)

    def finish(self, emitted: set[str] | None = None) -> list[dict[str, Any]]:
        """The items that have events (an item whose events were never generated — e.g. a
        person who never acted after their credential lapsed — is dropped)."""
        done = []
        for item in self.entries:
            if emitted is not None:
                item["event_ids"] = [e for e in item["event_ids"] if e in emitted]
            if item["event_ids"]:
                done.append(item)
        for n, item in enumerate(done, 1):
            item["id"] = f"GT-{n:04d}"
        return done
