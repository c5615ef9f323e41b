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
only a decision of its own party. Each of them has its own lifecycle ``state`` and the case's is
the least advanced (lifecycle.py, :func:`~.lifecycle.settle`; a summary decision's, its money
stage: money_model.py).

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

The state machines and how an event moves a case along them are lifecycle.py's; the context
an event is judged with and how deadlines are kept, fold_context.py's; a case's money and a
summary decision's money stage, money_model.py's; a voided form's decision, void_model.py's.
Complaints have their own small lifecycle: complaint_model.py folds ``complaint:`` streams; a
complaint naming a case is also linked from the case (see :func:`cases_of`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from ledger.domain import EVENT_TYPES, upcast
from ledger.domain.calendar import legal_date
from ledger.envelope import Recorded
from ledger.schemas import parse_datetime

from . import officer_model
from .fold_context import (DEFAULT_CONTEXT, OBLIGATIONS, OWN_DEADLINES, Context, deadline_basis,
                           deadline_start, deadline_start_of, mark_met, mark_met_by,
                           note_out_of_order, reread_roles, role_at, set_due, stamp_versions)
from .lifecycle import (GENERAL, SUMMARY, TERMINAL, advance, advance_own, after_closing,
                        is_co_party, machine, named_decision, others_in_force, own_state,
                        party_decision, penalised, rank, settle, several, spared_party, stands,
                        unspare, verify_held)
from .money_model import money_owner, refresh_money
from .redflags.days import ts_of
from .redflags.facts import (COLLECTIVE, INVESTIGATIVE, actors_of, collection_key, deciders_of,
                             decision_extension_counted, decision_key, payment_key,
                             plan_refused, same_collection, same_decision, same_payment)
from .void_model import (OWING_A_WITHDRAWAL, PUBLICATION_STEPS, served_before_void, voided,
                         voided_before, withdrawals_owed)


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
        # deadlines (service, publication, payment, ...), instalments and lifecycle state
        # (``decision`` has its state too, once the case has several parties)
        "co_party_decisions": [],
        "held_changes": [],                # changes recorded before the decision they name
        "outcome": None,                   # no penalty / waiver / transfer
        "waived_parties": [],              # parties spared the penalty by name: a
        #                                  WaiverGranted (不予处罚), a NoPenaltyDecided naming them
        # each of those acts: [{event_id, type, party_ref, state: the one it found, expected_in,
        # ended: whether it led the case to NOT_PENALISED}] (lifecycle._spare, unspare)
        "sparings": [],
        "withdrawal": None,
        # [{form_no, voided_at, event_id, ended: decision, undone: what a service dated
        # before the void, recorded after it, puts back, publication_withdrawal: the deadline
        # the void opens on the decision it ended if that was published
        # (void_model.withdrawals_owed)}]
        "voided_forms": [],
        # every publication and withdrawal of one, whichever decision it names (what was up
        # at a void): [{event_id, decision_no, occurred_at, on, published}]
        "publication_events": [],
        "notice": None,
        "rights_waived": None,
        "hearing": None,
        "legal_review": None,
        "collective_discussions": 0,
        "benchmark": None,
        "deviation_approved": False,
        "extensions": [],
        "evidence": [],
        # orders: each RectificationOrdered's event id -> the party it orders (whose decision
        # a verification naming it, ``order_event_id``, carries out: lifecycle._named); held:
        # the verifications recorded before the order they name [{event_id, order_event_id}]
        "rectification": {"ordered": 0, "deadline": None, "verified": None, "orders": {},
                          "held": []},
        "money": {"payments": [], "paid_fen": 0,
                  "cash": {"collected_fen": 0, "remitted_fen": 0, "deposited_fen": 0,
                           "receipts": [], "justification": None,
                           # [{event_id, amount_fen, occurred_at, receipt_no, decision_no}]
                           "collections": [],
                           # [{event_id, amount_fen, occurred_at, receipt_nos}]: each handing in
                           "remittances": [],
                           # [{event_id, amount_fen, occurred_at}]: each payment into the bank
                           "deposits": []},
                  # due: the decision's fine and surcharge (the reconciliation's, every party's)
                  "instalments": None, "due_fen": 0, "received_fen": 0, "outstanding_fen": 0,
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
        note_out_of_order(state, rec, sorted(
            (SUMMARY if body["procedure"] == "summary" else GENERAL)["PenaltyDecided"]),
            f"decision {body['decision_no']} recorded again")
        return state       # the same act: it changes nothing, and its officers acted once
    if rec.type == "OnsiteCashCollected" and _collected_again(state, rec, body):
        table = machine(state)
        note_out_of_order(state, rec, sorted(table["OnsiteCashCollected"]),
                          f"receipt {body['receipt_no']} recorded again")
        return state       # as a decision recorded again: its officers acted once
    if rec.type == "PaymentRecorded" and _paid_again(state, rec, body, day):
        table = machine(state)
        note_out_of_order(state, rec, sorted(table["PaymentRecorded"]),
                          f"payment {body['payment_id']} recorded again")
        _refresh(state, day, ctx)
        return state       # one payment, received once (at the earlier instant, if dated so)
    if rec.type == "DecisionServed" and state["voided_forms"]:
        served_before_void(state, rec, body)
    if state["sparings"]:
        unspare(state, rec, body)
    replaced = _replaced(state, rec, body)
    mine = party_decision(state, body["party"]["party_ref"]) \
        if rec.type == "PenaltyDecided" else None
    earlier = mine is not None and day.isoformat() < mine["decided_on"]
    if earlier:            # a decision its party's in force replaced, recorded after it
        _keep_earlier(state, rec, body, day, ctx)
    elif replaced is None:
        advance(state, rec, body, day, ctx)
    elif rec.type == "CaseClosed":     # a replaced decision's closing, recorded late
        _close(replaced, rec, body, day)
    elif is_co_party(state, replaced):   # a step of another party's decision in force
        _step_of_co_party(state, replaced, rec, body, day, ctx)
    else:                  # a step of a decision made anew's predecessor, recorded late
        if _STEPS_OF_A_DECISION[rec.type] in replaced["deadlines"]:
            mark_met(replaced, _STEPS_OF_A_DECISION[rec.type], day)
        if rec.type == "DecisionServed":
            replaced["served_on"] = day.isoformat()
            _served_at(replaced, rec.occurred_at)
    _record_officers(state, rec, body, day.isoformat(), ctx)
    _record_investigators(state, rec, body, ctx)
    handler = _FACTS.get(rec.type) if replaced is None and not earlier else None
    if handler is not None:
        handler(state, rec, body, day, ctx)
    if rec.type in PUBLICATION_STEPS:
        state["publication_events"].append({
            "event_id": rec.event_id, "decision_no": body["decision_no"],
            "occurred_at": rec.occurred_at, "on": day.isoformat(),
            "published": rec.type == "DecisionPublished"})
    if state["voided_forms"] and rec.type in OWING_A_WITHDRAWAL:
        withdrawals_owed(state)
    _refresh(state, day, ctx)
    stamp_versions(state, ctx)
    return state


def _refresh(state: dict[str, Any], day: date, ctx: Context) -> None:
    """After every step of the case, even one that changes nothing else: its money
    (:func:`~.money_model.refresh_money`) and, with several parties, the case's state as its
    least advanced decision's (:func:`~.lifecycle.settle`), which the money may move."""
    refresh_money(state, day, ctx)
    if several(state):
        settle(state)


# --- steps recorded again, decisions set aside -------------------------------------------------


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
    its party's (:func:`~.money_model.money_owner`, as RF06 reads it: a closing names no
    decision)."""
    if rec.type == "CaseClosed":
        in_force = case["decision"]
        if in_force is None or money_owner(case, in_force)(rec.occurred_at,
                                                            in_force["decision_no"]):
            return None
        return next((d for d in case["co_party_decisions"] + case["previous_decisions"]
                     if money_owner(case, d)(rec.occurred_at, d["decision_no"])), None)
    if rec.type not in _STEPS_OF_A_DECISION:
        return None
    d, _ = named_decision(case, body["decision_no"])
    return d if d is not None and d is not case["decision"] else None


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
    since, ahead = deadline_start_of(rec, day, ctx)
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
    set_due(c, "decision", due,
            deadline_basis("APL 第60条", f"{d} days from filing + approved extensions",
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
        c["rectification"]["orders"][rec.event_id] = b["party_ref"]
        _party(c, b["party_ref"])
        verify_held(c, rec.event_id)
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
    set_due(c, "hearing_request", lambda: ctx.calendar.add_working_days(day, n),
            deadline_basis("APL 第64条(一)", f"{n} working days after notice", f"告知后{n}个工作日内提出"),
            replace=True)


def _hearing(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
             ctx: Context) -> None:
    h = c["hearing"] = c["hearing"] or {"requested_on": None, "notified_on": None,
                                        "scheduled_for": None, "presider_id": None,
                                        "held_on": None, "outcome": None,
                                        "presider_is_investigator": None}
    if rec.type == "HearingRequested":
        h["requested_on"] = day.isoformat()
        mark_met(c, "hearing_request", day)
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
                            "approver_role": role_at(ctx, b["approved_by"], rec.occurred_at),
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
    if not reread_roles(state["extensions"], approver, ctx):
        return False
    if state["decision_period"] is not None:
        _decision_deadline(state, ctx)
    return True


def _decided(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    p = b["party"]
    mine = party_decision(c, p["party_ref"])         # the party's decision this one replaces
    if c["decision"] is not None and c["decision"]["party_ref"] == p["party_ref"]:
        _keep_previous(c)                             # decided anew: the old one is history
    elif c["decision"] is not None:                   # another party's: both are in force
        _keep_co_party(c, p["party_ref"])
    if after_closing(c, rec.occurred_at):            # reopened: the closing was the old one's
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
    if several(c):
        c["decision"]["state"] = _new_state(c, mine)
    if b["procedure"] == "general" and c["decision_period"] is None \
            and c.get("filing_period") is not None:
        c["decision_period"] = c["filing_period"]
        _decision_deadline(c, ctx)
    # the payment period the decision states (APL 第59条(四)), counted from its service as
    # RF06.e counts it, whatever a city publishes in between
    c["decision"]["payment_period"] = {"days": ctx.params.payment_deadline_days,
                                       "params_version": ctx.version}
    mark_met_by(c, "decision", rec, day, ctx)
    wd = ctx.calendar.add_working_days
    since, ahead = deadline_start_of(rec, day, ctx)
    if b["procedure"] == "summary":
        n = ctx.params.summary_decision_filing_working_days
        set_due(c, "summary_filing", lambda: wd(since, n),
                deadline_basis("MOHURD55 第14条", f"{n} working days", f"{n}个工作日内备案"), ahead=ahead)
        set_due(c, "service", lambda: since,
                deadline_basis("APL 第52条", "handed over on the spot", "当场交付"), ahead=ahead)
    else:
        n7 = ctx.params.service_deadline_working_days_if_absent
        set_due(c, "service", lambda: wd(since, n7),
                deadline_basis("APL 第61条", f"{n7} working days if absent",
                               f"当事人不在场的，{n7}个工作日内送达"), ahead=ahead)
        n = ctx.params.publication_deadline_working_days
        set_due(c, "publication", lambda: wd(since, n),
                deadline_basis("GBF2018_118", f"{n} working days", f"{n}个工作日内公示"), ahead=ahead)
    voided_before(c, c["decision"], day)
    _apply_held(c, c["decision"], rec.occurred_at, ctx)


def _new_state(c: dict[str, Any], mine: dict[str, Any] | None) -> str:
    """The own state of a decision just made in a case with several parties: that of the case
    closed by a closing it came before (in world time), or as in a case of one party, DECIDED
    (DECIDED_ON_SPOT) — but not back from where a decision of its party it replaces while in
    force stood (the state never goes back; a decision made anew after a withdrawal, a void or
    the closing is decided again)."""
    if c["state"] in TERMINAL:
        return c["state"]
    summary = c["procedure"] == "summary"
    decided = "DECIDED_ON_SPOT" if summary else "DECIDED"
    if not stands(mine):
        return decided
    kept = own_state(mine)
    return kept if kept not in TERMINAL and rank(summary, kept) > rank(summary, decided) \
        else decided


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
    mark_met_by(c, "decision", rec, day, ctx)        # the case was decided then (RF12.a)
    voided_before(c, earlier, day)
    _apply_held(c, earlier, rec.occurred_at, ctx)


def _keep_previous(c: dict[str, Any]) -> None:
    """Move the decision a new one replaces into ``previous_decisions`` with its amounts,
    changes and obligations, so that the new decision opens its own. The withdrawal of a
    voided decision's publication (:func:`~.void_model.withdrawals_owed`) is that decision's
    and goes with it; one owed for a change (:func:`_change`) stays with the case, as
    before."""
    owed = c["deadlines"].get("publication_withdrawal") or {}
    names = OWN_DEADLINES + (("publication_withdrawal",) if "voided_form" in owed else ())
    entry = _set_aside(c, names)
    entry.pop("state", None)              # a decision set aside moves no more
    c["previous_decisions"].append(entry)


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
    # the closing the case shows is this decision's too (made while it was in force); a
    # decision after it reopens the case (_decided), one before it is closed by it as well
    closing = {k: c[k] for k in ("closed_on", "closed_at", "close_outcome")} \
        if c["closed_at"] is not None else {}
    co.append({**_set_aside(c, OWN_DEADLINES + ("publication_withdrawal",)),
               "published": c["published"], "instalments": c["money"]["instalments"],
               **closing})
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
                    opened=deadline_start(h["event_id"], h["occurred_at"], h["recorded_at"],
                                          day, ctx))
            summary = c["procedure"] == "summary"
            if h["type"] == "PenaltyWithdrawn" and decision is c["decision"] \
                    and not others_in_force(c, decision_no) \
                    and rank(summary, "NOT_PENALISED") > rank(summary, c["state"]):
                c["state"] = "NOT_PENALISED"


def _not_penalised(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                   ctx: Context) -> None:
    if b.get("party_ref"):
        _party(c, b["party_ref"])
    # a waiver not to penalise, or a decision not to, naming its party (lifecycle._spared)
    spared = spared_party(rec, b)
    if spared is not None and spared not in c["waived_parties"] \
            and penalised(c, spared) is None:   # a decision in force stands (lifecycle._spare)
        c["waived_parties"].append(spared)
    if b.get("violation_code"):
        _violation(c, b["violation_code"], None, ctx)
    c["outcome"] = {"type": rec.type, "on": day.isoformat(),
                    "basis": b.get("basis") or b.get("ground"), "event_id": rec.event_id}
    if b.get("waiver") != "mitigated":      # as RF12.a: the lighter decision follows a mitigation
        mark_met_by(c, "decision", rec, day, ctx)


def _transferred(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
                 ctx: Context) -> None:
    c["outcome"] = {"type": rec.type, "on": day.isoformat(), "basis": b["to_authority"],
                    "event_id": rec.event_id}
    mark_met_by(c, "decision", rec, day, ctx)


def _served(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    _party(c, b["party_ref"])
    if c["decision"] is not None:
        c["decision"]["served_on"] = day.isoformat()
        _served_at(c["decision"], rec.occurred_at)
    mark_met_by(c, "service", rec, day, ctx)
    if (c["amounts"]["current_fen"] or 0) > 0:
        _payment_due(c, c["decision"]["payment_period"], rec, day, ctx)


def _payment_due(owner: dict[str, Any], period: dict[str, Any], rec: Recorded, day: date,
                 ctx: Context) -> None:
    """Open the payment deadline of a decision served by ``rec``: on the case (``owner``) for
    ``decision``, on its entry for another party's; ``period``: the decision's."""
    since, ahead = deadline_start_of(rec, day, ctx)
    d = period["days"]
    set_due(owner, "payment", lambda: ctx.calendar.add_calendar_days(since, d),
            deadline_basis("APL 第67条第3款", f"{d} days from receipt",
                           f"自收到行政处罚决定书之日起{d}日内"), ahead=ahead)
    owner["deadlines"]["payment"]["params_version"] = period["params_version"]


def _step_of_co_party(c: dict[str, Any], d: dict[str, Any], rec: Recorded, b: dict[str, Any],
                      day: date, ctx: Context) -> None:
    """Service, filing or publication of another party's decision in force (its entry ``d``
    in ``co_party_decisions``): it meets that decision's deadline, as the case's steps meet
    ``decision``'s, and its service opens the decision's payment deadline. It moves that
    decision's own ``state`` and is judged from it, as ``decision``'s own steps are
    (:func:`~.lifecycle.advance_own`: out of order where a case of one party would be); its
    summary filing files it (money_model.py)."""
    mark_met_by(d, _STEPS_OF_A_DECISION[rec.type], rec, day, ctx)
    advance_own(c, d, rec, b, day, ctx)
    if rec.type == "DecisionServed":
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
    mark_met(c, "summary_filing", day)


def _published(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date,
               ctx: Context) -> None:
    if rec.type == "DecisionPublished":
        c["published"] = True
        mark_met_by(c, "publication", rec, day, ctx)
        return
    d, _ = named_decision(c, b["decision_no"])
    owner = d if is_co_party(c, d) else c     # another party's publication, or the case's
    owner["published"] = False
    mark_met(owner, "publication_withdrawal", day)


def _changed(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    d, _ = named_decision(c, b["decision_no"])
    if d is None:                 # its decision may be recorded later (see _apply_held)
        c["held_changes"].append({"event_id": rec.event_id, "type": rec.type,
                                  "occurred_at": rec.occurred_at,
                                  "recorded_at": rec.recorded_at, "body": b})
    elif d["status"] not in ("withdrawn", "voided"):
        _change(c, d, rec.event_id, rec.type, b, day, ctx,
                opened=deadline_start_of(rec, day, ctx))


def _change(c: dict[str, Any], decision: dict[str, Any], event_id: str, kind: str,
            b: dict[str, Any], day: date, ctx: Context, *,
            opened: tuple[date, dict[str, Any]]) -> None:
    """Amend or withdraw ``decision``: the one in force, or one a later decision replaced (then
    only its entry in ``previous_decisions`` changes). ``opened``: :func:`deadline_start` of the
    change, the day the publication's withdrawal is counted from."""
    in_force = decision is c["decision"]
    a = c["amounts"] if in_force else decision
    # whose obligations are its own: the case's for ``decision``, its entry's for another
    # party's in force; a replaced decision owes nothing more
    owner = c if in_force else decision if is_co_party(c, decision) else None
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
        for name in OBLIGATIONS if owner is not None else ():  # of a decision gone
            d = owner["deadlines"].get(name)
            if d is not None and d["met_on"] is None:
                d["cancelled_on"] = day.isoformat()
    if owner is not None and owner["published"]:
        n = ctx.params.publication_withdraw_working_days
        since, ahead = opened
        set_due(owner, "publication_withdrawal", lambda: ctx.calendar.add_working_days(since, n),
                deadline_basis("MOHURD55 第10条", f"withdraw within {n} working days",
                               f"{n}个工作日内撤下"), ahead=ahead)


def _closed(c: dict[str, Any], rec: Recorded, b: dict[str, Any], day: date, ctx: Context) -> None:
    # the closing of the decision in force, as RF06 judges it (facts.Case.closing_of): the
    # first, in world time, made while it was in force (one made before it is a replaced
    # decision's, _replaced); a second one changes nothing, and one after a decision made
    # anew (the case reopened, _decided) closes the case again. A closing names no decision:
    # it closes the case, and each other party's decision in force then (as RF06 reads it)
    _close(c, rec, b, day)
    for d in c["co_party_decisions"]:
        if money_owner(c, d)(rec.occurred_at, d["decision_no"]):
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
        since, ahead = deadline_start_of(rec, day, ctx)
        n = p.onsite_cash_to_agency_working_days
        set_due(c, "cash_to_agency", lambda: wd(since, n),
                deadline_basis("APL 第71条", f"{n} working days", f"{n}个工作日内交至行政机关"), ahead=ahead)
    elif rec.type == "OnsiteCashRemitted":
        cash["remitted_fen"] += b["amount_fen"]
        cash["remittances"].append({"event_id": rec.event_id, "amount_fen": b["amount_fen"],
                                    "occurred_at": rec.occurred_at,
                                    "receipt_nos": b["receipt_nos"]})
        mark_met(c, "cash_to_agency", day)
        since, ahead = deadline_start_of(rec, day, ctx)
        n = p.agency_to_bank_working_days
        set_due(c, "agency_to_bank", lambda: wd(since, n),
                deadline_basis("APL 第71条", f"{n} working days", f"{n}个工作日内缴付指定银行"), ahead=ahead)
    else:
        cash["deposited_fen"] += b["amount_fen"]
        cash["deposits"].append({"event_id": rec.event_id, "amount_fen": b["amount_fen"],
                                 "occurred_at": rec.occurred_at})
        mark_met(c, "agency_to_bank", day)


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
    d, _ = named_decision(c, no)
    return d if is_co_party(c, d) else None


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
        set_due(owner, "payment", lambda: last,
                deadline_basis("APL 第66条", "approved deferral/instalments", "经批准暂缓或者分期缴纳"),
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
            since, ahead = deadline_start_of(rec, day, ctx)
            set_due(c, f"preservation:{pid}", lambda: ctx.calendar.add_working_days(since, n),
                    deadline_basis("APL 第56条", f"decision within {n} working days",
                                   f"{n}个工作日内作出处理决定"), ahead=ahead)
        return
    entry = c["property"].setdefault(b["seizure_id"], {
        "measure": None, "items": None, "on": None, "inventory_signed": False, "returned": 0,
        "disposed": 0})
    if t == "PropertyInventorySigned":
        entry["inventory_signed"] = True
    else:
        entry["returned" if t == "PropertyReturned" else "disposed"] += len(b["item_ids"])
        mark_met(c, f"preservation:{b['seizure_id']}", day)


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
    "PenaltyWithdrawn": _changed, "DecisionFormVoided": voided, "CaseClosed": _closed,
    "CaseArchived": _archived, "PaymentRecorded": _payment, "OnsiteCashCollected": _cash,
    "OnsiteCashRemitted": _cash, "AgencyDeposited": _cash, "TreasuryReconciled": _reconciled,
    "SurchargeAssessed": _surcharge, "InstalmentApproved": _instalments,
    "PropertySeized": _property, "PreservationOrdered": _property,
    "PropertyInventorySigned": _property, "PropertyReturned": _property,
    "PropertyDisposed": _property,
}
