"""Which canonical variables may share one column of the data.

Two canonical variables mapped to one column (``hgb_base = "HB"`` and ``hgb_post = "HB"``)
would make one measurement stand for two, so it is refused, naming both, unless the
variables are of a kind R users share too (CONTRACT.md): one time column may serve several
canonical times (``Surv(time, status == 2)``), and event indicators may come from one coded
status column (0 censored / 1 AML / 2 death). Import-light (standard library only).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SHAREABLE", "shared_column_problems"]

#: Groups of canonical variables that may be mapped to one column.
SHAREABLE: tuple[frozenset[str], ...] = (
    frozenset({"aml_months", "os_months", "response_months"}),  # one follow-up time
    frozenset({"aml", "death"}),  # one coded status column
)


def shared_column_problems(mapping: Mapping[str, str]) -> list[str]:
    """One message per column that ``mapping`` (canonical variable -> column) gives to
    canonical variables that may not share it."""
    by_column: dict[str, list[str]] = {}
    for canon, column in mapping.items():
        by_column.setdefault(str(column), []).append(canon)
    problems = []
    for column, names in by_column.items():
        if len(names) < 2 or any(set(names) <= group for group in SHAREABLE):
            continue
        listed = " and ".join(", ".join(names).rsplit(", ", 1))
        problems.append(
            f"column '{column}' is mapped to {listed}: one column cannot hold "
            f"{len(names)} different variables (only times, or event indicators from a coded "
            "status column, may share one); map each to its own column"
        )
    return problems
