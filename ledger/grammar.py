"""The envelope's field grammar, in one place for the service and the offline verifier.

Standard library only (the verifier imports it). Every pattern is meant for ``fullmatch``: they
carry no anchors, because ``$`` also matches before a final newline.
"""

from __future__ import annotations

import re

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: a stream's id, and an identifier in a body: letters, digits and ``. _ : / -``, starting with a
#: letter or digit, its ``/``-separated segments neither empty nor ``.`` or ``..``. It is read in
#: URL paths (GET /v1/streams/{stream}/events, /v1/cases/{case_id}), where clients remove dot
#: segments (RFC 3986 §5.2.4) and proxies merge slashes: case:A/./B was read back as case:A/B.
#: Context-free (no anchor, no lookbehind): the verifier's line pattern embeds it, the JSON Schema
#: of an identifier carries it (ECMA-262).
ID = r"[A-Za-z0-9][A-Za-z0-9._:-]*(?:/(?!\.\.?(?![A-Za-z0-9._:-]))[A-Za-z0-9._:-]+)*"
#: ``<kind>:<id>``, the id of at most 128 characters, or ``keys``
STREAM_PATTERN = r"keys|[a-z][a-z0-9_-]{0,31}:(?![A-Za-z0-9._:/-]{129})" + ID
STREAM = re.compile(STREAM_PATTERN)
EVENT_TYPE = re.compile(r"[A-Z][A-Za-z0-9]{1,63}")
SIGNER = re.compile(r"key:[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: a calendar day, YYYY-MM-DD in ASCII digits (``\d`` admits other scripts; ``date.fromisoformat``
#: also reads 20241001 and 2024-W40-2)
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
                     r"(Z|[+-][0-9]{2}:[0-9]{2})")
#: 64 bytes as unpadded base64url whose final character carries no stray bits (canonical)
SIGNATURE = re.compile(r"[A-Za-z0-9_-]{85}[AQgw]")
