"""Built-in plugin: baseline characteristics by arm (Table 1), endpoint ``baseline``.

Registered through the ``mdsrs`` entry-point group like any external plugin. This module
only declares the endpoint; the statistics are imported when it runs.
"""

from __future__ import annotations

from mdsrs_core import hookimpl

from .endpoint import Baseline

__all__ = ["Baseline"]


@hookimpl
def mdsrs_register_endpoints(register):
    register(Baseline())
