"""Red-flag parameters as versioned configuration.

Three layers, each a plain value:

1. **National defaults** (:func:`national`): the legal parameters and fine schedule of
   :mod:`ledger.domain.params` plus the detection thresholds of red_flags.yaml
   (:class:`Thresholds`: look-back windows, sample sizes, z and ratio thresholds, BH q, 200 m,
   24 h ...). Ratios are integers with the scale in the name (``_milli`` = 1/1000, ``_bp`` =
   1/10000) so that nothing hashed is a float.
2. **Per-city overrides** (:func:`with_overrides`) merged on top: any parameter by name, the
   city's benchmark tables, fine schedule entries, calendar, unit territories and power lists.
3. **Published configuration** on the ledger (``LegalParametersPublished``,
   ``DiscretionBenchmarkPublished``, ``FineSchedulePublished``, ``WorkingCalendarPublished``),
   folded by :class:`ParamsTimeline`, which answers "which parameters were in force on day d".

Every resolved :class:`FlagParams` carries ``version`` = ``<name>@<16 hex>``, the SHA-256 of its
canonical content, and every flag records the version it was computed with.

Decisions (docs/red-flags.md, "Parameters"): a publication takes effect from the later of its
``effective_from`` and the legal day it was published — configuration can be corrected, never
back-dated, so a threshold cannot be raised retroactively to make a past flag disappear. A
declared historical import (``historical_import_until``, :class:`ImportWindow`) is the one
parameter about the past: it covers only events recorded after the declaration, within the
city's ``import_recording_days`` of it, that occurred before an instant no later than the
declaration's own recording. A working calendar is a fact
about a year, not a policy: the latest publication for a year applies to every deadline in
that year. One ledger serves one jurisdiction: ``jurisdiction``
in published configuration is recorded, not matched.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ledger.domain.calendar import OFFICIAL_SCHEDULES
from ledger.domain.params import FINE_SCHEDULE, PARAMS, FineRule, LegalParameters

from ._canon import digest
from .days import DAY, Days, day_of_iso, ts_of

if TYPE_CHECKING:
    from ledger.envelope import Recorded


class ParamsError(ValueError):
    """An override names no known parameter or has the wrong type."""


def _t(value: Any, unit: str, basis: str) -> Any:
    return field(default=value, metadata={"unit": unit, "basis": basis})


@dataclass(frozen=True)
class Thresholds:
    """Detection thresholds (red_flags.yaml ``trigger``/``metrics``/guards), integers only."""

    # RF06
    unpaid_followup_days: int = _t(90, "calendar_days", "RF06.e: surcharge, instalments or "
                                   "enforcement within 90 days of the due date")
    # RF07 / RF08
    evidence_sync_grace_hours: int = _t(24, "hours", "RF07: device-signed evidence recorded "
                                                     "within 24 h of capture counts")
    late_field_hours: int = _t(24, "hours", "RF08.a: field events recorded > 24 h late")
    late_document_hours: int = _t(72, "hours", "RF08.a: documents recorded > 72 h late; RF29.b "
                                  "the same for a flag's disposition; RF08.i: a cash deposit "
                                  "recorded after its deadline")
    device_sync_max_hours: int = _t(72, "hours", "RF08 guard: device-signed captures synced "
                                                 "after the shift")
    backdate_tolerance_minutes: int = _t(60, "minutes", "RF08.b: pre-decision step recorded "
                                                        "after the decision; RF08.g: complaint "
                                                        "acknowledgement, extension or closing, "
                                                        "or supervision feedback, recorded "
                                                        "after its deadline")
    bodycam_window_minutes: int = _t(5, "minutes", "RF08.c: video within ± 5 min")
    import_recording_days: int = _t(7, "calendar_days", "RF08.a: a declared historical import "
                                    "covers events recorded within 7 days of the declaration")
    future_tolerance_minutes: int = _t(10, "minutes", "RF08.e/f: an act may claim a time at most "
                                                      "10 min after it was recorded (clock skew)")
    # RF21
    dispatch_record_grace_hours: int = _t(24, "hours", "RF21.a: a dispatch order covers an act "
                                          "only if recorded within 24 h after it (补签派单)")
    # RF11
    legal_review_threshold_fen: int | None = _t(None, "fen", "RF11.a: LOCAL 重大执法决定 amount")
    collective_discussion_threshold_fen: int | None = _t(None, "fen", "RF11.c: LOCAL major case "
                                                                      "amount (APL 第57条第2款)")
    head_roles: tuple[str, ...] = _t(("squadron_leader", "unit_head"), "roles",
                                     "RF11.d: 行政机关负责人 roles (PostAssigned.role)")
    # approvals (RF12.b, RF16, RF20.a)
    extension_approval_forms: tuple[str, ...] = _t(
        ("agency_head", "deputy_head", "collective_discussion"), "forms",
        "RF12.b: 负责人批准 (正职 or 副职, as RF20.a) or 集体讨论; a city requiring the principal "
        "head drops deputy_head")
    deviation_approval_forms: tuple[str, ...] = _t(("agency_head", "collective_discussion"),
                                                   "forms", "RF16: GBF2022_27 主要负责人/集体讨论")
    change_approval_forms: tuple[str, ...] = _t(("agency_head", "deputy_head",
                                                 "collective_discussion"), "forms",
                                                "RF20.a: 负责人 or 集体讨论")
    publication_procedures: tuple[str, ...] = _t(("general",), "procedures",
                                                 "RF12.e: decisions that must be published")
    # RF13 / RF14
    toll_min_fines: int = _t(3, "count", "RF13.c: fines in the window")
    toll_window_days: int = _t(30, "calendar_days", "RF13.c")
    same_place_metres: int = _t(200, "metres", "RF13.c, RF14: same location")
    precondition_refusal_codes: tuple[str, ...] = _t(
        ("POSTING_SH", "SORTING_SH", "SORTING_BJ", "ADVERT_SH"), "codes",
        "RF13.b: fine only after refusal / written warning")
    precondition_individual_codes: tuple[str, ...] = _t(
        ("SORTING_BJ",), "codes", "RF13.b: the precondition binds individuals only (BJ_LJ "
        "第67条: a unit is fined at once)")
    # RF17 / RF20.c (statistics)
    stats_window_quarters: int = _t(2, "quarters", "RF17/RF20.c: window of calendar quarters "
                                    "ending with the cohort's quarter (1-4; 2 = 180 days)")
    stats_min_n: int = _t(20, "count", "RF17/RF20.c: cases per officer in the window")
    stats_min_peers: int = _t(5, "count", "RF17/RF20.c: peers tested in the cohort; officers "
                              "deciding the same code x party type for a case to be compared")
    z_threshold_milli: int = _t(2500, "milli", "RF17: |robust z| ≥ 2.5")
    top_position_bp: int = _t(9000, "bp", "RF17: p ≥ 0.9 is top of band")
    bottom_position_bp: int = _t(1000, "bp", "RF17 leniency: p ≤ 0.1 is bottom of band")
    share_min_bp: int = _t(3000, "bp", "RF17: share ≥ 0.3")
    peer_ratio_milli: int = _t(3000, "milli", "RF17/RF20.c: ≥ 3 × peer median")
    tier_z_milli: int = _t(3000, "milli", "RF17: two-proportion z ≥ 3")
    bunching_low_bp: int = _t(9000, "bp", "RF17.g: amounts in (0.9 T, T] under a 以下 "
                              "limit, [0.9 T, T) under a hearing threshold")
    bh_q_bp: int = _t(500, "bp", "Benjamini–Hochberg q = 0.05 across the officers tested")
    serious_tiers: tuple[str, ...] = _t(("serious",), "tiers", "RF17.c: 严重 tier ids")
    minor_tiers: tuple[str, ...] = _t(("minor",), "tiers", "RF17.e: 轻微 tier ids")
    void_min_forms: int = _t(3, "count", "RF20.c: voided forms before a rate is judged")
    # RF18
    waiver_repeat_min: int = _t(2, "count", "RF18.b/c")
    waiver_window_days: int = _t(365, "calendar_days", "RF18.b/c")
    # RF19
    concentration_min_cases: int = _t(3, "count", "RF19.b")
    concentration_ratio_milli: int = _t(5000, "milli", "RF19.b: ≥ 5 × expectation")
    poisson_p_micro: int = _t(1000, "micro", "RF19.b (Poisson), RF24 (two counts): p < 0.001")
    # RF23
    complaint_categories: tuple[str, ...] = _t(("violent", "extortion", "arbitrary_fine"),
                                               "categories", "RF23")
    complaint_pattern_min: int = _t(2, "count", "RF23.d")
    complaint_pattern_days: int = _t(180, "calendar_days", "RF23.d")
    # RF27
    supervision_resubmit_working_days: int = _t(10, "working_days", "RF27.b: feedback sent back "
                                                "(rejected_resubmit) answered again within")
    supervision_review_working_days: int = _t(10, "working_days", "RF27.c: feedback accepted or "
                                              "sent back by the supervisor within")
    # RF29
    flag_resolve_days: int = _t(60, "calendar_days", "RF29: an acknowledged flag dismissed, "
                                "confirmed or referred within (XFGZ 第34条 60日办结, by analogy)")
    # RF30
    protector_min_dismissals: int = _t(5, "count", "RF30: flags about one officer dismissed by "
                                       "one inspector (a policy choice: no statute sets a number)")
    protector_window_days: int = _t(365, "calendar_days", "RF30: the look-back window of those "
                                    "dismissals")
    protector_min_share_bp: int = _t(8000, "bp", "RF30: dismissed among the officer's flags the "
                                     "inspector dismissed, confirmed or referred in the window")
    protector_circle_max: int = _t(3, "count", "RF30.b: at most this many inspectors taking turns "
                                   "dismissing one officer's flags (a policy choice)")
    protector_circle_min_each: int = _t(2, "count", "RF30.b: counted dismissals of the officer's "
                                        "flags each member of the circle made in the window")
    # RF24
    period_end_days: int = _t(5, "calendar_days", "RF24: last 5 days of the month")
    spike_ratio_milli: int = _t(2000, "milli", "RF24: > 2 × rest-of-period rate")
    spike_min_count: int = _t(5, "count", "RF24: fines in the end window before judging")
    spike_consecutive: int = _t(2, "count", "RF24: consecutive periods")
    # RF25
    inventory_hours: int = _t(24, "hours", "RF25.a")
    property_decision_working_days: int = _t(7, "working_days", "RF25.b (APL 第56条)")

    def describe(self) -> list[dict[str, Any]]:
        return [{"name": f.name, "value": _plain(getattr(self, f.name)), **f.metadata}
                for f in fields(self)]


#: names in red_flags.yaml / published bodies → LegalParameters field
_LEGAL_ALIASES = {
    "summary_decision_filing_days": "summary_decision_filing_working_days",
    "publication_withdraw_after_revocation_days": "publication_withdraw_working_days",
    "first_violation_lookback": "first_violation_lookback_days",
    "decision_extension": "decision_extension_head_max_days",
    "default_decision_extension_days": "decision_extension_head_max_days",   # its old name
    "late_payment_surcharge_rate_per_day": "late_payment_surcharge_bp_per_day",
}
_LEGAL = {f.name for f in fields(LegalParameters) if f.name != "version"}
_THRESHOLDS = {f.name: f for f in fields(Thresholds)}


@dataclass(frozen=True)
class Benchmark:
    """The tiers of one discretion-benchmark entry: ``{tier: (min_fen, max_fen)}``."""

    table_id: str
    tiers: tuple[tuple[str, int, int], ...]

    def band(self, tier: str) -> tuple[int, int] | None:
        for name, lo, hi in self.tiers:
            if name == tier:
                return lo, hi
        return None


#: the published parameter that declares a historical import (go-live of the ledger)
IMPORT_PARAMETER = "historical_import_until"


@dataclass(frozen=True)
class ImportWindow:
    """A declared historical import: events recorded after the declaration (log index above
    ``after_index``) and before ``closes`` (epoch seconds: the declaration's ``recorded_at`` +
    ``import_recording_days``) that occurred before ``until`` (epoch seconds) are imported
    records, so the recording-delay clause of RF08 (.a) does not judge them. ``until`` is never
    later than the declaration's own ``recorded_at`` (:meth:`ParamsTimeline.publish` ignores
    one that is)."""

    after_index: int
    until: int
    event_id: str
    closes: int


@dataclass(frozen=True, eq=False)
class FlagParams:
    """Everything the rules read besides the history. Build with :func:`national`,
    :func:`with_overrides` or :meth:`ParamsTimeline.at_day`; ``version`` is derived."""

    name: str = "national"
    legal: LegalParameters = PARAMS
    thresholds: Thresholds = Thresholds()
    fine_schedule: Mapping[str, FineRule] = field(default_factory=lambda: dict(FINE_SCHEDULE))
    #: (violation_code, party_type or "any") -> benchmark
    benchmarks: Mapping[tuple[str, str], Benchmark] = field(default_factory=dict)
    #: year -> (holidays, makeup_workdays) as ISO dates
    calendar: Mapping[int, tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=lambda: {y: (tuple(sorted(d.isoformat() for d in s.holidays)),
                                     tuple(sorted(d.isoformat() for d in s.makeup_workdays)))
                                 for y, s in OFFICIAL_SCHEDULES.items()})
    #: unit_id -> grid ids of its territory (RF21.b); a unit absent -> its territory not judged
    unit_grids: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: unit_id or "*" -> violation codes the unit may enforce (RF21.c); empty -> not checked
    power_list: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: declared historical imports (published only, never a city override), in log order
    imports: tuple[ImportWindow, ...] = ()
    #: event ids of published configuration merged in, in order
    sources: tuple[str, ...] = ()

    @cached_property
    def version(self) -> str:
        """The name and a digest of the content, computed when first read: a timeline resolves
        every version again at each publication, and most are never read (hashing them was
        most of the 16 % of a 1M-event rebuild spent resolving; BENCHMARKS.md, "Red flags")."""
        return f"{self.name}@{digest(self.content())[:16]}"

    def content(self) -> dict[str, Any]:
        """The canonical value the version hashes (integers, strings and lists only)."""
        return {
            "name": self.name,
            "legal": {n: getattr(self.legal, n) for n in sorted(_LEGAL)},
            "thresholds": {n: _plain(getattr(self.thresholds, n)) for n in sorted(_THRESHOLDS)},
            "fine_schedule": [[r.code, r.basis, sorted([b, lo, hi] for b, (lo, hi)
                                                       in r.ranges.items())]
                              for r in sorted(self.fine_schedule.values(), key=lambda r: r.code)],
            "benchmarks": [[code, pt, b.table_id, [list(t) for t in b.tiers]]
                           for (code, pt), b in sorted(self.benchmarks.items())],
            "calendar": [[y, list(h), list(m)] for y, (h, m) in sorted(self.calendar.items())],
            "unit_grids": {u: sorted(g) for u, g in sorted(self.unit_grids.items())},
            "power_list": {u: sorted(c) for u, c in sorted(self.power_list.items())},
            "sources": list(self.sources),
            # only when declared, so versions of ledgers without an import stay as they were
            **({"imports": [[w.after_index, w.until, w.event_id, w.closes]
                            for w in self.imports]}
               if self.imports else {}),
        }

    def describe(self) -> dict[str, Any]:
        """Parameters with units and legal basis, plus the version (docs, API, CLI)."""
        return {"version": self.version, "name": self.name,
                "legal": self.legal.describe(), "thresholds": self.thresholds.describe(),
                "fine_schedule_codes": sorted(self.fine_schedule),
                "benchmarks": len(self.benchmarks), "calendar_years": sorted(self.calendar),
                # how many grids / codes each unit's territory and power list holds ("*": the
                # power list of every unit without its own)
                "unit_grids": {u: len(g) for u, g in sorted(self.unit_grids.items())},
                "power_list": {u: len(c) for u, c in sorted(self.power_list.items())},
                "imports": [{"after_index": w.after_index, "until": w.until,
                             "closes": w.closes, "event_id": w.event_id}
                            for w in self.imports],
                "sources": list(self.sources)}

    def benchmark(self, code: str, party_type: str | None) -> Benchmark | None:
        return (self.benchmarks.get((code, party_type or "any"))
                or self.benchmarks.get((code, "any")))

    def days(self) -> Days:
        return _days_for(self)

    def imported(self, occurred: int, index: int, recorded: int) -> bool:
        """Whether an event that occurred at ``occurred`` (epoch seconds), sits at log
        ``index`` and was recorded at ``recorded`` (epoch seconds) is a declared historical
        import: recorded after a declaration, while its import ran, about the time before it."""
        return any(w.after_index < index and recorded < w.closes and occurred < w.until
                   for w in self.imports)

    def power_codes(self, unit_id: str | None) -> frozenset[str] | None:
        if unit_id is not None and unit_id in self.power_list:
            return self.power_list[unit_id]
        return self.power_list.get("*")


_DAYS_CACHE: dict[tuple[Any, ...], Days] = {}


def _days_for(p: FlagParams) -> Days:
    key = (p.legal.legal_utc_offset_minutes,
           tuple((y, h, m) for y, (h, m) in sorted(p.calendar.items())))
    days = _DAYS_CACHE.get(key)
    if days is None:
        if len(_DAYS_CACHE) > 64:
            _DAYS_CACHE.clear()
        days = _DAYS_CACHE[key] = Days.from_schedules(
            p.calendar, offset_minutes=p.legal.legal_utc_offset_minutes)
    return days


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (tuple, frozenset)) else value


def national() -> FlagParams:
    """National defaults: APL and the yaml thresholds; LOCAL parameters unset."""
    return FlagParams()


# --- overrides --------------------------------------------------------------------------------

def with_overrides(base: FlagParams, name: str, overrides: Mapping[str, Any], *,
                   source: str | None = None) -> FlagParams:
    """``base`` with ``overrides`` merged on top, renamed ``name``.

    Keys: any :class:`~ledger.domain.params.LegalParameters` or :class:`Thresholds` field (the
    published names without ``_fen`` and the yaml names are accepted too); ``fine_schedule``
    (``FineSchedulePublished`` entries), ``benchmarks`` (``DiscretionBenchmarkPublished``
    bodies), ``calendar`` (``WorkingCalendarPublished`` bodies), ``unit_grids``
    (``{unit_id: [grid_id]}``) and ``power_list`` (``{unit_id or "*": [violation_code]}``).
    Raises :class:`ParamsError` for an unknown key or a wrongly typed value.
    """
    legal: dict[str, Any] = {}
    thresholds: dict[str, Any] = {}
    schedule = dict(base.fine_schedule)
    benchmarks = dict(base.benchmarks)
    calendar = dict(base.calendar)
    unit_grids = dict(base.unit_grids)
    power_list = dict(base.power_list)
    for key, value in overrides.items():
        if key == "fine_schedule":
            schedule.update(_schedule_entries(value))
        elif key == "benchmarks":
            for body in value:
                benchmarks.update(_benchmark_entries(body))
        elif key == "calendar":
            for body in value:
                calendar[int(body["year"])] = _calendar_entry(body)
        elif key == "unit_grids":
            unit_grids.update({u: frozenset(g) for u, g in value.items()})
        elif key == "power_list":
            power_list.update({u: frozenset(c) for u, c in value.items()})
        else:
            target, field_name = _resolve(key)
            if target == "legal":
                legal[field_name] = _check_int(key, value, optional=field_name in _OPTIONAL)
            else:
                thresholds[field_name] = _threshold_value(field_name, value)
    sources = base.sources + ((source,) if source else ())
    return FlagParams(name=name, legal=replace(base.legal, **legal),
                      thresholds=replace(base.thresholds, **thresholds),
                      fine_schedule=schedule, benchmarks=benchmarks, calendar=calendar,
                      unit_grids=unit_grids, power_list=power_list, imports=base.imports,
                      sources=sources)


_OPTIONAL = {"hearing_threshold_individual_fen", "hearing_threshold_organisation_fen"}


def _resolve(key: str) -> tuple[str, str]:
    name = _LEGAL_ALIASES.get(key, key)
    if name in _LEGAL:
        return "legal", name
    if name + "_fen" in _LEGAL:
        return "legal", name + "_fen"
    if name in _THRESHOLDS:
        return "thresholds", name
    if name + "_fen" in _THRESHOLDS:
        return "thresholds", name + "_fen"
    raise ParamsError(f"unknown parameter {key!r}")


def _check_int(key: str, value: Any, *, optional: bool) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"{key} must be an integer{' or null' if optional else ''}")
    return value


def _threshold_value(name: str, value: Any) -> Any:
    default = _THRESHOLDS[name].default
    if isinstance(default, tuple):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ParamsError(f"{name} must be a list of strings")
        return tuple(str(v) for v in value)
    return _check_int(name, value, optional=default is None or name.endswith("_fen"))


def _schedule_entries(entries: Iterable[Mapping[str, Any]]) -> dict[str, FineRule]:
    out = {}
    for e in entries:
        ranges = {r["band"]: (int(r["min_fen"]), int(r["max_fen"])) for r in e["ranges"]}
        out[e["code"]] = FineRule(e["code"], e.get("name", e["code"]), e.get("basis", ""),
                                  ranges, precondition=e.get("precondition"))
    return out


def _benchmark_entries(body: Mapping[str, Any]) -> dict[tuple[str, str], Benchmark]:
    table = body.get("benchmark_table_id", "local")
    return {(e["violation_code"], e.get("party_type", "any")): Benchmark(
        table, tuple((t["tier"], int(t["min_fen"]), int(t["max_fen"])) for t in e["tiers"]))
        for e in body["entries"]}


def _calendar_entry(body: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (tuple(sorted(body["holidays"])), tuple(sorted(body["makeup_workdays"])))


# --- published configuration on the ledger ------------------------------------------------------

CONFIG_TYPES = frozenset({"LegalParametersPublished", "DiscretionBenchmarkPublished",
                          "FineSchedulePublished", "WorkingCalendarPublished",
                          "UnitTerritoryPublished", "PowerListPublished",
                          "DetectionListsPublished"})


def is_configuration(rec: "Recorded") -> bool:
    """Whether ``rec`` is published configuration (what :meth:`ParamsTimeline.publish_recorded`
    folds)."""
    return rec.type in CONFIG_TYPES and rec.stream.startswith("config:")


@dataclass(frozen=True)
class _Change:
    day: int             # effective legal day (ordinal)
    index: int           # log position (ties: log order)
    kind: str            # legal | schedule | bench_on | bench_off | territory | powers
    event_id: str
    payload: Any


class ParamsTimeline:
    """The parameters in force on each legal day: ``base`` plus published configuration.

    ``publish(...)`` folds one configuration event (in log order); ``at_day(day)`` returns the
    resolved :class:`FlagParams` for a legal day (cached; rebuilt only when configuration
    changes, which is rare).
    """

    def __init__(self, base: FlagParams) -> None:
        self.base = base
        self._changes: list[_Change] = []
        self._calendar: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._calendar_sources: list[str] = []
        self._imports: list[ImportWindow] = []
        self._reset()

    def _reset(self) -> None:
        self._days: list[int] = []
        self._snapshots: list[FlagParams] = []
        self._built = False
        self._by_instant: tuple[Days, list[int]] | None = None

    @property
    def has_changes(self) -> bool:
        return bool(self._changes or self._calendar or self._imports)

    def publish(self, *, type: str, body: Mapping[str, Any], event_id: str, index: int,
                published_day: int, recorded: int | None = None) -> None:
        """Fold one configuration event. Malformed content is ignored (the door checked the
        shape; an unknown parameter name is kept out of the resolved parameters).

        ``recorded`` is the event's ``recorded_at`` (epoch seconds, the ledger's clock). A
        ``historical_import_until`` (unit ``minutes``: whole minutes since 1970-01-01T00:00Z)
        is kept only when that instant is not later than ``recorded``: an import covers the
        past, and can never excuse the late recording of an event that had not yet happened
        when the import was declared. Without ``recorded`` it is ignored."""
        if type == "WorkingCalendarPublished":
            self._calendar[int(body["year"])] = _calendar_entry(body)
            self._calendar_sources.append(event_id)
            self._reset()
            return
        start = max(day_of_iso(body["effective_from"]), published_day)
        if type == "LegalParametersPublished":
            values = {}
            for p in body["parameters"]:
                if p["name"] == IMPORT_PARAMETER:
                    self._declare_import(p, event_id, index, recorded)
                    continue
                try:
                    target, name = _resolve(p["name"])
                except ParamsError:
                    continue
                value = p["value"]
                if value is None and name not in _OPTIONAL and not (
                        target == "thresholds" and _THRESHOLDS[name].default is None):
                    continue
                if isinstance(value, int) or value is None:
                    if target == "thresholds" and isinstance(_THRESHOLDS[name].default, tuple):
                        continue
                    # by the resolved name: publications spelling one parameter differently
                    # (with or without _fen, the yaml's name) must still supersede each other
                    values[name] = value
            self._changes.append(_Change(start, index, "legal", event_id, values))
        elif type == "FineSchedulePublished":
            self._changes.append(_Change(start, index, "schedule", event_id,
                                         _schedule_entries(body["entries"])))
        elif type == "DetectionListsPublished":     # list-valued thresholds, each whole
            lists = {}
            for p in body["lists"]:
                try:
                    target, name = _resolve(p["name"])
                except ParamsError:
                    continue
                if target == "thresholds" and isinstance(_THRESHOLDS[name].default, tuple):
                    lists[name] = tuple(p["values"])
            self._changes.append(_Change(start, index, "legal", event_id, lists))
        elif type == "UnitTerritoryPublished":      # a unit's whole list, replaced whole
            self._changes.append(_Change(start, index, "territory", event_id,
                                         (body["unit_id"], frozenset(body["grid_ids"]))))
        elif type == "PowerListPublished":
            self._changes.append(_Change(start, index, "powers", event_id,
                                         (body["unit_id"] or "*",
                                          frozenset(body["violation_codes"]))))
        elif type == "DiscretionBenchmarkPublished":
            entries = _benchmark_entries(body)
            end = day_of_iso(body["effective_until"]) + 1 if body.get("effective_until") else None
            if end is None or end > start:      # a period over when published never applies
                self._changes.append(_Change(start, index, "bench_on", event_id, entries))
                if end is not None:
                    self._changes.append(_Change(end, index, "bench_off", event_id, entries))
        self._reset()

    def publish_recorded(self, rec: "Recorded") -> None:
        """Fold one recorded configuration event (:func:`is_configuration`), published on the
        legal day it occurred — the red-flag engine and the read models fold it the same way."""
        self.publish(type=rec.type, body=rec.body, event_id=rec.event_id, index=rec.index,
                     published_day=self.latest().days().day(ts_of(rec.occurred_at)),
                     recorded=ts_of(rec.recorded_at))

    def _declare_import(self, p: Mapping[str, Any], event_id: str, index: int,
                        recorded: int | None) -> None:
        value = p["value"]
        if recorded is None or p.get("unit") != "minutes" or isinstance(value, bool) \
                or not isinstance(value, int):
            return
        until = value * 60
        if until <= recorded:
            # the city's window, fixed when declared: a later publication cannot reopen it
            days = self.base.thresholds.import_recording_days
            self._imports.append(ImportWindow(index, until, event_id, recorded + days * DAY))
            self._reset()

    def _build(self) -> None:
        base = self.base
        if self._calendar or self._imports:
            # like a calendar, an import is a fact about the past: every version carries it
            cal = dict(base.calendar)
            cal.update(self._calendar)
            base = FlagParams(name=base.name, legal=base.legal, thresholds=base.thresholds,
                              fine_schedule=base.fine_schedule, benchmarks=base.benchmarks,
                              calendar=cal, unit_grids=base.unit_grids,
                              power_list=base.power_list,
                              imports=base.imports + tuple(self._imports),
                              sources=base.sources + tuple(self._calendar_sources))
        changes = sorted(self._changes, key=lambda c: (c.day, c.index, c.kind != "bench_off"))
        days, snaps = [date.min.toordinal()], [base]
        legal: dict[str, Any] = {}
        schedule: dict[str, FineRule] = {}
        active: dict[str, tuple[int, dict[tuple[str, str], Benchmark]]] = {}
        sources: list[str] = []
        unit_grids, power_list = dict(base.unit_grids), dict(base.power_list)
        for c in changes:
            if c.kind == "legal":
                legal.update(c.payload)
            elif c.kind == "schedule":
                schedule.update(c.payload)
            elif c.kind == "territory":
                unit_grids[c.payload[0]] = c.payload[1]
            elif c.kind == "powers":
                power_list[c.payload[0]] = c.payload[1]
            elif c.kind == "bench_on":
                active[c.event_id] = (c.index, c.payload)
            else:
                active.pop(c.event_id, None)
            if c.event_id not in sources and c.kind != "bench_off":
                sources.append(c.event_id)
            benchmarks = dict(base.benchmarks)
            for _, entries in sorted(active.values(), key=lambda v: v[0]):
                benchmarks.update(entries)
            merged = with_overrides(base, base.name, legal)
            snap = FlagParams(name=base.name, legal=merged.legal, thresholds=merged.thresholds,
                              fine_schedule={**base.fine_schedule, **schedule},
                              benchmarks=benchmarks, calendar=base.calendar,
                              unit_grids=dict(unit_grids), power_list=dict(power_list),
                              imports=base.imports, sources=base.sources + tuple(sources))
            if days[-1] == c.day:
                snaps[-1] = snap
            else:
                days.append(c.day)
                snaps.append(snap)
        self._days, self._snapshots, self._built = days, snaps, True

    def at_day(self, day: int) -> FlagParams:
        """The parameters in force on legal day ``day`` (an ordinal)."""
        if not self._built:
            self._build()
        return self._snapshots[bisect_right(self._days, day) - 1]

    def by_instant(self, days: Days) -> tuple[list[int], list[FlagParams]]:
        """The first instant of each version's first legal day under ``days``, and the
        versions: ``versions[bisect_right(starts, ts) - 1]`` is ``at_day(days.day(ts))`` (a
        legal day begins at its first instant), found in one bisection — the rules ask for
        the parameters of millions of instants in a rebuild."""
        if not self._built:
            self._build()
        if self._by_instant is None or self._by_instant[0] is not days:
            self._by_instant = (days, [days.start(day) for day in self._days])
        return self._by_instant[1], self._snapshots

    def only(self) -> FlagParams | None:
        """The single parameter set in force on every day, or None when versions differ."""
        if not self._built:
            self._build()
        return self._snapshots[0] if len(self._snapshots) == 1 else None

    def latest(self) -> FlagParams:
        if not self._built:
            self._build()
        return self._snapshots[-1]

    def versions(self) -> list[FlagParams]:
        if not self._built:
            self._build()
        return list(self._snapshots)
