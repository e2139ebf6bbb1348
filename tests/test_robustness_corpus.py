"""The robustness corpus (issue 13): outputs that would destroy inputs, files that are not
files, unbounded formulas and options, study files of the wrong shape, values read wrongly,
and outputs that are unsafe to open.

Like tests/test_bad_input_corpus.py, every case starts from a copy of the bundled example
(patients.csv, adverse_events.csv, study.toml in a temporary folder ``{d}``) and changes one
thing. Each case is checked twice, on the command line (``mdsrs ARGS``: the exit code, the
exact message, no traceback) and through the Python API (the same error type and message, or
for exit code 1 the same outcome), and both times every file of the folder that existed
before is checked to be byte-for-byte unchanged afterwards. docs/data-problems.md quotes
these messages too (tests/test_bad_input_corpus.py checks every quoted message).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mdsrs_core import Cohort
from mdsrs_core.cli import main
from mdsrs_core.errors import CohortError, MdsrsError, StudyError
from mdsrs_core.runner import RunResult
from mdsrs_core.study import EXAMPLE_STUDY, Study

EXAMPLE = EXAMPLE_STUDY.parent

Setup = Callable[[Path], list[str]]
Api = Callable[[Path], Any]


# ----------------------------------------------------------------------------- helpers


def edit_study(d: Path, old: str, new: str) -> None:
    text = (d / "study.toml").read_text(encoding="utf-8")
    assert old in text, old
    (d / "study.toml").write_text(text.replace(old, new), encoding="utf-8")


def write_report_of(data: Path, out: Path, formats: list[str], **kwargs: Any) -> Any:
    """The Python API's ``write_report`` for a cohort read from ``data`` (no endpoint run)."""
    from mdsrs_core.report.write import write_report

    return write_report(RunResult(Cohort.read(data, **kwargs)), out, formats)


def load_study(d: Path, name: str = "study.toml") -> Any:
    return Study.load(d / name).cohort()


def check_out(out: str, inputs: dict, names: list[str] | None = None) -> None:
    """What ``mdsrs run --out`` checks before any endpoint runs (Python)."""
    from mdsrs_core.outputs import check_output_dir

    check_output_dir(
        out, names or ["results.json", "report.html", "report.md", "report_files"], inputs
    )


# ----------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    id: str
    wrong: str
    setup: Setup  # prepares {d}; returns the arguments of `mdsrs`
    python: Api  # the same through the Python API
    error: type[MdsrsError] | None  # what the Python API raises (None: it does not)
    message: str  # exact; {d} is the case's folder
    cli_message: str | None = None  # when the command line words it differently
    exit_code: int = 2
    group: str = ""


def _results_csv_is_data(d: Path) -> list[str]:
    shutil.copyfile(d / "patients.csv", d / "results.csv")
    return ["run", str(d / "results.csv"), "--out", str(d), "--format", "csv"]


def _ae_in_out(d: Path) -> list[str]:
    (d / "report").mkdir()
    shutil.move(d / "adverse_events.csv", d / "report" / "results.csv")
    edit_study(d, 'adverse_events = "adverse_events.csv"', 'adverse_events = "report/results.csv"')
    return ["run", str(d / "study.toml"), "--out", str(d / "report"), "--format", "html,csv"]


def _linked_output(d: Path) -> list[str]:
    (d / "out").mkdir()
    os.symlink(d / "patients.csv", d / "out" / "results.json")
    return ["run", str(d / "study.toml"), "--out", str(d / "out")]


def _hard_linked_output(d: Path) -> list[str]:
    (d / "out").mkdir()
    os.link(d / "patients.csv", d / "out" / "results.csv")
    return ["run", str(d / "study.toml"), "--out", str(d / "out"), "--format", "csv"]


def _data_in_figures_folder(d: Path) -> list[str]:
    (d / "out" / "report_files").mkdir(parents=True)
    shutil.move(d / "patients.csv", d / "out" / "report_files" / "patients.csv")
    edit_study(d, 'data = "patients.csv"', 'data = "out/report_files/patients.csv"')
    return ["run", str(d / "study.toml"), "--out", str(d / "out"), "--format", "md"]


def _fifo(d: Path, name: str) -> Path:
    os.mkfifo(d / name)
    return d / name


def _run(d: Path, *extra: str) -> list[str]:
    return ["run", str(d / "study.toml"), "--out", str(d / "out"), *extra]


CASES: list[Case] = [
    # ------------------------------------------------------------------- outputs
    Case(
        "out-overwrites-data",
        "the data file is results.csv and the output folder is its folder",
        _results_csv_is_data,
        lambda d: write_report_of(d / "results.csv", d, ["csv"]),
        StudyError,
        "{d}: writing results.csv there would overwrite the data file {d}/results.csv; choose "
        "another output folder (mdsrs never writes over its inputs).",
        cli_message="--out {d}: writing results.csv there would overwrite the data file "
        "{d}/results.csv; choose another output folder (mdsrs never writes over its inputs).",
        group="outputs",
    ),
    Case(
        "out-overwrites-adverse-events",
        "the adverse-event file is report/results.csv and --out is report",
        _ae_in_out,
        lambda d: check_out(
            str(d / "report"),
            {"adverse-event file": d / "report" / "results.csv"},
            ["results.json", "results.csv"],
        ),
        StudyError,
        "--out {d}/report: writing results.csv there would overwrite the adverse-event file "
        "{d}/report/results.csv; choose another output folder (mdsrs never writes over its "
        "inputs).",
        group="outputs",
    ),
    Case(
        "out-is-the-study-file",
        "--out names the study file",
        lambda d: ["run", str(d / "study.toml"), "--out", str(d / "study.toml")],
        lambda d: check_out(str(d / "study.toml"), {"study file": d / "study.toml"}),
        StudyError,
        "--out {d}/study.toml: is an existing file, not a folder; give a folder (new or "
        "existing) for the outputs.",
        group="outputs",
    ),
    Case(
        "out-under-a-file",
        "--out is a folder inside a file (patients.csv/report)",
        lambda d: ["run", str(d / "study.toml"), "--out", str(d / "patients.csv" / "report")],
        lambda d: check_out(str(d / "patients.csv" / "report"), {}),
        StudyError,
        "--out {d}/patients.csv/report: the output folder cannot be used: {d}/patients.csv is a "
        "file, not a folder.",
        group="outputs",
    ),
    Case(
        "out-symlink-to-data",
        "results.json in the output folder is a symbolic link to the data file",
        _linked_output,
        lambda d: write_report_of(d / "patients.csv", d / "out", ["json"]),
        StudyError,
        "{d}/out: writing results.json there would overwrite the data file {d}/patients.csv; "
        "choose another output folder (mdsrs never writes over its inputs).",
        cli_message="--out {d}/out: writing results.json there would overwrite the data file "
        "{d}/patients.csv; choose another output folder (mdsrs never writes over its inputs).",
        group="outputs",
    ),
    Case(
        "out-hard-link-to-data",
        "results.csv in the output folder is a hard link to the data file",
        _hard_linked_output,
        lambda d: write_report_of(d / "patients.csv", d / "out", ["csv"]),
        StudyError,
        "{d}/out: writing results.csv there would overwrite the data file {d}/patients.csv; "
        "choose another output folder (mdsrs never writes over its inputs).",
        cli_message="--out {d}/out: writing results.csv there would overwrite the data file "
        "{d}/patients.csv; choose another output folder (mdsrs never writes over its inputs).",
        group="outputs",
    ),
    Case(
        "out-figures-folder-holds-data",
        "the data file is inside report_files/, the folder of the Markdown figures",
        _data_in_figures_folder,
        lambda d: write_report_of(d / "out" / "report_files" / "patients.csv", d / "out", ["md"]),
        StudyError,
        "{d}/out: writing report_files there would overwrite the data file "
        "{d}/out/report_files/patients.csv; choose another output folder (mdsrs never writes "
        "over its inputs).",
        cli_message="--out {d}/out: writing report_files there would overwrite the data file "
        "{d}/out/report_files/patients.csv; choose another output folder (mdsrs never writes "
        "over its inputs).",
        group="outputs",
    ),
    Case(
        "ipssr-out-is-data",
        "mdsrs ipssr patients.csv -o patients.csv",
        lambda d: ["ipssr", str(d / "patients.csv"), "-o", str(d / "patients.csv")],
        lambda d: __import__("mdsrs_core.outputs").outputs.check_output_file(
            d / "patients.csv", {"data file": d / "patients.csv"}
        ),
        StudyError,
        "-o {d}/patients.csv: would overwrite the data file {d}/patients.csv; choose another "
        "file name (mdsrs never writes over its inputs).",
        group="outputs",
    ),
    Case(
        "ipssr-out-is-folder",
        "mdsrs ipssr -o names a folder",
        lambda d: (
            (d / "scored.csv").mkdir()
            or ["ipssr", str(d / "patients.csv"), "-o", str(d / "scored.csv")]
        ),
        lambda d: __import__("mdsrs_core.outputs").outputs.check_output_file(d / "scored.csv"),
        StudyError,
        "-o {d}/scored.csv: is a folder; give the name of a file to write.",
        group="outputs",
    ),
    Case(
        "example-over-own-files",
        "mdsrs example --out a folder holding another patients.csv",
        lambda d: (
            (d / "patients.csv").write_text("patient_id,arm\nP1,a\n")
            and [
                "example",
                "--out",
                str(d),
            ]
        ),
        None,  # type: ignore[arg-type]  # command-line only
        None,
        "",
        cli_message="--out {d}: patients.csv already exists there and differs from the "
        "example's; choose another folder (mdsrs example never overwrites your files).",
        group="outputs",
    ),
    # ------------------------------------------------------------------- only regular files
    Case(
        "data-is-dev-zero",
        'data = "/dev/zero" (grew memory until the machine ran out)',
        lambda d: edit_study(d, 'data = "patients.csv"', 'data = "/dev/zero"') or _run(d),
        load_study,
        CohortError,
        "/dev/zero: is a character device, not a regular file; the table file must be a file on "
        "disk (mdsrs reads only regular files, so that reading cannot hang or fill the memory).",
        group="files",
    ),
    Case(
        "data-is-symlink-to-dev-zero",
        "patients.csv is a symbolic link to /dev/zero",
        lambda d: (
            (d / "patients.csv").unlink() or os.symlink("/dev/zero", d / "patients.csv") or _run(d)
        ),
        load_study,
        CohortError,
        "{d}/patients.csv: is a symbolic link to /dev/zero, which is a character device, not a "
        "regular file; the table file must be a file on disk (mdsrs reads only regular files, "
        "so that reading cannot hang or fill the memory).",
        group="files",
    ),
    Case(
        "data-is-fifo",
        "the data file is a named pipe (it waited for ever)",
        lambda d: ["run", str(_fifo(d, "pipe.csv")), "--out", str(d / "out")],
        lambda d: Cohort.read(d / "pipe.csv"),
        CohortError,
        "{d}/pipe.csv: is a named pipe (FIFO), not a regular file; the table file must be a "
        "file on disk (mdsrs reads only regular files, so that reading cannot hang or fill the "
        "memory).",
        group="files",
    ),
    Case(
        "data-is-folder",
        "the data file given is a folder",
        lambda d: ["run", str(d), "--out", str(d / "out")],
        lambda d: Cohort.read(d),
        CohortError,
        "{d}: is a folder, not a file; give the table file itself.",
        group="files",
    ),
    Case(
        "adverse-events-is-fifo",
        "the adverse-event file is a named pipe",
        lambda d: (d / "adverse_events.csv").unlink() or _fifo(d, "adverse_events.csv") and _run(d),
        load_study,
        CohortError,
        "{d}/adverse_events.csv: is a named pipe (FIFO), not a regular file; the table file must "
        "be a file on disk (mdsrs reads only regular files, so that reading cannot hang or fill "
        "the memory).",
        group="files",
    ),
    Case(
        "study-is-folder",
        "the study file is a folder named study2.toml",
        lambda d: (
            (d / "study2.toml").mkdir() or ["run", str(d / "study2.toml"), "--out", str(d / "out")]
        ),
        lambda d: load_study(d, "study2.toml"),
        StudyError,
        "{d}/study2.toml: is a folder, not a file; give the study file itself.",
        group="files",
    ),
    Case(
        "study-is-symlink-to-fifo",
        "the study file is a symbolic link to a named pipe",
        lambda d: (
            os.symlink(_fifo(d, "pipe"), d / "study2.toml")
            or ["run", str(d / "study2.toml"), "--out", str(d / "out")]
        ),
        lambda d: load_study(d, "study2.toml"),
        StudyError,
        "{d}/study2.toml: is a symbolic link to {d}/pipe, which is a named pipe (FIFO), not a "
        "regular file; the study file must be a file on disk (mdsrs reads only regular files, "
        "so that reading cannot hang or fill the memory).",
        group="files",
    ),
    Case(
        "long-labs-is-dev-zero",
        '[endpoints.hematology] long_labs = "/dev/zero"',
        lambda d: (
            (d / "study.toml")
            .open("a")
            .write('\n[endpoints.hematology]\nlong_labs = "/dev/zero"\n')
            and _run(d, "--only", "hematology")
        ),
        lambda d: __import__("mdsrs_core").run(
            load_study(d), only="hematology", settings=Study.load(d / "study.toml").endpoints
        ),
        CohortError,
        "/dev/zero: is a character device, not a regular file; the table file must be a file on "
        "disk (mdsrs reads only regular files, so that reading cannot hang or fill the memory).",
        group="files",
    ),
]


_GRAMMAR = (
    "Formulas may use column names (`backquoted` when they are not plain names), numbers, "
    "+ - * : / ** ^, C(), Treatment(), I() with arithmetic or comparisons, log, exp, sqrt "
    "(also np.log-style), Surv() and strata()."
)
_OS = "Surv(os_months, death) ~ "


def _formula_case(id: str, wrong: str, rhs: str, why: str, shown: str | None = None) -> Case:
    formula = _OS + rhs
    quoted = repr(shown or formula)
    message = (
        f"[endpoints.os] formula 'cox': The formula {quoted} is refused before evaluation: "
        f"{why}. {_GRAMMAR}"
    )
    return Case(
        id,
        wrong,
        lambda d: _run(d, "--only", "os", "--formula", f"os={formula}"),
        lambda d: __import__("mdsrs_core").run(
            load_study(d), only="os", settings={"os": {"formula": formula}}
        ),
        __import__("mdsrs_core.errors").errors.FormulaError,
        message,
        group="formulas",
    )


def _study_option(d: Path, line: str, *extra: str) -> list[str]:
    with (d / "study.toml").open("a", encoding="utf-8") as f:
        f.write(line + "\n")
    return _run(d, *extra)


def _run_study(d: Path, only: str = "os") -> Any:
    s = Study.load(d / "study.toml")
    return __import__("mdsrs_core").run(s.cohort(), only=only, settings=s.endpoints)


_TOWER = "arm + I(age + 9 ** 9 ** 9)"
_PRODUCT = "arm * age * sex * hgb_base * plt_base * anc_base * bm_blast_base * hgb_post * plt_post"
_DEEP = "arm + " + "log(" * 25 + "age" + ")" * 25

CASES += [
    # ------------------------------------------------------------------- bounded formulas
    _formula_case(
        "formula-power-tower",
        "a power tower in I() (Python's exact integers: it never returned)",
        _TOWER,
        "the exponent in '9 ** 9 ** 9' is not a number: powers take a number from -10 to 10 "
        "(or a column) as exponent, so that no power tower such as 9 ** 9 ** 9 is computed",
    ),
    _formula_case(
        "formula-huge-literal",
        "a 30-digit number in a formula",
        "arm + I(age + 123456789012345678901234567890)",
        "the number 12345678901234567890... has more than 15 digits, more than a measurement holds",
    ),
    _formula_case(
        "formula-too-many-terms",
        "nine variables multiplied (511 terms once expanded)",
        _PRODUCT,
        "it has 511 model terms once its products are expanded (a * b * c is 7 terms), more "
        "than the limit of 500",
    ),
    _formula_case(
        "formula-deep-nesting",
        "log() nested 25 deep",
        _DEEP,
        "its brackets are nested 25 deep, more than the limit of 20",
    ),
    Case(
        "fit-formula-power-tower",
        "mdsrs fit lm with a power tower",
        lambda d: ["fit", "lm", "hgb_post ~ I(age + 9 ** 9 ** 9)", str(d / "patients.csv")],
        lambda d: __import__("mdsrs_core.models").models.lm(
            "hgb_post ~ I(age + 9 ** 9 ** 9)", data=load_study(d).data
        ),
        __import__("mdsrs_core.errors").errors.FormulaError,
        "The formula 'hgb_post ~ I(age + 9 ** 9 ** 9)' is refused before evaluation: the "
        "exponent in '9 ** 9 ** 9' is not a number: powers take a number from -10 to 10 (or a "
        "column) as exponent, so that no power tower such as 9 ** 9 ** 9 is computed. " + _GRAMMAR,
        group="formulas",
    ),
    # ------------------------------------------------------------------- bounded options
    Case(
        "option-risk-table-every-tiny",
        "risk_table_every = 0.00001 (built a 17-million-column table)",
        lambda d: _study_option(d, "risk_table_every = 0.00001", "--only", "os"),
        _run_study,
        StudyError,
        "[endpoints.os]: option risk_table_every must be a number from 0.5 to 1200 months, not "
        "1e-05.",
        cli_message="{d}/study.toml: [endpoints.os]: option risk_table_every must be a number "
        "from 0.5 to 1200 months, not 1e-05.",
        group="options",
    ),
    Case(
        "option-landmark-nan",
        "landmarks = [12, nan] (TOML allows nan and inf)",
        lambda d: (
            edit_study(d, "landmarks = [12, 36, 60]", "landmarks = [12, nan]")
            or _run(d, "--only", "os")
        ),
        _run_study,
        StudyError,
        "[endpoints.os]: option landmarks must list values each a number from 0 to 1200 months, "
        "not nan.",
        cli_message="{d}/study.toml: [endpoints.os]: option landmarks must list values each a "
        "number from 0 to 1200 months, not nan.",
        group="options",
    ),
    Case(
        "option-conf-level-percent",
        "conf_level = 95 (a percentage)",
        lambda d: _study_option(d, "conf_level = 95", "--only", "os"),
        _run_study,
        StudyError,
        "[endpoints.os]: option conf_level must be a number between 0 and 1 (both excluded), "
        "not 95.",
        cli_message="{d}/study.toml: [endpoints.os]: option conf_level must be a number between "
        "0 and 1 (both excluded), not 95.",
        group="options",
    ),
    Case(
        "analysis-timeout-huge",
        "[analysis] timeout = 1e300 (overflowed the waiting call)",
        lambda d: _study_option(d, "[analysis]\ntimeout = 1e300"),
        load_study,
        StudyError,
        "{d}/study.toml: [analysis] timeout must be a number above 0 to 1000000 seconds, not "
        "1e+300.",
        group="options",
    ),
    Case(
        "analysis-seed-negative",
        "[analysis] seed = -5",
        lambda d: _study_option(d, "[analysis]\nseed = -5"),
        load_study,
        StudyError,
        "{d}/study.toml: [analysis] seed must be a whole number from 0 to 4294967295, not -5.",
        group="options",
    ),
    Case(
        "run-timeout-negative",
        "run(..., timeout=-1) in Python (--timeout -1 is a usage error)",
        lambda d: _run(d, "--timeout", "-1"),
        lambda d: __import__("mdsrs_core").run(load_study(d), timeout=-1),
        StudyError,
        "run(): timeout must be a number above 0 to 1000000 seconds, not -1.",
        cli_message="Usage: main run [OPTIONS] [TARGET]\nTry 'main run --help' for help.\n\n"
        "Error: Invalid value for '--timeout': -1.0 is not in the range 0<x<=1000000.0.",
        group="options",
    ),
]


def _study_text(text: str) -> Setup:
    """Replace study.toml by ``text`` (the example's data and adverse events)."""

    def setup(d: Path) -> list[str]:
        (d / "study.toml").write_text(text, encoding="utf-8")
        return _run(d)

    return setup


_DATA = 'data = "patients.csv"\n'
_DEEP_LIST = "[" * 12 + "]" * 12
_VERY_DEEP_LIST = "[" * 3000 + "]" * 3000


def _shape_case(id: str, wrong: str, text: str, message: str) -> Case:
    return Case(
        id,
        wrong,
        _study_text(text),
        load_study,
        StudyError,
        "{d}/study.toml: " + message,
        group="study",
    )


CASES += [
    # ------------------------------------------------------------------- study-file shape
    _shape_case(
        "study-cohort-as-text",
        'cohort = "patients.csv" instead of a [cohort] table',
        'cohort = "patients.csv"\n',
        "[cohort] must be a table (a [cohort] header followed by key = value lines), not text "
        "('patients.csv').",
    ),
    _shape_case(
        "study-cohort-array-of-tables",
        "[[cohort]] (an array of tables) instead of [cohort]",
        "[[cohort]]\n" + _DATA,
        "[cohort] must be a table (a [cohort] header followed by key = value lines), not an "
        "array of tables ([[cohort]] with double brackets).",
    ),
    _shape_case(
        "study-columns-as-list",
        'columns = ["hgb_base"], a list',
        'columns = ["hgb_base"]\n[cohort]\n' + _DATA,
        '[columns] must be a table (a [columns] header followed by canonical_variable = "your '
        'column" lines), not a list.',
    ),
    _shape_case(
        "study-analysis-as-number",
        "analysis = 5, a number",
        "analysis = 5\n[cohort]\n" + _DATA,
        "[analysis] must be a table (a [analysis] header followed by key = value lines), not a "
        "number (5).",
    ),
    _shape_case(
        "study-endpoint-as-text",
        'os = "fast" under [endpoints]',
        "[cohort]\n" + _DATA + '[endpoints]\nos = "fast"\n',
        "[endpoints.os] must be a table of settings.",
    ),
    _shape_case(
        "study-data-as-list",
        'data = ["patients.csv"], a list',
        '[cohort]\ndata = ["patients.csv"]\n',
        "[cohort] data must be text in quotes, not a list.",
    ),
    _shape_case(
        "study-arm-as-table",
        'arm = {name = "arm"}, a table',
        "[cohort]\n" + _DATA + 'arm = {name = "arm"}\n',
        "[cohort] arm must be text in quotes, not a table.",
    ),
    _shape_case(
        "study-nested-deep",
        "a list nested 12 deep",
        "[cohort]\n" + _DATA + "[endpoints.os]\nlandmarks = " + _DEEP_LIST + "\n",
        "tables and lists are nested more than 8 levels deep; a study file needs at most 3 "
        '(e.g. [endpoints.os] formulas = {cox = "..."}).',
    ),
    _shape_case(
        "study-nested-very-deep",
        "a list nested 3,000 deep (Python's TOML reader ran out of stack)",
        "[cohort]\n" + _DATA + "[endpoints.os]\nlandmarks = " + _VERY_DEEP_LIST + "\n",
        "not valid TOML for a study file: tables or lists are nested too deeply to be read "
        "(more than 8 levels are refused).",
    ),
    Case(
        "study-formulas-as-number",
        "formulas = 5 under [endpoints.os]",
        lambda d: _study_option(d, "formulas = 5", "--only", "os"),
        _run_study,
        StudyError,
        '[endpoints.os]: formulas must be a table of formulas such as {cox = "Surv(os_months, '
        'death) ~ arm"}, not a number (5).',
        cli_message="{d}/study.toml: [endpoints.os]: formulas must be a table of formulas such "
        'as {cox = "Surv(os_months, death) ~ arm"}, not a number (5).',
        group="study",
    ),
    Case(
        "study-formula-as-list",
        'formulas = {cox = ["..."]}: a formula in a list',
        lambda d: _study_option(
            d, 'formulas = {cox = ["Surv(os_months, death) ~ arm"]}', "--only", "os"
        ),
        _run_study,
        StudyError,
        "[endpoints.os]: formulas cox must be text in quotes, not a list.",
        cli_message="{d}/study.toml: [endpoints.os]: formulas cox must be text in quotes, not a "
        "list.",
        group="study",
    ),
]


def _lines(d: Path, change: Callable[[list[str]], None], name: str = "patients.csv") -> None:
    rows = (d / name).read_text(encoding="utf-8").split("\n")
    change(rows)
    (d / name).write_text("\n".join(rows), encoding="utf-8")


def _nul_in_number(d: Path) -> list[str]:
    _lines(d, lambda rows: rows.__setitem__(2, rows[2].replace(",7.", ",7\x00.", 1)))
    return _run(d)


def _excel(d: Path, change: Callable[[Any], None]) -> list[str]:
    """patients.xlsx (written by openpyxl, as a program writes it: formulas get no stored
    value) with ``change(sheet)`` applied; the study file points at it."""
    import openpyxl
    import pandas as pd

    frame = pd.read_csv(d / "patients.csv", dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    change(sheet)
    book.save(d / "patients.xlsx")
    edit_study(d, 'data = "patients.csv"', 'data = "patients.xlsx"')
    return _run(d)


def _set(cell: str, value: Any) -> Callable[[Any], None]:
    def change(sheet: Any) -> None:
        sheet[cell] = value
        if isinstance(value, str) and value.startswith("#"):
            sheet[cell].data_type = "e"

    return change


def _shared_column(d: Path) -> list[str]:
    edit_study(d, "[labels]", '[columns]\nhgb_base = "HB"\nhgb_post = "HB"\n\n[labels]')
    _lines(
        d,
        lambda rows: rows.__setitem__(
            0, rows[0].replace("hgb_base", "HB", 1).replace("hgb_post", "hgb_post_raw", 1)
        ),
    )
    return _run(d)


CASES += [
    # ------------------------------------------------------------------- values read wrongly
    Case(
        "value-nul-byte",
        "a NUL byte inside a number (was read as the number before it)",
        _nul_in_number,
        load_study,
        CohortError,
        "{d}/patients.csv: row 3, column 'hgb_base': the value '7\\0.8' holds a NUL byte (\\0), "
        "which would cut it short (a number would be read as its first digits); remove the "
        "byte and export the table again.",
        group="values",
    ),
    Case(
        "excel-formula-without-value",
        "an xlsx formula cell that was never calculated (was read as missing)",
        lambda d: _excel(d, _set("I3", "=H3*10")),
        load_study,
        CohortError,
        "{d}/patients.xlsx: 1 formula cell of the first sheet has no stored value (the workbook "
        "was written by a program and never calculated): I3 (column 'hgb_base'): =H3*10. Open "
        "and save it in Excel or LibreOffice, or export the values.",
        group="values",
    ),
    Case(
        "excel-error-cell",
        "xlsx cells holding #DIV/0! and #VALUE! (were read as text)",
        lambda d: _excel(d, lambda s: (_set("I3", "#DIV/0!")(s), _set("K5", "#VALUE!")(s))),
        load_study,
        CohortError,
        "{d}/patients.xlsx: 2 cells of the first sheet hold an Excel error instead of a value: "
        "I3 (column 'hgb_base'): #DIV/0!; K5 (column 'plt_base'): #VALUE!. Correct the formula "
        "or type the value (leave the cell empty for a missing value); an error is not read as "
        "missing.",
        group="values",
    ),
    Case(
        "one-column-two-variables",
        "hgb_base and hgb_post both mapped to the column HB",
        _shared_column,
        load_study,
        CohortError,
        "patients.csv: column 'HB' is mapped to hgb_base and hgb_post: one column cannot hold 2 "
        "different variables (only times, or event indicators from a coded status column, may "
        "share one); map each to its own column.",
        group="columns",
    ),
]


def _original(d: Path) -> Any:
    return Study.load(d / "study.toml").cohort(derive=False).data


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda d: _lines(d, lambda r: r.__setitem__(0, r[0].replace("hgb_base", "hgb_base  "))),
            id="header-padded",
        ),
        pytest.param(
            lambda d: (d / "patients.csv").write_bytes(
                (d / "patients.csv").read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r")
            ),
            id="cr-only-line-endings",
        ),
        pytest.param(
            lambda d: (d / "patients.csv").write_bytes(
                (d / "patients.csv").read_bytes().replace(b"\n", b"\r\n")
            ),
            id="crlf-line-endings",
        ),
    ],
)
def test_values_read_as_their_unpadded_selves(example_copy: Path, change):
    """A padded header (SAS), old-Mac line endings and Windows line endings read as the
    original file does: every value the same."""
    expected = _original(example_copy)
    change(example_copy)
    got = _original(example_copy)
    pd = __import__("pandas")
    pd.testing.assert_frame_equal(got, expected)


def test_padded_missing_value_markers_are_missing(example_copy: Path):
    """ "NA " (SAS pads values to the column's width) is missing, as "NA" is."""
    pd = __import__("pandas")
    frame = pd.read_csv(example_copy / "patients.csv", dtype=str, keep_default_na=False)
    frame.loc[[0, 1], "hgb_post"] = ["NA   ", "  NA"]
    frame.to_csv(example_copy / "patients.csv", index=False)
    data = _original(example_copy)
    assert data["hgb_post"].isna().tolist()[:3] == [True, True, False]
    assert data["hgb_post"].dtype.kind == "f"


def test_a_text_cell_over_131072_characters_is_read(example_copy: Path):
    """The csv module's default field limit (131,072 characters) does not apply: a long
    free-text cell reads as pandas reads it, not as "the quoting is broken"."""
    pd = __import__("pandas")
    frame = pd.read_csv(example_copy / "patients.csv", dtype=str, keep_default_na=False)
    frame["comment"] = ""
    frame.loc[0, "comment"] = "x" * 200_000
    frame.to_csv(example_copy / "patients.csv", index=False)
    from mdsrs_core.io import read_table

    assert read_table(example_copy / "patients.csv")["comment"].str.len().iloc[0] == 200_000


def test_adverse_event_terms_differing_in_case_or_spacing_are_one_term(example_copy: Path):
    pd = __import__("pandas")
    ae = pd.read_csv(example_copy / "adverse_events.csv", dtype=str)
    rows = ae.index[ae["term"] == "Febrile neutropenia"].tolist() or ae.index[:0].tolist()
    term = "Febrile neutropenia" if rows else ae["term"].value_counts().index[0]
    rows = ae.index[ae["term"] == term].tolist()
    n = len(rows)
    ae.loc[rows[0], "term"] = term.upper()
    ae.loc[rows[1], "term"] = "  " + term.lower().replace(" ", "   ") + " "
    ae.to_csv(example_copy / "adverse_events.csv", index=False)
    cohort = load_study(example_copy)
    assert (cohort.adverse_events["term"] == term).sum() == n
    spelled = repr(" ".join(term.lower().split("   ")))
    note = [x for x in cohort.notes if "differ only in case or spacing" in x]
    assert note and f"'{term}' (also written " in note[0]
    assert repr(term.upper()) in note[0]
    del spelled


def test_a_byte_order_mark_is_accepted_in_a_study_file(example_copy: Path):
    """Notepad and Excel save UTF-8 with a byte-order mark; TOML readers refuse it, mdsrs
    reads it as it reads data files."""
    text = (example_copy / "study.toml").read_text(encoding="utf-8")
    (example_copy / "study.toml").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert Study.load(example_copy / "study.toml").reference == "thalidomide"
    result = CliRunner().invoke(main, _run(example_copy, "--only", "response"))
    assert result.exit_code == 0, result.output
    assert (example_copy / "out" / "results.json").is_file()


# ----------------------------------------------------------------------------- machinery


def rendered(message: str, folder: str | Path) -> str:
    return message.replace("{d}", str(folder))


def snapshot(d: Path) -> dict[str, Any]:
    """Every entry under ``d``: a regular file by its content's hash, anything else (a pipe,
    a link to a device) by its kind; never read from a special file."""
    out: dict[str, Any] = {}
    for path in sorted(d.rglob("*")):
        mode = path.lstat().st_mode
        if stat.S_ISREG(mode):
            out[str(path.relative_to(d))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif stat.S_ISLNK(mode):
            out[str(path.relative_to(d))] = ("link", os.readlink(path))
        elif not stat.S_ISDIR(mode):
            out[str(path.relative_to(d))] = ("special", stat.S_IFMT(mode))
    return out


def unchanged(before: dict[str, Any], d: Path) -> list[str]:
    after = snapshot(d)
    return [name for name, value in before.items() if after.get(name) != value]


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    d = tmp_path / "study"
    d.mkdir()
    for name in ("patients.csv", "adverse_events.csv", "study.toml"):
        shutil.copyfile(EXAMPLE / name, d / name)
    return d


def test_corpus_ids_are_unique_and_grouped():
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids)
    assert all(c.group for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_command_line(case: Case, example_copy: Path):
    args = case.setup(example_copy)
    before = snapshot(example_copy)
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output
    if case.exit_code == 2:
        expected = rendered(case.cli_message or case.message, example_copy)
        usage = expected.startswith("Usage: ")  # click's own message for a usage error
        assert result.output == (f"{expected}\n" if usage else f"Error: {expected}\n")
    else:
        assert rendered(case.cli_message or case.message, example_copy) in result.output
    assert result.exit_code == case.exit_code, result.output
    assert not unchanged(before, example_copy)
    leftovers = [p for p in example_copy.rglob(".mdsrs-tmp-*")]
    assert not leftovers


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.python is not None], ids=[c.id for c in CASES if c.python]
)
def test_python(case: Case, example_copy: Path):
    case.setup(example_copy)
    before = snapshot(example_copy)
    if case.error is None:
        case.python(example_copy)
    else:
        with pytest.raises(MdsrsError) as info:
            case.python(example_copy)
        assert type(info.value) is case.error
        assert str(info.value) == rendered(case.message, example_copy)
    assert not unchanged(before, example_copy)


# ----------------------------------------------------------------------------- writing outputs


def test_a_format_that_cannot_be_written_makes_the_exit_code_1(example_copy: Path):
    """report.docx exists as a folder: the other formats are written, the folder is left as it
    is, and the exit code says that something is missing."""
    out = example_copy / "out"
    (out / "report.docx").mkdir(parents=True)
    (out / "report.docx" / "keep.txt").write_text("mine")
    result = CliRunner().invoke(
        main, _run(example_copy, "--only", "response", "--format", "docx,md")
    )
    assert result.exit_code == 1, result.output
    assert "Could not write report.docx: IsADirectoryError: " in result.output
    assert "is a folder, not a file; it was left as it is" in result.output
    assert (out / "report.docx" / "keep.txt").read_text() == "mine"
    assert (out / "report.md").is_file() and (out / "results.json").is_file()
    assert not list(out.rglob(".mdsrs-tmp-*"))

    from mdsrs_core import run
    from mdsrs_core.report.write import write_report

    written = write_report(run(load_study(example_copy), only="response"), out, ["docx"])
    assert [(w.format, w.error is None) for w in written] == [("json", True), ("docx", False)]


def test_an_interrupted_write_leaves_the_previous_file_whole(example_copy: Path):
    """A renderer interrupted half-way (Ctrl-C) leaves the report of the previous run as it
    was, and no temporary file."""
    from mdsrs_core import hookimpl
    from mdsrs_core.plugins import Registry
    from mdsrs_core.report.write import write_report

    class Interrupted:
        @hookimpl
        def mdsrs_register_renderers(self, register):
            def half(document, path):
                path.write_text("<html><body>half a rep")
                raise KeyboardInterrupt

            register("half", ".html", half, stem="report")

    out = example_copy / "out"
    out.mkdir()
    (out / "report.html").write_text("the complete report of yesterday")
    registry = Registry()
    registry.register(Interrupted())
    with pytest.raises(KeyboardInterrupt):
        write_report(RunResult(load_study(example_copy)), out, ["half"], registry=registry)
    assert (out / "report.html").read_text() == "the complete report of yesterday"
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json"]


SLOW_PLUGIN = """
import os, sys, time
from mdsrs_core import hookimpl
from mdsrs_core.cli import main
from mdsrs_core.endpoint import Endpoint, EndpointResult
from mdsrs_core.plugins import get_registry

class Sleepy(Endpoint):
    name = "sleepy"
    title = "Sleepy"
    requires = ("arm",)

    def analyze(self, cohort, config):
        with open(sys.argv[1], "w") as f:
            f.write(str(os.getpid()))
        {body}
        return EndpointResult(self.name)

class Plugin:
    @hookimpl
    def mdsrs_register_endpoints(self, register):
        register(Sleepy())

get_registry().register(Plugin())
main(sys.argv[2:])
"""


def _slow_run(tmp: Path, body: str, *args: str):
    import subprocess
    import sys

    script = tmp / "slow.py"
    script.write_text(SLOW_PLUGIN.replace("{body}", body))
    marker = tmp / "worker.pid"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(marker), "run", "--out", str(tmp / "out"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, marker


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text()


def _wait_for(path: Path, seconds: float = 120) -> None:
    import time

    end = time.monotonic() + seconds
    while not path.exists() or not path.read_text():
        assert time.monotonic() < end, "the endpoint never started"
        time.sleep(0.05)


@pytest.mark.skipif(not __import__("mdsrs_core.runner").runner.can_fork(), reason="no fork")
def test_ctrl_c_exits_130_with_one_line_and_stops_the_worker(tmp_path: Path):
    import signal

    proc, marker = _slow_run(tmp_path, "time.sleep(300)", "--only", "sleepy")
    _wait_for(marker)
    worker = int(marker.read_text())
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr == "Interrupted: stopped before the end; no file was left half-written.\n"
    assert "Traceback" not in stdout + stderr
    assert not _alive(worker)
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not __import__("mdsrs_core.runner").runner.can_fork(), reason="no fork")
def test_timeout_really_stops_a_runaway_endpoint(tmp_path: Path):
    """An endpoint stuck in one Python operation (9 ** 9 ** 9 never returns to the
    interpreter, so no thread or signal can stop it) is ended at the time limit; the run
    goes on and reports it failed."""
    import json
    import time

    start = time.monotonic()
    proc, marker = _slow_run(
        tmp_path, "x = 9 ** 9 ** 9", "--only", "sleepy,response", "--timeout", "3"
    )
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 1, stderr
    worker = int(marker.read_text())
    assert not _alive(worker)
    assert time.monotonic() - start < 200
    records = json.loads((tmp_path / "out" / "results.json").read_text())
    status = {r["endpoint"]: (r["value"], r["label"]) for r in records if r["stat"] == "status"}
    assert status["sleepy"] == (
        "failed",
        "EndpointTimeout: did not finish within the time limit of 3 s",
    )
    assert "Endpoint 'sleepy' failed: EndpointTimeout" in stderr


def test_every_case_is_on_the_data_problems_page():
    page = (Path(__file__).parent.parent / "docs" / "data-problems.md").read_text(encoding="utf-8")
    missing = [c.id for c in CASES if f"(`{c.id}`)" not in page]
    assert not missing


# ----------------------------------------------------------------------------- safe outputs

HOSTILE_ARM = "len<script>alert(1)</script>\x1b[31m\x0b*x*"
FORMULA_ID = '=HYPERLINK("http://evil.example","x")'


def _hostile(d: Path, arm: str = HOSTILE_ARM) -> None:
    """The lenalidomide arm renamed ``arm`` and patient MDS001 renamed to a formula."""
    import pandas as pd

    frame = pd.read_csv(d / "patients.csv", dtype=str, keep_default_na=False)
    frame["arm"] = frame["arm"].replace({"lenalidomide": arm})
    frame.loc[frame["patient_id"] == "MDS001", "patient_id"] = FORMULA_ID
    frame.to_csv(d / "patients.csv", index=False)
    ae = pd.read_csv(d / "adverse_events.csv", dtype=str, keep_default_na=False)
    ae.loc[ae["patient_id"] == "MDS001", "patient_id"] = FORMULA_ID
    ae.to_csv(d / "adverse_events.csv", index=False)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> tuple[Path, Any, dict]:
    """One run of the example with a hostile arm name, every format, through the CLI."""
    d = tmp_path_factory.mktemp("hostile") / "study"
    d.mkdir()
    for name in ("patients.csv", "adverse_events.csv", "study.toml"):
        shutil.copyfile(EXAMPLE / name, d / name)
    _hostile(d)
    before = snapshot(d)
    result = CliRunner().invoke(
        main, _run(d, "--only", "response,adverse_events", "--format", "html,md,docx,csv")
    )
    return d, result, before


def test_hostile_text_run_succeeds_and_changes_no_input(hostile_run):
    d, result, before = hostile_run
    assert result.exit_code == 0, result.output
    assert not unchanged(before, d)


def test_markdown_escapes_html_and_markup_from_the_data(hostile_run):
    d, _, _ = hostile_run
    md = (d / "out" / "report.md").read_text(encoding="utf-8")
    assert "len\\<script>alert(1)\\</script>" in md
    assert not re.search(r"(?<!\\)<script", md)
    assert "\\*x\\*" in md and "\x1b" not in md and "\x0b" not in md
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<em>x</em>" not in html


def test_markdown_indentation_survives_rendering(tmp_path: Path):
    """Indented rows (levels under a variable in Table 1) are indented with &nbsp; entities,
    which CommonMark renderers keep (U+00A0 characters some renderers trim)."""
    from mdsrs_core.report.document import Document, Section, Table
    from mdsrs_core.report.markdown import markdown_text

    doc = Document("t")
    doc.add(Section("s", [Table("T", ["", "n"], [["Sex", ""], ["F", "3"]], indent=[0, 1])]))
    md = markdown_text(doc)
    assert "| &nbsp;&nbsp;&nbsp;&nbsp;F | 3 |" in md
    markdown_it = pytest.importorskip("markdown_it")
    assert "<td>\u00a0\u00a0\u00a0\u00a0F</td>" in markdown_it.MarkdownIt("commonmark").enable(
        "table"
    ).render(md)


def test_terminal_output_has_no_control_characters(hostile_run):
    _, result, _ = hostile_run
    assert "\x1b" not in result.output and "\x0b" not in result.output
    assert "len<script>alert(1)</script>\\x1b[31m" in result.output


def test_word_report_written_despite_characters_xml_forbids(hostile_run):
    import zipfile

    d, _, _ = hostile_run
    with zipfile.ZipFile(d / "out" / "report.docx") as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "len&lt;script&gt;alert(1)&lt;/script&gt;\ufffd[31m\ufffd*x*" in xml


def test_results_csv_neutralises_formulas_and_keeps_numbers(tmp_path: Path):
    """Through the CLI and through write_report: an arm named like a formula is written with
    a leading apostrophe; negative numbers stay numbers."""
    import csv as csvmodule

    from mdsrs_core import run
    from mdsrs_core.report.write import write_report

    d = tmp_path / "study"
    d.mkdir()
    for name in ("patients.csv", "adverse_events.csv", "study.toml"):
        shutil.copyfile(EXAMPLE / name, d / name)
    _hostile(d, arm="-1+len")
    edit_study(d, 'reference = "thalidomide"', 'reference = "thalidomide"')
    before = snapshot(d)
    result = CliRunner().invoke(main, _run(d, "--only", "response", "--format", "csv"))
    assert result.exit_code == 0, result.output
    write_report(run(load_study(d), only="response"), d / "api", ["csv"])
    assert not unchanged(before, d)
    for path in (d / "out" / "results.csv", d / "api" / "results.csv"):
        rows = list(csvmodule.DictReader(path.open(encoding="utf-8")))
        arms = {r["arm"] for r in rows if r["arm"]}
        assert arms == {"thalidomide", "'-1+len"}
        assert not [r["value"] for r in rows if r["value"].startswith("'")]

    from mdsrs_core.records import Record
    from mdsrs_core.report.data import write_records_csv

    write_records_csv(
        [Record("e", "-arm", "v", "estimate", -0.25, label="@x"), Record("e", None, "v", "n", 3)],
        d / "one.csv",
    )
    rows = list(csvmodule.DictReader((d / "one.csv").open(encoding="utf-8")))
    assert [(r["arm"], r["value"], r["label"]) for r in rows] == [
        ("'-arm", "-0.25", "'@x"),
        ("", "3", ""),
    ]


def test_ipssr_outputs_neutralise_formulas(example_copy: Path):
    import openpyxl

    _hostile(example_copy)
    before = snapshot(example_copy)
    for name in ("scored.csv", "scored.xlsx"):
        result = CliRunner().invoke(
            main, ["ipssr", str(example_copy / "patients.csv"), "-o", str(example_copy / name)]
        )
        assert result.exit_code == 0, result.output
    assert not unchanged(before, example_copy)
    text = (example_copy / "scored.csv").read_text(encoding="utf-8")
    assert text.splitlines()[1].startswith('"\'=HYPERLINK(""http://evil.example"",""x"")"')
    sheet = openpyxl.load_workbook(example_copy / "scored.xlsx").active
    header = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert (first["patient_id"].value, first["patient_id"].data_type) == (FORMULA_ID, "s")
    assert first["ipssr_score"].data_type == "n"
