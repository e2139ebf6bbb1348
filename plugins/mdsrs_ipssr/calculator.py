"""The IPSS-R calculator for a table of patients (``mdsrs ipssr DATA-FILE``).

Inputs, by the names :func:`mdsrs_ipssr.score` takes (``--map NAME=COLUMN``):

=========  ===========================  ==================================
name       meaning                      columns used when not mapped
=========  ===========================  ==================================
hgb        hemoglobin, g/dL             ``hgb_base``, else ``hgb``
plt        platelets, x10^9/L           ``plt_base``, else ``plt``
anc        neutrophils (ANC), x10^9/L   ``anc_base``, else ``anc``
blasts     bone-marrow blasts, %        ``bm_blast_base``, else ``blasts``
cyto       IPSS-R cytogenetic group     ``cyto_base``, else ``cyto``
age        age, years (optional)        ``age``
=========  ===========================  ==================================

The canonical names may be used on the left of ``--map`` too (``--map hgb_base=HB``). The
result is the input table with ``ipssr_score`` and ``ipssr_category`` appended, and
``ipssra_score`` and ``ipssra_category`` when an age column is found or mapped. Every problem
is a :class:`~mdsrs_core.errors.MdsrsError` whose message names the file, the column, the rows
and the rule (the command line turns it into exit code 2).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from mdsrs_core.errors import CohortError, StudyError

from .scoring import score

#: input name -> (what it is, default columns in order of preference)
INPUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hgb": ("hemoglobin (g/dL)", ("hgb_base", "hgb")),
    "plt": ("platelets (x10^9/L)", ("plt_base", "plt")),
    "anc": ("neutrophils, ANC (x10^9/L)", ("anc_base", "anc")),
    "blasts": ("bone-marrow blasts (%)", ("bm_blast_base", "blasts")),
    "cyto": ("IPSS-R cytogenetic risk group", ("cyto_base", "cyto")),
    "age": ("age (years)", ("age",)),
}
#: canonical variable names accepted on the left of --map
ALIASES = {
    "hgb_base": "hgb",
    "plt_base": "plt",
    "anc_base": "anc",
    "bm_blast_base": "blasts",
    "cyto_base": "cyto",
}
OUTPUTS = ("ipssr_score", "ipssr_category", "ipssra_score", "ipssra_category")


def _columns_text(frame: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in frame.columns)


def resolve_columns(
    frame: pd.DataFrame, columns: Mapping[str, str] | None = None, *, source: str = "data"
) -> dict[str, str]:
    """Input name -> column of ``frame`` (``age`` only when found or mapped)."""
    given: dict[str, str] = {}
    for name, column in (columns or {}).items():
        key = ALIASES.get(name, name)
        if key not in INPUTS:
            raise StudyError(
                f"--map: '{name}' is not an input of the IPSS-R calculator; use "
                f"{', '.join(INPUTS)} (or {', '.join(ALIASES)})."
            )
        if key in given:
            raise StudyError(f"--map: {key} is mapped twice ('{given[key]}' and '{column}').")
        given[key] = column
    out: dict[str, str] = {}
    for key, (what, defaults) in INPUTS.items():
        if key in given:
            if given[key] not in frame.columns:
                raise CohortError(
                    f"{source}: column '{given[key]}' (--map {key}={given[key]}) is not in the "
                    f"data; its columns are: {_columns_text(frame)}."
                )
            out[key] = given[key]
            continue
        found = next((c for c in defaults if c in frame.columns), None)
        if found is not None:
            out[key] = found
        elif key != "age":
            raise CohortError(
                f"{source}: no column for {what}: name it {' or '.join(defaults)}, or map it "
                f"with --map {key}=COLUMN; the data's columns are: {_columns_text(frame)}."
            )
    return out


def calculate(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    source: str | None = None,
    first_row: int = 1,
) -> pd.DataFrame:
    """``frame`` with the IPSS-R (and IPSS-RA) scores and categories appended.

    ``columns`` maps input names (or canonical names) to columns of ``frame``; ``source``
    (the file name) starts every message; ``first_row`` is the number messages give the
    first row of ``frame`` (2 for a file whose header is row 1).
    """
    source = source or "data"
    cols = resolve_columns(frame, columns, source=source)
    clash = [c for c in OUTPUTS if c in frame.columns]
    if clash:
        raise CohortError(
            f"{source}: the data already have column{'s' if len(clash) > 1 else ''} "
            f"{', '.join(repr(c) for c in clash)}, which the calculator writes; rename or drop "
            f"{'them' if len(clash) > 1 else 'it'}."
        )
    try:
        scores = score(
            frame,
            hgb=cols["hgb"],
            plt=cols["plt"],
            anc=cols["anc"],
            blasts=cols["blasts"],
            cyto=cols["cyto"],
            age=cols.get("age"),
            first_row=first_row,
        )
    except CohortError as exc:
        raise CohortError(f"{source}: {exc}") from None
    return pd.concat([frame, scores], axis=1)
