"""Every hook of the plugin API is documented and tested (the check datasette makes).

A hook is a function marked ``@hookspec`` in ``mdsrs_core/hookspecs.py``. Each must

* have a docstring (the plugin guide renders it: ``automodule:: mdsrs_core.hookspecs``),
* be named in the plugin guide, ``docs/plugins.md``, and
* be implemented (``def HOOK(``) by a plugin in at least one test module other than this one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pluggy
import pytest

from mdsrs_core import hookspecs

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "plugins.md"
TESTS = Path(__file__).resolve().parent


def _decorated_hookspecs() -> list[str]:
    """Names of the functions decorated ``@hookspec`` in the module's source."""
    tree = ast.parse(Path(hookspecs.__file__).read_text(encoding="utf-8"))
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(d, ast.Name) and d.id == "hookspec" for d in node.decorator_list)
    ]


HOOKS = _decorated_hookspecs()


def test_the_source_and_pluggy_agree_on_the_hooks():
    manager = pluggy.PluginManager("mdsrs")
    manager.add_hookspecs(hookspecs)
    registered = sorted(name for name in vars(manager.hook) if not name.startswith("_"))
    assert registered == sorted(HOOKS)
    assert len(HOOKS) >= 4  # register_endpoints, derive, register_renderers, report_sections


def test_the_guide_renders_the_hook_specifications():
    guide = GUIDE.read_text(encoding="utf-8")
    assert re.search(r"^\.\. automodule:: mdsrs_core\.hookspecs$", guide, re.MULTILINE)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring(hook):
    doc = getattr(hookspecs, hook).__doc__
    assert doc and doc.strip(), f"{hook} has no docstring in mdsrs_core/hookspecs.py"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_named_in_the_plugin_guide(hook):
    guide = GUIDE.read_text(encoding="utf-8")
    assert re.search(rf"\b{hook}\b", guide), f"{hook} is not named in docs/plugins.md"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_implemented_in_a_test(hook):
    here = Path(__file__).resolve()
    implementing = [
        path.name
        for path in sorted(TESTS.glob("test_*.py"))
        if path.resolve() != here
        and re.search(rf"\bdef {hook}\(", path.read_text(encoding="utf-8"))
    ]
    assert implementing, f"no test module implements the hook {hook}"
