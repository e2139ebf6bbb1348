"""Built-in plugin: response rate by arm, endpoint ``response``.

Registered through the ``mdsrs`` entry-point group like any external plugin. This module
only declares the endpoint and the derivation hook; the statistics are imported when they
run.
"""

from __future__ import annotations

from mdsrs_core import hookimpl

from .endpoint import Response

__all__ = ["Response"]


@hookimpl
def mdsrs_register_endpoints(register):
    register(Response())


@hookimpl
def mdsrs_derive(cohort):
    """Add ``responder`` (from ``response``, or from the labs as IWG 2006 HI)."""
    from .derive import derive_responder

    derive_responder(cohort)
