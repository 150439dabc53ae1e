r"""Generators as operators: :class:`LocalOperator`, their checks and effective generators.

A generator is a Hermitian ``Qobj`` on the whole space, or a :class:`LocalOperator`, an
operator on one factor of a tensor-product space (as a :class:`~qsn_qutip.Network` hands them
out), which keeps huge networks cheap: no generator is ever built on the full space.  For
generators of one factor that do not commute, the phase-dependent *effective* generators
:math:`\tilde H_k = -i(\partial_k U^\dagger)U` of :math:`U = e^{-i\sum_j\phi_j\hat H_j}` are what
the state feels at :math:`\phi`.

Pure mathematics on ``Qobj`` and arrays, below the estimation layer: it knows nothing of
sensors or networks.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.linalg

from ._checks import as_real_vector, check_operator
from ._linalg import as_sparse, diagonal_of
from .errors import QSNError
from .options import tolerances

__all__ = ["LocalOperator", "Generator", "check_generators", "commute", "effective_generators",
           "operator_of", "apply_generator"]


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


def check_generators(generators, dims: list[int]) -> list[Generator]:
    """Check a non-empty list of Hermitian generators on a space with ket ``dims``.

    Every :class:`LocalOperator` must split the space into the same factors.  Returns the
    generators as a list; raises :class:`~qsn_qutip.QSNError` naming ``generators[k]``.
    """
    if isinstance(generators, (qutip.Qobj, LocalOperator)) or not isinstance(
            generators, Sequence) or len(generators) == 0:
        raise QSNError("generators must be a non-empty list of Hermitian Qobj or LocalOperator")
    checked = []
    split = None
    for k, gen in enumerate(generators):
        name = f"generators[{k}]"
        if isinstance(gen, LocalOperator):
            if gen.dims != list(dims):
                raise QSNError(f"{name} acts on a space with dims {gen.dims}, the state has "
                               f"dims {list(dims)}")
            split = gen.factor_dims if split is None else split
            if gen.factor_dims != split:
                raise QSNError(f"{name} splits the space into factors {gen.factor_dims}, an "
                               f"earlier LocalOperator into {split}: every LocalOperator must "
                               f"use the same factors (or pass .to_qobj() generators)")
            check_operator(gen.op, name, dims=list(gen.factor_dims[gen.site]))
        else:
            check_operator(gen, name, dims=dims)
        checked.append(gen)
    return checked


def commute(ops: Sequence[qutip.Qobj]) -> bool:
    """True when the operators commute pairwise (to ``tolerances.atol``)."""
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
        ops = [operator_of(generators[k]) for k in indices]
        if commute(ops):
            continue
        for k, eff in zip(indices, _effective(ops, phis[indices])):
            gen = generators[k]
            out[k] = dataclasses.replace(gen, op=eff) if isinstance(gen, LocalOperator) else eff
    return out


def operator_of(gen: Generator) -> qutip.Qobj:
    """The operator a generator applies on its own factor (the whole space for a Qobj)."""
    return gen.op if isinstance(gen, LocalOperator) else gen


def apply_generator(gen: Generator, x: np.ndarray) -> np.ndarray:
    """:math:`H X` for the columns of ``x``."""
    if isinstance(gen, LocalOperator):
        return gen.apply(x)
    diag = diagonal_of(gen)
    if diag is not None:
        return diag[:, None] * x
    return np.asarray(as_sparse(gen) @ x)
