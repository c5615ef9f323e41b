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
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow
from psycopg.sql import SQL

from .envelope import Receipt
from .errors import Unavailable

STREAM_NAMESPACE = uuid.UUID("6f1b2a52-3c1d-5e7a-9b0c-1d2e3f405162")
EVENTS_TABLE = "stored_events"


@functools.lru_cache(maxsize=65536)
def stream_uuid(stream: str) -> uuid.UUID:
    return uuid.uuid5(STREAM_NAMESPACE, stream)


def datastore_from_url(url: str, *, pool_size: int = 4, max_overflow: int = 12) -> PostgresDatastore:
    params = conninfo_to_dict(url)
    return PostgresDatastore(
        dbname=params.get("dbname", "postgres"), host=params.get("host", "localhost"),
        port=params.get("port", 5432), user=params.get("user", "postgres"),
        password=params.get("password", ""), pool_size=pool_size, max_overflow=max_overflow,
        max_waiting=0, connect_timeout=10, pool_open_timeout=10,
    )


class LedgerRecorder(PostgresApplicationRecorder):
    """The library's application recorder, writing the stored-event rows as four binary arrays
    (instead of a text-encoded composite array) and locking through the definer function."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, events_table_name=EVENTS_TABLE)
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout),
            SQL("SELECT ledger_lock_events()"),
        ]
        self.insert_arrays_statement = SQL(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id")

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self.insert_arrays_statement, (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        ))

    def lock_and_notify(self, curs: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)

    def insert_rows(self, curs: Any, originator_ids: list[uuid.UUID | str], versions: list[int],
                    topics: list[str], states: list[bytes]) -> list[int]:
        curs.execute(self.insert_arrays_statement, (originator_ids, versions, topics, states))
        return [row["notification_id"] for row in curs.fetchall()]


@dataclass(frozen=True, slots=True)
class StoredRow:
    receipt: Receipt
    raw: bytes
    event_type: str


_RECEIPT_COLUMNS = ("r.log_index, r.event_id, r.notification_id, r.stream, r.stream_version, "
                    "r.event_type, r.recorded_at, r.leaf_hash, r.chain_hash, e.state")
_JOIN = ("FROM ledger_receipts r JOIN stored_events e ON e.notification_id = r.notification_id")


def _row(row: DictRow) -> StoredRow:
    return StoredRow(
        receipt=Receipt(
            event_id=str(row["event_id"]), index=row["log_index"], stream=row["stream"],
            stream_version=row["stream_version"], recorded_at=row["recorded_at"],
            leaf_hash=bytes(row["leaf_hash"]), chain_hash=bytes(row["chain_hash"]),
            notification_id=row["notification_id"]),
        raw=bytes(row["state"]), event_type=row["event_type"])


class LedgerStore:
    """SQL for the ledger's tables. Methods taking ``curs`` run inside a caller's transaction."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        self.recorder = LedgerRecorder(datastore)

    # -- schema ------------------------------------------------------------------------------
    def create_schema(self) -> None:
        """Create the library's and the ledger's tables (owner role; idempotent)."""
        self.recorder.create_table()
        sql = resources.files("ledger").joinpath("schema.sql").read_text()
        with self.datastore.get_connection() as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    # -- connections -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[DictRow]]:
        try:
            with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
                yield curs
        except psycopg.OperationalError as e:
            raise Unavailable(f"database unavailable: {e}") from e

    @contextmanager
    def cursor(self) -> Iterator[psycopg.Cursor[DictRow]]:
        try:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                yield curs
        except psycopg.OperationalError as e:
            raise Unavailable(f"database unavailable: {e}") from e

    def close(self) -> None:
        self.datastore.close()

    # -- reads inside the write transaction --------------------------------------------------
    @staticmethod
    def head(curs: Any) -> tuple[int, str | None]:
        """(log size, last recorded_at)."""
        curs.execute("SELECT log_index, recorded_at FROM ledger_receipts "
                     "ORDER BY log_index DESC LIMIT 1")
        row = curs.fetchone()
        return (0, None) if row is None else (row["log_index"] + 1, row["recorded_at"])

    @staticmethod
    def nodes(curs: Any, coords: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        coords = list(coords)
        if not coords:
            return {}
        curs.execute(
            "SELECT n.level, n.idx, n.hash FROM ledger_merkle_nodes n "
            "JOIN unnest(%s::smallint[], %s::bigint[]) AS c(level, idx) "
            "ON n.level = c.level AND n.idx = c.idx",
            ([c[0] for c in coords], [c[1] for c in coords]))
        return {(r["level"], r["idx"]): bytes(r["hash"]) for r in curs.fetchall()}

    @staticmethod
    def stream_heads(curs: Any, streams: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """Latest (version, chain hash) of each stream that has events (one index probe each)."""
        curs.execute(
            "SELECT h.stream, h.stream_version, h.chain_hash FROM unnest(%b::text[]) AS s(name) "
            "CROSS JOIN LATERAL (SELECT stream, stream_version, chain_hash FROM ledger_receipts "
            "WHERE stream = s.name ORDER BY stream_version DESC LIMIT 1) h", (list(streams),))
        return {r["stream"]: (r["stream_version"], bytes(r["chain_hash"])) for r in curs.fetchall()}

    @staticmethod
    def existing(curs: Any, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        curs.execute("SELECT event_id FROM ledger_receipts WHERE event_id = ANY(%b::text[]::uuid[])",
                     (list(event_ids),))
        found = [r["event_id"] for r in curs.fetchall()]
        if not found:
            return {}
        curs.execute(f"SELECT {_RECEIPT_COLUMNS} {_JOIN} WHERE r.event_id = ANY(%s)", (found,))
        return {str(r["event_id"]): _row(r) for r in curs.fetchall()}

    @staticmethod
    def key_events_after(curs: Any, version: int) -> list[StoredRow]:
        curs.execute(f"SELECT {_RECEIPT_COLUMNS} {_JOIN} WHERE r.stream = 'keys' "
                     "AND r.stream_version > %s ORDER BY r.stream_version", (version,))
        return [_row(r) for r in curs.fetchall()]

    @staticmethod
    def keys_version(curs: Any) -> int:
        curs.execute("SELECT max(stream_version) AS v FROM ledger_receipts WHERE stream = 'keys'")
        row = curs.fetchone()
        return (row["v"] or 0) if row else 0

    # -- writes inside the write transaction --------------------------------------------------
    @staticmethod
    def insert_receipts(curs: Any, rows: Sequence[tuple[Receipt, str]]) -> None:
        """Insert receipts as binary arrays through unnest (faster than COPY row by row)."""
        curs.execute(
            "INSERT INTO ledger_receipts (log_index, event_id, notification_id, stream, "
            "stream_version, event_type, recorded_at, leaf_hash, chain_hash) "
            "SELECT * FROM unnest(%b::bigint[], %b::text[]::uuid[], %b::bigint[], %b::text[], "
            "%b::bigint[], %b::text[], %b::text[], %b::bytea[], %b::bytea[])",
            ([r.index for r, _ in rows], [r.event_id for r, _ in rows],
             [r.notification_id for r, _ in rows], [r.stream for r, _ in rows],
             [r.stream_version for r, _ in rows], [t for _, t in rows],
             [r.recorded_at for r, _ in rows], [r.leaf_hash for r, _ in rows],
             [r.chain_hash for r, _ in rows]))

    @staticmethod
    def insert_nodes(curs: Any, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        curs.execute(
            "INSERT INTO ledger_merkle_nodes (level, idx, hash) "
            "SELECT * FROM unnest(%b::smallint[], %b::bigint[], %b::bytea[])",
            ([n[0] for n in nodes], [n[1] for n in nodes], [n[2] for n in nodes]))

    # -- reads -------------------------------------------------------------------------------
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

    def read_nodes(self, coords: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        with self.cursor() as curs:
            return self.nodes(curs, coords)

    # -- tokens ------------------------------------------------------------------------------
    def insert_token(self, token_hash: bytes, principal: str, roles: Sequence[str],
                     units: Sequence[str]) -> None:
        with self.transaction() as curs:
            curs.execute("INSERT INTO ledger_tokens (token_hash, principal, roles, units) "
                         "VALUES (%s, %s, %s, %s)", (token_hash, principal, list(roles), list(units)))

    def find_token(self, token_hash: bytes) -> tuple[str, list[str], list[str]] | None:
        with self.cursor() as curs:
            curs.execute("SELECT principal, roles, units FROM ledger_tokens WHERE token_hash = %s",
                         (token_hash,))
            row = curs.fetchone()
            return None if row is None else (row["principal"], list(row["roles"]), list(row["units"]))
