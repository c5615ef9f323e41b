"""A synthetic city (城管执法) for demos, tests and benchmarks: realistic enforcement history at
any scale, deterministic from a seed, with misconduct planted at configurable rates and a
ground truth of what was planted. See docs/demo.md.

Public API::

    CityParams(seed=…, brigades=…, squadrons_per_brigade=…, officers_per_squadron=…, days=…,
               cases_per_officer_day=…, misconduct=…, …);  CityParams.scale(name, seed=…)
    SCALES                                   # tiny, small, medium, large
    SyntheticCity(params, root_key=…, root_key_id=…)
        .envelopes() -> Iterator[dict]       # signed, in a valid append order
        .ground_truth -> list[dict]          # after envelopes() is exhausted
        .keys -> list[KeyInfo]               # every key registered, with its roles
    generate(params, root_key=…, root_key_id=…) -> (envelopes, ground_truth)
    KINDS, coverage()                        # the misconduct catalogue and RF coverage

Imports only the standard library, PyNaCl and ``ledger.*``.
"""

from .catalogue import KINDS, RF_IDS, Kind, coverage
from .generator import SyntheticCity, generate
from .params import SCALES, CityParams

__all__ = ["KINDS", "RF_IDS", "SCALES", "CityParams", "Kind", "SyntheticCity", "coverage",
           "generate"]
