"""A case's lifecycle: the two state machines of red_flags.yaml ``case_lifecycle`` (general
and summary procedure), how an event moves a case along them (:func:`advance`), and which of a
case's decisions a change names (:func:`named_decision`; with several parties, each party's
decision in force: :func:`party_decision`, ``co_party_decisions``).

Out of order (DESIGN.md principle 1): an event the lifecycle does not expect in the current
state is noted in ``out_of_order`` — never refused, never dropped. A milestone event still
moves the case, but only forward: the state never goes back.

With several parties (共同违法: :func:`several`) each party's decision in force has its own
``state`` on the same machine, moved by the steps naming it, and the case is as far as the least
advanced of them (:func:`settle`): it is not executed, closed or under enforcement while one
party's decision is not. In the summary procedure that state is the decision's own money stage
(money_model.py, ``_summary_stage``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.envelope import Recorded

from .fold_context import Context, note_out_of_order
from .redflags.days import ts_of

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
DECIDED_ON = ("DECIDED", "SERVED", "EXECUTING", "ENFORCEMENT_APPLIED")
_AFTER_DECISION = DECIDED_ON + ("EXECUTED", "NOT_PENALISED", "CLOSED", "ARCHIVED")


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
    "PenaltyAmended": _stay(*DECIDED_ON),
    "PenaltyWithdrawn": dict.fromkeys(DECIDED_ON, "NOT_PENALISED"),
    "CaseClosed": dict.fromkeys(("EXECUTED", "NOT_PENALISED", "TRANSFERRED",
                                 "ENFORCEMENT_APPLIED"), "CLOSED"),
    "CaseArchived": {"CLOSED": "ARCHIVED"},
}

_SCENE_ON = ("ON_SCENE", "DECIDED_ON_SPOT", "DELIVERED", "COLLECTED_ON_SPOT",
             "BANK_PAYMENT_PENDING", "REMITTED", "DEPOSITED", "PAID", "FILED_WITH_AGENCY")
SUMMARY_DECIDED = _SCENE_ON[1:]
SUMMARY_DELIVERED = _SCENE_ON[2:8]
#: the states of a delivered summary decision that its money decides (money_model.py)
MONEY_STAGES = SUMMARY_DELIVERED + ("FILED_WITH_AGENCY",)

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
    "SummaryDecisionFiled": dict.fromkeys(SUMMARY_DELIVERED, "FILED_WITH_AGENCY"),
    "TreasuryReconciled": _stay("DEPOSITED", "PAID", "FILED_WITH_AGENCY"),
    "DecisionPublished": _stay(*SUMMARY_DECIDED, "CLOSED", "ARCHIVED"),
    "DecisionPublicationWithdrawn": _stay(*SUMMARY_DECIDED, "NOT_PENALISED", "CLOSED",
                                          "ARCHIVED"),
    "PenaltyAmended": _stay(*SUMMARY_DECIDED),
    "PenaltyWithdrawn": dict.fromkeys(SUMMARY_DECIDED, "NOT_PENALISED"),
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


def advance(case: dict[str, Any], rec: Recorded, body: dict[str, Any], day: date,
            ctx: Context) -> None:
    if rec.type in ("CaseFiled", "PenaltyDecided") and case["procedure"] is None:
        case["procedure"] = body["procedure"]
    if rec.type in PARALLEL or _of_replaced(case, rec, body):
        return
    if spared_party(rec, body) is not None:
        _spare(case, rec, body, day, ctx)
        return
    d = case["decision"]
    if rec.type == "PenaltyDecided" and d is not None and "state" not in d \
            and d["party_ref"] != body["party"]["party_ref"]:
        d["state"] = case["state"]     # the first party's own, beside the next party's decision
    if several(case) and rec.type != "PenaltyDecided" and not _spares_one(rec, body) \
            and rec.type in machine(case):
        _advance_parties(case, rec, body, day, ctx)
    else:
        _advance(case, rec, body, day, ctx)


def _advance(case: dict[str, Any], rec: Recorded, body: dict[str, Any], day: date,
             ctx: Context) -> None:
    """Move the case (with several parties, the decision whose state ``case["state"]`` holds
    meanwhile: :func:`advance_own`) along its machine by ``rec``."""
    summary = case["procedure"] == "summary"
    table = machine(case).get(rec.type)
    if table is None:                                  # no such step in this procedure
        note_out_of_order(case, rec, [])
        return
    if _spares_one(rec, body):
        table = _spared(case, body, table, summary)
    current = case["state"]
    if rec.type in CHANGES:
        why = named_decision(case, body["decision_no"])[1]
        if why is not None:                            # not a change of the decision in force
            note_out_of_order(case, rec, _expected(table, summary), why)
            return
    # a decision made after the case's closing (复议, 诉讼: revoked and made anew) reopens it,
    # as RF06 judges it: the closing is the replaced decision's (facts.Case.closing_of)
    reopened = rec.type == "PenaltyDecided" and current in TERMINAL \
        and after_closing(case, rec.occurred_at)
    if rec.type == "PenaltyDecided" and (current not in TERMINAL or reopened) \
            and (case["decision"] or {}).get("status") == "withdrawn":
        # a withdrawal (撤销) reopens the decision: the case is decided anew (重新作出), from
        # NOT_PENALISED or wherever the withdrawal found it (EXECUTED: paid and reconciled)
        current = case["state"] = "ON_SCENE" if summary else "DECIDING"
    decided = current in (SUMMARY_DECIDED if summary else DECIDED_ON)
    party = body["party"]["party_ref"] if rec.type == "PenaltyDecided" else None
    # expected too once the case is executed: the party's decision is yet to be carried out
    if party is not None and (decided or current == "EXECUTED") and case["decision"] is not None \
            and case["decision"]["party_ref"] != party \
            and not stands(party_decision(case, party)):
        return             # another party's decision beside the one in force: the case goes on
    if current == "NOTIFIED" and "NOTIFIED" not in table and "DECIDING" in table:
        until = (case["deadlines"].get("hearing_request") or {}).get("due")
        if until is not None and day.isoformat() > until:
            current = case["state"] = "DECIDING"      # the request window elapsed (APL 第64条)
    target = _target(table, current, summary)
    if current not in table:
        note_out_of_order(case, rec, _expected(table, summary))
        if reopened:                                   # a decision made anew is open
            target = table["ON_SCENE" if summary else "DECIDING"]
    if rec.type == "PenaltyWithdrawn" and others_in_force(case, body["decision_no"]):
        target = None      # another party's decision stands: the case is still penalised
    if target is not None:
        case["state"] = target
    if summary and case["state"] in MONEY_STAGES \
            and rec.type not in ("DecisionServed", "PenaltyWithdrawn"):
        case["state_pending_money"] = True  # refreshed after the money is folded


#: steps of the decision they name (``decision_no``; a surcharge or a plan naming none is
#: ``decision``'s): with several parties they move that decision's own state
_OWN_STEPS = frozenset({"DecisionServed", "DecisionPublished", "DecisionPublicationWithdrawn",
                        "PaymentRecorded", "OnsiteCashCollected", "SurchargeAssessed",
                        "InstalmentApproved", "PenaltyAmended", "PenaltyWithdrawn",
                        "SummaryDecisionFiled"})


def machine(case: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    """The state machine of the case's procedure."""
    return SUMMARY if case["procedure"] == "summary" else GENERAL


def several(case: dict[str, Any]) -> bool:
    """Whether the case's state is its parties' decisions' (:func:`settle`): another party's
    decision is beside ``decision``."""
    return bool(case["co_party_decisions"])


def own_state(d: dict[str, Any]) -> str:
    """The state of a party's decision in force (:func:`several`): its ``state``, but
    NOT_PENALISED once it is withdrawn and undecided (DECIDING, ON_SCENE: its party to be
    decided again) once its form is voided, until a closing ends it."""
    if d["state"] in TERMINAL:
        return d["state"]
    undecided = "ON_SCENE" if d["procedure"] == "summary" else "DECIDING"
    return {"withdrawn": "NOT_PENALISED", "voided": undecided}.get(d["status"], d["state"])


def settle(case: dict[str, Any]) -> None:
    """With several parties (:func:`several`), the case's state: its least advanced party's
    decision's (:func:`own_state`; of an executed and a withdrawn one, EXECUTED, of one filed
    with the agency and a withdrawn one, FILED_WITH_AGENCY — a penalty stands; of two stages
    of one rank, such as PAID and DEPOSITED, the first by name, whichever is ``decision``)."""
    summary = case["procedure"] == "summary"
    case["state"] = min((own_state(d) for d in in_force(case)),
                        key=lambda s: (rank(summary, s), s == "NOT_PENALISED", s))


def in_force(case: dict[str, Any]) -> list[dict[str, Any]]:
    """``decision`` and each other party's decision in force (``co_party_decisions``)."""
    return [case["decision"], *case["co_party_decisions"]]


def _advance_parties(case: dict[str, Any], rec: Recorded, body: dict[str, Any], day: date,
                     ctx: Context) -> None:
    """Move the decisions of a case with several parties (:func:`several`) by ``rec``. A step
    naming a decision (a form's void: the decision on it; a rectification's verification: the
    decision of the party its order names) moves that one (:func:`advance_own`); a
    verification naming an order not recorded yet is out of order and moves nothing until the
    order comes (:func:`verify_held`). One naming none is expected when a party's decision is
    where it is expected, and moves those decisions; none is, it is out of order and moves each
    forward, as in a case of one party. A reconciliation (the case's total) executes only the
    decisions that received money, when one did; a closing closes every decision in force
    when it was made, in world time, and is out of order unless each of them expects it."""
    summary = case["procedure"] == "summary"
    table, decisions = machine(case)[rec.type], in_force(case)
    order = body.get("order_event_id") if rec.type == "RectificationVerified" else None
    if order is not None and order not in case["rectification"]["orders"]:
        note_out_of_order(case, rec, _expected(table, summary),
                          f"no order {order}")
        case["rectification"]["held"].append({"event_id": rec.event_id, "order_event_id": order})
        return                         # carried out when its order comes (verify_held)
    own = _named(case, rec, body)
    if own is not None:
        advance_own(case, own, rec, body, day, ctx)
        return
    if rec.type == "CaseClosed":
        moved = [d for d in decisions if ts_of(d["decided_at"]) <= ts_of(rec.occurred_at)]
        expected = all(own_state(d) in table for d in moved)
    else:
        moved = [d for d in decisions if own_state(d) in table]
        if rec.type == "TreasuryReconciled":
            moved = [d for d in moved if _received(case, d)] or moved
        expected, moved = bool(moved), moved or decisions
    if not expected:
        note_out_of_order(case, rec, _expected(table, summary))
    _move(moved, table, summary)


def _expected(table: dict[str, str | None], summary: bool) -> list[str]:
    """The states ``table`` expects, in lifecycle order (what an out-of-order note lists)."""
    return sorted(table, key=lambda s: rank(summary, s))


def _move(decisions: list[dict[str, Any]], table: dict[str, str | None],
          summary: bool) -> None:
    """Move each of ``decisions`` (parties' decisions in force) where ``table`` leads from its
    own state (:func:`_target`)."""
    for d in decisions:
        target = _target(table, own_state(d), summary)
        if target is not None:
            d["state"] = target


def _target(table: dict[str, str | None], current: str, summary: bool) -> str | None:
    """Where ``table`` leads from ``current`` (None: it stays); from a state it is not expected
    in, to its one target if that is forward (never backwards)."""
    if current in table:
        return table[current]
    targets = {t for t in table.values() if t is not None}
    (target,) = targets if len(targets) == 1 else (None,)
    return target if target is not None and rank(summary, target) > rank(summary, current) \
        else None


def spared_party(rec: Recorded, body: dict[str, Any]) -> str | None:
    """The party ``rec`` spares the penalty (a ``WaiverGranted`` that does not only mitigate, a
    ``NoPenaltyDecided`` naming its party); None for any other event."""
    return body["party_ref"] if _spares_one(rec, body) and body.get("waiver") != "mitigated" \
        else None


def _spares_one(rec: Recorded, body: dict[str, Any]) -> bool:
    """Whether ``rec`` is the outcome of the party it names, not of the case as a whole: a
    ``WaiverGranted`` (it always names one) or a ``NoPenaltyDecided`` naming one
    (:func:`_spared`)."""
    return rec.type == "WaiverGranted" \
        or rec.type == "NoPenaltyDecided" and body.get("party_ref") is not None


def _spare(case: dict[str, Any], rec: Recorded, body: dict[str, Any], day: date,
           ctx: Context) -> None:
    """A ``WaiverGranted`` not to penalise, or a ``NoPenaltyDecided`` naming its party
    (:func:`_spares_one`): where it is expected and leads, :func:`_spared`. It is out of order
    and changes nothing when that party's penalty decision is in force (:func:`penalised`):
    the decision stands until withdrawn. Otherwise it is kept in ``sparings`` with the state it
    found, what it expected and whether it ended the case (NOT_PENALISED): a decision of its
    party recorded after it makes it out of order, and a party unspared coming on the case's
    record after it reopens the case it ended (:func:`unspare`)."""
    summary = case["procedure"] == "summary"
    table = _spared(case, body, machine(case)[rec.type], summary)
    expected = _expected(table, summary)
    decided = penalised(case, body["party_ref"])
    if decided is not None:
        note_out_of_order(case, rec, expected,
                          _penalised_why(decided["decision_no"], body["party_ref"]))
        return
    found = case["state"]
    _advance(case, rec, body, day, ctx)
    case["sparings"].append({"event_id": rec.event_id, "type": rec.type, "state": found,
                             "expected_in": expected, "party_ref": body["party_ref"],
                             "ended": case["state"] == "NOT_PENALISED" and found != case["state"]})


def stands(d: dict[str, Any] | None) -> bool:
    """Whether decision ``d`` is in force (amended or not; not withdrawn, not voided)."""
    return d is not None and d["status"] in ("in_force", "amended")


def penalised(case: dict[str, Any], party_ref: str) -> dict[str, Any] | None:
    """The penalty decision of ``party_ref`` in force (:func:`stands`), if any."""
    d = party_decision(case, party_ref)
    return d if stands(d) else None


def _penalised_why(decision_no: str, party_ref: str) -> str:
    return f"decision {decision_no} of party {party_ref} is in force"


def unspare(case: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    """Before ``rec`` is folded into a case a party was spared in (``sparings``, :func:`_spare`):
    a penalty decision of a spared party makes each sparing of it out of order (noted as when
    recorded after the decision: the decision stands) and the party is no longer spared; and
    when that party, or a party ``rec`` brings on the case's record unspared, finds the case
    ended by the sparings (NOT_PENALISED), the case is back where the sparing that ended it
    found it. So a case is not penalised only once each party on its record is spared,
    whichever is recorded first, the sparing or the other party."""
    ended = next((s for s in case["sparings"] if s["ended"]), None)
    unspared = False
    if rec.type == "PenaltyDecided" and body["party"]["party_ref"] in case["waived_parties"]:
        party = body["party"]["party_ref"]
        case["waived_parties"].remove(party)
        for s in [s for s in case["sparings"] if s["party_ref"] == party]:
            case["sparings"].remove(s)
            case["out_of_order"].append(
                {k: s[k] for k in ("event_id", "type", "state", "expected_in")}
                | {"why": _penalised_why(body["decision_no"], party)})
        unspared = True
    known = {p["party_ref"] for p in case["parties"]} | set(case["waived_parties"])
    spares = spared_party(rec, body)
    unspared |= any(p not in known and p != spares for p in _parties_named(body))
    if unspared and ended is not None and case["state"] == "NOT_PENALISED":
        case["state"], ended["ended"] = ended["state"], False


def _parties_named(body: dict[str, Any]) -> list[str]:
    """The parties an event's body names: a filing's ``parties``, a decision's ``party``, a
    step's ``party_ref``."""
    named = [p["party_ref"] for p in body.get("parties") or ()]
    if isinstance(body.get("party"), dict):
        named.append(body["party"]["party_ref"])
    if body.get("party_ref"):
        named.append(body["party_ref"])
    return named


def _spared(case: dict[str, Any], body: dict[str, Any], table: dict[str, str | None],
            summary: bool) -> dict[str, str | None]:
    """Where a ``WaiverGranted``, or a ``NoPenaltyDecided`` naming a party, is expected and
    leads. A waiver that only mitigates (从轻、减轻) decides nothing: the lighter decision
    follows (as RF12.a and RF15.b read it). One that spares one party of several (共同违法)
    the penalty while another party is not spared (``waived_parties``) is that party's
    outcome: expected wherever the case is decided too, it leaves the case to the other
    parties' decisions. Otherwise, the case is not penalised (``table``)."""
    if body.get("waiver") == "mitigated":
        return _stay(*table)
    others = {p["party_ref"] for p in case["parties"]} - {body["party_ref"]}
    if others - set(case["waived_parties"]):
        return _stay(*table, *(SUMMARY_DECIDED if summary else DECIDED_ON + ("EXECUTED",)))
    return table


def verify_held(case: dict[str, Any], order_event_id: str) -> None:
    """Carry out the verifications recorded before the order they name, ``order_event_id``,
    now recorded (held by :func:`_advance_parties`): each moves the decision in force of the
    party ordered — that party has none, each decision a verification is expected from — as
    when recorded after the order; its out-of-order entry says it came first."""
    rect, summary = case["rectification"], case["procedure"] == "summary"
    table = machine(case)["RectificationVerified"]
    for h in [h for h in rect["held"] if h["order_event_id"] == order_event_id]:
        rect["held"].remove(h)
        entry = next(o for o in case["out_of_order"] if o["event_id"] == h["event_id"])
        entry["why"] = f"recorded before order {order_event_id}"
        d = party_decision(case, rect["orders"][order_event_id])
        _move([d] if d is not None else
              [x for x in in_force(case) if own_state(x) in table] or in_force(case),
              table, summary)


def _of_replaced(case: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> bool:
    """Whether ``rec``, a step carrying out the decision it names (:data:`_OWN_STEPS`, a change
    aside), names one a later decision of its party replaced and is dated before that later
    one: it is the replaced decision's step (its money, as RF06 reads it:
    :func:`~.money_model.money_owner`) and moves no decision in force, as when recorded in
    the order it claims."""
    if rec.type not in _OWN_STEPS or rec.type in CHANGES:
        return False
    named, _ = named_decision(case, body.get("decision_no"))
    if named is None or named is case["decision"] or is_co_party(case, named):
        return False
    mine = party_decision(case, named["party_ref"])
    return mine is not None and ts_of(rec.occurred_at) < ts_of(mine["decided_at"])


def _named(case: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> dict[str, Any] | None:
    """The decision in force a step of :data:`_OWN_STEPS` carries out: the one it names, the
    decision in force of the party of one set aside (its party's decision made anew), or
    ``decision`` (naming none the case has); for a form's void, the decision on that form
    (None: no decision in force bears it); for a rectification's verification naming its
    order (``order_event_id``), the decision of the party ordered (None: an order the case
    lacks, or a party without a decision in force)."""
    if rec.type == "DecisionFormVoided":
        return next((d for d in in_force(case) if d["form_no"] == body["form_no"]), None)
    if rec.type == "RectificationVerified":
        party = case["rectification"]["orders"].get(body.get("order_event_id"))
        return None if party is None else party_decision(case, party)
    if rec.type not in _OWN_STEPS:
        return None
    no = body.get("decision_no")
    named = next((d for d in every_decision(case) if d["decision_no"] == no), None)
    if named is None or named is case["decision"] or is_co_party(case, named):
        return case["decision"] if named is None else named
    # a decision set aside (withdrawn and made anew): its party's in force carries on (money
    # naming it is that decision's, as RF06 reads it)
    return party_decision(case, named["party_ref"]) or case["decision"]


def advance_own(case: dict[str, Any], d: dict[str, Any], rec: Recorded, body: dict[str, Any],
                 day: date, ctx: Context) -> None:
    """Move party decision ``d`` by a step naming it, judged as in a case of one party from
    its own state (an out-of-order note names that state)."""
    shown, case["state"] = case["state"], own_state(d)
    _advance(case, rec, body, day, ctx)
    if case["state"] != own_state(d):   # moved (a withdrawal's or void's reading is not kept)
        d["state"] = case["state"]
    case["state"] = shown


def _received(case: dict[str, Any], d: dict[str, Any]) -> int:
    """What decision in force ``d`` has received, as the money last summed it
    (:func:`~.money_model.refresh_money`)."""
    return case["money"]["received_fen"] if d is case["decision"] else d["received_fen"]


def after_closing(case: dict[str, Any], decided_at: str) -> bool:
    """Whether a decision made at ``decided_at`` comes after the closing the case shows, in
    world time: that closing is not the decision's, and the case is open again."""
    return case["closed_at"] is not None and ts_of(case["closed_at"]) < ts_of(decided_at)


def rank(summary: bool, state: str) -> int:
    return (_SUMMARY_RANK if summary else _RANK).get(state, -1)


CHANGES = ("PenaltyAmended", "PenaltyWithdrawn")


def named_decision(case: dict[str, Any], decision_no: str
                   ) -> tuple[dict[str, Any] | None, str | None]:
    """The decision an amendment or withdrawal names, and why it cannot change the decision in
    force (``None`` when it can): it names no decision of the case (yet), a withdrawn one, or
    one a later decision replaced."""
    for d in [case["decision"], *case["co_party_decisions"], *case["previous_decisions"][::-1]]:
        if d is not None and d["decision_no"] == decision_no:
            if d["status"] == "withdrawn":
                return d, f"decision {decision_no} was withdrawn"
            if d["status"] == "voided":
                return d, f"the form of decision {decision_no} was voided"
            if d is not case["decision"] and not is_co_party(case, d):
                return d, f"decision {decision_no} was replaced by a later decision"
            return d, None
    return None, f"no decision {decision_no} to change"


def every_decision(case: dict[str, Any]) -> list[dict[str, Any]]:
    """Every decision the case shows: ``decision``, each other party's in force
    (``co_party_decisions``) and those set aside (``previous_decisions``), in that order."""
    return [d for d in [case["decision"], *case["co_party_decisions"],
                        *case["previous_decisions"]] if d is not None]


def is_co_party(case: dict[str, Any], d: dict[str, Any] | None) -> bool:
    """Whether ``d`` is one of ``co_party_decisions``: another party's decision in force."""
    return any(d is x for x in case["co_party_decisions"])


def party_decision(case: dict[str, Any], party_ref: str) -> dict[str, Any] | None:
    """The latest decision of ``party_ref`` the case has not set aside: ``decision`` or its
    entry in ``co_party_decisions`` (None when the party has none)."""
    if case["decision"] is not None and case["decision"]["party_ref"] == party_ref:
        return case["decision"]
    return next((d for d in case["co_party_decisions"] if d["party_ref"] == party_ref), None)


def others_in_force(case: dict[str, Any], decision_no: str) -> bool:
    """Whether a decision other than ``decision_no`` is in force (not withdrawn, not voided):
    another party's, when the case has several."""
    return any(stands(d) and d["decision_no"] != decision_no for d in in_force(case))
