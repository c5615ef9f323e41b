"""C2SP transparency-log checkpoints (https://c2sp.org/tlog-checkpoint), signed as notes.

The note text is the origin line, the tree size in decimal, the base64 root hash and optional
extension lines, each ending in a newline.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .crypto import SigningKey
from .errors import VerificationError
from .merkle import HASH_SIZE
from .note import Verifier, open_note, sign_note

MAX_TREE_SIZE = 2**64 - 1  # tree sizes are uint64 in every other implementation

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL = re.compile(r"[\x00-\x1f]")


class MalformedCheckpoint(VerificationError):
    """The text is not a well-formed checkpoint."""

    code = "malformed-checkpoint"


class CheckpointOriginMismatch(VerificationError):
    """A validly signed checkpoint names another log."""

    code = "checkpoint-origin-mismatch"

    def __init__(self, *, expected: str, found: str) -> None:
        super().__init__(f"checkpoint origin {found!r} is not the expected {expected!r}",
                         expected=expected, found=found)
        self.expected = expected
        self.found = found


def _check_line(line: str, what: str) -> None:
    if not line:
        raise MalformedCheckpoint(f"{what} must not be empty")
    if m := _CONTROL.search(line):
        raise MalformedCheckpoint(f"{what} contains control character U+{ord(m.group()):04X}")


#: the longest log origin ``ledger init --origin`` takes
MAX_ORIGIN = 255


def check_origin(origin: str) -> str:
    """``origin`` if a log can be named so, else raises MalformedCheckpoint saying why. It is
    the first line of every checkpoint and, as the log's note key name, of every signature
    line: non-empty, at most MAX_ORIGIN characters, no space, no control character and no
    "+" (C2SP signed-note key names), and schema-less as C2SP tlog-checkpoint asks."""
    _check_line(origin, "a log origin")
    if len(origin) > MAX_ORIGIN:
        raise MalformedCheckpoint(f"a log origin has at most {MAX_ORIGIN} characters, "
                                  f"not {len(origin)}")
    if any(ch.isspace() for ch in origin):
        raise MalformedCheckpoint(f"a log origin contains no space: {origin!r}")
    if "+" in origin:
        raise MalformedCheckpoint(f"a log origin contains no '+' (it is the key name of the "
                                  f"checkpoints' signatures): {origin!r}")
    _, sep, rest = origin.partition("://")
    if sep:
        raise MalformedCheckpoint(f"a log origin is a URL without its scheme: {rest!r}, not "
                                  f"{origin!r}")
    return origin


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, size and RFC 9162 root hash. Valid once built.

    Raises MalformedCheckpoint for an empty origin or extension line, a line break or control
    character inside a line, a size outside 0..2**64-1, or a root hash that is not 32 bytes.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int) \
                or not 0 <= self.size <= MAX_TREE_SIZE:
            raise MalformedCheckpoint(f"tree size must be an integer in 0..2**64-1, "
                                      f"found {self.size!r}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise MalformedCheckpoint(f"root hash must be {HASH_SIZE} bytes")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for i, line in enumerate(self.extensions):
            _check_line(line, f"extension line {i + 1}")

    def to_text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii"),
                 *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        """Parse checkpoint note text strictly. Raises MalformedCheckpoint saying what is wrong."""
        if not text.endswith("\n"):
            raise MalformedCheckpoint("checkpoint text must end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedCheckpoint(f"checkpoint needs origin, size and root hash lines, "
                                      f"found {len(lines)} line(s)")
        origin, size, root, *extensions = lines
        # Regex on ASCII digits: int() would accept '+1', ' 1', '1_0' and non-ASCII digits.
        if not _SIZE.fullmatch(size):
            raise MalformedCheckpoint(f"tree size {size[:40]!r} is not a decimal number "
                                      "without leading zeros")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedCheckpoint(f"root hash {root[:60]!r} is not standard base64") from None
        if base64.b64encode(root_hash).decode("ascii") != root:
            raise MalformedCheckpoint(f"root hash {root!r} is not canonical standard base64")
        return cls(origin=origin, size=int(size), root_hash=root_hash,
                   extensions=tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, name: str, key: SigningKey) -> str:
    """The checkpoint as a note signed by ``key`` under key ``name`` (SHOULD be the origin)."""
    return sign_note(checkpoint.to_text(), name, key)


def open_checkpoint(note: str | bytes, verifiers: Iterable[Verifier], origin: str) -> Checkpoint:
    """Verify a signed checkpoint from the log ``origin``; return it.

    ``verifiers`` should hold only the log's own keys: a signature from any of them is accepted.
    Raises the errors of :func:`ledger.note.open_note`, then MalformedCheckpoint or
    CheckpointOriginMismatch.
    """
    # The text is ignored until a trusted signature over it has been verified.
    text, _ = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(text)
    if checkpoint.origin != origin:
        raise CheckpointOriginMismatch(expected=origin, found=checkpoint.origin)
    return checkpoint
