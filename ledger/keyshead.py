"""The checkpoint's ``keys`` extension line: the head of the key registry at its tree size.

A C2SP checkpoint commits to leaves, not to streams, so a scoped bundle could leave out a
``KeyRevoked`` and make a revoked key look valid. Every checkpoint the ledger signs therefore
names the last event of stream ``keys`` with log index below its tree size::

    keys <version> <base64 chain hash of that version>

``version`` is decimal without leading zeros, the chain hash standard base64 of 32 bytes
(ledger.logentry's stream chain). A log without a ``keys`` event names version 0 and the
stream's genesis, ``chain_genesis("keys")``: the chain hash a stream has before its first event.
See docs/merkle.md §The keys line.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .checkpoint import MalformedCheckpoint
from .logentry import chain_genesis

KEYS_STREAM = "keys"
WORD = KEYS_STREAM      # the line's first word names the stream it commits to

_VERSION = re.compile(r"0|[1-9][0-9]{0,15}")


@dataclass(frozen=True, slots=True)
class KeysHead:
    """Stream ``keys`` at a tree size: its last version (0: none yet) and that version's chain
    hash (32 bytes)."""

    version: int
    chain_hash: bytes

    @classmethod
    def empty(cls) -> KeysHead:
        return cls(0, chain_genesis(KEYS_STREAM))

    def line(self) -> str:
        return f"{WORD} {self.version} {base64.b64encode(self.chain_hash).decode('ascii')}"

    @classmethod
    def of_extensions(cls, extensions: Iterable[str]) -> KeysHead | None:
        """The head named by a checkpoint's extension lines, or None when none is a ``keys``
        line (a checkpoint signed before the ledger wrote one). Other lines are ignored, as C2SP
        requires of lines a reader does not know.

        Raises MalformedCheckpoint for two ``keys`` lines, or one not in the exact form.
        """
        found = [line for line in extensions if line.split(" ", 1)[0] == WORD]
        if not found:
            return None
        if len(found) > 1:
            raise MalformedCheckpoint(f"checkpoint has {len(found)} keys lines; it commits to "
                                      "one head of the key registry")
        return cls._parse(found[0])

    @classmethod
    def _parse(cls, line: str) -> KeysHead:
        parts = line.split(" ")
        bad = f"keys line {line[:120]!r} is not 'keys <version> <base64 chain hash>'"
        if len(parts) != 3 or not _VERSION.fullmatch(parts[1]):
            raise MalformedCheckpoint(bad)
        try:
            chain = base64.b64decode(parts[2], validate=True)
        except (binascii.Error, ValueError):
            raise MalformedCheckpoint(bad) from None
        if len(chain) != 32 or base64.b64encode(chain).decode("ascii") != parts[2]:
            raise MalformedCheckpoint(bad)
        version = int(parts[1])
        if version == 0 and chain != chain_genesis(KEYS_STREAM):
            raise MalformedCheckpoint(f"keys line names version 0 with chain hash "
                                      f"{chain.hex()}, not the stream's genesis")
        return cls(version, chain)
