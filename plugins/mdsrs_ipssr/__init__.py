"""Built-in plugin: the IPSS-R prognostic score, endpoint ``ipssr``, and the IPSS-R calculator.

:func:`score` computes the Revised International Prognostic Scoring System (Greenberg et al.,
Blood 2012;120:2454) and its age-adjusted form from a table of patients; it is a pure
function of its input. :mod:`mdsrs_ipssr.cytogenetics` reads cytogenetic risk-group labels as
real data sets write them (:func:`normalize_cyto`, with the core's single spelling table).

Hooks: ``mdsrs_derive`` adds ``ipssr_base_score``/``_category``, ``ipssr_post_score``/
``_category`` (and the IPSS-RA ``ipssra_*`` when ``age`` is present) to every cohort whose
components are present; ``mdsrs_register_endpoints`` registers the ``ipssr`` endpoint.

This module is import-light (``mdsrs plugins`` must stay fast): the calculator's names are
imported on first use (PEP 562 ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mdsrs_core import hookimpl

from .endpoint import Ipssr

if TYPE_CHECKING:  # pragma: no cover
    from .cytogenetics import CYTO_LEVELS, invalid_cyto_positions, normalize_cyto
    from .scoring import CATEGORIES, CATEGORY_DTYPE, score

__all__ = [
    "CATEGORIES",
    "CATEGORY_DTYPE",
    "CYTO_LEVELS",
    "Ipssr",
    "invalid_cyto_positions",
    "normalize_cyto",
    "score",
]

_LAZY = {
    "CATEGORIES": ".scoring",
    "CATEGORY_DTYPE": ".scoring",
    "score": ".scoring",
    "CYTO_LEVELS": ".cytogenetics",
    "invalid_cyto_positions": ".cytogenetics",
    "normalize_cyto": ".cytogenetics",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


@hookimpl
def mdsrs_register_endpoints(register):
    register(Ipssr())


@hookimpl
def mdsrs_derive(cohort):
    from .derive import derive_ipssr

    derive_ipssr(cohort)
