// Integrity Ledger — inspectors' dashboard. Hand-written, no build step, no downloads.
// The bearer token lives in sessionStorage and goes with every API call, so the page sees
// exactly what the API lets the token see. Organised by page: see PAGES at the bottom; the
// oversight views (supervision, warning levels, assessment, publication) are in oversight.js.
import { assessmentCard, pageNotice, pageSupervision, publicationLine, warningsCard } from "./oversight.js";

// ---------------------------------------------------------------------------------------------
// i18n: every UI string, zh and en. Default zh (the users are 纪检监察 inspectors); the choice
// is kept in localStorage.
const T = {
  zh: {
    "app.title": "纪检监察工作台", "nav.queue": "红旗队列", "nav.units": "执法单位",
    "nav.log": "日志与核验", "nav.signout": "退出", "lang.switch": "EN",
    "signin.title": "登录", "signin.help": "粘贴纪检（inspector）或审计（auditor）令牌。令牌只保存在本标签页。",
    "signin.token": "访问令牌", "signin.submit": "登录",
    "signin.forbidden": "此令牌无权打开工作台（需要纪检或审计角色）。",
    "signin.unknown": "令牌无效或已失效。", "signin.expired": "登录已失效，请重新登录。",
    "queue.title": "红旗队列", "f.rule": "规则", "f.severity": "严重程度", "f.status": "状态",
    "f.disposition": "处置", "f.rule_id": "细项", "f.unit": "单位", "f.officer": "执法人员", "f.case": "案件", "f.party": "当事人",
    "f.since": "起", "f.until": "止", "f.apply": "筛选", "f.reset": "清除", "f.any": "全部",
    "col.rule": "规则", "col.name": "名称", "col.severity": "严重程度", "col.subject": "对象",
    "col.numbers": "关键数据", "col.age": "时长", "col.status": "状态", "col.disposition": "处置",
    "queue.more": "加载更多", "queue.empty": "没有符合条件的红旗。", "queue.count": "已加载 {n} 条",
    "queue.sortnote": "服务端按触发时间倒序分页；点击表头在已加载的行内排序。",
    "ua.title": "旗已不存在的处置", "ua.help": "记录在 flag:<编号> 上、但服务当前没有该红旗的处置：红旗已消失（后补录的事实表明规则从未适用，例如补录的执法证），或尚未触发。按红旗编号排列。",
    "ua.flag": "红旗编号", "ua.rule": "规则", "ua.dispositions": "处置（事件、纪检人员、记录时间）", "ua.empty": "没有这样的处置。",
    "days": "{n} 天", "hours": "{n} 小时",
    "sev.critical": "严重", "sev.high": "高", "sev.medium": "中", "sev.low": "低",
    "status.raised": "触发", "status.cleared": "已消除",
    "disp.open": "待处置", "disp.acknowledged": "已受理", "disp.dismissed": "已驳回",
    "disp.confirmed": "已确认", "disp.referred": "已移送",
    "case.title": "案件", "case.procedure": "程序", "proc.general": "普通程序",
    "proc.summary": "简易程序", "case.state": "状态", "case.unit": "单位", "case.timeline": "办案时间线",
    "case.amounts": "罚款金额", "case.statutory": "法定幅度", "case.benchmark": "裁量基准",
    "tier.minor": "轻微", "tier.general": "一般", "tier.serious": "严重", "chart.min": "最低", "chart.max": "最高",
    "chart.definition": "RF17：以全部台账按自然季度划分窗口；每件案件与其他执法人员同一违法行为代码 × 当事人类型案件的中位位置比较；位置 = （罚款金额 − 法定最低额）/（法定最高额 − 法定最低额）",
    "log.root": "根哈希", "scope.case": "案件", "scope.officer": "执法人员", "scope.unit": "单位",
    "cohort.discretion": "裁量统计", "cohort.void": "决定书作废率统计",
    "case.decided": "决定金额", "case.money": "缴款与上缴", "case.deadlines": "法定期限",
    "case.evidence": "证据", "case.flags": "红旗", "case.no_flags": "本案没有红旗。", "case.flag_missing": "链接中的红旗 {id} 不在本案（可能属于其他案件，或编号有误）。", "case.trail": "审计轨迹", "case.parties": "当事人",
    "case.officers": "执法人员",
    "dl.name": "期限", "dl.due": "届满日", "dl.met": "完成日", "dl.result": "结果",
    "dl.ok": "按期", "dl.late": "逾期", "dl.open": "未到期/未完成",
    "case.other_deadlines": "其他处罚决定的法定期限（其他当事人的决定、已被新决定取代的决定）", "dl.set_aside": "已被新决定取代",
    "dl.cancelled": "已取消（{on}，决定已撤销或作废）",
    "dl.owner": "本案及决定 {no}（当事人：{party}）的期限；其他决定的期限见下表。",
    "money.due": "应缴", "money.received": "已收", "money.outstanding": "未缴",
    "money.bank": "其中银行缴款", "money.cash": "其中当场收缴", "money.collected": "当场收缴罚款",
    "money.remitted": "已交至行政机关", "money.deposited": "已缴付指定银行", "money.reconciliation": "对账",
    "money.payments": "缴款记录",
    "case.co_parties": "其他当事人的处罚决定（共同违法）", "co.party": "当事人", "co.decision_no": "决定书文号",
    "co.in_force": "现行罚款", "co.status": "状态", "co.state": "所处阶段",
    "dstatus.in_force": "生效", "dstatus.amended": "已变更", "dstatus.withdrawn": "已撤销", "dstatus.voided": "决定书已作废",
    "state.CLUE": "线索", "state.FILED": "已立案", "state.INVESTIGATING": "调查取证", "state.INVESTIGATION_CONCLUDED": "调查终结",
    "state.REVIEWING": "法制审核", "state.NOTIFIED": "已告知", "state.HEARING": "听证", "state.DECIDING": "待决定",
    "state.DECIDED": "已决定", "state.SERVED": "已送达", "state.EXECUTING": "执行中", "state.ENFORCEMENT_APPLIED": "已申请强制执行",
    "state.EXECUTED": "执行完毕", "state.NOT_PENALISED": "不予处罚", "state.TRANSFERRED": "已移送", "state.CLOSED": "已结案",
    "state.ARCHIVED": "已归档", "state.ON_SCENE": "现场处置", "state.DECIDED_ON_SPOT": "当场决定", "state.DELIVERED": "已当场交付",
    "state.COLLECTED_ON_SPOT": "当场收缴", "state.BANK_PAYMENT_PENDING": "待银行缴款", "state.REMITTED": "已交至行政机关",
    "state.DEPOSITED": "已缴付指定银行", "state.PAID": "已缴款", "state.FILED_WITH_AGENCY": "已备案",
    "deadline.acknowledge": "告知是否受理投诉", "deadline.agency_to_bank": "罚款缴付指定银行", "deadline.cash_to_agency": "当场收缴的罚款交至行政机关",
    "deadline.close": "办结投诉", "deadline.decision": "作出行政处罚决定", "deadline.hearing_request": "要求听证",
    "deadline.payment": "缴纳罚款", "deadline.publication": "公示行政处罚决定", "deadline.publication_withdrawal": "撤回行政处罚决定公示",
    "deadline.service": "送达行政处罚决定书", "deadline.summary_filing": "简易程序决定备案",
    "money.on": "日期", "money.channel": "渠道", "money.amount": "金额",
    "channel.designated_bank": "指定银行", "channel.e_payment": "电子缴款", "channel.onsite_cash_with_receipt": "当场收缴（出具专用票据）",
    "channel.agency_account": "机关账户", "channel.cash_to_officer": "现金交执法人员", "channel.other": "其他",
    "rec.not_applicable": "不适用", "rec.pending": "待对账", "rec.reconciled": "已对账", "rec.mismatch": "对账不符",
    "rec.matched": "相符", "rec.partial": "部分相符",
    "ev.kind": "类型", "ev.sha": "内容哈希", "ev.captured": "采集时间", "ev.device": "设备",
    "ev.signed": "设备签名", "ev.signed.proven": "已证实（由该设备自身的密钥签名）",
    "ev.signed.claimed": "仅声称（未由设备密钥签名，签名密钥 {key}）", "ev.signed.none": "未声称",
    "tr.index": "日志序号", "tr.occurred": "发生时间", "tr.recorded": "记录时间", "tr.type": "事件",
    "tr.signer": "签名人", "tr.verify": "核验", "tr.body": "内容", "tr.sig": "签名",
    "tr.chain": "链", "tr.incl": "检查点", "tr.pending": "待纳入",
    "flag.legal": "法律依据", "flag.events": "触发事件", "flag.summary": "说明",
    "other_units": "其他单位 {n} 项（不予显示）",
    "flag.focus": "当前红旗", "reason_code.false_positive": "误报", "reason_code.legitimate_exception": "合法例外", "reason_code.duplicate": "重复",
    "reason_code.data_error": "数据错误", "reason_code.other": "其他", "referred_to.discipline_inspection": "纪检监察机关",
    "referred_to.supervision_commission": "监察委员会", "referred_to.procuratorate": "人民检察院", "referred_to.agency_head": "机关负责人",
    "referred_to.legal_office": "法制机构", "flag.history": "处置记录", "flag.no_history": "尚未处置", "flag.not_applied": "未生效（签名密钥不属该单位，RF28）", "flag.open": "查看并处置",
    "dispose.title": "处置", "dispose.action": "处置方式", "act.acknowledge": "受理",
    "act.dismiss": "驳回（须说明理由）", "act.confirm": "确认", "act.refer": "移送",
    "dispose.reason_code": "理由类别", "dispose.reason": "理由", "dispose.finding": "核查结论",
    "dispose.referred_to": "移送至", "dispose.referral_no": "移送编号", "dispose.note": "备注",
    "dispose.submit": "签名并记录", "dispose.done": "已记录为签名事件 {id}（日志序号 {index}）",
    "dispose.readonly": "审计角色只读，不能处置红旗。",
    "officer.title": "执法人员", "officer.credentials": "执法证件", "officer.posts": "岗位与网格",
    "officer.pledges": "廉政建设责任书链", "officer.caseload": "办案量", "officer.chart": "罚款在法定幅度中的位置（RF17：与全区其他执法人员同违法行为、同当事人类型对比）",
    "officer.waivers": "减免处罚", "officer.complaints": "投诉", "officer.flags": "红旗",
    "officer.flags_shown": "本页列出 {n} 条", "officer.flags_capped": "（最新的 {n} 条，更早的见队列）", "officer.flags_all": "在红旗队列中查看该人员的全部红旗",
    "officer.dispatches": "调度指令", "officer.kind": "人员类别", "kind.officer": "执法人员", "kind.auxiliary": "协管员", "kind.unknown": "未知（无人事记录）",
    "cr.cert": "证件号", "cr.type": "证件类型", "cr.from": "有效期起", "cr.until": "有效期至", "cr.status": "状态",
    "cr.valid": "有效", "cr.suspended": "曾暂扣", "end.term_ended": "期满终止", "end.revoked": "吊销", "end.withdrawn": "收回",
    "end.retired": "退休", "end.transferred": "调离",
    "post.post": "岗位", "post.role": "职务", "post.unit": "单位", "post.grids": "网格", "post.from": "起", "post.until": "止",
    "load.cases": "案件", "load.acts": "执法行为", "load.decisions": "处罚决定", "load.summary_decisions": "简易程序决定",
    "load.general_decisions": "普通程序决定", "load.decided_fen": "决定罚款金额", "load.waivers": "减免处罚",
    "load.voided_forms": "作废决定书", "load.voided_decisions": "因决定书作废而未生效的决定", "load.cash_collections": "当场收缴", "load.seizures": "暂扣、查封、扣押", "chart.self": "本人", "chart.peers": "其他执法人员（全区，匿名）",
    "chart.median": "其他人员中位数", "chart.none": "没有可比较的罚款决定。",
    "chart.window": "{from}–{to}：平均残差 {mean}，可比案件 {n}（判断需 ≥ {min}）", "chart.behind": "其他人员 {p} 名，案件 {c} 件",
    "chart.not_compared": "不比较（其他人员不足 {k} 名）", "chart.no_flag": "RF17 未预警",
    "credst.valid": "有效", "credst.expired": "已失效", "credst.not_yet_valid": "尚未生效",
    "credst.revoked": "已吊销", "credst.suspended": "已暂扣", "credst.withdrawn": "已收回",
    "credst.unknown_certificate": "证件未登记", "credst.auxiliary": "协管员",
    "credst.no_credential": "无执法证件", "credst.unknown": "未知", "credst.unknown_person": "无人事记录",
    "side.high": "偏高", "side.low": "偏低",
    "bandsrc.published": "已公布的裁量基准", "bandsrc.applied": "本案适用裁量基准时所载幅度",
    "prior.decision": "处罚决定", "prior.waiver": "不予处罚或从轻、减轻处罚",
    "ratioref.peer_median_rate": "其他执法人员作废率中位数", "ratioref.peer_pooled_rate": "其他执法人员合计作废率",
    "relation.subject_of_flag": "红旗所涉人员", "relation.acted_in_case": "参与办理该案",
    "relation.related_to_party": "与当事人有利害关系", "relation.accused": "被投诉人",
    "relation.co_officer_on_case": "同案执法人员", "relation.direct_superior_of_accused": "被投诉人的直接上级",
    "numcode.credential_not_shown": "未出示执法证件", "numcode.amount_over_limit": "罚款金额超出简易程序限额", "numcode.penalty_type_not_allowed": "处罚种类不适用简易程序", "numcode.no_approval": "未经批准", "numcode.approval_form_not_allowed": "批准形式不符合规定", "numcode.approver_is_decider": "批准人即决定人", "numcode.approver_not_head": "批准人非行政机关负责人", "numcode.recipient_linked_to_officer": "接收人与执法人员有关联", "numcode.no_handling_record": "无处理记录", "numcode.no_receipt": "未开具专用票据", "numcode.receipt_reused": "专用票据编号重复使用", "numcode.above_principal": "加处罚款超过罚款数额", "numcode.wrong_rate": "加处罚款比例不符", "numcode.before_payment_due": "缴款期限届满前加处罚款", "numcode.above_accrued": "加处罚款超过应计数额",
    "pledge.complete": "层层签订完整", "pledge.none": "本人未签订", "pledge.uncountersigned": "本人已签订，上级未签署",
    "pledge.broken": "上级未签订", "pledge.superior_uncountersigned": "上级已签订，其上级未签署",
    "pledge.wrong_countersigner": "非由直接上级签署", "pledge.cycle": "签署关系循环，未至链条顶端", "pledge.outside": "其他单位（无权查看）",
    "pledge.signed": "已签订", "pledge.countersigned": "上级已签署", "pledge.countersigned_unsigned": "上级已签署，本人未签订",
    "unit.title": "执法单位", "unit.fines": "每日罚款（期末突击可见）", "unit.flags": "按规则统计的红旗",
    "unit.pledges": "廉政建设责任书覆盖率", "unit.cases": "案件", "unit.officers": "人员",
    "unit.monthend": "月末", "unit.quarterend": "季末", "unit.covered": "{a} / {b} 名执法人员责任书链完整",
    "log.title": "日志与核验", "log.checkpoint": "最新签名检查点", "log.size": "树大小",
    "log.none": "尚未签发检查点。", "log.scope": "当前范围", "log.noscope": "先打开一个案件、人员或单位页面。",
    "bundle.download": "下载审计包", "bundle.verify": "离线核验：",
    "bundle.trust": "（信任的公钥取自 $LEDGER_HOME/ledger.json，或用 --trust 指定）",
    "bundle.saving": "正在下载…", "loading": "加载中…", "error": "出错了",
    // what an API refusal means, by HTTP status; the server's own words follow in brackets
    "http.400": "请求有误", "http.403": "无权执行此操作", "http.404": "未找到", "http.409": "与已记录的内容冲突",
    "http.413": "内容过大", "http.415": "内容格式不受支持", "http.422": "请求内容不符合要求",
    "http.429": "请求过于频繁，请稍后再试", "http.500": "服务器内部错误", "http.502": "服务暂不可用，请稍后再试",
    "http.503": "服务暂不可用，请稍后再试", "http.504": "服务响应超时，请稍后再试", "http.detail": "服务器说明",
    "notfound": "未找到（或不在您的权限范围内）。", "k.yes": "是", "k.no": "否",
    "nav.supervision": "督办反馈", "nav.public": "公示", "col.status": "状态",
    "sup.title": "督办通知", "sup.help": "纪检监察向执法单位发出的督办通知、单位的整改反馈和审核结果；状态按当日计算。",
    "sup.notice": "督办通知", "sup.issued": "下发日期", "sup.issued_by": "下发人", "sup.respond_by": "反馈期限",
    "sup.issues": "督办事项", "sup.feedback": "反馈次数", "sup.empty": "没有符合条件的督办通知。",
    "sup.asof": "状态截至 {day}", "sup.closed_on": "办结日期", "sup.description": "事项", "sup.flag": "红旗",
    "sup.feedback_history": "反馈与审核", "sup.no_feedback": "尚未反馈。", "sup.submitted": "提交于",
    "sup.late": "逾期反馈", "sup.on_time": "按期", "sup.action": "整改措施", "sup.review": "审核",
    "sup.awaiting_review": "待审核", "sup.out_of_order": "顺序异常的记录", "sup.flags": "督办红旗（RF27、RF08.g）",
    "sup.no_flags": "此通知没有红旗。", "sup.events": "个签名事件",
    "sup.status.open": "办理中", "sup.status.overdue": "逾期未反馈", "sup.status.answered": "已反馈待审核",
    "sup.status.returned": "已退回待重报", "sup.status.closed": "已办结",
    "sup.resp.rectified": "已整改", "sup.resp.in_progress": "整改中", "sup.resp.disputed": "有异议",
    "sup.result.accepted": "审核通过", "sup.result.rejected_resubmit": "退回重报",
    "lvl.title": "监督警示等级", "lvl.none": "无", "lvl.attention": "关注", "lvl.warning": "警示", "lvl.serious": "严重警示",
    "lvl.points": "{n} 分", "lvl.points_col": "分值", "lvl.evaluated": "计算时间",
    "lvl.help": "警示等级是供领导和纪检参考的提示，不是处分：由未处置和已确认的红旗及正式警示按权重和有效期累计（关注 ≥1，警示 ≥4，严重警示 ≥8 分）。",
    "lvl.threshold": "达到「{level}」门槛（≥ {min} 分），当前 {n} 分", "lvl.counts": "计分期",
    "lvl.more": "另有 {n} 项，共 {p} 分", "lvl.no_reasons": "当前没有计分事项。", "lvl.history": "等级变化",
    "lvl.never": "从未有计分事项，等级始终为「无」。", "lvl.now": "当前", "lvl.changes": "等级变化明细（{n} 次）",
    "lvl.from": "起始时间", "lvl.formal": "正式警示",
    "fw.none": "没有正式警示。", "fw.kind": "类型", "fw.issued": "作出时间", "fw.by": "作出人", "fw.reason": "事由",
    "fw.reminder_talk": "谈话提醒", "fw.admonishment_talk": "诫勉", "fw.criticism_education": "批评教育",
    "fw.circulated_criticism": "通报批评", "fw.written_self_review": "责令检查", "fw.other": "其他",
    "asmt.title": "定考（以廉洁和办案质量考核）", "asmt.period": "考核期间",
    "asmt.help": "按月（YYYY-MM）或季度（YYYY-Qn）；尚未到期的期限不计入。",
    "asmt.nofines": "罚没款数额和罚款件数从不计入考核（《行政处罚法》第七十四条第三款：罚款、没收的违法所得或者没收非法财物拍卖的款项，不得同作出行政处罚决定的行政机关及其工作人员的考核、考评直接或者变相挂钩）。",
    "asmt.quarters": "季度", "asmt.months": "月份", "asmt.quarter": "{y} 年第 {q} 季度", "asmt.na": "不适用",
    "asmt.formula": "质量分 {q} − 红旗扣分 {f} − 投诉扣分 {c} = {v}", "asmt.component": "考核项", "asmt.weight": "权重",
    "asmt.share": "达标率", "asmt.detail": "依据", "asmt.flags": "本期触发的红旗", "asmt.as_of": "评价日",
    "asmt.c.timeliness": "办案时效", "asmt.c.evidence": "证据完整", "asmt.c.complaints": "投诉办理", "asmt.c.pledge": "廉政建设责任书",
    "asmt.d.timeliness": "{a}/{b} 件案件全部期限按期；期限按期 {met}、逾期完成 {late}、超期未完成 {missed}",
    "asmt.d.evidence": "{a}/{b} 份决定在决定日前已收集证据", "asmt.d.complaints": "{a}/{b} 件投诉按期受理并办结；属实 {s} 件",
    "asmt.d.pledge": "{a}/{b} 名执法人员经上级签署的廉政建设责任书覆盖整个期间",
    "asmt.f.raised": "触发", "asmt.f.open": "未处置", "asmt.f.confirmed": "已确认", "asmt.f.dismissed": "已驳回", "asmt.f.cleared": "已消除",
    "pub.title": "公示", "pub.page": "公示页面", "pub.published": "{day} 已公示（{ref}，{channel}）",
    "pub.withdrawn": "{day} 撤回公示（{ref}，{reason}）", "pub.pending": "应于 {day} 前公示，尚未公示", "pub.none": "未公示",
    "pub.ch.agency_website": "机关网站", "pub.ch.government_portal": "政府门户网站", "pub.ch.credit_platform": "信用平台",
    "pub.ch.other": "其他渠道", "pub.why.decision_revoked": "决定已撤销", "pub.why.decision_changed": "决定已变更",
    "pub.why.error": "公示有误", "pub.why.other": "其他原因", "unit.supervision": "本单位督办通知",
  },
  en: {
    "app.title": "Inspectors' dashboard", "nav.queue": "Red-flag queue", "nav.units": "Units",
    "nav.log": "Log & verify", "nav.signout": "Sign out", "lang.switch": "中文",
    "signin.title": "Sign in", "signin.help": "Paste an inspector or auditor bearer token. It is kept in this tab only.",
    "signin.token": "Bearer token", "signin.submit": "Sign in",
    "signin.forbidden": "This token may not open the dashboard (it needs the inspector or auditor role).",
    "signin.unknown": "Unknown or revoked token.", "signin.expired": "Your session ended; sign in again.",
    "queue.title": "Red-flag queue", "f.rule": "Rule", "f.severity": "Severity", "f.status": "Status",
    "f.disposition": "Disposition", "f.rule_id": "Rule id", "f.unit": "Unit", "f.officer": "Officer", "f.case": "Case", "f.party": "Party",
    "f.since": "From", "f.until": "To", "f.apply": "Filter", "f.reset": "Clear", "f.any": "any",
    "col.rule": "Rule", "col.name": "Name", "col.severity": "Severity", "col.subject": "Subject",
    "col.numbers": "Key numbers", "col.age": "Age", "col.status": "Status", "col.disposition": "Disposition",
    "queue.more": "Load more", "queue.empty": "No flags match.", "queue.count": "{n} loaded",
    "queue.sortnote": "The server pages newest first; click a header to sort the loaded rows.",
    "ua.title": "Dispositions whose flag is gone", "ua.help": "Dispositions recorded on flag:<id> whose flag the service does not hold: the flag vanished (facts recorded later showed the rule never applied, a certificate recorded late say) or was not raised yet. By flag id.",
    "ua.flag": "Flag id", "ua.rule": "Rule", "ua.dispositions": "Dispositions (event, inspector, recorded)", "ua.empty": "No such dispositions.",
    "days": "{n} d", "hours": "{n} h",
    "sev.critical": "critical", "sev.high": "high", "sev.medium": "medium", "sev.low": "low",
    "status.raised": "raised", "status.cleared": "cleared",
    "disp.open": "open", "disp.acknowledged": "acknowledged", "disp.dismissed": "dismissed",
    "disp.confirmed": "confirmed", "disp.referred": "referred",
    "case.title": "Case", "case.procedure": "Procedure", "proc.general": "general procedure",
    "proc.summary": "summary procedure", "case.state": "State", "case.unit": "Unit", "case.timeline": "Lifecycle",
    "case.amounts": "Amount", "case.statutory": "statutory range", "case.benchmark": "benchmark band",
    "tier.minor": "minor", "tier.general": "general", "tier.serious": "serious", "chart.min": "min", "chart.max": "max",
    "log.root": "root", "scope.case": "case", "scope.officer": "officer", "scope.unit": "unit",
    "cohort.discretion": "discretion statistics", "cohort.void": "voided-forms statistics",
    "case.decided": "decided", "case.money": "Payments and remittance", "case.deadlines": "Deadlines",
    "case.evidence": "Evidence", "case.flags": "Red flags", "case.no_flags": "No flags on this case.", "case.flag_missing": "The flag in the link, {id}, is not on this case (it may be another case's, or mistyped).", "case.trail": "Audit trail", "case.parties": "Parties",
    "case.officers": "Officers",
    "dl.name": "Deadline", "dl.due": "Due", "dl.met": "Met on", "dl.result": "Result",
    "dl.ok": "met", "dl.late": "missed", "dl.open": "open",
    "case.other_deadlines": "Deadlines of the other decisions (other parties', and those a later decision set aside)", "dl.set_aside": "set aside by a later decision",
    "dl.cancelled": "cancelled on {on} (decision withdrawn or voided)",
    "dl.owner": "The case's own deadlines and those of decision {no} ({party}); the other decisions' are below.",
    "money.due": "due", "money.received": "received", "money.outstanding": "outstanding",
    "money.bank": "of which at the bank", "money.cash": "of which in cash on the spot",
    "money.collected": "cash collected on the spot",
    "money.remitted": "remitted", "money.deposited": "deposited", "money.reconciliation": "reconciliation",
    "money.payments": "Payments",
    "case.co_parties": "Other parties' decisions (joint violation)", "co.party": "Party", "co.decision_no": "Decision no.",
    "co.in_force": "fine in force", "co.status": "Status", "co.state": "Stage",
    "dstatus.in_force": "in force", "dstatus.amended": "changed", "dstatus.withdrawn": "revoked", "dstatus.voided": "form voided",
    "state.CLUE": "clue", "state.FILED": "filed", "state.INVESTIGATING": "investigating", "state.INVESTIGATION_CONCLUDED": "investigation concluded",
    "state.REVIEWING": "legal review", "state.NOTIFIED": "notified", "state.HEARING": "hearing", "state.DECIDING": "deciding",
    "state.DECIDED": "decided", "state.SERVED": "served", "state.EXECUTING": "executing", "state.ENFORCEMENT_APPLIED": "enforcement applied for",
    "state.EXECUTED": "executed", "state.NOT_PENALISED": "not penalised", "state.TRANSFERRED": "transferred", "state.CLOSED": "closed",
    "state.ARCHIVED": "archived", "state.ON_SCENE": "on the scene", "state.DECIDED_ON_SPOT": "decided on the spot", "state.DELIVERED": "delivered on the spot",
    "state.COLLECTED_ON_SPOT": "cash collected on the spot", "state.BANK_PAYMENT_PENDING": "bank payment pending", "state.REMITTED": "cash handed to the agency",
    "state.DEPOSITED": "deposited in the bank", "state.PAID": "paid", "state.FILED_WITH_AGENCY": "filed with the agency",
    "deadline.acknowledge": "acknowledgement", "deadline.agency_to_bank": "agency to bank", "deadline.cash_to_agency": "cash to the agency",
    "deadline.close": "closing", "deadline.decision": "decision", "deadline.hearing_request": "hearing request",
    "deadline.payment": "payment", "deadline.publication": "publication", "deadline.publication_withdrawal": "publication withdrawal",
    "deadline.service": "service", "deadline.summary_filing": "summary filing",
    "money.on": "Day", "money.channel": "Channel", "money.amount": "Amount",
    "channel.designated_bank": "designated bank", "channel.e_payment": "e-payment", "channel.onsite_cash_with_receipt": "on-site cash with an official receipt",
    "channel.agency_account": "agency account", "channel.cash_to_officer": "cash to the officer", "channel.other": "other",
    "rec.not_applicable": "not applicable", "rec.pending": "pending", "rec.reconciled": "reconciled", "rec.mismatch": "mismatch",
    "rec.matched": "matched", "rec.partial": "partly matched",
    "ev.kind": "Kind", "ev.sha": "Content SHA-256", "ev.captured": "Captured", "ev.device": "Device",
    "ev.signed": "Device signature", "ev.signed.proven": "Proven (signed by the device's own key)",
    "ev.signed.claimed": "Claimed only (not signed by the device's key; signed by {key})", "ev.signed.none": "Not claimed",
    "tr.index": "Index", "tr.occurred": "Occurred", "tr.recorded": "Recorded", "tr.type": "Event",
    "tr.signer": "Signer", "tr.verify": "Verification", "tr.body": "Body", "tr.sig": "sig",
    "tr.chain": "chain", "tr.incl": "checkpoint", "tr.pending": "pending",
    "flag.legal": "Legal basis", "flag.events": "Triggering events", "flag.summary": "Explanation",
    "other_units": "{n} of other units (withheld)",
    "flag.focus": "flag in focus", "reason_code.false_positive": "false positive", "reason_code.legitimate_exception": "legitimate exception",
    "reason_code.duplicate": "duplicate", "reason_code.data_error": "data error", "reason_code.other": "other",
    "referred_to.discipline_inspection": "discipline inspection", "referred_to.supervision_commission": "supervision commission",
    "referred_to.procuratorate": "people's procuratorate", "referred_to.agency_head": "agency head", "referred_to.legal_office": "legal office", "flag.history": "Disposition history", "flag.no_history": "none yet", "flag.not_applied": "not applied (signed with a key of other units, RF28)", "flag.open": "open to dispose",
    "dispose.title": "Disposition", "dispose.action": "Action", "act.acknowledge": "Acknowledge",
    "act.dismiss": "Dismiss (with a reason)", "act.confirm": "Confirm", "act.refer": "Refer",
    "dispose.reason_code": "Reason code", "dispose.reason": "Reason", "dispose.finding": "Finding",
    "dispose.referred_to": "Referred to", "dispose.referral_no": "Referral no.", "dispose.note": "Note",
    "dispose.submit": "Sign and record", "dispose.done": "Recorded as signed event {id} (log index {index})",
    "dispose.readonly": "Auditors are read-only and cannot dispose of flags.",
    "officer.title": "Officer", "officer.credentials": "Credentials", "officer.posts": "Posts and grids",
    "officer.pledges": "Integrity-pledge chain", "officer.caseload": "Caseload",
    "officer.chart": "Fine positions in the statutory range (RF17: against the other officers of the district, same violation and party type)",
    "officer.waivers": "Waivers", "officer.complaints": "Complaints", "officer.flags": "Red flags",
    "officer.flags_shown": "{n} listed here", "officer.flags_capped": " (the newest {n}; older ones are in the queue)", "officer.flags_all": "all of this officer's flags in the queue",
    "officer.dispatches": "Dispatch orders", "officer.kind": "Kind", "kind.officer": "officer", "kind.auxiliary": "auxiliary staff", "kind.unknown": "unknown (no HR record)",
    "cr.cert": "Certificate", "cr.type": "Type", "cr.from": "Valid from", "cr.until": "Valid until", "cr.status": "Status",
    "cr.valid": "valid", "cr.suspended": "suspended (at some time)", "end.term_ended": "term ended", "end.revoked": "revoked",
    "end.withdrawn": "withdrawn", "end.retired": "retired", "end.transferred": "transferred",
    "post.post": "Post", "post.role": "Role", "post.unit": "Unit", "post.grids": "Grids", "post.from": "From", "post.until": "Until",
    "load.cases": "cases", "load.acts": "acts", "load.decisions": "decisions", "load.summary_decisions": "summary decisions",
    "load.general_decisions": "general decisions", "load.decided_fen": "amount decided", "load.waivers": "waivers",
    "load.voided_forms": "voided forms", "load.voided_decisions": "decisions on a form voided before service", "load.cash_collections": "cash collections", "load.seizures": "seizures", "chart.self": "this officer", "chart.peers": "other officers (all units, anonymous)",
    "chart.median": "other officers' median", "chart.none": "No fine decisions to place.",
    "chart.window": "{from}–{to}: mean residual {mean}, {n} comparable cases (judged from {min})", "chart.behind": "{p} other officers, {c} cases",
    "chart.not_compared": "not compared (fewer than {k} other officers)", "chart.no_flag": "no RF17 flag",
    "credst.valid": "valid", "credst.expired": "expired", "credst.not_yet_valid": "not yet valid",
    "credst.revoked": "revoked", "credst.suspended": "suspended", "credst.withdrawn": "withdrawn",
    "credst.unknown_certificate": "certificate not registered", "credst.auxiliary": "auxiliary staff",
    "credst.no_credential": "no credential", "credst.unknown": "unknown", "credst.unknown_person": "no HR record",
    "side.high": "high", "side.low": "low",
    "bandsrc.published": "the published benchmark", "bandsrc.applied": "the band the case's benchmark step states",
    "prior.decision": "penalty decision", "prior.waiver": "no penalty, or a lighter or reduced one",
    "ratioref.peer_median_rate": "other officers' median void rate", "ratioref.peer_pooled_rate": "other officers' pooled void rate",
    "relation.subject_of_flag": "the flag's own subject", "relation.acted_in_case": "acted in the case",
    "relation.related_to_party": "related to the party", "relation.accused": "the accused officer",
    "relation.co_officer_on_case": "an officer of the same case", "relation.direct_superior_of_accused": "the accused officer's direct superior",
    "numcode.credential_not_shown": "credential not shown", "numcode.amount_over_limit": "amount over the summary-procedure limit", "numcode.penalty_type_not_allowed": "penalty type not allowed in the summary procedure", "numcode.no_approval": "no approval", "numcode.approval_form_not_allowed": "approval form not allowed", "numcode.approver_is_decider": "approver is the decider", "numcode.approver_not_head": "approver not an agency head", "numcode.recipient_linked_to_officer": "recipient linked to the officer", "numcode.no_handling_record": "no handling record", "numcode.no_receipt": "no official receipt", "numcode.receipt_reused": "receipt number reused", "numcode.above_principal": "surcharge above the fine", "numcode.wrong_rate": "surcharge at the wrong rate", "numcode.before_payment_due": "surcharge before the payment was due", "numcode.above_accrued": "surcharge above what accrued",
    "pledge.complete": "complete", "pledge.none": "none", "pledge.uncountersigned": "signed, not countersigned",
    "pledge.broken": "broken", "pledge.superior_uncountersigned": "a superior signed, not countersigned",
    "pledge.wrong_countersigner": "wrong countersigner", "pledge.cycle": "cycle", "pledge.outside": "another unit (outside your scope)",
    "pledge.signed": "signed", "pledge.countersigned": "countersigned", "pledge.countersigned_unsigned": "countersigned, not signed by the officer",
    "unit.title": "Unit", "unit.fines": "Fines per day (period-end spikes show)", "unit.flags": "Flags by rule",
    "unit.pledges": "Pledge coverage", "unit.cases": "cases", "unit.officers": "officers",
    "unit.monthend": "month end", "unit.quarterend": "quarter end",
    "unit.covered": "{a} of {b} officers with a complete pledge chain",
    "log.title": "Log & verify", "log.checkpoint": "Latest signed checkpoint", "log.size": "Tree size",
    "log.none": "No checkpoint has been issued yet.", "log.scope": "On screen",
    "log.noscope": "Open a case, officer or unit page first.",
    "bundle.download": "Download audit bundle", "bundle.verify": "Verify offline:",
    "bundle.trust": "(pinned keys from $LEDGER_HOME/ledger.json, or pass --trust)",
    "bundle.saving": "Downloading…", "loading": "Loading…", "error": "Error",
    "notfound": "Not found (or outside your units).", "k.yes": "yes", "k.no": "no",
    "nav.supervision": "Supervision", "nav.public": "Public disclosure", "col.status": "Status",
    "sup.title": "Supervision notices", "sup.help": "Notices sent by inspectors to enforcement units, the units' feedback and its review; status as of today.",
    "sup.notice": "Notice", "sup.issued": "Issued", "sup.issued_by": "Issued by", "sup.respond_by": "Respond by",
    "sup.issues": "Issues", "sup.feedback": "Feedback", "sup.empty": "No notices match.",
    "sup.asof": "status as of {day}", "sup.closed_on": "Closed on", "sup.description": "Issue", "sup.flag": "Flag",
    "sup.feedback_history": "Feedback and reviews", "sup.no_feedback": "No feedback yet.", "sup.submitted": "submitted",
    "sup.late": "late", "sup.on_time": "on time", "sup.action": "Action taken", "sup.review": "Review",
    "sup.awaiting_review": "awaiting review", "sup.out_of_order": "Recorded out of order", "sup.flags": "Supervision flags (RF27, RF08.g)",
    "sup.no_flags": "This notice has no flags.", "sup.events": "signed events",
    "sup.status.open": "open", "sup.status.overdue": "overdue", "sup.status.answered": "answered, awaiting review",
    "sup.status.returned": "sent back", "sup.status.closed": "closed",
    "sup.resp.rectified": "rectified", "sup.resp.in_progress": "in progress", "sup.resp.disputed": "disputed",
    "sup.result.accepted": "accepted", "sup.result.rejected_resubmit": "sent back for resubmission",
    "lvl.title": "Warning level", "lvl.none": "none", "lvl.attention": "attention", "lvl.warning": "warning", "lvl.serious": "serious",
    "lvl.points": "{n} pts", "lvl.points_col": "Points", "lvl.evaluated": "evaluated",
    "lvl.help": "A triage signal for supervisors and inspectors, not a sanction: open and confirmed flags and formal warnings, weighted and counted for a window (attention ≥ 1, warning ≥ 4, serious ≥ 8 points).",
    "lvl.threshold": "Threshold \"{level}\" reached (≥ {min} pts): {n} pts", "lvl.counts": "counts",
    "lvl.more": "{n} more items, {p} pts", "lvl.no_reasons": "Nothing counts now.", "lvl.history": "Level history",
    "lvl.never": "Nothing ever counted: the level has always been none.", "lvl.now": "now", "lvl.changes": "Level changes ({n})",
    "lvl.from": "From", "lvl.formal": "Formal warnings",
    "fw.none": "No formal warnings.", "fw.kind": "Kind", "fw.issued": "Issued", "fw.by": "By", "fw.reason": "Reason",
    "fw.reminder_talk": "reminder talk", "fw.admonishment_talk": "admonishment", "fw.criticism_education": "criticism and education",
    "fw.circulated_criticism": "circulated criticism", "fw.written_self_review": "ordered to make a self-review", "fw.other": "other",
    "asmt.title": "Assessment (integrity and quality, 定考)", "asmt.period": "Period",
    "asmt.help": "A month (YYYY-MM) or a quarter (YYYY-Qn); deadlines not yet due are not judged.",
    "asmt.nofines": "Fine counts and amounts never count in the assessment (Administrative Penalty Law, Art. 74(3): fines and confiscations may not be linked, directly or indirectly, to the assessment of the agency or its staff).",
    "asmt.quarters": "Quarters", "asmt.months": "Months", "asmt.quarter": "{y} Q{q}", "asmt.na": "n/a",
    "asmt.formula": "quality {q} − flag penalty {f} − complaint penalty {c} = {v}", "asmt.component": "Component", "asmt.weight": "Weight",
    "asmt.share": "Share", "asmt.detail": "Counted", "asmt.flags": "Flags raised in the period", "asmt.as_of": "judged on",
    "asmt.c.timeliness": "Timeliness", "asmt.c.evidence": "Evidence", "asmt.c.complaints": "Complaint handling", "asmt.c.pledge": "Integrity pledge",
    "asmt.d.timeliness": "{a}/{b} cases with every deadline met; deadlines met {met}, late {late}, missed {missed}",
    "asmt.d.evidence": "{a}/{b} decisions with evidence captured by the decision day", "asmt.d.complaints": "{a}/{b} complaints acknowledged and closed on time; {s} substantiated",
    "asmt.d.pledge": "{a}/{b} officers with a countersigned pledge over the whole period",
    "asmt.f.raised": "raised", "asmt.f.open": "open", "asmt.f.confirmed": "confirmed", "asmt.f.dismissed": "dismissed", "asmt.f.cleared": "cleared",
    "pub.title": "Publication", "pub.page": "public page", "pub.published": "published {day} ({ref}, {channel})",
    "pub.withdrawn": "withdrawn {day} ({ref}, {reason})", "pub.pending": "due by {day}, not published", "pub.none": "not published",
    "pub.ch.agency_website": "agency website", "pub.ch.government_portal": "government portal", "pub.ch.credit_platform": "credit platform",
    "pub.ch.other": "other channel", "pub.why.decision_revoked": "decision revoked", "pub.why.decision_changed": "decision changed",
    "pub.why.error": "published in error", "pub.why.other": "other", "unit.supervision": "Supervision notices of this unit",
  },
};
const LANG_KEY = "il.lang";
const TOKEN_KEY = "il.token";
const SCOPE_KEY = "il.scope";
let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";

function t(key, vars = {}) {
  let text = (T[lang] && T[lang][key]) || T.en[key] || key;
  for (const [k, v] of Object.entries(vars)) text = text.replace(`{${k}}`, String(v));
  return text;
}

// a code the API gives (a caseload counter, a credential's end reason): its label when the
// dictionary has one, else the code itself
function label(group, code) {
  const key = `${group}.${code}`;
  return (T[lang] && T[lang][key]) || T.en[key] || String(code);
}

// the vocabulary's own names of event types and of labelled codes in the page's language
// (GET /v1/vocabulary: {types: {PenaltyDecided: {zh, en}}, codes: {"EvidenceRecorded.kind":
// {video: "视频"}}, codes_en: {"EvidenceRecorded.kind": {video: "video recording"}}}), read once
// a session is open; for a name it lacks, the code itself
let vocab = null;
async function ensureVocabulary() {
  if (!vocab) vocab = await api("/v1/vocabulary").catch(() => null);
}
// A citation ("APL 第17条", "MOHURD55 第14条（3个工作日内备案）") with its statute's title as its
// tooltip, in the page's language, when its code is one the ledger names (docs/events.md)
function cite(text) {
  const code = /^[A-Z][A-Z0-9_]*(?![A-Za-z0-9_])/.exec(text);
  const statute = code && vocab && vocab.statutes && Object.hasOwn(vocab.statutes, code[0]) ? vocab.statutes[code[0]] : null;
  return statute ? h("span", { class: "cite", title: statute[lang] }, text) : text;
}
// a flag's scope in words where it is no case, officer or party: a statistics cohort
// ("cohort:discretion|2025-Q4", RF17's; "cohort:void|…", RF20.c's) by what it compares and its
// quarter, any other scope (a notice's, a grid's) as it is
function scopeText(scope) {
  const cohort = /^cohort:(\w+)\|(.+)$/.exec(scope);
  return cohort ? `${label("cohort", cohort[1])} ${cohort[2]}` : scope;
}
// a flag's legal bases, each cited (cite), joined as the statutes join them
const citations = (bases) => bases.flatMap((b, i) => i ? ["；", cite(b)] : [cite(b)]);
const typeName = (type) => (vocab && Object.hasOwn(vocab.types, type) && vocab.types[type][lang]) || type;
// a flag's explanation in the page's language: a flag stored before summary_zh existed has none
const flagSummary = (f) => (lang === "zh" && f.summary_zh) || f.summary;
// a name the vocabulary gives a code itself, never one every object inherits: a free text that
// spells constructor or valueOf is no code ({}["constructor"] is Object, truthy)
// (codes: the Chinese names, codes_en: the English, by field)
const named = (field, code) => {
  const codes = vocab && (lang === "en" ? vocab.codes_en : vocab.codes);
  const names = codes && Object.hasOwn(codes, field) ? codes[field] : null;
  return names && Object.hasOwn(names, code) ? names[code] : null;
};
const codeName = (field, code) => named(field, code) || String(code);
// the codes an event's body holds (送达方式, outcome, measure…, a party's type inside its object),
// each by its name: the body itself is shown as signed, codes and all
function bodyCodes(e) {
  const coded = [];
  const walk = (path, v) => {
    if (Array.isArray(v)) v.forEach((x) => walk(path, x));
    else if (v && typeof v === "object") Object.entries(v).forEach(([k, x]) => walk(`${path}.${k}`, x));
    else if (typeof v === "string" && named(path, v)) coded.push(codeName(path, v));
  };
  walk(e.type, e.body || {});
  return coded.length ? h("div", { class: "small body-codes" }, coded.join(" · ")) : null;
}

// ---------------------------------------------------------------------------------------------
// DOM helpers (no innerHTML with data: every value goes in as text).
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}
const SVG_NS = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}
function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}
function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}
const app = () => document.getElementById("app");
function show(...nodes) { const m = app(); m.replaceChildren(); append(m, nodes); }

// ---------------------------------------------------------------------------------------------
// API: bearer token on every call; 401 anywhere sends the user back to sign-in.
// The problem's detail is the server's, in English: on another page it follows what the
// status means in the page's language.
class ApiError extends Error {
  constructor(status, problem) {
    const said = (problem && (problem.detail || problem.title)) || "";
    const means = lang !== "en" && T[lang] && T[lang][`http.${status}`];
    super(means ? (said ? `${means}（${T[lang]["http.detail"]}：${said}）` : means)
      : said || `HTTP ${status}`);
    this.status = status; this.problem = problem;
  }
}
const token = () => sessionStorage.getItem(TOKEN_KEY);

async function api(path, { method = "GET", body, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${token() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers,
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    session = null;
    signinMessage = t("signin.expired");
    // back to this page once signed in again
    const here = location.hash.startsWith("#/signin") ? "" : location.hash;
    location.hash = here ? `#/signin?next=${encodeURIComponent(here)}` : "#/signin";
    throw new ApiError(401, null);
  }
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  return response.json();
}

async function downloadBundle(query, button) {
  const label = button.textContent;
  button.disabled = true; button.textContent = t("bundle.saving");
  try {
    const response = await api(`/v1/bundles?${new URLSearchParams(query)}`, { raw: true });
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="([^"]+)"/.exec(disposition);
    const name = match ? match[1] : "bundle.ndjson";
    const a = h("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a); a.click(); a.remove();
    // the check to paste names the file just saved, not a placeholder
    const command = button.parentElement && button.parentElement.querySelector("#verify-command");
    if (command) command.textContent = `ledger verify ${name}`;
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (e) {
    if (e.status !== 401) alert(`${t("error")}: ${e.message}`);
  } finally {
    button.disabled = false; button.textContent = label;
  }
}

// what a bundle covers ({officer: "SH-C7-0012"}), named in the page's language when shown
const scopeLabel = (query) => Object.entries(query).map(([k, v]) => `${t(`scope.${k}`)} ${v}`).join(" · ");
function bundleBox(query) {
  sessionStorage.setItem(SCOPE_KEY, JSON.stringify({ query }));
  const button = h("button", { class: "secondary", id: "bundle-download", type: "button" },
    t("bundle.download"));
  button.addEventListener("click", () => downloadBundle(query, button));
  return h("div", { class: "toolbar" }, button,
    h("span", { class: "small muted" }, t("bundle.verify"), " ",
      h("code", { id: "verify-command" }, "ledger verify bundle.ndjson"), " ", t("bundle.trust")));
}

// ---------------------------------------------------------------------------------------------
// Formatting
const yuan = (fen) => fen === null || fen === undefined ? "—"
  : `¥${(fen / 100).toLocaleString(lang === "zh" ? "zh-CN" : "en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
// Every instant in the legal time zone, China Standard Time (UTC+8, no daylight saving): the
// API writes acts in +08:00 but the ledger's own clock (recorded_at, evaluated_at) in UTC, and
// one page must not show both zones. A day, or text that is no instant, is shown as it is.
const INSTANT = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d)?(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/;
function when(text) {
  if (!text) return "—";
  const m = INSTANT.exec(String(text));
  if (!m) return String(text);
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] || ":00"}${m[4]}`);
  if (Number.isNaN(ms)) return String(text);
  const cst = new Date(ms + 8 * 3600000).toISOString();
  return `${cst.slice(0, 10)} ${cst.slice(11, 19)} +08:00`;
}
function age(since) {
  if (!since) return "—";
  const hours = Math.max(0, (Date.now() - Date.parse(since)) / 3600000);
  return hours < 48 ? t("hours", { n: Math.floor(hours) }) : t("days", { n: Math.floor(hours / 24) });
}
// a reference a unit-scoped token may not see: {"source": "other_units", "count": n}
const withheld = (v) => v !== null && typeof v === "object" && v.source === "other_units";
// The columns of the rows a flag's numbers nest, as the engine writes them (docs/red-flags.md),
// so that each cell is shown as a number of its name is: an amount in fen as yuan, a code by its
// name. A row of a field not named here is shown as written, its cells joined by "/".
const ROW_COLUMNS = {
  most_extreme_cases: ["case_id", "amount_fen"],                 // RF17
  reconciled: ["event_id", "amount_fen", "rec_result"],          // RF06.a
  parties: ["party_ref", "amount_fen"],                          // RF06.a, several parties
  deviations: ["event_id", "approval_form", "proposed_amount_fen"], // RF16.b
};
// a column holding a body field's codes: the field the vocabulary names them under
const ROW_CODES = { approval_form: "DeviationApproved.approval_form" };
function rowText(name, row) {
  const columns = ROW_COLUMNS[name];
  if (!columns || columns.length !== row.length) return row.map((v) => scalarText("", v)).join("/");
  return row.map((v, i) => columns[i] === "rec_result" ? label("rec", v)
    : ROW_CODES[columns[i]] && typeof v === "string" ? codeName(ROW_CODES[columns[i]], v)
      : numberText(columns[i], v)).join(" ");
}
// numbers that hold an event type (RF08's event_type, RF15's change) and numbers that hold a
// body field's codes (RF23's category, RF07's measure…), named as the trail names them
const NUMBER_TYPES = new Set(["event_type", "change"]);
const NUMBER_CODES = {
  category: "ComplaintReceived.category", measure: "PropertySeized.measure",
  justification: "OnsiteCashCollected.justification", channel: "PaymentRecorded.channel",
  procedure: "CaseFiled.procedure", party_type: "PenaltyDecided.party.party_type",
  penalty_types: "PenaltyDecided.penalty_types", decided_types: "PenaltyDecided.penalty_types",
  proposed_types: "PenaltyDecided.penalty_types", added_types: "PenaltyDecided.penalty_types",
  approval_form: "DeviationApproved.approval_form", approval_forms: "DeviationApproved.approval_form",
  grounds: "LegalReviewCompleted.grounds", head_roles: "PostAssigned.role",
  approver_role: "PostAssigned.role", method: "PropertyDisposed.method",
  relation: "RelationshipDeclared.relation",
};
// numbers whose codes the page names itself (the label group; a relation the vocabulary does
// not name is the engine's: RF23's co_officer_on_case, RF26's acted_in_case…), in the words
// the flags' Chinese explanations use (projections/redflags/zh.py, CODES)
const NUMBER_LABELS = {
  kind: "kind", tier: "tier", status: "credst", side: "side", band_source: "bandsrc",
  prior_kinds: "prior", ratio_reference: "ratioref", relation: "relation",
};
// one value of a flag's numbers: an instant in China time, as every time on the page
// the engine's own codes of what is wrong (RF05.a's problem, RF03's reasons…) by their names
const NUMBER_PROBLEMS = new Set(["problem", "problems", "reasons"]);
// numbers whose items end in a code after a colon (RF01's actors "id:cert:status", RF11.d's
// roles "id:role"): the code named as the key's group or field names it, the rest kept
const NUMBER_TAILS = { actors: "status", roles: "approver_role" };
function scalarText(name, v) {
  if (typeof v !== "string") return v;
  if (Object.hasOwn(NUMBER_TAILS, name) && v.includes(":")) {
    const cut = v.lastIndexOf(":");
    return `${v.slice(0, cut)} ${scalarText(NUMBER_TAILS[name], v.slice(cut + 1))}`;
  }
  if (NUMBER_PROBLEMS.has(name)) return label("numcode", v);
  if (name === "chain_status") return label("pledge", v);
  if (NUMBER_TYPES.has(name)) return typeName(v);
  if (name.endsWith("_fields")) return numberName(v);         // the columns of a row (RF24)
  const known = Object.hasOwn(NUMBER_CODES, name) && named(NUMBER_CODES[name], v);
  if (known) return known;
  if (Object.hasOwn(NUMBER_LABELS, name)) return label(NUMBER_LABELS[name], v);
  return INSTANT.test(v) ? when(v) : v;
}
function numberText(name, value) {
  if (value === null || value === undefined) return "—";
  if (withheld(value)) return t("other_units", { n: value.count });
  const fen = name.endsWith("_fen");            // an amount, or a list of amounts (band_fen)
  if (fen && typeof value === "number") return yuan(value);
  if (Array.isArray(value)) {
    return value.map((v) => withheld(v) ? t("other_units", { n: v.count }) : Array.isArray(v) ? rowText(name, v)
      : fen && typeof v === "number" ? yuan(v) : scalarText(name, v)).join(", ");
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(scalarText(name, value));
}
// a number's name in the page's language (GET /v1/vocabulary's numbers: {amount_fen: {zh, en}}),
// the raw key kept as its tooltip; a key without a name shows as the key
const numberName = (key) => {
  const names = vocab && vocab.numbers && Object.hasOwn(vocab.numbers, key) ? vocab.numbers[key] : null;
  return (names && names[lang]) || key;
};
function keyNumbers(numbers, max = 4) {
  return Object.entries(numbers || {}).slice(0, max).map(([k, v]) =>
    h("div", { class: "small" }, h("span", { class: "muted number-name", title: k }, `${numberName(k)}: `),
      numberText(k, v)));
}
const sevBadge = (sev) => h("span", { class: `badge sev-${sev}` }, t(`sev.${sev}`));
const ruleName = (name) => h("div", {}, h("div", {}, name.zh), h("div", { class: "small muted" }, name.en));
const officerLink = (id) => h("a", { href: `#/officer/${encodeURIComponent(id)}` }, id);
const caseLink = (id, flag) => h("a", { href: `#/case/${encodeURIComponent(id)}${flag ? `?flag=${encodeURIComponent(flag)}` : ""}` }, id);
const unitLink = (id) => id ? h("a", { href: `#/unit/${encodeURIComponent(id)}` }, id) : "—";
const kv = (pairs) => h("dl", { class: "kv" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
const loading = () => h("p", { class: "muted" }, t("loading"));
function failure(e) {
  if (e.status === 404) return h("p", { class: "error", id: "not-found" }, t("notfound"));
  return h("p", { class: "error" }, `${t("error")}: ${e.message}`);
}

// ---------------------------------------------------------------------------------------------
// Session and sign-in
let session = null;
let signinMessage = "";

async function ensureSession() {
  if (session) return session;
  if (!token()) return null;
  try { session = await api("/v1/session"); } catch (e) {
    if (e.status === 403) { signinMessage = t("signin.forbidden"); sessionStorage.removeItem(TOKEN_KEY); }
    return null;
  }
  return session;
}

// next: the page asked for (a link opened in a tab with no token, a session that ended), opened
// once signed in instead of the queue
function pageSignin(next) {
  const input = h("textarea", { id: "token", name: "token", autocomplete: "off", spellcheck: "false" });
  const message = h("p", { id: "signin-error", class: signinMessage ? "error" : "" }, signinMessage);
  const form = h("form", { class: "card signin", id: "signin-form" },
    h("h1", {}, t("signin.title")), h("p", { class: "muted" }, t("signin.help")),
    h("label", {}, t("signin.token"), input), h("p", {}),
    h("button", { class: "primary", type: "submit", id: "signin" }, t("signin.submit")), message);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    session = null; signinMessage = "";
    try {
      session = await api("/v1/session");
      const to = next && next.startsWith("#/") && !next.startsWith("#/signin") ? next : "#/queue";
      if (location.hash === to) route(); else location.hash = to;
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      const text = e.status === 403 ? t("signin.forbidden") : e.status === 401 ? t("signin.unknown") : e.message;
      signinMessage = "";
      message.className = "error"; message.dataset.status = String(e.status || "");
      message.textContent = text;
    }
  });
  show(form);
  signinMessage = "";
}

// ---------------------------------------------------------------------------------------------
// Page: red-flag queue (#/queue?rule=RF04&severity=critical...)
const RULE_FAMILIES = Array.from({ length: 30 }, (_, i) => `RF${String(i + 1).padStart(2, "0")}`);  // RF01–RF30
let refocus = null;
const QUEUE_FILTERS = ["rule", "rule_id", "severity", "status", "disposition", "unit", "officer", "case", "party", "since", "until"];

async function pageQueue(params) {
  const units = await api("/v1/units").catch(() => ({ units: [] }));
  const select = (name, values, label) => h("label", {}, t(label),
    h("select", { name, id: `f-${name}` }, h("option", { value: "" }, t("f.any")),
      values.map(([v, text]) => h("option", { value: v, selected: params.get(name) === v }, text))));
  const text = (name, label, type = "text") => h("label", {}, t(label),
    h("input", { name, id: `f-${name}`, type, value: params.get(name) || "", size: 14 }));
  const form = h("form", { class: "filters", id: "queue-filters" },
    select("rule", RULE_FAMILIES.map((r) => [r, r]), "f.rule"),
    text("rule_id", "f.rule_id"),
    select("severity", ["critical", "high", "medium", "low"].map((v) => [v, t(`sev.${v}`)]), "f.severity"),
    select("status", ["raised", "cleared"].map((v) => [v, t(`status.${v}`)]), "f.status"),
    select("disposition", ["open", "acknowledged", "dismissed", "confirmed", "referred"].map((v) => [v, t(`disp.${v}`)]), "f.disposition"),
    select("unit", units.units.map((u) => [u.unit_id, u.unit_id]), "f.unit"),
    text("officer", "f.officer"), text("case", "f.case"), text("party", "f.party"),
    text("since", "f.since", "date"), text("until", "f.until", "date"),
    h("button", { class: "primary", type: "submit", id: "f-apply" }, t("f.apply")),
    h("button", { class: "secondary", type: "button", id: "f-reset",
      onclick: () => { location.hash = "#/queue"; } }, t("f.reset")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    // the queue is drawn again: the control the user was on keeps the focus (a select changed
    // with the arrow keys applies itself on each press)
    refocus = form.contains(document.activeElement) ? document.activeElement.id : null;
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    sorting(q);
    location.hash = `#/queue${q.toString() ? `?${q}` : ""}`;
  });
  // a rule id of another family (RF05.b under RF04) would match nothing: choosing a family drops it
  form.querySelector("#f-rule").addEventListener("change", (ev) => {
    const id = form.querySelector("#f-rule_id");
    if (ev.target.value && !id.value.startsWith(`${ev.target.value}.`) && id.value !== ev.target.value) id.value = "";
  });
  form.querySelectorAll("select").forEach((el) => el.addEventListener("change", () => form.requestSubmit()));

  const rows = [];
  const tbody = h("tbody", {});
  const status = h("span", { class: "small muted", id: "queue-count" });
  const more = h("button", { class: "secondary", type: "button", id: "queue-more", hidden: true }, t("queue.more"));
  const columns = [["rule", "col.rule", (f) => f.rule_id], ["name", "col.name", (f) => f.name[lang]],
    ["severity", "col.severity", (f) => ["critical", "high", "medium", "low"].indexOf(f.severity)],
    ["subject", "col.subject", (f) => subjectKey(f)], ["numbers", "col.numbers", null],
    ["age", "col.age", (f) => -Date.parse(f.raised_at)], ["status", "col.disposition", (f) => f.disposition]];
  // the sort is kept in the URL (replaced, not pushed: no reload of the pages already loaded), so
  // a reload or a shared link keeps it; each header is a button, reachable from the keyboard
  let sortKey = columns.some((c) => c[2] && c[0] === params.get("sort")) ? params.get("sort") : null;
  let sortDir = params.get("dir") === "desc" ? -1 : 1;
  const sorting = (q) => { if (sortKey) { q.set("sort", sortKey); q.set("dir", sortDir < 0 ? "desc" : "asc"); } return q; };
  // the pages loaded are kept in the URL too (pages=3), so Back from a flag opened on page 3, a
  // reload and a shared link list the same flags, not the first page only
  let pages = 0;
  const wanted = Math.min(Math.max(parseInt(params.get("pages") || "1", 10) || 1, 1), 200);
  function keepView() {
    const q = sorting(new URLSearchParams(params));
    if (pages > 1) q.set("pages", String(pages)); else q.delete("pages");
    history.replaceState(null, "", `#/queue?${q}`);
  }
  function sortBy(key) {
    sortDir = sortKey === key ? -sortDir : 1; sortKey = key;
    keepView();
    render();
  }
  const head = h("tr", {}, columns.map(([key, label, get]) => h("th", { class: get ? "sortable" : "", dataset: { key } },
    get ? h("button", { type: "button", class: "th-sort", onclick: () => sortBy(key) }, t(label)) : t(label))));

  function render() {
    // the sorted column says so (aria-sort), not only the rows' order
    head.querySelectorAll("th").forEach((th) => {
      if (sortKey && th.dataset.key === sortKey) th.setAttribute("aria-sort", sortDir < 0 ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
    const list = rows.slice();
    if (sortKey) {
      const get = columns.find((c) => c[0] === sortKey)[2];
      list.sort((a, b) => { const x = get(a), y = get(b); return (x > y ? 1 : x < y ? -1 : 0) * sortDir; });
    }
    tbody.replaceChildren(...list.flatMap(queueRow));
    if (!list.length) tbody.append(h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, t("queue.empty"))));
    status.textContent = t("queue.count", { n: rows.length });
  }

  let next = null;
  // n pages of 50 in one call (the API gives up to 500 a call)
  async function load(after, n = 1, draw = true) {
    const q = new URLSearchParams({ limit: String(50 * n) });
    for (const name of QUEUE_FILTERS) {
      const v = params.get(name);
      if (!v) continue;
      // days in UTC+8 (the API reads a day as its first instant there); the API's until is
      // exclusive, so the "to" day the user picked is sent as the day after it
      q.set(name, name === "until" ? dayAfter(v) : v);
    }
    if (after) q.set("after", after);
    const page = await api(`/v1/flags?${q}`);
    rows.push(...page.flags);
    next = page.next;
    pages += n;
    more.hidden = !next;
    if (draw) render();
  }
  // one page at a time: a second click before the answer would ask for the same cursor again
  // and list that page twice
  more.addEventListener("click", async () => {
    if (more.disabled) return;
    more.disabled = true;
    try { await load(next); keepView(); } catch (e) { if (e.status !== 401) status.textContent = `${t("error")}: ${e.message}`; }
    finally { more.disabled = false; }
  });
  show(h("h1", {}, t("queue.title")), form,
    h("table", { id: "queue-table" }, h("thead", {}, head), tbody),
    h("div", { class: "toolbar" }, more, status, h("span", { class: "small muted" }, t("queue.sortnote"))));
  if (refocus) { const el = document.getElementById(refocus); refocus = null; if (el) el.focus(); }
  // a disposition whose flag is gone names no unit: listed for unscoped tokens only (403 otherwise)
  if (session && !session.units.length) app().append(unattachedSection());
  // the pages a URL asks for are drawn once, when all have come
  try {
    await load(null, Math.min(wanted, 10), wanted <= 10);
    while (pages < wanted && next) await load(next, Math.min(wanted - pages, 10), false);
  } finally { if (wanted > 10) render(); }
}

// Dispositions whose flag the service does not hold (GET /v1/flags/unattached), pages of 50
function unattachedSection() {
  const tbody = h("tbody", {});
  const status = h("span", { class: "small muted" });
  const more = h("button", { class: "secondary", type: "button", id: "unattached-more", hidden: true }, t("queue.more"));
  let next = null;
  async function load() {
    more.disabled = true;
    try {
      const page = await api(`/v1/flags/unattached?limit=50${next ? `&after=${encodeURIComponent(next)}` : ""}`);
      tbody.append(...page.flags.map((u) => h("tr", { dataset: { flagId: u.flag_id } },
        h("td", { class: "mono" }, u.flag_id), h("td", { class: "mono nowrap" }, u.rule_id || "?"),
        h("td", {}, h("ul", { class: "plain" }, u.dispositions.map((d) => h("li", {},
          h("a", { href: `#/event/${encodeURIComponent(d.event_id)}` }, typeName(d.type)), " · ",
          d.inspector_id || "?", " · ", when(d.recorded_at))))))));
      if (!tbody.children.length) tbody.append(h("tr", {}, h("td", { colspan: 3, class: "muted" }, t("ua.empty"))));
      next = page.next;
      more.hidden = !next;
      status.textContent = "";
    } catch (e) { if (e.status !== 401) status.textContent = `${t("error")}: ${e.message}`; }
    finally { more.disabled = false; }
  }
  more.addEventListener("click", () => { if (!more.disabled) load(); });
  load();
  return h("section", { id: "unattached" }, h("h2", {}, t("ua.title")), h("p", { class: "small muted" }, t("ua.help")),
    h("table", { id: "unattached-table" }, h("thead", {}, h("tr", {}, h("th", {}, t("ua.flag")), h("th", {}, t("ua.rule")),
      h("th", {}, t("ua.dispositions")))), tbody),
    h("div", { class: "toolbar" }, more, status));
}

function dayAfter(day) {
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return day;      // the API names the bad query.until
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function subjectKey(f) {
  const s = f.subject;
  return s.case_id || s.officer_id || s.party_ref || s.unit_id || f.scope;
}

function queueRow(f) {
  const s = f.subject;
  // a flag about an officer, a unit or a notice has no case page to be disposed of on: its card
  // (explanation and disposition form) opens in a row under it
  const detail = s.case_id ? null : h("tr", { class: "flag-detail", dataset: { flagId: f.flag_id }, hidden: true });
  const open = detail && h("button", { class: "secondary flag-open", type: "button", "aria-expanded": "false", onclick: (ev) => {
    if (!detail.firstChild) detail.append(h("td", { colspan: 7 }, flagCard(f, false, null)));
    detail.hidden = !detail.hidden;
    ev.currentTarget.setAttribute("aria-expanded", String(!detail.hidden));
  } }, t("flag.open"));
  const subject = h("div", {},
    s.case_id ? h("div", {}, caseLink(s.case_id, f.flag_id)) : null,
    s.officer_id ? h("div", {}, officerLink(s.officer_id)) : null,
    // a party (pseudonymous ref): its link lists the party's flags
    s.party_ref ? h("div", {}, h("a", { class: "party mono", href: `#/queue?party=${encodeURIComponent(s.party_ref)}` }, s.party_ref)) : null,
    // a notice's flag (RF27) links to the notice, and every flag to its unit (RF24's is about it)
    !s.case_id && !s.officer_id && !s.party_ref ? h("div", { class: "mono" }, f.scope.startsWith("supervision:")
      ? h("a", { href: `#/supervision/${encodeURIComponent(f.scope.slice("supervision:".length))}` }, f.scope) : f.scope) : null,
    h("div", { class: "small" }, s.unit_id ? unitLink(s.unit_id) : ""), open);
  const row = h("tr", { class: "flag-row", dataset: { flagId: f.flag_id, ruleId: f.rule_id, rule: f.rule } },
    h("td", { class: "mono nowrap" }, f.rule_id),
    h("td", {}, ruleName(f.name)), h("td", {}, sevBadge(f.severity)), h("td", {}, subject),
    h("td", {}, keyNumbers(f.numbers)), h("td", { class: "num", title: when(f.raised_at) }, age(f.raised_at)),
    h("td", {}, h("div", {}, t(`disp.${f.disposition}`)), h("div", { class: "small muted" }, t(`status.${f.status}`))));
  return detail ? [row, detail] : [row];
}

// ---------------------------------------------------------------------------------------------
// Page: case (#/case/ID?flag=FLAGID highlights the flag's triggering events)
async function pageCase(id, params) {
  show(loading());
  const [state, trail] = await Promise.all([api(`/v1/cases/${encodeURIComponent(id)}`),
    api(`/v1/cases/${encodeURIComponent(id)}/trail`)]);
  const focus = params.get("flag");
  const focused = (state.flags || []).find((f) => f.flag_id === focus);
  const triggering = new Set(focused ? focused.event_ids : []);
  if (params.get("event")) triggering.add(params.get("event"));     // one event, from #/event/ID
  const proc = state.procedure ? t(`proc.${state.procedure}`) : "—";
  show(
    h("h1", {}, `${t("case.title")} ${id}`),
    // a link naming a flag this case does not hold says so, rather than focusing nothing
    focus && !focused ? h("p", { class: "error", id: "flag-missing" }, t("case.flag_missing", { id: focus })) : null,
    kv([[t("case.procedure"), h("span", { id: "case-procedure" }, proc)],
      [t("case.state"), h("span", { id: "case-state" }, label("state", state.state), " ", h("span", { class: "small muted mono" }, state.state))],
      [t("case.unit"), unitLink(state.unit_id)],
      [t("case.parties"), (state.parties || []).map((p) => p.org_name || p.name || p.party_ref).join("; ")],
      [t("case.officers"), Object.keys(state.officers || {}).flatMap((o, i) => [i ? ", " : "", officerLink(o)])]]),
    publicationLine(state, trail.events.filter((e) => e.stream === `case:${id}`)),
    bundleBox({ case: id }),
    h("h2", {}, t("case.timeline")), h("div", { class: "card" }, timeline(trail.events.filter((e) => e.stream === `case:${id}`), triggering)),
    h("div", { class: "grid2" },
      h("div", { class: "card" }, h("h2", {}, t("case.amounts")), amountChart(state)),
      h("div", { class: "card" }, h("h2", {}, t("case.money")), moneyBlock(state.money || {}))),
    coPartyDecisions(state),
    deadlinesSection(state),
    h("h2", {}, t("case.evidence")), evidenceTable(state.evidence || []),
    h("h2", {}, t("case.flags")), h("div", { id: "case-flags" },
      (state.flags || []).length ? null : h("p", { class: "muted", id: "case-no-flags" }, t("case.no_flags")),
      (state.flags || []).map((f) => flagCard(f, f.flag_id === focus, id, trail.events.filter((e) => e.flag_id === f.flag_id)))),
    h("h2", {}, t("case.trail")), trailTable(trail, triggering, focus));
  const first = document.querySelector("tr.triggering");
  if (first) first.scrollIntoView({ block: "center" });
}

function timeline(events, triggering) {
  const dated = events.filter((e) => e.occurred_at).map((e) => ({ ...e, t: Date.parse(e.occurred_at) }));
  if (!dated.length) return h("p", { class: "muted" }, "—");
  const width = 1200, left = 20, right = 20, rowH = 16;
  // rows stay in log order (a step back-dated after the decision shows as such); the axis
  // runs from the earliest act to the latest
  const first = dated.reduce((a, e) => e.t < a.t ? e : a), last = dated.reduce((a, e) => e.t > a.t ? e : a);
  const t0 = first.t, t1 = last.t;
  const x = (v) => left + (t1 === t0 ? 0.5 : (v - t0) / (t1 - t0)) * (width - left - right);
  const height = 40 + dated.length * rowH;
  const svg = s("svg", { id: "timeline", viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img" },
    s("line", { class: "axis", x1: left, x2: width - right, y1: 20, y2: 20 }),
    s("text", { x: left, y: 12, id: "timeline-from" }, when(first.occurred_at)),
    s("text", { x: width - right, y: 12, "text-anchor": "end", id: "timeline-to" }, when(last.occurred_at)));
  dated.forEach((e, i) => {
    const cx = x(e.t), y = 36 + i * rowH;
    const hot = triggering.has(e.event_id);
    svg.append(s("line", { x1: cx, x2: cx, y1: 20, y2: y - 4, stroke: hot ? "#d9480f" : "#c5ccd8" }),
      s("circle", { cx, cy: y - 4, r: 4, fill: hot ? "#d9480f" : "#1f5fbf" }),
      s("text", { x: cx + (cx > width * 0.7 ? -8 : 8), y, "text-anchor": cx > width * 0.7 ? "end" : "start", class: "event",
        dataset: { type: e.type } }, `${typeName(e.type)}  ${when(e.occurred_at).slice(0, 16)}`));
  });
  return svg;
}

function amountChart(state) {
  const v = state.violation || {}, a = state.amounts || {}, b = state.benchmark;
  const range = v.statutory_range_fen;
  const decided = a.current_fen ?? a.decided_fen;
  const items = [[t("case.statutory"), range ? `${yuan(range[0])} – ${yuan(range[1])}` : "—"],
    [t("case.benchmark"), b && b.band_fen ? `${yuan(b.band_fen[0])} – ${yuan(b.band_fen[1])} (${label("tier", b.tier)})` : "—"],
    [t("case.decided"), h("strong", {}, yuan(decided))]];
  const out = [kv(items), h("div", { class: "small muted" }, `${v.code || ""} ${v.legal_basis || ""}`)];
  if (range && range[1] > range[0]) {
    const W = 520, L = 10, R = 10;
    const x = (fen) => L + Math.min(1, Math.max(0, (fen - range[0]) / (range[1] - range[0]))) * (W - L - R);
    const svg = s("svg", { id: "amount-chart", viewBox: `0 0 ${W} 60`, width: "100%" },
      s("rect", { x: L, y: 20, width: W - L - R, height: 14, fill: "#e3e8f0" }));
    if (b && b.band_fen) svg.append(s("rect", { x: x(b.band_fen[0]), y: 20, width: Math.max(2, x(b.band_fen[1]) - x(b.band_fen[0])), height: 14, fill: "#9ec1f0" }));
    if (decided !== undefined && decided !== null) svg.append(
      s("line", { x1: x(decided), x2: x(decided), y1: 12, y2: 42, stroke: "#b3261e", "stroke-width": 3 }),
      s("text", { x: x(decided), y: 55, "text-anchor": "middle" }, yuan(decided)));
    svg.append(s("text", { x: L, y: 12 }, yuan(range[0])), s("text", { x: W - R, y: 12, "text-anchor": "end" }, yuan(range[1])));
    out.push(svg);
  }
  return out;
}

// each party of the case by name (an organisation's, a person's), else its pseudonymous ref
const partyNames = (state) => Object.fromEntries((state.parties || []).map((p) => [p.party_ref, p.org_name || p.name || p.party_ref]));

// Each other party's decision in force (共同违法: the amounts and money above are the decision
// recorded last, `decision`'s): its own fine in force, money received and outstanding, status
// and lifecycle state (the case's above is the least advanced party's; a summary case has one)
function coPartyDecisions(state) {
  const co = state.co_party_decisions || [];
  if (!co.length) return null;
  const names = partyNames(state);
  return [h("h2", {}, t("case.co_parties")), h("table", { id: "co-party-decisions" },
    h("tr", {}, ["co.party", "co.decision_no", "co.in_force", "money.received",
      "money.outstanding", "co.status", "co.state"].map((k) => h("th", {}, t(k)))),
    co.map((d) => h("tr", { dataset: { party: d.party_ref, status: d.status } },
      h("td", {}, names[d.party_ref] || d.party_ref), h("td", { class: "mono" }, d.decision_no || "—"),
      h("td", { class: "num" }, yuan(d.current_fen ?? d.decided_fen)), h("td", { class: "num" }, yuan(d.received_fen ?? 0)),
      h("td", { class: "num" }, yuan(d.outstanding_fen)), h("td", {}, label("dstatus", d.status)),
      h("td", {}, d.state ? label("state", d.state) : "—"))))];
}

function moneyBlock(m) {
  const cash = m.cash || {};
  const rec = m.reconciliation || {};
  // received counts cash on the spot and bank payments together (a fine paid in cash has
  // nothing paid at the bank): both are shown as parts of it, then the cash's way to the bank
  const received = m.received_fen ?? 0, bank = m.paid_fen ?? 0;
  const dl = kv([[t("money.due"), yuan(m.due_fen ?? rec.expected_fen ?? 0)], [t("money.received"), yuan(received)],
    [t("money.outstanding"), yuan(m.outstanding_fen)], [t("money.bank"), yuan(bank)],
    [t("money.cash"), yuan(received - bank)], [t("money.collected"), yuan(cash.collected_fen)],
    [t("money.remitted"), yuan(cash.remitted_fen)], [t("money.deposited"), yuan(cash.deposited_fen)],
    [t("money.reconciliation"), rec.status ? h("span", { id: "reconciliation" },
      [label("rec", rec.status), rec.on, rec.result && label("rec", rec.result)].filter(Boolean).join(" · ")) : "—"]]);
  dl.id = "money";
  return [dl, (m.payments || []).length ? [h("h3", {}, t("money.payments")), h("table", { class: "small", id: "payments" },
    h("tr", {}, ["money.on", "money.channel", "money.amount"].map((k) => h("th", {}, t(k)))),
    m.payments.map((p) => h("tr", {}, h("td", {}, p.on), h("td", {}, label("channel", p.channel)), h("td", { class: "num" }, yuan(p.amount_fen)))))] : null];
}

const DEADLINE_COLUMNS = ["dl.name", "dl.due", "dl.met", "dl.result"];

// The case's deadlines — its own and its decision recorded last's — then each other decision's;
// when there are others, a line says whose decision the case's table holds
function deadlinesSection(state) {
  const others = otherDecisionsDeadlines(state), d = state.decision;
  return [h("h2", {}, t("case.deadlines")),
    others && d ? h("p", { class: "small muted", id: "deadlines-owner" }, t("dl.owner", {
      no: d.decision_no, party: partyNames(state)[d.party_ref] || d.party_ref })) : null,
    deadlinesTable(state.deadlines || {}), others];
}

function deadlinesTable(deadlines) {
  return h("table", { id: "deadlines" }, h("tr", {}, DEADLINE_COLUMNS.map((k) => h("th", {}, t(k)))),
    Object.entries(deadlines).map(([name, d]) => h("tr", { dataset: { deadline: name } }, deadlineCells(name, d))));
}

// one deadline's name with its legal basis, due day, day met and result; one its decision no
// longer owes (withdrawn, or its form voided before service: cancelled_on) is no duty open
function deadlineCells(name, d) {
  return [h("td", {}, h("div", {}, label("deadline", name)), h("div", { class: "small muted" }, cite((lang === "zh" && d.basis_zh) || d.basis || ""))),
    h("td", {}, d.due || "—"), h("td", {}, d.met_on || "—"),
    h("td", {}, d.late === true ? h("span", { class: "st st-bad" }, t("dl.late"))
      : d.late === false ? h("span", { class: "st st-ok" }, t("dl.ok"))
        : d.cancelled_on ? h("span", { class: "muted" }, t("dl.cancelled", { on: d.cancelled_on }))
          : h("span", { class: "muted" }, t("dl.open")))];
}

// The deadlines each other decision of the case keeps as its own (the table above is the
// case's, with its decision recorded last's): another party's in force (共同违法,
// co_party_decisions) and each decision set aside (previous_decisions: withdrawn and made
// anew, or its form voided and re-issued) — such as the withdrawal of a voided decision's
// publication, which RF12.f judges — each row naming whose decision it is
function otherDecisionsDeadlines(state) {
  const names = partyNames(state);
  const owners = [...(state.co_party_decisions || []).map((d) => [d, false]),
    ...(state.previous_decisions || []).map((d) => [d, true])];
  const rows = owners.flatMap(([d, aside]) => Object.entries(d.deadlines || {}).map(([name, dl]) =>
    h("tr", { dataset: { deadline: name, party: d.party_ref, decisionNo: d.decision_no, status: d.status, setAside: String(aside) } },
      h("td", {}, names[d.party_ref] || d.party_ref), h("td", { class: "mono" }, d.decision_no || "—"),
      h("td", {}, h("div", {}, label("dstatus", d.status)), aside ? h("div", { class: "small muted" }, t("dl.set_aside")) : null),
      deadlineCells(name, dl))));
  if (!rows.length) return null;
  return [h("h2", {}, t("case.other_deadlines")), h("table", { id: "decision-deadlines" },
    h("tr", {}, ["co.party", "co.decision_no", "co.status", ...DEADLINE_COLUMNS].map((k) => h("th", {}, t(k)))), rows)];
}

function evidenceTable(evidence) {
  if (!evidence.length) return h("p", { class: "muted" }, "—");
  return h("table", { id: "evidence" }, h("tr", {}, ["ev.kind", "ev.captured", "ev.device", "ev.signed", "ev.sha"].map((k) => h("th", {}, t(k)))),
    evidence.map((e) => h("tr", {}, h("td", { dataset: { kind: e.kind } }, codeName("EvidenceRecorded.kind", e.kind)), h("td", {}, when(e.captured_at)), h("td", {}, e.device_id || "—"),
      deviceSigned(e), h("td", { class: "mono" }, e.content_sha256 || "—"))));
}

// the body's device_signed is a claim anyone posting evidence can type; it is proven only when
// the device's own registered key signed the event (docs/red-flags.md, "Device-signed")
function deviceSigned(e) {
  const state = e.device_signed_proven ? "proven" : e.device_signed_claimed ? "claimed" : "none";
  return h("td", { class: state === "claimed" ? "signed-claimed" : "", dataset: { signed: state } },
    t(`ev.signed.${state}`, { key: e.signer_key_id || "—" }));
}

// caseId null: a flag about no case (shown in the queue)
// history: the flag's disposition events of the case trail on the page (null: read them from the
// flag's stream)
function flagCard(f, focus, caseId, history) {
  const events = f.event_ids.map(eventLink);
  const status = h("span", { class: "small muted" }, `${t(`status.${f.status}`)} · ${t(`disp.${f.disposition}`)}`);
  const past = h("div", { class: "small flag-history" });
  // the dispositions the engine applied: one signed by a key of other units is recorded on the
  // flag's stream but not applied (RF28), and is marked so; the dashboard's own are applied
  const applied = new Set(f.disposition_event_ids);
  const showHistory = (list) => past.replaceChildren(h("span", { class: "muted" }, `${t("flag.history")}: `),
    list.length ? h("ol", {}, list.map((e) => dispositionLine(e, applied.has(e.event_id)))) : h("span", { class: "muted" }, t("flag.no_history")));
  const loadHistory = () => api(`/v1/streams/${encodeURIComponent(`flag:${f.flag_id}`)}/events?limit=1000`)
    .then((page) => showHistory(page.events.map((x) => x.envelope)))
    .catch((e) => { if (e.status !== 401) past.replaceChildren(h("span", { class: "muted" }, `${t("flag.history")}: ${f.disposition_event_ids.length}`)); });
  if (history) showHistory(history); else if (f.disposition_event_ids.length) loadHistory(); else showHistory([]);
  const recorded = (disposition, trail, eventId) => {
    if (eventId) applied.add(eventId);
    status.textContent = `${t(`status.${f.status}`)} · ${t(`disp.${disposition}`)}`;
    if (trail) showHistory(trail.events.filter((e) => e.flag_id === f.flag_id)); else if (trail === null) loadHistory();
  };
  return h("div", { class: `card flag-card${focus ? " focus" : ""}`, dataset: { flagId: f.flag_id } },
    h("div", { class: "toolbar" }, h("strong", { class: "mono" }, f.rule_id), sevBadge(f.severity), ruleName(f.name),
      status,
      focus ? h("span", { class: "badge sev-high" }, t("flag.focus")) : null,
      !focus && caseId ? caseLink(caseId, f.flag_id) : null),
    h("p", {}, h("span", { class: "muted" }, `${t("flag.summary")}: `), h("span", { class: "flag-summary" }, flagSummary(f))),
    h("div", { class: "small" }, h("span", { class: "muted" }, `${t("flag.legal")}: `),
      citations(f.legal_basis)),
    h("div", { class: "small" }, keyNumbers(f.numbers, 20)),
    h("div", { class: "small" }, h("span", { class: "muted" }, `${t("flag.events")}: `), events),
    past, disposeForm(f, caseId, recorded));
}

// one disposition event (FlagAcknowledged…): when, what, by whom, and the reason, finding or referral
const DISPOSITION_OF = { FlagAcknowledged: "acknowledged", FlagDismissed: "dismissed", FlagConfirmed: "confirmed", FlagReferred: "referred" };
function dispositionLine(e, applied) {
  const b = e.body || {};
  const detail = [b.reason_code && label("reason_code", b.reason_code), b.reason, b.finding, b.severity && t(`sev.${b.severity}`),
    b.referred_to && label("referred_to", b.referred_to), b.referral_no, b.note, !applied && t("flag.not_applied")].filter(Boolean);
  return h("li", { dataset: { eventId: e.event_id, type: e.type }, class: applied ? null : "not-applied" },
    [when(e.occurred_at), t(`disp.${DISPOSITION_OF[e.type]}`), b.inspector_id || "?", ...detail].join(" · "));
}

// A triggering event: a row of the trail on this page is scrolled to; any other event (another
// case's, an officer's) opens #/event/ID, which finds its stream and goes to the page showing it.
function eventLink(eid) {
  return h("a", { href: `#/event/${encodeURIComponent(eid)}`, class: "mono", dataset: { eventId: eid },
    onclick: (ev) => {
      const row = document.getElementById(`ev-${eid}`);
      if (!row) return;
      ev.preventDefault();
      row.scrollIntoView({ block: "center" });
    } }, eid.slice(0, 13) + "… ");
}

async function pageEvent(id) {
  show(loading());
  const { envelope, receipt } = await api(`/v1/events/${encodeURIComponent(id)}`);
  const [kind, key] = [receipt.stream.split(":")[0], receipt.stream.slice(receipt.stream.indexOf(":") + 1)];
  const page = { case: `#/case/${encodeURIComponent(key)}?event=${encodeURIComponent(id)}`,
    officer: `#/officer/${encodeURIComponent(key)}`, unit: `#/unit/${encodeURIComponent(key)}`,
    supervision: `#/supervision/${encodeURIComponent(key)}` }[kind];
  if (page) { location.replace(page); return; }
  show(h("h1", {}, `${typeName(envelope.type)} · ${receipt.stream} v${receipt.stream_version}`),
    kv([[t("tr.index"), receipt.index], [t("tr.occurred"), when(envelope.occurred_at)], [t("tr.recorded"), when(receipt.recorded_at)],
      [t("tr.signer"), envelope.signer]]),
    h("pre", { id: "event-body" }, JSON.stringify(envelope.body, null, 1)));
}

// the disposition a flag has once the event an action records is folded (the latest one wins)
const DISPOSED = { acknowledge: "acknowledged", dismiss: "dismissed", confirm: "confirmed", refer: "referred" };

// The ledger's limits on a disposition's words (ledger/domain/flags.py: a note is SHORT_TEXT, a
// reason or a finding REASON, a referral number 64), held by the field itself, with how much is
// used, so a text too long is never typed only to be refused; a reason and a finding are required.
const DISPOSE_TEXT = { note: [500, false], reason: [1000, true], finding: [1000, true], referral_no: [64, false] };
function textField(name, kind) {
  const [max, required] = DISPOSE_TEXT[name];
  const field = h(kind, { name, class: `dispose-${name}`, maxlength: max, required });
  if (kind !== "textarea") return field;
  const count = h("span", { class: "small muted dispose-count", "aria-live": "polite" }, `0 / ${max}`);
  field.addEventListener("input", () => { count.textContent = `${field.value.length} / ${max}`; });
  return h("span", {}, field, " ", count);
}

function disposeForm(f, caseId, recorded) {
  if (!session || !session.may_dispose) return h("p", { class: "small muted" }, t("dispose.readonly"));
  const fields = {
    acknowledge: [["note", "textarea"]],
    dismiss: [["reason_code", ["false_positive", "legitimate_exception", "duplicate", "data_error", "other"]], ["reason", "textarea"]],
    confirm: [["finding", "textarea"], ["severity", ["", "critical", "high", "medium", "low"]]],
    refer: [["referred_to", ["discipline_inspection", "supervision_commission", "procuratorate", "agency_head", "legal_office"]], ["referral_no", "input"]],
  };
  const action = h("select", { name: "action", class: "dispose-action" },
    Object.keys(fields).map((a) => h("option", { value: a }, t(`act.${a}`))));
  const holder = h("span", { class: "dispose" });
  const result = h("div", { class: "small dispose-result" });
  function renderFields() {
    holder.replaceChildren(...fields[action.value].map(([name, kind]) => h("label", { class: "small" }, t(`dispose.${name}`), " ",
      Array.isArray(kind) ? h("select", { name }, kind.map((v) => h("option", { value: v }, !v ? "—" : name === "severity" ? t(`sev.${v}`) : label(name, v))))
        : textField(name, kind))));
  }
  action.addEventListener("change", renderFields);
  renderFields();
  const submit = h("button", { class: "primary", type: "submit" }, t("dispose.submit"));
  const form = h("form", { class: "dispose", dataset: { flagId: f.flag_id } }, h("strong", {}, t("dispose.title")), action, holder,
    submit, result);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    // Each submission signs a new event: a second click while one is on its way would record
    // the disposition twice.
    if (submit.disabled) return;
    submit.disabled = true;
    const body = { action: action.value };
    holder.querySelectorAll("[name]").forEach((el) => { if (el.value) body[el.name] = el.value; });
    try {
      const out = await api(`/v1/flags/${encodeURIComponent(f.flag_id)}/dispositions`, { method: "POST", body });
      result.className = "small notice dispose-result";
      result.textContent = t("dispose.done", { id: out.event_id, index: out.receipt.index });
      recorded(DISPOSED[body.action], undefined, out.event_id);
      if (!caseId) { recorded(DISPOSED[body.action], null); return; }
      const trail = await api(`/v1/cases/${encodeURIComponent(caseId)}/trail`);
      recorded(DISPOSED[body.action], trail);
      const params = new URLSearchParams(location.hash.split("?")[1] || "");
      const focused = document.querySelector(".flag-card.focus");
      document.getElementById("trail").replaceWith(trailTable(trail,
        new Set([...document.querySelectorAll("tr.triggering")].map((r) => r.dataset.eventId)), params.get("flag") || (focused && focused.dataset.flagId)));
    } catch (e) {
      if (e.status === 401) return;
      result.className = "small error dispose-result";
      result.textContent = `${e.status || ""} ${e.message}`;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function verifyCell(v) {
  const mark = (ok, label, detail) => h("span", { class: `st ${ok === true ? "st-ok" : ok === false ? "st-bad" : "st-pending"}`, title: detail },
    `${ok === true ? "✓" : ok === false ? "✗" : "…"} ${label} `);
  return h("td", { class: "small verify", dataset: { signature: String(v.signature.ok), chain: String(v.chain.ok), inclusion: v.inclusion.status } },
    mark(v.signature.ok, t("tr.sig"), v.signature.detail), mark(v.chain.ok, t("tr.chain"), v.chain.detail),
    mark(v.inclusion.ok, v.inclusion.status === "pending" ? t("tr.pending") : t("tr.incl"), v.inclusion.detail));
}

function trailTable(trail, triggering, focus) {
  const head = h("tr", {}, ["tr.index", "tr.occurred", "tr.recorded", "tr.type", "tr.signer", "tr.verify", "tr.body"].map((k) => h("th", {}, t(k))));
  const cp = trail.checkpoint;
  return h("div", { id: "trail" },
    h("p", { class: "small muted" }, cp ? `${t("log.checkpoint")}: ${t("log.size")} ${cp.tree_size}, ${t("log.root")} ${cp.root_hash.slice(0, 16)}…` : t("log.none")),
    h("table", { id: "trail-table" }, head, trail.events.map((e) => {
      const classes = ["trail-row"];
      if (triggering.has(e.event_id)) classes.push("triggering");
      if (e.flag_id) classes.push("disposition");
      return h("tr", { id: `ev-${e.event_id}`, class: classes.join(" "),
        dataset: { eventId: e.event_id, type: e.type, stream: e.stream, signerPrincipal: e.signer_principal || "",
          triggering: triggering.has(e.event_id) ? (focus || "") : null, flagId: e.flag_id || null } },
        h("td", { class: "num" }, e.index), h("td", { class: "small" }, when(e.occurred_at)),
        h("td", { class: "small" }, when(e.recorded_at)),
        h("td", {}, h("div", {}, typeName(e.type)),
          h("div", { class: "small muted mono" }, `${typeName(e.type) === e.type ? "" : `${e.type} · `}${e.stream} v${e.stream_version}`),
          bodyCodes(e)),
        h("td", { class: "small" }, h("div", {}, e.signer_principal || "?"), h("div", { class: "muted mono" }, e.signer)),
        verifyCell(e.verification),
        h("td", {}, h("details", {}, h("summary", { class: "small" }, e.event_id.slice(0, 13) + "…"),
          h("pre", {}, JSON.stringify(e.body, null, 1)), h("div", { class: "mono" }, `leaf ${e.leaf_hash}`))));
    })));
}

// ---------------------------------------------------------------------------------------------
// Page: officer (#/officer/ID)
const OFFICER_FLAGS = 500;     // GET /v1/officers/{id}: the newest 500 of the officer's flags
async function pageOfficer(id) {
  show(loading());
  const enc = encodeURIComponent(id);
  const [o, positions, chain] = await Promise.all([api(`/v1/officers/${enc}`),
    api(`/v1/officers/${enc}/positions`), api(`/v1/officers/${enc}/pledge-chain`)]);
  const c = o.caseload || {};
  show(h("h1", {}, `${t("officer.title")} ${id}`),
    h("div", { id: "officer-facts" }, kv([[t("case.unit"), unitLink(o.unit_id)], [t("officer.kind"), label("kind", o.kind)]])),
    bundleBox({ officer: id }),
    h("div", { class: "grid2" },
      h("div", { class: "card" }, h("h2", {}, t("officer.credentials")),
        h("table", { id: "credentials" }, h("tr", {}, ["cert", "type", "from", "until", "status"].map((x) => h("th", {}, t(`cr.${x}`)))),
          Object.values(o.credentials || {}).map((cr) => h("tr", {}, h("td", { class: "mono" }, cr.cert_no), h("td", {}, codeName("OfficerCredentialIssued.credential_type", cr.credential_type)),
            h("td", {}, cr.valid_from), h("td", {}, cr.valid_until), h("td", {}, cr.ended_at ? `${label("end", cr.end_reason)} ${when(cr.ended_at)}` : (cr.suspensions || []).length ? t("cr.suspended") : t("cr.valid")))))),
      h("div", { class: "card" }, h("h2", {}, t("officer.caseload")),
        h("div", { id: "caseload" }, kv(Object.entries(c).map(([k, v]) => [label("load", k), k.endsWith("_fen") ? yuan(v) : v]))))),
    h("div", { class: "card" }, h("h2", {}, t("officer.chart")), positionsChart(positions, id)),
    warningsCard("officer", id, o.flags || []),
    assessmentCard("officer", id, [...positions.windows.flatMap((w) => w.rows.flatMap((r) => r.own.map((d) => d.decided_on))),
      ...(o.dispatches || []).map((d) => d.from)]),
    h("div", { class: "grid2" },
      h("div", { class: "card" }, h("h2", {}, t("officer.posts")),
        h("table", { id: "posts" }, h("tr", {}, ["post", "role", "unit", "grids", "from", "until"].map((x) => h("th", {}, t(`post.${x}`)))),
          (o.posts || []).map((p) => h("tr", {}, h("td", { class: "mono" }, p.post_id), h("td", {}, codeName("PostAssigned.role", p.role)), h("td", {}, unitLink(p.unit_id)),
            h("td", { class: "small" }, (p.grid_ids || []).join(", ")), h("td", { class: "small" }, when(p.from)), h("td", { class: "small" }, when(p.until))))),
        h("h2", {}, t("officer.dispatches")),
        h("p", { class: "small" }, (o.dispatches || []).slice(-10).map((d) => h("div", {}, `${when(d.from)} → ${(d.grid_ids || []).join(", ")} (${d.order_id})`)))),
      h("div", { class: "card" }, h("h2", {}, t("officer.pledges")), pledgeChain(chain))),
    h("div", { class: "grid2" },
      h("div", { class: "card" }, h("h2", {}, t("officer.complaints")),
        h("div", { id: "complaints" }, kv(Object.entries((o.complaints || {}).by_category || {})
          .map(([k, v]) => [codeName("ComplaintReceived.category", k), v]))),
        h("p", { class: "small mono" }, ((o.complaints || {}).ids || []).join(", "))),
      h("div", { class: "card" }, h("h2", {}, t("officer.waivers")), h("p", {}, String(c.waivers ?? 0)))),
    h("h2", {}, t("officer.flags")),
    // the API gives the newest OFFICER_FLAGS of the officer's flags: the page says so, and the
    // queue filtered to the officer pages through all of them
    h("p", { class: "small muted", id: "officer-flags-note" }, t("officer.flags_shown", { n: (o.flags || []).length }),
      (o.flags || []).length >= OFFICER_FLAGS ? t("officer.flags_capped", { n: OFFICER_FLAGS }) : "", " · ",
      h("a", { href: `#/queue?officer=${encodeURIComponent(id)}` }, t("officer.flags_all"))),
    h("table", { id: "officer-flags" }, (o.flags || []).map((f) => h("tr", { class: "flag-row", dataset: { flagId: f.flag_id } },
      h("td", { class: "mono nowrap" }, f.rule_id), h("td", {}, ruleName(f.name)), h("td", {}, sevBadge(f.severity)),
      h("td", {}, f.subject.case_id ? caseLink(f.subject.case_id, f.flag_id)
        : h("span", { class: "small", title: f.scope }, scopeText(f.scope))),
      h("td", { class: "small flag-summary" }, flagSummary(f)), h("td", { class: "nowrap" }, t(`disp.${f.disposition}`))))));
}

// a row label of the positions chart, squeezed to end before the plot when its estimated width
// (a CJK character 1 em, any other 0.62 em) would not: a long label ran over the points at min
function rowLabel(attrs, text, size, most) {
  const wide = [...text].reduce((w, ch) => w + (ch > "\u2e7f" ? 1 : 0.62) * size, 0);
  return s("text", wide > most ? { ...attrs, textLength: most, lengthAdjust: "spacingAndGlyphs" } : attrs, text);
}

function positionsChart(data, self) {
  const windows = data.windows.filter((w) => w.rows.length);
  if (!windows.length) return h("p", { class: "muted", id: "positions-chart-none" }, t("chart.none"));
  const W = 1100, L = 300, R = 20, rowH = 52, headH = 30, top = 24;
  const H = top + windows.reduce((n, w) => n + headH + w.rows.length * rowH, 0) + 24;
  const x = (bp) => L + (bp / 10000) * (W - L - R);
  const svg = s("svg", { id: "positions-chart", viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img",
    "aria-label": t("officer.chart") });
  for (const f of [0, 0.25, 0.5, 0.75, 1]) svg.append(
    s("line", { class: "axis", x1: x(f * 10000), x2: x(f * 10000), y1: top - 6, y2: H - 20, "stroke-dasharray": f % 1 ? "2,3" : null }),
    s("text", { x: x(f * 10000), y: H - 6, "text-anchor": "middle" }, f === 0 ? t("chart.min") : f === 1 ? t("chart.max") : String(f)));
  let y0 = top;
  const summaries = [];
  for (const w of windows) {
    const mean = w.mean_residual === null ? "—" : `${w.mean_residual > 0 ? "+" : ""}${(w.mean_residual * 100).toFixed(1)}%`;
    const line = t("chart.window", { from: w.window[0], to: w.window[1], mean, n: w.n_compared, min: w.min_n });
    svg.append(s("text", { x: 4, y: y0 + 18, class: "window-head", dataset: { cohort: w.cohort } }, line));
    y0 += headH;
    w.rows.forEach((r) => {
      const y = y0 + rowH / 2;
      const most = L - 14;
      svg.append(...[rowLabel({ x: 4, y: y - 8, class: "pos-label" },
        `${r.violation_code} · ${codeName("PenaltyDecided.party.party_type", r.party_type)}`, 11, most),
        rowLabel({ x: 4, y: y + 6, class: "small" }, `${yuan(r.range_fen[0])}–${yuan(r.range_fen[1])} · ${
          t("chart.behind", { p: r.peer_officers, c: r.peer_cases })}`, 12, most),
        r.compared ? null : rowLabel({ x: 4, y: y + 20, class: "small" },
          t("chart.not_compared", { k: w.min_peers }), 12, most),
        s("line", { class: "axis", x1: L, x2: W - R, y1: y, y2: y, stroke: "#eef1f6" })].filter(Boolean));
      const row = s("g", { class: r.compared ? "pos-row" : "pos-row not-compared", opacity: r.compared ? null : 0.45,
        dataset: { code: r.violation_code, party: r.party_type, compared: String(r.compared) } });
      r.peer_positions_bp.forEach((bp, k) => row.append(s("circle", { cx: x(bp), cy: y + ((k * 7) % 11 - 5) * 2, r: 3.5, class: "pt-peer" },
        s("title", {}, `${t("chart.peers")} (${(bp / 100).toFixed(0)}%)`))));
      for (const d of r.own) row.append(s("circle", { cx: x(d.position_bp), cy: y, r: 5, class: "pt-self", dataset: { caseId: d.case_id || "" } },
        s("title", {}, `${self} ${d.case_id || ""} ${yuan(d.amount_fen)} (${(d.position_bp / 100).toFixed(0)}%)${
          d.residual_bp === null ? "" : ` Δ ${(d.residual_bp / 100).toFixed(0)}%`}`)));
      if (r.peer_median_bp !== null) row.append(s("line", { class: "median", x1: x(r.peer_median_bp), x2: x(r.peer_median_bp), y1: y - 16, y2: y + 16 }));
      svg.append(row);
      y0 += rowH;
    });
    summaries.push(h("li", { class: "small window-summary", dataset: { cohort: w.cohort } }, line, " — ",
      w.flags.length ? w.flags.map((f) => h("span", { class: "st st-bad" }, f.case_id ? caseLink(f.case_id, f.flag_id) : h("span", { class: "mono" }, f.flag_id),
        ` ${f.rule_id} · ${t(`disp.${f.disposition}`)}`)) : h("span", { class: "muted" }, t("chart.no_flag"))));
  }
  const legend = h("div", { class: "small toolbar" },
    h("span", { style: "color:#b3261e" }, `● ${t("chart.self")} (${self})`), h("span", { class: "muted" }, `● ${t("chart.peers")}`),
    h("span", { style: "color:#1f5fbf" }, `│ ${t("chart.median")}`), // the API's definition is English; the Chinese page says it in Chinese
    h("span", { class: "muted" }, lang === "zh" ? t("chart.definition") : data.definition));
  return [svg, h("ul", { id: "positions-windows" }, summaries), legend];
}

function pledgeChain(chain) {
  return [h("p", { id: "pledge-status" }, h("span", { class: `st ${chain.status === "complete" ? "st-ok" : "st-bad"}` },
    t(`pledge.${chain.status}`)), h("span", { class: "small muted" }, ` (${chain.on})`)),
  h("ol", {}, chain.links.map((l) => l.officer_id === null
    ? h("li", { class: "muted" }, t("pledge.outside"), h("span", { class: "small" }, ` ${l.level ? codeName("IntegrityPledgeSigned.level", l.level) : ""}`, l.top_of_chain ? " · ⊤" : ""))
    : h("li", {}, officerLink(l.officer_id), " ", h("span", { class: "mono small" }, l.pledge_id),
    h("span", { class: "small muted" }, ` ${l.level ? codeName("IntegrityPledgeSigned.level", l.level) : ""} ${l.period_from}–${l.period_until} · ${label("pledge", l.status)}`,
      l.countersigned_by ? ` · ✍ ${l.countersigned_by}` : "", l.top_of_chain ? " · ⊤" : ""))))];
}

// ---------------------------------------------------------------------------------------------
// Pages: units list (#/units) and unit overview (#/unit/ID)
async function pageUnits() {
  const data = await api("/v1/units");
  show(h("h1", {}, t("nav.units")), h("table", { id: "units" },
    h("tr", {}, h("th", {}, t("f.unit")), h("th", {}, t("unit.cases")), h("th", {}, t("unit.officers"))),
    data.units.map((u) => h("tr", {}, h("td", {}, unitLink(u.unit_id)), h("td", { class: "num" }, u.cases), h("td", { class: "num" }, u.officers)))));
}

async function pageUnit(id) {
  show(loading());
  const o = await api(`/v1/units/${encodeURIComponent(id)}/overview`);
  const p = o.pledge_coverage;
  show(h("h1", {}, `${t("unit.title")} ${id}`), bundleBox({ unit: id }),
    h("p", {}, h("a", { href: `#/supervision?unit=${encodeURIComponent(id)}`, id: "unit-supervision" }, t("unit.supervision"))),
    h("div", { class: "card" }, h("h2", {}, t("unit.fines")), finesChart(o.fines_per_day)),
    warningsCard("unit", id, null),
    assessmentCard("unit", id, o.fines_per_day.map((d) => d.day)),
    h("div", { class: "grid2" },
      h("div", { class: "card" }, h("h2", {}, t("unit.flags")),
        h("table", { id: "flags-by-rule" }, h("tr", {}, ["col.rule", "col.name", "status.raised", "disp.open", "status.cleared"].map((k) => h("th", {}, t(k)))),
          o.flags_by_rule.map((r) => h("tr", {}, h("td", { class: "mono nowrap" }, h("a", { href: `#/queue?rule=${r.rule_id.split(".")[0]}&rule_id=${r.rule_id}&unit=${encodeURIComponent(id)}` }, r.rule_id)),
            h("td", {}, ruleName(r.name)), h("td", { class: "num" }, r.raised), h("td", { class: "num" }, r.open), h("td", { class: "num" }, r.cleared))))),
      h("div", { class: "card" }, h("h2", {}, t("unit.pledges")),
        h("p", { id: "pledge-coverage" }, t("unit.covered", { a: p.covered, b: p.total }), h("span", { class: "small muted" }, ` (${p.on})`)),
        s("svg", { viewBox: "0 0 400 20", width: "100%" }, s("rect", { x: 0, y: 0, width: 400, height: 16, fill: "#e3e8f0" }),
          s("rect", { x: 0, y: 0, width: p.total ? 400 * p.covered / p.total : 0, height: 16, fill: "#2f7d32" })),
        h("table", { class: "small" }, p.officers.filter((x) => x.status !== "complete").map((x) => h("tr", {}, h("td", {}, officerLink(x.officer_id)), h("td", {}, t(`pledge.${x.status}`))))))));
}

function finesChart(days) {
  if (!days.length) return h("p", { class: "muted" }, "—");
  const W = 1200, H = 180, L = 40, B = 30;
  const first = Date.parse(days[0].day), last = Date.parse(days[days.length - 1].day);
  const span = Math.max(1, (last - first) / 86400000 + 1);
  const bw = Math.max(1, (W - L - 10) / span - 1);
  const max = Math.max(...days.map((d) => d.count));
  const svg = s("svg", { id: "fines-chart", viewBox: `0 0 ${W} ${H}`, width: "100%" },
    s("line", { class: "axis", x1: L, x2: W, y1: H - B, y2: H - B }),
    s("text", { x: L - 4, y: 12, "text-anchor": "end" }, String(max)), s("text", { x: L - 4, y: H - B, "text-anchor": "end" }, "0"));
  for (const d of days) {
    const i = (Date.parse(d.day) - first) / 86400000;
    const hgt = (d.count / max) * (H - B - 10);
    svg.append(s("rect", { class: `bar${d.period_end ? ` period-${d.period_end}` : ""}`, x: L + i * (bw + 1), y: H - B - hgt, width: bw, height: hgt,
      dataset: { day: d.day } }, s("title", {}, `${d.day}: ${d.count} · ${yuan(d.amount_fen)}`)));
    if (d.day.endsWith("-01")) svg.append(s("text", { x: L + i * (bw + 1), y: H - 10 }, d.day.slice(0, 7)));
  }
  return [svg, h("div", { class: "small toolbar" }, h("span", { style: "color:#d9480f" }, `■ ${t("unit.monthend")}`),
    h("span", { style: "color:#b3261e" }, `■ ${t("unit.quarterend")}`))];
}

// ---------------------------------------------------------------------------------------------
// Page: log (#/log)
async function pageLog() {
  const response = await fetch("/v1/log/checkpoint");
  const note = response.ok ? await response.text() : null;
  const size = note ? note.split("\n")[1] : null;
  const scope = JSON.parse(sessionStorage.getItem(SCOPE_KEY) || "null");
  show(h("h1", {}, t("log.title")),
    h("div", { class: "card" }, h("h2", {}, t("log.checkpoint")),
      note ? [kv([[t("log.size"), h("strong", { id: "tree-size" }, size)]]), h("pre", { id: "checkpoint", class: "mono" }, note)]
        : h("p", { class: "muted" }, t("log.none"))),
    h("div", { class: "card" }, h("h2", {}, t("log.scope")),
      scope ? [h("p", {}, scopeLabel(scope.query)), bundleBox(scope.query)] : h("p", { class: "muted" }, t("log.noscope"))));
}

// ---------------------------------------------------------------------------------------------
// Router and chrome
const PAGES = [
  [/^#\/queue$/, (m, q) => pageQueue(q)],
  [/^#\/supervision$/, (m, q) => pageSupervision(q)],
  [/^#\/supervision\/(.+)$/, (m) => pageNotice(decodeURIComponent(m[1]))],
  [/^#\/case\/(.+)$/, (m, q) => pageCase(decodeURIComponent(m[1]), q)],
  [/^#\/event\/(.+)$/, (m) => pageEvent(decodeURIComponent(m[1]))],
  [/^#\/officer\/(.+)$/, (m) => pageOfficer(decodeURIComponent(m[1]))],
  [/^#\/units$/, () => pageUnits()],
  [/^#\/unit\/(.+)$/, (m) => pageUnit(decodeURIComponent(m[1]))],
  [/^#\/log$/, () => pageLog()],
];

function chrome() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.getElementById("lang-toggle").textContent = t("lang.switch");
  document.title = `Integrity Ledger · ${t("app.title")}`;
  const nav = document.getElementById("nav");
  const here = location.hash.split("?")[0];
  nav.replaceChildren(...(session ? [["#/queue", "nav.queue"], ["#/supervision", "nav.supervision"], ["#/units", "nav.units"], ["#/log", "nav.log"]] : [])
    .map(([href, key]) => h("a", { href, id: `nav-${key.split(".")[1]}`, class: here.startsWith(href) ? "active" : "" }, t(key))));
  document.getElementById("who").textContent = session
    ? `${session.principal} · ${session.roles.join(",")}${session.units.length ? ` · ${session.units.join(",")}` : ""}` : "";
  document.getElementById("signout").hidden = !session;
}

async function route() {
  const [path, query] = (location.hash || "#/queue").split("?");
  const params = new URLSearchParams(query || "");
  if (path === "#/signin" || !(await ensureSession())) {
    session = null;
    chrome();
    pageSignin(path === "#/signin" ? params.get("next") : location.hash);
    return;
  }
  chrome();
  await ensureVocabulary();
  for (const [pattern, page] of PAGES) {
    const m = pattern.exec(path);
    if (!m) continue;
    try { await page(m, params); } catch (e) { if (e.status !== 401) show(failure(e)); }
    document.body.dataset.page = path.split("/")[1] || "";
    return;
  }
  location.hash = "#/queue";
}

document.getElementById("lang-toggle").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem(LANG_KEY, lang);
  route();
});
document.getElementById("signout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY); session = null; location.hash = "#/signin";
});
window.addEventListener("hashchange", route);
export { api, caseLink, citations, failure, flagSummary, h, kv, loading, officerLink, ruleName, s, sevBadge, show, t,
  typeName, withheld, unitLink, when };
if (!location.hash) location.hash = "#/queue"; else route();
