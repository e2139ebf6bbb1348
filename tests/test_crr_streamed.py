"""crr's risk sets streamed by cumulative sums (linear memory) give what the dense
(failure times x subjects) computation gives: the previous engine, kept here as the
reference, on data with ties, censoring and competing events, several covariates."""

import importlib

import numpy as np
import pytest

from mdsrs_core.models.crr import censoring_weights, crr_fit

crr_module = importlib.import_module("mdsrs_core.models.crr")


class DenseEngine:
    """The sorted data and crr's likelihood, score, information and sandwich variance."""

    def __init__(self, time: np.ndarray, ici: np.ndarray, x: np.ndarray) -> None:
        self.t = time
        self.ici = ici  # 1 failure of interest, 2 competing, 0 censored
        self.x = x
        self.g = censoring_weights(time, ici == 0)
        fail = ici == 1
        self.uft, self.dk = np.unique(time[fail], return_counts=True)
        # sum of covariates of the failures at each distinct failure time
        k_of = np.searchsorted(self.uft, time[fail])
        self.sumx = np.zeros((len(self.uft), x.shape[1]))
        np.add.at(self.sumx, k_of, x[fail])
        first = np.searchsorted(time, self.uft, side="left")
        self.gk = self.g[first]  # G(t-) at each distinct failure time
        self.atrisk = time[None, :] >= self.uft[:, None]
        comp = (time[None, :] < self.uft[:, None]) & (ici == 2)[None, :]
        # IPCW weight of every subject in the risk set of every failure time
        self.ipcw = self.atrisk + comp * (self.gk[:, None] / self.g[None, :])

    def sums(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        eta = self.x @ b
        w = self.ipcw * np.exp(eta)[None, :]
        s0 = w.sum(axis=1)
        s1 = w @ self.x
        return eta, s0, s1

    def neg_loglik(self, b: np.ndarray) -> float:
        eta, s0, _ = self.sums(b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(-(self.sumx @ b).sum() + (self.dk * np.log(s0)).sum())

    def lik_score_info(self, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = self.x @ b
        w = self.ipcw * np.exp(eta)[None, :]
        s0 = w.sum(axis=1)
        s1 = w @ self.x
        s2 = np.einsum("kj,ja,jb->kab", w, self.x, self.x)
        xbar = s1 / s0[:, None]
        lik = float(-(self.sumx @ b).sum() + (self.dk * np.log(s0)).sum())
        score = -self.sumx.sum(axis=0) + (self.dk[:, None] * xbar).sum(axis=0)
        info = (
            self.dk[:, None, None] * (s2 / s0[:, None, None] - np.einsum("ka,kb->kab", xbar, xbar))
        ).sum(axis=0)
        return lik, score, info

    def sandwich_middle(self, b: np.ndarray) -> np.ndarray:
        """crrvv's ``v2``: sum over subjects of (eta_i + psi_i)(eta_i + psi_i)'."""
        t, ici, x, g = self.t, self.ici, self.x, self.g
        n, p = x.shape
        eta, s0, s1 = self.sums(b)
        e = np.exp(eta)
        xbar = s1 / s0[:, None]
        dk, gk = self.dk, self.gk
        # eta_i: d N_i part minus the d Lambda hat part
        before = self.uft[None, :] <= t[:, None]  # failure times <= t_i
        after = ~before
        a0 = before @ (dk / s0)
        a1 = before @ (dk[:, None] * xbar / s0[:, None])
        comp = (ici == 2).astype(float)
        b0 = after @ (dk * gk / s0)
        b1 = after @ (dk[:, None] * gk[:, None] * xbar / s0[:, None])
        st1 = -(e[:, None] * (x * a0[:, None] - a1))
        st1 -= (comp * e / g)[:, None] * (x * b0[:, None] - b1)
        k_of = np.searchsorted(self.uft, t)
        fail = ici == 1
        st1[fail] += x[fail] - xbar[k_of[fail]]
        # psi_i: the censoring-distribution part, block by block of tied times
        ss2 = np.zeros(p)
        st2 = np.zeros((n, p))
        cw = comp * e / g  # e_j / G(t_j-) of competing failures
        cum0 = np.concatenate([[0.0], np.cumsum(cw)])
        cum1 = np.vstack([np.zeros(p), np.cumsum(cw[:, None] * x, axis=0)])
        coef_k = dk * gk / s0
        lo = 0
        qu = np.zeros(p)
        while lo < n:
            hi = lo
            while hi + 1 < n and t[hi + 1] == t[lo]:
                hi += 1
            icrsk = n - lo
            ncens = int((ici[lo : hi + 1] == 0).sum())
            if ncens > 0:
                a0c, a1c = cum0[lo], cum1[lo]  # competing failures with time < t_lo
                later = self.uft >= t[lo]
                qu = (coef_k[later, None] * (a1c[None, :] - xbar[later] * a0c)).sum(axis=0)
                ss2 = ss2 - ncens * qu / icrsk**2
            for i in range(lo, hi + 1):
                st2[i] = ss2 + (qu / icrsk if ici[i] == 0 else 0.0)
            lo = hi + 1
        st = st1 + st2
        return st.T @ st


def _data(n, seed, ties):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n), rng.normal(size=n)])
    t = rng.exponential(10, n) * np.exp(-0.3 * x[:, 0])
    if ties:
        t = np.round(t) + 1.0
    st = rng.choice([0, 1, 2], size=n, p=[0.3, 0.4, 0.3])
    return t, st, x


@pytest.mark.parametrize("ties", [False, True])
def test_streamed_engine_equals_dense(ties):
    t, st, x = _data(400, 3, ties)
    order = np.argsort(t, kind="stable")
    t, st, x = t[order], st[order], x[order]
    ici = np.where(st == 1, 1, np.where(st == 0, 0, 2))
    fast, dense = crr_module._Engine(t, ici, x), DenseEngine(t, ici, x)
    for b in (np.zeros(3), np.array([0.4, -0.2, 0.1])):
        for a, d in zip(fast.lik_score_info(b), dense.lik_score_info(b), strict=True):
            np.testing.assert_allclose(a, d, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(fast.neg_loglik(b), dense.neg_loglik(b), rtol=1e-12)
        np.testing.assert_allclose(
            fast.sandwich_middle(b), dense.sandwich_middle(b), rtol=1e-9, atol=1e-12
        )


def test_large_continuous_times_fit_in_linear_memory():
    # 200,000 subjects with continuous times: the dense engine would need ~100 GB here
    t, st, x = _data(200_000, 5, False)
    fit = crr_fit(t, st, x[:, :1])
    assert fit.converged
    assert abs(fit.coef[0]) < 1  # a finite, sensible log-SHR
    assert np.all(np.isfinite(fit.var))
