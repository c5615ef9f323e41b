"""The Chinese name of every event type and of every value of an enumerated body field, for
readers (the dashboard, docs/events.md).

The wire ``type`` and the codes stay English and are never translated; these are labels only. A
type declared without a name here, or an enumerated body field (or a value of one) without
one, fails at import (``vocabulary`` checks both), so the lists cannot fall behind the
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
    # flags
    "FlagAcknowledged": "受理红旗", "FlagDismissed": "驳回红旗", "FlagConfirmed": "确认红旗",
    "FlagReferred": "移送红旗",
    # keys
    "KeyRegistered": "登记签名密钥", "KeyRevoked": "吊销签名密钥",
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
