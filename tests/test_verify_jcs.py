"""The verifier's standard-library RFC 8785 serialiser, against `rfc8785` and the RFC vectors."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import rfc8785

from ledger.verify import jcs

VECTORS = json.loads((Path(__file__).parent / "vectors" / "transparency_and_jcs_vectors.json")
                     .read_text())["jcs"]
CASES = {c["name"]: c for c in VECTORS["files"]["cases"]}


@pytest.mark.parametrize("name", ["arrays", "unicode"])
def test_matches_the_rfc8785_vectors_it_can_hold(name: str) -> None:
    assert jcs.dumps(json.loads(CASES[name]["input"])).hex() == CASES[name]["expected_hex"]


@pytest.mark.parametrize("name, message", [
    ("values", "floats are not allowed"),
    ("structures", "floats are not allowed"),
    ("french", "is not ASCII"),
    ("weird", "is not ASCII"),
])
def test_refuses_the_vectors_outside_what_the_ledger_stores(name: str, message: str) -> None:
    with pytest.raises(jcs.NotCanonical, match=message):
        jcs.dumps(json.loads(CASES[name]["input"]))
    with pytest.raises(jcs.NotCanonical, match=message):
        jcs.loads(CASES[name]["input"])


def _value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.choice([0, -1, 2**53 - 1, -(2**53 - 1), rng.randint(-(2**53) + 1, 2**53 - 1)])
    if kind == 1:   # every kind of character JCS treats specially, and the astral planes
        return "".join(chr(rng.choice([rng.randrange(0x20), rng.randrange(0x20, 0x80),
                                       0x7f, 0x2028, 0x2029, 0xfeff, rng.randrange(0xa0, 0xd800),
                                       rng.randrange(0xe000, 0x110000)]))
                       for _ in range(rng.randrange(10)))
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.choice(["", "占道设摊经营", '"\\/', "</script>", "\x00\x1f"])
    if kind in (4, 5):
        return {"".join(chr(rng.randrange(0x20, 0x7f)) for _ in range(rng.randrange(6))):
                _value(rng, depth + 1) for _ in range(rng.randrange(6))}
    return [_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def test_is_byte_identical_to_rfc8785_on_random_values() -> None:
    rng = random.Random(9162)
    for _ in range(5000):
        value = _value(rng)
        expected = rfc8785.dumps(value)
        assert jcs.dumps(value) == expected
        assert jcs.dumps_trusted(jcs.loads(expected)) == expected


@pytest.mark.parametrize("value, message", [
    (1.5, "floats are not allowed"),
    (2**53, "outside"),
    (-(2**53), "outside"),
    ({"é": 1}, "not ASCII"),
    ({1: "a"}, "must be a string"),
    ("\ud800", "lone surrogate"),
    ({"a": {1, 2}}, "set is not a JSON value"),
    (b"bytes", "bytes is not a JSON value"),
])
def test_refuses_what_the_ledger_never_stores(value: object, message: str) -> None:
    with pytest.raises(jcs.NotCanonical, match=message):
        jcs.dumps(value)


@pytest.mark.parametrize("text, message", [
    ('{"a":1,"a":2}', "duplicate object key 'a'"),
    ('{"a":1.0}', "floats are not allowed"),
    ('{"a":NaN}', "NaN is not valid JSON"),
    ('{"a":9007199254740992}', "outside"),
    ('{"é":1}', "not ASCII"),
    ('{"a":1} x', "invalid JSON"),
])
def test_strict_parse_refuses_ambiguous_json(text: str, message: str) -> None:
    with pytest.raises(jcs.NotCanonical, match=message):
        jcs.loads(text.encode())


def test_strict_parse_refuses_a_bom_and_invalid_utf8() -> None:
    with pytest.raises(jcs.NotCanonical, match="byte order mark"):
        jcs.loads(b'\xef\xbb\xbf{"a":1}')
    with pytest.raises(jcs.NotCanonical, match="not valid UTF-8"):
        jcs.loads(b'{"a":"\xed\xa0\x80"}')


@pytest.mark.parametrize("text", [
    '{"a":1,"b":2}', '{"a":"\\n\\u001f","b":[true,false,null]}', '{"n":"占\u2028"}',
])
def test_canonical_text_survives_a_fast_parse_and_reserialisation(text: str) -> None:
    assert jcs.dumps_trusted(jcs.loads_fast(text.encode())) == text.encode()


@pytest.mark.parametrize("text", [
    '{"b":2,"a":1}',            # key order
    '{"a": 1}',                 # whitespace
    '{"a":1,"a":1}',            # duplicate key, same value
    '{"a":"\\u0041"}',          # unnecessary escape
    '{"a":"\\/"}',              # escaped solidus
    '{"a":"\\ud83d\\ude02"}',   # astral character escaped instead of written as UTF-8
    '{"a":-0}',                 # negative zero
    '{"a":"\\u000A"}',          # uppercase hex escape
])
def test_non_canonical_text_does_not_survive_reserialisation(text: str) -> None:
    assert jcs.dumps_trusted(jcs.loads_fast(text.encode())) != text.encode()
