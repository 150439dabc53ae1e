r"""The look of every figure: rc parameters, axes, log ticks, colours.

Nothing here sets global matplotlib state: :func:`styled` wraps a plot function in
:func:`matplotlib.rc_context` (the scqubits pattern), and figures are plain
:class:`matplotlib.figure.Figure` objects on an Agg canvas (no pyplot, no figure manager).

Examples
--------
>>> @styled
... def plot(data, fig_ax=None):
...     fig, ax = new_axes(fig_ax)
...     ax.plot(data, color=COLOURS["entangled"])
...     return fig, ax
>>> fig, ax = plot([1.0, 2.0])
>>> ax.lines[0].get_color()
'C3'
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter

from ..errors import QSNError

__all__ = ["STYLE", "COLOURS", "KIND_COLOURS", "styled", "new_axes", "plain_log_ticks",
           "PlainLogFormatter"]

#: rc parameters of every figure (applied with :func:`matplotlib.rc_context`, never globally)
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
}

#: colour of the role a probe plays, the same in every figure: sensor-entangled (red),
#: sensor-separable (blue), product / standard quantum limit (green), mixed probes (orange),
#: reference strategies (grey)
COLOURS: dict[str, str] = {"entangled": "C3", "separable": "C0", "product": "C2",
                           "mixed": "C1", "reference": "tab:gray"}

#: colour of each sensor kind (``Sensor.kind``) in network drawings
KIND_COLOURS: dict[str, str] = {"qubits": "C0", "mode": "C1", "atom": "C2", "ancilla": "0.7"}

F = TypeVar("F", bound=Callable[..., Any])


def styled(func: F) -> F:
    """Decorator: run a plot function inside ``matplotlib.rc_context(STYLE)``.

    Parameters
    ----------
    func : callable
        A function that creates artists.

    Returns
    -------
    callable
        The same function; the style applies only while it runs.
    """
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context(STYLE):
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def new_axes(fig_ax: tuple[Figure, Any] | None = None, ncols: int = 1,
             figsize: tuple[float, float] | None = None) -> tuple[Figure, Any]:
    """The ``(fig, ax)`` a plot draws on: the caller's, or a new Agg figure.

    Parameters
    ----------
    fig_ax : (Figure, Axes) or (Figure, sequence of Axes), optional
        Where to draw.  One Axes for ``ncols = 1``, otherwise ``ncols`` Axes.
    ncols : int
        Number of panels side by side.
    figsize : (float, float), optional
        Size in inches of a new figure.

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
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=True)
    return fig, axes


class PlainLogFormatter(LogFormatter):
    """:class:`~matplotlib.ticker.LogFormatter` that writes ``0.1`` and ``3``, not ``1e-01``."""

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        return f"{x:g}"


def plain_log_ticks(ax: Axes) -> None:
    """Label the log axes of ``ax`` with plain numbers (``3``, ``0.5``), minor ticks too.

    Minor ticks are labelled only when the axis spans little more than a decade.
    """
    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_scale() == "log":
            axis.set_major_formatter(PlainLogFormatter(labelOnlyBase=False))
            axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False,
                                                       minor_thresholds=(1.2, 0.6)))
