r"""The QFIM of a density matrix: SLD formula in its eigenbasis.

.. math::
    F_{kl} = 2\sum_{\lambda_i+\lambda_j>0}\frac{(\lambda_i-\lambda_j)^2}{\lambda_i+\lambda_j}
    \mathrm{Re}(H_{k,ij}H_{l,ji}),\qquad \rho = \sum_i\lambda_i|i\rangle\langle i|,

restricted to the pairs i < j that touch the support of :math:`\rho` (cost :math:`O(D^2r)` for
rank r after the eigendecomposition).  Generators come as
:class:`~qsn_qutip.operators.LocalForm`.  A diagonal one touches only the basis states where
it differs from its most frequent value, and generators on a group of factors share those
products (:mod:`~qsn_qutip.estimation.classes`).  A non-diagonal one on a small factor is
diagonalised there: the eigenvectors of :math:`\rho` rotated on that factor make it diagonal,
so it costs what a diagonal one costs; generators that need different rotations of the same
factor go to different *layers* (one rotated copy of the eigenvectors each).  A state of low
rank skips the full eigendecomposition (:func:`low_rank_support`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg

from .._linalg import ket_array
from ..errors import QSNError
from ..operators import LocalForm
from ..options import tolerances
from .classes import Layer, class_plan, layers_of
from .pure import check_normalised

__all__ = ["mixed_qfim", "checked_density_matrix", "state_entries", "eigen_support",
           "low_rank_support", "support_qfim"]

#: side of the square tiles of the mixed-state passes (their data stays in cache); up to
#: D = 512 the smaller one is faster (less waste on the diagonal outweighs smaller products)
_TILE = 128
_SMALL_TILE = 64
#: the randomized support search tries sketch sizes 16, 64, 256, ... up to D / 32
#: (``tolerances.sketch_min_size`` decides from which D on it is tried at all)
_SKETCH_START, _SKETCH_GROWTH, _SKETCH_FRACTION = 16, 4, 32
#: complex matrices up to this dimension go to LAPACK's divide and conquer (zheevd), larger
#: ones to relatively robust representations (zheevr); real ones always to dsyevd
_EVD_UP_TO = 256


def _hermitian_defect(a: np.ndarray) -> float:
    r""":math:`\max_{ij}|a_{ij} - \overline{a_{ji}}|`, tile by tile (the transpose stays in cache)."""
    t = _TILE
    return max(float(np.abs(a[i:i + t, j:j + t] - a[j:j + t, i:i + t].conj().T).max())
               for i in range(0, a.shape[0], t) for j in range(i, a.shape[0], t))


def checked_density_matrix(rho: np.ndarray) -> np.ndarray:
    """The validated density matrix (finite, Hermitian, unit trace), real when it is real.

    Raises :class:`~qsn_qutip.QSNError` otherwise (positivity is checked where the
    eigenvalues are computed).

    Examples
    --------
    >>> checked_density_matrix(np.eye(2, dtype=complex) / 2).dtype
    dtype('float64')
    """
    if not np.all(np.isfinite(rho)):
        raise QSNError("state contains NaN or inf entries")
    if _hermitian_defect(rho) > tolerances.atol:
        raise QSNError("state (density matrix) must be Hermitian")
    check_normalised(np.trace(rho).real, "the trace of rho")
    if np.iscomplexobj(rho) and not rho.imag.any():
        rho = rho.real
    return rho


def state_entries(state) -> np.ndarray:
    """The amplitudes (D,) of a ket or the Hermitian part (D, D) of a density matrix, checked.

    Finite entries, unit norm or trace (to ``100 * tolerances.atol``), and a Hermitian density
    matrix; positivity is left to the caller, which checks it where its eigenvalues or a
    factorisation come anyway.  Raises :class:`~qsn_qutip.QSNError` naming ``state``.
    """
    if state.isket:
        psi = np.asarray(ket_array(state), dtype=complex)
        if not np.all(np.isfinite(psi)):
            raise QSNError("state contains NaN or inf entries")
        norm = np.vdot(psi, psi).real
        if abs(norm - 1) > 100 * tolerances.atol:
            raise QSNError(f"state must be normalised: <psi|psi> is {norm:.12g}, expected 1")
        return psi
    rho = state.full()
    if not np.all(np.isfinite(rho)):
        raise QSNError("state contains NaN or inf entries")
    if np.abs(rho - rho.conj().T).max() > tolerances.atol:
        raise QSNError("state (density matrix) must be Hermitian")
    trace = np.trace(rho).real
    if abs(trace - 1) > 100 * tolerances.atol:
        raise QSNError(f"state must be normalised: the trace of rho is {trace:.12g}, expected 1")
    return (rho + rho.conj().T) / 2


def eigen_support(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Eigen-decomposition of a checked ``rho`` with the cut-off applied: (lam, vecs, rank).

    Eigenvalues ascend; a real symmetric ``rho`` gets real eigenvectors (and real arithmetic
    after).  The drivers are the fastest measured single-threaded (``benchmarks/``,
    :data:`_EVD_UP_TO`).
    Eigenvalues below ``tolerances.eig_cutoff`` times the largest count as zero.
    """
    complex_large = np.iscomplexobj(rho) and rho.shape[0] > _EVD_UP_TO
    lam, vecs = scipy.linalg.eigh(rho, check_finite=False,
                                  driver="evr" if complex_large else "evd")
    if lam[0] < -tolerances.atol:
        raise QSNError(f"state (density matrix) must be positive semidefinite: smallest "
                       f"eigenvalue {lam[0]:.3g}")
    lam = np.where(lam > tolerances.eig_cutoff * lam[-1], lam, 0.0)
    return lam, vecs, int(np.count_nonzero(lam))


def low_rank_support(rho: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    r"""The eigenpairs of the support of a low-rank ``rho`` in :math:`O(D^2k)`, or None.

    Tried from ``tolerances.sketch_min_size`` on (below, one eigendecomposition is cheap; a
    huge value switches the search off).  For k = 16, 64, ... while k <= D/32: Q an
    orthonormal basis of :math:`\rho\Omega` (:math:`\Omega` Gaussian, D x k, fixed seed),
    :math:`B = Q^\dagger\rho Q = U\mu U^\dagger`.  When B has an eigenvalue below the cut-off
    (``tolerances.eig_cutoff`` times the largest), the sketch holds the whole support, which
    is *certified*, not assumed: the trace deficit :math:`\mathrm{tr}\,\rho-\mathrm{tr}B =
    \mathrm{tr}(1-P)\rho(1-P)` and the residual :math:`\|\rho QU - QU\mu\|_F` must both be below
    the cut-off.  Then the eigenvalues above the cut-off and their eigenvectors QU are
    returned; otherwise None and the caller runs the full eigendecomposition (which also
    reports a state that is not positive semidefinite).  ``rho`` must be checked
    (:func:`checked_density_matrix`).
    """
    size = rho.shape[0]
    if size < tolerances.sketch_min_size:
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


def support_qfim(lam: np.ndarray, vecs: np.ndarray, forms: Sequence[LocalForm]) -> np.ndarray:
    r"""SLD QFIM from the support :math:`\rho = V\mathrm{diag}(\lambda)V^\dagger` alone, :math:`O(Drd)`.

    .. math::
        F_{kl} = 2\sum_{i,j\in S}\frac{(\lambda_i-\lambda_j)^2}{\lambda_i+\lambda_j}
        \mathrm{Re}(H_{k,ij}H_{l,ji})
        + 4\sum_{j\in S}\lambda_j\,\mathrm{Re}\langle j|H_k(1-P)H_l|j\rangle:

    a pair with one index i outside the support S has weight :math:`\lambda_j` and appears in
    both orders; the sum over such i is the projector :math:`1-P = 1-VV^\dagger`, so no
    eigenvector outside S is needed.
    """
    images = [f.apply(vecs) for f in forms]
    blocks = [vecs.conj().T @ x for x in images]
    weights = (lam[:, None] - lam[None, :]) ** 2 / (lam[:, None] + lam[None, :])
    d = len(forms)
    F = np.zeros((d, d))
    for a in range(d):
        for b in range(a, d):
            inside = 2 * np.sum(weights * (blocks[a] * blocks[b].T).real)
            outside = (np.einsum("ij,ij->j", images[a].conj(), images[b])
                       - np.einsum("ij,ij->j", blocks[a].conj(), blocks[b])).real
            F[a, b] = F[b, a] = inside + 4 * lam @ outside
    return F


def _rotated(rows: np.ndarray, form: LocalForm, vectors: np.ndarray) -> np.ndarray:
    r""":math:`E\,\overline{R}` for :math:`R = 1\otimes U\otimes 1` on the factor of ``form``:
    the rows of E (eigenvectors) in the eigenbasis U of the generator there, one product."""
    size, post = form.size, form.post
    if post == 1:
        return (rows.reshape(-1, size) @ vectors.conj()).reshape(rows.shape)
    moved = np.ascontiguousarray(np.swapaxes(rows.reshape(-1, size, post), 1, 2))
    out = (moved.reshape(-1, size) @ vectors.conj()).reshape(-1, post, size)
    return np.ascontiguousarray(np.swapaxes(out, 1, 2)).reshape(rows.shape)


def _layer_rows(rows: np.ndarray, layer: Layer, dtype) -> np.ndarray:
    for form, vectors in layer.rotations:
        rows = _rotated(rows, form, vectors)
    return rows.astype(dtype, copy=False)


def mixed_qfim(rho: np.ndarray, forms: Sequence[LocalForm]) -> np.ndarray:
    r"""SLD QFIM of a density matrix from the pairs i < j that touch its support.

    .. math::
        F_{kl} = 4\sum_{i<j,\ \lambda_j>0} w_{ij}\,\mathrm{Re}(H_{k,ij}\overline{H_{l,ij}}),
        \qquad w_{ij} = \frac{(\lambda_i-\lambda_j)^2}{\lambda_i+\lambda_j},

    the SLD formula: its all-pairs sum is symmetric in i and j
    (:math:`H_{ji} = \overline{H_{ij}}`), its diagonal terms vanish, and with ascending
    eigenvalues every pair that touches the support has its larger index j in it.

    The pairs go in square tiles.  Per tile: one product :math:`Y_q = A_qB_q^T` per term of
    :func:`~qsn_qutip.estimation.classes.class_plan` (A: columns of the layer's rows
    :math:`E_t`, the eigenvectors rotated on some factors; B: the same columns of
    :math:`\overline{E_t}`, scaled, or :math:`\overline{\hat HV}` for a generator applied as
    it is), the real combination :math:`\overline{H_{k,ij}} = \sum_q C_{kq}Y_{q,ij}` times
    :math:`\sqrt{w_{ij}}`, and one real product for all :math:`d^2` sums, on data that stays
    in cache.  Cost :math:`O(D^2 r)` for rank r after the eigendecomposition.

    A state of low rank (:func:`low_rank_support`) skips the full eigendecomposition and
    its QFIM comes from :func:`support_qfim`, in :math:`O(D^2 r)` altogether.
    """
    rho = checked_density_matrix(rho)
    support = low_rank_support(rho)
    if support is not None:
        return support_qfim(*support, forms)
    lam, vecs, rank = eigen_support(rho)
    size = lam.size
    start = size - rank
    layers, others = layers_of(forms, size)
    plan = class_plan(layers, len(forms), size)
    images = [forms[k].apply(vecs[:, start:]).conj().T for k in others]
    dtype = np.result_type(vecs, *images, *(v for layer in layers for _, v in layer.rotations))
    rows = vecs.T.astype(dtype, copy=False)        # C-ordered: LAPACK returns Fortran order
    tile = _SMALL_TILE if size <= 512 else _TILE
    terms = plan.coefficients.shape[1] + len(others)
    widths = [chosen.size for chosen in plan.chosen]
    # one allocation for the gathered columns and the scratch of a tile, which the allocator
    # reuses from call to call: at D = 256 fresh memory pages cost a tenth of the time
    sizes = np.cumsum([0] + [size * w for w in widths] + [tile * w for w in widths]
                      + [(terms + len(forms)) * tile * tile])
    work = np.empty(sizes[-1], dtype)
    parts = [work[a:b] for a, b in zip(sizes[:-1], sizes[1:])]
    lefts = [p.reshape(size, w) for p, w in zip(parts, widths)]
    rights = [p.reshape(tile, w) for p, w in zip(parts[len(widths):], widths)]
    products = parts[-1][:terms * tile * tile]
    elements = parts[-1][terms * tile * tile:]
    for layer, chosen, left in zip(layers, plan.chosen, lefts):
        if chosen.size:
            np.take(_layer_rows(rows, layer, dtype), chosen, axis=1, out=left, mode="clip")
    coefficients = np.concatenate(
        [plan.coefficients, np.eye(len(forms))[:, others]], axis=1)
    f = np.zeros((len(forms), len(forms)))
    for j0 in range(start, size, tile):
        j1 = min(size, j0 + tile)
        li, lj = lam[:j1, None], lam[None, j0:j1]
        root = np.sqrt(np.triu((li - lj) ** 2 / (li + lj), 1 - j0))        # i < j only
        factors = []
        for left, right, scale, bounds in zip(lefts, rights, plan.scale, plan.bounds):
            columns = right[:j1 - j0]
            np.multiply(np.conjugate(left[j0:j1]), scale, out=columns)
            factors += [(left[:, a:b], columns[:, a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        factors += [(rows, image[j0 - start:j1 - start]) for image in images]
        for i0 in range(0, j1, tile):
            i1 = min(j1, i0 + tile)
            shape = (i1 - i0, j1 - j0)
            n = shape[0] * shape[1]
            tiles = products[:terms * n].reshape((-1,) + shape)
            for (a, b), out in zip(factors, tiles):
                np.matmul(a[i0:i1], b.T, out=out)
            mats = elements[:len(forms) * n].reshape((-1,) + shape)
            np.matmul(coefficients, tiles.reshape(terms, n).view(np.float64),
                      out=mats.reshape(len(forms), n).view(np.float64))
            mats *= root[i0:i1]
            flat = mats.reshape(len(forms), n).view(np.float64)
            f += flat @ flat.T
    return 4.0 * f
