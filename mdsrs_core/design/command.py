"""``mdsrs design``: the command (click only at import; the simulation stack is imported when
the command runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["design"]


#: [design] key -> the command's parameter, where the names differ
_PARAMS = {"n": "sizes", "power": "target_power"}


def _sizes(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    from .grid import parse_sizes

    try:
        return parse_sizes(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _rates(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        parts = [float(x) for x in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 2 or not all(0 <= p <= 1 for p in parts):
        raise click.BadParameter(
            f"'{value}': give two probabilities, reference then other arm, e.g. 0.25,0.45",
            param_hint="--response-rates",
        )
    return parts[0], parts[1]


def _progress():
    """``simulating: 12/76 tasks`` on one line of stderr (a terminal only)."""
    import time

    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        click.echo(
            f"\r  simulating [{bar}] {done}/{total} tasks, {time.perf_counter() - start:.1f} s",
            err=True,
            nl=done == total,
        )

    return progress


@click.command()
@click.argument("target", required=False, type=click.Path(path_type=Path))
@click.option(
    "--n",
    "sizes",
    default="60:600:30",
    show_default=True,
    callback=_sizes,
    metavar="SIZES",
    help="Total trial sizes: 100,200 or START:STOP:STEP (60:600:30).",
)
@click.option(
    "--reps",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Simulated trials per size.",
)
@click.option(
    "--seed", type=click.IntRange(0), help="Seed (recorded; drawn at random if not given)."
)
@click.option(
    "--power",
    "target_power",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.8,
    show_default=True,
    help="Target power.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Two-sided significance level (default: the study's, 0.05).",
)
@click.option(
    "--allocation",
    type=click.FloatRange(0, min_open=True),
    default=1.0,
    show_default=True,
    help="Allocation ratio, other arm : reference arm.",
)
@click.option(
    "--accrual",
    type=click.FloatRange(0),
    default=24.0,
    show_default=True,
    help="Accrual period (months), uniform entry.",
)
@click.option(
    "--follow-up",
    type=click.FloatRange(0, min_open=True),
    default=36.0,
    show_default=True,
    help="Follow-up after the last patient enters (months).",
)
@click.option(
    "--dropout",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    help="Proportion lost to follow-up by --dropout-time.",
)
@click.option(
    "--dropout-time",
    type=click.FloatRange(0, min_open=True),
    default=12.0,
    show_default=True,
    help="Months at which --dropout applies.",
)
@click.option(
    "--os-model",
    type=click.Choice(["km", "exponential", "piecewise", "weibull"]),
    default="km",
    show_default=True,
    help="Survival per arm: Kaplan-Meier resampled, exponential, piecewise "
    "exponential, or Weibull (survreg).",
)
@click.option(
    "--hazard-ratio",
    type=click.FloatRange(0, min_open=True),
    help="Assumed OS hazard ratio (other arm vs reference): the other arm's survival is the "
    "reference arm's to this power, instead of the observed.",
)
@click.option(
    "--response-rates",
    callback=lambda ctx, param, v: _rates(v),
    metavar="P_REF,P_OTHER",
    help="Assumed responder probabilities, e.g. 0.25,0.45, instead of the observed.",
)
@click.option(
    "--ae-test",
    type=click.Choice(["wilcoxon", "clm"]),
    default="wilcoxon",
    show_default=True,
    help="Worst AE grade: Wilcoxon rank-sum test (fast), or the proportional-odds model's "
    "Wald test (clm, one fit per trial).",
)
@click.option(
    "--only",
    multiple=True,
    help="Plan only these endpoints: os, response, aml, adverse_events (repeat or comma-separate).",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="Dask LocalCluster workers "
    "(default: all cores for a large job, in-process for a small one).",
)
@click.option(
    "--scheduler", metavar="ADDRESS", help="An existing Dask scheduler, e.g. tcp://10.0.0.5:8786."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default="mdsrs-design",
    show_default=True,
    help="Folder for results.json and the report.",
)
@click.option(
    "--format",
    "formats",
    default="html,md",
    show_default=True,
    metavar="FORMAT[,FORMAT...]",
    help="Report formats: html, docx, md, csv; results.json is always written.",
)
def design(
    target: Path | None,
    sizes: list[int],
    reps: int,
    seed: int | None,
    target_power: float,
    **kwargs,
) -> None:
    """Simulation-based power of a confirmatory randomised trial, endpoint by endpoint.

    TARGET is a study file (.toml); without it, the bundled example study. The arms' outcomes
    are simulated from what the cohort observed (OS, responder rate, AML with competing
    death, worst adverse-event grade) and each trial is analysed with the study's test.

    \b
    mdsrs design --n 60:600:30 --reps 10000 --seed 1
    mdsrs design study.toml --only os --accrual 36 --follow-up 24 --dropout 0.05
    mdsrs design --scheduler tcp://10.0.0.5:8786 --reps 100000
    """
    from mdsrs_core.report.write import parse_formats

    from .power import power
    from .report import summary_rows, write_design

    kw = dict(kwargs)
    out_dir, formats = kw.pop("out_dir"), kw.pop("formats")
    from mdsrs_core.plugins import get_registry

    renderers = get_registry().renderers()
    try:
        asked = parse_formats(formats, renderers)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    from mdsrs_core.cli import _study_inputs
    from mdsrs_core.outputs import check_output_dir
    from mdsrs_core.report.write import output_names
    from mdsrs_core.study import EXAMPLE_STUDY, Study

    if target is not None and target.suffix.lower() != ".toml":
        raise click.BadParameter(f"{target}: give a study file (.toml)", param_hint="TARGET")
    study = Study.load(target or EXAMPLE_STUDY)
    # the study's [design] table, where the option was not given on the command line
    from click.core import ParameterSource

    ctx = click.get_current_context()
    given = {
        name
        for name in ctx.params
        if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
    }
    for key, value in study.design.items():
        param = _PARAMS.get(key, key)
        if param in given:
            continue
        if param == "sizes":
            sizes = value
        elif param == "reps":
            reps = value
        elif param == "seed":
            seed = value
        elif param == "target_power":
            target_power = value
        else:
            kw[param] = value
    target_p = target_power
    inputs = _study_inputs(study)
    check_output_dir(out_dir, output_names([renderers[n] for n in asked]), inputs)
    only = [x.strip() for item in kw.pop("only") for x in item.split(",") if x.strip()]
    if seed is None:
        seed = study.seed
    alpha = kw.pop("alpha")
    progress = _progress() if sys.stderr.isatty() else None
    result = power(
        study.cohort(),
        sizes,
        endpoints=only or None,
        reps=reps,
        seed=seed,
        alpha=study.alpha if alpha is None else alpha,
        target=target_p,
        progress=progress,
        **kw,
    )
    records = result.records
    written = write_design(records, out_dir, asked, inputs=inputs)
    from mdsrs_core.report.formatting import text_table

    click.echo(
        f"Trial design from the {result.source}:\n{result.reps} simulated trials per size, "
        f"seed {result.seed}."
    )
    click.echo(
        text_table(
            ["endpoint", "test", f"n (power >= {target_p:g})", "power (95% MC CI)"],
            summary_rows(records, short=True),
        )
    )
    ok = [w.path.name for w in written if w.error is None]
    click.echo(f"\nWrote {', '.join(ok)} in {out_dir}.")
    failed = [w for w in written if w.error is not None]
    for w in failed:
        click.echo(f"Could not write {w.path.name}: {w.error}", err=True)
    sys.exit(1 if failed else 0)
