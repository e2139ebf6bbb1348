"""Modules bound lazily (``mdsrs_core._lazy``): NumPy's developer tools are not imported by
SciPy's star import of numpy, and load in full when read."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def test_scipys_star_import_of_numpy_leaves_its_developer_tools_unloaded():
    out = _run(
        """
        import sys
        import numpy
        from mdsrs_core._lazy import defer_numpy_tools
        defer_numpy_tools()
        import scipy.special
        print(scipy.special.ndtr(0.0))
        loaded = [m for m in ("numpy.f2py.crackfortran", "numpy.testing._private.utils",
                              "charset_normalizer", "unittest") if m in sys.modules]
        print(loaded)
        """
    )
    assert out.splitlines() == ["0.5", "[]"]


def test_without_deferring_scipys_star_import_loads_them():
    """The premise of ``defer_numpy_tools``: a plain process imports both with SciPy."""
    out = _run(
        """
        import sys
        import numpy
        import scipy.special
        print([m in sys.modules for m in ("numpy.f2py.crackfortran", "numpy.testing")])
        """
    )
    assert out == "[True, True]"


def test_the_deferred_modules_load_in_full_when_read():
    out = _run(
        """
        import sys
        import numpy
        from mdsrs_core._lazy import defer_numpy_tools
        defer_numpy_tools()
        import scipy.special
        numpy.testing.assert_allclose([1.0, 2.0], [1.0, 2.0 + 1e-12])
        from numpy.testing import assert_array_equal
        assert_array_equal([1], [1])
        import numpy.f2py
        print(callable(numpy.f2py.run_main), "numpy.f2py.crackfortran" in sys.modules)
        try:
            numpy.testing.assert_allclose(1.0, 2.0)
        except AssertionError:
            print("asserts")
        """
    )
    assert out.splitlines() == ["True True", "asserts"]


def test_modules_already_imported_are_left_alone():
    out = _run(
        """
        import sys
        import numpy.testing
        real = sys.modules["numpy.testing"]
        from mdsrs_core._lazy import defer_numpy_tools
        defer_numpy_tools()
        print(sys.modules["numpy.testing"] is real, numpy.testing is real)
        """
    )
    assert out == "True True"
