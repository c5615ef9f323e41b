"""Signed stream heads: the last event of every stream a scoped bundle holds whole.

A checkpoint commits to leaves, and its ``keys`` line to the key registry's head; neither says
where a case's stream ends, so a case bundle could leave out the case's last events (a waiver,
a refund, the closing) and verify. At export the log key therefore signs, as a C2SP signed note
bound to the bundle's checkpoint, the head of each stream the bundle holds whole::

    integrity-ledger/heads/v1
    <origin>
    <tree size>
    <base64 root hash>
    head <stream> <version> <base64 chain hash> <log index>     (one a stream, sorted by stream)

The first line is not the origin, so the note never parses as a checkpoint of the log. The
bundle carries the note in its ``end`` line's ``heads`` field. See docs/bundle.md.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .crypto import SigningKey
from .errors import VerificationError
from .grammar import STREAM
from .note import Verifier, open_note, sign_note

SPEC = "integrity-ledger/heads/v1"
_NUMBER = re.compile(r"0|[1-9][0-9]{0,15}")


class MalformedHeads(VerificationError):
    """A heads note that is not in the exact form, or one that cannot be written."""

    code = "malformed-heads"


@dataclass(frozen=True, slots=True)
class StreamHead:
    """A stream's last event below the tree size: its version (1 or more), chain hash (32
    bytes) and log index."""

    stream: str
    version: int
    chain_hash: bytes
    index: int

    def line(self) -> str:
        return (f"head {self.stream} {self.version} "
                f"{base64.b64encode(self.chain_hash).decode('ascii')} {self.index}")


@dataclass(frozen=True, slots=True)
class Heads:
    """The heads of some streams at one checkpoint (origin, tree size, root). Valid once built:
    raises MalformedHeads for a stream name outside the grammar (it holds no space, so a line
    reads back as it was written), a stream twice, a version below 1, a chain hash that is not
    32 bytes or an index at or beyond the tree size."""

    origin: str
    size: int
    root: bytes
    heads: tuple[StreamHead, ...]

    def __post_init__(self) -> None:
        streams = [h.stream for h in self.heads]
        if len(set(streams)) != len(streams):
            raise MalformedHeads("heads name a stream twice")
        if not self.origin or "\n" in self.origin or len(self.root) != 32:
            raise MalformedHeads("heads need an origin line and a 32-byte root")
        for h in self.heads:
            if not STREAM.fullmatch(h.stream):
                raise MalformedHeads(f"stream {h.stream[:140]!r} is not a stream name")
            if h.version < 1 or len(h.chain_hash) != 32 or not 0 <= h.index < self.size:
                raise MalformedHeads(f"head of stream {h.stream} is not a version from 1, a "
                                     f"32-byte chain hash and an index below {self.size}")

    @classmethod
    def of(cls, origin: str, size: int, root: bytes, heads: Iterable[StreamHead]) -> Heads:
        """Sorted by stream (code points), as the note lists them."""
        return cls(origin, size, root, tuple(sorted(heads, key=lambda h: h.stream)))

    def to_text(self) -> str:
        lines = [SPEC, self.origin, str(self.size),
                 base64.b64encode(self.root).decode("ascii"), *(h.line() for h in self.heads)]
        return "\n".join(lines) + "\n"

    def sign(self, name: str, key: SigningKey) -> str:
        return sign_note(self.to_text(), name, key)

    def by_stream(self) -> dict[str, StreamHead]:
        return {h.stream: h for h in self.heads}


def open_heads(note: str, verifiers: Sequence[Verifier]) -> Heads:
    """The heads a note signed by one of ``verifiers`` names.

    Raises an InvalidNote (ledger.note) when no such key signed it, MalformedHeads when its text
    is not in the exact form (first line the spec, streams sorted, numbers without leading
    zeros, canonical base64).
    """
    text, _ = open_note(note, verifiers)
    lines = text[:-1].split("\n")
    if len(lines) < 4 or lines[0] != SPEC:
        raise MalformedHeads(f"the note is not {SPEC}: origin, tree size, root, head lines")
    if not _NUMBER.fullmatch(lines[2]):
        raise MalformedHeads(f"tree size {lines[2][:40]!r} is not a decimal number")
    heads = [_head(line) for line in lines[4:]]
    if [h.stream for h in heads] != sorted(h.stream for h in heads):
        raise MalformedHeads("the head lines are not sorted by stream")
    return Heads(lines[1], int(lines[2]), _hash(lines[3], "root"), tuple(heads))


def _head(line: str) -> StreamHead:
    parts = line.split(" ")
    if len(parts) != 5 or parts[0] != "head" or not _NUMBER.fullmatch(parts[2]) \
            or not _NUMBER.fullmatch(parts[4]):
        raise MalformedHeads(f"line {line[:160]!r} is not 'head <stream> <version> <base64 "
                             "chain hash> <index>'")
    return StreamHead(parts[1], int(parts[2]), _hash(parts[3], f"stream {parts[1]}"),
                      int(parts[4]))


def _hash(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32 or base64.b64encode(raw).decode("ascii") != text:
        raise MalformedHeads(f"{what}: {text[:60]!r} is not 32 bytes of canonical base64")
    return raw
