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
           "ghz_bound", "allocation_variance", "hardware_limit", "ghz_allocation"]


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
    """(F^+, an orthonormal basis of the null space of F as columns).

    Every test is relative to the scale of F (its largest eigenvalue): an eigenvalue below
    ``tolerances.rank_rtol`` times it is zero (round-off of a singular QFIM), one below minus
    that makes F indefinite.  An F of tiny or huge scale is judged like the same F rescaled.
    """
    lam, vecs = np.linalg.eigh(F)
    top = max(abs(lam[0]), abs(lam[-1]))
    if lam[0] < -tolerances.rank_rtol * top:
        raise QSNError(f"F must be positive semidefinite: smallest eigenvalue {lam[0]:.3g} "
                       f"(largest {lam[-1]:.3g})")
    # below the smallest normal float, 1/lambda overflows: such directions carry no information
    kept = (lam > tolerances.rank_rtol * top) & (lam > np.finfo(float).tiny)
    pinv = (vecs[:, kept] / lam[kept]) @ vecs[:, kept].T
    return pinv, vecs[:, ~kept]


def _in_range(direction: np.ndarray, null: np.ndarray) -> bool:
    """True when ``direction`` has no component in the null space of F beyond round-off
    (``tolerances.range_rtol`` of its length): a direction a little outside is not estimable."""
    leak = np.linalg.norm(null.T @ direction)
    return leak <= tolerances.range_rtol * np.linalg.norm(direction)


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
    if not np.any(w > 0):
        raise QSNError("weights must have a positive entry (all zero weights ask for nothing)")
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
    >>> round(function_bound([[16.0, -16.0], [-16.0, 16.0]], np.array([-1, 1]) / np.sqrt(2)), 12)
    0.03125
    """
    F = _check_qfim(F)
    v = as_real_vector(v, "v", length=F.shape[0])
    if not np.any(v != 0):
        raise QSNError("v must have a non-zero entry (theta = v . phi = 0 needs no estimate)")
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


def _allocation_task(v, N) -> tuple[np.ndarray, int, np.ndarray]:
    """(v, N, the sensors with v_k != 0), checked: N must cover each of them once."""
    v = as_real_vector(v, "v")
    N = as_positive_int(N, "N")
    active = np.flatnonzero(v != 0)
    if active.size == 0:
        raise QSNError("v must have a non-zero entry")
    if N < active.size:
        raise QSNError(f"N = {N} particles cannot cover the {active.size} sensors with "
                       f"v_k != 0 (each needs at least one)")
    return v, N, active


def best_separable_allocation(v: Sequence[float], N: int) -> np.ndarray:
    r"""The integer particle numbers n (summing to N) that minimise :math:`\sum_k v_k^2/n_k^2`.

    Exact, not rounded from the continuous optimum :math:`x_k = N|v_k|^{2/3}/\sum_j|v_j|^{2/3}`:
    each term :math:`f_k(n) = v_k^2/n^2` is convex and decreasing, so adding particles one at
    a time where the variance drops most is optimal from any start below an optimal
    allocation.  The start :math:`n^0_k = \max(1, \lfloor x_k\rfloor - d - 1)` (d active
    sensors) is one: the greedy optimum :math:`n^*` has a threshold gain g with
    :math:`|n^*_k - y_k(g)| \le 1` for :math:`y_k(g) = (-f_k')^{-1}(g)`, and
    :math:`\sum_k y_k(g) \ge N - d` with :math:`y(g) \ge x` or :math:`x - y(g) \le d`
    componentwise, so :math:`n^*_k \ge x_k - d - 1`.  At most :math:`d(d+2)` greedy steps
    remain, whatever N.  Sensors with :math:`v_k = 0` get no particle; every other sensor
    needs at least one.

    Examples
    --------
    >>> best_separable_allocation([1, 1, 1, 1], 8).tolist()
    [2, 2, 2, 2]
    """
    v, N, active = _allocation_task(v, N)
    n = np.zeros(v.size, dtype=int)
    weight = np.abs(v[active]) ** (2 / 3)
    continuous = N * weight / weight.sum()
    n[active] = np.maximum(1, np.floor(continuous).astype(np.int64) - active.size - 1)
    sq = v ** 2

    def gain(k: int) -> float:
        return sq[k] * (1.0 / n[k] ** 2 - 1.0 / (n[k] + 1) ** 2)

    heap = [(-gain(k), k) for k in active]
    heapq.heapify(heap)
    for _ in range(N - int(n.sum())):
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
    >>> round(separable_bound([0.5, 0.5, 0.5, 0.5], 8), 12)    # two particles per sensor
    0.25
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


def hardware_limit(v: Sequence[float], spreads: Sequence[float], repeats: int = 1) -> float:
    r"""The least :math:`\mathrm{Var}(v^T\phi)` any probe reaches on fixed hardware:
    :math:`\max_k (v_k/s_k)^2/\mu`.

    For commuting generators :math:`\hat H_k`, one parameter per sensor, sensor k holding at
    most its :math:`n_k` particles, so that :math:`\hat H_k` has the spread
    :math:`s_k = \lambda_{\max,k} - \lambda_{\min,k}` (:math:`=\kappa n_k` in the paper's
    setting) on the states the probe may use.  Proof, for ANY probe (pure or mixed, with
    parameter-free ancillas): for every weight vector w, Cauchy-Schwarz on
    :math:`w^Tv = (F^{1/2}w)^T(F^{+1/2}v)` (v in the range of the QFIM F) gives

    .. math::
        v^TF^{+}v \ge \frac{(w^Tv)^2}{w^TFw},\qquad
        w^TFw \le 4\,\mathrm{Var}(w\cdot\hat H) \le \Big(\sum_k|w_k|s_k\Big)^2,

    the middle step the QFI of the one-parameter family generated by :math:`w\cdot\hat H`
    (:math:`\le 4\times` its variance, equality for pure states), the last Popoviciu's
    inequality: the spectrum of :math:`w\cdot\hat H` (sums of the sensors' eigenvalues)
    spans :math:`\sum_k|w_k|s_k`.  With :math:`u_k = w_ks_k`, the ratio
    :math:`(\sum_ku_kv_k/s_k)^2/(\sum_k|u_k|)^2` of a linear form to the squared
    :math:`\ell_1` norm is largest at a vertex :math:`u = e_k`, so

    .. math::
        \mathrm{Var}(v^T\phi) \ge \frac{1}{\mu}\max_w\frac{(w\cdot v)^2}{(\sum_k|w_k|s_k)^2}
        = \frac{1}{\mu}\max_k\Big(\frac{v_k}{s_k}\Big)^2 .

    The sensor :math:`k^*` with the least spread per :math:`|v_k|` (the fewest particles
    per :math:`|v_k|`) sets the limit; it is reached exactly by a superposition of extremal
    branches (:func:`qsn_qutip.probes.ghz_type`).  When :math:`s \propto |v|` it is the
    GHZ-like value :math:`\|v\|_1^2/(\mu\kappa^2N^2)` of Eq. 1 (:func:`ghz_bound`).

    Parameters
    ----------
    v : sequence of float
        The function :math:`\theta = v^T\phi` (used as given).
    spreads : sequence of float
        :math:`s_k \ge 0`, one per parameter.
    repeats : int
        :math:`\mu`.

    Returns
    -------
    float
        ``inf`` when a sensor with :math:`v_k \ne 0` has no spread (it cannot sense).

    Examples
    --------
    >>> round(hardware_limit([1, 1], [4, 4]), 12)                  # Eq. 1, N = 8: 2^2/8^2
    0.0625
    >>> round(hardware_limit([1, -2, 1], [4, 7, 9]) * 49, 12)      # sensor 2 sets it: (2/7)^2
    4.0
    """
    v = as_real_vector(v, "v")
    if not np.any(v != 0):
        raise QSNError("v must have a non-zero entry")
    s = as_real_vector(spreads, "spreads", length=v.size)
    if np.any(s < 0):
        raise QSNError(f"spreads must be non-negative, got {s.tolist()}")
    mu = _repeats(repeats)
    active = v != 0
    if np.any(s[active] == 0):
        return float("inf")
    return float(np.max((v[active] / s[active]) ** 2)) / mu


def ghz_allocation(v: Sequence[float], N: int, kappa: float | Sequence[float] = 1.0) -> np.ndarray:
    r"""The integer allocation n (:math:`\sum_kn_k = N`) minimising :math:`\max_k|v_k|/(\kappa_kn_k)`.

    The bottleneck allocation for the GHZ-type probe: its bound is :func:`hardware_limit` of
    the spreads :math:`s_k = \kappa_kn_k`, so the best use of N particles minimises the
    largest :math:`a_k/n_k` with :math:`a_k = |v_k|/\kappa_k`.  Sensors with :math:`v_k = 0`
    get no particle; every other sensor at least one; all N particles are placed.

    Exact, by a greedy argument: start from any :math:`n^0` below an optimal allocation and
    add the particles one at a time, each to a sensor with the largest :math:`a_k/n_k`.  Let
    :math:`T^*` be the optimal value and :math:`m_k = \lceil a_k/T^*\rceil` the fewest
    particles sensor k needs to reach it; every optimal allocation has :math:`n \ge m`, so
    :math:`\sum_km_k \le N`.  While the current maximum exceeds :math:`T^*`, the sensor that
    receives the particle has :math:`a_k/n_k > T^*`, i.e. :math:`n_k < m_k`: no particle goes
    above m, so within :math:`\sum_k(m_k-n^0_k) \le N - \sum_kn^0_k` steps the maximum
    reaches :math:`T^*`, after which more particles never raise it.  The start
    :math:`n^0_k = \max(1, \lceil a_k/T_+\rceil)`, with :math:`T_+` the value of the rounded
    proportional allocation (an upper bound on :math:`T^*`), is below m and leaves at most a
    few particles per sensor to the greedy steps.  The value lies between the continuous
    optimum and that with d fewer particles:
    :math:`\sum_ka_k/N \le T^* \le \sum_ka_k/(N-d)` (d active sensors, N > d), so the
    bound :math:`T^{*2}` approaches the paper's :math:`\|v\|_1^2/(\kappa^2N^2)` as N grows.

    Examples
    --------
    >>> ghz_allocation([1, 2, 3], 6).tolist()
    [1, 2, 3]
    >>> ghz_allocation([1, -2, 1], 21).tolist()      # 5 + 10 + 5, one particle left over
    [6, 10, 5]
    """
    v, N, active = _allocation_task(v, N)
    if np.ndim(kappa) == 0:
        kappa = np.full(v.shape, _positive(kappa, "kappa"))
    else:
        kappa = as_real_vector(kappa, "kappa", length=v.size)
        if np.any(kappa[active] <= 0):
            raise QSNError(f"kappa must be positive, got {kappa.tolist()}")
    a = np.abs(v[active]) / kappa[active]
    start = np.maximum(1, np.floor(N * a / a.sum())).astype(int)
    if start.sum() <= N:
        upper = np.max(a / start)
        start = np.maximum(1, np.ceil(a / upper * (1 - 1e-12))).astype(int)
    else:
        start = np.ones(active.size, dtype=int)
    n = start
    heap = [(-a[j] / n[j], j) for j in range(active.size)]
    heapq.heapify(heap)
    for _ in range(N - int(n.sum())):
        _, j = heapq.heappop(heap)
        n[j] += 1
        heapq.heappush(heap, (-a[j] / n[j], j))
    out = np.zeros(v.size, dtype=int)
    out[active] = n
    return out
