r"""Compare probes on one estimation task, with the statement of the paper that explains the result.

A task is either a linear function :math:`\theta = v^T\phi` (bound
:math:`v^TF^{+}v/\mu`) or all parameters with diagonal weights W (bound
:math:`\sum_kW_{kk}[F^{+}]_{kk}/\mu`).  :func:`compare` evaluates built-in probes (and any
the user passes) and returns a :class:`Comparison`: one :class:`ProbeResult` per probe and a
:class:`Verdict`.

The built-in probes (``ghz``, ``optimal-ghz``, ``local-ghz``, ``product``,
``optimal-separable`` and the ``time-shared`` reference) and the task live in
:mod:`qsn_qutip.probes`, the one registry; the names below are re-exported from there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import qutip

from .errors import QSNError
from ._io import json_ready
from .estimation.qfim import qfim
from .network import Network
from .noise import NoiseModel, apply_noise, noisy_qfim, optimal_interrogation_time
from .options import tolerances
from .probes import (BUILTIN_PROBES, DEFAULT_PROBES, PROBES, REFERENCES, SEPARABLE, Task,
                     build_probe, parse_probe, probe_name, several_parameters)

__all__ = ["compare", "build_probe", "Comparison", "ProbeResult", "Verdict", "BUILTIN_PROBES",
           "DEFAULT_PROBES", "SEPARABLE", "REFERENCES"]


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
        """A JSON-ready summary (:func:`~qsn_qutip._io.json_ready`): no numpy types, no
        infinities (null, with the reason in the probe's note)."""
        probes = []
        for p in self.probes:
            note = p.note
            if p.bound is not None and not np.isfinite(p.bound):
                note = ("not estimable: the task's direction lies outside the range of the "
                        "QFIM" + (f"; {note}" if note else ""))
            entry = {"name": p.name, "allocation": p.allocation, "resources": p.resources,
                     "qfim": p.qfim, "bound": p.bound, "separable": p.separable, "note": note}
            if self.noise is not None:
                entry.update(optimal_time=p.optimal_time, omega_bound=p.omega_bound)
            probes.append(entry)
        noise = None if self.noise is None else {
            key: np.asarray(value, dtype=float)
            for key, value in dataclasses.asdict(self.noise).items()}
        return json_ready({
            "parameters": self.network.n_params,
            "task": {"function": self.v, "weights": self.weights, "repeats": self.repeats,
                     "noise": noise, "description": self.task},
            "probes": probes,
            "verdict": dataclasses.asdict(self.verdict)})

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
    return all(abs((network.reduced_state(state, k) ** 2).tr() - 1) < tolerances.purity_atol
               for k in range(len(network.sensors)))


def _allocation(network: Network) -> list[int]:
    """Particles on each sensor that carries parameters."""
    return [network.particles[k] for k in network.sensing]


def _state_probe(name: str, network: Network, state: qutip.Qobj, task: Task,
                 noise: NoiseModel | None, separable: bool | None) -> ProbeResult:
    resources = network.mean_resource(state)
    if noise is None:
        F = qfim(state, network.local_generators)
        return ProbeResult(name, _allocation(network), resources, F, task.bound(F), separable)
    F = noisy_qfim(apply_noise(state, network, noise), network)
    result = ProbeResult(name, _allocation(network), resources, F, task.bound(F), separable)
    v = task.v if task.v is not None else (np.ones(1) if network.n_params == 1 else None)
    if v is not None and any(rate > 0 for rate in noise.rates):
        try:
            best = optimal_interrogation_time(state, network, noise, v=v)
        except QSNError as err:
            result.note = f"no optimal interrogation time: {err}"
        else:
            result.optimal_time, result.omega_bound = best.time, 1.0 / best.value
    return result


def _not_applicable(name: str, network: Network, reason: str) -> ProbeResult:
    return ProbeResult(name, _allocation(network), None, None, None, name in SEPARABLE, reason)


def _builtin(name: str, network: Network, task: Task, noise: NoiseModel | None) -> ProbeResult:
    """A built-in probe of the registry evaluated on the task (or why it does not apply)."""
    probe = PROBES[name]
    if probe.is_reference:
        if noise is not None:
            return _not_applicable(name, network, f"the {name} reference is computed "
                                                  f"without noise")
        problem = several_parameters(network)
        if problem:
            return _not_applicable(name, network, f"needs one parameter per sensor ({problem})")
        ref = probe.reference(network, task.direction)
        return ProbeResult(name, None, ref.resources, ref.qfim, task.bound(ref.qfim),
                           probe.separable, ref.note)
    try:
        state, net = build_probe(name, network, task.v, task.direction)
    except QSNError as err:
        return _not_applicable(name, network, str(err))
    return _state_probe(name, net, state, task, noise, probe.separable)


def _reason(network: Network, task: Task, best: ProbeResult,
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
        if slowest.omega_bound <= fastest.omega_bound * (1 + tolerances.tie_rtol):
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
    if noise is not None and not isinstance(noise, NoiseModel):
        raise QSNError(f"noise must be a NoiseModel, got {type(noise).__name__}")
    noise = None if noise is None or noise.is_trivial() else noise
    task = Task(network.n_params, v, weights, repeats)
    if isinstance(probes, str) or not isinstance(probes, Sequence) or not probes:
        raise QSNError("probes must be a non-empty list of probe names or (name, state) pairs")
    probes = [parse_probe(probe, network, argument=f"probes[{k}]")
              for k, probe in enumerate(probes)]
    names = [probe_name(probe) for probe in probes]
    if len(set(names)) != len(names):
        raise QSNError(f"probe names must be distinct, got {names}")
    results = [_builtin(probe, network, task, noise) if isinstance(probe, str) else
               _state_probe(probe[0], network, probe[1], task, noise,
                            _is_product(probe[1], network))
               for probe in probes]
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
    return Comparison(network, task.v, task.weights, task.repeats, results, verdict, noise)
