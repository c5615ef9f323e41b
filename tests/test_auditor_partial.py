"""``ledger flags`` on a bundle of part of the log names the flags it cannot recompute."""

from __future__ import annotations

from types import SimpleNamespace

from projections.auditor import beyond_scope_note, holds_whole_log, label_note, partial_note


def _flag(rule_id: str, scope: str) -> SimpleNamespace:
    return SimpleNamespace(rule_id=rule_id, scope=scope)


def test_a_partial_bundle_names_the_flags_whose_rules_read_the_whole_log() -> None:
    """A case bundle's note said only that flags "can differ": an officer's RF22 or a cohort's
    RF20 computed from one case was printed like any other. The flags about a party, officer,
    unit, cohort, grid or inspector (rules that read other cases) are now named."""
    flags = [_flag("RF03", "case:C-1"), _flag("RF22", "officer:O-1"),
             _flag("RF20.a", "cohort:Q|O-1"), _flag("RF20.a", "cohort:Q|O-2")]
    note = beyond_scope_note(False, flags)
    assert note == ("3 of the 4 flags (RF20.a, RF22) are about a cohort or officer, whose rules "
                    "read cases beyond this bundle: they are computed from what it holds, not "
                    "recomputed")


def test_a_whole_log_bundle_or_only_case_flags_get_no_such_note() -> None:
    flags = [_flag("RF22", "officer:O-1")]
    assert beyond_scope_note(True, flags) is None
    assert beyond_scope_note(False, [_flag("RF03", "case:C-1")]) is None


def test_whole_log_is_read_from_the_events_not_the_label() -> None:
    """A case bundle relabelled `all` passed for the whole log: no note, and its officer,
    unit and cohort flags printed as recomputed. The events at every index 0 … tree_size − 1
    decide now, and a label that disagrees is named."""
    relabelled = {"scope": {"kind": "all"}, "log": {"tree_size": 5}}
    assert not holds_whole_log(relabelled, [0, 1, 3])
    assert not holds_whole_log(relabelled, [0, 1, 2, 3])
    assert not holds_whole_log({"scope": {"kind": "all"}, "log": {"tree_size": True}}, [0])
    assert not holds_whole_log({"scope": {"kind": "all"}}, [0, 1])
    assert holds_whole_log(relabelled, [0, 1, 2, 3, 4])
    assert label_note(relabelled, False).startswith("the header's scope says the whole log")
    assert partial_note(relabelled, False).startswith("this bundle holds part of the log")
    assert label_note(relabelled, True) is None and partial_note(relabelled, True) is None
    case = {"scope": {"kind": "case"}, "log": {"tree_size": 2}}
    assert label_note(case, True).startswith("the header's scope says case, but")
    assert label_note(case, False) is None
    assert partial_note(case, False).startswith("a case bundle holds part of the log")


def test_the_notes_on_an_officer_bundle_read_an_officer() -> None:
    """They said "a officer bundle" and "about a officer"."""
    officer = {"scope": {"kind": "officer"}, "log": {"tree_size": 2}}
    assert partial_note(officer, False).startswith("an officer bundle holds part of the log")
    assert beyond_scope_note(False, [_flag("RF22", "officer:O-1")]).startswith(
        "1 of the 1 flags (RF22) are about an officer, whose rules")
    unit = {"scope": {"kind": "unit"}, "log": {"tree_size": 2}}
    assert partial_note(unit, False).startswith("a unit bundle holds part of the log")
