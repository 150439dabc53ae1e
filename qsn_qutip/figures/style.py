r"""The look of every figure: rc parameters, axes, log ticks, colours, and two styles.

``"gallery"`` (the default) is the README's look: wide figures, titles, explanations in the
axes.  ``"paper"`` is what a journal takes: a single column (3.4 in) or a double column (7 in)
wide, 8 pt text, no titles (the caption says it), panel labels (a), (b), the colour-blind-safe
palette of Okabe and Ito, and TrueType fonts embedded in vector PDF.  Every plot function
wrapped in :func:`styled` takes ``style=`` and ``width=`` keywords.

Nothing here sets global matplotlib state: :func:`styled` wraps a plot function in
:func:`matplotlib.rc_context` (the scqubits pattern) and in a context variable that
:func:`new_axes` and :func:`is_paper` read, and figures are plain
:class:`matplotlib.figure.Figure` objects on an Agg canvas (no pyplot, no figure manager).

Examples
--------
>>> @styled
... def plot(data, fig_ax=None):
...     fig, ax = new_axes(fig_ax)
...     ax.plot(data, color=COLOURS["entangled"])
...     ax.set_title("a gallery title")
...     return fig, ax
>>> fig, ax = plot([1.0, 2.0])
>>> ax.lines[0].get_color(), ax.get_title()            # "C3" of the style's colour cycle
('#d62728', 'a gallery title')
>>> fig, ax = plot([1.0, 2.0], style="paper")
>>> ax.get_title(), [round(float(x), 2) for x in fig.get_size_inches()]
('', [3.4, 2.55])
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import string
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import matplotlib
import matplotlib.colors
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, LogLocator, NullFormatter

from ..errors import QSNError

__all__ = ["STYLE", "PAPER_STYLE", "STYLES", "WIDTHS", "OKABE_ITO", "COLOURS", "KIND_COLOURS",
           "styled", "use_style", "is_paper", "new_axes", "plain_log_ticks",
           "PlainLogFormatter", "panel_labels"]

#: rc parameters of the gallery (applied with :func:`matplotlib.rc_context`, never globally)
STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "legend.framealpha": 0.9,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linestyle": ":",
    "lines.linewidth": 1.5,
    "lines.markersize": 6,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "mathtext.fontset": "dejavusans",
    "svg.hashsalt": "qsn_qutip",            # the same SVG ids on every run
}

#: the colour-blind-safe palette of Okabe and Ito (2008), ordered so that the role colours
#: "C0" (separable: blue), "C1" (mixed: orange), "C2" (product: bluish green) and "C3"
#: (entangled: vermillion) keep their meaning in both styles
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")

#: rc parameters of the paper style: 8 pt text (7 pt legends and ticks), thin lines, the
#: Okabe-Ito cycle, TrueType (Type 42) fonts in PDF and PostScript
PAPER_STYLE: dict[str, Any] = {
    **STYLE,
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7,
    "legend.framealpha": 0.85,
    "legend.borderpad": 0.3,
    "legend.handlelength": 1.6,
    "legend.labelspacing": 0.3,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "xtick.major.size": 3,
    "ytick.major.size": 3,
    "xtick.minor.size": 1.6,
    "ytick.minor.size": 1.6,
    "lines.linewidth": 1.0,
    "lines.markersize": 3.5,
    "lines.markeredgewidth": 0.5,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "figure.dpi": 150,
    "savefig.dpi": 600,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
}

#: style name -> rc parameters
STYLES: dict[str, dict[str, Any]] = {"gallery": STYLE, "paper": PAPER_STYLE}

#: journal column widths in inches (``width=`` of the paper style)
WIDTHS: dict[str, float] = {"single": 3.4, "double": 7.0}

#: colour of the role a probe plays, the same in every figure: sensor-entangled (red),
#: sensor-separable (blue), product / standard quantum limit (green), mixed probes (orange),
#: reference strategies (grey)
COLOURS: dict[str, str] = {"entangled": "C3", "separable": "C0", "product": "C2",
                           "mixed": "C1", "reference": "tab:gray"}

#: colour of each sensor kind (``Sensor.kind``) in network drawings
KIND_COLOURS: dict[str, str] = {"qubits": "C0", "mode": "C1", "atom": "C2", "ancilla": "0.7"}

F = TypeVar("F", bound=Callable[..., Any])

#: (style name, width) of the plot being drawn; read by :func:`new_axes` and :func:`is_paper`
_CURRENT: contextvars.ContextVar[tuple[str, str | None]] = contextvars.ContextVar(
    "qsn_figure_style", default=("gallery", None))


def _checked(style: str, width: str | None) -> tuple[str, str | None]:
    if style not in STYLES:
        raise QSNError(f"style must be one of {list(STYLES)}, got {style!r}")
    if width is not None and width not in WIDTHS:
        raise QSNError(f"width must be one of {list(WIDTHS)} (or None: by the number of "
                       f"panels), got {width!r}")
    return style, width


@contextlib.contextmanager
def use_style(style: str = "gallery", width: str | None = None) -> Iterator[None]:
    """A ``with`` block in which new figures take ``style`` (and, for ``"paper"``, ``width``).

    Parameters
    ----------
    style : {"gallery", "paper"}
    width : {"single", "double"}, optional
        The paper style's figure width (3.4 in or 7 in); default: single for one panel,
        double for two or more.

    Raises
    ------
    QSNError
        For another style or width.
    """
    token = _CURRENT.set(_checked(style, width))
    try:
        with matplotlib.rc_context(STYLES[style]):
            yield
    finally:
        _CURRENT.reset(token)


def is_paper() -> bool:
    """True while a plot is drawn in the paper style (shorter legends, no sentences)."""
    return _CURRENT.get()[0] == "paper"


def styled(func: F) -> F:
    """Decorator: run a plot function inside :func:`use_style` and finish it for its style.

    The wrapped function takes two more keywords, ``style`` (``"gallery"``, default, or
    ``"paper"``) and ``width`` (``"single"`` / ``"double"``, paper style only).  In the paper
    style the titles are removed and several panels get the labels (a), (b), ...

    Parameters
    ----------
    func : callable
        A function that creates artists and returns ``(fig, ax)``.

    Returns
    -------
    callable
        The same function; the style applies only while it runs.
    """
    @functools.wraps(func)
    def wrapper(*args: Any, style: str = "gallery", width: str | None = None,
                **kwargs: Any) -> Any:
        with use_style(style, width):
            out = func(*args, **kwargs)
            if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], Figure):
                _freeze_colours(out[0])
                if style == "paper":
                    _paper_finish(*out)
        return out
    return wrapper  # type: ignore[return-value]


_CYCLE_COLOUR = re.compile(r"C\d+")


def _freeze_colours(fig: Figure) -> None:
    """Resolve the cycle colours ``"C0"``... of lines and texts while the style is in force.

    Matplotlib resolves them when the figure is drawn, so a paper-style figure saved outside
    the style (``fig.savefig``) would otherwise take the default cycle's colours.
    """
    pairs = (("get_color", "set_color"), ("get_markerfacecolor", "set_markerfacecolor"),
             ("get_markeredgecolor", "set_markeredgecolor"))
    for artist in fig.findobj():
        for getter, setter in pairs:
            if hasattr(artist, getter) and hasattr(artist, setter):
                value = getattr(artist, getter)()
                if isinstance(value, str) and _CYCLE_COLOUR.fullmatch(value):
                    getattr(artist, setter)(matplotlib.colors.to_hex(value))


def _paper_finish(fig: Figure, ax: Any) -> None:
    """No titles (the caption says it); panel labels when there are several panels."""
    axes = [ax] if isinstance(ax, Axes) else list(np.ravel(ax))
    for a in axes:
        a.set_title("")
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if suptitle:
        fig.suptitle("").set_in_layout(False)
    if len(axes) > 1:
        panel_labels(axes)


def panel_labels(axes: Any) -> None:
    """Label the panels ``(a)``, ``(b)``, ... at the top left, outside the data.

    Examples
    --------
    >>> fig, axes = new_axes(ncols=2)
    >>> panel_labels(axes)
    >>> [a.get_title(loc="left") for a in axes]
    ['(a)', '(b)']
    """
    for letter, a in zip(string.ascii_lowercase, np.ravel(axes)):
        a.set_title(f"({letter})", loc="left", fontweight="bold",
                    fontsize=matplotlib.rcParams["font.size"] + 1, pad=3)


def new_axes(fig_ax: tuple[Figure, Any] | None = None, ncols: int = 1,
             figsize: tuple[float, float] | None = None) -> tuple[Figure, Any]:
    """The ``(fig, ax)`` a plot draws on: the caller's, or a new Agg figure.

    In the paper style a new figure is a column wide (3.4 in for one panel, 7 in for more,
    or the ``width`` asked for) with the aspect ratio of ``figsize``.

    Parameters
    ----------
    fig_ax : (Figure, Axes) or (Figure, sequence of Axes), optional
        Where to draw.  One Axes for ``ncols = 1``, otherwise ``ncols`` Axes.
    ncols : int
        Number of panels side by side.
    figsize : (float, float), optional
        Size in inches of a new gallery figure (its aspect ratio in the paper style).

    Returns
    -------
    (Figure, Axes) or (Figure, numpy.ndarray of Axes)

    Raises
    ------
    QSNError
        When ``fig_ax`` is not a figure with the right number of axes.

    Examples
    --------
    >>> fig, axes = new_axes(ncols=2)
    >>> len(axes), new_axes((fig, axes), ncols=2)[0] is fig
    (2, True)
    """
    if fig_ax is not None:
        try:
            fig, ax = fig_ax
        except (TypeError, ValueError):
            raise QSNError("fig_ax must be a (figure, axes) pair") from None
        axes = [ax] if isinstance(ax, Axes) else list(np.ravel(ax))
        if not isinstance(fig, Figure) or len(axes) != ncols or not all(
                isinstance(a, Axes) for a in axes):
            raise QSNError(f"fig_ax must be (Figure, {'Axes' if ncols == 1 else f'{ncols} Axes'})"
                           f", got ({type(fig).__name__}, {type(ax).__name__})")
        return fig, (axes[0] if ncols == 1 else np.array(axes, dtype=object))
    if figsize is None:
        figsize = (5.6, 4.2) if ncols == 1 else (5.0 * ncols, 4.2)
    style, width = _CURRENT.get()
    if style == "paper":
        inches = WIDTHS[width or ("single" if ncols == 1 else "double")]
        figsize = (inches, inches * figsize[1] / figsize[0])
    fig = Figure(figsize=figsize, layout="constrained")
    if style == "paper":
        fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02, wspace=0.04, hspace=0.04)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=True)
    return fig, axes


class PlainLogFormatter(Formatter):
    """Tick labels of a log axis as plain numbers: ``0.1`` and ``3``, not ``1e-01``.

    Examples
    --------
    >>> [PlainLogFormatter()(x) for x in (0.05, 3.0, 1e4)]
    ['0.05', '3', '10000']
    """

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{x:g}"


def plain_log_ticks(ax: Axes) -> None:
    """Label the log axes of ``ax`` with plain numbers (``3``, ``0.5``), densely enough.

    Call it after the limits are set.  An axis spanning up to about three decades gets labels at
    1, 2 and 5 times each power of ten (a short one at every integer multiple), so that no
    axis carries only one or two numbers; a longer one (over three decades) at the powers of
    ten.

    Examples
    --------
    >>> fig, ax = new_axes()
    >>> ax.set_yscale("log"); ax.set_ylim(0.03, 0.6)
    (0.03, 0.6)
    >>> plain_log_ticks(ax); fig.canvas.draw()
    >>> [t.get_text() for t in ax.get_yticklabels() if 0.03 <= t.get_position()[1] <= 0.6]
    ['0.05', '0.1', '0.2', '0.5']
    """
    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        if axis.get_scale() != "log":
            continue
        low, high = sorted(limits)
        decades = np.log10(high / low) if low > 0 else np.inf
        if decades <= 0.8:
            subs: tuple[float, ...] = tuple(range(1, 10))
        elif decades <= 3.2:
            subs = (1.0, 2.0, 5.0)
        else:
            subs = (1.0,)
        axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=30))
        axis.set_major_formatter(PlainLogFormatter())
        axis.set_minor_locator(LogLocator(base=10, subs=tuple(range(1, 10)), numticks=30))
        axis.set_minor_formatter(NullFormatter())
