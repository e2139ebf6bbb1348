"""Drawing the report's figures in forked processes while the analyses still run.

A figure is the slow part of a report (matplotlib lays out and draws every text and tick
in Python: 0.2-0.6 s per figure, against milliseconds for most analyses). ``mdsrs run``
therefore hands each endpoint's figures to a small pool of forked processes as soon as
the endpoint's analysis is back, while the endpoint worker goes on with the next analysis
(the forest plot, which needs every endpoint, is drawn once the run is complete by a
process of its own, beside the pool's last figures). Each process draws the
figure with
the same code as :func:`~mdsrs_core.report.endpoint_section.endpoint_section` and renders
it in the forms the asked formats need (SVG for HTML and Markdown, PNG at the Word
resolution for Word), so the report built afterwards holds finished SVG text and PNG bytes
and its renderers draw nothing. Same code, same figure: the SVG and PNG are byte-identical
to those drawn in the report's own process.

The processes are forked from a host process (:mod:`.pool_host`), which ``mdsrs run``
starts before it imports pandas (:meth:`FigurePool.start`): the host imports matplotlib
and the report modules (:func:`~mdsrs_core.report.style.warm_up`) while the run reads its
data, so the processes import nothing themselves.
A figure that fails to draw fails in its section exactly as it would in-process; a pool
that cannot be used (no ``fork``, a worker that died) leaves the figures to be drawn
in-process, as without this module. Used by ``mdsrs run``; the Python API's
:func:`~mdsrs_core.report.write.write_report` draws in-process unless given a pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .document import Figure
from .word import DPI as WORD_DPI

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Future

    from ..plugins import Registry
    from ..records import Record
    from ..runner import EndpointOutcome

__all__ = ["FigurePool", "render_kinds", "FORMAT_RENDERINGS"]

#: what each built-in format reads of a figure: ("svg", None) or ("png", dpi) (HTML and
#: Markdown embed the SVG; Word the PNG at its resolution, :data:`.word.DPI`)
FORMAT_RENDERINGS: dict[str, tuple[tuple[str, int | None], ...]] = {
    "html": (("svg", None),),
    "md": (("svg", None),),
    "docx": (("png", WORD_DPI),),
    "json": (),
    "csv": (),
}

#: what the endpoints' drawing processes add to their niceness: the processes the run waits
#: on (the analyses, then the forest plot, which needs every endpoint and is drawn last by
#: a process of its own) get the cores first, and the endpoints' figures, two processes,
#: fill both cores at the end instead of the forest alone filling one
FIGURES_NICENESS = 5

#: the registry the pool's processes draw with (set before they are forked)
_REGISTRY: Any = None


def render_kinds(formats: Iterable[str]) -> tuple[tuple[str, int | None], ...] | None:
    """The renderings the ``formats`` need (None when a format is not a built-in one: its
    needs are unknown, and its figures are drawn in-process)."""
    kinds: dict[tuple[str, int | None], None] = {}
    for name in formats:
        if name not in FORMAT_RENDERINGS:
            return None
        kinds.update(dict.fromkeys(FORMAT_RENDERINGS[name]))
    return tuple(kinds)


def _render(figure: Figure, kinds: Iterable[tuple[str, int | None]]) -> Figure:
    """``figure`` rendered as ``kinds`` and without its matplotlib figure (picklable)."""
    for kind, dpi in kinds:
        if kind == "svg":
            figure.to_svg()
        else:
            figure.to_png(dpi or 300)
    figure.figure = None
    return figure


def _portable_warnings(caught: list) -> list:
    from ..runner import _portable

    return _portable(caught)


def _draw_endpoint(
    name: str, records: list[Record], data: Any, kinds: tuple
) -> tuple[str, Any, list]:
    """In a pool process: the figures of endpoint ``name`` -> ("ok", [Figure, ...],
    warnings) or ("error", the text of the section's note, warnings)."""
    import warnings

    from .endpoint_section import _figure

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        endpoint = _REGISTRY.endpoints[name]
        try:
            figures = endpoint.figures(records, data)
        except Exception as exc:
            return ("error", f"{type(exc).__name__}: {exc}", _portable_warnings(caught))
        out = [
            _render(_figure(title, item), kinds)
            for title, item in (figures or {}).items()
            if item is not None
        ]
    return ("ok", out, _portable_warnings(caught))


def _draw_forest(rows: list, arms: list[str], kinds: tuple) -> tuple[str, Any, list]:
    """The forest plot -> ("ok", [Figure] or [], warnings) or ("error", reason, warnings)."""
    import warnings

    from .forest import forest_plot

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            fig = forest_plot(rows, arms)
        except Exception as exc:
            return ("error", f"{type(exc).__name__}: {exc}", _portable_warnings(caught))
        out = [] if fig is None else [_render(Figure("", fig), kinds)]
    return ("ok", out, _portable_warnings(caught))


class FigurePool:
    """Forked processes drawing the report's figures (``kinds``: the renderings to make,
    from :func:`render_kinds`) while the run goes on.

    :meth:`submit_endpoint` is the runner's ``on_outcome`` callback;
    :meth:`endpoint_figures` waits for its result: ``None`` means "not drawn here" (the
    report then draws in-process). The forest plot, which needs every endpoint, is
    submitted once the run is complete (:meth:`submit_forest`) and collected last
    (:meth:`forest`), so that the report's own process builds the other sections
    meanwhile.
    """

    def __init__(self, kinds: tuple, registry: Registry, workers: int = 2, cache: bool = True):
        self.kinds = kinds
        self.registry = registry
        self.workers = workers
        #: reuse renderings of earlier runs (:mod:`mdsrs_core.report.figure_cache`)
        self.cache = cache
        self._broken = False
        self._endpoints: dict[str, Future] = {}
        self._keys: dict[str, str] = {}
        self._cached: dict[str, tuple] = {}
        #: the forest plot under way: (how, future or cached hit, cache key, rows, arms), or
        #: None (no plot)
        self._forest: tuple[str, Any, str | None, list, list[str]] | None = None
        self._forest_run: Any = None
        #: the host process the drawing processes are forked from (:meth:`start`)
        self._host: Any = None

    def start(self) -> None:
        """Fork the host of the drawing processes now (:mod:`.pool_host`). ``mdsrs run``
        calls it before it imports pandas and reads its data, so that the host imports the
        drawing stack on the core that leaves idle; otherwise the first figure asked for
        starts it. A host that cannot be forked leaves every figure to this process."""
        if self._host is not None or self._broken:
            return
        global _REGISTRY
        _REGISTRY = self.registry
        try:
            from .pool_host import PoolHost

            self._host = PoolHost(
                {"figures": self.workers, "forest": 1}, niceness={"figures": FIGURES_NICENESS}
            )
        except Exception:  # noqa: BLE001 - drawing in-process is the fallback
            self._broken = True

    @property
    def draws_elsewhere(self) -> bool:
        """Whether the figures are drawn by a host started beforehand (this process then
        need not import the drawing stack while the analyses run)."""
        return self._host is not None

    def _submit(self, func: Any, *args: Any, lane: str = "figures") -> Future | None:
        self.start()
        if self._broken:
            return None
        return self._host.submit(lane, func, *args)

    def submit_endpoint(self, outcome: EndpointOutcome, records: list[Record]) -> None:
        """Start drawing ``outcome``'s figures (``records``: the endpoint's records)."""
        if outcome.status != "ok" or outcome.endpoint is None or outcome.result is None:
            return
        if not outcome.endpoint.draws_figures:
            return
        data = outcome.result.figures
        key = None
        if self.cache:
            from . import figure_cache

            with contextlib.suppress(Exception):
                key = figure_cache.figure_key(
                    outcome.endpoint, outcome.name, records, data, self.kinds
                )
            hit = figure_cache.load(key) if key else None
            if hit is not None:
                self._cached[outcome.name] = hit
                return
        future = self._submit(_draw_endpoint, outcome.name, records, data, self.kinds)
        if future is not None:
            self._endpoints[outcome.name] = future
            if key:
                self._keys[outcome.name] = key

    def _result(self, future: Future | None, key: str | None = None) -> tuple[str, Any] | None:
        if future is None:
            return None
        try:
            status, value, caught = future.result()
        except Exception:  # noqa: BLE001 - a dead process: draw in-process instead
            return None
        if key:
            from . import figure_cache

            figure_cache.store(key, status, value, caught)
        from ..runner import _reissue

        _reissue(caught)
        return status, value

    def endpoint_figures(self, name: str) -> tuple[str, Any] | None:
        """("ok", [Figure, ...]) or ("error", reason) for endpoint ``name``; None when not
        drawn here."""
        if name in self._cached:
            status, value, caught = self._cached.pop(name)
            from ..runner import _reissue

            _reissue(caught)
            return status, value
        return self._result(self._endpoints.pop(name, None), self._keys.pop(name, None))

    def submit_forest(self, run: Any) -> None:
        """Start drawing the forest plot of ``run`` (complete: the plot needs every
        endpoint) in the pool, while this process builds the rest of the report; or find it
        in the cache. :meth:`forest` collects it. Once per run: a second call does
        nothing."""
        if self._forest_run is run:
            return
        from .summary_table import summary_rows

        rows, _notes = summary_rows(run)
        self._forest_run = run
        if not rows:
            self._forest = None
            return
        arms = list(run.cohort.arms)
        key = None
        if self.cache:
            from . import figure_cache

            with contextlib.suppress(Exception):
                key = figure_cache.figure_key(None, "forest", rows, arms, self.kinds)
            hit = figure_cache.load(key) if key else None
            if hit is not None:
                self._forest = ("cached", hit, None, rows, arms)
                return
        future = self._draw_forest_meanwhile(rows, arms)
        self._forest = ("future" if future is not None else "here", future, key, rows, arms)

    def _draw_forest_meanwhile(self, rows: list, arms: list[str]) -> Future | None:
        """The forest plot drawn by a process of its own (the host's "forest" lane): the
        largest figure starts at once, beside the endpoints' figures the pool is still
        drawing, instead of queueing behind them (drawn last, it alone made the end of the
        run). None when the pool cannot be used (it is then drawn in this process)."""
        return self._submit(_draw_forest, rows, arms, self.kinds, lane="forest")

    def forest(self, run: Any) -> tuple[str, Any] | None:
        """The forest plot of ``run`` (started by :meth:`submit_forest`, which this calls
        when it was not): drawn in a pool process, or in this process when the pool could
        not draw it, or reused from the cache; rendered as the pool's figures:
        ("ok", Figure or None) or ("error", reason)."""
        if self._forest_run is not run:
            self.submit_forest(run)
        pending, self._forest_run = self._forest, None
        if pending is None:
            return None
        how, value, key, rows, arms = pending
        if how == "cached":
            hit = value
        else:
            hit = None
            if how == "future":
                with contextlib.suppress(Exception):  # a dead process: draw here instead
                    hit = value.result()
            if hit is None:
                hit = _draw_forest(rows, arms, self.kinds)  # figures as a list, as the cache's
            if key:
                from . import figure_cache

                figure_cache.store(key, *hit)
        from ..runner import _reissue

        status, value, caught = hit
        _reissue(caught)
        if status == "ok":
            return status, value[0] if value else None
        return status, value

    def close(self) -> None:
        """End the processes (waiting for none of their work)."""
        host, self._host = self._host, None
        if host is not None:
            for future in self._endpoints.values():
                future.cancel()
            host.close()

    def __enter__(self) -> FigurePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
