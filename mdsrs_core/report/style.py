"""Publication defaults for mdsrs figures (matplotlib, imported only when a figure is drawn).

Use :func:`figure_style` around the drawing, build figures with :func:`new_figure` (a plain
``matplotlib.figure.Figure``, never pyplot's global state), colour arms with
:func:`arm_colors` and write them with :func:`to_svg` (HTML) and :func:`to_png` (Word)::

    with figure_style():
        fig = new_figure(6.5, 4.5)
        ax = fig.add_subplot()
        ...
    svg_text, png_bytes = to_svg(fig), to_png(fig, dpi=300)

Importing this module imports no matplotlib: ``mdsrs --help`` and ``mdsrs plugins`` stay fast.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .formatting import p_text  # re-exported: figures print p-values in their panels
from .png import COMPRESS_LEVEL  # the standard library's struct and zlib only

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "OKABE_ITO",
    "REFERENCE_COLOR",
    "TREATMENT_COLOR",
    "GREY",
    "LIGHT_GREY",
    "arm_colors",
    "ordinal_colors",
    "p_text",
    "figure_style",
    "new_figure",
    "freeze_layout",
    "renumber_svg_ids",
    "to_svg",
    "to_png",
    "fixed_layout",
    "thinned",
    "wrapped",
    "POINTS_MAX",
    "CURVE_BINS",
]

#: Okabe & Ito (2008) colour-blind-safe palette, by name
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: the colour cycle of every figure: Okabe-Ito, the two arm colours first, yellow last
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
#: fixed arm colours: the reference arm blue, the (first) treatment arm vermillion
REFERENCE_COLOR = OKABE_ITO["blue"]
TREATMENT_COLOR = OKABE_ITO["vermillion"]
#: neutral grey for reference lines and secondary text; light grey for "none" categories
GREY = "#6E6E6E"
LIGHT_GREY = "#D9D9D9"

#: sans-serif families tried in order (Liberation Sans and Nimbus Sans are metric-compatible
#: with Arial and Helvetica); only installed ones are used, DejaVu Sans (bundled) last
_FONTS = ("Arial", "Helvetica", "Liberation Sans", "Nimbus Sans", "DejaVu Sans")

STYLE: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    # titles at the top of their axes (plus axes.titlepad), placed once: matplotlib's
    # automatic placement measures every axis' tick labels again at each layout pass and
    # drawing, for a fifth to a quarter of a figure's time, to lift a title above what can
    # stand over an axes (x tick labels or an x label at the top, a y-axis offset text);
    # freeze_layout hands a figure that has such a thing back to the automatic placement
    "axes.titley": 1.0,
    "axes.labelsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "legend.frameon": False,
    "legend.handlelength": 1.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.linewidth": 0.8,
    "axes.edgecolor": "#222222",
    "axes.labelcolor": "#222222",
    "axes.facecolor": "white",
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "xtick.major.size": 3.5,
    "ytick.major.size": 3.5,
    "xtick.color": "#222222",
    "ytick.color": "#222222",
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "patch.linewidth": 0.6,
    "hatch.linewidth": 0.6,
    "image.cmap": "cividis",
    "figure.facecolor": "white",
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.facecolor": "white",
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    "figure.autolayout": False,  # figures choose their layout (new_figure: constrained)
    "figure.constrained_layout.use": False,
    "svg.fonttype": "none",  # text stays text in SVG (searchable, small)
    # texts measured and drawn from the font's outlines, unhinted: the sizes an SVG viewer
    # and print give them (hinting, fitting glyphs to a screen's pixels, changes a text's
    # width by a few percent at the layout's 100 dpi, and at the Word figures' 300 dpi it
    # changes nothing one sees, at ~12% of their drawing time)
    "text.hinting": "no_hinting",
    "svg.hashsalt": "mdsrs",  # stable element ids: the same figure gives the same SVG
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
}


def arm_colors(arms: Sequence[str], reference: str | None = None) -> dict[str, str]:
    """Fixed colours per arm: the reference arm (``reference``, else the first arm) blue, the
    next arm vermillion, further arms the rest of :data:`PALETTE`."""
    arms = [str(a) for a in arms]
    ref = arms[0] if reference is None and arms else reference
    others = [a for a in arms if a != ref]
    out = {ref: REFERENCE_COLOR} if ref in arms else {}
    rest = [c for c in PALETTE if c not in (REFERENCE_COLOR,)]
    for arm, color in zip(others, rest, strict=False):
        out[arm] = color
    return {a: out.get(a, GREY) for a in arms}


def ordinal_colors(
    n: int, cmap: str = "YlOrRd", low: float = 0.15, high: float = 0.95
) -> list[str]:
    """``n`` colours of increasing darkness for ordered categories (default light yellow to
    dark red; monotone in lightness, so readable with colour-vision deficiency)."""
    import matplotlib
    from matplotlib.colors import to_hex

    colormap = matplotlib.colormaps[cmap]
    if n <= 1:
        return [to_hex(colormap(high))]
    return [to_hex(colormap(low + (high - low) * i / (n - 1))) for i in range(n)]


def _fonts() -> list[str]:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in _FONTS if f in installed] or ["DejaVu Sans"]


@contextmanager
def figure_style(**overrides: Any) -> Iterator[dict[str, Any]]:
    """The publication rcParams (plus ``overrides``, e.g. ``{"font.size": 10}``) for the
    drawing inside the ``with`` block; the headless Agg backend unless pyplot is in use.

    Yields the rcParams in force."""
    import sys

    import matplotlib
    from cycler import cycler

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # headless; a session already using pyplot keeps its backend
    fonts = _fonts()
    # the families themselves, not the generic "sans-serif": matplotlib falls back glyph by
    # glyph only along font.family (a glyph the first font lacks, e.g. the superscript nine
    # of "10⁹/L" in Liberation Sans, then comes from DejaVu Sans instead of a missing box)
    rc = dict(
        STYLE,
        **{
            "font.family": fonts,
            "font.sans-serif": fonts,
            "axes.prop_cycle": cycler(color=PALETTE),
        },
    )
    rc.update(overrides)
    # matplotlib types rc_context's keys as a Literal of every rcParams name; these are such
    # names, but built at run time (STYLE, overrides), so mypy sees plain str.
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        yield rc


def warm_up() -> None:
    """Import what drawing and saving a figure needs (matplotlib's Figure, the Agg canvas,
    the font list, the report builder), so that a process can do it while waiting."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.collections  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.ticker  # noqa: F401

    from . import build  # noqa: F401

    _fonts()


#: the sizes (pt) of the report figures' texts, whose font lookups :func:`warm_fonts` makes
WARM_SIZES = (7.5, 8.0, 8.5, 9.0, 10.0)


def warm_fonts() -> None:
    """Look up the font files of the figures' texts once, under :func:`figure_style`: each
    size of :data:`WARM_SIZES`, normal and bold. matplotlib caches each lookup (a
    nearest-match search over every installed font, per family of the list): the drawing
    processes forked from a process that did this (:mod:`.pool_host`) find them there,
    where the first figures of each paid for them (~6% more instructions for the example's
    figures drawn in a fresh process than drawn again). Other sizes are looked up as
    usual."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    find = getattr(manager, "_find_fonts_by_props", manager.findfont)
    with figure_style() as rc:
        for size in WARM_SIZES:
            for weight in ("normal", "bold"):
                find(
                    font_manager.FontProperties(family=rc["font.family"], size=size, weight=weight)
                )


def new_figure(width: float = 6.5, height: float = 4.5, **kwargs: Any) -> Figure:
    """A matplotlib Figure (inches; constrained layout), outside pyplot's global state: it
    needs no closing and no display."""
    from matplotlib.figure import Figure

    kwargs.setdefault("layout", "constrained")
    return Figure(figsize=(width, height), **kwargs)


#: matplotlib's SVG names elements from object identities; these are rewritten in one pass
_SVG_REF = re.compile(r'(\bid="|url\(#|href="#)([^"()<>\s]+)(?=[")])')


def freeze_layout(fig: Figure) -> Any:
    """Lay ``fig`` out once and fix it: the layout engine (constrained layout) runs one time,
    its positions are kept and the engine is removed, and the tight bounding box (plus
    ``savefig.pad_inches``) is computed once and returned (also kept on the figure).

    Every later save draws the figure once, with no layout pass and no tight-bbox pass
    (matplotlib otherwise runs both on every ``savefig``: four layouts per figure for SVG and
    PNG). Idempotent: a frozen figure returns its stored box.
    """
    box = getattr(fig, "_mdsrs_bbox", None)
    if box is not None:
        return box
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with figure_style() as rc, drawing_memoised():
        canvas = fig.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            canvas = FigureCanvasAgg(fig)  # one cached renderer: text metrics computed once
        renderer = canvas.get_renderer()
        engine = fig.get_layout_engine()
        whole = False
        if engine is not None:
            whole = _constrained_layout_applied(fig, engine, renderer)
            if _titles_placed_automatically(fig):  # laid out again, with titles lifted
                whole = _constrained_layout_applied(fig, engine, renderer)
            # None (under figure_style, which turns matplotlib's automatic layouts off)
            # removes the engine; "none" would leave a placeholder engine, and savefig
            # draws a figure with any engine once more before the real drawing
            fig.set_layout_engine(None)
        if whole:
            box = fig.bbox_inches.frozen()
        else:
            tight = fig.get_tightbbox(renderer)
            if engine is None and _titles_placed_automatically(fig):
                tight = fig.get_tightbbox(renderer)
            box = tight.padded(rc["savefig.pad_inches"])
    fig._mdsrs_bbox = box  # type: ignore[attr-defined]
    return box


def _titles_placed_automatically(fig: Figure) -> bool:
    """Give the titles of ``fig`` back to matplotlib's automatic placement (which lifts a
    title above what stands over its axes) when the figure has something there: x tick
    labels or an x label at the top of an axes, or a y-axis offset text (e.g. "1e6"). Their
    texts are known once the figure has been laid out or drawn (the ticks are computed
    then). True when it did (the figure must then be laid out again); False for the usual
    figure, whose titles stay where ``axes.titley`` put them (the same place)."""
    lifted = False
    for ax in fig.axes:
        xaxis = ax.xaxis
        top_labels = any(
            ticks and ticks[0].label2.get_visible()
            for ticks in (xaxis.majorTicks, xaxis.minorTicks)
        )
        top_label = xaxis.get_label_position() == "top" and bool(xaxis.label.get_text())
        offset = bool(ax.yaxis.get_offset_text().get_text())
        lifted = lifted or top_labels or top_label or offset
    if not lifted:
        return False
    for ax in fig.axes:
        if getattr(ax, "_autotitlepos", None) is False:
            ax._autotitlepos = True  # type: ignore[attr-defined]
    return True


def fixed_layout(fig: Figure) -> None:
    """Declare ``fig`` laid out by its own code: its axes were placed at positions computed
    from the measured sizes of everything it draws, all of it inside the figure (the core's
    forest plot does so). It is then saved whole, with no layout engine and no
    tight-bounding-box pass (:func:`freeze_layout` returns the whole figure's box). A figure
    that is not sure of that leaves this out and gets the tight bounding box."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_layout_engine(None)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # the canvas every report figure has once laid out
    fig._mdsrs_bbox = fig.bbox_inches.frozen()  # type: ignore[attr-defined]


def _constrained_layout_applied(fig: Figure, engine: Any, renderer: Any) -> bool:
    """Run ``fig``'s layout ``engine``; True when it was constrained layout and it laid the
    figure out (it places every axes with its decorations and every figure-level label and
    "outside" legend inside the figure, ``w_pad`` / ``h_pad`` from its edges: the figure is
    then saved whole, with no tight-bounding-box pass, a fifth of a figure's drawing time).
    False for any other engine, or when constrained layout gave up (axes collapsed by their
    decorations; its warning is passed on): the tight bounding box is measured then."""
    import warnings

    from matplotlib.layout_engine import ConstrainedLayoutEngine

    if not isinstance(engine, ConstrainedLayoutEngine):
        engine.execute(fig)
        return False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine.execute(fig)
    collapsed = False
    for w in caught:
        collapsed = collapsed or "constrained_layout not applied" in str(w.message)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return not collapsed and not _outside_the_layout(fig, renderer)


def _outside_the_layout(fig: Figure, renderer: Any) -> bool:
    """Whether ``fig`` holds what constrained layout does not keep inside it: texts and
    legends added at figure level other than its supxlabel / suptitle / "outside" legends,
    a supxlabel or suptitle wider than the figure (constrained layout makes room for their
    height only), an axes of fixed aspect, or an artist of an axes left out of the
    layout."""
    labels = [getattr(fig, f"_sup{name}", None) for name in ("xlabel", "title", "ylabel")]
    if any(t not in labels for t in fig.texts):
        return True
    for text in labels:
        if text is not None and text.get_visible() and text.get_text():
            extent = text.get_window_extent(renderer)
            if extent.x0 < 0 or extent.x1 > fig.bbox.width:
                return True
    if fig.images or fig.patches or fig.lines or fig.artists:
        return True
    if any(getattr(legend, "_outside_loc", None) is None for legend in fig.legends):
        return True
    if getattr(fig, "subfigs", None):
        return True
    for ax in fig.axes:
        if not ax.get_in_layout() or ax.get_aspect() != "auto":
            # a fixed aspect shrinks the axes inside the place the layout gave it, after
            # the layout: its decorations may then stand out of the figure
            return True
        children = [*ax.texts, *ax.artists, *ax.patches, *ax.images]
        if any(not c.get_in_layout() for c in children):
            return True
    return False


def _save(fig: Figure, fmt: str, **kwargs: Any) -> bytes:
    box = freeze_layout(fig)
    buffer = io.BytesIO()
    with figure_style(), drawing_memoised():
        fig.savefig(buffer, format=fmt, bbox_inches=box, **kwargs)
    return buffer.getvalue()


#: the font rcParams matplotlib's ``findfont`` reads (part of each memoised lookup's key)
_FONT_RC = (
    "font.family",
    "font.serif",
    "font.sans-serif",
    "font.cursive",
    "font.fantasy",
    "font.monospace",
    "font.style",
    "font.variant",
    "font.weight",
    "font.stretch",
)


@contextmanager
def font_lookups_memoised() -> Iterator[None]:
    """Inside the block, matplotlib's font-file lookup for a text's font properties is
    memoised: laying out and drawing a figure looks up the font files of every text again
    for each measurement (matplotlib 3.10+ measures each text's line metrics with an
    uncached ``FontManager._find_fonts_by_props``, a nearest-match search per family that
    also re-reads ten rcParams: about a seventh of a figure's drawing time). The memo is
    keyed by the font properties (their hash, as matplotlib's own font caches are) and the
    font rcParams in force, so it returns exactly what the lookup returns; it lives for the
    block only (nested blocks share it) and touches nothing when matplotlib has no such
    method."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    lookup = getattr(type(manager), "_find_fonts_by_props", None)
    if lookup is None or "_find_fonts_by_props" in vars(manager):  # absent, or already on
        yield
        return
    import matplotlib

    memo: dict[tuple, Any] = {}
    # the blocks hold drawing only (layout, bounding boxes, savefig), which changes no
    # rcParams: the font rcParams at the start hold for the whole block
    rc: Any = matplotlib.rcParams  # indexed by names built at run time (_FONT_RC)
    fonts = tuple(str(rc[k]) for k in _FONT_RC)

    def find(prop: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(prop, font_manager.FontProperties):
            return lookup(manager, prop, *args, **kwargs)
        key = (hash(prop), args, tuple(sorted(kwargs.items())), fonts)
        found = memo.get(key)
        if found is None:
            found = memo[key] = lookup(manager, prop, *args, **kwargs)
        return list(found)  # a fresh list, as the lookup returns

    manager._find_fonts_by_props = find  # type: ignore[method-assign]
    try:
        yield
    finally:
        del manager._find_fonts_by_props


#: the rcParams a text's measured size depends on besides its font (matplotlib's hinting)
_TEXT_RC = ("text.hinting", "text.hinting_factor", "text.antialiased")


@contextmanager
def text_layouts_memoised() -> Iterator[None]:
    """Inside the block, matplotlib's layout of each text (``Text._get_layout``: its lines'
    sizes and offsets and its rotated box, relative to its anchor) is computed once per
    renderer and reused. A figure's layout and drawing ask for it again and again, for
    the same text: each tick label about seven times (twice per axis in each of the two
    passes of constrained layout, then for its axis's bounding boxes, its siblings' and
    its drawing), each time re-reading the font's tables: ~18% of the instructions of a
    constrained layout and ~9% of an SVG drawing of the report's figures.

    The memo is keyed by the renderer (held for the block, so it is not replaced by
    another at the same address), its resolution, the figure's and everything the layout
    reads of the text: its string, font properties (their hash), line spacing,
    multi-alignment, rotation and rotation mode, alignments, and the font and hinting
    rcParams in force. A text that wraps (whose lines depend on its position), is drawn
    with TeX or holds mathtext is laid out as usual, as is every text outside the block
    (nested blocks share the memo). The returned box is a copy: the figures are the same,
    byte for byte."""
    import matplotlib
    from matplotlib import text as mtext

    Text: Any = mtext.Text  # its private _get_layout is replaced for the block
    if "_mdsrs_layouts" in vars(Text) or not callable(getattr(Text, "_get_layout", None)):
        yield  # already memoised (a nested block), or a matplotlib without the method
        return
    layout = Text._get_layout
    rc: Any = matplotlib.rcParams  # indexed by names built at run time
    settings = tuple(str(rc[k]) for k in (*_FONT_RC, *_TEXT_RC))
    memo: dict[tuple, Any] = {}

    def memoised(self: Any, renderer: Any) -> Any:
        text = self.get_text()
        if self.get_wrap() or self.get_usetex() or "$" in text:
            return layout(self, renderer)
        try:
            key = _layout_key(self, renderer, settings)
        except (AttributeError, TypeError):  # a text with no figure, or a matplotlib
            return layout(self, renderer)  # whose texts keep these under other names
        found = memo.get(key)
        if found is None:
            found = memo[key] = layout(self, renderer)
        box, lines, corner = found
        return box.frozen(), list(lines), corner

    Text._get_layout = memoised
    Text._mdsrs_layouts = True
    try:
        yield
    finally:
        Text._get_layout = layout
        del Text._mdsrs_layouts


def _layout_key(text: Any, renderer: Any, settings: tuple) -> tuple:
    """What matplotlib's layout of ``text`` depends on (:func:`text_layouts_memoised`)."""
    return (
        renderer,
        getattr(renderer, "dpi", None),
        text.get_figure(root=True).dpi,
        text.get_text(),
        hash(text._fontproperties),
        text._parse_math,
        text._linespacing,
        text._get_multialignment(),
        text.get_rotation(),
        text.get_rotation_mode(),
        text._horizontalalignment,
        text._verticalalignment,
        settings,
    )


@contextmanager
def drawing_memoised() -> Iterator[None]:
    """The memos of a figure's layout and drawing: font lookups
    (:func:`font_lookups_memoised`) and text layouts (:func:`text_layouts_memoised`)."""
    with font_lookups_memoised(), text_layouts_memoised():
        yield


def renumber_svg_ids(svg: str, rename: Callable[[int, str], str]) -> str:
    """``svg`` with every element id, and every ``url(#id)`` / ``href="#id"`` reference to
    it, replaced by ``rename(number, id)`` (``number``: 1, 2, ... in order of first
    appearance of the id). One regular-expression pass: linear in the size of the SVG."""
    ids = re.findall(r'\bid="([^"]+)"', svg)
    if not ids:
        return svg
    new = {name: rename(k, name) for k, name in enumerate(dict.fromkeys(ids), start=1)}

    def sub(m: re.Match[str]) -> str:
        name = m.group(2)
        return m.group(1) + new[name] if name in new else m.group(0)

    return _SVG_REF.sub(sub, svg)


def to_svg(fig: Figure) -> str:
    """The figure as SVG text (fonts as text, no date: the same figure gives the same SVG).

    matplotlib names clip paths from object identities, which differ from run to run; they
    are renumbered in order of appearance so that the SVG depends on the figure only.
    """
    metadata: dict[str, Any] = {"Date": None}
    if fig.get_label():
        metadata["Title"] = fig.get_label()
    svg = _save(fig, "svg", metadata=metadata).decode("utf-8")
    clips = dict.fromkeys(re.findall(r'<clipPath id="([^"]+)"', svg))
    if not clips:
        return svg
    numbers = {name: k for k, name in enumerate(clips, start=1)}
    return renumber_svg_ids(
        svg, lambda _, name: f"clip{numbers[name]}" if name in numbers else name
    )


#: zlib level of the PNGs (also given to matplotlib's own PNG writer where :func:`to_png`
#: falls back on it)
PNG_COMPRESS_LEVEL = COMPRESS_LEVEL


def to_png(fig: Figure, dpi: int = 300) -> bytes:
    """The figure as PNG bytes at ``dpi`` (300 for print and Word).

    The pixels are matplotlib's Agg rendering, exactly as ``savefig(format="png")`` gives
    them; a figure with no transparent pixel (the report's, on a white face) is written as an
    RGB PNG instead of RGBA: a quarter fewer bytes to filter and deflate (about 40% less
    encoding time at 300 dpi) and a smaller file, the same picture. A figure with any
    transparency keeps its alpha channel.
    """
    box = freeze_layout(fig)
    grab = _RasterGrab()
    with figure_style(), drawing_memoised():
        # a file handle to matplotlib (it writes one buffer to it), not a typing.IO
        fig.savefig(grab, format="raw", bbox_inches=box, dpi=dpi)  # type: ignore[arg-type]
    pixels = grab.pixels
    if pixels is None or pixels.ndim != 3 or pixels.shape[2] != 4:  # pragma: no cover
        # a matplotlib whose raw save is not the (height, width, 4) canvas buffer
        return _save(fig, "png", dpi=dpi, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return _encode_png(pixels, dpi)


class _RasterGrab:
    """A writable file-like object keeping what matplotlib's ``"raw"`` save writes: the Agg
    canvas's RGBA buffer, a (height, width, 4) memoryview, copied as an array."""

    pixels: Any = None

    def write(self, data: Any) -> int:
        import numpy as np

        self.pixels = np.array(data, dtype=np.uint8, copy=True)
        return self.pixels.nbytes

    def seek(self, offset: int, whence: int = 0) -> int:  # a file handle, for matplotlib
        return 0


def _encode_png(pixels: Any, dpi: int) -> bytes:
    """``pixels`` (height x width x RGBA, uint8) as PNG bytes (:func:`.png.encode_png`) with
    the resolution ``dpi`` recorded and matplotlib named as the software, as matplotlib's
    own PNGs are: RGB when every pixel is opaque, else RGBA."""
    import matplotlib

    from .png import encode_png

    software = f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    return encode_png(pixels, dpi, software)


def wrapped(text: str, width: int = 20) -> str:
    """``text`` broken at spaces into lines of at most ``width`` characters (a longer word
    keeps its own line; existing line breaks are kept): arm names and notes as real data
    name them ("lenalidomide 10 mg days 1-21 of 28") fit a figure's labels, legends and
    panels instead of running into each other or squeezing the axes away. Text within
    ``width`` is returned as it is."""
    import textwrap

    text = str(text)
    if all(len(line) <= width for line in text.split("\n")):
        return text
    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) or line
        for line in text.split("\n")
    )


#: above this many points a curve is thinned to the first and last point of each of
#: :data:`CURVE_BINS` equal slices of its time axis (finer than the drawn figure's pixels)
POINTS_MAX = 4000
CURVE_BINS = 2000


def thinned(time, *curves, bins: int = CURVE_BINS):
    """``time`` and ``curves`` (sequences of one length) at the points a drawing of them
    can show: all of them up to :data:`POINTS_MAX` points, else the first and last point
    of each of ``bins`` equal slices of the time range. A step or monotone curve so
    thinned differs from the full one only inside a slice (1/2000 of the axis, below a
    pixel), and a 10^6-patient curve is drawn from ~4,000 points instead of 10^6."""
    import numpy as np

    if len(time) <= POINTS_MAX:
        return (time, *curves)
    t = np.asarray(time, dtype=float)
    low, high = float(np.nanmin(t)), float(np.nanmax(t))
    if not high > low:
        return (time, *curves)
    slot = np.minimum(((t - low) / (high - low) * bins).astype(np.int64), bins - 1)
    change = np.flatnonzero(np.diff(slot) != 0)
    keep = np.unique(np.concatenate([[0, len(t) - 1], change, change + 1]))
    return (t[keep], *(np.asarray(c)[keep] for c in curves))
