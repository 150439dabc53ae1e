r"""Permutation-invariant states of qubit ensembles as Dicke blocks (:class:`DickeBlockState`).

For a :class:`~qsn_qutip.QubitEnsemble` in the Dicke basis, local dephasing or decay leaves the
symmetric subspace, but the state stays permutation invariant: block diagonal over the total
spins j, each block :math:`\rho_j` repeated on the :math:`d_j` equivalent irreducible copies
(:func:`qutip.piqs.state_degeneracy`).  :class:`DickeBlockState` holds the blocks in the
convention of :mod:`qutip.piqs` (each block is the *sum* over its copies, the blocks' traces add
up to one); with several sensors the blocks run over tuples :math:`(j_1, j_2, \dots)` (per-sensor
permutation invariance), and a sensor that is not a Dicke ensemble is kept whole.

QFI of block-diagonal states (the trap of qutip issue #993).  The full-space state is
:math:`\bigoplus_j\bigoplus_{\alpha=1}^{d_j}\rho_j/d_j` and every generator preserves each copy.
The SLD QFI is additive over orthogonal blocks preserved by the generator and homogeneous of
degree one, :math:`F(\rho/d) = F(\rho)/d`, so
:math:`F = \sum_j d_j F(\rho_j/d_j) = \sum_j F(\rho_j)`: the blocks of the piqs convention enter
with *no* degeneracy factor (:func:`~qsn_qutip.estimation.blocks.block_qfim`).  A function that
is not homogeneous of degree one does need the factors: :meth:`DickeBlockState.purity` is
:math:`\sum_j\mathrm{Tr}\rho_j^2/d_j` and :meth:`DickeBlockState.entropy` is
:math:`-\sum_j\sum_i\lambda_{j,i}\ln(\lambda_{j,i}/d_j)`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import numpy as np
import qutip
import scipy.linalg

from .._io import html_table
from ..errors import QSNError
from ..estimation.blocks import block_qfim
from ..options import tolerances
from ..sensors import Sensor
from .combinatorics import degeneracy

__all__ = ["SensorAxis", "DickeBlock", "DickeBlockState", "BOUND_FACTOR", "FULL_LIMIT"]

#: the constant of the truncation bound F(rho) <= F(kept) + 20 h^2 w (DickeBlockState)
BOUND_FACTOR = 20.0
#: to_full refuses to build matrices with more rows than this (it is meant for checks)
FULL_LIMIT = 4096


@dataclasses.dataclass(frozen=True)
class SensorAxis:
    """One sensor of a block state: a Dicke ensemble (split into j-blocks) or kept whole.

    Attributes
    ----------
    dims : tuple of int
        The sensor's ket dims.
    qubits : int or None
        n for an ensemble in the Dicke basis, None for a sensor kept whole.
    generators : tuple of numpy.ndarray
        The diagonal of each generator over the sensor's basis.
    """

    dims: tuple[int, ...]
    qubits: int | None
    generators: tuple[np.ndarray, ...]

    @property
    def size(self) -> int:
        """Dimension of the sensor's space."""
        return int(np.prod(self.dims))

    def half_spread(self, label) -> float:
        """Half the spread of the generators on block ``label`` (a bound on the shifted norm)."""
        if self.qubits is not None:
            return float(label) * len(self.generators)
        return sum(float(np.ptp(g)) / 2 for g in self.generators)


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
    of any sensor kept whole).  Made by :func:`~qsn_qutip.noise.local_dephasing`,
    :func:`~qsn_qutip.noise.local_decay` and :func:`~qsn_qutip.noise.apply_noise`;
    :meth:`from_dicke_dm` reads a :mod:`qutip.piqs` density matrix.  Only the basis states a
    block actually occupies are stored; entries dropped as negligible (``truncation``) change
    the QFIM by at most :attr:`truncation_error`.

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

    def __init__(self, blocks: Sequence[DickeBlock], axes: Sequence[SensorAxis],
                 truncation_error: float = 0.0):
        self.blocks = list(blocks)
        self._axes = tuple(axes)
        self.truncation_error = float(truncation_error)

    # -- description -----------------------------------------------------------------------
    @property
    def axes(self) -> tuple[SensorAxis, ...]:
        """The sensors of the state, in network order."""
        return self._axes

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

    def _repr_html_(self, max_rows: int = 12) -> str:
        """The heaviest blocks for Jupyter: total spins, weight, stored size, copies."""
        heaviest = sorted(self.blocks, key=lambda b: -b.weight)[:max_rows]
        rows = [[", ".join("–" if j is None else f"{j:g}" for j in b.j), b.weight,
                 b.rho.shape[0], b.degeneracy] for b in heaviest]
        more = len(self.blocks) - len(heaviest)
        return html_table(["j", "weight", "stored size", "copies"], rows,
                          caption=f"DickeBlockState: qubits {self.qubits}, "
                                  f"{len(self.blocks)} blocks, trace {self.trace():.12g}",
                          notes=[f"... {more} lighter blocks" if more > 0 else "",
                                 f"truncation error of the QFIM <= "
                                 f"{self.truncation_error:.3g}"])

    # -- information --------------------------------------------------------------------
    def generator_values(self, block: DickeBlock) -> list[np.ndarray]:
        """Every generator's diagonal on the block's kept basis states, in parameter order."""
        return [diag[block.index[:, s]] for s, axis in enumerate(self._axes)
                for diag in axis.generators]

    def qfim(self) -> np.ndarray:
        r"""The QFIM for every sensor's generators, summed block by block (SLD formula).

        .. math::
            F_{kl} = \sum_{\mathbf j}2\sum_{\lambda_a+\lambda_b>0}
            \frac{\mathrm{Re}\,D_{k,ab}\overline{D_{l,ab}}}{\lambda_a+\lambda_b},\qquad
            D_{k,ab} = \langle a|[\rho_{\mathbf j},\hat H_k]|b\rangle = (\lambda_a-\lambda_b)H_{k,ab},

        over the eigen-decomposition of each block :math:`\rho_{\mathbf j}` (no degeneracy
        factor: the SLD QFI is homogeneous of degree one), by
        :func:`~qsn_qutip.estimation.blocks.block_qfim`: a QFI far below
        :math:`\mathrm{Tr}(\rho H^2)` (a long-dephased GHZ state) keeps its relative precision.
        Eigenvalues below ``tolerances.eig_cutoff`` times the largest of all blocks count as
        zero, as in :func:`~qsn_qutip.qfim` (a block whose trace is below that is skipped).

        Returns
        -------
        numpy.ndarray
            The d x d QFIM, parameters in sensor order.
        """
        if not self.blocks:
            return np.zeros((self.n_params, self.n_params))
        return block_qfim([b.rho for b in self.blocks],
                          [self.generator_values(b) for b in self.blocks])

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

    # -- channels on the blocks ------------------------------------------------------------
    def truncated(self, truncation: float) -> "DickeBlockState":
        """Drop negligible basis states (the rule of the Schur-Weyl builder: every dropped
        state's bound :math:`20\\max(h, 1)^2w` below ``truncation`` / (kept states))."""
        count = sum(b.rho.shape[0] for b in self.blocks)
        allowance = truncation / max(1, count)
        blocks, dropped = [], self.truncation_error
        for b in self.blocks:
            h = sum(axis.half_spread(j) for axis, j in zip(self._axes, b.j))
            diag = b.rho.diagonal().real
            bound = BOUND_FACTOR * max(h, 1.0) ** 2 * np.clip(diag, 0, None)
            keep = (diag > 0) & (bound > allowance)
            dropped += float(bound[~keep].sum())
            if keep.any():
                idx = np.flatnonzero(keep)
                blocks.append(dataclasses.replace(b, index=b.index[idx],
                                                  rho=b.rho[np.ix_(idx, idx)]))
        return DickeBlockState(blocks, self._axes, dropped)

    def phase_diffused(self, rates: Sequence[float], correlated: bool) -> "DickeBlockState":
        r"""Phase diffusion :math:`\rho_{ab}\to\rho_{ab}e^{-\Gamma t(h_a-h_b)^2/2}` of every sensor's
        first generator (``rates``: :math:`\Gamma t` per sensor), independent or one common field."""
        if len(rates) != len(self._axes):
            raise QSNError("state is a block state of another network")
        active = [s for s, r in enumerate(rates) if r > 0]
        blocks = []
        for b in self.blocks:
            values = [axis.generators[0][b.index[:, s]] if axis.generators
                      else np.zeros(len(b.index)) for s, axis in enumerate(self._axes)]
            if correlated:
                total = sum(values[s] for s in active) if active else np.zeros(len(b.index))
                diff = total[:, None] - total[None, :]
                factor = np.exp(-0.5 * (rates[active[0]] if active else 0.0) * diff ** 2)
            else:
                exponent = sum(r * (v[:, None] - v[None, :]) ** 2 for r, v in zip(rates, values))
                factor = np.exp(-0.5 * exponent)
            blocks.append(dataclasses.replace(b, rho=b.rho * factor))
        return DickeBlockState(blocks, self._axes, self.truncation_error)

    # -- conversions ----------------------------------------------------------------------
    @classmethod
    def from_dicke_dm(cls, rho: qutip.Qobj, n: int, *, sensor: Sensor | None = None
                      ) -> "DickeBlockState":
        r"""Read a density matrix in the :mod:`qutip.piqs` Dicke basis (``num_dicke_states(n)``).

        Blocks are taken in the piqs order (j from n/2 down, m from j down).  Coherences
        between different j are not allowed (the state must be block diagonal).  The
        generator is :math:`\hat J_z` (``sensor``, a Dicke ensemble of n qubits, is accepted
        for compatibility and not needed).
        """
        from qutip import piqs
        n = int(n)
        nds = piqs.num_dicke_states(n)
        if not isinstance(rho, qutip.Qobj) or rho.shape != (nds, nds):
            raise QSNError(f"rho must be a {nds} x {nds} piqs Dicke-basis density matrix for "
                           f"n = {n}, got {getattr(rho, 'shape', type(rho).__name__)}")
        mat = rho.full()
        blocks, start = [], 0
        for two_j in range(n, -1, -2):
            j, size = two_j / 2, two_j + 1
            block = mat[start:start + size, start:start + size]
            off = np.abs(mat[start:start + size, :]).sum() - np.abs(block).sum()
            if off > tolerances.atol:
                raise QSNError("rho has coherences between different j-blocks")
            keep = np.flatnonzero(np.abs(block.diagonal()) > 0)
            if keep.size:
                k = (n - two_j) // 2 + keep
                sub = block[np.ix_(keep, keep)]
                if not np.any(sub.imag):
                    sub = sub.real.copy()
                blocks.append(DickeBlock((float(j),), k[:, None], sub, degeneracy(n, j)))
            start += size
        axis = SensorAxis((n + 1,), n, (n / 2 - np.arange(n + 1),))
        return cls(blocks, [axis])

    def to_qobj(self, basis: str = "full") -> qutip.Qobj:
        """The state as one :class:`qutip.Qobj` — the conversion every state class names
        ``to_qobj`` (:class:`~qsn_qutip.noise.NoisyProduct`, :class:`~qsn_qutip.LocalOperator`).

        Parameters
        ----------
        basis : {"full", "dicke"}
            ``"full"``: :math:`2^n` amplitudes per ensemble (:meth:`to_full`, small n only);
            ``"dicke"``: the :mod:`qutip.piqs` Dicke-basis matrix of a single ensemble
            (:meth:`to_dicke_dm`).  Both older names stay.

        Examples
        --------
        >>> from qsn_qutip import QubitEnsemble
        >>> from qsn_qutip.noise import local_dephasing
        >>> rho = local_dephasing(QubitEnsemble(2).local_ghz(), QubitEnsemble(2), 0.1)
        >>> rho.to_qobj().dims, rho.to_qobj("dicke").shape
        ([[2, 2], [2, 2]], (4, 4))
        """
        if basis == "full":
            return self.to_full()
        if basis == "dicke":
            return self.to_dicke_dm()
        raise QSNError(f"basis must be 'full' or 'dicke', got {basis!r}")

    def to_dicke_dm(self) -> qutip.Qobj:
        """The state as a :mod:`qutip.piqs` Dicke-basis density matrix (one ensemble only);
        also ``to_qobj("dicke")``."""
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
        r"""The state on the full space: :math:`2^n` amplitudes per Dicke ensemble (small n only);
        also ``to_qobj()``.

        Dims are ``[2] * n`` for every Dicke ensemble (qubit ``|0>`` = spin up) and the
        sensor's own dims otherwise.
        """
        total = 1
        for axis in self._axes:
            total *= 2 ** axis.qubits if axis.qubits is not None else axis.size
        if total > FULL_LIMIT:
            raise QSNError(f"to_full would build a {total} x {total} matrix; it is meant for "
                           "checks on small ensembles")
        bases = [coupled_basis(axis.qubits) if axis.qubits is not None else None
                 for axis in self._axes]
        dims = [d for axis in self._axes
                for d in ([2] * axis.qubits if axis.qubits is not None else list(axis.dims))]
        out = np.zeros((total, total), dtype=complex)
        for b in self.blocks:
            W = self._isometry(b, bases)                # (copies, total, size)
            A = (W @ b.rho).transpose(1, 0, 2).reshape(total, -1)
            out += A @ W.conj().transpose(1, 0, 2).reshape(total, -1).T / b.degeneracy
        return qutip.Qobj(out, dims=[dims, dims])

    def _isometry(self, block: DickeBlock, bases: list) -> np.ndarray:
        """Every kept basis state of ``block`` on the full space, for each copy."""
        columns = []
        for row in block.index:
            vec = None
            for s, axis in enumerate(self._axes):
                if axis.qubits is not None:
                    factor = bases[s][(block.j[s], axis.qubits / 2 - row[s])]
                else:
                    factor = np.zeros((axis.size, 1))
                    factor[row[s], 0] = 1.0
                vec = factor if vec is None else np.einsum(
                    "ia,jb->ijab", vec, factor).reshape(vec.shape[0] * factor.shape[0], -1)
            columns.append(vec)
        return np.stack(columns).transpose(2, 1, 0)


@functools.lru_cache(maxsize=16)
def coupled_basis(n: int) -> dict:
    r"""``{(j, m): (2^n x d_j) array}``: the coupled basis :math:`|j,m,\alpha\rangle` of n qubits.

    Highest weights from the kernel of :math:`J_+` in each :math:`J_z = j` subspace, lowered
    with :math:`J_-` (Condon-Shortley phases, the convention of :func:`qutip.jmat` and piqs).
    """
    jp = sum(qutip.tensor([qutip.jmat(0.5, "+") if i == k else qutip.qeye(2)
                           for i in range(n)]) for k in range(n)).full()
    jm = jp.conj().T
    m_of = np.array([n / 2 - bin(x).count("1") for x in range(2 ** n)])
    out = {}
    for two_j in range(n, -1, -2):
        j = two_j / 2
        sub = np.flatnonzero(m_of == j)
        null = scipy.linalg.null_space(jp[:, sub])      # highest weights: killed by J_+
        vec = np.zeros((2 ** n, null.shape[1]), dtype=complex)
        vec[sub] = null
        for two_m in range(two_j, -two_j - 1, -2):
            m = two_m / 2
            out[(j, m)] = vec
            if two_m > -two_j:
                vec = jm @ vec / math.sqrt(j * (j + 1) - m * (m - 1))
    return out
