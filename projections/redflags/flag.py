"""What a flag is: rule catalogue entries, subjects, and the explainable :class:`Flag` value.

Identity. ``flag_id`` = ``<rule_id>-<24 hex>`` where the hex is SHA-256 over
``rule_id ‖ NUL ‖ scope ‖ NUL ‖ discriminator`` (UTF-8) — independent of the evaluation time
and of the parameter version, so re-evaluating the same history later (or by an auditor) names
the same flag, and inspectors' dispositions on ``flag:<flag_id>`` stay attached to it.

Scope. Every flag belongs to exactly one :class:`Subject` (its ``scope``): the case, party,
officer, unit, complaint, statistical cohort or grid-quarter whose facts the rule looked at.
``FlagEngine.evaluate(subjects, at)`` returns *all* current flags of those scopes, so a caller
replaces what it holds for them. The subject *fields* (``case_id``, ``officer_id``,
``unit_id``, ``party_ref``) say whom the flag is about and are what queries filter on.

Summaries. ``summary`` (English) and ``summary_zh`` (Chinese, amounts in 元: ``zh.yuan``) are
the same sentence, built by the rule from its numbers; neither enters the flag id.

Numbers. ``numbers`` holds the values the rule compared (amounts in fen, days, counts, times as
RFC 3339 text, z-scores as fixed-decimal strings). No floats: a flag is hashed and published.
An integer beyond ±(2^53-1) — a sum of amounts each within the door's range — is held as its
decimal text, the one form canonical JSON carries exactly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._canon import MAX_SAFE_INT, NotHashable, digest


class Subject(NamedTuple):
    """What a rule looks at: ``kind`` in case | party | officer | unit | complaint |
    supervision | cohort | grid | inspector | flag, and its key."""

    kind: str
    key: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class Rule:
    """A catalogue entry: one sub-rule (``RF05.b``) of a red flag (``RF05``)."""

    rule_id: str
    name_en: str
    name_zh: str
    severity: str
    legal_basis: tuple[str, ...]
    kind: str = "rule"          # rule | statistical

    @property
    def family(self) -> str:
        return self.rule_id.split(".")[0]


SEVERITIES = ("critical", "high", "medium", "low")
STATUSES = ("raised", "cleared")
DISPOSITIONS = ("open", "acknowledged", "dismissed", "confirmed", "referred")


def flag_id(rule_id: str, scope: Subject | str, discriminator: str) -> str:
    """The stable id of a flag: ``<rule_id>-`` + the first 24 hex digits of
    SHA-256(UTF-8(rule_id ‖ NUL ‖ scope ‖ NUL ‖ discriminator))."""
    raw = f"{rule_id}\x00{scope}\x00{discriminator}".encode("utf-8")
    return f"{rule_id}-{hashlib.sha256(raw).hexdigest()[:24]}"


def fixed(value: float, places: int = 3) -> str:
    """A float as fixed-decimal text (``-2.512``) for ``numbers``; never hashed as a float."""
    text = f"{value:.{places}f}"
    return "0." + "0" * places if text.lstrip("-") == "0." + "0" * places else text


@dataclass(frozen=True)
class Flag:
    """One red flag: evidence for human review, never a verdict (DESIGN.md principle 3)."""

    flag_id: str
    rule_id: str
    name_en: str
    name_zh: str
    severity: str
    kind: str
    legal_basis: tuple[str, ...]
    scope: str
    discriminator: str
    case_id: str | None
    officer_id: str | None
    unit_id: str | None
    party_ref: str | None
    event_ids: tuple[str, ...]
    numbers: tuple[tuple[str, Any], ...]
    summary: str
    summary_zh: str
    params_version: str
    status: str
    raised_at: str
    cleared_at: str | None = None
    cleared_by: str | None = None
    disposition: str = "open"
    disposition_event_ids: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return self.rule_id.split(".")[0]

    def number(self, name: str) -> Any:
        for key, value in self.numbers:
            if key == name:
                return value
        raise KeyError(name)

    def to_value(self) -> dict[str, Any]:
        """A JSON-safe dict (strings, integers, booleans, null, lists, objects)."""
        return {
            "flag_id": self.flag_id, "rule_id": self.rule_id, "rule": self.family,
            "name": {"en": self.name_en, "zh": self.name_zh}, "severity": self.severity,
            "kind": self.kind, "legal_basis": list(self.legal_basis), "scope": self.scope,
            "discriminator": self.discriminator,
            "subject": {"case_id": self.case_id, "officer_id": self.officer_id,
                        "unit_id": self.unit_id, "party_ref": self.party_ref},
            "event_ids": list(self.event_ids),
            "numbers": {k: _json(v) for k, v in self.numbers},
            "summary": self.summary, "summary_zh": self.summary_zh,
            "params_version": self.params_version,
            "status": self.status, "raised_at": self.raised_at,
            "cleared_at": self.cleared_at, "cleared_by": self.cleared_by,
            "disposition": self.disposition,
            "disposition_event_ids": list(self.disposition_event_ids),
        }

    def digest(self) -> str:
        """SHA-256 of the canonical value: two flag sets are equal iff their digests are.
        Computed once (a forked evaluator computes its flags' before sending them back)."""
        known = self.__dict__.get("_digest")
        if known is None:
            known = digest(self.to_value(), checked=True)     # make_flag built it in the subset
            object.__setattr__(self, "_digest", known)
        return known


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    return value


def make_flag(rule: Rule, *, scope: Subject, discriminator: str, params_version: str,
              raised_at: str, event_ids: list[str] | tuple[str, ...],
              numbers: dict[str, Any], summary: str, summary_zh: str,
              case_id: str | None = None,
              officer_id: str | None = None, unit_id: str | None = None,
              party_ref: str | None = None, cleared_at: str | None = None,
              cleared_by: str | None = None, severity: str | None = None) -> Flag:
    """Build a flag; ``numbers`` must be float-free, with ASCII names (raises
    ``NotHashable`` otherwise): a flag is then inside the canonical subset it is hashed in."""
    for k in numbers:
        if not k.isascii():
            raise NotHashable(f"{rule.rule_id}.numbers: names must be ASCII ({k!r})")
    nums = tuple((k, _freeze(v, rule.rule_id, k)) for k, v in numbers.items())
    return Flag(
        flag_id=flag_id(rule.rule_id, scope, discriminator), rule_id=rule.rule_id,
        name_en=rule.name_en, name_zh=rule.name_zh, severity=severity or rule.severity,
        kind=rule.kind, legal_basis=rule.legal_basis, scope=str(scope),
        discriminator=discriminator, case_id=case_id, officer_id=officer_id, unit_id=unit_id,
        party_ref=party_ref, event_ids=tuple(dict.fromkeys(event_ids)), numbers=nums,
        summary=summary, summary_zh=summary_zh, params_version=params_version,
        status="cleared" if cleared_by else "raised", raised_at=raised_at,
        cleared_at=cleared_at, cleared_by=cleared_by)


def _freeze(value: Any, rule_id: str, key: str) -> Any:
    """Numbers as immutable, float-free values (raises ``NotHashable`` otherwise). An integer
    beyond ±(2^53-1) becomes its decimal text: each amount posted is within that range, but a
    case's total need not be, and a flag that could not be built stopped every flag after it."""
    t = type(value)
    if t is str or t is bool or value is None:
        return value
    if t is int:
        return value if -MAX_SAFE_INT <= value <= MAX_SAFE_INT else str(value)
    if t is list or t is tuple:
        return tuple(_freeze(v, rule_id, key) for v in value)
    raise NotHashable(f"{rule_id}.numbers.{key}: {t.__name__} {value!r} is not allowed (no "
                      "floats in a flag: use integers or fixed-decimal text)")
