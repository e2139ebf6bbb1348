"""`mdsrs fit --weights COLUMN --robust` against R: the printed --json numbers of weighted lm,
glm, clm, coxph, survfit (tests/results/weighted.R, propensity weights on the example) and
survreg (tests/results/survreg.R, case weights on lung); and the exit-2 errors.

--json prints 15 decimal places (pandas' ``double_precision`` maximum), so each figure is
compared at 1e-6 relative or 1e-14 absolute (a p-value below ~1e-8 keeps fewer digits)."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_weighted_models import SETS, reference, weights

from mdsrs_core import load_example
from mdsrs_core.cli import main

HERE = Path(__file__).parent
TERM = "arm[T.lenalidomide]"


def close(value, expected):
    return value == pytest.approx(expected, rel=1e-6, abs=1e-14)


@cache
def weighted_csv(tmp: Path) -> Path:
    d = load_example().data.copy()
    d["w"] = weights("example")  # the same IPTW model as weighted.R (test_adjust: = R's)
    path = tmp / "weighted.csv"
    d.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return weighted_csv(tmp_path_factory.mktemp("fit_weights"))


def fit_json(*args: str) -> list[dict]:
    res = CliRunner().invoke(main, ["fit", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def r_term(term: str) -> str:
    return {"Intercept": "(Intercept)", TERM: "treated"}.get(term, term)


def check_tidy(rows: list[dict], ref: dict, stats=("estimate", "std_error", "p_value")):
    assert rows
    for row in rows:
        for stat in (*stats, "conf_low", "conf_high"):
            assert close(row[stat], ref[(r_term(row["term"]), stat)]), (row["term"], stat)


@pytest.mark.parametrize(("robust", "analysis"), [(False, "lm_weights"), (True, "svyglm_gaussian")])
def test_lm_weights_and_robust(data, robust, analysis):
    args = ["lm", SETS["example"]["cont"], str(data), "--weights", "w", "--ref", "arm=thalidomide"]
    rows = fit_json(*args, *(["--robust"] if robust else []))
    check_tidy(rows, reference()[("example", analysis)], ("estimate", "std_error", "statistic"))


@pytest.mark.parametrize(
    ("robust", "analysis"), [(False, "glm_weights"), (True, "svyglm_quasibinomial")]
)
def test_glm_binomial_weights_and_robust(data, robust, analysis):
    args = ["glm", "responder ~ arm", str(data), "--family", "binomial", "--weights", "w"]
    rows = fit_json(*args, "--ref", "arm=thalidomide", *(["--robust"] if robust else []))
    check_tidy(rows, reference()[("example", analysis)])


def test_coxph_weights_robust_hazard_ratio(data):
    ref = reference()[("example", "coxph_weights")]
    (row,) = fit_json(
        "coxph",
        SETS["example"]["surv"],
        str(data),
        "--weights",
        "w",
        "--robust",
        "--exponentiate",
        "--ref",
        "arm=thalidomide",
    )
    assert row["term"] == TERM
    for stat in ("estimate", "std_error", "p_value", "conf_low", "conf_high"):
        assert close(row[stat], ref[("treated", stat)]), stat


def test_clm_weights(data):
    ref = reference()[("example", "clm_weights")]
    rows = fit_json(
        "clm", "ae_max_grade ~ arm", str(data), "--weights", "w", "--ref", "arm=thalidomide"
    )
    assert len(rows) == len(ref) // 2
    for row in rows:
        for stat in ("estimate", "std_error"):
            assert close(row[stat], ref[(r_term(row["term"]), stat)]), (row["term"], stat)


def test_survfit_weights_robust_se_at_times(data):
    ref = reference()[("example", "survfit_weights")]
    rows = fit_json(
        "survfit", SETS["example"]["surv"], str(data), "--weights", "w", "--times", "12,36,60"
    )
    strata = SETS["example"]["strata"]
    assert len(rows) == 6
    for row in rows:
        key = f"{strata[row['strata']]}@{row['time']:g}"
        for ours, theirs in [
            ("surv", "surv"),
            ("std_err", "std_err"),
            ("n_risk", "n_risk"),
            ("n_event", "n_event"),
            ("conf_low", "conf_low"),
            ("conf_high", "conf_high"),
        ]:
            assert close(row[ours], ref[(key, theirs)]), (key, ours)


def test_survreg_case_weights_on_lung(tmp_path):
    ref = json.loads((HERE / "results" / "survreg.json").read_text())["lung_weibull_weights"]
    import pandas as pd

    lung = pd.read_csv(HERE / "data" / "lung.csv").assign(w=ref["weights"])
    path = tmp_path / "lung_w.csv"
    lung.to_csv(path, index=False)
    rows = fit_json(
        "survreg", "Surv(time, event) ~ age + sex + ph.ecog", str(path), "--weights", "w"
    )
    assert [r_term(r["term"]) for r in rows] == ref["terms"]
    for i, row in enumerate(rows):
        for stat in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
            assert close(row[stat], ref[stat][i]), (row["term"], stat)


def test_weights_change_the_fit(data):
    """--weights reaches the model: the unweighted HR differs from the weighted one."""
    (weighted,) = fit_json("coxph", SETS["example"]["surv"], str(data), "--weights", "w")
    (plain,) = fit_json("coxph", SETS["example"]["surv"], str(data))
    assert not math.isclose(weighted["estimate"], plain["estimate"], rel_tol=1e-3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["survdiff", "--weights", "w"], "survdiff takes no --weights"),
        (["survreg", "--robust"], "survreg takes no --robust"),
        (["rmst", "--tau", "60", "--weights", "w"], "rmst takes no --weights"),
        (["coxph", "--weights", "nope"], "--weights nope: no column 'nope'"),
        (["coxph", "--weights", "arm"], "--weights arm: the weight is not a number in 62 rows"),
    ],
)
def test_bad_weight_options_exit_2(data, args, message):
    model, *rest = args
    res = CliRunner().invoke(main, ["fit", model, SETS["example"]["surv"], str(data), *rest])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output


def test_negative_weight_names_file_rows_and_rule(tmp_path):
    import pandas as pd

    d = load_example().data.copy()
    d["w"] = 1.0
    d.loc[d.index[[3, 7]], "w"] = [-1.0, float("inf")]
    path = tmp_path / "neg.csv"
    d.to_csv(path, index=False)
    before = path.read_bytes()
    res = CliRunner().invoke(main, ["fit", "lm", "hgb_post ~ arm", str(path), "--weights", "w"])
    assert res.exit_code == 2
    assert str(path) in res.output and "negative or infinite in 2 rows (5, 9;" in res.output
    assert path.read_bytes() == before
    assert pd.read_csv(path).shape == d.shape
