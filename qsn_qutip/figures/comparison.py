"""The picture of one comparison (``qsn run MODEL --plot FILE``): the bound of every probe.

A dot per probe on a log scale, entangled probes, sensor-separable ones and the
time-shared reference each in their colour (hollow when the probe is not ranked under the
comparison's resource constraint, with "(not ranked)" after its name), the best separable
bound as a dashed line, the limit no probe beats as a dotted one.  Probes without a dot are
listed under the axes, each with what it is: "n/a" (the probe does not apply to this network
or task, with the reason) or "not estimable" (its QFIM misses the task's direction: an
infinite bound).  Not part of the gallery: it draws a
:class:`~qsn_qutip.report.Comparison` the user computed.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..report import REFERENCES, Comparison
from .style import COLOURS as ROLE_COLOURS
from .style import is_paper, new_axes, plain_log_ticks, styled

__all__ = ["plot"]

#: the colour of each kind of probe (the gallery's, :data:`.style.COLOURS`)
COLOURS = {kind: ROLE_COLOURS[kind] for kind in ("entangled", "separable", "reference")}
LABELS = {"entangled": "sensor-entangled", "separable": "sensor-separable",
          "reference": "separable reference (time-shared)"}


@styled
def plot(comparison: Comparison, fig_ax: tuple[Figure, object] | None = None,
         title: str | None = None) -> tuple[Figure, object]:
    """Dot chart of the bounds in ``comparison`` (log scale); returns ``(fig, ax)``."""
    fig, ax = new_axes(fig_ax, figsize=(5.6, 4.6))
    paper = is_paper()
    names, bounds, colours, ranked = [], [], [], []
    not_applicable, not_estimable = [], []
    for probe in comparison.probes:
        if probe.bound is None:
            not_applicable.append(probe.name)
            continue
        if not np.isfinite(probe.bound):
            not_estimable.append(probe.name)
            continue
        names.append(probe.name if probe.ranked else f"{probe.name} (not ranked)")
        bounds.append(probe.bound)
        ranked.append(probe.ranked)
        colours.append(COLOURS["reference" if probe.name in REFERENCES else
                               "separable" if probe.separable else "entangled"])
    y = np.arange(len(names))
    if names:
        ax.hlines(y, min(bounds) / 2, bounds, colors=colours, lw=1.2 if paper else 2)
        ax.scatter(bounds, y, c=[c if r else "white" for c, r in zip(colours, ranked)],
                   edgecolors=colours, linewidths=1.0 if paper else 1.5,
                   s=20 if paper else 60, zorder=3)
        for yy, bound in zip(y, bounds):
            ax.annotate(f"{bound:.4g}", (bound, yy), xytext=(4, 4),
                        textcoords="offset points", fontsize=None if paper else 8)
        ax.set_xscale("log")
        floor = min(bounds + ([comparison.limit] if comparison.limit is not None
                              and np.isfinite(comparison.limit) else []))
        ax.set_xlim(floor / 2, max(bounds) * 3)
        plain_log_ticks(ax)
        ax.set_yticks(y, names)
        ax.set_ylim(len(names) - 0.5, -0.5)
    handles = [Patch(color=COLOURS[kind], label=LABELS[kind]) for kind in COLOURS
               if COLOURS[kind] in colours]
    best_sep = comparison.verdict.best_separable
    if best_sep is not None and np.isfinite(comparison[best_sep].bound):
        handles.append(ax.axvline(comparison[best_sep].bound, color="k", ls="--", lw=1,
                                  label=f"best separable ({best_sep})"))
    if comparison.limit is not None and np.isfinite(comparison.limit):
        handles.append(ax.axvline(comparison.limit, color="k", ls=":", lw=1,
                                  label=f"limit ({comparison.resources} resources)"))
    what = "Var(θ)" if comparison.v is not None else "Tr(W Cov)"
    footnote = [f"{label}: {', '.join(names)}" for label, names in (
        ("n/a (see the table's notes)", not_applicable),
        ("not estimable (∞)", not_estimable)) if names]
    # the footnote under the axis label and the legend under the axes: the layout makes room
    ax.set_xlabel("\n".join([f"QCRB on {what} (μ = {comparison.repeats})" if paper else
                             f"quantum Cramér-Rao bound on {what} (μ = {comparison.repeats})",
                             *(textwrap.fill(line, 48 if paper else 70) for line in footnote)]))
    fig.legend(handles=handles, loc="outside lower center", ncols=1 if paper else 2)
    ax.set_title(title or comparison.task)
    return fig, ax
