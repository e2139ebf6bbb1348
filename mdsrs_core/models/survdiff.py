"""Log-rank and G-rho tests, mirroring R's ``survival::survdiff``.

The G-rho family of Harrington & Fleming (1982): each death at time t is weighted by
``S(t-)^rho``, the pooled Kaplan-Meier estimate just before t. ``rho = 0`` (the default)
is the log-rank test (Mantel 1966); ``rho = 1`` the Peto-Peto modification of the
Gehan-Wilcoxon test. ``strata(x)`` terms give the stratified test: observed, expected and
variance are computed within strata and summed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.formula import ModelFrame
from mdsrs_core.models._survival_engine import LogrankFit, logrank
from mdsrs_core.models._survival_groups import survival_groups

__all__ = ["SurvdiffResults", "survdiff"]


class SurvdiffResults:
    """A G-rho test: ``chisq``, ``df``, ``p_value`` and R's per-group table."""

    def __init__(
        self, frame: ModelFrame, fit: LogrankFit, groups: list[str], strata: list[str], rho: float
    ) -> None:
        from mdsrs_core.stats.distributions import chi2

        self.model_frame = frame
        self.fit = fit
        #: group labels in R's order (``"arm=thalidomide"``...)
        self.groups = groups
        #: stratum labels of a stratified test (empty otherwise)
        self.strata = strata
        self.rho = rho
        self.chisq = fit.chisq
        self.df = fit.df
        self.p_value = float(chi2.sf(fit.chisq, fit.df)) if fit.df > 0 else float("nan")
        #: remarks about the test (a group without events...)
        self.warnings: list[str] = []

    @property
    def formula(self) -> str:
        """The formula as given by the user."""
        return self.model_frame.formula

    @property
    def observed(self) -> np.ndarray:
        """(Weighted) observed events per group, summed over strata."""
        return self.fit.observed

    @property
    def expected(self) -> np.ndarray:
        """(Weighted) expected events per group under equal hazards."""
        return self.fit.expected

    @property
    def var(self) -> np.ndarray:
        """Covariance matrix of observed - expected."""
        return self.fit.var

    def table(self) -> pd.DataFrame:
        """Per group ``group, n, observed, expected, oe2_e, oe2_v``: R's printed
        ``N, Observed, Expected, (O-E)^2/E, (O-E)^2/V``."""
        o, e = self.observed, self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.DataFrame(
                {
                    "group": self.groups,
                    "n": self.fit.n.astype(int),
                    "observed": o,
                    "expected": e,
                    "oe2_e": (o - e) ** 2 / e,
                    "oe2_v": (o - e) ** 2 / np.diag(self.var),
                }
            )

    def glance(self) -> pd.DataFrame:
        """One row: ``nobs, n_dropped, chisq, df, p_value, rho``."""
        return pd.DataFrame(
            [
                {
                    "nobs": self.model_frame.nobs,
                    "n_dropped": self.model_frame.n_dropped,
                    "chisq": self.chisq,
                    "df": self.df,
                    "p_value": self.p_value,
                    "rho": self.rho,
                }
            ]
        )

    def summary(self) -> str:
        """Readable text laid out as R's ``print(survdiff(...))``."""
        tab = self.table().set_index("group")
        tab.index.name = None
        tab.columns = ["N", "Observed", "Expected", "(O-E)^2/E", "(O-E)^2/V"]
        lines = [
            "Call:",
            f"survdiff(formula = {self.formula}, data, rho = {self.rho:g})",
            "",
            tab.to_string(float_format=lambda v: f"{v:.3g}"),
            "",
            f" Chisq= {self.chisq:.3g}  on {self.df} degrees of freedom, p= {self.p_value:.3g}",
        ]
        if self.model_frame.n_dropped:
            lines.append(f" ({self.model_frame.n_dropped} observations deleted due to missingness)")
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<SurvdiffResults {self.formula!r}, chisq={self.chisq:.4g}, df={self.df}, "
            f"p={self.p_value:.4g}>"
        )

    def __str__(self) -> str:
        return self.summary()


def survdiff(formula: str, data: Any, rho: float = 0.0) -> SurvdiffResults:
    """Compare survival between groups, as ``survival::survdiff(formula, data, rho)``.

    Raises :class:`~mdsrs_core.errors.ModelError` with fewer than two groups or no events.
    A group without events gives a valid test and a note in ``.warnings``.

    Parameters
    ----------
    formula:
        ``"Surv(time, event) ~ arm"``; add ``+ strata(x)`` for a stratified test.
    data:
        A pandas DataFrame or a :class:`~mdsrs_core.Cohort`; incomplete rows are dropped
        and counted.
    rho:
        Weight exponent of the G-rho family; 0 = log-rank (default), 1 = Peto-Peto.
    """
    frame, groups, strata = survival_groups(formula, data)
    if frame.time is None or frame.event is None:
        raise ModelError(
            f"survdiff needs a survival outcome: write the formula {formula!r} as "
            "'Surv(time, event) ~ arm'."
        )
    if groups.k < 2:
        found = f"only {groups.labels[0]!r}" if groups.k == 1 else "no group variable"
        raise ModelError(
            f"survdiff compares two or more groups, but the formula {formula!r} gives "
            f"{found} in the {frame.nobs} rows used (R: 'There is only 1 group')."
        )
    event = frame.event.astype(float)
    if event.sum() == 0:
        raise ModelError(
            f"survdiff cannot test {formula!r}: none of the {frame.nobs} rows used has an "
            "event (every time is censored)."
        )
    fit = logrank(frame.time, event, groups.codes, strata.codes if strata.k else None, rho=rho)
    result = SurvdiffResults(frame, fit, groups.labels, strata.labels, rho)
    events = np.bincount(groups.codes, weights=event, minlength=groups.k)
    for label, obs, n in zip(groups.labels, events, fit.n, strict=True):
        if obs == 0:
            result.warnings.append(
                f"The group {label} has no events among its {int(n)} subjects; the test is "
                "still valid, but a hazard ratio (coxph) cannot be estimated."
            )
    return result
