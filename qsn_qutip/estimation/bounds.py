r"""Quantum Cramér-Rao bounds from a QFIM, and the paper's closed forms for linear functions.

With :math:`\mu` repeats, :math:`E = \mathrm{Tr}(W\,\mathrm{Cov}) \ge
\frac1\mu\sum_k W_{kk}[F^{+}]_{kk}` whenever every weighted direction :math:`e_k` is estimable
(lies in the range of F), and :math:`\mathrm{Var}(v^T\phi) \ge v^TF^{+}v/\mu` when v does.
For a sensor network with N particles, generators with
:math:`\lambda_{\max,n}-\lambda_{\min,n}=\kappa n`, and :math:`\theta = v^T\phi`:

* best sensor-separable state: :math:`\|v\|_{2/3}^2/(\kappa^2N^2)` (continuous allocation),
* GHZ-like state (Eq. 1): :math:`\|v\|_1^2/(\kappa^2N^2)`.

Pure mathematics on matrices and vectors: nothing here knows about sensors.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

from .._checks import as_positive_int, as_real_vector
from ..errors import QSNError
from ..options import tolerances

__all__ = ["qcrb", "function_bound", "best_separable_allocation", "separable_bound",
           "ghz_bound", "allocation_variance"]


def _check_qfim(F) -> np.ndarray:
    try:
        F = np.asarray(F, dtype=float) if np.isrealobj(F) else np.asarray(F)
    except (TypeError, ValueError):
        raise QSNError(f"F must be a square d x d matrix of real numbers, got {F!r}") from None
    if F.ndim != 2 or F.shape[0] != F.shape[1] or F.shape[0] == 0:
        raise QSNError(f"F must be a square d x d matrix, got shape {F.shape}")
    if not np.isrealobj(F):
        raise QSNError("F must be real (a QFIM is a real symmetric matrix)")
    if not np.all(np.isfinite(F)):
        raise QSNError("F contains NaN or inf")
    scale = max(1.0, np.abs(F).max())
    if np.abs(F - F.T).max() > tolerances.atol * scale:
        raise QSNError("F must be symmetric")
    return (F + F.T) / 2


def _pseudo_inverse(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F^+, an orthonormal basis of the null space of F as columns)."""
    lam, vecs = np.linalg.eigh(F)
    top = max(lam[-1], 0.0)
    if lam[0] < -tolerances.rank_rtol * max(top, 1.0):
        raise QSNError(f"F must be positive semidefinite: smallest eigenvalue {lam[0]:.3g}")
    # below the smallest normal float, 1/lambda overflows: such directions carry no information
    kept = (lam > tolerances.rank_rtol * top) & (lam > np.finfo(float).tiny)
    pinv = (vecs[:, kept] / lam[kept]) @ vecs[:, kept].T
    return pinv, vecs[:, ~kept]


def _in_range(direction: np.ndarray, null: np.ndarray) -> bool:
    leak = np.linalg.norm(null.T @ direction)
    return leak <= np.sqrt(tolerances.rank_rtol) * np.linalg.norm(direction)


def _repeats(repeats) -> int:
    return as_positive_int(repeats, "repeats")


def qcrb(F, weights: Sequence[float] | None = None, repeats: int = 1) -> float:
    r"""The QCRB on :math:`E = \mathrm{Tr}(W\,\mathrm{Cov})` for diagonal weights W.

    .. math::
        E \ge \frac{1}{\mu}\sum_k W_{kk}\, e_k^TF^{+}e_k

    when every :math:`e_k` with :math:`W_{kk}>0` lies in the range of F (equal to
    :math:`\mathrm{Tr}(WF^{-1})/\mu` for invertible F), and ``inf`` otherwise.

    Parameters
    ----------
    F : array_like
        The d x d QFIM.
    weights : sequence of float, optional
        The diagonal of W (non-negative); default all ones.
    repeats : int
        The number of repeats :math:`\mu`.

    Examples
    --------
    >>> qcrb([[16.0, 0.0], [0.0, 16.0]])
    0.125
    >>> qcrb([[16.0, -16.0], [-16.0, 16.0]])
    inf
    """
    F = _check_qfim(F)
    d = F.shape[0]
    w = np.ones(d) if weights is None else as_real_vector(weights, "weights", length=d)
    if np.any(w < 0):
        raise QSNError(f"weights must be non-negative, got {w.tolist()}")
    mu = _repeats(repeats)
    pinv, null = _pseudo_inverse(F)
    for k in np.flatnonzero(w > 0):
        if not _in_range(np.eye(d)[k], null):
            return float("inf")
    return float(w @ np.diag(pinv)) / mu


def function_bound(F, v: Sequence[float], repeats: int = 1) -> float:
    r"""The bound on :math:`\mathrm{Var}(\theta)` for :math:`\theta = v^T\phi`: :math:`v^TF^{+}v/\mu`.

    Saturable also for singular QFIMs such as those of GHZ-like states, provided v lies in the
    range of F; otherwise :math:`\theta` is not estimable and the result is ``inf``.  v is used
    as given (the paper's :math:`\|v\|_2 = 1` is the caller's choice).

    Examples
    --------
    >>> import numpy as np
    >>> function_bound([[16.0, -16.0], [-16.0, 16.0]], np.array([-1, 1]) / np.sqrt(2))
    0.03125
    """
    F = _check_qfim(F)
    v = as_real_vector(v, "v", length=F.shape[0])
    mu = _repeats(repeats)
    pinv, null = _pseudo_inverse(F)
    if not _in_range(v, null):
        return float("inf")
    return float(v @ pinv @ v) / mu


def allocation_variance(v: Sequence[float], numbers: Sequence[int], kappa: float = 1.0,
                        repeats: int = 1) -> float:
    r"""The local-GHZ bound :math:`\sum_k v_k^2/(\kappa^2n_k^2)/\mu` for the allocation n."""
    v = as_real_vector(v, "v")
    n = as_real_vector(numbers, "numbers", length=v.size)
    kappa = _positive(kappa, "kappa")
    if np.any((n <= 0) & (v != 0)):
        return float("inf")
    nz = v != 0
    return float(np.sum(v[nz] ** 2 / n[nz] ** 2)) / kappa ** 2 / _repeats(repeats)


def best_separable_allocation(v: Sequence[float], N: int) -> np.ndarray:
    r"""The integer particle numbers n (summing to N) that minimise :math:`\sum_k v_k^2/n_k^2`.

    Exact, not rounded from the continuous optimum :math:`n_k\propto|v_k|^{2/3}`: each term is
    convex and decreasing in :math:`n_k`, so adding particles one at a time where the variance
    drops most is optimal.  Sensors with :math:`v_k = 0` get no particle; every other sensor
    needs at least one.

    Examples
    --------
    >>> best_separable_allocation([1, 1, 1, 1], 8).tolist()
    [2, 2, 2, 2]
    """
    v = as_real_vector(v, "v")
    N = as_positive_int(N, "N")
    active = np.flatnonzero(v != 0)
    if active.size == 0:
        raise QSNError("v must have a non-zero entry")
    if N < active.size:
        raise QSNError(f"N = {N} particles cannot cover the {active.size} sensors with "
                       f"v_k != 0 (each needs at least one)")
    n = np.zeros(v.size, dtype=int)
    n[active] = 1
    sq = v ** 2

    def gain(k: int) -> float:
        return sq[k] * (1.0 / n[k] ** 2 - 1.0 / (n[k] + 1) ** 2)

    heap = [(-gain(k), k) for k in active]
    heapq.heapify(heap)
    for _ in range(N - active.size):
        _, k = heapq.heappop(heap)
        n[k] += 1
        heapq.heappush(heap, (-gain(k), k))
    return n


def _positive(value, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise QSNError(f"{name} must be a positive number, got {value!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise QSNError(f"{name} must be a positive number, got {value}")
    return value


def _closed_form(v, N, kappa, repeats, p: float) -> float:
    v = as_real_vector(v, "v")
    if not np.any(v != 0):
        raise QSNError("v must have a non-zero entry")
    N = as_positive_int(N, "N")
    norm = np.sum(np.abs(v) ** p) ** (1 / p)
    return float(norm ** 2 / (_positive(kappa, "kappa") ** 2 * N ** 2)) / _repeats(repeats)


def separable_bound(v: Sequence[float], N: int, kappa: float = 1.0, repeats: int = 1) -> float:
    r"""Best sensor-separable bound with N particles: :math:`\|v\|_{2/3}^2/(\mu\kappa^2N^2)`.

    Examples
    --------
    >>> round(separable_bound([0.5, 0.5, 0.5, 0.5], 8), 12)
    0.0625
    """
    return _closed_form(v, N, kappa, repeats, 2 / 3)


def ghz_bound(v: Sequence[float], N: int, kappa: float = 1.0, repeats: int = 1) -> float:
    r"""GHZ-like (Eq. 1) bound with N particles: :math:`\|v\|_1^2/(\mu\kappa^2N^2)`.

    Examples
    --------
    >>> round(ghz_bound([0.5, 0.5, 0.5, 0.5], 8), 12)
    0.0625
    """
    return _closed_form(v, N, kappa, repeats, 1.0)
