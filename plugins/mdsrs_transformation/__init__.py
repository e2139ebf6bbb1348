"""Built-in plugin: transformation to AML, endpoint ``aml``.

Registered through the ``mdsrs`` entry-point group like any external plugin. This module
only declares the endpoint; the statistics are imported when it runs.
"""

from __future__ import annotations

from mdsrs_core import hookimpl

from .endpoint import Transformation

__all__ = ["Transformation"]


@hookimpl
def mdsrs_register_endpoints(register):
    register(Transformation())
