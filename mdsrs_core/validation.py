"""Validation of a cohort table: every broken rule found at once, reported in one message.

Two steps:

1. *Parsing* (:func:`parse_columns`): text that should be a number, an event code or a
   category is converted; a value that cannot be converted is a problem whose message says
   what it looks like (a decimal comma, a percentage, a date where a duration belongs).
2. *Rules* (:func:`check_rules`): a pandera schema built from :mod:`mdsrs_core.variables`
   (plausible ranges, allowed values, unique ids, no missing arm) plus cross-column rules
   (AML before the end of follow-up, event and time given together). pandera collects every
   failure (``lazy=True``); they are grouped here into one :class:`Problem` per rule and
   column.

The caller (:class:`mdsrs_core.cohort.Cohort`) raises one :class:`CohortError` listing all
problems. Rows are numbered as a spreadsheet shows them (header = row 1) when the data came
from a file, and by index label for an in-memory DataFrame.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .errors import CohortError
from .variables import (
    CYTO_SYNONYMS,
    LEVEL_SEPARATORS,
    RESPONSE_LEVELS,
    SURVIVAL_PAIRS,
    VARIABLES,
    Variable,
    level_key,
)

__all__ = [
    "Problem",
    "parse_columns",
    "check_rules",
    "raise_problems",
    "format_rows",
    "event_codes_problem",
    "EVENT_VARIABLES",
]

_MAX_LISTED = 8


@dataclass
class Problem:
    """One broken rule: where (column, rows), what was found (values) and the rule."""

    column: str | None
    rule: str
    rows: list = field(default_factory=list)
    values: list = field(default_factory=list)
    hint: str = ""

    def describe(
        self,
        source_columns: dict[str, str],
        row_label: Callable[[object], str],
        row_word: str = "row",
    ) -> str:
        where = []
        if self.column is not None:
            col = f"column '{self.column}'"
            user = source_columns.get(self.column)
            if user and user != self.column:
                col += f" (your column '{user}')"
            where.append(col)
        if self.rows:
            where.append(format_rows([row_label(r) for r in self.rows], row_word))
        text = ", ".join(where)
        if self.values:
            shown = ", ".join(_show(v) for v in self.values[:_MAX_LISTED])
            more = len(self.values) - _MAX_LISTED
            text += f" (value{'s' if len(self.values) > 1 else ''} {shown}"
            text += f" and {more} more)" if more > 0 else ")"
        text = f"{text}: {self.rule}" if text else self.rule
        if self.hint:
            text += f"; {self.hint}"
        return text if text.endswith((".", "?")) else text + "."


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def format_rows(labels: list[str], word: str = "row") -> str:
    """``"rows 4, 9, 12"`` (at most eight listed, then how many more).

    ``word`` is ``"row"`` for spreadsheet rows and ``"index"`` for DataFrame index labels.
    """
    nums = [str(x) for x in labels]
    head = ", ".join(nums[:_MAX_LISTED])
    more = len(nums) - _MAX_LISTED
    word = word if len(nums) == 1 or word == "index" else word + "s"
    return f"{word} {head}" + (f" and {more} more" if more > 0 else "")


def raise_problems(
    problems: list[Problem],
    *,
    source: str,
    source_columns: dict[str, str],
    row_label: Callable[[object], str],
    row_word: str = "row",
) -> None:
    """Raise one :class:`CohortError` listing every problem, or return if there are none."""
    if not problems:
        return
    lines = [p.describe(source_columns, row_label, row_word) for p in problems]
    head = f"{source}: {len(problems)} problem{'s' if len(problems) > 1 else ''} in the cohort data"
    message = head + ":\n" + "\n".join(f"  - {line}" for line in lines)
    raise CohortError(message, problems)


def suggest(word: str, options: Iterable[str], n: int = 3) -> list[str]:
    """Options that look like ``word``: close spellings, or one containing the other."""
    import difflib

    options = [str(o) for o in options]
    lower = {o.lower(): o for o in options}
    w = word.lower()
    found = [lower[m] for m in difflib.get_close_matches(w, list(lower), n=n, cutoff=0.4)]
    found += [o for o in options if o not in found and (o.lower() in w or w in o.lower())]
    return found[:n]


# --------------------------------------------------------------------------- parsing

_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
_PERCENT = re.compile(r"^\s*-?\d+(\.\d+)?\s*%\s*$")
_DATE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def _number_hint(raw: list[str], var: Variable | None, time_unit: str = "months") -> str:
    if any(_DATE.match(x) for x in raw):
        if var is not None and var.kind == "time":
            return (
                f"dates found where a duration in {time_unit} belongs: give the time from "
                "treatment start to the event or last follow-up"
            )
        return "dates found where a number belongs"
    if any(_DECIMAL_COMMA.match(x) for x in raw):
        return "decimal commas found: write 1.5, not 1,5 (or export the file with '.' decimals)"
    if any(_PERCENT.match(x) for x in raw):
        return "percent signs found: write 12, not 12%"
    return "write plain numbers"


def _parse_numeric(
    s: pd.Series, name: str, var: Variable | None, time_unit: str = "months"
) -> tuple[pd.Series, list]:
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64"), []
    text = s.astype("string").str.strip()
    text = text.mask(text == "")
    parsed = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & parsed.isna()
    problems = []
    if bad.any():
        raw = [str(x) for x in text[bad]]
        problems.append(
            Problem(
                name, "must be a number", list(s.index[bad]), raw, _number_hint(raw, var, time_unit)
            )
        )
    return parsed.astype("float64"), problems


_TRUE = {"1", "1.0", "yes", "y", "true", "dead", "died", "event"}
_FALSE = {"0", "0.0", "no", "n", "false", "alive", "censored"}


EVENT_VARIABLES = tuple(name for name, var in VARIABLES.items() if var.kind == "event")


def event_codes_problem(codes: object) -> str | None:
    """What is wrong with an ``event_codes`` mapping, or ``None`` when it is usable.

    Either one table for every event column (``{1 = 0, 2 = 1}``) or one table per event column
    (``{death = {1 = 0, 2 = 1}}``); each maps the codes found in the data to 0 (censored) or 1
    (the event) and uses both. Anything else would turn into wrong event indicators.
    """
    example = "e.g. {1 = 0, 2 = 1} or {death = {yes = 1, no = 0}}"
    if not isinstance(codes, dict) or not codes:
        return f"event_codes must be a table mapping codes to 0 or 1, {example}"
    nested = [k for k, v in codes.items() if isinstance(v, dict)]
    if nested and len(nested) != len(codes):
        return (
            "event_codes mixes codes and per-column tables; give either one table for every "
            f"event column or one table per column, {example}"
        )
    tables = {str(k): v for k, v in codes.items()} if nested else {"": codes}
    for column, table in tables.items():
        where = f"event_codes.{column}" if column else "event_codes"
        if column and column not in EVENT_VARIABLES:
            return (
                f"event_codes names '{column}', which is not an event column; per-column codes "
                f"are for {', '.join(EVENT_VARIABLES)}"
            )
        if not table:
            return f"{where} is empty; map each code to 0 (censored) or 1 (the event)"
        bad = [
            f"{k} = {v!r}"
            for k, v in table.items()
            if isinstance(v, bool) or v not in (0, 1) or isinstance(v, dict)
        ]
        if bad:
            return f"{where} maps codes to 0 (censored) or 1 (the event), not {', '.join(bad)}"
        if set(table.values()) != {0, 1}:
            return (
                f"{where} must map one code to 0 (censored) and one to 1 (the event); "
                f"it maps every code to {next(iter(table.values()))}"
            )
    return None


def _parse_event(s: pd.Series, name: str, codes: Mapping | None) -> tuple[pd.Series, list]:
    """0/1 event indicator. Other codings only through an explicit ``codes`` mapping."""
    if codes:
        mapping = {str(k).strip().lower(): int(v) for k, v in codes.items()}
        text = s.astype("string").str.strip().str.lower()
        text = text.str.replace(r"\.0$", "", regex=True)
        out = text.map(mapping)
        bad = text.notna() & out.isna()
        problems = []
        if bad.any():
            allowed = ", ".join(sorted(mapping))
            problems.append(
                Problem(
                    name,
                    f"event codes must be one of {allowed} (the study file's event_codes)",
                    list(s.index[bad]),
                    list(dict.fromkeys(s[bad].tolist())),
                )
            )
        return out.astype("Float64").astype("float64"), problems
    num, problems = (
        (s.astype("float64"), [])
        if pd.api.types.is_numeric_dtype(s)
        else (pd.to_numeric(s.astype("string").str.strip(), errors="coerce"), [])
    )
    bad = s.notna() & ~num.isin([0, 1])
    if bad.any():
        found = list(dict.fromkeys(s[bad].tolist()))
        spelled = {str(v).strip().lower() for v in found}
        if spelled <= {"1", "2", "1.0", "2.0"}:
            hint = (
                "1/2 coding as in R's Surv() (1 = censored, 2 = event) is accepted only when "
                "the study file says so: event_codes = {1 = 0, 2 = 1} under [cohort]"
            )
        elif spelled & (_TRUE | _FALSE):
            hint = (
                "text codes are accepted only when the study file maps them, e.g. "
                "event_codes = {yes = 1, no = 0} under [cohort]"
            )
        else:
            hint = "code 1 for the event and 0 for censored"
        problems.append(Problem(name, "must be 0 or 1", list(s.index[bad]), found, hint))
    return num.where(~bad), problems


def _normalize_levels(
    s: pd.Series, name: str, levels: tuple[str, ...], synonyms: dict[str, str]
) -> tuple[pd.Series, list]:
    key = {level_key(lv): lv for lv in levels}
    key.update(synonyms)
    text = s.astype("string").str.strip()
    text = text.mask(text == "")
    norm = text.str.lower().str.replace(LEVEL_SEPARATORS, " ", regex=True).str.strip()
    out = norm.map(key)
    bad = norm.notna() & out.isna()
    problems = []
    if bad.any():
        problems.append(
            Problem(
                name,
                "must be one of " + ", ".join(levels),
                list(s.index[bad]),
                list(dict.fromkeys(text[bad].tolist())),
            )
        )
    cat = pd.Categorical(out.where(~bad), categories=list(levels))
    return pd.Series(cat, index=s.index, name=name), problems


_SEX = {"female": "F", "f": "F", "w": "F", "male": "M", "m": "M"}
_RESPONSE = {lv.lower(): lv for lv in RESPONSE_LEVELS}
# Cytogenetic groups: the one spelling table (also used by the IPSS-R calculator).
_SYNONYMS = {
    "sex": _SEX,
    "response": _RESPONSE,
    "cyto_base": CYTO_SYNONYMS,
    "cyto_post": CYTO_SYNONYMS,
}


def parse_columns(
    frame: pd.DataFrame, *, event_codes: Mapping | None = None, time_unit: str = "months"
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert canonical columns to their types; return the new frame and the problems."""
    out = frame.copy()
    problems: list[Problem] = []
    for name in frame.columns:
        var = VARIABLES.get(name)
        if var is None or var.kind in ("id", "arm"):
            continue
        if var.kind in ("numeric", "time", "grade"):
            out[name], found = _parse_numeric(frame[name], name, var, time_unit)
        elif var.kind == "event":
            codes = event_codes
            if codes and any(isinstance(v, dict) for v in codes.values()):
                codes = codes.get(name)  # per-column codes: {death = {1 = 0, 2 = 1}}
            out[name], found = _parse_event(frame[name], name, codes)
        elif var.kind == "category":
            out[name], found = _normalize_levels(
                frame[name], name, var.levels, _SYNONYMS.get(name, {})
            )
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(var.kind)
        problems.extend(found)
    if "patient_id" in out:
        ids = frame["patient_id"]
        text = ids.astype("string").str.strip()
        # ids read as floats (1.0, 2.0) become "1", "2"
        if pd.api.types.is_float_dtype(ids):
            text = ids.map(
                lambda v: None if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v))
            ).astype("string")
        out["patient_id"] = text.mask(text == "")
    return out, problems


# --------------------------------------------------------------------------- rules


def _schema(frame: pd.DataFrame, time_unit: str, months_per_unit: float):
    import pandera.pandas as pa

    columns = {
        "patient_id": pa.Column(
            "string",
            nullable=False,
            unique=True,
            required=False,
        ),
    }
    for name, var in VARIABLES.items():
        if name not in frame.columns or var.kind in ("id", "arm", "category", "event"):
            continue
        checks = []
        if var.kind == "time" and var.high is not None:
            if any(name == t for _, t in SURVIVAL_PAIRS):
                checks.append(pa.Check.gt(0, error="times must be greater than 0"))
            else:  # response_months: a response may be recorded at the start (0)
                checks.append(pa.Check.ge(0, error="times cannot be negative"))
            high = round(var.high / months_per_unit, 1)  # the bound in the data's own unit
            checks.append(
                pa.Check.le(
                    high,
                    error=f"must be at most {high:g} {time_unit}"
                    f"|times are durations in {time_unit}, not "
                    "dates",
                )
            )
        elif var.low is not None and var.high is not None:
            # Two checks with the same rule, so that the hint fits the direction: a unit hint
            # ("looks like g/L") for values above the range, ``low_hint`` for values below it.
            unit = f" {var.unit}" if var.unit else ""
            rule = f"must be between {var.low:g} and {var.high:g}{unit}"
            if var.low_hint:
                checks.append(pa.Check.ge(var.low, error=f"{rule}|{var.low_hint}"))
                checks.append(pa.Check.le(var.high, error=f"{rule}|{var.unit_hint}"))
            else:
                checks.append(pa.Check.in_range(var.low, var.high, error=f"{rule}|{var.unit_hint}"))
        if var.kind == "grade":
            checks.append(
                pa.Check(
                    lambda s: (s % 1) == 0,
                    element_wise=False,
                    error=f"must be a whole number|{var.unit_hint}",
                )
            )
        columns[name] = pa.Column("float64", checks=checks, nullable=True, required=False)
    frame_checks = []
    if {"aml_months", "os_months"} <= set(frame.columns):
        frame_checks.append(
            pa.Check(
                lambda d: ~(d["aml_months"] > d["os_months"] + 1e-9),
                error="aml_months,os_months|time to AML cannot be later than the end of follow-up "
                "(aml_months must be <= os_months)",
            )
        )
    if {"response_months", "os_months"} <= set(frame.columns):
        frame_checks.append(
            pa.Check(
                lambda d: ~(d["response_months"] > d["os_months"] + 1e-9),
                error="response_months,os_months|the time to response cannot be later than "
                "the end of follow-up (response_months must be <= os_months)",
            )
        )
    for event, time in (("death", "os_months"), ("aml", "aml_months")):
        if {event, time} <= set(frame.columns):
            frame_checks.append(
                pa.Check(
                    lambda d, e=event, t=time: d[e].isna() == d[t].isna(),
                    error=f"{time},{event}|{event} and {time} must be given together: a row has "
                    "one without "
                    "the other",
                )
            )
    return pa.DataFrameSchema(columns, checks=frame_checks, coerce=False)


def _is_missing(value: Any) -> bool:
    """None, NaN, NaT or pd.NA (``pd.NA == pd.NA`` is not a bool, so ``v == v`` cannot test it)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like failure cases
        return False


def _grouped(cases: pd.DataFrame) -> Iterable[tuple[str | None, str, list, list]]:
    for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
        rows = sorted(dict.fromkeys(group["index"].tolist()))
        values = [v for v in group["failure_case"].tolist() if not _is_missing(v)]
        # column-level failures name their column; frame-level ones have none (NaN)
        yield (None if _is_missing(column) else str(column)), str(check), rows, values


_BUILTIN_RULES = {
    "not_nullable": "must not be empty",
    "field_uniqueness": "must be unique: the same patient id appears more than once",
}


def check_rules(
    frame: pd.DataFrame,
    unparsed: Sequence[Problem] = (),
    *,
    time_unit: str = "months",
    months_per_unit: float = 1.0,
) -> list[Problem]:
    """Apply the declarative rules to a parsed canonical frame; return the problems.

    ``unparsed`` are the parsing problems already found: a cross-column rule is not reported
    again for a row whose value could not be read in one of its columns.
    """
    bad_cells = {(p.column, r) for p in unparsed for r in p.rows}
    import pandera.errors as pe

    try:
        _schema(frame, time_unit, months_per_unit).validate(frame, lazy=True)
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    problems = []
    frame_level = cases["schema_context"] == "DataFrameSchema"
    column_cases = cases[~frame_level]
    bad_cells |= set(zip(column_cases["column"], column_cases["index"], strict=True))
    for column, check, rows, values in _grouped(cases[~frame_level]):
        rule, _, hint = check.partition("|")
        rule = _BUILTIN_RULES.get(rule, rule)
        if check == "field_uniqueness":
            values = list(dict.fromkeys(values))
        elif check == "not_nullable":
            values = []
        problems.append(Problem(column, rule, rows, values, hint))
    seen = set()
    for _, check, rows, _values in _grouped(cases[frame_level]):
        if check in seen:
            continue  # pandera repeats a frame-level failure once per column
        seen.add(check)
        columns, _, rule = check.partition("|")
        involved = columns.split(",")
        rows = [r for r in rows if not any((c, r) in bad_cells for c in involved)]
        if rows:
            problems.append(Problem(involved[0], rule, sorted(set(rows)), []))
    order = {c: i for i, c in enumerate(frame.columns)}
    return sorted(problems, key=lambda p: -1 if p.column is None else order.get(p.column, -1))
