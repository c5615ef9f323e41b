"""Every flag explains itself in Chinese too (``summary_zh``, 说明): amounts in exact 元, the
same numbers as the English ``summary`` (which gives them in CNY), no English words beyond the
flag's ids and codes. (tests/conftest.py checks the last, and that no English summary writes
an amount in fen, on every flag any test raises; here on a small synthetic city, which raises
nearly every rule, and the checkers' own failures.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.crypto import SigningKey
from ledger.synth.generator import SyntheticCity
from ledger.synth.params import CityParams
from projections.redflags.catalogue import RULES
from projections.redflags.engine import compute_flags
from projections.redflags.flag import Flag, Subject, make_flag
from projections.redflags.zh import cny, percent_zh, yuan

from .summary_zh import amounts_in_fen, untranslated
from .test_ground_truth import history


@pytest.mark.parametrize("fen, text", [(20_000, "200.00 元"), (5, "0.05 元"), (0, "0.00 元"),
                                        (100, "1.00 元"), (123_456_789, "1234567.89 元"),
                                        (-250, "-2.50 元")])
def test_yuan_writes_fen_exactly(fen: int, text: str) -> None:
    assert yuan(fen) == text


@pytest.mark.parametrize("fen, text", [(20_000, "200.00 CNY"), (5, "0.05 CNY"), (0, "0.00 CNY"),
                                        (300_000, "3,000.00 CNY"),
                                        (123_456_789, "1,234,567.89 CNY"), (-250, "-2.50 CNY")])
def test_cny_writes_fen_exactly_for_english_readers(fen: int, text: str) -> None:
    assert cny(fen) == text


def test_the_check_finds_an_amount_in_fen_in_an_english_summary() -> None:
    """A flag's English summary said "10000 fen collected on the spot" (RF05.a) where its
    Chinese one said 100.00 元: an English reader is given CNY, the numbers keep the fen."""
    assert amounts_in_fen(_flag("罚款 200.00 元")) == ["20000 fen"]
    assert amounts_in_fen(_flag("罚款 200.00 元", summary="fine of 200.00 CNY")) == []
    assert amounts_in_fen(_flag("罚款 200.00 元", summary="amount_fen 20000")) == []


def _flag(summary_zh: str, summary: str = "fine of 20000 fen", **numbers: object) -> Flag:
    return make_flag(RULES["RF13.a"], scope=Subject("case", "SH-HP-2024-S-000001"),
                     discriminator="E-1", params_version="v", raised_at="2024-06-01T10:00:00Z",
                     event_ids=["E-1"], numbers=dict(numbers), summary=summary,
                     summary_zh=summary_zh, case_id="SH-HP-2024-S-000001")


def test_the_check_finds_english_left_in_a_chinese_summary() -> None:
    assert untranslated(_flag("罚款 200.00 元，未责令改正")) == []
    assert untranslated(_flag("罚款 200.00 元 (案件 SH-HP-2024-S-000001，代码 STALL_SH)",
                              violation_code="STALL_SH")) == []
    assert untranslated(_flag("罚款 200.00 元 with no order to rectify")) == [
        "with", "no", "order", "to", "rectify"]
    assert untranslated(_flag("fine of 20000 fen")) == ["<no Chinese>"]
    assert untranslated(_flag("稳健Z分数 2.57，泊松检验P值 0.0001")) == []
    assert untranslated(_flag("稳健 z = 2.57，Z 值")) == ["z", "Z"]
    assert untranslated(_flag("")) == ["<no Chinese>"]


def test_the_chinese_summary_does_not_change_the_flag_id_and_is_in_its_value() -> None:
    a, b = _flag("罚款 200.00 元"), _flag("罚款两百元")
    assert a.flag_id == b.flag_id and a.digest() != b.digest()
    assert a.to_value()["summary_zh"] == "罚款 200.00 元"


@pytest.fixture(scope="module")
def city_flags() -> list[Flag]:
    params = CityParams.scale("small", seed=0)
    city = SyntheticCity(params, root_key=SigningKey(bytes(32)), root_key_id="root-1")
    at = datetime.combine(params.start + timedelta(days=params.days + 120),
                          datetime.min.time(), tzinfo=UTC)
    return compute_flags(history(city), at=at)


def test_every_flag_of_a_small_city_explains_itself_in_chinese(city_flags: list[Flag]) -> None:
    rules = {f.rule_id for f in city_flags}
    assert len(rules) >= 55                       # nearly every rule of the catalogue
    bad = {f.rule_id: (f.summary_zh, untranslated(f)) for f in city_flags if untranslated(f)}
    assert bad == {}


def test_a_chinese_summary_gives_the_amounts_of_the_english_one_in_yuan(
        city_flags: list[Flag]) -> None:
    checked = 0
    for f in city_flags:
        for key, value in f.numbers:
            if key.endswith("_fen") and isinstance(value, int) and cny(value) in f.summary:
                assert yuan(value) in f.summary_zh, (f.rule_id, f.summary, f.summary_zh)
                checked += 1
    assert checked > 50


@pytest.mark.parametrize("bp, words", [(300, "百分之三"), (500, "百分之五"), (250, "百分之二点五"),
                                       (1000, "百分之十"), (1250, "百分之十二点五"),
                                       (5, "百分之零点零五"),
                                       (10_000, "百分之一百"), (0, "百分之零")])
def test_a_rate_is_written_as_the_statute_writes_it(bp: int, words: str) -> None:
    assert percent_zh(bp) == words


def test_money_flags_name_an_outcome_and_an_act_as_the_other_rules_do(
        city_flags: list[Flag]) -> None:
    """RF06.a named the outcome 已缴纳 where RF06.b says 已缴纳罚款; RF06.e named a deferral
    or instalments 批准分期 where the vocabulary says 批准暂缓或分期缴纳罚款 (APL 第66条)."""
    zh = {f.rule_id: f.summary_zh for f in city_flags}
    assert zh["RF06.a"].startswith("以“已缴纳罚款”结案")
    assert "批准暂缓或分期缴纳罚款" in zh["RF06.e"]
    assert "以“未说明理由”" not in zh["RF04.a"]


def test_statistical_flags_use_a_statistician_s_words(city_flags: list[Flag]) -> None:
    """RF17 wrote a robust z-score 稳健标准分, RF20.c its peers 同类人员 and their pooled rate
    合并比率, RF17.g an interval in brackets; the peers are the other officers, as in RF17."""
    zh = {f.rule_id: f.summary_zh for f in city_flags}
    assert "（稳健Z分数 " in zh["RF17.a"]
    assert "其他执法人员作废率中位数" in zh["RF20.c"] and "同类人员" not in zh["RF20.c"]
    assert "元至 " in zh["RF17.g"] and "[" not in zh["RF17.g"]


def test_deadline_and_cross_case_flags_use_the_statutes_and_the_vocabulary_s_words(
        city_flags: list[Flag]) -> None:
    """RF23.a wrote 未书面告知受理 for XFGZ 第23条's 书面告知 (the act 告知是否受理投诉), RF25
    called every measure 查封扣押 (the act is 暂扣、查封、扣押财物; RF25.b names the measure),
    RF14 cited 一事不二罚 for APL 第29条, known as 一事不再罚."""
    zh = {f.rule_id: f.summary_zh for f in city_flags}
    assert zh["RF23.a"].endswith("未书面告知是否受理投诉")
    assert "查封扣押" not in zh["RF25.a"] + zh["RF25.c"]
    assert zh["RF25.a"].startswith(("暂扣 ", "查封 ", "扣押 ", "先行登记保存 "))
    assert zh["RF25.a"].endswith("小时内未签署财物清单")
    assert zh["RF25.c"].startswith("暂扣、查封、扣押的财物")
    assert "一事不再罚" in zh["RF14"] and "一事不二罚" not in zh["RF14"]


def test_evidence_is_collected_as_apl_article_54_says(city_flags: list[Flag]) -> None:
    """RF07.a wrote 采集并记录的证据; the statute's act is 收集证据 (APL 第54条), as the
    vocabulary names it."""
    zh = {f.rule_id: f.summary_zh for f in city_flags}
    assert "此前无按时收集并记录的证据" in zh["RF07.a"] and "采集" not in zh["RF07.a"]


def test_a_toll_pattern_says_no_rectification_was_verified(city_flags: list[Flag]) -> None:
    """RF13.c said 其间无经复查的整改 (an English noun phrase); a reader writes that the
    rectification was not verified on review (复查确认整改)."""
    zh = {f.rule_id: f.summary_zh for f in city_flags}
    assert zh["RF13.c"].endswith("次，期间均未经复查确认整改")
