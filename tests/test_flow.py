"""Nothing lost: every endpoint accounts for every patient, analysed or excluded with a reason."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mdsrs_core import Cohort, load_example, run
from mdsrs_core.study import EXAMPLE_STUDY, Study


def holes_cohort() -> Cohort:
    """The example cohort with values missing in many columns (a different set each)."""
    study = Study.load(EXAMPLE_STUDY)
    from mdsrs_core.io import read_table

    frame = read_table(study.data)
    rng = np.random.default_rng(7)
    for column in (
        "hgb_post",
        "plt_base",
        "anc_post",
        "bm_blast_post",
        "cyto_post",
        "response",
        "ae_max_grade",
        "age",
    ):
        frame.loc[rng.choice(len(frame), size=4, replace=False), column] = None
    rows = rng.choice(len(frame), size=3, replace=False)
    frame.loc[rows, ["death", "os_months", "aml", "aml_months"]] = None
    return Cohort(frame, reference="thalidomide", source="holes")


@pytest.mark.parametrize("make", [load_example, holes_cohort], ids=["example", "holes"])
def test_analysed_plus_excluded_is_the_cohort_for_every_endpoint(make):
    cohort = make()
    result = run(cohort)
    arms = cohort.counts()
    assert [o.name for o in result.outcomes] == [
        "baseline",
        "response",
        "hematology",
        "ipssr",
        "adverse_events",
        "aml",
        "os",
    ]
    for outcome in result.outcomes:
        assert outcome.status == "ok", (outcome.name, outcome.reason)
        res = outcome.result
        excluded = Counter(e.arm for e in res.exclusions)
        for arm, n in arms.items():
            assert res.n_analysed.get(arm, 0) + excluded.get(arm, 0) == n, (outcome.name, arm)
        assert all(e.reason for e in res.exclusions)
        # the flow is in the records too, and adds up the same way
        flow = [r for r in result.records if r.endpoint == outcome.name and r.variable == "flow"]
        for arm, n in arms.items():
            assert sum(r.value for r in flow if r.arm == arm) == n, (outcome.name, arm)


def test_holes_are_excluded_with_their_reasons():
    result = run(holes_cohort(), only=["os", "response"])
    os_reasons = Counter(e.reason for e in result["os"].result.exclusions)
    assert sum(os_reasons.values()) == 3
    response = result["response"].result
    assert len(response.exclusions) == 4
    assert {e.reason for e in response.exclusions} == {"response missing"}
