"""Adverse-event terms that differ only in case or spacing are one term.

Exports from REDCap or a spreadsheet typed by hand spell one CTCAE term several ways
(``"Anemia"``, ``"anemia"``, ``"Anemia  "``, ``"Febrile  neutropenia"``); counted apart, one
toxicity would be split over several rows of the table and its patients undercounted. Terms
are compared with their spaces collapsed and case folded (:meth:`str.casefold`); each group is
written as its most frequent spelling (the first in sorted order on a tie), and a note lists
the other spellings, so that nothing is merged silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["unify_terms", "term_key"]


def term_key(term: str) -> str:
    """What two spellings of one term have in common: spaces collapsed, case folded."""
    return " ".join(str(term).split()).casefold()


def unify_terms(terms: pd.Series, source: str = "adverse events") -> tuple[pd.Series, str | None]:
    """``terms`` with every spelling of a term replaced by the term's most frequent one, and a
    note naming the merged spellings (None when there were none)."""
    present = terms.dropna().astype(str)
    counts = present.value_counts()
    groups: dict[str, list[str]] = {}
    for spelling in sorted(counts.index):
        groups.setdefault(term_key(spelling), []).append(spelling)
    chosen, merged = {}, []
    for spellings in groups.values():
        best = sorted(spellings, key=lambda s: (-int(counts[s]), s))[0]
        for s in spellings:
            chosen[s] = best
        others = [s for s in spellings if s != best]
        if others:
            merged.append(f"'{best}' (also written {', '.join(repr(o) for o in others)})")
    if not merged:
        return terms, None
    note = (
        f"{source}: terms that differ only in case or spacing are counted as one term: "
        f"{'; '.join(merged)}."
    )
    return terms.map(lambda t: chosen.get(str(t), t) if isinstance(t, str) else t), note
