"""`mdsrs run` against a lean R script of the same analyses (``benchmarks/bench_run.R``).

    python benchmarks/bench_run.py [--repeats 5] [--rows N] [--formats html,md html,docx,md]
                                   [--out benchmarks/results-run.md]

Each side is a fresh process, timed as a whole (start-up, reading, every analysis, the
figures; mdsrs also writes its report): ``mdsrs run DATA --out TMP --format F`` and
``Rscript benchmarks/bench_run.R DATA TMP`` (fread, the endpoints' tests and models, two
base-graphics PNG figures). The runs **alternate** (R, then mdsrs in each format, repeated
``--repeats`` times after one warm-up round), so that a load change on a shared machine
hits both sides; medians, min-max and the ratio of medians are reported, for the wall time
and for the CPU time of the process and its children (steadier when other jobs share the
cores), with the peak resident memory of mdsrs.

mdsrs's runs are first runs (``--no-cache``: every figure drawn); ``--repeated`` adds, per
format, a repeated run with unchanged inputs, whose figures come from the figure cache
(``mdsrs_core/report/figure_cache.py``; its own folder, filled by the warm-up round).

``--no-warmup`` drops the warm-up round and reads the peak memory from the timed runs (for
runs of minutes: the 10^6-patient line).

``--rows N`` runs on a cohort of N patients resampled from the bundled example (rows drawn
with replacement, new ids, times jittered to be continuous; fixed seed), written to a
temporary CSV both sides read; without it, on the bundled 62-patient example.

``--r-timeout SECONDS`` caps each R run (R's cmprsk is quadratic in the failure times: at
10^6 continuous times it runs for hours): a run still going at the limit is stopped and
recorded as "> SECONDS s", and the ratio as "< mdsrs / SECONDS" (mdsrs took less than that
fraction of R's time); ``--r-timeout 0`` leaves R out.
"""

# run_all: --repeats 9 --repeated
# run_all: --repeats 1 --rows 100000 --formats html,md --r-timeout 300
# run_all: --repeats 1 --no-warmup --rows 1000000 --formats html,md --r-timeout 300

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
R_SCRIPT = ROOT / "benchmarks" / "bench_run.R"
EXAMPLE = ROOT / "mdsrs_core" / "example" / "data" / "patients.csv"
SEED = 20261201


def resampled_cohort(rows: int, path: Path, seed: int = SEED) -> None:
    """``rows`` patients drawn with replacement from the example cohort, written to ``path``:
    new patient ids, event and follow-up times multiplied by a random factor in
    (0.95, 1.05) so that times are continuous (almost no ties), order kept."""
    import numpy as np
    import pandas as pd

    base = pd.read_csv(EXAMPLE)
    rng = np.random.default_rng(seed)
    frame = base.iloc[rng.integers(0, len(base), size=rows)].reset_index(drop=True)
    frame["patient_id"] = [f"P{i:07d}" for i in range(rows)]
    factor = rng.uniform(0.95, 1.05, size=rows)
    for column in ("os_months", "aml_months", "response_months"):
        frame[column] = (frame[column] * factor).round(4)
    # keep AML before death/follow-up end as the example has it
    frame["aml_months"] = np.minimum(frame["aml_months"], frame["os_months"])
    frame.to_csv(path, index=False)


def _gnu_time() -> str | None:
    """GNU time, which reports the largest resident set of a command's process tree."""
    found = shutil.which("time") or "/usr/bin/time"
    return found if Path(found).exists() else None


def _timed(
    cmd: list[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the process and its children, peak RSS in KiB of this
    command's largest process); ``subprocess.TimeoutExpired`` after ``timeout`` seconds (the
    command's whole process group is killed).

    The peak is GNU time's of this command alone (0 without GNU time): this process's own
    ``RUSAGE_CHILDREN`` maximum would be the largest of every command run so far, R's
    included."""
    gnu_time = _gnu_time()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        full = [gnu_time, "-f", "%M", "-o", report.name, *cmd] if gnu_time else cmd
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen(
            full,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,  # its own process group: a timeout kills all of it
        )
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # any failure stops the benchmark: an R script that stops at a missing package
        # (exit status 1) or a run with a failed endpoint would otherwise be timed as if
        # complete
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-2000:]}")
        words = Path(report.name).read_text().split() if gnu_time else []
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = int(words[-1]) if words and words[-1].isdigit() else 0
    return wall, cpu, peak


def _stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def versions() -> str:
    import matplotlib
    import numpy
    import pandas
    import scipy
    import statsmodels

    text = (
        f"Python {platform.python_version()}, numpy {numpy.__version__}, pandas "
        f"{pandas.__version__}, scipy {scipy.__version__}, statsmodels "
        f"{statsmodels.__version__}, matplotlib {matplotlib.__version__}"
    )
    if shutil.which("Rscript"):
        r = subprocess.run(
            [
                "Rscript",
                "-e",
                'cat(R.version.string, "; survival", format(packageVersion("survival")), '
                '"; data.table", format(packageVersion("data.table")))',
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
        text += f"; {r}"
    return text


def machine() -> str:
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = ""
    try:
        load = f"; load average at start {os.getloadavg()[0]:.1f}"
    except OSError:
        pass
    return f"{platform.machine()} {platform.system()}, {os.cpu_count()} cores{mem}{load}"


def _console_script() -> str:
    """The ``mdsrs`` command of this interpreter's environment (beside ``sys.executable``):
    on PATH there may be a version manager's shim instead (pyenv's runs bash and pyenv
    before Python, ~0.1-0.4 s that are not mdsrs's)."""
    here = Path(sys.executable).parent / "mdsrs"
    return str(here) if here.exists() else (shutil.which("mdsrs") or "mdsrs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--formats", nargs="+", default=["html,md", "html,docx,md"])
    parser.add_argument(
        "--no-warmup",
        action="store_true",
        help="no warm-up round, and the peak memory read from the timed runs (for runs of "
        "minutes, where a warm-up round and a separate memory run would triple the time)",
    )
    parser.add_argument(
        "--repeated",
        action="store_true",
        help="also time repeated runs, whose unchanged figures come from the figure cache",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-run.md")
    parser.add_argument(
        "--r-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop an R run after SECONDS (recorded as '> SECONDS s'); 0 leaves R out",
    )
    args = parser.parse_args()

    mdsrs = _console_script()
    have_r = shutil.which("Rscript") is not None and args.r_timeout != 0
    r_timeout = args.r_timeout or None
    with tempfile.TemporaryDirectory() as tmp:
        data = EXAMPLE
        if args.rows:
            data = Path(tmp) / "cohort.csv"
            resampled_cohort(args.rows, data)
        size = data.stat().st_size
        sides: dict[str, list[str]] = {}
        if have_r:
            sides["R (bench_run.R)"] = ["Rscript", str(R_SCRIPT), str(data), f"{tmp}/r"]
        # mdsrs runs as installed for a user: Python keeps its compiled modules (.pyc, written
        # by the warm-up round), even where the environment turns that off
        py_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        envs: dict[str, dict[str, str] | None] = {}
        for fmt in args.formats:
            cmd = [mdsrs, "run", str(data), "--out", f"{tmp}/py", "--format", fmt]
            cmd += ["--timeout", "3600"]
            # a first run: every figure drawn (no figure cache)
            sides[f"mdsrs run --format {fmt} --no-cache"] = [*cmd, "--no-cache"]
            envs[f"mdsrs run --format {fmt} --no-cache"] = py_env
            if args.repeated:
                # a repeated run with unchanged inputs: the figures come from the cache
                # (filled by the warm-up round)
                name = f"mdsrs run --format {fmt}, repeated (figure cache)"
                sides[name] = cmd
                envs[name] = {**py_env, "MDSRS_CACHE_DIR": f"{tmp}/figure-cache"}
        ref = "R (bench_run.R)"
        walls: dict[str, list[float]] = {k: [] for k in sides}
        cpus: dict[str, list[float]] = {k: [] for k in sides}
        capped = False  # an R run reached --r-timeout: R is not run again
        peaks: dict[str, int] = {}
        for round_ in range(1 if args.no_warmup else 0, args.repeats + 1):
            for name, cmd in sides.items():
                if name == ref and capped:
                    continue
                try:
                    wall, cpu, peak = _timed(
                        cmd, env=envs.get(name), timeout=r_timeout if name == ref else None
                    )
                    peaks[name] = max(peaks.get(name, 0), peak)  # over its runs
                except subprocess.TimeoutExpired:
                    capped = True
                    print(f"{name}: stopped after {r_timeout:g} s", file=sys.stderr)
                    continue
                if round_:  # the first round warms the file cache
                    walls[name].append(wall)
                    cpus[name].append(cpu)
                print(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
        rss = {name: 0 if (name == ref and capped) else peaks.get(name, 0) for name in sides}

    rows = []
    for name in sides:
        if name == ref and capped:
            rows.append(f"| `{name}` | > {r_timeout:g} | - | - | - | - |")
            continue
        w, wlo, whi = _stats(walls[name])
        c, clo, chi = _stats(cpus[name])
        if have_r and name != ref and capped:
            wr, cr = f"< {w / r_timeout:.2f}", "-"  # type: ignore[operator]
        elif have_r and name != ref:
            wr = f"{w / statistics.median(walls[ref]):.2f}"
            cr = f"{c / statistics.median(cpus[ref]):.2f}"
        else:
            wr = cr = "-"
        mem = f"{rss[name] / 1024:.0f}" if rss[name] else "-"
        rows.append(
            f"| `{name}` | {w:.2f} ({wlo:.2f}-{whi:.2f}) | {wr} | {c:.2f} ({clo:.2f}-{chi:.2f}) "
            f"| {cr} | {mem} |"
        )
    cohort = (
        f"{args.rows:,} patients resampled from the example ({size / 2**20:.0f} MiB CSV)"
        if args.rows
        else f"the bundled example cohort (62 patients, {size / 1024:.0f} KiB CSV)"
    )
    text = "\n".join(
        [
            f"## `mdsrs run` against R: {cohort}",
            "",
            f"Fresh processes, alternated, {args.repeats} runs each "
            + ("(no warm-up round); " if args.no_warmup else "after a warm-up round; ")
            + "median (min-max) seconds, ratio of medians to R's; peak MiB: the largest "
            "resident set of any one process of a command's runs (GNU time, per run; "
            "mdsrs's forked processes share the cohort's pages, which each one's count "
            "includes).",
            "",
            "| command | wall s | / R | CPU s | / R | peak MiB |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "```",
            f"python benchmarks/bench_run.py --repeats {args.repeats}"
            + (" --no-warmup" if args.no_warmup else "")
            + (f" --rows {args.rows}" if args.rows else "")
            + " --formats "
            + " ".join(args.formats)
            + (f" --r-timeout {args.r_timeout:g}" if args.r_timeout is not None else ""),
            "```",
            "",
            f"{machine()}; {versions()}.",
            "",
        ]
    )
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
