r"""Quantum Fisher information matrices (QFIMs) of unitarily encoded states.

The encoding is :math:`\rho_\phi = U\rho U^\dagger` with :math:`U = e^{-i\sum_j\phi_j\hat H_j}`
(or, for the generators of one sensor that do not commute, the exact effective generators
:math:`\tilde H_k = -i(\partial_k U^\dagger)U` at the given :math:`\phi`).

* Pure states, covariance formula (never a density matrix):
  :math:`F_{kl} = 2\langle\{\hat H_k,\hat H_l\}\rangle - 4\langle\hat H_k\rangle\langle\hat H_l\rangle`.
  Diagonal generators need only the outcome probabilities :math:`p = |\psi|^2` and, for
  generators on different sensors, their two-sensor marginals: one pass over the state.
* Mixed states, SLD formula in the eigenbasis :math:`\rho = \sum_i\lambda_i|i\rangle\langle i|`:
  :math:`F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}\frac{(\lambda_i-\lambda_j)^2}{\lambda_i+\lambda_j}
  \mathrm{Re}(H_{k,ij}H_{l,ji})`, restricted to pairs that touch the support of :math:`\rho`
  (cost :math:`O(D^2 r)` per generator for rank r after the eigendecomposition).
* Any differentiable family: :func:`qfim_from_derivatives`,
  :math:`F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}\mathrm{Re}(\partial_k\rho_{ij}\,\partial_l\rho_{ji})/(\lambda_i+\lambda_j)`.

Generators are ``Qobj`` on the whole space, or :class:`LocalOperator` (an operator on one
factor of a tensor-product space, as a :class:`~qsn_qutip.Network` hands them out), which keeps
huge networks cheap: no generator is ever built on the full space.  This module knows nothing
of sensors or networks.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.linalg
import scipy.sparse

from ._checks import QSNError, as_real_vector, check_operator, check_state
from ._linalg import as_sparse, diagonal_of, ket_array
from .options import tolerances

__all__ = ["LocalOperator", "qfim", "qfim_from_derivatives", "effective_generators"]


@dataclasses.dataclass(frozen=True, eq=False)
class LocalOperator:
    r"""An operator :math:`1\otimes\cdots\otimes\hat h\otimes\cdots\otimes 1` on factor ``site``.

    Parameters
    ----------
    op : Qobj
        The operator on the factor (its ``dims`` are ``factor_dims[site]``).
    site : int
        Which factor of the space it acts on.
    factor_dims : tuple of tuple of int
        The ket dims of every factor, e.g. ``((5,), (2, 2))``; the full space has the
        concatenation as its QuTiP dims.
    """

    op: qutip.Qobj
    site: int
    factor_dims: tuple[tuple[int, ...], ...]

    @property
    def shape(self) -> tuple[int, ...]:
        """Size of every factor."""
        return tuple(int(np.prod(d)) for d in self.factor_dims)

    @property
    def dims(self) -> list[int]:
        """QuTiP ket dims of the full space."""
        return [d for factor in self.factor_dims for d in factor]

    def to_qobj(self) -> qutip.Qobj:
        """The operator embedded in the full space with :func:`qutip.tensor` (dims kept)."""
        return qutip.tensor([self.op if k == self.site else qutip.qeye(list(d))
                             for k, d in enumerate(self.factor_dims)])

    def apply(self, x: np.ndarray) -> np.ndarray:
        """:math:`H X` for the columns of ``x`` (shape ``(D, m)``), factor by factor."""
        shape = self.shape
        pre, size = int(np.prod(shape[:self.site])), shape[self.site]
        post = int(np.prod(shape[self.site + 1:]))
        m = x.shape[1]
        blocks = x.reshape(pre, size, post * m)
        diag = diagonal_of(self.op)
        if diag is not None:
            return (blocks * diag[None, :, None]).reshape(x.shape)
        mat = as_sparse(self.op)
        moved = np.moveaxis(blocks, 1, 0).reshape(size, pre * post * m)
        out = np.asarray(mat @ moved).reshape(size, pre, post * m)
        return np.moveaxis(out, 0, 1).reshape(x.shape)


Generator = qutip.Qobj | LocalOperator


# ----------------------------------------------------------------------------------------
# validation and effective generators
# ----------------------------------------------------------------------------------------
def _check_generators(generators, dims: list[int]) -> list[Generator]:
    if isinstance(generators, (qutip.Qobj, LocalOperator)) or not isinstance(
            generators, Sequence) or len(generators) == 0:
        raise QSNError("generators must be a non-empty list of Hermitian Qobj or LocalOperator")
    checked = []
    for k, gen in enumerate(generators):
        name = f"generators[{k}]"
        if isinstance(gen, LocalOperator):
            if gen.dims != list(dims):
                raise QSNError(f"{name} acts on a space with dims {gen.dims}, the state has "
                               f"dims {list(dims)}")
            check_operator(gen.op, name, dims=list(gen.factor_dims[gen.site]))
        else:
            check_operator(gen, name, dims=dims)
        checked.append(gen)
    return checked


def _commute(ops: Sequence[qutip.Qobj]) -> bool:
    return all((a * b - b * a).norm("max") <= tolerances.atol
               for a, b in itertools.combinations(ops, 2))


def _effective(ops: Sequence[qutip.Qobj], phis: np.ndarray) -> list[qutip.Qobj]:
    r"""Exact :math:`\tilde H_k = -i(\partial_k U^\dagger)U` for :math:`U = e^{-i\sum\phi_j H_j}`."""
    mats = [op.full() for op in ops]
    exponent = -1j * sum(phi * mat for phi, mat in zip(phis, mats))
    dims = ops[0].dims
    out = []
    for mat in mats:
        unitary, d_unitary = scipy.linalg.expm_frechet(exponent, -1j * mat)
        eff = -1j * d_unitary.conj().T @ unitary
        out.append(qutip.Qobj((eff + eff.conj().T) / 2, dims=dims))
    return out


def effective_generators(generators: Sequence[Generator],
                         phi: Sequence[float]) -> list[Generator]:
    r"""The generators that act at :math:`\phi`: :math:`\tilde H_k = -i(\partial U^\dagger/\partial\phi_k)U`.

    Generators on different factors (a :class:`LocalOperator` per sensor) commute, so the
    derivative is taken factor by factor; a group of commuting generators is returned
    unchanged (:math:`\tilde H_k = \hat H_k`).  Uses :func:`scipy.linalg.expm_frechet`.

    Examples
    --------
    >>> import qutip
    >>> g = effective_generators([qutip.sigmax() / 2, qutip.sigmaz() / 2], [0.0, 0.0])
    >>> bool((g[0] - qutip.sigmax() / 2).norm() < 1e-12)
    True
    """
    phis = as_real_vector(phi, "phi", length=len(generators))
    groups: dict[object, list[int]] = {}
    for k, gen in enumerate(generators):
        groups.setdefault(gen.site if isinstance(gen, LocalOperator) else None, []).append(k)
    out = list(generators)
    for indices in groups.values():
        ops = [_operator(generators[k]) for k in indices]
        if _commute(ops):
            continue
        for k, eff in zip(indices, _effective(ops, phis[indices])):
            gen = generators[k]
            out[k] = dataclasses.replace(gen, op=eff) if isinstance(gen, LocalOperator) else eff
    return out


def _operator(gen: Generator) -> qutip.Qobj:
    """The operator a generator applies on its own factor (the whole space for a Qobj)."""
    return gen.op if isinstance(gen, LocalOperator) else gen


def _apply(gen: Generator, x: np.ndarray) -> np.ndarray:
    """:math:`H X` for the columns of ``x``."""
    if isinstance(gen, LocalOperator):
        return gen.apply(x)
    diag = diagonal_of(gen)
    if diag is not None:
        return diag[:, None] * x
    return np.asarray(as_sparse(gen) @ x)


def _check_total(total: float, what: str) -> None:
    if not np.isfinite(total):
        raise QSNError(f"state contains NaN or inf entries ({what})")
    if abs(total - 1.0) > tolerances.atol * 100:
        raise QSNError(f"state must be normalised: {what} is {total:.12g}, expected 1")


# ----------------------------------------------------------------------------------------
# pure states
# ----------------------------------------------------------------------------------------
def _covariance(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    r""":math:`4(\langle H_kH_l\rangle - \langle H_k\rangle\langle H_l\rangle)`, symmetrised."""
    f = 4.0 * (second - np.outer(first, first))
    return (f + f.T) / 2


def _pure_diagonal_local(psi: np.ndarray, gens: Sequence[LocalOperator]) -> np.ndarray:
    r"""Moments of diagonal local generators from :math:`|\psi|^2` and its two-factor marginals.

    For each pair of factors (a, b) carrying generators, the marginal :math:`P_{ab}` is
    contracted once with the columns :math:`[1, g_l, g_lg_m]` of factor b; the moments of
    factor a, the cross moments and those of factor b all follow from that one product.  With
    two factors :math:`P_{ab}` is :math:`|\psi|^2` itself, so the QFIM costs one pass over
    :math:`|\psi|^2` after computing it.
    """
    shape = gens[0].shape
    prob = np.square(psi.real)
    prob += np.square(psi.imag)
    prob = prob.reshape(shape)
    diags = [diagonal_of(g.op) for g in gens]
    sites = sorted({g.site for g in gens})
    on = {s: [k for k, g in enumerate(gens) if g.site == s] for s in sites}
    d = len(gens)
    first, second = np.zeros(d), np.zeros((d, d))

    def fill_site(site: int, marginal: np.ndarray) -> None:
        for k in on[site]:
            first[k] = diags[k] @ marginal
            for l in on[site]:
                second[k, l] = (diags[k] * diags[l]) @ marginal

    def marginal(axes: tuple[int, ...]) -> np.ndarray:
        others = tuple(a for a in range(len(shape)) if a not in axes)
        return prob.sum(axis=others) if others else prob

    last = sites[-1]
    if len(sites) == 1:
        only = marginal((last,))
        fill_site(last, only)
        total = only.sum()
    for a, b in itertools.combinations(sites, 2):
        ls = on[b]
        products = [(l, m) for j, l in enumerate(ls) for m in ls[j:]]
        columns = np.stack([np.ones(shape[b])] + [diags[l] for l in ls]
                           + [diags[l] * diags[m] for l, m in products], axis=1)
        reduced = marginal((a, b)).reshape(shape[a], shape[b]) @ columns   # one pass
        for k in on[a]:
            for j, l in enumerate(ls):
                second[k, l] = second[l, k] = diags[k] @ reduced[:, 1 + j]
        if b == last:                      # every other site is paired with the last once
            fill_site(a, reduced[:, 0])
        if a == sites[0] and b == last:    # the last site's moments are column sums
            total = reduced[:, 0].sum()
            sums = reduced.sum(axis=0)
            for j, l in enumerate(ls):
                first[l] = sums[1 + j]
            for j, (l, m) in enumerate(products):
                second[l, m] = second[m, l] = sums[1 + len(ls) + j]
    _check_total(total, "the sum of |psi|^2")
    return _covariance(first, second)


def _pure(psi: np.ndarray, gens: Sequence[Generator]) -> np.ndarray:
    if all(isinstance(g, LocalOperator) for g in gens) and all(
            diagonal_of(g.op) is not None for g in gens):
        return _pure_diagonal_local(psi, gens)
    diags = [None if isinstance(g, LocalOperator) else diagonal_of(g) for g in gens]
    if all(d is not None for d in diags):
        prob = np.abs(psi) ** 2
        _check_total(prob.sum(), "the sum of |psi|^2")
        g = np.stack(diags)
        return _covariance(g @ prob, (g * prob) @ g.T)
    _check_total(np.vdot(psi, psi).real, "<psi|psi>")
    images = np.concatenate([_apply(g, psi[:, None]) for g in gens], axis=1)
    first = (psi.conj() @ images).real
    second = (images.conj().T @ images).real
    return _covariance(first, second)


# ----------------------------------------------------------------------------------------
# mixed states
# ----------------------------------------------------------------------------------------
def _eigen(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Eigen-decomposition with the cut-off applied; returns (lam, vecs, rank)."""
    if not np.all(np.isfinite(rho)):
        raise QSNError("state contains NaN or inf entries")
    if np.abs(rho - rho.conj().T).max() > tolerances.atol:
        raise QSNError("state (density matrix) must be Hermitian")
    _check_total(np.trace(rho).real, "the trace of rho")
    lam, vecs = scipy.linalg.eigh(rho, check_finite=False)
    if lam[0] < -tolerances.atol:
        raise QSNError(f"state (density matrix) must be positive semidefinite: smallest "
                       f"eigenvalue {lam[0]:.3g}")
    lam = np.where(lam > tolerances.eig_cutoff * lam[-1], lam, 0.0)
    return lam, vecs, int(np.count_nonzero(lam))


def _weighted_gram(blocks: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    r""":math:`2\,\mathrm{Re}\sum_{ij} w_{ij} X_{k,ij}\overline{X_{l,ij}}` as one real product."""
    root = np.sqrt(weights)
    stacked = np.stack([(x * root).ravel() for x in blocks])
    flat = stacked.view(float)
    f = 2.0 * (flat @ flat.T)
    return (f + f.T) / 2


def _support_weights(lam: np.ndarray, rank: int, kernel) -> np.ndarray:
    """Weights ``kernel(l_i, l_j)`` for all i and j in the support, doubled for i outside it.

    Pairs with both indices outside the support carry zero weight; a pair with exactly one
    index inside appears twice in the full double sum, hence the factor two.
    """
    support = lam[-rank:]
    w = kernel(lam[:, None], support[None, :])
    w[:-rank] *= 2.0
    return w


def _mixed(rho: np.ndarray, gens: Sequence[Generator]) -> np.ndarray:
    lam, vecs, rank = _eigen(rho)
    right = vecs[:, -rank:]
    blocks = [vecs.conj().T @ _apply(g, right) for g in gens]
    weights = _support_weights(lam, rank, lambda a, b: (a - b) ** 2 / (a + b))
    return _weighted_gram(blocks, weights)


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
        (:func:`effective_generators`).  ``None`` means :math:`\phi = 0`, where they are the
        generators themselves.

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
    gens = _check_generators(generators, state.dims[0])
    if phi is not None:
        gens = effective_generators(gens, phi)
    if state.isket:
        return _pure(ket_array(state), gens)
    return _mixed(state.full(), gens)


def qfim_from_derivatives(rho: qutip.Qobj, drhos: Sequence[qutip.Qobj]) -> np.ndarray:
    r"""The SLD QFIM from a state and its parameter derivatives.

    .. math::
        F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}
        \frac{\mathrm{Re}(\langle i|\partial_k\rho|j\rangle\langle j|\partial_l\rho|i\rangle)}
        {\lambda_i+\lambda_j}

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
    lam, vecs, rank = _eigen(rho.full())
    right = vecs[:, -rank:]
    blocks = [vecs.conj().T @ (drho.full() @ right) for drho in drhos]
    weights = _support_weights(lam, rank, lambda a, b: 1.0 / (a + b))
    return _weighted_gram(blocks, weights)
