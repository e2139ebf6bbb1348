"""The IPSS-R and its age-adjusted form IPSS-RA, exactly as Greenberg et al.
(Blood 2012;120:2454-2465) define them.

Points per component:

=====================  ======  ================  ==========  ========  ==========
component              0       0.5               1           1.5       2 / 3 / 4
=====================  ======  ================  ==========  ========  ==========
cytogenetic group      very                      good                  intermediate 2,
                       good                                            poor 3, very poor 4
marrow blasts (%)      <= 2                      > 2 to < 5            5-10: 2, > 10: 3
hemoglobin (g/dL)      >= 10                     8 to < 10   < 8
platelets (x10^9/L)    >= 100  50 to < 100       < 50
ANC (x10^9/L)          >= 0.8  < 0.8
=====================  ======  ================  ==========  ========  ==========

Risk categories (same cut-points for IPSS-R and IPSS-RA): Very Low <= 1.5; Low > 1.5 to 3;
Intermediate > 3 to 4.5; High > 4.5 to 6; Very High > 6.

IPSS-RA = IPSS-R + (age - 70) x (0.05 - IPSS-R x 0.005).

Floating point: the IPSS-R score is a sum of multiples of 0.5 and is exact in binary floating
point. The IPSS-RA is computed in decimal arithmetic from the shortest decimal form of the
score and the age (``Decimal(repr(x))``), rounded half-up to 4 decimals -- as the published
calculator displays it (e.g. 2.25625 -> 2.2563) -- and the *rounded* value is both returned
and categorised. So an IPSS-RA of exactly 3 is Low, never Intermediate through a
3.0000000000000004 artefact.

A missing component (or, for the IPSS-RA, a missing age) gives a missing score and category,
never a zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from mdsrs_core.errors import CohortError

from .cytogenetics import CYTO_POINTS, normalize_cyto
from .levels import CATEGORIES

#: Ordered dtype of ``ipssr_category`` / ``ipssra_category``.
CATEGORY_DTYPE = pd.CategoricalDtype(categories=list(CATEGORIES), ordered=True)

#: Upper bounds (inclusive) of the first four categories.
CUT_POINTS: tuple[float, ...] = (1.5, 3.0, 4.5, 6.0)

#: Decimals of the IPSS-RA as published (and before categorising).
IPSSRA_DECIMALS = 4


def blast_points(blasts: pd.Series) -> pd.Series:
    """<= 2%: 0; > 2 to < 5%: 1; 5-10%: 2; > 10%: 3 (NaN stays NaN)."""
    pts = np.select(
        [blasts <= 2, blasts < 5, blasts <= 10, blasts > 10], [0.0, 1.0, 2.0, 3.0], np.nan
    )
    return pd.Series(pts, index=blasts.index)


def hgb_points(hgb: pd.Series) -> pd.Series:
    """>= 10 g/dL: 0; 8 to < 10: 1; < 8: 1.5."""
    pts = np.select([hgb >= 10, hgb >= 8, hgb < 8], [0.0, 1.0, 1.5], np.nan)
    return pd.Series(pts, index=hgb.index)


def plt_points(plt: pd.Series) -> pd.Series:
    """>= 100 x10^9/L: 0; 50 to < 100: 0.5; < 50: 1."""
    pts = np.select([plt >= 100, plt >= 50, plt < 50], [0.0, 0.5, 1.0], np.nan)
    return pd.Series(pts, index=plt.index)


def anc_points(anc: pd.Series) -> pd.Series:
    """>= 0.8 x10^9/L: 0; < 0.8: 0.5."""
    pts = np.select([anc >= 0.8, anc < 0.8], [0.0, 0.5], np.nan)
    return pd.Series(pts, index=anc.index)


def cyto_points(cyto: pd.Series, *, first_row: int = 1) -> pd.Series:
    """very good 0, good 1, intermediate 2, poor 3, very poor 4 (labels normalised first)."""
    labels = normalize_cyto(cyto, first_row=first_row)
    return labels.map(CYTO_POINTS).astype(float)


def categorize(scores: pd.Series) -> pd.Series:
    """Ordered categorical of IPSS-R risk categories; NaN scores give a missing category."""
    scores = pd.Series(scores, dtype=float)
    values = scores.to_numpy()
    codes = np.searchsorted(np.asarray(CUT_POINTS), values, side="left")
    codes[np.isnan(values)] = -1
    return pd.Series(pd.Categorical.from_codes(codes, dtype=CATEGORY_DTYPE), index=scores.index)


def _age_adjusted(s: float, a: float, quantum: Decimal) -> float:
    if np.isnan(s) or np.isnan(a):
        return np.nan
    ds, da = Decimal(repr(float(s))), Decimal(repr(float(a)))
    ra = ds + (da - 70) * (Decimal("0.05") - ds * Decimal("0.005"))
    return float(ra.quantize(quantum, rounding=ROUND_HALF_UP))


def age_adjust(scores: pd.Series, ages: pd.Series) -> pd.Series:
    """IPSS-RA = IPSS-R + (age - 70) x (0.05 - IPSS-R x 0.005), in decimal arithmetic,
    rounded half-up to :data:`IPSSRA_DECIMALS` decimals; NaN if either input is missing.

    Computed once per distinct (score, age) pair (a cohort has a few hundred, at any size)."""
    quantum = Decimal(1).scaleb(-IPSSRA_DECIMALS)
    s, a = scores.to_numpy(dtype=float), ages.to_numpy(dtype=float)
    # distinct pairs as complex numbers (one sort; np.unique with axis=0 is 10x slower)
    distinct, inverse = np.unique(s + 1j * a, return_inverse=True)
    values = np.array(
        [_age_adjusted(z.real, z.imag, quantum) for z in distinct.tolist()], dtype=float
    )
    return pd.Series(values[inverse.ravel()], index=scores.index, dtype=float)


def _numeric(
    frame: pd.DataFrame, column: str, upper: float | None = None, *, first_row: int = 1
) -> pd.Series:
    """The column as floats; text that is not a number, negatives (and values above ``upper``)
    are an error naming the column and the rows (the first row of ``frame`` is
    ``first_row``)."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    not_number = values.isna() & raw.notna()
    if not_number.any():  # only those cells' text is looked at
        blank = raw[not_number].astype(str).str.strip().eq("").to_numpy(dtype=bool)
        mask = not_number.to_numpy(dtype=bool).copy()
        mask[mask] = ~blank
        not_number = pd.Series(mask, index=raw.index)
    bad = not_number | (values < 0)
    if upper is not None:
        bad |= values > upper
    if bad.any():
        positions = np.flatnonzero(bad.to_numpy())
        rows = ", ".join(str(p + first_row) for p in positions[:10])
        if len(positions) > 10:
            rows += f" ... ({len(positions)} rows in all)"
        rule = "a number >= 0" + (f" and <= {upper:g}" if upper is not None else "")
        shown = ", ".join(repr(v) for v in raw.iloc[positions[:10]].tolist())
        one = len(positions) == 1
        noun, where, verb = ("value", "row", "is") if one else ("values", "rows", "are")
        raise CohortError(
            f"column '{column}': {noun} {shown} in {where} {rows} {verb} not valid; "
            f"each value must be {rule} (or missing)."
        )
    return values


def score(
    frame: pd.DataFrame,
    hgb: str,
    plt: str,
    anc: str,
    blasts: str,
    cyto: str,
    age: str | None = None,
    *,
    first_row: int = 1,
) -> pd.DataFrame:
    """IPSS-R (and, given ``age``, IPSS-RA) of every row of ``frame``.

    The arguments name the columns of ``frame`` holding hemoglobin (g/dL), platelets and ANC
    (x10^9/L), bone-marrow blasts (%), the IPSS-R cytogenetic group (labels as accepted by
    :func:`mdsrs_ipssr.cytogenetics.normalize_cyto`) and, optionally, age (years).

    Returns a DataFrame with the index of ``frame`` and the columns ``ipssr_score`` (float),
    ``ipssr_category`` (ordered categorical ``Very Low`` < ... < ``Very High``) and, when
    ``age`` is given, ``ipssra_score`` (rounded half-up to 4 decimals, see the module
    docstring) and ``ipssra_category``. A missing component gives a missing score and
    category. Unknown columns, unknown cytogenetic labels and non-numeric or negative
    values raise :class:`mdsrs_core.errors.CohortError`; its message numbers rows from
    ``first_row`` for the first row of ``frame`` (1 by default; 2 for a file whose header is
    row 1, as spreadsheets number them).
    """
    wanted = {"hgb": hgb, "plt": plt, "anc": anc, "blasts": blasts, "cyto": cyto}
    if age is not None:
        wanted["age"] = age
    missing = [f"{arg}={col!r}" for arg, col in wanted.items() if col not in frame.columns]
    if missing:
        raise CohortError(
            "IPSS-R: column(s) not found in the data: "
            + ", ".join(missing)
            + f"; available columns: {', '.join(map(str, frame.columns))}."
        )

    # the five components' points added left to right, one column at a time (a 10^6-row
    # cohort's five-column frame of points would be 40 MB); NaN + x is NaN: one missing
    # component makes the whole score missing, never a zero
    values = cyto_points(frame[cyto], first_row=first_row).to_numpy(dtype=float, copy=True)
    values += blast_points(_numeric(frame, blasts, upper=100, first_row=first_row)).to_numpy()
    values += hgb_points(_numeric(frame, hgb, first_row=first_row)).to_numpy()
    values += plt_points(_numeric(frame, plt, first_row=first_row)).to_numpy()
    values += anc_points(_numeric(frame, anc, first_row=first_row)).to_numpy()
    total = pd.Series(values, index=frame.index, dtype=float)

    out = pd.DataFrame(index=frame.index)
    out["ipssr_score"] = total
    out["ipssr_category"] = categorize(total)
    if age is not None:
        adjusted = age_adjust(total, _numeric(frame, age, first_row=first_row))
        out["ipssra_score"] = adjusted
        out["ipssra_category"] = categorize(adjusted)
    return out
