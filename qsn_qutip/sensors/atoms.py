r"""Multi-level atoms in a field: an l-level Zeeman ladder or a spin-j atom with chosen axes.

``MultiLevelAtom(levels=[...])``: each atom's generator is :math:`\mathrm{diag}(\text{levels})`
(the Zeeman shifts per unit field), one parameter, :math:`\kappa = \max - \min` per atom.
``MultiLevelAtom(spin=j, axes="xyz")``: the generators are the requested angular-momentum
components :math:`\hat J_a` in the order given (``axes="xyz"`` is the 3-D field of Theorem 2,
whose generators do not commute).  ``atoms`` identical atoms share the sensor; generators are
summed over atoms and the resource is the number of atoms.
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np
import qutip

from ..errors import QSNError
from .._checks import as_positive_int, as_real_vector
from .base import Sensor

__all__ = ["MultiLevelAtom"]

#: the tensor space of several atoms is refused above this dimension
MAX_DIMENSION = 2 ** 20


class MultiLevelAtom(Sensor):
    r"""``atoms`` identical multi-level atoms: Zeeman ladder ``levels`` or spin ``j`` along ``axes``.

    Parameters
    ----------
    levels : sequence of float, optional
        Zeeman shifts of the l levels (the generator is their diagonal matrix).
    spin : float, optional
        Spin quantum number j (integer or half-integer); with ``axes``.
    axes : str
        Components of the field to estimate, any of "x", "y", "z" without repeats, in
        parameter order (only with ``spin``).
    atoms : int
        Number of identical atoms in the sensor.
    name : str, optional

    Examples
    --------
    >>> MultiLevelAtom(levels=[-1, 0, 1]).kappa
    2.0
    >>> MultiLevelAtom(spin=1, axes="xyz").n_params
    3
    """

    kind = "atom"
    #: the product state is one state per atom (the QFI scales as the number of atoms)
    independent_particles = True
    model_keys = {"spin": float, "axes": str, "levels": list, "atoms": int}

    def __init__(self, levels=None, *, spin: float | None = None, axes: str = "z",
                 atoms: int = 1, name: str | None = None):
        super().__init__(name=name)
        if (levels is None) == (spin is None):
            raise QSNError("give exactly one of levels=[...] or spin=j")
        self.atoms = as_positive_int(atoms, "atoms")
        if levels is not None:
            if axes != "z":
                raise QSNError(f"axes goes with spin=j; a Zeeman ladder (levels=...) has the "
                               f"single axis z, got axes={axes!r}")
            self.levels = as_real_vector(levels, "levels")
            if self.levels.size < 2:
                raise QSNError(f"levels needs at least 2 entries, got {self.levels.size}")
            self.spin, self.axes = None, "z"
            self.level_count = self.levels.size
        else:
            if isinstance(spin, bool) or not isinstance(spin, numbers.Real):
                raise QSNError(f"spin must be a positive integer or half-integer, got {spin!r}")
            twice = 2 * float(spin)
            if not np.isfinite(twice) or twice <= 0 or twice != round(twice):
                raise QSNError(f"spin must be a positive integer or half-integer, got {spin!r}")
            if (not isinstance(axes, str) or not axes or set(axes) - set("xyz")
                    or len(set(axes)) != len(axes)):
                raise QSNError(f"axes must be distinct letters from 'xyz', got {axes!r}")
            self.levels, self.spin, self.axes = None, float(spin), axes
            self.level_count = int(round(twice)) + 1
        # checked before anything is allocated (spin=1e9 would otherwise build 2e9 levels)
        if (self.atoms * math.log2(self.level_count) > math.log2(MAX_DIMENSION) + 1
                or self.level_count ** self.atoms > MAX_DIMENSION):   # exact once it is small
            given = f"spin={spin!r}" if spin is not None else f"{self.level_count} levels"
            raise QSNError(f"{given}, atoms={self.atoms}: {self.atoms} atom(s) of "
                           f"{self.level_count} levels need dimension {self.level_count}^"
                           f"{self.atoms}, above the limit {MAX_DIMENSION} "
                           f"(qsn_qutip.sensors.atoms.MAX_DIMENSION)")
        single = ([qutip.qdiags(self.levels, 0)] if self.levels is not None
                  else [qutip.jmat(self.spin, a) for a in axes])
        self._generators = [self._collective(op) for op in single]

    def _collective(self, op: qutip.Qobj) -> qutip.Qobj:
        """The sum over atoms of ``op`` acting on one atom."""
        if self.atoms == 1:
            return op
        eye = qutip.qeye(self.level_count)
        return sum(qutip.tensor([op if j == k else eye for j in range(self.atoms)])
                   for k in range(self.atoms))

    @property
    def dims(self) -> list[int]:
        return [self.level_count] * self.atoms

    @property
    def generators(self) -> list[qutip.Qobj]:
        return list(self._generators)

    @property
    def resource_operator(self) -> qutip.Qobj:
        return self.atoms * qutip.qeye(self.dims)

    @property
    def particles(self) -> int:
        return self.atoms

    @property
    def kappa(self) -> float:
        if self.levels is not None:
            return float(self.levels.max() - self.levels.min())
        return 2.0 * self.spin

    @property
    def label(self) -> str:
        """``"atom j=1 (xyz)"``, ``"3 atoms j=0.5 (z)"`` or ``"atom, 3 levels"``."""
        count = "atom" if self.atoms == 1 else f"{self.atoms} atoms"
        return (f"{count} j={self.spin:g} ({self.axes})" if self.spin is not None
                else f"{count}, {self.level_count} levels")

    @property
    def field_axes(self) -> str:
        """The field components the parameters sense: ``axes`` (``"z"`` for a Zeeman ladder)."""
        return self.axes

    def with_particles(self, n: int) -> "MultiLevelAtom":
        if self.levels is not None:
            return MultiLevelAtom(self.levels, atoms=n, name=self.name)
        return MultiLevelAtom(spin=self.spin, axes=self.axes, atoms=n, name=self.name)

    def product_state(self) -> qutip.Qobj:
        r"""Every atom in :math:`(|\lambda_{\min,1}\rangle+|\lambda_{\max,1}\rangle)/\sqrt2`
        of the first generator (QFI :math:`\kappa^2` per atom for that parameter)."""
        single = self.with_particles(1)
        if single.n_params != 1:
            single = MultiLevelAtom(spin=self.spin, axes=self.axes[0])
        one = single.local_ghz()
        return one if self.atoms == 1 else qutip.tensor([one] * self.atoms)

    def spin_basis(self, axis: str) -> tuple[qutip.Qobj, list[str]]:
        r"""Spin atoms: every atom's :math:`\hat J_a` eigenbasis, outcomes ``"m_1/m_2/..."``; a
        Zeeman ladder (``levels=...``) has no spin (:meth:`Sensor.spin_basis` raises).

        Examples
        --------
        >>> MultiLevelAtom(spin=0.5, atoms=2).spin_basis("z")[1]
        ['-0.5/-0.5', '-0.5/+0.5', '+0.5/-0.5', '+0.5/+0.5']
        """
        if self.spin is None:
            return super().spin_basis(axis)
        values, one = np.linalg.eigh(qutip.jmat(self.spin, self._axis(axis)).full())
        mats = one
        for _ in range(self.atoms - 1):
            mats = np.kron(mats, one)
        ms = [f"{v:+g}" for v in np.round(values, 9)]
        return self._as_operator(mats), ["/".join(c) for c in itertools.product(
            ms, repeat=self.atoms)]

    def _repr_args(self) -> str:
        what = (f"levels={self.levels.tolist()}" if self.levels is not None
                else f"spin={self.spin:g}, axes={self.axes!r}")
        return what + (f", atoms={self.atoms}" if self.atoms != 1 else "")
