"""What every flag's Chinese explanation must be: a non-empty sentence in Chinese, in which
ASCII letters appear only inside the ids and codes the flag itself carries (its subject,
events, numbers, discriminator, rule id); and its English one: amounts in CNY, never in fen
(the numbers keep the fen). ``conftest.py`` applies both to every flag any test raises;
test_redflags_summary_zh.py shows they can fail."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from projections.redflags.flag import Flag

_CJK = re.compile(r"[\u4e00-\u9fff]")
_FEN = re.compile(r"\d+ fen\b")
_LETTERS = re.compile(r"[A-Za-z]+")
#: Chinese statistical terms written with a Latin letter, as a statistician in China writes them
#: (RF17's robust z-score, 稳健Z分数; RF19.b's p-value, P值)
_TERMS = ("Z分数", "P值")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def ids_and_codes(flag: Flag) -> Iterable[str]:
    """The strings a flag carries besides its sentences and names: what ``summary_zh`` may
    quote as they are."""
    value = flag.to_value()
    for key in ("summary", "summary_zh", "name", "legal_basis"):
        value.pop(key)
    yield from _strings(value)
    yield from flag.discriminator.split("|")


def untranslated(flag: Flag) -> list[str]:
    """The ASCII words of ``flag.summary_zh`` that are not ids or codes of the flag (empty when
    it is a proper Chinese sentence); ``["<no Chinese>"]`` when it has no Chinese at all."""
    text = flag.summary_zh
    if not _CJK.search(text):
        return ["<no Chinese>"]
    for term in _TERMS:
        text = text.replace(term, " ")
    for s in sorted(set(ids_and_codes(flag)), key=len, reverse=True):
        if len(s) > 1:
            text = text.replace(s, " ")
    return _LETTERS.findall(text)


def amounts_in_fen(flag: Flag) -> list[str]:
    """The amounts ``flag.summary`` (English) writes in fen (``"20000 fen"``), which a reader
    should be given in CNY (``"200.00 CNY"``, :func:`projections.redflags.zh.cny`)."""
    return _FEN.findall(flag.summary)
