"""Built-in plugin: overall survival, endpoint ``os``.

Registered through the ``mdsrs`` entry-point group like any external plugin. This module
only declares the endpoint; the statistics are imported when it runs.
"""

from __future__ import annotations

from mdsrs_core import hookimpl

from .endpoint import OverallSurvival

__all__ = ["OverallSurvival"]


@hookimpl
def mdsrs_register_endpoints(register):
    register(OverallSurvival())
