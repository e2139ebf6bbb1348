"""Reading cohort and adverse-event tables from csv, tsv, xlsx or parquet files.

Values are read as text (csv/tsv) so that parsing, with its clear messages, happens in one
place (:mod:`mdsrs_core.validation`). Files that cannot be read give a :class:`CohortError`
naming the file and what is wrong with it.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd

from .errors import CohortError
from .inputs import check_regular_file

__all__ = ["read_table", "SUFFIXES"]

SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".xlsx": "xlsx", ".parquet": "parquet"}


def read_table(path: str | Path, *, typed: bool = False) -> pd.DataFrame:
    """Read a table file into a DataFrame of text columns (parquet keeps its types).

    ``typed=True`` lets pandas infer number columns (for ``mdsrs fit`` on any table).
    """
    path = Path(path)
    if not path.exists():
        hint = ""
        if path.parent.is_dir():
            import difflib

            names = sorted(p.name for p in path.parent.iterdir() if p.is_file())
            close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.75)
            if close:
                hint = f" Files with a similar name in {path.parent}: {', '.join(close)}."
        raise CohortError(f"{path}: no such file.{hint}")
    check_regular_file(path, "table file")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(SUFFIXES))
        raise CohortError(
            f"{path}: cannot read files ending in '{path.suffix}'; use one of {known}."
        )
    if kind in ("csv", "tsv"):
        frame = _read_text(path, "," if kind == "csv" else "\t", typed)
    elif kind == "xlsx":
        frame = _read_excel(path, typed)
    else:
        frame = _read_parquet(path)
    if frame.shape[0] == 0:
        raise CohortError(f"{path}: the file has a header but no data rows.")
    return frame


def _read_text(path: Path, sep: str, typed: bool = False) -> pd.DataFrame:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CohortError(
            f"{path}: line {line} is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file "
            "as UTF-8 (in Excel: 'CSV UTF-8')."
        ) from None
    if not text.strip():
        raise CohortError(f"{path}: the file is empty.")
    records = _records(path, text, sep)
    header = records[0]
    if len(header) == 1:
        for other, name in ((";", "semicolon"), ("\t", "tab"), (",", "comma")):
            if other != sep and other in header[0]:
                want = "comma" if sep == "," else "tab"
                raise CohortError(
                    f"{path}: the header has one column but contains '{other}': the file seems "
                    f"{name}-separated, while a {path.suffix} file must be {want}-separated."
                )
    _check_header(path, header)
    _check_records(path, records)
    from io import StringIO

    try:
        return pd.read_csv(
            StringIO(text),
            sep=sep,
            dtype=None if typed else str,
            keep_default_na=False,
            na_values=["", "NA", "N/A", "NaN", "nan", "."],
            skipinitialspace=True,
        )
    except Exception as exc:  # pandas' tokenizer: a case the checks above did not foresee
        raise CohortError(
            f"{path}: cannot be read as a {path.suffix} table ({exc}).".replace("\n", " ")
        ) from None


def _records(path: Path, text: str, sep: str) -> list[list[str]]:
    """Every record of a delimited text as the csv module splits it (quotes respected)."""
    from io import StringIO

    reader = csv.reader(StringIO(text), delimiter=sep, strict=True, skipinitialspace=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as exc:
        what = (
            "a quotation mark opens a value that is never closed"
            if "end of data" in str(exc)
            else f"the quoting is broken ({exc})"
        )
        raise CohortError(
            f"{path}: row {len(records) + 1}: {what}. A quoted value must end with a quotation "
            'mark, and a quotation mark inside a quoted value is written twice ("").'
        ) from None
    return records


def _check_records(path: Path, records: list[list[str]]) -> None:
    """Every row has as many fields as the header and no row is blank (rows are numbered as a
    spreadsheet numbers them: the header is row 1)."""
    while records and not any(field.strip() for field in records[-1]):
        records = records[:-1]  # blank lines at the end are harmless
    width = len(records[0])
    for number, record in enumerate(records[1:], start=2):
        if not record:
            raise CohortError(
                f"{path}: row {number} is an empty line inside the table; delete it (an empty "
                "line would shift the row numbers of every message below it)."
            )
        if len(record) != width:
            more = len(record) > width
            why = (
                "a value holds the separator without quotes (e.g. a decimal comma) or a cell "
                "was added"
                if more
                else "a value is missing its separator or the line was cut"
            )
            raise CohortError(
                f"{path}: row {number} has {len(record)} fields but the header has {width}; "
                f"{why}. Values would land in the wrong columns."
            )


def _check_header(path: Path, header: list) -> None:
    names = [str(h).strip() for h in header]
    dupes = [name for name, k in Counter(names).items() if k > 1 and name]
    if dupes:
        names_text = ", ".join(repr(d) for d in dupes)
        verb = "appear" if len(dupes) > 1 else "appears"
        raise CohortError(
            f"{path}: column name{'s' if len(dupes) > 1 else ''} {names_text} "
            f"{verb} more than once in the header; every column needs its own "
            "name."
        )
    blank = [i + 1 for i, name in enumerate(names) if not name or name.startswith("Unnamed:")]
    if blank and len(blank) < len(names):
        raise CohortError(
            f"{path}: header column{'s' if len(blank) > 1 else ''} "
            f"{', '.join(map(str, blank))} {'have' if len(blank) > 1 else 'has'} no name. If the "
            "first row is a title above the header, delete it so that row 1 holds the column "
            "names."
        )


def _numeric_or_unchanged(column: pd.Series) -> pd.Series:
    """The column as numbers when every value converts, else unchanged (what pandas'
    deprecated ``to_numeric(errors="ignore")`` did)."""
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def _read_excel(path: Path, typed: bool = False) -> pd.DataFrame:
    try:
        # header=None: pandas would silently rename a repeated column name ("age.1")
        raw = pd.read_excel(
            path,
            header=None,
            dtype=None if typed else str,
            keep_default_na=False,
            na_values=["", "NA", "N/A"],
        )
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise CohortError(f"{path}: cannot be read as an Excel workbook ({exc}).") from None
    if raw.empty:
        raise CohortError(f"{path}: the workbook's first sheet is empty.")
    header = ["" if pd.isna(h) else str(h) for h in raw.iloc[0]]
    _check_header(path, header)
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = header
    if typed:
        frame = frame.apply(lambda col: _numeric_or_unchanged(col) if col.dtype == object else col)
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise CohortError(
            f"{path}: reading parquet needs pyarrow: pip install 'mdsrs[parquet]'."
        ) from None
    except Exception as exc:
        raise CohortError(f"{path}: cannot be read as a parquet file ({exc}).") from None
