"""Property-based tests (hypothesis): the cohort validator, the IPSS-R calculator and the formula
allow-list, on generated inputs. Bounded ``max_examples`` keep the file under 20 seconds."""

from __future__ import annotations

import keyword
import math
import re
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdsrs_core import Cohort, CohortError
from mdsrs_core.errors import FormulaError
from mdsrs_core.formula_check import ALLOWED_FUNCTIONS, check_formula
from mdsrs_core.variables import CYTO_LEVELS, RESPONSE_LEVELS

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ============================================================================ cohort validator

RANGES = {  # inside the plausible ranges of mdsrs_core.variables
    "age": (18, 100),
    "hgb_base": (2, 25),
    "hgb_post": (2, 25),
    "plt_base": (0, 2000),
    "plt_post": (0, 2000),
    "anc_base": (0, 100),
    "anc_post": (0, 100),
    "bm_blast_base": (0, 100),
    "bm_blast_post": (0, 100),
}
CATEGORIES = {
    "sex": ("F", "M"),
    "response": RESPONSE_LEVELS,
    "cyto_base": CYTO_LEVELS,
    "cyto_post": CYTO_LEVELS,
}


def _floats(low: float, high: float):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def valid_cohorts(draw) -> pd.DataFrame:
    n = draw(st.integers(4, 80))
    col = {"patient_id": [f"P{i:03d}" for i in draw(st.permutations(range(n)))]}
    arms = draw(st.lists(st.sampled_from(["thal", "len"]), min_size=n, max_size=n))
    arms[:2] = ["thal", "len"]  # both arms present
    col["arm"] = arms
    for name, (low, high) in RANGES.items():
        col[name] = draw(st.lists(_floats(low, high), min_size=n, max_size=n))
    for name, levels in CATEGORIES.items():
        col[name] = draw(st.lists(st.sampled_from(levels), min_size=n, max_size=n))
    col["ae_max_grade"] = [
        float(g) for g in draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    ]
    os_months = draw(st.lists(_floats(0.1, 600), min_size=n, max_size=n))
    share = draw(st.lists(_floats(0.01, 1), min_size=n, max_size=n))
    col["os_months"] = os_months
    col["aml_months"] = [min(t, t * u) for t, u in zip(os_months, share, strict=True)]
    col["death"] = [float(x) for x in draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))]
    col["aml"] = [float(x) for x in draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))]
    return pd.DataFrame(col)


@FAST
@given(valid_cohorts())
def test_valid_cohort_is_accepted_and_every_value_kept(frame):
    cohort = Cohort(frame, reference="thal", derive=False)
    data = cohort.data
    assert cohort.arms == ["thal", "len"] and cohort.n == len(frame)
    assert data["patient_id"].tolist() == frame["patient_id"].tolist()
    assert data["arm"].astype(str).tolist() == frame["arm"].tolist()
    for name in [*RANGES, "ae_max_grade", "os_months", "aml_months", "death", "aml"]:
        assert data[name].tolist() == frame[name].tolist(), name
    for name in CATEGORIES:
        assert data[name].astype(str).tolist() == frame[name].tolist(), name


def _corruptions(column: str) -> list[tuple[str, object]]:
    """(what, value) that break ``column``'s rule."""
    if column in RANGES:
        low, high = {"age": (0, 120)}.get(column, RANGES[column])
        return [
            ("above range", high * 10 + 1),
            ("below range", low - 1),
            ("text", "n.d."),
            ("decimal comma", "1,5"),
            ("percent", "12%"),
        ]
    if column in ("os_months", "aml_months"):
        # 0 is a valid time (as in R): not a corruption
        return [("negative", -2.0), ("over 600", 601.0), ("date", "2019-03-01")]
    if column in ("death", "aml"):
        return [("R coding", 2), ("text", "yes"), ("other", -1)]
    if column == "ae_max_grade":
        return [("grade 6", 6.0), ("fraction", 2.5), ("negative", -1.0), ("roman", "III")]
    if column in CATEGORIES:
        return [("unknown level", "zzz"), ("number", "7")]
    if column == "patient_id":
        return [("duplicate", "DUP"), ("empty", None)]
    raise AssertionError(column)


CORRUPTIBLE = [
    "patient_id",
    *RANGES,
    *CATEGORIES,
    "ae_max_grade",
    "os_months",
    "aml_months",
    "death",
    "aml",
]


@FAST
@given(valid_cohorts(), st.sampled_from(CORRUPTIBLE), st.data())
def test_one_corrupted_cell_is_named_by_column_and_row(frame, column, data):
    row = data.draw(st.integers(0, len(frame) - 1), label="row")
    what, value = data.draw(st.sampled_from(_corruptions(column)), label="corruption")
    frame[column] = frame[column].astype(object)
    rows = [row]
    if what == "duplicate":
        other = (row + 1) % len(frame)
        value = frame.loc[other, "patient_id"]
        rows.append(other)
    frame.loc[row, column] = value
    with pytest.raises(CohortError) as info:  # any other exception type fails the test
        Cohort(frame, reference="thal", derive=False)
    err = info.value
    mine = [p for p in err.problems if p.column == column]
    assert mine, str(err)
    assert any(set(rows) <= set(p.rows) for p in mine), str(err)
    lines = [ln for ln in str(err).split("\n") if f"column '{column}', index " in ln]
    assert any(all(re.search(rf"index [\d, ]*\b{r}\b", ln) for r in rows) for ln in lines), str(err)


# ============================================================================ IPSS-R calculator

ipssr = pytest.importorskip("mdsrs_ipssr")
CUTS = (1.5, 3.0, 4.5, 6.0)
NAMES = ("Very Low", "Low", "Intermediate", "High", "Very High")

patient = st.fixed_dictionaries(
    {
        "hgb": _floats(2, 25),
        "plt": _floats(0, 2000),
        "anc": _floats(0, 100),
        "blasts": _floats(0, 100),
        "cyto": st.sampled_from(CYTO_LEVELS),
        "age": _floats(18, 100),
    }
)


def _score(rows: list[dict], age: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return ipssr.score(
        frame,
        hgb="hgb",
        plt="plt",
        anc="anc",
        blasts="blasts",
        cyto="cyto",
        age="age" if age else None,
    )


def _category(s: float) -> str:
    return NAMES[sum(s > c for c in CUTS)]


@settings(max_examples=60, deadline=None)
@given(st.lists(patient, min_size=1, max_size=20))
def test_ipssr_range_steps_and_categories(rows):
    out = _score(rows)
    for s, cat in zip(out["ipssr_score"], out["ipssr_category"], strict=True):
        assert 0 <= s <= 10
        assert (s * 2).is_integer()
        assert cat == _category(s)


@st.composite
def worse(draw, p: dict) -> dict:
    """``p`` with one component made worse (or left as is)."""
    q = dict(p)
    which = draw(st.sampled_from(["hgb", "plt", "anc", "blasts", "cyto"]))
    if which == "blasts":
        q["blasts"] = draw(_floats(p["blasts"], 100))
    elif which == "cyto":
        q["cyto"] = draw(st.sampled_from(CYTO_LEVELS[CYTO_LEVELS.index(p["cyto"]) :]))
    else:
        q[which] = draw(_floats({"hgb": 2}.get(which, 0), p[which]))
    return q


@settings(max_examples=80, deadline=None)
@given(patient.flatmap(lambda p: st.tuples(st.just(p), worse(p))))
def test_ipssr_is_monotone(pair):
    better, worse_ = pair
    out = _score([better, worse_])
    assert out["ipssr_score"].iloc[1] >= out["ipssr_score"].iloc[0]


@settings(max_examples=40, deadline=None)
@given(st.lists(patient, min_size=1, max_size=10), st.data())
def test_ipssr_missing_component_gives_missing_score(rows, data):
    i = data.draw(st.integers(0, len(rows) - 1))
    component = data.draw(st.sampled_from(["hgb", "plt", "anc", "blasts", "cyto"]))
    rows[i] = {**rows[i], component: None}
    out = _score(rows, age=True)
    assert math.isnan(out["ipssr_score"].iloc[i])
    assert pd.isna(out["ipssr_category"].iloc[i])
    assert math.isnan(out["ipssra_score"].iloc[i])
    others = [j for j in range(len(rows)) if j != i]
    assert out["ipssr_score"].iloc[others].notna().all()


@settings(max_examples=60, deadline=None)
@given(st.lists(patient, min_size=1, max_size=20))
def test_ipssra_equals_the_formula(rows):
    out = _score(rows, age=True)
    for s, age, ra, cat in zip(
        out["ipssr_score"],
        [r["age"] for r in rows],
        out["ipssra_score"],
        out["ipssra_category"],
        strict=True,
    ):
        ds, da = Decimal(repr(float(s))), Decimal(repr(float(age)))
        exact = ds + (da - 70) * (Decimal("0.05") - ds * Decimal("0.005"))
        assert ra == float(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
        assert abs(ra - (s + (age - 70) * (0.05 - s * 0.005))) <= 5.1e-5
        assert cat == _category(ra)


# ============================================================================ formula allow-list

_RESERVED = set(ALLOWED_FUNCTIONS) | {"np", "numpy", "Q"}
names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and not keyword.issoftkeyword(s) and s not in _RESERVED
)


@st.composite
def terms(draw, depth: int = 2) -> str:
    kind = draw(
        st.sampled_from(
            ["name", "C", "I", "log", "strata", "interaction", "product", "power", "sub"]
            if depth
            else ["name", "C", "I", "log"]
        )
    )
    a = draw(names)
    if kind == "name":
        return a
    if kind == "C":
        return draw(st.sampled_from([f"C({a})", f"C({a}, Treatment('x'))"]))
    if kind == "I":
        b = draw(names)
        op = draw(st.sampled_from(["+", "-", "*", "/", "**", ">", "<=", "=="]))
        return f"I({a} {op} {b})"
    if kind == "log":
        f = draw(st.sampled_from(["log", "sqrt", "exp", "np.log", "log1p", "abs"]))
        return f"{f}({a})"
    if kind == "strata":
        return f"strata({a})"
    left, right = draw(terms(depth - 1)), draw(terms(depth - 1))
    op = {"interaction": ":", "product": "*", "sub": "-", "power": "+"}[kind]
    text = f"{left} {op} {right}"
    return f"({text}) ^ 2" if kind == "power" else text


@st.composite
def formulas(draw) -> str:
    lhs = draw(st.sampled_from(["name", "surv", "none"]))
    if lhs == "surv":
        left = f"Surv({draw(names)}, {draw(names)})"
    elif lhs == "name":
        left = draw(names)
    else:
        left = ""
    rhs = " + ".join(draw(st.lists(terms(), min_size=1, max_size=4)))
    return f"{left} ~ {rhs}".strip()


@settings(max_examples=150, deadline=None)
@given(formulas())
def test_any_formula_of_the_grammar_passes(formula):
    assert check_formula(formula) == []


SENTINEL_DIR = Path(tempfile.mkdtemp(prefix="mdsrs-sentinel-"))

FORBIDDEN = [
    "__import__('pathlib').Path('{p}').touch()",  # dunder call + attribute calls
    "open('{p}', 'w')",  # unknown function
    "np.save('{p}', 1)",  # attribute call on numpy
    "{n}.__class__",  # dunder attribute
    "__builtins__",  # dunder name
    "{n}[0]",  # subscript
    "(lambda: open('{p}', 'w'))()",  # lambda
    "{n}.write_text('{p}')",  # attribute call
    "exec(\"open('{p}', 'w')\")",  # unknown function
    "getattr({n}, 'touch')()",  # unknown function
]
unknown_function = names.filter(lambda s: s not in ALLOWED_FUNCTIONS).map(lambda f: f + "('{p}')")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(terms(1), min_size=1, max_size=3),
    st.one_of(st.sampled_from(FORBIDDEN), unknown_function),
    st.sampled_from(["{}", "I({})", "C({})", "strata({})", "log({})", "{} : x"]),
    st.data(),
)
def test_forbidden_construct_is_refused_and_never_runs(parts, construct, wrapper, data):
    sentinel = SENTINEL_DIR / f"pwned-{data.draw(st.integers(0, 10**9))}"
    bad = wrapper.format(construct.format(p=sentinel, n=data.draw(names)))
    position = data.draw(st.integers(0, len(parts)))
    formula = "y ~ " + " + ".join([*parts[:position], bad, *parts[position:]])
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.5, 4.0, 5.5], "x": [1.0, 0.0, 1.0, 0.5, 2.0]})
    from mdsrs_core.models import lm

    with pytest.raises(FormulaError):
        check_formula(formula)
    with pytest.raises(FormulaError, match="is refused before evaluation"):
        lm(formula, frame)
    assert not sentinel.exists()
    assert not any(SENTINEL_DIR.iterdir())
