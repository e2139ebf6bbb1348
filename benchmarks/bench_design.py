"""Timing of mdsrs design's vectorised log-rank power against an R loop of survdiff calls.

    python benchmarks/bench_design.py [--trials 10000] [--patients 300] [--repeats 3]
                                      [--dask] [--out benchmarks/results-design.md]

The job of issue 18: the power of the log-rank test from ``--trials`` simulated trials of
``--patients`` patients (exponential survival, median 12 months vs hazard ratio 0.7, uniform
accrual over 24 months, analysis 12 months after the last entry). mdsrs simulates and tests
all trials as one array (:mod:`mdsrs_core.design`, in this process); R runs ``survdiff`` in
``replicate()`` (``benchmarks/bench_design.R``, the same model). The two are alternated,
``--repeats`` times each after one warm-up, and the medians and their ratio are reported,
with both powers (which agree within Monte-Carlo error, not digit for digit: the random
streams differ). ``--dask`` also times the same job on a Dask LocalCluster (all cores) and
the cluster's start-up alone.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
R_SCRIPT = ROOT / "benchmarks" / "bench_design.R"


def mdsrs_job(trials: int, patients: int, seed: int, executor=None) -> tuple[float, float]:
    """(seconds, power) of the job in mdsrs."""
    from mdsrs_core.design import Exponential, SurvivalScenario, power
    from mdsrs_core.design.executor import LocalExecutor

    rate = math.log(2) / 12
    scenario = SurvivalScenario(
        ("reference", "other"), (Exponential(rate), Exponential(0.7 * rate))
    )
    start = time.perf_counter()
    res = power(
        scenarios={"os": scenario},
        n=[patients],
        reps=trials,
        seed=seed,
        accrual=24,
        follow_up=12,
        executor=executor or LocalExecutor(),
    )
    return time.perf_counter() - start, res.endpoints["os"].rejections[patients] / trials


def r_job(trials: int, patients: int, seed: int) -> tuple[float, float]:
    out = subprocess.run(
        ["Rscript", str(R_SCRIPT), str(trials), str(patients), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, pw = out.stdout.split()
    return float(seconds), float(pw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dask", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-design.md")
    args = ap.parse_args()
    have_r = shutil.which("Rscript") is not None
    mdsrs_job(500, args.patients, 0)  # warm-up: imports
    if have_r:
        r_job(50, args.patients, 0)
    py, r, py_power, r_power = [], [], [], []
    for i in range(args.repeats):
        s, p = mdsrs_job(args.trials, args.patients, 1000 + i)
        py.append(s)
        py_power.append(p)
        if have_r:
            s, p = r_job(args.trials, args.patients, 1000 + i)
            r.append(s)
            r_power.append(p)
    lines = [
        "# mdsrs design: log-rank power by simulation, against R",
        "",
        f"{args.trials} simulated trials of {args.patients} patients, log-rank test; "
        f"medians of {args.repeats} alternated runs after a warm-up "
        f"(`python benchmarks/bench_design.py`). Python {platform.python_version()}, "
        f"{os.cpu_count()} cores.",
        "",
        "| implementation | median seconds | power |",
        "|---|---:|---:|",
        f"| mdsrs (one array of trials, in-process) | {statistics.median(py):.2f} | "
        f"{statistics.median(py_power):.4f} |",
    ]
    if have_r:
        lines.append(
            f"| R: `replicate(survdiff(...))` | {statistics.median(r):.2f} | "
            f"{statistics.median(r_power):.4f} |"
        )
        lines += ["", f"R / mdsrs: {statistics.median(r) / statistics.median(py):.1f}x"]
    if args.dask:
        from mdsrs_core.design.executor import DaskExecutor

        start = time.perf_counter()
        with DaskExecutor() as ex:
            startup = time.perf_counter() - start
            mdsrs_job(500, args.patients, 0, ex)  # workers import mdsrs once
            runs = [
                mdsrs_job(args.trials, args.patients, 1000 + i, ex)[0] for i in range(args.repeats)
            ]
        lines += [
            "",
            f"Dask LocalCluster ({os.cpu_count()} worker processes): start-up "
            f"{startup:.2f} s; the job {statistics.median(runs):.2f} s (median).",
        ]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
