"""The allow-list grammar every formula must pass before anything evaluates it.

Formulas come from study files and command lines that get passed around; patsy evaluates
terms as Python code. So a formula is parsed here first and refused, with a message, unless
every part of it is on this list:

- column names (bare, `backquoted` as in R, or ``Q("quoted")``; no name starting with ``__``);
  a dotted name (R's ``ph.ecog``) only when it is a column of the data;
- numbers, and the operators ``+ - * : / ** ^`` of R's formula language;
- the calls ``C()``, ``Treatment()``, ``I()``, ``Q()``, ``log()``, ``exp()``, ``sqrt()``,
  ``log2()``, ``log10()``, ``log1p()``, ``abs()``, ``Surv()``, ``strata()``, ``cluster()``
  and the same
  numeric functions as ``np.log``-style attributes of ``np``/``numpy``;
- ``factor(x)``, R's spelling of ``C(x)`` (a number-coded column fitted as a factor);
- inside ``I()`` and ``Surv()``: arithmetic and comparisons (``I(age > 70)``,
  ``I(plt_post - plt_base)``, ``Surv(time, status == 2)``);
- text constants only as ``Q("name")`` or as the reference level of ``C()``/``Treatment()``.

Anything else (attribute access, ``__import__``, unknown calls, lambdas, subscripts,
comprehensions, keyword arguments outside ``C``/``Treatment``) raises
:class:`~mdsrs_core.errors.FormulaError` naming what was refused.
"""

from __future__ import annotations

import ast
import re

from .errors import FormulaError

__all__ = ["check_formula", "ALLOWED_FUNCTIONS"]

NUMERIC_FUNCTIONS = frozenset({"log", "exp", "sqrt", "log2", "log10", "log1p", "abs"})
ALLOWED_FUNCTIONS = (
    frozenset({"C", "factor", "Treatment", "I", "Q", "Surv", "strata", "cluster"})
    | NUMERIC_FUNCTIONS
)
_NUMPY = frozenset({"np", "numpy"})
_FORMULA_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.BitXor, ast.BitAnd)
_ARITHMETIC_OPS = (
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.Mod,
    ast.FloorDiv,
    ast.BitAnd,
    ast.BitOr,
)
_COMPARISONS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_GRAMMAR = (
    "Formulas may use column names (`backquoted` when they are not plain names), "
    "numbers, + - * : / ** ^, C(), Treatment(), I() with arithmetic or comparisons, "
    "log, exp, sqrt (also np.log-style), Surv() and strata()."
)


class _Refused(Exception):
    pass


def _r_to_python(side: str) -> str:
    """R's ``a:b`` becomes ``a & b`` and ```name``` becomes ``Q('name')`` (outside quotes)."""
    out, quote, i = [], "", 0
    while i < len(side):
        ch = side[i]
        if quote:
            out.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            out.append(ch)
        elif ch == "`":
            end = side.find("`", i + 1)
            if end < 0:
                raise _Refused("a backquote is not closed")
            out.append("Q(" + repr(side[i + 1 : end]) + ")")
            i = end
        elif ch == ":":
            out.append(" & ")
        else:
            out.append(ch)
        i += 1
    if quote:
        raise _Refused("a quotation mark is not closed")
    return "".join(out)


_R_HINTS = {
    "as.factor": "write C(x) for R's as.factor(x)",
    "relevel": 'write C(x, Treatment("level")) for R\'s relevel(x, "level")',
    "poly": "write x + I(x ** 2) for a quadratic term",
}


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        if func.id in ALLOWED_FUNCTIONS:
            return func.id
        hint = f" ({_R_HINTS[func.id]})" if func.id in _R_HINTS else ""
        raise _Refused(f"it calls {func.id}(), which is not allowed in a formula{hint}")
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in _NUMPY
        and func.attr in NUMERIC_FUNCTIONS
    ):
        return func.attr
    raise _Refused(f"it calls {ast.unparse(func)}(), which is not allowed in a formula")


def _dotted_name(node: ast.Attribute) -> str | None:
    """``ph.ecog`` (R's dotted column name) as text; None for anything else."""
    parts = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    parts.append(current.id)
    if any(p.startswith("__") for p in parts) or current.id in _NUMPY:
        return None
    return ".".join(reversed(parts))


def _name(node: ast.Name) -> None:
    if node.id.startswith("__"):
        raise _Refused(f"the name {node.id} is not allowed in a formula")


def _check_call(node: ast.Call, inside_i: bool, seen: list[str]) -> None:
    name = _call_name(node.func)
    if any(isinstance(a, ast.Starred) for a in node.args):
        raise _Refused("starred arguments are not allowed in a formula")
    if name == "Q":
        if (
            len(node.args) != 1
            or node.keywords
            or not isinstance(node.args[0], ast.Constant)
            or not isinstance(node.args[0].value, str)
        ):
            raise _Refused("Q() takes one quoted column name")
        return
    if name in ("C", "factor", "Treatment"):
        for kw in node.keywords:
            if kw.arg not in ("reference", "levels"):
                raise _Refused(f"{name}() takes no argument {kw.arg}=")
        for i, arg in enumerate([*node.args, *(kw.value for kw in node.keywords)]):
            if name in ("C", "factor") and i == 0:
                _check(arg, inside_i, seen)
            else:
                _check_level(arg, seen)
        return
    if node.keywords:
        raise _Refused(f"{name}() takes no keyword arguments in a formula")
    for arg in node.args:
        # Surv(time, status == 2): an event derived from a coded status, as R users write it
        _check(arg, inside_i or name in ("I", "Surv"), seen)


def _check_level(node: ast.expr, seen: list[str]) -> None:
    """A contrast argument: a level (text or number), a list of levels, or Treatment(...)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)):
        return
    if isinstance(node, (ast.List, ast.Tuple)):
        for elt in node.elts:
            _check_level(elt, seen)
        return
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Treatment"
    ):
        _check_call(node, False, seen)
        return
    if isinstance(node, ast.Name) and node.id == "Treatment":
        return
    raise _Refused(f"{ast.unparse(node)} is not a level or a contrast")


def _check(node: ast.expr, inside_i: bool, seen: list[str]) -> None:
    if isinstance(node, ast.Name):
        _name(node)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
            raise _Refused(f"the constant {node.value!r} is not allowed here")
    elif isinstance(node, ast.BinOp):
        ops = _ARITHMETIC_OPS if inside_i else _FORMULA_OPS
        if not isinstance(node.op, ops):
            raise _Refused(f"the operator in {ast.unparse(node)!r} is not allowed")
        _check(node.left, inside_i, seen)
        _check(node.right, inside_i, seen)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(
            node.op, (ast.USub, ast.UAdd) if not inside_i else (ast.USub, ast.UAdd, ast.Invert)
        ):
            raise _Refused(f"the operator in {ast.unparse(node)!r} is not allowed")
        _check(node.operand, inside_i, seen)
    elif isinstance(node, ast.Compare) and inside_i:
        if not all(isinstance(op, _COMPARISONS) for op in node.ops):
            raise _Refused(f"the comparison in {ast.unparse(node)!r} is not allowed")
        for part in [node.left, *node.comparators]:
            _check(part, inside_i, seen)
    elif isinstance(node, ast.Call):
        _check_call(node, inside_i, seen)
    elif isinstance(node, ast.Attribute):
        dotted = _dotted_name(node)
        if dotted is None:
            raise _Refused(f"attribute access ({ast.unparse(node)}) is not allowed in a formula")
        seen.append(dotted)
    elif isinstance(node, ast.Subscript):
        raise _Refused(f"subscripts ({ast.unparse(node)}) are not allowed in a formula")
    elif isinstance(node, ast.Lambda):
        raise _Refused("lambda expressions are not allowed in a formula")
    else:
        raise _Refused(f"{ast.unparse(node)!r} ({type(node).__name__}) is not allowed in a formula")


def check_formula(formula: str) -> list[str]:
    """Refuse ``formula`` unless it is in the allow-list grammar (see the module docstring).

    Only parses; nothing is evaluated. Returns the dotted names it uses (R's ``ph.ecog``):
    they are allowed only as column names, which the caller checks against the data.
    """
    seen: list[str] = []
    if not isinstance(formula, str) or not formula.strip():
        raise FormulaError("The formula is empty: write it as 'outcome ~ terms'.")
    try:
        sides = _split_tilde(formula)
        for side in sides:
            if not side.strip():
                continue
            try:
                tree = ast.parse(_r_to_python(side).strip(), mode="eval")
            except SyntaxError as err:
                raise _Refused(f"it is not a formula ({err.msg})") from None
            _check(tree.body, False, seen)
    except _Refused as why:
        raise FormulaError(
            f"The formula {formula!r} is refused before evaluation: {why}. {_GRAMMAR}"
        ) from None
    return list(dict.fromkeys(seen))


def _split_tilde(formula: str) -> list[str]:
    text = re.sub(r"(['\"`]).*?\1", lambda m: "_" * len(m.group(0)), formula)
    positions = [i for i, ch in enumerate(text) if ch == "~"]
    if len(positions) != 1:
        raise _Refused("it needs exactly one '~' (for example 'y ~ arm + age')")
    i = positions[0]
    return [formula[:i], formula[i + 1 :]]
