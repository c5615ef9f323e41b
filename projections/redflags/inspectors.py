"""Rules about an inspector's dispositions taken together (RF30): the flags about one officer
dismissed by one inspector over and over — the pattern of a protector (保护伞) — or by two or
three inspectors taking turns (RF30.b, raised on each of them).

Scope ``inspector:<inspector_id>``. Unlike every other rule, RF30 reads what the other scopes
*raised*: which officer a disposed-of flag is about is a fact of the flag, not of the
disposition. The engine keeps that (:class:`About`, for flags with a disposition) from each
scope's last evaluation and evaluates the inspector scopes after all others in one call
(docs/red-flags.md, RF30).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from .days import day_iso
from .facts import Disposition

if TYPE_CHECKING:
    from .engine import Ctx

#: the dispositions that decide a flag (an acknowledgement only takes it up)
DECISIONS = frozenset({"FlagDismissed", "FlagConfirmed", "FlagReferred"})
#: at most this many dismissed flags and events are listed in an RF30 flag
LISTED = 20


class About(NamedTuple):
    """Whom a disposed-of flag is about, from its scope's last evaluation, and which of its
    dispositions apply: the ids RF28 left applied (``Flag.disposition_event_ids``), each
    judged against the flag's unit at the disposition's log position — RF30 counts exactly
    those, never re-judging them against the unit the flag has now."""
    officer_id: str | None
    unit_id: str | None
    case_id: str | None
    rule_id: str
    status: str
    applied: tuple[str, ...]


class _Handled(NamedTuple):
    """One flag about an officer as one inspector decided it (the first decision by them)."""
    ts: int
    flag_id: str
    dismissal: Disposition | None     # counted: theirs alone, and not reversed by them
    overturned: bool                  # confirmed or referred after it by another inspector


def rf30_repeated_dismissals(facts: tuple[str, dict[str, None], dict[str, About],
                                          dict[str, set[str]]], ctx: "Ctx") -> None:
    """RF30: within ``protector_window_days``, one inspector dismissed at least
    ``protector_min_dismissals`` flags about the same officer, and those are at least
    ``protector_min_share_bp`` of that officer's flags the inspector decided (dismissed,
    confirmed or referred) in the window. One flag per (inspector, officer), raised at the
    dismissal that first completed such a window.

    Counted: each flag once, by the inspector's last word on it among their applied decisions
    (not RF28's), for raised flags (not cleared) about someone else: a dismissal, unless another
    inspector dismissed the same flag too (shared); a dismissal the inspector later reversed
    (confirmed or referred) is a decision, not a dismissal."""
    inspector, flags, about, about_officer = facts
    disp = ctx.fold.dispositions
    by_officer = _rows_of(inspector, flags, about, disp)
    for officer, rows in sorted(by_officer.items()):
        _judge(inspector, officer, rows, about, ctx, raise_flag=True)
        _judge_circle(inspector, officer, about_officer.get(officer, set()), about, ctx)


def _rows_of(inspector: str, flags: Iterable[str], about: dict[str, About],
             disp: dict[str, list[Disposition]]) -> dict[str, list[_Handled]]:
    """The flags ``inspector`` decided, counted (guards above), by the officer they are
    about, each officer's sorted by time."""
    by_officer: dict[str, list[_Handled]] = {}
    for flag_id in flags:
        a = about.get(flag_id)
        if a is None or a.officer_id is None or a.officer_id == inspector \
                or a.status != "raised":
            continue
        handled = _handled(flag_id, a, disp.get(flag_id, ()), inspector)
        if handled is not None:
            by_officer.setdefault(a.officer_id, []).append(handled)
    for rows in by_officer.values():
        rows.sort(key=lambda r: (r.ts, r.flag_id))
    return by_officer


def _thresholds(ctx: "Ctx", d: Disposition) -> tuple[int, int, int, int, int]:
    """RF30's parameters in force at dismissal ``d``: dismissals, window, share, circle, each."""
    th = ctx.params(d.ts).thresholds
    return (th.protector_min_dismissals, th.protector_window_days, th.protector_min_share_bp,
            th.protector_circle_max, th.protector_circle_min_each)


def _judge_circle(inspector: str, officer: str, officer_flags: set[str],
                  about: dict[str, About], ctx: "Ctx") -> None:
    """RF30.b: within ``protector_window_days``, the officer's counted dismissals are by at
    most ``protector_circle_max`` inspectors, and a circle of them (two or more, ``inspector``
    among them), each with at least ``protector_circle_min_each`` counted dismissals,
    dismissed at least ``protector_min_dismissals`` of them together, at least
    ``protector_min_share_bp`` of every decision about the officer's flags by anyone in the
    window; and the window overlaps no window in which one inspector raises RF30 for the
    officer (RF30 names them alone). ``inspector``'s flag is raised at the dismissal that first
    completed such a window with them in the circle; every member reads the same decisions,
    so each finds the same windows whatever the order of evaluation."""
    disp = ctx.fold.dispositions
    handled_by: dict[str, dict[str, None]] = {}     # each person's flags of the officer's
    for fid in sorted(officer_flags):
        for d in disp.get(fid, ()):
            if d.inspector != officer:
                handled_by.setdefault(d.inspector, {})[fid] = None
    rows: list[tuple[int, str, _Handled]] = []
    alone: list[tuple[int, int]] = []       # the windows of RF30 about the officer
    for person, mine in sorted(handled_by.items()):
        got = _rows_of(person, mine, about, disp).get(officer, [])
        window = _judge(person, officer, got, about, ctx, raise_flag=False)
        if window is not None:
            alone.append(window)
        rows.extend((r.ts, person, r) for r in got)
    rows.sort(key=lambda r: (r[0], r[2].flag_id, r[1]))
    days = ctx.days
    row_days = [days.day(r[0]) for r in rows]
    lo = 0
    count: dict[str, int] = {}              # counted dismissals in rows[lo..j], by inspector
    decided: dict[str, int] = {}            # rows in rows[lo..j], by flag

    def enter(i: int, step: int) -> None:
        _, who, r = rows[i]
        decided[r.flag_id] = decided.get(r.flag_id, 0) + step
        if not decided[r.flag_id]:
            del decided[r.flag_id]
        if r.dismissal is not None:
            count[who] = count.get(who, 0) + step
            if not count[who]:
                del count[who]

    for j, (_ts, _who, end) in enumerate(rows):
        enter(j, 1)
        d = end.dismissal
        if d is None:
            continue
        k, window, min_share, most, each = _thresholds(ctx, d)
        last = row_days[j]
        first = last - window + 1
        while row_days[lo] < first:     # windows may differ by parameter version: recount
            enter(lo, -1)
            lo += 1
        while lo > 0 and row_days[lo - 1] >= first:
            lo -= 1
            enter(lo, 1)
        circle = sorted(w for w, n in count.items() if n >= each)
        if len(count) > most or inspector not in circle or len(circle) < 2:
            continue
        n = sum(count[w] for w in circle)
        share = n * 10_000 // len(decided)
        if n < k or share < min_share \
                or any(a <= last and first <= b for a, b in alone):
            continue
        counted = [r for _, w, r in rows[lo:j + 1] if w in circle and r.dismissal is not None]
        _raise_circle(inspector, officer, end, counted, circle, count, (first, last),
                      len(decided), about, ctx)
        return


def _raise_circle(inspector: str, officer: str, end: _Handled, counted: list[_Handled],
                  circle: list[str], count: dict[str, int], window: tuple[int, int],
                  decided: int, about: dict[str, About], ctx: "Ctx") -> None:
    """Raise ``inspector``'s RF30.b for the circle found by :func:`_judge_circle`."""
    d = end.dismissal
    assert d is not None
    k, days_, min_share, most, each = _thresholds(ctx, d)
    n = len(counted)
    share = n * 10_000 // decided
    decisive = about[end.flag_id]
    ids = [end.flag_id] + [r.flag_id for r in counted if r is not end]
    rules = sorted({about[r.flag_id].rule_id for r in counted})
    since, until, names = day_iso(window[0]), day_iso(window[1]), ", ".join(circle)
    ctx.flag("RF30.b", officer, anchor=d.ts, raised=d.ts,
             event_ids=[d.eid] + [r.dismissal.eid for r in counted  # type: ignore[union-attr]
                                  if r is not end][:LISTED - 1],
             numbers={"inspector_id": inspector, "protected_officer_id": officer,
                      "circle": circle, "circle_dismissed": [count[w] for w in circle],
                      "window_from": since, "window_until": until, "window_days": days_,
                      "dismissed": n, "decided": decided, "share_bp": share,
                      "min_dismissals": k, "min_share_bp": min_share,
                      "circle_max": most, "min_each": each,
                      "dismissed_flag_ids": ids[:LISTED], "dismissed_rule_ids": rules},
             summary=f"{names} together dismissed {n} of the {decided} flags about "
                     f"{officer} decided between {since} and {until}, each at least "
                     f"{each} (at least {k} and {min_share // 100}% within {days_} days, "
                     f"at most {most} inspectors)",
             summary_zh=f"{names} 在 {since} 至 {until} 期间合计驳回涉及 {officer} 的红旗 "
                        f"{n} 条，占该期间处理的 {decided} 条（{days_} 日内不超过 {most} 名"
                        f"核查人员、每人不少于 {each} 条、合计不少于 {k} 条且占比不低于 "
                        f"{min_share // 100}%），疑为多名核查人员轮流驳回同一人员的红旗",
             case_id=decisive.case_id, officer_id=inspector, unit_id=decisive.unit_id)


def _handled(flag_id: str, a: About, events: list[Disposition] | tuple[()],
             inspector: str) -> _Handled | None:
    """The inspector's last word on the flag: the run of their decisions of one kind
    (dismissal or not) that ends their decisions, counted from its first."""
    applied = [d for d in events if d.eid in a.applied]
    mine = [i for i, d in enumerate(applied) if d.inspector == inspector and d.type in DECISIONS]
    if not mine:
        return None
    dismissed = applied[mine[-1]].type == "FlagDismissed"
    start = mine[-1]
    for i in reversed(mine):
        if (applied[i].type == "FlagDismissed") != dismissed:
            break
        start = i
    first = applied[start]
    if not dismissed or any(d.type == "FlagDismissed" and d.inspector != inspector
                            for d in applied):
        return _Handled(first.ts, flag_id, None, False)
    overturned = any(d.type in ("FlagConfirmed", "FlagReferred") and d.inspector != inspector
                     for d in applied[start + 1:])
    return _Handled(first.ts, flag_id, first, overturned)


def _judge(inspector: str, officer: str, rows: list[_Handled], about: dict[str, About],
           ctx: "Ctx", *, raise_flag: bool) -> tuple[int, int] | None:
    """``rows`` sorted by time: each dismissal ends a window of the rows before it (two
    pointers: linear in the rows); the first window that meets the thresholds raises (with
    ``raise_flag``). Returns that window (first and last day), or None."""
    days = ctx.days
    dismissed = [r for r in rows if r.dismissal is not None]
    row_days = [days.day(r.ts) for r in rows]
    lo, in_window = 0, 0            # rows[lo..j] with a day in the window; dismissals among them
    for j, end in enumerate(rows):
        in_window += end.dismissal is not None
        d = end.dismissal
        if d is None:
            continue
        k, window, min_share, _most, _each = _thresholds(ctx, d)
        last = row_days[j]
        first = last - window + 1
        while row_days[lo] < first:     # windows may differ by parameter version: recount
            in_window -= rows[lo].dismissal is not None
            lo += 1
        while lo > 0 and row_days[lo - 1] >= first:
            lo -= 1
            in_window += rows[lo].dismissal is not None
        share = in_window * 10_000 // (j - lo + 1)
        if in_window < k or share < min_share:
            continue
        if not raise_flag:
            return first, last
        counted = [r for r in rows[lo:j + 1] if r.dismissal is not None]
        inside = rows[lo:j + 1]
        decisive = about[end.flag_id]
        ids = [end.flag_id] + [r.flag_id for r in counted if r is not end]
        rules = sorted({about[r.flag_id].rule_id for r in counted})
        n, of, since, until = len(counted), len(inside), day_iso(first), day_iso(last)
        ctx.flag("RF30", officer, anchor=d.ts, raised=d.ts,
                 event_ids=[d.eid] + [r.dismissal.eid for r in counted  # type: ignore[union-attr]
                                      if r is not end][:LISTED - 1],
                 numbers={"inspector_id": inspector, "protected_officer_id": officer,
                          "window_from": since, "window_until": until, "window_days": window,
                          "dismissed": n, "decided": of, "share_bp": share,
                          "min_dismissals": k, "min_share_bp": min_share,
                          "overturned": sum(r.overturned for r in counted),
                          "dismissed_total": len(dismissed),
                          "dismissed_flag_ids": ids[:LISTED], "dismissed_rule_ids": rules},
                 summary=f"{inspector} dismissed {n} of the {of} flags about {officer} they "
                         f"decided between {since} and {until} (at least {k} and "
                         f"{min_share // 100}% within {window} days)",
                 summary_zh=f"{inspector} 在 {since} 至 {until} 期间处理涉及 {officer} 的红旗 {of} 条，"
                            f"驳回 {n} 条（{window} 日内不少于 {k} 条且占比不低于 "
                            f"{min_share // 100}%），疑为反复驳回同一人员的红旗",
                 case_id=decisive.case_id, officer_id=inspector, unit_id=decisive.unit_id)
        return first, last
    return None


INSPECTOR_RULES = (rf30_repeated_dismissals,)
