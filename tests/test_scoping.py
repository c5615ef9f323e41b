"""What a unit-scoped inspector reads of a flag whose explanation names other units' cases,
events and officers (api/scoping.py), on flag values of the shapes the rules give; the HTTP
endpoints are tested in test_dashboard_api.py."""

from __future__ import annotations

import copy
from typing import Any

from api.scoping import scoped_flags, withhold
from ledger.tokens import Principal

MINE, THEIRS = "SH-HP-2024-S-000001", "SH-XH-2024-S-000002"
E_MINE, E_THEIRS = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
OFFICER, OTHER_OFFICER = "SH-HP-0231", "SH-XH-0501"
HIDDEN = {"source": "other_units", "count": 1}


def rf17() -> dict[str, Any]:
    """An RF17 (discretion cohort) flag of an officer whose most extreme case is in another
    unit, where the officer also acted."""
    return {
        "flag_id": "RF17-0123456789abcdef01234567", "rule_id": "RF17", "scope":
        "cohort:discretion|2024-Q3", "discriminator": OFFICER,
        "subject": {"case_id": THEIRS, "officer_id": OFFICER, "unit_id": "SH-HP-CG-02",
                    "party_ref": None},
        "event_ids": [E_THEIRS, E_MINE],
        "numbers": {"cohort": "discretion|2024-Q3", "n": 12, "mean_residual": "0.412",
                    "most_extreme_cases": [[THEIRS, 50_000], [MINE, 45_000]]},
        "summary": f"{OFFICER} fines sit 0.412 above the peers' median (e.g. {THEIRS})",
        "status": "cleared", "cleared_at": "2024-10-01T00:00:00+08:00", "cleared_by": E_THEIRS,
        "disposition": "open", "disposition_event_ids": []}


def test_withholds_another_units_case_and_events_and_keeps_the_numbers() -> None:
    flag = rf17()
    out = withhold(flag, {THEIRS, E_THEIRS})
    assert out["flag_id"] == flag["flag_id"] and out["scope"] == flag["scope"]
    assert out["subject"] == {**flag["subject"], "case_id": None}
    assert out["event_ids"] == [E_MINE] and out["cleared_by"] == HIDDEN
    assert out["numbers"]["most_extreme_cases"] == [[MINE, 45_000],
                                                    {"source": "other_units", "count": 1}]
    assert {k: out["numbers"][k] for k in ("cohort", "n", "mean_residual")} == {
        "cohort": "discretion|2024-Q3", "n": 12, "mean_residual": "0.412"}
    assert THEIRS not in out["summary"] and OFFICER in out["summary"]
    assert out["other_units"] == {"source": "other_units", "count": 2}
    assert flag == rf17()                         # the stored value is not changed


def test_withholds_another_units_references_in_the_chinese_summary_too() -> None:
    """``summary_zh`` names the same cases and officers as ``summary``: a reference withheld
    from one is withheld from the other, found even when only the Chinese sentence names it."""
    flag = rf17() | {"summary_zh": f"{OFFICER}：罚款数额高于中位数（如案件 {THEIRS}、{OTHER_OFFICER}）"}
    out = withhold(flag, {THEIRS, E_THEIRS, OTHER_OFFICER})
    assert THEIRS not in out["summary_zh"] and OTHER_OFFICER not in out["summary_zh"]
    assert out["summary_zh"] == f"{OFFICER}：罚款数额高于中位数（如案件 other_units、other_units）"
    assert out["other_units"] == {"source": "other_units", "count": 3}


def test_a_flag_stored_without_a_chinese_summary_is_withheld_as_before() -> None:
    out = withhold(rf17(), {THEIRS})
    assert "summary_zh" not in out and THEIRS not in out["summary"]


def test_keeps_the_flags_own_officer_even_of_another_unit() -> None:
    """RF02 on this unit's case is about an officer of another unit who acted in it: the
    flag names whom it is about (the case page shows that officer too)."""
    flag = rf17() | {"subject": {"case_id": MINE, "officer_id": OTHER_OFFICER,
                                 "unit_id": "SH-HP-CG-02", "party_ref": None},
                     "event_ids": [E_MINE], "cleared_by": None,
                     "numbers": {"officer_id": OTHER_OFFICER}, "summary": f"{OTHER_OFFICER} acted",
                     "discriminator": f"{E_MINE}|{OTHER_OFFICER}"}
    assert withhold(flag, {OTHER_OFFICER}) is flag


def test_a_withheld_discriminator_part_and_list_item_become_markers() -> None:
    flag = rf17() | {"discriminator": f"{E_THEIRS}|{E_MINE}",
                     "numbers": {"cases": [MINE, THEIRS], "first_case": THEIRS,
                                 "officers": [OFFICER, OTHER_OFFICER]}}
    out = withhold(flag, {THEIRS, E_THEIRS, OTHER_OFFICER})
    assert out["discriminator"] == f"other_units|{E_MINE}"
    assert out["numbers"] == {"cases": [MINE, HIDDEN], "first_case": HIDDEN,
                              "officers": [OFFICER, HIDDEN]}


def test_unscoped_principals_get_the_flags_unchanged() -> None:
    flags = [rf17()]
    everyone = Principal(name="jw-007", roles=frozenset({"inspector"}), units=frozenset())
    assert scoped_flags(None, None, everyone, flags) is flags      # type: ignore[arg-type]
    assert flags == [copy.deepcopy(rf17())]
