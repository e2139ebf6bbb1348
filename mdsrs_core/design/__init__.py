"""Planning a confirmatory randomised trial: simulation-based power, run on Dask.

``power(cohort, n=[...], reps=..., seed=...)`` simulates trials for each plannable endpoint
(OS, responder rate, AML, worst adverse-event grade) from what the cohort observed (or from
stated scenarios) and analyses each with the study's test; see docs/design.md.

Modules: :mod:`.distributions` (event-time models), :mod:`.trial` (accrual, follow-up,
dropout), :mod:`.scenarios` (per-endpoint simulators), :mod:`.batch_tests` (the tests on a
whole array of trials), :mod:`.from_cohort` (scenarios from a cohort), :mod:`.executor`
(in-process or Dask tasks, seeded per task), :mod:`.power` (the API), :mod:`.records`.
Nothing heavy is imported until used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "power",
    "DesignResult",
    "TrialDesign",
    "SurvivalScenario",
    "BinaryScenario",
    "OrdinalScenario",
    "CompetingScenario",
    "Exponential",
    "Weibull",
    "PiecewiseExponential",
    "KaplanMeier",
    "ProportionalHazards",
]

_LAZY = {
    "power": ".power",
    "DesignResult": ".power",
    "TrialDesign": ".trial",
    "SurvivalScenario": ".scenarios",
    "BinaryScenario": ".scenarios",
    "OrdinalScenario": ".scenarios",
    "CompetingScenario": ".scenarios",
    "Exponential": ".distributions",
    "Weibull": ".distributions",
    "PiecewiseExponential": ".distributions",
    "KaplanMeier": ".distributions",
    "ProportionalHazards": ".distributions",
}

if TYPE_CHECKING:  # pragma: no cover
    from .distributions import (
        Exponential,
        KaplanMeier,
        PiecewiseExponential,
        ProportionalHazards,
        Weibull,
    )
    from .power import DesignResult, power
    from .scenarios import BinaryScenario, CompetingScenario, OrdinalScenario, SurvivalScenario
    from .trial import TrialDesign


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mdsrs_core.design' has no attribute {name!r}")
