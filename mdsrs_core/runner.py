"""Running every registered endpoint on a cohort and collecting their records.

An endpoint whose variables are absent is *skipped* with the reason; one that raises is
recorded as *failed* (with the reason) and the others still run. The run's records carry,
besides each endpoint's statistics, its status and its patient flow (how many analysed per
arm, and every exclusion with its reason), so that nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .bounds import ANALYSIS_RANGES, option_problem, range_problem
from .endpoint import Endpoint, EndpointConfig, EndpointResult
from .errors import FormulaError, MdsrsError, ModelError, StudyError
from .formula_check import check_formula
from .records import Record, records_to_json

if TYPE_CHECKING:  # pragma: no cover
    from .cohort import Cohort
    from .plugins import PluginInfo, Registry

__all__ = ["run", "RunResult", "EndpointOutcome", "ENDPOINT_ORDER"]

#: Seconds an endpoint may take before it is recorded as failed (``[analysis] timeout``).
DEFAULT_TIMEOUT = 600.0
#: from this many patients on, a run's endpoints are analysed by two worker processes at
#: once (one per core): each endpoint then takes seconds, and two run in the time of one;
#: below it the second core draws the figures and one worker is quicker to start
PARALLEL_PATIENTS = 20_000

#: The order of the study's analyses; endpoints of other plugins follow, by name.
ENDPOINT_ORDER = ("baseline", "response", "hematology", "ipssr", "adverse_events", "aml", "os")


@dataclass
class EndpointOutcome:
    """One endpoint's part of a run."""

    name: str
    title: str
    status: str  # "ok", "skipped" or "failed"
    reason: str | None = None
    result: EndpointResult | None = None
    seconds: float = 0.0
    endpoint: Endpoint | None = None
    config: EndpointConfig | None = None  # the settings it ran with (formulas, options)


@dataclass
class RunResult:
    """All endpoints' outcomes and records (what ``results.json`` holds)."""

    cohort: Cohort
    outcomes: list[EndpointOutcome] = field(default_factory=list)
    plugin_failures: list[PluginInfo] = field(default_factory=list)
    alpha: float = 0.05
    seed: int | None = None
    #: software name -> version, taken when the run starts (recorded as ``run`` records)
    software: dict[str, str] = field(default_factory=dict)
    #: the plugin registry the run used (renderers and report sections come from it)
    registry: Registry | None = field(default=None, repr=False)
    #: the propensity-score adjustment (``[adjust]``) the endpoints used, or None
    adjustment: Any = field(default=None, repr=False)

    @property
    def records(self) -> list[Record]:
        """Every record of the run: its settings and software, then statuses, formulas,
        flows and statistics, endpoint by endpoint."""
        out = [
            Record("run", None, "setting", "alpha", self.alpha),
            Record("run", None, "setting", "seed", self.seed),
        ]
        out += [
            Record("run", None, "software", name, version)
            for name, version in self.software.items()
        ]
        out += [Record("cohort", None, "cohort", "note", note) for note in self.cohort.notes]
        if self.adjustment is not None:
            from .adjust.layer import adjustment_records

            out += adjustment_records(self.adjustment, self.cohort)
        for o in self.outcomes:
            out.extend(outcome_records(o, self.cohort))
        for p in self.plugin_failures:
            out.append(Record("plugins", None, p.name, "load_error", p.error, label=p.module))
        return out

    def __getitem__(self, name: str) -> EndpointOutcome:
        for o in self.outcomes:
            if o.name == name:
                return o
        raise KeyError(name)

    @property
    def failed(self) -> list[EndpointOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, 1 when an endpoint failed while others were reported."""
        return 1 if self.failed else 0

    def to_json(self) -> str:
        """The text of ``results.json``."""
        return records_to_json(self.records)


def outcome_records(o: EndpointOutcome, cohort: Cohort) -> list[Record]:
    """The records of one endpoint's outcome, as :attr:`RunResult.records` lists them: its
    status, formulas, patient flow, statistics and notes."""
    out = [Record(o.name, None, "endpoint", "status", o.status, label=o.reason or o.title)]
    if o.config is not None and o.status == "ok":
        out.extend(
            Record(o.name, None, "formula", key, formula)
            for key, formula in o.config.formulas.items()
        )
    if o.result is not None:
        out.extend(_flow_records(o.result, cohort))
        out.extend(o.result.records)
        out.extend(Record(o.name, None, "endpoint", "note", note) for note in o.result.notes)
    return out


def _flow_records(result: EndpointResult, cohort: Cohort) -> list[Record]:
    name = result.endpoint
    out = [Record(name, arm, "flow", "n_analysed", n) for arm, n in result.n_analysed.items()]
    out.append(Record(name, None, "flow", "n_analysed", sum(result.n_analysed.values())))
    reasons = Counter((e.arm, e.reason) for e in result.exclusions)
    for (arm, reason), k in sorted(reasons.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        out.append(Record(name, arm, "flow", "n_excluded", k, level=reason))
    return out


def _order(names: Iterable[str]) -> list[str]:
    known = [n for n in ENDPOINT_ORDER if n in names]
    return known + sorted(n for n in names if n not in ENDPOINT_ORDER)


def _parse_names(value: Iterable[str] | str | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    out: list[str] = []
    for item in value:
        out.extend(x.strip() for x in item.split(",") if x.strip())
    return out


def _check_names(names: list[str], registry: Registry, what: str) -> None:
    unknown = [n for n in names if n not in registry.endpoints]
    if unknown:
        failed = [p.name for p in registry.failures]
        extra = f" (plugins that failed to load: {', '.join(failed)})" if failed else ""
        raise StudyError(
            f"{what}: unknown endpoint{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; registered: "
            f"{', '.join(_order(registry.endpoints))}{extra}."
        )


def _option_type_problem(default: Any, value: Any) -> str | None:
    """Why ``value`` cannot replace an option whose default is ``default`` (None if it can).

    A study file's value must have the default's kind: a list for a list (``landmarks =
    [12, 36, 60]``, not ``"12"``), a number for a number, true/false for a flag, text for
    text. A default of ``None`` takes anything.
    """

    def kind(v: Any) -> str:
        if isinstance(v, bool):
            return "true or false"
        if isinstance(v, (int, float)):
            return "a number"
        if isinstance(v, (list, tuple)):
            return "a list, e.g. [12, 36, 60]"
        if isinstance(v, str):
            return "text in quotes"
        if isinstance(v, dict):
            return "a table"
        return type(v).__name__

    if default is None or kind(default) == kind(value):
        if isinstance(default, (list, tuple)) and default and isinstance(value, (list, tuple)):
            item = kind(default[0])
            bad = [v for v in value if kind(v) != item]
            if bad:
                return f"must list items of one kind ({item}), not {bad[0]!r}"
        return None
    return f"must be {kind(default)}, not {value!r}"


def _check_formula_shapes(where: str, settings: Mapping[str, Any]) -> None:
    """``formula`` is text; ``formulas`` a table of text (the study-file schema's part that
    depends on no endpoint)."""
    from .study_schema import shape_name

    if "formula" in settings and not isinstance(settings["formula"], str):
        raise StudyError(
            f"{where}: formula must be text in quotes, not {shape_name(settings['formula'])}."
        )
    if "formulas" in settings:
        given = settings["formulas"]
        if not isinstance(given, dict):
            raise StudyError(
                f"{where}: formulas must be a table of formulas such as "
                f'{{cox = "Surv(os_months, death) ~ arm"}}, not {shape_name(given)}.'
            )
        for key, value in given.items():
            if not isinstance(value, str):
                raise StudyError(
                    f"{where}: formulas {key} must be text in quotes, not {shape_name(value)}."
                )


def endpoint_config(
    endpoint: Endpoint, settings: Mapping[str, Any] | None, *, alpha: float, seed: int | None
) -> EndpointConfig:
    """Merge an endpoint's defaults with the study's ``[endpoints.NAME]`` settings."""
    settings = dict(settings or {})
    formulas = dict(endpoint.formulas)
    where = f"[endpoints.{endpoint.name}]"
    _check_formula_shapes(where, settings)
    if "formula" in settings:
        if not formulas:
            raise StudyError(f"{where}: endpoint '{endpoint.name}' takes no formula.")
        formulas[next(iter(formulas))] = str(settings.pop("formula"))
    if "formulas" in settings:
        given = settings.pop("formulas")
        bad = [k for k in given if k not in formulas]
        if bad:
            raise StudyError(
                f"{where}: unknown formula key {', '.join(bad)}; "
                f"known: {', '.join(formulas) or 'none'}."
            )
        formulas.update({k: str(v) for k, v in given.items()})
    for key, formula in formulas.items():
        if formula != endpoint.formulas.get(key):
            try:
                check_formula(formula)
            except FormulaError as exc:
                raise FormulaError(f"{where} formula {key!r}: {exc}") from None
    options = dict(endpoint.options)
    bad = [k for k in settings if k not in options]
    if bad:
        known = ", ".join(["formula", "formulas", *options]) if formulas else ", ".join(options)
        raise StudyError(
            f"{where}: unknown option{'s' if len(bad) > 1 else ''} "
            f"{', '.join(bad)}; known: {known or 'none'}."
        )
    for key, value in settings.items():
        problem = _option_type_problem(options[key], value) or option_problem(
            key, value, getattr(endpoint, "option_ranges", None)
        )
        if problem:
            raise StudyError(f"{where}: option {key} {problem}.")
    options.update(settings)
    return EndpointConfig(formulas=formulas, options=options, alpha=alpha, seed=seed)


def run(
    cohort: Cohort,
    only: Iterable[str] | str | None = None,
    skip: Iterable[str] | str | None = None,
    *,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    alpha: float = 0.05,
    seed: int | None = None,
    registry: Registry | None = None,
    progress: Any = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    adjust: Any = None,
    on_outcome: Callable[[EndpointOutcome, list[Record]], Any] | None = None,
    warm_report: bool = True,
) -> RunResult:
    """Run every registered endpoint (or those in ``only``, minus ``skip``) on ``cohort``.

    ``settings`` maps endpoint names to their study-file settings (formulas and options).
    An endpoint still running after ``timeout`` seconds is recorded as failed (``None``: no
    limit). ``adjust`` (an :class:`~mdsrs_core.adjust.spec.AdjustSpec` or an ``[adjust]``
    table) fits the propensity score once on the cohort before the endpoints run; each
    endpoint then reports its adjusted analyses beside the unadjusted ones.
    ``on_outcome(outcome, records)`` is called with each endpoint's outcome and its records
    as soon as it is done (``mdsrs run`` starts drawing its figures there); what it raises
    is ignored. While worker processes analyse, this process imports the modules that
    format the results in a thread, and the report's drawing stack unless ``warm_report``
    is false (``mdsrs run`` draws its figures in processes started beforehand).
    ``numpy.f2py`` and ``numpy.testing``, if not yet imported, are bound to load on first
    use (:func:`~mdsrs_core._lazy.defer_numpy_tools`). Returns a :class:`RunResult`; its
    ``records`` are what ``results.json`` holds.
    """
    from ._lazy import defer_numpy_tools
    from .plugins import get_registry

    defer_numpy_tools()  # before SciPy's first import, here or in the workers forked below
    registry = registry or get_registry()
    for key, value in (("alpha", alpha), ("seed", seed), ("timeout", timeout)):
        problem = None if value is None else range_problem(value, ANALYSIS_RANGES[key])
        if problem:
            raise StudyError(f"run(): {key} {problem}.")
    only_l, skip_l = _parse_names(only), _parse_names(skip)
    for names, what in (
        (only_l, "--only"),
        (skip_l, "--skip"),
        (list(settings or {}), "[endpoints]"),
    ):
        if names:
            _check_names(names, registry, what)
    names = _order(registry.endpoints)
    if only_l:
        names = [n for n in names if n in only_l]
    if skip_l:
        names = [n for n in names if n not in skip_l]
    configs = {
        n: endpoint_config(registry.endpoints[n], (settings or {}).get(n), alpha=alpha, seed=seed)
        for n in names
    }
    cohort.adjustment = None
    if adjust is not None:
        from .adjust.layer import attach
        from .adjust.spec import AdjustSpec, adjust_spec

        spec = adjust if isinstance(adjust, AdjustSpec) else adjust_spec(adjust)
        attach(cohort, spec)
    result = RunResult(
        cohort,
        adjustment=cohort.adjustment,
        plugin_failures=registry.failures,
        alpha=alpha,
        seed=seed,
        registry=registry,
    )
    workers: list[EndpointWorker] = []
    warming = None
    import gc

    frozen_before = gc.get_freeze_count() > 0  # forking workers freezes the heap (below)
    if timeout is not None and can_fork():
        tasks = {
            n: functools.partial(registry.endpoints[n].analyze, cohort, configs[n]) for n in names
        }
        parallel = len(names) > 1 and cohort.n >= PARALLEL_PATIENTS and _cores() > 1
        workers = [EndpointWorker(tasks) for _ in range(2 if parallel else 1)]
        if names:
            # while the worker analyses, this process imports the report's drawing stack on
            # the other core (started after the fork: no import is in flight when it forks)
            for w in workers:
                w.call_start()
            warming = _warm_report_imports(drawing=warm_report)
    # read from the packages' metadata (~20 ms): while the workers start
    result.software = software_versions()
    done: dict[str, EndpointOutcome] = {}

    def finished(name: str, outcome: EndpointOutcome) -> None:
        outcome.config = configs[name]
        done[name] = outcome
        if on_outcome is not None:
            if warming is not None:
                warming.join()  # the callback may fork: no import may be half done
            with contextlib.suppress(Exception):
                on_outcome(outcome, outcome_records(outcome, cohort))

    try:
        order = _run_order(names, registry, on_outcome is not None)
        if workers:  # in worker processes that a time limit stops
            assert timeout is not None  # workers exist only with a time limit
            _run_worker_pool(
                order, registry, cohort, configs, timeout, workers, progress, warming, finished
            )
        else:  # in this process (no limit), or a thread abandoned at the limit (no fork)
            for name in order:
                if progress is not None:
                    progress(name)
                finished(name, _run_one(registry.endpoints[name], cohort, configs[name], timeout))
    except BaseException:
        for w in workers:
            w.stop()  # the run ends (bad input, Ctrl-C): no analysis is waited for
        raise
    finally:
        for w in workers:
            w.close()
        if not frozen_before:
            # a heap frozen for the workers' sake goes back to the collector's care, so that
            # a session running many analyses (a notebook) frees its cycles as before;
            # ``mdsrs run`` freezes its short-lived process itself and keeps it frozen
            gc.unfreeze()
        result.outcomes.extend(done[n] for n in names if n in done)  # in the report's order
    return result


def _cores() -> int:
    """The cores this process may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _run_worker_pool(
    order: list[str],
    registry: Registry,
    cohort: Cohort,
    configs: Mapping[str, EndpointConfig],
    timeout: float,
    workers: list[EndpointWorker],
    progress: Any,
    warming: threading.Thread | None,
    finished: Callable[[str, EndpointOutcome], None],
) -> None:
    """The endpoints ``order`` analysed by the ``workers`` (one, or several at once), each
    taking the next endpoint when it is done; ``finished(name, outcome)`` as each one ends
    (in the order they end), called once the workers have their next endpoints, so that
    drawing a finished endpoint's figures never holds up the analyses. An endpoint still
    running at ``timeout`` seconds is stopped with its worker (the next endpoint gets a new
    one); an error that ends the run (bad input) is raised at once (the caller ends the
    workers)."""
    from multiprocessing.connection import wait

    queue = list(order)
    free = list(workers)
    busy: dict[Any, tuple[EndpointWorker, str, float, float]] = {}  # connection -> task

    def dispatch() -> None:
        while queue and free:
            name = queue.pop(0)
            endpoint = registry.endpoints[name]
            if progress is not None:
                progress(name)
            try:
                analysed = not endpoint.skip_reason(cohort, configs[name])
            except Exception:  # noqa: BLE001 - _run_one reports it, as with one worker
                analysed = False
            if not analysed:  # skipped (or its check fails): nothing for a worker to do
                finished(name, _run_one(endpoint, cohort, configs[name], timeout))
                continue
            w = free.pop(0)
            if warming is not None and w.needs_start():
                warming.join()  # a new worker is forked: no import may be half done
            w.send(name)
            now = time.monotonic()
            busy[w.connection] = (w, name, now, now + timeout)

    while queue or busy:
        dispatch()
        if not busy:
            continue
        left = min(deadline for *_, deadline in busy.values()) - time.monotonic()
        ready = set(wait(list(busy), timeout=max(left, 0.0)))
        now = time.monotonic()
        ended = []
        for conn in list(busy):
            w, name, started, deadline = busy[conn]
            if conn in ready:
                fetch = functools.partial(w.receive, 0.0)
            elif now >= deadline:
                fetch = functools.partial(w.expire, timeout)
            else:
                continue
            del busy[conn]
            free.append(w)
            endpoint = registry.endpoints[name]
            outcome = _run_one(endpoint, cohort, configs[name], timeout, fetch=fetch)
            outcome.seconds = now - started
            ended.append((name, outcome))
        dispatch()  # the next analyses start before the callbacks (figures) run
        for name, outcome in ended:
            finished(name, outcome)


def _run_order(names: list[str], registry: Registry, figures_first: bool) -> list[str]:
    """The order the endpoints ``names`` (in the report's order) are analysed in: as they are,
    or, when their figures are drawn meanwhile (``on_outcome``), those drawing figures first,
    so that drawing starts while the rest are analysed. Endpoints are independent (each
    analyses the cohort with its own settings and seed), so the order changes no result."""
    if not figures_first:
        return names
    draws = [n for n in names if registry.endpoints[n].draws_figures]
    return draws + [n for n in names if n not in draws]


#: The software whose versions a run records (the methods section names them).
SOFTWARE = ("mdsrs", "numpy", "pandas", "scipy", "statsmodels", "patsy")


def software_versions() -> dict[str, str]:
    """Python's version and those of :data:`SOFTWARE` installed ("not installed" otherwise)."""
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


#: what formats a run's results (the terminal summary, the report's sections and writers),
#: imported by :func:`_warm_report_imports` while the workers analyse
REPORT_MODULES = (
    "rich.console",
    "rich.table",
    "rich.text",
    "mdsrs_core.report.summary",
    "mdsrs_core.report.build",
    "mdsrs_core.report.html",
    "mdsrs_core.report.markdown",
)


def _warm_report_imports(drawing: bool = True) -> threading.Thread:
    """Import the modules that format the results (:data:`REPORT_MODULES`) and, with
    ``drawing``, matplotlib (:func:`~mdsrs_core.report.style.warm_up`), in a daemon thread:
    the run's main thread waits on the workers meanwhile, and the imports (~0.1 s without
    matplotlib) are then done before the report is written. A failure here is silent (the
    report imports again)."""

    def warm() -> None:
        try:
            for name in REPORT_MODULES:
                importlib.import_module(name)
            if drawing:
                from .report.style import warm_up

                warm_up()
        except Exception:  # noqa: BLE001 - warming is an optimisation only
            pass

    thread = threading.Thread(target=warm, daemon=True, name="mdsrs-warm-report")
    thread.start()
    return thread


class EndpointTimeout(Exception):
    """An endpoint's analysis did not finish within the run's time limit."""


class WorkerError(Exception):
    """An endpoint's exception that could not be sent back from its worker process as it
    was (not picklable): its type name, message and where it was raised."""

    def __init__(self, type_name: str, message: str, where: str | None = None):
        super().__init__(message)
        self.type_name, self.where = type_name, where


def _where(exc: BaseException) -> str | None:
    """``"in func, file.py:123"``: the innermost frame of ``exc``'s traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return getattr(exc, "_mdsrs_where", None)
    last = frames[-1]
    return f"in {last.name}, {last.filename.rsplit('/', 1)[-1]}:{last.lineno}"


def _call_in_thread(func: Any, timeout: float) -> Any:
    """``func()`` in a daemon thread, or :class:`EndpointTimeout` after ``timeout`` seconds.

    Where processes cannot be forked: a thread that never returns is abandoned (it cannot be
    killed) and ends with the process.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="mdsrs-endpoint")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise EndpointTimeout(f"did not finish within the time limit of {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def can_fork() -> bool:
    """Whether endpoints can run in a forked worker process that a time limit can stop
    (Linux; elsewhere, e.g. macOS where forking a process with system frameworks loaded is
    unsafe, they run in a thread that a time limit abandons)."""
    import multiprocessing

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _portable(caught: list) -> list[tuple[str, Any, str, int]]:
    """Caught warnings as (message, category, file, line), the category a picklable class
    (else UserWarning)."""
    import pickle

    out = []
    for w in caught:
        category = w.category
        try:
            pickle.dumps(category)
        except Exception:
            category = UserWarning
        out.append((str(w.message), category, str(w.filename), int(w.lineno)))
    return out


def _reissue(caught: list) -> None:
    """Warn again, in this process, what a worker caught."""
    import warnings

    for text, category, filename, lineno in caught or ():
        warnings.warn_explicit(text, category, filename, lineno)


def _worker_loop(tasks: Mapping[str, Any], conn: Any) -> None:
    """The worker process: run the analyses asked for by name, send each outcome back."""
    import pickle
    import signal

    from ._malloc import release_free_memory

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            name = conn.recv()
        except EOFError:
            return
        if name is None:
            return
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            # the analysis's warnings go back with its result (the parent shows them once,
            # after the progress display), not to this process's stderr
            warnings.simplefilter("default")
            try:
                message: tuple = ("ok", tasks[name]())
            except BaseException as exc:
                where = _where(exc)
                try:
                    pickle.loads(pickle.dumps(exc))
                    message = ("error", exc, where)
                except Exception:
                    message = ("error", WorkerError(type(exc).__name__, str(exc), where), where)
        message = (*message, *([None] if len(message) == 2 else []), _portable(caught))
        try:
            send_result(conn, message)
        except Exception as exc:  # the result itself cannot be pickled
            send_result(
                conn,
                (
                    "error",
                    WorkerError(
                        "TypeError",
                        f"the endpoint's result cannot be sent back from its worker process "
                        f"({type(exc).__name__}: {exc})",
                    ),
                    None,
                ),
            )
        # the analysis's temporaries are free: their pages go back to the system before
        # the next analysis (at 10^6 patients the worker otherwise keeps each one's peak)
        message = caught = None  # type: ignore[assignment]
        release_free_memory()


def send_result(conn: Any, message: Any) -> None:
    """Send ``message`` through ``conn`` (a :class:`multiprocessing.connection.Connection`)
    to :func:`receive_result`: pickled with protocol 5, the large arrays it holds (at 10^6
    patients the figures' curves, tens of megabytes) out of band, each written from its
    own memory. ``conn.send`` would first copy all of it into one pickled bytes object:
    the worker's largest allocation, at the end of every analysis. Raises what pickling
    raises, before anything is sent."""
    import pickle

    buffers: list[pickle.PickleBuffer] = []
    payload = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    conn.send([v.nbytes for v in views])  # then the pickle, then each array's bytes
    conn.send_bytes(payload)
    for view in views:
        conn.send_bytes(view)


def receive_result(conn: Any) -> Any:
    """The message sent by :func:`send_result` (its arrays writable, as unpickled ones are)."""
    import pickle

    sizes = conn.recv()
    payload = conn.recv_bytes()
    buffers = []
    for size in sizes:
        buffer = bytearray(size)
        if size:
            conn.recv_bytes_into(buffer)
        else:
            conn.recv_bytes()
        buffers.append(buffer)
    return pickle.loads(payload, buffers=buffers)


def _freeze_heap() -> None:
    """Before a fork: move every object alive (modules, the cohort) out of the garbage
    collector's generations (:func:`gc.freeze`), so that the forked process's collections
    do not walk them again and again (matplotlib and the models allocate many small objects,
    and each full collection would visit the whole inherited heap) and do not touch, and so
    copy, the pages they share with this process. This process's collections skip them too
    while the analyses run; :func:`run` unfreezes the heap when it is done unless it was
    frozen before (``mdsrs run``)."""
    import gc

    gc.freeze()


class EndpointWorker:
    """Runs endpoint analyses in a forked worker process, so that a time limit really stops
    them: an analysis still running at the limit is ended with its process (SIGTERM, then
    SIGKILL), and the next analysis gets a fresh worker.

    One worker serves every analysis of a run in turn (imports and caches warmed by one
    endpoint serve the next, as in one process); the results come back pickled. ``tasks``
    maps a name to a function of no arguments; it is handed to the worker by ``fork``, so
    neither the functions nor the cohort are pickled.
    """

    def __init__(self, tasks: Mapping[str, Any]):
        self.tasks = dict(tasks)
        self._process: Any = None
        self._conn: Any = None

    def _start(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe()
        _freeze_heap()
        self._process = context.Process(
            target=_worker_loop, args=(self.tasks, child), daemon=True, name="mdsrs-endpoint"
        )
        self._process.start()
        child.close()
        self._conn = parent

    def call_start(self) -> None:
        """Fork the worker now (it is otherwise forked by the first :meth:`call`)."""
        if self._process is None:
            self._start()

    def needs_start(self) -> bool:
        """Whether the next :meth:`call` forks a new worker."""
        return self._process is None

    def call(self, name: str, timeout: float) -> Any:
        """The value of ``tasks[name]()``; its exception re-raised; :class:`EndpointTimeout`
        after ``timeout`` seconds."""
        self.send(name)
        return self.receive(timeout)

    @property
    def connection(self) -> Any:
        """The parent's end of the pipe to the worker (for ``multiprocessing.connection.wait``)."""
        return self._conn

    def send(self, name: str) -> None:
        """Start ``tasks[name]()`` in the worker (forked now if not running)."""
        if self._process is None:
            self._start()
        try:
            self._conn.send(name)
        except BaseException:
            self.stop()
            raise

    def expire(self, timeout: float) -> Any:
        """End the worker whose analysis ran past the limit: :class:`EndpointTimeout`."""
        self.stop()
        raise EndpointTimeout(f"did not finish within the time limit of {timeout:g} s")

    def receive(self, timeout: float) -> Any:
        """The value of the task sent last (its exception re-raised), waiting at most
        ``timeout`` seconds (then :class:`EndpointTimeout`)."""
        try:
            ready = self._conn.poll(timeout)
        except BaseException:  # Ctrl-C while waiting: the worker goes with the run
            self.stop()
            raise
        if not ready:
            self.expire(timeout)
        try:
            message = receive_result(self._conn)
        except (EOFError, OSError):
            code = self.stop()
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            raise RuntimeError(
                f"the worker process running the analysis ended ({how}) without a result "
                "(out of memory, or a crash in compiled code?)"
            ) from None
        except BaseException:
            self.stop()
            raise
        if len(message) > 3:
            _reissue(message[3])
        if message[0] == "ok":
            return message[1]
        exc = message[1]
        exc._mdsrs_where = message[2]
        raise exc

    def stop(self) -> int | None:
        """End the worker (if running) and return its exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if process.is_alive():
            process.terminate()
            process.join(2)
            if process.is_alive():
                process.kill()
        process.join()
        return process.exitcode

    def close(self) -> None:
        """Let the worker finish and end."""
        if self._process is not None and self._conn is not None:
            with contextlib.suppress(OSError, BrokenPipeError):
                self._conn.send(None)
            self._process.join(5)
        self.stop()


def _call_with_timeout(func: Any, timeout: float | None) -> Any:
    """``func()``, or :class:`EndpointTimeout` after ``timeout`` seconds in a thread
    (abandoned at the limit: where no worker process can be forked)."""
    if timeout is None:
        return func()
    return _call_in_thread(func, timeout)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, EndpointTimeout):
        return f"EndpointTimeout: {exc}"
    name = exc.type_name if isinstance(exc, WorkerError) else type(exc).__name__
    where = exc.where if isinstance(exc, WorkerError) else _where(exc)
    return f"{name}: {exc}" + (f" ({where})" if where else "")


def _names_user_formula(exc: FormulaError, config: EndpointConfig) -> bool:
    """Whether ``exc`` is about one of the endpoint's configured formulas (the study
    file's, or the endpoint's defaults, applied to the user's data); a formula the endpoint
    builds internally on data it derived (e.g. intervals split at response) is not."""
    return any(formula in str(exc) for formula in config.formulas.values())


def _run_one(
    endpoint: Endpoint,
    cohort: Cohort,
    config: EndpointConfig,
    timeout: float | None = None,
    fetch: Callable[[], Any] | None = None,
) -> EndpointOutcome:
    """``endpoint``'s outcome: its analysis run here (or in a thread, with ``timeout``), or,
    with ``fetch``, the result ``fetch()`` returns of the analysis a worker process is
    running; failures recorded, bad input raised."""
    outcome = EndpointOutcome(endpoint.name, endpoint.title, "ok", endpoint=endpoint)
    start = time.perf_counter()
    try:
        reason = endpoint.skip_reason(cohort, config)
        if reason:
            outcome.status, outcome.reason = "skipped", reason
            return outcome
        if fetch is not None:
            res = fetch()
        else:
            res = _call_with_timeout(lambda: endpoint.analyze(cohort, config), timeout)
        _check_result(endpoint, res)
    except ModelError as exc:  # the data cannot be fitted: this endpoint fails, others run
        outcome.status, outcome.reason = "failed", f"ModelError: {exc}"
        return outcome
    except FormulaError as exc:
        if _names_user_formula(exc, config):
            raise  # the user's formula cannot be used with the data: exit code 2
        # a formula the endpoint builds itself (on data it derived) failed: this endpoint
        # fails with the reason, the others run (never exit 2 for the whole run)
        outcome.status, outcome.reason = "failed", _failure(exc)
        return outcome
    except MdsrsError:
        raise  # bad input (data, study file, command line): exit code 2
    except Exception as exc:
        outcome.status, outcome.reason = "failed", _failure(exc)
        return outcome
    finally:
        outcome.seconds = time.perf_counter() - start
    accounted = sum(res.n_analysed.values()) + len(res.exclusions)
    if accounted != cohort.n:
        res.note(
            f"The endpoint accounts for {accounted} of the cohort's {cohort.n} patients "
            "(analysed plus excluded)."
        )
    outcome.result = res
    return outcome


def _check_result(endpoint: Endpoint, res: Any) -> None:
    if not isinstance(res, EndpointResult):
        raise TypeError(f"analyze() returned {type(res).__name__}, not an EndpointResult")
    for r in res.records:
        if not isinstance(r, Record) or r.endpoint != endpoint.name:
            raise TypeError(f"analyze() returned a malformed record: {r!r}")
