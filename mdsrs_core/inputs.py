"""Only regular files are read.

A folder, a device (``/dev/zero`` grows memory until the machine runs out; ``/dev/stdin``
waits for ever), a named pipe (FIFO) or a socket, or a symbolic link to one of them, given as
the data, adverse-event, long-labs or study file, is refused before a byte is read, with a
:class:`~mdsrs_core.errors.MdsrsError` naming the path and what it is.

Import-light (standard library only).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import CohortError, MdsrsError

__all__ = ["check_regular_file", "file_kind"]


def file_kind(mode: int) -> str:
    """What a :func:`os.stat` mode is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular_file(
    path: str | Path, what: str = "data file", error: type[MdsrsError] = CohortError
) -> None:
    """Raise ``error`` unless ``path`` is (or links to) a regular file.

    A path that does not exist passes: the caller says so in its own words.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # follows symbolic links
    except FileNotFoundError:
        return
    except OSError as exc:
        raise error(f"{path}: the {what} cannot be read ({exc.strerror}).") from None
    if stat.S_ISREG(mode):
        return
    kind = file_kind(mode)
    via = ""
    if path.is_symlink():
        via = f"a symbolic link to {os.path.realpath(path)}, which is "
    if stat.S_ISDIR(mode):
        raise error(f"{path}: is {via}{kind}, not a file; give the {what} itself.")
    raise error(
        f"{path}: is {via}{kind}, not a regular file; the {what} must be a file on disk "
        "(mdsrs reads only regular files, so that reading cannot hang or fill the memory)."
    )
