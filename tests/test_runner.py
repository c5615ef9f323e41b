"""The projection runner: one failing projection is logged by name and retried at its position,
while the others carry on."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from functools import partial

import psycopg
import pytest

from projections import runner as runner_module
from projections.readmodels import TRACKING_TABLE, ReadModels
from projections.runner import ProjectionRunner

from .conftest import World
from .faults import Relay
from .test_takeover import until


class Backlog:
    """A projection with ``events`` to fold, one per batch; ``poison`` fails every attempt."""

    def __init__(self, name: str, events: int, *, poison: bool = False) -> None:
        self.NAME = name
        self.left = events
        self.poison = poison
        self.attempts = 0

    def position(self) -> int:
        return 0

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


def test_a_projection_failing_again_waits_twice_as_long_each_time_up_to_a_minute(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing red-flag batch re-reads the whole log on each attempt (minutes at a million
    events): retried every 2 s, it kept a core busy for as long as it failed."""
    class Clock:
        now = 1000.0

        @classmethod
        def monotonic(cls) -> float:
            return cls.now

    monkeypatch.setattr(runner_module, "time", Clock)
    poisoned = Backlog("flags", 3, poison=True)
    runner = ProjectionRunner(lambda: None, [poisoned], retry_seconds=2.0)   # type: ignore
    attempts = []
    for tick in range(0, 4000):                 # 400 s in tenths
        Clock.now = 1000.0 + tick / 10
        before = poisoned.attempts
        runner._step(poisoned)
        if poisoned.attempts > before:
            attempts.append(round(Clock.now - 1000.0, 1))
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    assert gaps[:7] == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    poisoned.poison = False                     # mended: the next attempt folds, and resets
    Clock.now += 60
    assert runner._step(poisoned) is True
    poisoned.poison = True
    runner._step(poisoned)
    Clock.now += 2
    before = poisoned.attempts
    runner._step(poisoned)
    assert poisoned.attempts == before + 1      # 2 s again after a success


class PoisonAt:
    """A projection with ``events`` to fold, up to ``limit`` a batch, that cannot fold event
    number ``poison`` (1-based) until mended."""

    NAME = "flags"

    def __init__(self, events: int, poison: int) -> None:
        self.events, self.poison, self.folded, self.limits = events, poison, 0, []

    def position(self) -> int:
        return self.folded

    def process(self, limit: int = 2000) -> int:
        self.limits.append(limit)
        n = min(limit, self.events - self.folded)
        if self.poison and self.folded < self.poison <= self.folded + n:
            raise ValueError(f"event {self.poison} cannot be folded")
        self.folded += n
        return n


def test_a_failing_projection_folds_every_event_before_the_one_it_cannot_and_says_so(
        database: tuple[str, str]) -> None:
    """A batch that fails is retried one event at a time: the events before the poison are
    folded, and ``stuck`` says where it stands, since when and why — what /healthz publishes.
    Mended, it goes on at full batches and is no longer stuck."""
    poisoned = PoisonAt(5000, poison=2500)
    runner = ProjectionRunner(partial(psycopg.connect, database[0]), [poisoned],
                              poll_seconds=0.02, retry_seconds=0.05, batch=2000)
    started = datetime.now(timezone.utc)
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while not ((stuck := runner.stuck().get("flags")) and stuck.failures >= 2) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        assert stuck is not None
        assert poisoned.folded == 2499 and stuck.position == 2499
        assert stuck.failures >= 2 and stuck.error == "ValueError: event 2500 cannot be folded"
        assert started <= stuck.since <= datetime.now(timezone.utc)
        assert stuck.event is None            # this database holds no event after it
        poisoned.poison = 0
        while poisoned.folded < 5000 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
    finally:
        runner.stop()
    assert poisoned.folded == 5000 and runner.stuck() == {}
    assert poisoned.limits[-1] == 2000        # back to whole batches once past it


def test_a_leader_whose_host_dies_is_replaced_within_its_lease(
        database: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The leader's host dies (power lost, a VM frozen, the network cut): its connection is
    never closed, so its session — and the advisory lock that makes it the leader — stayed on
    the server until TCP keepalive gave up on it, over two hours by default, and no other
    process folded an event meanwhile. Its session now ends when it stops answering for
    LEASE_SECONDS, and a standby leads."""
    monkeypatch.setattr(runner_module, "LEASE_SECONDS", 2)
    relay = Relay(database[0])
    dying = ProjectionRunner(partial(psycopg.connect, relay.url), [Backlog("read_models", 0)],
                             poll_seconds=0.02)
    standby = ProjectionRunner(partial(psycopg.connect, database[0]),
                               [Backlog("read_models", 0)], poll_seconds=0.02)
    try:
        dying.start()
        until(lambda: dying.leader, "the first runner never led")
        relay.freeze_after(runner_module.HEARTBEAT.encode())   # its host dies after a beat
        until(relay.cut.is_set, "the leader never sent a heartbeat", seconds=10)
        standby.start()
        until(lambda: standby.leader, "the standby never took over", seconds=2 + 15)
    finally:
        relay.close()
        dying.stop()
        standby.stop()


def test_a_new_leader_ends_the_batch_a_dead_leader_left_open(world: World) -> None:
    """The dead leader had a batch open: its transaction holds the projection's tracking row
    (FOR UPDATE) until TCP keepalive ends its session, over two hours by default, and the new
    leader's first batch waited on that row as long, folding nothing. The new leader now ends
    the sessions still holding the tracking rows when it takes the lock: it alone may write them."""
    store = world.ledger.store
    views = ReadModels(store)
    world.register("officer-1", ["officer"])
    views.process()
    world.register("officer-2", ["officer"])                # one more event to fold
    before = views.position()
    dead = psycopg.connect(world.app_url)               # the dead leader's batch, never ended
    dead.execute(f"SELECT * FROM {TRACKING_TABLE} WHERE application_name LIKE 'read_models%' "
                 "FOR UPDATE")
    leader = ProjectionRunner(partial(psycopg.connect, world.app_url), [views], poll_seconds=0.02)
    try:
        leader.start()
        until(lambda: views.position() > before, "the new leader waited on the dead one's batch",
              seconds=15)
    finally:
        leader.stop()
        dead.close()
