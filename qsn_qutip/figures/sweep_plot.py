"""The picture of a model sweep (``qsn sweep ... --plot FILE``, ``SweepResult.plot()``): every
probe's bound against the first varied key, log scale.

Every probe has its own marker (hollow, of decreasing size, so that probes with equal bounds
stay visible one inside the other) at every point where its bound is finite; an integer axis
gets integer ticks; the y label says what is bounded and for which number of repeats; the
legend sits under the axes, off the data.  Not part of the gallery: it draws a
:class:`~qsn_qutip.sweep.SweepResult`.
"""

from __future__ import annotations

import numbers

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..sweep import SweepResult
from .style import is_paper, new_axes, plain_log_ticks, styled

__all__ = ["plot", "MARKERS", "probe_columns"]

#: one marker per probe, in the order the probes are listed
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")

#: columns of a sweep row that are not a probe's bound
_NOT_PROBES = {"best", "ratio", "resources", "notes", "error"}


def probe_columns(result: SweepResult) -> list[str]:
    """The probes' bound columns of a sweep of comparisons (not the axes, ``best``, ``ratio``,
    ``notes`` or the ``t*`` / ``Var*T`` columns of a noisy model)."""
    return [c for c in result.columns if c not in result.axes and c not in _NOT_PROBES
            and ":" not in c]


@styled
def plot(result: SweepResult, probes: list[str] | None = None,
         fig_ax: tuple[Figure, object] | None = None, title: str | None = None,
         quantity: str | None = None, repeats: int | None = None) -> tuple[Figure, object]:
    """One line per probe: bound against ``result.axes[0]`` (other axes: one line each).

    Parameters
    ----------
    result : SweepResult
    probes : list of str, optional
        The columns to draw (default :func:`probe_columns`).
    fig_ax : (Figure, Axes), optional
    title : str, optional
    quantity : str, optional
        What is bounded, e.g. ``"Var(θ)"`` or ``"Tr(W Cov)"`` (default "the task's figure of
        merit").
    repeats : int, optional
        :math:`\\mu` the bounds are divided by (said in the y label; omitted when ``repeats``
        is a varied axis).

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = new_axes(fig_ax, figsize=(6.0, 4.8))
    paper = is_paper()
    probes = probe_columns(result) if probes is None else list(probes)
    x_name, others = result.axes[0], result.axes[1:]
    groups: dict[tuple, list[dict]] = {}
    for row in result:
        groups.setdefault(tuple(row[a] for a in others), []).append(row)
    base = 4.5 if paper else 8.0
    count = 0
    for g, (label, rows) in enumerate(groups.items()):
        suffix = ", ".join(f"{a}={v}" for a, v in zip(others, label))
        for k, probe in enumerate(probes):
            points = [(row[x_name], row.get(probe)) for row in rows
                      if isinstance(row.get(probe), (int, float)) and np.isfinite(row[probe])]
            if not points:
                continue
            xs, ys = zip(*points)
            size = base * (1 - 0.5 * k / max(1, len(probes) - 1))
            ax.plot(xs, ys, marker=MARKERS[k % len(MARKERS)], ms=size, mfc="none",
                    mew=1.0 if paper else 1.3, lw=0.8, ls=("-", "--", ":", "-.")[g % 4],
                    color=f"C{k % 10}", label=probe + (f" ({suffix})" if suffix else ""))
            count += 1
    ax.set_yscale("log")
    plain_log_ticks(ax)
    xs_all = [row[x_name] for row in result]
    if xs_all and all(isinstance(x, numbers.Integral) for x in xs_all):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(x_name)
    what = quantity or "the task's figure of merit"
    mu = "" if repeats is None or "repeats" in result.axes else f", μ = {repeats}"
    ax.set_ylabel(f"quantum Cramér-Rao bound on {what}{mu}")
    if count:
        fig.legend(loc="outside lower center", ncols=min(3, count),
                   fontsize=None if paper else 8)
    if title:
        ax.set_title(title)
    return fig, ax
