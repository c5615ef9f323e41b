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
