r"""Noise on sensor networks: dephasing and decay of qubit ensembles, photon loss of optical modes.

The encoding is a phase :math:`\phi = \omega t` that accumulates while the noise acts.  Every
channel here is *phase covariant* (it commutes with :math:`e^{-i\phi\hat H}` for the sensors'
diagonal generators :math:`\hat J_z` and :math:`\hat n`), so
:math:`\rho(t) = U_\phi\,\Lambda_t(\rho_0)\,U_\phi^\dagger` and the QFIM in :math:`\phi` is the QFIM of
the noisy state :math:`\Lambda_t(\rho_0)` with the *same* generators.  Per unit :math:`\omega` it is
:math:`t^2F_\phi(t)` (:func:`qfim_per_frequency`).

Channels (closed forms, exact to round-off):

* local dephasing, Lindblad operator :math:`\sqrt{\gamma/2}\,\sigma_z` on every qubit: a qubit's
  coherence decays as :math:`e^{-\gamma t}`; on the computational basis
  :math:`\rho_{xy}\to\rho_{xy}e^{-\gamma t\,d(x,y)}` with d the Hamming distance;
* collective dephasing (phase diffusion), Lindblad operator :math:`\sqrt\Gamma\,\hat H` for a
  sensor's diagonal generator (:math:`\hat J_z` for qubits):
  :math:`\rho_{ab}\to\rho_{ab}\,e^{-\Gamma t(h_a-h_b)^2/2}`; ``correlated`` noise (one field seen by
  every sensor) uses :math:`\sum_s\hat H_s`;
* local decay :math:`\sqrt{\gamma_1}\,\sigma_-` (amplitude damping, Kraus form per qubit in the full
  basis; :func:`qutip.mesolve` on the Dicke-block Liouvillian for Dicke ensembles, the one route
  that is integrator-limited);
* photon loss with transmission :math:`\eta` on every mode (Kraus form, exact in the truncated
  Fock space, which loss never leaves).

Large ensembles.  For a :class:`~qsn_qutip.QubitEnsemble` in the Dicke basis local dephasing
leaves the symmetric subspace, but the state stays permutation invariant: block diagonal over
the total spins j, each block :math:`\rho_j` repeated on the :math:`d_j` equivalent irreducible
copies (:func:`qutip.piqs.state_degeneracy`).  :class:`DickeBlockState` holds the blocks in the
convention of :mod:`qutip.piqs` (each block is the *sum* over its copies, the blocks' traces add
up to one) and computes the QFIM block by block.  The dephased blocks have a closed form
(:func:`local_dephasing`): with :math:`c = e^{-\gamma t}`,

.. math::
    \bigotimes_{i=1}^N(1 + c\,\sigma_x^{(i)}) = \sum_{x,y} c^{d(x,y)}|x\rangle\langle y|,

so dephasing :math:`|N/2,m\rangle\langle N/2,m'|` (Dicke states, :math:`k = N/2 - m` spins down)
gives :math:`(C^N_kC^N_{k'})^{-1/2}P_m\bigotimes_i(1+c\sigma_x^{(i)})P_{m'}`, and by Schur-Weyl duality
:math:`\bigotimes_i g` acts on the j-irreducible copies as
:math:`\det(g)^{N/2-j}\,\mathrm{Sym}^{2j}(g)`, here with :math:`g = 1+c\sigma_x`, :math:`\det g = 1-c^2`.
Hence, for every j,

.. math::
    \rho_j[m,m'] = \rho_0[m,m']\;
    \frac{d_j\,(1-c)^{N/2-j}(1+c)^{N/2+j}}{\sqrt{C^N_{k}C^N_{k'}}}\;
    \mathrm{Sym}^{2j}\Big(\tfrac{1}{1+c}\begin{pmatrix}1&c\\c&1\end{pmatrix}\Big)_{j+m,\,j+m'},

an element-wise product: every pair :math:`(m, m')` evolves on its own (local dephasing and the
:math:`\hat J_z` encoding both conserve the coherence order), and all the factors are positive.
:math:`\mathrm{Sym}^n` (orthonormal monomial basis) is built for n = 0..N by a two-term
recursion with positive terms, kept in a diagonally rescaled form so that nothing overflows or
underflows (a cost of :math:`O(N^3)` flops in all, no integration: the result is exact to
round-off).  It reproduces the tridiagonal equations of :mod:`qutip.piqs`
(Chase and Geremia, PRA 78, 052101 (2008); Shammah et al., PRA 98, 063815 (2018)) with
``piqs.Dicke(N, dephasing=2 * gamma)``, whose coefficients are single precision
(:func:`piqs_lindbladian` is a double-precision replica).

QFI of block-diagonal states (the trap of qutip issue #993).  The full-space state is
:math:`\bigoplus_j\bigoplus_{\alpha=1}^{d_j}\rho_j/d_j` and every generator preserves each copy.
The SLD QFI is additive over orthogonal blocks preserved by the generator and homogeneous of
degree one, :math:`F(\rho/d) = F(\rho)/d`, so
:math:`F = \sum_j d_j F(\rho_j/d_j) = \sum_j F(\rho_j)`: the blocks of the piqs convention enter
with *no* degeneracy factor.  A function that is not homogeneous of degree one does need the
factors: :meth:`DickeBlockState.purity` is :math:`\sum_j\mathrm{Tr}\rho_j^2/d_j` and
:meth:`DickeBlockState.entropy` is :math:`-\sum_j\sum_i\lambda_{j,i}\ln(\lambda_{j,i}/d_j)`.

Networks.  :func:`apply_noise` applies a :class:`NoiseModel` (the ``[noise]`` section of a model
file) to a probe of any :class:`~qsn_qutip.Network`: channels act sensor by sensor; a ket that is
a product over sensors is noised factor by factor (:class:`NoisyProduct`, QFIM block diagonal);
an entangled probe of Dicke ensembles becomes a :class:`DickeBlockState` over tuples
:math:`(j_1, j_2, \dots)` (per-sensor permutation invariance), built from the support of the
probe only, so a GHZ-like probe costs almost nothing at any N.  :func:`noisy_qfim` takes any of
these results.  Limits are stated in each function.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import itertools
import math
import os
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import qutip
import scipy.linalg
import scipy.optimize
import scipy.sparse
import threadpoolctl
from scipy.special import gammaln

from .errors import QSNError
from ._checks import as_real_vector
from ._linalg import diagonal_of, ket_array
from .estimation.bounds import function_bound
from .estimation.qfim import qfim
from .network import Network
from .options import tolerances
from .sensors import OpticalMode, QubitEnsemble, Sensor


__all__ = [
    "NoiseModel", "DickeBlock", "DickeBlockState", "NoisyProduct", "InterrogationResult",
    "local_dephasing", "collective_dephasing", "local_decay", "photon_loss",
    "apply_noise", "noisy_qfim", "piqs_lindbladian",
    "qfim_per_frequency", "optimal_interrogation_time", "dephasing_crossover",
]

#: a network, or a single sensor (a network of one)
NetworkLike = Network | Sensor
#: default absolute bound on the QFI(M) error from dropping negligible Dicke-block entries
TRUNCATION = 1e-13
#: a joint (entangled) multi-ensemble Dicke-block computation refuses transfer tables this big
MAX_TABLE_ENTRIES = 20_000_000
#: a ket whose Schmidt coefficients past the first are below this (relative) is a product
PRODUCT_RTOL = 1e-13
#: eigenvalue pairs with lambda_a + lambda_b above this fraction of the largest eigenvalue use
#: the commutator in the eigenbasis (relative precision), the others (lambda_a - lambda_b) H_ab
_COMMUTATOR_FORM = 1e-3
#: worker threads for the block eigen-decompositions (each with single-threaded BLAS)
WORKERS = max(1, min(2, os.cpu_count() or 1))


#: below this many flops (sum of rows^3 over the blocks) everything runs on the calling thread
_PARALLEL_WORK = 2e6


@functools.lru_cache(maxsize=1)
def _blas_controller():
    """One threadpoolctl controller for the process (finding the BLAS libraries is slow)."""
    return threadpoolctl.ThreadpoolController()


def _map_blocks(func: Callable, items: Sequence, work: float) -> list:
    """``[func(x) for x in items]`` with single-threaded BLAS, on WORKERS threads when big.

    Many eigen-decompositions of a few hundred rows run faster side by side than one after
    the other with a multithreaded BLAS (which, on a busy machine, is far slower still: 0.5 s
    instead of 0.01 s was measured for one noisy product probe of 50 qubits).
    """
    with _blas_controller().limit(limits=1):
        if WORKERS == 1 or len(items) < 2 or work < _PARALLEL_WORK:
            return [func(x) for x in items]
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(func, items))


# ----------------------------------------------------------------------------------------
# input helpers
# ----------------------------------------------------------------------------------------
def _as_network(network: NetworkLike) -> Network:
    if isinstance(network, Network):
        return network
    if isinstance(network, Sensor):
        return Network([network])
    raise QSNError(f"network must be a Network or a Sensor, got {type(network).__name__}")


def _is_dicke(sensor: Sensor) -> bool:
    return isinstance(sensor, QubitEnsemble) and sensor.basis == "dicke"


def _nonnegative(value, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise QSNError(f"{name} must be a real number >= 0, got {value!r}") from None
    if not np.isfinite(x) or x < 0:
        raise QSNError(f"{name} must be a finite real number >= 0, got {value!r}")
    return x


def _per_sensor(value, name: str, network: Network, applies: Callable[[Sensor], bool],
                what: str, *, neutral: float = 0.0, low: float = 0.0,
                high: float = np.inf) -> list[float]:
    """One value per sensor: a scalar applies to every sensor it can act on (``applies``),
    a sequence gives each sensor its own value (``neutral`` for sensors it cannot act on)."""
    sensors = network.sensors
    if np.ndim(value) == 0:
        x = _check_range(value, name, low, high)
        if x == neutral:
            return [neutral] * len(sensors)
        if not any(applies(s) for s in sensors):
            raise QSNError(f"{name} = {x} needs {what}; the network has {list(sensors)}")
        return [x if applies(s) else neutral for s in sensors]
    values = np.asarray(value, dtype=object).ravel()
    if values.size != len(sensors):
        raise QSNError(f"{name} must be a number or one value per sensor ({len(sensors)}), "
                       f"got {len(values)} values")
    out = []
    for k, (v, s) in enumerate(zip(values, sensors)):
        x = _check_range(v, f"{name}[{k}]", low, high)
        if x != neutral and not applies(s):
            raise QSNError(f"{name}[{k}] = {x}: sensor {k} ({s!r}) is not one of {what}")
        out.append(x)
    return out


def _check_range(value, name: str, low: float, high: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise QSNError(f"{name} must be a real number, got {value!r}") from None
    if not np.isfinite(x) or not low <= x <= high:
        raise QSNError(f"{name} must lie in [{low}, {high}], got {value!r}")
    return x


def _single_diagonal(sensor: Sensor) -> np.ndarray | None:
    """The diagonal of a sensor's single diagonal generator (None when it has none)."""
    if sensor.n_params != 1:
        return None
    return diagonal_of(sensor.generators[0])


def _generator_diagonals(sensor: Sensor, k: int) -> tuple[np.ndarray, ...]:
    diags = tuple(diagonal_of(g) for g in sensor.generators)
    if any(d is None for d in diags):
        raise QSNError(f"sensor {k} ({sensor!r}) has a non-diagonal generator: the noise "
                       "channels here commute with diagonal generators only")
    return diags


# ----------------------------------------------------------------------------------------
# combinatorics
# ----------------------------------------------------------------------------------------
def _log_binom(n, k) -> np.ndarray:
    r""":math:`\ln\binom{n}{k}` for real arguments (:func:`scipy.special.gammaln`)."""
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def _log_degeneracy(n_qubits: int, j) -> np.ndarray:
    r""":math:`\ln d_j`, :math:`d_j = \binom{N}{N/2-j}\frac{2j+1}{N/2+j+1}` (:func:`qutip.piqs.state_degeneracy`)."""
    j = np.asarray(j, dtype=float)
    return (_log_binom(n_qubits, n_qubits / 2 - j) + np.log(2 * j + 1)
            - np.log(n_qubits / 2 + j + 1))


def _degeneracy(n_qubits: int, j: float) -> int:
    """The exact integer :math:`d_j`."""
    k = int(round(n_qubits / 2 - j))
    two_j = int(round(2 * j))
    return math.comb(n_qubits, k) * (two_j + 1) // (n_qubits - k + 1)


# ----------------------------------------------------------------------------------------
# the dephasing transfer T_j(k, k') of one ensemble: rho_j[k, k'] = rho_0[k, k'] T_j(k, k')
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Transfer:
    """The transfer of one j-block restricted to the Dicke indices ``ks`` (k = N/2 - m).

    ``diag[i]`` is :math:`T_j(k_i, k_i)`; ``matrix(pos)`` returns :math:`T_j` on ``ks[pos]``.
    """

    j: float
    ks: np.ndarray
    diag: np.ndarray
    matrix: Callable[[np.ndarray], np.ndarray]


def _sym_step(X: np.ndarray, u: np.ndarray, n: int, a: float, b: float):
    r"""One step :math:`\mathrm{Sym}^{n-1}(g)\to\mathrm{Sym}^n(g)` for :math:`g = [[a, b], [b, a]]`.

    :math:`G_n = \mathrm{Sym}^n(g)` in the orthonormal monomial basis
    :math:`x^py^{n-p}/\sqrt{p!(n-p)!}` is symmetric, centro-symmetric
    (:math:`G_{pq} = G_{n-p,n-q}`) and has positive entries; multiplying by the linear form
    :math:`ax + by` gives, for column :math:`q\ge1`,
    :math:`G_n[p,q] = (a\sqrt p\,G_{n-1}[p-1,q-1] + b\sqrt{n-p}\,G_{n-1}[p,q-1])/\sqrt q`, and
    :math:`G_n[0,0] = aG_{n-1}[0,0]`.  Stored as :math:`G = e^{-u_p-u_q}X_{pq}` with
    :math:`X_{pp} = 1` (a correlation matrix, entries in [0, 1]): the diagonal of the new G
    comes first (O(n)), then half of the columns with every scale folded into one row and one
    column factor (all at most one), the other half by centro-symmetry.  Nothing overflows,
    and underflow only flushes entries below ~1e-300 of their diagonal scale.
    """
    w = np.empty(n + 1)
    w[0], w[n] = u[0], u[n - 1]
    np.minimum(u[:-1], u[1:], out=w[1:n])
    p = np.arange(n + 1, dtype=float)
    from_prev = np.exp(w[1:] - u)                          # e^{w(p) - u(p-1)}, p = 1..n
    down = np.zeros(n + 1)                                 # rows 1..n from X[p-1]
    down[1:] = a * np.sqrt(p[1:]) * from_prev
    same = np.zeros(n + 1)                                 # rows 0..n-1 from X[p]
    same[:-1] = b * np.sqrt(n - p[:-1]) * np.exp(w[:-1] - u)
    column = from_prev / np.sqrt(p[1:])                    # columns q = 1..n
    below = np.zeros(n + 1)
    if n > 1:
        below[1:n] = X[np.arange(1, n), np.arange(n - 1)]
    s = np.empty(n + 1)                                    # the new diagonal, rescaled
    s[0] = a
    s[1:] = column * (down[1:] + same[1:] * below[1:])
    r = 1.0 / np.sqrt(s)
    A, B, kappa = down * r, same * r, column * r[1:]
    m = n // 2
    out = np.empty((n + 1, n + 1))
    if m:
        body = out[:, 1:m + 1]
        np.multiply(A[1:, None], X[:, :m], out=body[1:])
        body[0] = 0.0
        body[:-1] += B[:-1, None] * X[:, :m]
        body *= kappa[:m]
    out[0, 1:] = B[0] * X[0] * kappa
    out[1:, 0] = out[0, 1:]
    out[0, 0] = 1.0
    out[:, m + 1:] = out[::-1, n - m - 1::-1]
    return out, w - 0.5 * np.log(s)


def _log_prefactor(n_qubits: int, j, gamma_t: float) -> np.ndarray:
    r""":math:`\ln[d_j(1-c)^{N/2-j}(1+c)^{N/2+j}]` with :math:`c = e^{-\gamma t}`."""
    j = np.asarray(j, dtype=float)
    c = math.exp(-gamma_t)
    one_minus_c = -math.expm1(-gamma_t)
    with np.errstate(divide="ignore"):
        lower = np.where(n_qubits / 2 - j > 0,
                         (n_qubits / 2 - j) * np.log(one_minus_c) if one_minus_c > 0 else -np.inf,
                         0.0)
    return _log_degeneracy(n_qubits, j) + lower + (n_qubits / 2 + j) * math.log1p(c)


def _dense_transfers(n_qubits: int, gamma_t: float, support: np.ndarray) -> Iterator[_Transfer]:
    """All j-blocks by the recursion over Sym^n, n = 0..N (O(N^3) flops, O(N^2) memory)."""
    N = n_qubits
    c = math.exp(-gamma_t)
    a, b = 1.0 / (1.0 + c), c / (1.0 + c)
    log_binom_N = _log_binom(N, np.arange(N + 1))
    X, u = np.ones((1, 1)), np.zeros(1)
    for n in range(N + 1):
        if n:
            X, u = _sym_step(X, u, n, a, b)
        if (N - n) % 2:
            continue
        lo, hi = (N - n) // 2, (N + n) // 2
        ks = support[(support >= lo) & (support <= hi)]
        if not ks.size:
            continue
        p = hi - ks
        log_diag = _log_prefactor(N, n / 2, gamma_t) - log_binom_N[ks] - 2 * u[p]
        yield _Transfer(n / 2, ks, np.exp(log_diag),
                        _dense_matrix(X, p, 0.5 * log_diag))


def _dense_matrix(X: np.ndarray, p: np.ndarray, half: np.ndarray):
    X = X[np.ix_(p, p)] if p.size < X.shape[0] else X.copy()

    def matrix(pos: np.ndarray) -> np.ndarray:
        h = half[pos]
        return np.exp(h[:, None] + h[None, :]) * X[np.ix_(pos, pos)]
    return matrix


def _log_sym_entries(n: np.ndarray, p: np.ndarray, q: np.ndarray, log_a: float,
                     log_b: float) -> np.ndarray:
    r""":math:`\ln\mathrm{Sym}^n(g)_{pq}` by the explicit positive sum (arrays of equal shape).

    .. math::
        \mathrm{Sym}^n(g)_{pq} = \sqrt{\tbinom nq/\tbinom np}\sum_s\tbinom qs\tbinom{n-q}{p-s}
        a^{n-p-q+2s}b^{p+q-2s}.
    """
    s_max = int(np.max(np.minimum(p, q))) + 1
    s = np.arange(s_max, dtype=float)
    pp, qq, nn = p[..., None], q[..., None], n[..., None]
    valid = (s <= np.minimum(pp, qq)) & (s >= pp + qq - nn)
    with np.errstate(invalid="ignore", divide="ignore"):
        power_b = pp + qq - 2 * s
        terms = (_log_binom(qq, s) + _log_binom(nn - qq, pp - s)
                 + (nn - pp - qq + 2 * s) * log_a
                 + np.where(power_b > 0, power_b * log_b, 0.0))
    terms = np.where(valid, terms, -np.inf)
    top = terms.max(axis=-1)
    safe = np.where(np.isfinite(top), top, 0.0)
    total = safe + np.log(np.exp(terms - safe[..., None]).sum(axis=-1))
    return np.where(np.isfinite(top), total, -np.inf) + 0.5 * (
        _log_binom(n, q) - _log_binom(n, p))


def _sparse_transfers(n_qubits: int, gamma_t: float, support: np.ndarray) -> Iterator[_Transfer]:
    """The j-blocks on a few Dicke indices from the explicit sum (for GHZ-like probes)."""
    N = n_qubits
    c = math.exp(-gamma_t)
    log_a = -math.log1p(c)
    log_b = math.log(c) - math.log1p(c) if c > 0 else -np.inf
    log_binom_N = _log_binom(N, support)
    m = N / 2 - support
    j_min = np.abs(m).min()
    for j in np.arange(j_min, N / 2 + 0.25, 1.0):
        inside = np.abs(m) <= j + 1e-9
        ks = support[inside]
        n = 2 * j
        p = (N + n) / 2 - ks
        P, Q = np.meshgrid(p, p, indexing="ij")
        log_t = (_log_sym_entries(np.full(P.shape, n), P, Q, log_a, log_b)
                 + _log_prefactor(N, j, gamma_t)
                 - 0.5 * (log_binom_N[inside][:, None] + log_binom_N[inside][None, :]))
        T = np.exp(log_t)
        T = (T + T.T) / 2
        yield _Transfer(float(j), ks, T.diagonal().copy(), _table_matrix(T))


def _table_matrix(T: np.ndarray):
    def matrix(pos: np.ndarray) -> np.ndarray:
        return T[np.ix_(pos, pos)]
    return matrix


def _transfers(n_qubits: int, gamma_t: float, support: np.ndarray,
               method: str = "auto") -> Iterator[_Transfer]:
    """The dephasing transfer of every j-block that meets ``support`` (sorted Dicke indices)."""
    support = np.asarray(support, dtype=int)
    if gamma_t == 0:
        ks = support
        yield _Transfer(n_qubits / 2, ks, np.ones(ks.size), lambda pos: np.ones((pos.size,) * 2))
        return
    if method == "auto":
        method = "sparse" if support.size ** 2 <= max(4, n_qubits // 4) else "dense"
    if method == "sparse":
        yield from _sparse_transfers(n_qubits, gamma_t, support)
    elif method == "dense":
        yield from _dense_transfers(n_qubits, gamma_t, support)
    else:
        raise QSNError(f"method must be 'auto', 'dense' or 'sparse', got {method!r}")


# ----------------------------------------------------------------------------------------
# block-diagonal states
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Axis:
    """One sensor of a block state: a Dicke ensemble (split into j-blocks) or kept whole."""

    dims: tuple[int, ...]
    qubits: int | None                    # n for a Dicke-basis ensemble, None otherwise
    generators: tuple[np.ndarray, ...]    # diagonal of each generator over the local basis

    @property
    def size(self) -> int:
        return int(np.prod(self.dims))


@dataclasses.dataclass(frozen=True)
class DickeBlock:
    r"""One block of a :class:`DickeBlockState`.

    Attributes
    ----------
    j : tuple
        The total spin of every Dicke ensemble of the state (``None`` for a sensor kept whole).
    index : numpy.ndarray of int, shape (size, sensors)
        The local basis index of every kept basis state on every sensor: for a Dicke ensemble
        of n qubits the Dicke index :math:`k = n/2 - m` (as in
        :class:`~qsn_qutip.QubitEnsemble`), otherwise the sensor's own basis index.
    rho : numpy.ndarray, shape (size, size)
        The block, in the :mod:`qutip.piqs` convention: the sum over its ``degeneracy``
        identical copies (its trace is the block's weight).
    degeneracy : int
        The number of identical copies, :math:`\prod_s d_{j_s}` (an exact integer).
    """

    j: tuple
    index: np.ndarray
    rho: np.ndarray
    degeneracy: int

    @property
    def weight(self) -> float:
        """The block's trace."""
        return float(np.trace(self.rho).real)


class DickeBlockState:
    r"""A state that is block diagonal over the total spins of its Dicke ensembles.

    .. math::
        \rho = \bigoplus_{\mathbf j}\;\bigoplus_{\alpha=1}^{d_{\mathbf j}}
        \frac{\rho_{\mathbf j}}{d_{\mathbf j}},\qquad
        d_{\mathbf j} = \prod_s d_{j_s},\quad \sum_{\mathbf j}\mathrm{Tr}\rho_{\mathbf j} = 1,

    with each block on :math:`\bigotimes_s\mathrm{span}\{|j_s,m_s\rangle\}` (times the whole space
    of any sensor kept whole).  Made by :func:`local_dephasing`, :func:`local_decay` and
    :func:`apply_noise`; :meth:`from_dicke_dm` reads a :mod:`qutip.piqs` density matrix.  Only
    the basis states a block actually occupies are stored; entries dropped as negligible
    (``truncation``) change the QFIM by at most :attr:`truncation_error`.

    Attributes
    ----------
    blocks : list of DickeBlock
    truncation_error : float
        A rigorous bound on :math:`|v^T(F - F_{\text{stored}})v|` for every v with
        :math:`\max_k|v_k|\le1` (and on the lost trace): :math:`20\sum h^2w` over the dropped
        diagonal weights w, h the half-spread of the generators on their block.  The stored
        QFIM is never above the exact one.

    Notes
    -----
    The truncation bound.  Let R be the dropped basis states of a block, w the weight of
    :math:`\Pi_R\rho\Pi_R`, S the kept ones, and shift every generator so that
    :math:`\|\hat H\|\le h`.  The generators are diagonal, so the pinching
    :math:`\rho\mapsto\Pi_S\rho\Pi_S + \Pi_R\rho\Pi_R` commutes with the encoding and
    :math:`F(\Pi_S\rho\Pi_S)\le F(\rho)`.  Conversely, with
    :math:`\rho = \begin{pmatrix}A & B\\ B^\dagger & C\end{pmatrix}`,
    :math:`B = A^{1/2}KC^{1/2}` (:math:`\|K\|\le1`), any decomposition
    :math:`A = \sum_k|a_k\rangle\langle a_k|` extends to one of :math:`\rho` by vectors
    :math:`a_k\oplus r_k` with :math:`\sum_k\|r_k\|^2\le w`, plus a remainder on R of trace at most
    w.  Each :math:`r_k` raises :math:`\|\psi\|^2\mathrm{Var}_\psi(\hat H)` by at most
    :math:`4h^2\|r_k\|^2`, the remainder adds at most :math:`h^2w`, and the convex-roof form
    :math:`F = 4\min\sum_k\|\psi_k\|^2\mathrm{Var}_{\psi_k}(\hat H)` (Toth and Petz, PRA 87,
    032324 (2013); Yu, arXiv:1302.5311) gives
    :math:`F(\rho)\le F(\Pi_S\rho\Pi_S) + 20h^2w`.

    Examples
    --------
    >>> import numpy as np
    >>> from qsn_qutip import QubitEnsemble
    >>> from qsn_qutip.noise import local_dephasing
    >>> ens = QubitEnsemble(10)
    >>> ghz = ens.local_ghz()
    >>> rho = local_dephasing(ghz, ens, 0.05)
    >>> round(rho.qfi(), 6), round(float(100 * np.exp(-2 * 10 * 0.05)), 6)
    (36.787944, 36.787944)
    """

    def __init__(self, blocks: Sequence[DickeBlock], axes: Sequence[_Axis],
                 truncation_error: float = 0.0):
        self.blocks = list(blocks)
        self._axes = tuple(axes)
        self.truncation_error = float(truncation_error)

    # -- description -----------------------------------------------------------------------
    @property
    def qubits(self) -> tuple:
        """Qubits of every sensor (``None`` for a sensor kept whole)."""
        return tuple(axis.qubits for axis in self._axes)

    @property
    def n_params(self) -> int:
        """Number of parameters (one generator per Dicke ensemble, the sensor's own otherwise)."""
        return sum(len(axis.generators) for axis in self._axes)

    def trace(self) -> float:
        """:math:`\\sum_{\\mathbf j}\\mathrm{Tr}\\rho_{\\mathbf j}` (one, less any truncated weight)."""
        return float(sum(b.weight for b in self.blocks))

    def weights(self) -> dict:
        """The weight of every block, keyed by its tuple of total spins."""
        out: dict = {}
        for b in self.blocks:
            out[b.j] = out.get(b.j, 0.0) + b.weight
        return out

    def __repr__(self) -> str:
        sizes = [b.rho.shape[0] for b in self.blocks]
        return (f"DickeBlockState(qubits={self.qubits}, blocks={len(self.blocks)}, "
                f"largest={max(sizes, default=0)}, trace={self.trace():.12g})")

    # -- information --------------------------------------------------------------------
    def _generator_values(self, block: DickeBlock) -> list[np.ndarray]:
        values = []
        for s, axis in enumerate(self._axes):
            for diag in axis.generators:
                values.append(diag[block.index[:, s]])
        return values

    def qfim(self) -> np.ndarray:
        r"""The QFIM for every sensor's generators, summed block by block (SLD formula).

        .. math::
            F_{kl} = \sum_{\mathbf j}2\sum_{\lambda_a+\lambda_b>0}
            \frac{\mathrm{Re}\,D_{k,ab}\overline{D_{l,ab}}}{\lambda_a+\lambda_b},\qquad
            D_{k,ab} = \langle a|[\rho_{\mathbf j},\hat H_k]|b\rangle = (\lambda_a-\lambda_b)H_{k,ab},

        over the eigen-decomposition of each block :math:`\rho_{\mathbf j}` (no degeneracy
        factor: the SLD QFI is homogeneous of degree one).  For pairs with a large
        :math:`\lambda_a+\lambda_b` the commutator is transformed to the eigenbasis, so that a
        QFI far below :math:`\mathrm{Tr}(\rho H^2)` (a long-dephased GHZ state) keeps its relative
        precision; pairs of small eigenvalues use :math:`(\lambda_a-\lambda_b)H_{k,ab}`.
        Eigenvalues below ``tolerances.eig_cutoff`` times the largest of all blocks count as
        zero, as in :func:`~qsn_qutip.qfim` (a block whose trace is below that is skipped).

        Returns
        -------
        numpy.ndarray
            The d x d QFIM, parameters in sensor order.
        """
        d = self.n_params
        F = np.zeros((d, d))
        if not self.blocks:
            return F
        floor = max(float(b.rho.diagonal().real.max()) for b in self.blocks)
        cutoff = tolerances.eig_cutoff * floor
        work = [b for b in self.blocks
                if b.rho.shape[0] > 1 and np.trace(b.rho).real > cutoff]

        def decompose(block: DickeBlock):
            rho = block.rho
            if np.iscomplexobj(rho) and not np.any(rho.imag):
                rho = rho.real
            lam, vecs = np.linalg.eigh(rho)
            return block, rho, lam, vecs

        flops = float(sum(b.rho.shape[0] ** 3 for b in work))
        decompositions = _map_blocks(decompose, work, flops)
        top = max([floor] + [lam[-1] for _, _, lam, _ in decompositions])
        cutoff = tolerances.eig_cutoff * top

        def contribution(item) -> np.ndarray:
            block, rho, lam, vecs = item
            lam = np.where(lam > cutoff, lam, 0.0)
            rank = int(np.count_nonzero(lam))
            if not rank:
                return np.zeros((d, d))
            right = vecs[:, -rank:]
            total = lam[:, None] + lam[None, -rank:]
            with np.errstate(invalid="ignore", divide="ignore"):
                root = np.where(total > 0, 1.0 / np.sqrt(total), 0.0)
            root[:-rank] *= math.sqrt(2.0)          # pairs with one index outside the support
            exact = total > _COMMUTATOR_FORM * top
            rows = []
            for g in self._generator_values(block):
                commutator = rho * (g[None, :] - g[:, None])
                D = vecs.conj().T @ (commutator @ right)
                if not exact.all():
                    H = vecs.conj().T @ (g[:, None] * right)
                    D = np.where(exact, D, (lam[:, None] - lam[None, -rank:]) * H)
                rows.append((D * root).ravel())
            flat = np.stack(rows)
            if np.iscomplexobj(flat):
                flat = flat.view(float)
            return 2.0 * (flat @ flat.T)

        for part in _map_blocks(contribution, decompositions, flops):
            F += part
        return (F + F.T) / 2

    def qfi(self) -> float:
        r"""The QFI of a single-parameter state (:meth:`qfim` as a number)."""
        if self.n_params != 1:
            raise QSNError(f"qfi needs a single parameter, the state carries {self.n_params}: "
                           "use qfim()")
        return float(self.qfim()[0, 0])

    def purity(self) -> float:
        r""":math:`\mathrm{Tr}\rho^2 = \sum_{\mathbf j}\mathrm{Tr}\rho_{\mathbf j}^2/d_{\mathbf j}` (degeneracy weighted)."""
        return float(sum(np.sum(np.abs(b.rho) ** 2) / b.degeneracy for b in self.blocks))

    def entropy(self) -> float:
        r"""Von Neumann entropy :math:`-\sum_{\mathbf j}\sum_i\lambda_i\ln(\lambda_i/d_{\mathbf j})` (nats)."""
        total = 0.0
        for b in self.blocks:
            lam = scipy.linalg.eigvalsh(b.rho)
            lam = lam[lam > 0]
            total -= float(np.sum(lam * (np.log(lam) - math.log(b.degeneracy))))
        return total

    # -- conversions ----------------------------------------------------------------------
    @classmethod
    def from_dicke_dm(cls, rho: qutip.Qobj, n: int, *, sensor: QubitEnsemble | None = None
                      ) -> "DickeBlockState":
        r"""Read a density matrix in the :mod:`qutip.piqs` Dicke basis (``num_dicke_states(n)``).

        Blocks are taken in the piqs order (j from n/2 down, m from j down).  Coherences
        between different j are not allowed (the state must be block diagonal).
        """
        from qutip import piqs
        n = int(n)
        nds = piqs.num_dicke_states(n)
        if not isinstance(rho, qutip.Qobj) or rho.shape != (nds, nds):
            raise QSNError(f"rho must be a {nds} x {nds} piqs Dicke-basis density matrix for "
                           f"n = {n}, got {getattr(rho, 'shape', type(rho).__name__)}")
        mat = rho.full()
        sensor = sensor if sensor is not None else QubitEnsemble(n)
        blocks, start = [], 0
        for j in np.arange(n / 2, -0.25, -1.0):
            size = int(round(2 * j + 1))
            block = mat[start:start + size, start:start + size]
            off = np.abs(mat[start:start + size, :]).sum() - np.abs(block).sum()
            if off > tolerances.atol:
                raise QSNError("rho has coherences between different j-blocks")
            keep = np.flatnonzero(np.abs(block.diagonal()) > 0)
            if keep.size:
                k = (n / 2 - (j - np.arange(size)))[keep].astype(int)
                sub = block[np.ix_(keep, keep)]
                if not np.any(sub.imag):
                    sub = sub.real.copy()
                blocks.append(DickeBlock((float(j),), k[:, None], sub, _degeneracy(n, j)))
            start += size
        axis = _Axis((n + 1,), n, (sensor.n / 2 - np.arange(n + 1),))
        return cls(blocks, [axis])

    def to_dicke_dm(self) -> qutip.Qobj:
        """The state as a :mod:`qutip.piqs` Dicke-basis density matrix (one ensemble only)."""
        from qutip import piqs
        if len(self._axes) != 1 or self._axes[0].qubits is None:
            raise QSNError("to_dicke_dm needs the state of a single Dicke ensemble")
        n = self._axes[0].qubits
        nds = piqs.num_dicke_states(n)
        out = np.zeros((nds, nds), dtype=complex)
        for b in self.blocks:
            j = b.j[0]
            offset = int(round((n / 2 - j) * (n + 2 - (n / 2 - j))))
            m = n / 2 - b.index[:, 0]
            rows = offset + np.rint(j - m).astype(int)
            out[np.ix_(rows, rows)] += b.rho
        return qutip.Qobj(out)

    def to_full(self) -> qutip.Qobj:
        r"""The state on the full space: :math:`2^n` amplitudes per Dicke ensemble (small n only).

        Dims are ``[2] * n`` for every Dicke ensemble (qubit ``|0>`` = spin up) and the
        sensor's own dims otherwise.
        """
        total = 1
        for axis in self._axes:
            total *= 2 ** axis.qubits if axis.qubits is not None else axis.size
        if total > 4096:
            raise QSNError(f"to_full would build a {total} x {total} matrix; it is meant for "
                           "checks on small ensembles")
        bases = [_coupled_basis(axis.qubits) if axis.qubits is not None else None
                 for axis in self._axes]
        dims = [d for axis in self._axes
                for d in ([2] * axis.qubits if axis.qubits is not None else list(axis.dims))]
        out = np.zeros((total, total), dtype=complex)
        for b in self.blocks:
            # the isometry of each kept basis state: (full factor) x (copies)
            columns = []
            for row in b.index:
                vec = None
                for s, axis in enumerate(self._axes):
                    if axis.qubits is not None:
                        factor = bases[s][(b.j[s], axis.qubits / 2 - row[s])]
                    else:
                        factor = np.zeros((axis.size, 1))
                        factor[row[s], 0] = 1.0
                    vec = factor if vec is None else np.einsum(
                        "ia,jb->ijab", vec, factor).reshape(vec.shape[0] * factor.shape[0], -1)
                columns.append(vec)
            W = np.stack(columns).transpose(2, 1, 0)     # (copies, total, size)
            A = (W @ b.rho).transpose(1, 0, 2).reshape(total, -1)
            out += A @ W.conj().transpose(1, 0, 2).reshape(total, -1).T / b.degeneracy
        return qutip.Qobj(out, dims=[dims, dims])


@functools.lru_cache(maxsize=16)
def _coupled_basis(n: int) -> dict:
    r"""``{(j, m): (2^n x d_j) array}``: the coupled basis :math:`|j,m,\alpha\rangle` of n qubits.

    Highest weights from the kernel of :math:`J_+` in each :math:`J_z = j` subspace, lowered
    with :math:`J_-` (Condon-Shortley phases, the convention of :func:`qutip.jmat` and piqs).
    """
    jp = sum(qutip.tensor([qutip.jmat(0.5, "+") if i == k else qutip.qeye(2)
                           for i in range(n)]) for k in range(n)).full()
    jm = jp.conj().T
    m_of = np.array([n / 2 - bin(x).count("1") for x in range(2 ** n)])
    out = {}
    for j in np.arange(n / 2, -0.25, -1.0):
        sub = np.flatnonzero(np.isclose(m_of, j))
        # highest weights: vectors in the J_z = j subspace killed by J_+
        restricted = jp[:, sub]
        null = scipy.linalg.null_space(restricted)
        top = np.zeros((2 ** n, null.shape[1]), dtype=complex)
        top[sub] = null
        vec = top
        for m in np.arange(j, -j - 0.5, -1.0):
            out[(float(j), float(m))] = vec
            vec = jm @ vec / math.sqrt(j * (j + 1) - m * (m - 1)) if m > -j else vec
    return out


# ----------------------------------------------------------------------------------------
# building block states from a probe (ket or density matrix) and per-sensor transfers
# ----------------------------------------------------------------------------------------
class _Source:
    """A probe on a product of sensor spaces, as a ket or a dense density matrix."""

    def __init__(self, state: qutip.Qobj, shape: Sequence[int]):
        self.shape = tuple(shape)
        if state.isket:
            self.ket = ket_array(state).astype(complex, copy=False)
            self.rho = None
            self._diag = np.abs(self.ket) ** 2
        else:
            self.ket = None
            self.rho = state.full()
            self._diag = self.rho.diagonal().real.copy()

    def diag(self) -> np.ndarray:
        return self._diag

    def sub(self, flat: np.ndarray) -> np.ndarray:
        if self.ket is not None:
            amp = self.ket[flat]
            return np.outer(amp, amp.conj())
        return self.rho[np.ix_(flat, flat)]

    @property
    def real(self) -> bool:
        data = self.ket if self.ket is not None else self.rho
        return not np.any(data.imag)

    def marginal_support(self, s: int) -> np.ndarray:
        diag = self._diag.reshape(self.shape)
        axes = tuple(a for a in range(len(self.shape)) if a != s)
        return np.flatnonzero(diag.sum(axis=axes) > 0)


def _half_spread(axis: _Axis, label) -> float:
    if axis.qubits is not None:
        return float(label) * len(axis.generators)
    return sum(float(np.ptp(g)) / 2 for g in axis.generators)


def _build_block_state(source: _Source, axes: Sequence[_Axis], gamma_ts: Sequence[float],
                       truncation: float, method: str = "auto") -> DickeBlockState:
    """Dephase the Dicke axes of ``source`` (rates ``gamma_ts``) into a DickeBlockState."""
    shape = [axis.size for axis in axes]
    supports = [source.marginal_support(s) for s in range(len(axes))]
    counts = []
    tables: list[list] = []
    for s, axis in enumerate(axes):
        if axis.qubits is None:
            idx = np.arange(axis.size)
            ones = np.ones(axis.size)
            tables.append([_Transfer(None, idx, ones, lambda pos: np.ones((pos.size,) * 2))])
            counts.append(axis.size)
        else:
            counts.append(supports[s].size * (axis.qubits // 2 + 1))
            tables.append(None)
    stream = None
    if len(axes) == 1:
        stream = 0
    else:
        entries = 0
        for s, axis in enumerate(axes):
            if axis.qubits is not None:
                sparse = method == "sparse" or (method == "auto" and supports[s].size ** 2
                                                <= max(4, axis.qubits // 4))
                if not sparse:
                    entries += supports[s].size ** 2 * (axis.qubits // 2 + 1)
        if entries > MAX_TABLE_ENTRIES:
            raise QSNError(
                f"an entangled probe of Dicke ensembles with {[a.qubits for a in axes]} qubits "
                f"needs {entries:.3g} transfer entries (limit {MAX_TABLE_ENTRIES:.3g}): "
                "product and GHZ-like probes are cheap, general entangled probes are not")
        for s, axis in enumerate(axes):
            if axis.qubits is not None:
                tables[s] = list(_transfers(axis.qubits, gamma_ts[s], supports[s], method))
        # the joint blocks hold at most prod_s sum_j |ks_j|^2 entries (before truncation)
        joint = math.prod(sum(e.ks.size ** 2 for e in table) for table in tables)
        if joint > MAX_TABLE_ENTRIES:
            raise QSNError(
                f"an entangled probe of Dicke ensembles with {[a.qubits for a in axes]} qubits "
                f"spreads over joint (j_1, j_2, ...) blocks of up to {joint:.3g} entries "
                f"(limit {MAX_TABLE_ENTRIES:.3g}): product and GHZ-like probes are cheap at any "
                "size, a general entangled probe only for small ensembles")
    allowance = truncation / max(1, math.prod(counts))
    real = source.real
    blocks: list[DickeBlock] = []
    dropped = 0.0
    diag_all = source.diag().reshape(shape)

    def add(entries: Sequence[_Transfer]) -> None:
        nonlocal dropped
        ks = [e.ks for e in entries]
        diag = diag_all[np.ix_(*ks)]
        for e_index, e in enumerate(entries):
            shape_b = [1] * len(entries)
            shape_b[e_index] = e.ks.size
            diag = diag * e.diag.reshape(shape_b)
        h = sum(_half_spread(axis, e.j) for axis, e in zip(axes, entries))
        bound = 20.0 * max(h, 1.0) ** 2 * diag
        keep = (diag > 0) & (bound > allowance)
        dropped += float(bound[(diag > 0) & ~keep].sum())
        kept = np.flatnonzero(keep.ravel())
        if not kept.size:
            return
        positions = np.unravel_index(kept, diag.shape)
        local = np.stack([e.ks[pos] for e, pos in zip(entries, positions)], axis=1)
        flat = np.ravel_multi_index(tuple(local.T), shape)
        rho = source.sub(flat)
        for e, pos in zip(entries, positions):
            rho = rho * e.matrix(pos)
        if real:
            rho = rho.real
        rho = (rho + rho.conj().T) / 2
        labels = tuple(e.j if axis.qubits is not None else None
                       for axis, e in zip(axes, entries))
        degeneracy = math.prod(_degeneracy(axis.qubits, e.j) for axis, e in zip(axes, entries)
                               if axis.qubits is not None)
        blocks.append(DickeBlock(labels, local, rho, degeneracy))

    if stream is not None:
        for entry in _transfers(axes[0].qubits, gamma_ts[0], supports[0], method):
            add([entry])
    else:
        for entries in itertools.product(*tables):
            add(entries)
    return DickeBlockState(blocks, axes, truncation_error=dropped)


# ----------------------------------------------------------------------------------------
# exact channels on dense density matrices (sensor by sensor)
# ----------------------------------------------------------------------------------------
def _as_tensor(rho: np.ndarray, dims: Sequence[int]) -> np.ndarray:
    return rho.reshape(tuple(dims) + tuple(dims))


def _hadamard(rho: np.ndarray, dims: Sequence[int], axis: int, factor: np.ndarray) -> np.ndarray:
    """rho[..a.., ..b..] *= factor[a, b] on tensor axis ``axis`` (bra and ket)."""
    nd = len(dims)
    shape = [1] * (2 * nd)
    shape[axis] = dims[axis]
    shape[nd + axis] = dims[axis]
    return (_as_tensor(rho, dims) * factor.reshape(shape)).reshape(rho.shape)


def _kraus(rho: np.ndarray, dims: Sequence[int], axis: int,
           operators: Sequence[np.ndarray]) -> np.ndarray:
    r""":math:`\sum_l K_l\rho K_l^\dagger` with every :math:`K_l` on tensor axis ``axis``."""
    nd = len(dims)
    t = _as_tensor(rho, dims)
    out = np.zeros_like(t)
    for K in operators:
        left = np.moveaxis(np.tensordot(K, t, axes=([1], [axis])), 0, axis)
        out += np.moveaxis(np.tensordot(left, K.conj(), axes=([nd + axis], [1])), -1, nd + axis)
    return out.reshape(rho.shape)


def _qubit_axes(network: Network, k: int) -> list[int]:
    return network.sensor_selection(k)


def _dense(state: qutip.Qobj) -> np.ndarray:
    return state.proj().full() if state.isket else state.full()


def _full_dephasing(rho: np.ndarray, network: Network, k: int, gamma_t: float) -> np.ndarray:
    c = math.exp(-gamma_t)
    factor = np.array([[1.0, c], [c, 1.0]])
    dims = network.ket_dims
    for axis in _qubit_axes(network, k):
        rho = _hadamard(rho, dims, axis, factor)
    return rho


def _full_decay(rho: np.ndarray, network: Network, k: int, gamma_t: float) -> np.ndarray:
    r"""Amplitude damping :math:`|0\rangle\to|1\rangle` (spin up to down) on every qubit."""
    keep = math.exp(-gamma_t / 2)
    lost = math.sqrt(-math.expm1(-gamma_t))
    K0 = np.array([[keep, 0.0], [0.0, 1.0]])
    K1 = np.array([[0.0, 0.0], [lost, 0.0]])
    dims = network.ket_dims
    for axis in _qubit_axes(network, k):
        rho = _kraus(rho, dims, axis, [K0, K1])
    return rho


def _loss_kraus(dim: int, eta: float) -> list[np.ndarray]:
    r"""Kraus operators of loss: :math:`K_l = \sum_n\sqrt{\binom nl\eta^{n-l}(1-\eta)^l}|n-l\rangle\langle n|`."""
    def xlog(power, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(power > 0, power * np.log(x) if x > 0 else -np.inf, 0.0)

    ops = []
    for l in range(dim):
        src = np.arange(l, dim)
        log_w = _log_binom(src, l) + xlog(src - l, eta) + xlog(np.full(src.shape, l), 1 - eta)
        weights = np.exp(0.5 * log_w)
        if not np.any(weights):
            continue
        K = np.zeros((dim, dim))
        K[src - l, src] = weights
        ops.append(K)
    return ops


def _phase_diffusion(values: Sequence[np.ndarray], gamma_t: float) -> np.ndarray:
    r""":math:`e^{-\Gamma t(h_a-h_b)^2/2}` for :math:`h = \sum_s h_s` over the given axes' diagonals."""
    total = 0
    for v in values:
        total = np.add.outer(total, v) if np.ndim(total) else v
    diff = total.ravel()[:, None] - total.ravel()[None, :]
    return np.exp(-0.5 * gamma_t * diff ** 2)


# ----------------------------------------------------------------------------------------
# piqs Lindbladian in double precision
# ----------------------------------------------------------------------------------------
def piqs_lindbladian(n: int, *, emission: float = 0.0, dephasing: float = 0.0,
                     pumping: float = 0.0, collective_emission: float = 0.0,
                     collective_dephasing: float = 0.0,
                     collective_pumping: float = 0.0) -> qutip.Qobj:
    r"""The Lindbladian of ``qutip.piqs.Dicke(n, ...)`` in double precision (same layout and rates).

    :meth:`qutip.piqs.Dicke.lindbladian` evaluates its coefficients in C ``float``, which
    limits it to about seven digits.  This is the same superoperator (Shammah et al., PRA 98,
    063815 (2018), Table I; the coefficients :math:`\gamma_1\dots\gamma_9` of
    ``qutip/piqs/_piqs.pyx``) in double precision, vectorised, as a sparse superoperator on the
    piqs Dicke basis.  The rates are piqs's: ``dephasing`` is the rate of the Lindblad operator
    :math:`\sqrt{\gamma_D}\sigma_z/2`, i.e. ``2 * gamma`` of :func:`local_dephasing`;
    ``emission`` is :math:`\gamma_1` of :func:`local_decay`.

    Examples
    --------
    >>> L = piqs_lindbladian(4, dephasing=0.2)
    >>> L.shape
    (81, 81)
    """
    from qutip import piqs
    n = int(n)
    if n < 1:
        raise QSNError(f"n must be an integer >= 1, got {n}")
    rates = {k: _nonnegative(v, k) for k, v in dict(
        emission=emission, dephasing=dephasing, pumping=pumping,
        collective_emission=collective_emission, collective_dephasing=collective_dephasing,
        collective_pumping=collective_pumping).items()}
    yE, yD, yP = rates["emission"], rates["dephasing"], rates["pumping"]
    yCE, yCD, yCP = (rates["collective_emission"], rates["collective_dephasing"],
                     rates["collective_pumping"])
    N = float(n)
    nds = piqs.num_dicke_states(n)
    J, M, M1 = [], [], []
    for j in np.arange(n / 2, -0.25, -1.0):
        ms = np.arange(j, -j - 0.5, -1.0)
        mm, mm1 = np.meshgrid(ms, ms, indexing="ij")
        J.append(np.full(mm.size, j))
        M.append(mm.ravel())
        M1.append(mm1.ravel())
    J, M, M1 = np.concatenate(J), np.concatenate(M), np.concatenate(M1)

    def flat(j, m, m1):
        b = n / 2 - j
        offset = b * (n + 2 - b)
        row = offset + (j - m)
        col = offset + (j - m1)
        return np.rint(row + nds * col).astype(np.int64)   # column stacking (QuTiP)

    def exists(j, m, m1):
        return (j >= (n % 2) / 2 - 1e-9) & (j <= n / 2 + 1e-9) & (np.abs(m) <= j + 1e-9) & (
            np.abs(m1) <= j + 1e-9)

    def sq(x):
        return np.sqrt(np.maximum(x, 0.0))

    with np.errstate(divide="ignore", invalid="ignore"):
        jpos = J > 0
        dephase = np.where(jpos, yD / 2 * (N / 2 - M * M1 * (N / 2 + 1) / (J * (J + 1))),
                           yD * N / 4)
        g1 = -(yCE / 2 * (2 * J * (J + 1) - M * (M - 1) - M1 * (M1 - 1))
               + yE / 2 * (N + M + M1) + yP / 2 * (N - M - M1) + dephase
               + yCP / 2 * (2 * J * (J + 1) - M * (M + 1) - M1 * (M1 + 1))
               + yCD / 2 * (M - M1) ** 2)

        def g2(j, m, m1):
            root = sq((j + m) * (j - m + 1) * (j + m1) * (j - m1 + 1))
            return yCE * root + np.where(j > 0, yE / 2 * root * (N / 2 + 1) / (j * (j + 1)), 0.0)

        def g3(j, m, m1):
            return np.where(j > 0, yE / 2 * sq((j + m) * (j + m - 1) * (j + m1) * (j + m1 - 1))
                            * (N / 2 + j + 1) / (j * (2 * j + 1)), 0.0)

        def g4(j, m, m1):
            return np.where(j + 1 > 0, yE / 2 * sq((j - m + 1) * (j - m + 2) * (j - m1 + 1)
                                                   * (j - m1 + 2))
                            * (N / 2 - j) / ((j + 1) * (2 * j + 1)), 0.0)

        def g5(j, m, m1):
            return np.where(j > 0, yD / 2 * sq((j ** 2 - m ** 2) * (j ** 2 - m1 ** 2))
                            * (N / 2 + j + 1) / (j * (2 * j + 1)), 0.0)

        def g6(j, m, m1):
            return (yD / 2 * sq(((j + 1) ** 2 - m ** 2) * ((j + 1) ** 2 - m1 ** 2))
                    * (N / 2 - j) / ((j + 1) * (2 * j + 1)))

        def g7(j, m, m1):
            return np.where(j > 0, yP / 2 * sq((j - m - 1) * (j - m) * (j - m1 - 1) * (j - m1))
                            * (N / 2 + j + 1) / (j * (2 * j + 1)), 0.0)

        def g8(j, m, m1):
            root = sq((j + m + 1) * (j - m) * (j + m1 + 1) * (j - m1))
            return np.where(j > 0, yP / 2 * root * (N / 2 + 1) / (j * (j + 1)), 0.0) + yCP * root

        def g9(j, m, m1):
            return (yP / 2 * sq((j + m + 1) * (j + m + 2) * (j + m1 + 1) * (j + m1 + 2))
                    * (N / 2 - j) / ((j + 1) * (2 * j + 1)))

        rows = [flat(J, M, M1)]
        cols = [flat(J, M, M1)]
        data = [g1]
        for (dj, dm), g in {(0, 1): g2, (1, 1): g3, (-1, 1): g4, (1, 0): g5, (-1, 0): g6,
                            (1, -1): g7, (0, -1): g8, (-1, -1): g9}.items():
            j2, m2, m12 = J + dj, M + dm, M1 + dm
            ok = exists(j2, m2, m12)
            values = np.asarray(g(j2[ok], m2[ok], m12[ok]), dtype=float)
            rows.append(flat(J[ok], M[ok], M1[ok]))
            cols.append(flat(j2[ok], m2[ok], m12[ok]))
            data.append(values)
    mat = scipy.sparse.csr_matrix((np.concatenate(data), (np.concatenate(rows),
                                                          np.concatenate(cols))),
                                  shape=(nds ** 2, nds ** 2), dtype=complex)
    mat.eliminate_zeros()
    return qutip.Qobj(mat, dims=[[[nds], [nds]], [[nds], [nds]]], superrep="super")


def _symmetric_to_piqs(rho_sym: np.ndarray, n: int) -> qutip.Qobj:
    """A Dicke-basis (n + 1) matrix (index k = n/2 - m) placed in the piqs j = n/2 block."""
    from qutip import piqs
    nds = piqs.num_dicke_states(n)
    out = np.zeros((nds, nds), dtype=complex)
    out[:n + 1, :n + 1] = rho_sym
    return qutip.Qobj(out)


# ----------------------------------------------------------------------------------------
# public channels
# ----------------------------------------------------------------------------------------
def _truncation(value) -> float:
    return _nonnegative(value, "truncation")


def local_dephasing(state: qutip.Qobj, network: NetworkLike, gamma_t: float | Sequence[float], *,
                    truncation: float = TRUNCATION, method: str = "auto") -> NoisyState:
    r"""Independent dephasing of every qubit for a time t: :math:`\rho_{xy}\to\rho_{xy}e^{-\gamma t\,d(x,y)}`.

    The Lindblad operator :math:`\sqrt{\gamma/2}\,\sigma_z` acts on every qubit, so a single
    qubit's coherence decays as :math:`e^{-\gamma t}`; d(x, y) is the Hamming distance between
    computational basis states (the exact channel, no integration).  Qubit ensembles in the full
    basis get this Hadamard product directly.  Dicke-basis ensembles leave the symmetric
    subspace and become a :class:`DickeBlockState` (closed form of the module docstring); the
    GHZ state of N qubits keeps :math:`F = N^2e^{-2N\gamma t}` and the product state
    :math:`|+\rangle^{\otimes N}` keeps :math:`F = Ne^{-2\gamma t}`.

    Parameters
    ----------
    state : Qobj
        Ket or density matrix on the network's space.
    network : Network or Sensor
        The network (a single sensor is a network of one).
    gamma_t : float or sequence of float
        :math:`\gamma t` for every qubit ensemble, or one value per sensor (0 for sensors that
        are not qubit ensembles).
    truncation : float
        Dicke-block entries whose weight w satisfies :math:`20h^2w` summed below this are
        dropped; the QFIM changes by at most this much (absolute; 0 keeps every entry).
    method : {"auto", "dense", "sparse"}
        How the Dicke transfer is computed: the recursion over all (m, m') (dense probes) or
        the explicit sum on the probe's support (GHZ-like probes); "auto" picks by support size.

    Returns
    -------
    Qobj or DickeBlockState or NoisyProduct
        A density matrix when no Dicke-basis ensemble dephases; a :class:`DickeBlockState`
        (one factor) or :class:`NoisyProduct` (a ket that is a product over sensors) otherwise.

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble
    >>> ens = QubitEnsemble(10)
    >>> round(local_dephasing(ens.product_state(), ens, 0.05).qfi(), 6)
    9.048374
    """
    return apply_noise(state, network, NoiseModel(dephasing=gamma_t, time=1.0),
                       truncation=truncation, method=method)


def collective_dephasing(state: qutip.Qobj | DickeBlockState, network: NetworkLike,
                         gamma_t: float | Sequence[float], *, correlated: bool = False
                         ) -> qutip.Qobj | DickeBlockState:
    r"""Phase diffusion of every sensor's generator: :math:`\rho_{ab}\to\rho_{ab}e^{-\Gamma t(h_a-h_b)^2/2}`.

    The Lindblad operator :math:`\sqrt\Gamma\hat H_s` (:math:`\hat J_z` for qubits, :math:`\hat n`
    for a mode) gives :math:`\dot\rho_{ab} = -\tfrac\Gamma2(h_a-h_b)^2\rho_{ab}` in the eigenbasis
    of :math:`\hat H_s`, solved exactly.  Independent per sensor, or ``correlated``: one field
    seen by all sensors, Lindblad operator :math:`\sqrt\Gamma\sum_s\hat H_s` (only the sensors with
    a nonzero rate).  A Dicke ensemble stays in its symmetric subspace.  The GHZ state of N
    qubits has one coherence, between :math:`m = \pm N/2`, which decays as
    :math:`e^{-\Gamma tN^2/2}`, so :math:`F = N^2e^{-\Gamma tN^2}` (the superdecoherence of GHZ
    states under a common fluctuating field, cf. Dorner, NJP 14, 043011 (2012)); a single
    qubit keeps :math:`F = e^{-\Gamma t}`.  The gradient GHZ-like probe
    :math:`|{\downarrow}^{n}{\uparrow}^{n}\rangle + |{\uparrow}^{n}{\downarrow}^{n}\rangle` has
    :math:`\sum_s\hat J_z^{(s)} = 0` on both terms: correlated noise leaves it untouched.

    Parameters
    ----------
    state : Qobj or DickeBlockState
        Ket or density matrix on the network's space, or a block state (the channel commutes
        with local dephasing, so it may come before or after).
    network : Network or Sensor
    gamma_t : float or sequence of float
        :math:`\Gamma t`, for every sensor with a single diagonal generator, or per sensor.
    correlated : bool
        One common field (True) or independent noise on each sensor (False).

    Returns
    -------
    Qobj or DickeBlockState

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble, qfim
    >>> ens = QubitEnsemble(4)
    >>> rho = collective_dephasing(ens.local_ghz(), ens, 0.01)
    >>> bool(np.isclose(qfim(rho, ens.generators)[0, 0], 16 * np.exp(-0.16), rtol=1e-12))
    True
    """
    network = _as_network(network)
    rates = _per_sensor(gamma_t, "gamma_t", network, lambda s: _single_diagonal(s) is not None,
                        "sensors with a single diagonal generator")
    if isinstance(state, DickeBlockState):
        return _block_phase_diffusion(state, network, rates, correlated)
    state = network.check(state)
    rho = _dense(state)
    rho = _apply_phase_diffusion(rho, network, rates, correlated)
    return qutip.Qobj(rho, dims=network.dims)


def _apply_phase_diffusion(rho: np.ndarray, network: Network, rates: Sequence[float],
                           correlated: bool) -> np.ndarray:
    dims = [s.size for s in network.sensors]
    if correlated:
        active = [k for k, r in enumerate(rates) if r > 0]
        if not active:
            return rho
        if len(set(rates[k] for k in active)) > 1:
            raise QSNError(f"correlated dephasing needs one rate for all sensors, got {rates}")
        values = [(_single_diagonal(network.sensors[k]) if k in active
                   else np.zeros(dims[k])) for k in range(len(dims))]
        return rho * _phase_diffusion(values, rates[active[0]])
    for k, r in enumerate(rates):
        if r > 0:
            rho = _hadamard(rho, dims, k, _phase_diffusion(
                [_single_diagonal(network.sensors[k])], r))
    return rho


def _block_phase_diffusion(state: DickeBlockState, network: Network, rates: Sequence[float],
                           correlated: bool) -> DickeBlockState:
    axes = state._axes
    if len(axes) != len(network.sensors):
        raise QSNError("state is a block state of another network")
    blocks = []
    for b in state.blocks:
        values = [axis.generators[0][b.index[:, s]] if axis.generators else np.zeros(len(b.index))
                  for s, axis in enumerate(axes)]
        if correlated:
            active = [s for s, r in enumerate(rates) if r > 0]
            total = sum(values[s] for s in active) if active else np.zeros(len(b.index))
            diff = total[:, None] - total[None, :]
            factor = np.exp(-0.5 * (rates[active[0]] if active else 0.0) * diff ** 2)
        else:
            exponent = sum(r * (v[:, None] - v[None, :]) ** 2 for r, v in zip(rates, values))
            factor = np.exp(-0.5 * exponent)
        blocks.append(dataclasses.replace(b, rho=b.rho * factor))
    return DickeBlockState(blocks, axes, state.truncation_error)


def photon_loss(state: qutip.Qobj, network: NetworkLike, eta: float | Sequence[float]
                ) -> qutip.Qobj:
    r"""Photon loss with transmission :math:`\eta` on every optical mode (Kraus form, exact).

    .. math::
        \rho\to\sum_l K_l\rho K_l^\dagger,\qquad
        K_l = \sum_n\sqrt{\tbinom nl\eta^{n-l}(1-\eta)^l}\;|n-l\rangle\langle n|,

    the beam-splitter model of loss (loss never raises the photon number, so the truncated
    Fock space is kept exactly).  A coherent state :math:`|\alpha\rangle` becomes
    :math:`|\sqrt\eta\alpha\rangle` (QFI :math:`4\eta|\alpha|^2`); the NOON state with losses in
    both arms keeps :math:`F = \eta^NN^2` and with loss in one arm only
    :math:`F = 2\eta^NN^2/(1+\eta^N)` (see :func:`apply_noise`).

    Parameters
    ----------
    state : Qobj
        Ket or density matrix on the network's space.
    network : Network or Sensor
    eta : float or sequence of float
        Transmission in [0, 1] for every mode, or one per sensor (1 for other sensors).

    Returns
    -------
    Qobj
        The density matrix.

    Examples
    --------
    >>> from qsn_qutip import Network, OpticalMode, qfim, states
    >>> net = Network([OpticalMode(3), OpticalMode(3)])
    >>> rho = photon_loss(states.noon(net, 3), net, 0.9)
    >>> round(float(qfim(rho, net.generators)[0, 0]), 10) == round(0.9 ** 3 * 9, 10)
    True
    """
    return apply_noise(state, network, NoiseModel(transmission=eta))


def local_decay(state: qutip.Qobj, network: NetworkLike, gamma_t: float | Sequence[float], *,
                dephasing: float | Sequence[float] = 0.0,
                truncation: float = TRUNCATION) -> NoisyState:
    r"""Spontaneous decay :math:`\sqrt{\gamma_1}\sigma_-` of every qubit (spin up to down), with dephasing.

    Full-basis ensembles: amplitude damping in Kraus form on every qubit (exact),
    :math:`K_0 = |1\rangle\langle1| + e^{-\gamma_1t/2}|0\rangle\langle0|`,
    :math:`K_1 = \sqrt{1-e^{-\gamma_1t}}\,|1\rangle\langle0|`.  Dicke ensembles: no closed form;
    :func:`qutip.mesolve` on :func:`piqs_lindbladian` (``emission = gamma_1``,
    ``dephasing = 2 gamma``), tolerances ``atol = 1e-12``, ``rtol = 1e-10``: accurate to about
    1e-9, not to round-off, and the Liouvillian has :math:`(n/2+1)^4` entries, so keep
    n below about 60.  A product probe is treated factor by factor; an entangled probe of
    several Dicke ensembles is not supported (use ``basis="full"``).

    Parameters
    ----------
    state : Qobj
    network : Network or Sensor
    gamma_t : float or sequence of float
        :math:`\gamma_1t` for every qubit ensemble or per sensor.
    dephasing : float or sequence of float
        :math:`\gamma t` of simultaneous local dephasing (the two commute).
    truncation : float
        As in :func:`local_dephasing`.

    Returns
    -------
    Qobj or DickeBlockState or NoisyProduct

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble, qfim
    >>> ens = QubitEnsemble(1, basis="full")
    >>> rho = local_decay(ens.product_state(), ens, 0.2)
    >>> bool(np.isclose(qfim(rho, ens.generators)[0, 0], np.exp(-0.2), rtol=1e-12))
    True
    """
    return apply_noise(state, network, NoiseModel(decay=gamma_t, dephasing=dephasing, time=1.0),
                       truncation=truncation)


def _mesolve_decay(rho_sym: np.ndarray, sensor: QubitEnsemble, decay_t: float,
                   dephasing_t: float) -> DickeBlockState:
    n = sensor.n
    L = piqs_lindbladian(n, emission=decay_t, dephasing=2 * dephasing_t)
    rho0 = _symmetric_to_piqs(rho_sym, n)
    result = qutip.mesolve(L, rho0, [0.0, 1.0],
                           options={"atol": 1e-12, "rtol": 1e-10, "nsteps": 1_000_000,
                                    "progress_bar": False})
    final = result.states[-1]
    mat = final.full()
    return DickeBlockState.from_dicke_dm(qutip.Qobj((mat + mat.conj().T) / 2), n,
                                         sensor=sensor)


# ----------------------------------------------------------------------------------------
# noise models on networks
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class NoiseModel:
    r"""Noise on a network for an interrogation time t: the ``[noise]`` section of a model file.

    Rates are per unit time (the same unit as ``time``); a rate is a number (every sensor it
    can act on) or one value per sensor.  All the channels commute with each other and with
    the encoding, so their order does not matter.

    Attributes
    ----------
    dephasing : float or sequence of float
        :math:`\gamma`: local dephasing of every qubit, a qubit's coherence decays as
        :math:`e^{-\gamma t}` (Lindblad :math:`\sqrt{\gamma/2}\sigma_z`).
    collective_dephasing : float or sequence of float
        :math:`\Gamma`: phase diffusion of each sensor's generator, independent per sensor
        (Lindblad :math:`\sqrt\Gamma\hat J_z` for qubits).
    correlated_dephasing : float
        :math:`\Gamma_c`: one fluctuating field seen by every sensor that has a single diagonal
        generator (Lindblad :math:`\sqrt{\Gamma_c}\sum_s\hat H_s`).
    decay : float or sequence of float
        :math:`\gamma_1`: spontaneous decay of every qubit (Lindblad :math:`\sqrt{\gamma_1}\sigma_-`).
    transmission : float or sequence of float
        :math:`\eta` of photon loss on every optical mode (a transmission, independent of
        ``time``; 1 = no loss).  A model file's ``loss = eta`` maps here.
    time : float
        The interrogation time t (> 0); the phase is :math:`\phi = \omega t`.

    Examples
    --------
    >>> NoiseModel(dephasing=0.5, time=0.1).dephasing_t
    0.05
    """

    dephasing: float | Sequence[float] = 0.0
    collective_dephasing: float | Sequence[float] = 0.0
    correlated_dephasing: float = 0.0
    decay: float | Sequence[float] = 0.0
    transmission: float | Sequence[float] = 1.0
    time: float = 1.0

    def __post_init__(self):
        _nonnegative(self.time, "time")
        _nonnegative(self.correlated_dephasing, "correlated_dephasing")
        for name in ("dephasing", "collective_dephasing", "decay", "transmission"):
            value = getattr(self, name)
            high = 1.0 if name == "transmission" else np.inf
            for k, x in enumerate(np.atleast_1d(np.asarray(value, dtype=object)).ravel()):
                _check_range(x, name if np.ndim(value) == 0 else f"{name}[{k}]", 0.0, high)

    @property
    def dephasing_t(self):
        """:math:`\\gamma t` (number or list)."""
        return _times(self.dephasing, self.time)

    @property
    def rates(self) -> list[float]:
        """Every time-dependent rate (for choosing interrogation times)."""
        out = []
        for x in (self.dephasing, self.collective_dephasing, self.correlated_dephasing,
                  self.decay):
            out.extend(np.atleast_1d(np.asarray(x, dtype=float)).tolist())
        return out

    def is_trivial(self) -> bool:
        """True when the model changes no state (every rate 0, every transmission 1)."""
        return all(r == 0 for r in self.rates) and bool(np.all(
            np.asarray(self.transmission, dtype=float) == 1))


def _times(rate, t: float):
    if np.ndim(rate) == 0:
        return float(rate) * float(t)
    return [float(r) * float(t) for r in rate]


class NoisyProduct:
    r"""A noisy state that is a product over groups of sensors: :math:`\rho = \bigotimes_g\rho_g`.

    The QFIM of a product of states for generators that act on one factor each is block
    diagonal, each block the QFIM of its factor (the SLD of one factor has zero mean on it).

    Attributes
    ----------
    factors : list of Qobj or DickeBlockState
        The noisy state of every group.
    groups : list of list of int
        The sensors of every factor, in network order.
    """

    def __init__(self, factors: Sequence[qutip.Qobj | DickeBlockState],
                 groups: Sequence[Sequence[int]], network: Network):
        self.factors = list(factors)
        self.groups = [list(g) for g in groups]
        self._network = network

    def qfim(self) -> np.ndarray:
        """The block-diagonal QFIM, parameters in network order."""
        net = self._network
        F = np.zeros((net.n_params, net.n_params))
        for factor, group in zip(self.factors, self.groups):
            sub = Network([net.sensors[k] for k in group])
            block = noisy_qfim(factor, sub)
            params = [p for k in group for p in net.partition[k]]
            F[np.ix_(params, params)] = block
        return F

    def to_qobj(self) -> qutip.Qobj:
        """The product as one density matrix (factors converted with ``to_full`` when blocks)."""
        parts = []
        for f in self.factors:
            if isinstance(f, DickeBlockState):
                parts.append(f.to_full())
            else:
                parts.append(f.proj() if f.isket else f)
        return qutip.tensor(parts)

    def __repr__(self) -> str:
        kinds = [type(f).__name__ for f in self.factors]
        return f"NoisyProduct(groups={self.groups}, factors={kinds})"


#: what the channels return: a density matrix, Dicke blocks, or a product of those
NoisyState = qutip.Qobj | DickeBlockState | NoisyProduct


def _rank_one(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(u, v)`` with ``matrix = outer(u, v)`` when it is rank one (to PRODUCT_RTOL), else None.

    Linear cost: u is the column of largest norm, normalised; the residual is checked.
    """
    norms = np.einsum("ij,ij->j", matrix.conj(), matrix).real
    col = int(np.argmax(norms))
    if norms[col] == 0:
        return None
    u = matrix[:, col] / math.sqrt(norms[col])
    v = u.conj() @ matrix
    residual = matrix - np.outer(u, v)
    if np.linalg.norm(residual) > PRODUCT_RTOL * math.sqrt(norms.sum()):
        return None
    return u, v


def _factorize(state: qutip.Qobj, network: Network) -> list[tuple[list[int], qutip.Qobj]]:
    """Split a ket into factors, peeling sensors off the front while it is a product.

    A sensor without parameters is merged with the next factor (a factor must carry a
    parameter to be a network of its own).
    """
    sizes = [s.size for s in network.sensors]
    rest = ket_array(state)
    parts: list[tuple[list[int], np.ndarray]] = []
    for k in range(len(sizes) - 1):
        split = _rank_one(rest.reshape(sizes[k], -1))
        if split is None:
            break
        parts.append(([k], split[0]))
        rest = split[1]
    parts.append((list(range(len(parts), len(sizes))), rest))
    merged: list[tuple[list[int], np.ndarray]] = []
    pending: tuple[list[int], np.ndarray] | None = None
    for group, vec in parts:
        if pending is not None:
            group, vec = pending[0] + group, np.kron(pending[1], vec)
            pending = None
        if not any(network.sensors[k].n_params for k in group):
            pending = (group, vec)
            continue
        merged.append((group, vec))
    if pending is not None:
        group, vec = merged.pop()
        merged.append((group + pending[0], np.kron(vec, pending[1])))
    out = []
    for group, vec in merged:
        dims = [d for k in group for d in network.factor_dims[k]]
        out.append((group, qutip.Qobj(vec, dims=[dims, [1] * len(dims)])))
    return out


def apply_noise(state: qutip.Qobj, network: NetworkLike, noise: NoiseModel, *,
                truncation: float = TRUNCATION, method: str = "auto") -> NoisyState:
    r"""Apply a :class:`NoiseModel` for its interrogation time to a probe of a network.

    Every channel acts sensor by sensor (the product of the single-sensor channels), except
    ``correlated_dephasing``.  Density matrices are exact Hadamard products and Kraus sums;
    Dicke-basis ensembles with local dephasing or decay become Dicke blocks:

    * a ket that is a product over sensors is noised factor by factor (:class:`NoisyProduct`:
      the local GHZ and product probes of a network at any size);
    * an entangled probe of several Dicke ensembles is decomposed jointly over
      :math:`(j_1, j_2, \dots)` from its support only (:class:`DickeBlockState`): a GHZ-like
      probe occupies two basis states, so it costs nothing at any N; a probe spread over many
      (m_1, m_2) costs :math:`\prod_s` (Dicke-block sizes) and is refused above
      ``MAX_TABLE_ENTRIES``;
    * decay of a Dicke ensemble is integrated (:func:`local_decay`); it is supported for a
      Dicke ensemble that is its own factor.

    Parameters
    ----------
    state : Qobj
        Ket or density matrix on the network's space.
    network : Network or Sensor
    noise : NoiseModel
    truncation : float
        As in :func:`local_dephasing`.
    method : {"auto", "dense", "sparse"}
        As in :func:`local_dephasing`.

    Returns
    -------
    Qobj or DickeBlockState or NoisyProduct
        Accepted by :func:`noisy_qfim`.

    Examples
    --------
    >>> from qsn_qutip import Network, QubitEnsemble, states
    >>> net = Network([QubitEnsemble(50), QubitEnsemble(50)])
    >>> noisy = apply_noise(states.ghz_like(net, [-1, 1]), net, NoiseModel(dephasing=0.01, time=1))
    >>> F = noisy_qfim(noisy, net)
    >>> bool(np.isclose(F[1, 1], 50 ** 2 * np.exp(-2 * 100 * 0.01)))
    True
    """
    network = _as_network(network)
    if not isinstance(noise, NoiseModel):
        raise QSNError(f"noise must be a NoiseModel, got {type(noise).__name__}")
    state = network.check(state)
    truncation = _truncation(truncation)
    t = noise.time
    qubits = lambda s: isinstance(s, QubitEnsemble)   # noqa: E731
    diagonal = lambda s: _single_diagonal(s) is not None   # noqa: E731
    deph = _per_sensor(_times(noise.dephasing, t), "dephasing", network, qubits,
                       "qubit ensembles")
    decay = _per_sensor(_times(noise.decay, t), "decay", network, qubits, "qubit ensembles")
    coll = _per_sensor(_times(noise.collective_dephasing, t), "collective_dephasing", network,
                       diagonal, "sensors with a single diagonal generator")
    corr_rate = _nonnegative(noise.correlated_dephasing, "correlated_dephasing") * t
    corr = (_per_sensor(corr_rate, "correlated_dephasing", network, diagonal,
                        "sensors with a single diagonal generator") if corr_rate else
            [0.0] * len(network.sensors))
    eta = _per_sensor(noise.transmission, "transmission", network,
                      lambda s: isinstance(s, OpticalMode), "optical modes", neutral=1.0,
                      low=0.0, high=1.0)
    rates = dict(deph=deph, decay=decay, coll=coll, corr=corr, eta=eta)
    return _apply(state, network, rates, truncation, method)


def _apply(state: qutip.Qobj, network: Network, rates: dict, truncation: float,
           method: str) -> NoisyState:
    sensors = network.sensors
    dicke_noisy = [k for k, s in enumerate(sensors)
                   if _is_dicke(s) and (rates["deph"][k] > 0 or rates["decay"][k] > 0)]
    correlated = any(r > 0 for r in rates["corr"])
    if dicke_noisy and state.isket and len(sensors) > 1 and not correlated:
        parts = _factorize(state, network)
        if len(parts) > 1:
            factors = []
            for group, ket in parts:
                sub = Network([sensors[k] for k in group])
                sub_rates = {key: [v[k] for k in group] for key, v in rates.items()}
                factors.append(_apply(ket, sub, sub_rates, truncation, method))
            return NoisyProduct(factors, [g for g, _ in parts], network)
    # channels on sensors that are not Dicke ensembles with local noise: exact, dense
    plain = [k for k in range(len(sensors)) if k not in dicke_noisy]
    dense_needed = any(
        rates["deph"][k] > 0 or rates["decay"][k] > 0 or rates["eta"][k] < 1 for k in plain)
    if not dicke_noisy:
        rho = _dense(state)
        rho = _dense_channels(rho, network, rates, plain)
        rho = _apply_phase_diffusion(rho, network, rates["coll"], False)
        rho = _apply_phase_diffusion(rho, network, rates["corr"], True)
        return qutip.Qobj(rho, dims=network.dims)
    source_state = state
    if dense_needed:
        rho = _dense_channels(_dense(state), network, rates, plain)
        source_state = qutip.Qobj(rho, dims=network.dims)
    axes = []
    for k, s in enumerate(sensors):
        gens = _generator_diagonals(s, k)
        if _is_dicke(s):
            axes.append(_Axis((s.size,), s.n, gens))
        else:
            axes.append(_Axis(tuple(s.dims), None, gens))
    if any(rates["decay"][k] > 0 for k in dicke_noisy):
        if len(sensors) != 1:
            raise QSNError("decay of a Dicke ensemble is supported when the ensemble is its "
                           "own factor (a single sensor or a product probe); use "
                           "basis='full' for entangled probes of small ensembles")
        blocks = _mesolve_decay(_dense(source_state), sensors[0], rates["decay"][0],
                                rates["deph"][0])
        blocks = _truncate(blocks, truncation)
    else:
        source = _Source(source_state, [a.size for a in axes])
        gammas = [rates["deph"][k] if k in dicke_noisy else 0.0 for k in range(len(sensors))]
        blocks = _build_block_state(source, axes, gammas, truncation, method)
    if any(r > 0 for r in rates["coll"]):
        blocks = _block_phase_diffusion(blocks, network, rates["coll"], False)
    if correlated:
        blocks = _block_phase_diffusion(blocks, network, rates["corr"], True)
    return blocks


def _truncate(state: DickeBlockState, truncation: float) -> DickeBlockState:
    """Drop negligible basis states of an existing block state (same rule as the builder)."""
    count = sum(b.rho.shape[0] for b in state.blocks)
    allowance = truncation / max(1, count)
    blocks, dropped = [], state.truncation_error
    for b in state.blocks:
        h = sum(_half_spread(axis, j) for axis, j in zip(state._axes, b.j))
        diag = b.rho.diagonal().real
        bound = 20.0 * max(h, 1.0) ** 2 * np.clip(diag, 0, None)
        keep = (diag > 0) & (bound > allowance)
        dropped += float(bound[~keep].sum())
        if keep.any():
            idx = np.flatnonzero(keep)
            blocks.append(dataclasses.replace(b, index=b.index[idx],
                                              rho=b.rho[np.ix_(idx, idx)]))
    return DickeBlockState(blocks, state._axes, dropped)


def _dense_channels(rho: np.ndarray, network: Network, rates: dict,
                    sensors: Sequence[int]) -> np.ndarray:
    for k in sensors:
        s = network.sensors[k]
        if rates["deph"][k] > 0 or rates["decay"][k] > 0:
            if _is_dicke(s):
                raise QSNError("internal: Dicke ensembles are handled by blocks")
            if rates["deph"][k] > 0:
                rho = _full_dephasing(rho, network, k, rates["deph"][k])
            if rates["decay"][k] > 0:
                rho = _full_decay(rho, network, k, rates["decay"][k])
        if rates["eta"][k] < 1:
            dims = network.ket_dims
            axis = network.sensor_selection(k)[0]
            rho = _kraus(rho, dims, axis, _loss_kraus(dims[axis], rates["eta"][k]))
    return rho


def noisy_qfim(state: NoisyState, network: NetworkLike) -> np.ndarray:
    r"""The QFIM of a noisy state from :func:`apply_noise` for the network's generators.

    A density matrix goes to :func:`~qsn_qutip.qfim` (with the network's local generators), a
    :class:`DickeBlockState` or :class:`NoisyProduct` to its own ``qfim``.

    Parameters
    ----------
    state : Qobj or DickeBlockState or NoisyProduct
    network : Network or Sensor

    Returns
    -------
    numpy.ndarray
        d x d, parameters in network order.
    """
    network = _as_network(network)
    if isinstance(state, (DickeBlockState, NoisyProduct)):
        F = state.qfim()
        if F.shape != (network.n_params, network.n_params):
            raise QSNError(f"state carries {F.shape[0]} parameters, the network "
                           f"{network.n_params}")
        return F
    state = network.check(state)
    return qfim(state, network.local_generators)


# ----------------------------------------------------------------------------------------
# interrogation time
# ----------------------------------------------------------------------------------------
def qfim_per_frequency(state: qutip.Qobj, network: NetworkLike, noise: NoiseModel,
                       times: Sequence[float], **options) -> np.ndarray:
    r"""QFIM per unit frequency, :math:`F_\omega(t) = t^2F_\phi(t)`, for every interrogation time.

    The phase is :math:`\phi = \omega t` and the noise acts for the same time t
    (``noise.time`` is replaced by each entry of ``times``).

    Parameters
    ----------
    state : Qobj
    network : Network or Sensor
    noise : NoiseModel
    times : sequence of float
        Interrogation times (> 0).
    **options
        ``truncation`` and ``method``, passed to :func:`apply_noise`.

    Returns
    -------
    numpy.ndarray, shape (len(times), d, d)

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble
    >>> ens = QubitEnsemble(10)
    >>> F = qfim_per_frequency(ens.local_ghz(), ens, NoiseModel(dephasing=1.0), [0.05])
    >>> bool(np.isclose(F[0, 0, 0], 0.05 ** 2 * 100 * np.exp(-1), rtol=1e-12))
    True
    """
    network = _as_network(network)
    ts = as_real_vector(times, "times")
    if np.any(ts <= 0):
        raise QSNError(f"times must be > 0, got {ts}")
    out = []
    for t in ts:
        noisy = apply_noise(state, network, dataclasses.replace(noise, time=float(t)), **options)
        out.append(t ** 2 * noisy_qfim(noisy, network))
    return np.array(out)


@dataclasses.dataclass(frozen=True)
class InterrogationResult:
    r"""The best interrogation time for a probe under noise.

    Attributes
    ----------
    time : float
        The optimal interrogation time t*.
    value : float
        The figure of merit at t*: information on :math:`\theta = v^T\omega` per unit total
        time, :math:`t/(v^TF_\phi(t)^+v)` (``per="time"``), or per shot,
        :math:`t^2/(v^TF_\phi(t)^+v)` (``per="shot"``); :math:`tF_\phi` and :math:`t^2F_\phi` for a
        single parameter.
    qfim : numpy.ndarray
        :math:`F_\phi(t^*)`.
    per : str
    """

    time: float
    value: float
    qfim: np.ndarray
    per: str


def optimal_interrogation_time(state: qutip.Qobj, network: NetworkLike, noise: NoiseModel, *,
                               v: Sequence[float] | None = None, per: str = "time",
                               t_range: tuple[float, float] | None = None,
                               points: int = 25, **options) -> InterrogationResult:
    r"""The interrogation time that maximises the information on :math:`\theta = v^T\omega`.

    With a total time T split into T/t shots, the variance bound per unit time is
    :math:`v^TF_\phi(t)^{+}v/(tT)`: maximise :math:`t/(v^TF_\phi^+v)` (``per="time"``); for a
    fixed number of shots maximise :math:`t^2/(v^TF_\phi^+v)` (``per="shot"``).  Under local
    dephasing GHZ gives :math:`t^* = 1/(2N\gamma)` and the product state :math:`t^* = 1/(2\gamma)`,
    both with :math:`tF = N/(2e\gamma)` (Huelga et al., PRL 79, 3865 (1997)): no gain per unit
    time.  Search: a log-spaced grid of ``points`` times, refined by bounded Brent search.

    Parameters
    ----------
    state : Qobj
    network : Network or Sensor
    noise : NoiseModel
        Rates; ``time`` is ignored.  At least one time-dependent rate must be nonzero.
    v : sequence of float, optional
        The function; default: the single parameter (error for several parameters).
    per : {"time", "shot"}
    t_range : (float, float), optional
        Search interval; default :math:`[10^{-3}/(\Gamma_{\max}N), 10^2/\Gamma_{\min}]` from the
        rates and the total number of particles N.
    points : int
        Grid size before the refinement.
    **options
        ``truncation`` and ``method``, passed to :func:`apply_noise`.

    Returns
    -------
    InterrogationResult

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble
    >>> ens = QubitEnsemble(8)
    >>> best = optimal_interrogation_time(ens.local_ghz(), ens, NoiseModel(dephasing=1.0))
    >>> round(best.time, 6), round(best.value, 6) == round(8 / (2 * np.e), 6)
    (0.0625, True)
    """
    network = _as_network(network)
    if per not in ("time", "shot"):
        raise QSNError(f"per must be 'time' or 'shot', got {per!r}")
    if v is None:
        if network.n_params != 1:
            raise QSNError(f"v is needed for a network with {network.n_params} parameters")
        v = [1.0]
    v = as_real_vector(v, "v", length=network.n_params)
    rates = [r for r in noise.rates if r > 0]
    if not rates:
        raise QSNError("noise has no time-dependent rate: the information grows without "
                       "bound with the interrogation time")
    if t_range is None:
        particles = max(1, sum(network.particles))
        t_range = (1e-3 / (max(rates) * particles), 1e2 / min(rates))
    lo, hi = (float(x) for x in t_range)
    if not 0 < lo < hi:
        raise QSNError(f"t_range must be (lo, hi) with 0 < lo < hi, got {t_range}")
    power = 1 if per == "time" else 2

    def figure(log_t: float) -> tuple[float, np.ndarray]:
        t = math.exp(log_t)
        noisy = apply_noise(state, network, dataclasses.replace(noise, time=t), **options)
        F = noisy_qfim(noisy, network)
        bound = function_bound(F, v)
        info = 0.0 if not np.isfinite(bound) or bound <= 0 else 1.0 / bound
        return t ** power * info, F

    grid = np.linspace(math.log(lo), math.log(hi), max(3, int(points)))
    values = [figure(x)[0] for x in grid]
    best = int(np.argmax(values))
    if values[best] <= 0:
        raise QSNError("the probe carries no information on v at any time in t_range")
    a, b = grid[max(0, best - 1)], grid[min(len(grid) - 1, best + 1)]
    res = scipy.optimize.minimize_scalar(lambda x: -figure(x)[0], bounds=(a, b),
                                         method="bounded", options={"xatol": 1e-10})
    x = res.x if -res.fun >= values[best] else grid[best]
    value, F = figure(x)
    return InterrogationResult(math.exp(x), value, F, per)


def dephasing_crossover(n: int) -> float:
    r""":math:`\gamma t` at which GHZ and :math:`|+\rangle^{\otimes N}` give the same QFI under local dephasing.

    :math:`N^2e^{-2N\gamma t} = Ne^{-2\gamma t}` at :math:`\gamma t = \ln N/(2(N-1))`; GHZ is better
    before, the product state after (at equal t, so also per unit :math:`\omega`).

    Examples
    --------
    >>> round(dephasing_crossover(10), 8)
    0.12792139
    """
    n = int(n)
    if n < 2:
        raise QSNError(f"n must be an integer >= 2, got {n}")
    return math.log(n) / (2 * (n - 1))
