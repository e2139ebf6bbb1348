"""Reading cohort and adverse-event tables from csv, tsv, xlsx or parquet files.

Values are read as text (csv/tsv) so that parsing, with its clear messages, happens in one
place (:mod:`mdsrs_core.validation`). Files that cannot be read give a :class:`CohortError`
naming the file and what is wrong with it.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import CohortError
from .inputs import check_regular_file

__all__ = ["read_table", "read_typed", "SUFFIXES"]

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
    if typed:  # R's read.csv types: numbers, TRUE/FALSE as logical (mdsrs_core.coltypes)
        from .coltypes import restore_types

        frame = restore_types(frame, skip=())
    return frame


def read_typed(path: str | Path, text_columns: set[str]) -> pd.DataFrame | None:
    """A large, plain csv/tsv file read in one pass of pandas' C parser with its number
    columns already numbers (the fast path of :meth:`mdsrs_core.cohort.Cohort.read`), or
    ``None`` when the file needs the careful reader (:func:`read_table`).

    The careful reader keeps every cell as text (a 10^6-row file becomes 25 million Python
    strings, ~10x the file in memory) and parses numbers afterwards. This one returns the
    same frame *as the cohort sees it after parsing*: a column every non-missing cell of
    which the C parser reads as a number is ``float64`` (``int64`` when all are whole, none
    is missing and all are below 2^53: R's ``type.convert``, as
    :func:`mdsrs_core.coltypes.as_number_column` gives), with the values ``pd.to_numeric``
    gives for the text (both use pandas' ``precise_xstrtod``); every other column, and the
    ``text_columns`` (ids, arms, categories, events, coded columns: those whose text the
    cohort parses itself), are text exactly as :func:`read_table` reads them.

    Used only when nothing in the file needs the careful reader's checks or tidying: the
    file is UTF-8 with a header of more than one column, has no quotation mark, carriage
    return or NUL byte, no value ends with a space, and every line has the header's number
    of fields. Anything else returns ``None`` and the careful reader reads the file (and
    names what is wrong with it).
    """
    import numpy as np

    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind not in ("csv", "tsv") or not path.is_file():
        return None
    sep = "," if kind == "csv" else "\t"
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return None
    if any(b in raw for b in (b'"', b"\r", b"\x00")) or not raw.strip():
        return None
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    spaces = (b" ", b"\t") if sep != "\t" else (b" ",)
    ends = (sep.encode(), b"\n")
    if any(c + e in raw for c in spaces for e in ends) or raw.endswith(spaces):
        return None  # a padded value: the careful reader strips it
    newline = raw.find(b"\n")
    header = [h.strip() for h in raw[: newline if newline >= 0 else len(raw)].decode().split(sep)]
    if len(header) < 2 or len(set(header)) != len(header) or not all(header):
        return None
    if any(h.startswith("Unnamed:") for h in header):
        return None
    if not _fields_match(raw, ord(sep), len(header)):
        return None
    del raw
    na = list(TEXT_NA)
    names = pd.read_csv(path, sep=sep, nrows=0, skipinitialspace=True).columns
    dtype: dict[Any, Any] = {name: str for name in names if str(name).strip() in text_columns}
    # read by chunks of rows, each column's pieces joined once all are read: memory of the
    # frame plus one chunk (the C parser reading the whole file at once holds each column
    # twice, as its internal chunks and joined)
    pieces: list[list[np.ndarray]] = []
    columns: list[str] = []
    try:
        with pd.read_csv(
            path,
            sep=sep,
            dtype=dtype,
            keep_default_na=False,
            na_values=na,
            skipinitialspace=True,
            chunksize=_CHUNK_ROWS,
        ) as reader:
            for chunk in reader:
                if not columns:
                    columns = [str(c).strip() for c in chunk.columns]
                    pieces = [[] for _ in columns]
                for i in range(chunk.shape[1]):
                    pieces[i].append(chunk.iloc[:, i].to_numpy().copy())
                del chunk
    except Exception:  # noqa: BLE001 - the careful reader reports it
        return None
    if not columns or sum(len(part) for part in pieces[0]) == 0:
        return None  # a header without rows: the careful reader says so
    data: dict[str, np.ndarray] = {}
    for i, name in enumerate(columns):
        column = _joined(pieces[i])
        pieces[i] = []
        if column is None:
            return None
        data[name] = column
    # one block per column, as read: DataFrame(data) would stack same-typed columns into
    # one 2-D block (a copy of them all), and parsing replaces the columns one by one
    frame = pd.concat(
        {name: pd.Series(v, copy=False) for name, v in data.items()}, axis=1, copy=False
    )
    return frame


#: rows per chunk of :func:`read_typed`
_CHUNK_ROWS = 100_000


def _joined(parts: list) -> Any:
    """One column of :func:`read_typed` from its chunks' arrays, as the cohort's parsing of
    its text would give it; ``None`` when the careful reader must read the file."""
    import numpy as np

    kinds = {p.dtype.kind for p in parts}
    if "O" in kinds:
        # text; a chunk without a value reads as NaN floats, which text reads as missing
        if kinds - {"O", "f"} or any(p.dtype.kind == "f" and not np.isnan(p).all() for p in parts):
            return None
        parts = [p if p.dtype.kind == "O" else np.full(len(p), np.nan, dtype=object) for p in parts]
        column = np.concatenate(parts)
        # text only (a chunk read as numbers beside one read as text would mix them)
        if pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
            return None
        return column
    if not kinds <= {"i", "f"}:
        return None  # e.g. TRUE/FALSE read as bool: the careful reader spells them
    numbers = np.concatenate([p.astype("float64", copy=False) for p in parts])
    if np.isnan(numbers).all():
        return np.full(len(numbers), np.nan, dtype=object)  # no value: text, as read as text
    big = bool(np.abs(numbers[~np.isnan(numbers)]).max(initial=0) >= 2**53)
    if big and kinds != {"i"}:
        return None  # integers past 2^53 beside decimals: digits the text would round
    whole = kinds == {"i"} or (not np.isnan(numbers).any() and bool((numbers % 1 == 0).all()))
    return numbers.astype("int64") if whole and not big else numbers


def _fields_match(raw: bytes, sep: int, width: int, block: int = 1 << 22) -> bool:
    """Whether every line of ``raw`` (a text without quotes) holds ``width`` fields, i.e.
    ``width - 1`` separators; counted block by block (whole lines), in memory of a block."""
    import numpy as np

    data = np.frombuffer(raw, dtype=np.uint8)
    start, n = 0, len(raw)
    while start < n:
        stop = -1 if start + block >= n else raw.find(b"\n", start + block)
        stop = n if stop < 0 else stop + 1
        chunk = data[start:stop]
        # separators before each line's end, from a running count at the newlines
        seen = np.cumsum(chunk == sep, dtype=np.int32)
        ends = np.flatnonzero(chunk == 10)
        if chunk[-1] != 10:
            ends = np.append(ends, len(chunk) - 1)  # the last line has no newline
        per_line = np.diff(seen[ends], prepend=0)
        if (per_line != width - 1).any():
            return False
        start = stop
    return True


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
    text = _unix_newlines(text)
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
    _check_nul(path, text, records)
    from io import StringIO

    try:
        frame = pd.read_csv(
            StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=list(TEXT_NA),
            skipinitialspace=True,
        )
    except Exception as exc:  # pandas' tokenizer: a case the checks above did not foresee
        raise CohortError(
            f"{path}: cannot be read as a {path.suffix} table ({exc}).".replace("\n", " ")
        ) from None
    # values are stripped only when a space ends one (leading ones pandas skips already)
    space = "[ \t]" if sep != "\t" else " "
    padded = re.search(rf"{space}+(?:{re.escape(sep)}|\n|$)", text) is not None
    frame = _tidy_cells(frame, TEXT_NA, values=padded)
    if typed:
        frame = frame.apply(lambda col: _numeric_or_unchanged(col) if col.dtype == object else col)
    return frame


#: Cells of a csv/tsv file that mean a missing value (once surrounding spaces are removed).
TEXT_NA = ("", "NA", "N/A", "NaN", "nan", ".")
#: The same for an Excel sheet.
EXCEL_NA = ("", "NA", "N/A")


def _unix_newlines(text: str) -> str:
    """CR LF (Windows) and a lone CR (old Excel for Mac) become LF, so that every line ending
    reads as pandas reads it (the csv module, which checks the rows, splits at LF only)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _tidy_cells(frame: pd.DataFrame, na: tuple[str, ...], values: bool = True) -> pd.DataFrame:
    """Header names and text cells without the spaces around them (SAS pads values to the
    column's width: ``"hgb_base "``, ``"NA "``), and missing-value markers as missing, so that
    a padded name or marker reads as the unpadded one (the duplicate-header check strips
    names too)."""
    frame.columns = [str(c).strip() for c in frame.columns]
    if not values:
        return frame
    markers = set(na)
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if column.dtype != object:
            continue
        stripped = column.map(lambda v: v.strip() if isinstance(v, str) else v)
        frame.isetitem(i, stripped.mask(stripped.isin(markers)).to_numpy(dtype=object))
    return frame


def _check_nul(path: Path, text: str, records: list[list[str]]) -> None:
    """A NUL byte inside a value (left by a database or a broken export) is refused with the
    cell named: pandas would read ``"12\0.5"`` as the number 12."""
    if "\x00" not in text:
        return
    header = records[0]
    for number, record in enumerate(records, start=1):
        for k, value in enumerate(record):
            if "\x00" in value:
                name = header[k].strip() if k < len(header) else str(k + 1)
                shown = value.replace("\x00", "\\0")
                where = "the header" if number == 1 else f"row {number}, column '{name}'"
                raise CohortError(
                    f"{path}: {where}: the value '{shown}' holds a NUL byte (\\0), which "
                    "would cut it short (a number would be read as its first digits); remove "
                    "the byte and export the table again."
                )


def _records(path: Path, text: str, sep: str) -> list[list[str]]:
    """Every record of a delimited text as the csv module splits it (quotes respected)."""
    from io import StringIO

    reader = csv.reader(StringIO(text), delimiter=sep, strict=True, skipinitialspace=True)
    records: list[list[str]] = []
    # a text cell may be as long as pandas reads it (the csv module stops at 131,072)
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
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
    finally:
        csv.field_size_limit(limit)
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
            na_values=list(EXCEL_NA),
        )
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise CohortError(f"{path}: cannot be read as an Excel workbook ({exc}).") from None
    if raw.empty:
        raise CohortError(f"{path}: the workbook's first sheet is empty.")
    header = ["" if pd.isna(h) else str(h) for h in raw.iloc[0]]
    _check_header(path, header)
    _check_excel_cells(path, [h.strip() for h in header])
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = header
    frame = _tidy_cells(frame, EXCEL_NA)
    if typed:
        frame = frame.apply(lambda col: _numeric_or_unchanged(col) if col.dtype == object else col)
    return frame


def _check_excel_cells(path: Path, header: list[str]) -> None:
    """Error cells (``#DIV/0!``, ``#VALUE!``, ``#N/A``...) and formula cells without a stored
    value (a workbook written by a program and never opened in Excel) are refused with the
    cells named: pandas reads both as values (the error's text, or missing)."""
    import openpyxl  # pandas' xlsx reader, so installed
    from openpyxl.utils import get_column_letter

    def cells(data_only: bool) -> list[tuple[str, int, int, Any]]:
        book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
        try:
            sheet = book.worksheets[0]
            kind = "e" if data_only else "f"
            return [
                (cell.coordinate, cell.row, cell.column, cell.value)
                for row in sheet.iter_rows()
                for cell in row
                if getattr(cell, "data_type", None) == kind
            ]
        finally:
            book.close()

    def name(column: int) -> str:
        return header[column - 1] if 0 < column <= len(header) else get_column_letter(column)

    def listed(found: list) -> str:
        shown = [f"{c} (column '{name(col)}'): {value}" for c, _, col, value in found[:8]]
        more = f" and {len(found) - 8} more" if len(found) > 8 else ""
        return "; ".join(shown) + more

    if not _may_hold_errors_or_formulas(path):
        return  # the usual case, decided in milliseconds without parsing the cells
    try:
        errors = cells(data_only=True)
        formulas = cells(data_only=False)
    except Exception:  # damaged workbooks are reported by pandas' reader
        return
    if errors:
        raise CohortError(
            f"{path}: {len(errors)} cell{'s' if len(errors) > 1 else ''} of the first sheet "
            f"hold{'' if len(errors) > 1 else 's'} an Excel error instead of a value: "
            f"{listed(errors)}. Correct the formula or type the value (leave the cell empty for "
            "a missing value); an error is not read as missing."
        )
    if formulas:
        values = {c: v for c, _, _, v in _cached_values(path, {c for c, *_ in formulas})}
        unset = [f for f in formulas if values.get(f[0]) is None]
        if unset:
            raise CohortError(
                f"{path}: {len(unset)} formula cell{'s' if len(unset) > 1 else ''} of the "
                f"first sheet {'have' if len(unset) > 1 else 'has'} no stored value (the "
                f"workbook was written by a program and never calculated): {listed(unset)}. "
                "Open and save it in Excel or LibreOffice, or export the values."
            )


def _may_hold_errors_or_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook has an error cell (``t="e"``) or a formula
    (``<f>``), from its XML text: parsing every cell (twice) costs more than reading the
    sheet, so it is done only when this says it may find something."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            for name in book.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    xml = book.read(name)
                    if b't="e"' in xml or b"<f>" in xml or b"<f " in xml or b"<x:f" in xml:
                        return True
    except (OSError, zipfile.BadZipFile):
        return False  # pandas' reader reports a damaged workbook
    return False


def _cached_values(path: Path, coordinates: set[str]) -> list[tuple[str, None, None, Any]]:
    """The values Excel stored for these cells of the first sheet (None where none)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [
            (cell.coordinate, None, None, cell.value)
            for row in sheet.iter_rows()
            for cell in row
            if getattr(cell, "coordinate", None) in coordinates
        ]
    finally:
        book.close()


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise CohortError(
            f"{path}: reading parquet needs pyarrow: pip install 'mdsrs[parquet]'."
        ) from None
    except Exception as exc:
        raise CohortError(f"{path}: cannot be read as a parquet file ({exc}).") from None
