"""Case read model (``GET /v1/cases/{case_id}``): a pure reducer over the events of one case.

The state says: procedure and lifecycle state (the state machines of red_flags.yaml
``case_lifecycle``), parties (pseudonymous references), the officers who acted and their
certificate status at each act, violation and legal basis, proposed/decided/amended amounts,
money (payments, on-the-spot cash, reconciliation), property, deadlines computed with
working-day arithmetic, the steps that arrived out of order, and every event id in order.
A decision made anew (after a withdrawal) is the one in force; the decisions it replaced are
kept in ``previous_decisions``. In a case with several parties (共同违法) each party's decision
is in force beside the others: the one recorded last is ``decision``, each other party's is in
``co_party_decisions`` with its own amounts, changes, deadlines and money; a decision replaces
only a decision of its own party.

Out of order (DESIGN.md principle 1): an event the lifecycle does not expect in the current
state is recorded in ``out_of_order`` — never refused, never dropped. A milestone event (one
that moves the case on) still moves it, but only forward: the state never goes back.
Amendments and withdrawals change the decision they name (``decision_no``) while it is in
force; one that names no decision, a withdrawn or a replaced one is out of order with a
``why`` and changes nothing. One recorded before its decision is held (``held_changes``) and
applied when the decision comes if it is dated at or after it (docs/events.md, decision 5).

Determinism: ``apply`` reads only its arguments — no clock, no I/O. Deadlines are dates
("due" and "met_on"); whether an open deadline is overdue *now* is for the red-flag rules, which
take the evaluation time as an argument. ``ctx.officer`` must answer from the officer model as
of this event's log position, so that incremental application equals a full rebuild in log
order; a certificate, suspension or end recorded after acts it covers is for the caller to
bring in with :func:`judge_officer`, as RF02 reads everything recorded. ``apply`` updates and
returns ``state`` (copy it first if you need the old one).

Complaints have their own small lifecycle: :func:`apply_complaint` folds ``complaint:``
streams; a complaint naming a case is also linked from the case (see :func:`cases_of`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Mapping

from ledger.domain import EVENT_TYPES, upcast
from ledger.domain.calendar import OFFICIAL, CalendarNotCovered, WorkingCalendar, legal_date
from ledger.domain.params import FINE_SCHEDULE, PARAMS, FineRule, LegalParameters
from ledger.envelope import Recorded
from ledger.schemas import parse_datetime

from . import officer_model
from .redflags.days import ts_of
from .redflags.facts import (COLLECTIVE, INVESTIGATIVE, WRITTEN_ACKS, actors_of,
                             complaint_extension_days, complaint_extension_refused,
                             counted_from, deciders_of, decision_extension_counted,
                             collection_key, decision_key, money_of, payment_key,
                             plan_refused, same_collection, same_decision, same_payment)
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

# --- the two state machines -------------------------------------------------------------------
# event type -> {state the event is expected in: state it leads to (None = stays)}

GENERAL_STATES = ("CLUE", "FILED", "INVESTIGATING", "INVESTIGATION_CONCLUDED", "REVIEWING",
                  "NOTIFIED", "HEARING", "DECIDING", "DECIDED", "SERVED", "EXECUTING",
                  "ENFORCEMENT_APPLIED", "EXECUTED", "NOT_PENALISED", "TRANSFERRED", "CLOSED",
                  "ARCHIVED")
SUMMARY_STATES = ("ON_SCENE", "DECIDED_ON_SPOT", "DELIVERED", "COLLECTED_ON_SPOT",
                  "BANK_PAYMENT_PENDING", "REMITTED", "DEPOSITED", "PAID", "FILED_WITH_AGENCY",
                  "NOT_PENALISED", "CLOSED", "ARCHIVED")
TERMINAL = ("CLOSED", "ARCHIVED")

_PRE_DECISION = ("FILED", "INVESTIGATING", "INVESTIGATION_CONCLUDED", "REVIEWING", "NOTIFIED",
                 "HEARING", "DECIDING")
_DECIDED_ON = ("DECIDED", "SERVED", "EXECUTING", "ENFORCEMENT_APPLIED")
_AFTER_DECISION = _DECIDED_ON + ("EXECUTED", "NOT_PENALISED", "CLOSED", "ARCHIVED")


def _stay(*states: str) -> dict[str, str | None]:
    return {s: None for s in states}


_INVESTIGATE = {"FILED": "INVESTIGATING", **_stay(*_PRE_DECISION[1:])}

GENERAL: dict[str, dict[str, str | None]] = {
    "ClueRegistered": {"NEW": "CLUE"},
    "CaseFiled": {"NEW": "FILED", "CLUE": "FILED"},
    "EvidenceRecorded": _INVESTIGATE,
    "InspectionPerformed": _INVESTIGATE,
    "RectificationOrdered": {**_INVESTIGATE, **_stay("DECIDED", "SERVED")},
    "CredentialShown": _stay(*_PRE_DECISION, "DECIDED"),
    "WarningIssued": _stay("FILED", "INVESTIGATING"),
    "PreservationOrdered": {"FILED": "INVESTIGATING", "INVESTIGATING": None},
    "PropertySeized": {"FILED": "INVESTIGATING", "INVESTIGATING": None},
    "InvestigationConcluded": {"INVESTIGATING": "INVESTIGATION_CONCLUDED"},
    "NoPenaltyDecided": dict.fromkeys(("INVESTIGATION_CONCLUDED", "REVIEWING", "NOTIFIED",
                                       "DECIDING"), "NOT_PENALISED"),
    "WaiverGranted": dict.fromkeys(("INVESTIGATION_CONCLUDED", "REVIEWING", "NOTIFIED",
                                    "DECIDING"), "NOT_PENALISED"),
    "TransferredToJudiciary": dict.fromkeys(("INVESTIGATION_CONCLUDED", "REVIEWING", "DECIDING"),
                                            "TRANSFERRED"),
    "BenchmarkApplied": {"INVESTIGATION_CONCLUDED": "REVIEWING", **_stay("REVIEWING", "DECIDING")},
    "LegalReviewCompleted": {"INVESTIGATION_CONCLUDED": "REVIEWING",
                             **_stay("REVIEWING", "DECIDING")},
    "DeviationApproved": _stay("REVIEWING", "NOTIFIED", "DECIDING"),
    "PenaltyNoticeServed": {"REVIEWING": "NOTIFIED", "NOTIFIED": None, "DECIDING": "NOTIFIED"},
    "StatementReceived": _stay("NOTIFIED", "HEARING", "DECIDING"),
    "DefenceReviewed": _stay("NOTIFIED", "HEARING", "DECIDING"),
    "RightsWaived": {"NOTIFIED": "DECIDING"},
    "HearingRequested": {"NOTIFIED": "HEARING"},
    "HearingScheduled": _stay("HEARING"),
    "HearingHeld": {"HEARING": "DECIDING"},
    "CollectiveDiscussionHeld": _stay("REVIEWING", "DECIDING"),
    "ExtensionApproved": _stay(*_PRE_DECISION),
    "PenaltyDecided": {"DECIDING": "DECIDED"},
    "DecisionFormVoided": _stay("DECIDING", "DECIDED"),
    "DecisionServed": {"DECIDED": "SERVED"},
    "DecisionPublished": _stay(*_AFTER_DECISION),
    "DecisionPublicationWithdrawn": _stay(*_AFTER_DECISION),
    "PaymentRecorded": {"SERVED": "EXECUTING", **_stay("EXECUTING", "ENFORCEMENT_APPLIED")},
    "OnsiteCashCollected": {"SERVED": "EXECUTING", "EXECUTING": None},  # APL 第69条 only
    "OnsiteCashRemitted": _stay("EXECUTING", "ENFORCEMENT_APPLIED", "EXECUTED"),
    "AgencyDeposited": _stay("EXECUTING", "ENFORCEMENT_APPLIED", "EXECUTED"),
    "RectificationVerified": {"SERVED": "EXECUTING",
                              **_stay(*_PRE_DECISION[1:], "DECIDED", "EXECUTING",
                                      "ENFORCEMENT_APPLIED", "EXECUTED", "NOT_PENALISED")},
    "SurchargeAssessed": {"SERVED": "ENFORCEMENT_APPLIED", "EXECUTING": "ENFORCEMENT_APPLIED",
                          "ENFORCEMENT_APPLIED": None},
    "InstalmentApproved": _stay("SERVED", "EXECUTING", "ENFORCEMENT_APPLIED"),
    "TreasuryReconciled": {"EXECUTING": "EXECUTED", "ENFORCEMENT_APPLIED": "EXECUTED",
                           "EXECUTED": None},
    "PenaltyAmended": _stay(*_DECIDED_ON),
    "PenaltyWithdrawn": dict.fromkeys(_DECIDED_ON, "NOT_PENALISED"),
    "CaseClosed": dict.fromkeys(("EXECUTED", "NOT_PENALISED", "TRANSFERRED",
                                 "ENFORCEMENT_APPLIED"), "CLOSED"),
    "CaseArchived": {"CLOSED": "ARCHIVED"},
}

_SCENE_ON = ("ON_SCENE", "DECIDED_ON_SPOT", "DELIVERED", "COLLECTED_ON_SPOT",
             "BANK_PAYMENT_PENDING", "REMITTED", "DEPOSITED", "PAID", "FILED_WITH_AGENCY")
_SUMMARY_DECIDED = _SCENE_ON[1:]
_SUMMARY_DELIVERED = _SCENE_ON[2:8]

SUMMARY: dict[str, dict[str, str | None]] = {
    "CaseFiled": {"NEW": "ON_SCENE", "CLUE": "ON_SCENE"},
    "CredentialShown": _stay("ON_SCENE", "DECIDED_ON_SPOT"),
    # bodycam footage is uploaded after the scene: timing is judged by RF07/RF08, not here
    "EvidenceRecorded": _stay(*_SCENE_ON),
    "RectificationOrdered": _stay("ON_SCENE", "DECIDED_ON_SPOT", "DELIVERED"),
    "RectificationVerified": _stay(*_SCENE_ON, "NOT_PENALISED"),
    "WarningIssued": _stay("ON_SCENE"),
    "InspectionPerformed": _stay("ON_SCENE"),
    "PropertySeized": _stay("ON_SCENE", "DECIDED_ON_SPOT", "DELIVERED"),
    "PreservationOrdered": _stay("ON_SCENE"),
    "DecisionFormVoided": _stay("ON_SCENE", "DECIDED_ON_SPOT"),
    "NoPenaltyDecided": {"ON_SCENE": "NOT_PENALISED"},
    "WaiverGranted": {"ON_SCENE": "NOT_PENALISED"},
    "PenaltyDecided": {"ON_SCENE": "DECIDED_ON_SPOT"},
    "DecisionServed": {"DECIDED_ON_SPOT": "DELIVERED"},
    "OnsiteCashCollected": {"DELIVERED": "COLLECTED_ON_SPOT"},
    "OnsiteCashRemitted": {"COLLECTED_ON_SPOT": "REMITTED"},
    "AgencyDeposited": {"REMITTED": "DEPOSITED"},
    "PaymentRecorded": {"DELIVERED": "PAID", "BANK_PAYMENT_PENDING": "PAID"},
    "SummaryDecisionFiled": dict.fromkeys(_SUMMARY_DELIVERED, "FILED_WITH_AGENCY"),
    "TreasuryReconciled": _stay("DEPOSITED", "PAID", "FILED_WITH_AGENCY"),
    "DecisionPublished": _stay(*_SUMMARY_DECIDED, "CLOSED", "ARCHIVED"),
    "DecisionPublicationWithdrawn": _stay(*_SUMMARY_DECIDED, "NOT_PENALISED", "CLOSED",
                                          "ARCHIVED"),
    "PenaltyAmended": _stay(*_SUMMARY_DECIDED),
    "PenaltyWithdrawn": dict.fromkeys(_SUMMARY_DECIDED, "NOT_PENALISED"),
    "CaseClosed": {"FILED_WITH_AGENCY": "CLOSED", "NOT_PENALISED": "CLOSED"},
    "CaseArchived": {"CLOSED": "ARCHIVED"},
}

#: steps of parallel regions (property handling, recusal): never out of order
PARALLEL = frozenset({"PropertyInventorySigned", "PropertyReturned", "PropertyDisposed",
                      "RecusalDecided"})

_RANK = {"NEW": -1, **{s: i for i, s in enumerate(GENERAL_STATES)}}
_RANK.update({"NOT_PENALISED": _RANK["EXECUTED"], "TRANSFERRED": _RANK["EXECUTED"]})
_SUMMARY_RANK = {"NEW": -1, "ON_SCENE": 0, "DECIDED_ON_SPOT": 1, "DELIVERED": 2,
                 "COLLECTED_ON_SPOT": 3, "BANK_PAYMENT_PENDING": 3, "REMITTED": 4, "DEPOSITED": 5,
                 "PAID": 5, "FILED_WITH_AGENCY": 6, "NOT_PENALISED": 6, "CLOSED": 7,
                 "ARCHIVED": 8}


def new_state(case_id: str) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "procedure": None,                 # general | summary (from CaseFiled or the decision)
        "state": "NEW",
        "unit_id": None,
        "units": [],                       # every unit that has held it, first first (its trail)
        "filing_no": None,
        "filed_on": None,
        # the decision period in force on the day of filing:
        # {days, params_version, approval_forms, head_roles, head_max_days, counted_from}
        "decision_period": None,
        # the same, counted from a summary filing: the decision period if a general decision
        # follows (RF12.a)
        "filing_period": None,
        "parties": [],                     # [{party_ref, party_type?, org_name?}]
        "officers": {},                    # officer_id -> acts (acted: [event id, type,
        #                                  instant, certificate named]) and certificate status
        "investigators": [],               # who acted in the investigation (RF12.b, RF09.e)
        # ended_at: when a continuing violation ended, the start of RF12.h's time bar
        "violation": {"code": None, "legal_basis": None, "occurred_at": None, "ended_at": None,
                      "statutory_range_fen": None},
        "amounts": {"proposed_fen": None, "decided_fen": None, "current_fen": None,
                    "surcharge_fen": 0, "amendments": [], "penalty_types": []},
        "decision": None,                  # the decision in force (or the last one withdrawn)
        "previous_decisions": [],          # decisions a later one replaced, with their changes
        # each other party's decision (共同违法) no later one of its party replaced: as a
        # previous decision's entry, with its received_fen, outstanding_fen, published, its own
        # deadlines (service, publication, payment, ...) and instalments
        "co_party_decisions": [],
        "held_changes": [],                # changes recorded before the decision they name
        "outcome": None,                   # no penalty / waiver / transfer
        "withdrawal": None,
        # [{form_no, voided_at, event_id, ended: decision, undone: what a service dated
        # before the void, recorded after it, puts back}]
        "voided_forms": [],
        "notice": None,
        "rights_waived": None,
        "hearing": None,
        "legal_review": None,
        "collective_discussions": 0,
        "benchmark": None,
        "deviation_approved": False,
        "extensions": [],
        "evidence": [],
        "rectification": {"ordered": 0, "deadline": None, "verified": None},
        "money": {"payments": [], "paid_fen": 0,
                  "cash": {"collected_fen": 0, "remitted_fen": 0, "deposited_fen": 0,
                           "receipts": [], "justification": None,
                           # [{event_id, amount_fen, occurred_at, receipt_no, decision_no}]
                           "collections": []},
                  "instalments": None, "received_fen": 0, "outstanding_fen": 0,
                  "reconciliation": {"status": "not_applicable", "reconciled_fen": None,
                                     "expected_fen": 0}},
        "property": {},                    # seizure/preservation id -> status
        "summary_filed_on": None,
        "published": False,
        "deadlines": {},
        "met_before_due": {},              # deadline -> day met before a step opened it
        "complaints": [],
        "out_of_order": [],
        "closed_on": None,
        "closed_at": None,                 # the instant of the closing shown (_closed)
        "close_outcome": None,
        "archived_on": None,
        "events": [],
    }


def cases_of(rec: Recorded) -> list[str]:
    """The cases an event folds into: its own ``case:`` stream, or the case a complaint names."""
    kind, _, ident = rec.stream.partition(":")
    if kind == "case":
        return [ident]
    if kind == "complaint" and rec.type == "ComplaintReceived" and rec.body.get("case_id"):
        return [rec.body["case_id"]]
    return []


def apply(state: dict[str, Any] | None, rec: Recorded, ctx: Context = DEFAULT_CONTEXT
          ) -> dict[str, Any]:
    """Fold one recorded event into the state of its case (see :func:`cases_of`)."""
    if state is None:
        state = new_state(cases_of(rec)[0] if cases_of(rec) else rec.stream.partition(":")[2])
    if not rec.stream.startswith("case:"):
        if rec.type == "ComplaintReceived":
            state["complaints"].append({"complaint_id": rec.stream.partition(":")[2],
                                        "category": rec.body["category"],
                                        "event_id": rec.event_id})
        return state
    if rec.type not in EVENT_TYPES:
        state["events"].append(rec.event_id)
        return state
    body = upcast(rec.type, rec.body)
    state["events"].append(rec.event_id)
    day = legal_date(rec.occurred_at, offset_minutes=ctx.offset_minutes)
    if rec.type == "PenaltyDecided" and _recorded_again(state, rec, body):
        _out_of_order(state, rec, sorted(
            (SUMMARY if body["procedure"] == "summary" else GENERAL)["PenaltyDecided"]),
            f"decision {body['decision_no']} recorded again")
        return state       # the same act: it changes nothing, and its officers acted once
    if rec.type == "OnsiteCashCollected" and _collected_again(state, rec, body):
        table = SUMMARY if state["procedure"] == "summary" else GENERAL
        _out_of_order(state, rec, sorted(table["OnsiteCashCollected"]),
                      f"receipt {body['receipt_no']} recorded again")
        return state       # as a decision recorded again: its officers acted once
    if rec.type == "PaymentRecorded" and _paid_again(state, rec, body, day):
        table = SUMMARY if state["procedure"] == "summary" else GENERAL
        _out_of_order(state, rec, sorted(table["PaymentRecorded"]),
                      f"payment {body['payment_id']} recorded again")
        _refresh_money(state, day, ctx)
        return state       # one payment, received once (at the earlier instant, if dated so)
    if rec.type == "DecisionServed" and state["voided_forms"]:
        _served_before_void(state, rec, body)
    replaced = _replaced(state, rec, body)
    mine = _party_decision(state, body["party"]["party_ref"]) \
        if rec.type == "PenaltyDecided" else None
    earlier = mine is not None and day.isoformat() < mine["decided_on"]
    if earlier:            # a decision its party's in force replaced, recorded after it
        _keep_earlier(state, rec, body, day, ctx)
    elif replaced is None:
        _lifecycle(state, rec, body, day, ctx)
    elif rec.type == "CaseClosed":     # a replaced decision's closing, recorded late
        _close(replaced, rec, body, day)
    elif _co_party(state, replaced):   # a step of another party's decision in force
        _step_of_co_party(state, replaced, rec, day, ctx)
    else:                  # a step of a decision made anew's predecessor, recorded late
        if _STEPS_OF_A_DECISION[rec.type] in replaced["deadlines"]:
            _met(replaced, _STEPS_OF_A_DECISION[rec.type], day)
        if rec.type == "DecisionServed":
            replaced["served_on"] = day.isoformat()
            _served_at(replaced, rec.occurred_at)
    _record_officers(state, rec, body, day.isoformat(), ctx)
    _record_investigators(state, rec, body, ctx)
    handler = _FACTS.get(rec.type) if replaced is None and not earlier else None
    if handler is not None:
        handler(state, rec, body, day, ctx)
    _refresh_money(state, day, ctx)
    _versions(state, ctx)
    return state


# --- lifecycle --------------------------------------------------------------------------------

def _lifecycle(case: dict[str, Any], rec: Recorded, body: dict[str, Any], day: date,
               ctx: Context) -> None:
    if rec.type in ("CaseFiled", "PenaltyDecided") and case["procedure"] is None:
        case["procedure"] = body["procedure"]
    if rec.type in PARALLEL:
        return
    summary = case["procedure"] == "summary"
    table = (SUMMARY if summary else GENERAL).get(rec.type)
    if table is None:                                  # no such step in this procedure
        _out_of_order(case, rec, [])
        return
    current = case["state"]
    if rec.type in _CHANGES:
        why = _named(case, body["decision_no"])[1]
        if why is not None:                            # not a change of the decision in force
            _out_of_order(case, rec, sorted(table, key=lambda s: _rank(summary, s)), why)
            return
    # a decision made after the case's closing (复议, 诉讼: revoked and made anew) reopens it,
    # as RF06 judges it: the closing is the replaced decision's (facts.Case.closing_of)
    reopened = rec.type == "PenaltyDecided" and current in TERMINAL \
        and _after_closing(case, rec.occurred_at)
    if rec.type == "PenaltyDecided" and (current not in TERMINAL or reopened) \
            and (case["decision"] or {}).get("status") == "withdrawn":
        # a withdrawal (撤销) reopens the decision: the case is decided anew (重新作出), from
        # NOT_PENALISED or wherever the withdrawal found it (EXECUTED: paid and reconciled)
        current = case["state"] = "ON_SCENE" if summary else "DECIDING"
    decided = current in (_SUMMARY_DECIDED if summary else _DECIDED_ON)
    party = body["party"]["party_ref"] if rec.type == "PenaltyDecided" else None
    if party is not None and decided and case["decision"] is not None \
            and case["decision"]["party_ref"] != party \
            and (_party_decision(case, party) or {}).get("status") not in ("in_force", "amended"):
        return             # another party's decision beside the one in force: the case goes on
    if rec.type == "DecisionServed" and decided and case["co_party_decisions"]:
        # one party served when the case has several: on if the case was unserved, never back
        # (another party's service or money may have moved it on)
        case["state"] = table.get(current) or current
        return
    if current == "NOTIFIED" and "NOTIFIED" not in table and "DECIDING" in table:
        until = (case["deadlines"].get("hearing_request") or {}).get("due")
        if until is not None and day.isoformat() > until:
            current = case["state"] = "DECIDING"      # the request window elapsed (APL 第64条)
    if current in table:
        target = table[current]
    else:
        _out_of_order(case, rec, sorted(table, key=lambda s: _rank(summary, s)))
        targets = [t for t in table.values() if t is not None]
        target = targets[0] if len(set(targets)) == 1 else None
        if target is not None and _rank(summary, target) <= _rank(summary, current):
            target = None                              # never move backwards
        if reopened:                                   # but a decision made anew is open
            target = table["ON_SCENE" if summary else "DECIDING"]
    if rec.type == "PenaltyWithdrawn" and _others_in_force(case, body["decision_no"]):
        target = None      # another party's decision stands: the case is still penalised
    if target is not None:
        case["state"] = target
    if summary and case["state"] in _SUMMARY_DELIVERED + ("FILED_WITH_AGENCY",) \
            and rec.type not in ("DecisionServed", "PenaltyWithdrawn"):
        case["state_pending_money"] = True  # refreshed after the money is folded


def _after_closing(case: dict[str, Any], decided_at: str) -> bool:
    """Whether a decision made at ``decided_at`` comes after the closing the case shows, in
    world time: that closing is not the decision's, and the case is open again."""
    return case["closed_at"] is not None and ts_of(case["closed_at"]) < ts_of(decided_at)


def _rank(summary: bool, state: str) -> int:
    return (_SUMMARY_RANK if summary else _RANK).get(state, -1)


def _out_of_order(case: dict[str, Any], rec: Recorded, expected: list[str],
                  why: str | None = None) -> None:
    entry = {"event_id": rec.event_id, "type": rec.type, "state": case["state"],
             "expected_in": expected}
    if why is not None:
        entry["why"] = why
    case["out_of_order"].append(entry)


_CHANGES = ("PenaltyAmended", "PenaltyWithdrawn")


def _named(case: dict[str, Any], decision_no: str) -> tuple[dict[str, Any] | None, str | None]:
    """The decision an amendment or withdrawal names, and why it cannot change the decision in
    force (``None`` when it can): it names no decision of the case (yet), a withdrawn one, or
    one a later decision replaced."""
    for d in [case["decision"], *case["co_party_decisions"], *case["previous_decisions"][::-1]]:
        if d is not None and d["decision_no"] == decision_no:
            if d["status"] == "withdrawn":
                return d, f"decision {decision_no} was withdrawn"
            if d["status"] == "voided":
                return d, f"the form of decision {decision_no} was voided"
            if d is not case["decision"] and not _co_party(case, d):
                return d, f"decision {decision_no} was replaced by a later decision"
            return d, None
    return None, f"no decision {decision_no} to change"


def _co_party(case: dict[str, Any], d: dict[str, Any] | None) -> bool:
    """Whether ``d`` is one of ``co_party_decisions``: another party's decision in force."""
    return any(d is x for x in case["co_party_decisions"])


def _party_decision(case: dict[str, Any], party_ref: str) -> dict[str, Any] | None:
    """The latest decision of ``party_ref`` the case has not set aside: ``decision`` or its
    entry in ``co_party_decisions`` (None when the party has none)."""
    if case["decision"] is not None and case["decision"]["party_ref"] == party_ref:
        return case["decision"]
    return next((d for d in case["co_party_decisions"] if d["party_ref"] == party_ref), None)


def _others_in_force(case: dict[str, Any], decision_no: str) -> bool:
    """Whether a decision other than ``decision_no`` is in force (not withdrawn, not voided):
    another party's, when the case has several."""
    return any(d is not None and d["decision_no"] != decision_no
               and d["status"] in ("in_force", "amended")
               for d in [case["decision"], *case["co_party_decisions"]])


#: the steps that carry out the decision they name, and the deadline each meets
_STEPS_OF_A_DECISION = {"DecisionServed": "service", "SummaryDecisionFiled": "summary_filing",
                        "DecisionPublished": "publication"}


def _recorded_again(case: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> bool:
    """Whether the decision ``rec`` records is one the case has: the same number, instant and
    fine (:func:`~.redflags.facts.same_decision`) — an integrator's retry signed anew under
    another event id, not a second decision."""
    again = decision_key(body, rec.occurred_at)
    known = [(d, d["decided_fen"])
             for d in case["previous_decisions"] + case["co_party_decisions"]]
    if case["decision"] is not None:
        known.append((case["decision"], case["amounts"]["decided_fen"]))
    return any(same_decision((d["decision_no"], ts_of(d["decided_at"]), fen), again)
               for d, fen in known)


def _collected_again(case: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> bool:
    """Whether the cash ``rec`` records is a collection the case has: the same receipt,
    decision, instant and amount (:func:`~.redflags.facts.same_collection`), posted again
    under another event id."""
    again = collection_key(body, rec.occurred_at)
    return any(same_collection((x["receipt_no"], x["decision_no"], ts_of(x["occurred_at"]),
                                x["amount_fen"]), again)
               for x in case["money"]["cash"]["collections"])


def _paid_again(case: dict[str, Any], rec: Recorded, body: dict[str, Any], day: date) -> bool:
    """Whether the payment ``rec`` records is one the case has: the same payment id, decision,
    amount and channel (:func:`~.redflags.facts.same_payment`), posted again under another
    event id. The payment is received at the earlier of the two instants, as the flags count
    it, so a record dated earlier moves it there."""
    again = payment_key(body)
    for p in case["money"]["payments"]:
        if same_payment((p["payment_id"], p["decision_no"], p["amount_fen"], p["channel"]),
                        again):
            if ts_of(rec.occurred_at) < ts_of(p["occurred_at"]):
                p.update(event_id=rec.event_id, on=day.isoformat(),
                         occurred_at=rec.occurred_at)
            return True
    return False


def _replaced(case: dict[str, Any], rec: Recorded, body: dict[str, Any]
              ) -> dict[str, Any] | None:
    """The decision a later one replaced, or another party's in force, when this step carries
    it out: it is that decision's (kept in ``previous_decisions``, ``co_party_decisions``), not
    ``decision``'s. A closing is the decision's in force when it was made, in world time, among
    its party's (:func:`_money_owner`, as RF06 reads it: a closing names no decision)."""
    if rec.type == "CaseClosed":
        in_force = case["decision"]
        if in_force is None or _money_owner(case, in_force)(rec.occurred_at,
                                                            in_force["decision_no"]):
            return None
        return next((d for d in case["co_party_decisions"] + case["previous_decisions"]
                     if _money_owner(case, d)(rec.occurred_at, d["decision_no"])), None)
    if rec.type not in _STEPS_OF_A_DECISION:
        return None
    d, _ = _named(case, body["decision_no"])
    return d if d is not None and d is not case["decision"] else None


def _summary_money_state(case: dict[str, Any]) -> str:
    """Where a delivered summary case stands: the money stage, or FILED_WITH_AGENCY once the
    decision is filed and the money settled (the yaml's DELIVERED → … → FILED_WITH_AGENCY)."""
    money, cash = case["money"], case["money"]["cash"]
    due = case["amounts"]["current_fen"] or 0
    if due == 0:
        stage, settled = "DELIVERED", True
    elif cash["deposited_fen"]:
        stage, settled = "DEPOSITED", True
    elif cash["remitted_fen"]:
        stage, settled = "REMITTED", False
    elif cash["collected_fen"]:
        stage, settled = "COLLECTED_ON_SPOT", False
    elif money["paid_fen"] >= due:
        stage, settled = "PAID", True
    elif money["payments"] or case["summary_filed_on"] or (case["decision"] or {}).get(
            "payment_method") in ("designated_bank", "e_payment"):
        stage, settled = "BANK_PAYMENT_PENDING", False   # the "(no cash)" transition
    else:
        stage, settled = "DELIVERED", False              # cash may still be taken
    return "FILED_WITH_AGENCY" if settled and case["summary_filed_on"] else stage


# --- officers at the time ---------------------------------------------------------------------

def _record_officers(case: dict[str, Any], rec: Recorded, body: dict[str, Any], day: str,
                     ctx: Context) -> None:
    """Keep each act of the persons ``rec`` names (on legal day ``day``), judged with RF02's
    judgement of their credential at the act (:func:`officer_model.credential_at`)."""
    listed, investigators, deciders = (body.get("officers"), body.get("investigators"),
                                       deciders_of(body))
    if not (listed or investigators or deciders):
        return                           # most steps of a case name no one
    refs = [(r["officer_id"], r.get("cert_no")) for named_in in (listed, investigators)
            if named_in for r in named_in]
    if deciders:
        named = {oid for oid, _ in refs}  # a decider also listed with a certificate acts once
        refs.extend((oid, None) for oid in deciders if oid not in named)
    t = parse_datetime(rec.occurred_at)  # once for every person acting
    officers = case["officers"]
    counted: set[str] = set()
    for oid, cert_no in dict.fromkeys(refs):
        officer_state = ctx.officer(oid)
        status = ctx.credential_of(oid, t, day, cert_no)
        entry = officers.get(oid)
        if entry is None:
            entry = officers[oid] = {
                "officer_id": oid, "cert_nos": [], "acts": 0, "first_event_id": rec.event_id,
                "kind": None, "credential_at_first_act": status, "invalid_acts": [],
                "acted": []}
        entry["kind"] = officer_state["kind"] if officer_state else "unknown"
        entry["acted"].append([rec.event_id, rec.type, rec.occurred_at, cert_no])
        if oid not in counted:                # one act per event, as the officer model counts
            entry["acts"] += 1
            counted.add(oid)
        if cert_no and cert_no not in entry["cert_nos"]:
            entry["cert_nos"].append(cert_no)
        if status["status"] != "valid":
            entry["invalid_acts"].append(_invalid(rec.event_id, rec.type, status, cert_no))


def judge_officer(case: dict[str, Any], officer_id: str, ctx: Context) -> bool:
    """Judge again every act of ``officer_id`` in ``case`` (``acted``) with the person as
    ``ctx.officer`` knows them (the officer view as far as the log is folded), and their kind;
    returns whether anything changed. RF02 judges each act with every certificate, suspension
    and end recorded, whenever recorded: the fold calls this when one is recorded after acts of
    the person (:data:`officer_model.CREDENTIAL_EVENTS`)."""
    entry = case["officers"].get(officer_id)
    if entry is None:
        return False
    state = ctx.officer(officer_id)
    before = (entry["kind"], entry["credential_at_first_act"], entry["invalid_acts"])
    entry["kind"] = state["kind"] if state else "unknown"
    entry["invalid_acts"] = []
    for i, (event_id, type_, at, cert_no) in enumerate(entry["acted"]):
        status = ctx.credential_of(officer_id, parse_datetime(at),
                                   legal_date(at, offset_minutes=ctx.offset_minutes).isoformat(),
                                   cert_no)
        if i == 0:
            entry["credential_at_first_act"] = status
        if status["status"] != "valid":
            entry["invalid_acts"].append(_invalid(event_id, type_, status, cert_no))
    return (entry["kind"], entry["credential_at_first_act"], entry["invalid_acts"]) != before


def _invalid(event_id: str, type_: str, status: dict[str, Any], cert_no: str | None
             ) -> dict[str, Any]:
    return {"event_id": event_id, "type": type_, "status": status["status"], "cert_no": cert_no}


def _record_investigators(case: dict[str, Any], rec: Recorded, body: dict[str, Any],
                          ctx: Context) -> None:
    """Who acted in the investigation, as RF12.b reads it; an extension one of them approved
    does not count, whenever the act is recorded."""
    if rec.type in INVESTIGATIVE:
        ids = [oid for oid, _ in actors_of(body)]
    elif rec.type == "HearingHeld":
        ids = [r["officer_id"] for r in body.get("investigators") or ()]
    else:
        return
    new = sorted(set(ids) - set(case["investigators"]))
    if new:
        case["investigators"] = sorted({*case["investigators"], *new})
        if case["extensions"] and case["decision_period"] is not None:
            _decision_deadline(case, ctx)


def _party(case: dict[str, Any], ref: str, **info: Any) -> None:
    for party in case["parties"]:
        if party["party_ref"] == ref:
            party.update({k: v for k, v in info.items() if v is not None})
            return
    case["parties"].append({"party_ref": ref, **{k: v for k, v in info.items() if v is not None}})


# --- deadlines --------------------------------------------------------------------------------

def _opened(event_id: str, occurred_at: str, recorded_at: str, day: date, ctx: Context
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


def _opened_by(rec: Recorded, day: date, ctx: Context) -> tuple[date, dict[str, Any]]:
    return _opened(rec.event_id, rec.occurred_at, rec.recorded_at, day, ctx)


def _basis(cite: str, en: str, zh: str) -> dict[str, str]:
    """A deadline's legal basis: the provision and the period counted, in English (``basis``)
    and in Chinese (``basis_zh``: the dashboard's Chinese page shows it). The period is the one
    counted, from the configuration in force, not the national default."""
    return {"basis": f"{cite} ({en})", "basis_zh": f"{cite}（{zh}）"}


def _due(case: dict[str, Any], name: str, compute: Callable[[], date], basis: dict[str, str],
         *, replace: bool = False, ahead: dict[str, Any] | None = None) -> None:
    """Open deadline ``name`` (``basis``: :func:`_basis`); an unmet one is kept (the earliest
    obligation stands) unless ``replace`` (e.g. an approved extension moves the decision
    deadline). ``ahead`` (:func:`_opened`) says the act opening it was dated after its
    recording."""
    old = case["deadlines"].get(name)
    if old is not None and old["met_on"] is None and not replace:
        return
    entry: dict[str, Any] = {"due": None, **basis, "met_on": None, "late": None,
                             **(ahead or {})}
    try:
        entry["due"] = compute().isoformat()
    except CalendarNotCovered as e:
        entry["note"] = e.message
    case["deadlines"][name] = entry
    if replace and old and old["met_on"]:
        _met(case, name, date.fromisoformat(old["met_on"]))
    early = case.get("met_before_due", {}).get(name)
    if early is not None:
        _met(case, name, date.fromisoformat(early))


def _met(case: dict[str, Any], name: str, day: date) -> None:
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


def _met_by(case: dict[str, Any], name: str, rec: Recorded, day: date, ctx: Context) -> None:
    """Deadline ``name`` met by ``rec`` (legal day ``day``): on the day it was recorded if it
    claims a time beyond the tolerance after that (:func:`_opened`), as RF12.a/c/e count the
    decision, its service and its publication — the act happened by its recording."""
    _met(case, name, _opened_by(rec, day, ctx)[0])


def _versions(state: dict[str, Any], ctx: Context) -> None:
    """Name the configuration each deadline opened by this event was counted with."""
    for d in state["deadlines"].values():
        d.setdefault("params_version", ctx.version)


# --- facts, per event type --------------------------------------------------------------------

Fact = Callable[[dict[str, Any], Recorded, dict[str, Any], date, Context], None]


def _filed(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    officer_model.of_unit(c, b["unit_id"])
    c["filed_on"] = day.isoformat()
    c["filing_no"] = b["filing_no"]
    for p in b["parties"]:
        _party(c, p["party_ref"], party_type=p["party_type"], org_name=p.get("org_name"))
    if b.get("violation_code"):
        _violation(c, b["violation_code"], None, ctx)
    if b.get("violation_occurred_at"):
        c["violation"]["occurred_at"] = b["violation_occurred_at"]
    if b.get("violation_ended_at"):
        c["violation"]["ended_at"] = b["violation_ended_at"]
    # as RF12.a: the decision period runs from the first general filing (立案); a case filed
    # on the spot and decided under the general procedure, from its first filing
    on_the_spot = c.get("filing_period")
    if b["procedure"] == "general":
        if c["decision_period"] is not None and c["decision_period"] != on_the_spot:
            return                                    # a general filing opened it already
        c["decision_period"] = _decision_period(rec, day, ctx)
        _decision_deadline(c, ctx)
    elif on_the_spot is None:
        c["filing_period"] = _decision_period(rec, day, ctx)


def _decision_period(rec: Recorded, day: date, ctx: Context) -> dict[str, Any]:
    since, ahead = _opened_by(rec, day, ctx)
    return {"days": ctx.params.decision_deadline_days_from_filing,
            "params_version": ctx.version,
            "approval_forms": list(ctx.extension_forms),
            "head_roles": list(ctx.head_roles),
            "head_max_days": ctx.params.decision_extension_head_max_days,
            "counted_from": since.isoformat(), **ahead}


def _decision_deadline(c: dict[str, Any], ctx: Context) -> None:
    """Open or move the decision deadline: the period in force on the day of filing (as RF12.a
    counts it, whenever an extension moves it), plus the extensions approved in time."""
    period = c["decision_period"]
    filed = date.fromisoformat(period["counted_from"])

    def due() -> date:
        # in world time, as RF12 counts them (facts.decision_extension_counted): an extension
        # approved after the deadline in force had passed extends nothing (the case was
        # already late), nor does one in a form not allowed, approved by an investigator of
        # the case, or in a head's form by someone holding no head's post then
        # (``approver_role``); a head's extends by 30 days in all, further only collective
        # discussion's
        days, head_days = period["days"], 0
        for e in sorted(c["extensions"], key=lambda e: e["approved_on"]):
            in_force = ctx.calendar.add_calendar_days(filed, days).isoformat()
            counted, e["why"] = decision_extension_counted(
                e["days"], e["approval_form"], e["approved_by"], c["investigators"],
                in_force if e["approved_on"] > in_force else None,
                forms=period["approval_forms"], head_max=period["head_max_days"],
                head_used=head_days, role=e["approver_role"],
                head_roles=period["head_roles"])
            e["counted"], e["counted_days"] = counted == e["days"], counted
            days += counted
            head_days += counted if e["approval_form"] != COLLECTIVE else 0
        return ctx.calendar.add_calendar_days(filed, days)
    d = period["days"]
    _due(c, "decision", due, _basis("APL 第60条", f"{d} days from filing + approved extensions",
                                    f"自立案之日起{d}日内，另加批准的延长期限"),
         replace=True, ahead={k: v for k, v in period.items() if k == "dated_after_recording"})
    c["deadlines"]["decision"]["params_version"] = period["params_version"]


def _violation(c: dict[str, Any], code: str, basis: str | None, ctx: Context) -> None:
    v = c["violation"]
    v["code"] = code
    if basis:
        v["legal_basis"] = basis
    rule = ctx.fine_schedule.get(code)
    if rule is None:
        v["statutory_range_fen"] = None
        return
    # the range for the parties' kind when they are of one kind (RF15's, for a decision): a
    # band of the law for units is not an individual's (SH_SRHW 第28条: 200 元 against 50,000;
    # BJ_LJ 第67条: a unit's 1,000 元 at least, an individual's 50)
    kinds = {p["party_type"] for p in c["parties"] if p.get("party_type")}
    (kind,) = kinds if len(kinds) == 1 else (None,)
    v["statutory_range_fen"] = ([rule.min_fen, rule.max_fen] if kind is None
                                else [rule.min_fen_for(kind), rule.max_fen_for(kind)])


def _clue(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    officer_model.of_unit(c, c["unit_id"] or b["unit_id"])
    if b.get("violation_code") and not c["violation"]["code"]:
        _violation(c, b["violation_code"], None, ctx)


def _evidence(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
              ctx: Context) -> None:
    # the body's claim, and whether the signer is that device's own key (RF07, "Device-signed")
    device, signer = b["capture_device"]["device_id"], rec.signer.removeprefix("key:")
    claimed = bool(b["device_signed"])
    c["evidence"].append({"event_id": rec.event_id, "evidence_id": b["evidence_id"],
                          "kind": b["kind"], "content_sha256": b["content_sha256"],
                          "captured_at": b["captured_at"], "recorded_at": rec.recorded_at,
                          "device_id": device, "signer_key_id": signer,
                          "device_signed_claimed": claimed,
                          "device_signed_proven": claimed and ctx.device_of(signer) == device})


def _rectification(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                   ctx: Context) -> None:
    if rec.type == "RectificationOrdered":
        c["rectification"]["ordered"] += 1
        c["rectification"]["deadline"] = b["deadline"]
        _party(c, b["party_ref"])
    else:
        c["rectification"]["verified"] = b["result"]


def _party_only(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                ctx: Context) -> None:
    _party(c, b["party_ref"])


def _benchmark(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
               ctx: Context) -> None:
    c["benchmark"] = {"table_id": b["benchmark_table_id"], "tier": b["tier"],
                      "band_fen": [b["band"]["min_fen"], b["band"]["max_fen"]],
                      "event_id": rec.event_id}


def _deviation(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
               ctx: Context) -> None:
    c["deviation_approved"] = True


def _notice(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    _party(c, b["party_ref"])
    _violation(c, b["violation_code"], b["legal_basis"], ctx)
    c["amounts"]["proposed_fen"] = b["proposed_amount_fen"]
    c["notice"] = {"notice_no": b["notice_no"], "served_on": day.isoformat(),
                   "hearing_eligible": b["hearing_eligible"], "event_id": rec.event_id}
    n = ctx.params.hearing_request_window_working_days
    _due(c, "hearing_request", lambda: ctx.calendar.add_working_days(day, n),
         _basis("APL 第64条(一)", f"{n} working days after notice", f"告知后{n}个工作日内提出"),
         replace=True)


def _hearing(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
             ctx: Context) -> None:
    h = c["hearing"] = c["hearing"] or {"requested_on": None, "notified_on": None,
                                        "scheduled_for": None, "presider_id": None,
                                        "held_on": None, "outcome": None,
                                        "presider_is_investigator": None}
    if rec.type == "HearingRequested":
        h["requested_on"] = day.isoformat()
        _met(c, "hearing_request", day)
    elif rec.type == "HearingScheduled":
        h["scheduled_for"], h["presider_id"] = b["scheduled_for"], b["presider_id"]
        h["notified_on"] = day.isoformat()
    else:
        h["held_on"], h["presider_id"] = day.isoformat(), b["presider_id"]
        h["outcome"] = b["outcome"]
        investigators = {r["officer_id"] for r in b["investigators"]}
        h["presider_is_investigator"] = b["presider_id"] in investigators


def _waived(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    _party(c, b["party_ref"])
    c["rights_waived"] = b["rights"]


def _legal_review(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                  ctx: Context) -> None:
    c["legal_review"] = {"result": b["result"], "reviewer_id": b["reviewer_id"],
                         "reviewer_qualified": b["reviewer_qualified"], "on": day.isoformat(),
                         "event_id": rec.event_id}


def _collective(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                ctx: Context) -> None:
    c["collective_discussions"] += 1


def _extension(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
               ctx: Context) -> None:
    c["extensions"].append({"days": b["days"], "approved_by": b["approved_by"],
                            "approver_role": _role_at(ctx, b["approved_by"], rec.occurred_at),
                            "approval_form": b["approval_form"], "approved_on": day.isoformat(),
                            "approved_at": rec.occurred_at, "event_id": rec.event_id})
    if c["decision_period"] is not None:      # a general case filed
        _decision_deadline(c, ctx)


def recount_decision_extensions(state: dict[str, Any], approver: str, ctx: Context) -> bool:
    """Read again the post ``approver`` held at each decision-deadline extension of the case
    ``state`` they approved, and count the decision deadline again if a role changed; returns
    whether one did. RF12.b reads the post held at the approval, whenever its ``PostAssigned``
    was recorded: the fold calls this when one is recorded after extensions its officer
    approved (as :func:`recount_extensions` for a complaint's)."""
    if not _reread_roles(state["extensions"], approver, ctx):
        return False
    if state["decision_period"] is not None:
        _decision_deadline(state, ctx)
    return True


def _decided(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    p = b["party"]
    if c["decision"] is not None and c["decision"]["party_ref"] == p["party_ref"]:
        _keep_previous(c)                             # decided anew: the old one is history
    elif c["decision"] is not None:                   # another party's: both are in force
        _keep_co_party(c, p["party_ref"])
    if _after_closing(c, rec.occurred_at):            # reopened: the closing was the old one's
        closing = {k: c[k] for k in ("closed_on", "closed_at", "close_outcome")}
        # the decision just set aside: replaced, or another party's still in force
        aside = c["co_party_decisions" if c["decision"]["party_ref"] != p["party_ref"]
                  else "previous_decisions"]
        if aside:
            aside[-1].update(closing)
        c.update(dict.fromkeys(closing))
    _party(c, p["party_ref"], party_type=p["party_type"], org_name=p.get("org_name"))
    _violation(c, b["violation_code"], b["legal_basis"], ctx)
    a = c["amounts"]
    a["decided_fen"] = a["current_fen"] = b["amount_fen"]
    a["penalty_types"] = b["penalty_types"]
    c["decision"] = _decision(c, rec, b, day)
    if b["procedure"] == "general" and c["decision_period"] is None \
            and c.get("filing_period") is not None:
        c["decision_period"] = c["filing_period"]
        _decision_deadline(c, ctx)
    # the payment period the decision states (APL 第59条(四)), counted from its service as
    # RF06.e counts it, whatever a city publishes in between
    c["decision"]["payment_period"] = {"days": ctx.params.payment_deadline_days,
                                       "params_version": ctx.version}
    _met_by(c, "decision", rec, day, ctx)
    wd = ctx.calendar.add_working_days
    since, ahead = _opened_by(rec, day, ctx)
    if b["procedure"] == "summary":
        n = ctx.params.summary_decision_filing_working_days
        _due(c, "summary_filing", lambda: wd(since, n),
             _basis("MOHURD55 第14条", f"{n} working days", f"{n}个工作日内备案"), ahead=ahead)
        _due(c, "service", lambda: since,
             _basis("APL 第52条", "handed over on the spot", "当场交付"), ahead=ahead)
    else:
        n7 = ctx.params.service_deadline_working_days_if_absent
        _due(c, "service", lambda: wd(since, n7),
             _basis("APL 第61条", f"{n7} working days if absent",
                    f"当事人不在场的，{n7}个工作日内送达"), ahead=ahead)
        n = ctx.params.publication_deadline_working_days
        _due(c, "publication", lambda: wd(since, n),
             _basis("GBF2018_118", f"{n} working days", f"{n}个工作日内公示"), ahead=ahead)
    _voided_before(c, c["decision"], day)
    _apply_held(c, c["decision"], rec.occurred_at, ctx)


def _decision(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date
              ) -> dict[str, Any]:
    # unit_id: the unit holding the case when the decision was recorded, whose fine RF24 counts
    # it as (facts.Decision.unit), and the unit overview's bars with it
    return {"decision_no": b["decision_no"], "procedure": b["procedure"], "unit_id": c["unit_id"],
            "party_ref": b["party"]["party_ref"],
            "decided_on": day.isoformat(), "decided_at": rec.occurred_at,
            "decided_by": b["decided_by"],
            "form_no": b.get("form_no"), "payment_method": b.get("payment_method"),
            "status": "in_force", "served_on": None, "served_at": None,
            "event_id": rec.event_id}


def _keep_earlier(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                  ctx: Context) -> None:
    """A decision dated before the one in force and recorded after it: one that a later
    decision replaced, kept in ``previous_decisions`` in the order decided with the changes
    recorded for it; the decision in force, its amounts and deadlines stay."""
    earlier = {**_decision(c, rec, b, day), "decided_fen": b["amount_fen"],
               "current_fen": b["amount_fen"], "penalty_types": b["penalty_types"],
               "surcharge_fen": 0, "amendments": [], "withdrawal": None, "deadlines": {}}
    c["previous_decisions"].append(earlier)
    c["previous_decisions"].sort(key=lambda d: d["decided_on"])
    _met_by(c, "decision", rec, day, ctx)        # the case was decided then (RF12.a)
    _voided_before(c, earlier, day)
    _apply_held(c, earlier, rec.occurred_at, ctx)


#: obligations a decision opens, cancelled by its withdrawal; a decision made anew opens its own
_OBLIGATIONS = ("service", "publication", "payment")
_OWN_DEADLINES = _OBLIGATIONS + ("summary_filing",)


def _keep_previous(c: dict[str, Any]) -> None:
    """Move the decision a new one replaces into ``previous_decisions`` with its amounts,
    changes and obligations, so that the new decision opens its own."""
    c["previous_decisions"].append(_set_aside(c, _OWN_DEADLINES))


def _keep_co_party(c: dict[str, Any], party_ref: str) -> None:
    """Another party's decision (共同违法, ``party_ref``) is made beside the one in force: that
    one goes on in ``co_party_decisions`` with its amounts, changes, obligations (the
    publication's withdrawal too), publication and instalments, and the new decision, shown as
    ``decision``, opens its own. An entry of ``party_ref`` there is a decision the new one
    makes anew: it goes to ``previous_decisions``."""
    co = c["co_party_decisions"]
    for d in [d for d in co if d["party_ref"] == party_ref]:
        co.remove(d)
        c["previous_decisions"].append(d)
    co.append({**_set_aside(c, _OWN_DEADLINES + ("publication_withdrawal",)),
               "published": c["published"], "instalments": c["money"]["instalments"]})
    c["published"], c["money"]["instalments"] = False, None


def _set_aside(c: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The entry of ``decision`` with its amounts, changes and the deadlines ``names`` (taken
    from the case's), the case's amounts cleared for the decision that follows."""
    a = c["amounts"]
    entry = {
        **c["decision"], "decided_fen": a["decided_fen"], "current_fen": a["current_fen"],
        "penalty_types": a["penalty_types"], "surcharge_fen": a["surcharge_fen"],
        "amendments": a["amendments"], "withdrawal": c["withdrawal"],
        "deadlines": {n: c["deadlines"].pop(n) for n in names if n in c["deadlines"]}}
    for n in names:
        c["met_before_due"].pop(n, None)
    a["amendments"], a["surcharge_fen"], c["withdrawal"] = [], 0, None
    return entry


def _apply_held(c: dict[str, Any], decision: dict[str, Any], decided_at: str,
                ctx: Context) -> None:
    """The changes of ``decision`` recorded before it: applied in the order they occurred when
    dated at or after it (only recorded early), never when dated before it."""
    decision_no = decision["decision_no"]
    held = [h for h in c["held_changes"] if h["body"]["decision_no"] == decision_no]
    for h in sorted(held, key=lambda h: parse_datetime(h["occurred_at"])):
        c["held_changes"].remove(h)
        entry = next(o for o in c["out_of_order"] if o["event_id"] == h["event_id"])
        if parse_datetime(h["occurred_at"]) < parse_datetime(decided_at):
            entry["why"] = f"dated before decision {decision_no}"
        elif decision["status"] == "withdrawn":
            entry["why"] = f"decision {decision_no} was withdrawn"
        elif decision["status"] == "voided":
            entry["why"] = f"the form of decision {decision_no} was voided"
        else:
            entry["why"] = f"recorded before decision {decision_no}"
            day = legal_date(h["occurred_at"], offset_minutes=ctx.offset_minutes)
            _change(c, decision, h["event_id"], h["type"], h["body"], day, ctx,
                    opened=_opened(h["event_id"], h["occurred_at"], h["recorded_at"], day, ctx))
            summary = c["procedure"] == "summary"
            if h["type"] == "PenaltyWithdrawn" and decision is c["decision"] \
                    and not _others_in_force(c, decision_no) \
                    and _rank(summary, "NOT_PENALISED") > _rank(summary, c["state"]):
                c["state"] = "NOT_PENALISED"


def _not_penalised(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                   ctx: Context) -> None:
    if b.get("party_ref"):
        _party(c, b["party_ref"])
    if b.get("violation_code"):
        _violation(c, b["violation_code"], None, ctx)
    c["outcome"] = {"type": rec.type, "on": day.isoformat(),
                    "basis": b.get("basis") or b.get("ground"), "event_id": rec.event_id}
    if b.get("waiver") != "mitigated":      # as RF12.a: the lighter decision follows a mitigation
        _met_by(c, "decision", rec, day, ctx)


def _transferred(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                 ctx: Context) -> None:
    c["outcome"] = {"type": rec.type, "on": day.isoformat(), "basis": b["to_authority"],
                    "event_id": rec.event_id}
    _met_by(c, "decision", rec, day, ctx)


def _served(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    _party(c, b["party_ref"])
    if c["decision"] is not None:
        c["decision"]["served_on"] = day.isoformat()
        _served_at(c["decision"], rec.occurred_at)
    _met_by(c, "service", rec, day, ctx)
    if (c["amounts"]["current_fen"] or 0) > 0:
        _payment_due(c, c["decision"]["payment_period"], rec, day, ctx)


def _payment_due(owner: dict[str, Any], period: dict[str, Any], rec: Recorded, day: date,
                 ctx: Context) -> None:
    """Open the payment deadline of a decision served by ``rec``: on the case (``owner``) for
    ``decision``, on its entry for another party's; ``period``: the decision's."""
    since, ahead = _opened_by(rec, day, ctx)
    d = period["days"]
    _due(owner, "payment", lambda: ctx.calendar.add_calendar_days(since, d),
         _basis("APL 第67条第3款", f"{d} days from receipt",
                f"自收到行政处罚决定书之日起{d}日内"), ahead=ahead)
    owner["deadlines"]["payment"]["params_version"] = period["params_version"]


def _step_of_co_party(c: dict[str, Any], d: dict[str, Any], rec: Recorded, day: date,
                      ctx: Context) -> None:
    """Service, filing or publication of another party's decision in force (its entry ``d``
    in ``co_party_decisions``): it meets that decision's deadline, as the case's steps meet
    ``decision``'s, and its service opens the decision's payment deadline. It is expected
    wherever the case is; a service finding the case decided and unserved moves it on, as a
    party served (the case's one lifecycle)."""
    _met_by(d, _STEPS_OF_A_DECISION[rec.type], rec, day, ctx)
    if rec.type == "DecisionServed":
        served = (SUMMARY if c["procedure"] == "summary" else GENERAL)["DecisionServed"]
        c["state"] = served.get(c["state"]) or c["state"]
        d["served_on"] = day.isoformat()
        _served_at(d, rec.occurred_at)
        if d["current_fen"] > 0:
            _payment_due(d, d["payment_period"], rec, day, ctx)
    elif rec.type == "DecisionPublished":
        d["published"] = True


def _served_at(decision: dict[str, Any], at: str) -> None:
    """Keep the instant ``decision`` was first served: a form voided later changes nothing."""
    if decision["served_at"] is None or ts_of(at) < ts_of(decision["served_at"]):
        decision["served_at"] = at


def _summary_filed(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                   ctx: Context) -> None:
    c["summary_filed_on"] = day.isoformat()
    _met(c, "summary_filing", day)


def _published(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
               ctx: Context) -> None:
    if rec.type == "DecisionPublished":
        c["published"] = True
        _met_by(c, "publication", rec, day, ctx)
        return
    d, _ = _named(c, b["decision_no"])
    owner = d if _co_party(c, d) else c     # another party's publication, or the case's
    owner["published"] = False
    _met(owner, "publication_withdrawal", day)


def _changed(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    d, _ = _named(c, b["decision_no"])
    if d is None:                 # its decision may be recorded later (see _apply_held)
        c["held_changes"].append({"event_id": rec.event_id, "type": rec.type,
                                  "occurred_at": rec.occurred_at,
                                  "recorded_at": rec.recorded_at, "body": b})
    elif d["status"] not in ("withdrawn", "voided"):
        _change(c, d, rec.event_id, rec.type, b, day, ctx,
                opened=_opened_by(rec, day, ctx))


def _change(c: dict[str, Any], decision: dict[str, Any], event_id: str, kind: str,
            b: dict[str, Any], day: date, ctx: Context, *,
            opened: tuple[date, dict[str, Any]]) -> None:
    """Amend or withdraw ``decision``: the one in force, or one a later decision replaced (then
    only its entry in ``previous_decisions`` changes). ``opened``: :func:`_opened` of the
    change, the day the publication's withdrawal is counted from."""
    in_force = decision is c["decision"]
    a = c["amounts"] if in_force else decision
    # whose obligations are its own: the case's for ``decision``, its entry's for another
    # party's in force; a replaced decision owes nothing more
    owner = c if in_force else decision if _co_party(c, decision) else None
    approved = bool(b.get("approval_id") and b.get("approved_by"))
    if kind == "PenaltyAmended":
        a["amendments"].append({"event_id": event_id, "previous_fen": b["previous_amount_fen"],
                                "amount_fen": b["amount_fen"], "approved": approved})
        a["current_fen"] = b["amount_fen"]
        a["penalty_types"] = b["penalty_types"]
        decision["status"] = "amended"
    else:
        a["current_fen"] = 0
        decision["status"] = "withdrawn"
        (c if in_force else decision)["withdrawal"] = {"event_id": event_id, "approved": approved,
                                                       "reason": b["reason"]}
        for name in _OBLIGATIONS if owner is not None else ():  # of a decision gone
            d = owner["deadlines"].get(name)
            if d is not None and d["met_on"] is None:
                d["cancelled_on"] = day.isoformat()
    if owner is not None and owner["published"]:
        n = ctx.params.publication_withdraw_working_days
        since, ahead = opened
        _due(owner, "publication_withdrawal", lambda: ctx.calendar.add_working_days(since, n),
             _basis("MOHURD55 第10条", f"withdraw within {n} working days",
                    f"{n}个工作日内撤下"), ahead=ahead)


def _voided(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    entry = {"form_no": b["form_no"], "voided_at": rec.occurred_at, "event_id": rec.event_id,
             "ended": None}
    c["voided_forms"].append(entry)
    for d in [c["decision"], *c["co_party_decisions"], *c["previous_decisions"]]:
        if d is not None and d["form_no"] == b["form_no"]:
            _void(c, d, entry, day)


def _voided_before(c: dict[str, Any], decision: dict[str, Any], day: date) -> None:
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
    cancelled = [name for name in _OWN_DEADLINES if name in deadlines
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


def _served_before_void(c: dict[str, Any], rec: Recorded, b: dict[str, Any]) -> None:
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
        d = next((d for d in [c["decision"], *c["co_party_decisions"], *c["previous_decisions"]]
                  if d is not None and d["decision_no"] == b["decision_no"]
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


def voided_decisions(case: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The decisions of ``case`` whose form was voided before they were served (:func:`_void`),
    by their event id, with the instant of the void that ended each (``voided_at``): what the
    officers' pages and the public record count as no decision (readmodels.Fold). Without a
    void recorded, none (read on every event of a case)."""
    if case is None or not case["voided_forms"]:
        return {}
    ended = {v["ended"]: v["voided_at"] for v in case["voided_forms"] if v["ended"]}
    return {d["event_id"]: {**d, "voided_at": ended.get(d["decision_no"])}
            for d in [case["decision"], *case["co_party_decisions"], *case["previous_decisions"]]
            if d is not None and d["status"] == "voided"}


def _closed(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    # the closing of the decision in force, as RF06 judges it (facts.Case.closing_of): the
    # first, in world time, made while it was in force (one made before it is a replaced
    # decision's, _replaced); a second one changes nothing, and one after a decision made
    # anew (the case reopened, _decided) closes the case again. A closing names no decision:
    # it closes the case, and each other party's decision in force then (as RF06 reads it)
    _close(c, rec, b, day)
    for d in c["co_party_decisions"]:
        if _money_owner(c, d)(rec.occurred_at, d["decision_no"]):
            _close(d, rec, b, day)


def _close(shown: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date) -> None:
    """Show the closing ``rec`` on ``shown`` (the case, or a replaced decision) unless it
    shows one made earlier, in world time."""
    if shown.get("closed_at") is not None and ts_of(shown["closed_at"]) <= ts_of(rec.occurred_at):
        return
    shown.update(closed_on=day.isoformat(), closed_at=rec.occurred_at, close_outcome=b["outcome"])


def _archived(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
              ctx: Context) -> None:
    c["archived_on"] = day.isoformat()


def _payment(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    c["money"]["payments"].append({"event_id": rec.event_id, "payment_id": b["payment_id"],
                                   "decision_no": b["decision_no"],
                                   "channel": b["channel"], "amount_fen": b["amount_fen"],
                                   "on": day.isoformat(), "occurred_at": rec.occurred_at})


def _cash(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    cash = c["money"]["cash"]
    wd, p = ctx.calendar.add_working_days, ctx.params
    if rec.type == "OnsiteCashCollected":
        _party(c, b["party_ref"])
        cash["collected_fen"] += b["amount_fen"]
        cash["receipts"].append(b.get("receipt_no"))
        cash["collections"].append({"event_id": rec.event_id, "amount_fen": b["amount_fen"],
                                    "occurred_at": rec.occurred_at,
                                    "receipt_no": b.get("receipt_no"),
                                    "decision_no": b["decision_no"]})
        cash["justification"] = b["justification"]
        since, ahead = _opened_by(rec, day, ctx)
        n = p.onsite_cash_to_agency_working_days
        _due(c, "cash_to_agency", lambda: wd(since, n),
             _basis("APL 第71条", f"{n} working days", f"{n}个工作日内交至行政机关"), ahead=ahead)
    elif rec.type == "OnsiteCashRemitted":
        cash["remitted_fen"] += b["amount_fen"]
        _met(c, "cash_to_agency", day)
        since, ahead = _opened_by(rec, day, ctx)
        n = p.agency_to_bank_working_days
        _due(c, "agency_to_bank", lambda: wd(since, n),
             _basis("APL 第71条", f"{n} working days", f"{n}个工作日内缴付指定银行"), ahead=ahead)
    else:
        cash["deposited_fen"] += b["amount_fen"]
        _met(c, "agency_to_bank", day)


def _reconciled(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                ctx: Context) -> None:
    c["money"]["reconciliation"].update({"reconciled_fen": b["amount_fen"], "result": b["result"],
                                         "on": day.isoformat(), "event_id": rec.event_id})


def _surcharge(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
               ctx: Context) -> None:
    # each assessment states the total; of the decision it names, or the case's (``decision``)
    d = _money_of_named(c, b)
    (c["amounts"] if d is None else d)["surcharge_fen"] = b["surcharge_fen"]


def _money_of_named(c: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
    """The entry of another party's decision in force (``co_party_decisions``) a surcharge or
    a plan names (``decision_no``), as RF06 reads it; None for the case's (``decision``'s):
    when it names that one, a replaced one, a number the case lacks or none (read as before
    the field)."""
    no = b.get("decision_no")
    if no is None or not c["co_party_decisions"]:
        return None
    d, _ = _named(c, no)
    return d if _co_party(c, d) else None


def _instalments(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                 ctx: Context) -> None:
    # counted as RF06 counts it (time_rules._plan); a plan not counted leaves the deadline.
    # The plan of the decision it names: another party's decision's own (its entry), or
    # ``decision``'s (the case's)
    d = _money_of_named(c, b)
    owner, plans = (c, c["money"]) if d is None else (d, d)
    in_force = (owner["deadlines"].get("payment") or {}).get("due")
    why = plan_refused(b["party_applied"], b["approved_by"], c["investigators"],
                       in_force if in_force is not None and day.isoformat() > in_force else None)
    plans["instalments"] = {"kind": b["kind"], "schedule": b["schedule"],
                            "event_id": rec.event_id, "counted": why is None, "why": why}
    if why is None:
        last = max(date.fromisoformat(i["due_date"]) for i in b["schedule"])
        _due(owner, "payment", lambda: last,
             _basis("APL 第66条", "approved deferral/instalments", "经批准暂缓或者分期缴纳"),
             replace=True)


def _property(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
              ctx: Context) -> None:
    t = rec.type
    if t in ("PropertySeized", "PreservationOrdered"):
        pid = b.get("seizure_id") or b["preservation_id"]
        measure = b.get("measure", "registration_preservation")
        c["property"][pid] = {"measure": measure, "items": len(b["items"]), "on": day.isoformat(),
                              "inventory_signed": False, "returned": 0, "disposed": 0}
        if measure == "registration_preservation":
            n = ctx.params.preservation_decision_working_days
            since, ahead = _opened_by(rec, day, ctx)
            _due(c, f"preservation:{pid}", lambda: ctx.calendar.add_working_days(since, n),
                 _basis("APL 第56条", f"decision within {n} working days",
                        f"{n}个工作日内作出处理决定"), ahead=ahead)
        return
    entry = c["property"].setdefault(b["seizure_id"], {
        "measure": None, "items": None, "on": None, "inventory_signed": False, "returned": 0,
        "disposed": 0})
    if t == "PropertyInventorySigned":
        entry["inventory_signed"] = True
    else:
        entry["returned" if t == "PropertyReturned" else "disposed"] += len(b["item_ids"])
        _met(c, f"preservation:{b['seizure_id']}", day)


_FACTS: dict[str, Fact] = {
    "ClueRegistered": _clue, "CaseFiled": _filed, "EvidenceRecorded": _evidence,
    "RectificationOrdered": _rectification, "RectificationVerified": _rectification,
    "WarningIssued": _party_only, "StatementReceived": _party_only,
    "HearingRequested": _hearing, "HearingScheduled": _hearing, "HearingHeld": _hearing,
    "BenchmarkApplied": _benchmark, "DeviationApproved": _deviation,
    "PenaltyNoticeServed": _notice, "RightsWaived": _waived,
    "LegalReviewCompleted": _legal_review, "CollectiveDiscussionHeld": _collective,
    "ExtensionApproved": _extension, "PenaltyDecided": _decided,
    "NoPenaltyDecided": _not_penalised, "WaiverGranted": _not_penalised,
    "TransferredToJudiciary": _transferred, "DecisionServed": _served,
    "SummaryDecisionFiled": _summary_filed, "DecisionPublished": _published,
    "DecisionPublicationWithdrawn": _published, "PenaltyAmended": _changed,
    "PenaltyWithdrawn": _changed, "DecisionFormVoided": _voided, "CaseClosed": _closed,
    "CaseArchived": _archived, "PaymentRecorded": _payment, "OnsiteCashCollected": _cash,
    "OnsiteCashRemitted": _cash, "AgencyDeposited": _cash, "TreasuryReconciled": _reconciled,
    "SurchargeAssessed": _surcharge, "InstalmentApproved": _instalments,
    "PropertySeized": _property, "PreservationOrdered": _property,
    "PropertyInventorySigned": _property, "PropertyReturned": _property,
    "PropertyDisposed": _property,
}


def _refresh_money(c: dict[str, Any], day: date, ctx: Context) -> None:
    """Totals, outstanding amount, reconciliation status and the summary money stage."""
    m, a = c["money"], c["amounts"]
    was_paid = bool(m["reconciliation"]["expected_fen"]) and m["outstanding_fen"] == 0
    m["paid_fen"], m["received_fen"] = _received(c, c["decision"])
    for d in c["previous_decisions"]:     # a payment on a decision withdrawn stays with it
        d["received_fen"] = _received(c, d)[1]
    for d in c["co_party_decisions"]:     # another party's decision in force: its own money
        d["received_fen"] = _received(c, d)[1]
        owed = d["current_fen"] + (d["surcharge_fen"] if d["current_fen"] else 0)
        d["outstanding_fen"] = max(0, owed - d["received_fen"])
        payment = d["deadlines"].get("payment")
        if owed and not d["outstanding_fen"] and payment is not None \
                and payment["met_on"] is None:
            _met(d, "payment", day)
    expected = (a["current_fen"] or 0) + (a["surcharge_fen"] if a["current_fen"] else 0)
    m["outstanding_fen"] = max(0, expected - m["received_fen"])
    # met on the day of the event that paid the fine in full (or of the one that opened the
    # deadline on a fine already paid), not again on every later one: a step recorded after the
    # payment but dated before it (back-dated evidence, RF08.b) would move the day back
    payment = c["deadlines"].get("payment")
    unmet = payment is not None and payment["met_on"] is None
    if expected and m["received_fen"] >= expected and (not was_paid or unmet):
        _met(c, "payment", day)
    r = m["reconciliation"]
    r["expected_fen"] = expected
    if r["reconciled_fen"] is None:
        r["status"] = "pending" if expected else "not_applicable"
    else:
        matched = r.get("result") == "matched" and r["reconciled_fen"] == expected
        r["status"] = "reconciled" if matched else "mismatch"
    if c.pop("state_pending_money", False):
        c["state"] = _summary_money_state(c)


def _received(c: dict[str, Any], decision: dict[str, Any] | None) -> tuple[int, int]:
    """(paid through the bank, received in all) for ``decision`` (all the case's money before
    any decision): bank/e-payments plus on-the-spot cash, a ``PaymentRecorded`` for the same
    cash not counted twice."""
    m = c["money"]
    payments, collections = m["payments"], m["cash"]["collections"]
    if not payments and not collections:
        return 0, 0                     # every step of a case before its money: nothing to sum
    owns = _money_owner(c, decision)
    payments = [p for p in payments if owns(p["occurred_at"], p["decision_no"])]
    paid = sum(p["amount_fen"] for p in payments if p["channel"] != "onsite_cash_with_receipt")
    cash_paid = max(sum(x["amount_fen"] for x in collections
                        if owns(x["occurred_at"], x["decision_no"])),
                    sum(p["amount_fen"] for p in payments
                        if p["channel"] == "onsite_cash_with_receipt"))
    return paid, paid + cash_paid


def _money_owner(c: dict[str, Any], decision: dict[str, Any] | None
                 ) -> Callable[[str, str], bool]:
    """Whether money received at an instant naming a decision number is ``decision``'s, as RF06
    reads it (:meth:`~.redflags.facts.Case.owns_money`): received from it up to the next
    decision in world time, among the decisions of the party decided under that number — a
    co-party's decision (共同违法) replaces nothing — or among all the case's when it has none
    of that number (before the first of them: the first's). A decision whose form was voided
    (_void) is none, as the flags read it. The decisions' instants are parsed once for all the
    case's money (it is summed again on every step of the case)."""
    every = [(d["party_ref"], d["decision_no"], parse_datetime(d["decided_at"]))
             for d in c["previous_decisions"] + c["co_party_decisions"] + [c["decision"]]
             if d is not None and d["status"] != "voided"]
    if decision is None or not every:
        return lambda at, no: True
    if decision["status"] == "voided":
        return lambda at, no: False
    decided = parse_datetime(decision["decided_at"])
    instants = [t for _, _, t in every]

    def owns(at: str, no: str) -> bool:
        parties = {p for p, n, _ in every if n == no}
        if not parties:
            return money_of(decided, instants, parse_datetime(at))
        if decision["party_ref"] not in parties:
            return False
        return money_of(decided, [t for p, _, t in every if p in parties], parse_datetime(at))
    return owns


# --- complaints -------------------------------------------------------------------------------

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
        _out_of_order(state, rec, list(expected))
    cal = ctx.calendar
    if rec.type == "ComplaintReceived":
        state.update(category=b["category"], channel=b["channel"],
                     unit_id=b["unit_id"], accused_officers=b["accused_officers"],
                     case_id=b.get("case_id"), received_on=day.isoformat())
        if state["state"] == "NEW":          # never back: handling may be recorded first
            state["state"] = "RECEIVED"
        if state["handler"] is not None:
            state["handler_is_accused"] = state["handler"] in state["accused_officers"]
        since, ahead = _opened_by(rec, day, ctx)
        state["counted_from"]["received"] = {"on": since.isoformat(), **ahead}
        d = p.complaint_ack_days
        _due(state, "acknowledge", lambda: cal.add_calendar_days(since, d),
             _basis("XFGZ 第22/23条", f"{d} days", f"{d}日内告知是否受理"), ahead=ahead)
        _complaint_close_due(state, ctx, replace=False)
    elif rec.type == "ComplaintAcknowledged":
        if state["state"] in ("NEW", "RECEIVED"):
            state["state"] = "ACKNOWLEDGED"
        state["acknowledgements"].append({"method": b["method"], "on": day.isoformat(),
                                          "written": b["method"] in WRITTEN_ACKS})
        if b["method"] in WRITTEN_ACKS:        # as RF23.a: 书面告知, a phone call meets nothing
            _met(state, "acknowledge", day)
        if b["accepted"] and (state["accepted_on"] is None
                              or day.isoformat() < state["accepted_on"]):
            state["accepted_on"] = day.isoformat()
        if b["accepted"]:                      # as RF23.b: the earliest day counted from
            since, ahead = _opened_by(rec, day, ctx)
            first = state["counted_from"]["accepted"]
            if first is None or since.isoformat() < first["on"]:
                state["counted_from"]["accepted"] = {"on": since.isoformat(), **ahead}
                _complaint_close_due(state, ctx, replace=True)
    elif rec.type == "ComplaintExtended":
        state["extensions"].append({"days": b["days"], "approved_by": b["approved_by"],
                                    "approver_role": _role_at(ctx, b["approved_by"],
                                                              rec.occurred_at),
                                    "approved_on": day.isoformat(),
                                    "approved_at": rec.occurred_at, "event_id": rec.event_id,
                                    "counted": None, "why": None})
        _complaint_close_due(state, ctx, replace=True)
    elif rec.type == "ComplaintClosed":
        state.update(state="CLOSED", handler=b["handler"], outcome=b["outcome"],
                     handler_is_accused=b["handler"] in state["accused_officers"])
        _met(state, "close", day)
    _versions(state, ctx)
    return state


def recount_extensions(state: dict[str, Any], approver: str, ctx: Context) -> bool:
    """Read again the post ``approver`` held at each extension of the complaint ``state`` they
    approved, from ``ctx.officer`` (the officer view as far as the log is folded), and count the
    closing deadline again if a role changed; returns whether one did. XFGZ 第34条 asks for the
    post held on the approval, whenever its ``PostAssigned`` was recorded: the fold calls this
    when one is recorded after extensions its officer approved, as RF23.b reads every post
    recorded. The deadline is counted with the configuration it names (``params_version``)."""
    changed = _reread_roles(state["extensions"], approver, ctx)
    if changed:
        _complaint_close_due(state, ctx, replace=True)
        _versions(state, ctx)
    return changed


def _role_at(ctx: Context, officer_id: str, at: str) -> str:
    """The role of the post ``officer_id`` held at instant ``at`` (``unknown`` without one),
    as ``ctx.officer`` knows them."""
    post = officer_model.post_at(ctx.officer(officer_id), at)
    return post["role"] if post else "unknown"


def _reread_roles(extensions: list[dict[str, Any]], approver: str, ctx: Context) -> bool:
    """Set ``approver_role`` of each of ``extensions`` ``approver`` approved anew; returns
    whether one changed."""
    changed = False
    for e in extensions:
        if e["approved_by"] == approver:
            role = _role_at(ctx, approver, e["approved_at"])
            changed |= role != e["approver_role"]
            e["approver_role"] = role
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
    _due(state, "close", due, _basis("XFGZ 第34条", f"{d} days + approved extension",
                                     f"{d}日内办结，另加批准的延长期限"), replace=replace,
         ahead={k: v for k, v in start.items() if k == "dated_after_recording"})
