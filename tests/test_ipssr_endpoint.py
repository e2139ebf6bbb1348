"""The `ipssr` endpoint, its derive hook and `mdsrs ipssr`.

R parity: tests/results/ipssr.R (an independent base-R IPSS-R, lm/confint, wilcox.test,
ordinal::clm) -> tests/results/ipssr.csv, compared to a relative 1e-6.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import read_reference

from mdsrs_core import Cohort, load_example, run
from mdsrs_core.cli import main
from mdsrs_core.errors import CohortError
from mdsrs_core.study import EXAMPLE_STUDY
from mdsrs_ipssr import normalize_cyto, score

REFERENCE = Path(__file__).parent / "results" / "ipssr.csv"
PATIENTS = EXAMPLE_STUDY.parent / "patients.csv"
MODEL_STATS = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")
ACCEPTED = (
    "accepted values: very good, good, intermediate, poor, very poor "
    "(any case; words may be joined by spaces, hyphens, underscores or dots; "
    "abbreviations VG, G, I, Int, Interm, P, VP)."
)


# ---------------------------------------------------------------- the example cohort vs R
@pytest.fixture(scope="module")
def example_run():
    result = run(load_example(), only=["ipssr"])
    assert result["ipssr"].status == "ok", result["ipssr"].reason
    return result


@pytest.fixture(scope="module")
def records(example_run):
    return [r for r in example_run.records if r.endpoint == "ipssr"]


def r_values():
    return read_reference(REFERENCE, ("variable", "arm", "level", "stat", "formula"))


def find(records, variable, arm, level, stat, formula=""):
    """The one record of (variable, arm, level, stat) whose method names ``formula``."""
    hits = [
        r
        for r in records
        if (r.variable, r.arm or "", r.level or "", r.stat) == (variable, arm, level, stat)
        and (not formula or f": {formula};" in (r.method or ""))
        and (formula or not (r.method or "").startswith(("Linear", "Proportional")))
    ]
    assert len(hits) == 1, (variable, arm, level, stat, formula, hits)
    return hits[0]


STAT_ROWS = [row for row in r_values() if row[3] != "patient_score"]
PATIENT_ROWS = [row for row in r_values() if row[3] == "patient_score"]


@pytest.mark.parametrize(
    "variable, arm, level, stat, formula, expected",
    STAT_ROWS,
    ids=lambda v: str(v) if not isinstance(v, float) else "",
)
def test_statistics_equal_r(records, variable, arm, level, stat, formula, expected):
    assert find(records, variable, arm, level, stat, formula).value == pytest.approx(
        expected, rel=1e-6
    )


def test_derived_scores_equal_independent_r_implementation():
    data = load_example().data.set_index("patient_id")
    assert len(PATIENT_ROWS) == 4 * 62
    for variable, _, pid, _, _, expected in PATIENT_ROWS:
        # IPSS-R: sums of halves, exact. IPSS-RA: integer ages make the value exact to 4
        # decimals, so the published half-up rounding changes nothing here.
        assert data.at[pid, variable] == pytest.approx(expected, rel=1e-12), (variable, pid)


def test_every_model_and_test_figure_is_checked_against_r(records):
    reference = {(v, a, lv, s, f) for v, a, lv, s, f, _ in STAT_ROWS}
    for r in records:
        if r.stat in (*MODEL_STATS, "df") and r.arm is None:
            formula = (
                r.method.split(": ", 1)[1].split(";", 1)[0]
                if r.method.startswith(("Linear", "Proportional"))
                else ""
            )
            assert (r.variable, "", r.level or "", r.stat, formula) in reference, r


def test_lenalidomide_lowers_the_post_treatment_score(records):
    term = "arm[T.lenalidomide]"
    formula = "ipssr_post_score ~ arm + ipssr_base_score"
    ancova = find(records, "ipssr_post_score", "", term, "estimate", formula)
    assert ancova.value < 0
    assert find(records, "ipssr_post_score", "", term, "p_value", formula).value < 0.05
    assert find(records, "ipssr_post_score", "", "", "p_value").value < 0.05
    odds = find(records, "ipssr_post_category", "", term, "estimate", "ipssr_post_category ~ arm")
    assert odds.value < 1


def test_methods_and_labels_are_named(records):
    term = "arm[T.lenalidomide]"
    ancova = find(
        records,
        "ipssr_post_score",
        "",
        term,
        "p_value",
        "ipssr_post_score ~ arm + ipssr_base_score",
    )
    assert ancova.method == (
        "Linear regression (lm), ANCOVA: ipssr_post_score ~ arm + "
        "ipssr_base_score; difference in means, t-based 95% CI"
    )
    assert ancova.label == "lenalidomide vs thalidomide"
    assert ancova.n == 62
    wilcoxon = find(records, "ipssr_post_score", "", "", "p_value")
    assert wilcoxon.method == "Wilcoxon rank sum test with continuity correction"
    clm = find(records, "ipssr_post_category", "", term, "estimate", "ipssr_post_category ~ arm")
    assert clm.method == (
        "Proportional-odds model (ordinal::clm, logit link): ipssr_post_category ~ arm; "
        "cumulative odds ratio of a higher (worse) category, Wald 95% CI"
    )


def test_flow_and_notes(example_run):
    outcome = example_run["ipssr"]
    assert outcome.result.n_analysed == {"thalidomide": 38, "lenalidomide": 24}
    assert outcome.result.exclusions == []
    assert outcome.result.notes == [
        "Wilcoxon rank-sum test of the post-treatment IPSS-R score: ties: normal approximation."
    ]


def test_tables_from_records(example_run, records):
    tables = example_run["ipssr"].endpoint.tables(records)
    assert list(tables) == [
        "IPSS-R risk categories before and after treatment",
        "Shift of IPSS-R risk category, thalidomide",
        "Shift of IPSS-R risk category, lenalidomide",
        "Change of IPSS-R risk category",
        "Between-arm comparisons",
    ]
    cats = tables["IPSS-R risk categories before and after treatment"]
    n = find(records, "ipssr_post_category", "lenalidomide", "Very Low", "n").value
    p = find(records, "ipssr_post_category", "lenalidomide", "Very Low", "p").value
    assert cats.loc["Very Low", "lenalidomide after (N=24)"] == f"{n} ({100 * p:.1f}%)"
    shift = tables["Shift of IPSS-R risk category, thalidomide"]
    assert shift.loc["Low", "after: Intermediate"] == str(
        find(records, "ipssr_shift", "thalidomide", "Low -> Intermediate", "n").value
    )
    assert shift.loc["Total", "Total"] == "38"
    comparisons = tables["Between-arm comparisons"]
    assert len(comparisons) == 4
    assert comparisons.iloc[1]["Method"] == "Wilcoxon rank sum test"  # as gtsummary names it
    ancova = "ipssr_post_score ~ arm + ipssr_base_score"
    term = "arm[T.lenalidomide]"
    est, low, high = (
        find(records, "ipssr_post_score", "", term, stat, ancova).value
        for stat in ("estimate", "conf_low", "conf_high")
    )
    assert comparisons.iloc[0]["Estimate (CI)"] == (
        f"difference {est:.2f} (95% CI {low:.2f} to {high:.2f})"
    )


def test_shift_table_adds_up_to_the_margins(records):
    for arm in ("thalidomide", "lenalidomide"):
        cells = {r.level: r.value for r in records if r.variable == "ipssr_shift" and r.arm == arm}
        for b in ("Very Low", "Low", "Intermediate", "High", "Very High"):
            row = sum(v for k, v in cells.items() if k.startswith(f"{b} -> "))
            assert row == find(records, "ipssr_base_category", arm, b, "n").value


# ---------------------------------------------------------------- derive hook
def test_derived_variables_and_labels():
    cohort = load_example()
    for t, when in (("base", "before"), ("post", "after")):
        assert cohort.label(f"ipssr_{t}_score") == f"IPSS-R score {when} treatment"
        assert cohort.label(f"ipssr_{t}_category") == f"IPSS-R risk category {when} treatment"
        assert cohort.data[f"ipssr_{t}_category"].cat.ordered
        assert cohort.derived[f"ipssra_{t}_score"] == "mdsrs_ipssr"


def test_post_treatment_ipssra_uses_age_at_treatment_start(frame):
    data = Cohort(frame, reference="thal").data
    s, age = data["ipssr_post_score"], data["age"]
    expected = s + (age - 70) * (0.05 - s * 0.005)
    assert np.allclose(data["ipssra_post_score"], expected, rtol=0, atol=5e-5)


def test_missing_component_gives_missing_score_not_zero(frame):
    frame.loc[2, "hgb_post"] = None
    frame.loc[5, "cyto_base"] = None
    data = Cohort(frame, reference="thal").data
    assert math.isnan(data.loc[2, "ipssr_post_score"])
    assert pd.isna(data.loc[2, "ipssr_post_category"])
    assert not math.isnan(data.loc[2, "ipssr_base_score"])
    assert math.isnan(data.loc[5, "ipssr_base_score"])
    assert data["ipssr_base_score"].notna().sum() == 7


def test_without_age_no_ipssra(frame):
    data = Cohort(frame.drop(columns="age"), reference="thal").data
    assert "ipssr_base_score" in data and "ipssra_base_score" not in data


def test_without_post_components_only_baseline_is_derived(frame):
    cohort = Cohort(frame.drop(columns=["hgb_post"]), reference="thal")
    assert "ipssr_base_score" in cohort.data and "ipssr_post_score" not in cohort.data
    out = run(cohort, only="ipssr")
    assert out["ipssr"].status == "skipped"
    assert out["ipssr"].reason == (
        "needs hgb_post (IPSS-R components after treatment), not in the data; the IPSS-R "
        "before treatment is reported in Table 1 (baseline)"
    )


def test_user_column_with_a_derived_name_is_kept(frame):
    frame["ipssr_base_score"] = 9.0
    cohort = Cohort(frame, reference="thal")
    assert (cohort.data["ipssr_base_score"] == 9.0).all()
    assert "ipssr_base_category" not in cohort.data
    assert any(
        "IPSS-R before treatment not derived: ipssr_base_score is a column" in n
        for n in cohort.notes
    )


def test_derived_score_usable_in_any_formula():
    from mdsrs_core.models import coxph

    fit = coxph("Surv(os_months, death) ~ arm + ipssr_base_score", data=load_example())
    assert "ipssr_base_score" in list(fit.tidy()["term"])


# ---------------------------------------------------------------- small cohorts, edge cases
def test_patients_with_a_missing_score_are_excluded_with_the_reason(frame):
    frame.loc[2, "hgb_post"] = None  # P3, len
    frame.loc[3, ["cyto_base", "anc_post"]] = [None, None]  # P4, thal
    out = run(Cohort(frame, reference="thal"), only="ipssr")
    res = out["ipssr"].result
    assert res.n_analysed == {"thal": 3, "len": 3}
    reasons = {(e.patient_id, e.arm): e.reason for e in res.exclusions}
    assert reasons == {
        ("P3", "len"): "IPSS-R after treatment not computable (missing hgb_post)",
        ("P4", "thal"): "IPSS-R before treatment not computable (missing cyto_base); "
        "IPSS-R after treatment not computable (missing anc_post)",
    }
    assert sum(res.n_analysed.values()) + len(res.exclusions) == 8


def test_separated_categories_are_a_note_not_an_estimate(frame):
    # after treatment: len Very Low, Low, Very Low; thal Intermediate, Low, Low (the same
    # six patients as above): quasi-complete separation, R's clm has no finite estimate
    frame.loc[2, "hgb_post"] = None
    frame.loc[3, ["cyto_base", "anc_post"]] = [None, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow from exponentiating a divergent fit
        out = run(Cohort(frame, reference="thal"), only="ipssr")
    res = out["ipssr"].result
    assert (
        "Proportional-odds model (ipssr_post_category ~ arm) not estimable: The clm model "
        "'ipssr_post_category ~ arm' has no finite maximum-likelihood estimate (every row "
        "with arm[T.len] is in a category at or below every row without it: quasi-complete "
        "separation); no estimate can be reported."
    ) in res.notes
    assert any(
        n.startswith(
            "Proportional-odds model (ipssr_post_category ~ arm + ipssr_base_score) not estimable"
        )
        for n in res.notes
    )
    assert not [
        r for r in res.records if r.variable == "ipssr_post_category" and r.stat == "estimate"
    ]
    # the ANCOVA and the rank-sum test are still reported
    assert find(res.records, "ipssr_post_score", "", "", "p_value").value > 0


def test_one_post_category_for_everyone_is_a_note_not_a_crash(frame):
    frame["hgb_post"] = 12.0
    frame["plt_post"] = 200
    frame["anc_post"] = 2.0
    frame["bm_blast_post"] = 1
    frame["cyto_post"] = "good"  # everyone scores 1 after treatment: Very Low
    out = run(Cohort(frame, reference="thal"), only="ipssr")
    assert out["ipssr"].status == "ok"
    notes = out["ipssr"].result.notes
    assert any(
        n.startswith("Proportional-odds model (ipssr_post_category ~ arm) not estimable:")
        and "only one level" in n
        for n in notes
    )
    recs = [r for r in out.records if r.endpoint == "ipssr"]
    assert not [r for r in recs if r.variable == "ipssr_post_category" and r.stat == "p_value"]
    # the ANCOVA and the Wilcoxon test still run; with every post score equal, R's
    # wilcox.test gives W = 8 and p = NA (0 / 0 in its normal approximation)
    assert find(recs, "ipssr_post_score", "", "", "statistic").value == 8
    assert math.isnan(find(recs, "ipssr_post_score", "", "", "p_value").value)
    assert (
        "Wilcoxon rank-sum test of the post-treatment IPSS-R score: no p-value, every "
        "patient has the same score (R's wilcox.test gives NA)."
    ) in notes


def test_an_arm_without_complete_patients_gets_no_comparison(frame):
    frame.loc[frame["arm"] == "len", "cyto_post"] = None
    out = run(Cohort(frame, reference="thal"), only="ipssr")
    res = out["ipssr"].result
    assert out["ipssr"].status == "ok"
    assert res.n_analysed == {"thal": 4, "len": 0}
    assert len(res.exclusions) == 4
    assert res.notes == [
        "No between-arm comparison of the IPSS-R: no patient of arm len has "
        "a score both before and after treatment."
    ]
    assert not [r for r in res.records if r.stat == "p_value"]
    tables = out["ipssr"].endpoint.tables(res.records)
    assert "Between-arm comparisons" not in tables


def test_formula_override_from_a_study_file():
    out = run(
        load_example(),
        only="ipssr",
        settings={"ipssr": {"formula": "ipssr_post_score ~ arm + ipssr_base_score + age"}},
    )
    recs = [r for r in out.records if r.endpoint == "ipssr"]
    age = find(
        recs,
        "ipssr_post_score",
        "",
        "age",
        "estimate",
        "ipssr_post_score ~ arm + ipssr_base_score + age",
    )
    assert math.isfinite(age.value)


def test_conflicting_conclusions_are_noted():
    # alpha between the two p-values (ANCOVA 0.0098, Wilcoxon 0.027)
    out = run(load_example(), only="ipssr", alpha=0.02)
    assert any(
        n.startswith(
            "The post-treatment IPSS-R score differs between arms at alpha = 0.02 by the ANCOVA"
        )
        for n in out["ipssr"].result.notes
    )


# ---------------------------------------------------------------- one cytogenetic vocabulary
SPELLINGS = [
    "very good",
    "Very Good",
    "Very-Good",
    "very_good",
    "VERY  GOOD",
    "v. good",
    "verygood",
    "VG",
    "vg",
    "v.g.",
    "good",
    "G",
    "g",
    "intermediate",
    "Int",
    "int.",
    "intermed.",
    "Interm",
    "INTER",
    "I",
    "poor",
    "P",
    "very poor",
    "Very-Poor",
    "v.poor",
    "VP",
    "vpoor",
    # not accepted by either
    "excellent",
    "5q-",
    "del(5q)",
    "very very good",
    "gd",
    "inter-mediate",
    "VGP",
]


@pytest.mark.parametrize("label", SPELLINGS)
def test_cohort_validator_and_calculator_accept_the_same_spellings(frame, label):
    frame["cyto_base"] = [label] + ["good"] * 7
    try:
        via_cohort = Cohort(frame, reference="thal", derive=False).data["cyto_base"].iloc[0]
    except CohortError:
        via_cohort = None
    try:
        via_calculator = normalize_cyto(pd.Series([label])).iloc[0]
    except CohortError:
        via_calculator = None
    assert via_cohort == via_calculator


def test_synonym_table_is_the_core_one():
    from mdsrs_core.variables import CYTO_LEVELS, CYTO_SYNONYMS

    assert set(CYTO_SYNONYMS.values()) == set(CYTO_LEVELS)
    values = pd.Series(list(CYTO_SYNONYMS))
    assert normalize_cyto(values).tolist() == list(CYTO_SYNONYMS.values())


# ---------------------------------------------------------------- mdsrs ipssr
def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_writes_scores_with_the_input_columns(tmp_path):
    out = invoke("ipssr", str(PATIENTS), "-o", str(tmp_path / "scored.csv"))
    assert out.exit_code == 0, out.output
    assert out.output == f"Wrote {tmp_path / 'scored.csv'} (62 patients).\n"
    written = pd.read_csv(tmp_path / "scored.csv")
    original = pd.read_csv(PATIENTS)
    assert list(written.columns) == [
        *original.columns,
        "ipssr_score",
        "ipssr_category",
        "ipssra_score",
        "ipssra_category",
    ]
    derived = load_example().data
    assert written["ipssr_score"].tolist() == derived["ipssr_base_score"].tolist()
    assert written["ipssr_category"].tolist() == derived["ipssr_base_category"].astype(str).tolist()
    assert written["ipssra_score"].tolist() == derived["ipssra_base_score"].tolist()


def test_cli_map_and_xlsx(tmp_path):
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "HB": [10, 8.2, 7.5],
            "PLT": [150, 239, 23],
            "anc": [1.8, 0.72, 0.24],
            "blasts": [2, 0, 16],
            "karyo": ["Poor", "G", "very-poor"],
            "age": [28, 63.5, 66],
        }
    )
    frame.to_csv(tmp_path / "in.csv", index=False)
    out = invoke(
        "ipssr",
        str(tmp_path / "in.csv"),
        "--map",
        "hgb=HB",
        "--map",
        "plt_base=PLT",
        "--map",
        "cyto=karyo",
        "-o",
        str(tmp_path / "out.xlsx"),
    )
    assert out.exit_code == 0, out.output
    got = pd.read_excel(tmp_path / "out.xlsx")
    # Greenberg's published calculator's values for these patients (golden cases)
    assert got["ipssr_score"].tolist() == [3.0, 2.5, 10.0]
    assert got["ipssr_category"].tolist() == ["Low", "Low", "Very High"]
    assert got["ipssra_score"].tolist() == [1.53, 2.2563, 10.0]


def test_cli_prints_a_table_without_o(tmp_path):
    pd.DataFrame({"hgb": [12], "plt": [200], "anc": [2], "blasts": [1], "cyto": ["vg"]}).to_csv(
        tmp_path / "one.csv", index=False
    )
    out = invoke("ipssr", str(tmp_path / "one.csv"))
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].split() == [
        "hgb",
        "plt",
        "anc",
        "blasts",
        "cyto",
        "ipssr_score",
        "ipssr_category",
    ]
    assert lines[1].split() == ["12", "200", "2", "1", "vg", "0.0", "Very", "Low"]


def test_cli_bad_cytogenetic_label_exits_2_with_the_message(tmp_path):
    pd.DataFrame(
        {
            "hgb_base": [9, 8, 11],
            "plt_base": [120, 40, 300],
            "anc_base": [1.2, 0.5, 2],
            "bm_blast_base": [3, 12, 1],
            "cyto_base": ["good", "excellent", "VG"],
        }
    ).to_csv(tmp_path / "bad.csv", index=False)
    result = CliRunner().invoke(main, ["ipssr", str(tmp_path / "bad.csv")])
    assert result.exit_code == 2
    assert result.output == (
        "Error: bad.csv: column 'cyto_base': unknown IPSS-R cytogenetic risk group "
        "'excellent' in row 3; " + ACCEPTED + "\n"
    )


def test_cli_bad_number_and_missing_column(tmp_path):
    pd.DataFrame(
        {"hgb": ["9", "lots"], "plt": [1, 2], "anc": [1, 1], "blasts": [1, 1], "cyto": ["G", "G"]}
    ).to_csv(tmp_path / "n.csv", index=False)
    result = CliRunner().invoke(main, ["ipssr", str(tmp_path / "n.csv")])
    assert result.exit_code == 2
    assert result.output == (
        "Error: n.csv: column 'hgb': value 'lots' in row 3 is not valid; each value must be a "
        "number >= 0 (or missing).\n"
    )
    result = CliRunner().invoke(main, ["ipssr", str(tmp_path / "n.csv"), "--map", "hgb=HB"])
    assert result.exit_code == 2
    assert result.output.startswith(
        "Error: n.csv: column 'HB' (--map hgb=HB) is not in the data; its columns are: hgb, plt"
    )
    pd.DataFrame({"plt": [1]}).to_csv(tmp_path / "m.csv", index=False)
    result = CliRunner().invoke(main, ["ipssr", str(tmp_path / "m.csv")])
    assert result.exit_code == 2
    assert result.output == (
        "Error: m.csv: no column for hemoglobin (g/dL): name it hgb_base or hgb, or map it "
        "with --map hgb=COLUMN; the data's columns are: plt.\n"
    )


def test_cli_bad_options_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["ipssr", str(PATIENTS), "--map", "hemo=HB"])
    assert result.exit_code == 2
    assert (
        "'hemo' is not an input of the IPSS-R calculator; use hgb, plt, anc, blasts, cyto, "
        "age" in result.output
    )
    result = CliRunner().invoke(main, ["ipssr", str(PATIENTS), "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert "the output file must end in .csv or .xlsx" in result.output
    assert not (tmp_path / "x.json").exists()


def test_calculator_refuses_to_overwrite_score_columns():
    from mdsrs_ipssr.calculator import calculate

    frame = pd.DataFrame(
        {"hgb": [12], "plt": [200], "anc": [2], "blasts": [1], "cyto": ["G"], "ipssr_score": [5]}
    )
    with pytest.raises(CohortError, match="already have column 'ipssr_score'"):
        calculate(frame)


def test_score_is_still_the_contract_function():
    frame = pd.DataFrame([dict(h=10, p=150, a=1.8, b=2, c="poor")])
    assert (
        score(frame, hgb="h", plt="p", anc="a", blasts="b", cyto="c")["ipssr_score"].iloc[0] == 3.0
    )


def test_plugin_module_is_import_light():
    code = (
        "import sys, mdsrs_ipssr\n"
        "heavy = [m for m in ('pandas', 'scipy', 'statsmodels') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
