"""One naming style for statistical tests and units in every table, figure and footnote.

Records keep R's own method strings (``"Fisher's Exact Test for Count Data"``, ``"Wilcoxon
rank sum test with continuity correction"``: what ``htest$method`` says, so a reader can
match them with R); tables show them as gtsummary's ``add_p()`` footnotes name them
("Fisher's exact test", "Wilcoxon rank sum test", "Pearson's Chi-squared test"), and a test
of a model's term as "Wald test (Cox model)". :func:`test_name` is that one mapping.

Units are written one way everywhere: ``×10⁹/L`` (multiplication sign, superscript nine),
whatever the spelling in a variable table or a study file (``x10^9/L``, ``10^9/L``,
``10e9/L``); :func:`display_unit` does it.
"""

from __future__ import annotations

import re

__all__ = ["test_name", "display_unit", "SUPERSCRIPTS"]

#: R's ``htest$method`` texts (and mdsrs method texts) -> the name tables show, tried in
#: order: the first pattern found in the method text wins
_NAMES: tuple[tuple[str, str], ...] = (
    (r"^Wilcoxon rank sum", "Wilcoxon rank sum test"),
    (r"^Wilcoxon signed rank", "Wilcoxon signed rank test"),
    (r"^Kruskal-Wallis", "Kruskal-Wallis rank sum test"),
    (r"^Pearson's Chi-squared test with Yates", "Chi-squared test with Yates' correction"),
    (r"^Pearson's Chi-squared", "Pearson's Chi-squared test"),
    (
        r"^Fisher's Exact Test.*simulated p-value",
        "Fisher's exact test (Monte Carlo p-value, as R's simulate.p.value = TRUE)",
    ),
    (r"^Fisher's Exact Test", "Fisher's exact test"),
    (r"^Welch Two Sample t-test", "Welch Two Sample t-test"),
    (r"Two Sample t-test", "Two Sample t-test"),
    (r"^Paired t-test", "Paired t-test"),
    (r"^Log-rank", "Log-rank test"),
    (r"^Gray's test", "Gray's test"),
    (r"^Logistic regression", "Wald test (logistic regression)"),
    (r"^Firth's penalised logistic", "Penalised likelihood-ratio test (Firth)"),
    (r"^Likelihood-ratio test of arm", "Likelihood-ratio test (logistic regression)"),
    (r"^Penalised likelihood-ratio", "Penalised likelihood-ratio test (Firth)"),
    (r"^Proportional-odds model", "Wald test (proportional-odds model)"),
    (r"^Fine-Gray", "Wald test (Fine-Gray model)"),
    (r"^Cause-specific Cox", "Wald test (cause-specific Cox model)"),
    (r"^Cox proportional-hazards", "Wald test (Cox model)"),
    (r"^ANCOVA", "t-test (ANCOVA)"),
    (r"^Linear regression \(lm\), ANCOVA", "t-test (ANCOVA)"),
    (r"^Linear regression", "t-test (linear regression)"),
)
_COMPILED = tuple((re.compile(p), name) for p, name in _NAMES)


def test_name(method: str | None) -> str:
    """The display name of a test from its record's ``method`` text (``""`` for none);
    a method text of no known test is shown as it is, up to its first ``;``."""
    if not method:
        return ""
    text = str(method).strip()
    for pattern, name in _COMPILED:
        if pattern.search(text):
            return name
    return text.split(";", 1)[0].strip()


# pytest would collect a module-level function named test_*; it is not a test
test_name.__test__ = False  # type: ignore[attr-defined]

SUPERSCRIPTS = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_POWER = re.compile(r"(?:^|(?<=[\s(]))[x×*]?\s?10(?:\^|e|E|\*\*)([-+]?\d+)\s*/\s*(\w+)")


def display_unit(unit: str | None) -> str:
    """``"x10^9/L"`` -> ``"×10⁹/L"`` (also ``10^9/L``, ``10e9/L``, ``×10^12/L``); other
    units unchanged."""
    if not unit:
        return ""
    return _POWER.sub(lambda m: f"×10{m.group(1).translate(SUPERSCRIPTS)}/{m.group(2)}", unit)
