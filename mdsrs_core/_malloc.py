"""Giving freed memory back to the operating system between analyses (glibc's ``malloc_trim``).

A worker process runs the endpoints one after another. NumPy and pandas free an analysis's
temporaries (at 10^6 patients, hundreds of megabytes of arrays) into the C heap, where
glibc keeps the free pages as part of the process (its resident memory) unless they are
at the heap's top; the next analysis's allocations land elsewhere and the process grows
with each endpoint. ``malloc_trim(0)`` returns every free page of the heap to the system
(``madvise(MADV_DONTNEED)``), so each analysis starts from what is really in use. Where the
C library is not glibc (macOS, musl), nothing is done.
"""

from __future__ import annotations

import ctypes
import functools
import sys

__all__ = ["release_free_memory"]


@functools.cache
def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process is linked to
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system; whether anything was returned (False
    where the C library has no ``malloc_trim``)."""
    trim = _trim()
    return bool(trim(0)) if trim is not None else False
