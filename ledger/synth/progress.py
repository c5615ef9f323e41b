"""A progress bar on standard error (standard library only)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

T = TypeVar("T")


class Progress:
    """``label [#####.....] 1,234/4,259 29% 2,345/s`` redrawn in place at most every
    ``interval`` seconds; silent unless ``enabled`` (default: standard error is a terminal)."""

    def __init__(self, total: int | None, *, label: str = "", stream: IO[str] | None = None,
                 enabled: bool | None = None, interval: float = 0.1, width: int = 30) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.interval = interval
        self.width = width
        self.count = 0
        self.started = time.monotonic()
        self._drawn = 0.0

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            self.count += 1
            if self.enabled and time.monotonic() - self._drawn >= self.interval:
                self.draw()
            yield item

    def draw(self) -> None:
        now = time.monotonic()
        self._drawn = now
        rate = self.count / max(now - self.started, 1e-9)
        total = max(self.total or 0, self.count)
        if total:
            done = int(self.width * self.count / total)
            bar = f"[{'#' * done}{'.' * (self.width - done)}] {self.count:,}/{total:,} " \
                  f"{100 * self.count // total:3d}%"
        else:
            bar = f"{self.count:,}"
        self.stream.write(f"\r{self.label} {bar} {rate:,.0f}/s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.total = self.count
            self.draw()
            self.stream.write("\n")
            self.stream.flush()
