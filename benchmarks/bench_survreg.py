"""Timings of mdsrs survreg and rmst against R's survival::survreg and survRM2's method.

    python benchmarks/bench_survreg.py [--repeats 7] [--rounds 3] [--rows 100000]
                                       [--out benchmarks/results-survreg.md]

On the bundled 62-patient example cohort and on a synthetic cohort of ``--rows`` rows
(``bench_survival.synthetic_cohort``: two arms, age, exponential survival, uniform
censoring; fixed seed), written to a temporary CSV that ``benchmarks/bench_survreg.R``
reads, so both sides time the same data. Python and R are **alternated**: ``--rounds``
rounds, each of ``--repeats`` timed runs of every Python operation (after one warm-up)
followed by one call of the R script doing the same; the medians over all runs are
reported, with their ratio. Run from the repository root.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_survival import EXAMPLE, r_version, synthetic_cohort  # noqa: E402

R_SCRIPT = ROOT / "benchmarks" / "bench_survreg.R"
DISTS = ("weibull", "exponential", "lognormal", "loglogistic")


def operations(data: pd.DataFrame) -> dict[str, object]:
    from mdsrs_core.models import rmst, survreg

    cohort = data.assign(
        arm=pd.Categorical(data["arm"], categories=["thalidomide", "lenalidomide"])
    )
    new = pd.DataFrame({"arm": ["thalidomide", "lenalidomide"], "age": [70, 70]})
    ops: dict[str, object] = {}
    for dist in DISTS:

        def fit(dist=dist):
            f = survreg("Surv(os_months, death) ~ arm + age", cohort, dist=dist)
            f.tidy()
            f.glance()

        ops[f"survreg(~ arm + age, {dist}) + summary"] = fit

    def lifelines_start():
        f = survreg("Surv(os_months, death) ~ arm + age", cohort, init="lifelines")
        f.tidy()
        f.glance()

    def predict():
        f = survreg("Surv(os_months, death) ~ arm + age", cohort)
        f.predict(new, type="quantile", p=[0.25, 0.5, 0.75], se_fit=True)

    def restricted_mean():
        r = rmst("Surv(os_months, death) ~ arm", cohort, tau=60)
        r.table()
        r.contrast()

    ops["survreg(~ arm + age, weibull) + summary, init='lifelines'"] = lifelines_start
    ops["survreg(weibull) + predict(quantile, se)"] = predict
    ops["rmst(~ arm, tau = 60) + contrasts"] = restricted_mean
    return ops


def r_runs(csv: Path, label: str, repeats: int) -> dict[str, list[float]]:
    res = subprocess.run(
        ["Rscript", str(R_SCRIPT), str(csv), label, str(repeats)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    out: dict[str, list[float]] = defaultdict(list)
    for line in res.stdout.splitlines():
        _, name, secs = line.split("\t")
        out[name].append(float(secs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-survreg.md")
    args = parser.parse_args()
    have_r = shutil.which("Rscript") is not None

    cohorts = [("example cohort", pd.read_csv(EXAMPLE))]
    cohorts.append((f"synthetic {args.rows:,} rows", synthetic_cohort(args.rows)))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, data in cohorts:
            csv = Path(tmp) / "cohort.csv"
            data[["arm", "age", "os_months", "death"]].to_csv(csv, index=False)
            ops = operations(data)
            py: dict[str, list[float]] = defaultdict(list)
            rr: dict[str, list[float]] = defaultdict(list)
            for func in ops.values():
                func()  # warm-up (imports, caches)
            for _ in range(args.rounds):
                for name, func in ops.items():
                    py[name] += timeit.repeat(func, number=1, repeat=args.repeats)
                if have_r:
                    for name, runs in r_runs(csv, label, args.repeats).items():
                        rr[name] += runs
            for name in ops:
                secs = statistics.median(py[name])
                r_name = name.replace(", init='lifelines'", "")
                r_secs = statistics.median(rr[r_name]) if rr.get(r_name) else None
                ratio = f"{secs / r_secs:.2f}" if r_secs else "-"
                r_text = f"{r_secs * 1000:.1f}" if r_secs else "-"
                rows.append(f"| {label} | {name} | {secs * 1000:.1f} | {r_text} | {ratio} |")
                print(rows[-1], flush=True)

    import scipy

    text = "\n".join(
        [
            "# Parametric survival (survreg) and RMST: mdsrs vs R",
            "",
            f"Median wall time, in milliseconds, of {args.rounds} x {args.repeats} runs per",
            "operation (after a warm-up), Python and R alternated round by round. mdsrs's",
            "`summary` is `tidy()` + `glance()` (glance includes the intercept-only fit for",
            "the chi-square, which R's survreg also fits). The `init='lifelines'` row starts",
            "Newton from lifelines' WeibullAFTFitter and is compared with R's plain survreg:",
            "lifelines' own fit costs more than the whole of mdsrs's default fit, which is",
            "why the default does not use it. R's RMST row is `summary(survfit, rmean = 60)`",
            "plus survRM2's contrasts written out in base R (tests/results/_rmst2.R).",
            "",
            "| cohort | operation | mdsrs (ms) | R (ms) | mdsrs / R |",
            "|---|---|---:|---:|---:|",
            *rows,
            "",
            "Commands (from the repository root):",
            "",
            "```",
            f"python benchmarks/bench_survreg.py --repeats {args.repeats} "
            f"--rounds {args.rounds} --rows {args.rows}",
            "# which alternates its runs with, for each cohort written to a temporary CSV:",
            "Rscript benchmarks/bench_survreg.R COHORT.csv LABEL REPEATS",
            "```",
            "",
            f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"pandas {pd.__version__}, scipy {scipy.__version__}; {r_version()}; "
            f"{platform.machine()} {platform.system()}.",
            "",
        ]
    )
    args.out.write_text(text)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
