"""Analysis-results records: one statistic per record (gtsummary 2's "cards").

Every number mdsrs reports is first a :class:`Record`; tables, the printed summary and the
report are formatted from records and never compute a number a second time.

Fields (``results.json`` keys):

``endpoint``
    the endpoint name (``"response"``, ``"os"``...).
``arm``
    the arm level the statistic describes, or ``None`` for between-arm and whole-cohort
    statistics (differences, ratios, p-values, overall columns).
``variable``
    the canonical variable or quantity (``"responder"``, ``"hgb_post"``...).
``level``
    a level of ``variable`` (a category, a landmark time, a model term) or ``None``.
``stat``
    broom/cards-style statistic name: ``n``, ``N``, ``p``, ``mean``, ``sd``, ``median``,
    ``p25``, ``p75``, ``estimate``, ``std_error``, ``statistic``, ``p_value``, ``conf_low``,
    ``conf_high``, ``smd``...
``value``
    the number (``None`` when not estimable; ``inf`` is written as ``"Inf"``).
``label``
    human-readable name of ``variable``/``level``.
``method``
    the method that produced the value (e.g. ``"Fisher's exact test"``).
``n``
    the number of patients the statistic is computed on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["Record", "RecordIndex", "records_to_json", "records_from_json", "records_frame"]


@dataclass(frozen=True)
class Record:
    """One statistic (see the module docstring for the meaning of each field)."""

    endpoint: str
    arm: str | None
    variable: str
    stat: str
    value: Any
    level: str | None = None
    label: str | None = None
    method: str | None = None
    n: int | None = None

    def to_dict(self) -> dict[str, Any]:
        # the fields in their order, as dataclasses.asdict gives them (without its deep
        # copy of each value: ten times faster, and results.json has thousands of records)
        d = {name: getattr(self, name) for name in _FIELD_NAMES}
        d["value"] = _json_value(self.value)
        if d["n"] is not None:
            d["n"] = int(d["n"])
        return d


_FIELD_NAMES = tuple(f.name for f in fields(Record))


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python scalar (numpy is not imported here)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        v = value
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "Inf" if v > 0 else "-Inf"
        return v
    return str(value)


def records_to_json(records: list[Record], **kwargs: Any) -> str:
    """Serialise records to the JSON text of ``results.json`` (stable key order)."""
    kwargs.setdefault("indent", 1)
    return json.dumps([r.to_dict() for r in records], ensure_ascii=False, **kwargs) + "\n"


def records_from_json(text: str) -> list[Record]:
    """Read records back from ``results.json`` text."""
    names = {f.name for f in fields(Record)}
    out = []
    for item in json.loads(text):
        value = item.get("value")
        if value == "Inf":
            value = math.inf
        elif value == "-Inf":
            value = -math.inf
        item = {k: v for k, v in item.items() if k in names}
        item["value"] = value
        out.append(Record(**item))
    return out


def records_frame(records: list[Record]):
    """Records as a pandas DataFrame, one row per record."""
    import pandas as pd

    rows = [{name: getattr(r, name) for name in _FIELD_NAMES} for r in records]
    return pd.DataFrame(rows, columns=list(_FIELD_NAMES))


class RecordIndex:
    """Records looked up by ``(variable, arm, level, stat)``: what tables, summaries and
    figures use to find the numbers they format.

    Where several records share a key (two models of one outcome), ``method`` tells them
    apart; otherwise the first record with the key is returned.
    """

    def __init__(self, records: Iterable[Record]):
        self._by: dict[tuple, list[Record]] = {}
        for r in records:
            self._by.setdefault((r.variable, r.arm, r.level, r.stat), []).append(r)

    def __iter__(self):
        """The keys ``(variable, arm, level, stat)``, in record order."""
        return iter(self._by)

    def __contains__(self, key: object) -> bool:
        return key in self._by

    def get(
        self,
        variable: str,
        arm: str | None,
        level: str | None,
        stat: str,
        method: str | None = None,
    ) -> Record | None:
        """The record with this key (and ``method``, when given), or ``None``."""
        found = self._by.get((variable, arm, level, stat), [])
        if method is not None:
            found = [r for r in found if r.method == method]
        return found[0] if found else None

    def value(
        self,
        variable: str,
        arm: str | None,
        level: str | None,
        stat: str,
        method: str | None = None,
    ) -> Any:
        """The record's value; ``None`` when there is no record or its value is missing."""
        r = self.get(variable, arm, level, stat, method)
        if r is None or r.value is None:
            return None
        if isinstance(r.value, float) and math.isnan(r.value):
            return None
        return r.value

    def arms(self, variable: str, stat: str = "N") -> list[str]:
        """The arms with a ``stat`` record of ``variable``, in record order."""
        return list(
            dict.fromkeys(
                arm
                for (v, arm, _level, s) in self._by
                if v == variable and s == stat and arm is not None
            )
        )

    def levels(self, variable: str, stat: str, arm: str | None = None) -> list[str]:
        """The levels of ``variable`` with a ``stat`` record (for ``arm``), in record order."""
        return list(
            dict.fromkeys(
                level
                for (v, a, level, s) in self._by
                if v == variable and s == stat and a == arm and level is not None
            )
        )
