"""Two-arm comparison of a binary outcome (responder, transformation to AML...) with its
sensitivity panel: the shared engine of the ``response`` and ``aml`` endpoints.

:func:`compare_binary` appends to an :class:`~mdsrs_core.endpoint.EndpointResult`:

* per arm: events ``n``, patients ``N``, proportion ``p`` with its interval
  (Clopper-Pearson exact, R's ``binom.test``; or Wilson score, R's
  ``prop.test(correct = FALSE)``);
* the rate difference treatment - reference with Newcombe's hybrid score interval
  (level ``"difference"``);
* the odds ratio(s) of ``glm(formula, family = binomial)`` (level = the tidy term, e.g.
  ``"arm[T.lenalidomide]"``), exponentiated, Wald interval; when the data are separated
  (a zero-event or all-event arm, no events at all) glm cannot be fitted and Firth's
  penalised logistic regression (:func:`mdsrs_core.models.logistf.logistf`) is used with
  logistf's defaults -- profile penalised-likelihood interval, penalised likelihood-ratio
  p-value -- and a note says so;
* the test gtsummary's ``add_p()`` chooses (level ``"chosen_test"``, with ``test_rule``);
* the sensitivity panel (levels ``"fisher"``, ``"yates"``, ``"pearson"``, ``"lrt"``):
  Fisher's exact test, Yates-corrected and uncorrected Pearson chi-square, and the
  likelihood-ratio test of the arm term(s) of the logistic model (penalised LR test after
  a Firth fallback), each with ``p_value`` and ``significant`` at ``alpha`` (p < alpha);
* the conclusion (level ``"conclusion"``): ``conclusion`` (a sentence, also a note) and
  ``robust`` (True when every defined test gives the same conclusion).

Every record has ``variable = outcome``; per-arm records carry ``arm``, the others
``arm=None``. :func:`summary_row` formats them into the report's summary-table row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.frames import in_arm

__all__ = ["compare_binary", "CI_METHODS", "format_p", "summary_row"]

CI_METHODS = {
    "clopper-pearson": "Clopper-Pearson exact interval (binom.test)",
    "wilson": "Wilson score interval (prop.test, correct = FALSE)",
}
NEWCOMBE = "Newcombe hybrid score interval (method 10)"

#: names of the panel's tests in the conclusion sentence, in the sentence's order
_SENTENCE_ORDER = ("pearson", "lrt", "fisher", "yates")


def format_p(p: float | None) -> str:
    """``p = 0.033``; ``p < 0.001``; ``p not defined`` (3 decimals, as the report)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p not defined"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


def _arm_interval(x: int, n: int, ci_method: str, conf_level: float) -> tuple[float, float, float]:
    from mdsrs_core.stats.proportions import clopper_pearson, wilson

    if ci_method == "clopper-pearson":
        return clopper_pearson(x, n, conf_level)
    return wilson(x, n, conf_level)


def _arm_columns(design: pd.DataFrame) -> list[str]:
    return [c for c in design.columns if "arm[" in str(c)]


def _glm_lrt(full: Any, design: pd.DataFrame, y: np.ndarray) -> tuple[float, int]:
    """Deviance difference of the fitted glm and the same model without the arm terms."""
    from mdsrs_core.models._glm_engine import irls

    arm_cols = _arm_columns(design)
    reduced = design.drop(columns=arm_cols)
    with np.errstate(all="ignore"):
        fit = irls(reduced.to_numpy(dtype=float), y, "binomial")
    return max(0.0, float(fit.deviance) - full.deviance), len(arm_cols)


def _firth_lrt(fit: Any) -> tuple[float, int]:
    """Penalised LR statistic of the arm terms fixed at 0 (others re-maximised, full penalty)."""
    from mdsrs_core.models.logistf import firth_fit

    design = fit.model_frame.design
    arm_cols = _arm_columns(design)
    free = np.array([c not in arm_cols for c in design.columns])
    start = fit.estimate.copy()
    start[~free] = 0.0
    reduced = firth_fit(fit.x, fit.y, free=free, start=start)[1]
    return max(0.0, 2.0 * (fit.loglik - reduced)), len(arm_cols)


def compare_binary(
    result: Any,
    data: pd.DataFrame,
    outcome: str,
    *,
    arms: list[str],
    alpha: float,
    formula: str,
    label: str,
    ci_method: str = "clopper-pearson",
    conf_level: float = 0.95,
) -> None:
    """Compare a 0/1 ``outcome`` between two arms; append records and notes to ``result``.

    ``data`` has ``patient_id``, ``arm`` (Categorical, reference first = ``arms[0]``),
    ``outcome`` (0/1 without missing values) and the covariates of ``formula``
    (``"<outcome> ~ arm"`` by default at the callers). See the module docstring for the
    records written.
    """
    from mdsrs_core.models import glm
    from mdsrs_core.stats import distributions as stats
    from mdsrs_core.stats.contingency import chisq_test, choose_test, fisher_test
    from mdsrs_core.stats.proportions import newcombe_diff

    if ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {', '.join(CI_METHODS)}, not {ci_method!r}")
    if len(arms) != 2:
        raise ValueError(f"compare_binary compares two arms, got {len(arms)}")
    y = pd.to_numeric(data[outcome])
    if y.isna().any() or not y.isin([0, 1]).all():
        raise ValueError(f"{outcome!r} must be 0/1 without missing values")
    ref, trt = arms
    pct = f"{100 * conf_level:g}%"

    # ---------------------------------------------------------------- per arm
    counts: dict[str, tuple[int, int]] = {}
    for arm in arms:
        ya = y[in_arm(data["arm"], arm)]
        x, n = int(ya.sum()), int(ya.size)
        counts[arm] = (x, n)
        result.add(outcome, "n", x, arm=arm, label=label, n=n)
        result.add(outcome, "N", n, arm=arm, label=label, n=n)
        if n == 0:
            result.add(outcome, "p", None, arm=arm, label=label, n=0)
            result.note(f"{label}: no patient of arm {arm} is analysed; nothing to compare.")
            continue
        p, low, high = _arm_interval(x, n, ci_method, conf_level)
        method = f"{CI_METHODS[ci_method]}, {pct}"
        result.add(outcome, "p", p, arm=arm, label=label, method=method, n=n)
        result.add(outcome, "conf_low", low, arm=arm, label=label, method=method, n=n)
        result.add(outcome, "conf_high", high, arm=arm, label=label, method=method, n=n)
    if any(n == 0 for _, n in counts.values()):
        return
    (x0, n0), (x1, n1) = counts[ref], counts[trt]
    n_all = n0 + n1
    if x0 in (0, n0) or x1 in (0, n1):
        which = [
            f"{'no' if x == 0 else 'every'} patient of {a} ({x}/{n})"
            for a, (x, n) in counts.items()
            if x in (0, n)
        ]
        result.note(
            f"{label}: the outcome occurs in {' and '.join(which)}; the proportions, "
            "difference and tests are defined, the odds ratio needs Firth's method."
        )

    # ---------------------------------------------------------------- difference
    d, low, high = newcombe_diff(x1, n1, x0, n0, conf_level)
    method = f"{NEWCOMBE}, {pct}"
    dlabel = f"{label}: difference {trt} - {ref}"
    for stat, value in (("estimate", d), ("conf_low", low), ("conf_high", high)):
        result.add(outcome, stat, value, level="difference", label=dlabel, method=method, n=n_all)

    # ---------------------------------------------------------------- odds ratio
    firth = None
    try:
        fit = glm(formula, data, family="binomial")
    except ModelError as err:
        from mdsrs_core.models.logistf import logistf

        firth = logistf(formula, data)
        result.note(
            f"{label}: the logistic regression {formula!r} cannot be fitted by maximum "
            f"likelihood ({err}). Firth's penalised logistic regression (logistf) is used "
            f"instead: odds ratio with a profile penalised-likelihood {pct} interval and a "
            "penalised likelihood-ratio test, as logistf reports them."
        )
    if firth is None:
        tidy = fit.tidy(conf_level=conf_level, exponentiate=True)
        model_method = f"Logistic regression (glm, binomial); odds ratio, Wald {pct} CI"
        nobs = fit.nobs
    else:
        tidy = firth.tidy(conf_level=conf_level, exponentiate=True)
        model_method = (
            "Firth's penalised logistic regression (logistf); odds ratio, "
            f"profile penalised-likelihood {pct} CI, penalised likelihood-ratio "
            "test"
        )
        nobs = firth.nobs
    for _, row in tidy.iterrows():
        term = str(row["term"])
        if term == "Intercept":
            continue
        tlabel = (
            f"{label}: odds ratio, {trt} vs {ref}"
            if term == f"arm[T.{trt}]"
            else f"{label}: odds ratio, {term}"
        )
        for stat in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
            result.add(
                outcome,
                stat,
                float(row[stat]),
                level=term,
                label=tlabel,
                method=model_method,
                n=nobs,
            )

    # ---------------------------------------------------------------- tests
    table = np.array([[n0 - x0, x0], [n1 - x1, x1]])
    panel: dict[str, dict[str, Any]] = {}

    chosen = choose_test(table)
    res = chosen.result
    clabel = f"{label}: test chosen by gtsummary's rule"
    result.add(
        outcome,
        "test_rule",
        chosen.rule,
        level="chosen_test",
        label=clabel,
        method=res.method,
        n=n_all,
    )
    for stat, figure in (("statistic", res.statistic), ("df", res.df), ("p_value", res.p_value)):
        if figure is not None:
            result.add(
                outcome, stat, figure, level="chosen_test", label=clabel, method=res.method, n=n_all
            )

    fisher = fisher_test(table, conf_level)
    panel["fisher"] = {
        "name": "Fisher's exact test",
        "method": fisher.method,
        "p_value": fisher.p_value,
        "extra": {
            "estimate": fisher.estimate,
            "conf_low": fisher.conf_low,
            "conf_high": fisher.conf_high,
        },
    }
    for key, correct, name in (
        ("yates", True, "Yates' corrected chi-square"),
        ("pearson", False, "Pearson's chi-square"),
    ):
        try:
            chi = chisq_test(table, correct=correct)
        except ValueError:
            method = (
                "Pearson's Chi-squared test with Yates' continuity correction"
                if correct
                else "Pearson's Chi-squared test"
            )
            panel[key] = {"name": name, "method": method, "p_value": None, "extra": {}}
            result.note(
                f"{label}: {name} is not defined when every patient has the same "
                "outcome (R's chisq.test gives NaN)."
            )
            continue
        panel[key] = {
            "name": name,
            "method": chi.method,
            "p_value": chi.p_value,
            "extra": {"statistic": chi.statistic, "df": chi.df},
        }
    if firth is None:
        lr, df = _glm_lrt(fit, fit.model_frame.design, fit.y)
        lr_method = "Likelihood-ratio test of arm (glm, binomial; deviance difference)"
        lr_name = "the likelihood-ratio test"
    else:
        lr, df = _firth_lrt(firth)
        lr_method = "Penalised likelihood-ratio test of arm (logistf)"
        lr_name = "the penalised likelihood-ratio test"
    panel["lrt"] = {
        "name": lr_name,
        "method": lr_method,
        "p_value": float(stats.chi2.sf(lr, df)),
        "extra": {"statistic": lr, "df": float(df)},
    }

    any_small = table.sum(axis=0).min() > 0 and np.any(
        np.outer(table.sum(axis=1), table.sum(axis=0)) / n_all < 5
    )
    if any_small:
        result.note(
            f"{label}: an expected count is below 5, so the chi-square "
            "approximation may be incorrect (R warns so); Fisher's exact test does "
            "not rely on it."
        )

    significant: dict[str, bool | None] = {}
    for key in ("fisher", "yates", "pearson", "lrt"):
        test = panel[key]
        tlabel = f"{label}: {test['name']}"
        for stat, value in test["extra"].items():
            if value is not None:
                result.add(
                    outcome, stat, value, level=key, label=tlabel, method=test["method"], n=n_all
                )
        p = test["p_value"]
        result.add(outcome, "p_value", p, level=key, label=tlabel, method=test["method"], n=n_all)
        significant[key] = None if p is None else bool(p < alpha)
        result.add(
            outcome,
            "significant",
            significant[key],
            level=key,
            label=tlabel,
            method=f"p < alpha = {alpha:g}",
            n=n_all,
        )

    # ---------------------------------------------------------------- conclusion
    def listing(keys: list[str], joiner: str) -> str:
        items = [f"{panel[k]['name']} ({format_p(panel[k]['p_value'])})" for k in keys]
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {joiner} " + items[-1]

    sig = [k for k in _SENTENCE_ORDER if significant[k] is True]
    non = [k for k in _SENTENCE_ORDER if significant[k] is False]
    undefined = [k for k in _SENTENCE_ORDER if significant[k] is None]
    robust = not (sig and non)
    head = f"The conclusion at alpha = {alpha:g}"
    if sig and non:
        sentence = (
            f"{head} depends on the test: significant by {listing(sig, 'and')}, "
            f"not by {listing(non, 'or')}."
        )
    elif sig:
        sentence = f"{head} is the same under every test: significant by {listing(sig, 'and')}."
    else:
        sentence = f"{head} is the same under every test: not significant by {listing(non, 'or')}."
    if undefined:
        sentence = sentence[:-1] + f"; {listing(undefined, 'and')} not defined."
    result.add(outcome, "conclusion", sentence, level="conclusion", label=label, n=n_all)
    result.add(
        outcome,
        "robust",
        robust,
        level="conclusion",
        label=label,
        method="every defined test of the panel gives the same conclusion",
        n=n_all,
    )
    result.note(f"{label}: {sentence}")


_PANEL_NAMES = {
    "fisher": "Fisher's exact",
    "yates": "Yates' chi-square",
    "pearson": "Pearson's chi-square",
    "lrt": "likelihood-ratio test",
}


def summary_row(
    records: list,
    outcome: str,
    *,
    endpoint: str,
    measure: str,
    outcome_label: str | None = None,
    better: str | None = None,
):
    """The summary-table row of a :func:`compare_binary` comparison (formatting only):
    events/patients (%) per arm; the odds ratio with its *own* test (the Wald test of the arm
    term of the logistic model; the penalised likelihood-ratio test after a Firth fallback);
    the endpoint's primary test -- the one gtsummary's rule chose -- beside it, and, when the
    conclusion at alpha changes between the tests of the sensitivity panel, the tests that
    disagree with the chosen one, with their p-values."""
    from mdsrs_core.endpoint import SummaryRow
    from mdsrs_core.records import RecordIndex
    from mdsrs_core.report.formatting import fmt_pct, p_text
    from mdsrs_core.report.naming import test_name

    index = RecordIndex(records)
    arms = index.arms(outcome)
    chosen = index.get(outcome, None, "chosen_test", "p_value")
    if len(arms) != 2:
        return None
    term = f"arm[T.{arms[1]}]"
    estimate = index.get(outcome, None, term, "estimate")
    own = index.get(outcome, None, term, "p_value")
    primary = None if chosen is None else test_name(chosen.method)
    caveat = None
    if chosen is not None and index.value(outcome, None, "conclusion", "robust") is False:
        chosen_sig = chosen.value is not None and chosen.value < _alpha(index, outcome)
        others = [
            p_text(index.value(outcome, None, key, "p_value"), f"{name} p")
            for key, name in _PANEL_NAMES.items()
            if index.value(outcome, None, key, "significant") is (not chosen_sig)
        ]
        if others:
            caveat = (
                f"The conclusion depends on the test: {primary} {p_text(chosen.value)}; "
                f"{', '.join(others)}."
            )
    firth = estimate is not None and (estimate.method or "").startswith("Firth")
    return SummaryRow(
        endpoint,
        measure,
        {
            a: f"{index.value(outcome, a, None, 'n')}/{index.value(outcome, a, None, 'N')} "
            f"({fmt_pct(index.value(outcome, a, None, 'p'))})"
            for a in arms
        },
        effect=(
            None
            if estimate is None
            else "Odds ratio (Firth logistic regression)"
            if firth
            else "Odds ratio (logistic regression)"
        ),
        estimate=None if estimate is None else estimate.value,
        conf_low=index.value(outcome, None, term, "conf_low"),
        conf_high=index.value(outcome, None, term, "conf_high"),
        ratio=True,
        p_value=None if own is None else own.value,
        test=None if own is None else test_name(own.method),
        primary_test=primary,
        primary_p_value=None if chosen is None else chosen.value,
        outcome=outcome_label,
        better=better,
        caveat=caveat,
    )


def _alpha(index, outcome: str) -> float:
    """The alpha the panel's "significant" records were judged at (their method text)."""
    r = index.get(outcome, None, "fisher", "significant")
    text = (r.method or "") if r is not None else ""
    return float(text.rsplit("=", 1)[-1]) if "=" in text else 0.05
