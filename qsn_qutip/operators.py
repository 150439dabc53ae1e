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
import math
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.linalg
import scipy.sparse

from ._checks import as_real_vector, check_operator
from ._linalg import matrix_of, narrowed
from .errors import QSNError
from .options import tolerances

__all__ = ["LocalOperator", "Generator", "LocalForm", "local_form", "check_generators",
           "checked_forms", "commute", "effective_generators", "operator_of", "apply_generator",
           "phi_dependent", "effective_forms"]

#: an operator on a factor of at most this size (or with at least 1/8 of its entries
#: non-zero) is applied as a dense matrix (BLAS), a larger sparse one through its non-zeros
_DENSE_UP_TO = 64


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
        return local_form(self, self.dims).apply(x)


Generator = qutip.Qobj | LocalOperator


@dataclasses.dataclass(frozen=True, eq=False)
class LocalForm:
    r"""A generator written as :math:`H = 1_{pre}\otimes h\otimes 1_{post}`, with h on the run
    ``lo:hi`` of the QuTiP dims (the shortest run it acts on), found by :func:`local_form`.

    Attributes
    ----------
    lo, hi : int
        The QuTiP dims ``dims[lo:hi]`` that h acts on.
    pre, size, post : int
        Dimensions of the factors before, of h, and after.
    matrix : numpy.ndarray or scipy.sparse.csr_matrix
        h (dense when small or dense enough, else CSR).
    diagonal : numpy.ndarray or None
        The real diagonal of h when h is diagonal.
    """

    lo: int
    hi: int
    pre: int
    size: int
    post: int
    matrix: np.ndarray | scipy.sparse.csr_matrix
    diagonal: np.ndarray | None

    @property
    def dimension(self) -> int:
        """Dimension D of the whole space."""
        return self.pre * self.size * self.post

    def full_diagonal(self) -> np.ndarray:
        """The diagonal of H on the whole space (a diagonal h only)."""
        return np.broadcast_to(self.diagonal[None, :, None],
                               (self.pre, self.size, self.post)).reshape(-1)

    def apply(self, x: np.ndarray) -> np.ndarray:
        r""":math:`H X` for the columns of ``x`` (shape ``(D, m)``), on the factor alone.

        A diagonal h scales, a dense h is one BLAS product (batched over the factors before
        it), a sparse h goes through its non-zeros.
        """
        m = x.shape[1]
        inner = self.post * m
        blocks = x.reshape(self.pre, self.size, inner)
        if self.diagonal is not None:
            return (blocks * self.diagonal[None, :, None]).reshape(x.shape)
        h = self.matrix
        if isinstance(h, np.ndarray):
            if self.pre == 1:
                return (h @ blocks[0]).reshape(x.shape)
            if inner == 1:
                return (blocks[:, :, 0] @ h.T).reshape(x.shape)
            return np.matmul(h, blocks).reshape(x.shape)
        moved = np.moveaxis(blocks, 1, 0).reshape(self.size, self.pre * inner)
        out = np.asarray(h @ moved).reshape(self.size, self.pre, inner)
        return np.moveaxis(out, 0, 1).reshape(x.shape)


def local_form(gen: Generator, dims: Sequence[int]) -> LocalForm:
    r"""The generator ``gen`` on a space with ket ``dims`` as :math:`1\otimes h\otimes 1`.

    The structure is found whatever the storage: a :class:`LocalOperator` starts from its
    factor, a ``Qobj`` from the whole space (dense data is inspected in place, sparse data
    through its non-zeros), and identity factors are split off at both ends exactly (no
    tolerance), so a dense ``qutip.tensor(sigmaz(), qeye(2)).to("dense")`` is recognised
    as a diagonal operator on the first qubit.

    Examples
    --------
    >>> import qutip
    >>> form = local_form(qutip.tensor(qutip.qeye(3), qutip.sigmax(), qutip.qeye(2)).to("dense"),
    ...                   [3, 2, 2])
    >>> (form.lo, form.hi, form.pre, form.size, form.post, form.diagonal is None)
    (1, 2, 3, 2, 2, True)
    """
    dims = [int(d) for d in dims]
    if isinstance(gen, LocalOperator):
        offset = sum(len(f) for f in gen.factor_dims[:gen.site])
        op_dims = list(gen.factor_dims[gen.site])
        op = gen.op
    else:
        offset, op_dims, op = 0, dims, gen
    mat = matrix_of(op)
    if not isinstance(mat, np.ndarray) and mat.shape[0] <= _DENSE_UP_TO:
        mat = mat.toarray()          # numpy on a small array beats any sparse format
    lo, hi, h, diagonal = narrowed(mat, op_dims)
    lo, hi = lo + offset, hi + offset
    size = math.prod(dims[lo:hi])
    if diagonal is None:
        if not isinstance(h, np.ndarray):
            h = h.toarray() if size <= _DENSE_UP_TO or 8 * h.nnz >= size * size else h
        elif size <= _DENSE_UP_TO:
            h = np.ascontiguousarray(h)
    return LocalForm(lo, hi, math.prod(dims[:lo]), size, math.prod(dims[hi:]), h, diagonal)


def check_generators(generators, dims: list[int]) -> list[Generator]:
    """Check a non-empty list of Hermitian generators on a space with ket ``dims``.

    Every :class:`LocalOperator` must split the space into the same factors.  Returns the
    generators as a list; raises :class:`~qsn_qutip.QSNError` naming ``generators[k]``.
    """
    return checked_forms(generators, dims)[0]


def _checked_form(gen, name: str, dims: list[int]) -> LocalForm:
    r"""The local form of one generator, validated: type and dims on the operator, finite
    and Hermitian on its factor h (the same test as on :math:`1\otimes h\otimes 1`, whose
    entries are those of h, at a fraction of the cost)."""
    op, op_dims = (gen.op, list(gen.factor_dims[gen.site])) if isinstance(
        gen, LocalOperator) else (gen, dims)
    if not isinstance(op, qutip.Qobj) or not op.isoper or list(op.dims[0]) != op_dims:
        check_operator(op, name, dims=op_dims)          # raises the message
    form = local_form(gen, dims)
    if form.size == op.shape[0] or not isinstance(op.data, qutip.data.Dense):
        check_operator(op, name)        # the operator itself (sparse: through its non-zeros)
    else:                               # dense: its factor h, whose entries are the same
        check_operator(qutip.Qobj(form.matrix, dims=[dims[form.lo:form.hi]] * 2), name)
    return form


def checked_forms(generators, dims: list[int]) -> tuple[list[Generator], list[LocalForm]]:
    """:func:`check_generators`, and the :func:`local_form` of every generator found on the way.

    Examples
    --------
    >>> import qutip
    >>> gens, forms = checked_forms([qutip.tensor(qutip.sigmaz(), qutip.qeye(2))], [2, 2])
    >>> forms[0].diagonal, forms[0].post
    (array([ 1., -1.]), 2)
    """
    if isinstance(generators, (qutip.Qobj, LocalOperator)) or not isinstance(
            generators, Sequence) or len(generators) == 0:
        raise QSNError("generators must be a non-empty list of Hermitian Qobj or LocalOperator")
    dims = [int(d) for d in dims]
    checked, forms = [], []
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
        forms.append(_checked_form(gen, name, dims))
        checked.append(gen)
    return checked, forms


def commute(ops: Sequence[qutip.Qobj]) -> bool:
    """True when the operators commute pairwise (to ``tolerances.atol``)."""
    return all((a * b - b * a).norm("max") <= tolerances.atol
               for a, b in itertools.combinations(ops, 2))


def _effective(mats: Sequence[np.ndarray], phis: np.ndarray) -> list[np.ndarray]:
    r"""Exact :math:`\tilde H_k = -i(\partial_k U^\dagger)U` for :math:`U = e^{-i\sum\phi_j H_j}`."""
    exponent = -1j * sum(phi * mat for phi, mat in zip(phis, mats))
    out = []
    for mat in mats:
        unitary, d_unitary = scipy.linalg.expm_frechet(exponent, -1j * mat)
        eff = -1j * d_unitary.conj().T @ unitary
        out.append((eff + eff.conj().T) / 2)
    return out


def _ket_dims(gen: Generator) -> list[int]:
    return gen.dims if isinstance(gen, LocalOperator) else list(gen.dims[0])


def _overlapping(generators: Sequence[Generator], forms: Sequence[LocalForm] | None = None):
    """The groups of generators whose supports overlap and that do not all commute
    (generators on disjoint runs of dims commute, diagonal ones too), each as (indices, lo,
    hi, their dense matrices on the run ``dims[lo:hi]``)."""
    dims = _ket_dims(generators[0])
    if forms is None:
        forms = [local_form(g, dims) for g in generators]
    order = sorted(range(len(forms)), key=lambda k: (forms[k].lo, forms[k].hi))
    groups: list[list] = []
    for k in order:
        f = forms[k]
        if groups and f.lo < groups[-1][2]:
            groups[-1][0].append(k)
            groups[-1][2] = max(groups[-1][2], f.hi)
        else:
            groups.append([[k], f.lo, f.hi])
    out = []
    for indices, lo, hi in groups:
        if len(indices) < 2 or all(forms[k].diagonal is not None for k in indices):
            continue
        mats = []
        for k in sorted(indices):
            f = forms[k]
            h = np.diag(f.diagonal) if f.diagonal is not None else f.matrix
            h = h if isinstance(h, np.ndarray) else h.toarray()
            mats.append(np.kron(np.kron(np.eye(math.prod(dims[lo:f.lo])), h),
                                np.eye(math.prod(dims[f.hi:hi]))))
        if not all(np.abs(a @ b - b @ a).max() <= tolerances.atol
                   for a, b in itertools.combinations(mats, 2)):
            out.append((sorted(indices), lo, hi, mats))
    return dims, out


def phi_dependent(generators: Sequence[Generator],
                  forms: Sequence[LocalForm] | None = None) -> bool:
    r"""True when the QFIM of these generators depends on :math:`\phi`.

    It does exactly when some generators acting on overlapping runs of tensor factors do not
    commute (found on those factors alone, whatever the storage, :func:`local_form`): then
    the effective generators :math:`\tilde H_k(\phi)` of :func:`effective_generators`
    differ from the :math:`\hat H_k`.  Generators on different factors always commute.
    ``forms``: their :func:`local_form` on the whole space, when already found.

    Examples
    --------
    >>> import qutip
    >>> phi_dependent([qutip.sigmax(), qutip.sigmaz()]), phi_dependent([qutip.sigmaz()])
    (True, False)
    """
    if len(generators) < 2:
        return False
    return bool(_overlapping(generators, forms)[1])


def effective_generators(generators: Sequence[Generator], phi: Sequence[float],
                         forms: Sequence[LocalForm] | None = None) -> list[Generator]:
    r"""The generators that act at :math:`\phi`: :math:`\tilde H_k = -i(\partial U^\dagger/\partial\phi_k)U`.

    Generators on disjoint runs of tensor factors commute, so the derivative is taken run by
    run, on the factors each group of overlapping generators acts on (found whatever the
    storage, :func:`local_form`; a dense 1024 x 1024 ``Qobj`` on one spin costs what the spin
    costs); a group of commuting generators is returned unchanged
    (:math:`\tilde H_k = \hat H_k`).  Uses :func:`scipy.linalg.expm_frechet`.  ``forms``:
    the generators' :func:`local_form` on the whole space, when already found.

    Examples
    --------
    >>> import qutip
    >>> g = effective_generators([qutip.sigmax() / 2, qutip.sigmaz() / 2], [0.0, 0.0])
    >>> bool((g[0] - qutip.sigmax() / 2).norm() < 1e-12)
    True
    """
    phis = as_real_vector(phi, "phi", length=len(generators))
    if not phis.any():                  # phi = 0: U = 1, the effective generators are the H_k
        return list(generators)
    dims, groups = _overlapping(generators, forms)
    out = list(generators)
    for indices, lo, hi, mats in groups:
        if not phis[indices].any():     # phi = 0 on the group: U = 1, exactly the H_k
            continue
        for k, eff in zip(indices, _effective(mats, phis[indices])):
            out[k] = _embedded(generators[k], eff, dims, lo, hi)
    return out


def effective_forms(generators: Sequence[Generator], phi: Sequence[float],
                    forms: Sequence[LocalForm] | None = None) -> list[LocalForm]:
    r"""The :func:`local_form` of every generator of :func:`effective_generators` at ``phi``,
    built on the factors each group of overlapping generators acts on (nothing embedded in
    the whole space and found again).  ``forms``: those of ``generators``, when found.

    Examples
    --------
    >>> import qutip
    >>> forms = effective_forms([qutip.sigmax() / 2, qutip.sigmaz() / 2], [0.0, 0.0])
    >>> bool(abs(forms[0].matrix - qutip.sigmax().full() / 2).max() < 1e-12)
    True
    """
    phis = as_real_vector(phi, "phi", length=len(generators))
    dims = _ket_dims(generators[0])
    forms = [local_form(g, dims) for g in generators] if forms is None else list(forms)
    if not phis.any():                  # phi = 0: U = 1, the effective generators are the H_k
        return forms
    for indices, lo, hi, mats in _overlapping(generators, forms)[1]:
        if not phis[indices].any():     # phi = 0 on the group: U = 1, exactly the H_k
            continue
        for k, eff in zip(indices, _effective(mats, phis[indices])):
            diagonal = np.real(np.diagonal(eff)).copy() if not np.count_nonzero(
                eff - np.diag(np.diagonal(eff))) else None
            forms[k] = LocalForm(lo, hi, math.prod(dims[:lo]), math.prod(dims[lo:hi]),
                                 math.prod(dims[hi:]), eff, diagonal)
    return forms


def _embedded(gen: Generator, eff: np.ndarray, dims: list[int], lo: int, hi: int) -> Generator:
    """``eff`` on the run ``dims[lo:hi]`` as a generator of the kind of ``gen``: on the
    factor of a LocalOperator that holds the run, else a Qobj on the whole space."""
    if isinstance(gen, LocalOperator):
        start = sum(len(f) for f in gen.factor_dims[:gen.site])
        stop = start + len(gen.factor_dims[gen.site])
        if start <= lo and hi <= stop:
            op = np.kron(np.kron(np.eye(math.prod(dims[start:lo])), eff),
                         np.eye(math.prod(dims[hi:stop])))
            return dataclasses.replace(gen, op=qutip.Qobj(op, dims=[dims[start:stop]] * 2))
    op = scipy.sparse.kron(scipy.sparse.kron(scipy.sparse.identity(math.prod(dims[:lo])),
                                             scipy.sparse.csr_matrix(eff)),
                           scipy.sparse.identity(math.prod(dims[hi:])), format="csr")
    return qutip.Qobj(op, dims=[dims, dims])


def operator_of(gen: Generator) -> qutip.Qobj:
    """The operator a generator applies on its own factor (the whole space for a Qobj)."""
    return gen.op if isinstance(gen, LocalOperator) else gen


def apply_generator(gen: Generator, x: np.ndarray) -> np.ndarray:
    """:math:`H X` for the columns of ``x`` (on the factor ``gen`` acts on, see :func:`local_form`)."""
    dims = gen.dims if isinstance(gen, LocalOperator) else gen.dims[0]
    return local_form(gen, dims).apply(x)
