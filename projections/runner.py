"""Keeps the projections up to date in a running service.

Exactly one process runs the projections at a time: the runner holds a PostgreSQL advisory lock
on a dedicated connection (other ``ledger serve`` processes keep trying, and take over if that
process dies). It wakes on the library's NOTIFY channel and also polls, so a lost notification
or a dropped LISTEN connection (the library's subscription does not reconnect) only delays it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import psycopg

_log = logging.getLogger(__name__)
LOCK_KEY = 0x1E_D6E5   # advisory lock: "the projection runner"


class Projection(Protocol):
    NAME: str

    def process(self, limit: int = ...) -> int: ...


class ProjectionRunner:
    def __init__(self, connect: Callable[[], psycopg.Connection[Any]],
                 projections: Sequence[Projection], *, poll_seconds: float = 0.5,
                 batch: int = 2000, channel: str = "stored_events",
                 on_idle: Callable[[], None] | None = None) -> None:
        self._connect = connect
        self.projections = list(projections)
        self.poll = poll_seconds
        self.batch = batch
        self.channel = channel
        self.on_idle = on_idle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self.leader = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.autocommit = True
                    self._lead(conn)
            except Exception:   # connection lost or a projection failed: back off, retry
                _log.exception("projection runner failed; retrying")
                self.leader = False
                self._stop.wait(2.0)

    def _lead(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
            if got and got[0]:
                break
            self._stop.wait(self.poll * 4)
        else:
            return
        self.leader = True
        conn.execute(f'LISTEN "{self.channel}"')
        while not self._stop.is_set():
            worked = True
            while worked and not self._stop.is_set():
                worked = False
                for projection in self.projections:
                    if projection.process(self.batch):
                        worked = True
            if self.on_idle:
                self.on_idle()
            for _ in conn.notifies(timeout=self.poll, stop_after=1):
                pass
