r"""The Dicke blocks of a dephased probe: what is kept, and the order of the work.

:func:`dephased_blocks` turns a probe (ket or density matrix) on a product of sensor spaces into
a :class:`~qsn_qutip.noise.DickeBlockState`, with the transfers of
:mod:`qsn_qutip.noise.schur_weyl` for the Dicke ensembles (the other sensors are kept whole).

What is kept.  A basis state of a block (joint over :math:`(j_1, j_2, \dots)` with several
ensembles) is kept when its bound :math:`20\max(h,1)^2w` (w its population in the block, h the
half-spread of the generators there; :class:`~qsn_qutip.noise.DickeBlockState`) exceeds the
truncation divided by the number of candidate states; the bounds of the others add up to
``truncation_error``, a rigorous bound on the QFIM lost.

The order of the work, so that nothing is built that is not kept: the diagonal of every
block first (what the rule reads), then the whole transfer on the kept states of the kept
blocks only, block after block.  For one ensemble, two shortcuts skip what provably holds
nothing to keep: states whose population is below the allowance in every block together,
and the blocks below the binomial tail bound of :meth:`DickeTransfer.tail`.  Memory is checked
as blocks are planned (``tolerances.max_bytes``), before they are allocated.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator, Sequence

import numpy as np
import qutip

from .._linalg import ket_array
from ..errors import QSNError
from ..options import check_memory
from .combinatorics import degeneracy
from .dicke import BOUND_FACTOR, DickeBlock, DickeBlockState, SensorAxis
from .schur_weyl import DickeTransfer, Transfer

__all__ = ["ProbeSource", "dephased_blocks", "MAX_TABLE_ENTRIES", "TAIL_SAFETY"]

#: a joint (entangled) multi-ensemble Dicke-block computation refuses transfer tables this big
MAX_TABLE_ENTRIES = 20_000_000
#: the binomial tail bound of the skipped blocks is taken this many times over (a margin for
#: its own round-off)
TAIL_SAFETY = 2.0


class ProbeSource:
    """A probe on a product of sensor spaces, as a ket or a dense density matrix.

    Parameters
    ----------
    state : Qobj
        Ket or density matrix (checked by the caller).
    shape : sequence of int
        The dimension of every sensor, in order.
    """

    def __init__(self, state: qutip.Qobj, shape: Sequence[int]):
        self.shape = tuple(shape)
        if state.isket:
            self.ket = ket_array(state).astype(complex, copy=False)
            self.rho = None
            self.diag = np.abs(self.ket) ** 2
        else:
            self.ket = None
            self.rho = state.full()
            self.diag = self.rho.diagonal().real.copy()

    def sub(self, flat: np.ndarray) -> np.ndarray:
        """The probe's density matrix on the basis states ``flat`` (flat indices)."""
        if self.ket is not None:
            amp = self.ket[flat]
            return np.outer(amp, amp.conj())
        return self.rho[np.ix_(flat, flat)]

    @property
    def real(self) -> bool:
        """True when every amplitude (or entry) is real."""
        data = self.ket if self.ket is not None else self.rho
        return not np.any(data.imag)

    def marginal(self, s: int) -> np.ndarray:
        """The populations of sensor s's basis states (the diagonal of its reduced state)."""
        diag = self.diag.reshape(self.shape)
        return diag.sum(axis=tuple(a for a in range(len(self.shape)) if a != s))


@dataclasses.dataclass
class _Plan:
    """One block to build: its transfers, the kept positions in each, their basis states."""

    entries: tuple[Transfer, ...]
    positions: tuple[np.ndarray, ...]
    local: np.ndarray


class _Builder:
    """Dephase the Dicke axes of a probe into a :class:`DickeBlockState` (one call)."""

    def __init__(self, source: ProbeSource, axes: Sequence[SensorAxis],
                 gamma_ts: Sequence[float], truncation: float, method: str):
        self.source, self.axes = source, tuple(axes)
        self.marginals = [source.marginal(s) for s in range(len(axes))]
        supports = [np.flatnonzero(p > 0) for p in self.marginals]
        self.transfers = [DickeTransfer(axis.qubits, gamma_ts[s], supports[s], method)
                          if axis.qubits is not None else None for s, axis in enumerate(axes)]
        counts = [supports[s].size * (axis.qubits // 2 + 1) if axis.qubits is not None
                  else axis.size for s, axis in enumerate(axes)]
        self.allowance = truncation / max(1, math.prod(counts))
        self.dropped = 0.0
        self.nbytes = 0
        self.real = source.real
        self.plans: list[_Plan] = []

    def whole(self, s: int) -> list[Transfer]:
        """The one trivial block of a sensor kept whole."""
        size = self.axes[s].size
        return [Transfer(None, np.arange(size), np.ones(size))]

    def consider(self, entries: Sequence[Transfer]) -> _Plan | None:
        """The basis states of one (joint) block whose bound exceeds the allowance (None when
        none is kept); the memory of the kept blocks is checked as they are planned."""
        diag = self.source.diag.reshape(self.source.shape)[np.ix_(*[e.ks for e in entries])]
        for s, e in enumerate(entries):
            shape = [1] * len(entries)
            shape[s] = e.ks.size
            diag = diag * e.diag.reshape(shape)
        h = sum(axis.half_spread(e.j) for axis, e in zip(self.axes, entries))
        bound = BOUND_FACTOR * max(h, 1.0) ** 2 * diag
        keep = (diag > 0) & (bound > self.allowance)
        self.dropped += float(bound[(diag > 0) & ~keep].sum())
        kept = np.flatnonzero(keep.ravel())
        if not kept.size:
            return None
        self.nbytes += (8 if self.real else 16) * kept.size ** 2
        check_memory(self.nbytes, f"local dephasing: the kept Dicke blocks ({len(self.plans) + 1}"
                     f" so far, the last of {kept.size} rows; a larger truncation keeps fewer)")
        positions = np.unravel_index(kept, diag.shape)
        local = np.stack([e.ks[pos] for e, pos in zip(entries, positions)], axis=1)
        return _Plan(tuple(entries), tuple(positions), local)

    def prefilter(self) -> None:
        """Single dense ensemble: drop up front the basis states no block can keep.

        A state of population w has the bound :math:`20\\max(h,1)^2wT_j(k,k)` in block j, at
        most :math:`20\\max(h_{\\max},1)^2w` in all blocks together (the :math:`T_j(k,k)` add up
        to one over j); below the allowance it is never kept, and that total is dropped.
        """
        transfer, axis = self.transfers[0], self.axes[0]
        weight = BOUND_FACTOR * max(axis.half_spread(axis.qubits / 2), 1.0) ** 2
        population = self.marginals[0][transfer.support]
        keep = weight * population > self.allowance
        self.dropped += float(weight * population[~keep].sum())
        transfer.support = transfer.support[keep]

    def first_block(self) -> float | None:
        """Single dense ensemble: the first block that can keep a state, by the binomial tail
        of :meth:`DickeTransfer.tail` (every entry below has a bound under the allowance; their
        total is dropped).  Saves building the diagonals of the far blocks of a large
        ensemble, whose kept blocks sit near :math:`j = cN/2`."""
        transfer, axis = self.transfers[0], self.axes[0]
        if not transfer.support.size:
            return None
        two_js = np.arange(int(round(2 * np.abs(axis.qubits / 2 - transfer.support).min())),
                           axis.qubits + 1, 2)
        js = two_js / 2
        spread = np.maximum([axis.half_spread(j) for j in js], 1.0)
        bounds = BOUND_FACTOR * spread ** 2 * np.maximum(TAIL_SAFETY * transfer.tail(js),
                                                         np.finfo(float).tiny)
        below = np.flatnonzero(bounds <= self.allowance)      # a prefix: bounds grow with j
        if below.size < 2:
            return None
        first = below[-1]
        self.dropped += float(bounds[first] * self.marginals[0][transfer.support].sum())
        return float(js[first])

    def build(self) -> DickeBlockState:
        """Plan every block from the diagonals, then compute the kept matrices only."""
        single = len(self.axes) == 1 and self.transfers[0] is not None
        blocks = self.single() if single else self.joint()
        return DickeBlockState(blocks, self.axes, truncation_error=self.dropped)

    def single(self) -> list[DickeBlock]:
        """One Dicke ensemble: blocks streamed in increasing j (one transfer at a time)."""
        transfer = self.transfers[0]
        first = None
        if transfer.method == "dense":
            self.prefilter()
            first = self.first_block()
        blocks = []
        for e in transfer.blocks(first):
            plan = self.consider((e,))
            if plan is not None and e.table is not None:
                blocks.append(self.block(plan, [{}]))
            elif plan is not None:
                self.plans.append(plan)
        for plan, (j, union, matrix) in zip(self.plans, self.requested(0)):
            blocks.append(self.block(plan, [{j: (union, matrix)}]))
        return blocks

    def joint(self) -> list[DickeBlock]:
        """Several sensors: joint blocks over every combination of their blocks."""
        tables = [list(t.blocks()) if t is not None else self.whole(s)
                  for s, t in enumerate(self.transfers)]
        self.check_joint(tables)
        for entries in itertools.product(*tables):
            plan = self.consider(entries)
            if plan is not None:
                self.plans.append(plan)
        matrices = [{j: (union, matrix) for j, union, matrix in self.requested(s)}
                    for s in range(len(self.axes))]
        return [self.block(plan, matrices) for plan in self.plans]

    def requested(self, s: int) -> Iterator[tuple[float, np.ndarray, np.ndarray]]:
        """Sensor s's transfer on the kept states of every planned block that needs one from
        the recursion: ``(j, positions, matrix)`` in increasing j."""
        transfer = self.transfers[s]
        if transfer is None or transfer.tables:
            return
        requests: dict = {}
        for plan in self.plans:
            requests.setdefault(plan.entries[s].j, []).append(plan.positions[s])
        union = {j: np.unique(np.concatenate(p)) for j, p in requests.items()}
        for j, matrix in transfer.matrices(union):
            yield j, union[j], matrix

    def block(self, plan: _Plan, matrices: list[dict]) -> DickeBlock:
        """The density matrix of one planned block."""
        flat = np.ravel_multi_index(tuple(plan.local.T), self.source.shape)
        rho = self.source.sub(flat)
        for s, (e, pos) in enumerate(zip(plan.entries, plan.positions)):
            if e.j is None:
                continue                                   # a sensor kept whole: all ones
            if e.table is not None:
                rho = rho * e.table[np.ix_(pos, pos)]
            else:
                union, matrix = matrices[s][e.j]
                at = np.searchsorted(union, pos)
                rho = rho * matrix[np.ix_(at, at)]
        if self.real:
            rho = rho.real
        rho = (rho + rho.conj().T) / 2
        labels = tuple(e.j for e in plan.entries)
        copies = math.prod(degeneracy(axis.qubits, e.j) for axis, e in zip(self.axes, plan.entries)
                           if axis.qubits is not None)
        return DickeBlock(labels, plan.local, rho, copies)

    def check_joint(self, tables: list[list[Transfer]]) -> None:
        """Refuse entangled probes of several Dicke ensembles whose tables would be huge."""
        qubits = [a.qubits for a in self.axes]
        entries = sum(t.support.size ** 2 * (t.n // 2 + 1) for t in self.transfers
                      if t is not None and t.method == "dense")
        if entries > MAX_TABLE_ENTRIES:
            raise QSNError(
                f"an entangled probe of Dicke ensembles with {qubits} qubits needs "
                f"{entries:.3g} transfer entries (limit {MAX_TABLE_ENTRIES:.3g}): product and "
                "GHZ-like probes are cheap, general entangled probes are not")
        joint = math.prod(sum(e.ks.size ** 2 for e in table) for table in tables)
        if joint > MAX_TABLE_ENTRIES:
            raise QSNError(
                f"an entangled probe of Dicke ensembles with {qubits} qubits spreads over joint "
                f"(j_1, j_2, ...) blocks of up to {joint:.3g} entries (limit "
                f"{MAX_TABLE_ENTRIES:.3g}): product and GHZ-like probes are cheap at any size, "
                "a general entangled probe only for small ensembles")


def dephased_blocks(source: ProbeSource, axes: Sequence[SensorAxis],
                    gamma_ts: Sequence[float], truncation: float,
                    method: str = "auto") -> DickeBlockState:
    r"""Dephase the Dicke ensembles of a probe (rates ``gamma_ts``) into a :class:`DickeBlockState`.

    Every sensor with ``qubits`` is split into j-blocks with the transfer of the module
    docstring (:math:`\gamma t = 0` keeps it in its symmetric block); the others are kept whole.
    With several Dicke ensembles the blocks are joint, over :math:`(j_1, j_2, \dots)`, built
    from the probe's support only.  A basis state is kept when its bound
    :math:`20\max(h,1)^2w` (:class:`DickeBlockState`) exceeds ``truncation`` divided by the
    number of candidate states; the dropped bounds add up to ``truncation_error``.

    Parameters
    ----------
    source : ProbeSource
    axes : sequence of SensorAxis
    gamma_ts : sequence of float
        :math:`\gamma t` per sensor (0 for sensors kept whole).
    truncation : float
    method : {"auto", "dense", "sparse"}
        As in :class:`DickeTransfer`.

    Returns
    -------
    DickeBlockState
    """
    return _Builder(source, axes, gamma_ts, truncation, method).build()
