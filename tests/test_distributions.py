"""mdsrs_core.stats.distributions returns scipy.stats' numbers (same special functions, same
rules at the support's ends and for invalid parameters) on grids with tails and edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as sps

from mdsrs_core.stats import distributions as d

X = np.array(
    [-np.inf, -40.0, -8.5, -1.96, -1.0, -1e-300, -0.0, 0.0, 1e-300, 1e-8, 0.3, 1.0]
    + [1.959963984540054, 2.5, 7.0, 37.5, 39.0, 100.0, 1e4, np.inf, np.nan]
)
Q = np.array([-0.1, 0.0, 1e-300, 1e-17, 1e-10, 0.025, 0.05, 0.3, 0.5, 0.7, 0.95, 0.975])
Q = np.r_[Q, 1 - 1e-10, 1 - 2**-53, 1.0, 1.1, np.nan]
DF = np.array([-1.0, 0.0, 0.3, 1.0, 1.5, 2.0, 3.7, 10.0, 61.0, 1e3, 1e7, np.inf, np.nan])


def same(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    np.testing.assert_array_equal(a, b)  # bit-identical: the same special functions


@pytest.mark.parametrize("fn", ["pdf", "cdf", "sf", "ppf", "isf"])
def test_norm(fn):
    arg = Q if fn in ("ppf", "isf") else X
    same(getattr(d.norm, fn)(arg), getattr(sps.norm, fn)(arg))
    for v in arg:  # scalars in, scalars out
        got, want = getattr(d.norm, fn)(v), getattr(sps.norm, fn)(v)
        assert np.ndim(got) == 0
        same(got, want)


@pytest.mark.parametrize("dist", ["chi2", "t"])
@pytest.mark.parametrize("fn", ["cdf", "sf", "ppf", "isf"])
def test_one_df(dist, fn):
    ours, theirs = getattr(getattr(d, dist), fn), getattr(getattr(sps, dist), fn)
    arg = Q if fn in ("ppf", "isf") else X
    a, df = np.meshgrid(arg, DF)
    same(ours(a, df), theirs(a, df))
    for v in arg:
        same(ours(v, 2.5), theirs(v, 2.5))


@pytest.mark.parametrize("fn", ["cdf", "sf", "ppf"])
def test_f(fn):
    arg = Q if fn == "ppf" else X
    a, dfn, dfd = np.meshgrid(arg, DF[::2], DF[1::2])
    same(getattr(d.f, fn)(a, dfn, dfd), getattr(sps.f, fn)(a, dfn, dfd))
    same(getattr(d.f, fn)(0.5, 1, 60), getattr(sps.f, fn)(0.5, 1, 60))


def test_hypergeom():
    k = np.arange(-2.0, 25.0)
    k = np.r_[k, 2.5, -np.inf, np.inf, np.nan]
    cases = [(20, 7, 12), (20, 0, 5), (20, 20, 5), (20, 7, 0), (20, 7, 20), (1, 1, 1)]
    cases += [(62, 31, 20), (500, 250, 300), (20, 7.5, 12), (20, 21, 3), (0, 0, 0), (-5, 1, 1)]
    for M, n, N in cases:
        for fn in ("pmf", "logpmf", "cdf", "sf"):
            same(getattr(d.hypergeom, fn)(k, M, n, N), getattr(sps.hypergeom, fn)(k, M, n, N))
            same(getattr(d.hypergeom, fn)(3, M, n, N), getattr(sps.hypergeom, fn)(3, M, n, N))
    support = np.arange(0, 13)
    same(d.hypergeom.logpmf(support, 20, 7, 12), sps.hypergeom.logpmf(support, 20, 7, 12))


def test_rankdata():
    rng = np.random.default_rng(1)
    special = np.array([3.0, 1.0, 3.0, 3.0, -np.inf, np.inf])
    for x in (rng.integers(0, 5, 40), rng.normal(size=30), special):
        np.testing.assert_array_equal(d.rankdata(x), sps.rankdata(x))
    np.testing.assert_array_equal(d.rankdata([1.0, np.nan, 2.0]), sps.rankdata([1.0, np.nan, 2.0]))
    np.testing.assert_array_equal(d.rankdata([]), sps.rankdata([]))
    np.testing.assert_array_equal(d.rankdata([[2, 1], [1, 3]]), sps.rankdata([[2, 1], [1, 3]]))
