"""A process, forked when ``mdsrs run`` starts, that prepares the drawing of the report's
figures while the run reads its data, and then draws them.

``mdsrs run`` spends its first half second importing pandas and reading the cohort on one
core, the other idle; matplotlib (another ~0.5 s) was imported later, while the analyses
needed both cores. :class:`PoolHost` is forked before pandas is imported (the plugins are
loaded: the host knows them, and anything a test patched, as the run does); it imports the
drawing stack (:func:`~mdsrs_core.report.style.warm_up`) and looks up the figures' fonts
(:func:`~mdsrs_core.report.style.warm_fonts`) on the idle core, then forks the
drawing processes of
:class:`~mdsrs_core.report.prerender.FigurePool` from itself as the run asks for figures:
two processes for the endpoints' figures, one for the forest plot. The run's own process
never imports matplotlib (unless a figure must be drawn there after all), and the drawing
processes never import pandas: the figures' inputs (records, figure data) are plain Python
and NumPy, and the built-in plugins' figure modules import no module that imports pandas
(a plugin's figures that do import it in each drawing process, once).

Tasks go to the host through a pipe (the function by reference and its arguments,
pickled, as ``concurrent.futures`` sends them) and come back as they finish; :meth:`submit`
returns a :class:`concurrent.futures.Future`. A host that dies, or a drawing process of
its that dies, fails the futures of its unfinished tasks: the pool then draws those
figures in the run's process, as when no process could be used. The host ends when the
run closes it (or ends itself: the host sees the pipe closed). Linux only (``fork``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from concurrent.futures import Future
from typing import Any

__all__ = ["PoolHost"]


class PoolHost:
    """The host process (forked on construction) and the futures of its tasks."""

    def __init__(self, lanes: dict[str, int], niceness: dict[str, int] | None = None):
        """``lanes``: the drawing processes the host keeps, by name (e.g. ``{"figures": 2,
        "forest": 1}``); each lane runs its tasks in order of submission. ``niceness``: by
        lane, what its processes add to their niceness (a lower scheduling priority than
        the run's other processes)."""
        import multiprocessing

        from ..runner import _freeze_heap

        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._next = 0
        ours, theirs = multiprocessing.Pipe()
        _freeze_heap()
        pid = os.fork()
        if pid == 0:  # the host
            code = 0
            try:
                ours.close()
                _serve(theirs, lanes, niceness or {})
            except BaseException:  # noqa: BLE001 - the host ends; the run draws instead
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        self.pid = pid
        self._conn: Any = ours
        self._submitted = False
        self._reader = threading.Thread(
            target=self._read, args=(ours,), daemon=True, name="mdsrs-pool-host"
        )
        self._reader.start()

    def submit(self, lane: str, func: Any, *args: Any) -> Future:
        """Run ``func(*args)`` in a drawing process of ``lane``; its result (or exception)
        comes back in the returned future."""
        future: Future = Future()
        self._submitted = True
        with self._lock:
            number = self._next
            self._next += 1
            self._futures[number] = future
        try:
            with self._send_lock:  # not the futures' lock: the reader goes on meanwhile
                self._conn.send((number, lane, func, args))
        except Exception as exc:  # noqa: BLE001 - a host that is gone
            with self._lock:
                self._futures.pop(number, None)
            if not future.done():
                future.set_exception(exc)
        return future

    def _read(self, conn: Any) -> None:
        """The reader thread: each finished task's result into its future; when the host
        is gone, an error into every future left."""
        try:
            while True:
                number, ok, value = conn.recv()
                with self._lock:
                    future = self._futures.pop(number, None)
                if future is None:
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except Exception:  # noqa: BLE001 - EOF: the host ended or died
            pass
        with self._lock:
            left, self._futures = list(self._futures.values()), {}
        for future in left:
            if not future.done():
                future.set_exception(RuntimeError("the figure-drawing process ended"))

    def close(self) -> None:
        """End the host and its drawing processes (waiting for none of their work)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if not self._submitted:
            # no task, so no drawing process yet (they are forked on demand): a host still
            # importing is stopped at once (a run ending on bad input does not wait for it)
            import signal

            with contextlib.suppress(Exception):
                os.kill(self.pid, signal.SIGKILL)
        else:
            # the host stops its drawing processes itself (they would outlive a killed host)
            # once their current figures are done
            with contextlib.suppress(Exception), self._send_lock:
                conn.send(None)
        with contextlib.suppress(Exception):
            conn.close()
        with contextlib.suppress(Exception):
            os.waitpid(self.pid, 0)
        self._reader.join(timeout=5)


def _lower_priority(increment: int) -> None:
    """A drawing process's initializer: ``increment`` added to its niceness (0: none)."""
    if increment:
        with contextlib.suppress(OSError):
            os.nice(increment)


def _serve(conn: Any, lanes: dict[str, int], niceness: dict[str, int]) -> None:
    """The host's loop: import the drawing stack, then run each task received in its lane
    and send back ``(number, True, result)`` or ``(number, False, exception)``."""
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .style import warm_fonts, warm_up

    warm_up()
    with contextlib.suppress(Exception):  # an optimisation only: each process looks up
        warm_fonts()  # the fonts its figures use, which the processes forked below inherit
    gc.freeze()  # the drawing processes forked from here skip what the imports made
    send_lock = threading.Lock()
    context = multiprocessing.get_context("fork")
    pools = {
        name: ProcessPoolExecutor(
            n,
            mp_context=context,
            initializer=_lower_priority,
            initargs=(niceness.get(name, 0),),
        )
        for name, n in lanes.items()
    }

    def reply(number: int, future: Future) -> None:
        try:
            message = (number, True, future.result())
        except BaseException as exc:  # noqa: BLE001 - sent back to the run
            message = (number, False, RuntimeError(f"{type(exc).__name__}: {exc}"))
        with send_lock, contextlib.suppress(Exception):
            conn.send(message)

    try:
        while True:
            try:
                task = conn.recv()
            except EOFError:
                break
            if task is None:
                break
            number, lane, func, args = task
            try:
                future = pools[lane].submit(func, *args)
            except Exception as exc:  # noqa: BLE001 - a broken lane: the run draws it
                with send_lock:
                    conn.send((number, False, RuntimeError(f"{type(exc).__name__}: {exc}")))
                continue
            future.add_done_callback(functools.partial(reply, number))
    finally:
        for pool in pools.values():
            with contextlib.suppress(Exception):
                pool.shutdown(wait=True, cancel_futures=True)
