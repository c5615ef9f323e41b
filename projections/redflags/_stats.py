"""Small, exact-enough statistics for the cohort rules (standard library only).

Floats are used inside the computation and never leave it: results that go into a flag are
rendered as fixed-decimal text (:func:`~.flag.fixed`) and thresholds are integers in milli or
basis-point units. Tail probabilities are summed in log space so that tiny p-values do not
underflow to a misleading 0.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import Sequence


def median(values: Sequence[float]) -> float:
    s = sorted(values)
    n = len(s)
    if n == 0:
        raise ValueError("median of nothing")
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


def median_without(ordered: Sequence[float], value: float) -> float:
    """The median of ``ordered`` (sorted) with one occurrence of ``value`` left out, without
    sorting again: what is left stays sorted, its k-th member ``ordered[k]`` before the place
    left out and ``ordered[k + 1]`` from it. Raises ValueError when ``value`` is not among
    them or nothing would be left."""
    i = bisect_left(ordered, value)
    if i == len(ordered) or ordered[i] != value:
        raise ValueError(f"{value!r} is not among the values")
    n = len(ordered) - 1
    if n == 0:
        raise ValueError("median of nothing")
    mid = n // 2
    upper = ordered[mid] if mid < i else ordered[mid + 1]
    if n % 2:
        return upper
    return ((ordered[mid - 1] if mid - 1 < i else ordered[mid]) + upper) / 2


def normal_sf(z: float) -> float:
    """P(Z ≥ z) for a standard normal."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def student_t_sf(t: float, df: int) -> float:
    """P(T ≥ t) for Student's t with ``df`` ≥ 1 degrees of freedom:
    ½ · I_x(df/2, ½) with x = df / (df + t²) for t ≥ 0 (the regularised incomplete beta)."""
    if df < 1:
        raise ValueError("t needs df >= 1")
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    half = 0.5 * _beta_inc(df / 2, 0.5, df / (df + t * t))
    return half if t >= 0 else 1.0 - half


def _beta_inc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta I_x(a, b), by its continued fraction (modified Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):            # the fraction converges fast on this side only
        return 1.0 - _beta_inc(b, a, 1.0 - x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 500):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return front * f / a


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    lp, lq = math.log(p), math.log1p(-p)
    lg_n = math.lgamma(n + 1)
    total = 0.0
    for i in range(k, n + 1):
        term = math.exp(lg_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp
                        + (n - i) * lq)
        total += term
        if term < total * 1e-17 and i > n * p:
            break
    return min(1.0, total)


def poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    if lam <= 0.0:
        return 0.0
    if k <= lam:      # the body of the distribution: 1 - lower tail is accurate enough
        lower, term = 0.0, math.exp(-lam)
        for i in range(k):
            lower += term
            term *= lam / (i + 1)
        return max(0.0, 1.0 - lower)
    term = math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1))
    total, i = 0.0, k
    while term > total * 1e-17 or i < k + 5:
        total += term
        i += 1
        term *= lam / i
        if i > k + 10_000:
            break
    return min(1.0, total)


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """z of p1 - p2 with the pooled standard error (0 when undefined)."""
    if n1 == 0 or n2 == 0:
        return 0.0
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return 0.0 if se == 0 else (x1 / n1 - x2 / n2) / se


def benjamini_hochberg(pvalues: dict[str, float], q: float) -> tuple[set[str], float]:
    """Keys rejected at false-discovery rate ``q`` and the p-value cut-off used.

    Ties are broken by key so the result is deterministic."""
    m = len(pvalues)
    if m == 0:
        return set(), 0.0
    ordered = sorted(pvalues.items(), key=lambda kv: (kv[1], kv[0]))
    cut_rank = 0
    for rank, (_, p) in enumerate(ordered, start=1):
        if p <= rank / m * q:
            cut_rank = rank
    cut = ordered[cut_rank - 1][1] if cut_rank else 0.0
    return {k for k, _ in ordered[:cut_rank]}, cut


def bh_q_values(pvalues: dict[str, float]) -> dict[str, float]:
    """Benjamini–Hochberg adjusted p-values (q-values): for the i-th smallest of m p-values,
    min over j ≥ i of p(j) · m / j, capped at 1. A key is rejected at ``q`` exactly when its
    q-value is ≤ ``q`` (:func:`benjamini_hochberg`)."""
    ordered = sorted(pvalues.items(), key=lambda kv: (kv[1], kv[0]))
    m = len(ordered)
    out: dict[str, float] = {}
    running = 1.0
    for rank in range(m, 0, -1):
        key, p = ordered[rank - 1]
        running = min(running, p * m / rank)
        out[key] = running
    return out


def distance_m(lat1_e6: int, lon1_e6: int, lat2_e6: int, lon2_e6: int) -> int:
    """Great-circle distance in whole metres between two points in micro-degrees."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1_e6 / 1e6), math.radians(lat2_e6 / 1e6)
    dp = p2 - p1
    dl = math.radians((lon2_e6 - lon1_e6) / 1e6)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return int(round(2 * r * math.asin(min(1.0, math.sqrt(a)))))


def sig(value: float, digits: int = 3) -> str:
    """A probability as text with ``digits`` significant digits (``1.23e-05``)."""
    if value == 0:
        return "0"
    return f"{value:.{digits - 1}e}"


def count_unit(units: dict[str, tuple[int, tuple[int, str]]], unit: str, ts: int, eid: str
               ) -> None:
    """Count an act (at ``ts``, event ``eid``) of an officer's window in ``unit``."""
    n, latest = units.get(unit, (0, (0, "")))
    units[unit] = (n + 1, max(latest, (ts, eid)))


def home_unit(units: dict[str, tuple[int, tuple[int, str]]]) -> str | None:
    """The unit a statistical flag names (``unit_id``, what a unit-scoped inspector reads):
    the unit most of the acts it counts were in — on a tie, the one of the latest of them —
    so that it is fixed by its window's cases, not by where the officer went next
    (docs/red-flags.md, Statistics; RF17, RF19.b, RF20.c). None for acts of cases with no
    unit."""
    unit = max(units, key=lambda u: units[u], default="-")
    return None if unit == "-" else unit

