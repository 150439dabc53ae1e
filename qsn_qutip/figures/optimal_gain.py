r"""The entanglement gain of the best probe under local dephasing, and the limit no probe beats.

Two qubit ensembles of n qubits each (N = 2n in all, each keeping its qubits:
``resources="fixed"``) estimate the gradient :math:`\theta = (\phi_1-\phi_2)/\sqrt2`
(:math:`v = (1, -1)/\sqrt2`) while every qubit dephases for a fixed time, coherence
:math:`\eta = e^{-\gamma t}` per qubit.  For a probe with bound :math:`B = v^TF^{+}v` (one shot,
the QFIM of the state after the noise) the entanglement gain is

.. math::
    g = \frac{B_\mathrm{sep}}{B},

with :math:`B_\mathrm{sep}` the best sensor-separable probe (each sensor optimised alone,
entanglement inside a sensor allowed), so :math:`g > 1` means that entanglement between the
sensors helps.  Panel (a) plots against N:

* the GHZ-type probe of the menu (:func:`~qsn_qutip.probes.build_probe`, here the global
  GHZ-like state :math:`|{\uparrow}^n{\downarrow}^n\rangle+|{\downarrow}^n{\uparrow}^n\rangle`),
  evaluated on the toolkit's noisy-state path (:func:`~qsn_qutip.noise.apply_noise`,
  :func:`~qsn_qutip.noise.noisy_qfim`); closed form :math:`B = e^{4n\gamma t}/(2n^2)`: its
  one coherence spans all 2n qubits, so it gains at small N only;
* the best sensor-separable probe, :math:`g = 1` by definition, and the product state;
* the probe found by :func:`~qsn_qutip.optimize.optimal_probe` (the see-saw over the joint
  Dicke space of the two sensors, never worse than a menu probe);
* the limit, :attr:`~qsn_qutip.optimize.OptimalProbe.max_gain` =
  :math:`B_\mathrm{sep}/B_\mathrm{lim}` (the channel-extension bound: no probe gains more).

Panel (b): the amplitudes :math:`\langle m_1, m_2|\psi\rangle` of the optimised probe for one N,
in the Dicke bases of the two sensors (:math:`m = n/2 - k`, the eigenvalue of
:math:`\hat J_z`).

Every search is seeded and runs with single-threaded BLAS, so a run rewrites the same CSV.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence

import numpy as np
import threadpoolctl
from matplotlib.figure import Figure

from .._checks import as_positive_int
from ..errors import QSNError
from ..estimation.bounds import function_bound
from ..network import Network
from ..noise import NoiseModel, apply_noise, noisy_qfim
from ..optimize import optimal_probe
from ..probes import build_probe
from ..sensors import QubitEnsemble
from .output import write_csv
from .style import COLOURS, is_paper, new_axes, styled

__all__ = ["OptimalGainData", "GRADIENT", "CURVES", "compute", "ghz_closed_form", "to_csv",
           "plot"]

#: :math:`v` of the gradient :math:`\theta = (\phi_1 - \phi_2)/\sqrt2`
GRADIENT = np.array([1.0, -1.0]) / np.sqrt(2)
#: the curves of panel (a), in plotting order: (key, legend label, colour, marker)
CURVES = (("limit", "limit (no probe above)", "k", ""),
          ("optimal", "optimised probe (optimal_probe)", COLOURS["entangled"], "*"),
          ("ghz", "GHZ-type probe (menu)", "C4", "o"),
          ("separable", "best sensor-separable", COLOURS["separable"], "s"),
          ("product", "product state", COLOURS["product"], "^"))
_KEYS = tuple(key for key, *_ in CURVES)


def ghz_closed_form(n: int | np.ndarray, gamma_t: float) -> np.ndarray:
    r"""The GHZ-like probe's bound on the gradient, :math:`e^{4n\gamma t}/(2n^2)`, n per sensor.

    Examples
    --------
    >>> float(ghz_closed_form(1, 0.0))
    0.5
    """
    n = np.asarray(n, dtype=float)
    return np.exp(4 * n * gamma_t) / (2 * n ** 2)


@dataclasses.dataclass(frozen=True)
class OptimalGainData:
    r"""Bounds and gains on the gradient under local dephasing, and one optimised state.

    Attributes
    ----------
    gamma_t : float
        The dephasing :math:`\gamma t` of every qubit (coherence :math:`e^{-\gamma t}`).
    seed : int
        The seed of every search.
    N : numpy.ndarray of int
        Total qubits, N/2 per sensor.
    bounds : dict of str to numpy.ndarray
        One-shot bounds :math:`v^TF^{+}v` (rad²) of ``"limit"``, ``"optimal"``, ``"ghz"``,
        ``"separable"`` and ``"product"``.
    converged : numpy.ndarray of bool
        Whether each search ended at a see-saw fixed point or a stationary point.
    state_N : int
        The N of panel (b).
    m : numpy.ndarray
        The :math:`\hat J_z` eigenvalues :math:`m = n/2 - k` of a sensor, k = 0..n.
    amplitudes : numpy.ndarray
        :math:`\langle m_1, m_2|\psi\rangle` of the optimised probe at ``state_N``, indexed
        ``[k1, k2]``.
    """

    gamma_t: float
    seed: int
    N: np.ndarray
    bounds: dict[str, np.ndarray]
    converged: np.ndarray
    state_N: int
    m: np.ndarray
    amplitudes: np.ndarray

    @property
    def gains(self) -> dict[str, np.ndarray]:
        r"""The gain :math:`B_\mathrm{sep}/B` of every curve (the limit's is the largest
        possible gain)."""
        return {key: self.bounds["separable"] / value for key, value in self.bounds.items()}


def _ghz_bound(network: Network, noise: NoiseModel) -> float:
    """The menu's GHZ-type probe under the noise, on the toolkit's noisy-state path."""
    state, net = build_probe("ghz-type", network, v=GRADIENT)
    return float(function_bound(noisy_qfim(apply_noise(state, net, noise), net), GRADIENT))


def compute(n_values: Sequence[int] = (1, 2, 3, 4, 5, 6), gamma_t: float = 0.1,
            state_n: int | None = None, seed: int = 1, restarts: int = 2) -> OptimalGainData:
    r"""Search the best probe for every n and evaluate the menu's GHZ-type probe beside it.

    Parameters
    ----------
    n_values : sequence of int
        Qubits per sensor (increasing); N = 2n.
    gamma_t : float
        The dephasing :math:`\gamma t` (> 0) of every qubit at the fixed interrogation time.
    state_n : int, optional
        Qubits per sensor of panel (b) (one of ``n_values``); default the largest.
    seed : int
        Seeds the random starts of :func:`~qsn_qutip.optimize.optimal_probe`.
    restarts : int
        Random starts per search, besides the menu probes.

    Returns
    -------
    OptimalGainData

    Examples
    --------
    >>> data = compute(n_values=(1, 2), gamma_t=0.1)
    >>> [round(float(g), 4) for g in data.gains["ghz"]]        # e^0.2 / (e^0.4/2), then N = 4
    [1.6375, 1.3406]
    >>> bool(np.all(data.gains["optimal"] <= data.gains["limit"]))
    True
    """
    ns = [as_positive_int(m, f"n_values[{k}]") for k, m in enumerate(n_values)]
    if not ns or any(b <= a for a, b in zip(ns, ns[1:])):
        raise QSNError(f"n_values must be a non-empty increasing sequence, got {list(n_values)}")
    gamma_t = float(gamma_t)
    if not (math.isfinite(gamma_t) and gamma_t > 0):
        raise QSNError(f"gamma_t must be > 0, got {gamma_t!r}")
    state_n = ns[-1] if state_n is None else as_positive_int(state_n, "state_n")
    if state_n not in ns:
        raise QSNError(f"state_n must be one of n_values {ns}, got {state_n}")
    noise = NoiseModel(dephasing=gamma_t, time=1.0)
    bounds = {key: [] for key in _KEYS}
    converged, amplitudes = [], None
    with threadpoolctl.threadpool_limits(1):      # small matrices: one thread is faster, and
        for n in ns:                              # the same on every machine's core count
            network = Network([QubitEnsemble(n), QubitEnsemble(n)])
            best = optimal_probe(network, v=GRADIENT, noise=noise, resources="fixed",
                                 seed=seed, restarts=restarts)
            for key, value in (("limit", best.limit), ("optimal", best.bound),
                               ("ghz", _ghz_bound(network, noise)),
                               ("separable", best.separable_bound),
                               ("product", best.product_bound)):
                bounds[key].append(value)
            converged.append(best.converged)
            if n == state_n:
                amplitudes = best.dicke_amplitudes
    return OptimalGainData(
        gamma_t=gamma_t, seed=int(seed), N=2 * np.array(ns),
        bounds={key: np.array(value) for key, value in bounds.items()},
        converged=np.array(converged), state_N=2 * state_n,
        m=state_n / 2 - np.arange(state_n + 1), amplitudes=amplitudes)


#: significant digits of this figure's CSV: the optimum's small amplitudes lie in flat
#: directions of the bound and move by about 1e-4 (relative) with the rounding of the machine,
#: while the bounds agree to 1e-9; three digits keep the committed file a fresh run everywhere
CSV_STATE_DIGITS = 3


def to_csv(data: OptimalGainData, path: str | os.PathLike) -> None:
    """Write rows ``gain`` (one per N: the bounds and the gains) then rows ``state`` (one per
    amplitude of panel (b)).

    Parameters
    ----------
    data : OptimalGainData
    path : path-like
    """
    gains = data.gains
    count, size = len(data.N), data.amplitudes.size
    nan = [math.nan] * size
    k1, k2 = np.indices(data.amplitudes.shape)
    columns: dict[str, list] = {
        "series": ["gain"] * count + ["state"] * size,
        "N": [*data.N, *[data.state_N] * size],
        "m1": [math.nan] * count + list(data.m[k1.ravel()]),
        "m2": [math.nan] * count + list(data.m[k2.ravel()]),
    }
    for key in _KEYS:
        columns[f"bound_{key}"] = [*data.bounds[key], *nan]
    for key in ("limit", "optimal", "ghz", "product"):
        columns["max_gain" if key == "limit" else f"gain_{key}"] = [*gains[key], *nan]
    columns["converged"] = [*data.converged, *[""] * size]
    columns["amplitude"] = [math.nan] * count + list(data.amplitudes.ravel())
    write_csv(path, columns, digits=CSV_STATE_DIGITS, comments=[
        "optimal-gain: theta = (phi_1 - phi_2)/sqrt2 on two qubit ensembles of N/2 qubits each "
        f"(resources fixed), local dephasing gamma t = {data.gamma_t:g} per qubit (coherence "
        f"exp(-gamma t)), one shot; searches seeded with {data.seed}",
        "bound_* = v^T F^+ v (rad^2) of the limit (no probe below), the optimised probe "
        "(optimal_probe), the menu's GHZ-type probe (noisy QFIM), the best sensor-separable "
        "probe and the product state; gain_* = bound_separable / bound_*; max_gain = "
        "bound_separable / bound_limit",
        "closed form of the GHZ-type probe: exp(4 n gamma t)/(2 n^2), n = N/2",
        f"rows state: the optimised probe's amplitudes <m1, m2|psi> at N = {data.state_N}, "
        "m = n/2 - k the J_z eigenvalue of each sensor's Dicke state k; the bound is flat in "
        "some directions at the optimum (the small amplitudes barely move it), so another "
        "search path moves them while the bounds agree to about 1e-9"])


@styled
def plot(data: OptimalGainData,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, np.ndarray]:
    """(a) The entanglement gain against N.  (b) The optimised probe's Dicke amplitudes.

    Parameters
    ----------
    data : OptimalGainData
    fig_ax : (Figure, two Axes), optional

    Returns
    -------
    (Figure, numpy.ndarray of two Axes)
    """
    fig, axes = new_axes(fig_ax, ncols=2, figsize=(11.6, 5.2))
    left, right = axes
    paper = is_paper()
    k = 0.6 if paper else 1.0
    gains, N = data.gains, data.N
    top = max(float(np.max(gains["limit"])), float(np.max(gains["ghz"]))) * 1.12
    left.fill_between(N, gains["limit"], top, color="0.88", lw=0,
                      label="no probe reaches" if paper else "beyond the limit: no probe")
    for key, label, colour, marker in CURVES:
        style = {"ls": "--", "lw": 1.2} if key == "limit" else {"ls": "-", "lw": 1.0}
        left.plot(N, gains[key], marker=marker or None, color=colour, mec="k", mew=0.4,
                  ms=(10 if marker == "*" else 5.5) * k, label=label, zorder=3, **style)
    left.axhline(1.0, color="0.5", lw=0.6, zorder=1)
    left.axvline(data.state_N, color="0.5", ls=":", lw=1)
    left.set_xlim(N.min() - 0.5, N.max() + 0.5)
    left.set_ylim(0, top)
    left.set_xticks(N)
    left.set_xlabel("total number of qubits  N" + ("" if paper else "  (N/2 per sensor)"))
    left.set_ylabel(r"gain  $B_\mathrm{sep}/B$" if paper else
                    r"entanglement gain  $B_\mathrm{sep}/B$   (> 1: entanglement helps)")
    left.set_title(rf"gradient, local dephasing $\gamma t$ = {data.gamma_t:g}: GHZ gains at "
                   "small N only")
    if paper:                                     # a column is narrow: under the panels
        fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    else:
        left.legend(loc="lower left", ncols=2, fontsize=8)
    _state_panel(fig, right, data, paper)
    fig.suptitle(r"The best probe for $\theta = (\phi_1-\phi_2)/\sqrt{2}$ on two ensembles "
                 r"under local dephasing, and the limit no probe beats")
    return fig, axes


def _state_panel(fig: Figure, ax, data: OptimalGainData, paper: bool) -> None:
    """Panel (b): the amplitudes as an image over (m1, m2), m increasing upwards/rightwards."""
    a = data.amplitudes.T[::-1, ::-1]                 # rows m2, columns m1, both increasing
    m = data.m[::-1]
    signed = float(a.min()) < -1e-9
    scale = float(np.abs(a).max())
    cmap, low = ("RdBu_r", -scale) if signed else ("viridis", 0.0)
    half = 0.5
    image = ax.imshow(a, origin="lower", cmap=cmap, vmin=low, vmax=scale, aspect="equal",
                      extent=(m[0] - half, m[-1] + half, m[0] - half, m[-1] + half))
    if a.shape[0] <= 9:
        for i, m2 in enumerate(m):
            for j, m1 in enumerate(m):
                value = a[i, j]
                light = abs(value) < 0.6 * scale if not signed else abs(value) > 0.6 * scale
                ax.text(m1, m2, f"{value:.2f}", ha="center", va="center",
                        fontsize=5.5 if paper else 7.5, color="w" if light else "k")
    ax.set_xticks(m)
    ax.set_yticks(m)
    ax.grid(False)
    ax.set_xlabel(r"$m_1$ (sensor 1, $\hat J_z$)")
    ax.set_ylabel(r"$m_2$ (sensor 2, $\hat J_z$)")
    bar = fig.colorbar(image, ax=ax, shrink=0.85, pad=0.02)
    bar.set_label(r"amplitude $\langle m_1, m_2|\psi\rangle$")
    n = data.state_N // 2
    ax.set_title(f"optimised probe, N = {data.state_N} ({n}+{n}): Dicke amplitudes")
