"""IPSS-R prognostic score endpoint (``ipssr``) and the IPSS-R / IPSS-RA calculator.

:func:`score` computes the Revised International Prognostic Scoring System (Greenberg et al.,
Blood 2012;120:2454) and its age-adjusted form from a table of patients; it is a pure
function of its input. :mod:`mdsrs_ipssr.cytogenetics` reads cytogenetic risk-group labels as
real data sets write them (:func:`normalize_cyto`).
"""

from .cytogenetics import CYTO_LEVELS, invalid_cyto_positions, normalize_cyto
from .scoring import CATEGORIES, CATEGORY_DTYPE, score

__all__ = [
    "CATEGORIES",
    "CATEGORY_DTYPE",
    "CYTO_LEVELS",
    "invalid_cyto_positions",
    "normalize_cyto",
    "score",
]
