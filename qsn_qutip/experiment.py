r"""Simulated experiments for one probe of a network on one task (``qsn simulate``).

:func:`simulate_task` builds a probe by name (:func:`~qsn_qutip.probes.build_probe`) or takes
the user's state, picks its default measurement
(:func:`~qsn_qutip.probes.default_measurement`: GHZ parity for the GHZ-like probes, local
readout otherwise), parametrises a singular QFIM by its range (the function theta alone for a
GHZ-like probe), and runs :func:`~qsn_qutip.measurement.simulate`.  It sits above the
measurement layer and the probe registry it takes the probes and their readouts from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import qutip

from .errors import QSNError
from ._checks import as_positive_int
from .estimation.qfim import qfim
from .measurement import SimulationResult, simulate
from .measurement.estimators import check_seed, eigenvalue_spread
from .network import Network, check_network
from .options import tolerances
from .probes import PARITY_PROBES, Task, build_probe, default_measurement

__all__ = ["TaskSimulation", "simulate_task", "PARITY_PROBES"]


@dataclasses.dataclass(frozen=True)
class TaskSimulation:
    r"""A simulated experiment for one probe of a network and one task.

    The task's figure of merit is :math:`\mathrm{Var}(\hat\theta)` for :math:`\theta = v^T\phi`
    (with :math:`\hat\theta = v^T\hat\phi`), or :math:`\sum_kW_{kk}\mathrm{Var}(\hat\phi_k)`.
    When the probe's QFIM is singular (GHZ-like probes) the estimated parameters are
    coordinates :math:`\alpha` on the range of the QFIM, :math:`\phi = B\alpha` (B has
    orthonormal columns; for a GHZ-like probe one column :math:`\pm v/\|v\|`), and
    :math:`\hat\theta = v^TB\hat\alpha`.

    Attributes
    ----------
    probe : str
    measurement : str
    network : Network
        The network the probe lives on (reallocated for ``optimal-*`` probes).
    v, weights : numpy.ndarray or None
        The task.
    basis : numpy.ndarray
        B (d x r): the estimated directions (the identity when the QFIM is invertible).
    result : SimulationResult
        The simulation of the r parameters :math:`\alpha`.
    variance : float
        The figure of merit of the estimates.
    qcrb : float
        Its QCRB (:math:`v^TF^{+}v/\mu`, or :math:`\sum W_{kk}[F^{-1}]_{kk}/\mu`).
    crb : float
        The same bound from the measurement's CFIM.
    """

    probe: str
    measurement: str
    network: Network
    v: np.ndarray | None
    weights: np.ndarray | None
    basis: np.ndarray
    result: SimulationResult
    variance: float
    qcrb: float
    crb: float

    @property
    def relative_error(self) -> float:
        r"""The 1-sigma relative statistical error of ``variance``, :math:`\sqrt{2/(T-1)}`."""
        return self.result.relative_error

    @property
    def truth(self) -> float | np.ndarray:
        """The true value of theta (function task) or of phi (weighted task)."""
        phi = self.basis @ self.result.phi_true
        return float(self.v @ phi) if self.v is not None else phi

    @property
    def estimate_mean(self) -> float | np.ndarray:
        """Mean of the estimates of theta (or of phi)."""
        phi = self.basis @ self.result.mean
        return float(self.v @ phi) if self.v is not None else phi

    def to_dict(self) -> dict:
        """A JSON-ready summary (plain floats and lists)."""
        res = self.result
        return {"probe": self.probe, "measurement": self.measurement,
                "task": {"function": None if self.v is None else self.v.tolist(),
                         "weights": None if self.weights is None else self.weights.tolist()},
                "repeats": res.repeats, "trials": res.trials, "estimator": res.estimator,
                "seed": res.seed,
                "parameters": "phi" if self.basis.shape[1] == self.basis.shape[0] and np.allclose(
                    self.basis, np.eye(self.basis.shape[0])) else "range of the QFIM",
                "truth": _plain(self.truth), "mean": _plain(self.estimate_mean),
                "variance": float(self.variance), "qcrb": float(self.qcrb),
                "crb": float(self.crb), "ratio_to_qcrb": float(self.variance / self.qcrb),
                "relative_error": self.relative_error,
                "at_bracket_edge": res.at_edge}

    def __str__(self) -> str:
        res = self.result
        what = "Var(theta)" if self.v is not None else "sum_k W_kk Var(phi_k)"
        if self.v is not None:
            values = (f"true theta {self.truth:.6g}, mean estimate {self.estimate_mean:.6g} "
                      f"(standard error {np.sqrt(self.variance / res.trials):.2g})")
        else:
            values = (f"true phi {np.round(self.truth, 6).tolist()}, mean estimate "
                      f"{np.round(self.estimate_mean, 6).tolist()}")
        lines = [f"probe {self.probe}, measurement: {self.measurement}",
                 f"mu = {res.repeats} repeats per trial, T = {res.trials} trials, estimator "
                 f"{res.estimator}, seed {res.seed}",
                 values,
                 f"{what:<24} {self.variance:.6g}  (+- {100 * self.relative_error:.1f}% "
                 f"statistical, 1 sigma)",
                 f"{'QCRB':<24} {self.qcrb:.6g}  ratio {self.variance / self.qcrb:.4g}",
                 f"{'CRB of the measurement':<24} {self.crb:.6g}  ratio "
                 f"{self.variance / self.crb:.4g}"]
        if res.at_edge > 0:
            lines.append(f"note: {100 * res.at_edge:.1f}% of the estimates sit on the edge of "
                         f"the bracket (too few repeats for the local regime)")
        return "\n".join(lines)


def _plain(value) -> float | list[float]:
    """A float, or a list of floats, for JSON."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float).tolist()


def _probe_state(network: Network, probe, v, direction) -> tuple[str, qutip.Qobj, Network]:
    """(name, state, network) of a built-in probe name or a (name, state) pair."""
    if isinstance(probe, tuple) and len(probe) == 2 and isinstance(probe[1], qutip.Qobj):
        return str(probe[0]), network.check(probe[1], f"probe ({probe[0]})"), network
    if not isinstance(probe, str):
        raise QSNError(f"probe must be a built-in probe name or a (name, Qobj) pair, got "
                       f"{probe!r}")
    if probe == "time-shared":
        default_measurement(network, probe)            # raises the explanation
    try:
        state, net = build_probe(probe, network, None if v is None else np.asarray(v, float),
                                 direction)
    except QSNError as err:
        raise QSNError(f"{probe}: {err}") from None
    return probe, state, net


def simulate_task(network: Network, probe, *, v: Sequence[float] | None = None,
                  weights: Sequence[float] | None = None, repeats: int = 1, trials: int = 200,
                  estimator: str = "mle", seed: int | None = None,
                  povm=None) -> TaskSimulation:
    r"""Simulate the estimation of a task with one probe of a network and its default measurement.

    The probe is a built-in name (``"ghz"``, ``"optimal-ghz"``, ``"local-ghz"``, ``"product"``,
    ``"optimal-separable"``) or a ``(name, state)`` pair; the measurement is
    :func:`default_measurement` unless ``povm`` is given.  The truth is
    :math:`\alpha_j = \pi/(2\Delta_j)` for every estimated coordinate (:math:`\Delta_j` the
    spread of its generator): the middle of a monotone region of a parity signal.  When the
    QFIM is singular, the estimated coordinates are those of its range (:class:`TaskSimulation`);
    a weighted task then fails (not every parameter is estimable).

    Parameters
    ----------
    network : Network
    probe : str or (str, Qobj)
    v : sequence of float, optional
        The function :math:`\theta = v^T\phi` (used as given).
    weights : sequence of float, optional
        Diagonal weights for estimating all parameters (default all ones when v is None).
    repeats, trials, estimator, seed
        As for :func:`simulate`.
    povm : POVM or list of Qobj, optional

    Returns
    -------
    TaskSimulation

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    >>> sim = simulate_task(net, "ghz", v=np.array([-1, 1]) / np.sqrt(2), repeats=50,
    ...                     trials=100, seed=3)
    >>> sim.measurement, round(sim.qcrb, 12)
    ('parity', 0.0025)
    """
    network = check_network(network)
    check_seed(seed)
    as_positive_int(trials, "trials", minimum=2)
    d = network.n_params
    task = Task(d, v=v, weights=weights, repeats=repeats)
    v, weights, mu = task.v, task.weights, task.repeats
    name, state, net = _probe_state(network, probe, v, task.direction)
    if povm is None:
        povm = default_measurement(net, name if isinstance(probe, str) else None)
    gens = net.generators
    fq = qfim(state, net.local_generators)
    bound = task.bound(fq)                   # inf when v is not in the range of the QFIM
    lam, vecs = np.linalg.eigh(fq)
    kept = lam > tolerances.rank_rtol * max(lam[-1], 0.0)
    if np.all(kept):
        basis = np.eye(d)
    else:
        basis = vecs[:, kept]
        if v is None or not np.isfinite(bound):
            raise QSNError(f"the QFIM of {name} is singular and the task is not in its range: "
                           f"not estimable with this probe")
    coordinates = [sum(float(basis[k, j]) * gens[k] for k in range(d) if basis[k, j] != 0)
                   for j in range(basis.shape[1])]
    truth = np.array([np.pi / (2 * eigenvalue_spread(g)) for g in coordinates])
    result = simulate(state, coordinates, povm, truth, repeats=mu, trials=trials,
                      estimator=estimator, seed=seed)
    cov = basis @ result.covariance @ basis.T
    fc_inv = basis @ np.linalg.inv(result.cfim) @ basis.T / mu
    if v is not None:
        variance = float(v @ cov @ v)
        crb = float(v @ fc_inv @ v)
    else:
        variance = float(weights @ np.diag(cov))
        crb = float(weights @ np.diag(fc_inv))
    return TaskSimulation(name, povm.name, net, v, weights, basis, result, variance, bound, crb)
