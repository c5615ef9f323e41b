"""What the case and complaint folds share (case_model.py, complaint_model.py): the context
they judge an event with (:class:`Context`: calendar, parameters, fine schedule, the officer
view), how a deadline is opened, met and stamped with the configuration it was counted with, how
an event the lifecycle did not expect is noted, and the post an approver held.

A deadline is an entry of ``state["deadlines"]``: ``due`` and ``met_on`` are dates, ``late``
whether it was met after its day; whether an open one is overdue *now* is for the red-flag
rules, which take the evaluation time as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Mapping

from ledger.domain.calendar import OFFICIAL, CalendarNotCovered, WorkingCalendar, legal_date
from ledger.domain.params import FINE_SCHEDULE, PARAMS, FineRule, LegalParameters
from ledger.envelope import Recorded

from . import officer_model
from .redflags.days import ts_of
from .redflags.facts import counted_from
from .redflags.params import FlagParams, national


def _no_officer(_: str) -> dict[str, Any] | None:
    return None


def _no_device(_: str) -> str | None:
    return None


@dataclass(frozen=True)
class Context:
    """What a reducer may consult besides the event: the calendar, parameters, fine schedule
    and the officer read model (``officer(officer_id) -> state | None``). ``version`` names
    the configuration the first three come from (:attr:`FlagParams.version`, as flags record
    it); every deadline carries it as ``params_version``. ``offset_minutes`` is the legal time
    zone every legal day is counted in: the latest published, whatever the version in force on
    the event's day, as the red-flag engine counts it (docs/architecture.md, "Read models and
    published configuration")."""

    calendar: WorkingCalendar = OFFICIAL
    params: LegalParameters = PARAMS
    fine_schedule: Mapping[str, FineRule] = field(default_factory=lambda: FINE_SCHEDULE)
    officer: Callable[[str], dict[str, Any] | None] = _no_officer
    version: str = national().version
    #: who may approve a decision-deadline extension (RF12.b's allowed forms)
    extension_forms: tuple[str, ...] = national().thresholds.extension_approval_forms
    #: the roles of an agency's heads (RF11.d; RF23.b's complaint extensions)
    head_roles: tuple[str, ...] = national().thresholds.head_roles
    offset_minutes: int = PARAMS.legal_utc_offset_minutes
    #: RF08.e's tolerance in force when the event was recorded (the fold sets it): an act
    #: claiming a time further after its recording opens its deadlines on the day it was
    #: recorded, as the flags count them
    future_tolerance_minutes: int = national().thresholds.future_tolerance_minutes
    #: RF02's judgement of a person's credential at an act, (officer id, instant, legal day,
    #: certificate named) -> :func:`officer_model.credential_on` of ``officer``'s state; the
    #: fold passes one that remembers it (:class:`officer_model.Judgements`)
    credential: Callable[[str, datetime, str, str | None], dict[str, Any]] | None = None
    #: key id -> the capture device its registration binds it to
    #: (:func:`ledger.domain.keys.bound_device`), as registered before the event folded: what
    #: proves an evidence's ``device_signed`` claim, as the red flags judge it (RF07)
    device_of: Callable[[str], str | None] = _no_device

    def credential_of(self, officer_id: str, t: datetime, day: str, cert_no: str | None
                      ) -> dict[str, Any]:
        """How ``officer_id``'s credential reads for an act at instant ``t``, legal day ``day``
        (ISO date), naming ``cert_no`` (:func:`officer_model.credential_at`)."""
        if self.credential is not None:
            return self.credential(officer_id, t, day, cert_no)
        return officer_model.credential_on(self.officer(officer_id), t, day, cert_no)

    @classmethod
    def in_force(cls, p: FlagParams, officer: Callable[[str], dict[str, Any] | None], *,
                 offset_minutes: int, credential: Callable[[str, datetime, str, str | None],
                                                           dict[str, Any]] | None = None,
                 device_of: Callable[[str], str | None] = _no_device) -> "Context":
        """The context of one configuration version (a :class:`ParamsTimeline` answer), its legal
        days counted at ``offset_minutes`` (the latest published time zone)."""
        holidays = {date.fromisoformat(d) for h, _ in p.calendar.values() for d in h}
        makeup = {date.fromisoformat(d) for _, m in p.calendar.values() for d in m}
        # a day published as both is a working day, as the red-flag rules count it
        calendar = WorkingCalendar(holidays - makeup, makeup, years=p.calendar.keys())
        return cls(calendar=calendar, params=p.legal, fine_schedule=p.fine_schedule,
                   officer=officer, version=p.version,
                   extension_forms=p.thresholds.extension_approval_forms,
                   head_roles=p.thresholds.head_roles, offset_minutes=offset_minutes,
                   future_tolerance_minutes=p.thresholds.future_tolerance_minutes,
                   credential=credential, device_of=device_of)


DEFAULT_CONTEXT = Context()

#: obligations a decision opens, cancelled by its withdrawal; a decision made anew opens its own
OBLIGATIONS = ("service", "publication", "payment")
#: the deadlines that are a decision's own: they go with it when another replaces it
OWN_DEADLINES = OBLIGATIONS + ("summary_filing",)


def deadline_start(event_id: str, occurred_at: str, recorded_at: str, day: date, ctx: Context
                   ) -> tuple[date, dict[str, Any]]:
    """(the day a deadline opened by an act counts from, what explains it): the act's own
    ``day``, or the day the ledger recorded it when it claims a time more than the tolerance
    after that (:func:`~.redflags.facts.counted_from`, as the flags count it); then the
    explanation is ``dated_after_recording``: [event id, claimed time, recorded time]."""
    claimed = ts_of(occurred_at)
    if counted_from(claimed, ts_of(recorded_at), ctx.future_tolerance_minutes) == claimed:
        return day, {}
    return (legal_date(recorded_at, offset_minutes=ctx.offset_minutes),
            {"dated_after_recording": [event_id, occurred_at, recorded_at]})


def deadline_start_of(rec: Recorded, day: date, ctx: Context) -> tuple[date, dict[str, Any]]:
    return deadline_start(rec.event_id, rec.occurred_at, rec.recorded_at, day, ctx)


def deadline_basis(cite: str, en: str, zh: str) -> dict[str, str]:
    """A deadline's legal basis: the provision and the period counted, in English (``basis``)
    and in Chinese (``basis_zh``: the dashboard's Chinese page shows it). The period is the one
    counted, from the configuration in force, not the national default."""
    return {"basis": f"{cite} ({en})", "basis_zh": f"{cite}（{zh}）"}


def set_due(case: dict[str, Any], name: str, compute: Callable[[], date], basis: dict[str, str],
            *, replace: bool = False, ahead: dict[str, Any] | None = None) -> None:
    """Open deadline ``name`` (``basis``: :func:`deadline_basis`); an unmet one is kept (the
    earliest obligation stands) unless ``replace`` (e.g. an approved extension moves the decision
    deadline). ``ahead`` (:func:`deadline_start`) says the act opening it was dated after its
    recording."""
    old = case["deadlines"].get(name)
    if old is not None and old["met_on"] is None and not replace:
        return
    case["deadlines"][name] = new_deadline(compute, basis, ahead)
    if replace and old and old["met_on"]:
        mark_met(case, name, date.fromisoformat(old["met_on"]))
    early = case.get("met_before_due", {}).get(name)
    if early is not None:
        mark_met(case, name, date.fromisoformat(early))


def new_deadline(compute: Callable[[], date], basis: dict[str, str],
                 ahead: dict[str, Any] | None = None) -> dict[str, Any]:
    """An open deadline due on the day ``compute`` returns (``basis``: :func:`deadline_basis`;
    ``ahead``: :func:`deadline_start`'s explanation): its ``due`` is null, with a ``note``,
    when the calendar does not cover that day."""
    entry: dict[str, Any] = {"due": None, **basis, "met_on": None, "late": None,
                             **(ahead or {})}
    try:
        entry["due"] = compute().isoformat()
    except CalendarNotCovered as e:
        entry["note"] = e.message
    return entry


def mark_met(case: dict[str, Any], name: str, day: date) -> None:
    d = case["deadlines"].get(name)
    if d is None:      # the step that opens it is recorded later (out of order): keep the day
        early = case.setdefault("met_before_due", {})
        if name not in early or day.isoformat() < early[name]:
            early[name] = day.isoformat()
        return
    if d["met_on"] is not None and d["met_on"] <= day.isoformat():
        return
    d["met_on"] = day.isoformat()
    d["late"] = None if d["due"] is None else day.isoformat() > d["due"]


def mark_met_by(case: dict[str, Any], name: str, rec: Recorded, day: date, ctx: Context) -> None:
    """Deadline ``name`` met by ``rec`` (legal day ``day``): on the day it was recorded if it
    claims a time beyond the tolerance after that (:func:`deadline_start`), as RF12.a/c/e count the
    decision, its service and its publication — the act happened by its recording."""
    mark_met(case, name, deadline_start_of(rec, day, ctx)[0])


def stamp_versions(state: dict[str, Any], ctx: Context) -> None:
    """Name the configuration each deadline opened by this event was counted with."""
    for d in state["deadlines"].values():
        d.setdefault("params_version", ctx.version)


def note_out_of_order(case: dict[str, Any], rec: Recorded, expected: list[str],
                      why: str | None = None) -> None:
    entry = {"event_id": rec.event_id, "type": rec.type, "state": case["state"],
             "expected_in": expected}
    if why is not None:
        entry["why"] = why
    case["out_of_order"].append(entry)


def role_at(ctx: Context, officer_id: str, at: str) -> str:
    """The role of the post ``officer_id`` held at instant ``at`` (``unknown`` without one),
    as ``ctx.officer`` knows them."""
    post = officer_model.post_at(ctx.officer(officer_id), at)
    return post["role"] if post else "unknown"


def reread_roles(extensions: list[dict[str, Any]], approver: str, ctx: Context) -> bool:
    """Set ``approver_role`` of each of ``extensions`` ``approver`` approved anew; returns
    whether one changed."""
    changed = False
    for e in extensions:
        if e["approved_by"] == approver:
            role = role_at(ctx, approver, e["approved_at"])
            changed |= role != e["approver_role"]
            e["approver_role"] = role
    return changed
