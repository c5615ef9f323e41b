"""A one-line progress bar on stderr (standard library only), redrawn at most 5 times a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total_bytes: int | None, *, enabled: bool, stream: TextIO | None = None,
                 width: int = 30) -> None:
        self.total = total_bytes if total_bytes and total_bytes > 0 else None
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def update(self, done_bytes: int, events: int, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.2:
            return
        self._last = now
        rate = events / max(now - self.started, 1e-9)
        if self.total:
            share = min(done_bytes / self.total, 1.0)
            filled = int(share * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            eta = (now - self.started) * (1 - share) / share if share > 0 else 0.0
            line = f"[{bar}] {share:6.1%} {events:>11,} events {rate:>9,.0f} ev/s eta {eta:5.0f}s"
        else:
            line = f"{events:>11,} events {rate:>9,.0f} ev/s"
        self.stream.write("\r" + line)
        self.stream.flush()
        self._drawn = True

    def finish(self, done_bytes: int, events: int) -> None:
        if self.enabled:
            self.update(done_bytes, events, force=True)
            if self._drawn:
                self.stream.write("\n")
                self.stream.flush()
