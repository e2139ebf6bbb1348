"""Time one fit each of lm / glm / clm on the bundled example cohort (not a test).

Run from the repository root:

    /work/venv/bin/python benchmarks/bench_regression.py

Each fit is timed with :mod:`timeit` (``number`` fits per repeat, ``REPEATS`` repeats) and the
median time per fit is printed in milliseconds. Compare with ``Rscript
benchmarks/bench_regression.R``; the figures are kept in benchmarks/results-regression.md.
"""

from __future__ import annotations

import statistics
import timeit
from pathlib import Path

import pandas as pd

from mdsrs_core.models import clm, glm, lm

PATIENTS = Path(__file__).resolve().parent.parent / "mdsrs_core/example/data/patients.csv"
REPEATS = 15
NUMBER = 20


def cohort() -> pd.DataFrame:
    data = pd.read_csv(PATIENTS)
    data["arm"] = pd.Categorical(data["arm"], categories=["thalidomide", "lenalidomide"])
    data["responder"] = data["response"].isin(["CR", "PR", "mCR", "HI"]).astype(int)
    data["ae"] = pd.Categorical(data["ae_max_grade"], ordered=True)
    return data


def main() -> None:
    data = cohort()
    fits = {
        "lm(hgb_post ~ arm + hgb_base)": lambda: lm("hgb_post ~ arm + hgb_base", data),
        "glm(responder ~ arm, binomial)": lambda: glm("responder ~ arm", data),
        "clm(ae ~ arm)": lambda: clm("ae ~ arm", data),
    }
    print(f"n = {len(data)} patients; median of {REPEATS} repeats of {NUMBER} fits")
    for label, call in fits.items():
        call()  # warm-up: imports and caches
        times = timeit.repeat(call, number=NUMBER, repeat=REPEATS)
        print(f"{label:34s} {1000 * statistics.median(times) / NUMBER:8.3f} ms per fit")


if __name__ == "__main__":
    main()
