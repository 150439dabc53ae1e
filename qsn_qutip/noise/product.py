r"""Probes that are products over groups of sensors, noised factor by factor.

Local channels map a product :math:`\bigotimes_g\rho_g` to a product, and the QFIM of a product
for generators that act on one factor each is block diagonal, each block the QFIM of its
factor (the SLD of one factor has zero mean on it).  So a ket that is a product over sensors
(the local GHZ and product probes of a network) is split (:func:`factorize`), every factor is
noised on its own sensors, and :class:`NoisyProduct` keeps the factors: a network of
thousand-qubit ensembles costs what its ensembles cost one by one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import qutip

from .._io import html_table
from .._linalg import ket_array
from ..estimation.qfim import qfim
from ..network import Network
from ..options import tolerances
from .dicke import DickeBlockState

__all__ = ["NoisyProduct", "rank_one", "factorize"]


def rank_one(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(u, v)`` with ``matrix = outer(u, v)`` when it is rank one, else None.

    Rank one means a residual below ``tolerances.product_rtol`` times the norm of the matrix
    (the Schmidt coefficients past the first, relatively).  Linear cost: u is the column of
    largest norm, normalised; the residual is checked.

    Examples
    --------
    >>> u, v = rank_one(np.outer([1.0, 2.0], [3.0, 4.0]))
    >>> bool(np.allclose(np.outer(u, v), [[3, 4], [6, 8]]))
    True
    >>> rank_one(np.eye(2)) is None
    True
    """
    norms = np.einsum("ij,ij->j", matrix.conj(), matrix).real
    col = int(np.argmax(norms))
    if norms[col] == 0:
        return None
    u = matrix[:, col] / math.sqrt(norms[col])
    v = u.conj() @ matrix
    residual = matrix - np.outer(u, v)
    if np.linalg.norm(residual) > tolerances.product_rtol * math.sqrt(norms.sum()):
        return None
    return u, v


def factorize(state: qutip.Qobj, network: Network) -> list[tuple[list[int], qutip.Qobj]]:
    """Split a ket into factors, peeling sensors off the front while it is a product.

    A sensor without parameters is merged with the next factor (a factor must carry a
    parameter to be a network of its own).

    Returns
    -------
    list of (list of int, Qobj)
        The sensors of every factor (network order) and its ket.
    """
    sizes = [s.size for s in network.sensors]
    rest = ket_array(state)
    parts: list[tuple[list[int], np.ndarray]] = []
    for k in range(len(sizes) - 1):
        split = rank_one(rest.reshape(sizes[k], -1))
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
            if isinstance(factor, DickeBlockState):
                block = factor.qfim()
            else:
                block = qfim(factor, Network([net.sensors[k] for k in group]).local_generators)
            params = [p for k in group for p in net.partition[k]]
            F[np.ix_(params, params)] = block
        return F

    def to_qobj(self) -> qutip.Qobj:
        """The product as one density matrix (factors converted with ``to_full`` when blocks)."""
        parts = []
        for f in self.factors:
            if isinstance(f, DickeBlockState):
                parts.append(f.to_qobj())
            else:
                parts.append(f.proj() if f.isket else f)
        return qutip.tensor(parts)

    def __repr__(self) -> str:
        kinds = [type(f).__name__ for f in self.factors]
        return f"NoisyProduct(groups={self.groups}, factors={kinds})"

    def _repr_html_(self) -> str:
        """The factors for Jupyter: their sensors, storage and trace (no matrices)."""
        net = self._network
        rows = []
        for factor, group in zip(self.factors, self.groups):
            blocks = isinstance(factor, DickeBlockState)
            rows.append([", ".join(net.which(k) for k in group),
                         f"Dicke blocks ({len(factor.blocks)})" if blocks else
                         f"Qobj {'×'.join(map(str, factor.shape))}",
                         factor.trace() if blocks else float(factor.tr().real)
                         if not factor.isket else 1.0])
        return html_table(["sensors", "stored as", "trace"], rows,
                          caption=f"NoisyProduct of {len(self.factors)} factors")
