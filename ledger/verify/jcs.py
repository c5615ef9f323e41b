"""RFC 8785 (JCS) canonical JSON for the offline verifier, standard library only.

Limited to what the ledger stores: strings, integers within ±(2^53-1), booleans, null, arrays
and objects with ASCII keys. Anything else (floats, NaN, big integers, non-ASCII keys, lone
surrogates, other Python types) is refused with :class:`NotCanonical`, never canonicalised
differently.

Why ``json.dumps(ensure_ascii=False, separators=(",", ":"), sort_keys=True)`` is RFC 8785 for
those values (and is tested byte-for-byte against ``rfc8785``):

* JCS sorts keys by UTF-16 code units, Python by code points; they agree on ASCII keys.
* JCS writes numbers as ES6 doubles; for safe integers that is the plain decimal Python writes.
* JCS escapes ``"``, ``\\`` and the controls below U+0020 (``\\b \\t \\n \\f \\r`` by name, the rest
  as ``\\u00xx`` in lowercase hex) and nothing else; so does Python's encoder with
  ``ensure_ascii=False`` (U+007F, U+2028 and all non-ASCII are written as UTF-8).
* A lone surrogate cannot be encoded as UTF-8, so ``.encode("utf-8")`` refuses it.

This module does not import :mod:`ledger.canonical` (which needs orjson) on purpose: an auditor
runs the verifier with nothing but the standard library and PyNaCl.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import repeat
from typing import Any

from ..errors import VerificationError

MAX_SAFE_INT = 2**53 - 1


class NotCanonical(VerificationError):
    """A value or a text is outside the canonical JSON the ledger stores."""

    code = "not-canonical"


def _reject_float(text: str) -> Any:
    raise NotCanonical(f"floats are not allowed (found {text})")


def _reject_constant(text: str) -> Any:
    raise NotCanonical(f"{text} is not valid JSON")


def _safe_int(text: str) -> int:
    if len(text) <= 17:          # "-" and 16 digits; int() raises ValueError past 4,300 digits
        value = int(text)
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return value
    shown = text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"
    raise NotCanonical(f"integer {shown} is outside ±(2^53-1)")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs
                   if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise NotCanonical(f"duplicate object key {dup!r}")
    for key in obj:
        if not key.isascii():
            raise NotCanonical(f"object key {key!r} is not ASCII")
    return obj


def _ascii_object(obj: dict[str, Any]) -> dict[str, Any]:
    if "".join(obj).isascii():
        return obj
    raise NotCanonical("an object key is not ASCII")


#: Strict parser: also refuses duplicate and non-ASCII keys (a Python hook per object).
_strict = json.JSONDecoder(object_pairs_hook=_object, parse_float=_reject_float,
                           parse_int=_safe_int, parse_constant=_reject_constant)
#: Fast parser for text whose canonical form is checked afterwards: the byte comparison with
#: :func:`dumps_trusted` of the result catches duplicate keys (the re-serialisation has fewer
#: members), so only what a comparison cannot see is hooked.
_fast = json.JSONDecoder(parse_float=_reject_float, parse_int=_safe_int,
                         parse_constant=_reject_constant)
#: For :func:`canonical_objects` of text with non-ASCII characters (in ASCII text, :data:`_fast`
#: suffices: no key can be anything but ASCII): each object's keys are looked at as it is built.
_fast_ascii_keys = json.JSONDecoder(object_hook=_ascii_object, parse_float=_reject_float,
                                    parse_int=_safe_int, parse_constant=_reject_constant)
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                            check_circular=False, allow_nan=False)
# The C encoder behind json.dumps, built once (JSONEncoder.encode builds one per call).
_c_encode = None if json.encoder.c_make_encoder is None else json.encoder.c_make_encoder(
    None, _encoder.default, json.encoder.encode_basestring, None, ":", ",", True, False, False)


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if data.startswith(b"\xef\xbb\xbf"):
        raise NotCanonical("a UTF-8 byte order mark is not allowed")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NotCanonical(f"not valid UTF-8 ({e.reason} at byte {e.start})") from None


def loads(data: bytes | str) -> Any:
    """Parse JSON under every guard (duplicate and non-ASCII keys, floats, unsafe integers).

    Raises NotCanonical naming the first problem.
    """
    return _decode(_strict, _text(data))


def loads_fast(data: bytes | str) -> Any:
    """Parse JSON refusing floats and unsafe integers only.

    Requires the caller to compare the input with :func:`dumps_trusted` of the result (which
    exposes duplicate keys, whitespace and key order) and to check keys with :func:`ascii_keys`.
    Raises NotCanonical.
    """
    return _decode(_fast, _text(data))


def _decode(decoder: json.JSONDecoder, text: str) -> Any:
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as e:
        raise NotCanonical(f"invalid JSON: {e.msg} at column {e.colno}") from None
    except RecursionError:
        raise NotCanonical("JSON nested too deeply") from None


def dumps_trusted(value: Any) -> bytes:
    """JCS bytes of a value parsed by :func:`loads` / :func:`loads_fast` (guards already met).

    Raises NotCanonical for a string that cannot be UTF-8 (a lone surrogate).
    """
    try:
        if _c_encode is not None and type(value) is dict:
            return "".join(_c_encode(value, 0)).encode("utf-8")
        return _encoder.encode(value).encode("utf-8")
    except UnicodeEncodeError:
        raise NotCanonical("a string holds a lone surrogate") from None
    except (TypeError, ValueError) as e:
        raise NotCanonical(f"not a JSON value: {e}") from None


def dumps(value: Any) -> bytes:
    """JCS bytes of any value built in Python; refuses what RFC 8785-without-floats cannot hold.

    Raises NotCanonical for floats, integers outside ±(2^53-1), non-string or non-ASCII keys,
    lone surrogates and non-JSON types (tuples are written as arrays).
    """
    _check(value)
    return dumps_trusted(value)


def canonical_objects(texts: Sequence[bytes]) -> list[Any]:
    """The parsed value of each text that is canonical JSON for an object with ASCII keys (the
    rules of :func:`loads_fast` + :func:`dumps_trusted` + :func:`ascii_keys`), else None.

    Requires every text to start with ``{``. Checks all of them with one parse and one
    comparison when they all pass, which is what a well-formed bundle holds; only when one does
    not is each text checked on its own.
    """
    values = _all_canonical(texts)
    if values is not None:
        return values
    return [_canonical_object(text) for text in texts]


def _all_canonical(texts: Sequence[bytes]) -> list[Any] | None:
    joined = b"\n,".join(texts)
    decoder = _fast if joined.isascii() else _fast_ascii_keys
    try:
        text = joined.decode("utf-8")
        values = decoder.decode("[" + text + "]")
        # The newlines are where the texts meet, in both strings (canonical JSON has none): so
        # equal strings mean every text is exactly the serialisation of one value on its own.
        if _c_encode is None or "\n,".join(map("".join, map(_c_encode, values, repeat(0)))) \
                != text:
            return None
    except (UnicodeDecodeError, json.JSONDecodeError, NotCanonical, RecursionError):
        return None
    return values


def _canonical_object(text: bytes) -> Any:
    try:
        value = loads_fast(text)
        if type(value) is not dict or dumps_trusted(value) != text:
            return None
    except NotCanonical:
        return None
    return value if text.isascii() or ascii_keys(value) else None


def ascii_keys(value: Any) -> bool:
    """True if every object key inside ``value`` is ASCII."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            for k, v in item.items():
                if not k.isascii():
                    return False
                if type(v) is dict or type(v) is list:
                    stack.append(v)
        elif type(item) is list:
            stack.extend(v for v in item if type(v) is dict or type(v) is list)
    return True


def _check(value: Any) -> None:
    t = type(value)
    if t is str or t is bool or value is None:
        return
    if t is int:
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise NotCanonical(f"integer {value} is outside ±(2^53-1)")
        return
    if t is dict:
        for k, v in value.items():
            if type(k) is not str:
                raise NotCanonical(f"object key {k!r} must be a string")
            if not k.isascii():
                raise NotCanonical(f"object key {k!r} is not ASCII")
            _check(v)
        return
    if t is list or t is tuple:
        for v in value:
            _check(v)
        return
    if t is float:
        raise NotCanonical(f"floats are not allowed (found {value!r})")
    raise NotCanonical(f"{t.__name__} is not a JSON value")
