r"""Bounds no probe can beat: the channel-extension bound of local dephasing, for a network.

For every weight vector w and every probe (pure or mixed, with parameter-free ancillas),
Cauchy-Schwarz gives :math:`v^TF^{+}v \ge (w\cdot v)^2/w^TFw`, and :math:`w^TFw` is the QFI of
the one-parameter channel in which qubit i of sensor k picks up the phase :math:`w_k\theta`.
The channel-extension (CE) bound (Fujiwara and Imai, J. Phys. A 41, 255304 (2008);
Demkowicz-Dobrzanski, Kolodynski and Guta, Nat. Commun. 3, 1063 (2012)) bounds that QFI by
:math:`4\|\sum_i\alpha_i + \sum_{i\ne j}\beta_i\otimes\beta_j\| \le 4[\sum_i\|\alpha_i\| +
\sum_{i\ne j}\|\beta_i\|\|\beta_j\|]` for any Kraus representations :math:`\tilde K(\theta) =
e^{-i\theta h}K` of the single-qubit channels, :math:`\alpha = \sum\dot{\tilde K}^\dagger\dot{\tilde
K}`, :math:`\beta = i\sum\dot{\tilde K}^\dagger\tilde K`.  For dephasing with coherence
:math:`\eta` (Kraus :math:`\sqrt{(1\pm\eta)/2}\{1, \sigma_z\}`) and the family
:math:`h = y\,\sigma_x` on the Kraus index, a short calculation gives, with
:math:`z = \sqrt{1-\eta^2}\,y` and :math:`c = (1-\eta^2)/\eta^2`,

.. math::
    \|\alpha\| = w^2\big[(\tfrac12+z)^2 + z^2/c\big],\qquad \|\beta\| = |w|\,|\tfrac12+z|,

so for ensembles of :math:`n_k` qubits (plus noiseless sensors, whose generator spreads
:math:`s_k(w)` add to the sum of the :math:`\|\beta\|`)

.. math::
    w^TFw \le U(w) = 4\min_z\Big[\sum_kn_kw_k^2z_k^2/c_k
        + \Big(\sum_kn_k|w_k||\tfrac12+z_k| + \tfrac12\sum_{k'}s_{k'}(w)\Big)^2\Big].

Any z gives a valid bound; the minimum is found exactly by the active sets (each :math:`z_k`
free, or clamped at :math:`-1/2`), the free ones in closed form.  For one ensemble this is
:math:`F \le N^2\eta^2/(N(1-\eta^2)+\eta^2)` (the finite-N CE bound; asymptotically
:math:`N\eta^2/(1-\eta^2)`, the quantum-simulation bound).  The limit of a task is
:math:`\max_w(w\cdot v)^2/U(w)` (any w is valid; the maximum is searched from the vertices
:math:`e_k`, sign(v) and v), or :math:`\sum_pW_{pp}/U(e_p)` for weights W (since
:math:`[F^{+}]_{pp} \ge 1/F_{pp}`).  Other dephasing-type channels only add noise, so leaving them
out keeps the bound valid (data processing).  Noiseless, :math:`U(w) = (\sum_ks_k(w))^2` and
the limit is :func:`~qsn_qutip.estimation.bounds.hardware_limit`.

Per unit time (:math:`\eta_k = e^{-\gamma_kt}`, the figure :math:`B(t)/t`), :math:`U_t` falls as t
grows (each :math:`c_k` grows), so on a geometric grid :math:`t_i` the supremum of
:math:`tU_t(w)` is at most :math:`\max_it_{i+1}U_{t_i}(w)`; below the grid
:math:`tU_t \le t_{\rm lo}U_0`, above it :math:`tU_t \le t\sum_kn_kw_k^2/c_k(t)`, which falls.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import scipy.optimize

from ..errors import QSNError

__all__ = ["Dephased", "LimitModel", "ce_qfi", "qfi_limit", "task_limit", "time_limit",
           "total_limit", "GRID_RATIO"]

#: the ratio of neighbouring times in the per-unit-time grid (the limit is at most this much
#: below the exact supremum)
GRID_RATIO = 1.005


@dataclasses.dataclass(frozen=True)
class Dephased:
    """A qubit ensemble under local dephasing: its parameter, qubits and :math:`\\gamma`."""

    param: int
    qubits: int
    gamma: float


@dataclasses.dataclass(frozen=True)
class LimitModel:
    """What the CE bound needs of a network: the dephased ensembles and the diagonals of the
    other sensors' generators (rows: parameters of one sensor, with their indices)."""

    n_params: int
    dephased: tuple[Dephased, ...]
    others: tuple[tuple[tuple[int, ...], np.ndarray], ...]

    def spread(self, w: np.ndarray) -> float:
        """:math:`\\sum_k s_k(w)`: the spread of :math:`w\\cdot\\hat H` on the other sensors."""
        return float(sum(np.ptp(w[list(params)] @ rows) for params, rows in self.others))


def ce_qfi(n: np.ndarray, w: np.ndarray, c: np.ndarray, spread: float = 0.0) -> np.ndarray:
    r""":math:`U(w)`: the CE bound on the QFI along w (module docstring), exact minimum over z.

    Parameters
    ----------
    n, w : arrays, one entry per dephased ensemble
        Qubits and weights.
    c : array, shape (K,) or (T, K)
        :math:`c = (1-\eta^2)/\eta^2` per ensemble (``inf`` for :math:`\eta = 0`, 0 without
        noise), for one time or for T times at once.
    spread : float
        :math:`\sum_ks_k(w)` of the noiseless sensors.

    Returns
    -------
    float, or numpy.ndarray of shape (T,)

    Examples
    --------
    >>> eta2 = np.exp(-0.2)
    >>> N = 10
    >>> U = ce_qfi(np.array([N]), np.array([1.0]), np.array([(1 - eta2) / eta2]))
    >>> bool(np.isclose(U, N**2 * eta2 / (N * (1 - eta2) + eta2)))
    True
    """
    n, w = np.asarray(n, dtype=float), np.asarray(w, dtype=float)
    c = np.asarray(c, dtype=float)
    single = c.ndim == 1
    c = np.atleast_2d(c)
    finite = np.isfinite(c)
    active = np.flatnonzero(w != 0)
    best = np.full(c.shape[0], np.inf)
    for size in range(active.size + 1):
        for clamped in itertools.combinations(active, size):
            chosen = np.zeros(w.size, dtype=bool)
            chosen[list(clamped)] = True
            # a noiseless ensemble (c = 0) cannot be clamped: z^2/c would be infinite
            feasible = ~np.any(chosen & (c == 0), axis=1)
            free = (w != 0) & ~chosen & finite                  # (T, K)
            dead = (w != 0) & ~finite                           # eta = 0: clamped, free of cost
            z = np.where(chosen | dead, -0.5, 0.0)
            base = np.sum(np.where(free, n * np.abs(w), 0.0), axis=1) + spread
            s = 0.5 * base / (1.0 + np.sum(np.where(free, n * c, 0.0), axis=1))
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(free, -s[:, None] * c / np.where(w != 0, np.abs(w), 1.0), z)
                quad = np.where(finite & (c > 0), n * w ** 2 * z ** 2 / c, 0.0)
            linear = np.sum(n * np.abs(w) * np.abs(0.5 + z), axis=1) + 0.5 * spread
            value = 4.0 * (np.sum(quad, axis=1) + linear ** 2)
            best = np.where(feasible, np.minimum(best, value), best)
    return float(best[0]) if single else best


def qfi_limit(model: LimitModel, w: np.ndarray, t) -> float | np.ndarray:
    """:math:`U_t(w)` for the network of ``model`` at interrogation time t (a number, or an
    array of times at once)."""
    d = model.dephased
    times = np.atleast_1d(np.asarray(t, dtype=float))
    if not d:
        out = np.full(times.shape, model.spread(w) ** 2)
    else:
        n = np.array([x.qubits for x in d], dtype=float)
        gammas = np.array([x.gamma for x in d])
        eta2 = np.exp(-2.0 * np.outer(times, gammas))
        with np.errstate(divide="ignore"):
            c = np.where(eta2 > 0, -np.expm1(np.log(eta2)) / eta2, np.inf)
        out = ce_qfi(n, w[[x.param for x in d]], c, model.spread(w))
    return float(out[0]) if np.ndim(t) == 0 else out


def _candidates(v: np.ndarray) -> list[np.ndarray]:
    eye = np.eye(v.size)
    return [eye[k] * np.sign(v[k]) for k in np.flatnonzero(v)] + [np.sign(v), v.copy()]


def _maximise(ratio, v: np.ndarray) -> float:
    """max over w of ``ratio(w)``: the best of the candidates, then Nelder-Mead from each of the
    three best (every w gives a valid limit, so the search only tightens it)."""
    starts = sorted(_candidates(v), key=ratio, reverse=True)
    best = max(ratio(w) for w in starts)
    if v.size == 1:                 # the ratio does not depend on the scale of w
        return float(best)
    for w0 in starts[:3]:
        found = scipy.optimize.minimize(lambda w: -ratio(w), w0, method="Nelder-Mead",
                                        options={"xatol": 1e-10, "fatol": 1e-14 * best,
                                                 "maxiter": 400 * v.size})
        best = max(best, ratio(found.x))
    return float(best)


def task_limit(model: LimitModel, t: float, v: np.ndarray | None = None,
               weights: np.ndarray | None = None) -> float:
    r"""The least bound any probe reaches at time t: :math:`\max_w(w\cdot v)^2/U_t(w)`, or
    :math:`\sum_pW_{pp}/U_t(e_p)`."""
    if v is None:
        eye = np.eye(model.n_params)
        return float(sum(weights[p] / qfi_limit(model, eye[p], t)
                         for p in range(model.n_params) if weights[p] > 0))

    def ratio(w):
        U = qfi_limit(model, np.asarray(w, dtype=float), t)
        return float(np.dot(w, v) ** 2 / U) if U > 0 else 0.0
    return _maximise(ratio, np.asarray(v, dtype=float))


def _time_grid(model: LimitModel) -> np.ndarray:
    gammas = [x.gamma for x in model.dephased]
    qubits = sum(x.qubits for x in model.dephased)
    low, high = 1e-4 / (max(gammas) * qubits), 50.0 / min(gammas)
    return np.exp(np.arange(np.log(low), np.log(high) + np.log(GRID_RATIO), np.log(GRID_RATIO)))


def _best_time_information(model: LimitModel, w: np.ndarray, grid: np.ndarray) -> float:
    r"""An upper bound on :math:`\sup_t tU_t(w)` (module docstring)."""
    values = qfi_limit(model, w, grid)
    inside = float(np.max(grid[1:] * values[:-1]))
    d = model.dephased
    c_end = np.expm1(2.0 * np.array([x.gamma for x in d]) * grid[-1])
    tail = grid[-1] * float(sum(x.qubits * w[x.param] ** 2 / c for x, c in zip(d, c_end)))
    return max(inside, grid[0] * qfi_limit(model, w, 0.0), tail)


def time_limit(model: LimitModel, v: np.ndarray | None = None,
               weights: np.ndarray | None = None) -> float:
    r"""The least :math:`B(t)/t` any probe reaches at any interrogation time t (every sensor
    with a parameter in the task must dephase, else there is no best time)."""
    if model.others or not model.dephased or min(x.gamma for x in model.dephased) <= 0:
        raise QSNError("a per-unit-time limit needs local dephasing on every sensor of the task")
    grid = _time_grid(model)
    if v is None:
        eye = np.eye(model.n_params)
        return float(sum(weights[p] / _best_time_information(model, eye[p], grid)
                         for p in range(model.n_params) if weights[p] > 0))

    def ratio(w):
        w = np.asarray(w, dtype=float)
        return float(np.dot(w, v) ** 2 / _best_time_information(model, w, grid))
    return _maximise(ratio, np.asarray(v, dtype=float))


def total_limit(v: Sequence[float] | None, total: int, gamma: float, t: float | None,
                weights: Sequence[float] | None = None) -> float:
    r"""The least bound with N qubits allocated freely: :math:`\|v\|_1^2(1/N^2 + c/N)` at time t
    (``gamma`` the weakest dephasing rate; :math:`c = e^{2\gamma t}-1`), or per unit time
    (t None) :math:`\min_t\|v\|_1^2(1/N^2 + c(t)/N)/t` bounded from below on a grid.

    Valid for every allocation: with :math:`w = \mathrm{sign}(v)` the closed form of
    :func:`ce_qfi` gives :math:`U = S^2/(1+cS)` with :math:`S \le N` qubits on the sensors of
    the task, and :math:`(1+cS)/S^2` falls with S.  For weights W the same factor multiplies
    :math:`\sum_pW_{pp}` (each :math:`F_{pp} \le N^2/(1+cN)`).

    >>> round(total_limit([1, -1], 8, 0.0, 1.0), 12)        # noiseless: ||v||_1^2 / N^2
    0.0625
    """
    scale = float(np.sum(np.abs(v))) ** 2 if v is not None else float(np.sum(weights))
    if t is not None:
        return scale * (1.0 / total ** 2 + float(np.expm1(2 * gamma * t)) / total)
    if gamma <= 0:
        raise QSNError("a per-unit-time limit needs local dephasing (gamma > 0)")
    low, high = 1e-4 / (gamma * total), 50.0 / gamma
    grid = np.exp(np.arange(np.log(low), np.log(high) + np.log(GRID_RATIO), np.log(GRID_RATIO)))
    values = 1.0 / total ** 2 + np.expm1(2 * gamma * grid) / total
    inside = float(np.min(values[:-1] / grid[1:]))
    return scale * min(inside, 1.0 / (total ** 2 * low),
                            float(np.expm1(2 * gamma * high)) / (total * high))
