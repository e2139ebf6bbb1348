"""Per fit on the 62-patient example cohort: mdsrs's lm, glm, clm, coxph, survfit and
survdiff against R's (``benchmarks/bench_models.R``), formula parsing and model frame
included on both sides (each fit starts from the formula text and the data frame).

    python benchmarks/bench_models.py [--rounds 5] [--number 200] [--out FILE]

``--rounds`` rounds alternate the sides: in each, every mdsrs fit is timed over ``--number``
fits in this (warm) process, then one ``Rscript`` process times the same fits ``--number``
times each (after a warm-up fit). Medians over the rounds, min-max and the ratio are
reported, in milliseconds per fit.
"""

# run_all: --rounds 9 --number 200

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
R_SCRIPT = ROOT / "benchmarks" / "bench_models.R"
EXAMPLE = ROOT / "mdsrs_core" / "example" / "data" / "patients.csv"

LABELS = {
    "lm": "`lm(hgb_post ~ arm + hgb_base)` + tidy",
    "glm": "`glm(responder ~ arm, binomial)` + tidy",
    "clm": "`clm(ae_max_grade ~ arm)` + tidy",
    "coxph": "`coxph(Surv(os_months, death) ~ arm + age)` + tidy + glance",
    "survfit": "`survfit(Surv(os_months, death) ~ arm)` + summary(times)",
    "survdiff": "`survdiff(Surv(os_months, death) ~ arm)`",
}


def fits():
    import pandas as pd

    from mdsrs_core.models import clm, coxph, glm, lm, survdiff, survfit

    d = pd.read_csv(EXAMPLE)
    d["arm"] = pd.Categorical(d["arm"], categories=["thalidomide", "lenalidomide"])
    d["responder"] = d["response"].isin(["CR", "PR", "mCR", "HI"]).astype(int)

    def cox():
        fit = coxph("Surv(os_months, death) ~ arm + age", d)
        fit.tidy()
        fit.glance()  # R's summary(coxph) has the concordance and the three tests

    return {
        "lm": lambda: lm("hgb_post ~ arm + hgb_base", d).tidy(),
        "glm": lambda: glm("responder ~ arm", d, family="binomial").tidy(),
        "clm": lambda: clm("ae_max_grade ~ arm", d).tidy(),
        "coxph": cox,
        "survfit": lambda: survfit("Surv(os_months, death) ~ arm", d).summary(times=[12, 36, 60]),
        "survdiff": lambda: survdiff("Surv(os_months, death) ~ arm", d).p_value,
    }


def time_python(funcs, number: int) -> dict[str, float]:
    out = {}
    for name, f in funcs.items():
        f()
        start = time.perf_counter()
        for _ in range(number):
            f()
        out[name] = 1000 * (time.perf_counter() - start) / number
    return out


def time_r(number: int) -> dict[str, float]:
    proc = subprocess.run(
        ["Rscript", str(R_SCRIPT), str(EXAMPLE), str(number)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: float(v) for k, v in (line.split("\t") for line in proc.stdout.splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--number", type=int, default=200)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    funcs = fits()
    have_r = shutil.which("Rscript") is not None
    py: dict[str, list[float]] = {k: [] for k in funcs}
    rr: dict[str, list[float]] = {k: [] for k in funcs}
    for _ in range(args.rounds):
        for k, v in time_python(funcs, args.number).items():
            py[k].append(v)
        if have_r:
            for k, v in time_r(args.number).items():
                rr[k].append(v)
        print("round done", file=sys.stderr, flush=True)
    rows = []
    for k in funcs:
        p = statistics.median(py[k])
        cells = [LABELS[k], f"{p:.2f} ({min(py[k]):.2f}-{max(py[k]):.2f})"]
        if rr[k]:
            r = statistics.median(rr[k])
            cells += [f"{r:.2f} ({min(rr[k]):.2f}-{max(rr[k]):.2f})", f"{p / r:.2f}"]
        else:
            cells += ["-", "-"]
        rows.append("| " + " | ".join(cells) + " |")
    text = "\n".join(
        [
            "## Models on the 62-patient example cohort",
            "",
            f"Milliseconds per fit: median over {args.rounds} alternated rounds (min-max) of "
            f"{args.number} fits each, formula and model frame included on both sides.",
            "",
            "| model | mdsrs ms | R ms | mdsrs / R |",
            "|---|---:|---:|---:|",
            *rows,
            "",
        ]
    )
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
