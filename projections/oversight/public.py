"""Public disclosure of penalty decisions (公示): a pure reducer per case and the public entry.

Redaction is structural: the reducer copies a whitelist of fields from the decision and
publication events and never reads a party reference, an officer, a place or a document
digest, so nothing personal reaches the stored state, let alone the feed. An organisation's
registered name is public (APL 第48条, GBF2018_118) and is kept, with any ID number, mobile
number or plate typed into it masked (free text, so not refused at the door); an individual's
is never on the ledger, and an ``org_name`` sent for an individual is dropped. The other
strings copied — decision number, legal basis, publication reference, URL — are refused at the
door if they hold one (ledger/domain/personal.py).

A withdrawn publication stays in the feed as a marker without content — decision number,
publication reference, unit, date and reason — because APL 第48条第2款 requires the agency to
withdraw the information *and publicly state why*. Each publication of a case (another channel,
a decision made anew) is an entry of its own, withdrawn by its ``publication_ref``.
"""

from __future__ import annotations

from typing import Any, Mapping

from ledger.domain import upcast
from ledger.domain.calendar import legal_date
from ledger.domain.params import FineRule
from ledger.domain.personal import mask
from ledger.domain.statutes import cited
from ledger.envelope import Recorded
from ledger.schemas import parse_datetime

from ..redflags.days import ts_of
from ..redflags.facts import decision_key, same_decision

#: case events that change what the public feed shows
TYPES = frozenset({"PenaltyDecided", "PenaltyAmended", "PenaltyWithdrawn", "DecisionPublished",
                   "DecisionPublicationWithdrawn"})


def concerns(rec: Recorded) -> str | None:
    """The case id whose public record ``rec`` changes, or None."""
    if rec.type in TYPES and rec.stream.startswith("case:"):
        return rec.stream.partition(":")[2]
    return None


def new_state(case_id: str) -> dict[str, Any]:
    return {"case_id": case_id, "unit_id": None, "decisions": {}, "in_force": None,
            "held": {}, "publications": [], "events": []}


def apply(state: dict[str, Any] | None, rec: Recorded, *, unit_id: str | None,
          fine_schedule: Mapping[str, FineRule], offset_minutes: int) -> dict[str, Any]:
    """Fold one event of :data:`TYPES` into the public record of its case. ``unit_id`` is the
    case's unit (from the case read model). Decisions are kept by number, as the case model
    keeps them: a publication shows the decision it names (else the one in force: the latest
    decided), and an amendment or revocation changes only the decision it names — one recorded
    before its decision is held and applied when the decision arrives, if dated at or after it."""
    if state is None:
        state = new_state(rec.stream.partition(":")[2])
    body = upcast(rec.type, rec.body)
    day = legal_date(rec.occurred_at, offset_minutes=offset_minutes).isoformat()
    state["unit_id"] = unit_id or state["unit_id"]
    state["events"].append(rec.event_id)
    t = rec.type
    if t == "PenaltyDecided":
        known = state["decisions"].get(body["decision_no"])
        if known is not None and same_decision(
                (body["decision_no"], known["decided_at"], known["decided_fen"]),
                decision_key(body, rec.occurred_at)):
            return state    # recorded again (a retry under a new event id): its changes stand
        party = body["party"]
        rule = fine_schedule.get(body["violation_code"])
        current = state["decisions"].get(state["in_force"])
        if current is None or day >= current["decided_on"]:     # not an earlier one, late
            state["in_force"] = body["decision_no"]
        decision = state["decisions"][body["decision_no"]] = {
            "violation": {"code": body["violation_code"], "name": rule.name if rule else None},
            "legal_basis": body["legal_basis"],
            "penalty": {"types": list(body["penalty_types"]), "amount_fen": body["amount_fen"]},
            "decided_on": day,
            # what makes it the same decision if recorded again (facts.same_decision)
            "decided_at": ts_of(rec.occurred_at), "decided_fen": body["amount_fen"],
            "organisation": (mask(party["org_name"]) if party["party_type"] == "organisation"
                             and party.get("org_name") is not None else None),
        }
        held = state["held"].pop(body["decision_no"], [])
        for change in sorted(held, key=lambda h: parse_datetime(h["occurred_at"])):
            if parse_datetime(change["occurred_at"]) >= parse_datetime(rec.occurred_at):
                decision.update(change["set"])
    elif t == "PenaltyAmended":
        penalty = {"types": list(body["penalty_types"]), "amount_fen": body["amount_fen"]}
        _change(state, body["decision_no"], rec,
                {"penalty": penalty, "amended_on": day, "amended_at": rec.occurred_at})
    elif t == "PenaltyWithdrawn":
        _change(state, body["decision_no"], rec, {"revoked_on": day})
    elif t == "DecisionPublished":
        pubs = state["publications"]
        pubs[:] = [p for p in pubs if p["publication_ref"] != body["publication_ref"]]
        pubs.append({"decision_no": body["decision_no"],
                     "publication_ref": body["publication_ref"], "channel": body["channel"],
                     "url": body.get("url"), "published_on": day,
                     "published_at": rec.occurred_at, "withdrawal": None})
    elif t == "DecisionPublicationWithdrawn":
        pubs = state["publications"]
        named = [p for p in pubs if p["publication_ref"] == body["publication_ref"]]
        # a reference no publication has withdraws the latest one still up (as RF12 counts it)
        pub = (named or [p for p in pubs if p["withdrawal"] is None] or [None])[-1]
        if pub is not None:
            pub["withdrawal"] = {"reason": body["reason"], "withdrawn_on": day}
    return state


def _change(state: dict[str, Any], decision_no: str, rec: Recorded,
            fields: dict[str, Any]) -> None:
    """Set ``fields`` on the decision ``decision_no``, or hold them for it: its decision may be
    recorded later."""
    if decision_no in state["decisions"]:
        state["decisions"][decision_no].update(fields)
    else:
        state["held"].setdefault(decision_no, []).append(
            {"occurred_at": rec.occurred_at, "set": fields})


def voided(state: dict[str, Any], decision_no: str, decided_at: str,
           voided_on: str | None) -> bool:
    """Mark decision ``decision_no`` made at ``decided_at`` voided since legal day
    ``voided_on`` — its numbered form voided before it was served (void_model._void), so it
    never took effect — or, ``voided_on`` None, not voided (a service dated before the void,
    recorded after it). The case's fold knows which (readmodels.Fold); this record sees no
    void or service. Returns whether the record changed."""
    d = state["decisions"].get(decision_no)
    if d is None or d["decided_at"] != ts_of(decided_at) or d.get("voided_on") == voided_on:
        return False
    d["voided_on"] = voided_on
    return True


def entry(state: Mapping[str, Any], pub: Mapping[str, Any]) -> dict[str, Any]:
    """What the public feed shows of ``pub``, one of the case's ``publications``.

    Exactly these fields: decision number, violation (code and name), legal basis (as the
    decision cites it, and with its statute's title: :func:`ledger.domain.statutes.cited`),
    penalty (types and amount), decision date, publication (date, reference, channel, URL),
    unit, and the organisation's registered name for organisations. A withdrawn publication
    keeps only decision number, publication reference, unit and the withdrawal (date and
    reason); one of a revoked decision not yet withdrawn keeps the same but the revocation's
    date instead, one of a decision whose form was voided the void's date, and one of a
    decision amended after it was published the amendment's date (a publication made after
    the amendment shows the amended decision in full)."""
    if pub["withdrawal"] is not None:
        w = pub["withdrawal"]
        return {"status": "withdrawn", "decision_no": pub["decision_no"],
                "publication_ref": pub["publication_ref"], "unit_id": state["unit_id"],
                "published_on": pub["published_on"], "withdrawn_on": w["withdrawn_on"],
                "withdrawal_reason": w["reason"]}
    d = (state["decisions"].get(pub["decision_no"])
         or state["decisions"].get(state["in_force"]) or {})
    if d.get("revoked_on") is not None:     # APL 第48条第2款: withdrawal and reason still owed
        return {"status": "revoked", "decision_no": pub["decision_no"],
                "publication_ref": pub["publication_ref"], "unit_id": state["unit_id"],
                "published_on": pub["published_on"], "revoked_on": d["revoked_on"]}
    if d.get("voided_on") is not None:      # never took effect: no content, as revoked
        return {"status": "voided", "decision_no": pub["decision_no"],
                "publication_ref": pub["publication_ref"], "unit_id": state["unit_id"],
                "published_on": pub["published_on"], "voided_on": d["voided_on"]}
    if (d.get("amended_at") is not None     # changed (变更) since: the same duty, same marker
            and parse_datetime(d["amended_at"]) > parse_datetime(pub["published_at"])):
        return {"status": "amended", "decision_no": pub["decision_no"],
                "publication_ref": pub["publication_ref"], "unit_id": state["unit_id"],
                "published_on": pub["published_on"], "amended_on": d["amended_on"]}
    basis = d.get("legal_basis")
    return {"status": "published", "decision_no": pub["decision_no"],
            "violation": d.get("violation"), "legal_basis": basis,
            "legal_basis_cited": None if basis is None else cited(basis),
            "penalty": d.get("penalty"), "decided_on": d.get("decided_on"),
            "organisation": d.get("organisation"), "unit_id": state["unit_id"],
            "published_on": pub["published_on"], "publication_ref": pub["publication_ref"],
            "channel": pub["channel"], "url": pub["url"]}
