"""Linear models by ordinary least squares: R's ``stats::lm``.

Method: least squares through the QR decomposition of the design matrix X (as R's
``lm.fit``/LINPACK ``dqrls``), ``beta = R^-1 Q'y``, residual variance
``sigma^2 = RSS / (n - p)``, ``Var(beta) = sigma^2 (X'X)^-1``. Tests and intervals use
Student's t with ``n - p`` degrees of freedom, as ``summary.lm`` and ``confint.lm`` (hence
``broom::tidy(conf.int = TRUE)``) do. Reference: Chambers, J. M. (1992) Linear models,
chapter 4 of *Statistical Models in S* (Chambers & Hastie, eds.), Wadsworth & Brooks/Cole.

``weights=`` gives weighted least squares, as ``lm(formula, data, weights = w)``: the fit
minimises ``sum w r^2``, ``sigma^2 = sum w r^2 / (n - p)`` (rows of weight 0 or NA are
dropped). ``robust=True`` (optionally with ``cluster=``) replaces the model-based variance by
the sandwich of ``survey::svyglm(family = gaussian)`` on ``svydesign(ids = ~1 (or ~cluster),
weights = ~w)``, with t tests on ``m - p`` df, m the number of clusters (rows); see
:mod:`mdsrs_core.models._weights`. This is the weighted ANCOVA of a propensity-weighted
analysis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError
from mdsrs_core.formula import ModelFrame, model_frame
from mdsrs_core.models._rank import check_full_rank, householder_r
from mdsrs_core.models.results import ModelResults

__all__ = ["LmResults", "lm"]


class LmResults(ModelResults):
    """A fitted linear model (see :func:`lm`)."""

    model_name = "lm"
    r_call = "lm(formula, data)"

    def __init__(
        self,
        mf: ModelFrame,
        coef: np.ndarray,
        std_error: np.ndarray,
        residuals: np.ndarray,
        fitted: np.ndarray,
        weights: np.ndarray | None = None,
        tidy_df: float | None = None,
    ) -> None:
        n, p = mf.design.shape
        super().__init__(
            mf,
            list(mf.design.columns),
            coef,
            std_error,
            tidy_df=n - p if tidy_df is None else tidy_df,
        )
        self._resid = np.asarray(residuals, dtype=float)
        self._fit = np.asarray(fitted, dtype=float)
        self._series: dict[str, pd.Series] = {}
        self.df_residual = n - p
        self.rank = p
        #: case weights of the rows fitted (None: unweighted)
        self.weights = weights
        #: "model" or "sandwich" (robust=True)
        self.variance = "model"
        #: rows dropped for a missing or zero weight
        self.n_weight_dropped = 0

    def _as_series(self, name: str, values: np.ndarray) -> pd.Series:
        if name not in self._series:
            self._series[name] = pd.Series(values, index=self.model_frame.design.index, name=name)
        return self._series[name]

    @property
    def residuals(self) -> pd.Series:
        """Residuals ``y - fitted`` by row of the model frame."""
        return self._as_series("residuals", self._resid)

    @property
    def fitted_values(self) -> pd.Series:
        """Fitted values ``X beta`` by row of the model frame."""
        return self._as_series("fitted", self._fit)

    @property
    def _w(self) -> np.ndarray:
        return np.ones(self.nobs) if self.weights is None else self.weights

    @property
    def rss(self) -> float:
        """Residual sum of squares (weighted: ``sum w r^2``, R's ``deviance``)."""
        return float(np.sum(self._w * self._resid**2))

    @property
    def sigma(self) -> float:
        """Residual standard error, ``sqrt(RSS / (n - p))``."""
        return float(np.sqrt(self.rss / self.df_residual)) if self.df_residual > 0 else np.nan

    @property
    def loglik(self) -> float:
        """Gaussian log-likelihood at the ML variance ``RSS / n`` (R's ``logLik.lm``)."""
        n = self.nobs
        return float(
            0.5 * np.sum(np.log(self._w))
            - 0.5 * n * (np.log(2 * np.pi) + 1 - np.log(n) + np.log(self.rss))
        )

    def glance(self) -> pd.DataFrame:
        """``nobs, n_dropped, r_squared, adj_r_squared, sigma, statistic, p_value, df,
        df_residual, logLik, AIC, BIC`` as ``broom::glance.lm`` (``df`` is the numerator df
        of the overall F test; the F test compares with the intercept-only model, or with
        the empty model when there is no intercept, as ``summary.lm``)."""
        from mdsrs_core.stats import distributions as stats

        y = self._fit + self._resid
        w = self._w
        has_intercept = self.model_frame.include_intercept
        centre = float(np.sum(w * y) / np.sum(w)) if has_intercept else 0.0
        mss = float(np.sum(w * (self._fit - centre) ** 2))
        rss = self.rss
        df_model = self.rank - int(has_intercept)
        n, dfr = self.nobs, self.df_residual
        r2 = mss / (mss + rss) if mss + rss > 0 else np.nan
        adj = 1 - (1 - r2) * ((n - int(has_intercept)) / dfr) if dfr > 0 else np.nan
        if df_model > 0 and dfr > 0:
            fstat = (mss / df_model) / (rss / dfr)
            p_value = float(stats.f.sf(fstat, df_model, dfr))
        else:
            fstat = p_value = np.nan
        k = self.rank + 1  # coefficients + sigma
        return pd.DataFrame(
            [
                {
                    "nobs": n,
                    "n_dropped": self.n_dropped,
                    "r_squared": r2,
                    "adj_r_squared": adj,
                    "sigma": self.sigma,
                    "statistic": fstat,
                    "p_value": p_value,
                    "df": df_model,
                    "df_residual": dfr,
                    "logLik": self.loglik,
                    "AIC": -2 * self.loglik + 2 * k,
                    "BIC": -2 * self.loglik + np.log(n) * k,
                }
            ]
        )


def lm(
    formula: str,
    data: Any,
    weights: Any = None,
    robust: bool = False,
    cluster: Any = None,
) -> LmResults:
    """Fit a linear model by least squares, as R's ``lm(formula, data, weights)``.

    ``data`` is a DataFrame or a Cohort; rows with missing values in the formula's variables
    are dropped and counted (``na.omit``). The outcome must be numeric. ``weights`` (a
    column name or one value per row) gives weighted least squares; ``robust=True`` the
    svyglm sandwich variance, by ``cluster`` (column name or values) when given.
    """
    from mdsrs_core.models._weights import cluster_codes, sandwich, weighted_data

    wd = weighted_data(data, weights)
    mf = model_frame(formula, data if weights is None else wd.frame)
    if mf.outcome is None:
        raise FormulaError(f"lm needs an outcome on the left of '~' in {formula!r}.")
    y = pd.to_numeric(mf.outcome, errors="coerce")
    if y.isna().any() or mf.outcome.dtype == bool:
        raise FormulaError(
            f"The outcome {mf.outcome_name!r} of the formula {formula!r} must be numeric for "
            "lm; use glm(family='binomial') for a 0/1 outcome or clm for an ordered one."
        )
    check_full_rank(mf.design, formula)
    x = mf.design.to_numpy(dtype=float)
    yv = y.to_numpy(dtype=float)
    n, p = x.shape
    if n <= p:
        from mdsrs_core.errors import ModelError

        raise ModelError(
            f"The model {formula!r} has {p} coefficients but only {n} rows: no residual "
            "degrees of freedom are left."
        )
    w = None if wd.weights is None else wd.weights.loc[mf.design.index].to_numpy(dtype=float)
    # Householder QR of [X y] (rows scaled by sqrt(w) when weighted), keeping only R: its
    # first p columns are X's R, its last column Q'y, so Q (n x p) is never formed
    augmented = np.empty((n, p + 1), order="F")
    augmented[:, :p] = x
    augmented[:, p] = yv
    if w is not None:
        augmented *= np.sqrt(w)[:, None]
    r_full = householder_r(augmented)  # factored in place
    del augmented
    r = r_full[:p, :p]
    coef = np.linalg.solve(r, r_full[:p, p])
    fitted = x @ coef
    resid = yv - fitted
    sigma2 = float(np.sum(resid**2 if w is None else w * resid**2)) / (n - p)
    r_inv = np.linalg.inv(r)
    std_error = np.sqrt(sigma2 * np.sum(r_inv**2, axis=1))
    tidy_df = None
    if robust or cluster is not None:
        ww = np.ones(n) if w is None else w
        codes = None if cluster is None else cluster_codes(cluster, wd.frame, mf.design.index)
        cov, m = sandwich(r_inv @ r_inv.T, x * (ww * resid)[:, None], codes)
        std_error = np.sqrt(np.diag(cov))
        tidy_df = m - p
    result = LmResults(mf, coef, std_error, resid, fitted, weights=w, tidy_df=tidy_df)
    result.n_weight_dropped = len(wd.dropped)
    if tidy_df is not None:
        result.variance = "sandwich"
    if w is not None:
        result.r_call = "lm(formula, data, weights = w)"
    return result
