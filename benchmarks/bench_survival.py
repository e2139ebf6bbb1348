"""Timings of mdsrs coxph, survfit and survdiff against R's survival package.

    python benchmarks/bench_survival.py [--repeats 7] [--rows 200000]
                                                       [--out benchmarks/results-survival.md]

Times each operation with :mod:`timeit` (one warm-up run, then ``--repeats`` runs; the
median is reported) on the bundled 62-patient example cohort (when present) and on a
synthetic cohort of ``--rows`` rows generated here with a fixed seed. The synthetic cohort
is written to a temporary CSV which ``benchmarks/bench_survival.R`` reads, so both sides
time the same data; nothing large is kept. With ``Rscript`` on the PATH the R timings and
the Python/R ratios are written too.
"""

# run_all: --repeats 5 --rows 1000000

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "mdsrs_core" / "example" / "data" / "patients.csv"
R_SCRIPT = ROOT / "benchmarks" / "bench_survival.R"
SEED = 20240611


def synthetic_cohort(n: int, seed: int = SEED) -> pd.DataFrame:
    """Two arms, age, exponential survival (HR 0.6 for lenalidomide, 1.03 per year of age),
    uniform censoring; times rounded to 0.1 month so that there are many ties."""
    rng = np.random.default_rng(seed)
    arm = rng.choice(["thalidomide", "lenalidomide"], size=n)
    age = rng.integers(40, 91, size=n)
    rate = 0.02 * np.where(arm == "lenalidomide", 0.6, 1.0) * 1.03 ** (age - 65)
    event_time = rng.exponential(1.0 / rate)
    censor_time = rng.uniform(1.0, 120.0, size=n)
    time = np.minimum(event_time, censor_time)
    return pd.DataFrame(
        {
            "arm": arm,
            "age": age,
            "os_months": np.maximum(np.round(time, 1), 0.1),
            "death": (event_time <= censor_time).astype(int),
        }
    )


def operations(data: pd.DataFrame) -> dict[str, object]:
    from mdsrs_core.models import coxph, survdiff, survfit

    cohort = data.assign(
        arm=pd.Categorical(data["arm"], categories=["thalidomide", "lenalidomide"])
    )

    def cox_fit():
        coxph("Surv(os_months, death) ~ arm + age", cohort).tidy()

    def cox_glance():  # what R's coxph always computes: the fit and the concordance
        fit = coxph("Surv(os_months, death) ~ arm + age", cohort)
        fit.tidy()
        fit.glance()

    def km():
        fit = survfit("Surv(os_months, death) ~ arm", cohort)
        fit.summary(times=[12, 36, 60])
        fit.table()

    def logrank():
        survdiff("Surv(os_months, death) ~ arm", cohort)

    return {
        "coxph(~ arm + age)": cox_glance,
        "coxph(~ arm + age), without concordance": cox_fit,
        "survfit(~ arm) + summary(times)": km,
        "survdiff(~ arm)": logrank,
    }


def time_python(data: pd.DataFrame, repeats: int) -> dict[str, tuple[float, float]]:
    """Per operation: (median wall seconds, median CPU seconds) of ``repeats`` runs."""
    out = {}
    for name, func in operations(data).items():
        func()  # warm-up (imports, caches)
        small = len(data) < 10_000
        inner = 50 if small else 1  # as the R side: a repeat lasts well over the clock's step
        wall, cpu = [], []
        for _ in range(repeats):
            w, c = time.perf_counter(), time.process_time()
            for _ in range(inner):
                func()
            wall.append((time.perf_counter() - w) / inner)
            cpu.append((time.process_time() - c) / inner)
        out[name] = (statistics.median(wall), statistics.median(cpu))
    return out


def time_r(csv: Path, label: str, repeats: int) -> dict[str, tuple[float, float]]:
    if shutil.which("Rscript") is None:
        return {}
    res = subprocess.run(
        ["Rscript", str(R_SCRIPT), str(csv), label, str(repeats)],
        capture_output=True,
        text=True,
        check=True,
    )
    out = {}
    for line in res.stdout.splitlines():
        _, name, wall, cpu = line.split("\t")
        out[name] = (float(wall), float(cpu))
    return out


def r_version() -> str:
    if shutil.which("Rscript") is None:
        return "R not available"
    res = subprocess.run(
        [
            "Rscript",
            "-e",
            'cat(R.version.string, "; survival", as.character(packageVersion("survival")))',
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return res.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-survival.md")
    args = parser.parse_args()

    cohorts: list[tuple[str, pd.DataFrame]] = []
    if EXAMPLE.exists():
        cohorts.append(("example cohort", pd.read_csv(EXAMPLE)))
    cohorts.append((f"synthetic {args.rows:,} rows", synthetic_cohort(args.rows)))

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, data in cohorts:
            csv = Path(tmp) / "cohort.csv"
            data[["arm", "age", "os_months", "death"]].to_csv(csv, index=False)
            py = time_python(data, args.repeats)
            rr = time_r(csv, label, args.repeats)
            for name, (wall, cpu) in py.items():
                r_wall, r_cpu = rr.get(name, (None, None))
                cells = [label, name, f"{cpu * 1000:.1f}", f"{wall * 1000:.1f}"]
                if r_cpu:
                    cells += [f"{r_cpu * 1000:.1f}", f"{r_wall * 1000:.1f}", f"{cpu / r_cpu:.2f}"]
                else:
                    cells += ["-", "-", "-"]
                rows.append("| " + " | ".join(cells) + " |")
                print(rows[-1])

    import numpy  # noqa: F401 - versions for the record
    import scipy

    text = "\n".join(
        [
            "## Survival models: mdsrs vs R",
            "",
            "Median CPU time (user + system; the steadier figure on a shared machine) and",
            "wall time of repeated runs (one warm-up run first), in milliseconds; the ratio",
            "is of the CPU times. On the example cohort each repeat runs the operation 50",
            "times (both sides) and reports the time per run.",
            "R's `coxph` always computes the concordance, so the row `coxph(~ arm + age)` times",
            "mdsrs's fit + `tidy()` + `glance()` (which computes it); the row \"without",
            'concordance" is the fit and `tidy()` alone (R has no such option).',
            "The Cox fit itself is Newton-Raphson on cumulative sums over sorted risk sets; the",
            "concordance's pair counts (and its jackknife standard error) come from a radix",
            "partition over the bits of the linear predictor's ranks, O(n log m) for m distinct",
            "values, vectorised (R walks a compiled balanced tree, O(n log n)).",
            "",
            "| cohort | operation | mdsrs CPU ms | mdsrs wall ms | R CPU ms | R wall ms | "
            "mdsrs / R (CPU) |",
            "|---|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "Commands (from the repository root):",
            "",
            "```",
            f"python benchmarks/bench_survival.py --repeats {args.repeats} --rows {args.rows}",
            "# which runs, for each cohort written to a temporary CSV:",
            "Rscript benchmarks/bench_survival.R COHORT.csv LABEL REPEATS",
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
