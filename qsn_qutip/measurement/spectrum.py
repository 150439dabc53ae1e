r"""Outcome probabilities of a density matrix as a short sum of frequencies (commuting generators).

With commuting generators diagonal in a basis :math:`\{|a\rangle\}` (eigenvalues
:math:`\lambda_a\in\mathbb R^d`), :math:`\rho'_\phi{}_{ab} = \rho'_{ab}e^{-i(\lambda_a-\lambda_b)
\cdot\phi}` and every outcome probability is a trigonometric polynomial,

.. math::
    p_x(\phi) = \mathrm{Re}\sum_\omega C_{x\omega}\,e^{-i\omega\cdot\phi},\qquad
    C_{x\omega} = \sum_{a,b:\ \lambda_a-\lambda_b=\omega}\hat E'_{x,ba}\,\rho'_{ab},

with :math:`\partial_kp_x = \mathrm{Re}\sum_\omega C_{x\omega}(-i\omega_k)e^{-i\omega\cdot\phi}`.
For spin ensembles and modes the eigenvalues are (sums of) half-integers, so the
:math:`D^2` pairs share a few hundred frequencies: once C is known a point costs
(outcomes x frequencies) instead of :math:`O(D^2)`, which is what a simulated experiment's
grid search and Fisher scoring need (thousands of points).  Frequencies are compared exactly
(half-integers are exact in floating point; nearby but unequal frequencies stay apart), so C
reproduces the direct sum to rounding.

Building C costs one pass over the :math:`D^2` pairs per outcome: with degenerate eigenvalues
(the full :math:`2^n` space of qubits) the basis is grouped into levels of equal
:math:`\lambda` and :math:`\sum_{a\in g}L'_{xa}\rho'_{ab}` is a matrix product per level; with
non-degenerate ones (the Dicke basis) the products are element-wise.
"""

from __future__ import annotations

import numpy as np

__all__ = ["frequency_spectrum", "MAX_FREQUENCY_FRACTION"]

#: no spectrum when the distinct frequencies are more than this fraction of the D^2 pairs
#: (nearly all distinct: nothing to gain over the direct sum)
MAX_FREQUENCY_FRACTION = 0.25


def _levels(lam: np.ndarray):
    """(levels, order, starts, counts): the distinct rows of ``lam`` and the basis sorted by
    level (``order``), level g occupying ``order[starts[g]:starts[g] + counts[g]]``."""
    levels, level_of = np.unique(lam, axis=0, return_inverse=True)
    level_of = np.asarray(level_of).ravel()
    order = np.argsort(level_of, kind="stable")
    counts = np.bincount(level_of, minlength=len(levels))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return levels, order, starts, counts


def _rank_one_pairs(rows: np.ndarray, rho: np.ndarray, starts: np.ndarray,
                    counts: np.ndarray) -> np.ndarray:
    r""":math:`T_{x,gh} = \sum_{a\in g,b\in h}L'_{xa}\rho'_{ab}\overline{L'_{xb}}` for sorted
    rows and state: shape (outcomes, levels, levels)."""
    count, size = rows.shape
    levels = len(starts)
    if levels == size:                                   # no degeneracy: element-wise
        return rows[:, :, None] * rho[None] * rows.conj()[:, None, :]
    out = np.empty((count, levels, levels), dtype=complex)
    conj = rows.conj()
    for g, (start, width) in enumerate(zip(starts, counts)):
        part = rows[:, start:start + width] @ rho[start:start + width, :]     # (outcomes, D)
        out[:, g, :] = np.add.reduceat(part * conj, starts, axis=1)
    return out


def _dense_pairs(effects: np.ndarray, rho: np.ndarray, starts: np.ndarray) -> np.ndarray:
    r""":math:`T_{x,gh} = \sum_{a\in g,b\in h}\hat E'_{x,ba}\rho'_{ab}` for sorted effects and
    state: shape (outcomes, levels, levels)."""
    weights = np.swapaxes(effects, 1, 2) * rho[None]
    if len(starts) == rho.shape[0]:
        return weights
    return np.add.reduceat(np.add.reduceat(weights, starts, axis=1), starts, axis=2)


def frequency_spectrum(lam: np.ndarray, rho: np.ndarray, *, rows: np.ndarray | None = None,
                       effects: np.ndarray | None = None,
                       block: int = 1 << 22, max_fraction: float = MAX_FREQUENCY_FRACTION
                       ) -> tuple[np.ndarray, np.ndarray] | None:
    r"""(C, omega) with :math:`p_x(\phi) = \mathrm{Re}\sum_wC_{xw}e^{-i\omega_w\cdot\phi}`, or None.

    Parameters
    ----------
    lam : numpy.ndarray
        (D, d): the eigenvalues :math:`\lambda_a` of the d generators on the basis.
    rho : numpy.ndarray
        (D, D): the state :math:`\rho'` in that basis.
    rows : numpy.ndarray, optional
        (outcomes, D): a rank-one POVM's rows :math:`L'_{xa} = \langle w_x|V|a\rangle`
        (:math:`\hat E'_x = L'^\dagger_xL'_x`).
    effects : numpy.ndarray, optional
        (outcomes, D, D): dense effects :math:`\hat E'_x` in that basis (give one of the two).
    block : int
        Largest number of numbers handled at once (outcomes are taken in chunks).
    max_fraction : float
        None is returned when the distinct frequencies are more than this fraction of the
        :math:`D^2` pairs.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) or None
        C (outcomes, K) and omega (K, d); None when the K distinct frequencies are more than
        ``max_fraction`` of the :math:`D^2` pairs.

    Examples
    --------
    >>> lam = np.array([[0.5], [-0.5]])                      # J_z of one qubit
    >>> rho = np.full((2, 2), 0.5)                           # |+><+|
    >>> plus = np.array([[1, 1], [1, -1]]) / np.sqrt(2)      # rows <+|, <-|
    >>> C, omega = frequency_spectrum(lam, rho, rows=plus, max_fraction=1)
    >>> omega.ravel().tolist(), np.round(C.real, 12).tolist()
    ([-1.0, 0.0, 1.0], [[0.25, 0.5, 0.25], [-0.25, 0.5, -0.25]])
    """
    size, d = lam.shape
    levels, order, starts, counts = _levels(lam)
    count = len(levels)
    pair_omega = (levels[:, None, :] - levels[None, :, :]).reshape(-1, d)
    omega, which = np.unique(pair_omega, axis=0, return_inverse=True)
    if len(omega) > max_fraction * size * size:
        return None
    which = np.asarray(which).ravel()
    by_class = np.argsort(which, kind="stable")
    class_starts = np.searchsorted(which[by_class], np.arange(len(omega)))
    rho = rho[np.ix_(order, order)]
    outcomes = len(rows) if rows is not None else len(effects)
    coefficients = np.empty((outcomes, len(omega)), dtype=complex)
    step = max(1, block // max(count * count, size * (size if effects is not None else 1)))
    for start in range(0, outcomes, step):
        part = slice(start, start + step)
        if rows is not None:
            pairs = _rank_one_pairs(rows[part][:, order], rho, starts, counts)
        else:
            pairs = _dense_pairs(effects[part][:, order][:, :, order], rho, starts)
        flat = pairs.reshape(len(pairs), -1)[:, by_class]
        coefficients[part] = np.add.reduceat(flat, class_starts, axis=1)
    return coefficients, omega
