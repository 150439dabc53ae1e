r"""The paper's theorems as constructions a user can apply to their own probe.

* :func:`separable_counterpart` (Theorem 1, Eq. 17; Proposition 3 for mixed probes): with
  commuting generators, any probe maps to the sensor-separable ket
  :math:`|\varphi\rangle = \bigotimes_k \sum_{\lambda_k} \|\hat P_{\lambda_k}\psi\|\,|\lambda_k\rangle`
  whose QFIM is block-diagonal with the probe's (purified) diagonal blocks, so its QCRB is
  never worse, and whose mean resource is the same.
* :func:`ancilla_counterpart` (Theorem 2): with any generators, each sensor k gets a local
  ancilla and the purification of its reduced state :math:`\rho_k`; the QFIM is again
  block-diagonal with the same diagonal blocks, at no more than twice the resources (Eq. 25).
* :func:`proposition1_gap`: :math:`[F^{-1}]_{[kk]} - [F_{[kk]}]^{-1} \succeq 0`, zero iff F is
  block-diagonal — the inequality behind both theorems.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import qutip
import scipy.linalg

from .errors import QSNError
from ._checks import check_operator
from ._linalg import diagonal_of
from .network import Network, check_network
from .options import tolerances

__all__ = ["separable_counterpart", "ancilla_counterpart", "proposition1_gap",
           "joint_eigenspaces"]


def joint_eigenspaces(ops: Sequence[qutip.Qobj]) -> list[np.ndarray]:
    r"""Orthonormal bases (as columns) of the joint eigenspaces of commuting Hermitian ``ops``.

    A generic real combination :math:`\sum_j c_j\hat O_j` (fixed pseudo-random
    :math:`c_j`) has exactly the joint eigenspaces as its eigenspaces, so its eigenvectors,
    grouped by (numerically) equal eigenvalue, span them; degenerate eigenspaces stay whole.
    """
    if isinstance(ops, qutip.Qobj) or not isinstance(ops, Sequence) or not ops:
        raise QSNError(f"ops must be a non-empty list of Hermitian Qobj operators, got "
                       f"{type(ops).__name__}")
    mats = [check_operator(op, f"ops[{k}]", dims=ops[0].dims[0]
                           if isinstance(ops[0], qutip.Qobj) else None).full()
            for k, op in enumerate(ops)]
    coefficients = np.random.default_rng(12345).uniform(1.0, 2.0, len(mats))
    combination = sum(c * m for c, m in zip(coefficients, mats))
    values, vecs = np.linalg.eigh(combination)
    scale = max(1.0, np.abs(values).max())
    cuts = np.flatnonzero(np.diff(values) > tolerances.degeneracy_rtol * scale) + 1
    return np.split(vecs, cuts, axis=1)


def separable_counterpart(state: qutip.Qobj, network: Network) -> qutip.Qobj:
    r"""Theorem 1's sensor-separable probe with the same diagonal QFIM blocks (Eq. 17).

    .. math::
        |\varphi\rangle = \bigotimes_{k=1}^{s}\sum_{e}
        \sqrt{\mathrm{Tr}(\hat P_{k,e}\,\rho_k)}\;|e_k\rangle

    where :math:`\hat P_{k,e}` are the joint eigenprojectors of sensor k's generators and
    resource operator, :math:`|e_k\rangle` one unit vector in each eigenspace and
    :math:`\rho_k` the sensor's reduced state.  For a ket this is
    :math:`\|\hat P_{k,e}\psi\|`; for a density matrix it is the same construction applied to
    its purification (Proposition 3), whose reduced states are those of :math:`\rho`.

    Guarantees: the result is a product over sensors; :math:`\varphi` and :math:`\psi` (or the
    purification of :math:`\rho`) give every operator diagonal in the joint eigenbasis the
    same statistics, so the QFIM of :math:`\varphi` is block-diagonal with the same diagonal
    blocks and :math:`\mathrm{qcrb}(\varphi)\le\mathrm{qcrb}(\psi)` for every diagonal W; the
    mean resource is unchanged.

    Raises
    ------
    QSNError
        When a sensor's generators do not commute: use :func:`ancilla_counterpart`.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import Network, QubitEnsemble, qfim, states
    >>> net = Network([QubitEnsemble(2), QubitEnsemble(2)])
    >>> phi = separable_counterpart(states.ghz_like(net, [1, 1]), net)
    >>> np.round(qfim(phi, net.generators), 12)
    array([[4., 0.],
           [0., 4.]])
    """
    state = _checked(state, network)
    for k, sensor in enumerate(network.sensors):
        if not sensor.commuting:
            raise QSNError(f"separable_counterpart needs commuting generators (Theorem 1); "
                           f"{network.which(k)} ({sensor!r}) has non-commuting ones: use "
                           f"ancilla_counterpart (Theorem 2)")
    factors = []
    for k, sensor in enumerate(network.sensors):
        rho_k = network.reduced_state(state, k).full()
        amplitudes = np.zeros(sensor.size, dtype=complex)
        for basis in joint_eigenspaces(sensor.generators + [sensor.resource_operator]):
            weight = np.einsum("ij,ik,kj->", basis.conj(), rho_k, basis).real
            amplitudes += np.sqrt(max(weight, 0.0)) * basis[:, 0]
        factors.append(qutip.Qobj(amplitudes, dims=[sensor.dims, [1] * len(sensor.dims)]))
    return qutip.tensor(factors).unit()


def _checked(state, network) -> qutip.Qobj:
    """``state`` checked to be a quantum state on ``network`` (a :class:`Network`), as the
    QFIM checks it: a normalised ket, or a Hermitian unit-trace PSD density matrix."""
    return check_network(network).check(state, "state", physical=True)


def _cheapest_purification(rho: np.ndarray, resource: np.ndarray) -> np.ndarray:
    r"""Amplitudes (sensor index first) of :math:`\sum_i\sqrt{\lambda_i}|v_i\rangle|a_i\rangle`.

    :math:`\lambda_i` in decreasing order are paired with the ancilla's basis states
    :math:`|a_i\rangle` in increasing order of the (diagonal) resource ``resource``: by the
    rearrangement (Ky Fan) inequality this purification puts the fewest resources on the
    ancilla, never more than on the sensor itself.
    """
    lam, vecs = scipy.linalg.eigh(rho)
    lam, vecs = lam[::-1], vecs[:, ::-1]
    order = np.argsort(resource, kind="stable")
    amplitudes = np.zeros((rho.shape[0], rho.shape[0]), dtype=complex)
    amplitudes[:, order] = vecs * np.sqrt(np.clip(lam, 0.0, None))
    return amplitudes.ravel()


def ancilla_counterpart(state: qutip.Qobj, network: Network) -> tuple[qutip.Qobj, Network]:
    r"""Theorem 2's probe: each sensor entangled only with its own local ancilla.

    .. math::
        |\varphi\rangle = \bigotimes_{k=1}^{s}|\varphi_k\rangle,\qquad
        |\varphi_k\rangle = \sum_i \sqrt{\lambda_{k,i}}\,|v_{k,i}\rangle|a_{k,i}\rangle

    a purification of the reduced state :math:`\rho_k=\sum_i\lambda_{k,i}|v_{k,i}\rangle\langle
    v_{k,i}|` into the sensor and a copy of its space, with the largest eigenvalues on the
    ancilla states of least resource (so the ancilla never holds more resource than its
    sensor: vacuum first for a mode).  The generators still act on the sensors only, in the
    same order.

    Returns
    -------
    (Qobj, Network)
        The new ket and the network with an :class:`~qsn_qutip.sensors.Ancilla` after every
        sensor (:meth:`Network.with_ancillas`).  Its QFIM is block-diagonal with the input's
        diagonal blocks (those of its purification for a mixed input); the resource counted on
        sensors and ancillas alike (Eq. 25) is at most twice the input's.

    Examples
    --------
    >>> from qsn_qutip import MultiLevelAtom, Network, states
    >>> net = Network([MultiLevelAtom(spin=1, axes="xyz")] * 2)
    >>> phi, doubled = ancilla_counterpart(states.random_pure(net, seed=1), net)
    >>> doubled.dims[0], doubled.partition
    ([3, 3, 3, 3], [[0, 1, 2], [], [3, 4, 5], []])
    """
    state = _checked(state, network)
    factors = []
    for k, sensor in enumerate(network.sensors):
        resource = diagonal_of(sensor.resource_operator)
        if resource is None:
            raise QSNError(f"ancilla_counterpart needs a diagonal resource operator; "
                           f"{network.which(k)} ({sensor!r}) has a non-diagonal one")
        amplitudes = _cheapest_purification(network.reduced_state(state, k).full(), resource)
        factors.append(qutip.Qobj(amplitudes, dims=[sensor.dims * 2, [1] * (2 * len(sensor.dims))]))
    return qutip.tensor(factors).unit(), network.with_ancillas()


def proposition1_gap(F, partition: Sequence[Sequence[int]]) -> list[np.ndarray]:
    r"""Proposition 1: :math:`[F^{-1}]_{[kk]} - [F_{[kk]}]^{-1}` for every block of ``partition``.

    Each gap is positive semidefinite, and all vanish iff F is block-diagonal.  With F the QFIM
    of an entangled probe, the gap is how much the QCRB of sensor k's parameters loses to the
    off-diagonal blocks — nothing a separable probe with the same diagonal blocks would lose.

    Parameters
    ----------
    F : array_like
        An invertible (positive-definite) d x d QFIM.
    partition : list of list of int
        The parameter indices of every sensor (``network.partition``); empty blocks skipped.

    Examples
    --------
    >>> proposition1_gap([[2.0, 1.0], [1.0, 2.0]], [[0], [1]])[0].round(12)
    array([[0.16666667]])
    """
    try:
        F = np.asarray(F, dtype=float)
    except (TypeError, ValueError):
        raise QSNError(f"F must be a square matrix of real numbers, got {F!r}") from None
    if F.ndim != 2 or F.shape[0] != F.shape[1]:
        raise QSNError(f"F must be a square matrix, got shape {F.shape}")
    if not np.all(np.isfinite(F)):
        raise QSNError("F contains NaN or inf entries")
    try:
        blocks = [[int(i) for i in block] if all(isinstance(i, (int, np.integer))
                                                 and not isinstance(i, bool) for i in block)
                  else None for block in partition]
    except TypeError:
        blocks = [None]
    indices = sorted(i for block in blocks if block is not None for i in block)
    if None in blocks or indices != list(range(F.shape[0])):
        raise QSNError(f"partition must split the indices 0..{F.shape[0] - 1} into blocks "
                       f"(lists of int), got {partition!r}")
    partition = blocks
    lam = np.linalg.eigvalsh((F + F.T) / 2)
    if lam[0] <= tolerances.rank_rtol * max(lam[-1], 0.0):
        raise QSNError("F must be invertible (positive definite) for Proposition 1; its "
                       f"smallest eigenvalue is {lam[0]:.3g}")
    inverse = np.linalg.inv(F)
    return [inverse[np.ix_(b, b)] - np.linalg.inv(F[np.ix_(b, b)]) for b in partition if b]
