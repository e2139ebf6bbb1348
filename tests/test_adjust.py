"""mdsrs_core.adjust against R (tests/results/adjust.R): PS glm, weights, balance, matching."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core import load_example
from mdsrs_core.adjust import evalues, match, propensity
from mdsrs_core.adjust.evalue import evalue_rr, to_rr
from mdsrs_core.errors import FormulaError

HERE = Path(__file__).parent
FORMULAS = {
    "example": "arm ~ age + sex + transfusion_dependent + sf3b1 + hgb_base + plt_base",
    "rotterdam": "hormon ~ age + meno + size + grade + nodes + pgr + er",
}


@cache
def reference() -> dict:
    ref: dict = defaultdict(dict)
    with (HERE / "results" / "adjust.csv").open() as f:
        for row in csv.DictReader(f):
            key = (row["dataset"], row["analysis"])
            ref[key][(row["variable"], row["stat"])] = float(row["value"])
    return ref


@cache
def data(name: str):
    if name == "example":
        return load_example()
    return pd.read_csv(HERE / "data" / "rotterdam.csv")


def frame(name: str) -> pd.DataFrame:
    d = data(name)
    return d.data if name == "example" else d


DATASETS = ["example", "rotterdam"]
METHODS = ["iptw", "att", "overlap"]


@pytest.mark.parametrize("name", DATASETS)
def test_propensity_score_matches_glm(name):
    ref = reference()[(name, "ps")]
    p = propensity(FORMULAS[name], data(name))
    ps = p.ps.to_numpy()
    rows = [int(v) for v, s in ref if s == "ps"]
    assert len(rows) >= 62
    for i in rows:
        assert ps[i - 1] == pytest.approx(ref[(str(i), "ps")], rel=1e-6)
    assert float(np.log(ps / (1 - ps)).sum()) == pytest.approx(ref[("all", "sum_logit")], rel=1e-6)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("method", METHODS)
def test_weights_match_r(name, method):
    ref = reference()[(name, method)]
    w = propensity(FORMULAS[name], data(name), method=method).weights.to_numpy()
    for (var, stat), value in ref.items():
        if stat == "weight":
            assert w[int(var) - 1] == pytest.approx(value, rel=1e-6)
    assert w.sum() == pytest.approx(ref[("all", "sum")], rel=1e-6)
    assert (w**2).sum() == pytest.approx(ref[("all", "sum_sq")], rel=1e-6)


def _check_balance(result, ref):
    bal = result.balance().set_index("variable")
    ess = result.ess().set_index("arm")["ess_after"]
    checked = 0
    for (var, stat), value in ref.items():
        if stat in ("smd_before", "smd_after", "variance_ratio_before", "variance_ratio_after"):
            assert bal.loc[var, stat] == pytest.approx(value, rel=1e-6, abs=1e-12), (var, stat)
            checked += 1
    assert checked >= 4 * 6
    ref_level, treated_level = result.levels
    assert ess[treated_level] == pytest.approx(ref[("treated", "ess_after")], rel=1e-6)
    assert ess[ref_level] == pytest.approx(ref[("reference", "ess_after")], rel=1e-6)
    # the table has exactly R's covariate rows
    assert set(bal.index) == {v for v, s in ref if s == "smd_before"}


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("method", METHODS)
def test_balance_after_weighting_matches_r(name, method):
    _check_balance(
        propensity(FORMULAS[name], data(name), method=method), reference()[(name, method)]
    )


@pytest.mark.parametrize("name", DATASETS)
def test_trimmed_iptw_matches_r(name):
    ref = reference()[(name, "iptw_trim")]
    p = propensity(FORMULAS[name], data(name), trim=0.1)
    assert len(p.trimmed) == ref[("all", "n_trimmed")]
    w = p.weights.fillna(0.0).to_numpy()
    assert w.sum() == pytest.approx(ref[("all", "sum")], rel=1e-6)
    assert (w**2).sum() == pytest.approx(ref[("all", "sum_sq")], rel=1e-6)
    _check_balance(p, ref)


@pytest.mark.parametrize("name", DATASETS)
def test_matched_set_is_matchits(name):
    ref = reference()[(name, "match1")]
    m = match(FORMULAS[name], data(name), caliper=0.2)
    assert m.caliper_width == pytest.approx(ref[("all", "caliper")], rel=1e-6)
    sub = m.subclass.to_numpy()
    expected: dict[int, set[int]] = defaultdict(set)
    for (var, stat), value in ref.items():
        if stat == "control":
            expected[int(var) - 1].add(int(value) - 1)
    assert int(m.matched.sum()) == ref[("all", "n_matched")]
    got: dict[int, set[int]] = {}
    z = m.treated.to_numpy() == 1
    for t in np.flatnonzero(z & ~np.isnan(sub)):
        got[int(t)] = {int(c) for c in np.flatnonzero(~z & (sub == sub[t]))}
    assert got == dict(expected)
    # sets numbered 1, 2, ... in the data order of their treated patient
    firsts = [sub[t] for t in sorted(got)]
    assert firsts == list(range(1, len(got) + 1))
    _check_balance(m, ref)


def test_rows_without_a_score_are_counted_and_aligned():
    frame = load_example().data.copy()
    frame.loc[[1, 4], "age"] = np.nan
    frame.index = [f"r{i}" for i in range(len(frame))]
    p = propensity("arm ~ age + hgb_base", frame, method="overlap")
    assert list(p.missing) == ["r1", "r4"]
    assert p.ps.index.equals(frame.index) and p.weights.index.equals(frame.index)
    assert p.ps.isna().sum() == 2 and p.weights.isna().sum() == 2
    assert p.ess()["n"].sum() == 60


def test_bad_arguments_are_clear(frame):
    with pytest.raises(FormulaError, match="choose one of iptw, att, overlap"):
        propensity("arm ~ age", frame, method="ipw")
    with pytest.raises(FormulaError, match="trim must be"):
        propensity("arm ~ age", frame, trim=0.7)
    with pytest.raises(FormulaError, match="no covariates"):
        propensity("arm ~ 1", frame)
    with pytest.raises(FormulaError, match="caliper must be"):
        match("arm ~ age", frame, caliper=-1)
    with pytest.raises(FormulaError, match="1:1"):
        match("arm ~ age", frame, ratio=2)


# ------------------------------------------------------------------ E-values
def test_evalue_formulas_vanderweele_ding():
    # VanderWeele & Ding (2017): RR = 3.9 gives E = 7.26; CI lower limit 1.8 gives 3.0
    assert evalue_rr(3.9) == pytest.approx(3.9 + math.sqrt(3.9 * 2.9))
    assert round(evalue_rr(3.9), 2) == 7.26
    assert round(evalue_rr(1.8), 2) == 3.0
    assert evalue_rr(0.5) == pytest.approx(evalue_rr(2.0))
    # common outcome: OR -> sqrt(OR); HR -> (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))
    assert to_rr(4.0, "OR", rare=False) == 2.0
    hr = 2.0
    assert to_rr(hr, "HR", rare=False) == pytest.approx(
        (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))
    )
    assert to_rr(hr, "HR", rare=True) == hr
    e = evalues(0.5, 0.3, 0.9, "HR", rare=True)
    assert e["estimate"] == pytest.approx(evalue_rr(2.0))
    assert e["conf_limit"] == pytest.approx(evalue_rr(1 / 0.9))
    assert evalues(1.4, 0.8, 2.1, "OR", rare=False)["conf_limit"] == 1.0
