"""A small world for red-flag tests (staff with credentials, posts and a complete pledge chain;
the factory's lifecycles; step surgery helpers), and the engine's contract: clean lifecycles
raise nothing, compute_flags equals incremental evaluation, flags are stable, explain
themselves and carry no floats, and the package imports nothing beyond the standard library.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from ledger.envelope import Recorded
from projections.redflags import Flag, FlagEngine, FlagParams, compute_flags, national

from . import domain_factory as f
from .domain_factory import at, step

AT = datetime(2025, 12, 31, tzinfo=timezone.utc)
SUMMARY = "SH-HP-2024-S-004512"
GENERAL = "SH-HP-2024-000123"
WITHDRAWN = "SH-HP-2025-000031"
PARTY_SECRETARY = "SH-HP-0001"      # countersigns the unit head's pledge (top of the chain)


def when(text: str) -> datetime:
    """``2024-10-09`` or ``2024-10-09T10:00`` in China Standard Time → aware datetime."""
    if "T" not in text:
        text += "T00:00"
    return datetime.fromisoformat(text + ":00+08:00")


def pledges(year: int) -> list[f.Step]:
    steps: list[f.Step] = []
    for oid in (f.OFFICER_A, f.OFFICER_B, f.LEGAL):
        steps += f.pledge_chain_steps(oid, f.HEAD, pledge_id=f"PL-{oid}-{year}", top=False,
                                      year=year)
    steps += f.pledge_chain_steps(f.HEAD, PARTY_SECRETARY, pledge_id=f"PL-HEAD-{year}",
                                  top=True, level="unit", countersigner_level="party_committee",
                                  year=year)
    return steps


def staff() -> list[f.Step]:
    """The factory's staff plus integrity pledges for 2024 and 2025 (chain up to the head),
    and the key of the factory's bodycam, which signs its footage (RF08.c counts a video only
    when its device's own key signed it)."""
    return f.staff() + pledges(2024) + pledges(2025) + [f.device_key()]


def general_case(case_id: str = GENERAL) -> list[f.Step]:
    """The factory's general case with the order to rectify it lacks (APL 第28条)."""
    steps = f.general_case(case_id)
    order = step(f"case:{case_id}", "RectificationOrdered", at("2024-04-23", "10:40:00"),
                 party_ref=f.COMPANY, requirement="清除人行道堆放的建材", deadline=None)
    return insert_after(steps, "EvidenceRecorded", order)


# --- step surgery -------------------------------------------------------------------------------

def change(steps: list[f.Step], type_name: str, *, occurred_at: str | None = None,
           nth: int = 0, **overrides: Any) -> list[f.Step]:
    """Steps with the ``nth`` step of ``type_name`` changed (body overrides, time)."""
    out, seen = [], 0
    for s in steps:
        if s.type == type_name:
            if seen == nth:
                body = dict(s.body)
                for k, v in overrides.items():
                    if v is f.DROP:
                        body.pop(k, None)
                    else:
                        body[k] = v
                s = f.Step(s.stream, s.type, occurred_at or s.occurred_at, body)
            seen += 1
        out.append(s)
    assert seen > nth, f"no {type_name} #{nth}"
    return out


def drop(steps: list[f.Step], *type_names: str) -> list[f.Step]:
    return [s for s in steps if s.type not in type_names]


def insert_after(steps: list[f.Step], type_name: str, *new: f.Step) -> list[f.Step]:
    out: list[f.Step] = []
    done = False
    for s in steps:
        out.append(s)
        if s.type == type_name and not done:
            out.extend(new)
            done = True
    assert done, f"no {type_name}"
    return out


def until(steps: list[f.Step], type_name: str) -> list[f.Step]:
    """The steps up to and including the first ``type_name``."""
    out = []
    for s in steps:
        out.append(s)
        if s.type == type_name:
            return out
    raise AssertionError(f"no {type_name}")


class World:
    """A history under construction; ``flags(at)`` computes every flag from scratch."""

    def __init__(self, *lifecycles: Iterable[f.Step], params: FlagParams | None = None,
                 with_staff: bool = True, lag: timedelta = timedelta(minutes=2)) -> None:
        self.history = f.History(lag=lag)
        self.params = params or national()
        if with_staff:
            self.history.extend(staff())
        for steps in lifecycles:
            self.history.extend(steps)

    def add(self, *steps: f.Step, lag: timedelta | None = None) -> list[Recorded]:
        if lag is None:
            return self.history.extend(steps)
        old = self.history._lag
        self.history._lag = lag
        try:
            return self.history.extend(steps)
        finally:
            self.history._lag = old

    def record(self, s: f.Step, *, recorded_at: str) -> Recorded:
        """Record ``s`` with an explicit ``recorded_at`` (late uploads, back-dating)."""
        rec = self.history.record(s)
        rec = replace(rec, recorded_at=recorded_at)
        self.history.events[-1] = rec
        return rec

    @property
    def events(self) -> list[Recorded]:
        return self.history.events

    def flags(self, at: datetime = AT, rule: str | None = None) -> list[Flag]:
        flags = compute_flags(self.events, self.params, at=at)
        if rule is None:
            return flags
        return [fl for fl in flags if fl.rule_id == rule or fl.family == rule]

    def rules(self, at: datetime = AT) -> list[str]:
        return sorted(fl.rule_id for fl in self.flags(at))

    def one(self, rule: str, at: datetime = AT) -> Flag:
        found = self.flags(at, rule)
        assert len(found) == 1, f"expected one {rule}, got {[x.rule_id for x in found]}: " \
                                f"{[x.summary for x in found]}"
        return found[0]


def numbers(flag: Flag) -> dict[str, Any]:
    """The flag's numbers as published (JSON values: lists, not tuples)."""
    return flag.to_value()["numbers"]


# --- the engine's contract ------------------------------------------------------------------------

def test_complete_factory_lifecycles_raise_no_flags() -> None:
    world = World(f.summary_case(SUMMARY), general_case(), f.withdrawn_case(),
                  f.redecided_case(), f.complaint_cycle())
    assert world.flags() == []


def test_factory_general_case_without_rectification_order_is_flagged_as_fining_in_place_of_management() -> None:  # noqa: E501
    assert World(f.general_case()).rules() == ["RF13.a"]


def test_compute_flags_equals_incremental_apply_and_evaluate_over_the_same_history() -> None:
    world = World(f.summary_case(SUMMARY), f.general_case(), f.withdrawn_case(),
                  f.complaint_cycle())
    late_cash = change(f.summary_case("SH-HP-2024-S-000777", day="2024-06-03"),
                       "OnsiteCashRemitted", occurred_at=at("2024-06-14"))
    world.add(*late_cash)
    evaluation = when("2025-03-01")
    late = next(fl for fl in world.flags(evaluation) if fl.rule_id == "RF05.b")
    world.add(step(f"flag:{late.flag_id}", "FlagDismissed", at("2024-07-01"),
                   rule_id="RF05.b", inspector_id=f.OFFICER_A),       # self-dismissal: RF26
              step("flag:RF99-unknown", "FlagAcknowledged", at("2024-07-02")))
    expected = compute_flags(world.events, national(), at=evaluation)
    assert {"RF05.b", "RF13.a", "RF26"} <= {fl.rule_id for fl in expected}

    engine = FlagEngine(national())
    held: dict[str, list[Flag]] = {}
    for rec in world.events:
        subjects = engine.apply(rec)
        fresh = engine.evaluate(subjects, evaluation)
        for s in subjects:
            held[str(s)] = []
        for fl in fresh:
            held.setdefault(fl.scope, []).append(fl)
    incremental = sorted((fl for fls in held.values() for fl in fls),
                         key=lambda fl: (fl.raised_at, fl.rule_id, fl.flag_id))
    assert [fl.to_value() for fl in incremental] == [fl.to_value() for fl in expected]


def test_flag_ids_do_not_depend_on_the_evaluation_time() -> None:
    world = World(change(f.summary_case(SUMMARY), "OnsiteCashRemitted",
                         occurred_at=at("2024-10-15")))
    early = world.one("RF05.b", when("2024-10-12"))
    late = world.one("RF05.b", when("2025-06-01"))
    assert early.flag_id == late.flag_id
    assert early.flag_id.startswith("RF05.b-")


def test_flags_are_json_safe_without_floats_and_explain_themselves() -> None:
    world = World(change(f.summary_case(SUMMARY), "OnsiteCashRemitted",
                         occurred_at=at("2024-10-15")))
    flag = world.one("RF05.b")
    value = flag.to_value()
    text = json.dumps(value, ensure_ascii=False)
    assert json.loads(text) == value

    def no_floats(v: Any) -> None:
        assert not isinstance(v, float), v
        if isinstance(v, dict):
            for x in v.values():
                no_floats(x)
        if isinstance(v, list):
            for x in v:
                no_floats(x)
    no_floats(value)
    assert value["name"] == {"en": "On-the-spot cash not handed to the agency within 2 "
                                   "working days", "zh": "当场收缴罚款未在二日内交至行政机关"}
    assert value["severity"] == "critical"
    assert "APL 第71条" in value["legal_basis"]
    assert value["subject"]["case_id"] == SUMMARY
    assert value["params_version"] == national().version
    assert value["event_ids"][0] == world.events[len(staff()) + 6].event_id   # the collection
    assert value["numbers"]["due"] == "2024-10-09"      # Oct 1–7 are holidays


def test_output_order_is_deterministic() -> None:
    world = World(f.summary_case(SUMMARY), f.general_case(),
                  drop(f.summary_case("SH-HP-2024-S-000900", day="2024-05-06"),
                       "EvidenceRecorded", "RectificationOrdered"))
    first = world.flags()
    again = compute_flags(list(world.events), national(), at=AT)
    assert [fl.flag_id for fl in first] == [fl.flag_id for fl in again]
    assert [fl.raised_at for fl in first] == sorted(fl.raised_at for fl in first)


def test_evaluation_time_must_be_timezone_aware() -> None:
    import pytest
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_flags([], national(), at=datetime(2025, 1, 1))


def test_red_flag_package_imports_only_the_standard_library_and_pure_ledger_modules() -> None:
    code = ("import sys, projections.redflags as r; "
            "bad = sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)"
            " - {'ledger', 'projections', '__main__'}); "
            "print([m for m in bad if not m.startswith('_')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def _incremental(events: list[Recorded], evaluation: datetime,
                 params: FlagParams | None = None) -> list[Flag]:
    engine = FlagEngine(params or national())
    held: dict[str, list[Flag]] = {}
    for rec in events:
        subjects = engine.apply(rec)
        fresh = engine.evaluate(subjects, evaluation)
        for s in subjects:
            held[str(s)] = []
        for fl in fresh:
            held.setdefault(fl.scope, []).append(fl)
    return sorted((fl for fls in held.values() for fl in fls),
                  key=lambda fl: (fl.raised_at, fl.rule_id, fl.flag_id))


def test_late_facts_in_any_order_give_the_same_flags_incrementally_and_in_a_rebuild() -> None:
    import random
    late_facts = [
        [step(f"officer:{f.OFFICER_A}", "OfficerCredentialSuspended", at("2024-12-01"),
              cert_no=f.CERT_A, effective_at=at("2024-09-01"), until="2024-10-31")],
        [step(f"officer:{f.OFFICER_B}", "RelationshipDeclared", at("2024-12-02"),
              party_ref=f.VENDOR)],
        [step(f"officer:{f.OFFICER_B}", "PostAssigned", at("2024-06-01"), post_id="P-B-2",
              unit_id=f.UNIT, grid_ids=["HP-G-0900"], window_from=at("2024-06-01"),
              window_until=None, superior_officer_id=f.DEPUTY)],
        [step(f"unit:{f.UNIT}", "DispatchOrderIssued", at("2024-09-30", "09:00:00"),
              grid_ids=["HP-G-0113"], window_from=at("2024-09-30", "09:00:00"),
              window_until=at("2024-09-30", "18:00:00"))],
        [step("config:legal-parameters", "LegalParametersPublished", at("2024-05-01"),
              effective_from="2024-05-01", parameters=[
                  {"name": "summary_procedure_max_fine_individual", "value": 8_000,
                   "unit": "fen", "basis": "test"}])],
        [step(f"case:{GENERAL}", "RectificationVerified", at("2024-08-30"),
              officers=[{"officer_id": f.OFFICER_B, "cert_no": f.CERT_B}])],
        until(f.complaint_cycle("C-9"), "ComplaintAcknowledged"),
        [step("complaint:C-9", "ComplaintClosed", at("2025-03-01"), handler=f.OFFICER_A)],
        change(change(f.complaint_cycle("C-10"), "ComplaintReceived", case_id=f.DROP),
               "ComplaintClosed", handler=f.DEPUTY),
        [step(f"officer:{f.HEAD}", "PostAssigned", at("2024-03-01"), post_id="P-HEAD-2",
              unit_id=f.UNIT, role="unit_head", window_from=at("2024-03-01"),
              window_until=None, superior_officer_id="SH-HP-0002")],
        [step("case:SH-HP-2024-S-000002", "EvidenceRecorded", at("2024-09-30", "10:02:30"),
              evidence_id="EV-far", captured_at=at("2024-09-30", "10:02:00"),
              location={"lat_e6": 31300000, "lon_e6": 121484023, "grid_id": "HP-G-0113"})],
    ]
    cases = [
        f.summary_case(SUMMARY),
        change(change(f.summary_case("SH-HP-2024-S-000002", day="2024-09-30"),
                      "OnsiteCashCollected", receipt_no="R-000002"),
               "EvidenceRecorded", location=f.DROP),          # its place arrives late
        change(f.summary_case("SH-HP-2024-S-000003", day="2024-06-03"), "OnsiteCashRemitted",
               occurred_at=at("2024-06-20")),
        general_case(), f.withdrawn_case(),
        drop(f.redecided_case(), "RectificationOrdered", "DecisionPublished"),
    ]
    evaluation = when("2025-06-01")
    for seed in range(10):
        groups = late_facts + cases        # seed 0: every late fact before what it concerns
        if seed:
            random.Random(seed).shuffle(groups)
        history = f.History()
        for g in [staff()] + groups:
            history.extend(g)
        flags = compute_flags(history.events, national(), at=evaluation)
        # dispositions of real flags, including self-dismissals, then re-check
        for i, fl in enumerate(flags[:6]):
            who = [f.OFFICER_B, "SH-JW-007"][i % 2]
            history.record(step(f"flag:{fl.flag_id}", "FlagDismissed", at("2025-05-01"),
                                rule_id=fl.family, inspector_id=who))
        expected = compute_flags(history.events, national(), at=evaluation)
        assert len({fl.rule_id for fl in expected}) >= 8
        got = _incremental(history.events, evaluation)
        assert [fl.to_value() for fl in got] == [fl.to_value() for fl in expected], seed
