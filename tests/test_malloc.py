"""Freed C-heap pages go back to the system between a worker's analyses (mdsrs_core._malloc)."""

from __future__ import annotations

import subprocess
import sys

import pytest

GLIBC = sys.platform.startswith("linux") and "glibc" in " ".join(__import__("platform").libc_ver())

# a heap with 200 MB free below a live block: glibc keeps those pages until trimmed
SCRIPT = """
import sys
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
blocks = [bytearray(4000) for _ in range(50_000)]  # 200 MB in the heap (below mmap's 128 kB)
keep = bytearray(4000)  # live, above them: the heap's top cannot shrink past it
del blocks
before = rss()
from mdsrs_core._malloc import release_free_memory
done = release_free_memory()
print(done, before - rss())
"""


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_free_heap_pages_are_returned():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "True"
    assert int(out[1]) > 150 * 2**20  # most of the 200 MB freed
