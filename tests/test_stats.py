"""Share intervals against values worked out by hand or printed in the papers that define them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from nbkit.errors import NbkitError
from nbkit.stats import (
    adjust_p_values,
    clopper_pearson_interval,
    difference_interval,
    proportion_interval,
    share_columns,
    share_matrix,
    uses_exact,
    wilson_interval,
)

# z = 1.959964 for 95%; z^2 = 3.841459


def test_wilson_by_hand():
    # 45 of 100: centre (45 + z^2/2) / (100 + z^2) = 46.920729 / 103.841459 = 0.451850;
    # half z / (100 + z^2) * sqrt(45 * 55 / 100 + z^2 / 4) = 0.018875 * sqrt(25.710365) = 0.095706
    low, high = wilson_interval(45, 100)
    assert float(low) == pytest.approx(0.356145, abs=1e-5) and float(high) == pytest.approx(0.547554, abs=1e-5)
    # 0 of 20: the lower end is 0 and the upper z^2 / (20 + z^2) = 3.841459 / 23.841459 = 0.161125
    low, high = wilson_interval(0, 20)
    assert float(low) == 0 and float(high) == pytest.approx(0.161125, abs=1e-6)


def test_clopper_pearson_at_the_ends_by_hand():
    # 0 of n: upper = 1 - (alpha/2)^(1/n); n of n: lower = (alpha/2)^(1/n); 0.025^(1/10) = exp(ln 0.025 / 10)
    # = exp(-0.368888) = 0.691503
    low, high = clopper_pearson_interval([0, 10, 1, 0], [10, 10, 1, 1])
    assert low.tolist() == pytest.approx([0.0, 0.691503, 0.025, 0.0], abs=1e-6)
    assert high.tolist() == pytest.approx([0.308497, 1.0, 1.0, 0.975], abs=1e-6)
    # 3 of 10: the textbook exact interval 0.0667 - 0.6525
    low, high = clopper_pearson_interval(3, 10)
    assert (round(float(low), 4), round(float(high), 4)) == (0.0667, 0.6525)


def test_the_rule_picks_the_exact_interval_for_small_counts():
    # n < 30, or fewer than 5 papers on either side: Clopper-Pearson; 5 of 40 and 35 of 40 are Wilson's
    assert uses_exact([5, 4, 35, 36, 5, 0], [40, 40, 40, 40, 29, 0]).tolist() == [False, True, False, True, True,
                                                                                   True]
    low, high = proportion_interval([45, 3], [100, 10])
    assert low.tolist() == pytest.approx([0.356145, 0.066740], abs=1e-5)  # Wilson, then Clopper-Pearson
    assert high.tolist() == pytest.approx([0.547554, 0.652453], abs=1e-5)


def test_share_columns_include_none_of_n_all_of_n_and_n_zero():
    table = share_columns([0, 10, 1, 0, 45], [10, 10, 1, 0, 100])
    assert table["share"].tolist()[:3] == [0.0, 1.0, 1.0] and math.isnan(table["share"].iloc[3])
    assert table["share_low"].tolist() == [0.0, 0.692, 0.025, 0.0, 0.356]
    assert table["share_high"].tolist() == [0.308, 1.0, 1.0, 1.0, 0.548]  # n = 0: nothing known, [0, 1]


def test_bad_counts_are_a_clear_error():
    with pytest.raises(NbkitError, match="0 <= k <= n"):
        share_columns([3], [2])
    with pytest.raises(NbkitError, match="0 <= k <= n"):
        proportion_interval(1.5, 4)


def test_newcombe_difference_against_his_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 - 48/80 = 0.2, method 10: 0.0524 to 0.3339
    low, high = difference_interval(56, 70, 48, 80)
    assert (round(float(low), 4), round(float(high), 4)) == (0.0524, 0.3339)
    low, high = difference_interval(1, 0 + 1, 0, 0)
    assert (float(low), float(high)) == (-1.0, 1.0)  # an empty window: nothing known


def test_adjusted_p_values_skip_untested_entries():
    # Benjamini-Hochberg on 0.01, 0.04, 0.03 (3 tests): sorted 0.01*3/1 = 0.03, 0.03*3/2 = 0.045, 0.04*3/3 = 0.04
    # -> monotone from the top: 0.03, 0.04, 0.04
    out = adjust_p_values([0.01, np.nan, 0.04, 0.03])
    assert out[[0, 2, 3]].tolist() == pytest.approx([0.03, 0.04, 0.04]) and np.isnan(out[1])


def test_share_matrix_keeps_the_long_tables_order():
    long = pd.DataFrame({"collection": ["b", "b", "a", "a"], "keyword": ["y", "x", "y", "x"],
                         "share": [0.1, 0.2, 0.3, 0.4]})
    wide = share_matrix(long, "collection", "keyword")
    assert wide.index.tolist() == ["b", "a"] and wide.columns.tolist() == ["y", "x"]
    assert wide.to_numpy().tolist() == [[0.1, 0.2], [0.3, 0.4]]
