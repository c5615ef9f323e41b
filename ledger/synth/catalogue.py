"""The misconduct a synthetic city can plant, and the red flags each kind should raise.

Three scopes:

* ``case`` kinds are planted in one case each, at ``rate`` × the number of cases (times
  ``CityParams.misconduct``), at least ``CityParams.min_each`` of each;
* ``actor`` kinds come from scenarios about a person, a team, a unit or a party (a corrupt
  officer, a shakedown team, a unit with a fine quota, a favoured party, an officer whose
  credential lapsed, …) and are planted once per scenario;
* ``notice`` kinds are planted once per city in one supervision notice each (RF27).

``rules`` name the sub-rules of shared/domain/red_flags.yaml the item should trigger;
``rf`` their flag ids. ``types`` are the event types whose ids the ground truth lists for the
item (the events a flag would cite).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import EVENT_TYPES


@dataclass(frozen=True)
class Kind:
    name: str
    rules: tuple[str, ...]
    scope: str                      # case | actor
    types: tuple[str, ...]
    description: str
    rate: float = 0.002

    @property
    def rf(self) -> tuple[str, ...]:
        return tuple(sorted({r.split(".")[0] for r in self.rules}))


def _c(name: str, rules: tuple[str, ...], types: tuple[str, ...], description: str,
       rate: float = 0.002) -> Kind:
    return Kind(name, rules, "case", types, description, rate)


def _a(name: str, rules: tuple[str, ...], types: tuple[str, ...], description: str) -> Kind:
    return Kind(name, rules, "actor", types, description, 0.0)


def _n(name: str, rules: tuple[str, ...], types: tuple[str, ...], description: str) -> Kind:
    return Kind(name, rules, "notice", types, description, 0.0)


DECIDED = ("PenaltyDecided",)
#: every event type in which a person acts (lists officers, investigators or deciders): a
#: person without a valid credential or pledge taints each of them (RF01, RF02, RF22)
ACTS = tuple(sorted(name for name, t in EVENT_TYPES.items()
                    if {"officers", "investigators", "decided_by"} & set(t.body.fields)))

KINDS: tuple[Kind, ...] = (
    # RF01 / RF02 — who acted
    _c("lone_officer", ("RF01",), ("CaseFiled", "PenaltyDecided"),
       "one officer files and decides a summary case alone"),
    _c("duplicate_officer", ("RF01",), ("CaseFiled", "PenaltyDecided"),
       "the same officer and certificate listed twice as the two officers"),
    _c("auxiliary_decides", ("RF02", "RF01"), ("CaseFiled", "PenaltyDecided"),
       "an auxiliary staff member (协管员, no certificate) decides a fine with one officer"),
    _a("expired_credential_acts", ("RF02", "RF01"), ("OfficerCredentialExpired",) + ACTS,
       "an officer whose certificate expired (not renewed) keeps deciding cases"),
    _a("suspended_officer_acts", ("RF02", "RF01"), ("OfficerCredentialSuspended",) + ACTS,
       "an officer keeps deciding cases while the certificate is suspended"),
    # RF03 / RF04 / RF05 / RF06 — summary procedure and money
    _c("summary_over_limit", ("RF03",), DECIDED,
       "summary (on-the-spot) fine above 200 CNY for an individual"),
    _c("onsite_cash_over_limit", ("RF04",), ("PenaltyDecided", "OnsiteCashCollected"),
       "fine above 100 CNY collected in cash on the spot with no legal ground"),
    _c("cash_overcollected", ("RF04",), ("PenaltyDecided", "OnsiteCashCollected"),
       "more cash collected on the spot than the decided fine"),
    _c("cash_no_receipt", ("RF05.a",), ("OnsiteCashCollected",),
       "cash collected on the spot without an official receipt"),
    _c("cash_remitted_late", ("RF05.b",), ("OnsiteCashCollected", "OnsiteCashRemitted"),
       "on-the-spot cash handed in to the agency after more than 2 working days"),
    _c("deposit_late", ("RF05.c",), ("OnsiteCashRemitted", "AgencyDeposited"),
       "the agency paid on-the-spot cash into the bank after more than 2 working days"),
    _a("cash_kept_past_deadline", ("RF05.b",), ("OnsiteCashCollected", "OnsiteCashRemitted"),
       "corrupt officer: cash kept for days past the 2-working-day remittance deadline"),
    _c("payment_to_officer", ("RF06.c",), ("PaymentRecorded",),
       "a fine paid through a non-designated channel (cash handed to the officer)"),
    _c("closed_unreconciled", ("RF06.a",), ("PaymentRecorded", "CaseClosed"),
       "case closed as paid with no treasury reconciliation"),
    _c("payment_short", ("RF06.b", "RF06.a"), ("PenaltyDecided", "PaymentRecorded", "CaseClosed"),
       "payment below the decided amount, case closed as paid"),
    _c("unpaid_no_followup", ("RF06.e",), ("PenaltyDecided", "DecisionServed"),
       "fine never paid and never followed up (no surcharge, instalment or court)"),
    # RF07 / RF08 — evidence and recording
    _c("decision_without_evidence", ("RF07",), ("PenaltyDecided", "EvidenceRecorded"),
       "penalty decided with no evidence captured before; a photo taken two days later"),
    _c("backdated_evidence", ("RF08.b", "RF07"), ("EvidenceRecorded", "PenaltyDecided"),
       "evidence recorded after the case was closed, dated before it was filed"),
    _c("bodycam_gap", ("RF08.c",), ("PenaltyDecided",),
       "summary fine on the street with no bodycam video of it"),
    # RF09 / RF10 / RF11 — procedural rights, review
    _c("no_notice", ("RF09.a",), DECIDED,
       "general-procedure fine decided without a penalty notice (告知)"),
    _c("defence_ignored", ("RF09.b",), ("StatementReceived", "PenaltyDecided"),
       "the party's statement/defence received but never reviewed"),
    _c("window_not_respected", ("RF09.c",), ("PenaltyNoticeServed", "PenaltyDecided"),
       "hearing-eligible case decided 2 working days after the notice, no waiver"),
    _c("hearing_denied", ("RF09.d",), ("HearingRequested", "PenaltyDecided"),
       "hearing requested in time, decided without a hearing"),
    _c("presider_conflict", ("RF09.e",), ("HearingHeld",),
       "the hearing presided over by the case's own investigator"),
    _c("hearing_short_notice", ("RF09.f",), ("HearingScheduled", "HearingHeld"),
       "hearing held 3 working days after it was scheduled"),
    _c("heavier_after_defence", ("RF10",),
       ("PenaltyNoticeServed", "StatementReceived", "PenaltyDecided"),
       "decided fine heavier than the notice after the party's defence"),
    _c("no_legal_review_after_hearing", ("RF11.a",), ("HearingHeld", "PenaltyDecided"),
       "decided after a hearing with no legal review (法制审核)"),
    _c("unqualified_reviewer", ("RF11.b",), ("LegalReviewCompleted",),
       "legal review by a reviewer without legal qualification"),
    _c("officer_decides_general", ("RF11.d",), DECIDED,
       "general-procedure fine decided by the investigating officer, not an agency head"),
    # RF12 — deadlines
    _c("decision_overdue", ("RF12.a",), ("CaseFiled", "PenaltyDecided"),
       "decided more than 90 days after filing with no extension"),
    _c("service_late", ("RF12.c",), ("PenaltyDecided", "DecisionServed"),
       "party absent; decision served more than 7 working days later"),
    _c("summary_not_filed", ("RF12.d",), DECIDED,
       "summary decision never filed with the agency (备案)"),
    _c("publication_late", ("RF12.e",), ("PenaltyDecided", "DecisionPublished"),
       "decision published more than 7 working days after it was made"),
    _c("publication_not_withdrawn", ("RF12.f",), ("DecisionPublished", "PenaltyWithdrawn"),
       "decision revoked, its publication left up past the 3 working days"),
    _c("preservation_overdue", ("RF12.g", "RF25.b"), ("PreservationOrdered",),
       "evidence registered for preservation, no handling decision within 7 working days"),
    _c("time_barred", ("RF12.h",), ("CaseFiled",),
       "case filed more than two years after the violation"),
    # RF13 / RF14 / RF15 / RF16 — substance of the fine
    _c("no_rectification", ("RF13.a",), DECIDED, "fined without any order to correct"),
    _c("precondition_skipped", ("RF13.b",), DECIDED,
       "fined without the statutory precondition (order to clean + refusal / warning)"),
    _a("toll_pattern", ("RF13.c", "RF13.a", "RF19.b"), ("PenaltyDecided",),
       "shakedown: the same stall fined again and again, never ordered to correct"),
    _c("double_fine", ("RF14",), DECIDED, "the same act fined twice in two cases"),
    _c("fine_above_range", ("RF15", "RF16"), DECIDED, "fine above the statutory maximum"),
    _c("fine_below_range", ("RF15", "RF16"), DECIDED,
       "fine below the statutory minimum with no mitigation recorded"),
    _c("deviation_unapproved", ("RF16",), ("BenchmarkApplied", "PenaltyDecided"),
       "amount outside the applied benchmark tier, no approved deviation"),
    _c("no_benchmark", ("RF16",), DECIDED, "general-procedure fine with no benchmark applied"),
    _a("discretion_outlier", ("RF17",), ("PenaltyDecided",),
       "corrupt officer: amounts at the top of the band, far above peers"),
    _a("threshold_bunching", ("RF17",), ("PenaltyDecided",),
       "shakedown officer: amounts piled just under the 100 CNY on-the-spot cash limit"),
    # RF18 / RF19 — parties
    _a("favoured_party", ("RF18.a", "RF18.b", "RF18.c"), ("PenaltyDecided", "WaiverGranted"),
       "one officer waives fines for the same party again and again"),
    _a("relative_no_recusal", ("RF19.a",), ("RelationshipDeclared", "CaseFiled"),
       "officer acts in a case against a declared relative without recusal"),
    # RF20 / RF21 / RF22
    _c("unapproved_reduction", ("RF20.a",), ("PenaltyDecided", "PenaltyAmended"),
       "fine reduced after the decision without approval"),
    _c("self_approved_withdrawal", ("RF20.a",), ("PenaltyDecided", "PenaltyWithdrawn"),
       "decision withdrawn, approved by the person who decided it"),
    _a("form_void_outlier", ("RF20.c",), ("DecisionFormVoided",),
       "officer voids numbered decision forms far more often than peers"),
    _c("out_of_grid", ("RF21.a", "RF21.b"), ("CaseFiled", "PenaltyDecided"),
       "officer enforces in another squadron's grid: outside the post, with no dispatch order, "
       "and outside the unit's published territory"),
    _c("outside_powers", ("RF21.c",), ("CaseFiled", "PenaltyDecided"),
       "officer fines a vendor under a violation code outside the unit's published power list"),
    _a("pledge_expired", ("RF22",), ("IntegrityPledgeSigned",) + ACTS,
       "officer keeps acting after the integrity pledge's period ended"),
    _a("pledge_not_countersigned", ("RF22",), ("IntegrityPledgeSigned",) + ACTS,
       "integrity pledge never countersigned by the superior"),
    # RF23 — complaints
    _c("complaint_unanswered", ("RF23.a", "RF23.b"), ("ComplaintReceived",),
       "extortion complaint never acknowledged nor answered"),
    _c("complaint_overdue", ("RF23.b",), ("ComplaintReceived", "ComplaintClosed"),
       "complaint closed after 60 days with no approved extension"),
    _c("complaint_conflicted_handler", ("RF23.c",), ("ComplaintReceived", "ComplaintClosed"),
       "complaint closed by the accused officer's own superior"),
    _a("violent_complaints_pattern", ("RF23.d",), ("ComplaintReceived",),
       "two violent-enforcement complaints against the same officer within 180 days"),
    # RF27 — supervision notices (督办)
    _n("supervision_answered_late", ("RF27.a",),
       ("SupervisionNoticeIssued", "SupervisionFeedbackSubmitted"),
       "supervision notice answered after its respond-by day"),
    _n("supervision_unanswered", ("RF27.a",), ("SupervisionNoticeIssued",),
       "supervision notice never answered"),
    _n("supervision_not_resubmitted", ("RF27.b",),
       ("SupervisionNoticeIssued", "SupervisionFeedbackAccepted"),
       "feedback sent back (rejected_resubmit) and never resubmitted"),
    # RF24 / RF25
    _a("quota_spikes", ("RF24",), ("PenaltyDecided",),
       "unit with a fine quota: fines spike in the last 5 days of every month"),
    _c("seized_never_returned", ("RF25.b",), ("PropertySeized",),
       "goods seized and never returned or disposed of"),
    _c("seizure_no_inventory", ("RF25.a",), ("PropertySeized",),
       "goods seized with no signed inventory"),
    _c("disposal_irregular", ("RF25.c",), ("PropertySeized", "PropertyDisposed"),
       "seized goods disposed of with no record, to a party linked to an officer"),
)

BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
CASE_KINDS = tuple(k for k in KINDS if k.scope == "case")
ACTOR_KINDS = tuple(k for k in KINDS if k.scope == "actor")
NOTICE_KINDS = tuple(k for k in KINDS if k.scope == "notice")
#: the red flags a city plants: red_flags.yaml's RF01–RF25 and RF27 (supervision notices).
#: RF26 (a flag disposed of by an involved inspector) and RF28 (by a key of other units) are
#: about dispositions, which the city makes only as an independent inspector's confirmations.
RF_IDS = tuple(f"RF{i:02d}" for i in range(1, 26)) + ("RF27",)


def coverage() -> dict[str, list[str]]:
    """RF id -> the kinds that plant it."""
    table: dict[str, list[str]] = {rf: [] for rf in RF_IDS}
    for k in KINDS:
        for rf in k.rf:
            table[rf].append(k.name)
    return table
