"""Oversight: complaints (信访工作条例), patrols, campaigns, supervision notices (督察) and formal
warnings to officers (监督警示: 诫勉 and the like)."""

from __future__ import annotations

from typing import Any

from ..schemas import Bool, Date, Enum, Int, ListOf, Obj, Opt, Str
from .event_type import EventType
from .fields import (APPROVAL_ID, DOC_SHA256, GEO, ID, OFFICER_ID, OFFICERS, PARTY_REF,
                     REASON, SHORT_TEXT, UNIT_ID, VIOLATION_CODE)

H = "5f1c3f0e2b8e4a8f9d0c1b2a39485766a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
TWO = [{"officer_id": "SH-HP-0231", "cert_no": "31010219001"},
       {"officer_id": "SH-HP-0232", "cert_no": "31010219002"}]
GRIDS = ListOf(ID, min_items=1, max_items=1000)


def _t(name: str, signers: tuple[str, ...], streams: tuple[str, ...], fields: dict[str, Any],
       example: dict[str, Any], doc: str) -> EventType:
    return EventType(name=name, category="oversight", body=Obj(fields),
                     signer_roles=frozenset(signers), stream_kinds=streams, doc=doc,
                     example=example)


TYPES = [
    _t("ComplaintReceived", ("complaints",), ("complaint",), {
        "channel": Enum("hotline_12345", "letter", "visit", "online", "media", "other"),
        "category": Enum("violent", "extortion", "arbitrary_fine", "other"),
        "unit_id": UNIT_ID,
        "accused_officers": ListOf(OFFICER_ID, max_items=10),
        "case_id": Opt(ID.with_doc("the case complained about, if known")),
        "complainant_ref": Opt(PARTY_REF),
        "content_sha256": Opt(DOC_SHA256),
    }, {"channel": "hotline_12345", "category": "violent", "unit_id": "SH-HP-CG-02",
        "accused_officers": ["SH-HP-0232"], "case_id": "SH-HP-2024-000123",
        "complainant_ref": "pty:7Kq2mZ8rXw4b", "content_sha256": H},
        "A complaint or report (投诉/举报/信访) was received (XFGZ; APL 第75条)."),

    _t("ComplaintAcknowledged", ("complaints",), ("complaint",), {
        "method": Enum("written", "sms", "phone", "online"),
        "acknowledged_by": ID,
        "accepted": Bool(doc="accepted for handling (受理) or not"),
    }, {"method": "sms", "acknowledged_by": "SH-HP-XF-01", "accepted": True},
        "The complainant was told whether the complaint is accepted (15 days, XFGZ 第22/23条)."),

    _t("ComplaintExtended", ("complaints", "supervisor"), ("complaint",), {
        "days": Int(minimum=1, maximum=30, doc="extension in days (XFGZ 第34条: ≤ 30)"),
        "approved_by": OFFICER_ID,
        "reason": REASON,
    }, {"days": 30, "approved_by": "SH-HP-0101", "reason": "需调取执法记录仪视频核实"},
        "The handling deadline was extended with approval."),

    _t("ComplaintClosed", ("complaints",), ("complaint",), {
        "handler": OFFICER_ID.with_doc("who handled it (RF23.c: not an accused officer)"),
        "outcome": Enum("substantiated", "partly_substantiated", "unsubstantiated", "withdrawn",
                        "referred"),
        "disciplinary_referral": Bool(),
        "result_sha256": Opt(DOC_SHA256),
    }, {"handler": "SH-HP-0401", "outcome": "partly_substantiated", "disciplinary_referral": True,
        "result_sha256": H},
        "The complaint was concluded and answered (60 days + extension, XFGZ 第34条)."),

    _t("PatrolStarted", ("officer-device",), ("unit",), {
        "patrol_id": ID,
        "officers": OFFICERS,
        "grid_ids": GRIDS,
        "device_id": Opt(ID),
        "location": Opt(GEO),
    }, {"patrol_id": "PT-2024-05-10-HP-07", "officers": TWO, "grid_ids": ["HP-G-0113"],
        "device_id": "PDA-HP-0231"},
        "A patrol began."),

    _t("PatrolEnded", ("officer-device",), ("unit",), {
        "patrol_id": ID,
        "officers": OFFICERS,
        "distance_m": Opt(Int(minimum=0, maximum=1_000_000)),
        "track_sha256": Opt(DOC_SHA256.with_doc("GPS track")),
    }, {"patrol_id": "PT-2024-05-10-HP-07", "officers": TWO, "distance_m": 8_420,
        "track_sha256": H},
        "A patrol ended."),

    _t("CampaignDeclared", ("supervisor",), ("unit",), {
        "campaign_id": ID,
        "title": Str(max_len=200),
        "unit_ids": ListOf(UNIT_ID, min_items=1, max_items=50),
        "violation_codes": ListOf(VIOLATION_CODE, max_items=50),
        "window_from": Date(),
        "window_until": Date(),
        "approved_by": OFFICER_ID,
        "approval_id": Opt(APPROVAL_ID),
    }, {"campaign_id": "CP-2024-06", "title": "占道经营专项整治",
        "unit_ids": ["SH-HP-CG-02", "SH-HP-CG-03"], "violation_codes": ["STALL_SH"],
        "window_from": "2024-06-01", "window_until": "2024-06-30", "approved_by": "SH-HP-0101"},
        "A special campaign (专项整治) was declared (RF24 excludes its window)."),

    _t("SupervisionNoticeIssued", ("inspector",), ("supervision",), {
        "to_unit_id": UNIT_ID,
        "issued_by": ID,
        "issues": ListOf(Obj({
            "issue_id": ID,
            "description": SHORT_TEXT,
            "case_id": Opt(ID),
            "officer_id": Opt(OFFICER_ID),
            "flag_id": Opt(ID),
        }), min_items=1, max_items=50),
        "respond_by": Date(),
    }, {"to_unit_id": "SH-HP-CG-02", "issued_by": "SH-JW-007",
        "issues": [{"issue_id": "1", "description": "当场收缴罚款未按期交至机关",
                    "case_id": "SH-HP-2024-004512", "officer_id": "SH-HP-0231"}],
        "respond_by": "2024-07-15"},
        "A supervision notice (督察通知/整改通知) was issued to a unit."),

    _t("SupervisionFeedbackSubmitted", ("supervisor",), ("supervision",), {
        "submitted_by": OFFICER_ID,
        "responses": ListOf(Obj({
            "issue_id": ID,
            "action": SHORT_TEXT,
            "status": Enum("rectified", "in_progress", "disputed"),
        }), min_items=1, max_items=50),
        "document_sha256": DOC_SHA256,
    }, {"submitted_by": "SH-HP-0101",
        "responses": [{"issue_id": "1", "action": "已补交并约谈当事执法人员", "status": "rectified"}],
        "document_sha256": H},
        "The unit answered a supervision notice."),

    _t("SupervisionFeedbackAccepted", ("inspector",), ("supervision",), {
        "accepted_by": ID,
        "result": Enum("accepted", "rejected_resubmit"),
        "comment": Opt(SHORT_TEXT),
    }, {"accepted_by": "SH-JW-007", "result": "accepted"},
        "Inspectors accepted (or sent back) the unit's answer."),

    _t("OfficerWarningIssued", ("supervisor", "inspector"), ("officer",), {
        "warning_id": ID,
        "kind": Enum("reminder_talk", "admonishment_talk", "criticism_education",
                     "circulated_criticism", "written_self_review", "other",
                     doc="谈话提醒 / 诫勉 / 批评教育 / 通报批评 / 责令检查 / other "
                         "(ZWCF 第12条)"),
        "issued_by": ID.with_doc("who issued it (agency head or discipline inspector)"),
        "unit_id": UNIT_ID.with_doc("the officer's unit when the warning was issued"),
        "reason": REASON,
        "flag_ids": Opt(ListOf(ID, max_items=50, doc="red flags the warning answers")),
        "notice_id": Opt(ID.with_doc("the supervision notice it follows, if any")),
        "document_sha256": Opt(DOC_SHA256),
    }, {"warning_id": "WN-2024-HP-007", "kind": "admonishment_talk", "issued_by": "SH-JW-007",
        "unit_id": "SH-HP-CG-02", "reason": "当场收缴罚款未按期交至机关，经核查属实",
        "flag_ids": ["RF05.b-3f1c0e2b8e4a8f9d0c1b2a39"], "document_sha256": H},
        "A formal warning (诫勉, 批评教育, 通报批评 …) was issued to an officer; it appears on "
        "the officer's record and counts in their warning level (docs/oversight.md)."),
]
