"""The built-in report formats, registered through the ``mdsrs_register_renderers`` hook.

:class:`mdsrs_core.plugins.Registry` registers this module as a plugin when it is created
(as pytest registers its built-in plugins), so the built-in formats and a plugin's are found
the same way. Import-light: each format's module is imported when a file is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .document import Document

__all__ = ["Renderer", "mdsrs_register_renderers", "PLUGIN_NAME", "DATA_FORMATS"]

#: the name this module is registered under in the plugin manager
PLUGIN_NAME = "mdsrs-report"
#: formats that write the records themselves (``results.<suffix>``), not the report
DATA_FORMATS = ("json", "csv")

hookimpl = pluggy.HookimplMarker("mdsrs")  # the same marker as mdsrs_core.hookimpl


@dataclass(frozen=True)
class Renderer:
    """A report format: ``render(document, path)`` writes ``stem + suffix``."""

    name: str
    suffix: str
    render: Callable[[Document, Path], Any]
    plugin: str = PLUGIN_NAME
    stem: str = "report"

    def filename(self) -> str:
        return f"{self.stem}{self.suffix}"


def _html(document: Document, path: Path) -> None:
    from .html import render_html

    render_html(document, path)


def _docx(document: Document, path: Path) -> None:
    from .word import render_docx

    render_docx(document, path)


def _markdown(document: Document, path: Path) -> None:
    from .markdown import render_markdown

    render_markdown(document, path)


def _json(document: Document, path: Path) -> None:
    from ..records import records_to_json

    path.write_text(records_to_json(document.records), encoding="utf-8")


def _csv(document: Document, path: Path) -> None:
    from .data import write_records_csv

    write_records_csv(document.records, path)


@hookimpl
def mdsrs_register_renderers(register: Callable[..., None]) -> None:
    """HTML (self-contained), Word, Markdown, and the records as JSON and CSV."""
    register("html", ".html", _html)
    register("docx", ".docx", _docx)
    register("md", ".md", _markdown)
    register("json", ".json", _json, stem="results")
    register("csv", ".csv", _csv, stem="results")
