"""Case, officer and complaint read models in PostgreSQL, folded from the log by the pure
reducers of ``case_model`` and ``officer_model``; beside them the public-disclosure records
(``oversight.public``) and supervision notices (``oversight.supervision``).

Exactly once: each batch of events is applied and the position (the last eventsourcing
notification id) recorded in the library's tracking table in the same transaction, so a crash
replays nothing twice and skips nothing. A full rebuild (empty tables, position 0) folds the same
events in the same order through the same reducers, so it yields the same states.

Configuration: deadlines and fine ranges come from the calendar, legal parameters and fine
schedule published on the log (``config:`` streams), in force on the legal day of each event,
as the red-flag engine picks them (:class:`~projections.redflags.params.ParamsTimeline`). Every
event is folded with all the configuration published up to the position folded to, so a
publication can change what earlier events counted (a calendar is a fact about its whole year;
parameters apply from their day, which events recorded before them may share): a batch that
carries one folds the whole log again, as a rebuild does (docs/architecture.md, "Read models
and published configuration").
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from importlib import resources
from typing import Any

import orjson
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.rows import tuple_row

from ledger.domain.calendar import legal_date
from ledger.domain.keys import fold_device_key
from ledger.envelope import Recorded
from ledger.grammar import UUID
from ledger.keys import KEYS_STREAM
from ledger.store import LedgerStore, owner_only

from . import case_model, complaint_model, lifecycle, officer_model, void_model
from .fold_context import Context
from .gcpause import gc_paused
from .jsontext import state_json, state_of
from .oversight import public, supervision
from .redflags.days import ts_of
from .redflags.params import FlagParams, ParamsTimeline, is_configuration, national

_log = logging.getLogger(__name__)

TRACKING_TABLE = "ledger_view_tracking"

# The batch is cut from stored_events first (its notification-id index, LIMIT), then each event
# looks up its receipt by the (originator_id, stream_version) index (LATERAL ... LIMIT 1 keeps
# it a per-row lookup): a batch costs its own size whatever the planner's statistics say and
# however long the log. (A plain join let the planner scan, join and sort every event after the
# position, or walk every receipt, for each batch.)
_EVENTS_AFTER = (
    "SELECT e.notification_id, r.log_index, r.event_id::text, r.stream, r.stream_version, "
    "r.event_type, r.recorded_at, e.state FROM (SELECT notification_id, originator_id, "
    "originator_version, state FROM stored_events WHERE notification_id > %s "
    "ORDER BY notification_id LIMIT %s) e CROSS JOIN LATERAL (SELECT log_index, event_id, "
    "stream, stream_version, event_type, recorded_at FROM ledger_receipts "
    "WHERE originator_id = e.originator_id AND stream_version = e.originator_version "
    "LIMIT 1) r ORDER BY e.notification_id")


def recorded(log_index: int, event_id: Any, stream: str, stream_version: int, event_type: str,
             recorded_at: str, state: bytes) -> Recorded:
    """A stored event as projections see it: its receipt's columns (in ``_EVENTS_AFTER``'s
    order) and the stored envelope bytes."""
    envelope = orjson.loads(state)
    return Recorded(str(event_id), stream, event_type, envelope["occurred_at"],
                    envelope["signer"], envelope["body"], log_index, stream_version, recorded_at)


def fetch_after(curs: Any, position: int, limit: int) -> list[tuple[int, Recorded]]:
    """The next ``limit`` events after notification id ``position``, in log order.

    Rows come as plain tuples (the cursor's dict rows cost more than the fold of some events).
    """
    with gc_paused():
        with curs.connection.cursor(row_factory=tuple_row) as plain:
            plain.execute(_EVENTS_AFTER, (position, limit), binary=True)
            rows = plain.fetchall()
        # decoded after the cursor is closed, so its result buffer is freed first
        return [(row[0], recorded(*row[1:])) for row in rows]


# Configuration events are few: their streams are found by a scan of the receipts, read once per
# position a process starts from (ReadModels caches the timeline) and by each rebuild.
_CONFIGURATION_UPTO = (
    "SELECT r.log_index, r.event_id::text, r.stream, r.stream_version, r.event_type, "
    "r.recorded_at, e.state FROM ledger_receipts r JOIN stored_events e "
    "ON e.originator_id = r.originator_id AND e.originator_version = r.stream_version "
    "WHERE r.stream LIKE 'config:%%' AND e.notification_id <= %s ORDER BY e.notification_id")


def configuration_upto(curs: Any, upto: int, base: FlagParams | None = None
                       ) -> ParamsTimeline:
    """The configuration published on the log up to notification id ``upto``, folded as the
    red-flag engine folds it on ``base`` (the national defaults if None)."""
    timeline = ParamsTimeline(base or national())
    with curs.connection.cursor(row_factory=tuple_row) as plain:
        plain.execute(_CONFIGURATION_UPTO, (upto,), binary=True)
        rows = plain.fetchall()
    for row in rows:
        rec = recorded(*row)
        if is_configuration(rec):
            timeline.publish_recorded(rec)
    return timeline


_KEYS_UPTO = (
    "SELECT e.state FROM ledger_receipts r JOIN stored_events e "
    "ON e.originator_id = r.originator_id AND e.originator_version = r.stream_version "
    "WHERE r.stream = 'keys' AND r.event_type = 'KeyRegistered' AND e.notification_id <= %s "
    "ORDER BY e.notification_id")


def key_devices_upto(curs: Any, upto: int) -> dict[str, str]:
    """The device keys registered on the log up to notification id ``upto`` (key id -> the
    device their principal ``device:<device_id>`` binds them to)."""
    devices: dict[str, str] = {}
    with curs.connection.cursor(row_factory=tuple_row) as plain:
        plain.execute(_KEYS_UPTO, (upto,), binary=True)
        rows = plain.fetchall()
    for (state,) in rows:
        fold_device_key(devices, orjson.loads(state)["body"])
    return devices


def log_head(curs: Any) -> int:
    """The notification id of the last event committed (0 for an empty log)."""
    curs.execute("SELECT coalesce(max(notification_id), 0) AS head FROM stored_events")
    return curs.fetchone()["head"]


#: the interpreter's switch interval while a batch is fetched ahead (the default is 5 ms)
FETCH_AHEAD_SWITCH_SECONDS = 0.0005


@contextmanager
def _switching_often() -> Iterator[None]:
    """The fetching thread takes the interpreter lock again after each read of a batch's
    rows from the server, and waited up to the whole switch interval for the folding thread
    to yield it each time: at 1M events the fold then waited 6-8 s for batches, 0.3-2.8 s
    with a tenth of the interval (BENCHMARKS.md, "Red flags")."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(FETCH_AHEAD_SWITCH_SECONDS)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def batches_upto(curs: Any, after: int, upto: int, size: int = 20_000
             ) -> Iterator[list[tuple[int, Any]]]:
    """The events after notification id ``after`` up to ``upto``, in batches of ``size``; the
    next batch is fetched on a thread while the caller folds this one (PostgreSQL reads and
    sends it meanwhile; the connection is otherwise idle while the caller folds)."""
    if after >= upto:
        return
    with gc_paused(), _switching_often(), \
            ThreadPoolExecutor(1, thread_name_prefix="fetch-ahead") as pool:
        pending: Future[list[tuple[int, Any]]] | None = pool.submit(fetch_after, curs, after,
                                                                    size)
        while pending is not None:
            batch = [(nid, rec) for nid, rec in pending.result() if nid <= upto]
            pending = None
            if not batch:
                return
            if batch[-1][0] < upto:
                pending = pool.submit(fetch_after, curs, batch[-1][0], size)
            yield batch


#: states written per statement: a rebuild writes every state of the log at once, and
#: PostgreSQL refuses a parameter (here a text array of JSON states) of 1 GB or more
SAVE_CHUNK = 10_000

#: case steps that name the case's unit (a public record published before them takes it then)
_UNIT_STEPS = frozenset({"CaseFiled", "ClueRegistered"})


#: the kinds of stream that belong to a unit through a read model's state (``unit_id``)
_OWNED_STREAMS = {"case": "cases", "complaint": "complaints", "officer": "officers",
                  "supervision": "supervision"}


class Fold:
    """Applies a batch of events to in-memory copies of the states it touches, with the
    configuration of ``timeline`` (configuration events themselves are not folded here).

    ``load(table, ids)`` gives the stored states of ``ids``; ``approved_by(officer_ids,
    table)`` the stored complaints (``table`` "complaints") or cases ("cases") with an extension
    each officer approved (a rebuild, which starts from nothing, gives neither)."""

    def __init__(self, load: Any, timeline: ParamsTimeline,
                 approved_by: Any = lambda officer_ids, table: {},
                 devices: dict[str, str] | None = None) -> None:
        self._load = load   # (table, ids) -> {id: state}
        #: key id -> the capture device it is bound to, registered before the batch
        #: (``key_devices_upto``) and in it: what proves an evidence's ``device_signed``
        self.devices: dict[str, str] = dict(devices or {})
        self._approved_by = approved_by     # officer ids, table -> {officer id: [id]}
        #: table -> officer -> complaints (cases) with an extension they approved (RF23.b,
        #: RF12.b: a post recorded later says whether they were a head then)
        self.approvals: dict[str, dict[str, set[str]]] = {"complaints": {}, "cases": {}}
        self.timeline = timeline
        self.cases: dict[str, dict[str, Any]] = {}
        self.officers: dict[str, dict[str, Any] | None] = {}
        self.complaints: dict[str, dict[str, Any]] = {}
        self.publications: dict[str, dict[str, Any]] = {}
        self.supervision: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, set[str]] = {"cases": set(), "officers": set(),
                                             "complaints": set(), "publications": set(),
                                             "supervision": set()}
        self.last_index: dict[tuple[str, str], int] = {}
        self._days = timeline.latest().days()
        # the legal time zone is a fact about the whole history, as the red flags count it
        self._offset = timeline.latest().legal.legal_utc_offset_minutes
        self._only = timeline.only()
        # RF08.e's tolerance read at an event's recording can differ from the one in force on
        # its day only if the versions published differ in it: else no recording is parsed
        self._tolerances = len({p.thresholds.future_tolerance_minutes
                                for p in timeline.versions()}) > 1
        self._contexts: dict[str, Context] = {}
        #: how each person's credential reads at their acts, judged once per day they act
        self._judgements = officer_model.Judgements(self.officer)

    def context(self, rec: Recorded) -> Context:
        """The context of the configuration in force on the legal day of ``rec``, every legal
        day counted in the latest published time zone; for an event claiming a time after its
        recording, with the ``future_tolerance_minutes`` in force when it was recorded, as
        RF08.e and the deadlines it opens read it (``Ctx.since``)."""
        ts = ts_of(rec.occurred_at)
        p: FlagParams = self._only or self.timeline.at_day(self._days.day(ts))
        ctx = self._context_of(p)
        if not self._tolerances:
            return ctx
        recorded = ts_of(rec.recorded_at)
        if ts > recorded and self._only is None:
            tolerance = self.timeline.at_day(
                self._days.day(recorded)).thresholds.future_tolerance_minutes
            if tolerance != ctx.future_tolerance_minutes:
                ctx = replace(ctx, future_tolerance_minutes=tolerance)
        return ctx

    def _context_of(self, p: FlagParams) -> Context:
        ctx = self._contexts.get(p.version)
        if ctx is None:
            ctx = self._contexts[p.version] = Context.in_force(
                p, self.officer, offset_minutes=self._offset, credential=self._judgements.at,
                device_of=self.devices.get)
        return ctx

    def _context_named(self, version: str | None, rec: Recorded) -> Context:
        """The context of configuration ``version`` if published, else that of ``rec``."""
        p = next((p for p in self.timeline.versions() if p.version == version), None)
        return self.context(rec) if p is None else self._context_of(p)

    def officer(self, officer_id: str) -> dict[str, Any] | None:
        if officer_id not in self.officers:
            self.officers.update(self._load("officers", [officer_id]))
            self.officers.setdefault(officer_id, None)
        return self.officers[officer_id]

    def preload(self, recs: Sequence[Recorded]) -> None:
        case_ids, officer_ids, complaint_ids = set(), set(), set()
        published, notices = set(), set()
        for rec in recs:
            case_ids.update(case_model.cases_of(rec))
            officer_ids.update(officer_model.officers_of(rec))
            if rec.stream.startswith("complaint:"):
                complaint_ids.add(rec.stream.partition(":")[2])
            if (cid := public.concerns(rec)) is not None:
                published.add(cid)
            if (rec.type in _UNIT_STEPS or rec.type in void_model.VOIDING) \
                    and rec.stream.startswith("case:"):
                published.update(case_model.cases_of(rec))
            if (nid := supervision.concerns(rec)) is not None:
                notices.add(nid)
        self.cases.update(self._load("cases", sorted(case_ids - self.cases.keys())))
        missing = sorted(officer_ids - self.officers.keys())
        loaded = self._load("officers", missing)
        self.officers.update({oid: loaded.get(oid) for oid in missing})
        acted_in = {cid for rec in recs if rec.type in officer_model.CREDENTIAL_EVENTS
                    for cid in (self.officers.get(rec.stream.partition(":")[2]) or {})
                    .get("case_acts", ())}
        self.cases.update(self._load("cases", sorted(acted_in - self.cases.keys())))
        self.complaints.update(self._load("complaints",
                                          sorted(complaint_ids - self.complaints.keys())))
        self.publications.update(self._load("publications",
                                            sorted(published - self.publications.keys())))
        self.supervision.update(self._load("supervision",
                                           sorted(notices - self.supervision.keys())))
        posted = sorted({rec.stream.partition(":")[2] for rec in recs
                         if rec.type == "PostAssigned"})
        if posted:
            for table in ("complaints", "cases"):
                states = getattr(self, table)
                for oid, ids in self._approved_by(posted, table).items():
                    self.approvals[table].setdefault(oid, set()).update(ids)
                    states.update(self._load(table, sorted(set(ids) - states.keys())))

    def apply(self, rec: Recorded) -> None:
        if rec.type == "KeyRegistered" and rec.stream == KEYS_STREAM:
            fold_device_key(self.devices, rec.body)
        ctx = self.context(rec)
        for oid in officer_model.officers_of(rec):
            self.officers[oid] = officer_model.apply(self.officer(oid), rec, ctx,
                                                     officer_id=oid)
            self._touch("officers", oid, rec)
            if rec.type in officer_model.CREDENTIAL_EVENTS:
                self._judgements.forget(oid)     # their acts read otherwise from now on
        voided: dict[str, set[str]] = {}     # case -> its voided decisions before ``rec``
        for cid in case_model.cases_of(rec):
            before = void_model.voided_decisions(self.cases.get(cid)).keys()
            self.cases[cid] = case_model.apply(self.cases.get(cid), rec, ctx)
            self._touch("cases", cid, rec)
            if before or self.cases[cid]["voided_forms"]:
                voided[cid] = set(before)
            if rec.type == "ExtensionApproved":
                self.approvals["cases"].setdefault(rec.body["approved_by"], set()).add(cid)
            pub, unit = self.publications.get(cid), self.cases[cid]["unit_id"]
            if pub is not None and unit and pub["unit_id"] != unit:   # filed after publishing
                pub["unit_id"] = unit
                self._touch("publications", cid, rec)
        if rec.stream.startswith("complaint:"):
            cid = rec.stream.partition(":")[2]
            self.complaints[cid] = complaint_model.apply_complaint(self.complaints.get(cid), rec,
                                                              ctx)
            self._touch("complaints", cid, rec)
            if rec.type == "ComplaintExtended":
                self.approvals["complaints"].setdefault(rec.body["approved_by"],
                                                        set()).add(cid)
        if rec.type == "PostAssigned":
            self._recount_approvals(rec)
        if rec.type in officer_model.CREDENTIAL_EVENTS and rec.stream.startswith("officer:"):
            self._judge_acts(rec, ctx)
        offset = ctx.offset_minutes
        if (cid := public.concerns(rec)) is not None:
            unit = (self.cases.get(cid) or {}).get("unit_id")
            self.publications[cid] = public.apply(
                self.publications.get(cid), rec, unit_id=unit,
                fine_schedule=ctx.fine_schedule, offset_minutes=offset)
            self._touch("publications", cid, rec)
        if (nid := supervision.concerns(rec)) is not None:
            self.supervision[nid] = supervision.apply(self.supervision.get(nid), rec,
                                                      offset_minutes=offset)
            self._touch("supervision", nid, rec)
        for cid, before in voided.items():     # once the public record has ``rec`` too
            self._count_voided(cid, before, rec, offset)

    def _count_voided(self, cid: str, before: set[str], rec: Recorded, offset: int) -> None:
        """A decision of case ``cid`` whose form ``rec`` showed voided before it was served
        (or, voided before ``rec``, served before the void after all) is no decision on the
        pages of the persons who acted in it (:func:`officer_model.count_voided`) and shows as
        voided on the public feed (:func:`public.voided`), whichever was recorded first: the
        void, the decision or the service (void_model._void). ``offset``: the legal time
        zone's, in minutes."""
        case = self.cases[cid]
        now = void_model.voided_decisions(case)
        for eid in sorted(before ^ now.keys()):
            d = now.get(eid) or next(d for d in lifecycle.every_decision(case)
                                     if d["event_id"] == eid)
            record = self.publications.get(cid)
            on = (legal_date(d["voided_at"], offset_minutes=offset).isoformat()
                  if eid in now else None)
            if record is not None and public.voided(record, d["decision_no"], d["decided_at"],
                                                    on):
                self._touch("publications", cid, rec)
            for oid, entry in sorted(case["officers"].items()):
                if not any(act[0] == eid for act in entry["acted"]):
                    continue                    # not one who made the decision
                state = self.officer(oid)
                if state is not None and officer_model.count_voided(
                        state, cid, d["decision_no"], d["decided_at"], case["procedure"],
                        eid in now):
                    self._touch("officers", oid, rec)

    def _recount_approvals(self, rec: Recorded) -> None:
        """A post recorded after extensions its officer approved can make them a head's (or
        not): count those complaints' closing deadlines and those cases' decision deadlines
        again, as RF23.b and RF12.b read every post recorded."""
        oid = rec.stream.partition(":")[2]
        for cid in sorted(self.approvals["complaints"].get(oid, ())):
            state = self.complaints[cid]
            version = state["deadlines"].get("close", {}).get("params_version")
            if complaint_model.recount_extensions(state, oid, self._context_named(version, rec)):
                self._touch("complaints", cid, rec)
        for cid in sorted(self.approvals["cases"].get(oid, ())):
            state = self.cases[cid]
            version = (state["decision_period"] or {}).get("params_version")
            if case_model.recount_decision_extensions(state, oid,
                                                      self._context_named(version, rec)):
                self._touch("cases", cid, rec)

    def _judge_acts(self, rec: Recorded, ctx: Context) -> None:
        """A certificate, suspension or end (or a registration as auxiliary staff) recorded
        after acts it covers changes how they read: judge the person's acts in every case they
        acted in again, as RF02 reads everything recorded (the officer view's ``case_acts``
        names those cases)."""
        oid = rec.stream.partition(":")[2]
        for cid in sorted((self.officers.get(oid) or {}).get("case_acts", ())):
            state = self.cases.get(cid)
            if state is not None and case_model.judge_officer(state, oid, ctx):
                self._touch("cases", cid, rec)

    def _touch(self, table: str, key: str, rec: Recorded) -> None:
        self.changed[table].add(key)
        self.last_index[(table, key)] = rec.index


_TABLES = {"cases": ("view_cases", "case_id"), "officers": ("view_officers", "officer_id"),
           "complaints": ("view_complaints", "complaint_id"),
           "publications": ("view_public_decisions", "case_id"),
           "supervision": ("view_supervision", "notice_id")}


class ReadModels:
    """The read-model projection. One process runs it at a time (see ProjectionRunner)."""

    NAME = "read_models"
    #: What the stored states hold and how they are counted. Bump it with any change after which
    #: this code folds the same log into other states (a new field, a deadline counted anew):
    #: the leader that finds the views tracked under another version folds the log again, once,
    #: instead of applying new events to states it did not write (docs/architecture.md,
    #: "Upgrading"). 1 was the untagged name; 2: payments kept with the decision they paid;
    #: 3: a complaint's extensions kept, counted as RF23.b counts them; 4: every legal day in
    #: the latest published time zone, as the red flags count it; 5: a public record's
    #: decisions kept by number (the publication shows the one it names), amendments recorded
    #: before their decision held for it, every publication kept with its own withdrawal; 6: a
    #: complaint extension kept with its approver's role, counted only when a head approved it;
    #: 7: a public record's decisions keep their revocation (a revoked decision is not shown);
    #: 8: a public record's organisation name kept with ID, mobile numbers and plates masked;
    #: 9: a public record's amendments and publications keep their instant (a publication of
    #: a decision amended after it is not shown as published); 10: a deferral/instalment plan
    #: moves the payment deadline only when counted as RF06 counts it, and says whether it was
    #: counted and why not; 11: a complaint's acknowledgements kept with their method, only a
    #: written one meeting the acknowledgement deadline (as RF23.a); 12: a case's violation
    #: kept with the end of a continuing one (``ended_at``, RF12.h's time bar); 13: a
    #: decision-deadline extension counted as RF12.b counts it — a deputy head's approval
    #: counts, a head's only up to the 30 days one head may grant (``counted_days``); 14: a
    #: public record's organisation name has first-generation (15-digit) ID numbers masked too,
    #: and a complaint extension keeps its instant, its approver's role read again (the
    #: deadline counted again) when a post recorded later covers it (as RF23.b); 15: a case's
    #: officers keep each act (``acted``) and are judged with RF02's judgement, again when a
    #: certificate, suspension or end recorded later covers their acts (``kind`` as known now);
    #: 16: the parameter version every deadline names (``params_version``) hashes RF08.e's
    #: ``future_tolerance_minutes``, ``import_recording_days`` and a declared import's closing
    #: instant too; 17: a deadline opened by an act dated beyond that tolerance after its
    #: recording counts from the recording's day (``dated_after_recording``; a general case's
    #: ``decision_period.counted_from``, a complaint's ``counted_from``), as the flags count it;
    #: 18: a public record's organisation name shows no birth-date digit of a 15-digit ID
    #: number in it (masked up to the birth date's end, as an 18-digit one); 19: the payment
    #: deadline is met on the day of the event that paid the fine in full, no longer moved back
    #: by a step recorded after it but dated before it; 20: a case's decision period runs from
    #: its first general filing (no longer anew from each), or, for a case filed on the spot
    #: and decided under the general procedure, from its filing (``filing_period``), as RF12.a;
    #: 21: a decision-deadline extension keeps its approver's post at the approval
    #: (``approver_role``, read again when a post recorded later covers it) and counts in a
    #: head's form only when that is a head's, as RF12.b; 22: a decision, no-penalty decision,
    #: waiver, transfer, service or publication dated beyond RF08.e's tolerance after its
    #: recording meets its deadline on the day it was recorded, as RF12.a/c/e; 23: a case's
    #: evidence shows ``device_signed_claimed`` (the body's claim), ``device_signed_proven``
    #: (signed by that device's own registered key, as RF07 counts it) and ``signer_key_id``,
    #: in place of ``device_signed``; 24: the parameter version every deadline names
    #: (``params_version``) hashes RF21.a's ``dispatch_record_grace_hours`` too; 25: a case
    #: and an officer keep every unit that held them (``units``), so a unit's audit trail
    #: keeps what moved to another unit; 26: a deadline's ``basis`` names the period the
    #: configuration in force sets (it named the national one) and ``basis_zh`` says it in
    #: Chinese; 27: a recusal's ``decided_by`` (one officer id) names the head who decided it,
    #: not an officer per character of the id; 28: a case's statutory range tops at the
    #: maximum for its parties' kind (RF15.a's); 29: a decision keeps the unit holding the
    #: case when it was recorded (``unit_id``, RF24's); 30: a mitigation (``WaiverGranted``
    #: ``mitigated``) does not meet the decision deadline (RF12.a's); 31: a complaint's
    #: ``extension_days`` count at most 30 in all, and the extension cut says why (RF23.b's);
    #: 32: a complaint extension is judged late against the deadline in force (RF23.b's); 33:
    #: a case's statutory range starts at the minimum for its parties' kind (RF15.b's); 34: a
    #: decision recorded again (its number, instant and fine: a retry under a new event id) is
    #: the same decision on the case page, the public record (``decided_at``,
    #: ``decided_fen``) and the officers' pages (``case_decisions``), and a case shows the
    #: closing of its decision in force (``closed_at``), as RF06 judges it; 35: a payment or
    #: an on-the-spot collection recorded again (a retry under a new event id) is received
    #: once, on the case page and the officers' pages (a payment's and a collection's
    #: ``decision_no``, a collection's ``receipt_no``, ``case_collections``), a decision made
    #: after the closing reopens the case, and a decision whose form was voided before it was
    #: served is ended (``voided_forms`` entries, a decision's ``served_at``); 36: in a case
    #: with several parties a decision keeps its ``party_ref``, and money is the named
    #: decision's party's (a co-party's decision replaces nothing), as RF06 reads it; 37: a
    #: decision whose form was voided before it was served is no decision or fine on the
    #: officers' pages (``voided_decisions``, ``case_voided``) and shows as voided on the
    #: public feed (a public record's decision's ``voided_on``), and a service dated before
    #: the void, recorded after it, puts the decision back (``voided_forms`` ``undone``); 38:
    #: each other party's decision in force is kept in ``co_party_decisions`` with its own
    #: amounts, deadlines, money, surcharge and plan (``decision_no`` of a surcharge or plan),
    #: and the reconciliation expects every party's (``money.due_fen`` the decision's own); 39:
    #: a decision whose form was voided while it was published owes the withdrawal of its
    #: publication (its ``publication_withdrawal`` deadline, as RF12.f), read from the case's
    #: ``publication_events`` and the void's ``publication_withdrawal``; 40: with several
    #: parties each decision in force has its own lifecycle ``state`` and the case's is the
    #: least advanced, a decision set beside another keeps the case's closing, and a waiver
    #: that mitigates, or spares one party of several (``waived_parties``), leaves the case to
    #: its decisions; 41: so in the summary procedure too, each decision's ``state`` its own
    #: money stage (the case's cash ``remittances`` and ``deposits``), and a rectification's
    #: verification moves the decision of the party its order names (``rectification``
    #: ``orders``), a step naming a replaced decision its party's decision in force; 42: a
    #: sparing (``sparings``) naming a party whose decision is in force is out of order and
    #: spares no one, and one that ended the case is undone by a party coming on its record
    #: unspared; a verification recorded before its order waits for it (``rectification``
    #: ``held``); a step naming a replaced decision, dated before its party's new one, is the
    #: replaced decision's; a co-party's service and filing are judged from its own ``state``.
    VERSION = 42
    #: the tracking row's name: the projection and the version of the states it tracks
    TRACKED = f"{NAME}@{VERSION}"
    #: the tracking rows of every version of this projection (LIKE pattern; "_" is a wildcard)
    _ANY_VERSION = (NAME, NAME.replace("_", "\\_") + "@%")

    def __init__(self, store: LedgerStore) -> None:
        self.store = store
        self.tracking = PostgresTrackingRecorder(store.datastore,
                                                 tracking_table_name=TRACKING_TABLE)
        #: (position, the configuration published up to it): read once, then carried along
        self._configuration: tuple[int, ParamsTimeline] | None = None
        #: (position, the device keys registered up to it), likewise
        self._devices: tuple[int, dict[str, str]] | None = None

    # -- schema (owner role) -----------------------------------------------------------------
    def create_tables(self) -> None:
        """Create the views' tables (idempotent). Raises Forbidden for a role other than the
        database's owner."""
        sql = resources.files("projections").joinpath("schema.sql").read_text()
        with owner_only("the views' tables"):
            self.tracking.create_table()
            with self.store.datastore.get_connection() as conn:
                conn.execute(sql)  # type: ignore[arg-type]
                conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TRACKING_TABLE} "
                             "TO ledger_writer")

    # -- processing --------------------------------------------------------------------------
    def position(self) -> int:
        return self.tracking.max_tracking_id(self.TRACKED) or 0

    def process(self, limit: int = 2000) -> int:
        """Apply up to ``limit`` new events in one transaction; returns how many. A batch that
        carries published configuration folds the whole log again (see the module docstring)."""
        with self.store.transaction() as curs:
            curs.execute(f"SELECT application_name, notification_id FROM {TRACKING_TABLE} "
                         "WHERE application_name = %s OR application_name LIKE %s FOR UPDATE",
                         self._ANY_VERSION)
            rows = curs.fetchall()
            position = max((r["notification_id"] for r in rows), default=0)
            if any(r["application_name"] != self.TRACKED for r in rows):
                # states another version of this code folded (an upgrade, or a step back)
                _log.warning("the read models were folded by another version of the ledger "
                            "(%s); folding the log again with this one (%s)",
                            ", ".join(sorted(r["application_name"] for r in rows)), self.TRACKED)
                return self._refold(curs, position)
            batch = fetch_after(curs, position, limit)
            if not batch:
                return 0
            if any(is_configuration(rec) for _, rec in batch):
                # it can change what events already folded counted: fold them all again
                self._refold(curs, batch[-1][0])
                return len(batch)
            fold = Fold(lambda table, ids: self._load(curs, table, ids),
                        self._configuration_at(curs, position),
                        lambda officer_ids, table: self._approved_by(curs, officer_ids,
                                                                     table),
                        self._devices_at(curs, position))
            fold.preload([rec for _, rec in batch])
            for _, rec in batch:
                fold.apply(rec)
            self._save(curs, fold)
            self.tracking._insert_tracking(curs, Tracking(self.TRACKED, batch[-1][0]))
            self._configuration = (batch[-1][0], fold.timeline)
            self._devices = (batch[-1][0], fold.devices)
            return len(batch)

    def _devices_at(self, curs: Any, position: int) -> dict[str, str]:
        # as the configuration: a pure function of the log up to the position
        if self._devices is None or self._devices[0] != position:
            self._devices = (position, key_devices_upto(curs, position))
        return self._devices[1]

    def _configuration_at(self, curs: Any, position: int) -> ParamsTimeline:
        # a pure function of the log up to the position: a cached one is never stale
        if self._configuration is None or self._configuration[0] != position:
            self._configuration = (position, configuration_upto(curs, position))
        return self._configuration[1]

    def run_until_idle(self, limit: int = 2000) -> int:
        total = 0
        while n := self.process(limit):
            total += n
        return total

    def rebuild(self, fetch: int = 100_000) -> int:
        """Empty the read models and fold the whole log again, in one transaction (until it
        commits, readers see the old states; if it fails, they stay); returns how many events.

        Every state stays in memory from its first event to the end and is written once, where
        ``process`` in batches reloads and rewrites a case each batch it spans (a city's cases
        live for weeks). ``fetch``: events read at a time."""
        with self.store.transaction() as curs:
            return self._refold(curs, log_head(curs), fetch)

    def _refold(self, curs: Any, upto: int, fetch: int = 100_000) -> int:
        """Empty the read models and fold the log up to notification id ``upto`` in one pass,
        every event with the configuration published up to there; returns how many events.

        The collector stays paused until the fold, written, is dropped: resumed while every
        state is still held, it would scan them all."""
        with gc_paused():
            return self._refold_paused(curs, upto, fetch)

    def _refold_paused(self, curs: Any, upto: int, fetch: int) -> int:
        timeline = configuration_upto(curs, upto)
        fold = Fold(lambda table, ids: {}, timeline)    # from nothing: no state is loaded
        count = position = 0
        for batch in batches_upto(curs, 0, upto, fetch):
            for _, rec in batch:
                fold.apply(rec)
            count, position = count + len(batch), batch[-1][0]
        # emptied once the log is folded: the deletion then holds its row locks only while the
        # new states are written
        self._reset(curs)
        self._save(curs, fold)
        if position:
            self.tracking._insert_tracking(curs, Tracking(self.TRACKED, position))
        self._configuration = (position, timeline)
        self._devices = (position, fold.devices)
        return count

    def reset(self) -> None:
        """Empty the read models (for a full rebuild)."""
        with self.store.transaction() as curs:
            self._reset(curs)

    def _reset(self, curs: Any) -> None:
        # DELETE, not TRUNCATE: TRUNCATE's exclusive lock would make every reader wait for
        # the whole rebuild, where the old states are to be read until it commits
        for name, _ in _TABLES.values():
            curs.execute(f"DELETE FROM {name}")
        curs.execute(f"DELETE FROM {TRACKING_TABLE} WHERE application_name = %s "
                     "OR application_name LIKE %s", self._ANY_VERSION)

    @staticmethod
    def _load(curs: Any, table: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = list(ids)
        if not ids:
            return {}
        name, key = _TABLES[table]
        curs.execute(f"SELECT {key} AS id, state::text AS state FROM {name} "
                     f"WHERE {key} = ANY(%s)", (ids,))
        return {r["id"]: state_of(r["state"]) for r in curs.fetchall()}

    @staticmethod
    def approved_by_query(officer_ids: list[str], table: str = "complaints"
                          ) -> tuple[str, tuple[Any, ...]]:
        """The query (SQL, parameters) of the complaints (``table`` "complaints") or cases
        ("cases") with an extension one of ``officer_ids`` approved: (officer, id) rows, made
        for a batch that assigns a post."""
        name, key = _TABLES[table]
        # the containment finds them through view_complaints_approvers / view_cases_approvers
        # (indexes of the extensions), not by reading every state
        return (f"SELECT DISTINCT e->>'approved_by' AS officer, {key} AS id "
                f"FROM {name}, jsonb_array_elements(state->'extensions') e "
                "WHERE state->'extensions' @> ANY(%s::jsonb[]) "
                "AND e->>'approved_by' = ANY(%s) ORDER BY 1, 2",
                ([orjson.dumps([{"approved_by": o}]).decode() for o in officer_ids],
                 officer_ids))

    @classmethod
    def _approved_by(cls, curs: Any, officer_ids: list[str], table: str = "complaints"
                     ) -> dict[str, list[str]]:
        curs.execute(*cls.approved_by_query(officer_ids, table))
        found: dict[str, list[str]] = {}
        for r in curs.fetchall():
            found.setdefault(r["officer"], []).append(r["id"])
        return found

    @staticmethod
    def _save(curs: Any, fold: Fold) -> None:
        for table, keys in fold.changed.items():
            if not keys:
                continue
            name, key = _TABLES[table]
            states = getattr(fold, table)
            ordered = sorted(keys)
            for i in range(0, len(ordered), SAVE_CHUNK):  # an array parameter must stay < 1 GB
                chunk = ordered[i:i + SAVE_CHUNK]
                curs.execute(
                    f"INSERT INTO {name} ({key}, state, last_index) "
                    "SELECT * FROM unnest(%b::text[], %b::text[]::jsonb[], %b::bigint[]) "
                    f"ON CONFLICT ({key}) DO UPDATE SET state = EXCLUDED.state, "
                    "last_index = EXCLUDED.last_index",
                    (chunk, [state_json(states[k]) for k in chunk],
                     [fold.last_index[(table, k)] for k in chunk]))

    # -- queries -----------------------------------------------------------------------------
    def get(self, table: str, ident: str) -> dict[str, Any] | None:
        name, key = _TABLES[table]
        with self.store.cursor() as curs:
            curs.execute(f"SELECT state::text AS state, last_index FROM {name} WHERE {key} = %s",
                         (ident,))
            row = curs.fetchone()
        if row is None:
            return None
        return {**state_of(row["state"]), "as_of_index": row["last_index"]}

    def unit_of_stream(self, stream: str) -> str | None:
        """The enforcement unit a stream belongs to, for unit-scoped access (None: no unit)."""
        kind, _, ident = stream.partition(":")
        if kind == "unit":
            return ident
        table = _OWNED_STREAMS.get(kind)
        if table is None:
            return None
        name, key = _TABLES[table]
        with self.store.cursor() as curs:
            curs.execute(f"SELECT state->>'unit_id' AS unit FROM {name} WHERE {key} = %s",
                         (ident,))
            row = curs.fetchone()
        return row["unit"] if row else None

    def units_of(self, table: str, ids: Iterable[str]) -> dict[str, str | None]:
        """The unit of each of ``ids`` that ``table`` holds (the others are left out)."""
        name, key = _TABLES[table]
        with self.store.cursor() as curs:
            curs.execute(f"SELECT {key} AS id, state->>'unit_id' AS unit FROM {name} "
                         f"WHERE {key} = ANY(%s)", (list(ids),))
            return {r["id"]: r["unit"] for r in curs.fetchall()}

    def units_of_references(self, refs: Iterable[str], *,
                            flag_units: Callable[[list[str]], Mapping[str, str | None]]
                            | None = None) -> dict[str, str | None]:
        """The unit each of ``refs`` belongs to, for those that name a case, complaint,
        officer or supervision notice, or an event of such a stream or of a ``unit:`` stream
        (the event's stream's unit). One the log holds but the read models have not folded yet
        (they are folded apart from the flags, and a failing batch waits while the flags go
        on) is of no unit known: None, as one of no unit. With ``flag_units`` (the unit of
        each flag id it holds: the read models know no flags) a flag id it holds and an event
        of a ``flag:`` stream are of that flag's unit (an event of a flag it does not hold, of
        none). Strings that name none of these (a party, a grid, an event of a stream of no
        unit such as ``pledge:``) are left out."""
        refs = list(dict.fromkeys(refs))
        out: dict[str, str | None] = {}
        for table in _OWNED_STREAMS.values():
            out.update(self.units_of(table, refs))
        ids = [r for r in refs if r not in out and UUID.fullmatch(r)]
        names = [f"{kind}:{r}" for r in refs if r not in out and not UUID.fullmatch(r)
                 for kind in _OWNED_STREAMS]
        streams: dict[str, str] = {}
        with self.store.cursor() as curs:
            if names:    # one index probe each: streams of the log the views do not hold yet
                curs.execute("SELECT s AS stream FROM unnest(%s::text[]) s WHERE EXISTS "
                             "(SELECT 1 FROM ledger_receipts WHERE stream = s)", (names,))
                out.update({r["stream"].partition(":")[2]: None for r in curs.fetchall()})
            if ids:
                curs.execute("SELECT event_id::text AS id, stream FROM ledger_receipts "
                             "WHERE event_id = ANY(%s::text[]::uuid[])", (ids,))
                streams = {r["id"]: r["stream"] for r in curs.fetchall()}
        owners: dict[str, str | None] = {}
        for kind, table in _OWNED_STREAMS.items():
            keys = [s.partition(":")[2] for s in streams.values() if s.startswith(f"{kind}:")]
            if keys:
                owners.update({f"{kind}:{k}": u for k, u in self.units_of(table, keys).items()})
        for eid, stream in streams.items():
            kind, _, key = stream.partition(":")
            if kind == "unit":
                out[eid] = key
            elif kind in _OWNED_STREAMS:
                out[eid] = owners.get(stream)       # None: not folded yet
        if flag_units is not None:
            # an inspector's flag (RF30) lists the flags they dismissed and the dismissals
            on_flags = {e: s.partition(":")[2] for e, s in streams.items()
                        if s.startswith("flag:")}
            rest = [r for r in refs if r not in out and r not in streams]
            held = flag_units(rest + list(on_flags.values()))
            out.update({r: held[r] for r in rest if r in held})
            out.update({e: held.get(flag) for e, flag in on_flags.items()})
        return out

    def streams_of_officer(self, officer_id: str) -> list[str]:
        """An officer's audit trail: their stream, pledges, the cases they acted in and the
        complaints naming them. Raises LookupError for an unknown officer."""
        state = self.get("officers", officer_id)
        if state is None:
            raise LookupError(officer_id)
        streams = {f"officer:{officer_id}"}
        streams.update(f"pledge:{p}" for p in state.get("pledges", {}))
        streams.update(f"case:{c}" for c in state.get("case_acts", {}))
        streams.update(f"complaint:{c}" for c in state.get("complaints", {}).get("ids", []))
        return sorted(streams)

    def streams_of_unit(self, unit_id: str) -> list[str]:
        """A unit's audit trail: its own stream, its cases, officers and complaints — with the
        cases and officers it held before they moved to another unit (a case filed again by
        another unit, an officer posted elsewhere: their ``units``). Raises LookupError for a
        unit that nothing names (no case, officer or complaint of it, and no event on its own
        stream): its trail would be the key registry alone."""
        streams = {f"unit:{unit_id}"}
        with self.store.cursor() as curs:
            for table, key, kind in (("view_cases", "case_id", "case"),
                                     ("view_officers", "officer_id", "officer"),
                                     ("view_complaints", "complaint_id", "complaint")):
                curs.execute(f"SELECT {key} AS id FROM {table} WHERE unit_id = %s "
                             "OR state->'units' ? %s", (unit_id, unit_id))
                streams.update(f"{kind}:{r['id']}" for r in curs.fetchall())
        if len(streams) == 1 and not self.store.stream_events(f"unit:{unit_id}",
                                                              after_version=0, limit=1):
            raise LookupError(unit_id)
        return sorted(streams)

    def snapshot(self, table: str) -> dict[str, Any]:
        """Every state of one view (for comparing a rebuild with incremental application)."""
        name, key = _TABLES[table]
        with self.store.cursor() as curs:
            curs.execute(f"SELECT {key} AS id, state::text AS state FROM {name}")
            return {r["id"]: state_of(r["state"]) for r in curs.fetchall()}
