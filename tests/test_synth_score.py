"""Scoring flags against planted ground truth (ledger/synth/score.py): what counts as a flag
explaining a planted item, and the per-family precision and recall built on it."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.synth.score import explains, item_recall, score


@dataclass
class F:
    flag_id: str
    rule_id: str
    scope: str
    case_id: str | None = None
    officer_id: str | None = None
    unit_id: str | None = None
    party_ref: str | None = None
    event_ids: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return self.rule_id.split(".")[0]


CASE_ITEM = {"id": "GT-1", "rf": ["RF05"], "scope": "case",
             "subject": {"case": "C1", "officer": "O1"}, "event_ids": ["e1", "e2"]}
ACTOR_ITEM = {"id": "GT-2", "rf": ["RF02"], "scope": "actor", "subject": {"officer": "O2"},
              "event_ids": ["e9"]}


def test_a_flag_explains_an_item_of_its_family_about_the_same_case_or_citing_its_events() -> None:
    assert explains(CASE_ITEM, F("a", "RF05.b", "case:C1", case_id="C1"))
    assert explains(CASE_ITEM, F("b", "RF05.b", "case:C7", case_id="C7", event_ids=("e2",)))
    assert not explains(CASE_ITEM, F("c", "RF06.a", "case:C1", case_id="C1"))   # other family


def test_naming_the_planted_officer_on_another_case_does_not_explain_the_item() -> None:
    assert not explains(CASE_ITEM, F("d", "RF05.b", "case:C2", case_id="C2", officer_id="O1"))
    assert explains(ACTOR_ITEM, F("e", "RF02.a", "officer:O2", officer_id="O2"))
    assert not explains(ACTOR_ITEM, F("f", "RF02.a", "case:C3", case_id="C3", officer_id="O2"))


def test_precision_and_recall_per_family() -> None:
    flags = [F("a", "RF05.b", "case:C1", case_id="C1"),
             F("x", "RF05.c", "case:C9", case_id="C9"),           # explains nothing
             F("e", "RF02.a", "officer:O3", officer_id="O3")]     # wrong officer
    scores = score([CASE_ITEM, ACTOR_ITEM], flags)
    assert (scores["RF05"].planted, scores["RF05"].found) == (1, 1)
    assert (scores["RF05"].raised, scores["RF05"].explained) == (2, 1)
    assert scores["RF05"].precision == 0.5 and scores["RF05"].unexplained == ["x"]
    assert (scores["RF02"].found, scores["RF02"].recall, scores["RF02"].precision) == (0, 0.0, 0.0)
    assert item_recall([CASE_ITEM, ACTOR_ITEM], flags) == (1, 2)
    assert item_recall([CASE_ITEM, ACTOR_ITEM], flags, families={"RF02"}) == (0, 1)
