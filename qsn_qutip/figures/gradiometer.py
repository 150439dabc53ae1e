r"""A two-cell Rb gradiometer in physical units: gradient sensitivity against atom number.

Two 87Rb cells (F = 2) at distance L = 1 cm, n atoms each, estimate
:math:`\partial B_z/\partial x` with the common field as a nuisance parameter; Ramsey time
t = 1 ms, dead time :math:`t_d` = 1 ms per shot, every atom dephasing with
:math:`T_2` = 5 ms.  Left: the sensitivity :math:`\eta = \sigma\sqrt{t+t_d}` (T/m/sqrt(Hz))
against n for the product state (at t = 1 ms and at its best t), a GHZ state in each cell and
the GHZ state across both cells (each at its best t), the best of them, and the noiseless
references at t = 1 ms: the standard quantum limit
:math:`\sqrt{2(t+t_d)/n}/(\gamma tL)` and the Heisenberg limit :math:`\sqrt{t+t_d}/(n\gamma tL)`.
Right: each probe's best interrogation time.

Closed forms (the lines): :math:`\mathrm{Var}(G) = c\,e^{kt/T_2}/(\gamma tL)^2` with
:math:`(c, k) = (2/n, 2)` for the product state, :math:`(2/n^2, 2n)` for a GHZ state per cell
and :math:`(1/n^2, 4n)` for the GHZ state across the cells (one coherence over 2n atoms), and
:math:`\eta^2 = (t+t_d)\mathrm{Var}(G)`, minimised over t.  With the dead time the GHZ
state's best t shrinks as 1/n and its sensitivity stops improving: at 10^4 atoms per cell the
product state wins by far (the closing numbers of the magnetometry issue).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .._checks import as_positive_int
from ..magnetometry import (SPECIES, GradientField, SensorArray, Timing, FieldTask,
                            best_time, compare_field)
from ..network import Network
from ..noise import NoiseModel
from ..sensors import QubitEnsemble
from .output import write_csv
from .style import COLOURS, new_axes, styled

__all__ = ["GradiometerData", "PROBES", "compute", "closed_form", "to_csv", "plot"]

#: the probes, in plotting order: (key, legend label, colour, marker)
PROBES = (("ghz", "GHZ across both cells", COLOURS["entangled"], "o"),
          ("local-ghz", "GHZ in each cell", COLOURS["separable"], "s"),
          ("product", "product state", COLOURS["product"], "^"))
#: (c, k) of Var(G) = c exp(k t / T2) / (gamma t L)^2 for n atoms per cell
_CLOSED = {"ghz": lambda n: (1 / n ** 2, 4 * n), "local-ghz": lambda n: (2 / n ** 2, 2 * n),
           "product": lambda n: (2 / n, 2.0)}


@dataclasses.dataclass(frozen=True)
class GradiometerData:
    """Sensitivities of the gradiometer per number of atoms per cell.

    Attributes
    ----------
    n : numpy.ndarray of int
        Atoms per cell.
    fixed : dict of str to numpy.ndarray
        Each probe's sensitivity (T/m/sqrt(Hz)) at the given t (``inf``: no information).
    best : dict of str to numpy.ndarray
        Each probe's sensitivity at its best t.
    best_time : dict of str to numpy.ndarray
        That t (s).
    best_probe : list of str
        The probe with the least sensitivity at its best t, per n.
    sql, heisenberg : numpy.ndarray
        The noiseless references at t.
    t, dead_time, T2, L, gamma : float
        s, s, s, m, rad s^-1 T^-1.
    """

    n: np.ndarray
    fixed: dict[str, np.ndarray]
    best: dict[str, np.ndarray]
    best_time: dict[str, np.ndarray]
    best_probe: list[str]
    sql: np.ndarray
    heisenberg: np.ndarray
    t: float
    dead_time: float
    T2: float
    L: float
    gamma: float


def _task(n: int, L: float, species: str) -> FieldTask:
    network = Network([QubitEnsemble(n, name="cell A"), QubitEnsemble(n, name="cell B")])
    array = SensorArray(network, [[-L / 2, 0, 0], [L / 2, 0, 0]], species=species)
    return FieldTask(array, GradientField(), estimate=["dBz/dx"])


def compute(n_values: Sequence[int] = (1, 2, 4, 8, 16, 32, 64, 128), t: float = 1e-3,
            dead_time: float = 1e-3, T2: float = 5e-3, L: float = 0.01,
            species: str = "87Rb F=2") -> GradiometerData:
    """Compare the probes for every number n of atoms per cell (:func:`compare_field`).

    Examples
    --------
    >>> data = compute(n_values=(2, 4))
    >>> data.best_probe
    ['product', 'product']
    >>> round(float(data.best_time["product"][0] * 1e3), 4)       # ms, independent of n
    3.1085
    """
    ns = [as_positive_int(n, f"n_values[{k}]") for k, n in enumerate(n_values)]
    names = [key for key, *_ in PROBES]
    noise = NoiseModel(dephasing=1 / T2)
    fixed, best, times = ({key: [] for key in names} for _ in range(3))
    sql, heisenberg, winners = [], [], []
    for n in ns:
        task = _task(n, L, species)
        at_t = compare_field(task, Timing(t=t, dead_time=dead_time), names, noise=noise)
        free = compare_field(task, Timing(dead_time=dead_time), names, noise=noise)
        gradient, optimal = at_t["dBz/dx"], free["dBz/dx"]
        for key in names:
            fixed[key].append(gradient[key].sensitivity)
            best[key].append(optimal[key].sensitivity)
            times[key].append(optimal[key].time)
        winners.append(min(names, key=lambda key: optimal[key].sensitivity))
        sql.append(gradient.sql)
        heisenberg.append(gradient.heisenberg)
    arrays = lambda d: {k: np.array(v, dtype=float) for k, v in d.items()}  # noqa: E731
    return GradiometerData(np.array(ns), arrays(fixed), arrays(best), arrays(times), winners,
                           np.array(sql), np.array(heisenberg), t, dead_time, T2, L,
                           abs(SPECIES[species].gamma) if species in SPECIES else math.nan)


def closed_form(probe: str, n: float, t: float | None, data: GradiometerData) -> tuple[float,
                                                                                       float]:
    r"""(sensitivity, t) of ``probe`` with n atoms per cell from the closed form, at ``t`` or
    (``t=None``) at the best t."""
    c, k = _CLOSED[probe](n)
    scale = (data.gamma * data.L) ** 2

    def eta2(time: float) -> float:
        exponent = k * time / data.T2
        return math.inf if exponent > 700 else (
            (time + data.dead_time) * c * math.exp(exponent) / (scale * time ** 2))

    if t is None:
        t, _ = best_time(eta2, (1e-4 * data.T2 / max(k, 1), 1e2 * data.T2))
    return math.sqrt(eta2(t)), t


def to_csv(data: GradiometerData, path: str | os.PathLike) -> None:
    """One row per n: each probe's sensitivity at t and at its best t, that t, the references."""
    columns: dict[str, object] = {"atoms_per_cell": data.n}
    for key, *_ in PROBES:
        columns[f"eta_{key}_at_t"] = data.fixed[key]
        columns[f"eta_{key}_best"] = data.best[key]
        columns[f"best_t_{key}"] = data.best_time[key]
    columns.update(best_probe=data.best_probe, eta_sql_at_t=data.sql,
                   eta_heisenberg_at_t=data.heisenberg)
    write_csv(path, columns, comments=[
        f"two 87Rb F=2 cells at L = {data.L:g} m: sensitivity eta (T/m/sqrt(Hz)) to dBz/dx, "
        f"Bz a nuisance; t = {data.t:g} s, dead time {data.dead_time:g} s, T2 = {data.T2:g} s",
        "eta = sqrt(Var(G) (t + t_d)); best t in s; inf: no information",
        "closed forms: Var(G) = c exp(k t/T2)/(gamma t L)^2, (c, k) = (2/n, 2) product, "
        "(2/n^2, 2n) GHZ per cell, (1/n^2, 4n) GHZ across the cells",
        "references at t, noiseless: SQL sqrt(2 (t + t_d)/n)/(gamma t L), Heisenberg "
        "sqrt(t + t_d)/(n gamma t L)"])


@styled
def plot(data: GradiometerData,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, np.ndarray]:
    """Left: sensitivity against atoms per cell.  Right: each probe's best time.

    Parameters
    ----------
    data : GradiometerData
    fig_ax : (Figure, two Axes), optional

    Returns
    -------
    (Figure, numpy.ndarray of two Axes)
    """
    fig, axes = new_axes(fig_ax, ncols=2, figsize=(11.0, 4.8))
    left, right = axes
    n = data.n.astype(float)
    fine = np.unique(np.geomspace(1, 10 ** 4, 120).round())
    for key, label, colour, marker in PROBES:
        curve = np.array([closed_form(key, m, None, data) for m in fine])
        left.plot(fine, curve[:, 0], "-", color=colour, lw=1, alpha=0.8)
        left.plot(n, data.best[key], marker, color=colour, mec="k", mew=0.5, ls="none",
                  label=f"{label}, best t")
        right.plot(fine, curve[:, 1] * 1e3, "-", color=colour, lw=1, alpha=0.8)
        right.plot(n, data.best_time[key] * 1e3, marker, color=colour, mec="k", mew=0.5,
                   ls="none", label=label)
    at_t = np.array([closed_form("product", m, data.t, data)[0] for m in fine])
    left.plot(fine, at_t, "--", color=COLOURS["product"], lw=1)
    left.plot(n, data.fixed["product"], "v", color=COLOURS["product"], mfc="none",
              ls="none", label=f"product state, t = {data.t * 1e3:g} ms")
    scale = data.gamma * data.t * data.L
    cycle = math.sqrt(data.t + data.dead_time)
    left.plot(fine, cycle * math.sqrt(2) / (np.sqrt(fine) * scale), ":", color="k", lw=1,
              label="SQL (noiseless, t)")
    left.plot(fine, cycle / (fine * scale), "-.", color="k", lw=1,
              label="Heisenberg limit (noiseless, t)")
    envelope = [data.best[w][i] for i, w in enumerate(data.best_probe)]
    left.plot(n, envelope, "o", mfc="none", mec="k", ms=11, ls="none", label="best probe")
    product, t_product = closed_form("product", 1e4, None, data)
    ghz, t_ghz = closed_form("ghz", 1e4, None, data)
    right.text(0.97, 0.88, f"n = $10^4$, each at its best t:\nproduct {product * 1e9:.3g} "
               f"nT/m/$\\sqrt{{Hz}}$, t* = {t_product * 1e3:.2g} ms\nGHZ across the cells "
               f"{ghz * 1e9:.3g} nT/m/$\\sqrt{{Hz}}$,\nt* = {t_ghz * 1e9:.3g} ns",
               transform=right.transAxes, ha="right", va="top",
               fontsize=matplotlib.rcParams["legend.fontsize"])
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("atoms per cell  n")
    left.set_ylabel(r"sensitivity to $\partial B_z/\partial x$   [T/m/$\sqrt{\mathrm{Hz}}$]")
    left.set_title(f"two Rb cells {data.L * 100:g} cm apart, $T_2$ = {data.T2 * 1e3:g} ms, "
                   f"dead time {data.dead_time * 1e3:g} ms")
    left.legend(loc="lower left", fontsize=7.5, title="points: compare_field; lines: closed "
                "forms", title_fontsize=7.5)
    right.set_ylabel("best Ramsey time  t*   [ms]")
    right.set_title("GHZ states must be read out ever faster")
    right.legend(loc="lower left")
    fig.suptitle("Gradiometer in physical units: entanglement loses to dephasing and dead time")
    return fig, axes
