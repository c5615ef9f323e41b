"""Scoring red flags against a synthetic city's ground truth: recall (planted items flagged) and
precision (raised flags explained by a planted item), per red-flag family.

A flag *explains* a planted item when it belongs to one of the item's families (``rf``) and it
is about the item's subject (same case, officer, unit, party or complaint) or cites one of the
item's events. Flags are duck-typed (``family``, ``case_id``, ``officer_id``, ``unit_id``,
``party_ref``, ``scope``, ``event_ids``) so this module needs nothing from
``projections``.

Recall is counted per item (found when a flag of any of its families explains it) and per
family (items listing the family that a flag of that family explains).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

def explains(entry: dict[str, Any], flag: Any) -> bool:
    """Whether ``flag`` is one the planted ``entry`` should have raised: same family, and it
    cites one of the item's events, or it is about the item's own subject (its scope — a case
    flag about the planted case, an officer flag about the planted officer; a case flag merely
    naming the planted officer does not count unless it cites the officer's planted acts)."""
    if flag.family not in entry["rf"]:
        return False
    if set(entry["event_ids"]) & set(flag.event_ids):
        return True
    subject = entry["subject"]
    if subject.get("case") is not None and flag.case_id == subject["case"]:
        return True
    return any(ident is not None and flag.scope == f"{kind}:{ident}"
               for kind, ident in subject.items() if kind != "case")


@dataclass
class FamilyScore:
    planted: int = 0
    found: int = 0            # planted items explained by at least one raised flag
    raised: int = 0
    explained: int = 0        # raised flags that explain at least one planted item
    unexplained: list[str] = field(default_factory=list)   # flag ids, for inspection

    @property
    def recall(self) -> float | None:
        return self.found / self.planted if self.planted else None

    @property
    def precision(self) -> float | None:
        return self.explained / self.raised if self.raised else None


def score(truth: Iterable[dict[str, Any]], flags: Iterable[Any]) -> dict[str, FamilyScore]:
    """Per family: planted/found (recall) and raised/explained (precision). Every flag counts,
    raised or cleared: a cleared flag records a deadline met late (docs/red-flags.md, "Cleared,
    not deleted"). An item planted under several families counts once in each."""
    entries = list(truth)
    raised = list(flags)
    by_family: dict[str, list[Any]] = defaultdict(list)
    for flag in raised:
        by_family[flag.family].append(flag)
    scores: dict[str, FamilyScore] = defaultdict(FamilyScore)
    explained_ids: set[str] = set()
    for entry in entries:
        for family in entry["rf"]:
            scores[family].planted += 1
            matched = [f for f in by_family.get(family, ()) if explains(entry, f)]
            if matched:
                scores[family].found += 1
            explained_ids.update(f.flag_id for f in matched)
    for family, family_flags in by_family.items():
        s = scores[family]
        s.raised = len(family_flags)
        s.explained = sum(1 for f in family_flags if f.flag_id in explained_ids)
        s.unexplained = [f.flag_id for f in family_flags if f.flag_id not in explained_ids]
    return dict(sorted(scores.items()))


def item_recall(truth: Iterable[dict[str, Any]], flags: Iterable[Any],
                families: set[str] | None = None) -> tuple[int, int]:
    """(found, planted) over items, optionally only items of ``families``."""
    raised = list(flags)
    found = planted = 0
    for entry in truth:
        if families is not None and not set(entry["rf"]) & families:
            continue
        planted += 1
        found += any(explains(entry, f) for f in raised)
    return found, planted


def totals(scores: dict[str, FamilyScore]) -> FamilyScore:
    out = FamilyScore()
    for s in scores.values():
        out.planted += s.planted
        out.found += s.found
        out.raised += s.raised
        out.explained += s.explained
    return out
