"""Restricted mean survival time (RMST) by group, and its between-group contrasts.

The RMST up to ``tau`` is the area under the Kaplan-Meier curve from 0 to ``tau``:
``mu = sum_j (t_j - t_(j-1)) S(t_(j-1))`` over the distinct times (events and censorings)
``t_j <= tau``, closed at ``tau``. Its variance is the Greenwood-type plug-in estimate

    ``var(mu) = sum_{event times t_j <= tau} A_j^2 d_j / (n_j (n_j - d_j))``,

``A_j`` the area under the curve from ``t_j`` to ``tau`` (a term is 0 when ``n_j = d_j``):
the formula of R's ``survival:::survmean`` behind ``print(survfit(...), rmean = tau)`` and
of survRM2's ``rmst1`` (Klein & Moeschberger 2003, section 4.5, without their
``n / (n - 1)`` factor). A curve whose last time is before ``tau`` is held at its last value
up to ``tau``, as ``print(survfit, rmean = tau)`` does.

Contrasts (survRM2's ``rmst2``, Uno et al. 2014), each group against the reference (the
first stratum: a Cohort's reference arm): the difference ``mu_1 - mu_0`` with
``se = sqrt(var_1 + var_0)``, the ratio ``mu_1 / mu_0`` by the delta method on the log
scale (``se(log ratio)^2 = var_1 / mu_1^2 + var_0 / mu_0^2``), and the ratio of restricted
mean times lost ``(tau - mu_1) / (tau - mu_0)`` likewise; normal (Wald) intervals and
two-sided z tests. survRM2 refuses a ``tau`` past the last follow-up of a group whose last
time is censored; :meth:`RmstResults.contrast` raises the same refusal.

References: Royston P, Parmar MKB (2013) BMC Med Res Methodol 13:152. Uno H et al. (2014)
Moving beyond the hazard ratio in quantifying the between-group difference in survival
analysis. J Clin Oncol 32:2380-2385. Klein JP, Moeschberger ML (2003) *Survival Analysis*,
2nd ed., Springer, 4.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.models._survival_engine import KMCurve
from mdsrs_core.models.survfit import SurvfitResults, survfit

__all__ = ["RmstResults", "rmst", "rmst_curve"]


@dataclass(frozen=True)
class RmstEstimate:
    """RMST of one curve up to ``tau``, its variance, and the curve's last follow-up."""

    rmst: float
    variance: float
    last_time: float
    last_is_event: bool


def rmst_curve(curve: KMCurve, tau: float) -> RmstEstimate:
    """RMST of a Kaplan-Meier curve up to ``tau`` and its variance (R's ``survmean``)."""
    time = np.asarray(curve.time, dtype=float)
    surv = np.asarray(curve.surv, dtype=float)
    n_risk = np.asarray(curve.n_risk, dtype=float)
    n_event = np.asarray(curve.n_event, dtype=float)
    n_censor = np.asarray(curve.n_censor, dtype=float)
    start = min(0.0, float(time.min())) if len(time) else 0.0
    keep = time <= tau
    grid = np.r_[time[keep], tau]
    heights = np.r_[1.0, surv[keep]]  # S just before each grid time's interval ends
    widths = np.diff(np.r_[start, grid])
    areas = widths * heights
    mu = float(areas.sum()) + start
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_var = np.where(
            n_risk[keep] - n_event[keep] == 0,
            0.0,
            n_event[keep] / (n_risk[keep] * (n_risk[keep] - n_event[keep])),
        )
    # area from each kept time to tau: the areas of the intervals after it
    after = np.cumsum(areas[::-1])[::-1][1:]
    variance = float(np.sum(after**2 * hazard_var))
    last = int(np.argmax(time)) if len(time) else 0
    return RmstEstimate(
        rmst=mu,
        variance=variance,
        last_time=float(time[last]) if len(time) else float("nan"),
        last_is_event=bool(n_event[last] > 0 and n_censor[last] == 0) if len(time) else False,
    )


class RmstResults:
    """RMST per stratum (``table()``) and between strata (``contrast()``)."""

    r_call = "print(survival::survfit(formula, data), rmean = tau); survRM2::rmst2(...)"

    def __init__(self, fit: SurvfitResults, tau: float, conf_level: float) -> None:
        """The RMST of the curves of ``fit`` (a :func:`~mdsrs_core.models.survfit` result
        already at hand: no second fit) up to ``tau``; :func:`rmst` fits and builds one."""
        self.survfit = fit
        self.tau = _checked_tau(tau)
        self.conf_level = conf_level
        #: stratum label -> estimate
        self.estimates = {label: rmst_curve(c, self.tau) for label, c in fit.curves.items()}

    @property
    def strata(self) -> list[str]:
        """Stratum labels in R's order (the reference first)."""
        return list(self.estimates)

    @property
    def formula(self) -> str:
        return self.survfit.formula

    def _z(self) -> float:
        from mdsrs_core.stats.distributions import norm

        return float(norm.ppf(0.5 + self.conf_level / 2.0))

    def table(self) -> pd.DataFrame:
        """Per stratum ``strata, n, events, tau, rmst, std_error, conf_low, conf_high``:
        ``rmst`` and ``std_error`` as R's ``print(survfit(...), rmean = tau)`` (columns
        ``rmean``, ``se(rmean)``), the interval ``rmst -/+ z se`` as survRM2's."""
        z = self._z()
        rows = []
        for label, est in self.estimates.items():
            curve = self.survfit.curves[label]
            se = float(np.sqrt(est.variance))
            rows.append(
                {
                    "strata": label,
                    "n": int(curve.n),
                    "events": int(np.sum(curve.n_event)),
                    "tau": self.tau,
                    "rmst": est.rmst,
                    "std_error": se,
                    "conf_low": est.rmst - z * se,
                    "conf_high": est.rmst + z * se,
                }
            )
        return pd.DataFrame(rows)

    def _check_tau(self, reference: str, other: str) -> None:
        """survRM2's rule: ``tau`` may pass the shorter follow-up only when that group's
        last time is an event (its curve is then known up to any time)."""
        a, b = self.estimates[reference], self.estimates[other]
        longer, shorter = (a, b) if a.last_time >= b.last_time else (b, a)
        if a.last_is_event and b.last_is_event:
            bound = longer.last_time
        elif not a.last_is_event and not b.last_is_event:
            bound = shorter.last_time
        else:
            bound = longer.last_time if shorter.last_is_event else shorter.last_time
        if self.tau > bound:
            raise ModelError(
                f"RMST contrast of {other} vs {reference} up to tau = {self.tau:g}: tau must be "
                f"<= {bound:g}, the last follow-up time at which both Kaplan-Meier curves are "
                "known (survRM2: 'The truncation time, tau, needs to be shorter than or equal "
                "to ...'). Choose a smaller tau."
            )

    def contrast(self, reference: str | None = None) -> pd.DataFrame:
        """Each stratum against ``reference`` (default: the first), survRM2's three
        contrasts: ``contrast, strata, reference, estimate, std_error, statistic, p_value,
        conf_low, conf_high`` with ``contrast`` one of ``difference`` (RMST difference),
        ``ratio`` (RMST ratio) and ``rmtl_ratio`` (ratio of restricted mean times lost,
        tau - RMST). For the ratios ``std_error`` and ``statistic`` are on the log scale
        and the interval is the exponentiated log-scale interval, as survRM2's."""
        from mdsrs_core.stats.distributions import norm

        if len(self.estimates) < 2:
            raise ModelError(
                f"An RMST contrast needs two or more groups; {self.formula!r} has one curve."
            )
        reference = self.strata[0] if reference is None else reference
        if reference not in self.estimates:
            raise ModelError(
                f"reference {reference!r} is not a stratum: choose one of {', '.join(self.strata)}."
            )
        z = self._z()
        ref = self.estimates[reference]
        rows = []
        for label, est in self.estimates.items():
            if label == reference:
                continue
            self._check_tau(reference, label)
            mu1, mu0 = np.float64(est.rmst), np.float64(ref.rmst)
            v1, v0 = np.float64(est.variance), np.float64(ref.variance)
            with np.errstate(divide="ignore", invalid="ignore"):
                diff = float(mu1 - mu0)
                se_diff = float(np.sqrt(v1 + v0))
                log_ratio = float(np.log(mu1) - np.log(mu0))
                se_ratio = float(np.sqrt(v1 / mu1**2 + v0 / mu0**2))
                lost, lost_ref = self.tau - mu1, self.tau - mu0
                log_rmtl = float(np.log(lost) - np.log(lost_ref))
                se_rmtl = float(np.sqrt(v1 / lost**2 + v0 / lost_ref**2))
                for name, value, se, log in (
                    ("difference", diff, se_diff, False),
                    ("ratio", log_ratio, se_ratio, True),
                    ("rmtl_ratio", log_rmtl, se_rmtl, True),
                ):
                    stat = value / se if se > 0 else float("nan")
                    low, high = value - z * se, value + z * se
                    rows.append(
                        {
                            "contrast": name,
                            "strata": label,
                            "reference": reference,
                            "estimate": float(np.exp(value)) if log else value,
                            "std_error": se,
                            "statistic": stat,
                            "p_value": float(2.0 * norm.sf(abs(stat))),
                            "conf_low": float(np.exp(low)) if log else low,
                            "conf_high": float(np.exp(high)) if log else high,
                        }
                    )
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"<RmstResults {self.formula!r}, tau={self.tau:g}, strata={self.strata}>"

    def __str__(self) -> str:
        tab = self.table().to_string(index=False, float_format=lambda v: f"{v:.6g}")
        return f"rmst: {self.formula}  (tau = {self.tau:g})\n{tab}"


def rmst(formula: str, data: Any, tau: float, conf_level: float = 0.95) -> RmstResults:
    """Restricted mean survival time up to ``tau`` per group, as
    ``print(survival::survfit(formula, data), rmean = tau)``, with survRM2's contrasts.

    Parameters
    ----------
    formula:
        ``"Surv(time, event) ~ 1"`` or ``"~ arm"`` (as :func:`~mdsrs_core.models.survfit`).
    data:
        A pandas DataFrame or a :class:`~mdsrs_core.Cohort` (whose reference arm is the
        contrasts' reference).
    tau:
        The truncation time (> 0), in the unit of the time column.
    conf_level:
        Level of the Wald intervals, default 0.95.
    """
    tau = _checked_tau(tau)
    return RmstResults(survfit(formula, data, conf_level=conf_level), tau, conf_level)


def _checked_tau(tau: Any) -> float:
    """``tau`` as a float, refused unless a finite time > 0."""
    try:
        tau = float(tau)
    except (TypeError, ValueError):
        raise ModelError(f"tau must be a number (a time), not {tau!r}.") from None
    if not np.isfinite(tau) or tau <= 0:
        raise ModelError(f"tau must be a time > 0, not {tau!r}.")
    return tau
