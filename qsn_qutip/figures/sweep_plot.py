"""The picture of a model sweep (``qsn sweep ... --plot FILE``): every probe's bound against
the first varied key, log scale; probes without a finite bound at a point are left out there.
Not part of the gallery: it draws a :class:`~qsn_qutip.sweep.SweepResult`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..sweep import SweepResult
from .style import new_axes, styled

__all__ = ["plot"]


@styled
def plot(result: SweepResult, probes: list[str], fig_ax: tuple[Figure, object] | None = None,
         title: str | None = None) -> tuple[Figure, object]:
    """One line per probe: bound against ``result.axes[0]`` (other axes: one line each)."""
    fig, ax = new_axes(fig_ax)
    x_name, others = result.axes[0], result.axes[1:]
    groups: dict[tuple, list[dict]] = {}
    for row in result:
        groups.setdefault(tuple(row[a] for a in others), []).append(row)
    for label, rows in groups.items():
        suffix = ", ".join(f"{a}={v}" for a, v in zip(others, label))
        for probe in probes:
            points = [(row[x_name], row.get(probe)) for row in rows
                      if isinstance(row.get(probe), (int, float)) and np.isfinite(row[probe])]
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, marker="o", ms=4,
                        label=probe + (f" ({suffix})" if suffix else ""))
    ax.set_yscale("log")
    ax.set_xlabel(x_name)
    ax.set_ylabel("quantum Cramér-Rao bound")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig, ax
