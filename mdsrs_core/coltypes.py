"""Column types of a cohort read from a file: numbers stay numbers, text stays text.

Files are read as text (:mod:`mdsrs_core.io`) so that the canonical variables are parsed in one
place, with clear messages (:mod:`mdsrs_core.validation`). Every *other* column is given back
the type it has in the file, as R's ``read.csv`` does (``type.convert``): a column whose every
non-missing value is a number becomes numeric (``int64`` when all are whole numbers and none
is missing, as R's integer, else ``float64``); TRUE/FALSE without a missing value is
``bool`` (R's logical); any other column stays text, which a formula
treats as a factor (R turns character columns into factors in ``model.frame``). So
``~ arm + karno`` fits one slope for a number column, as R does; a number-coded categorical is
written ``C(x)`` or ``factor(x)`` in a formula, or declared in the study file's ``[codes]``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["restore_types", "as_number_column"]


def as_number_column(column: pd.Series) -> pd.Series | None:
    """``column`` as numbers when every non-missing value is one (after trimming spaces),
    else ``None``. Whole numbers without missing values give ``int64``."""
    if pd.api.types.is_bool_dtype(column):
        return None
    if pd.api.types.is_numeric_dtype(column):
        return column
    from .validation import distinct_text

    found = distinct_text(column)
    if found is not None:  # text: decided on its distinct values when one is no number
        text = found[1].astype("string").str.strip()
        text = text.mask(text == "")
        present = text.notna()
        if not present.any() or pd.to_numeric(text, errors="coerce")[present].isna().any():
            return None
    text = column.astype("string").str.strip()
    text = text.mask(text == "")
    present = text.notna()
    if not present.any():
        return None
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers[present].isna().any():
        return None
    numbers = numbers.astype("float64")
    if present.all() and (numbers % 1 == 0).all() and numbers.abs().max() < 2**53:
        return numbers.astype("int64")
    return numbers


#: R's spellings of a logical (``type.convert``): read as ``bool`` when a column has no other
_LOGICAL = {
    "TRUE": True,
    "FALSE": False,
    "true": True,
    "false": False,
    "True": True,
    "False": False,
    "T": True,
    "F": False,
}


def as_logical_column(column: pd.Series) -> pd.Series | None:
    """``column`` as ``bool`` when every value is TRUE/FALSE (R's logical), none missing."""
    if pd.api.types.is_bool_dtype(column):
        return column
    if pd.api.types.is_numeric_dtype(column) or column.isna().any():
        return None
    from .validation import distinct_text

    found = distinct_text(column)
    if found is not None and not found[1].astype("string").str.strip().isin(list(_LOGICAL)).all():
        return None  # decided on the distinct values
    text = column.astype("string").str.strip()
    if not text.isin(list(_LOGICAL)).all():
        return None
    return text.map(_LOGICAL).astype(bool)


def restore_types(frame: pd.DataFrame, skip: Iterable[str]) -> pd.DataFrame:
    """Number columns of ``frame`` (those not in ``skip``) converted to numbers; others kept."""
    skip = set(skip)
    out = frame
    for name in frame.columns:
        if name in skip or isinstance(frame[name].dtype, pd.CategoricalDtype):
            continue
        numbers = as_number_column(frame[name])
        if numbers is None:
            numbers = as_logical_column(frame[name])
        if numbers is not None and numbers is not frame[name]:
            if out is frame:
                out = frame.copy(deep=False)  # columns are replaced, never changed in place
            out[name] = numbers
    return out
