r"""Simulated experiments for one probe of a network on one task (``qsn simulate``).

:func:`simulate_task` builds a probe by name (:func:`~qsn_qutip.probes.build_probe`) or takes
the user's state, applies the noise of the interrogation when a
:class:`~qsn_qutip.noise.NoiseModel` is given (the noisy state is what is measured and
sampled), parametrises a singular QFIM by its range (the function theta alone for a GHZ-like
probe), picks a readout that estimates the task and a true value where it does, and runs
:func:`~qsn_qutip.measurement.simulate`.

The readout.  The candidates, in order of preference: the probe's registered readout
(:func:`~qsn_qutip.probes.default_measurement`: GHZ parity for ``ghz``, local readout for the
others and for a user's state, with the parity first when the user's state has two branches
exchanged by the network parity, as a GHZ-like state does), then the local SLD readout at the
true phases (:func:`~qsn_qutip.measurement.sld_readout`).  Each is judged by the Cramér-Rao
bound of its CFIM (:func:`~qsn_qutip.measurement.cfim`) for the task; the first that saturates
the QCRB is taken, else the one with the smallest bound; when none can estimate the task (a
singular CFIM everywhere), the simulation is refused.

The true value.  Every estimated coordinate is set to :math:`\alpha_j = f\pi/\Delta_j`
(:math:`\Delta_j` the spread of its generator) with :math:`f = 1/2` — the middle of a monotone
region of a parity signal :math:`\cos(\Delta\alpha)` — unless another fraction of
:data:`TRUTH_FRACTIONS` gives a smaller bound (a state whose branches carry a relative phase
has its signal shifted, and :math:`f = 1/2` can be a special point where the readout carries no
information); among equal bounds the steepest signal is taken.

Noise on qubit ensembles.  Local dephasing and decay move a Dicke-basis ensemble out of its
symmetric subspace only for some probes (a GHZ state stays in it, a spin-coherent state does
not).  A noisy state that stays in it is measured on the network's space; one that leaves it is
measured on the full :math:`2^n` space of its ensembles (every qubit read out along x: on these
permutation-invariant states the same information as a collective :math:`\hat J_x`), up to
:data:`MAX_FULL_DIMENSION`, and refused beyond
(:func:`~qsn_qutip.measurement.noisy.measured_state`).  The QCRB is always the exact one of the
noisy state (:func:`~qsn_qutip.noise.noisy_qfim`).

Estimates on the edge of the bracket.  When more than ``tolerances.edge_flag`` of the
estimates sit on the edge of the box the estimator searches (the likelihood peaks outside it:
too few repeats for the local regime), their variance is cut off by the box and says nothing
about the Cramér-Rao bounds: the result says so (:attr:`TaskSimulation.comparable`,
:attr:`TaskSimulation.warning`) and reports no ratio.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import qutip

from .errors import QSNError
from ._checks import as_positive_int, as_real_vector
from ._io import html_table
from .measurement import SimulationResult, parity, simulate, sld_readout
from .measurement.cfim import OutcomeModel, classical_fisher, dense_generators
from .measurement.estimators import check_seed, eigenvalue_spread
from .measurement.noisy import MAX_FULL_DIMENSION, MeasuredState, measured_state
from .measurement.povm import POVM, as_povm
from .network import Network, check_network
from .noise import NoiseModel
from .options import tolerances
from .probes import PARITY_PROBES, Task, build_probe, default_measurement

__all__ = ["TaskSimulation", "simulate_task", "PARITY_PROBES", "TRUTH_FRACTIONS",
           "MAX_FULL_DIMENSION"]

#: the fractions f tried for the true coordinates :math:`\alpha_j = f\pi/\Delta_j`; the first
#: is kept unless another gives a smaller Cramér-Rao bound
TRUTH_FRACTIONS = (0.5, 0.0, 0.25, 0.75, 0.125, 0.375, 0.625, 0.875)


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
        Its QCRB (:math:`v^TF^{+}v/\mu`, or :math:`\sum W_{kk}[F^{-1}]_{kk}/\mu`), of the noisy
        state when there is noise.
    crb : float
        The same bound from the measurement's CFIM (on the state that was sampled).
    noise : NoiseModel or None
        The noise of the interrogation (None: noiseless).
    measured_on : str
        ``""`` when the state was measured on the network's space, else how (the full space of
        the qubits when the noise leaves the symmetric subspace).
    readout_note : str
        Why this readout, when it is not the probe's registered one (``""`` otherwise).
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
    noise: NoiseModel | None = None
    measured_on: str = ""
    readout_note: str = ""

    @property
    def relative_error(self) -> float:
        r"""The 1-sigma relative statistical error of ``variance``, :math:`\sqrt{2/(T-1)}`."""
        return self.result.relative_error

    @property
    def comparable(self) -> bool:
        """True when at most ``tolerances.edge_flag`` of the estimates sit on the edge of
        the bracket: only then is ``variance`` a test of the Cramér-Rao bounds."""
        return self.result.at_edge <= tolerances.edge_flag

    @property
    def warning(self) -> str | None:
        """Why ``variance`` is not compared with the bounds (None when it is)."""
        if self.comparable:
            return None
        return (f"{100 * self.result.at_edge:.1f}% of the estimates sit on the edge of the "
                f"bracket (the likelihood peaks outside it: too few repeats, mu = "
                f"{self.result.repeats}, for the local regime); their variance is cut off by "
                f"the bracket and is no comparison with the Cramer-Rao bounds: use more "
                f"repeats")

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
        """A JSON-ready summary (plain floats and lists); the ratios are None when the
        estimates are not comparable with the bounds (``comparable``, ``warning``)."""
        res = self.result
        ok = self.comparable
        noise = None if self.noise is None else {
            f.name: _plain(getattr(self.noise, f.name)) for f in dataclasses.fields(self.noise)}
        return {"probe": self.probe, "measurement": self.measurement,
                "task": {"function": None if self.v is None else self.v.tolist(),
                         "weights": None if self.weights is None else self.weights.tolist()},
                "noise": noise, "measured_on": self.measured_on or "the network's space",
                "readout_note": self.readout_note or None,
                "repeats": res.repeats, "trials": res.trials, "estimator": res.estimator,
                "seed": res.seed,
                "parameters": "phi" if self.basis.shape[1] == self.basis.shape[0] and np.allclose(
                    self.basis, np.eye(self.basis.shape[0])) else "range of the QFIM",
                "truth": _plain(self.truth), "mean": _plain(self.estimate_mean),
                "variance": float(self.variance), "qcrb": float(self.qcrb),
                "crb": float(self.crb),
                "ratio_to_qcrb": float(self.variance / self.qcrb) if ok else None,
                "ratio_to_crb": float(self.variance / self.crb) if ok else None,
                "relative_error": self.relative_error,
                "at_bracket_edge": res.at_edge, "comparable": ok, "warning": self.warning}

    def __str__(self) -> str:
        res = self.result
        what = "Var(theta)" if self.v is not None else "sum_k W_kk Var(phi_k)"
        if self.v is not None:
            values = (f"true theta {self.truth:.6g}, mean estimate {self.estimate_mean:.6g} "
                      f"(standard error {np.sqrt(self.variance / res.trials):.2g})")
        else:
            values = (f"true phi {np.round(self.truth, 6).tolist()}, mean estimate "
                      f"{np.round(self.estimate_mean, 6).tolist()}")
        lines = [f"probe {self.probe}, measurement: {self.measurement}"]
        if self.readout_note:
            lines.append(f"readout: {self.readout_note}")
        if self.noise is not None:
            lines.append(f"noise: {_describe(self.noise)}; the noisy probe is sampled (phases "
                         f"phi = omega t at t = {self.noise.time:g})")
        if self.measured_on:
            lines.append(f"measured on {self.measured_on}")
        noisy = " (noisy)" if self.noise is not None else ""
        ratio = (lambda bound: f"ratio {self.variance / bound:.4g}") if self.comparable else (
            lambda bound: "no ratio (see the warning)")
        lines += [f"mu = {res.repeats} repeats per trial, T = {res.trials} trials, estimator "
                  f"{res.estimator}, seed {res.seed}",
                  values,
                  f"{what:<24} {self.variance:.6g}  (+- {100 * self.relative_error:.1f}% "
                  f"statistical, 1 sigma)",
                  f"{'QCRB' + noisy:<24} {self.qcrb:.6g}  {ratio(self.qcrb)}",
                  f"{'CRB of the measurement':<24} {self.crb:.6g}  {ratio(self.crb)}"]
        if not self.comparable:
            lines.append(f"warning: {self.warning}")
        elif res.at_edge > 0:
            lines.append(f"note: {100 * res.at_edge:.1f}% of the estimates sit on the edge of "
                         f"the bracket")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The result for Jupyter: the variance against the bounds, no estimates listed."""
        d = self.to_dict()
        what = "Var(θ)" if self.v is not None else "Σ_k W_kk Var(φ_k)"
        rows = [[what, d["variance"], f"± {100 * self.relative_error:.1f} % (1σ)"],
                ["QCRB" + (" (noisy)" if self.noise is not None else ""), d["qcrb"],
                 d["ratio_to_qcrb"]],
                ["CRB of the measurement", d["crb"], d["ratio_to_crb"]]]
        res = self.result
        return html_table(["", "value", "variance / bound"], rows,
                          caption=f"probe {self.probe}, measurement: {self.measurement}",
                          notes=[f"μ = {res.repeats} repeats per trial, T = {res.trials} "
                                 f"trials, estimator {res.estimator}, seed {res.seed}",
                                 f"truth {d['truth']}, mean estimate {d['mean']}",
                                 d["warning"] or ""])


def _plain(value) -> float | list[float]:
    """A float, or a list of floats, for JSON."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float).tolist()


def _describe(noise: NoiseModel) -> str:
    """The non-trivial entries of a noise model, e.g. ``dephasing = 0.05, time = 0.5``."""
    neutral = {"transmission": 1.0}
    parts = [f"{f.name} = {getattr(noise, f.name)}" for f in dataclasses.fields(noise)
             if f.name != "time" and np.any(np.asarray(getattr(noise, f.name), dtype=float)
                                            != neutral.get(f.name, 0.0))]
    return ", ".join(parts + [f"time = {noise.time:g}"]) if parts else "none (every rate 0)"


# ----------------------------------------------------------------------------------------
# the probe and the state that is measured
# ----------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------
# the readout and the true value
# ----------------------------------------------------------------------------------------
def _two_branch(state: qutip.Qobj, network: Network) -> bool:
    r"""True when ``state`` lives on two basis states exchanged by the network parity
    :math:`\bigotimes_k\hat P_k` (a GHZ-like state), for which the parity saturates the QFI."""
    weights = np.abs(state.full().ravel()) ** 2 if state.isket else np.real(state.diag())
    support = np.flatnonzero(weights > tolerances.atol)
    if len(support) != 2:
        return False
    try:
        parities = [s.parity_operator().full() for s in network.sensors]
    except QSNError:
        return False
    local = np.unravel_index(support[0], [s.size for s in network.sensors])
    image = np.array([1.0 + 0j])
    for op, index in zip(parities, local):
        image = np.kron(image, op[:, index])
    return bool(abs(image[support[1]]) > 1 - tolerances.atol)


@dataclasses.dataclass(frozen=True)
class _Choice:
    povm: POVM
    truth: np.ndarray
    crb: float


def _scan(state: qutip.Qobj, coordinates: list, readout, points: np.ndarray,
          bound: Callable[[np.ndarray], float]) -> _Choice | None:
    """The true value among ``points`` for one readout (a POVM, or a function of the true
    coordinates giving one): the first point unless another has a smaller bound (then, among
    equal bounds, the steepest signal); None when no point gives a finite bound."""
    if callable(readout):
        povms = [readout(point) for point in points]
        found = [OutcomeModel(state, coordinates, povm).point(point)
                 for povm, point in zip(povms, points)]
        p, dp = np.array([f[0] for f in found]), np.array([f[1] for f in found])
    else:
        povms = [readout] * len(points)
        p, dp = OutcomeModel(state, coordinates, readout).batch(points)
    crbs = np.array([bound(classical_fisher(p_i, dp_i)) for p_i, dp_i in zip(p, dp)])
    best = crbs.min()
    if not np.isfinite(best):
        return None
    near = crbs <= best * (1 + tolerances.tie_rtol)
    slopes = np.abs(dp).sum(axis=(1, 2))
    i = 0 if near[0] else int(np.argmax(np.where(near, slopes, -np.inf)))
    return _Choice(povms[i], points[i], float(crbs[i]))


def _choose(state, coordinates, spreads, candidates, bound,
            truth: np.ndarray | None = None) -> tuple[_Choice, int]:
    """The first candidate readout that estimates the task (a finite CRB at some true value
    of :data:`TRUTH_FRACTIONS`, or at ``truth`` when given), with its true value and index;
    refused when none does."""
    points = (np.outer(TRUTH_FRACTIONS, np.pi / spreads) if truth is None
              else truth[None, :])
    for k, (_, readout) in enumerate(candidates):
        found = _scan(state, coordinates, readout, points, bound)
        if found is not None:
            return found, k
    names = ", ".join(name for name, _ in candidates)
    raise QSNError(f"no readout tried ({names}) estimates the task with this probe: its "
                   f"classical Fisher information is singular at every phase tried; give a "
                   f"measurement (simulate_task(..., povm=...))")


def _candidates(name: str, builtin: bool, measured: MeasuredState, povm, network: Network,
                basis: np.ndarray) -> list[tuple[str, object]]:
    """The readouts to try, in order of preference: (name, POVM or phases -> POVM)."""
    mnet, state = measured.network, measured.state
    if povm is not None:
        try:
            povm = as_povm(povm, state.dims[0])
        except QSNError as err:
            if mnet is network:
                raise
            raise QSNError(f"povm must act on the space the noisy state is measured on, "
                           f"{measured.note.split(' (')[0]} (dims {state.dims[0]}), as the "
                           f"readouts of optimal_readout do: {err}") from None
        return [(povm.name, povm)]
    first = default_measurement(mnet, name if builtin else None)
    out = [(first.name, first)]
    if not builtin and _two_branch(state, mnet):
        out.insert(0, ("parity", parity(mnet)))
    out.append(("local SLD readout", lambda alpha: sld_readout(mnet, state, basis @ alpha)))
    return out


def _task_bound(basis: np.ndarray, v, weights, mu: int,
                fq: np.ndarray) -> Callable[[np.ndarray], float]:
    """The task's bound from the CFIM of the coordinates: inf when it is singular on the scale
    of the coordinates' QFIM (some coordinate carries no information in the outcomes)."""
    scale = float(np.linalg.eigvalsh(basis.T @ fq @ basis)[-1])

    def bound(fc: np.ndarray) -> float:
        lam = np.linalg.eigvalsh(fc)
        if lam[0] <= tolerances.rank_rtol * scale:
            return np.inf
        inverse = basis @ np.linalg.inv(fc) @ basis.T / mu
        return float(v @ inverse @ v) if v is not None else float(weights @ np.diag(inverse))
    return bound


def simulate_task(network: Network, probe, *, v: Sequence[float] | None = None,
                  weights: Sequence[float] | None = None, repeats: int = 1, trials: int = 200,
                  estimator: str = "mle", seed: int | None = None,
                  povm=None, noise: NoiseModel | None = None,
                  phi: Sequence[float] | None = None) -> TaskSimulation:
    r"""Simulate the estimation of a task with one probe of a network and a readout that estimates it.

    The probe is a built-in name (``"ghz"``, ``"ghz-type"``, ``"optimal-ghz"``,
    ``"local-ghz"``, ``"product"``, ``"optimal-separable"``) or a ``(name, state)`` pair.  With
    ``noise`` the probe's noisy state after the interrogation
    (:func:`~qsn_qutip.noise.apply_noise`) is what is measured, and the QCRB is the noisy one.
    The readout is ``povm`` when given, else the first of the probe's registered readout, the
    GHZ parity (a user's two-branch state) and the local SLD readout that saturates the QCRB,
    or the one with the least Cramér-Rao bound (module docstring); the truth is
    :math:`\alpha_j = f\pi/\Delta_j` with :math:`f = 1/2` unless another fraction gives a
    smaller bound, or the coordinates :math:`\alpha = B^T\phi` of ``phi`` when it is given
    (the working point a readout was built for).  When the QFIM is singular, the estimated
    coordinates are those of its range (:class:`TaskSimulation`); a weighted task then fails
    (not every parameter is estimable).

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
        The measurement, on the space the state is measured on: the network's, or with noise
        that leaves the ensembles' symmetric subspaces the full space of their qubits
        (:func:`~qsn_qutip.measurement.noisy.measured_state`; the readouts of
        :func:`~qsn_qutip.optimize.readout.optimal_readout` are built there).
    noise : NoiseModel, optional
        Decoherence during the interrogation (the ``[noise]`` of a model file).
    phi : sequence of float, optional
        The true phases (one per parameter of the network; default: chosen as above).  Only
        their coordinates on the range of the QFIM are sampled (the state does not depend on
        the others).

    Returns
    -------
    TaskSimulation

    Raises
    ------
    QSNError
        A probe that does not apply, a task it cannot estimate, no readout that estimates it,
        a noisy state too large to simulate, bad options.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> from qsn_qutip.noise import NoiseModel
    >>> net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    >>> sim = simulate_task(net, "ghz", v=np.array([-1, 1]) / np.sqrt(2), repeats=50,
    ...                     trials=100, seed=3)
    >>> sim.measurement, round(sim.qcrb, 12)
    ('parity', 0.0025)
    >>> noisy = simulate_task(net, "ghz", v=np.array([-1, 1]) / np.sqrt(2), repeats=50,
    ...                       trials=100, seed=3, noise=NoiseModel(dephasing=0.1, time=1))
    >>> bool(np.isclose(noisy.qcrb, 0.0025 * np.exp(2 * 4 * 0.1)))       # e^{2 N gamma t}
    True
    """
    network = check_network(network)
    check_seed(seed)
    as_positive_int(trials, "trials", minimum=2)
    if noise is not None and not isinstance(noise, NoiseModel):
        raise QSNError(f"noise must be a NoiseModel or None, got {type(noise).__name__}")
    task = Task(network.n_params, v=v, weights=weights, repeats=repeats)
    v, weights, mu = task.v, task.weights, task.repeats
    name, state, net = _probe_state(network, probe, v, task.direction)
    builtin = isinstance(probe, str)
    if povm is None:
        default_measurement(net, name if builtin else None)   # refusals before any work
    truth = None if phi is None else as_real_vector(phi, "phi", length=net.n_params)
    measured = measured_state(state, net, noise)
    bound = task.bound(measured.qfim)           # inf when v is not in the range of the QFIM
    basis = _estimated_directions(measured.qfim, name, v, bound)
    gens = measured.network.generators
    coordinates = dense_generators(
        [sum(float(basis[k, j]) * gens[k] for k in range(len(gens)) if basis[k, j] != 0)
         for j in range(basis.shape[1])], measured.state.dims[0])
    spreads = np.array([eigenvalue_spread(g) for g in coordinates])
    candidates = _candidates(name, builtin, measured, povm, net, basis)
    choice, index = _choose(measured.state, coordinates, spreads, candidates,
                            _task_bound(basis, v, weights, mu, measured.qfim),
                            None if truth is None else basis.T @ truth)
    result = simulate(measured.state, coordinates, choice.povm, choice.truth, repeats=mu,
                      trials=trials, estimator=estimator, seed=seed)
    cov = basis @ result.covariance @ basis.T
    fc_inv = basis @ np.linalg.inv(result.cfim) @ basis.T / mu
    if v is not None:
        variance, crb = float(v @ cov @ v), float(v @ fc_inv @ v)
    else:
        variance, crb = float(weights @ np.diag(cov)), float(weights @ np.diag(fc_inv))
    note = "" if povm is not None else _why(candidates, index, builtin)
    return TaskSimulation(name, choice.povm.name, net, v, weights, basis, result, variance,
                          bound, crb, noise, measured.note, note)


def _estimated_directions(fq: np.ndarray, name: str, v, bound: float) -> np.ndarray:
    """B: the range of the QFIM (the identity when it is invertible)."""
    d = fq.shape[0]
    lam, vecs = np.linalg.eigh(fq)
    kept = lam > tolerances.rank_rtol * max(lam[-1], 0.0)
    if np.all(kept):
        return np.eye(d)
    if v is None or not np.isfinite(bound):
        raise QSNError(f"the QFIM of {name} is singular and the task is not in its range: "
                       f"not estimable with this probe")
    return vecs[:, kept]


def _why(candidates, index: int, builtin: bool) -> str:
    """Why the readout ``candidates[index]`` was taken (``""`` for the probe's registered one)."""
    chosen, first = candidates[index][0], candidates[0][0]
    if index == 0:
        return ("the GHZ parity: the state has two branches exchanged by the network parity "
                "(GHZ-like)" if chosen == "parity" and not builtin else "")
    return (f"{chosen} at the true phases: {first} cannot estimate the task with this probe "
            f"(its classical Fisher information is singular at every phase tried)")
