r"""POVMs: validated effects :math:`\hat E_x\ge0`, :math:`\sum_x\hat E_x = 1`, and how they are stored.

A :class:`POVM` keeps its effects in one of three typed storages (:class:`Storage`):

* :class:`DenseEffects` — the effects as one (outcomes, D, D) array (a user's list of effects,
  the two-outcome parity);
* :class:`BasisVectors` — rank-one projectors :math:`|w_x\rangle\langle w_x|` onto the columns
  of one D x D matrix (photon counting after a linear network): :math:`O(D^2)` memory;
* :class:`ProductBasis` — rank-one projectors onto a product basis, one small basis per
  factor (every local readout): :math:`O(\sum_kd_k^2)` memory, applied factor by factor.

Each storage evaluates the outcome probabilities :math:`p_x = \mathrm{Tr}(\hat E_x\rho)` and
their derivatives :math:`\partial_kp_x = \mathrm{Tr}(\hat E_x\partial_k\rho)` in its own way
(:meth:`Storage.evaluate`), with matrix products rather than loops.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import math
from collections.abc import Sequence

import numpy as np
import qutip

from ..errors import QSNError
from ..options import tolerances

__all__ = ["POVM", "Storage", "DenseEffects", "RankOneEffects", "BasisVectors", "ProductBasis",
           "as_povm", "validated_effects"]


# ----------------------------------------------------------------------------------------
# storages
# ----------------------------------------------------------------------------------------
class Storage(abc.ABC):
    """How a POVM keeps its effects, and how it evaluates them on a state."""

    #: True when every effect is a rank-one projector stored as a vector
    rank_one: bool = False

    @property
    @abc.abstractmethod
    def outcomes(self) -> int:
        """The number of outcomes."""

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """D, the dimension of the space."""

    @abc.abstractmethod
    def effect(self, index: int) -> np.ndarray:
        """Effect ``index`` as a dense (D, D) array."""

    @abc.abstractmethod
    def dense(self) -> np.ndarray:
        """All effects as one (outcomes, D, D) array."""

    @abc.abstractmethod
    def evaluate(self, state: np.ndarray, derivatives: np.ndarray | None = None):
        r"""(p, dp) with :math:`p_x = \mathrm{Tr}(\hat E_x\rho)`, :math:`\partial_kp_x = \mathrm{Tr}(\hat E_x\partial_k\rho)`.

        ``state`` is a ket (D,) or a density matrix (D, D); ``derivatives`` the kets
        :math:`\partial_k\psi` as columns (D, d) or the matrices :math:`\partial_k\rho`
        (d, D, D).  Returns shapes (outcomes,) and (outcomes, d) (None without derivatives).
        """

    @abc.abstractmethod
    def evaluate_many(self, states: np.ndarray, derivatives: np.ndarray | None = None):
        """:meth:`evaluate` at M points: kets (M, D) with derivatives (M, D, d), or density
        matrices (M, D, D) with (M, d, D, D); returns (M, outcomes), (M, outcomes, d)."""


@dataclasses.dataclass(frozen=True, eq=False)
class DenseEffects(Storage):
    """Effects stored densely.

    Attributes
    ----------
    effects : numpy.ndarray
        (outcomes, D, D), complex.
    """

    effects: np.ndarray

    @property
    def outcomes(self) -> int:
        return self.effects.shape[0]

    @property
    def size(self) -> int:
        return self.effects.shape[1]

    def effect(self, index: int) -> np.ndarray:
        return self.effects[index]

    def dense(self) -> np.ndarray:
        return self.effects

    def evaluate(self, state, derivatives=None):
        flat = self.effects.reshape(self.outcomes, -1)                 # rows: vec(E_x)
        if state.ndim == 1:
            images = self.effects @ state                              # (outcomes, D): E_x psi
            p = (images @ state.conj()).real
            dp = None if derivatives is None else 2 * (images.conj() @ derivatives).real
            return p, dp
        # Tr(E rho) = vec(E) . vec(rho^T): one matrix-vector product (and one product for dp)
        p = (flat @ state.T.ravel()).real
        if derivatives is None:
            return p, None
        return p, (flat @ np.swapaxes(derivatives, 1, 2).reshape(len(derivatives), -1).T).real

    def evaluate_many(self, states, derivatives=None):
        if states.ndim == 2:
            images = np.einsum("xab,mb->mxa", self.effects, states, optimize=True)
            p = np.einsum("ma,mxa->mx", states.conj(), images, optimize=True).real
            if derivatives is None:
                return p, None
            return p, 2 * np.einsum("mxa,mak->mxk", images.conj(), derivatives,
                                    optimize=True).real
        flat = self.effects.reshape(self.outcomes, -1)
        p = (np.swapaxes(states, 1, 2).reshape(len(states), -1) @ flat.T).real
        if derivatives is None:
            return p, None
        m, d = derivatives.shape[:2]
        dp = np.swapaxes(derivatives, 2, 3).reshape(m * d, -1) @ flat.T   # (M d, outcomes)
        return p, np.swapaxes(dp.real.reshape(m, d, -1), 1, 2)


class RankOneEffects(Storage):
    r"""Effects :math:`|w_x\rangle\langle w_x|`, evaluated through :math:`\langle w_x|X`."""

    rank_one = True

    @abc.abstractmethod
    def adjoint(self, x: np.ndarray) -> np.ndarray:
        r""":math:`\langle w_x|X` for the columns of X (D, m): shape (outcomes, m)."""

    @abc.abstractmethod
    def vector(self, index: int) -> np.ndarray:
        r""":math:`|w_x\rangle` for outcome ``index``."""

    @functools.cached_property
    def rows(self) -> np.ndarray:
        r"""The (outcomes, D) matrix of rows :math:`\langle w_x|` (built once)."""
        return self.adjoint(np.eye(self.size, dtype=complex))

    def effect(self, index: int) -> np.ndarray:
        w = self.vector(index)
        return np.outer(w, w.conj())

    def dense(self) -> np.ndarray:
        w = self.rows.conj()
        return w[:, :, None] * w[:, None, :].conj()

    def evaluate(self, state, derivatives=None):
        if state.ndim == 1:
            cols = state[:, None] if derivatives is None else np.concatenate(
                [state[:, None], derivatives], axis=1)
            amps = self.adjoint(cols)
            p = np.abs(amps[:, 0]) ** 2
            dp = None if derivatives is None else 2 * (amps[:, :1].conj() * amps[:, 1:]).real
            return p, dp
        # <w|rho|w> = sum_b (<w|rho)_b w_b: rows of L rho times conj(L), L applied factorwise
        p = np.einsum("xb,xb->x", self.adjoint(state), self.rows.conj()).real
        if derivatives is None:
            return p, None
        d, size = derivatives.shape[0], self.size
        left = self.adjoint(np.moveaxis(derivatives, 0, 1).reshape(size, d * size))
        return p, np.einsum("xkb,xb->xk", left.reshape(-1, d, size), self.rows.conj()).real

    def evaluate_many(self, states, derivatives=None):
        if states.ndim == 2:
            amps = self.adjoint(states.T)                                  # (outcomes, M)
            p = (np.abs(amps) ** 2).T
            if derivatives is None:
                return p, None
            m, size, d = derivatives.shape
            damps = self.adjoint(np.moveaxis(derivatives, 1, 0).reshape(size, m * d))
            dp = 2 * (amps.conj()[:, :, None] * damps.reshape(-1, m, d)).real
            return p, np.moveaxis(dp, 0, 1)
        out = [self.evaluate(s, None if derivatives is None else ds)
               for s, ds in zip(states, derivatives if derivatives is not None
                                else [None] * len(states))]
        p = np.array([o[0] for o in out])
        return p, None if derivatives is None else np.array([o[1] for o in out])


@dataclasses.dataclass(frozen=True, eq=False)
class BasisVectors(RankOneEffects):
    """Rank-one effects onto the columns of one matrix.

    Attributes
    ----------
    vectors : numpy.ndarray
        (D, outcomes): column x is :math:`|w_x\\rangle`.
    """

    vectors: np.ndarray

    @property
    def outcomes(self) -> int:
        return self.vectors.shape[1]

    @property
    def size(self) -> int:
        return self.vectors.shape[0]

    def adjoint(self, x: np.ndarray) -> np.ndarray:
        return self.vectors.conj().T @ x

    def vector(self, index: int) -> np.ndarray:
        return self.vectors[:, index]


@dataclasses.dataclass(frozen=True, eq=False)
class ProductBasis(RankOneEffects):
    r"""Rank-one effects onto a product basis :math:`|w_x\rangle = \bigotimes_k|b_{k,x_k}\rangle`.

    Attributes
    ----------
    bases : tuple of numpy.ndarray
        Factor k: (d_k, outcomes_k), its columns the local basis; outcomes in C order.
    """

    bases: tuple[np.ndarray, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        """The factor dimensions :math:`(d_1, d_2, ...)`."""
        return tuple(b.shape[0] for b in self.bases)

    @property
    def outcomes(self) -> int:
        return math.prod(b.shape[1] for b in self.bases)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def adjoint(self, x: np.ndarray) -> np.ndarray:
        r""":math:`(\bigotimes_k B_k^\dagger)X`, factor by factor: :math:`O(D\,m\sum_kd_k)`."""
        m = x.shape[1]
        t = x.reshape(*self.shape, m)
        for k, b in enumerate(self.bases):
            t = np.moveaxis(np.tensordot(b.conj().T, t, axes=([1], [k])), 0, k)
        return t.reshape(-1, m)

    def vector(self, index: int) -> np.ndarray:
        digits = np.unravel_index(index, tuple(b.shape[1] for b in self.bases))
        w = np.array([1.0 + 0j])
        for b, digit in zip(self.bases, digits):
            w = np.kron(w, b[:, digit])
        return w


# ----------------------------------------------------------------------------------------
# the POVM
# ----------------------------------------------------------------------------------------
class POVM(Sequence):
    r"""A measurement: effects :math:`\hat E_x \ge 0` with :math:`\sum_x \hat E_x = 1`.

    Behaves as a read-only list of its effects (``Qobj``, built on request), with outcome
    ``labels`` and a ``name``.  Built-in measurements store the rank-one projectors of a
    product basis (or a list of vectors) instead of dense effects, so that a projective
    measurement of D outcomes costs :math:`O(D^2)` memory, not :math:`O(D^3)`
    (:attr:`storage`).

    Parameters
    ----------
    effects : sequence of Qobj
        Positive semidefinite operators on one space (same ``dims``, kept: ``[[2, 2], [2, 2]]``
        is not ``[[4], [4]]``) that sum to the identity.
    labels : sequence of str, optional
        One name per outcome (default ``"0"``, ``"1"``, ...).
    name : str
        What the measurement is, for tables.

    Raises
    ------
    QSNError
        Naming the effect that is not a Hermitian positive semidefinite operator on the common
        dims, or the largest deviation of :math:`\sum_x\hat E_x` from the identity.

    Examples
    --------
    >>> import qutip
    >>> povm = POVM([qutip.basis(2, 0).proj(), qutip.basis(2, 1).proj()], ["up", "down"])
    >>> len(povm), povm.labels, povm.dims, type(povm.storage).__name__
    (2, ('up', 'down'), [2], 'DenseEffects')
    """

    def __init__(self, effects: Sequence[qutip.Qobj], labels: Sequence[str] | None = None, *,
                 name: str = "povm"):
        dims, dense = validated_effects(effects, "effects")
        self._setup(dims, DenseEffects(dense), labels, name)

    def _setup(self, dims: list[int], storage: Storage, labels, name: str) -> None:
        self.dims = list(dims)
        self.size = math.prod(self.dims)
        self.storage = storage
        count = storage.outcomes
        if labels is None:
            labels = [str(x) for x in range(count)]
        labels = tuple(str(x) for x in labels)
        if len(labels) != count:
            raise QSNError(f"labels must name each of the {count} outcomes, got {len(labels)}")
        self.labels = labels
        self.name = str(name)

    @classmethod
    def from_storage(cls, dims: Sequence[int], storage: Storage,
                     labels: Sequence[str] | None = None, name: str = "povm") -> "POVM":
        """A POVM on ket ``dims`` with effects already in ``storage``, trusted (no checks of
        positivity or completeness: for measurements valid by construction, e.g. the
        projectors onto an orthonormal basis).

        Examples
        --------
        >>> import numpy as np
        >>> POVM.from_storage([2], BasisVectors(np.eye(2)), ["0", "1"], "z").rank_one
        True
        """
        if storage.size != math.prod(dims):
            raise QSNError(f"the storage acts on dimension {storage.size}, dims {list(dims)} "
                           f"on {math.prod(dims)}")
        povm = cls.__new__(cls)
        povm._setup(list(dims), storage, labels, name)
        return povm

    # -- the list interface ----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"outcome {index} out of range for {count} outcomes")
        return qutip.Qobj(self.storage.effect(index % count), dims=[self.dims, self.dims])

    def __repr__(self) -> str:
        return f"POVM({self.name!r}, {len(self)} outcomes on dims {self.dims})"

    # -- evaluation -------------------------------------------------------------------------
    @property
    def rank_one(self) -> bool:
        """True when every effect is a rank-one :math:`|w_x\\rangle\\langle w_x|` stored as a vector."""
        return self.storage.rank_one

    def dense_effects(self) -> np.ndarray:
        """The effects as one (outcomes, D, D) array."""
        return self.storage.dense()

    def evaluate(self, state: np.ndarray, derivatives: np.ndarray | None = None):
        r"""(p, dp): :math:`p_x = \mathrm{Tr}(\hat E_x\rho)`, :math:`\partial_kp_x = \mathrm{Tr}(\hat E_x\partial_k\rho)`.

        Parameters
        ----------
        state : numpy.ndarray
            A ket (D,) or a density matrix (D, D).
        derivatives : numpy.ndarray, optional
            The kets :math:`\partial_k\psi` as columns (D, d), or the matrices
            :math:`\partial_k\rho` (d, D, D).

        Examples
        --------
        >>> import numpy as np, qutip
        >>> povm = POVM([qutip.basis(2, 0).proj(), qutip.basis(2, 1).proj()])
        >>> povm.evaluate(np.array([0.6, 0.8]))[0].round(12)
        array([0.36, 0.64])
        """
        return self.storage.evaluate(state, derivatives)

    def evaluate_many(self, states: np.ndarray, derivatives: np.ndarray | None = None):
        """:meth:`evaluate` at M points at once (see :meth:`Storage.evaluate_many`)."""
        return self.storage.evaluate_many(states, derivatives)


def validated_effects(effects, name: str) -> tuple[list[int], np.ndarray]:
    """Check a user's list of effects; return (ket dims, dense (outcomes, D, D) array).

    Raises :class:`QSNError` naming ``name[x]`` for an effect that is not a finite Hermitian
    positive semidefinite operator on the common dims, or the largest deviation of the sum
    from the identity (above ``100 * tolerances.atol``).
    """
    if isinstance(effects, qutip.Qobj) or not isinstance(effects, Sequence) or not effects:
        raise QSNError(f"{name} must be a non-empty list of positive operators (Qobj) summing "
                       f"to the identity, got {type(effects).__name__}")
    dims = None
    mats = []
    for x, effect in enumerate(effects):
        label = f"{name}[{x}]"
        if not isinstance(effect, qutip.Qobj) or not effect.isoper:
            raise QSNError(f"{label} must be an operator Qobj, got {type(effect).__name__}"
                           + (f" of type {effect.type!r}" if isinstance(effect, qutip.Qobj)
                              else ""))
        if effect.dims[0] != effect.dims[1]:
            raise QSNError(f"{label} must be a square operator, got dims {effect.dims}")
        if dims is None:
            dims = list(effect.dims[0])
        elif list(effect.dims[0]) != dims:
            raise QSNError(f"{label} acts on dims {effect.dims[0]}, {name}[0] on {dims}")
        mats.append(_checked_effect(effect.full(), label))
    dense = np.array(mats)
    deviation = np.abs(dense.sum(axis=0) - np.eye(dense.shape[1])).max()
    if deviation > 100 * tolerances.atol:
        raise QSNError(f"the effects of {name} must sum to the identity: largest deviation "
                       f"{deviation:.3g}")
    return dims, dense


def _checked_effect(mat: np.ndarray, label: str) -> np.ndarray:
    """One effect: finite, Hermitian, positive semidefinite (to ``tolerances.atol``)."""
    if not np.all(np.isfinite(mat)):
        raise QSNError(f"{label} contains NaN or inf entries")
    scale = max(1.0, np.abs(mat).max())
    if np.abs(mat - mat.conj().T).max() > tolerances.atol * scale:
        raise QSNError(f"{label} must be Hermitian")
    mat = (mat + mat.conj().T) / 2
    smallest = np.linalg.eigvalsh(mat)[0]
    if smallest < -tolerances.atol * scale:
        raise QSNError(f"{label} must be positive semidefinite: smallest eigenvalue "
                       f"{smallest:.3g}")
    return mat


def as_povm(povm, dims: Sequence[int], name: str = "povm") -> POVM:
    """A :class:`POVM` from a POVM or a list of effects, on the state's ket ``dims``.

    Examples
    --------
    >>> import qutip
    >>> as_povm([qutip.basis(2, 0).proj(), qutip.basis(2, 1).proj()], [2]).name
    'povm'
    """
    if not isinstance(povm, POVM):
        found, dense = validated_effects(povm, name)
        povm = POVM.from_storage(found, DenseEffects(dense), None, name)
    if povm.dims != list(dims):
        raise QSNError(f"{name} acts on dims {povm.dims}, the state has dims {list(dims)}")
    return povm
