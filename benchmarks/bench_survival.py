"""Timings of mdsrs coxph, survfit and survdiff against R's survival package.

    /work/venv/bin/python benchmarks/bench_survival.py [--repeats 7] [--rows 200000]
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
import timeit
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


def time_python(data: pd.DataFrame, repeats: int) -> dict[str, float]:
    out = {}
    for name, func in operations(data).items():
        func()  # warm-up (imports, caches)
        runs = timeit.repeat(func, number=1, repeat=repeats)
        out[name] = statistics.median(runs)
    return out


def time_r(csv: Path, label: str, repeats: int) -> dict[str, float]:
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
        _, name, secs = line.split("\t")
        out[name] = float(secs)
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
            for name, secs in py.items():
                r_secs = rr.get(name)
                ratio = f"{secs / r_secs:.2f}" if r_secs else "-"
                r_text = f"{r_secs * 1000:.1f}" if r_secs else "-"
                rows.append(f"| {label} | {name} | {secs * 1000:.1f} | {r_text} | {ratio} |")
                print(rows[-1])

    import numpy  # noqa: F401 - versions for the record
    import scipy

    text = "\n".join(
        [
            "# Survival models: mdsrs vs R",
            "",
            "Median wall time of repeated runs (one warm-up run first), in milliseconds.",
            "R's `coxph` always computes the concordance, so the row `coxph(~ arm + age)` times",
            "mdsrs's fit + `tidy()` + `glance()` (which computes it); the row \"without",
            'concordance" is the fit and `tidy()` alone (R has no such option).',
            "The Cox fit itself (Newton-Raphson on cumulative sums over sorted risk sets) is",
            "faster than R's; at 200,000 rows most of mdsrs's time is the concordance and its",
            "jackknife standard error (vectorised merge counting, O(n log^2 n); R uses a",
            "compiled O(n log n) balanced tree). On the 62-patient cohort both take milliseconds;",
            "mdsrs's overhead there is the formula layer (patsy).",
            "",
            "| cohort | operation | mdsrs (ms) | R (ms) | mdsrs / R |",
            "|---|---|---:|---:|---:|",
            *rows,
            "",
            "Commands (from the repository root):",
            "",
            "```",
            f"/work/venv/bin/python benchmarks/bench_survival.py --repeats {args.repeats} "
            f"--rows {args.rows}",
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
