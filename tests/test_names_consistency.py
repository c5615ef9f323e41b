"""One term per act across the vocabulary's Chinese names (ledger/domain/names.py), the rule
catalogue and the dashboard's own labels (api/static/dashboard/app.js, table ``T.zh``).

The dashboard does not copy the event types' names: it reads them from ``GET /v1/vocabulary``
(test_dashboard_api). What it does hold are labels of its own for the same acts — a case's
deadlines are named after the step that meets them, the money panel after the cash's steps — and
those are checked here against the names of the types they stand for.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from ledger.domain.names import CODES_EN, CODES_ZH, NAMES_ZH
from ledger.domain.vocabulary import EVENT_TYPES
from projections.redflags.catalogue import RULES

APP = Path(__file__).resolve().parents[1] / "api" / "static" / "dashboard" / "app.js"
RULES_DIR = Path(__file__).resolve().parents[1] / "projections" / "redflags"

#: dashboard label → the event type whose act it names, word for word
SAME_AS_TYPE = {
    "deadline.acknowledge": "ComplaintAcknowledged",
    "deadline.agency_to_bank": "AgencyDeposited",
    "deadline.cash_to_agency": "OnsiteCashRemitted",
    "deadline.close": "ComplaintClosed",
    "deadline.decision": "PenaltyDecided",
    "deadline.hearing_request": "HearingRequested",
    "deadline.payment": "PaymentRecorded",
    "deadline.publication": "DecisionPublished",
    "deadline.publication_withdrawal": "DecisionPublicationWithdrawn",
    "deadline.service": "DecisionServed",
    "deadline.summary_filing": "SummaryDecisionFiled",
    "money.collected": "OnsiteCashCollected",
}

#: the page's own label group → the body field whose codes it names (the page labels them in
#: English too, so it keeps a table; its Chinese must be the vocabulary's, word for word)
SAME_AS_CODES = {
    "channel": "PaymentRecorded.channel",
    "end": "OfficerCredentialExpired.reason",
    "reason_code": "FlagDismissed.reason_code",
    "referred_to": "FlagReferred.referred_to",
    "sev": "FlagConfirmed.severity",
    "pub.ch": "DecisionPublished.channel",
    "fw": "OfficerWarningIssued.kind",
    "sup.result": "SupervisionFeedbackAccepted.result",
    "sup.resp": "SupervisionFeedbackSubmitted.responses.status",
    "pub.why": "DecisionPublicationWithdrawn.reason",
    "proc": "CaseFiled.procedure",
    "rec": "TreasuryReconciled.result",
}

#: term → words that name the same act differently and must not appear in the dashboard's or
#: the catalogue's Chinese (each with the article the term comes from)
NOT_THESE = {
    "要求听证 (APL 第63/64条)": ("申请听证", "听证申请"),
    "交至行政机关 / 缴付指定银行 (APL 第71条; 上缴 is to the treasury)": ("已上缴", "存入银行", "已存入"),
    "专用票据 (APL 第70条)": ("收据",),
    "暂扣、查封、扣押 (SH_SRHW 第25条; APL 第80条)": ("暂扣物品",),
    "廉政建设责任书 (red_flags.yaml RF22)": ("廉政责任书",),
    "上级签署 (层层签订), not 会签": ("会签",),
    "诫勉 (ZWCF 第12条)": ("诫勉谈话",),
    "收集证据 (APL 第54条)": ("采集证据",),
    "稳健Z分数 (robust z-score, RF17)": ("稳健标准分", "稳健z分数"),
}


def _zh_table() -> dict[str, str]:
    text = APP.read_text(encoding="utf-8")
    block = text[text.index("  zh: {"):text.index("\n  en: {")]
    return dict(re.findall(r'"([\w.]+)":\s*"((?:[^"\\]|\\.)*)"', block))


def _en_table() -> dict[str, str]:
    text = APP.read_text(encoding="utf-8")
    block = text[text.index("\n  en: {"):text.index("\n};\n")]
    return dict(re.findall(r'"([\w.]+)":\s*"((?:[^"\\]|\\.)*)"', block))


def _rule_strings() -> dict[str, str]:
    """Every string literal of the rule modules holding Chinese (the flags' ``summary_zh``
    sentences and the words they are built from), by file and line; comments left out."""
    out = {}
    for path in sorted(RULES_DIR.glob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for tok in tokens:
            if tok.type == tokenize.STRING and re.search("[\u4e00-\u9fff]", tok.string):
                out[f"{path.name}:{tok.start[0]}"] = tok.string
    return out


def test_the_dashboard_does_not_copy_the_type_names() -> None:
    """An event type is named by GET /v1/vocabulary, never by a second table in the page (a
    guard: it held before names.py's terms were checked, and fails if a copy is added)."""
    zh = _zh_table()
    assert [k for k in zh if k.split(".")[-1] in EVENT_TYPES] == []


def test_dashboard_labels_name_an_act_as_the_vocabulary_does() -> None:
    zh = _zh_table()
    assert {key: zh.get(key) for key in SAME_AS_TYPE} == {
        key: NAMES_ZH[t] for key, t in SAME_AS_TYPE.items()}


def test_dashboard_labels_name_a_code_as_the_vocabulary_does() -> None:
    zh = _zh_table()
    for group, field in SAME_AS_CODES.items():
        assert {code: zh.get(f"{group}.{code}") for code in CODES_ZH[field]} == CODES_ZH[field]


def test_dashboard_english_labels_name_a_code_as_the_vocabulary_does() -> None:
    """The English page names a code in the trail by the vocabulary (``CODES_EN``) and in its
    own tables by its dictionary: one English term for the code on both (the payments table said
    "cash on the spot, with receipt" where the vocabulary says "on-site cash with an official
    receipt")."""
    en = _en_table()
    for group, field in SAME_AS_CODES.items():
        assert {code: en.get(f"{group}.{code}") for code in CODES_EN[field]} == CODES_EN[field]


def test_no_second_term_for_an_act() -> None:
    texts = {f"app.js {k}": v for k, v in _zh_table().items()}
    texts |= {f"catalogue {rid}": r.name_zh for rid, r in RULES.items()}
    texts |= {f"names.py {t}": n for t, n in NAMES_ZH.items()}
    texts |= _rule_strings()
    texts |= {f"names.py {f}.{c}": n for f, named in CODES_ZH.items() for c, n in named.items()}
    found = {(term, where) for term, words in NOT_THESE.items() for where, text in texts.items()
             if any(w in text for w in words)}
    assert found == set()


#: codes the rules name otherwise than the vocabulary does, because a rule uses them in another
#: sense than the body field the vocabulary names (a tier ``general`` is not the procedure
#: ``general``; a disposition ``referred`` is 移送, a complaint's ``referred`` 转交办理; seized
#: goods ``returned`` are 返还, a legal review ``returned`` 退回补充) or as a part of a sentence
#: (``agency_head`` as an approver, not an approval)
RULES_OWN_SENSE = frozenset({"agency_head", "deputy_head", "general", "transferred", "withdrawn",
                             "none", "revoked", "referred", "returned"})


def test_flags_name_a_body_code_as_the_vocabulary_does() -> None:
    """summary_zh names a party type, a relation, a cash justification, an outcome … with the
    words GET /v1/vocabulary and the dashboard give it (the two tables were written side by
    side: 个人 beside 公民, 家庭成员 beside 近亲属)."""
    from projections.redflags.zh import CODES
    named: dict[str, set[str]] = {}
    for values in CODES_ZH.values():
        for code, name in values.items():
            named.setdefault(code, set()).add(name)
    differ = {code for code, word in CODES.items()
              if code in named and word not in named[code]}
    assert differ == RULES_OWN_SENSE


def test_dashboard_names_a_pledge_chain_as_the_flags_do() -> None:
    """RF22 named a chain that breaks at a superior 链条中断 where the officer page said 断链,
    a loop 循环签署 beside 循环: one word for each status of the chain."""
    from projections.redflags.zh import PLEDGE_CHAIN
    zh = _zh_table()
    assert {code: zh.get(f"pledge.{code}") for code in PLEDGE_CHAIN} == PLEDGE_CHAIN


PUBLIC = Path(__file__).resolve().parents[1] / "api" / "static" / "public" / "app.js"


def _public_table(lang: str, name: str) -> dict[str, str]:
    """The public page's table ``name`` (types, reasons) of language ``lang``."""
    text = PUBLIC.read_text(encoding="utf-8")
    block = text[text.index(f"    {lang}: {{"):]
    table = block[block.index(f"{name}: {{"):]
    return dict(re.findall(r'(\w+): "([^"]*)"', table[:table.index("}")]))


@pytest.mark.parametrize("lang, codes", [("zh", CODES_ZH), ("en", CODES_EN)])
def test_the_public_page_names_penalties_and_withdrawal_reasons_as_the_vocabulary_does(
        lang: str, codes: dict[str, dict[str, str]]) -> None:
    """The public disclosure page named 吊销许可证件 吊销许可证 and a withdrawal's reason 决定被撤销
    where the vocabulary says 决定已撤销; its English page had no names at all (reason:
    decision_revoked)."""
    assert _public_table(lang, "types") == codes["PenaltyDecided.penalty_types"]
    assert _public_table(lang, "reasons") == codes["DecisionPublicationWithdrawn.reason"]

