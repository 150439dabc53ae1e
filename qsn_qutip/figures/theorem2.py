r"""Theorem 2 on random probes: a local ancilla replaces sensor entanglement, at <= 2x resources.

Seeded random probes (Haar kets, every third one a rank-3 density matrix) of a network whose
generators do not commute — two spin-1 atoms sensing a 3-D field (:math:`\hat J_x,\hat J_y,
\hat J_z` at each site, d = 6) — are mapped to :func:`~qsn_qutip.theorems.ancilla_counterpart`:
each sensor entangled only with its own ancilla, on the doubled network.  The figure plots the
QCRB :math:`\mathrm{Tr}F^{-1}` of the probe (x) against that of the ancilla probe (y), all on
or below the diagonal, and the attainable Holevo bound of a few pure probes (diamonds).  The
resource ratio (the ancilla probe's mean resource on the doubled network, ancillas counted
like sensors, Eq. 25, over the probe's) is never above 2 — exactly 2 for every probe here,
since an atom's resource is the atom count, which the ancilla copy doubles; with free ancillas
it is 1.  Being the same for every probe, it is stated in the legend (and in the CSV, per
probe) rather than plotted.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import qutip
from matplotlib.figure import Figure

from ..estimation.bounds import qcrb
from ..estimation.holevo import holevo_bound
from ..estimation.qfim import qfim
from ..network import Network
from ..sensors import MultiLevelAtom
from ..theorems import ancilla_counterpart
from .helpers import diagonal_scatter, random_probes
from .output import write_csv
from .style import is_paper, new_axes, styled
from .network import summary

__all__ = ["Theorem2Data", "compute", "to_csv", "plot", "default_network"]


@dataclasses.dataclass(frozen=True)
class Theorem2Data:
    """Bounds and resources of random probes and of their ancilla counterparts.

    Attributes
    ----------
    probe_qcrb : numpy.ndarray
        :math:`\\mathrm{Tr}F^{-1}` of each probe.
    ancilla_qcrb : numpy.ndarray
        :math:`\\mathrm{Tr}F^{-1}` of its ancilla counterpart on the doubled network.
    mixed : numpy.ndarray of bool
        Whether the probe is a density matrix.
    resource_ratio : numpy.ndarray
        Mean resource of the ancilla probe (sensors + ancillas, Eq. 25) / that of the probe.
    sensor_ratio : numpy.ndarray
        The same with the ancillas counted as free (the sensors' share only).
    network : str
        The sensors, e.g. ``"atom j=1 (xyz) + atom j=1 (xyz)"``.
    probe_holevo, ancilla_holevo : numpy.ndarray
        The attainable (Holevo) bound :math:`C_H` of the first pure probes and of their
        ancilla counterparts (:func:`~qsn_qutip.estimation.holevo.holevo_bound`, an SDP; empty
        when cvxpy, the ``sdp`` extra, is missing).
    """

    probe_qcrb: np.ndarray
    ancilla_qcrb: np.ndarray
    mixed: np.ndarray
    resource_ratio: np.ndarray
    sensor_ratio: np.ndarray
    network: str
    probe_holevo: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    ancilla_holevo: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))


def default_network() -> Network:
    """Two spin-1 atoms, each sensing the three components of a field (9 dimensions, d = 6)."""
    return Network([MultiLevelAtom(spin=1, axes="xyz"), MultiLevelAtom(spin=1, axes="xyz")])


def _qcrb_at(state: qutip.Qobj, network: Network, phi: np.ndarray) -> float:
    r"""The QCRB :math:`\mathrm{Tr}(F^{-1})` (W = 1) of ``state`` on ``network`` at ``phi``."""
    return qcrb(qfim(state, network.local_generators, phi=phi))


def compute(count: int = 60, seed: int = 101, network: Network | None = None,
            mixed_every: int = 3, holevo_count: int = 8) -> Theorem2Data:
    """Evaluate ``count`` seeded random probes and their Theorem-2 ancilla counterparts.

    Parameters
    ----------
    count : int
        Number of probes.
    seed : int
        Probe k uses seed ``seed + k``.
    network : Network, optional
        Any network (default :func:`default_network`, non-commuting generators).
    mixed_every : int
        Every ``mixed_every``-th probe is a rank-3 density matrix (0: kets only).
    holevo_count : int
        For this many of the pure probes, also the Holevo bound of the probe and of its
        ancilla counterpart (about 0.1 s each on the doubled network; skipped without cvxpy).

    Returns
    -------
    Theorem2Data

    Examples
    --------
    >>> data = compute(count=3)
    >>> bool(np.all(data.resource_ratio <= 2 * (1 + 1e-9)))
    True
    """
    network = default_network() if network is None else network
    zero = np.zeros(network.n_params)     # Theorem 2 at phi = 0: the generators do not commute
    rows, holevo = [], []
    sdp = _holevo_available()
    for state, mixed in random_probes(network, count, seed, mixed_every):
        counterpart, doubled = ancilla_counterpart(state, network)
        if sdp and not mixed and len(holevo) < holevo_count:
            holevo.append((holevo_bound(state, network.generators, phi=zero),
                           holevo_bound(counterpart, doubled.generators, phi=zero)))
        resource = network.mean_resource(state)
        on_sensors = sum(qutip.expect(sensor.resource_operator,
                                      doubled.reduced_state(counterpart, k))
                         for k, sensor in enumerate(doubled.sensors)
                         if sensor.copies is None)
        rows.append((_qcrb_at(state, network, zero), _qcrb_at(counterpart, doubled, zero), mixed,
                     doubled.mean_resource(counterpart) / resource, on_sensors / resource))
    x, y, mixed, ratio, sensor_ratio = (np.array(col) for col in zip(*rows))
    h_probe, h_ancilla = (np.array(col) for col in zip(*holevo)) if holevo else (
        np.zeros(0), np.zeros(0))
    return Theorem2Data(x, y, mixed.astype(bool), ratio, sensor_ratio, summary(network),
                        h_probe, h_ancilla)


def _holevo_available() -> bool:
    """True when cvxpy (the ``sdp`` extra) can be imported."""
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        return False
    return True


def to_csv(data: Theorem2Data, path: str | os.PathLike) -> None:
    """Write one row per probe.

    Parameters
    ----------
    data : Theorem2Data
    path : path-like
    """
    write_csv(path, {"probe": np.arange(1, len(data.probe_qcrb) + 1),
                     "mixed": data.mixed,
                     "qcrb_probe": data.probe_qcrb,
                     "qcrb_ancilla_counterpart": data.ancilla_qcrb,
                     "resource_ratio": data.resource_ratio,
                     "resource_ratio_ancillas_free": data.sensor_ratio},
              comments=["theorem2: QCRB Tr(F^-1) of random probes vs their local-ancilla "
                        "counterparts; expect y <= x and resource ratio <= 2 (Eq. 25)",
                        f"network: {data.network}",
                        "Holevo bounds C_H (probe -> ancilla counterpart) of the first pure "
                        "probes, to 5 digits (an SDP's accuracy): "
                        + ", ".join(f"{a:.5g} -> {b:.5g}"
                                    for a, b in zip(data.probe_holevo, data.ancilla_holevo))])


def _ratio_text(ratio: np.ndarray) -> str:
    """``"2"`` when every probe has the same resource ratio, else ``"1.2–2"``."""
    lo, hi = float(np.min(ratio)), float(np.max(ratio))
    return f"{hi:.3g}" if np.isclose(lo, hi, rtol=1e-6) else f"{lo:.3g}–{hi:.3g}"


@styled
def plot(data: Theorem2Data,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, object]:
    """The ancilla probe's bounds against the probe's (QCRB for all, Holevo for a few).

    The resource ratio of every pair (at most 2, Eq. 25) is stated in the legend's title.

    Parameters
    ----------
    data : Theorem2Data
    fig_ax : (Figure, Axes), optional

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = new_axes(fig_ax, figsize=(5.6, 5.4))
    paper = is_paper()
    holevo = [(data.probe_holevo, data.ancilla_holevo,
               dict(s=14 if paper else 40, marker="D", color="C2", edgecolor="k", lw=0.6,
                    label=(f"Holevo bound $C_H$ ({data.probe_holevo.size})" if paper else
                           f"Holevo bound $C_H$ (attainable), {data.probe_holevo.size} "
                           f"pure probes")))] if data.probe_holevo.size else []
    ratio = _ratio_text(data.resource_ratio)
    diagonal_scatter(ax, data.probe_qcrb, data.ancilla_qcrb, data.mixed,
                     x_label=r"bound of the probe  [rad$^2$]",
                     y_label=r"bound of the local-ancilla probe  [rad$^2$]",
                     title=f"{data.network}\ncircles, squares: QCRB Tr$(F^{{-1}})$\n"
                           f"resources ×{ratio} with ancillas counted (≤ 2, Eq. 25), "
                           f"×{_ratio_text(data.sensor_ratio)} without",
                     extra=holevo)
    ax.set_title("Theorem 2 (non-commuting generators): local ancillas\n"
                 "replace sensor entanglement, never worse")
    return fig, ax
