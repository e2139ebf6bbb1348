"""The bad-input corpus: malformed cohorts and study files, each with the exact message.

Every case starts from a copy of the bundled example (patients.csv, adverse_events.csv,
study.toml in a temporary folder ``{d}``) and makes ONE mutation. Each case is checked twice:

* on the command line (``mdsrs run TARGET --out {d}/out``): exit code 2, the output is exactly
  ``"Error: " + message``, no traceback, and no output folder is written;
* in Python (``Study.load(TARGET).cohort()``, ``Cohort.read(TARGET)`` for a data file, or
  ``run(cohort, settings=study.endpoints)`` for endpoint settings): the given
  :class:`MdsrsError` subclass is raised with exactly that message.

``{d}`` in a message stands for the case's folder. Row numbers are spreadsheet rows (the header
is row 1), so row 3 holds the second patient, MDS002. docs/data-problems.md quotes these
messages (``test_docs_quote_only_corpus_messages`` keeps it in step).

Two positive controls (event codes 1/2 and yes/no, declared in the study file) show that a
coding the corpus rejects is accepted once it is declared.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from mdsrs_core import Cohort, run
from mdsrs_core.cli import main
from mdsrs_core.errors import CohortError, FormulaError, MdsrsError, StudyError
from mdsrs_core.study import EXAMPLE_STUDY, Study

EXAMPLE = EXAMPLE_STUDY.parent
DOCS_PAGE = Path(__file__).parent.parent / "docs" / "data-problems.md"
#: The folder the documentation shows in messages that name a path.
DOCS_FOLDER = "/home/me/study"

Mutation = Callable[[Path], Path]


# ----------------------------------------------------------------------------- mutations
# Each returns the target given to `mdsrs run` (the study file unless it says otherwise).


def _patients(d: Path) -> pd.DataFrame:
    return pd.read_csv(d / "patients.csv", dtype=str, keep_default_na=False)


def _ae(d: Path) -> pd.DataFrame:
    return pd.read_csv(d / "adverse_events.csv", dtype=str, keep_default_na=False)


def patients(change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Mutation:
    """Change the patient table (read as text, written back as csv)."""

    def mutate(d: Path) -> Path:
        frame = _patients(d)
        changed = change(frame)
        (frame if changed is None else changed).to_csv(d / "patients.csv", index=False)
        return d / "study.toml"

    return mutate


def cell(column: str, rows: int | list[int], value: str) -> Mutation:
    """Set ``column`` in these spreadsheet rows (header = row 1) of patients.csv."""
    rows = [rows] if isinstance(rows, int) else rows

    def change(frame: pd.DataFrame) -> None:
        for r in rows:
            frame.loc[r - 2, column] = value

    return patients(change)


def every(column: str, func: Callable[[str], str]) -> Mutation:
    """Apply ``func`` to every value of ``column`` of patients.csv."""

    def change(frame: pd.DataFrame) -> None:
        frame[column] = frame[column].map(func)

    return patients(change)


def ae_cell(column: str, row: int, value: str) -> Mutation:
    def mutate(d: Path) -> Path:
        frame = _ae(d)
        frame.loc[row - 2, column] = value
        frame.to_csv(d / "adverse_events.csv", index=False)
        return d / "study.toml"

    return mutate


def ae_drop(column: str) -> Mutation:
    def mutate(d: Path) -> Path:
        _ae(d).drop(columns=[column]).to_csv(d / "adverse_events.csv", index=False)
        return d / "study.toml"

    return mutate


def text(content: str | bytes, name: str = "patients.csv", target: str = "study.toml") -> Mutation:
    """Write ``content`` to the file ``name``."""

    def mutate(d: Path) -> Path:
        if isinstance(content, bytes):
            (d / name).write_bytes(content)
        else:
            (d / name).write_text(content, encoding="utf-8")
        return d / target

    return mutate


def lines(change: Callable[[list[str]], None]) -> Mutation:
    """Edit the lines of patients.csv as text (line 1 is the header)."""

    def mutate(d: Path) -> Path:
        rows = (d / "patients.csv").read_text(encoding="utf-8").split("\n")
        change(rows)
        (d / "patients.csv").write_text("\n".join(rows), encoding="utf-8")
        return d / "study.toml"

    return mutate


def study(old: str, new: str) -> Mutation:
    """Replace ``old`` by ``new`` in study.toml."""

    def mutate(d: Path) -> Path:
        t = (d / "study.toml").read_text(encoding="utf-8")
        assert old in t, old
        (d / "study.toml").write_text(t.replace(old, new), encoding="utf-8")
        return d / "study.toml"

    return mutate


def study_add(extra: str) -> Mutation:
    """Append ``extra`` to study.toml (after its [endpoints.os] table)."""

    def mutate(d: Path) -> Path:
        with open(d / "study.toml", "a", encoding="utf-8") as f:
            f.write(extra)
        return d / "study.toml"

    return mutate


def data_file(name: str) -> Mutation:
    """Point [cohort] data at ``name``."""
    return study('data = "patients.csv"', f'data = "{name}"')


def then(*mutations: Mutation) -> Mutation:
    def mutate(d: Path) -> Path:
        target = d / "study.toml"
        for m in mutations:
            target = m(d)
        return target

    return mutate


def excel(title_row: bool = False, rename: dict[str, str] | None = None) -> Mutation:
    """patients.xlsx (optionally with a title row above the header, or renamed columns)."""

    def mutate(d: Path) -> Path:
        frame = _patients(d)
        if rename:
            frame.columns = [rename.get(c, c) for c in frame.columns]
        with pd.ExcelWriter(d / "patients.xlsx") as xl:
            if title_row:
                pd.DataFrame([["MDS-RS cohort, exported 2024-05-01"]]).to_excel(
                    xl, index=False, header=False
                )
            frame.to_excel(xl, index=False, startrow=1 if title_row else 0)
        return data_file("patients.xlsx")(d)

    return mutate


def as_tsv_with_commas(d: Path) -> Path:
    shutil.copyfile(d / "patients.csv", d / "patients.tsv")
    return d / "patients.tsv"  # run the data file itself


def semicolons(d: Path) -> Path:
    _patients(d).to_csv(d / "patients.csv", sep=";", index=False)
    return d / "study.toml"


def latin1(d: Path) -> Path:
    raw = (d / "patients.csv").read_text(encoding="utf-8").split("\n")
    raw[3] = raw[3].replace("wild-type", "wild-typé")  # row 4, MDS003
    (d / "patients.csv").write_bytes("\n".join(raw).encode("latin-1"))
    return d / "study.toml"


def no_event_or_time(event: str, time: str) -> Mutation:
    """Blank the time of every row whose event is 1."""

    def change(frame: pd.DataFrame) -> None:
        frame.loc[frame[event] == "1", time] = ""

    return patients(change)


# ----------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    id: str
    wrong: str  # what is wrong, in a user's words
    mutation: Mutation
    error: type[MdsrsError]
    message: str  # exact; {d} is the case's folder
    args: tuple[str, ...] = ()  # extra `mdsrs run` options
    python: str = "cohort"  # "cohort": Study.load().cohort() / Cohort.read(); "run"
    cli_message: str | None = None  # when the command line adds the study file's name
    group: str = field(default="")


NOT_IN_DATA = "not in the data"
_TOML = "{d}/study.toml"
_GRAMMAR = (
    "Formulas may use column names (`backquoted` when they are not plain names), numbers, "
    "+ - * : / ** ^, C(), Treatment(), I() with arithmetic or comparisons, log, exp, sqrt "
    "(also np.log-style), Surv() and strata()."
)
_ENDPOINTS = "baseline, response, hematology, ipssr, adverse_events, aml, os"
_CODES_HINT_12 = (
    "must be 0 or 1; 1/2 coding as in R's Surv() (1 = censored, 2 = event) is "
    "accepted only when the study file says so: [codes] death = {1 = 0, 2 = 1}."
)
_SEX_HINT = (
    'if the file codes them otherwise, map its codes in [codes]: sex = { 1 = "M", 2 = "F" }.'
)

_CTCAE = "CTCAE grades are whole numbers from 0 (none) to 5 (death)."


def one(line: str, source: str = "patients.csv") -> str:
    """The message of a table with one problem."""
    return f"{source}: 1 problem in the cohort data:\n  - {line}"


CASES: list[Case] = [
    # ------------------------------------------------------------------- files
    Case(
        "empty-file",
        "the patient file is empty",
        text(""),
        CohortError,
        "{d}/patients.csv: the file is empty.",
        group="files",
    ),
    Case(
        "header-only",
        "a header and no rows",
        text("patient_id,arm,age\n"),
        CohortError,
        "{d}/patients.csv: the file has a header but no data rows.",
        group="files",
    ),
    Case(
        "semicolon-csv",
        "a .csv file separated by semicolons (European Excel)",
        semicolons,
        CohortError,
        "{d}/patients.csv: the header has one column but contains ';': the file seems "
        "semicolon-separated, while a .csv file must be comma-separated.",
        group="files",
    ),
    Case(
        "comma-tsv",
        "a .tsv file separated by commas",
        as_tsv_with_commas,
        CohortError,
        "{d}/patients.tsv: the header has one column but contains ',': the file seems "
        "comma-separated, while a .tsv file must be tab-separated.",
        group="files",
    ),
    Case(
        "not-utf8",
        "saved as Latin-1 ('wild-typé' in row 4)",
        latin1,
        CohortError,
        "{d}/patients.csv: line 4 is not UTF-8 text (byte 0xe9); save the file as UTF-8 (in "
        "Excel: 'CSV UTF-8').",
        group="files",
    ),
    Case(
        "excel-title-row",
        "an Excel sheet with a title row above the header",
        excel(title_row=True),
        CohortError,
        "{d}/patients.xlsx: header columns 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, "
        "17, 18, 19, 20, 21, 22, 23, 24, 25 have no name. If the first row is a title above the "
        "header, delete it so that row 1 holds the column names.",
        group="files",
    ),
    Case(
        "excel-duplicate-column",
        "two Excel columns named hgb_base",
        excel(rename={"hgb_post": "hgb_base"}),
        CohortError,
        "{d}/patients.xlsx: column name 'hgb_base' appears more than once in the header; every "
        "column needs its own name.",
        group="files",
    ),
    Case(
        "csv-duplicate-column",
        "two csv columns named age",
        lines(lambda rows: rows.__setitem__(0, rows[0].replace("ring_sideroblasts_pct", "age"))),
        CohortError,
        "{d}/patients.csv: column name 'age' appears more than once in the header; every column "
        "needs its own name.",
        group="files",
    ),
    Case(
        "extra-field",
        "row 5 has one value too many (an unquoted comma)",
        lines(lambda rows: rows.__setitem__(4, rows[4].replace(",7.6,", ",7,6,", 1))),
        CohortError,
        "{d}/patients.csv: row 5 has 26 fields but the header has 25; a value holds the "
        "separator without quotes (e.g. a decimal comma) or a cell was added. Values would land "
        "in the wrong columns.",
        group="files",
    ),
    Case(
        "missing-field",
        "row 5 was cut after five values",
        lines(lambda rows: rows.__setitem__(4, ",".join(rows[4].split(",")[:5]))),
        CohortError,
        "{d}/patients.csv: row 5 has 5 fields but the header has 25; a value is missing its "
        "separator or the line was cut. Values would land in the wrong columns.",
        group="files",
    ),
    Case(
        "blank-line",
        "an empty line between rows 3 and 4",
        lines(lambda rows: rows.insert(3, "")),
        CohortError,
        "{d}/patients.csv: row 4 is an empty line inside the table; delete it (an empty line "
        "would shift the row numbers of every message below it).",
        group="files",
    ),
    Case(
        "unclosed-quote",
        "a quotation mark opened in row 5 and never closed",
        lines(lambda rows: rows.__setitem__(4, rows[4].replace("MDS004", '"MDS004'))),
        CohortError,
        "{d}/patients.csv: row 5: a quotation mark opens a value that is never closed. A quoted "
        "value must end with a quotation mark, and a quotation mark inside a quoted value is "
        'written twice ("").',
        group="files",
    ),
    Case(
        "missing-data-file",
        "the study file names patient.csv (no s)",
        data_file("patient.csv"),
        CohortError,
        "{d}/patient.csv: no such file. Files with a similar name in {d}: patients.csv.",
        group="files",
    ),
    Case(
        "unsupported-suffix",
        "a .json data file",
        then(text("{}", name="patients.json"), data_file("patients.json")),
        CohortError,
        "{d}/patients.json: cannot read files ending in '.json'; use one of .csv, .parquet, "
        ".tsv, .txt, .xlsx.",
        group="files",
    ),
    Case(
        "missing-ae-file",
        "the adverse-event file named in the study does not exist",
        study('adverse_events = "adverse_events.csv"', 'adverse_events = "ae.csv"'),
        CohortError,
        "{d}/ae.csv: no such file.",
        group="files",
    ),
    # ------------------------------------------------------------------- columns and mapping
    Case(
        "duplicate-id",
        "MDS002 twice (rows 3 and 5)",
        cell("patient_id", 5, "MDS002"),
        CohortError,
        one(
            "column 'patient_id', rows 3, 5 (value 'MDS002'): must be unique: the same patient "
            "id appears more than once."
        ),
        group="columns",
    ),
    Case(
        "missing-id",
        "two rows without a patient id",
        cell("patient_id", [5, 9], ""),
        CohortError,
        one("column 'patient_id', rows 5, 9: must not be empty."),
        group="columns",
    ),
    Case(
        "no-id-column",
        "the id column is called ID and not mapped",
        patients(lambda f: f.rename(columns={"patient_id": "ID"})),
        CohortError,
        one(
            "no patient_id column: map the column that identifies patients with --map "
            'patient_id=COLUMN or [columns] patient_id = "COLUMN".'
        ),
        group="columns",
    ),
    Case(
        "mapped-column-absent",
        "[columns] maps hgb_base to a column HB that does not exist",
        study_add('\n[columns]\nhgb_base = "HB"\n'),
        CohortError,
        "patients.csv: column 'HB' (mapped to hgb_base) is not in the data; close matches: "
        "hgb_post, hgb_base.",
        group="columns",
    ),
    Case(
        "unknown-canonical-variable",
        "[columns] maps 'hgb_bas', not a canonical name",
        study_add('\n[columns]\nhgb_bas = "hgb_base"\n'),
        CohortError,
        "patients.csv: 'hgb_bas' is not a canonical variable; did you mean 'hgb_base'?",
        group="columns",
    ),
    Case(
        "mapped-twice",
        "[columns] maps hgb_base onto hgb_post while hgb_base exists",
        study_add('\n[columns]\nhgb_base = "hgb_post"\n'),
        CohortError,
        "patients.csv: both column 'hgb_base' and column 'hgb_post' (mapped to hgb_base) are "
        "present; rename or drop one.",
        group="columns",
    ),
    # ------------------------------------------------------------------- arms
    Case(
        "arm-one-level",
        "every patient in the thalidomide arm",
        every("arm", lambda v: "thalidomide"),
        CohortError,
        one("column 'arm': has one level ('thalidomide'); mdsrs compares two arms."),
        group="arms",
    ),
    Case(
        "arm-three-levels",
        "a third arm (azacitidine, rows 3 and 4)",
        cell("arm", [3, 4], "azacitidine"),
        CohortError,
        one(
            "column 'arm': has 3 levels: 'azacitidine' (2), 'lenalidomide' (24), 'thalidomide' "
            "(36); mdsrs compares exactly two arms."
        ),
        group="arms",
    ),
    Case(
        "arm-typo",
        "'lenalidomid' in row 5",
        cell("arm", 5, "lenalidomid"),
        CohortError,
        one(
            "column 'arm': has 3 levels: 'lenalidomid' (1), 'lenalidomide' (23), 'thalidomide' "
            "(38); mdsrs compares exactly two arms; 'lenalidomid' looks like a typo of "
            "'lenalidomide' (row 5)."
        ),
        group="arms",
    ),
    Case(
        "arm-case",
        "'Lenalidomide ' (capital, trailing space) in row 5",
        cell("arm", 5, "Lenalidomide "),
        CohortError,
        one(
            "column 'arm': has 3 levels: 'Lenalidomide' (1), 'lenalidomide' (23), 'thalidomide' "
            "(38); mdsrs compares exactly two arms; 'Lenalidomide' differs only in upper/lower "
            "case from 'lenalidomide' (row 5)."
        ),
        group="arms",
    ),
    Case(
        "reference-absent",
        'reference = "Thalidomide" (capital T)',
        study('reference = "thalidomide"', 'reference = "Thalidomide"'),
        CohortError,
        one(
            "column 'arm': the reference level 'Thalidomide' is not among its levels "
            "(lenalidomide, thalidomide); did you mean 'thalidomide'?"
        ),
        group="arms",
    ),
    Case(
        "arm-missing",
        "row 7 has no arm",
        cell("arm", 7, ""),
        CohortError,
        one("column 'arm', row 7: must not be empty: every patient needs an arm."),
        group="arms",
    ),
    Case(
        "arm-column-absent",
        'arm = "group" but the column is called arm',
        study('arm = "arm"', 'arm = "group"'),
        CohortError,
        "patients.csv: column 'group' (mapped to arm) is not in the data.",
        group="arms",
    ),
    # ------------------------------------------------------------------- values
    Case(
        "hgb-g-per-l",
        "hemoglobin in g/L (94 for 9.4 g/dL) in rows 2-4",
        cell("hgb_base", [2, 3, 4], "94"),
        CohortError,
        one(
            "column 'hgb_base', rows 2, 3, 4 (values 94, 94, 94): must be between 2 and 25 "
            "g/dL; values above 25 look like g/L: divide by 10."
        ),
        group="values",
    ),
    Case(
        "hgb-zero",
        "hemoglobin 0 in row 4",
        cell("hgb_post", 4, "0"),
        CohortError,
        one(
            "column 'hgb_post', row 4 (value 0): must be between 2 and 25 g/dL; values below 2 "
            "g/dL are not plausible: check the value and the unit (g/dL)."
        ),
        group="values",
    ),
    Case(
        "plt-per-microlitre",
        "platelets per microlitre (256000) in row 4",
        cell("plt_base", 4, "256000"),
        CohortError,
        one(
            "column 'plt_base', row 4 (value 256000): must be between 0 and 2000 x10^9/L; values "
            "in the thousands look like counts per microlitre: divide by 1000."
        ),
        group="values",
    ),
    Case(
        "anc-per-microlitre",
        "ANC per microlitre (1920) in row 4",
        cell("anc_base", 4, "1920"),
        CohortError,
        one(
            "column 'anc_base', row 4 (value 1920): must be between 0 and 100 x10^9/L; values in "
            "the hundreds or thousands look like counts per microlitre: divide by 1000."
        ),
        group="values",
    ),
    Case(
        "negative-count",
        "platelets -5 in row 4",
        cell("plt_post", 4, "-5"),
        CohortError,
        one(
            "column 'plt_post', row 4 (value -5): must be between 0 and 2000 x10^9/L; counts "
            "cannot be negative."
        ),
        group="values",
    ),
    Case(
        "blasts-over-100",
        "marrow blasts 120% in row 4",
        cell("bm_blast_base", 4, "120"),
        CohortError,
        one(
            "column 'bm_blast_base', row 4 (value 120): must be between 0 and 100 %; blasts are "
            "a percentage from 0 to 100."
        ),
        group="values",
    ),
    Case(
        "age-out-of-range",
        "age 570 (months?) in row 4",
        cell("age", 4, "570"),
        CohortError,
        one(
            "column 'age', row 4 (value 570): must be between 0 and 120 years; age is in years "
            "at treatment start."
        ),
        group="values",
    ),
    Case(
        "decimal-comma",
        "9,4 for 9.4 (quoted) in rows 2 and 3",
        cell("hgb_base", [2, 3], "9,4"),
        CohortError,
        one(
            "column 'hgb_base', rows 2, 3 (values '9,4', '9,4'): must be a number; decimal "
            "commas found: write 1.5, not 1,5 (or export the file with '.' decimals)."
        ),
        group="values",
    ),
    Case(
        "percent-sign",
        "blasts written 12%",
        cell("bm_blast_base", 4, "12%"),
        CohortError,
        one(
            "column 'bm_blast_base', row 4 (value '12%'): must be a number; percent signs "
            "found: write 12, not 12%."
        ),
        group="values",
    ),
    Case(
        "not-a-number",
        "platelets 'n.d.' (not done)",
        cell("plt_base", 4, "n.d."),
        CohortError,
        one("column 'plt_base', row 4 (value 'n.d.'): must be a number; write plain numbers."),
        group="values",
    ),
    Case(
        "letter-o-for-zero",
        "age '7O' (letter O)",
        cell("age", 4, "7O"),
        CohortError,
        one("column 'age', row 4 (value '7O'): must be a number; write plain numbers."),
        group="values",
    ),
    Case(
        "several-problems",
        "sex 'X' in row 4 and decimal commas in rows 2 and 3",
        then(cell("sex", 4, "X"), cell("hgb_base", [2, 3], "9,4")),
        CohortError,
        "patients.csv: 2 problems in the cohort data:\n"
        "  - column 'sex', row 4 (value 'X'): must be one of F, M; " + _SEX_HINT + "\n"
        "  - column 'hgb_base', rows 2, 3 (values '9,4', '9,4'): must be a number; decimal "
        "commas found: write 1.5, not 1,5 (or export the file with '.' decimals).",
        group="values",
    ),
    Case(
        "sex-x",
        "sex 'X'",
        cell("sex", 4, "X"),
        CohortError,
        one("column 'sex', row 4 (value 'X'): must be one of F, M; " + _SEX_HINT),
        group="values",
    ),
    Case(
        "response-cri",
        "response 'CRi' (not an IWG 2006 MDS response)",
        cell("response", 4, "CRi"),
        CohortError,
        one(
            "column 'response', row 4 (value 'CRi'): must be one of CR, PR, mCR, HI, SD, PD; "
            'if the file codes them otherwise, map its codes in [codes]: response = { "CRi" = '
            '"CR", ... }.'
        ),
        group="values",
    ),
    Case(
        "cyto-unknown",
        "cytogenetic group 'complex' (a karyotype, not a risk group)",
        cell("cyto_base", 4, "complex"),
        CohortError,
        one(
            "column 'cyto_base', row 4 (value 'complex'): must be one of very good, good, "
            "intermediate, poor, very poor; if the file codes them otherwise, map its codes in "
            '[codes]: cyto_base = { "complex" = "very good", ... }.'
        ),
        group="values",
    ),
    # ------------------------------------------------------------------- events and times
    Case(
        "negative-time",
        "os_months -3",
        cell("os_months", 4, "-3"),
        CohortError,
        one("column 'os_months', row 4 (value -3): times cannot be negative."),
        group="events",
    ),
    Case(
        "time-too-long",
        "os_months 700 (more than 50 years)",
        cell("os_months", 4, "700"),
        CohortError,
        one(
            "column 'os_months', row 4 (value 700): must be at most 600 months; times are "
            "durations in months, not dates."
        ),
        group="events",
    ),
    Case(
        "event-1-2",
        "death coded 1/2 as in R's Surv()",
        every("death", lambda v: str(int(v) + 1)),
        CohortError,
        one(
            "column 'death', rows 2, 3, 6, 7, 10, 11, 12, 16 and 22 more (value '2'): "
            + _CODES_HINT_12
        ),
        group="events",
    ),
    Case(
        "event-yes-no",
        "death coded yes/no",
        every("death", lambda v: "yes" if v == "1" else "no"),
        CohortError,
        one(
            "column 'death', rows 2, 3, 4, 5, 6, 7, 8, 9 and 54 more (values 'yes', 'no'): "
            "must be 0 or 1; text codes are accepted only when the study file maps them, e.g. "
            "[codes] death = {yes = 1, no = 0}."
        ),
        group="events",
    ),
    Case(
        "event-other-code",
        "death 9 (unknown) in row 4",
        cell("death", 4, "9"),
        CohortError,
        one(
            "column 'death', row 4 (value '9'): must be 0 or 1; code 1 for the event and 0 for "
            "censored, or map the file's codes in the study file's [codes] death."
        ),
        group="events",
    ),
    Case(
        "event-code-not-declared",
        "event_codes = {1 = 0, 2 = 1} but aml is coded 0/1",
        then(
            every("death", lambda v: str(int(v) + 1)),
            study('time_unit = "months"', 'time_unit = "months"\nevent_codes = {1 = 0, 2 = 1}'),
        ),
        CohortError,
        one(
            "column 'aml', rows 2, 3, 4, 5, 6, 7, 8, 9 and 42 more (value '0'): event codes "
            "must be one of 1, 2 (the study file's event_codes)."
        ),
        group="events",
    ),
    Case(
        "death-without-time",
        "death = 0 and os_months empty (row 4)",
        cell("os_months", 4, ""),
        CohortError,
        one(
            "column 'os_months', row 4: death and os_months must be given together: a row has "
            "one without the other."
        ),
        group="events",
    ),
    Case(
        "aml-without-time",
        "aml = 1 and aml_months empty (12 patients)",
        no_event_or_time("aml", "aml_months"),
        CohortError,
        one(
            "column 'aml_months', rows 10, 11, 13, 19, 21, 24, 28, 46 and 4 more: aml and "
            "aml_months must be given together: a row has one without the other."
        ),
        group="events",
    ),
    Case(
        "date-for-duration",
        "a date where os_months belongs",
        cell("os_months", 8, "2014-05-01"),
        CohortError,
        one(
            "column 'os_months', row 8 (value '2014-05-01'): must be a number; dates found where "
            "a duration in months belongs: give the time from treatment start to the event or "
            "last follow-up."
        ),
        group="events",
    ),
    # ------------------------------------------------------------------- adverse events
    Case(
        "ae-max-grade-6",
        "ae_max_grade 6",
        cell("ae_max_grade", 4, "6"),
        CohortError,
        one(f"column 'ae_max_grade', row 4 (value 6): must be between 0 and 5; {_CTCAE}"),
        group="adverse",
    ),
    Case(
        "ae-max-grade-negative",
        "ae_max_grade -1",
        cell("ae_max_grade", 4, "-1"),
        CohortError,
        one(f"column 'ae_max_grade', row 4 (value -1): must be between 0 and 5; {_CTCAE}"),
        group="adverse",
    ),
    Case(
        "ae-max-grade-fraction",
        "ae_max_grade 2.5",
        cell("ae_max_grade", 4, "2.5"),
        CohortError,
        one(f"column 'ae_max_grade', row 4 (value 2.5): must be a whole number; {_CTCAE}"),
        group="adverse",
    ),
    Case(
        "ae-grade-0",
        "an adverse event of grade 0",
        ae_cell("grade", 3, "0"),
        CohortError,
        one(
            "column 'grade', row 3 (value '0'): CTCAE grades of listed events must be whole "
            "numbers from 1 to 5.",
            "adverse_events.csv",
        ),
        group="adverse",
    ),
    Case(
        "ae-grade-6",
        "an adverse event of grade 6",
        ae_cell("grade", 3, "6"),
        CohortError,
        one(
            "column 'grade', row 3 (value '6'): CTCAE grades of listed events must be whole "
            "numbers from 1 to 5.",
            "adverse_events.csv",
        ),
        group="adverse",
    ),
    Case(
        "ae-grade-roman",
        "grade 'III' in roman numerals",
        ae_cell("grade", 3, "III"),
        CohortError,
        one(
            "column 'grade', row 3 (value 'III'): CTCAE grades of listed events must be whole "
            "numbers from 1 to 5.",
            "adverse_events.csv",
        ),
        group="adverse",
    ),
    Case(
        "ae-grade-empty",
        "an adverse event without a grade",
        ae_cell("grade", 3, ""),
        CohortError,
        one(
            "column 'grade', row 3: every adverse event needs a CTCAE grade (1 to 5).",
            "adverse_events.csv",
        ),
        group="adverse",
    ),
    Case(
        "ae-unknown-patient",
        "the AE table names MDS999",
        ae_cell("patient_id", 4, "MDS999"),
        CohortError,
        one(
            "column 'patient_id', row 4 (value 'MDS999'): patients not in patients.csv.",
            "adverse_events.csv",
        ),
        group="adverse",
    ),
    Case(
        "ae-missing-column",
        "the AE table has no grade column",
        ae_drop("grade"),
        CohortError,
        "adverse_events.csv: the adverse-event table needs columns patient_id, term and grade; "
        "missing: grade.",
        group="adverse",
    ),
    Case(
        "ae-empty-term",
        "an adverse event without a term",
        ae_cell("term", 4, ""),
        CohortError,
        one("column 'term', row 4: every adverse event needs a CTCAE term.", "adverse_events.csv"),
        group="adverse",
    ),
    # ------------------------------------------------------------------- study files
    Case(
        "study-missing",
        "the study file does not exist",
        lambda d: d / "stuyd.toml",
        StudyError,
        "{d}/stuyd.toml: no such study file.",
        group="study",
    ),
    Case(
        "study-not-utf8",
        "the study file saved as Latin-1",
        text('[cohort]\ndata = "patiénts.csv"\n'.encode("latin-1"), name="s.toml", target="s.toml"),
        StudyError,
        "{d}/s.toml: the study file is not UTF-8 text.",
        group="study",
    ),
    Case(
        "invalid-toml",
        "reference = thalidomide (no quotes)",
        study('reference = "thalidomide"', "reference = thalidomide"),
        StudyError,
        _TOML + ": not valid TOML: Invalid value (at line 10, column 13).",
        group="study",
    ),
    Case(
        "unknown-table",
        "[column] for [columns]",
        study_add('\n[column]\nhgb_base = "HB"\n'),
        StudyError,
        _TOML + ": unknown table [column]; a study file has [cohort], [columns], [codes], "
        "[analysis], [endpoints.NAME], [labels], [arms], [adjust] and [design].",
        group="study",
    ),
    Case(
        "unknown-cohort-key",
        "refrence = ... (typo)",
        study("reference =", "refrence ="),
        StudyError,
        _TOML + ": unknown key in [cohort]: refrence; known: adverse_events, "
        "adverse_events_complete, arm, data, event_codes, reference, time_unit.",
        group="study",
    ),
    Case(
        "no-data-key",
        "no data = ... under [cohort]",
        study('data = "patients.csv"\n', ""),
        StudyError,
        _TOML + ': [cohort] needs data = "FILE", the patient table.',
        group="study",
    ),
    Case(
        "wrong-type",
        "reference = 1 (a number, not text)",
        study('reference = "thalidomide"', "reference = 1"),
        StudyError,
        _TOML + ": [cohort] reference must be text in quotes, not 1.",
        group="study",
    ),
    Case(
        "wrong-type-bool",
        'adverse_events_complete = "yes"',
        study('time_unit = "months"', 'time_unit = "months"\nadverse_events_complete = "yes"'),
        StudyError,
        _TOML + ": [cohort] adverse_events_complete must be true or false, not 'yes'.",
        group="study",
    ),
    Case(
        "column-not-text",
        "[columns] hgb_base = 3",
        study_add("\n[columns]\nhgb_base = 3\n"),
        StudyError,
        _TOML + ": [columns] hgb_base must name a column as text.",
        group="study",
    ),
    Case(
        "time-unit-unknown",
        'time_unit = "fortnights"',
        study('time_unit = "months"', 'time_unit = "fortnights"'),
        StudyError,
        _TOML + ": [cohort] time_unit must be one of months, days, weeks, years, not 'fortnights'.",
        group="study",
    ),
    Case(
        "event-codes-not-0-1",
        "event_codes = {0 = 0, 1 = 2} (maps to 2)",
        study('time_unit = "months"', 'time_unit = "months"\nevent_codes = {0 = 0, 1 = 2}'),
        StudyError,
        _TOML + ": [cohort] event_codes maps codes to 0 (censored) or 1 (the event), not 1 = 2.",
        group="study",
    ),
    Case(
        "event-codes-text-target",
        'event_codes = {1 = 0, 2 = "dead"}',
        study('time_unit = "months"', 'time_unit = "months"\nevent_codes = {1 = 0, 2 = "dead"}'),
        StudyError,
        _TOML + ": [cohort] event_codes maps codes to 0 (censored) or 1 (the event), not "
        "2 = 'dead'.",
        group="study",
    ),
    Case(
        "event-codes-unknown-column",
        "event_codes = {deth = {1 = 0, 2 = 1}} (typo)",
        study(
            'time_unit = "months"', 'time_unit = "months"\nevent_codes = {deth = {1 = 0, 2 = 1}}'
        ),
        StudyError,
        _TOML + ": [cohort] event_codes names 'deth', which is not an event column; per-column "
        "codes are for aml, death.",
        group="study",
    ),
    Case(
        "event-codes-one-sided",
        "event_codes = {yes = 1, y = 1} (no censored code)",
        study('time_unit = "months"', 'time_unit = "months"\nevent_codes = {yes = 1, y = 1}'),
        StudyError,
        _TOML + ": [cohort] event_codes must map one code to 0 (censored) and one to 1 (the "
        "event); it maps every code to 1.",
        group="study",
    ),
    Case(
        "alpha-out-of-range",
        "alpha = 5 (percent?)",
        study_add("\n[analysis]\nalpha = 5\n"),
        StudyError,
        _TOML + ": [analysis] alpha must be a number between 0 and 1.",
        group="study",
    ),
    Case(
        "unknown-endpoint",
        "[endpoints.qol], no such endpoint",
        study_add("\n[endpoints.qol]\nlandmarks = [12]\n"),
        StudyError,
        f"[endpoints]: unknown endpoint qol; registered: {_ENDPOINTS}.",
        python="run",
        cli_message=_TOML + f": [endpoints]: unknown endpoint qol; registered: {_ENDPOINTS}.",
        group="study",
    ),
    Case(
        "unknown-option",
        "landmark = [...] for landmarks",
        study("landmarks = [12, 36, 60]", "landmark = [12, 36, 60]"),
        StudyError,
        "[endpoints.os]: unknown option landmark; known: formula, formulas, landmarks, "
        "conf_level, ties, risk_table_every, response_landmark, rmst_tau, parametric.",
        python="run",
        cli_message=_TOML + ": [endpoints.os]: unknown option landmark; known: formula, "
        "formulas, landmarks, conf_level, ties, risk_table_every, response_landmark, rmst_tau, "
        "parametric.",
        group="study",
    ),
    Case(
        "option-value-not-allowed",
        'ci_method = "magic" for the response rate',
        study_add('\n[endpoints.response]\nci_method = "magic"\n'),
        StudyError,
        "[endpoints.response] ci_method = 'magic': choose one of clopper-pearson, wilson.",
        args=("--only", "response"),
        python="run",
        cli_message=_TOML + ": [endpoints.response] ci_method = 'magic': choose one of "
        "clopper-pearson, wilson.",
        group="study",
    ),
    Case(
        "formula-for-baseline",
        "a formula for baseline, which takes none",
        study_add('\n[endpoints.baseline]\nformula = "age ~ arm"\n'),
        StudyError,
        "[endpoints.baseline]: endpoint 'baseline' takes no formula.",
        python="run",
        cli_message=_TOML + ": [endpoints.baseline]: endpoint 'baseline' takes no formula.",
        group="study",
    ),
    Case(
        "unknown-formula-key",
        "formulas = {coxx = ...} for os",
        study_add('formulas = {coxx = "Surv(os_months, death) ~ arm"}\n'),
        StudyError,
        "[endpoints.os]: unknown formula key coxx; known: cox.",
        python="run",
        cli_message=_TOML + ": [endpoints.os]: unknown formula key coxx; known: cox.",
        group="study",
    ),
    # ------------------------------------------------------------------- formulas
    Case(
        "formula-syntax",
        "formula ending in '+'",
        study_add('formula = "Surv(os_months, death) ~ arm +"\n'),
        FormulaError,
        "[endpoints.os] formula 'cox': The formula 'Surv(os_months, death) ~ arm +' is refused "
        "before evaluation: it is not a formula (invalid syntax). " + _GRAMMAR,
        args=("--only", "os"),
        python="run",
        group="formulas",
        cli_message=_TOML
        + ": "
        + "[endpoints.os] formula 'cox': The formula 'Surv(os_months, death) ~ arm +' is refused "
        "before evaluation: it is not a formula (invalid syntax). " + _GRAMMAR,
    ),
    Case(
        "formula-unsafe",
        "a formula calling __import__",
        study_add("formula = \"Surv(os_months, death) ~ __import__('os').getcwd()\"\n"),
        FormulaError,
        "[endpoints.os] formula 'cox': The formula \"Surv(os_months, death) ~ "
        "__import__('os').getcwd()\" is refused before evaluation: it calls "
        "__import__('os').getcwd(), which is not allowed in a formula. " + _GRAMMAR,
        args=("--only", "os"),
        python="run",
        group="formulas",
        cli_message=_TOML
        + ": "
        + "[endpoints.os] formula 'cox': The formula \"Surv(os_months, death) ~ "
        "__import__('os').getcwd()\" is refused before evaluation: it calls "
        "__import__('os').getcwd(), which is not allowed in a formula. " + _GRAMMAR,
    ),
    Case(
        "formula-unknown-function",
        "poly(age, 2) (R) in a formula",
        study_add('formula = "Surv(os_months, death) ~ arm + poly(age, 2)"\n'),
        FormulaError,
        "[endpoints.os] formula 'cox': The formula 'Surv(os_months, death) ~ arm + poly(age, 2)' "
        "is refused before evaluation: it calls poly(), which is not allowed in a formula "
        "(write x + I(x ** 2) for a quadratic term). " + _GRAMMAR,
        args=("--only", "os"),
        python="run",
        group="formulas",
        cli_message=_TOML
        + ": "
        + "[endpoints.os] formula 'cox': The formula 'Surv(os_months, death) ~ arm + poly(age, 2)' "
        "is refused before evaluation: it calls poly(), which is not allowed in a formula "
        "(write x + I(x ** 2) for a quadratic term). " + _GRAMMAR,
    ),
    Case(
        "formula-unknown-column",
        "a formula naming ecog, not a column",
        study_add('formula = "Surv(os_months, death) ~ arm + ecog"\n'),
        FormulaError,
        "The formula 'Surv(os_months, death) ~ arm + ecog' names the column 'ecog', which is not "
        "in the data. Columns available: patient_id, arm, treatment_start, age, sex, "
        "ring_sideroblasts_pct, sf3b1, transfusion_dependent, hgb_base, hgb_post, plt_base, "
        "plt_post, anc_base, anc_post, bm_blast_base, bm_blast_post, cyto_base, cyto_post, "
        "response, response_months, ae_max_grade, aml, aml_months, death, os_months, "
        "responder, ipssr_base_score, ipssr_base_category, ipssra_base_score, "
        "ipssra_base_category, .... Write names that are not Python identifiers with backquotes, "
        "e.g. `Age (years)`.",
        args=("--only", "os"),
        python="run",
        group="formulas",
    ),
]

GROUPS = {
    "files": "Files",
    "columns": "Columns and mapping",
    "values": "Values",
    "arms": "Arms",
    "events": "Events and times",
    "adverse": "Adverse events",
    "study": "Study files",
    "formulas": "Formulas",
}


def rendered(message: str, folder: str | Path) -> str:
    return message.replace("{d}", str(folder))


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    d = tmp_path / "study"
    d.mkdir()
    for name in ("patients.csv", "adverse_events.csv", "study.toml"):
        shutil.copyfile(EXAMPLE / name, d / name)
    return d


def _python(case: Case, target: Path) -> None:
    if target.suffix != ".toml":
        Cohort.read(target)
        return
    s = Study.load(target)
    cohort = s.cohort()
    if case.python == "run":
        only = case.args[1] if case.args[:1] == ("--only",) else None
        run(cohort, only=only, settings=s.endpoints, alpha=s.alpha, seed=s.seed)


# ----------------------------------------------------------------------------- tests


def test_corpus_is_large_and_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert {c.group for c in CASES} == set(GROUPS)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_command_line(case: Case, example_copy: Path):
    target = case.mutation(example_copy)
    out = example_copy / "out"
    result = CliRunner().invoke(main, ["run", str(target), "--out", str(out), *case.args])
    expected = rendered(case.cli_message or case.message, example_copy)
    assert "Traceback" not in result.output
    assert result.output == f"Error: {expected}\n"
    assert result.exit_code == 2
    assert not out.exists()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_python(case: Case, example_copy: Path):
    target = case.mutation(example_copy)
    with pytest.raises(MdsrsError) as info:
        _python(case, target)
    assert type(info.value) is case.error
    assert str(info.value) == rendered(case.message, example_copy)


# ----------------------------------------------------------------------------- positive controls


@pytest.mark.parametrize(
    "coding, codes",
    [
        (lambda v: str(int(v) + 1), "{1 = 0, 2 = 1}"),
        (lambda v: "yes" if v == "1" else "no", "{yes = 1, no = 0}"),
        (lambda v: str(int(v) + 1), "{death = {1 = 0, 2 = 1}}"),
        (lambda v: "Dead" if v == "1" else "alive", "{death = {dead = 1, alive = 0}}"),
    ],
)
def test_declared_event_codes_are_accepted(example_copy: Path, coding, codes):
    """The codings the corpus rejects are read correctly once the study file declares them."""
    original = Study.load(example_copy / "study.toml").cohort(derive=False).data["death"]
    per_column = codes.startswith("{death")
    columns = ["death"] if per_column else ["death", "aml"]
    target = patients(lambda f: f.assign(**{c: f[c].map(coding) for c in columns}))(example_copy)
    study('time_unit = "months"', f'time_unit = "months"\nevent_codes = {codes}')(example_copy)
    cohort = Study.load(target).cohort(derive=False)
    assert cohort.data["death"].tolist() == original.tolist()
    assert set(cohort.data["aml"].unique()) == {0.0, 1.0}
    out = example_copy / "out"
    result = CliRunner().invoke(main, ["run", str(target), "--out", str(out), "--only", "os"])
    assert result.exit_code == 0, result.output
    assert (out / "results.json").exists()


def test_time_zero_is_valid(example_copy: Path):
    """A patient censored or dying on day 0 is valid data, as in R's survival (issue 12)."""
    target = cell("os_months", 4, "0")(example_copy)
    cell("aml_months", 4, "0")(example_copy)
    cohort = Study.load(target).cohort(derive=False)
    assert cohort.data.loc[2, ["os_months", "aml_months"]].tolist() == [0.0, 0.0]
    out = example_copy / "out"
    result = CliRunner().invoke(main, ["run", str(target), "--out", str(out), "--only", "os,aml"])
    assert result.exit_code == 0, result.output
    assert (out / "results.json").exists()


def test_aml_after_follow_up_excludes_from_aml_only(example_copy: Path):
    """An AML time after the end of follow-up is the aml endpoint's problem: that patient is
    left out of `aml` with the reason in its flow; the cohort and the other endpoints run."""
    import json

    target = cell("aml_months", 3, "40.5")(example_copy)  # MDS002: os_months 34.12
    out = example_copy / "out"
    result = CliRunner().invoke(main, ["run", str(target), "--out", str(out), "--only", "os,aml"])
    assert result.exit_code == 0, result.output
    records = json.loads((out / "results.json").read_text())
    flow = {
        (r["endpoint"], r["stat"], r.get("level")): r["value"]
        for r in records
        if r["variable"] == "flow"
    }
    assert flow[("aml", "n_analysed", None)] == 61
    assert flow[("os", "n_analysed", None)] == 62
    excluded = [
        r
        for r in records
        if r["endpoint"] == "aml" and r["variable"] == "flow" and r["stat"] == "n_excluded"
    ]
    assert [r["level"] for r in excluded if r["value"]] == [
        "aml_months > os_months (AML after the last follow-up)"
    ]


def test_unmutated_copy_is_valid(example_copy: Path):
    """The corpus' starting point passes, so each case's error comes from its one mutation."""
    cohort = Study.load(example_copy / "study.toml").cohort()
    assert cohort.n == 62


# ----------------------------------------------------------------------------- the docs page


def _quoted_messages(page: str) -> list[str]:
    return [block.rstrip("\n") for block in re.findall(r"```text\n(.*?)```", page, flags=re.S)]


def test_docs_quote_only_corpus_messages():
    """Every ```text block of docs/data-problems.md is a message the corpus expects."""
    from test_robustness_corpus import CASES as ROBUSTNESS

    known = set()
    for case in [*CASES, *ROBUSTNESS]:
        known.add(rendered(case.message, DOCS_FOLDER))
        if case.cli_message:
            known.add(rendered(case.cli_message, DOCS_FOLDER))
    quoted = _quoted_messages(DOCS_PAGE.read_text(encoding="utf-8"))
    assert len(quoted) >= 40
    stale = [q for q in quoted if q not in known]
    assert not stale, "messages in docs/data-problems.md that mdsrs does not give:\n" + "\n\n".join(
        stale
    )


def test_docs_cover_every_group():
    page = DOCS_PAGE.read_text(encoding="utf-8")
    for title in [*GROUPS.values(), "Outputs"]:
        assert f"\n## {title}\n" in page, title
