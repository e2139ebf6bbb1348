"""Modules imported on first use: ``sps = lazy_module("scipy.stats")`` binds a name whose
first attribute access imports the module.

The report's formatting code imports plugin modules for their constants (test names,
grade labels); with the statistics stack bound lazily, that costs no scipy, statsmodels or
patsy import in a process that only formats (the report after the analyses, ``mdsrs
plugins``), while the analysis code keeps its plain ``sps.norm.cdf(...)`` spelling.

:func:`defer_numpy_tools` binds two of NumPy's developer tools lazily, for the same reason.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

__all__ = ["lazy_module", "defer_numpy_tools"]

#: NumPy submodules that no analysis uses and that a star import of numpy imports: the
#: Fortran wrapper generator and the test helpers
NUMPY_TOOLS = ("numpy.f2py", "numpy.testing")


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


def defer_numpy_tools() -> None:
    """Bind ``numpy.f2py`` and ``numpy.testing`` as modules loaded on their first attribute
    access (:class:`importlib.util.LazyLoader`), as NumPy's own ``__getattr__`` loads them on
    first access, so that a ``from numpy import *`` does not import them.

    SciPy's array-API layer (``scipy._lib.array_api_compat.numpy``) runs such a star import
    when ``scipy.special`` is first imported; it imported both, with ``unittest``,
    ``charset_normalizer`` and every codec of the standard library (about 0.1-0.15 s of an
    analysis worker's first endpoint) for names nothing in an analysis reads. A module
    already imported is left as it is; so is one that cannot be found. Once they are read
    (``numpy.testing.assert_allclose``, ``import numpy.f2py``), they load in full.
    """
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return
    for name in NUMPY_TOOLS:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.loader is None:
            continue
        loader = importlib.util.LazyLoader(spec.loader)
        spec.loader = loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loader.exec_module(module)
        setattr(numpy, name.rpartition(".")[2], module)
