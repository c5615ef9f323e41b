"""What the store and the writer make of the errors a running PostgreSQL answers with: a lost
connection (the pool's idle connections are tested), a cancelled statement (only that request
fails), a deadlock or serialization failure (the writer runs the group again)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from ledger.canonical import canonical
from ledger.errors import Unavailable
from ledger.store import LedgerStore

from .conftest import World


def counting_pool_checks(store: LedgerStore, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """A list that grows by one each time the store has its pool test its idle connections."""
    pool = store.datastore.pool
    check, checks = pool.check, []

    def counted() -> None:
        checks.append(None)
        check()
    monkeypatch.setattr(pool, "check", counted)
    return checks


def test_a_statement_timeout_fails_its_request_without_testing_every_pooled_connection(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """QueryCanceled is an OperationalError, and every OperationalError had the pool run a
    round trip on each idle connection, as if the database had gone: the server answered, so
    the connections are sound."""
    store = world.ledger.store
    checks = counting_pool_checks(store, monkeypatch)
    with pytest.raises(Unavailable, match="statement timeout") as refused, \
            store.transaction() as c:
        c.execute("SET LOCAL statement_timeout = '20ms'")
        c.execute("SELECT pg_sleep(5)")
    assert checks == []
    assert "SQLSTATE 57014" in str(refused.value)
    assert store.size() == 0                    # and the store goes on


def test_a_lost_connection_has_the_pool_test_its_idle_connections(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    store = world.ledger.store
    checks = counting_pool_checks(store, monkeypatch)
    with pytest.raises(Unavailable, match="database unavailable"), store.cursor() as c:
        c.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert checks == [None]
    assert store.size() == 0


def _note(world: World, text: str) -> dict[str, Any]:
    return world.sign("app", stream="case:SH-HP-2024-000123", type="NoteRecorded",
                      body={"note": text})


def _waits_for(owner_url: str, table: str) -> bool:
    with psycopg.connect(owner_url, autocommit=True) as conn:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND "
                            "relation = %s::regclass)", (table,)).fetchone()[0]


def deadlocked_append(world: World, post: Callable[[], Any]) -> Any:
    """Run ``post`` (an append) into a deadlock with another session, which the writer's
    session is the one to break (it waits first; the other waits a minute before looking):
    the other holds ledger_receipts, the writer the events' lock and then wants the receipts,
    the other then wants the events. Returns what ``post`` returned."""
    with psycopg.connect(world.owner_url) as other, ThreadPoolExecutor(1) as threads:
        other.execute("SET deadlock_timeout = '60s'")
        other.execute("LOCK ledger_receipts IN SHARE MODE")
        answer = threads.submit(post)
        deadline = time.monotonic() + 30
        while not _waits_for(world.owner_url, "ledger_receipts"):
            assert time.monotonic() < deadline, "the writer never waited for the receipts"
            time.sleep(0.02)
        other.execute("LOCK stored_events IN SHARE MODE")   # granted once the writer gives way
        other.rollback()
        return answer.result(60)


def test_a_group_the_database_rolls_back_in_a_deadlock_is_written_on_a_second_attempt(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deadlock (or serialization failure) rolls the writer's whole transaction back: nothing
    of the group was written, and the same group run again may well succeed. It was answered
    503 "database unavailable", after testing every pooled connection."""
    world.register("app", ["case-app"])
    checks = counting_pool_checks(world.ledger.store, monkeypatch)
    before = world.count()
    env = _note(world, "deadlocked once")
    answer = deadlocked_append(world, lambda: world.post_raw(canonical(env)))
    assert answer.status_code == 201, answer.text
    assert world.count() == before + 1
    assert checks == []


def test_a_group_rolled_back_on_every_attempt_is_a_503_that_names_the_deadlock(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.register("app", ["case-app"])
    monkeypatch.setattr(world.ledger, "write_retries", 0)
    checks = counting_pool_checks(world.ledger.store, monkeypatch)
    before = world.count()
    env = _note(world, "deadlocked for good")
    answer = deadlocked_append(world, lambda: world.post_raw(canonical(env)))
    assert answer.status_code == 503, answer.text
    problem = answer.json()
    assert problem["type"].endswith(":unavailable")
    assert "deadlock detected" in problem["detail"] and "nothing was written" in problem["detail"]
    assert answer.headers["retry-after"] == "1"
    assert world.count() == before
    assert checks == []


def test_sessions_the_server_ended_as_idle_are_all_replaced_after_one_failure(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """An idle_session_timeout ends every idle pooled session alike (SQLSTATE 57P05, or no
    SQLSTATE when libpq finds the socket closed): like a restart, the first request to meet
    one has the pool test them all."""
    from contextlib import ExitStack

    from psycopg.conninfo import make_conninfo

    from ledger.store import datastore_from_url
    url = make_conninfo(world.app_url, options="-c idle_session_timeout=300")
    store = LedgerStore(datastore_from_url(url, pool_size=3, max_overflow=0))
    try:
        checks = counting_pool_checks(store, monkeypatch)
        with ExitStack() as held:                   # three connections, all back in the pool
            for _ in range(3):
                held.enter_context(store.cursor()).execute("SELECT 1")
        time.sleep(1.0)                             # each ended by the server
        with pytest.raises(Unavailable, match="database unavailable"):
            store.size()
        assert checks == [None]
        assert store.size() == 0
    finally:
        store.close()


RECORDED_AT_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_an_append_is_written_whatever_datestyle_the_database_is_set_to(world: World) -> None:
    """The writer reads the database server's clock under the lock (e3744bd); read as a
    timestamptz, psycopg parses it only in the ISO DateStyle, so on a database (or role, or
    server) an administrator had set to another (`datestyle = 'SQL, DMY'`) every append
    failed: "can't parse timestamptz with DateStyle 'SQL, DMY'". The clock is read as
    RFC 3339 UTC text now, whatever DateStyle and TimeZone say."""
    from psycopg.conninfo import conninfo_to_dict

    from ledger.logentry import parse_recorded_at
    from ledger.service import Ledger
    from ledger.store import datastore_from_url

    from . import minimal_vocabulary
    from .conftest import ROOT_ID
    world.register("app", ["case-app"])
    dbname = conninfo_to_dict(world.app_url)["dbname"]
    with psycopg.connect(world.owner_url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE \"{dbname}\" SET datestyle = 'SQL, DMY'")
        conn.execute(f"ALTER DATABASE \"{dbname}\" SET timezone = 'Asia/Shanghai'")
    store = LedgerStore(datastore_from_url(world.app_url, pool_size=1, max_overflow=0))
    ledger = Ledger(store, root_keys={ROOT_ID: world.root.public_key},
                    types=minimal_vocabulary)
    try:
        with store.cursor() as c:                       # the new session has the setting
            c.execute("SHOW datestyle")
            assert c.fetchone()["DateStyle"] == "SQL, DMY"
        before = time.time()
        result = ledger.append(canonical(_note(world, "written in any DateStyle")))
        assert result.written == 1
        recorded = result.receipts[0].recorded_at
        assert recorded.endswith("Z") and len(recorded) == len("2026-01-01T00:00:00.000000Z")
        assert abs(parse_recorded_at(recorded).timestamp() - before) < 60
        # the ledger's clock as the key-units door, GET /v1/keys, exports and the dashboard's
        # dispositions read it (NOW_SQL): at least the last recorded_at, in any DateStyle
        now = store.ledger_clock()
        assert now >= parse_recorded_at(recorded) and abs(now.timestamp() - before) < 60
        from projections.flagsview import FlagsView
        units, clock = FlagsView(store).units_and_clock(["no-such-flag"])
        assert units == {} and clock >= now
        # and `ledger tokens list`'s created_at (a timestamptz column)
        listed = store.tokens()
        assert listed and all(RECORDED_AT_FORM.fullmatch(t["created_at"]) for t in listed)
    finally:
        ledger.close()
        store.close()
    assert world.count() == 2
