"""Number formats for tables (gtsummary-like defaults) and a plain Markdown/text table writer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = [
    "fmt_num",
    "fmt_p",
    "style_pvalue",
    "fmt_pct",
    "p_text",
    "markdown_table",
    "text_table",
]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_num(value: Any, digits: int = 1) -> str:
    """A number with fixed decimals; ``"NA"`` when missing, ``"Inf"`` when infinite."""
    if _missing(value):
        return "NA"
    if isinstance(value, str):
        return value
    v = float(value)
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    return f"{v:.{digits}f}"


def fmt_p(value: Any) -> str:
    """A p-value as journals print it: ``<0.001`` or three decimals."""
    if _missing(value):
        return "NA"
    v = float(value)
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _round_half_up(value: float, digits: int) -> float:
    """R gtsummary's ``round2``: halves away from zero (0.25 -> 0.3), not to even."""
    from decimal import ROUND_HALF_UP, Decimal

    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def style_pvalue(value: Any, digits: int = 1) -> str:
    """A p-value as gtsummary's ``style_pvalue()`` writes it (``add_p()``'s default).

    ``digits = 1``: ``>0.9``; one decimal from 0.2 (``0.5``, ``0.3`` for 0.25); two from 0.1
    (``0.12``, ``0.10``); three below (``0.060``, ``0.002``); ``<0.001``. ``digits = 2``:
    ``>0.99``; two decimals from 0.1; three below; ``<0.001``. ``"NA"`` when missing or
    outside [0, 1].
    """
    if _missing(value):
        return "NA"
    x = float(value)
    if x > 1 + 1e-15 or x < -1e-15:
        return "NA"
    if digits == 1:
        if x > 0.9:
            return ">0.9"
        if _round_half_up(x, 1) >= 0.2:
            return f"{_round_half_up(x, 1):.1f}"
    elif digits == 2:
        if x > 0.99:
            return ">0.99"
    else:
        raise ValueError(f"digits must be 1 or 2, not {digits!r}")
    if _round_half_up(x, 2) >= 0.1:
        return f"{_round_half_up(x, 2):.2f}"
    if x >= 0.001:
        return f"{_round_half_up(x, 3):.3f}"
    return "<0.001"


def p_text(value: Any, name: str = "p") -> str:
    """A p-value in a sentence or a figure panel: ``p = 0.019``, ``p < 0.001``."""
    text = fmt_p(value)
    return f"{name} {text[0]} {text[1:]}" if text.startswith("<") else f"{name} = {text}"


def fmt_pct(p: Any, digits: int = 1) -> str:
    """A proportion as a percentage."""
    if _missing(p):
        return "NA"
    return f"{100 * float(p):.{digits}f}%"


def _cells(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    return [["" if c is None else str(c) for c in row] for row in rows]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [line(list(map(str, header))), "|" + "|".join(["---"] * len(header)) + "|"]
    out.extend(line(r) for r in _cells(rows))
    return "\n".join(out)


def text_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain fixed-width table for the terminal."""
    body = _cells(rows)
    widths = [
        max(len(str(h)), *(len(r[i]) for r in body)) if body else len(str(h))
        for i, h in enumerate(header)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join(
        [line(list(map(str, header))), line(["-" * w for w in widths]), *(line(r) for r in body)]
    )
