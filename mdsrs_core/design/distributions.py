"""Event-time distributions that simulated patients are drawn from (one per arm and cause).

Each is a frozen dataclass (picklable: Dask ships it to the workers) with
``sample(rng, shape)`` -- inverse-transform sampling from one uniform per patient, so a
trial's draws depend only on its random stream -- ``survival(t)`` and ``median()``:

* :class:`Exponential` -- constant hazard ``rate`` (``S(t) = exp(-rate t)``);
* :class:`Weibull` -- R's ``survreg`` parameterisation turned into
  ``S(t) = exp(-(t / scale)^shape)``;
* :class:`PiecewiseExponential` -- constant hazards between ``breaks`` (the cohort's
  occurrence/exposure rates per interval, the last extended beyond the last break);
* :class:`KaplanMeier` -- the observed Kaplan-Meier step function resampled (a draw is the
  first time the curve is at or below the uniform), with an exponential tail at ``tail_rate``
  beyond the last follow-up (the arm's events over its exposure), where the curve says
  nothing;
* :class:`ProportionalHazards` -- another distribution's survival raised to a hazard ratio
  (the other arm of a stated effect).

A rate of 0 means no event ever (``inf`` times), as an arm without events observed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Exponential",
    "Weibull",
    "PiecewiseExponential",
    "KaplanMeier",
    "ProportionalHazards",
    "Distribution",
]


def _exp_times(rate: float, u: np.ndarray) -> np.ndarray:
    """Exponential times from uniforms u in (0, 1] (``-log(u) / rate``; inf for rate 0)."""
    with np.errstate(divide="ignore"):
        return -np.log(u) / rate if rate > 0 else np.full(u.shape, np.inf)


def _uniforms(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return 1.0 - rng.random(shape)  # in (0, 1]: log() is finite


@dataclass(frozen=True)
class Exponential:
    """Constant hazard ``rate`` per month."""

    rate: float

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return self.inverse(_uniforms(rng, shape))

    def inverse(self, u: np.ndarray) -> np.ndarray:
        """The time t with S(t) = u."""
        return _exp_times(self.rate, u)

    def survival(self, t: Any) -> np.ndarray:
        return np.exp(-self.rate * np.asarray(t, float))

    def median(self) -> float:
        return math.log(2) / self.rate if self.rate > 0 else math.inf

    def describe(self) -> str:
        return f"exponential, hazard {self.rate:.4g} per month"


@dataclass(frozen=True)
class Weibull:
    """``S(t) = exp(-(t / scale)^shape)``; from ``survreg``: shape = 1 / scale_R,
    scale = exp(intercept + arm coefficient)."""

    shape: float
    scale: float

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return self.inverse(_uniforms(rng, shape))

    def inverse(self, u: np.ndarray) -> np.ndarray:
        """The time t with S(t) = u."""
        return self.scale * (-np.log(u)) ** (1 / self.shape)

    def survival(self, t: Any) -> np.ndarray:
        return np.exp(-((np.asarray(t, float) / self.scale) ** self.shape))

    def median(self) -> float:
        return self.scale * math.log(2) ** (1 / self.shape)

    def describe(self) -> str:
        return f"Weibull, shape {self.shape:.4g}, scale {self.scale:.4g} months"


@dataclass(frozen=True)
class PiecewiseExponential:
    """Hazard ``rates[i]`` on ``[breaks[i], breaks[i + 1])``; ``breaks[0] == 0``; the last
    rate holds beyond the last break."""

    breaks: tuple[float, ...]
    rates: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.breaks) != len(self.rates) or not self.breaks or self.breaks[0] != 0:
            raise ValueError("breaks start at 0 and there is one rate per interval")

    def _cumhaz_at_breaks(self) -> np.ndarray:
        b = np.asarray(self.breaks, float)
        widths = np.diff(b)
        return np.concatenate([[0.0], np.cumsum(np.asarray(self.rates[:-1]) * widths)])

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return self.inverse(_uniforms(rng, shape))

    def inverse(self, u: np.ndarray) -> np.ndarray:
        """The time t with S(t) = u."""
        target = -np.log(u)  # the cumulative hazard reached at the event
        at = self._cumhaz_at_breaks()
        piece = np.searchsorted(at, target, side="right") - 1
        rates = np.asarray(self.rates, float)[piece]
        with np.errstate(divide="ignore", invalid="ignore"):
            extra = np.where(rates > 0, (target - at[piece]) / rates, np.inf)
        return np.asarray(self.breaks, float)[piece] + extra

    def survival(self, t: Any) -> np.ndarray:
        t = np.asarray(t, float)
        at = self._cumhaz_at_breaks()
        piece = np.searchsorted(np.asarray(self.breaks, float), t, side="right") - 1
        b = np.asarray(self.breaks, float)[piece]
        return np.exp(-(at[piece] + np.asarray(self.rates, float)[piece] * (t - b)))

    def median(self) -> float:
        at = self._cumhaz_at_breaks()
        target = math.log(2)
        piece = int(np.searchsorted(at, target, side="right") - 1)
        rate = self.rates[piece]
        return self.breaks[piece] + (target - at[piece]) / rate if rate > 0 else math.inf

    def describe(self) -> str:
        pieces = ", ".join(
            f"{r:.3g} from {b:g}" for b, r in zip(self.breaks, self.rates, strict=True)
        )
        return f"piecewise exponential, hazards per month {pieces} months"


@dataclass(frozen=True)
class KaplanMeier:
    """The step function ``surv`` at ``times`` (the event times), resampled; followed up to
    ``last_time``, with an exponential tail at ``tail_rate`` after it."""

    times: tuple[float, ...]
    surv: tuple[float, ...]
    last_time: float
    tail_rate: float

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return self.inverse(_uniforms(rng, shape))

    def inverse(self, u: np.ndarray) -> np.ndarray:
        """The first event time at which the curve is <= u; past the last follow-up, the
        exponential tail: ``last_time + log(S_last / u) / tail_rate``."""
        u = np.asarray(u, float)
        s = np.asarray(self.surv, float)
        t = np.asarray(self.times, float)
        s_last = float(s[-1]) if len(s) else 1.0
        # first index with S(t_i) <= u: S is non-increasing, so search its reverse
        idx = len(s) - np.searchsorted(s[::-1], u, side="right")
        beyond = idx >= len(s)
        inside = t[np.minimum(idx, len(s) - 1)] if len(s) else np.zeros(u.shape)
        with np.errstate(divide="ignore"):
            tail = (
                self.last_time + np.log(s_last / u) / self.tail_rate
                if self.tail_rate > 0
                else np.full(u.shape, np.inf)
            )
        return np.where(beyond, tail, inside)

    def survival(self, t: Any) -> np.ndarray:
        t = np.asarray(t, float)
        idx = np.searchsorted(np.asarray(self.times, float), t, side="right")
        s = np.concatenate([[1.0], np.asarray(self.surv, float)])[idx]
        after = np.maximum(t - self.last_time, 0.0)
        return s * np.exp(-self.tail_rate * after)

    def median(self) -> float:
        below = [t for t, s in zip(self.times, self.surv, strict=True) if s <= 0.5]
        if below:
            return float(below[0])
        last = self.surv[-1] if self.surv else 1.0
        if self.tail_rate <= 0:
            return math.inf
        return self.last_time + math.log(2 * last) / self.tail_rate

    def describe(self) -> str:
        return (
            f"Kaplan-Meier curve resampled ({len(self.times)} event times, followed to "
            f"{self.last_time:g} months; exponential tail {self.tail_rate:.3g} per month)"
        )


@dataclass(frozen=True)
class ProportionalHazards:
    """``S(t) = S_base(t)^hazard_ratio``: the other arm under proportional hazards with the
    reference arm's ``base`` distribution (drawn by inverting the base at ``u^(1/hr)``)."""

    base: Exponential | Weibull | PiecewiseExponential | KaplanMeier
    hazard_ratio: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.hazard_ratio) and self.hazard_ratio > 0):
            raise ValueError(f"a hazard ratio is > 0, not {self.hazard_ratio!r}")

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return self.inverse(_uniforms(rng, shape))

    def inverse(self, u: np.ndarray) -> np.ndarray:
        return self.base.inverse(np.asarray(u, float) ** (1 / self.hazard_ratio))

    def survival(self, t: Any) -> np.ndarray:
        return self.base.survival(t) ** self.hazard_ratio

    def median(self) -> float:
        return float(self.inverse(np.array([0.5]))[0])

    def describe(self) -> str:
        return f"hazard ratio {self.hazard_ratio:g} against: {self.base.describe()}"


Distribution = Exponential | Weibull | PiecewiseExponential | KaplanMeier | ProportionalHazards
