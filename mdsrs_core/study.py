"""Study files (TOML): where the data are, how columns map, and per-endpoint settings.

Format (CONTRACT.md)::

    [cohort]
    data = "patients.csv"          # absolute, or relative to the study file
    adverse_events = "ae.csv"      # optional, long form (patient_id, term, grade)
    adverse_events_complete = true # false: a patient absent from the table is not event-free
    arm = "group"                  # the column holding the arm (default "arm")
    reference = "thalidomide"      # reference level of the arm
    time_unit = "months"           # months, days, weeks or years
    event_codes = {1 = 0, 2 = 1}   # optional: event columns not coded 0/1

    [columns]                      # canonical variable = "your column"
    hgb_base = "HB"
    os_months = "time"             # one column may serve several canonical variables
    aml_months = "time"
    death = "status"               # events from one status column, through [codes]
    aml = "status"

    [codes]                        # per variable: file value -> canonical value
    sex = { 1 = "M", 2 = "F" }
    death = { 0 = 0, 1 = 0, 2 = 1 }
    aml = { 0 = 0, 1 = 1, 2 = 0 }

    [analysis]
    alpha = 0.05                   # significance level the conclusions are stated at
    seed = 20240101                # for resampling methods
    timeout = 600                  # seconds an endpoint may run before it is failed

    [endpoints.os]                 # per-endpoint formula(s) and options
    formula = "Surv(os_months, death) ~ arm + age"
    landmarks = [12, 36, 60]

    [adjust]                       # optional: propensity-score adjustment (docs/adjustment.md)
    formula = "arm ~ age + sex + ipssr_base_score"
    method = "iptw"                # iptw | att | overlap | match; also stabilize, trim, caliper

    [design]                       # optional: mdsrs design's options (docs/design.md)
    n = "60:600:30"
    reps = 10000

Unknown tables or keys are errors (a typo must not be ignored). Endpoint names and options are
checked against the registered endpoints when the study is run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import StudyError
from .study_schema import SECTIONS, table_keys, tables_listed

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Study", "load_example", "EXAMPLE_STUDY"]

EXAMPLE_STUDY = Path(__file__).parent / "example" / "data" / "study.toml"

# known tables and keys: one place, the study-file schema (messages list them from there)
_COHORT_KEYS = table_keys("cohort")
_ANALYSIS_KEYS = table_keys("analysis")
_TABLES = frozenset(SECTIONS)


@dataclass
class Study:
    """A parsed study file (or the same settings given on the command line)."""

    data: Path
    adverse_events: Path | None = None
    adverse_events_complete: bool = True
    arm: str = "arm"
    reference: str | None = None
    time_unit: str = "months"
    event_codes: dict | None = None
    columns: dict[str, str] = field(default_factory=dict)
    #: ``[codes]``: variable -> {file value: canonical value} (see :mod:`mdsrs_core.codes`)
    codes: dict[str, dict] = field(default_factory=dict)
    alpha: float = 0.05
    seed: int | None = None
    timeout: float = 600.0
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None
    #: ``[labels]``: variable -> how tables and figures name it
    labels: dict[str, str] = field(default_factory=dict)
    #: ``[arms]``: arm level -> display name, in the order tables show the arms
    arms: dict[str, str] = field(default_factory=dict)
    #: the checked ``[adjust]`` table (propensity-score adjustment), or None
    adjust: Any = None
    #: ``[design]``: the checked settings of ``mdsrs design`` (:mod:`.design.spec`)
    design: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Study:
        """Read and check a study file."""
        from .inputs import check_regular_file

        path = Path(path)
        check_regular_file(path, "study file", StudyError)
        try:
            # utf-8-sig: a byte-order mark (Notepad, Excel) is accepted, as in data files
            raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except RecursionError:
            from .study_schema import MAX_DEPTH

            raise StudyError(
                f"{path}: not valid TOML for a study file: tables or lists are nested too "
                f"deeply to be read (more than {MAX_DEPTH} levels are refused)."
            ) from None
        except FileNotFoundError:
            raise StudyError(f"{path}: no such study file.") from None
        except UnicodeDecodeError:
            raise StudyError(f"{path}: the study file is not UTF-8 text.") from None
        except tomllib.TOMLDecodeError as exc:
            raise StudyError(f"{path}: not valid TOML: {exc}.") from None
        return cls.from_dict(raw, path=path)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, path: Path | None = None) -> Study:
        where = str(path) if path else "study"
        unknown = set(raw) - _TABLES
        if unknown:
            raise StudyError(
                f"{where}: unknown table{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(f'[{u}]' for u in sorted(unknown))}; a study file has "
                f"{tables_listed()}."
            )
        from .study_schema import check_study_shape

        check_study_shape(raw, where)
        cohort = raw.get("cohort", {})
        bad = set(cohort) - _COHORT_KEYS
        if bad:
            raise StudyError(
                f"{where}: unknown key{'s' if len(bad) > 1 else ''} in [cohort]: "
                f"{', '.join(sorted(bad))}; known: {', '.join(sorted(_COHORT_KEYS))}."
            )
        if "data" not in cohort:
            raise StudyError(f'{where}: [cohort] needs data = "FILE", the patient table.')
        analysis = raw.get("analysis", {})
        bad = set(analysis) - _ANALYSIS_KEYS
        if bad:
            raise StudyError(
                f"{where}: unknown key in [analysis]: {', '.join(sorted(bad))}; "
                f"known: {', '.join(sorted(_ANALYSIS_KEYS))}."
            )
        base = path.parent if path else Path.cwd()
        endpoints = raw.get("endpoints", {})
        for name, settings in endpoints.items():
            if not isinstance(settings, dict):
                raise StudyError(f"{where}: [endpoints.{name}] must be a table of settings.")
        columns = raw.get("columns", {})
        for canon, user in columns.items():
            if not isinstance(user, str):
                raise StudyError(f"{where}: [columns] {canon} must name a column as text.")
        _check_types(
            where,
            cohort,
            {
                "data": str,
                "adverse_events": str,
                "arm": str,
                "reference": str,
                "time_unit": str,
                "adverse_events_complete": bool,
                "event_codes": dict,
            },
            "[cohort]",
        )
        _check_types(where, analysis, {"seed": int}, "[analysis]")
        names = {}
        for table in ("labels", "arms"):
            names[table] = raw.get(table, {})
            bad_names = [k for k, v in names[table].items() if not isinstance(v, str) or not v]
            if bad_names:
                raise StudyError(
                    f"{where}: [{table}] {bad_names[0]} must be a name as text in quotes, "
                    f"not {names[table][bad_names[0]]!r}."
                )
        from .cohort import TIME_UNITS
        from .validation import event_codes_problem

        unit = cohort.get("time_unit", "months")
        if unit not in TIME_UNITS:
            raise StudyError(
                f"{where}: [cohort] time_unit must be one of {', '.join(TIME_UNITS)}, not {unit!r}."
            )
        if "event_codes" in cohort:
            problem = event_codes_problem(cohort["event_codes"])
            if problem:
                raise StudyError(f"{where}: [cohort] {problem}.")
        codes = raw.get("codes", {})
        if codes:
            from .codes import codes_problem

            problem = codes_problem(codes)
            if problem:
                raise StudyError(f"{where}: {problem}.")
        timeout = analysis.get("timeout", 600.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise StudyError(f"{where}: [analysis] timeout must be a number of seconds above 0.")
        adjust = None
        if "adjust" in raw:
            from .adjust.spec import adjust_spec

            adjust = adjust_spec(raw["adjust"], f"{where}: [adjust]")
        design: dict[str, Any] = {}
        if "design" in raw:
            from .design.spec import design_spec

            design = design_spec(raw["design"], where)
        alpha = analysis.get("alpha", 0.05)
        if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
            raise StudyError(f"{where}: [analysis] alpha must be a number between 0 and 1.")
        from .bounds import ANALYSIS_RANGES, range_problem

        for key in ("timeout", "seed"):
            problem = range_problem(analysis.get(key), ANALYSIS_RANGES[key])
            if problem:
                raise StudyError(f"{where}: [analysis] {key} {problem}.")
        return cls(
            data=_resolve(base, cohort["data"]),
            adverse_events=_resolve(base, cohort["adverse_events"])
            if cohort.get("adverse_events")
            else None,
            adverse_events_complete=bool(cohort.get("adverse_events_complete", True)),
            arm=cohort.get("arm", "arm"),
            reference=cohort.get("reference"),
            time_unit=cohort.get("time_unit", "months"),
            event_codes=cohort.get("event_codes"),
            columns=dict(columns),
            codes={k: dict(v) for k, v in codes.items()},
            alpha=float(alpha),
            seed=analysis.get("seed"),
            timeout=float(timeout),
            endpoints={k: dict(v) for k, v in endpoints.items()},
            path=path,
            labels=dict(names["labels"]),
            arms=dict(names["arms"]),
            adjust=adjust,
            design=design,
        )

    def cohort(self, *, derive: bool = True):
        """Read and validate the cohort this study describes."""
        from .cohort import Cohort

        cohort = Cohort.read(
            self.data,
            adverse_events=self.adverse_events,
            columns=self.columns,
            arm=self.arm,
            reference=self.reference,
            time_unit=self.time_unit,
            event_codes=self.event_codes,
            codes=self.codes or None,
            adverse_events_complete=self.adverse_events_complete,
            derive=derive,
        )
        self.apply_labels(cohort)
        return cohort

    def apply_labels(self, cohort) -> None:
        """Give ``cohort`` the study's ``[labels]`` and ``[arms]`` (display names and order);
        an ``[arms]`` name that is no arm of the data is an error naming the arms."""
        cohort.labels.update(self.labels)
        unknown = [a for a in self.arms if a not in cohort.arms]
        if unknown:
            where = str(self.path) if self.path else "study"
            raise StudyError(
                f"{where}: [arms] {unknown[0]!r} is not an arm of the data; the arms are "
                f"{', '.join(repr(a) for a in cohort.arms)}."
            )
        cohort.arm_labels = dict(self.arms)


_TYPE_NAMES = {
    str: "text in quotes",
    bool: "true or false",
    int: "a whole number",
    dict: "a table such as {1 = 0, 2 = 1}",
}


def _check_types(where: str, table: dict, types: dict, name: str) -> None:
    for key, kind in types.items():
        value = table.get(key)
        if value is None:
            continue
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            raise StudyError(f"{where}: {name} {key} must be {_TYPE_NAMES[kind]}, not {value!r}.")


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def load_example():
    """The bundled synthetic example cohort (62 patients; see docs/example-cohort.md)."""
    return Study.load(EXAMPLE_STUDY).cohort()
