"""compare_binary (mdsrs_core.binary_outcome) against R (tests/results/response.R)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from mdsrs_core import load_example
from mdsrs_core.binary_outcome import compare_binary, format_p
from mdsrs_core.endpoint import EndpointResult

REFERENCE = Path(__file__).parent / "results" / "response.csv"
RESPONDERS = ["CR", "PR", "mCR", "HI"]
ARMS = ["thalidomide", "lenalidomide"]

SCENARIOS = {  # scenario -> (formula, ci_method, how the responders are changed)
    "example": ("responder ~ arm", "clopper-pearson", None),
    "example_wilson": ("responder ~ arm", "wilson", None),
    "example_age": ("responder ~ arm + age", "clopper-pearson", None),
    "zero": ("responder ~ arm", "clopper-pearson", "zero"),
    "zero_age": ("responder ~ arm + age", "clopper-pearson", "zero"),
    "all": ("responder ~ arm", "clopper-pearson", "all"),
    "none": ("responder ~ arm", "clopper-pearson", "none"),
}


def frame(change=None):
    d = load_example().data.copy()
    d["responder"] = d["response"].isin(RESPONDERS).astype(int)
    lena = d["arm"] == "lenalidomide"
    if change == "zero":
        d.loc[lena, "responder"] = 0
    elif change == "all":
        d.loc[lena, "responder"] = 1
    elif change == "none":
        d["responder"] = 0
    return d[["patient_id", "arm", "responder", "age"]]


def compared(scenario):
    formula, ci_method, change = SCENARIOS[scenario]
    result = EndpointResult("response")
    compare_binary(
        result,
        frame(change),
        "responder",
        arms=ARMS,
        alpha=0.05,
        formula=formula,
        label="Responder rate",
        ci_method=ci_method,
    )
    return result


@pytest.fixture(scope="module")
def results():
    return {name: compared(name) for name in SCENARIOS}


def keyed(result):
    return {(r.variable, r.arm or "", r.level or "", r.stat): r for r in result.records}


def r_rows():
    with REFERENCE.open() as f:
        return [
            (r["scenario"], r["variable"], r["arm"], r["level"], r["stat"], r["value"])
            for r in csv.DictReader(f)
            if r["scenario"] in SCENARIOS and r["variable"] == "responder"
        ]


@pytest.mark.parametrize(
    "scenario, variable, arm, level, stat, expected", r_rows(), ids=lambda v: str(v)
)
def test_equals_r(results, scenario, variable, arm, level, stat, expected):
    record = keyed(results[scenario]).get((variable, arm, level, stat))
    if expected == "NA":  # R: chisq.test gives NaN when nobody has the event
        assert record is None or record.value is None
        return
    value = record.value
    if expected == "Inf":
        assert value == math.inf
    else:
        assert value == pytest.approx(float(expected), rel=1e-6, abs=1e-12)


def test_every_estimate_and_p_value_is_checked_against_r(results):
    reference = {(s, v, a, lv, st) for s, v, a, lv, st, _ in r_rows()}
    for name, result in results.items():
        for (v, a, lv, st), r in keyed(result).items():
            if (
                st in ("estimate", "p_value", "conf_low", "conf_high", "statistic", "n", "N", "p")
                and r.value is not None
            ):
                assert (name, v, a, lv, st) in reference, (name, v, a, lv, st)


def test_example_conclusion_depends_on_the_test(results):
    rec = keyed(results["example"])
    assert rec[("responder", "", "chosen_test", "p_value")].method == "Pearson's Chi-squared test"
    assert "every expected count >= 5" in rec[("responder", "", "chosen_test", "test_rule")].value
    assert rec[("responder", "", "pearson", "significant")].value is True
    assert rec[("responder", "", "lrt", "significant")].value is True
    assert rec[("responder", "", "fisher", "significant")].value is False
    assert rec[("responder", "", "yates", "significant")].value is False
    assert rec[("responder", "", "conclusion", "robust")].value is False
    sentence = rec[("responder", "", "conclusion", "conclusion")].value
    assert sentence == (
        "The conclusion at alpha = 0.05 depends on the test: significant by Pearson's "
        "chi-square (p = 0.033) and the likelihood-ratio test (p = 0.034), not by Fisher's "
        "exact test (p = 0.053) or Yates' corrected chi-square (p = 0.063)."
    )
    assert any(sentence in note for note in results["example"].notes)


def test_zero_responders_fall_back_to_firth_with_a_note(results):
    res = results["zero"]
    rec = keyed(res)
    odds = rec[("responder", "", "arm[T.lenalidomide]", "estimate")]
    assert "Firth" in odds.method and "profile penalised-likelihood" in odds.method
    # Firth with one binary covariate = Haldane-corrected odds ratio (0/24 vs 9/38)
    assert odds.value == pytest.approx((0.5 / 24.5) / (9.5 / 29.5), rel=1e-9)
    assert rec[("responder", "", "lrt", "p_value")].method.startswith("Penalised")
    assert any("Firth" in n for n in res.notes)
    assert rec[("responder", "", "conclusion", "robust")].value is True


def test_all_responders_and_no_events_are_defined(results):
    rec = keyed(results["all"])
    assert rec[("responder", "lenalidomide", "", "p")].value == 1.0
    assert rec[("responder", "lenalidomide", "", "conf_high")].value == 1.0
    rec = keyed(results["none"])
    assert rec[("responder", "", "pearson", "p_value")].value is None
    assert rec[("responder", "", "pearson", "significant")].value is None
    assert rec[("responder", "", "fisher", "p_value")].value == 1.0
    sentence = rec[("responder", "", "conclusion", "conclusion")].value
    assert "not significant" in sentence and "not defined" in sentence


def test_conf_level_changes_intervals():
    result = EndpointResult("response")
    compare_binary(
        result,
        frame(),
        "responder",
        arms=ARMS,
        alpha=0.05,
        formula="responder ~ arm",
        label="R",
        conf_level=0.90,
    )
    rec = keyed(result)
    low90 = rec[("responder", "lenalidomide", "", "conf_low")].value
    low95 = keyed(compared("example"))[("responder", "lenalidomide", "", "conf_low")].value
    assert low95 < low90 < 0.5
    assert "90%" in rec[("responder", "lenalidomide", "", "conf_low")].method


def test_bad_input_raises():
    bad = frame().assign(responder=2)
    with pytest.raises(ValueError):
        compare_binary(
            EndpointResult("r"),
            bad,
            "responder",
            arms=ARMS,
            alpha=0.05,
            formula="responder ~ arm",
            label="R",
        )
    with pytest.raises(ValueError):
        compare_binary(
            EndpointResult("r"),
            frame(),
            "responder",
            arms=ARMS,
            alpha=0.05,
            formula="responder ~ arm",
            label="R",
            ci_method="wald",
        )


def test_format_p():
    assert format_p(0.0329) == "p = 0.033"
    assert format_p(0.0004) == "p < 0.001"
    assert format_p(None) == "p not defined"
