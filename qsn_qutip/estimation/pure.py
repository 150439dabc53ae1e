r"""The QFIM of a ket: covariance formula, never a density matrix.

.. math::
    F_{kl} = 2\langle\{\hat H_k,\hat H_l\}\rangle - 4\langle\hat H_k\rangle\langle\hat H_l\rangle.

Generators come as :class:`~qsn_qutip.operators.LocalForm` (each one
:math:`1\otimes h\otimes 1` on a run of the state's QuTiP dims, whatever its storage).
Diagonal generators need only the outcome probabilities :math:`p = |\psi|^2`: one read of the
state, in cache-sized blocks, with nothing of its size created (:func:`diagonal_moments`).
Other generators are applied on their factor alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import QSNError
from ..operators import LocalForm
from ..options import tolerances

__all__ = ["pure_qfim", "diagonal_moments", "covariance", "check_normalised"]

#: amplitudes per block of the one-pass kernel over a ket (the block and its squares stay in
#: cache; measured best among 2^13 ... 2^18)
_BLOCK_AMPLITUDES = 1 << 16
#: the trailing factors read as columns of the pass: the fewest whose product reaches this
#: (the rows then number D / this at most, and the work after the pass is negligible)
_TAIL_MIN = 256
#: kets of at most this many amplitudes (and diagonal generators) are read as
#: :math:`p = |\psi|^2` and the diagonals on the whole space: fewer steps, same numbers
_DIRECT_UP_TO = 1 << 12
#: with at most this many generators on the trailing factors their products are columns of
#: X; with more, the pass also sums the columns (the marginal of the trailing factors)
_PRODUCT_COLUMNS_UP_TO = 2


def check_normalised(total: float, what: str) -> None:
    """Raise :class:`~qsn_qutip.QSNError` unless ``total`` (the norm or trace, named ``what``)
    is finite and within ``100 * tolerances.atol`` of 1."""
    if not np.isfinite(total):
        raise QSNError(f"state contains NaN or inf entries ({what})")
    if abs(total - 1.0) > tolerances.atol * 100:
        raise QSNError(f"state must be normalised: {what} is {total:.12g}, expected 1")


def covariance(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    r""":math:`4(\langle H_kH_l\rangle - \langle H_k\rangle\langle H_l\rangle)`, symmetrised.

    Examples
    --------
    >>> covariance(np.array([0.0]), np.array([[0.25]]))
    array([[1.]])
    """
    f = 4.0 * (second - np.outer(first, first))
    return (f + f.T) / 2


def _spans(forms: Sequence[LocalForm], count: int) -> list[tuple[int, int]]:
    """The QuTiP dims cut into consecutive runs so that every generator acts on one run:
    overlapping supports merged, the dims no generator touches kept as runs of their own."""
    merged: list[list[int]] = []
    for lo, hi in sorted((f.lo, f.hi) for f in forms):
        if merged and lo < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    spans, start = [], 0
    for lo, hi in merged:
        if start < lo:
            spans.append((start, lo))
        spans.append((lo, hi))
        start = hi
    if start < count:
        spans.append((start, count))
    return spans


def _features(columns: list[np.ndarray], sites: list[int], sizes: list[int]) -> np.ndarray:
    r"""The matrix :math:`[1, g_1(r), g_2(r), \dots]` over the multi-index r of ``sizes``, with
    :math:`g_j` (``columns[j]``) a function of the index on factor ``sites[j]``."""
    count = int(np.prod(sizes))
    out = np.empty((count, 1 + len(columns)))
    out[:, 0] = 1.0
    index = np.arange(count)
    for j, (g, site) in enumerate(zip(columns, sites)):
        stride = int(np.prod(sizes[site + 1:]))
        out[:, 1 + j] = g[index // stride % sizes[site]]
    return out


def _pass(amplitudes: np.ndarray, columns: np.ndarray,
          marginal: bool) -> tuple[np.ndarray, np.ndarray | None]:
    r"""One read of the R x W amplitudes A, in cache-sized blocks: :math:`T = |A|^2X`, and
    the column sums :math:`q_w = \sum_r |A_{rw}|^2` when ``marginal``.

    With the amplitudes viewed as (Re, Im) pairs, :math:`|a|^2 = (\mathrm{Re}\,a)^2 +
    (\mathrm{Im}\,a)^2`, so a block costs one elementwise square of its float view (into a
    reused buffer), one product with the rows of X repeated twice (and one column sum).
    """
    rows, width_all = amplitudes.shape
    width = min(width_all, _BLOCK_AMPLITUDES)
    height = max(1, _BLOCK_AMPLITUDES // width)
    table = np.zeros((rows, columns.shape[1]))
    sums = np.zeros(2 * width_all) if marginal else None
    buffer = np.empty(2 * height * width)
    ones = np.ones(height)
    for c0 in range(0, width_all, width):
        c1 = min(width_all, c0 + width)
        doubled = np.repeat(columns[c0:c1], 2, axis=0)
        for r0 in range(0, rows, height):
            r1 = min(rows, r0 + height)
            square = buffer[:2 * (r1 - r0) * (c1 - c0)].reshape(r1 - r0, 2 * (c1 - c0))
            np.square(amplitudes[r0:r1, c0:c1].view(np.float64), out=square)
            if c0 == 0:
                np.matmul(square, doubled, out=table[r0:r1])
            else:
                table[r0:r1] += square @ doubled
            if marginal:
                sums[2 * c0:2 * c1] += ones[:r1 - r0] @ square
    return table, None if sums is None else sums.reshape(-1, 2).sum(axis=1)


def diagonal_moments(psi: np.ndarray, forms: Sequence[LocalForm],
                     dims: Sequence[int]) -> tuple[np.ndarray, np.ndarray, float]:
    r"""First and second moments of diagonal generators in ``psi``, one read of psi.

    .. math::
        m_k = \sum_a p_a g_k(a),\qquad M_{kl} = \sum_a p_a g_k(a)g_l(a),\qquad
        p = |\psi|^2,

    with :math:`g_k` the diagonal of generator k on its factor.  The dims are cut into runs
    (:func:`_spans`), psi is read as a matrix: rows r over the leading runs, columns w over
    the trailing runs (the fewest with at least :data:`_TAIL_MIN` levels), and the pass
    (:func:`_pass`) gives :math:`T = |\psi|^2X` with :math:`X = [1, g_t(w), g_tg_u(w)]` over
    the generators t, u of the trailing runs (with more than
    :data:`_PRODUCT_COLUMNS_UP_TO` of them: :math:`X = [1, g_t(w)]` and the column marginal
    :math:`q_w` instead of the products).  Then, with :math:`\Phi = [1, g_s(r)]` over the
    generators s of the leading runs, one weighted Gram product
    :math:`\Phi^T[T_0\odot\Phi \mid T_{1:}]` holds every moment that involves a leading
    generator (and, in its first row, the products of trailing ones; else
    :math:`X^T(q\odot X)`): no reduction over psi after the pass, whatever the number of
    factors.

    Returns
    -------
    (m, M, total) : the moments and :math:`\sum_a p_a`.
    """
    spans = _spans(forms, len(dims))
    sizes = [int(np.prod(dims[lo:hi])) for lo, hi in spans]
    split, width = len(spans), 1
    while split > 0 and width < _TAIL_MIN:
        split -= 1
        width *= sizes[split]
    lead, tail = [], []
    for k, f in enumerate(forms):
        site = next(s for s, (lo, hi) in enumerate(spans) if lo <= f.lo and f.hi <= hi)
        lo, hi = spans[site]
        g = np.repeat(np.tile(f.diagonal, int(np.prod(dims[lo:f.lo]))),
                      int(np.prod(dims[f.hi:hi])))
        (tail if site >= split else lead).append((k, g, site))
    phi = _features([g for _, g, _ in lead], [s for _, _, s in lead], sizes[:split])
    x = _features([g for _, g, _ in tail], [s - split for _, _, s in tail], sizes[split:])
    t = len(tail)
    pairs = [(a, b) for a in range(t) for b in range(a, t)]
    marginal = t > _PRODUCT_COLUMNS_UP_TO
    if not marginal:     # the tail's second moments as columns of X
        x = np.concatenate([x] + [x[:, 1 + a:2 + a] * x[:, 1 + b:2 + b] for a, b in pairs],
                           axis=1)
    table, q = _pass(np.asarray(psi).reshape(-1, width), x, marginal)
    gram = phi.T @ np.concatenate([table[:, :1] * phi, table[:, 1:]], axis=1)
    d, n_lead = len(forms), len(lead)
    if marginal:
        tail_second = (x[:, 1:].T * q) @ x[:, 1:]
    else:
        tail_second = np.zeros((t, t))
        for j, (a, b) in enumerate(pairs):
            tail_second[a, b] = tail_second[b, a] = gram[0, 1 + d + j]
    order = [k for k, _, _ in lead] + [k for k, _, _ in tail]
    moments = np.empty((1 + d, 1 + d))
    moments[:1 + n_lead, :] = gram[:, :1 + d]
    moments[1 + n_lead:, :1 + n_lead] = gram[:, 1 + n_lead:1 + d].T
    moments[1 + n_lead:, 1 + n_lead:] = tail_second
    index = np.argsort(order) + 1
    second = moments[np.ix_(index, index)]
    return moments[0, index], (second + second.T) / 2, float(gram[0, 0])


def pure_qfim(psi: np.ndarray, forms: Sequence[LocalForm],
              dims: Sequence[int]) -> tuple[np.ndarray, float]:
    r"""(QFIM, :math:`\langle\psi|\psi\rangle`) of the ket ``psi`` by the covariance formula.

    Diagonal generators: :func:`diagonal_moments` (a small ket: the moments of
    :math:`|\psi|^2` directly).  Otherwise the images
    :math:`H_k|\psi\rangle` (each on its factor, :meth:`LocalForm.apply`) give
    :math:`\langle H_k\rangle = \mathrm{Re}\langle\psi|H_k\psi\rangle` and
    :math:`\langle H_kH_l\rangle + \langle H_lH_k\rangle = 2\,\mathrm{Re}\langle H_k\psi|H_l\psi\rangle`.
    The caller checks the norm (read in the same pass).
    """
    psi = np.asarray(psi).reshape(-1)
    if all(f.diagonal is not None for f in forms) and psi.size <= _DIRECT_UP_TO:
        prob = np.abs(psi) ** 2
        g = np.stack([f.full_diagonal() for f in forms])
        return covariance(g @ prob, (g * prob) @ g.T), float(prob.sum())
    if all(f.diagonal is not None for f in forms):
        first, second, total = diagonal_moments(psi.astype(complex, copy=False), forms, dims)
        return covariance(first, second), total
    column = psi[:, None]
    images = np.concatenate([f.apply(column) for f in forms], axis=1)
    first = (psi.conj() @ images).real
    second = (images.conj().T @ images).real
    return covariance(first, second), float(np.vdot(psi, psi).real)
