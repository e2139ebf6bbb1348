"""Derived variables of the ``adverse_events`` plugin (run by its ``mdsrs_derive`` hook).

* ``ae_worst_grade``: each patient's worst CTCAE grade from the long adverse-event table (the
  highest grade listed); 0 for a patient absent from the table when the study marks the table
  complete, missing when it does not. Added whenever the table is given.
* When both ``ae_max_grade`` and the table are given they must agree for every patient the
  table covers (every patient when it is complete, the listed ones otherwise); any
  disagreement is a :class:`~mdsrs_core.errors.CohortError` naming the patients, raised while
  the cohort is built: a worst grade that differs from the listed events is a data error the
  user must resolve, and no endpoint should run on it.
* ``ctcae_anemia_base/post``, ``ctcae_plt_base/post``, ``ctcae_anc_base/post``: CTCAE v5.0
  lab grades (:mod:`mdsrs_adverse_events.ctcae`, default LLNs; sex-specific hemoglobin LLN
  when ``sex`` is present) when the labs are present, held as pandas' nullable ``Int8``.
"""

from __future__ import annotations

import pandas as pd

from mdsrs_core.errors import CohortError

from . import ctcae

__all__ = ["derive", "worst_grade_from_table", "check_agreement"]

_LIST_LIMIT = 10


def worst_grade_from_table(cohort) -> pd.Series:
    """The worst listed grade per patient of ``cohort.data`` (float; NaN = unknown)."""
    ae = cohort.adverse_events
    worst = ae.groupby("patient_id")["grade"].max()
    ids = cohort.data["patient_id"].astype("string").str.strip()
    grade = ids.map(worst).astype(float)
    if cohort.adverse_events_complete:
        grade = grade.fillna(0.0)
    return pd.Series(grade.to_numpy(), index=cohort.data.index)


def check_agreement(cohort, table_grade: pd.Series) -> None:
    """Raise :class:`CohortError` when ``ae_max_grade`` and the table's worst grade differ."""
    given = pd.to_numeric(cohort.data["ae_max_grade"], errors="coerce").astype(float)
    covered = table_grade.notna()
    differ = covered & ~(given == table_grade)  # a missing ae_max_grade differs too
    if not differ.any():
        return
    ids = cohort.data.loc[differ, "patient_id"].astype(str).tolist()
    listed = []
    for pid, g, t in zip(ids, given[differ], table_grade[differ], strict=True):
        shown = "missing" if pd.isna(g) else f"{int(g)}"
        listed.append(f"{pid} (ae_max_grade {shown}, table {int(t)})")
    more = len(listed) - _LIST_LIMIT
    text = ", ".join(listed[:_LIST_LIMIT]) + (f" and {more} more" if more > 0 else "")
    absent = (
        "; a patient absent from the table counts as grade 0 because the study marks "
        "the table complete"
        if cohort.adverse_events_complete
        else ""
    )
    n = len(listed)
    raise CohortError(
        f"{cohort.source}: ae_max_grade disagrees with the adverse-event table for {n} "
        f"patient{'s' if n > 1 else ''}: {text}. The table's worst grade is the highest grade "
        f"listed for the patient{absent}. Correct the column or the table (or leave one of "
        "them out)."
    )


def _compact(grades):
    """A grade column as the cohort holds it: pandas' nullable ``Int8`` (a grade is 0-5),
    one byte per patient instead of eight (10^6 patients: 7 MB less per column, in every
    process that analyses the cohort); the same values and missing ones."""
    return grades.astype("Int8")


def derive(cohort) -> None:
    """Add the plugin's derived variables to ``cohort`` (see the module docstring)."""
    if cohort.adverse_events is not None:
        table_grade = worst_grade_from_table(cohort)
        if "ae_max_grade" in cohort.data.columns:
            check_agreement(cohort, table_grade)
        complete = (
            "a patient absent from it has grade 0"
            if cohort.adverse_events_complete
            else "missing for a patient absent from it: the table is incomplete"
        )
        cohort.add_variable(
            "ae_worst_grade",
            table_grade,
            label="Worst adverse-event grade from the adverse-event table (CTCAE)",
            source=f"adverse_events: highest grade listed per patient; {complete}",
        )
    data = cohort.data
    sex = data["sex"] if "sex" in data.columns else None
    for when in ("base", "post"):
        if f"hgb_{when}" in data.columns:
            hgb_lln = (
                "LLN by sex (WHO 2011: 12.0 g/dL F, 13.0 M)"
                if sex is not None
                else f"LLN {ctcae.HGB_LLN} g/dL"
            )
            cohort.add_variable(
                f"ctcae_anemia_{when}",
                _compact(ctcae.grade_anemia(data[f"hgb_{when}"], sex=sex)),
                label=f"Anemia, CTCAE v5.0 lab grade ({'before' if when == 'base' else 'after'}"
                " treatment)",
                source=f"CTCAE v5.0 from hgb_{when}; {hgb_lln}; grade 4 is clinical, never "
                "assigned from Hgb",
            )
        if f"plt_{when}" in data.columns:
            cohort.add_variable(
                f"ctcae_plt_{when}",
                _compact(ctcae.grade_platelets(data[f"plt_{when}"])),
                label="Platelet count decreased, CTCAE v5.0 grade "
                f"({'before' if when == 'base' else 'after'} treatment)",
                source=f"CTCAE v5.0 from plt_{when}; LLN {ctcae.PLT_LLN:g} x10^9/L",
            )
        if f"anc_{when}" in data.columns:
            cohort.add_variable(
                f"ctcae_anc_{when}",
                _compact(ctcae.grade_neutrophils(data[f"anc_{when}"])),
                label="Neutrophil count decreased, CTCAE v5.0 grade "
                f"({'before' if when == 'base' else 'after'} treatment)",
                source=f"CTCAE v5.0 from anc_{when}; LLN {ctcae.ANC_LLN:g} x10^9/L",
            )
