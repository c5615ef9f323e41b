"""The audit bundle format ``integrity-ledger/bundle/v1``: JSON Lines, one canonical object a line.

Shared by the exporter (which writes the lines) and the verifier (which rebuilds each event line
from what it parsed and requires byte equality). Standard library only. See docs/bundle.md.

Lines, in order::

    header        {"created_at", "generator", "log": {"origin", "tree_size"},
                   "policy": {"signer_roles": {type: [role, ...]}}, "scope": {...},
                   "spec": "integrity-ledger/bundle/v1", "t": "header"}
    checkpoint    {"note": <the signed checkpoint note, verbatim>, "t": "checkpoint"}
    consistency   {"first", "proof": [hex, ...], "second", "t": "consistency"}      (optional)
    anchor/event  {"envelope": <stored RFC 8785 bytes, verbatim>, "proof": [hex, ...],
                   "receipt": {"chain_hash", "index", "leaf_hash", "recorded_at",
                               "stream_version"}, "t": "anchor" | "event"}
                  ("proof" is absent from the events of a whole-log bundle)
    end           {"anchors", "edges"?: {"after"?: witness, "before"?: witness}, "events",
                   "heads"?, "t": "end"}   ("edges" in a time bundle: its boundary witnesses;
                   "heads": the signed stream heads note of a bundle of whole streams)
    witness       {"envelope", "proof", "receipt"}: an event line's fields without "t"

Every line is RFC 8785 canonical JSON (keys sorted, no whitespace), so the envelope bytes are
embedded unchanged by plain concatenation and a verifier can check a line by rebuilding it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import jcs

SPEC_BUNDLE = "integrity-ledger/bundle/v1"
#: the longest line a bundle may have: one envelope the intake takes (a body of at most 64 MiB,
#: api/ingest.py MAX_BODY) with its receipt, proof and the line's own fields. The tools refuse
#: a longer line once they have read this much of it, so a hostile bundle's multi-gigabyte line
#: is never held whole
MAX_LINE = 65 * 2**20
#: the first bytes of a gzip file: a bundle compressed for transfer, not yet decompressed
GZIP_MAGIC = b"\x1f\x8b"


def too_long(where: str) -> str:
    """What the tools say of a line (``where``) longer than MAX_LINE."""
    return (f"{where} is longer than {MAX_LINE:,} bytes: no bundle line is (one envelope the "
            "ledger takes, with its receipt and proof)")


def gzipped(tool: str) -> str:
    """What ``ledger <tool>`` says of a bundle it was given gzip-compressed."""
    return f"the file is gzip-compressed: decompress it first (gunzip -c FILE | ledger {tool} -)"

MEDIA_TYPE = "application/x-ndjson"

HEADER, CHECKPOINT, CONSISTENCY, ANCHOR, EVENT, END = (
    "header", "checkpoint", "consistency", "anchor", "event", "end")

#: The fields of each scope kind a v1 exporter writes (ledger.bundle's scopes). A verifier
#: checks membership for these kinds; it verifies the events of any other (future) kind but
#: cannot say whether the bundle holds all of them. The summary shows these fields alone: the
#: header is not signed, and another field would be repeated unjudged.
SCOPE_FIELDS = {"all": ("kind",), "case": ("case", "kind", "stream"), "stream": ("kind", "stream"),
                "time": ("from", "kind", "to"), "officer": ("kind", "officer", "streams"),
                "unit": ("kind", "streams", "unit")}
SCOPE_KINDS = tuple(SCOPE_FIELDS)
#: the streams of published configuration, which a bundle of whole streams (case, stream,
#: officer, unit) carries whole beside its scope's, as it carries ``keys``
CONFIG_PREFIX = "config:"
#: the streams of inspectors' dispositions of red flags, which a case, officer or unit bundle
#: carries whole beside its scope's (those of the flags about its cases and officers)
FLAG_PREFIX = "flag:"
#: the scope kinds whose bundles may carry ``flag:`` streams
FLAG_KINDS = ("case", "officer", "unit")
#: the scope kinds that hold their streams whole, from version 1: an anchor there would let a
#: bundle leave out a stream's first events
WHOLE_STREAMS = ("case", "stream", "officer", "unit")

RECEIPT_FIELDS = ("chain_hash", "index", "leaf_hash", "recorded_at", "stream_version")
#: ASCII digits only: ``\d`` admits other scripts' digits, and the line is rebuilt in ASCII
RECORDED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
HEX32 = re.compile(r"[0-9a-f]{64}")

_ENVELOPE_OPEN = b'{"envelope":'
_PROOF_OPEN = b',"proof":['
_RECEIPT_OPEN = b',"receipt":{"chain_hash":"'


def header_line(*, created_at: str, scope: dict[str, Any], origin: str, tree_size: int,
                signer_roles: dict[str, Sequence[str]], generator: str) -> bytes:
    return jcs.dumps({
        "t": HEADER, "spec": SPEC_BUNDLE, "created_at": created_at, "generator": generator,
        "scope": scope, "log": {"origin": origin, "tree_size": tree_size},
        "policy": {"signer_roles": {t: sorted(r) for t, r in signer_roles.items()}},
    }) + b"\n"


def checkpoint_line(note: str) -> bytes:
    return jcs.dumps({"t": CHECKPOINT, "note": note}) + b"\n"


def consistency_line(first: int, second: int, proof: Sequence[bytes]) -> bytes:
    return jcs.dumps({"t": CONSISTENCY, "first": first, "second": second,
                      "proof": [h.hex() for h in proof]}) + b"\n"


def end_line(*, events: int, anchors: int, edges: dict[str, bytes] | None = None,
             **added: Any) -> bytes:
    """The end line. ``added`` are fields v1 readers ignore (``heads``: the signed heads note
    of the streams the bundle holds whole, ledger.streamheads); a time bundle's ``edges``
    (``before``/``after`` -> :func:`witness` bytes, each present only when that entry exists)
    are embedded by concatenation, in their place among the sorted keys."""
    line = jcs.dumps({"t": END, "events": events, "anchors": anchors, **added})
    if edges is None:
        return line + b"\n"
    if any(name < "edges" for name in added):
        raise ValueError("end_line: a field sorting before edges cannot be added beside them")
    head = b'{"anchors":' + str(anchors).encode("ascii") + b","
    inner = b",".join(b'"' + name.encode("ascii") + b'":' + edges[name] for name in sorted(edges))
    return head + b'"edges":{' + inner + b"}," + line[len(head):] + b"\n"


def witness(envelope_raw: bytes, *, index: int, stream_version: int, recorded_at: str,
            chain_hash: bytes, leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    """A boundary witness of a time bundle: an event line's object without its ``t`` (same
    concatenation, so the stored envelope is embedded unchanged)."""
    return _entry_object(envelope_raw, index=index, stream_version=stream_version,
                         recorded_at=recorded_at, chain_hash=chain_hash, leaf_hash=leaf_hash,
                         proof=proof) + b"}"


def event_line(envelope_raw: bytes, *, index: int, stream_version: int, recorded_at: str,
               chain_hash: bytes, leaf_hash: bytes, proof: Sequence[bytes] | None,
               kind: str = EVENT) -> bytes:
    """One event (or anchor) line, by concatenation: ``envelope_raw`` is embedded unchanged.

    Requires ``envelope_raw`` to be RFC 8785 (what the ledger stores) and ``recorded_at`` to be
    the ledger's fixed-width UTC form; the line is then canonical JSON.
    """
    return _entry_object(envelope_raw, index=index, stream_version=stream_version,
                         recorded_at=recorded_at, chain_hash=chain_hash, leaf_hash=leaf_hash,
                         proof=proof) + b',"t":"' + kind.encode("ascii") + b'"}\n'


def _entry_object(envelope_raw: bytes, *, index: int, stream_version: int, recorded_at: str,
                  chain_hash: bytes, leaf_hash: bytes, proof: Sequence[bytes] | None) -> bytes:
    """An event line up to its receipt's closing brace (the object still open)."""
    return b"".join((
        _ENVELOPE_OPEN, envelope_raw,
        b"" if proof is None else _proof_bytes(proof),
        _RECEIPT_OPEN, chain_hash.hex().encode("ascii"),
        b'","index":', str(index).encode("ascii"),
        b',"leaf_hash":"', leaf_hash.hex().encode("ascii"),
        b'","recorded_at":"', recorded_at.encode("ascii"),
        b'","stream_version":', str(stream_version).encode("ascii"),
        b'}',
    ))


def _proof_bytes(proof: Sequence[bytes]) -> bytes:
    if not proof:
        return _PROOF_OPEN + b"]"
    return _PROOF_OPEN + b'"' + b'","'.join(h.hex().encode("ascii") for h in proof) + b'"]'


def split_event_line(line: bytes, has_proof: bool) -> tuple[bytes, bytes] | None:
    """``(envelope bytes, rest of the line)`` as laid out by :func:`event_line`, or None.

    The envelope ends where the top-level ``"proof"`` (or ``"receipt"``) member begins: the last
    occurrence of that text, because nothing after it (hex strings, integers, the fixed
    receipt keys) can contain it, and inside a canonical string a quote is always escaped.
    Requires the caller to check the parsed line against :func:`event_line` afterwards.
    """
    if not line.startswith(_ENVELOPE_OPEN):
        return None
    cut = line.rfind(_PROOF_OPEN if has_proof else _RECEIPT_OPEN)
    if cut < len(_ENVELOPE_OPEN):
        return None
    return line[len(_ENVELOPE_OPEN):cut], line[cut:]
