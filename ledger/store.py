"""PostgreSQL storage: eventsourcing's application recorder plus the ledger's own tables.

Events are stored by the library's ``PostgresApplicationRecorder`` in ``stored_events``: one
eventsourcing "aggregate" per ledger stream (``originator_id = uuid5(stream)``, ``originator_version``
= stream version, ``topic`` = event type, ``state`` = the RFC 8785 envelope bytes as signed).
The library's guarantees are kept: writers serialise on its EXCLUSIVE table lock (taken through
``ledger_lock_events()`` so the service role needs no UPDATE privilege), notification ids are
ordered, ``(originator_id, originator_version)`` is unique (optimistic concurrency), and a NOTIFY
wakes its subscriptions. Beside each stored event the same transaction writes the receipt (gap-free
log index, stream chain hash, leaf hash) and the Merkle nodes it completes.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import psycopg
from eventsourcing.persistence import (InterfaceError, InternalError, OperationalError,
                                      ProgrammingError)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout
from psycopg.sql import SQL, Identifier, Literal

from .envelope import Receipt
from .errors import Damaged, Forbidden, MalformedEvent, RolledBack, Unavailable
from .logentry import parse_recorded_at

STREAM_NAMESPACE = uuid.UUID("6f1b2a52-3c1d-5e7a-9b0c-1d2e3f405162")
EVENTS_TABLE = "stored_events"
#: seconds a store waits for the database to accept connections (its pool retrying, 1 s then
#: twice as long each time). A service (serve, project) waits out a server still starting; a
#: one-shot command (init, rebuild, tokens, ...) makes three attempts and says why it failed —
#: a refused port or an unknown host is a wrong URL, not worth half a minute.
SERVICE_WAIT = 30.0
COMMAND_WAIT = 5.0

#: seconds a write transaction may sit idle — between its statements, holding the events' lock
#: (or the checkpoint issuers', ``LedgerStore.end_when_idle``) — before the server ends its
#: session: a writer's host that died mid-group (power, a frozen VM, a cut network) closes no
#: connection, and its session held the lock, and stopped every other writer, until TCP
#: keepalive gave up on it (over two hours by default). A group's own work between two round
#: trips (planning 5,000 events, their hashes) takes a fraction of a second.
WRITER_IDLE_SECONDS = 10

#: the row of ``ledger_admin_grants`` on a database that held a ledger before it was kept
#: (schema.sql): which admin tokens init registered there is unknown
UNRECORDED_ADMIN_TOKENS = b"\x00"


@functools.lru_cache(maxsize=65536)
def stream_uuid(stream: str) -> uuid.UUID:
    return uuid.uuid5(STREAM_NAMESPACE, stream)


def datastore_from_url(url: str, *, pool_size: int = 4, max_overflow: int = 12) -> PostgresDatastore:
    params = conninfo_to_dict(url)
    datastore = PostgresDatastore(
        dbname=params.get("dbname", "postgres"), host=params.get("host", "localhost"),
        port=params.get("port", 5432), user=params.get("user", "postgres"),
        password=params.get("password", ""), pool_size=pool_size, max_overflow=max_overflow,
        max_waiting=0, connect_timeout=10,
        # None: the library then calls pool.open(wait=False) per connection, which is safe
        # under concurrency (open(wait=True) races in psycopg_pool); LedgerStore waits once.
        pool_open_timeout=None,
    )
    # The library passes on only those five; the rest of the URL (sslmode, sslrootcert,
    # options, application_name, ...) must reach every connection too.
    datastore.pool.kwargs.update(params)
    return datastore


class LedgerRecorder(PostgresApplicationRecorder):
    """The library's application recorder, writing the stored-event rows as four binary arrays
    (instead of a text-encoded composite array) and locking through the definer function, in a
    transaction the server ends when it sits idle WRITER_IDLE_SECONDS."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, events_table_name=EVENTS_TABLE)
        self.lock_table_statements = [SQL(
            "SET LOCAL lock_timeout = '{0}s'; SET LOCAL idle_in_transaction_session_timeout = "
            "'{2}s'; SELECT ledger_lock_events(); NOTIFY {1}").format(
            self.datastore.lock_timeout, Identifier(self.channel_name), WRITER_IDLE_SECONDS)]
        self.insert_arrays_statement = SQL(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id")

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> None:
        self.lock_and_notify(curs)
        curs.execute(self.insert_arrays_statement, (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        ))

    def lock_and_notify(self, curs: Any) -> None:
        """The library's lock and NOTIFY, sent as one simple query (one round trip)."""
        for statement in self.lock_table_statements:
            curs.execute(statement)

@dataclass(frozen=True, slots=True)
class StoredRow:
    receipt: Receipt
    raw: bytes
    event_type: str
    notification_id: int


#: the database server's clock as RFC 3339 UTC text (recorded_at's form): a timestamptz is
#: parsed by psycopg only in the ISO DateStyle, and a database, role or server may set another
#: (`SQL, DMY`), which failed every append
_UTC_TEXT = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
_CLOCK = _UTC_TEXT.format("clock_timestamp()")
#: The ledger's clock now, as the writer would record it (Ledger._write): the database server's
#: clock, or the last recorded_at when that is later (recorded_at never goes back), as text in
#: recorded_at's fixed-width form (so compared as text, and read whatever the DateStyle; parse it
#: with logentry.parse_recorded_at). One expression, so that what judges a key's window "now"
#: judges it at the writer's time.
NOW_SQL = (f"greatest({_CLOCK}, (SELECT recorded_at FROM ledger_receipts "
           "ORDER BY log_index DESC LIMIT 1))")
_RECEIPT_COLUMNS = ("r.log_index, r.event_id, e.notification_id, r.stream, r.stream_version, "
                    "r.event_type, r.recorded_at, r.leaf_hash, r.chain_hash, e.state")
_JOIN = ("FROM ledger_receipts r JOIN stored_events e ON e.originator_id = r.originator_id "
         "AND e.originator_version = r.stream_version")


def _row(row: DictRow) -> StoredRow:
    return StoredRow(
        receipt=Receipt(
            event_id=str(row["event_id"]), index=row["log_index"], stream=row["stream"],
            stream_version=row["stream_version"], recorded_at=row["recorded_at"],
            leaf_hash=bytes(row["leaf_hash"]), chain_hash=bytes(row["chain_hash"])),
        raw=bytes(row["state"]), event_type=row["event_type"],
        notification_id=row["notification_id"])


@dataclass(slots=True)
class GroupState:
    """What the writer needs to know, read under the lock in one round trip. ``clock`` is the
    database server's clock at that moment: the ledger's clock, the same for every process
    sharing the database (a process's own clock may be hours off)."""

    size: int
    last_recorded_at: str | None
    keys_version: int
    existing_ids: list[str]
    heads: dict[str, tuple[int, bytes]]
    clock: datetime


class WriteSession:
    """Statements of one pipelined write transaction (see LedgerStore.write_session)."""

    def __init__(self, conn: psycopg.Connection[DictRow], recorder: LedgerRecorder) -> None:
        self.conn = conn
        self.recorder = recorder

    def lock_and_read(self, event_ids: Sequence[str], streams: Sequence[str]) -> GroupState:
        """Take the library's table lock and NOTIFY (one round trip), then read the log head, the
        key-registry version, which event ids already exist, the head of each stream and the
        database server's clock (one more) — in a statement after the lock, so it sees
        everything committed before it. The clock is read here rather than in
        ``ledger_group_state()`` so that a database ``ledger init`` made before needs no new
        function."""
        with self.conn.cursor() as c:
            self.recorder.lock_and_notify(c)
            c.execute(f"SELECT *, {_CLOCK} AS clock "
                      "FROM ledger_group_state(%b::text[]::uuid[], %b::text[])",
                      (list(event_ids), list(streams)))
            row = c.fetchone()
        assert row is not None
        return GroupState(
            size=row["size"], last_recorded_at=row["last_recorded_at"],
            keys_version=row["keys_version"],
            existing_ids=[str(x) for x in row["existing_ids"] or ()],
            heads={name: (version, bytes(chain)) for name, version, chain in
                   zip(row["head_streams"] or (), row["head_versions"] or (),
                       row["head_chains"] or (), strict=True)},
            clock=parse_recorded_at(row["clock"]))

    def cursor(self) -> psycopg.Cursor[DictRow]:
        return self.conn.cursor()

    def insert(self, *, originator_ids: list[uuid.UUID], versions: list[int], topics: list[str],
               states: list[bytes], receipts: Sequence[tuple[Receipt, str]],
               nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Write stored events, receipts and Merkle nodes in one statement (one round trip)."""
        inner = [n for n in nodes if n[0] > 0]   # level 0 = leaf hashes, kept in the receipts
        with self.conn.cursor() as c:
            c.execute(
                "WITH e AS (INSERT INTO stored_events (originator_id, originator_version, topic, "
                "state) SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[])), "
                "r AS (INSERT INTO ledger_receipts (log_index, event_id, originator_id, stream, "
                "stream_version, event_type, recorded_at, leaf_hash, chain_hash) "
                "SELECT * FROM unnest(%b::bigint[], %b::text[]::uuid[], %b::uuid[], %b::text[], "
                "%b::bigint[], %b::text[], %b::text[], %b::bytea[], %b::bytea[])) "
                "INSERT INTO ledger_merkle_nodes (level, idx, hash) "
                "SELECT * FROM unnest(%b::smallint[], %b::bigint[], %b::bytea[])",
                (originator_ids, versions, topics, states,
                 [r.index for r, _ in receipts], [r.event_id for r, _ in receipts],
                 originator_ids, [r.stream for r, _ in receipts],
                 [r.stream_version for r, _ in receipts], [t for _, t in receipts],
                 [r.recorded_at for r, _ in receipts], [r.leaf_hash for r, _ in receipts],
                 [r.chain_hash for r, _ in receipts],
                 [n[0] for n in inner], [n[1] for n in inner], [n[2] for n in inner]))


@contextmanager
def owner_only(what: str) -> Iterator[None]:
    """Around statements that create ``what``: a role that may not (the service's
    ``ledger_writer`` role, say) is refused with Forbidden naming the role needed."""
    try:
        yield
    except ProgrammingError as e:
        if not isinstance(e.__cause__, psycopg.errors.InsufficientPrivilege):
            raise
        raise Forbidden(f"creating {what} needs the database's owner role, not this one: "
                        f"{e}") from e


def read_ledger_clock(curs: Any) -> datetime:
    """The ledger's clock now (:data:`NOW_SQL`), read on ``curs`` (one query)."""
    curs.execute(f"SELECT {NOW_SQL} AS now")
    row = curs.fetchone()
    assert row is not None
    return parse_recorded_at(row["now"])


#: the session ended by ``idle_in_transaction_session_timeout`` (WRITER_IDLE_SECONDS, or one
#: set on the role): an InternalError to psycopg, a lost connection to the service
IDLE_ENDED = "25P03"


def _session_ended(sqlstate: str) -> bool:
    """Whether an error with this SQLSTATE ends the session: a connection exception (class
    08), 57P01-57P05 (the server shutting down, crashed or starting, the database dropped,
    an ``idle_session_timeout``, which ends every idle pooled session alike), or 25P03 (a
    transaction idle too long). An error raised by libpq itself (a connection lost or refused)
    has no SQLSTATE at all."""
    return sqlstate.startswith(("08", "57P")) or sqlstate == IDLE_ENDED


#: what a service's role needs of the history (ledger_writer's grants, schema.sql), each checked
#: on its own: has_table_privilege is true when any privilege of a list is held
SERVICE_PRIVILEGES = (("stored_events", "SELECT"), ("stored_events", "INSERT"),
                      ("ledger_receipts", "INSERT"), ("ledger_merkle_nodes", "INSERT"),
                      ("ledger_checkpoints", "INSERT"), ("ledger_tokens", "SELECT"))
#: columns this code reads that a database initialised by an older version lacks until
#: ``ledger init`` (its owner role) runs schema.sql again: (table, column, when it was added)
SCHEMA_NEEDS = (("ledger_checkpoints", "seq", "2026-11-28: checkpoints in issue order"),
                ("view_public_entries", "publication_ref",
                 "2026-11-29: the public feed's index of publications"),
                *((table, column, "2026-11-29: the views' units as indexed columns")
                  for table, column in (("view_cases", "unit_id"),
                                        ("view_cases", "decided_unit_id"),
                                        ("view_cases", "violation_code"),
                                        ("view_cases", "decided_on"),
                                        ("view_cases", "officer_ids"),
                                        ("view_officers", "unit_id"),
                                        ("view_complaints", "unit_id"))),
                *((table, column, "2026-11-29: each party's decision in force, indexed")
                  for table, column in (("view_cases", "decided_unit_ids"),
                                        ("view_cases", "first_decided_on"),
                                        ("view_cases", "last_decided_on"))))
#: the functions every write runs (EXECUTE is ledger_writer's alone: PostgreSQL's
#: pg_write_all_data may insert into every table but not run them)
SERVICE_FUNCTIONS = ("ledger_lock_events()", "ledger_group_state(uuid[], text[])")


def _connect_error(datastore: PostgresDatastore) -> str | None:
    """Why a connection fails (no such database, authentication, refused): the pool says only
    that it timed out."""
    try:
        psycopg.connect(**datastore.pool.kwargs, connect_timeout=10).close()
    except psycopg.Error as e:
        return str(e).strip()
    return None


class LedgerStore:
    """SQL for the ledger's tables. Methods taking ``curs`` run inside a caller's transaction."""

    def __init__(self, datastore: PostgresDatastore, *, url: str | None = None,
                 wait: float = SERVICE_WAIT) -> None:
        """Raises Unavailable, saying why, when the database accepts no connection within
        ``wait`` seconds."""
        self.datastore = datastore
        self.url = url
        # Open the pool now, in one thread: the library opens it lazily on first use, and
        # psycopg_pool's open() is not safe when many request threads race to do it.
        try:
            datastore.pool.open(wait=True, timeout=wait)
        except (psycopg.OperationalError, OperationalError, InterfaceError) as e:
            raise Unavailable(f"database unavailable: {_connect_error(datastore) or e}") from e
        self.recorder = LedgerRecorder(datastore)

    # -- schema ------------------------------------------------------------------------------
    def create_schema(self) -> None:
        """Create the library's and the ledger's tables (owner role; idempotent). Raises
        Forbidden for a role that may not (the service's ``ledger_writer`` role, say)."""
        sql = resources.files("ledger").joinpath("schema.sql").read_text()
        self._refuse_an_owner_that_cannot_make_the_writer_role()
        with owner_only("the ledger's tables"):
            self.recorder.create_table()
            with self.datastore.get_connection() as conn:
                conn.execute(sql)  # type: ignore[arg-type]

    def _refuse_an_owner_that_cannot_make_the_writer_role(self) -> None:
        """schema.sql creates the cluster's ``ledger_writer`` role when it is missing (a server
        no ledger was initialised on), which needs CREATEROLE: refused before any table is
        made, saying so (owner_only would blame the role for not owning the database)."""
        with self.cursor() as curs:
            curs.execute("SELECT current_user AS role, r.rolsuper OR r.rolcreaterole AS may, "
                         "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_writer') "
                         "AS present FROM pg_roles r WHERE r.rolname = current_user")
            row = curs.fetchone()
        if row is None or row["present"] or row["may"]:
            return
        role = row["role"]
        raise Forbidden(f"the role ledger_writer does not exist on this server, and the role "
                        f"{role} may not create it (no CREATEROLE): as a superuser, run `ALTER "
                        f"ROLE {role} CREATEROLE` and `ledger init` again, or create it "
                        "yourself (`CREATE ROLE ledger_writer NOLOGIN`; README, Production)")

    def has_schema(self) -> bool:
        """Whether :meth:`create_schema` (``ledger init``) has run on this database."""
        with self.cursor() as curs:
            curs.execute("SELECT to_regclass('ledger_receipts') IS NOT NULL AS present")
            row = curs.fetchone()
        return bool(row and row["present"])

    def schema_behind(self, tables: Iterable[str] | None = None) -> str | None:
        """What this code needs of the database's tables (of ``tables`` only, if given) that
        an older ``ledger init`` did not make (None: nothing). Each entry of SCHEMA_NEEDS is a
        column the code reads; only ``ledger init``, run by the owner role, adds it."""
        needs = [n for n in SCHEMA_NEEDS if tables is None or n[0] in tables]
        with self.cursor() as curs:      # one query for every need, answered in their order
            # pg_attribute: readable by every role (information_schema lists only the columns
            # of tables the role holds a privilege on)
            curs.execute("SELECT n.i FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY "
                         "AS n(t, c, i) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute "
                         "WHERE attrelid = pg_catalog.to_regclass('public.' || n.t) "
                         "AND attname = n.c AND NOT attisdropped) ORDER BY n.i LIMIT 1",
                         ([t for t, _, _ in needs], [c for _, c, _ in needs]))
            row = curs.fetchone()
        if row is None:
            return None
        table, column, since = needs[row["i"] - 1]
        return f"{table} has no column {column} (added {since})"

    def history_rights(self) -> tuple[str, str] | None:
        """(role, why) when this store's role could change history despite the append-only
        triggers — a superuser, or the tables' owner (or a member of it), may disable them —
        else None. The service should connect as a role granted only ``ledger_writer``."""
        with self.cursor() as curs:
            curs.execute("SELECT current_user AS role, r.rolsuper AS super, "
                         "pg_has_role(current_user, c.relowner, 'MEMBER') AS owner, "
                         "pg_get_userbyid(c.relowner) AS owner_name FROM pg_roles r, pg_class c "
                         "WHERE r.rolname = current_user AND c.oid = 'public.stored_events'::regclass")
            row = curs.fetchone()
        if row is None or not (row["super"] or row["owner"]):
            return None
        why = ("is a superuser" if row["super"] else
               "owns the ledger's tables" if row["owner_name"] == row["role"] else
               f"is a member of {row['owner_name']}, which owns the ledger's tables")
        return row["role"], why

    def unprivileged_role(self) -> str | None:
        """This store's role when it may not read and append to the ledger's tables as a
        service must (a role never granted ``ledger_writer``, or given PostgreSQL's read-all and
        write-all roles instead: it may not run the lock function every write runs), else None."""
        with self.cursor() as curs:
            curs.execute("SELECT current_user AS role, "
                         + " AND ".join([f"has_table_privilege('public.{t}', '{p}')"
                                         for t, p in SERVICE_PRIVILEGES]
                                        + [f"has_function_privilege('public.{f}', 'EXECUTE')"
                                           for f in SERVICE_FUNCTIONS]) + " AS ok")
            row = curs.fetchone()
        return None if row is None or row["ok"] else row["role"]

    # -- connections -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[DictRow]]:
        with self._unavailable():
            with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
                yield curs

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor[DictRow]]:
        with self._unavailable():
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                yield curs

    @contextmanager
    def _unavailable(self) -> Iterator[None]:
        """Turns an OperationalError (or the InternalError of a session ended idle in a
        transaction, SQLSTATE 25P03) into Unavailable. Raises RolledBack for a transaction the
        server rolled back on its own (a deadlock, a serialization failure: SQLSTATE class 40),
        Unavailable naming the SQLSTATE for any other error the server answered with (a
        statement or lock timeout, a full disk), and for a lost or refused connection
        Unavailable after having the pool test its idle connections and replace the dead:
        after a database restart every one of them is dead, and each would otherwise fail a
        request of its own (up to 16 503s in a row, with the database back, more than a client
        retries). Only then: the test costs a round trip per idle connection, for nothing when
        the server answered."""
        try:
            yield
        except (psycopg.OperationalError, OperationalError, InterfaceError, psycopg.InternalError,
                InternalError) as e:
            cause = e.__cause__ or e            # the library's errors wrap psycopg's
            sqlstate = getattr(cause, "sqlstate", None)
            if isinstance(e, (psycopg.InternalError, InternalError)) and sqlstate != IDLE_ENDED:
                raise
            if sqlstate is not None and not _session_ended(sqlstate):
                diag = getattr(cause, "diag", None)
                said = (diag and diag.message_primary) or str(e)
                if sqlstate.startswith("40"):
                    raise RolledBack(f"the database rolled the transaction back ({said}, "
                                     f"SQLSTATE {sqlstate}): nothing was written") from e
                raise Unavailable(f"the database refused the statement ({said}, SQLSTATE "
                                  f"{sqlstate}): nothing was written") from e
            if not isinstance(cause, PoolTimeout):     # none to test: none connects
                self.datastore.pool.check()
            raise Unavailable(f"database unavailable: {e}") from e

    def close(self) -> None:
        self.datastore.close()

    def connect(self) -> psycopg.Connection[Any]:
        """A dedicated connection outside the pool (for LISTEN and session advisory locks)."""
        if self.url is None:
            raise Unavailable("this store was built without a URL")
        return psycopg.connect(self.url)

    # -- the write transaction ---------------------------------------------------------------
    @contextmanager
    def write_session(self) -> Iterator["WriteSession"]:
        """One write transaction: lock, read, insert, commit — four round trips per group."""
        with self._unavailable():
            with self.datastore.get_connection() as conn, conn.transaction():
                yield WriteSession(conn, self.recorder)

    @staticmethod
    def end_when_idle(curs: Any) -> None:
        """Have the server end the session of ``curs``'s transaction when it sits idle
        WRITER_IDLE_SECONDS: for a transaction holding a lock others wait for (the checkpoint
        issuers'), whose host may die in it without closing its connection."""
        curs.execute(SQL("SET LOCAL idle_in_transaction_session_timeout = {}").format(
            Literal(f"{WRITER_IDLE_SECONDS}s")))

    # -- reads used outside the write path ---------------------------------------------------
    @staticmethod
    def nodes(curs: Any, coords: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Perfect-subtree hashes; level 0 comes from the receipts' leaf hashes."""
        coords = list(coords)
        out: dict[tuple[int, int], bytes] = {}
        leaves = [c[1] for c in coords if c[0] == 0]
        inner = [c for c in coords if c[0] > 0]
        if leaves:
            curs.execute("SELECT log_index, leaf_hash FROM ledger_receipts "
                         "WHERE log_index = ANY(%s)", (leaves,))
            out.update({(0, r["log_index"]): bytes(r["leaf_hash"]) for r in curs.fetchall()})
        if inner:
            curs.execute(
                "SELECT n.level, n.idx, n.hash FROM ledger_merkle_nodes n "
                "JOIN unnest(%s::smallint[], %s::bigint[]) AS c(level, idx) "
                "ON n.level = c.level AND n.idx = c.idx",
                ([c[0] for c in inner], [c[1] for c in inner]))
            out.update({(r["level"], r["idx"]): bytes(r["hash"]) for r in curs.fetchall()})
        if len(out) < len(set(coords)):
            missing = sorted(set(coords) - out.keys())
            raise Damaged(f"the stored Merkle tree lacks {len(missing)} node(s) its size implies "
                          f"(first: level {missing[0][0]}, index {missing[0][1]}): the log was "
                          "altered or damaged outside the service", missing=len(missing))
        return out

    @staticmethod
    def key_events_after(curs: Any, version: int) -> list[StoredRow]:
        curs.execute(f"SELECT {_RECEIPT_COLUMNS} {_JOIN} WHERE r.stream = 'keys' "
                     "AND r.stream_version > %s ORDER BY r.stream_version", (version,))
        return [_row(r) for r in curs.fetchall()]

    @staticmethod
    def head(curs: Any) -> tuple[int, str | None]:
        """(log size, last recorded_at)."""
        curs.execute("SELECT log_index, recorded_at FROM ledger_receipts "
                     "ORDER BY log_index DESC LIMIT 1")
        row = curs.fetchone()
        return (0, None) if row is None else (row["log_index"] + 1, row["recorded_at"])

    @staticmethod
    def head_with_keys(curs: Any) -> tuple[int, int | None, bytes | None]:
        """(log size, version and chain hash of the last ``keys`` event below it, or None
        twice), read in one statement: one snapshot, so the keys head is the tree's."""
        curs.execute("SELECT s.size, k.stream_version, k.chain_hash FROM (SELECT coalesce(("
                     "SELECT log_index + 1 FROM ledger_receipts ORDER BY log_index DESC LIMIT 1"
                     "), 0) AS size) s LEFT JOIN LATERAL (SELECT stream_version, chain_hash "
                     "FROM ledger_receipts WHERE stream = 'keys' AND log_index < s.size "
                     "ORDER BY stream_version DESC LIMIT 1) k ON true")
        row = curs.fetchone()
        chain = row["chain_hash"]
        return row["size"], row["stream_version"], None if chain is None else bytes(chain)

    # -- reads -------------------------------------------------------------------------------
    @staticmethod
    def rows_by_id(curs: Any, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        if not event_ids:
            return {}
        curs.execute(f"SELECT {_RECEIPT_COLUMNS} {_JOIN} WHERE r.event_id = ANY(%b::text[]::uuid[])",
                     (list(event_ids),))
        return {str(r["event_id"]): _row(r) for r in curs.fetchall()}

    @staticmethod
    def rows_of_streams(curs: Any, streams: Sequence[str]) -> list[StoredRow]:
        """Every event of ``streams``, by stream and in stream order."""
        curs.execute(f"SELECT {_RECEIPT_COLUMNS} {_JOIN} WHERE r.stream = ANY(%s) "
                     "ORDER BY r.stream, r.stream_version", (list(streams),))
        return [_row(r) for r in curs.fetchall()]

    def get_event(self, event_id: str) -> StoredRow | None:
        with self.cursor() as curs:
            try:
                curs.execute(f"SELECT {_RECEIPT_COLUMNS} {_JOIN} WHERE r.event_id = %s::uuid",
                             (event_id,))
            except psycopg.errors.InvalidTextRepresentation:
                return None
            row = curs.fetchone()
            return _row(row) if row else None

    def stream_events(self, stream: str, *, after_version: int, limit: int) -> list[StoredRow]:
        with self.cursor() as curs:
            curs.execute(f"SELECT {_RECEIPT_COLUMNS} {_JOIN} WHERE r.stream = %s "
                         "AND r.stream_version > %s ORDER BY r.stream_version LIMIT %s",
                         (stream, after_version, limit))
            return [_row(r) for r in curs.fetchall()]

    def log_events(self, *, start: int, stop: int) -> list[StoredRow]:
        """Events with start <= log_index < stop, in log order."""
        with self.cursor() as curs:
            curs.execute(f"SELECT {_RECEIPT_COLUMNS} {_JOIN} WHERE r.log_index >= %s "
                         "AND r.log_index < %s ORDER BY r.log_index", (start, stop))
            return [_row(r) for r in curs.fetchall()]

    def size(self) -> int:
        with self.cursor() as curs:
            return self.head(curs)[0]

    def ledger_clock(self) -> datetime:
        """The ledger's clock now (:data:`NOW_SQL`), not this process's."""
        with self.cursor() as curs:
            return read_ledger_clock(curs)

    def read_nodes(self, coords: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        with self.cursor() as curs:
            return self.nodes(curs, coords)

    # -- tokens ------------------------------------------------------------------------------
    def insert_token(self, token_hash: bytes, principal: str, roles: Sequence[str],
                     units: Sequence[str]) -> None:
        with self.transaction() as curs:
            curs.execute("INSERT INTO ledger_tokens (token_hash, principal, roles, units) "
                         "VALUES (%s, %s, %s, %s)", (token_hash, principal, list(roles), list(units)))

    def register_admin_token(self, token_hash: bytes) -> bool:
        """Make ``token_hash`` an admin token of this database unless ``ledger init`` registered
        it here before (owner role): once registered, a token missing from the tokens was
        revoked, and stays so. Returns whether it was added now."""
        with self.transaction() as curs:
            status = self._admin_token_status(curs, token_hash)
            if status == "unregistered":
                curs.execute("INSERT INTO ledger_tokens (token_hash, principal, roles, units) "
                             "VALUES (%s, 'admin', '{admin}', '{}') ON CONFLICT DO NOTHING",
                             (token_hash,))
            if status != "revoked":     # held but not recorded: a database older than the record
                curs.execute("INSERT INTO ledger_admin_grants (token_hash) VALUES (%s) "
                             "ON CONFLICT DO NOTHING", (token_hash,))
            return status == "unregistered"

    def admin_token_status(self, token_hash: bytes) -> str:
        """Whether the home's admin token ``token_hash`` is "valid" here (a token of this
        database), "revoked" (``ledger init`` registered it here and it is gone — or the
        database held a ledger before init recorded the tokens it registered, so it may have
        been) or "unregistered" (never registered here: ``ledger init`` registers it)."""
        with self.cursor() as curs:
            return self._admin_token_status(curs, token_hash)

    @staticmethod
    def _admin_token_status(curs: Any, token_hash: bytes) -> str:
        curs.execute("SELECT EXISTS (SELECT 1 FROM ledger_tokens WHERE token_hash = %s) AS held, "
                     "to_regclass('ledger_admin_grants') IS NOT NULL AS recorded", (token_hash,))
        row = curs.fetchone()
        if row["held"]:
            return "valid"
        if not row["recorded"]:          # a ledger older than the record: init has not run yet
            return "revoked"
        curs.execute("SELECT 1 FROM ledger_admin_grants WHERE token_hash = ANY(%s)",
                     ([token_hash, UNRECORDED_ADMIN_TOKENS],))
        return "revoked" if curs.fetchone() is not None else "unregistered"

    def tokens(self) -> list[dict[str, Any]]:
        """Every token: its id (the first 12 hex digits of its hash), principal, roles, units
        and when it was created — never the token."""
        with self.cursor() as curs:
            # created_at as UTC text, as the clock is read: a timestamptz is parsed by psycopg
            # only in the ISO DateStyle
            curs.execute(f"SELECT token_hash, principal, roles, units, "
                         f"{_UTC_TEXT.format('created_at')} AS created_at FROM ledger_tokens "
                         "ORDER BY ledger_tokens.created_at, token_hash")
            return [{"id": bytes(r["token_hash"]).hex()[:12], "principal": r["principal"],
                     "roles": list(r["roles"]), "units": list(r["units"]),
                     "created_at": r["created_at"]} for r in curs.fetchall()]

    def revoke_tokens(self, *, token_hash: bytes | None = None, principal: str | None = None,
                      id_prefix: str | None = None) -> int:
        """Delete the tokens matching exactly one criterion; returns how many. An id prefix
        must name one token (MalformedEvent if it names several)."""
        if sum(x is not None for x in (token_hash, principal, id_prefix)) != 1:
            raise MalformedEvent("name exactly one of a token, a principal or a token id")
        with self.transaction() as curs:
            if token_hash is not None:
                curs.execute("DELETE FROM ledger_tokens WHERE token_hash = %s", (token_hash,))
            elif principal is not None:
                curs.execute("DELETE FROM ledger_tokens WHERE principal = %s", (principal,))
            else:
                assert id_prefix is not None
                if not re.fullmatch(r"[0-9a-f]{8,64}", id_prefix):
                    raise MalformedEvent("a token id is 8 to 64 lower-case hex digits",
                                         field="id")
                curs.execute("SELECT token_hash FROM ledger_tokens WHERE "
                             "encode(token_hash, 'hex') LIKE %s", (id_prefix + "%",))
                found = [bytes(r["token_hash"]) for r in curs.fetchall()]
                if len(found) > 1:
                    raise MalformedEvent(f"token id {id_prefix} names {len(found)} tokens; give "
                                         "more of it", field="id")
                curs.execute("DELETE FROM ledger_tokens WHERE token_hash = ANY(%s)", (found,))
            return curs.rowcount

    def find_token(self, token_hash: bytes) -> tuple[str, list[str], list[str]] | None:
        with self.cursor() as curs:
            curs.execute("SELECT principal, roles, units FROM ledger_tokens WHERE token_hash = %s",
                         (token_hash,))
            row = curs.fetchone()
            return None if row is None else (row["principal"], list(row["roles"]), list(row["units"]))
