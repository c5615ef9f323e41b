"""``ledger flags`` on a bundle of part of the log names the flags it cannot recompute."""

from __future__ import annotations

from types import SimpleNamespace

from projections.auditor import beyond_scope_note


def _flag(rule_id: str, scope: str) -> SimpleNamespace:
    return SimpleNamespace(rule_id=rule_id, scope=scope)


def test_a_partial_bundle_names_the_flags_whose_rules_read_the_whole_log() -> None:
    """A case bundle's note said only that flags "can differ": an officer's RF22 or a cohort's
    RF20 computed from one case was printed like any other. The flags about a party, officer,
    unit, cohort, grid or inspector (rules that read other cases) are now named."""
    flags = [_flag("RF03", "case:C-1"), _flag("RF22", "officer:O-1"),
             _flag("RF20.a", "cohort:Q|O-1"), _flag("RF20.a", "cohort:Q|O-2")]
    note = beyond_scope_note({"scope": {"kind": "case", "case_id": "C-1"}}, flags)
    assert note == ("3 of the 4 flags (RF20.a, RF22) are about a cohort or officer, whose rules "
                    "read cases beyond this bundle: they are computed from what it holds, not "
                    "recomputed")


def test_a_whole_log_bundle_or_only_case_flags_get_no_such_note() -> None:
    flags = [_flag("RF22", "officer:O-1")]
    assert beyond_scope_note({"scope": {"kind": "all"}}, flags) is None
    assert beyond_scope_note({"scope": {"kind": "case"}}, [_flag("RF03", "case:C-1")]) is None
