"""RFC 8785 (JCS) canonical JSON: the one place signed and hashed bytes come from.

Two entry points:

* :func:`parse_strict` parses untrusted JSON and refuses anything that could make two parsers
  disagree about what was signed: invalid UTF-8, a BOM, duplicate object keys, floats (and
  NaN/Infinity), integers outside ±(2^53-1), lone surrogates, and non-ASCII object keys.
* :func:`canonical` serialises a value to its JCS bytes. For values that satisfy the same
  guards, orjson with sorted keys is byte-identical to RFC 8785 (tested against ``rfc8785`` on
  the RFC vectors and on generated events); anything outside the guards is refused rather than
  canonicalised differently.

Why the guards are exactly these: JCS sorts keys by UTF-16 code units, orjson by code points —
they agree on ASCII keys. JCS formats numbers as ES6 doubles; for safe integers that is the
plain decimal orjson writes. Control characters are escaped identically (checked in tests).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from .errors import MalformedEvent

MAX_SAFE_INT = 2**53 - 1
MAX_DEPTH = 64        # deeper JSON is refused: no event needs it, and encoders differ past ~250
_SORT = orjson.OPT_SORT_KEYS


def _reject_float(text: str) -> Any:
    raise MalformedEvent(f"floats are not allowed in signed content (found {text}); "
                         "use integers (money is integer fen)", rule="no-floats")


def _reject_constant(text: str) -> Any:
    raise MalformedEvent(f"{text} is not valid JSON", rule="json-syntax")


def _checked_int(text: str) -> int:
    if len(text) <= 17:          # "-" and 16 digits; int() raises ValueError past 4,300 digits
        value = int(text)
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return value
    shown = text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"
    raise MalformedEvent(f"integer {shown} is outside ±(2^53-1)", rule="safe-integers")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise MalformedEvent(f"duplicate object key {dup!r}", rule="no-duplicate-keys")
    for key in obj:
        if not key.isascii():
            raise MalformedEvent(f"object key {key!r} is not ASCII", rule="ascii-keys")
    return obj


_decoder = json.JSONDecoder(
    object_pairs_hook=_object,
    parse_float=_reject_float,
    parse_int=_checked_int,
    parse_constant=_reject_constant,
)


def parse_strict(data: bytes | str) -> Any:
    """Parse untrusted JSON under the guards above.

    Raises :class:`MalformedEvent` naming the first problem found.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if raw.startswith(b"\xef\xbb\xbf"):
            raise MalformedEvent("a UTF-8 byte order mark is not allowed", rule="no-bom")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedEvent(f"body is not valid UTF-8: {e.reason} at byte {e.start}",
                                 rule="utf-8") from None
    else:
        text = data
    try:
        value, end = _decoder.raw_decode(text, _skip_ws(text, 0))
    except json.JSONDecodeError as e:
        raise MalformedEvent(f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                             rule="json-syntax") from None
    except RecursionError:
        raise MalformedEvent(f"JSON nested deeper than {MAX_DEPTH} levels",
                             rule="max-depth") from None
    if _skip_ws(text, end) != len(text):
        raise MalformedEvent("invalid JSON: extra data after the value", rule="json-syntax")
    _check(value)            # the depth limit
    return value


def parse_canonical_or_strict(data: bytes) -> Any:
    """Parse a request body: fast when it is already RFC 8785 (as the client sends it), strict
    otherwise. The fast path is taken only when re-serialising the orjson parse reproduces the
    body byte for byte — which rules out duplicate keys (a duplicate would vanish), floats,
    unsafe integers and non-ASCII keys (the guards refuse them) and any other ambiguity; every
    other body goes through :func:`parse_strict` and gets its precise error."""
    try:
        value = orjson.loads(data)
        fast = _check(value) and orjson.dumps(value, option=_SORT) == data
    except MalformedEvent:
        fast = False               # refused either way; parse_strict says why (orjson reads
                                   # an integer beyond 64 bits as a float)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, RecursionError):
        fast = False
    return value if fast else parse_strict(data)


def json_values_bound(data: bytes) -> int:
    """An upper bound on the values and object keys in the JSON text ``data``, read without
    parsing it: each but the first follows a ``,`` ``:`` ``[`` or ``{``, which are counted
    (those inside strings too, so the bound is never below the truth). Linear, in C."""
    return 1 + sum(data.count(mark) for mark in (b",", b":", b"[", b"{"))


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\n\r":
        pos += 1
    return pos


def canonical_trusted(value: Any) -> bytes:
    """JCS bytes of a value that came out of :func:`parse_strict` (or satisfies its guards).

    Raises :class:`MalformedEvent` if the value cannot be encoded (e.g. a lone surrogate).
    """
    try:
        return orjson.dumps(value, option=_SORT)
    except (orjson.JSONEncodeError, TypeError) as e:
        raise MalformedEvent(f"value cannot be canonicalised: {e}",
                             rule="unicode-scalars") from None


def canonical(value: Any) -> bytes:
    """JCS bytes of any JSON-compatible value built in Python.

    Walks the value first and refuses floats, unsafe integers, non-string keys and non-JSON
    types; objects with non-ASCII keys go to ``rfc8785`` itself, so the fast path can never
    differ from RFC 8785.
    """
    if _check(value):
        return canonical_trusted(value)
    import rfc8785  # non-ASCII keys: orjson's code-point order may differ from JCS's UTF-16 order

    return rfc8785.dumps(value)


def _check(value: Any, depth: int = 0) -> bool:
    """Raise on what JCS-with-no-floats refuses (and on nesting deeper than MAX_DEPTH); return
    False if a key is non-ASCII."""
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is int:
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise MalformedEvent(f"integer {value} is outside ±(2^53-1)", rule="safe-integers")
        return True
    if depth >= MAX_DEPTH and (t is dict or t is list or t is tuple):
        raise MalformedEvent(f"JSON nested deeper than {MAX_DEPTH} levels", rule="max-depth")
    if t is dict:
        fast = True
        for k, v in value.items():
            if type(k) is not str:
                raise MalformedEvent(f"object key {k!r} must be a string", rule="json-values")
            fast = _check(v, depth + 1) and fast and k.isascii()
        return fast
    if t is list or t is tuple:
        fast = True
        for v in value:
            fast = _check(v, depth + 1) and fast
        return fast
    if t is float:
        raise MalformedEvent(f"floats are not allowed in signed content (found {value!r})",
                             rule="no-floats")
    raise MalformedEvent(f"{t.__name__} is not a JSON value", rule="json-values")
