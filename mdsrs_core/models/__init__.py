"""R-named statistical models taking an R-style formula and ``data=`` (a Cohort or DataFrame).

================  =========================================  ===================================
function          R call mirrored                            results
================  =========================================  ===================================
:func:`lm`        ``stats::lm(formula, data)``               :class:`~.lm.LmResults`
:func:`glm`       ``stats::glm(formula, family, data)``      :class:`~.glm.GlmResults`
:func:`clm`       ``ordinal::clm(formula, data)``            :class:`~.clm.ClmResults`
:func:`coxph`     ``survival::coxph(formula, data)``         :class:`~.coxph.CoxphResults`
:func:`survfit`   ``survival::survfit(formula, data)``       :class:`~.survfit.SurvfitResults`
:func:`survdiff`  ``survival::survdiff(formula, data)``      :class:`~.survdiff.SurvdiffResults`
:func:`cox_zph`   ``survival::cox.zph(fit)``                 :class:`~.cox_zph.CoxZphResults`
:func:`logistf`   ``logistf::logistf(formula, data)``        :class:`~.logistf.LogistfResults`
:func:`mixedlm`   ``lme4::lmer(formula, data) / nlme::lme``  :class:`~.mixedlm.MixedLMResults`
:func:`cuminc`    ``cmprsk::cuminc(ftime, fstatus, group)``  :class:`~.cuminc.CumincResults`
:func:`crr`       ``cmprsk::crr(ftime, fstatus, cov1)``      :class:`~.crr.CrrResults`
:func:`survreg`   ``survival::survreg(formula, data)``       :class:`~.survreg.SurvregResults`
:func:`rmst`      ``print(survfit(f, data), rmean = tau)``   :class:`~.rmst.RmstResults`
================  =========================================  ===================================

:func:`~.svylogrank.svylogrank` is the weighted log-rank test of ``survey::svylogrank``.
``lm``, ``glm`` and ``survfit`` take ``weights=`` (and ``robust=``/``cluster=``) as R does.

The model modules are imported on first use (PEP 562 module ``__getattr__``), so that
``import mdsrs_core.models`` does not import statsmodels, scipy or patsy.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .clm import clm
    from .coxph import coxph
    from .glm import glm
    from .lm import lm
    from .rmst import rmst
    from .survdiff import survdiff
    from .survfit import survfit
    from .survreg import survreg

__all__ = ["MODELS", "clm", "coxph", "fit", "glm", "lm", "rmst", "survdiff", "survfit", "survreg"]

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
    "survreg": ".survreg",
    "rmst": ".rmst",
    "svylogrank": ".svylogrank",
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


class _ModelsPackage(types.ModuleType):
    """This package's module type: ``models.lm`` stays the function ``lm``.

    Importing a submodule (``import mdsrs_core.models.lm``, ``from .glm import ...``) makes
    Python bind the *module* to the package attribute of that name, hiding the function of
    the same name; the binding is turned into the function here.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in MODELS and isinstance(value, types.ModuleType):
            function = getattr(value, name, None)
            if function is None:  # a partly imported submodule: __getattr__ binds it later
                return
            value = function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ModelsPackage


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(MODELS))


def fit(model_name: str, formula: str, data: Any, **kwargs: Any) -> Any:
    """Fit the model called ``model_name`` (``"lm"``, ``"glm"``...): ``mdsrs fit``'s back end.

    Unknown names raise :class:`mdsrs_core.errors.FormulaError`.
    """
    from mdsrs_core.errors import FormulaError

    if model_name not in MODELS:
        raise FormulaError(f"Unknown model {model_name!r}: choose one of {', '.join(MODELS)}.")
    return __getattr__(model_name)(formula, data, **kwargs)
