"""The red-flag engine: fold events into compact indexes, evaluate rules at an explicit time.

::

    engine = FlagEngine(params)
    dirty = engine.apply(rec)                 # O(1) amortised; subjects to re-evaluate
    flags = engine.evaluate(dirty, at)        # every current flag of those subjects
    flags = engine.evaluate_all(at)           # everything
    when = engine.next_due(after)             # next instant a deadline can change an outcome
    subs = engine.due_subjects(until)         # subjects with a deadline passing by then

    compute_flags(history, params, at)        # the auditor's one-shot equivalent

Determinism: no clock reads and no I/O; ``at`` is always an argument; output is sorted by
(``raised_at``, ``rule_id``, ``flag_id``). ``compute_flags`` over a history equals folding the
same history incrementally and evaluating every subject ``apply`` returned, at the same ``at``
(a test checks this on whole lifecycles).

Which facts a rule reads: the state after every event folded so far (the ledger's present
knowledge of the past), never "as of the log position": a credential suspension recorded late
still makes the acts it covered unqualified. ``apply`` returns every subject such a late fact
touches, so incremental evaluation stays equal to a rebuild.
"""

from __future__ import annotations

import heapq
import logging
import os
import pickle
import signal
from bisect import bisect_right
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ledger.domain import EVENT_TYPES
from ledger.domain.keys import key_covers_unit

from ..gcpause import gc_paused
from . import cross_case, inspectors, people, single_case, statistics, time_rules
from .catalogue import RULES
from .days import Days, iso, ts_of, ts_of_datetime
from .facts import DISPOSED, Disposition, counted_from
from .fold import Fold
from .flag import Flag, Subject, make_flag
from .inspectors import About
from .params import CONFIG_TYPES, FlagParams, ParamsTimeline, national
from .zh import code_zh

if TYPE_CHECKING:
    from ledger.envelope import Recorded

_log = logging.getLogger(__name__)

#: below this many subjects a forked evaluator costs more than it saves
FORK_MIN_SUBJECTS = 2_000
#: the first instant a ``datetime`` cannot hold (10000-01-01T00:00:00Z)
_NEVER = int(datetime.max.replace(tzinfo=timezone.utc).timestamp()) + 1

_DISPOSITION = DISPOSED

#: subject kind -> rule functions ``rule(subject_facts, ctx)``
RuleFn = Callable[[Any, "Ctx"], None]
RULES_BY_KIND: dict[str, tuple[RuleFn, ...]] = {
    "case": single_case.CASE_RULES + people.CASE_RULES + time_rules.CASE_RULES
    + cross_case.CASE_RULES,
    "party": cross_case.PARTY_RULES,
    "officer": people.OFFICER_RULES + time_rules.OFFICER_RULES,
    "complaint": single_case.COMPLAINT_RULES + time_rules.COMPLAINT_RULES,
    "supervision": single_case.SUPERVISION_RULES + time_rules.SUPERVISION_RULES,
    "unit": statistics.UNIT_RULES,
    "cohort": statistics.COHORT_RULES,
    "grid": cross_case.GRID_RULES,
    "inspector": inspectors.INSPECTOR_RULES,
}
SUBJECT_KINDS = tuple(RULES_BY_KIND)
#: scopes evaluated after every other scope of the same call: their rules read what the
#: others raised (RF30: whom each disposed-of flag is about)
LATE_KINDS = frozenset({"inspector"})


class Ctx:
    """What a rule may consult: the indexes, the parameters in force at an instant, the
    calendar, and the evaluation time. Rules append flags with :meth:`flag` and ask whether a
    deadline has passed with :meth:`passed`, which records it for ``next_due`` when it has not."""

    __slots__ = ("fold", "days", "at", "scope", "out", "dues", "memo", "shared", "_only",
                 "_starts", "_versions")

    def __init__(self, fold: Fold, timeline: ParamsTimeline, days: Days, at: int,
                 scope: Subject, shared: dict[Any, Any]) -> None:
        self.fold, self.days, self.at, self.scope = fold, days, at, scope
        self.out: list[Flag] = []
        self.dues: set[int] = set()
        #: per-subject memo (e.g. credential statuses shared by RF01 and RF02)
        self.memo: dict[Any, Any] = {}
        #: per-evaluation memo shared by all subjects (e.g. pledge chains)
        self.shared = shared
        self._only = timeline.only()
        if self._only is None:
            self._starts, self._versions = timeline.by_instant(days)

    def params(self, ts: int) -> FlagParams:
        """The parameters in force on the legal day of instant ``ts``."""
        if self._only is not None:
            return self._only
        return self._versions[bisect_right(self._starts, ts) - 1]

    def least(self, name: str) -> int:
        """The smallest value threshold ``name`` takes in any version: a limit no version is
        broken by staying within (a rule's quick test for the many acts within every limit,
        before it looks up the version in force at each)."""
        key = ("least", name)
        value = self.shared.get(key)
        if value is None:
            versions = (self._only,) if self._only is not None else self._versions
            value = self.shared[key] = min(getattr(p.thresholds, name) for p in versions)
        return value

    def passed(self, deadline_ts: int | None) -> bool:
        """True when ``deadline_ts`` (the first instant after a deadline) is at or before the
        evaluation time; otherwise registers it as a future due and returns False."""
        if deadline_ts is None:
            return False
        if deadline_ts <= self.at:
            return True
        self.dues.add(deadline_ts)
        return False

    def since(self, claimed: int, recorded: int | None) -> int:
        """The instant a deadline opened by an act claiming ``claimed`` counts from: the claim,
        unless it is beyond ``future_tolerance_minutes`` (in force when the act was
        ``recorded``, as RF08.e judges it) after its recording — then the recording
        (:func:`~.facts.counted_from`). ``recorded`` None: not recorded before its claim."""
        if recorded is None:
            return claimed
        return counted_from(claimed, recorded,
                            self.params(recorded).thresholds.future_tolerance_minutes)

    def flag(self, rule_id: str, discriminator: str, *, anchor: int, raised: int,
             event_ids: Iterable[str], numbers: dict[str, Any], summary: str,
             summary_zh: str, case_id: str | None = None, officer_id: str | None = None,
             unit_id: str | None = None, party_ref: str | None = None,
             cleared: tuple[int, str] | None = None, severity: str | None = None) -> None:
        """Record a flag. ``anchor`` picks the parameter version (the decisive event's time);
        ``raised`` is when the rule was broken (an event's time or a deadline passing);
        ``cleared`` = (time, event id) of a later event that satisfied the rule. Times are
        written in the latest published zone, the one every legal day is counted in."""
        p = self.params(anchor)
        off = self.days.offset // 60
        self.out.append(make_flag(
            RULES[rule_id], scope=self.scope, discriminator=discriminator,
            params_version=p.version, raised_at=iso(raised, off), event_ids=list(event_ids),
            numbers=numbers, summary=summary, summary_zh=summary_zh, case_id=case_id,
            officer_id=officer_id, unit_id=unit_id, party_ref=party_ref,
            cleared_at=iso(cleared[0], off) if cleared else None,
            cleared_by=cleared[1] if cleared else None, severity=severity))

    def time(self, ts: int | None) -> str | None:
        """``ts`` as RFC 3339 text in the zone its legal day is counted in (the latest one)."""
        return None if ts is None else iso(ts, self.days.offset // 60)


def _cpus() -> int:
    """The CPUs this process may run on: on one, a forked evaluator gains nothing and doubles
    the memory the evaluation touches."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:      # not Linux
        return os.cpu_count() or 1


class FlagEngine:
    """Incremental red-flag evaluation over a history folded in log order."""

    def __init__(self, params: FlagParams | None = None) -> None:
        self.timeline = ParamsTimeline(params or national())
        self.days = self.timeline.latest().days()
        self.fold = Fold(self.days)
        self._flag_scope: dict[str, Subject] = {}
        #: flag id -> the officer it is about, as its scope last raised it (RF30.b: a
        #: disposition re-evaluates whoever decided a flag about the same officer)
        self._flag_officer: dict[str, str] = {}
        #: case id -> scopes holding a disposed-of flag about that case: RF26 ("acted in its
        #: case") reads the case's persons, which a later case event can extend
        self._disposed_about: dict[str, set[Subject]] = {}
        #: inspector id -> scopes holding a flag they disposed of: RF26 ("related to its party")
        #: reads the inspector's declared relations, which a later RelationshipDeclared extends
        self._disposed_by: dict[str, set[Subject]] = {}
        #: flag id -> whom it is about, for the flags with a disposition in scopes other than
        #: an inspector's, as their scope's last evaluation raised them (RF30)
        self._about: dict[str, About] = {}
        #: officer id -> the flags in ``_about`` about them (RF30.b reads every inspector's
        #: decisions on one officer's flags)
        self._about_officer: dict[str, set[str]] = {}
        #: scope -> its flags in ``_about``
        self._scope_disposed: dict[Subject, set[str]] = {}
        #: inspectors whose RF30 inputs changed in an evaluation that did not include them:
        #: returned by ``due_subjects`` (a disposition of a flag raised only later; a cohort
        #: the service defers)
        self._stale_inspectors: set[str] = set()
        self._dues: dict[Subject, tuple[int, ...]] = {}
        self._heap: list[tuple[int, Subject]] = []
        self._shared: dict[Any, Any] = {}
        self.events = 0

    # --- folding --------------------------------------------------------------------------

    def apply(self, rec: "Recorded") -> set[Subject]:
        """Fold one recorded event (in log order); returns the subjects whose rules must be
        re-evaluated. Requires a body that passed the door's validation."""
        dirty: set[tuple[str, str]] = set()
        self._apply(rec, dirty)
        return self._expand(dirty)

    def apply_all(self, history: Iterable["Recorded"], *, subjects: bool = True
                  ) -> set[Subject]:
        """Fold many events (a rebuild or a batch); returns the union of their subjects.

        ``subjects`` False: the caller evaluates every subject afterwards (a rebuild, a
        catch-up): which ones these events touch is not worked out, and the empty set is
        returned (a dispatch order no longer looks for the acts its window covers)."""
        dirty: set[tuple[str, str]] = set()
        self.fold.tracking = subjects
        try:
            with gc_paused():
                for rec in history:
                    self._apply(rec, dirty)
        finally:
            self.fold.tracking = True
        return self._expand(dirty) if subjects else set()

    def _apply(self, rec: "Recorded", dirty: set[tuple[str, str]]) -> None:
        self.events += 1
        kind, _, key = rec.stream.partition(":")
        t = rec.type
        if t not in EVENT_TYPES:
            return
        fold = self.fold
        if kind == "case":
            about = self._disposed_about.get(key)   # none before a first evaluation
            if about:
                c = fold.cases.get(key)
                people = (len(c.persons), len(c.parties)) if c is not None else (0, 0)
            fold.apply_case(key, t, rec.body, ts_of(rec.occurred_at), ts_of(rec.recorded_at),
                            rec.event_id, rec.index, dirty, rec.signer[4:])
            if about:
                c = fold.cases[key]
                if (len(c.persons), len(c.parties)) != people:
                    dirty.update((s.kind, s.key) for s in about)
        elif kind == "officer":
            fold.apply_officer(key, t, rec.body, ts_of(rec.occurred_at), rec.event_id, dirty,
                               rec.index)
            if t == "RelationshipDeclared":
                dirty.update((s.kind, s.key) for s in self._disposed_by.get(key, ()))
        elif kind == "pledge":
            fold.apply_pledge(key, t, rec.body, rec.event_id, dirty)
        elif kind == "unit":
            if t == "DispatchOrderIssued":
                fold.apply_dispatch(rec.body, ts_of(rec.occurred_at), ts_of(rec.recorded_at),
                                    rec.event_id, rec.index, dirty)
            elif t == "CampaignDeclared":
                fold.apply_campaign(rec.body, rec.event_id, dirty)
        elif kind == "complaint":
            fold.apply_complaint(key, t, rec.body, ts_of(rec.occurred_at),
                                 ts_of(rec.recorded_at), rec.event_id, rec.index, dirty)
        elif kind == "supervision":
            fold.apply_supervision(key, t, rec.body, ts_of(rec.occurred_at),
                                   ts_of(rec.recorded_at), rec.event_id, rec.index, dirty)
        elif kind == "flag":
            fold.apply_disposition(key, t, rec.body, ts_of(rec.occurred_at), rec.event_id,
                                   rec.signer[4:], ts_of(rec.recorded_at), rec.index)
            dirty.add(("flag", key))
            # RF30 of everyone who disposed of this flag: another inspector's dismissal or
            # confirmation changes how theirs counts
            dirty.update(("inspector", d.inspector) for d in fold.dispositions[key])
            # RF30.b of everyone who decided a flag about the same officer
            dirty.update(("inspector", i) for i in self._officer_inspectors({key}))
        elif kind == "keys":
            fold.apply_key(t, rec.body)
        elif kind == "config" and t in CONFIG_TYPES:
            self.timeline.publish_recorded(rec)
            days = self.timeline.latest().days()
            if days is not self.days:
                self.days = self.fold.days = days
            dirty.add(("*", "*"))

    def _expand(self, dirty: set[tuple[str, str]]) -> set[Subject]:
        if ("*", "*") in dirty:
            return self.subjects()
        out: set[Subject] = set()
        for kind, key in dirty:
            if key == "*":
                out.update(self._all_of(kind))
            elif kind == "flag":
                scope = self._flag_scope.get(key)
                out.add(scope if scope is not None else Subject("flag", key))
            else:
                out.add(Subject(kind, key))
        return out | self._inspectors_of(out)

    def _inspectors_of(self, scopes: Iterable[Subject]) -> set[Subject]:
        """The inspector scopes (RF30) that read flags of ``scopes``: whoever disposed of a
        flag those scopes last raised, whose evaluation may drop it or change whom it is
        about."""
        out: set[Subject] = set()
        disp = self.fold.dispositions
        for s in scopes:
            for fid in self._scope_disposed.get(s, ()):
                out.update(Subject("inspector", d.inspector) for d in disp.get(fid, ()))
            out.update(Subject("inspector", i)
                       for i in self._officer_inspectors(self._scope_disposed.get(s, ())))
        return out

    def _officer_inspectors(self, flag_ids: Iterable[str]) -> set[str]:
        """Whoever disposed of a flag about the officer any of ``flag_ids`` is about (RF30.b:
        a circle of inspectors is judged on every decision about the officer's flags)."""
        return self._deciders({o for fid in flag_ids
                               if (o := self._flag_officer.get(fid)) is not None})

    def _deciders(self, officers: Iterable[str]) -> set[str]:
        """Whoever disposed of a flag about one of ``officers`` (as ``_about`` holds them)."""
        disp = self.fold.dispositions
        return {d.inspector for o in officers for fid in self._about_officer.get(o, ())
                for d in disp.get(fid, ())}

    def _all_of(self, kind: str) -> list[Subject]:
        f = self.fold
        source: Iterable[str] = {
            "case": f.cases, "party": f.parties, "officer": f.officers, "unit": f.units,
            "complaint": f.complaints, "supervision": f.supervisions, "cohort": f.cohorts,
            "grid": f.grids, "inspector": f.disposed_by}.get(kind, ())
        return [Subject(kind, k) for k in source]

    def subjects(self) -> set[Subject]:
        """Every subject the history has produced so far."""
        out: set[Subject] = set()
        for kind in SUBJECT_KINDS:
            out.update(self._all_of(kind))
        return out

    # --- evaluation -----------------------------------------------------------------------

    def evaluate(self, subjects: Iterable[Subject], at: datetime, *,
                 processes: int = 1) -> list[Flag]:
        """Every current flag whose scope is one of ``subjects``, as of ``at`` (aware).

        With ``processes`` 2 and many subjects (a rebuild), a forked copy of the engine
        evaluates every other subject beside this process (POSIX only); the outcome is the same
        flags, deadlines and indexes as one process gives."""
        at_ts = ts_of_datetime(at)
        out: list[Flag] = []
        self._shared = {}
        with gc_paused():
            every = self._scopes(subjects)
            scopes = [s for s in every if s.kind not in LATE_KINDS]
            late = [s for s in every if s.kind in LATE_KINDS]
            if processes > 1 and len(scopes) >= FORK_MIN_SUBJECTS and hasattr(os, "fork") \
                    and _cpus() > 1:
                results = self._compute_forked(scopes, at_ts)
            else:
                results = [(s, *self._compute(s, at_ts)) for s in scopes]
            for s, flags, dues in results:
                self._record(s, flags, dues)
                out.extend(flags)
            self._stale_inspectors.difference_update(s.key for s in late)
            for s in late:      # after the others: RF30 reads whom their flags are about
                flags, dues = self._compute(s, at_ts)
                self._record(s, flags, dues)
                out.extend(flags)
        out.sort(key=_order)
        return out

    def _scopes(self, subjects: Iterable[Subject]) -> list[Subject]:
        """``subjects`` in order, flag subjects replaced by their scopes, each once."""
        out: list[Subject] = []
        done: set[Subject] = set()
        for s in sorted(set(subjects)):
            if s.kind == "flag":
                resolved = self._flag_scope.get(s.key)
                if resolved is None:
                    continue
                s = resolved
            if s not in done:
                done.add(s)
                out.append(s)
        return out

    def evaluate_all(self, at: datetime, *, processes: int = 1) -> list[Flag]:
        return self.evaluate(self.subjects(), at, processes=processes)

    def _compute_forked(self, scopes: list[Subject], at: int
                        ) -> list[tuple[Subject, list[Flag], tuple[int, ...]]]:
        """Evaluate the odd-numbered scopes in a forked child (it shares the fold copy-on-write
        and sends its results back pickled), the even-numbered ones here; results in the order
        of ``scopes``. If the child fails, or cannot be forked, its scopes are evaluated here."""
        theirs = scopes[1::2]
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError as e:    # ENOMEM under strict overcommit, EAGAIN: no second process
            os.close(read)
            os.close(write)
            _log.warning("cannot fork an evaluator (%s); evaluating its %d subjects here", e,
                         len(theirs))
            return [(s, *self._compute(s, at)) for s in scopes]
        if pid == 0:                    # the child: compute, send, and leave without cleanup
            status = 1
            try:
                os.close(read)
                results = [self._compute(s, at) for s in theirs]
                for flags, _ in results:    # hashed here, beside this process's own work
                    for f in flags:
                        f.digest()
                data = pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            try:
                mine = [self._compute(s, at) for s in scopes[0::2]]
                data = pipe.read()
            except BaseException:   # interrupted, or a rule failed here: the child goes too
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if code == 0:
            computed = pickle.loads(data)
        else:
            _log.warning("the forked evaluator failed (%s); evaluating its %d subjects here",
                         f"killed by {signal.Signals(-code).name}" if code < 0
                         else f"exit status {code}", len(theirs))
            computed = [self._compute(s, at) for s in theirs]
        merged = [None] * len(scopes)
        merged[0::2], merged[1::2] = mine, computed
        return [(s, *r) for s, r in zip(scopes, merged)]

    def _compute(self, s: Subject, at: int) -> tuple[list[Flag], tuple[int, ...]]:
        """The flags of one scope at ``at`` and the future instants its outcome can change."""
        facts = self._facts(s)
        ctx = Ctx(self.fold, self.timeline, self.days, at, s, self._shared)
        if facts is not None:
            for rule_fn in RULES_BY_KIND.get(s.kind, ()):
                rule_fn(facts, ctx)
        return _once(self._dispositions(ctx), s), tuple(sorted(ctx.dues))

    def _record(self, s: Subject, flags: list[Flag], dues: tuple[int, ...]) -> None:
        """Index one scope's evaluation: its flags' scope, dispositions, pending deadlines."""
        if s.kind not in LATE_KINDS:
            self._index_about(s, flags)
        for f in flags:
            self._flag_scope[f.flag_id] = s
            if f.officer_id is not None and s.kind not in LATE_KINDS:
                self._flag_officer[f.flag_id] = f.officer_id
            if f.case_id and f.disposition_event_ids:
                self._disposed_about.setdefault(f.case_id, set()).add(s)
            for d in self.fold.dispositions.get(f.flag_id, ()):
                self._disposed_by.setdefault(d.inspector, set()).add(s)
        old = self._dues.get(s, ())
        if dues:
            self._dues[s] = dues
            for d in dues:
                if d not in old:        # entries no longer due are dropped lazily
                    heapq.heappush(self._heap, (d, s))
        elif old:
            del self._dues[s]

    def _index_about(self, s: Subject, flags: list[Flag]) -> None:
        """Keep whom the disposed-of flags of scope ``s`` are about (RF30); an inspector whose
        input changed and who is not evaluated after this in the same call is marked stale."""
        disp = self.fold.dispositions
        old = self._scope_disposed.get(s, set())
        new: set[str] = set()
        changed: set[str] = set()
        officers: set[str] = set()      # whose flags' decisions changed (RF30.b)
        for f in flags:
            if f.flag_id not in disp:
                continue
            new.add(f.flag_id)
            a = About(f.officer_id, f.unit_id, f.case_id, f.rule_id, f.status,
                      f.disposition_event_ids)
            was = self._about.get(f.flag_id)
            if was != a:
                if was is not None and was.officer_id is not None:
                    officers.add(was.officer_id)
                    self._about_officer[was.officer_id].discard(f.flag_id)
                self._about[f.flag_id] = a
                if a.officer_id is not None:
                    officers.add(a.officer_id)
                    self._about_officer.setdefault(a.officer_id, set()).add(f.flag_id)
                changed.add(f.flag_id)
        for fid in old - new:
            was = self._about.pop(fid, None)
            if was is not None and was.officer_id is not None:
                officers.add(was.officer_id)
                self._about_officer[was.officer_id].discard(fid)
            changed.add(fid)
        if new:
            self._scope_disposed[s] = new
        elif old:
            del self._scope_disposed[s]
        for fid in changed:
            self._stale_inspectors.update(d.inspector for d in disp.get(fid, ()))
        self._stale_inspectors.update(self._deciders(officers))

    def _facts(self, s: Subject) -> Any:
        f = self.fold
        if s.kind == "inspector":
            return ((s.key, f.disposed_by[s.key], self._about, self._about_officer)
                    if s.key in f.disposed_by
                    else None)
        if s.kind == "case":
            return f.cases.get(s.key)
        if s.kind == "party":
            return (s.key, f.parties[s.key]) if s.key in f.parties else None
        if s.kind == "officer":
            return f.officers.get(s.key)
        if s.kind == "unit":
            return f.units.get(s.key)
        if s.kind == "complaint":
            return f.complaints.get(s.key)
        if s.kind == "supervision":
            return f.supervisions.get(s.key)
        if s.kind == "cohort":
            return (s.key, f.cohorts[s.key]) if s.key in f.cohorts else None
        if s.kind == "grid":
            return (s.key, f.grids[s.key]) if s.key in f.grids else None
        return None

    def _dispositions(self, ctx: Ctx) -> list[Flag]:
        """Overlay inspectors' dispositions: RF28 for one signed by a key of other units (not
        applied), RF26 for one by an involved person (applied), RF29.a for an acknowledgement
        left unresolved, RF29.b for one back-dated (applied or not)."""
        disp = self.fold.dispositions
        if not disp:
            return ctx.out
        flags: list[Flag] = []
        i = 0
        while i < len(ctx.out):     # RF26/RF28 flags are appended as it goes, judged in turn
            f = ctx.out[i]
            events = disp.get(f.flag_id)
            if events:
                time_rules.rf29b_back_dated(f, events, ctx)
                events = _in_key_units(f, events, ctx)
                _self_disposition(f, events, ctx)
                time_rules.rf29a_left_unresolved(f, events, ctx)
            flags.append(_with_disposition(f, events))
            i += 1
        return flags

    # --- time -----------------------------------------------------------------------------

    def next_due(self, after: datetime) -> datetime | None:
        """The earliest instant > ``after`` at which a time-based rule of an evaluated subject
        can change its outcome (a deadline passing), or None. Subjects whose deadlines passed
        at or before ``after`` without re-evaluation are returned by :meth:`due_subjects`."""
        after_ts = ts_of_datetime(after)
        heap = self._heap
        while heap and heap[0][0] not in self._dues.get(heap[0][1], ()):
            heapq.heappop(heap)
        best = None
        if heap and heap[0][0] > after_ts:
            best = heap[0][0]
        else:
            for dues in self._dues.values():
                for d in dues:
                    if d > after_ts and (best is None or d < best):
                        best = d
                        break
        if best is None or best >= _NEVER:      # a deadline after 9999 never comes
            return None
        return datetime.fromtimestamp(best, timezone.utc)

    def due_subjects(self, until: datetime) -> set[Subject]:
        """Subjects with a pending deadline at or before ``until`` (re-evaluate them then)."""
        until_ts = ts_of_datetime(until)
        return ({s for s, dues in self._dues.items() if dues and dues[0] <= until_ts}
                | {Subject("inspector", i) for i in self._stale_inspectors})


def _once(flags: list[Flag], s: Subject) -> list[Flag]:
    """Each flag id once, the first raised. An id names one flag; a rule that raised one twice
    (RF11.b did, once per decision after a review, until 2026-11-28) had the service store both
    in one statement, which PostgreSQL refused on every attempt: no flag moved on for anyone."""
    if len({f.flag_id for f in flags}) == len(flags):
        return flags
    seen: set[str] = set()
    out = []
    for f in flags:
        if f.flag_id in seen:
            _log.warning("%s raised flag %s twice in %s: the first is kept", f.rule_id,
                         f.flag_id, s)
            continue
        seen.add(f.flag_id)
        out.append(f)
    return out


def _with_disposition(f: Flag, events: list[Disposition] | None) -> Flag:
    if not events:
        return f
    return replace(f, disposition=_DISPOSITION[events[-1].type],
                   disposition_event_ids=tuple(e.eid for e in events))


def _order(f: Flag) -> tuple[str, str, str]:
    return (f.raised_at, f.rule_id, f.flag_id)


def _in_key_units(f: Flag, events: list[Disposition], ctx: Ctx) -> list[Disposition]:
    """RF28: a disposition signed by a key registered for units that do not include the
    flag's subject ``unit_id`` at the disposition's log position (:func:`_unit_source`) is not
    applied; each raises an RF28 in the flag's scope, about the inspector it names. Returns the
    dispositions that apply (docs/red-flags.md, RF28)."""
    applied: list[Disposition] = []
    source = _unit_source(f, ctx)
    for d in events:
        unit = f.unit_id if source is None else ctx.fold.unit_at(source, d.idx, f.unit_id)
        if key_covers_unit(d.key_units, unit):
            applied.append(d)
            continue
        units = sorted(d.key_units or ())
        ctx.flag("RF28", f"{f.flag_id}|{d.eid}", anchor=d.ts, raised=d.ts,
                 event_ids=[d.eid, *f.event_ids[:3]],
                 numbers={"disposed_flag_id": f.flag_id, "disposed_rule_id": f.rule_id,
                          "inspector_id": d.inspector, "key_id": d.key_id, "key_units": units,
                          "flag_unit_id": unit, "disposition": _DISPOSITION[d.type],
                          "reason_code": d.reason_code},
                 summary=f"{d.inspector} {_DISPOSITION[d.type]} flag {f.flag_id} ({f.rule_id}) "
                         f"of unit {unit or '(none)'} with key {d.key_id}, which acts for "
                         f"{', '.join(units)} only: not applied",
                 summary_zh=f"{d.inspector} 以密钥 {d.key_id} {code_zh(_DISPOSITION[d.type])}"
                            f"单位 {unit or '（无）'} 的红旗 {f.flag_id}（{f.rule_id}），"
                            f"该密钥仅用于 {'、'.join(units)}：处置无效",
                 case_id=f.case_id, officer_id=d.inspector, unit_id=f.unit_id,
                 party_ref=f.party_ref)
    return applied


def _unit_source(f: Flag, ctx: Ctx) -> tuple[str, str] | None:
    """Where ``f``'s unit comes from, when that can change: the officer of an ``officer:``
    scope (a post or credential in another unit), the case ``f`` names in a ``case:`` or
    ``party:`` scope (a CaseFiled after a clue of another unit) — provided ``f.unit_id`` is
    that source's unit now. None: judged against ``f.unit_id`` as it is."""
    s, fold = ctx.scope, ctx.fold
    if s.kind == "officer":
        o = fold.officers.get(s.key)
        if o is not None and o.unit_id == f.unit_id:
            return ("officer", s.key)
    elif s.kind in ("case", "party") and f.case_id:
        c = fold.cases.get(f.case_id)
        if c is not None and c.unit_id == f.unit_id:
            return ("case", f.case_id)
    return None


def _self_disposition(f: Flag, events: list[Disposition], ctx: Ctx) -> None:
    """RF26: a disposition (any of the four) by the flag's own subject, by someone who acted
    in its case, or by someone who declared a relation with its party (the case's parties and
    the flag's ``party_ref``): whoever must recuse may not handle the flag at all
    (docs/red-flags.md).

    An RF26 flag is judged like any other: disposing of the RF26 about oneself raises another
    (each needs a disposition of its own, so the chain ends with the events)."""
    case = ctx.fold.cases.get(f.case_id) if f.case_id else None
    parties = set(case.parties) if case is not None else set()
    if f.party_ref:
        parties.add(f.party_ref)
    for type_, ts, inspector, reason_code, eid, *_ in events:
        declared = None
        if inspector == f.officer_id:
            relation, why, why_zh = "subject_of_flag", "it is about them", "该红旗涉及其本人"
        elif case is not None and inspector in case.persons:
            relation, why, why_zh = "acted_in_case", "they acted in its case", "其本人参与办理该案"
        else:
            declared = _declared_relation(ctx, inspector, parties)
            if declared is None:
                continue
            party, kind, _ = declared
            relation = "related_to_party"
            why = f"they declared a {kind} relation with its party {party}"
            why_zh = f"其本人申报与该案当事人 {party} 存在{code_zh(kind)}关系"
        numbers = {"dismissed_flag_id": f.flag_id, "dismissed_rule_id": f.rule_id,
                   "inspector_id": inspector, "relation": relation,
                   "disposition": _DISPOSITION[type_], "reason_code": reason_code}
        if declared is not None:
            numbers |= {"party_ref": declared[0], "declared_relation": declared[1]}
        ctx.flag("RF26", f"{f.flag_id}|{eid}", anchor=ts, raised=ts,
                 event_ids=[eid, *f.event_ids[:3], *([declared[2]] if declared else [])],
                 numbers=numbers,
                 summary=f"{inspector} {_DISPOSITION[type_]} flag {f.flag_id} ({f.rule_id}) "
                         f"although {why}",
                 summary_zh=f"{inspector} {code_zh(_DISPOSITION[type_])}红旗 {f.flag_id}"
                            f"（{f.rule_id}），而{why_zh}，应当回避",
                 case_id=f.case_id, officer_id=inspector, unit_id=f.unit_id,
                 party_ref=f.party_ref)


def _declared_relation(ctx: Ctx, inspector: str, parties: set[str]
                       ) -> tuple[str, str, str] | None:
    """The first relation (party, relation, event id) the inspector declared on their
    ``officer:`` stream with one of ``parties`` — at any time, as RF19.a reads them."""
    o = ctx.fold.officers.get(inspector)
    if o is None or not parties:
        return None
    return next(((party, kind, eid) for party, kind, eid, _ in o.relations if party in parties),
                None)


def compute_flags(history: Iterable["Recorded"], params: FlagParams | None = None, *,
                  at: datetime, processes: int = 2) -> list[Flag]:
    """Fold ``history`` (log order) and evaluate every subject at ``at`` — what ``ledger flags
    FILE`` prints and what the service holds for the same history, parameters and ``at``."""
    engine = FlagEngine(params)
    with gc_paused():       # until the fold is dropped: resumed, the collector would scan it
        engine.apply_all(history, subjects=False)
        return engine.evaluate_all(at, processes=processes)
