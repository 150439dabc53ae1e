r"""The phase encoding and the noise of a network as one Schur-multiplier channel.

The optimiser covers networks whose every generator is diagonal in the sensors' bases (qubit
ensembles with :math:`\hat J_z`, optical modes with :math:`\hat n` or :math:`\hat n^2`, atoms
with diagonal Zeeman generators), under the channels that keep that structure: local dephasing
of qubits, phase diffusion of each sensor, and a field common to several sensors.  Each of them
multiplies the matrix elements of the probe entry by entry, :math:`\rho_{ab}\to T_{ab}\rho_{ab}`
(a Schur multiplier), except that local dephasing of a Dicke ensemble also spreads the state
over the spin-j blocks of Schur-Weyl duality, each again a Schur multiplier
(:mod:`qsn_qutip.noise.schur_weyl`).  So the output for an input :math:`\rho` on the joint basis
is :math:`\bigoplus_b T_b\circ\rho[I_b, I_b]`, the blocks b being products of one block per
sensor, and its adjoint is :math:`\Lambda^\dagger(\bigoplus_bM_b) = \sum_b(T_b\circ M_b)` placed
at :math:`[I_b, I_b]`.  Both commute with the encoding :math:`\rho\to e^{-i\phi\cdot\hat
H}\rho\,e^{i\phi\cdot\hat H}`, so the QFIM of the output does not depend on :math:`\phi`.

Because every :math:`T_b` is real and the generators are diagonal, a diagonal unitary
:math:`\Phi` changes nothing: :math:`T\circ(\Phi X\Phi^\dagger) = \Phi(T\circ X)\Phi^\dagger`
and :math:`\Phi` commutes with the generators, so the probe :math:`\psi = \Phi|\psi|` has the same
QFIM as :math:`|\psi|` (its entry-wise modulus).  Every probe is therefore searched among real
non-negative amplitudes, in real arithmetic.

Not covered (a :class:`~qsn_qutip.QSNError` says so): generators that are not diagonal (a
spin in a 3-D field), local decay of qubits and photon loss (they move population between
basis states, so the output is no Schur multiplier of the input).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import qutip

from .._linalg import diagonal_of
from ..errors import QSNError
from ..network import Network
from ..noise.channels import phase_diffusion
from ..noise.model import NoiseModel, SensorRates
from ..noise.schur_weyl import DickeTransfer
from ..options import check_memory

__all__ = ["LocalBlock", "Block", "PhaseChannel", "hamming_transfer", "generator_values",
           "allowed_levels", "rates_at"]


@dataclasses.dataclass(frozen=True)
class LocalBlock:
    """One output block of one sensor: its basis indices and its real transfer on them."""

    label: float | None
    index: np.ndarray
    transfer: np.ndarray


@dataclasses.dataclass(frozen=True)
class Block:
    r"""One output block of the network: joint basis indices :math:`I_b`, transfer :math:`T_b`
    on :math:`I_b\times I_b`, and the diagonal of every generator on :math:`I_b` (one row per
    parameter)."""

    labels: tuple
    index: np.ndarray
    transfer: np.ndarray
    values: np.ndarray


def hamming_transfer(n: int, c: float) -> np.ndarray:
    r""":math:`c^{d(x,y)}` on the :math:`2^n` computational basis states (d the Hamming
    distance): local dephasing of n qubits in the full basis.

    >>> hamming_transfer(1, 0.5)
    array([[1. , 0.5],
           [0.5, 1. ]])
    """
    one = np.array([[1.0, c], [c, 1.0]])
    out = np.ones((1, 1))
    for _ in range(n):
        out = np.kron(out, one)
    return out


def rates_at(network: Network, noise: NoiseModel | None, t: float | None
             ) -> SensorRates | None:
    """The strengths of ``noise`` on ``network`` for the interrogation time t (None without
    noise)."""
    if noise is None:
        return None
    return dataclasses.replace(noise, time=t).sensor_rates(network)


def allowed_levels(sensor) -> np.ndarray:
    r"""The basis states of a sensor a probe may use: those whose particle number (the
    diagonal of its resource operator) is at most the sensor's particles (all of them for qubit
    ensembles and atoms; the Fock levels up to ``photons`` for an optical mode).

    >>> from qsn_qutip import OpticalMode
    >>> allowed_levels(OpticalMode(4, photons=2)).tolist()
    [0, 1, 2]
    """
    diag = diagonal_of(sensor.resource_operator)
    if diag is None:
        return np.arange(sensor.size)
    return np.flatnonzero(np.real(diag) <= sensor.particles * (1 + 1e-12) + 1e-12)


def generator_values(network: Network) -> list[np.ndarray]:
    """Per sensor, its generators' diagonals as rows; QSNError for a non-diagonal one."""
    out = []
    for k, sensor in enumerate(network.sensors):
        rows = []
        for g in sensor.generators:
            diag = diagonal_of(g)
            if diag is None:
                raise QSNError(f"optimal_probe covers networks whose generators are diagonal "
                               f"(phase encodings); {network.which(k)} ({sensor!r}) has a "
                               f"generator that is not (its QFIM depends on phi)")
            rows.append(np.asarray(diag, dtype=float))
        out.append(np.array(rows).reshape(len(rows), sensor.size))
    return out


def _local_blocks(sensor, k: int, rates: SensorRates | None, values: np.ndarray,
                  network: Network) -> list[LocalBlock]:
    """The output blocks of sensor k under the local channels of ``rates``."""
    d = sensor.size
    if rates is not None and (rates.decay[k] > 0 or rates.transmission[k] < 1):
        what = "local decay" if rates.decay[k] > 0 else "photon loss"
        raise QSNError(f"optimal_probe covers dephasing-type noise (local, collective, "
                       f"correlated); {what} on {network.which(k)} moves population between "
                       f"basis states and is not covered")
    gamma_t = 0.0 if rates is None else rates.dephasing[k]
    if gamma_t > 0 and sensor.dicke_qubits is not None:
        n = sensor.dicke_qubits
        blocks = []
        transfer = DickeTransfer(n, gamma_t, np.arange(n + 1))
        if transfer.tables:
            items = [(b.j, b.ks, b.table) for b in transfer.blocks()]
        else:
            found = list(transfer.blocks())
            tables = dict(transfer.matrices({b.j: np.arange(b.ks.size) for b in found}))
            items = [(b.j, b.ks, tables[b.j]) for b in found]
        for j, ks, table in items:
            blocks.append(LocalBlock(j, np.asarray(ks), np.asarray(table, dtype=float)))
    elif gamma_t > 0:
        n = int(round(np.log2(d)))
        blocks = [LocalBlock(None, np.arange(d), hamming_transfer(n, np.exp(-gamma_t)))]
    else:
        blocks = [LocalBlock(None, np.arange(d), np.ones((d, d)))]
    diffusion = 0.0 if rates is None else rates.collective[k]
    if diffusion > 0:
        h = values[0]
        blocks = [dataclasses.replace(b, transfer=b.transfer * phase_diffusion(
            [h[b.index]], diffusion)) for b in blocks]
    return blocks


class PhaseChannel:
    r"""The noisy phase encoding of a network: :math:`\rho\mapsto\bigoplus_bT_b\circ\rho[I_b,
    I_b]` on the joint basis (module docstring).

    Parameters
    ----------
    network : Network
    rates : SensorRates or None
        The noise for one interrogation time (None: noiseless, one block, :math:`T = 1`).

    Attributes
    ----------
    allowed : numpy.ndarray of bool
        The joint basis states a probe may use (:func:`allowed_levels` on every sensor: each
        sensor keeps at most its particles).

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble
    >>> from qsn_qutip.noise import NoiseModel
    >>> net = Network([QubitEnsemble(2), QubitEnsemble(1)])
    >>> channel = PhaseChannel(net, NoiseModel(dephasing=0.1).sensor_rates(net))
    >>> channel.dim, len(channel.blocks)        # (j = 0, 1) x (j = 1/2)
    (6, 2)
    """

    def __init__(self, network: Network, rates: SensorRates | None = None):
        self.network = network
        local_values = generator_values(network)
        self.dims = [s.size for s in network.sensors]
        self.dim = int(np.prod(self.dims))
        self.n_params = sum(v.shape[0] for v in local_values)
        local = [_local_blocks(s, k, rates, local_values[k], network)
                 for k, s in enumerate(network.sensors)]
        entries = sum(np.prod([b.index.size ** 2 for b in combo])
                      for combo in itertools.product(*local))
        check_memory(int(8 * 4 * entries), f"optimal_probe: the output blocks of {network!r} "
                                           f"({int(entries)} matrix entries)")
        correlated = None if rates is None else _correlated(network, rates, local_values)
        self.blocks = [self._joint(combo, local_values, correlated)
                       for combo in itertools.product(*local)]
        self.local_allowed = [allowed_levels(s) for s in network.sensors]
        grids = np.meshgrid(*self.local_allowed, indexing="ij")
        self.allowed = np.zeros(self.dim, dtype=bool)
        self.allowed[np.ravel_multi_index([g.ravel() for g in grids], self.dims)] = True

    def _joint(self, combo: Sequence[LocalBlock], local_values, correlated) -> Block:
        grids = np.meshgrid(*[b.index for b in combo], indexing="ij")
        index = np.ravel_multi_index([g.ravel() for g in grids], self.dims)
        transfer = np.ones((1, 1))
        for b in combo:
            transfer = np.kron(transfer, b.transfer)
        flat = [g.ravel() for g in grids]
        values = np.array([h[flat[k]] for k in range(len(combo)) for h in local_values[k]])
        values = values.reshape(self.n_params, index.size)
        if correlated is not None:
            rate, active = correlated
            total = sum(local_values[k][0][flat[k]] for k in active)
            transfer = transfer * np.exp(-0.5 * rate * np.subtract.outer(total, total) ** 2)
        return Block(tuple(b.label for b in combo), index, transfer, values)

    # ------------------------------------------------------------------------------------
    def output(self, psi: np.ndarray) -> list[np.ndarray]:
        r"""The output blocks :math:`T_b\circ\psi_{I_b}\psi_{I_b}^T` for a real input ket."""
        out = []
        for b in self.blocks:
            x = psi[b.index]
            out.append(b.transfer * np.outer(x, x))
        return out

    def adjoint(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        r""":math:`\Lambda^\dagger`: :math:`\sum_b T_b\circ M_b` placed at :math:`[I_b, I_b]`
        (a real symmetric matrix on the joint basis)."""
        out = np.zeros((self.dim, self.dim))
        for b, m in zip(self.blocks, parts):
            if m is not None:
                out[np.ix_(b.index, b.index)] += b.transfer * m
        return out

    def ket(self, psi: np.ndarray) -> qutip.Qobj:
        """The real amplitudes ``psi`` as a ket on the network."""
        return qutip.Qobj(np.asarray(psi, dtype=complex).reshape(-1, 1),
                          dims=[self.network.ket_dims, [1] * len(self.network.ket_dims)])

    def amplitudes(self, state: qutip.Qobj) -> np.ndarray:
        """The entry-wise modulus of a ket on the network (same QFIM; module docstring)."""
        if not state.isket:
            raise QSNError("optimal_probe starts from kets; got a density matrix")
        x = np.abs(state.full().ravel())
        return x / np.linalg.norm(x)


def _correlated(network: Network, rates: SensorRates, local_values) -> tuple | None:
    active = [k for k, r in enumerate(rates.correlated) if r > 0]
    if not active:
        return None
    if len({rates.correlated[k] for k in active}) > 1:
        raise QSNError(f"correlated dephasing needs one rate for all sensors, got "
                       f"{list(rates.correlated)}")
    return rates.correlated[active[0]], active
