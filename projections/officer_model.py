"""Officer read model (``GET /v1/officers/{officer_id}``): a pure reducer over events.

State of one person (officer or auxiliary staff): certificates with their validity, suspensions
and end, posts and grids over time, dispatch orders, integrity pledges, declared relationships,
recusals, complaints against them, formal warnings issued to them (``warnings``) and caseload
counts.

Routing: :func:`officers_of` says which persons an event concerns (its own ``officer:`` stream,
the pledgor of a pledge, the actors of a case event, the officers of a dispatch or patrol, the
accused of a complaint); the caller folds the event into each of their states with
``apply(state, rec, ctx, officer_id=...)``.

Determinism: ``apply`` reads nothing but its arguments (no clock, no I/O) and updates and
returns ``state`` (copy it first if you need the old one). Folding the same events in log order
gives the same state, whether incrementally or in a full rebuild.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from ledger.domain import upcast
from ledger.domain.calendar import legal_date
from ledger.envelope import Recorded
from ledger.schemas import parse_datetime

from .redflags.days import ts_of
from .redflags.facts import (collection_key, credential_status, deciders_of, decision_key,
                             person_credential, same_collection, same_decision)

#: body fields of case events that name the persons who acted
_ACTOR_LISTS = ("officers", "investigators")
#: events on a person's stream that change how their acts are judged (RF02, the case view):
#: recorded after acts they cover, those acts are judged again
CREDENTIAL_EVENTS = frozenset({"OfficerCredentialIssued", "OfficerCredentialSuspended",
                               "OfficerCredentialExpired", "AuxiliaryStaffRegistered"})


def new_state(officer_id: str) -> dict[str, Any]:
    return {
        "officer_id": officer_id,
        "kind": "unknown",          # officer | auxiliary | unknown (no HR event yet)
        "unit_id": None,
        "units": [],                # every unit they have been of, first first (its trail)
        "credentials": {},          # cert_no -> certificate
        "auxiliary": None,
        "posts": [],
        "dispatches": [],
        "pledges": {},              # pledge_id -> pledge
        "pledge_status": "none",    # none | signed | countersigned (latest pledge)
        "relationships": [],
        "recusals": [],
        "complaints": {"total": 0, "by_category": {}, "ids": []},
        "warnings": [],             # formal warnings (OfficerWarningIssued), in log order
        "caseload": {"cases": 0, "acts": 0, "decisions": 0, "summary_decisions": 0,
                     "general_decisions": 0, "decided_fen": 0, "waivers": 0, "voided_forms": 0,
                     "voided_decisions": 0, "cash_collections": 0, "seizures": 0},
        "case_acts": {},            # case_id -> number of acts
        # case_id -> [decision number, instant (s), fine] of each decision they acted in: one
        # recorded again is the same decision (facts.same_decision), not another act
        "case_decisions": {},
        # case_id -> the same of each such decision whose form was voided before it was served
        # (void_model.voided_decisions): not counted among the decisions and fines imposed
        "case_voided": {},
        # case_id -> [receipt, decision number, instant (s), cash] of each on-the-spot
        # collection they made: one recorded again (facts.same_collection) is not another act
        "case_collections": {},
        "patrols": 0,
        "events": [],               # ids of events on the person's own stream and pledges
    }


def _actors(body: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    for key in _ACTOR_LISTS:
        for ref in body.get(key) or ():
            if ref["officer_id"] not in ids:
                ids.append(ref["officer_id"])
    for oid in deciders_of(body):
        if oid not in ids:
            ids.append(oid)
    return ids


def officers_of(rec: Recorded) -> list[str]:
    """The persons an event concerns, in a deterministic order (no duplicates)."""
    kind, _, ident = rec.stream.partition(":")
    body = rec.body
    if kind == "officer":
        return [ident]
    if kind == "pledge":
        return [body["officer_id"]]
    if kind == "case":
        ids = _actors(body)
        if rec.type == "RecusalDecided" and body["officer_id"] not in ids:
            ids.append(body["officer_id"])
        return ids
    if kind == "unit":
        if rec.type == "DispatchOrderIssued":
            return list(dict.fromkeys(body["officers"]))
        return _actors(body)
    if kind == "complaint" and rec.type == "ComplaintReceived":
        return list(dict.fromkeys(body["accused_officers"]))
    return []


def apply(state: dict[str, Any] | None, rec: Recorded, ctx: Any = None, *,
          officer_id: str | None = None) -> dict[str, Any]:
    """Fold ``rec`` into the state of ``officer_id`` (default: the id of an ``officer:``
    stream). Requires ``officer_id`` in :func:`officers_of(rec) <officers_of>`."""
    if state is None:
        state = new_state(officer_id or rec.stream.partition(":")[2])
    body = upcast(rec.type, rec.body)
    kind = rec.stream.partition(":")[0]
    if kind in ("officer", "pledge"):
        state["events"].append(rec.event_id)
    handler = _HANDLERS.get(rec.type)
    if handler is not None:
        handler(state, rec, body)
    elif kind == "case":
        _case_act(state, rec, body)
    return state


# --- own-stream events ------------------------------------------------------------------------

def _credential_issued(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    state["kind"] = "officer"
    of_unit(state, body["unit_id"])
    # a suspension or end recorded before the issuance still applies (as in the flag rules)
    _cert(state, body["cert_no"]).update({
        "credential_type": body["credential_type"], "valid_from": body["valid_from"],
        "valid_until": body["valid_until"], "issued_event_id": rec.event_id})


def _credential_suspended(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    cred = _cert(state, body["cert_no"])
    cred["suspensions"].append({"from": body["effective_at"], "until": body.get("until"),
                                "reason": body["reason"], "event_id": rec.event_id})


def _credential_expired(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    cred = _cert(state, body["cert_no"])
    cred["ended_at"] = body["effective_at"]
    cred["end_reason"] = body["reason"]


def _cert(state: dict[str, Any], cert_no: str) -> dict[str, Any]:
    # an event about a certificate never issued on the ledger is still recorded: keep a stub
    return state["credentials"].setdefault(cert_no, {
        "cert_no": cert_no, "credential_type": None, "valid_from": None, "valid_until": None,
        "issued_event_id": None, "suspensions": [], "ended_at": None, "end_reason": None})


def _auxiliary(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    if state["kind"] != "officer":
        state["kind"] = "auxiliary"
    of_unit(state, state["unit_id"] or body["unit_id"])
    state["auxiliary"] = {"unit_id": body["unit_id"], "engaged_from": body["engaged_from"],
                          "engaged_until": body.get("engaged_until"), "duties": body["duties"],
                          "event_id": rec.event_id}


def _post(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    start = body["window_from"]
    for post in state["posts"]:  # a new assignment ends the open-ended ones before it
        if post["until"] is None and _before(post["from"], start):
            post["until"] = start
    state["posts"].append({
        "post_id": body["post_id"], "unit_id": body["unit_id"], "grid_ids": body["grid_ids"],
        "role": body["role"], "from": start, "until": body["window_until"],
        "superior_officer_id": body.get("superior_officer_id"), "event_id": rec.event_id})
    of_unit(state, body["unit_id"])


def of_unit(state: dict[str, Any], unit: str | None) -> None:
    """The person (or case: case_model) is now of ``unit``; the units before it keep them in
    their audit trails (``units``, first first)."""
    state["unit_id"] = unit
    if unit and unit not in state["units"]:
        state["units"].append(unit)


def _relationship(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    state["relationships"].append({"party_ref": body["party_ref"], "relation": body["relation"],
                                   "event_id": rec.event_id})


def _warning(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    state.setdefault("warnings", []).append({
        "warning_id": body["warning_id"], "kind": body["kind"], "issued_by": body["issued_by"],
        "issued_at": rec.occurred_at, "unit_id": body["unit_id"], "reason": body["reason"],
        "flag_ids": body.get("flag_ids") or [], "notice_id": body.get("notice_id"),
        "event_id": rec.event_id})


def _pledge_signed(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    pid = rec.stream.partition(":")[2]
    pledge = _pledge(state, pid)
    pledge.update({"level": body["level"], "unit_id": body["unit_id"],
                   "superior_officer_id": body["superior_officer_id"],
                   "period_from": body["period_from"], "period_until": body["period_until"],
                   "signed_at": rec.occurred_at, "document_sha256": body["document_sha256"]})
    pledge["status"] = "countersigned" if pledge["countersigned_by"] else "signed"
    state["pledge_status"] = _latest_pledge_status(state)


def _pledge_countersigned(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    pid = rec.stream.partition(":")[2]
    pledge = _pledge(state, pid)
    pledge.update({"countersigned_by": body["countersigned_by"],
                   "countersigner_level": body["countersigner_level"],
                   "countersigned_at": rec.occurred_at, "top_of_chain": body["top_of_chain"],
                   "status": "countersigned" if pledge["signed_at"] else "countersigned_unsigned"})
    state["pledge_status"] = _latest_pledge_status(state)


def _pledge(state: dict[str, Any], pid: str) -> dict[str, Any]:
    return state["pledges"].setdefault(pid, {
        "pledge_id": pid, "level": None, "unit_id": None, "superior_officer_id": None,
        "period_from": None, "period_until": None, "signed_at": None, "document_sha256": None,
        "countersigned_by": None, "countersigner_level": None, "countersigned_at": None,
        "top_of_chain": False, "status": "none"})


def _latest_pledge_status(state: dict[str, Any]) -> str:
    pledges = [p for p in state["pledges"].values() if p["period_from"]]
    if not pledges:
        return "none"
    latest = max(pledges, key=lambda p: (p["period_from"], p["pledge_id"]))
    return "countersigned" if latest["status"] == "countersigned" else "signed"


# --- events on other streams ------------------------------------------------------------------

#: acts an integrator may post again under a new event id: the field keeping what each was
#: (by case), what tells one from another, and when two are one
_ONCE: dict[str, tuple[str, Callable[..., tuple], Callable[[Any, Any], bool]]] = {
    "PenaltyDecided": ("case_decisions", decision_key, same_decision),
    "OnsiteCashCollected": ("case_collections", collection_key, same_collection)}


def _case_act(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    case_id = rec.stream.partition(":")[2]
    once = _ONCE.get(rec.type)
    if once is not None:
        field, key_of, same = once
        key = key_of(body, rec.occurred_at)
        seen = state[field].setdefault(case_id, [])
        if any(same(tuple(x), key) for x in seen):
            return              # the same act recorded again, as the case view reads it
        seen.append(list(key))
    load = state["caseload"]
    acts = state["case_acts"]
    if case_id not in acts:
        acts[case_id] = 0
        load["cases"] += 1
    acts[case_id] += 1
    load["acts"] += 1
    t = rec.type
    if t == "PenaltyDecided":
        load["decisions"] += 1
        load["summary_decisions" if body["procedure"] == "summary" else "general_decisions"] += 1
        load["decided_fen"] += body["amount_fen"]
    elif t == "WaiverGranted":
        load["waivers"] += 1
    elif t == "DecisionFormVoided":
        load["voided_forms"] += 1
    elif t == "OnsiteCashCollected":
        load["cash_collections"] += 1
    elif t == "PropertySeized":
        load["seizures"] += 1


def count_voided(state: dict[str, Any], case_id: str, decision_no: str, decided_at: str,
                 procedure: str | None, voided: bool) -> bool:
    """Count decision ``decision_no`` made at ``decided_at`` in case ``case_id`` (one of the
    person's ``case_decisions``) as voided — its form voided before it was served, so no
    decision or fine imposed (``voided_decisions`` instead of ``decisions``, its procedure's
    count and ``decided_fen``) — or, ``voided`` False, as a decision again (a service dated
    before the void, recorded after it). The case's fold knows which: the person's own
    events do not say it (the service and the void may name other officers). Returns
    whether the count changed."""
    ts = ts_of(decided_at)
    made = next((x for x in state["case_decisions"].get(case_id, ())
                 if (x[0], x[1]) == (decision_no, ts)), None)
    if made is None:
        return False
    counted = state["case_voided"].setdefault(case_id, [])
    if (made in counted) == voided:
        return False
    if voided:
        counted.append(made)
    else:
        counted.remove(made)
    if not counted:
        del state["case_voided"][case_id]
    sign = -1 if voided else 1
    load = state["caseload"]
    load["decisions"] += sign
    load["summary_decisions" if procedure == "summary" else "general_decisions"] += sign
    load["decided_fen"] += sign * made[2]
    load["voided_decisions"] -= sign
    return True


def _recusal(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    if body["officer_id"] == state["officer_id"]:
        state["recusals"].append({"case_id": rec.stream.partition(":")[2],
                                  "decision": body["decision"], "event_id": rec.event_id})
    if state["officer_id"] in _actors(body):
        _case_act(state, rec, body)


def _dispatch(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    state["dispatches"].append({"order_id": body["order_id"], "from": body["window_from"],
                                "until": body["window_until"], "grid_ids": body.get("grid_ids"),
                                "event_id": rec.event_id})


def _patrol(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    state["patrols"] += 1


def _complaint(state: dict[str, Any], rec: Recorded, body: dict[str, Any]) -> None:
    c = state["complaints"]
    c["total"] += 1
    c["by_category"][body["category"]] = c["by_category"].get(body["category"], 0) + 1
    c["ids"].append(rec.stream.partition(":")[2])


_HANDLERS: dict[str, Callable[[dict[str, Any], Recorded, dict[str, Any]], None]] = {
    "OfficerCredentialIssued": _credential_issued,
    "OfficerCredentialSuspended": _credential_suspended,
    "OfficerCredentialExpired": _credential_expired,
    "AuxiliaryStaffRegistered": _auxiliary,
    "PostAssigned": _post,
    "RelationshipDeclared": _relationship,
    "OfficerWarningIssued": _warning,
    "IntegrityPledgeSigned": _pledge_signed,
    "IntegrityPledgeCountersigned": _pledge_countersigned,
    "RecusalDecided": _recusal,
    "DispatchOrderIssued": _dispatch,
    "PatrolStarted": _patrol,
    "ComplaintReceived": _complaint,
}


# --- queries over a state (used by the case model and the red-flag rules) ----------------------

def credential_at(state: dict[str, Any] | None, at: str, cert_no: str | None = None, *,
                  offset_minutes: int = 480) -> dict[str, Any]:
    """The status of a person acting with certificate ``cert_no`` (None: none named) at instant
    ``at`` (RFC 3339), its day judged in the legal time zone ``offset_minutes`` (the published
    ``legal_utc_offset_minutes``), with RF02's judgement (:func:`~.redflags.facts
    .person_credential`): the status and the certificate used, with its validity if issued.

    ``status`` is one of: valid, suspended, expired, revoked, not_yet_valid, unknown_certificate
    (``cert_no`` never issued to this person), no_credential (no certificate at all),
    auxiliary (auxiliary staff with no certificate), unknown_person (no state, or no HR event
    and no certificate). Without ``cert_no``, the person's earliest-starting certificate valid
    at ``at`` is used if there is one, else the latest-starting one.
    """
    return credential_on(state, parse_datetime(at),
                         legal_date(at, offset_minutes=offset_minutes).isoformat(), cert_no)


def credential_on(state: dict[str, Any] | None, t: datetime, day: str,
                  cert_no: str | None = None) -> dict[str, Any]:
    """:func:`credential_at` at the parsed instant ``t`` of legal day ``day`` (ISO date), for a
    caller that judges several persons acting at one instant (the case model: each act's
    officers) and has both already."""
    creds = state["credentials"] if state is not None else {}
    status, used = person_credential(state["kind"] if state is not None else None, creds,
                                     cert_no, lambda c: _status(c, t, day),
                                     lambda c: c["valid_from"])
    cred = creds.get(used) if used is not None else None
    if cred is None or cred["valid_from"] is None:
        return {"status": status, "cert_no": used}
    return {"status": status, "cert_no": used, "valid_from": cred["valid_from"],
            "valid_until": cred["valid_until"]}


class Judgements:
    """:func:`credential_on` for a fold that judges every act of a city, remembered per person,
    certificate named and legal day while the person holds nothing that starts or ends at an
    instant (a suspension or an end does): then the day decides the judgement, and a person
    acting many times a day is judged once for it.

    ``officer(officer_id)`` gives the person's state as folded so far. Requires
    :meth:`forget` of a person whenever an event of :data:`CREDENTIAL_EVENTS` is folded into
    their state (the only events that change their kind or certificates). Every act judged
    alike shares one answer: it is never changed in place.

    A person's memory holds at most :attr:`DAYS` (certificate, day) answers and starts again
    when full: a fold meets a person's acts roughly in time order, so the days just judged are
    the ones asked again, and a live projector folding years of history keeps a bounded memory
    (officers × ``DAYS``, not officers × days acted)."""

    #: (certificate named, day) answers remembered per person
    DAYS = 16

    def __init__(self, officer: Callable[[str], dict[str, Any] | None]) -> None:
        self._officer = officer
        #: person -> (the state judged, {(certificate named, day): judgement}, or None when
        #: their judgement depends on the instant)
        self._by_person: dict[str, tuple[dict[str, Any] | None,
                                         dict[tuple[str | None, str], dict[str, Any]] | None]] = {}

    def at(self, officer_id: str, t: datetime, day: str, cert_no: str | None
           ) -> dict[str, Any]:
        state = self._officer(officer_id)
        judged = self._by_person.get(officer_id)
        if judged is None or judged[0] is not state:
            judged = self._by_person[officer_id] = (state, {} if _by_day(state) else None)
        memo = judged[1]
        if memo is None:
            return credential_on(state, t, day, cert_no)
        status = memo.get((cert_no, day))
        if status is None:
            if len(memo) >= self.DAYS:
                memo.clear()
            status = memo[(cert_no, day)] = credential_on(state, t, day, cert_no)
        return status

    def forget(self, officer_id: str) -> None:
        self._by_person.pop(officer_id, None)


def _by_day(state: dict[str, Any] | None) -> bool:
    """Whether the day alone decides how the person's acts are judged (:func:`_status`)."""
    return state is None or all(not c["ended_at"] and not c["suspensions"]
                                for c in state["credentials"].values())


def _status(cred: dict[str, Any], t: datetime, day: str) -> str:
    ended = parse_datetime(cred["ended_at"]) if cred["ended_at"] else None
    return credential_status(cred["valid_from"], cred["valid_until"], ended, cred["end_reason"],
                             ((parse_datetime(s["from"]), s["until"])
                              for s in cred["suspensions"]), t, day)


def post_at(state: dict[str, Any] | None, at: str) -> dict[str, Any] | None:
    """The post assignment covering instant ``at`` (the latest-starting one), or None."""
    if state is None:
        return None
    t = parse_datetime(at)
    covering = [p for p in state["posts"] if parse_datetime(p["from"]) <= t
                and (p["until"] is None or t < parse_datetime(p["until"]))]
    return max(covering, key=lambda p: parse_datetime(p["from"]), default=None)


def _before(a: str, b: str) -> bool:
    return parse_datetime(a) < parse_datetime(b)
