"""Heavy imports happen where they are used: formatting a report imports no statistics stack
(the analyses run in a worker process; the report is built in the parent)."""

import subprocess
import sys

FORMATTING = [
    "mdsrs_core.report.build",
    "mdsrs_core.report.html",
    "mdsrs_core.report.markdown",
    *(
        f"{plugin}.{module}"
        for plugin in (
            "mdsrs_baseline",
            "mdsrs_response",
            "mdsrs_hematology",
            "mdsrs_ipssr",
            "mdsrs_adverse_events",
            "mdsrs_transformation",
            "mdsrs_survival",
        )
        for module in ("endpoint", "table", "summary", "figures")
    ),
]
HEAVY = ("scipy.special", "scipy.stats", "scipy.optimize", "statsmodels", "patsy", "lifelines")


def _imported_after(code: str) -> set[str]:
    probe = (
        "import importlib, importlib.util, sys\n"
        f"{code}\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(filter(None, out.strip().split(",")))


def test_report_formatting_imports_no_statistics_stack():
    code = (
        f"for m in {FORMATTING!r}:\n"
        "    if importlib.util.find_spec(m) is not None:\n"
        "        importlib.import_module(m)"
    )
    assert _imported_after(code) == set()


def test_the_stack_is_imported_when_used():
    code = (
        "from mdsrs_core.stats.ranks import wilcox_test\n"
        "wilcox_test([1.0, 2.0, 3.5], [4.0, 5.0, 6.0])"
    )
    imported = _imported_after(code)
    assert "scipy.special" in imported  # the distributions, on scipy.special alone
    assert "scipy.stats" not in imported
