"""mdsrs_core.stats against R: every reference value comes from tests/results/stats.R.

Regenerate the references with ``Rscript tests/results/stats.R`` (from the repo root).
Comparisons use ``pytest.approx(rel=1e-6)`` unless a comment says why not.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mdsrs_core.stats import describe, proportions, ranks, smd
from mdsrs_core.stats.contingency import (
    chisq_test,
    choose_test,
    expected_counts,
    fisher_test,
)
from mdsrs_core.stats.result import ChisqResult, TestResult

REF = json.loads((Path(__file__).parent / "results" / "stats.json").read_text())
REL = 1e-6


def num(value: Any) -> float:
    """A JSON number from the R script: "Inf"/"-Inf"/"NaN" strings and null -> floats."""
    if value is None:
        return math.nan
    if isinstance(value, str):
        return {"Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}[value]
    return float(value)


def vec(values: list[Any]) -> np.ndarray:
    return np.array([num(v) for v in values], dtype=float)


def approx(expected: Any) -> Any:
    return pytest.approx(expected, rel=REL)


# ---- describe ---------------------------------------------------------------------------

QUANTILE_CASES = sorted(REF["describe"]["quantile"])


@pytest.mark.parametrize("name", QUANTILE_CASES)
def test_quantile_type2_equals_r(name: str) -> None:
    case = REF["describe"]["quantile"][name]
    data = vec(case["data"])
    got = describe.quantile_type2(data, REF["describe"]["probs"])
    assert list(got) == approx([num(v) for v in case["q"]])
    assert describe.median(data) == approx(num(case["median"]))


def test_quantile_type2_scalar_and_known_values() -> None:
    # n = 4, p = 0.25: n p = 1 is an integer, so type 2 averages x(1) and x(2).
    assert describe.quantile_type2([4, 1, 3, 2], 0.25) == 1.5
    assert describe.quantile_type2([4, 1, 3, 2], 0.3) == 2.0
    assert math.isnan(describe.quantile_type2([math.nan, None], 0.5))
    with pytest.raises(ValueError):
        describe.quantile_type2([1, 2, 3], 1.5)


@pytest.mark.parametrize("name", sorted(REF["describe"]["summary"]))
def test_summarize_continuous_equals_r(name: str) -> None:
    case = REF["describe"]["summary"][name]
    got = describe.summarize_continuous(vec(case["data"]))
    assert got["n"] == case["n"]
    assert got["n_missing"] == case["n_missing"]
    for key in ("mean", "median", "p25", "p75", "min", "max"):
        assert got[key] == approx(num(case[key])), key
    if case["sd"] is None:  # R's sd() of one value is NA
        assert math.isnan(got["sd"])
    else:
        assert got["sd"] == approx(num(case["sd"]))


def test_summarize_categorical_equals_r() -> None:
    case = REF["describe"]["categorical"]
    got = describe.summarize_categorical(case["data"], case["levels"])
    assert [got["n"][lev] for lev in case["levels"]] == case["n"]
    assert [got["p"][lev] for lev in case["levels"]] == approx(case["p"])
    assert got["N"] == case["N"]
    assert got["n_missing"] == case["n_missing"]
    assert got["n"]["mCR"] == 0
    with pytest.raises(ValueError):
        describe.summarize_categorical(["CR", "XX"], case["levels"])


# ---- Wilcoxon and t-tests ---------------------------------------------------------------

TWO_SAMPLE = sorted(REF["two_sample"])
PAIRED = sorted(REF["paired"])


def assert_htest(got: TestResult, ref: dict[str, Any]) -> None:
    assert got.method == ref["method"]
    assert got.p_value == approx(num(ref["p_value"]))
    if ref.get("statistic") is not None:
        assert got.statistic == approx(num(ref["statistic"]))
    if ref.get("parameter") is not None:
        assert got.df == approx(num(ref["parameter"]))


@pytest.mark.parametrize("name", TWO_SAMPLE)
def test_wilcox_test_equals_r(name: str) -> None:
    case = REF["two_sample"][name]
    x, y = vec(case["x"]), vec(case["y"])
    assert_htest(ranks.wilcox_test(x, y), case["wilcox"])
    assert_htest(ranks.wilcox_test(x, y, correct=False), case["wilcox_nocorrect"])


def test_wilcox_test_paths() -> None:
    exact = REF["two_sample"]["exact"]
    assert ranks.wilcox_test(vec(exact["x"]), vec(exact["y"])).method == (
        "Wilcoxon rank sum exact test"
    )
    for name in ("ties", "large"):  # ties, or n >= 50: normal approximation
        case = REF["two_sample"][name]
        assert ranks.wilcox_test(vec(case["x"]), vec(case["y"])).method == (
            "Wilcoxon rank sum test with continuity correction"
        )
    missing = REF["two_sample"]["missing"]
    assert ranks.wilcox_test(vec(missing["x"]), vec(missing["y"])).note == (
        "3 missing values dropped"
    )


@pytest.mark.parametrize("name", TWO_SAMPLE)
@pytest.mark.parametrize("kind", ["welch", "pooled"])
def test_t_test_equals_r(name: str, kind: str) -> None:
    case = REF["two_sample"][name]
    ref = case[kind]
    got = ranks.t_test(vec(case["x"]), vec(case["y"]), var_equal=(kind == "pooled"))
    assert_htest(got, ref)
    assert got.estimate == approx(num(ref["estimate"]))
    assert [got.conf_low, got.conf_high] == approx(vec(ref["conf_int"]).tolist())


@pytest.mark.parametrize("name", PAIRED)
def test_signed_rank_and_paired_t_equal_r(name: str) -> None:
    case = REF["paired"][name]
    x, y = vec(case["x"]), vec(case["y"])
    assert_htest(ranks.signed_rank_test(x, y), case["signed"])
    assert_htest(ranks.signed_rank_test(x, y, correct=False), case["signed_nocorrect"])
    ref = case["paired_t"]
    got = ranks.t_test(x, y, paired=True)
    assert_htest(got, ref)
    assert got.estimate == approx(num(ref["estimate"]))
    assert [got.conf_low, got.conf_high] == approx(vec(ref["conf_int"]).tolist())


def test_signed_rank_paths() -> None:
    assert REF["paired"]["exact"]["signed"]["method"] == "Wilcoxon signed rank exact test"
    case = REF["paired"]["ties_zeros"]
    got = ranks.signed_rank_test(vec(case["x"]), vec(case["y"]))
    assert got.method == "Wilcoxon signed rank test with continuity correction"
    assert "3 zero differences dropped" in (got.note or "")
    assert math.isnan(ranks.signed_rank_test([1.0, 2.0], [1.0, 2.0]).p_value)  # R: NaN


def test_t_test_refuses_constant_data() -> None:
    with pytest.raises(ValueError, match="essentially constant"):
        ranks.t_test([2.0, 2.0, 2.0], [2.0, 2.0, 2.0])


# ---- contingency tables -----------------------------------------------------------------

TABLES = sorted(REF["contingency"])


@pytest.mark.parametrize("name", TABLES)
def test_chisq_test_equals_r(name: str) -> None:
    case = REF["contingency"][name]
    if case["chisq"] is None:  # fewer than 2 non-empty rows or columns: R stops too
        with pytest.raises(ValueError):
            chisq_test(case["table"])
        return
    got = chisq_test(case["table"])
    assert isinstance(got, ChisqResult)
    assert_htest(got, case["chisq"])
    assert np.asarray(got.expected) == approx(np.asarray(case["chisq"]["expected"], dtype=float))
    assert_htest(chisq_test(case["table"], correct=True), case["chisq_yates"])


@pytest.mark.parametrize("name", TABLES)
def test_fisher_test_equals_r(name: str) -> None:
    case = REF["contingency"][name]
    got = fisher_test(case["table"])
    ref = case["fisher"]
    assert got.method == ref["method"]
    assert got.p_value == approx(num(ref["p_value"]))
    if ref["estimate"] is None:
        assert got.estimate is None
        return
    assert got.estimate == approx(num(ref["estimate"]))
    assert [got.conf_low, got.conf_high] == approx(vec(ref["conf_int"]).tolist())
    at90 = fisher_test(case["table"], conf_level=0.90)
    assert [at90.conf_low, at90.conf_high] == approx(vec(case["fisher_conf90"]).tolist())


@pytest.mark.parametrize("name", TABLES)
def test_choose_test_follows_gtsummary(name: str) -> None:
    case = REF["contingency"][name]
    chosen = choose_test(case["table"])
    assert chosen.min_expected == approx(num(case["gtsummary_min_expected"]))
    if case["gtsummary_test"] == "fisher.test":
        assert chosen.result.method == "Fisher's Exact Test for Count Data"
        assert "Fisher" in chosen.rule and "< 5" in chosen.rule
    else:
        assert chosen.result.method == "Pearson's Chi-squared test"
        assert ">= 5" in chosen.rule


def test_responders_12_of_24_vs_9_of_38() -> None:
    table = REF["contingency"]["resp_12_24_vs_9_38"]["table"]
    assert round(chisq_test(table).p_value, 3) == 0.033
    assert round(fisher_test(table).p_value, 3) == 0.053
    assert choose_test(table).result.p_value == approx(0.03295808281038946)


def test_expected_count_boundary_is_chisq() -> None:
    # Every expected count >= 5 with the smallest exactly 5: gtsummary keeps chi-squared.
    chosen = choose_test(REF["contingency"]["boundary_5"]["table"])
    assert chosen.min_expected == 5.0
    assert chosen.result.method == "Pearson's Chi-squared test"


def test_expected_counts_and_yates_cap() -> None:
    assert expected_counts([[12, 12], [9, 29]])[0, 0] == approx(24 * 21 / 62)
    # |O - E| = 0.238 < 0.5: R's Yates correction shrinks to |O - E| and X^2 becomes 0.
    small = chisq_test([[5, 5], [5, 6]], correct=True)
    assert small.statistic == pytest.approx(0.0, abs=1e-12)  # exact zero up to rounding
    assert small.method == "Pearson's Chi-squared test with Yates' continuity correction"


def test_fisher_rxc_is_fast_enough() -> None:
    table = REF["contingency"]["response_2x6"]["table"]
    start = time.perf_counter()
    result = fisher_test(table)
    assert time.perf_counter() - start < 1.0
    assert result.p_value == approx(num(REF["contingency"]["response_2x6"]["fisher"]["p_value"]))


def test_fisher_drops_empty_columns_of_rxc_tables() -> None:
    got = fisher_test(REF["contingency"]["empty_col_2x6"]["table"])
    assert got.note == "1 empty row(s)/column(s) dropped"
    with pytest.raises(ValueError):
        fisher_test([[1, 2, -1], [3, 4, 5]])


# ---- proportions ------------------------------------------------------------------------

PROPORTIONS = REF["proportions"]


@pytest.mark.parametrize("case", PROPORTIONS, ids=lambda c: f"{c['x']}of{c['n']}")
@pytest.mark.parametrize("level", ["conf95", "conf90"])
def test_proportion_intervals_equal_r(case: dict[str, Any], level: str) -> None:
    x, n, conf = int(case["x"]), int(case["n"]), 0.95 if level == "conf95" else 0.90
    ref = case[level]
    est, low, high = proportions.clopper_pearson(x, n, conf)
    assert est == x / n
    assert [low, high] == approx(vec(ref["clopper_pearson"]).tolist())
    assert list(proportions.wilson(x, n, conf)[1:]) == approx(vec(ref["wilson"]).tolist())
    assert list(proportions.wilson(x, n, conf, correct=True)[1:]) == approx(
        vec(ref["wilson_cc"]).tolist()
    )


@pytest.mark.parametrize(
    "case", REF["newcombe"], ids=lambda c: "-".join(str(int(v)) for v in c["counts"])
)
def test_newcombe_equals_r_formula(case: dict[str, Any]) -> None:
    x1, n1, x2, n2 = (int(v) for v in case["counts"])
    assert list(proportions.newcombe_diff(x1, n1, x2, n2)) == approx(vec(case["conf95"]).tolist())
    assert list(proportions.newcombe_diff(x1, n1, x2, n2, 0.90)) == approx(
        vec(case["conf90"]).tolist()
    )


@pytest.mark.parametrize(
    "case", REF["newcombe_published"], ids=lambda c: "-".join(str(int(v)) for v in c["counts"])
)
def test_newcombe_equals_published_table(case: dict[str, Any]) -> None:
    x1, n1, x2, n2 = (int(v) for v in case["counts"])
    _, low, high = proportions.newcombe_diff(x1, n1, x2, n2)
    # Newcombe (1998) Table II prints 4 decimals: agreement to rounding, i.e. 5e-5.
    assert low == pytest.approx(case["lower"], abs=5e-5)
    assert high == pytest.approx(case["upper"], abs=5e-5)


def test_proportion_boundaries_and_errors() -> None:
    assert proportions.clopper_pearson(0, 24)[1] == 0.0
    assert proportions.clopper_pearson(24, 24)[2] == 1.0
    assert proportions.wilson(0, 24)[1] == 0.0
    d, low, high = proportions.newcombe_diff(0, 24, 0, 38)
    assert d == 0.0 and low < 0 < high
    with pytest.raises(ValueError):
        proportions.wilson(5, 4)
    with pytest.raises(ValueError):
        proportions.clopper_pearson(1.5, 4)


# ---- standardized mean differences ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REF["smd"]["continuous"]))
def test_smd_continuous_equals_smd_package(name: str) -> None:
    case = REF["smd"]["continuous"][name]
    x, y = vec(case["x"]), vec(case["y"])
    assert smd.smd_continuous(x, y) == approx(num(case["smd_pop"]))
    assert smd.smd_continuous(x, y, ddof=1) == approx(num(case["smd_sample"]))
    assert smd.smd_continuous(y, x) == approx(-num(case["smd_pop"]))  # sign: x minus y


@pytest.mark.parametrize("name", sorted(REF["smd"]["categorical"]))
def test_smd_categorical_equals_smd_package(name: str) -> None:
    case = REF["smd"]["categorical"][name]
    got = smd.smd_categorical(case["x"], case["y"], levels=case["levels"])
    assert got == approx(num(case["smd"]))
    if "smd_drop_one" in case:  # Yang & Dalton's drop-one-level form gives the same number
        assert got == approx(num(case["smd_drop_one"]))


@pytest.mark.parametrize(
    "case", REF["smd"]["binary"], ids=lambda c: "-".join(str(int(v)) for v in c["counts"])
)
def test_smd_binary_equals_smd_package(case: dict[str, Any]) -> None:
    x1, n1, x2, n2 = (int(v) for v in case["counts"])
    got = smd.smd_binary(x1, n1, x2, n2)
    assert got == approx(num(case["smd"]))
    assert got == approx(num(case["smd_numeric_01"]))  # smd() of a 0/1 numeric variable


def test_smd_binary_factor_is_unsigned() -> None:
    ref = REF["smd"]["categorical"]["responder"]
    assert smd.smd_categorical(ref["x"], ref["y"]) == approx(abs(smd.smd_binary(12, 24, 9, 38)))
    assert smd.smd_categorical(ref["y"], ref["x"]) == approx(num(ref["smd"]))


# ---- result type and package import ----------------------------------------------------


def test_test_result_is_frozen() -> None:
    result = TestResult("m", 1.0, None, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_value = 0.1  # type: ignore[misc]
    assert result.estimate is None and result.note is None


def test_package_import_does_not_load_scipy() -> None:
    code = (
        "import sys, mdsrs_core.stats; "
        "print(any(m.split('.')[0] in ('scipy', 'statsmodels') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
