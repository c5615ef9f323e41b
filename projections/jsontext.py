"""The JSON text of the read models' states, integers exact however wide.

Every amount the door takes is within ±(2^53-1), but a case's total of them need not be: 2,049
collections of 2^53-1 fen pass 64 bits, the widest integer orjson writes (it refuses the
state) or reads (as a float, inexactly). Until 2026-11-28 such a case stopped the read models
for good: saving it raised on every attempt. PostgreSQL's jsonb keeps any integer exactly; these
functions write and read one through the standard library's codec, and leave every other state
to orjson.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: a run of digits as long as an integer orjson reads only as a float (2^64 has 20 digits)
_WIDE = re.compile(r"[0-9]{20}")


def state_json(state: Any) -> str:
    """``state`` as JSON text; an integer beyond 64 bits is written exactly."""
    return json_bytes(state).decode()


def json_bytes(value: Any) -> bytes:
    """``value`` as JSON (UTF-8), as orjson writes it; an integer beyond 64 bits is written
    exactly (what an HTTP read of such a state answers)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def state_of(text: str) -> Any:
    """A state from its JSON text, integers exact however wide: a text with 20 digits in a row
    is read by the standard library's parser."""
    return orjson.loads(text) if _WIDE.search(text) is None else json.loads(text)
