r"""The entanglement gain for a linear function, over all directions v of three parameters.

For :math:`\theta = v^T\phi` the GHZ-like state of Eq. (1) reaches
:math:`\|v\|_1^2/(\kappa^2N^2)` and the best sensor-separable state
:math:`\|v\|_{2/3}^2/(\kappa^2N^2)`, so their ratio — the gain from entangling the sensors —
is :math:`g(v) = \|v\|_1^2/\|v\|_{2/3}^2 \in [1/d, 1]`.  The map shows g over the simplex of
directions :math:`p = |v|/\|v\|_1` for d = 3 (a ternary plot; g is scale invariant): 1 at the
corners (one parameter: entanglement cannot help), 1/2 at the edge midpoints, the minimum 1/3
at the centre (the average of all three).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.tri import Triangulation

from ..errors import QSNError
from .._checks import as_positive_int, as_real_vector
from .output import write_csv
from .style import is_paper, new_axes, styled

__all__ = ["GainMapData", "gain", "compute", "to_csv", "plot"]

#: the corners of the simplex in the plane: e1, e2, e3
CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])


@dataclasses.dataclass(frozen=True)
class GainMapData:
    """The gain on a barycentric grid of the d = 3 simplex.

    Attributes
    ----------
    p : numpy.ndarray
        Shape (m, 3): the directions :math:`|v|/\\|v\\|_1` (rows sum to 1).
    x, y : numpy.ndarray
        Their positions in the plane (corners :data:`CORNERS`).
    gain : numpy.ndarray
        :math:`\\|v\\|_1^2/\\|v\\|_{2/3}^2` at each point.
    """

    p: np.ndarray
    x: np.ndarray
    y: np.ndarray
    gain: np.ndarray


def gain(v: Sequence[float]) -> float:
    r"""The GHZ-over-separable ratio :math:`\|v\|_1^2/\|v\|_{2/3}^2` of a function vector v.

    Parameters
    ----------
    v : sequence of float
        Not all zero; only :math:`|v|` matters and the ratio is scale invariant.

    Returns
    -------
    float
        In :math:`[1/d', 1]` with d' the number of non-zero entries.

    Examples
    --------
    >>> [round(gain(v), 12) for v in ([1, 1, 1], [0, 2, 0], [1, 1, 0])]
    [0.333333333333, 1.0, 0.5]
    """
    a = np.abs(as_real_vector(v, "v"))
    if not np.any(a):
        raise QSNError("v must have a non-zero entry")
    return float(np.sum(a) ** 2 / np.sum(a ** (2 / 3)) ** 3)


def compute(resolution: int = 60) -> GainMapData:
    """The gain at every point :math:`(i, j, k)/n` with :math:`i + j + k = n` = ``resolution``.

    Parameters
    ----------
    resolution : int
        Subdivisions of each edge (the centre is on the grid when it is a multiple of 3).

    Returns
    -------
    GainMapData

    Examples
    --------
    >>> data = compute(resolution=3)
    >>> round(float(data.gain.min()), 12), float(data.gain.max())
    (0.333333333333, 1.0)
    """
    n = as_positive_int(resolution, "resolution")
    p = np.array([(i, j, n - i - j) for i in range(n + 1) for j in range(n + 1 - i)],
                 dtype=float) / n
    xy = p @ CORNERS
    return GainMapData(p, xy[:, 0], xy[:, 1], np.array([gain(row) for row in p]))


def to_csv(data: GainMapData, path: str | os.PathLike) -> None:
    """Write one row per grid point.

    Parameters
    ----------
    data : GainMapData
    path : path-like
    """
    write_csv(path, {"p1": data.p[:, 0], "p2": data.p[:, 1], "p3": data.p[:, 2],
                     "x": data.x, "y": data.y, "gain": data.gain},
              comments=["gain-map: ||v||_1^2/||v||_(2/3)^2 over the directions p = |v|/||v||_1 "
                        "of d = 3 parameters (GHZ-like bound / best separable bound)",
                        "minimum 1/3 at p = (1,1,1)/3, 1 at the corners, 1/2 at edge midpoints"])


@styled
def plot(data: GainMapData,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, object]:
    """Ternary colour map of the gain with contour lines and a colour bar.

    Parameters
    ----------
    data : GainMapData
    fig_ax : (Figure, Axes), optional

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = new_axes(fig_ax, figsize=(6.4, 5.2))
    paper = is_paper()
    ax.grid(False)
    tri = Triangulation(data.x, data.y)
    levels = np.linspace(1 / 3, 1.0, 41)
    filled = ax.tricontourf(tri, data.gain, levels=levels, cmap="viridis")
    lines = ax.tricontour(tri, data.gain, levels=[0.4, 0.5, 0.6, 0.8],
                          colors="white", linewidths=0.7, alpha=0.8)
    ax.clabel(lines, levels=[0.4], fmt="%.1f", fontsize=6 if paper else 7.5)
    outline = np.vstack([CORNERS, CORNERS[:1]])
    ax.plot(outline[:, 0], outline[:, 1], "k-", lw=1)
    centre = CORNERS.mean(axis=0)
    k = 0.6 if paper else 1.0
    ax.plot(*centre, marker="*", ms=13 * k, color="C3", mec="k", ls="none",
            label=r"average $v\propto(1,1,1)$: minimum 1/3")
    mids = (CORNERS + np.roll(CORNERS, -1, axis=0)) / 2
    ax.plot(mids[:, 0], mids[:, 1], "o", ms=6 * k, color="white", mec="k", ls="none",
            label=r"two equal parameters: 1/2" if paper else
            r"two equal parameters, e.g. gradient: 1/2")
    ax.plot(CORNERS[:, 0], CORNERS[:, 1], "s", ms=6 * k, color="yellow", mec="k", ls="none",
            clip_on=False, label="one parameter: 1 (no gain)")
    offsets = [(-0.04, -0.05, "right"), (1.04, -0.05, "left"), (0.5, 0.9, "center")]
    for k, (x, y, ha) in enumerate(offsets):
        ax.text(x, y, f"$v \\propto e_{k + 1}$", ha=ha, va="bottom" if k == 2 else "top",
                fontsize=None if paper else 10)
    cbar = fig.colorbar(filled, ax=ax, shrink=0.75, ticks=[1 / 3, 0.5, 2 / 3, 5 / 6, 1])
    cbar.ax.set_yticklabels(["1/3", "1/2", "2/3", "5/6", "1"])
    cbar.set_label(r"gain $\|v\|_1^2\,/\,\|v\|_{2/3}^2$"
                   + ("" if paper else "  (GHZ-like / best separable)"))
    ax.set_aspect("equal")
    ax.set_xlim(-0.2, 1.2)
    ax.set_ylim(-0.17, 0.98)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("" if paper else
                  r"barycentric coordinates $p_k = |v_k|\,/\,\|v\|_1$ of the direction v;"
                  "\n white contours: gain 0.4, 0.5, 0.6, 0.8")
    ax.set_title("Entanglement gain for $\\theta = v^T\\phi$, d = 3 sensors\n"
                 "GHZ-like bound / best sensor-separable bound")
    fig.legend(loc="outside lower center", ncols=1 if paper else 2,
               fontsize=None if paper else 7.8)
    return fig, ax
