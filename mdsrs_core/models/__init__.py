"""R-named statistical models taking an R-style formula and ``data=`` (a Cohort or DataFrame).

=============  ======================================  ==============================
function       R call mirrored                         module
=============  ======================================  ==============================
``lm``         ``stats::lm(formula, data)``            :mod:`.lm`
``glm``        ``stats::glm(formula, family, data)``   :mod:`.glm`
``clm``        ``ordinal::clm(formula, data)``         :mod:`.clm`
``coxph``      ``survival::coxph(formula, data)``      :mod:`.coxph`
``survfit``    ``survival::survfit(formula, data)``    :mod:`.survfit`
``survdiff``   ``survival::survdiff(formula, data)``   :mod:`.survdiff`
=============  ======================================  ==============================

The model modules are imported on first use (PEP 562 module ``__getattr__``), so that
``import mdsrs_core.models`` does not import statsmodels, lifelines or scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .clm import clm
    from .coxph import coxph
    from .glm import glm
    from .lm import lm
    from .survdiff import survdiff
    from .survfit import survfit

__all__ = ["MODELS", "clm", "coxph", "fit", "glm", "lm", "survdiff", "survfit"]

#: model name -> module (relative to this package) that defines a function of that name
MODELS: dict[str, str] = {
    "lm": ".lm",
    "glm": ".glm",
    "clm": ".clm",
    "coxph": ".coxph",
    "survfit": ".survfit",
    "survdiff": ".survdiff",
    "cox_zph": ".cox_zph",
    "logistf": ".logistf",
    "mixedlm": ".mixedlm",
    "cuminc": ".cuminc",
    "crr": ".crr",
}


def __getattr__(name: str) -> Any:
    if name in MODELS:
        module = importlib.import_module(MODELS[name], __name__)
        function = getattr(module, name)
        # Importing the submodule ``.lm`` binds the *module* to this package's attribute
        # ``lm``; bind the function instead, so ``models.lm`` is always the function.
        globals()[name] = function
        return function
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(MODELS))


def fit(model_name: str, formula: str, data: Any, **kwargs: Any) -> Any:
    """Fit the model called ``model_name`` (``"lm"``, ``"glm"``...): ``mdsrs fit``'s back end.

    Unknown names raise :class:`mdsrs_core.errors.FormulaError`.
    """
    from mdsrs_core.errors import FormulaError

    if model_name not in MODELS:
        raise FormulaError(
            f"Unknown model {model_name!r}: choose one of {', '.join(MODELS)}."
        )
    return __getattr__(model_name)(formula, data, **kwargs)
