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

Formulas are also **bounded**, so that none can hang or exhaust the memory while it is
evaluated (patsy computes constants with Python's exact integers: ``I(age + 9 ** 9 ** 9)``
never returns). Refused, with the limit named: a formula longer than
:data:`MAX_LENGTH` characters; brackets nested deeper than :data:`MAX_DEPTH`; more than
:data:`MAX_VARIABLES` variables, or more than :data:`MAX_TERMS` model terms once ``*``,
``:``, ``/`` and ``**`` are expanded (``a * b * c`` is 7 terms); a number literal beyond
:data:`MAX_LITERAL` in size or with more than 15 significant digits; and a power whose
exponent is not a plain number within ``±``:data:`MAX_EXPONENT` (or a column), e.g. a tower
``9 ** 9 ** 9``. The interaction power of R's formula language (``(a + b + c) ^ 2``) takes a
whole number from 1 to :data:`MAX_EXPONENT`.
"""

from __future__ import annotations

import ast
import keyword
import re

from .errors import FormulaError

__all__ = ["check_formula", "ALLOWED_FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH", "MAX_TERMS"]

#: Longest formula accepted (characters).
MAX_LENGTH = 5_000
#: Deepest nesting of brackets (calls and parentheses) accepted.
MAX_DEPTH = 20
#: Most variables (column names, counted each time they appear) on one side of a formula.
MAX_VARIABLES = 200
#: Most model terms on the right-hand side once ``*``, ``:``, ``/``, ``**`` are expanded.
MAX_TERMS = 500
#: Largest number literal accepted (in absolute value).
MAX_LITERAL = 1e12
#: Largest exponent of ``**`` / ``^`` (in absolute value).
MAX_EXPONENT = 10

NUMERIC_FUNCTIONS = frozenset({"log", "exp", "sqrt", "log2", "log10", "log1p", "abs"})
ALLOWED_FUNCTIONS = (
    frozenset({"C", "factor", "Treatment", "I", "Q", "Surv", "strata", "cluster"})
    | NUMERIC_FUNCTIONS
)
_NUMPY = frozenset({"np", "numpy"})
_FORMULA_OPS = (
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.BitXor,
    ast.BitAnd,
    ast.MatMult,  # R's ':' (see _r_to_python)
)
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


#: Python keywords that are ordinary names in R (a column called ``lambda``, as flchain's):
#: written bare in a formula they are read as the column, as ``Q("lambda")``.
KEYWORD_NAMES = frozenset(k for k in keyword.kwlist if k not in ("True", "False", "None"))
#: a keyword used as a name: followed by a formula operator, a closing parenthesis, a comma,
#: the end, or R's interaction colon before a name (``lambda:arm``); not ``lambda x:`` or
#: ``lambda: 1`` (a Python lambda, refused as before)
_KEYWORD = re.compile(
    r"(?<![\w.])(" + "|".join(sorted(KEYWORD_NAMES)) + r")(?=\s*(?:[-+*/^),~|&]|:\s*[A-Za-z_`]|$))"
)
_QUOTED = re.compile(r"(\"[^\"]*\"|'[^']*')")


def quote_keywords(text: str) -> str:
    """Bare Python keywords outside quotes as ``Q('keyword')`` (R allows them as names)."""
    parts = _QUOTED.split(text)
    return "".join(
        part if i % 2 else _KEYWORD.sub(lambda m: f"Q({m.group(1)!r})", part)
        for i, part in enumerate(parts)
    )


def _r_to_python(side: str) -> str:
    """R's ``a:b`` becomes ``a @ b`` and ```name``` becomes ``Q('name')`` (outside quotes).

    ``@`` binds as Python's ``*`` does, tighter than ``+`` (``&`` binds looser, so that
    ``d : g * h + e`` read as ``d & ((g * h) + e)``); R binds ``:`` tighter still, and the
    left-to-right grouping this gives instead can only count more terms, never fewer."""
    side = quote_keywords(side)
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
            out.append(" @ ")
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
            if isinstance(node.op, ast.MatMult):  # R's ':' within I()'s arithmetic
                raise _Refused(
                    f"':' in {ast.unparse(node).replace(' @ ', ':')!r} is an interaction, "
                    "which I() does not take (its content is arithmetic)"
                )
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
    """Refuse ``formula`` unless it is in the allow-list grammar and within the bounds (see
    the module docstring).

    Only parses; nothing is evaluated. Returns the dotted names it uses (R's ``ph.ecog``):
    they are allowed only as column names, which the caller checks against the data.
    """
    seen: list[str] = []
    if not isinstance(formula, str) or not formula.strip():
        raise FormulaError("The formula is empty: write it as 'outcome ~ terms'.")
    try:
        if len(formula) > MAX_LENGTH:
            raise _Refused(
                f"it is {len(formula):,} characters long, more than the limit of {MAX_LENGTH:,}"
            )
        _check_text_bounds(formula)
        sides = _split_tilde(formula)
        for k, side in enumerate(sides):
            if not side.strip():
                continue
            try:
                tree = ast.parse(_r_to_python(side).strip(), mode="eval")
            except SyntaxError as err:
                raise _Refused(f"it is not a formula ({err.msg})") from None
            except (RecursionError, MemoryError, ValueError):
                raise _Refused(
                    f"it is nested too deeply to be read (the limit is {3 * MAX_DEPTH} levels)"
                ) from None
            _check_bounds(tree.body, right=k == 1, source=_r_to_python(side).strip())
            _check(tree.body, False, seen)
    except _Refused as why:
        raise FormulaError(
            f"The formula {_shown(formula)} is refused before evaluation: {why}. {_GRAMMAR}"
        ) from None
    return list(dict.fromkeys(seen))


def _shown(formula: str) -> str:
    """The formula as a message quotes it (long ones cut in the middle)."""
    if len(formula) <= 200:
        return repr(formula)
    return repr(formula[:120] + " ... " + formula[-60:])


_LONG_NUMBER = re.compile(r"(?<![\w.])(\d[\d_]{15,})")


def _check_text_bounds(formula: str) -> None:
    """Bounds checked on the text, before parsing (Python's parser gives up, or converts a
    long integer digit by digit, before any tree could be checked)."""
    text = re.sub(r"(['\"`]).*?\1", lambda m: "_" * len(m.group(0)), formula)
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise _Refused(
            f"its brackets are nested {deepest} deep, more than the limit of {MAX_DEPTH}"
        )
    long = _LONG_NUMBER.search(text)
    if long:
        raise _Refused(
            f"the number {long.group(1)[:20]}{'...' if len(long.group(1)) > 20 else ''} has "
            "more than 15 digits, more than a measurement holds"
        )


def _number(node: ast.expr) -> float | None:
    """The value of a number, or of + - * / of numbers (``1 / 2``), else None. Literals are
    bounded already and no power is taken, so this cannot blow up."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return None if isinstance(node.value, bool) else float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _number(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        left, right = _number(node.left), _number(node.right)
        if left is None or right is None or (isinstance(node.op, ast.Div) and right == 0):
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    return None


def _is_column(node: ast.AST) -> bool:
    if isinstance(node, (ast.Name, ast.Attribute)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Q"


def _check_bounds(tree: ast.expr, *, right: bool, source: str) -> None:
    """Literals, exponents, the number of variables and (right-hand side) of expanded terms,
    and the depth of the tree; iterative, so that no tree can exhaust Python's stack."""
    variables = 0
    # inside a call (I(), log(), C()...) Python evaluates the code; outside, patsy reads the
    # operators as R's formula language (Python's precedence of ^ and : differs from R's)
    stack: list[tuple[ast.AST, int, bool]] = [(tree, 1, False)]
    while stack:
        node, depth, python = stack.pop()
        if depth > 3 * MAX_DEPTH:
            raise _Refused(f"its operations are nested more than {3 * MAX_DEPTH} deep (the limit)")
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            if not isinstance(node.value, bool) and not abs(node.value) <= MAX_LITERAL:
                raise _Refused(
                    f"the number {node.value:g} is beyond the limit of {MAX_LITERAL:g} "
                    "(in absolute value)"
                )
        if _is_column(node):
            variables += 1
            if variables > MAX_VARIABLES:
                raise _Refused(f"one side names more than {MAX_VARIABLES} variables (the limit)")
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.BitXor)):
            exponent = _number(node.right)
            shown = _cut(ast.get_source_segment(source, node) or ast.unparse(node))
            if exponent is None and python and not _is_column(node.right):
                raise _Refused(
                    f"the exponent in {shown!r} is not a number: powers "
                    f"take a number from -{MAX_EXPONENT} to {MAX_EXPONENT} (or a column) as "
                    "exponent, so that no power tower such as 9 ** 9 ** 9 is computed"
                )
            if exponent is not None and not abs(exponent) <= MAX_EXPONENT:
                raise _Refused(
                    f"the exponent {exponent:g} in {shown!r} is beyond the "
                    f"limit of {MAX_EXPONENT} (in absolute value)"
                )
        inside = python or isinstance(node, ast.Call)
        stack.extend((child, depth + 1, inside) for child in ast.iter_child_nodes(node))
    if right:
        # a term is a set of the side's distinct factors: never more than 2^m - 1 of them
        # (``a * a : a * a`` is the one term ``a``, however large its expansion's bound)
        terms = min(_term_count(tree), 2 ** len(_factors(tree)) - 1)
        if terms > MAX_TERMS:
            raise _Refused(
                f"it has {terms:,} model terms once its products are expanded (a * b * c is 7 "
                f"terms), more than the limit of {MAX_TERMS}"
            )


def _cut(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _term_count(node: ast.expr) -> int:
    """An upper bound of the model terms the right-hand side expands into (patsy's rules:
    ``a * b`` is a + b + a:b, ``a / b`` is a + a:b, ``(a + b) ** k`` every product of up to k
    of them). The tree's depth is bounded already."""
    from math import comb

    if isinstance(node, ast.BinOp):
        if isinstance(node.op, (ast.Pow, ast.BitXor)):
            n = _term_count(node.left)
            k = int(abs(_number(node.right) or 1))
            return sum(comb(n, i) for i in range(1, min(k, n) + 1)) if n > 1 else n
        left, right = _term_count(node.left), _term_count(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left
        if isinstance(node.op, ast.Mult):
            return left + right + left * right
        if isinstance(node.op, (ast.BitAnd, ast.MatMult)):
            return left * right
        if isinstance(node.op, ast.Div):
            return left + left * right
    return 1


def _factors(node: ast.expr) -> set[str]:
    """The distinct factors the right-hand side's terms are made of: what the operators
    ``+ - * : / ** ^`` combine (columns, calls such as ``log(x)``), each by its syntax."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, (ast.Pow, ast.BitXor)):
            return _factors(node.left)
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.BitAnd, ast.MatMult, ast.Div)):
            return _factors(node.left) | _factors(node.right)
    return {ast.dump(node)}


def _split_tilde(formula: str) -> list[str]:
    text = re.sub(r"(['\"`]).*?\1", lambda m: "_" * len(m.group(0)), formula)
    positions = [i for i, ch in enumerate(text) if ch == "~"]
    if len(positions) != 1:
        raise _Refused("it needs exactly one '~' (for example 'y ~ arm + age')")
    i = positions[0]
    return [formula[:i], formula[i + 1 :]]
