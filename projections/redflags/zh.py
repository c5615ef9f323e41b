"""Words for ``summary_zh``, the Chinese sentence every flag carries beside its English
``summary`` (built at the same site, from the same numbers).

Amounts are written in 元 from integer fen without floats (``yuan(20000)`` → ``"200.00 元"``;
the English ``summary`` in CNY, ``cny(20000)`` → ``"200.00 CNY"``);
event types, evidence kinds and complaint categories by the vocabulary's Chinese names
(``ledger.domain.names``: ``NAMES_ZH``, ``CODES_ZH``); the codes a rule lists (reasons,
problems, grounds …) by the terms of the statutes. Ids and codes stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

from ledger.domain.names import CODES_ZH, NAMES_ZH

APL = "《行政处罚法》"

#: the codes rules list in their numbers, in the words of the statutes
CODES: dict[str, str] = {
    # RF03
    "amount_over_limit": "罚款数额超过简易程序限额", "penalty_type_not_allowed": "处罚种类不适用简易程序",
    "credential_not_shown": "未出示执法证件",
    # RF11
    "hearing_held": "经过听证程序", "amount_threshold": "罚款数额达到法制审核标准",
    # RF20 / RF25
    "no_approval": "未经批准", "approval_form_not_allowed": "批准形式不符合规定",
    "approver_is_decider": "批准人即原决定人", "approver_not_head": "批准人非行政机关负责人",
    "no_handling_record": "无处理记录",
    "recipient_linked_to_officer": "接收人与执法人员有关联",
    # party types, relations, seizure measures, disposal, closing outcomes, payment channels,
    # cash justifications: the vocabulary's names (ledger.domain.names), then the codes the
    # rules word otherwise (RULES_OWN_SENSE in tests/test_names_consistency.py; e_payment as
    # a decision's payment method names it)
    **CODES_ZH["CaseFiled.parties.party_type"], **CODES_ZH["RelationshipDeclared.relation"],
    **CODES_ZH["PropertySeized.measure"], **CODES_ZH["PropertyDisposed.method"],
    **CODES_ZH["CaseClosed.outcome"], **CODES_ZH["PaymentRecorded.channel"],
    **CODES_ZH["OnsiteCashCollected.justification"],
    "subject_of_flag": "红旗所涉人员", "acted_in_case": "参与办理该案",
    "subject_of_the_complaint": "被投诉人", "accused": "被投诉人",
    "returned": "返还", "transferred": "移送", "withdrawn": "撤销", "e_payment": "电子支付",
    "none": "未说明理由",
    # approval forms, tiers
    "agency_head": "行政机关负责人", "deputy_head": "分管负责人", "collective_discussion": "集体讨论决定",
    "minor": "轻微", "general": "一般", "serious": "严重",
    # credential statuses
    "valid": "有效", "expired": "已失效", "suspended": "已暂扣", "revoked": "已吊销",
    "unknown_person": "无人事记录", "unknown_certificate": "证件未登记", "no_credential": "无执法证件",
    "auxiliary": "协管员", "not_yet_valid": "尚未生效",
    # RF05 / RF06 / RF23
    "no_receipt": "未出具票据", "receipt_reused": "票据重复使用",
    "above_principal": "加处罚款的数额超出罚款的数额", "wrong_rate": "未按规定比例加处",
    "before_payment_due": "缴纳期限届满前加处", "above_accrued": "超过应加处数额",
    "co_officer_on_case": "同案执法人员", "direct_superior_of_accused": "被投诉人的直接上级",
    "amended": "变更", "rejected_resubmit": "退回重报",
    "local": "地方规定",
    # dispositions
    "acknowledged": "受理", "dismissed": "驳回", "confirmed": "确认", "referred": "移送",
}

#: RF22: a pledge chain's status (``people.chain_status``), which the officer page shows too
#: (层层签订: each officer's 廉政建设责任书 countersigned by the direct superior, up to the top)
PLEDGE_CHAIN: dict[str, str] = {
    "complete": "层层签订完整", "none": "本人未签订", "uncountersigned": "本人已签订，上级未签署",
    "broken": "上级未签订", "superior_uncountersigned": "上级已签订，其上级未签署",
    "wrong_countersigner": "非由直接上级签署", "cycle": "签署关系循环，未至链条顶端",
}


def yuan(fen: int | None) -> str:
    """``fen`` as exact 元 text: ``yuan(20000)`` → ``"200.00 元"``, ``yuan(-5)`` → ``"-0.05 元"``
    (integer arithmetic only); ``None`` → ``"（未知）元"``."""
    return "（未知）元" if fen is None else f"{_decimal(fen)} 元"


def cny(fen: int | None) -> str:
    """``fen`` as exact English text for a flag's ``summary``: ``cny(300000)`` →
    ``"3,000.00 CNY"``, ``cny(-5)`` → ``"-0.05 CNY"`` (integer arithmetic only, as
    :func:`yuan`); ``None`` → ``"(unknown) CNY"``. The flag's ``numbers`` keep the fen."""
    return "(unknown) CNY" if fen is None else f"{_decimal(fen, grouped=True)} CNY"


def _decimal(fen: int, *, grouped: bool = False) -> str:
    """``fen`` in yuan to the fen, integer arithmetic only: ``-123456`` → ``"-1234.56"``
    (``"-1,234.56"`` ``grouped``)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}" if grouped else f"{sign}{whole}.{cents:02d}"


_DIGITS = "零一二三四五六七八九"


def _number_zh(n: int) -> str:
    """``n`` (0 ≤ n < 10000) in Chinese numerals as a statute writes it: 三, 十, 十二, 一百零五."""
    if n < 10:
        return _DIGITS[n]
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            out += ("零" if zero and out else "") + ("" if d == 1 and unit == "十" and not out
                                                     else _DIGITS[d]) + unit
            zero = False
        elif out:
            zero = True
    return out


def percent_zh(bp: int) -> str:
    """A rate in basis points as the statute writes it (APL 第72条 每日按罚款数额的百分之三):
    ``percent_zh(300)`` → ``"百分之三"``, ``percent_zh(250)`` → ``"百分之二点五"``. Requires
    0 ≤ bp < 1 000 000 (integer arithmetic only)."""
    whole, part = divmod(bp, 100)
    decimals = f"{part:02d}".rstrip("0")
    return "百分之" + _number_zh(whole) + ("点" + "".join(_DIGITS[int(c)] for c in decimals)
                                          if decimals else "")


def surcharge_rate_zh(bp: int) -> str:
    """RF06.d's ``wrong_rate`` from the rate in force (basis points a day): in APL 第72条's
    words at its 3 % (``surcharge_rate_zh(300)`` → ``"未按罚款数额的百分之三加处"``), and
    the same words with the rate a city set otherwise."""
    return f"未按罚款数额的{percent_zh(bp)}加处"


def type_zh(name: str) -> str:
    """An event type's Chinese name (the type itself when it has none)."""
    return NAMES_ZH.get(name, name)


def code_zh(code: str | None) -> str:
    return "（无）" if code is None else CODES.get(code, code)


def codes_zh(codes: Iterable[str]) -> str:
    """Codes in words, joined by the enumeration comma."""
    return "、".join(code_zh(c) for c in codes)


def evidence_kind_zh(kind: str) -> str:
    return CODES_ZH["EvidenceRecorded.kind"].get(kind, kind)


def complaint_category_zh(category: str) -> str:
    return CODES_ZH["ComplaintReceived.category"].get(category, category)
