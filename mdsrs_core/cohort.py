"""The shared cohort: one validated patient table in canonical names, read by every endpoint.

A :class:`Cohort` is built from a DataFrame (or read from a file with :meth:`Cohort.read`),
maps the user's column names onto the canonical variables (:mod:`mdsrs_core.variables`),
knows the arm column and its reference level, optionally holds a long adverse-event table,
and validates everything on construction: all problems are reported in one
:class:`~mdsrs_core.errors.CohortError`.

After validation the plugins' ``mdsrs_derive`` hooks add derived variables (IPSS-R scores,
responder flags...) through :meth:`Cohort.add_variable`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import CohortError
from .mapping_rules import shared_column_problems
from .validation import (
    Problem,
    check_rules,
    event_codes_problem,
    parse_columns,
    raise_problems,
    suggest,
)
from .variables import SURVIVAL_PAIRS, VARIABLES

__all__ = ["Cohort", "TIME_UNITS"]

#: Months per unit (1 month = 365.25 / 12 days).
TIME_UNITS = {"months": 1.0, "days": 12 / 365.25, "weeks": 7 * 12 / 365.25, "years": 12.0}


def _canonical_frame(data: pd.DataFrame, column_map: Mapping[str, str]) -> pd.DataFrame:
    """``data`` with its mapped columns under their canonical names, in the data's order.

    One column may be mapped onto several canonical variables (``os_months`` and
    ``aml_months`` from one time column): each gets its own copy."""
    by_user: dict[str, list[str]] = {}
    for canon, user in column_map.items():
        by_user.setdefault(user, []).append(canon)
    parts: dict[str, pd.Series] = {}
    for col in data.columns:
        for name in by_user.get(str(col), [col]):
            parts[name] = data[col]
    return pd.DataFrame(parts, index=data.index)


def _release_freed_memory() -> None:
    """Give the C heap's freed pages back to the system after a large read
    (:func:`mdsrs_core._malloc.release_free_memory`): the endpoint workers forked from this
    process start from what the cohort really holds."""
    from ._malloc import release_free_memory

    release_free_memory()


def _text_columns(options: Mapping[str, Any]) -> set[str]:
    """The file's columns that :class:`Cohort` (given ``options``, the keyword arguments of
    :meth:`Cohort.read`) parses from their text: the id, the arm, the categories and event
    indicators, and every column a ``[codes]`` table recodes (under their names in the
    file)."""
    columns = dict(options.get("columns") or {})
    if options.get("arm") is not None:
        columns["arm"] = options["arm"]
    names = {
        str(columns.get(name, name))
        for name, var in VARIABLES.items()
        if var.kind in ("id", "arm", "category", "event")
    }
    names |= {str(columns.get(str(name), name)) for name in options.get("codes") or {}}
    return names


def _plain(codes: Any) -> Any:
    """A mapping (and its nested mappings) as plain dicts, for :func:`event_codes_problem`."""
    if isinstance(codes, Mapping):
        return {k: _plain(v) for k, v in codes.items()}
    return codes


class Cohort:
    """A validated two-arm cohort in canonical variable names.

    Parameters
    ----------
    data : DataFrame
        One row per patient, in the user's column names.
    columns : mapping, optional
        ``{canonical variable: user column}`` for columns not already named canonically.
    arm : str
        The user's column holding the treatment arm (default ``"arm"``).
    reference : str, optional
        The reference (control) level of the arm. Without it the first level in sorted order
        is the reference, as R's ``factor()`` does, and a note says so.
    adverse_events : DataFrame, optional
        Adverse events in long form: ``patient_id``, ``term``, ``grade`` (one row per event).
    adverse_events_complete : bool
        Whether the adverse-event table lists every patient's events, so that a patient absent
        from it had none (default ``True``).
    time_unit : str
        Unit of the time columns in ``data``: months (default), days, weeks or years. Times are
        converted to months.
    event_codes : mapping, optional
        How event columns are coded when not 0/1, e.g. ``{1: 0, 2: 1}`` (R's Surv 1/2) or
        ``{"yes": 1, "no": 0}``.
    codes : mapping, optional
        Per variable, file value -> canonical value (the study file's ``[codes]``; see
        :mod:`mdsrs_core.codes`): ``{"sex": {1: "M", 2: "F"}, "death": {0: 0, 1: 0, 2: 1}}``.
        One status column can give several event indicators when ``columns`` maps them all
        onto it.
    source, adverse_events_source : str, optional
        Names used in messages (the file names when read from files).
    derive : bool
        Run the plugins' ``mdsrs_derive`` hooks (default ``True``).
    """

    #: the files read (role -> path) that outputs must never overwrite (set by :meth:`read`)
    input_files: dict[str, Path | str | None] = {}
    #: the propensity-score adjustment every endpoint reads (``[adjust]``; set by
    #: :func:`mdsrs_core.adjust.layer.attach`), or None
    adjustment: Any = None

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        columns: Mapping[str, str] | None = None,
        arm: str | None = None,
        reference: str | None = None,
        adverse_events: pd.DataFrame | None = None,
        adverse_events_complete: bool = True,
        time_unit: str = "months",
        event_codes: Mapping[Any, int] | None = None,
        codes: Mapping[str, Mapping[Any, Any]] | None = None,
        source: str | None = None,
        adverse_events_source: str | None = None,
        derive: bool = True,
        _from_file: bool = False,
    ):
        self.source = source or "data"
        self._from_file = _from_file
        self.time_unit = time_unit
        self.notes: list[str] = []
        self.labels: dict[str, str] = {name: var.label for name, var in VARIABLES.items()}
        #: arm level -> display name, in display order (a study file's ``[arms]``)
        self.arm_labels: dict[str, str] = {}
        self.derived: dict[str, str] = {}
        self.column_map = self._column_map(data, columns or {}, arm)
        if time_unit not in TIME_UNITS:
            raise CohortError(
                f"{self.source}: time unit '{time_unit}' is not one of {', '.join(TIME_UNITS)}."
            )
        if event_codes is not None:
            problem = event_codes_problem(_plain(event_codes))
            if problem:
                raise CohortError(f"{self.source}: {problem}.")
        own = _from_file and all(c == u for c, u in self.column_map.items())
        if own:
            # a frame read from a file is this cohort's own: its columns are used as they
            # are (a copy of a 10^6-row frame is hundreds of MB) and replaced in it as they
            # are parsed, which frees each raw column at once; never changed in place
            frame = data
        else:
            frame = _canonical_frame(data, self.column_map)
        if _from_file and not frame.index.equals(pd.RangeIndex(len(frame))):
            frame = frame.reset_index(drop=True)
        problems = self._pair_problems(frame, columns or {})
        tables: dict[str, dict] = {str(k): dict(v) for k, v in (codes or {}).items()}
        event_codes = self._merge_event_codes(event_codes, tables)
        if tables:
            from .codes import apply_codes

            frame, found = apply_codes(frame, tables)
            problems.extend(Problem(c, rule, rows, values) for c, rows, values, rule in found)
        frame, parsed = parse_columns(
            frame, event_codes=event_codes, time_unit=time_unit, own=own or bool(tables)
        )
        del data  # the raw frame's columns that parsing replaced can be freed
        coded = {p.column for p in problems}
        problems.extend(p for p in parsed if p.column not in coded)
        if _from_file:  # files are read as text: other columns get their type back
            from .coltypes import restore_types

            frame = restore_types(frame, skip=VARIABLES)
        factor = TIME_UNITS[time_unit]
        if "patient_id" not in frame.columns:
            problems.insert(
                0,
                Problem(
                    None,
                    "no patient_id column: map the column that "
                    "identifies patients with --map patient_id=COLUMN or "
                    '[columns] patient_id = "COLUMN"',
                ),
            )
        if "arm" not in frame.columns:
            problems.insert(
                0,
                Problem(
                    None,
                    f"no arm column '{arm or 'arm'}': name the column "
                    "holding the treatment arm with --arm COLUMN or "
                    'arm = "COLUMN" under [cohort]',
                ),
            )
        problems.extend(check_rules(frame, problems, time_unit=time_unit, months_per_unit=factor))
        if "arm" in frame.columns and "arm" not in coded:
            frame["arm"], arm_problems = self._arm(frame["arm"], reference)
            problems.extend(arm_problems)
        self._raise(problems)
        for name, var in VARIABLES.items():
            if var.kind == "time" and name in frame and factor != 1.0:
                frame[name] = frame[name] * factor
        if factor != 1.0:
            self.notes.append(
                f"Times were given in {time_unit} and converted to months "
                "(1 month = 365.25/12 days)."
            )
        self.data: pd.DataFrame = frame
        self.adverse_events_complete = adverse_events_complete
        self._from_ae_file = _from_file and adverse_events_source is not None
        self.adverse_events = (
            None
            if adverse_events is None
            else self._adverse_events(adverse_events, adverse_events_source or "adverse events")
        )
        if derive:
            from .plugins import get_registry

            get_registry().derive(self)

    # ------------------------------------------------------------------ construction

    def _pair_problems(self, frame: pd.DataFrame, columns: Mapping[str, str]) -> list[Problem]:
        """A survival time or event the user mapped whose partner is absent: the mapping
        cannot be honoured, so it is an error (never a silently skipped endpoint)."""
        problems = []
        for event, time in SURVIVAL_PAIRS:
            for mapped, other in ((time, event), (event, time)):
                if mapped in columns and other not in frame.columns:
                    problems.append(
                        Problem(
                            None,
                            f"{mapped} is mapped to column '{columns[mapped]}' but {other} is "
                            f"not in the data, so neither can be used: map {other} too (one "
                            f"time column may serve several times, and an event may come from "
                            f'a coded status column: [columns] {other} = "COLUMN" with '
                            f"[codes] {event} = {{0 = 0, 1 = 1}})",
                        )
                    )
        return problems

    def _merge_event_codes(
        self, event_codes: Mapping[Any, Any] | None, codes: dict[str, dict]
    ) -> dict | None:
        """``event_codes`` per event column, without the columns ``[codes]`` recodes; an event
        column coded in both places is an error (which would win?)."""
        from .validation import EVENT_VARIABLES

        if event_codes is None:
            return None
        plain = _plain(event_codes)
        nested = any(isinstance(v, dict) for v in plain.values())
        per_column = plain if nested else {e: plain for e in EVENT_VARIABLES}
        both = [e for e in per_column if e in codes]
        if both and nested:
            raise CohortError(
                f"{self.source}: {both[0]} is coded twice, in event_codes and in [codes]; "
                "give its codes once, in [codes]."
            )
        return {e: c for e, c in per_column.items() if e not in codes} or None

    @classmethod
    def read(
        cls, path: str | Path, *, adverse_events: str | Path | None = None, **kwargs: Any
    ) -> Cohort:
        """Read a cohort from a csv, tsv, xlsx or parquet file (see :class:`Cohort`)."""
        from .io import read_table, read_typed

        path = Path(path)
        ae = ae_name = None
        if adverse_events is not None:
            ae = read_table(adverse_events)
            ae_name = Path(adverse_events).name

        def build(frame: pd.DataFrame) -> Cohort:
            return cls(
                frame,
                source=path.name,
                adverse_events=ae,
                adverse_events_source=ae_name,
                _from_file=True,
                **kwargs,
            )

        cohort = None
        # a plain csv/tsv in one pass with its number columns as numbers; a file it cannot
        # take, and any problem in the data, go to the careful reader, whose messages
        # name the cells as they are written in the file
        typed = read_typed(path, _text_columns(kwargs))
        if typed is not None:
            try:
                cohort = build(typed)
            except CohortError:
                cohort = None
            del typed
        if cohort is None:
            cohort = build(read_table(path))
        if cohort.n >= 100_000:
            _release_freed_memory()
        # the files a report must never overwrite (mdsrs_core.outputs)
        cohort.input_files = {"data file": path, "adverse-event file": adverse_events}
        return cohort

    def _column_map(
        self, data: pd.DataFrame, columns: Mapping[str, str], arm: str | None
    ) -> dict[str, str]:
        mapping = dict(columns)
        if arm is not None:
            mapping["arm"] = arm
        present = [str(c) for c in data.columns]
        problems = []
        unknown = [k for k in mapping if k not in VARIABLES]
        for name in unknown:
            close = suggest(name, VARIABLES, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(f"'{name}' is not a canonical variable{hint}")
        problems += shared_column_problems({k: v for k, v in mapping.items() if k not in unknown})
        for canon, user in mapping.items():
            if canon in unknown:
                continue
            if user not in present:
                close = suggest(str(user), present)
                hint = f"; close matches: {', '.join(close)}" if close else ""
                problems.append(f"column '{user}' (mapped to {canon}) is not in the data{hint}")
            elif canon != user and canon in present:
                problems.append(
                    f"both column '{canon}' and column '{user}' (mapped to {canon}) "
                    "are present; rename or drop one"
                )
        if problems:
            text = "; ".join(problems)
            raise CohortError(f"{self.source}: {text}" + ("" if text.endswith("?") else "."))
        result = {c: c for c in present if c in VARIABLES}
        result.update(mapping)
        return result

    def _arm(self, arm: pd.Series, reference: str | None) -> tuple[pd.Series, list[Problem]]:
        from .validation import distinct_text

        found = distinct_text(arm)
        if found is None:
            text = arm.astype("string").str.strip()
        else:  # each distinct arm stripped once
            codes, distinct = found
            stripped = distinct.astype("string").str.strip().array
            text = pd.Series(stripped.take(codes, allow_fill=True), index=arm.index, name=arm.name)
        levels = sorted(text.dropna().unique().tolist())
        counts = text.value_counts()
        problems = []
        missing = text.isna()
        if missing.any():
            problems.append(
                Problem(
                    "arm", "must not be empty: every patient needs an arm", list(arm.index[missing])
                )
            )
        if len(levels) == 1:
            problems.append(
                Problem("arm", f"has one level ('{levels[0]}'); mdsrs compares two arms")
            )
        elif len(levels) > 2:
            listing = ", ".join(f"'{lv}' ({counts[lv]})" for lv in levels)
            hint = ""
            # The rarest level first: a typo is the odd one out, not the larger arm.
            for a in sorted(levels, key=lambda lv: (counts[lv], lv)):
                others = [b for b in levels if b != a and counts[b] > counts[a]]
                same = [b for b in others if b.casefold() == a.casefold()]
                close = same or difflib.get_close_matches(a, others, n=1, cutoff=0.85)
                if close:
                    rows = list(arm.index[text == a])
                    from .validation import format_rows

                    labels = [self._row_label(r) for r in rows]
                    how = (
                        "differs only in upper/lower case from" if same else "looks like a typo of"
                    )
                    hint = f"; '{a}' {how} '{close[0]}' ({format_rows(labels, self._row_word)})"
                    break
            problems.append(
                Problem(
                    "arm",
                    f"has {len(levels)} levels: {listing}; mdsrs compares exactly two arms{hint}",
                )
            )
        if reference is not None and levels and reference not in levels:
            close = suggest(reference, levels, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(
                Problem(
                    "arm",
                    f"the reference level '{reference}' is not among its "
                    f"levels ({', '.join(levels)}){hint}",
                )
            )
            reference = None
        if problems or not levels:
            return arm, problems
        if reference is None:
            reference = levels[0]
            self.notes.append(
                f"No reference arm was given: '{reference}' (first in sorted "
                "order, as R's factor() does) is the reference."
            )
        order = [reference] + [lv for lv in levels if lv != reference]
        return pd.Series(pd.Categorical(text, categories=order), index=arm.index), []

    def _adverse_events(self, table: pd.DataFrame, source: str) -> pd.DataFrame:
        need = ["patient_id", "term", "grade"]
        absent = [c for c in need if c not in table.columns]
        if absent:
            raise CohortError(
                f"{source}: the adverse-event table needs columns patient_id, term "
                f"and grade; missing: {', '.join(absent)}."
            )
        ae = table[need].copy()
        if self._from_ae_file:
            ae = ae.reset_index(drop=True)
        ae["patient_id"] = ae["patient_id"].astype("string").str.strip()
        problems: list[Problem] = []
        grade = pd.to_numeric(ae["grade"], errors="coerce")
        empty = ae["grade"].isna() | (ae["grade"].astype("string").str.strip() == "")
        if empty.any():
            problems.append(
                Problem(
                    "grade",
                    "every adverse event needs a CTCAE grade (1 to 5)",
                    list(ae.index[empty]),
                )
            )
        bad = ~empty & (grade.isna() | ~grade.isin([1, 2, 3, 4, 5]))
        if bad.any():
            problems.append(
                Problem(
                    "grade",
                    "CTCAE grades of listed events must be whole numbers from 1 to 5",
                    list(ae.index[bad]),
                    ae.loc[bad, "grade"].tolist(),
                )
            )
        known = set(self.data["patient_id"].dropna())
        unknown = ~ae["patient_id"].isin(known)
        if unknown.any():
            problems.append(
                Problem(
                    "patient_id",
                    f"patients not in {self.source}",
                    list(ae.index[unknown]),
                    list(dict.fromkeys(ae.loc[unknown, "patient_id"].tolist())),
                )
            )
        empty_term = ae["term"].isna() | (ae["term"].astype("string").str.strip() == "")
        if empty_term.any():
            problems.append(
                Problem(
                    "term", "every adverse event needs a CTCAE term", list(ae.index[empty_term])
                )
            )
        if problems:
            label = (lambda i: str(i + 2)) if self._from_ae_file else str
            raise_problems(
                problems,
                source=source,
                source_columns={},
                row_label=label,
                row_word="row" if self._from_ae_file else "index",
            )
        ae["grade"] = grade.astype(int)
        ae["term"] = ae["term"].astype("string").str.strip()
        from .ae_terms import unify_terms

        ae["term"], note = unify_terms(ae["term"], source)
        if note:
            self.notes.append(note)
        return ae.reset_index(drop=True)

    def _raise(self, problems: list[Problem]) -> None:
        order = {name: i for i, name in enumerate(VARIABLES)}
        problems = sorted(
            problems, key=lambda p: -1 if p.column is None else order.get(p.column, -1)
        )
        raise_problems(
            problems,
            source=self.source,
            source_columns=self.column_map,
            row_label=self._row_label,
            row_word=self._row_word,
        )

    @property
    def _row_word(self) -> str:
        return "row" if self._from_file else "index"

    def _row_label(self, index: object) -> str:
        return str(int(index) + 2) if self._from_file else str(index)  # type: ignore[call-overload]

    # ------------------------------------------------------------------ use

    @property
    def arms(self) -> list[str]:
        """Arm levels, the reference first."""
        return list(self.data["arm"].cat.categories)

    @property
    def reference(self) -> str:
        """The reference (control) arm."""
        return self.arms[0]

    arm_reference = reference

    @property
    def n(self) -> int:
        """Number of patients."""
        return int(self.data.shape[0])

    def __len__(self) -> int:
        return self.n

    def has(self, *names: str) -> bool:
        """Whether every variable in ``names`` is a column of :attr:`data`."""
        return all(name in self.data.columns for name in names)

    def missing(self, *names: str) -> list[str]:
        """The variables of ``names`` that are not columns of :attr:`data`."""
        return [name for name in names if name not in self.data.columns]

    def label(self, name: str) -> str:
        """Human-readable label of a variable (its name when none is known)."""
        return self.labels.get(name, name)

    def arm_label(self, arm: str) -> str:
        """How tables name an arm (``[arms]`` of the study file; else the level itself)."""
        return self.arm_labels.get(arm, arm)

    @property
    def display_arms(self) -> list[str]:
        """The arms in display order: those of ``[arms]`` in its order, then the others."""
        return [
            *(a for a in self.arm_labels if a in self.arms),
            *(a for a in self.arms if a not in self.arm_labels),
        ]

    def row_label(self, index: object) -> str:
        """How messages number the row with this index (spreadsheet row for files)."""
        return self._row_label(index)

    def add_variable(
        self, name: str, values: Any, *, label: str | None = None, source: str | None = None
    ) -> None:
        """Add a derived variable (used by ``mdsrs_derive`` hooks).

        A derived variable must not replace a variable from the data: that would silently
        change the user's numbers.
        """
        if name in self.data.columns and name not in self.derived:
            raise ValueError(
                f"'{name}' is a column of the data; a derived variable cannot replace it"
            )
        series = (
            pd.Series(values, index=self.data.index)
            if not isinstance(values, pd.Series)
            else values.reindex(self.data.index)
        )
        self.data[name] = series
        self.derived[name] = source or "derived"
        if label:
            self.labels[name] = label

    def counts(self) -> dict[str, int]:
        """Patients per arm, the reference first."""
        counts = self.data["arm"].value_counts()
        return {arm: int(counts.get(arm, 0)) for arm in self.arms}

    def __repr__(self) -> str:
        arms = ", ".join(f"{a} {k}" for a, k in self.counts().items())
        return f"<Cohort {self.source}: {self.n} patients ({arms}); reference {self.reference}>"
