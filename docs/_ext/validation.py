"""Sphinx extension: the validation page, written at build time from the R reference data.

``docs/validation.md`` holds an introduction and the placeholder block

    ```{mdsrs-validation}
    ```

which this extension replaces, while Sphinx reads the page, by Markdown generated from

* every R script ``tests/results/*.R``: its header comment (R and package versions, data
  sets, what is written out in base R), the R functions it calls, the data files it reads;
* each script's output (``tests/results/<name>.csv`` / ``.json``, and any other output its
  header names): how many reference values it holds, by case or section;
* the test modules that read that output (they name ``<name>.R`` or the output file): how many
  ``pytest.approx`` comparisons they make and with which tolerance, read from the code; every
  tolerance looser than pytest's default (``rel=1e-6``, ``abs=1e-12``) is listed with the
  comment that gives its reason, and a looser tolerance without a comment is a build warning.

Nothing on the page is typed by hand, so it cannot go stale: a changed script, output or test
module changes the page (they are registered as dependencies of the page, so an incremental
build rebuilds it).
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"^```\{mdsrs-validation\}[^\n]*\n(?:.*\n)*?```[ \t]*$", re.MULTILINE)

#: pytest.approx's defaults: a comparison with these (or tighter) needs no reason.
DEFAULT_REL = 1e-6
DEFAULT_ABS = 1e-12

#: R functions worth naming on the page (statistics, not string or list plumbing), by package.
R_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "survival": (
        "coxph",
        "survfit",
        "survdiff",
        "cox.zph",
        "Surv",
        "strata",
        "survreg",
        "psurvreg",
    ),
    "cmprsk": ("cuminc", "crr", "timepoints"),
    "ordinal": ("clm", "nominal_test"),
    "lme4": ("lmer",),
    "nlme": ("lme",),
    "MASS": ("ginv",),
    "MatchIt": ("matchit", "match.data"),
    "survey": ("svydesign", "svyglm", "svylogrank"),
    "rpact": ("getPowerSurvival", "getEventProbabilities"),
    "stats": (
        "lm",
        "glm",
        "anova",
        "confint",
        "confint.default",
        "logLik",
        "AIC",
        "BIC",
        "deviance",
        "vcov",
        "t.test",
        "wilcox.test",
        "fisher.test",
        "chisq.test",
        "prop.test",
        "binom.test",
        "power.prop.test",
        "quantile",
        "median",
        "sd",
        "var",
        "uniroot",
        "qnorm",
        "pnorm",
        "qt",
        "pt",
        "qchisq",
        "pchisq",
        "pf",
        "plogis",
        "model.matrix",
        "relevel",
    ),
}

#: Keys under which an output stores the *inputs* of a computation beside R's results
#: (stats.json keeps its small data sets next to the figures): not counted as values.
INPUT_KEYS = {"stats.json": {"x", "y", "data", "table", "counts", "probs", "times"}}


# --------------------------------------------------------------------------- R scripts


def header_comment(text: str) -> str:
    """The leading ``#`` comment block of an R script, without the ``#``."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].removeprefix(" "))
    return "\n".join(lines).strip("\n")


def versions_sentence(header: str) -> str:
    """The sentence of the header that says which R and packages produced the values."""
    flat = " ".join(header.split()) + " "
    match = re.search(r"(?:Produced|Written) with:?\s", flat)
    if not match:
        return "(not stated in the header)"
    depth = 0
    start = match.end()
    for i in range(start, len(flat) - 1):  # to the first ". ", "; " or ": " outside brackets
        ch = flat[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch in ".;:" and flat[i + 1] == " ":
            return flat[start:i]
    return flat[start:].strip()


def r_code(text: str) -> str:
    """The script without comments (a ``#`` inside a string is rare enough here)."""
    out = []
    for line in text.splitlines():
        quote = None
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "\"'":
                quote = ch
            elif ch == "#":
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def r_functions(code: str) -> dict[str, list[str]]:
    """The statistical R functions the script calls, by package."""
    called = set(re.findall(r"(?<![\w.])(?:[A-Za-z]\w*::)?([A-Za-z][\w.]*)\s*\(", code))
    defined = set(re.findall(r"^\s*([A-Za-z][\w.]*)\s*<-\s*function", code, re.MULTILINE))
    return {
        pkg: [f for f in funcs if f in called and f not in defined]
        for pkg, funcs in R_FUNCTIONS.items()
        if any(f in called and f not in defined for f in funcs)
    }


def files_read(code: str) -> list[str]:
    return sorted(set(re.findall(r"read\.csv\(\s*\"([^\"]+)\"", code)))


# --------------------------------------------------------------------------- outputs


def _number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str) and value not in ("", "NA"):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def count_json(value: Any, skip: set[str]) -> int:
    """Numbers (and R's NA/NaN/Inf, written as null or text) in a JSON value."""
    if isinstance(value, dict):
        return sum(count_json(v, skip) for k, v in value.items() if k not in skip)
    if isinstance(value, list):
        return sum(count_json(v, skip) for v in value)
    return 1 if value is None or _number(value) else 0


@dataclass
class Output:
    path: Path
    values: int
    parts: list[tuple[str, int, list[tuple[str, int]]]]  # (case, values, [(sub, values)])
    note: str = ""


def read_output(path: Path) -> Output:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        key = next((k for k in ("case", "scenario", "dataset") if rows and k in rows[0]), None)
        parts: list[tuple[str, int, list[tuple[str, int]]]] = []
        if key:
            parts = [(case, n, []) for case, n in Counter(r[key] for r in rows).items()]
        return Output(path, len(rows), parts, "one value per row")
    data = json.loads(path.read_text(encoding="utf-8"))
    skip = INPUT_KEYS.get(path.name, set())
    parts = []
    for key, value in data.items():
        n = count_json(value, skip)
        if not n:
            continue  # versions, calls, names
        subs = []
        if isinstance(value, dict):
            subs = [(k, count_json(v, skip)) for k, v in value.items() if k not in skip]
            subs = [(k, m) for k, m in subs if m]
        parts.append((key, n, subs))
    note = "numbers, NA included"
    if skip:
        note += (
            "; inputs stored beside them not counted (keys "
            + ", ".join(f"`{k}`" for k in sorted(skip))
            + ")"
        )
    return Output(path, sum(n for _, n, _ in parts), parts, note)


# --------------------------------------------------------------------------- test modules


@dataclass
class Comparison:
    module: str
    function: str
    line: int
    rel: list[float]
    abs: list[float]
    reason: str

    @property
    def looser(self) -> bool:
        return any(r > DEFAULT_REL for r in self.rel) or any(a > DEFAULT_ABS for a in self.abs)

    @property
    def tighter(self) -> bool:
        return not self.looser and any(r < DEFAULT_REL for r in self.rel)

    def tolerance(self) -> str:
        def fmt(values: list[float]) -> str:
            return " or ".join(f"{v:g}" for v in sorted(set(values), reverse=True))

        parts = [f"rel={fmt(self.rel)}"] if self.rel else []
        if self.abs != [DEFAULT_ABS] or not self.rel:
            parts.append(f"abs={fmt(self.abs)}")
        return ", ".join(parts)


@dataclass
class TestModule:
    path: Path
    tests: int
    comparisons: list[Comparison] = field(default_factory=list)


def _numbers(node: ast.AST | None) -> list[float]:
    out = []
    for sub in ast.walk(node) if node is not None else ():
        if (
            isinstance(sub, ast.Constant)
            and isinstance(sub.value, (int, float))
            and not isinstance(sub.value, bool)
        ):
            out.append(float(sub.value))
    return out


class _Approx(ast.NodeVisitor):
    """Every ``pytest.approx(...)`` call of a module, with its tolerances resolved."""

    def __init__(self, path: Path, source: str, tree: ast.Module):
        self.path = path
        self.lines = source.splitlines()
        self.module_names = self._assignments(tree.body)
        self.scopes: list[tuple[str, dict[str, list[float]], ast.AST]] = []
        self.found: list[Comparison] = []
        self.statement: ast.stmt | None = None
        self.differs: set[int] = set()  # approx calls on the right of !=
        # statement -> (the block it is in, its index there, the statement holding the block)
        self.blocks: dict[int, tuple[list[ast.stmt], int, ast.stmt | None]] = {}
        for parent in ast.walk(tree):
            for name in ("body", "orelse", "finalbody"):
                block = getattr(parent, name, None)
                if isinstance(block, list):
                    for index, child in enumerate(block):
                        if isinstance(child, ast.stmt):
                            holder = parent if isinstance(parent, ast.stmt) else None
                            self.blocks[id(child)] = (block, index, holder)

    @staticmethod
    def _assignments(body: list[ast.stmt] | Any) -> dict[str, list[float]]:
        names: dict[str, list[float]] = {}
        for node in body:
            for sub in ast.walk(node) if not isinstance(node, list) else node:
                if isinstance(sub, ast.Assign):
                    for target in sub.targets:
                        if isinstance(target, ast.Name):
                            names.setdefault(target.id, []).extend(_numbers(sub.value))
        return names

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.scopes.append((node.name, self._assignments(node.body), node))
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.stmt):
            outer, self.statement = self.statement, node
            super().generic_visit(node)
            self.statement = outer
        else:
            super().generic_visit(node)

    def _resolve(self, node: ast.expr | None, default: float) -> list[float]:
        if node is None:
            return [default]
        if isinstance(node, ast.Name):
            for _name, names, _node in reversed(self.scopes):
                if names.get(node.id):
                    return names[node.id]
            return self.module_names.get(node.id) or [default]
        return _numbers(node) or [default]

    def _comments_above(self, stmt: ast.stmt) -> list[str]:
        comments: list[str] = []
        i = stmt.lineno - 2  # the lines just above the statement
        while i >= 0 and self.lines[i].strip().startswith("#"):
            comments.insert(0, self.lines[i].strip().lstrip("#").strip())
            i -= 1
        return comments

    def _reason(self, stmt: ast.stmt | None) -> str:
        """The comments that explain ``stmt``: on its lines, just above it, or else above
        the nearest earlier statement of its block (or of the blocks holding it)."""
        if stmt is None:
            return ""
        inline = []
        for line in self.lines[stmt.lineno - 1 : (stmt.end_lineno or stmt.lineno)]:
            _code, sep, comment = line.partition("  # ")
            if sep:
                inline.append(comment.strip())
        node: ast.stmt | None = stmt
        while node is not None and not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            block, index, parent = self.blocks.get(id(node), ([], 0, None))
            for sibling in reversed(block[: index + 1]):
                above = self._comments_above(sibling)
                if above:
                    return " ".join(above + inline)
            node = parent
        return " ".join(inline)

    def visit_Compare(self, node: ast.Compare) -> None:
        # ``x != pytest.approx(y, rel=...)`` asserts a difference, not an agreement: its
        # tolerance is no claim of parity with R, so it is not listed (nor needs a reason)
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.NotEq) and isinstance(right, ast.Call):
                self.differs.add(id(right))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if id(node) in self.differs:
            self.generic_visit(node)
            return
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "approx"
            and isinstance(func.value, ast.Name)
            and func.value.id == "pytest"
        ):
            kw = {k.arg: k.value for k in node.keywords}
            function = self.scopes[-1][0] if self.scopes else "(module)"
            # pytest: with abs= and no rel=, the relative tolerance is not used at all
            rel = (
                [] if "abs" in kw and "rel" not in kw else self._resolve(kw.get("rel"), DEFAULT_REL)
            )
            self.found.append(
                Comparison(
                    self.path.name,
                    function,
                    node.lineno,
                    rel,
                    self._resolve(kw.get("abs"), DEFAULT_ABS),
                    self._reason(self.statement),
                )
            )
        self.generic_visit(node)


def read_test_module(path: Path) -> TestModule:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    visitor = _Approx(path, source, tree)
    visitor.visit(tree)
    tests = sum(
        1
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    )
    return TestModule(path, tests, visitor.found)


def reads_script_output(path: Path, script: str, outputs: set[str]) -> bool:
    """Whether a test module names the R script (``os.R``) or opens one of its outputs
    (``RESULTS / "os.json"``, ``tests/results/os.csv``...)."""
    source = path.read_text(encoding="utf-8")
    if re.search(r"(?<![\w.])" + re.escape(script) + r"(?!\w)", source):
        return True
    return any(
        re.search(r"results\W{1,8}" + re.escape(n) + r"(?!\w)", source, re.IGNORECASE)
        for n in outputs
    )


# --------------------------------------------------------------------------- the page


@dataclass
class Script:
    path: Path
    header: str
    versions: str
    functions: dict[str, list[str]]
    reads: list[str]
    outputs: list[Output]
    modules: list[TestModule]

    @property
    def values(self) -> int:
        return sum(o.values for o in self.outputs)

    @property
    def comparisons(self) -> list[Comparison]:
        return [c for m in self.modules for c in m.comparisons]


def collect(results: Path, tests: Path) -> list[Script]:
    test_paths = sorted(tests.glob("test_*.py"))
    scripts = []
    # scripts starting with "_" are helpers sourced by the others (they write no values)
    for path in sorted(p for p in results.glob("*.R") if not p.name.startswith("_")):
        text = path.read_text(encoding="utf-8")
        header = header_comment(text)
        code = r_code(text)
        named = set(re.findall(r"tests/results/([\w.-]+\.(?:csv|json))", header))
        outputs = sorted(
            {p for p in results.glob(path.stem + ".*") if p.suffix != ".R"}
            | {results / n for n in named if (results / n).exists()}
        )
        modules = [
            read_test_module(t)
            for t in test_paths
            if reads_script_output(t, path.name, {o.name for o in outputs})
        ]
        scripts.append(
            Script(
                path,
                header,
                versions_sentence(header),
                r_functions(code),
                files_read(code),
                [read_output(o) for o in outputs],
                modules,
            )
        )
    return scripts


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def render(scripts: list[Script], root: Path) -> tuple[str, list[str]]:
    """The page's Markdown, and the looser tolerances that have no comment."""
    problems: list[str] = []
    out: list[str] = []
    total_values = sum(s.values for s in scripts)
    total_cmp = sum(len(s.comparisons) for s in scripts)
    out += [
        f"{len(scripts)} R scripts wrote {total_values:,} reference values; the test modules "
        f"that read them compare with `pytest.approx` at {total_cmp:,} places in their code "
        "(most of them parametrised over every row or case of a reference file).",
        "",
        "| R script | R and packages | reference values | test modules | tolerances |",
        "|---|---|---:|---|---|",
    ]
    for s in scripts:
        cmp = s.comparisons
        looser = sum(c.looser for c in cmp)
        tol = "rel 1e-6 or tighter" + (f"; {looser} looser (listed below)" if looser else "")
        mods = ", ".join(f"`{m.path.name}`" for m in s.modules) or "(none)"
        out.append(
            f"| {{ref}}`{s.path.name} <validation-{s.path.stem}>` | {s.versions} | "
            f"{s.values:,} | {mods} | {tol} |"
        )
    out.append("")

    for s in scripts:
        out += [f"(validation-{s.path.stem})=", f"## `{s.path.name}`", ""]
        out += [f"**R and packages:** {s.versions}.", ""]
        if s.functions:
            funcs = "; ".join(
                f"{pkg}: " + ", ".join(f"`{f}()`" for f in fs) for pkg, fs in s.functions.items()
            )
            out += [f"**R functions called:** {funcs}.", ""]
        if s.reads:
            out += ["**Data read:** " + ", ".join(f"`{r}`" for r in s.reads) + ".", ""]
        out += ["**Reference values:**", ""]
        for o in s.outputs:
            out.append(
                f"- `{_rel(o.path, root)}`: {o.values:,} values ({o.note})"
                + (":" if o.parts else ".")
            )
            for case, n, subs in o.parts:
                line = f"  - `{case}`: {n:,}"
                if subs and len(subs) <= 40:
                    line += " (" + ", ".join(f"`{k}` {m:,}" for k, m in subs) + ")"
                out.append(line)
        out.append("")
        cmp = s.comparisons
        default = sum(not c.looser and not c.tighter for c in cmp)
        tighter = [c for c in cmp if c.tighter]
        looser = [c for c in cmp if c.looser]
        out += [
            "**Checked by:** "
            + ", ".join(f"`{_rel(m.path, root)}` ({m.tests} test functions)" for m in s.modules)
            + ".",
            "",
        ]
        text = (
            f"**Tolerance:** `pytest.approx` at {len(cmp)} places; {default} with pytest's "
            "default, relative 1e-6 (absolute 1e-12 near zero)"
        )
        if tighter:
            low = min(min(c.rel) for c in tighter)
            text += f", {len(tighter)} tighter (down to rel={low:g})"
        text += f", {len(looser)} looser" + (", each with its reason:" if looser else ".")
        out += [text, ""]
        if looser:
            out += ["| test | tolerance | reason (the test's comment) |", "|---|---|---|"]
            for c in looser:
                reason = c.reason.replace("|", "\\|")
                if not reason:
                    problems.append(
                        f"tests/{c.module}:{c.line} ({c.function}): "
                        f"{c.tolerance()} has no comment giving its reason"
                    )
                    reason = "*(no comment in the test)*"
                out.append(
                    f"| `{c.module}::{c.function}` (line {c.line}) | {c.tolerance()} | {reason} |"
                )
            out.append("")
        out += [
            "<details><summary>The script's header</summary>",
            "",
            "```text",
            s.header,
            "```",
            "",
            "</details>",
            "",
        ]
    return "\n".join(out), problems


# --------------------------------------------------------------------------- Sphinx


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if not PLACEHOLDER.search(source[0]):
        return
    results = Path(app.config.mdsrs_validation_results)
    tests = Path(app.config.mdsrs_validation_tests)
    root = tests.parent
    scripts = collect(results, tests)
    text, problems = render(scripts, root)
    for problem in problems:
        logger.warning("validation page: %s", problem, location=docname)
    for s in scripts:
        for path in [s.path, *(o.path for o in s.outputs), *(m.path for m in s.modules)]:
            app.env.note_dependency(str(path))
    source[0] = PLACEHOLDER.sub(lambda _m: text, source[0])


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("mdsrs_validation_results", "", "env")
    app.add_config_value("mdsrs_validation_tests", "", "env")
    app.connect("source-read", _on_source_read)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":  # print the generated Markdown: python docs/_ext/validation.py
    here = Path(__file__).resolve().parents[2]
    page, missing = render(collect(here / "tests" / "results", here / "tests"), here)
    print(page)
    for m in missing:
        print("MISSING REASON:", m)
