r"""Figure 1 of the paper, generated from a :class:`~qsn_qutip.Network`: the sensing network.

Every sensor is a node, labelled with its physical model (``"qubits n=4"``, ``"atom j=1 (xyz)"``)
and the parameters :math:`\phi_{[k]}` it carries (``"φ3–φ5"``); for a sensor-entangled probe a
dashed entanglement link joins every pair of sensors (the paper's connections: the sensors
may be entangled and measured globally).  A local ancilla (Theorem 2) is joined to its own
sensor only.  :func:`draw` is the entry point for any network (``qsn draw``).

Two layouts: ``"ring"`` (the paper's Fig. 1, sensors of different kinds on a circle) and
``"line"`` (an array of like sensors — a gradiometer, a chain of clocks — in a row, the links
between non-neighbours drawn as arcs above it); ``"auto"`` picks the line when every sensor is
of one kind.  The axes are fitted to the labels, so that no label is cut at the edge.
"""

from __future__ import annotations

import dataclasses
import itertools
import os

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch

from ..errors import QSNError
from ..network import Network
from ..sensors import MultiLevelAtom, OpticalMode, QubitEnsemble, Sensor
from .helpers import param_label
from .output import write_csv
from .style import KIND_COLOURS, is_paper, new_axes, styled

__all__ = ["NetworkData", "compute", "to_csv", "plot", "draw", "sensor_label", "summary",
           "default_network", "choose_layout", "LAYOUTS"]

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
    layout : {"ring", "line"}
        How the nodes are placed.
    names : tuple of str
        The sensors' own names ("" when unnamed), for the line layout's labels.
    """

    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    params: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    links: np.ndarray
    link_kinds: tuple[str, ...]
    n_params: int
    layout: str = "ring"
    names: tuple[str, ...] = ()


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


#: node layouts of :func:`compute`
LAYOUTS = ("auto", "ring", "line")
#: distance between neighbours of the line layout (node radius 0.2)
LINE_SPACING = 1.5


def _layout(count: int, layout: str = "ring") -> tuple[np.ndarray, np.ndarray]:
    """Nodes on a unit circle, the first at the top left, going clockwise; or in a row."""
    if layout == "line":
        return LINE_SPACING * (np.arange(count) - (count - 1) / 2), np.zeros(count)
    if count == 1:
        return np.zeros(1), np.zeros(1)
    angles = np.pi / 2 + np.pi / count - 2 * np.pi * np.arange(count) / count
    return np.cos(angles), np.sin(angles)


def choose_layout(network: Network, layout: str = "auto") -> str:
    """``"line"`` for an array of like sensors (several, of one ``Sensor.kind``), else ``"ring"``.

    Examples
    --------
    >>> choose_layout(Network([QubitEnsemble(2)] * 3)), choose_layout(default_network())
    ('line', 'ring')
    >>> choose_layout(default_network(), "line")
    'line'
    """
    if layout not in LAYOUTS:
        raise QSNError(f"layout must be one of {list(LAYOUTS)}, got {layout!r}")
    if layout != "auto":
        return layout
    sensors = network.sensors
    return "line" if len(sensors) > 1 and len({s.kind for s in sensors}) == 1 else "ring"


def compute(network: Network | None = None, entangled: bool = True,
            layout: str = "auto") -> NetworkData:
    """Lay out ``network`` (default :func:`default_network`) for drawing.

    Parameters
    ----------
    network : Network, optional
    entangled : bool
        Draw the entanglement links between every pair of sensors (a sensor-entangled probe);
        False for a sensor-separable probe (no links, except sensor-ancilla ones).
    layout : {"auto", "ring", "line"}
        :func:`choose_layout`.

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
    layout = choose_layout(network, layout)
    sensors = network.sensors
    x, y = _layout(len(sensors), layout)
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
                       link_kinds=tuple(kinds), n_params=network.n_params, layout=layout,
                       names=tuple(s.name or "" for s in sensors))


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


def _link(ax, data: NetworkData, a: int, b: int, kind: str) -> None:
    """One link: a straight segment, or an arc above the row for non-neighbours of a line."""
    style = dict(color="0.35", zorder=1, ls="--" if kind == "entangled" else "-",
                 lw=0.8 if is_paper() else 1.3)
    gap = abs(b - a)
    if data.layout != "line" or gap == 1:
        ax.plot(data.x[[a, b]], data.y[[a, b]], **style)
        return
    t = np.linspace(0, np.pi, 60)
    x0, x1 = sorted(data.x[[a, b]])
    height = NODE_RADIUS + 0.3 * (gap - 1)
    ax.plot(x0 + (x1 - x0) * (1 - np.cos(t)) / 2, NODE_RADIUS * 0.6 + height * np.sin(t),
            **style)


def _stacked(data: NetworkData, k: int) -> str:
    """Node k's label on up to three lines: its name, its model, its parameters."""
    head, _, params = data.labels[k].rpartition(", ")
    name = data.names[k] if k < len(data.names) else ""
    model = head[len(name) + 2:] if name and head.startswith(f"{name}: ") else head
    return "\n".join(part for part in (name, model, params) if part)


def _node_text(ax, data: NetworkData, k: int, fontsize: float) -> object:
    """The label of node k: outside the ring (stacked when long), or below the node of a line
    (stacked).  Labels stay out of the layout: :func:`_fit_to_labels` keeps them in the axes."""
    x, y = data.x[k], data.y[k]
    if data.layout == "line":
        return ax.text(x, y - 1.4 * NODE_RADIUS, _stacked(data, k), ha="center", va="top",
                       fontsize=fontsize, zorder=3, linespacing=1.25, in_layout=False)
    norm = np.hypot(x, y)
    ux, uy = (x / norm, y / norm) if norm > 0 else (0.0, -1.0)
    ha = "center" if abs(ux) < 0.3 else ("left" if ux > 0 else "right")
    va = "center" if abs(uy) < 0.3 else ("bottom" if uy > 0 else "top")
    text = data.labels[k] if len(data.labels[k]) <= 24 else _stacked(data, k)
    return ax.text(x + 1.35 * NODE_RADIUS * ux, y + 1.35 * NODE_RADIUS * uy, text, ha=ha,
                   va=va, fontsize=fontsize, zorder=3, linespacing=1.25, in_layout=False)


def _fit_to_labels(fig: Figure, ax, texts: list, data: NetworkData) -> None:
    """Set the limits so that every node, arc and label lies inside the axes.

    A label has a fixed size in points, so its size in data units grows with the span of
    the axis: with the nodes spanning :math:`s` and the labels overhanging by a fraction
    :math:`k` of the span, the span that holds both is :math:`s/(1-k)`.  A few passes, since
    the equal aspect ties the two axes.
    """
    lines = [ln.get_xydata() for ln in ax.lines if len(ln.get_xydata())]
    points = np.vstack([np.column_stack([data.x, data.y]), *lines])
    inner = [(points[:, 0].min() - NODE_RADIUS, points[:, 0].max() + NODE_RADIUS),
             (points[:, 1].min() - NODE_RADIUS, points[:, 1].max() + NODE_RADIUS)]
    for _ in range(6):
        fig.canvas.draw()
        inverse = ax.transData.inverted()
        boxes = [t.get_window_extent().transformed(inverse) for t in texts]
        changed = False
        for axis, (lo, hi), (get, set_) in zip(
                (0, 1), inner, ((ax.get_xlim, ax.set_xlim), (ax.get_ylim, ax.set_ylim))):
            low = min([lo, *((b.x0, b.y0)[axis] for b in boxes)])
            high = max([hi, *((b.x1, b.y1)[axis] for b in boxes)])
            span = np.subtract(*get()[::-1])
            k = min(0.9, ((lo - low) + (high - hi)) / span)       # labels' share of the span
            total = (hi - lo) / (1 - k) * 1.04
            extra = total - (hi - lo)
            share = (lo - low) / max((lo - low) + (high - hi), 1e-12)
            new = (lo - extra * share, hi + extra * (1 - share)) if extra > 0 else (lo, hi)
            changed |= not np.allclose(new, get(), rtol=0, atol=1e-3 * total)
            set_(*new)
        if not changed:
            break
    fig.canvas.draw()


@styled
def plot(data: NetworkData, fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, object]:
    """Draw the network: coloured nodes, dashed entanglement links, every label in view.

    Parameters
    ----------
    data : NetworkData
    fig_ax : (Figure, Axes), optional

    Returns
    -------
    (Figure, Axes)
    """
    count = len(data.labels)
    line = data.layout == "line"
    size = (max(4.2, 1.8 * count), 2.8) if line else (6.4, 4.4)
    fig, ax = new_axes(fig_ax, figsize=size)
    paper = is_paper()
    ax.grid(False)
    for (a, b), kind in zip(data.links, data.link_kinds):
        _link(ax, data, a, b, kind)
    texts = []
    for k, (x, y) in enumerate(zip(data.x, data.y)):
        ax.add_patch(Circle((x, y), NODE_RADIUS, facecolor=KIND_COLORS.get(data.kinds[k], "C4"),
                            edgecolor="k", lw=1, zorder=2))
        ax.text(x, y, str(k + 1), ha="center", va="center", fontsize=8 if paper else 11,
                color="white", fontweight="bold", zorder=3)
        texts.append(_node_text(ax, data, k, 7 if paper else 9.5))
    ax.set_aspect("equal")
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
    fig.legend(handles=handles, loc="outside lower center",
               ncols=min(len(handles), 2 if paper else 4), frameon=False)
    ancillas = data.kinds.count("ancilla")
    sensors = len(data.kinds) - ancillas
    extra = f" + {ancillas} local ancilla{'s' * (ancillas != 1)}" if ancillas else ""
    if not paper:                # (the paper style has no titles: fit the labels without it)
        ax.set_title(f"Quantum sensing network: {sensors} sensor{'s' * (sensors != 1)}"
                     f"{extra}, d = {data.n_params} parameter{'s' * (data.n_params != 1)}\n"
                     r"node k carries $\phi_{[k]}$, encoded by $U_k(\phi_{[k]})$")
    _fit_to_labels(fig, ax, texts, data)
    return fig, ax


def draw(network: Network, fig_ax: tuple[Figure, object] | None = None,
         entangled: bool = True, layout: str = "auto", **style) -> tuple[Figure, object]:
    """Draw any network (the ``qsn draw`` command): :func:`compute` then :func:`plot`.

    Parameters
    ----------
    network : Network
    fig_ax : (Figure, Axes), optional
    entangled : bool
        Draw entanglement links between all sensor pairs.
    layout : {"auto", "ring", "line"}
        :func:`choose_layout`: a row for an array of like sensors, a ring otherwise.
    **style
        ``style="paper"`` and ``width=`` (:func:`~qsn_qutip.figures.style.styled`).

    Returns
    -------
    (Figure, Axes)

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> fig, ax = draw(Network([QubitEnsemble(2), QubitEnsemble(2), QubitEnsemble(2)]))
    >>> sorted({round(float(t.get_position()[1]), 6) for t in ax.texts if t.get_text() in "123"})
    [0.0]
    """
    return plot(compute(network, entangled=entangled, layout=layout), fig_ax=fig_ax, **style)
