"""Firth's penalised logistic regression against base-R Firth (tests/results/logistf.R)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core import load_example
from mdsrs_core.errors import ModelError
from mdsrs_core.models import fit as fit_model
from mdsrs_core.models import glm
from mdsrs_core.models.logistf import logistf

REFERENCE = Path(__file__).parent / "results" / "logistf.csv"
RESPONDERS = ["CR", "PR", "mCR", "HI"]


def _example(kind: str) -> pd.DataFrame:
    d = load_example().data.copy()
    d["responder"] = d["response"].isin(RESPONDERS).astype(int)
    lena = d["arm"] == "lenalidomide"
    if kind.startswith("example_zero"):
        d.loc[lena, "responder"] = 0
    elif kind == "example_all":
        d.loc[lena, "responder"] = 1
    elif kind == "example_none":
        d["responder"] = 0
    return d


def _spector() -> pd.DataFrame:
    from statsmodels.datasets import spector

    return spector.load_pandas().data


DATASETS = {
    "example": ("responder ~ arm", lambda: _example("example")),
    "example_zero": ("responder ~ arm", lambda: _example("example_zero")),
    "example_zero_age": ("responder ~ arm + age", lambda: _example("example_zero")),
    "example_all": ("responder ~ arm", lambda: _example("example_all")),
    "example_none": ("responder ~ arm", lambda: _example("example_none")),
    "spector": ("GRADE ~ GPA + TUCE + PSI", _spector),
    "tiny": ("y ~ x", lambda: pd.DataFrame({"y": [0, 1, 0, 0, 1], "x": [0, 1, 1, 1, 1]})),
}


def r_rows():
    with REFERENCE.open() as f:
        return [(r["dataset"], r["term"], r["stat"], float(r["value"])) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def fits():
    out = {}
    for name, (formula, data) in DATASETS.items():
        fit = logistf(formula, data())
        out[name] = (
            fit,
            fit.tidy().set_index("term"),
            fit.tidy(method="wald").set_index("term"),
            fit.glance().iloc[0],
        )
    return out


@pytest.mark.parametrize(
    "dataset, term, stat, expected",
    r_rows(),
    ids=lambda v: str(v) if not isinstance(v, float) else "",
)
def test_equals_base_r_firth(fits, dataset, term, stat, expected):
    fit, tidy, wald, glance = fits[dataset]
    if term == "":
        value = {
            "logLik": glance["logLik"],
            "null_logLik": glance["null_logLik"],
            "lr_statistic": glance["statistic"],
            "lr_p_value": glance["p_value"],
        }[stat]
    elif stat.startswith("wald_"):
        value = wald.loc[
            term,
            {"wald_low": "conf_low", "wald_high": "conf_high", "wald_p_value": "p_value"}[stat],
        ]
    else:
        value = tidy.loc[term, stat]
    # profile limits are roots found to ~1e-12 on both sides: 1e-6 relative holds
    assert value == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_every_dataset_and_term_checked(fits):
    rows = r_rows()
    for name, (_fit, tidy, _, _) in fits.items():
        for term in tidy.index:
            assert {s for d, t, s, _ in rows if d == name and t == term} >= {
                "estimate",
                "std_error",
                "p_value",
                "conf_low",
                "conf_high",
            }


def test_two_by_two_equals_haldane_corrected_log_odds_ratio():
    # Firth (1993): with one binary covariate the estimate is the log odds ratio of the
    # table with 0.5 added to each cell; 0/24 vs 9/38 responders.
    fit = logistf("responder ~ arm", _example("example_zero"))
    expected = math.log((0.5 / 24.5) / (9.5 / 29.5))
    assert fit.params["arm[T.lenalidomide]"] == pytest.approx(expected, rel=1e-10)


def test_equals_glm_direction_without_separation_and_shrinks_towards_zero():
    d = _example("example")
    ml = glm("responder ~ arm", d, family="binomial").params["arm[T.lenalidomide]"]
    firth = logistf("responder ~ arm", d).params["arm[T.lenalidomide]"]
    assert 0 < firth < ml


def test_separated_data_glm_fails_firth_finite():
    d = _example("example_zero")
    with pytest.raises(ModelError):
        glm("responder ~ arm", d, family="binomial")
    tidy = logistf("responder ~ arm", d).tidy(exponentiate=True).set_index("term")
    row = tidy.loc["arm[T.lenalidomide]"]
    assert np.isfinite([row.estimate, row.conf_low, row.conf_high]).all()
    assert row.conf_low < row.estimate < row.conf_high < 1


def test_exponentiate_transforms_estimate_and_limits_only():
    fit = logistf("responder ~ arm", _example("example"))
    raw = fit.tidy().set_index("term")
    odds = fit.tidy(exponentiate=True).set_index("term")
    for col in ("estimate", "conf_low", "conf_high"):
        assert np.allclose(np.exp(raw[col]), odds[col])
    assert np.allclose(raw["std_error"], odds["std_error"])


def test_registered_in_models_and_summary_text():
    fit = fit_model("logistf", "responder ~ arm", _example("example"))
    assert "logistf" in fit.summary()
    with pytest.raises(ValueError):
        fit.tidy(method="score")


def test_converges_where_logistf_does_on_five_patients():
    # issue 12: plain Fisher scoring cycles; logistf's step halving converges to OR 3
    fit = logistf("y ~ x", pd.DataFrame({"y": [0, 1, 0, 0, 1], "x": [0, 1, 1, 1, 1]}))
    assert fit.converged
    row = fit.tidy(exponentiate=True).set_index("term").loc["x"]
    assert row["estimate"] == pytest.approx(3.0, rel=1e-9)
    assert (round(row["conf_low"], 4), round(row["conf_high"], 1)) == (0.0989, 534.3)
    assert round(row["p_value"], 3) == 0.538
