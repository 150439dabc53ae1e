r"""One probe of a comparison: its :class:`ProbeResult` row, and how a probe state is evaluated.

A probe state is evaluated on its own network (the hardware, or a re-allocation of its
particles): its QFIM at the point :math:`\phi` (noiseless), or of the noisy state after the
interrogation time ``noise.time``; with noise and a function task (or one parameter) also its
optimal interrogation time t* per unit total time (:func:`state_row`).  A noise model without
a time (``noise.time`` None: the time is to be chosen) compares every probe at its own t*: the
bound is then per unit time, :math:`v^TF_\phi(t^*)^{+}v/(\mu t^*)` (the variance of the
frequency function times the total time, over :math:`\mu`), the figure
:func:`~qsn_qutip.optimal_probe` minimises with ``time=None``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import qutip

from ..errors import QSNError
from ..estimation.qfim import qfim
from ..network import Network
from ..noise import NoiseModel, apply_noise, noisy_qfim, optimal_interrogation_time
from ..options import tolerances
from ..probes import SEPARABLE, Task, fits

__all__ = ["ProbeResult", "state_row", "not_applicable", "is_product", "sensing_allocation",
           "per_unit_time"]


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
        Mean resource :math:`\mathrm{Tr}(\hat R\rho)` per shot.
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
        total time on the task's function of the frequencies :math:`\omega` (:math:`\phi=\omega t`);
        with a noise model without a time (``noise.time`` None) the bound and the QFIM are
        those at t*.
    omega_bound : float or None
        With a noise model: :math:`\mathrm{Var}(\theta_\omega)\,T` at t* — the variance bound
        on the frequency function times the total interrogation time T.
    satisfies : tuple of str
        The resource constraints (``"total"``, ``"fixed"``) the probe satisfies
        (:func:`~qsn_qutip.probes.satisfies`); empty for a reference or a probe that does not
        apply.
    fits : dict
        Per constraint, None or the reason the probe does not satisfy it.
    ranked : bool
        Ranked by the verdict: it applies, is not a reference, and satisfies the comparison's
        constraint.
    rank_note : str
        Why an applicable probe is not ranked.
    resource_note : str
        Set when the probe's mean resource differs from that of the best separable probe.
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
    satisfies: tuple[str, ...] = ()
    fits: dict = dataclasses.field(default_factory=dict)
    ranked: bool = False
    rank_note: str = ""
    resource_note: str = ""

    @property
    def applies(self) -> bool:
        """True when the probe could be evaluated."""
        return self.bound is not None

    @property
    def notes(self) -> str:
        """Every note of the probe, for tables: its own, why it is not ranked, its resources."""
        return "; ".join(n for n in (self.note, self.rank_note, self.resource_note) if n)


def is_product(state: qutip.Qobj, network: Network) -> bool | None:
    """True/False for a ket (every sensor's reduced state pure or not), None for a mixed state."""
    if not state.isket:
        return None
    if len(network.sensors) == 1:
        return True
    return all(abs((network.reduced_state(state, k) ** 2).tr() - 1) < tolerances.purity_atol
               for k in range(len(network.sensors)))


def sensing_allocation(network: Network) -> list[int]:
    """Particles on each sensor that carries parameters."""
    return [network.particles[k] for k in network.sensing]


def per_unit_time(noise: NoiseModel | None) -> bool:
    """True when ``noise`` leaves the interrogation time to be chosen (``time`` None): every
    probe is then compared at its own optimal time, per unit total time."""
    return noise is not None and noise.time is None


def _timed_task(task: Task, network: Network) -> np.ndarray | None:
    """The function whose interrogation time is optimised (one parameter: itself), or None."""
    return task.v if task.v is not None else (np.ones(1) if network.n_params == 1 else None)


def state_row(name: str, network: Network, state: qutip.Qobj, task: Task,
              noise: NoiseModel | None, separable: bool | None, given: Network,
              phi: np.ndarray | None = None) -> ProbeResult:
    r"""A probe state on ``network`` (the hardware ``given``, or a re-allocation of it)
    evaluated on the task.

    Noiseless: the QFIM at ``phi`` and the bound.  With noise at ``noise.time``: the QFIM of
    the noisy state, and (for a function, or one parameter) the optimal interrogation time t*
    with :math:`\mathrm{Var}(\theta_\omega)T` there.  With ``noise.time`` None: everything at
    t*, the bound per unit time :math:`v^TF_\phi(t^*)^{+}v/(\mu t^*)`; all parameters with
    weights (several parameters) have no t* here and the probe does not apply (the reason in
    its note).
    """
    resources = network.mean_resource(state)
    fit = fits(given, network, state)
    met = tuple(k for k, why in fit.items() if why is None)

    def row(F: np.ndarray, bound: float) -> ProbeResult:
        return ProbeResult(name, sensing_allocation(network), resources, F, bound, separable,
                           satisfies=met, fits=fit)

    if noise is None:
        F = qfim(state, network.local_generators, phi=phi)
        return row(F, task.bound(F))
    v = _timed_task(task, network)
    timed = v is not None and any(rate > 0 for rate in noise.rates)
    if noise.time is None:
        if v is None:
            return not_applicable(name, network, "without a [noise] time each probe is "
                                  "compared at its own best interrogation time, which needs a "
                                  "function theta = v . phi (or one parameter)", separable)
        try:
            best = optimal_interrogation_time(state, network, noise, v=v)
        except QSNError as err:
            return not_applicable(name, network, f"no optimal interrogation time: {err}",
                                  separable)
        result = row(best.qfim, task.bound(best.qfim) / best.time)
        result.optimal_time, result.omega_bound = best.time, 1.0 / best.value
        return result
    F = noisy_qfim(apply_noise(state, network, noise), network, phi=phi)
    result = row(F, task.bound(F))
    if timed:
        try:
            best = optimal_interrogation_time(state, network, noise, v=v)
        except QSNError as err:
            result.note = f"no optimal interrogation time: {err}"
        else:
            result.optimal_time, result.omega_bound = best.time, 1.0 / best.value
    return result


def not_applicable(name: str, network: Network, reason: str,
                   separable: bool | None = None) -> ProbeResult:
    """A row for a probe that does not apply (no bound), with the reason; ``separable``
    defaults to the registry's word for a built-in name."""
    return ProbeResult(name, sensing_allocation(network), None, None, None,
                       name in SEPARABLE if separable is None else separable, reason)
