"""Folding recorded events into the compact indexes of :mod:`.facts` (per case, officer,
party, unit, complaint, cohort and grid): one dictionary dispatch and a few appends per event,
keeping only the fields rules compare, never the event bodies. ``Fold.apply`` returns the
subjects to re-evaluate."""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.domain import EVENT_TYPES, upcast
from ledger.domain.keys import fold_device_key

from .days import Days, quarter_of, ts_of
from .facts import (MAX_WINDOW_QUARTERS, PERSON_FIELDS, Act, Case, Cash, Change, Complaint,
                    Credential, Decision, Dispatch, Disposition, Ev, Evidence, Notice, Officer,
                    Outcome, Payment, Plan, Pledge, Post, Seizure, Supervision, Unit, deciders_of,
                    loc_of, payment_key, quarter_shift, same_collection, same_decision,
                    same_payment)

#: case events an integrator may post again under a new event id, counted once
#: (:meth:`Fold._recorded_again`; a payment, which names no one, in its own fold)
_ONCE = frozenset({"PenaltyDecided", "OnsiteCashCollected"})


#: per case event type: (has actor lists, has decided_by, person fields other than those)
_SHAPE: dict[str, tuple[bool, bool, tuple[str, ...]]] = {
    name: (any(k in t.body.fields for k in ("officers", "investigators")),
           "decided_by" in t.body.fields,
           tuple(k for k in PERSON_FIELDS if k in t.body.fields and k != "decided_by"))
    for name, t in EVENT_TYPES.items() if "case" in t.stream_kinds}


class Fold:
    """Applies recorded events to the indexes. ``apply`` returns the subjects to re-evaluate
    as ``(kind, key)`` tuples; ``"*"`` as a key means every subject of that kind."""

    def __init__(self, days: Days) -> None:
        self.days = days
        self.cases: dict[str, Case] = {}
        self.officers: dict[str, Officer] = {}
        self.parties: dict[str, dict[str, None]] = {}
        self.units: dict[str, Unit] = {}
        self.complaints: dict[str, Complaint] = {}
        self.supervisions: dict[str, Supervision] = {}
        self.cohorts: dict[str, dict[str, None]] = {}
        self.grids: dict[str, dict[str, None]] = {}
        #: receipt number -> its uses (collected at, log index, case id, event id), log order
        self.receipts: dict[str, list[tuple[int, int, str, str]]] = {}
        #: payment id -> its records (paid at, log index, case id, event id, payment_key),
        #: one per payment of a case (RF06.f: the same id with another key or in another case)
        self.payment_ids: dict[str, list[tuple[int, int, str, str, tuple[str, str, int, str]]]] = {}
        #: flag_id -> its dispositions in log order
        self.dispositions: dict[str, list[Disposition]] = {}
        #: inspector id -> the flags they disposed of, in the order first disposed of (RF30)
        self.disposed_by: dict[str, dict[str, None]] = {}
        #: key id -> the units of its KeyRegistered (None: every unit)
        self.key_units: dict[str, frozenset[str] | None] = {}
        #: key id -> the capture device it is bound to (``bound_device``), device keys only
        self.key_devices: dict[str, str] = {}
        #: ("case" | "officer", id) -> (log index, unit before it) for each time a known unit
        #: changed (a CaseFiled after a clue of another unit; a post or credential in another
        #: unit): RF28 judges a disposition against the flag's unit at its log position
        self.unit_was: dict[tuple[str, str], list[tuple[int, str]]] = {}
        #: False while the caller will evaluate every subject anyway (``apply_all``): the
        #: subjects an event touches need not all be found
        self.tracking = True
        #: the key id that signed the case event being folded (``apply_case``)
        self._signer = ""
        self._case_handlers = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("_c_")}

    # --- entry -----------------------------------------------------------------------------

    def officer(self, oid: str) -> Officer:
        o = self.officers.get(oid)
        if o is None:
            o = self.officers[oid] = Officer(oid)
        return o

    def unit_at(self, source: tuple[str, str], idx: int, now: str | None) -> str | None:
        """The unit of ``source`` (``("case", id)`` or ``("officer", id)``, whose unit is
        ``now``) just after the event at log index ``idx``: the unit it had before the first
        change recorded after ``idx``. Before its first unit was known, its first unit."""
        for changed, before in self.unit_was.get(source, ()):
            if changed > idx:
                return before
        return now

    def _moved(self, source: tuple[str, str], before: str | None, after: str | None,
               idx: int) -> None:
        if before is not None and after != before:
            self.unit_was.setdefault(source, []).append((idx, before))

    def role_at(self, oid: str, ts: int) -> str:
        """The role of the post ``oid`` held at ``ts`` (``unknown`` without one)."""
        o = self.officers.get(oid)
        post = o.post_at(ts) if o is not None else None
        return post.role if post is not None else "unknown"

    def case(self, cid: str) -> Case:
        c = self.cases.get(cid)
        if c is None:
            c = self.cases[cid] = Case(cid)
        return c

    def apply_case(self, cid: str, type_: str, body: dict[str, Any], ts: int, rts: int,
                   eid: str, idx: int, dirty: set[tuple[str, str]], signer: str = "") -> None:
        """Fold a case event; ``signer`` is its signer's key id (``key:`` dropped)."""
        self._signer = signer
        c = self.cases.get(cid)
        if c is None:
            c = self.cases[cid] = Case(cid)
        dirty.add(("case", cid))
        c.events.append(Ev(type_, ts, rts, eid, idx))
        if ts > rts:
            c.ahead[eid] = rts
        if type_ in _ONCE and self._recorded_again(c, type_, body, ts):
            return                 # the same act posted again under a new event id: once
        shape = _SHAPE.get(type_)
        if shape is None:
            return
        has_actors, has_deciders, person_fields = shape
        persons = c.persons
        if has_actors or has_deciders:
            refs = body.get("officers") or body.get("investigators") if has_actors else None
            actors = tuple([(r["officer_id"], r.get("cert_no")) for r in refs]) if refs else ()
            deciders = deciders_of(body) if has_deciders else ()
            if actors or deciders:
                loc = body.get("location")
                c.acts.append(Act(type_, ts, eid, actors, deciders,
                                  loc_of(loc) if loc else None,
                                  body.get("measure") or body.get("procedure")))
                officers = self.officers
                act = (ts, cid, eid)
                for oid in {oid for oid, _ in actors}.union(deciders):
                    o = officers.get(oid)
                    if o is None:
                        o = officers[oid] = Officer(oid)
                    o.acts.append(act)
                    if oid not in persons:
                        persons.add(oid)
                        o.cases[cid] = None
                    dirty.add(("officer", oid))
        for key in person_fields:
            v = body.get(key)
            if v:
                for pid in ((v,) if type(v) is str else v):
                    if pid not in persons:
                        persons.add(pid)
                        self.officer(pid).cases[cid] = None
        handler = self._case_handlers.get(type_)
        if handler is not None:
            loc, unit = c.loc, c.unit_id
            handler(c, body, ts, rts, eid, idx, dirty)
            self._moved(("case", cid), unit, c.unit_id, idx)
            if c.unit_id != unit:          # the unit names the flags of every scope it feeds
                self._unit_dirty(c, dirty)
            elif c.loc is not loc:         # the place feeds party and grid rules (RF13/14/19)
                for ref in c.parties:
                    dirty.add(("party", ref))
                dirty.update(c.stat_keys)
        if c.complaints:                   # RF23.c reads who acted in the complained case
            for complaint in c.complaints:
                dirty.add(("complaint", complaint))

    @staticmethod
    def _recorded_again(c: Case, type_: str, body: dict[str, Any], ts: int) -> bool:
        """Whether a decision or an on-the-spot collection is one the case has
        (:func:`same_decision`, :func:`same_collection`): neither its act nor its fine or cash
        counts again."""
        if type_ == "PenaltyDecided":
            again = (body["decision_no"], ts, body["amount_fen"])
            return any(same_decision((d.decision_no, d.ts, d.amount), again)
                       for d in c.decided)
        cash = (body.get("receipt_no"), body["decision_no"], ts, body["amount_fen"])
        return any(same_collection((x.receipt_no, x.decision_no, x.ts, x.amount), cash)
                   for x in c.cash)

    # --- case facts ------------------------------------------------------------------------

    def _party(self, c: Case, ref: str, ptype: str | None, dirty: set[tuple[str, str]]) -> None:
        if ref not in c.parties or (ptype and not c.parties[ref]):
            c.parties[ref] = ptype
        cases = self.parties.get(ref)
        if cases is None:
            cases = self.parties[ref] = {}
        if c.case_id not in cases:
            cases[c.case_id] = None
        dirty.add(("party", ref))

    def _c_ClueRegistered(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                          dirty: set) -> None:
        c.unit_id = c.unit_id or b["unit_id"]
        c.code = c.code or b.get("violation_code")
        c.loc = c.loc or loc_of(b.get("location"))

    def _c_CaseFiled(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                     dirty: set) -> None:
        c.unit_id = b["unit_id"]
        c.procedure = c.procedure or b["procedure"]
        if c.filed is None:
            c.filed = Ev("CaseFiled", ts, rts, eid, idx)
        if c.general_filed is None and b["procedure"] == "general":
            c.general_filed = Ev("CaseFiled", ts, rts, eid, idx)
        if b.get("violation_code"):
            c.code = b["violation_code"]
        if b.get("violation_occurred_at"):
            c.violation_ts = ts_of(b["violation_occurred_at"])
        if b.get("violation_ended_at"):
            c.violation_end_ts = ts_of(b["violation_ended_at"])
        c.loc = loc_of(b.get("location")) or c.loc
        for p in b["parties"]:
            self._party(c, p["party_ref"], p["party_type"], dirty)

    def _c_EvidenceRecorded(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                            dirty: set) -> None:
        if b.get("schema_version", 1) < 2:
            b = upcast("EvidenceRecorded", b)
        dev = b["capture_device"]
        officers = frozenset(r["officer_id"] for r in b.get("officers") or ())
        # a claim anyone can type: it counts only when the device's own key signed the event
        # (a key registered before it, in log order, as the door requires)
        claimed = bool(b["device_signed"])
        by_device = self.key_devices.get(self._signer) == dev["device_id"]
        c.evidence.append(Evidence(ts, ts_of(b["captured_at"]), rts, eid, idx, b["kind"],
                                   claimed and by_device, dev.get("device_type"),
                                   dev.get("assigned_officer_id"), officers,
                                   b["evidence_id"], claimed, dev["device_id"], self._signer,
                                   by_device))
        c.loc = c.loc or loc_of(b.get("location"))

    def _c_CredentialShown(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                           dirty: set) -> None:
        c.shown.append((ts, eid))
        if b.get("evidence_id"):
            c.shown_on[eid] = b["evidence_id"]

    def _c_RectificationOrdered(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                                dirty: set) -> None:
        deadline = ts_of(b["deadline"]) if b.get("deadline") else None
        c.rect_orders.append((ts, deadline, b["party_ref"], eid))
        self._party(c, b["party_ref"], None, dirty)

    def _c_RectificationVerified(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                                 dirty: set) -> None:
        c.rect_verified.append((ts, b["result"], eid))
        for ref in c.parties:
            dirty.add(("party", ref))

    def _c_WarningIssued(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                         dirty: set) -> None:
        c.warnings.append((ts, b["party_ref"], b["form"], b.get("violation_code"), eid))
        self._party(c, b["party_ref"], None, dirty)

    def _c_InspectionPerformed(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                               dirty: set) -> None:
        c.loc = c.loc or loc_of(b.get("location"))

    def _c_InvestigationConcluded(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                                  dirty: set) -> None:
        c.investigation.append((ts, eid))

    def _c_BenchmarkApplied(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                            dirty: set) -> None:
        c.benchmarks.append((ts, b["benchmark_table_id"], b["violation_code"], b["tier"],
                             b["band"]["min_fen"], b["band"]["max_fen"], eid))
        self._cohort_dirty(c, dirty)

    def _c_DeviationApproved(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                             dirty: set) -> None:
        c.deviations.append((ts, b["approval_form"], b["proposed_amount_fen"], b["approved_by"],
                             eid))
        self._cohort_dirty(c, dirty)

    def _c_PenaltyNoticeServed(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                               dirty: set) -> None:
        c.notices.append(Notice(ts, eid, b["proposed_amount_fen"],
                                frozenset(b["proposed_penalty_types"]), b["hearing_eligible"],
                                b["violation_code"], b["party_ref"],
                                frozenset(b["rights_notified"])))
        c.code = c.code or b["violation_code"]
        self._party(c, b["party_ref"], None, dirty)

    def _c_StatementReceived(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                             dirty: set) -> None:
        c.statements.append((ts, eid, b["party_ref"]))

    def _c_DefenceReviewed(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                           dirty: set) -> None:
        c.reviews.append((ts, eid))

    def _c_RightsWaived(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                        dirty: set) -> None:
        c.waived.append((ts, frozenset(b["rights"]), eid, b["party_ref"]))

    def _c_HearingRequested(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                            dirty: set) -> None:
        c.hearing_requests.append((ts, eid, b["party_ref"]))

    def _c_HearingScheduled(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                            dirty: set) -> None:
        c.hearings_scheduled.append((ts, ts_of(b["scheduled_for"]), b["presider_id"], eid))

    def _c_HearingHeld(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                       dirty: set) -> None:
        c.hearings_held.append((ts, b["presider_id"],
                                tuple(r["officer_id"] for r in b["investigators"]), eid))

    def _c_LegalReviewCompleted(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                                dirty: set) -> None:
        c.legal_reviews.append((ts, b["reviewer_id"], bool(b["reviewer_qualified"]), b["result"],
                                eid))

    def _c_CollectiveDiscussionHeld(self, c: Case, b: dict, ts: int, rts: int, eid: str,
                                    idx: int, dirty: set) -> None:
        c.collective.append((ts, b["conclusion"], eid))

    def _c_ExtensionApproved(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                             dirty: set) -> None:
        c.extensions.append((ts, b["days"], b["approved_by"], b["approval_form"], eid, rts,
                             idx))

    def _c_PenaltyDecided(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                          dirty: set) -> None:
        p = b["party"]
        officers = tuple(dict.fromkeys(r["officer_id"] for r in b["officers"]))
        unit = c.unit_id or "-"
        d = Decision(ts, rts, eid, idx, b["procedure"], p["party_ref"], p["party_type"],
                     b["violation_code"], b["legal_basis"], frozenset(b["penalty_types"]),
                     b["amount_fen"], tuple(b["decided_by"]), officers, b.get("form_no"),
                     b.get("benchmark_tier"), b.get("payment_method"), loc_of(b.get("location")),
                     b["decision_no"], unit)
        c.decided.append(d)
        if c.voided:
            self._unvoided(c, dirty)
        else:                       # c.decisions is c.decided
            c.index_party(d)
        c.procedure = c.procedure or b["procedure"]
        c.code = b["violation_code"]
        c.loc = c.loc or d.loc
        self._party(c, p["party_ref"], p["party_type"], dirty)
        u = self.units.get(unit)
        if u is None:
            u = self.units[unit] = Unit(unit)
        if c.case_id not in u.cases:
            u.cases[c.case_id] = None
        day = self.days.day(ts)
        q = quarter_of(day)
        grid = (c.loc.grid if c.loc and c.loc.grid else None) or f"unit:{unit}"
        gkey = f"{grid}|{q}"
        gm = self.grids.get(gkey)
        if gm is None:
            gm = self.grids[gkey] = {}
        gm[c.case_id] = None
        for k in (("grid", gkey), ("unit", unit)):
            c.stat_keys[k] = None
            dirty.add(k)
        self._stat_member(c, f"discretion|{q}", dirty, keep=True)
        if b["procedure"] == "summary":          # a numbered form: RF20.c's denominator
            self._stat_member(c, f"void|{q}", dirty, keep=False)

    def _stat_member(self, c: Case, key: str, dirty: set, *, keep: bool) -> None:
        """File the case under the statistics cohort ``key`` (``<kind>|<quarter>``, ledger-wide:
        RF17 ``discretion``, RF20.c ``void``) and mark it and the later quarters whose windows
        include it. ``keep``: remember it for late facts that change how the case counts."""
        members = self.cohorts.get(key)
        if members is None:
            members = self.cohorts[key] = {}
        members[c.case_id] = None
        if keep:
            c.stat_keys[("cohort", key)] = None
        dirty.add(("cohort", key))
        self._window_dirty(key, dirty)

    def _window_dirty(self, key: str, dirty: set) -> None:
        """A quarter's cases also count in the windows of the following quarters' cohorts
        (``stats_window_quarters`` ≤ :data:`MAX_WINDOW_QUARTERS`): mark those that exist (one
        created later is evaluated then anyway)."""
        if not self.tracking:
            return
        kind, _, quarter = key.partition("|")
        for k in range(1, MAX_WINDOW_QUARTERS):
            later = f"{kind}|{quarter_shift(quarter, k)}"
            if later in self.cohorts:
                dirty.add(("cohort", later))

    def _cohort_dirty(self, c: Case, dirty: set) -> None:
        """A fact that changes how the case's decisions count (deviation, benchmark, amendment,
        withdrawal): re-evaluate every statistic and party rule the case feeds."""
        dirty.update(c.stat_keys)
        for kind, key in c.stat_keys:
            if kind == "cohort":
                self._window_dirty(key, dirty)
        for ref in c.parties:
            dirty.add(("party", ref))

    def _unit_dirty(self, c: Case, dirty: set) -> None:
        """The case changed unit (a CaseFiled of another unit than its clue's or its first
        filing's): every scope whose flags carry the case's unit — its parties (RF13.b/c, RF14,
        RF18 name the case), its grids and both statistics cohorts it counts in (RF17, RF19.b,
        RF20.c name the unit most of an officer's cases were in), with the later quarters whose
        windows include them."""
        self._cohort_dirty(c, dirty)
        if not (c.decisions or c.voided or c.outcomes):
            return                  # no act counted in a cohort yet (a new case's first unit)
        for key, members in self.cohorts.items():   # RF20.c's void cohorts are not kept
            if c.case_id in members and ("cohort", key) not in dirty:
                dirty.add(("cohort", key))
                self._window_dirty(key, dirty)

    def _c_NoPenaltyDecided(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                            dirty: set) -> None:
        party = b.get("party_ref")     # one party of several spared; absent: the case's
        c.outcomes.append(Outcome("NoPenaltyDecided", ts, eid, b["ground"], None, party, None,
                                  tuple(b["decided_by"])))
        if party is not None:
            self._party(c, party, None, dirty)

    def _c_WaiverGranted(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                         dirty: set) -> None:
        c.outcomes.append(Outcome("WaiverGranted", ts, eid, b["basis"], b["waiver"],
                                  b["party_ref"], b["violation_code"], tuple(b["decided_by"])))
        c.code = c.code or b["violation_code"]
        self._party(c, b["party_ref"], None, dirty)
        # waiver shares are a leniency statistic of the waiving officers (RF17.f)
        self._stat_member(c, f"discretion|{quarter_of(self.days.day(ts))}", dirty, keep=True)

    def _c_TransferredToJudiciary(self, c: Case, b: dict, ts: int, rts: int, eid: str,
                                  idx: int, dirty: set) -> None:
        c.outcomes.append(Outcome("TransferredToJudiciary", ts, eid, b["to_authority"], None,
                                  None, None, ()))

    def _c_DecisionServed(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                          dirty: set) -> None:
        c.served.append((ts, eid))
        c.named[eid] = b["decision_no"]
        self._unvoided(c, dirty)

    def _c_SummaryDecisionFiled(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                                dirty: set) -> None:
        c.summary_filed.append((ts, eid))
        c.named[eid] = b["decision_no"]

    def _c_DecisionPublished(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                             dirty: set) -> None:
        c.published.append((ts, eid))
        c.named[eid] = b["decision_no"]

    def _c_DecisionPublicationWithdrawn(self, c: Case, b: dict, ts: int, rts: int, eid: str,
                                        idx: int, dirty: set) -> None:
        c.unpublished.append((ts, eid))
        c.named[eid] = b["decision_no"]

    def _c_PenaltyAmended(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                          dirty: set) -> None:
        c.changes.append(Change("PenaltyAmended", ts, eid, b["previous_amount_fen"],
                                b["amount_fen"], frozenset(b["penalty_types"]),
                                b.get("approval_id"), b.get("approved_by"),
                                b.get("approval_form"), False, b["decision_no"]))
        self._cohort_dirty(c, dirty)

    def _c_PenaltyWithdrawn(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                            dirty: set) -> None:
        c.changes.append(Change("PenaltyWithdrawn", ts, eid, None, 0, frozenset(),
                                b.get("approval_id"), b.get("approved_by"),
                                b.get("approval_form"), bool(b["refund_required"]),
                                b["decision_no"]))
        self._cohort_dirty(c, dirty)

    def _c_DecisionFormVoided(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                              dirty: set) -> None:
        officers = tuple(dict.fromkeys(r["officer_id"] for r in b["officers"]))
        c.voided.append((ts, b["form_no"], officers, eid))
        self._stat_member(c, f"void|{quarter_of(self.days.day(ts))}", dirty, keep=False)
        self._unvoided(c, dirty)

    def _unvoided(self, c: Case, dirty: set) -> None:
        """Read the case's decisions again after a decision, a void or a service: those whose
        form was not voided before they were served (:meth:`Case.void_of`), whatever the order
        of recording. Without a void, every decision recorded."""
        if not c.voided:
            return
        decisions = [d for d in c.decided if c.void_of(d) is None]
        if decisions != c.decisions:
            c.decisions = decisions
            self._cohort_dirty(c, dirty)   # its fines count elsewhere no more, or again
        # also when unchanged: c.decisions may be c.decided, which a decision just joined
        c.index_parties()

    def _c_CaseClosed(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                      dirty: set) -> None:
        c.closings.append((ts, b["outcome"], eid))

    def _c_PaymentRecorded(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                           dirty: set) -> None:
        key = payment_key(b)
        uses = self.payment_ids.setdefault(key[0], [])
        for i, p in enumerate(c.payments):
            if same_payment((p.payment_id, p.decision_no, p.amount, p.channel), key):
                if ts < p.ts:   # recorded again, dated earlier: the payment is the earliest
                    c.payments[i] = p._replace(ts=ts, eid=eid)
                    uses[:] = [(ts, idx, c.case_id, eid, key) if u[3] == p.eid else u
                               for u in uses]
                    self._payment_dirty(uses, dirty)
                return
        c.payments.append(Payment(ts, b["amount_fen"], b["channel"], eid, key[0], key[1]))
        uses.append((ts, idx, c.case_id, eid, key))
        self._payment_dirty(uses, dirty)

    @staticmethod
    def _payment_dirty(uses: list, dirty: set) -> None:
        """A payment id recorded in several cases: each is judged again (RF06.f)."""
        if len(uses) > 1:
            for _, _, other, _, _ in uses:
                dirty.add(("case", other))

    def _c_OnsiteCashCollected(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                               dirty: set) -> None:
        officers = tuple(dict.fromkeys(r["officer_id"] for r in b["officers"]))
        receipt = b.get("receipt_no")
        c.cash.append(Cash(ts, rts, eid, b["amount_fen"], receipt, b.get("receipt_book_id"),
                           b["justification"], b.get("justification_text"), officers,
                           b["decision_no"]))
        self._party(c, b["party_ref"], None, dirty)
        if receipt:
            uses = self.receipts.setdefault(receipt, [])
            uses.append((ts, idx, c.case_id, eid))
            if len(uses) > 1:
                for _, _, other, _ in uses:
                    dirty.add(("case", other))

    def _c_OnsiteCashRemitted(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                              dirty: set) -> None:
        c.remitted.append((ts, b["amount_fen"], eid))

    def _c_AgencyDeposited(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                           dirty: set) -> None:
        c.deposited.append((ts, b["amount_fen"], eid, rts, idx))

    def _c_TreasuryReconciled(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                              dirty: set) -> None:
        c.reconciled.append((ts, b["amount_fen"], b["result"], eid))

    def _c_SurchargeAssessed(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                             dirty: set) -> None:
        c.surcharges.append((ts, b["principal_fen"], b["rate_bp_per_day"], b["days"],
                             b["surcharge_fen"], eid, b.get("decision_no")))

    def _c_InstalmentApproved(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                              dirty: set) -> None:
        c.instalments.append(Plan(ts, eid, b["kind"], tuple(sorted(
            (_ord(i["due_date"]), i["amount_fen"]) for i in b["schedule"])), b["approved_by"],
            b["party_applied"], b.get("decision_no")))

    def _c_PropertySeized(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                          dirty: set) -> None:
        officers = tuple(dict.fromkeys(r["officer_id"] for r in b["officers"]))
        c.seizures.setdefault(b["seizure_id"], Seizure(
            ts, eid, b["measure"], frozenset(i["item_id"] for i in b["items"]), officers,
            b.get("approved_by")))

    def _c_PreservationOrdered(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                               dirty: set) -> None:
        officers = tuple(dict.fromkeys(r["officer_id"] for r in b["officers"]))
        c.seizures.setdefault(b["preservation_id"], Seizure(
            ts, eid, "registration_preservation", frozenset(i["item_id"] for i in b["items"]),
            officers, b.get("approved_by")))

    def _c_PropertyInventorySigned(self, c: Case, b: dict, ts: int, rts: int, eid: str,
                                   idx: int, dirty: set) -> None:
        c.inventories.setdefault(b["seizure_id"], []).append((ts, eid))

    def _c_PropertyReturned(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                            dirty: set) -> None:
        c.returned.setdefault(b["seizure_id"], []).append((ts, frozenset(b["item_ids"]), eid,
                                                            b["returned_to"]))

    def _c_PropertyDisposed(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                            dirty: set) -> None:
        c.disposed.setdefault(b["seizure_id"], []).append(
            (ts, frozenset(b["item_ids"]), b["method"], bool(b.get("record_sha256")),
             b.get("recipient_ref"), eid))

    def _c_RecusalDecided(self, c: Case, b: dict, ts: int, rts: int, eid: str, idx: int,
                          dirty: set) -> None:
        c.recusals.append((ts, b["officer_id"], b["decision"], eid, b["decided_by"]))

    # --- people ------------------------------------------------------------------------------

    def apply_officer(self, oid: str, type_: str, body: dict[str, Any], ts: int, eid: str,
                      dirty: set[tuple[str, str]], idx: int) -> None:
        o = self.officer(oid)
        dirty.add(("officer", oid))
        unit = o.unit_id
        self._apply_officer(o, type_, body, ts, eid, dirty)
        self._moved(("officer", oid), unit, o.unit_id, idx)

    def _apply_officer(self, o: Officer, type_: str, body: dict[str, Any], ts: int, eid: str,
                       dirty: set[tuple[str, str]]) -> None:
        if type_ == "OfficerCredentialIssued":
            o.kind = "officer"
            o.unit_id = body["unit_id"]
            cred = o.creds.get(body["cert_no"]) or Credential(body["cert_no"])
            cred.valid_from = _ord(body["valid_from"])
            cred.valid_until = _ord(body["valid_until"])
            cred.eid = eid
            o.creds[body["cert_no"]] = cred
        elif type_ in ("OfficerCredentialSuspended", "OfficerCredentialExpired"):
            cred = o.creds.get(body["cert_no"])
            if cred is None:
                cred = o.creds[body["cert_no"]] = Credential(body["cert_no"])
            if type_ == "OfficerCredentialSuspended":
                until = _ord(body["until"]) if body.get("until") else None
                cred.suspensions.append((ts_of(body["effective_at"]), until, eid))
            else:
                cred.ended_ts = ts_of(body["effective_at"])
                cred.end_reason = body["reason"]
        elif type_ == "AuxiliaryStaffRegistered":
            if o.kind != "officer":
                o.kind = "auxiliary"
            o.unit_id = o.unit_id or body["unit_id"]
        elif type_ == "PostAssigned":
            start = ts_of(body["window_from"])
            until = ts_of(body["window_until"]) if body.get("window_until") else None
            posts = []
            for p in o.posts:   # a new assignment ends the open-ended ones that started before
                if p.until is None and p.start < start:
                    p = p._replace(until=start)
                posts.append(p)
            posts.append(Post(start, until, frozenset(body["grid_ids"]), body["role"],
                              body["unit_id"], body.get("superior_officer_id"), eid))
            o.posts = posts
            o.unit_id = body["unit_id"]
        elif type_ == "RelationshipDeclared":
            o.relations.append((body["party_ref"], body["relation"], eid, ts))
        else:
            return
        for cid in o.cases:             # facts about the person change how their acts read
            dirty.add(("case", cid))
        for complaint in o.complaints:  # RF23.c: the accused's superior
            dirty.add(("complaint", complaint))
        if type_ == "PostAssigned":     # superiors in pledge chains (RF22), posts (RF19.c)
            dirty.add(("officer", "*"))
            dirty.add(("grid", "*"))
            dirty.add(("complaint", "*"))   # RF23.b: whether an approver was a head

    def apply_pledge(self, pid: str, type_: str, body: dict[str, Any], eid: str,
                     dirty: set[tuple[str, str]]) -> None:
        o = self.officer(body["officer_id"])
        p = o.pledges.get(pid)
        if p is None:
            p = o.pledges[pid] = Pledge(pid)
        if type_ == "IntegrityPledgeSigned":
            p.period_from, p.period_until = _ord(body["period_from"]), _ord(body["period_until"])
            p.superior, p.signed_eid = body["superior_officer_id"], eid
        else:
            p.countersigned_by, p.top = body["countersigned_by"], bool(body["top_of_chain"])
            p.countersigned_eid = eid
        dirty.add(("officer", "*"))      # a link serves every subordinate's chain

    def apply_dispatch(self, body: dict[str, Any], ts: int, rts: int, eid: str, idx: int,
                       dirty: set[tuple[str, str]]) -> None:
        start, until = ts_of(body["window_from"]), ts_of(body["window_until"])
        grids = frozenset(body["grid_ids"]) if body.get("grid_ids") else None
        order = Dispatch(start, until, grids, eid, ts, rts, idx)
        for oid in dict.fromkeys(body["officers"]):
            o = self.officer(oid)
            o.dispatches.append(order)
            if not self.tracking:
                continue
            for ts, cid, _ in o.acts:      # the acts the order now covers (RF21)
                if start <= ts <= until:
                    dirty.add(("case", cid))

    def apply_campaign(self, body: dict[str, Any], eid: str, dirty: set[tuple[str, str]]
                       ) -> None:
        approved = bool(body.get("approved_by"))
        for unit in body["unit_ids"]:
            u = self.units.get(unit)
            if u is None:
                u = self.units[unit] = Unit(unit)
            u.campaigns.append((_ord(body["window_from"]), _ord(body["window_until"]),
                                frozenset(body["violation_codes"]), approved, eid))
            dirty.add(("unit", unit))

    def apply_complaint(self, cid: str, type_: str, body: dict[str, Any], ts: int, rts: int,
                        eid: str, idx: int, dirty: set[tuple[str, str]]) -> None:
        cp = self.complaints.get(cid)
        if cp is None:
            cp = self.complaints[cid] = Complaint(cid)
        dirty.add(("complaint", cid))
        cp.records.append(Ev(type_, ts, rts, eid, idx))
        if type_ == "ComplaintReceived":
            cp.ts, cp.eid, cp.category = ts, eid, body["category"]
            cp.unit_id, cp.accused = body["unit_id"], tuple(body["accused_officers"])
            cp.case_id = body.get("case_id")
            for oid in dict.fromkeys(cp.accused):
                self.officer(oid).complaints.append(cid)
                dirty.add(("officer", oid))
            if cp.case_id:
                self.case(cp.case_id).complaints.append(cid)
        elif type_ == "ComplaintAcknowledged":
            cp.acks.append((ts, eid, body["method"]))
            if body["accepted"]:
                cp.accepted.append((ts, eid))
        elif type_ == "ComplaintExtended":
            cp.extensions.append((ts, body["days"], body["approved_by"], eid))
        elif type_ == "ComplaintClosed":
            cp.closings.append((ts, body["handler"], eid))

    def apply_supervision(self, nid: str, type_: str, body: dict[str, Any], ts: int, rts: int,
                          eid: str, idx: int, dirty: set[tuple[str, str]]) -> None:
        sv = self.supervisions.get(nid)
        if sv is None:
            sv = self.supervisions[nid] = Supervision(nid)
        dirty.add(("supervision", nid))
        sv.records.append(Ev(type_, ts, rts, eid, idx))
        if type_ == "SupervisionNoticeIssued":
            if sv.eid is None:
                sv.ts, sv.eid = ts, eid
                sv.unit_id, sv.respond_by = body["to_unit_id"], _ord(body["respond_by"])
        elif type_ == "SupervisionFeedbackSubmitted":
            sv.feedback.append((ts, eid))
        elif type_ == "SupervisionFeedbackAccepted":
            sv.reviews.append((ts, body["result"], eid))

    def apply_disposition(self, flag: str, type_: str, body: dict[str, Any], ts: int, eid: str,
                          key_id: str, recorded: int, idx: int) -> None:
        """Record a disposition with its signer's units as registered before it (a key is
        registered before it can sign; one the fold never saw registered — a bundle of part
        of the log — counts as a key of every unit)."""
        self.dispositions.setdefault(flag, []).append(Disposition(
            type_, ts, body["inspector_id"], body.get("reason_code"), eid, key_id,
            self.key_units.get(key_id), recorded, idx))
        self.disposed_by.setdefault(body["inspector_id"], {})[flag] = None

    def apply_key(self, type_: str, body: dict[str, Any]) -> None:
        if type_ == "KeyRegistered":
            units = body.get("units")
            self.key_units[body["key_id"]] = frozenset(units) if units is not None else None
            fold_device_key(self.key_devices, body)


def _ord(iso_date: str) -> int:
    return date.fromisoformat(iso_date).toordinal()

