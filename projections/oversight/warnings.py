"""Warning levels (监督警示): a pure function from an officer's or unit's red flags and formal
warnings, at an explicit evaluation time, to a level — none / attention / warning / serious —
with the reasons, and the history of level changes.

What counts, and for how long (:class:`WarningParams`, versioned configuration):

* an **open** flag (raised, not dismissed, not cleared, not confirmed) counts its severity's
  weight from ``raised_at`` until it is dismissed, cleared (the late act arrived) or confirmed,
  or until its severity's recency window has passed since it was raised;
* a **confirmed** flag counts ``confirmed_multiplier`` × its weight from its confirmation until
  the longer confirmed window has passed since it was raised (or a later dismissal);
* a **formal warning** (``OfficerWarningIssued``) counts ``formal_warning_points`` for
  ``formal_window_days`` from its issue, for the officer and their unit.

The level is the highest threshold the summed points reach. Because every item's contribution
is a function of instants recorded in the log (raise, clearing, disposition, issue) and of the
parameters, the history is reconstructed the same way by a rebuild as by incremental updates;
levels fall when a flag is dismissed or ages out, and :func:`evaluate` reports the next instant
at which time alone changes the outcome (``next_due``) so the projection re-evaluates then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, NamedTuple

from ..redflags._canon import digest
from ..redflags.days import DAY, iso

LEVELS = ("none", "attention", "warning", "serious")


def _f(value: Any, unit: str, basis: str) -> Any:
    return field(default_factory=lambda: value, metadata={"unit": unit, "basis": basis})


@dataclass(frozen=True)
class WarningParams:
    """Thresholds and windows; ``version`` = ``<name>@<16 hex of SHA-256 of the content>`` is
    recorded with every level computed."""

    name: str = "national"
    weights: Mapping[str, int] = _f({"critical": 8, "high": 4, "medium": 2, "low": 1},
                                    "points", "per open flag, by severity")
    open_window_days: Mapping[str, int] = _f(
        {"critical": 365, "high": 180, "medium": 90, "low": 30}, "calendar_days",
        "an open flag counts this long after it was raised")
    confirmed_multiplier: int = _f(2, "factor", "a confirmed flag counts double")
    confirmed_window_days: Mapping[str, int] = _f(
        {"critical": 730, "high": 365, "medium": 180, "low": 90}, "calendar_days",
        "a confirmed flag counts this long after it was raised")
    formal_warning_points: int = _f(4, "points", "per formal warning (诫勉谈话 …)")
    formal_window_days: int = _f(365, "calendar_days", "a formal warning counts this long")
    thresholds: Mapping[str, int] = _f({"attention": 1, "warning": 4, "serious": 8}, "points",
                                       "minimum points for each level")
    excluded_rules: tuple[str, ...] = _f(
        ("RF08.f", "RF27.c", "RF28", "RF29.a", "RF29.b", "RF30", "RF30.b"),
        "rule ids",
        "flags about who kept a record, not the unit it names: RF27.c the supervisor's delay, "
        "RF08.f a complaint or supervision record dated ahead (written by the complaints office "
        "or the supervisor), RF28 a disposition of the unit's flag by another unit's key, RF29 "
        "an inspector's delay in resolving, or back-dating a disposition of, the unit's flag, "
        "RF30 an inspector (RF30.b a few taking turns) dismissing the flags about one of the "
        "unit's officers over and over")
    version: str = field(default="", init=False)

    def __post_init__(self) -> None:
        if set(self.thresholds) != set(LEVELS[1:]):
            raise ValueError(f"thresholds must name exactly {LEVELS[1:]}")
        object.__setattr__(self, "version", f"{self.name}@{digest(self.content())[:16]}")

    def content(self) -> dict[str, Any]:
        return {"name": self.name, "weights": dict(sorted(self.weights.items())),
                "open_window_days": dict(sorted(self.open_window_days.items())),
                "confirmed_multiplier": self.confirmed_multiplier,
                "confirmed_window_days": dict(sorted(self.confirmed_window_days.items())),
                "formal_warning_points": self.formal_warning_points,
                "formal_window_days": self.formal_window_days,
                "thresholds": dict(sorted(self.thresholds.items())),
                "excluded_rules": sorted(self.excluded_rules)}

    def describe(self) -> dict[str, Any]:
        return {"version": self.version, **self.content()}

    def level(self, points: int) -> str:
        found = "none"
        for name in LEVELS[1:]:
            if points >= self.thresholds[name]:
                found = name
        return found


class FlagItem(NamedTuple):
    """A flag as the level sees it; instants are epoch seconds. ``dispositions`` =
    ((ts, "acknowledged" | "dismissed" | "confirmed" | "referred"), ...) in log order."""
    flag_id: str
    rule_id: str
    severity: str
    raised: int
    cleared: int | None
    dispositions: tuple[tuple[int, str], ...]


class FormalItem(NamedTuple):
    warning_id: str
    kind: str
    officer_id: str
    unit_id: str
    issued: int
    event_id: str


@dataclass(frozen=True)
class Result:
    level: str
    points: int
    reasons: list[dict[str, Any]]
    history: list[dict[str, Any]]      # level changes: {from, level, points, reasons}
    next_due: int | None
    params_version: str


def _flag_state(f: FlagItem, t: int, p: WarningParams) -> tuple[str, int] | None:
    """("open" | "confirmed", until) of flag ``f`` at instant ``t``, or None."""
    if t < f.raised:
        return None
    disp = None
    for ts, kind in f.dispositions:
        if ts <= t:
            disp = kind
    if disp == "dismissed":
        return None
    if disp == "confirmed":
        until = f.raised + p.confirmed_window_days.get(f.severity, 0) * DAY
        return ("confirmed", until) if t < until else None
    if f.cleared is not None and t >= f.cleared:
        return None
    until = f.raised + p.open_window_days.get(f.severity, 0) * DAY
    return ("open", until) if t < until else None


MAX_REASONS = 25     # items listed per level; the rest are summarised in one "more" entry


def _at(flags: list[FlagItem], formal: list[FormalItem], p: WarningParams, t: int,
        offset: int) -> tuple[int, list[dict[str, Any]]]:
    points, reasons = 0, []
    for f in flags:
        state = _flag_state(f, t, p)
        if state is None:
            continue
        kind, until = state
        n = p.weights.get(f.severity, 0) * (p.confirmed_multiplier if kind == "confirmed" else 1)
        points += n
        reasons.append({"source": "flag", "flag_id": f.flag_id, "rule_id": f.rule_id,
                        "severity": f.severity, "state": kind, "raised_at": iso(f.raised, offset),
                        "counts_until": iso(until, offset), "points": n})
    for w in formal:
        until = w.issued + p.formal_window_days * DAY
        if w.issued <= t < until:
            points += p.formal_warning_points
            reasons.append({"source": "formal_warning", "warning_id": w.warning_id,
                            "kind": w.kind, "officer_id": w.officer_id,
                            "issued_at": iso(w.issued, offset), "event_id": w.event_id,
                            "counts_until": iso(until, offset),
                            "points": p.formal_warning_points})
    reasons.sort(key=lambda r: (-r["points"], r.get("flag_id") or r.get("warning_id")))
    if len(reasons) > MAX_REASONS:
        rest = reasons[MAX_REASONS:]
        reasons = reasons[:MAX_REASONS] + [{"source": "more", "items": len(rest),
                                            "points": sum(r["points"] for r in rest)}]
    level = p.level(points)
    if level != "none":
        reasons.insert(0, {"source": "threshold", "level": level,
                           "min_points": p.thresholds[level], "points": points})
    return points, reasons


def _flag_points(f: FlagItem, t: int, p: WarningParams) -> int:
    state = _flag_state(f, t, p)
    if state is None:
        return 0
    return p.weights.get(f.severity, 0) * (p.confirmed_multiplier if state[0] == "confirmed"
                                           else 1)


def _flag_breaks(f: FlagItem, p: WarningParams) -> list[int]:
    """The instants at which flag ``f``'s contribution can change (it is constant between)."""
    out = {f.raised, f.raised + p.open_window_days.get(f.severity, 0) * DAY,
           f.raised + p.confirmed_window_days.get(f.severity, 0) * DAY}
    if f.cleared is not None:
        out.add(f.cleared)
    out.update(ts for ts, _ in f.dispositions)
    return sorted(out)


def _boundaries(flags: Iterable[FlagItem], formal: Iterable[FormalItem],
                p: WarningParams) -> list[int]:
    out: set[int] = set()
    for f in flags:
        out.update(_flag_breaks(f, p))
    for w in formal:
        out.add(w.issued)
        out.add(w.issued + p.formal_window_days * DAY)
    return sorted(out)


def _deltas(flags: Iterable[FlagItem], formal: Iterable[FormalItem],
            p: WarningParams) -> dict[int, int]:
    """Points gained (+) or lost (-) at each instant: each item's contribution is constant
    between its own breakpoints, so the total is a sum of steps (a sweep, not a rescan)."""
    deltas: dict[int, int] = {}
    for f in flags:
        before = 0
        for t in _flag_breaks(f, p):
            now = _flag_points(f, t, p)
            if now != before:
                deltas[t] = deltas.get(t, 0) + now - before
                before = now
    for w in formal:
        deltas[w.issued] = deltas.get(w.issued, 0) + p.formal_warning_points
        end = w.issued + p.formal_window_days * DAY
        deltas[end] = deltas.get(end, 0) - p.formal_warning_points
    return deltas


def evaluate(flags: Iterable[FlagItem], formal: Iterable[FormalItem], params: WarningParams,
             at: int, *, offset_minutes: int = 480) -> Result:
    """The level of one entity at instant ``at`` (epoch seconds), with its reasons, the history
    of level changes up to ``at`` and the next instant at which time changes anything.
    Pure: no clock, no I/O; flags of ``params.excluded_rules`` are ignored."""
    flags = sorted((f for f in flags if f.rule_id not in params.excluded_rules),
                   key=lambda f: (f.raised, f.flag_id))
    formal = sorted(formal, key=lambda w: (w.issued, w.warning_id))
    deltas = _deltas(flags, formal, params)
    history: list[dict[str, Any]] = []
    level, running = "none", 0
    instants = sorted(deltas)
    for t in instants:
        if t > at:
            break
        running += deltas[t]
        new = params.level(running)
        if new != level:
            pts, reasons = _at(flags, formal, params, t, offset_minutes)
            history.append({"from": iso(t, offset_minutes), "level": new, "points": pts,
                            "reasons": reasons})
            level = new
    points, reasons = _at(flags, formal, params, at, offset_minutes)
    next_due = next((t for t in _boundaries(flags, formal, params) if t > at), None)
    return Result(level=params.level(points), points=points, reasons=reasons, history=history,
                  next_due=next_due, params_version=params.version)
