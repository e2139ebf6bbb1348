"""The plugin system: entry-point loading, external plugins, broken plugins blocked.

The example plugin (docs/examples/mdsrs-hgb-change) and a package of deliberately broken
plugins (tests/plugins/mdsrs-broken-plugins) are installed for real with pip into a temporary
folder; the CLI then runs in a subprocess with that folder on PYTHONPATH, so discovery goes
through the ``mdsrs`` entry-point group exactly as for a user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mdsrs_core import Endpoint, hookimpl, load_example, run
from mdsrs_core.plugins import Registry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_PLUGIN = ROOT / "docs" / "examples" / "mdsrs-hgb-change"
BROKEN_PLUGINS = ROOT / "tests" / "plugins" / "mdsrs-broken-plugins"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    for project in (EXAMPLE_PLUGIN, BROKEN_PLUGINS):
        copy = tmp_path_factory.mktemp("src") / project.name  # builds leave files behind
        shutil.copytree(project, copy, ignore=shutil.ignore_patterns("build", "*.egg-info"))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--target",
                str(target),
                str(copy),
            ],
            check=True,
            capture_output=True,
        )
    return target


def mdsrs(site: Path, *args: str, env: dict | None = None, cwd: Path | None = None):
    environ = {**os.environ, "PYTHONPATH": str(site), **(env or {})}
    environ.pop("MDSRS_DISABLE_PLUGIN_AUTOLOAD", None) if not env else None
    return subprocess.run(
        [sys.executable, "-m", "mdsrs_core.cli", *args],
        env=environ,
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_plugins_lists_builtin_external_and_failed(site):
    out = mdsrs(site, "plugins")
    assert out.returncode == 0, out.stderr
    lines = {line.split()[0]: line.split() for line in out.stdout.splitlines()[2:] if line}
    assert lines["baseline"][1:4] == ["0.1.0", "built-in", "ok"]
    assert lines["hgb_change"][1:] == ["1.0.0", "external", "ok", "hgb_change"]
    assert lines["raises"][1:] == ["0.0.1", "external", "ok", "raises"]
    for name in ("broken_import", "invalid_endpoint", "unknown_hook"):
        assert lines[name][3] == "FAILED"
    assert lines["malformed"][1:] == ["0.0.1", "external", "ok", "malformed"]
    source = (BROKEN_PLUGINS / "mdsrs_broken" / "import_error.py").read_text().splitlines()
    line = source.index("import mdsrs_missing_dependency  # noqa: F401") + 1
    assert (
        "plugin 'broken_import' (mdsrs_broken.import_error) could not be imported: "
        "ModuleNotFoundError: No module named 'mdsrs_missing_dependency' "
        f"(at import_error.py:{line})"
    ) in out.stdout
    assert (
        "plugin 'invalid_endpoint' (mdsrs_broken.invalid_endpoint) registered an endpoint "
        "with an invalid name 'Bad Name!' (lower-case letters, digits and underscores, "
        "starting with a letter)"
    ) in out.stdout
    assert (
        "plugin 'unknown_hook' (mdsrs_broken.unknown_hook) is not a valid mdsrs plugin: "
        "unknown hook 'mdsrs_derrive' in plugin"
    ) in out.stdout


def test_external_plugin_runs_and_broken_ones_do_not_stop_the_run(site, tmp_path):
    out = mdsrs(site, "run", "--out", str(tmp_path), "--only", "baseline,hgb_change,raises")
    assert out.returncode == 1, out.stderr
    assert "Endpoint 'raises' failed: RuntimeError: division of the cohort by zero" in out.stderr
    records = json.loads((tmp_path / "results.json").read_text())
    status = {r["endpoint"]: r["value"] for r in records if r["stat"] == "status"}
    assert status == {"baseline": "ok", "hgb_change": "ok", "raises": "failed"}
    means = {
        r["arm"]: r["value"]
        for r in records
        if r["endpoint"] == "hgb_change" and r["stat"] == "mean"
    }
    data = load_example().data
    change = (data.hgb_post - data.hgb_base).groupby(data.arm, observed=True).mean()
    assert means == pytest.approx(change.to_dict(), rel=1e-12)
    load_errors = {
        r["variable"]
        for r in records
        if r["stat"] == "load_error" and r["label"].startswith("mdsrs_broken")
    }
    assert load_errors == {"broken_import", "invalid_endpoint", "unknown_hook"}
    report = (tmp_path / "report.md").read_text()
    assert "## Always fails (`raises`)" in report
    assert "**Failed**: RuntimeError: division of the cohort by zero" in report
    assert "## Change in hemoglobin (`hgb_change`)" in report


def test_disable_autoload_keeps_only_builtin_plugins(site):
    out = mdsrs(site, "plugins", env={"MDSRS_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines()[2:] if line.strip()]
    assert "hgb_change" not in names and "broken_import" not in names
    assert "baseline" in names


# ----------------------------------------------------------------- in-process registry


class Good(Endpoint):
    name = "good"
    title = "Good"

    def analyze(self, cohort, config):
        result = self.new_result()
        result.analysed(cohort.counts())
        result.add("arm", "n", cohort.n)
        return result


class GoodPlugin:
    @hookimpl
    def mdsrs_register_endpoints(self, register):
        register(Good())


def test_direct_registration_and_duplicate_endpoint_blocked():
    class SameName(GoodPlugin):
        pass

    registry = Registry()
    assert registry.register(GoodPlugin()).error is None
    second = registry.register(SameName())
    assert second.error == "registers endpoint 'good', already registered by plugin 'GoodPlugin'"
    assert list(registry.endpoints) == ["good"]
    assert registry.pm.is_blocked("SameName")


def test_register_raising_is_reported():
    class Raising:
        @hookimpl
        def mdsrs_register_endpoints(self, register):
            raise ValueError("no licence file")

    info = Registry().register(Raising())
    assert info.error.startswith(
        "failed while registering its endpoints: ValueError: no licence file"
    )


def test_non_endpoint_registration_rejected():
    class Wrong:
        @hookimpl
        def mdsrs_register_endpoints(self, register):
            register("os")

    info = Registry().register(Wrong())
    assert info.error == "registered 'os', which is not an mdsrs_core.Endpoint instance"


def test_endpoint_without_analyze_rejected():
    class NoAnalyze(Endpoint):
        name = "lazy"
        title = "Lazy"

    class Plugin:
        @hookimpl
        def mdsrs_register_endpoints(self, register):
            register(NoAnalyze())

    assert Registry().register(Plugin()).error == "endpoint 'lazy' does not implement analyze()"


def test_failing_derive_is_isolated_and_noted(frame):
    from mdsrs_core import Cohort

    class BadDerive:
        @hookimpl
        def mdsrs_derive(self, cohort):
            raise KeyError("hgb")

    class GoodDerive:
        @hookimpl
        def mdsrs_derive(self, cohort):
            cohort.add_variable("double_age", cohort.data["age"] * 2, source="good")

    registry = Registry()
    registry.register(BadDerive())
    registry.register(GoodDerive())
    cohort = Cohort(frame, reference="thal", derive=False)
    registry.derive(cohort)
    assert cohort.data["double_age"].tolist() == (frame["age"] * 2).tolist()
    assert cohort.derived == {"double_age": "good"}
    assert cohort.notes[0].startswith(
        "plugin 'BadDerive' failed to derive variables: KeyError: 'hgb'"
    )


def test_derived_variable_cannot_replace_data(frame):
    from mdsrs_core import Cohort

    cohort = Cohort(frame, reference="thal", derive=False)
    with pytest.raises(ValueError, match="'age' is a column of the data"):
        cohort.add_variable("age", frame["age"] + 1)


def test_run_with_explicit_registry_and_flow_records(frame):
    from mdsrs_core import Cohort

    registry = Registry()
    registry.register(GoodPlugin())
    result = run(Cohort(frame, reference="thal", derive=False), registry=registry)
    flow = {(r.arm, r.stat): r.value for r in result.records if r.variable == "flow"}
    assert flow == {("thal", "n_analysed"): 4, ("len", "n_analysed"): 4, (None, "n_analysed"): 8}
    assert result.exit_code == 0


def test_skipped_endpoint_states_reason(frame):
    from mdsrs_core import Cohort

    class NeedsOs(Good):
        name = "needs_os"
        requires = ("os_months", "death")

    class Plugin:
        @hookimpl
        def mdsrs_register_endpoints(self, register):
            register(NeedsOs())

    registry = Registry()
    registry.register(Plugin())
    cohort = Cohort(frame.drop(columns=["os_months", "death"]), reference="thal", derive=False)
    outcome = run(cohort, registry=registry)["needs_os"]
    assert (outcome.status, outcome.reason) == (
        "skipped",
        "needs os_months, death, not in the data",
    )


def test_malformed_records_fail_the_endpoint(frame):
    from mdsrs_core import Cohort

    class Malformed(Good):
        name = "malformed"

        def analyze(self, cohort, config):
            result = super().analyze(cohort, config)
            result.records.append({"stat": "n"})
            return result

    class Plugin:
        @hookimpl
        def mdsrs_register_endpoints(self, register):
            register(Malformed())

    registry = Registry()
    registry.register(Plugin())
    result = run(Cohort(frame, reference="thal", derive=False), registry=registry)
    assert result["malformed"].status == "failed"
    assert result["malformed"].reason.startswith(
        "TypeError: analyze() returned a malformed record: {'stat': 'n'}"
    )
    assert result.exit_code == 1


def test_an_internal_formula_error_fails_only_its_endpoint(frame):
    """A formula an endpoint builds on data it derived (not the user's) failing is that
    endpoint's failure; a FormulaError about the endpoint's configured formula is the
    user's input (exit code 2)."""
    from mdsrs_core import Cohort
    from mdsrs_core.errors import FormulaError
    from mdsrs_core.models import coxph

    class Internal(Good):
        name = "internal"
        formulas = {"cox": "Surv(t, d) ~ arm"}

        def analyze(self, cohort, config):
            coxph(
                "Surv(t0, t1, d) ~ x", pd.DataFrame({"t0": [1.0], "t1": [1.0], "d": [1], "x": [0]})
            )
            return super().analyze(cohort, config)

    class Configured(Good):
        name = "configured"
        formulas = {"cox": "Surv(t, d) ~ arm + not_a_column"}

        def analyze(self, cohort, config):
            coxph(config.formula, cohort.data)
            return super().analyze(cohort, config)

    class Plugin:
        @hookimpl
        def mdsrs_register_endpoints(self, register):
            register(Internal())
            register(Good())

    registry = Registry()
    registry.register(Plugin())
    result = run(Cohort(frame, reference="thal", derive=False), registry=registry, timeout=None)
    assert result["internal"].status == "failed"
    assert result["internal"].reason.startswith(
        "FormulaError: In the formula 'Surv(t0, t1, d) ~ x'"
    )
    assert result["good"].status == "ok"
    assert result.exit_code == 1

    registry = Registry()
    registry.register(
        type(
            "P",
            (),
            {"mdsrs_register_endpoints": hookimpl(lambda self, register: register(Configured()))},
        )()
    )
    with pytest.raises(FormulaError, match="not_a_column"):
        run(Cohort(frame, reference="thal", derive=False), registry=registry, timeout=None)


def test_endpoint_past_the_time_limit_is_failed_and_the_run_goes_on(frame):
    import threading

    from mdsrs_core import Cohort

    release = threading.Event()

    class Hangs(Good):
        name = "hangs"

        def analyze(self, cohort, config):
            release.wait(30)  # never set before the time limit
            return super().analyze(cohort, config)

    class Plugin:
        @hookimpl
        def mdsrs_register_endpoints(self, register):
            register(Hangs())
            register(Good())

    registry = Registry()
    registry.register(Plugin())
    result = run(Cohort(frame, reference="thal", derive=False), registry=registry, timeout=0.2)
    release.set()
    assert result["hangs"].status == "failed"
    assert result["hangs"].reason == (
        "EndpointTimeout: did not finish within the time limit of 0.2 s"
    )
    assert result["good"].status == "ok"
    assert result.exit_code == 1


def test_malformed_records_and_time_limit_through_entry_points(site, tmp_path):
    out = mdsrs(
        site, "run", "--out", str(tmp_path), "--only", "baseline,malformed,hangs", "--timeout", "15"
    )
    assert out.returncode == 1, out.stderr
    records = json.loads((tmp_path / "results.json").read_text())
    status = {r["endpoint"]: (r["value"], r["label"]) for r in records if r["stat"] == "status"}
    assert status["baseline"][0] == "ok"
    assert status["hangs"] == (
        "failed",
        "EndpointTimeout: did not finish within the time limit of 15 s",
    )
    assert status["malformed"][0] == "failed"
    assert status["malformed"][1].startswith(
        "TypeError: analyze() returned a malformed record: {'endpoint': 'malformed'"
    )
    report = (tmp_path / "report.md").read_text()
    assert "did not finish within the time limit of 15 s" in report
    assert "Endpoint 'hangs' failed: EndpointTimeout" in out.stderr
