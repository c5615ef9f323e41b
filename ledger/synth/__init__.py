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

Imports only the standard library, PyNaCl and ``ledger.*``. The generator and the catalogue
load on first use: the ``ledger`` command builds its ``demo`` verb from ``synth.cli`` (and so
imports this package) on an auditor's verifier-only install too, which has no orjson.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .params import SCALES, CityParams

if TYPE_CHECKING:
    from .catalogue import KINDS, RF_IDS, Kind, coverage
    from .generator import SyntheticCity, generate

_LAZY = {"KINDS": "catalogue", "RF_IDS": "catalogue", "Kind": "catalogue",
         "coverage": "catalogue", "SyntheticCity": "generator", "generate": "generator"}

__all__ = ["KINDS", "RF_IDS", "SCALES", "CityParams", "Kind", "SyntheticCity", "coverage",
           "generate"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
