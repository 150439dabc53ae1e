r"""Compare probes on field parameters in SI units: the phase-space comparison, transformed.

For every quantity of interest :math:`q_i` of a :class:`~qsn_qutip.magnetometry.FieldTask`,
:func:`compare_field` runs the toolkit's :func:`~qsn_qutip.report.compare` in phase space on
the task :math:`\theta = v^T\phi` with :math:`v = w_i/\|w_i\|`, :math:`q_i = w_i^T\phi`
(so the paper's verdict, the GHZ-type probes and the limit apply as they are), and turns every
probe's QFIM :math:`F` of the phases into the bound on :math:`q_i` with the other unknown
parameters as nuisance parameters, :math:`[(J^TFJ)^{+}]_{ii}`, at the interrogation time t:

.. math::
    \sigma^2(t) = [(J(t)^TF(t)J(t))^{+}]_{ii},\qquad \eta = \sigma\sqrt{t+t_d}.

Noise (rates per second) makes F depend on t; each probe's F(t) comes from the same engine
(:class:`~qsn_qutip.magnetometry.probing.PhaseFisher`), and without a given t each probe gets
the t that minimises :math:`\eta(t)^2` (:func:`~qsn_qutip.magnetometry.best_time`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import qutip

from ..errors import QSNError
from ..noise import NoiseModel
from ..options import tolerances
from ..probes import REFERENCES, default_probes, probe_name
from ..report import Comparison, compare
from .probing import SENSOR_PRODUCTS, PhaseFisher, readout_fisher
from .results import FieldComparison, ProbeSensitivity, QuantityResult
from .sensitivity import Readout, Timing, best_time, sensitivity, time_range
from .task import FieldTask

__all__ = ["compare_field", "sql_qfim"]


def sql_qfim(network) -> np.ndarray | None:
    r"""The QFIM of product states, :math:`\mathrm{diag}(n_k\kappa_k^2)` over the phases, or
    None when a sensing sensor has several parameters or no :math:`\kappa`.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> sql_qfim(Network([QubitEnsemble(3), QubitEnsemble(5)]))
    array([[3., 0.],
           [0., 5.]])
    """
    values = []
    for k in network.sensing:
        sensor = network.sensors[k]
        if sensor.n_params != 1 or not sensor.kappa:
            return None
        values.append(sensor.particles * sensor.kappa ** 2)
    return np.diag(values)


class _Evaluator:
    """Every probe's phase QFIM at any t, built once and shared by the quantities where it
    does not depend on the task (product-over-sensor probes, the user's states)."""

    def __init__(self, network, probes: list, noise: NoiseModel | None):
        self.network, self.noise = network, noise
        self.pairs = {probe_name(p): p for p in probes}
        self.shared: dict[str, PhaseFisher] = {}

    def fisher(self, name: str, v: np.ndarray, allocation) -> PhaseFisher:
        probe = self.pairs.get(name, name)
        shared = not isinstance(probe, str) or probe in SENSOR_PRODUCTS and probe != \
            "optimal-separable"
        if shared and name in self.shared:
            return self.shared[name]
        fisher = PhaseFisher(probe, self.network, v, allocation, self.noise)
        if shared:
            self.shared[name] = fisher
        return fisher


def _probe(result, task: FieldTask, name: str, timing: Timing, fisher, repeats: int,
           readout: Readout | None, noise: NoiseModel | None) -> ProbeSensitivity:
    """One applicable probe of the phase-space comparison, in SI units."""
    entry = ProbeSensitivity(result.name, result.allocation, result.separable, result.ranked,
                             note=result.notes)
    if noise is not None and result.name in REFERENCES:
        entry.note = f"the {result.name} reference is computed without noise"
        return entry
    if noise is None:
        constant = result.qfim

        def fisher(t: float, F=constant) -> np.ndarray:
            return F

    def objective(t: float) -> float:
        return timing.cycle(t) * task.variance(fisher(t), t, name)

    if timing.t is not None:
        t = timing.t
    else:
        particles = sum(task.array.network.particles)
        t, value = best_time(objective, time_range(noise.rates, particles))
        if not math.isfinite(value):
            entry.variance, entry.sensitivity, entry.std = math.inf, math.inf, math.inf
            entry.note = "no information on this quantity at any interrogation time"
            return entry
    F = fisher(t)
    entry.time, entry.qfim = t, F
    entry.variance = task.variance(F, t, name)
    entry.sensitivity = sensitivity(entry.variance, t, timing.dead_time)
    entry.std = (entry.sensitivity / math.sqrt(timing.total) if timing.total
                 else math.sqrt(entry.variance / repeats))
    if not math.isfinite(entry.variance):
        entry.note = "; ".join(x for x in (entry.note, "no information at this t (the probe's "
                                           "coherence is lost, or the task is outside its "
                                           "QFIM)") if x)
    if readout is not None and result.name == "product":
        Fc = readout_fisher(task.array.network, readout, noise, t)
        if Fc is None:
            entry.note = "; ".join(x for x in (entry.note, "readout: needs independent "
                                               "particles, one parameter per sensor") if x)
        else:
            entry.readout_sensitivity = sensitivity(task.variance(Fc, t, name), t,
                                                    timing.dead_time)
    return entry


def _pick(probes: list[ProbeSensitivity]) -> ProbeSensitivity | None:
    """The least sensitivity; among ties (``tolerances.tie_rtol``) the first listed."""
    if not probes:
        return None
    least = min(p.sensitivity for p in probes)
    return next(p for p in probes if p.sensitivity <= least * (1 + tolerances.tie_rtol))


def _quantity(task: FieldTask, name: str, comparison: Comparison, timing: Timing,
              evaluator: _Evaluator, repeats: int, readout: Readout | None) -> QuantityResult:
    v = comparison.v
    probes = []
    for result in comparison.probes:
        if not result.applies:
            probes.append(ProbeSensitivity(result.name, result.allocation, result.separable,
                                           False, note=result.notes))
            continue
        fisher = (None if evaluator.noise is None or result.name in REFERENCES
                  else evaluator.fisher(result.name, v, result.allocation))
        probes.append(_probe(result, task, name, timing, fisher, repeats, readout,
                             evaluator.noise))
    ranked = [p for p in probes if p.ranked and p.sensitivity is not None
              and math.isfinite(p.sensitivity)]
    best = _pick(ranked)
    best_sep = _pick([p for p in ranked if p.separable])
    w = task.function(name)
    result = QuantityResult(name, task.unit(name), w, comparison, probes,
                            best=best.name if best else None,
                            best_separable=best_sep.name if best_sep else None)
    if best is not None and best_sep is not None:
        result.ratio = best.sensitivity / best_sep.sensitivity
    t_ref = timing.t if timing.t is not None else (best.time if best else None)
    result.reference_time = t_ref
    if t_ref is not None:
        F = sql_qfim(task.array.network)
        if F is not None:
            result.sql = sensitivity(task.variance(F, t_ref, name), t_ref, timing.dead_time)
        if comparison.limit is not None:
            variance = comparison.limit * float(w @ w) / t_ref ** 2
            result.heisenberg = sensitivity(variance, t_ref, timing.dead_time)
    return result


def compare_field(task: FieldTask, timing: Timing,
                  probes: Sequence[str | tuple[str, qutip.Qobj]] | None = None, *,
                  noise: NoiseModel | None = None, readout: Readout | None = None,
                  repeats: int = 1, resources: str = "total") -> FieldComparison:
    r"""Compare probes on every quantity of interest of ``task``, in physical units.

    Parameters
    ----------
    task : FieldTask
        The sensor array, the field model and the quantities of interest.
    timing : Timing
        The interrogation time t (or None: each probe at its best t, which needs noise), the
        dead time per shot, an optional total time.
    probes : sequence, optional
        As for :func:`~qsn_qutip.report.compare` (default: its default probes).
    noise : NoiseModel, optional
        Decoherence rates per second (its ``time`` is ignored: t is the interrogation time).
    readout : Readout, optional
        Detection efficiency and readout fidelity: the product probe also gets its
        readout-limited sensitivity.
    repeats : int
        :math:`\mu`, for the standard deviations when ``timing.total`` is not given.
    resources : {"total", "fixed"}
        The constraint the probes are ranked under (:func:`~qsn_qutip.report.compare`).

    Returns
    -------
    FieldComparison

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> from qsn_qutip.magnetometry import GradientField, SensorArray
    >>> array = SensorArray(Network([QubitEnsemble(4), QubitEnsemble(4)]),
    ...                     [[-0.005], [0.005]], species="87Rb F=2")
    >>> task = FieldTask(array, GradientField(), estimate=["dBz/dx"])
    >>> result = compare_field(task, Timing(t=1e-3), ["product", "local-ghz", "ghz"])
    >>> gradient = result["dBz/dx"]
    >>> gradient.best, round(gradient.ratio ** 2, 12)        # the paper's factor 1/2
    ('ghz', 0.5)
    """
    if not isinstance(task, FieldTask):
        raise QSNError(f"task must be a FieldTask, got {type(task).__name__}")
    if not isinstance(timing, Timing):
        raise QSNError(f"timing must be a Timing, got {type(timing).__name__}")
    if noise is not None and not isinstance(noise, NoiseModel):
        raise QSNError(f"noise must be a NoiseModel, got {type(noise).__name__}")
    if readout is not None and not isinstance(readout, Readout):
        raise QSNError(f"readout must be a Readout, got {type(readout).__name__}")
    noise = None if noise is None or noise.is_trivial() else noise
    if timing.t is None:
        time_range(noise.rates if noise is not None else [], 1)   # refuses: no t, no noise
    probes = list(default_probes(True) if probes is None else probes)
    network = task.array.network
    evaluator = _Evaluator(network, probes, noise)
    quantities = []
    for name in task.interest:
        comparison = compare(network, v=task.direction(name), probes=probes,
                             resources=resources)
        quantities.append(_quantity(task, name, comparison, timing, evaluator, repeats,
                                    readout))
    return FieldComparison(task, timing, noise, readout, repeats, quantities)
