"""The one canonical-JSON function: RFC 8785 vectors, equivalence with rfc8785, and the guards."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import rfc8785

from ledger.canonical import canonical, parse_strict
from ledger.errors import MalformedEvent

VECTORS = json.loads((Path(__file__).parent / "vectors" / "transparency_and_jcs_vectors.json")
                     .read_text())


FLOAT_CASES = {"values", "structures"}   # these vectors contain floats, which we never sign


@pytest.mark.parametrize("case", [c for c in VECTORS["jcs"]["files"]["cases"]
                                  if c["name"] not in FLOAT_CASES], ids=lambda c: c["name"])
def test_canonical_matches_rfc8785_vectors(case: dict) -> None:
    assert canonical(json.loads(case["input"])).hex() == case["expected_hex"]


@pytest.mark.parametrize("name", sorted(FLOAT_CASES))
def test_vectors_with_floats_are_refused_not_canonicalised_differently(name: str) -> None:
    case = next(c for c in VECTORS["jcs"]["files"]["cases"] if c["name"] == name)
    with pytest.raises(MalformedEvent, match="floats are not allowed"):
        parse_strict(case["input"])
    with pytest.raises(MalformedEvent, match="floats are not allowed"):
        canonical(json.loads(case["input"]))


def _random_value(rng: random.Random, depth: int = 0):  # noqa: ANN202
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.randint(-(2**53) + 1, 2**53 - 1)
    if kind == 1:
        return "".join(chr(rng.choice([rng.randrange(0x20), rng.randrange(0x20, 0x7f),
                                       rng.randrange(0xa0, 0xd7ff), rng.randrange(0xe000, 0x10ffff)]))
                       for _ in range(rng.randrange(8)))
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.choice(["", "占道设摊经营", "\u2028", "</script>", "\x7f"])
    if kind in (4, 5):
        return {"".join(chr(rng.choice([rng.randrange(0x20, 0x7f), rng.randrange(0xa0, 0xd7ff),
                                        rng.randrange(0xe000, 0x10ffff)]))
                        for _ in range(rng.randrange(1, 6))):
                _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def test_fast_path_is_byte_identical_to_rfc8785_on_random_values() -> None:
    rng = random.Random(8785)
    for _ in range(3000):
        value = _random_value(rng)
        assert canonical(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("text, message", [
    ('{"a": 1, "a": 2}', "duplicate object key 'a'"),
    ('{"a": 1.5}', "floats are not allowed"),
    ('{"a": 1e3}', "floats are not allowed"),
    ('{"a": NaN}', "NaN is not valid JSON"),
    ('{"a": 9007199254740992}', "outside"),
    ('{"é": 1}', "not ASCII"),
    ('{"a": 1} x', "extra data"),
    ('{"a": ', "invalid JSON"),
])
def test_parse_strict_refuses_ambiguous_json(text: str, message: str) -> None:
    with pytest.raises(MalformedEvent, match=message):
        parse_strict(text.encode())


def test_parse_strict_refuses_invalid_utf8_and_bom() -> None:
    with pytest.raises(MalformedEvent, match="not valid UTF-8"):
        parse_strict(b'{"a": "\xff"}')
    with pytest.raises(MalformedEvent, match="byte order mark"):
        parse_strict(b'\xef\xbb\xbf{"a": 1}')


def test_lone_surrogate_cannot_be_canonicalised() -> None:
    value = parse_strict(b'{"a": "\\ud800"}')
    with pytest.raises(MalformedEvent, match="cannot be canonicalised"):
        canonical(value)


def test_request_parser_takes_canonical_bodies_fast_and_refuses_the_rest_strictly() -> None:
    from ledger.canonical import parse_canonical_or_strict
    value = {"b": [1, "x"], "a": {"c": None}}
    assert parse_canonical_or_strict(canonical(value)) == value
    assert parse_canonical_or_strict(b'{"b":[1,"x"],  "a":{"c":null}}') == value
    with pytest.raises(MalformedEvent, match="duplicate object key 'a'"):
        parse_canonical_or_strict(b'{"a":1,"a":2}')
    with pytest.raises(MalformedEvent, match="floats are not allowed"):
        parse_canonical_or_strict(b'{"a":1.0}')
    with pytest.raises(MalformedEvent, match="outside"):
        parse_canonical_or_strict(b'{"a":9007199254740993}')


def test_deep_nesting_is_refused_as_malformed_and_brackets_in_strings_are_not_nesting() -> None:
    from ledger.canonical import parse_canonical_or_strict
    for depth in (65, 300, 1000, 1100):
        with pytest.raises(MalformedEvent, match="nested"):
            parse_canonical_or_strict(b"[" * depth + b"]" * depth)
    text = {"note": "[" * 500 + "{" * 500}
    assert parse_canonical_or_strict(canonical(text)) == text
    assert parse_strict(json.dumps(text).encode()) == text
