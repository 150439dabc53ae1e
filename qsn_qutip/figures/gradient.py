r"""The paper's magnetic-gradient example: two qubit ensembles of N/2 qubits each.

Left: the gradient :math:`\theta = (\phi_2-\phi_1)/\sqrt2` (bound :math:`v^TF^{+}v`, one
repeat) against N, log-log, for the global GHZ-like state
:math:`\propto|{\downarrow}^{N/2}{\uparrow}^{N/2}\rangle+|{\uparrow}^{N/2}{\downarrow}^{N/2}\rangle`
(:math:`2/N^2`), a local GHZ state at each site (:math:`4/N^2`, the best separable one:
entanglement halves the variance) and the product state (:math:`2/N`, the standard quantum
limit).  Right: estimating both :math:`\phi_1` and :math:`\phi_2` (QCRB :math:`\mathrm{Tr}F^{-1}`,
W = 1): the local GHZ state is optimal (:math:`8/N^2`, Theorem 1) and the global GHZ state
fails — its QFIM is singular, only :math:`\phi_2-\phi_1` is estimable.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from .. import states
from .._checks import as_positive_int
from ..estimation.bounds import function_bound, qcrb
from ..estimation.qfim import qfim
from ..network import Network
from ..sensors import QubitEnsemble
from .output import write_csv
from .style import COLOURS, is_paper, new_axes, styled

__all__ = ["GradientData", "GRADIENT", "compute", "to_csv", "plot"]

#: :math:`v` of the gradient :math:`\theta = (\phi_2-\phi_1)/\sqrt2`
GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)
#: the probes, in plotting order: (key, legend label, colour, marker)
PROBES = (("global", "global GHZ-like (Eq. 1)", COLOURS["entangled"], "o"),
          ("local", "local GHZ at each site", COLOURS["separable"], "s"),
          ("product", "product state (SQL)", COLOURS["product"], "^"))


@dataclasses.dataclass(frozen=True)
class GradientData:
    """Bounds for the gradient and for both fields, per total qubit number N.

    Attributes
    ----------
    N : numpy.ndarray of int
        Total number of qubits (N/2 per site).
    gradient : dict of str to numpy.ndarray
        :math:`\\mathrm{Var}(\\theta)` bound of each probe (``"global"``, ``"local"``,
        ``"product"``), computed from the QFIM.
    both : dict of str to numpy.ndarray
        :math:`\\mathrm{Tr}F^{-1}` for estimating :math:`\\phi_1, \\phi_2` (``inf`` when not
        estimable).
    """

    N: np.ndarray
    gradient: dict[str, np.ndarray]
    both: dict[str, np.ndarray]


def compute(n_values: Sequence[int] = (1, 2, 4, 8, 16, 32, 64)) -> GradientData:
    """Evaluate the three probes for every number n of qubits per site (N = 2n).

    Parameters
    ----------
    n_values : sequence of int
        Qubits per site.

    Returns
    -------
    GradientData

    Examples
    --------
    >>> data = compute(n_values=(2,))
    >>> round(float(data.gradient["global"][0] / data.gradient["local"][0]), 12)
    0.5
    >>> float(data.both["global"][0])
    inf
    """
    ns = [as_positive_int(n, f"n_values[{k}]") for k, n in enumerate(n_values)]
    gradient = {key: [] for key, *_ in PROBES}
    both = {key: [] for key, *_ in PROBES}
    for n in ns:
        network = Network([QubitEnsemble(n), QubitEnsemble(n)])
        probes = {"global": states.ghz_like(network, GRADIENT),
                  "local": states.local_ghz(network),
                  "product": states.product(network)}
        for key, psi in probes.items():
            F = qfim(psi, network.local_generators)
            gradient[key].append(function_bound(F, GRADIENT))
            both[key].append(qcrb(F))
    return GradientData(2 * np.array(ns), {k: np.array(v) for k, v in gradient.items()},
                        {k: np.array(v) for k, v in both.items()})


def to_csv(data: GradientData, path: str | os.PathLike) -> None:
    """Write one row per N: the gradient bounds, then the both-fields bounds.

    Parameters
    ----------
    data : GradientData
    path : path-like
    """
    columns: dict[str, object] = {"N": data.N}
    columns.update({f"var_gradient_{key}": data.gradient[key] for key, *_ in PROBES})
    columns.update({f"qcrb_both_{key}": data.both[key] for key, *_ in PROBES})
    write_csv(path, columns, comments=[
        "gradient: theta = (phi_2 - phi_1)/sqrt2 on two qubit ensembles of N/2 qubits, one "
        "repeat",
        "closed forms: gradient global 2/N^2, local 4/N^2, product 2/N; both fields "
        "(Tr F^-1) global inf (not estimable), local 8/N^2, product 4/N"])


@styled
def plot(data: GradientData,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, np.ndarray]:
    """Left: the gradient's bound against N.  Right: both fields, with the global GHZ failing.

    Parameters
    ----------
    data : GradientData
    fig_ax : (Figure, two Axes), optional

    Returns
    -------
    (Figure, numpy.ndarray of two Axes)
    """
    fig, axes = new_axes(fig_ax, ncols=2, figsize=(10.4, 4.6))
    left, right = axes
    paper = is_paper()
    N = data.N.astype(float)
    fine = np.geomspace(N.min(), N.max(), 100)
    closed = {"gradient": {"global": (2 / fine ** 2, r"$2/N^2$"),
                           "local": (4 / fine ** 2, r"$4/N^2$"),
                           "product": (2 / fine, r"$2/N$")},
              "both": {"local": (8 / fine ** 2, r"$8/N^2$"),
                       "product": (4 / fine, r"$4/N$")}}
    for ax, values, lines in ((left, data.gradient, closed["gradient"]),
                              (right, data.both, closed["both"])):
        for key, label, color, marker in PROBES:
            finite = np.isfinite(values[key])
            if key in lines:
                curve, formula = lines[key]
                ax.plot(fine, curve, "-", color=color, lw=1, alpha=0.7)
                label = formula if paper else f"{label}: {formula}"
            if np.any(finite):
                ax.plot(N[finite], values[key][finite], marker, color=color, mec="k", mew=0.5,
                        ls="none", label=label)
        ax.set_xscale("log", base=2)
        ax.set_xticks(N, labels=[f"{n:g}" for n in N])
        ax.set_xticks([], minor=True)
        ax.set_yscale("log")
        ax.set_xlabel("total number of qubits  N" + ("" if paper else "  (N/2 per site)"))
    left.set_ylabel(r"$\mathrm{Var}(\theta)$ bound  $v^TF^{+}v$   [rad$^2$]")
    left.set_title(r"gradient $\theta = (\phi_2-\phi_1)/\sqrt{2}$: entanglement gains 1/2")
    left.legend(loc="lower left", title=None if paper else "points: from the QFIM; lines: "
                "closed forms", title_fontsize=8)
    right.set_ylabel(r"QCRB  Tr$(F^{-1})$ for $\phi_1$ and $\phi_2$   [rad$^2$]")
    right.set_title(r"both $\phi_1$ and $\phi_2$: local GHZ optimal (Theorem 1)")
    missing = ~np.isfinite(data.both["global"])
    if np.any(missing):
        _not_estimable_band(right, N[missing], "global GHZ-like: not estimable (∞)")
    right.legend(loc="lower left")
    fig.suptitle("Magnetic-gradient example: two qubit ensembles, one repeat")
    return fig, axes


def _not_estimable_band(ax, x: np.ndarray, label: str) -> None:
    r"""Mark probes without a finite bound at ``x`` in a hatched band above the data, whose
    y tick reads :math:`\infty`, so that the markers cannot be read as finite values."""
    low, high = ax.get_ylim()
    span = np.log10(high / low)
    top = high * 10 ** (0.28 * span)                 # the band takes the top ~18 % of the axes
    ax.set_ylim(low, top)
    band = blended_transform_factory(ax.transAxes, ax.transData)
    edge = high * 10 ** (0.06 * span)
    ax.fill_between([0, 1], edge, top, transform=band, facecolor="0.93", edgecolor="0.75",
                    hatch="///", lw=0, zorder=0)
    ax.axhline(edge, color="0.5", lw=0.6)
    middle = edge * (top / edge) ** 0.5
    ax.plot(x, np.full(len(x), middle), "v", color=COLOURS["entangled"], mec="k", mew=0.5,
            ls="none", label=label, zorder=3)
    ticks = [t for t in ax.get_yticks() if low <= t <= high]
    ax.set_yticks([*ticks, middle], labels=[*(f"$10^{{{np.log10(t):.0f}}}$" for t in ticks),
                                            "∞"])
    ax.set_yticks([], minor=True)
