r"""Quantum Fisher information matrices (QFIMs) of unitarily encoded states.

The encoding is :math:`\rho_\phi = U\rho U^\dagger` with :math:`U = e^{-i\sum_j\phi_j\hat H_j}`
(or, for the generators of one sensor that do not commute, the exact effective generators
:math:`\tilde H_k = -i(\partial_k U^\dagger)U` at the given :math:`\phi`).

* Pure states, covariance formula (never a density matrix):
  :math:`F_{kl} = 2\langle\{\hat H_k,\hat H_l\}\rangle - 4\langle\hat H_k\rangle\langle\hat H_l\rangle`.
  Diagonal generators need only the outcome probabilities :math:`p = |\psi|^2` and, for
  generators on different sensors, their two-sensor marginals: one read of the state, with
  nothing of its size created.
* Mixed states, SLD formula in the eigenbasis :math:`\rho = \sum_i\lambda_i|i\rangle\langle i|`:
  :math:`F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}\frac{(\lambda_i-\lambda_j)^2}{\lambda_i+\lambda_j}
  \mathrm{Re}(H_{k,ij}H_{l,ji})`, restricted to pairs that touch the support of :math:`\rho`
  (cost :math:`O(D^2 r)` for rank r after the eigendecomposition).  Only the pairs i < j are
  formed, and diagonal generators touch only the basis states where they differ from their
  most frequent value; generators on a group of sensors share those products.
* Any differentiable family: :func:`qfim_from_derivatives`,
  :math:`F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}\mathrm{Re}(\partial_k\rho_{ij}\,\partial_l\rho_{ji})/(\lambda_i+\lambda_j)`.

Generators are ``Qobj`` on the whole space, or :class:`LocalOperator` (an operator on one
factor of a tensor-product space, as a :class:`~qsn_qutip.Network` hands them out), which keeps
huge networks cheap: no generator is ever built on the full space.  This module knows nothing
of sensors or networks.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.linalg

from .._checks import check_operator, check_state
from .._linalg import diagonal_of, ket_array
from ..errors import QSNError
from ..operators import (Generator, LocalOperator, apply_generator, check_generators,
                         effective_generators)
from ..options import tolerances

__all__ = ["qfim", "qfim_from_derivatives"]


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


#: amplitudes per block of the one-pass kernel over a ket (a block stays in the L2 cache)
_BLOCK_AMPLITUDES = 1 << 15


def _moment_columns(diags: Sequence[np.ndarray], start: int, stop: int) -> np.ndarray:
    r"""Rows ``start:stop`` of the columns :math:`[1, g_l, g_lg_m]` (l <= m) of one factor."""
    part = [d[start:stop] for d in diags]
    return np.stack([np.ones(stop - start)] + part
                    + [a * b for j, a in enumerate(part) for b in part[j:]], axis=1)


def _squared_moments(amplitudes: np.ndarray, diags: Sequence[np.ndarray]) -> np.ndarray:
    r""":math:`T = |A|^2 C`: one read of the amplitudes A, in cache-sized blocks.

    .. math::
        T_{r\cdot} = \sum_j |A_{rj}|^2\,[1,\ g_l(j),\ g_l(j)g_m(j)]_{l \le m}

    for the R x n amplitudes A and the columns C of :func:`_moment_columns` built from
    ``diags`` (the :math:`g_l`).  With the amplitudes viewed as (Re, Im) pairs,
    :math:`|a|^2 = (\mathrm{Re}\,a)^2 + (\mathrm{Im}\,a)^2`, so a block of A costs one
    elementwise square of its float view and one product with the rows of C repeated twice;
    nothing of the size of A is created.
    """
    rows, n = amplitudes.shape
    width = min(n, _BLOCK_AMPLITUDES)
    height = max(1, _BLOCK_AMPLITUDES // width)
    out = np.zeros((rows, 1 + len(diags) * (len(diags) + 3) // 2))
    for c0 in range(0, n, width):
        columns = np.repeat(_moment_columns(diags, c0, min(n, c0 + width)), 2, axis=0)
        for r0 in range(0, rows, height):
            block = amplitudes[r0:r0 + height, c0:c0 + width].view(np.float64)
            out[r0:r0 + height] += np.square(block) @ columns
    return out


def _pure_diagonal_local(psi: np.ndarray, gens: Sequence[LocalOperator]) -> np.ndarray:
    r"""Covariance QFIM of diagonal local generators from :math:`|\psi|^2`, one read of psi.

    .. math::
        F_{kl} = 4\left(\sum_a p_a g_k(a_{s_k})g_l(a_{s_l})
        - \sum_a p_a g_k(a_{s_k})\sum_a p_a g_l(a_{s_l})\right),\qquad p = |\psi|^2,

    with :math:`g_k` the diagonal of generator k on its factor :math:`s_k`.  With psi as a
    matrix (all other factors) x (last factor), :func:`_squared_moments` gives the table
    :math:`T = |\psi|^2[1, g_l, g_lg_m]` over the generators l, m of the last factor: its
    column sums are their moments; summed over every factor but a, its first column is the
    marginal of factor a and the others give the cross moments with the last factor; pairs
    of other factors use the two-factor marginals of the first column.  With two factors T
    has one row per level of the first, so the QFIM costs one read of psi.
    """
    shape = gens[0].shape
    last = len(shape) - 1
    diags = [diagonal_of(g.op) for g in gens]
    on: dict[int, list[int]] = {}
    for k, g in enumerate(gens):
        on.setdefault(g.site, []).append(k)
    tail = on.get(last, [])
    products = [(l, m) for j, l in enumerate(tail) for m in tail[j:]]
    table = _squared_moments(np.asarray(psi, dtype=complex).reshape(-1, shape[last]),
                             [diags[l] for l in tail])
    sums = table.sum(axis=0)
    _check_total(sums[0], "the sum of |psi|^2")
    table = table.reshape(shape[:last] + (-1,))
    d = len(gens)
    first, second = np.zeros(d), np.zeros((d, d))
    for j, l in enumerate(tail):
        first[l] = sums[1 + j]
    for j, (l, m) in enumerate(products):
        second[l, m] = second[m, l] = sums[1 + len(tail) + j]
    lead = sorted(s for s in on if s != last)
    for a in lead:
        marginal = table.sum(axis=tuple(x for x in range(last) if x != a))
        for k in on[a]:
            first[k] = diags[k] @ marginal[:, 0]
            for l in on[a]:
                second[k, l] = (diags[k] * diags[l]) @ marginal[:, 0]
            for j, l in enumerate(tail):
                second[k, l] = second[l, k] = diags[k] @ marginal[:, 1 + j]
    for a, b in itertools.combinations(lead, 2):
        joint = table[..., 0].sum(axis=tuple(x for x in range(last) if x not in (a, b)))
        for k in on[a]:
            for l in on[b]:
                second[k, l] = second[l, k] = diags[k] @ joint @ diags[l]
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
    images = np.concatenate([apply_generator(g, psi[:, None]) for g in gens], axis=1)
    first = (psi.conj() @ images).real
    second = (images.conj().T @ images).real
    return _covariance(first, second)


# ----------------------------------------------------------------------------------------
# mixed states
# ----------------------------------------------------------------------------------------
#: side of the square tiles of the mixed-state passes (their data stays in cache); up to
#: D = 512 the smaller one is faster (less waste on the diagonal outweighs smaller products)
_TILE = 128
_SMALL_TILE = 64


def _hermitian_defect(a: np.ndarray) -> float:
    r""":math:`\max_{ij}|a_{ij} - \overline{a_{ji}}|`, tile by tile (the transpose stays in cache)."""
    t = _TILE
    return max(float(np.abs(a[i:i + t, j:j + t] - a[j:j + t, i:i + t].conj().T).max())
               for i in range(0, a.shape[0], t) for j in range(i, a.shape[0], t))


def _checked(rho: np.ndarray) -> np.ndarray:
    """The validated density matrix (finite, Hermitian, unit trace), real when it is real."""
    if not np.all(np.isfinite(rho)):
        raise QSNError("state contains NaN or inf entries")
    if _hermitian_defect(rho) > tolerances.atol:
        raise QSNError("state (density matrix) must be Hermitian")
    _check_total(np.trace(rho).real, "the trace of rho")
    if np.iscomplexobj(rho) and not rho.imag.any():
        rho = rho.real
    return rho


def _eigen(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Eigen-decomposition of a checked ``rho`` with the cut-off applied: (lam, vecs, rank).

    Eigenvalues ascend; a real symmetric ``rho`` gets real eigenvectors (and real arithmetic
    after).  The drivers are the fastest measured single-threaded (``benchmarks/``).
    """
    lam, vecs = scipy.linalg.eigh(rho, check_finite=False,
                                  driver="evr" if np.iscomplexobj(rho) else "evd")
    if lam[0] < -tolerances.atol:
        raise QSNError(f"state (density matrix) must be positive semidefinite: smallest "
                       f"eigenvalue {lam[0]:.3g}")
    lam = np.where(lam > tolerances.eig_cutoff * lam[-1], lam, 0.0)
    return lam, vecs, int(np.count_nonzero(lam))


#: the randomized support search tries sketch sizes 16, 64, 256, ... up to D / 32, and only
#: from D = 512 on (below, one eigendecomposition is cheap)
_SKETCH_START, _SKETCH_GROWTH, _SKETCH_FRACTION, _SKETCH_MIN_SIZE = 16, 4, 32, 512


def _support_by_sketch(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    r"""The eigenpairs of the support of a low-rank ``rho`` in :math:`O(D^2k)`, or None.

    For k = 16, 64, ... while k <= D/32: Q an orthonormal basis of :math:`\rho\Omega`
    (:math:`\Omega` Gaussian, D x k, fixed seed), :math:`B = Q^\dagger\rho Q = U\mu U^\dagger`.
    When B has an eigenvalue below the cut-off (``tolerances.eig_cutoff`` times the largest),
    the sketch holds the whole support, which is *certified*, not assumed: the trace deficit
    :math:`\mathrm{tr}\,\rho-\mathrm{tr}B = \mathrm{tr}(1-P)\rho(1-P)` and the residual
    :math:`\|\rho QU - QU\mu\|_F` must both be below the cut-off.  Then the eigenvalues above
    the cut-off and their eigenvectors QU are returned; otherwise None and the caller runs the
    full eigendecomposition (which also reports a state that is not positive semidefinite).
    """
    size = rho.shape[0]
    if size < _SKETCH_MIN_SIZE:
        return None
    rng = np.random.default_rng(0)
    k = _SKETCH_START
    while k <= size // _SKETCH_FRACTION:
        omega = rng.standard_normal((size, k))
        if np.iscomplexobj(rho):
            omega = omega + 1j * rng.standard_normal((size, k))
        basis = np.linalg.qr(rho @ omega)[0]
        image = rho @ basis
        small = basis.conj().T @ image
        mu, vecs = np.linalg.eigh((small + small.conj().T) / 2)
        keep = mu > tolerances.eig_cutoff * mu[-1]
        if np.count_nonzero(keep) < k:
            if mu[0] < -tolerances.atol:
                return None
            bound = tolerances.eig_cutoff * mu[-1]
            vecs = vecs[:, keep]
            deficit = abs(float(np.trace(rho).real - mu.sum()))
            residual = float(np.linalg.norm(image @ vecs - basis @ (vecs * mu[keep])))
            if deficit > bound or residual > bound:
                return None
            return mu[keep], basis @ vecs
        k *= _SKETCH_GROWTH
    return None


def _support_qfim(lam: np.ndarray, vecs: np.ndarray, gens: Sequence[Generator]) -> np.ndarray:
    r"""SLD QFIM from the support :math:`\rho = V\mathrm{diag}(\lambda)V^\dagger` alone, :math:`O(Drd)`.

    .. math::
        F_{kl} = 2\sum_{i,j\in S}\frac{(\lambda_i-\lambda_j)^2}{\lambda_i+\lambda_j}
        \mathrm{Re}(H_{k,ij}H_{l,ji})
        + 4\sum_{j\in S}\lambda_j\,\mathrm{Re}\langle j|H_k(1-P)H_l|j\rangle:

    a pair with one index i outside the support S has weight :math:`\lambda_j` and appears in
    both orders; the sum over such i is the projector :math:`1-P = 1-VV^\dagger`, so no
    eigenvector outside S is needed.
    """
    images = [apply_generator(g, vecs) for g in gens]
    blocks = [vecs.conj().T @ x for x in images]
    weights = (lam[:, None] - lam[None, :]) ** 2 / (lam[:, None] + lam[None, :])
    d = len(gens)
    F = np.zeros((d, d))
    for a in range(d):
        for b in range(a, d):
            inside = 2 * np.sum(weights * (blocks[a] * blocks[b].T).real)
            outside = (np.einsum("ij,ij->j", images[a].conj(), images[b])
                       - np.einsum("ij,ij->j", blocks[a].conj(), blocks[b])).real
            F[a, b] = F[b, a] = inside + 4 * lam @ outside
    return F


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


#: basis states in the smallest class of a group of generators (:func:`_site_groups`): the
#: inner dimension of its products, which run BLAS near full speed from 64 on
_MIN_CLASS_ROWS = 64
#: classes of a group at most (each is one product per tile)
_MAX_CLASSES = 64


def _site_diagonal(gen: Generator) -> tuple[np.ndarray, tuple[int, ...], int] | None:
    """(diagonal on its factor, shape of the factors, factor) of a diagonal generator, or None.

    A ``Qobj`` on the whole space counts as the only factor of shape ``(D,)``.
    """
    if isinstance(gen, LocalOperator):
        diag = diagonal_of(gen.op)
        return None if diag is None else (diag, gen.shape, gen.site)
    diag = diagonal_of(gen)
    return None if diag is None else (diag, (diag.size,), 0)


def _level_classes(diags: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The levels of a factor grouped by the values of its generators: the class of every
    level, and the values of the generators on every class (classes x generators)."""
    if len(diags) == 1:
        values, inverse = np.unique(diags[0], return_inverse=True)
        return inverse, values[:, None]
    values, inverse = np.unique(np.stack(diags, axis=1), axis=0, return_inverse=True)
    return inverse.ravel(), values


def _site_groups(size: int, classes: dict[int, np.ndarray]) -> list[list[int]]:
    """Factors merged greedily into groups whose joint classes stay few and large.

    ``classes[site]`` is the class of every level of the factor; a group's classes are the
    products of its factors' classes, at most :data:`_MAX_CLASSES` of them, the smallest
    with at least :data:`_MIN_CLASS_ROWS` of the ``size`` basis states.
    """
    groups: list[list[int]] = []
    count, smallest = 1, float(size)
    for site in sorted(classes, key=lambda s: (classes[s].max(), s)):
        sizes = np.bincount(classes[site])
        fraction = sizes.min() / sizes.sum()
        if groups and count * sizes.size <= _MAX_CLASSES and \
                smallest * fraction >= _MIN_CLASS_ROWS:
            groups[-1].append(site)
        else:
            groups.append([site])
            count, smallest = 1, float(size)
        count *= sizes.size
        smallest *= fraction
    return groups


def _class_plan(gens: Sequence[Generator], size: int):
    r"""How the generators share the products of :func:`_mixed`.

    Diagonal generators :math:`\mathrm{diag}(h_k)` on the factors of a group
    (:func:`_site_groups`) split the basis states into classes c on which every :math:`h_k`
    is constant.  In the eigenbasis, with :math:`E = V^T` and for i != j,

    .. math::
        \overline{H_{k,ij}} = \sum_c (h_k(c) - h_k(c_0))\,Y_{c,ij}, \qquad
        Y_{c,ij} = \sum_{a\in c} E_{ia}\overline{E_{ja}}

    (a constant :math:`h_k(c_0)` changes only the diagonal).  With :math:`c_0` the largest
    class, the products :math:`Y_c` cover the other basis states of the group once, not once
    per generator; a group with one generator folds :math:`h_k(c) - h_k(c_0)` into a single
    product (for a qubit's :math:`\sigma_z/2`: half of the states, a quarter of the work of
    :math:`V^\dagger(\hat HV)`).

    Returns
    -------
    others : list of int
        The generators that are not diagonal (one term each, after the diagonal terms).
    chosen, scale : numpy.ndarray
        The basis states a of the diagonal terms, term after term, and the factor of each.
    bounds : numpy.ndarray
        Term q of the diagonal ones uses ``chosen[bounds[q]:bounds[q + 1]]``.
    coefficients : numpy.ndarray
        :math:`C_{kq}` (generators x terms): :math:`\overline{H_{k,ij}} = \sum_q C_{kq}Y_{q,ij}`.
    """
    others, columns = [], []
    chosen, scale, bounds = [np.zeros(0, dtype=np.int64)], [np.zeros(0)], [0]
    diagonal: dict[tuple[int, ...], dict[int, list[tuple[int, np.ndarray]]]] = {}
    for k, gen in enumerate(gens):
        found = _site_diagonal(gen)
        if found is None:
            others.append(k)
        else:
            diag, shape, site = found
            diagonal.setdefault(shape, {}).setdefault(site, []).append((k, diag))

    def add(states, factors, column):
        chosen.append(states)
        scale.append(factors)
        bounds.append(bounds[-1] + states.size)
        columns.append(column)

    for shape, sites in diagonal.items():
        classes = {s: _level_classes([d for _, d in on]) for s, on in sites.items()}
        for group in _site_groups(size, {s: inverse for s, (inverse, _) in classes.items()}):
            radices = [len(classes[s][1]) for s in group]
            largest = [np.argmax(np.bincount(classes[s][0])) for s in group]
            code = np.ravel_multi_index(     # the joint class of every basis state
                [classes[s][0][np.arange(size) // int(np.prod(shape[s + 1:])) % shape[s]]
                 for s in group], radices)
            order = np.argsort(code, kind="stable")
            codes, counts = np.unique(code, return_counts=True)
            parts, weights = [], []          # the basis states and h_k(c) - h_k(c_0) of c
            for c, stop, count in zip(codes, np.cumsum(counts), counts):
                joint = np.unravel_index(c, radices)
                if list(joint) == largest:
                    continue
                parts.append(order[stop - count:stop])
                weights.append({k: classes[s][1][own, j] - classes[s][1][ref, j]
                                for s, own, ref in zip(group, joint, largest)
                                for j, (k, _) in enumerate(sites[s])})
            members = [k for s in group for k, _ in sites[s]]
            if len(members) == 1 and parts:
                add(np.concatenate(parts), np.repeat([w[members[0]] for w in weights],
                                                     [x.size for x in parts]),
                    {members[0]: 1.0})
            elif parts:
                for part, column in zip(parts, weights):
                    add(part, np.ones(part.size), column)
    coefficients = np.zeros((len(gens), len(columns) + len(others)))
    for q, column in enumerate(columns):
        for k, w in column.items():
            coefficients[k, q] = w
    for q, k in enumerate(others, start=len(columns)):
        coefficients[k, q] = 1.0
    return others, np.concatenate(chosen), np.concatenate(scale), np.array(bounds), coefficients


def _mixed(rho: np.ndarray, gens: Sequence[Generator]) -> np.ndarray:
    r"""SLD QFIM of a density matrix from the pairs i < j that touch its support.

    .. math::
        F_{kl} = 4\sum_{i<j,\ \lambda_j>0} w_{ij}\,\mathrm{Re}(H_{k,ij}\overline{H_{l,ij}}),
        \qquad w_{ij} = \frac{(\lambda_i-\lambda_j)^2}{\lambda_i+\lambda_j},

    the SLD formula of :func:`qfim`: its all-pairs sum is symmetric in i and j
    (:math:`H_{ji} = \overline{H_{ij}}`), its diagonal terms vanish, and with ascending
    eigenvalues every pair that touches the support has its larger index j in it.

    The pairs go in square tiles.  Per tile: one product :math:`Y_q = A_qB_q^T` per term of
    :func:`_class_plan` (A: columns of :math:`E = V^T`; B: the same columns of
    :math:`\overline E`, scaled, or :math:`\overline{\hat HV}` for a generator that is not
    diagonal), the real combination :math:`\overline{H_{k,ij}} = \sum_q C_{kq}Y_{q,ij}`
    times :math:`\sqrt{w_{ij}}`, and one real product for all :math:`d^2` sums, on data that
    stays in cache.  Cost :math:`O(D^2 r)` for rank r after the eigendecomposition.

    A state of low rank (r < D/32, D >= 512) skips the full eigendecomposition: its support
    comes from :func:`_support_by_sketch` and the QFIM from :func:`_support_qfim`, in
    :math:`O(D^2 r)` altogether.
    """
    rho = _checked(rho)
    support = _support_by_sketch(rho)
    if support is not None:
        return _support_qfim(*support, gens)
    lam, vecs, rank = _eigen(rho)
    size = lam.size
    start = size - rank
    others, chosen, scale, bounds, coefficients = _class_plan(gens, size)
    images = [apply_generator(gens[k], vecs[:, start:]).conj().T for k in others]
    dtype = np.result_type(vecs, *images)
    rows = vecs.T.astype(dtype, copy=False)        # C-ordered: LAPACK returns Fortran order
    tile = _SMALL_TILE if size <= 512 else _TILE
    terms, width = coefficients.shape[1], chosen.size
    # one allocation for the gathered columns and the scratch of a tile, which the allocator
    # reuses from call to call: at D = 256 fresh memory pages cost a tenth of the time
    sizes = np.cumsum([0, size * width, tile * width, (terms + len(gens)) * tile * tile])
    work = np.empty(sizes[-1], dtype)
    left, right, scratch = (work[a:b] for a, b in zip(sizes[:-1], sizes[1:]))
    left, right = left.reshape(size, width), right.reshape(tile, width)
    products, elements = scratch[:terms * tile * tile], scratch[terms * tile * tile:]
    np.take(rows, chosen, axis=1, out=left, mode="clip")
    f = np.zeros((len(gens), len(gens)))
    for j0 in range(start, size, tile):
        j1 = min(size, j0 + tile)
        li, lj = lam[:j1, None], lam[None, j0:j1]
        root = np.sqrt(np.triu((li - lj) ** 2 / (li + lj), 1 - j0))        # i < j only
        columns = right[:j1 - j0]
        np.multiply(np.conjugate(left[j0:j1]), scale, out=columns)
        factors = [(left[:, a:b], columns[:, a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        factors += [(rows, image[j0 - start:j1 - start]) for image in images]
        for i0 in range(0, j1, tile):
            i1 = min(j1, i0 + tile)
            shape = (i1 - i0, j1 - j0)
            n = shape[0] * shape[1]
            tiles = products[:terms * n].reshape((-1,) + shape)
            for (a, b), out in zip(factors, tiles):
                np.matmul(a[i0:i1], b.T, out=out)
            mats = elements[:len(gens) * n].reshape((-1,) + shape)
            np.matmul(coefficients, tiles.reshape(terms, n).view(np.float64),
                      out=mats.reshape(len(gens), n).view(np.float64))
            mats *= root[i0:i1]
            flat = mats.reshape(len(gens), n).view(np.float64)
            f += flat @ flat.T
    return 4.0 * f


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
    gens = check_generators(generators, state.dims[0])
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
    lam, vecs, rank = _eigen(_checked(rho.full()))
    right = vecs[:, -rank:]
    blocks = [vecs.conj().T @ (drho.full() @ right) for drho in drhos]
    weights = _support_weights(lam, rank, lambda a, b: 1.0 / (a + b))
    return _weighted_gram(blocks, weights)
