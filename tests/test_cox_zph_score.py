"""cox.zph's score (R's C routine zph1, ``mdsrs_core.models.cox_zph._zph_score``): the
one-pass computation over all events equals, to rounding, the loop over the distinct event
times it replaced (kept here as the reference; it was quadratic in the number of times).
R parity itself is tested on the R references (tests/results/*.json)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import mdsrs_core.models.cox_zph  # noqa: F401

zph = sys.modules["mdsrs_core.models.cox_zph"]


def _loop_zph_score(
    gtime: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    eta: np.ndarray,
    strata: np.ndarray,
    efron: bool,
):
    """R's C routine ``zph1``: the score and information of the extended model at
    ``(beta_hat, 0)``, and the Schoenfeld residuals."""
    n, p = x.shape
    x = x - x.mean(axis=0)  # recentred, as zph1 does (changes nothing but rounding)
    risk = np.exp(eta - eta.max())  # a common factor cancels in every ratio
    order = np.lexsort((time, strata))
    u = np.zeros(2 * p)
    imat = np.zeros((2 * p, 2 * p))
    schoen_rows: list[np.ndarray] = []
    event_rows: list[np.ndarray] = []
    ustrata = np.unique(strata)
    used = np.zeros((len(ustrata), p))
    for si, s in enumerate(ustrata):
        rows = order[strata[order] == s]
        xs = x[rows]
        varies = (xs != xs[0]).any(axis=0)
        used[si] = np.where(varies, event[rows].sum(), 0.0)
        ts, es, rs = time[rows], event[rows], risk[rows]
        # risk-set sums from the end of the stratum backwards
        rx = xs * rs[:, None]
        rxx = xs[:, :, None] * rx[:, None, :]
        tail0 = np.cumsum(rs[::-1])[::-1]
        tail1 = np.cumsum(rx[::-1], axis=0)[::-1]
        tail2 = np.cumsum(rxx[::-1], axis=0)[::-1]
        for t in np.unique(ts[es == 1]):
            first = int(np.searchsorted(ts, t, "left"))
            dead = np.flatnonzero((ts == t) & (es == 1))
            d = len(dead)
            g = gtime[rows[dead[0]]]
            d0, d1, d2 = rs[dead].sum(), rx[dead].sum(axis=0), rxx[dead].sum(axis=0)
            xsum = xs[dead].sum(axis=0)
            u[:p] += xsum
            u[p:] += g * xsum
            fracs = np.arange(d) / d if efron else np.zeros(d)
            mean_sum = np.zeros(p)
            for f in fracs:
                den = tail0[first] - f * d0
                a = (tail1[first] - f * d1) / den
                v = (tail2[first] - f * d2) / den - np.outer(a, a)
                mean_sum += a
                u[:p] -= a
                u[p:] -= g * a
                imat[:p, :p] += v
                imat[:p, p:] += g * v
                imat[p:, p:] += g * g * v
            schoen_rows.append(xs[dead] - mean_sum / d)
            event_rows.append(rows[dead])
    imat[p:, :p] = imat[:p, p:].T
    schoen = np.vstack(schoen_rows) if schoen_rows else np.zeros((0, p))
    return u, imat, schoen, used, np.concatenate(event_rows)


@pytest.mark.parametrize("efron", [True, False])
def test_one_pass_score_equals_the_loop_over_event_times(efron):
    rng = np.random.default_rng(20261202)
    for trial in range(150):
        n = int(rng.integers(3, 90))
        p = int(rng.integers(1, 4))
        if trial % 2:
            time = rng.integers(0, 10, n).astype(float)  # many ties, time 0 included
        else:
            time = rng.exponential(5, n).round(1)
        event = (rng.random(n) < 0.6).astype(float)
        event[0] = 1.0  # at least one event (coxph needs one)
        x = rng.normal(size=(n, p))
        x[:, 0] = rng.integers(0, 2, n)
        eta = rng.normal(size=n) * 0.4
        strata = rng.integers(0, int(rng.integers(1, 4)), n)
        gtime = rng.normal(size=n)
        got = zph._zph_score(gtime, time, event, x, eta, strata, efron)
        want = _loop_zph_score(gtime, time, event, x, eta, strata, efron)
        assert np.array_equal(got.event_rows, want[4])
        assert np.array_equal(got.used, want[3])
        for mine, ref in ((got.u, want[0]), (got.imat, want[1]), (got.schoen, want[2])):
            assert mine.shape == ref.shape
            if ref.size:
                scale = max(np.abs(ref).max(), 1.0)
                assert np.abs(mine - ref).max() <= 1e-12 * scale


@pytest.mark.parametrize("efron", [True, False])
def test_one_stratum_without_a_stratum_array_gives_the_same_bits(efron):
    """``strata=None`` (how cox_zph calls it for a model without strata: no array of
    zeros per row) sorts by time alone; every number equals the one-stratum array's."""
    rng = np.random.default_rng(7)
    n, p = 400, 2
    time = rng.integers(0, 30, n).astype(float)  # ties
    event = (rng.random(n) < 0.6).astype(np.int64)  # integer 0/1, as the model frame has
    event[0] = 1
    x = rng.normal(size=(n, p))
    eta = rng.normal(size=n) * 0.3
    gtime = rng.normal(size=n)
    got = zph._zph_score(gtime, time, event, x, eta, None, efron)
    want = zph._zph_score(gtime, time, event.astype(float), x, eta, np.zeros(n, int), efron)
    for a, b in zip(
        (got.u, got.imat, got.schoen, got.used, got.event_rows),
        (want.u, want.imat, want.schoen, want.used, want.event_rows),
        strict=True,
    ):
        assert np.array_equal(a, b)
