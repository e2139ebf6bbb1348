"""The NumPy glm.fit (mdsrs_core.models._glm_engine), the overlap certificate that spares
the separation linear programme, and the analyses' import footprint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mdsrs_core
from mdsrs_core.models import glm
from mdsrs_core.models._glm_engine import irls
from mdsrs_core.models._separation import overlap_certified, separating_direction

PATIENTS = Path(mdsrs_core.__file__).parent / "example" / "data" / "patients.csv"


def _patients() -> pd.DataFrame:
    d = pd.read_csv(PATIENTS)
    d["arm"] = pd.Categorical(d["arm"], categories=["thalidomide", "lenalidomide"])
    d["responder"] = d["response"].isin(["CR", "PR", "mCR", "HI"]).astype(int)
    return d


def test_responder_glm_equals_r_to_the_last_digits():
    # R 4.x: glm(responder ~ arm, binomial, d, control = glm.control(epsilon = 1e-14,
    # maxit = 100)); sprintf("%.17g", coef(summary(m))); m$iter
    r_coef = [-1.1700712526502561, 1.1700712526502552]
    r_se = [0.38156764764798184, 0.55880277057140748]
    r_p = [0.0021659208432833598, 0.036269825032693694]
    fit = glm("responder ~ arm", _patients(), family="binomial")
    tidy = fit.tidy()
    np.testing.assert_allclose(tidy["estimate"], r_coef, rtol=1e-14)
    np.testing.assert_allclose(tidy["std_error"], r_se, rtol=1e-14)
    np.testing.assert_allclose(tidy["p_value"], r_p, rtol=1e-13)
    assert fit.iterations == 5  # R's m$iter under that control
    assert fit.converged


def test_empty_model_is_eta_zero():
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    fit = irls(np.zeros((5, 0)), y, "binomial")
    assert fit.deviance == pytest.approx(2 * 5 * np.log(2))
    np.testing.assert_array_equal(fit.mu, 0.5)


def test_certificate_agrees_with_the_linear_programme():
    """On random small designs, overlapping or (quasi-)separated: whenever the converged fit
    certifies overlap the linear programme finds no separating direction, and separated data
    are never certified."""
    rng = np.random.default_rng(16)
    certified = 0
    for trial in range(300):
        n = int(rng.integers(6, 40))
        arm = rng.integers(0, 2, n).astype(float)
        age = rng.normal(60, 10, n)
        x = np.column_stack([np.ones(n), arm, age] if trial % 2 else [np.ones(n), arm])
        eta = -0.5 + rng.normal(0, 3) * arm + (0.2 * (age - 60) if trial % 2 else 0)
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
        if trial % 7 == 0:
            y = arm.copy()  # complete separation
        if np.linalg.matrix_rank(x) < x.shape[1]:
            continue
        design = pd.DataFrame(x, columns=[f"c{j}" for j in range(x.shape[1])])
        direction = separating_direction(design, y)
        with np.errstate(all="ignore"):
            fit = irls(x, y, "binomial")
        ok = fit.converged and np.all(np.isfinite(fit.params))
        if ok and overlap_certified(x, y, fit.mu, None):
            certified += 1
            assert direction is None, trial
        if direction is not None:
            assert not (ok and overlap_certified(x, y, fit.mu, None)), trial
    assert certified > 100  # the check spares the programme in the common case


def test_separated_data_still_name_the_term():
    d = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1, 0, 1], "arm": list("aaaabbbb")})
    d.loc[d["arm"] == "b", "y"] = 1
    with pytest.raises(Exception, match="separated"):
        glm("y ~ arm", d, family="binomial")


def test_the_analyses_import_neither_scipy_stats_nor_statsmodels():
    """The example's analyses, in a fresh process, run on scipy.special and NumPy alone."""
    code = (
        "import sys\n"
        "from mdsrs_core.study import load_example\n"
        "from mdsrs_core.runner import run\n"
        "run(load_example(), timeout=None)\n"
        "heavy = ('scipy.stats', 'statsmodels', 'formulaic', 'scipy.optimize')\n"
        "print('heavy:' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "heavy:"
