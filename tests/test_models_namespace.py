"""``mdsrs_core.models.NAME`` is the model function even after its submodule is imported."""

from __future__ import annotations

import subprocess
import sys


def test_model_names_stay_functions_after_submodule_imports():
    code = (
        "import mdsrs_core.models.lm, mdsrs_core.models.glm\n"
        "from mdsrs_core.models.coxph import CoxphResults\n"
        "import mdsrs_core.models as m\n"
        "names = ['lm', 'glm', 'coxph'] + sorted(m.MODELS)\n"
        "assert all(callable(getattr(m, n)) and not isinstance(getattr(m, n), type(m))\n"
        "           for n in names), [getattr(m, n) for n in names]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
