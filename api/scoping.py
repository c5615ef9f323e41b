"""What a unit-scoped principal sees of a red flag (docs/red-flags.md, "Unit scoping").

A scoped inspector sees the flags whose subject is in its units (the queries filter on the
subject's ``unit_id``). A flag that looks across cases — the same act fined twice (RF14), a
party's toll pattern (RF13.c) or waivers (RF18), an officer's pledge chain (RF22), a cohort's
extreme cases (RF17), the flags an inspector dismissed about one officer (RF30) — may name, in
its explanation, cases, events, officers and flags of other units. Those references are
withheld here, as warning levels fold other units' flags (``{"source": "other_units",
...}``): the numbers compared stay, they describe the subject.

This happens in the API, not in the engine: the flags stored, their ids and what an auditor's
``ledger flags FILE`` computes are the whole ones; unscoped principals see them unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from ledger.errors import NotFound
from ledger.tokens import Principal
from projections.flagsview import FlagsView
from projections.readmodels import ReadModels

#: what replaces a withheld reference in a flag's summary and discriminator
WITHHELD = "other_units"
#: identifier-like words of a summary (case, event and officer ids among them)
_WORD = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.:/-]*[0-9A-Za-z]")


def other_units(count: int) -> dict[str, Any]:
    """The marker standing for ``count`` withheld references."""
    return {"source": WITHHELD, "count": count}


def visible_state(views: ReadModels, table: str, noun: str, ident: str, principal: Principal
                  ) -> dict[str, Any]:
    """The state ``ident`` of read model ``table`` if ``principal`` may see its unit. Raises
    NotFound naming the path's parameter (``<noun>_id``) otherwise: a scoped inspector is told
    no more about another unit's state than about none."""
    state = views.get(table, ident)
    if state is None or not principal.may_see_unit(state.get("unit_id")):
        raise NotFound(f"no {noun} {ident}", field=f"{noun}_id")
    return state


def visible_warnings(views: ReadModels, flags: FlagsView, principal: Principal,
                     warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An officer's formal warnings as ``principal`` may read them: the ``flag_ids`` a warning
    answers keep the flags of its units (the others, an officer's flags in another unit's
    cases among them, leave the list, one ``{"source": "other_units", "count": n}`` at its
    end), and a ``notice_id`` of another unit's notice (or of none the read models know)
    becomes ``{"source": "other_units", "count": 1}``. Unscoped principals get ``warnings``
    itself, and cost no query."""
    if not principal.units or not warnings:
        return warnings
    flag_units = flags.units_and_clock({i for w in warnings for i in w.get("flag_ids") or ()}
                                       )[0]
    notices = views.units_of("supervision", [w["notice_id"] for w in warnings
                                             if w.get("notice_id")])
    out = []
    for w in warnings:
        listed = w.get("flag_ids") or []
        kept = [i for i in listed if principal.may_see_unit(flag_units.get(i))]
        w = dict(w, flag_ids=kept + ([other_units(len(listed) - len(kept))]
                                     if len(kept) < len(listed) else []))
        if w.get("notice_id") and not principal.may_see_unit(notices.get(w["notice_id"])):
            w["notice_id"] = other_units(1)
        out.append(w)
    return out


def scoped_flags(views: ReadModels, held: FlagsView, principal: Principal,
                 flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``flags`` (``Flag.to_value()`` dicts of subjects ``principal`` may see) as ``principal``
    may read them: for a unit-scoped one, every case, complaint, officer, supervision notice,
    flag (of those ``held`` holds) or event of another unit (or of none) the explanation names
    is withheld (:func:`withhold`). Unscoped principals get ``flags`` itself, and cost no
    query."""
    if not principal.units or not flags:
        return flags
    units = views.units_of_references({r for f in flags for r in _references(f)},
                                      flag_units=lambda ids: held.units_and_clock(ids)[0])
    foreign = {r for r, unit in units.items() if not principal.may_see_unit(unit)}
    return [withhold(f, foreign) for f in flags]


def withhold(flag: dict[str, Any], foreign: set[str]) -> dict[str, Any]:
    """``flag`` without the references in ``foreign``. The flag's own officer and party (its
    subject: whom it is about) stay. A withheld ``subject.case_id`` becomes null; a withheld
    event id leaves ``event_ids``; in ``numbers`` a withheld value becomes
    ``{"source": "other_units", "count": 1}`` and the withheld items of a list (those naming
    a withheld reference) one such marker with their count at its end; in ``summary``,
    ``summary_zh`` and ``discriminator`` a withheld reference reads ``other_units``.
    ``other_units`` then counts the distinct references withheld. The rest — ``flag_id`` first — is unchanged."""
    subject = flag["subject"]
    hidden = (set(_references(flag)) & foreign) - {subject["officer_id"], subject["party_ref"]}
    if not hidden:
        return flag
    out = dict(flag)
    out["subject"] = {**subject, "case_id": None if subject["case_id"] in hidden
                      else subject["case_id"]}
    out["event_ids"] = [e for e in flag["event_ids"] if e not in hidden]
    out["disposition_event_ids"] = [e for e in flag["disposition_event_ids"]
                                    if e not in hidden]
    if flag.get("cleared_by") in hidden:
        out["cleared_by"] = other_units(1)
    out["numbers"] = {k: _fold(v, hidden) for k, v in flag["numbers"].items()}
    out["discriminator"] = "|".join(WITHHELD if part in hidden else part
                                    for part in flag["discriminator"].split("|"))
    for key in ("summary", "summary_zh"):       # a flag stored before summary_zh has none
        if key in flag:
            out[key] = _WORD.sub(lambda m: WITHHELD if m.group() in hidden else m.group(),
                                 flag[key])
    out["other_units"] = other_units(len(hidden))
    return out


def _references(flag: dict[str, Any]) -> Iterator[str]:
    """Every string of ``flag`` that may name a case, officer, event…: subject, events,
    numbers, discriminator parts and the identifier-like words of both summaries."""
    yield from (v for v in flag["subject"].values() if v)
    yield from flag["event_ids"]
    yield from flag["disposition_event_ids"]
    if isinstance(flag.get("cleared_by"), str):
        yield flag["cleared_by"]
    yield from _strings(flag["numbers"].values())
    yield from flag["discriminator"].split("|")
    yield from _WORD.findall(flag["summary"])
    yield from _WORD.findall(flag.get("summary_zh", ""))


def _strings(values: Iterable[Any]) -> Iterator[str]:
    for v in values:
        if isinstance(v, str):
            yield v
        elif isinstance(v, list):
            yield from _strings(v)


def _fold(value: Any, hidden: set[str]) -> Any:
    if isinstance(value, str):
        return other_units(1) if value in hidden else value
    if isinstance(value, list):
        kept = [v for v in value if not any(s in hidden for s in _strings([v]))]
        if len(kept) == len(value):
            return value
        return kept + [other_units(len(value) - len(kept))]
    return value


__all__ = ["WITHHELD", "other_units", "scoped_flags", "visible_state", "visible_warnings",
           "withhold"]
