"""Keeps the projections up to date in a running service.

Exactly one process runs the projections at a time: the runner holds a PostgreSQL advisory lock
on a dedicated connection (other ``ledger serve`` processes keep trying, and take over if that
process dies). It wakes on the library's NOTIFY channel and also polls, so a lost notification
or a dropped LISTEN connection (the library's subscription does not reconnect) only delays it.

A projection whose next batch fails (a bug, an event it cannot fold) stays at its position and
retries that batch after ``retry_seconds``, then twice as long after each failure in a row up to
``MAX_RETRY_SECONDS``, logging the error with its name each time: events are never skipped (each
is folded exactly once), and the other projections carry on meanwhile. (An attempt can be
costly: the red flags' re-reads the whole log after a failure.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import psycopg

_log = logging.getLogger(__name__)
LOCK_KEY = 0x1E_D6E5   # advisory lock: "the projection runner"
#: pg_catalog's, by name and with a bigint: a function of that name in a schema on the search
#: path taking the integer a Python int is sent as would be a better match, and run instead
#: (docs/architecture.md, Immutability)
TRY_LOCK = "SELECT pg_catalog.pg_try_advisory_lock(%s::bigint)"
MAX_RETRY_SECONDS = 60.0


class Projection(Protocol):
    NAME: str

    def process(self, limit: int = ...) -> int: ...


class ProjectionRunner:
    def __init__(self, connect: Callable[[], psycopg.Connection[Any]],
                 projections: Sequence[Projection], *, poll_seconds: float = 0.5,
                 batch: int = 2000, channel: str = "stored_events",
                 on_idle: Callable[[], None] | None = None, retry_seconds: float = 2.0) -> None:
        self._connect = connect
        self.projections = list(projections)
        self.poll = poll_seconds
        self.batch = batch
        self.channel = channel
        self.on_idle = on_idle
        self.retry_seconds = retry_seconds
        #: name of a failing projection -> (monotonic time of its next attempt, failures in a row)
        self._failing: dict[str, tuple[float, int]] = {}
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
            except Exception:   # connection lost (a projection failing is _step's): back off, retry
                _log.exception("projection runner failed; retrying")
                self.leader = False
                self._stop.wait(2.0)

    def _lead(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            got = conn.execute(TRY_LOCK, (LOCK_KEY,)).fetchone()
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
                    if self._step(projection):
                        worked = True
            if self.on_idle:
                self.on_idle()
            for _ in conn.notifies(timeout=self.poll, stop_after=1):
                pass

    def _step(self, projection: Projection) -> bool:
        """One batch of ``projection``; whether it folded any events. A failure is logged and
        the same batch retried (its transaction rolled back) after ``retry_seconds``, doubled
        for each failure in a row up to MAX_RETRY_SECONDS."""
        retry, failures = self._failing.get(projection.NAME, (None, 0))
        if retry is not None and time.monotonic() < retry:
            return False
        try:
            n = projection.process(self.batch)
        except Exception:
            wait = min(self.retry_seconds * 2 ** failures, max(MAX_RETRY_SECONDS,
                                                                self.retry_seconds))
            _log.exception("projection %s failed on its next batch and stays at its position; "
                           "retrying in %.0f s (its later events wait, the other projections "
                           "go on)", projection.NAME, wait)
            self._failing[projection.NAME] = (time.monotonic() + wait, failures + 1)
            return False
        self._failing.pop(projection.NAME, None)
        return bool(n)
