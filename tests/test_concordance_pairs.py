"""The pair counts behind Harrell's C (``_pair_counts``) against a direct count of pairs.

The concordance and its jackknife standard error are compared with R in
test_models_survival.py; here the radix-partition counting is checked pair by pair on
random data with many ties, several groups and ineligible left members, on both paths
(the radix partition, and the n x n comparison used for small n).
"""

from __future__ import annotations

import numpy as np
import pytest

from mdsrs_core.models import _survival_engine
from mdsrs_core.models._survival_engine import _pair_counts


def _direct(group, rank, left_ok):
    n = len(rank)
    conc, disc, tied = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        if not left_ok[i]:
            continue
        for j in range(i + 1, n):
            if group[j] != group[i]:
                continue
            target = conc if rank[i] > rank[j] else disc if rank[i] < rank[j] else tied
            target[i] += 1
            target[j] += 1
    return conc, disc, tied


@pytest.mark.parametrize("direct_up_to", [0, 200])  # the radix partition, the n x n count
@pytest.mark.parametrize("seed", range(40))
def test_pair_counts_match_direct_count(seed, direct_up_to, monkeypatch):
    monkeypatch.setattr(_survival_engine, "_DIRECT_PAIRS", direct_up_to)
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 90))
    group = np.sort(rng.integers(0, int(rng.integers(1, 4)), n))
    rank = rng.integers(0, int(rng.integers(1, 40)), n)
    left_ok = rng.random(n) < 0.6
    got = _pair_counts(group, rank, left_ok)
    want = _direct(group, rank, left_ok)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
