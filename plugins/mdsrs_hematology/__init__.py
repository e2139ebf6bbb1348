"""Built-in plugin: PLT, HGB and ANC before and after treatment, endpoint ``hematology``.

Registered through the ``mdsrs`` entry-point group like any external plugin. This module
only declares the endpoint; the statistics are imported when it runs. Python API for lab
values in long form: :func:`mdsrs_hematology.long.analyze_long_labs` (also importable as
``mdsrs_hematology.analyze_long_labs``).
"""

from __future__ import annotations

from typing import Any

from mdsrs_core import hookimpl

from .endpoint import LABS, Hematology

__all__ = ["Hematology", "LABS", "analyze_long_labs", "validate_long_labs"]


def __getattr__(name: str) -> Any:  # the long-form API imports pandas: load it on use
    if name in ("analyze_long_labs", "validate_long_labs"):
        from . import long

        return getattr(long, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def mdsrs_register_endpoints(register):
    register(Hematology())
