"""Simulation-based power of a two-arm randomised trial: :func:`power`.

For each endpoint's scenario and each total size ``n`` of the grid, ``reps`` trials are
simulated (:mod:`.scenarios`) and analysed with the study's test; the power is the share of
trials with ``p < alpha``, with its Clopper-Pearson (exact binomial, R's ``binom.test``) 95%
Monte-Carlo interval, and the smallest ``n`` of the grid whose power reaches ``target`` is
reported. The work runs through :mod:`.executor` (in-process or Dask), in tasks of
:data:`~.executor.CHUNK` trials, each with its own stream; the result does not depend on
the executor or the number of workers.
"""

from __future__ import annotations

import math
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .executor import CHUNK, Task, make_executor
from .from_cohort import DESIGN_ENDPOINTS, from_cohort
from .trial import TrialDesign

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mdsrs_core.records import Record

__all__ = ["power", "DesignResult", "EndpointPower", "REQUIRES"]

#: the cohort variables each endpoint's scenario is estimated from
REQUIRES = {
    "os": ("os_months", "death"),
    "response": ("responder",),
    "aml": ("aml", "aml_months", "death", "os_months"),
    "adverse_events": ("ae_max_grade",),
}
CONF_LEVEL = 0.95


@dataclass
class EndpointPower:
    """One endpoint's simulated power over the grid."""

    endpoint: str
    scenario: Any
    rejections: dict[int, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    excluded: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None


@dataclass
class DesignResult:
    """What :func:`power` returns: per endpoint the rejections at each ``n``; ``table()``,
    ``n_required()`` and the ``records`` (``results.json``)."""

    endpoints: dict[str, EndpointPower]
    ns: list[int]
    reps: int
    seed: int
    design: TrialDesign
    target: float
    os_model: str = "km"
    source: str = ""
    software: dict[str, str] = field(default_factory=dict)
    hazard_ratio: float | None = None
    response_rates: tuple[float, float] | None = None

    def power_of(self, endpoint: str, n: int) -> tuple[float, float, float]:
        """(power, conf_low, conf_high) of ``endpoint`` at ``n``."""
        from mdsrs_core.stats.proportions import clopper_pearson

        k = self.endpoints[endpoint].rejections[n]
        return clopper_pearson(k, self.reps, CONF_LEVEL)

    def n_required(self, endpoint: str) -> int | None:
        """The smallest ``n`` of the grid whose simulated power is >= ``target``."""
        ep = self.endpoints[endpoint]
        for n in self.ns:
            if ep.skipped is None and ep.rejections[n] / self.reps >= self.target:
                return n
        return None

    def table(self) -> pd.DataFrame:
        """One row per endpoint and ``n``: arm sizes, rejections, power and its interval."""
        import pandas as pd

        rows = []
        for name, ep in self.endpoints.items():
            if ep.skipped:
                continue
            for n in self.ns:
                n0, n1 = self.design.arm_sizes(n)
                p, lo, hi = self.power_of(name, n)
                rows.append(
                    {
                        "endpoint": name,
                        "n": n,
                        "n_reference": n0,
                        "n_other": n1,
                        "rejections": ep.rejections[n],
                        "reps": self.reps,
                        "power": p,
                        "conf_low": lo,
                        "conf_high": hi,
                    }
                )
        return pd.DataFrame(rows)

    @property
    def records(self) -> list[Record]:
        from .records import design_records

        return design_records(self)

    def to_json(self) -> str:
        from mdsrs_core.records import records_to_json

        return records_to_json(self.records)


def _simulate_chunk(scenario: Any, design: TrialDesign, n: int, reps: int, rng: Any) -> int:
    """Rejections at ``design.alpha`` among ``reps`` simulated trials (what a task returns)."""
    p = scenario.pvalues(design, n, reps, rng)
    return int(np.count_nonzero(p < design.alpha))


def _endpoint_index(name: str, position: int) -> int:
    return DESIGN_ENDPOINTS.index(name) if name in DESIGN_ENDPOINTS else 100 + position


def check_grid(ns: Iterable[int]) -> list[int]:
    """Sorted distinct sizes; each an integer >= 4 (two patients per arm at least)."""
    from mdsrs_core.errors import StudyError

    out = sorted({int(n) for n in ns})
    if not out:
        raise StudyError("Trial design: give at least one trial size n.")
    bad = [n for n in out if n < 4]
    if bad:
        raise StudyError(f"Trial design: a trial has at least 4 patients, not {bad[0]}.")
    return out


def power(
    cohort: Any = None,
    n: Sequence[int] | int = tuple(range(60, 601, 30)),
    *,
    endpoints: Iterable[str] | None = None,
    scenarios: Mapping[str, Any] | None = None,
    reps: int = 1000,
    seed: int | None = None,
    alpha: float = 0.05,
    target: float = 0.8,
    allocation: float = 1.0,
    accrual: float = 24.0,
    follow_up: float = 36.0,
    dropout: float = 0.0,
    dropout_time: float = 12.0,
    os_model: str = "km",
    hazard_ratio: float | None = None,
    response_rates: Sequence[float] | None = None,
    ae_test: str = "wilcoxon",
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> DesignResult:
    """Simulated power of a confirmatory two-arm trial for each endpoint, at each total size.

    ``cohort`` is a :class:`~mdsrs_core.cohort.Cohort`, a :class:`~mdsrs_core.study.Study`
    or a study-file path (``None``: the bundled example); the scenarios are estimated from it
    (:func:`.from_cohort.from_cohort`) unless given in ``scenarios`` (endpoint name ->
    scenario object of :mod:`.scenarios`). ``n``: the total sizes; ``reps``: trials per size;
    ``seed``: recorded (a random one is drawn and recorded when ``None``); ``alpha``: the
    two-sided level of each test; ``target``: the power sought; ``allocation`` (other arm :
    reference arm), ``accrual``, ``follow_up``, ``dropout`` (proportion lost by
    ``dropout_time``) describe the trial (:class:`.trial.TrialDesign`). ``os_model``: how
    each arm's OS is taken from the cohort (``km``, ``exponential``, ``piecewise``,
    ``weibull``); ``hazard_ratio``: the other arm's OS is then the reference arm's under
    proportional hazards with this ratio; ``response_rates``: (reference, other) responder
    probabilities instead of the observed; ``ae_test``: ``"wilcoxon"`` (fast) or ``"clm"``
    (the proportional-odds Wald test the endpoint reports, one small fit per trial). ``workers`` /
    ``scheduler`` choose a Dask cluster (:mod:`.executor`); ``executor`` passes one already
    open. ``progress(done, total)`` is called as tasks finish.
    """
    from mdsrs_core.errors import StudyError

    design = TrialDesign(allocation, accrual, follow_up, dropout, dropout_time, alpha)
    ns = check_grid([n] if isinstance(n, int) else n)
    if not isinstance(reps, int) or reps < 1:
        raise StudyError(f"Trial design: reps must be a whole number >= 1, not {reps!r}.")
    if not 0 < target < 1:
        raise StudyError(f"Trial design: target power must lie in (0, 1), not {target!r}.")
    seed = int(seed) if seed is not None else secrets.randbits(63)
    if seed < 0:
        raise StudyError(f"Trial design: the seed must be >= 0, not {seed}.")
    if hazard_ratio is not None and not (0 < hazard_ratio < math.inf):
        raise StudyError(f"Trial design: a hazard ratio is > 0, not {hazard_ratio!r}.")
    rates: tuple[float, float] | None = None
    if response_rates is not None:
        rates_list = [float(x) for x in response_rates]
        if len(rates_list) != 2 or not all(0 <= x <= 1 for x in rates_list):
            raise StudyError(
                "Trial design: response rates are two probabilities (reference, other), "
                f"not {list(response_rates)!r}."
            )
        rates = (rates_list[0], rates_list[1])
    if ae_test not in ("wilcoxon", "clm"):
        raise StudyError(f"Trial design: the AE-grade test is wilcoxon or clm, not {ae_test!r}.")
    given = dict(scenarios or {})
    names = list(endpoints) if endpoints is not None else list(given or DESIGN_ENDPOINTS)
    unknown = [e for e in names if e not in DESIGN_ENDPOINTS and e not in given]
    if unknown:
        raise StudyError(
            f"Trial design: endpoint {', '.join(unknown)} cannot be planned; "
            f"choose from {', '.join(DESIGN_ENDPOINTS)}."
        )
    the_cohort, source = None, "assumed scenarios"
    if any(e not in given for e in names):
        the_cohort = _as_cohort(cohort)
        source = f"cohort {the_cohort.source}"
    results: dict[str, EndpointPower] = {}
    for e in names:
        if e in given:
            results[e] = EndpointPower(e, given[e])
            continue
        assert the_cohort is not None
        missing = the_cohort.missing(*REQUIRES[e])
        if missing:
            results[e] = EndpointPower(
                e, None, skipped=f"needs {', '.join(missing)}, not in the data"
            )
            continue
        fitted = from_cohort(
            the_cohort,
            e,
            os_model=os_model,
            hazard_ratio=hazard_ratio,
            response_rates=rates,
            ae_test=ae_test,
        )
        results[e] = EndpointPower(
            e, fitted.scenario, used=fitted.used, excluded=fitted.excluded, notes=fitted.notes
        )

    tasks, where = [], []
    for pos, (name, ep) in enumerate(results.items()):
        if ep.skipped:
            continue
        idx = _endpoint_index(name, pos)
        for size in ns:
            for chunk, start in enumerate(range(0, reps, CHUNK)):
                k = min(CHUNK, reps - start)
                tasks.append(
                    Task(
                        _simulate_chunk,
                        (ep.scenario, design, size, k),
                        (idx, size, chunk),
                        seed,
                        size=k * size * getattr(ep.scenario, "cost", 1.0),
                    )
                )
                where.append((name, size))
    own = executor is None
    runner = executor or make_executor(tasks, workers=workers, scheduler=scheduler)
    if own:
        runner.__enter__()
    try:
        counts = runner.map(tasks, progress=progress)
    finally:
        if own:
            runner.__exit__(None, None, None)
    for (name, size), k in zip(where, counts, strict=True):
        rej = results[name].rejections
        rej[size] = rej.get(size, 0) + int(k)
    from mdsrs_core.runner import software_versions

    software = software_versions()
    try:
        from importlib import metadata

        software["dask"] = metadata.version("dask")
        software["distributed"] = metadata.version("distributed")
    except Exception:  # pragma: no cover - dask is a dependency
        pass
    return DesignResult(
        results, ns, reps, seed, design, target, os_model, source, software, hazard_ratio, rates
    )


def _as_cohort(cohort: Any) -> Any:
    from pathlib import Path

    from mdsrs_core.cohort import Cohort
    from mdsrs_core.study import EXAMPLE_STUDY, Study

    if isinstance(cohort, Cohort):
        return cohort
    if cohort is None:
        cohort = EXAMPLE_STUDY
    if isinstance(cohort, (str, Path)):
        cohort = Study.load(cohort)
    if isinstance(cohort, Study):
        return cohort.cohort()
    raise TypeError(f"power() takes a Cohort, a Study or a study-file path, not {type(cohort)}")
