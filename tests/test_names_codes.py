"""Every code a body carries has a Chinese name (ledger/domain/names.py ``CODES_ZH``), served by
GET /v1/vocabulary under ``codes``: only evidence kinds and complaint categories had one, so the
Chinese page printed 送达方式, outcomes, measures and the like as English codes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ledger.domain import names, vocabulary
from ledger.schemas import Enum, ListOf, Nullable, Obj, Opt

HAN = re.compile(r"[\u4e00-\u9fff]")


def _enums(schema: Any, path: str) -> dict[str, tuple[str, ...]]:
    while isinstance(schema, (Opt, Nullable, ListOf)):
        schema = schema.item if isinstance(schema, ListOf) else schema.inner
    if isinstance(schema, Enum):
        return {path: schema.values}
    if isinstance(schema, Obj):
        return {k: v for field, inner in schema.fields.items()
                for k, v in _enums(inner, f"{path}.{field}").items()}
    return {}


def _enumerated_fields() -> dict[str, tuple[str, ...]]:
    """Read from the schemas themselves (fields of nested objects too), not from what names.py or
    labels() list."""
    return {k: v for name, t in vocabulary.EVENT_TYPES.items()
            for k, v in _enums(t.body, name).items()}


def test_every_value_of_every_enumerated_body_field_has_a_chinese_name() -> None:
    fields = _enumerated_fields()
    codes = vocabulary.labels()["codes"]
    assert len(fields) > 60
    assert fields["PenaltyDecided.party.party_type"] == ("individual", "organisation")
    assert {key: set(values) for key, values in fields.items()} == {
        key: set(named) for key, named in codes.items()}
    unnamed = [(key, code, name) for key, named in codes.items() for code, name in named.items()
               if not HAN.search(name) and key != "EvidenceRecorded.hash_alg"]
    assert unnamed == []


def test_service_is_named_by_the_modes_of_apl_article_61() -> None:
    codes = vocabulary.labels()["codes"]
    assert codes["DecisionServed.method"] == {
        "on_the_spot": "当场交付", "in_person": "直接送达", "post": "邮寄送达",
        "electronic": "电子送达", "left_at_address": "留置送达", "announcement": "公告送达"}
    assert codes["PenaltyNoticeServed.service_method"].items() <= \
        codes["DecisionServed.method"].items()
    assert codes["PropertySeized.measure"] == {
        "temporary_seizure": "暂扣", "sealing": "查封", "detention": "扣押",
        "registration_preservation": "先行登记保存"}


def test_the_generated_docs_show_the_names_beside_the_codes() -> None:
    method = vocabulary.lookup("DecisionServed").body.fields["method"]
    assert "`left_at_address` (留置送达 / " in method.describe()       # the English after it


@pytest.mark.parametrize("table", ["CODES_ZH", "CODES_EN"])
def test_a_value_left_unnamed_is_refused(monkeypatch: pytest.MonkeyPatch, table: str) -> None:
    codes = getattr(names, table)
    named = dict(codes["DecisionServed.method"])
    del named["announcement"]
    monkeypatch.setitem(codes, "DecisionServed.method", named)
    with pytest.raises(ValueError, match=rf"{table}\['DecisionServed\.method'\].*announcement"):
        vocabulary._name_codes()


@pytest.mark.parametrize("table", ["CODES_ZH", "CODES_EN"])
def test_a_value_named_empty_is_refused(monkeypatch: pytest.MonkeyPatch, table: str) -> None:
    codes = getattr(names, table)
    monkeypatch.setitem(codes, "DecisionServed.method",
                        {**codes["DecisionServed.method"], "announcement": ""})
    with pytest.raises(ValueError, match=rf"{table}\['DecisionServed\.method'\].*announcement"):
        vocabulary._name_codes()


@pytest.mark.parametrize("table", ["CODES_ZH", "CODES_EN"])
def test_a_field_left_unnamed_is_refused(monkeypatch: pytest.MonkeyPatch, table: str) -> None:
    monkeypatch.delitem(getattr(names, table), "PropertySeized.measure")
    with pytest.raises(ValueError, match=rf"{table} .*PropertySeized\.measure"):
        vocabulary._name_codes()
