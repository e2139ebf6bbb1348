"""What each planned endpoint's trial looks like, and the test that analyses it.

A scenario holds, per arm (reference first), how its patients' outcomes are drawn, and
``pvalues(design, n, reps, rng)`` simulates ``reps`` trials of ``n`` patients as one array and
returns one p-value per trial from the test the study uses for that endpoint
(:mod:`mdsrs_core.design.batch_tests`):

=================== ======================================= =================================
endpoint            outcome per patient                     test
=================== ======================================= =================================
``os``              event time from a distribution per arm  log-rank (``survdiff``)
``response``        responder with the arm's probability    gtsummary rule: chi-square/Fisher
``aml``             AML or death without AML, competing     Gray's test (``cmprsk::cuminc``)
``adverse_events``  worst grade from the arm's distribution Wilcoxon rank-sum (``wilcox.test``)
=================== ======================================= =================================

Scenarios are frozen dataclasses (Dask pickles them to its workers); :mod:`.from_cohort`
builds them from what a cohort observed, or they are written out as assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .batch_tests import binary_p, clm_wald_p, gray_p, logrank_p, wilcoxon_p
from .distributions import Distribution
from .trial import TrialDesign

__all__ = [
    "SurvivalScenario",
    "BinaryScenario",
    "OrdinalScenario",
    "CompetingScenario",
    "Scenario",
]


def _check_arms(arms: tuple[str, ...], *parts: tuple) -> None:
    if len(arms) != 2 or any(len(p) != 2 for p in parts):
        raise ValueError("a scenario has two arms: (reference, other), and one value per arm")


@dataclass(frozen=True)
class SurvivalScenario:
    """Time to an event (death), one distribution per arm; the log-rank test."""

    arms: tuple[str, str]
    dists: tuple[Distribution, Distribution]
    endpoint: str = "os"
    source: str = "assumed"
    test: str = "Log-rank test (survdiff)"
    cost = 1.0  # work per patient-trial relative to the log-rank test (executor choice)

    def __post_init__(self) -> None:
        _check_arms(self.arms, self.dists)

    def simulate(
        self, design: TrialDesign, n: int, reps: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Times, events and groups of ``reps`` trials of ``n`` (``(reps, n)`` arrays)."""
        n0, n1 = design.arm_sizes(n)
        t = np.concatenate(
            [self.dists[0].sample(rng, (reps, n0)), self.dists[1].sample(rng, (reps, n1))],
            axis=1,
        )
        c = design.censoring(rng, (reps, n))
        group = np.broadcast_to(np.repeat([0.0, 1.0], [n0, n1]), (reps, n))
        return np.minimum(t, c), (t <= c).astype(float), group

    def pvalues(
        self, design: TrialDesign, n: int, reps: int, rng: np.random.Generator
    ) -> np.ndarray:
        time, event, group = self.simulate(design, n, reps, rng)
        return logrank_p(time, event, group)


@dataclass(frozen=True)
class CompetingScenario:
    """Time to the event of interest (AML, cause 1) with a competing event (death without
    AML, cause 2): independent latent times from each arm's cause-specific distributions
    (constant cause-specific hazards give the usual competing-risks model); Gray's test."""

    arms: tuple[str, str]
    cause1: tuple[Distribution, Distribution]
    cause2: tuple[Distribution, Distribution]
    endpoint: str = "aml"
    source: str = "assumed"
    test: str = "Gray's test (cmprsk::cuminc)"
    cost = 5.0

    def __post_init__(self) -> None:
        _check_arms(self.arms, self.cause1, self.cause2)

    def simulate(
        self, design: TrialDesign, n: int, reps: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Times, status (0 censored, 1 cause 1, 2 cause 2) and groups, ``(reps, n)``."""
        n0, n1 = design.arm_sizes(n)
        t1 = np.concatenate(
            [self.cause1[0].sample(rng, (reps, n0)), self.cause1[1].sample(rng, (reps, n1))],
            axis=1,
        )
        t2 = np.concatenate(
            [self.cause2[0].sample(rng, (reps, n0)), self.cause2[1].sample(rng, (reps, n1))],
            axis=1,
        )
        c = design.censoring(rng, (reps, n))
        first = np.minimum(t1, t2)
        status = np.where(first > c, 0.0, np.where(t1 <= t2, 1.0, 2.0))
        group = np.broadcast_to(np.repeat([0.0, 1.0], [n0, n1]), (reps, n))
        return np.minimum(first, c), status, group

    def pvalues(
        self, design: TrialDesign, n: int, reps: int, rng: np.random.Generator
    ) -> np.ndarray:
        time, status, group = self.simulate(design, n, reps, rng)
        return gray_p(time, status, group)


@dataclass(frozen=True)
class BinaryScenario:
    """A responder with probability ``p[arm]``; the gtsummary chi-square-or-Fisher rule."""

    arms: tuple[str, str]
    p: tuple[float, float]
    endpoint: str = "response"
    source: str = "assumed"
    test: str = "Chi-squared test, or Fisher's exact test when an expected count is < 5"
    cost = 0.05

    def __post_init__(self) -> None:
        _check_arms(self.arms, self.p)
        if not all(0 <= p <= 1 for p in self.p):
            raise ValueError(f"probabilities must lie in [0, 1], not {self.p}")

    def pvalues(
        self, design: TrialDesign, n: int, reps: int, rng: np.random.Generator
    ) -> np.ndarray:
        n0, n1 = design.arm_sizes(n)
        x0 = rng.binomial(n0, self.p[0], size=reps)
        x1 = rng.binomial(n1, self.p[1], size=reps)
        return binary_p(x0, n0, x1, n1)


@dataclass(frozen=True)
class OrdinalScenario:
    """An ordered grade drawn from ``probs[arm]`` over ``levels``; ``method="wilcoxon"``: the
    Wilcoxon rank-sum test (the proportional-odds score test for two arms), or ``"clm"``: the
    Wald test of the proportional-odds model ``clm(grade ~ arm)``, as the endpoint reports."""

    arms: tuple[str, str]
    levels: tuple[int, ...]
    probs: tuple[tuple[float, ...], tuple[float, ...]]
    endpoint: str = "adverse_events"
    source: str = "assumed"
    method: str = "wilcoxon"

    @property
    def test(self) -> str:
        if self.method == "clm":
            return "Proportional-odds model, Wald test (ordinal::clm)"
        return "Wilcoxon rank-sum test (wilcox.test)"

    @property
    def cost(self) -> float:
        return 3.0 if self.method == "clm" else 0.05

    def __post_init__(self) -> None:
        _check_arms(self.arms, self.probs)
        for p in self.probs:
            if len(p) != len(self.levels) or abs(sum(p) - 1) > 1e-9 or min(p) < 0:
                raise ValueError("each arm's probabilities cover every level and sum to 1")
        if self.method not in ("wilcoxon", "clm"):
            raise ValueError(f"the AE-grade test is 'wilcoxon' or 'clm', not {self.method!r}")

    def pvalues(
        self, design: TrialDesign, n: int, reps: int, rng: np.random.Generator
    ) -> np.ndarray:
        n0, n1 = design.arm_sizes(n)
        c0 = rng.multinomial(n0, self.probs[0], size=reps)
        c1 = rng.multinomial(n1, self.probs[1], size=reps)
        return clm_wald_p(c0, c1) if self.method == "clm" else wilcoxon_p(c0, c1)


Scenario = SurvivalScenario | CompetingScenario | BinaryScenario | OrdinalScenario
