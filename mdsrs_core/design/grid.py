"""The ``--n`` grid of total trial sizes: ``100,200``, ``60:600:30`` (start:stop:step, stop
included when the steps reach it) or both, ``60:120:30,200``. Pure Python (the command line
parses it before anything heavy is imported)."""

from __future__ import annotations

__all__ = ["parse_sizes"]


def parse_sizes(text: str) -> list[int]:
    """Sorted distinct sizes; ``ValueError`` with the offending part otherwise."""
    out: set[int] = set()
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        bits = part.split(":")
        try:
            nums = [int(b) for b in bits]
        except ValueError:
            raise ValueError(
                f"'{part}' is not a size or START:STOP:STEP of whole numbers"
            ) from None
        if len(nums) == 1:
            out.add(nums[0])
            continue
        if len(nums) not in (2, 3):
            raise ValueError(f"'{part}': write START:STOP or START:STOP:STEP")
        start, stop = nums[0], nums[1]
        step = nums[2] if len(nums) == 3 else 1
        if step <= 0 or stop < start:
            raise ValueError(f"'{part}': needs START <= STOP and a STEP > 0")
        out.update(range(start, stop + 1, step))
    if not out:
        raise ValueError("give at least one size, e.g. 100,200 or 60:600:30")
    small = sorted(n for n in out if n < 4)
    if small:
        raise ValueError(f"a trial has at least 4 patients (2 per arm), not {small[0]}")
    return sorted(out)
