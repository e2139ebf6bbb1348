"""Sphinx configuration of the mdsrs documentation (MyST Markdown pages, furo theme).

Build it as CI does:  tox -e docs   (sphinx-build -W --keep-going -b html docs docs/_build/html)
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The local extension that writes the validation page from tests/results/ at build time.
sys.path.insert(0, str(DOCS / "_ext"))

import mdsrs_core  # noqa: E402  (installed with the docs extra; its version is the release)

project = "mdsrs"
author = "the mdsrs authors"
copyright = "the mdsrs authors"
release = mdsrs_core.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "validation",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_ext",
    # The example plugin is a project of its own: the guide includes its files
    # (literalinclude); its README and build folders are not pages of this site.
    "examples",
]

# MyST: ```{eval-rst} blocks for autodoc, anchors for the "page.md#section" links.
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# autodoc: document what a user imports, with the signature's annotations as written.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_default_options: dict[str, object] = {}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True

html_theme = "furo"
html_title = f"mdsrs {release}"
html_static_path: list[str] = []

# The validation page reads these (docs/_ext/validation.py).
mdsrs_validation_results = str(ROOT / "tests" / "results")
mdsrs_validation_tests = str(ROOT / "tests")
