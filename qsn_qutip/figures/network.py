r"""Figure 1 of the paper, generated from a :class:`~qsn_qutip.Network`: the sensing network.

Every sensor is a node, labelled with its physical model (``"qubits n=4"``, ``"atom j=1 (xyz)"``)
and the parameters :math:`\phi_{[k]}` it carries (``"φ3–φ5"``); for a sensor-entangled probe a
dashed entanglement link joins every pair of sensors (the paper's connections: the sensors
may be entangled and measured globally).  A local ancilla (Theorem 2) is joined to its own
sensor only.  :func:`draw` is the entry point for any network (``qsn draw``).
"""

from __future__ import annotations

import dataclasses
import itertools
import os

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch

from ..network import Network
from ..sensors import MultiLevelAtom, OpticalMode, QubitEnsemble, Sensor
from .helpers import param_label
from .output import write_csv
from .style import KIND_COLOURS, new_axes, styled

__all__ = ["NetworkData", "compute", "to_csv", "plot", "draw", "sensor_label", "summary",
           "default_network"]

#: colour of each sensor kind (:data:`.style.KIND_COLOURS`)
KIND_COLORS = KIND_COLOURS
#: legend name of each sensor kind
KIND_NAMES = {"qubits": "qubit ensemble", "mode": "optical mode", "atom": "multi-level atom",
              "ancilla": "local ancilla"}
NODE_RADIUS = 0.2


@dataclasses.dataclass(frozen=True)
class NetworkData:
    """Node positions, labels and links of a network drawing.

    Attributes
    ----------
    labels : tuple of str
        ``"<model>, <parameters>"`` of every sensor.
    kinds : tuple of str
        ``Sensor.kind`` of every sensor (sets the colour).
    params : tuple of str
        The parameter names of every sensor (``"φ1"``).
    x, y : numpy.ndarray
        Node centres.
    links : numpy.ndarray
        Integer array of shape (m, 2): the joined sensor pairs (0-based).
    link_kinds : tuple of str
        ``"entangled"`` (dashed) or ``"ancilla"`` (solid) for every link.
    n_params : int
        Number of parameters d of the network.
    """

    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    params: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    links: np.ndarray
    link_kinds: tuple[str, ...]
    n_params: int


def default_network() -> Network:
    """The default mixed network: qubits, an optical mode, a spin-1 atom in 3-D, a 3-level atom.

    Returns
    -------
    Network
        Four sensors, six parameters.
    """
    return Network([QubitEnsemble(4), OpticalMode(3), MultiLevelAtom(spin=1, axes="xyz"),
                    MultiLevelAtom(levels=[-1, 0, 1])])


def sensor_label(sensor: Sensor) -> str:
    """A sensor's name and its physical model (:attr:`Sensor.label`), e.g. ``"left: qubits n=4"``.

    Examples
    --------
    >>> sensor_label(QubitEnsemble(4)), sensor_label(OpticalMode(3, generator=None))
    ('qubits n=4', 'reference mode N=3')
    >>> sensor_label(QubitEnsemble(2, name="left"))
    'left: qubits n=2'
    """
    return f"{sensor.name}: {sensor.label}" if sensor.name else sensor.label


def summary(network: Network) -> str:
    """The sensors of ``network`` in one line, e.g. ``"qubits n=2 + optical mode N=2"``."""
    return " + ".join(sensor_label(s) for s in network.sensors)


def _layout(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes on a unit circle, the first at the top left, going clockwise."""
    if count == 1:
        return np.zeros(1), np.zeros(1)
    angles = np.pi / 2 + np.pi / count - 2 * np.pi * np.arange(count) / count
    return np.cos(angles), np.sin(angles)


def compute(network: Network | None = None, entangled: bool = True) -> NetworkData:
    """Lay out ``network`` (default :func:`default_network`) for drawing.

    Parameters
    ----------
    network : Network, optional
    entangled : bool
        Draw the entanglement links between every pair of sensors (a sensor-entangled probe);
        False for a sensor-separable probe (no links, except sensor-ancilla ones).

    Returns
    -------
    NetworkData

    Examples
    --------
    >>> data = compute()
    >>> data.labels[0], len(data.links)
    ('qubits n=4, φ1', 6)
    """
    network = default_network() if network is None else network
    sensors = network.sensors
    x, y = _layout(len(sensors))
    links, kinds, owners = [], [], {}
    for b, sensor in enumerate(sensors):
        if sensor.copies is not None:        # an ancilla: joined to the sensor it copies
            own = [a for a in range(b) if sensors[a] is sensor.copies]
            if own or b > 0:
                owners[b] = own[-1] if own else b - 1
                links.append((owners[b], b))
                kinds.append("ancilla")
    if entangled:
        real = [k for k, s in enumerate(sensors) if s.copies is None]
        for a, b in itertools.combinations(real, 2):
            links.append((a, b))
            kinds.append("entangled")
    params = tuple(param_label(part) for part in network.partition)
    labels = tuple(f"{sensor_label(s)} of {owners[k] + 1}" if k in owners
                   else f"{sensor_label(s)}, {p}" for k, (s, p) in enumerate(zip(sensors, params)))
    return NetworkData(labels=labels, kinds=tuple(s.kind for s in sensors), params=params,
                       x=x, y=y, links=np.array(links, dtype=int).reshape(-1, 2),
                       link_kinds=tuple(kinds), n_params=network.n_params)


def to_csv(data: NetworkData, path: str | os.PathLike) -> None:
    """Write the nodes (``element = node``) and the links (``element = link``) as one table.

    Parameters
    ----------
    data : NetworkData
    path : path-like
    """
    count = len(data.labels)
    m = len(data.links)
    write_csv(path, {
        "element": ["node"] * count + ["link"] * m,
        "i": list(range(1, count + 1)) + [int(a) + 1 for a, _ in data.links],
        "j": [None] * count + [int(b) + 1 for _, b in data.links],
        "kind": list(data.kinds) + list(data.link_kinds),
        "label": list(data.labels) + [None] * m,
        "x": list(data.x) + [None] * m,
        "y": list(data.y) + [None] * m,
    }, comments=["network: the sensors (nodes, 1-based) and entanglement links of Fig. 1",
                 f"d = {data.n_params} parameters"])


@styled
def plot(data: NetworkData, fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, object]:
    """Draw the network: coloured nodes, dashed entanglement links, labels outside the ring.

    Parameters
    ----------
    data : NetworkData
    fig_ax : (Figure, Axes), optional

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = new_axes(fig_ax, figsize=(6.4, 4.4))
    ax.grid(False)
    for (a, b), kind in zip(data.links, data.link_kinds):
        ax.plot(data.x[[a, b]], data.y[[a, b]], color="0.35", zorder=1,
                ls="--" if kind == "entangled" else "-", lw=1.3)
    for k, (x, y) in enumerate(zip(data.x, data.y)):
        ax.add_patch(Circle((x, y), NODE_RADIUS, facecolor=KIND_COLORS.get(data.kinds[k], "C4"),
                            edgecolor="k", lw=1, zorder=2))
        ax.text(x, y, str(k + 1), ha="center", va="center", fontsize=11, color="white",
                fontweight="bold", zorder=3)
        norm = np.hypot(x, y)
        ux, uy = (x / norm, y / norm) if norm > 0 else (0.0, -1.0)
        ha = "center" if abs(ux) < 0.3 else ("left" if ux > 0 else "right")
        va = "center" if abs(uy) < 0.3 else ("bottom" if uy > 0 else "top")
        ax.text(x + 1.35 * NODE_RADIUS * ux, y + 1.35 * NODE_RADIUS * uy, data.labels[k],
                ha=ha, va=va, fontsize=9.5, zorder=3)
    ax.set_aspect("equal")
    ax.set_xlim(-2.3, 2.3)
    ax.set_ylim(min(data.y.min(), 0.0) - 0.5, max(data.y.max(), 0.0) + 0.45)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    handles = [Patch(facecolor=KIND_COLORS.get(kind, "C4"), edgecolor="k",
                     label=KIND_NAMES.get(kind, kind))
               for kind in dict.fromkeys(data.kinds)]
    if "entangled" in data.link_kinds:
        handles.append(Line2D([], [], color="0.35", ls="--", label="entanglement link"))
    if "ancilla" in data.link_kinds:
        handles.append(Line2D([], [], color="0.35", ls="-", label="sensor–ancilla"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4),
               frameon=False)
    ancillas = data.kinds.count("ancilla")
    sensors = len(data.kinds) - ancillas
    extra = f" + {ancillas} local ancilla{'s' * (ancillas != 1)}" if ancillas else ""
    ax.set_title(f"Quantum sensing network: {sensors} sensor{'s' * (sensors != 1)}{extra}, "
                 f"d = {data.n_params} parameter{'s' * (data.n_params != 1)}\n"
                 r"node k carries $\phi_{[k]}$, encoded by $U_k(\phi_{[k]})$")
    return fig, ax


def draw(network: Network, fig_ax: tuple[Figure, object] | None = None,
         entangled: bool = True) -> tuple[Figure, object]:
    """Draw any network (the ``qsn draw`` command): :func:`compute` then :func:`plot`.

    Parameters
    ----------
    network : Network
    fig_ax : (Figure, Axes), optional
    entangled : bool
        Draw entanglement links between all sensor pairs.

    Returns
    -------
    (Figure, Axes)

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> fig, ax = draw(Network([QubitEnsemble(2), QubitEnsemble(2)]))
    """
    return plot(compute(network, entangled=entangled), fig_ax=fig_ax)
