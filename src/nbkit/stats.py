"""Intervals and tests for shares: the one place where nbkit turns "k of n papers" into a share with a 95% interval.

    proportion_interval(3, 10)              # (low, high): Clopper-Pearson here (n < 30)
    share_columns(k, n)                     # DataFrame: share, share_low, share_high (3 decimals)
    difference_interval(9, 20, 3, 40)       # Newcombe's interval for p1 - p2

The interval rule (EXACT_BELOW, EXACT_TAIL): Clopper-Pearson, the exact interval from the beta distribution, when
n < 30 or fewer than 5 papers are on either side (k < 5 or n - k < 5); Wilson's score interval otherwise. Wilson
is the better-centred interval for moderate counts, but its coverage dips below 95% next to 0 and n (Brown, Cai
and DasGupta 2001, "Interval estimation for a binomial proportion"); the exact interval never falls below 95%, at
the price of being wider, which is the honest side to err on for a period of three papers. n = 0 has no share
(NaN) and the interval [0, 1]: nothing is known.

Trends and comparisons both import this module; it imports neither.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nbkit.errors import NbkitError

CONFIDENCE = 0.95
EXACT_BELOW = 30  # n below this: Clopper-Pearson
EXACT_TAIL = 5  # fewer than this many papers with (or without) the feature: Clopper-Pearson
THIN_BELOW = 10  # default: a period (or collection) with fewer dated papers is marked thin


def _counts(k: object, n: object) -> tuple[np.ndarray, np.ndarray]:
    k_arr = np.asarray(k, dtype="float64")
    n_arr = np.asarray(n, dtype="float64")
    k_arr, n_arr = np.broadcast_arrays(k_arr, n_arr)
    if (k_arr < 0).any() or (k_arr > n_arr).any() or (k_arr != np.round(k_arr)).any() or \
            (n_arr != np.round(n_arr)).any():
        raise NbkitError("a share needs whole counts with 0 <= k <= n")
    return k_arr, n_arr


def _z(confidence: float) -> float:
    from scipy.stats import norm

    if not 0 < confidence < 1:
        raise NbkitError(f"confidence is between 0 and 1, not {confidence}")
    return float(norm.ppf(0.5 + confidence / 2))


def wilson_interval(k: object, n: object, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval for k of n (arrays broadcast); [0, 1] where n = 0."""
    k_arr, n_arr = _counts(k, n)
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (k_arr + z * z / 2) / (n_arr + z * z)
        half = z / (n_arr + z * z) * np.sqrt(k_arr * (n_arr - k_arr) / n_arr + z * z / 4)
    # exactly 0 for none of n and 1 for all of n (the formula gives them up to float noise)
    low = np.where((n_arr > 0) & (k_arr > 0), np.clip(centre - half, 0, 1), 0.0)
    high = np.where((n_arr > 0) & (k_arr < n_arr), np.clip(centre + half, 0, 1), 1.0)
    return low, high


def clopper_pearson_interval(k: object, n: object,
                             confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """The exact (Clopper-Pearson) interval for k of n from beta quantiles; 0 and 1 at the ends, [0, 1] at n = 0."""
    from scipy.stats import beta

    k_arr, n_arr = _counts(k, n)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        low = np.where(k_arr > 0, beta.ppf(alpha / 2, k_arr, n_arr - k_arr + 1), 0.0)
        high = np.where(k_arr < n_arr, beta.ppf(1 - alpha / 2, k_arr + 1, n_arr - k_arr), 1.0)
    return np.nan_to_num(low, nan=0.0), np.nan_to_num(high, nan=1.0)


def uses_exact(k: object, n: object) -> np.ndarray:
    """Where the rule picks Clopper-Pearson: n < EXACT_BELOW, or k or n - k below EXACT_TAIL."""
    k_arr, n_arr = _counts(k, n)
    return (n_arr < EXACT_BELOW) | (k_arr < EXACT_TAIL) | (n_arr - k_arr < EXACT_TAIL)


def proportion_interval(k: object, n: object, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """The 95% (by default) interval for a share of k in n, by the module's rule: Clopper-Pearson for small
    counts, Wilson otherwise. Arrays broadcast; returns (low, high) as float arrays (0-d for scalars)."""
    exact = uses_exact(k, n)
    wilson = wilson_interval(k, n, confidence)
    clopper = clopper_pearson_interval(k, n, confidence)
    return np.where(exact, clopper[0], wilson[0]), np.where(exact, clopper[1], wilson[1])


def share_columns(k: object, n: object, confidence: float = CONFIDENCE, decimals: int = 3) -> pd.DataFrame:
    """share = k / n (NaN where n = 0) with share_low and share_high from proportion_interval, rounded."""
    k_arr, n_arr = _counts(k, n)
    low, high = proportion_interval(k_arr, n_arr, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n_arr > 0, k_arr / n_arr, np.nan)
    return pd.DataFrame({"share": np.round(np.atleast_1d(share), decimals),
                         "share_low": np.round(np.atleast_1d(low), decimals),
                         "share_high": np.round(np.atleast_1d(high), decimals)})


def difference_interval(k1: object, n1: object, k2: object, n2: object,
                        confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for p1 - p2 (his method 10, 1998), built from the two Wilson intervals:
    good coverage for small counts, unlike the Wald interval. Where either n is 0 the interval is [-1, 1]."""
    k1, n1 = _counts(k1, n1)
    k2, n2 = _counts(k2, n2)
    l1, u1 = wilson_interval(k1, n1, confidence)
    l2, u2 = wilson_interval(k2, n2, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(n1 > 0, k1 / n1, 0.0)
        p2 = np.where(n2 > 0, k2 / n2, 0.0)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    known = (n1 > 0) & (n2 > 0)
    return np.where(known, np.clip(low, -1, 1), -1.0), np.where(known, np.clip(high, -1, 1), 1.0)


def adjust_p_values(p_values: object) -> np.ndarray:
    """Benjamini-Hochberg adjusted p values; NaN entries (not tested) stay NaN and do not count as tests."""
    from scipy.stats import false_discovery_control

    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        out[tested] = false_discovery_control(p[tested])
    return out


def share_matrix(table: pd.DataFrame, rows: str, columns: str, values: str = "share") -> pd.DataFrame:
    """A long share table (rows x columns as two of its columns) as a wide one of `values`, both orders as they
    first appear in the long table (a heatmap or a compact notebook view)."""
    wide = table.pivot(index=rows, columns=columns, values=values)
    return wide.reindex(index=list(dict.fromkeys(table[rows])), columns=list(dict.fromkeys(table[columns])))
