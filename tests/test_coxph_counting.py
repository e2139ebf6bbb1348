"""coxph's counting-process form, case weights and robust/cluster variances against R.

References: tests/results/coxph_counting.R (survival's heart and lung data, the example
cohort). Every figure is compared with ``pytest.approx(rel=1e-6)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core.errors import FormulaError, ModelError
from mdsrs_core.models import coxph

HERE = Path(__file__).parent
ROOT = HERE.parent
R = json.loads((HERE / "results" / "coxph_counting.json").read_text())
REL = 1e-6

HEART = "Surv(start, stop, event) ~ age + year + surgery + transplant"
HEART_STRATA = "Surv(start, stop, event) ~ age + year + transplant + strata(surgery)"
LUNG = "Surv(time, event) ~ age + sex + `ph.ecog`"


def close(actual, expected) -> None:
    ours = np.atleast_1d(np.asarray(actual, dtype=float))
    ref = np.atleast_1d(np.asarray([np.nan if v is None else v for v in np.atleast_1d(expected)]))
    assert ours == pytest.approx(ref.astype(float), rel=REL, nan_ok=True)


@pytest.fixture(scope="module")
def heart() -> pd.DataFrame:
    h = pd.read_csv(HERE / "data" / "heart.csv")
    return h.assign(w=0.5 + (h["id"] % 4) / 3)


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    lung = pd.read_csv(HERE / "data" / "lung.csv")
    return lung.assign(w=0.5 + (lung["age"] % 7) / 4, wi=1 + (lung["age"] % 3))


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    pts = pd.read_csv(ROOT / "mdsrs_core" / "example" / "data" / "patients.csv")
    arm = pd.Categorical(pts["arm"], categories=["thalidomide", "lenalidomide"])
    return pts.assign(arm=arm, w=0.5 + (pts["age"] % 5) / 4)


def check(fit, ref) -> None:
    """Every figure tidy() and glance() report, against R's."""
    tidy = fit.tidy()
    assert len(tidy) == len(ref["terms"])
    close(tidy["estimate"], ref["estimate"])
    close(tidy["std_error"], ref["std_error"])
    close(tidy["statistic"], ref["statistic"])
    close(tidy["p_value"], ref["p_value"])
    close(tidy["conf_low"], ref["conf_low"])
    close(tidy["conf_high"], ref["conf_high"])
    assert fit.robust is ref["robust"]
    g = fit.glance().iloc[0]
    assert g["nobs"] == ref["nobs"]
    assert g["n_dropped"] == ref["n_dropped"]
    assert g["nevent"] == ref["nevent"]
    close(fit.loglik_null, ref["loglik_null"])
    close(g["logLik"], ref["loglik"])
    close(g["AIC"], ref["aic"])
    for name in ("log", "sc", "wald"):
        close(g[f"statistic_{name}"], ref[f"statistic_{name}"])
        close(g[f"p_value_{name}"], ref[f"p_value_{name}"])
    close(g["concordance"], ref["concordance"])
    close(g["std_error_concordance"], ref["concordance_se"])
    if ref["robust"]:
        close(tidy["std_error_naive"], ref["std_error_naive"])
        close(g["statistic_robust"], ref["statistic_robust"])
        close(g["p_value_robust"], ref["p_value_robust"])
        assert g["n_cluster"] == ref["n_cluster"]
    else:
        assert "std_error_naive" not in tidy
        assert "statistic_robust" not in g


# =========================================================================== heart


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_heart_counting_process(heart, ties):
    check(coxph(HEART, heart, ties=ties), R[f"heart_{ties}"])


def test_heart_default_ties_is_efron(heart):
    check(coxph(HEART, heart), R["heart_efron"])


@pytest.mark.parametrize(
    "ties, key", [("efron", "heart_cluster"), ("breslow", "heart_cluster_breslow")]
)
def test_heart_cluster_id(heart, ties, key):
    fit = coxph(HEART + " + cluster(id)", heart, ties=ties)
    check(fit, R[key])
    # the point estimates are those of the model without cluster(); only the variance moves
    close(fit.estimate, R[f"heart_{ties}"]["estimate"])
    close(np.sqrt(np.diag(fit.naive_var)), R[f"heart_{ties}"]["std_error"])
    # the likelihood's sorted copy of the rows is released once the robust variance is
    # computed (nothing later reads it; at 10^6 rows it is tens of MB held per fit)
    assert fit.fit.data is None


@pytest.mark.parametrize(
    "ties, key", [("efron", "heart_strata"), ("breslow", "heart_strata_breslow")]
)
def test_heart_strata(heart, ties, key):
    check(coxph(HEART_STRATA, heart, ties=ties), R[key])


def test_heart_strata_and_cluster(heart):
    check(coxph(HEART_STRATA + " + cluster(id)", heart), R["heart_strata_cluster"])


def test_heart_weights_and_cluster(heart):
    check(coxph(HEART + " + cluster(id)", heart, weights="w"), R["heart_weights_cluster"])


def test_heart_weights_model_based_variance(heart):
    check(coxph(HEART, heart, weights="w", robust=False), R["heart_weights_naive"])


def test_heart_summary_text_shows_both_standard_errors(heart):
    text = coxph(HEART + " + cluster(id)", heart).summary()
    assert "robust se" in text and "se(coef)" in text
    assert "Robust = 18.24" in text  # R prints 'Robust = 18.24  p=0.001'
    assert "n= 172, number of events= 75" in text


# =========================================================================== lung


def test_lung_cluster_institution(lung):
    check(coxph(LUNG + " + cluster(inst)", lung), R["lung_cluster_inst"])


@pytest.mark.parametrize(
    "ties, key", [("efron", "lung_robust"), ("breslow", "lung_robust_breslow")]
)
def test_lung_robust_without_cluster(lung, ties, key):
    check(coxph(LUNG, lung, robust=True, ties=ties), R[key])


@pytest.mark.parametrize(
    "ties, key", [("efron", "lung_weights"), ("breslow", "lung_weights_breslow")]
)
def test_lung_fractional_weights_are_robust_by_default(lung, ties, key):
    fit = coxph(LUNG, lung, weights="w", ties=ties)
    assert fit.robust  # R: robust defaults to TRUE when a weight is not a whole number
    check(fit, R[key])


def test_lung_weights_robust_false(lung):
    check(coxph(LUNG, lung, weights="w", robust=False), R["lung_weights_naive"])


def test_lung_whole_number_weights(lung):
    check(coxph(LUNG, lung, weights="wi"), R["lung_weights_int"])


def test_lung_weights_and_cluster(lung):
    check(coxph(LUNG + " + cluster(inst)", lung, weights="w"), R["lung_weights_cluster"])


def test_whole_number_weights_equal_replicated_rows(lung):
    """Case weights of k are k copies of the row, with Breslow's ties (Efron's correction
    counts the tied rows, and copies add ties: R gives the same difference)."""
    weighted = coxph(LUNG, lung, weights="wi", ties="breslow")
    copies = lung.loc[lung.index.repeat(lung["wi"].astype(int))].reset_index(drop=True)
    replicated = coxph(LUNG, copies, ties="breslow")
    assert weighted.estimate == pytest.approx(replicated.estimate, rel=1e-9)
    assert weighted.std_error == pytest.approx(replicated.std_error, rel=1e-9)
    assert weighted.loglik == pytest.approx(replicated.loglik, rel=1e-12)


def test_unit_weights_match_the_unweighted_fit(lung):
    """The counting-process likelihood with weights 1 is the right-censored one."""
    plain = coxph(LUNG, lung)
    ones = coxph(LUNG, lung, weights=np.ones(len(lung)), robust=False)
    assert ones.estimate == pytest.approx(plain.estimate, rel=1e-10)
    assert ones.std_error == pytest.approx(plain.std_error, rel=1e-10)
    assert ones.glance()["concordance"].iloc[0] == pytest.approx(
        plain.glance()["concordance"].iloc[0], rel=1e-12
    )


def test_weights_as_array_equal_weights_as_column(lung):
    a = coxph(LUNG, lung, weights="w")
    b = coxph(LUNG, lung, weights=lung["w"].to_numpy())
    assert a.std_error == pytest.approx(b.std_error, rel=1e-14)


# =========================================================================== example


def test_example_weighted_cox(patients):
    check(coxph("Surv(os_months, death) ~ arm + age", patients, weights="w"), R["patients_weights"])


def test_example_weighted_cox_robust_arm(patients):
    fit = coxph("Surv(os_months, death) ~ arm", patients, weights=patients["w"], robust=True)
    check(fit, R["patients_weights_robust_arm"])


# =========================================================================== bad input


def test_stop_not_after_start_is_an_error(heart):
    bad = heart.copy()
    bad.loc[3, "stop"] = bad.loc[3, "start"]
    with pytest.raises(FormulaError, match=r"must end after it starts.*rows 3"):
        coxph(HEART, bad)


def test_start_not_a_number_is_an_error(heart):
    bad = heart.astype({"start": object})
    bad.loc[5, "start"] = "x"
    with pytest.raises(FormulaError, match=r"start column 'start'.*rows 5"):
        coxph(HEART, bad)


def test_time_zero_start_is_allowed(heart):
    assert (heart["start"] == 0).sum() > 100  # most heart rows start at 0
    assert coxph(HEART, heart).nobs == 172


def test_robust_counting_process_needs_cluster(heart):
    with pytest.raises(ModelError, match=r"cluster\(id\)"):
        coxph(HEART, heart, robust=True)


def test_cluster_with_robust_false_is_ignored_with_a_warning(heart):
    fit = coxph(HEART + " + cluster(id)", heart, robust=False)
    assert not fit.robust
    close(fit.std_error, R["heart_efron"]["std_error"])
    assert any("cluster ignored" in w for w in fit.warnings)


def test_missing_weight_drops_the_row_and_counts_it(lung):
    data = lung.copy()
    data.loc[[0, 1], "w"] = np.nan
    fit = coxph(LUNG, data, weights="w")
    full = coxph(LUNG, lung, weights="w")
    assert fit.n_dropped == full.n_dropped + 2
    assert fit.nobs == full.nobs - 2


@pytest.mark.parametrize("value", [-1.0, np.inf])
def test_bad_weight_is_an_error(lung, value):
    data = lung.copy()
    data.loc[7, "w"] = value
    with pytest.raises(FormulaError, match=r"weights 'w'.*finite and >= 0.*rows 7"):
        coxph(LUNG, data, weights="w")


def test_weights_of_wrong_length_is_an_error(lung):
    with pytest.raises(FormulaError, match="228 rows"):
        coxph(LUNG, lung, weights=np.ones(10))


def test_unknown_weights_column_is_an_error(lung):
    with pytest.raises(FormulaError, match="wt"):
        coxph(LUNG, lung, weights="wt")


def test_two_cluster_variables_is_an_error(heart):
    with pytest.raises(FormulaError, match="more than one cluster"):
        coxph(HEART + " + cluster(id, surgery)", heart)


# =========================================================================== concordance


def brute_concordance(start, stop, event, lp, strata, w, cluster):
    """The definition, pair by pair (O(n^2)): a death at t against each row at risk at t
    that does not die at t, in the same stratum; pair weight w_i w_j."""
    n = len(stop)
    conc, disc, tied = np.zeros(n), np.zeros(n), np.zeros(n)
    totals = np.zeros(3)
    for i in np.flatnonzero(event):
        t = stop[i]
        for j in range(n):
            if strata[j] != strata[i] or not (start[j] < t <= stop[j]):
                continue
            if event[j] and stop[j] == t:
                continue  # tied on time (and i itself)
            k = 0 if lp[i] > lp[j] else (2 if lp[i] == lp[j] else 1)
            for row, partner in ((i, j), (j, i)):
                (conc, disc, tied)[k][row] += w[partner]
            totals[k] += w[i] * w[j]
    npair = totals.sum()
    somer = (totals[0] - totals[1]) / npair
    dfbeta = w * ((conc - disc) / npair - (somer / npair) * (conc + disc + tied))
    dfbeta = np.bincount(cluster, weights=dfbeta)
    return (somer + 1) / 2, np.sqrt(np.sum(dfbeta**2) / 4)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_concordance_equals_the_definition(seed):
    from mdsrs_core.models._cox_counting import concordance_counting

    rng = np.random.default_rng(seed)
    n = 120
    start = rng.integers(0, 6, n).astype(float)  # ties everywhere
    stop = start + rng.integers(1, 8, n)
    event = rng.random(n) < 0.5
    lp = rng.integers(0, 5, n).astype(float)  # ties on the predictor too
    strata = rng.integers(0, 3, n)
    w = rng.uniform(0.2, 2.0, n)
    cluster = rng.integers(0, 40, n)
    ours = concordance_counting(start, stop, event, lp, strata, w, cluster)
    assert ours == pytest.approx(brute_concordance(start, stop, event, lp, strata, w, cluster))


def test_cluster_term_outside_coxph_is_an_error(lung):
    from mdsrs_core.models import glm

    with pytest.raises(FormulaError, match="only coxph uses"):
        glm("event ~ age + cluster(inst)", lung, family="binomial")


def test_risk_sets_keep_their_digits_when_large_rows_have_left():
    """A late risk set of weight ~1 after rows of weight 1e12 have left: its sum is taken
    from the later rows only (suffix sums), not as the difference of two sums of ~1e12 that
    would leave no correct digit. Checked against a direct sum over each risk set."""
    from mdsrs_core.models._cox_counting import CountingData

    rng = np.random.default_rng(7)
    n = 400
    start = np.where(rng.random(n) < 0.3, rng.uniform(0, 5, n), -np.inf)
    stop = np.where(np.isfinite(start), start, 0) + rng.uniform(0.1, 10, n)
    event = (rng.random(n) < 0.6).astype(float)
    weights = np.where(stop < 3, 1e12, rng.uniform(0.5, 2, n))  # heavy rows leave early
    x = rng.normal(size=(n, 1))
    data = CountingData(start, stop, event, x, np.zeros(n, dtype=np.int64), weights, True)
    got = data._risk_sums(weights)
    times = np.unique(stop[event > 0])
    expected = [weights[(start < t) & (stop >= t)].sum() for t in times]
    assert got == pytest.approx(expected, rel=1e-12)


def test_stratum_codes_number_the_labels_in_sorted_order():
    # as np.unique of the texts numbers them (each distinct label converted once)
    from mdsrs_core.models.coxph import _codes

    labels = pd.Series(["sex=M, arm=b", "sex=F, arm=a", "sex=M, arm=b", "sex=F, arm=b", "x"])
    expected = np.unique(labels.to_numpy(dtype=str), return_inverse=True)[1]
    np.testing.assert_array_equal(_codes(labels), expected)
    assert _codes(None) is None
