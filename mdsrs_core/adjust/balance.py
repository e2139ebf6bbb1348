"""Covariate balance before and after weighting or matching, as cobalt's ``bal.tab`` reports it.

One row per covariate of the propensity model: a numeric term as it enters the model, a
factor split into one 0/1 indicator per level (reference level included, as cobalt's
``splitfactor``; named ``variable_level``). For each row:

* ``smd`` -- the standardised mean difference, treated minus reference arm,
  ``(m_1 - m_0) / s``. The means are weighted (``sum w x / sum w`` in each arm) after
  adjustment. The denominator ``s`` is computed once, in the *unadjusted* sample, and used
  both before and after (cobalt's ``s.d.denom``): the pooled ``sqrt((v_1 + v_0) / 2)`` for
  the ATE (IPTW) and ATO (overlap weights) and the treated arm's SD for the ATT (ATT weights
  and matching). Binary indicators are standardised too (cobalt's ``binary = "std"``; its
  default ``"raw"`` would report the bare difference in proportions).
* ``variance_ratio`` -- treated over reference variance, continuous terms only (NaN for
  binary ones, as cobalt leaves them blank).

Variances as cobalt's ``col_w_var``: a binary indicator's is ``p (1 - p)`` with p its
(weighted) mean; a continuous term's is ``sum((x - m)^2) / (n - 1)`` unweighted and
``sum w (x - m)^2 / ((sum w)^2 - sum w^2) * sum w`` weighted (the unbiased weighted form).
References: Austin (2009) *Stat Med* 28:3083-3107; Austin & Stuart (2015) *Stat Med*
34:3661-3679; Greifer, cobalt: Covariate Balance Tables and Plots (R package).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["BALANCE_COLUMNS", "SMD_THRESHOLD", "balance_table", "covariate_matrix"]

#: |SMD| above which a covariate is flagged as imbalanced (Austin 2009; Stuart 2010)
SMD_THRESHOLD = 0.1

BALANCE_COLUMNS = [
    "variable",
    "type",
    "mean_treated_before",
    "mean_reference_before",
    "mean_treated_after",
    "mean_reference_after",
    "smd_before",
    "smd_after",
    "variance_ratio_before",
    "variance_ratio_after",
    "imbalanced",
]

_FACTOR = re.compile(r"^(?P<var>.+)\[T\.(?P<level>.*)\]$")


def covariate_matrix(design: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """The covariates of a propensity model's ``design`` as balance rows.

    Factor terms (design columns ``x[T.level]``) become one indicator per level of ``x``,
    the reference level first; other columns are kept as they are.
    """
    out: dict[str, np.ndarray] = {}
    done: set[str] = set()
    for col in design.columns:
        if col == "Intercept":
            continue
        m = _FACTOR.match(col)
        var = m.group("var") if m else None
        if var is not None and var in data.columns:
            if var in done:
                continue
            done.add(var)
            values = data.loc[design.index, var]
            if isinstance(values.dtype, pd.CategoricalDtype):
                levels = [lv for lv in values.cat.categories if (values == lv).any()]
            else:
                levels = sorted(pd.unique(values.dropna()), key=str)
            for lv in levels:
                out[f"{var}_{lv}"] = (values == lv).to_numpy(dtype=float)
        else:
            out[col] = design[col].to_numpy(dtype=float)
    return pd.DataFrame(out, index=design.index)


def _is_binary(x: np.ndarray) -> bool:
    return bool(np.isin(x, [0.0, 1.0]).all())


def _mean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * x) / np.sum(w)) if np.sum(w) > 0 else np.nan


def _var(x: np.ndarray, w: np.ndarray | None, binary: bool) -> float:
    if x.size == 0:
        return np.nan
    if binary:
        p = _mean(x, np.ones_like(x) if w is None else w)
        return p * (1 - p)
    if w is None:
        return float(np.var(x, ddof=1)) if x.size > 1 else np.nan
    sw, sw2 = float(np.sum(w)), float(np.sum(w**2))
    scale = (sw**2 - sw2) / sw if sw > 0 else 0.0
    if scale <= 0:
        return np.nan
    m = _mean(x, w)
    return float(np.sum(w * (x - m) ** 2) / scale)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else np.nan


def balance_table(
    covariates: pd.DataFrame, treated: np.ndarray, weights: np.ndarray, estimand: str
) -> pd.DataFrame:
    """Balance of ``covariates`` (rows: patients with a score) between arms, before (every
    row, unweighted) and after (``weights``; 0 for a patient left out by trimming or
    matching). ``estimand`` picks the SMD denominator: ``"ATT"`` the treated SD, otherwise
    the pooled SD. Columns :data:`BALANCE_COLUMNS`."""
    z = np.asarray(treated, dtype=float) == 1
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    rows = []
    for name in covariates.columns:
        x = covariates[name].to_numpy(dtype=float)
        binary = _is_binary(x)
        x1, x0, w1, w0 = x[z], x[~z], w[z], w[~z]
        v1, v0 = _var(x1, None, binary), _var(x0, None, binary)
        sd = np.sqrt(v1) if estimand == "ATT" else np.sqrt((v1 + v0) / 2)
        m1b, m0b = float(np.mean(x1)), float(np.mean(x0))
        m1a, m0a = _mean(x1, w1), _mean(x0, w0)
        keep1, keep0 = w1 > 0, w0 > 0
        smd_b = (m1b - m0b) / sd if sd > 0 else np.nan
        smd_a = (m1a - m0a) / sd if sd > 0 else np.nan
        rows.append(
            {
                "variable": name,
                "type": "binary" if binary else "continuous",
                "mean_treated_before": m1b,
                "mean_reference_before": m0b,
                "mean_treated_after": m1a,
                "mean_reference_after": m0a,
                "smd_before": smd_b,
                "smd_after": smd_a,
                "variance_ratio_before": np.nan if binary else _ratio(v1, v0),
                "variance_ratio_after": np.nan
                if binary
                else _ratio(_var(x1[keep1], w1[keep1], False), _var(x0[keep0], w0[keep0], False)),
                "imbalanced": bool(abs(smd_a) > SMD_THRESHOLD) if np.isfinite(smd_a) else False,
            }
        )
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)
