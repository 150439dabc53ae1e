r"""Simulated experiments approach the QCRB: the gradient probe with parity readout, and the
separable probe with local readout.

Two qubit ensembles of n qubits, the gradient :math:`\theta = (\phi_2-\phi_1)/\sqrt2`.  For
each number of repeats :math:`\mu`, T seeded trials of :math:`\mu` shots each are simulated
(:func:`~qsn_qutip.measurement.simulate`: multinomial counts, maximum-likelihood estimates in
a local bracket), and :math:`\mu\,\mathrm{Var}(\hat\theta)` is plotted against :math:`\mu`:

* the GHZ-like probe :math:`\propto|{\downarrow}^n{\uparrow}^n\rangle+|{\uparrow}^n{\downarrow}^n\rangle`
  with the two-outcome parity readout.  Its QFIM is singular (only :math:`\theta` is encoded),
  so the model is parametrised by :math:`\theta` alone, with the single generator
  :math:`\sum_kv_k\hat H_k`; its QCRB is :math:`1/(2n^2\mu)`;
* the local GHZ probe (the Theorem 1 separable counterpart of the GHZ-like one) with local
  :math:`\hat J_x` readout on each site: both :math:`\phi_1,\phi_2` are estimated and
  :math:`\hat\theta = v^T\hat\phi`; its QCRB is :math:`v^TF^{-1}v/\mu = 1/(n^2\mu)`.

Both readouts saturate their probe's QCRB (CRB = QCRB), so :math:`\mu\,\mathrm{Var}` falls onto
the QCRB line as :math:`\mu` grows: the factor 1/2 of entanglement is attainable in practice.
At small :math:`\mu` the estimates are confined to the bracket (biased), and the variance is not
bounded by the CRB; the mean squared error is shown too.
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
from ..measurement import local_readout, parity, simulate
from ..network import Network
from ..options import tolerances
from ..sensors import QubitEnsemble
from .output import write_csv
from .style import is_paper, new_axes, plain_log_ticks, styled

__all__ = ["SaturationData", "GRADIENT", "PROBES", "compute", "to_csv", "plot"]

#: :math:`v` of the gradient :math:`\theta = (\phi_2-\phi_1)/\sqrt2`
GRADIENT = np.array([-1.0, 1.0]) / np.sqrt(2)
#: the probes, in plotting order: (key, legend label, colour, marker)
PROBES = (("ghz", "GHZ-like probe, parity readout", "C3", "o"),
          ("separable", "local GHZ probe, local $J_x$ readout", "C0", "s"))


@dataclasses.dataclass(frozen=True)
class SaturationData:
    r"""Simulated estimator variances against the number of repeats.

    Attributes
    ----------
    repeats : numpy.ndarray of int
        :math:`\mu`, one entry per point.
    trials : int
        T, trials per point.
    n : int
        Qubits per site.
    estimator : str
    variance : dict of str to numpy.ndarray
        :math:`\mu\,\mathrm{Var}(\hat\theta)` of each probe (``"ghz"``, ``"separable"``).
    mse : dict of str to numpy.ndarray
        :math:`\mu\,\overline{(\hat\theta-\theta)^2}`.
    at_edge : dict of str to numpy.ndarray
        Fraction of trials whose estimate sits on the bracket's edge.
    qcrb, crb : dict of str to float
        :math:`\mu` times the QCRB and the CRB of the readout (independent of :math:`\mu`).
    relative_error : float
        :math:`\sqrt{2/(T-1)}`, the 1-sigma relative error of each variance.
    theta : dict of str to float
        The true value of :math:`\theta`.
    """

    repeats: np.ndarray
    trials: int
    n: int
    estimator: str
    variance: dict[str, np.ndarray]
    mse: dict[str, np.ndarray]
    at_edge: dict[str, np.ndarray]
    qcrb: dict[str, float]
    crb: dict[str, float]
    relative_error: float
    theta: dict[str, float]


def compute(n: int = 4, repeats: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            trials: int = 2000, seed: int = 11, estimator: str = "mle") -> SaturationData:
    """Simulate both probes for every number of repeats.

    Parameters
    ----------
    n : int
        Qubits per site (N = 2n).
    repeats : sequence of int
        The values of :math:`\\mu`.
    trials : int
        Trials per point (T >= 2).
    seed : int
        Point j of probe k uses seed ``seed + 1000 k + j``.
    estimator : {"mle", "bayes"}

    Returns
    -------
    SaturationData

    Examples
    --------
    >>> data = compute(n=2, repeats=(100,), trials=200)
    >>> round(data.qcrb["ghz"] / data.qcrb["separable"], 12)
    0.5
    """
    n = as_positive_int(n, "n")
    mus = [as_positive_int(m, f"repeats[{k}]") for k, m in enumerate(repeats)]
    if not mus:
        raise QSNError("repeats must list at least one number of repeats")
    trials = as_positive_int(trials, "trials", minimum=2)
    network = Network([QubitEnsemble(n), QubitEnsemble(n)])
    v = GRADIENT
    # GHZ-like probe: theta alone, generator v . H (phi = theta v)
    theta_generator = sum(vk * g for vk, g in zip(v, network.generators))
    spread = n * np.abs(v).sum()             # lambda_max - lambda_min of v . H
    theta_true = np.pi / (2 * spread)
    # separable probe: phi_k = pi / (2 n), the middle of the monotone region of each site
    phi_true = np.full(2, np.pi / (2 * n))
    setups = {
        "ghz": (states.ghz_like(network, v), [theta_generator], parity(network),
                np.array([theta_true]), np.array([1.0])),
        "separable": (states.local_ghz(network), network.local_generators,
                      local_readout(network), phi_true, v),
    }
    variance = {key: [] for key in setups}
    mse = {key: [] for key in setups}
    edge = {key: [] for key in setups}
    qcrb, crb, theta = {}, {}, {}
    for k, (key, (state, gens, povm, truth, direction)) in enumerate(setups.items()):
        for j, mu in enumerate(mus):
            result = simulate(state, gens, povm, truth, repeats=mu, trials=trials,
                              estimator=estimator, seed=seed + 1000 * k + j)
            variance[key].append(mu * float(direction @ result.covariance @ direction))
            mse[key].append(mu * float(direction @ result.mse @ direction))
            edge[key].append(result.at_edge)
        qcrb[key] = mu * float(direction @ result.qcrb @ direction)
        crb[key] = mu * float(direction @ result.crb @ direction)
        theta[key] = float(direction @ truth)
    return SaturationData(np.array(mus), trials, n, estimator,
                          {k: np.array(x) for k, x in variance.items()},
                          {k: np.array(x) for k, x in mse.items()},
                          {k: np.array(x) for k, x in edge.items()},
                          qcrb, crb, float(np.sqrt(2 / (trials - 1))), theta)


def to_csv(data: SaturationData, path: str | os.PathLike) -> None:
    """Write one row per number of repeats.

    Parameters
    ----------
    data : SaturationData
    path : path-like
    """
    columns: dict[str, object] = {"repeats": data.repeats}
    for key, *_ in PROBES:
        columns[f"mu_var_{key}"] = data.variance[key]
        columns[f"mu_mse_{key}"] = data.mse[key]
        columns[f"at_edge_{key}"] = data.at_edge[key]
        columns[f"mu_qcrb_{key}"] = np.full(len(data.repeats), data.qcrb[key])
        columns[f"mu_crb_{key}"] = np.full(len(data.repeats), data.crb[key])
    write_csv(path, columns, comments=[
        f"saturation: gradient theta = (phi_2 - phi_1)/sqrt2 on two ensembles of "
        f"{data.n} qubits; {data.trials} trials per point, estimator {data.estimator}",
        f"mu * Var(theta_hat) against mu; closed forms mu*QCRB: ghz 1/(2n^2) = "
        f"{1 / (2 * data.n ** 2):g}, separable 1/n^2 = {1 / data.n ** 2:g}; relative "
        f"statistical error of each variance sqrt(2/(T-1)) = {data.relative_error:.4g}"])


@styled
def plot(data: SaturationData,
         fig_ax: tuple[Figure, object] | None = None) -> tuple[Figure, np.ndarray]:
    """Left: :math:`\\mu\\,\\mathrm{Var}(\\hat\\theta)` against :math:`\\mu` with the bounds.
    Right: the variance over the QCRB, with the statistical band.

    A point with more than ``tolerances.edge_flag`` of its estimates on the edge of the
    estimator's bracket is drawn hollow and counted in the legend ("bracket-limited"): its
    variance is set by the bracket (the estimates are biased), not bounded by the CRB.

    Parameters
    ----------
    data : SaturationData
    fig_ax : (Figure, two Axes), optional

    Returns
    -------
    (Figure, numpy.ndarray of two Axes)
    """
    fig, axes = new_axes(fig_ax, ncols=2, figsize=(10.4, 4.8))
    left, right = axes
    paper = is_paper()
    mu = data.repeats.astype(float)
    span = np.array([mu.min() / 1.5, mu.max() * 1.5])
    ms = 3.5 if paper else 5
    bar = dict(mec="k", mew=0.5, ms=ms, capsize=1.5 if paper else 2, ls="none")
    handles = []
    flagged = 0
    for key, label, color, marker in PROBES:
        var = data.variance[key]
        edge = data.at_edge[key] > tolerances.edge_flag
        flagged += int(edge.sum())
        for ax, values in ((left, var), (right, var / data.qcrb[key])):
            for mask, face in ((~edge, color), (edge, "white")):
                if np.any(mask):
                    h = ax.errorbar(mu[mask], values[mask],
                                    yerr=data.relative_error * values[mask], fmt=marker,
                                    color=color, mfc=face, **bar,
                                    label=(label if paper or ax is right else
                                           f"{label}: variance") if face == color else None)
                    if ax is left and face == color:
                        handles.append(h)
        if not paper:
            handles += left.plot(mu, data.mse[key], marker, color=color, mfc="none", ms=8,
                                 lw=0, label="    mean squared error")
        handles += left.plot(span, [data.qcrb[key]] * 2, "-", color=color, lw=1.0,
                             label=f"{'QCRB' if paper else '    QCRB'} {data.qcrb[key]:.4g}")
        left.plot(span, [data.crb[key]] * 2, "--", color="k", lw=0.8, alpha=0.6)
    handles += left.plot([], [], "--", color="k", lw=0.8, alpha=0.6,
                         label="CRB of the readout (= QCRB)")
    if flagged:
        handles += left.plot([], [], "o", mfc="white", mec="0.3", ms=ms, ls="none",
                             label=f"hollow: > {100 * tolerances.edge_flag:g}% of the "
                                   f"estimates at the bracket edge ({flagged})")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlim(*span)
        ax.set_xlabel(r"repeats per trial  $\mu$")
        plain_log_ticks(ax)
    left.set_yscale("log")
    plain_log_ticks(left)
    left.set_ylabel(r"$\mu\,\mathrm{Var}(\hat\theta)$   [rad$^2$]")
    left.set_title(f"estimates reach the QCRB ({data.trials} trials per point)")
    band = 2 * data.relative_error
    right.axhspan(1 - band, 1 + band, color="0.85", alpha=0.7, lw=0,
                  label=r"$\pm2\sigma$ statistical band" if paper else
                  r"$\pm2\sigma$ statistical band, $\sigma=\sqrt{2/(T-1)}$")
    right.axhline(1.0, color="k", lw=1)
    right.set_ylabel(r"$\mathrm{Var}(\hat\theta)$ / QCRB")
    right.set_title("ratio to the QCRB: 1 is attained as $\\mu$ grows")
    right.legend(loc="upper right", fontsize=None if paper else 7.5)
    fig.legend(handles=handles, loc="outside lower center", ncols=3,
               fontsize=None if paper else 7.5)
    fig.suptitle(f"Saturating the QCRB: gradient $\\theta=(\\phi_2-\\phi_1)/\\sqrt{{2}}$, "
                 f"{data.n} + {data.n} qubits, {data.estimator.upper()} estimates")
    return fig, axes
