"""A decision's numbered form voided, in the case read model (case_model.py): the decisions a
void ends, what a service dated before the void puts back, and the withdrawal of a voided
decision's publication — read from the claimed instants, as the flags read them
(facts.Case.void_of, RF12.f, RF20; docs/events.md, decision 5), so the order the events are
recorded in does not matter.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.envelope import Recorded

from .fold_context import (OWN_DEADLINES, Context, deadline_basis, deadline_start_of,
                           new_deadline)
from .lifecycle import every_decision
from .redflags.days import ts_of


def voided(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    # the withdrawal of the publication the void owes if it ended a published decision
    # (withdrawals_owed), counted from the void with the configuration in force then, as
    # RF12.f counts it, whichever is recorded first
    n = ctx.params.publication_withdraw_working_days
    since, ahead = deadline_start_of(rec, day, ctx)
    owed = new_deadline(lambda: ctx.calendar.add_working_days(since, n),
                        deadline_basis("APL 第48条第2款", f"withdraw within {n} working days",
                                       f"{n}个工作日内撤下"), ahead)
    owed.update(voided_form=b["form_no"], params_version=ctx.version)
    entry = {"form_no": b["form_no"], "voided_at": rec.occurred_at, "event_id": rec.event_id,
             "ended": None, "publication_withdrawal": owed}
    c["voided_forms"].append(entry)
    for d in every_decision(c):
        if d["form_no"] == b["form_no"]:
            _void(c, d, entry, day)


def voided_before(c: dict[str, Any], decision: dict[str, Any], day: date) -> None:
    """A decision recorded after the voiding of its form (an upload that came late)."""
    for entry in c["voided_forms"]:
        if decision["form_no"] is not None and entry["form_no"] == decision["form_no"]:
            _void(c, decision, entry, day)


def _void(c: dict[str, Any], d: dict[str, Any], entry: dict[str, Any], day: date) -> None:
    """End decision ``d`` if the voiding ``entry`` of its form (``voided_forms``) came at or
    after it and before it was served, in world time (facts.Case.void_of, as the flags read
    it): a form spoilt before it was handed over (APL 第52条 当场交付) bore no decision that took
    effect, and its obligations are cancelled; the form issued instead bears the decision. A
    form voided after it was served changes nothing: a decision is changed or revoked by
    ``PenaltyAmended`` / ``PenaltyWithdrawn``."""
    at = ts_of(entry["voided_at"])
    if d["status"] in ("voided", "withdrawn") or at < ts_of(d["decided_at"]) \
            or (d["served_at"] is not None and ts_of(d["served_at"]) <= at):
        return
    in_force = d is c["decision"]
    amounts = c["amounts"] if in_force else d
    deadlines = c["deadlines"] if in_force else d["deadlines"]
    cancelled = [name for name in OWN_DEADLINES if name in deadlines
                 and deadlines[name]["met_on"] is None and "cancelled_on" not in deadlines[name]]
    # what a service dated before the void, recorded after it, puts back (_served_before_void)
    entry["undone"] = {"status": d["status"], "current_fen": amounts["current_fen"],
                       "state": c["state"] if in_force else None, "cancelled": cancelled}
    entry["ended"], d["status"] = d["decision_no"], "voided"
    amounts["current_fen"] = 0
    for name in cancelled:
        deadlines[name]["cancelled_on"] = day.isoformat()
    if in_force:                           # undecided again: a decision on another form follows
        c["state"] = "ON_SCENE" if c["procedure"] == "summary" else "DECIDING"


def served_before_void(c: dict[str, Any], rec: Recorded, b: dict[str, Any]) -> None:
    """A service of a decision dated at or before the void of its form that ended it
    (:func:`_void`), recorded after the void: the decision was handed over before its form
    was voided, so the void ended nothing and the decision is as it was — its status,
    amount in force, deadlines and the case's state — and the service goes on as any other.
    The claimed instants decide, as the flags read them (facts.Case.void_of) and as the
    decision, the void and the service are compared when recorded in world order."""
    at = ts_of(rec.occurred_at)
    for entry in c["voided_forms"]:
        if entry["ended"] != b["decision_no"] or at > ts_of(entry["voided_at"]):
            continue
        d = next((d for d in every_decision(c) if d["decision_no"] == b["decision_no"]
                  and d["status"] == "voided"), None)
        if d is None or at < ts_of(d["decided_at"]):
            continue
        undone = entry.pop("undone")
        entry["ended"], d["status"] = None, undone["status"]
        in_force = d is c["decision"]
        (c["amounts"] if in_force else d)["current_fen"] = undone["current_fen"]
        deadlines = c["deadlines"] if in_force else d["deadlines"]
        for name in undone["cancelled"]:
            deadlines[name].pop("cancelled_on", None)
        if in_force and undone["state"] is not None:
            c["state"] = undone["state"]


#: the case steps after which a decision may read as voided (:func:`voided_decisions`), or no
#: longer: its form's void, the decision itself and its service, in whichever order recorded
VOIDING = frozenset({"DecisionFormVoided", "PenaltyDecided", "DecisionServed"})
#: a decision's publication and its withdrawal (``publication_events``)
PUBLICATION_STEPS = frozenset({"DecisionPublished", "DecisionPublicationWithdrawn"})
#: the steps after which a voided decision's publication may owe a withdrawal, or no longer
OWING_A_WITHDRAWAL = VOIDING | PUBLICATION_STEPS


def withdrawals_owed(c: dict[str, Any]) -> None:
    """Open, meet or remove the ``publication_withdrawal`` deadline of each decision a void
    ended (:func:`_void`) on its own deadlines (the case's for ``decision``), as RF12.f judges
    it (facts.Case.voided_while_published): APL 第48条第2款 owes the withdrawal of a published
    decision that never took effect as of one revoked. Owed when the last publication event
    of the party's decisions from the decision to the void, in world time, is a publication;
    met on the day of the party's first withdrawal at or after the void; due as the void
    counted it (``voided_forms`` ``publication_withdrawal``). Read anew from the claimed
    instants after each step that may change it, so the order recorded does not matter; a
    decision a late service put back (:func:`served_before_void`) owes none, and its deadline
    goes (nothing was cancelled: the decision never ended). An unmet withdrawal owed for a
    change (:func:`~.case_model._change`) stands, as :func:`~.fold_context.set_due` keeps it."""
    for d in every_decision(c):
        deadlines = c["deadlines"] if d is c["decision"] else d["deadlines"]
        shown = deadlines.get("publication_withdrawal")
        owed = _withdrawal_owed(c, d)
        if shown is not None and "voided_form" not in shown \
                and (owed is None or shown["met_on"] is None):
            continue
        if owed is not None:
            deadlines["publication_withdrawal"] = owed
        elif shown is not None:
            del deadlines["publication_withdrawal"]


def _withdrawal_owed(c: dict[str, Any], d: dict[str, Any]) -> dict[str, Any] | None:
    """The ``publication_withdrawal`` deadline decision ``d`` owes for the void of its form
    (:func:`withdrawals_owed`), or None."""
    if d["status"] != "voided":
        return None
    void = next((v for v in c["voided_forms"]
                 if v["ended"] == d["decision_no"] and v["form_no"] == d["form_no"]), None)
    if void is None:
        return None
    decided, voided = ts_of(d["decided_at"]), ts_of(void["voided_at"])
    steps = [(ts_of(p["occurred_at"]), p["published"], p["on"]) for p in c["publication_events"]
             if _concerns(c, p["decision_no"], d["party_ref"])]
    # of one instant, the publication (as facts.Case._shown reads them)
    if not max(((ts, up) for ts, up, _ in steps if decided <= ts <= voided),
               default=(0, False))[1]:
        return None
    owed = dict(void["publication_withdrawal"])
    met = min(((ts, on) for ts, up, on in steps if not up and ts >= voided), default=None)
    if met is not None:
        owed["met_on"] = met[1]
        owed["late"] = None if owed["due"] is None else met[1] > owed["due"]
    return owed


def _concerns(c: dict[str, Any], decision_no: str, party_ref: str) -> bool:
    """Whether a publication event naming ``decision_no`` may be of a decision of
    ``party_ref``, as facts.Case.concerns reads it: among the decisions no void ended, that
    number is the party's alone, or no one's (a voided decision's, or one the case lacks)."""
    parties = {x["party_ref"] for x in every_decision(c)
               if x["decision_no"] == decision_no and x["status"] != "voided"}
    return not parties or parties == {party_ref}


def voided_decisions(case: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The decisions of ``case`` whose form was voided before they were served (:func:`_void`),
    by their event id, with the instant of the void that ended each (``voided_at``): what the
    officers' pages and the public record count as no decision (readmodels.Fold). Without a
    void recorded, none (read on every event of a case)."""
    if case is None or not case["voided_forms"]:
        return {}
    ended = {v["ended"]: v["voided_at"] for v in case["voided_forms"] if v["ended"]}
    return {d["event_id"]: {**d, "voided_at": ended.get(d["decision_no"])}
            for d in every_decision(case) if d["status"] == "voided"}
