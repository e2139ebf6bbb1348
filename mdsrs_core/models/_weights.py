"""Case weights and sandwich variances shared by ``lm``, ``glm`` and ``survfit``.

``weights=`` is what R's ``weights`` argument is: a column of the data (its name) or a
vector with one value per row. Rows whose weight is missing are dropped (R's ``na.omit``
on the model frame), and so are rows of weight 0 (they contribute nothing; R keeps them in
the frame but not in the residual degrees of freedom); both are counted. A negative or
infinite weight is an error.

The sandwich (Huber 1967; White 1980) is the design-based variance of ``survey::svyglm``
for a design with weights only, ``svydesign(ids = ~1, weights = ~w)``, or with clusters,
``ids = ~cluster`` (Binder 1983; Lumley 2004): with ``A`` the weighted information and
``u_i`` the weighted score contribution of row i,
``V = A^-1 [m / (m - 1) sum_g U_g U_g'] A^-1``, where ``U_g`` sums ``u_i`` over cluster g
(each row its own cluster without ``cluster``) and m is the number of clusters. Tests and
intervals then use t with ``m - p`` degrees of freedom (svyglm's ``df.residual`` =
``degf(design) + 1 - p``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError

__all__ = ["WeightedData", "weighted_data", "sandwich", "cluster_codes"]


class WeightedData:
    """The data with weights aligned: rows to fit, their weights, and what was dropped."""

    def __init__(self, frame: pd.DataFrame, weights: pd.Series | None, dropped: pd.Index):
        self.frame = frame
        self.weights = weights
        #: rows dropped for a missing or zero weight
        self.dropped = dropped


def _aligned(values: Any, frame: pd.DataFrame, what: str, name: str) -> pd.Series:
    if isinstance(values, str):
        if values not in frame.columns:
            raise FormulaError(f"{what} = {values!r}: no such column in the data.")
        series = frame[values]
    elif isinstance(values, pd.Series):
        if not values.index.equals(frame.index):
            values = values.reindex(frame.index)
        series = values
    else:
        arr = np.asarray(values)
        if arr.ndim != 1 or len(arr) != len(frame):
            raise FormulaError(
                f"{what} must be a column name or one value per row of the data "
                f"({len(frame)} rows); got {arr.shape}."
            )
        series = pd.Series(arr, index=frame.index)
    return series.rename(name)


def weighted_data(data: Any, weights: Any) -> WeightedData:
    """The frame of ``data`` (Cohort arm reference applied) and its weights, rows with a
    missing or zero weight removed."""
    from mdsrs_core.formula import _with_references

    frame = _with_references(data)
    if weights is None:
        return WeightedData(frame, None, frame.index[:0])
    w = pd.to_numeric(_aligned(weights, frame, "weights", "weights"), errors="coerce")
    w = w.astype(float)
    bad = w.notna() & (~np.isfinite(w) | (w < 0))
    if bad.any():
        rows = ", ".join(str(r) for r in list(w.index[bad])[:10])
        raise FormulaError(f"weights must be finite and >= 0; rows {rows} have {w[bad].iloc[0]!r}.")
    keep = w.notna() & (w > 0)
    if not keep.any():
        raise FormulaError("Every row has a missing or zero weight: nothing to fit.")
    return WeightedData(frame.loc[keep], w.loc[keep], frame.index[~keep.to_numpy()])


def cluster_codes(cluster: Any, frame: pd.DataFrame, rows: pd.Index) -> np.ndarray:
    """Integer cluster codes for ``rows`` of ``frame`` (``cluster``: column name or values)."""
    c = _aligned(cluster, frame, "cluster", "cluster").loc[rows]
    if c.isna().any():
        raise FormulaError("cluster has missing values among the rows fitted.")
    return pd.factorize(c)[0]


def sandwich(bread_inv: np.ndarray, scores: np.ndarray, clusters: np.ndarray | None = None):
    """``(V, m)``: the sandwich variance and the number of clusters (see module docstring).

    ``bread_inv`` is the inverse weighted information (p x p), ``scores`` the n x p weighted
    score contributions.
    """
    if clusters is None:
        totals = scores
    else:
        m = int(clusters.max()) + 1
        totals = np.zeros((m, scores.shape[1]))
        np.add.at(totals, clusters, scores)
    m = totals.shape[0]
    centred = totals - totals.mean(axis=0)
    meat = centred.T @ centred * (m / (m - 1)) if m > 1 else np.full_like(bread_inv, np.nan)
    return bread_inv @ meat @ bread_inv, m
