"""What running endpoints in a stoppable worker process costs (``--timeout``, issue 13).

Not a test. ``run(cohort, timeout=None)`` analyses in the calling process (nothing can stop
a runaway endpoint); ``run(cohort, timeout=600)`` forks one worker process per run, sends
each endpoint's name to it and receives its pickled result. Both are timed alternately in
one warm process (so imports are not counted), and in a fresh process each time (imports
counted: the worker imports what the endpoints need, the parent does not). Prints medians and
the ratio. From the repository root, with the package installed:

    python benchmarks/bench_worker.py --repeats 9
"""
# run_all: --repeats 5

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

FRESH = (
    "import sys, time; from mdsrs_core import load_example, run; c = load_example(); "
    "t = time.perf_counter(); run(c, timeout={timeout}); print(time.perf_counter() - t)"
)


def warm(repeats: int) -> tuple[list[float], list[float]]:
    from mdsrs_core import load_example, run

    cohort = load_example()
    run(cohort, timeout=None)  # warm-up: imports, caches
    run(cohort, timeout=600)
    inline, worker = [], []
    for _ in range(repeats):
        for timeout, into in ((None, inline), (600, worker)):
            start = time.perf_counter()
            run(cohort, timeout=timeout)
            into.append(time.perf_counter() - start)
    return inline, worker


def fresh(repeats: int) -> tuple[list[float], list[float]]:
    inline, worker = [], []
    for _ in range(repeats):
        for timeout, into in (("None", inline), ("600", worker)):
            out = subprocess.run(
                [sys.executable, "-c", FRESH.format(timeout=timeout)],
                check=True,
                capture_output=True,
                text=True,
            )
            into.append(float(out.stdout.strip()))
    return inline, worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    repeats = parser.parse_args().repeats
    print("## Endpoints in a stoppable worker process\n")
    print(
        "With a time limit (`--timeout`, `[analysis] timeout`, default 600 s) the endpoints of "
        "a run are analysed, on Linux, in one forked worker process that is ended at the limit "
        "(a thread could not be stopped: `9 ** 9 ** 9` never returns to the interpreter); each "
        "result comes back pickled; from 20,000 patients on (`runner.PARALLEL_PATIENTS`) two "
        "workers analyse two endpoints at once. `run(cohort, timeout=None)` analyses in the "
        f"calling process. Medians of {repeats} alternated runs (`benchmarks/bench_worker.py`):\n"
    )
    print("| run(load_example()), every endpoint | in-process (s) | worker (s) | ratio |")
    print("|---|---:|---:|---:|")
    for label, (inline, worker) in (
        (f"warm process, median of {repeats}", warm(repeats)),
        (f"fresh process (imports included), median of {repeats}", fresh(repeats)),
    ):
        a, b = statistics.median(inline), statistics.median(worker)
        print(f"| {label} | {a:.3f} | {b:.3f} | {b / a:.2f} |")


if __name__ == "__main__":
    main()
