"""A design's records (the ``results.json`` of ``mdsrs design``), in the run's format.

* ``endpoint="design"``: ``variable="setting"`` (seed, reps, alpha, target, allocation,
  accrual, follow_up, dropout, dropout_time, os_model, chunk, sizes, source) and
  ``variable="software"`` (versions);
* per planned endpoint: ``variable="endpoint", stat="status"`` (ok / skipped, with the
  reason); the scenario (``variable="scenario"``: per arm the patients it is estimated from,
  ``stat="n"``, its model, ``stat="model"``, and its figures: ``median``, ``p`` per level,
  ``rate`` per cause); the patients left out (``variable="flow", stat="n_excluded"``, level =
  the reason); per size (``level`` = the size, ``n`` = the total size): ``variable="power"``
  with ``stat="power"``, ``conf_low``, ``conf_high`` (Clopper-Pearson 95% Monte-Carlo
  interval), ``rejections``, ``reps``, and per arm ``variable="trial_size", stat="n"``; and
  ``variable="n_required", stat="n"``: the smallest size reaching the target (``None``: not
  within the grid).

Nothing here depends on how the work was run (executor, workers), so the records are
identical whatever the cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdsrs_core.records import Record

from .distributions import Exponential
from .executor import CHUNK
from .scenarios import BinaryScenario, CompetingScenario, OrdinalScenario, SurvivalScenario

if TYPE_CHECKING:  # pragma: no cover
    from .power import DesignResult, EndpointPower

__all__ = ["design_records", "TITLES", "MC_METHOD"]

TITLES = {
    "os": "Overall survival",
    "response": "Response rate",
    "aml": "Transformation to AML",
    "adverse_events": "Worst adverse-event grade",
}
MC_METHOD = "Clopper-Pearson 95% Monte-Carlo interval (binom.test)"


def _settings(res: DesignResult) -> list[Record]:
    d = res.design
    values = {
        "seed": res.seed,
        "reps": res.reps,
        "alpha": d.alpha,
        "target": res.target,
        "allocation": d.allocation,
        "accrual": d.accrual,
        "follow_up": d.follow_up,
        "dropout": d.dropout,
        "dropout_time": d.dropout_time,
        "os_model": res.os_model,
        "hazard_ratio": res.hazard_ratio,
        "response_rates": (
            None if res.response_rates is None else ", ".join(f"{p:g}" for p in res.response_rates)
        ),
        "chunk": CHUNK,
        "sizes": ", ".join(str(n) for n in res.ns),
        "source": res.source,
    }
    out = [Record("design", None, "setting", k, v) for k, v in values.items()]
    out += [Record("design", None, "software", k, v) for k, v in res.software.items()]
    return out


def _scenario(name: str, ep: EndpointPower) -> list[Record]:
    s = ep.scenario
    out = [
        Record(name, a, "scenario", "n", k, label="patients the assumption is estimated from")
        for a, k in ep.used.items()
    ]
    for (arm, reason), k in sorted(ep.excluded.items()):
        out.append(Record(name, arm, "flow", "n_excluded", k, level=reason))
    if isinstance(s, SurvivalScenario):
        for arm, dist in zip(s.arms, s.dists, strict=True):
            out.append(Record(name, arm, "scenario", "model", dist.describe()))
            out.append(
                Record(name, arm, "scenario", "median", dist.median(), label="median (months)")
            )
            for t in (12.0, 36.0, 60.0):
                out.append(
                    Record(
                        name,
                        arm,
                        "scenario",
                        "surv",
                        float(dist.survival(t)),
                        level=f"{t:g}",
                        label=f"survival at {t:g} months",
                    )
                )
    elif isinstance(s, CompetingScenario):
        for arm, c1, c2 in zip(s.arms, s.cause1, s.cause2, strict=True):
            for level, dist in (("aml", c1), ("death_without_aml", c2)):
                out.append(Record(name, arm, "scenario", "model", dist.describe(), level=level))
                if isinstance(dist, Exponential):
                    out.append(
                        Record(
                            name,
                            arm,
                            "scenario",
                            "rate",
                            dist.rate,
                            level=level,
                            label=f"cause-specific hazard of {level.replace('_', ' ')} per month",
                        )
                    )
    elif isinstance(s, BinaryScenario):
        for arm, p in zip(s.arms, s.p, strict=True):
            out.append(Record(name, arm, "scenario", "p", p, label="responder probability"))
    elif isinstance(s, OrdinalScenario):
        for arm, probs in zip(s.arms, s.probs, strict=True):
            for grade, p in zip(s.levels, probs, strict=True):
                out.append(
                    Record(name, arm, "scenario", "p", p, level=str(grade), label=f"grade {grade}")
                )
    return out


def design_records(res: DesignResult) -> list[Record]:
    """Every record of a design (see the module docstring)."""
    out = _settings(res)
    for name, ep in res.endpoints.items():
        title = TITLES.get(name, name)
        if ep.skipped:
            out.append(Record(name, None, "endpoint", "status", "skipped", label=ep.skipped))
            continue
        out.append(Record(name, None, "endpoint", "status", "ok", label=title))
        out.extend(_scenario(name, ep))
        source = getattr(ep.scenario, "source", "assumed")
        out.append(Record(name, None, "scenario", "source", source))
        test = getattr(ep.scenario, "test", "")
        method = f"{test}; two-sided, p < {res.design.alpha:g}; {res.reps} simulated trials"
        arms = getattr(ep.scenario, "arms", ("reference", "other"))
        for n in res.ns:
            level = str(n)
            p, lo, hi = res.power_of(name, n)
            lab = f"Power at n = {n}"
            out.append(
                Record(name, None, "power", "power", p, level=level, label=lab, method=method, n=n)
            )
            out.append(
                Record(
                    name,
                    None,
                    "power",
                    "conf_low",
                    lo,
                    level=level,
                    label=lab,
                    method=MC_METHOD,
                    n=n,
                )
            )
            out.append(
                Record(
                    name,
                    None,
                    "power",
                    "conf_high",
                    hi,
                    level=level,
                    label=lab,
                    method=MC_METHOD,
                    n=n,
                )
            )
            out.append(
                Record(
                    name,
                    None,
                    "power",
                    "rejections",
                    ep.rejections[n],
                    level=level,
                    label=lab,
                    method=method,
                    n=n,
                )
            )
            out.append(Record(name, None, "power", "reps", res.reps, level=level, n=n))
            for arm, k in zip(arms, res.design.arm_sizes(n), strict=True):
                out.append(Record(name, arm, "trial_size", "n", k, level=level, n=n))
        out.append(
            Record(
                name,
                None,
                "n_required",
                "n",
                res.n_required(name),
                level=f"{res.target:g}",
                label=f"Smallest n of the grid with power >= {res.target:g}",
                method=method,
            )
        )
        for note in ep.notes:
            out.append(Record(name, None, "endpoint", "note", note))
    return out
