r"""Estimating the average of d parameters: sensor entanglement gains a factor 1/d.

:math:`\theta = v^T\phi` with :math:`v = (1,\dots,1)/\sqrt d` (:math:`\|v\|_2 = 1`) on d qubit
ensembles with N qubits in total, for d = 2, 3, 4.  Plotted is :math:`N^2\,\mathrm{Var}(\theta)`
(one repeat) against N:

* the GHZ-like state of Eq. (1) (N/d qubits per sensor, N a multiple of d), QFIM computed
  numerically: :math:`\|v\|_1^2 = d`;
* the best sensor-separable state with an integer allocation
  (:func:`~qsn_qutip.best_separable_allocation`, local GHZ states, computed numerically):
  :math:`\geq \|v\|_{2/3}^2 = d^2`, equal when d divides N;
* the continuous separable bound :func:`~qsn_qutip.separable_bound` (solid line) and the
  time-shared reference, equal to :func:`~qsn_qutip.ghz_bound` (dashed line).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import states
from ..errors import QSNError
from .._checks import as_positive_int
from ..estimation.bounds import best_separable_allocation, function_bound, ghz_bound, separable_bound
from ..estimation.qfim import qfim
from ..network import Network
from ..sensors import QubitEnsemble
from .output import write_csv
from .style import is_paper, new_axes, styled

__all__ = ["GlobalFunctionsData", "compute", "to_csv", "plot", "average_vector"]

#: legend text of each curve (the paper style's: :data:`SHORT_LABELS`)
SHORT_LABELS = {"separable_bound": r"separable bound $d^2$",
                "ghz_bound": r"time-shared reference $d$",
                "separable": "best separable, integer allocation",
                "ghz": "GHZ-like state, Eq. (1)"}
LABELS = {"separable_bound": r"separable bound $\|v\|_{2/3}^2 = d^2$ (continuous allocation)",
          "ghz_bound": r"time-shared reference $= \|v\|_1^2 = d$",
          "separable": "best separable state, integer allocation (numerical)",
          "ghz": "GHZ-like state, Eq. (1) (numerical)"}


@dataclasses.dataclass(frozen=True)
class GlobalFunctionsData:
    """Variances of the average for every (d, N), one row each.

    Attributes
    ----------
    d, N : numpy.ndarray of int
        Number of sensors (= parameters) and total number of qubits.
    ghz : numpy.ndarray
        :math:`\\mathrm{Var}(\\theta)` bound of the GHZ-like state (NaN unless d divides N).
    separable : numpy.ndarray
        Bound of the best separable state with an integer allocation (numerical).
    allocation : tuple of str
        That allocation, e.g. ``"3+3+2"``.
    separable_bound : numpy.ndarray
        :math:`\\|v\\|_{2/3}^2/N^2`.
    ghz_bound : numpy.ndarray
        :math:`\\|v\\|_1^2/N^2` (the time-shared reference).
    """

    d: np.ndarray
    N: np.ndarray
    ghz: np.ndarray
    separable: np.ndarray
    allocation: tuple[str, ...]
    separable_bound: np.ndarray
    ghz_bound: np.ndarray


def average_vector(d: int) -> np.ndarray:
    r"""The paper's normalised average :math:`v = (1,\dots,1)/\sqrt d`, :math:`\|v\|_2 = 1`."""
    return np.ones(d) / np.sqrt(d)


def _bound(network: Network, state, v: np.ndarray) -> float:
    return function_bound(qfim(state, network.local_generators), v)


def compute(ds: Sequence[int] = (2, 3, 4), N_max: int = 24) -> GlobalFunctionsData:
    """The average of d parameters for every d in ``ds`` and every N from d to ``N_max``.

    Parameters
    ----------
    ds : sequence of int
        Numbers of sensors (each >= 2).
    N_max : int
        Largest total number of qubits.

    Returns
    -------
    GlobalFunctionsData

    Examples
    --------
    >>> data = compute(ds=(2,), N_max=4)
    >>> data.N.tolist(), np.round(data.ghz * data.N ** 2, 12).tolist()
    ([2, 3, 4], [2.0, nan, 2.0])
    """
    N_max = as_positive_int(N_max, "N_max")
    rows = []
    for k, d in enumerate(ds):
        d = as_positive_int(d, f"ds[{k}]", minimum=2)
        if N_max < d:
            raise QSNError(f"N_max = {N_max} must be at least every d, got d = {d}")
        v = average_vector(d)
        base = Network([QubitEnsemble(1) for _ in range(d)])
        for N in range(d, N_max + 1):
            ghz = np.nan
            if N % d == 0:
                net = base.with_particles([N // d] * d)
                ghz = _bound(net, states.ghz_like(net, v), v)
            numbers = best_separable_allocation(v, N).tolist()
            net = base.with_particles(numbers)
            separable = _bound(net, states.local_ghz(net), v)
            rows.append((d, N, ghz, separable, "+".join(map(str, numbers)),
                         separable_bound(v, N), ghz_bound(v, N)))
    d, N, ghz, sep, alloc, sep_bound, ghz_b = zip(*rows)
    return GlobalFunctionsData(np.array(d), np.array(N), np.array(ghz), np.array(sep),
                               tuple(alloc), np.array(sep_bound), np.array(ghz_b))


def to_csv(data: GlobalFunctionsData, path: str | os.PathLike) -> None:
    """Write one row per (d, N).

    Parameters
    ----------
    data : GlobalFunctionsData
    path : path-like
    """
    write_csv(path, {"d": data.d, "N": data.N, "var_ghz": data.ghz,
                     "var_separable_integer": data.separable,
                     "separable_allocation": data.allocation,
                     "var_separable_bound": data.separable_bound,
                     "var_ghz_bound_time_shared": data.ghz_bound},
              comments=["global-functions: Var(theta) bounds for theta = v.phi, "
                        "v = (1,...,1)/sqrt(d), d qubit ensembles, N qubits, one repeat",
                        "closed forms: ghz ||v||_1^2/N^2 = d/N^2; separable "
                        "||v||_(2/3)^2/N^2 = d^2/N^2; var_ghz is nan unless d divides N"])


@styled
def plot(data: GlobalFunctionsData,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, np.ndarray]:
    """One panel per d: :math:`N^2\\mathrm{Var}(\\theta)` against N, log scale, shared y.

    Parameters
    ----------
    data : GlobalFunctionsData
    fig_ax : (Figure, one Axes per d), optional

    Returns
    -------
    (Figure, numpy.ndarray of Axes)
    """
    ds = list(dict.fromkeys(data.d.tolist()))
    fig, axes = new_axes(fig_ax, ncols=len(ds), figsize=(3.6 * len(ds) + 0.6, 4.4))
    paper = is_paper()
    labels = SHORT_LABELS if paper else LABELS
    ms = 3.5 if paper else 6
    axes = np.atleast_1d(axes)
    n2 = data.N.astype(float) ** 2
    for j, (ax, d) in enumerate(zip(axes, ds)):
        color = f"C{j}"
        rows = data.d == d
        N = data.N[rows]
        ax.plot(N, (data.separable_bound * n2)[rows], "-", color=color, lw=1.2)
        ax.plot(N, (data.ghz_bound * n2)[rows], "--", color=color, lw=1.2)
        ax.plot(N, (data.separable * n2)[rows], "s", mfc="none", mec=color, ms=ms - 1)
        ax.plot(N, (data.ghz * n2)[rows], "o", color=color, mec="k", mew=0.5, ms=ms)
        right = N.max() + 0.06 * (N.max() - N.min() + 1)
        ax.annotate("", xy=(right, d), xytext=(right, d ** 2),
                    arrowprops={"arrowstyle": "->", "color": "0.3", "lw": 1.2})
        ax.text(right, d ** 1.5, f" ×1/{d}", color="0.2", va="center", ha="left")
        ax.set_xlim(N.min() - 1, N.max() + (0.3 if paper else 0.2) * (N.max() - N.min() + 1))
        ax.set_yscale("log")
        ax.set_title(f"d = {d} sensors,  $v = (1,\\dots,1)/\\sqrt{{{d}}}$")
        ax.set_xlabel("total number of qubits  N")
    ticks = sorted({t for d in ds for t in (d, d ** 2)})
    axes[0].set_ylabel(r"$N^2\,\mathrm{Var}(\theta)$   [rad$^2$]")
    for ax in axes:
        ax.set_ylim(min(ds) / 1.3, max(data.separable * n2) * 1.25)
        ax.set_yticks(ticks, labels=[f"{t:g}" for t in ticks])
        ax.set_yticks([], minor=True)
    grey = "0.35"
    legend = [Line2D([], [], color=grey, ls="-", label=labels["separable_bound"]),
              Line2D([], [], color=grey, ls="--", label=labels["ghz_bound"]),
              Line2D([], [], ls="none", marker="s", mfc="none", mec=grey, ms=ms - 1,
                     label=labels["separable"]),
              Line2D([], [], ls="none", marker="o", color=grey, mec="k", mew=0.5, ms=ms,
                     label=labels["ghz"])]
    fig.legend(handles=legend, loc="outside lower center", ncols=2)
    fig.suptitle(r"Average of d parameters $\theta = v^T\phi$ on d qubit ensembles: "
                 "entangling the sensors gains 1/d")
    return fig, axes
