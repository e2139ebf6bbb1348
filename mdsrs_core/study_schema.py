"""The shape of a study file: which tables it has, and what kind of value each key takes.

A small declarative schema, checked on the parsed TOML before anything else reads it, so
that a key of the wrong shape (text where a table is expected, a list for ``[columns]``, an
array of tables ``[[cohort]]``, a number for ``[analysis]``) is one
:class:`~mdsrs_core.errors.StudyError` naming the key and the shape expected, never a
``TypeError`` deeper down. Values nested deeper than :data:`MAX_DEPTH` levels are refused
too (Python's TOML reader itself runs out of stack near 1,000; :meth:`Study.load
<mdsrs_core.study.Study.load>` turns that into the same kind of message).

One entry of :data:`SECTIONS` per table: an issue adding a table (``[codes]``, ``[adjust]``)
adds its :class:`Table` here. Why not a validation library: jsonschema or pydantic would be
a runtime dependency (and 50-150 ms of import) for a dozen keys whose messages must be
worded as the rest of mdsrs's; this module is standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import StudyError

__all__ = [
    "Shape",
    "Table",
    "SECTIONS",
    "MAX_DEPTH",
    "check_study_shape",
    "shape_name",
    "table_keys",
    "tables_listed",
]

#: Deepest nesting of tables and lists accepted in a study file.
MAX_DEPTH = 8


@dataclass(frozen=True)
class Shape:
    """A value's expected kind: ``"text"``, ``"bool"``, ``"int"``, ``"number"``,
    ``"table"`` (any table; ``values``: the shape of each value) or ``"any"``; ``describe``
    is how a message names it; ``message`` (optional) words the whole error
    (``{where}``, ``{key}`` and ``{value}`` filled in)."""

    kind: str
    describe: str
    values: Shape | None = None
    message: str | None = None


TEXT = Shape("text", "text in quotes")
BOOL = Shape("bool", "true or false")
INT = Shape("int", "a whole number")
NUMBER = Shape("number", "a number")
ANY = Shape("any", "a value")
CODES = Shape("table", "a table such as {1 = 0, 2 = 1}")


@dataclass(frozen=True)
class Table:
    """A top-level table: its known ``keys`` and their shapes (``None``: any key, each of
    shape ``values``)."""

    keys: Mapping[str, Shape] | None = None
    values: Shape = ANY
    hint: str = "key = value lines"
    required: tuple[str, ...] = field(default=())


SECTIONS: dict[str, Table] = {
    "cohort": Table(
        {
            "data": TEXT,
            "adverse_events": TEXT,
            "adverse_events_complete": BOOL,
            "arm": TEXT,
            "reference": TEXT,
            "time_unit": TEXT,
            "event_codes": CODES,
        }
    ),
    "columns": Table(
        values=Shape(
            "text",
            "the name of a column as text",
            message="{where}: [columns] {key} must name a column as text.",
        ),
        hint='canonical_variable = "your column" lines',
    ),
    "codes": Table(
        values=Shape(
            "table",
            'a table mapping the file\'s values to canonical values, e.g. { 1 = "M", 2 = "F" }',
            message="{where}: [codes] {key} must be a table mapping the file's values to "
            'canonical values, e.g. [codes] sex = {{ 1 = "M", 2 = "F" }}.',
        ),
        hint="variable = { CODE = VALUE, ... } lines",
    ),
    "analysis": Table({"alpha": NUMBER, "seed": INT, "timeout": NUMBER}),
    "endpoints": Table(
        values=Shape(
            "table",
            "a table of settings",
            message="{where}: [endpoints.{key}] must be a table of settings.",
        ),
        hint="[endpoints.NAME] tables",
    ),
    "labels": Table(values=Shape("text", "a name as text in quotes")),
    "arms": Table(values=Shape("text", "a name as text in quotes")),
    # its keys and values are checked by mdsrs_core.adjust.spec (it lists them)
    "adjust": Table(hint='formula = "arm ~ ..." and other key = value lines'),
    # mdsrs design's options (ranges and choices: mdsrs_core/design/spec.py)
    "design": Table(
        {
            "n": ANY,
            "reps": INT,
            "seed": INT,
            "power": NUMBER,
            "alpha": NUMBER,
            "allocation": NUMBER,
            "accrual": NUMBER,
            "follow_up": NUMBER,
            "dropout": NUMBER,
            "dropout_time": NUMBER,
            "os_model": TEXT,
            "hazard_ratio": NUMBER,
            "response_rates": ANY,
            "ae_test": TEXT,
            "workers": INT,
            "scheduler": TEXT,
        },
        hint="option = value lines, e.g. reps = 10000",
    ),
}


def table_keys(section: str) -> frozenset[str]:
    """The known keys of a table whose keys are fixed (``[cohort]``, ``[analysis]``)."""
    keys = SECTIONS[section].keys
    assert keys is not None, section
    return frozenset(keys)


def tables_listed() -> str:
    """The tables of a study file as messages list them, in :data:`SECTIONS`' order:
    ``[cohort], [columns], ..., [endpoints.NAME], ... and [adjust]``."""
    names = [f"[{n}.NAME]" if n == "endpoints" else f"[{n}]" for n in SECTIONS]
    return ", ".join(names[:-1]) + " and " + names[-1]


def shape_name(value: Any) -> str:
    """What a TOML value is, in a user's words (``"an array of tables"``, ``"text"``...)."""
    if isinstance(value, bool):
        return f"true or false ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text ({shown!r})"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "an array of tables"
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__  # dates and times


def _fits(value: Any, shape: Shape) -> bool:
    if shape.kind == "any":
        return True
    if shape.kind == "text":
        return isinstance(value, str)
    if shape.kind == "bool":
        return isinstance(value, bool)
    if shape.kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if shape.kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if shape.kind == "table":
        return isinstance(value, dict)
    raise ValueError(shape.kind)  # pragma: no cover


def _depth(value: Any) -> int:
    """How deeply tables and lists nest in ``value`` (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[Any] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def _key_error(where: str, section: str, key: str, value: Any, shape: Shape) -> StudyError:
    if shape.message:
        return StudyError(shape.message.format(where=where, key=key, value=value))
    shown = repr(value) if not isinstance(value, (dict, list)) else shape_name(value)
    return StudyError(f"{where}: [{section}] {key} must be {shape.describe}, not {shown}.")


def check_study_shape(raw: Mapping[str, Any], where: str) -> None:
    """Raise :class:`StudyError` at the first table or key of ``raw`` (a parsed study file)
    whose shape differs from :data:`SECTIONS`, or where values nest too deeply. Unknown
    tables and keys are left to the caller (its messages list the known ones)."""
    if _depth(raw) > MAX_DEPTH:
        raise StudyError(
            f"{where}: tables and lists are nested more than {MAX_DEPTH} levels deep; a study "
            'file needs at most 3 (e.g. [endpoints.os] formulas = {cox = "..."}).'
        )
    for name, table in SECTIONS.items():
        if name not in raw:
            continue
        section = raw[name]
        if not isinstance(section, dict):
            what = shape_name(section)
            if what == "an array of tables":
                what += f" ([[{name}]] with double brackets)"
            raise StudyError(
                f"{where}: [{name}] must be a table (a [{name}] header followed by "
                f"{table.hint}), not {what}."
            )
        for key, value in section.items():
            shape = table.values if table.keys is None else table.keys.get(key)
            if shape is None:
                continue  # unknown: the caller's message lists the known keys
            if not _fits(value, shape):
                raise _key_error(where, name, key, value, shape)
