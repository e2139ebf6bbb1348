"""Writing outputs without ever destroying an input, and never half a file.

Two rules, shared by ``mdsrs run``, ``mdsrs ipssr -o``, ``mdsrs example`` and
:func:`mdsrs_core.report.write.write_report`:

* **Checked before the analysis.** :func:`check_output_dir` and :func:`check_output_file`
  refuse, with a :class:`~mdsrs_core.errors.StudyError` (exit code 2), an output that would
  overwrite an input (the data, adverse-event, long-labs or study file: compared with
  :func:`os.path.samefile`, so another spelling, a symlink or a hard link is caught too), an
  output folder that is an existing file, and one that cannot be created or written into.
* **Atomic.** Every file is written under a temporary name in its own folder and renamed
  over the final name only when complete (:func:`atomic_path`, :func:`os.replace`): an
  interrupted run (Ctrl-C, a full disk, a crash) leaves the previous file or none, never a
  truncated one that looks complete. Folders of files (``report_files/``) are built aside
  and swapped in whole (:func:`replace_path`).

Import-light (standard library only): the command line calls it before loading the data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .errors import StudyError

__all__ = [
    "check_output_dir",
    "check_output_file",
    "atomic_path",
    "write_text_atomic",
    "write_bytes_atomic",
    "replace_path",
    "staging_dir",
]

#: Names of the temporary files and folders (hidden; removed on success and on failure).
TEMP_PREFIX = ".mdsrs-tmp-"


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def _clean_inputs(inputs: Mapping[str, str | Path | None] | None) -> list[tuple[str, Path]]:
    return [(role, Path(p)) for role, p in (inputs or {}).items() if p]


def _creatable(folder: Path) -> str | None:
    """Why ``folder`` cannot be created or written into (None if it can).

    Tried, not guessed (permissions, read-only file systems and ``/proc`` differ, and root
    passes every :func:`os.access` test): the missing folders are created, a file is made
    in the deepest, and everything made is removed again.
    """
    missing: list[Path] = []
    current = folder
    while not current.exists():
        if current.is_symlink():
            return f"{current} is a broken symbolic link"
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    if not current.is_dir():
        return f"{current} is a file, not a folder"
    made: list[Path] = []
    try:
        for part in reversed(missing):
            part.mkdir()
            made.append(part)
        fd, probe = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"{exc.strerror or exc}".lower() + f" ({exc.filename or folder})"
    finally:
        for part in reversed(made):
            with contextlib.suppress(OSError):
                part.rmdir()
    return None


def check_output_dir(
    out_dir: str | Path,
    names: Iterable[str],
    inputs: Mapping[str, str | Path | None] | None = None,
    *,
    option: str = "--out",
) -> None:
    """Refuse ``out_dir`` before anything is analysed or written.

    ``names`` are the files (and folders) that will be written into it; ``inputs`` maps a
    role (``"data file"``) to a path that must survive. Raises :class:`StudyError` naming the
    folder, the file and the rule.
    """
    out_dir = Path(out_dir)
    where = f"{option} {out_dir}" if option else str(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise StudyError(
            f"{where}: is an existing file, not a folder; give a folder (new or existing) for "
            "the outputs."
        )
    why = _creatable(out_dir)
    if why:
        raise StudyError(f"{where}: the output folder cannot be used: {why}.")
    for role, path in _clean_inputs(inputs):
        if _same(path, out_dir):
            raise StudyError(f"{where}: is the {role} {path}, not a folder.")
        for name in names:
            target = out_dir / name
            if _same(target, path) or (
                name.endswith("_files") and target.exists() and _inside(path, target)
            ):
                raise StudyError(
                    f"{where}: writing {name} there would overwrite the {role} {path}; "
                    "choose another output folder (mdsrs never writes over its inputs)."
                )


def check_output_file(
    path: str | Path,
    inputs: Mapping[str, str | Path | None] | None = None,
    *,
    option: str = "-o",
) -> None:
    """Refuse an output file that is a folder, would overwrite an input, or cannot be
    created (:class:`StudyError`, before anything is computed)."""
    path = Path(path)
    where = f"{option} {path}" if option else str(path)
    if path.is_dir():
        raise StudyError(f"{where}: is a folder; give the name of a file to write.")
    for role, source in _clean_inputs(inputs):
        if _same(path, source):
            raise StudyError(
                f"{where}: would overwrite the {role} {source}; choose another file name "
                "(mdsrs never writes over its inputs)."
            )
    why = _creatable(path.parent)
    if why:
        raise StudyError(f"{where}: the file cannot be created: {why}.")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed to ``path`` when the block ends normally,
    removed when it raises (or is interrupted)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def replace_path(source: Path, target: Path) -> None:
    """Move ``source`` (a file or a folder) to ``target``, replacing what is there.

    A file replaces a file in one rename (:func:`os.replace`). A folder replaces a folder by
    renaming the old one aside, the new one in, then deleting the old one, so that ``target``
    is always one complete folder. A file never replaces a folder, nor a folder a file (the
    :class:`OSError` says why): nothing of the user's is deleted to make room.
    """
    if source.is_dir() and target.is_dir() and not target.is_symlink():
        old = target.with_name(f"{TEMP_PREFIX}old-{target.name}-{os.getpid()}")
        os.replace(target, old)
        os.replace(source, target)
        shutil.rmtree(old, ignore_errors=True)
        return
    if target.is_dir() and not source.is_dir():
        raise IsADirectoryError(f"{target} is a folder, not a file; it was left as it is")
    os.replace(source, target)


@contextlib.contextmanager
def staging_dir(out_dir: Path) -> Iterator[Path]:
    """A hidden temporary folder inside ``out_dir`` (same file system, so renames are
    atomic), removed with whatever is left in it when the block ends."""
    tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=out_dir))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
