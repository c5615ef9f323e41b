"""Complaint read model: a pure reducer over the events of one ``complaint:`` stream
(RECEIVED → ACKNOWLEDGED → CLOSED), with the 15-day acknowledgement and the 60-day (+ approved
extension ≤ 30) closing deadlines of XFGZ, counted as RF23 counts them. A complaint naming a
case is also linked from the case (case_model.cases_of)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.domain.calendar import legal_date
from ledger.envelope import Recorded

from .fold_context import (DEFAULT_CONTEXT, Context, deadline_basis, deadline_start_of, mark_met,
                           note_out_of_order, reread_roles, role_at, set_due, stamp_versions)
from .redflags.facts import WRITTEN_ACKS, complaint_extension_days, complaint_extension_refused


def apply_complaint(state: dict[str, Any] | None, rec: Recorded,
                    ctx: Context = DEFAULT_CONTEXT) -> dict[str, Any]:
    """Fold one event of a ``complaint:`` stream: RECEIVED → ACKNOWLEDGED → CLOSED, with the
    15-day acknowledgement and 60-day (+ approved extension ≤ 30) closing deadlines (XFGZ)."""
    if state is None:
        state = {"complaint_id": rec.stream.partition(":")[2], "state": "NEW", "category": None,
                 "channel": None, "unit_id": None, "accused_officers": [], "case_id": None,
                 "received_on": None, "accepted_on": None, "acknowledgements": [],
                 # the days its deadlines count from (received_on / accepted_on unless the
                 # act was dated after its recording), with the flags' explanation
                 "counted_from": {"received": None, "accepted": None},
                 "extension_days": 0,
                 "extensions": [], "handler": None,
                 "handler_is_accused": None, "outcome": None, "deadlines": {},
                 "out_of_order": [], "events": []}
    state["events"].append(rec.event_id)
    b, p = rec.body, ctx.params
    day = legal_date(rec.occurred_at, offset_minutes=ctx.offset_minutes)
    expected = {"ComplaintReceived": ("NEW",), "ComplaintAcknowledged": ("RECEIVED",),
                "ComplaintExtended": ("RECEIVED", "ACKNOWLEDGED"),
                "ComplaintClosed": ("ACKNOWLEDGED",)}.get(rec.type, ())
    if state["state"] not in expected:
        note_out_of_order(state, rec, list(expected))
    cal = ctx.calendar
    if rec.type == "ComplaintReceived":
        state.update(category=b["category"], channel=b["channel"],
                     unit_id=b["unit_id"], accused_officers=b["accused_officers"],
                     case_id=b.get("case_id"), received_on=day.isoformat())
        if state["state"] == "NEW":          # never back: handling may be recorded first
            state["state"] = "RECEIVED"
        if state["handler"] is not None:
            state["handler_is_accused"] = state["handler"] in state["accused_officers"]
        since, ahead = deadline_start_of(rec, day, ctx)
        state["counted_from"]["received"] = {"on": since.isoformat(), **ahead}
        d = p.complaint_ack_days
        set_due(state, "acknowledge", lambda: cal.add_calendar_days(since, d),
                deadline_basis("XFGZ 第22/23条", f"{d} days", f"{d}日内告知是否受理"), ahead=ahead)
        _complaint_close_due(state, ctx, replace=False)
    elif rec.type == "ComplaintAcknowledged":
        if state["state"] in ("NEW", "RECEIVED"):
            state["state"] = "ACKNOWLEDGED"
        state["acknowledgements"].append({"method": b["method"], "on": day.isoformat(),
                                          "written": b["method"] in WRITTEN_ACKS})
        if b["method"] in WRITTEN_ACKS:        # as RF23.a: 书面告知, a phone call meets nothing
            mark_met(state, "acknowledge", day)
        if b["accepted"] and (state["accepted_on"] is None
                              or day.isoformat() < state["accepted_on"]):
            state["accepted_on"] = day.isoformat()
        if b["accepted"]:                      # as RF23.b: the earliest day counted from
            since, ahead = deadline_start_of(rec, day, ctx)
            first = state["counted_from"]["accepted"]
            if first is None or since.isoformat() < first["on"]:
                state["counted_from"]["accepted"] = {"on": since.isoformat(), **ahead}
                _complaint_close_due(state, ctx, replace=True)
    elif rec.type == "ComplaintExtended":
        state["extensions"].append({"days": b["days"], "approved_by": b["approved_by"],
                                    "approver_role": role_at(ctx, b["approved_by"],
                                                             rec.occurred_at),
                                    "approved_on": day.isoformat(),
                                    "approved_at": rec.occurred_at, "event_id": rec.event_id,
                                    "counted": None, "why": None})
        _complaint_close_due(state, ctx, replace=True)
    elif rec.type == "ComplaintClosed":
        state.update(state="CLOSED", handler=b["handler"], outcome=b["outcome"],
                     handler_is_accused=b["handler"] in state["accused_officers"])
        mark_met(state, "close", day)
    stamp_versions(state, ctx)
    return state


def recount_extensions(state: dict[str, Any], approver: str, ctx: Context) -> bool:
    """Read again the post ``approver`` held at each extension of the complaint ``state`` they
    approved, from ``ctx.officer`` (the officer view as far as the log is folded), and count the
    closing deadline again if a role changed; returns whether one did. XFGZ 第34条 asks for the
    post held on the approval, whenever its ``PostAssigned`` was recorded: the fold calls this
    when one is recorded after extensions its officer approved, as RF23.b reads every post
    recorded. The deadline is counted with the configuration it names (``params_version``)."""
    changed = reread_roles(state["extensions"], approver, ctx)
    if changed:
        _complaint_close_due(state, ctx, replace=True)
        stamp_versions(state, ctx)
    return changed


def _complaint_close_due(state: dict[str, Any], ctx: Context, *, replace: bool) -> None:
    """The closing deadline: 60 days (+ approved extension ≤ 30) from acceptance (受理, XFGZ
    第34条); until the complaint is accepted, from receipt (each the day it counts from,
    ``counted_from``: its recording's for an act dated after it). Nothing before it is
    received.
    An extension counts as RF23.b counts it: approved before the deadline in force ran out (60
    days and the extensions approved before it), by a head of the agency (``approver_role``, the
    approver's post when it was approved) the complaint is not about, 30 days in all."""
    if state["received_on"] is None:
        return
    start = state["counted_from"]["accepted"] or state["counted_from"]["received"]
    p, first = ctx.params, date.fromisoformat(start["on"])

    def due() -> date:
        state["extension_days"] = 0
        for e in sorted(state["extensions"], key=lambda e: e["approved_on"]):
            in_force = ctx.calendar.add_calendar_days(   # 60 days + those approved before it
                first, p.complaint_close_days + state["extension_days"]).isoformat()
            e["why"] = complaint_extension_refused(
                e["approved_by"], e["approver_role"], state["accused_officers"],
                in_force if e["approved_on"] > in_force else None, ctx.head_roles)
            counted = 0
            if e["why"] is None:
                counted, e["why"] = complaint_extension_days(
                    e["days"], state["extension_days"], p.complaint_extension_max_days)
            e["counted"] = counted > 0
            state["extension_days"] += counted
        return ctx.calendar.add_calendar_days(
            first, p.complaint_close_days + state["extension_days"])
    d = p.complaint_close_days
    set_due(state, "close", due, deadline_basis("XFGZ 第34条", f"{d} days + approved extension",
                                                f"{d}日内办结，另加批准的延长期限"),
            replace=replace, ahead={k: v for k, v in start.items() if k == "dated_after_recording"})
