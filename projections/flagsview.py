"""The red-flag read model: the pure engine (``projections.redflags``) kept in memory by the
projection leader, its flags stored in ``view_flags`` for the queue and the case and officer
pages.

Exactly once: events are folded and their flags written with the tracking position in one
transaction. The engine's indexes live in memory; when a process becomes the leader it first
folds the log up to the recorded position (writing nothing) and then carries on.

Time: rules with deadlines fire when time passes, not only when events arrive; after each
batch and when idle, subjects whose deadlines have passed are re-evaluated. "Now" is the
ledger's clock (``NOW_SQL``: the database server's, never before the last recorded_at), read
in the batch's own transaction after its events are fetched, so every process that takes the
projection over judges by the same clock, and no flag is evaluated before an event it folds
was recorded; an explicit ``clock`` (tests, benchmarks) replaces it. ``refresh_all(at)``
re-evaluates every subject at one instant and records it, so an auditor's
``ledger flags FILE --at <that instant>`` reproduces the table exactly.

Statistics: a quarter's cohort (RF17, RF20.c, RF24 …) is ledger-wide, so evaluating it costs
in proportion to the whole quarter, not to the batch (2 cohorts: ≈ 0.3 s at 100k events, 2.2 s
at 1M, against ≈ 0.1 s for a batch's 400 cases; benchmarks/flags_live.py).
Cohorts a batch touches are therefore *deferred*: evaluated by the first call of ``process``
at least ``stats_every`` seconds (default 60) after their last evaluation while events keep
coming, or ``idle_stats_every`` seconds (default 5) when a call finds no new event (the runner
calls ``process`` every half second even when idle), and by ``run_until_idle`` once it has
caught up — never skipped. A new leader, which folds silently up
to the recorded position, defers every cohort once, so what a previous leader deferred is not
lost, and evaluates every other subject in its first call: the deadlines its predecessor was
waiting for pass on its watch.

Warning levels (``oversight.levels``, docs/oversight.md) are derived from these flags, their
dispositions and formal warnings: in the same transaction, every officer and unit whose flags
were written or deleted, who received a formal warning, or whose level changes by time alone
(a flag ageing out) is recomputed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

import orjson
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder

from ledger.errors import MalformedEvent
from ledger.logentry import format_recorded_at, parse_recorded_at
from ledger.store import NOW_SQL, LedgerStore, read_ledger_clock

from .gcpause import gc_paused
from .oversight.levels import WarningLevels
from .oversight.warnings import FormalItem, WarningParams
from .readmodels import SAVE_CHUNK, TRACKING_TABLE, batches_upto, fetch_after, log_head
from .redflags.days import DAY, EPOCH_ORD, iso, ts_of
from .redflags.engine import FlagEngine
from .redflags.flag import Flag, Subject
from .redflags.params import FlagParams

Clock = Callable[[], datetime]
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
FILTERS = ("rule", "rule_id", "severity", "status", "disposition", "case_id", "officer_id",
           "unit_id", "party_ref", "scope")


class FlagsView:
    NAME = "flags"

    def __init__(self, store: LedgerStore, *, params: FlagParams | None = None,
                 clock: Clock | None = None, warning_params: WarningParams | None = None,
                 stats_every: float = 60.0, idle_stats_every: float = 5.0) -> None:
        self.store = store
        self.params = params
        self.clock = clock        # None: the ledger's clock, read in each transaction
        self.stats_every = stats_every       # seconds a deferred cohort may wait, at most
        self.idle_stats_every = idle_stats_every     # … when no new event arrives
        self._deferred: set[Subject] = set()
        #: subjects a new leader evaluates once: it cannot know which deadlines its predecessor
        #: was waiting for, nor the scopes of the flags later dispositions name
        self._unseen: set[Subject] = set()
        self._stats_at = float("-inf")          # monotonic time of the last cohort evaluation
        self.levels = WarningLevels(warning_params)
        self._formal: list[FormalItem] = []     # formal warnings folded so far
        self.tracking = PostgresTrackingRecorder(store.datastore,
                                                 tracking_table_name=TRACKING_TABLE)
        self._engine: FlagEngine | None = None
        self._folded = 0          # notification id the in-memory engine has folded up to
        # what view_flags holds, mirrored so each batch writes only the flags that changed
        self._held: dict[str, tuple[str, str]] | None = None      # flag_id -> (scope, digest)
        self._by_scope: dict[str, set[str]] = {}

    def position(self) -> int:
        """The notification id of the last event folded into the stored flags (0: none)."""
        return self.tracking.max_tracking_id(self.NAME) or 0

    # -- processing --------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """The store's transaction. If it fails, the tables keep what they held while the engine
        and the mirror of view_flags may have moved on (flags taken as written, deadlines as
        judged): both are dropped, and the next call folds up to the position again and
        evaluates every subject, as a new leader does."""
        try:
            with self.store.transaction() as curs:
                yield curs
        except BaseException:
            self._engine, self._folded, self._held = None, 0, None
            raise

    def _engine_at(self, curs: Any, position: int) -> FlagEngine:
        if self._folded != position:         # another process wrote flags meanwhile
            self._held = None
        if self._engine is None or self._folded > position:
            self._engine, self._folded = FlagEngine(self.params), 0
            self._formal = []
        caught_up = False
        with gc_paused(freeze=True):        # the fold is kept: its objects are not scanned
            for batch in batches_upto(curs, self._folded, position):   # catch up silently
                self._fold(self._engine, [rec for _, rec in batch], subjects=False)
                self._folded = batch[-1][0]
                caught_up = True
        if caught_up:       # whatever a previous leader deferred or awaited is evaluated again
            everything = self._engine.subjects()
            self._deferred = {s for s in everything if s.kind == "cohort"}
            self._unseen = everything - self._deferred
        return self._engine

    def _fold(self, engine: FlagEngine, recs: list[Any], *, subjects: bool = True
              ) -> tuple[set[Subject], set[Any]]:
        """Fold events into the engine and collect formal warnings; returns the subjects to
        re-evaluate (none with ``subjects`` False: every subject is evaluated after a
        catch-up) and the (kind, id) of entities given a formal warning."""
        warned = set()
        for rec in recs:
            if rec.type == "OfficerWarningIssued" and rec.stream.startswith("officer:"):
                oid, b = rec.stream.partition(":")[2], rec.body
                self._formal.append(FormalItem(b["warning_id"], b["kind"], oid, b["unit_id"],
                                               ts_of(rec.occurred_at), rec.event_id))
                warned.update({("officer", oid), ("unit", b["unit_id"])})
        return engine.apply_all(recs, subjects=subjects), warned

    def _update_levels(self, curs: Any, engine: FlagEngine, entities: set[Any],
                       at: datetime) -> None:
        self.levels.update(curs, entities, at, dispositions=engine.fold.dispositions,
                           formal=self._formal,
                           offset_minutes=engine.timeline.latest().legal.legal_utc_offset_minutes)

    def process(self, limit: int = 5000, *, flush: bool = False) -> int:
        """Fold up to ``limit`` new events, re-evaluate what they touch (and any subject whose
        deadline has passed; deferred cohorts when due, or with ``flush``), store the flags;
        returns how many events were folded."""
        with self._transaction() as curs:
            curs.execute(f"SELECT notification_id FROM {TRACKING_TABLE} "
                         "WHERE application_name = %s FOR UPDATE", (self.NAME,))
            row = curs.fetchone()
            position = row["notification_id"] if row else 0
            engine = self._engine_at(curs, position)
            batch = fetch_after(curs, position, limit)
            now = self._now(curs)
            subjects = engine.due_subjects(now) | self._unseen
            self._unseen = set()
            entities = self.levels.due(curs, now)
            if batch:
                dirty, warned = self._fold(engine, [rec for _, rec in batch])
                subjects |= dirty
                entities |= warned
                self._folded = batch[-1][0]
            subjects = self._with_cohorts_due(subjects, flush=flush, idle=not batch)
            if subjects:
                entities |= self._store(curs, subjects, engine.evaluate(subjects, now), now)
            if entities:
                self._update_levels(curs, engine, entities, now)
            if batch:
                self.tracking._insert_tracking(curs, Tracking(self.NAME, batch[-1][0]))
            return len(batch)

    def _with_cohorts_due(self, subjects: set[Subject], *, flush: bool,
                          idle: bool) -> set[Subject]:
        """Defer the cohorts among ``subjects``; add every deferred one with ``flush`` or when
        the last cohort evaluation is ``stats_every`` (``idle_stats_every`` when ``idle``)
        seconds old."""
        cohorts = {s for s in subjects if s.kind == "cohort"}
        if cohorts:
            self._deferred |= cohorts
            subjects = subjects - cohorts
        wait = self.idle_stats_every if idle else self.stats_every
        if self._deferred and (flush or time.monotonic() - self._stats_at >= wait):
            subjects = subjects | self._deferred
            self._deferred = set()
            self._stats_at = time.monotonic()
        return subjects

    def run_until_idle(self, limit: int = 20_000) -> int:
        """Process every pending event, then evaluate the deferred cohorts; returns how many
        events were folded."""
        total = 0
        while n := self.process(limit):
            total += n
        if self._deferred:
            total += self.process(limit, flush=True)    # events that arrived meanwhile, too
        return total

    def _now(self, curs: Any) -> datetime:
        """The explicit clock's time, or the ledger's clock read on ``curs`` (one query)."""
        return self.clock() if self.clock is not None else read_ledger_clock(curs)

    def refresh_all(self, at: datetime | None = None) -> datetime:
        """Re-evaluate every subject at one instant (default: now); returns the instant."""
        with self._transaction() as curs:
            curs.execute(f"SELECT notification_id FROM {TRACKING_TABLE} "
                         "WHERE application_name = %s FOR UPDATE", (self.NAME,))
            row = curs.fetchone()
            engine = self._engine_at(curs, row["notification_id"] if row else 0)
            at = at or self._now(curs)
            curs.execute("DELETE FROM view_flags")
            self._held, self._by_scope = {}, {}
            self._store_everything(curs, engine, at)
        return at

    def rebuild(self, at: datetime | None = None) -> tuple[int, datetime]:
        """Fold the whole log and evaluate every subject once, at ``at`` (default: now), in one
        transaction; returns (events folded, the instant).

        What ``reset`` then ``run_until_idle`` then ``refresh_all`` leave, without evaluating
        and storing each batch's subjects on the way (``refresh_all`` evaluates them all again):
        93 s against 254 s at 1M events (BENCHMARKS.md, "Red flags")."""
        with self._transaction() as curs:
            self._reset(curs)
            engine = self._engine_at(curs, log_head(curs))
            at = at or self._now(curs)
            self._store_everything(curs, engine, at)
            if self._folded:
                self.tracking._insert_tracking(curs, Tracking(self.NAME, self._folded))
        return engine.events, at

    def _store_everything(self, curs: Any, engine: FlagEngine, at: datetime) -> None:
        """Every subject's flags at ``at`` into the emptied view_flags (evaluated on two
        processes), and every warning level computed afresh."""
        self._deferred, self._unseen = set(), set()
        self._store(curs, None, engine.evaluate_all(at, processes=2), at, force=True)
        everyone = self.levels.everyone(curs, self._formal)
        self.levels.reset(curs)
        self._update_levels(curs, engine, everyone, at)

    def reset(self) -> None:
        with self.store.transaction() as curs:
            self._reset(curs)

    def _reset(self, curs: Any) -> None:
        curs.execute("DELETE FROM view_flags")     # not TRUNCATE: readers see the old flags
        WarningLevels.reset(curs)
        curs.execute(f"DELETE FROM {TRACKING_TABLE} WHERE application_name = %s", (self.NAME,))
        self._engine, self._folded = None, 0
        self._formal = []
        self._held, self._by_scope = {}, {}
        self._deferred, self._unseen = set(), set()

    def _load_held(self, curs: Any) -> None:
        curs.execute("SELECT flag_id, scope, digest FROM view_flags")
        self._held, self._by_scope = {}, {}
        for r in curs.fetchall():
            self._held[r["flag_id"]] = (r["scope"], r["digest"])
            self._by_scope.setdefault(r["scope"], set()).add(r["flag_id"])

    def _store(self, curs: Any, subjects: Iterable[Subject] | None, flags: list[Flag],
               at: datetime, *, force: bool = False) -> set[tuple[str, str]]:
        """Write the flags of re-evaluated scopes: new or changed ones are upserted, ones that
        no longer exist are deleted; unchanged ones are not touched. Returns the officers and
        units ((kind, id)) whose flags were written or deleted."""
        touched: set[tuple[str, str]] = set()
        if self._held is None:
            self._load_held(curs)
        held, by_scope = self._held, self._by_scope
        assert held is not None
        evaluated = format_recorded_at(at)
        digests = {f.flag_id: f.digest() for f in flags}
        if subjects is not None:
            current = set(digests)
            stale = sorted(fid for scope in {str(s) for s in subjects}
                           for fid in by_scope.get(scope, ()) if fid not in current)
            if stale:
                curs.execute("DELETE FROM view_flags WHERE flag_id = ANY(%s) "
                             "RETURNING officer_id, unit_id", (stale,))
                touched |= _entities(curs.fetchall())
                for fid in stale:
                    scope, _ = held.pop(fid)
                    by_scope[scope].discard(fid)
        if not force:
            flags = [f for f in flags if held.get(f.flag_id, ("", ""))[1] != digests[f.flag_id]]
        for f in flags:
            old = held.get(f.flag_id)
            if old is not None and old[0] != f.scope:
                by_scope[old[0]].discard(f.flag_id)
            held[f.flag_id] = (f.scope, digests[f.flag_id])
            by_scope.setdefault(f.scope, set()).add(f.flag_id)
        if not flags:
            return touched
        curs.execute("SELECT officer_id, unit_id FROM view_flags WHERE flag_id = ANY(%s)",
                     ([f.flag_id for f in flags],))
        touched |= _entities(curs.fetchall())
        touched |= _entities({"officer_id": f.officer_id, "unit_id": f.unit_id} for f in flags)
        for i in range(0, len(flags), SAVE_CHUNK):     # a parameter must stay < 1 GB
            part = flags[i:i + SAVE_CHUNK]
            curs.execute(
                "INSERT INTO view_flags (flag_id, rule_id, rule, severity, status, disposition, "
                "scope, case_id, officer_id, unit_id, party_ref, raised_at, flag, evaluated_at, "
                "digest) "
                "SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], "
                "%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], "
                "%b::text[], %b::text[]::jsonb[], %b::text[], %b::text[]) "
                "ON CONFLICT (flag_id) DO UPDATE SET digest = EXCLUDED.digest, "
                "rule_id = EXCLUDED.rule_id, rule = EXCLUDED.rule, severity = EXCLUDED.severity, "
                "status = EXCLUDED.status, disposition = EXCLUDED.disposition, "
                "scope = EXCLUDED.scope, case_id = EXCLUDED.case_id, "
                "officer_id = EXCLUDED.officer_id, unit_id = EXCLUDED.unit_id, "
                "party_ref = EXCLUDED.party_ref, raised_at = EXCLUDED.raised_at, "
                "flag = EXCLUDED.flag, evaluated_at = EXCLUDED.evaluated_at",
                ([f.flag_id for f in part], [f.rule_id for f in part], [f.family for f in part],
                 [f.severity for f in part], [f.status for f in part],
                 [f.disposition for f in part], [f.scope for f in part],
                 [f.case_id for f in part], [f.officer_id for f in part],
                 [f.unit_id for f in part], [f.party_ref for f in part],
                 [f.raised_at for f in part],
                 [orjson.dumps(f.to_value()).decode() for f in part], [evaluated] * len(part),
                 [digests[f.flag_id] for f in part]))
        return touched

    # -- queries -----------------------------------------------------------------------------
    def query(self, *, limit: int = 50, after: str | None = None,
              since: datetime | date | None = None, until: datetime | date | None = None,
              units: Iterable[str] = (), **filters: str | None) -> dict[str, Any]:
        """Flags newest first, filtered; paged by an opaque ``after`` cursor. ``since`` and
        ``until`` (included, excluded) are instants, or days of the legal zone."""
        where, params = [], []
        for name in FILTERS:
            value = filters.get(name)
            if value is not None:
                where.append(f"{name} = %s")
                params.append(value)
        if since is not None or until is not None or after:
            offset = self._zone()
        if since is not None:
            where.append("raised_at >= %s")
            params.append(_bound_text(since, offset))
        if until is not None:
            where.append("raised_at < %s")
            params.append(_bound_text(until, offset))
        units = list(units)
        if units:
            where.append("unit_id = ANY(%s)")
            params.append(units)
        if after:       # its raised_at as the flags are written now: a zone may be published
            raised, flag_id = page_cursor(after)
            where.append("(raised_at, flag_id) < (%s, %s)")
            params += [_bound_text(datetime.fromisoformat(raised), offset), flag_id]
        sql = "SELECT flag::text AS flag, raised_at, flag_id, evaluated_at FROM view_flags"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY raised_at DESC, flag_id DESC LIMIT %s"
        params.append(limit + 1)
        with self.store.cursor() as curs:
            curs.execute(sql, params)
            rows = curs.fetchall()
        page = rows[:limit]
        return {"flags": [orjson.loads(r["flag"]) for r in page],
                "evaluated_at": max((r["evaluated_at"] for r in page), default=None),
                "next": f"{page[-1]['raised_at']}|{page[-1]['flag_id']}"
                if len(rows) > limit else None}

    def _zone(self) -> int:
        """The UTC offset in minutes the stored flags' times are written in: every flag's, the
        latest published legal zone (a publication re-evaluates them all); 480 when none is
        stored (no bound then matches anything)."""
        with self.store.cursor() as curs:
            curs.execute("SELECT raised_at FROM view_flags LIMIT 1")
            row = curs.fetchone()
        if row is None:
            return 480
        offset = datetime.fromisoformat(row["raised_at"]).utcoffset()
        assert offset is not None               # raised_at is always written with its offset
        return int(offset.total_seconds()) // 60

    def units_and_clock(self, flag_ids: Iterable[str]) -> tuple[dict[str, str | None], datetime]:
        """The subject ``unit_id`` of each of ``flag_ids`` that view_flags holds (the others
        are left out: not projected yet, or no such flag), and the ledger's clock (the
        writer's, the database server's: ``NOW_SQL``) in the same round trip: the door of a
        unit-scoped key judges its window by it."""
        with self.store.cursor() as curs:
            curs.execute(f"SELECT {NOW_SQL} AS clock, array_agg(flag_id) AS ids, "
                         "array_agg(unit_id) AS units FROM view_flags WHERE flag_id = ANY(%s)",
                         (list(flag_ids),))
            row = curs.fetchone()
        assert row is not None       # an aggregate answers one row, even of no flag
        return (dict(zip(row["ids"] or (), row["units"] or (), strict=True)),
                parse_recorded_at(row["clock"]))

    def flags_about(self, *, cases: Iterable[str] = (), officers: Iterable[str] = (),
                    units: Iterable[str] = ()) -> dict[str, str | None]:
        """The flags view_flags holds whose subject is one of ``cases``, ``officers`` or
        ``units`` (its ``case_id``, ``officer_id`` or ``unit_id``): flag id -> the unit it is
        about. What a case, officer or unit bundle carries the ``flag:`` streams of."""
        with self.store.cursor() as curs:
            curs.execute("SELECT flag_id, unit_id FROM view_flags WHERE case_id = ANY(%s) "
                         "OR officer_id = ANY(%s) OR unit_id = ANY(%s) ORDER BY flag_id",
                         (list(cases), list(officers), list(units)))
            return {r["flag_id"]: r["unit_id"] for r in curs.fetchall()}

    def unit_of(self, flag_id: str) -> str | None:
        """The unit flag ``flag_id`` is about (None: no such flag, or one of no unit)."""
        return self.units_and_clock((flag_id,))[0].get(flag_id)

    def unattached(self, *, limit: int = 50, after: str | None = None) -> dict[str, Any]:
        """The dispositions whose flag view_flags does not hold — the ``flag:`` streams of the
        log less the flags held (a flag that vanished, or none raised yet, or an id that was
        never a flag: docs/red-flags.md, "Vanished flags") — by flag id, ``limit`` flags a
        page, those after the flag id ``after`` (the page's ``next``). The streams are read
        from the partial index ``ledger_receipts_flag_streams``, never from the whole log."""
        with self.store.cursor() as curs:
            curs.execute(
                "SELECT DISTINCT r.stream FROM ledger_receipts r "
                "WHERE starts_with(r.stream, 'flag:') AND r.stream > %s AND NOT EXISTS "
                "(SELECT 1 FROM view_flags v WHERE v.flag_id = substr(r.stream, 6)) "
                "ORDER BY r.stream LIMIT %s", ("flag:" + (after or ""), limit + 1))
            streams = [r["stream"] for r in curs.fetchall()]
            rows = self.store.rows_of_streams(curs, streams[:limit])
        items: dict[str, dict[str, Any]] = {}
        for row in rows:
            flag_id = row.receipt.stream.partition(":")[2]
            body = orjson.loads(row.raw).get("body") or {}
            item = items.setdefault(flag_id, {"flag_id": flag_id, "rule_id": body.get("rule_id"),
                                              "dispositions": []})
            item["rule_id"] = body.get("rule_id") or item["rule_id"]   # the latest one named
            item["dispositions"].append({
                "event_id": row.receipt.event_id, "type": row.event_type,
                "inspector_id": body.get("inspector_id"),
                "recorded_at": row.receipt.recorded_at})
        return {"flags": list(items.values()),
                "next": streams[limit - 1].partition(":")[2] if len(streams) > limit else None}

    def snapshot(self) -> dict[str, Any]:
        with self.store.cursor() as curs:
            curs.execute("SELECT flag_id, flag::text AS flag FROM view_flags")
            return {r["flag_id"]: orjson.loads(r["flag"]) for r in curs.fetchall()}


def page_cursor(after: str) -> tuple[str, str]:
    """The (raised_at, flag_id) of a page cursor ``after`` the queue gave as ``next``. Raises
    MalformedEvent naming ``after`` for anything else."""
    raised, sep, fid = after.partition("|")
    if not (sep and fid and _is_instant(raised)):
        raise MalformedEvent("after must be a page cursor this queue gave (its next)",
                             field="after")
    return raised, fid


def _bound_text(bound: datetime | date, offset_minutes: int) -> str:
    """``bound`` as ``raised_at`` is written in the zone ``offset_minutes``, so comparing the
    two as text compares instants: a day from its start in that zone; an instant at its next
    whole second (``raised_at`` holds whole seconds, so ``>=`` and ``<`` keep their
    meaning)."""
    if isinstance(bound, datetime):
        seconds, rest = divmod(bound - _EPOCH, timedelta(seconds=1))
        return iso(seconds + (rest > timedelta(0)), offset_minutes)
    return iso((bound.toordinal() - EPOCH_ORD) * DAY - offset_minutes * 60, offset_minutes)


def _is_instant(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _entities(rows: Iterable[Any]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for r in rows:
        if r["officer_id"]:
            out.add(("officer", r["officer_id"]))
        if r["unit_id"]:
            out.add(("unit", r["unit_id"]))
    return out
