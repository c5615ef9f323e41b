"""The Chinese name of every event type, for readers (the dashboard, docs/events.md).

The wire ``type`` stays the English PascalCase name and is never translated; these are labels
only. A type declared without a name here fails at import (``vocabulary`` checks the keys), so
the list cannot fall behind the vocabulary. Enumerated codes a reader needs in words carry their
labels where they are declared (``Enum(..., zh={...})``).
"""

from __future__ import annotations

NAMES_ZH: dict[str, str] = {
    # identity
    "OfficerCredentialIssued": "核发执法证件", "OfficerCredentialSuspended": "暂扣执法证件",
    "OfficerCredentialExpired": "执法证件失效", "AuxiliaryStaffRegistered": "协管员登记",
    "PostAssigned": "岗位任命", "DispatchOrderIssued": "下达调度指令",
    "IntegrityPledgeSigned": "签订廉政责任书", "IntegrityPledgeCountersigned": "会签廉政责任书",
    "RelationshipDeclared": "申报利害关系", "RecusalDecided": "回避决定",
    # case
    "ClueRegistered": "登记案件线索", "CaseFiled": "立案", "EvidenceRecorded": "采集证据",
    "CredentialShown": "出示执法证件", "RectificationOrdered": "责令改正",
    "RectificationVerified": "整改复查", "WarningIssued": "教育警示",
    "InspectionPerformed": "检查/勘验", "InvestigationConcluded": "调查终结",
    "BenchmarkApplied": "适用裁量基准", "DeviationApproved": "批准偏离裁量基准",
    "PenaltyNoticeServed": "送达行政处罚事先告知书", "StatementReceived": "收到陈述申辩",
    "DefenceReviewed": "复核陈述申辩", "RightsWaived": "放弃陈述申辩或听证",
    "HearingRequested": "申请听证", "HearingScheduled": "安排听证", "HearingHeld": "举行听证",
    "LegalReviewCompleted": "法制审核完成", "CollectiveDiscussionHeld": "集体讨论决定",
    "ExtensionApproved": "批准延长期限", "PenaltyDecided": "作出行政处罚决定",
    "NoPenaltyDecided": "决定不予行政处罚", "WaiverGranted": "决定不予处罚（免罚）",
    "DecisionServed": "送达处罚决定书", "SummaryDecisionFiled": "简易程序决定备案",
    "DecisionPublished": "公示处罚决定", "DecisionPublicationWithdrawn": "撤回处罚决定公示",
    "PenaltyAmended": "变更处罚决定", "PenaltyWithdrawn": "撤销处罚决定",
    "DecisionFormVoided": "作废处罚决定书", "TransferredToJudiciary": "移送司法机关",
    "CaseClosed": "结案", "CaseArchived": "归档",
    # money
    "PaymentRecorded": "缴纳罚款", "OnsiteCashCollected": "当场收缴罚款",
    "OnsiteCashRemitted": "当场收缴罚款交至机关", "AgencyDeposited": "机关存入银行",
    "TreasuryReconciled": "国库对账", "SurchargeAssessed": "加处罚款",
    "InstalmentApproved": "批准延期或分期缴纳",
    # property
    "PropertySeized": "查封扣押财物", "PropertyInventorySigned": "签署财物清单",
    "PropertyReturned": "退还财物", "PropertyDisposed": "处置财物",
    "PreservationOrdered": "证据先行登记保存",
    # oversight
    "ComplaintReceived": "收到投诉", "ComplaintAcknowledged": "受理投诉",
    "ComplaintExtended": "延长投诉办理期限", "ComplaintClosed": "投诉办结",
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
