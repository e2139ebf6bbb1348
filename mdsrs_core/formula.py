"""R-style model formulas -> model frames: the one adapter over the formula engine (patsy).

Every model in :mod:`mdsrs_core.models` turns its formula and data into numbers here and
nowhere else, so the engine (patsy today) could be swapped without touching the models --
the idea of statsmodels' formula manager.

What :func:`model_frame` does, mirroring R's ``model.frame`` + ``model.matrix``:

* the left-hand side is a column (or an expression), ``Surv(time, event)`` or the
  counting-process ``Surv(start, stop, event)`` (R's ``type = "counting"``: one row per
  ``(start, stop]`` interval);
* ``strata(x)`` / ``strata(x, y)`` terms are taken out of the right-hand side and returned
  as one label per row, R-style ``"x=a, y=b"``; a ``cluster(id)`` term is taken out
  likewise and returned as the id of each row (R's ``cluster()`` for robust variances);
* ``weights=`` (a column name or one value per row) gives case weights, as R's
  ``model.frame(..., weights = w)``: a row with a missing weight is dropped and counted;
* rows with a missing value in any variable the formula names are dropped and counted
  (R's default ``na.action = na.omit``);
* unused levels of categorical columns are dropped (R's ``drop.unused.levels = TRUE``);
* categorical coding is treatment coding (R's ``contr.treatment``): a pandas Categorical
  uses its first category as reference, a text column its sorted levels as R does, and
  ``C(x, Treatment("level"))`` picks another reference (R's ``relevel``). A
  :class:`~mdsrs_core.Cohort` passed as ``data`` sets the reference of ``arm`` to its
  ``arm_reference``;
* column names that are not Python identifiers are written with backquotes as in R
  (```Age (years)```) or with patsy's ``Q("Age (years)")``;
* ``log``, ``exp`` and ``sqrt`` may be used as in R (and any ``np.`` function).

Every problem is a :class:`mdsrs_core.errors.FormulaError` with a one-paragraph message.
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mdsrs_core._lazy import lazy_module
from mdsrs_core.errors import FormulaError
from mdsrs_core.formula_check import check_formula

if TYPE_CHECKING:  # pragma: no cover
    import patsy
else:
    patsy = lazy_module("patsy")  # imported when a model frame is first built

__all__ = [
    "ModelFrame",
    "display_name",
    "evaluate",
    "formula_columns",
    "model_frame",
    "quote_names",
    "split_formula",
    "split_top_level",
]


def _factor(*args: Any, **kwargs: Any) -> Any:
    """R's ``factor(x)``: patsy's ``C(x)`` (a function, so that patsy is imported on use)."""
    return patsy.builtins.C(*args, **kwargs)


# Names a formula may use that are not columns: patsy's built-ins and our R aliases.
_FUNCTIONS: dict[str, Any] = {
    "np": np,
    "numpy": np,
    "log": np.log,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "log2": np.log2,
    "log10": np.log10,
    "log1p": np.log1p,
    "abs": np.abs,
    "factor": _factor,  # R's factor(x): a number-coded column as a factor, as C(x)
}
_PATSY_NAMES = {
    "C",
    "I",
    "Q",
    "Treatment",
    "Sum",
    "Helmert",
    "Poly",
    "Diff",
    "ContrastMatrix",
    "center",
    "standardize",
    "scale",
    "bs",
    "cr",
    "cc",
    "te",
    "np",
    "numpy",
}
#: build the common design shapes without patsy (tests compare both paths)
_FAST_DESIGN = True
_SURV = re.compile(r"^\s*Surv\s*\((.*)\)\s*$", re.DOTALL)


#: ``ModelFrame._positions`` when every row of the data given is used
EVERY_ROW = slice(None)


@dataclass
class ModelFrame:
    """The numbers a model is fitted to, and the bookkeeping of how they were obtained."""

    formula: str
    outcome: pd.Series | None  # LHS for ordinary formulas (None for a Surv LHS)
    outcome_name: str | None
    time: np.ndarray | None  # Surv(time, event) LHS; the stop time of Surv(start, stop, event)
    event: np.ndarray | None  # 0/1 ints
    design: pd.DataFrame  # RHS design matrix; 'Intercept' included iff include_intercept
    strata: pd.Series | None  # "x=a, y=b" per row for strata() terms; None when absent
    n_input: int
    n_dropped: int  # rows dropped for missing values in the formula's variables
    dropped: pd.Index  # their index labels
    term_names: list[str]  # design columns except Intercept
    start: np.ndarray | None = None  # start times of a Surv(start, stop, event) LHS
    cluster: pd.Series | None = None  # the cluster(id) term's value per row; None when absent
    weights: np.ndarray | None = None  # case weights of the rows used (weights=); None when absent
    #: the rows used of the data given, every column (``data``), taken when first read
    _data: pd.DataFrame | None = field(default=None, repr=False)
    _source: pd.DataFrame | None = field(default=None, repr=False)
    #: the positions of the rows used in ``_source``; :data:`EVERY_ROW` when all are used
    #: (no n-sized array of positions held with the frame for the commonest case)
    _positions: np.ndarray | slice | None = field(default=None, repr=False)
    #: the formula's own columns for the rows used (``variables``)
    _variables: pd.DataFrame | None = field(default=None, repr=False)
    #: the columns ``variables`` holds, built from ``_source`` on first read
    _variable_columns: tuple[str, ...] | None = field(default=None, repr=False)

    @property
    def data(self) -> pd.DataFrame:
        """The rows used (complete cases in the formula's variables), with every column of
        the data given (taken from it when first read: a fit that never asks copies only the
        formula's columns)."""
        if self._data is None:
            if self._source is None or self._positions is None:
                raise AttributeError("this model frame keeps no data")
            self._data = self._source.iloc[self._row_positions()]
        return self._data

    def _row_positions(self) -> np.ndarray:
        """The positions of the rows used, as an array (made here for :data:`EVERY_ROW`)."""
        assert self._source is not None and self._positions is not None
        if isinstance(self._positions, slice):
            return np.arange(len(self._source))
        return self._positions

    def rows_of(self, values: np.ndarray) -> np.ndarray:
        """A new array of ``values`` (one per row of the data given) at the rows used."""
        assert self._positions is not None
        if isinstance(self._positions, slice):
            return np.array(values[self._positions])
        return values[self._positions]

    @property
    def variables(self) -> pd.DataFrame:
        """The formula's own columns (and the weights column) for the rows used, indexed as
        ``data``: what grouping and evaluating the formula's terms needs, without copying
        the other columns of a wide cohort."""
        if self._variables is None and self._variable_columns is not None:
            assert self._source is not None and self._positions is not None
            source, rows = self._source, self._positions
            every = isinstance(rows, slice) or len(rows) == len(source)
            arrays = {}
            for name in self._variable_columns:
                column = source[name]
                if isinstance(column.dtype, pd.CategoricalDtype):
                    codes: Any = column.cat.codes.to_numpy()
                    arrays[name] = pd.Categorical.from_codes(
                        codes if every else codes[rows], dtype=column.dtype
                    ).remove_unused_categories()
                else:
                    values = column.array
                    arrays[name] = values.copy() if every else values.take(rows)
            self._variables = pd.DataFrame(
                arrays, index=source.index if every else source.index[rows]
            )
        if self._variables is None:
            return self.data
        return self._variables

    @property
    def nobs(self) -> int:
        """Number of rows used."""
        return len(self.design)

    @property
    def include_intercept(self) -> bool:
        """Whether the design matrix has an ``Intercept`` column."""
        return "Intercept" in self.design.columns


# --------------------------------------------------------------------------- parsing


_DOTTED = re.compile(r"(?<![\w.'\"])([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)(?![\w(])")


def quote_names(formula: str, columns: Any = ()) -> str:
    """Rewrite R's ```name``` as patsy's ``Q("name")``, and likewise a bare dotted name
    (R's ``ph.ecog``) that is a column of the data (Python would read it as an attribute)."""

    def repl(match: re.Match[str]) -> str:
        return "Q(" + repr(match.group(1)) + ")"

    from mdsrs_core.formula_check import quote_keywords

    text = quote_keywords(re.sub(r"`([^`]*)`", repl, formula))
    names = {str(c) for c in columns}
    parts = re.split(r"(Q\((?:'[^']*'|\"[^\"]*\")\))", text)  # leave Q("...") alone
    return "".join(
        part
        if part.startswith("Q(")
        else _DOTTED.sub(lambda m: repl(m) if m.group(1) in names else m.group(1), part)
        for part in parts
    )


def r_term_name(name: str) -> str:
    """A design column as R names it where patsy's quoting differs: ``Q('ph.ecog')`` is
    ``ph.ecog``."""
    return re.sub(r"Q\((['\"])(.*?)\1\)", r"\2", name)


def split_top_level(text: str, sep: str) -> list[str]:
    """Split ``text`` at ``sep`` characters that are outside parentheses and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def split_formula(formula: str) -> tuple[str | None, str]:
    """Split ``"lhs ~ rhs"`` into its two sides (``lhs`` is None for ``"~ rhs"``)."""
    sides = split_top_level(formula, "~")
    if len(sides) != 2 or not sides[1].strip():
        raise FormulaError(
            f"The formula {formula!r} is not of the form 'outcome ~ terms': it needs exactly "
            "one '~' with terms on its right (for example 'y ~ arm + age')."
        )
    lhs = sides[0].strip() or None
    return lhs, sides[1].strip()


def _take_strata(rhs: str, formula: str, special: str = "strata") -> tuple[str, list[str]]:
    """Remove ``strata(...)`` terms (or another ``special`` such as ``cluster``) from the
    right-hand side; return it and their arguments."""
    kept, strata_args = [], []
    for term in split_top_level(rhs, "+"):
        match = re.fullmatch(rf"\s*{special}\s*\((.*)\)\s*", term, re.DOTALL)
        if match:
            args = [a.strip() for a in split_top_level(match.group(1), ",") if a.strip()]
            if not args:
                raise FormulaError(f"{special}() in the formula {formula!r} names no variable.")
            strata_args.extend(args)
        else:
            kept.append(term)
    new_rhs = "+".join(kept).strip()
    if not new_rhs:
        new_rhs = "1"
    return new_rhs, strata_args


# --------------------------------------------------------------------------- variables


def _parse_code(code: str, formula: str) -> ast.expr:
    try:
        return ast.parse(code.strip(), mode="eval").body
    except SyntaxError as err:
        raise FormulaError(
            f"The formula {formula!r} has a syntax error in {code.strip()!r}: {err.msg}. "
            "Use R-style terms such as 'y ~ arm + age', with backquotes around column names "
            "that contain spaces or symbols (`Age (years)`)."
        ) from None


def _names_in(node: ast.expr) -> tuple[list[str], list[str], list[str]]:
    """Names an expression refers to: (bare names, names quoted with Q("..."), functions).

    Attributes of modules (``np.log``) are not collected.
    """
    bare: list[str] = []
    quoted: list[str] = []
    called: list[str] = []

    def visit(n: ast.AST) -> None:
        if isinstance(n, ast.Call):
            func = n.func
            if isinstance(func, ast.Name) and func.id == "Q":
                if n.args and isinstance(n.args[0], ast.Constant):
                    quoted.append(str(n.args[0].value))
                return
            if isinstance(func, ast.Name):
                called.append(func.id)
            else:
                visit(func)
            for arg in n.args:
                visit(arg)
            for kw in n.keywords:
                visit(kw.value)
            return
        if isinstance(n, ast.Attribute):
            return  # np.pi, np.log: module attributes, not columns
        if isinstance(n, ast.Name):
            bare.append(n.id)
            return
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return bare, quoted, called


def _check_columns(codes: list[str], columns: pd.Index, formula: str) -> list[str]:
    """Return the columns the expressions name, in order; unknown names are an error.

    Which functions may be called was settled by :func:`check_formula` already.
    """
    used: list[str] = []
    colset = set(map(str, columns))
    for code in codes:
        bare, quoted, _called = _names_in(_parse_code(code, formula))
        for name in bare + quoted:
            if name in colset:
                if name not in used:
                    used.append(name)
            elif name in quoted or not (name in _PATSY_NAMES or name in _FUNCTIONS):
                _unknown_column(name, columns, formula)
    return used


def _unknown_column(name: str, columns: pd.Index, formula: str) -> None:
    names = [str(c) for c in columns]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
    raise FormulaError(
        f"The formula {formula!r} names the column {name!r}, which is not in the data.{hint} "
        f"Columns available: {shown}. Write names that are not Python identifiers with "
        "backquotes, e.g. `Age (years)`."
    )


def _rhs_codes(rhs: str, formula: str) -> tuple[patsy.ModelDesc, list[str]]:
    try:
        desc = patsy.ModelDesc.from_formula(rhs)
    except patsy.PatsyError as err:
        raise FormulaError(
            f"The formula {formula!r} has a syntax error: {err.message}. Use R-style terms "
            "such as 'y ~ arm + age + arm:age'."
        ) from None
    codes = [f.code for term in desc.rhs_termlist for f in term.factors]
    return desc, codes


# --------------------------------------------------------------------------- evaluation


def evaluate(code: str, frame: pd.DataFrame, formula: str) -> pd.Series:
    """Evaluate one expression (a column name, ``Q("...")`` or arithmetic) on ``frame``."""
    node = _parse_code(code, formula)
    if isinstance(node, ast.Name) and node.id in frame.columns:
        return frame[node.id]
    namespace: dict[str, Any] = {"__builtins__": {}, **_FUNCTIONS}
    namespace["Q"] = lambda name: frame[name]
    namespace["I"] = lambda value: value
    local = {c: frame[c] for c in frame.columns if isinstance(c, str) and c.isidentifier()}
    try:
        value = eval(compile(code.strip(), "<formula>", "eval"), namespace, local)
    except Exception as err:  # noqa: BLE001 - any evaluation failure is the user's formula
        raise FormulaError(
            f"The expression {code.strip()!r} in the formula {formula!r} cannot be "
            f"evaluated on the data: {type(err).__name__}: {err}."
        ) from None
    if np.ndim(value) == 0:
        value = np.repeat(value, len(frame))
    return pd.Series(np.asarray(value), index=frame.index, name=code.strip())


def _with_references(data: Any) -> pd.DataFrame:
    """The frame of ``data`` (a DataFrame or a Cohort), with the arm reference applied."""
    frame = data if isinstance(data, pd.DataFrame) else getattr(data, "data", None)
    if not isinstance(frame, pd.DataFrame):
        raise FormulaError(
            f"data must be a pandas DataFrame or a Cohort, not {type(data).__name__}."
        )
    reference = getattr(data, "arm_reference", None)
    if reference is not None and "arm" in frame.columns:
        arm = frame["arm"]
        if not isinstance(arm.dtype, pd.CategoricalDtype):
            levels = sorted(pd.unique(arm.dropna()), key=str)
            if reference in levels:
                levels = [reference] + [lv for lv in levels if lv != reference]
                frame = frame.copy(deep=False)  # assign() would copy every column
                frame["arm"] = pd.Categorical(arm, categories=levels)
    return frame


def _drop_unused_levels(frame: pd.DataFrame) -> pd.DataFrame:
    """R's ``drop.unused.levels = TRUE``: unused categories of Categorical columns go."""
    out = frame.copy(deep=False)  # columns are replaced, never changed in place
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].cat.remove_unused_categories()
    return out


def _rows_text(labels: pd.Index, limit: int = 10) -> str:
    shown = ", ".join(str(x) for x in list(labels)[:limit])
    more = f" and {len(labels) - limit} more" if len(labels) > limit else ""
    return shown + more


def _surv_lhs(args_text: str, frame: pd.DataFrame, formula: str) -> list[pd.Series]:
    """The columns of ``Surv(time, event)`` or ``Surv(start, stop, event)``."""
    args = [a.strip() for a in split_top_level(args_text, ",")]
    if len(args) not in (2, 3) or not all(args):
        raise FormulaError(
            f"Surv() in the formula {formula!r} needs two arguments, Surv(time, event), "
            "e.g. Surv(os_months, death), or three for (start, stop] intervals, "
            "Surv(start, stop, event)."
        )
    return [evaluate(a, frame, formula) for a in args]


def _check_start(
    start: pd.Series, stop: np.ndarray, labels: pd.Index, codes: list[str], formula: str
) -> np.ndarray:
    """Start times of ``Surv(start, stop, event)``: finite numbers below their stop time."""
    numeric = pd.to_numeric(start, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numeric)
    if bad.any():
        raise FormulaError(
            f"The start column {codes[0]!r} of the formula {formula!r} must be a number; "
            f"rows {_rows_text(labels[bad])} hold "
            f"{', '.join(sorted({str(v) for v in start.to_numpy()[bad]})[:10])}."
        )
    bad = ~(numeric < stop)
    if bad.any():
        raise FormulaError(
            f"In the formula {formula!r} each interval must end after it starts "
            f"({codes[1]} > {codes[0]}, as R's Surv(start, stop, event) requires); rows "
            f"{_rows_text(labels[bad])} have {codes[1]} <= {codes[0]}."
        )
    return numeric


def _weights_column(weights: Any, work: pd.DataFrame, formula: str) -> pd.Series:
    """``weights=`` as one float per row of ``work`` (NaN where missing)."""
    if isinstance(weights, str):
        if weights not in work.columns:
            _unknown_column(weights, work.columns, formula)
        values = work[weights]
        name = weights
    else:
        values = pd.Series(np.asarray(weights).reshape(-1), index=None)
        name = "weights"
        if len(values) != len(work):
            raise FormulaError(
                f"weights= for the formula {formula!r} has {len(values)} values for "
                f"{len(work)} rows of data: give one weight per row, or a column name."
            )
    numeric = pd.to_numeric(pd.Series(values.to_numpy()), errors="coerce")
    text_bad = numeric.isna().to_numpy() & pd.Series(values.to_numpy()).notna().to_numpy()
    if text_bad.any():
        raise FormulaError(
            f"The weights {name!r} for the formula {formula!r} must be numbers; rows "
            f"{_rows_text(work.index[text_bad])} hold "
            f"{', '.join(sorted({str(v) for v in values.to_numpy()[text_bad]})[:10])}."
        )
    return pd.Series(numeric.to_numpy(dtype=float), index=work.index, name=name)


def _check_weights(weights: np.ndarray, labels: pd.Index, name: str, formula: str) -> None:
    bad = ~(np.isfinite(weights) & (weights >= 0))
    if bad.any():
        raise FormulaError(
            f"The weights {name!r} for the formula {formula!r} must be finite and >= 0 "
            f"(R: 'weights must be finite', 'negative weights not allowed'); rows "
            f"{_rows_text(labels[bad])} hold "
            f"{', '.join(sorted({f'{v:g}' for v in weights[bad]})[:10])}."
        )


def _check_event(event: pd.Series, labels: pd.Index, code: str, formula: str) -> np.ndarray:
    values = event.to_numpy()
    if values.dtype == bool:
        return values.astype(int)
    numeric = pd.to_numeric(event, errors="coerce")
    bad = ~numeric.isin([0, 1]).to_numpy()
    if bad.any():
        offending = sorted({str(v) for v in values[bad]})
        raise FormulaError(
            f"The event column {code!r} of the formula {formula!r} must be 0/1 (1 = event) "
            f"or true/false; it holds {', '.join(offending[:10])} in rows "
            f"{_rows_text(labels[bad])}."
        )
    return numeric.to_numpy().astype(int)


def _check_time(time: pd.Series, labels: pd.Index, code: str, formula: str) -> np.ndarray:
    numeric = pd.to_numeric(time, errors="coerce").to_numpy(dtype=float)
    # time 0 is valid, as in R's Surv() (censored or an event on day 0); negative is not
    bad = ~(np.isfinite(numeric) & (numeric >= 0))
    if bad.any():
        raise FormulaError(
            f"The time column {code!r} of the formula {formula!r} must be a number >= 0 for "
            f"survival models; rows {_rows_text(labels[bad])} hold "
            f"{', '.join(sorted({str(v) for v in time.to_numpy()[bad]})[:10])}."
        )
    return numeric


def _strata_labels(frame: pd.DataFrame, codes: list[str], formula: str) -> pd.Series:
    parts = []
    for code in codes:
        values = evaluate(code, frame, formula)
        name = display_name(code)
        parts.append(name + "=" + values.astype(str))
    label = parts[0]
    for part in parts[1:]:
        label = label + ", " + part
    return label.rename("strata")


def display_name(code: str) -> str:
    match = re.fullmatch(r"\s*Q\(\s*(['\"])(.*)\1\s*\)\s*", code)
    return match.group(2) if match else code.strip()


def _lhs_outcome(lhs: str, frame: pd.DataFrame, formula: str) -> pd.Series:
    series = evaluate(lhs, frame, formula)
    return series.rename(display_name(lhs))


def _one_level_factors(info: patsy.DesignInfo, formula: str) -> None:
    for factor, finfo in info.factor_infos.items():
        if finfo.type == "categorical" and len(finfo.categories) < 2:
            raise FormulaError(
                f"The factor {factor.name()!r} in the formula {formula!r} has only one level "
                f"({', '.join(map(str, finfo.categories)) or 'none'}) in the rows used, so it "
                "cannot be compared: a factor needs two or more levels (R: 'contrasts can be "
                "applied only to factors with 2 or more levels')."
            )


def _simple_terms(rhs_desc: patsy.ModelDesc) -> tuple[str, ...] | None:
    """The column names of a right-hand side made only of an intercept and main effects of
    bare column names (``~ arm``, ``~ arm + age``), in formula order; ``None`` otherwise."""
    names: list[str] = []
    intercept = False
    for term in rhs_desc.rhs_termlist:
        if not term.factors:
            intercept = True
        elif len(term.factors) == 1 and getattr(term.factors[0], "code", "").isidentifier():
            names.append(term.factors[0].code)
        else:
            return None
    return tuple(names) if intercept else None


def _fast_design(rhs_desc: patsy.ModelDesc, frame: pd.DataFrame, formula: str) -> Any:
    """The design matrix patsy builds for the common shapes, built directly: an intercept,
    numeric columns as they are, pandas Categoricals (text levels) in treatment coding
    (``arm[T.lenalidomide]``). ``None`` when the formula or a column is of another kind
    (patsy then builds it). The rows must hold no missing value (model_frame drops them
    first), so no row is dropped here."""
    names = _simple_terms(rhs_desc)
    if names is None or any(n not in frame.columns for n in names):
        return None
    blocks: list[np.ndarray] = [np.ones((len(frame), 1))]
    columns = ["Intercept"]
    for name in names:
        column = frame[name]
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            levels = list(dtype.categories)
            if not all(isinstance(level, str) for level in levels):
                return None
            if len(levels) < 2:
                return None  # patsy's path raises the one-level error
            codes = column.cat.codes.to_numpy()
            blocks.append((codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float))
            columns += [f"{name}[T.{level}]" for level in levels[1:]]
        elif isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            blocks.append(column.to_numpy(dtype=float)[:, None])
            columns.append(name)
        else:
            return None
    matrix = np.hstack(blocks) if len(blocks) > 1 else blocks[0]
    return pd.DataFrame(matrix, index=frame.index, columns=columns)


def _design(rhs_desc: patsy.ModelDesc, frame: pd.DataFrame, formula: str) -> pd.DataFrame:
    if _FAST_DESIGN:
        fast = _fast_design(rhs_desc, frame, formula)
        if fast is not None:
            return fast
    env = patsy.EvalEnvironment([_FUNCTIONS])
    try:
        design = patsy.dmatrix(
            rhs_desc,
            frame,
            eval_env=env,
            NA_action=patsy.NAAction(on_NA="drop"),
            return_type="dataframe",
        )
    except patsy.PatsyError as err:
        raise FormulaError(
            f"The formula {formula!r} cannot be turned into a design matrix: {err.message}"
        ) from None
    except Exception as err:  # noqa: BLE001 - an error evaluating a user's term
        raise FormulaError(
            f"A term of the formula {formula!r} cannot be evaluated on the data: "
            f"{type(err).__name__}: {err}."
        ) from None
    info = design.design_info
    _one_level_factors(info, formula)
    # patsy groups terms by their numeric factors; R orders them as written in the formula,
    # main effects first, then two-way interactions, etc. (terms.formula, keep.order=FALSE).
    order: list[int] = []
    for term in sorted(rhs_desc.rhs_termlist, key=lambda t: len(t.factors)):
        if term in info.term_slices:
            sl = info.term_slices[term]
            order.extend(range(sl.start, sl.stop))
    if sorted(order) == list(range(design.shape[1])):
        design = design.iloc[:, order]
    design.columns = [r_term_name(c) for c in design.columns]
    return design


# --------------------------------------------------------------------------- parsing, cached


@dataclass(frozen=True)
class _Parsed:
    """What a formula's text gives on data with given column names (no data values)."""

    lhs: str | None
    rhs_desc: Any  # patsy.ModelDesc of the right-hand side without strata()/cluster()
    strata_codes: tuple[str, ...]
    cluster_codes: tuple[str, ...]
    surv_args: tuple[str, ...]
    used: tuple[str, ...]  # the columns the formula names, in order


@functools.lru_cache(maxsize=512)
def _parse(formula: str, columns: tuple[str, ...], allow_cluster: bool = False) -> _Parsed:
    """Parse ``formula`` for data with ``columns``: the allow-list check, quoting, strata()
    and cluster() terms, patsy's term list and the columns used. Cached (a study fits the
    same few formulas to the same columns many times); errors are raised, not cached."""
    dotted = check_formula(formula)  # the allow-list grammar, before anything is evaluated
    index = pd.Index(columns)
    for name in dotted:
        if name not in columns:
            _unknown_column(name, index, formula)
    text = quote_names(formula, columns)
    lhs, rhs = split_formula(text)
    rhs, strata_codes = _take_strata(rhs, formula)
    rhs, cluster_codes = _take_strata(rhs, formula, "cluster")
    if cluster_codes and not allow_cluster:
        raise FormulaError(
            f"The formula {formula!r} has a cluster() term, which only coxph uses (for "
            "robust standard errors); remove it here (weighted models take cluster= "
            "as an argument where R's survey design has ids)."
        )
    if len(cluster_codes) > 1:
        raise FormulaError(
            f"The formula {formula!r} has more than one cluster() variable "
            f"({', '.join(cluster_codes)}): R allows one; combine them into one id column."
        )
    rhs_desc, rhs_codes = _rhs_codes(rhs, formula)
    surv_match = _SURV.match(lhs) if lhs else None
    if surv_match:
        surv_args = [a.strip() for a in split_top_level(surv_match.group(1), ",")]
        lhs_codes = surv_args
    else:
        surv_args = []
        lhs_codes = [lhs] if lhs else []
    used = _check_columns(lhs_codes + rhs_codes + strata_codes + cluster_codes, index, formula)
    return _Parsed(
        lhs, rhs_desc, tuple(strata_codes), tuple(cluster_codes), tuple(surv_args), tuple(used)
    )


def formula_columns(formula: str, columns: Any, allow_cluster: bool = False) -> tuple[str, ...]:
    """The columns of ``columns`` that ``formula`` names, in the formula's order.

    What a caller selects before it narrows a cohort to some rows for a model: copying
    only these (and what else it reads) keeps a 10^6-row cohort's other columns out of the
    copy. The formula is checked as :func:`model_frame` checks it (a
    :class:`~mdsrs_core.errors.FormulaError` for an unknown column or a disallowed term).
    """
    return _parse(formula, tuple(map(str, columns)), allow_cluster).used


def _plain_values(column: pd.Series) -> np.ndarray | None:
    """A column's values as one NumPy array: its own for a NumPy dtype; for pandas' nullable
    numbers and booleans (``Int64``, ``Float64``, ``boolean``), floats with NaN for NA; None
    for any other dtype (text, dates and other extension types take the general path)."""
    if isinstance(column.dtype, np.dtype):
        return column.to_numpy()
    if isinstance(
        column.array, (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)
    ):
        return column.to_numpy(dtype=float, na_value=np.nan)
    return None


def _column_complete(values: np.ndarray) -> np.ndarray | None:
    """Rows without a missing value in one column's values (None: all of them)."""
    kind = values.dtype.kind
    if kind in "iub":
        return None
    if kind in "fc":
        bad = np.isnan(values)
    else:
        bad = pd.isna(values)
    return ~bad if bad.any() else None


def _stratum_texts(codes: Sequence[str], coded: Sequence[tuple[np.ndarray, Any]]) -> np.ndarray:
    """The texts of :func:`_strata_labels` ("x=a, y=b" per row, each value as pandas'
    ``astype(str)`` writes it) for complete variables given as ``(codes per row, distinct
    values)`` (``pd.factorize``'s, or a Categorical's codes and categories), made once per
    distinct combination: the rows share them (10^6 rows hold 8 MB of references, not a
    string each)."""
    which = np.zeros(len(coded[0][0]), dtype=np.int64)  # the combination of each row
    texts = np.array([""], dtype=object)  # the text of each combination
    for code, (level, distinct) in zip(codes, coded, strict=True):
        words = (display_name(code) + "=" + pd.Series(distinct).astype(str)).to_numpy(object)
        # the combinations seen so far by this variable's values (fewer than rows^2)
        which, pairs = pd.factorize(which * len(words) + np.asarray(level))
        before, after = np.divmod(pairs, len(words))
        joined = [f"{a}, {b}" if a else b for a, b in zip(texts[before], words[after], strict=True)]
        texts = np.array(joined, dtype=object)
    return texts[which]


def _fast_frame(
    formula: str, frame: pd.DataFrame, parsed: _Parsed, intercept: bool
) -> ModelFrame | None:
    """:func:`model_frame` for the common shapes, on NumPy arrays: an outcome that is a
    column (or ``Surv(time, event)`` of two columns, ``Surv(start, stop, event)`` of
    three, or none), an intercept and main effects
    of numeric columns and of pandas Categoricals with text levels, ``strata()`` of columns,
    no ``cluster()`` or weights. It computes what the general path computes (complete cases,
    unused levels dropped, treatment coding as :func:`_fast_design`, the same checks) and
    returns ``None`` for any other shape -- and wherever the general path would raise, so
    that its message is the one given."""
    if parsed.cluster_codes or any(c not in frame.columns for c in parsed.strata_codes):
        return None
    names = _simple_terms(parsed.rhs_desc)
    if names is None or any(n not in frame.columns for n in names):
        return None
    lhs = parsed.lhs
    surv_match = _SURV.match(lhs) if lhs else None
    if surv_match:
        surv_args = parsed.surv_args
        if len(surv_args) not in (2, 3) or not all(a in frame.columns for a in surv_args):
            return None
    elif lhs is not None and lhs.strip() not in frame.columns:
        return None
    used = parsed.used
    n_input = len(frame)
    series = {c: frame[c] for c in used}
    arrays: dict[str, np.ndarray] = {}  # the values of the columns that are not factors
    complete: np.ndarray | None = None
    for c in used:
        column = series[c]
        ok: np.ndarray | None
        if isinstance(column.dtype, pd.CategoricalDtype):
            ok = column.cat.codes.to_numpy() >= 0
            ok = None if ok.all() else ok
        else:
            values = _plain_values(column)
            if values is None:
                return None  # text and other extension dtypes: the general path
            arrays[c] = values
            ok = _column_complete(values)
        if ok is not None:
            complete = ok if complete is None else complete & ok
    # the positions of the rows used; none made when every row is used (10^6 rows: 8 MB
    # held with the model frame while a model is fitted)
    rows = np.flatnonzero(complete) if complete is not None else EVERY_ROW
    n = n_input if isinstance(rows, slice) else len(rows)
    if n == 0:
        return None
    all_rows = n == n_input
    if all_rows:
        rows = EVERY_ROW
    original_index = frame.index
    labels = original_index if all_rows else original_index[rows]

    # no intercept column where the model has none: a view of the columns after it would
    # keep the whole matrix (10^6 rows: 8 MB per fit held with the model frame)
    blocks: list[np.ndarray] = [np.ones((n, 1))] if intercept else []
    columns = ["Intercept"] if intercept else []
    for name in names:
        column = series[name]
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            levels = list(dtype.categories)
            if not all(isinstance(level, str) for level in levels):
                return None
            codes = column.cat.codes.to_numpy()
            if not all_rows:
                codes = codes[rows]
            present = np.bincount(codes, minlength=len(levels)) > 0
            if present.sum() < 2:
                return None  # the general path raises the one-level error
            if not present.all():  # R's drop.unused.levels
                levels = [lv for lv, keep in zip(levels, present, strict=True) if keep]
                codes = (np.cumsum(present) - 1)[codes]
            blocks.append((codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float))
            columns += [f"{name}[T.{level}]" for level in levels[1:]]
        elif dtype.kind in "iuf":  # numbers, nullable ones too (not booleans: patsy's)
            values = arrays[name].astype(float, copy=False)
            blocks.append((values if all_rows else values[rows])[:, None])
            columns.append(name)
        else:
            return None
    # a new array even for one block (which may be a view of the caller's column)
    matrix = np.hstack(blocks) if blocks else np.ones((n, 0))
    design = pd.DataFrame(matrix, index=labels, columns=columns)

    outcome = time = event = start = None
    outcome_name = None
    if surv_match:
        *times, ev = (arrays[a] for a in surv_args)
        if any(series[a].dtype.kind not in "iuf" for a in surv_args[:-1]):
            return None  # a time that is not a number: the general path's message
        if ev.dtype.kind not in "iufb":
            return None
        time = (times[-1] if all_rows else times[-1][rows]).astype(float)
        if not np.isfinite(time).all():
            return None
        if len(times) == 2:  # (start, stop] intervals: stop > start, start may be < 0
            start = (times[0] if all_rows else times[0][rows]).astype(float)
            if not (np.isfinite(start).all() and (start < time).all()):
                return None
        elif not (time >= 0).all():
            return None
        ev = ev if all_rows else ev[rows]
        if ev.dtype.kind == "b":
            event = ev.astype(int)
        else:
            if not np.isin(ev, (0, 1)).all():
                return None
            event = ev.astype(int)
    elif lhs is not None:
        name = lhs.strip()
        column = series[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            outcome = (column if all_rows else column.iloc[rows]).cat.remove_unused_categories()
            outcome.index = labels
            outcome.name = name
        else:  # its own dtype (a nullable outcome stays nullable, as on the general path)
            values = column.array
            values = values.copy() if all_rows else values.take(rows)
            outcome = pd.Series(values, index=labels, name=name)
        outcome_name = name
    strata = None
    if parsed.strata_codes:
        coded = [
            pd.factorize(series[c] if all_rows else series[c].iloc[rows])
            for c in parsed.strata_codes
        ]
        strata = pd.Series(_stratum_texts(parsed.strata_codes, coded), index=labels, name="strata")
    if all_rows:
        dropped = original_index[:0]
    else:
        kept = np.zeros(n_input, dtype=bool)
        kept[rows] = True
        dropped = original_index[~kept]
    return ModelFrame(
        formula=formula,
        outcome=outcome,
        outcome_name=outcome_name,
        time=time,
        event=event,
        design=design,
        strata=strata,
        n_input=n_input,
        n_dropped=len(dropped),
        dropped=dropped,
        term_names=[c for c in design.columns if c != "Intercept"],
        start=start,
        cluster=None,
        weights=None,
        _source=frame,
        _positions=rows,
        _variable_columns=tuple(used),
    )


# --------------------------------------------------------------------------- entry point


def model_frame(
    formula: str,
    data: Any,
    *,
    intercept: bool = True,
    weights: Any = None,
    allow_cluster: bool = False,
) -> ModelFrame:
    """Build the model frame and design matrix of an R-style ``formula`` on ``data``.

    Mirrors R's ``model.frame(formula, data, na.action = na.omit)`` followed by
    ``model.matrix`` with treatment contrasts.

    Parameters
    ----------
    formula:
        ``"y ~ terms"`` or ``"Surv(time, event) ~ terms + strata(x)"``.
    data:
        A pandas DataFrame, or an object with a ``.data`` DataFrame (a ``Cohort``, whose
        ``arm_reference`` becomes the reference level of ``arm``).
    intercept:
        Keep the ``Intercept`` column. ``False`` drops it *after* coding, so factors keep
        their reference level (as R's ``coxph`` and ``clm`` do); write ``- 1`` in the
        formula for R's no-intercept coding instead.
    weights:
        Case weights: a column name or one value per row of ``data`` (R's ``weights =``).
        Rows with a missing weight are dropped and counted; negative or infinite weights
        raise :class:`~mdsrs_core.errors.FormulaError`.
    allow_cluster:
        Whether the model accepts a ``cluster(id)`` term (coxph); elsewhere the term is an
        error rather than silently ignored.
    """
    frame = _with_references(data)
    parsed = _parse(formula, tuple(map(str, frame.columns)), allow_cluster)
    if _FAST_DESIGN and weights is None:
        fast = _fast_frame(formula, frame, parsed, intercept)
        if fast is not None:
            return fast
    lhs, strata_codes = parsed.lhs, list(parsed.strata_codes)
    cluster_codes = list(parsed.cluster_codes)
    rhs_desc, surv_args, used = parsed.rhs_desc, list(parsed.surv_args), list(parsed.used)
    original_index = frame.index
    n_input = len(frame)
    # only the formula's columns are copied (a cohort has dozens; at 10^6 rows each copy
    # of the whole frame costs more than the fit)
    needed = list(used)
    if isinstance(weights, str):
        if weights not in frame.columns:
            _unknown_column(weights, frame.columns, formula)
        if weights not in needed:
            needed.append(weights)
    work = frame[needed]
    work.index = pd.RangeIndex(n_input)

    if used:
        complete = work[used].notna().all(axis=1)
    else:
        complete = pd.Series(True, index=work.index)
    weight_values = None
    if weights is not None:
        weight_values = _weights_column(weights, work, formula)
        complete &= weight_values.notna()
    complete_mask = complete.to_numpy()
    sub = _drop_unused_levels(work if complete_mask.all() else work.loc[complete_mask])
    if len(sub) == 0:  # not sub.empty: '~ 1' selects no column, and has rows
        raise FormulaError(
            f"No rows are left for the formula {formula!r}: every one of the {n_input} rows "
            f"has a missing value in {', '.join(used)}."
        )

    surv_match = _SURV.match(lhs) if lhs else None
    design = _design(rhs_desc, sub, formula)
    keep = pd.Series(False, index=sub.index)
    keep.loc[design.index] = True

    outcome = time = event = None
    outcome_name = None
    if surv_match:
        surv_cols = _surv_lhs(surv_match.group(1), sub, formula)
        for col in surv_cols:
            keep &= col.notna()
    elif lhs:
        outcome = _lhs_outcome(lhs, sub, formula)
        outcome_name = str(outcome.name)
        keep &= outcome.notna()

    rows = sub.index[keep.to_numpy()]
    if len(rows) == 0:
        raise FormulaError(
            f"No rows are left for the formula {formula!r} after removing missing values."
        )
    labels = original_index[rows]
    if len(rows) != len(design):
        design = design.loc[rows]
    if len(rows) != len(sub):
        sub = sub.loc[rows]

    start = None
    if surv_match and len(surv_cols) == 3:
        # (start, stop] intervals: stop > start is the rule (start may be 0 or negative)
        stop_raw = surv_cols[1].loc[rows]
        time = pd.to_numeric(stop_raw, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(time)
        if bad.any():
            raise FormulaError(
                f"The stop column {surv_args[1]!r} of the formula {formula!r} must be a "
                f"number; rows {_rows_text(labels[bad])} hold "
                f"{', '.join(sorted({str(v) for v in stop_raw.to_numpy()[bad]})[:10])}."
            )
        start = _check_start(surv_cols[0].loc[rows], time, labels, surv_args, formula)
        event = _check_event(surv_cols[2].loc[rows], labels, surv_args[2], formula)
    elif surv_match:
        time = _check_time(surv_cols[0].loc[rows], labels, surv_args[0], formula)
        event = _check_event(surv_cols[1].loc[rows], labels, surv_args[1], formula)
    elif outcome is not None:
        outcome = outcome.loc[rows]
        outcome.index = labels

    strata = None
    if strata_codes:
        strata = _strata_labels(sub, strata_codes, formula)
        strata.index = labels

    cluster = None
    if cluster_codes:
        cluster = evaluate(cluster_codes[0], sub, formula).rename(display_name(cluster_codes[0]))
        cluster.index = labels
    case_weights = None
    if weight_values is not None:
        case_weights = weight_values.loc[rows].to_numpy(dtype=float)
        _check_weights(case_weights, labels, str(weight_values.name), formula)

    if not intercept and "Intercept" in design.columns:
        design = design.drop(columns="Intercept")
    design.index = labels
    kept = np.zeros(n_input, dtype=bool)
    kept[rows] = True
    dropped = original_index[~kept]
    return ModelFrame(
        formula=formula,
        outcome=outcome,
        outcome_name=outcome_name,
        time=time,
        event=event,
        design=design,
        strata=strata,
        n_input=n_input,
        n_dropped=len(dropped),
        dropped=dropped,
        term_names=[c for c in design.columns if c != "Intercept"],
        start=start,
        cluster=cluster,
        weights=case_weights,
        _source=frame,
        _positions=np.asarray(rows),
        # taken from the source when first read, as on the fast path: a fit that never
        # asks (coxph on 10^6 (start, stop] rows) holds no copy of its columns
        _variable_columns=tuple(needed),
    )
