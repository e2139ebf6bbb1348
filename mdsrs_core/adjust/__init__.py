"""Propensity-score adjustment of a two-arm comparison: scores, weights, matching, balance.

=====================  ==================================================================
:func:`propensity`     logistic propensity score and IPTW (ATE), ATT or overlap weights
:func:`match`          1:k nearest-neighbour matching on the logit of the score (MatchIt)
:func:`balance_table`  SMDs and variance ratios before/after (cobalt's conventions)
:func:`evalues`        E-values of an OR/HR/RR and its CI (VanderWeele & Ding 2017)
=====================  ==================================================================

``propensity(...).balance()`` and ``match(...).balance()`` give the balance table of the
fitted adjustment; ``.ess()`` the effective sample size per arm. See docs/adjustment.md.
Submodules are imported on first use, so ``import mdsrs_core.adjust`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .balance import balance_table
    from .evalue import evalues
    from .matching import MatchResult, match
    from .score import PropensityScore, propensity

__all__ = ["MatchResult", "PropensityScore", "balance_table", "evalues", "match", "propensity"]

_LAZY = {
    "propensity": ".score",
    "PropensityScore": ".score",
    "match": ".matching",
    "MatchResult": ".matching",
    "balance_table": ".balance",
    "evalues": ".evalue",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
