"""Resampled intervals and p-values for ``mdsrs run --bootstrap N --permutations N``.

Through the executor of :mod:`.executor` (in-process, or Dask with ``workers`` /
``scheduler``), in tasks of :data:`~.executor.CHUNK` resamples, task ``c`` drawing from
``SeedSequence(seed, spawn_key=(20, c))`` (bootstrap) or ``(21, c)`` (permutations): the
results depend on the run's seed only.

* **Bootstrap** (Efron & Tibshirani 1993, ch. 13; stratified by arm: each resample draws
  each arm's patients with replacement, keeping the arm sizes): the difference in
  Kaplan-Meier survival (other arm - reference) at each landmark of the ``os`` endpoint, and
  the difference in restricted mean survival time up to ``tau`` (the smaller of the arms'
  last follow-up times, survRM2's default; :mod:`mdsrs_core.models.rmst`). Reported: the
  estimate on the data, the bootstrap standard error (SD of the resampled differences) and
  the percentile interval (R's ``quantile`` type 7); resamples in which a landmark lies
  beyond an arm's last follow-up are left out and counted.
* **Permutation log-rank test** (the arm labels permuted among the analysed patients):
  ``p = (1 + #{X2* >= X2}) / (N + 1)`` (Phipson & Smyth 2010), X2 the log-rank statistic of
  ``Surv(os_months, death) ~ arm``. When the ``os`` endpoint's Cox formula has ``strata()``
  terms, the test is stratified as the endpoint's log-rank test is: the labels are permuted
  within each stratum (keeping each stratum's arm sizes: the randomisation distribution of
  a stratified design) and X2 is the stratified ``survdiff`` statistic ``(sum_s U_s)^2 /
  sum_s V_s``; patients without a stratum are left out of this test, as ``survdiff`` leaves
  them out.

Each resample's Kaplan-Meier curve is computed for all resamples at once: with ``W`` the
``(resamples, patients)`` matrix of how often each patient is drawn, the deaths and numbers at
risk at each distinct time are ``W @ D`` and ``W @ R``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .batch_tests import logrank_chisq, logrank_score
from .executor import CHUNK, Task, make_executor

__all__ = [
    "resample_os",
    "weighted_km",
    "stratified_permutations",
    "BOOTSTRAP_KEY",
    "PERMUTATION_KEY",
]

BOOTSTRAP_KEY = 20
PERMUTATION_KEY = 21


def weighted_km(
    time: np.ndarray, event: np.ndarray, weights: np.ndarray, at: np.ndarray, tau: float
) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival at times ``at`` and the RMST up to ``tau`` of each row of
    ``weights`` (integer case weights: a bootstrap resample). Survival is NaN at a time after
    the row's last follow-up (as ``summary(survfit, times =)`` drops it)."""
    u = np.unique(time)
    dies = (time[:, None] == u[None, :]) & (event[:, None] == 1)
    risk = time[:, None] >= u[None, :]
    w = np.asarray(weights, float)
    d = w @ dies.astype(float)
    r = w @ risk.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(r > 0, 1.0 - d / r, 1.0)
    surv = np.cumprod(factor, axis=1)  # after each distinct time
    idx = np.searchsorted(u, at, side="right") - 1
    s_at = np.where(idx[None, :] >= 0, surv[:, np.maximum(idx, 0)], 1.0)
    last = np.max(np.where(w > 0, time[None, :], -np.inf), axis=1)
    s_at = np.where(np.asarray(at)[None, :] <= last[:, None], s_at, np.nan)
    # RMST: S before each distinct time times the width to the next (closed at tau)
    edges = np.concatenate([[0.0], u])
    before = np.concatenate([np.ones((w.shape[0], 1)), surv], axis=1)  # S on [edge_k, edge_k+1)
    ends = np.concatenate([u, [np.inf]])
    width = np.clip(np.minimum(ends, tau) - np.minimum(edges, tau), 0, None)
    return s_at, before @ width


def _bootstrap_chunk(data: dict, at: np.ndarray, tau: float, reps: int, rng: Any) -> np.ndarray:
    """``(reps, len(at) + 1)``: landmark differences then the RMST difference."""
    per_arm = []
    for arm in (0, 1):
        t, e = data["time"][data["arm"] == arm], data["event"][data["arm"] == arm]
        draws = rng.integers(0, len(t), size=(reps, len(t)))
        w = np.zeros((reps, len(t)))
        np.add.at(w, (np.repeat(np.arange(reps), len(t)), draws.ravel()), 1.0)
        per_arm.append(weighted_km(t, e, w, at, tau))
    return np.column_stack([per_arm[1][0] - per_arm[0][0], per_arm[1][1] - per_arm[0][1]])


def _permutation_chunk(data: dict, reps: int, rng: Any) -> np.ndarray:
    """Log-rank statistics of ``reps`` permutations of the arm labels."""
    n = len(data["time"])
    groups = np.stack([rng.permutation(data["arm"]) for _ in range(reps)]).astype(float)
    time = np.broadcast_to(data["time"], (reps, n))
    event = np.broadcast_to(data["event"], (reps, n))
    return logrank_chisq(time, event, groups)


def _stratified_chisq(data: dict, groups: np.ndarray) -> np.ndarray:
    """Stratified log-rank statistics of ``groups`` (``(reps, patients)`` 0/1 labels of the
    patients of ``data``, which has ``strata`` codes >= 0)."""
    u = np.zeros(groups.shape[0])
    v = np.zeros(groups.shape[0])
    for s in np.unique(data["strata"]):
        cols = data["strata"] == s
        k = int(cols.sum())
        us, vs = logrank_score(
            np.broadcast_to(data["time"][cols], (groups.shape[0], k)),
            np.broadcast_to(data["event"][cols], (groups.shape[0], k)),
            groups[:, cols],
        )
        u += us
        v += vs
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, u * u / v, 0.0)


def stratified_permutations(data: dict, reps: int, rng: Any) -> np.ndarray:
    """``(reps, patients)``: the arm labels permuted within each stratum (the strata in
    sorted order, one ``rng.permuted`` each)."""
    groups = np.empty((reps, len(data["time"])))
    for s in np.unique(data["strata"]):
        cols = np.flatnonzero(data["strata"] == s)
        labels = np.broadcast_to(data["arm"][cols].astype(float), (reps, len(cols)))
        groups[:, cols] = rng.permuted(labels, axis=1)
    return groups


def _stratified_permutation_chunk(data: dict, reps: int, rng: Any) -> np.ndarray:
    """Stratified log-rank statistics of ``reps`` permutations of the arm labels within
    each stratum."""
    return _stratified_chisq(data, stratified_permutations(data, reps, rng))


def _tasks(func: Any, args: tuple, n: int, key: int, seed: int, size: int) -> list[Task]:
    return [
        Task(
            func, (*args, min(CHUNK, n - start)), (key, c), seed, size=size * min(CHUNK, n - start)
        )
        for c, start in enumerate(range(0, n, CHUNK))
    ]


def resample_os(
    time: np.ndarray,
    event: np.ndarray,
    arm: np.ndarray,
    *,
    landmarks: list[float],
    bootstrap: int = 0,
    permutations: int = 0,
    seed: int,
    conf_level: float = 0.95,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Any = None,
    strata: np.ndarray | None = None,
) -> dict[str, Any]:
    """Bootstrap and permutation results for one two-arm survival comparison (``arm`` 0 =
    reference, 1 = other). Returns a dict with ``landmarks`` (per landmark: estimate,
    std_error, conf_low, conf_high, valid), ``rmst`` (the same and ``tau``) and
    ``permutation`` (``statistic``, ``p_value``, ``n``, ``n_patients``, ``stratified``).
    ``strata``: integer stratum codes (-1: none) for a stratified permutation test; the
    bootstrap is on all the patients."""
    data = {
        "time": np.asarray(time, float),
        "event": np.asarray(event, float),
        "arm": np.asarray(arm, int),
    }
    perm_data = data
    if strata is not None:
        codes = np.asarray(strata, int)
        keep = codes >= 0
        perm_data = {k: v[keep] for k, v in data.items()}
        perm_data["strata"] = codes[keep]
    at = np.asarray(sorted(landmarks), float)
    tau = float(min(data["time"][data["arm"] == a].max() for a in (0, 1)))
    tasks: list[Task] = []
    if bootstrap:
        tasks += _tasks(
            _bootstrap_chunk,
            (data, at, tau),
            bootstrap,
            BOOTSTRAP_KEY,
            seed,
            len(data["time"]) * 20,
        )
    n_boot = len(tasks)
    if permutations:
        chunk = _permutation_chunk if strata is None else _stratified_permutation_chunk
        tasks += _tasks(
            chunk, (perm_data,), permutations, PERMUTATION_KEY, seed, len(perm_data["time"])
        )
    own = executor is None
    runner = executor or make_executor(tasks, workers=workers, scheduler=scheduler)
    if own:
        runner.__enter__()
    try:
        results = runner.map(tasks)
    finally:
        if own:
            runner.__exit__(None, None, None)
    out: dict[str, Any] = {"tau": tau, "seed": seed}
    ones = [np.ones((1, int((data["arm"] == a).sum()))) for a in (0, 1)]
    est = [
        weighted_km(
            data["time"][data["arm"] == a], data["event"][data["arm"] == a], ones[a], at, tau
        )
        for a in (0, 1)
    ]
    point = np.concatenate([est[1][0][0] - est[0][0][0], [est[1][1][0] - est[0][1][0]]])
    lo_q, hi_q = (1 - conf_level) / 2, 1 - (1 - conf_level) / 2
    if bootstrap:
        boot = np.concatenate(results[:n_boot], axis=0)
        cols = []
        for j in range(boot.shape[1]):
            x = boot[:, j]
            x = x[np.isfinite(x)]
            cols.append(
                {
                    "estimate": float(point[j]),
                    "std_error": float(np.std(x, ddof=1)) if len(x) > 1 else float("nan"),
                    "conf_low": float(np.quantile(x, lo_q)) if len(x) else float("nan"),
                    "conf_high": float(np.quantile(x, hi_q)) if len(x) else float("nan"),
                    "valid": int(len(x)),
                }
            )
        out["landmarks"] = dict(zip([float(t) for t in at], cols[:-1], strict=True))
        out["rmst"] = {**cols[-1], "tau": tau}
        out["bootstrap"] = bootstrap
    if permutations:
        perm = np.concatenate(results[n_boot:])
        if strata is None:
            obs = float(
                logrank_chisq(
                    data["time"][None], data["event"][None], data["arm"][None].astype(float)
                )[0]
            )
        else:
            obs = float(_stratified_chisq(perm_data, perm_data["arm"][None].astype(float))[0])
        exceed = int(np.count_nonzero(perm >= obs * (1 - 1e-9)))
        out["permutation"] = {
            "statistic": obs,
            "p_value": (1 + exceed) / (permutations + 1),
            "n": permutations,
            "exceed": exceed,
            "n_patients": int(len(perm_data["time"])),
            "stratified": strata is not None,
        }
    return out


def _strata_codes(data: Any, cox_formula: str | None) -> tuple[np.ndarray, str] | None:
    """Stratum codes (-1: missing) of the rows of ``data`` for the ``strata()`` terms of the
    ``os`` endpoint's Cox formula, and the terms as written; None without such terms. The
    strata are the endpoint's stratified log-rank test's (``survdiff``'s grouping)."""
    if not cox_formula:
        return None
    from mdsrs_core.formula import split_formula, split_top_level

    _, rhs = split_formula(cox_formula)
    terms = [t.strip() for t in split_top_level(rhs, "+") if t.strip().startswith("strata(")]
    if not terms:
        return None
    from mdsrs_core.models import survdiff
    from mdsrs_core.models._survival_groups import formula_groups

    formula = " + ".join(["Surv(os_months, death) ~ arm", *terms])
    frame = survdiff(formula, data).model_frame
    _, strata = formula_groups(formula, frame.variables)
    codes = np.full(len(data), -1)
    codes[~data.index.isin(frame.dropped)] = strata.codes
    return codes, " + ".join(terms)


def _pct(x: float) -> str:
    return "NA" if not np.isfinite(x) else f"{100 * x:.1f}%"


def add_resampling(
    run: Any,
    *,
    bootstrap: int = 0,
    permutations: int = 0,
    seed: int,
    workers: int | None = None,
    scheduler: str | None = None,
) -> None:
    """Add the ``os`` endpoint's bootstrap and permutation records (and a note) to a
    :class:`~mdsrs_core.runner.RunResult`, on the patients that endpoint analysed. Nothing
    is added when ``os`` did not run or has not two arms with patients."""
    try:
        outcome = run["os"]
    except KeyError:
        return
    res = outcome.result
    if outcome.status != "ok" or res is None or outcome.config is None:
        return
    from mdsrs_core.frames import in_arm

    data = run.cohort.data
    left_out = {e.patient_id for e in res.exclusions}
    keep = ~data["patient_id"].astype(str).isin(left_out)
    d = data.loc[keep]
    arms = list(run.cohort.arms)
    if len(arms) != 2 or any(not in_arm(d["arm"], a).any() for a in arms):
        res.note("Resampling: needs two arms with patients analysed; not done.")
        return
    options = outcome.config.options
    landmarks = [float(t) for t in options.get("landmarks", [12, 36, 60])]
    conf_level = float(options.get("conf_level", 0.95))
    arm = in_arm(d["arm"], arms[1]).astype(int)
    cox = (outcome.config.formulas or {}).get("cox")
    strata_of = None
    if permutations:
        from mdsrs_core.errors import ModelError

        try:
            strata_of = _strata_codes(d, cox)
        except ModelError as err:  # the endpoint's own log-rank test failed likewise
            res.note(f"Permutation log-rank test not done: {err}")
            permutations = 0
            if not bootstrap:
                return
    out = resample_os(
        d["os_months"].to_numpy(float),
        d["death"].to_numpy(float),
        arm,
        landmarks=landmarks,
        bootstrap=bootstrap,
        permutations=permutations,
        seed=seed,
        conf_level=conf_level,
        workers=workers,
        scheduler=scheduler,
        strata=None if strata_of is None else strata_of[0],
    )
    n = int(len(d))
    ref, other = arms
    pct = f"{100 * conf_level:g}%"
    parts = []
    if bootstrap:
        method = (
            f"Bootstrap stratified by arm ({bootstrap} resamples, seed {seed}); "
            f"percentile {pct} interval, SD of the resamples as standard error"
        )
        for t, v in out["landmarks"].items():
            level = f"{t:g}"
            label = f"Difference in overall survival at {level} months ({other} - {ref}), bootstrap"
            for stat in ("estimate", "std_error", "conf_low", "conf_high"):
                res.add(
                    "os_landmark_diff_bootstrap",
                    stat,
                    v[stat],
                    level=level,
                    label=label,
                    method=method,
                    n=n,
                )
            res.add(
                "os_landmark_diff_bootstrap",
                "n_resamples",
                v["valid"],
                level=level,
                label=label,
                method=method,
                n=n,
            )
            if v["valid"] < bootstrap:
                res.note(
                    f"Bootstrap at {level} months: {bootstrap - v['valid']} of {bootstrap} "
                    "resamples have an arm whose follow-up ends before the landmark; they are "
                    "left out of that interval."
                )
        last = max(out["landmarks"])
        lv = out["landmarks"][last]
        parts.append(
            f"difference in OS at {last:g} months {_pct(lv['estimate'])} (bootstrap {pct} "
            f"interval {_pct(lv['conf_low'])} to {_pct(lv['conf_high'])})"
        )
        rm = out["rmst"]
        level = f"{rm['tau']:g}"
        label = f"Difference in RMST up to {level} months ({other} - {ref}), bootstrap"
        for stat in ("estimate", "std_error", "conf_low", "conf_high"):
            res.add(
                "os_rmst_diff_bootstrap",
                stat,
                rm[stat],
                level=level,
                label=label,
                method=method + "; tau = the smaller of the arms' last follow-up times",
                n=n,
            )
        parts.append(
            f"RMST difference up to {level} months {rm['estimate']:.1f} months "
            f"({rm['conf_low']:.1f} to {rm['conf_high']:.1f})"
        )
    if permutations:
        pm = out["permutation"]
        how = "unstratified" if strata_of is None else f"within strata: {strata_of[1]}"
        method = (
            f"Permutation log-rank test ({permutations} permutations of the arm labels, seed "
            f"{seed}; {how}); p = (1 + #{{X2* >= X2}}) / (N + 1)"
        )
        label = "Log-rank test, permutation p-value"
        if pm["n_patients"] < n:
            res.note(
                f"Permutation log-rank test: {n - pm['n_patients']} patients without a "
                f"stratum ({strata_of[1] if strata_of else ''}) left out."
            )
        n = pm["n_patients"]
        res.add(
            "os_logrank_permutation", "statistic", pm["statistic"], label=label, method=method, n=n
        )
        res.add("os_logrank_permutation", "p_value", pm["p_value"], label=label, method=method, n=n)
        res.add(
            "os_logrank_permutation",
            "n_permutations",
            permutations,
            label=label,
            method=method,
            n=n,
        )
        within = "" if strata_of is None else f" within {strata_of[1]}"
        kind = "permutation" if strata_of is None else "stratified permutation"
        parts.append(
            f"{kind} log-rank p = {pm['p_value']:.4f} ({permutations} permutations{within})"
        )
    res.note(f"Resampling (seed {seed}): " + "; ".join(parts) + ".")
