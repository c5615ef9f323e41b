"""Who watches the watchers: an inspector who takes a flag up and then sits on it (RF29.a) or
back-dates a disposition (RF29.b), one related to the case's party (RF26), and what the engine
raises today for the other ways a corrupt inspector could make a flag about a friend go quiet
(docs/red-flags.md, RF29, RF26 and "What the dispositions do not judge")."""

from __future__ import annotations

from projections.redflags import FlagEngine, compute_flags, national

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_dispositions import INSPECTOR, dispose, late_cash_world
from .test_redflags_import import import_declared
from .test_redflags_key_units import OTHER_UNIT, key, signed
from .test_redflags_world import SUMMARY, World, _incremental, numbers, when


# --- RF29.a: taken up and left unresolved -------------------------------------------------------

def test_a_flag_acknowledged_and_never_resolved_raises_rf29_after_sixty_days() -> None:
    """An acknowledgement took the flag out of the open queue, and nothing ever surfaced it
    again: the flag stayed "acknowledged" for ever."""
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"))
    flag = world.one("RF29.a")
    assert flag.officer_id == INSPECTOR and flag.status == "raised"
    assert flag.case_id == world.one("RF05.b").case_id
    assert flag.unit_id == world.one("RF05.b").unit_id
    assert numbers(flag) == {
        "disposed_flag_id": flag_id, "disposed_rule_id": "RF05.b", "inspector_id": INSPECTOR,
        "acknowledged_on": "2024-10-20", "due": "2024-12-19", "days": 60}
    assert flag.raised_at == "2024-12-20T00:00:00+08:00"
    assert flag.event_ids[0] == world.events[-1].event_id
    assert flag.summary == (f"{INSPECTOR} acknowledged flag {flag_id} (RF05.b) on 2024-10-20 "
                            "and had not dismissed, confirmed or referred it by 2024-12-19 "
                            "(60 days)")
    assert flag.summary_zh == (f"{INSPECTOR} 于 2024-10-20 受理红旗 {flag_id}（RF05.b），至 "
                               "2024-12-19 未驳回、确认或移送（60 日）")
    # not before the deadline has passed
    assert world.flags(when("2024-12-19T23:59"), rule="RF29.a") == []


def test_a_flag_resolved_within_sixty_days_of_its_acknowledgement_raises_nothing() -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"),
              dispose(flag_id, "FlagDismissed", "2024-12-19", reason_code="false_positive",
                      reason="核实为误报"))
    assert world.flags(rule="RF29.a") == []


def test_a_resolution_after_the_deadline_clears_rf29_and_keeps_the_lateness() -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"),
              dispose(flag_id, "FlagConfirmed", "2024-12-23", finding="确有迟交"))
    flag = world.one("RF29.a")
    assert flag.status == "cleared" and flag.cleared_by == world.events[-1].event_id
    assert numbers(flag)["days_late"] == 4


def test_acknowledging_again_does_not_restart_the_clock() -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"),
              dispose(flag_id, "FlagAcknowledged", "2024-12-10", note="仍在核查"))
    assert numbers(world.one("RF29.a"))["acknowledged_on"] == "2024-10-20"


def test_a_back_dated_resolution_counts_when_the_ledger_recorded_it() -> None:
    """A dismissal signed with an ``occurred_at`` inside the sixty days but recorded after them
    would otherwise make a stalled flag look handled in time."""
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"))
    world.record(dispose(flag_id, "FlagDismissed", "2024-12-01", reason_code="other",
                         reason="无"), recorded_at="2025-01-06T02:00:00.000000Z")
    flag = world.one("RF29.a")
    assert flag.status == "cleared" and numbers(flag)["days_late"] == 18


def test_a_flag_reopened_after_a_resolution_is_timed_from_its_new_acknowledgement() -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"),
              dispose(flag_id, "FlagConfirmed", "2024-11-01", finding="确有迟交"),
              dispose(flag_id, "FlagAcknowledged", "2025-03-03", note="复查"))
    flag = world.one("RF29.a")
    assert numbers(flag)["acknowledged_on"] == "2025-03-03" and flag.status == "raised"


def test_rf29_is_due_incrementally_and_equals_a_rebuild() -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"))
    engine = FlagEngine(national())
    engine.apply_all(world.events)
    engine.evaluate_all(when("2024-11-01"))
    assert engine.next_due(when("2024-11-01")) == when("2024-12-20")
    evaluation = when("2025-01-01")
    expected = compute_flags(world.events, national(), at=evaluation)
    assert "RF29.a" in [x.rule_id for x in expected]
    got = _incremental(world.events, evaluation)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


def test_a_disposition_not_applied_starts_no_clock() -> None:
    """An acknowledgement signed by a key of other units is not applied (RF28): it took
    nothing out of the queue, so nothing stalls."""
    world, flag_id = late_cash_world()
    key(world, "jw-xh", [OTHER_UNIT])
    signed(world, "jw-xh", dispose(flag_id, "FlagAcknowledged", "2024-10-20"))
    assert len(world.flags(rule="RF28")) == 1 and world.flags(rule="RF29.a") == []


# --- RF29.b: a disposition recorded long after the time it claims ------------------------------

def test_a_disposition_recorded_more_than_72_hours_after_its_claimed_time_raises_rf29b() -> None:
    """A disposition's ``occurred_at`` is whatever its signer wrote: a dismissal dated weeks
    before it was recorded showed in the flag's history, and in warning levels, as made then."""
    world, flag_id = late_cash_world()
    rec = world.record(dispose(flag_id, "FlagDismissed", "2024-10-20"),
                       recorded_at="2024-11-20T02:00:00.000000Z")
    flag = world.one("RF29.b")
    assert world.one("RF05.b").disposition == "dismissed"      # applied all the same
    assert numbers(flag) == {
        "disposed_flag_id": flag_id, "disposed_rule_id": "RF05.b", "inspector_id": INSPECTOR,
        "disposition": "dismissed", "occurred_at": "2024-10-20T10:00:00+08:00",
        "recorded_at": "2024-11-20T10:00:00+08:00", "hours_late": 744, "max_hours": 72}
    assert flag.officer_id == INSPECTOR and flag.event_ids[0] == rec.event_id
    assert flag.unit_id == world.one("RF05.b").unit_id
    assert flag.raised_at == "2024-11-20T10:00:00+08:00"
    assert flag.summary == (f"{INSPECTOR} dismissed flag {flag_id} (RF05.b) dated "
                            "2024-10-20T10:00:00+08:00 but recorded 2024-11-20T10:00:00+08:00, "
                            "744 hours later (more than 72)")
    assert flag.summary_zh == (f"{INSPECTOR} 驳回红旗 {flag_id}（RF05.b）的时间记为 "
                               "2024-10-20T10:00:00+08:00，而记录于 2024-11-20T10:00:00+08:00，"
                               "晚 744 小时（超过 72 小时），属补录倒签")


def test_a_disposition_recorded_within_72_hours_of_its_claimed_time_raises_nothing() -> None:
    world, flag_id = late_cash_world()
    world.record(dispose(flag_id, "FlagAcknowledged", "2024-10-20"),
                 recorded_at="2024-10-23T02:00:00.000000Z")        # exactly 72 hours
    assert world.flags(rule="RF29.b") == []


def test_a_disposition_in_a_declared_historical_import_is_not_back_dated() -> None:
    """Dispositions of the old system imported at go-live were recorded then, not late — as
    RF08.a reads the same declaration (the synth city confirms flags so)."""
    world, flag_id = late_cash_world()
    world.record(import_declared("2024-11-01T10:00:00+08:00"),
                 recorded_at="2024-11-01T02:00:00.000000Z")
    world.record(dispose(flag_id, "FlagConfirmed", "2024-10-20", finding="确有迟交"),
                 recorded_at="2024-11-01T03:00:00.000000Z")
    assert world.one("RF05.b").disposition == "confirmed"
    assert world.flags(rule="RF29.b") == []
    world.record(dispose(flag_id, "FlagDismissed", "2024-10-21"),      # after the import ran
                 recorded_at="2024-11-20T03:00:00.000000Z")
    assert numbers(world.one("RF29.b"))["disposition"] == "dismissed"


# --- RF26: an inspector with a declared relation to the case's party ---------------------------

def related(party: str, relation: str = "family", day: str = "2024-01-05") -> f.Step:
    """The inspector (an officer id, docs/red-flags.md RF26) declares a relation to ``party``."""
    return step(f"officer:{INSPECTOR}", "RelationshipDeclared", at(day), party_ref=party,
                relation=relation)


def test_a_dismissal_by_an_inspector_related_to_the_case_s_party_raises_rf26() -> None:
    """RF26 read the flag's subject and the case's persons only: an inspector whose declared
    relative was the party dismissed the flag about that case, and nothing was raised."""
    world, flag_id = late_cash_world()
    (relation,) = world.add(related(f.VENDOR))
    (dismissal,) = world.add(dispose(flag_id, "FlagDismissed", "2024-10-20"))
    flag = world.one("RF26")
    assert numbers(flag) == {
        "dismissed_flag_id": flag_id, "dismissed_rule_id": "RF05.b", "inspector_id": INSPECTOR,
        "relation": "related_to_party", "disposition": "dismissed",
        "reason_code": "legitimate_exception", "party_ref": f.VENDOR,
        "declared_relation": "family"}
    assert flag.officer_id == INSPECTOR and flag.case_id == world.one("RF05.b").case_id
    assert flag.event_ids[0] == dismissal.event_id and relation.event_id in flag.event_ids
    assert flag.summary == (f"{INSPECTOR} dismissed flag {flag_id} (RF05.b) although they "
                            f"declared a family relation with its party {f.VENDOR}")
    assert flag.summary_zh == (f"{INSPECTOR} 驳回红旗 {flag_id}（RF05.b），而其本人申报与该案当事人 "
                               f"{f.VENDOR} 存在近亲属关系，应当回避")


def test_a_relation_with_another_party_raises_no_rf26() -> None:
    world, flag_id = late_cash_world()
    world.add(related("pty:someone-else"))
    world.add(dispose(flag_id, "FlagDismissed", "2024-10-20"))
    assert world.one("RF05.b").disposition == "dismissed"
    assert world.flags(rule="RF26") == []


def test_a_relation_declared_after_the_dismissal_is_flagged_incrementally_as_in_a_rebuild(
) -> None:
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"),
              related(f.VENDOR, "business", day="2024-11-01"))
    evaluation = when("2024-11-02")
    expected = compute_flags(world.events, national(), at=evaluation)
    assert [numbers(x)["relation"] for x in expected if x.rule_id == "RF26"] == [
        "related_to_party"]
    got = _incremental(world.events, evaluation)
    assert [x.to_value() for x in got] == [x.to_value() for x in expected]


# --- what the dispositions do not judge (docs/red-flags.md, decision 2026-11-28) ---------------

def test_a_confirmed_flag_never_referred_raises_no_rf29() -> None:
    """A confirmation is itself a finding: it ends the acknowledgement's clock."""
    world, flag_id = late_cash_world()
    world.add(dispose(flag_id, "FlagAcknowledged", "2024-10-20"),
              dispose(flag_id, "FlagConfirmed", "2024-10-25", finding="确有迟交"))
    assert world.one("RF05.b").disposition == "confirmed"
    assert world.flags(rule="RF29.a") == []


def test_a_one_character_reason_dismisses_the_flag_and_raises_nothing() -> None:
    world, flag_id = late_cash_world()
    before = world.rules()
    for day in ("2024-10-20", "2024-10-21", "2024-10-22"):      # over and over
        world.add(dispose(flag_id, "FlagDismissed", day, reason_code="other", reason="无"))
    assert world.one("RF05.b").disposition == "dismissed"
    assert world.rules() == before


def test_a_dismissal_stays_on_a_flag_whose_events_grow_after_it() -> None:
    """RF22's id is the officer and the year: a later uncovered case joins the dismissed flag's
    numbers and the flag stays dismissed (the dismissal is of the flag, not of what it saw)."""
    world = World(f.staff(), f.summary_case(SUMMARY), with_staff=False)     # no pledges
    rf22 = next(x for x in world.flags(rule="RF22") if x.officer_id == f.OFFICER_A)
    world.add(step(f"flag:{rf22.flag_id}", "FlagDismissed", at("2024-10-20"), rule_id="RF22",
                   inspector_id=INSPECTOR))
    world.add(*f.summary_case("SH-HP-2024-S-004999", day="2024-11-15"))
    again = next(x for x in world.flags(rule="RF22") if x.officer_id == f.OFFICER_A)
    assert again.flag_id == rf22.flag_id
    assert numbers(again)["cases"] == [SUMMARY, "SH-HP-2024-S-004999"]
    assert numbers(again)["acts_uncovered"] > numbers(rf22)["acts_uncovered"]
    assert again.disposition == "dismissed"
