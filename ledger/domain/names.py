"""The Chinese and the English name of every event type and of every value of an enumerated body
field, for readers (the dashboard's two pages, docs/events.md).

The wire ``type`` and the codes are identifiers and are never translated; these are labels only.
A type declared without both names here, or an enumerated body field (or a value of one)
without both, fails at import (``vocabulary`` checks them), so the lists cannot fall behind the
vocabulary.
"""

from __future__ import annotations

NAMES_ZH: dict[str, str] = {
    # identity
    "OfficerCredentialIssued": "核发执法证件", "OfficerCredentialSuspended": "暂扣执法证件",
    "OfficerCredentialExpired": "执法证件失效", "AuxiliaryStaffRegistered": "登记协管员（执法辅助人员）",
    "PostAssigned": "分配岗位与网格", "DispatchOrderIssued": "下达调度指令",
    "IntegrityPledgeSigned": "签订廉政建设责任书", "IntegrityPledgeCountersigned": "上级签署廉政建设责任书",
    "RelationshipDeclared": "申报利害关系", "RecusalDecided": "作出回避决定",
    # case
    "ClueRegistered": "登记案件线索", "CaseFiled": "立案", "EvidenceRecorded": "收集证据",
    "CredentialShown": "出示执法证件", "RectificationOrdered": "责令改正",
    "RectificationVerified": "复查改正情况", "WarningIssued": "劝阻或书面警告",
    "InspectionPerformed": "进行检查或勘验", "InvestigationConcluded": "调查终结",
    "BenchmarkApplied": "适用裁量基准", "DeviationApproved": "批准调整适用裁量基准",
    "PenaltyNoticeServed": "送达行政处罚事先告知书", "StatementReceived": "听取陈述、申辩",
    "DefenceReviewed": "复核陈述、申辩意见", "RightsWaived": "放弃陈述、申辩或听证权利",
    "HearingRequested": "要求听证", "HearingScheduled": "通知听证时间、地点", "HearingHeld": "举行听证",
    "LegalReviewCompleted": "完成法制审核", "CollectiveDiscussionHeld": "集体讨论决定",
    "ExtensionApproved": "批准延长办案期限", "PenaltyDecided": "作出行政处罚决定",
    "NoPenaltyDecided": "作出不予行政处罚决定", "WaiverGranted": "决定不予处罚或从轻、减轻处罚",
    "DecisionServed": "送达行政处罚决定书", "SummaryDecisionFiled": "简易程序决定备案",
    "DecisionPublished": "公示行政处罚决定", "DecisionPublicationWithdrawn": "撤回行政处罚决定公示",
    "PenaltyAmended": "变更行政处罚决定", "PenaltyWithdrawn": "撤销行政处罚决定",
    "DecisionFormVoided": "作废预定格式行政处罚决定书", "TransferredToJudiciary": "移送司法机关",
    "CaseClosed": "结案", "CaseArchived": "归档",
    # money
    "PaymentRecorded": "缴纳罚款", "OnsiteCashCollected": "当场收缴罚款",
    "OnsiteCashRemitted": "当场收缴的罚款交至行政机关", "AgencyDeposited": "罚款缴付指定银行",
    "TreasuryReconciled": "国库对账", "SurchargeAssessed": "加处罚款",
    "InstalmentApproved": "批准暂缓或分期缴纳罚款",
    # property
    "PropertySeized": "暂扣、查封、扣押财物", "PropertyInventorySigned": "签署财物清单",
    "PropertyReturned": "退还财物", "PropertyDisposed": "拍卖或依法处理财物",
    "PreservationOrdered": "先行登记保存证据",
    # oversight
    "ComplaintReceived": "收到投诉举报", "ComplaintAcknowledged": "告知是否受理投诉",
    "ComplaintExtended": "延长投诉办理期限", "ComplaintClosed": "办结投诉",
    "PatrolStarted": "开始巡查", "PatrolEnded": "结束巡查", "CampaignDeclared": "部署专项整治",
    "SupervisionNoticeIssued": "下发督办通知", "SupervisionFeedbackSubmitted": "提交督办反馈",
    "SupervisionFeedbackAccepted": "审核督办反馈", "OfficerWarningIssued": "作出正式警示",
    # config
    "DiscretionBenchmarkPublished": "发布裁量基准", "FineSchedulePublished": "发布罚款幅度表",
    "WorkingCalendarPublished": "发布工作日历", "LegalParametersPublished": "发布法定参数",
    "UnitTerritoryPublished": "发布单位管辖区域", "PowerListPublished": "发布行政处罚权力清单",
    "DetectionListsPublished": "发布监测清单参数",
    # flags
    "FlagAcknowledged": "受理红旗", "FlagDismissed": "驳回红旗", "FlagConfirmed": "确认红旗",
    "FlagReferred": "移送红旗",
    # keys
    "KeyRegistered": "登记签名密钥", "KeyRevoked": "吊销签名密钥",
}

#: Each type's English name, for the dashboard's English page and docs/events.md: the act in plain
#: English as a lawyer would write it (the statute's term where the Chinese takes one), beside
#: the 中文名 above. ``vocabulary`` refuses at import a type left without one.
NAMES_EN: dict[str, str] = {
    # identity
    "OfficerCredentialIssued": "Enforcement credential issued",
    "OfficerCredentialSuspended": "Enforcement credential suspended",
    "OfficerCredentialExpired": "Enforcement credential ceased to be valid",
    "AuxiliaryStaffRegistered": "Auxiliary enforcement staff registered",
    "PostAssigned": "Post and grid assigned", "DispatchOrderIssued": "Dispatch order issued",
    "IntegrityPledgeSigned": "Integrity responsibility pledge signed",
    "IntegrityPledgeCountersigned": "Integrity responsibility pledge signed by a superior",
    "RelationshipDeclared": "Conflict of interest declared",
    "RecusalDecided": "Decision on recusal made",
    # case
    "ClueRegistered": "Case lead registered", "CaseFiled": "Case filed",
    "EvidenceRecorded": "Evidence collected", "CredentialShown": "Enforcement credential shown",
    "RectificationOrdered": "Correction ordered",
    "RectificationVerified": "Correction checked on re-inspection",
    "WarningIssued": "Dissuasion or written warning given",
    "InspectionPerformed": "Inspection or site survey carried out",
    "InvestigationConcluded": "Investigation concluded",
    "BenchmarkApplied": "Discretion benchmark applied",
    "DeviationApproved": "Departure from the discretion benchmark approved",
    "PenaltyNoticeServed": "Penalty notice served",
    "StatementReceived": "Statement and defence heard",
    "DefenceReviewed": "Statement and defence reviewed",
    "RightsWaived": "Right of statement, defence or hearing waived",
    "HearingRequested": "Hearing requested",
    "HearingScheduled": "Party notified of the hearing's time and place",
    "HearingHeld": "Hearing held", "LegalReviewCompleted": "Legal review completed",
    "CollectiveDiscussionHeld": "Decided by collective discussion",
    "ExtensionApproved": "Extension of the case-handling period approved",
    "PenaltyDecided": "Administrative penalty decided",
    "NoPenaltyDecided": "Decision not to impose a penalty",
    "WaiverGranted": "No penalty, or a lighter or reduced penalty, decided",
    "DecisionServed": "Penalty decision served",
    "SummaryDecisionFiled": "Summary-procedure decision filed with the agency",
    "DecisionPublished": "Penalty decision published",
    "DecisionPublicationWithdrawn": "Publication of the penalty decision withdrawn",
    "PenaltyAmended": "Penalty decision changed", "PenaltyWithdrawn": "Penalty decision revoked",
    "DecisionFormVoided": "Pre-printed penalty decision form voided",
    "TransferredToJudiciary": "Transferred to the judicial authorities",
    "CaseClosed": "Case closed", "CaseArchived": "Case archived",
    # money
    "PaymentRecorded": "Fine paid", "OnsiteCashCollected": "Fine collected on the spot",
    "OnsiteCashRemitted": "Fine collected on the spot handed over to the agency",
    "AgencyDeposited": "Fines paid into the designated bank",
    "TreasuryReconciled": "Reconciled with the treasury",
    "SurchargeAssessed": "Additional fine for late payment imposed",
    "InstalmentApproved": "Deferred or instalment payment of the fine approved",
    # property
    "PropertySeized": "Property temporarily seized, sealed up or detained",
    "PropertyInventorySigned": "Property inventory signed",
    "PropertyReturned": "Property returned",
    "PropertyDisposed": "Property auctioned or otherwise disposed of according to law",
    "PreservationOrdered": "Evidence registered and preserved in advance",
    # oversight
    "ComplaintReceived": "Complaint or report received",
    "ComplaintAcknowledged": "Complainant told whether the complaint is accepted",
    "ComplaintExtended": "Complaint-handling period extended",
    "ComplaintClosed": "Complaint concluded",
    "PatrolStarted": "Patrol started", "PatrolEnded": "Patrol ended",
    "CampaignDeclared": "Special enforcement campaign launched",
    "SupervisionNoticeIssued": "Supervision notice issued",
    "SupervisionFeedbackSubmitted": "Response to a supervision notice submitted",
    "SupervisionFeedbackAccepted": "Response to a supervision notice reviewed",
    "OfficerWarningIssued": "Formal warning given to an officer",
    # config
    "DiscretionBenchmarkPublished": "Discretion benchmark published",
    "FineSchedulePublished": "Fine schedule published",
    "WorkingCalendarPublished": "Working calendar published",
    "LegalParametersPublished": "Legal parameters published",
    "UnitTerritoryPublished": "Unit territory published",
    "PowerListPublished": "Power list published",
    "DetectionListsPublished": "Detection lists published",
    # flags
    "FlagAcknowledged": "Red flag taken up", "FlagDismissed": "Red flag dismissed",
    "FlagConfirmed": "Red flag confirmed", "FlagReferred": "Red flag referred",
    # keys
    "KeyRegistered": "Signing key registered", "KeyRevoked": "Signing key revoked",
}

# --- the values of enumerated body fields ------------------------------------------------------
# Shared sets of values keep one name wherever the same code recurs.
_APPROVAL_FORM = {"agency_head": "行政机关负责人批准", "deputy_head": "分管负责人批准",
                  "collective_discussion": "集体讨论决定"}
_PENALTY_TYPE = {  # APL 第9条
    "warning": "警告", "fine": "罚款", "confiscation_illegal_gains": "没收违法所得",
    "confiscation_property": "没收非法财物", "suspend_business": "责令停产停业",
    "revoke_licence": "吊销许可证件", "restrict_practice": "限制从业", "other": "其他"}
_RIGHTS = {"statement": "陈述", "defence": "申辩", "hearing": "听证"}  # APL 第44条
_PROCEDURE = {"general": "普通程序", "summary": "简易程序"}
_PARTY_TYPE = {"individual": "公民", "organisation": "法人或者其他组织"}  # APL 第2条、第4条
# 送达 (APL 第61条, by the 民事诉讼法's modes): 当场交付 after the decision is announced, else
# 直接送达, 邮寄送达, 电子送达 (the party agreed in a 确认书), 留置送达, 公告送达
_SERVICE = {"in_person": "直接送达", "post": "邮寄送达", "electronic": "电子送达",
            "left_at_address": "留置送达", "announcement": "公告送达"}

#: ``"EventType.field"`` → the Chinese name of each value of that enumerated body field (a list of
#: such values included; a field of an object, or of a list of objects, by its dotted path). ``vocabulary`` refuses at import a field left out or a value
#: unnamed, so none ships as a bare code; the dashboard's own labels for the same codes (channel,
#: end reason, disposition reason…) use the same words (tests/test_names_consistency.py).
CODES_ZH: dict[str, dict[str, str]] = {
    # identity
    "OfficerCredentialIssued.credential_type": {
        "administrative_enforcement": "行政执法证", "supervision_inspection": "执法监督证"},
    "OfficerCredentialSuspended.reason": {
        "disciplinary_investigation": "接受纪律审查", "training_lapse": "未按规定参加培训",
        "assessment_failed": "考核不合格", "misconduct": "违法违纪", "other": "其他"},
    "OfficerCredentialExpired.reason": {
        "term_ended": "期满终止", "revoked": "吊销", "withdrawn": "收回", "retired": "退休",
        "transferred": "调离"},
    "AuxiliaryStaffRegistered.duties": {  # ZJ_ZHZF 第30条
        "patrol_assist": "协助巡查", "persuasion": "劝阻违法行为", "traffic_guidance": "交通疏导",
        "information_collection": "信息采集", "other": "其他"},
    "PostAssigned.role": {
        "team_member": "队员", "team_leader": "组长", "squadron_leader": "中队长",
        "unit_head": "单位负责人", "legal_reviewer": "法制审核人员", "finance_officer": "财务人员",
        "auxiliary": "协管员"},
    "PostAssigned.shift": {"day": "白班", "night": "夜班", "rotating": "轮班"},
    "DispatchOrderIssued.reason": {
        "hotline_12345": "12345热线", "complaint": "投诉举报", "campaign": "专项整治",
        "patrol": "巡查", "emergency": "突发事件", "other": "其他"},
    "IntegrityPledgeSigned.level": {
        "officer": "执法人员", "team": "小组", "squadron": "中队", "unit": "单位"},
    "IntegrityPledgeCountersigned.countersigner_level": {
        "team": "小组", "squadron": "中队", "unit": "单位", "party_committee": "党组（党委）",
        "higher_authority": "上级机关"},
    "RelationshipDeclared.relation": {
        "family": "近亲属", "relative": "其他亲属", "business": "经济往来",
        "former_colleague": "原同事", "neighbour": "邻里", "creditor_debtor": "债权债务",
        "other": "其他"},
    "RecusalDecided.decision": {"recused": "决定回避", "refused": "驳回回避申请"},
    "RecusalDecided.ground": {  # APL 第43条
        "party_request": "当事人申请", "self_declared": "执法人员自行申请",
        "relationship": "存在利害关系", "other": "其他"},
    # case
    "ClueRegistered.source": {
        "patrol": "巡查发现", "hotline_12345": "12345热线", "complaint": "投诉举报",
        "referral": "移送", "inspection": "检查发现", "media": "媒体反映", "other": "其他"},
    "CaseFiled.procedure": _PROCEDURE,
    "CaseFiled.parties.party_type": _PARTY_TYPE,
    "EvidenceRecorded.kind": {  # APL 第46条
        "photo": "照片", "video": "视频", "audio": "录音", "document": "书证",
        "inspection_record": "现场笔录", "inquiry_record": "询问笔录", "sample": "样品",
        "electronic_data": "电子数据", "witness_statement": "证人证言",
        "expert_opinion": "鉴定意见"},
    "EvidenceRecorded.hash_alg": {"sha-256": "SHA-256"},
    "EvidenceRecorded.capture_device.device_type": {
        "bodycam": "执法记录仪", "handheld_terminal": "执法终端", "camera": "照相机、摄像机",
        "fixed_camera": "固定监控设备", "scanner": "扫描仪", "phone": "手机", "other": "其他"},
    "RectificationVerified.result": {
        "rectified": "已改正", "partially_rectified": "部分改正", "not_rectified": "未改正",
        "refused": "拒不改正"},
    "WarningIssued.form": {"oral": "口头", "written": "书面"},
    "InspectionPerformed.kind": {
        "site_inspection": "现场检查", "sampling": "抽样取证", "survey": "勘验",
        "routine": "日常检查"},
    "InspectionPerformed.findings": {
        "violation_found": "发现违法行为", "no_violation": "未发现违法行为", "rectified": "已改正"},
    "InvestigationConcluded.finding": {  # APL 第57条
        "violation_established": "确有应受行政处罚的违法行为", "minor_violation": "违法行为轻微",
        "facts_not_established": "违法事实不能成立", "suspected_crime": "涉嫌犯罪"},
    "DeviationApproved.approval_form": _APPROVAL_FORM,
    "PenaltyNoticeServed.proposed_penalty_types": _PENALTY_TYPE,
    "PenaltyNoticeServed.rights_notified": _RIGHTS,
    "PenaltyNoticeServed.service_method": _SERVICE,
    "StatementReceived.form": {"oral": "口头", "written": "书面", "electronic": "电子"},
    "DefenceReviewed.outcome": {  # APL 第45条
        "accepted": "采纳", "partly_accepted": "部分采纳", "rejected": "不予采纳"},
    "RightsWaived.rights": _RIGHTS,
    "RightsWaived.form": {"written": "书面", "oral_recorded": "口头（记录在案）"},
    "HearingRequested.requested_via": {"written": "书面", "oral": "口头", "electronic": "电子"},
    "HearingHeld.outcome": {  # APL 第64条(八)
        "completed": "听证结束", "party_absent": "当事人无正当理由拒不出席",
        "party_withdrew": "当事人中途退出"},
    "LegalReviewCompleted.result": {
        "pass": "审核通过", "pass_with_changes": "修改后通过", "fail": "审核未通过",
        "returned": "退回补充"},
    "LegalReviewCompleted.grounds": {  # APL 第58条
        "hearing_held": "经过听证程序", "major_public_interest": "涉及重大公共利益",
        "complex": "案件情况疑难复杂、涉及多个法律关系", "local_catalogue": "法制审核目录所列情形",
        "other": "其他"},
    "CollectiveDiscussionHeld.conclusion": {
        "penalise": "给予行政处罚", "do_not_penalise": "不予行政处罚", "transfer": "移送",
        "approve_deviation": "批准调整适用裁量基准", "approve_extension": "批准延长办案期限",
        "other": "其他"},
    "ExtensionApproved.approval_form": _APPROVAL_FORM,
    "PenaltyDecided.procedure": _PROCEDURE,
    "PenaltyDecided.party.party_type": _PARTY_TYPE,
    "PenaltyDecided.penalty_types": _PENALTY_TYPE,
    "PenaltyDecided.payment_method": {  # APL 第67条、第68条
        "designated_bank": "到指定银行缴纳", "e_payment": "电子支付", "onsite_cash": "当场收缴"},
    "NoPenaltyDecided.ground": {  # APL 第33条、第36条、第57条
        "minor_and_corrected": "违法行为轻微并及时改正", "facts_not_established": "违法事实不能成立",
        "no_fault": "没有主观过错", "statute_barred": "超过追责期限", "other": "其他"},
    "WaiverGranted.basis": {
        "APL33-1": "初次违法且危害后果轻微并及时改正（第33条第1款）",
        "APL33-1-S1": "违法行为轻微并及时改正（第33条第1款）",
        "APL33-2": "没有主观过错（第33条第2款）", "APL30": "未成年人（第30条）",
        "APL31": "精神病人、智力残疾人（第31条）", "APL32": "从轻或者减轻处罚情形（第32条）",
        "LOCAL_LIST": "免罚清单"},
    "WaiverGranted.waiver": {"no_penalty": "不予处罚", "mitigated": "从轻、减轻处罚"},
    "DecisionServed.method": {"on_the_spot": "当场交付", **_SERVICE},
    "DecisionPublished.channel": {
        "agency_website": "机关网站", "government_portal": "政府门户网站",
        "credit_platform": "信用平台", "other": "其他渠道"},
    "DecisionPublicationWithdrawn.reason": {
        "decision_revoked": "决定已撤销", "decision_changed": "决定已变更", "error": "公示有误",
        "other": "其他原因"},
    "PenaltyAmended.penalty_types": _PENALTY_TYPE,
    "PenaltyAmended.approval_form": _APPROVAL_FORM,
    "PenaltyWithdrawn.reason": {
        "error_in_fact": "认定事实错误", "error_in_law": "适用依据错误",
        "procedural_defect": "违反法定程序", "reconsideration": "行政复议决定",
        "court_judgment": "人民法院判决", "other": "其他"},
    "PenaltyWithdrawn.approval_form": _APPROVAL_FORM,
    "DecisionFormVoided.reason": {
        "misprint": "填写错误", "wrong_party": "当事人有误", "wrong_amount": "金额有误",
        "damaged": "损毁", "other": "其他"},
    "TransferredToJudiciary.to_authority": {  # APL 第27条
        "public_security": "公安机关", "procuratorate": "人民检察院", "court": "人民法院",
        "supervision_commission": "监察委员会", "other": "其他"},
    "CaseClosed.outcome": {
        "paid": "已缴纳罚款", "executed": "执行完毕", "not_penalised": "不予处罚",
        "transferred": "移送司法机关", "enforcement_applied": "申请人民法院强制执行",
        "withdrawn": "撤销行政处罚决定", "terminated": "终止调查", "other": "其他"},
    # money
    "PaymentRecorded.channel": {
        "designated_bank": "指定银行", "e_payment": "电子缴款",
        "onsite_cash_with_receipt": "当场收缴（出具专用票据）", "agency_account": "机关账户",
        "cash_to_officer": "现金交执法人员", "other": "其他"},
    "PaymentRecorded.covers": {
        "principal": "罚款", "surcharge": "加处罚款", "principal_and_surcharge": "罚款及加处罚款",
        "instalment": "分期缴纳"},
    "OnsiteCashCollected.justification": {  # APL 第68条、第69条
        "within_100": "依法给予一百元以下罚款", "hard_to_enforce_later": "不当场收缴事后难以执行",
        "remote_area_party_request": "边远、水上、交通不便地区当事人提出", "none": "无"},
    "TreasuryReconciled.result": {"matched": "相符", "mismatch": "对账不符", "partial": "部分相符"},
    "InstalmentApproved.kind": {"deferral": "暂缓缴纳", "instalments": "分期缴纳"},  # APL 第66条
    # property
    "PropertySeized.measure": {
        "temporary_seizure": "暂扣", "sealing": "查封", "detention": "扣押",
        "registration_preservation": "先行登记保存"},
    "PropertyInventorySigned.signed_by": {
        "party": "当事人签名", "witness": "见证人签名",
        "party_refused_witness_signed": "当事人拒绝签名，见证人签名"},
    "PropertyDisposed.method": {
        "public_auction": "公开拍卖", "destroyed": "销毁", "confiscated_to_treasury": "上缴国库",
        "donated": "捐赠", "other": "其他"},
    # oversight
    "ComplaintReceived.channel": {
        "hotline_12345": "12345热线", "letter": "来信", "visit": "来访", "online": "网上投诉",
        "media": "媒体反映", "other": "其他"},
    "ComplaintReceived.category": {
        "violent": "野蛮执法", "extortion": "吃拿卡要", "arbitrary_fine": "乱罚款", "other": "其他"},
    "ComplaintAcknowledged.method": {
        "written": "书面", "sms": "短信", "phone": "电话", "online": "网上"},
    "ComplaintClosed.outcome": {
        "substantiated": "属实", "partly_substantiated": "部分属实", "unsubstantiated": "不属实",
        "withdrawn": "撤回投诉", "referred": "转交办理"},
    "SupervisionFeedbackSubmitted.responses.status": {
        "rectified": "已整改", "in_progress": "整改中", "disputed": "有异议"},
    "SupervisionFeedbackAccepted.result": {"accepted": "审核通过", "rejected_resubmit": "退回重报"},
    "OfficerWarningIssued.kind": {  # ZWCF 第12条
        "reminder_talk": "谈话提醒", "admonishment_talk": "诫勉", "criticism_education": "批评教育",
        "circulated_criticism": "通报批评", "written_self_review": "责令检查", "other": "其他"},
    # flags
    "FlagDismissed.reason_code": {
        "false_positive": "误报", "legitimate_exception": "合法例外", "duplicate": "重复",
        "data_error": "数据错误", "other": "其他"},
    "FlagConfirmed.severity": {"critical": "严重", "high": "高", "medium": "中", "low": "低"},
    "FlagReferred.referred_to": {
        "discipline_inspection": "纪检监察机关", "supervision_commission": "监察委员会",
        "procuratorate": "人民检察院", "agency_head": "机关负责人", "legal_office": "法制机构"},
    # config
    "DiscretionBenchmarkPublished.entries.party_type": {**_PARTY_TYPE, "any": "不限"},
    "LegalParametersPublished.parameters.unit": {
        "fen": "分", "calendar_days": "日", "working_days": "工作日", "years": "年", "count": "次",
        "basis_points_per_day": "每日万分比", "minutes": "分钟"},
    # keys
    "KeyRegistered.roles": {
        "config": "法制科（配置）", "hr": "人事系统", "case-app": "办案系统",
        "officer-device": "执法终端", "bodycam": "执法记录仪", "finance": "财务",
        "treasury": "非税收入与国库", "supervisor": "行政机关负责人", "legal": "法制审核",
        "complaints": "投诉系统", "inspector": "纪检监察"},
}

# The same values' English names, in lower case as they run in a line (``direct service ·
# individual``); shared sets as above.
_APPROVAL_FORM_EN = {"agency_head": "approved by the agency head",
                     "deputy_head": "approved by the deputy head in charge",
                     "collective_discussion": "decided by collective discussion"}
_PENALTY_TYPE_EN = {
    "warning": "warning", "fine": "fine", "confiscation_illegal_gains": "confiscation of illegal gains",
    "confiscation_property": "confiscation of illegal property",
    "suspend_business": "order to suspend production or business",
    "revoke_licence": "revocation of a licence or permit",
    "restrict_practice": "restriction on practising a trade", "other": "other"}
_RIGHTS_EN = {"statement": "statement", "defence": "defence", "hearing": "hearing"}
_PROCEDURE_EN = {"general": "general procedure", "summary": "summary procedure"}
_PARTY_TYPE_EN = {"individual": "individual", "organisation": "legal person or other organisation"}
_SERVICE_EN = {"in_person": "direct service", "post": "service by post",
               "electronic": "electronic service",
               "left_at_address": "service by leaving at the address",
               "announcement": "service by public announcement"}

#: ``"EventType.field"`` → the English name of each value, as :data:`CODES_ZH` gives the Chinese
#: (``vocabulary`` refuses at import a field or a value left without one). Where the dashboard
#: labels the same codes itself (channel, end reason, disposition reason…) its English is these
#: words (tests/test_names_consistency.py).
CODES_EN: dict[str, dict[str, str]] = {
    # identity
    "OfficerCredentialIssued.credential_type": {
        "administrative_enforcement": "administrative enforcement credential",
        "supervision_inspection": "enforcement supervision credential"},
    "OfficerCredentialSuspended.reason": {
        "disciplinary_investigation": "under disciplinary investigation",
        "training_lapse": "required training not attended", "assessment_failed": "failed assessment",
        "misconduct": "breach of law or discipline", "other": "other"},
    "OfficerCredentialExpired.reason": {
        "term_ended": "term ended", "revoked": "revoked", "withdrawn": "withdrawn",
        "retired": "retired", "transferred": "transferred"},
    "AuxiliaryStaffRegistered.duties": {
        "patrol_assist": "assisting patrols", "persuasion": "dissuading violations",
        "traffic_guidance": "traffic guidance", "information_collection": "information gathering",
        "other": "other"},
    "PostAssigned.role": {
        "team_member": "team member", "team_leader": "team leader",
        "squadron_leader": "squadron leader", "unit_head": "head of unit",
        "legal_reviewer": "legal reviewer", "finance_officer": "finance officer",
        "auxiliary": "auxiliary staff"},
    "PostAssigned.shift": {"day": "day shift", "night": "night shift",
                           "rotating": "rotating shifts"},
    "DispatchOrderIssued.reason": {
        "hotline_12345": "12345 hotline", "complaint": "complaint or report",
        "campaign": "special campaign", "patrol": "patrol", "emergency": "emergency",
        "other": "other"},
    "IntegrityPledgeSigned.level": {
        "officer": "enforcement officer", "team": "team", "squadron": "squadron", "unit": "unit"},
    "IntegrityPledgeCountersigned.countersigner_level": {
        "team": "team", "squadron": "squadron", "unit": "unit",
        "party_committee": "party leadership group (committee)",
        "higher_authority": "higher authority"},
    "RelationshipDeclared.relation": {
        "family": "close relative", "relative": "other relative", "business": "business dealings",
        "former_colleague": "former colleague", "neighbour": "neighbour",
        "creditor_debtor": "creditor or debtor", "other": "other"},
    "RecusalDecided.decision": {"recused": "recusal ordered",
                                "refused": "request for recusal refused"},
    "RecusalDecided.ground": {
        "party_request": "requested by the party", "self_declared": "requested by the officer",
        "relationship": "conflict of interest", "other": "other"},
    # case
    "ClueRegistered.source": {
        "patrol": "found on patrol", "hotline_12345": "12345 hotline",
        "complaint": "complaint or report", "referral": "referral",
        "inspection": "found on inspection", "media": "media report", "other": "other"},
    "CaseFiled.procedure": _PROCEDURE_EN,
    "CaseFiled.parties.party_type": _PARTY_TYPE_EN,
    "EvidenceRecorded.kind": {
        "photo": "photograph", "video": "video recording", "audio": "audio recording",
        "document": "documentary evidence", "inspection_record": "on-site record",
        "inquiry_record": "record of inquiry", "sample": "sample",
        "electronic_data": "electronic data", "witness_statement": "witness testimony",
        "expert_opinion": "expert opinion"},
    "EvidenceRecorded.hash_alg": {"sha-256": "SHA-256"},
    "EvidenceRecorded.capture_device.device_type": {
        "bodycam": "body-worn camera", "handheld_terminal": "enforcement terminal",
        "camera": "camera", "fixed_camera": "fixed surveillance camera", "scanner": "scanner",
        "phone": "mobile phone", "other": "other"},
    "RectificationVerified.result": {
        "rectified": "corrected", "partially_rectified": "partly corrected",
        "not_rectified": "not corrected", "refused": "refused to correct"},
    "WarningIssued.form": {"oral": "oral", "written": "written"},
    "InspectionPerformed.kind": {
        "site_inspection": "on-site inspection", "sampling": "sampling for evidence",
        "survey": "site survey", "routine": "routine inspection"},
    "InspectionPerformed.findings": {
        "violation_found": "violation found", "no_violation": "no violation found",
        "rectified": "corrected"},
    "InvestigationConcluded.finding": {
        "violation_established": "violation punishable by an administrative penalty established",
        "minor_violation": "minor violation", "facts_not_established": "facts not established",
        "suspected_crime": "suspected crime"},
    "DeviationApproved.approval_form": _APPROVAL_FORM_EN,
    "PenaltyNoticeServed.proposed_penalty_types": _PENALTY_TYPE_EN,
    "PenaltyNoticeServed.rights_notified": _RIGHTS_EN,
    "PenaltyNoticeServed.service_method": _SERVICE_EN,
    "StatementReceived.form": {"oral": "oral", "written": "written", "electronic": "electronic"},
    "DefenceReviewed.outcome": {
        "accepted": "accepted", "partly_accepted": "partly accepted", "rejected": "not accepted"},
    "RightsWaived.rights": _RIGHTS_EN,
    "RightsWaived.form": {"written": "written", "oral_recorded": "oral (put on record)"},
    "HearingRequested.requested_via": {"written": "written", "oral": "oral",
                                       "electronic": "electronic"},
    "HearingHeld.outcome": {
        "completed": "hearing concluded",
        "party_absent": "party refused to attend without good reason",
        "party_withdrew": "party withdrew during the hearing"},
    "LegalReviewCompleted.result": {
        "pass": "approved", "pass_with_changes": "approved after changes", "fail": "not approved",
        "returned": "returned for more material"},
    "LegalReviewCompleted.grounds": {
        "hearing_held": "a hearing was held", "major_public_interest": "major public interest",
        "complex": "complex case or several legal relationships",
        "local_catalogue": "listed in the legal review catalogue", "other": "other"},
    "CollectiveDiscussionHeld.conclusion": {
        "penalise": "impose an administrative penalty",
        "do_not_penalise": "impose no administrative penalty", "transfer": "transfer",
        "approve_deviation": "approve a departure from the discretion benchmark",
        "approve_extension": "approve an extension of the case-handling period",
        "other": "other"},
    "ExtensionApproved.approval_form": _APPROVAL_FORM_EN,
    "PenaltyDecided.procedure": _PROCEDURE_EN,
    "PenaltyDecided.party.party_type": _PARTY_TYPE_EN,
    "PenaltyDecided.penalty_types": _PENALTY_TYPE_EN,
    "PenaltyDecided.payment_method": {
        "designated_bank": "paid at the designated bank", "e_payment": "electronic payment",
        "onsite_cash": "collected on the spot"},
    "NoPenaltyDecided.ground": {
        "minor_and_corrected": "minor violation promptly corrected",
        "facts_not_established": "facts not established", "no_fault": "no subjective fault",
        "statute_barred": "time limit for liability expired", "other": "other"},
    "WaiverGranted.basis": {
        "APL33-1": "first violation, slight harm, promptly corrected (Art. 33(1))",
        "APL33-1-S1": "minor violation promptly corrected (Art. 33(1))",
        "APL33-2": "no subjective fault (Art. 33(2))", "APL30": "under-age party (Art. 30)",
        "APL31": "mental illness or intellectual disability (Art. 31)",
        "APL32": "grounds for a lighter or reduced penalty (Art. 32)",
        "LOCAL_LIST": "local no-penalty list"},
    "WaiverGranted.waiver": {"no_penalty": "no penalty",
                             "mitigated": "lighter or reduced penalty"},
    "DecisionServed.method": {"on_the_spot": "handed over on the spot", **_SERVICE_EN},
    "DecisionPublished.channel": {
        "agency_website": "agency website", "government_portal": "government portal",
        "credit_platform": "credit platform", "other": "other channel"},
    "DecisionPublicationWithdrawn.reason": {
        "decision_revoked": "decision revoked", "decision_changed": "decision changed",
        "error": "published in error", "other": "other"},
    "PenaltyAmended.penalty_types": _PENALTY_TYPE_EN,
    "PenaltyAmended.approval_form": _APPROVAL_FORM_EN,
    "PenaltyWithdrawn.reason": {
        "error_in_fact": "facts wrongly found", "error_in_law": "wrong legal basis applied",
        "procedural_defect": "statutory procedure breached",
        "reconsideration": "administrative reconsideration decision",
        "court_judgment": "court judgment", "other": "other"},
    "PenaltyWithdrawn.approval_form": _APPROVAL_FORM_EN,
    "DecisionFormVoided.reason": {
        "misprint": "filled in wrongly", "wrong_party": "wrong party",
        "wrong_amount": "wrong amount",
        "damaged": "damaged", "other": "other"},
    "TransferredToJudiciary.to_authority": {
        "public_security": "public security organ", "procuratorate": "people's procuratorate",
        "court": "people's court", "supervision_commission": "supervision commission",
        "other": "other"},
    "CaseClosed.outcome": {
        "paid": "fine paid", "executed": "fully enforced", "not_penalised": "no penalty imposed",
        "transferred": "transferred to the judicial authorities",
        "enforcement_applied": "court enforcement applied for",
        "withdrawn": "penalty decision revoked", "terminated": "investigation terminated",
        "other": "other"},
    # money
    "PaymentRecorded.channel": {
        "designated_bank": "designated bank", "e_payment": "e-payment",
        "onsite_cash_with_receipt": "on-site cash with an official receipt",
        "agency_account": "agency account", "cash_to_officer": "cash to the officer",
        "other": "other"},
    "PaymentRecorded.covers": {
        "principal": "fine", "surcharge": "additional fine",
        "principal_and_surcharge": "fine and additional fine", "instalment": "instalment"},
    "OnsiteCashCollected.justification": {
        "within_100": "fine of 100 yuan or less",
        "hard_to_enforce_later": "hard to enforce if not collected on the spot",
        "remote_area_party_request": "party's request in a remote, water or poorly served area",
        "none": "none"},
    "TreasuryReconciled.result": {"matched": "matched", "mismatch": "mismatch",
                                  "partial": "partly matched"},
    "InstalmentApproved.kind": {"deferral": "deferred payment",
                                "instalments": "payment in instalments"},
    # property
    "PropertySeized.measure": {
        "temporary_seizure": "temporary seizure", "sealing": "sealing up", "detention": "detention",
        "registration_preservation": "registration and preservation in advance"},
    "PropertyInventorySigned.signed_by": {
        "party": "signed by the party", "witness": "signed by a witness",
        "party_refused_witness_signed": "party refused to sign, a witness signed"},
    "PropertyDisposed.method": {
        "public_auction": "public auction", "destroyed": "destroyed",
        "confiscated_to_treasury": "turned over to the treasury", "donated": "donated",
        "other": "other"},
    # oversight
    "ComplaintReceived.channel": {
        "hotline_12345": "12345 hotline", "letter": "letter", "visit": "visit in person",
        "online": "online complaint", "media": "media report", "other": "other"},
    "ComplaintReceived.category": {
        "violent": "violent enforcement", "extortion": "extortion and bribe-seeking",
        "arbitrary_fine": "arbitrary fines", "other": "other"},
    "ComplaintAcknowledged.method": {
        "written": "in writing", "sms": "text message", "phone": "telephone", "online": "online"},
    "ComplaintClosed.outcome": {
        "substantiated": "substantiated", "partly_substantiated": "partly substantiated",
        "unsubstantiated": "unsubstantiated", "withdrawn": "complaint withdrawn",
        "referred": "passed on for handling"},
    "SupervisionFeedbackSubmitted.responses.status": {
        "rectified": "rectified", "in_progress": "in progress", "disputed": "disputed"},
    "SupervisionFeedbackAccepted.result": {"accepted": "accepted",
                                           "rejected_resubmit": "sent back for resubmission"},
    "OfficerWarningIssued.kind": {
        "reminder_talk": "reminder talk", "admonishment_talk": "admonishment",
        "criticism_education": "criticism and education",
        "circulated_criticism": "circulated criticism",
        "written_self_review": "ordered to make a self-review", "other": "other"},
    # flags
    "FlagDismissed.reason_code": {
        "false_positive": "false positive", "legitimate_exception": "legitimate exception",
        "duplicate": "duplicate", "data_error": "data error", "other": "other"},
    "FlagConfirmed.severity": {"critical": "critical", "high": "high", "medium": "medium",
                               "low": "low"},
    "FlagReferred.referred_to": {
        "discipline_inspection": "discipline inspection",
        "supervision_commission": "supervision commission",
        "procuratorate": "people's procuratorate", "agency_head": "agency head", "legal_office": "legal office"},
    # config
    "DiscretionBenchmarkPublished.entries.party_type": {**_PARTY_TYPE_EN, "any": "any"},
    "LegalParametersPublished.parameters.unit": {
        "fen": "fen", "calendar_days": "calendar days", "working_days": "working days",
        "years": "years", "count": "times", "basis_points_per_day": "basis points a day",
        "minutes": "minutes"},
    # keys
    "KeyRegistered.roles": {
        "config": "legal office (configuration)", "hr": "personnel system",
        "case-app": "case-handling system", "officer-device": "enforcement terminal",
        "bodycam": "body-worn camera", "finance": "finance",
        "treasury": "non-tax revenue and treasury",
        "supervisor": "agency head", "legal": "legal review", "complaints": "complaints system",
        "inspector": "discipline inspection"},
}
