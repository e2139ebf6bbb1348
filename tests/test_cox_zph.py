"""cox_zph against R's cox.zph(fit, transform, terms = TRUE) of survival 3.5-3 on lung,
veteran and the example cohort (tests/results/os.R -> os.json, key "zph")."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core import load_example
from mdsrs_core.errors import ModelError
from mdsrs_core.models import coxph
from mdsrs_core.models.cox_zph import cox_zph, term_assign

HERE = Path(__file__).parent
CASES = json.loads((HERE / "results" / "os.json").read_text())["zph"]


def _data(name):
    if name == "example":
        return load_example()
    return pd.read_csv(HERE / "data" / f"{name}.csv")


def _id(case):
    return (
        f"{case['data']}-{case['formula'].split('~')[1].strip()}-{case['ties']}-{case['transform']}"
    )


@pytest.fixture(scope="module", params=CASES, ids=_id)
def pair(request):
    case = request.param
    fit = coxph(case["formula"], _data(case["data"]), ties=case["ties"])
    return case, cox_zph(fit, transform=case["transform"])


def test_table_equals_r(pair):
    case, zph = pair
    table = zph.table()
    assert table["term"].tolist() == case["term"]
    assert table["df"].tolist() == case["df"]
    # rel 1e-6: R's coxph stops at eps = 1e-9, mdsrs at 1e-12 (lung differs by ~1e-10)
    assert table["chisq"].to_numpy() == pytest.approx(case["chisq"], rel=1e-6)
    assert table["p_value"].to_numpy() == pytest.approx(case["p"], rel=1e-6)


def test_scaled_residuals_equal_r(pair):
    case, zph = pair
    res = zph.residuals
    assert res["time"].to_numpy() == pytest.approx(case["time"], rel=1e-12)
    # R's JSON keeps 15 significant digits
    assert res["x"].to_numpy() == pytest.approx(case["x"], rel=1e-9, abs=1e-12)
    want = np.array([[math.nan if v is None else v for v in row] for row in case["y"]])
    got = res[zph.terms].to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(want))
    # abs 1e-8 for residuals that are about 0, where a relative tolerance means nothing
    assert got[~np.isnan(got)] == pytest.approx(want[~np.isnan(want)], rel=1e-6, abs=1e-8)


def test_global_row_and_factor_term_df():
    fit = coxph("Surv(time, status) ~ trt + celltype + karno", _data("veteran"))
    table = cox_zph(fit).table().set_index("term")
    assert table.loc["celltype", "df"] == 3
    assert table.loc["GLOBAL", "df"] == 5


def test_formula_and_data_accepted():
    a = cox_zph("Surv(os_months, death) ~ arm", load_example()).table()
    b = cox_zph(coxph("Surv(os_months, death) ~ arm", load_example())).table()
    assert a["chisq"].tolist() == b["chisq"].tolist()


def test_errors():
    fit = coxph("Surv(os_months, death) ~ arm", load_example())
    with pytest.raises(ModelError, match="transform"):
        cox_zph(fit, transform="sqrt")
    with pytest.raises(ModelError, match="coxph"):
        cox_zph(object())
    with pytest.raises(ModelError, match="data"):
        cox_zph("Surv(os_months, death) ~ arm")


def test_term_assign_groups_factor_columns():
    assert term_assign(["trt", "celltype[T.large]", "celltype[T.smallcell]", "age:karno"]) == {
        "trt": [0],
        "celltype": [1, 2],
        "age:karno": [3],
    }


def test_registered_in_models():
    from mdsrs_core import models

    table = models.fit("cox_zph", "Surv(os_months, death) ~ arm", load_example()).table()
    assert table["term"].tolist() == ["arm", "GLOBAL"]
