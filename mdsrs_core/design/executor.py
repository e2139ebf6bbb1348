"""Running replicate tasks: in this process, or on a Dask cluster (``dask.distributed``).

The work of a simulation or a resampling run is cut into :class:`Task` s of at most
:data:`CHUNK` replicates. Task ``i`` draws from the random stream
``numpy.random.SeedSequence(seed, spawn_key=key)`` -- the child that
``SeedSequence(seed).spawn(...)`` gives at the indices ``key`` (``(endpoint, n, chunk)``) --
so its result depends only on the seed and the task, never on which worker runs it or when:
the results are identical, byte for byte, with 1 worker, 2 workers, a remote cluster or no
cluster at all. Results are returned in task order.

Executors:

* :class:`LocalExecutor` -- a loop in this process (tiny jobs: starting a cluster costs more
  than the work);
* :class:`DaskExecutor` -- a ``distributed.Client`` on a new ``LocalCluster`` (processes, one
  thread each, ``workers`` of them: all cores by default) or on an existing scheduler
  (``scheduler="tcp://HOST:PORT"``). ``dask`` is imported only here, when one is made.

:func:`make_executor` chooses: a scheduler address or a worker count means Dask; otherwise
Dask when the job is large (:data:`LOCAL_LIMIT`), else the local loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Task",
    "LocalExecutor",
    "DaskExecutor",
    "make_executor",
    "task_rng",
    "CHUNK",
    "LOCAL_LIMIT",
]

#: replicates per task (part of the method: the streams are per task)
CHUNK = 500
#: jobs smaller than this (patient-replicates weighted by the test's cost, log-rank = 1: about
#: 10 s of work in one process here) run in-process by default: a LocalCluster's start-up and
#: its workers' first imports cost 3-10 s on this machine (benchmarks/bench_design.py --dask)
LOCAL_LIMIT = 20_000_000

Progress = Callable[[int, int], None]


def task_rng(seed: int, key: tuple[int, ...]) -> np.random.Generator:
    """The generator of the task ``key``: PCG64 on ``SeedSequence(seed, spawn_key=key)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


@dataclass(frozen=True)
class Task:
    """One unit of work: ``func(*args, rng)`` with the stream of ``key``."""

    func: Callable[..., Any]
    args: tuple
    key: tuple[int, ...]
    seed: int
    size: float = 1.0  # patient-replicates x cost, for choosing an executor


def run_task(task: Task) -> Any:
    """What a worker runs."""
    return task.func(*task.args, task_rng(task.seed, task.key))


class LocalExecutor:
    """Runs the tasks one after the other in this process."""

    name = "in-process"
    workers = 1

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def map(self, tasks: Sequence[Task], progress: Progress | None = None) -> list[Any]:
        out = []
        for i, task in enumerate(tasks):
            out.append(run_task(task))
            if progress is not None:
                progress(i + 1, len(tasks))
        return out


class DaskExecutor:
    """Runs the tasks on a Dask cluster: a new ``LocalCluster`` or ``scheduler``'s."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        self.requested_workers = workers
        self.scheduler = scheduler
        self.client: Any = None
        self.cluster: Any = None

    @property
    def name(self) -> str:
        return f"Dask scheduler {self.scheduler}" if self.scheduler else "Dask LocalCluster"

    @property
    def workers(self) -> int:
        if self.client is None:
            return 0
        return len(self.client.scheduler_info().get("workers", {}))

    def __enter__(self) -> DaskExecutor:
        import logging

        from distributed import Client, LocalCluster

        if self.scheduler:
            from mdsrs_core.errors import StudyError

            try:
                self.client = Client(self.scheduler, timeout=10)
            except (OSError, TimeoutError) as exc:
                raise StudyError(
                    f"--scheduler {self.scheduler}: cannot reach a Dask scheduler there ({exc})."
                ) from None
            return self
        n = self.requested_workers or os.cpu_count() or 1
        self.cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def map(self, tasks: Sequence[Task], progress: Progress | None = None) -> list[Any]:
        from distributed import as_completed

        futures = self.client.map(run_task, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        done = 0
        for future in as_completed(futures):
            out[index[future.key]] = future.result()
            done += 1
            if progress is not None:
                progress(done, len(futures))
        return out


def make_executor(
    tasks: Sequence[Task], *, workers: int | None = None, scheduler: str | None = None
) -> LocalExecutor | DaskExecutor:
    """The executor for ``tasks``: Dask when asked for (``workers``/``scheduler``) or when
    the job is large, else the in-process loop (same results either way)."""
    if scheduler or workers:
        return DaskExecutor(workers=workers, scheduler=scheduler)
    if sum(t.size for t in tasks) >= LOCAL_LIMIT and (os.cpu_count() or 1) > 1:
        return DaskExecutor()
    return LocalExecutor()
