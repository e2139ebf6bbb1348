"""The distribution functions mdsrs uses, on ``scipy.special`` alone.

``scipy.stats`` costs about a second to import (it pulls ``scipy.spatial``,
``scipy.optimize``, ``scipy.interpolate``...); ``scipy.special`` a sixth of that. Every
function here evaluates the same special function ``scipy.stats`` evaluates
(``scipy/stats/_continuous_distns.py`` and ``_discrete_distns.py``, scipy 1.11-1.17) and
applies the same rules outside the support, at the boundaries and for invalid parameters
as the generic ``rv_continuous`` / ``rv_discrete`` methods, so the results are the
numbers ``scipy.stats`` returns (tests/test_distributions.py compares them on grids with
tails, zeros, infinities, NaN and non-integer degrees of freedom).

=================  ==========================================  ========================
distribution        functions                                   special function
=================  ==========================================  ========================
``norm``            ``pdf cdf sf ppf isf``                      ``ndtr``, ``ndtri``
``chi2``            ``cdf sf ppf isf``                          ``chdtr(c)``, ``chdtri``,
                                                                ``gammaincinv``
``t``               ``cdf sf ppf isf``                          ``stdtr``, ``stdtrit``
``f``               ``cdf sf ppf``                              ``fdtr(c)``, ``fdtri``
``hypergeom``       ``pmf logpmf cdf sf``                       Boost's hypergeometric
                                                                (``_hypergeom_*``),
                                                                ``betaln``
=================  ==========================================  ========================

Conventions as ``scipy.stats`` (and R's ``pnorm``/``pchisq``/``pt``/``pf``/``phyper``):
``cdf``/``sf`` are 0 and 1 outside the support, ``ppf``/``isf`` give the support's ends
at probabilities 0 and 1 and NaN outside [0, 1]; an invalid parameter (a non-positive
degree of freedom, a non-integer or inconsistent hypergeometric parameter) or a NaN
argument gives NaN. Scalars in give NumPy scalars out, arrays broadcast.
``hypergeom(M, n, N)`` takes scipy's parameter order: ``M`` balls, ``n`` of them white,
``N`` drawn.

:func:`rankdata` ranks with ties averaged (R's ``rank(ties.method = "average")``,
``scipy.stats.rankdata``), NaN anywhere giving all NaN (scipy's ``nan_policy =
"propagate"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special as sc
from scipy.special import _ufuncs as _scu  # scipy.stats' own hypergeometric kernels (Boost)

__all__ = ["norm", "chi2", "t", "f", "hypergeom", "rankdata"]

_SQRT_2PI = np.sqrt(2 * np.pi)  # scipy's _norm_pdf_C


def _finish(out: np.ndarray) -> Any:
    return out[()] if out.ndim == 0 else out


def _positive(*args: Any) -> np.ndarray:
    """``rv_continuous._argcheck``: every shape parameter > 0 (NaN fails)."""
    cond: Any = True
    for a in args:
        cond = np.logical_and(cond, np.asarray(a) > 0)
    return np.asarray(cond)


def _cdf(core: Any, x: Any, args: tuple, a: float, b: float) -> Any:
    """``rv_continuous.cdf``: 0 below, 1 above the support, ``core`` inside."""
    x = np.asarray(x, dtype=np.promote_types(np.asarray(x).dtype, np.float64))
    ok = _positive(*args)
    with np.errstate(invalid="ignore"):
        inside = ok & (a < x) & (x < b)
        val = core(*args, x) if args else core(x)
        out = np.where(inside, val, np.where(ok & (x >= b), 1.0, 0.0))
    return _finish(np.where(~ok | np.isnan(x), np.nan, out))


def _sf(core: Any, x: Any, args: tuple, a: float, b: float) -> Any:
    """``rv_continuous.sf``: 1 below, 0 above the support, ``core`` inside."""
    x = np.asarray(x, dtype=np.promote_types(np.asarray(x).dtype, np.float64))
    ok = _positive(*args)
    with np.errstate(invalid="ignore"):
        inside = ok & (a < x) & (x < b)
        val = core(*args, x) if args else core(x)
        out = np.where(inside, val, np.where(ok & (x <= a), 1.0, 0.0))
    return _finish(np.where(~ok | np.isnan(x), np.nan, out))


def _ppf(core: Any, q: Any, args: tuple, lo: float, hi: float) -> Any:
    """``rv_continuous.ppf``/``isf``: ``lo`` at q = 0, ``hi`` at q = 1, NaN outside [0, 1]."""
    q = np.asarray(q, dtype=float)
    ok = _positive(*args)
    with np.errstate(invalid="ignore"):
        val = core(*args, q) if args else core(q)
        out = np.where(ok & (0 < q) & (q < 1), val, np.nan)
        out = np.where(ok & (q == 0), lo, np.where(ok & (q == 1), hi, out))
    return _finish(np.asarray(out, dtype=float))


class _Norm:
    """Standard normal (``scipy.stats.norm``; R's ``dnorm``/``pnorm``/``qnorm``)."""

    @staticmethod
    def pdf(x: Any) -> Any:
        x = np.asarray(x, dtype=float)
        return _finish(np.exp(-(x**2) / 2.0) / _SQRT_2PI)

    @staticmethod
    def cdf(x: Any) -> Any:
        return _finish(np.asarray(sc.ndtr(np.asarray(x, dtype=float))))

    @staticmethod
    def sf(x: Any) -> Any:
        return _finish(np.asarray(sc.ndtr(-np.asarray(x, dtype=float))))

    @staticmethod
    def ppf(q: Any) -> Any:
        return _ppf(sc.ndtri, q, (), -np.inf, np.inf)

    @staticmethod
    def isf(q: Any) -> Any:
        return _ppf(lambda p: -sc.ndtri(p), q, (), np.inf, -np.inf)


class _Chi2:
    """Chi-squared with ``df`` > 0 degrees of freedom (``scipy.stats.chi2``; R's ``pchisq``)."""

    @staticmethod
    def cdf(x: Any, df: Any) -> Any:
        return _cdf(sc.chdtr, x, (df,), 0.0, np.inf)

    @staticmethod
    def sf(x: Any, df: Any) -> Any:
        return _sf(sc.chdtrc, x, (df,), 0.0, np.inf)

    @staticmethod
    def ppf(q: Any, df: Any) -> Any:
        return _ppf(lambda d, p: 2 * sc.gammaincinv(d / 2, p), q, (df,), 0.0, np.inf)

    @staticmethod
    def isf(q: Any, df: Any) -> Any:
        return _ppf(sc.chdtri, q, (df,), np.inf, 0.0)


class _T:
    """Student's t with ``df`` > 0 degrees of freedom (``scipy.stats.t``; R's ``pt``/``qt``)."""

    @staticmethod
    def cdf(x: Any, df: Any) -> Any:
        return _cdf(sc.stdtr, x, (df,), -np.inf, np.inf)

    @staticmethod
    def sf(x: Any, df: Any) -> Any:
        return _sf(lambda d, v: sc.stdtr(d, -v), x, (df,), -np.inf, np.inf)

    @staticmethod
    def ppf(q: Any, df: Any) -> Any:
        return _ppf(sc.stdtrit, q, (df,), -np.inf, np.inf)

    @staticmethod
    def isf(q: Any, df: Any) -> Any:
        return _ppf(lambda d, p: -sc.stdtrit(d, p), q, (df,), np.inf, -np.inf)


class _F:
    """Fisher's F with ``dfn``, ``dfd`` > 0 (``scipy.stats.f``; R's ``pf``/``qf``)."""

    @staticmethod
    def cdf(x: Any, dfn: Any, dfd: Any) -> Any:
        return _cdf(sc.fdtr, x, (dfn, dfd), 0.0, np.inf)

    @staticmethod
    def sf(x: Any, dfn: Any, dfd: Any) -> Any:
        return _sf(sc.fdtrc, x, (dfn, dfd), 0.0, np.inf)

    @staticmethod
    def ppf(q: Any, dfn: Any, dfd: Any) -> Any:
        return _ppf(sc.fdtri, q, (dfn, dfd), 0.0, np.inf)


class _Hypergeom:
    """Hypergeometric ``(M, n, N)``: ``N`` draws from ``M`` balls of which ``n`` are white
    (``scipy.stats.hypergeom``; R's ``dhyper(x, n, M - n, N)``/``phyper``)."""

    @staticmethod
    def _setup(k: Any, M: Any, n: Any, N: Any) -> tuple:
        k, M, n, N = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (k, M, n, N)))
        ok = (M > 0) & (n >= 0) & (N >= 0) & (n <= M) & (N <= M)
        ok &= (M == np.round(M)) & (n == np.round(n)) & (N == np.round(N))
        lo, hi = np.maximum(N - (M - n), 0), np.minimum(n, N)
        return k, M, n, N, ok, lo, hi

    @staticmethod
    def _logpmf_core(k: Any, M: Any, n: Any, N: Any) -> Any:
        bad = M - n
        betaln = sc.betaln
        return (
            betaln(n + 1, 1)
            + betaln(bad + 1, 1)
            + betaln(M - N + 1, N + 1)
            - betaln(k + 1, n - k + 1)
            - betaln(N - k + 1, bad - N + k + 1)
            - betaln(M + 1, 1)
        )

    @classmethod
    def logpmf(cls, k: Any, M: Any, n: Any, N: Any) -> Any:
        k, M, n, N, ok, lo, hi = cls._setup(k, M, n, N)
        with np.errstate(invalid="ignore", divide="ignore"):
            inside = ok & (k >= lo) & (k <= hi) & (np.floor(k) == k)
            out = np.where(inside, cls._logpmf_core(k, M, n, N), -np.inf)
        return _finish(np.where(~ok | np.isnan(k), np.nan, out))

    @classmethod
    def pmf(cls, k: Any, M: Any, n: Any, N: Any) -> Any:
        k, M, n, N, ok, lo, hi = cls._setup(k, M, n, N)
        with np.errstate(invalid="ignore"):
            inside = ok & (k >= lo) & (k <= hi) & (np.floor(k) == k)
            val = np.clip(_scu._hypergeom_pmf(k, n, N, M), 0, 1)
            out = np.where(inside, val, 0.0)
        return _finish(np.where(~ok | np.isnan(k), np.nan, out))

    @classmethod
    def cdf(cls, k: Any, M: Any, n: Any, N: Any) -> Any:
        k, M, n, N, ok, lo, hi = cls._setup(k, M, n, N)
        with np.errstate(invalid="ignore"):
            inside = ok & (k >= lo) & (k < hi) & np.isfinite(k)
            val = np.clip(_scu._hypergeom_cdf(k, n, N, M), 0, 1)
            out = np.where(inside, val, np.where(k >= hi, 1.0, 0.0))
        return _finish(np.where(~ok | np.isnan(k), np.nan, out))

    @classmethod
    def sf(cls, k: Any, M: Any, n: Any, N: Any) -> Any:
        k, M, n, N, ok, lo, hi = cls._setup(k, M, n, N)
        with np.errstate(invalid="ignore"):
            inside = ok & (k >= lo) & (k < hi) & np.isfinite(k)
            val = np.clip(_scu._hypergeom_sf(k, n, N, M), 0, 1)
            out = np.where(inside, val, np.where(ok & (k < lo), 1.0, 0.0))
        return _finish(np.where(~ok | np.isnan(k), np.nan, out))


norm = _Norm()
chi2 = _Chi2()
t = _T()
f = _F()
hypergeom = _Hypergeom()


def rankdata(a: Any) -> np.ndarray:
    """Ranks 1..n of the flattened ``a``, ties given their average rank (R's ``rank``,
    ``scipy.stats.rankdata(method="average")``); all NaN when ``a`` holds a NaN."""
    x = np.ravel(np.asarray(a))
    if x.size == 0:
        return np.empty(0, dtype=float)
    if x.dtype.kind == "f" and np.isnan(x).any():
        return np.full(x.shape, np.nan)
    sorter = np.argsort(x, kind="mergesort")
    inv = np.empty(sorter.size, dtype=np.intp)
    inv[sorter] = np.arange(sorter.size, dtype=np.intp)
    xs = x[sorter]
    obs = np.r_[True, xs[1:] != xs[:-1]]
    dense = obs.cumsum()[inv]
    count = np.r_[np.nonzero(obs)[0], len(obs)]
    return 0.5 * (count[dense] + count[dense - 1] + 1)
