"""The canonical variable response_months: its validation rules on a cohort."""

from __future__ import annotations

import numpy as np
import pytest

from mdsrs_core.cohort import Cohort
from mdsrs_core.errors import CohortError


def with_times(frame, values):
    return frame.assign(response_months=values)


def test_valid_times_and_missing_for_non_responders(frame):
    responder = frame["response"].isin(["CR", "PR", "mCR", "HI"])
    times = np.where(responder, 3.0, np.nan)
    times[0] = 0.0  # a response recorded at the start of treatment is allowed
    cohort = Cohort(with_times(frame, times))
    assert cohort.data["response_months"].isna().sum() == int((~responder).sum())
    assert cohort.data["response_months"].iloc[0] == 0.0


def test_negative_time_is_refused(frame):
    times = np.full(len(frame), np.nan)
    times[2] = -1.0
    with pytest.raises(CohortError, match=r"response_months.*times cannot be negative"):
        Cohort(with_times(frame, times))


def test_response_after_follow_up_end_is_refused(frame):
    times = np.full(len(frame), np.nan)
    times[4] = frame["os_months"].iloc[4] + 1.0
    with pytest.raises(CohortError, match=r"response_months must be <= os_months"):
        Cohort(with_times(frame, times))


def test_response_at_follow_up_end_is_allowed(frame):
    times = np.full(len(frame), np.nan)
    times[4] = frame["os_months"].iloc[4]
    assert Cohort(with_times(frame, times)).data["response_months"].iloc[4] == times[4]
