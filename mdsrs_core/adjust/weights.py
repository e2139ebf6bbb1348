"""Propensity-score weights for a two-arm comparison, and their effective sample size.

With ``e`` the propensity score (probability of the treated arm, the non-reference level)
and ``z`` 1 for treated, 0 for the reference arm:

* ``iptw`` -- inverse probability of treatment weights for the average treatment effect
  (ATE): ``z / e + (1 - z) / (1 - e)``; *stabilised* (the default) by multiplying by the
  marginal probability of the arm received, ``p`` for treated and ``1 - p`` for the
  reference arm, ``p`` the share of treated among the patients with a score (Robins,
  Hernan & Brumback 2000, *Epidemiology* 11:550-560; Austin & Stuart 2015, *Stat Med*
  34:3661-3679). Stabilising rescales each arm and changes no weighted estimate; it gives
  the weights a mean near 1 and a sum near n.
* ``att`` -- the average treatment effect in the treated: treated 1, reference
  ``e / (1 - e)`` (Hirano, Imbens & Ridder 2003); stabilising does not apply.
* ``overlap`` -- overlap weights (ATO): treated ``1 - e``, reference ``e`` (Li, Morgan &
  Zaslavsky 2018, *J Am Stat Assoc* 113:390-400); bounded, they need no trimming.

These are WeightIt's ``estimand = "ATE"`` (with ``stabilize = TRUE``), ``"ATT"`` and
``"ATO"`` weights for a logistic propensity score, computed here in base arithmetic.
"""

from __future__ import annotations

import numpy as np

__all__ = ["METHODS", "ps_weights", "kish_ess"]

#: weighting methods and the estimand each targets
METHODS = {"iptw": "ATE", "att": "ATT", "overlap": "ATO"}


def ps_weights(ps: np.ndarray, treated: np.ndarray, method: str, stabilize: bool = True):
    """Weights for scores ``ps`` and 0/1 ``treated`` (NaN scores give NaN weights)."""
    ps = np.asarray(ps, dtype=float)
    z = np.asarray(treated, dtype=float)
    if method == "iptw":
        w = np.where(z == 1, 1.0 / ps, 1.0 / (1.0 - ps))
        if stabilize:
            ok = ~np.isnan(ps)
            p = float(np.mean(z[ok])) if ok.any() else np.nan
            w = w * np.where(z == 1, p, 1.0 - p)
    elif method == "att":
        w = np.where(z == 1, 1.0, ps / (1.0 - ps))
    elif method == "overlap":
        w = np.where(z == 1, 1.0 - ps, ps)
    else:
        raise ValueError(f"unknown weighting method {method!r}: choose one of {', '.join(METHODS)}")
    return np.where(np.isnan(ps), np.nan, w)


def kish_ess(w: np.ndarray) -> float:
    """Kish's (1965) effective sample size ``(sum w)^2 / sum w^2`` (cobalt's ``ESS``)."""
    w = np.asarray(w, dtype=float)
    w = w[~np.isnan(w)]
    if w.size == 0 or not np.any(w):
        return 0.0
    return float(w.sum() ** 2 / np.sum(w**2))
