r"""The magnetic gradient under local dephasing: optimal interrogation times, no gain per unit time.

Two qubit ensembles of n qubits each (N = 2n in all) measure the gradient
:math:`\theta_\omega = (\omega_2-\omega_1)/\sqrt2` of two frequencies: the phases
:math:`\phi_s = \omega_st` accumulate during the interrogation time t while every qubit
dephases at the rate :math:`\gamma` (a qubit's coherence decays as :math:`e^{-\gamma t}`).  With
:math:`F_\phi(t)` the QFIM of the noisy probe (:func:`~qsn_qutip.noise.apply_noise`,
:func:`~qsn_qutip.noise.noisy_qfim`) and :math:`v = (-1, 1)/\sqrt2`, one shot gives
:math:`\mathrm{Var}(\theta_\omega)\ge v^TF_\phi^+v/t^2`, and T/t shots in a total time T give

.. math::
    \mathrm{Var}(\theta_\omega)\,T \ge \frac{v^TF_\phi(t)^+v}{t},

whose inverse, the information per unit time :math:`I(t) = t/(v^TF_\phi(t)^+v)` (units of
:math:`1/\gamma`; :math:`\gamma = 1` sets the unit of time), is plotted.  Closed forms:

* global GHZ-like :math:`\propto|{\downarrow}^n{\uparrow}^n\rangle+|{\uparrow}^n{\downarrow}^n\rangle`:
  its one coherence spans all 2n qubits and decays as :math:`e^{-2n\gamma t}`, so
  :math:`v^TF_\phi^+v = e^{4n\gamma t}/(2n^2)`, :math:`I = 2n^2te^{-4n\gamma t}`, best at
  :math:`t^* = 1/(4n\gamma)`;
* a local GHZ state at each site: :math:`e^{2n\gamma t}/n^2`, :math:`I = n^2te^{-2n\gamma t}`,
  :math:`t^* = 1/(2n\gamma)`;
* the product state: :math:`e^{2\gamma t}/n`, :math:`I = nte^{-2\gamma t}`,
  :math:`t^* = 1/(2\gamma)`;

and all three reach the same :math:`I(t^*) = n/(2e\gamma) = N/(4e\gamma)`: under local
dephasing entanglement gains nothing per unit time, it only shortens the best interrogation
time (Huelga et al., PRL 79, 3865 (1997)).  At a fixed short time the global GHZ-like probe
still wins, by :math:`v^TF^+v` ratios :math:`e^{2n\gamma t}/2` over the local GHZ and
:math:`e^{2(N-1)\gamma t}/N` over the product state, until
:math:`N_\times = \ln2/(\gamma t)` (local GHZ) and :math:`\gamma t = \ln N/(2(N-1))` (product, the
single-ensemble crossover :func:`~qsn_qutip.noise.dephasing_crossover` of N qubits).

Left: :math:`I` against :math:`\gamma t` at fixed n, each probe's optimum found by
:func:`~qsn_qutip.noise.optimal_interrogation_time` marked.  Right: against N, at each probe's
optimal time (one line for all three) and at a fixed :math:`\gamma t`, with the crossover
:math:`N_\times` located in the computed bounds.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from .. import states
from ..errors import QSNError
from .._checks import as_positive_int, as_real_vector
from ..estimation.bounds import function_bound
from ..network import Network
from ..noise import (NoiseModel, apply_noise, gradient_bound, gradient_crossover,
                     gradient_info, gradient_optimal_time, noisy_qfim,
                     optimal_interrogation_time)
from ..sensors import QubitEnsemble
from .output import write_csv
from .style import is_paper, new_axes, plain_log_ticks, styled

__all__ = ["GradientNoiseData", "GRADIENT", "PROBES", "closed_bound", "closed_info",
           "closed_optimal_time", "closed_crossover", "compute", "to_csv", "plot"]

#: :math:`v` of the gradient :math:`\theta = (\phi_2-\phi_1)/\sqrt2`
GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)
#: the probes, in plotting order: (key, legend label, colour, marker)
PROBES = (("global", "global GHZ-like", "C3", "o"),
          ("local", "local GHZ at each site", "C0", "s"),
          ("product", "product state", "C2", "^"))
_KEYS = tuple(key for key, *_ in PROBES)
#: significant digits of this figure's CSV: its optimal times come from a search on a flat
#: maximum, good to about 1e-8 (see :func:`to_csv`)
CSV_DIGITS_OPTIMUM = 6


#: the closed forms live with the noise model (:mod:`qsn_qutip.noise.interrogation`)
closed_bound = gradient_bound
closed_info = gradient_info
closed_optimal_time = gradient_optimal_time
closed_crossover = gradient_crossover
#: the search for every probe's t* runs over [t*/SEARCH_WIDTH, t* SEARCH_WIDTH] around the
#: closed form, on SEARCH_POINTS grid points before the Brent refinement
SEARCH_WIDTH = 4.0
SEARCH_POINTS = 5
#: a t* within this factor of the range's ends is taken as pinned there (the search widens)
SEARCH_EDGE = 1.01


@dataclasses.dataclass(frozen=True)
class GradientNoiseData:
    r"""Information per unit time on the gradient under local dephasing.

    All values are computed from the noisy QFIM (:func:`~qsn_qutip.noise.apply_noise`,
    :func:`~qsn_qutip.noise.noisy_qfim`), for the probes ``"global"``, ``"local"`` and
    ``"product"``.  Times are in the unit set by ``gamma``; information per unit time
    :math:`I = t/(v^TF_\phi^+v)` in time/rad².

    Attributes
    ----------
    gamma : float
        The local dephasing rate :math:`\gamma`.
    n : int
        Qubits per site of the left panel.
    gamma_t : numpy.ndarray
        Left panel: the interrogation times, as :math:`\gamma t`.
    info : dict of str to numpy.ndarray
        Left panel: :math:`I(t)` at ``gamma_t``.
    optimal_time, optimal_info : dict of str to float
        Left panel: :math:`t^*` and :math:`I(t^*)` from
        :func:`~qsn_qutip.noise.optimal_interrogation_time` (``per="time"``).
    N : numpy.ndarray of int
        Right panel: total number of qubits (N/2 per site).
    optimal_time_N, optimal_info_N : dict of str to numpy.ndarray
        Right panel: :math:`t^*` and :math:`I(t^*)` for every N.
    fixed_gamma_t : float
        Right panel: the fixed interrogation time, as :math:`\gamma t`.
    bound_fixed, info_fixed : dict of str to numpy.ndarray
        Right panel: :math:`v^TF_\phi^+v` (one shot, rad²) and :math:`I` at the fixed time.
    crossover : dict of str to float
        ``"local"``, ``"product"``: the N beyond which the global GHZ-like probe's bound at the
        fixed time is worse than that probe's, interpolated linearly in N on
        :math:`\ln` of the ratio of the bounds (exact for ``"local"``, where it is linear);
        ``nan`` when there is no sign change in the range.
    """

    gamma: float
    n: int
    gamma_t: np.ndarray
    info: dict[str, np.ndarray]
    optimal_time: dict[str, float]
    optimal_info: dict[str, float]
    N: np.ndarray
    optimal_time_N: dict[str, np.ndarray]
    optimal_info_N: dict[str, np.ndarray]
    fixed_gamma_t: float
    bound_fixed: dict[str, np.ndarray]
    info_fixed: dict[str, np.ndarray]
    crossover: dict[str, float]


def _probes(n: int) -> tuple[Network, dict]:
    network = Network([QubitEnsemble(n), QubitEnsemble(n)])
    return network, {"global": states.ghz_like(network, GRADIENT),
                     "local": states.local_ghz(network),
                     "product": states.product(network)}


def _bound(psi, network: Network, gamma: float, t: float) -> float:
    noisy = apply_noise(psi, network, NoiseModel(dephasing=gamma, time=t))
    bound = float(function_bound(noisy_qfim(noisy, network), GRADIENT))
    return bound if np.isfinite(bound) else math.inf      # an overflowed QFIM: no information


def _optimum(key: str, psi, network: Network, noise: NoiseModel, n: int, gamma: float):
    """:func:`~qsn_qutip.noise.optimal_interrogation_time` of one probe, its grid placed
    around the closed-form t* (a result on the edge of that range falls back to the default
    search over all times): 18 noisy states per optimum instead of 38."""
    guess = gradient_optimal_time(key, n, gamma)
    t_range = (guess / SEARCH_WIDTH, guess * SEARCH_WIDTH)
    best = optimal_interrogation_time(psi, network, noise, v=GRADIENT, per="time",
                                      t_range=t_range, points=SEARCH_POINTS)
    if not t_range[0] * SEARCH_EDGE < best.time < t_range[1] / SEARCH_EDGE:
        best = optimal_interrogation_time(psi, network, noise, v=GRADIENT, per="time")
    return best


def _crossover(N: np.ndarray, ratio: np.ndarray) -> float:
    """First N where ``ln ratio`` turns from negative to >= 0, linear interpolation in N."""
    log_ratio = np.log(ratio)
    for k in range(len(N) - 1):
        a, b = log_ratio[k], log_ratio[k + 1]
        if a < 0 <= b:
            return float(N[k] + (N[k + 1] - N[k]) * (-a) / (b - a))
    return math.nan


def compute(n: int = 10,
            n_values: Sequence[int] = (1, 2, 3, 5, 8, 12, 18, 25, 35, 50, 70, 100),
            fixed_gamma_t: float = 0.01, gamma: float = 1.0,
            gamma_t: Sequence[float] | None = None) -> GradientNoiseData:
    r"""Evaluate the three probes against the interrogation time and against N.

    Parameters
    ----------
    n : int
        Qubits per site for the scan over the interrogation time.
    n_values : sequence of int
        Qubits per site for the scan over N = 2n (increasing).
    fixed_gamma_t : float
        The fixed interrogation time of the right panel, :math:`\gamma t` (> 0).
    gamma : float
        The local dephasing rate (> 0).
    gamma_t : sequence of float, optional
        Interrogation times :math:`\gamma t` of the left panel; default 41 log-spaced points
        from :math:`10^{-3}` to 3.

    Returns
    -------
    GradientNoiseData

    Examples
    --------
    >>> data = compute(n=2, n_values=(1, 2), gamma_t=(0.1,))
    >>> round(data.optimal_time["global"], 6), round(data.optimal_time["product"], 6)
    (0.125, 0.5)
    """
    n = as_positive_int(n, "n")
    ns = [as_positive_int(m, f"n_values[{k}]") for k, m in enumerate(n_values)]
    if not ns or any(b <= a for a, b in zip(ns, ns[1:])):
        raise QSNError(f"n_values must be a non-empty increasing sequence, got {list(n_values)}")
    gamma = float(gamma)
    fixed = float(fixed_gamma_t)
    if not (np.isfinite(gamma) and gamma > 0 and np.isfinite(fixed) and fixed > 0):
        raise QSNError(f"gamma and fixed_gamma_t must be > 0, got {gamma!r}, {fixed_gamma_t!r}")
    grid = (np.geomspace(1e-3, 3.0, 41) if gamma_t is None
            else as_real_vector(gamma_t, "gamma_t"))
    if np.any(grid <= 0):
        raise QSNError(f"gamma_t must be > 0, got {grid}")
    noise = NoiseModel(dephasing=gamma)
    network, probes = _probes(n)
    info, t_opt, i_opt = {}, {}, {}
    for key, psi in probes.items():
        info[key] = np.array([(x / gamma) / _bound(psi, network, gamma, x / gamma)
                              for x in grid])
        best = _optimum(key, psi, network, noise, n, gamma)
        t_opt[key], i_opt[key] = best.time, best.value

    t_opt_N = {key: [] for key in _KEYS}
    i_opt_N = {key: [] for key in _KEYS}
    bound_fixed = {key: [] for key in _KEYS}
    t_fixed = fixed / gamma
    for m in ns:
        network, probes = _probes(m)
        for key, psi in probes.items():
            best = _optimum(key, psi, network, noise, m, gamma)
            t_opt_N[key].append(best.time)
            i_opt_N[key].append(best.value)
            bound_fixed[key].append(_bound(psi, network, gamma, t_fixed))
    N = 2 * np.array(ns)
    bound_fixed = {k: np.array(v) for k, v in bound_fixed.items()}
    crossover = {other: _crossover(N, bound_fixed["global"] / bound_fixed[other])
                 for other in ("local", "product")}
    return GradientNoiseData(
        gamma=gamma, n=n, gamma_t=grid, info=info, optimal_time=t_opt, optimal_info=i_opt,
        N=N, optimal_time_N={k: np.array(v) for k, v in t_opt_N.items()},
        optimal_info_N={k: np.array(v) for k, v in i_opt_N.items()},
        fixed_gamma_t=fixed, bound_fixed=bound_fixed,
        info_fixed={k: t_fixed / v for k, v in bound_fixed.items()}, crossover=crossover)


def to_csv(data: GradientNoiseData, path: str | os.PathLike) -> None:
    """Write one row per (series, probe, point), long format.

    ``series`` is ``time-scan`` (left panel), ``time-optimum`` (its marked optima),
    ``N-optimum`` and ``N-fixed-time`` (right panel).

    Parameters
    ----------
    data : GradientNoiseData
    path : path-like
    """
    rows: list[tuple] = []
    for key in _KEYS:
        for x, value in zip(data.gamma_t, data.info[key]):
            rows.append(("time-scan", key, 2 * data.n, x, value, x / data.gamma / value))
        t = data.optimal_time[key]
        rows.append(("time-optimum", key, 2 * data.n, data.gamma * t, data.optimal_info[key],
                     t / data.optimal_info[key]))
    for key in _KEYS:
        for N, t, value in zip(data.N, data.optimal_time_N[key], data.optimal_info_N[key]):
            rows.append(("N-optimum", key, N, data.gamma * t, value, t / value))
    for key in _KEYS:
        for N, bound, value in zip(data.N, data.bound_fixed[key], data.info_fixed[key]):
            rows.append(("N-fixed-time", key, N, data.fixed_gamma_t, value, bound))
    names = ("series", "probe", "N", "gamma_t", "info_per_time", "phase_bound")
    columns = {name: [row[k] for row in rows] for k, name in enumerate(names)}
    cross = "; ".join(
        f"{k}: N = {v:.6g}" if np.isfinite(v) else f"{k}: not within N = {data.N.min()}.."
        f"{data.N.max()}" for k, v in data.crossover.items())
    closed = "; ".join(f"{k}: {closed_crossover(k, data.fixed_gamma_t):.6g}"
                       for k in data.crossover)
    write_csv(path, columns, comments=[
        "gradient-noise: theta = (omega_2 - omega_1)/sqrt2 on two qubit ensembles of N/2 "
        f"qubits, local dephasing gamma = {data.gamma:g} (coherence exp(-gamma t))",
        "phase_bound = v^T F_phi(t)^+ v (one shot, rad^2); info_per_time = t / phase_bound = "
        "1/(T Var(theta)) for T/t shots in a total time T",
        "closed forms (n = N/2): phase_bound global exp(4 n gamma t)/(2 n^2), local "
        "exp(2 n gamma t)/n^2, product exp(2 gamma t)/n; optimal gamma t* = 1/(4n), 1/(2n), "
        "1/2; info at t* = n/(2 e gamma) for all three",
        f"fixed gamma t = {data.fixed_gamma_t:g}: the global GHZ-like bound is worse than the "
        f"other probe's beyond (interpolated) {cross}",
        f"closed forms of those N: local ln2/(gamma t), product the root of gamma t = "
        f"ln N/(2(N-1)): {closed}",
        "the optimal times t* come from a search on a flat maximum, good to about 1e-8: the "
        "numbers are written to 6 digits, so that a change in the last bits of the QFIM rarely "
        "rewrites the file"], digits=CSV_DIGITS_OPTIMUM)


@styled
def plot(data: GradientNoiseData,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, np.ndarray]:
    """Left: information per unit time against :math:`\\gamma t`.  Right: against N.

    Parameters
    ----------
    data : GradientNoiseData
    fig_ax : (Figure, two Axes), optional

    Returns
    -------
    (Figure, numpy.ndarray of two Axes)
    """
    fig, axes = new_axes(fig_ax, ncols=2, figsize=(11.6, 5.8))
    left, right = axes
    paper = is_paper()
    pa, pb = ("(a)", "(b)") if paper else ("left:", "right:")     # legend entries' panel
    k = 0.55 if paper else 1.0                                      # marker scale
    g, n = data.gamma, data.n
    formulas = {"global": r"$2n^2t\,e^{-4n\gamma t}$", "local": r"$n^2t\,e^{-2n\gamma t}$",
                "product": r"$nt\,e^{-2\gamma t}$"}
    optima = {"global": r"$1/(4n)$", "local": r"$1/(2n)$", "product": r"$1/2$"}

    # left: against the interrogation time, information in units of 1/gamma
    x = data.gamma_t
    fine = np.geomspace(min(x.min(), g * min(data.optimal_time.values())) / 1.5,
                        max(x.max(), g * max(data.optimal_time.values())) * 1.5, 300)
    peak = n / (2 * math.e)
    left.axhline(peak, color="k", ls="--", lw=1,
                 label=rf"{pa} maximum $n/(2e\gamma)$" if paper else
                 rf"{pa} $n/(2e\gamma)$ = {peak:.3g}: the maximum of all three")
    for key, label, color, marker in PROBES:
        left.plot(fine, g * closed_info(key, n, g, fine / g), "-", color=color, lw=1,
                  alpha=0.7)
        left.plot(x, g * data.info[key], marker, color=color, mec="k", mew=0.4, ms=4.5 * k,
                  ls="none", label=f"{label}: {formulas[key]}")
        xs = g * data.optimal_time[key]
        left.axvline(xs, color=color, ls=":", lw=1.2)
        left.plot(xs, g * data.optimal_info[key], "*", color=color, mec="k", mew=0.6, ms=14 * k,
                  zorder=4)
        before = key == "global"                 # keep the two close optima apart
        left.annotate(optima[key] if paper else rf"$\gamma t^*$ = {optima[key]}" + f"\n= {xs:.3g}",
                      xy=(xs, g * data.optimal_info[key]), xytext=(-6 if before else 6, 12),
                      textcoords="offset points", color=color, fontsize=None if paper else 8.5,
                      ha="right" if before else "left")
    left.plot([], [], "*", color="0.6", mec="k", mew=0.6, ms=11 * k,
              label=rf"{pa} optimum $t^*$" if paper else
              rf"{pa} optimum $t^*$ from optimal_interrogation_time")
    left.set_xscale("log")
    left.set_yscale("log")
    marked = [g * t for t in data.optimal_time.values()]
    lo, hi = min(x.min(), *marked), max(x.max(), *marked)
    pad = 1.0 if lo == x.min() and hi == x.max() and lo < hi else 1.5
    left.set_xlim(lo / pad, hi * pad)
    left.set_ylim(peak * 2e-3, peak * 8)
    plain_log_ticks(left)
    left.set_xlabel(r"interrogation time  $\gamma t$")
    left.set_ylabel(r"$t/(v^TF_\phi^{+}v)$   [$\gamma^{-1}$rad$^{-2}$]" if paper else
                    r"information per unit time  $t/(v^TF_\phi^{+}v) = 1/(T\,\mathrm{Var}\,"
                    r"\theta_\omega)$   [$\gamma^{-1}$rad$^{-2}$]")
    left.set_title(f"n = {n} qubits per site (N = {2 * n}): entanglement only shortens $t^*$")

    _right_panel(right, data, paper, k, pb)

    # one legend under both panels, off the data
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside lower center", ncols=3 if paper else 4,
               fontsize=None if paper else 8, title=None if paper else
               "points: from the noisy QFIM; lines: closed forms", title_fontsize=8)
    fig.suptitle(r"Gradient $\theta_\omega = (\omega_2-\omega_1)/\sqrt{2}$ under local "
                 r"dephasing $\gamma$ per qubit ($\gamma$ = 1 sets the unit of time)")
    return fig, axes


def _right_panel(right, data: GradientNoiseData, paper: bool, k: float, pb: str) -> None:
    """The right panel of :func:`plot`: information per unit time against N."""
    g = data.gamma
    N = data.N.astype(float)
    fineN = np.geomspace(N.min(), N.max(), 300)
    right.plot(fineN, fineN / (4 * math.e), "k--", lw=1,
               label=rf"{pb} $N/(4e\gamma)$ at $t^*$" if paper else
               rf"{pb} at each probe's $t^*$: $N/(4e\gamma)$, all three")
    sizes = {"global": 11, "local": 7.5, "product": 4.5}
    for key, label, color, marker in PROBES:
        right.plot(N, g * data.optimal_info_N[key], marker, mfc="none", mec=color,
                   mew=1.3 * k, ms=sizes[key] * k, ls="none")
        t_fixed = data.fixed_gamma_t / g
        right.plot(fineN, g * closed_info(key, fineN / 2, g, t_fixed), "-", color=color,
                   lw=1, alpha=0.7)
        right.plot(N, g * data.info_fixed[key], marker, color=color, mec="k", mew=0.4, ms=5 * k,
                   ls="none")
    right.plot([], [], "o", mfc="none", mec="0.4", mew=1.3 * k, ms=8 * k, ls="none",
               label=rf"{pb} open: at $t^*$" + ("" if paper else " (they coincide)"))
    right.plot([], [], "o", color="0.4", mec="k", mew=0.4, ms=5 * k, ls="none",
               label=rf"{pb} filled: at fixed $\gamma t$ = {data.fixed_gamma_t:g}")
    cross = data.crossover["local"]
    if np.isfinite(cross):
        right.axvline(cross, color="C3", ls=":", lw=1.2)
        right.annotate(rf"$N_\times$ = {cross:.1f}" if paper else
                       rf"$N_\times = \ln2/(\gamma t)$ = {cross:.1f}:" "\nbeyond it, at "
                       rf"$\gamma t$ = {data.fixed_gamma_t:g}," "\nglobal GHZ is worse than local",
                       xy=(cross, 0.03), xycoords=("data", "axes fraction"), xytext=(-5, 0),
                       textcoords="offset points", color="C3", fontsize=None if paper else 8.5,
                       va="bottom",
                       ha="right")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlim(N.min() / 1.15, N.max() * 1.15)
    plain_log_ticks(right)
    right.set_xlabel("total number of qubits  N" + ("" if paper else "  (N/2 per site)"))
    right.set_ylabel(("" if paper else "information per unit time  ")
                     + r"$t/(v^TF_\phi^{+}v)$   [$\gamma^{-1}$rad$^{-2}$]")
    right.set_title(r"no gain per unit time at $t^*$; at fixed $t$ the GHZ edge ends at "
                    r"$N_\times$")
