"""Built-in plugin: adverse-event grades by arm, endpoint ``adverse_events``.

Also derives ``ae_worst_grade`` from the long adverse-event table (checking it against
``ae_max_grade`` when both are given) and the CTCAE v5.0 lab grades ``ctcae_anemia_*``,
``ctcae_plt_*``, ``ctcae_anc_*`` (see :mod:`mdsrs_adverse_events.ctcae`). This module stays
import-light: the statistics are imported when they run.
"""

from __future__ import annotations

from mdsrs_core import hookimpl

from .endpoint import AdverseEvents

__all__ = ["AdverseEvents"]


@hookimpl
def mdsrs_register_endpoints(register):
    register(AdverseEvents())


@hookimpl
def mdsrs_derive(cohort):
    from .derive import derive

    derive(cohort)
