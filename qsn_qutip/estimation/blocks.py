r"""The QFIM of a block-diagonal state whose blocks every generator preserves.

A state :math:`\rho = \bigoplus_b\rho_b` (blocks on orthogonal subspaces) encoded by generators
that map every block's subspace to itself has an SLD that is block diagonal too, so

.. math::
    F_{kl} = \sum_b F_{kl}(\rho_b),\qquad
    F_{kl}(\rho_b) = 2\sum_{\lambda_a+\lambda_c>0}
    \frac{\mathrm{Re}\,D_{k,ac}\overline{D_{l,ac}}}{\lambda_a+\lambda_c},\qquad
    D_{k,ac} = \langle a|[\rho_b,\hat H_k]|c\rangle = (\lambda_a-\lambda_c)H_{k,ac},

over the eigen-decomposition :math:`\rho_b = \sum_a\lambda_a|a\rangle\langle a|` of every block.
The SLD QFI is homogeneous of degree one, :math:`F(s\rho_b) = sF(\rho_b)`, so the blocks need
not be normalised: a block that stands for d identical copies of :math:`\rho_b/d` (the
:mod:`qutip.piqs` convention for permutation-invariant states) enters once, with no factor d.

Two forms of :math:`D` serve two regimes.  For pairs with a large :math:`\lambda_a+\lambda_c` the
commutator :math:`[\rho_b,\hat H_k]` is formed first and then transformed to the eigenbasis, so
that a QFI far below :math:`\mathrm{Tr}(\rho\hat H^2)` (a long-dephased GHZ state, whose QFI is
the difference of two almost equal numbers in the other form) keeps its relative precision;
pairs of small eigenvalues use :math:`(\lambda_a-\lambda_c)H_{k,ac}`, whose absolute error is
small there.  The switch is ``tolerances.commutator_form`` (relative to the largest eigenvalue
of all blocks).

Many small blocks are decomposed side by side on :data:`WORKERS` threads, each with a
single-threaded BLAS: measured on a busy 2-core machine, one noisy product probe of 50 qubits
took 0.01 s so and 0.5 s with the default multithreaded BLAS.

This module is pure mathematics on arrays (the wall of the design): it knows nothing of
sensors, networks or noise.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
from collections.abc import Callable, Sequence

import numpy as np
import threadpoolctl

from ..errors import QSNError
from ..options import tolerances

__all__ = ["block_qfim", "weighted_gram", "support_weights", "map_blocks", "WORKERS"]

#: worker threads for the block eigen-decompositions (each with single-threaded BLAS)
WORKERS = max(1, min(2, os.cpu_count() or 1))
#: below this many flops (sum of rows^3 over the blocks) everything runs on the calling thread
#: (handing small blocks to threads cost more than it saved: 3.5 ms serial against 10 ms on two
#: threads for 4.6e6 flops, 33 ms against 39 ms for 1.2e8, on a shared 2-core machine)
PARALLEL_WORK = 1e8

#: a generator on one block: its diagonal (1-D) or its matrix (2-D) in the block's basis
BlockGenerator = np.ndarray


@functools.lru_cache(maxsize=1)
def _blas_controller():
    """One threadpoolctl controller for the process (finding the BLAS libraries is slow)."""
    return threadpoolctl.ThreadpoolController()


def map_blocks(func: Callable, items: Sequence, work: float) -> list:
    """``[func(x) for x in items]`` with single-threaded BLAS, on :data:`WORKERS` threads when big.

    Parameters
    ----------
    func : callable
    items : sequence
    work : float
        The estimated flops of all items; below :data:`PARALLEL_WORK` no thread is started.

    Returns
    -------
    list
        The results in the order of ``items``.

    Examples
    --------
    >>> map_blocks(lambda x: x * x, [1, 2, 3], work=0)
    [1, 4, 9]
    """
    with _blas_controller().limit(limits=1):
        if WORKERS == 1 or len(items) < 2 or work < PARALLEL_WORK:
            return [func(x) for x in items]
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:     # fork-safe: no
            return list(pool.map(func, items))                          # idle pool left


def weighted_gram(rows: Sequence[np.ndarray]) -> np.ndarray:
    r""":math:`G_{kl} = 2\,\mathrm{Re}\sum_i x_{k,i}\overline{x_{l,i}}` as one real matrix product.

    The rows :math:`x_k` are already scaled by the square roots of the weights of the sum
    (:math:`\sqrt{w_{ac}}` of an SLD sum :math:`2\sum w_{ac}\mathrm{Re}X_{k,ac}\overline{X_{l,ac}}`);
    complex rows are viewed as (Re, Im) pairs, so no complex product is formed.

    Parameters
    ----------
    rows : sequence of numpy.ndarray
        One array per parameter (any shape, all the same).

    Returns
    -------
    numpy.ndarray
        The symmetric d x d matrix G.

    Examples
    --------
    >>> weighted_gram([np.array([1.0, 1j]), np.array([2.0, 0.0])])
    array([[4., 4.],
           [4., 8.]])
    """
    flat = np.stack([np.asarray(r).ravel() for r in rows])
    if np.iscomplexobj(flat):
        flat = np.ascontiguousarray(flat).view(float)
    gram = 2.0 * (flat @ flat.T)
    return (gram + gram.T) / 2


def support_weights(lam: np.ndarray, rank: int, kernel: Callable) -> np.ndarray:
    r"""``kernel(lam_a, lam_c)`` for every a and every c in the support, doubled for a outside it.

    ``lam`` ascends and its last ``rank`` entries are the support.  In an SLD sum over all
    pairs (a, c) with :math:`\lambda_a+\lambda_c>0`, pairs with both indices outside the support
    carry nothing and a pair with exactly one index inside appears twice: the sum runs over
    the columns of the support only, with the weights of the other rows doubled.

    Examples
    --------
    >>> support_weights(np.array([0.0, 0.25, 0.75]), 2, lambda a, c: 1.0 / (a + c))
    array([[8.        , 2.66666667],
           [2.        , 1.        ],
           [1.        , 0.66666667]])
    """
    w = kernel(lam[:, None], lam[None, -rank:])
    w[:-rank] *= 2.0
    return w


def _check_blocks(blocks: Sequence[np.ndarray], generators: Sequence[Sequence[np.ndarray]]
                  ) -> int:
    """The number of parameters; QSNError naming the argument otherwise."""
    if len(generators) != len(blocks):
        raise QSNError(f"generators must hold one entry per block ({len(blocks)}), "
                       f"got {len(generators)}")
    counts = {len(g) for g in generators}
    if len(counts) > 1:
        raise QSNError(f"generators must give every block the same number of parameters, "
                       f"got {sorted(counts)}")
    for b, (rho, gens) in enumerate(zip(blocks, generators)):
        if rho.ndim != 2 or rho.shape[0] != rho.shape[1]:
            raise QSNError(f"blocks[{b}] must be a square matrix, got shape {rho.shape}")
        for k, g in enumerate(gens):
            if np.shape(g) not in ((rho.shape[0],), rho.shape):
                raise QSNError(f"generators[{b}][{k}] must be the diagonal or the matrix of "
                               f"the generator on block {b} (size {rho.shape[0]}), got shape "
                               f"{np.shape(g)}")
    return counts.pop() if counts else 0


def _decompose(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rho, eigenvalues ascending, eigenvectors), in real arithmetic when rho is real."""
    if np.iscomplexobj(rho) and not np.any(rho.imag):
        rho = rho.real
    lam, vecs = np.linalg.eigh(rho)
    return rho, lam, vecs


def _block_contribution(rho: np.ndarray, lam: np.ndarray, vecs: np.ndarray,
                        gens: Sequence[np.ndarray], cutoff: float, top: float,
                        d: int) -> np.ndarray:
    """The QFIM of one block (the SLD sum of the module docstring) from its eigenpairs."""
    lam = np.where(lam > cutoff, lam, 0.0)
    rank = int(np.count_nonzero(lam))
    if not rank:
        return np.zeros((d, d))
    right = vecs[:, -rank:]
    total = lam[:, None] + lam[None, -rank:]
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(support_weights(lam, rank, lambda a, c: np.where(a + c > 0,
                                                                       1.0 / (a + c), 0.0)))
    exact = total > tolerances.commutator_form * top
    rows = []
    for g in gens:
        diagonal = g.ndim == 1
        commutator = rho * (g[None, :] - g[:, None]) if diagonal else rho @ g - g @ rho
        D = vecs.conj().T @ (commutator @ right)
        if not exact.all():
            H = vecs.conj().T @ (g[:, None] * right if diagonal else g @ right)
            D = np.where(exact, D, (lam[:, None] - lam[None, -rank:]) * H)
        rows.append(D * root)
    return weighted_gram(rows)


def block_qfim(blocks: Sequence[np.ndarray],
               generators: Sequence[Sequence[BlockGenerator]]) -> np.ndarray:
    r"""The SLD QFIM of :math:`\rho = \bigoplus_b\rho_b` for generators that preserve every block.

    .. math::
        F_{kl} = \sum_b 2\sum_{\lambda_a+\lambda_c>0}
        \frac{\mathrm{Re}\,D_{k,ac}\overline{D_{l,ac}}}{\lambda_a+\lambda_c},\qquad
        D_{k,ac} = \langle a|[\rho_b,\hat H_k]|c\rangle

    (module docstring).  Eigenvalues below ``tolerances.eig_cutoff`` times the largest of all
    blocks count as zero, as in :func:`~qsn_qutip.estimation.qfim.qfim`; a block whose trace is
    below that, or a block of one row (which carries no coherence), is skipped.

    Parameters
    ----------
    blocks : sequence of numpy.ndarray
        The Hermitian positive-semidefinite blocks :math:`\rho_b` (square, any sizes).  Their
        traces need not add up to one: the result is linear in a common scale.
    generators : sequence of sequence of numpy.ndarray
        ``generators[b][k]``: generator k on block b, as its diagonal (1-D, length of the
        block) or its Hermitian matrix (2-D) in the block's basis.

    Returns
    -------
    numpy.ndarray
        The real symmetric d x d QFIM.

    Examples
    --------
    A dephased qubit, :math:`\rho = (1 + c\,\sigma_x)/2` with :math:`\hat H = \sigma_z/2`, has
    :math:`F = c^2`, and a classical mixture with an orthogonal block adds nothing:

    >>> c = 0.6
    >>> qubit = np.array([[0.5, c / 2], [c / 2, 0.5]])
    >>> F = block_qfim([0.5 * qubit, np.array([[0.5]])],
    ...                [[np.array([0.5, -0.5])], [np.array([0.0])]])
    >>> round(float(F[0, 0]), 12)
    0.18
    """
    blocks = [np.asarray(b) for b in blocks]
    d = _check_blocks(blocks, generators)
    F = np.zeros((d, d))
    if not blocks:
        return F
    floor = max(float(b.diagonal().real.max()) for b in blocks)
    cutoff = tolerances.eig_cutoff * floor
    work = [b for b, rho in enumerate(blocks)
            if rho.shape[0] > 1 and np.trace(rho).real > cutoff]
    flops = float(sum(blocks[b].shape[0] ** 3 for b in work))
    decompositions = map_blocks(lambda b: _decompose(blocks[b]), work, flops)
    lowest = min([0.0] + [lam[0] for _, lam, _ in decompositions])
    if lowest < -tolerances.atol * max(1.0, floor):
        raise QSNError(f"blocks must be positive semidefinite: smallest eigenvalue {lowest:.3g}")
    top = max([floor] + [lam[-1] for _, lam, _ in decompositions])
    cutoff = tolerances.eig_cutoff * top

    def contribution(item) -> np.ndarray:
        b, (rho, lam, vecs) = item
        gens = [np.asarray(g) for g in generators[b]]
        return _block_contribution(rho, lam, vecs, gens, cutoff, top, d)

    for part in map_blocks(contribution, list(zip(work, decompositions)), flops):
        F += part
    return (F + F.T) / 2
