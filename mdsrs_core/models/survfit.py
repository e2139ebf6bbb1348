"""Kaplan-Meier survival curves, mirroring R's ``survival::survfit`` (right-censored data).

The product-limit estimate of Kaplan & Meier (1958) with Greenwood's (1926) variance;
pointwise intervals on the "log" scale by default (R's default; ``conf_type="log-log"``
and ``"plain"`` are the alternatives). The median survival and its interval follow
Brookmeyer & Crowley (1982) as R computes them: the first time the curve (or the interval
limit) is at or below 0.5, averaging with the next drop when the curve sits exactly at 0.5.

``Surv(t, e) ~ 1`` gives one curve (its stratum is labelled ``"All"``); ``~ arm`` or
``~ strata(arm)`` one curve per group, labelled ``"arm=lenalidomide"`` as R's
``survfit(... ~ arm)`` does (R labels ``~ strata(arm)`` as ``"strata(arm)=arm=..."``;
mdsrs uses the short label for both).

``weights=`` (a column or one value per row) gives the weighted Kaplan-Meier curve of R's
``survfit(..., weights = w)``: weighted numbers at risk and events (reported as such, not
rounded). Its standard error is, as in R, the robust infinitesimal-jackknife one when the
weights are not whole numbers or a ``cluster`` is given (``robust=None``, the default,
decides as R does; ``robust=True``/``False`` forces it), otherwise Greenwood's on the
weighted counts; see :mod:`mdsrs_core.models._weighted_km`. ``cluster=`` (column or values)
groups rows for the robust variance, as R's ``cluster`` argument (matched pairs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.formula import ModelFrame, model_frame
from mdsrs_core.models._survival_engine import (
    KMCurve,
    first_below_half,
    kaplan_meier,
    km_confint,
)
from mdsrs_core.models._survival_groups import (
    formula_groups,
    grouping_formula,
    survival_groups,
)

__all__ = ["SurvfitResults", "survfit"]

CONF_TYPES = ("log", "log-log", "plain")
SUMMARY_COLUMNS = [
    "strata",
    "time",
    "n_risk",
    "n_event",
    "surv",
    "std_err",
    "conf_low",
    "conf_high",
]
ALL = "All"


class SurvfitResults:
    """Kaplan-Meier curves, one per stratum, with R's summary, table and curve data."""

    def __init__(
        self,
        frame: ModelFrame,
        curves: dict[str, KMCurve],
        conf_level: float,
        conf_type: str,
        weighted: bool = False,
    ) -> None:
        self.model_frame = frame
        #: whether the curves are weighted (counts are then weighted sums, not integers)
        self.weighted = weighted
        #: whether the standard errors are the robust (infinitesimal jackknife) ones
        self.robust = False
        #: stratum label -> curve at every distinct time
        self.curves = curves
        self.conf_level = conf_level
        self.conf_type = conf_type

    @property
    def formula(self) -> str:
        """The formula as given by the user."""
        return self.model_frame.formula

    @property
    def strata(self) -> list[str]:
        """Stratum labels in R's order."""
        return list(self.curves)

    @property
    def nobs(self) -> int:
        """Number of rows used."""
        return self.model_frame.nobs

    @property
    def n_dropped(self) -> int:
        """Number of rows dropped for missing values."""
        return self.model_frame.n_dropped

    def _count(self, values: np.ndarray) -> np.ndarray:
        return values.astype(float) if self.weighted else values.astype(int)

    def _limits(self, curve: KMCurve) -> tuple[np.ndarray, np.ndarray]:
        return km_confint(curve.surv, curve.std_err, self.conf_level, self.conf_type)

    # ------------------------------------------------------------------ tables
    def curve(self) -> pd.DataFrame:
        """Every distinct time (events and censorings) of every curve, for plotting:
        ``strata, time, n_risk, n_event, n_censor, surv, conf_low, conf_high``
        (R's ``fit$time``, ``fit$n.risk``... ``fit$lower``, ``fit$upper``)."""
        parts = []
        for label, c in self.curves.items():
            low, high = self._limits(c)
            parts.append(
                pd.DataFrame(
                    {
                        "strata": label,
                        "time": c.time,
                        "n_risk": self._count(c.n_risk),
                        "n_event": self._count(c.n_event),
                        "n_censor": self._count(c.n_censor),
                        "surv": c.surv,
                        "conf_low": low,
                        "conf_high": high,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def summary(self, times: Sequence[float] | None = None, extend: bool = False) -> pd.DataFrame:
        """R's ``summary(fit, times = times, extend = extend)`` as a DataFrame
        ``strata, time, n_risk, n_event, surv, std_err, conf_low, conf_high``.

        With ``times``: the curve at each time (sorted); ``n_risk`` is the number at risk at
        that time, ``n_event`` the events in (previous time, time], ``std_err`` the
        standard error of S (Greenwood). Times after a curve's last follow-up are dropped
        unless ``extend=True``. Without ``times``: every event time (R's default).
        """
        parts = []
        for label, c in self.curves.items():
            if times is None:
                part = self._at_events(c)
            else:
                part = self._at_times(label, c, times, extend)
            parts.append((label, part))
        columns: dict[str, Any] = {
            "strata": np.repeat(
                np.array([label for label, _ in parts], dtype=object),
                [len(part["time"]) for _, part in parts],
            )
        }
        for name in SUMMARY_COLUMNS[1:]:
            columns[name] = np.concatenate([part[name] for _, part in parts])
        return pd.DataFrame(columns, columns=SUMMARY_COLUMNS)

    def _at_events(self, c: KMCurve) -> dict[str, np.ndarray]:
        keep = c.n_event > 0
        low, high = self._limits(c)
        with np.errstate(invalid="ignore"):
            se = c.std_err * c.surv
        return {
            "time": c.time[keep],
            "n_risk": self._count(c.n_risk[keep]),
            "n_event": self._count(c.n_event[keep]),
            "surv": c.surv[keep],
            "std_err": se[keep],
            "conf_low": low[keep],
            "conf_high": high[keep],
        }

    def _at_times(
        self, label: str, c: KMCurve, times: Sequence[float], extend: bool
    ) -> dict[str, np.ndarray]:
        req = np.sort(np.asarray(list(times), dtype=float))
        req = req[np.isfinite(req)]
        if not extend:
            req = req[req <= c.time.max()]
        if len(req) == 0:
            raise ModelError(
                f"None of the requested times is within the follow-up of the curve {label!r} "
                f"(last time {c.time.max():g}); pass extend=True to report the curve after "
                "its last follow-up, as R's summary(fit, times, extend = TRUE)."
            )
        low, high = self._limits(c)
        # R's survfit0: a row at time 0 with S = 1 is put in front of the curve
        t0 = np.concatenate([[0.0], c.time])
        surv0 = np.concatenate([[1.0], c.surv])
        se0 = np.concatenate([[0.0], c.std_err])
        low0 = np.concatenate([[1.0], low])
        high0 = np.concatenate([[1.0], high])
        risk0 = np.concatenate([[c.n_risk[0]], c.n_risk, [0.0]])
        cum_event = np.concatenate([[0.0, 0.0], np.cumsum(c.n_event)])
        upto = np.searchsorted(t0, req, "right")  # rows with time <= t
        row = np.maximum(upto - 1, 0)
        after = np.searchsorted(t0, req, "left")  # first row with time >= t
        events = np.diff(np.concatenate([[0.0], cum_event[upto]]))
        with np.errstate(invalid="ignore"):
            se = se0[row] * surv0[row]
        return {
            "time": req,
            "n_risk": self._count(risk0[after]),
            "n_event": self._count(events),
            "surv": surv0[row],
            "std_err": se,
            "conf_low": low0[row],
            "conf_high": high0[row],
        }

    def table(self) -> pd.DataFrame:
        """Per stratum ``strata, records, events, median, conf_low, conf_high`` as R's
        ``print(fit)``: the median is the first time S(t) <= 0.5 and its limits the first
        times the upper / lower pointwise limits are <= 0.5 (Brookmeyer & Crowley 1982);
        NaN when not reached."""
        rows = []
        for label, c in self.curves.items():
            low, high = self._limits(c)
            rows.append(
                {
                    "strata": label,
                    "records": c.n,
                    "events": float(c.n_event.sum()) if self.weighted else int(c.n_event.sum()),
                    "median": first_below_half(c.surv, c.time),
                    "conf_low": first_below_half(low, c.time),
                    "conf_high": first_below_half(high, c.time),
                }
            )
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"<SurvfitResults {self.formula!r}, n={self.nobs}, strata={self.strata}>"

    def __str__(self) -> str:
        head = f"survfit: {self.formula}  (n = {self.nobs}, {self.n_dropped} dropped)"
        tab = self.table().to_string(index=False, float_format=lambda v: f"{v:.6g}")
        return head + "\n" + tab


def survfit(
    formula: str,
    data: Any,
    conf_level: float = 0.95,
    conf_type: str = "log",
    weights: Any = None,
    cluster: Any = None,
    robust: bool | None = None,
) -> SurvfitResults:
    """Kaplan-Meier curves, as ``survival::survfit(formula, data, conf.int, conf.type)``.

    Parameters
    ----------
    formula:
        ``"Surv(time, event) ~ 1"`` for one curve, ``"~ arm"`` / ``"~ strata(arm)"`` (or
        several variables) for one curve per group.
    data:
        A pandas DataFrame or a :class:`~mdsrs_core.Cohort`; incomplete rows are dropped
        and counted.
    conf_level:
        Level of the pointwise intervals (R's ``conf.int``), default 0.95.
    conf_type:
        ``"log"`` (R's default), ``"log-log"`` or ``"plain"``.
    weights, cluster, robust:
        Case weights, clusters for the robust variance, and whether to use it (see the
        module docstring), as R's ``weights``, ``cluster`` and ``robust``.
    """
    from mdsrs_core.models._weights import cluster_codes, weighted_data

    if conf_type not in CONF_TYPES:
        raise ModelError(
            f"conf_type must be one of {', '.join(CONF_TYPES)} (R's conf.type), not {conf_type!r}."
        )
    if not 0 < conf_level < 1:
        raise ModelError(f"conf_level must be between 0 and 1, not {conf_level!r}.")
    columns = getattr(data, "data", data).columns
    wd = weighted_data(data, weights if weights is not None else None)
    if weights is None and cluster is not None:
        wd = weighted_data(data, np.ones(len(wd.frame)))
    if wd.weights is None:
        frame, groups, strata = survival_groups(formula, data)
    else:
        frame = model_frame(grouping_formula(formula, columns), wd.frame, intercept=False)
        frame = dataclasses.replace(frame, formula=formula)
    if frame.time is None or frame.event is None:
        raise ModelError(
            f"survfit needs a survival outcome: write the formula {formula!r} as "
            "'Surv(time, event) ~ 1' or 'Surv(time, event) ~ arm'."
        )
    if wd.weights is not None:
        groups, strata = formula_groups(formula, frame.variables)
    labels = [ALL]
    codes = np.zeros(frame.nobs, dtype=np.int64)
    if groups.k and strata.k:
        # both plain and strata() terms: every combination, plain terms first
        key = groups.codes * strata.k + strata.codes
        used, codes = np.unique(key, return_inverse=True)
        labels = [f"{groups.labels[u // strata.k]}, {strata.labels[u % strata.k]}" for u in used]
    elif groups.k or strata.k:
        g = groups if groups.k else strata
        labels, codes = g.labels, g.codes
    curves = {}
    if wd.weights is None:
        for i, label in enumerate(labels):
            sel = codes == i
            curves[label] = kaplan_meier(frame.time[sel], frame.event[sel])
        return SurvfitResults(frame, curves, conf_level, conf_type)
    from mdsrs_core.models._weighted_km import greenwood_weighted, weighted_kaplan_meier

    w = wd.weights.loc[frame.design.index].to_numpy(dtype=float)
    ids = None if cluster is None else cluster_codes(cluster, wd.frame, frame.design.index)
    if robust is None:
        robust = ids is not None or not np.all(w == np.round(w))
    for i, label in enumerate(labels):
        sel = codes == i
        sub_ids = None if ids is None else pd.factorize(ids[sel])[0]
        if robust:
            curves[label] = weighted_kaplan_meier(
                frame.time[sel], frame.event[sel], w[sel], sub_ids
            )
        else:
            curves[label] = greenwood_weighted(frame.time[sel], frame.event[sel], w[sel])
    result = SurvfitResults(frame, curves, conf_level, conf_type, weighted=True)
    result.robust = bool(robust)
    return result
