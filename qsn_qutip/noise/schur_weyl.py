r"""Local dephasing of Dicke ensembles in closed form (Schur-Weyl duality), block by block.

Local dephasing, Lindblad operator :math:`\sqrt{\gamma/2}\,\sigma_z` on every qubit for a time t,
is the Hadamard product :math:`\rho_{xy}\to\rho_{xy}c^{d(x,y)}` on the computational basis
(:math:`c = e^{-\gamma t}`, d the Hamming distance), and

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

an element-wise product :math:`\rho_j = \rho_0\circ T_j` (the *transfer* of block j): every pair
:math:`(m, m')` evolves on its own (local dephasing and the :math:`\hat J_z` encoding both conserve
the coherence order), and all the factors are positive.  It reproduces the tridiagonal
equations of :mod:`qutip.piqs` (Chase and Geremia, PRA 78, 052101 (2008); Shammah et al., PRA
98, 063815 (2018)) with ``piqs.Dicke(N, dephasing=2 * gamma)``, whose coefficients are single
precision (:func:`~qsn_qutip.noise.piqs_lindbladian` is a double-precision replica).

Computing the transfer.  :math:`\tfrac{1}{1+c}\begin{pmatrix}1&c\\c&1\end{pmatrix} =
\sqrt{\tfrac{1-c}{1+c}}\,e^{\beta\sigma_x}` with :math:`\tanh\beta = c`, so
:math:`\mathrm{Sym}^{2j}` of it is :math:`(\tfrac{1-c}{1+c})^je^{2\beta\hat J_x}` on spin j and

.. math::
    T_j(k,k') = \frac{d_j(1-c^2)^{N/2}}{\sqrt{C^N_kC^N_{k'}}}\,D^j_{mm'},\qquad
    D^j_{mm'} = \langle j,m|e^{2\beta\hat J_x}|j,m'\rangle,

a Wigner function at the imaginary angle :math:`2i\beta` (up to a phase independent of j), which
obeys the three-term recursion in j

.. math::
    j\sqrt{((j+1)^2-m^2)((j+1)^2-m'^2)}\,D^{j+1} = (2j+1)\big(j(j+1)\cosh2\beta - mm'\big)D^j
    - (j+1)\sqrt{(j^2-m^2)(j^2-m'^2)}\,D^{j-1},

from :math:`D^{j-1} = 0` and the closed form
:math:`D^{j}_{m,\pm j} = \sqrt{\binom{2j}{j\mp m}}\cosh^{j\pm m}\!\beta\,\sinh^{j\mp m}\!\beta` at
:math:`j = \max(|m|, |m'|)`.  :math:`\cosh2\beta = (1+c^2)/(1-c^2) > 1`: the wanted solution is the
dominant one (it grows as :math:`e^{2\beta j}`, the other decays), so the forward recursion keeps
its relative precision; it runs on the ratios :math:`D^{j+1}/D^j` and adds their logarithms,
so nothing overflows or underflows at any N (agreement with exact rational arithmetic:
about 1e-12 relative at N = 301).  Cost: O(N) steps of vector operations over the pairs
asked for.  :mod:`qsn_qutip.noise.builder` asks twice: first for the diagonal of every block
(what decides which basis states are kept, :math:`O(N\cdot\text{support})`), then for the
whole transfer only on the kept basis states of the kept blocks (a spin-coherent probe of 2000
qubits keeps about 140 of 1001 blocks, none wider than 463 rows), started directly at the first
kept block (:func:`log_sym_columns`: a recursion in m at fixed j, with positive terms only).  A probe on :math:`|m| = N/2` only (GHZ-like) takes
the explicit positive sum instead,

.. math::
    \mathrm{Sym}^n(g)_{pq} = \sqrt{\tbinom nq/\tbinom np}\sum_s\tbinom qs\tbinom{n-q}{p-s}
    a^{n-p-q+2s}b^{p+q-2s},\qquad g = \begin{pmatrix}a&b\\b&a\end{pmatrix}.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping

import numpy as np
import scipy.stats

from ..errors import QSNError
from ..options import check_memory
from .combinatorics import log_binom, log_degeneracy

__all__ = ["Transfer", "DickeTransfer", "METHODS", "log_transfer_prefactor",
           "log_sym_columns", "log_sym_entries"]

#: how the transfer of a Dicke ensemble is computed (``method`` of the public channels)
METHODS = ("auto", "dense", "sparse")
#: supports of at most this many Dicke states get every block's transfer in one pass; larger
#: ones the diagonals first and then the transfer on the kept states only
TABLE_ROWS = 128
#: the transfer on the kept states starts at the first kept block (log_sym_columns) when that
#: saves at least this many steps of the recursion in j ...
JUMP_MIN_STEPS = 16
#: ... and gamma t is at most this (beyond it the column recursion loses digits: 7e-12 at n =
#: 1000 for gamma t = 5, 1e-10 for 60; there the kept blocks sit at small j anyway)
JUMP_MAX_GAMMA_T = 5.0


@dataclasses.dataclass
class Transfer:
    r"""The transfer :math:`T_j` of one block on the Dicke indices ``ks`` (k = N/2 - m).

    Attributes
    ----------
    j : float or None
        The total spin (None for a sensor kept whole, whose transfer is all ones).
    ks : numpy.ndarray of int
        The basis indices of the probe's support inside the block.
    diag : numpy.ndarray
        :math:`T_j(k, k)` on ``ks``.
    table : numpy.ndarray or None
        :math:`T_j` on ``ks`` x ``ks`` when it came with the diagonal (explicit sums, and the
        trivial transfers); otherwise :meth:`DickeTransfer.matrices` computes what is needed.
    """

    j: float | None
    ks: np.ndarray
    diag: np.ndarray
    table: np.ndarray | None = None


def log_transfer_prefactor(n_qubits: int, j: float, gamma_t: float) -> float:
    r""":math:`\ln[d_j(1-c)^{N/2-j}(1+c)^{N/2+j}]` with :math:`c = e^{-\gamma t}` (the factor
    of :math:`\mathrm{Sym}^{2j}`)."""
    lower = n_qubits / 2 - j
    log_one_minus_c = math.log(-math.expm1(-gamma_t))
    return (float(log_degeneracy(n_qubits, j)) + (lower * log_one_minus_c if lower else 0.0)
            + (n_qubits / 2 + j) * math.log1p(math.exp(-gamma_t)))


class _Recursion:
    r"""The j-recursion of :math:`\ln D^j_{mm'}` over all pairs of a set of Dicke indices.

    ``square=False``: the diagonal pairs (m, m) only; ``square=True``: every pair, as a
    matrix.  The indices are sorted by :math:`|m|`, so the pairs that have started by spin j
    (:math:`\max(|m|,|m'|)\le j`) are a leading segment (or square) of the arrays.
    """

    def __init__(self, n_qubits: int, gamma_t: float, ks: np.ndarray, square: bool):
        self.order = np.argsort(np.abs(n_qubits / 2 - ks), kind="stable")
        self.ks = ks[self.order]
        self.m = n_qubits / 2 - self.ks
        self.abs_m = np.abs(self.m)
        self.square = square
        self.gamma_t = gamma_t
        self.eps = math.tanh(gamma_t / 2)                # e^{-2 beta} = (1 - c)/(1 + c)
        self.x_eps = (1 + self.eps ** 2) / 2             # e^{-2 beta} cosh 2 beta
        self.log_a = -math.log1p(math.exp(-gamma_t))     # ln 1/(1 + c)
        self.log_b = self.log_a - gamma_t                # ln c/(1 + c)
        shape = (self.ks.size,) * (2 if square else 1)
        self.log_d = np.zeros(shape)
        self.inv = np.zeros(shape)           # D^{j-1} / D^j of the started pairs

    def _start(self, m1: np.ndarray, m2: np.ndarray) -> np.ndarray:
        r""":math:`\ln S^{j_0}_{m_1m_2}` at :math:`j_0 = \max(|m_1|, |m_2|)` (closed form).

        :math:`S^j = e^{-2\beta j}D^j = \mathrm{Sym}^{2j}(g)`, whose column :math:`m' = j` is
        :math:`\sqrt{\binom{2j}{j-m}}a^{j+m}b^{j-m}` (:math:`a = 1/(1+c)`, :math:`b = c/(1+c)`).
        """
        swap = np.abs(m1) > np.abs(m2)
        m, top = np.where(swap, m2, m1), np.where(swap, m1, m2)       # |top| = j0
        j0 = np.abs(top)
        m = np.where(top < 0, -m, m)                                   # S_{m,-j} = S_{-m,j}
        return (0.5 * log_binom(2 * j0, j0 - m) + (j0 + m) * self.log_a
                + (j0 - m) * self.log_b)

    def _begin(self, lo: int, hi: int) -> None:
        """Start the pairs whose larger |m| sits at positions lo..hi-1."""
        m = self.m
        if not self.square:
            self.log_d[lo:hi] = self._start(m[lo:hi], m[lo:hi])
            self.inv[lo:hi] = 0.0
            return
        self.log_d[lo:hi, :hi] = self._start(m[lo:hi, None], m[None, :hi])
        self.log_d[:lo, lo:hi] = self.log_d[lo:hi, :lo].T
        self.inv[lo:hi, :hi] = 0.0
        self.inv[:lo, lo:hi] = 0.0

    def _step(self, j: float, a: int) -> None:
        """From spin j to j + 1 on the first ``a`` indices (all started): the recursion of
        the module docstring for :math:`S^j = e^{-2\beta j}D^j`, on the ratios
        :math:`S^{j+1}/S^j` (``inv`` holds :math:`S^{j-1}/S^j`)."""
        if not a:
            return
        m = self.m[:a]
        if j == 0:                           # S^1_00 = e^{-2 beta} cosh 2 beta (0/0 below)
            ratio = np.full((a, a) if self.square else (a,), self.x_eps)
        else:
            eps = self.eps
            s = np.sqrt(np.maximum(j * j - m * m, 0.0)) * (eps * math.sqrt((j + 1) / j))
            u = 1.0 / np.sqrt((j + 1) ** 2 - m * m)
            f = (2 * j + 1) / j
            if self.square:
                ratio = (j * (j + 1) * self.x_eps) - (eps * m)[:, None] * m[None, :]
                ratio *= f
                ratio -= (s[:, None] * self.inv[:a, :a]) * s[None, :]
                ratio *= u[:, None]
                ratio *= u[None, :]
            else:
                ratio = (f * (j * (j + 1) * self.x_eps - eps * m * m)
                         - s * s * self.inv[:a]) * (u * u)
        view = (slice(0, a),) * (2 if self.square else 1)
        self.log_d[view] += np.log(ratio)
        np.divide(1.0, ratio, out=self.inv[view])

    def jump(self, j: float) -> int:
        r"""Start every pair at spin j directly (instead of recursing up from its own
        :math:`j_0`): :math:`S^j` and :math:`S^{j-1}` from :func:`log_sym_columns`.  Returns
        the number of indices started."""
        a = int(np.searchsorted(self.abs_m, j, side="right"))
        b = int(np.searchsorted(self.abs_m, j - 1, side="right"))
        m = self.m
        log_now = log_sym_columns(int(round(2 * j)), j + m[:a], j + m[:a], self.gamma_t)
        self.log_d[:a, :a] = log_now
        self.inv[:a, :a] = 0.0
        if b:
            log_before = log_sym_columns(int(round(2 * j)) - 2, j - 1 + m[:b], j - 1 + m[:b],
                                         self.gamma_t)
            self.inv[:b, :b] = np.exp(log_before - log_now[:b, :b])
        return a

    def run(self, last: float, wanted: set | None = None,
            first: float | None = None) -> Iterator[tuple[float, int]]:
        """Yield (j, a) for every spin j from the smallest |m| (or ``first``, by
        :meth:`jump`) to ``last``, only the ``wanted`` ones when given: ``log_d`` then holds
        :math:`\\ln S^j` on the first a indices."""
        started = 0
        two_j = int(round(2 * self.abs_m[0]))
        if first is not None and first > self.abs_m[0]:
            two_j = int(round(2 * first))
            started = self.jump(first)
        two_last = int(round(2 * last))
        while True:
            j = two_j / 2
            a = int(np.searchsorted(self.abs_m, j, side="right"))
            if a > started:
                self._begin(started, a)
                started = a
            if wanted is None or j in wanted:
                yield j, a
            if two_j >= two_last:
                return
            self._step(j, a)
            two_j += 2


def log_sym_columns(n: int, p: np.ndarray, q: np.ndarray, gamma_t: float) -> np.ndarray:
    r""":math:`\ln\mathrm{Sym}^n(g)_{pq}` for rows p and columns q (1-D arrays), by a recursion in p.

    Column q holds the coefficients :math:`M_p` of :math:`(ax+b)^q(bx+a)^{n-q}`
    (:math:`a = 1/(1+c)`, :math:`b = c/(1+c)`), which obey

    .. math::
        (p+1)M_{p+1} = (n-p+1)M_{p-1} + \kappa_pM_p,\qquad
        \kappa_p = q/c + (n-q)c - p(c + 1/c)

    (from :math:`(ax+b)(bx+a)P' = (qa(bx+a) + (n-q)b(ax+b))P`).  Run upward from
    :math:`M_0 = b^qa^{n-q}` while :math:`\kappa_p\ge0` and downward from :math:`M_n = a^qb^{n-q}`
    where :math:`\kappa_p\le0`, every term is positive, so each entry keeps its relative
    precision (on ratios, logarithms added: nothing under- or overflows).  Then
    :math:`\mathrm{Sym}^n(g)_{pq} = M_p\sqrt{\binom nq/\binom np}`.  Cost: n steps of vector
    operations over the columns.
    """
    c = math.exp(-gamma_t)
    log_a = -math.log1p(c)
    log_b = log_a - gamma_t
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    turn = np.floor((q + (n - q) * c * c) / (1 + c * c))       # kappa_p >= 0 up to here
    out = np.full((p.size, q.size), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):       # off-region columns: masked
        _columns_up(out, n, p, q, c, log_a, log_b, turn)
        _columns_down(out, n, p, q, c, log_a, log_b, turn)
    return out + 0.5 * (log_binom(n, q)[None, :] - log_binom(n, p)[:, None])


def _columns_up(out, n, p, q, c, log_a, log_b, turn) -> None:
    """Rows p <= turn of :func:`log_sym_columns`, upward from :math:`M_0 = b^qa^{n-q}`."""
    below = p[:, None] <= turn[None, :]
    rows = {int(r): i for i, r in enumerate(p)}
    top = int(max(p.max(initial=0), 0))
    log_m = q * log_b + (n - q) * log_a
    inv = np.zeros(q.size)                                      # M_{p-1} / M_p
    for k in range(0, top + 1):
        if k in rows:
            out[rows[k]] = np.where(below[rows[k]], log_m, out[rows[k]])
        if k == top or k >= turn.max():
            break
        ratio = ((n - k + 1) * inv + (q / c + (n - q) * c - k * (c + 1 / c))) / (k + 1)
        log_m = log_m + np.log(np.maximum(ratio, np.finfo(float).tiny))
        inv = 1.0 / ratio


def _columns_down(out, n, p, q, c, log_a, log_b, turn) -> None:
    """Rows p > turn of :func:`log_sym_columns`, downward from :math:`M_n = a^qb^{n-q}`."""
    below = p[:, None] <= turn[None, :]
    rows = {int(r): i for i, r in enumerate(p)}
    low = int(min(p.min(initial=n), n))
    log_m = q * log_a + (n - q) * log_b
    fwd = np.zeros(q.size)                                      # M_{p+1} / M_p
    for k in range(n, low - 1, -1):
        if k in rows:
            out[rows[k]] = np.where(below[rows[k]], out[rows[k]], log_m)
        if k == low:
            break
        ratio = ((k + 1) * fwd - (q / c + (n - q) * c - k * (c + 1 / c))) / (n - k + 1)
        log_m = log_m + np.log(np.maximum(ratio, np.finfo(float).tiny))
        fwd = 1.0 / ratio


class DickeTransfer:
    """The dephasing transfer of one Dicke ensemble of N qubits, on the support of a probe.

    :meth:`blocks` gives the diagonal of every block that meets the support (increasing j),
    :meth:`matrices` the transfer on chosen basis states of chosen blocks: the builder first
    decides what to keep from the diagonals, then asks for the matrices of only that.

    Parameters
    ----------
    n_qubits : int
    gamma_t : float
        :math:`\\gamma t` (>= 0).
    support : numpy.ndarray of int
        The Dicke indices the probe occupies (sorted).
    method : {"auto", "dense", "sparse"}
        "dense": the recursion in j of the module docstring; "sparse": the explicit sum (its
        cost grows with the distance of the support from :math:`|m| = N/2`); "auto": "sparse"
        for a support on :math:`|m| = N/2` only (GHZ-like probes), "dense" otherwise.
    """

    def __init__(self, n_qubits: int, gamma_t: float, support: np.ndarray,
                 method: str = "auto"):
        if method not in METHODS:
            raise QSNError(f"method must be 'auto', 'dense' or 'sparse', got {method!r}")
        self.n = int(n_qubits)
        self.gamma_t = float(gamma_t)
        self.support = np.asarray(support, dtype=int)
        if method == "auto":
            outer = np.all(np.abs(self.n / 2 - self.support) == self.n / 2)
            method = "sparse" if outer else "dense"
        self.method = "trivial" if self.gamma_t == 0 else method

    @property
    def tables(self) -> bool:
        """True when every block comes with its whole transfer (:attr:`Transfer.table`):
        explicit sums, the trivial transfer, and the recursion on a support of at most
        :data:`TABLE_ROWS` states (one pass over all pairs costs less than two passes)."""
        return self.method != "dense" or self.support.size <= TABLE_ROWS

    def blocks(self, first: float | None = None) -> Iterator[Transfer]:
        """The diagonal of every block that meets the support, in increasing j (with the
        whole transfer when :attr:`tables`); blocks below ``first`` are left out on the
        recursion's route (:meth:`tail` says what they hold at most)."""
        ks = self.support
        if self.method == "trivial":
            yield Transfer(self.n / 2, ks, np.ones(ks.size), np.ones((ks.size, ks.size)))
        elif self.method == "sparse":
            yield from self._sparse_blocks()
        elif self.tables:
            yield from self._table_blocks()
        else:
            yield from self._dense_blocks(first)

    def tail(self, j) -> np.ndarray:
        r"""An upper bound on :math:`\sum_{j'<j}T_{j'}(k,k)` for every Dicke index k.

        Local dephasing is the mixture :math:`\sum_S p^{|S|}(1-p)^{N-|S|}\sigma_z^S\rho\sigma_z^S`
        over sets S of flipped qubits, :math:`p = (1-c)/2`; :math:`\sigma_z^S` maps a Dicke
        state into spin :math:`|S|/2\otimes(N-|S|)/2`, whose total spins are
        :math:`\ge N/2-|S|`.  So blocks below j need more than :math:`N/2-j` flips:
        :math:`P(\mathrm{Binomial}(N, p) > N/2-j)` (:func:`scipy.stats.binom`), at any k.
        """
        flip = -math.expm1(-self.gamma_t) / 2
        return scipy.stats.binom.sf(self.n / 2 - np.asarray(j, dtype=float), self.n, flip)

    def _table_blocks(self) -> Iterator[Transfer]:
        """Every block with its whole transfer, from the recursion over all pairs."""
        N = self.n
        rec = _Recursion(N, self.gamma_t, self.support, square=True)
        half = 0.5 * log_binom(N, rec.ks)
        for j, a in rec.run(N / 2):
            perm = np.argsort(rec.order[:a])        # recursion order -> support order
            h = half[perm]
            log_t = (log_transfer_prefactor(N, j, self.gamma_t)
                     + rec.log_d[np.ix_(perm, perm)] - h[:, None] - h[None, :])
            table = np.exp(log_t)
            yield Transfer(j, rec.ks[perm], table.diagonal().copy(), table)

    def _dense_blocks(self, first: float | None) -> Iterator[Transfer]:
        N = self.n
        rec = _Recursion(N, self.gamma_t, self.support, square=False)
        log_binom_N = log_binom(N, rec.ks)
        for j, a in rec.run(N / 2):
            if first is not None and j < first:
                continue
            log_t = (log_transfer_prefactor(N, j, self.gamma_t) + rec.log_d[:a]
                     - log_binom_N[:a])
            perm = np.argsort(rec.order[:a])        # recursion order -> support order
            yield Transfer(j, rec.ks[perm], np.exp(log_t[perm]))

    def matrices(self, requests: Mapping[float, np.ndarray]
                 ) -> Iterator[tuple[float, np.ndarray]]:
        """``(j, T_j on ks[positions])`` for every ``j: positions`` asked, in increasing j.

        ``positions`` index the block's :attr:`Transfer.ks` (sorted).  Only the dense route
        computes here; refuses (QSNError naming the size) when the pairs would not fit in
        memory.
        """
        if self.tables:
            raise QSNError("internal: the transfer came with the diagonals")
        N = self.n
        wanted = {j: self.support[(np.abs(N / 2 - self.support) <= j)][np.asarray(pos)]
                  for j, pos in requests.items() if len(pos)}
        if not wanted:
            return
        rows = np.unique(np.concatenate(list(wanted.values())))
        check_memory(8 * 6 * rows.size ** 2,
                     f"local dephasing of {N} qubits: the transfer on {rows.size} kept Dicke "
                     "states (a larger truncation keeps fewer)")
        rec = _Recursion(N, self.gamma_t, rows, square=True)
        where = np.empty(rows.size, dtype=int)
        where[rec.order] = np.arange(rows.size)      # sorted row -> position in the recursion
        log_binom_N = log_binom(N, rows)
        first = min(wanted)
        jump = (self.gamma_t <= JUMP_MAX_GAMMA_T
                and first - rec.abs_m[0] >= JUMP_MIN_STEPS) or None
        for j, _ in rec.run(max(wanted), set(wanted), first if jump else None):
            idx = where[np.searchsorted(rows, wanted[j])]
            half = 0.5 * log_binom_N[np.searchsorted(rows, wanted[j])]
            log_t = (log_transfer_prefactor(N, j, self.gamma_t) + rec.log_d[np.ix_(idx, idx)]
                     - half[:, None] - half[None, :])
            yield j, np.exp(log_t)

    def _sparse_blocks(self) -> Iterator[Transfer]:
        """The blocks on a few Dicke indices from the explicit sum (GHZ-like probes)."""
        N = self.n
        c = math.exp(-self.gamma_t)
        log_a = -math.log1p(c)
        log_b = -self.gamma_t - math.log1p(c)
        support = self.support
        log_binom_N = log_binom(N, support)
        m = N / 2 - support
        for two_j in range(int(round(2 * np.abs(m).min())), N + 1, 2):
            j = two_j / 2
            inside = np.abs(m) <= j
            ks = support[inside]
            p = (N + two_j) // 2 - ks
            P, Q = np.meshgrid(p, p, indexing="ij")
            log_t = (log_sym_entries(np.full(P.shape, two_j), P, Q, log_a, log_b)
                     + log_transfer_prefactor(N, j, self.gamma_t)
                     - 0.5 * (log_binom_N[inside][:, None] + log_binom_N[inside][None, :]))
            T = np.exp(log_t)
            T = (T + T.T) / 2
            yield Transfer(j, ks, T.diagonal().copy(), T)


def log_sym_entries(n: np.ndarray, p: np.ndarray, q: np.ndarray, log_a: float,
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
        terms = (log_binom(qq, s) + log_binom(nn - qq, pp - s)
                 + (nn - pp - qq + 2 * s) * log_a
                 + np.where(power_b > 0, power_b * log_b, 0.0))
    terms = np.where(valid, terms, -np.inf)
    top = terms.max(axis=-1)
    safe = np.where(np.isfinite(top), top, 0.0)
    total = safe + np.log(np.exp(terms - safe[..., None]).sum(axis=-1))
    return np.where(np.isfinite(top), total, -np.inf) + 0.5 * (
        log_binom(n, q) - log_binom(n, p))
