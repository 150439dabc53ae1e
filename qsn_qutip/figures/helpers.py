r"""Computation helpers shared by the figure modules: seeded random probes, their QCRB, the
"counterpart against probe" scatter of the theorem figures, parameter labels."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import qutip
from matplotlib.axes import Axes

from ..errors import QSNError
from ..estimation.bounds import qcrb
from ..estimation.qfim import qfim
from ..network import Network
from .style import COLOURS, is_paper, plain_log_ticks

__all__ = ["random_probes", "probe_qcrb", "diagonal_scatter", "param_label"]


def _sparse_ket(network: Network, seed: int) -> qutip.Qobj:
    """A random ket whose support is a random fraction (0.3 to 1) of the network's basis."""
    density = np.random.default_rng(seed).uniform(0.3, 1.0)
    return qutip.rand_ket(network.ket_dims, density=density, distribution="fill", seed=seed)


def random_probes(network: Network, count: int, seed: int,
                  mixed_every: int = 3) -> Iterator[tuple[qutip.Qobj, bool]]:
    """Seeded random probes on ``network``, generally entangled between the sensors.

    Probe k is a random ket (:func:`qutip.rand_ket`, ``distribution="fill"``) supported on a
    random fraction between 0.3 and 1 of the basis, so that the probes range from nearly
    Haar-typical to far from it; every ``mixed_every``-th probe is instead a mixture of three
    such kets with Dirichlet weights (rank 3).

    Parameters
    ----------
    network : Network
    count : int
        Number of probes.
    seed : int
        Probe k uses seed ``seed + k`` (its mixture components ``1000 (seed + k) + j``).
    mixed_every : int
        Every ``mixed_every``-th probe (k = 0, mixed_every, ...) is mixed; 0 for kets only.

    Yields
    ------
    (Qobj, bool)
        The probe and whether it is mixed.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> probes = list(random_probes(Network([QubitEnsemble(1)] * 2), 2, seed=0))
    >>> [(p.type, mixed) for p, mixed in probes]
    [('oper', True), ('ket', False)]
    """
    for k in range(count):
        s = seed + k
        if mixed_every and k % mixed_every == 0:
            weights = np.random.default_rng(s).dirichlet(np.ones(3))
            kets = [_sparse_ket(network, 1000 * s + j) for j in range(3)]
            yield sum(w * ket.proj() for w, ket in zip(weights, kets)), True
        else:
            yield _sparse_ket(network, s), False


def probe_qcrb(state: qutip.Qobj, network: Network) -> float:
    r"""The QCRB :math:`\mathrm{Tr}(F^{-1})` (W = 1, one repeat) of ``state`` on ``network``.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble, states
    >>> net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    >>> round(probe_qcrb(states.local_ghz(net), net), 12)      # F = diag(4, 4)
    0.5
    """
    return qcrb(qfim(state, network.local_generators))


def diagonal_scatter(ax: Axes, x: np.ndarray, y: np.ndarray, mixed: np.ndarray, *,
                     y_label: str, x_label: str = r"QCRB of the probe  Tr$(F^{-1})$  [rad$^2$]",
                     title: str | None = None, color: str = "C0",
                     extra: Sequence[tuple[np.ndarray, np.ndarray, dict]] = ()) -> None:
    """Log-log scatter of ``y`` against ``x`` with the line y = x and the forbidden half shaded.

    Pairs with an infinite bound (a probe that cannot estimate every parameter) are left out
    and counted in the legend.

    Parameters
    ----------
    ax : Axes
    x, y : numpy.ndarray
        The bounds of the input probes and of their counterparts.
    mixed : numpy.ndarray of bool
        Which input probes are density matrices (drawn as squares).
    y_label, x_label : str
    title : str, optional
        Legend title (e.g. the network).
    color : str
    extra : sequence of (x, y, scatter keyword arguments)
        More pairs of the same kind (e.g. another bound), drawn on top and inside the limits.

    Raises
    ------
    QSNError
        When no pair has a finite bound.
    """
    finite = np.isfinite(x) & np.isfinite(y)
    if not np.any(finite):
        raise QSNError("no probe has a finite bound to plot")
    paper = is_paper()
    omitted = int(np.sum(~finite))
    x, y, mixed = x[finite], y[finite], mixed[finite]
    values = np.concatenate([x, y] + [np.concatenate([ex, ey]) for ex, ey, _ in extra])
    values = values[np.isfinite(values)]
    lo, hi = values.min() / 1.3, values.max() * 1.3
    line = np.array([lo, hi])
    size = 9 if paper else 22
    ax.fill_between(line, line, hi, color="0.85", alpha=0.6, lw=0,
                    label="forbidden (y > x)" if paper else "forbidden by the theorem (y > x)")
    ax.plot(line, line, "k-", lw=1, label="y = x")
    ax.scatter(x[~mixed], y[~mixed], s=size, color=color, edgecolor="k", lw=0.4,
               label=f"pure probes ({int(np.sum(~mixed))})", zorder=3)
    if np.any(mixed):
        ax.scatter(x[mixed], y[mixed], s=size, marker="s", color=COLOURS["mixed"],
                   edgecolor="k", lw=0.4, zorder=3,
                   label=f"mixed probes{'' if paper else ', rank 3'} ({int(np.sum(mixed))})")
    for ex, ey, style in extra:
        ax.scatter(ex, ey, zorder=4, **style)
    if omitted:
        ax.plot([], [], ls="none", label=f"{omitted} probe(s) not estimable (inf), omitted")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    plain_log_ticks(ax)
    ax.set_aspect("equal")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.legend(loc="upper left", title=None if paper else title, alignment="left",
              title_fontsize=8.5)


def param_label(indices: Sequence[int]) -> str:
    """The 1-based parameter names of a sensor: ``"φ1"``, ``"φ3, φ4"`` or ``"φ3–φ5"``.

    Examples
    --------
    >>> param_label([0]), param_label([2, 3]), param_label([2, 3, 4]), param_label([])
    ('φ1', 'φ3, φ4', 'φ3–φ5', 'no parameter')
    """
    names = [i + 1 for i in indices]
    if not names:
        return "no parameter"
    if len(names) > 2 and names == list(range(names[0], names[-1] + 1)):
        return f"φ{names[0]}–φ{names[-1]}"
    return ", ".join(f"φ{i}" for i in names)
