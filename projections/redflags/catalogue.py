"""The rule catalogue: every sub-rule with its names (English, Chinese), severity and legal basis.

Rule families and bases follow red_flags.yaml (research draft v0.1); sub-rule letters follow the
yaml's trigger keys where it has them. RF26 (self-disposition), RF27 (supervision notices),
RF28 (a disposition beyond its key's units), RF29 (dispositions out of time: left unresolved,
back-dated) and RF30 (one officer's flags dismissed over and over by one inspector) are new.
Decisions where the yaml was ambiguous are in docs/red-flags.md.
"""

from __future__ import annotations

from ledger.errors import InvalidRequest

from .flag import Rule

APL = "APL (行政处罚法 2021)"

_B = {
    "RF01": ("APL 第42条 执法人员不得少于两人", "MOHURD55 第11条"),
    "RF02": ("APL 第42条 (具有行政执法资格)", "APL 第55条 (出示执法证件)",
             "APL 第76条(五) 执法人员未取得执法证件"),
    "RF03": ("APL 第51条", "APL 第52条"),
    "RF04": ("APL 第67条第2款 (不得自行收缴)", "APL 第68条", "APL 第69条",
             "SZLX 第11条 (罚缴分离)"),
    "RF05": ("APL 第70条", "APL 第71条", "APL 第85条", "SZLX 第10条", "SZLX 第16条"),
    "RF06": ("APL 第66条", "APL 第67条", "APL 第72条", "APL 第74条", "SZLX 第11条",
             "SZLX 第16条"),
    "RF07": ("APL 第40条", "APL 第46条", "APL 第54条", "APL 第57条"),
    "RF08": ("APL 第47条 全过程记录", "GBF2018_118 执法全过程记录", "ZJ_ZHZF 第34条"),
    "RF09": ("APL 第44条", "APL 第45条", "APL 第62条", "APL 第63条", "APL 第64条"),
    "RF10": ("APL 第45条第2款 不得因陈述、申辩而给予更重的处罚",),
    "RF11": ("APL 第57条第2款", "APL 第58条", "GBF2018_118 重大执法决定法制审核"),
    "RF12": ("APL 第36条", "APL 第48条第2款", "APL 第56条", "APL 第60条", "APL 第61条",
             "APL 第85条", "MOHURD55 第10条", "MOHURD55 第14条", "GBF2018_118 7个工作日公开"),
    "RF13": ("APL 第28条 (责令改正)", "SH_SRHW 第24条", "SH_LJ 第57条", "BJ_LJ 第67条"),
    "RF14": ("APL 第29条 一事不二罚",),
    "RF15": ("APL 第38条", "APL 第76条(一)(二)"),
    "RF16": ("APL 第34条", "GBF2022_27 调整适用须经主要负责人批准或集体讨论"),
    "RF17": ("GBF2022_27 裁量基准 (同等情形同等处理)",
             "参照世界银行采购欺诈风险信号（金额集中于审批门槛之下）"),
    "RF18": ("APL 第32条", "APL 第33条"),
    "RF19": ("APL 第43条 (回避)", "ZWCF 第38条", "ZWCF 第39条"),
    "RF20": ("APL 第52条 (预定格式、编有号码)", "APL 第76条(二) 擅自改变行政处罚种类、幅度"),
    "RF21": ("APL 第17条", "APL 第22条", "APL 第24条"),
    "RF22": ("党风廉政建设责任制（地方制度，不属合法性要件）",),
    "RF23": ("XFGZ 第22条", "XFGZ 第23条", "XFGZ 第34条", "ZWCF 第38条", "APL 第42条第2款",
             "APL 第75条第2款"),
    "RF24": ("SZLX 第8条 下达或者变相下达罚没指标", "APL 第74条第3款 罚没款不得与考核挂钩"),
    "RF25": ("APL 第56条", "APL 第74条", "APL 第80条", "SH_SRHW 第25条"),
    "RF26": ("APL 第43条 (回避, 参照适用)", "ZWCF 第39条 (滥用职权)",
             "ZWCF 第47条(三)(四) (调查、处理人员的回避)"),
    "RF27": ("APL 第75条 (行政处罚监督制度)", "ZJ_ZHZF 第34条 (督办和责任追究)",
             "XFGZ 第40条 (督办, 参照适用)"),
    "RF28": ("APL 第17条 (在法定职权范围内实施, 参照适用)", "ZWCF 第39条 (滥用职权)",
             "ZJ_ZHZF 第34条 (内部监督制度)"),
    "RF29": ("ZWCF 第39条(二) (不履行或者不正确履行职责，贻误工作)",
             "ZWCF 第39条(四) (弄虚作假，误导、欺骗)",
             "XFGZ 第28条 (不得推诿、敷衍、拖延, 参照适用)", "XFGZ 第34条 (60日内办结, 参照适用)"),
    "RF30": ("ZWCF 第63条(一)(十一) (违反规定处置问题线索；徇私舞弊, 参照适用)",
             "ZWCF 第39条(一)(二) (滥用职权；不正确履行职责)"),
}

_ROWS: list[tuple[str, str, str, str, str]] = [
    # rule_id, severity, kind, en, zh
    ("RF01", "high", "rule", "Action by fewer than two qualified officers", "执法人员不足两人"),
    ("RF02", "high", "rule", "Unqualified actor (credential not valid, or auxiliary staff acting)",
     "无执法资格或协管员实施执法"),
    ("RF03", "high", "rule", "Summary (on-the-spot) procedure used beyond its limits",
     "超限适用简易程序"),
    ("RF04.a", "critical", "rule", "On-the-spot collection not permitted", "违规当场收缴罚款"),
    ("RF04.b", "critical", "rule", "Cash collected on the spot differs from the decided amount",
     "当场收缴金额与决定金额不符"),
    ("RF05.a", "critical", "rule", "On-the-spot cash without a valid official receipt",
     "当场收缴未开具或重复使用专用票据"),
    ("RF05.b", "critical", "rule",
     "On-the-spot cash not handed to the agency within 2 working days",
     "当场收缴罚款未在二日内交至行政机关"),
    ("RF05.c", "critical", "rule",
     "Agency did not deposit cash with the bank within 2 working days",
     "行政机关未在二日内将罚款缴付指定银行"),
    ("RF06.a", "critical", "rule", "Case closed as paid without a matching treasury reconciliation",
     "结案但罚款未与国库对账一致"),
    ("RF06.b", "critical", "rule", "Payments differ from the amount due",
     "缴款金额与应缴金额不符"),
    ("RF06.c", "critical", "rule", "Payment through a non-designated channel (self-collection)",
     "未通过指定渠道缴款 (自行收缴)"),
    ("RF06.d", "critical", "rule", "Late-payment surcharge above the cap or at the wrong rate",
     "加处罚款超出罚款数额或比例错误"),
    ("RF06.e", "medium", "rule", "Unpaid fine with no enforcement follow-up",
     "罚款逾期未缴且未采取加处罚款等措施"),
    ("RF06.f", "critical", "rule",
     "One payment recorded for another amount, decision or case",
     "同一笔缴款记录的金额、决定或案件不一致"),
    ("RF07.a", "high", "rule", "Penalty decided without evidence recorded beforehand",
     "无在先证据作出处罚"),
    ("RF07.b", "high", "rule", "General-procedure penalty decided before the investigation ended",
     "调查终结前作出处罚决定"),
    ("RF08.a", "high", "rule", "Late recording of a field event or document",
     "执法记录补录 (超时上传)"),
    ("RF08.b", "high", "rule", "Back-dated step recorded after the decision",
     "决定作出后倒签补录前置环节"),
    ("RF08.c", "high", "rule", "No body-camera video of an on-the-spot act",
     "现场执法无执法记录仪音像记录"),
    ("RF08.e", "high", "rule", "Act dated after it was recorded (claimed time in the future)",
     "执法记录时间晚于入账时间 (预填未来时间)"),
    ("RF08.f", "high", "rule", "Complaint or supervision record dated after it was recorded",
     "投诉/督办记录时间晚于入账时间 (预填未来时间)"),
    ("RF08.g", "high", "rule",
     "Complaint or supervision record back-dated across the deadline it meets or extends",
     "投诉告知、办理或督办反馈期限届满后倒签补录告知、延期、办结或反馈"),
    ("RF08.h", "high", "rule", "Case extension recorded after the period it extends ran out",
     "办案期限届满后倒签补录延期"),
    ("RF08.i", "high", "rule", "Cash deposit recorded after the deadline it meets ran out",
     "缴付指定银行期限届满后倒签补录缴付"),
    ("RF09.a", "high", "rule", "Decision without prior notice of the proposed penalty",
     "未告知拟处罚内容即作出决定"),
    ("RF09.b", "high", "rule", "Statement or defence received but not reviewed before decision",
     "陈述申辩未经复核即作出决定"),
    ("RF09.c", "high", "rule", "Decided inside the hearing-request window",
     "要求听证期限届满前作出决定"),
    ("RF09.d", "high", "rule", "Hearing requested in time but not held before decision",
     "当事人依法要求听证而未举行听证"),
    ("RF09.e", "high", "rule", "Hearing presided by an investigator of the case",
     "听证主持人为本案调查人员"),
    ("RF09.f", "high", "rule", "Hearing notified less than 7 working days ahead",
     "听证通知不足七日"),
    ("RF09.g", "high", "rule", "Fine at or above the hearing threshold proposed without the "
     "hearing right", "较大数额罚款未告知要求听证的权利"),
    ("RF10", "high", "rule", "Heavier penalty after the party's statement or defence",
     "因陈述申辩加重处罚"),
    ("RF11.a", "high", "rule", "Legal review required but missing before the decision",
     "应当法制审核而未审核"),
    ("RF11.b", "high", "rule", "Legal reviewer unqualified or an investigator of the case",
     "法制审核人员不具备资格或为本案调查人员"),
    ("RF11.c", "high", "rule", "Major case decided without collective discussion",
     "情节复杂或重大违法行为未经集体讨论决定"),
    ("RF11.d", "high", "rule", "General-procedure decision not made by an agency head",
     "非行政机关负责人作出决定 (执法人员自行决定)"),
    ("RF12.a", "medium", "rule", "Decision overdue (90 days from filing + approved extensions)",
     "超期作出处罚决定"),
    ("RF12.b", "medium", "rule", "Decision-deadline extension not properly approved",
     "延长办案期限未经负责人批准或批准逾期"),
    ("RF12.c", "medium", "rule", "Decision served late (7 working days)", "行政处罚决定书送达超期"),
    ("RF12.d", "medium", "rule", "Summary decision not filed with the agency within 3 working days",
     "简易程序决定未按期备案"),
    ("RF12.e", "medium", "rule", "Decision not published within 7 working days",
     "处罚决定未按期公示"),
    ("RF12.f", "medium", "rule",
     "Publication not withdrawn within 3 working days of amendment, revocation or void",
     "决定变更、撤销或决定书作废后未按期撤回公示"),
    ("RF12.g", "medium", "rule", "Registration preservation without a decision in 7 working days",
     "先行登记保存超期未作处理决定"),
    ("RF12.h", "medium", "rule", "Case filed after the 2-year time bar", "超过行政处罚时效立案"),
    ("RF13.a", "medium", "rule", "Fine without an order to rectify", "罚款未责令改正 (以罚代管)"),
    ("RF13.b", "medium", "rule",
     "Fine without the statutory precondition (refusal / prior warning)",
     "缺少前置程序即罚款"),
    ("RF13.c", "medium", "rule", "Toll pattern: same party fined repeatedly without rectification",
     "同一当事人反复罚款未见整改 (以罚代管)"),
    ("RF14", "high", "rule", "Same act fined twice", "一事二罚"),
    ("RF15.a", "critical", "rule", "Fine above the statutory maximum", "罚款超出法定上限"),
    ("RF15.b", "high", "rule", "Fine below the statutory minimum without a mitigation ground",
     "无减轻情节低于法定下限罚款"),
    ("RF15.c", "critical", "rule", "Fine without a known legal basis", "罚款无法定依据"),
    ("RF16.a", "high", "rule", "Discretion benchmark not applied to a fine", "未适用裁量基准"),
    ("RF16.b", "high", "rule", "Amount outside the benchmark band without approved deviation",
     "超出裁量基准幅度且未经批准调整适用"),
    ("RF17.a", "medium", "statistical", "Discretion outlier: mean position in the statutory range",
     "裁量畸高/畸低: 罚款在法定幅度中的位置"),
    ("RF17.b", "medium", "statistical",
     "Discretion outlier: share of fines at the top of the range",
     "裁量畸高: 顶格处罚比例异常"),
    ("RF17.c", "medium", "statistical", "Discretion outlier: tier inflation (serious tier share)",
     "裁量畸高: 严重情节认定比例异常"),
    ("RF17.d", "medium", "statistical",
     "Leniency outlier: share of fines at the bottom of the range",
     "裁量畸低: 最低档处罚比例异常"),
    ("RF17.e", "medium", "statistical", "Leniency outlier: minor-tier share",
     "裁量畸低: 轻微情节认定比例异常"),
    ("RF17.f", "medium", "statistical", "Leniency outlier: waiver share",
     "裁量畸低: 减免处罚比例异常"),
    ("RF17.g", "medium", "statistical", "Threshold bunching just under a legal limit",
     "罚款金额集中于法定门槛之下"),
    ("RF18.a", "high", "rule", "First-violation waiver for a party with a prior violation",
     "非初次违法适用首违不罚"),
    ("RF18.b", "high", "rule", "Repeated waivers or mitigation for the same party",
     "同一当事人反复减免处罚"),
    ("RF18.c", "high", "rule", "Same officer repeatedly waives for the same party",
     "同一执法人员反复对同一当事人减免"),
    ("RF19.a", "high", "rule", "Officer acted despite a declared relationship, without recusal",
     "应回避未回避"),
    ("RF19.b", "high", "statistical", "Officer–party concentration", "执法人员与当事人异常关联"),
    ("RF19.c", "high", "statistical", "Concentration on a party outside the officer's grids",
     "辖区外针对特定当事人执法"),
    ("RF20.a", "high", "rule", "Penalty changed or withdrawn without proper approval",
     "擅自变更、撤销行政处罚决定"),
    ("RF20.b", "high", "rule", "Penalty reduced after payment without a refund path",
     "缴款后变更处罚未见退库"),
    ("RF20.c", "medium", "statistical", "High rate of voided decision forms",
     "预定格式决定书作废率异常"),
    ("RF20.d", "high", "rule", "Penalty changed or withdrawn with no such decision",
     "变更、撤销不存在的处罚决定"),
    ("RF20.e", "high", "rule", "Form of a served decision voided",
     "已送达的处罚决定书被作废"),
    ("RF21.a", "medium", "rule", "Action outside the assigned post without a dispatch order",
     "超出岗位网格执法且无调度指令"),
    ("RF21.b", "high", "rule", "Action outside the unit's territory", "超出辖区执法"),
    ("RF21.c", "high", "rule", "Violation outside the unit's power list", "超出职权清单执法"),
    ("RF22", "low", "rule", "No valid integrity pledge chain for the acting officer",
     "未签订有效廉政建设责任书"),
    ("RF23.a", "high", "rule", "Complaint not acknowledged within 15 days",
     "投诉未在十五日内告知是否受理"),
    ("RF23.b", "high", "rule", "Complaint not closed within 60 days (+ approved extension)",
     "投诉未在六十日内办结"),
    ("RF23.c", "high", "rule", "Complaint closed by a conflicted handler",
     "投诉由被投诉人或其关联人员办结"),
    ("RF23.d", "high", "rule", "Repeated violent-enforcement complaints against an officer",
     "同一执法人员多次被投诉野蛮执法"),
    ("RF24", "medium", "statistical", "Fine-quota pattern: period-end spikes",
     "变相罚没指标 (期末突击罚款)"),
    ("RF25.a", "high", "rule", "Seized property without a signed inventory within 24 h",
     "暂扣、查封、扣押财物未在24小时内签署清单"),
    ("RF25.b", "high", "rule", "Seized property without a handling decision in 7 working days",
     "暂扣、查封、扣押财物七日内未作处理决定"),
    ("RF25.c", "high", "rule", "Seized property disposed irregularly", "暂扣、查封、扣押财物处理不规范"),
    ("RF26", "high", "rule", "Flag disposed of by its own subject, a participant in its case or "
     "one related to its party", "被核查人、本案人员或与当事人有利害关系的人员处置红旗 (应回避未回避)"),
    ("RF27.a", "medium", "rule", "Supervision notice not answered by its deadline",
     "督办事项逾期未反馈"),
    ("RF27.b", "medium", "rule", "Feedback sent back and not resubmitted in time",
     "督办反馈被退回后未按期重新反馈"),
    ("RF27.c", "low", "rule", "Feedback not reviewed by the supervisor in time",
     "督办反馈未按期审核"),
    ("RF28", "high", "rule", "Flag disposed of with a key of other units (not applied)",
     "越权处置红旗 (签名密钥不属该单位)"),
    ("RF29.a", "medium", "rule", "Flag taken up and left unresolved", "红旗受理后逾期未处理"),
    ("RF29.b", "medium", "rule", "Disposition recorded long after the time it claims",
     "红旗处置补录倒签"),
    ("RF30", "high", "rule", "One officer's flags dismissed over and over by one inspector",
     "同一人员的红旗被同一核查人员反复驳回 (疑似保护伞)"),
    ("RF30.b", "high", "rule", "One officer's flags dismissed by a few inspectors taking turns",
     "同一人员的红旗被少数核查人员轮流驳回 (疑似保护伞)"),
]

RULES: dict[str, Rule] = {
    rid: Rule(rid, en, zh, sev, _B[rid.split(".")[0]], kind) for rid, sev, kind, en, zh in _ROWS}

#: families → rule ids
FAMILIES: dict[str, tuple[str, ...]] = {}
for _rid in RULES:
    FAMILIES.setdefault(_rid.split(".")[0], ())
    FAMILIES[_rid.split(".")[0]] += (_rid,)


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def check_filter(rule: str | None, rule_id: str | None) -> None:
    """Refuse a flag filter no flag can match: ``rule`` must be a family of the catalogue
    (``RF06``), ``rule_id`` one of its rule ids (``RF06.e``, or ``RF01`` for a family of one).
    Raises InvalidRequest naming the parameter (``query.rule``, ``query.rule_id``), with the
    form to give."""
    first, last = min(FAMILIES), max(FAMILIES)
    if rule is not None and rule not in FAMILIES:
        slip = (f": {rule} is a rule id of {rule.split('.')[0]}; give rule_id={rule}, or "
                f"rule={rule.split('.')[0]} for the family" if rule in RULES else
                f", not {rule!r}")
        raise InvalidRequest(f"rule must be a rule family of the catalogue ({first} … {last}, "
                             f"docs/red-flags.md){slip}", field="query.rule")
    if rule_id is not None and rule_id not in RULES:
        slip = (f": {rule_id} is a family of rule ids ({', '.join(FAMILIES[rule_id])}); give "
                f"rule={rule_id} for them all" if rule_id in FAMILIES else f", not {rule_id!r}")
        lettered = next(r for r in RULES if "." in r)
        raise InvalidRequest(f"rule_id must be a rule id of the catalogue ({first}, {lettered} "
                             f"… {max(RULES)}, docs/red-flags.md){slip}", field="query.rule_id")
