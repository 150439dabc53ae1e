r"""The exact channels on dense density matrices, sensor by sensor.

Every channel here is *phase covariant*: it commutes with :math:`e^{-i\phi\hat H}` for the
sensors' diagonal generators (:math:`\hat J_z`, :math:`\hat n`), so the QFIM of the noisy probe is
the QFIM of :math:`\Lambda_t(\rho_0)` with the same generators.  Each is a closed form, exact to
round-off (no integration):

* local dephasing, Lindblad operator :math:`\sqrt{\gamma/2}\,\sigma_z` on every qubit: a Hadamard
  product :math:`\rho_{xy}\to\rho_{xy}e^{-\gamma t\,d(x,y)}` (d the Hamming distance), one qubit
  factor :math:`\begin{pmatrix}1&c\\c&1\end{pmatrix}`, :math:`c = e^{-\gamma t}`, at a time;
* local decay :math:`\sqrt{\gamma_1}\,\sigma_-` (amplitude damping, spin up to down):
  :math:`K_0 = |1\rangle\langle1| + e^{-\gamma_1t/2}|0\rangle\langle0|`,
  :math:`K_1 = \sqrt{1-e^{-\gamma_1t}}\,|1\rangle\langle0|` on every qubit;
* photon loss with transmission :math:`\eta` (the beam-splitter model):
  :math:`K_l = \sum_n\sqrt{\tbinom nl\eta^{n-l}(1-\eta)^l}\,|n-l\rangle\langle n|`, exact in the
  truncated Fock space, which loss never leaves;
* phase diffusion, Lindblad operator :math:`\sqrt\Gamma\,\hat H` for a diagonal generator:
  :math:`\rho_{ab}\to\rho_{ab}\,e^{-\Gamma t(h_a-h_b)^2/2}`; a field common to several sensors
  uses :math:`\hat H = \sum_s\hat H_s`.

Qubit ensembles in the Dicke basis leave their symmetric subspace under local dephasing and
decay; those go to Dicke blocks (:mod:`qsn_qutip.noise.schur_weyl`,
:mod:`qsn_qutip.noise.lindblad`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.stats

from .._linalg import diagonal_of
from ..errors import QSNError
from ..network import Network
from ..sensors import Sensor
from ..options import check_memory
from .model import SensorRates

__all__ = ["dense_matrix", "hadamard", "kraus", "dephase_qubits", "decay_qubits",
           "loss_kraus", "phase_diffusion", "single_diagonal", "diffuse_phases",
           "dense_channels"]


def dense_matrix(state: qutip.Qobj) -> np.ndarray:
    """The density matrix of a ket or density matrix as a dense array (size checked first:
    noise on sensors kept whole needs the whole density matrix)."""
    size = int(state.shape[0])
    check_memory(16 * size ** 2, f"the noisy probe: a dense density matrix of dimension "
                 f"D = {size}")
    return state.proj().full() if state.isket else state.full()


def hadamard(rho: np.ndarray, dims: Sequence[int], axis: int, factor: np.ndarray) -> np.ndarray:
    """rho[..a.., ..b..] *= factor[a, b] on tensor axis ``axis`` (bra and ket)."""
    nd = len(dims)
    shape = [1] * (2 * nd)
    shape[axis] = dims[axis]
    shape[nd + axis] = dims[axis]
    tensor = rho.reshape(tuple(dims) + tuple(dims))
    return (tensor * factor.reshape(shape)).reshape(rho.shape)


def kraus(rho: np.ndarray, dims: Sequence[int], axis: int,
          operators: Sequence[np.ndarray]) -> np.ndarray:
    r""":math:`\sum_l K_l\rho K_l^\dagger` with every :math:`K_l` on tensor axis ``axis``."""
    nd = len(dims)
    t = rho.reshape(tuple(dims) + tuple(dims))
    out = np.zeros_like(t)
    for K in operators:
        left = np.moveaxis(np.tensordot(K, t, axes=([1], [axis])), 0, axis)
        out += np.moveaxis(np.tensordot(left, K.conj(), axes=([nd + axis], [1])), -1, nd + axis)
    return out.reshape(rho.shape)


def _qubit_axes(dims: Sequence[int], axes: Sequence[int]) -> Sequence[int]:
    if any(dims[a] != 2 for a in axes):
        raise QSNError(f"qubit channels act on tensor factors of dimension 2, the sensor has "
                       f"{[dims[a] for a in axes]}")
    return axes


def dephase_qubits(rho: np.ndarray, dims: Sequence[int], axes: Sequence[int],
                   gamma_t: float) -> np.ndarray:
    r"""Local dephasing of the qubits on tensor ``axes``: coherences times :math:`e^{-\gamma t}`."""
    c = math.exp(-gamma_t)
    factor = np.array([[1.0, c], [c, 1.0]])
    for axis in _qubit_axes(dims, axes):
        rho = hadamard(rho, dims, axis, factor)
    return rho


def decay_qubits(rho: np.ndarray, dims: Sequence[int], axes: Sequence[int],
                 gamma_t: float) -> np.ndarray:
    r"""Amplitude damping :math:`|0\rangle\to|1\rangle` (spin up to down) of the qubits on ``axes``."""
    keep = math.exp(-gamma_t / 2)
    lost = math.sqrt(-math.expm1(-gamma_t))
    K0 = np.array([[keep, 0.0], [0.0, 1.0]])
    K1 = np.array([[0.0, 0.0], [lost, 0.0]])
    for axis in _qubit_axes(dims, axes):
        rho = kraus(rho, dims, axis, [K0, K1])
    return rho


def loss_kraus(dim: int, eta: float) -> list[np.ndarray]:
    r"""Kraus operators of loss: :math:`K_l = \sum_n\sqrt{\binom nl\eta^{n-l}(1-\eta)^l}|n-l\rangle\langle n|`.

    The weights are binomial probabilities of losing l of n photons
    (:func:`scipy.stats.binom`); operators that vanish are left out.

    Examples
    --------
    >>> K = loss_kraus(3, 0.64)
    >>> len(K), round(float(K[0][1, 1]), 12), round(float(K[1][0, 1]), 12)
    (3, 0.8, 0.6)
    """
    ops = []
    for l in range(dim):
        src = np.arange(l, dim)
        weights = np.sqrt(scipy.stats.binom.pmf(l, src, 1.0 - eta))
        if not np.any(weights):
            continue
        K = np.zeros((dim, dim))
        K[src - l, src] = weights
        ops.append(K)
    return ops


def phase_diffusion(values: Sequence[np.ndarray], gamma_t: float) -> np.ndarray:
    r""":math:`e^{-\Gamma t(h_a-h_b)^2/2}` for :math:`h = \sum_s h_s` over the given axes' diagonals."""
    total = 0
    for v in values:
        total = np.add.outer(total, v) if np.ndim(total) else v
    diff = total.ravel()[:, None] - total.ravel()[None, :]
    return np.exp(-0.5 * gamma_t * diff ** 2)


def single_diagonal(sensor: Sensor) -> np.ndarray | None:
    """The diagonal of a sensor's single diagonal generator (None when it has none)."""
    if sensor.n_params != 1:
        return None
    return diagonal_of(sensor.generators[0])


def diffuse_phases(rho: np.ndarray, network: Network, rates: Sequence[float],
                   correlated: bool) -> np.ndarray:
    """Phase diffusion of every sensor with a rate (independent, or one common field)."""
    dims = [s.size for s in network.sensors]
    if correlated:
        active = [k for k, r in enumerate(rates) if r > 0]
        if not active:
            return rho
        if len(set(rates[k] for k in active)) > 1:
            raise QSNError(f"correlated dephasing needs one rate for all sensors, got {rates}")
        values = [(single_diagonal(network.sensors[k]) if k in active
                   else np.zeros(dims[k])) for k in range(len(dims))]
        return rho * phase_diffusion(values, rates[active[0]])
    for k, r in enumerate(rates):
        if r > 0:
            rho = hadamard(rho, dims, k, phase_diffusion(
                [single_diagonal(network.sensors[k])], r))
    return rho


def dense_channels(rho: np.ndarray, network: Network, rates: SensorRates,
                   sensors: Sequence[int]) -> np.ndarray:
    """Local dephasing, decay and loss of the listed sensors (kept whole) on a dense ``rho``."""
    dims = network.ket_dims
    for k in sensors:
        axes = network.sensor_selection(k)
        if network.sensors[k].dicke_qubits is not None and rates.local(k):
            raise QSNError("internal: Dicke ensembles with local noise are handled by blocks")
        if rates.dephasing[k] > 0:
            rho = dephase_qubits(rho, dims, axes, rates.dephasing[k])
        if rates.decay[k] > 0:
            rho = decay_qubits(rho, dims, axes, rates.decay[k])
        if rates.transmission[k] < 1:
            axis = axes[0]
            rho = kraus(rho, dims, axis, loss_kraus(dims[axis], rates.transmission[k]))
    return rho
