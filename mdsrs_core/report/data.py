"""The records as CSV (``results.csv``): one row per record, the columns of results.json."""

from __future__ import annotations

import csv
from dataclasses import fields
from pathlib import Path

from ..records import Record
from .escape import spreadsheet_safe

__all__ = ["write_records_csv"]


def write_records_csv(records: list[Record], path: Path) -> None:
    """Write ``records`` to ``path`` (UTF-8, header row; numbers with full precision, an
    empty cell for a missing value, ``Inf``/``-Inf`` for infinities). A text cell that a
    spreadsheet would run as a formula (starting with ``= + - @``) gets a leading ``'``
    (:func:`~mdsrs_core.report.escape.spreadsheet_safe`); numbers are written as they are."""
    names = [f.name for f in fields(Record)]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for r in records:
            d = r.to_dict()
            writer.writerow(
                [
                    ""
                    if d[k] is None
                    else repr(d[k])
                    if isinstance(d[k], float)
                    else spreadsheet_safe(d[k])
                    for k in names
                ]
            )
