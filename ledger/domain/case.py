"""Case events, general and summary procedure (行政处罚法 第五章), on ``case:<case_id>``.

The case id is the stream id and is not repeated in bodies. Officers acting are listed with the
certificate they used (``OFFICERS``); approvals name the approval record and the approver, and
are optional in shape wherever their absence is exactly what a red flag must see (RF16, RF20).
"""

from __future__ import annotations

from typing import Any

from ..schemas import Bool, Enum, Int, ListOf, Money, Nullable, Obj, Opt, Sha256, Str
from .event_type import EventType, Upcaster
from .fields import (APPROVAL_FORM, APPROVAL_ID, DATETIME, DECISION_NO, DEVICE_ID, DOC_SHA256,
                     FORM_NO, GEO, ID, LEGAL_BASIS, OFFICER_ID, OFFICERS, PARTY, PARTY_REF,
                     PENALTY_TYPES, PUBLIC_ID, REASON, SHORT_TEXT, TEXT, TIER, UNIT_ID,
                     VIOLATION_CODE)
from .personal import Impersonal

CASE_APP = ("case-app",)
FIELD = ("officer-device", "case-app")
H = "5f1c3f0e2b8e4a8f9d0c1b2a39485766a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
H2 = "9b74c9897bac770ffc029102a200c5de2a6a0f1b6a5d7e1c2f3b4a5d6e7f8a9b"
TWO = [{"officer_id": "SH-HP-0231", "cert_no": "31010219001"},
       {"officer_id": "SH-HP-0232", "cert_no": "31010219002"}]


def _t(name: str, signers: tuple[str, ...], fields: dict[str, Any], example: dict[str, Any],
       doc: str, **kw: Any) -> EventType:
    return EventType(name=name, category="case", body=Obj(fields), signer_roles=frozenset(signers),
                     stream_kinds=("case",), doc=doc, example=example, **kw)


RIGHTS = ListOf(Enum("statement", "defence", "hearing"), min_items=1, max_items=3)
DECIDERS = ListOf(OFFICER_ID, min_items=1, max_items=10,
                  doc="who decided: the on-scene officers (summary) or the agency head (general)")

# --- EvidenceRecorded: the versioned type ---------------------------------------------------
EVIDENCE_KIND = Enum("photo", "video", "audio", "document", "inspection_record", "inquiry_record",
                     "sample", "electronic_data", "witness_statement", "expert_opinion")
_EVIDENCE_COMMON: dict[str, Any] = {
    "evidence_id": ID,
    "kind": EVIDENCE_KIND,
    "captured_at": DATETIME.with_doc("when the device captured it (device clock)"),
    "device_signed": Bool(doc="the capture device signed the content at capture time — a "
                               "claim the red flags count only when the event is signed by that "
                               "device's own key (principal `device:<device_id>`, role bodycam "
                               "or officer-device; docs/red-flags.md, RF07)"),
    "officers": Opt(ListOf(OFFICERS.item, max_items=10, doc="who captured it")),
    "location": Opt(GEO),
    "description": Opt(SHORT_TEXT),
}
EVIDENCE_V1 = Obj({
    "evidence_id": ID, "kind": EVIDENCE_KIND,
    "hash": Sha256(doc="SHA-256 of the content (v1 name)"),
    "device_id": DEVICE_ID,
    **{k: v for k, v in _EVIDENCE_COMMON.items() if k not in ("evidence_id", "kind")},
})
EVIDENCE_V2: dict[str, Any] = {
    "evidence_id": ID,
    "kind": EVIDENCE_KIND,
    "content_sha256": Sha256(doc="digest of the evidence content (the blob is stored elsewhere)"),
    "hash_alg": Enum("sha-256", doc="digest algorithm of content_sha256"),
    "capture_device": Obj({
        "device_id": DEVICE_ID,
        "device_type": Opt(Enum("bodycam", "handheld_terminal", "camera", "fixed_camera",
                                "scanner", "phone", "other")),
        "assigned_officer_id": Opt(OFFICER_ID.with_doc("officer the device is assigned to")),
    }),
    "media_type": Opt(Str(pattern=r"[a-z]+/[A-Za-z0-9.+-]{1,64}", max_len=80,
                          hint="a media type such as video/mp4")),
    "size_bytes": Opt(Int(minimum=0)),
    **{k: v for k, v in _EVIDENCE_COMMON.items() if k not in ("evidence_id", "kind")},
}


def _evidence_v1_to_v2(body: dict[str, Any]) -> dict[str, Any]:
    body["content_sha256"] = body.pop("hash")
    body["hash_alg"] = "sha-256"
    body["capture_device"] = {"device_id": body.pop("device_id")}
    return body


EVIDENCE = EventType(
    name="EvidenceRecorded", category="case", body=Obj(EVIDENCE_V2),
    signer_roles=frozenset(("bodycam", "officer-device", "case-app")), stream_kinds=("case",),
    version=2,
    upcasters=(Upcaster(1, EVIDENCE_V1, _evidence_v1_to_v2,
                        "v1 `hash` → `content_sha256` + `hash_alg: sha-256`; "
                        "`device_id` → `capture_device.device_id`"),),
    doc="Evidence was captured (APL 第46/47条). Content is referenced by digest; capture device "
        "and capture time come from the device. v2 current; v1 bodies are still accepted.",
    example={
        "schema_version": 2, "evidence_id": "EV-2024-000123-01", "kind": "video",
        "content_sha256": H, "hash_alg": "sha-256",
        "capture_device": {"device_id": "BC-HP-0457", "device_type": "bodycam",
                           "assigned_officer_id": "SH-HP-0231"},
        "media_type": "video/mp4", "size_bytes": 48_213_004,
        "captured_at": "2024-05-10T20:58:12+08:00", "device_signed": True, "officers": TWO,
        "location": {"lat_e6": 31_236_512, "lon_e6": 121_484_023, "grid_id": "HP-G-0113"},
    })

TYPES = [
    _t("ClueRegistered", ("case-app", "officer-device", "complaints"), {
        "clue_id": ID,
        "source": Enum("patrol", "hotline_12345", "complaint", "referral", "inspection", "media",
                       "other"),
        "unit_id": UNIT_ID,
        "violation_code": Opt(VIOLATION_CODE),
        "location": Opt(GEO),
        "summary": Opt(SHORT_TEXT),
        "complaint_id": Opt(ID),
    }, {"clue_id": "CL-2024-04-22-031", "source": "hotline_12345", "unit_id": "SH-HP-CG-02",
        "violation_code": "PILEUP_SH", "summary": "商铺门前堆放建材占用人行道"},
        "A clue (案件线索) was registered."),

    _t("CaseFiled", FIELD, {
        "filing_no": Str(max_len=64, doc="filing number (立案编号)"),
        "procedure": Enum("general", "summary"),
        "unit_id": UNIT_ID,
        "officers": OFFICERS,
        "parties": ListOf(PARTY, max_items=10),
        "violation_code": Opt(VIOLATION_CODE),
        "violation_occurred_at": Opt(DATETIME.with_doc("when the violation happened or began "
                                                       "(APL 第36条 two-year limit)")),
        "violation_ended_at": Opt(DATETIME.with_doc(
            "when a continuing or repeated violation (连续或者继续状态) ended — the two-year limit "
            "counts from here (APL 第36条第2款); one still going on when filed records when it "
            "was last found going on; absent: a single act, counted from violation_occurred_at")),
        "approved_by": Opt(OFFICER_ID.with_doc("head who approved filing (立案审批), general")),
        "location": Opt(GEO),
    }, {"filing_no": "沪黄城管立〔2024〕第123号", "procedure": "general", "unit_id": "SH-HP-CG-02",
        "officers": TWO, "parties": [{"party_ref": "pty:Q3v9LmT2aZ8k", "party_type": "organisation",
                                      "org_name": "上海某某建材有限公司"}],
        "violation_code": "PILEUP_SH", "violation_occurred_at": "2024-04-22T09:00:00+08:00",
        "approved_by": "SH-HP-0101"},
        "A case was opened: 立案 (general) or an on-scene summary case (简易程序)."),

    EVIDENCE,

    _t("CredentialShown", ("officer-device", "bodycam", "case-app"), {
        "officers": OFFICERS,
        "shown_to": Opt(PARTY_REF),
        "evidence_id": Opt(ID.with_doc("recording in which it is visible")),
        "location": Opt(GEO),
    }, {"officers": TWO, "shown_to": "pty:7Kq2mZ8rXw4b", "evidence_id": "EV-2024-000123-01"},
        "Officers showed their certificates (APL 第52/55条)."),

    _t("RectificationOrdered", FIELD, {
        "party_ref": PARTY_REF,
        "order_no": Opt(Str(max_len=64)),
        "requirement": SHORT_TEXT.with_doc("what must be corrected"),
        "deadline": Nullable(DATETIME, doc="by when; null = immediately (责令立即改正)"),
        "officers": OFFICERS,
        "legal_basis": Opt(LEGAL_BASIS),
    }, {"party_ref": "pty:7Kq2mZ8rXw4b", "requirement": "立即撤除占道摊位", "deadline": None,
        "officers": TWO, "legal_basis": "SH_SRHW 第25条"},
        "The party was ordered to correct the violation (责令改正, APL 第28条)."),

    _t("RectificationVerified", FIELD, {
        "result": Enum("rectified", "partially_rectified", "not_rectified", "refused"),
        "officers": OFFICERS,
        "order_event_id": Opt(ID.with_doc("event id of the RectificationOrdered")),
        "evidence_ids": Opt(ListOf(ID, max_items=20)),
    }, {"result": "rectified", "officers": TWO},
        "Officers checked whether the party corrected the violation."),

    _t("WarningIssued", FIELD, {
        "party_ref": PARTY_REF,
        "form": Enum("oral", "written"),
        "warning_no": Opt(Str(max_len=64)),
        "officers": OFFICERS,
        "violation_code": Opt(VIOLATION_CODE),
    }, {"party_ref": "pty:7Kq2mZ8rXw4b", "form": "written", "officers": TWO,
        "violation_code": "SORTING_BJ"},
        "A (written) warning was given — a precondition step (劝阻/书面警告), not a penalty "
        "decision; a warning *penalty* is PenaltyDecided with penalty type `warning`."),

    _t("InspectionPerformed", FIELD, {
        "inspection_id": ID,
        "kind": Enum("site_inspection", "sampling", "survey", "routine"),
        "officers": OFFICERS,
        "findings": Enum("violation_found", "no_violation", "rectified"),
        "record_sha256": Opt(DOC_SHA256),
        "location": Opt(GEO),
    }, {"inspection_id": "IN-2024-000123-1", "kind": "site_inspection", "officers": TWO,
        "findings": "violation_found", "record_sha256": H},
        "An inspection or survey (检查/勘验) was performed in the case (APL 第54/55条)."),

    _t("InvestigationConcluded", CASE_APP, {
        "finding": Enum("violation_established", "minor_violation", "facts_not_established",
                        "suspected_crime"),
        "officers": OFFICERS,
        "report_sha256": Opt(DOC_SHA256),
        "summary": Opt(SHORT_TEXT),
    }, {"finding": "violation_established", "officers": TWO, "report_sha256": H},
        "The investigation ended (调查终结, APL 第57条)."),

    _t("BenchmarkApplied", ("case-app", "legal"), {
        "benchmark_table_id": ID,
        "violation_code": VIOLATION_CODE,
        "tier": TIER,
        "band": Obj({"min_fen": Money(), "max_fen": Money()}, doc="the tier's band, in fen"),
        "circumstances": Opt(ListOf(Str(max_len=100), max_items=20)),
    }, {"benchmark_table_id": "SH-HP-2024-v1", "violation_code": "PILEUP_SH", "tier": "general",
        "band": {"min_fen": 150_000, "max_fen": 350_000}, "circumstances": ["首次", "及时配合"]},
        "The discretion benchmark (裁量基准) tier was applied to the case (APL 第34条)."),

    _t("DeviationApproved", ("supervisor",), {
        "benchmark_table_id": ID,
        "tier": TIER,
        "proposed_amount_fen": Money(),
        "reason": REASON,
        "approval_id": APPROVAL_ID,
        "approved_by": OFFICER_ID,
        "approval_form": APPROVAL_FORM,
    }, {"benchmark_table_id": "SH-HP-2024-v1", "tier": "general", "proposed_amount_fen": 100_000,
        "reason": "当事人主动消除违法后果，依法减轻", "approval_id": "AP-2024-0311",
        "approved_by": "SH-HP-0101", "approval_form": "agency_head"},
        "An amount outside the benchmark band was approved (GBF2022_27)."),

    _t("PenaltyNoticeServed", FIELD, {
        "notice_no": Str(max_len=64),
        "party_ref": PARTY_REF,
        "violation_code": VIOLATION_CODE,
        "legal_basis": LEGAL_BASIS,
        "proposed_penalty_types": PENALTY_TYPES,
        "proposed_amount_fen": Money(),
        "rights_notified": RIGHTS,
        "hearing_eligible": Bool(doc="the proposed penalty carries a right to a hearing "
                                     "(APL 第63条)"),
        "officers": OFFICERS,
        "service_method": Enum("in_person", "post", "electronic", "left_at_address",
                               "announcement"),
    }, {"notice_no": "沪黄城管告〔2024〕第88号", "party_ref": "pty:Q3v9LmT2aZ8k",
        "violation_code": "PILEUP_SH", "legal_basis": "SH_SRHW 第25条",
        "proposed_penalty_types": ["fine"], "proposed_amount_fen": 300_000,
        "rights_notified": ["statement", "defence", "hearing"], "hearing_eligible": False,
        "officers": TWO, "service_method": "in_person"},
        "The party was told the proposed penalty, facts, reasons, basis and rights (APL 第44条)."),

    _t("StatementReceived", FIELD, {
        "party_ref": PARTY_REF,
        "form": Enum("oral", "written", "electronic"),
        "content_sha256": Opt(DOC_SHA256),
        "new_facts_claimed": Bool(),
    }, {"party_ref": "pty:Q3v9LmT2aZ8k", "form": "written", "content_sha256": H2,
        "new_facts_claimed": True},
        "The party's statement or defence (陈述、申辩) was received (APL 第45条)."),

    _t("DefenceReviewed", ("case-app", "legal"), {
        "reviewed_by": ListOf(OFFICER_ID, min_items=1, max_items=10),
        "outcome": Enum("accepted", "partly_accepted", "rejected"),
        "statement_event_ids": Opt(ListOf(ID, max_items=20)),
        "reasons": Opt(TEXT),
    }, {"reviewed_by": ["SH-HP-0231", "SH-HP-0232"], "outcome": "partly_accepted",
        "reasons": "当事人已自行清理部分堆物"},
        "The agency reviewed the party's statement and defence (复核)."),

    _t("RightsWaived", FIELD, {
        "party_ref": PARTY_REF,
        "rights": RIGHTS,
        "form": Enum("written", "oral_recorded"),
        "document_sha256": Opt(DOC_SHA256),
    }, {"party_ref": "pty:Q3v9LmT2aZ8k", "rights": ["statement", "defence", "hearing"],
        "form": "written", "document_sha256": H},
        "The party expressly waived statement/defence/hearing rights (APL 第62条)."),

    _t("HearingRequested", CASE_APP, {
        "party_ref": PARTY_REF,
        "requested_via": Enum("written", "oral", "electronic"),
    }, {"party_ref": "pty:Q3v9LmT2aZ8k", "requested_via": "written"},
        "The party asked for a hearing (APL 第64条(一): within 5 working days of the notice)."),

    _t("HearingScheduled", ("case-app", "legal"), {
        "hearing_id": ID,
        "scheduled_for": DATETIME,
        "presider_id": OFFICER_ID.with_doc("presider, not an investigator of the case"),
        "public": Bool(),
        "place": Opt(Str(max_len=200)),
    }, {"hearing_id": "HR-2024-017", "scheduled_for": "2024-06-20T14:00:00+08:00",
        "presider_id": "SH-HP-0301", "public": True, "place": "黄浦区城管执法局听证室"},
        "The hearing was scheduled and the party notified (7 working days ahead, APL 第64条(二))."),

    _t("HearingHeld", ("case-app", "legal"), {
        "hearing_id": ID,
        "presider_id": OFFICER_ID,
        "investigators": OFFICERS.with_doc("investigators who presented the case"),
        "party_attended": Bool(),
        "outcome": Enum("completed", "party_absent", "party_withdrew"),
        "record_sha256": DOC_SHA256.with_doc("hearing record (听证笔录)"),
        "record_signed_by_party": Bool(),
    }, {"hearing_id": "HR-2024-017", "presider_id": "SH-HP-0301", "investigators": TWO,
        "party_attended": True, "outcome": "completed", "record_sha256": H2,
        "record_signed_by_party": True},
        "The hearing took place (APL 第64条)."),

    _t("LegalReviewCompleted", ("legal",), {
        "reviewer_id": OFFICER_ID,
        "reviewer_qualified": Bool(doc="holds 法律职业资格 (APL 第58条第2款)"),
        "result": Enum("pass", "pass_with_changes", "fail", "returned"),
        "grounds": ListOf(Enum("hearing_held", "major_public_interest", "complex",
                               "local_catalogue", "other"), min_items=1, max_items=5,
                          doc="why legal review applies (APL 第58条)"),
        "opinion_sha256": Opt(DOC_SHA256),
    }, {"reviewer_id": "SH-HP-0301", "reviewer_qualified": True, "result": "pass",
        "grounds": ["hearing_held"], "opinion_sha256": H2},
        "Legal review (法制审核) before the decision was completed."),

    _t("CollectiveDiscussionHeld", ("supervisor", "case-app"), {
        "meeting_id": ID,
        "chaired_by": OFFICER_ID,
        "participants": ListOf(OFFICER_ID, min_items=2, max_items=30),
        "conclusion": Enum("penalise", "do_not_penalise", "transfer", "approve_deviation",
                           "approve_extension", "other"),
        "minutes_sha256": DOC_SHA256,
    }, {"meeting_id": "CD-2024-09", "chaired_by": "SH-HP-0101",
        "participants": ["SH-HP-0101", "SH-HP-0103", "SH-HP-0301"], "conclusion": "penalise",
        "minutes_sha256": H},
        "The agency heads discussed the case collectively (集体讨论, APL 第57条第2款)."),

    _t("ExtensionApproved", ("supervisor",), {
        "days": Int(minimum=1, maximum=365, doc="calendar days added to the decision deadline"),
        "approved_by": OFFICER_ID,
        "approval_form": APPROVAL_FORM,
        "approval_id": APPROVAL_ID,
        "reason": REASON,
    }, {"days": 30, "approved_by": "SH-HP-0101", "approval_form": "agency_head",
        "approval_id": "AP-2024-0420", "reason": "需补充调查"},
        "The 90-day decision deadline (APL 第60条) was extended."),

    _t("PenaltyDecided", ("case-app", "officer-device", "supervisor"), {
        "decision_no": DECISION_NO,
        "procedure": Enum("general", "summary"),
        "party": PARTY,
        "violation_code": VIOLATION_CODE,
        "legal_basis": LEGAL_BASIS,
        "penalty_types": PENALTY_TYPES,
        "amount_fen": Money(doc="fine in fen (0 when no fine)"),
        "decided_by": DECIDERS,
        "officers": OFFICERS,
        "form_no": Opt(FORM_NO),
        "benchmark_tier": Opt(TIER),
        "payment_method": Opt(Enum("designated_bank", "e_payment", "onsite_cash",
                                   doc="how the fine is to be paid")),
        "location": Opt(GEO),
    }, {"decision_no": "沪黄城管罚〔2024〕第123号", "procedure": "general",
        "party": {"party_ref": "pty:Q3v9LmT2aZ8k", "party_type": "organisation",
                  "org_name": "上海某某建材有限公司"},
        "violation_code": "PILEUP_SH", "legal_basis": "SH_SRHW 第25条", "penalty_types": ["fine"],
        "amount_fen": 300_000, "decided_by": ["SH-HP-0101"], "officers": TWO,
        "benchmark_tier": "general", "payment_method": "designated_bank"},
        "A penalty was decided (APL 第51/57条)."),

    _t("NoPenaltyDecided", ("case-app", "supervisor"), {
        "ground": Enum("minor_and_corrected", "facts_not_established", "no_fault",
                       "statute_barred", "other",
                       doc="APL 第33条第1款第1句 / 第57条(二)(三) / 第33条第2款 / 第36条"),
        "legal_basis": LEGAL_BASIS,
        "decided_by": DECIDERS,
        "education_recorded": Bool(doc="education of the party was recorded (APL 第33条第3款)"),
        "party_ref": Opt(PARTY_REF.with_doc(
            "the party not penalised, one of several (共同违法) while the others' decisions "
            "stand or are to come; absent: every party of the case")),
    }, {"ground": "facts_not_established", "legal_basis": "APL 第57条(三)",
        "decided_by": ["SH-HP-0101"], "education_recorded": False},
        "It was decided not to penalise."),

    _t("WaiverGranted", ("case-app", "officer-device", "supervisor"), {
        "basis": Enum("APL33-1", "APL33-1-S1", "APL33-2", "APL30", "APL31", "APL32",
                      "LOCAL_LIST",
                      doc="APL33-1 = 初次违法且危害后果轻微并及时改正 (first violation, 可以); "
                          "APL33-1-S1 = 违法行为轻微并及时改正 (mandatory); APL32 = 减轻; "
                          "LOCAL_LIST = local 首违不罚清单"),
        "waiver": Enum("no_penalty", "mitigated"),
        "party_ref": PARTY_REF,
        "violation_code": VIOLATION_CODE,
        "decided_by": DECIDERS,
        "rectified": Bool(doc="the party corrected the violation in time"),
        "education_recorded": Bool(),
    }, {"basis": "APL33-1", "waiver": "no_penalty", "party_ref": "pty:7Kq2mZ8rXw4b",
        "violation_code": "STALL_SH", "decided_by": ["SH-HP-0231"], "rectified": True,
        "education_recorded": True},
        "A penalty was waived or mitigated (首违不罚 / 减轻, APL 第32/33条)."),

    _t("DecisionServed", FIELD, {
        "decision_no": DECISION_NO,
        "party_ref": PARTY_REF,
        "method": Enum("on_the_spot", "in_person", "post", "electronic", "left_at_address",
                       "announcement"),
        "party_present": Bool(doc="the party was present when the decision was announced"),
        "refused_to_sign": Bool(),
        "receipt_sha256": Opt(DOC_SHA256.with_doc("送达回证")),
    }, {"decision_no": "沪黄城管罚〔2024〕第123号", "party_ref": "pty:Q3v9LmT2aZ8k",
        "method": "in_person", "party_present": False, "refused_to_sign": False,
        "receipt_sha256": H2},
        "The decision was served (送达, APL 第61条)."),

    _t("SummaryDecisionFiled", CASE_APP, {
        "decision_no": DECISION_NO,
        "form_no": FORM_NO,
        "filed_with_unit_id": UNIT_ID,
        "filed_by": OFFICER_ID,
    }, {"decision_no": "HP-S-2024-004512", "form_no": "HP-S-2024-004512",
        "filed_with_unit_id": "SH-HP-CG", "filed_by": "SH-HP-0231"},
        "An on-the-spot decision was filed with the agency (备案, APL 第52条; MOHURD55 第14条)."),

    _t("DecisionPublished", CASE_APP, {
        "decision_no": DECISION_NO,
        "channel": Enum("agency_website", "government_portal", "credit_platform", "other"),
        "publication_ref": PUBLIC_ID,
        "url": Opt(Impersonal(pattern=r"https://[!-~]{1,490}", max_len=500,
                              hint="an https URL")),
    }, {"decision_no": "沪黄城管罚〔2024〕第123号", "channel": "government_portal",
        "publication_ref": "PUB-2024-HP-0412"},
        "The decision was published (执法公示, GBF2018_118)."),

    _t("DecisionPublicationWithdrawn", CASE_APP, {
        "decision_no": DECISION_NO,
        "publication_ref": ID,
        "reason": Enum("decision_revoked", "decision_changed", "error", "other"),
    }, {"decision_no": "沪黄城管罚〔2024〕第123号", "publication_ref": "PUB-2024-HP-0412",
        "reason": "decision_revoked"},
        "A publication was withdrawn (撤回公示, MOHURD55 第10条)."),

    _t("PenaltyAmended", ("supervisor", "case-app"), {
        "decision_no": DECISION_NO,
        "previous_amount_fen": Money(),
        "amount_fen": Money(),
        "penalty_types": PENALTY_TYPES,
        "reason": REASON,
        "approval_id": Opt(APPROVAL_ID),
        "approved_by": Opt(OFFICER_ID),
        "approval_form": Opt(APPROVAL_FORM),
    }, {"decision_no": "沪黄城管罚〔2024〕第123号", "previous_amount_fen": 300_000,
        "amount_fen": 200_000, "penalty_types": ["fine"], "reason": "复议建议变更",
        "approval_id": "AP-2024-0512", "approved_by": "SH-HP-0101",
        "approval_form": "collective_discussion"},
        "A decided penalty was changed (变更). Approval fields are optional in shape so an "
        "unapproved change is still recorded (RF20)."),

    _t("PenaltyWithdrawn", ("supervisor", "case-app"), {
        "decision_no": DECISION_NO,
        "reason": Enum("error_in_fact", "error_in_law", "procedural_defect", "reconsideration",
                       "court_judgment", "other"),
        "reason_text": Opt(REASON),
        "approval_id": Opt(APPROVAL_ID),
        "approved_by": Opt(OFFICER_ID),
        "approval_form": Opt(APPROVAL_FORM),
        "refund_required": Bool(),
    }, {"decision_no": "沪黄城管罚〔2024〕第123号", "reason": "error_in_fact",
        "reason_text": "当事人主体认定错误", "approval_id": "AP-2024-0530",
        "approved_by": "SH-HP-0101", "approval_form": "collective_discussion",
        "refund_required": False},
        "A decided penalty was withdrawn (撤销); no penalty remains in force."),

    _t("DecisionFormVoided", FIELD, {
        "form_no": FORM_NO,
        "reason": Enum("misprint", "wrong_party", "wrong_amount", "damaged", "other"),
        "reason_text": Opt(REASON),
        "officers": OFFICERS,
    }, {"form_no": "HP-S-2024-004511", "reason": "misprint", "officers": TWO},
        "A numbered pre-printed decision form was voided (作废, RF20.c)."),

    _t("TransferredToJudiciary", ("case-app", "supervisor"), {
        "to_authority": Enum("public_security", "procuratorate", "court", "supervision_commission",
                             "other"),
        "transfer_no": Str(max_len=64),
        "approved_by": OFFICER_ID,
    }, {"to_authority": "public_security", "transfer_no": "沪黄城管移〔2024〕第3号",
        "approved_by": "SH-HP-0101"},
        "The case was transferred as a suspected crime (APL 第27/57/82条)."),

    _t("CaseClosed", CASE_APP, {
        "outcome": Enum("paid", "executed", "not_penalised", "transferred", "enforcement_applied",
                        "withdrawn", "terminated", "other"),
        "closed_by": OFFICER_ID,
        "approved_by": Opt(OFFICER_ID),
    }, {"outcome": "paid", "closed_by": "SH-HP-0231", "approved_by": "SH-HP-0101"},
        "The case was closed (结案)."),

    _t("CaseArchived", CASE_APP, {
        "archive_no": Str(max_len=64),
        "manifest_sha256": DOC_SHA256.with_doc("digest of the archived file's manifest"),
        "archived_by": OFFICER_ID,
    }, {"archive_no": "HP-AR-2024-0123", "manifest_sha256": H, "archived_by": "SH-HP-0231"},
        "The case file was archived (归档, APL 第47条)."),
]
