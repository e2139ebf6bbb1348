"""The ``mdsrs`` command line (click).

Start-up stays fast: this module imports only click; pandas, statsmodels and matplotlib are
imported inside the commands that need them. Exit codes: 0 success; 1 an endpoint failed
while others were reported, or a report format could not be written; 2 bad input or usage,
with a message and no traceback; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from .errors import MdsrsError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # as a shell reports a process ended by SIGINT (128 + 2)


class _Group(click.Group):
    """Turns input errors into one message and exit code 2 (no traceback)."""

    def invoke(self, ctx: click.Context):
        _safe_warnings()
        try:
            return super().invoke(ctx)
        except MdsrsError as exc:
            from .report.escape import terminal_safe

            click.echo(f"Error: {terminal_safe(exc)}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            # outputs are renamed into place only when complete (mdsrs_core.outputs), so
            # whatever was interrupted left no half-written file behind
            click.echo(
                "Interrupted: stopped before the end; no file was left half-written.", err=True
            )
            sys.exit(EXIT_INTERRUPTED)


def _safe_warnings() -> None:
    """Warnings reach the terminal with control characters escaped (a warning may quote
    text from the data, such as an arm name holding an escape sequence)."""
    import warnings

    original = warnings.formatwarning
    if getattr(original, "_mdsrs_safe", False):
        return

    def formatwarning(*args, **kwargs) -> str:
        from .report.escape import terminal_safe

        return terminal_safe(original(*args, **kwargs))

    formatwarning._mdsrs_safe = True  # type: ignore[attr-defined]
    warnings.formatwarning = formatwarning


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mdsrs")
def main() -> None:
    """mdsrs: the statistical analysis of a two-arm MDS cohort study, endpoint by endpoint.

    \b
    mdsrs run                     analyse the bundled example cohort
    mdsrs run study.toml          analyse the cohort a study file describes
    mdsrs run data.csv --map hgb_base=HB --reference thalidomide
    mdsrs plugins                 list plugins and endpoints
    mdsrs design                  simulated power of a confirmatory trial, per endpoint
    """


def _parse_map(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise click.BadParameter(f"'{item}' is not NAME=COLUMN", param_hint="--map")
        out[name.strip()] = column.strip()
    return out


def _parse_codes(items: tuple[str, ...]) -> dict[str, dict]:
    """``--codes NAME={CODE=VALUE,...}`` (TOML inline tables, as in the study file)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    out: dict[str, dict] = {}
    for item in items:
        name, sep, table = item.partition("=")
        try:
            parsed = tomllib.loads(f"x = {table.strip()}")["x"] if sep and name.strip() else None
        except tomllib.TOMLDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            raise click.BadParameter(
                f"'{item}' is not NAME={{CODE=VALUE,...}}, e.g. 'sex={{1=\"M\",2=\"F\"}}'",
                param_hint="--codes",
            )
        out[name.strip()] = parsed
    if out:
        from .codes import codes_problem

        problem = codes_problem(out)
        if problem:
            raise click.BadParameter(problem, param_hint="--codes")
    return out


@main.command()
@click.argument("target", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default="mdsrs-report",
    show_default=True,
    help="Folder for results.json and the report.",
)
@click.option("--only", multiple=True, help="Run only these endpoints (repeat or comma-separate).")
@click.option("--skip", multiple=True, help="Do not run these endpoints.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="NAME=COLUMN",
    help="Map a canonical variable onto your column (repeatable).",
)
@click.option(
    "--codes",
    "code_items",
    multiple=True,
    metavar="NAME={CODE=VALUE,...}",
    help="How your file codes a variable, as the study file's [codes], e.g. "
    "'sex={1=\"M\",2=\"F\"}' or 'death={0=0,1=0,2=1}' (repeatable).",
)
@click.option("--arm", help="The column holding the treatment arm (default 'arm').")
@click.option("--reference", help="The reference (control) level of the arm.")
@click.option(
    "--adverse-events",
    type=click.Path(path_type=Path),
    help="Adverse-event table in long form (patient_id, term, grade).",
)
@click.option(
    "--time-unit",
    type=click.Choice(["months", "days", "weeks", "years"]),
    help="Unit of the time columns (default months).",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**32 - 1), help="Seed for resampling methods (recorded)."
)
@click.option(
    "--bootstrap",
    type=click.IntRange(0),
    default=0,
    metavar="N",
    help="Bootstrap intervals (N resamples) for the OS landmark and RMST differences.",
)
@click.option(
    "--permutations",
    type=click.IntRange(0),
    default=0,
    metavar="N",
    help="Permutation log-rank p-value for OS (N permutations).",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="Resampling on a Dask LocalCluster of N worker processes (default: in-process).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Resampling on an existing Dask scheduler, e.g. tcp://10.0.0.5:8786.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, 1e6, min_open=True),
    help="Seconds an endpoint may run before it is recorded as failed (600).",
)
@click.option(
    "--formula",
    "formulas",
    multiple=True,
    metavar="ENDPOINT[.KEY]=FORMULA",
    help="Override an endpoint's formula, e.g. "
    "'os=Surv(os_months, death) ~ arm + age' (repeatable).",
)
@click.option(
    "--format",
    "formats",
    default="html,md",
    show_default=True,
    metavar="FORMAT[,FORMAT...]",
    help="Report formats: html, docx, md, csv (the records), or one a plugin adds; "
    "results.json is always written.",
)
@click.option(
    "--adjust",
    "adjust_formula",
    metavar="FORMULA",
    help="Propensity-score adjustment: the model of the arm, e.g. "
    "'arm ~ age + sex + ipssr_base_score' (as [adjust] formula).",
)
@click.option(
    "--adjust-method",
    type=click.Choice(["iptw", "att", "overlap", "match"]),
    help="Weighting (iptw: ATE, stabilised; att; overlap) or 1:1 matching (default iptw).",
)
@click.option(
    "--adjust-trim",
    type=float,
    help="Weighting: no weight for a propensity score outside [TRIM, 1 - TRIM].",
)
@click.option(
    "--adjust-caliper",
    type=float,
    help="Matching: caliper in SDs of the logit of the score (default 0.2).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also print Table 1 when it is wider than the terminal.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Draw every figure anew (by default, a figure whose inputs are unchanged since an "
    "earlier run is reused; MDSRS_NO_CACHE=1 does the same).",
)
def run(
    target: Path | None,
    out_dir: Path,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    mapping: tuple[str, ...],
    code_items: tuple[str, ...],
    arm: str | None,
    reference: str | None,
    adverse_events: Path | None,
    time_unit: str | None,
    seed: int | None,
    bootstrap: int,
    permutations: int,
    timeout: float | None,
    formulas: tuple[str, ...],
    formats: str,
    adjust_formula: str | None = None,
    adjust_method: str | None = None,
    adjust_trim: float | None = None,
    adjust_caliper: float | None = None,
    verbose: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    no_cache: bool = False,
) -> None:
    """Run every registered endpoint on a cohort and write results.json and the report.

    TARGET is a study file (.toml) or a data file (.csv, .tsv, .xlsx, .parquet); without it,
    the bundled example cohort is analysed.
    """
    from .errors import FormulaError, StudyError
    from .plugins import get_registry
    from .report.write import parse_formats

    renderers = get_registry().renderers()
    try:
        asked = parse_formats(formats, renderers)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    pool = _figure_pool(asked, bool(bootstrap or permutations), cache=not no_cache)
    if pool is not None:
        # forked before pandas is imported below: it imports the drawing stack meanwhile
        pool.start()
        click.get_current_context().call_on_close(pool.close)
    from .study import EXAMPLE_STUDY, Study

    if target is None or target.suffix.lower() == ".toml":
        study = Study.load(target or EXAMPLE_STUDY)
    else:
        study = Study(data=target)
    columns = _parse_map(mapping)
    study.columns.update(columns)
    study.codes.update(_parse_codes(code_items))
    if arm:
        study.arm = arm
    if reference:
        study.reference = reference
    if adverse_events:
        study.adverse_events = adverse_events
    if time_unit:
        study.time_unit = time_unit
    if seed is not None:
        study.seed = seed
    if (workers or scheduler) and not (bootstrap or permutations):
        raise click.UsageError(
            "--workers and --scheduler run the resampling: give --bootstrap N or "
            "--permutations N with them."
        )
    if (bootstrap or permutations) and study.seed is None:
        import secrets

        study.seed = secrets.randbits(31)  # drawn once, recorded with the run
    if timeout is not None:
        study.timeout = timeout
    for item in formulas:
        target_name, sep, formula = item.partition("=")
        if not sep or not formula.strip() or not target_name.strip():
            raise click.BadParameter(
                f"'{item}' is not ENDPOINT[.KEY]=FORMULA", param_hint="--formula"
            )
        endpoint, _, key = target_name.strip().partition(".")
        settings = study.endpoints.setdefault(endpoint, {})
        if key:
            settings.setdefault("formulas", {})[key] = formula.strip()
        else:
            settings["formula"] = formula.strip()

    if adjust_formula or adjust_method or adjust_trim is not None or adjust_caliper is not None:
        from .adjust.spec import adjust_spec

        table: dict = {}
        if study.adjust is not None:
            a = study.adjust
            table = {"formula": a.formula, "method": a.method, "stabilize": a.stabilize}
            if a.trim is not None:
                table["trim"] = a.trim
            if a.method == "match":
                table["caliper"] = a.caliper
        if adjust_formula:
            table["formula"] = adjust_formula
        if adjust_method:
            table["method"] = adjust_method
            if adjust_method != "match":
                table.pop("caliper", None)
            else:
                table.pop("trim", None)
        if adjust_trim is not None:
            table["trim"] = adjust_trim
        if adjust_caliper is not None:
            table["caliper"] = adjust_caliper
        if "formula" not in table:
            raise click.UsageError(
                "--adjust-method, --adjust-trim and --adjust-caliper need the propensity "
                "model: --adjust 'arm ~ covariates' or an [adjust] table in the study file."
            )
        study.adjust = adjust_spec(table, "--adjust")

    from .outputs import check_output_dir
    from .report.escape import terminal_safe
    from .report.summary import render_text
    from .report.write import output_names, write_report
    from .runner import run as run_endpoints

    inputs = _study_inputs(study)
    check_output_dir(out_dir, output_names([renderers[n] for n in asked]), inputs)
    cohort = study.cohort()
    progress = _progress() if sys.stderr.isatty() else None
    import warnings

    # warnings of the analyses (statsmodels, numpy, matplotlib...) are collected and shown
    # once after the progress display, not in the middle of it
    caught_warnings = warnings.catch_warnings(record=True)
    caught = caught_warnings.__enter__()
    warnings.simplefilter("default")
    import gc

    # a short-lived process: what is alive now (modules, the cohort) lives to the end, and
    # the collector need not walk it again in this process or the ones forked from it
    gc.freeze()
    try:
        result = run_endpoints(
            cohort,
            only=list(only) or None,
            skip=list(skip) or None,
            settings=study.endpoints,
            alpha=study.alpha,
            seed=study.seed,
            timeout=study.timeout,
            progress=progress,
            adjust=study.adjust,
            on_outcome=pool.submit_endpoint if pool is not None else None,
            warm_report=pool is None or not pool.draws_elsewhere,
        )
    except (StudyError, FormulaError) as exc:
        if pool is not None:
            pool.close()
        caught_warnings.__exit__(None, None, None)
        if progress is not None:
            progress(None)
        # a setting of the study file's [endpoints] tables: name the file too
        from_file = study.path is not None and not formulas and str(exc).startswith("[endpoints")
        if not from_file:
            raise
        raise type(exc)(f"{study.path}: {exc}") from None
    if bootstrap or permutations:
        from .design.resampling import add_resampling

        if progress is not None:
            progress("resampling")
        assert study.seed is not None
        add_resampling(
            result,
            bootstrap=bootstrap,
            permutations=permutations,
            seed=study.seed,
            workers=workers,
            scheduler=scheduler,
        )
    if pool is not None:
        pool.submit_forest(result)  # drawn in the pool while the summary below is formatted
    summary_text = terminal_safe(render_text(result, width=_width(), verbose=verbose))
    try:
        written = write_report(
            result, out_dir, asked, progress=progress, inputs=inputs, figures=pool
        )
    finally:
        if pool is not None:
            pool.close()
        caught_warnings.__exit__(None, None, None)
        if progress is not None:
            progress(None)
    _show_warnings(caught)
    click.echo(summary_text, nl=False)
    ok = [w.path.name for w in written if w.error is None]
    click.echo(f"\nWrote {', '.join(ok)} in {out_dir}.")
    for w in written:
        if w.error is not None:
            click.echo(terminal_safe(f"Could not write {w.path.name}: {w.error}"), err=True)
    for _plugin, reason in get_registry().report_failures:
        click.echo(terminal_safe(f"Report: {reason}"), err=True)
    for o in result.failed:
        click.echo(terminal_safe(f"Endpoint '{o.name}' failed: {o.reason}"), err=True)
    unwritten = any(w.error is not None for w in written)
    global _DONE_AND_CLOSED
    _DONE_AND_CLOSED = True
    sys.exit(max(result.exit_code, 1 if unwritten else 0))


def _figure_pool(formats: list[str], resampling: bool, cache: bool = True):
    """A :class:`~mdsrs_core.report.prerender.FigurePool` drawing the report's figures in
    forked processes while the endpoints are analysed, or None (no ``fork`` here, no format
    drawing figures, a plugin's format whose needs are unknown, or resampling, which adds
    records after the endpoints are done)."""
    from .report.prerender import render_kinds
    from .runner import can_fork

    kinds = render_kinds(formats)
    if resampling or not kinds or not can_fork():
        return None
    from .plugins import get_registry
    from .report.prerender import FigurePool

    return FigurePool(kinds, get_registry(), cache=cache)


def _study_inputs(study) -> dict:
    """The files a run reads, by role: no output may overwrite one of them."""
    long_labs = str(study.endpoints.get("hematology", {}).get("long_labs") or "").strip()
    return {
        "data file": study.data,
        "adverse-event file": study.adverse_events,
        "study file": study.path,
        "long-labs file": Path(long_labs).expanduser() if long_labs else None,
    }


def _width() -> int:
    """The terminal's width (COLUMNS when set; 100 when the output is not a terminal)."""
    import shutil

    from .report.summary import DEFAULT_WIDTH

    return max(40, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def _show_warnings(caught: list) -> None:
    """Each distinct warning once, on stderr, after the progress display."""
    seen: dict[str, int] = {}
    for w in caught:
        key = f"{w.category.__name__}: {w.message}"
        seen[key] = seen.get(key, 0) + 1
    if not seen:
        return
    click.echo(f"Warnings raised during the run ({len(seen)}):", err=True)
    for key, count in seen.items():
        from .report.escape import terminal_safe

        click.echo(terminal_safe(f"  {key}" + (f" (x{count})" if count > 1 else "")), err=True)


def _progress():
    """A progress display for a terminal (rich, on stderr): one line per step with a
    spinner while it runs and the time it took (used only when stderr is a TTY, so logs
    stay clean). ``progress(None)`` ends it."""
    # rich: terminal tables and progress, imported here (never by mdsrs --help)
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    display = Progress(
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    state: dict = {"task": None, "started": False}

    def progress(step: str | None) -> None:
        if state["task"] is not None:
            display.update(state["task"], completed=1)
            display.stop_task(state["task"])
        if step is None:
            if state["started"]:
                display.stop()
                state["started"] = False
            state["task"] = None
            return
        if not state["started"]:
            display.start()
            state["started"] = True
        label = step if " " in step else f"running {step}"
        state["task"] = display.add_task(label, total=1)

    return progress


@main.command()
def plugins() -> None:
    """List every plugin and endpoint, and any plugin that failed to load."""
    from .plugins import get_registry

    registry = get_registry()
    rows = []
    for p in registry.plugins:
        kind = "built-in" if p.builtin else "external"
        status = "ok" if not p.error else "FAILED"
        rows.append((p.name, p.version, kind, status, ", ".join(p.endpoints) or "-"))
    from .report.formatting import text_table

    click.echo(text_table(["plugin", "version", "kind", "status", "endpoints"], rows))
    for p in registry.failures:
        click.echo(f"\nplugin '{p.name}' ({p.module}) {p.error}")


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default="mdsrs-example",
    show_default=True,
    help="Folder to write the example files into.",
)
def example(out_dir: Path) -> None:
    """Write the bundled synthetic example cohort (patients, adverse events, study file)."""
    from .outputs import check_output_dir, write_bytes_atomic
    from .study import EXAMPLE_STUDY

    sources = [f for f in sorted(EXAMPLE_STUDY.parent.iterdir()) if f.suffix in (".csv", ".toml")]
    check_output_dir(out_dir, [f.name for f in sources])
    changed = [
        f.name
        for f in sources
        if (out_dir / f.name).exists()
        and (not (out_dir / f.name).is_file() or (out_dir / f.name).read_bytes() != f.read_bytes())
    ]
    if changed:
        from .errors import StudyError

        raise StudyError(
            f"--out {out_dir}: {', '.join(changed)} already "
            f"{'exists' if len(changed) == 1 else 'exist'} there and "
            f"{'differs' if len(changed) == 1 else 'differ'} from the example's; choose another "
            "folder (mdsrs example never overwrites your files)."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for f in sources:
        write_bytes_atomic(out_dir / f.name, f.read_bytes())
        written.append(out_dir / f.name)
    for f in written:
        click.echo(str(f))
    click.echo(f"Run it with: mdsrs run {out_dir / 'study.toml'}")


def _model_names() -> list[str]:
    from .models import MODELS  # import-light: the model modules load on first use

    return list(MODELS)


@main.command()
@click.argument("model", type=click.Choice(_model_names()))
@click.argument("formula")
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "--family",
    type=click.Choice(["gaussian", "binomial", "poisson"]),
    help="glm family (default gaussian, as in R).",
)
@click.option("--exponentiate", is_flag=True, help="Odds/hazard ratios instead of log scale.")
@click.option(
    "--conf-level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.95,
    show_default=True,
)
@click.option(
    "--ref",
    "refs",
    multiple=True,
    metavar="COLUMN=LEVEL",
    help="Reference level of a categorical column (repeatable).",
)
@click.option("--times", help="survfit, cuminc: comma-separated times for the summary.")
@click.option(
    "--dist",
    type=click.Choice(["weibull", "exponential", "lognormal", "loglogistic"]),
    help="survreg distribution (default weibull, as in R).",
)
@click.option(
    "--tau",
    type=click.FloatRange(0, min_open=True),
    help="rmst: the truncation time (required for rmst).",
)
@click.option(
    "--weights",
    "weights_column",
    metavar="COLUMN",
    help="Case weights from this numeric column, >= 0 (R's weights =): lm, glm, clm, coxph, "
    "survfit, survreg.",
)
@click.option(
    "--robust",
    is_flag=True,
    help="Robust (sandwich) standard errors (R's robust = TRUE; lm, glm: survey::svyglm's): "
    "lm, glm, clm, coxph, survfit.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON records.")
def fit(
    model: str,
    formula: str,
    data: Path,
    family: str | None,
    exponentiate: bool,
    conf_level: float,
    refs: tuple[str, ...],
    times: str | None,
    dist: str | None,
    tau: float | None,
    weights_column: str | None,
    robust: bool,
    as_json: bool,
) -> None:
    """Fit one model of the Python API and print its tidy table (survfit: its summary;
    survdiff, cox_zph: their test table; cuminc: Gray's tests, or the summary at --times;
    rmst: the RMST per group and, for two or more groups, survRM2's contrasts).

    DATA is a table (.csv, .tsv, .xlsx, .parquet), read as it is, or a study file (.toml),
    whose validated cohort (canonical names, derived variables) is used. Quote the formula:

    \b
    mdsrs fit coxph "Surv(os_months, death) ~ arm + age" study.toml --exponentiate
    mdsrs fit glm "responder ~ arm" patients.csv --family binomial --ref arm=thalidomide
    mdsrs fit survreg "Surv(os_months, death) ~ arm" patients.csv --dist lognormal
    mdsrs fit rmst "Surv(os_months, death) ~ arm" study.toml --tau 60
    mdsrs fit coxph "Surv(os_months, death) ~ arm" weighted.csv --weights w --robust
    """
    import pandas as pd

    from .models import fit as fit_model

    if data.suffix.lower() == ".toml":
        from .study import Study

        frame = Study.load(data).cohort()
    else:
        from .io import read_table

        frame = read_table(data, typed=True)
        for item in refs:
            column, _, level = item.partition("=")
            if column not in frame.columns or level not in set(frame[column].astype(str)):
                raise click.BadParameter(
                    f"'{item}': no level '{level}' in column '{column}'", param_hint="--ref"
                )
            values = frame[column].astype(str).where(frame[column].notna())
            others = sorted(v for v in values.dropna().unique() if v != level)
            frame[column] = pd.Categorical(values, categories=[level, *others])
    kwargs: dict[str, object] = {"family": family} if family and model == "glm" else {}
    if dist and model == "survreg":
        kwargs["dist"] = dist
    if model == "rmst":
        if tau is None:
            raise click.UsageError("rmst needs --tau, the truncation time (e.g. --tau 60).")
        kwargs["tau"] = tau
        kwargs["conf_level"] = conf_level
    kwargs.update(_weight_options(model, data, frame, weights_column, robust))
    result = fit_model(model, formula, frame, **kwargs)
    at = [float(t) for t in times.split(",")] if times else None
    # rmst: survRM2's contrasts between the groups (computed first: a tau too large stops here)
    contrast = result.contrast() if model == "rmst" and len(result.strata) > 1 else None
    if model == "survfit":
        table = result.summary(times=at)
    elif model in ("survdiff", "cox_zph", "rmst"):
        table = result.table()
    elif model == "cuminc":
        table = result.summary(times=at, conf_level=conf_level) if at else result.tests()
    else:
        table = result.tidy(conf_level=conf_level, exponentiate=exponentiate)
    if as_json:
        click.echo(table.to_json(orient="records", double_precision=15))
        return
    from .report.escape import terminal_safe

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        click.echo(terminal_safe(table.to_string(index=False)))
    if contrast is not None:
        click.echo("\n" + terminal_safe(contrast.to_string(index=False)))
    if model == "survdiff":
        click.echo(f"\nChisq = {result.chisq:.6g} on {result.df:g} df, p = {result.p_value:.4g}")
    elif hasattr(result, "glance"):
        glance = result.glance().iloc[0]
        events = _events(result, glance, model, family)
        click.echo(
            f"\nn = {int(glance['nobs'])}"
            + (f", events = {events}" if events is not None else "")
            + (
                f", {int(glance['n_dropped'])} rows dropped for missing values"
                if "n_dropped" in glance and glance["n_dropped"]
                else ""
            )
        )
    references = _reference_levels(getattr(result, "model_frame", None))
    if references:
        click.echo(
            "Reference levels: "
            + "; ".join(f"{factor} = {level}" for factor, level in references.items())
            + " (each other level's estimate is against it)"
        )


def _weight_options(
    model: str, data: Path, frame, column: str | None, robust: bool
) -> dict[str, object]:
    """``weights=``/``robust=`` for the model, as the Python API takes them, after checking
    that the model has them and that the column exists and holds numbers >= 0 (a missing
    weight drops its row, as R's na.omit, and the model counts it)."""
    if column is None and not robust:
        return {}
    import inspect

    import pandas as pd

    from . import models
    from .errors import StudyError

    parameters = inspect.signature(getattr(models, model)).parameters
    out: dict[str, object] = {}
    for option, name, wanted in (("--weights", "weights", column), ("--robust", "robust", robust)):
        if not wanted:
            continue
        if name not in parameters:
            takes = [
                m for m in models.MODELS if name in inspect.signature(getattr(models, m)).parameters
            ]
            raise StudyError(
                f"mdsrs fit {model}: {model} takes no {option} (mdsrs_core.models.{model} "
                f"has no {name}= argument); models that do: {', '.join(takes)}."
            )
    if column is not None:
        table = frame.data if hasattr(frame, "data") else frame
        if column not in table.columns:
            shown = ", ".join(map(str, list(table.columns)[:20]))
            raise StudyError(
                f"{data}: --weights {column}: no column '{column}' in the data (columns: "
                f"{shown}{', ...' if table.shape[1] > 20 else ''})."
            )
        raw = table[column]
        values = pd.to_numeric(raw, errors="coerce")
        for rule, bad in (
            ("is not a number", raw.notna() & values.isna()),
            (
                "is negative or infinite",
                values.notna() & ~((values >= 0) & (values < float("inf"))),
            ),
        ):
            if bad.any():
                positions = [i + 2 for i in range(len(bad)) if bad.iloc[i]]
                rows = ", ".join(map(str, positions[:10])) + (
                    ", ..." if len(positions) > 10 else ""
                )
                first = raw[bad].iloc[0]
                raise StudyError(
                    f"{data}: --weights {column}: the weight {rule} in {len(positions)} "
                    f"row{'s' if len(positions) > 1 else ''} ({rows}; the header is row 1), "
                    f"e.g. '{first}'; weights must be numbers >= 0 (a missing one drops its "
                    "row, as in R)."
                )
        out["weights"] = column
    if robust:
        out["robust"] = True
    return out


def _events(result, glance, model: str, family: str | None) -> int | None:
    """The number of events: the survival model's, or the 1s of a binomial glm's outcome."""
    for key in ("nevent", "n_event", "events"):
        if key in glance and glance[key] == glance[key]:
            return int(glance[key])
    frame = getattr(result, "model_frame", None)
    if model == "glm" and (family or "").startswith("binomial") and frame is not None:
        import numpy as np

        y = np.asarray(frame.outcome, dtype=float)
        return int(np.nansum(y)) if y.ndim == 1 else None
    return None


def _reference_levels(frame) -> dict[str, str]:
    """Each factor of the model and its reference level: the level of the data (in the
    factor's order: categories, else sorted as patsy sorts them) that has no column of its
    own in the design -- what R's treatment contrasts compare the other levels with."""
    import re

    if frame is None:
        return {}
    shown: dict[str, list[str]] = {}
    for column in frame.design.columns:
        m = re.match(r"^(.+?)\[T\.(.+)\]$", str(column))
        if m and ":" not in m.group(1):
            shown.setdefault(m.group(1), []).append(m.group(2))
    out = {}
    for factor, levels in shown.items():
        name = re.match(r"^C\(\s*([^,)\s]+)", factor)
        column = name.group(1) if name else factor
        if column not in frame.variables.columns:
            continue
        values = frame.variables[column]
        if hasattr(values, "cat"):
            candidates = [str(v) for v in values.cat.categories]
            how = ""
        else:
            candidates = [str(v) for v in sorted(values.dropna().unique())]
            how = f" (the first in sorted order, as R's factor(); --ref {column}=LEVEL to change)"
        missing = [v for v in candidates if v not in levels]
        if missing:
            out[factor] = missing[0] + how
    return out


@main.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="NAME=COLUMN",
    help="Column of an input: hgb, plt, anc, blasts, cyto or age (repeatable).",
)
@click.option(
    "-o",
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    help="Write the table with the scores to this .csv or .xlsx file.",
)
def ipssr(data: Path, mapping: tuple[str, ...], out_file: Path | None) -> None:
    """IPSS-R (and IPSS-RA) calculator for a table of patients (Greenberg et al. 2012).

    DATA is a table (.csv, .tsv, .xlsx, .parquet) with one row per patient. By default the
    columns hgb_base, plt_base, anc_base, bm_blast_base, cyto_base (or hgb, plt, anc, blasts,
    cyto) and, for the IPSS-RA, age are used; map others with --map:

    \b
    mdsrs ipssr patients.csv --map hgb=HB --map cyto=karyotype_risk -o scored.xlsx
    """
    from .errors import StudyError
    from .plugins import get_registry

    # The calculator belongs to the plugin that provides the 'ipssr' endpoint; the core
    # reaches it through the registry and never imports a plugin by name.
    calculate = getattr(get_registry().endpoints.get("ipssr"), "calculate", None)
    if calculate is None:
        raise StudyError(
            "mdsrs ipssr: no loaded plugin provides the IPSS-R calculator (the "
            "'ipssr' endpoint); see 'mdsrs plugins'."
        )
    if out_file is not None and out_file.suffix.lower() not in (".csv", ".xlsx"):
        raise StudyError(f"-o {out_file}: the output file must end in .csv or .xlsx.")
    if out_file is not None:
        from .outputs import check_output_file

        check_output_file(out_file, {"data file": data})
    import pandas as pd

    from .io import read_table

    frame = read_table(data)
    table = calculate(frame, _parse_map(mapping), source=data.name, first_row=2)
    from .report.escape import terminal_safe

    if out_file is None:
        with pd.option_context(
            "display.width", 200, "display.max_columns", 50, "display.max_rows", None
        ):
            click.echo(terminal_safe(table.to_string(index=False)))
        return
    from .outputs import atomic_path
    from .report.escape import spreadsheet_safe, write_xlsx_text_safe

    with atomic_path(out_file) as tmp:
        if out_file.suffix.lower() == ".csv":
            # text cells a spreadsheet would run as formulas are neutralised (OWASP)
            safe = table.apply(
                lambda c: c if pd.api.types.is_numeric_dtype(c) else c.map(spreadsheet_safe)
            )
            safe.to_csv(tmp, index=False)
        else:
            write_xlsx_text_safe(table, tmp)  # text cells stored as text, never formulas
    click.echo(f"Wrote {out_file} ({table.shape[0]} patients).")


def _add_design_command() -> None:
    from .design.command import design  # click only: the simulation stack loads when it runs

    main.add_command(design)


_add_design_command()

#: set by ``mdsrs run`` once everything is written and its processes are closed: the
#: process may then end without the interpreter's teardown (:func:`entry`)
_DONE_AND_CLOSED = False


def entry() -> None:
    """The ``mdsrs`` command (the console script; ``python -m mdsrs_core.cli``):
    :func:`main`, then, after an ``mdsrs run`` that wrote its outputs and closed its
    processes, an exit that skips the interpreter's teardown: freeing every object of
    pandas, NumPy and the run one by one took 50-90 ms, a twentieth of the example's run,
    for a process that is ending. Output streams are flushed first; nothing else is left
    open (outputs are written and renamed into place before, :mod:`mdsrs_core.outputs`).
    Any other command, and any error, exits as usual."""
    try:
        main()
    except SystemExit as exc:
        if not _DONE_AND_CLOSED or not isinstance(exc.code, (int, type(None))):
            raise
        code = exc.code or 0
    else:  # pragma: no cover - click's standalone mode always raises SystemExit
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
