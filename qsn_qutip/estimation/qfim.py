r"""Quantum Fisher information matrices (QFIMs) of unitarily encoded states.

The encoding is :math:`\rho_\phi = U\rho U^\dagger` with :math:`U = e^{-i\sum_j\phi_j\hat H_j}`
(or, for the generators of one sensor that do not commute, the exact effective generators
:math:`\tilde H_k = -i(\partial_k U^\dagger)U` at the given :math:`\phi`).

* Pure states, covariance formula (never a density matrix, :mod:`.pure`):
  :math:`F_{kl} = 2\langle\{\hat H_k,\hat H_l\}\rangle - 4\langle\hat H_k\rangle\langle\hat H_l\rangle`.
  Diagonal generators need only the outcome probabilities :math:`p = |\psi|^2`: one read of
  the state and one weighted Gram product, whatever the number of sensors, with nothing of
  its size created.
* Mixed states, SLD formula in the eigenbasis :math:`\rho = \sum_i\lambda_i|i\rangle\langle i|`
  (:mod:`.mixed`, :mod:`.classes`):
  :math:`F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}\frac{(\lambda_i-\lambda_j)^2}{\lambda_i+\lambda_j}
  \mathrm{Re}(H_{k,ij}H_{l,ji})`, restricted to pairs that touch the support of :math:`\rho`
  (cost :math:`O(D^2 r)` for rank r after the eigendecomposition).  Only the pairs i < j are
  formed; diagonal generators touch only the basis states where they differ from their most
  frequent value, generators on a group of sensors share those products, and a non-diagonal
  generator on a small factor is diagonalised there (the eigenvectors rotated on it).
* Any differentiable family: :func:`qfim_from_derivatives`,
  :math:`F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}\mathrm{Re}(\partial_k\rho_{ij}\,\partial_l\rho_{ji})/(\lambda_i+\lambda_j)`.

Generators are ``Qobj`` on the whole space, stored in any format, or :class:`LocalOperator`
(an operator on one factor of a tensor-product space, as a :class:`~qsn_qutip.Network` hands
them out), which keeps huge networks cheap: no generator is ever built on the full space.
Their structure (diagonal, or acting on a few tensor factors only) is found exactly whatever
the storage (:func:`~qsn_qutip.operators.local_form`), so a dense ``qutip.Qobj(np.diag(h),
dims=...)`` costs what a ``LocalOperator`` costs.  This module knows nothing of sensors or
networks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import qutip

from .._checks import check_operator, check_state
from .._linalg import ket_array
from ..errors import QSNError
from ..operators import Generator, checked_forms, effective_forms, phi_dependent
from ..options import tolerances
from .blocks import weighted_gram
from .mixed import checked_density_matrix, mixed_qfim
from .pure import check_normalised, pure_qfim

__all__ = ["qfim", "qfim_from_derivatives"]


# ----------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------
def qfim(state: qutip.Qobj, generators: Sequence[Generator],
         phi: Sequence[float] | None = None) -> np.ndarray:
    r"""Quantum Fisher information matrix of ``state`` encoded by ``generators``.

    .. math::
        F_{kl} = 2\langle\{\hat H_k,\hat H_l\}\rangle - 4\langle\hat H_k\rangle\langle\hat H_l\rangle
        \quad\text{(pure)},\qquad
        F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}\frac{(\lambda_i-\lambda_j)^2}{\lambda_i+\lambda_j}
        \mathrm{Re}\,H_{k,ij}H_{l,ji}\quad\text{(mixed)}.

    Parameters
    ----------
    state : Qobj
        A normalised ket (covariance formula) or density matrix (SLD formula).
    generators : list of Qobj or LocalOperator
        Hermitian generators in parameter order, on the state's space.
    phi : sequence of float, optional
        Where to evaluate.  Commuting generators give a phi-independent QFIM; for
        non-commuting ones the exact effective generators at ``phi`` are used
        (:func:`effective_generators`), and the QFIM changes with ``phi``: it must then be
        given (``np.zeros(d)`` for :math:`\phi = 0`, where they are the generators
        themselves); ``None`` is accepted only when the answer does not depend on it.

    Returns
    -------
    numpy.ndarray
        The real symmetric positive-semidefinite d x d QFIM.

    Examples
    --------
    >>> import qutip
    >>> ghz = qutip.ghz_state(3)
    >>> jz = sum(qutip.tensor([qutip.sigmaz() / 2 if j == k else qutip.qeye(2)
    ...                        for j in range(3)]) for k in range(3))
    >>> qfim(ghz, [jz])
    array([[9.]])
    """
    state = check_state(state)
    dims = [int(x) for x in state.dims[0]]
    gens, forms = checked_forms(generators, dims)
    if phi is None and phi_dependent(gens, forms):
        raise QSNError("phi: generators of one sensor do not commute, so the QFIM depends on "
                       "where it is evaluated: give phi (np.zeros(d) for phi = 0)")
    if phi is not None:
        forms = effective_forms(gens, phi, forms)
    if state.isket:
        F, total = pure_qfim(ket_array(state), forms, dims)
        check_normalised(total, "<psi|psi>" if any(f.diagonal is None for f in forms)
                         else "the sum of |psi|^2")
        return F
    return mixed_qfim(state.full(), forms)


def qfim_from_derivatives(rho: qutip.Qobj, drhos: Sequence[qutip.Qobj]) -> np.ndarray:
    r"""The SLD QFIM from a state and its parameter derivatives.

    .. math::
        F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}
        \frac{\mathrm{Re}(\langle i|\partial_k\rho|j\rangle\langle j|\partial_l\rho|i\rangle)}
        {\lambda_i+\lambda_j}

    Terms are cut, not eigenvalues (``tolerances.eig_cutoff`` does not apply here): every
    eigenvalue of :math:`\rho` enters as computed, and a pair (i, j) is left out only when
    :math:`\lambda_i+\lambda_j` is below the resolution of the eigendecomposition
    (:math:`16D\epsilon\lambda_{\max}`).  So :math:`\mathrm{diag}(1-p, p)` with
    :math:`\partial_p\rho = \mathrm{diag}(-1, 1)` gives :math:`1/(p(1-p))` even for
    :math:`p = 10^{-13}`.  The derivatives on the pairs left out must be round-off (or the error
    of finite differences): above :math:`\sqrt{\mathrm{atol}}` times their largest entry, the
    family changes the rank of :math:`\rho`, has no SLD there, and is refused.

    Parameters
    ----------
    rho : Qobj
        The density matrix (a ket is turned into one).
    drhos : list of Qobj
        :math:`\partial\rho/\partial\phi_k`, Hermitian, same dims as ``rho``.

    Examples
    --------
    >>> import qutip
    >>> rho = qutip.ket2dm((qutip.basis(2, 0) + qutip.basis(2, 1)).unit())
    >>> drho = -1j * (qutip.sigmaz() / 2 * rho - rho * qutip.sigmaz() / 2)
    >>> qfim_from_derivatives(rho, [drho]).round(12)
    array([[1.]])
    """
    rho = check_state(rho, "rho")
    if rho.isket:
        rho = qutip.ket2dm(rho)
    if isinstance(drhos, qutip.Qobj) or not isinstance(drhos, Sequence) or not drhos:
        raise QSNError("drhos must be a non-empty list of Hermitian Qobj")
    for k, drho in enumerate(drhos):
        check_operator(drho, f"drhos[{k}]", dims=rho.dims[0])
    lam, vecs = np.linalg.eigh(checked_density_matrix(rho.full()))
    if lam[0] < -tolerances.atol:
        raise QSNError(f"rho must be positive semidefinite: smallest eigenvalue {lam[0]:.3g}")
    lam = np.clip(lam, 0.0, None)
    blocks = [vecs.conj().T @ drho.full() @ vecs for drho in drhos]
    total = lam[:, None] + lam[None, :]
    # an eigenvalue sum below the resolution of eigh is zero; any sum above it is kept
    keep = total > 16 * lam.size * np.finfo(float).eps * lam[-1]
    size = max(np.abs(x).max() for x in blocks)
    dropped = max((np.abs(x)[~keep].max(initial=0.0) for x in blocks), default=0.0)
    if dropped > np.sqrt(tolerances.atol) * size:
        raise QSNError("drhos: the derivative has weight where rho has none (the family "
                       "changes the rank of rho): the SLD and the QFIM are not defined there")
    weights = np.where(keep, 1.0 / np.where(keep, total, 1.0), 0.0)
    return weighted_gram([x * np.sqrt(weights) for x in blocks])
