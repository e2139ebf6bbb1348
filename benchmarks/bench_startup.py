"""Start-up time of the command line: ``mdsrs --help``, ``mdsrs plugins``, ``mdsrs run --help``.

Not a test: prints the median wall time of repeated runs of each command in a fresh process.
Run from the repository root with the package installed:

    python benchmarks/bench_startup.py --repeats 21
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = (["--help"], ["plugins"], ["run", "--help"])


def median_seconds(args: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "mdsrs_core.cli", *args], check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    repeats = parser.parse_args().repeats
    baseline = median_seconds(["--version"], repeats)
    print(f"| command | median wall time (ms), {repeats} runs |")
    print("|---|---:|")
    print(f"| `python -c pass` + click (`mdsrs --version`) | {1000 * baseline:.0f} |")
    for args in COMMANDS:
        print(f"| `mdsrs {' '.join(args)}` | {1000 * median_seconds(args, repeats):.0f} |")


if __name__ == "__main__":
    main()
