"""The propensity score: a logistic model of the arm on baseline covariates, and its weights.

``propensity("arm ~ age + sex + ipssr_base_score", data=cohort, method="iptw")`` fits
``glm(arm ~ ..., family = binomial)`` (:func:`mdsrs_core.models.glm`; Rosenbaum & Rubin
1983, *Biometrika* 70:41-55) and turns the fitted probabilities of the *treated* arm -- the
non-reference level (with a Cohort, the one that is not ``cohort.arm_reference``; with a
DataFrame, the second level, as R's ``glm`` models it) -- into weights
(:mod:`mdsrs_core.adjust.weights`).

Every result is aligned with the rows of the data: a patient with a missing covariate or a
missing arm has no score (NaN) and no weight, and is counted in :attr:`PropensityScore.missing`;
one trimmed away (``trim``) keeps a score, gets no weight and is counted in
:attr:`PropensityScore.trimmed`. Trimming drops the patients whose score lies outside
``[trim, 1 - trim]`` (Crump et al. 2009, *Biometrika* 96:187-199; Stürmer et al. 2010,
*Am J Epidemiol* 172:843-854), after which the stabilising factor is computed on the
patients kept; the score itself is not refitted.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError, ModelError
from mdsrs_core.formula import split_formula

from .balance import balance_table, covariate_matrix
from .weights import METHODS, kish_ess, ps_weights

__all__ = ["PropensityScore", "propensity", "fit_score"]


def _frame(data: Any) -> pd.DataFrame:
    frame = data if isinstance(data, pd.DataFrame) else getattr(data, "data", None)
    if not isinstance(frame, pd.DataFrame):
        raise FormulaError(
            f"data must be a pandas DataFrame or a Cohort, not {type(data).__name__}."
        )
    return frame


def fit_score(formula: str, data: Any):
    """Fit the propensity model; return ``(glm result, frame, treated 0/1 Series, levels)``.

    ``treated`` is aligned with the frame's rows (NaN where the arm is missing).
    """
    from mdsrs_core.models import glm

    lhs, rhs = split_formula(formula)
    if not lhs or not lhs.strip():
        raise FormulaError(
            f"The propensity formula {formula!r} needs the arm on the left of '~', e.g. "
            "'arm ~ age + sex + ipssr_base_score'."
        )
    if rhs.strip() in ("", "1"):
        raise FormulaError(
            f"The propensity formula {formula!r} has no covariates on the right of '~'."
        )
    frame = _frame(data)
    model = glm(formula, data, family="binomial")
    levels = model.outcome_levels or ("0", "1")
    treated = pd.Series(np.nan, index=frame.index)
    treated.loc[model.fitted_values.index] = model.y
    return model, frame, treated, levels


class _Adjustment:
    """What weighting and matching share: the score, the arms and the balance table."""

    method: str
    estimand: str
    #: the ``[adjust]`` specification when fitted by the run's layer (else None)
    spec: Any = None

    def __init__(self, formula: str, model: Any, frame: pd.DataFrame, treated: pd.Series, levels):
        self.formula = formula
        #: the propensity model (a :class:`~mdsrs_core.models.glm.GlmResults`)
        self.model = model
        self._frame = frame
        #: 1 for the treated arm, 0 for the reference arm, NaN without a score
        self.treated = treated
        #: (reference level, treated level) of the arm
        self.levels = (str(levels[0]), str(levels[1]))
        ps = pd.Series(np.nan, index=frame.index, name="ps")
        ps.loc[model.fitted_values.index] = model.fitted_values.to_numpy()
        #: the propensity score per row (NaN where a covariate or the arm is missing)
        self.ps = ps

    @property
    def missing(self) -> pd.Index:
        """Rows without a score (a missing covariate or arm)."""
        return self.ps.index[self.ps.isna()]

    @property
    def n_missing(self) -> int:
        return len(self.missing)

    @property
    def linear_ps(self) -> pd.Series:
        """The logit of the score, ``log(ps / (1 - ps))`` (MatchIt's ``linear.logit``)."""
        return cast(pd.Series, np.log(self.ps / (1 - self.ps)))  # numpy ufunc keeps a Series

    #: weights per row (subclasses set it)
    weights: pd.Series

    def balance(self) -> pd.DataFrame:
        """Balance table (see :func:`~mdsrs_core.adjust.balance.balance_table`): one row per
        covariate, ``variable, type, mean_*, smd_before, smd_after, variance_ratio_before,
        variance_ratio_after, imbalanced``."""
        design = self.model.model_frame.design
        covs = covariate_matrix(design, self.model.model_frame.data.set_axis(design.index))
        rows = design.index
        return balance_table(
            covs,
            self.treated.loc[rows].to_numpy(),
            self.weights.loc[rows].to_numpy(),
            self.estimand,
        )

    def ess(self) -> pd.DataFrame:
        """Per arm: ``arm, n, ess_before, ess_after`` -- patients with a score, and Kish's
        effective sample size of the weights (n before adjustment)."""
        rows = []
        for value, arm in ((0.0, self.levels[0]), (1.0, self.levels[1])):
            sel = self.treated == value
            w = self.weights[sel].fillna(0.0).to_numpy()
            rows.append(
                {
                    "arm": arm,
                    "n": int(sel.sum()),
                    "ess_before": float(sel.sum()),
                    "ess_after": kish_ess(w),
                }
            )
        return pd.DataFrame(rows)


class PropensityScore(_Adjustment):
    """A fitted propensity score and its weights (see :func:`propensity`)."""

    def __init__(self, formula, model, frame, treated, levels, method, stabilize, trim):
        super().__init__(formula, model, frame, treated, levels)
        self.method = method
        self.estimand = METHODS[method]
        self.stabilize = stabilize
        self.trim = trim
        ps = self.ps.to_numpy()
        keep = ~np.isnan(ps)
        if trim is not None:
            keep &= (ps >= trim) & (ps <= 1 - trim)
        kept_ps = np.where(keep, ps, np.nan)
        w = ps_weights(kept_ps, self.treated.to_numpy(), method, stabilize)
        #: the weight per row (NaN without a score or when trimmed away)
        self.weights = pd.Series(w, index=frame.index, name="weight")
        self.trimmed = self.ps.index[~np.isnan(ps) & ~keep]

    def __repr__(self) -> str:
        return (
            f"<PropensityScore {self.formula!r} {self.method} ({self.estimand}), "
            f"n={int(self.ps.notna().sum())}, missing={self.n_missing}>"
        )


def propensity(
    formula: str,
    data: Any,
    method: str = "iptw",
    stabilize: bool = True,
    trim: float | None = None,
) -> PropensityScore:
    """Fit a logistic propensity score and compute weights, as ``glm(..., binomial)`` in R
    followed by the weight formulas of WeightIt.

    Parameters
    ----------
    formula:
        ``"arm ~ covariates"``; the arm (two levels) on the left.
    data:
        A Cohort (its arm reference is the untreated level) or a DataFrame.
    method:
        ``"iptw"`` (ATE), ``"att"`` or ``"overlap"`` (see :mod:`~mdsrs_core.adjust.weights`).
    stabilize:
        Stabilised IPTW (the default; only ``iptw`` is affected).
    trim:
        ``None`` (default) or a bound in (0, 0.5): patients with a score outside
        ``[trim, 1 - trim]`` get no weight.
    """
    if method not in METHODS:
        raise FormulaError(
            f"Unknown propensity weighting method {method!r}: choose one of "
            f"{', '.join(METHODS)} (or use match() for matching)."
        )
    if trim is not None and not (
        isinstance(trim, (int, float)) and not isinstance(trim, bool) and 0 < trim < 0.5
    ):
        raise FormulaError(f"trim must be a number between 0 and 0.5, not {trim!r}.")
    model, frame, treated, levels = fit_score(formula, data)
    result = PropensityScore(formula, model, frame, treated, levels, method, stabilize, trim)
    if result.weights.notna().sum() == 0:
        raise ModelError(f"No patient keeps a weight under trim = {trim}.")
    return result
