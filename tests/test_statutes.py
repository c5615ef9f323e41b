"""The statute codes the ledger cites, written as their titles for readers."""

from __future__ import annotations

import re
from pathlib import Path

from ledger.domain.statutes import STATUTES, cited
from projections.redflags.catalogue import RULES

ROOT = Path(__file__).resolve().parent.parent


def test_a_code_is_written_as_its_title_and_other_text_is_kept() -> None:
    assert cited("SH_SRHW 第25条") == "《上海市市容环境卫生管理条例》第25条"
    assert cited("APL 第57条(三)") == "《中华人民共和国行政处罚法》第57条(三)"
    assert cited("GBF2018_118; MOHURD55 第10条") == (
        "《国务院办公厅关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的"
        "指导意见》; 《住房和城乡建设行政处罚程序规定》第10条")
    # a city's own citation, and a code inside a longer name, are not codes
    assert cited("本市规定第3条") == "本市规定第3条"
    assert cited("XAPL 第1条, APL33-1") == "XAPL 第1条, APL33-1"


def test_every_code_the_code_base_cites_has_a_title() -> None:
    """A code cited before an article anywhere in the ledger, the projections or the API (the
    legal bases of rules, deadlines and the fine schedule) is one the table names."""
    codes = set()
    for package in ("ledger", "projections", "api"):
        for path in (ROOT / package).rglob("*.py"):
            codes |= set(re.findall(r"\b([A-Z][A-Z0-9_]+) 第[0-9]", path.read_text("utf-8")))
    assert codes and codes <= set(STATUTES), sorted(codes - set(STATUTES))


def test_a_rules_legal_basis_is_written_as_a_chinese_citation() -> None:
    """A flag's legal basis is shown as it is on both pages: it cited "APL 第43条 (回避, by
    analogy)" and "analogy: World Bank 'awards just below threshold' red flag", English inside
    Chinese citations. Every basis is a statute code and Chinese now (参照适用 for by analogy)."""
    latin = {rule.rule_id: basis for rule in RULES.values() for basis in rule.legal_basis
             if re.search(r"[A-Za-z]{2}", re.sub(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]*", "", basis))}
    assert latin == {}

