"""Hook specifications: the functions a plugin may implement.

A plugin is a module (or any object) with functions marked ``@hookimpl`` whose names are
those below. It is found through the ``mdsrs`` entry-point group::

    [project.entry-points.mdsrs]
    my_endpoint = "my_package.plugin"

Every built-in endpoint is a plugin loaded this way. Hooks are called with keyword
arguments; an implementation may accept fewer arguments than the specification lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .cohort import Cohort
    from .endpoint import Endpoint

hookspec = pluggy.HookspecMarker("mdsrs")


@hookspec
def mdsrs_register_endpoints(register: Callable[[Endpoint], None]) -> None:
    """Register this plugin's endpoints by calling ``register(endpoint)`` once for each.

    :param register: takes an :class:`~mdsrs_core.endpoint.Endpoint` instance. An invalid
        endpoint (no name, a name already taken, no ``analyze`` method) makes the whole plugin
        fail to load; it is reported by ``mdsrs plugins`` and the others keep working.

    Example::

        @hookimpl
        def mdsrs_register_endpoints(register):
            register(QualityOfLife())

    Called once per process, when the plugins are loaded.
    """


@hookspec
def mdsrs_derive(cohort: Cohort) -> None:
    """Add derived variables to the shared cohort before any endpoint runs.

    :param cohort: the validated :class:`~mdsrs_core.cohort.Cohort`. Add columns with
        ``cohort.add_variable(name, values, label=..., source=...)``; do not change the
        columns that came from the data. Check ``cohort.has(...)`` first: a derivation
        whose inputs are absent does nothing.

    Example::

        @hookimpl
        def mdsrs_derive(cohort):
            if cohort.has("hgb_base", "hgb_post"):
                cohort.add_variable("hgb_change", cohort.data.hgb_post - cohort.data.hgb_base,
                                    label="Change in hemoglobin (g/dL)")

    Called for every cohort built; a derivation that raises is reported and skipped.
    """
