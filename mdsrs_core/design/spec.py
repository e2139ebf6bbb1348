"""The study file's ``[design]`` table: the settings of ``mdsrs design``, checked.

The keys are the command's options (``n``, ``reps``, ``seed``, ``power``, ``alpha``,
``allocation``, ``accrual``, ``follow_up``, ``dropout``, ``dropout_time``, ``os_model``,
``hazard_ratio``, ``response_rates``, ``ae_test``, ``workers``, ``scheduler``), with the
same ranges; an option given on the command line overrides the file's value. A key of the
wrong kind is caught first by :mod:`mdsrs_core.study_schema`; an unknown key or a value out
of range is a :class:`~mdsrs_core.errors.StudyError` naming ``[design]``, the key and the
rule. Standard library only (a study file is read before anything heavy is imported).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mdsrs_core.bounds import ANALYSIS_RANGES, Range, range_problem
from mdsrs_core.errors import StudyError

__all__ = ["DESIGN_RANGES", "DESIGN_CHOICES", "DESIGN_KEYS", "design_spec"]

#: numeric keys and their ranges (those of the command's options)
DESIGN_RANGES: dict[str, Range] = {
    "reps": Range(1, 1e9, integer=True),
    "seed": ANALYSIS_RANGES["seed"],
    "power": Range(0, 1, open_low=True, open_high=True),
    "alpha": ANALYSIS_RANGES["alpha"],
    "allocation": Range(0, 1e3, open_low=True),
    "accrual": Range(0, 1200, unit="months"),
    "follow_up": Range(0, 1200, open_low=True, unit="months"),
    "dropout": Range(0, 1, open_high=True),
    "dropout_time": Range(0, 1200, open_low=True, unit="months"),
    "hazard_ratio": Range(0, 1e3, open_low=True),
    "workers": Range(1, 4096, integer=True),
}
#: text keys with a fixed set of values
DESIGN_CHOICES: dict[str, tuple[str, ...]] = {
    "os_model": ("km", "exponential", "piecewise", "weibull"),
    "ae_test": ("wilcoxon", "clm"),
}
DESIGN_KEYS = (
    "n",
    *DESIGN_RANGES,
    *DESIGN_CHOICES,
    "response_rates",
    "scheduler",
)


def design_spec(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The checked ``[design]`` settings of a study file (``where``: the file, for messages):
    ``n`` as the sorted list of sizes, ``response_rates`` as a (reference, other) pair, the
    other values as given."""
    bad = sorted(set(raw) - set(DESIGN_KEYS))
    if bad:
        raise StudyError(
            f"{where}: unknown key{'s' if len(bad) > 1 else ''} in [design]: "
            f"{', '.join(bad)}; known: {', '.join(sorted(DESIGN_KEYS))} (the options of "
            "mdsrs design, with _ for -)."
        )
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in DESIGN_RANGES:
            rule = DESIGN_RANGES[key]
            kind_ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if rule.integer:
                kind_ok = kind_ok and isinstance(value, int)
            problem = range_problem(value, rule)
            if not kind_ok:
                problem = f"must be {rule.describe()}, not {value!r}"
            if problem:
                raise StudyError(f"{where}: [design] {key} {problem}.")
            out[key] = int(value) if rule.integer else float(value)
        elif key in DESIGN_CHOICES:
            choices = DESIGN_CHOICES[key]
            if value not in choices:
                raise StudyError(
                    f"{where}: [design] {key} must be one of {', '.join(choices)}, not {value!r}."
                )
            out[key] = value
        elif key == "n":
            out[key] = _sizes(value, where)
        elif key == "response_rates":
            ok = (
                isinstance(value, list)
                and len(value) == 2
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)
                and all(0 <= x <= 1 for x in value)
            )
            if not ok:
                raise StudyError(
                    f"{where}: [design] response_rates must be two probabilities from 0 to 1, "
                    f"reference arm then other arm, e.g. [0.25, 0.45], not {value!r}."
                )
            out[key] = (float(value[0]), float(value[1]))
        else:  # scheduler
            if not isinstance(value, str) or not value.strip():
                raise StudyError(
                    f"{where}: [design] scheduler must be a Dask scheduler's address as text, "
                    f'e.g. "tcp://10.0.0.5:8786", not {value!r}.'
                )
            out[key] = value.strip()
    return out


def _sizes(value: Any, where: str) -> list[int]:
    """``n = "60:600:30"``, ``n = [100, 200]`` or ``n = 200``: the sorted sizes."""
    from .grid import parse_sizes

    rule = (
        'must be sizes as in --n: text such as "60:600:30" or "100,200", a list of whole '
        "numbers such as [100, 200], or one whole number"
    )
    if isinstance(value, bool):
        raise StudyError(f"{where}: [design] n {rule}, not {value!r}.")
    if isinstance(value, int):
        text = str(value)
    elif (
        isinstance(value, list)
        and value
        and all(isinstance(x, int) and not isinstance(x, bool) for x in value)
    ):
        text = ",".join(str(x) for x in value)
    elif isinstance(value, str):
        text = value
    else:
        raise StudyError(f"{where}: [design] n {rule}, not {value!r}.")
    try:
        return parse_sizes(text)
    except ValueError as exc:
        raise StudyError(f"{where}: [design] n: {exc}.") from None
