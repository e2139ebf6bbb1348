"""Ranges of numeric settings, checked before anything runs.

A number in a study file or on the command line sizes tables, grids and loops: a
``risk_table_every = 0.00001`` built a 17-million-column numbers-at-risk table and ran out
of memory. So every numeric option has a range:

* every number given to an endpoint option (``[endpoints.NAME]``) must be finite (TOML
  allows ``inf`` and ``nan``);
* the options below have the range stated, for every endpoint that has an option of that
  name; an endpoint declares ranges of its own options in ``Endpoint.option_ranges``
  (``{"name": Range(...)}``), which take precedence;
* ``[analysis]`` and the command line: see :data:`ANALYSIS_RANGES`.

A value out of range is a :class:`~mdsrs_core.errors.StudyError` naming the option, the
range and the value. Import-light (standard library only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Range", "OPTION_RANGES", "ANALYSIS_RANGES", "range_problem", "option_problem"]


@dataclass(frozen=True)
class Range:
    """``low <= value <= high`` (``<`` where open); ``integer``: a whole number; for a list
    option, each item, and at most ``max_items`` of them."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    integer: bool = False
    unit: str = ""
    max_items: int | None = None

    def describe(self) -> str:
        def g(x: float) -> str:
            return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"

        unit = f" {self.unit}" if self.unit else ""
        kind = "a whole number" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            if self.open_low and self.open_high:
                return f"{kind} between {g(self.low)} and {g(self.high)}{unit} (both excluded)"
            low = "above" if self.open_low else "from"
            high = "below" if self.open_high else "to"
            return f"{kind} {low} {g(self.low)} {high} {g(self.high)}{unit}"
        if self.low is not None:
            return f"{kind} {'above' if self.open_low else 'of at least'} {g(self.low)}{unit}"
        if self.high is not None:
            return f"{kind} {'below' if self.open_high else 'of at most'} {g(self.high)}{unit}"
        return f"a finite {kind[2:]}"


#: Ranges of the built-in endpoints' numeric options, by option name.
OPTION_RANGES: dict[str, Range] = {
    "conf_level": Range(0, 1, open_low=True, open_high=True),
    # the numbers-at-risk grid under a KM figure: at least half a month apart
    "risk_table_every": Range(0.5, 1200, unit="months"),
    "landmarks": Range(0, 1200, unit="months", max_items=50),
    "categorical_below": Range(1, 1000, integer=True),
    "rho": Range(-10, 10),
}

#: ``[analysis]`` settings (and the matching command-line options).
ANALYSIS_RANGES: dict[str, Range] = {
    "alpha": Range(0, 1, open_low=True, open_high=True),
    "timeout": Range(0, 1e6, open_low=True, unit="seconds"),
    # a seed R's set.seed() and numpy's legacy RandomState both accept
    "seed": Range(0, 2**32 - 1, integer=True),
}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def range_problem(value: Any, rule: Range) -> str | None:
    """Why ``value`` (a number, or a list of numbers) breaks ``rule`` (None if it does not)."""
    if isinstance(value, (list, tuple)):
        if rule.max_items is not None and len(value) > rule.max_items:
            return f"must list at most {rule.max_items} values, not {len(value)}"
        for item in value:
            problem = range_problem(item, rule)
            if problem:
                return problem.replace("must be", "must list values each", 1)
        return None
    if not _number(value):
        return None  # its type is checked elsewhere
    if not math.isfinite(value):
        return f"must be {rule.describe()}, not {value!r}"
    bad = (
        (rule.integer and value != int(value))
        or (rule.low is not None and (value <= rule.low if rule.open_low else value < rule.low))
        or (rule.high is not None and (value >= rule.high if rule.open_high else value > rule.high))
    )
    return f"must be {rule.describe()}, not {value!r}" if bad else None


def _finite_problem(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        for item in value:
            problem = _finite_problem(item)
            if problem:
                return problem
        return None
    if isinstance(value, Mapping):
        for item in value.values():
            problem = _finite_problem(item)
            if problem:
                return problem
        return None
    if _number(value) and not math.isfinite(value):
        return f"must be a finite number, not {value!r}"
    return None


def option_problem(name: str, value: Any, own: Mapping[str, Range] | None = None) -> str | None:
    """Why option ``name`` may not take ``value`` (None if it may): the endpoint's ``own``
    range, else :data:`OPTION_RANGES`, and in any case a finite number."""
    rule = (own or {}).get(name) or OPTION_RANGES.get(name)
    if rule is not None:
        problem = range_problem(value, rule)
        if problem:
            return problem
    return _finite_problem(value)
