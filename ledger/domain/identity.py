"""Identity and the "four fixes" (定人定岗定标定考): credentials, auxiliary staff, posts and grids,
dispatch orders, integrity pledges, declared relationships, recusals.

Person events live on the person's own stream ``officer:<officer_id>`` and do not repeat the id
in the body; pledges live on ``pledge:<pledge_id>``.
"""

from __future__ import annotations

from typing import Any

from ..schemas import Bool, Enum, ListOf, Nullable, Obj, Opt, Str
from .event_type import EventType
from .fields import (APPROVAL_ID, CERT_NO, DATE, DATETIME, DOC_SHA256, GEO, ID, OFFICER_ID,
                     PARTY_REF, REASON, SHORT_TEXT, UNIT_ID)


def _t(name: str, signers: tuple[str, ...], streams: tuple[str, ...], fields: dict[str, Any],
       example: dict[str, Any], doc: str) -> EventType:
    return EventType(name=name, category="identity", body=Obj(fields),
                     signer_roles=frozenset(signers), stream_kinds=streams, doc=doc,
                     example=example)


GRIDS = ListOf(ID.with_doc("management grid id (网格)"), min_items=1, max_items=1000)

TYPES = [
    _t("OfficerCredentialIssued", ("hr",), ("officer",), {
        "cert_no": CERT_NO,
        "credential_type": Enum("administrative_enforcement", "supervision_inspection",
                                doc="行政执法证 or 执法监督证"),
        "issuing_authority": Str(max_len=200, doc="issuing government (e.g. 上海市人民政府)"),
        "unit_id": UNIT_ID,
        "valid_from": DATE.with_doc("first day of validity"),
        "valid_until": DATE.with_doc("last day of validity (inclusive)"),
        "enforcement_areas": Opt(ListOf(Str(max_len=64), max_items=20,
                                        doc="fields of enforcement (执法类别)")),
    }, {
        "cert_no": "31010219001", "credential_type": "administrative_enforcement",
        "issuing_authority": "上海市人民政府", "unit_id": "SH-HP-CG-02",
        "valid_from": "2023-01-01", "valid_until": "2027-12-31",
        "enforcement_areas": ["市容环境卫生", "城市道路"],
    }, "A law-enforcement certificate (执法证) was issued to the officer of this stream."),

    _t("OfficerCredentialSuspended", ("hr",), ("officer",), {
        "cert_no": CERT_NO,
        "effective_at": DATETIME.with_doc("from when the certificate may not be used"),
        "reason": Enum("disciplinary_investigation", "training_lapse", "assessment_failed",
                       "misconduct", "other"),
        "reason_text": Opt(REASON),
        "until": Opt(DATE.with_doc("last day of suspension, if known")),
    }, {
        "cert_no": "31010219001", "effective_at": "2024-06-01T09:00:00+08:00",
        "reason": "disciplinary_investigation", "until": "2024-07-31",
    }, "A certificate was suspended (暂扣执法证); acts while suspended are recorded and flagged."),

    _t("OfficerCredentialExpired", ("hr",), ("officer",), {
        "cert_no": CERT_NO,
        "effective_at": DATETIME,
        "reason": Enum("term_ended", "revoked", "withdrawn", "retired", "transferred"),
    }, {
        "cert_no": "31010219001", "effective_at": "2027-12-31T23:59:59+08:00",
        "reason": "term_ended",
    }, "A certificate stopped being valid (expired, revoked 吊销, withdrawn 收回)."),

    _t("AuxiliaryStaffRegistered", ("hr",), ("officer",), {
        "unit_id": UNIT_ID,
        "engaged_from": DATE,
        "engaged_until": Opt(DATE),
        "duties": ListOf(Enum("patrol_assist", "persuasion", "traffic_guidance",
                              "information_collection", "other"), min_items=1, max_items=5),
    }, {
        "unit_id": "SH-HP-CG-02", "engaged_from": "2024-03-01",
        "duties": ["patrol_assist", "persuasion"],
    }, "Auxiliary staff (协管员/辅助人员) joined a unit. They hold no certificate and never count "
       "as officers (RF01/RF02)."),

    _t("PostAssigned", ("hr", "supervisor"), ("officer",), {
        "post_id": ID.with_doc("post (岗位) id"),
        "unit_id": UNIT_ID,
        "grid_ids": GRIDS,
        "role": Enum("team_member", "team_leader", "squadron_leader", "unit_head",
                     "legal_reviewer", "finance_officer", "auxiliary"),
        "window_from": DATETIME.with_doc("assignment starts"),
        "window_until": Nullable(DATETIME, doc="assignment ends; null = until reassigned"),
        "shift": Opt(Enum("day", "night", "rotating")),
        "superior_officer_id": Opt(OFFICER_ID.with_doc("direct superior on this post (for the "
                                                       "pledge chain)")),
    }, {
        "post_id": "HP-NJ-E-01", "unit_id": "SH-HP-CG-02", "grid_ids": ["HP-G-0113", "HP-G-0114"],
        "role": "team_member", "window_from": "2024-01-01T00:00:00+08:00", "window_until": None,
        "shift": "day", "superior_officer_id": "SH-HP-0102",
    }, "The person was assigned a post and grids for a time window (定岗); a later assignment "
       "replaces an open-ended one."),

    _t("DispatchOrderIssued", ("supervisor", "case-app"), ("unit",), {
        "order_id": ID,
        "officers": ListOf(OFFICER_ID, min_items=1, max_items=20),
        "grid_ids": Opt(GRIDS),
        "location": Opt(GEO),
        "window_from": DATETIME,
        "window_until": DATETIME,
        "reason": Enum("hotline_12345", "complaint", "campaign", "patrol", "emergency", "other"),
        "complaint_id": Opt(ID),
        "issued_by": OFFICER_ID,
    }, {
        "order_id": "DO-2024-05-10-007", "officers": ["SH-HP-0231", "SH-HP-0232"],
        "grid_ids": ["HP-G-0120"], "window_from": "2024-05-10T20:30:00+08:00",
        "window_until": "2024-05-10T23:00:00+08:00", "reason": "hotline_12345",
        "issued_by": "SH-HP-0102",
    }, "Officers were dispatched outside their grids or shift (派单); covers RF21 out-of-post acts."),

    _t("IntegrityPledgeSigned", ("hr",), ("pledge",), {
        "officer_id": OFFICER_ID.with_doc("who signed the pledge"),
        "unit_id": UNIT_ID,
        "level": Enum("officer", "team", "squadron", "unit", doc="layer of the signer (层级)"),
        "superior_officer_id": Nullable(OFFICER_ID, doc="who must countersign; null when the "
                                        "counterparty is outside the agency (unit head's pledge)"),
        "period_from": DATE,
        "period_until": DATE,
        "document_sha256": DOC_SHA256,
    }, {
        "officer_id": "SH-HP-0231", "unit_id": "SH-HP-CG-02", "level": "officer",
        "superior_officer_id": "SH-HP-0102", "period_from": "2024-01-01",
        "period_until": "2024-12-31",
        "document_sha256": "5f1c3f0e2b8e4a8f9d0c1b2a39485766a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0",
    }, "An integrity pledge (廉政建设责任书) was signed for a period."),

    _t("IntegrityPledgeCountersigned", ("hr", "supervisor"), ("pledge",), {
        "officer_id": OFFICER_ID.with_doc("who signed the pledge"),
        "countersigned_by": OFFICER_ID.with_doc("the superior who countersigned"),
        "countersigner_level": Enum("team", "squadron", "unit", "party_committee",
                                    "higher_authority"),
        "top_of_chain": Bool(doc="true when the countersigner is the unit head or above: the "
                                 "chain (层层签订) ends here"),
        "document_sha256": DOC_SHA256,
    }, {
        "officer_id": "SH-HP-0231", "countersigned_by": "SH-HP-0102",
        "countersigner_level": "team", "top_of_chain": False,
        "document_sha256": "5f1c3f0e2b8e4a8f9d0c1b2a39485766a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0",
    }, "The superior countersigned a pledge, one layer of the chain."),

    _t("RelationshipDeclared", ("hr",), ("officer",), {
        "party_ref": PARTY_REF,
        "relation": Enum("family", "relative", "business", "former_colleague", "neighbour",
                         "creditor_debtor", "other"),
        "note": Opt(SHORT_TEXT),
    }, {
        "party_ref": "pty:7Kq2mZ8rXw4b", "relation": "relative",
    }, "The person declared a relationship with a (pseudonymous) party (RF19)."),

    _t("RecusalDecided", ("supervisor",), ("case",), {
        "officer_id": OFFICER_ID,
        "decision": Enum("recused", "refused"),
        "ground": Enum("party_request", "self_declared", "relationship", "other"),
        "decided_by": OFFICER_ID,
        "approval_id": Opt(APPROVAL_ID),
    }, {
        "officer_id": "SH-HP-0232", "decision": "recused", "ground": "self_declared",
        "decided_by": "SH-HP-0101",
    }, "A recusal (回避, APL 第43条) was decided for an officer on this case."),
]
