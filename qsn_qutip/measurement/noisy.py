r"""The state a noisy probe is read out in: its density matrix after the interrogation, on the
space a measurement of it acts on.

Local dephasing and decay move a Dicke-basis ensemble out of its symmetric subspace only for
some probes (a GHZ state stays in it, a spin-coherent state does not).  A noisy state that
stays in it (weight outside below ``tolerances.truncation``) is measured on the network's own
space; one that leaves it is measured on the full :math:`2^n` space of its ensembles
(:meth:`~qsn_qutip.noise.DickeBlockState.to_full`: dims ``[2] * n``, a
:class:`~qsn_qutip.QubitEnsemble` with ``basis="full"`` per ensemble), up to
:data:`MAX_FULL_DIMENSION`, and refused beyond.  Its QFIM is always the exact one of the noisy
state (:func:`~qsn_qutip.noise.noisy_qfim`).  :func:`~qsn_qutip.experiment.simulate_task` samples
this state; :func:`~qsn_qutip.optimize.readout.optimal_readout` builds its readouts on it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import qutip

from ..errors import QSNError
from ..estimation.qfim import qfim
from ..network import Network
from ..noise import DickeBlockState, NoiseModel, NoisyProduct, apply_noise, noisy_qfim
from ..options import check_memory, tolerances
from ..sensors import QubitEnsemble

__all__ = ["MeasuredState", "measured_state", "MAX_FULL_DIMENSION"]

#: a noisy state of qubit ensembles that leaves their symmetric subspace is measured on the
#: full space of its qubits up to this dimension (its QFIM and every likelihood evaluation
#: grow as its square; 1024, ten qubits, takes seconds)
MAX_FULL_DIMENSION = 1024


@dataclasses.dataclass(frozen=True)
class MeasuredState:
    """The state that is read out, the network it lives on, its QFIM and how it was obtained.

    Attributes
    ----------
    state : Qobj
        The probe itself (noiseless) or its noisy density matrix, before the encoding.
    network : Network
        The network ``state`` lives on: the probe's, or one with full-basis ensembles.
    qfim : numpy.ndarray
        The QFIM of the (noisy) state.
    note : str
        ``""`` on the network's own space, else how it is measured.
    """

    state: qutip.Qobj
    network: Network
    qfim: np.ndarray
    note: str = ""


def _symmetric_blocks(state: DickeBlockState, sensors: Sequence) -> qutip.Qobj:
    """The blocks of total spin n/2 of every ensemble as a density matrix on the sensors'
    own spaces (Dicke index k = n/2 - m; a sensor kept whole by its own index)."""
    sizes = [s.size for s in sensors]
    total = math.prod(sizes)
    check_memory(16 * total * total, f"the noisy state as a {total} x {total} density matrix")
    rho = np.zeros((total, total), dtype=complex)
    for block in state.blocks:
        if all(j is None or j == q / 2 for j, q in zip(block.j, state.qubits)):
            flat = np.ravel_multi_index(tuple(block.index.T), sizes)
            rho[np.ix_(flat, flat)] += block.rho
    dims = [d for s in sensors for d in s.dims]
    return qutip.Qobj(rho / np.trace(rho).real, dims=[dims, dims])


def _leaked(state: DickeBlockState) -> float:
    """The weight of Dicke blocks outside the symmetric subspace (some j below n/2)."""
    return sum(b.weight for b in state.blocks
               if any(j is not None and j != q / 2 for j, q in zip(b.j, state.qubits)))


def _factor_sensors(factor, sensors: list) -> tuple[list, float]:
    """(the sensors a noisy factor is measured on, its weight outside the symmetric
    subspace): the full-basis ensembles when Dicke blocks leak out of it."""
    if not isinstance(factor, DickeBlockState):
        return sensors, 0.0
    leaked = _leaked(factor)
    if leaked <= tolerances.truncation:
        return sensors, leaked
    return [s if q is None else QubitEnsemble(q, basis="full", name=s.name)
            for q, s in zip(factor.qubits, sensors)], leaked


def _factor_matrix(factor, sensors: list, expanded: bool) -> qutip.Qobj:
    """One noisy factor as a density matrix on ``sensors`` (its own or the full-basis ones)."""
    if isinstance(factor, DickeBlockState):
        return factor.to_full() if expanded else _symmetric_blocks(factor, sensors)
    return factor if factor.isoper else factor.proj()


def measured_state(state: qutip.Qobj, network: Network,
                   noise: NoiseModel | None) -> MeasuredState:
    r"""The probe as it is read out: itself, or its noisy state after the interrogation.

    With ``noise``, :math:`\rho = \Lambda_t(|\psi\rangle\langle\psi|)`
    (:func:`~qsn_qutip.noise.apply_noise`) on the network's space when it stays in the
    ensembles' symmetric subspaces, else on the full :math:`2^n` space of the ensembles that
    leave it (module docstring).

    Parameters
    ----------
    state : Qobj
        The probe (checked by the caller against ``network``).
    network : Network
    noise : NoiseModel or None

    Returns
    -------
    MeasuredState

    Raises
    ------
    QSNError
        When the noisy state leaves the symmetric subspace and the full space is larger than
        :data:`MAX_FULL_DIMENSION`.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble, states
    >>> net = Network([QubitEnsemble(2)])
    >>> found = measured_state(states.product(net), net, NoiseModel(dephasing=0.1, time=1))
    >>> found.network.ket_dims, round(float(found.qfim[0, 0]), 6)        # 2 e^{-2 gamma t}
    ([2, 2], 1.637462)
    """
    if noise is None:
        return MeasuredState(state, network, qfim(state, network.local_generators))
    noisy = apply_noise(state, network, noise)
    fq = noisy_qfim(noisy, network)
    if isinstance(noisy, qutip.Qobj):
        return MeasuredState(noisy, network, fq)
    parts = (list(zip(noisy.factors, noisy.groups)) if isinstance(noisy, NoisyProduct)
             else [(noisy, range(len(network.sensors)))])
    plans = [_factor_sensors(factor, [network.sensors[k] for k in group])
             for factor, group in parts]
    sensors = [s for group, _ in plans for s in group]
    expanded = [any(a is not b for a, b in zip(group, (network.sensors[k] for k in members)))
                for (group, _), (_, members) in zip(plans, parts)]
    leaked = max(weight for _, weight in plans)
    total = math.prod(s.size for s in sensors)
    if any(expanded) and total > MAX_FULL_DIMENSION:
        raise QSNError(f"with this noise the state of the qubit ensembles leaves their "
                       f"symmetric (Dicke) subspace (weight {leaked:.2g} outside it), and a "
                       f"readout of it is simulated on the full space of the qubits: dimension "
                       f"{total} here, above {MAX_FULL_DIMENSION}; simulate fewer qubits (the "
                       f"bounds, qsn run, hold at any size)")
    mats = [_factor_matrix(factor, group, wide)
            for (factor, _), (group, _), wide in zip(parts, plans, expanded)]
    rho = mats[0] if len(mats) == 1 else qutip.tensor(mats)
    if not any(expanded):
        return MeasuredState(rho, network, fq)
    return MeasuredState(rho, Network(sensors), fq,
                         f"the full 2^n space of the qubit ensembles (the noise leaves their "
                         f"symmetric subspace, weight {leaked:.2g} outside it; every qubit is "
                         f"read out, the same information as their collective spin)")
