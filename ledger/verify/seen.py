"""Which event ids a bundle holds twice, in memory bounded whatever the bundle's size.

The ledger records an event id once (``ledger_receipts.event_id`` is UNIQUE), so an id met
twice in a bundle is a replayed or duplicated event — a forged second payment chains as well as
the first. Remembering every id would make the verifier's memory grow with the bundle (≈ 70
bytes an event in a set: 7 GB at 100M events), so ids are kept as an external sort: records of
(id, log index) are collected in a run of at most ``RUN`` records, each full run is sorted and
spilled to an anonymous temporary file, and at the end the runs are merged; equal ids are then
neighbours. Runs are merged into one whenever ``FAN_IN`` of them are waiting, so the files open at
once stay few. Memory: one run (≈ 15 MB); disk: 24 bytes an event; CPU: ≈ 1 µs an event.
Standard library only, like the rest of the verifier.
"""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

RUN = 1 << 18            # records sorted in memory at once
FAN_IN = 32              # spilled runs merged into one when this many are waiting
_ID = 16                 # bytes of an event id (a UUID)
_RECORD = _ID + 8        # id, then the log index (big-endian, so bytes sort as (id, index))
_BLOCK = 4096            # records read from a run at a time


class SeenIds:
    """Collects (event id, log index) and names, at the end, every index whose id an earlier
    index already holds. Use as a context manager (the spilled runs are temporary files)."""

    def __init__(self, *, run: int | None = None, fan_in: int | None = None) -> None:
        self.run = run or RUN
        self.fan_in = fan_in or FAN_IN
        self._records: list[bytes] = []
        self._runs: list[IO[bytes]] = []

    def __enter__(self) -> SeenIds:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for f in self._runs:
            f.close()
        self._runs = []
        self._records = []

    def add(self, event_id: str | None, index: int) -> None:
        """Remembers ``event_id`` (a UUID; None, for a line too malformed to have one, is
        skipped) at log ``index``."""
        if event_id is None or index < 0:
            return
        try:
            rid = bytes.fromhex(event_id.replace("-", ""))
        except ValueError:                      # not a UUID: the line is reported as malformed
            return
        if len(rid) != _ID:
            return
        self._records.append(rid + index.to_bytes(8, "big"))
        if len(self._records) >= self.run:
            self._records.sort()
            self._runs.append(_spill(self._records))
            self._records = []
            if len(self._runs) >= self.fan_in:
                merged = _spill(heapq.merge(*(_read(f) for f in self._runs)))
                self.close()
                self._runs = [merged]

    def duplicates(self) -> Iterator[tuple[int, str, int]]:
        """(index, event id, first index) for every index holding an id already held at a
        smaller index, in id order."""
        self._records.sort()
        records = heapq.merge(*(_read(f) for f in self._runs), iter(self._records))
        first_id, first_index = b"", -1
        for rec in records:
            rid = rec[:_ID]
            if rid == first_id:
                key = int.from_bytes(rid, "big")
                yield (int.from_bytes(rec[_ID:], "big"), _uuid_text(key), first_index)
            else:
                first_id, first_index = rid, int.from_bytes(rec[_ID:], "big")


def _spill(records: Iterable[bytes]) -> IO[bytes]:
    f = tempfile.TemporaryFile(prefix="ledger-verify-ids-")
    buf = bytearray()
    for rec in records:
        buf += rec
        if len(buf) >= _RECORD * _BLOCK:
            f.write(buf)
            buf.clear()
    f.write(buf)
    f.seek(0)
    return f


def _read(f: IO[bytes]) -> Iterator[bytes]:
    f.seek(0)
    while block := f.read(_RECORD * _BLOCK):
        for i in range(0, len(block), _RECORD):
            yield block[i:i + _RECORD]


def _uuid_text(key: int) -> str:
    h = f"{key:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


__all__ = ["SeenIds"]
