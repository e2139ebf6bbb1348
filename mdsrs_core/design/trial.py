"""The planned trial: arm sizes, accrual, follow-up and dropout, and the censoring they give.

Model (the calendar-time design of rpact's ``getPowerSurvival`` / ``getSimulationSurvival``):
``n`` patients are randomised ``allocation : 1`` (other arm : reference arm) in fixed numbers
(permuted blocks: ``round(n * allocation / (1 + allocation))`` to the other arm); they enter
uniformly over ``accrual`` months; the analysis is ``follow_up`` months after the last entry,
so a patient entering at ``e`` is censored at ``accrual + follow_up - e`` at the latest; and
each is lost to follow-up at an exponential time with ``P(lost by dropout_time) = dropout``
(rpact's ``dropoutRate`` / ``dropoutTime``). Binary and ordinal endpoints are assessed in every
randomised patient (dropout does not apply to them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["TrialDesign"]


@dataclass(frozen=True)
class TrialDesign:
    """Design settings shared by every endpoint (months)."""

    allocation: float = 1.0
    accrual: float = 24.0
    follow_up: float = 36.0
    dropout: float = 0.0
    dropout_time: float = 12.0
    alpha: float = 0.05

    def __post_init__(self) -> None:
        problems = []
        if not (math.isfinite(self.allocation) and self.allocation > 0):
            problems.append(f"allocation must be a ratio > 0, not {self.allocation!r}")
        if not (math.isfinite(self.accrual) and self.accrual >= 0):
            problems.append(f"accrual must be >= 0 months, not {self.accrual!r}")
        if not (math.isfinite(self.follow_up) and self.follow_up > 0):
            problems.append(f"follow-up must be > 0 months, not {self.follow_up!r}")
        if not 0 <= self.dropout < 1:
            problems.append(f"dropout must be a proportion in [0, 1), not {self.dropout!r}")
        if not (math.isfinite(self.dropout_time) and self.dropout_time > 0):
            problems.append(f"dropout time must be > 0 months, not {self.dropout_time!r}")
        if not 0 < self.alpha < 1:
            problems.append(f"alpha must lie strictly between 0 and 1, not {self.alpha!r}")
        if problems:
            from mdsrs_core.errors import StudyError

            raise StudyError("Trial design: " + "; ".join(problems) + ".")

    def arm_sizes(self, n: int) -> tuple[int, int]:
        """(reference, other) patients of a trial of ``n``."""
        other = int(round(n * self.allocation / (1 + self.allocation)))
        return n - other, other

    @property
    def dropout_rate(self) -> float:
        """Monthly hazard of loss to follow-up."""
        return -math.log(1 - self.dropout) / self.dropout_time if self.dropout > 0 else 0.0

    def censoring(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        """Censoring times (administrative and dropout) for ``(trials, patients)``."""
        entry = rng.random(shape) * self.accrual
        admin = self.accrual + self.follow_up - entry
        if self.dropout_rate > 0:
            lost = -np.log(1.0 - rng.random(shape)) / self.dropout_rate
            return np.minimum(admin, lost)
        return admin
