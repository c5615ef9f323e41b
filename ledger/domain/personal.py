"""Personal data typed into a field that is never personal by nature (个人信息保护法 第28条).

Structural redaction keeps parties, officers and places out of the public record, but a field
the feed copies — a decision number, a legal basis, a publication URL — is free to type into.
These patterns find the identifiers that are personal whatever surrounds them: an 18-digit
resident ID number (GB 11643, birth date inside, check digit 0-9 or X), a first-generation
15-digit one (still on many people's records: area code, YYMMDD of a birth in 19xx, sequence —
recognised only with an area code starting 1-8 and a birth date that exists, so an ordinary
15-digit serial rarely reads as one), a mainland mobile number (11 digits starting 1[3-9],
optionally +86 and spaced) and a vehicle plate (province character, letter, five or six letters
and digits). A name cannot be told from words by pattern; it is kept out by the fields'
purpose, not by this check.

A match must not run into further digits, so decision numbers (沪黄城管罚〔2024〕第123号),
article numbers and numeric ids in URLs pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from ..schemas import FieldError, Str


def _any(match: re.Match[str]) -> bool:
    return True


def _born_in_19xx(match: re.Match[str]) -> bool:
    """Whether the YYMMDD of a 15-digit ID number is a day that exists (1900 was no leap year)."""
    try:
        date(1900 + int(match["yy"]), int(match["mm"]), int(match["dd"]))
    except ValueError:
        return False
    return True


#: (kind, pattern, check): a match of the pattern that passes the check is an identifier
PATTERNS: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool]], ...] = (
    ("resident ID number", re.compile(
        r"(?<![0-9])[1-9][0-9]{5}"
        r"(?P<birth>(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))"
        r"[0-9]{3}[0-9Xx](?![0-9A-Za-z])"), _any),
    # first generation (1984-2004): 6-digit area code, YYMMDD, 3-digit sequence, no check digit
    ("resident ID number", re.compile(
        r"(?<![0-9])[1-8][0-9]{5}(?P<birth>(?P<yy>[0-9]{2})(?P<mm>[0-9]{2})(?P<dd>[0-9]{2}))"
        r"[0-9]{3}(?![0-9A-Za-z])"), _born_in_19xx),
    ("mobile number", re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
                                 r"(?![0-9])"), _any),
    ("vehicle plate", re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
                                 r"[A-HJ-NP-Za-hj-np-z][·•]?[A-HJ-NP-Za-hj-np-z0-9]{5,6}"
                                 r"(?![A-Za-z0-9])"), _any),
)


def personal_data(text: str) -> str | None:
    """The kind of the first personal identifier in ``text`` ("resident ID number", "mobile
    number", "vehicle plate"), or None."""
    for kind, pattern, check in PATTERNS:
        if any(check(m) for m in pattern.finditer(text)):
            return kind
    return None


def mask(text: str) -> str:
    """``text`` with each personal identifier (:data:`PATTERNS`) masked as a receipt masks a
    card number: of an ID number the first three characters and what follows the birth date
    (sequence and check digit: 310***********1234, 15 digits 310*********123 — no digit of
    the birth date shows), of a mobile number the first three and last four (138****5678), of
    a plate its province and letter (沪A*****)."""
    for _, pattern, check in PATTERNS:
        text = pattern.sub(lambda m, check=check: _masked(m) if check(m) else m.group(), text)
    return text


def _masked(match: re.Match[str]) -> str:
    s = match.group()
    if "birth" in match.re.groupindex:      # an ID number: nothing up to the birth date's end
        shown = match.end("birth") - match.start()
        return s[:3] + "*" * (shown - 3) + s[shown:]
    if len(s) >= 11:
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    return s[:2] + "*" * (len(s) - 2)


class Impersonal(Str):
    """A :class:`Str` that refuses a value holding a personal identifier (:data:`PATTERNS`):
    for fields the public record copies as posted, so nothing personal is signed into them."""

    __slots__ = ()

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        found = len(errors)
        super().check(value, path, errors)
        kind = personal_data(value) if len(errors) == found else None
        if kind is not None:
            errors.append(FieldError(path, f"must not hold personal data: it holds what looks "
                                           f"like a {kind} (this field is published)"))

    def ok(self, value: Any) -> bool:
        return super().ok(value) and personal_data(value) is None

    def describe(self) -> str:
        return f"{super().describe()}, no ID number, mobile number or plate"
