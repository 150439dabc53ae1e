r"""Compare probes on one estimation task, with the statement of the paper that explains the result.

A task is either a linear function :math:`\theta = v^T\phi` (bound
:math:`v^TF^{+}v/\mu`) or all parameters with diagonal weights W (bound
:math:`\sum_kW_{kk}[F^{+}]_{kk}/\mu`).  :func:`compare` evaluates built-in probes (and any
the user passes) and returns a :class:`Comparison`: one :class:`ProbeResult` per probe and a
:class:`Verdict`.

Built-in probes: ``ghz`` (Eq. 1 on the network as given), ``optimal-ghz`` (Eq. 1 with the
allocation proportional to :math:`|v|`), ``local-ghz``, ``product``, ``optimal-separable``
(local GHZ at the best integer allocation of the network's N particles) and ``time-shared``:
the classical reference in which all N particles, in a local GHZ state, sit on one sensor per
shot, sensor k for a fraction :math:`f_k\propto|v_k|` of the shots; its per-shot Fisher
information is :math:`\mathrm{diag}(f_k\kappa^2N^2)`, reaching :math:`\|v\|_1^2/(\mu\kappa^2N^2)`,
the GHZ-like value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import qutip

from . import states
from .errors import QSNError
from ._checks import as_positive_int, as_real_vector
from .estimation.bounds import best_separable_allocation, function_bound, qcrb
from .estimation.qfim import qfim
from .network import Network
from .noise import NoiseModel, apply_noise, noisy_qfim, optimal_interrogation_time

__all__ = ["compare", "build_probe", "Comparison", "ProbeResult", "Verdict", "BUILTIN_PROBES"]

BUILTIN_PROBES = ("ghz", "optimal-ghz", "local-ghz", "product", "optimal-separable",
                  "time-shared")
DEFAULT_PROBES = ("ghz", "local-ghz", "product", "optimal-separable", "time-shared")
#: built-in probes that are sensor-separable (a product over sensors, or a mixture of such)
SEPARABLE = {"local-ghz", "product", "optimal-separable", "time-shared"}
#: strategies reported for reference only: not a probe state of the network as given
REFERENCES = {"time-shared"}


@dataclasses.dataclass
class ProbeResult:
    r"""One probe evaluated on the task.

    Attributes
    ----------
    name : str
    allocation : list of int or None
        Particles on each sensor that carries parameters (None for the time-shared
        strategy, see ``note``).
    resources : float or None
        Mean resource :math:`\\mathrm{Tr}(\\hat R\\rho)` per shot.
    qfim : numpy.ndarray or None
        The QFIM (per-shot average Fisher information for ``time-shared``).
    bound : float or None
        The bound on the task's figure of merit (``inf`` when not estimable); None when the
        probe does not apply, with the reason in ``note``.
    separable : bool or None
        Whether the probe is sensor-separable (None when unknown: a mixed user state).
    note : str
    optimal_time : float or None
        With a noise model: the interrogation time t* that maximises the information per unit
        total time on the task's function of the frequencies :math:`\omega` (:math:`\phi=\omega t`).
    omega_bound : float or None
        With a noise model: :math:`\mathrm{Var}(\theta_\omega)\,T` at t* — the variance bound
        on the frequency function times the total interrogation time T.
    """

    name: str
    allocation: list[int] | None
    resources: float | None
    qfim: np.ndarray | None
    bound: float | None
    separable: bool | None
    note: str = ""
    optimal_time: float | None = None
    omega_bound: float | None = None

    @property
    def applies(self) -> bool:
        """True when the probe could be evaluated."""
        return self.bound is not None


@dataclasses.dataclass
class Verdict:
    """Which probe wins, by how much over the best sensor-separable one, and why.

    Attributes
    ----------
    best : str
        The probe state with the lowest bound (reference strategies such as
        ``time-shared`` are reported but not ranked).
    best_separable : str or None
    ratio : float or None
        bound(best) / bound(best_separable) (< 1 means entanglement helps).
    reason : str
        The statement of the paper that explains the result.
    """

    best: str
    best_separable: str | None
    ratio: float | None
    reason: str


@dataclasses.dataclass
class Comparison:
    """The result of :func:`compare`: per-probe results and the verdict.

    Attributes
    ----------
    network : Network
    v : numpy.ndarray or None
        The function vector (None for the all-parameters task).
    weights : numpy.ndarray or None
        The diagonal of W (None for the function task).
    repeats : int
    probes : list of ProbeResult
    verdict : Verdict
    noise : NoiseModel or None
        The decoherence the bounds include (None: noiseless).
    """

    network: Network
    v: np.ndarray | None
    weights: np.ndarray | None
    repeats: int
    probes: list[ProbeResult]
    verdict: Verdict
    noise: NoiseModel | None = None

    def __getitem__(self, name: str) -> ProbeResult:
        for probe in self.probes:
            if probe.name == name:
                return probe
        raise KeyError(name)

    @property
    def task(self) -> str:
        """A one-line description of the task."""
        if self.v is not None:
            return f"theta = v . phi with v = {np.round(self.v, 6).tolist()}"
        return f"all {len(self.weights)} parameters, weights W = {self.weights.tolist()}"

    def to_dict(self) -> dict:
        """A JSON-ready summary: no numpy types, no infinities (null with the reason instead)."""
        def number(x):
            return None if x is None or not np.isfinite(x) else float(x)

        probes = []
        for p in self.probes:
            note = p.note
            if p.bound is not None and not np.isfinite(p.bound):
                note = ("not estimable: the task's direction lies outside the range of the "
                        "QFIM" + (f"; {note}" if note else ""))
            entry = {"name": p.name, "allocation": p.allocation,
                     "resources": number(p.resources),
                     "qfim": None if p.qfim is None else np.asarray(p.qfim).tolist(),
                     "bound": number(p.bound), "separable": p.separable, "note": note}
            if self.noise is not None:
                entry.update(optimal_time=number(p.optimal_time),
                             omega_bound=number(p.omega_bound))
            probes.append(entry)
        noise = None if self.noise is None else {
            key: (np.asarray(value, dtype=float).tolist())
            for key, value in dataclasses.asdict(self.noise).items()}
        return {"parameters": self.network.n_params,
                "task": {"function": None if self.v is None else self.v.tolist(),
                         "weights": None if self.weights is None else self.weights.tolist(),
                         "repeats": self.repeats, "noise": noise, "description": self.task},
                "probes": probes,
                "verdict": {"best": self.verdict.best,
                            "best_separable": self.verdict.best_separable,
                            "ratio": number(self.verdict.ratio),
                            "reason": self.verdict.reason}}

    def __str__(self) -> str:
        best_sep = (self[self.verdict.best_separable].bound
                    if self.verdict.best_separable else None)
        noisy = self.noise is not None
        lines = [f"task: {self.task}; repeats mu = {self.repeats}"]
        if noisy:
            lines.append(f"noise: {_describe_noise(self.noise)}; bounds for the phases "
                         f"phi = omega t at t = {self.noise.time:g}; t* = optimal interrogation "
                         f"time, Var*T = variance of the frequency function x total time at t*")
        lines.append(f"{'probe':<18} {'allocation':<14} {'resources':>10} {'bound':>12} "
                     f"{'/ best sep.':>11}" + (f" {'t*':>10} {'Var*T':>11}" if noisy else ""))
        for p in self.probes:
            alloc = "-" if p.allocation is None else "+".join(map(str, p.allocation))
            res = "-" if p.resources is None else f"{p.resources:.4g}"
            if p.bound is None:
                lines.append(f"{p.name:<18} {alloc:<14} {res:>10} {'n/a':>12}   {p.note}")
                continue
            ratio = (f"{p.bound / best_sep:.4g}" if best_sep and np.isfinite(p.bound) else "-")
            note = f"   {p.note}" if p.note else ""
            timing = ""
            if noisy:
                timing = (f" {p.optimal_time:>10.4g} {p.omega_bound:>11.4g}"
                          if p.optimal_time is not None else f" {'-':>10} {'-':>11}")
            lines.append(f"{p.name:<18} {alloc:<14} {res:>10} {p.bound:>12.6g} "
                         f"{ratio:>11}{timing}{note}")
        lines.append(f"verdict: {self.verdict.best} is best"
                     + (f" ({self.verdict.ratio:.4g} x the best separable, "
                        f"{self.verdict.best_separable})" if self.verdict.ratio is not None
                        else ""))
        lines.append(f"why: {self.verdict.reason}")
        return "\n".join(lines)


def _describe_noise(noise: NoiseModel) -> str:
    """The non-trivial entries of a noise model, e.g. ``dephasing = 0.1, time = 2``."""
    parts = [f"{f.name} = {getattr(noise, f.name)}" for f in dataclasses.fields(noise)
             if f.name != "time" and np.any(np.asarray(getattr(noise, f.name), dtype=float)
                                            != f.default)]
    return ", ".join(parts) or "none"


def _is_product(state: qutip.Qobj, network: Network) -> bool | None:
    """True/False for a ket (every sensor's reduced state pure or not), None for a mixed state."""
    if not state.isket:
        return None
    if len(network.sensors) == 1:
        return True
    return all(abs((network.reduced_state(state, k) ** 2).tr() - 1) < 1e-9
               for k in range(len(network.sensors)))


class _Task:
    """The figure of merit: v^T F^+ v / mu, or sum_k W_kk [F^+]_kk / mu."""

    def __init__(self, network: Network, v, weights, repeats, noise=None):
        d = network.n_params
        if noise is not None and not isinstance(noise, NoiseModel):
            raise QSNError(f"noise must be a NoiseModel, got {type(noise).__name__}")
        self.noise = None if noise is None or noise.is_trivial() else noise
        if v is not None and weights is not None:
            raise QSNError("give either v (a linear function) or weights (all parameters), "
                           "not both")
        self.v = None if v is None else as_real_vector(v, "v", length=d)
        if self.v is not None and not np.any(self.v):
            raise QSNError("v must have a non-zero entry")
        self.weights = None
        if self.v is None:
            self.weights = np.ones(d) if weights is None else as_real_vector(
                weights, "weights", length=d)
            if np.any(self.weights < 0) or not np.any(self.weights):
                raise QSNError(f"weights must be non-negative and not all zero, got "
                               f"{self.weights.tolist()}")
        self.repeats = as_positive_int(repeats, "repeats")

    @property
    def direction(self) -> np.ndarray:
        """|v|, or sqrt(W) for the weighted task (what particle allocations follow)."""
        return np.abs(self.v) if self.v is not None else np.sqrt(self.weights)

    def bound(self, F: np.ndarray) -> float:
        if self.v is not None:
            return function_bound(F, self.v, self.repeats)
        return qcrb(F, self.weights, self.repeats)


def _allocation(network: Network) -> list[int]:
    """Particles on each sensor that carries parameters."""
    return [network.particles[k] for k in network.sensing]


def _state_probe(name: str, network: Network, state: qutip.Qobj, task: _Task,
                 separable: bool | None) -> ProbeResult:
    resources = network.mean_resource(state)
    if task.noise is None:
        F = qfim(state, network.local_generators)
        return ProbeResult(name, _allocation(network), resources, F, task.bound(F), separable)
    F = noisy_qfim(apply_noise(state, network, task.noise), network)
    result = ProbeResult(name, _allocation(network), resources, F, task.bound(F), separable)
    v = task.v if task.v is not None else (np.ones(1) if network.n_params == 1 else None)
    if v is not None and any(rate > 0 for rate in task.noise.rates):
        try:
            best = optimal_interrogation_time(state, network, task.noise, v=v)
        except QSNError as err:
            result.note = f"no optimal interrogation time: {err}"
        else:
            result.optimal_time, result.omega_bound = best.time, 1.0 / best.value
    return result


def _not_applicable(name: str, network: Network, reason: str) -> ProbeResult:
    return ProbeResult(name, _allocation(network), None, None, None, name in SEPARABLE, reason)


def _sensing_total(network: Network) -> int:
    """N: the particles on the sensors that carry parameters."""
    return sum(network.particles[k] for k in network.sensing)


def _reallocated(network: Network, numbers) -> Network:
    """The network with ``numbers`` particles on its sensing sensors (others unchanged)."""
    full = list(network.particles)
    for k, n in zip(network.sensing, numbers):
        full[k] = int(n)
    return network.with_particles(full)


def _time_shared(network: Network, task: _Task) -> ProbeResult:
    """All N particles in a local GHZ state on one sensor per shot, f_k of the shots."""
    total = _sensing_total(network)
    per_shot = []
    for k in network.sensing:
        full = network.sensors[k].with_particles(total)
        per_shot.append(qfim(full.local_ghz(), full.generators)[0, 0])
    per_shot = np.array(per_shot)
    share = task.direction / np.sqrt(per_shot)
    share = share / share.sum()
    F = np.diag(share * per_shot)
    return ProbeResult("time-shared", None, float(total), F, task.bound(F), True,
                       f"N = {total} on one sensor per shot, shares f = "
                       f"{np.round(share, 4).tolist()}")


def build_probe(name: str, network: Network, v: np.ndarray | None = None,
                direction: np.ndarray | None = None) -> tuple[qutip.Qobj, Network]:
    """The state of the built-in probe ``name`` and the network it lives on.

    ``optimal-ghz`` and ``optimal-separable`` re-allocate the N particles of the sensing
    sensors (proportional to :math:`|v|`, or by :func:`~qsn_qutip.bounds.best_separable_allocation`
    along ``direction``).  Raises :class:`QSNError` saying why when the probe does not apply.
    """
    if name not in BUILTIN_PROBES or name in REFERENCES:
        states_only = [p for p in BUILTIN_PROBES if p not in REFERENCES]
        raise QSNError(f"unknown probe state {name!r}; built-in probe states are "
                       f"{states_only}")
    if name != "product":
        many = [k for k, s in enumerate(network.sensors) if s.n_params > 1]
        if many:
            raise QSNError(f"needs one parameter per sensor (sensor {many[0]} has "
                           f"{network.sensors[many[0]].n_params})")
    if name in ("ghz", "optimal-ghz") and v is None:
        raise QSNError("GHZ-like probes are built for a function theta = v . phi: give v")
    total = _sensing_total(network)
    if name == "ghz":
        return states.ghz_like(network, v), network
    if name == "optimal-ghz":
        numbers = states.proportional_allocation(v, total)
        if numbers is None:
            raise QSNError(f"no integer allocation of N = {total} is proportional to |v|")
        net = _reallocated(network, numbers)
        return states.ghz_like(net, v), net
    if name == "local-ghz":
        return states.local_ghz(network), network
    if name == "product":
        return states.product(network), network
    numbers = best_separable_allocation(np.abs(v) if direction is None else direction, total)
    if np.any(numbers == 0):
        raise QSNError("the best allocation leaves a sensor empty")
    net = _reallocated(network, numbers)
    return states.local_ghz(net), net


def _builtin(name: str, network: Network, task: _Task) -> ProbeResult:
    if name == "time-shared":
        if task.noise is not None:
            return _not_applicable(name, network, "the time-shared reference is computed "
                                                  "without noise")
        many = [k for k, s in enumerate(network.sensors) if s.n_params > 1]
        if many:
            return _not_applicable(name, network, f"needs one parameter per sensor (sensor "
                                                  f"{many[0]} has "
                                                  f"{network.sensors[many[0]].n_params})")
        return _time_shared(network, task)
    try:
        state, net = build_probe(name, network, task.v, task.direction)
    except QSNError as err:
        return _not_applicable(name, network, str(err))
    return _state_probe(name, net, state, task, name in SEPARABLE)


def _reason(network: Network, task: _Task, best: ProbeResult,
            probes: list[ProbeResult]) -> str:
    time_shared = next((p for p in probes if p.name == "time-shared"), None)
    if not np.isfinite(best.bound):
        return ("no probe estimates this task: every bound is infinite (a weighted "
                "direction lies outside the range of every QFIM).")
    if not network.commuting:
        text = ("Theorem 2: the generators of a sensor do not commute; sensor entanglement "
                "can be replaced by entanglement with a local ancilla at no more than twice "
                "the resources (see theorems.ancilla_counterpart).")
    elif task.v is None or np.count_nonzero(task.v) == 1:
        text = ("Theorem 1: with commuting generators and independent parameters (or a "
                "function of one of them) a sensor-separable probe with local measurements "
                "is optimal; entanglement between sensors cannot lower the bound.")
    else:
        active = np.abs(task.v[task.v != 0])
        gain = np.sum(active) ** 2 / np.sum(active ** (2 / 3)) ** 3
        text = (f"global function: the GHZ-like state (Eq. 1) gains "
                f"||v||_1^2/||v||_(2/3)^2 = {gain:.4g} over every sensor-separable state with "
                f"the same fixed particle numbers.")
    timed = [p for p in probes if p.omega_bound is not None and p.name not in REFERENCES]
    if timed:
        fastest = min(timed, key=lambda p: p.omega_bound)
        slowest = max(timed, key=lambda p: p.omega_bound)
        if slowest.omega_bound <= fastest.omega_bound * (1 + 1e-6):
            text += (f" Per unit time, at each probe's optimal interrogation time, all reach the "
                     f"same Var*T = {fastest.omega_bound:.6g}: the noise cancels the advantage "
                     f"of entanglement (as local dephasing does, Huelga et al. 1997).")
        else:
            text += (f" Per unit time, at its optimal interrogation time "
                     f"t* = {fastest.optimal_time:.4g}, {fastest.name} is best "
                     f"(Var*T = {fastest.omega_bound:.6g}).")
    if time_shared is not None and time_shared.applies:
        text += (f" The time-shared separable reference (all N particles in a local GHZ "
                 f"state on one sensor per shot, shares ~|v_k|) reaches "
                 f"{time_shared.bound:.6g}")
        text += (", the GHZ-like value ||v||_1^2/(mu kappa^2 N^2): the entangled advantage "
                 "rests on each sensor's particle number being fixed." if task.v is not None
                 else ": moving particles between sensors shot by shot beats any fixed "
                      "allocation, which the paper's fixed Hilbert space rules out.")
    return text


def compare(network: Network, v: Sequence[float] | None = None,
            weights: Sequence[float] | None = None,
            probes: Sequence[str | tuple[str, qutip.Qobj]] = DEFAULT_PROBES,
            repeats: int = 1, noise: NoiseModel | None = None) -> Comparison:
    r"""Evaluate probes on one task and say which wins and why.

    Parameters
    ----------
    network : Network
    v : sequence of float, optional
        The function :math:`\theta = v^T\phi` (used as given).
    weights : sequence of float, optional
        Diagonal weights W for estimating all parameters (default: all ones, when v is None).
    probes : sequence
        Built-in names (:data:`BUILTIN_PROBES`) and/or ``(name, state)`` pairs of the user's
        own kets or density matrices on the network.
    repeats : int
        :math:`\mu`; every bound is divided by it.
    noise : NoiseModel, optional
        Decoherence during the interrogation time ``noise.time``: the bounds are then for the
        phases :math:`\phi = \omega t` of the noisy probes, and each probe also gets its
        optimal interrogation time for the frequencies (``optimal_time``, ``omega_bound``)
        when the task is a function (or there is one parameter).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> net = Network([QubitEnsemble(4), QubitEnsemble(4)])
    >>> result = compare(net, v=np.array([-1, 1]) / np.sqrt(2))
    >>> round(result["ghz"].bound, 6), round(result["local-ghz"].bound, 6)
    (0.03125, 0.0625)
    """
    if not isinstance(network, Network):
        raise QSNError(f"network must be a Network, got {type(network).__name__}")
    task = _Task(network, v, weights, repeats, noise)
    if isinstance(probes, str) or not isinstance(probes, Sequence) or not probes:
        raise QSNError("probes must be a non-empty list of probe names or (name, state) pairs")
    results = []
    for k, probe in enumerate(probes):
        if isinstance(probe, str):
            if probe not in BUILTIN_PROBES:
                raise QSNError(f"probes[{k}]: unknown probe {probe!r}; built-in probes are "
                               f"{list(BUILTIN_PROBES)}")
            results.append(_builtin(probe, network, task))
        elif (isinstance(probe, tuple) and len(probe) == 2 and isinstance(probe[0], str)
              and isinstance(probe[1], qutip.Qobj)):
            state = network.check(probe[1], f"probes[{k}] ({probe[0]})")
            results.append(_state_probe(probe[0], network, state, task,
                                        _is_product(state, network)))
        else:
            raise QSNError(f"probes[{k}] must be a probe name or a (name, Qobj) pair, got "
                           f"{probe!r}")
    names = [r.name for r in results]
    if len(set(names)) != len(names):
        raise QSNError(f"probe names must be distinct, got {names}")
    scored = [r for r in results if r.applies and r.name not in REFERENCES]
    if not scored:
        raise QSNError("no probe applies to this network and task: "
                       + "; ".join(f"{r.name}: {r.note}" for r in results))
    best = min(scored, key=lambda r: r.bound)
    separable = [r for r in scored if r.separable]
    best_sep = min(separable, key=lambda r: r.bound) if separable else None
    ratio = (best.bound / best_sep.bound if best_sep is not None and np.isfinite(best_sep.bound)
             and best_sep.bound > 0 else None)
    verdict = Verdict(best.name, best_sep.name if best_sep else None, ratio,
                      _reason(network, task, best, results))
    return Comparison(network, task.v, task.weights, task.repeats, results, verdict, task.noise)
