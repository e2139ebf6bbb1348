"""The batch tests of mdsrs_core.design give, trial by trial, the p-values of the scalar
routines the endpoints use (themselves checked against R: survdiff, cmprsk::cuminc,
chisq.test/fisher.test with gtsummary's rule, wilcox.test)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from mdsrs_core.design.batch_tests import binary_p, gray_p, logrank_p, wilcoxon_p
from mdsrs_core.models._survival_engine import logrank
from mdsrs_core.models.cuminc import _crst
from mdsrs_core.stats.contingency import choose_test
from mdsrs_core.stats.ranks import wilcox_test


def _trials(seed: int, reps: int, n: int, rounding: float | None):
    rng = np.random.default_rng(seed)
    group = np.zeros((reps, n))
    group[:, n // 3 :] = 1
    rate = np.where(group == 1, 0.04, 0.06)
    t = rng.exponential(1 / rate)
    c = rng.uniform(5, 60, size=(reps, n))
    time = np.minimum(t, c)
    if rounding:
        time = np.ceil(time / rounding) * rounding  # many ties, events with censorings
    return rng, time, (t <= c).astype(float), group


@pytest.mark.parametrize("rounding", [None, 6.0, 0.5])
def test_logrank_equals_survdiff_engine(rounding):
    _, time, event, group = _trials(1, 60, 40, rounding)
    event[0] = 0  # a trial without events: chisq 0, p 1
    got = logrank_p(time, event, group)
    for i in range(len(time)):
        fit = logrank(time[i], event[i], group[i].astype(int))
        want = float(sps.chi2.sf(fit.chisq, 1)) if fit.chisq > 0 else 1.0
        assert got[i] == pytest.approx(want, rel=1e-9, abs=1e-14), i
    assert got[0] == 1.0


@pytest.mark.parametrize("rounding", [None, 6.0, 1.0])
def test_gray_equals_cmprsk_port(rounding):
    rng, time, event, group = _trials(2, 40, 50, rounding)
    cause = np.where(rng.random(time.shape) < 0.4, 1.0, 2.0)
    status = event * cause
    got = gray_p(time, status, group)
    for i in range(len(time)):
        order = np.argsort(time[i], kind="stable")
        t, st, g = time[i][order], status[i][order], group[i][order].astype(int)
        m = np.where(st == 0, 0, np.where(st == 1, 1, 2))
        s, v = _crst(t, m, g, 2, 0.0)
        stat = float(s @ np.linalg.solve(v, s))
        assert got[i] == pytest.approx(float(sps.chi2.sf(stat, 1)), rel=1e-9, abs=1e-14), i


def test_gray_group_running_out_first():
    """One arm's patients all leave the risk set early (rs = 0 for the rest of the times)."""
    time = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]])
    status = np.array([[1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0]])
    group = np.array([[0, 0, 0, 0, 1, 1, 1, 1]], dtype=float)
    s, v = _crst(time[0], status[0].astype(int), group[0].astype(int), 2, 0.0)
    want = float(sps.chi2.sf(float(s @ np.linalg.solve(v, s)), 1))
    assert gray_p(time, status, group)[0] == pytest.approx(want, rel=1e-9)


def test_binary_equals_gtsummary_rule():
    n0, n1 = 12, 15
    x0, x1 = np.meshgrid(np.arange(n0 + 1), np.arange(n1 + 1), indexing="ij")
    x0, x1 = x0.ravel(), x1.ravel()
    got = binary_p(x0, n0, x1, n1)
    fisher_seen = chisq_seen = 0
    for a, b, p in zip(x0, x1, got, strict=True):
        table = np.array([[n0 - a, a], [n1 - b, b]])
        if table.sum(axis=0).min() == 0:
            assert p == 1.0  # nobody (or everybody) responds: no evidence
            continue
        chosen = choose_test(table)
        fisher_seen += "Fisher" in chosen.result.method
        chisq_seen += "Chi" in chosen.result.method
        assert p == pytest.approx(chosen.result.p_value, rel=1e-9, abs=1e-15), (a, b)
    assert fisher_seen > 50 and chisq_seen > 20  # both branches of the rule are checked
    big = binary_p(np.array([20, 35, 41]), 60, np.array([30, 31, 45]), 70)
    for a, b, p in zip([20, 35, 41], [30, 31, 45], big, strict=True):
        chosen = choose_test(np.array([[60 - a, a], [70 - b, b]]))
        assert "Chi" in chosen.result.method
        assert p == pytest.approx(chosen.result.p_value, rel=1e-9)


def test_wilcoxon_equals_wilcox_test():
    rng = np.random.default_rng(3)
    c0 = rng.multinomial(31, [0.05, 0.2, 0.3, 0.3, 0.1, 0.05], size=50)
    c1 = rng.multinomial(29, [0.1, 0.3, 0.3, 0.2, 0.1, 0.0], size=50)
    got = wilcoxon_p(c0, c1)
    grades = np.arange(6)
    for i in range(50):
        x = np.repeat(grades, c1[i])
        y = np.repeat(grades, c0[i])
        assert got[i] == pytest.approx(wilcox_test(x, y).p_value, rel=1e-9), i
    same = wilcoxon_p(np.array([[0, 5, 0]]), np.array([[0, 4, 0]]))
    assert same[0] == 1.0  # R: NaN (every patient in one grade); not a rejection


def test_clm_wald_equals_clm_fit():
    import pandas as pd

    from mdsrs_core.design.batch_tests import clm_wald_p
    from mdsrs_core.errors import ModelError
    from mdsrs_core.models import clm

    rng = np.random.default_rng(5)
    c0 = rng.multinomial(20, [0.05, 0.25, 0.3, 0.3, 0.1, 0.0], size=30)
    c1 = rng.multinomial(18, [0.15, 0.35, 0.3, 0.15, 0.05, 0.0], size=30)
    c0[0], c1[0] = [0, 0, 20, 0, 0, 0], [0, 0, 0, 18, 0, 0]  # separated: clm gives no estimate
    c0[1], c1[1] = [0, 20, 0, 0, 0, 0], [0, 18, 0, 0, 0, 0]  # one grade only
    got = clm_wald_p(c0, c1)
    grades = np.arange(6)
    for i in range(30):
        frame = pd.DataFrame(
            {
                "g": np.concatenate([np.repeat(grades, c0[i]), np.repeat(grades, c1[i])]),
                "arm": pd.Categorical(["a"] * 20 + ["b"] * 18, categories=["a", "b"]),
            }
        )
        try:
            want = float(clm("g ~ arm", frame).tidy()["p_value"].iloc[-1])
        except ModelError:
            want = 1.0  # no estimate: not a rejection
        assert got[i] == pytest.approx(want, rel=1e-7), i
    assert got[0] == 1.0 and got[1] == 1.0
