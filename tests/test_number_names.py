"""Every number a red flag gives has a Chinese and an English name
(projections/redflags/number_names.py ``NUMBER_NAMES``, served by GET /v1/vocabulary under
``numbers``): the dashboard showed the raw key, so a Chinese discipline inspector read
"window_working_days: 7"."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger.crypto import SigningKey
from ledger.synth.generator import SyntheticCity
from ledger.synth.params import CityParams
from projections.redflags import Flag
from projections.redflags.engine import compute_flags
from ledger.domain.names import CODES_ZH
from projections.redflags.zh import CODES as ZH_CODES
from projections.redflags.number_names import NUMBER_NAMES, number_labels
from tests.test_ground_truth import history

HAN = re.compile(r"[\u4e00-\u9fff]")
RULES_DIR = Path(__file__).resolve().parents[1] / "projections" / "redflags"
APP = Path(__file__).resolve().parents[1] / "api" / "static" / "dashboard" / "app.js"
#: a value a rule writes as a code of its own or of the vocabulary (high, co_officer_on_case)
CODE = re.compile(r"[a-z][a-z_]*")


@pytest.fixture(scope="module", params=[0, 1], ids=["seed0", "seed1"])
def city_flags(request: pytest.FixtureRequest) -> list[Flag]:
    params = CityParams.scale("small", seed=request.param)
    city = SyntheticCity(params, root_key=SigningKey(bytes(32)), root_key_id="root-1")
    at = datetime.combine(params.start + timedelta(days=params.days + 120),
                          datetime.min.time(), tzinfo=UTC)
    return compute_flags(history(city), at=at)


def _keys_by_rule(flags: list[Flag]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = defaultdict(set)
    for f in flags:
        keys[f.rule_id].update(dict(f.numbers))
    return keys


def test_every_number_a_flag_of_the_small_city_gives_has_both_names(city_flags: list[Flag]
                                                                     ) -> None:
    by_rule = _keys_by_rule(city_flags)
    seen = set().union(*by_rule.values())
    assert len(by_rule) >= 60 and len(seen) >= 150          # the city exercises most rules
    missing = {rule: sorted(keys - NUMBER_NAMES.keys()) for rule, keys in sorted(by_rule.items())
               if keys - NUMBER_NAMES.keys()}
    assert missing == {}, f"number keys without a name (rule: keys): {missing}"


def _literal_keys() -> dict[str, set[str]]:
    """The keys written literally in the rules' ``numbers`` (a ``numbers=`` argument, a dict
    bound to numbers/base/said/nums, or ``numbers["key"] = ``): the keys of rules the synthetic
    city does not raise."""
    holders = {"numbers", "base", "said", "nums"}
    keys: dict[str, set[str]] = defaultdict(set)
    for path in sorted(RULES_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.keyword) and node.arg == "numbers":
                values.append(node.value)
            elif isinstance(node, ast.AugAssign):                # numbers |= {...}
                if isinstance(node.target, ast.Name) and node.target.id in holders:
                    values.append(node.value)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "update" and isinstance(node.func.value, ast.Name)
                  and node.func.value.id in holders):                # said.update(key=...)
                keys.update({kw.arg: keys[kw.arg] | {path.name} for kw in node.keywords if kw.arg})
                values.extend(node.args)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in holders:
                        values.append(node.value)
                    elif (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                          and target.value.id in holders
                          and isinstance(target.slice, ast.Constant)):
                        keys[target.slice.value].add(path.name)
            for value in values:
                for sub in ast.walk(value):
                    if isinstance(sub, ast.Dict):
                        for k in sub.keys:
                            if isinstance(k, ast.Constant) and isinstance(k.value, str):
                                keys[k.value].add(path.name)
    return keys


def test_every_number_key_written_in_a_rule_has_both_names() -> None:
    written = _literal_keys()
    assert {"amount_fen", "window_working_days", "days_late", "band_min_fen"} <= written.keys()
    missing = {k: sorted(files) for k, files in sorted(written.items()) if k not in NUMBER_NAMES}
    assert missing == {}, f"number keys without a name (key: files): {missing}"


def test_every_number_docs_red_flags_lists_for_a_rule_has_both_names() -> None:
    text = (RULES_DIR.parents[1] / "docs" / "red-flags.md").read_text(encoding="utf-8")
    listed: set[str] = set()
    for m in re.finditer(r"\*\*Numbers\*\*:(.*?)(?:\n\* |\n\n|\*\*[A-Z])", text, re.DOTALL):
        listed |= set(re.findall(r"`([a-z][a-z0-9_-]*)`", m.group(1)))
    assert {"qualified_officers", "cash_fen", "device_signed_unproven"} <= listed
    # raised_at and event_ids are the flag's own fields, device_signed the evidence body's, all
    # named in passing
    assert sorted(listed - NUMBER_NAMES.keys() - {"raised_at", "event_ids", "device_signed"}) \
        == []


def test_no_two_numbers_of_one_rule_share_a_name(city_flags: list[Flag]) -> None:
    clashes = []
    for rule, keys in sorted(_keys_by_rule(city_flags).items()):
        for lang, i in (("zh", 0), ("en", 1)):
            by_name: dict[str, list[str]] = defaultdict(list)
            for key in sorted(keys & NUMBER_NAMES.keys()):
                by_name[NUMBER_NAMES[key][i]].append(key)
            clashes += [(rule, lang, name, ks) for name, ks in by_name.items() if len(ks) > 1]
    assert clashes == []


def test_each_name_is_in_its_language_and_no_name_serves_two_keys() -> None:
    bad = [(key, zh, en) for key, (zh, en) in NUMBER_NAMES.items()
           if not HAN.search(zh) or not en or HAN.search(en) or (en == key and "_" in key)]
    assert bad == []
    for i in (0, 1):
        names = [pair[i] for pair in NUMBER_NAMES.values()]
        assert sorted({n for n in names if names.count(n) > 1}) == []
    assert NUMBER_NAMES["amount_fen"] == ("罚款金额", "fine amount")
    assert NUMBER_NAMES["band_min_fen"] == ("裁量基准下限", "benchmark band minimum")
    assert NUMBER_NAMES["z"] == ("稳健Z分数", "robust z-score")
    assert NUMBER_NAMES["days_late"] == ("逾期天数", "days late")
    assert number_labels()["window_working_days"] == {"zh": NUMBER_NAMES["window_working_days"][0],
                                                      "en": NUMBER_NAMES["window_working_days"][1]}


def _js_const(name: str) -> str:
    """The text of ``const <name> = …;`` in the dashboard's app.js."""
    text = APP.read_text(encoding="utf-8")
    start = text.index(f"const {name} = ")
    return text[start:text.index(";", start)]


def _zh_labels() -> set[str]:
    text = APP.read_text(encoding="utf-8")
    return set(re.findall(r'"([\w.]+)":', text[text.index("  zh: {"):text.index("\n  en: {")]))


def test_every_code_a_number_holds_is_named_on_the_chinese_page(city_flags: list[Flag]) -> None:
    """The Chinese page showed a number's code as it is — 偏离方向: high, 关系: relative,
    状态: suspended, 职务: unit_head — where the key had a name and the code none. Every code a
    flag of the small city gives is named the way the page looks it up (``scalarText``): the
    engine's problems, a pledge chain's status, a vocabulary field's codes (``NUMBER_CODES``)
    or the page's own label group of the key (``NUMBER_LABELS``)."""
    zh = _zh_labels()
    problems = set(re.findall(r'"(\w+)"', _js_const("NUMBER_PROBLEMS")))
    fields = dict(re.findall(r'(\w+): "([\w.]+)"', _js_const("NUMBER_CODES")))
    groups = dict(re.findall(r'(\w+): "(\w+)"', _js_const("NUMBER_LABELS")))
    tails = dict(re.findall(r'(\w+): "(\w+)"', _js_const("NUMBER_TAILS")))

    def named(key: str, code: str) -> bool:
        return ((key in problems and f"numcode.{code}" in zh)
                or (key == "chain_status" and f"pledge.{code}" in zh)
                or (key.endswith("_fields") and code in NUMBER_NAMES)
                or code in CODES_ZH.get(fields.get(key, ""), {})
                or f"{groups.get(key)}.{code}" in zh)

    def codes(key: str, value: object) -> list[tuple[str, str]]:
        """(the key the page names it by, the code) of each code ``value`` holds; an item
        ``id:…:code`` of a key in ``NUMBER_TAILS`` by its tail."""
        out = []
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and key in tails and ":" in item:
                out.append((tails[key], item.rpartition(":")[2]))
            elif isinstance(item, str):
                out.append((key, item))
        return [(k, c) for k, c in out if CODE.fullmatch(c)]

    unnamed = {(f.rule_id, key, code) for f in city_flags for k, value in dict(f.numbers).items()
               for key, code in codes(k, value) if not named(key, code)}
    assert sorted(unnamed) == [], sorted(unnamed)


def test_the_pages_names_of_the_engines_codes_are_the_flags_own_words() -> None:
    """A credential's status and a person's relation are named on the Chinese page as the
    flags' ``summary_zh`` names them (projections/redflags/zh.py ``CODES``), not in words of
    the page's own: the same code, the same words (a credential ``withdrawn``, 已收回, is not a
    decision withdrawn, 撤销)."""
    text = APP.read_text(encoding="utf-8")
    zh = dict(re.findall(r'"((?:credst|relation)\.\w+)":\s*"([^"]*)"',
                         text[text.index("  zh: {"):text.index("\n  en: {")]))
    assert len(zh) >= 15
    differ = {key: (page, ZH_CODES[key.partition(".")[2]]) for key, page in zh.items()
              if key.partition(".")[2] in ZH_CODES and key != "credst.withdrawn"
              and page != ZH_CODES[key.partition(".")[2]]}
    assert differ == {}



def test_cash_handed_in_to_the_agency_is_not_named_as_paid_to_the_treasury() -> None:
    """RF05's ``remitted_fen`` and ``remitted_at`` are the cash an officer handed in to the
    agency (OnsiteCashRemitted: 交至行政机关, APL 第71条), which then owes its deposit with the
    bank (RF05.c). They were named 上缴国库金额 / 上缴时间 ("remitted to the treasury"), so the
    page told an inspector the money had reached the treasury — 上缴 is the treasury's step
    (APL 第67条、第74条), two steps further on."""
    for key in ("remitted_fen", "remitted_at"):
        zh, en = NUMBER_NAMES[key]
        assert "交至行政机关" in zh and "上缴" not in zh and "treasury" not in en
