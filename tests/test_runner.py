"""The projection runner: one failing projection is logged by name and retried at its position,
while the others carry on."""

from __future__ import annotations

import logging
import time
from functools import partial

import psycopg
import pytest

from projections.runner import ProjectionRunner


class Backlog:
    """A projection with ``events`` to fold, one per batch; ``poison`` fails every attempt."""

    def __init__(self, name: str, events: int, *, poison: bool = False) -> None:
        self.NAME = name
        self.left = events
        self.poison = poison
        self.attempts = 0

    def process(self, limit: int = 2000) -> int:
        self.attempts += 1
        if self.poison:
            raise ValueError("year 10000 is out of range")
        if not self.left:
            return 0
        self.left -= 1
        return 1


def test_a_failing_projection_is_logged_and_retried_while_the_others_go_on(
        database: tuple[str, str], caplog: pytest.LogCaptureFixture) -> None:
    poisoned, healthy = Backlog("flags", 3, poison=True), Backlog("read_models", 50)
    runner = ProjectionRunner(partial(psycopg.connect, database[0]), [poisoned, healthy],
                              poll_seconds=0.02, retry_seconds=0.1)
    with caplog.at_level(logging.ERROR, logger="projections.runner"):
        runner.start()
        try:
            deadline = time.monotonic() + 10
            while (healthy.left or poisoned.attempts < 3) and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            runner.stop()
    assert healthy.left == 0 and poisoned.left == 3 and poisoned.attempts >= 3
    failures = [r for r in caplog.records if "projection flags failed" in r.getMessage()]
    assert len(failures) >= 3 and all(r.exc_info for r in failures)
    assert "year 10000" in caplog.text
    assert not any("read_models failed" in r.getMessage() for r in caplog.records)
