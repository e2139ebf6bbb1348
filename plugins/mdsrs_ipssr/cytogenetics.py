"""IPSS-R cytogenetic risk groups: reading the labels that real data sets use.

The five groups of Schanz et al. (J Clin Oncol 2012) as used by the IPSS-R
(Greenberg et al., Blood 2012;120:2454) have canonical lower-case labels::

    very good, good, intermediate, poor, very poor

The spellings accepted are those of the core's single table,
:data:`mdsrs_core.variables.CYTO_SYNONYMS`, which the cohort validator uses too: so a label
that a cohort accepts is accepted here and vice versa. Any case, with spaces, hyphens,
underscores or dots between the words (``Very-Good``, ``very_good``, ``VERY GOOD``,
``v. good``), and the usual abbreviations (``VG``, ``G``, ``Int``, ``Interm``, ``intermed.``,
``P``, ``VP``). Missing values (NaN, None, blank text) stay missing. Anything else (including
a non-text value such as the number 3) is an error: a :class:`mdsrs_core.errors.CohortError`
whose message names the column, the rows and the accepted values.
:func:`invalid_cyto_positions` returns the offending positions without raising, for
validators that collect every problem first.

Row numbers in messages are 1-based positions in the column (row 1 is the first data row),
not index labels; ``first_row`` renumbers them (2 for a file whose header is row 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdsrs_core.errors import CohortError
from mdsrs_core.variables import CYTO_LEVELS, CYTO_SYNONYMS, level_key

__all__ = [
    "ACCEPTED_TEXT",
    "CYTO_LEVELS",
    "CYTO_POINTS",
    "invalid_cyto_message",
    "invalid_cyto_positions",
    "normalize_cyto",
]

#: IPSS-R points of each cytogenetic group.
CYTO_POINTS: dict[str, float] = {
    "very good": 0.0,
    "good": 1.0,
    "intermediate": 2.0,
    "poor": 3.0,
    "very poor": 4.0,
}

#: Human description of what is accepted, used in error messages.
ACCEPTED_TEXT = (
    "very good, good, intermediate, poor, very poor "
    "(any case; words may be joined by spaces, hyphens, underscores or dots; "
    "abbreviations VG, G, I, Int, Interm, P, VP)"
)

_MAX_ROWS_SHOWN = 10


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _canonical(value: object) -> str | None:
    """Canonical label of one non-missing value, or None if it is not recognised."""
    if not isinstance(value, str):
        return None
    return CYTO_SYNONYMS.get(level_key(value))


def invalid_cyto_positions(values: pd.Series) -> list[int]:
    """0-based positions of the non-missing values that are not a recognised group."""
    items = values.tolist()
    bad = {v for v in _distinct(items) if not _is_missing(v) and _canonical(v) is None}
    return [
        i
        for i, value in enumerate(items)
        if (value in bad if _hashable(value) else not _is_missing(value))
    ]


def invalid_cyto_message(
    values: pd.Series, positions: list[int], column: str | None = None, *, first_row: int = 1
) -> str:
    """The user message for the values of ``values`` at ``positions`` (0-based); the first
    value is row ``first_row``."""
    name = column if column is not None else values.name
    rows = [p + first_row for p in positions]
    items = values.tolist()
    bad = list(dict.fromkeys(repr(items[p]) for p in positions))
    shown = ", ".join(str(r) for r in rows[:_MAX_ROWS_SHOWN])
    if len(rows) > _MAX_ROWS_SHOWN:
        shown += f" ... ({len(rows)} rows in all)"
    noun = "row" if len(rows) == 1 else "rows"
    labels = ", ".join(bad[:_MAX_ROWS_SHOWN])
    return (
        f"column '{name}': unknown IPSS-R cytogenetic risk group {labels} "
        f"in {noun} {shown}; accepted values: {ACCEPTED_TEXT}."
    )


def normalize_cyto(
    values: pd.Series, column: str | None = None, *, first_row: int = 1
) -> pd.Series:
    """Canonical lower-case cytogenetic labels (``very good`` ... ``very poor``).

    Returns an object Series with the same index and name as ``values``; missing values stay
    missing (``NaN``). Raises :class:`~mdsrs_core.errors.CohortError` naming the column
    (``column``, else ``values.name``), the rows (the first value is row ``first_row``) and
    the accepted values if any non-missing value is not recognised.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        # each category looked up once, the rows through their codes
        levels = list(values.cat.categories)
        per_level = [float("nan") if _is_missing(v) else _canonical(v) for v in levels]
        bad = [not _is_missing(v) and c is None for v, c in zip(levels, per_level, strict=True)]
        codes = values.cat.codes.to_numpy()
        if any(bad):
            positions = np.flatnonzero(np.isin(codes, np.flatnonzero(bad))).tolist()
            raise CohortError(invalid_cyto_message(values, positions, column, first_row=first_row))
        table = np.array([*per_level, float("nan")], dtype=object)
        return pd.Series(table[codes], index=values.index, name=values.name, dtype=object)
    positions = invalid_cyto_positions(values)
    if positions:
        raise CohortError(invalid_cyto_message(values, positions, column, first_row=first_row))
    items = values.tolist()
    # each distinct value looked up once (a cohort has a handful, over any number of rows)
    canonical = {v: float("nan") if _is_missing(v) else _canonical(v) for v in _distinct(items)}
    out = [canonical[v] if _hashable(v) else float("nan") for v in items]
    return pd.Series(out, index=values.index, name=values.name, dtype=object)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _distinct(items: list) -> list:
    """The distinct hashable values of ``items`` (order of first appearance)."""
    return list(dict.fromkeys(v for v in items if _hashable(v)))
