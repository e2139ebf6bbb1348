"""Linear mixed models with a random intercept per group: R's ``lme4::lmer`` / ``nlme::lme``.

``mixedlm("value ~ arm * visit", data, groups="patient_id")`` (or, lme4-style,
``mixedlm("value ~ arm * visit + (1 | patient_id)", data)``) fits
``y = X beta + b_group + e`` with ``b ~ N(0, sigma_b^2)``, ``e ~ N(0, sigma^2)`` by REML
(the default of ``lmer`` and ``lme``) or by maximum likelihood (``reml=False``, R's
``REML = FALSE`` / ``method = "ML"``).

Method: the likelihood is maximised by statsmodels' ``MixedLM`` (Lindstrom & Bates 1988
profiled likelihood, BFGS with a tight gradient tolerance, ``gtol = 1e-10``), and its
variance ratio is then polished by a one-dimensional Brent search of lme4's profiled
criterion (Bates et al. 2015; the random intercept's variance relative to the residual
one is its only parameter), so that the variance components agree with R's optimum to
~1e-9 whatever the machine (BFGS alone stopped ~1e-6 away on some). The fixed effects
and their covariance are then computed by generalised least squares at those variance
estimates, ``(X' V^-1 X)^-1 X' V^-1 y`` and ``(X' V^-1 X)^-1``, as ``vcov(lmer)`` and
``vcov(lme)`` (statsmodels' own ``bse_fe`` comes from the joint observed information and
differs from R's when groups are unbalanced).

Inference on the fixed effects: the Wald t statistic ``estimate / std_error``; ``lmer``
prints no p-values, so the p-value and interval use Student's t with **nlme::lme's
denominator degrees of freedom** (the "containment" rule of Pinheiro & Bates 2000, section
2.4.2, as ``nlme:::getFixDF``): with N observations in M groups, a column of X that varies
within at least one group is "inner" and gets ``N - M - (number of inner columns)``; a
column constant within every group (e.g. arm) gets ``M - 1 - (number of such columns)``;
the intercept gets the larger of the two. Intervals are ``estimate -/+ qt(0.975, df) *
std_error`` (``nlme::intervals(lme)``'s fixed-effect intervals).

References: Bates D, Maechler M, Bolker B, Walker S (2015). Fitting linear mixed-effects
models using lme4. Journal of Statistical Software 67(1):1-48. Pinheiro JC, Bates DM
(2000). Mixed-Effects Models in S and S-PLUS. Springer. Lindstrom MJ, Bates DM (1988).
Newton-Raphson and EM algorithms for linear mixed-effects models for repeated-measures
data. JASA 83:1014-1022.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError, ModelError
from mdsrs_core.formula import ModelFrame, model_frame
from mdsrs_core.models._rank import check_full_rank
from mdsrs_core.models.results import ModelResults
from mdsrs_core.models.tidy import TIDY_COLUMNS

__all__ = ["MixedLMResults", "mixedlm", "lme_denominator_df"]

_RANDOM = re.compile(r"\+\s*\(\s*1\s*\|\s*([^()|]+?)\s*\)\s*$")


class MixedLMResults(ModelResults):
    """A fitted random-intercept linear mixed model (see :func:`mixedlm`)."""

    model_name = "mixedlm"
    r_call = "lme4::lmer(y ~ x + (1 | group), REML = TRUE); df and p-values as nlme::lme"

    def __init__(
        self,
        mf: ModelFrame,
        coef: np.ndarray,
        std_error: np.ndarray,
        df: np.ndarray,
        *,
        groups: str,
        n_groups: int,
        var_group: float,
        scale: float,
        loglik: float,
        reml: bool,
        converged: bool,
        n_dropped_groups: int,
        notes: list[str],
    ) -> None:
        super().__init__(mf, list(mf.design.columns), coef, std_error)
        self.df = np.asarray(df, dtype=float)
        self.groups = groups
        self.n_groups = int(n_groups)
        self.var_group = float(var_group)
        self.scale = float(scale)
        self.loglik = float(loglik)
        self.reml = bool(reml)
        self.converged = bool(converged)
        self._n_dropped_groups = int(n_dropped_groups)
        self.notes = list(notes)

    @property
    def n_dropped(self) -> int:
        """Rows dropped for missing values in the formula's variables or the group."""
        return self.model_frame.n_dropped + self._n_dropped_groups

    @property
    def sigma(self) -> float:
        """Residual standard deviation (R's ``sigma(fit)``)."""
        return float(np.sqrt(self.scale))

    def tidy(self, conf_level: float = 0.95, exponentiate: bool = False) -> pd.DataFrame:
        """Fixed effects ``term, estimate, std_error, statistic, p_value, conf_low, conf_high,
        df``: Wald t with nlme::lme's denominator df per term (see the module docstring)."""
        from mdsrs_core.stats import distributions as stats

        if not 0 < conf_level < 1:
            raise ValueError(f"conf_level must be between 0 and 1, not {conf_level}")
        est, se, df = self.estimate, self.std_error, self.df
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic = est / se
        p_value = 2.0 * stats.t.sf(np.abs(statistic), df)
        q = stats.t.ppf(0.5 + conf_level / 2.0, df)
        low, high = est - q * se, est + q * se
        if exponentiate:
            est, low, high = np.exp(est), np.exp(low), np.exp(high)
        out = pd.DataFrame(
            {
                "term": self.terms,
                "estimate": est,
                "std_error": se,
                "statistic": statistic,
                "p_value": p_value,
                "conf_low": low,
                "conf_high": high,
            },
            columns=TIDY_COLUMNS,
        )
        out["df"] = df
        return out

    def varcorr(self) -> pd.DataFrame:
        """Variance components as ``as.data.frame(VarCorr(fit))``: ``grp, term, variance,
        sd`` (the group's random intercept, then the residual)."""
        return pd.DataFrame(
            {
                "grp": [self.groups, "Residual"],
                "term": ["(Intercept)", None],
                "variance": [self.var_group, self.scale],
                "sd": [np.sqrt(self.var_group), np.sqrt(self.scale)],
            }
        )

    def glance(self) -> pd.DataFrame:
        """``nobs, n_groups, n_dropped, sigma, logLik, AIC, BIC, REML, converged``.

        ``logLik`` is the REML (or ML) log-likelihood as ``logLik(lmer)``; AIC and BIC count
        the fixed effects plus two variance parameters, as R.
        """
        k = len(self.terms) + 2
        n = self.nobs
        return pd.DataFrame(
            [
                {
                    "nobs": n,
                    "n_groups": self.n_groups,
                    "n_dropped": self.n_dropped,
                    "sigma": self.sigma,
                    "logLik": self.loglik,
                    "AIC": -2 * self.loglik + 2 * k,
                    "BIC": -2 * self.loglik + np.log(n) * k,
                    "REML": self.reml,
                    "converged": self.converged,
                }
            ]
        )


def lme_denominator_df(design: pd.DataFrame, groups: Any) -> np.ndarray:
    """Denominator df of each column of ``design`` by nlme's rule (``nlme:::getFixDF``).

    One grouping level: strata are the groups (M of them) and the residual (N - M). A
    non-constant column that varies within some group belongs to the residual stratum,
    otherwise to the group stratum; each stratum's df is reduced by its columns, the group
    stratum by one more for the intercept (the residual stratum gains one when there is no
    intercept). The intercept gets the largest stratum df.
    """
    x = design.to_numpy(dtype=float)
    g = pd.Series(pd.factorize(pd.Series(groups).astype(str))[0])
    n, p = x.shape
    m = int(g.nunique())
    tol = np.sqrt(np.finfo(float).eps)

    def const(col: np.ndarray) -> bool:
        scaled = col if col[0] == 0 else col / col[0] - 1
        return bool(np.all(np.abs(scaled) < tol))

    not_int = np.array([not const(x[:, j]) for j in range(p)], dtype=bool)
    inner = np.zeros(p, dtype=bool)
    for j in range(p):
        if not_int[j]:
            inner[j] = bool((pd.Series(x[:, j]).groupby(g.to_numpy()).nunique() > 1).any())
    df_group, df_resid = m, n - m
    df_group -= int(np.sum(not_int & ~inner))
    df_resid -= int(np.sum(not_int & inner))
    if not np.all(not_int):
        df_group -= 1
    else:
        df_resid += 1
    out = np.where(inner, df_resid, df_group).astype(float)
    out[~not_int] = max(df_group, df_resid)
    return out


def _gls(
    x: np.ndarray, y: np.ndarray, codes: np.ndarray, tau2: float, s2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Fixed effects and their SEs at given variances: ``(X' V^-1 X)^-1 X' V^-1 y`` and
    ``sqrt(diag((X' V^-1 X)^-1))`` with ``V_i = s2 I + tau2 J`` per group (R's ``vcov``).

    statsmodels' ``bse_fe`` inverts the observed information of all parameters jointly,
    which differs from ``vcov(lmer)`` when groups are unbalanced; this is lmer's formula.
    ``V_i^-1 = (I - w_i J) / s2`` with ``w_i = tau2 / (s2 + n_i tau2)``.
    """
    n_groups = int(codes.max()) + 1
    sizes = np.bincount(codes, minlength=n_groups).astype(float)
    w = tau2 / (s2 + sizes * tau2)
    sx = np.zeros((n_groups, x.shape[1]))
    np.add.at(sx, codes, x)
    sy = np.bincount(codes, weights=y, minlength=n_groups)
    xtvx = (x.T @ x - (sx * w[:, None]).T @ sx) / s2
    xtvy = (x.T @ y - (sx * w[:, None]).T @ sy) / s2
    cov = np.linalg.inv(xtvx)
    return cov @ xtvy, np.sqrt(np.diag(cov))


def _profile(x: np.ndarray, y: np.ndarray, codes: np.ndarray, reml: bool):
    """The profiled deviance (-2 log-likelihood, REML or ML) of the random-intercept model as
    a function of ``theta = sigma_b^2 / sigma^2`` (lme4's criterion, Bates et al. 2015, eqs.
    34 and 41: ``V = I + theta Z Z'``, block diagonal with ``V_g^-1 = I - w_g 1 1'``,
    ``w_g = theta / (1 + theta m_g)`` for a group of ``m_g`` rows); returns
    ``deviance(theta) -> (deviance, sigma^2)``."""
    n, p = x.shape
    size = np.bincount(codes).astype(float)
    groups = len(size)
    x_sums = np.column_stack([np.bincount(codes, x[:, j], groups) for j in range(p)])
    y_sums = np.bincount(codes, y, groups)
    xtx, xty = x.T @ x, x.T @ y
    dof = n - p if reml else n

    def deviance(theta: float) -> tuple[float, float]:
        w = theta / (1.0 + theta * size)
        xvx = xtx - (x_sums * w[:, None]).T @ x_sums
        xvy = xty - x_sums.T @ (w * y_sums)
        beta = np.linalg.solve(xvx, xvy)
        r = y - x @ beta
        r_sums = np.bincount(codes, r, groups)
        q = float(r @ r - np.sum(w * r_sums**2))
        sigma2 = q / dof
        dev = dof * (1.0 + np.log(2.0 * np.pi * sigma2)) + float(np.sum(np.log1p(theta * size)))
        if reml:
            dev += float(np.linalg.slogdet(xvx)[1])
        return dev, sigma2

    return deviance


def _polish(
    x: np.ndarray, y: np.ndarray, codes: np.ndarray, reml: bool, var_group: float, scale: float
) -> tuple[float, float, float] | None:
    """The variance components at the optimum of the profiled criterion (:func:`_profile`),
    from statsmodels' estimate: a bounded Brent search of ``log theta`` within a factor of
    e^3 of it, kept only where it lowers the deviance. statsmodels' BFGS stops where the
    gradient is small, which on some machines (BLAS kernels) leaves ``theta`` ~1e-6 off the
    optimum lmer reaches; the one-dimensional search pins it to ~1e-9. A boundary fit
    (``theta`` ~ 0) is left as it is. Returns ``(sigma_b^2, sigma^2, logLik)``, or None
    when the fit is left as statsmodels gave it."""
    theta0 = var_group / scale if scale > 0 else 0.0
    if not theta0 > 1e-8:
        return None
    deviance = _profile(x, y, codes, reml)
    dev0, sigma2_0 = deviance(theta0)
    if not np.isfinite(dev0):
        return None
    from scipy.optimize import minimize_scalar

    centre = float(np.log(theta0))
    found = minimize_scalar(
        lambda t: deviance(float(np.exp(t)))[0],
        bounds=(centre - 3.0, centre + 3.0),
        method="bounded",
        options={"xatol": 1e-11, "maxiter": 500},
    )
    theta = float(np.exp(found.x))
    dev, sigma2 = deviance(theta)
    if not (np.isfinite(dev) and dev <= dev0):
        theta, dev, sigma2 = theta0, dev0, sigma2_0
    return theta * sigma2, sigma2, -0.5 * dev


def _split_random(formula: str, groups: str | None) -> tuple[str, str]:
    match = _RANDOM.search(formula)
    if match:
        named = match.group(1).strip().strip("`")
        if groups is not None and groups != named:
            raise FormulaError(
                f"The formula {formula!r} names the group {named!r} but "
                f"groups={groups!r} was given; give one of them."
            )
        return formula[: match.start()].strip(), named
    if "|" in formula:
        raise FormulaError(
            f"The formula {formula!r} has a random-effects term mdsrs cannot fit: mixedlm "
            "fits one random intercept per group, written '+ (1 | group)' at the end of the "
            "formula or given as groups='group'."
        )
    if groups is None:
        raise FormulaError(
            f"mixedlm needs a grouping variable for the random intercept: add "
            f"'+ (1 | patient_id)' to {formula!r} or pass groups='patient_id'."
        )
    return formula, groups


def mixedlm(
    formula: str, data: Any, groups: str | None = None, *, reml: bool = True
) -> MixedLMResults:
    """Fit a linear mixed model with a random intercept per group, as R's ``lmer``.

    ``formula`` is ``"y ~ fixed terms"`` with ``groups`` naming the grouping column, or
    ``"y ~ fixed terms + (1 | group)"``. ``data`` is a DataFrame or a Cohort. Rows with a
    missing value in the formula's variables or the group are dropped and counted.
    ``reml=True`` (default) as ``lmer(REML = TRUE)``; ``False`` for maximum likelihood.
    """
    from statsmodels.regression.mixed_linear_model import MixedLM

    fixed, group_col = _split_random(formula, groups)
    frame = data if isinstance(data, pd.DataFrame) else getattr(data, "data", None)
    if not isinstance(frame, pd.DataFrame):
        raise FormulaError(
            f"data must be a pandas DataFrame or a Cohort, not {type(data).__name__}."
        )
    if group_col not in frame.columns:
        raise FormulaError(
            f"The grouping variable {group_col!r} of the mixed model "
            f"{formula!r} is not a column of the data."
        )
    has_group = frame[group_col].notna()
    n_no_group = int((~has_group).sum())
    source = data if has_group.all() else frame.loc[has_group]
    mf = model_frame(fixed, source)
    if mf.outcome is None:
        raise FormulaError(f"mixedlm needs an outcome on the left of '~' in {formula!r}.")
    y = pd.to_numeric(mf.outcome, errors="coerce")
    if y.isna().any() or mf.outcome.dtype == bool:
        raise FormulaError(
            f"The outcome {mf.outcome_name!r} of the formula {formula!r} must "
            "be numeric for mixedlm."
        )
    check_full_rank(mf.design, formula)
    g = frame.loc[mf.design.index, group_col].astype(str).to_numpy()
    n_groups = len(pd.unique(g))
    n, p = mf.design.shape
    if n_groups < 2:
        raise ModelError(
            f"The mixed model {formula!r} needs two or more groups of "
            f"{group_col!r}; the data used have {n_groups}."
        )
    if n <= p + 1 or n <= n_groups:
        raise ModelError(
            f"The mixed model {formula!r} has {n} rows in {n_groups} groups for "
            f"{p} fixed effects: too few to estimate the two variances."
        )
    codes = pd.factorize(g)[0]
    model = MixedLM(
        y.to_numpy(dtype=float),
        mf.design.to_numpy(dtype=float),
        groups=codes,
        exog_re=np.ones((n, 1)),
    )
    notes: list[str] = []
    fit = None
    for method in ("bfgs", "lbfgs", "nm"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                kwargs = {"gtol": 1e-10} if method in ("bfgs", "lbfgs") else {"maxiter": 10000}
                fit = model.fit(reml=reml, method=method, **kwargs)
            except (np.linalg.LinAlgError, ValueError):
                fit = None
                continue
        if fit.converged:
            break
    if fit is None:
        raise ModelError(
            f"The mixed model {formula!r} could not be fitted (singular "
            "matrices in every optimiser tried)."
        )
    messages = {str(w.message).split("\n")[0] for w in caught}
    design = mf.design.to_numpy(dtype=float)
    response = y.to_numpy(dtype=float)
    var_group = float(np.asarray(fit.cov_re)[0, 0])
    scale, loglik = float(fit.scale), float(fit.llf)
    polished = _polish(design, response, codes, reml, var_group, scale) if fit.converged else None
    if polished is not None:
        var_group, scale, loglik = polished
    if not fit.converged:
        notes.append(
            f"The mixed model {formula!r} did not converge (statsmodels MixedLM, "
            "BFGS, L-BFGS and Nelder-Mead tried); estimates are from the last try."
        )
    if var_group <= 1e-8 * scale or any("boundary" in m for m in messages):
        notes.append(
            f"The random-intercept variance of {formula!r} is estimated at (or "
            "near) 0: a boundary (singular) fit, as lmer reports it; the fixed effects "
            "are then those of ordinary least squares."
        )
    coef, se = _gls(design, response, codes, var_group, scale)
    df = lme_denominator_df(mf.design, g)
    return MixedLMResults(
        mf,
        coef,
        se,
        df,
        groups=group_col,
        n_groups=n_groups,
        var_group=var_group,
        scale=scale,
        loglik=loglik,
        reml=reml,
        converged=bool(fit.converged),
        n_dropped_groups=n_no_group,
        notes=notes,
    )
