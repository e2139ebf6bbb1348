"""Two endpoint workers at once (large cohorts, mdsrs_core.runner.PARALLEL_PATIENTS): the
same outcomes as one worker, time limits and bad input handled as with one."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from mdsrs_core import Cohort, hookimpl, load_example
from mdsrs_core import runner as runner_module
from mdsrs_core.endpoint import Endpoint
from mdsrs_core.errors import StudyError
from mdsrs_core.plugins import Registry
from mdsrs_core.records import records_to_json
from mdsrs_core.runner import run

pytestmark = pytest.mark.skipif(not runner_module.can_fork(), reason="needs fork")


class Good(Endpoint):
    name = "good"
    title = "Good"

    def analyze(self, cohort, config):
        result = self.new_result()
        result.analysed(cohort.counts())
        result.add("arm", "n", cohort.n)
        return result


@pytest.fixture
def parallel(monkeypatch):
    """Every cohort counts as large, and the machine as having two cores."""
    monkeypatch.setattr(runner_module, "PARALLEL_PATIENTS", 0)
    monkeypatch.setattr(runner_module, "_cores", lambda: 2)


def _json(result) -> str:
    # the records without the run's timing (software versions and settings are the same)
    return records_to_json([r for r in result.records if r.stat != "seconds"])


def test_two_workers_give_the_records_of_one(parallel, monkeypatch):
    cohort = load_example()
    both = run(cohort, seed=1)
    monkeypatch.setattr(runner_module, "PARALLEL_PATIENTS", 10**9)
    one = run(load_example(), seed=1)
    assert [o.name for o in both.outcomes] == [o.name for o in one.outcomes]
    assert [o.status for o in both.outcomes] == ["ok"] * len(one.outcomes)
    assert _json(both) == _json(one)


def test_order_of_completion_reaches_the_callback(parallel):
    seen: list[str] = []
    result = run(load_example(), on_outcome=lambda outcome, records: seen.append(outcome.name))
    assert sorted(seen) == sorted(o.name for o in result.outcomes)
    assert len(seen) == len(set(seen)) == 7


def _registry(*endpoints) -> Registry:
    class Plugin:
        @hookimpl
        def mdsrs_register_endpoints(self, register):
            for endpoint in endpoints:
                register(endpoint)

    registry = Registry()
    registry.register(Plugin())
    return registry


def test_time_limit_stops_one_endpoint_and_the_others_finish(parallel, frame):
    release = threading.Event()

    class Hangs(Good):
        name = "hangs"

        def analyze(self, cohort, config):
            release.wait(30)
            return super().analyze(cohort, config)

    class Second(Good):
        name = "second"

    class Third(Good):
        name = "third"

    registry = _registry(Hangs(), Good(), Second(), Third())
    result = run(Cohort(frame, reference="thal", derive=False), registry=registry, timeout=0.5)
    release.set()
    assert result["hangs"].status == "failed"
    assert result["hangs"].reason == (
        "EndpointTimeout: did not finish within the time limit of 0.5 s"
    )
    assert [result[n].status for n in ("good", "second", "third")] == ["ok"] * 3


def test_bad_input_ends_the_run_without_waiting(parallel, frame):
    release = threading.Event()

    class Slow(Good):
        name = "slow"

        def analyze(self, cohort, config):
            release.wait(30)
            return super().analyze(cohort, config)

    class Bad(Good):
        name = "bad"

        def analyze(self, cohort, config):
            raise StudyError("bad input: column x")

    registry = _registry(Slow(), Bad())
    with pytest.raises(StudyError, match="column x"):
        run(Cohort(frame, reference="thal", derive=False), registry=registry, timeout=60)
    assert multiprocessing.active_children() == []  # the slow analysis was ended, not awaited
    release.set()


def test_the_heap_frozen_for_the_workers_is_unfrozen_after_the_run():
    """Forking the workers freezes the heap (gc.freeze, so that the forked processes'
    collections skip it); run() gives it back to the collector afterwards, unless it was
    frozen before (mdsrs run's short-lived process), so that a session running many
    analyses keeps collecting its cycles."""
    import gc

    gc.unfreeze()  # an earlier test's in-process `mdsrs run` (CliRunner) froze this process
    frozen = []
    freeze = runner_module._freeze_heap

    def spy():
        freeze()
        frozen.append(gc.get_freeze_count())

    original = runner_module._freeze_heap
    runner_module._freeze_heap = spy
    try:
        result = run(load_example(), only=["response"], timeout=60)
        assert result["response"].status == "ok"
        assert frozen and frozen[0] > 0  # frozen while the worker was forked
        assert gc.get_freeze_count() == 0  # and given back
        gc.freeze()
        try:
            before = gc.get_freeze_count()
            run(load_example(), only=["response"], timeout=60)
            assert gc.get_freeze_count() >= before  # frozen by the caller: left frozen
        finally:
            gc.unfreeze()
    finally:
        runner_module._freeze_heap = original


def test_results_cross_the_pipe_with_their_arrays_out_of_band():
    """send_result / receive_result: the message comes back equal, its arrays (sent from
    their own memory, not copied into the pickle) writable as unpickled ones are."""
    import numpy as np
    import pandas as pd

    big = np.arange(300_000, dtype=float)
    message = (
        "ok",
        {
            "curve": big,
            "f_order": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
            "strided": big[::7],  # not contiguous: pickled in band
            "empty": np.zeros(0),
            "frame": pd.DataFrame({"x": [1.0, 2.0], "g": pd.Categorical(["a", "b"])}),
            "text": "ok",
        },
        None,
        [],
    )
    parent, child = multiprocessing.Pipe()
    sender = threading.Thread(target=runner_module.send_result, args=(child, message))
    sender.start()
    got = runner_module.receive_result(parent)
    sender.join()
    assert got[0] == "ok" and got[2] is None and got[3] == []
    for key in ("curve", "f_order", "strided", "empty"):
        np.testing.assert_array_equal(got[1][key], message[1][key])
        assert got[1][key].flags.writeable
    assert got[1]["f_order"].flags.f_contiguous
    pd.testing.assert_frame_equal(got[1]["frame"], message[1]["frame"])
    got[1]["curve"][0] = -1.0  # its own memory, not the sender's
    assert big[0] == 0.0


def test_a_result_that_cannot_be_pickled_sends_nothing():
    import pickle

    parent, child = multiprocessing.Pipe()
    with pytest.raises((pickle.PicklingError, AttributeError)):
        runner_module.send_result(child, ("ok", lambda: None, None, []))
    assert not parent.poll(0.05)
