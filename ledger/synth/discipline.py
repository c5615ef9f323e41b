"""Discipline after the flags: an inspector confirms a red flag raised by a planted misbehaving
officer (``FlagConfirmed``), and a formal warning follows (``OfficerWarningIssued``, 诫勉谈话 /
通报批评 …). Neither is misconduct, so neither is a ground-truth item; they give the
warning levels (docs/oversight.md) and the flag queue's dispositions something to show.

The flag confirmed is named by its id, computed here exactly as the red-flag engine does
(docs/red-flags.md, "Subjects, scopes and flag identity"; ``ledger`` may not import
``projections``, and a test compares the two).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from . import seeded
from .timeline import Timeline, at, next_wd
from .world import Person, World

#: acts in which a planted officer's flag is looked for: the person is among ``officers``
WATCHED_ACTS = ("CaseFiled", "PenaltyDecided")
#: per rule: (the inspector's finding, the warning's reason)
REASONS = {
    "RF02": ("执法证失效期间继续从事执法活动，经核查属实",
             "执法证失效（过期或暂扣）期间仍以执法人员身份办理案件"),
    "RF22": ("廉政建设责任书过期未续签期间从事执法活动，经核查属实",
             "廉政建设责任书过期未续签，仍参与办案"),
}


def flag_id(rule_id: str, scope: str, discriminator: str) -> str:
    """``<rule_id>-`` + the first 24 hex digits of SHA-256(rule_id ‖ NUL ‖ scope ‖ NUL ‖
    discriminator): the red-flag engine's identity of a flag."""
    raw = f"{rule_id}\x00{scope}\x00{discriminator}".encode("utf-8")
    return f"{rule_id}-{hashlib.sha256(raw).hexdigest()[:24]}"


@dataclass
class _Pending:
    person: Person
    rule: str                 # RF02 (per act, in the case) | RF22 (per officer and year)
    since: date
    until: date | None
    kind: str                 # OfficerWarningIssued.kind
    by_inspector: bool        # issued by discipline inspection, else by the brigade head


class Discipline:
    def __init__(self, world: World, timeline: Timeline) -> None:
        self.w = world
        self.tl = timeline
        self.rng = seeded.rng(world.seed, "discipline")
        self._pending: dict[str, _Pending] = {}
        self._warnings = 0

    def warn_after_flag(self, person: Person, rule: str, since: date, until: date | None = None,
                        *, kind: str, by_inspector: bool) -> None:
        """On the first act of ``person`` from ``since`` (through ``until``), confirm the
        ``rule`` flag it raises and warn the person a week later."""
        self._pending[person.id] = _Pending(person, rule, since, until, kind, by_inspector)

    def act(self, event_id: str, stream: str, type_name: str, when: datetime,
            body: dict[str, Any]) -> None:
        """Called for every case event as it is generated."""
        if not self._pending or type_name not in WATCHED_ACTS:
            return
        for ref in body.get("officers") or ():
            w = self._pending.get(ref["officer_id"])
            if w is None or when.date() < w.since or (w.until and when.date() > w.until):
                continue
            del self._pending[w.person.id]
            if w.rule == "RF02":
                fid = flag_id("RF02", stream, f"{event_id}|{w.person.id}")
            else:
                fid = flag_id(w.rule, f"officer:{w.person.id}", str(when.year))
            self._confirm_and_warn(w, fid, stream.removeprefix("case:"), when)

    def _confirm_and_warn(self, w: _Pending, fid: str, case_id: str, acted: datetime) -> None:
        finding, reason = REASONS[w.rule]
        confirmed = at(next_wd(acted.date() + timedelta(days=self.rng.randrange(18, 30))), 15)
        self.tl.add(f"flag:{fid}", "FlagConfirmed", confirmed, {
            "rule_id": w.rule, "inspector_id": self.w.inspector,
            "finding": f"{finding}（案件 {case_id}）", "severity": "high"}, "inspector")
        self._warnings += 1
        issued = at(next_wd(confirmed.date() + timedelta(days=7)), 10)
        squadron = w.person.squadron
        if w.by_inspector or squadron is None:      # discipline inspection's own warning
            issuer, key = self.w.inspector, "inspector"
        else:                                       # the brigade head's talk (诫勉谈话)
            issuer = squadron.brigade.head.id
            key = f"sup:{issuer}"
        self.tl.add(f"officer:{w.person.id}", "OfficerWarningIssued", issued, {
            "warning_id": f"WN-{self.w.tag}-{self._warnings:03d}", "kind": w.kind,
            "issued_by": issuer, "unit_id": w.person.unit_id, "reason": reason,
            "flag_ids": [fid],
            "document_sha256": seeded.digest(self.w.seed, f"WN-{self._warnings}")}, key)
