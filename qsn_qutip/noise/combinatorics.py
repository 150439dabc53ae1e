r"""Binomials and the Dicke degeneracies, in logarithms (no overflow at any N) and exactly.

The total spins of N qubits are :math:`j = N/2, N/2-1, \dots` (down to 0 or 1/2); the
irreducible representation of spin j appears

.. math::
    d_j = \binom{N}{N/2-j}\frac{2j+1}{N/2+j+1}

times (:func:`qutip.piqs.state_degeneracy`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

__all__ = ["log_binom", "log_degeneracy", "degeneracy"]


def log_binom(n, k) -> np.ndarray:
    r""":math:`\ln\binom{n}{k}` for real arguments (:func:`scipy.special.gammaln`).

    Examples
    --------
    >>> round(float(np.exp(log_binom(10, 3))), 9)
    120.0
    """
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def log_degeneracy(n_qubits: int, j) -> np.ndarray:
    r""":math:`\ln d_j`, :math:`d_j = \binom{N}{N/2-j}\frac{2j+1}{N/2+j+1}`.

    Examples
    --------
    >>> round(float(np.exp(log_degeneracy(4, 1.0))), 9)
    3.0
    """
    j = np.asarray(j, dtype=float)
    return (log_binom(n_qubits, n_qubits / 2 - j) + np.log(2 * j + 1)
            - np.log(n_qubits / 2 + j + 1))


def degeneracy(n_qubits: int, j: float) -> int:
    """The exact integer :math:`d_j`.

    Examples
    --------
    >>> [degeneracy(4, j) for j in (2.0, 1.0, 0.0)]
    [1, 3, 2]
    """
    k = int(round(n_qubits / 2 - j))
    two_j = int(round(2 * j))
    return math.comb(n_qubits, k) * (two_j + 1) // (n_qubits - k + 1)
