r"""Theorem 1 on random probes: the sensor-separable counterpart is never worse.

Seeded random probes (Haar kets, and every third one a rank-3 density matrix) of a small
network with commuting generators — a qubit ensemble, an optical mode and a three-level atom
— are mapped to :func:`~qsn_qutip.theorems.separable_counterpart` (Eq. 17, Proposition 3 for
mixed probes).  Each point is (QCRB :math:`\mathrm{Tr}F^{-1}` of the probe, QCRB of its
counterpart); all lie on or below the diagonal, and the counterpart has the same mean resource.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
from matplotlib.figure import Figure

from ..network import Network
from ..sensors import MultiLevelAtom, OpticalMode, QubitEnsemble
from ..theorems import separable_counterpart
from .helpers import diagonal_scatter, probe_qcrb, random_probes
from .output import write_csv
from .style import new_axes, styled
from .network import summary

__all__ = ["Theorem1Data", "compute", "to_csv", "plot", "default_network"]


@dataclasses.dataclass(frozen=True)
class Theorem1Data:
    """Bounds of random probes and of their separable counterparts.

    Attributes
    ----------
    probe_qcrb : numpy.ndarray
        :math:`\\mathrm{Tr}F^{-1}` of each probe (x).
    separable_qcrb : numpy.ndarray
        :math:`\\mathrm{Tr}F^{-1}` of its separable counterpart (y).
    mixed : numpy.ndarray of bool
        Whether the probe is a density matrix.
    probe_resource, separable_resource : numpy.ndarray
        Mean resources :math:`\\mathrm{Tr}(\\hat R\\rho)` (equal by construction).
    network : str
        The sensors, e.g. ``"qubits n=2 + optical mode N=2 + atom, 3 levels"``.
    """

    probe_qcrb: np.ndarray
    separable_qcrb: np.ndarray
    mixed: np.ndarray
    probe_resource: np.ndarray
    separable_resource: np.ndarray
    network: str


def default_network() -> Network:
    """Qubits (n = 2), an optical mode (cutoff 2) and a 3-level atom: dimension 27, d = 3."""
    return Network([QubitEnsemble(2), OpticalMode(2), MultiLevelAtom(levels=[0, 1, 3])])


def compute(count: int = 60, seed: int = 1, network: Network | None = None,
            mixed_every: int = 3) -> Theorem1Data:
    """Evaluate ``count`` seeded random probes and their Theorem-1 counterparts.

    Parameters
    ----------
    count : int
        Number of probes.
    seed : int
        Probe k uses seed ``seed + k``.
    network : Network, optional
        A network with commuting generators (default :func:`default_network`).
    mixed_every : int
        Every ``mixed_every``-th probe is a rank-3 density matrix (0: kets only).

    Returns
    -------
    Theorem1Data

    Examples
    --------
    >>> data = compute(count=4)
    >>> bool(np.all(data.separable_qcrb <= data.probe_qcrb * (1 + 1e-9)))
    True
    """
    network = default_network() if network is None else network
    rows = []
    for state, mixed in random_probes(network, count, seed, mixed_every):
        counterpart = separable_counterpart(state, network)
        rows.append((probe_qcrb(state, network), probe_qcrb(counterpart, network), mixed,
                     network.mean_resource(state), network.mean_resource(counterpart)))
    x, y, mixed, r_in, r_out = (np.array(col) for col in zip(*rows))
    return Theorem1Data(x, y, mixed.astype(bool), r_in, r_out, summary(network))


def to_csv(data: Theorem1Data, path: str | os.PathLike) -> None:
    """Write one row per probe.

    Parameters
    ----------
    data : Theorem1Data
    path : path-like
    """
    write_csv(path, {"probe": np.arange(1, len(data.probe_qcrb) + 1),
                     "mixed": data.mixed,
                     "qcrb_probe": data.probe_qcrb,
                     "qcrb_separable_counterpart": data.separable_qcrb,
                     "resource_probe": data.probe_resource,
                     "resource_separable_counterpart": data.separable_resource},
              comments=["theorem1: QCRB Tr(F^-1) of random probes vs their separable "
                        "counterparts (Eq. 17); expect y <= x and equal resources",
                        f"network: {data.network}"])


@styled
def plot(data: Theorem1Data,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, object]:
    """Scatter the counterpart's QCRB against the probe's, with the diagonal.

    Parameters
    ----------
    data : Theorem1Data
    fig_ax : (Figure, Axes), optional

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = new_axes(fig_ax, figsize=(5.4, 5.2))
    diagonal_scatter(ax, data.probe_qcrb, data.separable_qcrb, data.mixed,
                     y_label=r"QCRB of the separable counterpart  Tr$(F^{-1})$  [rad$^2$]",
                     title=f"{data.network}\n(same mean resource for every pair)")
    ax.set_title("Theorem 1 (commuting generators):\nthe sensor-separable counterpart is "
                 "never worse")
    return fig, ax
