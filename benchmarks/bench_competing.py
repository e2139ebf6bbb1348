"""Cumulative incidence (cuminc + Gray's test) and Fine-Gray (crr): how the cost grows
with the number of rows, mdsrs against R's cmprsk (``benchmarks/bench_competing.R``).

    python benchmarks/bench_competing.py [--rows 2500,10000,30000,100000] [--rounds 3]
                                         [--r-crr-max-rows 5000] [--out FILE]

A synthetic cohort (two arms, age, exponential times of the cause of interest and of a
competing cause, uniform censoring, times to 0.001 month so that nearly every time is
distinct, the hard case for both) is written to a temporary CSV per size; both sides read
it. ``--rounds`` rounds alternate the sides: in each, for each size, mdsrs times each
operation in this process, then one ``Rscript`` process times the same operations (cuminc
as the mean of 100,000 / rows fits on both sides, crr once); each side first runs each
operation on the first 1,000 rows of the same data (a warm-up). cmprsk's ``crr`` grows about as n^3
(its variance loops over pairs of rows within risk sets): it runs in R only up to
``--r-crr-max-rows`` rows. CPU time (user + system) is the figure compared (the machine
is shared); wall time is shown too. The growth exponent between two sizes is
``log(t2 / t1) / log(n2 / n1)``.
"""

# run_all: --rounds 3

from __future__ import annotations

import argparse
import math
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
R_SCRIPT = ROOT / "benchmarks" / "bench_competing.R"
SEED = 20240611
OPS = {
    "cuminc": "`cuminc(Surv(ftime, fstatus) ~ arm)` + summary(times)",
    "crr": "`crr(Surv(ftime, fstatus) ~ arm + age)` + tidy",
}


def synthetic_cohort(n: int, seed: int = SEED) -> pd.DataFrame:
    """Two arms and age; cause 1 (hazard 0.01/month, HR 0.6 for lenalidomide, 1.03 per
    year of age), cause 2 (0.01/month, 1.02 per year), censoring uniform on 1-120."""
    rng = np.random.default_rng(seed)
    arm = rng.choice(["thalidomide", "lenalidomide"], size=n)
    age = rng.integers(40, 91, size=n)
    rate1 = 0.01 * np.where(arm == "lenalidomide", 0.6, 1.0) * 1.03 ** (age - 65)
    rate2 = 0.01 * 1.02 ** (age - 65)
    t1 = rng.exponential(1.0 / rate1)
    t2 = rng.exponential(1.0 / rate2)
    censor = rng.uniform(1.0, 120.0, size=n)
    t = np.minimum(np.minimum(t1, t2), censor)
    status = np.where(t == censor, 0, np.where(t1 <= t2, 1, 2))
    return pd.DataFrame(
        {
            "arm": arm,
            "age": age,
            "ftime": np.maximum(np.round(t, 3), 0.001),
            "fstatus": status,
        }
    )


def operations(data: pd.DataFrame) -> dict:
    from mdsrs_core.models import crr, cuminc

    d = data.assign(arm=pd.Categorical(data["arm"], categories=["thalidomide", "lenalidomide"]))
    return {
        "cuminc": lambda: cuminc("Surv(ftime, fstatus) ~ arm", d).summary(times=[12, 36, 60]),
        "crr": lambda: crr("Surv(ftime, fstatus) ~ arm + age", d).tidy(),
    }


def cuminc_repeats(n: int) -> int:
    """How many cuminc fits one timing of ``n`` rows averages, on both sides: ~100,000 rows'
    worth (a fit of a few milliseconds, timed once, is mostly timer resolution and noise:
    R's proc.time() counts whole milliseconds)."""
    return max(1, 100_000 // n)


def time_python(data: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Seconds per run of each operation (cuminc: the mean of :func:`cuminc_repeats` runs,
    crr: one run), after a warm-up run on the first 1,000 rows (as the R side warms up: the
    same data's shapes, without doubling the cost of a slow run)."""
    out = {}
    warm = operations(data.iloc[: min(1000, len(data))])
    for name, func in operations(data).items():
        warm[name]()
        k = cuminc_repeats(len(data)) if name == "cuminc" else 1
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(k):
            func()
        out[name] = ((time.perf_counter() - wall) / k, (time.process_time() - cpu) / k)
    return out


def time_r(csv: Path, ops: list[str], n: int) -> dict[str, tuple[float, float]]:
    proc = subprocess.run(
        ["Rscript", str(R_SCRIPT), str(csv), ",".join(ops), str(cuminc_repeats(n))],
        capture_output=True,
        text=True,
        check=True,
    )
    out = {}
    for line in proc.stdout.splitlines():
        name, wall, cpu = line.split("\t")
        out[name] = (float(wall), float(cpu))
    return out


def _cell(values: list[float]) -> str:
    if not values:
        return "-"
    ms = [1000 * v for v in values]
    return f"{statistics.median(ms):.0f} ({min(ms):.0f}-{max(ms):.0f})"


def _growth(sizes: list[int], medians: dict[int, float]) -> str:
    have = [n for n in sizes if n in medians]
    steps = []
    for a, b in zip(have, have[1:], strict=False):
        steps.append(f"{math.log(medians[b] / medians[a]) / math.log(b / a):.2f}")
    return ", ".join(steps) if steps else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="2500,10000,30000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--r-crr-max-rows", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.rows.split(",")]
    have_r = shutil.which("Rscript") is not None
    py = {(n, op): ([], []) for n in sizes for op in OPS}
    rr = {(n, op): ([], []) for n in sizes for op in OPS}
    operations(synthetic_cohort(500))["cuminc"]()  # imports
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            synthetic_cohort(n).to_csv(Path(tmp) / f"c{n}.csv", index=False)
        for _ in range(args.rounds):
            for n in sizes:
                data = pd.read_csv(Path(tmp) / f"c{n}.csv")
                for op, (wall, cpu) in time_python(data).items():
                    py[n, op][0].append(wall)
                    py[n, op][1].append(cpu)
                ops = [op for op in OPS if op != "crr" or n <= args.r_crr_max_rows]
                if have_r:
                    for op, (wall, cpu) in time_r(Path(tmp) / f"c{n}.csv", ops, n).items():
                        rr[n, op][0].append(wall)
                        rr[n, op][1].append(cpu)
            print("round done", file=sys.stderr, flush=True)
    rows = []
    for op, label in OPS.items():
        for n in sizes:
            p_cpu, r_cpu = py[n, op][1], rr[n, op][1]
            ratio = "-"
            if r_cpu and statistics.median(r_cpu) > 0:
                ratio = f"{statistics.median(p_cpu) / statistics.median(r_cpu):.3f}"
            rows.append(
                f"| {label} | {n:,} | {_cell(p_cpu)} | {_cell(py[n, op][0])} | "
                f"{_cell(r_cpu)} | {_cell(rr[n, op][0])} | {ratio} |"
            )
    growth = []
    for op, label in OPS.items():
        pm = {n: statistics.median(py[n, op][1]) for n in sizes}
        rm = {n: statistics.median(rr[n, op][1]) for n in sizes if rr[n, op][1]}
        rm = {n: v for n, v in rm.items() if v > 0}
        growth.append(f"| {label} | {_growth(sizes, pm)} | {_growth(sizes, rm)} |")
    per_size = ", ".join(f"{cuminc_repeats(n)} at {n:,}" for n in sizes)
    text = "\n".join(
        [
            "## Competing risks: cumulative incidence and Fine-Gray by number of rows",
            "",
            f"Milliseconds per fit (formula included on the mdsrs side, the model matrix on "
            f"R's), each side timed after a warm-up run on the first 1,000 rows of the same "
            f"data, `cuminc` as the mean of 100,000 / rows fits ({per_size}; the same on "
            "both sides), `crr` once: median over "
            f"{args.rounds} alternated rounds (min-max), CPU time (user + system) and wall "
            "time; the ratio is of the CPU medians. R's `crr` runs only up "
            f"to {args.r_crr_max_rows:,} rows (it grows about as n^3).",
            "",
            "| operation | rows | mdsrs CPU ms | mdsrs wall ms | R CPU ms | R wall ms | "
            "mdsrs / R |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "Growth exponent of the CPU time between consecutive sizes "
            f"({', '.join(f'{n:,}' for n in sizes)}):",
            "",
            "| operation | mdsrs | R |",
            "|---|---|---|",
            *growth,
            "",
            "```",
            f"python benchmarks/bench_competing.py --rows {args.rows} --rounds {args.rounds} "
            f"--r-crr-max-rows {args.r_crr_max_rows}",
            "# which runs, per size and round:",
            "Rscript benchmarks/bench_competing.R COHORT.csv cuminc[,crr] CUMINC_REPEATS",
            "```",
            "",
        ]
    )
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
