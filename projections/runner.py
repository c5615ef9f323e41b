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

After a failure the projection goes on one event at a time (for as many events as a batch
holds), so it folds every event before the one it cannot fold and stops exactly there: ``stuck``
then names that event, the error, since when (wall clock) and how many attempts failed in a row
— what ``/healthz`` and ``/metrics`` publish (docs/architecture.md, "A projection that cannot
fold an event").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import psycopg

from .readmodels import TRACKING_TABLE

_log = logging.getLogger(__name__)
LOCK_KEY = 0x1E_D6E5   # advisory lock: "the projection runner"
#: pg_catalog's, by name and with a bigint: a function of that name in a schema on the search
#: path taking the integer a Python int is sent as would be a better match, and run instead
#: (docs/architecture.md, Immutability)
TRY_LOCK = "SELECT pg_catalog.pg_try_advisory_lock(%s::bigint)"
MAX_RETRY_SECONDS = 60.0
#: seconds a leading runner's session may go without a word before the server ends it (and its
#: advisory lock with it): a leader whose host dies without closing its connection is replaced
#: within this, not when TCP keepalive gives up on it (hours). A thread says HEARTBEAT on the
#: lock's connection every sixth of it while the runner leads, however long a batch takes.
LEASE_SECONDS = 30
HEARTBEAT = "SELECT 'projection leader alive'"
#: the sessions, other than this one, holding the projections' tracking rows for update: only a
#: batch of the leader does (or a rebuild, which holds the lock too), so once this process holds
#: the lock they are a dead or deposed leader's, and are ended (SELECT … FOR UPDATE takes a
#: RowShareLock on the table; readers take AccessShareLock)
END_STALE_BATCHES = (
    "SELECT l.pid, pg_catalog.pg_terminate_backend(l.pid) FROM pg_catalog.pg_locks l "
    "WHERE l.locktype = 'relation' AND l.mode = 'RowShareLock' AND l.granted "
    "AND l.database = (SELECT oid FROM pg_catalog.pg_database "
    "WHERE datname = pg_catalog.current_database()) "
    "AND l.relation = pg_catalog.to_regclass(%s) AND l.pid <> pg_catalog.pg_backend_pid()")


# the event after a projection's position: what a batch of one failed on
_EVENT_AFTER = ("SELECT r.log_index, r.event_id::text, r.stream, r.event_type "
                "FROM stored_events e JOIN ledger_receipts r ON r.originator_id = e.originator_id "
                "AND r.stream_version = e.originator_version WHERE e.notification_id > %s "
                "ORDER BY e.notification_id LIMIT 1")


@contextmanager
def _heartbeat(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """While the block runs, the server ends ``conn``'s session once it has been idle
    LEASE_SECONDS (``idle_session_timeout``, PostgreSQL 14 or later), and a thread keeps it
    from being idle that long while this process lives."""
    try:
        conn.execute("SELECT pg_catalog.set_config('idle_session_timeout', %s, false)",
                     (f"{LEASE_SECONDS}s",))
    except psycopg.errors.UndefinedObject:      # PostgreSQL 13 or older
        _log.warning("this PostgreSQL has no idle_session_timeout (14 and later have): a "
                     "leader whose host dies holds the projections until TCP keepalive ends "
                     "its session")
        yield
        return
    done = threading.Event()

    def beat() -> None:
        while not done.wait(LEASE_SECONDS / 6):
            try:
                conn.execute(HEARTBEAT)
            except psycopg.Error:       # the connection is gone: the runner's next use says so
                return

    threading.Thread(target=beat, name="projections-heartbeat", daemon=True).start()
    try:
        yield
    finally:
        done.set()


def _end_stale_batches(conn: psycopg.Connection[Any]) -> None:
    """End the batches a dead leader left open: its transaction holds the tracking rows until
    TCP keepalive ends its session (over two hours by default), and this leader's first batch
    would wait on them as long. A role that may not end another's session (PostgreSQL lets a
    role end its own sessions) is told so in the log, and waits."""
    try:
        ended = conn.execute(END_STALE_BATCHES, (TRACKING_TABLE,)).fetchall()
    except psycopg.errors.InsufficientPrivilege as e:
        _log.warning("a session of another role holds the projections' tracking rows and "
                     "cannot be ended by this one (%s): the projections wait for it to end", e)
        return
    if ended:
        _log.warning("ended %d session(s) of a previous projection leader still holding the "
                     "tracking rows (a batch left open by a dead or deposed leader): %s",
                     len(ended), ", ".join(f"pid {pid}" for pid, _ in ended))


class Projection(Protocol):
    NAME: str

    def process(self, limit: int = ...) -> int: ...

    def position(self) -> int: ...


@dataclass(frozen=True)
class Stuck:
    """A projection whose attempts fail: since when (UTC, the first failure in a row), how many
    in a row, the error, its position (the notification id of the last event it folded) and —
    once an attempt on that one event alone has failed — the event after it (``log_index``,
    ``event_id``, ``stream``, ``type``), else None."""

    since: datetime
    failures: int
    error: str
    position: int | None
    event: dict[str, Any] | None


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
        #: name of a projection that failed -> events it still folds one at a time
        self._narrow: dict[str, int] = {}
        #: name of a projection whose attempts fail -> what :meth:`stuck` says of it
        self._stuck: dict[str, Stuck] = {}
        self._conn: psycopg.Connection[Any] | None = None
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
                    self._conn = conn
                    self._lead(conn)
            except Exception:   # connection lost (a projection failing is _step's): back off, retry
                _log.exception("projection runner failed; retrying")
                self.leader = False
                self._stop.wait(2.0)
            finally:
                self._conn = None

    def _lead(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            got = conn.execute(TRY_LOCK, (LOCK_KEY,)).fetchone()
            if got and got[0]:
                break
            self._stop.wait(self.poll * 4)
        else:
            return
        self.leader = True
        _end_stale_batches(conn)
        conn.execute(f'LISTEN "{self.channel}"')
        with _heartbeat(conn):
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

    def stuck(self) -> dict[str, Stuck]:
        """The projections this runner leads whose attempts fail, by name (empty when every one
        folds)."""
        return dict(self._stuck)

    def _step(self, projection: Projection) -> bool:
        """One batch of ``projection``; whether it folded any events. A failure is logged and
        the same batch retried (its transaction rolled back) after ``retry_seconds``, doubled
        for each failure in a row up to MAX_RETRY_SECONDS — one event at a time, so a failure
        names the event (see the module docstring)."""
        name = projection.NAME
        retry, failures = self._failing.get(name, (None, 0))
        if retry is not None and time.monotonic() < retry:
            return False
        limit = 1 if name in self._narrow else self.batch
        try:
            n = projection.process(limit)
        except Exception as e:
            wait = min(self.retry_seconds * 2 ** failures, max(MAX_RETRY_SECONDS,
                                                                self.retry_seconds))
            stuck = self._stuck_on(projection, e, one=limit == 1)
            _log.exception("projection %s failed on its next %s and stays at its position; "
                           "retrying in %.0f s (its later events wait, the other projections "
                           "go on)", name, _named(stuck.event) if stuck.event else "batch",
                           wait)
            self._failing[name] = (time.monotonic() + wait, failures + 1)
            self._narrow[name] = self.batch
            return False
        self._failing.pop(name, None)
        left = self._narrow.get(name, 0) - n
        if n and left > 0:
            self._narrow[name] = left
        else:                   # past every event of the batch that failed, or at the head
            self._narrow.pop(name, None)
            self._stuck.pop(name, None)
        return bool(n)

    def _stuck_on(self, projection: Projection, error: Exception, *, one: bool) -> Stuck:
        before = self._stuck.get(projection.NAME)
        position = event = None
        try:     # what it is stuck on, read beside it: a failure here must not stop the runner
            position = projection.position()
            if one and self._conn is not None:
                row = self._conn.execute(_EVENT_AFTER, (position,)).fetchone()
                if row is not None:
                    event = dict(zip(("log_index", "event_id", "stream", "type"), row))
        except Exception:
            _log.warning("projection %s: its position or next event could not be read",
                         projection.NAME, exc_info=True)
        stuck = Stuck(since=before.since if before else datetime.now(timezone.utc),
                      failures=before.failures + 1 if before else 1, error=f"{type(error).__name__}: {error}"[:1000],
                      position=position, event=event)
        self._stuck[projection.NAME] = stuck
        return stuck


def _named(event: dict[str, Any]) -> str:
    return (f"event (log index {event['log_index']}, {event['event_id']}, {event['type']} on "
            f"{event['stream']})")


def events_after(curs: Any, position: int) -> int:
    """How many events the log holds after notification id ``position``: how far behind a
    projection at that position is (``curs`` gives rows as dicts)."""
    curs.execute("SELECT count(*) AS behind FROM stored_events WHERE notification_id > %s",
                 (position,))
    return int(curs.fetchone()["behind"])


def public_health(behind: int, stuck: Stuck | None) -> dict[str, Any]:
    """What ``/healthz`` says of a projection, to anyone: how many events it has yet to fold
    and, if it is stuck here, since when, how many attempts failed in a row and the log index of
    the event it cannot fold (null until found). Not the error, nor the event's id or stream:
    those name cases and officers, and go to the process's log."""
    entry: dict[str, Any] = {"behind": behind}
    if stuck is not None:
        entry["stuck"] = {"since": stuck.since.isoformat().replace("+00:00", "Z"),
                          "failures": stuck.failures,
                          "at_log_index": stuck.event["log_index"] if stuck.event else None}
    return entry
