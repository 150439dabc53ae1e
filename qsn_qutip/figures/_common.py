r"""Helpers shared by every figure module: style, axes, random probes, atomic CSV and image writes.

Nothing here sets global matplotlib state: :func:`styled` wraps a plot function in
:func:`matplotlib.rc_context` (the scqubits pattern), figures are plain
:class:`matplotlib.figure.Figure` objects on an Agg canvas (no pyplot, no figure manager),
and every file is written to a temporary file in the target directory and moved into place
with :func:`os.replace`, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import functools
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import matplotlib
import numpy as np
import qutip
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter

from ..errors import QSNError
from .._io import atomic_path
from ..estimation.bounds import qcrb
from ..estimation.qfim import qfim
from ..network import Network

__all__ = ["STYLE", "FORMATS", "styled", "new_axes", "write_csv", "save_figure",
           "atomic_path", "random_probes", "probe_qcrb", "diagonal_scatter", "plain_log_ticks",
           "param_label"]

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

#: image formats :func:`save_figure` writes
FORMATS = ("png", "pdf", "svg")

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

    Examples
    --------
    >>> @styled
    ... def plot(data, fig_ax=None):
    ...     return new_axes(fig_ax)
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


def _cell(value: Any) -> str:
    """One CSV cell: shortest round-trip repr for floats, ``nan`` / ``inf`` spelled out."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return "nan" if math.isnan(value) else repr(value)
    return "" if value is None else str(value)


def write_csv(path: str | os.PathLike, columns: Mapping[str, Sequence[Any]], *,
              comments: Sequence[str] = ()) -> Path:
    """Write equal-length columns as a CSV file, atomically.

    ``#`` comment lines (what the figure shows, closed forms) come first, then one header row.

    Parameters
    ----------
    path : path-like
    columns : mapping of str to sequence
        Column name -> values, all of the same length.
    comments : sequence of str
        Lines written first, each prefixed with ``"# "``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_csv(out, {"N": [2, 4], "bound": [0.5, float("inf")]})
    >>> out.read_text().splitlines()
    ['N,bound', '2,0.5', '4,inf']
    """
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise QSNError(f"CSV columns must have equal lengths, got {lengths}")
    rows = zip(*columns.values())
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            for line in comments:
                handle.write(f"# {line}\n")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(list(columns))
            writer.writerows([_cell(x) for x in row] for row in rows)
    return Path(path)


def save_figure(fig: Figure, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Save ``fig`` atomically (temporary file in the same directory + :func:`os.replace`).

    Parameters
    ----------
    fig : Figure
    path : path-like
    fmt : {"png", "pdf", "svg"}, optional
        Default: the suffix of ``path``.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise QSNError(f"format must be one of {list(FORMATS)}, got {fmt!r}")
    with matplotlib.rc_context(STYLE), atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=STYLE["savefig.dpi"],
                    metadata={"Software": "qsn_qutip"} if fmt == "png" else None)
    return path


def _sparse_ket(network: Network, seed: int) -> qutip.Qobj:
    """A random ket whose support is a random fraction (0.3 to 1) of the network's basis."""
    density = np.random.default_rng(seed).uniform(0.3, 1.0)
    return qutip.rand_ket(network.ket_dims, density=density, distribution="fill", seed=seed)


def random_probes(network: Network, count: int, seed: int,
                  mixed_every: int = 3) -> Iterator[tuple[qutip.Qobj, bool]]:
    """Seeded random probes on ``network``, generally entangled between the sensors.

    Probe k is a random ket (:func:`qutip.rand_ket`, ``distribution="fill"``) supported on a
    random fraction between 0.3 and 1 of the basis, so that the probes range from nearly
    Haar-typical to far from it; every ``mixed_every``-th probe is instead a mixture of three
    such kets with Dirichlet weights (rank 3).

    Parameters
    ----------
    network : Network
    count : int
        Number of probes.
    seed : int
        Probe k uses seed ``seed + k`` (its mixture components ``1000 (seed + k) + j``).
    mixed_every : int
        Every ``mixed_every``-th probe (k = 0, mixed_every, ...) is mixed; 0 for kets only.

    Yields
    ------
    (Qobj, bool)
        The probe and whether it is mixed.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> probes = list(random_probes(Network([QubitEnsemble(1)] * 2), 2, seed=0))
    >>> [(p.type, mixed) for p, mixed in probes]
    [('oper', True), ('ket', False)]
    """
    for k in range(count):
        s = seed + k
        if mixed_every and k % mixed_every == 0:
            weights = np.random.default_rng(s).dirichlet(np.ones(3))
            kets = [_sparse_ket(network, 1000 * s + j) for j in range(3)]
            yield sum(w * ket.proj() for w, ket in zip(weights, kets)), True
        else:
            yield _sparse_ket(network, s), False


def probe_qcrb(state: qutip.Qobj, network: Network) -> float:
    r"""The QCRB :math:`\mathrm{Tr}(F^{-1})` (W = 1, one repeat) of ``state`` on ``network``."""
    return qcrb(qfim(state, network.local_generators))


def diagonal_scatter(ax: Axes, x: np.ndarray, y: np.ndarray, mixed: np.ndarray, *,
                     y_label: str, x_label: str = r"QCRB of the probe  Tr$(F^{-1})$  [rad$^2$]",
                     title: str | None = None, color: str = "C0",
                     extra: Sequence[tuple[np.ndarray, np.ndarray, dict]] = ()) -> None:
    """Log-log scatter of ``y`` against ``x`` with the line y = x and the forbidden half shaded.

    Pairs with an infinite bound (a probe that cannot estimate every parameter) are left out
    and counted in the legend.

    Parameters
    ----------
    ax : Axes
    x, y : numpy.ndarray
        The bounds of the input probes and of their counterparts.
    mixed : numpy.ndarray of bool
        Which input probes are density matrices (drawn as squares).
    y_label, x_label : str
    title : str, optional
        Legend title (e.g. the network).
    color : str
    extra : sequence of (x, y, scatter keyword arguments)
        More pairs of the same kind (e.g. another bound), drawn on top and inside the limits.
    """
    finite = np.isfinite(x) & np.isfinite(y)
    if not np.any(finite):
        raise QSNError("no probe has a finite bound to plot")
    omitted = int(np.sum(~finite))
    x, y, mixed = x[finite], y[finite], mixed[finite]
    values = np.concatenate([x, y] + [np.concatenate([ex, ey]) for ex, ey, _ in extra])
    values = values[np.isfinite(values)]
    lo, hi = values.min() / 1.3, values.max() * 1.3
    line = np.array([lo, hi])
    ax.fill_between(line, line, hi, color="0.85", alpha=0.6, lw=0,
                    label="forbidden by the theorem (y > x)")
    ax.plot(line, line, "k-", lw=1, label="y = x")
    ax.scatter(x[~mixed], y[~mixed], s=22, color=color, edgecolor="k", lw=0.4,
               label=f"pure probes ({int(np.sum(~mixed))})", zorder=3)
    if np.any(mixed):
        ax.scatter(x[mixed], y[mixed], s=22, marker="s", color="C1", edgecolor="k", lw=0.4,
                   label=f"mixed probes, rank 3 ({int(np.sum(mixed))})", zorder=3)
    for ex, ey, style in extra:
        ax.scatter(ex, ey, zorder=4, **style)
    if omitted:
        ax.plot([], [], ls="none", label=f"{omitted} probe(s) not estimable (inf), omitted")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.legend(loc="upper left", title=title, title_fontsize=8.5, alignment="left")


class _PlainLogFormatter(LogFormatter):
    """:class:`~matplotlib.ticker.LogFormatter` that writes ``0.1`` and ``3``, not ``1e-01``."""

    def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
        return f"{x:g}"


def plain_log_ticks(ax: Axes) -> None:
    """Label the log axes of ``ax`` with plain numbers (``3``, ``0.5``), minor ticks too.

    Minor ticks are labelled only when the axis spans little more than a decade.
    """
    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_scale() == "log":
            axis.set_major_formatter(_PlainLogFormatter(labelOnlyBase=False))
            axis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False,
                                                        minor_thresholds=(1.2, 0.6)))


def param_label(indices: Sequence[int]) -> str:
    """The 1-based parameter names of a sensor: ``"φ1"``, ``"φ3, φ4"`` or ``"φ3–φ5"``.

    Examples
    --------
    >>> param_label([0]), param_label([2, 3]), param_label([2, 3, 4]), param_label([])
    ('φ1', 'φ3, φ4', 'φ3–φ5', 'no parameter')
    """
    names = [i + 1 for i in indices]
    if not names:
        return "no parameter"
    if len(names) > 2 and names == list(range(names[0], names[-1] + 1)):
        return f"φ{names[0]}–φ{names[-1]}"
    return ", ".join(f"φ{i}" for i in names)
