"""Audit bundle export: a scope of the log, streamed as ``integrity-ledger/bundle/v1``.

A scope is a sorted sequence of log indices, produced a page at a time (:class:`Scope`). The
exporter adds what a verifier needs to judge those events on its own: every event of stream
``keys`` below the checkpoint's tree size (merged in log order) and — in a bundle of whole
streams — every event of the ``config:`` streams (the city's published parameters, which the
red flags read: ``ledger flags`` recomputes with them) and the ``flag:`` streams the caller
names (:attr:`StreamScope.flags`: the inspectors' dispositions of the flags about a case,
officer or unit, which the flags read model knows), an *anchor* for every stream
that enters the bundle above version 1, and one inclusion proof per line against exactly the
checkpoint's tree size; a time bundle's end line adds the entries just outside its range, with
proofs, so its range is not cut short unseen. A whole-log bundle carries every leaf in order
and no proofs. Officer
and unit scopes plug in as further :class:`Scope` implementations over a read model.

Nothing is loaded whole: indices, rows and Merkle nodes are read in pages of :data:`PAGE`, and
each page's proofs come from one query for the perfect-subtree nodes they need. Envelope bytes
are copied from storage into the lines by concatenation, never re-encoded. See docs/bundle.md.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from . import merkle
from .envelope import parse_time
from .errors import Conflict, MalformedEvent, NotFound
from .grammar import STREAM
from .keys import KEY_EVENT_TYPES, KEYS_STREAM
from .logentry import format_recorded_at
from .logview import LogView, StoredCheckpoint
from . import store as store_module
from .store import LedgerStore
from .streamheads import Heads, MalformedHeads, StreamHead
from .verify import format as fmt

PAGE = 1000
GENERATOR = "integrity-ledger 0.1.0"

_COLUMNS = ("r.log_index, r.stream, r.stream_version, r.recorded_at, r.leaf_hash, r.chain_hash, "
            "e.state")
# The receipts-to-stored-events join is the store's to define (it follows the schema).
_JOIN = store_module._JOIN


@dataclass(frozen=True, slots=True)
class Row:
    """One stored event as the bundle needs it."""

    index: int
    stream: str
    stream_version: int
    recorded_at: str
    leaf_hash: bytes
    chain_hash: bytes
    raw: bytes


def _rows(records: Iterable[Any]) -> list[Row]:
    return [Row(r["log_index"], r["stream"], r["stream_version"], r["recorded_at"],
                bytes(r["leaf_hash"]), bytes(r["chain_hash"]), bytes(r["state"]))
            for r in records]


class Reader:
    """The few reads an export makes, each bounded by a page."""

    def __init__(self, store: LedgerStore) -> None:
        self.store = store

    def stream_indices(self, stream: str, tree_size: int) -> Iterator[list[int]]:
        after = 0
        while True:
            with self.store.cursor() as curs:
                curs.execute("SELECT log_index, stream_version FROM ledger_receipts "
                             "WHERE stream = %s AND stream_version > %s AND log_index < %s "
                             "ORDER BY stream_version LIMIT %s", (stream, after, tree_size, PAGE))
                page = curs.fetchall()
            if not page:
                return
            yield sorted(r["log_index"] for r in page)
            after = page[-1]["stream_version"]

    def time_bounds(self, start: str, stop: str, tree_size: int) -> tuple[int, int] | None:
        with self.store.cursor() as curs:
            curs.execute("SELECT min(log_index) AS lo, max(log_index) AS hi FROM ledger_receipts "
                         "WHERE recorded_at >= %s AND recorded_at < %s AND log_index < %s",
                         (start, stop, tree_size))
            row = curs.fetchone()
        return None if row is None or row["lo"] is None else (row["lo"], row["hi"])

    def time_edges(self, start: str, stop: str, tree_size: int) -> tuple[int | None, int | None]:
        """The log indices just outside ``[start, stop)`` below ``tree_size``: the last recorded
        before ``start`` and the first at or after ``stop`` (None where there is none)."""
        with self.store.cursor() as curs:
            curs.execute("SELECT max(log_index) FILTER (WHERE recorded_at < %s) AS before, "
                         "min(log_index) FILTER (WHERE recorded_at >= %s) AS after "
                         "FROM ledger_receipts WHERE log_index < %s", (start, stop, tree_size))
            row = curs.fetchone()
        return (None, None) if row is None else (row["before"], row["after"])

    def rows_at(self, indices: Sequence[int]) -> list[Row]:
        with self.store.cursor() as curs:
            curs.execute(f"SELECT {_COLUMNS} {_JOIN} WHERE r.log_index = ANY(%s) "
                         "ORDER BY r.log_index", (list(indices),))
            return _rows(curs.fetchall())

    def rows_between(self, start: int, stop: int) -> list[Row]:
        with self.store.cursor() as curs:
            curs.execute(f"SELECT {_COLUMNS} {_JOIN} WHERE r.log_index >= %s AND r.log_index < %s "
                         "ORDER BY r.log_index", (start, stop))
            return _rows(curs.fetchall())

    def rows_of_versions(self, wanted: Sequence[tuple[str, int]]) -> list[Row]:
        with self.store.cursor() as curs:
            curs.execute(f"SELECT {_COLUMNS} {_JOIN} JOIN unnest(%s::text[], %s::bigint[]) "
                         "AS w(stream, version) ON r.stream = w.stream "
                         "AND r.stream_version = w.version ORDER BY r.log_index",
                         ([s for s, _ in wanted], [v for _, v in wanted]))
            return _rows(curs.fetchall())

    def streams_indices(self, streams: Sequence[str], tree_size: int) -> Iterator[list[int]]:
        """The log indices below ``tree_size`` of every event of ``streams``, in order, a page
        at a time."""
        after = -1
        while streams:
            with self.store.cursor() as curs:
                curs.execute("SELECT log_index FROM ledger_receipts WHERE stream = ANY(%s) "
                             "AND log_index > %s AND log_index < %s ORDER BY log_index LIMIT %s",
                             (list(streams), after, tree_size, PAGE))
                page = [r["log_index"] for r in curs.fetchall()]
            if not page:
                return
            yield page
            after = page[-1]

    def config_streams(self, tree_size: int) -> list[str]:
        """The ``config:`` streams with an event below ``tree_size`` (published configuration:
        few events, on few streams)."""
        with self.store.cursor() as curs:
            curs.execute("SELECT DISTINCT stream FROM ledger_receipts WHERE stream LIKE "
                         "'config:%%' AND log_index < %s ORDER BY stream", (tree_size,))
            return [r["stream"] for r in curs.fetchall()]

    def stream_heads(self, streams: Sequence[str], tree_size: int) -> list[StreamHead]:
        """The last event below ``tree_size`` of each of ``streams`` that has one, in one
        statement: receipts below a signed tree size never change, so these are its heads."""
        with self.store.cursor() as curs:
            curs.execute("SELECT s.stream, h.stream_version, h.chain_hash, h.log_index "
                         "FROM unnest(%s::text[]) AS s(stream) CROSS JOIN LATERAL ("
                         "SELECT stream_version, chain_hash, log_index FROM ledger_receipts r "
                         "WHERE r.stream = s.stream AND r.log_index < %s "
                         "ORDER BY r.stream_version DESC LIMIT 1) h", (list(streams), tree_size))
            return [StreamHead(r["stream"], r["stream_version"], bytes(r["chain_hash"]),
                               r["log_index"]) for r in curs.fetchall()]

    def event_types(self, tree_size: int) -> list[str]:
        with self.store.cursor() as curs:
            curs.execute("SELECT DISTINCT event_type FROM ledger_receipts WHERE log_index < %s",
                         (tree_size,))
            return sorted(r["event_type"] for r in curs.fetchall())


# -- scopes -----------------------------------------------------------------------------------


class Scope(Protocol):
    """What a bundle covers: a header description and its log indices, sorted, in pages."""

    whole_log: bool

    def describe(self) -> dict[str, Any]: ...

    def indices(self, reader: Reader, tree_size: int) -> Iterator[list[int]]: ...


@dataclass(frozen=True)
class StreamScope:
    """Every event of one stream (``case:<id>`` for a case), from version 1.

    ``flags``: for a case, the ``flag:<flag_id>`` streams carried whole beside it — the
    dispositions of the flags about the case, chosen by the caller from the flags read model
    (``api.app.with_flag_streams``); not in the header, which names the scope alone."""

    stream: str
    case_id: str | None = None
    flags: tuple[str, ...] = ()
    whole_log = False

    @classmethod
    def case(cls, case_id: str) -> "StreamScope":
        return cls(stream=f"case:{case_id}", case_id=case_id)

    def describe(self) -> dict[str, Any]:
        if self.case_id is not None:
            return {"kind": "case", "case": self.case_id, "stream": self.stream}
        return {"kind": "stream", "stream": self.stream}

    def indices(self, reader: Reader, tree_size: int) -> Iterator[list[int]]:
        return reader.stream_indices(self.stream, tree_size)


@dataclass(frozen=True)
class StreamsScope:
    """Every event of several whole streams — an officer's or a unit's audit trail. The
    streams are chosen by the caller (from the read models: the officer's own stream, pledges,
    the cases they acted in, complaints naming them; or a unit's cases, officers and
    complaints) and listed in the header, so a verifier can check every event belongs.
    ``flags``: the ``flag:`` streams carried whole beside them, as :class:`StreamScope`'s."""

    kind: str                  # "officer" | "unit"
    subject: str
    streams: tuple[str, ...]
    flags: tuple[str, ...] = ()
    whole_log = False

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, self.kind: self.subject, "streams": list(self.streams)}

    def indices(self, reader: Reader, tree_size: int) -> Iterator[list[int]]:
        return reader.streams_indices(self.streams, tree_size)


@dataclass(frozen=True)
class TimeScope:
    """Every event recorded in ``[start, stop)`` (ledger clock). ``recorded_at`` never goes back
    along the log, so this is one contiguous run of indices."""

    start: str      # the ledger's fixed-width UTC form (logentry.format_recorded_at)
    stop: str
    whole_log = False

    @classmethod
    def parse(cls, start: str, stop: str, *, names: tuple[str, str] = ("from", "to")
              ) -> "TimeScope":
        """From RFC 3339 times with offsets. Raises MalformedEvent naming the one at fault as
        ``names`` spell the two (``from``, ``to``: the query's; ``--from``, ``--to``: the
        CLI's)."""
        first, second = names
        begin, end = _instant(start, first), _instant(stop, second)
        if end <= begin:
            raise MalformedEvent(f"'{second}' must be later than '{first}'", field=second)
        bounds = []
        for (moment, below), field in ((begin, first), (end, second)):
            # recorded_at has microseconds: a bound between two of them is the next one (an
            # event at 10:00:00.000000 is before from=10:00:00.0000005, and before its to)
            try:
                bounds.append(format_recorded_at(
                    moment + timedelta(microseconds=1) if below else moment))
            except OverflowError:      # 0001-01-01T00:00:00+08:00 is in year 0 in UTC
                raise MalformedEvent(f"{field} is outside years 1 to 9999 in UTC",
                                     field=field) from None
        if bounds[0] == bounds[1]:
            raise MalformedEvent(f"'{first}' and '{second}' fall within one microsecond, and "
                                 "no event is recorded between two microseconds (recorded_at "
                                 "has six fractional digits)", field=second)
        return cls(*bounds)

    def describe(self) -> dict[str, Any]:
        return {"kind": "time", "from": self.start, "to": self.stop}

    def indices(self, reader: Reader, tree_size: int) -> Iterator[list[int]]:
        bounds = reader.time_bounds(self.start, self.stop, tree_size)
        if bounds is not None:
            for lo in range(bounds[0], bounds[1] + 1, PAGE):
                yield list(range(lo, min(lo + PAGE, bounds[1] + 1)))


_BELOW_MICROSECONDS = re.compile(r"\.[0-9]{6}([0-9]{1,3})")


def _instant(value: str, field: str) -> tuple[datetime, int]:
    """An RFC 3339 time as the datetime it truncates to (microseconds) and the nanoseconds
    after them (0 to 999: the grammar allows 9 fractional digits)."""
    moment = parse_time(value, field)
    below = _BELOW_MICROSECONDS.search(value)
    return moment, int(below.group(1).ljust(3, "0")) if below else 0


@dataclass(frozen=True)
class WholeLog:
    whole_log = True

    def describe(self) -> dict[str, Any]:
        return {"kind": "all"}

    def indices(self, reader: Reader, tree_size: int) -> Iterator[list[int]]:
        for lo in range(0, tree_size, PAGE):
            yield list(range(lo, min(lo + PAGE, tree_size)))


def bundle_scope(*, case: str | None = None, stream: str | None = None, start: str | None = None,
                 stop: str | None = None, whole: bool = False,
                 names: tuple[str, str] = ("from", "to")) -> Scope:
    """The one scope named by request parameters. Raises MalformedEvent unless exactly one of
    ``case``, ``stream``, ``start`` with ``stop``, or ``whole`` is given, and for a time range
    it cannot read (spelling ``start`` and ``stop`` as ``names``: TimeScope.parse)."""
    given = [name for name, on in (("case", case), ("stream", stream),
                                   ("from/to", start or stop), ("all", whole)) if on]
    if len(given) != 1:
        raise MalformedEvent("name exactly one scope: case, stream, from and to, or all"
                             + (f" (found {', '.join(given)})" if given else ""), field="scope")
    if case:
        return StreamScope.case(case)
    if stream:
        return StreamScope(stream)
    if whole:
        return WholeLog()
    if not (start and stop):
        first, second = names
        raise MalformedEvent(f"a time range needs both {first} and {second}",
                             field=second if start else first)
    return TimeScope.parse(start, stop, names=names)


def require_events(store: LedgerStore, scope: Scope, *, case_param: str = "case=") -> None:
    """Refuse a case or stream scope whose stream holds no event, as an officer the read models
    do not know is refused: its bundle would hold the key registry alone, and verify. The usual
    slip, ``case:<id>`` for a case id, gets the id to give, after ``case_param`` (how the
    caller spells the parameter: ``case=``, ``--case ``). Raises NotFound naming ``case`` or
    ``stream``; any other scope passes."""
    if not isinstance(scope, StreamScope) or store.stream_events(scope.stream, after_version=0,
                                                                 limit=1):
        return
    if scope.case_id is None:
        raise NotFound(f"{_named(scope)} holds no event", field="stream")
    hint = (f" (give the case id without `case:`: {case_param}{scope.case_id[5:]})"
            if scope.case_id.startswith("case:") else "")
    raise NotFound(f"{_named(scope)} holds no event{hint}", field="case")


def _named(scope: StreamScope) -> str:
    """How a refusal names a case or stream scope: ``no case C: stream case:C`` or ``no stream
    S: it``, followed by what it does not hold."""
    return (f"no stream {scope.stream}: it" if scope.case_id is None
            else f"no case {scope.case_id}: stream {scope.stream}")


# -- the export -------------------------------------------------------------------------------


class Vocabulary(Protocol):
    def lookup(self, type_name: str) -> Any: ...   # .signer_roles


@dataclass
class BundleExport:
    """An export ready to stream: checkpoint chosen and checked, header built.

    Build with :meth:`prepare` (which raises before anything is written); then iterate
    :meth:`lines` or call :meth:`write`.
    """

    reader: Reader
    log: LogView
    scope: Scope
    checkpoint: StoredCheckpoint
    header: bytes
    consistency: bytes | None
    warn: Callable[[str], None]
    heads: str | None = None     # the signed heads note of the streams held whole, if any
    #: the config: streams a bundle of whole streams carries (none for the whole log or a time
    #: range)
    config: tuple[str, ...] = ()
    #: the flag: streams a case, officer or unit bundle carries (its scope's ``flags``)
    flags: tuple[str, ...] = ()
    events: int = 0
    anchors: int = 0

    @classmethod
    def prepare(cls, store: LedgerStore, log: LogView, scope: Scope, *,
                types: Vocabulary | None, tree_size: int | None = None,
                since_size: int | None = None, created_at: datetime | None = None,
                warn: Callable[[str], None] | None = None) -> "BundleExport":
        """Choose the checkpoint (``tree_size``'s; else a fresh one of the whole log when the log
        key is at hand, so the bundle covers everything recorded; else the latest) and build
        the header, dated ``created_at`` or else by the ledger's clock (the database server's,
        the clock of every ``recorded_at``), not this process's.

        Raises NotFound when there is no such checkpoint, or for a case, stream, officer or
        unit with no event below its tree size (:func:`_require_held`), MalformedEvent for a
        bad since_size or ``flag:`` streams a scope may not carry (:func:`carried_flags`).
        """
        flags = carried_flags(scope)
        reader = Reader(store)
        if tree_size is not None:
            checkpoint = log.checkpoint_at(tree_size)
            if checkpoint is None:
                raise NotFound(f"no checkpoint of tree size {tree_size}", field="tree_size")
        elif log.signing_key is not None:
            try:
                checkpoint = log.issue_checkpoint()
            except Conflict as e:      # the stored log no longer extends the signed one
                if warn:
                    warn(f"{e.message}; exporting against the latest signed checkpoint")
                checkpoint = log.latest_checkpoint()
                if checkpoint is None:
                    raise
        else:
            checkpoint = log.latest_checkpoint()
            if checkpoint is None:
                raise NotFound("no checkpoint has been issued yet", rule="checkpoint-issued")
        size = checkpoint.size
        _require_held(reader, scope, size)
        consistency = None
        if since_size is not None:
            if not 0 < since_size <= size:
                raise MalformedEvent(f"since_size must be between 1 and the checkpoint's tree "
                                     f"size {size}", field="since_size")
            proof = log.consistency(since_size, size)["proof"]
            hashes = [bytes.fromhex(h) for h in proof]  # type: ignore[union-attr]
            consistency = fmt.consistency_line(since_size, size, hashes)
        header = fmt.header_line(
            # the ledger's clock, the one every recorded_at in the bundle was read from
            created_at=(created_at or store.ledger_clock()).astimezone(timezone.utc)
            .isoformat(timespec="seconds").replace("+00:00", "Z"),
            scope=scope.describe(), origin=checkpoint.note.split("\n", 1)[0], tree_size=size,
            signer_roles=_signer_roles(types, lambda: reader.event_types(size)),
            generator=GENERATOR)
        if flags:   # those with an event below the tree size: most flags have none
            flags = tuple(sorted(h.stream for h in reader.stream_heads(flags, size)))
        held = held_whole(scope)
        config = () if held is None else tuple(reader.config_streams(size))
        return cls(reader=reader, log=log, scope=scope, checkpoint=checkpoint, header=header,
                   consistency=consistency, warn=warn or (lambda _: None),
                   heads=None if held is None else signed_heads(reader, log, checkpoint,
                                                                 (*held, *config)),
                   config=config, flags=flags)

    def write(self, out: Any) -> int:
        """Write the whole bundle to a binary file; return the number of bytes."""
        written = 0
        for chunk in self.lines():
            out.write(chunk)
            written += len(chunk)
        return written

    def lines(self) -> Iterator[bytes]:
        """The bundle, a page of lines per item."""
        yield self.header + fmt.checkpoint_line(self.checkpoint.note) + (self.consistency or b"")
        size = self.checkpoint.size
        if self.scope.whole_log:
            for lo in range(0, size, PAGE):
                rows = self.reader.rows_between(lo, min(lo + PAGE, size))
                self.events += len(rows)
                yield b"".join(_line(r, None) for r in rows)
        else:
            started: set[str] = set()
            for page in _pages(_merge(self.scope.indices(self.reader, size),
                                      *(self.reader.stream_indices(stream, size)
                                        for stream in (KEYS_STREAM, *self.config)),
                                      self.reader.streams_indices(self.flags, size))):
                yield self._page(self.reader.rows_at(page), started)
        yield fmt.end_line(events=self.events, anchors=self.anchors, edges=self._edges(),
                           **({} if self.heads is None else {"heads": self.heads}))

    def _edges(self) -> dict[str, bytes] | None:
        """A time bundle's boundary witnesses: the entries just before and just after its
        range, with their proofs, so a verifier knows the range is not cut short at either end
        (docs/bundle.md, `end`). None for any other scope."""
        if not isinstance(self.scope, TimeScope):
            return None
        size = self.checkpoint.size
        before, after = self.reader.time_edges(self.scope.start, self.scope.stop, size)
        wanted = {name: i for name, i in (("before", before), ("after", after)) if i is not None}
        rows = {r.index: r for r in self.reader.rows_at(list(wanted.values()))} if wanted else {}
        proofs = self._proofs(list(rows))
        edges = {}
        for name, index in wanted.items():
            row = rows.get(index)
            if row is None:
                self.warn(f"the {name} witness (log index {index}) is not found in storage")
                continue
            edges[name] = fmt.witness(row.raw, index=row.index, stream_version=row.stream_version,
                                      recorded_at=row.recorded_at, chain_hash=row.chain_hash,
                                      leaf_hash=row.leaf_hash, proof=proofs[row.index])
        return edges

    def _page(self, rows: list[Row], started: set[str]) -> bytes:
        wanted = []
        for row in rows:
            if row.stream not in started:
                started.add(row.stream)
                if row.stream_version > 1:
                    wanted.append((row.stream, row.stream_version - 1))
        anchors = self.reader.rows_of_versions(wanted) if wanted else []
        if len(anchors) != len(wanted):
            self.warn(f"{len(wanted) - len(anchors)} anchor event(s) not found in storage")
        proofs = self._proofs([r.index for r in anchors] + [r.index for r in rows])
        self.anchors += len(anchors)
        self.events += len(rows)
        return b"".join([_line(r, proofs[r.index], fmt.ANCHOR) for r in anchors]
                        + [_line(r, proofs[r.index]) for r in rows])

    def _proofs(self, indices: list[int]) -> dict[int, list[bytes]]:
        size = self.checkpoint.size
        coords = {i: merkle.inclusion_proof_coords(i, size) for i in indices}
        nodes = self.reader.store.read_nodes({c for cs in coords.values() for c in cs})
        proofs = {}
        for i in indices:
            try:
                proofs[i] = merkle.inclusion_proof_from_nodes(i, size, nodes)
            except KeyError:
                self.warn(f"Merkle nodes for the proof of index {i} are missing from storage")
                proofs[i] = []
        return proofs


def _require_held(reader: Reader, scope: Scope, tree_size: int) -> None:
    """Refuse a case, stream, officer or unit scope none of whose streams has an event below
    ``tree_size`` — all recorded after the checkpoint, which a service without the log key
    exports under, or an older one asked for: its bundle would hold the key registry alone,
    and verify, as :func:`require_events` refuses for one the log does not hold. Raises
    NotFound naming ``case``, ``stream``, ``officer`` or ``unit``."""
    if isinstance(scope, StreamScope):
        streams, field = [scope.stream], "stream" if scope.case_id is None else "case"
        held = f"{_named(scope)} holds no event"
    elif isinstance(scope, StreamsScope):
        streams, field = list(scope.streams), scope.kind
        held = f"no {scope.kind} {scope.subject}: none of its streams holds an event"
    else:
        return
    if not reader.stream_heads(streams, tree_size):
        raise NotFound(f"{held} below the checkpoint's tree size {tree_size} (recorded after "
                       "it: export again once a checkpoint covers it)", field=field)


def held_whole(scope: Scope) -> tuple[str, ...] | None:
    """The streams a scope holds whole, from version 1 (with ``keys``, which every scoped
    bundle holds whole, and the ``flag:`` streams it carries), or None for a scope of whole
    log or time range."""
    if isinstance(scope, StreamScope):
        return (scope.stream, *scope.flags, KEYS_STREAM)
    if isinstance(scope, StreamsScope):
        return (*scope.streams, *scope.flags, KEYS_STREAM)
    return None


def carried_flags(scope: Scope) -> tuple[str, ...]:
    """The ``flag:`` streams a case, officer or unit bundle carries whole beside its scope's
    (docs/bundle.md, Scopes); none for any other scope. Raises MalformedEvent for a stream
    that is not a ``flag:`` one (a verifier would refuse it as outside the scope)."""
    flags = scope.flags if isinstance(scope, (StreamScope, StreamsScope)) else ()
    if flags and isinstance(scope, StreamScope) and scope.case_id is None:
        raise MalformedEvent("only a case, officer or unit bundle carries flag: streams",
                             field="scope")
    for stream in flags:
        if not stream.startswith(fmt.FLAG_PREFIX):
            raise MalformedEvent(f"{stream[:140]!r} is not a flag: stream", field="scope")
    return tuple(flags)


def signed_heads(reader: Reader, log: LogView, checkpoint: StoredCheckpoint,
                 streams: Sequence[str]) -> str | None:
    """The heads note (ledger.streamheads) of ``streams`` — those a bundle holds whole, its
    scope's (:func:`held_whole`) and the ``config:`` streams it carries — below the
    checkpoint's tree size and bound to it, signed by the log key; None without the key.
    Raises MalformedHeads for a stream name outside the grammar (a note line would not read
    back as written): nothing is written then."""
    if log.signing_key is None:
        return None
    for stream in streams:
        if not STREAM.fullmatch(stream):
            raise MalformedHeads(f"stream {stream[:140]!r} is not a stream name: its head "
                                 "cannot be signed")
    origin = checkpoint.note.split("\n", 1)[0]
    heads = Heads.of(origin, checkpoint.size, checkpoint.root,
                     reader.stream_heads(sorted(set(streams)), checkpoint.size))
    return heads.sign(log.key_name, log.signing_key)


def _line(row: Row, proof: list[bytes] | None, kind: str = fmt.EVENT) -> bytes:
    return fmt.event_line(row.raw, index=row.index, stream_version=row.stream_version,
                          recorded_at=row.recorded_at, chain_hash=row.chain_hash,
                          leaf_hash=row.leaf_hash, proof=proof, kind=kind)


def _merge(*sources: Iterator[list[int]]) -> Iterator[int]:
    last = -1
    for index in heapq.merge(*(_flat(s) for s in sources)):
        if index != last:
            yield index
            last = index


def _flat(pages: Iterator[list[int]]) -> Iterator[int]:
    for page in pages:
        yield from page


def _pages(indices: Iterator[int]) -> Iterator[list[int]]:
    page: list[int] = []
    for index in indices:
        page.append(index)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def _signer_roles(types: Vocabulary | None,
                  recorded_types: Callable[[], Iterable[str]]) -> dict[str, list[str]]:
    """The vocabulary's whole signer-role table when it offers one (the same for every bundle,
    so an auditor can pin it once), else the roles of each type recorded below the tree size.
    Key-registry types are left out: their rule is fixed."""
    table: dict[str, list[str]] = {}
    if types is None:
        return table
    whole = getattr(types, "signer_roles_by_type", None)
    if callable(whole):
        return {name: sorted(roles) for name, roles in sorted(whole().items())
                if name not in KEY_EVENT_TYPES}
    for name in recorded_types():
        if name in KEY_EVENT_TYPES:
            continue
        try:
            table[name] = sorted(types.lookup(name).signer_roles)
        except Exception:   # a type the vocabulary no longer knows: the verifier will say so
            continue
    return table
