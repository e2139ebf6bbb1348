"""cuminc's vectorised ports of cmprsk's ``cinc`` and ``crst`` give, to the last bit, what
the line-by-line loops they replaced give (kept here as the reference), on random data
with ties, censoring, several causes and groups, rho 0, 0.5 and 1. (The values against R
are in test_cuminc.py.)"""

import importlib

import numpy as np
import pytest

cuminc_module = importlib.import_module("mdsrs_core.models.cuminc")


def loop_cinc(
    y: np.ndarray, ic: np.ndarray, icc: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The previous engine, a line-by-line port of cmprsk's ``cinc``: CIF corners and
    variances; ``y`` sorted, ``ic`` failed of any
    cause, ``icc`` failed of the cause of interest."""
    n = len(y)
    x, f, v = [0.0], [0.0], [0.0]
    fk = 1.0
    v1 = v2 = v3 = 0.0
    rs = float(n)
    ll = 0
    while ll < n:
        lu = ll
        while lu + 1 < n and y[lu + 1] == y[ll]:
            lu += 1
        nd1 = int(icc[ll : lu + 1].sum())
        nd2 = int((ic[ll : lu + 1] - icc[ll : lu + 1]).sum())
        nd = nd1 + nd2
        if nd > 0:
            fkn = fk * (rs - nd) / rs
            if nd1 > 0:
                f.append(f[-1])
                f.append(f[-1] + fk * nd1 / rs)
            if nd2 > 0 and fkn > 0:
                t5 = 1.0 if nd2 <= 1 else 1.0 - (nd2 - 1.0) / (rs - 1.0)
                t6 = fk * fk * t5 * nd2 / (rs * rs)
                t3 = 1.0 / fkn
                t4 = f[-1] / fkn
                v1 += t4 * t4 * t6
                v2 += t3 * t4 * t6
                v3 += t3 * t3 * t6
            if nd1 > 0:
                t5 = 1.0 if nd1 <= 1 else 1.0 - (nd1 - 1.0) / (rs - 1.0)
                t6 = fk * fk * t5 * nd1 / (rs * rs)
                t3 = 1.0 / fkn if fkn > 0 else 0.0
                t4 = 1.0 + t3 * f[-1]
                v1 += t4 * t4 * t6
                v2 += t3 * t4 * t6
                v3 += t3 * t3 * t6
                t2 = f[-1]
                x += [y[lu], y[lu]]
                v += [v[-1], v1 + t2 * t2 * v3 - 2 * t2 * v2]
            fk = fkn
        rs = float(n - (lu + 1))
        ll = lu + 1
    x.append(float(y[-1]))
    f.append(f[-1])
    v.append(v[-1])
    return np.array(x, dtype=float), np.array(f), np.array(v)


def loop_crst(
    y: np.ndarray, m: np.ndarray, ig: np.ndarray, ng: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """The previous engine, a line-by-line port of cmprsk's ``crst`` (one stratum):
    Gray's score vector (first ng-1 groups) and its
    covariance. ``y`` sorted; ``m`` 0 censored, 1 cause of interest, 2 other cause;
    ``ig`` group codes 0..ng-1."""
    n = len(y)
    ng1 = ng - 1
    rs = np.bincount(ig, minlength=ng).astype(float)
    s = np.zeros(ng1)
    v = np.zeros((ng1, ng1))
    f1m = np.zeros(ng)
    f1 = np.zeros(ng)
    skmm = np.ones(ng)
    skm = np.ones(ng)
    v3 = np.zeros(ng)
    v2 = np.zeros((ng1, ng))
    c = np.zeros((ng, ng))
    fm = f = 0.0
    ll = 0
    while True:
        lu = ll
        while lu + 1 < n and not y[lu + 1] > y[ll]:
            lu += 1
        d = np.zeros((3, ng))
        for i in range(ll, lu + 1):
            d[m[i], ig[i]] += 1
        nd1 = d[1].sum()
        nd2 = d[2].sum()
        if nd1 > 0 or nd2 > 0:
            tr = tq = 0.0
            for i in range(ng):
                if rs[i] <= 0:
                    continue
                td = d[1, i] + d[2, i]
                skm[i] = skmm[i] * (rs[i] - td) / rs[i]
                f1[i] = f1m[i] + (skmm[i] * d[1, i]) / rs[i]
                tr += rs[i] / skmm[i]
                tq += rs[i] * (1 - f1m[i]) / skmm[i]
            f = fm + nd1 / tr
            fb = (1 - fm) ** rho
            a = np.zeros((ng, ng))
            for i in range(ng):
                if rs[i] <= 0:
                    continue
                t1 = rs[i] / skmm[i]
                a[i, i] = fb * t1 * (1 - t1 / tr)
                c[i, i] += a[i, i] * nd1 / (tr * (1 - fm))
                for j in range(i + 1, ng):
                    if rs[j] <= 0:
                        continue
                    a[i, j] = -fb * t1 * rs[j] / (skmm[j] * tr)
                    c[i, j] += a[i, j] * nd1 / (tr * (1 - fm))
            for i in range(1, ng):
                for j in range(i):
                    a[i, j] = a[j, i]
                    c[i, j] = c[j, i]
            for i in range(ng1):
                if rs[i] <= 0:
                    continue
                s[i] += fb * (d[1, i] - nd1 * rs[i] * (1 - f1m[i]) / (skmm[i] * tq))
            if nd1 > 0:
                for k in range(ng):
                    if rs[k] <= 0:
                        continue
                    t4 = 1 - (1 - f) / skm[k] if skm[k] > 0 else 1.0
                    t5 = 1 - (nd1 - 1) / (tr * skmm[k] - 1) if nd1 > 1 else 1.0
                    t3 = t5 * skmm[k] * nd1 / (tr * rs[k])
                    v3[k] += t4 * t4 * t3
                    for i in range(ng1):
                        t1 = a[i, k] - t4 * c[i, k]
                        v2[i, k] += t1 * t4 * t3
                        for j in range(i + 1):
                            t2 = a[j, k] - t4 * c[j, k]
                            v[i, j] += t1 * t2 * t3
            if nd2 > 0:
                for k in range(ng):
                    if skm[k] <= 0 or d[2, k] <= 0:
                        continue
                    t4 = (1 - f) / skm[k]
                    t5 = 1 - (d[2, k] - 1.0) / (rs[k] - 1.0) if d[2, k] > 1 else 1.0
                    t3 = t5 * ((skmm[k] ** 2) * d[2, k]) / (rs[k] ** 2)
                    v3[k] += t4 * t4 * t3
                    for i in range(ng1):
                        t1 = t4 * c[i, k]
                        v2[i, k] -= t1 * t4 * t3
                        for j in range(i + 1):
                            t2 = t4 * c[j, k]
                            v[i, j] += t1 * t2 * t3
        if lu >= n - 1:
            break
        for i in range(ll, lu + 1):
            rs[ig[i]] -= 1
        fm = f
        f1m = f1.copy()
        skmm = skm.copy()
        ll = lu + 1
    for i in range(ng1):
        for j in range(i + 1):
            for k in range(ng):
                v[i, j] += c[i, k] * c[j, k] * v3[k] + c[i, k] * v2[j, k] + c[j, k] * v2[i, k]
    v = np.tril(v) + np.tril(v, -1).T
    return s, v


@pytest.mark.parametrize("seed", range(60))
def test_cinc_equals_the_loop(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    y = np.sort(rng.integers(0, int(rng.integers(1, 80)), n).astype(float))
    status = rng.integers(0, 3, n)
    ic, icc = (status > 0).astype(np.int64), (status == 1).astype(np.int64)
    for got, want in zip(cuminc_module._cinc(y, ic, icc), loop_cinc(y, ic, icc), strict=True):
        assert got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=True)


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("seed", range(40))
def test_crst_equals_the_loop(seed, rho):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    ng = int(rng.integers(2, 5))
    y = np.sort(rng.integers(0, int(rng.integers(1, 60)), n).astype(float))
    m = rng.integers(0, 3, n)
    ig = rng.integers(0, ng, n)
    got = cuminc_module._crst(y, m, ig, ng, rho)
    want = loop_crst(y, m, ig, ng, rho)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        assert np.array_equal(g, w, equal_nan=True)
