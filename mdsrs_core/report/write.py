"""Writing a run's report in the formats asked for, through the registered renderers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..outputs import replace_path, staging_dir

if TYPE_CHECKING:  # pragma: no cover
    from ..plugins import Registry
    from ..runner import RunResult
    from .document import Document
    from .prerender import FigurePool
    from .renderers import Renderer

__all__ = [
    "write_document",
    "DEFAULT_FORMATS",
    "ALWAYS",
    "Written",
    "parse_formats",
    "write_report",
    "output_names",
]

#: formats written when none are asked for
DEFAULT_FORMATS = ("html", "md")
#: formats always written (the records)
ALWAYS = ("json",)


@dataclass
class Written:
    """One format's outcome: the file written, or the error that stopped it."""

    format: str
    path: Path
    error: str | None = None


def parse_formats(value: str | Iterable[str] | None, available: Iterable[str]) -> list[str]:
    """``"html,docx"`` -> ``["json", "html", "docx"]`` (json first, always); raises
    ``ValueError`` naming an unknown format and the available ones."""
    if value is None:
        asked = list(DEFAULT_FORMATS)
    else:
        items = [value] if isinstance(value, str) else list(value)
        asked = [
            x.strip().lower().lstrip(".") for item in items for x in item.split(",") if x.strip()
        ]
        asked = ["md" if x == "markdown" else x for x in asked]
    available = list(available)
    unknown = [x for x in asked if x not in available]
    if unknown:
        raise ValueError(
            f"unknown format{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; available: {', '.join(available)}"
        )
    return list(dict.fromkeys([*ALWAYS, *asked]))


def write_report(
    run: RunResult,
    out_dir: Path,
    formats: Iterable[str] | None = None,
    *,
    registry: Registry | None = None,
    progress: Callable[[str], None] | None = None,
    inputs: Mapping[str, str | Path | None] | None = None,
    figures: FigurePool | None = None,
) -> list[Written]:
    """Build the report of ``run`` once and write it in every format of ``formats``
    (default :data:`DEFAULT_FORMATS`, plus :data:`ALWAYS`) into ``out_dir``.

    A renderer that raises does not stop the others: its :class:`Written` carries the error.
    Nothing is written when a file of the report would overwrite an input (the cohort's
    files, and ``inputs``: role -> path): :class:`~mdsrs_core.errors.StudyError`. Each
    format is rendered into a hidden folder inside ``out_dir`` and renamed into place only
    when complete (:mod:`mdsrs_core.outputs`), so no half-written file is ever left.
    ``figures``: a :class:`~mdsrs_core.report.prerender.FigurePool` already drawing the
    figures (``mdsrs run``); without it they are drawn here.
    """
    from ..outputs import check_output_dir
    from ..plugins import get_registry
    from .document import Document
    from .renderers import DATA_FORMATS

    registry = registry or run.registry or get_registry()
    renderers = registry.renderers()
    names = parse_formats(None if formats is None else list(formats), renderers)
    out_dir = Path(out_dir)
    protected = {**getattr(run.cohort, "input_files", {}), **(inputs or {})}
    check_output_dir(out_dir, output_names([renderers[n] for n in names]), protected, option="")
    out_dir.mkdir(parents=True, exist_ok=True)
    # the formats of the records alone first: written while the figures are still drawn
    data = [n for n in names if n in DATA_FORMATS]
    rest = [n for n in names if n not in DATA_FORMATS]
    written = []
    if data:
        records = Document("mdsrs report", records=run.records)
        written += write_document(records, out_dir, data, renderers, progress=progress)
    if rest:
        from .build import build_document

        if progress is not None:
            progress("building the report")
        document = build_document(run, registry=registry, figures=figures)
        written += write_document(document, out_dir, rest, renderers, progress=progress)
    order = {name: i for i, name in enumerate(names)}
    return sorted(written, key=lambda w: order[w.format])


def write_document(
    document: Document,
    out_dir: Path,
    names: Iterable[str],
    renderers: Mapping[str, Renderer],
    *,
    progress: Callable[[str], None] | None = None,
) -> list[Written]:
    """Write ``document`` in the formats ``names`` into ``out_dir``, each rendered aside and
    renamed into place when complete (what :func:`write_report` and ``mdsrs design`` do once
    the output folder is checked)."""
    written = []
    with staging_dir(out_dir) as stage:
        for name in names:
            renderer = renderers[name]
            path = out_dir / renderer.filename()
            if progress is not None:
                progress(f"writing {path.name}")
            aside = stage / name
            aside.mkdir()
            try:
                renderer.render(document, aside / path.name)
                if not (aside / path.name).exists():
                    raise FileNotFoundError(f"the renderer did not write {path.name}")
                # the report file last, so that it never points at figures not yet in place
                for entry in sorted(aside.iterdir(), key=lambda p: p.name == path.name):
                    replace_path(entry, out_dir / entry.name)
            except Exception as exc:  # one format failing must not cost the others
                written.append(
                    Written(
                        name,
                        path,
                        f"{type(exc).__name__}: {exc} (renderer "
                        f"'{name}' of plugin '{renderer.plugin}')",
                    )
                )
                continue
            written.append(Written(name, path))
    return written


def output_names(renderers: Iterable[Renderer]) -> list[str]:
    """What writing these formats may put into the output folder: each renderer's file and
    the ``<stem>_files`` folder a format may write beside it (the Markdown figures)."""
    out: list[str] = []
    for renderer in renderers:
        name = renderer.filename()
        out += [name, f"{Path(name).stem}_files"]
    return list(dict.fromkeys(out))
