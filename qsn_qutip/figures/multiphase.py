r"""d optical phases with N photons: generalised NOON states against separable strategies.

All against the number of phases d, with N photons fixed; the figure of merit is the QCRB
:math:`\mathrm{Tr}F^{-1}` (W = 1, one repeat):

* the generalised NOON state of Humphreys et al. on d signal modes and a reference mode
  (:func:`~qsn_qutip.states.generalized_noon`, computed numerically), on Humphreys' closed
  form :math:`d(1+\sqrt d)^2/(4N^2)` (line);
* independent NOON states, N/d photons per phase: :math:`d^3/N^2` (line; computed from
  local GHZ states :math:`(|0\rangle+|N/d\rangle)/\sqrt2` where d divides N);
* the mode-separable state with the same mean photon number:
  :func:`~qsn_qutip.theorems.separable_counterpart` of the generalised NOON state (computed
  numerically) — below the generalised NOON state, as Theorem 1 demands.  The NOON state's
  advantage over independent estimation exists only among states of definite total photon
  number (the paper's reconciliation with Humphreys et al.).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from .. import states
from ..errors import QSNError
from .._checks import as_positive_int
from ..network import Network
from ..sensors import OpticalMode
from ..theorems import separable_counterpart
from .helpers import probe_qcrb
from .output import write_csv
from .style import is_paper, new_axes, plain_log_ticks, styled

__all__ = ["MultiphaseData", "compute", "to_csv", "plot", "humphreys", "MAX_AMPLITUDES"]

#: largest state vector (N+1)^(d+1) that :func:`compute` builds
MAX_AMPLITUDES = 5_000_000


@dataclasses.dataclass(frozen=True)
class MultiphaseData:
    """QCRBs per number of phases d at fixed photon number N.

    Attributes
    ----------
    photons : int
        N.
    d : numpy.ndarray of int
    noon : numpy.ndarray
        Generalised NOON state, numerical.
    humphreys : numpy.ndarray
        :math:`d(1+\\sqrt d)^2/(4N^2)`.
    independent : numpy.ndarray
        Independent NOON states, numerical (NaN unless d divides N).
    independent_closed : numpy.ndarray
        :math:`d^3/N^2`.
    separable : numpy.ndarray
        Separable counterpart of the generalised NOON state, numerical.
    noon_photons, separable_photons : numpy.ndarray
        Mean photon numbers (all modes), equal by Theorem 1.
    """

    photons: int
    d: np.ndarray
    noon: np.ndarray
    humphreys: np.ndarray
    independent: np.ndarray
    independent_closed: np.ndarray
    separable: np.ndarray
    noon_photons: np.ndarray
    separable_photons: np.ndarray


def humphreys(d: int | np.ndarray, photons: int) -> float | np.ndarray:
    r"""Humphreys et al.'s optimum :math:`\mathrm{Tr}F^{-1} = d(1+\sqrt d)^2/(4N^2)`.

    Examples
    --------
    >>> humphreys(4, 6)
    0.25
    """
    value = d * (1 + np.sqrt(d)) ** 2 / (4 * photons ** 2)
    return float(value) if np.ndim(value) == 0 else value


def compute(photons: int = 6, ds: Sequence[int] = (1, 2, 3, 4, 5, 6)) -> MultiphaseData:
    """Evaluate the three strategies for every number of phases in ``ds``.

    Parameters
    ----------
    photons : int
        Total photon number N.
    ds : sequence of int
        Numbers of phases; the state has :math:`(N+1)^{d+1}` amplitudes, at most
        :data:`MAX_AMPLITUDES`.

    Returns
    -------
    MultiphaseData

    Examples
    --------
    >>> data = compute(photons=2, ds=(1, 2))
    >>> np.allclose(data.noon, data.humphreys)
    True
    """
    N = as_positive_int(photons, "photons")
    rows = []
    for k, d in enumerate(ds):
        d = as_positive_int(d, f"ds[{k}]")
        if (N + 1) ** (d + 1) > MAX_AMPLITUDES:
            raise QSNError(f"ds[{k}] = {d} phases with {N} photons need (N+1)^(d+1) = "
                           f"{(N + 1) ** (d + 1)} amplitudes, above {MAX_AMPLITUDES}")
        network = Network([OpticalMode(N, generator=None)] + [OpticalMode(N)] * d)
        psi = states.generalized_noon(network, N)
        separable = separable_counterpart(psi, network)
        independent = np.nan
        if N % d == 0:
            modes = Network([OpticalMode(N // d)] * d)
            independent = probe_qcrb(states.local_ghz(modes), modes)
        rows.append((d, probe_qcrb(psi, network), humphreys(d, N), independent, d ** 3 / N ** 2,
                     probe_qcrb(separable, network), network.mean_resource(psi),
                     network.mean_resource(separable)))
    cols = [np.array(c) for c in zip(*rows)]
    return MultiphaseData(N, cols[0].astype(int), *cols[1:])


def to_csv(data: MultiphaseData, path: str | os.PathLike) -> None:
    """Write one row per number of phases d.

    Parameters
    ----------
    data : MultiphaseData
    path : path-like
    """
    write_csv(path, {"d": data.d, "qcrb_generalized_noon": data.noon,
                     "humphreys_closed_form": data.humphreys,
                     "qcrb_independent_noon": data.independent,
                     "independent_closed_form": data.independent_closed,
                     "qcrb_separable_counterpart": data.separable,
                     "photons_generalized_noon": data.noon_photons,
                     "photons_separable_counterpart": data.separable_photons},
              comments=[f"multiphase: Tr(F^-1) for d optical phases with N = {data.photons} "
                        "photons (one repeat)",
                        "closed forms: generalised NOON d(1+sqrt d)^2/(4N^2); independent "
                        "NOON d^3/N^2 (numerical value nan unless d divides N)"])


@styled
def plot(data: MultiphaseData,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, object]:
    """:math:`\\mathrm{Tr}F^{-1}` against the integer d: markers computed, bars closed forms.

    Parameters
    ----------
    data : MultiphaseData
    fig_ax : (Figure, Axes), optional

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = new_axes(fig_ax, figsize=(6.0, 5.2))
    paper = is_paper()
    d = data.d.astype(float)
    N = data.photons
    big, small = (7, 3.5) if paper else (13, 6)
    # d is an integer: the closed forms are wide open bars at each d, the numbers dots in them
    ax.plot(d, d ** 3 / N ** 2, "_", color="C2", ms=big, mew=1.2,
            label=r"$d^3/N^2$" if paper else
            r"independent NOON, $N/d$ photons each: $d^3/N^2$")
    known = np.isfinite(data.independent)
    ax.plot(d[known], data.independent[known], "^", color="C2", mec="k", mew=0.5, ms=small,
            ls="none", label="independent NOON" if paper else
            "independent NOON (numerical, where d divides N)")
    ax.plot(d, humphreys(d, N), "_", color="C3", ms=big, mew=1.2,
            label=r"$d(1+\sqrt{d})^2/(4N^2)$" if paper else
            r"Humphreys et al.: $d(1+\sqrt{d})^2/(4N^2)$")
    ax.plot(d, data.noon, "o", color="C3", mec="k", mew=0.5, ms=small, ls="none",
            label="generalised NOON" if paper else "generalised NOON state (numerical)")
    ax.plot(d, data.separable, "s", color="C0", mec="k", mew=0.5, ms=small, ls="none",
            label="mode-separable, same mean N" if paper else
            "mode-separable, same mean photon number\n"
            "(separable counterpart, Theorem 1; numerical)")
    ax.set_yscale("log")
    ax.set_xticks(data.d)
    ax.set_xlim(d.min() - 0.5, d.max() + 0.5)
    ax.set_xlabel("number of phases  d")
    ax.set_ylabel(r"QCRB  Tr$(F^{-1})$   [rad$^2$]")
    ax.set_title(f"d optical phases with N = {N} photons (plus a reference mode)")
    fig.legend(loc="outside lower center", ncols=2, fontsize=None if paper else 7.8,
               title=None if paper else "bars: closed forms; markers: numerical",
               title_fontsize=7.8)
    plain_log_ticks(ax)
    return fig, ax
