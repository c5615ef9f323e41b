"""Compact indexes the rules read: per case, officer, party, unit, complaint, cohort and grid.

They keep only the fields rules compare (integers for instants, small tuples), never the
event bodies, so a million-event rebuild stays in memory; :mod:`.fold` fills them, at O(1)
amortised per event. Statistics are not accumulated here; a cohort only remembers which cases
belong to it and is recomputed when evaluated.

Instants are integer seconds (``ts``), legal days are ordinals; see :mod:`.days`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, NamedTuple, TypeVar

from .days import ts_of, year_text

# --- small records ----------------------------------------------------------------------------


class Loc(NamedTuple):
    lat_e6: int | None
    lon_e6: int | None
    grid: str | None


class Ev(NamedTuple):
    """Any case, complaint or supervision event: type, occurred (ts), recorded (rts), id, log
    index."""
    type: str
    ts: int
    rts: int
    eid: str
    idx: int


class Dispatch(NamedTuple):
    """A dispatch order naming an officer (RF21.a): its window, grids (None = any grid), and the
    order's own event — id, claimed time (ts), recording (rts) and log index, which decide
    whether it was on the ledger in time to cover an act."""
    start: int
    until: int
    grids: frozenset[str] | None
    eid: str
    ts: int
    rts: int
    idx: int


class Act(NamedTuple):
    """A case event performed by people: ``actors`` = ((officer_id, cert_no|None), ...)."""
    type: str
    ts: int
    eid: str
    actors: tuple[tuple[str, str | None], ...]
    deciders: tuple[str, ...]
    loc: Loc | None
    extra: str | None        # e.g. the seizure measure or the procedure of a decision


class Evidence(NamedTuple):
    ts: int
    captured: int
    rts: int
    eid: str
    idx: int
    kind: str
    #: proven: the body claims it *and* the event was signed by the capture device's own key
    #: (:func:`ledger.domain.keys.bound_device`); every rule reads this one
    device_signed: bool
    device_type: str | None
    assigned: str | None
    officers: frozenset[str]
    evidence_id: str
    #: the body's ``device_signed``, as typed by whoever signed the event
    device_claimed: bool = False
    device_id: str = ""
    signer: str = ""            # the signer's key id
    #: signed by the capture device's own key, whatever the body claims: the proof that the
    #: footage is that device's (RF08.c's body-camera video)
    by_device: bool = False

    def unproven(self) -> dict[str, Any]:
        """The numbers of a device-signed claim its signer's key does not prove (empty when
        there is no claim or it is proven): shown wherever a rule counted it as unsigned."""
        if not self.device_claimed or self.device_signed:
            return {}
        return {"device_signed_claimed": True, "device_signed_proven": False,
                "device_id": self.device_id, "signer_key_id": self.signer}


class Decision(NamedTuple):
    ts: int
    rts: int
    eid: str
    idx: int
    procedure: str
    party_ref: str
    party_type: str
    code: str
    basis: str
    types: frozenset[str]
    amount: int
    decided_by: tuple[str, ...]
    officers: tuple[str, ...]
    form_no: str | None
    tier: str | None
    payment_method: str | None
    loc: Loc | None
    decision_no: str
    #: the case's unit when it was decided ("-" before its first): RF24 counts the fine there
    unit: str


class Notice(NamedTuple):
    ts: int
    eid: str
    amount: int
    types: frozenset[str]
    hearing_eligible: bool
    code: str
    party_ref: str
    #: the rights the notice told the party of (statement, defence, hearing)
    rights: frozenset[str]


class Change(NamedTuple):
    """PenaltyAmended / PenaltyWithdrawn."""
    type: str
    ts: int
    eid: str
    previous: int | None
    amount: int
    types: frozenset[str]
    approval_id: str | None
    approved_by: str | None
    form: str | None
    refund_required: bool
    decision_no: str        # the decision it names (RF20.d: one the case does not have)


class Outcome(NamedTuple):
    """NoPenaltyDecided / WaiverGranted / TransferredToJudiciary."""
    type: str
    ts: int
    eid: str
    basis: str | None
    waiver: str | None
    party_ref: str | None
    code: str | None
    decided_by: tuple[str, ...]


class Payment(NamedTuple):
    """PaymentRecorded: ``payment_id`` is the bank's or e-payment system's record of it."""
    ts: int
    amount: int
    channel: str
    eid: str
    payment_id: str
    decision_no: str


class Cash(NamedTuple):
    ts: int
    rts: int
    eid: str
    amount: int
    receipt_no: str | None
    receipt_book: str | None
    justification: str
    text: str | None
    officers: tuple[str, ...]
    decision_no: str


class Plan(NamedTuple):
    """InstalmentApproved: a deferral or instalments (APL 第66条第2款)."""
    ts: int
    eid: str
    kind: str
    schedule: tuple[tuple[int, int], ...]     # (due day, amount fen), by due day
    approved_by: str
    party_applied: bool
    #: the decision it names, if any (read in world time without one, :meth:`Case.owns_money`)
    decision_no: str | None


class Seizure(NamedTuple):
    ts: int
    eid: str
    measure: str
    items: frozenset[str]
    officers: tuple[str, ...]
    approved_by: str | None


class Credential:
    __slots__ = ("cert_no", "valid_from", "valid_until", "ended_ts", "end_reason",
                 "suspensions", "eid")

    def __init__(self, cert_no: str) -> None:
        self.cert_no = cert_no
        self.valid_from: int | None = None      # legal day
        self.valid_until: int | None = None
        self.ended_ts: int | None = None
        self.end_reason: str | None = None
        self.suspensions: list[tuple[int, int | None, str]] = []   # (from ts, until day, eid)
        self.eid: str | None = None

    def status(self, ts: int, day: int) -> str:
        return credential_status(self.valid_from, self.valid_until, self.ended_ts,
                                 self.end_reason, ((s, u) for s, u, _ in self.suspensions),
                                 ts, day)


def credential_status(valid_from: Any, valid_until: Any, ended: Any, end_reason: str | None,
                      suspensions: Iterable[tuple[Any, Any]], at: Any, day: Any) -> str:
    """The status of one certificate at instant ``at``, legal day ``day`` (RF02 and the case
    view): valid ``valid_from``..``valid_until`` inclusive, ended from the instant ``ended``
    (revoked if ``end_reason`` is revoked or withdrawn, else expired), suspended from each
    suspension's (instant, last day or None). Requires days comparable with days and instants
    with instants (ordinals and seconds here, ISO days and datetimes in the view); a certificate
    never issued (``valid_from`` None: only its suspension or end recorded) is
    unknown_certificate."""
    if valid_from is None or valid_until is None:
        return "unknown_certificate"
    if day < valid_from:
        return "not_yet_valid"
    if day > valid_until:
        return "expired"
    if ended is not None and at >= ended:
        return "revoked" if end_reason in ("revoked", "withdrawn") else "expired"
    for start, until in suspensions:
        if start <= at and (until is None or day <= until):
            return "suspended"
    return "valid"


def counted_from(claimed: int, recorded: int, tolerance_minutes: int) -> int:
    """The instant a deadline opened by an act counts from (docs/red-flags.md, RF08: "Decision
    — acts dated after they were recorded"): its ``claimed`` time, unless that is more than
    ``tolerance_minutes`` after the ledger ``recorded`` it (RF08.e/f's test) — then the
    recording, so that dating an act ahead cannot postpone what it owes. Instants in seconds,
    comparable (epoch seconds in the engine); a back-dated act counts from its claim."""
    return recorded if claimed - recorded > tolerance_minutes * 60 else claimed


def recorded_ahead(records: Iterable[Ev], eid: str) -> int | None:
    """The recorded time of record ``eid`` of a complaint or a notice if it claims a later
    time, else None (a handful of records each: scanned, not indexed)."""
    return next((r.rts for r in records if r.eid == eid and r.ts > r.rts), None)


C = TypeVar("C")


def person_credential(kind: str | None, creds: Mapping[str, C], cert_no: str | None,
                      status: Callable[[C], str], valid_from: Callable[[C], Any]
                      ) -> tuple[str, str | None]:
    """(status, certificate used) of a person acting with ``cert_no`` (None: none named), as
    RF02 and the case view judge it. ``kind`` is the person's (officer | auxiliary | unknown;
    None when nothing is recorded about them), ``creds`` their certificates by number,
    ``status(cred)`` a certificate's status at the act and ``valid_from(cred)`` its first day
    (None if never issued). Whatever certificate is named, a person with no HR event and no
    certificate is an unknown_person, auxiliary staff with none auxiliary; without ``cert_no``
    the earliest-starting issued certificate valid at the act is used, else the latest-starting
    one (no_credential if none was issued)."""
    if kind is None or (kind == "unknown" and not creds):
        return "unknown_person", cert_no
    if kind == "auxiliary" and not creds:
        return "auxiliary", cert_no
    if cert_no is not None:
        cred = creds.get(cert_no)
        return ("unknown_certificate" if cred is None else status(cred)), cert_no
    issued = sorted((valid_from(c), no) for no, c in creds.items() if valid_from(c) is not None)
    last: tuple[str, str | None] = ("no_credential", None)
    for _, no in issued:
        last = (status(creds[no]), no)
        if last[0] == "valid":
            break
    return last


class Post(NamedTuple):
    start: int
    until: int | None
    grids: frozenset[str]
    role: str
    unit_id: str
    superior: str | None
    eid: str


class Pledge:
    __slots__ = ("pledge_id", "period_from", "period_until", "superior", "signed_eid",
                 "countersigned_by", "top", "countersigned_eid")

    def __init__(self, pledge_id: str) -> None:
        self.pledge_id = pledge_id
        self.period_from: int | None = None
        self.period_until: int | None = None
        self.superior: str | None = None
        self.signed_eid: str | None = None
        self.countersigned_by: str | None = None
        self.top = False
        self.countersigned_eid: str | None = None


class Officer:
    __slots__ = ("officer_id", "kind", "unit_id", "creds", "posts", "dispatches", "pledges",
                 "relations", "cases", "acts", "complaints", "recusals")

    def __init__(self, officer_id: str) -> None:
        self.officer_id = officer_id
        self.kind = "unknown"                       # officer | auxiliary | unknown
        self.unit_id: str | None = None
        self.creds: dict[str, Credential] = {}
        self.posts: list[Post] = []
        self.dispatches: list[Dispatch] = []
        self.pledges: dict[str, Pledge] = {}
        self.relations: list[tuple[str, str, str, int]] = []   # (party, relation, eid, ts)
        self.cases: dict[str, None] = {}            # ordered set of cases acted in
        self.acts: list[tuple[int, str, str]] = []  # (ts, case_id, eid)
        self.complaints: list[str] = []

    def credential(self, ts: int, day: int, cert_no: str | None) -> tuple[str, str | None]:
        """(status, cert_no) of the person acting with ``cert_no`` at ``ts`` (RF02, see
        :func:`person_credential`)."""
        return person_credential(self.kind, self.creds, cert_no,
                                 lambda c: c.status(ts, day), lambda c: c.valid_from)

    def post_at(self, ts: int) -> Post | None:
        best = None
        for p in self.posts:
            if p.start <= ts and (p.until is None or ts < p.until):
                if best is None or p.start >= best.start:
                    best = p
        return best


class Complaint:
    __slots__ = ("complaint_id", "ts", "eid", "category", "unit_id", "accused", "case_id",
                 "acks", "accepted", "extensions", "closings", "records")

    def __init__(self, complaint_id: str) -> None:
        self.complaint_id = complaint_id
        self.ts: int | None = None
        self.eid: str | None = None
        self.category: str | None = None
        self.unit_id: str | None = None
        self.accused: tuple[str, ...] = ()
        self.case_id: str | None = None
        self.acks: list[tuple[int, str, str]] = []   # (ts, eid, method)
        self.accepted: list[tuple[int, str]] = []   # (ts, eid): acknowledgements accepting it (受理)
        self.extensions: list[tuple[int, int, str, str]] = []     # (ts, days, approver, eid)
        #: (ts, handler, eid) of every closing: one may be re-closed, or a closing recorded late
        self.closings: list[tuple[int, str, str]] = []
        self.records: list[Ev] = []       # every event of the stream, with its recorded time

    def recorded_ahead(self, eid: str) -> int | None:
        """As :meth:`Case.recorded_ahead`, for a record of this complaint."""
        return recorded_ahead(self.records, eid)


#: acknowledgements in writing (XFGZ 第23条第2款: 书面告知): a letter, or a text the complainant
#: receives and keeps (an SMS, the online 信访 system); a phone call is not (RF23.a, the view)
WRITTEN_ACKS = frozenset({"written", "sms", "online"})


def money_of(decided: Any, decisions: list[Any], at: Any) -> bool:
    """Whether money received at ``at`` belongs to the decision made at ``decided``, one of the
    case's ``decisions`` (their instants, comparable): received from it up to the next
    decision, in world time; money before the case's first decision is the first's
    (:meth:`Case.owns_money`, and the case view's totals)."""
    later = [d for d in decisions if d > decided]
    return (not later or at < min(later)) and (at >= decided or decided == min(decisions))


def decision_key(body: Mapping[str, Any], occurred_at: str) -> tuple[str, int, int]:
    """What tells one ``PenaltyDecided`` from another (:func:`same_decision`): its decision
    number, its instant (seconds) and its fine in fen."""
    return (body["decision_no"], ts_of(occurred_at), body["amount_fen"])


def same_decision(a: tuple[str, Any, int], b: tuple[str, Any, int]) -> bool:
    """Whether two ``PenaltyDecided`` — each (decision number, instant, fine in fen) — record one
    decision: an integrator that signs a decision again after a lost answer posts it under a new
    event id. One document number decided at one instant for one fine is one decision, counted
    once by the rules and the case view alike (docs/events.md, decision 5); a number decided
    again at another instant or for another fine is a second decision."""
    return a == b


def collection_key(body: Mapping[str, Any], occurred_at: str) -> tuple[str | None, str, int, int]:
    """What tells one ``OnsiteCashCollected`` from another (:func:`same_collection`): its
    receipt number, the decision it pays, its instant (seconds) and its amount in fen."""
    return (body.get("receipt_no"), body["decision_no"], ts_of(occurred_at), body["amount_fen"])


def same_collection(a: tuple[str | None, str, int, int],
                    b: tuple[str | None, str, int, int]) -> bool:
    """Whether two ``OnsiteCashCollected`` of one case — each :func:`collection_key` — record
    one collection posted again under a new event id: one receipt issued at one instant for
    one decision and amount (docs/events.md, decision 6). A collection with no receipt cannot
    be told from another and is always one more; a receipt number used at another instant,
    for another decision or amount, or in another case, is a receipt reused (RF05.a)."""
    return a[0] is not None and a == b


def payment_key(body: Mapping[str, Any]) -> tuple[str, str, int, str]:
    """What tells one ``PaymentRecorded`` from another (:func:`same_payment`): the payment's
    id, the decision it pays, its amount in fen and its channel."""
    return (body["payment_id"], body["decision_no"], body["amount_fen"], body["channel"])


def same_payment(a: tuple[str, str, int, str], b: tuple[str, str, int, str]) -> bool:
    """Whether two ``PaymentRecorded`` of one case — each :func:`payment_key` — record one
    payment: an enforcement system that posts a payment again after a lost answer does so
    under a new event id, and the bank's ``payment_id`` names one payment, received once
    (docs/events.md, decision 6). The same id for another decision, amount or channel is a
    conflicting record, counted as recorded and flagged (RF06.f)."""
    return a == b


def plan_refused(party_applied: bool, approver: str, investigators: Collection[str],
                 passed: str | None) -> str | None:
    """Why a deferral or instalment plan does not move the payment deadline (RF06 and the case
    view), or None when it does. APL 第66条第2款 (经当事人申请和行政机关批准): the party applied,
    no investigator of the case approved it (as RF12.b an extension); ``passed`` is the payment
    deadline (ISO day) that had passed when it was approved, if one had."""
    if not party_applied:
        return "the party did not apply (APL 第66条第2款)"
    if approver in investigators:
        return f"approved by {approver}, an investigator of the case"
    if passed is not None:
        return f"approved after the payment deadline {passed} had passed"
    return None


#: the heads deciding together (集体讨论): the one form that extends the decision deadline beyond
#: what a single head may grant
COLLECTIVE = "collective_discussion"


def decision_extension_counted(days: int, form: str, approver: str,
                               investigators: Collection[str], passed: str | None, *,
                               forms: Collection[str], head_max: int, head_used: int,
                               role: str, head_roles: Collection[str]
                               ) -> tuple[int, str | None]:
    """How many of an extension's ``days`` move the decision deadline (RF12.a/b and the case
    view), and why not all of them (None when all count). APL 第60条 defers to the sectoral
    rules: one approved in a form of ``forms``, by no investigator of the case, in a head's form
    only by a head — ``role``, the approver's post at the approval (``unknown`` without one),
    one of ``head_roles`` (RF11.d's heads) — before the deadline in force had passed
    (``passed``: that deadline, ISO day, if it had); a single head (负责人, any form but 集体讨论)
    extends by ``head_max`` days in all, of which ``head_used`` are already counted — beyond
    that only collective discussion extends."""
    counted, reason = decision_extension_judged(days, form, approver, investigators, passed,
                                                forms=forms, head_max=head_max,
                                                head_used=head_used, role=role,
                                                head_roles=head_roles)
    if reason is None:
        return counted, None
    return counted, {
        "form": f"approval form {form} is not one of {', '.join(forms)}",
        "investigator": f"approved by {approver}, an investigator of the case",
        "not_head": f"approved by {approver} ({role}), not a head of the agency (负责人)",
        "late": f"approved after the deadline {passed} had passed",
        "head_max": f"{days - counted} of its {days} days exceed the {head_max} days a head "
                    "(负责人) may grant; only collective discussion (集体讨论) extends further",
    }[reason]


def decision_extension_judged(days: int, form: str, approver: str,
                              investigators: Collection[str], passed: str | None, *,
                              forms: Collection[str], head_max: int, head_used: int,
                              role: str, head_roles: Collection[str]
                              ) -> tuple[int, str | None]:
    """:func:`decision_extension_counted`'s judgement, its reason as a code — ``form``,
    ``investigator``, ``not_head``, ``late`` or ``head_max`` (None when every day counts) — for
    a caller that words it in another language (RF12.b's ``summary_zh``)."""
    if form not in forms:
        return 0, "form"
    if approver in investigators:
        return 0, "investigator"
    # the form is what the record claims, the post what the ledger knows (as RF20.a, RF16.b);
    # collective discussion is the body's decision, whoever signs it
    if form != COLLECTIVE and role not in head_roles:
        return 0, "not_head"
    if passed is not None:
        return 0, "late"
    left = max(0, head_max - head_used)
    if form != COLLECTIVE and days > left:
        return left, "head_max"
    return days, None


def complaint_extension_refused(approver: str | None, role: str,
                                accused: tuple[str, ...] | list[str], passed: str | None,
                                head_roles: tuple[str, ...]) -> str | None:
    """Why an extension of a complaint's closing deadline does not count (RF23.b and the
    complaint view), or None when it does. XFGZ 第34条 lets 本机关负责人 approve it: an approver
    whose post at the approval (``role``) is one of ``head_roles`` (RF11.d's heads), never an
    officer the complaint is about; ``passed`` is the deadline (ISO day) that had passed when it
    was approved, if one had."""
    if not approver:
        return "approved by nobody"
    if approver in accused:
        return f"approved by {approver}, an officer the complaint is about"
    if role not in head_roles:
        return f"approved by {approver} ({role}), not a head of the agency (本机关负责人)"
    if passed is not None:
        return f"approved after the deadline {passed} had passed"
    return None


def complaint_extension_days(days: int, used: int, max_days: int) -> tuple[int, str | None]:
    """How many of the ``days`` of an extension :func:`complaint_extension_refused` accepts
    count, after ``used`` days of earlier ones (RF23.b and the complaint view): XFGZ 第34条
    延长期限不得超过30日 — ``max_days`` in all; and why not all of them do, or None."""
    counted = max(0, min(days, max_days - used))
    if counted == days:
        return days, None
    return counted, (f"{days - counted} of its {days} days exceed the {max_days} days of "
                     "extension XFGZ 第34条 allows in all")


class Supervision:
    """One supervision notice (督办): issued to a unit with a deadline, answered by feedback,
    reviewed (accepted or sent back) by the supervisor."""

    __slots__ = ("notice_id", "ts", "eid", "unit_id", "respond_by", "feedback", "reviews",
                 "records")

    def __init__(self, notice_id: str) -> None:
        self.notice_id = notice_id
        self.ts: int | None = None
        self.eid: str | None = None
        self.unit_id: str | None = None
        self.respond_by: int | None = None                        # legal day (ordinal)
        self.feedback: list[tuple[int, str]] = []                 # (ts, eid)
        self.reviews: list[tuple[int, str, str]] = []             # (ts, result, eid)
        self.records: list[Ev] = []       # every event of the stream, with its recorded time

    def recorded_ahead(self, eid: str) -> int | None:
        """As :meth:`Case.recorded_ahead`, for a record of this notice."""
        return recorded_ahead(self.records, eid)


class Unit:
    __slots__ = ("unit_id", "cases", "campaigns")

    def __init__(self, unit_id: str) -> None:
        self.unit_id = unit_id
        self.cases: dict[str, None] = {}            # cases with a decision in this unit
        #: (first day, last day, violation codes (empty = all), approved, eid)
        self.campaigns: list[tuple[int, int, frozenset[str], bool, str]] = []


class Case:
    """Everything the single-case, time and cross-case rules read about one case."""

    __slots__ = (
        "case_id", "unit_id", "procedure", "filed", "general_filed", "violation_ts", "violation_end_ts", "code",
        "parties", "loc",
        "events", "acts", "persons", "evidence", "shown", "shown_on", "rect_orders",
        "rect_verified",
        "warnings", "investigation", "benchmarks", "deviations", "notices", "statements",
        "reviews", "waived", "hearing_requests", "hearings_scheduled", "hearings_held",
        "legal_reviews", "collective", "extensions", "decided", "decisions", "outcomes",
        "served",
        "summary_filed", "published", "unpublished", "changes", "voided", "closings", "payments",
        "cash", "remitted", "deposited", "reconciled", "surcharges", "instalments", "seizures",
        "inventories", "returned", "disposed", "recusals", "complaints", "stat_keys", "ahead",
        "by_party", "party_of_no", "named")

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.unit_id: str | None = None
        self.procedure: str | None = None
        self.filed: Ev | None = None
        #: the first general-procedure filing (立案), which RF12.a's 90 days count from
        self.general_filed: Ev | None = None
        self.violation_ts: int | None = None
        #: when a continuing or repeated violation ended (APL 第36条第2款), if recorded
        self.violation_end_ts: int | None = None
        self.code: str | None = None
        self.parties: dict[str, str | None] = {}      # party_ref -> party_type
        self.loc: Loc | None = None
        self.events: list[Ev] = []
        self.acts: list[Act] = []
        self.persons: set[str] = set()
        self.evidence: list[Evidence] = []
        self.shown: list[tuple[int, str]] = []
        #: CredentialShown events filmed as a given evidence item (event id -> evidence id)
        self.shown_on: dict[str, str] = {}
        #: (ts, deadline ts | None, party, eid)
        self.rect_orders: list[tuple[int, int | None, str, str]] = []
        self.rect_verified: list[tuple[int, str, str]] = []    # (ts, result, eid)
        #: (ts, party, form, code, eid)
        self.warnings: list[tuple[int, str, str, str | None, str]] = []
        self.investigation: list[tuple[int, str]] = []
        #: (ts, table, code, tier, min, max, eid)
        self.benchmarks: list[tuple[int, str, str, str, int, int, str]] = []
        #: (ts, form, proposed amount, approved_by, eid)
        self.deviations: list[tuple[int, str, int, str, str]] = []
        self.notices: list[Notice] = []
        #: (time, event id, the party who spoke)
        self.statements: list[tuple[int, str, str]] = []
        self.reviews: list[tuple[int, str]] = []
        #: (time, rights waived, event id, the party who waived them)
        self.waived: list[tuple[int, frozenset[str], str, str]] = []
        #: (time, event id, the party who asked)
        self.hearing_requests: list[tuple[int, str, str]] = []
        self.hearings_scheduled: list[tuple[int, int, str, str]] = []  # ts, for, presider, eid
        self.hearings_held: list[tuple[int, str, tuple[str, ...], str]] = []
        #: (ts, reviewer, qualified, result, eid)
        self.legal_reviews: list[tuple[int, str, bool, str, str]] = []
        self.collective: list[tuple[int, str, str]] = []      # ts, conclusion, eid
        #: (ts, days, approved_by, form, eid, recorded, log index)
        self.extensions: list[tuple[int, int, str, str, str, int, int]] = []
        #: every decision recorded (a decision recorded again once), and those the rules read:
        #: all but one whose form was voided before it was served (:meth:`void_of`)
        self.decided: list[Decision] = []
        self.decisions: list[Decision] = self.decided
        self.outcomes: list[Outcome] = []
        self.served: list[tuple[int, str]] = []
        self.summary_filed: list[tuple[int, str]] = []
        self.published: list[tuple[int, str]] = []
        self.unpublished: list[tuple[int, str]] = []
        self.changes: list[Change] = []
        self.voided: list[tuple[int, str, tuple[str, ...], str]] = []   # ts, form, officers, eid
        #: every CaseClosed (ts, outcome, eid), in log order: a case reopened (a decision made
        #: anew after its closing) is closed again (:meth:`closing_of`)
        self.closings: list[tuple[int, str, str]] = []
        #: one per payment: a payment recorded again (:func:`same_payment`) is not another
        self.payments: list[Payment] = []
        self.cash: list[Cash] = []
        self.remitted: list[tuple[int, int, str]] = []
        self.deposited: list[tuple[int, int, str, int, int]] = []  # ts, amount, eid, rts, idx
        self.reconciled: list[tuple[int, int, str, str]] = []           # ts, amount, result, eid
        #: (ts, principal, rate bp, days, surcharge, eid, the decision it names or None)
        self.surcharges: list[tuple[int, int, int, int, int, str, str | None]] = []
        self.instalments: list[Plan] = []
        self.seizures: dict[str, Seizure] = {}
        self.inventories: dict[str, list[tuple[int, str]]] = {}
        #: seizure id -> [(ts, items, eid, returned to)]
        self.returned: dict[str, list[tuple[int, frozenset[str], str, str]]] = {}
        #: seizure id -> [(ts, items, method, record present, recipient, eid)]
        self.disposed: dict[str, list[tuple[int, frozenset[str], str, bool, str | None, str]]] = {}
        # ts, officer, decision, eid, decided_by
        self.recusals: list[tuple[int, str, str, str, str]] = []
        self.complaints: list[str] = []
        #: the cohort, grid and unit subjects this case was filed under when it was decided
        self.stat_keys: dict[tuple[str, str], None] = {}
        #: event id -> recorded time of each event claiming a time after its recording (rare:
        #: the deadlines it opens count from the recording, :meth:`recorded_ahead`)
        self.ahead: dict[str, int] = {}
        #: party_ref -> its decisions, in log order: a decision is replaced (made anew) only by
        #: a later one of the same party, never by a co-party's (共同违法)
        self.by_party: dict[str, list[Decision]] = {}
        #: decision number -> the party decided under it (None: several parties share it)
        self.party_of_no: dict[str, str | None] = {}
        #: event id -> the decision number it names, for the steps that name one (service,
        #: filing, publication and its withdrawal; payments and cash carry theirs)
        self.named: dict[str, str] = {}

    # --- derived views used by several rules ----------------------------------------------

    def current_amount(self, decision: Decision, until: int | None = None) -> int:
        """The amount in force after amendments/withdrawal (up to ``until`` if given): the
        latest change in world time, not in log order (a change may be recorded late). A
        withdrawal is final: an amendment after it changes nothing, as the case view reads it."""
        amount = decision.amount
        for ch in self._changes_of(decision):
            if until is None or ch.ts <= until:
                if ch.type == "PenaltyWithdrawn":
                    return 0
                amount = ch.amount
        return amount

    def changed_while_published(self) -> tuple[Change, Decision] | None:
        """The case's first amendment or withdrawal that changes a decision
        (:meth:`changes_a_decision`), of whichever one, and that decision, made while a
        decision of its party was published (the last publication event of its party's
        decisions at or before the change is a publication, :meth:`concerns`: a co-party's
        stays up): APL 第48条第2款 owes the publication's withdrawal then (RF12.f), as the case
        view opens its ``publication_withdrawal`` deadline."""
        for ch in self.changes:
            d = self.in_force(ch.decision_no, ch.ts)
            if d is None or d.decision_no != ch.decision_no:
                continue
            if self._shown(d, ch.ts):
                return ch, d
        return None

    def _shown(self, decision: Decision, ts: int, since: int | None = None) -> bool:
        """Whether the last publication event of ``decision``'s party's decisions
        (:meth:`concerns`) at or before ``ts`` (and at or after ``since``), in world time, is a
        publication: a decision of the party is published then."""
        def within(at: int, eid: str) -> bool:
            return (since is None or since <= at) and at <= ts and self.concerns(eid, decision)
        return max([(at, True) for at, eid in self.published if within(at, eid)]
                   + [(at, False) for at, eid in self.unpublished if within(at, eid)],
                   default=(0, False))[1]

    def voided_while_published(self) -> list[tuple[tuple[int, str, tuple[str, ...], str],
                                                    Decision]]:
        """The voids that ended a decision (:meth:`void_of`) while it was published — the last
        publication event of its party's decisions from the decision to the void, in world
        time, is a publication (:meth:`concerns`) — with that decision: it never took effect,
        and APL 第48条第2款 owes the publication's withdrawal as for one revoked (RF12.f,
        docs/red-flags.md)."""
        out = []
        for d in self.decided if self.voided and self.published else ():
            v = self.void_of(d)
            if v is not None and self._shown(d, v[0], since=d.ts):
                out.append((v, d))
        return out

    def benchmark_at(self, ts: int) -> tuple[int, str, str, str, int, int, str] | None:
        """The benchmark applied last at or before ``ts`` in world time (a record may sync
        late; of one instant, the last recorded): the tier a decision at ``ts`` applied."""
        applied = None
        for b in self.benchmarks:
            if b[0] <= ts and (applied is None or b[0] >= applied[0]):
                applied = b
        return applied

    def withdrawal_of(self, decision: Decision) -> Change | None:
        """The withdrawal of ``decision``, if any: a decision made anew after a withdrawal is
        not withdrawn by it."""
        for ch in self._changes_of(decision):
            if ch.type == "PenaltyWithdrawn":
                return ch
        return None

    def first_for(self, decision: Decision, events: list[tuple[int, str]], *,
                  since: int | None = None, at: Callable[[int, str], int] | None = None
                  ) -> tuple[int, str] | None:
        """The first of ``events`` ((ts, eid)) that is ``decision``'s: at or after it and before
        the next decision (service, filing, publication of a decision made anew are its own),
        among those it may be of (:meth:`scope`: its party's, when the event names a decision
        of the case). ``since``: the instant the decision counts from, if not its claim;
        ``at(ts, eid)``: the instant an event counts at, if not its claim, and the answer's (a
        deadline of an act dated after its recording, :meth:`Ctx.since`)."""
        own = self._next_decision(decision)
        every = min((d.ts for d in self.decisions if d.ts > decision.ts), default=None)
        start = decision.ts if since is None else since
        best = None
        for ts, eid in events:
            no = self.named.get(eid)
            if no is None or no not in self.party_of_no:
                end = every              # names no decision of the case: world time
            elif self.concerns(eid, decision):
                end = own
            else:
                continue
            if end is not None and ts >= end:
                continue
            x = (ts if at is None else at(ts, eid), eid)
            if x[0] >= start and (best is None or x < best):
                best = x
        return best

    def index_party(self, d: Decision) -> None:
        """Index decision ``d`` (one of :attr:`decisions`) by its party and its number
        (:attr:`by_party`, :attr:`party_of_no`)."""
        self.by_party.setdefault(d.party_ref, []).append(d)
        if self.party_of_no.get(d.decision_no, d.party_ref) != d.party_ref:
            self.party_of_no[d.decision_no] = None          # one number, several parties
        else:
            self.party_of_no[d.decision_no] = d.party_ref

    def index_parties(self) -> None:
        """Index :attr:`decisions` again, after a void ended one or a decision followed one
        (``Fold._unvoided``): a voided decision is no party's."""
        self.by_party, self.party_of_no = {}, {}
        for d in self.decisions:
            self.index_party(d)

    def scope(self, decision_no: str | None) -> list[Decision]:
        """The decisions a step or a payment naming ``decision_no`` is read among, in world
        time: those of the party the case decided under that number (of the parties, if
        several share it) — a co-party's decision does not replace it; every decision of the
        case when it has none of that number (or the event names none), as RF20.d's change
        naming no decision. In a case of one party, every decision either way."""
        if decision_no is None or decision_no not in self.party_of_no:
            return self.decisions
        party = self.party_of_no[decision_no]
        if party is not None:
            return self.by_party[party]
        parties = {d.party_ref for d in self.decisions if d.decision_no == decision_no}
        return [d for d in self.decisions if d.party_ref in parties]

    def concerns(self, eid: str, decision: Decision) -> bool:
        """Whether event ``eid`` (a step or money naming a decision, :attr:`named`) may be
        ``decision``'s: it names a decision of ``decision``'s party, or none the case has."""
        no = self.named.get(eid)
        if no is None or no not in self.party_of_no:
            return True
        party = self.party_of_no[no]
        return party == decision.party_ref if party is not None else \
            decision in self.scope(no)

    def owns_money(self, decision: Decision, ts: int, decision_no: str | None = None) -> bool:
        """Whether money received at ``ts`` (naming decision ``decision_no``) is
        ``decision``'s: received from it up to the next decision in world time among those the
        money may be of (:meth:`scope`: its party's when it names a decision of the case; money
        received before the first of them is the first's). A payment on a decision later
        withdrawn stays with it: the vocabulary has no refund event, and it never pays the
        decision made anew."""
        scope = self.scope(decision_no)
        if decision.party_ref != scope[0].party_ref and decision not in scope:
            return False
        return money_of(decision.ts, [d.ts for d in scope], ts)

    def in_force(self, decision_no: str, ts: int) -> Decision | None:
        """The decision in force at ``ts`` among those a change or step naming ``decision_no``
        is read among (:meth:`scope`), in world time; None before the first of them."""
        return max((d for d in self.scope(decision_no) if d.ts <= ts),
                   key=lambda d: (d.ts, d.idx), default=None)

    def decision_at(self, ts: int, decision_no: str | None) -> Decision | None:
        """As :meth:`in_force`, or before the first decision the event may be of, the first
        (the decision it anticipates: money, a change recorded early); None without one."""
        scope = self.scope(decision_no)
        return self.in_force(decision_no, ts) or (scope[0] if scope else None)

    def changes_a_decision(self, ch: Change) -> bool:
        """Whether ``ch`` changes a decision: it names (``decision_no``) the decision in force
        at its time, in world time, among its party's. One naming a decision the case does not
        have (RF20.d), or one a later decision of its party replaced, changes nothing, as the
        case view reads it."""
        d = self.in_force(ch.decision_no, ch.ts)
        return d is not None and d.decision_no == ch.decision_no

    def closing_of(self, decision: Decision) -> tuple[int, str, str] | None:
        """The first closing (ts, outcome, eid) of ``decision``, in world time: one made while
        it was in force among its party's decisions, as its money (:meth:`owns_money`; a
        closing before the party's first decision is the first's). The closing of a decision
        revoked and made anew after the case was closed (复议, 诉讼) says nothing of the new
        decision's money; a co-party's decision does not end this one's."""
        # a decision a void ended is no party's (index_parties): its own alone
        mine = [d.ts for d in self.by_party.get(decision.party_ref, ())] or [decision.ts]
        return min((x for x in self.closings if money_of(decision.ts, mine, x[0])),
                   default=None)

    def _changes_of(self, decision: Decision) -> list[Change]:
        """The changes of ``decision`` in world time: those naming it, from it up to the next
        decision of its party (:meth:`changes_a_decision`)."""
        if not self.changes:            # most cases: no need to find the next decision
            return []
        end = self._next_decision(decision)
        return sorted((ch for ch in self.changes
                       if ch.decision_no == decision.decision_no and ch.ts >= decision.ts
                       and (end is None or ch.ts < end)),
                      key=lambda ch: ch.ts)

    def _next_decision(self, decision: Decision) -> int | None:
        """The instant of the next decision of ``decision``'s party (the one made anew)."""
        own = self.by_party.get(decision.party_ref, ())   # a voided decision is none's
        return min((d.ts for d in own if d.ts > decision.ts), default=None)

    def void_of(self, decision: Decision) -> tuple[int, str, tuple[str, ...], str] | None:
        """The voiding of ``decision``'s numbered form that ended it, if any: the first
        ``DecisionFormVoided`` of its ``form_no`` at or after it, in world time, with no service
        of it in between (a service before its party's next decision recorded, naming it or a
        decision of its party or none the case has: a co-party's service serves the co-party).
        A form spoilt before it was handed over (APL 第52条 当场交付) bore no decision that took
        effect, and the form issued instead bears the decision; one voided after it was served
        changes nothing (changing or revoking a decision is a ``PenaltyAmended`` /
        ``PenaltyWithdrawn``, RF20.a), as the case view reads it."""
        if decision.form_no is None:
            return None
        for v in sorted(self.voided):
            if v[1] == decision.form_no and v[0] >= decision.ts:
                party = decision.party_ref
                until = min([d.ts for d in self.decided if d.ts > decision.ts
                             and d.party_ref == party] + [v[0] + 1])
                served = any(decision.ts <= ts < until and self._serves(eid, party)
                             for ts, eid in self.served)
                return None if served else v
        return None

    def _serves(self, eid: str, party: str) -> bool:
        """Whether service ``eid`` may be of a decision of ``party``: it names one of the
        party's decisions, or none the case decided (read in world time). Among every decision
        made, voided ones included: :attr:`party_of_no` forgets a decision a void ended."""
        no = self.named.get(eid)
        parties = {d.party_ref for d in self.decided if d.decision_no == no}
        return not parties or party in parties

    def recorded_ahead(self, eid: str) -> int | None:
        """The recorded time of event ``eid`` if it claims a later time, else None (its claim
        is the time to count from; the engine's ``Ctx.since``)."""
        return self.ahead.get(eid)

    def investigators(self) -> set[str]:
        """Officers who acted in the investigation (not mere deciders/approvers)."""
        out: set[str] = set()
        for act in self.acts:
            if act.type in INVESTIGATIVE:
                out.update(oid for oid, _ in act.actors)
        for _, _, investigators, _ in self.hearings_held:
            out.update(investigators)
        return out


#: case events whose actors investigate (RF09.e, RF11.b/d)
INVESTIGATIVE = frozenset({"CaseFiled", "EvidenceRecorded", "InspectionPerformed",
                           "InvestigationConcluded", "PenaltyNoticeServed", "RectificationOrdered",
                           "CredentialShown", "WarningIssued", "PropertySeized",
                           "PreservationOrdered"})

#: body fields naming people (RF26: "acted in its case")
PERSON_FIELDS = ("decided_by", "approved_by", "reviewer_id", "presider_id", "chaired_by",
                 "participants", "reviewed_by", "closed_by", "archived_by", "filed_by",
                 "handled_by", "remitted_by", "received_by", "deposited_by", "officer_id")


#: the longest statistics window (RF17, RF20.c) in calendar quarters; ``stats_window_quarters``
#: is clamped to it
MAX_WINDOW_QUARTERS = 4


def quarter_shift(quarter: str, k: int) -> str:
    """The quarter ``k`` quarters after ``quarter`` (``"2024-Q4"``, 1 -> ``"2025-Q1"``), in
    :func:`~.days.quarter_of`'s form for any year."""
    year, _, q = quarter.rpartition("-Q")
    n = int(year) * 4 + int(q) - 1 + k
    return f"{year_text(n // 4)}-Q{n % 4 + 1}"


def loc_of(value: dict[str, Any] | None) -> Loc | None:
    if not value:
        return None
    return Loc(value.get("lat_e6"), value.get("lon_e6"), value.get("grid_id"))


def deciders_of(body: dict[str, Any]) -> tuple[str, ...]:
    """Who decided, from ``decided_by``: a list of officer ids in a case's decisions, one id in
    a recusal's (``RecusalDecided``: the head who decided it) — a string is one person, not its
    characters."""
    who = body.get("decided_by")
    if not who:
        return ()
    return (who,) if type(who) is str else tuple(who)


def actors_of(body: dict[str, Any]) -> tuple[tuple[str, str | None], ...]:
    refs = body.get("officers") or body.get("investigators")
    if not refs:
        return ()
    return tuple([(r["officer_id"], r.get("cert_no")) for r in refs])


#: disposition event type -> the flag's ``disposition``
DISPOSED = {"FlagAcknowledged": "acknowledged", "FlagDismissed": "dismissed",
            "FlagConfirmed": "confirmed", "FlagReferred": "referred"}


class Disposition(NamedTuple):
    """An inspector's disposition of a flag, as folded (RF26, RF28, RF29)."""
    type: str
    ts: int
    inspector: str
    reason_code: str | None
    eid: str
    key_id: str
    key_units: frozenset[str] | None    # the signer's units; None = every unit
    recorded: int                       # when the ledger recorded it (RF29)
    idx: int                            # its log index (a declared historical import: RF29.b)


