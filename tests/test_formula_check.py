"""The formula allow-list: what passes, what is refused, and injections that never run."""

from __future__ import annotations

import pandas as pd
import pytest

from mdsrs_core.errors import FormulaError
from mdsrs_core.formula_check import check_formula
from mdsrs_core.models import lm

ALLOWED = [
    "y ~ arm",
    "y ~ arm + age + sex",
    "y ~ arm * age",
    "y ~ arm:age + age",
    "y ~ (arm + age + sex) ^ 2",
    "y ~ (arm + age) ** 2",
    "y ~ arm - 1",
    "y ~ 0 + arm",
    "y ~ 1",
    "~ arm",
    "y ~ C(arm, Treatment('thalidomide'))",
    'y ~ C(arm, Treatment(reference="thalidomide"))',
    "y ~ C(grade, levels=[0, 1, 2, 3])",
    "y ~ I(age / 10) + I(age ** 2)",
    "y ~ I(age > 70)",
    "y ~ I((age > 70) & (sex == 1))",
    "log(y) ~ log(x) + sqrt(z) + exp(w) + log2(a) + log10(b) + log1p(c) + abs(d)",
    "np.log(y) ~ numpy.sqrt(x)",
    "Surv(os_months, death) ~ arm + strata(sex)",
    "Surv(os_months, death) ~ arm + strata(sex, ecog)",
    "y ~ `Age (years)` + `ph.ecog`",
    "y ~ Q('Age (years)')",
    "y ~ ph.ecog",
]


@pytest.mark.parametrize("formula", ALLOWED)
def test_allowed(formula):
    dotted = check_formula(formula)
    assert dotted == (["ph.ecog"] if formula == "y ~ ph.ecog" else [])


REFUSED = [
    (
        "y ~ __import__('os').system('touch pwned')",
        "it calls __import__('os').system(), which is not allowed in a formula",
    ),
    (
        "y ~ I(__import__('os').system('touch pwned'))",
        "it calls __import__('os').system(), which is not allowed in a formula",
    ),
    ("y ~ I(__import__('os'))", "it calls __import__(), which is not allowed in a formula"),
    ("y ~ os.system('touch pwned')", "it calls os.system(), which is not allowed in a formula"),
    ("y ~ x.__class__", "attribute access (x.__class__) is not allowed in a formula"),
    ("y ~ np.random.seed(1)", "it calls np.random.seed(), which is not allowed in a formula"),
    ("y ~ open('pwned', 'w')", "it calls open(), which is not allowed in a formula"),
    ("y ~ eval('1')", "it calls eval(), which is not allowed in a formula"),
    ("y ~ (lambda: 1)()", "it is not a formula (invalid syntax)"),
    ("y ~ I(lambda x: x)", "it is not a formula (invalid syntax)"),
    ("y ~ I(lambda x=1, *a: x)", "it is not a formula (invalid syntax)"),
    ("y ~ x[0]", "subscripts (x[0]) are not allowed in a formula"),
    ("y ~ I([a for a in b])", "'[a for a in b]' (ListComp) is not allowed in a formula"),
    ("y ~ __builtins__", "the name __builtins__ is not allowed in a formula"),
    ("y ~ I('text')", "the constant 'text' is not allowed here"),
    ("y ~ x | z", "the operator in 'x | z' is not allowed"),
    ("y ~ x ~ z", "it needs exactly one '~' (for example 'y ~ arm + age')"),
    ("y + x", "it needs exactly one '~' (for example 'y ~ arm + age')"),
    ("y ~ log(x, base=2)", "log() takes no keyword arguments in a formula"),
    ("y ~ C(arm, Treatment(ref=__import__('os')))", "Treatment() takes no argument ref="),
    ("y ~ C(arm, x.y)", "x.y is not a level or a contrast"),
    ("y ~ Q(x)", "Q() takes one quoted column name"),
    ("y ~ `unclosed", "a backquote is not closed"),
    ("y ~ f'{x}'", "\"f'{x}'\" (JoinedStr) is not allowed in a formula"),
    ("y ~ (x := 1)", "it is not a formula (invalid syntax)"),
    ("y ~ x if z else w", "'x if z else w' (IfExp) is not allowed in a formula"),
]


@pytest.mark.parametrize("formula, why", REFUSED)
def test_refused_with_the_reason(formula, why):
    with pytest.raises(FormulaError) as info:
        check_formula(formula)
    message = str(info.value)
    assert message.startswith(f"The formula {formula!r} is refused before evaluation: {why}")
    assert message.endswith("log, exp, sqrt (also np.log-style), Surv() and strata().")


INJECTIONS = [
    "y ~ __import__('pathlib').Path('{p}').touch()",
    "y ~ I(__import__('pathlib').Path('{p}').touch())",
    "y ~ open('{p}', 'w').close()",
    "y ~ np.save('{p}', 1)",
    "y ~ C(x, __import__('pathlib').Path('{p}').touch())",
    "y ~ I(np.lib.format.open_memmap('{p}'))",
    "Surv(__import__('pathlib').Path('{p}').touch(), y) ~ x",
    "y ~ strata(__import__('pathlib').Path('{p}').touch())",
]


@pytest.mark.parametrize("template", INJECTIONS)
def test_injection_is_refused_and_never_runs(tmp_path, template):
    target = tmp_path / "pwned"
    formula = template.format(p=target)
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 0.0, 1.0, 0.5]})
    with pytest.raises(FormulaError, match="is refused before evaluation"):
        lm(formula, data)
    assert not target.exists()


def test_study_file_formula_refused_before_any_endpoint_runs(tmp_path):
    from click.testing import CliRunner

    from mdsrs_core.cli import main

    target = tmp_path / "pwned"
    out = CliRunner().invoke(
        main,
        [
            "run",
            "--only",
            "baseline",
            "--out",
            str(tmp_path / "o"),
            "--formula",
            f"baseline=y ~ __import__('pathlib').Path('{target}').touch()",
        ],
    )
    assert out.exit_code == 2
    assert not target.exists()
    assert not (tmp_path / "o").exists()


def test_dotted_name_must_be_a_column():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 0.0, 1.0, 0.5]})
    with pytest.raises(FormulaError) as info:
        lm("y ~ x.values", data)
    assert str(info.value).startswith(
        "The formula 'y ~ x.values' names the column 'x.values', which is not in the data."
    )


def test_the_term_limit_counts_a_repeated_factor_once():
    """``a * a : a * a`` is the one term ``a`` (a term is a set of factors: at most
    2^m - 1 of them for m factors), however large the expansion's upper bound; ten
    distinct factors multiplied out are still 1,023 terms, over the limit."""
    assert check_formula("a ~ a * a : a * a + a * a : (a + a) ^ 2") == []
    assert check_formula("y ~ log(x) * log(x) * log(x) * x * x * x * x * x * x * x") == []
    with pytest.raises(FormulaError, match="1,023 model terms"):
        check_formula("y ~ " + " * ".join(f"x{i}" for i in range(10)))


def test_an_interaction_binds_tighter_than_a_sum_in_the_term_count():
    """``d : g * h + e : f + b * c : (a + a0) ^ 2`` has 11 terms: ':' is not read as
    Python's '&', which binds looser than '+' and grouped the sums into one product."""
    assert check_formula("a ~ d : g * h + e : f + b * c : (a + a0) ^ 2") == []
    with pytest.raises(FormulaError, match="':' in 'a:b' is an interaction"):
        check_formula("y ~ I(a:b)")
