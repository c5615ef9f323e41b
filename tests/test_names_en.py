"""Every event type and every code a body carries has an English name beside its Chinese one
(ledger/domain/names.py ``NAMES_EN``, ``CODES_EN``), served by GET /v1/vocabulary: the English
page of the dashboard showed the wire codes (``onsite_cash_with_receipt``,
``PropertyInventorySigned``, ``hotline_12345``), which an English-reading auditor had to
decode."""

from __future__ import annotations

import re

import pytest

from ledger.domain import names, vocabulary
from ledger.domain.docgen import render

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_event_type_has_an_english_name_beside_its_chinese_one() -> None:
    types = vocabulary.labels()["types"]
    assert types.keys() == vocabulary.EVENT_TYPES.keys()
    assert types["PenaltyNoticeServed"] == {"zh": "送达行政处罚事先告知书",
                                            "en": "Penalty notice served"}
    untranslated = [t for t, name in types.items()
                    if not name["en"] or HAN.search(name["en"]) or name["en"] == t]
    assert untranslated == []


def test_every_value_of_every_enumerated_body_field_has_an_english_name() -> None:
    labels = vocabulary.labels()
    english = labels["codes_en"]
    assert {key: set(named) for key, named in english.items()} == {
        key: set(named) for key, named in labels["codes"].items()}
    assert english["PaymentRecorded.channel"]["onsite_cash_with_receipt"] == \
        "on-site cash with an official receipt"
    assert english["ComplaintReceived.channel"]["hotline_12345"] == "12345 hotline"
    untranslated = [(key, code) for key, named in english.items()
                    for code, name in named.items()
                    if not name or HAN.search(name) or (name == code and "_" in code)]
    assert untranslated == []


def test_the_chinese_codes_keep_their_shape_for_old_clients() -> None:
    codes = vocabulary.labels()["codes"]
    assert codes["DecisionServed.method"]["left_at_address"] == "留置送达"


def test_a_type_without_an_english_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(names.NAMES_EN, "PropertyInventorySigned")
    with pytest.raises(ValueError, match=r"NAMES_EN .*PropertyInventorySigned"):
        vocabulary._check_type_names()
    monkeypatch.setitem(names.NAMES_EN, "PropertyInventorySigned", "")         # or an empty one
    with pytest.raises(ValueError, match=r"NAMES_EN .*PropertyInventorySigned"):
        vocabulary._check_type_names()
    monkeypatch.setitem(names.NAMES_EN, "PropertyInventorySigned", "Property inventory signed")
    vocabulary._check_type_names()                                          # named: accepted


def test_the_refused_name_says_which_language_it_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(names.NAMES_ZH, "PropertyInventorySigned")
    with pytest.raises(ValueError, match=r"NAMES_ZH .*PropertyInventorySigned"):
        vocabulary._check_type_names()


def test_the_generated_docs_show_the_english_names_beside_the_chinese() -> None:
    method = vocabulary.lookup("DecisionServed").body.fields["method"]
    assert "`left_at_address` (留置送达 / service by leaving at the address)" in method.describe()
    text = render()
    assert "* 中文名 (Chinese name): 签署财物清单\n* English name: Property inventory signed\n" \
        in text
