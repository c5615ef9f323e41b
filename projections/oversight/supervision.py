"""Supervision notices and feedback (督办反馈): a pure reducer per notice and its status.

A notice (``SupervisionNoticeIssued``) names the unit it is sent to, the issues and a
``respond_by`` day. The unit answers with feedback (``SupervisionFeedbackSubmitted``); the
supervisor reviews each answer (``SupervisionFeedbackAccepted`` with ``accepted`` or
``rejected_resubmit``). Only an accepted feedback closes a notice: a review with no feedback
waiting for it is recorded in ``out_of_order`` and closes nothing (DESIGN.md principle 1).

Status (:func:`status`) depends on the evaluation day, so it is computed when read, never
stored: ``closed`` (an accepted feedback) · ``answered`` (a feedback awaits review) ·
``returned`` (sent back, no new feedback yet) · ``overdue`` (no feedback and ``respond_by`` has
passed) · ``open``. Overdue and late answers are also red flags (RF27).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from ledger.domain.calendar import legal_date
from ledger.envelope import Recorded

STATUSES = ("open", "overdue", "answered", "returned", "closed")


def concerns(rec: Recorded) -> str | None:
    """The notice id of an event on a ``supervision:`` stream, or None."""
    kind, _, ident = rec.stream.partition(":")
    return ident if kind == "supervision" else None


def new_state(notice_id: str) -> dict[str, Any]:
    return {"notice_id": notice_id, "unit_id": None, "issued_by": None, "issued_at": None,
            "issued_on": None, "respond_by": None, "issues": [], "feedback": [],
            "accepted": False, "closed_on": None, "out_of_order": [], "events": []}


def apply(state: dict[str, Any] | None, rec: Recorded, *, offset_minutes: int
          ) -> dict[str, Any]:
    """Fold one event of a ``supervision:`` stream into its notice."""
    if state is None:
        state = new_state(rec.stream.partition(":")[2])
    b = rec.body
    day = legal_date(rec.occurred_at, offset_minutes=offset_minutes).isoformat()
    state["events"].append(rec.event_id)
    if rec.type == "SupervisionNoticeIssued":
        if state["issued_at"] is not None:
            _out_of_order(state, rec, "notice already issued")
            return state
        state.update(unit_id=b["to_unit_id"], issued_by=b["issued_by"],
                     issued_at=rec.occurred_at, issued_on=day, respond_by=b["respond_by"],
                     issues=[dict(i) for i in b["issues"]], issue_event_id=rec.event_id)
        for f in state["feedback"]:          # answers recorded before the notice
            f["late"] = f["submitted_on"] > state["respond_by"]
    elif rec.type == "SupervisionFeedbackSubmitted":
        late = state["respond_by"] is not None and day > state["respond_by"]
        state["feedback"].append({
            "submitted_by": b["submitted_by"], "submitted_at": rec.occurred_at,
            "submitted_on": day, "late": late, "responses": [dict(r) for r in b["responses"]],
            "document_sha256": b["document_sha256"], "event_id": rec.event_id, "review": None})
    elif rec.type == "SupervisionFeedbackAccepted":
        waiting = [f for f in state["feedback"] if f["review"] is None]
        if not waiting or state["accepted"]:
            _out_of_order(state, rec, "no feedback awaits review" if not waiting
                          else "notice already closed")
            return state
        review = {"result": b["result"], "reviewed_by": b["accepted_by"],
                  "comment": b.get("comment"), "reviewed_at": rec.occurred_at,
                  "reviewed_on": day, "event_id": rec.event_id}
        for f in waiting:          # a review answers every feedback submitted before it
            f["review"] = review
        if b["result"] == "accepted":
            state["accepted"], state["closed_on"] = True, day
    return state


def _out_of_order(state: dict[str, Any], rec: Recorded, why: str) -> None:
    state["out_of_order"].append({"event_id": rec.event_id, "type": rec.type, "why": why})


def status(state: Mapping[str, Any], today: date) -> str:
    """The notice's status on legal day ``today`` (one of :data:`STATUSES`)."""
    if state.get("accepted"):
        return "closed"
    feedback = state.get("feedback") or []
    if feedback and feedback[-1]["review"] is None:
        return "answered"
    if feedback:
        return "returned"
    respond_by = state.get("respond_by")
    if respond_by is not None and today.isoformat() > respond_by:
        return "overdue"
    return "open"


def view(state: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The notice as served by the API: the stored state plus its status on ``today``."""
    return {**state, "status": status(state, today), "as_of": today.isoformat()}
