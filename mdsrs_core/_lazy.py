"""Modules imported on first use: ``sps = lazy_module("scipy.stats")`` binds a name whose
first attribute access imports the module.

The report's formatting code imports plugin modules for their constants (test names,
grade labels); with the statistics stack bound lazily, that costs no scipy, statsmodels or
patsy import in a process that only formats (the report after the analyses, ``mdsrs
plugins``), while the analysis code keeps its plain ``sps.norm.cdf(...)`` spelling.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule:
    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it when an attribute is first read."""
    return _LazyModule(name)
