"""Reading a bundle's lines under the line cap (fmt.MAX_LINE): the first ones one at a time,
the events in blocks of whole lines for the workers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from . import format as fmt
from .errors import InvalidBundle

BLOCK_SIZE = 1 << 21          # bytes per work unit (~3,000 events)


def read_line(f: BinaryIO, number: int, what: str) -> bytes:
    """Line ``number`` of ``f``, which must be there (the ``what`` line), without its newline."""
    line = readline(f, number)
    if not line:
        raise InvalidBundle(f"the bundle ends before its {what} line (line {number})")
    return line.rstrip(b"\n")


def readline(f: BinaryIO, number: int) -> bytes:
    """Line ``number`` of ``f`` (with its newline), or b"" at the end; raises InvalidBundle
    once more than fmt.MAX_LINE bytes of it are read."""
    line = f.readline(fmt.MAX_LINE + 1)
    if len(line) > fmt.MAX_LINE:
        raise _too_long(f"line {number}")
    return line


def _too_long(where: str) -> InvalidBundle:
    return InvalidBundle(fmt.too_long(where))


def blocks(f: BinaryIO, pending: bytes) -> Iterator[tuple[bytes, int]]:
    """Blocks of whole lines: (bytes, bytes consumed). They are not counted here (a pass over
    every byte): each comes back as one result per line."""
    # The pieces of a line that spans blocks, joined once its end comes (appending each block
    # to all before it would copy a line of n blocks n²/2 times).
    pieces = [pending]
    held = len(pending)         # bytes of the line the pieces hold, not yet ended
    read = len(pending)         # bytes of the events (the lines after the checkpoint) read
    while True:
        data = f.read(BLOCK_SIZE)
        if not data:
            break
        first = data.find(b"\n")
        if held + (len(data) if first < 0 else first) > fmt.MAX_LINE:
            raise _too_long(f"the line starting {read - held:,} bytes after the checkpoint line")
        read += len(data)
        cut = data.rfind(b"\n")
        if cut < 0:
            pieces.append(data)
            held += len(data)
            continue
        # one copy of the block, not one to append it and another to cut it
        pieces.append(memoryview(data)[:cut + 1])
        blob = b"".join(pieces)
        pieces = [data[cut + 1:]]
        held = len(pieces[0])
        yield blob, len(blob)
    rest = b"".join(pieces)
    if rest:
        yield rest, len(rest)
