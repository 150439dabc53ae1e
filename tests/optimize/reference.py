r"""Independent reference optimiser for the tests of :mod:`qsn_qutip.optimize` (tests only).

Everything here is written from scratch with NumPy / SciPy / CVXPY in the FULL
:math:`2^N`-dimensional space of the qubits (no Dicke subspace, no symmetry assumed, complex
amplitudes) and imports nothing from ``qsn_qutip``, so the package's optimiser can be checked
against numbers it did not produce.

Conventions (the toolkit's):

* a qubit ensemble of :math:`N` qubits senses :math:`\phi` through
  :math:`U = e^{-i\phi J_z}`, :math:`J_z = \sum_i \sigma_z^{(i)}/2`; ``J_z`` is diagonal in the
  computational basis, :math:`(J_z)_{xx} = N/2 - |x|` with :math:`|x|` the number of ones of
  the bit string ``x`` (qubit ``i`` is bit ``n-1-i``: big-endian, as ``qutip.tensor``);
* local dephasing with coherence :math:`\eta = e^{-\gamma t}` per qubit is the Schur
  multiplier :math:`\rho_{xy} \to \eta^{\mathrm{ham}(x,y)} \rho_{xy}`; it commutes with the
  encoding and is self-adjoint for the Hilbert-Schmidt product;
* a network of ensembles of sizes ``ns`` has one phase per ensemble, generator :math:`J_z` of
  ensemble ``k``; the task :math:`\theta = v\cdot\phi` has the bound
  :math:`v^T F^{+} v` (``F`` the QFIM of the output state).

Use from another test module (pytest runs with ``--import-mode=importlib``, so test modules
cannot import each other by name)::

    import importlib.util
    from pathlib import Path

    _spec = importlib.util.spec_from_file_location(
        "optimize_reference", Path(__file__).with_name("reference.py"))
    ref = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(ref)

    ref.full_space_optimum(4, np.exp(-0.1)).value

Public functions: :func:`jz_diagonal`, :func:`dephasing_mask`, :func:`dephase`, :func:`qfi`,
:func:`qfim`, :func:`ket_qfi`, :func:`ghz_ket`, :func:`plus_ket`, :func:`full_space_optimum`
(see-saw), :func:`lbfgs_optimum` (L-BFGS on the ket), :func:`network_generators`,
:func:`network_cost`, :func:`network_optimum`, :func:`ce_bound` (SDP), :func:`ce_closed_form`,
:func:`qs_bound`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.optimize

#: relative eigenvalue cutoff: pairs with lambda_i + lambda_j below CUTOFF * lambda_max count as 0
CUTOFF = 1e-12


class Optimum(NamedTuple):
    """Result of a reference optimisation.

    ``value`` is the best figure (a QFI for :func:`full_space_optimum` / :func:`lbfgs_optimum`,
    a bound :math:`v^T F^+ v` for :func:`network_optimum`), ``state`` the normalised input ket
    (complex, length :math:`2^N`), ``values`` the figure reached from every start (a spread
    shows local optima), ``iterations`` the iterations used by the best start.
    """

    value: float
    state: np.ndarray
    values: tuple
    iterations: int


# --------------------------------------------------------------------------- basic objects

def jz_diagonal(n: int) -> np.ndarray:
    r"""Diagonal of :math:`J_z = \sum_i\sigma_z^{(i)}/2` on ``n`` qubits: :math:`n/2 - |x|`."""
    x = np.arange(2 ** n)
    ones = np.array([int(k).bit_count() for k in x])
    return n / 2 - ones.astype(float)


def dephasing_mask(n: int, eta: float) -> np.ndarray:
    r"""Schur multiplier of local dephasing, :math:`M_{xy} = \eta^{\mathrm{ham}(x,y)}`."""
    x = np.arange(2 ** n)
    ham = np.array([[int(a ^ b).bit_count() for b in x] for a in x])
    return float(eta) ** ham


def dephase(rho: np.ndarray, eta: float) -> np.ndarray:
    r"""Local dephasing of every qubit: :math:`\rho_{xy}\,\eta^{\mathrm{ham}(x,y)}`."""
    n = round(np.log2(rho.shape[0]))
    return dephasing_mask(n, eta) * rho


def _eig(rho: np.ndarray):
    lam, vec = np.linalg.eigh((rho + rho.conj().T) / 2)
    lam = np.clip(lam, 0.0, None)
    tot = lam[:, None] + lam[None, :]
    keep = tot > CUTOFF * max(lam.max(), 1e-300)
    return lam, vec, tot, keep


def _sld(rho: np.ndarray, h: np.ndarray):
    r"""QFI and SLD of :math:`\rho` for the diagonal generator ``h`` (a vector).

    In the eigenbasis of :math:`\rho`: :math:`(\partial\rho)_{ij} = i(\lambda_i-\lambda_j)
    H_{ij}`, :math:`L_{ij} = 2(\partial\rho)_{ij}/(\lambda_i+\lambda_j)` and
    :math:`F = 2\sum_{\lambda_i+\lambda_j>0}(\lambda_i-\lambda_j)^2|H_{ij}|^2/(\lambda_i+\lambda_j)`.
    Returns ``(F, L)`` with ``L`` in the computational basis.
    """
    lam, vec, tot, keep = _eig(rho)
    ht = vec.conj().T @ (h[:, None] * vec)
    diff = lam[:, None] - lam[None, :]
    denom = np.where(keep, tot, 1.0)
    lt = np.where(keep, 2j * diff * ht / denom, 0.0)
    f = float(np.sum(np.where(keep, 2 * diff ** 2 * np.abs(ht) ** 2 / denom, 0.0)))
    return f, vec @ lt @ vec.conj().T


def qfi(rho: np.ndarray, h: np.ndarray) -> float:
    r"""QFI of :math:`e^{-i\phi H}\rho e^{i\phi H}` for a diagonal generator ``h`` (a vector):
    :math:`2\sum_{\lambda_i+\lambda_j>0}(\lambda_i-\lambda_j)^2|H_{ij}|^2/(\lambda_i+\lambda_j)`."""
    return _sld(rho, np.asarray(h, dtype=float))[0]


def qfim(rho: np.ndarray, hs: Sequence[np.ndarray]) -> np.ndarray:
    r"""QFIM for diagonal generators ``hs``:
    :math:`F_{kl} = 2\sum(\lambda_i-\lambda_j)^2\,\mathrm{Re}(H^k_{ij}\overline{H^l_{ij}})/
    (\lambda_i+\lambda_j)`."""
    lam, vec, tot, keep = _eig(rho)
    w = np.where(keep, 2 * (lam[:, None] - lam[None, :]) ** 2 / np.where(keep, tot, 1.0), 0.0)
    hts = [vec.conj().T @ (np.asarray(h, float)[:, None] * vec) for h in hs]
    return np.array([[float(np.sum(w * (a * b.conj()).real)) for b in hts] for a in hts])


def ket_qfi(psi: np.ndarray, eta: float) -> float:
    """QFI of the ket ``psi`` (N qubits, any norm) after local dephasing, generator J_z."""
    psi = np.asarray(psi, dtype=complex)
    n = round(np.log2(psi.size))
    psi = psi / np.linalg.norm(psi)
    return qfi(dephase(np.outer(psi, psi.conj()), eta), jz_diagonal(n))


def ghz_ket(n: int) -> np.ndarray:
    r""":math:`(|0\dots0\rangle + |1\dots1\rangle)/\sqrt2`."""
    psi = np.zeros(2 ** n, dtype=complex)
    psi[0] = psi[-1] = 2 ** -0.5
    return psi


def plus_ket(n: int) -> np.ndarray:
    r""":math:`|+\rangle^{\otimes n}`."""
    return np.full(2 ** n, 2 ** (-n / 2), dtype=complex)


def _random_ket(dim: int, rng: np.random.Generator) -> np.ndarray:
    psi = rng.normal(size=dim) + 1j * rng.normal(size=dim)
    return psi / np.linalg.norm(psi)


def _one_thread():
    """Limit BLAS to one thread (these matrices are small; threads only contend)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _check(n: int, eta: float, nmax: int) -> None:
    if not (isinstance(n, (int, np.integer)) and 1 <= n <= nmax):
        raise ValueError(f"N must be an integer in 1..{nmax}, got {n!r}")
    if not 0 <= eta <= 1:
        raise ValueError(f"eta must be in [0, 1], got {eta!r}")


# --------------------------------------------------------------------------- see-saw (full space)

def _seesaw_operator(rho_out, h, mask):
    r"""QFI and the see-saw operator :math:`G = 2i[H, D(L)] - D(L^2)` at the output state.

    :math:`\mathrm{Tr}(\rho_{in} G) = 2\mathrm{Tr}(\partial\rho\,L) - \mathrm{Tr}(\rho L^2)`,
    which equals the QFI when ``L`` is the SLD of :math:`D(\rho_{in})`; G is also the gradient
    of the QFI with respect to :math:`\rho_{in}` (envelope theorem).
    """
    f, sld = _sld(rho_out, h)
    dl = mask * sld
    g = 2j * (h[:, None] - h[None, :]) * dl - mask * (sld @ sld)
    return f, (g + g.conj().T) / 2


def _top(g: np.ndarray) -> np.ndarray:
    d = g.shape[0]
    return scipy.linalg.eigh(g, subset_by_index=[d - 1, d - 1])[1][:, 0]


def _align(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``p`` times the global phase that makes its overlap with ``q`` real and positive."""
    ov = np.vdot(p, q)
    return p * ov / abs(ov) if abs(ov) > 0 else p


def _seesaw_run(psi, h, mask, tol, max_iter, accelerate):
    r"""One see-saw run from ``psi``; returns ``(F, psi, iterations)``.

    Plain: :math:`\psi_{k+1} = \mathrm{top}(G(\psi_k))`.  Accelerated (Nesterov extrapolation
    with adaptive restart): :math:`x_{k+1} = \mathrm{top}(G(y_k))`,
    :math:`y_{k+1} = x_{k+1} + \tfrac{j-1}{j+2}(x_{k+1} - x_k)` (normalised), and whenever
    :math:`F(y_{k+1}) < F(y_k)` the extrapolation is dropped (:math:`y_{k+1} = x_{k+1}`, j = 0).
    Either way the QFI at the evaluated points never decreases, because
    :math:`F(\mathrm{top}(G(y))) \ge \mathrm{Tr}[\rho_{x} G(y)] \ge \mathrm{Tr}[\rho_y G(y)]
    = F(y)`.  Stops after three consecutive steps gaining less than ``tol`` (relative).
    """
    def evaluate(y):
        return _seesaw_operator(mask * np.outer(y, y.conj()), h, mask)

    y, x_prev, j, stall = psi, psi, 0, 0
    f_y, g = evaluate(y)
    for it in range(1, max_iter + 1):
        x = _align(_top(g), y)
        j = j + 1 if accelerate else 0
        y_new = x + (j - 1) / (j + 2) * (x - _align(x_prev, x)) if j > 1 else x
        y_new = y_new / np.linalg.norm(y_new)
        f_new, g_new = evaluate(y_new)
        if f_new < f_y and j > 1:  # extrapolation overshot: restart from the plain step
            j, y_new = 0, x
            f_new, g_new = evaluate(y_new)
        stall = stall + 1 if f_new - f_y <= tol * max(abs(f_new), 1.0) else 0
        x_prev, y, f_y, g = x, y_new, max(f_new, f_y), g_new
        if stall >= 3:
            break
    return f_y, y, it


def full_space_optimum(N: int, eta: float, starts: int = 4, seed: int = 0,
                       tol: float = 1e-14, max_iter: int = 20000,
                       accelerate: bool = True) -> Optimum:
    r"""Maximal QFI over all pure N-qubit inputs (full :math:`2^N` space, N <= 8) under local
    dephasing with the :math:`J_z` encoding, by the see-saw of Macieszczak /
    Demkowicz-Dobrzanski.

    From :math:`\rho_{in}` the output is :math:`\rho = D(\rho_{in})`, its SLD ``L``, then the new
    input is the top eigenvector of :math:`G = 2i[J_z, D(L)] - D(L^2)`; the QFI never decreases
    along the iteration.  ``accelerate=True`` adds a Nesterov extrapolation with adaptive
    restart (still monotone, about ten times fewer iterations; see :func:`_seesaw_run`).
    Runs from ``starts`` random complex kets (``numpy`` generator seeded with ``seed``) plus a
    perturbed GHZ ket and :math:`|+\rangle^{\otimes N}`; each run stops when three consecutive
    steps gain less than ``tol`` (relative).
    """
    _check(N, eta, 8)
    h, mask = jz_diagonal(N), dephasing_mask(N, eta)
    rng = np.random.default_rng(seed)
    kets = [_random_ket(2 ** N, rng) for _ in range(starts)]
    kets += [(ghz_ket(N) + 0.1 * _random_ket(2 ** N, rng)), plus_ket(N)]
    with _one_thread():
        runs = [_seesaw_run(k / np.linalg.norm(k), h, mask, tol, max_iter, accelerate)
                for k in kets]
    best = max(runs, key=lambda r: r[0])
    return Optimum(best[0], best[1], tuple(r[0] for r in runs), best[2])


# --------------------------------------------------------------------------- L-BFGS (full space)

def _ket(x: np.ndarray) -> np.ndarray:
    d = x.size // 2
    return x[:d] + 1j * x[d:]


def _ket_gradient(psi: np.ndarray, g: np.ndarray) -> np.ndarray:
    r"""Gradient of :math:`\psi^\dagger G\psi/\psi^\dagger\psi` in (Re psi, Im psi)."""
    nrm = np.vdot(psi, psi).real
    gp = g @ psi
    r = (gp - (np.vdot(psi, gp).real / nrm) * psi) * (2 / nrm)
    return np.concatenate([r.real, r.imag])


def qfi_and_gradient(x: np.ndarray, N: int, eta: float):
    r"""QFI of the dephased ket :math:`\psi = x_{re} + i x_{im}` (any norm) and its gradient in
    ``x``.  The gradient is :math:`2\,\mathrm{Re/Im}[(G\psi - \langle G\rangle\psi)]/|\psi|^2`
    with ``G`` the see-saw operator (envelope theorem: :math:`F = \max_L \mathrm{Tr}[\rho_{in}
    (2i[J_z,D(L)] - D(L^2))]`)."""
    psi = _ket(x)
    rho = dephasing_mask(N, eta) * np.outer(psi, psi.conj()) / np.vdot(psi, psi).real
    f, g = _seesaw_operator(rho, jz_diagonal(N), dephasing_mask(N, eta))
    return f, _ket_gradient(psi, g)


def lbfgs_optimum(N: int, eta: float, starts: int = 6, seed: int = 1,
                  gradient: str = "analytic") -> Optimum:
    r"""Maximal QFI over pure N-qubit kets by L-BFGS-B on (Re psi, Im psi), QFI by the
    eigendecomposition of the dephased state (an optimiser independent of the see-saw).

    ``gradient="analytic"`` uses :func:`qfi_and_gradient`; ``"fd"`` lets SciPy take finite
    differences (slow: use at N <= 3).
    """
    _check(N, eta, 8)
    h, mask = jz_diagonal(N), dephasing_mask(N, eta)
    rng = np.random.default_rng(seed)

    def value(x):
        psi = _ket(x)
        return -qfi(mask * np.outer(psi, psi.conj()) / np.vdot(psi, psi).real, h)

    def value_grad(x):
        psi = _ket(x)
        f, g = _seesaw_operator(mask * np.outer(psi, psi.conj()) / np.vdot(psi, psi).real,
                                h, mask)
        return -f, -_ket_gradient(psi, g)

    runs = []
    opts = {"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-11, "maxcor": 30}
    for _ in range(starts):
        k = _random_ket(2 ** N, rng)
        x0 = np.concatenate([k.real, k.imag])
        with _one_thread():
            if gradient == "fd":
                res = scipy.optimize.minimize(value, x0, method="L-BFGS-B", options=opts)
            else:
                res = scipy.optimize.minimize(value_grad, x0, jac=True, method="L-BFGS-B",
                                              options=opts)
        psi = _ket(res.x)
        runs.append((-float(res.fun), psi / np.linalg.norm(psi), int(res.nit)))
    best = max(runs, key=lambda r: r[0])
    return Optimum(best[0], best[1], tuple(r[0] for r in runs), best[2])


# --------------------------------------------------------------------------- networks

def network_generators(ns: Sequence[int]) -> list:
    r"""Diagonals of the generators :math:`J_z^{(k)}` of each ensemble, embedded in the joint
    space (ensemble 0 on the most significant qubits)."""
    n = int(sum(ns))
    x = np.arange(2 ** n)
    bits = (x[:, None] >> np.arange(n - 1, -1, -1)[None, :]) & 1  # column i = qubit i
    out, start = [], 0
    for nk in ns:
        out.append(nk / 2 - bits[:, start:start + nk].sum(axis=1).astype(float))
        start += nk
    return out


def _network_check(ns, eta, v):
    ns = tuple(int(k) for k in ns)
    v = np.asarray(v, dtype=float)
    if not ns or min(ns) < 1 or sum(ns) > 6:
        raise ValueError(f"ns must be positive sizes with a total <= 6, got {ns!r}")
    if v.shape != (len(ns),) or not np.any(v):
        raise ValueError(f"v must be a non-zero vector of length {len(ns)}, got {v!r}")
    if not 0 <= eta <= 1:
        raise ValueError(f"eta must be in [0, 1], got {eta!r}")
    return ns, v


def network_cost(psi: np.ndarray, ns: Sequence[int], eta: float, v: Sequence[float],
                 rcond: float = 1e-10) -> float:
    r""":math:`v^T F^{+} v` for the dephased ket ``psi`` of the network ``ns`` (``inf`` when
    ``v`` is not in the range of ``F``)."""
    ns, v = _network_check(ns, eta, v)
    psi = np.asarray(psi, dtype=complex)
    psi = psi / np.linalg.norm(psi)
    f = qfim(dephasing_mask(sum(ns), eta) * np.outer(psi, psi.conj()), network_generators(ns))
    fp = np.linalg.pinv(f, rcond=rcond, hermitian=True)
    w = fp @ v
    if np.linalg.norm(f @ w - v) > 1e-6 * np.linalg.norm(v):
        return float("inf")
    return float(v @ w)


def _network_value_grad(x, hs, mask, v):
    r"""Cost :math:`C = v^T F^{-1} v` and gradient: with :math:`w = F^{-1}v`,
    :math:`dC = -w^T dF w = -d\,\mathrm{QFI}(\rho; \textstyle\sum_k w_k H_k)` at fixed ``w``,
    whose gradient in :math:`\rho_{in}` is the see-saw operator of :math:`H_w`."""
    psi = _ket(x)
    rho = mask * np.outer(psi, psi.conj()) / np.vdot(psi, psi).real
    f = qfim(rho, hs)
    try:
        w = np.linalg.solve(f, v)
    except np.linalg.LinAlgError:
        return 1e6, np.zeros_like(x)
    cost = float(v @ w)
    if not np.isfinite(cost) or cost <= 0:
        return 1e6, np.zeros_like(x)
    hw = sum(wk * hk for wk, hk in zip(w, hs))
    _, g = _seesaw_operator(rho, hw, mask)
    return cost, -_ket_gradient(psi, g)


def network_optimum(ns: Sequence[int], eta: float, v: Sequence[float], starts: int = 6,
                    seed: int = 2) -> Optimum:
    r"""Minimal :math:`v^T F^{-1} v` over pure inputs of a network of qubit ensembles of sizes
    ``ns`` (total <= 6 qubits, full :math:`\prod_k 2^{n_k}` space) under local dephasing of
    every qubit, by L-BFGS-B on (Re psi, Im psi) with the analytic gradient of
    :func:`_network_value_grad`, from ``starts`` seeded random complex kets.  The reported
    value is recomputed with the pseudo-inverse (:func:`network_cost`).
    """
    ns, v = _network_check(ns, eta, v)
    n = sum(ns)
    hs, mask = network_generators(ns), dephasing_mask(n, eta)
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(starts):
        k = _random_ket(2 ** n, rng)
        with _one_thread():
            res = scipy.optimize.minimize(
                _network_value_grad, np.concatenate([k.real, k.imag]), args=(hs, mask, v),
                jac=True, method="L-BFGS-B",
                options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-11, "maxcor": 30})
        psi = _ket(res.x) / np.linalg.norm(_ket(res.x))
        runs.append((min(float(res.fun), network_cost(psi, ns, eta, v)), psi, int(res.nit)))
    best = min(runs, key=lambda r: r[0])
    return Optimum(best[0], best[1], tuple(r[0] for r in runs), best[2])


# --------------------------------------------------------------------------- limits

def _kraus(eta: float):
    r"""Single-qubit dephasing Kraus operators at :math:`\theta = 0` and their derivatives:
    :math:`K_0 = \sqrt{(1+\eta)/2}\,U`, :math:`K_1 = \sqrt{(1-\eta)/2}\,\sigma_z U`,
    :math:`U = e^{-i\theta\sigma_z/2}`, :math:`\dot U = -i\sigma_z U/2`."""
    sz = np.diag([1.0, -1.0]).astype(complex)
    du = -0.5j * sz
    a, b = np.sqrt((1 + eta) / 2), np.sqrt((1 - eta) / 2)
    return [a * np.eye(2), b * sz], [a * du, b * sz @ du]


def ce_bound(N: int, eta: float, solver: str = "CLARABEL", **solver_options) -> float:
    r"""Channel-extension bound on the QFI of N qubits under local dephasing, by SDP
    (Demkowicz-Dobrzanski, Kolodynski, Guta, Nat. Commun. 3, 1063 (2012); Kolodynski and
    Demkowicz-Dobrzanski, NJP 15, 073043 (2013)):

    .. math::
        F \le 4\min_{h = h^\dagger}\left[N\|\alpha\| + N(N-1)\|\beta\|^2\right],\quad
        \alpha = \sum_k \dot{\tilde K}_k^\dagger\dot{\tilde K}_k,\quad
        \beta = i\sum_k \dot{\tilde K}_k^\dagger\tilde K_k,\quad
        \dot{\tilde K}_k = \dot K_k - i\sum_j h_{kj}K_j.

    :math:`\|\alpha\| \le a` is the Schur complement :math:`[[aI, \dot{\tilde K}^\dagger],
    [\dot{\tilde K}, I]] \succeq 0` (``K`` stacked over the Kraus index) and
    :math:`\|\beta\| \le b` the LMI :math:`[[bI, \beta], [\beta^\dagger, bI]] \succeq 0`.
    """
    import cvxpy as cp

    _check(N, eta, 10 ** 9)
    ks, dks = _kraus(eta)
    h = cp.Variable((2, 2), hermitian=True)
    a, b = cp.Variable(nonneg=True), cp.Variable(nonneg=True)
    dkt = [dks[k] - 1j * sum(h[k, j] * ks[j] for j in range(2)) for k in range(2)]
    stack = cp.vstack(dkt)  # 4 x 2
    beta = 1j * sum(dkt[k].H @ ks[k] for k in range(2))
    eye2, eye4 = np.eye(2), np.eye(4)
    schur = cp.bmat([[a * eye2, stack.H], [stack, eye4]])
    norm_b = cp.bmat([[b * eye2, beta], [beta.H, b * eye2]])
    cons = [(schur + schur.H) / 2 >> 0, (norm_b + norm_b.H) / 2 >> 0]
    prob = cp.Problem(cp.Minimize(4 * (N * a + N * (N - 1) * cp.square(b))), cons)
    with warnings.catch_warnings():  # "may be inaccurate": the status is checked below
        warnings.simplefilter("ignore", UserWarning)
        prob.solve(solver=solver, **solver_options)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"CE SDP failed: {prob.status}")
    return float(prob.value)


def ce_closed_form(N: int, eta: float) -> float:
    r"""Closed form of the channel-extension bound for dephasing:
    :math:`F_{CE} = N^2\eta^2/(N(1-\eta^2)+\eta^2)`."""
    return N ** 2 * eta ** 2 / (N * (1 - eta ** 2) + eta ** 2)


def qs_bound(N: int, eta: float) -> float:
    r"""Quantum / classical simulation bound :math:`F_{QS} = N\eta^2/(1-\eta^2)` (``inf`` at
    :math:`\eta = 1`)."""
    return float("inf") if eta >= 1 else N * eta ** 2 / (1 - eta ** 2)
