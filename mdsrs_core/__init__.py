"""mdsrs core: the shared cohort, the endpoint-plugin interface, the runner and the models API.

Public names (CONTRACT.md) are imported lazily so that ``mdsrs --help`` and
``mdsrs plugins`` start without pandas, statsmodels or scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Cohort",
    "CohortError",
    "Endpoint",
    "EndpointConfig",
    "EndpointResult",
    "MdsrsError",
    "Record",
    "RunResult",
    "Study",
    "hookimpl",
    "load_example",
    "run",
    "__version__",
]

_LAZY = {
    "Cohort": ".cohort",
    "CohortError": ".errors",
    "MdsrsError": ".errors",
    "Endpoint": ".endpoint",
    "EndpointConfig": ".endpoint",
    "EndpointResult": ".endpoint",
    "Record": ".records",
    "RunResult": ".runner",
    "run": ".runner",
    "Study": ".study",
    "load_example": ".study",
    "hookimpl": ".plugins",
}

if TYPE_CHECKING:  # pragma: no cover
    from .cohort import Cohort
    from .endpoint import Endpoint, EndpointConfig, EndpointResult
    from .errors import CohortError, MdsrsError
    from .plugins import hookimpl
    from .records import Record
    from .runner import RunResult, run
    from .study import Study, load_example


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    if name == "models":
        import importlib

        return importlib.import_module(".models", __name__)
    raise AttributeError(f"module 'mdsrs_core' has no attribute {name!r}")
