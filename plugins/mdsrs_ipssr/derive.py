"""The ``mdsrs_derive`` hook: IPSS-R (and IPSS-RA) scores and categories on the cohort.

For each time point ``t`` in ``base`` (before treatment) and ``post`` (after treatment) whose
five components are all columns of the cohort (``hgb_t``, ``plt_t``, ``anc_t``,
``bm_blast_t``, ``cyto_t``) it adds

* ``ipssr_t_score`` (float) and ``ipssr_t_category`` (ordered categorical Very Low < ... <
  Very High), and, when ``age`` is a column,
* ``ipssra_t_score`` and ``ipssra_t_category`` (the age-adjusted IPSS-RA).

The age is the age at treatment start (the canonical ``age``) for both time points: the
cohort has no date of the post-treatment assessment, so the post-treatment IPSS-RA uses the
same age. (The age term changes the IPSS-RA by at most 0.05 points per year.)

A patient with a missing component gets a missing score and category, never a zero. A
variable already present in the user's data is not replaced: that time point is not derived
and the cohort's notes say so.
"""

from __future__ import annotations

from .scoring import score

TIMEPOINTS = {"base": "before treatment", "post": "after treatment"}


def components(t: str) -> dict[str, str]:
    """The canonical columns of the IPSS-R at time point ``t`` (``base`` or ``post``), keyed
    by :func:`mdsrs_ipssr.score`'s arguments."""
    return {
        "hgb": f"hgb_{t}",
        "plt": f"plt_{t}",
        "anc": f"anc_{t}",
        "blasts": f"bm_blast_{t}",
        "cyto": f"cyto_{t}",
    }


def derived_names(t: str, with_age: bool) -> dict[str, str]:
    """Output column of :func:`score` -> derived variable name at time point ``t``."""
    names = {"ipssr_score": f"ipssr_{t}_score", "ipssr_category": f"ipssr_{t}_category"}
    if with_age:
        names.update(
            {"ipssra_score": f"ipssra_{t}_score", "ipssra_category": f"ipssra_{t}_category"}
        )
    return names


def _labels(t: str) -> dict[str, str]:
    when = TIMEPOINTS[t]
    return {
        f"ipssr_{t}_score": f"IPSS-R score {when}",
        f"ipssr_{t}_category": f"IPSS-R risk category {when}",
        f"ipssra_{t}_score": f"IPSS-RA (age-adjusted) score {when}",
        f"ipssra_{t}_category": f"IPSS-RA (age-adjusted) risk category {when}",
    }


def derive_ipssr(cohort) -> None:
    """Add the IPSS-R (and IPSS-RA) variables of each time point whose components exist."""
    with_age = cohort.has("age")
    for t in TIMEPOINTS:
        cols = components(t)
        if not cohort.has(*cols.values()):
            continue
        names = derived_names(t, with_age)
        taken = [n for n in names.values() if n in cohort.data.columns and n not in cohort.derived]
        if taken:
            cohort.notes.append(
                f"IPSS-R {TIMEPOINTS[t]} not derived: {', '.join(taken)} "
                f"{'is a column' if len(taken) == 1 else 'are columns'} of the data, used as "
                "given."
            )
            continue
        result = score(cohort.data, **cols, age="age" if with_age else None)
        labels = _labels(t)
        for column, name in names.items():
            cohort.add_variable(name, result[column], label=labels[name], source="mdsrs_ipssr")
