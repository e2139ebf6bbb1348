"""Rendered figures kept between runs, so that a run repeated after a small change (a label,
one endpoint's formula) draws only the figures whose inputs changed.

Drawing is most of the time of ``mdsrs run`` (matplotlib lays out and draws every text and
tick in Python). A figure is a pure function of its inputs and of the code drawing it, so
its rendering (SVG text, PNG bytes) is stored under a key that is a SHA-256 of

- the endpoint's name, its records and its figure data (pickled), and the renderings asked
  for (SVG; PNG at a resolution);
- the drawing code: the text of every module of ``mdsrs_core`` and of the endpoint's plugin
  package, and the versions of matplotlib and NumPy;
- the drawing environment: the fonts the figures use (:func:`~.style._fonts`) and every
  matplotlib rcParam in force.

Anything that changes a figure changes its key; an input that cannot be pickled, or one that
pickles differently on each run (a set of texts, for instance), only means no reuse. The
cached entries are JSON (text and base64), never pickles: reading the cache runs no code.

Where: ``$MDSRS_CACHE_DIR``, else ``$XDG_CACHE_HOME/mdsrs/figures``, else
``~/.cache/mdsrs/figures``. ``mdsrs run --no-cache`` or ``MDSRS_NO_CACHE=1`` turns it off;
the folder may be deleted at any time. It is kept under :data:`MAX_BYTES` by removing the
least recently used entries.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

from .document import Figure

__all__ = ["cache_dir", "figure_key", "load", "store", "MAX_BYTES"]

#: the cache's size limit (least recently used entries go first)
MAX_BYTES = 256 * 1024 * 1024
#: the format of an entry (a change makes older entries unread)
_VERSION = 1

_code_hashes: dict[str, str] = {}


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is turned off (``MDSRS_NO_CACHE``)."""
    if os.environ.get("MDSRS_NO_CACHE", "").strip() not in ("", "0"):
        return None
    if os.environ.get("MDSRS_CACHE_DIR"):
        return Path(os.environ["MDSRS_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "mdsrs" / "figures"


def _tree_hash(folder: Path) -> str:
    """SHA-256 of every ``.py`` file under ``folder`` (names and contents), memoised."""
    key = str(folder)
    if key not in _code_hashes:
        digest = hashlib.sha256()
        for path in sorted(folder.rglob("*.py")):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
        _code_hashes[key] = digest.hexdigest()
    return _code_hashes[key]


def _package_folder(module_name: str) -> Path | None:
    import sys

    top = sys.modules.get(module_name.split(".")[0])
    file = getattr(top, "__file__", None)
    return Path(file).parent if file else None


@functools.cache
def _environment() -> bytes:
    """Versions, fonts and rcParams in force (once per process: they do not change during
    a run)."""
    import matplotlib
    import numpy

    from .style import _fonts, figure_style

    with figure_style():
        rc = sorted((k, repr(v)) for k, v in matplotlib.rcParams.items())
    return repr((matplotlib.__version__, numpy.__version__, _fonts(), rc)).encode()


def figure_key(endpoint: Any, name: str, records: list, data: Any, kinds: tuple) -> str | None:
    """The key of an endpoint's rendered figures, or None when the inputs cannot be keyed."""
    try:
        inputs = pickle.dumps((name, records, data, kinds), protocol=5)
    except Exception:  # noqa: BLE001 - not picklable: drawn every time
        return None
    digest = hashlib.sha256(f"mdsrs-figures-{_VERSION}".encode())
    core = Path(__file__).resolve().parent.parent
    for folder in (core, _package_folder(type(endpoint).__module__)):
        digest.update(_tree_hash(folder).encode() if folder else b"-")
    digest.update(_environment())
    digest.update(inputs)
    return digest.hexdigest()


def _encode(figure: Figure) -> dict[str, Any]:
    pngs = figure.__dict__.get("_png_by_dpi", {})
    return {
        "title": figure.title,
        "caption": figure.caption,
        "id": figure.id,
        "svg": figure.svg,
        "png": base64.b64encode(figure.png).decode() if figure.png is not None else None,
        "png_by_dpi": {str(d): base64.b64encode(b).decode() for d, b in pngs.items()},
    }


def _decode(entry: dict[str, Any]) -> Figure:
    figure = Figure(
        entry["title"],
        svg=entry["svg"],
        png=base64.b64decode(entry["png"]) if entry["png"] is not None else None,
        caption=entry["caption"],
        id=entry["id"],
    )
    figure.__dict__["_png_by_dpi"] = {
        int(d): base64.b64decode(b) for d, b in entry["png_by_dpi"].items()
    }
    return figure


def load(key: str) -> tuple[str, Any, list] | None:
    """The cached ("ok", [Figure, ...], warnings) or ("error", reason, warnings) of ``key``,
    or None (not cached, turned off, unreadable)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{key}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("version") != _VERSION:
            return None
        caught = [(m, UserWarning, f, int(n)) for m, f, n in entry["warnings"]]
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used
        if entry["status"] == "ok":
            return "ok", [_decode(e) for e in entry["figures"]], caught
        return "error", str(entry["reason"]), caught
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(key: str, status: str, value: Any, caught: list) -> None:
    """Keep a rendering (what :func:`load` returns); never raises."""
    folder = cache_dir()
    if folder is None:
        return
    entry: dict[str, Any] = {
        "version": _VERSION,
        "status": status,
        "warnings": [(str(m), str(f), int(n)) for m, _c, f, n in caught],
    }
    if status == "ok":
        entry["figures"] = [_encode(f) for f in value]
    else:
        entry["reason"] = str(value)
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(entry, handle)
        os.replace(tmp, folder / f"{key}.json")
        _prune(folder)
    except (OSError, TypeError, ValueError):
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(folder: Path, limit: int = MAX_BYTES) -> None:
    """Remove the least recently used entries beyond ``limit`` bytes (and stale temporary
    files an interrupted write left)."""
    entries = []
    now = time.time()
    for path in folder.iterdir():
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.name.startswith(".tmp-"):
            if now - stat.st_mtime > 3600:
                with contextlib.suppress(OSError):
                    path.unlink()
            continue
        if path.suffix == ".json":
            entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        with contextlib.suppress(OSError):
            path.unlink()
        total -= size
