"""Red flags: explainable anti-corruption signals computed from the signed history.

Pure core (standard library and ``ledger.*`` pure modules only, so an auditor runs it offline):

    national() -> FlagParams                                  # national defaults
    with_overrides(base, name, overrides) -> FlagParams       # a city's parameters
    FlagEngine(params).apply(rec) -> set[Subject]
    FlagEngine.evaluate(subjects, at) / evaluate_all(at) -> list[Flag]
    FlagEngine.next_due(after) -> datetime | None; due_subjects(until) -> set[Subject]
    compute_flags(history, params, at=...) -> list[Flag]
    RULES: dict[rule_id, Rule]                                # the catalogue

See docs/red-flags.md for every rule: what fires it, its guards, legal basis and numbers.
"""

from .catalogue import FAMILIES, RULES
from .engine import FlagEngine, compute_flags
from .flag import DISPOSITIONS, SEVERITIES, STATUSES, Flag, Rule, Subject, flag_id
from .params import FlagParams, ParamsError, ParamsTimeline, Thresholds, national, with_overrides

__all__ = ["DISPOSITIONS", "FAMILIES", "Flag", "FlagEngine", "FlagParams", "ParamsError",
           "ParamsTimeline", "RULES", "Rule", "SEVERITIES", "STATUSES", "Subject", "Thresholds",
           "compute_flags", "flag_id", "national", "with_overrides"]
