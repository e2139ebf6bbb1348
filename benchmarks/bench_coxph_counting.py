"""Timings of mdsrs's counting-process, clustered and weighted coxph against R's survival.

    python benchmarks/bench_coxph_counting.py [--repeats 7] [--rows 100000]
                                              [--out benchmarks/results-coxph-counting.md]

Two data sets: the bundled example cohort split at ``response_months`` (the ``os``
endpoint's Mantel-Byar rows: 62 patients, 83 rows) and a synthetic one of about ``--rows``
``(start, stop]`` rows (half the subjects change a covariate during follow-up; times rounded
to 0.1 so there are many ties), generated here with a fixed seed. Each is written to a
temporary CSV that ``benchmarks/bench_coxph_counting.R`` reads, so both sides time the
same data. Python and R runs alternate (one Python run, then one R run, ``--repeats``
times, after a warm-up of each), and the medians are reported with their ratio. R's
``coxph`` always computes the concordance, so the mdsrs side times the fit, ``tidy()`` and
``glance()`` (which computes it). A standalone script: ``benchmarks/run_all.py`` may call it.
"""

from __future__ import annotations

import argparse
import os
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
R_SCRIPT = ROOT / "benchmarks" / "bench_coxph_counting.R"
SEED = 20261201
NAMES = (
    "coxph(Surv(tstart, tstop, death) ~ responded + arm + age)",
    "... + cluster(id) (robust SE)",
    "coxph(Surv(os_months, death) ~ arm + age, weights = w) (robust SE)",
)


def example_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows split at response_months, one row per patient) of the example cohort."""
    from mdsrs_core import load_example
    from mdsrs_survival.response_survival import split_at_response

    data = load_example().data.copy()
    data["id"] = np.arange(len(data))
    data["responder"] = data["response"].isin(["CR", "PR", "mCR", "HI"]).astype(int)
    data["w"] = 0.5 + (data["age"] % 5) / 4
    rows = split_at_response(data)
    return rows, data


def synthetic_data(n_rows: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """About ``n_rows`` (start, stop] rows: two thirds of the subjects "respond" at a random
    time (a second row with responded = 1); exponential survival with HR 0.6 for
    lenalidomide, 0.7 after response, 1.03 per year of age; uniform censoring."""
    rng = np.random.default_rng(seed)
    n = int(n_rows / (1 + 2 / 3))
    arm = rng.choice(["thalidomide", "lenalidomide"], size=n)
    age = rng.integers(40, 91, size=n)
    rate = 0.02 * np.where(arm == "lenalidomide", 0.6, 1.0) * 1.03 ** (age - 65)
    event = rng.exponential(1.0 / rate)
    censor = rng.uniform(1.0, 120.0, size=n)
    os_months = np.maximum(np.round(np.minimum(event, censor), 1), 0.2)
    death = (event <= censor).astype(int)
    respond = np.round(rng.uniform(0.1, 1.0, n) * os_months, 1)
    split = (rng.random(n) < 2 / 3) & (respond > 0) & (respond < os_months)
    subjects = pd.DataFrame(
        {
            "id": np.arange(n),
            "arm": arm,
            "age": age,
            "os_months": os_months,
            "death": death,
            "w": 0.5 + (age % 5) / 4,
        }
    )
    first = subjects.assign(
        tstart=0.0,
        tstop=np.where(split, respond, os_months),
        responded=0,
        death=np.where(split, 0, death),
    )
    second = subjects[split].assign(tstart=respond[split], tstop=os_months[split], responded=1)
    rows = pd.concat([first, second], ignore_index=True)
    return rows, subjects


def operations(rows: pd.DataFrame, subjects: pd.DataFrame):
    from mdsrs_core.models import coxph

    cat = ["thalidomide", "lenalidomide"]
    rows = rows.assign(arm=pd.Categorical(rows["arm"], categories=cat))
    subjects = subjects.assign(arm=pd.Categorical(subjects["arm"], categories=cat))

    def run(formula, data, **kw):
        def f():
            fit = coxph(formula, data, **kw)
            fit.tidy()
            fit.glance()

        return f

    return [
        run("Surv(tstart, tstop, death) ~ responded + arm + age", rows),
        run("Surv(tstart, tstop, death) ~ responded + arm + age + cluster(id)", rows),
        run("Surv(os_months, death) ~ arm + age", subjects, weights="w"),
    ]


def time_r(rows_csv: Path, subjects_csv: Path, label: str) -> dict[str, float]:
    res = subprocess.run(
        ["Rscript", str(R_SCRIPT), str(rows_csv), str(subjects_csv), label],
        capture_output=True,
        text=True,
        check=True,
    )
    out = {}
    for line in res.stdout.splitlines():
        _, name, secs = line.split("\t")
        out[name] = float(secs)
    return out


def time_python(funcs, inner: int) -> list[float]:
    out = []
    for f in funcs:
        t0 = time.perf_counter()
        for _ in range(inner):
            f()
        out.append((time.perf_counter() - t0) / inner)
    return out


def versions() -> str:
    import scipy

    r = "R not available"
    if shutil.which("Rscript"):
        r = subprocess.run(
            [
                "Rscript",
                "-e",
                'cat(R.version.string, "; survival", as.character(packageVersion("survival")))',
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas "
        f"{pd.__version__}, scipy {scipy.__version__}; {r}; {platform.machine()} "
        f"{platform.system()}, {len(os.sched_getaffinity(0))} cores, load average "
        f"{os.getloadavg()[0]:.1f} when written (other work on the machine slows both sides)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results-coxph-counting.md"
    )
    args = parser.parse_args()
    have_r = shutil.which("Rscript") is not None
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, (rows, subjects) in (
            ("example cohort (83 rows)", example_data()),
            (f"synthetic ({args.rows:,} rows)", synthetic_data(args.rows)),
        ):
            rows_csv, subj_csv = Path(tmp) / "rows.csv", Path(tmp) / "subjects.csv"
            cols = ["id", "arm", "age", "tstart", "tstop", "death", "responded"]
            rows[cols].to_csv(rows_csv, index=False)
            subjects[["id", "arm", "age", "os_months", "death", "w"]].to_csv(subj_csv, index=False)
            rows = rows[cols]  # the columns R reads: the same formula work on both sides
            subjects = subjects[["id", "arm", "age", "os_months", "death", "w"]]
            funcs = operations(rows, subjects)
            inner = 50 if len(rows) < 10_000 else 1
            time_python(funcs, 1)  # warm-up (imports, caches)
            py: list[list[float]] = [[] for _ in funcs]
            rr: list[list[float]] = [[] for _ in funcs]
            for _ in range(args.repeats):  # alternate: one Python run, one R run
                for k, secs in enumerate(time_python(funcs, inner)):
                    py[k].append(secs)
                if have_r:
                    got = time_r(rows_csv, subj_csv, label)
                    for k, name in enumerate(NAMES):
                        rr[k].append(got[name])
            for k, name in enumerate(NAMES):
                p = statistics.median(py[k])
                r = statistics.median(rr[k]) if rr[k] else None
                line = (
                    f"| {label} | `{name}` | {p * 1000:.1f} | "
                    f"{'-' if r is None else f'{r * 1000:.1f}'} | "
                    f"{'-' if r is None else f'{p / r:.2f}'} |"
                )
                table.append(line)
                print(line)
    text = "\n".join(
        [
            "# Counting-process, clustered and weighted Cox: mdsrs vs R",
            "",
            "Median wall time per run, milliseconds, of runs alternating between mdsrs and R",
            "(one warm-up each first). mdsrs times `coxph(...)`, `tidy()` and `glance()` (R's",
            "`coxph` always computes the concordance; `glance()` computes it here), R times",
            "`summary(coxph(...))`. The Newton-Raphson fit is cumulative sums in two sort",
            "orders; most of mdsrs's time on large data is the concordance with its",
            "infinitesimal-jackknife standard error (vectorised merge counting, O(n log^2 n)).",
            "",
            "| data | operation | mdsrs (ms) | R (ms) | mdsrs / R |",
            "|---|---|---:|---:|---:|",
            *table,
            "",
            "Command (from the repository root):",
            "",
            "```",
            f"python benchmarks/bench_coxph_counting.py --repeats {args.repeats} "
            f"--rows {args.rows}",
            "# which, per repeat and data set, runs:",
            "Rscript benchmarks/bench_coxph_counting.R ROWS.csv SUBJECTS.csv LABEL",
            "```",
            "",
            versions() + ".",
            "",
        ]
    )
    args.out.write_text(text)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
