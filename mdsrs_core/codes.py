"""Value codes: how a file's values map onto canonical values (the study file's ``[codes]``).

Real files code sex 1/2, arms 1/2, deaths "Dead"/"Alive" and responses in local words. A
``[codes]`` table gives, per variable, *file value -> canonical value*::

    [codes]
    sex = { 1 = "M", 2 = "F" }
    arm = { 1 = "lenalidomide", 2 = "thalidomide" }
    death = { 0 = 0, 1 = 0, 2 = 1 }        # from a status column 0 censored / 1 AML / 2 death
    aml = { 0 = 0, 1 = 1, 2 = 0 }
    response = { "complete remission" = "CR", "stable" = "SD" }
    stage = { 1 = "I", 2 = "II", 3 = "III" } # any other column: a declared categorical

Event variables (``death``, ``aml``) map every code to 0 (censored) or 1 (the event), which is
how one coded status column gives several event indicators (``[columns] death = "status"`` and
``aml = "status"``), as R users write ``Surv(time, status == 2)``. For a canonical categorical
(``sex``, ``response``, ``cyto_*``) a value the table does not list is read as it is (so a
table may list only the local words); for ``arm``, an event and any other column every value
must be listed: an unknown code is an error naming the table. A column of the data that is not
a canonical variable becomes categorical with the table's values as its levels, in the
table's order (R's ``factor(x, levels, labels)``).

Keys are compared as text, without surrounding spaces and without letter case; a number
written ``1`` in the table matches ``1`` and ``1.0`` in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .variables import VARIABLES

__all__ = ["codes_problem", "apply_codes", "code_key", "CODES_HINT"]

#: How a message about an unknown value points to the study file's ``[codes]``.
CODES_HINT = "if the file codes them otherwise, map its codes in the study file's [codes], e.g. "


def code_key(value: Any) -> str:
    """The comparison key of a code: text, stripped, lower case; ``1.0`` is ``1``."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip().lower()
    if text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        text = text[:-2]
    return text


def codes_problem(codes: object) -> str | None:
    """What is wrong with a ``[codes]`` table, or ``None`` when it is usable."""
    example = '[codes] sex = { 1 = "M", 2 = "F" }'
    if not isinstance(codes, Mapping):
        return f"[codes] must be a table of per-variable tables, e.g. {example}"
    for name, table in codes.items():
        if not isinstance(table, Mapping) or not table:
            return (
                f"[codes] {name} must be a table mapping the file's values to canonical "
                f"values, e.g. {example}"
            )
        var = VARIABLES.get(str(name))
        values = list(table.values())
        if any(isinstance(v, Mapping) or isinstance(v, list) for v in values):
            return f"[codes] {name} maps each value to one value, not to a table or list"
        if var is not None and var.kind == "event":
            bad = [
                f"{k} = {v!r}" for k, v in table.items() if isinstance(v, bool) or v not in (0, 1)
            ]
            if bad:
                return (
                    f"[codes] {name} maps codes to 0 (censored) or 1 (the event), "
                    f"not {', '.join(bad)}"
                )
        if var is not None and var.kind == "category":
            allowed = {lv.lower() for lv in var.levels}
            bad = [f"{k} = {v!r}" for k, v in table.items() if str(v).lower() not in allowed]
            if bad:
                return (
                    f"[codes] {name} maps to the canonical values {', '.join(var.levels)}, "
                    f"not {', '.join(bad)}"
                )
        if var is not None and var.kind == "arm":
            bad = [f"{k} = {v!r}" for k, v in table.items() if not isinstance(v, str) or not v]
            if bad:
                return f"[codes] arm maps codes to arm names in quotes, not {', '.join(bad)}"
        keys = [code_key(k) for k in table]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            return f"[codes] {name} lists the code {dupes[0]!r} twice"
    return None


def _strict(name: str) -> bool:
    """Whether every value of the column must be listed in its table."""
    var = VARIABLES.get(name)
    return var is None or var.kind not in ("category",)


def apply_codes(
    frame: pd.DataFrame, codes: Mapping[str, Mapping[Any, Any]]
) -> tuple[pd.DataFrame, list[tuple[str, list, list, str]]]:
    """``frame`` with each coded column recoded; and the problems as ``(column, rows, values,
    rule)`` for values a strict table does not list. Event columns are recoded to 0/1."""
    out = frame.copy()
    problems: list[tuple[str, list, list, str]] = []
    for name, table in codes.items():
        if name not in frame.columns:
            continue
        lookup = {code_key(k): v for k, v in table.items()}
        raw = frame[name]
        present = raw.notna() & (raw.astype("string").str.strip() != "")
        keys = raw.map(lambda v: None if pd.isna(v) else code_key(v))
        known = keys.isin(list(lookup))
        mapped = keys.map(lookup)
        var = VARIABLES.get(name)
        if _strict(name):
            unknown = present & ~known
            if unknown.any():
                listed = ", ".join(str(k) for k in table)
                problems.append(
                    (
                        name,
                        list(frame.index[unknown.to_numpy()]),
                        list(dict.fromkeys(raw[unknown].tolist())),
                        f"a code not in the study file's [codes] {name} ({listed})",
                    )
                )
            recoded = mapped.where(present & known)
        else:
            recoded = mapped.where(known, raw).where(present)
        if var is None:
            levels = list(dict.fromkeys(table.values()))
            out[name] = pd.Categorical(recoded, categories=levels)
        elif var.kind == "event":
            out[name] = pd.to_numeric(recoded, errors="coerce").astype("float64")
        else:
            out[name] = pd.Series(
                [None if pd.isna(v) else v for v in recoded], index=frame.index, dtype=object
            )
    return out, problems
